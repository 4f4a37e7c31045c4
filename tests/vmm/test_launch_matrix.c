// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The VMM's launch path, the workload matrix: every workload x {free,
 * deterministic} x {1, 2, 4} vCPUs on a small TD: guest data checks pass,
 * the guest finishes, the invariant checker passes, the VM is alive,
 * teardown leaves the module owning nothing, no lock-validator report; the
 * same seed replays the same run; the progress counters of a free run.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "launch_util.h"
#include "tdxsim/report.h"

static void config_small(struct tdxsim_vmm_config *cfg, const char *workload,
			 unsigned int vcpus)
{
	tdxsim_vmm_config_init(cfg);
	cfg->memory = 16ULL << 20;
	cfg->nr_vcpus = vcpus;
	cfg->workload = workload;
	if (!strcmp(workload, "convert-churn"))
		cfg->nr_ops = 3;
	else if (!strcmp(workload, "random"))
		cfg->nr_ops = 40;
	else
		cfg->nr_ops = 8;
}

static void check_clean_run(const char *what, int r,
			    const struct tdxsim_vmm_result *res,
			    const struct tdxsim_sched_result *sr)
{
	unsigned int i;

	if (r || sr->verdict != TDXSIM_VERDICT_OK)
		fail_msg("%s: ret %d, verdict %s: %s", what, r,
			 tdxsim_verdict_name(sr->verdict), res->error);
	assert_int_equal(res->guest_data_failures, 0);
	assert_true(res->guest_finished);
	assert_int_equal(res->invariant_errors, 0);
	assert_false(res->vm_dead);
	assert_false(res->livelock);
	assert_int_equal(res->kvm.vm_bugged, 0);
	assert_int_equal(res->pages_owned_after, 0);
	assert_true(res->mrtd_valid);
	assert_true(res->guest.bytes_verified > 0);
	for (i = 0; i < res->nr_vcpus; i++) {
		assert_true(res->vcpu[i].halted);
		assert_int_equal(res->vcpu[i].last_errno, 0);
	}
	if (tdxsim_nr_reports())
		fail_msg("%s: %u lock-validator reports", what,
			 tdxsim_nr_reports());
}

static void test_matrix(void **state)
{
	static const unsigned int vcpus[] = { 1, 2, 4 };
	static const enum tdxsim_sched_mode modes[] = { TDXSIM_SCHED_FREE,
						 TDXSIM_SCHED_DETERMINISTIC };
	const struct tdxsim_guest_workload *wl;
	u64 pamt_before = 0;
	size_t nw, w;
	unsigned int m, c;

	wl = tdxsim_guest_workloads(&nw);
	assert_true(nw >= 4);
	for (w = 0; w < nw; w++)
		for (m = 0; m < ARRAY_SIZE(modes); m++)
			for (c = 0; c < ARRAY_SIZE(vcpus); c++) {
				struct tdxsim_vmm_config cfg;
				struct tdxsim_vmm_result res;
				struct tdxsim_sched_result sr;
				char what[128];
				int r;

				snprintf(what, sizeof(what), "%s %s %u vCPUs",
					 wl[w].name, m ? "deterministic" :
							 "free", vcpus[c]);
				config_small(&cfg, wl[w].name, vcpus[c]);
				cfg.seed = 7 + c;
				r = launch(&cfg, true, modes[m], 7 + c, &res,
					   &sr);
				check_clean_run(what, r, &res, &sr);
				if (w || m || c)
					assert_int_equal(res.pamt_violations,
							 pamt_before);
				pamt_before = res.pamt_violations;
				tdxsim_vmm_result_free(&res);
			}
}

/* Deterministic mode: a seed replays the same run; another seed may not. */
static void test_replay(void **state)
{
	struct tdxsim_vmm_result a, b;
	struct tdxsim_sched_result sa, sb;
	struct tdxsim_vmm_config cfg;

	config_small(&cfg, "convert-churn", 2);
	check_clean_run("replay 1",
			launch(&cfg, true, TDXSIM_SCHED_DETERMINISTIC, 11, &a,
			       &sa), &a, &sa);
	check_clean_run("replay 2",
			launch(&cfg, true, TDXSIM_SCHED_DETERMINISTIC, 11, &b,
			       &sb), &b, &sb);
	assert_int_equal(sa.steps, sb.steps);
	assert_int_equal(sa.switches, sb.switches);
	assert_memory_equal(a.td.seamcalls, b.td.seamcalls,
			    sizeof(a.td.seamcalls));
	assert_memory_equal(a.td.busy, b.td.busy, sizeof(a.td.busy));
	assert_int_equal(a.td.cost_ns, b.td.cost_ns);
	assert_memory_equal(&a.guest, &b.guest, sizeof(a.guest));
	assert_int_equal(a.kvm.faults, b.kvm.faults);
	assert_int_equal(a.kvm.conversions, b.kvm.conversions);
	tdxsim_vmm_result_free(&a);
	tdxsim_vmm_result_free(&b);
}

/* Progress counters (the tdxsim run display) follow a free-mode run. */
static void test_progress(void **state)
{
	struct tdxsim_guest_stats st;
	struct tdxsim_vmm_progress p;
	struct tdxsim_vmm_config cfg;
	struct tdxsim_vmm_result res;
	struct tdxsim_sched_result sr;

	tdxsim_vmm_progress_init(&p);
	assert_false(tdxsim_vmm_progress_guest_stats(&p, &st));
	config_small(&cfg, "lazy-accept", 2);
	cfg.progress = &p;
	check_clean_run("progress", launch(&cfg, true, TDXSIM_SCHED_FREE, 1,
					   &res, &sr), &res, &sr);
	assert_int_equal(p.phase, TDXSIM_VMM_PHASE_DONE);
	assert_int_equal(p.vcpus_done, 2);
	assert_int_equal(p.kvm_runs, res.vcpu[0].runs + res.vcpu[1].runs);
	/* The guest is gone after the launch: no stale pointer. */
	assert_false(tdxsim_vmm_progress_guest_stats(&p, &st));
	assert_int_equal(st.accepts_4k, 0);
	tdxsim_vmm_result_free(&res);
	tdxsim_vmm_progress_destroy(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matrix),
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_progress),
	};

	return cmocka_run_group_tests_name("matrix", tests, NULL, NULL);
}
