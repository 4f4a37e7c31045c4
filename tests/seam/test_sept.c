// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The S-EPT leaves: success paths and their state changes, every failure
 * with its exact status and extended outputs (entry in RCX, level and state
 * in RDX), walk failures on a missing parent page (seed 004's
 * TDX_EPT_WALK_FAILED), BLOCK/TRACK/REMOVE rules, TLB epochs with a vCPU
 * inside the guest, DEMOTE and PROMOTE.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "seam_test.h"

#define FREE_ENTRY	0x8000000000000000ULL
/* MT=WB, IPAT, PS, SVE; plus RWX for MAPPED leaves */
#define LEAF_BASE	(0x6ULL << 3 | BIT_ULL(6) | BIT_ULL(7) | BIT_ULL(63))
#define LEAF_ATTRS	(LEAF_BASE | 0x7ULL)

static u64 ls(int level, unsigned int state)
{
	return (u64)level | ((u64)state << 8);
}

static void test_sept_add_walk(void **state)
{
	struct test_td td;
	u64 e1, e2, page, gpa = 0x40200000ULL;

	ttd_create(&td, 1, false, TDX_TD_ATTR_SEPT_VE_DISABLE);

	/* Level 2 needs the level-3 entry mapped: the walk stops at 3. */
	assert_status(tdh_mem_sept_add(td.tdr_pa, gpa & ~(SZ_1G - 1), 2,
				       test_alloc(0), &e1, &e2),
		      TDX_EPT_WALK_FAILED | TDX_OPERAND_ID_RCX);
	assert_int_equal(e1, FREE_ENTRY);
	assert_int_equal(e2, ls(3, TDX_SEPT_PUB_FREE));

	ttd_sept_path(&td, gpa, 1);	/* PDPT and PD pages */
	/* Seed 004: AUG at 4K under a FREE 2M entry. */
	page = test_alloc(0);
	assert_status(tdh_mem_page_aug(td.tdr_pa, gpa, 0, page, &e1, &e2),
		      0xC0000B0000000001ULL);
	assert_int_equal(e1, 0x8000000000000000ULL);
	assert_int_equal(e2, 0x1);

	assert_status(tdh_mem_sept_add(td.tdr_pa, gpa, 1, test_alloc(0), &e1,
				       &e2), TDX_SUCCESS);
	assert_int_equal(e1, 0);
	assert_int_equal(e2, 0);
	assert_status(tdh_mem_page_aug(td.tdr_pa, gpa, 0, page, &e1, &e2),
		      TDX_SUCCESS);

	/* The same link again: NL_MAPPED, RCX shows RWX only. */
	assert_status(tdh_mem_sept_add(td.tdr_pa, gpa, 1, test_alloc(0), &e1,
				       &e2),
		      TDX_EPT_ENTRY_STATE_INCORRECT | TDX_OPERAND_ID_RCX);
	assert_int_equal(e1, 0x7);
	assert_int_equal(e2, ls(1, TDX_SEPT_PUB_NL_MAPPED));
	/* ...unless allow_existing is set (RDX bit 0). */
	{
		struct tdx_module_args a = {
			.rcx = gpa | 1, .rdx = td.tdr_pa | 1,
			.r8 = test_alloc(0),
		};

		assert_status(seamcall(TDH_MEM_SEPT_ADD, &a), TDX_SUCCESS);
	}

	/* Operand checks. */
	assert_status(tdh_mem_sept_add(td.tdr_pa, gpa, 0, test_alloc(0), &e1,
				       &e2),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	assert_status(tdh_mem_sept_add(td.tdr_pa, gpa + PAGE_SIZE, 1,
				       test_alloc(0), &e1, &e2),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	assert_status(tdh_mem_sept_add(td.tdr_pa, gpa | BIT_ULL(47), 1,
				       test_alloc(0), &e1, &e2),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	assert_status(tdh_mem_sept_add(td.tdr_pa, BIT_ULL(49), 3,
				       test_alloc(0), &e1, &e2),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	/* Level 4 does not exist in a 4-level S-EPT. */
	assert_status(tdh_mem_sept_add(td.tdr_pa, 0, 4, test_alloc(0), &e1,
				       &e2),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	assert_status(tdh_mem_range_block(td.tdr_pa, 0, 4, &e1, &e2),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	assert_status(tdh_mem_sept_add(td.tdr_pa, gpa + SZ_2M, 1, page, &e1,
				       &e2),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_R8);
	assert_status(tdh_mem_sept_add(td.tdr_pa | BIT_ULL(5), gpa + SZ_2M, 1,
				       test_alloc(0), &e1, &e2),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX);
	assert_status(tdh_mem_sept_add(page, gpa + SZ_2M, 1, test_alloc(0),
				       &e1, &e2),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RDX);
}

static void test_aug_states(void **state)
{
	struct test_td td;
	struct tdx_pamt_info pi;
	u64 e1, e2, page, big, gpa = 0x600000;

	ttd_create(&td, 1, false, TDX_TD_ATTR_SEPT_VE_DISABLE);
	page = ttd_aug(&td, gpa, 0);
	assert_int_equal(tdx_module_pamt_query(page, &pi), 0);
	assert_int_equal(pi.pt, TDX_PT_REG);
	assert_int_equal(pi.owner, td.tdr_pa);
	assert_int_equal(pi.gpa, gpa);

	/* AUG on a PENDING entry: the entry is reported as a leaf. */
	assert_status(tdh_mem_page_aug(td.tdr_pa, gpa, 0, test_alloc(0), &e1,
				       &e2),
		      TDX_EPT_ENTRY_STATE_INCORRECT | TDX_OPERAND_ID_RCX);
	assert_int_equal(e1, page | LEAF_BASE);
	assert_int_equal(e2, ls(0, TDX_SEPT_PUB_PENDING));
	/* A page the TD already owns */
	assert_status(tdh_mem_page_aug(td.tdr_pa, gpa + PAGE_SIZE, 0, page,
				       &e1, &e2),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_R8);
	/* 1G AUG is not supported */
	assert_status(tdh_mem_page_aug(td.tdr_pa, 0, 2, test_alloc(0), &e1,
				       &e2),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);

	/* 2M AUG at a PD entry that already links a page table */
	assert_status(tdh_mem_page_aug(td.tdr_pa, gpa & ~(SZ_2M - 1), 1,
				       test_alloc(PMD_ORDER), &e1, &e2),
		      TDX_EPT_ENTRY_STATE_INCORRECT | TDX_OPERAND_ID_RCX);
	assert_int_equal(e2, ls(1, TDX_SEPT_PUB_NL_MAPPED));

	/* 2M AUG needs a 2M-aligned HPA whose 512 pages are all free. */
	ttd_sept_path(&td, 0x800000, 1);
	assert_status(tdh_mem_page_aug(td.tdr_pa, 0x800000, 1,
				       test_alloc(PMD_ORDER) + PAGE_SIZE, &e1,
				       &e2),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_R8);
	big = test_alloc(PMD_ORDER);
	assert_status(tdh_mem_page_aug(td.tdr_pa, 0x800000, 1, big, &e1, &e2),
		      TDX_SUCCESS);
	assert_int_equal(tdx_module_pamt_query(big + 7 * PAGE_SIZE, &pi), 0);
	assert_int_equal(pi.pt, TDX_PT_REG);
	assert_int_equal(pi.size, 1);
	assert_int_equal(pi.gpa, 0x800000 + 7 * PAGE_SIZE);
	/* A 4K walk under it stops at the 2M leaf. */
	assert_status(tdh_mem_page_aug(td.tdr_pa, 0x801000, 0, test_alloc(0),
				       &e1, &e2),
		      TDX_EPT_WALK_FAILED | TDX_OPERAND_ID_RCX);
	assert_int_equal(e2, ls(1, TDX_SEPT_PUB_PENDING));
	assert_int_equal(e1 & ~0xFFFULL & ((1ULL << 52) - 1), big);
}

static void test_block_track_remove(void **state)
{
	struct test_td td;
	u64 e1, e2, page, gpa = 0x10000;

	ttd_create(&td, 1, false, TDX_TD_ATTR_SEPT_VE_DISABLE);
	ttd_add_vcpu(&td);
	ttd_sept_path(&td, gpa, 0);
	ttd_finalize(&td);
	page = ttd_aug(&td, gpa, 0);

	/* BLOCK of a FREE entry */
	assert_status(tdh_mem_range_block(td.tdr_pa, gpa + PAGE_SIZE, 0, &e1,
					  &e2),
		      TDX_EPT_ENTRY_STATE_INCORRECT | TDX_OPERAND_ID_RCX);
	assert_int_equal(e1, FREE_ENTRY);
	assert_int_equal(e2, ls(0, TDX_SEPT_PUB_FREE));

	assert_status(tdh_mem_page_remove(td.tdr_pa, gpa, 0, &e1, &e2),
		      TDX_GPA_RANGE_NOT_BLOCKED | TDX_OPERAND_ID_RCX);
	assert_status(tdh_mem_range_block(td.tdr_pa, gpa, 0, &e1, &e2),
		      TDX_SUCCESS);
	assert_status(tdh_mem_range_block(td.tdr_pa, gpa, 0, &e1, &e2),
		      0x00000B0700000001ULL);
	assert_int_equal(e2, ls(0, TDX_SEPT_PUB_PENDING_BLOCKED));
	assert_status(tdh_mem_page_remove(td.tdr_pa, gpa, 0, &e1, &e2),
		      TDX_TLB_TRACKING_NOT_DONE | TDX_OPERAND_ID_RCX);
	assert_status(tdh_mem_range_unblock(td.tdr_pa, gpa, 0, &e1, &e2),
		      0xC0000B0800000092ULL);

	/* TRACK, then both work: UNBLOCK first, BLOCK again, REMOVE. */
	assert_status(tdh_mem_track(td.tdr_pa), TDX_SUCCESS);
	assert_status(tdh_mem_range_unblock(td.tdr_pa, gpa, 0, &e1, &e2),
		      TDX_SUCCESS);
	assert_status(tdh_mem_range_unblock(td.tdr_pa, gpa, 0, &e1, &e2),
		      TDX_EPT_ENTRY_STATE_INCORRECT | TDX_OPERAND_ID_RCX);
	assert_int_equal(e2, ls(0, TDX_SEPT_PUB_PENDING));
	ttd_block_track(&td, gpa, 0);
	assert_status(tdh_mem_page_remove(td.tdr_pa, gpa, 0, &e1, &e2),
		      TDX_SUCCESS);
	assert_int_equal(e1, page);
	assert_int_equal(e2, 0);
	assert_status(tdh_mem_page_remove(td.tdr_pa, gpa, 0, &e1, &e2),
		      TDX_EPT_ENTRY_STATE_INCORRECT | TDX_OPERAND_ID_RCX);
	assert_int_equal(e2, ls(0, TDX_SEPT_PUB_FREE));
	/* The page can be AUGed again. */
	assert_status(tdh_mem_page_aug(td.tdr_pa, gpa, 0, page, &e1, &e2),
		      TDX_SUCCESS);
	{
		u64 epoch;

		assert_status(tdh_mng_rd(td.tdr_pa, TDCS_TD_EPOCH, &epoch),
			      TDX_SUCCESS);
		assert_int_equal(epoch, 3);
	}
}

static void test_initialized_no_tracking(void **state)
{
	struct test_td td;
	u64 e1, e2, page;
	u8 data[4096] = { 1 };

	ttd_create(&td, 1, false, TDX_TD_ATTR_SEPT_VE_DISABLE);
	page = ttd_page_add(&td, 0x3000, data);
	/* Before MR.FINALIZE no BLOCK or TRACK is needed. */
	assert_status(tdh_mem_page_remove(td.tdr_pa, 0x3000, 0, &e1, &e2),
		      TDX_SUCCESS);
	assert_int_equal(e1, page);
	assert_status(tdh_mem_sept_remove(td.tdr_pa, 0x0, 2, &e1, &e2),
		      TDX_EPT_PAGE_NOT_FREE | TDX_OPERAND_ID_RCX);
	assert_int_equal(e2, ls(2, TDX_SEPT_PUB_NL_MAPPED));
	/* PAGE.REMOVE of a table entry */
	assert_status(tdh_mem_page_remove(td.tdr_pa, 0x0, 1, &e1, &e2),
		      TDX_EPT_ENTRY_STATE_INCORRECT | TDX_OPERAND_ID_RCX);
	assert_int_equal(e1, 0x7);
	assert_int_equal(e2, ls(1, TDX_SEPT_PUB_NL_MAPPED));
	assert_status(tdh_mem_sept_remove(td.tdr_pa, 0x0, 1, &e1, &e2),
		      TDX_SUCCESS);
	/* PAGE.ADD at a FREE entry only; walk fails without the PT page. */
	assert_status(tdh_mem_page_add(td.tdr_pa, 0x3000, test_alloc(0),
				       test_alloc(0), &e1, &e2),
		      TDX_EPT_WALK_FAILED | TDX_OPERAND_ID_RCX);
	assert_int_equal(e2, ls(1, TDX_SEPT_PUB_FREE));
	/* Source page owned by the module */
	ttd_sept_path(&td, 0x3000, 0);
	assert_status(tdh_mem_page_add(td.tdr_pa, 0x3000, test_alloc(0),
				       td.tdcs[0], &e1, &e2),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_R9);
	assert_status(tdh_mem_page_add(td.tdr_pa, 0x3000 | 1, test_alloc(0),
				       test_alloc(0), &e1, &e2),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
}

static void test_sept_remove_runnable(void **state)
{
	struct tdx_pamt_info pi;
	struct test_td td;
	u64 e1, e2, pt_page;

	ttd_create(&td, 1, false, TDX_TD_ATTR_SEPT_VE_DISABLE);
	ttd_add_vcpu(&td);
	ttd_sept_path(&td, 0x200000, 1);
	pt_page = test_alloc(0);
	assert_status(tdh_mem_sept_add(td.tdr_pa, 0x200000, 1, pt_page, &e1,
				       &e2), TDX_SUCCESS);
	ttd_finalize(&td);
	ttd_aug(&td, 0x201000, 0);

	assert_status(tdh_mem_sept_remove(td.tdr_pa, 0x200000, 1, &e1, &e2),
		      TDX_GPA_RANGE_NOT_BLOCKED | TDX_OPERAND_ID_RCX);
	ttd_block_track(&td, 0x200000, 1);
	assert_status(tdh_mem_sept_remove(td.tdr_pa, 0x200000, 1, &e1, &e2),
		      TDX_EPT_PAGE_NOT_FREE | TDX_OPERAND_ID_RCX);
	assert_int_equal(e2, ls(1, TDX_SEPT_PUB_NL_BLOCKED));
	/* The walk does not pass a blocked table. */
	assert_status(tdh_mem_range_block(td.tdr_pa, 0x201000, 0, &e1, &e2),
		      TDX_EPT_WALK_FAILED | TDX_OPERAND_ID_RCX);
	assert_int_equal(e2, ls(1, TDX_SEPT_PUB_NL_BLOCKED));
	assert_int_equal(e1, 0);
	/* Unblock, remove the leaf, then the table. */
	assert_status(tdh_mem_range_unblock(td.tdr_pa, 0x200000, 1, &e1, &e2),
		      TDX_SUCCESS);
	ttd_block_track(&td, 0x201000, 0);
	assert_status(tdh_mem_page_remove(td.tdr_pa, 0x201000, 0, &e1, &e2),
		      TDX_SUCCESS);
	ttd_block_track(&td, 0x200000, 1);
	assert_status(tdh_mem_sept_remove(td.tdr_pa, 0x200000, 1, &e1, &e2),
		      TDX_SUCCESS);
	assert_int_equal(e1, pt_page);
	assert_int_equal(tdx_module_pamt_query(pt_page, &pi), 0);
	assert_int_equal(pi.pt, TDX_PT_NDA);
	/* Level-1 entry is FREE again: a 2M AUG fits there now. */
	ttd_aug(&td, 0x200000, 1);
}

/* PAGE.ADD 512 contiguous 4K pages, PROMOTE, then DEMOTE back. */
static void test_promote_demote(void **state)
{
	struct test_td td;
	u64 e1, e2, big, gpa = 0x400000, np;
	u8 data[4096] = { 0 };
	int i;

	ttd_create(&td, 1, false, TDX_TD_ATTR_SEPT_VE_DISABLE);
	ttd_add_vcpu(&td);
	big = test_alloc(PMD_ORDER);
	ttd_sept_path(&td, gpa, 0);
	for (i = 0; i < 512; i++) {
		u64 src = test_alloc(0);

		data[0] = i;
		memcpy(pfn_to_virt(src >> PAGE_SHIFT), data, PAGE_SIZE);
		assert_status(tdh_mem_page_add(td.tdr_pa, gpa + i * PAGE_SIZE,
					       big + i * PAGE_SIZE, src, &e1,
					       &e2), TDX_SUCCESS);
	}
	assert_status(tdh_mem_page_promote(td.tdr_pa, gpa, 1, &e1, &e2),
		      TDX_SUCCESS);
	/* e1 = the freed page table; the entry is now a 2M MAPPED leaf. */
	assert_status(tdh_mem_page_aug(td.tdr_pa, gpa, 1, test_alloc(PMD_ORDER),
				       &e1, &e2),
		      TDX_EPT_ENTRY_STATE_INCORRECT | TDX_OPERAND_ID_RCX);
	assert_int_equal(e2, ls(1, TDX_SEPT_PUB_MAPPED));
	assert_int_equal(e1, big | LEAF_ATTRS);
	ttd_finalize(&td);

	np = test_alloc(0);
	assert_status(tdh_mem_page_demote(td.tdr_pa, gpa, 1, np, &e1, &e2),
		      TDX_GPA_RANGE_NOT_BLOCKED | TDX_OPERAND_ID_RCX);
	assert_status(tdh_mem_range_block(td.tdr_pa, gpa, 1, &e1, &e2),
		      TDX_SUCCESS);
	assert_status(tdh_mem_page_demote(td.tdr_pa, gpa, 1, np, &e1, &e2),
		      TDX_TLB_TRACKING_NOT_DONE | TDX_OPERAND_ID_RCX);
	assert_status(tdh_mem_track(td.tdr_pa), TDX_SUCCESS);
	assert_status(tdh_mem_page_demote(td.tdr_pa, gpa, 1, big, &e1, &e2),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_R8);
	assert_status(tdh_mem_page_demote(td.tdr_pa, gpa, 1, np, &e1, &e2),
		      TDX_SUCCESS);
	/* 512 unblocked MAPPED 4K children at contiguous HPAs. */
	for (i = 0; i < 512; i += 73) {
		assert_status(tdh_mem_page_aug(td.tdr_pa, gpa + i * PAGE_SIZE,
					       0, test_alloc(0), &e1, &e2),
			      TDX_EPT_ENTRY_STATE_INCORRECT |
			      TDX_OPERAND_ID_RCX);
		assert_int_equal(e2, ls(0, TDX_SEPT_PUB_MAPPED));
		assert_int_equal(e1, (big + i * PAGE_SIZE) | LEAF_ATTRS);
	}
	/* Not promotable while not blocked; then fine after BLOCK+TRACK. */
	assert_status(tdh_mem_page_promote(td.tdr_pa, gpa, 1, &e1, &e2),
		      TDX_GPA_RANGE_NOT_BLOCKED | TDX_OPERAND_ID_RCX);
	/* Break contiguity: remove child 3 first. */
	ttd_block_track(&td, gpa + 3 * PAGE_SIZE, 0);
	assert_status(tdh_mem_page_remove(td.tdr_pa, gpa + 3 * PAGE_SIZE, 0,
					  &e1, &e2), TDX_SUCCESS);
	ttd_block_track(&td, gpa, 1);
	assert_status(tdh_mem_page_promote(td.tdr_pa, gpa, 1, &e1, &e2),
		      TDX_EPT_INVALID_PROMOTE_CONDITIONS | TDX_OPERAND_ID_RCX);
	/* DEMOTE of a non-leaf entry */
	assert_status(tdh_mem_page_demote(td.tdr_pa, gpa, 1, test_alloc(0),
					  &e1, &e2),
		      TDX_EPT_ENTRY_STATE_INCORRECT | TDX_OPERAND_ID_RCX);
	assert_int_equal(e2, ls(1, TDX_SEPT_PUB_NL_BLOCKED));
}

/* A guest whose run() acts as another CPU while this vCPU is inside. */
struct cb_guest {
	void (*fn)(struct test_td *td);
	struct test_td *td;
	int calls;
};

static int cb_run(void *guest, struct tdx_vcpu_ctx *ctx)
{
	struct cb_guest *g = guest;

	g->calls++;
	g->fn(g->td);
	return 0;
}

static const struct tdx_guest_ops cb_ops = { .run = cb_run };

#define TRACK_GPA	0x5000

static void inside_track(struct test_td *td)
{
	u64 e1, e2;

	/* Blocked in epoch 1 while this vCPU entered in epoch 1. */
	assert_status(tdh_mem_range_block(td->tdr_pa, TRACK_GPA, 0, &e1, &e2),
		      TDX_SUCCESS);
	assert_status(tdh_mem_track(td->tdr_pa), TDX_SUCCESS);
	/* Epoch 2 now; the vCPU still runs in epoch 1. */
	assert_status(tdh_mem_track(td->tdr_pa), TDX_PREVIOUS_TLB_EPOCH_BUSY);
	assert_status(tdh_mem_page_remove(td->tdr_pa, TRACK_GPA, 0, &e1, &e2),
		      TDX_TLB_TRACKING_NOT_DONE | TDX_OPERAND_ID_RCX);
	assert_status(tdh_mem_range_unblock(td->tdr_pa, TRACK_GPA, 0, &e1,
					    &e2),
		      TDX_TLB_TRACKING_NOT_DONE | TDX_OPERAND_ID_SEPT);
	/* TDR exclusive leaves fail while a vCPU holds it shared. */
	assert_status(tdh_mng_vpflushdone(td->tdr_pa),
		      TDX_OPERAND_BUSY | TDX_OPERAND_ID_RCX);
	/* So does writing the vCPU's state. */
	assert_status(tdh_vp_wr(td->vcpu[0].tdvpr_pa, TDVPS_SHARED_EPT_POINTER,
				0, ~0ULL),
		      TDX_OPERAND_BUSY | TDX_OPERAND_ID_RCX);
	assert_status(tdh_vp_flush(td->vcpu[0].tdvpr_pa),
		      TDX_OPERAND_BUSY | TDX_OPERAND_ID_RCX);
}

static void test_track_with_vcpu_inside(void **state)
{
	struct tdx_module_args out;
	struct cb_guest g = { .fn = inside_track };
	struct test_td td;
	u64 e1, e2, epoch;

	ttd_create(&td, 1, false, TDX_TD_ATTR_SEPT_VE_DISABLE);
	ttd_add_vcpu(&td);
	ttd_sept_path(&td, TRACK_GPA, 0);
	ttd_finalize(&td);
	ttd_aug(&td, TRACK_GPA, 0);
	g.td = &td;
	assert_int_equal(tdx_module_set_guest(td.vcpu[0].tdvpr_pa, &cb_ops,
					      &g), 0);
	assert_status(ttd_enter(&td, 0, &out), EXIT_REASON_TDCALL);
	assert_int_equal(g.calls, 1);
	/* The vCPU left: epoch 1 is drained, so REMOVE is tracked now. */
	assert_status(tdh_mem_page_remove(td.tdr_pa, TRACK_GPA, 0, &e1, &e2),
		      TDX_SUCCESS);
	assert_status(tdh_mng_rd(td.tdr_pa, TDCS_TD_EPOCH, &epoch),
		      TDX_SUCCESS);
	assert_int_equal(epoch, 2);
	assert_status(tdh_mem_track(td.tdr_pa), TDX_SUCCESS);
}

static void inside_second_track(struct test_td *td)
{
	u64 e1, e2;

	/* Entered in epoch 2; BLOCK stamps 2, two TRACKs would be needed. */
	assert_status(tdh_mem_range_block(td->tdr_pa, TRACK_GPA, 0, &e1, &e2),
		      TDX_SUCCESS);
}

static void test_double_track_after_exit(void **state)
{
	struct tdx_module_args out;
	struct cb_guest g = { .fn = inside_second_track };
	struct test_td td;
	u64 e1, e2;

	ttd_create(&td, 1, false, TDX_TD_ATTR_SEPT_VE_DISABLE);
	ttd_add_vcpu(&td);
	ttd_sept_path(&td, TRACK_GPA, 0);
	ttd_finalize(&td);
	ttd_aug(&td, TRACK_GPA, 0);
	g.td = &td;
	assert_int_equal(tdx_module_set_guest(td.vcpu[0].tdvpr_pa, &cb_ops,
					      &g), 0);
	assert_status(ttd_enter(&td, 0, &out), EXIT_REASON_TDCALL);
	/* Blocked in epoch 1 with no TRACK at all: not tracked. */
	assert_status(tdh_mem_page_remove(td.tdr_pa, TRACK_GPA, 0, &e1, &e2),
		      TDX_TLB_TRACKING_NOT_DONE | TDX_OPERAND_ID_RCX);
	assert_status(tdh_mem_track(td.tdr_pa), TDX_SUCCESS);
	assert_status(tdh_mem_page_remove(td.tdr_pa, TRACK_GPA, 0, &e1, &e2),
		      TDX_SUCCESS);
}

static void test_five_level(void **state)
{
	struct test_td td;
	u64 e1, e2, gpa = BIT_ULL(50) | 0x3000, v;

	ttd_create(&td, 1, true, TDX_TD_ATTR_SEPT_VE_DISABLE);
	assert_status(tdh_mng_rd(td.tdr_pa, TDCS_EPTP_PWL, &v), TDX_SUCCESS);
	assert_int_equal(v, 4);
	assert_status(tdh_mem_page_aug(td.tdr_pa, gpa, 0, test_alloc(0), &e1,
				       &e2),
		      TDX_EPT_WALK_FAILED | TDX_OPERAND_ID_RCX);
	assert_int_equal(e2, ls(4, TDX_SEPT_PUB_FREE));
	ttd_aug(&td, gpa, 0);
	/* Shared bit 51 is invalid in a private GPA operand. */
	assert_status(tdh_mem_page_aug(td.tdr_pa, gpa | BIT_ULL(51), 0,
				       test_alloc(0), &e1, &e2),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sept_add_walk,
						seam_test_setup,
						seam_test_teardown),
		cmocka_unit_test_setup_teardown(test_aug_states,
						seam_test_setup,
						seam_test_teardown),
		cmocka_unit_test_setup_teardown(test_block_track_remove,
						seam_test_setup,
						seam_test_teardown),
		cmocka_unit_test_setup_teardown(test_initialized_no_tracking,
						seam_test_setup,
						seam_test_teardown),
		cmocka_unit_test_setup_teardown(test_sept_remove_runnable,
						seam_test_setup,
						seam_test_teardown),
		cmocka_unit_test_setup_teardown(test_promote_demote,
						seam_test_setup,
						seam_test_teardown),
		cmocka_unit_test_setup_teardown(test_track_with_vcpu_inside,
						seam_test_setup,
						seam_test_teardown),
		cmocka_unit_test_setup_teardown(test_double_track_after_exit,
						seam_test_setup,
						seam_test_teardown),
		cmocka_unit_test_setup_teardown(test_five_level,
						seam_test_setup,
						seam_test_teardown),
	};

	return cmocka_run_group_tests(tests, seam_test_group_setup,
				      seam_test_group_teardown);
}
