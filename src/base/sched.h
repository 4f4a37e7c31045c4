/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tasks (threads) and the two ways to run them.
 *
 * free:          tasks are plain pthreads running in parallel.
 * deterministic: exactly one task runs at a time. Control changes only at
 *                schedule points: lock acquire and release, the SPTE-style
 *                atomics of base/atomic.h, wait queues, and explicit
 *                sched_point() calls. A strategy picks who runs next: a
 *                seeded one (random walk or PCT), so a seed replays exactly;
 *                a recorded choice list (replay); or the bounded exhaustive
 *                search of sched_explore().
 *
 * Deterministic mode has two back ends. The default runs every task as a
 * fiber on the OS thread that called sched_run(): a switch is a user-level
 * context switch (base/fiber.h) and costs no system call. The old one runs
 * every task on its own pthread and hands a token over with a condition
 * variable at every switch (two futex calls or more per switch); it stays
 * for one release, selected with sched_config.backend or the environment
 * variable TDXSIM_SCHED_BACKEND=thread, so bench/ can show the ratio. Both
 * back ends make the same decisions: a seed gives the same trace on either.
 * Code that runs in tasks must keep per-task state in task-local storage
 * (task_local() below), not in __thread variables: in the fiber back end
 * every task of a run shares one OS thread.
 *
 * A run is started with sched_run(); its function runs as the first task and
 * may create more with task_create(). In deterministic mode a state where no
 * task can run is reported as a deadlock (or a hang, when some task waits on
 * a wait queue rather than a lock), and a run that exceeds its step bound is
 * reported as a livelock; either way every task still alive is unwound
 * (longjmp() on its own stack back to where it started) and sched_run()
 * returns the verdict instead of hanging.
 *
 * Bounded exhaustive search (sched_explore()) is stateless model checking
 * with iterative context bounding: the program is run from scratch once per
 * schedule, and a depth-first search over the choice points enumerates every
 * schedule with at most K preemptions (a preemption is a switch away from a
 * task that could still run; a switch when the running task blocks, ends or
 * spins in cpu_relax() is free, and a spinner is left out of the choice
 * that follows when another task can run), K = 0, 1, ... in turn. A failing
 * schedule comes back as a choice list that SCHED_STRATEGY_REPLAY follows.
 * See struct sched_explore_config for sleep sets and shards.
 *
 * Environment: TDXSIM_SCHED_BACKEND=fiber|thread picks the back end of runs
 * whose config leaves it at SCHED_BACKEND_DEFAULT; TDXSIM_SCHED_TRACE=FILE
 * appends every deterministic run's schedule trace to FILE (one line per
 * schedule point: "step task site"), to compare runs across back ends.
 */
#ifndef TDXSIM_BASE_SCHED_H
#define TDXSIM_BASE_SCHED_H

#include <pthread.h>

#include "ulib/compiler.h"

enum sched_mode {
	SCHED_MODE_FREE,
	SCHED_MODE_DETERMINISTIC,
};

enum sched_strategy {
	SCHED_STRATEGY_RANDOM,	/* uniform choice among runnable tasks */
	SCHED_STRATEGY_PCT,	/* priorities with d-1 random change points */
	SCHED_STRATEGY_REPLAY,	/* follow sched_config.replay (a choice list) */
	SCHED_STRATEGY_BOUNDED,	/* driven by sched_explore(); alone: the K=0 default */
};

enum sched_backend {
	SCHED_BACKEND_DEFAULT,	/* TDXSIM_SCHED_BACKEND, else fiber */
	SCHED_BACKEND_FIBER,	/* tasks are fibers on the caller's OS thread */
	SCHED_BACKEND_THREAD,	/* tasks are pthreads handing a token over */
};

struct sched_config {
	enum sched_mode mode;
	enum sched_strategy strategy;
	u64 seed;
	unsigned int pct_depth;		/* PCT d (default 3) */
	u64 pct_steps;			/* PCT: expected run length (default 20000) */
	u64 max_steps;			/* livelock bound (default 2,000,000) */
	unsigned int hang_timeout_ms;	/* free mode hung-task watchdog (default 10000) */
	bool record_trace;		/* keep the full schedule trace */
	bool quiet;			/* do not print verdict reports to the log */
	enum sched_backend backend;	/* deterministic mode's back end */
	size_t stack_size;		/* fiber stack (default SCHED_STACK_SIZE) */
	/*
	 * SCHED_STRATEGY_REPLAY: a choice list, "" or "N:T,N:T,...": at the
	 * N-th choice point (from 0, counting only points where two or more
	 * tasks could be picked) run task T; at every other one take the
	 * default (the running task if it can go on, else the runnable task
	 * with the lowest id; after a spin in cpu_relax(), the next runnable
	 * id above the spinner's, round robin). sched_explore() prints
	 * failing schedules so.
	 */
	const char *replay;
};

/*
 * Default fiber stack. Measured over the test suite and every scenario in
 * both designs, the deepest tdxsim path touches about 10 KiB of stack;
 * sanitizers' redzones make frames several times larger. Each stack has a
 * guard page below it.
 */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SCHED_STACK_SIZE	(1024UL * 1024)
#else
#define SCHED_STACK_SIZE	(256UL * 1024)
#endif

enum sched_verdict {
	SCHED_OK = 0,
	SCHED_DEADLOCK,		/* every live task waits for a lock */
	SCHED_HANG,		/* every live task waits, some on a wait queue */
	SCHED_LIVELOCK,		/* step bound exceeded */
};

struct sched_result {
	enum sched_verdict verdict;
	int ret;		/* return value of the run function */
	u64 steps;		/* schedule points passed */
	u64 switches;		/* context switches (deterministic mode) */
	enum sched_backend backend;	/* the back end that ran (deterministic) */
	u32 preemptions;	/* switches away from a task that could go on */
	bool replay_diverged;	/* a replayed choice named a task that could not run */
};

/* Fill @cfg with defaults (free mode, random strategy, seed 1). */
void sched_config_init(struct sched_config *cfg);

/*
 * Run @fn(@arg) as the first task of a run configured by @cfg and wait for
 * every task of the run to finish. Returns 0 and fills @res; -EBUSY if a run
 * is already in progress.
 */
int sched_run(const struct sched_config *cfg, int (*fn)(void *), void *arg,
	      struct sched_result *res);

/* Name of a verdict ("ok", "deadlock", "hang", "livelock"). */
const char *sched_verdict_name(enum sched_verdict v);

/* What a task was doing when a verdict was made. */
enum sched_task_wait {
	SCHED_TASK_RUNNABLE,	/* it could run (a livelock) */
	SCHED_TASK_WAITS_LOCK,	/* for a lock (on: its class) */
	SCHED_TASK_WAITS_QUEUE,	/* on a wait queue (on), until a condition */
	SCHED_TASK_WAITS_JOIN,	/* for a task (until: its name) to exit */
	SCHED_TASK_WAITS_RCU,	/* for RCU readers to leave */
	SCHED_TASK_BLOCKED,	/* otherwise blocked */
};

#define SCHED_VERDICT_MAX_TASKS	16

struct sched_verdict_task {
	char name[32];
	int id;
	enum sched_task_wait wait;
	char on[64];		/* lock class or wait queue name */
	char until[64];		/* the wait's condition, or the task joined */
};

/* A run's verdict, as data: the tasks alive when it was made. */
struct sched_verdict_info {
	enum sched_verdict verdict;
	u64 seed;
	u64 steps;		/* schedule points when it was made */
	unsigned int nr_tasks;	/* deterministic deadlock, hang or livelock */
	struct sched_verdict_task tasks[SCHED_VERDICT_MAX_TASKS];
};

/* The verdict of the last run that ended (SCHED_OK before the first). */
void sched_last_verdict(struct sched_verdict_info *info);

/* The mode of the run in progress (free when no run is in progress). */
enum sched_mode sched_mode(void);
static inline bool sched_deterministic(void)
{
	return sched_mode() == SCHED_MODE_DETERMINISTIC;
}

struct task;

/*
 * Create a task running @fn(@arg) and make it runnable (kthread_run()).
 * @name is copied. Tasks may be created inside or outside a run; inside a
 * deterministic run the new task is scheduled by the strategy.
 */
struct task *task_create(const char *name, int (*fn)(void *), void *arg);

/* Wait for @t to finish, free it, and return its function's return value. */
int task_join(struct task *t);

/* The calling task (an implicit one is made for threads tdxsim did not create). */
extern __thread_fast struct task *sched_tls_task;
struct task *sched_current_task_implicit(void);
static inline struct task *current_task(void)
{
	struct task *t = sched_tls_task;

	if (likely(t))
		return t;
	return sched_current_task_implicit();
}
const char *task_name(const struct task *t);
int task_id(const struct task *t);

/*
 * Named wait points, for scripted interleavings (deterministic mode, called
 * by a task of the run): sched_hold(@site) arms @site; the next task that
 * passes the schedule point called @site (the names of the schedule trace,
 * e.g. "tdg_mem_page_accept_locked") waits there, spinning as in
 * cpu_relax() so that every other task runs, until sched_release(@site).
 * sched_held(@site): a task waits there now. Holds end with the run.
 * sched_hold() returns 0, -EEXIST (@site armed), -ENOSPC (4 armed) or
 * -EINVAL (not in a deterministic run).
 */
int sched_hold(const char *site);
bool sched_held(const char *site);
void sched_release(const char *site);

/* Give the scheduler a chance to switch tasks here (deterministic mode). */
void __sched_point(const char *site);
#define sched_point()	__sched_point(__func__)
#define sched_point_named(site)	__sched_point(site)

/*
 * A schedule point that says which shared object the task touches around it
 * (a lock, an atomic's address), for sched_explore()'s sleep sets: two steps
 * of different tasks that touch only different objects commute. A point
 * without an object (__sched_point) counts as touching everything.
 */
#define SCHED_OBJ_NEXT	1	/* the operation on @obj follows the point */
#define SCHED_OBJ_PREV	2	/* the operation on @obj came just before it */
void __sched_point_obj(const char *site, const void *obj, unsigned int flags);

/* Kernel names for places that may reschedule. */
#define cond_resched()	__sched_point("cond_resched")
/* A spin-wait iteration: yields, and in PCT lowers the spinner's priority. */
void cpu_relax(void);

/* Schedule trace of the current or last run (only with record_trace). */
struct sched_trace_entry {
	u32 task;
	const char *site;
};
const struct sched_trace_entry *sched_trace(size_t *len);

/*
 * Print each task's last schedule points to the log. Used in failure reports;
 * safe to call from inside a run.
 */
void sched_dump_tasks(void);

/*
 * Wait queues (kernel names). A waiter is not runnable in deterministic mode
 * until a wake_up() on its queue, and then re-checks its condition.
 */
struct wait_queue_head {
	const char *name;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	u64 seq;
	int waiters;	/* tasks in wait_event_killable() on the queue */
};

void __init_waitqueue_head(struct wait_queue_head *wq, const char *name);
#define init_waitqueue_head(wq)	__init_waitqueue_head((wq), #wq)
void destroy_waitqueue_head(struct wait_queue_head *wq);

/* Wake every waiter of @wq so it re-checks its condition. */
void wake_up(struct wait_queue_head *wq);
#define wake_up_all(wq)	wake_up(wq)

/*
 * Low-level halves of wait_event_killable(): sample the queue's wake-up
 * sequence, then (if the condition was false) sleep until it moves on.
 * wait_sleep() returns 0, or -EINTR when the free-mode hung-task watchdog gave
 * up on the wait (after reporting it). In deterministic mode a wait that can
 * never end is reported by the scheduler and the task is unwound.
 */
u64 wait_prepare(struct wait_queue_head *wq);
int wait_sleep(struct wait_queue_head *wq, u64 seq, const char *what);
/*
 * Count a waiter in (+1) or out (-1) around the checks of its condition,
 * so that a free-mode wake_up() with nobody counted can skip the queue (the
 * kernel's wq_has_sleeper()): the count's update is a full barrier before
 * the waiter reads its condition, and wake_up() has one between the
 * caller's stores to the condition and its read of the count.
 */
static inline void wait_queue_waiters_add(struct wait_queue_head *wq, int n)
{
	__atomic_add_fetch(&wq->waiters, n, __ATOMIC_SEQ_CST);
}

/*
 * wait_event_killable(wq, condition): block until @condition is true,
 * re-evaluating it after every wake_up() on @wq. Returns 0 or -EINTR.
 */
#define wait_event_killable(wq, condition)				\
	({								\
		int __we_ret = 0;					\
		wait_queue_waiters_add(&(wq), 1);			\
		for (;;) {						\
			u64 __we_seq = wait_prepare(&(wq));		\
			if (condition)					\
				break;					\
			__we_ret = wait_sleep(&(wq), __we_seq, #condition); \
			if (__we_ret)					\
				break;					\
		}							\
		wait_queue_waiters_add(&(wq), -1);			\
		__we_ret;						\
	})

/* Number of tasks currently alive in the run (for tests). */
int sched_nr_tasks(void);

/*
 * Is [@addr, @addr + @n) inside the live part of the running task's stack
 * (between the caller's frame and the top of its fiber's or thread's
 * stack)? Such memory is mapped and writable: copy_from_user() of a
 * caller's on-stack argument needs no checked copy.
 */
bool sched_on_current_stack(const void *addr, size_t n);

/* Name of a back end ("fiber", "thread"); of the default: the one it means now. */
const char *sched_backend_name(enum sched_backend b);

/*
 * Task-local storage: what would be a __thread variable in code that runs
 * in tasks. Each key names one 8-byte slot, zero in every new task (and in
 * the implicit task of a thread tdxsim did not create):
 *
 *	static DEFINE_TASK_LOCAL(running_vcpu, NULL);
 *	struct kvm_vcpu **p = task_local(&running_vcpu);
 *
 * @dtor, if not NULL, is called with the slot's value (as a pointer) when a
 * task whose slot is not zero exits. There are TASK_LOCAL_MAX slots.
 */
#define TASK_LOCAL_MAX	16
struct task_local_key {
	int slot;		/* 1 + the slot, 0 until first used */
	void (*dtor)(void *value);
};
#define DEFINE_TASK_LOCAL(name, destructor)				\
	struct task_local_key name = { .slot = 0, .dtor = (destructor) }
/* The calling task's slot for @key (8 bytes, 8-aligned). */
void *task_local(struct task_local_key *key);

/* --- bounded exhaustive search ------------------------------------------ */

struct sched_explore_config {
	/*
	 * How each run is made (mode, strategy and seed are set by
	 * sched_explore(); max_steps, quiet, backend, ... are used as given).
	 */
	struct sched_config run;
	unsigned int preemptions;	/* K */
	/*
	 * Sleep sets: skip a schedule that only reorders steps of different
	 * tasks touching different objects (SCHED_OBJ_*) relative to one
	 * already run, when the reordering cannot cost more preemptions.
	 * Sound only if every access to memory shared between tasks is
	 * behind a schedule point naming its object (or a lock's): an atomic_t
	 * or a READ_ONCE() shared flag makes it miss schedules. Off by default.
	 */
	bool sleep_sets;
	/* Explore K = 0, 1, ... in turn (default) or only the bound K. */
	bool no_iterative;
	/*
	 * Shards: run only the schedules of shard @shard of @nr_shards (0 or
	 * 1: no sharding). The search tree is cut at its @shard_depth-th
	 * choice point (default 4) and the subtrees are dealt round-robin, so
	 * shards 0..N-1 together run exactly the schedules of one unsharded
	 * exploration.
	 */
	unsigned int shard, nr_shards, shard_depth;
	u64 max_schedules;	/* stop after this many schedules (0: no limit) */
	bool keep_going;	/* go on after the first failure */
};

struct sched_explore_result {
	u64 schedules;		/* distinct schedules run and checked */
	u64 runs;		/* executions, including repeats and cut-short ones */
	u64 failures;
	bool exhausted;		/* every schedule with <= K preemptions was covered */
	int bound;		/* largest K fully covered (-1: not even K = 0) */
	bool nondeterministic;	/* a re-run did not repeat its prefix */
	bool found;		/* a schedule failed */
	char *failing;		/* its choice list (for sched_config.replay), malloc'd */
	struct sched_result failing_result;
	u32 failing_preemptions;
};

/*
 * Run @fn(@arg) under every schedule with at most @cfg->preemptions
 * preemptions (a run per schedule; @fn must set its world up from scratch
 * each time). After each run @check(@arg, result) says whether it failed
 * (non-zero); a NULL @check fails runs whose verdict is not SCHED_OK.
 * Stops at the first failure unless keep_going. Returns 0 (and fills @res;
 * free res->failing), -EBUSY if a run is in progress, -EINVAL for a bad
 * config, -E2BIG if a run has more than 64 tasks.
 */
int sched_explore(const struct sched_explore_config *cfg,
		  int (*fn)(void *), void *arg,
		  int (*check)(void *arg, const struct sched_result *res),
		  struct sched_explore_result *res);

#endif /* TDXSIM_BASE_SCHED_H */
