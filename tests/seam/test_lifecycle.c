// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TD and vCPU life cycles of the software TDX module: the build sequence,
 * the dispatcher's RAX checks, every build-phase failure with its exact
 * status, teardown and reclaim, metadata reads and writes.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "seam_test.h"

static u64 rd(struct test_td *td, u64 field)
{
	u64 v = ~0ULL;

	assert_status(tdh_mng_rd(td->tdr_pa, field, &v), TDX_SUCCESS);
	return v;
}

static void test_build_run_teardown(void **state)
{
	struct tdx_module_args out;
	struct test_td td;
	u64 pt, owner, size, e1, e2, page;
	unsigned int k;

	ttd_create(&td, 2, false, TDX_TD_ATTR_SEPT_VE_DISABLE);
	assert_int_equal(rd(&td, TDCS_OP_STATE), 1);
	assert_int_equal(rd(&td, TDCS_MAX_VCPUS), 2);
	assert_int_equal(rd(&td, TDCS_TD_EPOCH), 1);
	assert_int_equal(rd(&td, TDCS_EPTP_PWL), 3);
	/* TDR + 6 TDCS pages */
	assert_int_equal(tdx_module_pages_owned(td.tdr_pa), 7);

	ttd_add_vcpu(&td);
	assert_int_equal(rd(&td, TDCS_NUM_VCPUS), 1);
	assert_int_equal(tdx_module_pages_owned(td.tdr_pa), 7 + 6);

	page = ttd_page_add(&td, 0x1000, pfn_to_virt(test_alloc(0) >> 12));
	/* 3 S-EPT pages (PDPT, PD, PT) and the page */
	assert_int_equal(tdx_module_pages_owned(td.tdr_pa), 13 + 4);
	ttd_finalize(&td);
	assert_int_equal(rd(&td, TDCS_OP_STATE), 2);

	/* A vCPU without guest code halts for good. */
	assert_status(ttd_enter(&td, 0, &out), EXIT_REASON_TDCALL);
	assert_int_equal(out.r10, 0);
	assert_int_equal(out.r11, TDVMCALL_HLT);
	assert_int_equal(out.r12, 1);

	/* Teardown: remove the leaf while the HKID is still assigned. */
	ttd_block_track(&td, 0x1000, 0);
	assert_status(tdh_mem_page_remove(td.tdr_pa, 0x1000, 0, &e1, &e2),
		      TDX_SUCCESS);
	assert_int_equal(e1, page);
	assert_status(tdh_phymem_page_wbinvd_hkid(td.hkid, page), TDX_SUCCESS);

	assert_status(tdh_mng_vpflushdone(td.tdr_pa), TDX_FLUSHVP_NOT_DONE);
	assert_status(tdh_vp_flush(td.vcpu[0].tdvpr_pa), TDX_SUCCESS);
	assert_status(tdh_vp_flush(td.vcpu[0].tdvpr_pa),
		      TDX_VCPU_NOT_ASSOCIATED);
	/* Not torn down yet: nothing can be reclaimed. */
	assert_status(tdh_phymem_page_reclaim(td.tdcs[0], &pt, &owner, &size),
		      TDX_LIFECYCLE_STATE_INCORRECT);
	assert_status(tdh_mng_key_freeid(td.tdr_pa),
		      TDX_LIFECYCLE_STATE_INCORRECT);
	assert_status(tdh_mng_vpflushdone(td.tdr_pa), TDX_SUCCESS);
	assert_status(tdh_phymem_cache_wb(false), TDX_SUCCESS);
	assert_status(tdh_mng_key_freeid(td.tdr_pa), TDX_SUCCESS);

	/* TDR last: while children exist it cannot go. */
	assert_status(tdh_phymem_page_reclaim(td.tdr_pa, &pt, &owner, &size),
		      TDX_TD_ASSOCIATED_PAGES_EXIST);
	for (k = 0; k < tdx_nr_tdcs_pages(); k++) {
		assert_status(tdh_phymem_page_reclaim(td.tdcs[k], &pt, &owner,
						      &size), TDX_SUCCESS);
		assert_int_equal(pt, TDX_PT_TDCX);
		assert_int_equal(owner, td.tdr_pa);
		assert_int_equal(size, 0);
	}
	assert_status(tdh_phymem_page_reclaim(td.vcpu[0].tdvpr_pa, &pt,
					      &owner, &size), TDX_SUCCESS);
	assert_int_equal(pt, TDX_PT_TDVPR);
	for (k = 0; k < tdx_nr_tdcx_pages(); k++)
		assert_status(tdh_phymem_page_reclaim(td.vcpu[0].tdcx[k], &pt,
						      &owner, &size),
			      TDX_SUCCESS);
	/* The S-EPT pages are still the TD's. */
	assert_int_equal(tdx_module_pages_owned(td.tdr_pa), 1 + 3);
	assert_status(tdh_phymem_page_reclaim(td.tdr_pa, &pt, &owner, &size),
		      TDX_TD_ASSOCIATED_PAGES_EXIST);
	/* Reclaiming a free page is an error. */
	assert_status(tdh_phymem_page_reclaim(td.tdcs[0], &pt, &owner, &size),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RCX);
	(void)e1;
}

static void test_reclaim_sept_pages_and_tdr(void **state)
{
	struct tdx_pamt_info info;
	struct test_td td;
	u64 pt, owner, size, pa;
	unsigned int k;

	ttd_create(&td, 1, false, TDX_TD_ATTR_SEPT_VE_DISABLE);
	ttd_sept_path(&td, 0x200000, 0);
	assert_status(tdh_mng_vpflushdone(td.tdr_pa), TDX_SUCCESS);
	assert_status(tdh_mng_key_freeid(td.tdr_pa), TDX_SUCCESS);
	for (k = 0; k < tdx_nr_tdcs_pages(); k++)
		assert_status(tdh_phymem_page_reclaim(td.tdcs[k], &pt, &owner,
						      &size), TDX_SUCCESS);
	/* Find the three S-EPT pages through the PAMT and reclaim them. */
	for (pa = PAGE_SIZE; pa < (512ULL << 20); pa += PAGE_SIZE) {
		assert_int_equal(tdx_module_pamt_query(pa, &info), 0);
		if (info.pt != TDX_PT_EPT)
			continue;
		assert_int_equal(info.owner, td.tdr_pa);
		assert_status(tdh_phymem_page_reclaim(pa, &pt, &owner, &size),
			      TDX_SUCCESS);
		assert_int_equal(pt, TDX_PT_EPT);
	}
	assert_int_equal(tdx_module_pages_owned(td.tdr_pa), 1);
	assert_status(tdh_phymem_page_reclaim(td.tdr_pa, &pt, &owner, &size),
		      TDX_SUCCESS);
	assert_int_equal(pt, TDX_PT_TDR);
	assert_int_equal(tdx_module_pages_owned(td.tdr_pa), 0);
	assert_status(tdh_phymem_page_wbinvd_tdr(td.tdr_pa), TDX_SUCCESS);
	/* The TDR page is free again: a new TD can use it. */
	assert_status(tdh_mng_create(td.tdr_pa, td.hkid), TDX_SUCCESS);
}

static void test_dispatcher_rax(void **state)
{
	struct tdx_module_args a = { 0 };

	assert_status(seamcall(BIT_ULL(24) | TDH_MEM_TRACK, &a),
		      0xC000010000000000ULL);
	assert_status(seamcall(60, &a), TDX_OPERAND_INVALID);
	assert_status(seamcall(TDX_LEAF_VERSION(TDH_MEM_PAGE_AUG, 1), &a),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RAX);
	assert_status(seamcall(TDX_LEAF_VERSION(TDH_MEM_SEPT_ADD, 2), &a),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RAX);
	/* Versions 1 of SEPT.ADD reach the leaf (and fail on the TDR). */
	assert_status(seamcall(TDX_LEAF_VERSION(TDH_MEM_SEPT_ADD, 1), &a),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX);
	assert_string_equal(tdx_leaf_name(TDH_MEM_PAGE_AUG),
			    "TDH.MEM.PAGE.AUG");
}

static void test_vp_init_versions(void **state)
{
	struct tdx_module_config cfg;
	struct tdx_module_args a = { 0 };
	struct test_td td;

	/* Default module: v1 accepted, v2 not. */
	assert_int_equal(tdx_module_get_config()->vp_init_version, 1);
	assert_status(seamcall(TDX_LEAF_VERSION(TDH_VP_INIT, 2), &a),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RAX);
	seam_test_end();

	/* A 1.5.01 module takes only v0; the wrapper adapts. */
	tdx_module_config_init(&cfg);
	cfg.vp_init_version = 0;
	seam_test_start(&cfg);
	assert_status(seamcall(TDX_LEAF_VERSION(TDH_VP_INIT, 1), &a),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RAX);
	ttd_create(&td, 1, false, TDX_TD_ATTR_SEPT_VE_DISABLE);
	ttd_add_vcpu(&td);
	ttd_finalize(&td);
}

static void test_build_failures(void **state)
{
	struct test_td td, td2;
	u64 tdr, page, ext, e1, e2, src;
	int i;

	/* MNG.CREATE */
	tdr = test_alloc(0);
	assert_status(tdh_mng_create(tdr, 0),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX);
	assert_status(tdh_mng_create(tdr + 8, 5),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	assert_status(tdh_mng_create(tdr, 5), TDX_SUCCESS);
	assert_status(tdh_mng_create(tdr, 6),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RCX);
	assert_status(tdh_mng_create(test_alloc(0), 5), TDX_HKID_NOT_FREE);

	assert_status(tdh_mng_create(test_alloc(0), 64),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX);
	{
		struct tdx_module_args a = {
			.rcx = test_alloc(0), .rdx = 0x10006,
		};

		assert_status(seamcall(TDH_MNG_CREATE, &a),
			      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX);
	}

	/* Keys not configured yet */
	page = test_alloc(0);
	assert_status(tdh_mng_addcx(tdr, page), TDX_TD_KEYS_NOT_CONFIGURED);
	assert_status(tdh_mng_key_config(tdr), TDX_SUCCESS);
	assert_status(tdh_mng_key_config(tdr), TDX_LIFECYCLE_STATE_INCORRECT);

	/* TDCS not complete */
	assert_status(tdh_mng_init(tdr, ttd_params(1, false, 0), &ext),
		      TDX_TDCS_NOT_ALLOCATED);
	assert_status(tdh_vp_create(tdr, test_alloc(0)),
		      TDX_TDCS_NOT_ALLOCATED);
	/* The TDR itself: its PAMT lock is held by this very call. */
	assert_status(tdh_mng_addcx(tdr, tdr),
		      TDX_OPERAND_BUSY | TDX_OPERAND_ID_RCX);
	assert_status(tdh_mng_addcx(page, test_alloc(0)),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RDX);
	assert_status(tdh_mng_addcx(tdr, page), TDX_SUCCESS);
	assert_status(tdh_mng_addcx(tdr, page),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RCX);
	for (i = 0; i < 5; i++)
		assert_status(tdh_mng_addcx(tdr, test_alloc(0)), TDX_SUCCESS);
	assert_status(tdh_mng_addcx(tdr, test_alloc(0)),
		      TDX_TDCX_NUM_INCORRECT);

	/* Before MNG.INIT */
	assert_status(tdh_vp_create(tdr, test_alloc(0)),
		      TDX_OP_STATE_INCORRECT);
	assert_status(tdh_mr_finalize(tdr), TDX_OP_STATE_INCORRECT);
	assert_status(tdh_mem_track(tdr), TDX_OP_STATE_INCORRECT);

	/* A fully built one for the INITIALIZED checks */
	ttd_create(&td, 1, false, TDX_TD_ATTR_SEPT_VE_DISABLE);
	assert_status(tdh_mng_init(td.tdr_pa, ttd_params(1, false, 0), &ext),
		      TDX_OP_STATE_INCORRECT);
	assert_status(tdh_mr_finalize(td.tdr_pa), TDX_NO_VCPUS);

	/* vCPU: TDCX count, state, max_vcpus, x2APIC */
	page = test_alloc(0);
	assert_status(tdh_vp_create(td.tdr_pa, page), TDX_SUCCESS);
	assert_status(tdh_vp_init(page, 0, 0), TDX_TDCX_NUM_INCORRECT);
	for (i = 0; i < 5; i++)
		assert_status(tdh_vp_addcx(page, test_alloc(0)), TDX_SUCCESS);
	assert_status(tdh_vp_addcx(page, test_alloc(0)),
		      TDX_TDCX_NUM_INCORRECT);
	assert_status(tdh_vp_init(page, 0, 7), TDX_SUCCESS);
	assert_status(tdh_vp_init(page, 0, 7), TDX_VCPU_STATE_INCORRECT);
	assert_status(tdh_vp_addcx(page, test_alloc(0)),
		      TDX_VCPU_STATE_INCORRECT);
	/* TDVPR operand that is not a TDVPR, TDR operand that is not a TDR */
	assert_status(tdh_vp_init(td.tdr_pa, 0, 1),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RCX);
	assert_status(tdh_vp_addcx(td.tdr_pa, test_alloc(0)),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RDX);
	assert_status(tdh_vp_create(page, test_alloc(0)),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RDX);
	assert_status(tdh_vp_create(td.tdr_pa, page),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RCX);
	{
		u64 v;

		assert_status(tdh_mng_rd(td.tdr_pa, 0x77, &v),
			      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX);
	}

	ttd_create(&td2, 1, false, TDX_TD_ATTR_SEPT_VE_DISABLE);
	ttd_add_vcpu(&td2);
	page = test_alloc(0);
	assert_status(tdh_vp_create(td2.tdr_pa, page), TDX_SUCCESS);
	for (i = 0; i < 5; i++)
		assert_status(tdh_vp_addcx(page, test_alloc(0)), TDX_SUCCESS);
	/* x2APIC 0 is td2's vCPU 0 */
	assert_status(tdh_vp_init(page, 0, 0), TDX_X2APIC_ID_NOT_UNIQUE + 0);
	assert_status(tdh_vp_init(page, 0, 1), TDX_MAX_VCPUS_EXCEEDED);
	{
		struct tdx_module_args a = {
			.rcx = page, .r8 = 1ULL << 32,
		};

		assert_status(seamcall(TDX_LEAF_VERSION(TDH_VP_INIT, 1), &a),
			      TDX_OPERAND_INVALID | TDX_OPERAND_ID_R8);
	}

	/* VP.ENTER only when RUNNABLE; PAGE.ADD only before. */
	{
		struct tdx_module_args out;

		assert_status(ttd_enter(&td2, 0, &out), TDX_OP_STATE_INCORRECT);
	}
	ttd_finalize(&td2);
	src = test_alloc(0);
	assert_status(tdh_mem_page_add(td2.tdr_pa, 0, test_alloc(0), src,
				       &e1, &e2), TDX_OP_STATE_INCORRECT);
	assert_status(tdh_mr_extend(td2.tdr_pa, 0, &e1, &e2),
		      TDX_OP_STATE_INCORRECT);
	assert_status(tdh_mr_finalize(td2.tdr_pa), TDX_OP_STATE_INCORRECT);
	assert_status(tdh_vp_create(td2.tdr_pa, test_alloc(0)),
		      TDX_OP_STATE_INCORRECT);
}

static void test_td_params_invalid(void **state)
{
	static const struct {
		int field;
		u64 opid;
	} cases[] = {
		{ 0, TDX_OPERAND_ID_ATTRIBUTES },
		{ 1, TDX_OPERAND_ID_XFAM },
		{ 2, TDX_OPERAND_ID_MAX_VCPUS },
		{ 3, TDX_OPERAND_ID_NUM_L2_VMS },
		{ 4, TDX_OPERAND_ID_EXEC_CONTROLS },
		{ 5, TDX_OPERAND_ID_EPTP_CONTROLS },
		{ 6, TDX_OPERAND_ID_EPTP_CONTROLS },
		{ 7, TDX_OPERAND_ID_EPTP_CONTROLS },
		{ 8, TDX_OPERAND_ID_TSC_FREQUENCY },
	};
	unsigned int i, k;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		u64 tdr = test_alloc(0), params, ext;
		struct td_params *p;
		int hkid = tdx_guest_keyid_alloc();

		assert_true(hkid > 0);
		assert_status(tdh_mng_create(tdr, hkid), TDX_SUCCESS);
		assert_status(tdh_mng_key_config(tdr), TDX_SUCCESS);
		for (k = 0; k < tdx_nr_tdcs_pages(); k++)
			assert_status(tdh_mng_addcx(tdr, test_alloc(0)),
				      TDX_SUCCESS);
		params = ttd_params(1, false, TDX_TD_ATTR_SEPT_VE_DISABLE);
		p = pfn_to_virt(params >> PAGE_SHIFT);
		switch (cases[i].field) {
		case 0: p->attributes |= BIT_ULL(5); break;
		case 1: p->xfam = 0x1; break;
		case 2: p->max_vcpus = 0; break;
		case 3: p->num_l2_vms = 1; break;
		case 4: p->config_flags = BIT_ULL(9); break;
		case 5: p->eptp_controls = TDX_EPTP_PWL_4; break;
		case 6: p->eptp_controls = TDX_EPTP_MT_WB | (2ULL << 3); break;
		/* GPAW 52 needs 5-level */
		case 7: p->config_flags = TDX_CONFIG_FLAGS_MAX_GPAW; break;
		case 8: p->tsc_frequency = 0; break;
		}
		assert_status(tdh_mng_init(tdr, params, &ext),
			      TDX_OPERAND_INVALID | cases[i].opid);
		/* Misaligned TD_PARAMS */
		assert_status(tdh_mng_init(tdr, params + 8, &ext),
			      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX);
	}
}

static void test_status_names(void **state)
{
	assert_string_equal(tdx_status_name(TDX_SUCCESS), "TDX_SUCCESS");
	assert_string_equal(tdx_status_name(0x8000020000000001ULL),
			    "TDX_OPERAND_BUSY|RCX");
	assert_string_equal(tdx_status_name(0x8000020000000092ULL),
			    "TDX_OPERAND_BUSY|SEPT");
	assert_string_equal(tdx_status_name(0x80000200000000A9ULL),
			    "TDX_OPERAND_BUSY|TD_EPOCH");
	assert_string_equal(tdx_status_name(TDX_EPT_WALK_FAILED | 1),
			    "TDX_EPT_WALK_FAILED|RCX");
	assert_string_equal(tdx_status_name(TDX_NO_VCPUS), "TDX_NO_VCPUS");
	assert_string_equal(tdx_status_name(0xC0000B7700000000ULL),
			    "0xc0000b7700000000");
	assert_true(tdx_operand_busy(0x8000020000000080ULL));
	assert_false(tdx_operand_busy(TDX_PREVIOUS_TLB_EPOCH_BUSY));
}

static void test_vp_rd_wr(void **state)
{
	struct test_td td;
	u64 v, root = test_alloc(0);

	ttd_create(&td, 2, false, TDX_TD_ATTR_SEPT_VE_DISABLE);
	ttd_add_vcpu(&td);
	ttd_add_vcpu(&td);
	assert_status(tdh_vp_wr(td.vcpu[1].tdvpr_pa, TDVPS_SHARED_EPT_POINTER,
				root, ~0ULL), TDX_SUCCESS);
	assert_status(tdh_vp_rd(td.vcpu[1].tdvpr_pa, TDVPS_SHARED_EPT_POINTER,
				&v), TDX_SUCCESS);
	assert_int_equal(v, root);
	assert_status(tdh_vp_rd(td.vcpu[1].tdvpr_pa, TDVPS_VCPU_INDEX, &v),
		      TDX_SUCCESS);
	assert_int_equal(v, 1);
	assert_status(tdh_vp_wr(td.vcpu[1].tdvpr_pa, TDVPS_VCPU_INDEX, 0,
				~0ULL),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX);
	assert_status(tdh_vp_rd(td.vcpu[1].tdvpr_pa, 0x1234, &v),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX);
	/* MRTD is not readable before MR.FINALIZE */
	assert_status(tdh_mng_rd(td.tdr_pa, TDCS_MR_TD(0), &v),
		      TDX_METADATA_FIELD_NOT_READABLE);
}

static void test_sysinfo_and_keyids(void **state)
{
	struct tdx_sys_info info;
	int ids[63], i;

	assert_int_equal(tdx_get_sysinfo(&info), 0);
	assert_int_equal(info.tdcs_base_size / PAGE_SIZE, tdx_nr_tdcs_pages());
	assert_int_equal(info.tdvps_base_size / PAGE_SIZE,
			 tdx_nr_tdcx_pages() + 1);
	assert_int_equal(info.vp_init_max_version, 1);
	for (i = 0; i < 63; i++) {
		ids[i] = tdx_guest_keyid_alloc();
		assert_true(ids[i] >= 1 && ids[i] <= 63);
	}
	assert_int_equal(tdx_guest_keyid_alloc(), -ENOSPC);
	tdx_guest_keyid_free(ids[10]);
	assert_int_equal(tdx_guest_keyid_alloc(), ids[10]);
}

#define COUNTER_THREADS	8
#define COUNTER_CALLS	20000

struct counter_arg {
	struct test_td *td;
	u64 page;
};

static pthread_barrier_t counter_start;

/* COUNTER_CALLS failing PAGE.AUGs from a thread of its own, all at once. */
static void *counter_thread(void *p)
{
	struct counter_arg *a = p;
	u64 e1, e2;
	int i;

	pthread_barrier_wait(&counter_start);
	for (i = 0; i < COUNTER_CALLS; i++)
		tdh_mem_page_aug(a->td->tdr_pa, 0, 0, a->page, &e1, &e2);
	return NULL;
}

static void test_counters(void **state)
{
	struct counter_arg args[COUNTER_THREADS];
	pthread_t t[COUNTER_THREADS];
	struct tdx_td_stats st;
	struct test_td td;
	u64 e1, e2;
	int i;

	ttd_create(&td, 1, false, TDX_TD_ATTR_SEPT_VE_DISABLE);
	assert_status(tdh_mem_page_aug(td.tdr_pa, 0, 0, test_alloc(0), &e1,
				       &e2),
		      TDX_EPT_WALK_FAILED | TDX_OPERAND_ID_RCX);
	assert_status(tdh_mem_page_aug(td.tdr_pa, 0, 0, test_alloc(0), &e1,
				       &e2),
		      TDX_EPT_WALK_FAILED | TDX_OPERAND_ID_RCX);
	assert_int_equal(tdx_module_get_td_stats(td.tdr_pa, &st), 0);
	assert_int_equal(st.calls[TDH_MNG_ADDCX], tdx_nr_tdcs_pages());
	assert_int_equal(st.calls[TDH_MEM_PAGE_AUG], 2);
	assert_int_equal(tdx_td_stats_errors(&st, TDX_EPT_WALK_FAILED | 1), 2);
	assert_true(st.cost_ns >=
		    2 * tdx_module_leaf_cost_ns(TDH_MEM_PAGE_AUG));
	assert_true(tdx_module_thread_cost_ns() >= st.cost_ns);

	/*
	 * Threads count in shards of their own (no cache line shared by
	 * every SEAMCALL, no locked add); more threads than owned shards
	 * share the last one. A read sums them, and the same failing status
	 * counted in several shards is one entry.
	 */
	pthread_barrier_init(&counter_start, NULL, COUNTER_THREADS);
	for (i = 0; i < COUNTER_THREADS; i++) {
		args[i] = (struct counter_arg){ &td, test_alloc(0) };
		assert_int_equal(pthread_create(&t[i], NULL, counter_thread,
						&args[i]), 0);
	}
	for (i = 0; i < COUNTER_THREADS; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&counter_start);
	assert_int_equal(tdx_module_get_td_stats(td.tdr_pa, &st), 0);
	assert_int_equal(st.calls[TDH_MEM_PAGE_AUG],
			 2 + COUNTER_THREADS * COUNTER_CALLS);
	assert_int_equal(tdx_td_stats_errors(&st, TDX_EPT_WALK_FAILED | 1),
			 2 + COUNTER_THREADS * COUNTER_CALLS);
	assert_int_equal(st.errors[1].status, 0);
	assert_int_equal(st.errors_dropped, 0);
}

static void test_cost_override(void **state)
{
	struct tdx_module_config cfg;
	struct tdx_module_args out;
	struct tdx_td_stats before, after;
	struct tdx_vcpu_stats vs;
	struct test_td td;
	u64 e1, e2;

	seam_test_end();
	tdx_module_config_init(&cfg);
	cfg.seamcall_cost_ns[TDH_MEM_SEPT_ADD] = 12345;
	cfg.seamcall_cost_ns[TDH_VP_ENTER] = 1000;
	cfg.td_transition_cost_ns = 77;
	seam_test_start(&cfg);
	assert_int_equal(tdx_module_leaf_cost_ns(TDH_MEM_SEPT_ADD), 12345);
	/* Leaves left at 0 get the default table. */
	assert_true(tdx_module_leaf_cost_ns(TDH_MEM_PAGE_AUG) > 0);

	ttd_create(&td, 1, false, TDX_TD_ATTR_SEPT_VE_DISABLE);
	ttd_add_vcpu(&td);
	ttd_finalize(&td);
	assert_int_equal(tdx_module_get_td_stats(td.tdr_pa, &before), 0);
	assert_status(tdh_mem_sept_add(td.tdr_pa, 0, 3, test_alloc(0), &e1,
				       &e2), TDX_SUCCESS);
	assert_int_equal(tdx_module_get_td_stats(td.tdr_pa, &after), 0);
	assert_int_equal(after.cost_ns - before.cost_ns, 12345);

	/* A vCPU entry is charged to the vCPU and to its TD. */
	assert_status(ttd_enter(&td, 0, &out), EXIT_REASON_TDCALL);
	assert_int_equal(tdx_module_get_vcpu_stats(td.vcpu[0].tdvpr_pa, &vs),
			 0);
	assert_int_equal(vs.calls[TDH_VP_ENTER], 1);
	assert_int_equal(vs.exits[EXIT_REASON_TDCALL], 1);
	/* The vCPU's SEAMCALLs: CREATE, 5 ADDCX, INIT, ENTER, and the exit. */
	assert_int_equal(vs.cost_ns,
			 tdx_module_leaf_cost_ns(TDH_VP_CREATE) +
			 tdx_module_leaf_cost_ns(TDH_VP_ADDCX) * 5 +
			 tdx_module_leaf_cost_ns(TDH_VP_INIT) + 1000 + 77);
	assert_int_equal(tdx_module_get_td_stats(td.tdr_pa, &before), 0);
	assert_int_equal(before.cost_ns - after.cost_ns, 1000 + 77);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_build_run_teardown,
						seam_test_setup,
						seam_test_teardown),
		cmocka_unit_test_setup_teardown(test_reclaim_sept_pages_and_tdr,
						seam_test_setup,
						seam_test_teardown),
		cmocka_unit_test_setup_teardown(test_dispatcher_rax,
						seam_test_setup,
						seam_test_teardown),
		cmocka_unit_test_setup_teardown(test_vp_init_versions,
						seam_test_setup,
						seam_test_teardown),
		cmocka_unit_test_setup_teardown(test_build_failures,
						seam_test_setup,
						seam_test_teardown),
		cmocka_unit_test_setup_teardown(test_td_params_invalid,
						seam_test_setup,
						seam_test_teardown),
		cmocka_unit_test(test_status_names),
		cmocka_unit_test_setup_teardown(test_vp_rd_wr,
						seam_test_setup,
						seam_test_teardown),
		cmocka_unit_test_setup_teardown(test_sysinfo_and_keyids,
						seam_test_setup,
						seam_test_teardown),
		cmocka_unit_test_setup_teardown(test_cost_override,
						seam_test_setup,
						seam_test_teardown),
		cmocka_unit_test_setup_teardown(test_counters,
						seam_test_setup,
						seam_test_teardown),
	};

	return cmocka_run_group_tests(tests, seam_test_group_setup,
				      seam_test_group_teardown);
}
