/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The seed patches as scenarios: the smallest TD that shows each bug, built
 * through the uAPI, run under the deterministic scheduler, and judged from
 * what a kernel developer would see (lock-validator reports, the scheduler's
 * verdict, the SEAMCALL that failed and its status, errnos, the VM's bugged
 * state, the guest's data checks, the PAMT check).
 *
 * Each scenario names kernel profiles (profiles.h): a "before" kernel (the
 * release before its seed patch, or the design the patch replaced, in which
 * the bug shows) and the "upstream" kernels that have the patch (in which it
 * must not show), and a fixed default seed with which "before" fails.
 */
#ifndef TDXSIM_SCENARIO_H
#define TDXSIM_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tdxsim/sched.h"
#include "tdxsim/tdxsim.h"

struct scenario_ctx;

struct tdxsim_scenario {
	const char *name;		/* "mirror-race" */
	const char *seed_patch;		/* "004" */
	const char *patch_title;	/* the seed patch's subject */
	const char *summary;		/* one line for --list */
	/*
	 * The kernels, each "PROFILE" or "PROFILE:KEY=VALUE,...": where the
	 * bug shows, and where the patch is (the default run).
	 */
	const char *before;
	const char *upstream;
	/* Other kernels that have the patch (NULL-terminated; CI runs each). */
	const char *const *upstream_also;
	/*
	 * Switches the scenario needs on any kernel ("KEY=VALUE,..." or NULL):
	 * facts of the world it is set in, e.g. guest_memfd's in-flight
	 * locking or huge folios.
	 */
	const char *needs;
	uint64_t default_seed;		/* a seed with which "before" fails */
	uint64_t pct_steps;			/* PCT: about the run's length in steps */
	/* Runs inside sched_run(); the TD and the racing tasks. */
	int (*run)(struct scenario_ctx *ctx);
	/* After sched_run(): decide from the evidence. */
	void (*judge)(struct scenario_ctx *ctx);
	/* Optional second part (seed 003's cost), run after the first. */
	void (*extra)(struct scenario_ctx *ctx);
};

/* The scenarios, in seed order; *@n gets their number. */
const struct tdxsim_scenario *tdxsim_scenario_list(size_t *n);
/* The scenario called @name, NULL if there is none. */
const struct tdxsim_scenario *tdxsim_scenario_find(const char *name);

struct tdxsim_scenario_opts {
	/*
	 * The kernel profile to run ("v6.16", "next+hugepage-rfc", optionally
	 * ":KEY=VALUE,..."), with the scenario's needs; NULL: as @design says.
	 */
	const char *kernel;
	/*
	 * "before" or "upstream" (NULL): the scenario's kernel of that name
	 * (only without @kernel); or "key=value,..." on top of @kernel or, if
	 * NULL, of the upstream kernel.
	 */
	const char *design;
	uint64_t seed;			/* 0: the scenario's default seed */
	enum tdxsim_sched_strategy strategy;
	bool extra;			/* also run the optional second part */
};

/* Fill @o with the defaults (upstream, default seed, random, no extra). */
void tdxsim_scenario_opts_init(struct tdxsim_scenario_opts *o);

/* What a run observed. Free with tdxsim_scenario_result_free(). */
struct tdxsim_scenario_result {
	bool failed;			/* a failure was observed */
	int error;			/* -errno: the scenario could not run */
	char summary[384];		/* one line */
	char *report;			/* the full report (malloc'd, NUL-ended) */
	char kernel[TDXSIM_KERNEL_NAME_MAX];	/* the profile that ran */
	struct tdxsim_design design;	/* the design that ran */
	uint64_t seed;
	enum tdxsim_verdict verdict;	/* the scheduler's */
	uint64_t steps;			/* schedule points */
	uint64_t switches;
	double seconds;			/* wall time of the run */
	bool stuck;			/* tasks were unwound holding locks */
	/*
	 * The host freed pages the module still owned (a zap failed): they
	 * may be handed out again and trip later TDs of this process.
	 */
	bool tainted;

	/* The evidence. */
	unsigned int lockdep_recursive;	/* on mapping.invalidate_lock */
	unsigned int lockdep_circular;	/* naming &mm->mmap_lock */
	unsigned int lockdep_other;	/* other validator reports (not verdicts) */
	bool vm_bugged;			/* TDXSIM_GET_STATS.vm_bugged */
	/*
	 * TDXSIM_GET_VM_FAILURE after the run: the SEAMCALLs KVM reported
	 * failing (failure.first_seamcall is the one that bugged the VM:
	 * its leaf, status, outputs and issuing function) and the
	 * KVM_BUG_ON() site.
	 */
	struct tdxsim_vm_failure failure;
	int later_errno;		/* errno of an ioctl after the failure */
	int errnos[4];			/* per racing task: its call's errno (0: ok) */
	bool livelock_exit;		/* KVM_EXIT_INTERNAL_ERROR, livelock */
	bool guest_finished;		/* the guest program halted normally */
	uint64_t guest_data_failures;
	uint64_t splits;			/* TDXSIM_GET_STATS.splits */
	uint64_t demotes;			/* TDH.MEM.PAGE.DEMOTE calls */
	bool inhibited;			/* a 2M re-fault maps 4K afterwards */
	uint64_t busy;			/* TDX_OPERAND_BUSY answers (all leaves) */
	uint64_t fault_retries;		/* faults that ended in RET_PF_RETRY */
	uint64_t no_vcpus_retries;		/* zap SEAMCALLs retried with every vCPU out */
	uint64_t accept_exits;		/* EPT violations carrying the accept level */
	uint64_t pamt_violations;		/* during the run */
	uint64_t folio_splits;		/* guest_memfd 2M folios split */
	bool mrtd_valid;
	uint8_t mrtd[48];

	/* Seed 003's second part: an injected S-EPT zap failure. */
	bool extra_ran;
	bool extra_vm_bugged;
	uint64_t extra_pamt_violations;	/* pages freed while the module owned them */
	uint64_t extra_pages_kept;		/* pages kept (leaked) by their pin */
	char extra_summary[256];
	char *extra_report;
	uint64_t split_refused;		/* 2M S-EPT splits refused under the read mmu_lock */
};

/*
 * Run scenario @s once as @o says. Returns 0 (and fills @res: failed tells
 * whether the bug showed) or -EINVAL for a bad design text (message in
 * @res->summary). Free @res with tdxsim_scenario_result_free().
 */
int tdxsim_scenario_run(const struct tdxsim_scenario *s, const struct tdxsim_scenario_opts *o,
		 struct tdxsim_scenario_result *res);
void tdxsim_scenario_result_free(struct tdxsim_scenario_result *res);

/*
 * Resolve @kernel and @design (as in tdxsim_scenario_opts) for @s into the
 * profile name @name (@namelen bytes, TDXSIM_KERNEL_NAME_MAX is enough) and
 * the switches @d. Returns 0 or -EINVAL (@err set).
 */
int tdxsim_scenario_resolve(const struct tdxsim_scenario *s, const char *kernel,
			    const char *design, char *name, size_t namelen,
			    struct tdxsim_design *d, char *err, size_t errlen);
/* tdxsim_scenario_resolve() without a kernel, the switches only. */
int tdxsim_scenario_design(const struct tdxsim_scenario *s, const char *design,
		    struct tdxsim_design *d, char *err, size_t errlen);

/*
 * Runs whose tasks were unwound holding the VM's locks (a deadlock or a
 * hang) keep their VM forever (it cannot be torn down). A process can keep
 * this many before the module runs out of HKIDs.
 */
#define TDXSIM_SCENARIO_MAX_STUCK	32
/* Number of VMs kept so far by stuck runs. */
unsigned int tdxsim_scenario_nr_stuck(void);

struct tdxsim_scenario_explore_opts {
	const char *kernel;			/* as tdxsim_scenario_opts.kernel */
	uint64_t first_seed;			/* default 1 */
	uint64_t schedules;			/* number of seeds to run */
	enum tdxsim_sched_strategy strategy;
	bool stop_on_failure;		/* stop at the first failing seed */
	bool quiet;			/* no progress on stderr */
};

struct tdxsim_scenario_explore_result {
	uint64_t runs;			/* seeds run */
	uint64_t failures;
	bool found;			/* a seed failed */
	uint64_t first_seed;			/* the first failing seed */
	uint64_t first_index;		/* 1-based: schedules to the first failure */
	double first_seconds;		/* time to the first failure */
	double seconds;			/* total time */
	/*
	 * Stopped early: the process ran out of room for stuck VMs, or a run
	 * left it tainted (see tdxsim_scenario_result.tainted); go on in a fresh one.
	 */
	bool stopped;
	struct tdxsim_scenario_result first;	/* the first failure's result */
};

/*
 * Run @s with seeds first_seed .. first_seed + schedules - 1 in kernel
 * @o->kernel and design @design. Returns 0 or -EINVAL (bad design). Free @r->first with
 * tdxsim_scenario_result_free().
 */
int tdxsim_scenario_explore(const struct tdxsim_scenario *s, const char *design,
		     const struct tdxsim_scenario_explore_opts *o,
		     struct tdxsim_scenario_explore_result *r);

/* ---- bounded exhaustive search ---- */

struct tdxsim_scenario_bounded_opts {
	const char *kernel;		/* as tdxsim_scenario_opts.kernel */
	unsigned int preemptions;	/* K: every schedule with at most K */
	bool sleep_sets;		/* see tdxsim_explore_config */
	unsigned int shard, nr_shards;	/* schedule-space shards */
	uint64_t max_schedules;		/* 0: no limit */
	bool keep_going;		/* go on after the first failure */
	/* Called after every judged schedule (may be NULL). */
	void (*progress)(void *arg, uint64_t schedules, uint64_t failures);
	void *progress_arg;
};

struct tdxsim_scenario_bounded_result {
	/*
	 * The search as tdxsim_sched_explore() reports it: schedules, runs,
	 * failures, bound...; the first failing schedule's choice list is
	 * .failing (malloc'd), its preemptions .failing_result.preemptions.
	 */
	struct tdxsim_explore_result explore;
	double seconds;
	struct tdxsim_scenario_result first;	/* its result (report) */
};

/*
 * Run @s in @design under every schedule with at most @o->preemptions
 * preemptions (K = 0, 1, ... in turn: tdxsim_sched_explore()), each
 * judged as tdxsim_scenario_run() judges a seed. Returns 0 and fills @r
 * (free it with tdxsim_scenario_bounded_result_free()), -EINVAL for a bad
 * design (message in @r->first.summary), or tdxsim_sched_explore()'s error.
 */
int tdxsim_scenario_explore_bounded(const struct tdxsim_scenario *s,
				    const char *design,
				    const struct tdxsim_scenario_bounded_opts *o,
				    struct tdxsim_scenario_bounded_result *r);
void tdxsim_scenario_bounded_result_free(struct tdxsim_scenario_bounded_result *r);

#endif /* TDXSIM_SCENARIO_H */
