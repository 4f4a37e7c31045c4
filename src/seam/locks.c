// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The module's try-locks (reference tdx-module.md §6.1). Every acquire
 * either succeeds or fails at once; the caller turns a failure into
 * TDX_OPERAND_BUSY with the operand id of the contended object. The lock
 * words are __atomic builtins (acquire on success, release on release), so
 * ThreadSanitizer sees the ordering; no acquire ever waits. In a
 * deterministic run on fibers (one OS thread) they are plain reads and
 * writes (run_fetch_*(), base/atomic.h): the same values, no lock prefix.
 */
#include "seam/seam_internal.h"

/* sharex_lock_t: shared is xadd +2 (a failed reader does not undo it). */
bool sharex_try_shared(struct sharex_lock *l)
{
	u32 old = run_fetch_add(&l->v, 2, __ATOMIC_ACQUIRE);

	return !(old & SHAREX_X);
}

bool sharex_try_excl(struct sharex_lock *l)
{
	u32 zero = 0;

	return run_cmpxchg(&l->v, &zero, SHAREX_X, __ATOMIC_ACQUIRE);
}

void sharex_release_shared(struct sharex_lock *l)
{
	run_fetch_sub(&l->v, 2, __ATOMIC_RELEASE);
}

/* Writing 0 also wipes the counts left by readers that failed meanwhile. */
void sharex_release_excl(struct sharex_lock *l)
{
	__atomic_store_n(&l->v, 0, __ATOMIC_RELEASE);
}

enum lock_ret sharex_hp_host_shared(struct sharex_hp_lock *l)
{
	u16 old = __atomic_load_n(&l->v, __ATOMIC_RELAXED), new;

	for (;;) {
		if (old & SHAREX_X) {
			run_fetch_or(&l->v, (u16)SHAREX_HP, __ATOMIC_RELAXED);
			return LOCK_BUSY;
		}
		/* A successful host reader clears HP. */
		new = (u16)((old + SHAREX_HP_RD) & ~SHAREX_HP);
		if (run_cmpxchg(&l->v, &old, new, __ATOMIC_ACQUIRE))
			return LOCK_OK;
	}
}

enum lock_ret sharex_hp_host_excl(struct sharex_hp_lock *l)
{
	u16 old = 0;

	if (run_cmpxchg(&l->v, &old, SHAREX_X, __ATOMIC_ACQUIRE))
		return LOCK_OK;
	if (old == SHAREX_HP &&
	    run_cmpxchg(&l->v, &old, SHAREX_X, __ATOMIC_ACQUIRE))
		return LOCK_OK;
	run_fetch_or(&l->v, (u16)SHAREX_HP, __ATOMIC_RELAXED);
	return LOCK_BUSY;
}

enum lock_ret sharex_hp_guest_shared(struct sharex_hp_lock *l)
{
	u16 old = __atomic_load_n(&l->v, __ATOMIC_RELAXED);

	for (;;) {
		if (old & SHAREX_HP)
			return LOCK_BUSY_HP;
		if (old & SHAREX_X)
			return LOCK_BUSY;
		if (run_cmpxchg(&l->v, &old, (u16)(old + SHAREX_HP_RD),
				__ATOMIC_ACQUIRE))
			return LOCK_OK;
	}
}

void sharex_hp_release_shared(struct sharex_hp_lock *l)
{
	run_fetch_sub(&l->v, (u16)SHAREX_HP_RD, __ATOMIC_RELEASE);
}

/* Exclusive release keeps HP and clears the rest. */
void sharex_hp_release_excl(struct sharex_hp_lock *l)
{
	run_fetch_and(&l->v, (u16)SHAREX_HP, __ATOMIC_RELEASE);
}

bool sharex_hp_promote(struct sharex_hp_lock *l)
{
	u16 old = __atomic_load_n(&l->v, __ATOMIC_RELAXED);

	if ((old & ~SHAREX_HP) != SHAREX_HP_RD)
		return false;
	return run_cmpxchg(&l->v, &old, SHAREX_X, __ATOMIC_ACQUIRE);
}

/*
 * S-EPT entry lock: TDEL (bit 11) in the entry itself, HP (bit 52) set by a
 * host that failed to get it.
 */
bool sept_entry_lock_host(u64 *ep)
{
	u64 old = run_fetch_or(ep, SEPT_TDEL, __ATOMIC_ACQUIRE);

	if (old & SEPT_TDEL) {
		run_fetch_or(ep, SEPT_HP, __ATOMIC_RELAXED);
		return false;
	}
	/* The HP a host set before we got here; no second atomic if none. */
	if (old & SEPT_HP)
		run_fetch_and(ep, ~SEPT_HP, __ATOMIC_RELAXED);
	return true;
}

enum lock_ret sept_entry_lock_guest(u64 *ep)
{
	u64 old = run_fetch_or(ep, SEPT_TDEL, __ATOMIC_ACQUIRE);

	if (old & SEPT_TDEL)
		return LOCK_BUSY;
	if (old & SEPT_HP) {
		run_fetch_and(ep, ~SEPT_TDEL, __ATOMIC_RELEASE);
		return LOCK_BUSY_HP;
	}
	return LOCK_OK;
}

void sept_entry_unlock(u64 *ep)
{
	run_fetch_and(ep, ~SEPT_TDEL, __ATOMIC_RELEASE);
}

void sept_entry_set(u64 *ep, u64 val)
{
	u64 old = __atomic_load_n(ep, __ATOMIC_RELAXED);
	u64 new;

	val &= ~SEPT_LOCK_BITS;
	do {
		new = val | (old & SEPT_LOCK_BITS);
	} while (!run_cmpxchg(ep, &old, new, __ATOMIC_RELEASE));
}
