// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Contention between host leaves inside the module (reference
 * tdx-module.md §6.3): the try-locks return TDX_OPERAND_BUSY with the exact
 * operand id at once. Each pair runs as two tasks under the deterministic
 * scheduler; the test searches seeds for each outcome, replays the seed and
 * asserts the same exact codes, and checks that some seeds do not collide
 * at all. The guest's side is test_busy_guest.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/sched.h"
#include "busy_util.h"

/* --- fixtures: a fresh module and TD for every seed ------------------- */

/* INITIALIZED TD, a vCPU waiting for VP.INIT, a MAPPED page at gpa_a. */
static void fixture_vp_init(void)
{
	static u8 data[4096];
	unsigned int k;

	seam_test_start(NULL);
	ttd_create(&td, 2, false, TDX_TD_ATTR_SEPT_VE_DISABLE);
	vp_pa = test_alloc(0);
	assert_status(tdh_vp_create(td.tdr_pa, vp_pa), TDX_SUCCESS);
	for (k = 0; k < tdx_nr_tdcx_pages(); k++)
		assert_status(tdh_vp_addcx(vp_pa, test_alloc(0)), TDX_SUCCESS);
	gpa_a = 0x1000;
	ttd_page_add(&td, gpa_a, data);
}

static u64 do_vp_init(void)
{
	return tdh_vp_init(vp_pa, 0, 5);
}

static u64 do_block(void)
{
	u64 e1, e2;

	return tdh_mem_range_block(td.tdr_pa, gpa_a, 0, &e1, &e2);
}

static u64 do_track(void)
{
	return tdh_mem_track(td.tdr_pa);
}

static u64 do_remove(void)
{
	u64 e1, e2;

	return tdh_mem_page_remove(td.tdr_pa, gpa_a, 0, &e1, &e2);
}

static u64 do_aug(void)
{
	u64 e1, e2;

	return tdh_mem_page_aug(td.tdr_pa, gpa_a, 0, vp_pa, &e1, &e2);
}

static u64 do_sept_add(void)
{
	u64 e1, e2;

	return tdh_mem_sept_add(td.tdr_pa, 0x40000000, 2, vp_pa, &e1, &e2);
}

struct outcome {
	u64 a, b;		/* exact statuses of task a and task b */
	bool required;		/* some seed must produce it */
};

/*
 * Run the pair (a, b) over many seeds. Every run must end in one of
 * @tab's outcomes, each required one must show up, and the first seed of
 * each outcome seen is replayed and must give the same exact codes.
 */
static void explore(void (*fixture)(void), u64 (*a)(void), u64 (*b)(void),
		    const struct outcome *tab, int n)
{
	u64 first[8] = { 0 }, seed;
	int count[8] = { 0 }, i;

	assert_true(n <= 8);
	op_a = a;
	op_b = b;
	for (seed = 1; seed <= NR_SEEDS; seed++) {
		fixture();
		run_seed(seed);
		for (i = 0; i < n; i++)
			if (ret_a == tab[i].a && ret_b == tab[i].b)
				break;
		if (i == n) {
			char an[96];

			snprintf(an, sizeof(an), "%s", tdx_status_name(ret_a));
			fail_msg("seed %llu: unexpected a %s, b %s",
				 (unsigned long long)seed, an,
				 tdx_status_name(ret_b));
		}
		if (!count[i]++)
			first[i] = seed;
		seam_test_end();
	}
	for (i = 0; i < n; i++) {
		char an[96];

		snprintf(an, sizeof(an), "%s", tdx_status_name(tab[i].a));
		print_message("# a %s, b %s: %d seeds (first %llu)\n", an,
			      tdx_status_name(tab[i].b), count[i],
			      (unsigned long long)first[i]);
		if (tab[i].required)
			assert_true(count[i] > 0);
	}

	/* Replay: a seed fully determines the interleaving. */
	for (i = 0; i < n; i++) {
		if (!count[i])
			continue;
		fixture();
		run_seed(first[i]);
		assert_status(ret_a, tab[i].a);
		assert_status(ret_b, tab[i].b);
		seam_test_end();
	}
}

/* The usual pair: no collision, b loses with @busy_b, or a with @busy_a. */
static void explore_pair(void (*fixture)(void), u64 (*a)(void),
			 u64 (*b)(void), u64 busy_a, u64 busy_b,
			 bool a_can_lose)
{
	const struct outcome tab[] = {
		{ TDX_SUCCESS, TDX_SUCCESS, true },
		{ TDX_SUCCESS, busy_b, true },
		{ busy_a, TDX_SUCCESS, a_can_lose },
	};

	explore(fixture, a, b, tab, ARRAY_SIZE(tab));
}

/* Seed 002: VP.INIT v1 takes the TDR exclusively; BLOCK takes it shared. */
static void test_vp_init_vs_block(void **state)
{
	explore_pair(fixture_vp_init, do_vp_init, do_block,
		     0x8000020000000080ULL, 0x8000020000000002ULL, true);
}

static void test_vp_init_vs_track(void **state)
{
	explore_pair(fixture_vp_init, do_vp_init, do_track,
		     0x8000020000000080ULL, 0x8000020000000001ULL, true);
}

static void test_vp_init_vs_remove(void **state)
{
	explore_pair(fixture_vp_init, do_vp_init, do_remove,
		     0x8000020000000080ULL, 0x8000020000000002ULL, true);
}

/* VP.INIT v0 (module 1.5.01) takes the TDR shared: no contention. */
static void fixture_vp_init_v0(void)
{
	static u8 data[4096];
	struct tdx_module_config cfg;
	unsigned int k;

	tdx_module_config_init(&cfg);
	cfg.vp_init_version = 0;
	seam_test_start(&cfg);
	ttd_create(&td, 2, false, TDX_TD_ATTR_SEPT_VE_DISABLE);
	vp_pa = test_alloc(0);
	assert_status(tdh_vp_create(td.tdr_pa, vp_pa), TDX_SUCCESS);
	for (k = 0; k < tdx_nr_tdcx_pages(); k++)
		assert_status(tdh_vp_addcx(vp_pa, test_alloc(0)), TDX_SUCCESS);
	gpa_a = 0x1000;
	ttd_page_add(&td, gpa_a, data);
}

static void test_vp_init_v0_never_busy(void **state)
{
	u64 seed;

	op_a = do_vp_init;
	op_b = do_block;
	for (seed = 1; seed <= 100; seed++) {
		fixture_vp_init_v0();
		run_seed(seed);
		assert_status(ret_a, TDX_SUCCESS);
		assert_status(ret_b, TDX_SUCCESS);
		seam_test_end();
	}
}

/* AUG (tree shared) against BLOCK (tree exclusive) elsewhere in the TD. */
static void test_aug_vs_block_tree(void **state)
{
	explore_pair(fixture_tree, do_aug, do_block_b,
		     0x8000020000000092ULL, 0x8000020000000092ULL, true);
}

static void test_sept_add_vs_block_tree(void **state)
{
	explore_pair(fixture_tree, do_sept_add, do_block_b,
		     0x8000020000000092ULL, 0x8000020000000092ULL, true);
}

/* Two TRACKs: the epoch lock. */
static void test_track_vs_track(void **state)
{
	explore_pair(fixture_tree, do_track, do_track,
		     0x80000200000000A9ULL, 0x80000200000000A9ULL, true);
}

/* Two AUGs of the same GPA: the S-EPT entry lock. */
static u64 do_aug_same_gpa(void)
{
	u64 e1, e2;

	return tdh_mem_page_aug(td.tdr_pa, gpa_a, 0, page2, &e1, &e2);
}

static void test_aug_vs_aug_entry(void **state)
{
	const u64 busy = TDX_OPERAND_BUSY | TDX_OPERAND_ID_RCX;
	const u64 taken = TDX_EPT_ENTRY_STATE_INCORRECT | TDX_OPERAND_ID_RCX;
	const struct outcome tab[] = {
		{ TDX_SUCCESS, taken, true },
		{ taken, TDX_SUCCESS, true },
		{ TDX_SUCCESS, busy, true },
		{ busy, TDX_SUCCESS, true },
	};

	explore(fixture_tree, do_aug, do_aug_same_gpa, tab, ARRAY_SIZE(tab));
}

/* Two AUGs of the same page at different GPAs: the PAMT lock of R8. */
static u64 do_aug_same_page(void)
{
	u64 e1, e2;

	return tdh_mem_page_aug(td.tdr_pa, gpa_a + PAGE_SIZE, 0, vp_pa, &e1,
				&e2);
}

static void test_aug_vs_aug_page(void **state)
{
	const u64 busy = TDX_OPERAND_BUSY | TDX_OPERAND_ID_R8;
	const u64 owned = TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_R8;
	const struct outcome tab[] = {
		{ TDX_SUCCESS, owned, true },
		{ owned, TDX_SUCCESS, true },
		{ TDX_SUCCESS, busy, true },
		{ busy, TDX_SUCCESS, true },
	};

	explore(fixture_tree, do_aug, do_aug_same_page, tab, ARRAY_SIZE(tab));
}

/* TRACK (epoch exclusive) against a vCPU entering (epoch shared). */
static void test_track_vs_enter(void **state)
{
	const u64 busy = TDX_OPERAND_BUSY | TDX_OPERAND_ID_TD_EPOCH;
	const struct outcome tab[] = {
		{ EXIT_REASON_TDCALL, TDX_SUCCESS, true },
		{ EXIT_REASON_TDCALL, busy, true },
		{ busy, TDX_SUCCESS, true },
	};

	explore(fixture_tree, do_enter_vcpu0, do_track, tab, ARRAY_SIZE(tab));
}

/*
 * Zero-step: once the filter is armed, TDH.VP.ENTER takes the S-EPT tree
 * exclusively, so an AUG elsewhere in the TD can get BUSY|SEPT (the reason
 * KVM retries faults locally instead of re-entering).
 */
static struct test_guest zs_guest;

static void fixture_zero_step(void)
{
	static u8 data[4096];
	struct tdx_module_args out;
	u64 e1, e2;
	int i;

	seam_test_start(NULL);
	ttd_create(&td, 1, false, TDX_TD_ATTR_SEPT_VE_DISABLE);
	ttd_add_vcpu(&td);
	ttd_page_add(&td, 0x7000, data);
	gpa_a = 0x10000;
	ttd_sept_path(&td, gpa_a, 0);
	ttd_finalize(&td);
	vp_pa = test_alloc(0);
	memset(&zs_guest, 0, sizeof(zs_guest));
	tg_add(&zs_guest, TG_READ, 0x7000, 0);
	assert_int_equal(tdx_module_set_guest(td.vcpu[0].tdvpr_pa,
					      &test_guest_ops, &zs_guest), 0);
	ttd_block_track(&td, 0x7000, 0);
	for (i = 0; i < 7; i++)
		assert_status(ttd_enter(&td, 0, &out),
			      EXIT_REASON_EPT_VIOLATION);
	assert_status(tdh_mem_range_unblock(td.tdr_pa, 0x7000, 0, &e1, &e2),
		      TDX_SUCCESS);
}

static void test_zero_step_vs_aug(void **state)
{
	const u64 busy = TDX_OPERAND_BUSY | TDX_OPERAND_ID_SEPT;
	const struct outcome tab[] = {
		{ EXIT_REASON_TDCALL, TDX_SUCCESS, true },
		{ EXIT_REASON_TDCALL, busy, true },
		{ busy, TDX_SUCCESS, true },
	};

	explore(fixture_zero_step, do_enter_vcpu0, do_aug, tab,
		ARRAY_SIZE(tab));
}

/* Two TDs created at once: the global KOT lock. */
static void fixture_two_tdrs(void)
{
	seam_test_start(NULL);
	vp_pa = test_alloc(0);
	tdr2 = test_alloc(0);
}

static u64 do_create_1(void)
{
	return tdh_mng_create(vp_pa, 1);
}

static u64 do_create_2(void)
{
	return tdh_mng_create(tdr2, 2);
}

static void test_create_vs_create(void **state)
{
	explore_pair(fixture_two_tdrs, do_create_1, do_create_2,
		     TDX_OPERAND_BUSY | TDX_OPERAND_ID_KOT,
		     TDX_OPERAND_BUSY | TDX_OPERAND_ID_KOT, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vp_init_vs_block),
		cmocka_unit_test(test_vp_init_vs_track),
		cmocka_unit_test(test_vp_init_vs_remove),
		cmocka_unit_test(test_vp_init_v0_never_busy),
		cmocka_unit_test(test_aug_vs_block_tree),
		cmocka_unit_test(test_sept_add_vs_block_tree),
		cmocka_unit_test(test_track_vs_track),
		cmocka_unit_test(test_aug_vs_aug_entry),
		cmocka_unit_test(test_aug_vs_aug_page),
		cmocka_unit_test(test_track_vs_enter),
		cmocka_unit_test(test_zero_step_vs_aug),
		cmocka_unit_test(test_create_vs_create),
	};

	return cmocka_run_group_tests(tests, seam_test_group_setup,
				      seam_test_group_teardown);
}
