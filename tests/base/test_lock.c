// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The lock primitives in free mode: the hung-task watchdog on lock waits.
 * A task blocked in a lock acquisition for longer than the run's
 * hang_timeout_ms is reported with the locks it holds, and the run ends
 * with a verdict (deadlock when the task holds the lock itself, hang
 * otherwise) and unwinds instead of hanging; a killable acquisition
 * returns -EINTR instead.
 *
 * And the primitives' own correctness under contention in free mode (one
 * atomic word per lock, sleepers woken only when they said so): writers
 * exclude everyone, readers exclude writers, a waiting writer holds new
 * readers back, and SRCU's lock-free readers are waited for by every grace
 * period that starts after them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/atomic.h"
#include "base/lock.h"
#include "base/lockdep.h"
#include "base/sched.h"

#define HANG_MS	200

static int setup(void **state)
{
	lockdep_reset();
	lockdep_set_quiet(true);
	return 0;
}

static int teardown(void **state)
{
	lockdep_set_quiet(false);
	lockdep_reset();
	return 0;
}

static struct sched_config free_cfg(void)
{
	struct sched_config cfg;

	sched_config_init(&cfg);
	cfg.hang_timeout_ms = HANG_MS;
	cfg.quiet = true;
	return cfg;
}

static const struct lockdep_report *last_report(enum lockdep_report_kind k)
{
	const struct lockdep_report *r, *found = NULL;
	unsigned int i;

	for (i = 0; (r = lockdep_get_report(i)); i++)
		if (r->kind == k)
			found = r;
	return found;
}

static struct mutex m;
static int reached;

/* gmem_locking=inflight in miniature: a lock the task already holds. */
static int take_twice(void *arg)
{
	mutex_lock(&m);
	mutex_lock(&m);
	reached = 1;		/* never */
	return 0;
}

static void test_self_deadlock_unwinds(void **state)
{
	struct sched_config cfg = free_cfg();
	struct sched_result res;
	const struct lockdep_report *r;

	mutex_init(&m);
	reached = 0;
	assert_int_equal(sched_run(&cfg, take_twice, NULL, &res), 0);
	assert_int_equal(res.verdict, SCHED_DEADLOCK);
	assert_int_equal(res.ret, -EDEADLK);
	assert_int_equal(reached, 0);
	/* lockdep's recursion report, then the watchdog's. */
	assert_int_equal(lockdep_count_reports(LOCKDEP_RECURSIVE, "&m"), 1);
	assert_int_equal(lockdep_count_reports(LOCKDEP_HANG, "&m"), 1);
	r = last_report(LOCKDEP_HANG);
	assert_non_null(strstr(r->text, "blocked for more than 200 ms"));
	assert_non_null(strstr(r->text, "waiting to take &m for write"));
	assert_non_null(strstr(r->text, "which the task holds itself"));
	assert_non_null(strstr(r->text, "1 lock held by run/"));
	/* The unwound task still holds m; nobody uses it again. */
}

/* A spinlock_t waiter spins instead of sleeping: the same watchdog. */
static spinlock_t sl;

static int spin_twice(void *arg)
{
	spin_lock(&sl);
	spin_lock(&sl);
	reached = 1;		/* never */
	return 0;
}

static void test_spinlock_self_deadlock_unwinds(void **state)
{
	struct sched_config cfg = free_cfg();
	struct sched_result res;

	spin_lock_init(&sl);
	reached = 0;
	assert_int_equal(sched_run(&cfg, spin_twice, NULL, &res), 0);
	assert_int_equal(res.verdict, SCHED_DEADLOCK);
	assert_int_equal(reached, 0);
	assert_int_equal(lockdep_count_reports(LOCKDEP_HANG, "&sl"), 1);
	assert_non_null(strstr(last_report(LOCKDEP_HANG)->text,
			       "which the task holds itself"));
}

static int take_m(void *arg)
{
	mutex_lock(&m);
	reached = 1;		/* never: the run's task holds m */
	mutex_unlock(&m);
	return 0;
}

/* The run's first task holds m and waits for a task blocked on m. */
static int hold_and_join(void *arg)
{
	struct task *t;

	mutex_lock(&m);
	t = task_create("waiter", take_m, NULL);
	task_join(t);
	mutex_unlock(&m);
	return 7;
}

static void test_blocked_on_another_task(void **state)
{
	struct sched_config cfg = free_cfg();
	struct sched_result res;
	const struct lockdep_report *r;

	mutex_init(&m);
	reached = 0;
	assert_int_equal(sched_run(&cfg, hold_and_join, NULL, &res), 0);
	assert_int_equal(res.verdict, SCHED_HANG);
	assert_int_equal(res.ret, 7);
	assert_int_equal(reached, 0);
	assert_int_equal(lockdep_count_reports(LOCKDEP_HANG, "&m"), 1);
	r = last_report(LOCKDEP_HANG);
	assert_non_null(strstr(r->text, "INFO: task waiter/"));
	assert_null(strstr(r->text, "which the task holds itself"));
	assert_non_null(strstr(r->text, "no locks held by waiter/"));
	/* The holder: the run's task, in task_join(), not in a tdxsim wait. */
	assert_non_null(strstr(r->text, "held for write by run/"));
	assert_non_null(strstr(r->text, "which is running"));
	assert_false(mutex_is_locked(&m));
	mutex_destroy(&m);
}

/*
 * The holder of the lock a task waits for is itself asleep on another
 * lock: the report says on which (issue 12's unexplained invalidate_lock
 * waits, docs/FINDINGS.md). The holder starts its wait well after the
 * waiter, so the waiter's watchdog fires first.
 */
static struct mutex m_b;
static int holder_has_m, waiter_started;

static int holder(void *arg)
{
	mutex_lock(&m);
	__atomic_store_n(&holder_has_m, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&waiter_started, __ATOMIC_ACQUIRE))
		usleep(1000);
	usleep(300 * 1000);
	mutex_lock(&m_b);	/* held by the run's task: never */
	mutex_unlock(&m_b);
	mutex_unlock(&m);
	return 0;
}

static int waiter(void *arg)
{
	__atomic_store_n(&waiter_started, 1, __ATOMIC_RELEASE);
	mutex_lock(&m);		/* held by holder: never */
	reached = 1;
	mutex_unlock(&m);
	return 0;
}

static int hold_b_and_join(void *arg)
{
	struct task *h, *w;

	mutex_lock(&m_b);
	h = task_create("holder", holder, NULL);
	while (!__atomic_load_n(&holder_has_m, __ATOMIC_ACQUIRE))
		usleep(1000);
	w = task_create("waiter", waiter, NULL);
	task_join(w);
	task_join(h);
	mutex_unlock(&m_b);
	return 0;
}

static void test_holder_waiting_is_named(void **state)
{
	struct sched_config cfg = free_cfg();
	struct sched_result res;
	const struct lockdep_report *r;

	cfg.hang_timeout_ms = 2000;
	mutex_init(&m);
	mutex_init(&m_b);
	reached = holder_has_m = waiter_started = 0;
	assert_int_equal(sched_run(&cfg, hold_b_and_join, NULL, &res), 0);
	assert_int_equal(res.verdict, SCHED_HANG);
	assert_int_equal(reached, 0);
	assert_int_equal(lockdep_count_reports(LOCKDEP_HANG, "&m"), 1);
	r = last_report(LOCKDEP_HANG);
	assert_non_null(strstr(r->text, "INFO: task waiter/"));
	assert_non_null(strstr(r->text, "held for write by holder/"));
	assert_non_null(strstr(r->text, "itself waiting on &m_b for "));
}

/*
 * A reader holds an rw_semaphore for five watchdog periods in a loop that
 * passes schedule points (a long fallocate() under a sanitizer on a loaded
 * machine: issue 12, docs/FINDINGS.md): the writer waiting for it is slow,
 * not hung. The same hold without schedule points is a hang, and so is a
 * holder whose loop never ends (after WATCHDOG_MAX_PERIODS).
 */
static struct rw_semaphore slow_sem;
static int slow_resched, slow_forever, writer_got;
/*
 * The period of the slow cases: long enough that the reader, sleeping 1
 * ms between its schedule points, passes one in every period even on a
 * loaded machine (a test run by the train); it holds the lock 3 periods.
 */
#define SLOW_MS	1000
static unsigned int slow_ms = HANG_MS;

static int slow_reader(void *arg)
{
	int i;

	down_read(&slow_sem);
	__atomic_store_n(&holder_has_m, 1, __ATOMIC_RELEASE);
	for (i = 0; slow_forever ? !lockdep_count_reports(LOCKDEP_HANG, NULL) :
				   i < 3 * (int)slow_ms; i++) {
		usleep(1000);
		if (slow_resched)
			cond_resched();
	}
	up_read(&slow_sem);
	return 0;
}

static int slow_writer(void *arg)
{
	down_write(&slow_sem);
	writer_got = 1;
	up_write(&slow_sem);
	return 0;
}

static int slow_hold_run(void *arg)
{
	struct task *r, *w;

	r = task_create("reader", slow_reader, NULL);
	while (!__atomic_load_n(&holder_has_m, __ATOMIC_ACQUIRE))
		usleep(1000);
	w = task_create("writer", slow_writer, NULL);
	task_join(w);
	task_join(r);
	return 0;
}

static enum sched_verdict slow_hold(int resched, int forever,
				   unsigned int ms)
{
	struct sched_config cfg = free_cfg();
	struct sched_result res;

	cfg.hang_timeout_ms = slow_ms = ms;

	init_rwsem(&slow_sem);
	holder_has_m = writer_got = 0;
	slow_resched = resched;
	slow_forever = forever;
	assert_int_equal(sched_run(&cfg, slow_hold_run, NULL, &res), 0);
	return res.verdict;
}

static void test_slow_holder_is_no_hang(void **state)
{
	assert_int_equal(slow_hold(1, 0, SLOW_MS), SCHED_OK);
	assert_int_equal(writer_got, 1);
	assert_int_equal(lockdep_count_reports(LOCKDEP_HANG, NULL), 0);
}

static void test_holder_without_progress_hangs(void **state)
{
	assert_int_equal(slow_hold(0, 0, HANG_MS), SCHED_HANG);
	assert_int_equal(writer_got, 0);
	assert_int_equal(lockdep_count_reports(LOCKDEP_HANG, "&slow_sem"), 1);
}

static void test_endless_holder_hangs_at_last(void **state)
{
	assert_int_equal(slow_hold(1, 1, HANG_MS), SCHED_HANG);
	assert_int_equal(writer_got, 0);
	assert_int_equal(lockdep_count_reports(LOCKDEP_HANG, "&slow_sem"), 1);
}

/*
 * A chain: the waiter wants m, whose holder waits for the slow reader's
 * rw_semaphore (seen in uapi_seq: slots_lock held by a memslot change
 * waiting for the invalidate_lock a long fallocate() held). Slow too.
 */
static int chain_holder(void *arg)
{
	mutex_lock(&m);
	__atomic_store_n(&waiter_started, 1, __ATOMIC_RELEASE);
	down_write(&slow_sem);
	up_write(&slow_sem);
	mutex_unlock(&m);
	return 0;
}

static int chain_waiter(void *arg)
{
	mutex_lock(&m);
	writer_got = 1;
	mutex_unlock(&m);
	return 0;
}

static int chain_run(void *arg)
{
	struct task *r, *h, *w;

	r = task_create("reader", slow_reader, NULL);
	while (!__atomic_load_n(&holder_has_m, __ATOMIC_ACQUIRE))
		usleep(1000);
	h = task_create("holder", chain_holder, NULL);
	while (!__atomic_load_n(&waiter_started, __ATOMIC_ACQUIRE))
		usleep(1000);
	w = task_create("waiter", chain_waiter, NULL);
	task_join(w);
	task_join(h);
	task_join(r);
	return 0;
}

static void test_chain_to_slow_holder_is_no_hang(void **state)
{
	struct sched_config cfg = free_cfg();
	struct sched_result res;

	cfg.hang_timeout_ms = slow_ms = SLOW_MS;
	init_rwsem(&slow_sem);
	mutex_init(&m);
	holder_has_m = writer_got = waiter_started = 0;
	slow_resched = 1;
	slow_forever = 0;
	assert_int_equal(sched_run(&cfg, chain_run, NULL, &res), 0);
	assert_int_equal(res.verdict, SCHED_OK);
	assert_int_equal(writer_got, 1);
	assert_int_equal(lockdep_count_reports(LOCKDEP_HANG, NULL), 0);
}

static int killable_ret;

static int take_m_killable(void *arg)
{
	killable_ret = mutex_lock_killable(&m);
	if (!killable_ret)
		mutex_unlock(&m);
	return 0;
}

static int hold_and_join_killable(void *arg)
{
	mutex_lock(&m);
	task_join(task_create("killable", take_m_killable, NULL));
	mutex_unlock(&m);
	/* The lock still works for the others. */
	task_join(task_create("killable", take_m_killable, NULL));
	return 0;
}

/* A killable wait that the watchdog gives up returns -EINTR; the run goes on. */
static void test_killable_returns_eintr(void **state)
{
	struct sched_config cfg = free_cfg();
	struct sched_result res;

	mutex_init(&m);
	assert_int_equal(sched_run(&cfg, hold_and_join_killable, NULL, &res),
			 0);
	assert_int_equal(res.verdict, SCHED_OK);
	assert_int_equal(killable_ret, 0);	/* the second one got it */
	assert_int_equal(lockdep_count_reports(LOCKDEP_HANG, "&m"), 1);
	assert_false(mutex_is_locked(&m));
	mutex_destroy(&m);
}

/*
 * A reader that takes its read lock again while a writer waits: each
 * waits for the other. Whichever watchdog fires first ends the run, and
 * the other wait gives up with it, so the run returns.
 */
static rwlock_t rw;

static int rw_writer(void *arg)
{
	write_lock(&rw);
	write_unlock(&rw);
	return 0;
}

static int rw_reader_twice(void *arg)
{
	struct task *w;

	read_lock(&rw);
	w = task_create("writer", rw_writer, NULL);
	while (!rwlock_needbreak(&rw))
		usleep(1000);
	read_lock(&rw);		/* behind the queued writer */
	read_unlock(&rw);
	read_unlock(&rw);
	task_join(w);
	return 0;
}

static void test_reader_behind_writer_ends(void **state)
{
	struct sched_config cfg = free_cfg();
	struct sched_result res;

	rwlock_init(&rw);
	assert_int_equal(sched_run(&cfg, rw_reader_twice, NULL, &res), 0);
	assert_true(res.verdict == SCHED_DEADLOCK ||
		    res.verdict == SCHED_HANG);
	assert_int_equal(lockdep_count_reports(LOCKDEP_RECURSIVE, "&rw"), 1);
	/*
	 * A watchdog report; the other waiter left with the run, unless its
	 * own watchdog fired in the same moment (both waited as long).
	 */
	assert_in_range(lockdep_count_reports(LOCKDEP_HANG, "&rw"), 1, 2);
}

/* --- contention ------------------------------------------------------------------ */

#define NR_THREADS	4
#define ROUNDS		20000

static rwlock_t c_rw;
static spinlock_t c_spin;
static struct mutex c_mutex;
static struct rw_semaphore c_sem;
static u64 c_a, c_b;		/* equal whenever nobody holds the write side */
static u64 c_spin_count, c_mutex_count, c_sem_count;
static int c_torn;		/* a reader saw a half-done write */
static int c_writing;		/* a writer is inside */
static int c_reading;		/* readers inside */
static int c_spin_inside, c_mutex_inside;	/* holders */

/* Hold the lock a little while, so overlaps would show. */
static void c_dwell(void)
{
	int i;

	for (i = 0; i < 50; i++)
		__builtin_ia32_pause();
}

static int rw_worker(void *arg)
{
	long id = (long)arg;
	int i;

	for (i = 0; i < ROUNDS; i++) {
		if ((i + id) % 4 == 0) {
			write_lock(&c_rw);
			__atomic_store_n(&c_writing, 1, __ATOMIC_RELAXED);
			if (__atomic_load_n(&c_reading, __ATOMIC_RELAXED))
				__atomic_store_n(&c_torn, 1, __ATOMIC_RELAXED);
			WRITE_ONCE(c_a, c_a + 1);
			c_dwell();
			WRITE_ONCE(c_b, c_b + 1);
			__atomic_store_n(&c_writing, 0, __ATOMIC_RELAXED);
			write_unlock(&c_rw);
		} else {
			read_lock(&c_rw);
			__atomic_add_fetch(&c_reading, 1, __ATOMIC_RELAXED);
			if (READ_ONCE(c_a) != READ_ONCE(c_b) ||
			    __atomic_load_n(&c_writing, __ATOMIC_RELAXED))
				__atomic_store_n(&c_torn, 1, __ATOMIC_RELAXED);
			c_dwell();
			__atomic_sub_fetch(&c_reading, 1, __ATOMIC_RELAXED);
			read_unlock(&c_rw);
		}
		if (i % 2) {
			down_write(&c_sem);
			c_sem_count++;
			up_write(&c_sem);
		} else {
			down_read(&c_sem);
			(void)READ_ONCE(c_sem_count);
			up_read(&c_sem);
		}
		spin_lock(&c_spin);
		if (__atomic_add_fetch(&c_spin_inside, 1, __ATOMIC_RELAXED) != 1)
			__atomic_store_n(&c_torn, 3, __ATOMIC_RELAXED);
		c_spin_count++;
		__atomic_sub_fetch(&c_spin_inside, 1, __ATOMIC_RELAXED);
		spin_unlock(&c_spin);
		mutex_lock(&c_mutex);
		if (__atomic_add_fetch(&c_mutex_inside, 1, __ATOMIC_RELAXED) != 1)
			__atomic_store_n(&c_torn, 4, __ATOMIC_RELAXED);
		c_mutex_count++;
		__atomic_sub_fetch(&c_mutex_inside, 1, __ATOMIC_RELAXED);
		mutex_unlock(&c_mutex);
	}
	return 0;
}

static int contention_run(void *arg)
{
	struct task *t[NR_THREADS];
	long i;

	for (i = 0; i < NR_THREADS; i++)
		t[i] = task_create("worker", rw_worker, (void *)i);
	for (i = 0; i < NR_THREADS; i++)
		task_join(t[i]);
	return 0;
}

static void run_contention(bool lockdep)
{
	struct sched_config cfg;
	struct sched_result res;

	sched_config_init(&cfg);
	c_a = c_b = c_spin_count = c_mutex_count = c_sem_count = 0;
	c_torn = 0;
	lockdep_set_enabled(lockdep);
	assert_int_equal(sched_run(&cfg, contention_run, NULL, &res), 0);
	lockdep_set_enabled(true);
	assert_int_equal(res.verdict, SCHED_OK);
	assert_int_equal(c_torn, 0);
	assert_int_equal(c_a, c_b);
	assert_int_equal(c_a, NR_THREADS * ROUNDS / 4);
	assert_int_equal(c_spin_count, NR_THREADS * ROUNDS);
	assert_int_equal(c_mutex_count, NR_THREADS * ROUNDS);
	assert_int_equal(c_sem_count, NR_THREADS * ROUNDS / 2);
	assert_false(mutex_is_locked(&c_mutex));
	assert_false(rwlock_needbreak(&c_rw));
	assert_int_equal(lockdep_nr_reports(), 0);
}

static void test_contention_free_mode(void **state)
{
	rwlock_init(&c_rw);
	spin_lock_init(&c_spin);
	mutex_init(&c_mutex);
	init_rwsem(&c_sem);
	run_contention(true);
	run_contention(false);
	rwlock_destroy(&c_rw);
	spin_lock_destroy(&c_spin);
	mutex_destroy(&c_mutex);
	rwsem_destroy(&c_sem);
}

/*
 * Deterministic mode: a waiter blocks in the scheduler and only a release
 * that saw its sleeper bit makes it runnable again. A lost wake-up would be
 * a false DEADLOCK verdict; every seed must end OK.
 */
static int det_worker(void *arg)
{
	long id = (long)arg;
	int i;

	for (i = 0; i < 20; i++) {
		if ((i + id) % 3 == 0) {
			write_lock(&c_rw);
			c_a++;
			sched_point();
			c_b++;
			write_unlock(&c_rw);
		} else {
			read_lock(&c_rw);
			if (c_a != c_b)
				c_torn = 1;
			sched_point();
			read_unlock(&c_rw);
		}
		mutex_lock(&c_mutex);
		sched_point();
		c_mutex_count++;
		mutex_unlock(&c_mutex);
		down_read(&c_sem);
		sched_point();
		up_read(&c_sem);
		down_write(&c_sem);
		c_sem_count++;
		up_write(&c_sem);
	}
	return 0;
}

static int det_run(void *arg)
{
	struct task *t[3];
	long i;

	for (i = 0; i < 3; i++)
		t[i] = task_create("worker", det_worker, (void *)i);
	for (i = 0; i < 3; i++)
		task_join(t[i]);
	return 0;
}

static void test_no_lost_wakeup_det(void **state)
{
	u64 seed;

	rwlock_init(&c_rw);
	mutex_init(&c_mutex);
	init_rwsem(&c_sem);
	for (seed = 1; seed <= 40; seed++) {
		struct sched_config cfg;
		struct sched_result res;

		sched_config_init(&cfg);
		cfg.mode = SCHED_MODE_DETERMINISTIC;
		cfg.strategy = seed % 2 ? SCHED_STRATEGY_RANDOM :
					  SCHED_STRATEGY_PCT;
		cfg.seed = seed;
		cfg.quiet = true;
		c_a = c_b = c_mutex_count = c_sem_count = 0;
		c_torn = 0;
		assert_int_equal(sched_run(&cfg, det_run, NULL, &res), 0);
		assert_int_equal(res.verdict, SCHED_OK);
		assert_int_equal(c_torn, 0);
		assert_int_equal(c_mutex_count, 60);
		assert_int_equal(c_sem_count, 60);
	}
	assert_int_equal(lockdep_nr_reports(), 0);
	rwlock_destroy(&c_rw);
	mutex_destroy(&c_mutex);
	rwsem_destroy(&c_sem);
}

/* A writer that waits keeps new readers out until it has had the lock. */
static rwlock_t q_rw;
static int q_writer_done;

static int q_writer(void *arg)
{
	write_lock(&q_rw);
	__atomic_store_n(&q_writer_done, 1, __ATOMIC_RELAXED);
	write_unlock(&q_rw);
	return 0;
}

static int q_reader(void *arg)
{
	read_lock(&q_rw);
	/* Let in only after the queued writer. */
	int done = __atomic_load_n(&q_writer_done, __ATOMIC_RELAXED);
	read_unlock(&q_rw);
	return done;
}

static void test_waiting_writer_holds_readers_back(void **state)
{
	struct task *w, *r;

	rwlock_init(&q_rw);
	q_writer_done = 0;
	read_lock(&q_rw);
	w = task_create("writer", q_writer, NULL);
	while (!rwlock_needbreak(&q_rw))
		usleep(1000);
	r = task_create("reader", q_reader, NULL);
	usleep(20000);
	read_unlock(&q_rw);
	assert_int_equal(task_join(w), 0);
	assert_int_equal(task_join(r), 1);
	assert_false(rwlock_needbreak(&q_rw));
	rwlock_destroy(&q_rw);
}

/* SRCU: no reader ever sees an object a finished grace period retired. */
struct s_obj {
	int alive;
};

static struct srcu_struct s_srcu;
static struct s_obj *s_ptr;
static int s_stop, s_bad;

static int s_reader(void *arg)
{
	while (!__atomic_load_n(&s_stop, __ATOMIC_ACQUIRE)) {
		int idx = srcu_read_lock(&s_srcu);
		struct s_obj *o = __atomic_load_n(&s_ptr, __ATOMIC_ACQUIRE);

		if (!__atomic_load_n(&o->alive, __ATOMIC_RELAXED))
			__atomic_store_n(&s_bad, 1, __ATOMIC_RELAXED);
		srcu_read_unlock(&s_srcu, idx);
	}
	return 0;
}

static void test_srcu_grace_periods_free_mode(void **state)
{
	static struct s_obj objs[2] = { { 1 }, { 1 } };
	struct task *t[NR_THREADS];
	int i, k;

	init_srcu_struct(&s_srcu);
	s_ptr = &objs[0];
	s_stop = s_bad = 0;
	for (i = 0; i < NR_THREADS; i++)
		t[i] = task_create("reader", s_reader, NULL);
	for (k = 0; k < 300; k++) {
		struct s_obj *old = s_ptr, *new = old == &objs[0] ?
						 &objs[1] : &objs[0];

		__atomic_store_n(&new->alive, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&s_ptr, new, __ATOMIC_RELEASE);
		synchronize_srcu(&s_srcu);
		/* No reader can still be looking at it. */
		__atomic_store_n(&old->alive, 0, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&s_stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < NR_THREADS; i++)
		task_join(t[i]);
	assert_int_equal(s_bad, 0);
	assert_int_equal(lockdep_nr_reports(), 0);
	cleanup_srcu_struct(&s_srcu);
}

/* Switched off, the validator sees nothing; back on, it starts afresh. */
static void test_lockdep_switch(void **state)
{
	struct mutex a;

	mutex_init(&a);
	assert_string_equal(lockdep_state_name(), "on");
	lockdep_set_enabled(false);
	assert_string_equal(lockdep_state_name(), "off");
	mutex_lock(&a);
	mutex_lock_nest_lock(&m, &a);	/* m: not a nest; unchecked */
	lockdep_assert_not_held(&a);	/* no report with lockdep off */
	mutex_unlock(&m);
	mutex_unlock(&a);
	assert_int_equal(lockdep_nr_reports(), 0);
	lockdep_set_enabled(true);
	mutex_lock(&a);
	assert_int_equal(lockdep_task_depth(NULL), 1);
	mutex_unlock(&a);
	assert_int_equal(lockdep_nr_reports(), 0);
	mutex_destroy(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_self_deadlock_unwinds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spinlock_self_deadlock_unwinds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blocked_on_another_task, setup, teardown),
		cmocka_unit_test_setup_teardown(test_holder_waiting_is_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_holder_is_no_hang, setup, teardown),
		cmocka_unit_test_setup_teardown(test_holder_without_progress_hangs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_endless_holder_hangs_at_last, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chain_to_slow_holder_is_no_hang, setup, teardown),
		cmocka_unit_test_setup_teardown(test_killable_returns_eintr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reader_behind_writer_ends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_contention_free_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_lost_wakeup_det, setup, teardown),
		cmocka_unit_test_setup_teardown(test_waiting_writer_holds_readers_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_srcu_grace_periods_free_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lockdep_switch, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
