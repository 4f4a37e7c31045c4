// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The faults that race a guest_memfd in-place conversion
 * (docs/upstream/series-gmem-inplace.md §5 G2, G3): each scenario fails in
 * the design without the serialization v8 relies on and passes in v8,
 * with the scenario's own seed and over explored seeds.
 *
 *   test_gmem_races case NAME      one test per process (a before-design
 *                                  run leaves a page mapped or referenced
 *                                  against its attribute)
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tdxsim/report.h"
#include "tdxsim/scenario.h"
#include "tdxsim/tdx.h"
#include "ulib/compiler.h"

/* Explored seeds per design (CI budget; 3 to 6 ms each). */
#define EXPLORE_CLEAN	300
#define EXPLORE_RACE	300

static void run(const char *name, const char *kernel, const char *design,
		struct tdxsim_scenario_result *res)
{
	const struct tdxsim_scenario *s = tdxsim_scenario_find(name);
	struct tdxsim_scenario_opts o;

	assert_non_null(s);
	tdxsim_scenario_opts_init(&o);
	o.kernel = kernel;
	o.design = design;
	assert_int_equal(tdxsim_scenario_run(s, &o, res), 0);
	assert_int_equal(res->error, 0);
	print_message("# %s %s: %s\n", name, kernel ? kernel : design,
		      res->summary);
}

/* @n seeds of @name in @design: the failures, the first one in @first. */
static u64 explore(const char *name, const char *design, u64 n,
		   struct tdxsim_scenario_explore_result *r)
{
	const struct tdxsim_scenario *s = tdxsim_scenario_find(name);
	struct tdxsim_scenario_explore_opts o = {
		.first_seed = 1,
		.schedules = n,
		.strategy = TDXSIM_STRATEGY_RANDOM,
		.quiet = true,
	};

	assert_non_null(s);
	assert_int_equal(tdxsim_scenario_explore(s, design, &o, r), 0);
	assert_int_equal(r->runs, n);
	print_message("# %s %s: %llu of %llu seeds failed\n", name, design,
		      (unsigned long long)r->failures,
		      (unsigned long long)n);
	return r->failures;
}

static void explore_clean(const char *name, const char *design)
{
	struct tdxsim_scenario_explore_result r;

	if (explore(name, design, EXPLORE_CLEAN, &r)) {
		print_message("%s\n", r.first.report);
		tdxsim_scenario_result_free(&r.first);
		fail();
	}
}

/*
 * G2: a host fault through the mmap against a to-private conversion. v8
 * checks the attribute under the invalidate lock: the fault meets a
 * private page (SIGBUS) or the conversion meets the fault's reference
 * (EAGAIN, retried). With a fault that takes no invalidate lock
 * (gmem_locking=legacy) the conversion completes between the fault's
 * check and its reference: the host holds a private page.
 */
static void test_hostfault(void **state)
{
	struct tdxsim_scenario_result b, u;
	struct tdxsim_scenario_explore_result r;

	run("gmem-inplace-hostfault", NULL, "upstream", &u);
	assert_false(u.failed);
	assert_int_equal(u.errnos[1], 0);	/* converted in the end */
	assert_int_equal(u.later_errno, 0);

	run("gmem-inplace-hostfault", NULL, "before", &b);
	assert_true(b.failed);
	assert_int_equal(b.design.gmem_locking, TDXSIM_GMEM_LOCKING_LEGACY);
	assert_int_equal(b.errnos[0], 0);	/* the fault: no SIGBUS */
	assert_int_equal(b.errnos[1], 0);	/* the conversion: no EAGAIN */
	assert_false(b.vm_bugged);
	tdxsim_scenario_result_free(&b);
	tdxsim_scenario_result_free(&u);

	explore_clean("gmem-inplace-hostfault", "upstream");
	assert_true(explore("gmem-inplace-hostfault", "before", EXPLORE_RACE,
			    &r));
	tdxsim_scenario_result_free(&r.first);
}

/*
 * G3: a vCPU fault on a private page against its conversion to shared.
 * With mmu_invalidate_retry_gfn() the fault retries and exits to the VMM
 * (or mapped first and was zapped); without it (fault_invalidate_retry=
 * none) the S-EPT maps a page guest_memfd holds shared.
 */
static void test_vcpufault(void **state)
{
	struct tdxsim_scenario_result b, u;
	struct tdxsim_scenario_explore_result r;

	run("gmem-inplace-vcpufault", NULL, "upstream", &u);
	assert_false(u.failed);
	assert_int_equal(u.later_errno, 0);
	assert_false(u.vm_bugged);

	run("gmem-inplace-vcpufault", NULL, "before", &b);
	assert_true(b.failed);
	assert_int_equal(b.design.fault_invalidate_retry, 1);
	assert_int_equal(b.later_errno, EUCLEAN);	/* the invariants */
	assert_int_equal(b.errnos[1], 0);		/* converted */
	assert_false(b.vm_bugged);
	tdxsim_scenario_result_free(&b);
	tdxsim_scenario_result_free(&u);

	explore_clean("gmem-inplace-vcpufault", "upstream");
	assert_true(explore("gmem-inplace-vcpufault", "before", EXPLORE_RACE,
			    &r));
	tdxsim_scenario_result_free(&r.first);
}

static int setup(void **state)
{
	tdxsim_log_set_level(TDXSIM_LOG_INFO);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct CMUnitTest cases[] = {
		cmocka_unit_test(test_hostfault),
		cmocka_unit_test(test_vcpufault),
	};
	struct CMUnitTest one[1];
	size_t i;

	if (argc == 3 && !strcmp(argv[1], "case")) {
		for (i = 0; i < ARRAY_SIZE(cases); i++) {
			if (strcmp(cases[i].name + strlen("test_"), argv[2]))
				continue;
			one[0] = cases[i];
			return cmocka_run_group_tests_name("case", one, setup,
							   NULL);
		}
	}
	fprintf(stderr, "usage: %s case NAME\n", argv[0]);
	return 2;
}
