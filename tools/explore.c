// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tdxsim explore NAME [--kernel P] --design D --schedules N [--strategy ...]
 * tdxsim explore NAME --preemptions K [--shard I/N] [--max-schedules N]
 *
 * The search for a scenario's failing interleavings: many seeds of the
 * random or PCT strategy (resumable, in batches of fresh processes when
 * stuck VMs pile up), or every schedule up to K preemptions (bounded,
 * sharded). The first failure is printed with its replay command, and
 * --trace/--lockdep-graph replay it once more in a fresh process to write
 * its trace and lock graph.
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
#include "scenario_cli.h"
#include "tdxsim/scenario.h"
#include "tdxsim/vmm.h"
#include "ulib/compiler.h"

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
		args[k++] = (char *)cli_design_label(kernel, design);
	}
	args[k++] = "--seed";
	args[k++] = seedtext;
	args[k++] = "--strategy";
	args[k++] = (char *)cli_strategy_name(strat);
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

/* The fields every JSON result of explore starts with. */
static void explore_json_head(const struct tdxsim_scenario *s,
			      const char *design, const char *name,
			      const char *dtext)
{
	printf("{\n  \"scenario\": ");
	json_string(stdout, s->name);
	printf(", \"seed_patch\": ");
	json_string(stdout, s->seed_patch);
	printf(",\n  \"kernel\": ");
	json_string(stdout, name);
	printf(", \"design_option\": ");
	cli_json_str_or_null(design);
	printf(",\n  \"design\": ");
	json_string(stdout, dtext);
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

	explore_json_head(s, design, name, dtext);
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
	char err[8], name[TDXSIM_KERNEL_NAME_MAX], dtext[TDXSIM_DESIGN_STRING_MAX];
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
	char dtext[TDXSIM_DESIGN_STRING_MAX], rbuf[512];
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
		default:
			return getopt_common(cmd, c, argv);
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
	r = cli_scenario_resolve(cmd->name, argc, argv, optind, eo.kernel,
				 design, &s);
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
		       cli_strategy_name(eo.strategy),
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
			cli_print_replay(s, eo.kernel, design, st.first_seed,
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
			args[k++] = (char *)cli_design_label(eo.kernel, design);
		}
		args[k++] = "--schedules";
		args[k++] = n;
		args[k++] = "--first-seed";
		args[k++] = first;
		args[k++] = "--strategy";
		args[k++] = (char *)cli_strategy_name(eo.strategy);
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
		explore_json_head(s, design, name, dtext);
		printf(",\n  \"strategy\": \"%s\", \"first_seed\": %llu, \"schedules\": %llu,\n",
		       cli_strategy_name(eo.strategy),
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
			json_string(stdout,
				    cli_replay_cmd(rbuf, sizeof(rbuf), s,
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
