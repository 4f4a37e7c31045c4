// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Verdicts: what happens when a run cannot go on, and the waits that can
 * end in one.
 *
 * In deterministic mode, when no task is runnable while some are alive, the
 * run is in deadlock (only lock waits) or a hang (a wait queue or an RCU
 * grace period is involved); past the step bound it is a suspected livelock.
 * Either way the live tasks are recorded as data (sched_last_verdict()), a
 * kernel-style report names each task's wait, held locks and last schedule
 * points, and every task is marked aborted so that it unwinds. In free mode
 * the hung-task watchdog gives up a wait after the run's timeout and ends
 * the run the same way. Wait queues live here too: their free-mode sleep is
 * the watchdog's, their deterministic one a block in the scheduler.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/atomic.h"
#include "base/fiber.h"
#include "base/lockdep.h"
#include "base/stats.h"
#include "base/log.h"
#include "base/rcu.h"
#include "base/sched.h"
#include "base/sched_internal.h"
#include "base/sched_state.h"
#include "base/trace.h"
#include "ulib/strbuf.h"

static const char *strategy_name(enum sched_strategy s)
{
	switch (s) {
	case SCHED_STRATEGY_RANDOM:
		return "random";
	case SCHED_STRATEGY_PCT:
		return "pct";
	case SCHED_STRATEGY_REPLAY:
		return "replay";
	case SCHED_STRATEGY_BOUNDED:
		return "bounded";
	}
	return "?";
}

unsigned int sched_hang_timeout_ms(void)
{
	return sched_s.active && sched_s.cfg.hang_timeout_ms ? sched_s.cfg.hang_timeout_ms :
						   10000;
}

bool sched_watchdog_abort(enum sched_verdict verdict)
{
	struct task *self = sched_tls_task;
	bool ok = false;

	pthread_mutex_lock(&sched_s.m);
	if (sched_s.active && self && self->in_run &&
	    sched_s.cfg.mode == SCHED_MODE_FREE) {
		if (!sched_s.aborting) {
			sched_s.verdict = verdict;
			__atomic_store_n(&sched_s.aborting, true, __ATOMIC_RELAXED);
		}
		ok = true;
	}
	pthread_mutex_unlock(&sched_s.m);
	return ok;
}

bool sched_run_aborting(void)
{
	struct task *self = sched_tls_task;

	return self && self->in_run && sched_s.cfg.mode == SCHED_MODE_FREE &&
	       __atomic_load_n(&sched_s.aborting, __ATOMIC_RELAXED);
}

void sched_unwind_current(void)
{
	longjmp(sched_tls_task->abort_env, 1);
}

static void abort_all_locked(void)
{
	int i;

	sched_s.aborting = true;
	for (i = 0; i < sched_s.nr_tasks; i++) {
		struct task *t = sched_s.tasks[i];

		if (t->state == TASK_EXITED)
			continue;
		t->aborted = true;
		if (!sched_s.fiber)
			pthread_cond_signal(&t->cv);
	}
}

static void print_task_locked(struct strbuf *sb, struct task *t)
{
	unsigned int n, i;

	sb_printf(sb, "task %s/%d: ", t->name, t->id);
	switch (t->state) {
	case TASK_RUNNABLE:
		sb_printf(sb, "runnable\n");
		break;
	case TASK_EXITED:
		sb_printf(sb, "exited\n");
		break;
	case TASK_BLOCKED:
		switch (t->wait_kind) {
		case WAIT_LOCK:
			sb_printf(sb, "blocked on lock %s (%s)\n",
				  t->wait_map ? t->wait_map->name : "?",
				  t->wait_what ? t->wait_what : "");
			break;
		case WAIT_QUEUE:
			sb_printf(sb, "blocked on wait queue %s until: %s\n",
				  t->wait_map ? t->wait_map->name : "?",
				  t->wait_what ? t->wait_what : "?");
			break;
		case WAIT_JOIN:
			sb_printf(sb, "waiting for task %s to exit\n",
				  t->wait_what ? t->wait_what : "?");
			break;
		case WAIT_RCU:
			sb_printf(sb, "in synchronize_rcu(), waiting for readers\n");
			break;
		default:
			sb_printf(sb, "blocked\n");
		}
		break;
	}
	lockdep_print_held_locks(sb, t);
	n = min(t->last_pos, (unsigned int)TASK_LAST_STEPS);
	if (n) {
		sb_printf(sb, " last schedule points:\n");
		for (i = t->last_pos - n; i < t->last_pos; i++)
			sb_printf(sb, "   step %llu: %s\n",
				  (unsigned long long)
					  t->last_steps[i % TASK_LAST_STEPS],
				  t->last_sites[i % TASK_LAST_STEPS]);
	}
}

static void print_run_locked(struct strbuf *sb)
{
	if (sched_s.cfg.strategy == SCHED_STRATEGY_RANDOM ||
	    sched_s.cfg.strategy == SCHED_STRATEGY_PCT)
		sb_printf(sb, "deterministic run: strategy %s, seed %llu",
			  strategy_name(sched_s.cfg.strategy),
			  (unsigned long long)sched_s.cfg.seed);
	else
		sb_printf(sb, "deterministic run: strategy %s",
			  strategy_name(sched_s.cfg.strategy));
}

/* The run's verdict is being made: record the live tasks as data. */
static void record_verdict_tasks_locked(void)
{
	struct sched_verdict_info *v = &sched_s.vinfo;
	int i;

	v->nr_tasks = 0;
	v->steps = sched_s.steps;
	for (i = 0; i < sched_s.nr_tasks && v->nr_tasks < SCHED_VERDICT_MAX_TASKS;
	     i++) {
		struct task *t = sched_s.tasks[i];
		struct sched_verdict_task *vt;

		if (t->state == TASK_EXITED)
			continue;
		vt = &v->tasks[v->nr_tasks++];
		memset(vt, 0, sizeof(*vt));
		snprintf(vt->name, sizeof(vt->name), "%s", t->name);
		vt->id = t->id;
		if (t->state != TASK_BLOCKED) {
			vt->wait = SCHED_TASK_RUNNABLE;
			continue;
		}
		switch (t->wait_kind) {
		case WAIT_LOCK:
			vt->wait = SCHED_TASK_WAITS_LOCK;
			break;
		case WAIT_QUEUE:
			vt->wait = SCHED_TASK_WAITS_QUEUE;
			break;
		case WAIT_JOIN:
			vt->wait = SCHED_TASK_WAITS_JOIN;
			break;
		case WAIT_RCU:
			vt->wait = SCHED_TASK_WAITS_RCU;
			break;
		default:
			vt->wait = SCHED_TASK_BLOCKED;
		}
		if (t->wait_map)
			snprintf(vt->on, sizeof(vt->on), "%s", t->wait_map->name);
		if (t->wait_what)
			snprintf(vt->until, sizeof(vt->until), "%s",
				 t->wait_what);
	}
}

void sched_last_verdict(struct sched_verdict_info *info)
{
	pthread_mutex_lock(&sched_s.m);
	*info = sched_s.last_vinfo;
	pthread_mutex_unlock(&sched_s.m);
}

/* No task can run: report the deadlock or hang and abort the run. */
void sched_no_runnable_locked(void)
{
	struct strbuf sb = STRBUF_INIT, classes = STRBUF_INIT;
	bool wq = false;
	int i;

	for (i = 0; i < sched_s.nr_tasks; i++) {
		struct task *t = sched_s.tasks[i];

		if (t->state != TASK_BLOCKED)
			continue;
		if (t->wait_kind == WAIT_QUEUE || t->wait_kind == WAIT_RCU)
			wq = true;
		if (t->wait_map)
			sb_printf(&classes, "%s%s", classes.len ? "," : "",
				  t->wait_map->name);
	}
	sched_s.verdict = wq ? SCHED_HANG : SCHED_DEADLOCK;
	record_verdict_tasks_locked();
	sb_printf(&sb, "======================================================\n");
	if (wq)
		sb_printf(&sb, "INFO: task hang detected: every live task waits and nothing can wake it\n");
	else
		sb_printf(&sb, "BUG: deadlock detected: every live task waits for a lock\n");
	sb_printf(&sb, "------------------------------------------------------\n");
	print_run_locked(&sb);
	sb_printf(&sb, ", step %llu\n\n", (unsigned long long)sched_s.steps);
	for (i = 0; i < sched_s.nr_tasks; i++)
		if (sched_s.tasks[i]->state != TASK_EXITED) {
			print_task_locked(&sb, sched_s.tasks[i]);
			sb_printf(&sb, "\n");
		}
	__lockdep_add_report(wq ? LOCKDEP_HANG : LOCKDEP_DEADLOCK,
			     sb_str(&classes), sb_str(&sb), !sched_s.cfg.quiet);
	sb_free(&sb);
	sb_free(&classes);
	abort_all_locked();
}

void sched_livelock_locked(void)
{
	struct strbuf sb = STRBUF_INIT;
	int i;

	sched_s.verdict = SCHED_LIVELOCK;
	record_verdict_tasks_locked();
	sb_printf(&sb, "======================================================\n");
	sb_printf(&sb, "INFO: livelock suspected: %llu schedule points without the run ending\n",
		  (unsigned long long)sched_s.steps);
	sb_printf(&sb, "------------------------------------------------------\n");
	print_run_locked(&sb);
	sb_printf(&sb, "\n\n");
	for (i = 0; i < sched_s.nr_tasks; i++)
		if (sched_s.tasks[i]->state != TASK_EXITED) {
			print_task_locked(&sb, sched_s.tasks[i]);
			sb_printf(&sb, "\n");
		}
	__lockdep_add_report(LOCKDEP_LIVELOCK, "", sb_str(&sb), !sched_s.cfg.quiet);
	sb_free(&sb);
	abort_all_locked();
}

void sched_dump_tasks(void)
{
	struct strbuf sb = STRBUF_INIT;
	int i;

	if (sched_task_is_deterministic()) {
		pthread_mutex_lock(&sched_s.m);
		for (i = 0; i < sched_s.nr_tasks; i++)
			print_task_locked(&sb, sched_s.tasks[i]);
		pthread_mutex_unlock(&sched_s.m);
	} else {
		struct task *self = current_task();

		sb_printf(&sb, "task %s/%d:\n", self->name, self->id);
		lockdep_print_held_locks(&sb, self);
	}
	pr_info("%s", sb_str(&sb));
	sb_free(&sb);
}

/* --- wait queues ---------------------------------------------------------- */

void __init_waitqueue_head(struct wait_queue_head *wq, const char *name)
{
	wq->name = name;
	pthread_mutex_init(&wq->lock, NULL);
	pthread_cond_init(&wq->cond, NULL);
	wq->seq = 0;
	wq->waiters = 0;
	if (unlikely(sched_det_possible()))
		sched_fp_name(wq, name);
}

void destroy_waitqueue_head(struct wait_queue_head *wq)
{
	pthread_mutex_destroy(&wq->lock);
	pthread_cond_destroy(&wq->cond);
}

void wake_up(struct wait_queue_head *wq)
{
	/*
	 * Free mode with no task counted in a wait on @wq: nothing to wake.
	 * The barrier orders the caller's stores to the waiters' conditions
	 * before the read of the count; a waiter counts itself in with a
	 * full barrier before it reads its condition (wait_event_killable()),
	 * so either it sees those stores or this sees it. A deterministic
	 * run always goes the whole way: the wake-up is a step of its
	 * schedules (sched_wake_obj()).
	 */
	if (likely(!sched_det_possible())) {
		smp_mb();
		if (!__atomic_load_n(&wq->waiters, __ATOMIC_RELAXED))
			return;
	}
	pthread_mutex_lock(&wq->lock);
	wq->seq++;
	pthread_cond_broadcast(&wq->cond);
	pthread_mutex_unlock(&wq->lock);
	sched_wake_obj(wq);
}

u64 wait_prepare(struct wait_queue_head *wq)
{
	u64 seq;

	pthread_mutex_lock(&wq->lock);
	seq = wq->seq;
	pthread_mutex_unlock(&wq->lock);
	/* The waiter's condition reads what the wakers of @wq write. */
	if (sched_s.footprints && sched_task_is_deterministic()) {
		pthread_mutex_lock(&sched_s.m);
		sched_touch(wq);
		pthread_mutex_unlock(&sched_s.m);
	}
	return seq;
}

static void hung_task_report(struct wait_queue_head *wq, const char *what,
			     unsigned int ms)
{
	struct task *self = current_task();
	struct strbuf sb = STRBUF_INIT;

	sb_printf(&sb, "INFO: task %s/%d blocked for more than %u ms.\n"
		       "      waiting on %s until: %s\n",
		  self->name, self->id, ms, wq->name, what);
	lockdep_print_held_locks(&sb, self);
	lockdep_add_report(LOCKDEP_HANG, wq->name, sb_str(&sb));
	sb_free(&sb);
}

int wait_sleep(struct wait_queue_head *wq, u64 seq, const char *what)
{
	struct lockdep_map map = { .name = wq->name };
	unsigned int ms;
	struct timespec ts;
	int err = 0;

	if (sched_task_is_deterministic()) {
		bool woken;

		pthread_mutex_lock(&wq->lock);
		woken = wq->seq != seq;
		pthread_mutex_unlock(&wq->lock);
		if (!woken)
			sched_block_on(WAIT_QUEUE, wq, &map, what);
		return 0;
	}

	ms = sched_hang_timeout_ms();
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	task_free_wait_begin(current_task(), wq->name, ktime_get_ns());
	pthread_mutex_lock(&wq->lock);
	while (wq->seq == seq && err != ETIMEDOUT)
		err = pthread_cond_timedwait(&wq->cond, &wq->lock, &ts);
	if (wq->seq != seq)
		err = 0;
	pthread_mutex_unlock(&wq->lock);
	task_free_wait_end(current_task());
	if (err == ETIMEDOUT) {
		hung_task_report(wq, what, ms);
		return -EINTR;
	}
	return 0;
}
