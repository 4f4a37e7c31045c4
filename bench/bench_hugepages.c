// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A 2M-capable TD (kernel next+hugepage-rfc: guest_memfd with 2M folios
 * and 2M private mappings) against a 4K-only TD (next) in the same run,
 * launched through the VMM exactly as
 * `tdxsim run` does: the ratios (2M-capable / 4K-only) of SEAMCALLs, TD exits
 * (EPT violations), TDH.MEM.PAGE.AUG, modelled TDX hardware time and wall
 * time, per workload. Only ratios against the baseline measured here are
 * printed, so the machine's speed cancels out; nothing is asserted.
 *
 *   bench_hugepages [MEMORY_MIB [VCPUS]]     (default 512 MiB, 2 vCPUs)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tdxsim/profiles.h"
#include "tdxsim/sched.h"
#include "tdxsim/tdx.h"
#include "tdxsim/vmm.h"
#include "ulib/compiler.h"

static u64 bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

#define ROUNDS		3	/* wall time: best of */

struct sample {
	u64 seamcalls;
	u64 ept_violations;
	u64 aug;
	u64 demote;
	u64 accepts_4k;
	u64 accepts_2m;
	u64 kvm_runs;
	u64 model_ns;
	u64 wall_ns;		/* best of ROUNDS */
};

struct launch_ctx {
	struct tdxsim_vmm_config *cfg;
	struct tdxsim_vmm_result res;
	int ret;
};

static int launch_fn(void *arg)
{
	struct launch_ctx *ctx = arg;

	ctx->ret = tdxsim_vmm_launch(ctx->cfg, true, &ctx->res);
	return 0;
}

static void measure(const char *workload, u64 memory, unsigned int vcpus,
		    bool huge, struct sample *s)
{
	struct tdxsim_vmm_config cfg;
	struct tdxsim_sched_config sc;
	unsigned int round, i;

	memset(s, 0, sizeof(*s));
	s->wall_ns = ~0ULL;
	tdxsim_vmm_config_init(&cfg);
	cfg.memory = memory;
	cfg.nr_vcpus = vcpus;
	cfg.workload = workload;
	if (huge)
		tdxsim_vmm_config_set_kernel(&cfg, "next+hugepage-rfc", NULL, 0);
	tdxsim_sched_config_init(&sc);
	for (round = 0; round < ROUNDS; round++) {
		struct launch_ctx ctx = { .cfg = &cfg };
		struct tdxsim_sched_result sr;
		u64 t0 = bench_now_ns(), wall;

		if (tdxsim_sched_run(&sc, launch_fn, &ctx, &sr) || ctx.ret) {
			fprintf(stderr, "bench_hugepages: %s (%s): %s\n",
				workload, huge ? "2M" : "4K",
				ctx.res.error[0] ? ctx.res.error :
						   "the run failed");
			exit(1);
		}
		wall = bench_now_ns() - t0;
		s->wall_ns = min(s->wall_ns, wall);
		/* The counts are the same every round; keep the last. */
		s->seamcalls = 0;
		for (i = 0; i < TDXSIM_NR_LEAVES; i++)
			s->seamcalls += ctx.res.td.seamcalls[i];
		s->ept_violations = ctx.res.td.exits[EXIT_REASON_EPT_VIOLATION];
		s->aug = ctx.res.td.seamcalls[TDH_MEM_PAGE_AUG];
		s->demote = ctx.res.td.seamcalls[TDH_MEM_PAGE_DEMOTE];
		s->accepts_4k = ctx.res.guest.accepts_4k;
		s->accepts_2m = ctx.res.guest.accepts_2m;
		s->model_ns = ctx.res.td.cost_ns;
		s->kvm_runs = 0;
		for (i = 0; i < ctx.res.nr_vcpus; i++)
			s->kvm_runs += ctx.res.vcpu[i].runs;
		tdxsim_vmm_result_free(&ctx.res);
	}
}

static void ratio(const char *what, double a, double b)
{
	if (a > 0)
		printf("  %-34s %12.0f %12.0f   ratio %.4f\n", what, a, b,
		       b / a);
	else
		printf("  %-34s %12.0f %12.0f\n", what, a, b);
}

int main(int argc, char **argv)
{
	static const char *const workloads[] = { "lazy-accept",
						 "eager-accept",
						 "convert-churn", "random" };
	u64 memory = (argc > 1 ? strtoull(argv[1], NULL, 0) : 512) << 20;
	unsigned int vcpus = argc > 2 ? strtoul(argv[2], NULL, 0) : 2;
	unsigned int w;

	if (!memory || memory % SZ_2M || !vcpus) {
		fprintf(stderr, "usage: bench_hugepages [MEMORY_MIB [VCPUS]]\n");
		return 2;
	}
	printf("bench_hugepages: %llu MiB TD, %u vCPUs, built-in firmware; 2M-capable (next+hugepage-rfc) / 4K-only (next)\n",
	       (unsigned long long)(memory >> 20), vcpus);
	for (w = 0; w < ARRAY_SIZE(workloads); w++) {
		struct sample k4, m2;

		measure(workloads[w], memory, vcpus, false, &k4);
		measure(workloads[w], memory, vcpus, true, &m2);
		printf("\n%-36s %12s %12s\n", workloads[w], "4K-only",
		       "2M-capable");
		ratio("SEAMCALLs", k4.seamcalls, m2.seamcalls);
		ratio("TD exits (EPT violations)", k4.ept_violations,
		      m2.ept_violations);
		ratio("TDH.MEM.PAGE.AUG", k4.aug, m2.aug);
		ratio("TDH.MEM.PAGE.DEMOTE", k4.demote, m2.demote);
		ratio("KVM_RUN calls", k4.kvm_runs, m2.kvm_runs);
		ratio("guest accepts at 4K", k4.accepts_4k, m2.accepts_4k);
		ratio("guest accepts at 2M", k4.accepts_2m, m2.accepts_2m);
		printf("  %-34s %12s %12s   ratio %.4f\n",
		       "modelled TDX hardware time", "", "",
		       (double)m2.model_ns / k4.model_ns);
		printf("  %-34s %12s %12s   ratio %.4f\n",
		       "wall time (best of 3)", "", "",
		       (double)m2.wall_ns / k4.wall_ns);
	}
	return 0;
}
