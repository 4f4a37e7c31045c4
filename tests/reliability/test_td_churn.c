// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Issue 12, item 9: a VMM that creates and destroys TDs in a loop must
 * stay flat. Each round builds a TD the way a VMM does (VM, INIT_VM, a
 * guest_memfd memslot, a vCPU, INIT_MEM_REGION, FINALIZE, conversions, a
 * hole punch) and closes everything; after a warm-up, thousands more
 * rounds may not grow the process's heap, the host's physical pages or
 * the pages the TDX module owns.
 */
#include "tdxsim/kvm.h"
#include "tdxsim/tdxsim.h"

#include <errno.h>
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "rel_util.h"

#define WARMUP_ROUNDS	200
#define ROUNDS		2000
/* Heap growth allowed over ROUNDS rounds (allocator noise, not per TD). */
#define HEAP_SLACK	(64 * 1024)

static void one_round(void)
{
	struct rel_td_opts o;
	struct rel_td td;

	rel_td_opts_init(&o);
	o.private_mem = true;
	o.nr_init_pages = 4;
	o.measure = true;
	o.finalize = true;
	rel_td_create(&td, &o);
	assert_int_equal(rel_set_attrs(td.vm, REL_GPA + 0x10000, 0x4000, false),
			 0);
	assert_int_equal(rel_set_attrs(td.vm, REL_GPA + 0x10000, 0x4000, true),
			 0);
	assert_int_equal(rel_pre_fault(td.vcpu, REL_GPA + 0x20000, 0x2000), 0);
	assert_int_equal(rel_punch(td.gmem, 0, 0x40000), 0);
	rel_td_destroy(&td);
}

static uint64_t heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

static void test_td_churn_is_flat(void **state)
{
	struct tdxsim_host_memory hm0, hm1;
	struct tdxsim_module_stats ms;
	uint64_t heap0, heap1;
	int kvm = rel_open_kvm();
	unsigned int i;

	for (i = 0; i < WARMUP_ROUNDS; i++)
		one_round();
	heap0 = heap_in_use();
	assert_int_equal(tdxsim_ioctl(kvm, TDXSIM_GET_HOST_MEMORY, &hm0), 0);

	for (i = 0; i < ROUNDS; i++)
		one_round();
	heap1 = heap_in_use();
	assert_int_equal(tdxsim_ioctl(kvm, TDXSIM_GET_HOST_MEMORY, &hm1), 0);
	print_message("# heap in use: %llu bytes after %u rounds, %llu after %u more (%+lld bytes per round)\n",
		      (unsigned long long)heap0, WARMUP_ROUNDS,
		      (unsigned long long)heap1, ROUNDS,
		      ((long long)heap1 - (long long)heap0) / ROUNDS);
	print_message("# host pages in use: %llu, then %llu\n",
		      (unsigned long long)hm0.pages_in_use,
		      (unsigned long long)hm1.pages_in_use);

	assert_true(heap1 <= heap0 + HEAP_SLACK);
	assert_true(hm1.pages_in_use <= hm0.pages_in_use);
	rel_module_stats(&ms);
	assert_int_equal(ms.pages_owned, 0);
	assert_int_equal(ms.pamt_violations, 0);
	assert_int_equal(tdxsim_close(kvm), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_td_churn_is_flat),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
