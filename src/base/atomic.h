/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Atomics. Two families:
 *
 * - SPTE-style accessors (cmpxchg64, try_cmpxchg64, xchg64, read_once64,
 *   write_once64) are schedule points: in deterministic mode another task may
 *   run just before each of them. Shared page-table entries and any other
 *   race that a scenario must be able to reproduce use these.
 * - atomic_t / atomic64_t counters and READ_ONCE/WRITE_ONCE are plain atomic
 *   operations without a schedule point, for statistics and flags.
 *
 * All of them are C11-style __atomic builtins, so ThreadSanitizer sees them.
 */
#ifndef TDXSIM_BASE_ATOMIC_H
#define TDXSIM_BASE_ATOMIC_H

#include "ulib/compiler.h"
#include "base/sched.h"

/* Relaxed loads and stores, no schedule point. */
#define READ_ONCE(x)	__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define smp_load_acquire(p)	__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define smp_store_release(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define smp_mb()	__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define smp_rmb()	__atomic_thread_fence(__ATOMIC_ACQUIRE)
#define smp_wmb()	__atomic_thread_fence(__ATOMIC_RELEASE)

/*
 * True while a deterministic run is in progress (sched_backend.c): outside one
 * the accessors below are the bare atomic, with no call into the scheduler.
 */
extern bool sched_det_running;
#define atomic_sched_point(site, p)					\
	do {								\
		if (unlikely(__atomic_load_n(&sched_det_running,	\
					     __ATOMIC_RELAXED)))	\
			__sched_point_obj((site), (p), SCHED_OBJ_NEXT);	\
	} while (0)

/*
 * True while the process has one thread (the C library's own flag, which
 * turns false at the first pthread_create() and may stay so): nothing else
 * can touch a word then either, e.g. a TD's teardown after an exploration's
 * run, outside it. Signal handlers do not take the module's locks.
 */
#if defined(__GLIBC__) && defined(__has_include)
#if __has_include(<sys/single_threaded.h>)
#include <sys/single_threaded.h>
#define TDXSIM_HAVE_SINGLE_THREADED 1
#endif
#endif
static inline bool process_single_threaded(void)
{
#ifdef TDXSIM_HAVE_SINGLE_THREADED
	return __libc_single_threaded;
#else
	return false;
#endif
}

/*
 * True while a deterministic run on fibers is in progress (sched_run() sets
 * and clears it while no task of the run runs): every task of the run is a
 * fiber on one OS thread and only the token holder runs, so a word that only
 * the run's tasks use needs no atomic instruction. The "run_" read-modify-
 * writes below are a plain read and write then, and the __atomic builtin
 * otherwise (free mode, the thread back end, ThreadSanitizer); no schedule
 * point either way. For lock words and counters that no thread outside the
 * run touches while it lasts (the module's try-locks, its statistics).
 */
extern bool sched_fiber_running;
static inline bool sched_one_thread(void)
{
	return __atomic_load_n(&sched_fiber_running, __ATOMIC_RELAXED) ||
	       process_single_threaded();
}

#define run_fetch_op_(p, v, mo, OP, name)				\
	({								\
		__typeof__(p) p_ = (p);					\
		__typeof__(*p_) v_ = (v), o_;				\
		if (sched_one_thread()) {				\
			o_ = *p_;					\
			*p_ = (__typeof__(*p_))(o_ OP v_);		\
		} else {						\
			o_ = __atomic_##name(p_, v_, (mo));		\
		}							\
		o_;							\
	})
#define run_fetch_add(p, v, mo)	run_fetch_op_(p, v, mo, +, fetch_add)
#define run_fetch_sub(p, v, mo)	run_fetch_op_(p, v, mo, -, fetch_sub)
#define run_fetch_or(p, v, mo)	run_fetch_op_(p, v, mo, |, fetch_or)
#define run_fetch_and(p, v, mo)	run_fetch_op_(p, v, mo, &, fetch_and)

/* Strong compare-and-exchange; on failure *@old is updated. */
#define run_cmpxchg(p, old, new, mo)					\
	({								\
		__typeof__(p) p_ = (p);					\
		__typeof__(p) e_ = (old);				\
		bool ok_;						\
		if (sched_one_thread()) {				\
			ok_ = *p_ == *e_;				\
			if (ok_)					\
				*p_ = (new);				\
			else						\
				*e_ = *p_;				\
		} else {						\
			ok_ = __atomic_compare_exchange_n(p_, e_, (new),	\
					false, (mo), __ATOMIC_RELAXED);	\
		}							\
		ok_;							\
	})

/*
 * Schedule-point accessors for 64-bit shared words (SPTEs and the like).
 * read_once64_at(): the same read, its schedule point named @site (a
 * string constant) instead of "read_once64", for the schedule trace and
 * named wait points (sched_hold()).
 */
static inline u64 read_once64_at(const char *site, u64 *p)
{
	atomic_sched_point(site, p);
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline u64 read_once64(u64 *p)
{
	return read_once64_at("read_once64", p);
}

static inline void write_once64(u64 *p, u64 v)
{
	atomic_sched_point("write_once64", p);
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/* Kernel cmpxchg(): returns the value found at @p. */
static inline u64 cmpxchg64(u64 *p, u64 old, u64 new)
{
	atomic_sched_point("cmpxchg64", p);
	__atomic_compare_exchange_n(p, &old, new, false, __ATOMIC_SEQ_CST,
				    __ATOMIC_SEQ_CST);
	return old;
}

/* Kernel try_cmpxchg(): on failure *@old is updated to the current value. */
static inline bool try_cmpxchg64(u64 *p, u64 *old, u64 new)
{
	atomic_sched_point("try_cmpxchg64", p);
	return __atomic_compare_exchange_n(p, old, new, false,
					   __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

static inline u64 xchg64(u64 *p, u64 new)
{
	atomic_sched_point("xchg64", p);
	return __atomic_exchange_n(p, new, __ATOMIC_SEQ_CST);
}

typedef struct {
	int counter;
} atomic_t;

typedef struct {
	s64 counter;
} atomic64_t;

#define ATOMIC_INIT(i)	{ (i) }

static inline int atomic_read(const atomic_t *v)
{
	return __atomic_load_n(&v->counter, __ATOMIC_RELAXED);
}

static inline void atomic_set(atomic_t *v, int i)
{
	__atomic_store_n(&v->counter, i, __ATOMIC_RELAXED);
}

static inline int atomic_add_return(int i, atomic_t *v)
{
	return __atomic_add_fetch(&v->counter, i, __ATOMIC_SEQ_CST);
}

static inline int atomic_sub_return(int i, atomic_t *v)
{
	return __atomic_sub_fetch(&v->counter, i, __ATOMIC_SEQ_CST);
}

#define atomic_inc(v)			((void)atomic_add_return(1, (v)))
#define atomic_dec(v)			((void)atomic_sub_return(1, (v)))
#define atomic_inc_return(v)		atomic_add_return(1, (v))
#define atomic_dec_return(v)		atomic_sub_return(1, (v))
#define atomic_dec_and_test(v)		(atomic_sub_return(1, (v)) == 0)

static inline bool atomic_inc_not_zero(atomic_t *v)
{
	int c = atomic_read(v);

	do {
		if (!c)
			return false;
	} while (!__atomic_compare_exchange_n(&v->counter, &c, c + 1, false,
					      __ATOMIC_SEQ_CST,
					      __ATOMIC_RELAXED));
	return true;
}

static inline s64 atomic64_read(const atomic64_t *v)
{
	return __atomic_load_n(&v->counter, __ATOMIC_RELAXED);
}

static inline void atomic64_set(atomic64_t *v, s64 i)
{
	__atomic_store_n(&v->counter, i, __ATOMIC_RELAXED);
}

static inline s64 atomic64_add_return(s64 i, atomic64_t *v)
{
	return __atomic_add_fetch(&v->counter, i, __ATOMIC_SEQ_CST);
}

#define atomic64_add(i, v)		((void)atomic64_add_return((i), (v)))
#define atomic64_sub(i, v)		((void)atomic64_add_return(-(i), (v)))
#define atomic64_inc(v)			atomic64_add(1, (v))
#define atomic64_dec(v)			atomic64_sub(1, (v))
#define atomic64_inc_return(v)		atomic64_add_return(1, (v))
#define atomic64_dec_return(v)		atomic64_add_return(-1, (v))

/* Bit operations on an unsigned long word (no schedule point). */
static inline bool test_bit(unsigned int nr, const unsigned long *addr)
{
	return (__atomic_load_n(addr + nr / 64, __ATOMIC_RELAXED) >>
		(nr % 64)) & 1;
}

static inline void set_bit(unsigned int nr, unsigned long *addr)
{
	__atomic_fetch_or(addr + nr / 64, 1UL << (nr % 64), __ATOMIC_SEQ_CST);
}

static inline void clear_bit(unsigned int nr, unsigned long *addr)
{
	__atomic_fetch_and(addr + nr / 64, ~(1UL << (nr % 64)),
			   __ATOMIC_SEQ_CST);
}

static inline bool test_and_set_bit(unsigned int nr, unsigned long *addr)
{
	return (__atomic_fetch_or(addr + nr / 64, 1UL << (nr % 64),
				  __ATOMIC_SEQ_CST) >> (nr % 64)) & 1;
}

static inline bool test_and_clear_bit(unsigned int nr, unsigned long *addr)
{
	return (__atomic_fetch_and(addr + nr / 64, ~(1UL << (nr % 64)),
				   __ATOMIC_SEQ_CST) >> (nr % 64)) & 1;
}

#endif /* TDXSIM_BASE_ATOMIC_H */
