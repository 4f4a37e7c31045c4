/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The free-mode hung-task watchdog of lock waits (lock_watchdog.c). */
#ifndef TDXSIM_BASE_LOCK_WATCHDOG_H
#define TDXSIM_BASE_LOCK_WATCHDOG_H

#include "base/lock.h"
#include "base/lockdep.h"

struct task;

/* A free-mode lock wait: since when, and its watchdog's current period. */
struct wd_wait {
	u64 start;		/* the wait began */
	u64 period;		/* the current watchdog period began */
	u64 progress;		/* the lock's holders' progress then */
	bool reported;
};

/* The report of a wait of @self for @l that has lasted @ms. */
void bl_watchdog_report(struct base_lock *l, struct task *self,
			const struct lockdep_map *map, bool excl,
			unsigned int ms, bool self_held);
/* The progress behind a wait for @l (its holders' and down the chain). */
u64 bl_wd_progress(struct base_lock *l, const struct lockdep_map *map,
		   const struct task *self);
/* The period ended at @now: slow (a new period begins) or hung? */
bool bl_wd_holders_progressed(struct base_lock *l,
			      const struct lockdep_map *map, struct task *self,
			      struct wd_wait *w, u64 now, unsigned int ms);

/*
 * A task ends a wait or exits: after clearing what it published, wait out
 * a watchdog walk that may be reading its struct or the lock it waited on.
 */
void bl_wd_quiesce(void);

#endif /* TDXSIM_BASE_LOCK_WATCHDOG_H */
