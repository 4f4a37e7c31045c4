// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A test's runs under tdxsim's scheduler (see tdxsim/kvm_util.h): the
 * public tdxsim_sched_run() with a seed, or free with a watchdog.
 */
#include <stdlib.h>

#include "tdxsim/kvm_util.h"

static bool verbose(void)
{
	return getenv("TDXSIM_TEST_VERBOSE") != NULL;
}

int __run_deterministic(int (*fn)(void *), void *arg, uint64_t seed,
			enum tdxsim_sched_strategy strategy,
			struct tdxsim_sched_result *res)
{
	struct tdxsim_sched_config cfg;

	tdxsim_sched_config_deterministic(&cfg, strategy, seed);
	cfg.quiet = !verbose();
	return tdxsim_sched_run(&cfg, fn, arg, res);
}

struct tdxsim_sched_result run_deterministic(int (*fn)(void *), void *arg,
					     uint64_t seed,
					     enum tdxsim_sched_strategy strategy)
{
	struct tdxsim_sched_result res;
	int r = __run_deterministic(fn, arg, seed, strategy, &res);

	TEST_ASSERT_OK(r, "tdxsim_sched_run(deterministic, seed %llu, %s)",
		       (unsigned long long)seed,
		       strategy == TDXSIM_STRATEGY_PCT ? "pct" : "random");
	return res;
}

int __run_free(int (*fn)(void *), void *arg, unsigned int hang_ms,
	       struct tdxsim_sched_result *res)
{
	struct tdxsim_sched_config cfg;

	tdxsim_sched_config_init(&cfg);
	cfg.mode = TDXSIM_SCHED_FREE;
	cfg.hang_timeout_ms = hang_ms;
	cfg.quiet = !verbose();
	return tdxsim_sched_run(&cfg, fn, arg, res);
}

struct tdxsim_sched_result run_free(int (*fn)(void *), void *arg,
				    unsigned int hang_ms)
{
	struct tdxsim_sched_result res;
	int r = __run_free(fn, arg, hang_ms, &res);

	TEST_ASSERT_OK(r, "tdxsim_sched_run(free, hang %u ms)", hang_ms);
	return res;
}
