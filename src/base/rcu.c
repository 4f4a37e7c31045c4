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
#include "ulib/compiler.h"

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
/* OS threads registered with liburcu (fibers share their thread's). */
static int nr_registered;

static void rcu_map_init(void)
{
	lockdep_init_map(&rcu_map, "rcu_read_lock", &rcu_key, LOCK_KIND_RCU);
}

void rcu_register_current_thread(void)
{
	struct task *t = current_task();

	if (t->rcu_registered)
		return;
	/* Counted before its first read-side section (see rcu_alone()). */
	__atomic_add_fetch(&nr_registered, 1, __ATOMIC_SEQ_CST);
	urcu_wrap_register_thread();
	t->rcu_registered = true;
}

void rcu_unregister_current_thread(void)
{
	urcu_wrap_unregister_thread();
	__atomic_sub_fetch(&nr_registered, 1, __ATOMIC_SEQ_CST);
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
 * call_rcu() callbacks run on tdxsim's own worker thread rather than
 * liburcu's call_rcu thread, which sleeps 10 ms after every wake-up to batch
 * callbacks (every rcu_barrier(), so every VM teardown, paid for it). The
 * worker takes the whole queue, waits for one grace period with liburcu's
 * synchronize_rcu(), and runs the batch: batching comes for free, latency
 * is one grace period.
 *
 * Two cases need neither the worker nor liburcu's grace period (a
 * membarrier system call, a futex wake-up and a context switch per batch):
 *
 *  - Deterministic mode: the run's tasks are the only readers, and only one
 *    of them runs at a time. Once sched_wait_rcu_readers() returns, none is
 *    inside a read-side section, and none can enter one before the caller
 *    lets it run: that is a grace period.
 *  - A thread that is the only one registered as a reader (a VM torn down
 *    after a deterministic run, a single-threaded program): outside its own
 *    read-side section, no reader exists.
 *
 * Callbacks queued in those cases wait on the local queue and run at the
 * next such grace period (synchronize_rcu(), rcu_barrier(), the end of a
 * deterministic run), in the caller's context: in deterministic mode at
 * points the schedule decides, so a replay frees memory at the same points.
 * They only free memory (base/rcu.h), so the context does not matter. When
 * another reader appears, or the local queue grows long, it goes to the
 * worker, which waits for a full grace period.
 */
static pthread_cond_t cb_cond = PTHREAD_COND_INITIALIZER;
static pthread_cond_t cb_done_cond = PTHREAD_COND_INITIALIZER;
static struct rcu_head *cb_head;
static struct rcu_head **cb_tail = &cb_head;
static u64 cb_enqueued;		/* tickets handed out */
static u64 cb_completed;	/* tickets whose callback has run */
static pthread_once_t cb_once = PTHREAD_ONCE_INIT;

/* The local queue (cb_lock). */
#define LOCAL_CBS_MAX	1024U
static struct rcu_head *local_cbs;
static struct rcu_head **local_cbs_tail = &local_cbs;
static unsigned int nr_local_cbs;

static inline bool rcu_det_task(void)
{
	return unlikely(sched_det_possible()) && sched_task_is_deterministic();
}

/* Is @t (not in a read-side section) the only reader there can be? */
static bool rcu_alone(const struct task *t)
{
	/* Our removals before the count (a new reader counts itself first). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return __atomic_load_n(&nr_registered, __ATOMIC_SEQ_CST) ==
	       (t->rcu_registered ? 1 : 0);
}

static void run_batch(struct rcu_head *batch)
{
	struct rcu_head *next;
	u64 n = 0;

	for (; batch; batch = next) {
		next = (struct rcu_head *)batch->urcu_head_[0];
		batch->func(batch);
		n++;
	}
	if (n)
		__atomic_add_fetch(&nr_run, n, __ATOMIC_RELAXED);
}

/* A grace period has passed for the local queue: run it. */
static void run_local_callbacks(void)
{
	struct rcu_head *batch;

	pthread_mutex_lock(&cb_lock);
	batch = local_cbs;
	local_cbs = NULL;
	local_cbs_tail = &local_cbs;
	nr_local_cbs = 0;
	pthread_mutex_unlock(&cb_lock);
	run_batch(batch);
}

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
		for (next = batch; next; next = next->urcu_head_[0])
			n++;
		run_batch(batch);

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

/* Hand the local queue to the worker (cb_lock held). */
static void local_to_worker_locked(void)
{
	struct rcu_head *h;

	if (!local_cbs)
		return;
	pthread_once(&cb_once, rcu_cb_worker_start);
	*cb_tail = local_cbs;
	for (h = local_cbs; h; h = h->urcu_head_[0]) {
		cb_enqueued++;
		cb_tail = (struct rcu_head **)&h->urcu_head_[0];
	}
	local_cbs = NULL;
	local_cbs_tail = &local_cbs;
	nr_local_cbs = 0;
	pthread_cond_signal(&cb_cond);
}

void rcu_det_run_end(void)
{
	/* No task of the run is left: no reader of the run either. */
	if (rcu_alone(current_task()))
		run_local_callbacks();
	else {
		pthread_mutex_lock(&cb_lock);
		local_to_worker_locked();
		pthread_mutex_unlock(&cb_lock);
	}
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
	if (rcu_det_task() || rcu_alone(t)) {
		run_local_callbacks();
		tsan_grace_period();
		return;
	}
	if (!t->rcu_registered)
		rcu_register_current_thread();
	urcu_wrap_synchronize();
	tsan_grace_period();
}

void call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *head))
{
	struct task *t = current_task();
	bool local = rcu_det_task() || rcu_alone(t);

	head->func = func;
	head->urcu_head_[0] = NULL;
	__atomic_add_fetch(&nr_queued, 1, __ATOMIC_RELAXED);
	pthread_mutex_lock(&cb_lock);
	if (local && nr_local_cbs < LOCAL_CBS_MAX) {
		*local_cbs_tail = head;
		local_cbs_tail = (struct rcu_head **)&head->urcu_head_[0];
		nr_local_cbs++;
		pthread_mutex_unlock(&cb_lock);
		return;
	}
	/* Callbacks keep their order: the local queue goes first. */
	local_to_worker_locked();
	pthread_once(&cb_once, rcu_cb_worker_start);
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
	if (rcu_det_task() || rcu_alone(t)) {
		run_local_callbacks();
	} else {
		pthread_mutex_lock(&cb_lock);
		local_to_worker_locked();
		pthread_mutex_unlock(&cb_lock);
	}
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
