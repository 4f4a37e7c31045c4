// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The contention tests' shared tasks, runs and fixtures (busy_util.h).
 */
#include "base/sched.h"
#include "testlib/sched_util.h"
#include "busy_util.h"

struct test_td td;
u64 vp_pa, gpa_a, gpa_b, page2, tdr2;
u64 ret_a, ret_b;
u64 (*op_a)(void), (*op_b)(void);

static int task_a(void *arg)
{
	ret_a = op_a();
	return 0;
}

static int task_b(void *arg)
{
	ret_b = op_b();
	return 0;
}

int two_tasks(void *arg)
{
	struct task *a = task_create("a", task_a, NULL);
	struct task *b = task_create("b", task_b, NULL);

	task_join(a);
	task_join(b);
	return 0;
}

void run_seed(u64 seed)
{
	struct sched_result res;

	ret_a = ret_b = ~0ULL;
	res = sched_run_seed(two_tasks, NULL, seed, SCHED_STRATEGY_RANDOM);
	assert_int_equal(res.verdict, SCHED_OK);
}

void fixture_tree(void)
{
	seam_test_start(NULL);
	ttd_create(&td, 1, false, TDX_TD_ATTR_SEPT_VE_DISABLE);
	ttd_add_vcpu(&td);
	gpa_a = 0x10000;
	gpa_b = 0x20000;
	ttd_sept_path(&td, gpa_a, 0);
	ttd_finalize(&td);
	ttd_aug(&td, gpa_b, 0);
	vp_pa = test_alloc(0);	/* the page AUG will use */
	page2 = test_alloc(0);
}

u64 do_enter_vcpu0(void)
{
	struct tdx_module_args out;

	return ttd_enter(&td, 0, &out);
}

u64 do_block_b(void)
{
	u64 e1, e2;

	return tdh_mem_range_block(td.tdr_pa, gpa_b, 0, &e1, &e2);
}
