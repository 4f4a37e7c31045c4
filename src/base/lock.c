// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The lock primitives: mutex, spinlock, rwlock, rw_semaphore, SRCU.
 *
 * All kinds share one implementation (struct base_lock): a small state
 * (writer, readers, waiting writers) guarded by an internal pthread mutex
 * that is never held while waiting. In free mode a waiter sleeps on the
 * lock's condition variable (with a hung-task style watchdog message); in
 * deterministic mode it blocks in the scheduler until a release wakes it.
 * Readers wait while a writer waits, like the kernel's queued locks.
 *
 * Every acquisition and release is a schedule point and goes through
 * lockdep (base/lockdep.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/lock.h"
#include "base/log.h"
#include "base/sched.h"
#include "base/sched_internal.h"
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
			     struct lock_site site)
{
	uintptr_t h = ((uintptr_t)site.func * 31 + (uintptr_t)op * 7 +
		       (uintptr_t)map->name) % SITE_HASH_SIZE;
	struct site_name *s;
	struct strbuf sb = STRBUF_INIT;

	pthread_mutex_lock(&site_lock);
	for (s = site_hash[h]; s; s = s->next)
		if (s->func == site.func && s->op == op && s->lock == map->name)
			break;
	if (!s) {
		s = xzalloc(sizeof(*s));
		s->func = site.func;
		s->op = op;
		s->lock = map->name;
		sb_printf(&sb, "%s: %s(%s)", site.func ? site.func : "?", op,
			  map->name ? map->name : "?");
		s->name = sb_detach(&sb);
		s->next = site_hash[h];
		site_hash[h] = s;
	}
	pthread_mutex_unlock(&site_lock);
	return s->name;
}

static void lock_sched_point(const char *op, const struct lockdep_map *map,
			     struct lock_site site)
{
	/* The lock is touched on both sides of the point (sleep sets). */
	if (sched_task_is_deterministic())
		__sched_point_obj(site_name(op, map, site), map,
				  SCHED_OBJ_NEXT | SCHED_OBJ_PREV);
}

/* --- the shared state machine ------------------------------------------------ */

static void bl_init(struct base_lock *l)
{
	pthread_condattr_t ca;

	pthread_mutex_init(&l->m, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&l->cv, &ca);
	pthread_condattr_destroy(&ca);
	l->writer = 0;
	l->readers = 0;
	l->write_waiters = 0;
	l->owner = NULL;
}

static void bl_destroy(struct base_lock *l)
{
	pthread_mutex_destroy(&l->m);
	pthread_cond_destroy(&l->cv);
}

static bool bl_can_take(const struct base_lock *l, bool excl)
{
	if (excl)
		return !l->writer && !l->readers;
	return !l->writer && !l->write_waiters;
}

static void bl_take(struct base_lock *l, bool excl, struct task *self)
{
	if (excl) {
		l->writer = 1;
		l->owner = self;
	} else {
		l->readers++;
	}
}

/*
 * The free-mode hung-task watchdog on a lock wait: the task has waited
 * @ms without getting the lock. Report it like a wait-queue hang, with the
 * locks the task holds, and say whether it holds this one itself (then the
 * wait can never end).
 */
static void watchdog_report(struct task *self, const struct lockdep_map *map,
			    bool excl, unsigned int ms, bool self_held)
{
	struct strbuf sb = STRBUF_INIT;

	sb_printf(&sb, "INFO: task %s/%d blocked for more than %u ms\n"
		       "      waiting to take %s for %s\n",
		  self->name, self->id, ms, map->name, excl ? "write" : "read");
	if (self_held)
		sb_printf(&sb, "      which the task holds itself: the wait can never end\n");
	lockdep_print_held_locks(&sb, self);
	lockdep_add_report(LOCKDEP_HANG, map->name, sb_str(&sb));
	sb_free(&sb);
}

/* Free-mode waiters wake at least this often to see a run being ended. */
#define WATCHDOG_SLICE_MS	100

/*
 * Wait (l->m held) in free mode until the lock may be free. Returns 0 to
 * re-check, or -EINTR when the wait is given up: the watchdog fired on a
 * killable wait, or the task's run is being ended (by the watchdog in this
 * task or another). A non-killable wait of a task that cannot be unwound
 * (a thread outside any run) only reports and goes on waiting.
 */
static int bl_wait_free(struct base_lock *l, const struct lockdep_map *map,
			bool excl, bool killable, struct task *self,
			u64 start, bool *reported)
{
	unsigned int ms = sched_hang_timeout_ms();
	u64 now = ktime_get_ns(), waited = now - start;
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
	if (bl_can_take(l, excl))
		return 0;
	if (sched_run_aborting())
		return -EINTR;
	if (*reported || ktime_get_ns() - start < (u64)ms * 1000000)
		return 0;

	*reported = true;
	{
		bool self_held = l->owner == self;
		bool unwind;

		pthread_mutex_unlock(&l->m);
		if (!self_held && lockdep_enabled())
			self_held = lock_is_held_type(map, -1);
		watchdog_report(self, map, excl, ms, self_held);
		/* A killable wait returns the error; the run goes on. */
		unwind = !killable &&
			 sched_watchdog_abort(self_held ? SCHED_DEADLOCK :
							  SCHED_HANG);
		pthread_mutex_lock(&l->m);
		return killable || unwind ? -EINTR : 0;
	}
}

/*
 * Take @l. Returns 0, or -EINTR when a killable wait was given up; a
 * non-killable wait given up unwinds the task (it never returns).
 */
static int bl_lock(struct base_lock *l, const struct lockdep_map *map,
		   bool excl, bool killable)
{
	struct task *self = current_task();
	bool counted = false, reported = false;
	u64 start = 0;
	int err = 0;

	pthread_mutex_lock(&l->m);
	if (!bl_can_take(l, excl))
		lock_contended(map, excl ? LOCK_EXCL : LOCK_SHARED);
	while (!bl_can_take(l, excl)) {
		if (excl && !counted) {
			l->write_waiters++;
			counted = true;
		}
		if (sched_task_is_deterministic()) {
			pthread_mutex_unlock(&l->m);
			sched_block_on(WAIT_LOCK, l, map,
				       excl ? "wants it for write" :
					      "wants it for read");
			pthread_mutex_lock(&l->m);
			continue;
		}
		if (!start)
			start = ktime_get_ns();
		err = bl_wait_free(l, map, excl, killable, self, start,
				   &reported);
		if (err)
			break;
	}
	if (counted) {
		l->write_waiters--;
		/* Readers queued behind this writer may go now. */
		if (err)
			pthread_cond_broadcast(&l->cv);
	}
	if (!err)
		bl_take(l, excl, self);
	pthread_mutex_unlock(&l->m);
	if (err && !killable)
		sched_unwind_current();
	return err;
}

static bool bl_trylock(struct base_lock *l, bool excl)
{
	bool ok;

	pthread_mutex_lock(&l->m);
	ok = bl_can_take(l, excl);
	if (ok)
		bl_take(l, excl, current_task());
	pthread_mutex_unlock(&l->m);
	return ok;
}

/* Returns false when the lock was not held that way (nothing changes). */
static bool bl_unlock(struct base_lock *l, bool excl)
{
	pthread_mutex_lock(&l->m);
	if (excl ? !l->writer : !l->readers) {
		pthread_mutex_unlock(&l->m);
		return false;
	}
	if (excl) {
		l->writer = 0;
		l->owner = NULL;
	} else {
		l->readers--;
	}
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->m);
	sched_wake_obj(l);
	return true;
}

/* One acquisition: lockdep check, schedule point, take, record. */
static int do_lock(struct base_lock *l, struct lockdep_map *map,
		   enum lock_usage usage, struct lockdep_map *nest,
		   bool killable, const char *op, struct lock_site site)
{
	int err;

	lock_acquire(map, usage, false, nest, site);
	lock_sched_point(op, map, site);
	err = bl_lock(l, map, usage == LOCK_EXCL, killable);
	if (!err)
		lock_acquired(map, usage, nest, site);
	return err;
}

static bool do_trylock(struct base_lock *l, struct lockdep_map *map,
		       enum lock_usage usage, const char *op,
		       struct lock_site site)
{
	lock_acquire(map, usage, true, NULL, site);
	lock_sched_point(op, map, site);
	if (!bl_trylock(l, usage == LOCK_EXCL))
		return false;
	lock_acquired(map, usage, NULL, site);
	return true;
}

static void do_unlock(struct base_lock *l, struct lockdep_map *map, bool excl,
		      const char *op, struct lock_site site)
{
	if (!lock_release(map, site))
		return;		/* reported as a bad unlock; leave the state */
	if (!bl_unlock(l, excl))
		WARN(1, "%s: %s was not held\n", op, map->name);
	lock_sched_point(op, map, site);
}

/* --- mutex ------------------------------------------------------------------- */

void __mutex_init(struct mutex *lock, const char *name,
		  struct lock_class_key *key)
{
	bl_init(&lock->l);
	lockdep_init_map(&lock->dep_map, name, key, LOCK_KIND_MUTEX);
}

void mutex_destroy(struct mutex *lock)
{
	bl_destroy(&lock->l);
}

void __mutex_lock(struct mutex *lock, struct lockdep_map *nest,
		  struct lock_site site)
{
	do_lock(&lock->l, &lock->dep_map, LOCK_EXCL, nest, false,
		"mutex_lock", site);
}

int __mutex_lock_killable(struct mutex *lock, struct lockdep_map *nest,
			  struct lock_site site)
{
	return do_lock(&lock->l, &lock->dep_map, LOCK_EXCL, nest, true,
		       "mutex_lock_killable", site);
}

bool __mutex_trylock(struct mutex *lock, struct lock_site site)
{
	return do_trylock(&lock->l, &lock->dep_map, LOCK_EXCL,
			  "mutex_trylock", site);
}

void __mutex_unlock(struct mutex *lock, struct lock_site site)
{
	do_unlock(&lock->l, &lock->dep_map, true, "mutex_unlock", site);
}

bool mutex_is_locked(struct mutex *lock)
{
	bool held;

	pthread_mutex_lock(&lock->l.m);
	held = lock->l.writer;
	pthread_mutex_unlock(&lock->l.m);
	return held;
}

/* --- spinlock ------------------------------------------------------------------ */

void __spin_lock_init(spinlock_t *lock, const char *name,
		      struct lock_class_key *key)
{
	bl_init(&lock->l);
	lockdep_init_map(&lock->dep_map, name, key, LOCK_KIND_SPINLOCK);
}

void spin_lock_destroy(spinlock_t *lock)
{
	bl_destroy(&lock->l);
}

void __spin_lock(spinlock_t *lock, struct lock_site site)
{
	do_lock(&lock->l, &lock->dep_map, LOCK_EXCL, NULL, false, "spin_lock",
		site);
}

void __spin_unlock(spinlock_t *lock, struct lock_site site)
{
	do_unlock(&lock->l, &lock->dep_map, true, "spin_unlock", site);
}

/* --- rwlock_t ------------------------------------------------------------------ */

void __rwlock_init(rwlock_t *lock, const char *name,
		   struct lock_class_key *key)
{
	bl_init(&lock->l);
	lockdep_init_map(&lock->dep_map, name, key, LOCK_KIND_RWLOCK);
}

void rwlock_destroy(rwlock_t *lock)
{
	bl_destroy(&lock->l);
}

void __read_lock(rwlock_t *lock, struct lock_site site)
{
	do_lock(&lock->l, &lock->dep_map, LOCK_SHARED, NULL, false, "read_lock",
		site);
}

void __read_unlock(rwlock_t *lock, struct lock_site site)
{
	do_unlock(&lock->l, &lock->dep_map, false, "read_unlock", site);
}

void __write_lock(rwlock_t *lock, struct lock_site site)
{
	do_lock(&lock->l, &lock->dep_map, LOCK_EXCL, NULL, false, "write_lock",
		site);
}

void __write_unlock(rwlock_t *lock, struct lock_site site)
{
	do_unlock(&lock->l, &lock->dep_map, true, "write_unlock", site);
}

bool rwlock_needbreak(rwlock_t *lock)
{
	bool contended;

	pthread_mutex_lock(&lock->l.m);
	contended = lock->l.write_waiters > 0;
	pthread_mutex_unlock(&lock->l.m);
	return contended;
}

/* --- rw_semaphore ------------------------------------------------------------------ */

void __init_rwsem(struct rw_semaphore *sem, const char *name,
		  struct lock_class_key *key)
{
	bl_init(&sem->l);
	lockdep_init_map(&sem->dep_map, name, key, LOCK_KIND_RWSEM);
}

void rwsem_destroy(struct rw_semaphore *sem)
{
	bl_destroy(&sem->l);
}

void __down_read(struct rw_semaphore *sem, struct lock_site site)
{
	do_lock(&sem->l, &sem->dep_map, LOCK_SHARED, NULL, false, "down_read",
		site);
}

bool __down_read_trylock(struct rw_semaphore *sem, struct lock_site site)
{
	return do_trylock(&sem->l, &sem->dep_map, LOCK_SHARED,
			  "down_read_trylock", site);
}

void __up_read(struct rw_semaphore *sem, struct lock_site site)
{
	do_unlock(&sem->l, &sem->dep_map, false, "up_read", site);
}

void __down_write(struct rw_semaphore *sem, struct lock_site site)
{
	do_lock(&sem->l, &sem->dep_map, LOCK_EXCL, NULL, false, "down_write",
		site);
}

bool __down_write_trylock(struct rw_semaphore *sem, struct lock_site site)
{
	return do_trylock(&sem->l, &sem->dep_map, LOCK_EXCL,
			  "down_write_trylock", site);
}

void __up_write(struct rw_semaphore *sem, struct lock_site site)
{
	do_unlock(&sem->l, &sem->dep_map, true, "up_write", site);
}

void __downgrade_write(struct rw_semaphore *sem, struct lock_site site)
{
	struct task *self = current_task();

	pthread_mutex_lock(&sem->l.m);
	if (!sem->l.writer || sem->l.owner != self) {
		pthread_mutex_unlock(&sem->l.m);
		WARN(1, "downgrade_write: %s not held for write\n",
		     sem->dep_map.name);
		return;
	}
	sem->l.writer = 0;
	sem->l.owner = NULL;
	sem->l.readers = 1;
	pthread_cond_broadcast(&sem->l.cv);
	pthread_mutex_unlock(&sem->l.m);
	sched_wake_obj(&sem->l);
	lock_downgrade(&sem->dep_map, site);
	lock_sched_point("downgrade_write", &sem->dep_map, site);
}

/* --- SRCU ------------------------------------------------------------------------ */

void __init_srcu_struct(struct srcu_struct *ssp, const char *name,
			struct lock_class_key *key)
{
	struct wait_queue_head *wq = xzalloc(sizeof(*wq));

	pthread_mutex_init(&ssp->m, NULL);
	ssp->idx = 0;
	ssp->count[0] = ssp->count[1] = 0;
	mutex_init(&ssp->sync_mutex);
	__init_waitqueue_head(wq, name);
	ssp->wq = wq;
	lockdep_init_map(&ssp->dep_map, name, key, LOCK_KIND_SRCU);
}

void cleanup_srcu_struct(struct srcu_struct *ssp)
{
	struct wait_queue_head *wq = ssp->wq;

	WARN_ON(ssp->count[0] || ssp->count[1]);
	mutex_destroy(&ssp->sync_mutex);
	pthread_mutex_destroy(&ssp->m);
	destroy_waitqueue_head(wq);
	free(wq);
	ssp->wq = NULL;
}

int __srcu_read_lock(struct srcu_struct *ssp, struct lock_site site)
{
	int idx;

	lock_acquire(&ssp->dep_map, LOCK_SHARED_RECURSIVE, false, NULL, site);
	pthread_mutex_lock(&ssp->m);
	idx = ssp->idx;
	ssp->count[idx]++;
	pthread_mutex_unlock(&ssp->m);
	lock_acquired(&ssp->dep_map, LOCK_SHARED_RECURSIVE, NULL, site);
	return idx;
}

void __srcu_read_unlock(struct srcu_struct *ssp, int idx,
			struct lock_site site)
{
	bool last;

	lock_release(&ssp->dep_map, site);
	pthread_mutex_lock(&ssp->m);
	last = --ssp->count[idx] == 0;
	pthread_mutex_unlock(&ssp->m);
	if (last)
		wake_up(ssp->wq);
}

static long srcu_readers(struct srcu_struct *ssp, int idx)
{
	long n;

	pthread_mutex_lock(&ssp->m);
	n = ssp->count[idx];
	pthread_mutex_unlock(&ssp->m);
	return n;
}

void __synchronize_srcu(struct srcu_struct *ssp, struct lock_site site)
{
	struct wait_queue_head *wq = ssp->wq;
	int old;

	/* Lockdep sees a grace period as a write acquisition of the class. */
	lock_acquire(&ssp->dep_map, LOCK_EXCL, false, NULL, site);
	lock_acquired(&ssp->dep_map, LOCK_EXCL, NULL, site);
	lock_release(&ssp->dep_map, site);
	if (lock_is_held_type(&ssp->dep_map, -1) && lockdep_enabled())
		return;		/* reported: waiting would never end */

	mutex_lock(&ssp->sync_mutex);
	pthread_mutex_lock(&ssp->m);
	old = ssp->idx;
	ssp->idx ^= 1;
	pthread_mutex_unlock(&ssp->m);
	while (wait_event_killable(*wq, srcu_readers(ssp, old) == 0))
		;
	mutex_unlock(&ssp->sync_mutex);
}
