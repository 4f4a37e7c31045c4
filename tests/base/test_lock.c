// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The lock primitives in free mode: the hung-task watchdog on lock waits.
 * A task blocked in a lock acquisition for longer than the run's
 * hang_timeout_ms is reported with the locks it holds, and the run ends
 * with a verdict (deadlock when the task holds the lock itself, hang
 * otherwise) and unwinds instead of hanging; a killable acquisition
 * returns -EINTR instead.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

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
	assert_false(mutex_is_locked(&m));
	mutex_destroy(&m);
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
	/* One watchdog report; the other waiter left with the run. */
	assert_int_equal(lockdep_count_reports(LOCKDEP_HANG, "&rw"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_self_deadlock_unwinds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blocked_on_another_task, setup, teardown),
		cmocka_unit_test_setup_teardown(test_killable_returns_eintr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reader_behind_writer_ends, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
