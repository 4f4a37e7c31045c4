// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The only file that includes liburcu: its headers map rcu_read_lock() and
 * friends to the flavour's names and define their own struct rcu_head,
 * which would clash with tdxsim's, so base/rcu.c calls the thin wrappers
 * below for everything but the read side.
 *
 * The read side lives here, on liburcu's inline (_LGPL_SOURCE) read lock:
 * rcu_read_lock()/rcu_read_unlock() are liburcu's read lock plus the task's
 * nesting counter (which synchronize_rcu() in a read-side section, the
 * deterministic scheduler's grace periods and lockdep's held-lock lists
 * read), and nothing else: no lockdep acquisition, no schedule point.
 */
#define _LGPL_SOURCE
#include <urcu/urcu-memb.h>

/* liburcu maps these names to its flavour; tdxsim defines its own. */
#undef rcu_read_lock
#undef rcu_read_unlock
#undef rcu_read_lock_held

#include "base/log.h"
#include "base/rcu_urcu.h"
#include "base/sched_internal.h"
#include "ulib/compiler.h"

#ifdef TDXSIM_TSAN
/* See rcu.c: what a reader did happens before any later grace period's end. */
void __tsan_release(void *addr);
extern char rcu_tsan_sync;
#define tsan_reader_done()	__tsan_release(&rcu_tsan_sync)
#else
#define tsan_reader_done()	do { } while (0)
#endif

/* base/rcu.h's; declared here because that header cannot be included. */
void rcu_read_lock(void);
void rcu_read_unlock(void);
bool rcu_read_lock_held(void);
void rcu_register_current_thread(void);

void rcu_read_lock(void)
{
	struct task *t = current_task();

	if (unlikely(!t->rcu_registered))
		rcu_register_current_thread();
	urcu_memb_read_lock();
	/* Only this task writes it; others (the scheduler) read it. */
	__atomic_store_n(&t->rcu_nesting, t->rcu_nesting + 1,
			 __ATOMIC_RELAXED);
}

void rcu_read_unlock(void)
{
	struct task *t = current_task();
	int n = t->rcu_nesting - 1;

	if (unlikely(n < 0)) {
		WARN(1, "rcu_read_unlock() outside a read-side section\n");
		return;
	}
	tsan_reader_done();
	urcu_memb_read_unlock();
	__atomic_store_n(&t->rcu_nesting, n, __ATOMIC_RELAXED);
	if (unlikely(!n) && unlikely(sched_det_possible()))
		sched_rcu_reader_done();
}

bool rcu_read_lock_held(void)
{
	return current_task()->rcu_nesting > 0;
}

void urcu_wrap_register_thread(void)
{
	urcu_memb_register_thread();
}

void urcu_wrap_unregister_thread(void)
{
	urcu_memb_unregister_thread();
}

void urcu_wrap_synchronize(void)
{
	urcu_memb_synchronize_rcu();
}
