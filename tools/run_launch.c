// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tdxsim run: one launch under the scheduler, with a progress line beside
 * it (free mode on a terminal only).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "run.h"

/* Set when a run was ended by the scheduler (see do_run()). */
static bool aborted_run;

bool run_aborted(void)
{
	return aborted_run;
}

static void progress_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static const char *const phase_names[] = {
	[TDXSIM_VMM_PHASE_BUILD] = "building and measuring the TD",
	[TDXSIM_VMM_PHASE_RUN] = "running",
	[TDXSIM_VMM_PHASE_TEARDOWN] = "checking invariants and tearing down",
	[TDXSIM_VMM_PHASE_DONE] = "done",
};

/*
 * The progress reporter: a task beside the launch that, every ~0.5 s,
 * rewrites one line on stderr from counters the launch updates atomically.
 */
static int progress_fn(void *arg)
{
	struct run_ctx *ctx = arg;
	struct tdxsim_vmm_progress *p = &ctx->progress;
	const char *env = getenv("TDXSIM_PROGRESS_MS");
	unsigned int period = 500;
	bool shown = false;

	/* The refresh period; tests shorten it (TDXSIM_PROGRESS_MS). */
	if (env && atoi(env) >= 10 && atoi(env) <= 10000)
		period = atoi(env);
	for (;;) {
		struct tdxsim_guest_stats st;
		unsigned int i, phase;

		for (i = 0; i < period / 10 && !__atomic_load_n(&(ctx->progress_stop), __ATOMIC_RELAXED);
		     i++)
			progress_sleep_ms(10);
		if (__atomic_load_n(&(ctx->progress_stop), __ATOMIC_RELAXED))
			break;
		phase = __atomic_load_n(&(p->phase), __ATOMIC_RELAXED);
		if (phase > TDXSIM_VMM_PHASE_DONE)
			phase = TDXSIM_VMM_PHASE_DONE;
		fprintf(stderr, "\r\033[K[%.1f s] %s",
			(now_ns() - ctx->t0) / 1e9, phase_names[phase]);
		if (phase == TDXSIM_VMM_PHASE_RUN) {
			fprintf(stderr, ": KVM_RUN %llu, vCPUs done %llu/%u",
				(unsigned long long)__atomic_load_n(&(p->kvm_runs), __ATOMIC_RELAXED),
				(unsigned long long)__atomic_load_n(&(p->vcpus_done), __ATOMIC_RELAXED),
				ctx->cfg.nr_vcpus);
			if (tdxsim_vmm_progress_guest_stats(p, &st))
				fprintf(stderr, "; guest: %llu accepts (4K %llu, 2M %llu, %.0f%% of RAM), %.1f MiB written, %.1f MiB verified",
					(unsigned long long)(st.accepts_4k +
							     st.accepts_2m),
					(unsigned long long)st.accepts_4k,
					(unsigned long long)st.accepts_2m,
					100.0 * (st.accepts_4k +
						 512.0 * st.accepts_2m) * 4096 /
						ctx->cfg.memory,
					st.bytes_written / 1048576.0,
					st.bytes_verified / 1048576.0);
		}
		fflush(stderr);
		shown = true;
	}
	if (shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	return 0;
}

static int run_fn(void *arg)
{
	struct run_ctx *ctx = arg;
	struct tdxsim_thread *reporter = NULL;

	if (ctx->show_progress)
		reporter = tdxsim_thread_create("progress", progress_fn, ctx);
	ctx->ret = tdxsim_vmm_launch(&ctx->cfg, ctx->run, &ctx->res);
	if (reporter) {
		__atomic_store_n(&(ctx->progress_stop), 1, __ATOMIC_RELAXED);
		tdxsim_thread_join(reporter);
	}
	return 0;
}

/* One launch of @ctx->cfg in @o's scheduler mode. Returns 0 or -errno. */
int launch_once(struct run_ctx *ctx)
{
	struct run_opts *o = ctx->o;
	int r;

	/* Never in deterministic mode (it would change the schedule). */
	ctx->show_progress = ctx->run && !o->no_progress &&
			     o->sched.mode == TDXSIM_SCHED_FREE &&
			     isatty(STDERR_FILENO);
	if (ctx->show_progress) {
		tdxsim_vmm_progress_init(&ctx->progress);
		ctx->progress.nr_vcpus = ctx->cfg.nr_vcpus;
		ctx->cfg.progress = &ctx->progress;
	}
	ctx->t0 = now_ns();
	r = tdxsim_sched_run(&o->sched, run_fn, ctx, &ctx->sr);
	ctx->wall_ns = now_ns() - ctx->t0;
	if (ctx->show_progress) {
		ctx->cfg.progress = NULL;
		tdxsim_vmm_progress_destroy(&ctx->progress);
	}
	if (r)
		return r;
	if (ctx->sr.verdict != TDXSIM_VERDICT_OK) {
		/* Free mode: the hung-task watchdog gave up a lock wait. */
		const char *how = o->sched.mode == TDXSIM_SCHED_DETERMINISTIC ?
				  "deterministic run" : "run (hung-task watchdog)";

		fprintf(stderr, "tdxsim run: the %s ended in a %s (seed %llu)\n",
			how, tdxsim_verdict_name(ctx->sr.verdict),
			(unsigned long long)o->sched.seed);
		if (ctx->ret == 0)
			ctx->ret = 1;
		if (!ctx->res.error[0])
			snprintf(ctx->res.error, sizeof(ctx->res.error),
				 "the %s ended in a %s", how,
				 tdxsim_verdict_name(ctx->sr.verdict));
		aborted_run = true;
	}
	return 0;
}
