// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Bounded exhaustive search (sched_explore()): a lost update found with one
 * preemption and not without; exact schedule counts worked out by hand; an
 * AB-BA deadlock found only once a preemption is allowed; sleep sets cutting
 * the schedules of independent tasks while reaching the same outcomes and
 * finding the same bug; shards that together run exactly the unsharded
 * schedules; and the failing choice list replaying the failure on both back
 * ends.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/atomic.h"
#include "base/lock.h"
#include "base/lockdep.h"
#include "base/sched.h"

#include "sched_test.h"

static struct sched_explore_config xcfg(unsigned int k)
{
	struct sched_explore_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	sched_config_init(&cfg.run);
	cfg.run.quiet = true;
	cfg.preemptions = k;
	return cfg;
}

/* A deterministic run on back end @b following the choice list @replay. */
static struct sched_config replay_cfg(const char *replay, enum sched_backend b)
{
	struct sched_config run = det_cfg(1, SCHED_STRATEGY_REPLAY);

	run.replay = replay;
	run.backend = b;
	return run;
}

/* --- a lost update --------------------------------------------------------- */

static u64 shared;

static int inc_once(void *arg)
{
	u64 v = read_once64(&shared);

	write_once64(&shared, v + 1);
	return 0;
}

static int lost_update_prog(void *arg)
{
	struct task *a, *b;

	shared = 0;
	a = task_create("inc0", inc_once, NULL);
	b = task_create("inc1", inc_once, NULL);
	task_join(a);
	task_join(b);
	return (int)shared;
}

static int lost_update_check(void *arg, const struct sched_result *res)
{
	return res->verdict != SCHED_OK || res->ret != 2;
}

static void test_lost_update_needs_one_preemption(void **state)
{
	struct sched_explore_config cfg = xcfg(0);
	struct sched_explore_result res;

	/* Without preemptions each increment runs whole: no lost update. */
	assert_int_equal(sched_explore(&cfg, lost_update_prog, NULL,
				       lost_update_check, &res), 0);
	assert_false(res.found);
	assert_true(res.exhausted);
	assert_true(res.schedules > 0);
	free(res.failing);

	cfg.preemptions = 1;
	assert_int_equal(sched_explore(&cfg, lost_update_prog, NULL,
				       lost_update_check, &res), 0);
	assert_true(res.found);
	assert_false(res.exhausted);	/* stopped at the failure */
	assert_int_equal(res.bound, 0);
	assert_int_equal(res.failing_preemptions, 1);
	assert_int_equal(res.failing_result.ret, 1);
	assert_non_null(res.failing);
	free(res.failing);
}

/* The failing choice list replays the failure, on either back end. */
static void test_failing_choice_list_replays(void **state)
{
	struct sched_explore_config cfg = xcfg(2);
	struct sched_explore_result res;
	enum sched_backend b;

	assert_int_equal(sched_explore(&cfg, lost_update_prog, NULL,
				       lost_update_check, &res), 0);
	assert_true(res.found);
	for (b = SCHED_BACKEND_FIBER; b <= SCHED_BACKEND_THREAD; b++) {
		struct sched_config run = replay_cfg(res.failing, b);
		struct sched_result sr;

		assert_int_equal(sched_run(&run, lost_update_prog, NULL, &sr),
				 0);
		assert_false(sr.replay_diverged);
		assert_int_equal(sr.ret, 1);
		assert_int_equal(sr.steps, res.failing_result.steps);
		assert_int_equal(sr.preemptions, res.failing_preemptions);
	}
	free(res.failing);
}

/* An empty list is the default schedule; a bad one is reported. */
static void test_replay_default_and_divergence(void **state)
{
	struct sched_config run = replay_cfg("", SCHED_BACKEND_DEFAULT);
	struct sched_result sr;

	assert_int_equal(sched_run(&run, lost_update_prog, NULL, &sr), 0);
	assert_int_equal(sr.ret, 2);
	assert_int_equal(sr.preemptions, 0);
	assert_false(sr.replay_diverged);

	run.replay = "0:7";	/* there is no task 7 */
	assert_int_equal(sched_run(&run, lost_update_prog, NULL, &sr), 0);
	assert_true(sr.replay_diverged);
	run.replay = "5000:1";	/* the run has fewer choice points */
	assert_int_equal(sched_run(&run, lost_update_prog, NULL, &sr), 0);
	assert_true(sr.replay_diverged);
}

/* --- spinners do not starve the task they wait for ----------------------------- */

static u64 spin_flag;

static int spin_until_set(void *arg)
{
	while (!read_once64(&spin_flag))
		cpu_relax();
	return 0;
}

static int set_flag(void *arg)
{
	write_once64(&spin_flag, 1);
	return 0;
}

/*
 * Two tasks spin (cpu_relax()) until the third, created last, sets a flag:
 * a vCPU's fault retry waiting for a hole punch's invalidation. A spin hands
 * the CPU on without costing a preemption; the default pick after it must go
 * round the runnable tasks. When it took the lowest id, the spinners (tasks
 * 1 and 2) handed it to each other and task 3 never ran: a livelock verdict
 * for a wait that ends on hardware (docs/FINDINGS.md, "F7").
 */
static int spinners_prog(void *arg)
{
	struct task *a, *b, *c;

	spin_flag = 0;
	a = task_create("spin0", spin_until_set, NULL);
	b = task_create("spin1", spin_until_set, NULL);
	c = task_create("setter", set_flag, NULL);
	task_join(a);
	task_join(b);
	task_join(c);
	return 0;
}

static void test_spinners_do_not_starve_a_runnable_task(void **state)
{
	struct sched_explore_config cfg = xcfg(0);
	struct sched_explore_result res;
	enum sched_backend b;

	for (b = SCHED_BACKEND_FIBER; b <= SCHED_BACKEND_THREAD; b++) {
		struct sched_config run = replay_cfg("", b);
		struct sched_result sr;

		run.max_steps = 10000;
		assert_int_equal(sched_run(&run, spinners_prog, NULL, &sr), 0);
		assert_int_equal(sr.verdict, SCHED_OK);
		assert_true(sr.steps < 100);
	}
	/* The bounded search's first schedule is that default one. */
	cfg.run.max_steps = 10000;
	cfg.max_schedules = 1;
	assert_int_equal(sched_explore(&cfg, spinners_prog, NULL, NULL, &res),
			 0);
	assert_false(res.found);
	assert_int_equal(res.schedules, 1);
}

/* --- schedule counts by hand --------------------------------------------------- */

static int nothing(void *arg)
{
	return 0;
}

static int two_children(void *arg)
{
	struct task *a = task_create("A", nothing, NULL);
	struct task *b = task_create("B", nothing, NULL);

	task_join(a);
	task_join(b);
	return 0;
}

/*
 * two_children: task 0 creates A (task 1) and B (task 2), each of which
 * returns at once, then joins A and B. Choice points are task 0's two
 * task_create() points (task 0 could go on: picking another task costs a
 * preemption), a join that blocks, and each exit (free choices). The tree,
 * each leaf with its preemptions:
 *
 *   after create(A): {0,1}
 *   |- 0: create(B): {0,1,2}
 *   |   |- 0: join(A) blocks: {1,2}
 *   |   |   |- 1: A exits: {0,2}
 *   |   |   |   |- 0: join(B) blocks, B runs, 0 ends ........ 0
 *   |   |   |   `- 2: B exits, 0 ends ....................... 0
 *   |   |   `- 2: B exits: only 1 (0 waits for A), then 0 ..... 0
 *   |   |- 1 (+1): A exits: {0,2}
 *   |   |   |- 0: join(B) blocks, B, 0 ....................... 1
 *   |   |   `- 2: B exits, 0 ................................ 1
 *   |   `- 2 (+1): B exits: {0,1}
 *   |       |- 0: join(A) blocks, A, 0 ....................... 1
 *   |       `- 1: A exits, 0 ................................ 1
 *   `- 1 (+1): A exits: only 0; create(B): {0,2}
 *       |- 0: join(B) blocks, B, 0 ............................ 1
 *       `- 2 (+1): B exits, 0 ................................. 2
 *
 * So 3 schedules with 0 preemptions, 5 with 1 and 1 with 2: at most K = 0,
 * 1, 2 preemptions there are 3, 8 and 9.
 */
static void test_exact_counts(void **state)
{
	static const u64 expect[] = { 3, 8, 9 };
	unsigned int k;

	for (k = 0; k < ARRAY_SIZE(expect); k++) {
		struct sched_explore_config cfg = xcfg(k);
		struct sched_explore_result res;

		assert_int_equal(sched_explore(&cfg, two_children, NULL, NULL,
					       &res), 0);
		assert_false(res.found);
		assert_true(res.exhausted);
		assert_false(res.nondeterministic);
		assert_int_equal(res.bound, (int)k);
		assert_int_equal(res.schedules, expect[k]);
		/* Iterating K = 0..k re-runs the smaller bounds' schedules. */
		assert_true(res.runs >= res.schedules);
		free(res.failing);

		/* Without iterating, the same schedules in one pass. */
		cfg.no_iterative = true;
		assert_int_equal(sched_explore(&cfg, two_children, NULL, NULL,
					       &res), 0);
		assert_int_equal(res.schedules, expect[k]);
		assert_int_equal(res.runs, expect[k]);
		free(res.failing);
	}
}

/* --- AB-BA ------------------------------------------------------------------------ */

static struct mutex ma, mb;

static int take_ab(void *arg)
{
	mutex_lock(&ma);
	mutex_lock(&mb);
	mutex_unlock(&mb);
	mutex_unlock(&ma);
	return 0;
}

static int take_ba(void *arg)
{
	mutex_lock(&mb);
	mutex_lock(&ma);
	mutex_unlock(&ma);
	mutex_unlock(&mb);
	return 0;
}

static int abba_prog(void *arg)
{
	struct task *a, *b;

	mutex_init(&ma);
	mutex_init(&mb);
	lockdep_reset();
	a = task_create("ab", take_ab, NULL);
	b = task_create("ba", take_ba, NULL);
	task_join(a);
	task_join(b);
	return 0;
}

/* The deadlock needs a preemption between the two acquisitions. */
static void test_abba_deadlock_at_one_preemption(void **state)
{
	struct sched_explore_config cfg = xcfg(0);
	struct sched_explore_result res;

	assert_int_equal(sched_explore(&cfg, abba_prog, NULL, NULL, &res), 0);
	assert_false(res.found);
	assert_true(res.exhausted);
	free(res.failing);

	cfg.preemptions = 1;
	assert_int_equal(sched_explore(&cfg, abba_prog, NULL, NULL, &res), 0);
	assert_true(res.found);
	assert_int_equal(res.failing_result.verdict, SCHED_DEADLOCK);
	free(res.failing);
}

/* --- sleep sets ---------------------------------------------------------------------- */

/*
 * Three tasks: two increment a shared counter (a lost update needs one
 * preemption), and each task also works on a word of its own, which
 * commutes with everything the others do.
 */
static u64 own[3];

static int worker(void *arg)
{
	unsigned int me = (uintptr_t)arg;
	u64 v;
	int i;

	for (i = 0; i < 2; i++)
		write_once64(&own[me], read_once64(&own[me]) + 1);
	if (me < 2) {
		v = read_once64(&shared);
		write_once64(&shared, v + 1);
	}
	write_once64(&own[me], read_once64(&own[me]) + 1);
	return 0;
}

static int workers_prog(void *arg)
{
	struct task *t[3];
	unsigned int i;

	shared = 0;
	memset(own, 0, sizeof(own));
	for (i = 0; i < 3; i++)
		t[i] = task_create("worker", worker, (void *)(uintptr_t)i);
	for (i = 0; i < 3; i++)
		task_join(t[i]);
	return (int)shared;
}

/* Outcomes seen (*@arg, if not NULL): bit (ret) for each final counter. */
static int record_outcome(void *arg, const struct sched_result *res)
{
	if (arg)
		*(unsigned int *)arg |= 1U << res->ret;
	return 0;
}

/*
 * @prog explored as @cfg says without sleep sets (@check seeing @plain_arg)
 * into @plain, then with them (@slept_arg) into @slept.
 */
static void explore_plain_and_slept(struct sched_explore_config cfg,
				    int (*prog)(void *),
				    int (*check)(void *,
						 const struct sched_result *),
				    void *plain_arg, void *slept_arg,
				    struct sched_explore_result *plain,
				    struct sched_explore_result *slept)
{
	cfg.sleep_sets = false;
	assert_int_equal(sched_explore(&cfg, prog, plain_arg, check, plain), 0);
	cfg.sleep_sets = true;
	assert_int_equal(sched_explore(&cfg, prog, slept_arg, check, slept), 0);
}

static void test_sleep_sets_cut_independent_steps(void **state)
{
	unsigned int k;

	for (k = 0; k <= 2; k++) {
		struct sched_explore_result plain, slept;
		unsigned int seen_plain = 0, seen_slept = 0;

		explore_plain_and_slept(xcfg(k), workers_prog, record_outcome,
					&seen_plain, &seen_slept, &plain,
					&slept);
		assert_true(plain.exhausted);
		assert_true(slept.exhausted);
		assert_int_equal(seen_slept, seen_plain);
		/* 13 / 401 / 7670 schedules without sleep sets */
		if (k > 0)
			assert_true(slept.schedules * 2 < plain.schedules);
		free(plain.failing);
		free(slept.failing);
	}
	/* The lost update shows at K = 1 either way, and not at K = 0. */
	for (k = 0; k <= 1; k++) {
		struct sched_explore_config cfg = xcfg(0);
		struct sched_explore_result res;

		cfg.sleep_sets = k;
		assert_int_equal(sched_explore(&cfg, workers_prog, NULL,
					       lost_update_check, &res), 0);
		assert_false(res.found);
		free(res.failing);
		cfg.preemptions = 1;
		assert_int_equal(sched_explore(&cfg, workers_prog, NULL,
					       lost_update_check, &res), 0);
		assert_true(res.found);
		assert_int_equal(res.failing_preemptions, 1);
		free(res.failing);
	}
}

/*
 * Sleep sets only skip schedules equivalent to one already run: three tasks
 * each touch two of three words in a ring (and one spins once), so steps
 * commute or not depending on the word. Two schedules are equivalent when
 * every word sees the same sequence of accesses; the set of these sequences
 * reached at K = 0, 1, 2 must be the same with and without sleep sets.
 * (Putting a task to sleep whenever its step commutes, ignoring the
 * preemptions that moving it costs, loses some of them at every K.)
 */
#define RING	3
static u64 ring_var[RING];
static u64 ring_log[RING];

static int ring_worker(void *arg)
{
	unsigned int me = (uintptr_t)arg, i;

	for (i = 0; i < 3; i++) {
		unsigned int o = (me + i) % RING;

		if (i & 1)
			(void)read_once64(&ring_var[o]);
		write_once64(&ring_var[o], ring_var[o] + 1);
		ring_log[o] = ring_log[o] * 1000003 + me * 100 + i;
		if (i == 1 && me == 0)
			cpu_relax();
	}
	return 0;
}

static int ring_prog(void *arg)
{
	struct task *t[3];
	unsigned int i;

	memset(ring_var, 0, sizeof(ring_var));
	memset(ring_log, 0, sizeof(ring_log));
	for (i = 0; i < 3; i++)
		t[i] = task_create("ring", ring_worker, (void *)(uintptr_t)i);
	for (i = 0; i < 3; i++)
		task_join(t[i]);
	return 0;
}

/* The same ring with each word behind a mutex (blocking, wake-ups). */
static struct mutex ring_lock[RING];

static int ring_locked_worker(void *arg)
{
	unsigned int me = (uintptr_t)arg, i;

	for (i = 0; i < 2; i++) {
		unsigned int o = (me + i) % RING;

		mutex_lock(&ring_lock[o]);
		ring_var[o]++;
		ring_log[o] = ring_log[o] * 1000003 + me * 100 + i;
		mutex_unlock(&ring_lock[o]);
	}
	return 0;
}

static int ring_locked_prog(void *arg)
{
	struct task *t[3];
	unsigned int i;

	memset(ring_var, 0, sizeof(ring_var));
	memset(ring_log, 0, sizeof(ring_log));
	for (i = 0; i < RING; i++)
		mutex_init(&ring_lock[i]);
	for (i = 0; i < 3; i++)
		t[i] = task_create("ring", ring_locked_worker,
				   (void *)(uintptr_t)i);
	for (i = 0; i < 3; i++)
		task_join(t[i]);
	return 0;
}

struct sigset {
	u64 *sig;
	size_t n, cap;
};

static int record_signature(void *arg, const struct sched_result *res)
{
	struct sigset *set = arg;
	u64 h = 0;
	unsigned int o;

	for (o = 0; o < RING; o++)
		h = h * 0x9e3779b97f4a7c15ULL + ring_log[o];
	if (set->n == set->cap) {
		set->cap = set->cap ? set->cap * 2 : 1024;
		set->sig = realloc(set->sig, set->cap * sizeof(u64));
	}
	set->sig[set->n++] = h;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static void sigset_unique(struct sigset *set)
{
	size_t i, j = 0;

	qsort(set->sig, set->n, sizeof(u64), cmp_u64);
	for (i = 0; i < set->n; i++)
		if (!j || set->sig[j - 1] != set->sig[i])
			set->sig[j++] = set->sig[i];
	set->n = j;
}

static void test_sleep_sets_reach_every_class(void **state)
{
	static const size_t classes[2][3] = { { 8, 40, 60 }, { 6, 7, 7 } };
	unsigned int k, locked;

	for (locked = 0; locked <= 1; locked++)
	for (k = 0; k <= 2; k++) {
		int (*prog)(void *) = locked ? ring_locked_prog : ring_prog;
		struct sched_explore_config cfg = xcfg(k);
		struct sched_explore_result plain, slept;
		struct sigset a = { 0 }, b = { 0 };

		cfg.keep_going = true;
		explore_plain_and_slept(cfg, prog, record_signature, &a, &b,
					&plain, &slept);
		sigset_unique(&a);
		sigset_unique(&b);
		assert_int_equal(a.n, classes[locked][k]);
		assert_int_equal(b.n, a.n);
		assert_memory_equal(a.sig, b.sig, a.n * sizeof(u64));
		if (k > 0)
			assert_true(slept.schedules < plain.schedules);
		free(a.sig);
		free(b.sig);
		free(plain.failing);
		free(slept.failing);
	}
}

/* --- shards ----------------------------------------------------------------------------- */

static void test_shards_cover_the_single_run(void **state)
{
	static const unsigned int nr[] = { 2, 3, 5 };
	struct sched_explore_config cfg = xcfg(2);
	struct sched_explore_result whole;
	unsigned int i, s, depth;

	assert_int_equal(sched_explore(&cfg, workers_prog, NULL,
				       record_outcome, &whole), 0);
	assert_true(whole.exhausted);
	free(whole.failing);
	for (depth = 1; depth <= 6; depth += 5) {
		for (i = 0; i < ARRAY_SIZE(nr); i++) {
			u64 sum = 0;
			unsigned int busy = 0;

			for (s = 0; s < nr[i]; s++) {
				struct sched_explore_result part;

				cfg.nr_shards = nr[i];
				cfg.shard = s;
				cfg.shard_depth = depth;
				assert_int_equal(sched_explore(&cfg,
							       workers_prog,
							       NULL,
							       record_outcome,
							       &part), 0);
				assert_true(part.exhausted);
				sum += part.schedules;
				busy += part.schedules > 0;
				free(part.failing);
			}
			assert_int_equal(sum, whole.schedules);
			/* The work is spread, not left to one shard. */
			assert_true(busy > 1);
		}
	}
	/* Schedules that end above the cut are dealt out too. */
	for (depth = 1; depth <= 4; depth++) {
		for (i = 0; i < 2; i++) {
			u64 sum = 0;

			for (s = 0; s < nr[i]; s++) {
				struct sched_explore_config c2 = xcfg(2);
				struct sched_explore_result part;

				c2.nr_shards = nr[i];
				c2.shard = s;
				c2.shard_depth = depth;
				assert_int_equal(sched_explore(&c2,
							       two_children,
							       NULL, NULL,
							       &part), 0);
				sum += part.schedules;
				free(part.failing);
			}
			assert_int_equal(sum, 9);
		}
	}
	cfg.nr_shards = 3;
	cfg.shard = 3;
	assert_int_equal(sched_explore(&cfg, workers_prog, NULL, NULL, &whole),
			 -EINVAL);
}

/* --- footprint names --------------------------------------------------------------- */

/*
 * Three workers each take two locks that the run allocates on the heap, and
 * work on a word of their own under each. With @heap_shift the locks sit one
 * cache line further in every run, as a heap's reuse may place them. A
 * sleep-set search must count the same schedules either way: footprints name
 * a lock created in the run by its class and creation index, not by its
 * address (which would make steps on the same lock look independent in the
 * next run, and the count depend on malloc).
 */
struct two_locks {
	struct mutex a, b;
};

static bool heap_shift;
static unsigned int heap_runs;

static int lock_worker(void *arg)
{
	struct two_locks *l = arg;
	unsigned int me = task_id(current_task()) % 3;

	mutex_lock(&l->a);
	write_once64(&own[me], read_once64(&own[me]) + 1);
	mutex_unlock(&l->a);
	mutex_lock(&l->b);
	write_once64(&own[me], read_once64(&own[me]) + 1);
	mutex_unlock(&l->b);
	return 0;
}

static int heap_locks_prog(void *arg)
{
	size_t pad = heap_shift ? 64 * (heap_runs++ % 16) : 0;
	char *blk = calloc(1, pad + sizeof(struct two_locks));
	struct two_locks *l = (struct two_locks *)(blk + pad);
	struct task *t[3];
	unsigned int i;

	assert_non_null(blk);
	memset(own, 0, sizeof(own));
	mutex_init(&l->a);
	mutex_init(&l->b);
	for (i = 0; i < 3; i++)
		t[i] = task_create("lock-worker", lock_worker, l);
	for (i = 0; i < 3; i++)
		task_join(t[i]);
	mutex_destroy(&l->a);
	mutex_destroy(&l->b);
	free(blk);
	return 0;
}

static void test_sleep_sets_name_heap_objects_stably(void **state)
{
	unsigned int k;

	for (k = 1; k <= 2; k++) {
		struct sched_explore_config cfg = xcfg(k);
		struct sched_explore_result still, moving;

		cfg.sleep_sets = true;
		heap_shift = false;
		assert_int_equal(sched_explore(&cfg, heap_locks_prog, NULL,
					       NULL, &still), 0);
		heap_shift = true;
		heap_runs = 0;
		assert_int_equal(sched_explore(&cfg, heap_locks_prog, NULL,
					       NULL, &moving), 0);
		assert_true(still.exhausted);
		assert_true(moving.exhausted);
		assert_int_equal(moving.schedules, still.schedules);
		free(still.failing);
		free(moving.failing);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lost_update_needs_one_preemption, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failing_choice_list_replays, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replay_default_and_divergence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spinners_do_not_starve_a_runnable_task, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exact_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abba_deadlock_at_one_preemption, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sleep_sets_cut_independent_steps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sleep_sets_reach_every_class, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shards_cover_the_single_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sleep_sets_name_heap_objects_stably, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
