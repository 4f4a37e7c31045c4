/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tdxsim's addition to the TDP iterator: step over a run of non-present
 * SPTEs of one table in one go.
 *
 * A teardown zap (tdp_mmu_zap_root()) walks every entry of every table in
 * four passes over both roots; the kernel's walk costs a few loads per
 * empty entry, tdxsim's one iterator call, one resched check and one
 * present test each, about a third of a small scenario's run. For an empty
 * entry the loop body does nothing but tdp_mmu_iter_cond_resched(), which
 * yields only when rwlock_needbreak() says a waiter wants mmu_lock; with no
 * waiter, and nothing that could add one between two entries (no schedule
 * point, the write lock held), every check over the run says "no" as well.
 * So the caller skips only when no one waits, and the walk makes the same
 * SPTE changes, takes the same locks and reaches the same schedule points
 * as entry by entry.
 */
#ifndef TDXSIM_KVM_TDXSIM_TDP_ITER_H
#define TDXSIM_KVM_TDXSIM_TDP_ITER_H

#include "kvm/tdp_iter.h"

/*
 * @iter is at a non-present SPTE: move it to the last SPTE of the run of
 * non-present ones that follows in the same table, below @end, as if
 * tdp_iter_next() had stepped sideways over them (the next step leaves the
 * run).
 */
static inline void tdxsim_tdp_iter_skip_absent(struct tdp_iter *iter,
					       gfn_t end)
{
	u64 addr = (iter->gfn | iter->gfn_bits) << PAGE_SHIFT;
	unsigned int idx = SPTE_INDEX(addr, iter->level);
	gfn_t step = KVM_PAGES_PER_HPAGE(iter->level);
	u64 *p = iter->sptep;
	gfn_t gfn = iter->gfn;
	u64 spte = iter->old_spte;

	while (idx < SPTE_ENT_PER_PAGE - 1 && gfn + step < end) {
		u64 next = kvm_tdp_mmu_read_spte(p + 1);

		if (is_shadow_present_pte(next))
			break;
		p++;
		idx++;
		gfn += step;
		spte = next;
	}
	if (p == iter->sptep)
		return;
	iter->sptep = p;
	iter->gfn = gfn;
	iter->next_last_level_gfn = gfn;
	iter->old_spte = spte;
}

#endif /* TDXSIM_KVM_TDXSIM_TDP_ITER_H */
