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
char rcu_tsan_sync;	/* released by readers in rcu_urcu.c */
#define tsan_grace_period()	__tsan_acquire(&rcu_tsan_sync)
#else
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
static pthread_mutex_t cb_lock = PTHREAD_MUTEX_INITIALIZER;

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

/* rcu_read_lock(), rcu_read_unlock(), rcu_read_lock_held(): rcu_urcu.c. */

/* A grace period waited for inside a read-side section would never end. */
static void rcu_wait_in_reader(const char *what)
{
	pthread_once(&rcu_map_once, rcu_map_init);
	lockdep_report_recursive_held(&rcu_map, LOCK_SHARED_RECURSIVE,
				      LOCK_EXCL, LOCK_SITE_HERE);
	WARN(1, "%s() inside an RCU read-side section\n", what);
}

/*
 * Deterministic mode: the run's tasks are the only readers, and only one
 * of them runs at a time. Once sched_wait_rcu_readers() returns, none is
 * inside a read-side section, and none can enter one before the caller
 * lets it run: that is a grace period, with no system call. Callbacks the
 * run's tasks queue wait on det_cbs (no worker thread is woken) and run at
 * the run's next grace period (synchronize_rcu(), rcu_barrier()) or when
 * the run ends, in the caller's context: at points the schedule decides,
 * so a replay frees memory at the same points. They only free memory
 * (base/rcu.h), so the context does not matter.
 */
static struct rcu_head *det_cbs;
static struct rcu_head **det_cbs_tail = &det_cbs;

static inline bool rcu_det_task(void)
{
	return unlikely(sched_det_possible()) && sched_task_is_deterministic();
}

static void rcu_det_run_callbacks(void)
{
	struct rcu_head *batch, *next;
	u64 n = 0;

	pthread_mutex_lock(&cb_lock);
	batch = det_cbs;
	det_cbs = NULL;
	det_cbs_tail = &det_cbs;
	pthread_mutex_unlock(&cb_lock);
	for (; batch; batch = next) {
		next = (struct rcu_head *)batch->urcu_head_[0];
		batch->func(batch);
		n++;
	}
	if (n)
		__atomic_add_fetch(&nr_run, n, __ATOMIC_RELAXED);
}

void rcu_det_run_end(void)
{
	/* No task of the run is left: no reader either. */
	rcu_det_run_callbacks();
}

void synchronize_rcu(void)
{
	struct task *t = current_task();

	if (t->rcu_nesting) {
		/* liburcu would wait for us forever: report instead. */
		rcu_wait_in_reader("synchronize_rcu");
		return;
	}
	sched_wait_rcu_readers();
	if (rcu_det_task()) {
		rcu_det_run_callbacks();
		tsan_grace_period();
		return;
	}
	if (!t->rcu_registered)
		rcu_register_current_thread();
	urcu_wrap_synchronize();
	tsan_grace_period();
}

/*
 * call_rcu() callbacks run on tdxsim's own worker thread rather than
 * liburcu's call_rcu thread, which sleeps 10 ms after every wake-up to batch
 * callbacks (every rcu_barrier(), so every VM teardown, paid for it). The
 * worker takes the whole queue, waits for one grace period with liburcu's
 * synchronize_rcu(), and runs the batch: batching comes for free, latency
 * is one grace period.
 */
static pthread_cond_t cb_cond = PTHREAD_COND_INITIALIZER;
static pthread_cond_t cb_done_cond = PTHREAD_COND_INITIALIZER;
static struct rcu_head *cb_head;
static struct rcu_head **cb_tail = &cb_head;
static u64 cb_enqueued;		/* tickets handed out */
static u64 cb_completed;	/* tickets whose callback has run */
static pthread_once_t cb_once = PTHREAD_ONCE_INIT;

static void *rcu_cb_worker(void *unused)
{
	for (;;) {
		struct rcu_head *batch, *next;
		u64 n = 0;

		pthread_mutex_lock(&cb_lock);
		while (!cb_head)
			pthread_cond_wait(&cb_cond, &cb_lock);
		batch = cb_head;
		cb_head = NULL;
		cb_tail = &cb_head;
		pthread_mutex_unlock(&cb_lock);

		/* Every reader that could see these objects has left after this. */
		urcu_wrap_synchronize();
		tsan_grace_period();
		for (; batch; batch = next) {
			next = (struct rcu_head *)batch->urcu_head_[0];
			batch->func(batch);
			n++;
		}
		__atomic_add_fetch(&nr_run, n, __ATOMIC_RELAXED);

		pthread_mutex_lock(&cb_lock);
		cb_completed += n;
		pthread_cond_broadcast(&cb_done_cond);
		pthread_mutex_unlock(&cb_lock);
	}
	return NULL;
}

static void rcu_cb_worker_start(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, rcu_cb_worker, NULL))
		BUG();
	pthread_detach(t);
}

void call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *head))
{
	head->func = func;
	head->urcu_head_[0] = NULL;
	__atomic_add_fetch(&nr_queued, 1, __ATOMIC_RELAXED);
	if (rcu_det_task()) {
		pthread_mutex_lock(&cb_lock);
		*det_cbs_tail = head;
		det_cbs_tail = (struct rcu_head **)&head->urcu_head_[0];
		pthread_mutex_unlock(&cb_lock);
		return;
	}
	pthread_once(&cb_once, rcu_cb_worker_start);
	pthread_mutex_lock(&cb_lock);
	*cb_tail = head;
	cb_tail = (struct rcu_head **)&head->urcu_head_[0];
	cb_enqueued++;
	pthread_cond_signal(&cb_cond);
	pthread_mutex_unlock(&cb_lock);
}

void rcu_barrier(void)
{
	struct task *t = current_task();
	u64 ticket;

	if (t->rcu_nesting) {
		rcu_wait_in_reader("rcu_barrier");
		return;
	}
	/*
	 * Deterministic mode: the worker's grace period waits for readers,
	 * and a reader parked at a schedule point only moves when we let it.
	 * Wait (as a scheduler-visible wait) until no task is inside a
	 * read-side section; none can enter one while we hold the token.
	 */
	sched_wait_rcu_readers();
	if (rcu_det_task())
		rcu_det_run_callbacks();
	pthread_mutex_lock(&cb_lock);
	ticket = cb_enqueued;
	while (cb_completed < ticket)
		pthread_cond_wait(&cb_done_cond, &cb_lock);
	pthread_mutex_unlock(&cb_lock);
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
