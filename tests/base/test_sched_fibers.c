// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What a fiber keeps of its own: task-local storage and its destructors,
 * deep stacks, and RCU readers and updaters switching on one OS thread.
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


/* --- per-task state ------------------------------------------------------------------ */

static DEFINE_TASK_LOCAL(test_slot, NULL);
static int slot_dtor_calls;
static u64 slot_dtor_sum;

static void slot_dtor(void *v)
{
	slot_dtor_calls++;
	slot_dtor_sum += (u64)(uintptr_t)v;
}

static DEFINE_TASK_LOCAL(dtor_slot, slot_dtor);

/*
 * Each task keeps its own slot value, errno and rounding mode across
 * switches, though in the fiber back end they all share one OS thread.
 */
static int private_state(void *arg)
{
	u64 me = (u64)(uintptr_t)arg;
	int round = me == 1 ? FE_DOWNWARD : me == 2 ? FE_UPWARD : FE_TONEAREST;
	int i;

	assert_int_equal(*(u64 *)task_local(&test_slot), 0);
	*(u64 *)task_local(&test_slot) = me;
	*(void **)task_local(&dtor_slot) = (void *)(uintptr_t)(100 * me);
	fesetround(round);
	for (i = 0; i < 20; i++) {
		errno = (int)(me * 1000 + i);
		sched_point();
		if (errno != (int)(me * 1000 + i))
			return -1;
		if (*(u64 *)task_local(&test_slot) != me)
			return -2;
		if (fegetround() != round)
			return -3;
	}
	return 0;
}

static int private_state_run(void *arg)
{
	struct task *t[3];
	int i, ret = 0;

	for (i = 0; i < 3; i++)
		t[i] = task_create("private", private_state,
				   (void *)(uintptr_t)(i + 1));
	for (i = 0; i < 3; i++)
		ret |= task_join(t[i]);
	return ret;
}

static void test_per_task_state(void **state)
{
	int seed;

	for (seed = 1; seed <= 10; seed++) {
		struct sched_config cfg = det_cfg(seed, SCHED_STRATEGY_RANDOM);
		struct sched_result res;

		slot_dtor_calls = 0;
		slot_dtor_sum = 0;
		assert_int_equal(sched_run(&cfg, private_state_run, NULL, &res),
				 0);
		expect_backend(&res);
		assert_int_equal(res.verdict, SCHED_OK);
		assert_int_equal(res.ret, 0);
		assert_true(res.switches > 10);
		/* Each task's destructor saw its own value. */
		assert_int_equal(slot_dtor_calls, 3);
		assert_int_equal(slot_dtor_sum, 100 + 200 + 300);
		/* The caller's own rounding mode was left alone. */
		assert_int_equal(fegetround(), FE_TONEAREST);
	}
}

/* --- stacks --------------------------------------------------------------------------- */

static noinline int deep(int n)
{
	volatile char pad[1024];

	pad[0] = (char)n;
	if (n == 0)
		return pad[0];
	if (n % 16 == 0)
		sched_point();
	return deep(n - 1) + pad[0];
}

static int deep_task(void *arg)
{
	return deep((int)(uintptr_t)arg);
}

static int deep_run(void *arg)
{
	struct task *a = task_create("deep0", deep_task, arg);
	struct task *b = task_create("deep1", deep_task, arg);

	return task_join(a) + task_join(b);
}

/* Tasks may use most of their stack, and the size is configurable. */
static void test_deep_stacks(void **state)
{
	struct sched_config cfg = det_cfg(5, SCHED_STRATEGY_RANDOM);
	struct sched_result res;
	int n = 150;	/* about 150 KiB of frames */

	assert_int_equal(sched_run(&cfg, deep_run, (void *)(uintptr_t)n,
				   &res), 0);
	assert_int_equal(res.verdict, SCHED_OK);
	assert_int_equal(res.ret, 2 * deep(n));
	cfg.stack_size = 2 * 1024 * 1024;
	n = 1500;
	assert_int_equal(sched_run(&cfg, deep_run, (void *)(uintptr_t)n,
				   &res), 0);
	assert_int_equal(res.verdict, SCHED_OK);
	assert_int_equal(res.ret, 2 * deep(n));
}

/* --- RCU readers sharing one OS thread ---------------------------------------------------- */

struct rcu_obj {
	struct rcu_head rcu;
	int freed;		/* set by the callback instead of freeing */
	int value;
};

static struct rcu_obj *rcu_cur;
static struct rcu_obj rcu_objs[16];
static int rcu_next_obj;
static int rcu_bad;

static void rcu_obj_free(struct rcu_head *head)
{
	struct rcu_obj *o = container_of(head, struct rcu_obj, rcu);

	__atomic_store_n(&o->freed, 1, __ATOMIC_RELEASE);
}

/* Readers overlap on one thread: a grace period must wait for all of them. */
static int rcu_multi_reader(void *arg)
{
	int i;

	for (i = 0; i < 4; i++) {
		struct rcu_obj *o;

		rcu_read_lock();
		o = rcu_dereference(rcu_cur);
		sched_point();
		sched_point();
		if (__atomic_load_n(&o->freed, __ATOMIC_ACQUIRE))
			__atomic_store_n(&rcu_bad, 1, __ATOMIC_RELAXED);
		rcu_read_unlock();
		sched_point();
	}
	return 0;
}

static int rcu_multi_updater(void *arg)
{
	bool sync = arg != NULL;
	int i;

	for (i = 0; i < 4; i++) {
		struct rcu_obj *old = rcu_cur, *o = &rcu_objs[rcu_next_obj++];

		o->freed = 0;
		o->value = i;
		rcu_assign_pointer(rcu_cur, o);
		sched_point();
		if (sync) {
			synchronize_rcu();
			rcu_obj_free(&old->rcu);
		} else {
			call_rcu(&old->rcu, rcu_obj_free);
		}
	}
	return 0;
}

static int rcu_multi_run(void *arg)
{
	struct task *r[3], *u;
	int i;

	for (i = 0; i < 3; i++)
		r[i] = task_create("reader", rcu_multi_reader, NULL);
	u = task_create("updater", rcu_multi_updater, arg);
	for (i = 0; i < 3; i++)
		task_join(r[i]);
	task_join(u);
	rcu_barrier();
	return 0;
}

static void test_rcu_readers_on_fibers(void **state)
{
	int seed, sync, i;

	for (sync = 0; sync <= 1; sync++) {
		for (seed = 1; seed <= 20; seed++) {
			struct sched_config cfg =
				det_cfg(seed, SCHED_STRATEGY_RANDOM);
			struct sched_result res;

			memset(rcu_objs, 0, sizeof(rcu_objs));
			rcu_next_obj = 1;
			rcu_cur = &rcu_objs[0];
			rcu_bad = 0;
			assert_int_equal(sched_run(&cfg, rcu_multi_run,
						   sync ? (void *)1 : NULL,
						   &res), 0);
			assert_int_equal(res.verdict, SCHED_OK);
			assert_int_equal(rcu_bad, 0);
			/* Every replaced object was freed after its grace period. */
			for (i = 0; i < 4; i++)
				assert_int_equal(rcu_objs[i].freed, 1);
			assert_int_equal(rcu_objs[4].freed, 0);
		}
	}
}

BOTH_BACKENDS(test_per_task_state)
BOTH_BACKENDS(test_deep_stacks)
BOTH_BACKENDS(test_rcu_readers_on_fibers)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_per_task_state),
		BOTH(test_deep_stacks),
		BOTH(test_rcu_readers_on_fibers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
