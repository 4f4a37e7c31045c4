/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The TDX huge-page overlay's design switches (struct tdxsim_design in
 * tdxsim/ctl.h; docs/upstream/series-hugepage.md) that have named
 * values: the orderings and designs its reviews argued about. Included by
 * tdxsim/ctl.h; not meant to be included on its own.
 */
#ifndef TDXSIM_HUGEPAGE_H
#define TDXSIM_HUGEPAGE_H

/*
 * TDX huge pages: the orderings the series' reviews argued about
 * (docs/upstream/series-hugepage.md §5, §6 H2, H3, H7, H8); 0 is the
 * series' choice (v3 as folded into RFC v5, with Sean Christopherson's
 * review fix for H8).
 */
enum tdxsim_huge_inhibit_order {
	/* H2: the accept-level exit sets the guest inhibit after the split. */
	TDXSIM_HUGE_INHIBIT_AFTER_SPLIT = 0,
	/* "what if": set before the split and its locks (tested unlocked) */
	TDXSIM_HUGE_INHIBIT_BEFORE_SPLIT = 1,
};

enum tdxsim_huge_split_lock {
	/*
	 * H3: a mirror 2M leaf is split only under the write mmu_lock, a
	 * BUSY retried with every vCPU kicked out; the fault path (read
	 * mmu_lock) refuses (v3 09/24, v5).
	 */
	TDXSIM_HUGE_SPLIT_LOCK_WRITE = 0,
	/*
	 * RFC v1/v2: the accept-level exit only sets the inhibit and the
	 * fault splits under the read mmu_lock: BLOCK, TRACK, DEMOTE with
	 * no kick, UNBLOCK to undo a BUSY DEMOTE.
	 */
	TDXSIM_HUGE_SPLIT_LOCK_READ = 1,
};

enum tdxsim_split_cache_lock {
	/* H7: top-up and use under one mutex (v5 tdp_mmu_external_cache_lock) */
	TDXSIM_SPLIT_CACHE_LOCK_MUTEX = 0,
	/* "what if": topped up under it, then used after dropping it */
	TDXSIM_SPLIT_CACHE_LOCK_NONE = 1,
};

enum tdxsim_accept_split_root {
	/* H8: the accept-level exit splits the mirror root (the fix) */
	TDXSIM_ACCEPT_SPLIT_ROOT_MIRROR = 0,
	/* v5 41/45 as posted: vcpu->arch.mmu->root, the direct root */
	TDXSIM_ACCEPT_SPLIT_ROOT_NORMAL = 1,
};

#endif /* TDXSIM_HUGEPAGE_H */
