/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Dynamic PAMT overlay's design switches (struct tdxsim_design in
 * tdxsim/ctl.h; docs/upstream/series-dpamt.md): the kernel's DPAMT
 * design and the variants its reviews argued about. Included by
 * tdxsim/ctl.h; not meant to be included on its own.
 */
#ifndef TDXSIM_DPAMT_H
#define TDXSIM_DPAMT_H

/* Dynamic PAMT in the kernel (docs/upstream/series-dpamt.md). */
enum tdxsim_dpamt {
	/* Static PAMT: the module is configured without DPAMT. */
	TDXSIM_DPAMT_OFF = 0,
	/*
	 * v6 (2026-05-25): per-2M refcounts, PAMT.ADD on 0->1 and REMOVE on
	 * 1->0 under the global pamt_lock, pairs from a per-vCPU cache.
	 */
	TDXSIM_DPAMT_V6 = 1,
	/*
	 * RFC v1's first design ("inherently more racy"): add a pair when a
	 * leaf answers MISSING_PAMT_PAGE_PAIR and retry; try to remove it
	 * after a removal; no refcount, no lock.
	 */
	TDXSIM_DPAMT_LAZY = 2,
};

/* v6's tdx_pamt_get(): recheck the refcount under pamt_lock before ADD. */
enum tdxsim_dpamt_get_recheck {
	TDXSIM_DPAMT_GET_RECHECK = 0,	/* v6 (and every version read) */
	/* tdxsim's "what if": without it (the race the v6 comment names) */
	TDXSIM_DPAMT_GET_NO_RECHECK = 1,
};

/*
 * Dynamic PAMT: tdx_pamt_put()'s drop of the last reference, as each
 * posting had it (series-dpamt.md §5.2, §5.3; scenarios dpamt-put-race,
 * dpamt-put-recheck).
 */
enum tdxsim_dpamt_put {
	/* v6: atomic_dec_and_lock(): 1->0 and PAMT.REMOVE under pamt_lock. */
	TDXSIM_DPAMT_PUT_V6 = 0,
	/*
	 * v4: 1->0 outside the lock, then REMOVE under it unless a get has
	 * set the count back; a get whose PAMT.ADD meets the pair not yet
	 * removed (TDX_HPA_RANGE_NOT_FREE) takes it as present (count 1).
	 */
	TDXSIM_DPAMT_PUT_V4 = 1,
	/* v3: as v4, without the get's HPA_RANGE_NOT_FREE handling. */
	TDXSIM_DPAMT_PUT_V3 = 2,
	/*
	 * RFC v1 review's proposal: the count says "users of an installed
	 * pair"; get's lock-free fast path increments it from 0 while the
	 * pair is there; put drops 1->0 outside the lock and REMOVEs under
	 * it if it still reads 0 (Kirill Shutemov, 2025-05-23: a fast-path
	 * get can come in after that check).
	 */
	TDXSIM_DPAMT_PUT_RFC_RECHECK = 3,
};

/* Dynamic PAMT: the kernel lock that orders PAMT.ADD/REMOVE (§5.4). */
enum tdxsim_dpamt_lock {
	TDXSIM_DPAMT_LOCK_GLOBAL = 0,	/* v6: one pamt_lock */
	/* "what if": a lock per 2M region (hashed; D1, dpamt-lock-region) */
	TDXSIM_DPAMT_LOCK_PER_REGION = 1,
};

/*
 * Dynamic PAMT + TDX huge pages: DEMOTE installs a PAMT pair for the 2M
 * page it splits, its pair pages' regions held shared like PAMT.ADD's
 * (series-dpamt.md §5.6; scenario dpamt-demote-add).
 */
enum tdxsim_demote_pamt_lock {
	/* Yan Zhao's fix (2026-06-11, agreed 2026-06-29): under pamt_lock */
	TDXSIM_DEMOTE_PAMT_LOCK_ON = 0,
	/* RFC v5: DEMOTE outside pamt_lock (another TD's PAMT.ADD meets it) */
	TDXSIM_DEMOTE_PAMT_LOCK_OFF = 1,
};

/*
 * Dynamic PAMT: what tdx_pamt_put() does when PAMT.REMOVE fails (§6 D6;
 * scenario dpamt-remove-fail).
 */
enum tdxsim_dpamt_remove_fail {
	/*
	 * v6 05/11: WARN, the count set back to 1 (the pair is still
	 * installed: later gets take the fast path), the pair's pages leaked.
	 */
	TDXSIM_DPAMT_REMOVE_FAIL_KEEP = 0,
	/*
	 * "what if": WARN and leak, the count left at 0: the next get of the
	 * region adds the pair again (TDX_HPA_RANGE_NOT_FREE, -EIO).
	 */
	TDXSIM_DPAMT_REMOVE_FAIL_DROP = 1,
};

#endif /* TDXSIM_DPAMT_H */
