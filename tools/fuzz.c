// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tdxsim fuzz: generate concurrent uAPI programs, run each under the
 * deterministic scheduler, judge it from data, shrink what fails, and
 * print the replay (include/tdxsim/fuzz.h, docs/fuzzing.md).
 *
 * The command is a supervisor: it generates programs and shrinks failures
 * itself (both are pure), and runs every program in a worker process it
 * forks, over a pipe. A run that leaves its VM stuck (a deadlock keeps the
 * VM's locks) or frees pages the module owned spoils the process for later
 * runs; a bug may crash it or spin. The worker then exits (or is killed)
 * and the supervisor starts a fresh one, so a long campaign goes on and a
 * crash is one more finding. The worker and the progress line the
 * supervisor draws while it waits for it are in fuzz_worker.c; this file
 * holds the campaign, the failure handling, the replay and the options.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "fuzz.h"
#include "tdxsim/fuzz.h"
#include "tdxsim/profiles.h"
#include "tdxsim/vmm.h"
#include "ulib/compiler.h"
#include "ulib/strbuf.h"

/* Programs per JSON batch line. */
#define FZ_BATCH		100

struct fuzz_opts O;

/* --- reporting ------------------------------------------------------------------ */

static void json_kv_str(const char *key, const char *val, bool comma)
{
	printf("\"%s\": ", key);
	json_string(stdout, val ? val : "");
	if (comma)
		printf(", ");
}

/* A short hash of a signature, for file names. */
static u32 sig_hash(const char *s)
{
	u32 h = 2166136261U;

	for (; *s; s++)
		h = (h ^ (u8)*s) * 16777619U;
	return h;
}

struct finding {
	char signature[160];
	u64 index;
	double seconds;			/* when it was found */
	unsigned int tasks0, ops0, tasks, ops, preemptions;
	char file[512];
};

static struct finding *findings;
static unsigned int nr_findings;

static bool seen_signature(const char *sig)
{
	unsigned int i;

	for (i = 0; i < nr_findings; i++)
		if (!strcmp(findings[i].signature, sig))
			return true;
	return false;
}

static void print_program_text(const struct tdxsim_fuzz_program *p)
{
	char *t = tdxsim_fuzz_format(p);

	fputs(t, stdout);
	free(t);
}

/*
 * A failure of program @p (found at @index): confirm it in a fresh
 * process, shrink it, find its schedule with the fewest preemptions, write
 * the program file and print the replay.
 */
static void handle_failure(struct tdxsim_fuzz_program *p, u64 index,
			   const struct tdxsim_fuzz_outcome *first)
{
	struct tdxsim_fuzz_shrink_result sr = { 0 };
	struct tdxsim_fuzz_outcome conf, fin;
	struct tdxsim_fuzz_program *best;
	struct finding *f;
	char *choices = NULL, comment[256];
	const char *sig = first->signature;
	bool reproduced, shrunk = false, replayed = false;
	struct wresp rs;
	FILE *fp;

	findings = xrealloc(findings, (nr_findings + 1) * sizeof(*findings));
	f = &findings[nr_findings++];
	memset(f, 0, sizeof(*f));
	snprintf(f->signature, sizeof(f->signature), "%s", sig);
	f->index = index;
	f->seconds = elapsed();
	tdxsim_fuzz_size(p, &f->tasks0, &f->ops0);

	/* A fresh process must show it too: no help from earlier runs. */
	worker_stop();
	run_remote(NULL, p, &conf);
	reproduced = conf.failed && strstr(conf.signatures, sig);
	tdxsim_fuzz_outcome_free(&conf);

	best = tdxsim_fuzz_copy(p);
	if (!O.no_shrink && reproduced && first->kind != TDXSIM_FUZZ_CRASH) {
		struct tdxsim_fuzz_shrink_opts so = { .max_runs = 2000,
						      .reseeds = 8 };

		if (!tdxsim_fuzz_shrink(p, sig, &so, run_remote, NULL, &sr)) {
			tdxsim_fuzz_free(best);
			best = sr.program;
			sr.program = NULL;
			shrunk = true;
		}
		/* The schedule with the fewest preemptions that shows it. */
		if (shrunk && !explore_remote(best, 3, 0, 0, 5000, sig, &rs,
					      &fin, &choices) &&
		    rs.explore.found) {
			tdxsim_fuzz_set_schedule(best, TDXSIM_STRATEGY_RANDOM,
						 0, choices);
			replayed = true;
			f->preemptions = rs.explore.failing_result.preemptions;
			tdxsim_fuzz_outcome_free(&fin);
			tdxsim_fuzz_shrink_result_free(&sr);
			/* And smaller again under that schedule. */
			so.reseeds = 0;
			so.max_runs = 500;
			if (!tdxsim_fuzz_shrink(best, sig, &so, run_remote,
						NULL, &sr)) {
				tdxsim_fuzz_free(best);
				best = sr.program;
				sr.program = NULL;
			}
		} else if (shrunk) {
			tdxsim_fuzz_outcome_free(&fin);
		}
		free(choices);
	}
	tdxsim_fuzz_size(best, &f->tasks, &f->ops);
	/* The final word: the program as written, in a fresh process. */
	worker_stop();
	run_remote(NULL, best, &fin);

	snprintf(comment, sizeof(comment), "failure: %s", sig);
	tdxsim_fuzz_add_comment(best, comment);
	snprintf(comment, sizeof(comment),
		 "found by: tdxsim fuzz%s%s%s%s%s%s --seed %llu (program %llu), shrunk from %u tasks and %u operations",
		 O.kernel ? " --kernel " : "", O.kernel ? O.kernel : "",
		 O.design ? " --design " : "", O.design ? O.design : "",
		 O.tds == 2 ? " --tds 2" : "",
		 O.bias == TDXSIM_FUZZ_BIAS_DPAMT ? " --bias dpamt" :
		 O.bias == TDXSIM_FUZZ_BIAS_DPAMT_EDGE ? " --bias dpamt-edge" : "",
		 (unsigned long long)O.seed, (unsigned long long)index,
		 f->tasks0, f->ops0);
	tdxsim_fuzz_add_comment(best, comment);
	snprintf(f->file, sizeof(f->file), "%s/fuzz-%08x.prog",
		 O.out_dir ? O.out_dir : ".", sig_hash(sig));
	fp = fopen(f->file, "w");
	if (fp) {
		char *t = tdxsim_fuzz_format(best);

		fputs(t, fp);
		free(t);
		fclose(fp);
	} else {
		snprintf(f->file, sizeof(f->file), "(not written: %s)",
			 strerror(errno));
	}

	progress_clear();
	if (O.json) {
		printf("{\"type\": \"failure\", \"program\": %llu, ",
		       (unsigned long long)index);
		json_kv_str("signature", sig, true);
		json_kv_str("kind", tdxsim_fuzz_kind_name(first->kind), true);
		json_kv_str("summary", first->summary, true);
		printf("\"seconds\": %.3f, \"reproduced\": %s, \"tasks\": %u, \"operations\": %u, \"shrunk_tasks\": %u, \"shrunk_operations\": %u, \"preemptions\": %u, ",
		       f->seconds, reproduced ? "true" : "false", f->tasks0,
		       f->ops0, f->tasks, f->ops, f->preemptions);
		json_kv_str("file", f->file, true);
		json_kv_str("still_fails", fin.failed &&
			    strstr(fin.signatures, sig) ? "yes" : "no", false);
		printf("}\n");
	} else {
		printf("\nFAILURE in program %llu after %.1f s: %s\n  %s\n",
		       (unsigned long long)index, f->seconds, sig,
		       first->summary);
		if (!reproduced)
			printf("  (it did not fail again in a fresh process: not shrunk)\n");
		printf("shrunk: %u task%s, %u operation%s (from %u and %u)%s\n",
		       f->tasks, f->tasks == 1 ? "" : "s", f->ops,
		       f->ops == 1 ? "" : "s", f->tasks0, f->ops0,
		       replayed ? ", the schedule with the fewest preemptions" : "");
		printf("program: %s\nreplay: tdxsim fuzz --replay %s\n",
		       f->file, f->file);
		printf("--- the program ---\n");
		print_program_text(best);
		printf("--- report (the shrunk program's run) ---\n%s\n",
		       fin.report ? fin.report : first->report);
	}
	fflush(stdout);
	tdxsim_fuzz_outcome_free(&fin);
	tdxsim_fuzz_free(best);
}

/* --- fuzzing generated programs ------------------------------------------------ */

/* An order-independent digest of the outcomes (shards merge by XOR). */
static u64 outcome_hash(u64 index, const struct tdxsim_fuzz_outcome *o)
{
	u64 h = 1469598103934665603ULL ^ (index * 0x9E3779B97F4A7C15ULL);
	const char *s;

	h = (h ^ o->steps) * 1099511628211ULL;
	h = (h ^ o->switches) * 1099511628211ULL;
	for (s = o->failed ? o->signatures : "ok"; *s; s++)
		h = (h ^ (u8)*s) * 1099511628211ULL;
	return h;
}

struct batch {
	u64 first, last, programs, failures, schedules, digest;
};

static void batch_flush(struct batch *b)
{
	if (!O.json || !b->programs)
		return;
	progress_clear();
	printf("{\"type\": \"batch\", \"shard\": %u, \"shards\": %u, \"first\": %llu, \"last\": %llu, \"programs\": %llu, \"failures\": %llu, \"schedules\": %llu, \"digest\": \"%016llx\"}\n",
	       O.shard, O.nr_shards ? O.nr_shards : 1,
	       (unsigned long long)b->first, (unsigned long long)b->last,
	       (unsigned long long)b->programs,
	       (unsigned long long)b->failures,
	       (unsigned long long)b->schedules,
	       (unsigned long long)b->digest);
	fflush(stdout);
	memset(b, 0, sizeof(*b));
}

static int fuzz_generated(void)
{
	struct tdxsim_fuzz_gen_config gc;
	struct batch b = { 0 };
	u64 i, programs = 0, failures = 0, schedules = 0, digest = 0;
	u64 pamt_adds = 0, pamt_removes = 0;
	u64 nr = O.nr_shards ? O.nr_shards : 1;
	bool stop = false;

	tdxsim_fuzz_gen_config_init(&gc);
	gc.design = O.design_text[0] ? O.design_text : NULL;
	gc.kernel = O.kernel;
	gc.strategy = O.strategy;
	if (O.max_tasks)
		gc.max_tasks = O.max_tasks;
	gc.tds = O.tds;
	gc.bias = O.bias;
	P.what = O.bounded ? "schedules" : "programs";
	P.total = O.bounded ? 0 : (O.programs ? (O.programs + nr - 1 - O.shard) / nr : 0);

	for (i = O.shard; !stop; i += nr) {
		struct tdxsim_fuzz_program *p;
		struct tdxsim_fuzz_outcome out;
		struct wresp rs;

		if (O.programs && i >= O.programs)
			break;
		if (O.seconds && elapsed() >= (double)O.seconds)
			break;
		if (tdxsim_fuzz_generate(&gc, O.seed, i, &p)) {
			fprintf(stderr, "tdxsim fuzz: cannot generate programs with these options\n");
			return EXIT_USAGE;
		}
		if (O.print) {
			char *t = tdxsim_fuzz_format(p);

			if (O.json) {
				printf("{\"type\": \"program\", \"program\": %llu, \"text\": ",
				       (unsigned long long)i);
				json_string(stdout, t);
				printf("}\n");
			} else {
				printf("# program %llu\n%s\n",
				       (unsigned long long)i, t);
			}
			free(t);
			tdxsim_fuzz_free(p);
			programs++;
			continue;
		}
		if (O.bounded) {
			P.base_done = schedules;
			explore_remote(p, O.preemptions, 0, 0,
				       O.max_schedules ? O.max_schedules : 2000,
				       NULL, &rs, &out, NULL);
			schedules += rs.explore.schedules;
			P.done = schedules;
		} else {
			run_remote(NULL, p, &out);
			schedules++;
			P.done = programs + 1;
		}
		programs++;
		pamt_adds += out.pamt_adds;
		pamt_removes += out.pamt_removes;
		if (!b.programs)
			b.first = i;
		b.last = i;
		b.programs++;
		b.schedules += O.bounded ? rs.explore.schedules : 1;
		b.digest ^= outcome_hash(i, &out);
		digest ^= outcome_hash(i, &out);
		if (out.failed) {
			failures++;
			b.failures++;
			P.failures = failures;
			if (!seen_signature(out.signature)) {
				batch_flush(&b);
				handle_failure(p, i, &out);
				if (!O.keep_going)
					stop = true;
			}
		}
		tdxsim_fuzz_outcome_free(&out);
		tdxsim_fuzz_free(p);
		if (b.programs >= FZ_BATCH)
			batch_flush(&b);
		progress_draw(false);
	}
	batch_flush(&b);
	worker_stop();
	progress_clear();
	if (O.print)
		return 0;
	if (O.json) {
		unsigned int k;

		printf("{\"type\": \"summary\", \"shard\": %u, \"shards\": %u, \"seed\": %llu, \"programs\": %llu, \"failures\": %llu, \"schedules\": %llu, \"seconds\": %.3f, \"digest\": \"%016llx\", \"pamt_adds\": %llu, \"pamt_removes\": %llu, \"signatures\": [",
		       O.shard, (unsigned int)nr, (unsigned long long)O.seed,
		       (unsigned long long)programs,
		       (unsigned long long)failures,
		       (unsigned long long)schedules, elapsed(),
		       (unsigned long long)digest,
		       (unsigned long long)pamt_adds,
		       (unsigned long long)pamt_removes);
		for (k = 0; k < nr_findings; k++) {
			if (k)
				printf(", ");
			json_string(stdout, findings[k].signature);
		}
		printf("]}\n");
	} else if (!O.quiet || failures) {
		printf("fuzz: %llu program%s (%llu schedule%s) in %.1f s, %.0f per second; %llu failed",
		       (unsigned long long)programs, programs == 1 ? "" : "s",
		       (unsigned long long)schedules, schedules == 1 ? "" : "s",
		       elapsed(), elapsed() > 0 ? programs / elapsed() : 0.0,
		       (unsigned long long)failures);
		if (pamt_adds || pamt_removes)
			printf("; PAMT.ADD %.2f, PAMT.REMOVE %.2f per program",
			       (double)pamt_adds / (double)programs,
			       (double)pamt_removes / (double)programs);
		if (nr_findings) {
			unsigned int k;

			printf("; distinct failures:\n");
			for (k = 0; k < nr_findings; k++)
				printf("  %s (program %llu, after %.1f s): %s\n",
				       findings[k].signature,
				       (unsigned long long)findings[k].index,
				       findings[k].seconds, findings[k].file);
		} else {
			printf("\n");
		}
	}
	return failures ? 1 : 0;
}

/* --- replaying a program file ----------------------------------------------------- */

static int replay_file(void)
{
	struct tdxsim_fuzz_program *p;
	struct tdxsim_fuzz_outcome out;
	char err[512], *text;
	size_t len;
	FILE *f;
	int ret;

	f = fopen(O.replay, "r");
	if (!f) {
		fprintf(stderr, "tdxsim fuzz: %s: %s\n", O.replay, strerror(errno));
		return 1;
	}
	text = xzalloc(1 << 20);
	len = fread(text, 1, (1 << 20) - 1, f);
	fclose(f);
	text[len] = '\0';
	ret = tdxsim_fuzz_parse(text, O.replay, &p, err, sizeof(err));
	free(text);
	if (ret) {
		fprintf(stderr, "tdxsim fuzz: %s\n", err);
		return 1;
	}
	if (O.seed_set || O.strategy_set)
		tdxsim_fuzz_set_schedule(p, O.strategy, O.seed, NULL);

	if (O.bounded) {
		struct wresp rs;
		const struct tdxsim_explore_result *e = &rs.explore;
		char *choices = NULL;

		P.what = "schedules";
		explore_remote(p, O.preemptions, O.shard, O.nr_shards,
			       O.max_schedules, NULL, &rs, &out, &choices);
		progress_clear();
		if (O.json) {
			printf("{\"type\": \"explore\", \"shard\": %u, \"shards\": %u, \"preemptions\": %u, \"schedules\": %llu, \"runs\": %llu, \"exhausted\": %s, \"bound\": %d, \"found\": %s, \"nondeterministic\": %s, \"seconds\": %.3f, ",
			       O.shard, O.nr_shards ? O.nr_shards : 1,
			       O.preemptions, (unsigned long long)e->schedules,
			       (unsigned long long)e->runs,
			       e->exhausted ? "true" : "false", e->bound,
			       e->found ? "true" : "false",
			       e->nondeterministic ? "true" : "false",
			       elapsed());
			json_kv_str("signature", e->found ? out.signature : "",
				    true);
			json_kv_str("choices", choices ? choices : "", false);
			printf("}\n");
		} else if (out.kind == TDXSIM_FUZZ_CRASH && out.failed) {
			printf("explore to %u preemption%s: %s after %.0f s (%llu schedules done)\n",
			       O.preemptions, O.preemptions == 1 ? "" : "s",
			       out.summary, elapsed(),
			       (unsigned long long)worker_schedules());
		} else if (e->found) {
			printf("FAILURE after %llu schedules: %s\n  %s\n",
			       (unsigned long long)e->schedules, out.signature,
			       out.summary);
			printf("schedule: %u preemption%s, choices %s\n",
			       e->failing_result.preemptions,
			       e->failing_result.preemptions == 1 ? "" : "s",
			       choices ? choices : "");
			printf("--- report ---\n%s\n", out.report ? out.report : "");
		} else {
			printf("%s to %u preemption%s: %llu schedule%s, no failure%s (%.1f s)\n",
			       e->exhausted ? "exhaustive" : "not exhaustive",
			       O.preemptions, O.preemptions == 1 ? "" : "s",
			       (unsigned long long)e->schedules,
			       e->schedules == 1 ? "" : "s",
			       O.nr_shards > 1 ? " in this shard" : "", elapsed());
			if (e->nondeterministic)
				printf("warning: a re-run did not repeat its prefix: the search is not exhaustive\n");
		}
		ret = e->found || (out.failed && out.kind == TDXSIM_FUZZ_CRASH);
		free(choices);
		tdxsim_fuzz_outcome_free(&out);
		tdxsim_fuzz_free(p);
		worker_stop();
		return ret;
	}
	if (O.trace || O.lockdep_graph) {
		/* In this process, where the trace is recorded. */
		ret = 0;
		if (O.trace && trace_opt_start("fuzz", O.trace))
			return EXIT_USAGE;
		tdxsim_fuzz_run(p, &out);
		if (O.trace && trace_opt_stop("fuzz", O.trace))
			ret = 1;
		if (O.lockdep_graph &&
		    lockdep_graph_opt_write("fuzz", O.lockdep_graph))
			ret = 1;
		if (ret) {
			tdxsim_fuzz_outcome_free(&out);
			tdxsim_fuzz_free(p);
			return ret;
		}
	} else {
		run_remote(NULL, p, &out);
	}
	worker_stop();
	progress_clear();
	if (O.shrink && out.failed) {
		handle_failure(p, 0, &out);
		tdxsim_fuzz_outcome_free(&out);
		tdxsim_fuzz_free(p);
		return 1;
	}
	if (O.json) {
		printf("{\"type\": \"replay\", \"failed\": %s, ",
		       out.failed ? "true" : "false");
		json_kv_str("signature", out.failed ? out.signature : "", true);
		json_kv_str("summary", out.summary, true);
		printf("\"steps\": %llu, \"preemptions\": %u, \"pamt_adds\": %llu, \"pamt_removes\": %llu}\n",
		       (unsigned long long)out.steps, out.preemptions,
		       (unsigned long long)out.pamt_adds,
		       (unsigned long long)out.pamt_removes);
	} else {
		printf("%s: %s\n", out.failed ? "FAILURE" : out.setup_error ?
		       "ERROR" : "CLEAN", out.failed ? out.signature :
		       out.summary);
		if (out.failed)
			printf("  %s\n", out.summary);
		if (out.failed || !O.quiet)
			printf("--- report ---\n%s", out.report ? out.report : "");
	}
	ret = out.failed || out.setup_error ? 1 : 0;
	tdxsim_fuzz_outcome_free(&out);
	tdxsim_fuzz_free(p);
	return ret;
}

/* --- options --------------------------------------------------------------------- */

static int parse_shard(const char *s)
{
	unsigned int i, n;
	char c;

	if (sscanf(s, "%u/%u%c", &i, &n, &c) != 2 || !n || i >= n)
		return -EINVAL;
	O.shard = i;
	O.nr_shards = n;
	return 0;
}

int cmd_fuzz(const struct tdxsim_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "design", required_argument, NULL, 'd' },
		{ "seconds", required_argument, NULL, 't' },
		{ "programs", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "strategy", required_argument, NULL, 'S' },
		{ "preemptions", required_argument, NULL, 'K' },
		{ "max-schedules", required_argument, NULL, 'M' },
		{ "shard", required_argument, NULL, 'H' },
		{ "json", no_argument, NULL, 'j' },
		{ "replay", required_argument, NULL, 'r' },
		{ "trace", required_argument, NULL, 'T' },
		{ "sched-trace", required_argument, NULL, 'Y' },
		{ "lockdep-graph", required_argument, NULL, 'G' },
		{ "out", required_argument, NULL, 'o' },
		{ "keep-going", no_argument, NULL, 'g' },
		{ "no-shrink", no_argument, NULL, 'N' },
		{ "no-progress", no_argument, NULL, 'P' },
		{ "sleep-sets", no_argument, NULL, 'Z' },
		{ "max-tasks", required_argument, NULL, 'X' },
		{ "tds", required_argument, NULL, 'D' },
		{ "bias", required_argument, NULL, 'B' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "print", no_argument, NULL, 'p' },
		{ "shrink", no_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool no_progress = false;
	u64 v;
	int c;

	memset(&O, 0, sizeof(O));
	O.seed = 1;
	O.preemptions = 2;
	O.strategy = TDXSIM_STRATEGY_RANDOM;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":hqg", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			O.kernel = optarg;
			break;
		case 'd':
			O.design = optarg;
			break;
		case 't':
			if (parse_u64(optarg, &O.seconds) || !O.seconds)
				return usage_error(cmd->name, "--seconds needs a number >= 1, got '%s'", optarg);
			break;
		case 'n':
			if (parse_u64(optarg, &O.programs) || !O.programs)
				return usage_error(cmd->name, "--programs needs a number >= 1, got '%s'", optarg);
			break;
		case 's':
			if (parse_u64(optarg, &O.seed))
				return usage_error(cmd->name, "--seed needs a number, got '%s'", optarg);
			O.seed_set = true;
			break;
		case 'S':
			O.strategy_set = true;
			if (!strcmp(optarg, "bounded"))
				O.bounded = true;
			else if (parse_strategy(optarg, &O.strategy))
				return usage_error(cmd->name, "--strategy is random, pct or bounded, got '%s'", optarg);
			break;
		case 'K':
			if (parse_u64(optarg, &v) || v > 64)
				return usage_error(cmd->name, "--preemptions needs a number 0..64, got '%s'", optarg);
			O.preemptions = (unsigned int)v;
			break;
		case 'M':
			if (parse_u64(optarg, &O.max_schedules) || !O.max_schedules)
				return usage_error(cmd->name, "--max-schedules needs a number >= 1, got '%s'", optarg);
			break;
		case 'H':
			if (parse_shard(optarg))
				return usage_error(cmd->name, "--shard is I/N with 0 <= I < N, got '%s'", optarg);
			break;
		case 'j':
			O.json = true;
			break;
		case 'r':
			O.replay = optarg;
			break;
		case 'T':
			O.trace = optarg;
			break;
		case 'Y':
			O.sched_trace = optarg;
			break;
		case 'G':
			O.lockdep_graph = optarg;
			break;
		case 'o':
			O.out_dir = optarg;
			break;
		case 'g':
			O.keep_going = true;
			break;
		case 'N':
			O.no_shrink = true;
			break;
		case 'P':
			no_progress = true;
			break;
		case 'Z':
			O.sleep_sets = true;
			break;
		case 'X':
			if (parse_u64(optarg, &v) || v < 2 || v > 4)
				return usage_error(cmd->name, "--max-tasks needs a number 2..4, got '%s'", optarg);
			O.max_tasks = (unsigned int)v;
			break;
		case 'D':
			if (parse_u64(optarg, &v) || v < 1 || v > 2)
				return usage_error(cmd->name, "--tds needs 1 or 2, got '%s'", optarg);
			O.tds = v == 2 ? 2 : 0;
			break;
		case 'B':
			if (!strcmp(optarg, "none"))
				O.bias = TDXSIM_FUZZ_BIAS_NONE;
			else if (!strcmp(optarg, "dpamt"))
				O.bias = TDXSIM_FUZZ_BIAS_DPAMT;
			else if (!strcmp(optarg, "dpamt-edge"))
				O.bias = TDXSIM_FUZZ_BIAS_DPAMT_EDGE;
			else
				return usage_error(cmd->name, "--bias needs none, dpamt or dpamt-edge, got '%s'", optarg);
			break;
		case 'q':
			O.quiet = true;
			break;
		case 'p':
			O.print = true;
			break;
		case 'R':
			O.shrink = true;
			break;
		default:
			return getopt_common(cmd, c, argv);
		}
	}
	if (optind < argc)
		return usage_error(cmd->name, "takes no arguments, got '%s'", argv[optind]);
	if (O.seconds && O.programs)
		return usage_error(cmd->name, "--seconds and --programs exclude each other");
	if (!O.replay && !O.seconds && !O.programs)
		O.programs = 1000;
	if (O.replay && (O.seconds || O.programs) && !O.bounded)
		return usage_error(cmd->name, "--replay runs one program: use --seed/--strategy to change its schedule");
	{
		struct tdxsim_design d;
		char err[256];

		if (tdxsim_kernel_design(O.kernel ? O.kernel :
					 TDXSIM_KERNEL_DEFAULT, &d, err,
					 sizeof(err)))
			return usage_error(cmd->name, "--kernel: %s", err);
		if (O.design &&
		    tdxsim_parse_design(O.design, &d, err, sizeof(err)))
			return usage_error(cmd->name, "--design: %s", err);
		if (O.design)
			snprintf(O.design_text, sizeof(O.design_text), "%s",
				 O.design);
	}
	if (O.out_dir) {
		struct stat st;

		if (stat(O.out_dir, &st) || !S_ISDIR(st.st_mode))
			return usage_error(cmd->name, "--out: '%s' is not a directory", O.out_dir);
	}
	if ((O.trace || O.lockdep_graph) && (!O.replay || O.bounded || O.shrink))
		return usage_error(cmd->name, "--%s records one run: give it with --replay FILE (no --strategy bounded, no --shrink)",
				   O.trace ? "trace" : "lockdep-graph");
	if (O.lockdep_graph &&
	    out_file_check(cmd->name, "lockdep-graph", O.lockdep_graph))
		return EXIT_USAGE;
	if (O.trace && out_file_check(cmd->name, "trace", O.trace))
		return EXIT_USAGE;
	if (O.sched_trace)
		setenv("TDXSIM_SCHED_TRACE", O.sched_trace, 1);

	signal(SIGPIPE, SIG_IGN);
	P.t0 = now_ns();
	P.what = "programs";
	P.on = !no_progress && isatty(STDERR_FILENO);
	return O.replay ? replay_file() : fuzz_generated();
}
