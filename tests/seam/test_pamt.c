// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * PAMT: every leaf checks page ownership; a host that frees a page the
 * module still owns is reported (with the TD and GPA that map it) and the
 * page's reuse is refused; reclaim of large pages; WBINVD rules.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "seam_test.h"

static void test_free_of_owned_page_caught(void **state)
{
	struct tdx_pamt_info pi;
	struct test_td td;
	struct page *p;
	char *log = NULL;
	size_t loglen = 0;
	FILE *f;
	u64 pa, e1, e2, before;
	char want[128];

	ttd_create(&td, 1, false, TDX_TD_ATTR_SEPT_VE_DISABLE);
	ttd_add_vcpu(&td);
	ttd_sept_path(&td, 0x345000, 0);
	ttd_finalize(&td);
	p = alloc_page();
	assert_non_null(p);
	pa = page_to_phys(p);
	assert_status(tdh_mem_page_aug(td.tdr_pa, 0x345000, 0, pa, &e1, &e2),
		      TDX_SUCCESS);
	assert_int_equal(tdx_module_pamt_check_reuse(pa >> PAGE_SHIFT, 0),
			 -EBUSY);

	/* The host frees it while the S-EPT still maps it (a KVM bug). */
	before = tdx_module_pamt_violations();
	f = open_memstream(&log, &loglen);
	assert_non_null(f);
	log_set_stream(f);
	__free_page(p);
	log_set_stream(NULL);
	fclose(f);
	assert_int_equal(tdx_module_pamt_violations(), before + 1);
	snprintf(want, sizeof(want), "TD %#llx at GPA 0x345000",
		 (unsigned long long)td.tdr_pa);
	assert_non_null(strstr(log, want));
	assert_non_null(strstr(log, "PT_REG"));
	free(log);

	/* Its PAMT entry still says REG: giving it to the TD again fails. */
	assert_int_equal(tdx_module_pamt_query(pa, &pi), 0);
	assert_int_equal(pi.pt, TDX_PT_REG);
	assert_int_equal(pi.gpa, 0x345000);
	assert_status(tdh_mem_page_aug(td.tdr_pa, 0x346000, 0, pa, &e1, &e2),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_R8);
	assert_status(tdh_mem_sept_add(td.tdr_pa, 0x40000000, 2, pa, &e1, &e2),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_R8);
	assert_status(tdh_phymem_page_wbinvd_hkid(td.hkid, pa),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RCX);

	/* Correct removal clears it. */
	ttd_block_track(&td, 0x345000, 0);
	assert_status(tdh_mem_page_remove(td.tdr_pa, 0x345000, 0, &e1, &e2),
		      TDX_SUCCESS);
	assert_int_equal(tdx_module_pamt_check_reuse(pa >> PAGE_SHIFT, 0), 0);
	assert_status(tdh_phymem_page_wbinvd_hkid(td.hkid, pa), TDX_SUCCESS);
}

static void test_free_of_control_pages_caught(void **state)
{
	struct test_td td;
	u64 before = tdx_module_pamt_violations();
	u64 other;

	ttd_create(&td, 1, false, TDX_TD_ATTR_SEPT_VE_DISABLE);
	ttd_add_vcpu(&td);
	/* TDR, a TDCS page and the TDVPR are all owned. */
	assert_int_equal(tdx_module_pamt_check_reuse(td.tdr_pa >> PAGE_SHIFT,
						     0), -EBUSY);
	assert_int_equal(tdx_module_pamt_check_reuse(td.tdcs[2] >> PAGE_SHIFT,
						     0), -EBUSY);
	assert_int_equal(tdx_module_pamt_check_reuse(
				 td.vcpu[0].tdvpr_pa >> PAGE_SHIFT, 0), -EBUSY);
	assert_int_equal(tdx_module_pamt_violations(), before + 3);
	/* An unrelated free page is fine, checked and freed. */
	other = test_alloc(0);
	assert_int_equal(tdx_module_pamt_check_reuse(other >> PAGE_SHIFT, 0),
			 0);
	test_free_page(other);
	assert_int_equal(tdx_module_pamt_violations(), before + 3);

	/*
	 * The host frees them through its allocator while the module owns
	 * them (a KVM bug): the allocator's free hook catches each.
	 */
	test_free_page(td.tdr_pa);
	test_free_page(td.tdcs[2]);
	test_free_page(td.vcpu[0].tdvpr_pa);
	assert_int_equal(tdx_module_pamt_violations(), before + 6);
}

static void test_2m_pamt_and_reclaim(void **state)
{
	struct test_td td;
	u64 big, big2, e1, e2, pt, owner, size;

	ttd_create(&td, 1, false, TDX_TD_ATTR_SEPT_VE_DISABLE);
	ttd_add_vcpu(&td);
	ttd_finalize(&td);
	/* A 2M range with one 4K page already owned cannot be AUGed at 2M. */
	big = test_alloc(PMD_ORDER);
	ttd_sept_path(&td, 0x10000000, 0);
	assert_status(tdh_mem_page_aug(td.tdr_pa, 0x10000000, 0,
				       big + 5 * PAGE_SIZE, &e1, &e2),
		      TDX_SUCCESS);
	ttd_sept_path(&td, 0x20000000, 1);
	assert_status(tdh_mem_page_aug(td.tdr_pa, 0x20000000, 1, big, &e1,
				       &e2),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_R8);
	assert_int_equal(tdx_module_pamt_check_reuse(big >> PAGE_SHIFT,
						     PMD_ORDER), -EBUSY);

	big2 = test_alloc(PMD_ORDER);
	assert_status(tdh_mem_page_aug(td.tdr_pa, 0x20000000, 1, big2, &e1,
				       &e2), TDX_SUCCESS);
	assert_int_equal(tdx_module_pamt_check_reuse(
				 (big2 >> PAGE_SHIFT) + 511, 0), -EBUSY);

	/* Teardown with the 2M leaf still mapped: reclaim it as a 2M page. */
	assert_status(tdh_vp_flush(td.vcpu[0].tdvpr_pa), TDX_SUCCESS);
	assert_status(tdh_mng_vpflushdone(td.tdr_pa), TDX_SUCCESS);
	assert_status(tdh_mng_key_freeid(td.tdr_pa), TDX_SUCCESS);
	assert_status(tdh_phymem_page_reclaim(big2 + PAGE_SIZE, &pt, &owner,
					      &size),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	assert_status(tdh_phymem_page_reclaim(big2, &pt, &owner, &size),
		      TDX_SUCCESS);
	assert_int_equal(pt, TDX_PT_REG);
	assert_int_equal(owner, td.tdr_pa);
	assert_int_equal(size, 1);
	assert_int_equal(tdx_module_pamt_check_reuse(big2 >> PAGE_SHIFT,
						     PMD_ORDER), 0);
	assert_status(tdh_phymem_page_reclaim(big + 5 * PAGE_SIZE, &pt,
					      &owner, &size), TDX_SUCCESS);
	assert_int_equal(size, 0);
}

/*
 * Host metadata per 4K page: struct page and the 16-byte PAMT entry, 32
 * bytes; the PAMT entries of a 2M block go back to the OS with the block.
 */
static void test_pamt_metadata_given_back(void **state)
{
	struct phys_mem_stats s0, s1, s2;
	struct test_td td;
	u64 big, e1, e2, pt, owner, size;

	assert_int_equal(tdx_module_pamt_entry_size(), 16);
	phys_mem_get_stats(&s0);
	assert_int_equal(s0.meta_bytes_per_page,
			 sizeof(struct page) + tdx_module_pamt_entry_size());
	assert_int_equal(s0.meta_bytes_per_page, 32);

	ttd_create(&td, 1, false, TDX_TD_ATTR_SEPT_VE_DISABLE);
	ttd_add_vcpu(&td);
	ttd_finalize(&td);
	big = test_alloc(PMD_ORDER);
	ttd_sept_path(&td, 0x20000000, 1);
	phys_mem_get_stats(&s0);
	assert_status(tdh_mem_page_aug(td.tdr_pa, 0x20000000, 1, big, &e1,
				       &e2), TDX_SUCCESS);
	phys_mem_get_stats(&s1);
	/* 512 PAMT entries written: 8 KiB more resident. */
	assert_true(s1.meta_bytes_resident >= s0.meta_bytes_resident + 8192);

	assert_status(tdh_vp_flush(td.vcpu[0].tdvpr_pa), TDX_SUCCESS);
	assert_status(tdh_mng_vpflushdone(td.tdr_pa), TDX_SUCCESS);
	assert_status(tdh_mng_key_freeid(td.tdr_pa), TDX_SUCCESS);
	assert_status(tdh_phymem_page_reclaim(big, &pt, &owner, &size),
		      TDX_SUCCESS);
	test_free_page(big);
	phys_mem_drain();
	phys_mem_get_stats(&s2);
	/* The block's PAMT entries and struct pages went back (16 KiB). */
	assert_true(s2.meta_bytes_resident + 16384 <= s1.meta_bytes_resident);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_free_of_owned_page_caught,
						seam_test_setup,
						seam_test_teardown),
		cmocka_unit_test_setup_teardown(
			test_free_of_control_pages_caught, seam_test_setup,
			seam_test_teardown),
		cmocka_unit_test_setup_teardown(test_2m_pamt_and_reclaim,
						seam_test_setup,
						seam_test_teardown),
		cmocka_unit_test_setup_teardown(test_pamt_metadata_given_back,
						seam_test_setup,
						seam_test_teardown),
	};

	return cmocka_run_group_tests(tests, seam_test_group_setup,
				      seam_test_group_teardown);
}
