/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RCU on top of liburcu (the memb flavour), under the kernel's names.
 *
 * Every task tdxsim creates is registered with liburcu. rcu_read_lock() is
 * liburcu's read lock plus the task's nesting counter, nothing else: it is
 * not on lockdep's held-lock stack (lockdep lists it from the counter), and
 * synchronize_rcu() or rcu_barrier() inside a read-side section is reported
 * as recursive locking on the "rcu_read_lock" class instead of waiting
 * forever.
 *
 * Grace periods in deterministic mode: only one task runs at a time, and a
 * task parked at a schedule point may be inside a read-side section. A real
 * synchronize_rcu() would then block the only running thread forever, so in
 * deterministic mode synchronize_rcu() first waits, as a scheduler-visible
 * wait, until no task of the run is inside a read-side section, and then
 * is done: no other reader exists, so no liburcu grace period is needed.
 * call_rcu() callbacks may only free memory, never touch state other tasks
 * read, so they cannot change an interleaving. In free mode they run on
 * tdxsim's worker thread after a liburcu grace period; those a
 * deterministic run's tasks queue run at the run's next synchronize_rcu()
 * or rcu_barrier(), or when the run ends, in the caller's context.
 * rcu_barrier() waits for them (used before teardown checks).
 */
#ifndef TDXSIM_BASE_RCU_H
#define TDXSIM_BASE_RCU_H

#include "ulib/compiler.h"

struct rcu_head {
	void *urcu_head_[2];	/* the callback queue's link */
	void (*func)(struct rcu_head *head);
};

void rcu_read_lock(void);
void rcu_read_unlock(void);
/* Is the current task inside a read-side section? */
bool rcu_read_lock_held(void);

void synchronize_rcu(void);
/* Run @func(@head) after a grace period (see above for where). */
void call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *head));
/* Wait until every callback queued so far has run. */
void rcu_barrier(void);

/* liburcu thread registration; tasks call these themselves. */
void rcu_register_current_thread(void);
void rcu_unregister_current_thread(void);

/* Number of call_rcu() callbacks queued and run (for tests and stats). */
u64 rcu_callbacks_queued(void);
u64 rcu_callbacks_run(void);

#define rcu_dereference(p)	__atomic_load_n(&(p), __ATOMIC_CONSUME)
#define rcu_assign_pointer(p, v) __atomic_store_n(&(p), (v), __ATOMIC_RELEASE)

#endif /* TDXSIM_BASE_RCU_H */
