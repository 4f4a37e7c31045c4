/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tdxsim run and tdxsim measure, in four parts: the options (run_opts.c),
 * one launch with its progress line (run_launch.c), the report (run_report.c:
 * one function gathers the data of a launch into struct run_report, and a
 * text and a JSON printer print that struct) and the commands with
 * --compare (run.c).
 */
#ifndef TDXSIM_TOOLS_RUN_H
#define TDXSIM_TOOLS_RUN_H

#include <stdbool.h>

#include "commands.h"
#include "tdxsim/report.h"
#include "tdxsim/sched.h"
#include "tdxsim/vmm.h"
#include "ulib/compiler.h"

#define MAX_COMPARE	4

struct run_opts {
	struct tdxsim_vmm_config vmm;
	struct tdxsim_sched_config sched;
	const char *firmware_path;
	bool json;
	bool no_progress;
	u8 *fw;			/* the mapped image (tdxsim_tdvf_map_file) */
	size_t fw_size;
	char *program;
	/* --kernel P (NULL: the default) and the --design texts on top. */
	const char *kernel;
	const char *designs[16];
	unsigned int nr_designs;
	/*
	 * --compare KEY=V1,V2,...: one launch per value of the switch, or
	 * per kernel profile (KEY "kernel").
	 */
	char compare_key[32];
	char *compare_values[MAX_COMPARE];
	unsigned int nr_compare;
	char *compare_text;
	/* --trace FILE: the trace being recorded (started by the parser). */
	const char *trace;
	bool tracing;
	/* --lockdep-graph FILE: the lock graph, written at the end. */
	const char *lockdep_graph;
};

/*
 * Parse the options shared by run and measure (@is_run: run's own are
 * allowed) into @o. Returns 0 or an exit status (usage errors print).
 */
int parse_run_opts(const struct tdxsim_cmd *cmd, int argc, char **argv,
		   struct run_opts *o, bool is_run);
/*
 * The configuration of --compare's run @i: @cfg is the base one; a switch
 * value on top of it, or another kernel with the same --design texts.
 * Returns 0 or -EINVAL with a message in @err.
 */
int compare_apply(const struct run_opts *o, struct tdxsim_vmm_config *cfg,
		  unsigned int i, char *err, size_t errlen);

/* One launch and what it left. */
struct run_ctx {
	struct run_opts *o;
	struct tdxsim_vmm_config cfg;		/* the launch's config */
	bool run;
	struct tdxsim_vmm_result res;
	int ret;
	struct tdxsim_sched_result sr;
	u64 wall_ns;
	/* The progress line (free mode on a terminal only). */
	struct tdxsim_vmm_progress progress;
	bool show_progress;
	u64 progress_stop;
	u64 t0;
};

/*
 * Launch @ctx->cfg under @ctx->o's scheduler settings (with the progress
 * line in free mode on a terminal). Returns 0 or -errno; the launch's own
 * result is in @ctx->ret and @ctx->res.
 */
int launch_once(struct run_ctx *ctx);
/* True once a run was ended by the scheduler (its tasks were unwound). */
bool run_aborted(void);

/* Everything a report of one launch prints, gathered once. */
struct run_report {
	/* The launch. */
	const char *firmware;		/* its path, or "(built-in)" */
	u64 memory;
	unsigned int nr_vcpus;
	bool program;			/* a guest program, not a workload */
	const char *guest;		/* the program's or the workload's name */
	const char *kernel;		/* the kernel profile */
	/* The switches changed from it, and every switch. */
	char kernel_changes[TDXSIM_DESIGN_STRING_MAX];
	char design[TDXSIM_DESIGN_STRING_MAX];
	bool deterministic;
	const char *strategy;		/* "random" or "pct" */
	u64 seed;
	u64 steps;			/* schedule points */
	enum tdxsim_verdict verdict;
	bool ok;
	/* What it did: the VMM's result and totals made from it. */
	const struct tdxsim_vmm_result *res;
	u64 kvm_runs;			/* KVM_RUN calls, all vCPUs */
	u64 exits[64];			/* exits to the VMM by KVM_EXIT_* */
	u64 seamcalls;			/* SEAMCALLs, all leaves */
	/*
	 * The lock validator's state ("on", "off", ...), and its and the
	 * scheduler's reports, by kind.
	 */
	const char *lockdep_state;
	unsigned int reports;
	unsigned int report_kinds[TDXSIM_NR_REPORT_KINDS];
	/* The process afterwards. */
	struct tdxsim_host_memory host;
	u64 rss_bytes;
	u64 peak_rss_bytes;
	u64 wall_ns;
};

/* Gather the report of the launch @ctx (right after it: reports count). */
void run_report_gather(const struct run_ctx *ctx, struct run_report *rep);
/* Print @rep for people, or as one JSON object. */
void run_report_text(const struct run_report *rep);
void run_report_json(const struct run_report *rep);
/* Print @n bytes of @b as hex. */
void print_hex(FILE *f, const u8 *b, size_t n);

#endif /* TDXSIM_TOOLS_RUN_H */
