// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The guest side: TDG.MEM.PAGE.ACCEPT at every level (the §8.2 worked
 * example bit for bit, PAGE_SIZE_MISMATCH, ALREADY_ACCEPTED), guest
 * accesses to PENDING, missing and BLOCKED private pages, the shared EPT
 * walk, TDVMCALL round trips, interrupts, the zero-step filter, and the
 * privacy of private bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "seam_test.h"

static struct test_td td;
static struct test_guest g;

static void setup_runnable(u64 attrs)
{
	ttd_create(&td, 2, false, attrs);
	ttd_add_vcpu(&td);
	ttd_finalize(&td);
	memset(&g, 0, sizeof(g));
	assert_int_equal(tdx_module_set_guest(td.vcpu[0].tdvpr_pa,
					      &test_guest_ops, &g), 0);
}

static void assert_hlt(u64 ret, const struct tdx_module_args *out)
{
	assert_status(ret, EXIT_REASON_TDCALL);
	assert_int_equal(out->r11, TDVMCALL_HLT);
}

static void test_accept_4k(void **state)
{
	struct tdx_module_args out;
	u64 page, v = 0x1122334455667788ULL;
	u8 *host;

	setup_runnable(TDX_TD_ATTR_SEPT_VE_DISABLE);
	page = ttd_aug(&td, 0x1000, 0);
	tg_add(&g, TG_ACCEPT, 0x1000, 0);
	tg_add(&g, TG_READ, 0x1008, 0);
	tg_add(&g, TG_WRITE, 0x1008, v);
	tg_add(&g, TG_READ, 0x1008, 0);
	tg_add(&g, TG_ACCEPT, 0x1000, 0);
	assert_hlt(ttd_enter(&td, 0, &out), &out);
	assert_true(g.saw_first_entry);
	assert_int_equal(g.pc, 5);
	assert_status(g.ops[0].status, TDX_SUCCESS);
	assert_int_equal(g.ops[1].value, 0);
	assert_int_equal(g.ops[3].value, v);
	assert_status(g.ops[4].status, TDX_PAGE_ALREADY_ACCEPTED);
	/* The host sees ciphertext, neither the value nor zeros. */
	host = pfn_to_virt(page >> PAGE_SHIFT);
	assert_memory_not_equal(host + 8, &v, 8);
	assert_true(host[0] | host[1] | host[2] | host[3]);
}

/* Reference §8.2: a 2M PENDING leaf accepted at 4K. */
static void test_accept_4k_in_2m_pending(void **state)
{
	struct tdx_module_args out;
	struct tdx_vcpu_stats vs;
	u64 e1, e2, ret;

	setup_runnable(TDX_TD_ATTR_SEPT_VE_DISABLE);
	ttd_aug(&td, 0x200000, 1);
	tg_add(&g, TG_ACCEPT, 0x203000, 0);
	tg_add(&g, TG_READ, 0x203ff8, 0);

	ret = ttd_enter(&td, 0, &out);
	assert_status(ret, 0x30);
	assert_int_equal(out.rcx, 0x2);
	assert_int_equal(out.rdx, 0x0000408800000001ULL);
	assert_int_equal(out.r8, 0x203000);
	assert_int_equal(g.pc, 0);
	/* Nothing changed: the TDCALL re-executes and exits the same way. */
	ret = ttd_enter(&td, 0, &out);
	assert_status(ret, EXIT_REASON_EPT_VIOLATION);
	assert_int_equal(out.rdx, 0x0000408800000001ULL);
	assert_int_equal(g.exits, 2);

	/* KVM splits: BLOCK, TRACK, DEMOTE; children are 4K PENDING. */
	ttd_block_track(&td, 0x200000, 1);
	assert_status(tdh_mem_page_demote(td.tdr_pa, 0x200000, 1,
					  test_alloc(0), &e1, &e2),
		      TDX_SUCCESS);
	assert_hlt(ttd_enter(&td, 0, &out), &out);
	assert_status(g.ops[0].status, TDX_SUCCESS);
	assert_int_equal(g.ops[1].value, 0);
	assert_int_equal(tdx_module_get_vcpu_stats(td.vcpu[0].tdvpr_pa, &vs),
			 0);
	assert_int_equal(vs.exits[EXIT_REASON_EPT_VIOLATION], 2);
	assert_int_equal(vs.tdcalls[TDG_MEM_PAGE_ACCEPT], 3);
}

static void test_accept_2m_over_4k(void **state)
{
	struct tdx_module_args out;

	setup_runnable(TDX_TD_ATTR_SEPT_VE_DISABLE);
	ttd_aug(&td, 0x400000, 0);
	tg_add(&g, TG_ACCEPT, 0x400000, 1);
	tg_add(&g, TG_ACCEPT, 0x400000, 0);
	assert_hlt(ttd_enter(&td, 0, &out), &out);
	assert_status(g.ops[0].status, 0xC0000B0B00000001ULL);
	assert_status(g.ops[1].status, TDX_SUCCESS);
	assert_int_equal(g.exits, 0);
}

static void test_accept_2m(void **state)
{
	struct tdx_module_args out;

	setup_runnable(TDX_TD_ATTR_SEPT_VE_DISABLE);
	ttd_aug(&td, 0x600000, 1);
	tg_add(&g, TG_ACCEPT, 0x600000, 1);
	tg_add(&g, TG_READ, 0x7ffff8, 0);
	tg_add(&g, TG_ACCEPT, 0x6ff000, 0);
	tg_add(&g, TG_ACCEPT, 0x600000, 1);
	tg_add(&g, TG_ACCEPT, 0x600000 | BIT_ULL(5), 0);
	assert_hlt(ttd_enter(&td, 0, &out), &out);
	assert_status(g.ops[0].status, TDX_SUCCESS);
	assert_int_equal(g.ops[1].value, 0);
	assert_status(g.ops[2].status, 0x00000B0A00000001ULL);
	assert_status(g.ops[3].status, TDX_PAGE_ALREADY_ACCEPTED + 1);
	assert_status(g.ops[4].status,
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
}

/* A 2M accept interrupted by an IPI resumes where it stopped. */
static int ipi_accept_run(void *guest, struct tdx_vcpu_ctx *ctx)
{
	struct test_guest *tg = guest;
	u64 st;

	tg->runs++;
	if (tg->runs == 1)
		assert_int_equal(tdx_module_send_ipi(td.vcpu[0].tdvpr_pa), 0);
	st = tdg_mem_page_accept(ctx, 0x600000 | 1);
	if (st == TDG_EXITED) {
		tg->exits++;
		return 0;
	}
	tg->ops[0].status = st;
	return 0;
}

static const struct tdx_guest_ops ipi_accept_ops = { .run = ipi_accept_run };

static void test_ipi_exits(void **state)
{
	struct tdx_module_args out;

	setup_runnable(TDX_TD_ATTR_SEPT_VE_DISABLE);
	ttd_aug(&td, 0x600000, 1);
	/* An IPI pending at entry: exit at once, the guest does not run. */
	assert_int_equal(tdx_module_send_ipi(td.vcpu[0].tdvpr_pa), 0);
	assert_status(ttd_enter(&td, 0, &out),
		      EXIT_REASON_EXTERNAL_INTERRUPT);
	assert_int_equal(g.runs, 0);

	memset(&g, 0, sizeof(g));
	assert_int_equal(tdx_module_set_guest(td.vcpu[0].tdvpr_pa,
					      &ipi_accept_ops, &g), 0);
	assert_status(ttd_enter(&td, 0, &out),
		      EXIT_REASON_EXTERNAL_INTERRUPT);
	assert_int_equal(g.exits, 1);
	assert_hlt(ttd_enter(&td, 0, &out), &out);
	assert_status(g.ops[0].status, TDX_SUCCESS);
	assert_int_equal(tdx_module_send_ipi(td.tdr_pa), -ENOENT);
}

static void test_accept_missing_table(void **state)
{
	struct tdx_module_args out;

	setup_runnable(TDX_TD_ATTR_SEPT_VE_DISABLE);
	ttd_sept_path(&td, 0x800000, 1);
	tg_add(&g, TG_ACCEPT, 0x801000, 0);
	assert_status(ttd_enter(&td, 0, &out), EXIT_REASON_EPT_VIOLATION);
	/* req 0, err_level 1, state FREE, not a leaf */
	assert_int_equal(out.rdx, (0x8ULL << 32) | 1);
	assert_int_equal(out.rcx, 0x2);
	assert_int_equal(out.r8, 0x801000);
}

static void test_private_access_exits(void **state)
{
	struct tdx_module_args out;
	u64 e1, e2;

	setup_runnable(TDX_TD_ATTR_SEPT_VE_DISABLE);
	ttd_aug(&td, 0x1000, 0);
	/* Access before accept: type PENDING_EPT_VIOLATION, no RWX. */
	tg_add(&g, TG_READ, 0x1010, 0);
	assert_status(ttd_enter(&td, 0, &out), EXIT_REASON_EPT_VIOLATION);
	assert_int_equal(out.rdx, TDX_EXT_EXIT_QUAL_TYPE_PENDING_EPT_VIOLATION);
	assert_int_equal(out.rcx, EPT_VIOLATION_ACC_READ);
	assert_int_equal(out.r8, 0x1000);

	/* Missing: a plain EPT violation. */
	memset(&g, 0, sizeof(g));
	tg_add(&g, TG_WRITE, 0x9000, 5);
	assert_status(ttd_enter(&td, 0, &out), EXIT_REASON_EPT_VIOLATION);
	assert_int_equal(out.rdx, 0);
	assert_int_equal(out.rcx, EPT_VIOLATION_ACC_WRITE);
	assert_int_equal(out.r8, 0x9000);

	/* Blocked after accept: a plain EPT violation too. */
	memset(&g, 0, sizeof(g));
	tg_add(&g, TG_ACCEPT, 0x1000, 0);
	tg_add(&g, TG_WRITE, 0x1000, 5);
	assert_hlt(ttd_enter(&td, 0, &out), &out);
	ttd_block_track(&td, 0x1000, 0);
	g.pc = 1;
	assert_status(ttd_enter(&td, 0, &out), EXIT_REASON_EPT_VIOLATION);
	assert_int_equal(out.rdx, 0);
	assert_int_equal(out.rcx, EPT_VIOLATION_ACC_WRITE);
	assert_status(tdh_mem_range_unblock(td.tdr_pa, 0x1000, 0, &e1, &e2),
		      TDX_SUCCESS);
	assert_hlt(ttd_enter(&td, 0, &out), &out);
	assert_int_equal(g.pc, 2);
}

/* Without SEPT_VE_DISABLE a PENDING access is a #VE, not an exit. */
static int ve_run(void *guest, struct tdx_vcpu_ctx *ctx)
{
	struct test_guest *tg = guest;
	struct tdx_module_args ve;
	u64 v;

	tg->ops[0].status = tdg_mem_read(ctx, 0x1008, &v, 8);
	tg->ops[1].status = tdg_vp_veinfo_get(ctx, &ve);
	tg->ops[1].value = ve.r9;
	tg->ops[2].status = tdg_vp_veinfo_get(ctx, &ve);
	return 0;
}

static const struct tdx_guest_ops ve_ops = { .run = ve_run };

static void test_pending_ve(void **state)
{
	struct tdx_module_args out;

	setup_runnable(0);
	ttd_aug(&td, 0x1000, 0);
	assert_int_equal(tdx_module_set_guest(td.vcpu[0].tdvpr_pa, &ve_ops,
					      &g), 0);
	assert_hlt(ttd_enter(&td, 0, &out), &out);
	assert_int_equal(g.ops[0].status, TDG_MEM_VE);
	assert_status(g.ops[1].status, TDX_SUCCESS);
	assert_int_equal(g.ops[1].value, 0x1008);
	assert_status(g.ops[2].status, TDX_OPERAND_INVALID);
}

/* Map the shared GPA @gpa -> @hpa with @perm in an EPT of @levels levels. */
static u64 shared_ept_map_levels(u64 root, u64 gpa, u64 hpa, u64 perm,
				 int levels)
{
	u64 table = root;
	int level;

	for (level = levels - 1; level > 0; level--) {
		u64 *t = pfn_to_virt(table >> PAGE_SHIFT);
		unsigned int idx = (gpa >> (12 + 9 * level)) & 511;

		if (!(t[idx] & 7))
			t[idx] = test_alloc(0) | 7;
		table = t[idx] & GENMASK_ULL(51, 12);
	}
	((u64 *)pfn_to_virt(table >> PAGE_SHIFT))[(gpa >> 12) & 511] =
		hpa | perm | (6 << 3);
	return root;
}

/* Build a 4-level EPT for the shared GPA @gpa -> @hpa with @perm. */
static u64 shared_ept_map(u64 root, u64 gpa, u64 hpa, u64 perm)
{
	return shared_ept_map_levels(root, gpa, hpa, perm, 4);
}

static void test_shared_ept(void **state)
{
	struct tdx_module_args out;
	u64 root = test_alloc(0), page = test_alloc(0), ro = test_alloc(0);
	u64 sh = BIT_ULL(47);
	u64 *host = pfn_to_virt(page >> PAGE_SHIFT);
	u64 *t;
	int i;

	setup_runnable(TDX_TD_ATTR_SEPT_VE_DISABLE);
	/* Non-present entries of KVM's tables are SHADOW_NONPRESENT_VALUE. */
	t = pfn_to_virt(root >> PAGE_SHIFT);
	for (i = 0; i < 512; i++)
		t[i] = BIT_ULL(63);
	shared_ept_map(root, sh | 0x5000, page, 7);
	shared_ept_map(root, sh | 0x6000, ro, 1);
	host[1] = 0xabcdef;
	assert_status(tdh_vp_wr(td.vcpu[0].tdvpr_pa, TDVPS_SHARED_EPT_POINTER,
				root, ~0ULL), TDX_SUCCESS);
	tg_add(&g, TG_READ, sh | 0x5008, 0);
	tg_add(&g, TG_WRITE, sh | 0x5010, 0x77);
	tg_add(&g, TG_READ, sh | 0x6000, 0);
	tg_add(&g, TG_WRITE, sh | 0x6000, 1);
	assert_status(ttd_enter(&td, 0, &out), EXIT_REASON_EPT_VIOLATION);
	assert_int_equal(g.ops[0].value, 0xabcdef);
	/* Shared bytes are plaintext to the host. */
	assert_int_equal(host[2], 0x77);
	/* Write to a read-only entry: R bit reported in bits 5:3. */
	assert_int_equal(g.pc, 3);
	assert_int_equal(out.rcx, EPT_VIOLATION_ACC_WRITE | (1 << 3));
	assert_int_equal(out.r8, sh | 0x6000);
	assert_int_equal(out.rdx, 0);

	/* Unmapped shared GPA: exit with the shared bit in R8. */
	memset(&g, 0, sizeof(g));
	tg_add(&g, TG_READ, sh | 0x123000, 0);
	assert_status(ttd_enter(&td, 0, &out), EXIT_REASON_EPT_VIOLATION);
	assert_int_equal(out.r8, sh | 0x123000);
	assert_int_equal(out.rcx, EPT_VIOLATION_ACC_READ);
}

/* 5-level TD (GPAW 52): shared bit 51, a 5-level shared EPT. */
static void test_shared_ept_5level(void **state)
{
	struct tdx_module_args out;
	u64 root = test_alloc(0), page = test_alloc(0), sh = BIT_ULL(51);
	u64 *host = pfn_to_virt(page >> PAGE_SHIFT);

	ttd_create(&td, 1, true, TDX_TD_ATTR_SEPT_VE_DISABLE);
	ttd_add_vcpu(&td);
	ttd_finalize(&td);
	memset(&g, 0, sizeof(g));
	assert_int_equal(tdx_module_set_guest(td.vcpu[0].tdvpr_pa,
					      &test_guest_ops, &g), 0);
	shared_ept_map_levels(root, sh | BIT_ULL(48) | 0x9000, page, 7, 5);
	host[0] = 0x5151;
	assert_status(tdh_vp_wr(td.vcpu[0].tdvpr_pa, TDVPS_SHARED_EPT_POINTER,
				root, ~0ULL), TDX_SUCCESS);
	tg_add(&g, TG_READ, sh | BIT_ULL(48) | 0x9000, 0);
	/* Bit 47 is an ordinary private GPA bit here. */
	tg_add(&g, TG_READ, BIT_ULL(47) | 0x9000, 0);
	assert_status(ttd_enter(&td, 0, &out), EXIT_REASON_EPT_VIOLATION);
	assert_int_equal(g.ops[0].value, 0x5151);
	assert_int_equal(out.r8, BIT_ULL(47) | 0x9000);
	assert_int_equal(out.rdx, 0);
}

static void test_vmcall_round_trip(void **state)
{
	struct tdx_module_args out;
	u64 sh = BIT_ULL(47);

	setup_runnable(TDX_TD_ATTR_SEPT_VE_DISABLE);
	tg_add(&g, TG_VMCALL, sh | 0x100000, TDVMCALL_MAP_GPA);
	g.ops[0].arg2 = 0x4000;
	tg_add(&g, TG_INFO, 0, 0);
	assert_status(ttd_enter(&td, 0, &out), EXIT_REASON_TDCALL);
	assert_int_equal(out.r10, 0);
	assert_int_equal(out.r11, TDVMCALL_MAP_GPA);
	assert_int_equal(out.r12, sh | 0x100000);
	assert_int_equal(out.r13, 0x4000);
	assert_int_equal(g.pc, 0);
	/* The host answers RETRY with the GPA to resume from in R11. */
	memset(&out, 0, sizeof(out));
	out.r10 = TDVMCALL_STATUS_RETRY;
	out.r11 = sh | 0x102000;
	assert_hlt(tdh_vp_enter(td.vcpu[0].tdvpr_pa, &out), &out);
	assert_status(g.ops[0].status, TDX_SUCCESS);
	assert_int_equal(g.ops[0].value, TDVMCALL_STATUS_RETRY);
	assert_int_equal(g.ops[0].value2, sh | 0x102000);
	assert_int_equal(g.ops[1].value, 0);	/* vcpu index */
	assert_int_equal(g.ops[1].value2, 48);	/* GPAW */
}

/* The answer to a TDVMCALL survives an interrupt exit at re-entry. */
static void test_vmcall_result_survives_ipi(void **state)
{
	struct tdx_module_args out;
	struct tdx_vcpu_stats vs;

	setup_runnable(TDX_TD_ATTR_SEPT_VE_DISABLE);
	tg_add(&g, TG_VMCALL, 0x100000, TDVMCALL_MAP_GPA);
	assert_status(ttd_enter(&td, 0, &out), EXIT_REASON_TDCALL);
	assert_int_equal(out.r11, TDVMCALL_MAP_GPA);
	/* The host answers, but an interrupt is already pending. */
	assert_int_equal(tdx_module_send_ipi(td.vcpu[0].tdvpr_pa), 0);
	memset(&out, 0, sizeof(out));
	out.r10 = TDVMCALL_STATUS_INVALID_OPERAND;
	assert_status(tdh_vp_enter(td.vcpu[0].tdvpr_pa, &out),
		      EXIT_REASON_EXTERNAL_INTERRUPT);
	/* Plain re-entry: the TDCALL completes with the earlier answer. */
	assert_hlt(ttd_enter(&td, 0, &out), &out);
	assert_status(g.ops[0].status, TDX_SUCCESS);
	assert_int_equal(g.ops[0].value, TDVMCALL_STATUS_INVALID_OPERAND);
	assert_int_equal(tdx_module_get_vcpu_stats(td.vcpu[0].tdvpr_pa, &vs),
			 0);
	/* One TDVMCALL exit for MapGPA, one for the final HLT. */
	assert_int_equal(vs.tdcalls[TDG_VP_VMCALL], 1);
	assert_int_equal(vs.exits[EXIT_REASON_TDCALL], 2);
}

/* Zero-step: the 7th same-RIP private EPT violation arms the filter. */
static void zero_step_run(bool off)
{
	struct tdx_module_config cfg;
	struct tdx_module_args out;
	struct tdx_vcpu_stats vs;
	u8 data[4096] = { 0 };
	u64 e1, e2;
	int i;

	tdx_module_config_init(&cfg);
	cfg.zero_step_mitigation_off = off;
	seam_test_start(&cfg);
	ttd_create(&td, 1, false, TDX_TD_ATTR_SEPT_VE_DISABLE);
	ttd_add_vcpu(&td);
	data[0] = 42;
	ttd_page_add(&td, 0x7000, data);
	ttd_finalize(&td);
	memset(&g, 0, sizeof(g));
	assert_int_equal(tdx_module_set_guest(td.vcpu[0].tdvpr_pa,
					      &test_guest_ops, &g), 0);
	ttd_block_track(&td, 0x7000, 0);
	tg_add(&g, TG_READ, 0x7000, 0);
	for (i = 0; i < 8; i++)
		assert_status(ttd_enter(&td, 0, &out),
			      EXIT_REASON_EPT_VIOLATION);
	assert_int_equal(g.runs, off ? 8 : 7);
	assert_status(tdh_mem_range_unblock(td.tdr_pa, 0x7000, 0, &e1, &e2),
		      TDX_SUCCESS);
	assert_hlt(ttd_enter(&td, 0, &out), &out);
	assert_int_equal(g.ops[0].value, 42);
	assert_int_equal(tdx_module_get_vcpu_stats(td.vcpu[0].tdvpr_pa, &vs),
			 0);
	assert_int_equal(vs.zero_step_armed, off ? 0 : 2);
	seam_test_end();
}

static void test_zero_step(void **state)
{
	zero_step_run(false);
	zero_step_run(true);
}

static void test_private_bytes(void **state)
{
	struct tdx_module_args out;
	u8 data[4096];
	u64 page, e1, e2;
	u8 *host;
	int i;

	for (i = 0; i < 4096; i++)
		data[i] = i * 7 + 3;
	ttd_create(&td, 1, false, TDX_TD_ATTR_SEPT_VE_DISABLE);
	ttd_add_vcpu(&td);
	page = ttd_page_add(&td, 0x2000, data);
	host = pfn_to_virt(page >> PAGE_SHIFT);
	assert_memory_not_equal(host, data, 64);
	ttd_finalize(&td);
	memset(&g, 0, sizeof(g));
	assert_int_equal(tdx_module_set_guest(td.vcpu[0].tdvpr_pa,
					      &test_guest_ops, &g), 0);
	tg_add(&g, TG_READ, 0x2100, 0);
	assert_hlt(ttd_enter(&td, 0, &out), &out);
	assert_memory_equal(&g.ops[0].value, data + 0x100, 8);
	/* Removed: the host still sees ciphertext until it resets the page. */
	ttd_block_track(&td, 0x2000, 0);
	assert_status(tdh_mem_page_remove(td.tdr_pa, 0x2000, 0, &e1, &e2),
		      TDX_SUCCESS);
	assert_memory_not_equal(host + 0x100, data + 0x100, 8);
}

/*
 * Shared-to-private conversion: the host's old bytes never reach the guest
 * (ACCEPT zeroes), and the guest's bytes never reach the host (ciphertext).
 * ACCEPT zeroes lazily: unwritten 4K pages keep the host's old bytes.
 */
static void test_conversion_privacy(void **state)
{
	struct tdx_module_args out;
	u64 big, e1, e2, v = 0x0123456789abcdefULL;
	u8 *host;
	int i;

	setup_runnable(TDX_TD_ATTR_SEPT_VE_DISABLE);
	big = test_alloc(PMD_ORDER);
	host = pfn_to_virt(big >> PAGE_SHIFT);
	memset(host, 0xab, SZ_2M);	/* the page's shared life */
	ttd_sept_path(&td, 0x600000, 1);
	assert_status(tdh_mem_page_aug(td.tdr_pa, 0x600000, 1, big, &e1, &e2),
		      TDX_SUCCESS);
	tg_add(&g, TG_ACCEPT, 0x600000, 1);
	tg_add(&g, TG_READ, 0x650000, 0);
	tg_add(&g, TG_WRITE, 0x651008, v);
	tg_add(&g, TG_READ, 0x651008, 0);
	tg_add(&g, TG_READ, 0x651000, 0);
	assert_hlt(ttd_enter(&td, 0, &out), &out);
	assert_int_equal(g.ops[1].value, 0);
	assert_int_equal(g.ops[3].value, v);
	assert_int_equal(g.ops[4].value, 0);
	/* Written page: ciphertext; the others untouched. */
	assert_memory_not_equal(host + 0x51008, &v, 8);
	assert_true(host[0x51000] != 0xab || host[0x51001] != 0xab);
	for (i = 0; i < 64; i++)
		assert_int_equal(host[0x50000 + i], 0xab);

	/* Back to shared: REMOVE; the host sees no plaintext of the guest. */
	ttd_block_track(&td, 0x600000, 1);
	assert_status(tdh_mem_page_remove(td.tdr_pa, 0x600000, 1, &e1, &e2),
		      TDX_SUCCESS);
	assert_memory_not_equal(host + 0x51008, &v, 8);
	assert_int_equal(host[0x52000], 0xab);
}

static int setup(void **state)
{
	seam_test_start(NULL);
	return 0;
}

static int setup_none(void **state)
{
	return 0;
}

static int teardown_none(void **state)
{
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_accept_4k, setup,
						seam_test_teardown),
		cmocka_unit_test_setup_teardown(test_accept_4k_in_2m_pending,
						setup, seam_test_teardown),
		cmocka_unit_test_setup_teardown(test_accept_2m_over_4k, setup,
						seam_test_teardown),
		cmocka_unit_test_setup_teardown(test_accept_2m, setup,
						seam_test_teardown),
		cmocka_unit_test_setup_teardown(test_ipi_exits, setup,
						seam_test_teardown),
		cmocka_unit_test_setup_teardown(test_accept_missing_table,
						setup, seam_test_teardown),
		cmocka_unit_test_setup_teardown(test_private_access_exits,
						setup, seam_test_teardown),
		cmocka_unit_test_setup_teardown(test_pending_ve, setup,
						seam_test_teardown),
		cmocka_unit_test_setup_teardown(test_shared_ept, setup,
						seam_test_teardown),
		cmocka_unit_test_setup_teardown(test_shared_ept_5level, setup,
						seam_test_teardown),
		cmocka_unit_test_setup_teardown(test_vmcall_round_trip, setup,
						seam_test_teardown),
		cmocka_unit_test_setup_teardown(test_vmcall_result_survives_ipi,
						setup, seam_test_teardown),
		cmocka_unit_test_setup_teardown(test_zero_step, setup_none,
						teardown_none),
		cmocka_unit_test_setup_teardown(test_private_bytes, setup,
						seam_test_teardown),
		cmocka_unit_test_setup_teardown(test_conversion_privacy, setup,
						seam_test_teardown),
	};

	return cmocka_run_group_tests(tests, seam_test_group_setup,
				      seam_test_group_teardown);
}
