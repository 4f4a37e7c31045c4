// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Dynamic PAMT in the module (docs/upstream/series-dpamt.md §2):
 * TDH.PHYMEM.PAMT.ADD and REMOVE with their statuses, MISSING_PAMT_PAGE_PAIR
 * from every leaf that gives the module a 4K page whose region has no
 * pair, 2M mappings needing none, DEMOTE taking the pair and PROMOTE giving
 * it back, the pair pages refused to TDs, and the PAMT byte accounting.
 */
#include <errno.h>
#include <string.h>

#include "seam_test.h"

#define RCX	TDX_OPERAND_ID_RCX
#define RDX	TDX_OPERAND_ID_RDX
#define R8	TDX_OPERAND_ID_R8

static int dpamt_setup(void **state)
{
	struct tdx_module_config cfg;

	tdx_module_config_init(&cfg);
	cfg.dynamic_pamt = true;
	seam_test_start(&cfg);
	return 0;
}

static u64 region_pfn(u64 pa)
{
	return (pa >> PAGE_SHIFT) & ~511ULL;
}

/* Give @pa's region a pair of fresh pages; its status. */
static u64 add_pair(u64 pa, u64 pair[2])
{
	u64 p[2];

	if (!pair)
		pair = p;
	pair[0] = test_alloc(0);
	pair[1] = test_alloc(0);
	return tdh_phymem_pamt_add(pa >> PAGE_SHIFT, pair);
}

/* Every region of the PFN space gets its pair (pairs of pair pages too). */
static void cover_all(void)
{
	struct tdx_pamt_bytes b;
	u64 r;

	tdx_module_pamt_bytes(&b);
	for (r = 1; r < (b.covered >> 21); r++) {
		u64 err = add_pair(r << 21, NULL);

		if (err != (TDX_HPA_RANGE_NOT_FREE | RCX))
			assert_status(err, TDX_SUCCESS);
	}
}

static void test_off_leaves_invalid(void **state)
{
	u64 pair[2] = { test_alloc(0), test_alloc(0) };

	/* The default module (seam_test_setup) has DPAMT off. */
	assert_false(tdx_module_dynamic_pamt());
	assert_status(tdh_phymem_pamt_add(512, pair),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RAX);
	assert_status(tdh_phymem_pamt_remove(512, pair),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RAX);
}

static void test_add_remove(void **state)
{
	u64 tdr = test_alloc(0), pair[2], out[2], err;
	struct tdx_pamt_bytes b0, b1;
	int hkid = tdx_guest_keyid_alloc();

	tdx_module_pamt_bytes(&b0);
	assert_true(b0.dynamic);
	/* A TDR in a region without its pair: the walk ends at 2M. */
	assert_status(tdh_mng_create(tdr, hkid),
		      TDX_MISSING_PAMT_PAGE_PAIR | RCX);
	err = add_pair(tdr, pair);
	assert_status(err, TDX_SUCCESS);
	tdx_module_pamt_bytes(&b1);
	assert_int_equal(b1.pairs, b0.pairs + 1);
	assert_int_equal(b1.dynamic_pamt, b0.dynamic_pamt + 2 * PAGE_SIZE);
	/* Twice: the region has its pair. */
	assert_status(add_pair(tdr, NULL), TDX_HPA_RANGE_NOT_FREE | RCX);
	/* A pair page is the module's now. */
	assert_status(tdh_mng_create(pair[0], hkid),
		      (region_pfn(pair[0]) == region_pfn(tdr) ?
		       TDX_PAGE_METADATA_INCORRECT :
		       TDX_MISSING_PAMT_PAGE_PAIR) | RCX);
	assert_status(tdh_mng_create(tdr, hkid), TDX_SUCCESS);
	assert_status(tdh_mng_key_config(tdr), TDX_SUCCESS);
	assert_status(tdh_mng_addcx(tdr, test_alloc(PMD_ORDER)),
		      TDX_MISSING_PAMT_PAGE_PAIR | RCX);
	/* The TDR's 4K entry is in use: REMOVE refuses. */
	err = tdh_phymem_pamt_remove(tdr >> PAGE_SHIFT, out);
	assert_int_equal(err & TDX_SEAMCALL_STATUS_MASK,
			 TDX_PAMT_PAGE_NOT_EMPTY);
}

static void test_operands(void **state)
{
	u64 a = test_alloc(0), pair[2] = { test_alloc(0), test_alloc(0) };
	u64 other[2], out[2];
	struct tdx_module_args args = { 0 };

	/* RCX: level 2M, 2M aligned. */
	args.rcx = (a & ~(SZ_2M - 1)) | 0;
	args.rdx = pair[0];
	args.r8 = pair[1];
	assert_status(seamcall(TDH_PHYMEM_PAMT_ADD, &args),
		      TDX_OPERAND_INVALID | RCX);
	args.rcx = (a & ~(SZ_2M - 1)) | 1 | 0x1000;
	assert_status(seamcall(TDH_PHYMEM_PAMT_ADD, &args),
		      TDX_OPERAND_INVALID | RCX);
	/* No pair to remove. */
	assert_status(tdh_phymem_pamt_remove(a >> PAGE_SHIFT, out),
		      TDX_NO_PAMT_PAGE_PAIR | RCX);
	/* The same page twice; a missing page. */
	other[0] = other[1] = pair[0];
	assert_status(tdh_phymem_pamt_add(a >> PAGE_SHIFT, other),
		      TDX_OPERAND_INVALID | R8);
	other[1] = 0;
	assert_status(tdh_phymem_pamt_add(a >> PAGE_SHIFT, other),
		      TDX_MISSING_PAMT_PAGE_PAIR | R8);
	assert_status(tdh_phymem_pamt_add(a >> PAGE_SHIFT, pair),
		      TDX_SUCCESS);
	/* A pair page cannot serve a second region. */
	other[0] = pair[1];
	other[1] = test_alloc(0);
	assert_status(tdh_phymem_pamt_add((a >> PAGE_SHIFT) + 512 <
					  (512ULL << 20 >> PAGE_SHIFT) ?
					  (a >> PAGE_SHIFT) + 512 :
					  (a >> PAGE_SHIFT) - 512, other),
		      TDX_PAGE_NOT_FREE | RDX);
	/* An empty region gives its pair back. */
	assert_status(tdh_phymem_pamt_remove(a >> PAGE_SHIFT, out),
		      TDX_SUCCESS);
	assert_int_equal(out[0], pair[0]);
	assert_int_equal(out[1], pair[1]);
	assert_status(tdh_phymem_pamt_remove(a >> PAGE_SHIFT, out),
		      TDX_NO_PAMT_PAGE_PAIR | RCX);
}

/* A 4K page of a 2M block of its own whose region's pair was taken back. */
static u64 uncovered_page(void)
{
	u64 out[2], page = test_alloc(PMD_ORDER);

	assert_status(tdh_phymem_pamt_remove(page >> PAGE_SHIFT, out),
		      TDX_SUCCESS);
	return page;
}

/* Every "new 4K page" leaf answers MISSING_PAMT_PAGE_PAIR. */
static void test_missing_everywhere(void **state)
{
	struct test_td td;
	u64 out[2], page, err, e1, e2, big, tdvpr;
	struct tdx_pamt_info pi;

	cover_all();
	ttd_create(&td, 2, false, TDX_TD_ATTR_SEPT_VE_DISABLE);
	page = uncovered_page();
	assert_status(tdh_vp_create(td.tdr_pa, page),
		      TDX_MISSING_PAMT_PAGE_PAIR | RCX);
	tdvpr = test_alloc(0);
	assert_status(tdh_vp_create(td.tdr_pa, tdvpr), TDX_SUCCESS);
	assert_status(tdh_vp_addcx(tdvpr, page),
		      TDX_MISSING_PAMT_PAGE_PAIR | RCX);
	ttd_add_vcpu(&td);
	ttd_sept_path(&td, 0x200000, 0);
	ttd_finalize(&td);

	assert_status(tdh_mem_page_aug(td.tdr_pa, 0x200000, 0, page, &e1, &e2),
		      TDX_MISSING_PAMT_PAGE_PAIR | R8);
	assert_status(tdh_mem_sept_add(td.tdr_pa, 0x400000, 1, page, &e1,
				       &e2),
		      TDX_MISSING_PAMT_PAGE_PAIR | R8);
	/* With the pair, the same AUG goes through. */
	assert_status(add_pair(page, NULL), TDX_SUCCESS);
	assert_status(tdh_mem_page_aug(td.tdr_pa, 0x200000, 0, page, &e1, &e2),
		      TDX_SUCCESS);

	/* A 2M page needs no pair, and may not have one. */
	big = test_alloc(PMD_ORDER);
	assert_status(tdh_mem_page_aug(td.tdr_pa, 0x600000, 1, big, &e1, &e2),
		      TDX_PAGE_METADATA_INCORRECT | R8);
	assert_status(tdh_phymem_pamt_remove(big >> PAGE_SHIFT, out),
		      TDX_SUCCESS);
	assert_status(tdh_mem_page_aug(td.tdr_pa, 0x600000, 1, big, &e1, &e2),
		      TDX_SUCCESS);
	/* Nor PAMT.ADD on a region mapped 2M. */
	assert_status(add_pair(big, NULL), TDX_HPA_RANGE_NOT_FREE | RCX);

	/* DEMOTE: the new S-EPT page has its pair; the 2M page gets one. */
	ttd_block_track(&td, 0x600000, 1);
	page = test_alloc(0);
	err = tdh_mem_page_demote(td.tdr_pa, 0x600000, 1, page, &e1, &e2);
	assert_status(err, TDX_MISSING_PAMT_PAGE_PAIR | TDX_OPERAND_ID_R12);
	out[0] = test_alloc(0);
	out[1] = test_alloc(0);
	assert_status(tdh_mem_page_demote_pamt(td.tdr_pa, 0x600000, 1, page,
					       out[0], out[1], &e1, &e2),
		      TDX_SUCCESS);
	assert_int_equal(tdx_module_pamt_query(out[0], &pi), 0);
	assert_int_equal(pi.pt, 0xfe);
	assert_int_equal(tdx_module_td_pamt_pairs(td.tdr_pa) >= 2, true);
	/* Its 4K entries are in use now. */
	err = tdh_phymem_pamt_remove(big >> PAGE_SHIFT, out);
	assert_int_equal(err & TDX_SEAMCALL_STATUS_MASK,
			 TDX_PAMT_PAGE_NOT_EMPTY);
}

static void test_mode_switch(void **state)
{
	struct test_td td;

	assert_int_equal(tdx_module_set_dynamic_pamt(true), 0);
	assert_true(tdx_module_dynamic_pamt());
	cover_all();
	ttd_create(&td, 1, false, TDX_TD_ATTR_SEPT_VE_DISABLE);
	/* A TD holds pages: the host's mode is fixed. */
	assert_int_equal(tdx_module_set_dynamic_pamt(false), -EBUSY);
	assert_int_equal(tdx_module_set_dynamic_pamt(true), 0);
}

static void test_bytes(void **state)
{
	struct tdx_pamt_bytes b;

	tdx_module_pamt_bytes(&b);
	/* 1/256 of the memory, plus 16 bytes per 2M and per 1G. */
	assert_int_equal(b.static_pamt,
			 b.covered / 256 + (b.covered >> 21) * 16 +
			 (b.covered >> 30) * 16);
	assert_int_equal(b.bitmap, b.covered / PAGE_SIZE / 8);
	assert_int_equal(b.dynamic_pamt,
			 (b.covered >> 21) * 16 + (b.covered >> 30) * 16 +
			 b.bitmap + b.pairs * 8192);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_off_leaves_invalid,
						seam_test_setup,
						seam_test_teardown),
		cmocka_unit_test_setup_teardown(test_add_remove, dpamt_setup,
						seam_test_teardown),
		cmocka_unit_test_setup_teardown(test_operands, dpamt_setup,
						seam_test_teardown),
		cmocka_unit_test_setup_teardown(test_missing_everywhere,
						dpamt_setup,
						seam_test_teardown),
		cmocka_unit_test_setup_teardown(test_mode_switch,
						seam_test_setup,
						seam_test_teardown),
		cmocka_unit_test_setup_teardown(test_bytes, dpamt_setup,
						seam_test_teardown),
	};

	return cmocka_run_group_tests(tests, seam_test_group_setup,
				      seam_test_group_teardown);
}
