/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tdxsim fuzz: concurrent uAPI programs under the deterministic scheduler.
 *
 * A fuzz program is a small TD launched through the uAPI (its guest_memfd
 * files, memslots and vCPUs), a sequential set-up (the launch steps it takes
 * before the race: KVM_TDX_INIT_VCPU, KVM_SET_MEMORY_ATTRIBUTES,
 * KVM_TDX_INIT_MEM_REGION, KVM_TDX_FINALIZE_VM...), then two to four
 * concurrent tasks: VMM tasks (hole punches, conversions, pre-faults, memslot
 * changes, the launch steps left over, closing descriptors, teardown) and
 * vCPU tasks (a KVM_RUN loop running a guest program: accepts, writes,
 * reads, MapGPA, touches), and a schedule (a seed for the random or PCT
 * strategy, or a recorded choice list). Programs are generated from a seed,
 * or read from the text format of docs/fuzz-programs.md.
 *
 * A run is judged from data only: the VM's KVM_BUG_ON record, WARN counts,
 * every lock-validator report, the scheduler's verdict, the invariant
 * checker, the guest's data checks, a scan of what the host can read for the
 * guest's private bytes, the pages the module still owns after teardown,
 * PAMT violations, and every uAPI answer against the errnos KVM may give for
 * that operation in that state (docs/fuzz-programs.md, "Allowed answers").
 */
#ifndef TDXSIM_FUZZ_H
#define TDXSIM_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tdxsim/sched.h"
#include "tdxsim/tdxsim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A fuzz program (opaque). */
struct tdxsim_fuzz_program;

/* What a run can be found guilty of (bits of tdxsim_fuzz_outcome.kinds). */
enum tdxsim_fuzz_kind {
	TDXSIM_FUZZ_DEADLOCK,		/* the scheduler: every task waits for a lock */
	TDXSIM_FUZZ_HANG,		/* every task waits, some on a queue */
	TDXSIM_FUZZ_LIVELOCK,		/* step bound, or KVM's livelock exit */
	TDXSIM_FUZZ_LOCKDEP,		/* a lock-validator report */
	TDXSIM_FUZZ_KVM_BUG_ON,		/* the VM was bugged */
	TDXSIM_FUZZ_WARN,		/* a kernel WARN without KVM_BUG_ON */
	TDXSIM_FUZZ_PAMT,		/* the host freed a page the module owned */
	TDXSIM_FUZZ_PAGES_OWNED,	/* the module owns pages after teardown */
	TDXSIM_FUZZ_INVARIANT,		/* TDXSIM_CHECK_INVARIANTS found errors */
	TDXSIM_FUZZ_LEAK,		/* the host read a guest's private bytes */
	TDXSIM_FUZZ_DATA,		/* the guest read wrong data */
	TDXSIM_FUZZ_ERRNO,		/* an answer KVM does not give there */
	TDXSIM_FUZZ_CRASH,		/* the process running it died */
	TDXSIM_FUZZ_NR_KINDS,
};

/* "deadlock", "hang", "livelock", "lockdep", "kvm-bug-on", ... */
const char *tdxsim_fuzz_kind_name(enum tdxsim_fuzz_kind kind);

/* How a run went. */
struct tdxsim_fuzz_outcome {
	bool failed;			/* any kind below */
	bool setup_error;		/* the program could not be built */
	uint32_t kinds;			/* 1 << enum tdxsim_fuzz_kind, each seen */
	enum tdxsim_fuzz_kind kind;	/* the most telling of them */
	/*
	 * What makes two failures the same bug: the kind and its key (the
	 * SEAMCALL leaf and status class, the lock classes, the wait), e.g.
	 * "kvm-bug-on TDH.MEM.RANGE.BLOCK TDX_OPERAND_BUSY".
	 */
	char signature[160];
	/* Every failure's signature, one per line (the primary one first). */
	char signatures[1024];
	char summary[512];		/* one line */
	/* The scheduler's run. */
	uint32_t verdict;		/* enum tdxsim_verdict */
	uint64_t steps, switches;
	uint32_t preemptions;
	bool stuck;			/* tasks were unwound holding locks */
	bool tainted;			/* pages the module owned were freed */
	/* Evidence. */
	uint64_t warnings;		/* WARNs during the run */
	uint32_t reports;		/* lock-validator reports (not verdicts) */
	uint32_t invariant_errors;
	uint64_t data_failures;		/* counted ones (see data_checked) */
	bool data_checked;		/* no VMM operation disturbs the data read */
	uint64_t leaked_pages;		/* host-readable pages with private bytes */
	uint64_t pages_owned_after;	/* pages the module owns after teardown */
	uint64_t pamt_violations;
	uint32_t bad_errnos;		/* answers outside the allow-list */
	uint32_t ops_done;		/* operations (VMM calls, guest ops) done */
	/*
	 * vCPUs stopped by the module's host-priority timeout
	 * (KVM_EXIT_INTERNAL_ERROR, TDX_HOST_PRIORITY_BUSY_TIMEOUT); not a
	 * failure when the program may leave an S-EPT entry with HP.
	 */
	uint32_t hp_timeouts;
	/*
	 * TDH.PHYMEM.PAMT.ADD and .REMOVE calls the module saw during the run
	 * (any status; 0 without Dynamic PAMT): how often a program makes a
	 * 2M region's PAMT pages come and go, what the DPAMT races need.
	 */
	uint64_t pamt_adds, pamt_removes;
	struct tdxsim_vm_failure failure; /* TDXSIM_GET_VM_FAILURE, if any */
	/* The full report: what each task did, then the kernel log (malloc'd). */
	char *report;
};

/* Release what a run allocated in @o (the report). */
void tdxsim_fuzz_outcome_free(struct tdxsim_fuzz_outcome *o);

/* ---- programs ---- */

struct tdxsim_fuzz_gen_config {
	/* The kernel profile the programs run (NULL: TDXSIM_KERNEL_DEFAULT). */
	const char *kernel;
	/* Design switches on top of it ("key=value,...", NULL for none). */
	const char *design;
	enum tdxsim_sched_strategy strategy;	/* random or pct */
	unsigned int max_tasks;		/* 2..4 (default 4) */
	unsigned int max_ops;		/* per task (default 5) */
	unsigned int max_vcpus;		/* 1..3 (default 3) */
	/*
	 * TDs per program: 0 or 1 (the default: one TD, the programs of
	 * every earlier release), or 2: a second TD on the same host races
	 * the first (its launch, a guest, VMM operations, the first's
	 * teardown), for what the TDs share (Dynamic PAMT's 2M regions).
	 */
	unsigned int tds;
	/*
	 * What the generator leans towards (enum tdxsim_fuzz_bias; 0: none,
	 * the programs of every earlier release).
	 */
	unsigned int bias;
};

/*
 * Generator biases (docs/fuzz-programs.md, "Biases").
 * TDXSIM_FUZZ_BIAS_DPAMT: two TDs laid out so that 2M regions' PAMT
 * counts go 0->1 and 1->0 while the other TD takes or drops pages of
 * them (Dynamic PAMT's races): host pages allocated through a spare
 * guest_memfd of TD 1 between the launches and before TD 1's launch
 * steps, both TDs' vCPU creation left to racing tasks, TD 0's pages
 * removed (punch, exit) meanwhile. Implies two TDs.
 * TDXSIM_FUZZ_BIAS_DPAMT_EDGE: the same, but the set-up's padding stops
 * the page allocator 0 to 15 pages before a fresh 2M block's end
 * ("alloc ... edge=N") and TD 1's steps start at once, so that the vCPU
 * creations' pages and PAMT pairs cross a region boundary (the races of
 * a lock per region, docs/FINDINGS.md D1). Its programs differ from
 * TDXSIM_FUZZ_BIAS_DPAMT's; that stream is unchanged.
 */
enum tdxsim_fuzz_bias {
	TDXSIM_FUZZ_BIAS_NONE,
	TDXSIM_FUZZ_BIAS_DPAMT,
	TDXSIM_FUZZ_BIAS_DPAMT_EDGE,
};

/* Fill @cfg with the defaults. */
void tdxsim_fuzz_gen_config_init(struct tdxsim_fuzz_gen_config *cfg);

/*
 * Generate program @index of the stream @seed: the same (@cfg, @seed,
 * @index) always gives the same program and schedule. Returns 0, -EINVAL
 * for a bad @cfg, -ENOMEM.
 */
int tdxsim_fuzz_generate(const struct tdxsim_fuzz_gen_config *cfg,
			 uint64_t seed, uint64_t index,
			 struct tdxsim_fuzz_program **out);

/*
 * Parse a program from @text (named @name in messages). Returns 0, or
 * -EINVAL with "name:line: message" in @err.
 */
int tdxsim_fuzz_parse(const char *text, const char *name,
		      struct tdxsim_fuzz_program **out, char *err,
		      size_t errlen);

/* The program as text (docs/fuzz-programs.md); malloc'd. */
char *tdxsim_fuzz_format(const struct tdxsim_fuzz_program *p);

/* A copy of @p. */
struct tdxsim_fuzz_program *tdxsim_fuzz_copy(const struct tdxsim_fuzz_program *p);

/* Free a program (NULL is ignored). */
void tdxsim_fuzz_free(struct tdxsim_fuzz_program *p);

/* Its size: concurrent tasks and operations (set-up and tasks). */
void tdxsim_fuzz_size(const struct tdxsim_fuzz_program *p,
		      unsigned int *tasks, unsigned int *ops);

/*
 * Give @p the schedule: @strategy with @seed (random or pct), or, for
 * @choices not NULL, the recorded choice list (tdxsim_fuzz_explore()).
 */
void tdxsim_fuzz_set_schedule(struct tdxsim_fuzz_program *p,
			      enum tdxsim_sched_strategy strategy,
			      uint64_t seed, const char *choices);

/* Add a comment line to the program's text (provenance, the failure). */
void tdxsim_fuzz_add_comment(struct tdxsim_fuzz_program *p, const char *text);

/* ---- runs ---- */

/*
 * Run @p once under its schedule and judge it. Returns 0 (and fills @out:
 * free it with tdxsim_fuzz_outcome_free()), or -EBUSY if a scheduler run is
 * in progress, -EINVAL if the program's design is bad.
 */
int tdxsim_fuzz_run(const struct tdxsim_fuzz_program *p,
		    struct tdxsim_fuzz_outcome *out);

/*
 * Runs whose tasks were unwound holding the VM's locks keep their VM (and
 * its HKID) forever; runs that freed pages the module owned taint the
 * process. A driver starts a fresh process when either grows.
 */
unsigned int tdxsim_fuzz_nr_stuck(void);
bool tdxsim_fuzz_tainted(void);

/* ---- bounded exhaustive search ---- */

struct tdxsim_fuzz_explore_opts {
	unsigned int preemptions;	/* K */
	bool sleep_sets;		/* see tdxsim_explore_config */
	unsigned int shard, nr_shards;	/* schedule-space shards */
	uint64_t max_schedules;		/* 0: no limit */
	/* Only a failure with this signature counts (NULL: any failure). */
	const char *signature;
	/* Called after every schedule (may be NULL). */
	void (*progress)(void *arg, uint64_t schedules, uint64_t failures);
	void *progress_arg;
};

struct tdxsim_fuzz_explore_result {
	/*
	 * The search as tdxsim_sched_explore() reports it: schedules, runs,
	 * failures, bound...; the first failing schedule's choice list is
	 * .failing (malloc'd), its preemptions .failing_result.preemptions.
	 */
	struct tdxsim_explore_result explore;
	struct tdxsim_fuzz_outcome outcome;	/* the failing schedule's */
};

/*
 * Run @p under every schedule with at most @o->preemptions preemptions
 * (K = 0, 1, ... in turn), stopping at the first failure (matching
 * @o->signature if set). Returns 0 and fills @r (free it with
 * tdxsim_fuzz_explore_result_free()), or a negative errno.
 */
int tdxsim_fuzz_explore(const struct tdxsim_fuzz_program *p,
			const struct tdxsim_fuzz_explore_opts *o,
			struct tdxsim_fuzz_explore_result *r);
void tdxsim_fuzz_explore_result_free(struct tdxsim_fuzz_explore_result *r);

/* ---- shrinking ---- */

/*
 * Run @p and fill @out, as tdxsim_fuzz_run() does; a driver may run it
 * elsewhere (another process). Returns 0 or a negative errno.
 */
typedef int (*tdxsim_fuzz_runner)(void *arg,
				  const struct tdxsim_fuzz_program *p,
				  struct tdxsim_fuzz_outcome *out);

struct tdxsim_fuzz_shrink_opts {
	/* Candidate runs allowed (default 2000). */
	unsigned int max_runs;
	/*
	 * Schedules tried per candidate besides its own: other seeds, every
	 * second one with PCT (0: only its own).
	 */
	unsigned int reseeds;
};

struct tdxsim_fuzz_shrink_result {
	struct tdxsim_fuzz_program *program;	/* the smallest failing one */
	struct tdxsim_fuzz_outcome outcome;	/* its outcome */
	unsigned int runs;			/* candidate runs made */
};

/*
 * Shrink the failing program @p (whose failure has signature @signature)
 * to a smaller one failing the same way: fewer tasks, fewer operations,
 * smaller ranges, fewer vCPUs and memslots, fewer launch steps; @run runs
 * each candidate (NULL: tdxsim_fuzz_run()). Returns 0 and fills @r, or
 * -ESRCH if @p does not fail that way.
 */
int tdxsim_fuzz_shrink(const struct tdxsim_fuzz_program *p,
		       const char *signature,
		       const struct tdxsim_fuzz_shrink_opts *o,
		       tdxsim_fuzz_runner run, void *arg,
		       struct tdxsim_fuzz_shrink_result *r);
void tdxsim_fuzz_shrink_result_free(struct tdxsim_fuzz_shrink_result *r);

#ifdef __cplusplus
}
#endif

#endif /* TDXSIM_FUZZ_H */
