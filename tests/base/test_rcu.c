// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * RCU through liburcu: a deferred free runs only after the readers that
 * could see the object have left; synchronize_rcu() waits for them; and
 * lockdep knows read-side sections. SRCU's grace period waits for a
 * reader of another thread (its per-thread counts are summed).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/atomic.h"
#include "base/lock.h"
#include "base/lockdep.h"
#include "base/rcu.h"
#include "base/sched.h"

struct obj {
	int value;
	struct rcu_head rcu;
};

static struct obj *gp;
static int freed;
static int reader_inside;
static int reader_may_leave;
static int reader_saw;

static void obj_free_rcu(struct rcu_head *head)
{
	struct obj *o = container_of(head, struct obj, rcu);

	/* The reader must be gone by now. */
	if (__atomic_load_n(&reader_inside, __ATOMIC_ACQUIRE))
		__atomic_store_n(&freed, -1, __ATOMIC_RELEASE);
	else
		__atomic_store_n(&freed, 1, __ATOMIC_RELEASE);
	free(o);
}

static int reader(void *arg)
{
	struct obj *o;

	rcu_read_lock();
	o = rcu_dereference(gp);
	__atomic_store_n(&reader_inside, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&reader_may_leave, __ATOMIC_ACQUIRE))
		usleep(1000);
	reader_saw = o->value;	/* still valid: we are inside */
	__atomic_store_n(&reader_inside, 0, __ATOMIC_RELEASE);
	rcu_read_unlock();
	return 0;
}

static void test_deferred_free_after_readers_leave(void **state)
{
	struct obj *old = malloc(sizeof(*old)), *new = malloc(sizeof(*new));
	struct task *t;
	int i;
	u64 queued = rcu_callbacks_queued(), run = rcu_callbacks_run();

	old->value = 1;
	new->value = 2;
	gp = old;
	freed = 0;
	reader_may_leave = 0;
	t = task_create("reader", reader, NULL);
	while (!__atomic_load_n(&reader_inside, __ATOMIC_ACQUIRE))
		usleep(1000);

	rcu_assign_pointer(gp, new);
	call_rcu(&old->rcu, obj_free_rcu);
	assert_int_equal(rcu_callbacks_queued(), queued + 1);
	/* Give liburcu every chance to run it too early. */
	for (i = 0; i < 20; i++) {
		usleep(2000);
		assert_int_equal(__atomic_load_n(&freed, __ATOMIC_ACQUIRE), 0);
	}
	__atomic_store_n(&reader_may_leave, 1, __ATOMIC_RELEASE);
	task_join(t);
	assert_int_equal(reader_saw, 1);
	rcu_barrier();
	assert_int_equal(__atomic_load_n(&freed, __ATOMIC_ACQUIRE), 1);
	assert_int_equal(rcu_callbacks_run(), run + 1);
	free(new);
}

static int sync_done;

static int syncer(void *arg)
{
	synchronize_rcu();
	__atomic_store_n(&sync_done, 1, __ATOMIC_RELEASE);
	/* The reader that was inside when we started has left. */
	return __atomic_load_n(&reader_inside, __ATOMIC_ACQUIRE) ? -1 : 0;
}

static void test_synchronize_waits_for_reader(void **state)
{
	struct obj o = { .value = 5 };
	struct task *r, *s;
	int i;

	gp = &o;
	reader_may_leave = 0;
	sync_done = 0;
	r = task_create("reader", reader, NULL);
	while (!__atomic_load_n(&reader_inside, __ATOMIC_ACQUIRE))
		usleep(1000);
	s = task_create("syncer", syncer, NULL);
	for (i = 0; i < 20; i++) {
		usleep(2000);
		assert_int_equal(__atomic_load_n(&sync_done, __ATOMIC_ACQUIRE),
				 0);
	}
	__atomic_store_n(&reader_may_leave, 1, __ATOMIC_RELEASE);
	assert_int_equal(task_join(s), 0);
	task_join(r);
	assert_int_equal(reader_saw, 5);
}

static void test_nesting_and_lockdep(void **state)
{
	lockdep_reset();
	lockdep_set_quiet(true);
	assert_false(rcu_read_lock_held());
	rcu_read_lock();
	rcu_read_lock();
	assert_true(rcu_read_lock_held());
	rcu_read_unlock();
	assert_true(rcu_read_lock_held());
	rcu_read_unlock();
	assert_false(rcu_read_lock_held());
	assert_int_equal(lockdep_nr_reports(), 0);

	/* synchronize_rcu() inside a read-side section is reported, not hung. */
	rcu_read_lock();
	synchronize_rcu();
	rcu_read_unlock();
	assert_int_equal(lockdep_count_reports(LOCKDEP_RECURSIVE,
					       "rcu_read_lock"), 1);
	lockdep_set_quiet(false);
	lockdep_reset();
}

/* ---- SRCU: a grace period sums every thread's reader counts ---- */

static struct srcu_struct s_srcu;
static int s_inside, s_may_leave, s_left, s_synced, s_left_at_sync;

static int srcu_reader(void *arg)
{
	int idx = srcu_read_lock(&s_srcu);

	__atomic_add_fetch(&s_inside, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&s_may_leave, __ATOMIC_ACQUIRE))
		usleep(1000);
	__atomic_add_fetch(&s_left, 1, __ATOMIC_RELEASE);
	srcu_read_unlock(&s_srcu, idx);
	return 0;
}

static int srcu_syncer(void *arg)
{
	synchronize_srcu(&s_srcu);
	__atomic_store_n(&s_left_at_sync,
			 __atomic_load_n(&s_left, __ATOMIC_ACQUIRE),
			 __ATOMIC_RELEASE);
	__atomic_store_n(&s_synced, 1, __ATOMIC_RELEASE);
	return 0;
}

#define SRCU_READERS	4

/*
 * The readers and the grace period run on threads of their own (slots of
 * their own): the grace period must not end before every reader left,
 * however long it waits (here while the main thread sleeps 50 ms before
 * letting them go). A sum that missed a reader's slot ends it early.
 */
static void test_srcu_waits_for_other_thread(void **state)
{
	struct task *r[SRCU_READERS], *w;
	int i;

	init_srcu_struct(&s_srcu);
	s_inside = s_may_leave = s_left = s_synced = s_left_at_sync = 0;
	for (i = 0; i < SRCU_READERS; i++)
		r[i] = task_create("srcu-reader", srcu_reader, NULL);
	while (__atomic_load_n(&s_inside, __ATOMIC_ACQUIRE) < SRCU_READERS)
		usleep(1000);
	w = task_create("srcu-sync", srcu_syncer, NULL);
	usleep(50 * 1000);
	__atomic_store_n(&s_may_leave, 1, __ATOMIC_RELEASE);
	for (i = 0; i < SRCU_READERS; i++)
		task_join(r[i]);
	task_join(w);
	assert_true(s_synced);
	assert_int_equal(s_left_at_sync, SRCU_READERS);
	cleanup_srcu_struct(&s_srcu);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deferred_free_after_readers_leave),
		cmocka_unit_test(test_synchronize_waits_for_reader),
		cmocka_unit_test(test_nesting_and_lockdep),
		cmocka_unit_test(test_srcu_waits_for_other_thread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
