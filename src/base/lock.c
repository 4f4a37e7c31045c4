// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The lock primitives: mutex, spinlock, rwlock, rw_semaphore (SRCU is
 * base/srcu.c).
 *
 * All kinds share one implementation (struct base_lock): one atomic word
 * holds the readers, the writer bit, the number of waiting writers and a
 * "somebody sleeps" bit. Taking or releasing an uncontended lock is one
 * atomic operation on that word, as pthread's locks are; only a waiter
 * takes the internal pthread mutex, to sleep on the condition variable (free
 * mode, with the hung-task watchdog) or to block in the scheduler
 * (deterministic mode), and a release wakes it only when the sleeper bit is
 * set. Readers wait while a writer waits, like the kernel's queued locks.
 *
 * In free mode with no deterministic run in progress, an operation costs
 * the validator's bookkeeping (base/lockdep.h, one lookup of the current
 * task) plus that atomic operation: no schedule-point hook is reached. In a
 * deterministic run every acquisition and release is a schedule point.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/lock.h"
#include "base/lock_watchdog.h"
#include "base/log.h"
#include "base/sched.h"
#include "base/sched_internal.h"
#include "base/trace.h"
#include "base/stats.h"
#include "ulib/strbuf.h"

/* --- schedule point names -------------------------------------------------- */

/*
 * A schedule point's name is "func: op(lock)". Names are interned so the
 * trace can keep plain pointers; only deterministic runs ask for them.
 */
#define SITE_HASH_SIZE	1024

struct site_name {
	struct site_name *next;
	const char *func;
	const char *op;
	const char *lock;
	char *name;
};

static pthread_mutex_t site_lock = PTHREAD_MUTEX_INITIALIZER;
static struct site_name *site_hash[SITE_HASH_SIZE];

static const char *site_name(const char *op, const struct lockdep_map *map,
			     const struct lock_site *site)
{
	uintptr_t h = ((uintptr_t)site->func * 31 + (uintptr_t)op * 7 +
		       (uintptr_t)map->name) % SITE_HASH_SIZE;
	struct site_name *s;
	struct strbuf sb = STRBUF_INIT;

	/* Entries are never changed once published: look up without the lock. */
	for (s = __atomic_load_n(&site_hash[h], __ATOMIC_ACQUIRE); s; s = s->next)
		if (s->func == site->func && s->op == op && s->lock == map->name)
			return s->name;
	pthread_mutex_lock(&site_lock);
	for (s = site_hash[h]; s; s = s->next)
		if (s->func == site->func && s->op == op && s->lock == map->name)
			break;
	if (!s) {
		s = xzalloc(sizeof(*s));
		s->func = site->func;
		s->op = op;
		s->lock = map->name;
		sb_printf(&sb, "%s: %s(%s)", site->func ? site->func : "?", op,
			  map->name ? map->name : "?");
		s->name = sb_detach(&sb);
		s->next = site_hash[h];
		__atomic_store_n(&site_hash[h], s, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&site_lock);
	return s->name;
}

static noinline void lock_sched_point(const char *op,
				     const struct lockdep_map *map,
				     const struct lock_site *site)
{
	/* The lock is touched on both sides of the point (sleep sets). */
	if (sched_task_is_deterministic())
		__sched_point_obj(site_name(op, map, site), map,
				  SCHED_OBJ_NEXT | SCHED_OBJ_PREV);
}

/* Only a deterministic run has schedule points; free mode skips the call. */
#define LOCK_SCHED_POINT(op, map, site)					\
	do {								\
		if (unlikely(sched_det_possible()))			\
			lock_sched_point((op), (map), (site));		\
	} while (0)

/* --- the shared state machine ------------------------------------------------ */

#define BL_RD_ONE	1ULL
#define BL_RD_MASK	0x3fffffffULL	/* shared holders */
#define BL_WAITERS	(1ULL << 30)	/* a waiter sleeps: a release wakes */
#define BL_WRITER	(1ULL << 31)	/* held exclusively */
#define BL_WW_ONE	(1ULL << 32)	/* writers waiting (block new readers) */
#define BL_WW_MASK	(~0ULL << 32)

/* Free-mode waiters spin this many times before they sleep. */
#define BL_SPINS	64

static void bl_init(struct base_lock *l)
{
	pthread_condattr_t ca;

	pthread_mutex_init(&l->m, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&l->cv, &ca);
	pthread_condattr_destroy(&ca);
	l->state = 0;
	l->owner = NULL;
}

static void bl_destroy(struct base_lock *l)
{
	pthread_mutex_destroy(&l->m);
	pthread_cond_destroy(&l->cv);
}

static inline u64 bl_state(const struct base_lock *l)
{
	return __atomic_load_n(&l->state, __ATOMIC_RELAXED);
}

static inline bool bl_can_take(u64 s, bool excl)
{
	if (excl)
		return !(s & (BL_WRITER | BL_RD_MASK));
	return !(s & (BL_WRITER | BL_WW_MASK));
}

/*
 * Take the lock if it can be taken now. @s is a recent value of the word;
 * @ww: the caller is a writer counted in the waiting writers.
 */
static inline bool bl_try(struct base_lock *l, bool excl, bool ww, u64 s)
{
	while (bl_can_take(s, excl)) {
		u64 n = excl ? (s | BL_WRITER) - (ww ? BL_WW_ONE : 0) :
			       s + BL_RD_ONE;

		if (__atomic_compare_exchange_n(&l->state, &s, n, true,
						__ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return true;
	}
	return false;
}

/* Wake every sleeping waiter so each one re-checks the word. */
static noinline void bl_wake(struct base_lock *l)
{
	pthread_mutex_lock(&l->m);
	__atomic_fetch_and(&l->state, ~BL_WAITERS, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->m);
	sched_wake_obj(l);
}

/* Returns false when the lock was not held that way (nothing changes). */
static __always_inline bool bl_unlock(struct base_lock *l, bool excl,
				      bool spin)
{
	u64 s = bl_state(l);

	if (excl) {
		if (!(s & BL_WRITER))
			return false;
		__atomic_store_n(&l->owner, NULL, __ATOMIC_RELAXED);
		/*
		 * spinlock_t: free-mode waiters spin and never write the word
		 * (bl_spin_slow()), and a deterministic run has one task
		 * running, so with no sleeper a plain store releases it.
		 */
		if (spin && likely(!(s & BL_WAITERS))) {
			__atomic_store_n(&l->state, s & ~BL_WRITER,
					 __ATOMIC_RELEASE);
			return true;
		}
		/* The bit is ours: subtracting clears it in one xadd. */
		s = __atomic_fetch_sub(&l->state, BL_WRITER, __ATOMIC_RELEASE);
		if (unlikely(s & BL_WAITERS))
			bl_wake(l);
	} else {
		if (!(s & BL_RD_MASK))
			return false;
		s = __atomic_fetch_sub(&l->state, BL_RD_ONE, __ATOMIC_RELEASE);
		/* Only writers wait for readers: wake on the last one. */
		if (unlikely(s & BL_WAITERS) && (s & BL_RD_MASK) == BL_RD_ONE)
			bl_wake(l);
	}
	return true;
}

/*
 * The watchdog fired on a wait of @self for @l: report it and decide.
 * Returns true when the wait is to be given up: a killable wait (its caller
 * returns -EINTR and the run goes on), or a task that can be unwound (the
 * run then ends with a verdict: DEADLOCK when the task holds the lock
 * itself, HANG otherwise).
 */
static bool watchdog_fire(struct base_lock *l, const struct lockdep_map *map,
			  bool excl, bool killable, struct task *self,
			  unsigned int ms)
{
	bool self_held = __atomic_load_n(&l->owner, __ATOMIC_RELAXED) == self;

	if (!self_held && lockdep_enabled())
		self_held = lock_is_held_type(map, -1);
	bl_watchdog_report(l, self, map, excl, ms, self_held);
	if (killable)
		return true;
	return sched_watchdog_abort(self_held ? SCHED_DEADLOCK : SCHED_HANG);
}

/* Free-mode waiters wake at least this often to see a run being ended. */
#define WATCHDOG_SLICE_MS	100
/*
 * Sleep (l->m held, BL_WAITERS set) in free mode until a release wakes us
 * or a slice ends. Returns 0 to re-check, or -EINTR when the wait is given
 * up: the watchdog fired on a killable wait, or the task's run is being
 * ended (by the watchdog in this task or another). A non-killable wait of a
 * task that cannot be unwound (a thread outside any run) only reports and
 * goes on waiting.
 */
static int bl_wait_free(struct base_lock *l, const struct lockdep_map *map,
			bool excl, bool killable, struct task *self,
			struct wd_wait *w)
{
	unsigned int ms = sched_hang_timeout_ms();
	u64 now = ktime_get_ns(), waited = now - w->period;
	u64 left = (u64)ms * 1000000 > waited ? (u64)ms * 1000000 - waited : 0;
	struct timespec ts;

	if (left > (u64)WATCHDOG_SLICE_MS * 1000000)
		left = (u64)WATCHDOG_SLICE_MS * 1000000;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += left / 1000000000;
	ts.tv_nsec += left % 1000000000;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&l->cv, &l->m, &ts);
	if (bl_can_take(bl_state(l), excl))
		return 0;
	if (sched_run_aborting())
		return -EINTR;
	now = ktime_get_ns();
	if (w->reported || now - w->period < (u64)ms * 1000000 ||
	    bl_wd_holders_progressed(l, map, self, w, now, ms))
		return 0;

	w->reported = true;
	{
		bool give_up;

		pthread_mutex_unlock(&l->m);
		give_up = watchdog_fire(l, map, excl, killable, self, ms);
		pthread_mutex_lock(&l->m);
		return give_up ? -EINTR : 0;
	}
}

/*
 * A spinlock_t waiter in free mode spins (pausing, then yielding the CPU)
 * instead of sleeping, so that nobody but the holder writes the lock word
 * and spin_unlock() can be a plain store, as the kernel's is. Returns 0, or
 * gives up (unwinds) under the watchdog like a sleeping waiter.
 */
static noinline void bl_spin_slow(struct base_lock *l,
				  const struct lockdep_map *map,
				  struct task *self)
{
	unsigned int ms = sched_hang_timeout_ms();
	bool reported = false;
	u64 start = ktime_get_ns();
	int i;

	lock_contended(map, LOCK_EXCL);
	task_free_wait_begin(self, map->name, start);
	for (;;) {
		for (i = 0; i < BL_SPINS * 16; i++) {
			__builtin_ia32_pause();
			if (bl_try(l, true, false, bl_state(l))) {
				task_free_wait_end(self);
				return;
			}
		}
		sched_yield();
		if (sched_run_aborting())
			break;
		if (!reported && ktime_get_ns() - start >= (u64)ms * 1000000) {
			reported = true;
			if (watchdog_fire(l, map, true, false, self, ms))
				break;
		}
	}
	task_free_wait_end(self);
	sched_unwind_current();
}

/*
 * The contended acquisition. Returns 0, or -EINTR when a killable wait was
 * given up; a non-killable wait given up unwinds the task (never returns).
 */
static noinline int bl_lock_slow(struct base_lock *l,
				 const struct lockdep_map *map, bool excl,
				 bool spin, bool killable, struct task *self)
{
	bool det = sched_task_is_deterministic();
	struct wd_wait w = { 0 };
	u64 s;
	int err = 0, i;

	if (spin && !det) {
		bl_spin_slow(l, map, self);
		return 0;
	}
	lock_contended(map, excl ? LOCK_EXCL : LOCK_SHARED);
	if (!det) {
		for (i = 0; i < BL_SPINS; i++) {
			__builtin_ia32_pause();
			if (bl_try(l, excl, false, bl_state(l)))
				return 0;
		}
	}
	/* A waiting writer keeps new readers out, as a queued writer does. */
	if (excl)
		__atomic_fetch_add(&l->state, BL_WW_ONE, __ATOMIC_RELAXED);

	pthread_mutex_lock(&l->m);
	for (;;) {
		/* Say we sleep, then look: a release after this wakes us. */
		s = __atomic_fetch_or(&l->state, BL_WAITERS, __ATOMIC_ACQ_REL);
		if (bl_try(l, excl, excl, s | BL_WAITERS))
			break;
		if (det) {
			pthread_mutex_unlock(&l->m);
			sched_block_on(WAIT_LOCK, l, map,
				       excl ? "wants it for write" :
					      "wants it for read");
			pthread_mutex_lock(&l->m);
			continue;
		}
		if (!w.start) {
			w.start = w.period = ktime_get_ns();
			/* Its holders' schedule points count from now on. */
			__atomic_store_n(&((struct lockdep_map *)map)->watched,
					 1, __ATOMIC_RELAXED);
			lockdep_free_wait_begin();
			__atomic_store_n(&self->free_wait_map, map,
					 __ATOMIC_RELAXED);
			__atomic_store_n(&self->free_wait_lock, l,
					 __ATOMIC_RELEASE);
			task_free_wait_begin(self, map->name, w.start);
			w.progress = bl_wd_progress(l, map, self);
		}
		err = bl_wait_free(l, map, excl, killable, self, &w);
		if (err)
			break;
	}
	if (w.start) {
		lockdep_free_wait_end();
		task_free_wait_end(self);
		bl_wd_quiesce();
	}
	if (err && excl) {
		/* Readers queued behind this writer may go now. */
		__atomic_fetch_sub(&l->state, BL_WW_ONE, __ATOMIC_RELAXED);
		pthread_cond_broadcast(&l->cv);
	}
	pthread_mutex_unlock(&l->m);
	if (err && !killable)
		sched_unwind_current();
	return err;
}

/*
 * One acquisition. In free mode the lock is tried first and, when that
 * succeeds, lockdep validates and records it in one call: the only cost
 * beyond the atomic operation. A deterministic run, and a lock that must be
 * waited for, go the long way: validation first (so a deadlock is reported
 * before it happens), the schedule point, the wait, then the record.
 * The current task is looked up once, and only when something needs it.
 */
static __always_inline int do_lock(struct base_lock *l,
				   struct lockdep_map *map,
				   enum lock_usage usage,
				   struct lockdep_map *nest, bool killable,
				   bool spin, const char *op,
				   const struct lock_site *site)
{
	bool excl = usage == LOCK_EXCL;
	struct task *self = NULL;
	int err;

	if (likely(!sched_det_possible()) &&
	    likely(bl_try(l, excl, false, bl_state(l)))) {
		if (lockdep_on()) {
			self = current_task();
			__lock_taken(self, map, usage, nest, site);
		} else if (excl) {
			self = current_task();
		}
		if (excl)
			__atomic_store_n(&l->owner, self, __ATOMIC_RELEASE);
		if (tdxsim_trace_on())
			tdxsim_trace_lock_held(map, excl);
		return 0;
	}

	self = current_task();
	if (lockdep_on())
		__lock_acquire(self, map, usage, false, nest, site);
	LOCK_SCHED_POINT(op, map, site);
	if (!bl_try(l, excl, false, bl_state(l))) {
		if (tdxsim_trace_on())
			tdxsim_trace_lock_wait(map, excl);
		err = bl_lock_slow(l, map, excl, spin, killable, self);
		if (tdxsim_trace_on())
			tdxsim_trace_lock_wait_done(map);
		if (err)
			return err;
	}
	if (excl)
		__atomic_store_n(&l->owner, self, __ATOMIC_RELEASE);
	if (lockdep_on())
		__lock_acquired(self, map, usage, nest, site);
	if (tdxsim_trace_on())
		tdxsim_trace_lock_held(map, excl);
	return 0;
}

static __always_inline bool do_trylock(struct base_lock *l,
				       struct lockdep_map *map,
				       enum lock_usage usage, const char *op,
				       const struct lock_site *site)
{
	bool excl = usage == LOCK_EXCL;
	struct task *self = current_task();

	if (lockdep_on())
		__lock_acquire(self, map, usage, true, NULL, site);
	LOCK_SCHED_POINT(op, map, site);
	if (!bl_try(l, excl, false, bl_state(l)))
		return false;
	if (excl)
		__atomic_store_n(&l->owner, self, __ATOMIC_RELEASE);
	if (lockdep_on())
		__lock_acquired(self, map, usage, NULL, site);
	if (tdxsim_trace_on())
		tdxsim_trace_lock_held(map, excl);
	return true;
}

static __always_inline void do_unlock(struct base_lock *l,
				      struct lockdep_map *map, bool excl,
				      bool spin, const char *op,
				      const struct lock_site *site)
{
	/* A bad unlock is reported; the lock is left as it is. */
	if (lockdep_on() && !__lock_release(current_task(), map, site))
		return;
	if (!bl_unlock(l, excl, spin))
		WARN(1, "%s: %s was not held\n", op, map->name);
	if (tdxsim_trace_on())
		tdxsim_trace_lock_released(map);
	LOCK_SCHED_POINT(op, map, site);
}

/* Sleep sets name a lock created in a run by its class and creation index. */
static void lock_fp_name(struct base_lock *l, struct lockdep_map *map,
			 struct lock_class_key *key)
{
	if (unlikely(sched_det_possible())) {
		sched_fp_name(l, key);
		sched_fp_name(map, key);
	}
}

/* --- mutex ------------------------------------------------------------------- */

void __mutex_init(struct mutex *lock, const char *name,
		  struct lock_class_key *key)
{
	bl_init(&lock->l);
	lockdep_init_map(&lock->dep_map, name, key, LOCK_KIND_MUTEX);
	lock_fp_name(&lock->l, &lock->dep_map, key);
}

void mutex_destroy(struct mutex *lock)
{
	bl_destroy(&lock->l);
}

void __mutex_lock(struct mutex *lock, struct lockdep_map *nest,
		  const struct lock_site *site)
{
	do_lock(&lock->l, &lock->dep_map, LOCK_EXCL, nest, false, false,
		"mutex_lock", site);
}

int __mutex_lock_killable(struct mutex *lock, struct lockdep_map *nest,
			  const struct lock_site *site)
{
	return do_lock(&lock->l, &lock->dep_map, LOCK_EXCL, nest, true, false,
		       "mutex_lock_killable", site);
}

bool __mutex_trylock(struct mutex *lock, const struct lock_site *site)
{
	return do_trylock(&lock->l, &lock->dep_map, LOCK_EXCL,
			  "mutex_trylock", site);
}

void __mutex_unlock(struct mutex *lock, const struct lock_site *site)
{
	do_unlock(&lock->l, &lock->dep_map, true, false, "mutex_unlock", site);
}

bool mutex_is_locked(struct mutex *lock)
{
	return bl_state(&lock->l) & BL_WRITER;
}

/* --- spinlock ------------------------------------------------------------------ */

void __spin_lock_init(spinlock_t *lock, const char *name,
		      struct lock_class_key *key)
{
	bl_init(&lock->l);
	lockdep_init_map(&lock->dep_map, name, key, LOCK_KIND_SPINLOCK);
	lock_fp_name(&lock->l, &lock->dep_map, key);
}

void spin_lock_destroy(spinlock_t *lock)
{
	bl_destroy(&lock->l);
}

void __spin_lock(spinlock_t *lock, const struct lock_site *site)
{
	do_lock(&lock->l, &lock->dep_map, LOCK_EXCL, NULL, false, true,
		"spin_lock", site);
}

void __spin_unlock(spinlock_t *lock, const struct lock_site *site)
{
	do_unlock(&lock->l, &lock->dep_map, true, true, "spin_unlock", site);
}

/* --- rwlock_t ------------------------------------------------------------------ */

void __rwlock_init(rwlock_t *lock, const char *name,
		   struct lock_class_key *key)
{
	bl_init(&lock->l);
	lockdep_init_map(&lock->dep_map, name, key, LOCK_KIND_RWLOCK);
	lock_fp_name(&lock->l, &lock->dep_map, key);
}

void rwlock_destroy(rwlock_t *lock)
{
	bl_destroy(&lock->l);
}

void __read_lock(rwlock_t *lock, const struct lock_site *site)
{
	do_lock(&lock->l, &lock->dep_map, LOCK_SHARED, NULL, false, false,
		"read_lock", site);
}

void __read_unlock(rwlock_t *lock, const struct lock_site *site)
{
	do_unlock(&lock->l, &lock->dep_map, false, false, "read_unlock", site);
}

void __write_lock(rwlock_t *lock, const struct lock_site *site)
{
	do_lock(&lock->l, &lock->dep_map, LOCK_EXCL, NULL, false, false,
		"write_lock", site);
}

void __write_unlock(rwlock_t *lock, const struct lock_site *site)
{
	do_unlock(&lock->l, &lock->dep_map, true, false, "write_unlock", site);
}

bool rwlock_needbreak(rwlock_t *lock)
{
	return bl_state(&lock->l) & BL_WW_MASK;
}

/* --- rw_semaphore ------------------------------------------------------------------ */

void __init_rwsem(struct rw_semaphore *sem, const char *name,
		  struct lock_class_key *key)
{
	bl_init(&sem->l);
	lockdep_init_map(&sem->dep_map, name, key, LOCK_KIND_RWSEM);
	lock_fp_name(&sem->l, &sem->dep_map, key);
}

void rwsem_destroy(struct rw_semaphore *sem)
{
	bl_destroy(&sem->l);
}

void __down_read(struct rw_semaphore *sem, const struct lock_site *site)
{
	do_lock(&sem->l, &sem->dep_map, LOCK_SHARED, NULL, false, false,
		"down_read", site);
}

bool __down_read_trylock(struct rw_semaphore *sem, const struct lock_site *site)
{
	return do_trylock(&sem->l, &sem->dep_map, LOCK_SHARED,
			  "down_read_trylock", site);
}

void __up_read(struct rw_semaphore *sem, const struct lock_site *site)
{
	do_unlock(&sem->l, &sem->dep_map, false, false, "up_read", site);
}

void __down_write(struct rw_semaphore *sem, const struct lock_site *site)
{
	do_lock(&sem->l, &sem->dep_map, LOCK_EXCL, NULL, false, false,
		"down_write", site);
}

bool __down_write_trylock(struct rw_semaphore *sem, const struct lock_site *site)
{
	return do_trylock(&sem->l, &sem->dep_map, LOCK_EXCL,
			  "down_write_trylock", site);
}

void __up_write(struct rw_semaphore *sem, const struct lock_site *site)
{
	do_unlock(&sem->l, &sem->dep_map, true, false, "up_write", site);
}

void __downgrade_write(struct rw_semaphore *sem, const struct lock_site *site)
{
	struct base_lock *l = &sem->l;
	u64 s = bl_state(l);

	do {
		if (!(s & BL_WRITER) ||
		    __atomic_load_n(&l->owner, __ATOMIC_RELAXED) !=
			    current_task()) {
			WARN(1, "downgrade_write: %s not held for write\n",
			     sem->dep_map.name);
			return;
		}
	} while (!__atomic_compare_exchange_n(&l->state, &s,
					      (s & ~BL_WRITER) + BL_RD_ONE,
					      true, __ATOMIC_RELEASE,
					      __ATOMIC_RELAXED));
	__atomic_store_n(&l->owner, NULL, __ATOMIC_RELAXED);
	/* Readers waiting for the writer may come in. */
	if (s & BL_WAITERS)
		bl_wake(l);
	lock_downgrade(&sem->dep_map, site);
	LOCK_SCHED_POINT("downgrade_write", &sem->dep_map, site);
}

/* SRCU: base/srcu.c. */
