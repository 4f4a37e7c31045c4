// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The two back ends of a run: task creation, joining and exit, and
 * sched_run().
 *
 * Fibers (the default in deterministic mode): every task of a run is a
 * fiber on the OS thread that called sched_run(); a task that exits hands
 * the token to the next pick, and the last one (or the unwinding of an
 * aborted run, one task after the other) switches back to sched_run().
 * Threads (free mode, TSan, and TDXSIM_SCHED_BACKEND=thread, the old
 * hand-off kept for comparison): every task is a pthread that waits on its
 * condition variable for the token, and sched_run() waits for the last one
 * to exit. Both draw the same random numbers in the same order, so a seed
 * replays the same schedule on either.
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
#include "base/log.h"
#include "base/rcu.h"
#include "base/sched.h"
#include "base/sched_internal.h"
#include "base/sched_state.h"
#include "base/trace.h"
#include "ulib/strbuf.h"

static enum sched_backend resolve_backend(enum sched_backend b)
{
	const char *env;

	if (b == SCHED_BACKEND_DEFAULT) {
		env = getenv("TDXSIM_SCHED_BACKEND");
		b = env && !strcmp(env, "thread") ? SCHED_BACKEND_THREAD :
						    SCHED_BACKEND_FIBER;
	}
	if (b == SCHED_BACKEND_FIBER && !fiber_supported())
		b = SCHED_BACKEND_THREAD;
	return b;
}

const char *sched_backend_name(enum sched_backend b)
{
	return resolve_backend(b) == SCHED_BACKEND_THREAD ? "thread" : "fiber";
}

/* --- tasks -------------------------------------------------------------- */

/* Fiber back end: @self has exited; run the next task, or go back to sched_run(). */
static void __noreturn fiber_task_exit_locked(struct task *self)
{
	struct task *next = NULL;
	struct fiber *to;
	int i;

	if (sched_s.live > 0) {
		if (!sched_s.aborting) {
			next = sched_pick_next_locked(self, false);
			sched_s.yield = false;
			if (next) {
				sched_s.switches++;
				if (tdxsim_trace_on())
					tdxsim_trace_switch(next->id,
							    next->name);
			} else {
				sched_no_runnable_locked();
			}
		}
		/* Unwinding: each aborted task in turn. */
		if (sched_s.aborting)
			for (i = 0, next = NULL; i < sched_s.nr_tasks && !next; i++)
				if (sched_s.tasks[i]->state != TASK_EXITED)
					next = sched_s.tasks[i];
	}
	sched_s.cur = next;
	if (next) {
		to = &next->fib;
		sched_tls_task = next;
	} else {
		to = &sched_s.main_fiber;
		sched_tls_task = sched_s.caller;
	}
	/* A fiber task holds no mutex (sched_lock()). */
	fiber_exit(&self->fib, to);
}

static void task_finish(struct task *self, bool aborted)
{
	if (!aborted && lockdep_task_depth(self)) {
		struct strbuf sb = STRBUF_INIT;

		sb_printf(&sb, "================================================\n"
			       "WARNING: lock held at task exit time!\n"
			       "------------------------------------------------\n"
			       "%s/%d is exiting with locks still held!\n",
			  self->name, self->id);
		lockdep_print_held_locks(&sb, self);
		lockdep_add_report(LOCKDEP_HELD_AT_EXIT, "", sb_str(&sb));
		sb_free(&sb);
	}
	if (aborted) {
		/* Its locks stay as they were; forget them for lockdep. */
		self->depth = 0;
		self->rcu_nesting = 0;
	}
	sched_task_local_exit(self);
	if (tdxsim_trace_on())
		tdxsim_trace_task_exit(self->id);
	/* A fiber shares its OS thread's liburcu registration (sched_run()). */
	if (self->rcu_registered && !self->fib.map) {
		rcu_unregister_current_thread();
		self->rcu_registered = false;
	}

	sched_lock(self);
	task_set_state_locked(self, TASK_EXITED);
	sched_wake_obj_locked(self);
	if (self->in_run) {
		sched_s.live--;
		/* The exit is seen by joiners (sched_touch(t) in task_join()). */
		if (sched_s.footprints)
			sched_fp_add(&self->step, self);
		if (sched_s.fiber && sched_s.cfg.mode == SCHED_MODE_DETERMINISTIC)
			fiber_task_exit_locked(self);
		if (sched_s.cfg.mode == SCHED_MODE_DETERMINISTIC && sched_s.live > 0 &&
		    sched_s.cur == self && !sched_s.aborting) {
			struct task *next = sched_pick_next_locked(self, false);

			sched_s.yield = false;
			if (!next) {
				sched_no_runnable_locked();
			} else {
				sched_s.cur = next;
				sched_s.switches++;
				if (tdxsim_trace_on())
					tdxsim_trace_switch(next->id,
							    next->name);
				pthread_cond_signal(&next->cv);
			}
		}
		if (sched_s.live == 0)
			pthread_cond_broadcast(&sched_s.done_cv);
	}
	sched_unlock(self);
}

/* The body of every task: run its function, unless the run was aborted first. */
static void task_body(struct task *self)
{
	volatile bool aborted = self->aborted;

	if (!aborted) {
		if (setjmp(self->abort_env) == 0)
			self->ret = self->fn(self->arg);
		else
			aborted = true;
	}
	if (aborted)
		self->ret = -EDEADLK;
	task_finish(self, aborted);
}

static void task_fiber_main(void *p)
{
	errno = 0;
	task_body(p);
	BUG();		/* task_finish() switched away for good */
}

static void *task_trampoline(void *p)
{
	struct task *self = p;

	sched_tls_task = self;
	if (self->in_run && sched_s.cfg.mode == SCHED_MODE_DETERMINISTIC) {
		pthread_mutex_lock(&sched_s.m);
		while (sched_s.cur != self && !self->aborted)
			pthread_cond_wait(&self->cv, &sched_s.m);
		pthread_mutex_unlock(&sched_s.m);
	}
	task_body(self);
	sched_tls_task = NULL;
	return NULL;
}

/* A fiber for @t, which is to join the run in progress. */
static void task_make_fiber(struct task *t)
{
	if (fiber_create(&t->fib, sched_s.stack_size, task_fiber_main, t)) {
		pr_err("task_create(%s): no memory for a %zu-byte stack\n",
		       t->name, sched_s.stack_size);
		BUG();
	}
	/* The OS thread is registered with liburcu for every fiber. */
	t->rcu_registered = true;
}

struct task *task_create(const char *name, int (*fn)(void *), void *arg)
{
	struct task *self = current_task();
	struct task *t = sched_task_alloc(name);
	bool det, fib;
	int err;

	t->fn = fn;
	t->arg = arg;

	/* Only this task can end the run, so sched_s.active cannot change here. */
	t->in_run = __atomic_load_n(&sched_s.active, __ATOMIC_ACQUIRE) &&
		    self->in_run;
	det = t->in_run && sched_s.cfg.mode == SCHED_MODE_DETERMINISTIC;
	fib = det && sched_s.fiber;
	if (fib)
		task_make_fiber(t);

	sched_lock(self);
	if (t->in_run) {
		t->id = sched_s.next_id++;
		t->prio = 1000 + (splitmix64(&sched_s.rng) % 1000000000ULL);
		if (sched_s.nr_tasks == sched_s.cap_tasks) {
			sched_s.cap_tasks = sched_s.cap_tasks ? sched_s.cap_tasks * 2 : 16;
			sched_s.tasks = xrealloc(sched_s.tasks,
					   sched_s.cap_tasks * sizeof(*sched_s.tasks));
		}
		sched_s.tasks[sched_s.nr_tasks++] = t;
		sched_s.live++;
		sched_s.nr_runnable++;
	} else {
		t->id = __atomic_fetch_add(&sched_implicit_ids, 1, __ATOMIC_RELAXED);
	}
	sched_unlock(self);

	if (!fib) {
		err = pthread_create(&t->thread, NULL, task_trampoline, t);
		if (err) {
			pr_err("task_create(%s): pthread_create failed: %d\n",
			       t->name, err);
			BUG();
		}
	}
	if (det) {
		static const char task_class;

		sched_fp_name(t, &task_class);
		__sched_point_obj("task_create", t, SCHED_OBJ_PREV);
	}
	return t;
}

int task_join(struct task *t)
{
	struct task *self = current_task();
	int ret;

	if (sched_task_is_deterministic()) {
		sched_lock(self);
		sched_touch(t);
		while (t->state != TASK_EXITED) {
			task_set_state_locked(self, TASK_BLOCKED);
			self->wait_kind = WAIT_JOIN;
			self->wait_obj = t;
			self->wait_map = NULL;
			self->wait_what = t->name;
			if (sched_s.footprints)
				sched_fp_end_step(self, t, SCHED_OBJ_PREV);
			sched_switch_locked(self);
			if (sched_s.footprints)
				sched_fp_start_step(self, t, SCHED_OBJ_NEXT);
		}
		sched_unlock(self);
	}
	if (!t->fib.map)
		pthread_join(t->thread, NULL);
	ret = t->ret;

	pthread_mutex_lock(&sched_s.m);
	if (t->in_run && sched_s.active) {
		t->joined = true;	/* freed when the run ends */
		pthread_mutex_unlock(&sched_s.m);
		return ret;
	}
	pthread_mutex_unlock(&sched_s.m);
	sched_task_free(t);
	return ret;
}

/* --- runs ----------------------------------------------------------------- */

/* TDXSIM_SCHED_TRACE: append the run's trace to the file. */
static void trace_to_file(const struct sched_result *res)
{
	static u64 runs;
	FILE *f = fopen(sched_s.trace_file, "a");
	size_t i;

	if (!f) {
		pr_warn("TDXSIM_SCHED_TRACE: cannot open %s\n", sched_s.trace_file);
		return;
	}
	fprintf(f, "run %" PRIu64 ": %s, %" PRIu64 " steps, %" PRIu64
		   " switches\n", ++runs, sched_verdict_name(res->verdict),
		res->steps, res->switches);
	for (i = 0; i < sched_s.trace_len; i++)
		fprintf(f, "%zu %u %s\n", i + 1, sched_s.trace[i].task,
			sched_s.trace[i].site);
	fclose(f);
}

int sched_run(const struct sched_config *cfg, int (*fn)(void *), void *arg,
	      struct sched_result *res)
{
	struct task *t0, *caller = current_task();
	bool det = cfg->mode == SCHED_MODE_DETERMINISTIC;
	enum sched_backend backend = resolve_backend(cfg->backend);
	unsigned int i;
	int n;

	/* Fibers share the caller's registration with liburcu. */
	if (det && backend == SCHED_BACKEND_FIBER && !caller->rcu_registered &&
	    !__atomic_load_n(&sched_s.active, __ATOMIC_ACQUIRE))
		rcu_register_current_thread();

	pthread_mutex_lock(&sched_s.m);
	if (sched_s.active) {
		pthread_mutex_unlock(&sched_s.m);
		return -EBUSY;
	}
	sched_s.cfg = *cfg;
	if (!sched_s.cfg.pct_depth)
		sched_s.cfg.pct_depth = 3;
	if (sched_s.cfg.pct_depth > PCT_MAX_DEPTH)
		sched_s.cfg.pct_depth = PCT_MAX_DEPTH;
	if (!sched_s.cfg.pct_steps)
		sched_s.cfg.pct_steps = 20000;
	sched_s.trace_file = det ? getenv("TDXSIM_SCHED_TRACE") : NULL;
	if (sched_s.trace_file && *sched_s.trace_file)
		sched_s.cfg.record_trace = true;
	else
		sched_s.trace_file = NULL;
	sched_s.fiber = det && backend == SCHED_BACKEND_FIBER;
	sched_s.stack_size = cfg->stack_size ? cfg->stack_size : SCHED_STACK_SIZE;
	sched_s.explore = det && (cfg->strategy == SCHED_STRATEGY_REPLAY ||
			    cfg->strategy == SCHED_STRATEGY_BOUNDED);
	sched_s.rng = cfg->seed ^ 0x5eed5eed5eed5eedULL;
	sched_s.steps = sched_s.switches = 0;
	sched_s.preemptions = 0;
	sched_s.yield = false;
	memset(sched_s.holds, 0, sizeof(sched_s.holds));
	sched_s.nr_holds = 0;
	sched_s.verdict = SCHED_OK;
	memset(&sched_s.vinfo, 0, sizeof(sched_s.vinfo));
	sched_s.aborting = false;
	sched_s.nr_tasks = 0;
	sched_s.live = 0;
	sched_s.next_id = 0;
	sched_s.cur = NULL;
	sched_s.trace_len = 0;
	sched_s.pct_nchange = sched_s.cfg.pct_depth - 1;
	for (i = 0; i < sched_s.pct_nchange; i++)
		sched_s.pct_change[i] = 1 + splitmix64(&sched_s.rng) % sched_s.cfg.pct_steps;
	sched_s.pct_low = 0;
	if (sched_s.explore)
		explore_run_start(&sched_s.cfg);
	sched_s.footprints = sched_s.explore && explore_wants_footprints();
	sched_point_fast_update_locked();
	sched_fp_names_reset();
	__atomic_store_n(&sched_s.active, true, __ATOMIC_RELEASE);
	__atomic_store_n(&sched_det_running,
			 sched_s.cfg.mode == SCHED_MODE_DETERMINISTIC, __ATOMIC_RELEASE);
	__atomic_store_n(&sched_fiber_running, sched_s.fiber, __ATOMIC_RELEASE);

	if (tdxsim_trace_on())
		tdxsim_trace_run_start(sched_s.cfg.mode == SCHED_MODE_DETERMINISTIC,
				       sched_s.cfg.seed);
	t0 = sched_task_alloc("run");
	t0->fn = fn;
	t0->arg = arg;
	t0->in_run = true;
	t0->id = sched_s.next_id++;
	t0->prio = 1000 + (splitmix64(&sched_s.rng) % 1000000000ULL);
	sched_s.cap_tasks = sched_s.cap_tasks ? sched_s.cap_tasks : 16;
	sched_s.tasks = xrealloc(sched_s.tasks, sched_s.cap_tasks * sizeof(*sched_s.tasks));
	sched_s.tasks[sched_s.nr_tasks++] = t0;
	sched_s.live = 1;
	sched_s.nr_runnable = 1;
	sched_s.cur = t0;

	if (sched_s.fiber) {
		task_make_fiber(t0);
		fiber_init_main(&sched_s.main_fiber);
		sched_s.caller = caller;
		pthread_mutex_unlock(&sched_s.m);
		/* Runs every task of the run; back when the last one exits. */
		caller->saved_errno = errno;
		sched_tls_task = t0;
		fiber_switch(&sched_s.main_fiber, &t0->fib);
		sched_tls_task = caller;
		errno = caller->saved_errno;
	} else {
		pthread_mutex_unlock(&sched_s.m);
		if (pthread_create(&t0->thread, NULL, task_trampoline, t0))
			BUG();

		pthread_mutex_lock(&sched_s.m);
		while (sched_s.live > 0)
			pthread_cond_wait(&sched_s.done_cv, &sched_s.m);
		pthread_mutex_unlock(&sched_s.m);

		pthread_join(t0->thread, NULL);
	}

	pthread_mutex_lock(&sched_s.m);
	memset(res, 0, sizeof(*res));
	res->verdict = sched_s.verdict;
	sched_s.vinfo.verdict = sched_s.verdict;
	sched_s.vinfo.seed = sched_s.cfg.seed;
	if (!sched_s.vinfo.nr_tasks)
		sched_s.vinfo.steps = sched_s.steps;
	sched_s.last_vinfo = sched_s.vinfo;
	res->ret = t0->ret;
	res->steps = sched_s.steps;
	res->switches = sched_s.switches;
	res->preemptions = sched_s.preemptions;
	res->backend = sched_s.fiber ? SCHED_BACKEND_FIBER : SCHED_BACKEND_THREAD;
	if (sched_s.explore)
		explore_run_end(res);
	if (sched_s.trace_file)
		trace_to_file(res);
	if (tdxsim_trace_on())
		tdxsim_trace_run_end(sched_verdict_name(sched_s.verdict));
	/* Free every task of the run; join the threads nobody joined. */
	for (n = 0; n < sched_s.nr_tasks; n++) {
		struct task *t = sched_s.tasks[n];

		if (t != t0 && !t->joined && !t->fib.map) {
			pthread_mutex_unlock(&sched_s.m);
			pthread_join(t->thread, NULL);
			pthread_mutex_lock(&sched_s.m);
		}
		sched_task_free(t);
	}
	sched_s.nr_tasks = 0;
	sched_s.fiber = false;
	sched_s.explore = false;
	sched_s.footprints = false;
	sched_s.point_fast = false;
	__atomic_store_n(&sched_fiber_running, false, __ATOMIC_RELEASE);
	__atomic_store_n(&sched_det_running, false, __ATOMIC_RELEASE);
	__atomic_store_n(&sched_s.active, false, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&sched_s.m);
	if (det)
		rcu_det_run_end();
	return 0;
}

const struct sched_trace_entry *sched_trace(size_t *len)
{
	*len = sched_s.trace_len;
	return sched_s.trace;
}

