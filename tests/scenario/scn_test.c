// SPDX-License-Identifier: GPL-2.0-or-later
/* The scenario tests' shared harness (scn_test.h). */
#include <stdio.h>
#include <string.h>

#include "scn_test.h"
#include "tdxsim/report.h"

const struct tdxsim_scenario *scn_test_get(const char *name)
{
	const struct tdxsim_scenario *s = tdxsim_scenario_find(name);

	assert_non_null(s);
	return s;
}

void scn_test_run_opts(const char *name, const struct tdxsim_scenario_opts *o,
		       struct tdxsim_scenario_result *res)
{
	assert_int_equal(tdxsim_scenario_run(scn_test_get(name), o, res), 0);
	assert_int_equal(res->error, 0);
}

void scn_test_run(const char *name, const char *kernel, const char *design,
		  struct tdxsim_scenario_result *res)
{
	struct tdxsim_scenario_opts o;

	tdxsim_scenario_opts_init(&o);
	o.kernel = kernel;
	o.design = design;
	scn_test_run_opts(name, &o, res);
	print_message("# %s %s: %s\n", name, kernel ? kernel : design,
		      res->summary);
}

u64 scn_test_explore(const char *name, const char *design, u64 n,
		     struct tdxsim_scenario_explore_result *r)
{
	struct tdxsim_scenario_explore_opts o = {
		.first_seed = 1,
		.schedules = n,
		.strategy = TDXSIM_STRATEGY_RANDOM,
		.quiet = true,
	};

	assert_int_equal(tdxsim_scenario_explore(scn_test_get(name), design,
						 &o, r), 0);
	assert_int_equal(r->runs, n);
	print_message("# %s %s: %llu of %llu seeds failed\n", name, design,
		      (unsigned long long)r->failures,
		      (unsigned long long)n);
	return r->failures;
}

void scn_test_explore_clean(const char *name, const char *design)
{
	struct tdxsim_scenario_explore_result r;

	if (scn_test_explore(name, design, SCN_TEST_EXPLORE_CLEAN, &r)) {
		print_message("%s\n", r.first.report);
		tdxsim_scenario_result_free(&r.first);
		fail();
	}
}

void scn_test_both(const char *name, struct tdxsim_scenario_result *b,
		   struct tdxsim_scenario_result *u)
{
	scn_test_run(name, NULL, "upstream", u);
	assert_false(u->failed);
	scn_test_run(name, NULL, "before", b);
	assert_true(b->failed);
}

void scn_test_both_free(struct tdxsim_scenario_result *b,
			struct tdxsim_scenario_result *u)
{
	tdxsim_scenario_result_free(b);
	tdxsim_scenario_result_free(u);
}

void scn_test_explore_race(const char *name, u64 n,
			   struct tdxsim_scenario_explore_result *r)
{
	scn_test_explore_clean(name, "upstream");
	assert_true(scn_test_explore(name, "before", n, r));
}

int scn_test_setup(void **state)
{
	tdxsim_log_set_level(TDXSIM_LOG_INFO);
	return 0;
}

int scn_test_case(int argc, char **argv, const struct CMUnitTest *cases,
		  size_t n, const char *usage)
{
	struct CMUnitTest one[1];
	size_t i;

	if (argc == 3 && !strcmp(argv[1], "case")) {
		for (i = 0; i < n; i++) {
			if (strcmp(cases[i].name + strlen("test_"), argv[2]))
				continue;
			one[0] = cases[i];
			return cmocka_run_group_tests_name("case", one,
							   scn_test_setup,
							   NULL);
		}
	}
	fprintf(stderr, "usage: %s %s\n", argv[0], usage);
	return 2;
}
