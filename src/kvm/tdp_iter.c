// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The TDP iterator: walks the SPTEs of one root in pre-order over a gfn
 * range, stepping into present non-leaf entries down to min_level and
 * skipping everything that is not present. It keeps the path of table
 * pointers from the root so it can step sideways and back up without
 * re-walking. Callers hold RCU (tables are freed through call_rcu()).
 */
#include "base/log.h"
#include "kvm/tdp_iter.h"

static gfn_t round_gfn_for_level(gfn_t gfn, int level)
{
	return gfn & -(gfn_t)KVM_PAGES_PER_HPAGE(level);
}

/* Point sptep at the entry for iter->gfn in the table of iter->level. */
static void tdp_iter_refresh_sptep(struct tdp_iter *iter)
{
	u64 addr = (iter->gfn | iter->gfn_bits) << PAGE_SHIFT;

	iter->sptep = iter->pt_path[iter->level - 1] +
		      SPTE_INDEX(addr, iter->level);
	iter->old_spte = tdxsim_tdp_iter_read_spte(iter->sptep, iter->level);
}

void tdp_iter_restart(struct tdp_iter *iter)
{
	iter->yielded = false;
	iter->yielded_gfn = iter->next_last_level_gfn;
	iter->level = iter->root_level;
	iter->gfn = round_gfn_for_level(iter->next_last_level_gfn, iter->level);
	tdp_iter_refresh_sptep(iter);
	iter->valid = true;
}

void tdp_iter_start(struct tdp_iter *iter, struct kvm_mmu_page *root,
		    int min_level, gfn_t next_last_level_gfn, gfn_t gfn_bits)
{
	if (WARN_ON_ONCE(!root || root->role.level < 1 ||
			 root->role.level > PT64_ROOT_MAX_LEVEL)) {
		iter->valid = false;
		return;
	}
	iter->next_last_level_gfn = next_last_level_gfn;
	iter->gfn_bits = gfn_bits;
	iter->root_level = root->role.level;
	iter->min_level = min_level;
	iter->pt_path[iter->root_level - 1] = root->spt;
	tdp_iter_restart(iter);
}

/* The table a non-leaf SPTE points to, or NULL. */
static u64 *spte_to_child_pt(u64 spte, int level)
{
	if (!is_shadow_present_pte(spte) || is_last_spte(spte, level))
		return NULL;
	return pfn_to_virt(spte_to_pfn(spte));
}

static bool try_step_down(struct tdp_iter *iter)
{
	u64 *child_pt;

	if (iter->level == iter->min_level)
		return false;
	/* The entry may have changed since it was read: read it again. */
	iter->old_spte = tdxsim_tdp_iter_read_spte(iter->sptep, iter->level);
	child_pt = spte_to_child_pt(iter->old_spte, iter->level);
	if (!child_pt)
		return false;
	iter->level--;
	iter->pt_path[iter->level - 1] = child_pt;
	iter->gfn = round_gfn_for_level(iter->next_last_level_gfn, iter->level);
	tdp_iter_refresh_sptep(iter);
	return true;
}

static bool try_step_side(struct tdp_iter *iter)
{
	u64 addr = (iter->gfn | iter->gfn_bits) << PAGE_SHIFT;

	/* Last entry of its table: the caller steps up instead. */
	if (SPTE_INDEX(addr, iter->level) == SPTE_ENT_PER_PAGE - 1)
		return false;
	iter->gfn += KVM_PAGES_PER_HPAGE(iter->level);
	iter->next_last_level_gfn = iter->gfn;
	iter->sptep++;
	iter->old_spte = tdxsim_tdp_iter_read_spte(iter->sptep, iter->level);
	return true;
}

static bool try_step_up(struct tdp_iter *iter)
{
	if (iter->level == iter->root_level)
		return false;
	iter->level++;
	iter->gfn = round_gfn_for_level(iter->gfn, iter->level);
	tdp_iter_refresh_sptep(iter);
	return true;
}

void tdp_iter_next(struct tdp_iter *iter)
{
	if (iter->yielded) {
		tdp_iter_restart(iter);
		return;
	}
	if (try_step_down(iter))
		return;
	do {
		if (try_step_side(iter))
			return;
	} while (try_step_up(iter));
	iter->valid = false;
}
