// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The physical memory leaves: TDH.PHYMEM.PAGE.RECLAIM (a page of a
 * torn-down TD goes back to the host), TDH.PHYMEM.PAGE.WBINVD and
 * TDH.PHYMEM.CACHE.WB (reference tdx-module.md §5.18, §12).
 */
#include "base/page_alloc.h"
#include "base/sched.h"
#include "seam/seam_internal.h"

u64 seam_phymem_page_reclaim(struct seam_call *c)
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
	level = READ_ONCE(e->pt) == TDX_PT_REG ? pamt_size(e) : 0;
	if (pa & (sept_level_size(level) - 1))
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	if (pamt_lock_range(pfn, level))
		return tdx_err(TDX_OPERAND_BUSY, TDX_OPERAND_ID_RCX);
	pt = READ_ONCE(e->pt);
	if (pt == TDX_PT_NDA || pt == TDX_PT_RSVD ||
	    (pt == TDX_PT_REG && pamt_size(e) != level)) {
		err = tdx_err(TDX_PAGE_METADATA_INCORRECT, TDX_OPERAND_ID_RCX);
		goto unlock;
	}
	owner = pamt_owner(e);
	td = pamt_obj(pamt_entry(owner >> PAGE_SHIFT));
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
			struct tdx_vcpu *v = pamt_obj(e);
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

u64 seam_phymem_page_wbinvd(struct seam_call *c)
{
	u64 pa = c->args->rcx & (BIT_ULL(TDX_KEYID_SHIFT) - 1);
	u64 pfn = pa >> PAGE_SHIFT, err = TDX_SUCCESS;

	/* Count it for the TD whose private HKID it names (its statistics). */
	c->td = kot_lookup(c->args->rcx >> TDX_KEYID_SHIFT);
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

u64 seam_phymem_cache_wb(struct seam_call *c)
{
	sched_point_named("tdh_phymem_cache_wb");
	return TDX_SUCCESS;
}
