// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * KVM_TDX_INIT_MEM_REGION of a GFN that is already populated:
 *  - next (and 7.0: no preparation tracking in kvm_gmem_populate()) reaches
 *    kvm_tdp_mmu_map_private_pfn(), whose walk finds the present mirror
 *    leaf (RET_PF_SPURIOUS): -EIO, as everything but RET_PF_FIXED is there
 *    (M619); no TDH.MEM.PAGE.ADD and no TDH.MR.EXTEND is issued, the VM is
 *    not bugged and the TD still finalizes;
 *  - 6.16 and 6.19 answer -EEXIST from guest_memfd's prepared folio first.
 * (docs/upstream/seamcall-counts.md §3, "GFN already populated".)
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kvm/tdx.h"
#include "testlib/kvm_util_internal.h"

static void repopulate(const char *kernel, int expect)
{
	struct tdxsim_stats ks;
	struct td_opts o;
	struct td td;
	u64 add, extend, sept_add;

	td_opts_init(&o);
	td_opts_set_kernel(&o, kernel);
	td_create(&td, &o);
	td_populate(&td, 0x800000, 1, true, 1);
	add = td_seamcalls(&td, TDH_MEM_PAGE_ADD);
	extend = td_seamcalls(&td, TDH_MR_EXTEND);
	sept_add = td_seamcalls(&td, TDH_MEM_SEPT_ADD);
	assert_int_equal(add, 1);
	assert_int_equal(extend, 16);

	if (__td_populate(&td, 0x800000, 1, true, 2) != expect)
		fail_msg("%s: re-populate answered %d, expected %d", kernel,
			 __td_populate(&td, 0x800000, 1, true, 2), expect);
	assert_int_equal(td_seamcalls(&td, TDH_MEM_PAGE_ADD), add);
	assert_int_equal(td_seamcalls(&td, TDH_MR_EXTEND), extend);
	assert_int_equal(td_seamcalls(&td, TDH_MEM_SEPT_ADD), sept_add);
	td_kvm_stats(&td, &ks);
	assert_int_equal(ks.vm_bugged, 0);

	/* Nothing was harmed: the next page populates, the TD finalizes. */
	td_populate(&td, 0x801000, 1, true, 3);
	td_finalize(&td);
	td_check(&td);
	td_destroy(&td);
}

static void test_repopulate_next_eio(void **state)
{
	repopulate("next", -EIO);
}

static void test_repopulate_v7_0_eio(void **state)
{
	repopulate("v7.0", -EIO);
}

static void test_repopulate_prepared_eexist(void **state)
{
	repopulate("v6.19", -EEXIST);
	repopulate("v6.16", -EEXIST);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_repopulate_next_eio),
		cmocka_unit_test(test_repopulate_v7_0_eio),
		cmocka_unit_test(test_repopulate_prepared_eexist),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
