// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * RCU through liburcu's memb flavour. See base/rcu.h for how grace periods
 * behave in deterministic mode.
 */
#include <pthread.h>
#include <stddef.h>

#include "base/lockdep.h"
#include "base/log.h"
#include "base/rcu.h"
#include "base/rcu_urcu.h"
#include "base/sched_internal.h"

#if defined(__SANITIZE_THREAD__)
#define TDXSIM_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TDXSIM_TSAN 1
#endif
#endif

#ifdef TDXSIM_TSAN
/*
 * ThreadSanitizer cannot see liburcu's grace periods: tell it that what a
 * reader did before rcu_read_unlock() happens before the end of any later
 * grace period (synchronize_rcu() returning, a callback running).
 */
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
static char rcu_tsan_sync;
#define tsan_reader_done()	__tsan_release(&rcu_tsan_sync)
#define tsan_grace_period()	__tsan_acquire(&rcu_tsan_sync)
#else
#define tsan_reader_done()	do { } while (0)
#define tsan_grace_period()	do { } while (0)
#endif

static struct lock_class_key rcu_key;
static struct lockdep_map rcu_map = {
	.key = &rcu_key,
	.name = "rcu_read_lock",
	.kind = LOCK_KIND_RCU,
};
static pthread_once_t rcu_map_once = PTHREAD_ONCE_INIT;
static u64 nr_queued;
static u64 nr_run;

static void rcu_map_init(void)
{
	lockdep_init_map(&rcu_map, "rcu_read_lock", &rcu_key, LOCK_KIND_RCU);
}

void rcu_register_current_thread(void)
{
	struct task *t = current_task();

	if (t->rcu_registered)
		return;
	urcu_wrap_register_thread();
	t->rcu_registered = true;
}

void rcu_unregister_current_thread(void)
{
	urcu_wrap_unregister_thread();
}

void rcu_read_lock(void)
{
	struct task *t = current_task();

	pthread_once(&rcu_map_once, rcu_map_init);
	if (!t->rcu_registered)
		rcu_register_current_thread();
	lock_acquire(&rcu_map, LOCK_SHARED_RECURSIVE, false, NULL,
		     LOCK_SITE_HERE);
	urcu_wrap_read_lock();
	__atomic_add_fetch(&t->rcu_nesting, 1, __ATOMIC_RELAXED);
	lock_acquired(&rcu_map, LOCK_SHARED_RECURSIVE, LOCK_SITE_HERE);
}

void rcu_read_unlock(void)
{
	struct task *t = current_task();

	lock_release(&rcu_map, LOCK_SITE_HERE);
	tsan_reader_done();
	urcu_wrap_read_unlock();
	if (__atomic_sub_fetch(&t->rcu_nesting, 1, __ATOMIC_RELAXED) == 0)
		sched_rcu_reader_done();
}

bool rcu_read_lock_held(void)
{
	return current_task()->rcu_nesting > 0;
}

void synchronize_rcu(void)
{
	struct task *t = current_task();

	pthread_once(&rcu_map_once, rcu_map_init);
	if (t->rcu_nesting) {
		/* liburcu would wait for us forever: report instead. */
		lock_acquire(&rcu_map, LOCK_EXCL, false, NULL,
			     LOCK_SITE_HERE);
		WARN(1, "synchronize_rcu() inside an RCU read-side section\n");
		return;
	}
	sched_wait_rcu_readers();
	if (!t->rcu_registered)
		rcu_register_current_thread();
	urcu_wrap_synchronize();
	tsan_grace_period();
}

/* liburcu calls back with the address of its head, our urcu_head_ field. */
static void rcu_callback(void *storage)
{
	struct rcu_head *head = container_of(storage, struct rcu_head,
					     urcu_head_);

	tsan_grace_period();
	__atomic_add_fetch(&nr_run, 1, __ATOMIC_RELAXED);
	head->func(head);
}

void call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *head))
{
	struct task *t = current_task();

	if (!t->rcu_registered)
		rcu_register_current_thread();
	head->func = func;
	__atomic_add_fetch(&nr_queued, 1, __ATOMIC_RELAXED);
	urcu_wrap_call(head->urcu_head_, rcu_callback);
}

void rcu_barrier(void)
{
	struct task *t = current_task();

	if (!t->rcu_registered)
		rcu_register_current_thread();
	urcu_wrap_barrier();
	tsan_grace_period();
}

u64 rcu_callbacks_queued(void)
{
	return __atomic_load_n(&nr_queued, __ATOMIC_RELAXED);
}

u64 rcu_callbacks_run(void)
{
	return __atomic_load_n(&nr_run, __ATOMIC_RELAXED);
}
