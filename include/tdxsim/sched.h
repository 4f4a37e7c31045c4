/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Runs and threads: how a program that uses tdxsim runs its threads (VMM
 * threads, vCPU threads) so that tdxsim's scheduler sees them.
 *
 * A run is started with tdxsim_sched_run(); its function runs as the first
 * thread and may start more with tdxsim_thread_create(). In free mode the
 * threads are plain parallel threads. In deterministic mode exactly one runs
 * at a time and control changes only at tdxsim's schedule points (every lock
 * operation, SEAMCALL and SPTE update inside tdxsim), chosen by a seeded
 * strategy, so a seed replays exactly. A state where no thread can run is a
 * deadlock or a hang, and a run that exceeds its step bound is a livelock;
 * either way every thread still alive is unwound and the run returns its
 * verdict instead of hanging.
 */
#ifndef TDXSIM_SCHED_H
#define TDXSIM_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum tdxsim_sched_mode {
	TDXSIM_SCHED_FREE,		/* parallel threads */
	TDXSIM_SCHED_DETERMINISTIC,	/* one at a time, seeded */
};

enum tdxsim_sched_strategy {
	TDXSIM_STRATEGY_RANDOM,		/* uniform among runnable threads */
	TDXSIM_STRATEGY_PCT,		/* priorities with d-1 change points */
	/* Follow @replay, a choice list tdxsim_sched_explore() reported. */
	TDXSIM_STRATEGY_REPLAY,
};

struct tdxsim_sched_config {
	enum tdxsim_sched_mode mode;
	enum tdxsim_sched_strategy strategy;
	uint64_t seed;
	unsigned int pct_depth;		/* PCT d (default 3) */
	uint64_t pct_steps;		/* PCT: expected run length in steps */
	uint64_t max_steps;		/* livelock bound */
	unsigned int hang_timeout_ms;	/* free mode hung-task watchdog */
	bool record_trace;		/* keep the schedule trace */
	bool quiet;			/* do not print verdict reports */
	/*
	 * TDXSIM_STRATEGY_REPLAY: "" or "N:T,N:T,...": at the N-th choice
	 * point (from 0, counting only points where two or more threads could
	 * run) run thread T (ids from 0 in creation order); at every other
	 * point go on with the running thread if it can, else the runnable
	 * one with the lowest id (after a spin-wait: the next runnable id
	 * above the spinner's, round robin).
	 */
	const char *replay;
};

enum tdxsim_verdict {
	TDXSIM_VERDICT_OK,
	TDXSIM_VERDICT_DEADLOCK,	/* every live thread waits for a lock */
	TDXSIM_VERDICT_HANG,		/* every live thread waits, some on a queue */
	TDXSIM_VERDICT_LIVELOCK,	/* step bound exceeded */
};

struct tdxsim_sched_result {
	enum tdxsim_verdict verdict;
	int ret;			/* the run function's return value */
	uint64_t steps;			/* schedule points passed */
	uint64_t switches;		/* context switches (deterministic) */
	uint32_t preemptions;		/* switches away from a thread that could go on */
	bool replay_diverged;		/* a replayed choice named a thread that could not run */
};

/* Fill @cfg with the defaults (free mode, random strategy, seed 1). */
void tdxsim_sched_config_init(struct tdxsim_sched_config *cfg);
/*
 * Fill @cfg for a deterministic run of @strategy from @seed; every other
 * field has its default.
 */
void tdxsim_sched_config_deterministic(struct tdxsim_sched_config *cfg,
				       enum tdxsim_sched_strategy strategy,
				       uint64_t seed);

/*
 * Run @fn(@arg) as the first thread of a run configured by @cfg and wait for
 * every thread of the run. Returns 0 and fills @res, or -EBUSY if a run is
 * already in progress, or -EINVAL for a bad configuration.
 */
int tdxsim_sched_run(const struct tdxsim_sched_config *cfg,
		     int (*fn)(void *), void *arg,
		     struct tdxsim_sched_result *res);

/* "ok", "deadlock", "hang" or "livelock". */
const char *tdxsim_verdict_name(enum tdxsim_verdict v);

/* True while a deterministic run is in progress. */
bool tdxsim_sched_deterministic(void);

struct tdxsim_thread;

/*
 * Start a thread running @fn(@arg) (@name is copied). Inside a deterministic
 * run the scheduler runs it. Returns NULL with errno set on failure.
 */
struct tdxsim_thread *tdxsim_thread_create(const char *name,
					   int (*fn)(void *), void *arg);
/* Wait for @t to finish, free it, and return its function's value. */
int tdxsim_thread_join(struct tdxsim_thread *t);

/*
 * One iteration of a spin-wait (retrying a call that answered EAGAIN until
 * another thread has moved on): in deterministic mode it lets the others
 * run, and PCT lowers the spinner's priority so it cannot starve them.
 */
void tdxsim_cpu_relax(void);

/*
 * Named wait points: a scripted interleaving, the same under every seed
 * and strategy. Called by a thread of a deterministic run.
 * tdxsim_sched_hold(@site) arms @site; the next thread that passes the
 * schedule point called @site (the names of the schedule trace,
 * TDXSIM_SCHED_TRACE; e.g. "tdg_mem_page_accept_locked": a guest's
 * TDG.MEM.PAGE.ACCEPT holding its S-EPT entry) waits there, spinning as in
 * tdxsim_cpu_relax() so that every other thread runs, until
 * tdxsim_sched_release(@site). tdxsim_sched_held(@site): a thread waits
 * there now. Holds end with the run. tdxsim_sched_hold() returns 0,
 * -EEXIST (@site is armed), -ENOSPC (4 are) or -EINVAL (no deterministic
 * run, or a name of 64 characters or more).
 */
int tdxsim_sched_hold(const char *site);
bool tdxsim_sched_held(const char *site);
void tdxsim_sched_release(const char *site);

/* Print each thread's last schedule points to the log (failure reports). */
void tdxsim_sched_dump_threads(void);

/* ---- bounded exhaustive search ---- */

struct tdxsim_explore_config {
	/* Each run's settings (mode, strategy and seed are the search's). */
	struct tdxsim_sched_config run;
	unsigned int preemptions;	/* K */
	/*
	 * Skip schedules that only reorder steps of different threads touching
	 * different objects. Sound only if every access to memory shared
	 * between threads is behind one of tdxsim's schedule points (locks,
	 * SPTE atomics); off by default.
	 */
	bool sleep_sets;
	bool no_iterative;		/* only K, not 0, 1, ..., K in turn */
	/*
	 * Shard @shard of @nr_shards (0 or 1: all): shards 0..N-1 together run
	 * exactly the schedules of one unsharded search.
	 */
	unsigned int shard, nr_shards;
	uint64_t max_schedules;		/* stop after this many (0: no limit) */
	bool keep_going;		/* go on after the first failure */
};

struct tdxsim_explore_result {
	uint64_t schedules;		/* distinct schedules run and checked */
	uint64_t runs;			/* executions, repeats included */
	uint64_t failures;
	bool exhausted;			/* every schedule with <= K preemptions covered */
	int bound;			/* largest K fully covered (-1: none) */
	bool nondeterministic;		/* a re-run did not repeat its prefix */
	bool found;			/* a schedule failed */
	char *failing;			/* its choice list (malloc'd; free()) */
	struct tdxsim_sched_result failing_result;
};

/*
 * Run @fn(@arg) under every schedule with at most @cfg->preemptions
 * preemptions (stateless: a run per schedule; @fn sets its world up from
 * scratch each time). After each run @check(@arg, result) says whether it
 * failed (non-zero); NULL fails runs whose verdict is not ok. Returns 0 and
 * fills @res, -EBUSY if a run is in progress, -EINVAL for a bad config,
 * -E2BIG if a run has more than 64 threads.
 */
int tdxsim_sched_explore(const struct tdxsim_explore_config *cfg,
			 int (*fn)(void *), void *arg,
			 int (*check)(void *arg,
				      const struct tdxsim_sched_result *res),
			 struct tdxsim_explore_result *res);

#ifdef __cplusplus
}
#endif

#endif /* TDXSIM_SCHED_H */
