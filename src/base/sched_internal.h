/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The task structure and the scheduler hooks that the lock primitives,
 * lockdep and RCU (all in src/base) use. Not for other layers.
 */
#ifndef TDXSIM_BASE_SCHED_INTERNAL_H
#define TDXSIM_BASE_SCHED_INTERNAL_H

#include <pthread.h>
#include <setjmp.h>

#include "base/fiber.h"
#include "base/lockdep.h"
#include "base/sched.h"

#define MAX_LOCK_DEPTH		48
#define TASK_LAST_STEPS		16

struct held_lock {
	struct lockdep_map *map;	/* the (first) instance */
	int class_id;
	enum lock_usage usage;
	/*
	 * Instances of map's class held through this one slot under a nest
	 * lock (mutex_lock_nest_lock()); 0 for an ordinary single hold.
	 */
	unsigned int references;
	const struct lock_site *site;
};

/*
 * What one step of a task (from the point where it was picked to the next
 * point where it parks) touched, for sleep sets: objects, or "anything".
 */
#define SCHED_FP_MAX	4
struct sched_footprint {
	bool unknown;
	u8 n;
	const void *obj[SCHED_FP_MAX];
};

enum task_state {
	TASK_RUNNABLE,
	TASK_BLOCKED,
	TASK_EXITED,
};

enum task_wait_kind {
	WAIT_NONE,
	WAIT_LOCK,	/* a lock (wait_obj is the struct base_lock) */
	WAIT_QUEUE,	/* a wait queue */
	WAIT_JOIN,	/* another task's exit */
	WAIT_RCU,	/* readers to leave (deterministic synchronize_rcu) */
};

struct task {
	int id;
	char name[32];
	pthread_t thread;
	bool implicit;		/* made for a thread tdxsim did not create */
	bool in_run;		/* belongs to the run in progress */
	int (*fn)(void *);
	void *arg;
	int ret;

	/* Scheduler state, guarded by the scheduler mutex. */
	enum task_state state;
	enum task_wait_kind wait_kind;
	const void *wait_obj;
	const char *wait_what;
	const struct lockdep_map *wait_map;
	pthread_cond_t cv;
	bool aborted;
	jmp_buf abort_env;
	s64 prio;
	const char *last_sites[TASK_LAST_STEPS];
	u64 last_steps[TASK_LAST_STEPS];
	unsigned int last_pos;
	bool joined;		/* task_join() owns the struct */

	/*
	 * Free mode: what the task sleeps on now (a lock's or wait queue's
	 * name, NULL while it runs) and since when; written by the task,
	 * read by the hung-task report of a task waiting for its lock.
	 */
	const char *free_wait;
	u64 free_wait_since;
	/* The lock (and its map) of a free-mode lock wait, else NULL. */
	struct base_lock *free_wait_lock;
	const struct lockdep_map *free_wait_map;

	/* Lockdep: held-lock stack, touched only by the task itself. */
	struct held_lock held[MAX_LOCK_DEPTH];
	int depth;
	unsigned int lockdep_gen;	/* held[] is stale unless it matches */

	/* RCU read-side nesting. */
	int rcu_nesting;
	bool rcu_registered;

	/* Fiber back end. */
	struct fiber fib;
	int saved_errno;

	/* Bounded search: the step in progress or about to start. */
	struct sched_footprint step;

	/* Task-local storage (task_local()). */
	u64 local[TASK_LOCAL_MAX];
};

/* Free mode: @self starts or ends a sleep on @what (see free_wait). */
static inline void task_free_wait_begin(struct task *self, const char *what,
					u64 now)
{
	__atomic_store_n(&self->free_wait_since, now, __ATOMIC_RELAXED);
	__atomic_store_n(&self->free_wait, what, __ATOMIC_RELEASE);
}

static inline void task_free_wait_end(struct task *self)
{
	__atomic_store_n(&self->free_wait_lock, NULL, __ATOMIC_RELAXED);
	__atomic_store_n(&self->free_wait, NULL, __ATOMIC_RELAXED);
}

/*
 * True while a deterministic run is in progress. The lock and RCU fast paths
 * read it first, so that in free mode they reach no schedule-point hook.
 */
extern bool sched_det_running;
static inline bool sched_det_possible(void)
{
	return __atomic_load_n(&sched_det_running, __ATOMIC_RELAXED);
}

/* Schedule points passed by the run in progress (or the last one). */
u64 sched_run_steps(void);

/* Block the current task on @obj until sched_wake_obj(@obj) (deterministic mode). */
void sched_block_on(enum task_wait_kind kind, const void *obj,
		    const struct lockdep_map *map, const char *what);
/* Make every task blocked on @obj runnable again (deterministic mode). */
void sched_wake_obj(const void *obj);
/* Is the current thread a task of a deterministic run? */
bool sched_task_is_deterministic(void);
/* Hung-task watchdog timeout of the current run in milliseconds. */
unsigned int sched_hang_timeout_ms(void);
/*
 * The free-mode hung-task watchdog gave up a lock wait of the current task
 * (after reporting it): end the run with @verdict (the first one given
 * stands) so that every task of the run still blocked in a lock wait gives
 * up too. Returns true when the current task belongs to a free-mode run and
 * may be unwound with sched_unwind_current(); false for a thread outside a
 * run, which can only go on waiting.
 */
bool sched_watchdog_abort(enum sched_verdict verdict);
/* Has the free-mode run of the current task been ended by the watchdog? */
bool sched_run_aborting(void);
/* Unwind the current task to its start, as an aborted deterministic task is. */
void __noreturn sched_unwind_current(void);

/*
 * Call @fn for every live task of the run in progress (deterministic mode,
 * or the current task only in free mode). Used by reports.
 */
void sched_for_each_task(void (*fn)(struct task *t, void *arg), void *arg);

/* lockdep_add_report() with the choice of printing it. */
void __lockdep_add_report(enum lockdep_report_kind kind, const char *classes,
			  const char *text, bool print);

/* Deterministic synchronize_rcu(): wait until no other task is in a read section. */
void sched_wait_rcu_readers(void);
/* A task left its outermost read-side section. */
void sched_rcu_reader_done(void);
/* rcu.c: a deterministic run ended; run the callbacks its tasks queued. */
void rcu_det_run_end(void);

/*
 * A choice point of the replay and bounded strategies (explore.c), under the
 * scheduler's lock: @cur ran the step that just ended (its footprint @fp);
 * @cand are the tasks that may run next, in ascending id order, except after
 * a spin: a task that just spun in cpu_relax() is left out when another can
 * run, and @cand starts at the first id above the spinner's (then wraps), so
 * that the default pick, @cand[0], goes round the runnable tasks.
 */
struct sched_choice {
	struct task *cur;
	bool cur_preemptible;	/* @cur could go on (runnable, did not spin) */
	bool spun;		/* @cur spun in cpu_relax() (@cand rotated) */
	const struct sched_footprint *fp;
	struct task **cand;
	int nr;
};

/* explore.c: start and end of a run with the replay or bounded strategy. */
void explore_run_start(const struct sched_config *cfg);
void explore_run_end(struct sched_result *res);
/* Pick one of @c->cand. */
struct task *explore_choose(const struct sched_choice *c);
/* Does the strategy want footprints (sleep sets)? */
bool explore_wants_footprints(void);

/*
 * @obj was just created by the running task: while the run tracks
 * footprints (sleep sets), name it by @class_key and its creation index in
 * the run instead of its address (sched_pick.c).
 */
void sched_fp_name(const void *obj, const void *class_key);

#endif /* TDXSIM_BASE_SCHED_INTERNAL_H */
