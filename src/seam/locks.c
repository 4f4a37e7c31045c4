// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The module's try-locks (reference tdx-module.md §6.1). Every acquire
 * either succeeds or fails at once; the caller turns a failure into
 * TDX_OPERAND_BUSY with the operand id of the contended object. The lock
 * words are __atomic builtins (acquire on success, release on release), so
 * ThreadSanitizer sees the ordering; no acquire ever waits for a holder. In
 * a deterministic run on fibers (one OS thread) they are plain reads and
 * writes (run_fetch_*(), base/atomic.h): the same values, no lock prefix.
 *
 * Reader bias. The real module takes the TDR shared on nearly every
 * SEAMCALL, and its readers do not bounce one line between CPUs. Here a
 * lock word with its bias bit set (the TDR's PAMT entry and 2M block,
 * OP_STATE, the S-EPT tree, the epoch lock) is read-locked in free mode
 * through the calling thread's row of reader indicators (the idea of
 * BRAVO, Dice and Kogan, USENIX ATC 2019): a row is one cache line of
 * eight pointers, a thread owns one row while it lives, and a reader
 * stores the lock's address (tentatively, with bit 0 set), reads the word
 * and, if no writer holds it, keeps the address there (committed) instead
 * of adding itself to the word. An exclusive acquire of a biased word,
 * with no reader in the word, also looks at that way of every row, before
 * and after it sets the exclusive bit: a committed indicator is a reader,
 * so BUSY, as a reader in the word is. Both sides make a sequentially
 * consistent store and then read the other side's location, so a reader
 * and a writer that race see at least one another; a writer that sees a
 * tentative indicator waits those few instructions of the reader's own
 * acquire (never a holder) until the reader has committed (the writer
 * answers BUSY) or withdrawn (the reader saw the writer and answers BUSY):
 * exactly one of the two wins, as on one word. The one difference from
 * one word, in free mode only: a reader that commits between a writer's
 * first look and its compare-exchange makes the writer set the exclusive
 * bit for the few instructions until its second look, and a request that
 * reads the word in that window answers BUSY as it would against that
 * writer. A reader that finds its way of the row taken (a second shared
 * hold, or the thread's other lock hashing there), a thread without a row
 * (more than 64 alive) and a deterministic run (fibers on one thread: the
 * word's plain read and write are cheaper) use the word; a release drops
 * the thread's indicator if it holds the lock there, else one count of the
 * word (the holds of one thread are interchangeable). The same answers on
 * either path, so a seed's schedule does not change (/work/bin/schedcmp).
 */
#include <pthread.h>

#include "base/sched.h"
#include "seam/seam_internal.h"

#define RB_ROWS		64
#define RB_WAYS		8

struct rb_row {
	uintptr_t e[RB_WAYS];
} __attribute__((aligned(64)));

static struct rb_row rb_rows[RB_ROWS];
static u64 rb_taken;		/* rows owned by a live thread */
static unsigned int rb_hi;	/* rows ever owned: writers look at these */
static __thread_fast int rb_me;	/* 1 + this thread's row; 0 none; -1 none free */
static pthread_key_t rb_key;
static pthread_once_t rb_once = PTHREAD_ONCE_INIT;
static bool rb_key_ok;
void (*sharex_test_window)(void *lock, int where);

/* The race windows, for tests/seam/test_locks.c: 0 reader, 1 writer. */
static inline void rb_window(void *l, int where)
{
	if (unlikely(sharex_test_window))
		sharex_test_window(l, where);
}

/* Thread exit (its indicators are all 0: no hold outlives a SEAMCALL). */
static void rb_row_put(void *arg)
{
	unsigned int r = (unsigned int)(uintptr_t)arg - 1;

	__atomic_fetch_and(&rb_taken, ~(1ULL << r), __ATOMIC_RELEASE);
}

static void rb_key_init(void)
{
	rb_key_ok = !pthread_key_create(&rb_key, rb_row_put);
}

static noinline int rb_row_get(void)
{
	u64 t;
	unsigned int r, hi;

	pthread_once(&rb_once, rb_key_init);
	t = __atomic_load_n(&rb_taken, __ATOMIC_RELAXED);
	do {
		if (!rb_key_ok || !~t) {
			rb_me = -1;
			return -1;
		}
		r = (unsigned int)__builtin_ctzll(~t);
	} while (!__atomic_compare_exchange_n(&rb_taken, &t, t | 1ULL << r,
					      false, __ATOMIC_ACQUIRE,
					      __ATOMIC_RELAXED));
	/* Counted before the row's first indicator: see rb_readers(). */
	hi = __atomic_load_n(&rb_hi, __ATOMIC_RELAXED);
	while (hi < r + 1 &&
	       !__atomic_compare_exchange_n(&rb_hi, &hi, r + 1, false,
					    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
		;
	pthread_setspecific(rb_key, (void *)(uintptr_t)(r + 1));
	rb_me = (int)r + 1;
	return (int)r + 1;
}

static inline unsigned int rb_way(const void *l)
{
	return (unsigned int)(((uintptr_t)l >> 1) * 0x9E3779B97F4A7C15ULL >>
			      61);
}

/* This thread's free indicator for @l, or NULL: use the word. */
static inline uintptr_t *rb_slot(const void *l)
{
	int me = rb_me;
	uintptr_t *e;

	if (sched_one_thread())
		return NULL;
	if (unlikely(me <= 0) && (me < 0 || (me = rb_row_get()) < 0))
		return NULL;
	e = &rb_rows[me - 1].e[rb_way(l)];
	if (__atomic_load_n(e, __ATOMIC_RELAXED))
		return NULL;
	/* Tentative; the caller reads the lock word next. */
	__atomic_store_n(e, (uintptr_t)l | 1, __ATOMIC_SEQ_CST);
	return e;
}

/* This thread's indicator holding @l, or NULL. */
static inline uintptr_t *rb_own(const void *l)
{
	int me = rb_me;
	uintptr_t *e;

	if (me <= 0)
		return NULL;
	e = &rb_rows[me - 1].e[rb_way(l)];
	return __atomic_load_n(e, __ATOMIC_RELAXED) == (uintptr_t)l ? e : NULL;
}

/*
 * Does a thread hold @l through an indicator? Called after a sequentially
 * consistent access of @l's word. Not in a run on fibers: no thread
 * publishes there (rb_slot()), and the run's tasks hold nothing from
 * before it.
 */
static bool rb_readers(const void *l)
{
	uintptr_t key = (uintptr_t)l, v;
	unsigned int i, n, w = rb_way(l);

	if (__atomic_load_n(&sched_fiber_running, __ATOMIC_RELAXED))
		return false;
	n = __atomic_load_n(&rb_hi, __ATOMIC_SEQ_CST);
	for (i = 0; i < n; i++) {
		while ((v = __atomic_load_n(&rb_rows[i].e[w],
					    __ATOMIC_SEQ_CST)) == (key | 1))
			cpu_relax();
		if (v == key)
			return true;
	}
	return false;
}

/* ---------------------------------------------------------------------- */

/* sharex_lock_t: shared is xadd +2 (a failed reader does not undo it). */
bool sharex_try_shared(struct sharex_lock *l)
{
	u32 old = __atomic_load_n(&l->v, __ATOMIC_RELAXED);
	uintptr_t *e;

	if ((old & (SHAREX_BIAS | SHAREX_X)) == SHAREX_BIAS &&
	    (e = rb_slot(l))) {
		rb_window(l, 0);
		old = __atomic_load_n(&l->v, __ATOMIC_SEQ_CST);
		if ((old & (SHAREX_BIAS | SHAREX_X)) == SHAREX_BIAS) {
			__atomic_store_n(e, (uintptr_t)l, __ATOMIC_RELAXED);
			return true;
		}
		__atomic_store_n(e, 0, __ATOMIC_RELAXED);
	}
	old = run_fetch_add(&l->v, 2, __ATOMIC_ACQUIRE);
	return !(old & SHAREX_X);
}

static noinline bool sharex_try_excl_biased(struct sharex_lock *l)
{
	u32 old = SHAREX_BIAS;

	if (rb_readers(l))
		return false;
	rb_window(l, 1);
	if (!run_cmpxchg(&l->v, &old, SHAREX_BIAS | SHAREX_X,
			 __ATOMIC_SEQ_CST))
		return false;
	if (!rb_readers(l))
		return true;
	__atomic_store_n(&l->v, SHAREX_BIAS, __ATOMIC_RELEASE);
	return false;
}

bool sharex_try_excl(struct sharex_lock *l)
{
	u32 zero = 0;

	if (run_cmpxchg(&l->v, &zero, SHAREX_X, __ATOMIC_ACQUIRE))
		return true;
	return zero == SHAREX_BIAS && sharex_try_excl_biased(l);
}

void sharex_release_shared(struct sharex_lock *l)
{
	uintptr_t *e = rb_own(l);

	if (e)
		__atomic_store_n(e, 0, __ATOMIC_RELEASE);
	else
		run_fetch_sub(&l->v, 2, __ATOMIC_RELEASE);
}

/* Writing the bias alone also wipes the counts of readers that failed. */
void sharex_release_excl(struct sharex_lock *l)
{
	u32 bias = __atomic_load_n(&l->v, __ATOMIC_RELAXED) & SHAREX_BIAS;

	__atomic_store_n(&l->v, bias, __ATOMIC_RELEASE);
}

void sharex_set_bias(struct sharex_lock *l)
{
	run_fetch_or(&l->v, SHAREX_BIAS, __ATOMIC_RELAXED);
}

/* ---------------------------------------------------------------------- */

#define HP_B		((u16)SHAREX_HP_BIAS)
#define HP_FLAGS	((u16)(SHAREX_HP | SHAREX_HP_BIAS))

void sharex_hp_set_bias(struct sharex_hp_lock *l)
{
	run_fetch_or(&l->v, HP_B, __ATOMIC_RELAXED);
}

void sharex_hp_clear_bias(struct sharex_hp_lock *l)
{
	run_fetch_and(&l->v, (u16)~HP_B, __ATOMIC_RELAXED);
}

enum lock_ret sharex_hp_host_shared(struct sharex_hp_lock *l)
{
	u16 old = __atomic_load_n(&l->v, __ATOMIC_RELAXED), new;
	uintptr_t *e;

	if ((old & (HP_FLAGS | SHAREX_X)) == HP_B && (e = rb_slot(l))) {
		rb_window(l, 0);
		old = __atomic_load_n(&l->v, __ATOMIC_SEQ_CST);
		if ((old & (HP_FLAGS | SHAREX_X)) == HP_B) {
			__atomic_store_n(e, (uintptr_t)l, __ATOMIC_RELAXED);
			return LOCK_OK;
		}
		__atomic_store_n(e, 0, __ATOMIC_RELAXED);
	}
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

/* Exclusive of a biased word: no reader in the word nor in a row. */
static noinline enum lock_ret hp_excl_biased(struct sharex_hp_lock *l,
					     u16 old)
{
	while (!(old & (u16)~HP_FLAGS)) {
		if (rb_readers(l))
			break;
		rb_window(l, 1);
		/* Success clears HP, as below. */
		if (run_cmpxchg(&l->v, &old, (u16)(HP_B | SHAREX_X),
				__ATOMIC_SEQ_CST)) {
			if (!rb_readers(l))
				return LOCK_OK;
			/* Only failed requests wrote meanwhile (HP). */
			__atomic_store_n(&l->v, (u16)HP_FLAGS,
					 __ATOMIC_RELEASE);
			return LOCK_BUSY;
		}
	}
	run_fetch_or(&l->v, (u16)SHAREX_HP, __ATOMIC_RELAXED);
	return LOCK_BUSY;
}

enum lock_ret sharex_hp_host_excl(struct sharex_hp_lock *l)
{
	u16 old = 0;

	if (run_cmpxchg(&l->v, &old, SHAREX_X, __ATOMIC_ACQUIRE))
		return LOCK_OK;
	if (old & HP_B)
		return hp_excl_biased(l, old);
	if (old == SHAREX_HP &&
	    run_cmpxchg(&l->v, &old, SHAREX_X, __ATOMIC_ACQUIRE))
		return LOCK_OK;
	run_fetch_or(&l->v, (u16)SHAREX_HP, __ATOMIC_RELAXED);
	return LOCK_BUSY;
}

/* Guests read-lock through the word (they never take a biased lock hot). */
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
	uintptr_t *e = rb_own(l);

	if (e)
		__atomic_store_n(e, 0, __ATOMIC_RELEASE);
	else
		run_fetch_sub(&l->v, (u16)SHAREX_HP_RD, __ATOMIC_RELEASE);
}

/* Exclusive release keeps HP and the bias and clears the rest. */
void sharex_hp_release_excl(struct sharex_hp_lock *l)
{
	run_fetch_and(&l->v, HP_FLAGS, __ATOMIC_RELEASE);
}

/*
 * Promote a shared hold (the caller's only one) to exclusive if the caller
 * is the only reader; a hold in the caller's indicator is given up for the
 * exclusive bit, and taken back if another thread's indicator holds @l.
 */
bool sharex_hp_promote(struct sharex_hp_lock *l)
{
	u16 old = __atomic_load_n(&l->v, __ATOMIC_RELAXED);
	uintptr_t *own = rb_own(l);

	if ((old & (u16)~HP_FLAGS) != (own ? 0 : SHAREX_HP_RD))
		return false;
	if (!run_cmpxchg(&l->v, &old, (u16)((old & HP_B) | SHAREX_X),
			 __ATOMIC_SEQ_CST))
		return false;
	if (!(old & HP_B))
		return true;
	if (own)
		__atomic_store_n(own, 0, __ATOMIC_SEQ_CST);
	if (!rb_readers(l))
		return true;
	/* Back to the caller's hold, in one step (X off, a count on). */
	if (own) {
		__atomic_store_n(own, (uintptr_t)l, __ATOMIC_SEQ_CST);
		run_fetch_and(&l->v, (u16)~SHAREX_X, __ATOMIC_RELEASE);
	} else {
		run_fetch_add(&l->v, (u16)(SHAREX_HP_RD - SHAREX_X),
			      __ATOMIC_RELEASE);
	}
	return false;
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
