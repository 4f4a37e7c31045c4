/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the two halves of tdxsim fuzz share: the command's options and
 * progress line, and the calls into the worker process (fuzz_worker.c)
 * that runs every program for the supervisor (fuzz.c), so that a run
 * that crashes or spoils its process costs only a fresh worker.
 */
#ifndef TDXSIM_TOOLS_FUZZ_H
#define TDXSIM_TOOLS_FUZZ_H

#include <stdbool.h>
#include <stdint.h>

#include "tdxsim/fuzz.h"
#include "ulib/compiler.h"

struct fuzz_opts {
	const char *kernel, *design, *replay, *trace, *out_dir;
	const char *sched_trace, *lockdep_graph;
	char design_text[512];
	u64 seconds, programs, seed;
	enum tdxsim_sched_strategy strategy;
	bool bounded, seed_set, strategy_set;
	unsigned int preemptions, shard, nr_shards;
	u64 max_schedules;
	bool json, quiet, no_shrink, keep_going, progress, sleep_sets, print, shrink;
	unsigned int max_tasks;
	unsigned int tds;		/* --tds: 0 (one) or 2 */
	unsigned int bias;		/* --bias: enum tdxsim_fuzz_bias */
};

/* The command's options (fuzz.c). */
extern struct fuzz_opts O;

struct progress {
	bool on, shown;
	u64 last_ns;
	const char *what;		/* "programs" or "schedules" */
	u64 done, failures, total;	/* total: 0 if unknown */
	u64 base_done;			/* done before the current request */
	u64 t0;
};

/* The progress line on stderr (fuzz_worker.c draws it while it waits). */
extern struct progress P;

/* Seconds since the command started (P.t0). */
double elapsed(void);
void progress_clear(void);
/* Redraw the line; at most five times a second unless @force. */
void progress_draw(bool force);

/* The worker's answer to a request. */
struct wresp {
	int32_t ret;
	u32 restart;			/* the worker exits after this answer */
	struct tdxsim_fuzz_outcome out;	/* report: see report_len */
	u32 report_len;
	/* EXPLORE: the search; its choice list follows (choices_len bytes). */
	struct tdxsim_explore_result explore;
	u32 choices_len;
};

/* Run @p in the worker (a tdxsim_fuzz_runner); a lost worker is a crash. */
int run_remote(void *arg, const struct tdxsim_fuzz_program *p,
	       struct tdxsim_fuzz_outcome *out);
/*
 * Explore @p in the worker to @k preemptions (shard @shard of @nr_shards,
 * at most @max schedules, only failures with @sig if set). Returns 0 with
 * @rs, @out and @choices (malloc'd, may be NULL) filled, or -1 when the
 * worker was lost (@out describes how).
 */
int explore_remote(const struct tdxsim_fuzz_program *p, unsigned int k,
		   unsigned int shard, unsigned int nr_shards, u64 max,
		   const char *sig, struct wresp *rs,
		   struct tdxsim_fuzz_outcome *out, char **choices);
/* Stop the worker; the next request starts a fresh one. */
void worker_stop(void);
/* Schedules the worker's current search has judged so far. */
u64 worker_schedules(void);

#endif /* TDXSIM_TOOLS_FUZZ_H */
