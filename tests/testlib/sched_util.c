// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Test runs under the scheduler (see sched_util.h).
 */
#include <stdlib.h>

#include "testlib/sched_util.h"

static bool verbose(void)
{
	return getenv("TDXSIM_TEST_VERBOSE") != NULL;
}

int __sched_run_seed(int (*fn)(void *), void *arg, u64 seed,
		     enum sched_strategy strategy, struct sched_result *res)
{
	struct sched_config cfg;

	sched_config_init(&cfg);
	cfg.mode = SCHED_MODE_DETERMINISTIC;
	cfg.strategy = strategy;
	cfg.seed = seed;
	cfg.quiet = !verbose();
	return sched_run(&cfg, fn, arg, res);
}

struct sched_result sched_run_seed(int (*fn)(void *), void *arg, u64 seed,
				   enum sched_strategy strategy)
{
	struct sched_result res;
	int r = __sched_run_seed(fn, arg, seed, strategy, &res);

	TEST_ASSERT_OK(r, "sched_run(deterministic, seed %llu, %s)",
		       (unsigned long long)seed,
		       strategy == SCHED_STRATEGY_PCT ? "pct" : "random");
	return res;
}

int __sched_run_free(int (*fn)(void *), void *arg, unsigned int hang_ms,
		     struct sched_result *res)
{
	struct sched_config cfg;

	sched_config_init(&cfg);
	cfg.mode = SCHED_MODE_FREE;
	cfg.hang_timeout_ms = hang_ms;
	cfg.quiet = !verbose();
	return sched_run(&cfg, fn, arg, res);
}

struct sched_result sched_run_free(int (*fn)(void *), void *arg,
				   unsigned int hang_ms)
{
	struct sched_result res;
	int r = __sched_run_free(fn, arg, hang_ms, &res);

	TEST_ASSERT_OK(r, "sched_run(free, hang %u ms)", hang_ms);
	return res;
}

struct sched_result sched_run_mode(int (*fn)(void *), void *arg,
				   enum sched_mode mode, u64 seed)
{
	struct sched_config cfg;

	sched_config_init(&cfg);
	if (mode == SCHED_MODE_DETERMINISTIC)
		return sched_run_seed(fn, arg, seed, cfg.strategy);
	return sched_run_free(fn, arg, cfg.hang_timeout_ms);
}
