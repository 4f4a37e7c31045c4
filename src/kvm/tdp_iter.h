/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The TDP page table iterator (the kernel's arch/x86/kvm/mmu/tdp_iter.h):
 * a pre-order walk over the SPTEs that map a gfn range, under RCU.
 */
#ifndef TDXSIM_KVM_TDP_ITER_H
#define TDXSIM_KVM_TDP_ITER_H

#include "base/atomic.h"
#include "kvm/mmu_internal.h"

/* SPTE reads and writes are schedule points: they are where races live. */
static inline u64 kvm_tdp_mmu_read_spte(u64 *sptep)
{
	return read_once64(sptep);
}

/*
 * tdxsim's addition: the iterator's read of an SPTE of a table at @level,
 * its schedule point named "tdp_iter_read_l<level>" (a walker stepping
 * into a table of that level reads there first), the same point otherwise.
 */
static inline u64 tdxsim_tdp_iter_read_spte(u64 *sptep, int level)
{
	static const char *const site[] = {
		"tdp_iter_read", "tdp_iter_read_l1", "tdp_iter_read_l2",
		"tdp_iter_read_l3", "tdp_iter_read_l4", "tdp_iter_read_l5",
	};

	return read_once64_at(site[level >= 1 && level <= 5 ? level : 0],
			      sptep);
}

static inline u64 kvm_tdp_mmu_write_spte_atomic(u64 *sptep, u64 new_spte)
{
	return xchg64(sptep, new_spte);
}

static inline void __kvm_tdp_mmu_write_spte(u64 *sptep, u64 new_spte)
{
	write_once64(sptep, new_spte);
}

struct tdp_iter {
	/* The gfn the walk is heading for; advances as the walk goes. */
	gfn_t next_last_level_gfn;
	/* Where the walk was when it last yielded (resumes from there). */
	gfn_t yielded_gfn;
	u64 *pt_path[PT64_ROOT_MAX_LEVEL];
	u64 *sptep;
	gfn_t gfn;		/* first gfn the current SPTE maps */
	gfn_t gfn_bits;		/* the shared bit for direct roots, else 0 */
	int root_level;
	int min_level;
	int level;
	u64 old_spte;
	bool valid;
	bool yielded;
};

/* Start a walk of @root for @next_last_level_gfn down to @min_level. */
void tdp_iter_start(struct tdp_iter *iter, struct kvm_mmu_page *root,
		    int min_level, gfn_t next_last_level_gfn, gfn_t gfn_bits);
/* Step to the next SPTE in pre-order, skipping non-present subtrees. */
void tdp_iter_next(struct tdp_iter *iter);
/* Restart from the root at the current position (after a yield). */
void tdp_iter_restart(struct tdp_iter *iter);

#define for_each_tdp_pte_min_level(iter, root, min_level, start, end, bits) \
	for (tdp_iter_start(&iter, root, min_level, start, bits);	  \
	     iter.valid && iter.gfn < (end);				  \
	     tdp_iter_next(&iter))

#define for_each_tdp_pte(iter, root, start, end, bits)			\
	for_each_tdp_pte_min_level(iter, root, PG_LEVEL_4K, start, end, bits)

#endif /* TDXSIM_KVM_TDP_ITER_H */
