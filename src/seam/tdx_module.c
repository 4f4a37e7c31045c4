// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tdxsim's software TDX module: bring-up, the SEAMCALL dispatcher (RAX
 * leaf/version checks of reference tdx-module.md §1.1), the TD and vCPU
 * life cycles (§3, §5.1-§5.7, §5.15, §5.17), metadata reads and writes,
 * and the typed tdh_*() wrappers.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "base/page_alloc.h"
#include "base/sched.h"
#include "ulib/strbuf.h"
#include "seam/seam_internal.h"

struct tdx_module_config seam_cfg;
static bool module_ready;

/*
 * The TDs that exist (TDR not reclaimed), and the structures of TDs and
 * vCPUs that are gone, kept for the next ones: they are never returned to
 * the allocator before tdx_module_exit(), because lookups without locks
 * (fault injection, statistics) may hold a stale pointer, and type-stable
 * memory keeps that harmless (the idea of the kernel's
 * SLAB_TYPESAFE_BY_RCU). The module's memory is so bounded by the most
 * TDs and vCPUs that existed at once, not by how many were ever created.
 * The lock is the hardware's own (like the page allocator's): no schedule
 * point, no lock class.
 */
static pthread_mutex_t td_list_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tdx_td *all_tds;
static struct tdx_td *free_tds;
static struct tdx_vcpu *free_vcpus;
/* KOT: HKID -> TD, guarded by a module-global sharex lock. */
static struct sharex_lock kot_lock;
static struct tdx_td *kot[TDX_MAX_HKIDS + 1];
/* The kernel's keyid IDA (tdx_guest_keyid_alloc()). */
static u64 keyid_bitmap;
static u64 td_create_seq;

/* ---------------------------------------------------------------------- */
/* Common TD helpers                                                       */
/* ---------------------------------------------------------------------- */

u64 td_lock_tdr(struct seam_call *c, u64 tdr_pa, u64 opid, bool excl,
		struct tdx_td **tdp)
{
	u64 pfn = tdr_pa >> PAGE_SHIFT;
	struct pamt_entry *e;

	*tdp = NULL;
	if (!pamt_pa_valid(tdr_pa))
		return tdx_err(TDX_OPERAND_INVALID, opid);
	if (pamt_lock_4k(pfn, excl))
		return tdx_err(TDX_OPERAND_BUSY, opid);
	e = pamt_entry(pfn);
	if (READ_ONCE(e->pt) != TDX_PT_TDR) {
		pamt_unlock_4k(pfn, excl);
		return tdx_err(TDX_PAGE_METADATA_INCORRECT, opid);
	}
	*tdp = (struct tdx_td *)(uintptr_t)READ_ONCE(e->aux);
	return TDX_SUCCESS;
}

void td_unlock_tdr(struct tdx_td *td, bool excl)
{
	if (td)
		pamt_unlock_4k(td->tdr_pa >> PAGE_SHIFT, excl);
}

u64 vcpu_lock(struct seam_call *c, u64 tdvpr_pa, u64 opid, bool tdvpr_excl,
	      bool tdr_excl, struct tdx_vcpu **vp)
{
	u64 pfn = tdvpr_pa >> PAGE_SHIFT;
	struct pamt_entry *e;
	struct tdx_vcpu *v;

	*vp = NULL;
	if (!pamt_pa_valid(tdvpr_pa))
		return tdx_err(TDX_OPERAND_INVALID, opid);
	if (pamt_lock_4k(pfn, tdvpr_excl))
		return tdx_err(TDX_OPERAND_BUSY, opid);
	e = pamt_entry(pfn);
	if (READ_ONCE(e->pt) != TDX_PT_TDVPR) {
		pamt_unlock_4k(pfn, tdvpr_excl);
		return tdx_err(TDX_PAGE_METADATA_INCORRECT, opid);
	}
	v = (struct tdx_vcpu *)(uintptr_t)READ_ONCE(e->aux);
	c->vcpu = v;
	c->td = v->td;
	if (pamt_lock_4k(v->td->tdr_pa >> PAGE_SHIFT, tdr_excl)) {
		pamt_unlock_4k(pfn, tdvpr_excl);
		return tdx_err(TDX_OPERAND_BUSY, TDX_OPERAND_ID_TDR);
	}
	*vp = v;
	return TDX_SUCCESS;
}

void vcpu_unlock(struct tdx_vcpu *v, bool tdvpr_excl, bool tdr_excl)
{
	pamt_unlock_4k(v->td->tdr_pa >> PAGE_SHIFT, tdr_excl);
	pamt_unlock_4k(v->tdvpr_pa >> PAGE_SHIFT, tdvpr_excl);
}

u64 td_check_build_state(struct tdx_td *td)
{
	if (READ_ONCE(td->fatal))
		return TDX_TD_FATAL;
	if (READ_ONCE(td->lifecycle) != TD_KEYS_CONFIGURED)
		return TDX_TD_KEYS_NOT_CONFIGURED;
	if (READ_ONCE(td->num_tdcs) < TDX_MIN_TDCS_PAGES)
		return TDX_TDCS_NOT_ALLOCATED;
	return TDX_SUCCESS;
}

bool td_op_state_allows(struct tdx_td *td, unsigned int leaf)
{
	int st = READ_ONCE(td->op_state);

	switch (leaf) {
	case TDH_MNG_ADDCX:
	case TDH_MNG_INIT:
		return st == OP_STATE_UNINITIALIZED;
	case TDH_MEM_PAGE_ADD:
	case TDH_MR_EXTEND:
	case TDH_MR_FINALIZE:
	case TDH_VP_CREATE:
	case TDH_VP_ADDCX:
	case TDH_VP_INIT:
		return st == OP_STATE_INITIALIZED;
	case TDH_VP_ENTER:
		return st == OP_STATE_RUNNABLE;
	case TDH_VP_FLUSH:
		return true;
	default:
		return st == OP_STATE_INITIALIZED || st == OP_STATE_RUNNABLE;
	}
}

u64 td_lock_op_state(struct tdx_td *td)
{
	if (sharex_hp_host_shared(&td->op_state_lock))
		return tdx_err(TDX_OPERAND_BUSY, TDX_OPERAND_ID_OP_STATE);
	return TDX_SUCCESS;
}

u64 td_check_state_lock_op(struct tdx_td *td, unsigned int leaf)
{
	u64 err = td_check_build_state(td);

	if (err)
		return err;
	if (!td_op_state_allows(td, leaf))
		return TDX_OP_STATE_INCORRECT;
	return td_lock_op_state(td);
}

void td_unlock_op_state(struct tdx_td *td)
{
	sharex_hp_release_shared(&td->op_state_lock);
}

u64 td_check_gpa_level(struct tdx_td *td, u64 rcx, int min_level,
		       int max_level, u64 *gpa, int *level)
{
	const u64 invalid = tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	int l = rcx & 7;
	u64 g = rcx & GENMASK_ULL(51, 12);

	*gpa = g;
	*level = l;
	if (rcx & (GENMASK_ULL(11, 3) | GENMASK_ULL(63, 52)))
		return invalid;
	if (l < min_level || l > max_level)
		return invalid;
	if (g & (sept_level_size(l) - 1))
		return invalid;
	if (g & td->shared_mask)
		return invalid;
	if (td->gpaw == 48 && (g & GENMASK_ULL(51, 48)))
		return invalid;
	return TDX_SUCCESS;
}

bool td_tracking_required(struct tdx_td *td)
{
	return READ_ONCE(td->op_state) == OP_STATE_RUNNABLE;
}

bool td_is_tlb_tracked(struct tdx_td *td, u64 bepoch)
{
	u64 epoch = __atomic_load_n(&td->td_epoch, __ATOMIC_ACQUIRE);

	if (bepoch & BIT_ULL(63))
		return false;
	if (bepoch + 1 < epoch)
		return true;
	return bepoch + 1 == epoch &&
	       !__atomic_load_n(&td->refcount[bepoch & 1], __ATOMIC_ACQUIRE);
}

void td_add_children(struct tdx_td *td, s64 n)
{
	__atomic_fetch_add(&td->chldcnt, (u64)n, __ATOMIC_RELAXED);
}

struct tdx_td *td_lookup(u64 tdr_pa)
{
	struct pamt_entry *e;

	if (!module_ready || !pamt_pa_valid(tdr_pa))
		return NULL;
	e = pamt_entry(tdr_pa >> PAGE_SHIFT);
	if (READ_ONCE(e->pt) != TDX_PT_TDR)
		return NULL;
	return (struct tdx_td *)(uintptr_t)READ_ONCE(e->aux);
}

struct tdx_vcpu *vcpu_lookup(u64 tdvpr_pa)
{
	struct pamt_entry *e;

	if (!module_ready || !pamt_pa_valid(tdvpr_pa))
		return NULL;
	e = pamt_entry(tdvpr_pa >> PAGE_SHIFT);
	if (READ_ONCE(e->pt) != TDX_PT_TDVPR)
		return NULL;
	return (struct tdx_vcpu *)(uintptr_t)READ_ONCE(e->aux);
}

struct tdx_td *kot_lookup(u64 hkid)
{
	if (!hkid || hkid > TDX_MAX_HKIDS)
		return NULL;
	return __atomic_load_n(&kot[hkid], __ATOMIC_ACQUIRE);
}

/* Lock a new 4K page given in @opid exclusively and check it is free. */
static u64 lock_new_page(u64 pa, u64 opid)
{
	u64 pfn = pa >> PAGE_SHIFT;

	if (!pamt_pa_valid(pa))
		return tdx_err(TDX_OPERAND_INVALID, opid);
	if (pamt_lock_4k(pfn, true))
		return tdx_err(TDX_OPERAND_BUSY, opid);
	if (READ_ONCE(pamt_entry(pfn)->pt) != TDX_PT_NDA) {
		pamt_unlock_4k(pfn, true);
		return tdx_err(TDX_PAGE_METADATA_INCORRECT, opid);
	}
	return TDX_SUCCESS;
}

/* ---------------------------------------------------------------------- */
/* TD life cycle                                                           */
/* ---------------------------------------------------------------------- */

/* A zeroed TD structure, reused from a gone TD if there is one. */
static struct tdx_td *td_alloc(void)
{
	struct tdx_td *td;

	pthread_mutex_lock(&td_list_lock);
	td = free_tds;
	if (td)
		free_tds = td->next;
	pthread_mutex_unlock(&td_list_lock);
	if (!td)
		return xzalloc(sizeof(*td));
	memset(td, 0, sizeof(*td));
	return td;
}

static struct tdx_vcpu *vcpu_alloc(void)
{
	struct tdx_vcpu *v;

	pthread_mutex_lock(&td_list_lock);
	v = free_vcpus;
	if (v)
		free_vcpus = v->next;
	pthread_mutex_unlock(&td_list_lock);
	if (!v)
		return xzalloc(sizeof(*v));
	memset(v, 0, sizeof(*v));
	return v;
}

/*
 * The TD's TDR was reclaimed (every other page of it is gone, so are its
 * vCPUs): take it off the list of TDs and keep its structures for reuse.
 */
static void td_retire(struct tdx_td *td)
{
	struct tdx_vcpu *v, *vn;
	struct tdx_td **pp;

	pthread_mutex_lock(&td_list_lock);
	for (pp = &all_tds; *pp; pp = &(*pp)->next) {
		if (*pp == td) {
			*pp = td->next;
			break;
		}
	}
	for (v = td->vcpus; v; v = vn) {
		vn = v->next;
		v->next = free_vcpus;
		free_vcpus = v;
	}
	td->vcpus = NULL;
	td->next = free_tds;
	free_tds = td;
	pthread_mutex_unlock(&td_list_lock);
}

static u64 seam_mng_create(struct seam_call *c)
{
	struct tdx_module_args *a = c->args;
	u64 tdr_pa = a->rcx, hkid = a->rdx, err;
	struct tdx_td *td;

	if (hkid >> 16 || !hkid || hkid > seam_cfg.max_hkids)
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RDX);
	err = lock_new_page(tdr_pa, TDX_OPERAND_ID_RCX);
	if (err)
		return err;
	if (!sharex_try_excl(&kot_lock)) {
		err = tdx_err(TDX_OPERAND_BUSY, TDX_OPERAND_ID_KOT);
		goto unlock;
	}
	if (kot[hkid]) {
		err = TDX_HKID_NOT_FREE;
		goto unlock_kot;
	}
	sched_point_named("tdh_mng_create");

	td = td_alloc();
	td->tdr_pa = tdr_pa;
	td->hkid = hkid;
	td->key = mktme_new_key(tdr_pa ^ (hkid << 20) ^
				(__atomic_add_fetch(&td_create_seq, 1,
						    __ATOMIC_RELAXED) << 40));
	td->lifecycle = TD_HKID_ASSIGNED;
	td->op_state = OP_STATE_UNINITIALIZED;
	td->td_epoch = 1;
	td->pwl = 3;
	td->gpaw = 48;
	td->shared_mask = BIT_ULL(47);
	__atomic_store_n(&kot[hkid], td, __ATOMIC_RELEASE);
	mktme_zero(mktme_global_key, tdr_pa, PAGE_SIZE);
	pamt_set(tdr_pa >> PAGE_SHIFT, 0, TDX_PT_TDR, tdr_pa, (uintptr_t)td);
	pthread_mutex_lock(&td_list_lock);
	td->next = all_tds;
	all_tds = td;
	pthread_mutex_unlock(&td_list_lock);
	c->td = td;
unlock_kot:
	sharex_release_excl(&kot_lock);
unlock:
	pamt_unlock_4k(tdr_pa >> PAGE_SHIFT, true);
	return err;
}

static u64 seam_mng_key_config(struct seam_call *c)
{
	struct tdx_td *td;
	u64 err;

	err = td_lock_tdr(c, c->args->rcx, TDX_OPERAND_ID_RCX, true, &td);
	if (err)
		return err;
	c->td = td;
	if (td->fatal)
		err = TDX_TD_FATAL;
	else if (td->lifecycle != TD_HKID_ASSIGNED)
		err = TDX_LIFECYCLE_STATE_INCORRECT;
	else {
		sched_point_named("tdh_mng_key_config");
		WRITE_ONCE(td->lifecycle, TD_KEYS_CONFIGURED);
	}
	td_unlock_tdr(td, true);
	return err;
}

static u64 seam_mng_addcx(struct seam_call *c)
{
	struct tdx_module_args *a = c->args;
	u64 page = a->rcx, err;
	struct tdx_td *td;
	int idx;

	err = td_lock_tdr(c, a->rdx, TDX_OPERAND_ID_RDX, true, &td);
	if (err)
		return err;
	c->td = td;
	if (td->fatal) {
		err = TDX_TD_FATAL;
		goto out;
	}
	if (td->lifecycle != TD_KEYS_CONFIGURED) {
		err = TDX_TD_KEYS_NOT_CONFIGURED;
		goto out;
	}
	if (td->num_tdcs >= TDX_NR_TDCS_PAGES) {
		err = TDX_TDCX_NUM_INCORRECT;
		goto out;
	}
	if (!td_op_state_allows(td, c->leaf)) {
		err = TDX_OP_STATE_INCORRECT;
		goto out;
	}
	err = lock_new_page(page, TDX_OPERAND_ID_RCX);
	if (err)
		goto out;
	sched_point_named("tdh_mng_addcx");
	idx = td->num_tdcs;
	if (idx == SEPT_ROOT_PAGE_INDEX) {
		u64 *p = sept_page(page);
		int i;

		for (i = 0; i < 512; i++)
			__atomic_store_n(&p[i], SEPT_FREE_RAW,
					 __ATOMIC_RELAXED);
	} else {
		mktme_zero(mktme_global_key, page, PAGE_SIZE);
	}
	td->tdcs_pa[idx] = page;
	pamt_set(page >> PAGE_SHIFT, 0, TDX_PT_TDCX, td->tdr_pa, 0);
	td_add_children(td, 1);
	WRITE_ONCE(td->num_tdcs, idx + 1);
	pamt_unlock_4k(page >> PAGE_SHIFT, true);
out:
	td_unlock_tdr(td, true);
	return err;
}

#define TDX_SUPPORTED_ATTRS	(TDX_TD_ATTR_DEBUG | \
				 TDX_TD_ATTR_SEPT_VE_DISABLE | \
				 TDX_TD_ATTR_MIGRATABLE | TDX_TD_ATTR_PKS | \
				 TDX_TD_ATTR_KL | TDX_TD_ATTR_PERFMON)
#define TDX_XFAM_FIXED0		0x00000000000602E7ULL
#define TDX_XFAM_FIXED1		0x0000000000000003ULL

static u64 check_td_params(const struct td_params *p)
{
	u64 pwl = (p->eptp_controls >> TDX_EPTP_PWL_SHIFT) & 7;

	if (p->attributes & ~TDX_SUPPORTED_ATTRS)
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_ATTRIBUTES);
	if ((p->xfam & ~TDX_XFAM_FIXED0) ||
	    (p->xfam & TDX_XFAM_FIXED1) != TDX_XFAM_FIXED1)
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_XFAM);
	if (!p->max_vcpus || p->max_vcpus > TDX_MAX_VCPUS_PER_TD)
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_MAX_VCPUS);
	if (p->num_l2_vms)
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_NUM_L2_VMS);
	if (p->config_flags & ~GENMASK_ULL(2, 0))
		return tdx_err(TDX_OPERAND_INVALID,
			       TDX_OPERAND_ID_EXEC_CONTROLS);
	if ((p->eptp_controls & 7) != TDX_EPTP_MT_WB ||
	    (pwl != 3 && pwl != 4) ||
	    (p->eptp_controls & ~GENMASK_ULL(5, 0)) ||
	    ((p->config_flags & TDX_CONFIG_FLAGS_MAX_GPAW) && pwl != 4))
		return tdx_err(TDX_OPERAND_INVALID,
			       TDX_OPERAND_ID_EPTP_CONTROLS);
	if (!p->tsc_frequency)
		return tdx_err(TDX_OPERAND_INVALID,
			       TDX_OPERAND_ID_TSC_FREQUENCY);
	return TDX_SUCCESS;
}

static u64 seam_mng_init(struct seam_call *c)
{
	struct tdx_module_args *a = c->args;
	u64 params_pa = a->rdx, err;
	struct pamt_entry *pe;
	struct td_params p;
	struct tdx_td *td;

	err = td_lock_tdr(c, a->rcx, TDX_OPERAND_ID_RCX, true, &td);
	if (err)
		return err;
	c->td = td;
	a->rcx = 0;
	err = td_check_build_state(td);
	if (err)
		goto out;
	if (!td_op_state_allows(td, c->leaf)) {
		err = TDX_OP_STATE_INCORRECT;
		goto out;
	}
	pe = pamt_entry(params_pa >> PAGE_SHIFT);
	if ((params_pa & 1023) || !pamt_pa_valid(params_pa & PAGE_MASK) ||
	    READ_ONCE(pe->pt) != TDX_PT_NDA) {
		err = tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RDX);
		goto out;
	}
	memcpy(&p, (u8 *)pfn_to_virt(params_pa >> PAGE_SHIFT) +
		   (params_pa & (PAGE_SIZE - 1)), sizeof(p));
	err = check_td_params(&p);
	if (err)
		goto out;
	if (mrtd_init(td)) {
		err = TDX_SYS_BUSY;
		goto out;
	}
	sched_point_named("tdh_mng_init");
	td->attributes = p.attributes;
	td->xfam = p.xfam;
	td->config_flags = p.config_flags;
	td->max_vcpus = p.max_vcpus;
	td->pwl = (p.eptp_controls >> TDX_EPTP_PWL_SHIFT) & 7;
	td->gpaw = (p.config_flags & TDX_CONFIG_FLAGS_MAX_GPAW) ? 52 : 48;
	td->shared_mask = BIT_ULL(td->gpaw - 1);
	td->pending_ve_disable = p.attributes & TDX_TD_ATTR_SEPT_VE_DISABLE;
	__atomic_store_n(&td->td_epoch, 1, __ATOMIC_RELEASE);
	td->refcount[0] = td->refcount[1] = 0;
	td->num_vcpus = 0;
	WRITE_ONCE(td->op_state, OP_STATE_INITIALIZED);
out:
	td_unlock_tdr(td, true);
	return err;
}

static u64 seam_mr_finalize(struct seam_call *c)
{
	struct tdx_td *td;
	u64 err;

	err = td_lock_tdr(c, c->args->rcx, TDX_OPERAND_ID_RCX, true, &td);
	if (err)
		return err;
	c->td = td;
	err = td_check_build_state(td);
	if (err)
		goto out;
	if (!td_op_state_allows(td, c->leaf)) {
		err = TDX_OP_STATE_INCORRECT;
		goto out;
	}
	if (!__atomic_load_n(&td->num_vcpus, __ATOMIC_ACQUIRE)) {
		err = TDX_NO_VCPUS;
		goto out;
	}
	sched_point_named("tdh_mr_finalize");
	mrtd_finalize(td);
	WRITE_ONCE(td->op_state, OP_STATE_RUNNABLE);
out:
	td_unlock_tdr(td, true);
	return err;
}

static u64 seam_mng_vpflushdone(struct seam_call *c)
{
	struct tdx_vcpu *v;
	struct tdx_td *td;
	u64 err;

	err = td_lock_tdr(c, c->args->rcx, TDX_OPERAND_ID_RCX, true, &td);
	if (err)
		return err;
	c->td = td;
	if (td->lifecycle != TD_KEYS_CONFIGURED) {
		err = TDX_LIFECYCLE_STATE_INCORRECT;
		goto out;
	}
	v = __atomic_load_n(&td->vcpus, __ATOMIC_ACQUIRE);
	for (; v; v = v->next) {
		if (!READ_ONCE(v->dead) && READ_ONCE(v->associated)) {
			err = TDX_FLUSHVP_NOT_DONE;
			goto out;
		}
	}
	sched_point_named("tdh_mng_vpflushdone");
	WRITE_ONCE(td->lifecycle, TD_BLOCKED);
out:
	td_unlock_tdr(td, true);
	return err;
}

static u64 seam_mng_key_freeid(struct seam_call *c)
{
	struct tdx_td *td;
	u64 err;

	err = td_lock_tdr(c, c->args->rcx, TDX_OPERAND_ID_RCX, true, &td);
	if (err)
		return err;
	c->td = td;
	/* A TD whose keys were never configured may free its HKID directly. */
	if (td->lifecycle != TD_BLOCKED && td->lifecycle != TD_HKID_ASSIGNED) {
		err = TDX_LIFECYCLE_STATE_INCORRECT;
		goto out;
	}
	if (!sharex_try_excl(&kot_lock)) {
		err = tdx_err(TDX_OPERAND_BUSY, TDX_OPERAND_ID_KOT);
		goto out;
	}
	sched_point_named("tdh_mng_key_freeid");
	if (kot[td->hkid] == td)
		__atomic_store_n(&kot[td->hkid], NULL, __ATOMIC_RELEASE);
	WRITE_ONCE(td->lifecycle, TD_TEARDOWN);
	sharex_release_excl(&kot_lock);
out:
	td_unlock_tdr(td, true);
	return err;
}

static u64 seam_mng_rd(struct seam_call *c)
{
	struct tdx_module_args *a = c->args;
	u64 field = a->rdx, err, val = 0;
	struct tdx_td *td;

	err = td_lock_tdr(c, a->rcx, TDX_OPERAND_ID_RCX, false, &td);
	if (err)
		return err;
	c->td = td;
	err = td_check_state_lock_op(td, c->leaf);
	if (err)
		goto unlock_tdr;
	if (field >= TDCS_MR_TD(0) && field <= TDCS_MR_TD(5)) {
		unsigned int i = field - TDCS_MR_TD(0), b;

		if (!td->mrtd_valid) {
			err = TDX_METADATA_FIELD_NOT_READABLE;
			goto unlock_opst;
		}
		for (b = 0; b < 8; b++)
			val |= (u64)td->mrtd[i * 8 + b] << (8 * b);
	} else {
		switch (field) {
		case TDCS_ATTRIBUTES:
			val = td->attributes;
			break;
		case TDCS_XFAM:
			val = td->xfam;
			break;
		case TDCS_MAX_VCPUS:
			val = td->max_vcpus;
			break;
		case TDCS_NUM_VCPUS:
			val = __atomic_load_n(&td->num_vcpus, __ATOMIC_ACQUIRE);
			break;
		case TDCS_TD_EPOCH:
			val = __atomic_load_n(&td->td_epoch, __ATOMIC_ACQUIRE);
			break;
		case TDCS_OP_STATE:
			val = READ_ONCE(td->op_state);
			break;
		case TDCS_GPAW:
			val = td->gpaw == 52;
			break;
		case TDCS_EPTP_PWL:
			val = td->pwl;
			break;
		default:
			err = tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RDX);
			goto unlock_opst;
		}
	}
	a->r8 = val;
unlock_opst:
	td_unlock_op_state(td);
unlock_tdr:
	td_unlock_tdr(td, false);
	return err;
}

/* ---------------------------------------------------------------------- */
/* vCPU life cycle                                                         */
/* ---------------------------------------------------------------------- */

static u64 seam_vp_create(struct seam_call *c)
{
	struct tdx_module_args *a = c->args;
	u64 page = a->rcx, err;
	struct tdx_vcpu *v;
	struct tdx_td *td;

	err = td_lock_tdr(c, a->rdx, TDX_OPERAND_ID_RDX, false, &td);
	if (err)
		return err;
	c->td = td;
	err = td_check_state_lock_op(td, c->leaf);
	if (err)
		goto unlock_tdr;
	err = lock_new_page(page, TDX_OPERAND_ID_RCX);
	if (err)
		goto unlock_opst;
	sched_point_named("tdh_vp_create");

	v = vcpu_alloc();
	v->tdvpr_pa = page;
	v->td = td;
	v->state = VCPU_UNINITIALIZED;
	v->ctx.vcpu = v;
	mktme_zero(mktme_global_key, page, PAGE_SIZE);
	pamt_set(page >> PAGE_SHIFT, 0, TDX_PT_TDVPR, td->tdr_pa,
		 (uintptr_t)v);
	td_add_children(td, 1);
	v->next = __atomic_load_n(&td->vcpus, __ATOMIC_RELAXED);
	while (!__atomic_compare_exchange_n(&td->vcpus, &v->next, v, false,
					    __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		;
	c->vcpu = v;
	pamt_unlock_4k(page >> PAGE_SHIFT, true);
unlock_opst:
	td_unlock_op_state(td);
unlock_tdr:
	td_unlock_tdr(td, false);
	return err;
}

static u64 seam_vp_addcx(struct seam_call *c)
{
	struct tdx_module_args *a = c->args;
	u64 page = a->rcx, err;
	struct tdx_vcpu *v;
	struct tdx_td *td;

	err = vcpu_lock(c, a->rdx, TDX_OPERAND_ID_RDX, true, false, &v);
	if (err)
		return err;
	td = v->td;
	err = td_check_state_lock_op(td, c->leaf);
	if (err)
		goto unlock;
	if (v->state != VCPU_UNINITIALIZED) {
		err = TDX_VCPU_STATE_INCORRECT;
		goto unlock_opst;
	}
	if (v->num_tdcx >= TDX_NR_TDCX_PAGES) {
		err = TDX_TDCX_NUM_INCORRECT;
		goto unlock_opst;
	}
	err = lock_new_page(page, TDX_OPERAND_ID_RCX);
	if (err)
		goto unlock_opst;
	sched_point_named("tdh_vp_addcx");
	mktme_zero(mktme_global_key, page, PAGE_SIZE);
	pamt_set(page >> PAGE_SHIFT, 0, TDX_PT_TDCX, td->tdr_pa, 0);
	td_add_children(td, 1);
	v->tdcx_pa[v->num_tdcx++] = page;
	pamt_unlock_4k(page >> PAGE_SHIFT, true);
unlock_opst:
	td_unlock_op_state(td);
unlock:
	vcpu_unlock(v, true, false);
	return err;
}

static u64 seam_vp_init(struct seam_call *c)
{
	struct tdx_module_args *a = c->args;
	bool tdr_excl = c->version >= 1;
	struct tdx_vcpu *v, *o;
	struct tdx_td *td;
	u32 idx;
	u64 err;

	err = vcpu_lock(c, a->rcx, TDX_OPERAND_ID_RCX, true, tdr_excl, &v);
	if (err)
		return err;
	td = v->td;
	err = td_check_state_lock_op(td, c->leaf);
	if (err)
		goto unlock;
	if (v->num_tdcx != TDX_NR_TDCX_PAGES) {
		err = TDX_TDCX_NUM_INCORRECT;
		goto unlock_opst;
	}
	if (v->state != VCPU_UNINITIALIZED) {
		err = TDX_VCPU_STATE_INCORRECT;
		goto unlock_opst;
	}
	if (c->version >= 1) {
		if (a->r8 > 0xFFFFFFFFULL) {
			err = tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_R8);
			goto unlock_opst;
		}
		for (o = __atomic_load_n(&td->vcpus, __ATOMIC_ACQUIRE); o;
		     o = o->next) {
			if (o != v && !READ_ONCE(o->dead) &&
			    READ_ONCE(o->x2apic_valid) &&
			    o->x2apic_id == a->r8) {
				err = TDX_X2APIC_ID_NOT_UNIQUE + a->r8;
				goto unlock_opst;
			}
		}
	}
	idx = __atomic_fetch_add(&td->num_vcpus, 1, __ATOMIC_ACQ_REL);
	if (idx >= td->max_vcpus) {
		__atomic_fetch_sub(&td->num_vcpus, 1, __ATOMIC_ACQ_REL);
		err = TDX_MAX_VCPUS_EXCEEDED;
		goto unlock_opst;
	}
	sched_point_named("tdh_vp_init");
	v->vcpu_index = idx;
	v->initial_rcx = a->rdx;
	if (c->version >= 1) {
		v->x2apic_id = a->r8;
		WRITE_ONCE(v->x2apic_valid, true);
	}
	WRITE_ONCE(v->associated, true);
	WRITE_ONCE(v->state, VCPU_READY);
unlock_opst:
	td_unlock_op_state(td);
unlock:
	vcpu_unlock(v, true, tdr_excl);
	return err;
}

static u64 seam_vp_flush(struct seam_call *c)
{
	struct tdx_vcpu *v;
	u64 err;

	err = vcpu_lock(c, c->args->rcx, TDX_OPERAND_ID_RCX, true, false, &v);
	if (err)
		return err;
	err = td_lock_op_state(v->td);
	if (err)
		goto unlock;
	if (!READ_ONCE(v->associated)) {
		err = TDX_VCPU_NOT_ASSOCIATED;
	} else {
		sched_point_named("tdh_vp_flush");
		WRITE_ONCE(v->associated, false);
	}
	td_unlock_op_state(v->td);
unlock:
	vcpu_unlock(v, true, false);
	return err;
}

static u64 seam_vp_rd_wr(struct seam_call *c)
{
	struct tdx_module_args *a = c->args;
	bool wr = c->leaf == TDH_VP_WR;
	u64 field = a->rdx, err, old;
	struct tdx_vcpu *v;

	err = vcpu_lock(c, a->rcx, TDX_OPERAND_ID_RCX, wr, false, &v);
	if (err)
		return err;
	if (!td_op_state_allows(v->td, c->leaf)) {
		err = TDX_OP_STATE_INCORRECT;
		goto unlock;
	}
	err = td_lock_op_state(v->td);
	if (err)
		goto unlock;
	switch (field) {
	case TDVPS_SHARED_EPT_POINTER:
		old = __atomic_load_n(&v->shared_eptp, __ATOMIC_ACQUIRE);
		if (wr)
			__atomic_store_n(&v->shared_eptp,
					 (old & ~a->r9) | (a->r8 & a->r9),
					 __ATOMIC_RELEASE);
		a->r8 = old;
		break;
	case TDVPS_VCPU_INDEX:
		if (wr) {
			err = tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RDX);
			break;
		}
		a->r8 = v->vcpu_index;
		break;
	default:
		err = tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RDX);
	}
	td_unlock_op_state(v->td);
unlock:
	vcpu_unlock(v, wr, false);
	return err;
}

/* ---------------------------------------------------------------------- */
/* Physical memory leaves                                                  */
/* ---------------------------------------------------------------------- */

static u64 seam_phymem_page_reclaim(struct seam_call *c)
{
	struct tdx_module_args *a = c->args;
	u64 pa = a->rcx, pfn = pa >> PAGE_SHIFT, owner, err = TDX_SUCCESS;
	struct pamt_entry *e;
	struct tdx_td *td;
	int level;
	u8 pt;

	if (!pamt_pa_valid(pa))
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	e = pamt_entry(pfn);
	level = READ_ONCE(e->pt) == TDX_PT_REG ? READ_ONCE(e->size) : 0;
	if (pa & (sept_level_size(level) - 1))
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	if (pamt_lock_range(pfn, level))
		return tdx_err(TDX_OPERAND_BUSY, TDX_OPERAND_ID_RCX);
	pt = READ_ONCE(e->pt);
	if (pt == TDX_PT_NDA || pt == TDX_PT_RSVD ||
	    (pt == TDX_PT_REG && READ_ONCE(e->size) != level)) {
		err = tdx_err(TDX_PAGE_METADATA_INCORRECT, TDX_OPERAND_ID_RCX);
		goto unlock;
	}
	owner = READ_ONCE(e->owner);
	td = (struct tdx_td *)(uintptr_t)READ_ONCE(
		pamt_entry(owner >> PAGE_SHIFT)->aux);
	c->td = td;
	if (pt == TDX_PT_TDR) {
		if (td->lifecycle != TD_TEARDOWN) {
			err = TDX_LIFECYCLE_STATE_INCORRECT;
		} else if (__atomic_load_n(&td->chldcnt, __ATOMIC_ACQUIRE)) {
			err = TDX_TD_ASSOCIATED_PAGES_EXIST;
		} else {
			sched_point_named("tdh_phymem_page_reclaim");
			mrtd_free(td);
			inject_drop(td);
			WRITE_ONCE(td->dead, true);
			pamt_set(pfn, 0, TDX_PT_NDA, 0, 0);
			td_retire(td);
			/* Nothing of the TD may be touched after this. */
			c->td = NULL;
		}
		goto out;
	}
	if (pamt_lock_4k(owner >> PAGE_SHIFT, false)) {
		err = tdx_err(TDX_OPERAND_BUSY, TDX_OPERAND_ID_TDR);
		goto unlock;
	}
	if (READ_ONCE(td->lifecycle) != TD_TEARDOWN) {
		err = TDX_LIFECYCLE_STATE_INCORRECT;
	} else {
		sched_point_named("tdh_phymem_page_reclaim");
		if (pt == TDX_PT_TDVPR) {
			struct tdx_vcpu *v = (struct tdx_vcpu *)(uintptr_t)
					     READ_ONCE(e->aux);
			WRITE_ONCE(v->dead, true);
		}
		if (pt == TDX_PT_EPT)
			mktme_zero(td->key, pa, PAGE_SIZE);
		pamt_set(pfn, level, TDX_PT_NDA, 0, 0);
		td_add_children(td, -(1LL << (9 * level)));
	}
	pamt_unlock_4k(owner >> PAGE_SHIFT, false);
out:
	if (!err) {
		a->rcx = pt;
		a->rdx = owner;
		a->r8 = level;
	}
unlock:
	pamt_unlock_range(pfn, level);
	return err;
}

static u64 seam_phymem_page_wbinvd(struct seam_call *c)
{
	u64 pa = c->args->rcx & (BIT_ULL(TDX_KEYID_SHIFT) - 1);
	u64 pfn = pa >> PAGE_SHIFT, err = TDX_SUCCESS;

	if (!pamt_pa_valid(pa))
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	if (pamt_lock_4k(pfn, false))
		return tdx_err(TDX_OPERAND_BUSY, TDX_OPERAND_ID_RCX);
	if (READ_ONCE(pamt_entry(pfn)->pt) != TDX_PT_NDA)
		err = tdx_err(TDX_PAGE_METADATA_INCORRECT, TDX_OPERAND_ID_RCX);
	else
		sched_point_named("tdh_phymem_page_wbinvd");
	pamt_unlock_4k(pfn, false);
	return err;
}

static u64 seam_phymem_cache_wb(struct seam_call *c)
{
	sched_point_named("tdh_phymem_cache_wb");
	return TDX_SUCCESS;
}

/* ---------------------------------------------------------------------- */
/* Dispatcher                                                              */
/* ---------------------------------------------------------------------- */

typedef u64 (*leaf_fn)(struct seam_call *c);

static const struct {
	leaf_fn fn;
	u8 max_version;
} leaf_table[TDX_NR_LEAVES] = {
	[TDH_VP_ENTER] = { seam_vp_enter, 0 },
	[TDH_MNG_ADDCX] = { seam_mng_addcx, 0 },
	[TDH_MEM_PAGE_ADD] = { seam_mem_page_add, 0 },
	[TDH_MEM_SEPT_ADD] = { seam_mem_sept_add, 1 },
	[TDH_VP_ADDCX] = { seam_vp_addcx, 0 },
	[TDH_MEM_PAGE_AUG] = { seam_mem_page_aug, 0 },
	[TDH_MEM_RANGE_BLOCK] = { seam_mem_range_block, 0 },
	[TDH_MNG_KEY_CONFIG] = { seam_mng_key_config, 0 },
	[TDH_MNG_CREATE] = { seam_mng_create, 0 },
	[TDH_VP_CREATE] = { seam_vp_create, 0 },
	[TDH_MNG_RD] = { seam_mng_rd, 1 },
	[TDH_MEM_PAGE_DEMOTE] = { seam_mem_page_demote, 0 },
	[TDH_MR_EXTEND] = { seam_mr_extend, 0 },
	[TDH_MR_FINALIZE] = { seam_mr_finalize, 0 },
	[TDH_VP_FLUSH] = { seam_vp_flush, 0 },
	[TDH_MNG_VPFLUSHDONE] = { seam_mng_vpflushdone, 0 },
	[TDH_MNG_KEY_FREEID] = { seam_mng_key_freeid, 0 },
	[TDH_MNG_INIT] = { seam_mng_init, 0 },
	/* TDH.VP.INIT: the version comes from the configuration. */
	[TDH_VP_INIT] = { seam_vp_init, 0 },
	[TDH_MEM_PAGE_PROMOTE] = { seam_mem_page_promote, 1 },
	[TDH_VP_RD] = { seam_vp_rd_wr, 1 },
	[TDH_PHYMEM_PAGE_RECLAIM] = { seam_phymem_page_reclaim, 0 },
	[TDH_MEM_PAGE_REMOVE] = { seam_mem_page_remove, 0 },
	[TDH_MEM_SEPT_REMOVE] = { seam_mem_sept_remove, 1 },
	[TDH_MEM_TRACK] = { seam_mem_track, 0 },
	[TDH_MEM_RANGE_UNBLOCK] = { seam_mem_range_unblock, 0 },
	[TDH_PHYMEM_CACHE_WB] = { seam_phymem_cache_wb, 0 },
	[TDH_PHYMEM_PAGE_WBINVD] = { seam_phymem_page_wbinvd, 0 },
	[TDH_VP_WR] = { seam_vp_rd_wr, 0 },
};

u64 seamcall(u64 leaf_and_version, struct tdx_module_args *args)
{
	struct seam_call c = { .args = args };
	unsigned int max_ver;
	u64 ret;

	if (leaf_and_version >> 24)
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RAX);
	c.leaf = leaf_and_version & 0xffff;
	c.version = (leaf_and_version >> 16) & 0xff;
	if (c.leaf >= TDX_NR_LEAVES || !leaf_table[c.leaf].fn)
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RAX);
	max_ver = leaf_table[c.leaf].max_version;
	if (c.leaf == TDH_VP_INIT)
		max_ver = seam_cfg.vp_init_version >= 1 ? 1 : 0;
	if (c.version > max_ver)
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RAX);
	if (!READ_ONCE(module_ready))
		return TDX_SYS_NOT_READY;

	sched_point_named("seamcall");
	if (!inject_consume(&c, &ret))
		ret = leaf_table[c.leaf].fn(&c);
	stats_account_call(&c, ret);
	sched_point_named("seamcall_exit");
	return ret;
}

/* ---------------------------------------------------------------------- */
/* Bring-up and hardware accessors                                         */
/* ---------------------------------------------------------------------- */

void tdx_module_config_init(struct tdx_module_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->vp_init_version = 1;
	cfg->max_hkids = TDX_MAX_HKIDS;
}

int tdx_module_init(const struct tdx_module_config *cfg)
{
	int ret;

	if (module_ready)
		return -EBUSY;
	if (cfg)
		seam_cfg = *cfg;
	else
		tdx_module_config_init(&seam_cfg);
	if (seam_cfg.vp_init_version > 1)
		seam_cfg.vp_init_version = 1;
	if (seam_cfg.vp_init_version < 0)
		seam_cfg.vp_init_version = 0;
	if (!seam_cfg.max_hkids || seam_cfg.max_hkids > TDX_MAX_HKIDS)
		seam_cfg.max_hkids = TDX_MAX_HKIDS;
	stats_init_costs(&seam_cfg);
	ret = pamt_init();
	if (ret)
		return ret;
	mktme_global_key = mktme_new_key(0x6b6579ULL);
	memset(kot, 0, sizeof(kot));
	kot_lock.v = 0;
	keyid_bitmap = 0;
	all_tds = NULL;
	inject_reset();
	__atomic_store_n(&module_ready, true, __ATOMIC_RELEASE);
	return 0;
}

void tdx_module_exit(void)
{
	struct tdx_td *td, *tn;
	struct tdx_vcpu *v, *vn;

	if (!module_ready)
		return;
	__atomic_store_n(&module_ready, false, __ATOMIC_RELEASE);
	for (td = all_tds; td; td = tn) {
		tn = td->next;
		for (v = td->vcpus; v; v = vn) {
			vn = v->next;
			free(v);
		}
		mrtd_free(td);
		free(td);
	}
	all_tds = NULL;
	for (td = free_tds; td; td = tn) {
		tn = td->next;
		free(td);
	}
	free_tds = NULL;
	for (v = free_vcpus; v; v = vn) {
		vn = v->next;
		free(v);
	}
	free_vcpus = NULL;
	memset(kot, 0, sizeof(kot));
	inject_reset();
	pamt_exit();
}

bool tdx_module_ready(void)
{
	return __atomic_load_n(&module_ready, __ATOMIC_ACQUIRE);
}

const struct tdx_module_config *tdx_module_get_config(void)
{
	return &seam_cfg;
}

int tdx_get_sysinfo(struct tdx_sys_info *info)
{
	if (!tdx_module_ready())
		return -ENODEV;
	memset(info, 0, sizeof(*info));
	info->major_version = 1;
	info->minor_version = 5;
	info->update_version = seam_cfg.vp_init_version ? 5 : 1;
	info->vp_init_max_version = seam_cfg.vp_init_version;
	info->attributes_fixed0 = TDX_SUPPORTED_ATTRS;
	info->attributes_fixed1 = 0;
	info->xfam_fixed0 = TDX_XFAM_FIXED0;
	info->xfam_fixed1 = TDX_XFAM_FIXED1;
	info->tdr_base_size = PAGE_SIZE;
	info->tdcs_base_size = TDX_NR_TDCS_PAGES * PAGE_SIZE;
	info->tdvps_base_size = (1 + TDX_NR_TDCX_PAGES) * PAGE_SIZE;
	info->max_vcpus_per_td = TDX_MAX_VCPUS_PER_TD;
	info->num_cpuid_config = 0;
	info->sept_5_level = true;
	return 0;
}

unsigned int tdx_nr_tdcs_pages(void)
{
	return TDX_NR_TDCS_PAGES;
}

unsigned int tdx_nr_tdcx_pages(void)
{
	return TDX_NR_TDCX_PAGES;
}

int tdx_guest_keyid_alloc(void)
{
	u64 old = __atomic_load_n(&keyid_bitmap, __ATOMIC_RELAXED);
	unsigned int id;

	for (;;) {
		for (id = 1; id <= seam_cfg.max_hkids; id++)
			if (!(old & BIT_ULL(id)))
				break;
		if (id > seam_cfg.max_hkids)
			return -ENOSPC;
		if (__atomic_compare_exchange_n(&keyid_bitmap, &old,
						old | BIT_ULL(id), false,
						__ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED))
			return id;
	}
}

void tdx_guest_keyid_free(unsigned int keyid)
{
	if (keyid && keyid <= TDX_MAX_HKIDS)
		__atomic_fetch_and(&keyid_bitmap, ~BIT_ULL(keyid),
				   __ATOMIC_ACQ_REL);
}

int tdx_module_send_ipi(u64 tdvpr_pa)
{
	struct tdx_vcpu *v = vcpu_lookup(tdvpr_pa);

	if (!v)
		return -ENOENT;
	__atomic_store_n(&v->ipi_pending, 1, __ATOMIC_RELEASE);
	return 0;
}

int tdx_module_set_guest(u64 tdvpr_pa, const struct tdx_guest_ops *ops,
			 void *guest)
{
	struct tdx_vcpu *v = vcpu_lookup(tdvpr_pa);

	if (!v)
		return -ENOENT;
	__atomic_store_n(&v->guest, guest, __ATOMIC_RELEASE);
	__atomic_store_n(&v->ops, ops, __ATOMIC_RELEASE);
	return 0;
}

int tdx_module_get_td_stats(u64 tdr_pa, struct tdx_td_stats *st)
{
	struct tdx_td *td = td_lookup(tdr_pa);

	if (!td)
		return -ENOENT;
	stats_copy_td(st, &td->stats);
	return 0;
}

int tdx_module_get_vcpu_stats(u64 tdvpr_pa, struct tdx_vcpu_stats *st)
{
	struct tdx_vcpu *v = vcpu_lookup(tdvpr_pa);

	if (!v)
		return -ENOENT;
	stats_copy_vcpu(st, &v->stats);
	return 0;
}

u64 tdx_module_pages_owned(u64 tdr_pa)
{
	struct tdx_td *td = td_lookup(tdr_pa);

	if (!td)
		return 0;
	return __atomic_load_n(&td->chldcnt, __ATOMIC_ACQUIRE) + 1;
}

/* ---------------------------------------------------------------------- */
/* Typed wrappers (register packing of arch/x86/virt/vmx/tdx/tdx.c)        */
/* ---------------------------------------------------------------------- */

static u64 gpa_level(u64 gpa, int level)
{
	return gpa | (u64)(level & 7);
}

static void ext_out(const struct tdx_module_args *a, u64 *e1, u64 *e2)
{
	if (e1)
		*e1 = a->rcx;
	if (e2)
		*e2 = a->rdx;
}

u64 tdh_vp_enter(u64 tdvpr_pa, struct tdx_module_args *args)
{
	args->rcx = tdvpr_pa;
	return seamcall(TDH_VP_ENTER, args);
}

u64 tdh_mng_addcx(u64 tdr_pa, u64 tdcs_pa)
{
	struct tdx_module_args a = { .rcx = tdcs_pa, .rdx = tdr_pa };

	return seamcall(TDH_MNG_ADDCX, &a);
}

u64 tdh_mem_page_add(u64 tdr_pa, u64 gpa, u64 page_pa, u64 source_pa,
		     u64 *ext_err1, u64 *ext_err2)
{
	struct tdx_module_args a = {
		.rcx = gpa, .rdx = tdr_pa, .r8 = page_pa, .r9 = source_pa,
	};
	u64 ret = seamcall(TDH_MEM_PAGE_ADD, &a);

	ext_out(&a, ext_err1, ext_err2);
	return ret;
}

u64 tdh_mem_sept_add(u64 tdr_pa, u64 gpa, int level, u64 sept_page_pa,
		     u64 *ext_err1, u64 *ext_err2)
{
	struct tdx_module_args a = {
		.rcx = gpa_level(gpa, level), .rdx = tdr_pa, .r8 = sept_page_pa,
	};
	u64 ret = seamcall(TDH_MEM_SEPT_ADD, &a);

	ext_out(&a, ext_err1, ext_err2);
	return ret;
}

u64 tdh_vp_addcx(u64 tdvpr_pa, u64 tdcx_pa)
{
	struct tdx_module_args a = { .rcx = tdcx_pa, .rdx = tdvpr_pa };

	return seamcall(TDH_VP_ADDCX, &a);
}

u64 tdh_mem_page_aug(u64 tdr_pa, u64 gpa, int level, u64 page_pa,
		     u64 *ext_err1, u64 *ext_err2)
{
	struct tdx_module_args a = {
		.rcx = gpa_level(gpa, level), .rdx = tdr_pa, .r8 = page_pa,
	};
	u64 ret = seamcall(TDH_MEM_PAGE_AUG, &a);

	ext_out(&a, ext_err1, ext_err2);
	return ret;
}

static u64 gpa_leaf(unsigned int leaf, u64 tdr_pa, u64 gpa, int level,
		    u64 *ext_err1, u64 *ext_err2)
{
	struct tdx_module_args a = {
		.rcx = gpa_level(gpa, level), .rdx = tdr_pa,
	};
	u64 ret = seamcall(leaf, &a);

	ext_out(&a, ext_err1, ext_err2);
	return ret;
}

u64 tdh_mem_range_block(u64 tdr_pa, u64 gpa, int level, u64 *ext_err1,
			u64 *ext_err2)
{
	return gpa_leaf(TDH_MEM_RANGE_BLOCK, tdr_pa, gpa, level, ext_err1,
			ext_err2);
}

u64 tdh_mng_key_config(u64 tdr_pa)
{
	struct tdx_module_args a = { .rcx = tdr_pa };

	return seamcall(TDH_MNG_KEY_CONFIG, &a);
}

u64 tdh_mng_create(u64 tdr_pa, u16 hkid)
{
	struct tdx_module_args a = { .rcx = tdr_pa, .rdx = hkid };

	return seamcall(TDH_MNG_CREATE, &a);
}

u64 tdh_vp_create(u64 tdr_pa, u64 tdvpr_pa)
{
	struct tdx_module_args a = { .rcx = tdvpr_pa, .rdx = tdr_pa };

	return seamcall(TDH_VP_CREATE, &a);
}

u64 tdh_mng_rd(u64 tdr_pa, u64 field, u64 *data)
{
	struct tdx_module_args a = { .rcx = tdr_pa, .rdx = field };
	u64 ret = seamcall(TDH_MNG_RD, &a);

	*data = a.r8;
	return ret;
}

u64 tdh_mem_page_demote(u64 tdr_pa, u64 gpa, int level, u64 new_sept_page_pa,
			u64 *ext_err1, u64 *ext_err2)
{
	struct tdx_module_args a = {
		.rcx = gpa_level(gpa, level), .rdx = tdr_pa,
		.r8 = new_sept_page_pa,
	};
	u64 ret = seamcall(TDH_MEM_PAGE_DEMOTE, &a);

	ext_out(&a, ext_err1, ext_err2);
	return ret;
}

u64 tdh_mr_extend(u64 tdr_pa, u64 gpa, u64 *ext_err1, u64 *ext_err2)
{
	struct tdx_module_args a = { .rcx = gpa, .rdx = tdr_pa };
	u64 ret = seamcall(TDH_MR_EXTEND, &a);

	ext_out(&a, ext_err1, ext_err2);
	return ret;
}

u64 tdh_mr_finalize(u64 tdr_pa)
{
	struct tdx_module_args a = { .rcx = tdr_pa };

	return seamcall(TDH_MR_FINALIZE, &a);
}

u64 tdh_vp_flush(u64 tdvpr_pa)
{
	struct tdx_module_args a = { .rcx = tdvpr_pa };

	return seamcall(TDH_VP_FLUSH, &a);
}

u64 tdh_mng_vpflushdone(u64 tdr_pa)
{
	struct tdx_module_args a = { .rcx = tdr_pa };

	return seamcall(TDH_MNG_VPFLUSHDONE, &a);
}

u64 tdh_mng_key_freeid(u64 tdr_pa)
{
	struct tdx_module_args a = { .rcx = tdr_pa };

	return seamcall(TDH_MNG_KEY_FREEID, &a);
}

u64 tdh_mng_init(u64 tdr_pa, u64 td_params_pa, u64 *extended_err)
{
	struct tdx_module_args a = { .rcx = tdr_pa, .rdx = td_params_pa };
	u64 ret = seamcall(TDH_MNG_INIT, &a);

	if (extended_err)
		*extended_err = a.rcx;
	return ret;
}

u64 tdh_vp_init(u64 tdvpr_pa, u64 initial_rcx, u32 x2apic_id)
{
	struct tdx_module_args a = {
		.rcx = tdvpr_pa, .rdx = initial_rcx, .r8 = x2apic_id,
	};
	int ver = seam_cfg.vp_init_version >= 1 ? 1 : 0;

	return seamcall(TDX_LEAF_VERSION(TDH_VP_INIT, ver), &a);
}

u64 tdh_mem_page_promote(u64 tdr_pa, u64 gpa, int level, u64 *ext_err1,
			 u64 *ext_err2)
{
	return gpa_leaf(TDH_MEM_PAGE_PROMOTE, tdr_pa, gpa, level, ext_err1,
			ext_err2);
}

u64 tdh_vp_rd(u64 tdvpr_pa, u64 field, u64 *data)
{
	struct tdx_module_args a = { .rcx = tdvpr_pa, .rdx = field };
	u64 ret = seamcall(TDH_VP_RD, &a);

	*data = a.r8;
	return ret;
}

u64 tdh_vp_wr(u64 tdvpr_pa, u64 field, u64 data, u64 mask)
{
	struct tdx_module_args a = {
		.rcx = tdvpr_pa, .rdx = field, .r8 = data, .r9 = mask,
	};

	return seamcall(TDH_VP_WR, &a);
}

u64 tdh_phymem_page_reclaim(u64 page_pa, u64 *tdx_pt, u64 *tdx_owner,
			    u64 *tdx_size)
{
	struct tdx_module_args a = { .rcx = page_pa };
	u64 ret = seamcall(TDH_PHYMEM_PAGE_RECLAIM, &a);

	if (tdx_pt)
		*tdx_pt = a.rcx;
	if (tdx_owner)
		*tdx_owner = a.rdx;
	if (tdx_size)
		*tdx_size = a.r8;
	return ret;
}

u64 tdh_mem_page_remove(u64 tdr_pa, u64 gpa, int level, u64 *ext_err1,
			u64 *ext_err2)
{
	return gpa_leaf(TDH_MEM_PAGE_REMOVE, tdr_pa, gpa, level, ext_err1,
			ext_err2);
}

u64 tdh_mem_sept_remove(u64 tdr_pa, u64 gpa, int level, u64 *ext_err1,
			u64 *ext_err2)
{
	return gpa_leaf(TDH_MEM_SEPT_REMOVE, tdr_pa, gpa, level, ext_err1,
			ext_err2);
}

u64 tdh_mem_track(u64 tdr_pa)
{
	struct tdx_module_args a = { .rcx = tdr_pa };

	return seamcall(TDH_MEM_TRACK, &a);
}

u64 tdh_mem_range_unblock(u64 tdr_pa, u64 gpa, int level, u64 *ext_err1,
			  u64 *ext_err2)
{
	return gpa_leaf(TDH_MEM_RANGE_UNBLOCK, tdr_pa, gpa, level, ext_err1,
			ext_err2);
}

u64 tdh_phymem_cache_wb(bool resume)
{
	struct tdx_module_args a = { .rcx = resume ? 1 : 0 };

	return seamcall(TDH_PHYMEM_CACHE_WB, &a);
}

u64 tdh_phymem_page_wbinvd_tdr(u64 tdr_pa)
{
	struct tdx_module_args a = { .rcx = tdr_pa };

	return seamcall(TDH_PHYMEM_PAGE_WBINVD, &a);
}

u64 tdh_phymem_page_wbinvd_hkid(u64 hkid, u64 page_pa)
{
	struct tdx_module_args a = {
		.rcx = page_pa | (hkid << TDX_KEYID_SHIFT),
	};

	return seamcall(TDH_PHYMEM_PAGE_WBINVD, &a);
}
