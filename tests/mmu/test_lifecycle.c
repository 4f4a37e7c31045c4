// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A TD's whole life through the uAPI (issue 5): build, populate with and
 * without measurement in the three populate designs, finalize, guest faults
 * that AUG 4K pages and the guest accepting them, conversions both ways,
 * punch holes, pre-fault, teardown with every page reclaimed. Each step is
 * followed by the invariant checker, and the SEAMCALL counts are the ones
 * the design implies.
 */
#include <stdlib.h>
#include <string.h>

#include "testlib/kvm_util_internal.h"

#define MB	(1ULL << 20)

/* Build, populate @n measured + @m unmeasured pages, finalize. */
static void build(struct td *td, u32 populate, u64 n, u64 m,
		  const char *program, unsigned int nr_vcpus)
{
	struct td_opts o;

	td_opts_init(&o);
	o.design.populate = populate;
	o.program = program;
	o.nr_vcpus = nr_vcpus;
	td_create(td, &o);
	td_check(td);
	if (n)
		td_populate(td, 0x800000, n, true, 7);
	td_check(td);
	if (m)
		td_populate(td, 0xa00000, m, false, 8);
	td_check(td);
	td_finalize(td);
	td_check(td);
}

/*
 * N measured pages: N PAGE.ADD, 16N MR.EXTEND, and the S-EPT tables for
 * one 2M region (levels 3, 2 and 1 of a 4-level S-EPT: 3 SEPT.ADD). The
 * unmeasured region in another 2M region adds M PAGE.ADD, no MR.EXTEND and
 * one more table (its own 2M page table). All three designs agree.
 */
static void populate_counts(u32 populate)
{
	const u64 n = 24, m = 5;
	struct tdxsim_stats ks;
	struct td td;

	build(&td, populate, n, m, NULL, 1);
	assert_int_equal(td_seamcalls(&td, TDH_MEM_PAGE_ADD), n + m);
	assert_int_equal(td_seamcalls(&td, TDH_MR_EXTEND), 16 * n);
	assert_int_equal(td_seamcalls(&td, TDH_MEM_SEPT_ADD), 3 + 1);
	assert_int_equal(td_seamcalls(&td, TDH_MEM_PAGE_AUG), 0);
	assert_int_equal(td_seamcalls(&td, TDH_MR_FINALIZE), 1);
	td_kvm_stats(&td, &ks);
	assert_int_equal(ks.vm_bugged, 0);
	td_destroy(&td);
}

static void test_populate_counts_decoupled(void **state)
{
	populate_counts(TDXSIM_POPULATE_DECOUPLED);
}

static void test_populate_counts_gmem(void **state)
{
	populate_counts(TDXSIM_POPULATE_GMEM);
}

static void test_populate_counts_map_pfn(void **state)
{
	populate_counts(TDXSIM_POPULATE_MAP_PFN);
}

/* The same image gives the same MRTD whichever design populated it. */
static void test_mrtd_same_in_all_designs(void **state)
{
	static const u32 designs[] = { TDXSIM_POPULATE_DECOUPLED,
				       TDXSIM_POPULATE_GMEM,
				       TDXSIM_POPULATE_MAP_PFN };
	struct tdxsim_mrtd mrtd[3], other;
	unsigned int i;

	for (i = 0; i < 3; i++) {
		struct td td;

		build(&td, designs[i], 12, 3, NULL, 1);
		assert_int_equal(tdxsim_ioctl(td.vm, TDXSIM_GET_MRTD, &mrtd[i]),
				 0);
		td_destroy(&td);
	}
	assert_memory_equal(mrtd[0].mrtd, mrtd[1].mrtd, 48);
	assert_memory_equal(mrtd[0].mrtd, mrtd[2].mrtd, 48);

	/* A different image (another pattern) measures differently. */
	{
		struct td_opts o;
		struct td td;

		td_opts_init(&o);
		td_create(&td, &o);
		td_populate(&td, 0x800000, 12, true, 99);
		td_populate(&td, 0xa00000, 3, false, 8);
		td_finalize(&td);
		assert_int_equal(tdxsim_ioctl(td.vm, TDXSIM_GET_MRTD, &other),
				 0);
		assert_memory_not_equal(mrtd[0].mrtd, other.mrtd, 48);
		td_destroy(&td);
	}
}

/*
 * The guest accepts 1 MiB at 4K (256 EPT violations, 256 AUG of 4K pages,
 * 2 more tables), writes and reads it back; converts 64K to shared and back
 * (16 REMOVE, then 16 AUG on the re-accept); then the host punches a hole,
 * pre-faults, and tears the TD down with every page reclaimed.
 */
static const char *life_program =
	"accept 0x200000 1M level=4k\n"
	"write 0x200000 1M pattern=5\n"
	"read 0x200000 1M\n"
	"read 0x800000 4K\n"
	"mapgpa shared 0x200000 64K\n"
	"write shared 0x200000 64K pattern=6\n"
	"read shared 0x200000 64K\n"
	"mapgpa private 0x200000 64K\n"
	"accept 0x200000 64K level=4k\n"
	"read 0x200000 1M\n"
	"halt\n";

static void test_life(void **state)
{
	struct tdxsim_guest_stats gs;
	struct tdxsim_td_stats ms;
	struct tdxsim_stats ks;
	u64 aug0, remove0, sept0;
	struct td td;

	build(&td, TDXSIM_POPULATE_DECOUPLED, 4, 0, life_program, 1);
	sept0 = td_seamcalls(&td, TDH_MEM_SEPT_ADD);
	assert_int_equal(sept0, 3);

	td_run_vcpu(&td, 0);
	assert_int_equal(td.last_exit[0], KVM_EXIT_HLT);
	assert_true(tdxsim_guest_finished(td.guest));
	assert_int_equal(tdxsim_guest_data_failures(td.guest), 0);
	td_check(&td);

	td_guest_stats(&td, &gs);
	td_module_stats(&td, &ms);
	assert_int_equal(gs.accepts_4k, 256 + 16);
	assert_int_equal(gs.accepts_2m, 0);
	td_module_stats(&td, &ms);
	assert_int_equal(ms.seamcalls[TDH_MEM_PAGE_AUG], 256 + 16);
	assert_int_equal(ms.seamcalls[TDH_MEM_PAGE_REMOVE], 16);
	assert_int_equal(ms.seamcalls[TDH_MEM_PAGE_DEMOTE], 0);
	/* 0x200000 is another 2M region: one more page table. */
	assert_int_equal(ms.seamcalls[TDH_MEM_SEPT_ADD], sept0 + 1);
	/* One exit per 4K accept, one per shared page first written. */
	assert_int_equal(ms.exits[EXIT_REASON_EPT_VIOLATION], 256 + 16 + 16);
	td_kvm_stats(&td, &ks);
	assert_int_equal(ks.pages_to_shared, 16);
	assert_int_equal(ks.pages_to_private, 4096 + 16);

	/* Conversion of an accepted private range to shared: REMOVE each. */
	remove0 = td_seamcalls(&td, TDH_MEM_PAGE_REMOVE);
	td_set_private(&td, 0x280000, 32 * 4096, false);
	assert_int_equal(td_seamcalls(&td, TDH_MEM_PAGE_REMOVE), remove0 + 32);
	td_check(&td);
	/* ... and back: nothing is mapped until the guest faults it. */
	aug0 = td_seamcalls(&td, TDH_MEM_PAGE_AUG);
	td_set_private(&td, 0x280000, 32 * 4096, true);
	assert_int_equal(td_seamcalls(&td, TDH_MEM_PAGE_AUG), aug0);
	td_check(&td);

	/* Punch a hole over 64 accepted pages: BLOCK, TRACK, REMOVE each. */
	remove0 = td_seamcalls(&td, TDH_MEM_PAGE_REMOVE);
	td_punch(&td, 0x2c0000, 64 * 4096);
	assert_int_equal(td_seamcalls(&td, TDH_MEM_PAGE_REMOVE), remove0 + 64);
	td_check(&td);

	/* Pre-fault 2 unmapped MiB elsewhere: AUG at 4K (4K folios). */
	aug0 = td_seamcalls(&td, TDH_MEM_PAGE_AUG);
	td_prefault(&td, 0, 0x400000, 2 * MB);
	assert_int_equal(td_seamcalls(&td, TDH_MEM_PAGE_AUG), aug0 + 512);
	td_check(&td);

	td_kvm_stats(&td, &ks);
	assert_int_equal(ks.vm_bugged, 0);
	/* td_destroy asserts the module owns nothing of the TD afterwards. */
	td_destroy(&td);
}

/* Punching populated (ADDed) pages before finalize removes them cleanly. */
static void test_punch_before_finalize(void **state)
{
	static const u32 designs[] = { TDXSIM_POPULATE_DECOUPLED,
				       TDXSIM_POPULATE_GMEM,
				       TDXSIM_POPULATE_MAP_PFN };
	unsigned int i;

	for (i = 0; i < 3; i++) {
		struct td_opts o;
		struct td td;

		td_opts_init(&o);
		o.design.populate = designs[i];
		td_create(&td, &o);
		td_populate(&td, 0x800000, 8, true, 3);
		td_check(&td);
		td_punch(&td, 0x800000, 4 * 4096);
		assert_int_equal(td_seamcalls(&td, TDH_MEM_PAGE_REMOVE), 4);
		/* Before finalize no vCPU ran: no TRACK. */
		assert_int_equal(td_seamcalls(&td, TDH_MEM_TRACK), 0);
		td_check(&td);
		td_finalize(&td);
		td_check(&td);
		td_destroy(&td);
	}
}

/* Teardown of a TD that never finalized, and of one that never populated. */
static void test_teardown_unfinished(void **state)
{
	struct td_opts o;
	struct td td;

	td_opts_init(&o);
	o.nr_vcpus = 2;
	td_create(&td, &o);
	td_populate(&td, 0x800000, 3, true, 3);
	td_check(&td);
	td_destroy(&td);

	td_create(&td, &o);
	td_destroy(&td);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_populate_counts_decoupled),
		cmocka_unit_test(test_populate_counts_gmem),
		cmocka_unit_test(test_populate_counts_map_pfn),
		cmocka_unit_test(test_mrtd_same_in_all_designs),
		cmocka_unit_test(test_life),
		cmocka_unit_test(test_punch_before_finalize),
		cmocka_unit_test(test_teardown_unfinished),
	};

	/* MMU_TEST_FILTER=pattern runs only the matching tests. */
	if (getenv("MMU_TEST_FILTER"))
		cmocka_set_test_filter(getenv("MMU_TEST_FILTER"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
