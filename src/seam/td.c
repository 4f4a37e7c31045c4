// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TDs: the module's registry of TDs and the KOT (HKID -> TD), the helpers
 * every leaf uses on a TD (TDR lock, build state, OP_STATE, GPA|level
 * operands, TLB tracking), and the TD management leaves TDH.MNG.CREATE,
 * KEY.CONFIG, ADDCX, INIT, VPFLUSHDONE, KEY.FREEID and RD (reference
 * tdx-module.md §3, §5.1-§5.5, §5.15, §5.17).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/page_alloc.h"
#include "base/sched.h"
#include "ulib/strbuf.h"
#include "seam/seam_internal.h"

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
static u64 td_create_seq;

/* ---------------------------------------------------------------------- */
/* Common TD helpers                                                      */
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
	*tdp = pamt_obj(e);
	return TDX_SUCCESS;
}

void td_unlock_tdr(struct tdx_td *td, bool excl)
{
	if (td)
		pamt_unlock_4k(td->tdr_pa >> PAGE_SHIFT, excl);
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

	if (!tdx_module_ready() || !pamt_pa_valid(tdr_pa))
		return NULL;
	e = pamt_entry(tdr_pa >> PAGE_SHIFT);
	if (READ_ONCE(e->pt) != TDX_PT_TDR)
		return NULL;
	return pamt_obj(e);
}

struct tdx_td *kot_lookup(u64 hkid)
{
	if (!hkid || hkid > TDX_MAX_HKIDS)
		return NULL;
	return __atomic_load_n(&kot[hkid], __ATOMIC_ACQUIRE);
}

/* Lock a new 4K page given in @opid exclusively and check it is free. */
u64 lock_new_page(u64 pa, u64 opid)
{
	u64 pfn = pa >> PAGE_SHIFT, err;

	if (!pamt_pa_valid(pa))
		return tdx_err(TDX_OPERAND_INVALID, opid);
	if (pamt_lock_4k(pfn, true))
		return tdx_err(TDX_OPERAND_BUSY, opid);
	err = dpamt_check_4k(pfn, opid);
	if (!err && READ_ONCE(pamt_entry(pfn)->pt) != TDX_PT_NDA)
		err = tdx_err(TDX_PAGE_METADATA_INCORRECT, opid);
	if (err)
		pamt_unlock_4k(pfn, true);
	return err;
}

void td_free_all(void)
{
	struct tdx_td *td, *tn;
	struct tdx_vcpu *v, *vn;

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
	kot_lock.v = 0;
}

/* A zeroed TD structure, reused from a gone TD if there is one. */
static struct tdx_td *td_alloc(void)
{
	struct tdx_td *td;

	pthread_mutex_lock(&td_list_lock);
	td = free_tds;
	if (td)
		free_tds = td->next;
	pthread_mutex_unlock(&td_list_lock);
	/* Aligned as the struct says: its hot lines are laid out for it. */
	if (!td && posix_memalign((void **)&td, __alignof__(*td),
				  sizeof(*td)))
		abort();	/* out of memory, as xzalloc() */
	memset(td, 0, sizeof(*td));
	return td;
}

struct tdx_vcpu *vcpu_alloc(void)
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

void td_retire(struct tdx_td *td)
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

/* ---------------------------------------------------------------------- */
/* TD life cycle (TDH.MNG.*)                                              */
/* ---------------------------------------------------------------------- */

u64 seam_mng_create(struct seam_call *c)
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
	/* Taken shared by every vCPU's SEAMCALLs: reader-biased (locks.c). */
	sharex_hp_set_bias(&td->op_state_lock);
	sharex_set_bias(&td->sept_lock);
	sharex_set_bias(&td->epoch_lock);
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

u64 seam_mng_key_config(struct seam_call *c)
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

u64 seam_mng_addcx(struct seam_call *c)
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
	/* 100 MHz to 10 GHz. */
	if (p->tsc_frequency < 4 || p->tsc_frequency > 400)
		return tdx_err(TDX_OPERAND_INVALID,
			       TDX_OPERAND_ID_TSC_FREQUENCY);
	return seam_cpuid_check_params(p);
}

u64 seam_mng_init(struct seam_call *c)
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
	memcpy(td->mrconfigid, p.mrconfigid, sizeof(td->mrconfigid));
	memcpy(td->mrowner, p.mrowner, sizeof(td->mrowner));
	memcpy(td->mrownerconfig, p.mrownerconfig, sizeof(td->mrownerconfig));
	td->config_flags = p.config_flags;
	td->max_vcpus = p.max_vcpus;
	td->pwl = (p.eptp_controls >> TDX_EPTP_PWL_SHIFT) & 7;
	td->gpaw = (p.config_flags & TDX_CONFIG_FLAGS_MAX_GPAW) ? 52 : 48;
	td->shared_mask = BIT_ULL(td->gpaw - 1);
	td->pending_ve_disable = p.attributes & TDX_TD_ATTR_SEPT_VE_DISABLE;
	td->tsc_frequency = p.tsc_frequency;
	seam_cpuid_init_td(td, &p);
	__atomic_store_n(&td->td_epoch, 1, __ATOMIC_RELEASE);
	td->refcount[0] = td->refcount[1] = 0;
	td->num_vcpus = 0;
	WRITE_ONCE(td->op_state, OP_STATE_INITIALIZED);
out:
	td_unlock_tdr(td, true);
	return err;
}

u64 seam_mng_vpflushdone(struct seam_call *c)
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

u64 seam_mng_key_freeid(struct seam_call *c)
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

u64 seam_mng_rd(struct seam_call *c)
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
		case TDCS_TSC_FREQUENCY:
			val = td->tsc_frequency;
			break;
		default:
			if ((field & ~TDCS_CPUID_FIELD_MASK) ==
			    TDCS_CPUID_VALUES) {
				err = seam_cpuid_read(td, field, &val);
				break;
			}
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
