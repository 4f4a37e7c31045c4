// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vCPUs: finding and locking a vCPU by its TDVPR, and the vCPU management
 * leaves TDH.VP.CREATE, ADDCX, INIT, FLUSH, RD and WR (reference
 * tdx-module.md §3, §5.6, §5.7). TDH.VP.ENTER, which runs the guest, is in
 * guest.c.
 */
#include "base/page_alloc.h"
#include "base/sched.h"
#include "ulib/strbuf.h"
#include "seam/seam_internal.h"

/* ---------------------------------------------------------------------- */
/* Common vCPU helpers                                                    */
/* ---------------------------------------------------------------------- */

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
	v = pamt_obj(e);
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

struct tdx_vcpu *vcpu_lookup(u64 tdvpr_pa)
{
	struct pamt_entry *e;

	if (!tdx_module_ready() || !pamt_pa_valid(tdvpr_pa))
		return NULL;
	e = pamt_entry(tdvpr_pa >> PAGE_SHIFT);
	if (READ_ONCE(e->pt) != TDX_PT_TDVPR)
		return NULL;
	return pamt_obj(e);
}

/* ---------------------------------------------------------------------- */
/* vCPU life cycle (TDH.VP.*)                                             */
/* ---------------------------------------------------------------------- */

u64 seam_vp_create(struct seam_call *c)
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

u64 seam_vp_addcx(struct seam_call *c)
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

u64 seam_vp_init(struct seam_call *c)
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

u64 seam_vp_flush(struct seam_call *c)
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

u64 seam_vp_rd_wr(struct seam_call *c)
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
