// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The memory management leaves TDH.MEM.* (reference tdx-module.md
 * §5.8-§5.16, §7): SEPT.ADD and SEPT.REMOVE, PAGE.ADD, PAGE.AUG and
 * PAGE.REMOVE, RANGE.BLOCK and RANGE.UNBLOCK, PAGE.DEMOTE and PAGE.PROMOTE,
 * TRACK. Each follows the module's order through sept_op_begin() (sept.c):
 * TDR lock, build state and OP_STATE, OP_STATE lock, GPA|level operand,
 * S-EPT tree lock, walk, entry lock, then the state table, the PAMT of the
 * page involved, one schedule point named after the leaf while everything
 * is held, and the change.
 */
#include <stdlib.h>
#include <string.h>

#include "base/page_alloc.h"
#include "base/sched.h"
#include "ulib/strbuf.h"
#include "seam/seam_internal.h"

#define RDX_FLAGS_RSVD	(GENMASK_ULL(11, 1) | GENMASK_ULL(63, 52))


/* ---------------------------------------------------------------------- */
/* TDH.MEM.SEPT.ADD                                                        */
/* ---------------------------------------------------------------------- */

u64 seam_mem_sept_add(struct seam_call *c)
{
	struct tdx_module_args *a = c->args;
	u64 rcx = a->rcx, rdx = a->rdx, new_pa = a->r8;
	bool allow_existing = rdx & 1;
	struct sept_op op;
	u64 err;

	a->rcx = a->rdx = 0;
	if (rdx & RDX_FLAGS_RSVD)
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RDX);
	err = sept_op_begin(&op, c, "tdh_mem_sept_add", rdx & PAGE_MASK, rcx,
			    1, 4, false, TREE_SHARED, true);
	c->td = op.td;
	if (err)
		goto out;
	if (op.state == SEPT_NL_MAPPED && allow_existing) {
		sched_point_named(op.site);
		goto out;
	}
	if (op.state != SEPT_FREE) {
		err = state_incorrect(&op);
		goto out;
	}
	err = lock_new_page_r8(new_pa);
	if (err)
		goto out;
	sched_point_named(op.site);

	sept_page_init_free(new_pa);
	pamt_set(new_pa >> PAGE_SHIFT, 0, TDX_PT_EPT, op.td->tdr_pa, op.gpa);
	td_add_children(op.td, 1);
	sept_entry_set(op.ep, sept_make(SEPT_NL_MAPPED, new_pa));
	pamt_unlock_4k(new_pa >> PAGE_SHIFT, true);
out:
	sept_op_end(&op);
	return err;
}

/* ---------------------------------------------------------------------- */
/* TDH.MEM.PAGE.ADD                                                        */
/* ---------------------------------------------------------------------- */

u64 seam_mem_page_add(struct seam_call *c)
{
	struct tdx_module_args *a = c->args;
	u64 rcx = a->rcx, rdx = a->rdx, page_pa = a->r8, src_pa = a->r9;
	struct pamt_entry *spe;
	struct sept_op op;
	u64 err;

	a->rcx = a->rdx = 0;
	/* TDR exclusive implies an exclusive tree and entry: no locks there. */
	err = sept_op_begin(&op, c, "tdh_mem_page_add", rdx, rcx, 0, 0, true,
			    TREE_NONE, false);
	c->td = op.td;
	if (err)
		goto out;
	if (op.state != SEPT_FREE) {
		err = state_incorrect(&op);
		goto out;
	}
	spe = pamt_entry(src_pa >> PAGE_SHIFT);
	if (!pamt_pa_valid(src_pa) || READ_ONCE(spe->pt) != TDX_PT_NDA) {
		err = tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_R9);
		goto out;
	}
	err = lock_new_page_r8(page_pa);
	if (err)
		goto out;
	sched_point_named(op.site);

	/* Encrypted straight from the source (in place if it is the page). */
	mktme_write(op.td->key, page_pa, pfn_to_virt(src_pa >> PAGE_SHIFT),
		    PAGE_SIZE);
	pamt_set(page_pa >> PAGE_SHIFT, 0, TDX_PT_REG, op.td->tdr_pa, op.gpa);
	td_add_children(op.td, 1);
	sept_entry_set(op.ep, sept_make(SEPT_MAPPED, page_pa));
	mrtd_page_add(op.td, op.gpa);
	pamt_unlock_4k(page_pa >> PAGE_SHIFT, true);
out:
	sept_op_end(&op);
	return err;
}

/* ---------------------------------------------------------------------- */
/* TDH.MEM.PAGE.AUG                                                        */
/* ---------------------------------------------------------------------- */

u64 seam_mem_page_aug(struct seam_call *c)
{
	struct tdx_module_args *a = c->args;
	u64 rcx = a->rcx, rdx = a->rdx, page_pa = a->r8, pfn;
	struct sept_op op;
	u64 err;

	a->rcx = a->rdx = 0;
	err = sept_op_begin(&op, c, "tdh_mem_page_aug", rdx, rcx, 0, 1, false,
			    TREE_SHARED, true);
	c->td = op.td;
	if (err)
		goto out;
	if (op.state != SEPT_FREE && op.state != SEPT_REMOVED) {
		err = state_incorrect(&op);
		goto out;
	}
	err = r8_page_check(page_pa);
	if (err)
		goto out;
	pfn = page_pa >> PAGE_SHIFT;
	if (op.level) {
		if (!IS_ALIGNED(page_pa, SZ_2M) ||
		    pfn + 512 > pamt_nr_pfns) {
			err = tdx_err(TDX_PAGE_METADATA_INCORRECT,
				      TDX_OPERAND_ID_R8);
			goto out;
		}
	}
	if (pamt_lock_range(pfn, op.level)) {
		err = tdx_err(TDX_OPERAND_BUSY, TDX_OPERAND_ID_R8);
		goto out;
	}
	/* DPAMT: a 4K page needs its region's pair, a 2M one a bare region. */
	if (!op.level)
		err = dpamt_check_4k(pfn, TDX_OPERAND_ID_R8);
	else if (dpamt_has_pair(pfn))
		err = tdx_err(TDX_PAGE_METADATA_INCORRECT, TDX_OPERAND_ID_R8);
	if (!err && !pamt_range_free(pfn, op.level))
		err = tdx_err(TDX_PAGE_METADATA_INCORRECT, TDX_OPERAND_ID_R8);
	if (err) {
		pamt_unlock_range(pfn, op.level);
		goto out;
	}
	sched_point_named(op.site);

	pamt_set(pfn, op.level, TDX_PT_REG, op.td->tdr_pa, op.gpa);
	td_add_children(op.td, 1LL << (9 * op.level));
	sept_entry_set(op.ep, sept_make(SEPT_PENDING, page_pa));
	pamt_unlock_range(pfn, op.level);
out:
	sept_op_end(&op);
	return err;
}

/* ---------------------------------------------------------------------- */
/* TDH.MEM.RANGE.BLOCK / UNBLOCK                                           */
/* ---------------------------------------------------------------------- */

u64 seam_mem_range_block(struct seam_call *c)
{
	struct tdx_module_args *a = c->args;
	u64 rcx = a->rcx, rdx = a->rdx;
	enum sept_state ns;
	struct pamt_entry *pe;
	struct sept_op op;
	u64 err;

	a->rcx = a->rdx = 0;
	err = sept_op_begin(&op, c, "tdh_mem_range_block", rdx, rcx, 0, 4,
			    false, TREE_EXCL, true);
	c->td = op.td;
	if (err)
		goto out;
	switch (op.state) {
	case SEPT_NL_MAPPED:
		ns = SEPT_NL_BLOCKED;
		break;
	case SEPT_MAPPED:
	case SEPT_BLOCKEDW:
		ns = SEPT_BLOCKED;
		break;
	case SEPT_PENDING:
	case SEPT_PENDING_BLOCKEDW:
		ns = SEPT_PENDING_BLOCKED;
		break;
	default:
		if (sept_state_any_blocked(op.state))
			err = sept_fail(&op,
					tdx_err(TDX_GPA_RANGE_ALREADY_BLOCKED,
						TDX_OPERAND_ID_RCX),
					op.entry, op.level);
		else
			err = state_incorrect(&op);
		goto out;
	}
	sched_point_named(op.site);

	pe = pamt_entry(sept_hpa(op.entry) >> PAGE_SHIFT);
	if (pe)
		pamt_set_bepoch(pe, __atomic_load_n(&op.td->td_epoch,
						    __ATOMIC_ACQUIRE));
	/* Keep the accept counter of a 2M PENDING leaf. */
	sept_entry_set(op.ep, sept_make(ns, sept_hpa(op.entry)));
out:
	sept_op_end(&op);
	return err;
}

u64 seam_mem_range_unblock(struct seam_call *c)
{
	struct tdx_module_args *a = c->args;
	u64 rcx = a->rcx, rdx = a->rdx;
	enum sept_state ns;
	struct sept_op op;
	u64 err;

	a->rcx = a->rdx = 0;
	err = sept_op_begin(&op, c, "tdh_mem_range_unblock", rdx, rcx, 0, 4,
			    false, TREE_EXCL, true);
	c->td = op.td;
	if (err)
		goto out;
	switch (op.state) {
	case SEPT_NL_BLOCKED:
		ns = SEPT_NL_MAPPED;
		break;
	case SEPT_BLOCKED:
		ns = SEPT_MAPPED;
		break;
	case SEPT_PENDING_BLOCKED:
		ns = SEPT_PENDING;
		break;
	default:
		err = state_incorrect(&op);
		goto out;
	}
	err = check_blocked_tracked(&op, sept_hpa(op.entry), false,
				    TDX_OPERAND_ID_SEPT);
	if (err)
		goto out;
	sched_point_named(op.site);
	sept_entry_set(op.ep, sept_make(ns, sept_hpa(op.entry)));
out:
	sept_op_end(&op);
	return err;
}

/* ---------------------------------------------------------------------- */
/* TDH.MEM.PAGE.REMOVE / TDH.MEM.SEPT.REMOVE                               */
/* ---------------------------------------------------------------------- */

u64 seam_mem_page_remove(struct seam_call *c)
{
	struct tdx_module_args *a = c->args;
	u64 rcx = a->rcx, rdx = a->rdx, hpa, pfn;
	struct sept_op op;
	u64 err;

	a->rcx = a->rdx = 0;
	err = sept_op_begin(&op, c, "tdh_mem_page_remove", rdx, rcx, 0, 2,
			    false, TREE_SHARED, true);
	c->td = op.td;
	if (err)
		goto out;
	switch (op.state) {
	case SEPT_MAPPED:
	case SEPT_BLOCKED:
	case SEPT_BLOCKEDW:
	case SEPT_PENDING:
	case SEPT_PENDING_BLOCKED:
	case SEPT_PENDING_BLOCKEDW:
		break;
	default:
		err = state_incorrect(&op);
		goto out;
	}
	hpa = leaf_base_hpa(op.entry, op.level);
	err = check_blocked_tracked(&op, hpa, true, TDX_OPERAND_ID_RCX);
	if (err)
		goto out;
	pfn = hpa >> PAGE_SHIFT;
	if (pamt_lock_range(pfn, op.level)) {
		err = sept_fail(&op, tdx_err(TDX_OPERAND_BUSY,
					     TDX_OPERAND_ID_RCX),
				op.entry, op.level);
		goto out;
	}
	sched_point_named(op.site);

	sept_entry_set(op.ep, SEPT_FREE_RAW);
	pamt_set(pfn, op.level, TDX_PT_NDA, 0, 0);
	td_add_children(op.td, -(1LL << (9 * op.level)));
	pamt_unlock_range(pfn, op.level);
	a->rcx = hpa;
	a->rdx = 0;
out:
	sept_op_end(&op);
	return err;
}

u64 seam_mem_sept_remove(struct seam_call *c)
{
	struct tdx_module_args *a = c->args;
	u64 rcx = a->rcx, rdx = a->rdx, child, *cp;
	struct sept_op op;
	u64 err;
	int i;

	a->rcx = a->rdx = 0;
	err = sept_op_begin(&op, c, "tdh_mem_sept_remove", rdx, rcx, 1, 4,
			    false, TREE_EXCL, true);
	c->td = op.td;
	if (err)
		goto out;
	if (op.state != SEPT_NL_MAPPED && op.state != SEPT_NL_BLOCKED) {
		err = state_incorrect(&op);
		goto out;
	}
	child = sept_hpa(op.entry);
	err = check_blocked_tracked(&op, child, true, TDX_OPERAND_ID_RCX);
	if (err)
		goto out;
	cp = sept_page(child);
	for (i = 0; i < 512; i++) {
		if (sept_state_of(sept_entry_read(&cp[i])) != SEPT_FREE) {
			err = sept_fail(&op, tdx_err(TDX_EPT_PAGE_NOT_FREE,
						     TDX_OPERAND_ID_RCX),
					op.entry, op.level);
			goto out;
		}
	}
	if (pamt_lock_4k(child >> PAGE_SHIFT, true)) {
		err = sept_fail(&op, tdx_err(TDX_OPERAND_BUSY,
					     TDX_OPERAND_ID_RCX),
				op.entry, op.level);
		goto out;
	}
	sched_point_named(op.site);

	sept_entry_set(op.ep, SEPT_FREE_RAW);
	/* The host gets the page back as TD-key ciphertext. */
	mktme_zero(op.td->key, child, PAGE_SIZE);
	pamt_set(child >> PAGE_SHIFT, 0, TDX_PT_NDA, 0, 0);
	td_add_children(op.td, -1);
	pamt_unlock_4k(child >> PAGE_SHIFT, true);
	a->rcx = child;
	a->rdx = 0;
out:
	sept_op_end(&op);
	return err;
}

/* ---------------------------------------------------------------------- */
/* TDH.MEM.PAGE.DEMOTE / PROMOTE                                           */
/* ---------------------------------------------------------------------- */

u64 seam_mem_page_demote(struct seam_call *c)
{
	struct tdx_module_args *a = c->args;
	u64 rcx = a->rcx, rdx = a->rdx, new_pa = a->r8, base, child_size;
	u64 pair0 = a->r12, pair1 = a->r13;
	bool take_pair;
	enum sept_state cs;
	struct sept_op op;
	u64 err, *np;
	int i;

	a->rcx = a->rdx = 0;
	if (rdx & RDX_FLAGS_RSVD)
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RDX);
	err = sept_op_begin(&op, c, "tdh_mem_page_demote", rdx & PAGE_MASK,
			    rcx, 1, 2, false, TREE_SHARED, true);
	c->td = op.td;
	if (err)
		goto out;
	switch (op.state) {
	case SEPT_MAPPED:
	case SEPT_BLOCKED:
		cs = SEPT_MAPPED;
		break;
	case SEPT_PENDING:
	case SEPT_PENDING_BLOCKED:
		cs = SEPT_PENDING;
		break;
	default:
		err = state_incorrect(&op);
		goto out;
	}
	base = leaf_base_hpa(op.entry, op.level);
	err = check_blocked_tracked(&op, base, true, TDX_OPERAND_ID_RCX);
	if (err)
		goto out;
	err = lock_new_page_r8(new_pa);
	if (err)
		goto out;
	if (pamt_lock_range(base >> PAGE_SHIFT, op.level)) {
		pamt_unlock_4k(new_pa >> PAGE_SHIFT, true);
		err = sept_fail(&op, tdx_err(TDX_OPERAND_BUSY,
					     TDX_OPERAND_ID_RCX),
				op.entry, op.level);
		goto out;
	}
	/*
	 * DPAMT: splitting a 2M page makes 512 4K entries: the region's pair
	 * comes in R12 and R13 (v6's and the hugepage RFC's wrappers).
	 */
	take_pair = dpamt_enabled() && op.level == 1;
	if (take_pair) {
		if (dpamt_has_pair(base >> PAGE_SHIFT))
			err = tdx_err(TDX_HPA_RANGE_NOT_FREE,
				      TDX_OPERAND_ID_RCX);
		else
			err = dpamt_take_pair(base >> PAGE_SHIFT, pair0,
					      TDX_OPERAND_ID_R12, pair1,
					      TDX_OPERAND_ID_R13);
		if (err) {
			pamt_unlock_range(base >> PAGE_SHIFT, op.level);
			pamt_unlock_4k(new_pa >> PAGE_SHIFT, true);
			if (tdx_operand_busy(err))
				err = sept_fail(&op, err, op.entry, op.level);
			goto out;
		}
	}
	sched_point_named(op.site);

	if (take_pair)
		dpamt_commit_pair(base >> PAGE_SHIFT, pair0, pair1);
	child_size = sept_level_size(op.level - 1);
	np = sept_page(new_pa);
	for (i = 0; i < 512; i++)
		__atomic_store_n(&np[i], sept_make(cs, base + i * child_size),
				 __ATOMIC_RELAXED);
	for (i = 0; i < 512; i++)
		pamt_set((base + i * child_size) >> PAGE_SHIFT, op.level - 1,
			 TDX_PT_REG, op.td->tdr_pa, op.gpa + i * child_size);
	pamt_set(new_pa >> PAGE_SHIFT, 0, TDX_PT_EPT, op.td->tdr_pa, op.gpa);
	td_add_children(op.td, 1);
	sept_entry_set(op.ep, sept_make(SEPT_NL_MAPPED, new_pa));
	pamt_unlock_range(base >> PAGE_SHIFT, op.level);
	pamt_unlock_4k(new_pa >> PAGE_SHIFT, true);
out:
	sept_op_end(&op);
	return err;
}

u64 seam_mem_page_promote(struct seam_call *c)
{
	const u64 bad_promote = tdx_err(TDX_EPT_INVALID_PROMOTE_CONDITIONS,
					TDX_OPERAND_ID_RCX);
	struct tdx_module_args *a = c->args;
	u64 rcx = a->rcx, rdx = a->rdx, child, *cp, c0, hpa0, child_size;
	enum sept_state s0;
	struct sept_op op;
	int i, locked = 0;
	u64 err;

	a->rcx = a->rdx = 0;
	err = sept_op_begin(&op, c, "tdh_mem_page_promote", rdx, rcx, 1, 2,
			    false, TREE_SHARED, true);
	c->td = op.td;
	if (err)
		goto out;
	if (op.state != SEPT_NL_MAPPED && op.state != SEPT_NL_BLOCKED) {
		err = state_incorrect(&op);
		goto out;
	}
	child = sept_hpa(op.entry);
	err = check_blocked_tracked(&op, child, true, TDX_OPERAND_ID_RCX);
	if (err)
		goto out;
	if (pamt_lock_4k(child >> PAGE_SHIFT, true)) {
		err = sept_fail(&op, tdx_err(TDX_OPERAND_BUSY,
					     TDX_OPERAND_ID_RCX),
				op.entry, op.level);
		goto out;
	}
	cp = sept_page(child);
	for (locked = 0; locked < 512; locked++) {
		if (!sept_entry_lock_host(&cp[locked])) {
			err = sept_fail(&op, tdx_err(TDX_OPERAND_BUSY,
						     TDX_OPERAND_ID_RCX),
					op.entry, op.level);
			goto unlock;
		}
	}
	child_size = sept_level_size(op.level - 1);
	c0 = sept_entry_read(&cp[0]) & ~SEPT_LOCK_BITS;
	s0 = sept_state_of(c0);
	hpa0 = sept_hpa(c0);
	if ((s0 != SEPT_MAPPED && s0 != SEPT_PENDING) ||
	    !IS_ALIGNED(hpa0, sept_level_size(op.level))) {
		err = sept_fail(&op, bad_promote, op.entry, op.level);
		goto unlock;
	}
	for (i = 1; i < 512; i++) {
		u64 ci = sept_entry_read(&cp[i]) & ~SEPT_LOCK_BITS;

		if (ci != c0 + i * child_size) {
			err = sept_fail(&op, bad_promote, op.entry,
					op.level);
			goto unlock;
		}
	}
	if (pamt_lock_range(hpa0 >> PAGE_SHIFT, op.level)) {
		err = sept_fail(&op, tdx_err(TDX_OPERAND_BUSY,
					     TDX_OPERAND_ID_RCX),
				op.entry, op.level);
		goto unlock;
	}
	sched_point_named(op.site);

	pamt_set(hpa0 >> PAGE_SHIFT, op.level, TDX_PT_REG, op.td->tdr_pa,
		 op.gpa);
	sept_entry_set(op.ep, sept_make(s0, hpa0));
	for (i = 0; i < 512; i++)
		sept_entry_unlock(&cp[i]);
	locked = 0;
	mktme_zero(op.td->key, child, PAGE_SIZE);
	pamt_set(child >> PAGE_SHIFT, 0, TDX_PT_NDA, 0, 0);
	td_add_children(op.td, -1);
	/* DPAMT: the merged region's pair is no longer needed: R12, R13. */
	if (op.level == 1 && dpamt_has_pair(hpa0 >> PAGE_SHIFT))
		dpamt_drop_pair(hpa0 >> PAGE_SHIFT, &a->r12, &a->r13);
	pamt_unlock_range(hpa0 >> PAGE_SHIFT, op.level);
	a->rcx = child;
	a->rdx = 0;
unlock:
	while (locked--)
		sept_entry_unlock(&cp[locked]);
	pamt_unlock_4k(child >> PAGE_SHIFT, true);
out:
	sept_op_end(&op);
	return err;
}

/* ---------------------------------------------------------------------- */
/* TDH.MEM.TRACK                                                           */
/* ---------------------------------------------------------------------- */

u64 seam_mem_track(struct seam_call *c)
{
	struct tdx_module_args *a = c->args;
	struct tdx_td *td;
	u64 err, epoch;

	err = td_lock_tdr(c, a->rcx, TDX_OPERAND_ID_RCX, false, &td);
	if (err)
		return err;
	c->td = td;
	err = td_check_state_lock_op(td, c->leaf);
	if (err)
		goto unlock_tdr;
	if (!sharex_try_excl(&td->epoch_lock)) {
		err = tdx_err(TDX_OPERAND_BUSY, TDX_OPERAND_ID_TD_EPOCH);
		goto unlock_opst;
	}
	sched_point_named("tdh_mem_track");
	epoch = __atomic_load_n(&td->td_epoch, __ATOMIC_ACQUIRE);
	if (__atomic_load_n(&td->refcount[(epoch - 1) & 1], __ATOMIC_ACQUIRE))
		err = TDX_PREVIOUS_TLB_EPOCH_BUSY;
	else
		__atomic_store_n(&td->td_epoch, epoch + 1, __ATOMIC_RELEASE);
	sharex_release_excl(&td->epoch_lock);
unlock_opst:
	td_unlock_op_state(td);
unlock_tdr:
	td_unlock_tdr(td, false);
	return err;
}
