/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The scheduler's own state, shared by its files and by nothing else:
 * sched.c (tasks, schedule points, the hand-over of the token),
 * sched_pick.c (the strategies' pick and the bounded search's footprints),
 * sched_verdict.c (deadlock, hang and livelock verdicts, the watchdog, wait
 * queues) and sched_backend.c (task creation, exit and runs on fibers or
 * threads). Everything marked "locked" runs with sched_s.m held (by sched_lock():
 * a fiber task holds it without taking it).
 */
#ifndef TDXSIM_BASE_SCHED_STATE_H
#define TDXSIM_BASE_SCHED_STATE_H

#include <pthread.h>

#include "base/fiber.h"
#include "base/sched.h"
#include "base/sched_internal.h"

#define PCT_MAX_DEPTH	16

/* A named wait point (sched_hold()): the task waiting there, if any. */
#define SCHED_MAX_HOLDS	4
struct sched_hold {
	char site[64];
	struct task *task;
	bool armed;
};

struct sched_state {
	pthread_mutex_t m;
	pthread_cond_t done_cv;
	bool active;
	struct sched_config cfg;
	struct task *cur;
	struct task **tasks;	/* tasks of the run, live or exited */
	int nr_tasks;
	int cap_tasks;
	int live;
	int nr_runnable;	/* tasks of the run in TASK_RUNNABLE */
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
	struct sched_hold holds[SCHED_MAX_HOLDS];
	unsigned int nr_holds;		/* armed holds */
	/*
	 * A fiber run whose points need nothing but counting while one task
	 * is runnable (no trace, PCT, explorer, footprints or holds): see
	 * sched_point_fast_update_locked(). point_max: steps a fast point
	 * may start from (the livelock bound's check stays exact).
	 */
	bool point_fast;
	u64 point_max;
};

extern struct sched_state sched_s;
/* Ids of tasks outside a run (threads tdxsim did not create, free tasks). */
extern int sched_implicit_ids;

/*
 * The scheduler's mutex as task @t takes it for the scheduler's state. A
 * fiber task (the fiber back end of a deterministic run) takes none: every
 * fiber of the run is on the OS thread that called sched_run(), only the
 * token holder runs and the token changes hands only in fiber_switch(), so
 * nothing else can touch the state meanwhile (sched_run() itself holds the
 * mutex while it sets up and ends the run, when no fiber runs). @t == NULL:
 * a thread that tdxsim did not create.
 */
static inline void sched_lock(const struct task *t)
{
	if (!t || !t->fib.map)
		pthread_mutex_lock(&sched_s.m);
}

static inline void sched_unlock(const struct task *t)
{
	if (!t || !t->fib.map)
		pthread_mutex_unlock(&sched_s.m);
}

/*
 * After a change of anything the schedule point's fast path leaves out.
 * Only a fiber run turns it on, whose tasks all run on the OS thread that
 * writes it; the thread back end's tasks read it false, written before
 * they start.
 */
static inline void sched_point_fast_update_locked(void)
{
	sched_s.point_fast = sched_s.fiber && !sched_s.cfg.record_trace &&
			     sched_s.cfg.strategy != SCHED_STRATEGY_PCT &&
			     !sched_s.explore && !sched_s.footprints &&
			     !sched_s.nr_holds;
	sched_s.point_max = sched_s.cfg.max_steps ? sched_s.cfg.max_steps :
						    ~0ULL;
}

/*
 * Every change of a task's state goes through here: a task of the run
 * (in sched_s.tasks) keeps sched_s.nr_runnable, which lets a schedule point
 * with one runnable task (most of them) skip the strategy's pick.
 */
static inline void task_set_state_locked(struct task *t, enum task_state s)
{
	if (t->in_run)
		sched_s.nr_runnable += (s == TASK_RUNNABLE) - (t->state == TASK_RUNNABLE);
	t->state = s;
}

static inline u64 splitmix64(u64 *state)
{
	u64 z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* sched.c */
struct task *sched_task_alloc(const char *name);
void sched_task_free(struct task *t);
/* Run the destructors of @t's task-local slots. */
void sched_task_local_exit(struct task *t);
void sched_switch_locked(struct task *self);
void sched_wake_obj_locked(const void *obj);

/* sched_pick.c */
void sched_fp_add(struct sched_footprint *fp, const void *obj);
void sched_fp_end_step(struct task *t, const void *obj, unsigned int flags);
void sched_fp_start_step(struct task *t, const void *obj, unsigned int flags);
void sched_touch(const void *obj);
void sched_fp_names_reset(void);
struct task *sched_pick_next_locked(struct task *cur, bool cur_runnable);
void sched_pct_check_change_locked(struct task *self);

/* sched_verdict.c */
void sched_no_runnable_locked(void);
void sched_livelock_locked(void);

#endif /* TDXSIM_BASE_SCHED_STATE_H */
