// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Tasks, the free and deterministic ways to run them, and wait queues.
 *
 * Deterministic mode: a task runs only while it holds the "token" (S.cur ==
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
#include "base/lockdep.h"
#include "base/log.h"
#include "base/rcu.h"
#include "base/sched.h"
#include "base/sched_internal.h"
#include "base/trace.h"
#include "ulib/strbuf.h"

#define PCT_MAX_DEPTH	16

static struct {
	pthread_mutex_t m;
	pthread_cond_t done_cv;
	bool active;
	struct sched_config cfg;
	struct task *cur;
	struct task **tasks;	/* tasks of the run, live or exited */
	int nr_tasks;
	int cap_tasks;
	int live;
	int next_id;
	u64 steps;
	u64 switches;
	u64 rng;
	u64 pct_change[PCT_MAX_DEPTH];
	unsigned int pct_nchange;
	s64 pct_low;
	enum sched_verdict verdict;
	bool aborting;
	struct sched_trace_entry *trace;
	size_t trace_len;
	size_t trace_cap;
	/* The run's verdict as data (filled when it is made). */
	struct sched_verdict_info vinfo;
	/* The last run's, for sched_last_verdict(). */
	struct sched_verdict_info last_vinfo;

	/* Fiber back end. */
	bool fiber;
	struct fiber main_fiber;	/* the OS thread that called sched_run() */
	struct task *caller;		/* its task */
	size_t stack_size;

	bool yield;			/* the pick after a cpu_relax() */
	bool explore;			/* replay or bounded strategy */
	bool footprints;		/* track step footprints (sleep sets) */
	u32 preemptions;
	struct task **cand;		/* scratch for explore_choose() */
	int cap_cand;
	const char *trace_file;		/* TDXSIM_SCHED_TRACE */
} S = {
	.m = PTHREAD_MUTEX_INITIALIZER,
	.done_cv = PTHREAD_COND_INITIALIZER,
};

static __thread struct task *tls_task;
bool sched_det_running;
static pthread_key_t implicit_key;
static pthread_once_t implicit_once = PTHREAD_ONCE_INIT;
static int implicit_ids = 1000;

static u64 splitmix64(u64 *state)
{
	u64 z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

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
			/* task_local_exit() reads the count without the lock. */
			__atomic_store_n(&nr_local_keys, slot, __ATOMIC_RELEASE);
			__atomic_store_n(&key->slot, slot, __ATOMIC_RELEASE);
		}
		pthread_mutex_unlock(&local_lock);
	}
	return &current_task()->local[slot - 1];
}

/* Run the destructors of @t's task-local slots. */
static void task_local_exit(struct task *t)
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

	tls_task = t;
	task_local_exit(t);
	tls_task = NULL;
	if (lockdep_task_depth(t))
		lockdep_add_report(LOCKDEP_HELD_AT_EXIT, "",
				   "WARNING: lock held at task exit time!\n");
	if (t->rcu_registered)
		rcu_unregister_current_thread();
	pthread_cond_destroy(&t->cv);
	free(t);
}

static void implicit_key_init(void)
{
	pthread_key_create(&implicit_key, implicit_task_free);
}

static struct task *task_alloc(const char *name)
{
	struct task *t = xzalloc(sizeof(*t));

	snprintf(t->name, sizeof(t->name), "%s", name ? name : "task");
	pthread_cond_init(&t->cv, NULL);
	t->state = TASK_RUNNABLE;
	/* A task's first step starts in its own code: nothing shared yet. */
	return t;
}

static void task_free(struct task *t)
{
	fiber_destroy(&t->fib);
	pthread_cond_destroy(&t->cv);
	free(t);
}

/* A thread tdxsim did not create asks for the first time. */
static noinline struct task *current_task_implicit(void)
{
	struct task *t;

	pthread_once(&implicit_once, implicit_key_init);
	t = task_alloc("thread");
	t->implicit = true;
	t->id = __atomic_fetch_add(&implicit_ids, 1, __ATOMIC_RELAXED);
	snprintf(t->name, sizeof(t->name), "thread-%d", t->id);
	t->thread = pthread_self();
	tls_task = t;
	pthread_setspecific(implicit_key, t);
	return t;
}

struct task *current_task(void)
{
	struct task *t = tls_task;

	if (likely(t))
		return t;
	return current_task_implicit();
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
	return __atomic_load_n(&S.active, __ATOMIC_ACQUIRE) ? S.cfg.mode :
							      SCHED_MODE_FREE;
}

bool sched_task_is_deterministic(void)
{
	struct task *t = tls_task;

	return t && t->in_run && S.cfg.mode == SCHED_MODE_DETERMINISTIC;
}

/* The top of the calling thread's own stack; 1: not known. */
static __thread uintptr_t thread_stack_top;

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
	struct task *t = tls_task;

	/* A fiber runs on its own stack; the caller's context on the thread's. */
	if (t && t->fib.map)
		hi = (uintptr_t)t->fib.map + t->fib.map_size;
	else
		hi = thread_stack_top_get();
	return a >= lo && a + n >= a && a + n <= hi;
}

unsigned int sched_hang_timeout_ms(void)
{
	return S.active && S.cfg.hang_timeout_ms ? S.cfg.hang_timeout_ms :
						   10000;
}

bool sched_watchdog_abort(enum sched_verdict verdict)
{
	struct task *self = tls_task;
	bool ok = false;

	pthread_mutex_lock(&S.m);
	if (S.active && self && self->in_run &&
	    S.cfg.mode == SCHED_MODE_FREE) {
		if (!S.aborting) {
			S.verdict = verdict;
			__atomic_store_n(&S.aborting, true, __ATOMIC_RELAXED);
		}
		ok = true;
	}
	pthread_mutex_unlock(&S.m);
	return ok;
}

bool sched_run_aborting(void)
{
	struct task *self = tls_task;

	return self && self->in_run && S.cfg.mode == SCHED_MODE_FREE &&
	       __atomic_load_n(&S.aborting, __ATOMIC_RELAXED);
}

void sched_unwind_current(void)
{
	longjmp(tls_task->abort_env, 1);
}

u64 sched_run_steps(void)
{
	return S.steps;
}

int sched_nr_tasks(void)
{
	int n;

	pthread_mutex_lock(&S.m);
	n = S.live;
	pthread_mutex_unlock(&S.m);
	return n;
}

/* --- footprints (bounded search with sleep sets) ---------------------------- */

static void fp_add(struct sched_footprint *fp, const void *obj)
{
	unsigned int i;

	if (fp->unknown)
		return;
	for (i = 0; i < fp->n; i++)
		if (fp->obj[i] == obj)
			return;
	if (fp->n == SCHED_FP_MAX) {
		fp->unknown = true;
		return;
	}
	fp->obj[fp->n++] = obj;
}

/* The step of @t ends at a point touching @obj as @flags say (0: anything). */
static void fp_end_step(struct task *t, const void *obj, unsigned int flags)
{
	if (!(flags & (SCHED_OBJ_NEXT | SCHED_OBJ_PREV)))
		t->step.unknown = true;
	else if (flags & SCHED_OBJ_PREV)
		fp_add(&t->step, obj);
}

/* @t's next step (whenever it is picked) starts at such a point. */
static void fp_start_step(struct task *t, const void *obj, unsigned int flags)
{
	t->step.n = 0;
	t->step.unknown = !(flags & (SCHED_OBJ_NEXT | SCHED_OBJ_PREV));
	if (flags & SCHED_OBJ_NEXT)
		t->step.obj[t->step.n++] = obj;
}

/* The running task touched @obj without a schedule point (a wake-up). */
static void sched_touch(const void *obj)
{
	struct task *t = tls_task;

	if (S.footprints && t && t->in_run && S.cur == t)
		fp_add(&t->step, obj);
}

/* --- deterministic core (S.m held) ------------------------------------ */

static void record_step_locked(struct task *t, const char *site)
{
	S.steps++;
	t->last_sites[t->last_pos % TASK_LAST_STEPS] = site;
	t->last_steps[t->last_pos % TASK_LAST_STEPS] = S.steps;
	t->last_pos++;
	if (S.cfg.record_trace) {
		if (S.trace_len == S.trace_cap) {
			S.trace_cap = S.trace_cap ? S.trace_cap * 2 : 4096;
			S.trace = xrealloc(S.trace,
					   S.trace_cap * sizeof(*S.trace));
		}
		S.trace[S.trace_len].task = t->id;
		S.trace[S.trace_len].site = site;
		S.trace_len++;
	}
}

/* Replay and bounded strategies: hand the choice to explore.c. */
static struct task *explore_pick_locked(struct task *cur, bool cur_runnable)
{
	struct sched_choice c;
	struct task *next;
	int i, nr = 0;

	if (S.cap_cand < S.nr_tasks) {
		S.cap_cand = S.nr_tasks * 2;
		S.cand = xrealloc(S.cand, S.cap_cand * sizeof(*S.cand));
	}
	for (i = 0; i < S.nr_tasks; i++)
		if (S.tasks[i]->state == TASK_RUNNABLE)
			S.cand[nr++] = S.tasks[i];
	if (!nr)
		return NULL;
	/* A spinner waits for someone else: let another go first. */
	if (S.yield && cur_runnable && nr > 1) {
		for (i = 0; i < nr; i++)
			if (S.cand[i] == cur)
				break;
		if (i < nr) {
			memmove(&S.cand[i], &S.cand[i + 1],
				(nr - i - 1) * sizeof(*S.cand));
			nr--;
		}
	}
	c.cur = cur;
	c.cur_preemptible = cur_runnable && !S.yield;
	c.fp = &cur->step;
	c.cand = S.cand;
	c.nr = nr;
	next = explore_choose(&c);
	if (c.cur_preemptible && next != cur)
		S.preemptions++;
	return next;
}

/*
 * The strategy's pick among the runnable tasks. @cur just ran (it may have
 * blocked or exited); @cur_runnable: it could go on.
 */
static struct task *pick_next_locked(struct task *cur, bool cur_runnable)
{
	struct task *best = NULL;
	int nr = 0, i, k;

	if (S.explore)
		return explore_pick_locked(cur, cur_runnable);

	for (i = 0; i < S.nr_tasks; i++)
		if (S.tasks[i]->state == TASK_RUNNABLE)
			nr++;
	if (!nr)
		return NULL;

	if (S.cfg.strategy == SCHED_STRATEGY_RANDOM) {
		k = nr > 1 ? (int)(splitmix64(&S.rng) % nr) : 0;
		for (i = 0; i < S.nr_tasks; i++) {
			if (S.tasks[i]->state != TASK_RUNNABLE)
				continue;
			if (k-- == 0)
				return S.tasks[i];
		}
		return NULL;
	}
	/* PCT: the runnable task with the highest priority. */
	for (i = 0; i < S.nr_tasks; i++) {
		struct task *t = S.tasks[i];

		if (t->state != TASK_RUNNABLE)
			continue;
		if (!best || t->prio > best->prio)
			best = t;
	}
	return best;
}

static void abort_all_locked(void)
{
	int i;

	S.aborting = true;
	for (i = 0; i < S.nr_tasks; i++) {
		struct task *t = S.tasks[i];

		if (t->state == TASK_EXITED)
			continue;
		t->aborted = true;
		if (!S.fiber)
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
	if (S.cfg.strategy == SCHED_STRATEGY_RANDOM ||
	    S.cfg.strategy == SCHED_STRATEGY_PCT)
		sb_printf(sb, "deterministic run: strategy %s, seed %llu",
			  strategy_name(S.cfg.strategy),
			  (unsigned long long)S.cfg.seed);
	else
		sb_printf(sb, "deterministic run: strategy %s",
			  strategy_name(S.cfg.strategy));
}

/* The run's verdict is being made: record the live tasks as data. */
static void record_verdict_tasks_locked(void)
{
	struct sched_verdict_info *v = &S.vinfo;
	int i;

	v->nr_tasks = 0;
	v->steps = S.steps;
	for (i = 0; i < S.nr_tasks && v->nr_tasks < SCHED_VERDICT_MAX_TASKS;
	     i++) {
		struct task *t = S.tasks[i];
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
	pthread_mutex_lock(&S.m);
	*info = S.last_vinfo;
	pthread_mutex_unlock(&S.m);
}

/* No task can run: report the deadlock or hang and abort the run. */
static void no_runnable_locked(void)
{
	struct strbuf sb = STRBUF_INIT, classes = STRBUF_INIT;
	bool wq = false;
	int i;

	for (i = 0; i < S.nr_tasks; i++) {
		struct task *t = S.tasks[i];

		if (t->state != TASK_BLOCKED)
			continue;
		if (t->wait_kind == WAIT_QUEUE || t->wait_kind == WAIT_RCU)
			wq = true;
		if (t->wait_map)
			sb_printf(&classes, "%s%s", classes.len ? "," : "",
				  t->wait_map->name);
	}
	S.verdict = wq ? SCHED_HANG : SCHED_DEADLOCK;
	record_verdict_tasks_locked();
	sb_printf(&sb, "======================================================\n");
	if (wq)
		sb_printf(&sb, "INFO: task hang detected: every live task waits and nothing can wake it\n");
	else
		sb_printf(&sb, "BUG: deadlock detected: every live task waits for a lock\n");
	sb_printf(&sb, "------------------------------------------------------\n");
	print_run_locked(&sb);
	sb_printf(&sb, ", step %llu\n\n", (unsigned long long)S.steps);
	for (i = 0; i < S.nr_tasks; i++)
		if (S.tasks[i]->state != TASK_EXITED) {
			print_task_locked(&sb, S.tasks[i]);
			sb_printf(&sb, "\n");
		}
	__lockdep_add_report(wq ? LOCKDEP_HANG : LOCKDEP_DEADLOCK,
			     sb_str(&classes), sb_str(&sb), !S.cfg.quiet);
	sb_free(&sb);
	sb_free(&classes);
	abort_all_locked();
}

static void livelock_locked(void)
{
	struct strbuf sb = STRBUF_INIT;
	int i;

	S.verdict = SCHED_LIVELOCK;
	record_verdict_tasks_locked();
	sb_printf(&sb, "======================================================\n");
	sb_printf(&sb, "INFO: livelock suspected: %llu schedule points without the run ending\n",
		  (unsigned long long)S.steps);
	sb_printf(&sb, "------------------------------------------------------\n");
	print_run_locked(&sb);
	sb_printf(&sb, "\n\n");
	for (i = 0; i < S.nr_tasks; i++)
		if (S.tasks[i]->state != TASK_EXITED) {
			print_task_locked(&sb, S.tasks[i]);
			sb_printf(&sb, "\n");
		}
	__lockdep_add_report(LOCKDEP_LIVELOCK, "", sb_str(&sb), !S.cfg.quiet);
	sb_free(&sb);
	abort_all_locked();
}

/* Unwind an aborted task to its trampoline. Drops S.m. */
static void __noreturn task_unwind_locked(struct task *self)
{
	pthread_mutex_unlock(&S.m);
	longjmp(self->abort_env, 1);
}

/*
 * Fiber back end: run @next (S.cur is already @next) and come back when
 * @self is picked again. Drops S.m across the switch.
 */
static void fiber_transfer_locked(struct task *self, struct task *next)
{
	pthread_mutex_unlock(&S.m);
	self->saved_errno = errno;
	tls_task = next;
	fiber_switch(&self->fib, &next->fib);
	errno = self->saved_errno;
	pthread_mutex_lock(&S.m);
}

/*
 * Hand the token to whoever the strategy picks (maybe @self again) and wait
 * until @self holds it again. S.m is held on entry and on return.
 */
static void switch_locked(struct task *self)
{
	struct task *next;

	if (self->aborted)
		task_unwind_locked(self);
	next = pick_next_locked(self, self->state == TASK_RUNNABLE);
	S.yield = false;
	if (!next) {
		no_runnable_locked();
		task_unwind_locked(self);
	}
	if (next != self) {
		S.switches++;
		S.cur = next;
		if (tdxsim_trace_on())
			tdxsim_trace_switch(next->id, next->name);
		if (S.fiber) {
			fiber_transfer_locked(self, next);
		} else {
			pthread_cond_signal(&next->cv);
			while (S.cur != self && !self->aborted)
				pthread_cond_wait(&self->cv, &S.m);
		}
	}
	if (self->aborted)
		task_unwind_locked(self);
}

static void pct_check_change_locked(struct task *self)
{
	unsigned int i;

	for (i = 0; i < S.pct_nchange; i++) {
		if (S.pct_change[i] == S.steps) {
			/* Change point i: drop below every initial priority. */
			self->prio = S.pct_nchange - i;
		}
	}
}

/* The running task of a deterministic run, or NULL. */
static inline struct task *det_self(void)
{
	struct task *self = tls_task;

	if (!self || !self->in_run || S.cfg.mode != SCHED_MODE_DETERMINISTIC)
		return NULL;
	return self;
}

static void sched_point_locked(struct task *self, const char *site,
			       const void *obj, unsigned int flags)
{
	record_step_locked(self, site);
	if (S.cfg.max_steps && S.steps > S.cfg.max_steps && !S.aborting) {
		livelock_locked();
		task_unwind_locked(self);
	}
	if (S.cfg.strategy == SCHED_STRATEGY_PCT)
		pct_check_change_locked(self);
	if (S.footprints)
		fp_end_step(self, obj, flags);
	switch_locked(self);
	if (S.footprints)
		fp_start_step(self, obj, flags);
}

void __sched_point(const char *site)
{
	struct task *self = det_self();

	if (!self)
		return;
	pthread_mutex_lock(&S.m);
	sched_point_locked(self, site, NULL, 0);
	pthread_mutex_unlock(&S.m);
}

void __sched_point_obj(const char *site, const void *obj, unsigned int flags)
{
	struct task *self = det_self();

	if (!self)
		return;
	pthread_mutex_lock(&S.m);
	sched_point_locked(self, site, obj, flags);
	pthread_mutex_unlock(&S.m);
}

void cpu_relax(void)
{
	struct task *self = det_self();

	if (!self) {
		__builtin_ia32_pause();
		return;
	}
	pthread_mutex_lock(&S.m);
	record_step_locked(self, "cpu_relax");
	if (S.cfg.max_steps && S.steps > S.cfg.max_steps && !S.aborting) {
		livelock_locked();
		task_unwind_locked(self);
	}
	/* A spinner waits for someone else: let them run first. */
	if (S.cfg.strategy == SCHED_STRATEGY_PCT)
		self->prio = S.pct_low--;
	S.yield = true;
	if (S.footprints)
		fp_end_step(self, NULL, 0);
	switch_locked(self);
	if (S.footprints)
		fp_start_step(self, NULL, 0);
	pthread_mutex_unlock(&S.m);
}

void sched_block_on(enum task_wait_kind kind, const void *obj,
		    const struct lockdep_map *map, const char *what)
{
	struct task *self = det_self();

	if (!self)
		return;
	pthread_mutex_lock(&S.m);
	self->state = TASK_BLOCKED;
	self->wait_kind = kind;
	self->wait_obj = obj;
	self->wait_map = map;
	self->wait_what = what;
	record_step_locked(self, what ? what : "block");
	/*
	 * A lock waiter retries the lock (named by its lockdep map at the
	 * lock's own points); a wait-queue waiter re-checks anything.
	 */
	if (S.footprints) {
		fp_end_step(self, obj, kind == WAIT_LOCK || kind == WAIT_QUEUE ?
					       SCHED_OBJ_PREV : 0);
		if (kind == WAIT_LOCK && map)
			fp_add(&self->step, map);
	}
	switch_locked(self);
	if (S.footprints) {
		fp_start_step(self, obj,
			      kind == WAIT_LOCK ? SCHED_OBJ_NEXT : 0);
		if (kind == WAIT_LOCK && map)
			fp_add(&self->step, map);
	}
	pthread_mutex_unlock(&S.m);
}

static void wake_obj_locked(const void *obj)
{
	int i;

	for (i = 0; i < S.nr_tasks; i++) {
		struct task *t = S.tasks[i];

		if (t->state == TASK_BLOCKED && t->wait_obj == obj) {
			t->state = TASK_RUNNABLE;
			t->wait_kind = WAIT_NONE;
			t->wait_obj = NULL;
			t->wait_map = NULL;
			t->wait_what = NULL;
		}
	}
}

void sched_wake_obj(const void *obj)
{
	if (!S.active || S.cfg.mode != SCHED_MODE_DETERMINISTIC)
		return;
	pthread_mutex_lock(&S.m);
	sched_touch(obj);
	wake_obj_locked(obj);
	pthread_mutex_unlock(&S.m);
}

void sched_for_each_task(void (*fn)(struct task *t, void *arg), void *arg)
{
	struct task *self = current_task();
	int i;

	if (!self->in_run || S.cfg.mode != SCHED_MODE_DETERMINISTIC) {
		fn(self, arg);
		return;
	}
	/* Only the token holder runs, so the other tasks are parked. */
	for (i = 0; i < S.nr_tasks; i++)
		if (S.tasks[i]->state != TASK_EXITED)
			fn(S.tasks[i], arg);
}

static char rcu_gp_obj;

void sched_wait_rcu_readers(void)
{
	struct task *self = det_self();
	int i;

	if (!self)
		return;
	pthread_mutex_lock(&S.m);
	/* Reads every task's read-side state: touches anything. */
	if (S.footprints)
		self->step.unknown = true;
	for (;;) {
		bool readers = false;

		for (i = 0; i < S.nr_tasks; i++) {
			struct task *t = S.tasks[i];

			if (t != self && t->state != TASK_EXITED &&
			    __atomic_load_n(&t->rcu_nesting, __ATOMIC_RELAXED))
				readers = true;
		}
		if (!readers)
			break;
		self->state = TASK_BLOCKED;
		self->wait_kind = WAIT_RCU;
		self->wait_obj = &rcu_gp_obj;
		self->wait_map = NULL;
		self->wait_what = "synchronize_rcu";
		switch_locked(self);
		if (S.footprints)
			self->step.unknown = true;
	}
	pthread_mutex_unlock(&S.m);
}

void sched_rcu_reader_done(void)
{
	sched_wake_obj(&rcu_gp_obj);
}

/* --- tasks -------------------------------------------------------------- */

/* Fiber back end: @self has exited; run the next task, or go back to sched_run(). */
static void __noreturn fiber_task_exit_locked(struct task *self)
{
	struct task *next = NULL;
	struct fiber *to;
	int i;

	if (S.live > 0) {
		if (!S.aborting) {
			next = pick_next_locked(self, false);
			S.yield = false;
			if (next) {
				S.switches++;
				if (tdxsim_trace_on())
					tdxsim_trace_switch(next->id,
							    next->name);
			} else {
				no_runnable_locked();
			}
		}
		/* Unwinding: each aborted task in turn. */
		if (S.aborting)
			for (i = 0, next = NULL; i < S.nr_tasks && !next; i++)
				if (S.tasks[i]->state != TASK_EXITED)
					next = S.tasks[i];
	}
	S.cur = next;
	if (next) {
		to = &next->fib;
		tls_task = next;
	} else {
		to = &S.main_fiber;
		tls_task = S.caller;
	}
	pthread_mutex_unlock(&S.m);
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
	task_local_exit(self);
	if (tdxsim_trace_on())
		tdxsim_trace_task_exit(self->id);
	/* A fiber shares its OS thread's liburcu registration (sched_run()). */
	if (self->rcu_registered && !self->fib.map) {
		rcu_unregister_current_thread();
		self->rcu_registered = false;
	}

	pthread_mutex_lock(&S.m);
	self->state = TASK_EXITED;
	wake_obj_locked(self);
	if (self->in_run) {
		S.live--;
		/* The exit is seen by joiners (sched_touch(t) in task_join()). */
		if (S.footprints)
			fp_add(&self->step, self);
		if (S.fiber && S.cfg.mode == SCHED_MODE_DETERMINISTIC)
			fiber_task_exit_locked(self);
		if (S.cfg.mode == SCHED_MODE_DETERMINISTIC && S.live > 0 &&
		    S.cur == self && !S.aborting) {
			struct task *next = pick_next_locked(self, false);

			S.yield = false;
			if (!next) {
				no_runnable_locked();
			} else {
				S.cur = next;
				S.switches++;
				if (tdxsim_trace_on())
					tdxsim_trace_switch(next->id,
							    next->name);
				pthread_cond_signal(&next->cv);
			}
		}
		if (S.live == 0)
			pthread_cond_broadcast(&S.done_cv);
	}
	pthread_mutex_unlock(&S.m);
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

	tls_task = self;
	if (self->in_run && S.cfg.mode == SCHED_MODE_DETERMINISTIC) {
		pthread_mutex_lock(&S.m);
		while (S.cur != self && !self->aborted)
			pthread_cond_wait(&self->cv, &S.m);
		pthread_mutex_unlock(&S.m);
	}
	task_body(self);
	tls_task = NULL;
	return NULL;
}

/* A fiber for @t, which is to join the run in progress. */
static void task_make_fiber(struct task *t)
{
	if (fiber_create(&t->fib, S.stack_size, task_fiber_main, t)) {
		pr_err("task_create(%s): no memory for a %zu-byte stack\n",
		       t->name, S.stack_size);
		BUG();
	}
	/* The OS thread is registered with liburcu for every fiber. */
	t->rcu_registered = true;
}

struct task *task_create(const char *name, int (*fn)(void *), void *arg)
{
	struct task *self = current_task();
	struct task *t = task_alloc(name);
	bool det, fib;
	int err;

	t->fn = fn;
	t->arg = arg;

	/* Only this task can end the run, so S.active cannot change here. */
	t->in_run = __atomic_load_n(&S.active, __ATOMIC_ACQUIRE) &&
		    self->in_run;
	det = t->in_run && S.cfg.mode == SCHED_MODE_DETERMINISTIC;
	fib = det && S.fiber;
	if (fib)
		task_make_fiber(t);

	pthread_mutex_lock(&S.m);
	if (t->in_run) {
		t->id = S.next_id++;
		t->prio = 1000 + (splitmix64(&S.rng) % 1000000000ULL);
		if (S.nr_tasks == S.cap_tasks) {
			S.cap_tasks = S.cap_tasks ? S.cap_tasks * 2 : 16;
			S.tasks = xrealloc(S.tasks,
					   S.cap_tasks * sizeof(*S.tasks));
		}
		S.tasks[S.nr_tasks++] = t;
		S.live++;
	} else {
		t->id = __atomic_fetch_add(&implicit_ids, 1, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&S.m);

	if (!fib) {
		err = pthread_create(&t->thread, NULL, task_trampoline, t);
		if (err) {
			pr_err("task_create(%s): pthread_create failed: %d\n",
			       t->name, err);
			BUG();
		}
	}
	if (det)
		__sched_point_obj("task_create", t, SCHED_OBJ_PREV);
	return t;
}

int task_join(struct task *t)
{
	struct task *self = current_task();
	int ret;

	if (sched_task_is_deterministic()) {
		pthread_mutex_lock(&S.m);
		sched_touch(t);
		while (t->state != TASK_EXITED) {
			self->state = TASK_BLOCKED;
			self->wait_kind = WAIT_JOIN;
			self->wait_obj = t;
			self->wait_map = NULL;
			self->wait_what = t->name;
			if (S.footprints)
				fp_end_step(self, t, SCHED_OBJ_PREV);
			switch_locked(self);
			if (S.footprints)
				fp_start_step(self, t, SCHED_OBJ_NEXT);
		}
		pthread_mutex_unlock(&S.m);
	}
	if (!t->fib.map)
		pthread_join(t->thread, NULL);
	ret = t->ret;

	pthread_mutex_lock(&S.m);
	if (t->in_run && S.active) {
		t->joined = true;	/* freed when the run ends */
		pthread_mutex_unlock(&S.m);
		return ret;
	}
	pthread_mutex_unlock(&S.m);
	task_free(t);
	return ret;
}

/* --- runs ----------------------------------------------------------------- */

/* TDXSIM_SCHED_TRACE: append the run's trace to the file. */
static void trace_to_file(const struct sched_result *res)
{
	static u64 runs;
	FILE *f = fopen(S.trace_file, "a");
	size_t i;

	if (!f) {
		pr_warn("TDXSIM_SCHED_TRACE: cannot open %s\n", S.trace_file);
		return;
	}
	fprintf(f, "run %" PRIu64 ": %s, %" PRIu64 " steps, %" PRIu64
		   " switches\n", ++runs, sched_verdict_name(res->verdict),
		res->steps, res->switches);
	for (i = 0; i < S.trace_len; i++)
		fprintf(f, "%zu %u %s\n", i + 1, S.trace[i].task,
			S.trace[i].site);
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
	    !__atomic_load_n(&S.active, __ATOMIC_ACQUIRE))
		rcu_register_current_thread();

	pthread_mutex_lock(&S.m);
	if (S.active) {
		pthread_mutex_unlock(&S.m);
		return -EBUSY;
	}
	S.cfg = *cfg;
	if (!S.cfg.pct_depth)
		S.cfg.pct_depth = 3;
	if (S.cfg.pct_depth > PCT_MAX_DEPTH)
		S.cfg.pct_depth = PCT_MAX_DEPTH;
	if (!S.cfg.pct_steps)
		S.cfg.pct_steps = 20000;
	S.trace_file = det ? getenv("TDXSIM_SCHED_TRACE") : NULL;
	if (S.trace_file && *S.trace_file)
		S.cfg.record_trace = true;
	else
		S.trace_file = NULL;
	S.fiber = det && backend == SCHED_BACKEND_FIBER;
	S.stack_size = cfg->stack_size ? cfg->stack_size : SCHED_STACK_SIZE;
	S.explore = det && (cfg->strategy == SCHED_STRATEGY_REPLAY ||
			    cfg->strategy == SCHED_STRATEGY_BOUNDED);
	S.rng = cfg->seed ^ 0x5eed5eed5eed5eedULL;
	S.steps = S.switches = 0;
	S.preemptions = 0;
	S.yield = false;
	S.verdict = SCHED_OK;
	memset(&S.vinfo, 0, sizeof(S.vinfo));
	S.aborting = false;
	S.nr_tasks = 0;
	S.live = 0;
	S.next_id = 0;
	S.cur = NULL;
	S.trace_len = 0;
	S.pct_nchange = S.cfg.pct_depth - 1;
	for (i = 0; i < S.pct_nchange; i++)
		S.pct_change[i] = 1 + splitmix64(&S.rng) % S.cfg.pct_steps;
	S.pct_low = 0;
	if (S.explore)
		explore_run_start(&S.cfg);
	S.footprints = S.explore && explore_wants_footprints();
	__atomic_store_n(&S.active, true, __ATOMIC_RELEASE);
	__atomic_store_n(&sched_det_running,
			 S.cfg.mode == SCHED_MODE_DETERMINISTIC, __ATOMIC_RELEASE);

	if (tdxsim_trace_on())
		tdxsim_trace_run_start(S.cfg.mode == SCHED_MODE_DETERMINISTIC,
				       S.cfg.seed);
	t0 = task_alloc("run");
	t0->fn = fn;
	t0->arg = arg;
	t0->in_run = true;
	t0->id = S.next_id++;
	t0->prio = 1000 + (splitmix64(&S.rng) % 1000000000ULL);
	S.cap_tasks = S.cap_tasks ? S.cap_tasks : 16;
	S.tasks = xrealloc(S.tasks, S.cap_tasks * sizeof(*S.tasks));
	S.tasks[S.nr_tasks++] = t0;
	S.live = 1;
	S.cur = t0;

	if (S.fiber) {
		task_make_fiber(t0);
		fiber_init_main(&S.main_fiber);
		S.caller = caller;
		pthread_mutex_unlock(&S.m);
		/* Runs every task of the run; back when the last one exits. */
		caller->saved_errno = errno;
		tls_task = t0;
		fiber_switch(&S.main_fiber, &t0->fib);
		tls_task = caller;
		errno = caller->saved_errno;
	} else {
		pthread_mutex_unlock(&S.m);
		if (pthread_create(&t0->thread, NULL, task_trampoline, t0))
			BUG();

		pthread_mutex_lock(&S.m);
		while (S.live > 0)
			pthread_cond_wait(&S.done_cv, &S.m);
		pthread_mutex_unlock(&S.m);

		pthread_join(t0->thread, NULL);
	}

	pthread_mutex_lock(&S.m);
	memset(res, 0, sizeof(*res));
	res->verdict = S.verdict;
	S.vinfo.verdict = S.verdict;
	S.vinfo.seed = S.cfg.seed;
	if (!S.vinfo.nr_tasks)
		S.vinfo.steps = S.steps;
	S.last_vinfo = S.vinfo;
	res->ret = t0->ret;
	res->steps = S.steps;
	res->switches = S.switches;
	res->preemptions = S.preemptions;
	res->backend = S.fiber ? SCHED_BACKEND_FIBER : SCHED_BACKEND_THREAD;
	if (S.explore)
		explore_run_end(res);
	if (S.trace_file)
		trace_to_file(res);
	if (tdxsim_trace_on())
		tdxsim_trace_run_end(sched_verdict_name(S.verdict));
	/* Free every task of the run; join the threads nobody joined. */
	for (n = 0; n < S.nr_tasks; n++) {
		struct task *t = S.tasks[n];

		if (t != t0 && !t->joined && !t->fib.map) {
			pthread_mutex_unlock(&S.m);
			pthread_join(t->thread, NULL);
			pthread_mutex_lock(&S.m);
		}
		task_free(t);
	}
	S.nr_tasks = 0;
	S.fiber = false;
	S.explore = false;
	S.footprints = false;
	__atomic_store_n(&sched_det_running, false, __ATOMIC_RELEASE);
	__atomic_store_n(&S.active, false, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&S.m);
	if (det)
		rcu_det_run_end();
	return 0;
}

const struct sched_trace_entry *sched_trace(size_t *len)
{
	*len = S.trace_len;
	return S.trace;
}

void sched_dump_tasks(void)
{
	struct strbuf sb = STRBUF_INIT;
	int i;

	if (sched_task_is_deterministic()) {
		pthread_mutex_lock(&S.m);
		for (i = 0; i < S.nr_tasks; i++)
			print_task_locked(&sb, S.tasks[i]);
		pthread_mutex_unlock(&S.m);
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
}

void destroy_waitqueue_head(struct wait_queue_head *wq)
{
	pthread_mutex_destroy(&wq->lock);
	pthread_cond_destroy(&wq->cond);
}

void wake_up(struct wait_queue_head *wq)
{
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
	if (S.footprints && sched_task_is_deterministic()) {
		pthread_mutex_lock(&S.m);
		sched_touch(wq);
		pthread_mutex_unlock(&S.m);
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
	pthread_mutex_lock(&wq->lock);
	while (wq->seq == seq && err != ETIMEDOUT)
		err = pthread_cond_timedwait(&wq->cond, &wq->lock, &ts);
	if (wq->seq != seq)
		err = 0;
	pthread_mutex_unlock(&wq->lock);
	if (err == ETIMEDOUT) {
		hung_task_report(wq, what, ms);
		return -EINTR;
	}
	return 0;
}
