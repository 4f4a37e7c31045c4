/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the scheduler's tests share: lockdep quiet and reset around each
 * test, the back end the deterministic runs use, and BOTH(), which runs a
 * test on fibers and on pthreads. Included by one test program each.
 */
#ifndef TDXSIM_TESTS_BASE_SCHED_TEST_H
#define TDXSIM_TESTS_BASE_SCHED_TEST_H

static inline int setup(void **state)
{
	lockdep_reset();
	lockdep_set_quiet(true);
	return 0;
}

static inline int teardown(void **state)
{
	lockdep_set_quiet(false);
	lockdep_reset();
	return 0;
}

/* The back end the deterministic tests run on (see BOTH_BACKENDS). */
static enum sched_backend backend = SCHED_BACKEND_FIBER;

static inline struct sched_config det_cfg(u64 seed, enum sched_strategy strategy)
{
	struct sched_config cfg;

	sched_config_init(&cfg);
	cfg.backend = backend;
	cfg.mode = SCHED_MODE_DETERMINISTIC;
	cfg.strategy = strategy;
	cfg.seed = seed;
	cfg.quiet = true;
	return cfg;
}

static inline void expect_backend(const struct sched_result *res)
{
	assert_int_equal(res->backend, backend);
}

#define BOTH_BACKENDS(fn)						\
	static void fn##_fiber(void **state)				\
	{								\
		backend = SCHED_BACKEND_FIBER;				\
		fn(state);						\
	}								\
	static void fn##_thread(void **state)				\
	{								\
		backend = SCHED_BACKEND_THREAD;				\
		fn(state);						\
		backend = SCHED_BACKEND_FIBER;				\
	}


#define BOTH(fn)							\
	cmocka_unit_test_setup_teardown(fn##_fiber, setup, teardown),	\
	cmocka_unit_test_setup_teardown(fn##_thread, setup, teardown)

#endif /* TDXSIM_TESTS_BASE_SCHED_TEST_H */
