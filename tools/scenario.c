// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tdxsim scenario NAME [--kernel P] [--design before|upstream|K=V] [--seed S]
 * tdxsim explore NAME [--kernel P] --design D --schedules N [--strategy ...]
 *
 * The seed patches' bugs on demand (src/vmm/scenario.h): one run with a
 * seed, or many seeds to find the failing interleavings.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands.h"
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

static void json_str_or_null(const char *s)
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
		json_str_or_null(s[i].patch_title);
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
		json_str_or_null(s[i].needs);
		printf(", \"default_seed\": %llu}",
		       (unsigned long long)s[i].default_seed);
	}
	printf("\n]\n");
}

static const char *strategy_name(enum tdxsim_sched_strategy s)
{
	return s == TDXSIM_STRATEGY_PCT ? "pct" : "random";
}

static const char *design_label(const char *kernel, const char *d)
{
	return d ? d : kernel ? "" : "upstream";
}

/* The command that replays @seed, into @buf. */
static const char *replay_cmd(char *buf, size_t len,
			      const struct tdxsim_scenario *s,
			      const char *kernel, const char *design, u64 seed,
			      enum tdxsim_sched_strategy strat)
{
	snprintf(buf, len, "tdxsim scenario %s%s%s%s%s --seed %llu%s", s->name,
		 kernel ? " --kernel " : "", kernel ? kernel : "",
		 design || !kernel ? " --design " : "",
		 design_label(kernel, design), (unsigned long long)seed,
		 strat == TDXSIM_STRATEGY_PCT ? " --strategy pct" : "");
	return buf;
}

static void print_replay(const struct tdxsim_scenario *s, const char *kernel,
			 const char *design, u64 seed,
			 enum tdxsim_sched_strategy strat)
{
	char buf[512];

	printf("replay: %s\n",
	       replay_cmd(buf, sizeof(buf), s, kernel, design, seed, strat));
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
	json_str_or_null(o->design);
	printf(",\n  \"design\": ");
	json_string(stdout, design);
	printf(",\n  \"seed\": %llu, \"strategy\": \"%s\", \"verdict\": \"%s\", \"steps\": %llu, \"switches\": %llu, \"seconds\": %.6f,\n",
	       (unsigned long long)res->seed, strategy_name(o->strategy),
	       tdxsim_verdict_name(res->verdict),
	       (unsigned long long)res->steps,
	       (unsigned long long)res->switches, res->seconds);
	printf("  \"failed\": %s, \"error\": %d, \"clean\": %s,\n  \"summary\": ",
	       res->failed ? "true" : "false", res->error,
	       res->failed || res->error ? "false" : "true");
	json_string(stdout, res->summary);
	printf(",\n  \"replay\": ");
	if (res->failed || res->error)
		json_string(stdout, replay_cmd(buf, sizeof(buf), s, o->kernel,
					       o->design, res->seed,
					       o->strategy));
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
static int resolve(const char *cmd, int argc, char **argv, int optind_,
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
	char design[1024];
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
		case 'h':
			fputs(cmd->help, stdout);
			return 0;
		case ':':
			return usage_error(cmd->name, "option '%s' needs a value",
					   argv[optind - 1]);
		default:
			return usage_error(cmd->name, "unknown option '%s'",
					   argv[optind - 1]);
		}
	}
	if (list) {
		if (json)
			list_scenarios_json();
		else
			list_scenarios();
		return 0;
	}
	r = resolve(cmd->name, argc, argv, optind, o.kernel, o.design, &s);
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
		       strategy_name(o.strategy),
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
		print_replay(s, o.kernel, o.design, res.seed, o.strategy);
	r = (res.failed || res.error) ? 1 : 0;
	tdxsim_scenario_result_free(&res);
	if (trace && trace_opt_stop(cmd->name, trace))
		r = 1;
	if (graph && lockdep_graph_opt_write(cmd->name, graph))
		r = 1;
	return r;
}

/* Keep stdin/out/err only across the re-exec (tdxsim's descriptors go). */
static void cloexec_all(void)
{
	struct rlimit rl;
	int fd, max = 1024;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < 65536)
		max = (int)rl.rlim_cur;
	for (fd = 3; fd < max; fd++) {
		int fl = fcntl(fd, F_GETFD);

		if (fl >= 0)
			fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
	}
}

/*
 * explore --trace/--lockdep-graph: run seed @seed (the first failing one)
 * again as tdxsim scenario would, in a fresh process (the explored runs'
 * stuck VMs stay behind in this one), writing the trace and the lock graph
 * of that run. Returns 0 or 1.
 */
static int replay_traced(const struct tdxsim_scenario *s, const char *kernel,
			 const char *design, enum tdxsim_sched_strategy strat,
			 u64 seed, const char *trace, const char *graph)
{
	char seedtext[32];
	char *args[20];
	int k = 0, st;
	pid_t pid;

	snprintf(seedtext, sizeof(seedtext), "%llu", (unsigned long long)seed);
	args[k++] = "tdxsim";
	args[k++] = "scenario";
	args[k++] = (char *)s->name;
	if (kernel) {
		args[k++] = "--kernel";
		args[k++] = (char *)kernel;
	}
	if (design || !kernel) {
		args[k++] = "--design";
		args[k++] = (char *)design_label(kernel, design);
	}
	args[k++] = "--seed";
	args[k++] = seedtext;
	args[k++] = "--strategy";
	args[k++] = (char *)strategy_name(strat);
	if (trace) {
		args[k++] = "--trace";
		args[k++] = (char *)trace;
	}
	if (graph) {
		args[k++] = "--lockdep-graph";
		args[k++] = (char *)graph;
	}
	args[k] = NULL;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "tdxsim explore: fork: %s\n", strerror(errno));
		return 1;
	}
	if (!pid) {
		/* The scenario's report was printed above already. */
		if (!freopen("/dev/null", "w", stdout))
			_exit(1);
		cloexec_all();
		execv("/proc/self/exe", args);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) ||
	    WEXITSTATUS(st) > 1) {
		fprintf(stderr, "tdxsim explore: replaying seed %llu for --trace/--lockdep-graph failed\n",
			(unsigned long long)seed);
		return 1;
	}
	printf("seed %llu replayed:%s%s%s%s\n", (unsigned long long)seed,
	       trace ? " trace " : "", trace ? trace : "",
	       graph ? ", lock graph " : "", graph ? graph : "");
	return 0;
}

struct explore_state {
	u64 runs, failures, first_seed, first_index;
	double first_seconds, seconds;
	bool found;
};

static void bounded_progress(void *arg, uint64_t schedules, uint64_t failures)
{
	bool *quiet = arg;

	if (!*quiet && schedules % 10000 == 0)
		fprintf(stderr, "  %llu schedules, %llu failed\n",
			(unsigned long long)schedules,
			(unsigned long long)failures);
}

/*
 * --strategy bounded: every schedule with at most K preemptions, each
 * judged as a seed's run is; the verdict says how far it got.
 */
static void explore_bounded_json(const struct tdxsim_scenario *s,
				 const char *design, const char *name,
				 const char *dtext,
				 const struct tdxsim_scenario_bounded_opts *bo,
				 const struct tdxsim_scenario_bounded_result *br)
{
	const struct tdxsim_explore_result *e = &br->explore;

	printf("{\n  \"scenario\": ");
	json_string(stdout, s->name);
	printf(", \"seed_patch\": ");
	json_string(stdout, s->seed_patch);
	printf(",\n  \"kernel\": ");
	json_string(stdout, name);
	printf(", \"design_option\": ");
	json_str_or_null(design);
	printf(",\n  \"design\": ");
	json_string(stdout, dtext);
	printf(",\n  \"strategy\": \"bounded\", \"preemptions\": %u, \"shard\": %u, \"shards\": %u,\n",
	       bo->preemptions, bo->nr_shards > 1 ? bo->shard : 0,
	       bo->nr_shards > 1 ? bo->nr_shards : 1);
	printf("  \"schedules\": %llu, \"runs\": %llu, \"failures\": %llu, \"exhausted\": %s, \"bound\": %d, \"nondeterministic\": %s, \"seconds\": %.6f,\n  \"first_failure\": ",
	       (unsigned long long)e->schedules,
	       (unsigned long long)e->runs,
	       (unsigned long long)e->failures,
	       e->exhausted ? "true" : "false", e->bound,
	       e->nondeterministic ? "true" : "false", br->seconds);
	if (e->found) {
		printf("{\"preemptions\": %u, \"choices\": ",
		       e->failing_result.preemptions);
		json_string(stdout, e->failing ? e->failing : "");
		printf(", \"summary\": ");
		json_string(stdout, br->first.summary);
		printf("}");
	} else {
		printf("null");
	}
	printf("\n}\n");
}

static int explore_bounded(const struct tdxsim_scenario *s, const char *design,
			   struct tdxsim_scenario_bounded_opts *bo, bool quiet,
			   bool json)
{
	struct tdxsim_scenario_bounded_result br;
	const struct tdxsim_explore_result *e = &br.explore;
	char err[8], name[TDXSIM_KERNEL_NAME_MAX], dtext[1024];
	struct tdxsim_design d;
	int r;

	tdxsim_scenario_resolve(s, bo->kernel, design, name, sizeof(name), &d,
				err, sizeof(err));
	tdxsim_design_string(&d, dtext, sizeof(dtext));
	if (!json) {
		printf("explore %s (seed %s), kernel %s%s%s (%s), strategy bounded, at most %u preemption%s",
		       s->name, s->seed_patch, name, design ? ", design " : "",
		       design ? design : "", dtext, bo->preemptions,
		       bo->preemptions == 1 ? "" : "s");
		if (bo->nr_shards > 1)
			printf(", shard %u/%u", bo->shard, bo->nr_shards);
		printf("\n");
		fflush(stdout);
	}
	bo->progress = bounded_progress;
	bo->progress_arg = &quiet;
	r = tdxsim_scenario_explore_bounded(s, design, bo, &br);
	if (r) {
		fprintf(stderr, "tdxsim explore: %s\n", r == -EINVAL ?
			br.first.summary : strerror(-r));
		return 1;
	}
	if (json) {
		explore_bounded_json(s, design, name, dtext, bo, &br);
		r = e->failures ? 1 : 0;
		tdxsim_scenario_bounded_result_free(&br);
		return r;
	}
	if (e->found) {
		printf("first failure: schedule with %u preemption%s, choices %s\n  %s\n",
		       e->failing_result.preemptions,
		       e->failing_result.preemptions == 1 ? "" : "s",
		       e->failing && *e->failing ? e->failing : "-",
		       br.first.summary);
		if (br.first.report)
			fputs(br.first.report, stdout);
	}
	if (e->exhausted)
		printf("exhaustive to %u preemption%s: %llu schedule%s, %s%s (%.1f s)\n",
		       bo->preemptions, bo->preemptions == 1 ? "" : "s",
		       (unsigned long long)e->schedules,
		       e->schedules == 1 ? "" : "s",
		       e->failures ? "some failed" : "no failure",
		       bo->nr_shards > 1 ? " in this shard" : "", br.seconds);
	else
		printf("not exhaustive to %u preemption%s (complete to %d): %llu schedule%s%s (%.1f s)\n",
		       bo->preemptions, bo->preemptions == 1 ? "" : "s",
		       e->bound, (unsigned long long)e->schedules,
		       e->schedules == 1 ? "" : "s",
		       bo->nr_shards > 1 ? " in this shard" : "", br.seconds);
	if (e->failures)
		printf("result: %llu of %llu schedules failed\n",
		       (unsigned long long)e->failures,
		       (unsigned long long)e->schedules);
	if (e->nondeterministic)
		printf("warning: a re-run did not repeat its prefix: the search is not exhaustive\n");
	r = e->failures ? 1 : 0;
	tdxsim_scenario_bounded_result_free(&br);
	return r;
}

int cmd_explore(const struct tdxsim_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, 'K' },
		{ "design", required_argument, NULL, 'd' },
		{ "schedules", required_argument, NULL, 'n' },
		{ "strategy", required_argument, NULL, 'S' },
		{ "first-seed", required_argument, NULL, 'f' },
		{ "stop-on-failure", no_argument, NULL, 'x' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "resume", required_argument, NULL, 'R' },
		{ "preemptions", required_argument, NULL, 'P' },
		{ "max-schedules", required_argument, NULL, 'M' },
		{ "shard", required_argument, NULL, 'H' },
		{ "sleep-sets", no_argument, NULL, 'Z' },
		{ "trace", required_argument, NULL, 'T' },
		{ "lockdep-graph", required_argument, NULL, 'G' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct tdxsim_scenario_explore_opts eo = { .first_seed = 1, .schedules = 1000 };
	struct tdxsim_scenario_explore_result er;
	struct explore_state st = { 0 };
	const struct tdxsim_scenario *s;
	struct tdxsim_scenario_bounded_opts bo = { .preemptions = 2 };
	const char *design = NULL, *resume = NULL, *first_summary;
	bool bounded = false, bounded_opt = false, json = false;
	const char *trace = NULL, *graph = NULL;
	char dtext[1024], rbuf[512];
	int c, r;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":hxq", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			design = optarg;
			break;
		case 'K':
			eo.kernel = optarg;
			break;
		case 'n':
			if (parse_u64(optarg, &eo.schedules) || !eo.schedules)
				return usage_error(cmd->name,
						   "--schedules needs a number >= 1, got '%s'",
						   optarg);
			break;
		case 'f':
			if (parse_u64(optarg, &eo.first_seed) || !eo.first_seed)
				return usage_error(cmd->name,
						   "--first-seed needs a number >= 1, got '%s'",
						   optarg);
			break;
		case 'S':
			if (!strcmp(optarg, "bounded"))
				bounded = true;
			else if (parse_strategy(optarg, &eo.strategy))
				return usage_error(cmd->name,
						   "--strategy is random, pct or bounded, got '%s'",
						   optarg);
			break;
		case 'P': {
			u64 v;

			if (parse_u64(optarg, &v) || v > 64)
				return usage_error(cmd->name,
						   "--preemptions needs a number 0..64, got '%s'",
						   optarg);
			bo.preemptions = (unsigned int)v;
			bounded_opt = true;
			break;
		}
		case 'M':
			if (parse_u64(optarg, &bo.max_schedules) ||
			    !bo.max_schedules)
				return usage_error(cmd->name,
						   "--max-schedules needs a number >= 1, got '%s'",
						   optarg);
			bounded_opt = true;
			break;
		case 'H': {
			unsigned int i, n;
			char x;

			if (sscanf(optarg, "%u/%u%c", &i, &n, &x) != 2 || !n ||
			    i >= n)
				return usage_error(cmd->name,
						   "--shard is I/N with 0 <= I < N, got '%s'",
						   optarg);
			bo.shard = i;
			bo.nr_shards = n;
			bounded_opt = true;
			break;
		}
		case 'Z':
			bo.sleep_sets = true;
			bounded_opt = true;
			break;
		case 'x':
			eo.stop_on_failure = true;
			break;
		case 'q':
			eo.quiet = true;
			break;
		case 'R':
			resume = optarg;
			break;
		case 'T':
			trace = optarg;
			break;
		case 'G':
			graph = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(cmd->help, stdout);
			return 0;
		case ':':
			return usage_error(cmd->name, "option '%s' needs a value",
					   argv[optind - 1]);
		default:
			return usage_error(cmd->name, "unknown option '%s'",
					   argv[optind - 1]);
		}
	}
	/* Seeds first .. first + N - 1 must all be valid --seed values. */
	if (eo.schedules - 1 > UINT64_MAX - eo.first_seed)
		return usage_error(cmd->name,
				   "--first-seed %llu with --schedules %llu runs past the largest seed %llu",
				   (unsigned long long)eo.first_seed,
				   (unsigned long long)eo.schedules,
				   (unsigned long long)UINT64_MAX);
	if (bounded_opt && !bounded)
		return usage_error(cmd->name,
				   "--preemptions, --max-schedules, --shard and --sleep-sets need --strategy bounded");
	r = resolve(cmd->name, argc, argv, optind, eo.kernel, design, &s);
	if (r)
		return r;
	/* The traced run is a seed's: a bounded schedule has no seed. */
	if ((trace || graph) && bounded)
		return usage_error(cmd->name,
				   "--%s replays a seed: not with --strategy bounded",
				   trace ? "trace" : "lockdep-graph");
	if (trace && out_file_check(cmd->name, "trace", trace))
		return EXIT_USAGE;
	if (graph && out_file_check(cmd->name, "lockdep-graph", graph))
		return EXIT_USAGE;
	if (bounded) {
		bo.kernel = eo.kernel;
		bo.keep_going = !eo.stop_on_failure;
		return explore_bounded(s, design, &bo, eo.quiet, json);
	}
	if (resume) {
		unsigned long long a, b, f, i, fu, su;

		if (sscanf(resume, "%llu,%llu,%llu,%llu,%llu,%llu", &a, &b, &f,
			   &i, &fu, &su) != 6)
			return usage_error(cmd->name, "bad --resume state");
		st.runs = a;
		st.failures = b;
		st.first_seed = f;
		st.first_index = i;
		st.found = i != 0;
		st.first_seconds = fu / 1e6;
		st.seconds = su / 1e6;
	} else {
		char err[8], name[TDXSIM_KERNEL_NAME_MAX];
		struct tdxsim_design d;

		tdxsim_scenario_resolve(s, eo.kernel, design, name,
					sizeof(name), &d, err, sizeof(err));
		tdxsim_design_string(&d, dtext, sizeof(dtext));
		/* --json: the state's summary crosses a re-exec in the environment. */
		unsetenv("TDXSIM_EXPLORE_FIRST");
		if (!json)
			printf("explore %s (seed %s), kernel %s%s%s (%s), strategy %s, seeds %llu..%llu\n",
		       s->name, s->seed_patch, name, design ? ", design " : "",
		       design ? design : "", dtext,
		       strategy_name(eo.strategy),
		       (unsigned long long)eo.first_seed,
		       (unsigned long long)(eo.first_seed + eo.schedules - 1));
		fflush(stdout);
	}

	tdxsim_scenario_explore(s, design, &eo, &er);
	if (er.found && !st.found) {
		st.found = true;
		st.first_seed = er.first_seed;
		st.first_index = st.runs + er.first_index;
		st.first_seconds = st.seconds + er.first_seconds;
		if (json)
			setenv("TDXSIM_EXPLORE_FIRST", er.first.summary, 1);
		else
			printf("first failure: seed %llu, schedule %llu, after %.3f s\n  %s\n",
		       (unsigned long long)st.first_seed,
		       (unsigned long long)st.first_index, st.first_seconds,
		       er.first.summary);
		if (!json) {
			print_replay(s, eo.kernel, design, st.first_seed,
				     eo.strategy);
			fputs(er.first.report, stdout);
		}
		fflush(stdout);
	}
	if (er.found)
		tdxsim_scenario_result_free(&er.first);
	st.runs += er.runs;
	st.failures += er.failures;
	st.seconds += er.seconds;

	if (er.stopped && er.runs < eo.schedules &&
	    !(eo.stop_on_failure && st.found)) {
		/*
		 * The stuck runs' VMs can't be torn down and hold HKIDs: go on
		 * in a fresh process image.
		 */
		char state[160], n[32], first[32];
		char *args[24];
		int k = 0;

		snprintf(state, sizeof(state), "%llu,%llu,%llu,%llu,%llu,%llu",
			 (unsigned long long)st.runs,
			 (unsigned long long)st.failures,
			 (unsigned long long)st.first_seed,
			 (unsigned long long)(st.found ? st.first_index : 0),
			 (unsigned long long)(st.first_seconds * 1e6),
			 (unsigned long long)(st.seconds * 1e6));
		snprintf(n, sizeof(n), "%llu",
			 (unsigned long long)(eo.schedules - er.runs));
		snprintf(first, sizeof(first), "%llu",
			 (unsigned long long)(eo.first_seed + er.runs));
		args[k++] = "tdxsim";
		args[k++] = "explore";
		args[k++] = (char *)s->name;
		if (eo.kernel) {
			args[k++] = "--kernel";
			args[k++] = (char *)eo.kernel;
		}
		if (design || !eo.kernel) {
			args[k++] = "--design";
			args[k++] = (char *)design_label(eo.kernel, design);
		}
		args[k++] = "--schedules";
		args[k++] = n;
		args[k++] = "--first-seed";
		args[k++] = first;
		args[k++] = "--strategy";
		args[k++] = (char *)strategy_name(eo.strategy);
		args[k++] = "--resume";
		args[k++] = state;
		if (eo.quiet)
			args[k++] = "--quiet";
		if (trace) {
			args[k++] = "--trace";
			args[k++] = (char *)trace;
		}
		if (graph) {
			args[k++] = "--lockdep-graph";
			args[k++] = (char *)graph;
		}
		if (json)
			args[k++] = "--json";
		args[k] = NULL;
		fflush(stdout);
		fflush(stderr);
		cloexec_all();
		execv("/proc/self/exe", args);
		fprintf(stderr, "tdxsim explore: re-exec failed: %s\n",
			strerror(errno));
		return 1;
	}

	if (json) {
		char err[8], name[TDXSIM_KERNEL_NAME_MAX];
		struct tdxsim_design d;

		tdxsim_scenario_resolve(s, eo.kernel, design, name,
					sizeof(name), &d, err, sizeof(err));
		tdxsim_design_string(&d, dtext, sizeof(dtext));
		printf("{\n  \"scenario\": ");
		json_string(stdout, s->name);
		printf(", \"seed_patch\": ");
		json_string(stdout, s->seed_patch);
		printf(",\n  \"kernel\": ");
		json_string(stdout, name);
		printf(", \"design_option\": ");
		json_str_or_null(design);
		printf(",\n  \"design\": ");
		json_string(stdout, dtext);
		printf(",\n  \"strategy\": \"%s\", \"first_seed\": %llu, \"schedules\": %llu,\n",
		       strategy_name(eo.strategy),
		       (unsigned long long)(eo.first_seed + er.runs - st.runs),
		       (unsigned long long)st.runs);
		printf("  \"failures\": %llu, \"seconds\": %.6f, \"ms_per_schedule\": %.6f,\n  \"first_failure\": ",
		       (unsigned long long)st.failures, st.seconds,
		       st.runs ? st.seconds * 1e3 / st.runs : 0.0);
		if (st.found) {
			first_summary = getenv("TDXSIM_EXPLORE_FIRST");
			printf("{\"seed\": %llu, \"schedule\": %llu, \"seconds\": %.6f, \"summary\": ",
			       (unsigned long long)st.first_seed,
			       (unsigned long long)st.first_index,
			       st.first_seconds);
			json_string(stdout, first_summary ? first_summary : "");
			printf(", \"replay\": ");
			json_string(stdout, replay_cmd(rbuf, sizeof(rbuf), s,
						       eo.kernel, design,
						       st.first_seed,
						       eo.strategy));
			printf("}");
		} else {
			printf("null");
		}
		printf("\n}\n");
		return st.failures ? 1 : 0;
	}
	printf("result: %llu of %llu schedules failed, %.2f s (%.2f ms per schedule)\n",
	       (unsigned long long)st.failures, (unsigned long long)st.runs,
	       st.seconds, st.runs ? st.seconds * 1e3 / st.runs : 0.0);
	if (st.found)
		printf("first failing seed: %llu (schedule %llu, %.3f s)\n",
		       (unsigned long long)st.first_seed,
		       (unsigned long long)st.first_index, st.first_seconds);
	else
		printf("no failure in %llu schedules\n",
		       (unsigned long long)st.runs);
	r = st.failures ? 1 : 0;
	if ((trace || graph) &&
	    replay_traced(s, eo.kernel, design, eo.strategy,
			  st.found ? st.first_seed : eo.first_seed, trace,
			  graph))
		r = 1;
	return r;
}
