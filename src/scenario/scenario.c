// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The scenario runner: one run of a scenario under the deterministic
 * scheduler (its log captured as the report), the evidence gathered, the TD
 * torn down (or kept, when the run left tasks unwound holding its locks),
 * and exploration over many seeds or every schedule to a preemption
 * bound. The TD builder the cases use is in scenario_td.c; both speak
 * only the uAPI (include/tdxsim/).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tdxsim/profiles.h"
#include "tdxsim/report.h"
#include "tdxsim/sched.h"
#include "tdxsim/vmm.h"
#include "scenario/scenario_internal.h"
#include "ulib/compiler.h"

/* Schedule points after which a run counts as livelocked. */
#define SCN_MAX_STEPS			1000000

static const struct tdxsim_scenario *const scenarios[] = {
	&scn_populate_deadlock,
	&scn_accept_level_livelock,
	&scn_vp_init_busy,
	&scn_pinned_split_hang,
	&scn_mirror_race,
	&scn_dpamt_lazy_busy,
	&scn_dpamt_get_recheck,
	&scn_gmem_inplace_pin,
	&scn_gmem_inplace_mixed,
	&scn_gmem_inplace_hostfault,
	&scn_gmem_inplace_vcpufault,
	&scn_huge_split_order,
	&scn_huge_memory_failure,
	&scn_dpamt_put_race,
	&scn_dpamt_put_recheck,
	&scn_dpamt_lock_region,
	&scn_dpamt_demote_add,
	&scn_huge_inhibit_order,
	&scn_huge_split_busy,
	&scn_huge_split_cache,
	&scn_huge_accept_root,
	&scn_dpamt_remove_fail,
};

static struct tdxsim_scenario scn_copy[ARRAY_SIZE(scenarios)];
static pthread_once_t scn_copy_once = PTHREAD_ONCE_INIT;

static void scn_copy_init(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(scenarios); i++)
		scn_copy[i] = *scenarios[i];
}

const struct tdxsim_scenario *tdxsim_scenario_list(size_t *n)
{
	pthread_once(&scn_copy_once, scn_copy_init);
	*n = ARRAY_SIZE(scenarios);
	return scn_copy;
}

const struct tdxsim_scenario *tdxsim_scenario_find(const char *name)
{
	size_t i, n;
	const struct tdxsim_scenario *list = tdxsim_scenario_list(&n);

	for (i = 0; i < n; i++)
		if (!strcmp(list[i].name, name))
			return &list[i];
	return NULL;
}

void tdxsim_scenario_opts_init(struct tdxsim_scenario_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->strategy = TDXSIM_STRATEGY_RANDOM;
}

/* "PROFILE:KEY=V,..." into its profile name (@name) and its switches. */
static int scn_apply_spec(const char *spec, const char *needs, char *name,
			  size_t namelen, struct tdxsim_design *d, char *err,
			  size_t errlen)
{
	const char *colon = strchr(spec, ':');
	size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
	int r;

	if (len >= namelen || len >= TDXSIM_KERNEL_NAME_MAX) {
		snprintf(err, errlen, "kernel: name too long");
		return -EINVAL;
	}
	memcpy(name, spec, len);
	name[len] = '\0';
	r = tdxsim_kernel_design(name, d, err, errlen);
	if (!r && needs)
		r = tdxsim_parse_design(needs, d, err, errlen);
	if (!r && colon)
		r = tdxsim_parse_design(colon + 1, d, err, errlen);
	return r;
}

int tdxsim_scenario_resolve(const struct tdxsim_scenario *s, const char *kernel,
			    const char *design, char *name, size_t namelen,
			    struct tdxsim_design *d, char *err, size_t errlen)
{
	bool named = design && (!strcmp(design, "before") ||
				!strcmp(design, "upstream"));
	const char *spec;
	int r;

	if (kernel && named) {
		snprintf(err, errlen,
			 "--design %s names a kernel: give it or --kernel, not both",
			 design);
		return -EINVAL;
	}
	if (kernel)
		spec = kernel;
	else if (design && !strcmp(design, "before"))
		spec = s->before;
	else
		spec = s->upstream;
	r = scn_apply_spec(spec, s->needs, name, namelen, d, err, errlen);
	if (!r && design && !named)
		r = tdxsim_parse_design(design, d, err, errlen);
	return r;
}

int tdxsim_scenario_design(const struct tdxsim_scenario *s, const char *design,
		    struct tdxsim_design *d, char *err, size_t errlen)
{
	char name[TDXSIM_KERNEL_NAME_MAX];

	return tdxsim_scenario_resolve(s, NULL, design, name, sizeof(name), d,
				       err, errlen);
}

/* --- one run ---------------------------------------------------------------- */

static int scn_run_fn(void *arg)
{
	struct scenario_ctx *ctx = arg;
	struct tdxsim_stats st;
	int r;

	r = ctx->extra ? (ctx->s->extra(ctx), 0) : ctx->s->run(ctx);
	/*
	 * A bugged VM or a livelocked guest: show where every task was, while
	 * the scheduler still lists them.
	 */
	scn_stats(ctx, &st);
	if (st.vm_bugged || (!ctx->extra && ctx->res->livelock_exit))
		scn_dump_tasks(ctx);
	return r;
}

static struct scenario_ctx *graveyard[TDXSIM_SCENARIO_MAX_STUCK * 4];
static unsigned int nr_graveyard;

unsigned int tdxsim_scenario_nr_stuck(void)
{
	return nr_graveyard;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The kernel log of a run, captured into memory. */
struct scn_capture {
	FILE *prev, *f;
	char *buf;
	size_t len;
};

static void scn_capture_start(struct scn_capture *c)
{
	c->prev = NULL;
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	if (c->f)
		c->prev = tdxsim_log_set_stream(c->f);
}

/* Stop capturing; returns the text (malloc'd). */
static char *scn_capture_end(struct scn_capture *c)
{
	if (c->f) {
		tdxsim_log_set_stream(c->prev == stderr ? NULL : c->prev);
		fclose(c->f);
	}
	return c->buf ? c->buf : xstrdup("");
}

/* Before a run of @ctx: fresh reports, the PAMT count to compare with. */
static void scn_run_begin(struct scenario_ctx *ctx)
{
	tdxsim_reset_reports();
	tdxsim_set_reports_quiet(false);
	ctx->pamt_before = scn_pamt_violations();
}

static void scn_sched_config(struct scenario_ctx *ctx,
			     enum tdxsim_sched_strategy strat,
			     struct tdxsim_sched_config *cfg)
{
	tdxsim_sched_config_deterministic(cfg, strat, ctx->seed);
	cfg->max_steps = SCN_MAX_STEPS;
	if (ctx->s->pct_steps)
		cfg->pct_steps = ctx->s->pct_steps;
}

/*
 * After a run of @ctx that ended as @sr says: the evidence gathered into
 * ctx->res, and the scenario's judgement.
 */
static void scn_run_end(struct scenario_ctx *ctx,
			const struct tdxsim_sched_result *sr, FILE *cap)
{
	struct tdxsim_scenario_result *res = ctx->res;

	if (!ctx->extra) {
		res->verdict = sr->verdict;
		res->steps = sr->steps;
		res->switches = sr->switches;
		res->stuck = sr->verdict != TDXSIM_VERDICT_OK;
		res->lockdep_recursive =
			tdxsim_count_reports(TDXSIM_REPORT_RECURSIVE,
					      "mapping.invalidate_lock");
		res->lockdep_circular =
			tdxsim_count_reports(TDXSIM_REPORT_CIRCULAR,
					      "&mm->mmap_lock");
		/* Validator reports other than these and the verdicts. */
		res->lockdep_other = tdxsim_nr_reports() -
			res->lockdep_recursive - res->lockdep_circular -
			tdxsim_count_reports(TDXSIM_REPORT_DEADLOCK, NULL) -
			tdxsim_count_reports(TDXSIM_REPORT_HANG, NULL) -
			tdxsim_count_reports(TDXSIM_REPORT_LIVELOCK, NULL);
	}
	if (cap)
		fflush(cap);
	/* What failed in the VM, as KVM reports it (also when stuck). */
	if (!ctx->extra)
		scn_vm_failure(ctx, &res->failure);

	/* Evidence the VM still gives (not when its locks are stuck). */
	if (sr->verdict == TDXSIM_VERDICT_OK && ctx->td.vm_fd >= 0) {
		struct tdxsim_stats st;
		struct tdxsim_td_stats ts;
		unsigned int i;

		scn_stats(ctx, &st);
		scn_td_stats(ctx, &ts);
		if (!ctx->extra) {
			res->vm_bugged = st.vm_bugged;
			res->splits = st.splits;
			res->fault_retries = st.fault_retries;
			res->no_vcpus_retries =
				st.vendor[TDXSIM_TDX_STAT_NO_VCPUS_RETRY];
			res->accept_exits =
				st.vendor[TDXSIM_TDX_STAT_ACCEPT_EXITS];
			res->folio_splits = st.gmem_folio_splits;
			res->split_refused =
				st.vendor[TDXSIM_TDX_STAT_SPLIT_REFUSED];
			res->demotes = ts.seamcalls[TDH_MEM_PAGE_DEMOTE];
			for (i = 0; i < TDXSIM_NR_LEAVES; i++)
				res->busy += ts.busy[i];
		} else {
			res->extra_vm_bugged = st.vm_bugged;
		}
	}
	if (!ctx->setup_err && ctx->s->judge && !ctx->extra)
		ctx->s->judge(ctx);
	else if (ctx->extra && ctx->s->judge)
		ctx->s->judge(ctx);
	if (ctx->setup_err && !ctx->extra) {
		res->error = ctx->setup_err;
		res->failed = false;
		snprintf(res->summary, sizeof(res->summary),
			 "the scenario could not run: %s",
			 strerror(-ctx->setup_err));
	}
}

/*
 * One sched_run of @ctx (the scenario's run, or its extra part), logging
 * into @c, and the evidence gathered into ctx->res.
 */
static void scn_run_once(struct scenario_ctx *ctx, enum tdxsim_sched_strategy strat,
			 struct scn_capture *c)
{
	struct tdxsim_sched_config cfg;
	struct tdxsim_sched_result sr;
	double t0;

	scn_run_begin(ctx);
	scn_sched_config(ctx, strat, &cfg);
	t0 = now_seconds();
	if (tdxsim_sched_run(&cfg, scn_run_fn, ctx, &sr)) {
		memset(&sr, 0, sizeof(sr));
		ctx->setup_err = -EBUSY;
	}
	if (!ctx->extra)
		ctx->res->seconds = now_seconds() - t0;
	scn_run_end(ctx, &sr, c->f);
}

/* Tear the TD down, unless the run left its locks held. */
static void scn_ctx_free(struct scenario_ctx *ctx, bool stuck)
{
	if (!stuck)
		scn_td_destroy(&ctx->td);
}

/* Free the context (a stuck one stays reachable, forever). */
static void scn_ctx_release(struct scenario_ctx *ctx, bool stuck)
{
	if (stuck) {
		if (nr_graveyard < ARRAY_SIZE(graveyard))
			graveyard[nr_graveyard++] = ctx;
		return;
	}
	sb_free(&ctx->notes);
	free(ctx);
}

static struct scenario_ctx *scn_ctx_new(const struct tdxsim_scenario *s,
					const char *kernel,
					const struct tdxsim_design *d, u64 seed,
					struct tdxsim_scenario_result *res, bool extra)
{
	struct scenario_ctx *ctx = xzalloc(sizeof(*ctx));

	ctx->s = s;
	snprintf(ctx->kernel, sizeof(ctx->kernel), "%s", kernel);
	ctx->design = *d;
	ctx->seed = seed;
	ctx->res = res;
	ctx->extra = extra;
	scn_td_init(&ctx->td);
	return ctx;
}

static char *scn_report(struct scenario_ctx *ctx, const char *log,
			const struct tdxsim_scenario_opts *o)
{
	struct tdxsim_scenario_result *res = ctx->res;
	struct strbuf sb = STRBUF_INIT;
	struct tdxsim_design profile;
	char design[TDXSIM_DESIGN_STRING_MAX];

	sb_printf(&sb, "scenario %s (seed %s: %s)\n", ctx->s->name,
		  ctx->s->seed_patch, ctx->s->patch_title);
	design[0] = '\0';
	if (!tdxsim_kernel_design(res->kernel, &profile, NULL, 0))
		tdxsim_design_diff(&res->design, &profile, design,
				   sizeof(design));
	sb_printf(&sb, "kernel: %s%s%s\n", res->kernel,
		  design[0] ? ", with " : "", design);
	tdxsim_design_string(&res->design, design, sizeof(design));
	sb_printf(&sb, "design: %s\n", design);
	sb_printf(&sb, "deterministic run: strategy %s, seed %llu: %s, %llu schedule points, %llu switches, %.1f ms\n",
		  o->strategy == TDXSIM_STRATEGY_PCT ? "pct" : "random",
		  (unsigned long long)res->seed,
		  tdxsim_verdict_name(res->verdict),
		  (unsigned long long)res->steps,
		  (unsigned long long)res->switches, res->seconds * 1e3);
	if (ctx->notes.len)
		sb_printf(&sb, "what happened:\n%s", sb_str(&ctx->notes));
	if (log && *log)
		sb_printf(&sb, "--- kernel log ---\n%s", log);
	return sb_detach(&sb);
}

/*
 * Run @s in the kernel @kernel with the design @d (both resolved by the
 * caller). @want_report: build the full report (the kernel log and what
 * happened) always; otherwise only for a failure, which is all an
 * exploration keeps of its runs.
 */
static void scn_run_resolved(const struct tdxsim_scenario *s,
			     const struct tdxsim_scenario_opts *o,
			     const char *kernel, const struct tdxsim_design *d,
			     bool want_report,
			     struct tdxsim_scenario_result *res)
{
	struct scenario_ctx *ctx;
	struct scn_capture cap;
	char *log;
	u64 seed;

	memset(res, 0, sizeof(*res));
	snprintf(res->kernel, sizeof(res->kernel), "%s", kernel);
	seed = o->seed ? o->seed : s->default_seed;
	res->design = *d;
	res->seed = seed;

	ctx = scn_ctx_new(s, res->kernel, d, seed, res, false);
	scn_capture_start(&cap);
	scn_run_once(ctx, o->strategy, &cap);
	scn_ctx_free(ctx, res->stuck);
	res->pamt_violations = scn_pamt_violations() - ctx->pamt_before;
	res->tainted = res->pamt_violations != 0;
	log = scn_capture_end(&cap);
	if (want_report || res->failed || res->error)
		res->report = scn_report(ctx, log, o);
	free(log);
	scn_ctx_release(ctx, res->stuck);

	if (o->extra && s->extra && !res->error) {
		ctx = scn_ctx_new(s, res->kernel, d, seed, res, true);
		res->extra_ran = true;
		scn_capture_start(&cap);
		scn_run_once(ctx, o->strategy, &cap);
		scn_ctx_free(ctx, false);
		log = scn_capture_end(&cap);
		res->extra_report = scn_report(ctx, log, o);
		free(log);
		scn_ctx_release(ctx, false);
	}
}

int tdxsim_scenario_run(const struct tdxsim_scenario *s, const struct tdxsim_scenario_opts *o,
		 struct tdxsim_scenario_result *res)
{
	char err[256], name[TDXSIM_KERNEL_NAME_MAX];
	struct tdxsim_design d;

	if (tdxsim_scenario_resolve(s, o->kernel, o->design, name,
				    sizeof(name), &d, err, sizeof(err))) {
		memset(res, 0, sizeof(*res));
		res->error = -EINVAL;
		snprintf(res->summary, sizeof(res->summary), "%s", err);
		return -EINVAL;
	}
	scn_run_resolved(s, o, name, &d, true, res);
	return 0;
}

void tdxsim_scenario_result_free(struct tdxsim_scenario_result *res)
{
	free(res->report);
	free(res->extra_report);
	res->report = NULL;
	res->extra_report = NULL;
}

/* --- exploration ------------------------------------------------------------ */

int tdxsim_scenario_explore(const struct tdxsim_scenario *s, const char *design,
		     const struct tdxsim_scenario_explore_opts *o,
		     struct tdxsim_scenario_explore_result *r)
{
	char err[256], name[TDXSIM_KERNEL_NAME_MAX];
	struct tdxsim_scenario_opts so;
	struct tdxsim_design d;
	double t0 = now_seconds();
	bool fd_reuse;
	u64 i;

	memset(r, 0, sizeof(*r));
	if (tdxsim_scenario_resolve(s, o->kernel, design, name, sizeof(name),
				    &d, err, sizeof(err))) {
		snprintf(r->first.summary, sizeof(r->first.summary), "%s", err);
		return -EINVAL;
	}
	tdxsim_scenario_opts_init(&so);
	so.kernel = o->kernel;
	so.design = design;
	so.strategy = o->strategy;
	/* A VM per schedule: its descriptor numbers need no system calls. */
	fd_reuse = tdxsim_fd_reuse(true);
	for (i = 0; i < o->schedules; i++) {
		struct tdxsim_scenario_result res;

		if (tdxsim_scenario_nr_stuck() >= TDXSIM_SCENARIO_MAX_STUCK) {
			r->stopped = true;
			break;
		}
		so.seed = (o->first_seed ? o->first_seed : 1) + i;
		/* Resolved once above; the report only for a first failure. */
		scn_run_resolved(s, &so, name, &d, false, &res);
		r->runs++;
		if (res.tainted && i + 1 < o->schedules)
			r->stopped = true;
		if (res.failed || res.error) {
			r->failures++;
			if (!r->found) {
				r->found = true;
				r->first_seed = so.seed;
				r->first_index = i + 1;
				r->first_seconds = now_seconds() - t0;
				r->first = res;
				if (o->stop_on_failure || r->stopped)
					break;
				continue;
			}
		}
		tdxsim_scenario_result_free(&res);
		if (r->stopped)
			break;
		if (!o->quiet && (i + 1) % 1000 == 0)
			fprintf(stderr, "  %llu schedules, %llu failed\n",
				(unsigned long long)(i + 1),
				(unsigned long long)r->failures);
	}
	tdxsim_fd_reuse(fd_reuse);
	r->seconds = now_seconds() - t0;
	return 0;
}

/* --- bounded exhaustive search ---------------------------------------------- */

struct scn_bounded {
	const struct tdxsim_scenario *s;
	const char *kernel;
	const struct tdxsim_design *d;
	const struct tdxsim_scenario_bounded_opts *o;
	struct tdxsim_scenario_bounded_result *r;
	/* The world of the next (or current) run. */
	struct scenario_ctx *cur;
	struct tdxsim_scenario_result *res;
	struct scn_capture cap;
	bool used;			/* cur has been run */
	bool finished;			/* its run function returned */
	bool have_first;		/* r->first holds the first failure */
	u64 schedules, failures;
};

static void scn_bounded_next(struct scn_bounded *x)
{
	x->res = xzalloc(sizeof(*x->res));
	snprintf(x->res->kernel, sizeof(x->res->kernel), "%s", x->kernel);
	x->res->design = *x->d;
	x->cur = scn_ctx_new(x->s, x->kernel, x->d, 0, x->res, false);
	x->used = false;
	x->finished = false;
	scn_capture_start(&x->cap);
	scn_run_begin(x->cur);
}

/* Drop the current world without judging it. */
static void scn_bounded_drop(struct scn_bounded *x)
{
	bool stuck = x->used && !x->finished;

	free(scn_capture_end(&x->cap));
	scn_ctx_free(x->cur, stuck);
	scn_ctx_release(x->cur, stuck);
	/* A stuck world's context keeps pointing at its result. */
	if (!stuck)
		free(x->res);
	x->cur = NULL;
	x->res = NULL;
}

static int scn_bounded_fn(void *arg)
{
	struct scn_bounded *x = arg;
	int r;

	/*
	 * The explorer does not judge every run it makes (a schedule past the
	 * bound, or another shard's): such a run used the world unseen.
	 */
	if (x->used) {
		scn_bounded_drop(x);
		scn_bounded_next(x);
	}
	x->used = true;
	r = scn_run_fn(x->cur);
	x->finished = true;
	return r;
}

static int scn_bounded_check(void *arg, const struct tdxsim_sched_result *sr)
{
	struct scn_bounded *x = arg;
	struct tdxsim_scenario_result *res = x->res;
	struct tdxsim_scenario_opts so;
	bool failed, stuck;
	char *log;

	scn_run_end(x->cur, sr, x->cap.f);
	stuck = res->stuck;
	scn_ctx_free(x->cur, stuck);
	res->pamt_violations = scn_pamt_violations() - x->cur->pamt_before;
	res->tainted = res->pamt_violations != 0;
	failed = res->failed || res->error;
	x->schedules++;
	if (failed && !x->have_first) {
		tdxsim_scenario_opts_init(&so);
		log = scn_capture_end(&x->cap);
		res->report = scn_report(x->cur, log, &so);
		free(log);
		x->r->first = *res;
		res->report = NULL;
	} else {
		free(scn_capture_end(&x->cap));
	}
	if (failed) {
		x->failures++;
		x->have_first = true;
	}
	scn_ctx_release(x->cur, stuck);
	if (!stuck)
		free(res);
	if (x->o->progress)
		x->o->progress(x->o->progress_arg, x->schedules, x->failures);
	scn_bounded_next(x);
	return failed;
}

int tdxsim_scenario_explore_bounded(const struct tdxsim_scenario *s,
				    const char *design,
				    const struct tdxsim_scenario_bounded_opts *o,
				    struct tdxsim_scenario_bounded_result *r)
{
	struct scn_bounded x = { .s = s, .o = o, .r = r };
	char err[256], name[TDXSIM_KERNEL_NAME_MAX];
	struct tdxsim_explore_config cfg;
	struct tdxsim_design d;
	double t0 = now_seconds();
	bool fd_reuse;
	int ret;

	memset(r, 0, sizeof(*r));
	if (tdxsim_scenario_resolve(s, o->kernel, design, name, sizeof(name),
				    &d, err, sizeof(err))) {
		snprintf(r->first.summary, sizeof(r->first.summary), "%s", err);
		return -EINVAL;
	}
	x.kernel = name;
	x.d = &d;
	memset(&cfg, 0, sizeof(cfg));
	scn_sched_config(&(struct scenario_ctx){ .s = s }, TDXSIM_STRATEGY_RANDOM,
			 &cfg.run);
	cfg.preemptions = o->preemptions;
	cfg.sleep_sets = o->sleep_sets;
	cfg.shard = o->shard;
	cfg.nr_shards = o->nr_shards;
	cfg.max_schedules = o->max_schedules;
	cfg.keep_going = o->keep_going;
	fd_reuse = tdxsim_fd_reuse(true);
	scn_bounded_next(&x);
	ret = tdxsim_sched_explore(&cfg, scn_bounded_fn, &x, scn_bounded_check,
				   &r->explore);
	scn_bounded_drop(&x);
	tdxsim_fd_reuse(fd_reuse);
	r->seconds = now_seconds() - t0;
	if (ret) {
		if (x.have_first)
			tdxsim_scenario_result_free(&r->first);
		memset(&r->first, 0, sizeof(r->first));
	}
	return ret;
}

void tdxsim_scenario_bounded_result_free(struct tdxsim_scenario_bounded_result *r)
{
	free(r->explore.failing);
	r->explore.failing = NULL;
	tdxsim_scenario_result_free(&r->first);
}
