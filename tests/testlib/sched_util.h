/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Running a test's function under tdxsim's scheduler (src/base/sched.h):
 * the one place the tests configure a run. Deterministic runs take a seed
 * and a strategy; free runs a hung-task timeout. Runs are quiet (the test
 * reads the verdict) unless TDXSIM_TEST_VERBOSE is set in the environment.
 *
 * __sched_run_seed() returns sched_run()'s 0 or -errno; sched_run_seed()
 * asserts the run took place and returns its result (verdict, steps, the
 * function's return value), which the test then checks.
 */
#ifndef TDXSIM_TESTS_TESTLIB_SCHED_UTIL_H
#define TDXSIM_TESTS_TESTLIB_SCHED_UTIL_H

#include "base/sched.h"
#include "testlib/test_util.h"

/* A deterministic run of @fn(@arg) with @seed and @strategy. */
int __sched_run_seed(int (*fn)(void *), void *arg, u64 seed,
		     enum sched_strategy strategy, struct sched_result *res);
struct sched_result sched_run_seed(int (*fn)(void *), void *arg, u64 seed,
				   enum sched_strategy strategy);

/* A free-mode run of @fn(@arg) whose watchdog ends waits after @hang_ms. */
int __sched_run_free(int (*fn)(void *), void *arg, unsigned int hang_ms,
		     struct sched_result *res);
struct sched_result sched_run_free(int (*fn)(void *), void *arg,
				   unsigned int hang_ms);

/*
 * A run of @fn(@arg) in @mode: deterministic with @seed and the default
 * strategy, or free with the default hung-task timeout (@seed unused).
 */
struct sched_result sched_run_mode(int (*fn)(void *), void *arg,
				   enum sched_mode mode, u64 seed);

#endif /* TDXSIM_TESTS_TESTLIB_SCHED_UTIL_H */
