// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fault injection in the module's dispatcher (seam/control.h): the nth call
 * of a leaf on a TD, counted from the request, answers the given status;
 * the answer is counted like any other, leaves the registers and the TD's
 * state alone, and belongs to the TD its operands name.
 */
#include <errno.h>

#include "seam/control.h"
#include "seam_test.h"

#define BUSY	(TDX_OPERAND_BUSY | TDX_OPERAND_ID_RCX)

static u64 calls(const struct test_td *td, unsigned int leaf)
{
	struct tdx_td_stats st;

	assert_int_equal(tdx_module_get_td_stats(td->tdr_pa, &st), 0);
	return st.calls[leaf];
}

/* The request counts calls of its leaf on its TD from the request on. */
static void test_nth_call_counted_from_request(void **state)
{
	struct test_td td;
	u64 data;
	int i;

	ttd_create(&td, 1, false, TDX_TD_ATTR_SEPT_VE_DISABLE);
	/* Two calls before the request do not count towards it. */
	assert_status(tdh_mng_rd(td.tdr_pa, TDCS_MAX_VCPUS, &data), 0);
	assert_status(tdh_mng_rd(td.tdr_pa, TDCS_MAX_VCPUS, &data), 0);
	assert_int_equal(tdx_module_inject_fault(td.tdr_pa, TDH_MNG_RD, 3,
						 BUSY), 0);
	assert_int_equal(tdx_module_inject_pending(td.tdr_pa), 1);
	assert_status(tdh_mng_rd(td.tdr_pa, TDCS_MAX_VCPUS, &data), 0);
	/* Another leaf does not count. */
	assert_status(tdh_mem_track(td.tdr_pa), 0);
	assert_status(tdh_mng_rd(td.tdr_pa, TDCS_MAX_VCPUS, &data), 0);
	data = 0x1234;
	assert_status(tdh_mng_rd(td.tdr_pa, TDCS_MAX_VCPUS, &data), BUSY);
	/* Nothing ran: R8 still holds its input (0), not the field. */
	assert_int_equal(data, 0);
	/* One-shot. */
	assert_int_equal(tdx_module_inject_pending(td.tdr_pa), 0);
	assert_status(tdh_mng_rd(td.tdr_pa, TDCS_MAX_VCPUS, &data), 0);
	assert_int_equal(data, 1);

	/* Bad requests. */
	assert_int_equal(tdx_module_inject_fault(td.tdr_pa, TDH_MNG_RD, 0,
						 BUSY), -EINVAL);
	assert_int_equal(tdx_module_inject_fault(td.tdr_pa,
						 TDX_INJECT_NR_LEAVES, 1,
						 BUSY), -EINVAL);
	assert_int_equal(tdx_module_inject_fault(td.tdr_pa, TDH_MNG_RD, 1, 0),
			 -EINVAL);
	assert_int_equal(tdx_module_inject_fault(td.tdcs[0], TDH_MNG_RD, 1,
						 BUSY), -ENOENT);
	/* A leaf the module does not have is taken (and never fires). */
	assert_int_equal(tdx_module_inject_fault(td.tdr_pa, 100, 1, BUSY), 0);
	for (i = 1; i < TDX_INJECT_MAX; i++)
		assert_int_equal(tdx_module_inject_fault(td.tdr_pa, TDH_VP_RD,
							 1, BUSY), 0);
	assert_int_equal(tdx_module_inject_fault(td.tdr_pa, TDH_VP_RD, 1,
						 BUSY), -ENOSPC);
	assert_int_equal(tdx_module_inject_pending(td.tdr_pa), TDX_INJECT_MAX);
}

/*
 * The injected answer is the module's: counted in the TD's calls, BUSY and
 * error statistics; the leaf's work is not done (a retry does it).
 */
static void test_answer_counted_like_real(void **state)
{
	struct tdx_td_stats st;
	struct test_td td;
	u64 e1, e2, page;

	ttd_create(&td, 1, false, TDX_TD_ATTR_SEPT_VE_DISABLE);
	ttd_sept_path(&td, 0x200000, 0);
	page = test_alloc(0);
	assert_int_equal(tdx_module_inject_fault(td.tdr_pa, TDH_MEM_PAGE_AUG,
						 1, BUSY), 0);
	assert_int_equal(tdx_module_inject_fault(td.tdr_pa, TDH_MEM_PAGE_AUG,
						 2, TDX_OPERAND_INVALID), 0);
	assert_status(tdh_mem_page_aug(td.tdr_pa, 0x200000, 0, page, &e1, &e2),
		      BUSY);
	assert_status(tdh_mem_page_aug(td.tdr_pa, 0x200000, 0, page, &e1, &e2),
		      TDX_OPERAND_INVALID);
	assert_status(tdh_mem_page_aug(td.tdr_pa, 0x200000, 0, page, &e1, &e2),
		      TDX_SUCCESS);
	assert_int_equal(tdx_module_get_td_stats(td.tdr_pa, &st), 0);
	assert_int_equal(st.calls[TDH_MEM_PAGE_AUG], 3);
	assert_int_equal(st.busy[TDH_MEM_PAGE_AUG][TDX_BUSY_RCX], 1);
	assert_int_equal(tdx_td_stats_errors(&st, BUSY), 1);
	assert_int_equal(tdx_td_stats_errors(&st, TDX_OPERAND_INVALID), 1);
}

/* Calls on another TD, or on no TD, do not count. */
static void test_per_td(void **state)
{
	struct test_td a, b;

	ttd_create(&a, 1, false, TDX_TD_ATTR_SEPT_VE_DISABLE);
	ttd_create(&b, 1, false, TDX_TD_ATTR_SEPT_VE_DISABLE);
	assert_int_equal(tdx_module_inject_fault(a.tdr_pa, TDH_MEM_TRACK, 1,
						 BUSY), 0);
	assert_status(tdh_mem_track(b.tdr_pa), 0);
	assert_status(tdh_mem_track(test_alloc(0)),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RCX);
	assert_status(tdh_mem_track(a.tdr_pa), BUSY);
	assert_int_equal(calls(&a, TDH_MEM_TRACK), 1);
	assert_int_equal(calls(&b, TDH_MEM_TRACK), 1);
}

/*
 * vCPU leaves belong to the vCPU's TD and are counted on the vCPU; WBINVD
 * belongs to the TD of the HKID it names, RECLAIM to the page's owner.
 */
static void test_operands_name_the_td(void **state)
{
	struct tdx_vcpu_stats vs;
	struct test_td td;
	u64 data, page;
	int v;

	ttd_create(&td, 1, false, TDX_TD_ATTR_SEPT_VE_DISABLE);
	v = ttd_add_vcpu(&td);
	assert_int_equal(tdx_module_inject_fault(td.tdr_pa, TDH_VP_RD, 1,
						 BUSY), 0);
	assert_status(tdh_vp_rd(td.vcpu[v].tdvpr_pa, TDVPS_VCPU_INDEX, &data),
		      BUSY);
	assert_int_equal(tdx_module_get_vcpu_stats(td.vcpu[v].tdvpr_pa, &vs),
			 0);
	assert_int_equal(vs.calls[TDH_VP_RD], 1);
	assert_int_equal(vs.busy[TDH_VP_RD][TDX_BUSY_RCX], 1);

	page = test_alloc(0);
	assert_int_equal(tdx_module_inject_fault(td.tdr_pa,
						 TDH_PHYMEM_PAGE_WBINVD, 1,
						 BUSY), 0);
	assert_status(tdh_phymem_page_wbinvd_hkid(td.hkid, page), BUSY);
	assert_status(tdh_phymem_page_wbinvd_hkid(td.hkid, page), 0);
	/* The injected answer and the real call, both the HKID's TD's. */
	assert_int_equal(calls(&td, TDH_PHYMEM_PAGE_WBINVD), 2);
}

/* A reclaimed TD has nothing pending and takes no more requests. */
static void test_reclaimed_td_takes_no_requests(void **state)
{
	struct test_td td;
	u64 pt, owner, size;
	int i;

	ttd_create(&td, 1, false, TDX_TD_ATTR_SEPT_VE_DISABLE);
	assert_int_equal(tdx_module_inject_fault(td.tdr_pa, TDH_MEM_TRACK, 5,
						 BUSY), 0);
	assert_status(tdh_mng_vpflushdone(td.tdr_pa), 0);
	assert_status(tdh_phymem_cache_wb(false), 0);
	assert_status(tdh_mng_key_freeid(td.tdr_pa), 0);
	for (i = 0; i < (int)tdx_nr_tdcs_pages(); i++)
		assert_status(tdh_phymem_page_reclaim(td.tdcs[i], &pt, &owner,
						      &size), 0);
	assert_status(tdh_phymem_page_reclaim(td.tdr_pa, &pt, &owner, &size),
		      0);
	assert_int_equal(tdx_module_inject_pending(td.tdr_pa), 0);
	assert_int_equal(tdx_module_inject_fault(td.tdr_pa, TDH_MEM_TRACK, 1,
						 BUSY), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_nth_call_counted_from_request, seam_test_setup,
			seam_test_teardown),
		cmocka_unit_test_setup_teardown(test_answer_counted_like_real,
						seam_test_setup,
						seam_test_teardown),
		cmocka_unit_test_setup_teardown(test_per_td, seam_test_setup,
						seam_test_teardown),
		cmocka_unit_test_setup_teardown(test_operands_name_the_td,
						seam_test_setup,
						seam_test_teardown),
		cmocka_unit_test_setup_teardown(
			test_reclaimed_td_takes_no_requests, seam_test_setup,
			seam_test_teardown),
	};

	return cmocka_run_group_tests(tests, seam_test_group_setup,
				      seam_test_group_teardown);
}
