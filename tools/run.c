// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tdxsim run and tdxsim measure: launch a TD through the VMM and report
 * (run_opts.c parses the options, run_launch.c launches, run_report.c
 * gathers and prints the report); tdxsim run --compare launches once per
 * value of a design switch or kernel and prints one table.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run.h"
#include "tdxsim/report.h"
#include "tdxsim/tdx.h"

/* --- tdxsim run --compare ---------------------------------------------- */

struct compare_row {
	const char *name;	/* NULL: the name of SEAMCALL @leaf */
	const char *json;
	int leaf;
};

static const struct compare_row compare_rows[] = {
	{ "KVM_RUN exits to the VMM", "kvm_run_exits" },
	{ "TD exits: EPT violations", "ept_violations" },
	{ NULL, "page_aug", TDH_MEM_PAGE_AUG },
	{ NULL, "page_demote", TDH_MEM_PAGE_DEMOTE },
	{ NULL, "sept_add", TDH_MEM_SEPT_ADD },
	{ "SEAMCALLs (all leaves)", "seamcalls" },
	{ "guest accepts at 4K", "accepts_4k" },
	{ "guest accepts at 2M", "accepts_2m" },
	{ "guest 2M->4K fallbacks", "fallbacks" },
	{ "modelled hardware time (ms)", "modelled_hw_ms" },
	{ "wall time (ms)", "wall_ms" },
};

/* The value of compare_rows[@row] (same order) for one launch. */
static double compare_value(const struct run_report *rep, unsigned int row)
{
	const struct tdxsim_vmm_result *r = rep->res;

	switch (row) {
	case 0:
		return rep->kvm_runs;
	case 1:
		return r->td.exits[EXIT_REASON_EPT_VIOLATION];
	case 2:
	case 3:
	case 4:
		return r->td.seamcalls[compare_rows[row].leaf];
	case 5:
		return rep->seamcalls;
	case 6:
		return r->guest.accepts_4k;
	case 7:
		return r->guest.accepts_2m;
	case 8:
		return r->guest.fallbacks;
	case 9:
		return r->td.cost_ns / 1e6;
	default:
		return rep->wall_ns / 1e6;
	}
}

static void compare_cell(double v, bool frac)
{
	if (frac)
		printf(" %16.3f", v);
	else
		printf(" %16.0f", v);
}

static void compare_text(struct run_opts *o, struct run_ctx *ctx,
			 const struct run_report *rep, unsigned int n)
{
	char head[64];
	unsigned int row, i;

	printf("tdxsim run --compare %s: firmware %s, %llu MiB, %u vCPU%s, workload %s, %s mode\n",
	       o->compare_key,
	       o->firmware_path ? o->firmware_path : "(built-in)",
	       (unsigned long long)(o->vmm.memory >> 20), ctx[0].res.nr_vcpus,
	       ctx[0].res.nr_vcpus > 1 ? "s" : "",
	       o->vmm.program ? o->vmm.program_name : o->vmm.workload,
	       o->sched.mode == TDXSIM_SCHED_DETERMINISTIC ? "deterministic" :
							  "free");
	printf("\n%-30s", "");
	for (i = 0; i < n; i++) {
		snprintf(head, sizeof(head), "%s", o->compare_values[i]);
		printf(" %16s", head);
	}
	printf(" %10s\n", n == 2 ? "ratio" : "");
	printf("%-30s", o->compare_key);
	for (i = 0; i < n; i++)
		printf(" %16s", "");
	if (n == 2)
		printf(" %10s", "2nd/1st");
	printf("\n");
	for (row = 0; row < ARRAY_SIZE(compare_rows); row++) {
		double a = compare_value(&rep[0], row);
		double b = compare_value(&rep[n - 1], row);
		bool frac = row >= 9;

		printf("%-30s", compare_rows[row].name ?:
				tdxsim_seamcall_name(compare_rows[row].leaf));
		for (i = 0; i < n; i++)
			compare_cell(compare_value(&rep[i], row), frac);
		if (n == 2 && a > 0)
			printf(" %10.3f", b / a);
		printf("\n");
	}
	printf("%-30s", "result");
	for (i = 0; i < n; i++)
		printf(" %16s", ctx[i].ret == 0 ? "OK" : "FAILED");
	printf("\n");
	for (i = 0; i < n; i++)
		if (ctx[i].ret)
			printf("  %s=%s: %s\n", o->compare_key,
			       o->compare_values[i], ctx[i].res.error);
	printf("%-30s", "invariant check");
	for (i = 0; i < n; i++)
		printf(" %16s", ctx[i].res.invariant_errors == 0 ? "passed" :
				"FAILED");
	printf("\n");
}

static void compare_json(struct run_opts *o, struct run_ctx *ctx,
			 const struct run_report *rep, unsigned int n)
{
	unsigned int row, i;

	printf("{\n  \"compare\": ");
	json_string(stdout, o->compare_key);
	printf(",\n  \"values\": [");
	for (i = 0; i < n; i++) {
		printf("%s", i ? ", " : "");
		json_string(stdout, o->compare_values[i]);
	}
	printf("],\n  \"ok\": [");
	for (i = 0; i < n; i++)
		printf("%s%s", i ? ", " : "", ctx[i].ret ? "false" : "true");
	printf("],\n  \"error\": [");
	for (i = 0; i < n; i++) {
		printf("%s", i ? ", " : "");
		json_string(stdout, ctx[i].res.error);
	}
	printf("],\n  \"invariant_errors\": [");
	for (i = 0; i < n; i++)
		printf("%s%d", i ? ", " : "", ctx[i].res.invariant_errors);
	printf("]");
	for (row = 0; row < ARRAY_SIZE(compare_rows); row++) {
		printf(",\n  \"%s\": [", compare_rows[row].json);
		for (i = 0; i < n; i++)
			printf("%s%.6g", i ? ", " : "",
			       compare_value(&rep[i], row));
		printf("]");
	}
	printf("\n}\n");
}

static int do_compare(struct run_opts *o)
{
	struct run_ctx *ctx = calloc(o->nr_compare, sizeof(*ctx));
	struct run_report *rep = calloc(o->nr_compare, sizeof(*rep));
	unsigned int i, n = 0;
	int r = 0;

	if (!ctx || !rep) {
		free(ctx);
		free(rep);
		return 1;
	}
	for (i = 0; i < o->nr_compare; i++) {
		ctx[i].o = o;
		ctx[i].run = true;
		ctx[i].cfg = o->vmm;
		compare_apply(o, &ctx[i].cfg, i, NULL, 0);
		tdxsim_reset_reports();
		r = launch_once(&ctx[i]);
		n++;
		if (r) {
			fprintf(stderr, "tdxsim run: %s\n", strerror(-r));
			r = 1;
			goto out;
		}
		if (ctx[i].ret < 0) {
			fprintf(stderr, "tdxsim run: %s=%s: %s\n",
				o->compare_key, o->compare_values[i],
				ctx[i].res.error);
			r = 1;
			goto out;
		}
		if (ctx[i].ret)
			r = 1;
		run_report_gather(&ctx[i], &rep[i]);
	}
	if (o->json)
		compare_json(o, ctx, rep, n);
	else
		compare_text(o, ctx, rep, n);
out:
	for (i = 0; i < n; i++)
		tdxsim_vmm_result_free(&ctx[i].res);
	free(rep);
	free(ctx);
	return r;
}

static int do_run(const struct tdxsim_cmd *cmd, int argc, char **argv,
		  bool run)
{
	struct run_opts o = { 0 };
	struct run_ctx ctx = { 0 };
	struct run_report rep;
	int r;

	r = parse_run_opts(cmd, argc, argv, &o, run);
	if (r)
		goto out;
	if (o.nr_compare) {
		r = do_compare(&o);
		goto out;
	}
	ctx.o = &o;
	ctx.run = run;
	ctx.cfg = o.vmm;
	if (!run)
		ctx.cfg.quiet = true;
	r = launch_once(&ctx);
	if (r) {
		fprintf(stderr, "tdxsim %s: %s\n", cmd->name, strerror(-r));
		r = 1;
		goto free_res;
	}
	/* The launch itself failed: the error alone, no report. */
	if (ctx.ret < 0 || !ctx.res.mrtd_valid) {
		if (ctx.sr.verdict == TDXSIM_VERDICT_OK)
			fprintf(stderr, "tdxsim %s: %s\n", cmd->name,
				ctx.res.error[0] ? ctx.res.error :
						   "no MRTD");
		r = 1;
		goto free_res;
	}

	if (!run) {
		if (o.json) {
			printf("{ \"mrtd\": \"");
			print_hex(stdout, ctx.res.mrtd, 48);
			printf("\", \"measure_order\": \"%s\", \"page_adds\": %llu, \"mr_extends\": %llu, \"sections\": ",
			       o.vmm.measure_order == TDXSIM_VMM_MEASURE_TWO_PASS ?
				       "two-pass" : "single-pass",
			       (unsigned long long)ctx.res.page_adds,
			       (unsigned long long)ctx.res.mr_extends);
			info_json_sections(&ctx.res.fw);
			printf(" }\n");
		} else {
			print_hex(stdout, ctx.res.mrtd, 48);
			printf("\n");
		}
		r = 0;
		goto free_res;
	}

	run_report_gather(&ctx, &rep);
	if (o.json)
		run_report_json(&rep);
	else
		run_report_text(&rep);
	r = ctx.ret == 0 ? 0 : 1;
free_res:
	tdxsim_vmm_result_free(&ctx.res);
out:
	if (o.tracing && trace_opt_stop(cmd->name, o.trace))
		r = 1;
	if (o.lockdep_graph &&
	    lockdep_graph_opt_write(cmd->name, o.lockdep_graph))
		r = 1;
	tdxsim_tdvf_unmap_file(o.fw, o.fw_size);
	free(o.program);
	free(o.compare_text);
	/*
	 * A deterministic run the scheduler ended (deadlock, hang, livelock)
	 * unwound its tasks mid-way: what they held cannot be released, so
	 * leave without the exit-time leak check.
	 */
	if (run_aborted()) {
		fflush(NULL);
		_exit(r);
	}
	return r;
}

int cmd_run(const struct tdxsim_cmd *cmd, int argc, char **argv)
{
	return do_run(cmd, argc, argv, true);
}

int cmd_measure(const struct tdxsim_cmd *cmd, int argc, char **argv)
{
	return do_run(cmd, argc, argv, false);
}
