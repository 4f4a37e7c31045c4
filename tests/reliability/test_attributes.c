// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Issue 12, item 2: KVM_SET_MEMORY_ATTRIBUTES over a huge range must cost
 * what the attributes present cost, not what the range spans. Linux finds
 * nothing to change in a fresh VM's [0, 1 << 62) and returns at once; a
 * walk over 2^50 gfns never returns.
 */
#include "tdxsim/kvm.h"
#include "tdxsim/tdxsim.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "rel_util.h"

#define HUGE_RANGE	(1ULL << 62)
#define FAR_GPA		(1ULL << 40)

/* Nothing to change: returns 0 at once. */
static void test_shared_huge_range_fresh_vm(void **state)
{
	struct tdxsim_stats st;
	int kvm = rel_open_kvm(), vm = rel_create_td_vm(kvm);

	rel_watchdog(60, "KVM_SET_MEMORY_ATTRIBUTES(shared, 0, 1 << 62)");
	assert_int_equal(rel_set_attrs(vm, 0, HUGE_RANGE, false), 0);
	rel_watchdog(0, NULL);
	rel_vm_stats(vm, &st);
	assert_int_equal(st.conversions, 0);
	assert_int_equal(tdxsim_close(vm), 0);
	assert_int_equal(tdxsim_close(kvm), 0);
}

/* Two private pages far apart: the huge shared range converts exactly them. */
static void test_shared_huge_range_converts_present(void **state)
{
	struct tdxsim_stats st;
	int kvm = rel_open_kvm(), vm = rel_create_td_vm(kvm);

	assert_int_equal(rel_set_attrs(vm, 0x1000, 4096, true), 0);
	assert_int_equal(rel_set_attrs(vm, FAR_GPA, 4096, true), 0);
	rel_watchdog(60, "KVM_SET_MEMORY_ATTRIBUTES(shared, 0, 1 << 62)");
	assert_int_equal(rel_set_attrs(vm, 0, HUGE_RANGE, false), 0);
	/* Again: nothing left to change. */
	assert_int_equal(rel_set_attrs(vm, 0, HUGE_RANGE, false), 0);
	rel_watchdog(0, NULL);
	rel_vm_stats(vm, &st);
	assert_int_equal(st.conversions, 3);
	assert_int_equal(st.pages_to_private, 2);
	assert_int_equal(st.pages_to_shared, 2);

	/* Both are shared now: making them private changes one page each. */
	assert_int_equal(rel_set_attrs(vm, FAR_GPA, 4096, true), 0);
	rel_vm_stats(vm, &st);
	assert_int_equal(st.pages_to_private, 3);
	assert_int_equal(tdxsim_close(vm), 0);
	assert_int_equal(tdxsim_close(kvm), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared_huge_range_fresh_vm),
		cmocka_unit_test(test_shared_huge_range_converts_present),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
