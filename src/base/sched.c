// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Tasks, schedule points and the hand-over of the token: the core of the
 * scheduler, with its state (sched_state.h).
 *
 * Deterministic mode: a task runs only while it holds the "token" (sched_s.cur ==
 * task). At every schedule point the running task asks the strategy who runs
 * next and hands the token over. In the fiber back end every task of the run
 * is a fiber on the OS thread that called sched_run(), and handing the token
 * over is a fiber switch (the scheduler's mutex is dropped across it). In the
 * thread back end every task is a pthread that sleeps on its own condition
 * variable until the token comes back. Both share every decision below, so a
 * seed picks the same interleaving on either.
 *
 * A task that must wait (for a lock, a wait queue, another task's exit, RCU
 * readers) is marked blocked and is not picked until the object it waits on
 * is released or woken. When no task is runnable while some are alive, the
 * run is in deadlock (or a hang, if a wait queue is involved): the scheduler
 * prints a report, marks every live task aborted, and each one unwinds with
 * longjmp() to its start on its own stack (fibers are resumed one after the
 * other to do so), so sched_run() returns the verdict instead of hanging.
 *
 * The strategies' pick is in sched_pick.c, the verdicts and wait queues in
 * sched_verdict.c, task creation, exit and sched_run() on either back end in
 * sched_backend.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/fiber.h"
#include "base/lock_watchdog.h"
#include "base/lockdep.h"
#include "base/log.h"
#include "base/rcu.h"
#include "base/sched.h"
#include "base/sched_internal.h"
#include "base/sched_state.h"
#include "base/trace.h"
#include "ulib/strbuf.h"

struct sched_state sched_s = {
	.m = PTHREAD_MUTEX_INITIALIZER,
	.done_cv = PTHREAD_COND_INITIALIZER,
};

__thread_fast struct task *sched_tls_task;
bool sched_det_running;
bool sched_fiber_running;
static pthread_key_t implicit_key;
static pthread_once_t implicit_once = PTHREAD_ONCE_INIT;
int sched_implicit_ids = 1000;

void sched_config_init(struct sched_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mode = SCHED_MODE_FREE;
	cfg->strategy = SCHED_STRATEGY_RANDOM;
	cfg->seed = 1;
	cfg->pct_depth = 3;
	cfg->pct_steps = 20000;
	cfg->max_steps = 2000000;
	cfg->hang_timeout_ms = 10000;
	cfg->backend = SCHED_BACKEND_DEFAULT;
}

const char *sched_verdict_name(enum sched_verdict v)
{
	switch (v) {
	case SCHED_OK:
		return "ok";
	case SCHED_DEADLOCK:
		return "deadlock";
	case SCHED_HANG:
		return "hang";
	case SCHED_LIVELOCK:
		return "livelock";
	}
	return "?";
}
/* --- task-local storage ---------------------------------------------------- */

static struct task_local_key *local_keys[TASK_LOCAL_MAX];
static int nr_local_keys;
static pthread_mutex_t local_lock = PTHREAD_MUTEX_INITIALIZER;

void *task_local(struct task_local_key *key)
{
	int slot = __atomic_load_n(&key->slot, __ATOMIC_ACQUIRE);

	if (unlikely(!slot)) {
		pthread_mutex_lock(&local_lock);
		slot = key->slot;
		if (!slot) {
			BUG_ON(nr_local_keys == TASK_LOCAL_MAX);
			slot = nr_local_keys + 1;
			local_keys[slot - 1] = key;
			/* sched_task_local_exit() reads the count without the lock. */
			__atomic_store_n(&nr_local_keys, slot, __ATOMIC_RELEASE);
			__atomic_store_n(&key->slot, slot, __ATOMIC_RELEASE);
		}
		pthread_mutex_unlock(&local_lock);
	}
	return &current_task()->local[slot - 1];
}

/* Run the destructors of @t's task-local slots. */
void sched_task_local_exit(struct task *t)
{
	int i, n = __atomic_load_n(&nr_local_keys, __ATOMIC_ACQUIRE);

	for (i = 0; i < n; i++) {
		struct task_local_key *key = local_keys[i];
		void *v;

		if (!t->local[i] || !key->dtor)
			continue;
		v = (void *)(uintptr_t)t->local[i];
		t->local[i] = 0;
		key->dtor(v);
	}
}

/* --- tasks ------------------------------------------------------------------ */

static void implicit_task_free(void *p)
{
	struct task *t = p;

	sched_tls_task = t;
	sched_task_local_exit(t);
	sched_tls_task = NULL;
	if (lockdep_task_depth(t))
		lockdep_add_report(LOCKDEP_HELD_AT_EXIT, "",
				   "WARNING: lock held at task exit time!\n");
	if (t->rcu_registered)
		rcu_unregister_current_thread();
	pthread_cond_destroy(&t->cv);
	bl_wd_quiesce();
	free(t);
}

static void implicit_key_init(void)
{
	pthread_key_create(&implicit_key, implicit_task_free);
}

struct task *sched_task_alloc(const char *name)
{
	struct task *t = xzalloc(sizeof(*t));

	snprintf(t->name, sizeof(t->name), "%s", name ? name : "task");
	pthread_cond_init(&t->cv, NULL);
	t->state = TASK_RUNNABLE;
	/* A task's first step starts in its own code: nothing shared yet. */
	return t;
}

void sched_task_free(struct task *t)
{
	fiber_destroy(&t->fib);
	pthread_cond_destroy(&t->cv);
	bl_wd_quiesce();
	free(t);
}

/* A thread tdxsim did not create asks for the first time. */
noinline struct task *sched_current_task_implicit(void)
{
	struct task *t;

	pthread_once(&implicit_once, implicit_key_init);
	t = sched_task_alloc("thread");
	t->implicit = true;
	t->id = __atomic_fetch_add(&sched_implicit_ids, 1, __ATOMIC_RELAXED);
	snprintf(t->name, sizeof(t->name), "thread-%d", t->id);
	t->thread = pthread_self();
	sched_tls_task = t;
	pthread_setspecific(implicit_key, t);
	return t;
}

const char *task_name(const struct task *t)
{
	return t ? t->name : "?";
}

int task_id(const struct task *t)
{
	return t ? t->id : -1;
}

enum sched_mode sched_mode(void)
{
	return __atomic_load_n(&sched_s.active, __ATOMIC_ACQUIRE) ? sched_s.cfg.mode :
							      SCHED_MODE_FREE;
}

bool sched_task_is_deterministic(void)
{
	struct task *t = sched_tls_task;

	return t && t->in_run && sched_s.cfg.mode == SCHED_MODE_DETERMINISTIC;
}

/* The top of the calling thread's own stack; 1: not known. */
static __thread_fast uintptr_t thread_stack_top;

static uintptr_t thread_stack_top_get(void)
{
	pthread_attr_t at;
	void *base;
	size_t size;

	if (likely(thread_stack_top))
		return thread_stack_top;
	thread_stack_top = 1;
	if (!pthread_getattr_np(pthread_self(), &at)) {
		if (!pthread_attr_getstack(&at, &base, &size))
			thread_stack_top = (uintptr_t)base + size;
		pthread_attr_destroy(&at);
	}
	return thread_stack_top;
}

noinline bool sched_on_current_stack(const void *addr, size_t n)
{
	uintptr_t lo = (uintptr_t)__builtin_frame_address(0);
	uintptr_t a = (uintptr_t)addr, hi;
	struct task *t = sched_tls_task;

	/* A fiber runs on its own stack; the caller's context on the thread's. */
	if (t && t->fib.map)
		hi = (uintptr_t)t->fib.map + t->fib.map_size;
	else
		hi = thread_stack_top_get();
	return a >= lo && a + n >= a && a + n <= hi;
}

u64 sched_run_steps(void)
{
	return sched_s.steps;
}

int sched_nr_tasks(void)
{
	int n;

	pthread_mutex_lock(&sched_s.m);
	n = sched_s.live;
	pthread_mutex_unlock(&sched_s.m);
	return n;
}

/* --- deterministic core (sched_s.m held) ------------------------------------ */

static __always_inline void record_step_locked(struct task *t, const char *site)
{
	sched_s.steps++;
	t->last_sites[t->last_pos % TASK_LAST_STEPS] = site;
	t->last_steps[t->last_pos % TASK_LAST_STEPS] = sched_s.steps;
	t->last_pos++;
	if (sched_s.cfg.record_trace) {
		if (sched_s.trace_len == sched_s.trace_cap) {
			sched_s.trace_cap = sched_s.trace_cap ? sched_s.trace_cap * 2 : 4096;
			sched_s.trace = xrealloc(sched_s.trace,
					   sched_s.trace_cap * sizeof(*sched_s.trace));
		}
		sched_s.trace[sched_s.trace_len].task = t->id;
		sched_s.trace[sched_s.trace_len].site = site;
		sched_s.trace_len++;
	}
}

/* Unwind an aborted task to its trampoline. Drops sched_s.m. */
static void __noreturn task_unwind_locked(struct task *self)
{
	sched_unlock(self);
	longjmp(self->abort_env, 1);
}

/*
 * Fiber back end: run @next (sched_s.cur is already @next) and come back when
 * @self is picked again. No mutex is held (sched_lock()).
 */
static void fiber_transfer_locked(struct task *self, struct task *next)
{
	self->saved_errno = errno;
	sched_tls_task = next;
	fiber_switch(&self->fib, &next->fib);
	errno = self->saved_errno;
}

/*
 * Hand the token to whoever the strategy picks (maybe @self again) and wait
 * until @self holds it again. sched_s.m is held on entry and on return.
 */
void sched_switch_locked(struct task *self)
{
	struct task *next;

	if (self->aborted)
		task_unwind_locked(self);
	next = sched_pick_next_locked(self, self->state == TASK_RUNNABLE);
	sched_s.yield = false;
	if (!next) {
		sched_no_runnable_locked();
		task_unwind_locked(self);
	}
	if (next != self) {
		sched_s.switches++;
		sched_s.cur = next;
		if (tdxsim_trace_on())
			tdxsim_trace_switch(next->id, next->name);
		if (sched_s.fiber) {
			fiber_transfer_locked(self, next);
		} else {
			pthread_cond_signal(&next->cv);
			while (sched_s.cur != self && !self->aborted)
				pthread_cond_wait(&self->cv, &sched_s.m);
		}
	}
	if (self->aborted)
		task_unwind_locked(self);
}

/* The running task of a deterministic run, or NULL. */
static inline struct task *det_self(void)
{
	struct task *self = sched_tls_task;

	if (!self || !self->in_run || sched_s.cfg.mode != SCHED_MODE_DETERMINISTIC)
		return NULL;
	return self;
}

static void sched_hold_locked(struct task *self, const char *site);

static __always_inline void sched_point_locked(struct task *self, const char *site,
					       const void *obj, unsigned int flags)
{
	if (unlikely(sched_s.nr_holds))
		sched_hold_locked(self, site);
	record_step_locked(self, site);
	if (sched_s.cfg.max_steps && sched_s.steps > sched_s.cfg.max_steps && !sched_s.aborting) {
		sched_livelock_locked();
		task_unwind_locked(self);
	}
	if (sched_s.cfg.strategy == SCHED_STRATEGY_PCT)
		sched_pct_check_change_locked(self);
	if (sched_s.footprints)
		sched_fp_end_step(self, obj, flags);
	/*
	 * @self is the only runnable task: sched_switch_locked() would pick it
	 * (no draw in either strategy) and change nothing else.
	 */
	if (likely(sched_s.nr_runnable == 1 && !sched_s.explore &&
		   self->state == TASK_RUNNABLE && !self->aborted))
		sched_s.yield = false;
	else
		sched_switch_locked(self);
	if (sched_s.footprints)
		sched_fp_start_step(self, obj, flags);
}

/*
 * sched_point_locked() where it would only count the step: a fiber run's
 * point with @self the only runnable task, below the livelock bound, and
 * none of the trace, PCT, the explorers' strategies, footprints and holds.
 * No lock either way (a fiber task takes none).
 */
static __always_inline bool sched_point_fast(struct task *self,
					     const char *site)
{
	if (likely(self && self->in_run && sched_s.point_fast &&
		   sched_s.nr_runnable == 1 &&
		   self->state == TASK_RUNNABLE && !self->aborted &&
		   sched_s.steps < sched_s.point_max)) {
		record_step_locked(self, site);
		sched_s.yield = false;
		return true;
	}
	return false;
}

void __sched_point(const char *site)
{
	struct task *self = sched_tls_task;

	if (sched_point_fast(self, site))
		return;
	self = det_self();

	if (!self) {
		lockdep_note_progress(sched_tls_task);
		return;
	}
	sched_lock(self);
	sched_point_locked(self, site, NULL, 0);
	sched_unlock(self);
}

void __sched_point_obj(const char *site, const void *obj, unsigned int flags)
{
	struct task *self = sched_tls_task;

	if (sched_point_fast(self, site))
		return;
	self = det_self();

	if (!self) {
		lockdep_note_progress(sched_tls_task);
		return;
	}
	sched_lock(self);
	sched_point_locked(self, site, obj, flags);
	sched_unlock(self);
}

/* cpu_relax()'s step: let the others run first. */
static void relax_locked(struct task *self, const char *site)
{
	record_step_locked(self, site);
	if (sched_s.cfg.max_steps && sched_s.steps > sched_s.cfg.max_steps && !sched_s.aborting) {
		sched_livelock_locked();
		task_unwind_locked(self);
	}
	/* A spinner waits for someone else: let them run first. */
	if (sched_s.cfg.strategy == SCHED_STRATEGY_PCT)
		self->prio = sched_s.pct_low--;
	sched_s.yield = true;
	if (sched_s.footprints)
		sched_fp_end_step(self, NULL, 0);
	sched_switch_locked(self);
	if (sched_s.footprints)
		sched_fp_start_step(self, NULL, 0);
}

void cpu_relax(void)
{
	struct task *self = det_self();

	if (!self) {
		__builtin_ia32_pause();
		return;
	}
	sched_lock(self);
	relax_locked(self, "cpu_relax");
	sched_unlock(self);
}

/* --- named wait points ------------------------------------------------------- */

/*
 * The first task at a point @site that a hold waits for: it spins there
 * (a cpu_relax() step each time it is picked) until the hold is released.
 */
static void sched_hold_locked(struct task *self, const char *site)
{
	struct sched_hold *h;
	unsigned int i;

	for (i = 0; i < SCHED_MAX_HOLDS; i++) {
		h = &sched_s.holds[i];
		if (h->armed && !h->task && !strcmp(h->site, site))
			break;
	}
	if (i == SCHED_MAX_HOLDS)
		return;
	h->task = self;
	while (h->task == self)
		relax_locked(self, "sched_hold");
}

static struct sched_hold *hold_find_locked(const char *site)
{
	unsigned int i;

	for (i = 0; i < SCHED_MAX_HOLDS; i++)
		if (sched_s.holds[i].armed && !strcmp(sched_s.holds[i].site, site))
			return &sched_s.holds[i];
	return NULL;
}

int sched_hold(const char *site)
{
	struct task *self = det_self();
	struct sched_hold *h = NULL;
	unsigned int i;
	int r = 0;

	if (!self || !site || strlen(site) >= sizeof(h->site))
		return -EINVAL;
	sched_lock(self);
	for (i = 0; i < SCHED_MAX_HOLDS && !h; i++)
		if (!sched_s.holds[i].armed)
			h = &sched_s.holds[i];
	if (hold_find_locked(site) || !h) {
		r = hold_find_locked(site) ? -EEXIST : -ENOSPC;
	} else {
		strcpy(h->site, site);
		h->task = NULL;
		h->armed = true;
		sched_s.nr_holds++;
		if (sched_s.fiber)
			sched_point_fast_update_locked();
	}
	sched_unlock(self);
	return r;
}

bool sched_held(const char *site)
{
	struct task *self = det_self();
	struct sched_hold *h;
	bool held;

	if (!self)
		return false;
	sched_lock(self);
	h = hold_find_locked(site);
	held = h && h->task;
	sched_unlock(self);
	return held;
}

void sched_release(const char *site)
{
	struct task *self = det_self();
	struct sched_hold *h;

	if (!self)
		return;
	sched_lock(self);
	h = hold_find_locked(site);
	if (h) {
		h->task = NULL;
		h->armed = false;
		sched_s.nr_holds--;
		if (sched_s.fiber)
			sched_point_fast_update_locked();
	}
	sched_unlock(self);
}

void sched_block_on(enum task_wait_kind kind, const void *obj,
		    const struct lockdep_map *map, const char *what)
{
	struct task *self = det_self();

	if (!self)
		return;
	sched_lock(self);
	task_set_state_locked(self, TASK_BLOCKED);
	self->wait_kind = kind;
	self->wait_obj = obj;
	self->wait_map = map;
	self->wait_what = what;
	record_step_locked(self, what ? what : "block");
	/*
	 * A lock waiter retries the lock (named by its lockdep map at the
	 * lock's own points); a wait-queue waiter re-checks anything.
	 */
	if (sched_s.footprints) {
		sched_fp_end_step(self, obj, kind == WAIT_LOCK || kind == WAIT_QUEUE ?
					       SCHED_OBJ_PREV : 0);
		if (kind == WAIT_LOCK && map)
			sched_fp_add(&self->step, map);
	}
	sched_switch_locked(self);
	if (sched_s.footprints) {
		sched_fp_start_step(self, obj,
			      kind == WAIT_LOCK ? SCHED_OBJ_NEXT : 0);
		if (kind == WAIT_LOCK && map)
			sched_fp_add(&self->step, map);
	}
	sched_unlock(self);
}

void sched_wake_obj_locked(const void *obj)
{
	int i;

	for (i = 0; i < sched_s.nr_tasks; i++) {
		struct task *t = sched_s.tasks[i];

		if (t->state == TASK_BLOCKED && t->wait_obj == obj) {
			task_set_state_locked(t, TASK_RUNNABLE);
			t->wait_kind = WAIT_NONE;
			t->wait_obj = NULL;
			t->wait_map = NULL;
			t->wait_what = NULL;
		}
	}
}

void sched_wake_obj(const void *obj)
{
	struct task *self = sched_tls_task;

	if (!sched_s.active || sched_s.cfg.mode != SCHED_MODE_DETERMINISTIC)
		return;
	sched_lock(self);
	sched_touch(obj);
	sched_wake_obj_locked(obj);
	sched_unlock(self);
}

void sched_for_each_task(void (*fn)(struct task *t, void *arg), void *arg)
{
	struct task *self = current_task();
	int i;

	if (!self->in_run || sched_s.cfg.mode != SCHED_MODE_DETERMINISTIC) {
		fn(self, arg);
		return;
	}
	/* Only the token holder runs, so the other tasks are parked. */
	for (i = 0; i < sched_s.nr_tasks; i++)
		if (sched_s.tasks[i]->state != TASK_EXITED)
			fn(sched_s.tasks[i], arg);
}

static char rcu_gp_obj;

void sched_wait_rcu_readers(void)
{
	struct task *self = det_self();
	int i;

	if (!self)
		return;
	sched_lock(self);
	/* Reads every task's read-side state: touches anything. */
	if (sched_s.footprints)
		self->step.unknown = true;
	for (;;) {
		bool readers = false;

		for (i = 0; i < sched_s.nr_tasks; i++) {
			struct task *t = sched_s.tasks[i];

			if (t != self && t->state != TASK_EXITED &&
			    __atomic_load_n(&t->rcu_nesting, __ATOMIC_RELAXED))
				readers = true;
		}
		if (!readers)
			break;
		task_set_state_locked(self, TASK_BLOCKED);
		self->wait_kind = WAIT_RCU;
		self->wait_obj = &rcu_gp_obj;
		self->wait_map = NULL;
		self->wait_what = "synchronize_rcu";
		sched_switch_locked(self);
		if (sched_s.footprints)
			self->step.unknown = true;
	}
	sched_unlock(self);
}

void sched_rcu_reader_done(void)
{
	sched_wake_obj(&rcu_gp_obj);
}

