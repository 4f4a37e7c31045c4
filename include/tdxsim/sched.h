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
};

/* Fill @cfg with the defaults (free mode, random strategy, seed 1). */
void tdxsim_sched_config_init(struct tdxsim_sched_config *cfg);

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

/* Print each thread's last schedule points to the log (failure reports). */
void tdxsim_sched_dump_threads(void);

#ifdef __cplusplus
}
#endif

#endif /* TDXSIM_SCHED_H */
