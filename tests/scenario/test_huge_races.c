// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The TDX huge-page review races (docs/upstream/series-hugepage.md §6 H2,
 * H3, H7, H8): each scenario fails in the design the review warned about,
 * with the evidence it predicts, and passes in the series' choice, with
 * the scenario's own seed and over explored seeds.
 *
 *   test_huge_races case NAME      one test per process (a before-design
 *                                  run may leave a bugged or livelocked
 *                                  VM behind)
 */
#include "scn_test.h"

/* Explored seeds of the design with the race (CI budget; about 1.5 ms each). */
#define EXPLORE_RACE	1000

/*
 * H2: the guest inhibit set before the split (and its locks): the other
 * vCPU's unlocked test sees it, skips the split and faults on the 2M leaf
 * under the read mmu_lock, where TDX refuses to split. After the split
 * (v3, v5): one DEMOTE, nothing refused.
 */
static void test_inhibit_order(void **state)
{
	struct tdxsim_scenario_result b, u;
	struct tdxsim_scenario_explore_result r;

	scn_test_both("huge-inhibit-order", &b, &u);
	assert_int_equal(u.demotes, 1);
	assert_int_equal(u.split_refused, 0);
	assert_true(u.guest_finished);

	assert_int_equal(b.design.huge_inhibit_order,
			 TDXSIM_HUGE_INHIBIT_BEFORE_SPLIT);
	assert_true(b.split_refused >= 1);
	assert_false(b.vm_bugged);
	scn_test_both_free(&b, &u);

	/* About 1 seed in 100 meets the window. */
	scn_test_explore_race("huge-inhibit-order", EXPLORE_RACE, &r);
	assert_true(r.first.split_refused >= 1);
	tdxsim_scenario_result_free(&r.first);
}

/*
 * H3: DEMOTE answers BUSY in the split. Under the write mmu_lock (v5) it
 * is retried once with every vCPU out and succeeds; under the read one
 * (RFC v1/v2) UNBLOCK, the undo, is BUSY too: the VM is bugged with the
 * 2M leaf BLOCKED.
 */
static void test_split_busy(void **state)
{
	struct tdxsim_scenario_result b, u;
	struct tdxsim_scenario_explore_result r;

	scn_test_both("huge-split-busy", &b, &u);
	assert_false(u.vm_bugged);
	assert_int_equal(u.demotes, 2);		/* BUSY, then the retry */
	assert_true(u.no_vcpus_retries >= 1);
	assert_true(u.guest_finished);

	assert_true(b.vm_bugged);
	assert_int_equal(b.design.huge_split_lock, TDXSIM_HUGE_SPLIT_LOCK_READ);
	assert_int_equal(b.failure.first_seamcall.leaf, TDH_MEM_RANGE_UNBLOCK);
	assert_int_equal(b.failure.first_seamcall.status,
			 TDX_OPERAND_BUSY | TDX_OPERAND_ID_RCX);
	assert_false(b.guest_finished);
	scn_test_both_free(&b, &u);

	assert_int_equal(scn_test_explore("huge-split-busy", "upstream", 100,
					  &r), 0);
	assert_int_equal(scn_test_explore("huge-split-busy", "before", 100,
					  &r), 100);
	tdxsim_scenario_result_free(&r.first);
}

/*
 * H7: a conversion and a hole punch, no vCPU, each splitting two 2M
 * mappings from the per-VM cache. Topped up under the mutex and drawn
 * from after dropping it, the second finds the first took its pages:
 * ENOMEM with memory to spare. v5's mutex: four DEMOTEs, both succeed.
 */
static void test_split_cache(void **state)
{
	struct tdxsim_scenario_result b, u;
	struct tdxsim_scenario_explore_result r;

	scn_test_both("huge-split-cache", &b, &u);
	assert_int_equal(u.errnos[0], 0);
	assert_int_equal(u.errnos[1], 0);
	assert_int_equal(u.demotes, 4);

	assert_int_equal(b.design.split_cache_lock,
			 TDXSIM_SPLIT_CACHE_LOCK_NONE);
	assert_true(b.errnos[0] == ENOMEM || b.errnos[1] == ENOMEM);
	assert_false(b.vm_bugged);
	assert_true(b.demotes < 4);
	scn_test_both_free(&b, &u);

	scn_test_explore_race("huge-split-cache", 100, &r);
	tdxsim_scenario_result_free(&r.first);
}

/*
 * H8: the accept-level exit splitting the direct root (RFC v5 41/45 as
 * posted) leaves the S-EPT at 2M with the inhibit set: the 4K accept's
 * fault meets the 2M leaf under the read lock forever. The mirror root
 * (the fix): one DEMOTE and the accept succeeds.
 */
static void test_accept_root(void **state)
{
	struct tdxsim_scenario_result b, u;

	scn_test_both("huge-accept-root", &b, &u);
	assert_int_equal(u.demotes, 1);
	assert_true(u.guest_finished);

	assert_int_equal(b.design.accept_split_root,
			 TDXSIM_ACCEPT_SPLIT_ROOT_NORMAL);
	assert_true(b.livelock_exit || b.verdict == TDXSIM_VERDICT_LIVELOCK);
	assert_false(b.guest_finished);
	scn_test_both_free(&b, &u);
}

int main(int argc, char **argv)
{
	static const struct CMUnitTest cases[] = {
		cmocka_unit_test(test_inhibit_order),
		cmocka_unit_test(test_split_busy),
		cmocka_unit_test(test_split_cache),
		cmocka_unit_test(test_accept_root),
	};

	return scn_test_case(argc, argv, cases, ARRAY_SIZE(cases),
			     "case NAME");
}
