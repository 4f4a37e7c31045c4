/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the scenario tests share (test_scenario.c, test_{dpamt,huge,gmem}
 * _races.c): their includes, a run that must complete, a scenario run in
 * both its designs, explorations from seed 1, and the "case NAME" main of
 * one test per process.
 */
#ifndef TDXSIM_TESTS_SCN_TEST_H
#define TDXSIM_TESTS_SCN_TEST_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tdxsim/scenario.h"
#include "tdxsim/tdx.h"
#include "ulib/compiler.h"

/* Seeds a design without the race explores clean (CI budget). */
#define SCN_TEST_EXPLORE_CLEAN	300

/* The scenario called @name; the test fails if there is none. */
const struct tdxsim_scenario *scn_test_get(const char *name);
/* Run @name with @o into @res; the test fails unless the run completed. */
void scn_test_run_opts(const char *name, const struct tdxsim_scenario_opts *o,
		       struct tdxsim_scenario_result *res);
/* Run @name in @kernel or @design with its own seed; print its summary. */
void scn_test_run(const char *name, const char *kernel, const char *design,
		  struct tdxsim_scenario_result *res);
/* @n random seeds of @name in @design: the failures, the first in @r. */
u64 scn_test_explore(const char *name, const char *design, u64 n,
		     struct tdxsim_scenario_explore_result *r);
/* SCN_TEST_EXPLORE_CLEAN seeds of @name in @design, none failing. */
void scn_test_explore_clean(const char *name, const char *design);
/*
 * @name with its own seed, upstream into @u (which must pass), then before
 * into @b (which must fail); each summary printed.
 */
void scn_test_both(const char *name, struct tdxsim_scenario_result *b,
		   struct tdxsim_scenario_result *u);
/* Free what scn_test_both() kept. */
void scn_test_both_free(struct tdxsim_scenario_result *b,
			struct tdxsim_scenario_result *u);
/*
 * SCN_TEST_EXPLORE_CLEAN seeds of @name upstream, none failing; @n seeds
 * before, at least one failing, the first in @r (free r->first).
 */
void scn_test_explore_race(const char *name, u64 n,
			   struct tdxsim_scenario_explore_result *r);
/* The group setup: reports to the scenario's capture, the TAP clean. */
int scn_test_setup(void **state);
/*
 * main() for "PROGRAM case NAME": run test_NAME of @cases[@n] alone (a
 * before-design run may leave a bugged VM or freed pages behind); else
 * print "usage: PROGRAM @usage" and return 2.
 */
int scn_test_case(int argc, char **argv, const struct CMUnitTest *cases,
		  size_t n, const char *usage);

#endif /* TDXSIM_TESTS_SCN_TEST_H */
