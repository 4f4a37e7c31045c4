// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tdxsim scenario NAME [--kernel P] [--design before|upstream|K=V] [--seed S]
 *
 * The seed patches' bugs on demand (include/tdxsim/scenario.h): one run
 * with a seed, and the scenario list. The search over many seeds or every
 * schedule (tdxsim explore) is in explore.c; the helpers both commands
 * use are declared in scenario_cli.h.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "scenario_cli.h"
#include "tdxsim/vmm.h"
#include "tdxsim/scenario.h"
#include "tdxsim/tdx.h"
#include "ulib/compiler.h"

static void list_scenarios(void)
{
	const struct tdxsim_scenario *s;
	size_t i, n;

	s = tdxsim_scenario_list(&n);
	for (i = 0; i < n; i++) {
		const char *const *also;

		printf("%-22s seed %s: %s\n", s[i].name, s[i].seed_patch,
		       s[i].summary);
		printf("%-22s before %s; upstream %s", "", s[i].before,
		       s[i].upstream);
		for (also = s[i].upstream_also; also && *also; also++)
			printf(", %s", *also);
		if (s[i].needs)
			printf("; needs %s", s[i].needs);
		printf("\n");
	}
}

void cli_json_str_or_null(const char *s)
{
	if (s)
		json_string(stdout, s);
	else
		fputs("null", stdout);
}

static void list_scenarios_json(void)
{
	const struct tdxsim_scenario *s;
	size_t i, n;

	s = tdxsim_scenario_list(&n);
	printf("[");
	for (i = 0; i < n; i++) {
		const char *const *also;

		printf("%s\n  {\"name\": ", i ? "," : "");
		json_string(stdout, s[i].name);
		printf(", \"seed_patch\": ");
		json_string(stdout, s[i].seed_patch);
		printf(", \"patch_title\": ");
		cli_json_str_or_null(s[i].patch_title);
		printf(", \"summary\": ");
		json_string(stdout, s[i].summary);
		printf(", \"before\": ");
		json_string(stdout, s[i].before);
		printf(", \"upstream\": ");
		json_string(stdout, s[i].upstream);
		printf(", \"upstream_also\": [");
		for (also = s[i].upstream_also; also && *also; also++) {
			printf("%s", also != s[i].upstream_also ? ", " : "");
			json_string(stdout, *also);
		}
		printf("], \"needs\": ");
		cli_json_str_or_null(s[i].needs);
		printf(", \"default_seed\": %llu}",
		       (unsigned long long)s[i].default_seed);
	}
	printf("\n]\n");
}

const char *cli_strategy_name(enum tdxsim_sched_strategy s)
{
	return s == TDXSIM_STRATEGY_PCT ? "pct" : "random";
}

const char *cli_design_label(const char *kernel, const char *d)
{
	return d ? d : kernel ? "" : "upstream";
}

/* The command that replays @seed, into @buf. */
const char *cli_replay_cmd(char *buf, size_t len,
			   const struct tdxsim_scenario *s,
			   const char *kernel, const char *design, u64 seed,
			   enum tdxsim_sched_strategy strat)
{
	snprintf(buf, len, "tdxsim scenario %s%s%s%s%s --seed %llu%s", s->name,
		 kernel ? " --kernel " : "", kernel ? kernel : "",
		 design || !kernel ? " --design " : "",
		 cli_design_label(kernel, design), (unsigned long long)seed,
		 strat == TDXSIM_STRATEGY_PCT ? " --strategy pct" : "");
	return buf;
}

void cli_print_replay(const struct tdxsim_scenario *s, const char *kernel,
		      const char *design, u64 seed,
		      enum tdxsim_sched_strategy strat)
{
	char buf[512];

	printf("replay: %s\n",
	       cli_replay_cmd(buf, sizeof(buf), s, kernel, design, seed,
			      strat));
}

static void seamcall_failure_json(const struct tdxsim_seamcall_failure *f)
{
	printf("{\"leaf\": \"%s\", \"status\": \"0x%016llx\", \"status_name\": \"%s\", \"function\": ",
	       tdxsim_seamcall_name(f->leaf), (unsigned long long)f->status,
	       tdxsim_tdx_status_name(f->status));
	json_string(stdout, f->func);
	printf("}");
}

/* One scenario run as a JSON object (tdxsim scenario --json). */
static void scenario_json(const struct tdxsim_scenario *s,
			  const struct tdxsim_scenario_opts *o,
			  const struct tdxsim_scenario_result *res,
			  const char *design)
{
	const struct tdxsim_vm_failure *f = &res->failure;
	char buf[512];
	unsigned int i;

	printf("{\n  \"scenario\": ");
	json_string(stdout, s->name);
	printf(", \"seed_patch\": ");
	json_string(stdout, s->seed_patch);
	printf(",\n  \"kernel\": ");
	json_string(stdout, res->kernel);
	printf(", \"design_option\": ");
	cli_json_str_or_null(o->design);
	printf(",\n  \"design\": ");
	json_string(stdout, design);
	printf(",\n  \"seed\": %llu, \"strategy\": \"%s\", \"verdict\": \"%s\", \"steps\": %llu, \"switches\": %llu, \"seconds\": %.6f,\n",
	       (unsigned long long)res->seed, cli_strategy_name(o->strategy),
	       tdxsim_verdict_name(res->verdict),
	       (unsigned long long)res->steps,
	       (unsigned long long)res->switches, res->seconds);
	printf("  \"failed\": %s, \"error\": %d, \"clean\": %s,\n  \"summary\": ",
	       res->failed ? "true" : "false", res->error,
	       res->failed || res->error ? "false" : "true");
	json_string(stdout, res->summary);
	printf(",\n  \"replay\": ");
	if (res->failed || res->error)
		json_string(stdout, cli_replay_cmd(buf, sizeof(buf), s,
						   o->kernel, o->design,
						   res->seed, o->strategy));
	else
		printf("null");
	printf(",\n  \"evidence\": {\"stuck\": %s, \"tainted\": %s, \"lockdep_recursive\": %u, \"lockdep_circular\": %u, \"lockdep_other\": %u, \"vm_bugged\": %s,\n",
	       res->stuck ? "true" : "false", res->tainted ? "true" : "false",
	       res->lockdep_recursive, res->lockdep_circular,
	       res->lockdep_other, res->vm_bugged ? "true" : "false");
	printf("    \"seamcall_failures\": %llu, \"first_seamcall_failure\": ",
	       (unsigned long long)f->seamcall_failures);
	if (f->seamcall_failures)
		seamcall_failure_json(&f->first_seamcall);
	else
		printf("null");
	printf(", \"kvm_bug_on\": ");
	if (f->bugged) {
		printf("{\"file\": ");
		json_string(stdout, f->bug_file);
		printf(", \"line\": %u, \"function\": ", f->bug_line);
		json_string(stdout, f->bug_func);
		printf("}");
	} else {
		printf("null");
	}
	printf(", \"warnings\": %llu,\n    \"later_errno\": %d, \"task_errnos\": [",
	       (unsigned long long)f->warnings, res->later_errno);
	for (i = 0; i < ARRAY_SIZE(res->errnos); i++)
		printf("%s%d", i ? ", " : "", res->errnos[i]);
	printf("], \"livelock_exit\": %s, \"guest_finished\": %s, \"guest_data_failures\": %llu,\n",
	       res->livelock_exit ? "true" : "false",
	       res->guest_finished ? "true" : "false",
	       (unsigned long long)res->guest_data_failures);
	printf("    \"splits\": %llu, \"demotes\": %llu, \"inhibited\": %s, \"busy\": %llu, \"fault_retries\": %llu, \"no_vcpus_retries\": %llu, \"accept_exits\": %llu, \"pamt_violations\": %llu, \"folio_splits\": %llu},\n",
	       (unsigned long long)res->splits,
	       (unsigned long long)res->demotes,
	       res->inhibited ? "true" : "false",
	       (unsigned long long)res->busy,
	       (unsigned long long)res->fault_retries,
	       (unsigned long long)res->no_vcpus_retries,
	       (unsigned long long)res->accept_exits,
	       (unsigned long long)res->pamt_violations,
	       (unsigned long long)res->folio_splits);
	printf("  \"mrtd\": ");
	if (res->mrtd_valid) {
		printf("\"");
		for (i = 0; i < sizeof(res->mrtd); i++)
			printf("%02x", res->mrtd[i]);
		printf("\"");
	} else {
		printf("null");
	}
	printf(",\n  \"extra\": ");
	if (res->extra_ran) {
		printf("{\"vm_bugged\": %s, \"pamt_violations\": %llu, \"pages_kept\": %llu, \"summary\": ",
		       res->extra_vm_bugged ? "true" : "false",
		       (unsigned long long)res->extra_pamt_violations,
		       (unsigned long long)res->extra_pages_kept);
		json_string(stdout, res->extra_summary);
		printf("}");
	} else {
		printf("null");
	}
	printf(",\n  \"report\": ");
	json_string(stdout, res->report ? res->report : "");
	printf("\n}\n");
}

/* Check the scenario name, the kernel and the design; prints usage errors. */
int cli_scenario_resolve(const char *cmd, int argc, char **argv, int optind_,
			 const char *kernel, const char *design,
			 const struct tdxsim_scenario **out)
{
	char err[256], name[TDXSIM_KERNEL_NAME_MAX];
	struct tdxsim_design d;

	if (argc - optind_ != 1)
		return usage_error(cmd, argc - optind_ ?
				   "takes one scenario NAME" :
				   "needs a scenario NAME (see --list)");
	*out = tdxsim_scenario_find(argv[optind_]);
	if (!*out)
		return usage_error(cmd, "unknown scenario '%s' (see --list)",
				   argv[optind_]);
	if (tdxsim_scenario_resolve(*out, kernel, design, name, sizeof(name),
				    &d, err, sizeof(err)))
		return usage_error(cmd, "%s", err);
	return 0;
}

int cmd_scenario(const struct tdxsim_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "list", no_argument, NULL, 'l' },
		{ "kernel", required_argument, NULL, 'K' },
		{ "design", required_argument, NULL, 'd' },
		{ "seed", required_argument, NULL, 's' },
		{ "strategy", required_argument, NULL, 'S' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "trace", required_argument, NULL, 'T' },
		{ "lockdep-graph", required_argument, NULL, 'G' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *trace = NULL, *graph = NULL;
	const struct tdxsim_scenario *s;
	struct tdxsim_scenario_opts o;
	struct tdxsim_scenario_result res;
	char design[TDXSIM_DESIGN_STRING_MAX];
	bool verbose = false, json = false, list = false;
	int c, r;

	tdxsim_scenario_opts_init(&o);
	o.extra = true;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":hv", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			list = true;
			break;
		case 'j':
			json = true;
			break;
		case 'd':
			o.design = optarg;
			break;
		case 'K':
			o.kernel = optarg;
			break;
		case 's':
			if (parse_u64(optarg, &o.seed) || !o.seed)
				return usage_error(cmd->name,
						   "--seed needs a number >= 1, got '%s'",
						   optarg);
			break;
		case 'S':
			if (parse_strategy(optarg, &o.strategy))
				return usage_error(cmd->name,
						   "--strategy is random or pct, got '%s'",
						   optarg);
			break;
		case 'v':
			verbose = true;
			break;
		case 'T':
			trace = optarg;
			break;
		case 'G':
			graph = optarg;
			break;
		default:
			return getopt_common(cmd, c, argv);
		}
	}
	if (list) {
		if (json)
			list_scenarios_json();
		else
			list_scenarios();
		return 0;
	}
	r = cli_scenario_resolve(cmd->name, argc, argv, optind, o.kernel,
				 o.design, &s);
	if (r)
		return r;
	if (graph && out_file_check(cmd->name, "lockdep-graph", graph))
		return EXIT_USAGE;
	if (trace && trace_opt_start(cmd->name, trace))
		return EXIT_USAGE;

	tdxsim_scenario_run(s, &o, &res);
	tdxsim_design_string(&res.design, design, sizeof(design));
	if (json) {
		scenario_json(s, &o, &res, design);
		r = (res.failed || res.error) ? 1 : 0;
		tdxsim_scenario_result_free(&res);
		return r;
	}
	if (res.failed || res.error || verbose)
		fputs(res.report, stdout);
	else
		printf("scenario %s (seed %s), kernel %s%s%s (%s)\nseed %llu, strategy %s: %s, %llu schedule points, %.1f ms\n",
		       s->name, s->seed_patch, res.kernel,
		       o.design ? ", design " : "",
		       o.design ? o.design : "", design,
		       (unsigned long long)res.seed,
		       cli_strategy_name(o.strategy),
		       tdxsim_verdict_name(res.verdict),
		       (unsigned long long)res.steps, res.seconds * 1e3);
	if (res.error)
		printf("ERROR: %s\n", res.summary);
	else
		printf("%s: %s\n", res.failed ? "FAILURE OBSERVED" : "CLEAN",
		       res.summary);
	if (res.extra_ran) {
		printf("\nthe cost seed %s accepts (an injected S-EPT zap failure):\n",
		       s->seed_patch);
		if (verbose && res.extra_report)
			fputs(res.extra_report, stdout);
		printf("  %s\n", res.extra_summary);
	}
	if (res.failed || res.error)
		cli_print_replay(s, o.kernel, o.design, res.seed, o.strategy);
	r = (res.failed || res.error) ? 1 : 0;
	tdxsim_scenario_result_free(&res);
	if (trace && trace_opt_stop(cmd->name, trace))
		r = 1;
	if (graph && lockdep_graph_opt_write(cmd->name, graph))
		r = 1;
	return r;
}
