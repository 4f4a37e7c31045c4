// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The deterministic scheduler: real deadlocks found and reported without
 * hanging, races that show for some seeds and not others, exact replay of a
 * seed, both strategies, the livelock bound, hangs on wait queues; and free
 * mode running tasks in parallel. Every deterministic test runs on both back
 * ends (fibers and pthreads), and the back ends give the same trace for a
 * seed. Fibers keep their own errno, floating-point control words,
 * task-local storage and RCU read-side sections.
 */
#include <errno.h>
#include <fenv.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/atomic.h"
#include "base/lock.h"
#include "base/lockdep.h"
#include "base/rcu.h"
#include "base/sched.h"

#include "sched_test.h"

/*
 * Tasks @na running @fa(@aa) and @nb running @fb(@ab), both joined: @fa's
 * value, @fb's in @rb (if not NULL).
 */
static int run_two(const char *na, int (*fa)(void *), void *aa,
		   const char *nb, int (*fb)(void *), void *ab, int *rb)
{
	struct task *a = task_create(na, fa, aa);
	struct task *b = task_create(nb, fb, ab);
	int ra = task_join(a), r = task_join(b);

	if (rb)
		*rb = r;
	return ra;
}

/* --- AB-BA for real ------------------------------------------------------- */

struct abba {
	struct mutex a;
	struct mutex b;
};

static struct abba *abba;

static int lock_a_then_b(void *arg)
{
	mutex_lock(&abba->a);
	sched_point();
	mutex_lock(&abba->b);
	mutex_unlock(&abba->b);
	mutex_unlock(&abba->a);
	return 0;
}

static int lock_b_then_a(void *arg)
{
	mutex_lock(&abba->b);
	sched_point();
	mutex_lock(&abba->a);
	mutex_unlock(&abba->a);
	mutex_unlock(&abba->b);
	return 0;
}

static int abba_run(void *arg)
{
	run_two("cpu0", lock_a_then_b, NULL, "cpu1", lock_b_then_a, NULL,
		NULL);
	return 0;
}

static void test_det_abba_deadlock_found_and_reported(void **state)
{
	struct abba locks;
	struct sched_result res;
	int seed, deadlocks = 0, clean = 0, first_dead = -1;
	const struct lockdep_report *r;
	unsigned int i;

	abba = &locks;
	for (seed = 1; seed <= 100; seed++) {
		struct sched_config cfg = det_cfg(seed, SCHED_STRATEGY_RANDOM);

		mutex_init(&locks.a);
		mutex_init(&locks.b);
		lockdep_reset();
		assert_int_equal(sched_run(&cfg, abba_run, NULL, &res), 0);
		if (res.verdict == SCHED_DEADLOCK) {
			deadlocks++;
			if (first_dead < 0)
				first_dead = seed;
		} else {
			assert_int_equal(res.verdict, SCHED_OK);
			clean++;
		}
		if (seed == first_dead) {
			/* The validator saw the cycle before it happened... */
			assert_int_equal(lockdep_count_reports(LOCKDEP_CIRCULAR,
							       NULL), 1);
			/* ...and the scheduler the deadlock itself. */
			assert_int_equal(lockdep_count_reports(LOCKDEP_DEADLOCK,
							       NULL), 1);
			for (i = 0; (r = lockdep_get_report(i)); i++)
				if (r->kind == LOCKDEP_DEADLOCK)
					break;
			assert_non_null(r);
			assert_non_null(strstr(r->text, "BUG: deadlock detected"));
			assert_non_null(strstr(r->text, "cpu0/"));
			assert_non_null(strstr(r->text, "cpu1/"));
			assert_non_null(strstr(r->text, "blocked on lock &locks.a"));
			assert_non_null(strstr(r->text, "blocked on lock &locks.b"));
			assert_non_null(strstr(r->text, "1 lock held by cpu0/"));
			assert_non_null(strstr(r->text, "1 lock held by cpu1/"));
			assert_non_null(strstr(r->text, "seed"));
		}
		mutex_destroy(&locks.a);
		mutex_destroy(&locks.b);
	}
	assert_true(deadlocks > 0);
	assert_true(clean > 0);
}

/* --- lost update ------------------------------------------------------------ */

static u64 counter;
#define INCS	4

static int incrementer(void *arg)
{
	int i;

	for (i = 0; i < INCS; i++) {
		u64 v = read_once64(&counter);

		write_once64(&counter, v + 1);
	}
	return 0;
}

static int two_incrementers(void *arg)
{
	run_two("inc0", incrementer, NULL, "inc1", incrementer, NULL, NULL);
	return (int)counter;
}

static int lost_update_result(u64 seed, enum sched_strategy s,
			      struct sched_trace_entry **trace, size_t *len)
{
	struct sched_config cfg = det_cfg(seed, s);
	struct sched_result res;
	const struct sched_trace_entry *t;

	cfg.record_trace = trace != NULL;
	/* PCT draws its change points over the expected run length. */
	cfg.pct_steps = 40;
	counter = 0;
	assert_int_equal(sched_run(&cfg, two_incrementers, NULL, &res), 0);
	assert_int_equal(res.verdict, SCHED_OK);
	if (trace) {
		t = sched_trace(len);
		*trace = malloc(*len * sizeof(**trace));
		memcpy(*trace, t, *len * sizeof(**trace));
	}
	return res.ret;
}

static void lost_update_with(enum sched_strategy s)
{
	int seed, lost = 0, kept = 0, bad_seed = -1, r1, r2;
	struct sched_trace_entry *t1, *t2;
	size_t l1, l2;

	for (seed = 1; seed <= 60; seed++) {
		int v = lost_update_result(seed, s, NULL, NULL);

		assert_true(v >= INCS && v <= 2 * INCS);
		if (v < 2 * INCS) {
			lost++;
			if (bad_seed < 0)
				bad_seed = seed;
		} else {
			kept++;
		}
	}
	assert_true(lost > 0);
	assert_true(kept > 0);

	/* The failing seed replays identically. */
	r1 = lost_update_result(bad_seed, s, &t1, &l1);
	r2 = lost_update_result(bad_seed, s, &t2, &l2);
	assert_true(r1 < 2 * INCS);
	assert_int_equal(r1, r2);
	assert_true(l1 > 2 * INCS);
	assert_int_equal(l1, l2);
	assert_memory_equal(t1, t2, l1 * sizeof(*t1));
	free(t1);
	free(t2);
}

static void test_lost_update_random(void **state)
{
	lost_update_with(SCHED_STRATEGY_RANDOM);
}

static void test_lost_update_pct(void **state)
{
	lost_update_with(SCHED_STRATEGY_PCT);
}

/* Different seeds give different interleavings. */
static void test_seeds_differ(void **state)
{
	struct sched_trace_entry *t1, *t2;
	size_t l1, l2;
	bool differ;

	lost_update_result(1, SCHED_STRATEGY_RANDOM, &t1, &l1);
	lost_update_result(2, SCHED_STRATEGY_RANDOM, &t2, &l2);
	differ = l1 != l2 || memcmp(t1, t2, l1 * sizeof(*t1));
	assert_true(differ);
	free(t1);
	free(t2);
}

/* --- named wait points ------------------------------------------------------ */

static u64 held_counter;

static int inc_with_point(void *arg)
{
	u64 v = read_once64(&held_counter);

	sched_point_named("inc_between");
	write_once64(&held_counter, v + 1);
	return 0;
}

/*
 * The lost update scripted: inc0 waits between its read and its write
 * while inc1 increments, whatever the seed picks. -1: a hold call failed.
 */
static int held_lost_update(void *arg)
{
	struct task *a, *b;

	held_counter = 0;
	if (sched_hold("inc_between") ||
	    sched_hold("inc_between") != -EEXIST)
		return -1;
	a = task_create("inc0", inc_with_point, NULL);
	while (!sched_held("inc_between"))
		cpu_relax();
	/* inc1 passes the point too: the hold has its task already. */
	b = task_create("inc1", inc_with_point, NULL);
	task_join(b);
	if (read_once64(&held_counter) != 1 || !sched_held("inc_between"))
		return -1;
	sched_release("inc_between");
	task_join(a);
	return (int)held_counter;
}

static int arm_only(void *arg)
{
	return sched_hold("inc_between");
}

static void test_named_wait_point(void **state)
{
	enum sched_strategy s;
	int seed;

	assert_int_equal(sched_hold("inc_between"), -EINVAL);
	for (s = SCHED_STRATEGY_RANDOM; s <= SCHED_STRATEGY_PCT; s++) {
		for (seed = 1; seed <= 20; seed++) {
			struct sched_config cfg = det_cfg(seed, s);
			struct sched_result res;

			assert_int_equal(sched_run(&cfg, held_lost_update,
						   NULL, &res), 0);
			assert_int_equal(res.verdict, SCHED_OK);
			assert_int_equal(res.ret, 1);
		}
	}
	/* Holds end with the run: an armed one holds no task of the next. */
	{
		struct sched_config cfg = det_cfg(1, SCHED_STRATEGY_RANDOM);
		struct sched_result res;

		cfg.max_steps = 5000;
		assert_int_equal(sched_run(&cfg, arm_only, NULL, &res), 0);
		assert_int_equal(res.ret, 0);
		assert_int_equal(sched_run(&cfg, inc_with_point, NULL, &res),
				 0);
		assert_int_equal(res.verdict, SCHED_OK);
	}
}

/* --- livelock --------------------------------------------------------------- */

static u64 flag;

static int spinner(void *arg)
{
	while (!read_once64(&flag))
		cpu_relax();
	return 0;
}

static int two_spinners(void *arg)
{
	run_two("spin0", spinner, NULL, "spin1", spinner, NULL, NULL);
	return 0;
}

static void test_step_bound_stops_livelock(void **state)
{
	enum sched_strategy s;

	for (s = SCHED_STRATEGY_RANDOM; s <= SCHED_STRATEGY_PCT; s++) {
		struct sched_config cfg = det_cfg(7, s);
		struct sched_result res;

		cfg.max_steps = 5000;
		flag = 0;
		lockdep_reset();
		assert_int_equal(sched_run(&cfg, two_spinners, NULL, &res), 0);
		assert_int_equal(res.verdict, SCHED_LIVELOCK);
		assert_true(res.steps >= 5000);
		assert_int_equal(lockdep_count_reports(LOCKDEP_LIVELOCK, NULL),
				 1);
		assert_int_equal(sched_nr_tasks(), 0);
	}
}

/* --- wait queues -------------------------------------------------------------- */

static struct wait_queue_head wq;
static int produced;

static int consumer(void *arg)
{
	int err = wait_event_killable(wq, READ_ONCE(produced) == 3);

	return err ? err : READ_ONCE(produced);
}

static int producer(void *arg)
{
	int i;

	for (i = 0; i < 3; i++) {
		sched_point();
		WRITE_ONCE(produced, produced + 1);
		wake_up(&wq);
	}
	return 0;
}

static int producer_consumer(void *arg)
{
	return run_two("consumer", consumer, NULL, "producer", producer, NULL,
		       NULL);
}

static void test_wait_queue_det(void **state)
{
	int seed;

	for (seed = 1; seed <= 20; seed++) {
		struct sched_config cfg = det_cfg(seed, SCHED_STRATEGY_RANDOM);
		struct sched_result res;

		init_waitqueue_head(&wq);
		produced = 0;
		assert_int_equal(sched_run(&cfg, producer_consumer, NULL, &res),
				 0);
		assert_int_equal(res.verdict, SCHED_OK);
		assert_int_equal(res.ret, 3);
		destroy_waitqueue_head(&wq);
	}
}

static int never_woken(void *arg)
{
	return wait_event_killable(wq, READ_ONCE(produced) == 42);
}

static void test_hang_detected_det(void **state)
{
	struct sched_config cfg = det_cfg(3, SCHED_STRATEGY_RANDOM);
	struct sched_result res;
	const struct lockdep_report *r;

	init_waitqueue_head(&wq);
	produced = 0;
	assert_int_equal(sched_run(&cfg, never_woken, NULL, &res), 0);
	assert_int_equal(res.verdict, SCHED_HANG);
	assert_int_equal(lockdep_count_reports(LOCKDEP_HANG, NULL), 1);
	r = lockdep_get_report(0);
	assert_non_null(strstr(r->text, "READ_ONCE(produced) == 42"));
	destroy_waitqueue_head(&wq);
}

static void test_hang_watchdog_free(void **state)
{
	struct sched_config cfg;
	struct sched_result res;

	sched_config_init(&cfg);
	cfg.hang_timeout_ms = 200;
	init_waitqueue_head(&wq);
	produced = 0;
	assert_int_equal(sched_run(&cfg, never_woken, NULL, &res), 0);
	assert_int_equal(res.verdict, SCHED_OK);
	assert_int_equal(res.ret, -EINTR);
	assert_int_equal(lockdep_count_reports(LOCKDEP_HANG, NULL), 1);
	destroy_waitqueue_head(&wq);
}

/*
 * Free mode: two threads hand a turn back and forth, each waiting on the
 * queue for its turn. wake_up() skips the queue when no waiter is counted;
 * a wake-up lost that way leaves a thread waiting until the watchdog gives
 * up (-EINTR). Afterwards no waiter is counted.
 */
#define PINGPONG_ROUNDS	1000
static int turn;

static int pingpong(void *arg)
{
	int me = (int)(long)arg, i, err;

	for (i = 0; i < PINGPONG_ROUNDS; i++) {
		err = wait_event_killable(wq, READ_ONCE(turn) == me);
		if (err)
			return err;
		WRITE_ONCE(turn, !me);
		wake_up(&wq);
	}
	return 0;
}

static int pingpong_pair(void *arg)
{
	int rb, ra = run_two("ping", pingpong, (void *)0L, "pong", pingpong,
			     (void *)1L, &rb);

	return ra ? ra : rb;
}

static void test_wait_queue_free(void **state)
{
	struct sched_config cfg;
	struct sched_result res;

	sched_config_init(&cfg);
	cfg.hang_timeout_ms = 10000;
	init_waitqueue_head(&wq);
	turn = 0;
	assert_int_equal(sched_run(&cfg, pingpong_pair, NULL, &res), 0);
	assert_int_equal(res.verdict, SCHED_OK);
	assert_int_equal(res.ret, 0);
	assert_int_equal(lockdep_count_reports(LOCKDEP_HANG, NULL), 0);
	assert_int_equal(wq.waiters, 0);
	destroy_waitqueue_head(&wq);
}

/* --- rwlock reader behind a waiting writer ---------------------------------- */

static rwlock_t rw;

static int reader_twice(void *arg)
{
	read_lock(&rw);
	sched_point();
	sched_point();
	read_lock(&rw);		/* deadlocks if a writer queued in between */
	read_unlock(&rw);
	read_unlock(&rw);
	return 0;
}

static int writer(void *arg)
{
	write_lock(&rw);
	write_unlock(&rw);
	return 0;
}

static int reader_writer(void *arg)
{
	run_two("reader", reader_twice, NULL, "writer", writer, NULL, NULL);
	return 0;
}

static void test_recursive_read_deadlocks_behind_writer(void **state)
{
	int seed, dead = 0, ok = 0;

	for (seed = 1; seed <= 60; seed++) {
		struct sched_config cfg = det_cfg(seed, SCHED_STRATEGY_RANDOM);
		struct sched_result res;

		rwlock_init(&rw);
		lockdep_reset();
		assert_int_equal(sched_run(&cfg, reader_writer, NULL, &res), 0);
		if (res.verdict == SCHED_DEADLOCK)
			dead++;
		else
			ok++;
		/* lockdep warns whatever the interleaving. */
		assert_int_equal(lockdep_count_reports(LOCKDEP_RECURSIVE,
						       "&rw"), 1);
		rwlock_destroy(&rw);
	}
	assert_true(dead > 0);
	assert_true(ok > 0);
}

/* --- free mode ------------------------------------------------------------------- */

static struct mutex free_m;
static u64 free_total;

static int free_worker(void *arg)
{
	int i;

	for (i = 0; i < 10000; i++) {
		mutex_lock(&free_m);
		free_total++;
		mutex_unlock(&free_m);
	}
	return 0;
}

static int free_run(void *arg)
{
	struct task *t[4];
	int i;

	for (i = 0; i < 4; i++)
		t[i] = task_create("worker", free_worker, NULL);
	for (i = 0; i < 4; i++)
		task_join(t[i]);
	return 0;
}

static void test_free_mode_parallel(void **state)
{
	struct sched_config cfg;
	struct sched_result res;

	sched_config_init(&cfg);
	mutex_init(&free_m);
	free_total = 0;
	assert_int_equal(sched_run(&cfg, free_run, NULL, &res), 0);
	assert_int_equal(res.verdict, SCHED_OK);
	assert_int_equal(free_total, 40000);
	assert_int_equal(res.steps, 0);
	assert_int_equal(lockdep_nr_reports(), 0);
	mutex_destroy(&free_m);
}

/* --- SRCU and RCU in deterministic mode --------------------------------------------- */

static struct srcu_struct srcu;
static u64 srcu_phase;

static int srcu_reader(void *arg)
{
	int idx = srcu_read_lock(&srcu);

	write_once64(&srcu_phase, 1);
	sched_point();
	sched_point();
	write_once64(&srcu_phase, 2);
	srcu_read_unlock(&srcu, idx);
	return 0;
}

static int srcu_syncer(void *arg)
{
	while (read_once64(&srcu_phase) == 0)
		cpu_relax();
	synchronize_srcu(&srcu);
	/* The reader that was inside has left. */
	return read_once64(&srcu_phase) == 2 ? 0 : -1;
}

static int srcu_run(void *arg)
{
	int ret;

	run_two("reader", srcu_reader, NULL, "syncer", srcu_syncer, NULL, &ret);
	return ret;
}

static void test_srcu_det(void **state)
{
	int seed;

	for (seed = 1; seed <= 20; seed++) {
		struct sched_config cfg = det_cfg(seed, SCHED_STRATEGY_PCT);
		struct sched_result res;

		init_srcu_struct(&srcu);
		srcu_phase = 0;
		assert_int_equal(sched_run(&cfg, srcu_run, NULL, &res), 0);
		assert_int_equal(res.verdict, SCHED_OK);
		assert_int_equal(res.ret, 0);
		cleanup_srcu_struct(&srcu);
	}
}

static u64 rcu_phase;

static int rcu_reader(void *arg)
{
	rcu_read_lock();
	write_once64(&rcu_phase, 1);
	sched_point();
	sched_point();
	write_once64(&rcu_phase, 2);
	rcu_read_unlock();
	return 0;
}

static int rcu_syncer(void *arg)
{
	while (read_once64(&rcu_phase) == 0)
		cpu_relax();
	synchronize_rcu();
	return read_once64(&rcu_phase) == 2 ? 0 : -1;
}

static int rcu_run(void *arg)
{
	int ret;

	run_two("reader", rcu_reader, NULL, "syncer", rcu_syncer, NULL, &ret);
	return ret;
}

static void test_synchronize_rcu_det(void **state)
{
	int seed;

	for (seed = 1; seed <= 20; seed++) {
		struct sched_config cfg = det_cfg(seed, SCHED_STRATEGY_RANDOM);
		struct sched_result res;

		rcu_phase = 0;
		assert_int_equal(sched_run(&cfg, rcu_run, NULL, &res), 0);
		assert_int_equal(res.verdict, SCHED_OK);
		assert_int_equal(res.ret, 0);
	}
}

/* --- the two back ends ------------------------------------------------------------ */

/* A seed gives the same trace, result and counts on fibers and on pthreads. */
static void test_backends_replay_identically(void **state)
{
	enum sched_strategy s;
	int seed;

	for (s = SCHED_STRATEGY_RANDOM; s <= SCHED_STRATEGY_PCT; s++) {
		for (seed = 1; seed <= 10; seed++) {
			struct sched_trace_entry *t[2];
			size_t len[2];
			int r[2], i;

			for (i = 0; i < 2; i++) {
				backend = i ? SCHED_BACKEND_THREAD :
					      SCHED_BACKEND_FIBER;
				r[i] = lost_update_result(seed, s, &t[i],
							  &len[i]);
			}
			assert_int_equal(r[0], r[1]);
			assert_int_equal(len[0], len[1]);
			assert_memory_equal(t[0], t[1], len[0] * sizeof(*t[0]));
			free(t[0]);
			free(t[1]);
		}
	}
	/* Deadlocks too: same verdict, steps and switches for each seed. */
	for (seed = 1; seed <= 30; seed++) {
		struct sched_result res[2];
		struct abba locks;
		int i;

		abba = &locks;
		for (i = 0; i < 2; i++) {
			struct sched_config cfg;

			backend = i ? SCHED_BACKEND_THREAD : SCHED_BACKEND_FIBER;
			cfg = det_cfg(seed, SCHED_STRATEGY_RANDOM);
			mutex_init(&locks.a);
			mutex_init(&locks.b);
			lockdep_reset();
			assert_int_equal(sched_run(&cfg, abba_run, NULL, &res[i]),
					 0);
			expect_backend(&res[i]);
			mutex_destroy(&locks.a);
			mutex_destroy(&locks.b);
		}
		assert_int_equal(res[0].verdict, res[1].verdict);
		assert_int_equal(res[0].steps, res[1].steps);
		assert_int_equal(res[0].switches, res[1].switches);
	}
	backend = SCHED_BACKEND_FIBER;
}

/* TDXSIM_SCHED_BACKEND picks the back end of runs that leave it to default. */
static void test_backend_environment(void **state)
{
	struct sched_config cfg = det_cfg(1, SCHED_STRATEGY_RANDOM);
	struct sched_result res;

	cfg.backend = SCHED_BACKEND_DEFAULT;
	setenv("TDXSIM_SCHED_BACKEND", "thread", 1);
	counter = 0;
	assert_int_equal(sched_run(&cfg, two_incrementers, NULL, &res), 0);
	assert_int_equal(res.backend, SCHED_BACKEND_THREAD);
	setenv("TDXSIM_SCHED_BACKEND", "fiber", 1);
	counter = 0;
	assert_int_equal(sched_run(&cfg, two_incrementers, NULL, &res), 0);
	assert_int_equal(res.backend, SCHED_BACKEND_FIBER);
	unsetenv("TDXSIM_SCHED_BACKEND");
	assert_string_equal(sched_backend_name(SCHED_BACKEND_DEFAULT), "fiber");
}

BOTH_BACKENDS(test_det_abba_deadlock_found_and_reported)
BOTH_BACKENDS(test_lost_update_random)
BOTH_BACKENDS(test_lost_update_pct)
BOTH_BACKENDS(test_seeds_differ)
BOTH_BACKENDS(test_step_bound_stops_livelock)
BOTH_BACKENDS(test_named_wait_point)
BOTH_BACKENDS(test_wait_queue_det)
BOTH_BACKENDS(test_hang_detected_det)
BOTH_BACKENDS(test_recursive_read_deadlocks_behind_writer)
BOTH_BACKENDS(test_srcu_det)
BOTH_BACKENDS(test_synchronize_rcu_det)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_det_abba_deadlock_found_and_reported),
		BOTH(test_lost_update_random),
		BOTH(test_lost_update_pct),
		BOTH(test_seeds_differ),
		BOTH(test_step_bound_stops_livelock),
		BOTH(test_named_wait_point),
		BOTH(test_wait_queue_det),
		BOTH(test_hang_detected_det),
		cmocka_unit_test_setup_teardown(test_hang_watchdog_free, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_queue_free, setup, teardown),
		BOTH(test_recursive_read_deadlocks_behind_writer),
		cmocka_unit_test_setup_teardown(test_free_mode_parallel, setup, teardown),
		BOTH(test_srcu_det),
		BOTH(test_synchronize_rcu_det),
		cmocka_unit_test_setup_teardown(test_backends_replay_identically, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backend_environment, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
