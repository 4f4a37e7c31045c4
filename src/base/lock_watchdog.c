// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The free-mode hung-task watchdog of lock waits (lock.c's bl_wait_free()):
 * its report (the waiter, its held locks, the holder and what it does) and
 * its verdict on progress (a holder, or the holder of a lock it waits for,
 * passing schedule points is slow, not hung).
 */
#include "base/lock.h"
#include "base/lock_watchdog.h"
#include "base/lockdep.h"
#include "base/sched_internal.h"
#include "base/stats.h"
#include "ulib/strbuf.h"

/*
 * Reading another task's struct (a lock's writer, what it waits for) from
 * a waiter: the task may release the lock and exit, or end its wait, at
 * any moment. A walk counts itself in wd_walkers and runs under
 * wd_walk_lock; a task that ends a wait or exits (bl_wd_quiesce()) first
 * clears what it published, then, if a walk may be running, waits for it
 * to end. With a full barrier on both sides (store, then load the other
 * side's word) either the walk sees the cleared pointer or the task sees
 * the walker and waits: no walk reads a freed task or a lock freed after
 * its wait. A walk that ended is ordered before the task's free by the
 * release of its count and the task's acquire of it (what TSan sees: it
 * does not model fences). A lock's owner is published with a release
 * store, so a walk reads an initialized task.
 */
static unsigned int wd_walkers;
static pthread_mutex_t wd_walk_lock = PTHREAD_MUTEX_INITIALIZER;

static void wd_walk_begin(void)
{
	__atomic_fetch_add(&wd_walkers, 1, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	pthread_mutex_lock(&wd_walk_lock);
}

static void wd_walk_end(void)
{
	pthread_mutex_unlock(&wd_walk_lock);
	__atomic_fetch_sub(&wd_walkers, 1, __ATOMIC_RELEASE);
}

void bl_wd_quiesce(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&wd_walkers, __ATOMIC_ACQUIRE)) {
		pthread_mutex_lock(&wd_walk_lock);
		pthread_mutex_unlock(&wd_walk_lock);
	}
}

/*
 * The free-mode hung-task watchdog on a lock wait: the task has waited
 * @ms without getting the lock. Report it like a wait-queue hang, with the
 * locks the task holds, and say whether it holds this one itself (then the
 * wait can never end).
 */
void bl_watchdog_report(struct base_lock *l, struct task *self,
			const struct lockdep_map *map, bool excl,
			unsigned int ms, bool self_held)
{
	struct strbuf sb = STRBUF_INIT;
	struct task *owner;
	const char *what;

	sb_printf(&sb, "INFO: task %s/%d blocked for more than %u ms\n"
		       "      waiting to take %s for %s\n",
		  self->name, self->id, ms, map->name, excl ? "write" : "read");
	if (self_held)
		sb_printf(&sb, "      which the task holds itself: the wait can never end\n");
	lockdep_print_held_locks(&sb, self);
	/*
	 * What the holder does (free mode): sleeping on something itself,
	 * and since when, or running.
	 */
	wd_walk_begin();
	owner = __atomic_load_n(&l->owner, __ATOMIC_SEQ_CST);
	if (owner && owner != self) {
		what = __atomic_load_n(&owner->free_wait, __ATOMIC_ACQUIRE);
		sb_printf(&sb, "      held for write by %s/%d, ", owner->name,
			  owner->id);
		if (what)
			sb_printf(&sb, "itself waiting on %s for %llu ms\n", what,
				  (unsigned long long)((ktime_get_ns() -
				  __atomic_load_n(&owner->free_wait_since,
						  __ATOMIC_RELAXED)) / 1000000));
		else
			sb_printf(&sb, "which is running (not sleeping in tdxsim)\n");
		/*
		 * Not its held locks: the holder changes its lock stack with
		 * plain stores while it runs (a data race for TSan, and no
		 * consistent picture anyway).
		 */
	} else if (!owner) {
		/*
		 * Readers are not recorded: a task that took it for read
		 * may be gone by now, and its struct with it.
		 */
		sb_printf(&sb, "      held for read (readers are not recorded) or just released\n");
	}
	wd_walk_end();
	lockdep_add_report(LOCKDEP_HANG, map->name, sb_str(&sb));
	sb_free(&sb);
}

/*
 * A wait whose lock's holders keep passing schedule points is slow, not
 * hung (the watchdog's period starts again), up to this many periods: 120
 * s with the default 10 s, the kernel's hung_task_timeout_secs.
 */
#define WATCHDOG_MAX_PERIODS	12

/* The chain of lock waits followed from a waiter, at most. */
#define WD_CHAIN_MAX	8

/*
 * The progress behind a wait for @l: its holders' schedule points
 * (lockdep_note_progress()), plus, when its writer sleeps waiting for
 * another lock, that lock's, and so on down the chain: a holder blocked
 * behind a slow holder is slow too. (A writer holds the lock, so its
 * task is alive; readers are not recorded.)
 */
u64 bl_wd_progress(struct base_lock *l, const struct lockdep_map *map,
		   const struct task *self)
{
	u64 p = __atomic_load_n(&map->progress, __ATOMIC_RELAXED);
	struct task *h;
	int i;

	wd_walk_begin();
	for (i = 0; i < WD_CHAIN_MAX; i++) {
		h = __atomic_load_n(&l->owner, __ATOMIC_ACQUIRE);
		if (!h || h == self)
			break;
		l = __atomic_load_n(&h->free_wait_lock, __ATOMIC_ACQUIRE);
		map = __atomic_load_n(&h->free_wait_map, __ATOMIC_RELAXED);
		if (!l || !map)
			break;
		p += __atomic_load_n(&map->progress, __ATOMIC_RELAXED);
	}
	wd_walk_end();
	return p;
}

/*
 * The watchdog's period ended: did the lock's holders, or those of the
 * locks they wait for, pass a schedule point while holding them? Then
 * the wait is slow (a holder in a long loop, such as a fallocate() of
 * many pages under a sanitizer on a loaded machine), and a new period
 * begins, up to WATCHDOG_MAX_PERIODS; else it is a hang.
 */
bool bl_wd_holders_progressed(struct base_lock *l,
			      const struct lockdep_map *map, struct task *self,
			      struct wd_wait *w, u64 now, unsigned int ms)
{
	u64 p = bl_wd_progress(l, map, self);

	if (p == w->progress ||
	    now - w->start >= (u64)ms * 1000000 * WATCHDOG_MAX_PERIODS)
		return false;
	w->progress = p;
	w->period = now;
	return true;
}

