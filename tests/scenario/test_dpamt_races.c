// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The Dynamic PAMT review races (docs/upstream/series-dpamt.md §6): each
 * scenario fails in the design that has the race, with the status the
 * series' review predicts, and passes in v6 (and in the other designs
 * without it), with the scenario's own seed and over explored seeds.
 *
 *   test_dpamt_races case NAME     one test per process (a before-design
 *                                  run may leave a bugged VM or a leaked
 *                                  PAMT page pair behind)
 */
#include <errno.h>

#include "scn_test.h"
#include "tdxsim/tdx.h"

/* Explored seeds of the design with the race (CI budget; about 1.5 ms each). */
#define EXPLORE_RACE	1000

/*
 * D2: v3 drops a region's last reference outside pamt_lock; another TD's
 * get adds the pair again: TDX_HPA_RANGE_NOT_FREE|RCX, the control page
 * cannot be had (-ENOMEM). v4 takes that answer for "present"; v6's
 * atomic_dec_and_lock() leaves no window.
 */
static void test_put_race(void **state)
{
	struct tdxsim_scenario_result b, u, v4;
	struct tdxsim_scenario_explore_result r;

	scn_test_run("dpamt-put-race", NULL, "upstream", &u);
	assert_false(u.failed);
	assert_int_equal(u.failure.pamt_errors, 0);
	assert_int_equal(u.errnos[2], 0);	/* TD B's KVM_TDX_INIT_VCPU */

	scn_test_run("dpamt-put-race", "next+dpamt:dpamt_put=v4", NULL, &v4);
	assert_false(v4.failed);
	assert_false(v4.vm_bugged);
	assert_int_equal(v4.errnos[2], 0);

	scn_test_run("dpamt-put-race", NULL, "before", &b);
	assert_true(b.failed);
	assert_false(b.vm_bugged);
	assert_int_equal(b.design.dpamt_put, TDXSIM_DPAMT_PUT_V3);
	assert_int_equal(b.failure.pamt_last_leaf, TDH_PHYMEM_PAMT_ADD);
	assert_int_equal(b.failure.pamt_last_status,
			 TDX_HPA_RANGE_NOT_FREE | TDX_OPERAND_ID_RCX);
	assert_int_equal(b.errnos[2], ENOMEM);
	/* v4's handling is what keeps its run clean on the same schedule. */
	assert_true(v4.failure.pamt_errors <= b.failure.pamt_errors);
	tdxsim_scenario_result_free(&b);
	tdxsim_scenario_result_free(&u);
	tdxsim_scenario_result_free(&v4);

	scn_test_explore_clean("dpamt-put-race", "upstream");
	scn_test_explore_clean("dpamt-put-race", "dpamt_put=v4");
	assert_true(scn_test_explore("dpamt-put-race", "before", EXPLORE_RACE,
				     &r));
	assert_int_equal(r.first.failure.pamt_last_status,
			 TDX_HPA_RANGE_NOT_FREE | TDX_OPERAND_ID_RCX);
	tdxsim_scenario_result_free(&r.first);
}

/*
 * D3: the RFC review's recheck under the lock: a lock-free get counts
 * itself a user after the put's check, the pair goes, TD B's TDH.VP.CREATE
 * answers TDX_MISSING_PAMT_PAGE_PAIR and B is bugged. v6 passes.
 */
static void test_put_recheck(void **state)
{
	struct tdxsim_scenario_result b, u;
	struct tdxsim_scenario_explore_result r;

	scn_test_run("dpamt-put-recheck", NULL, "upstream", &u);
	assert_false(u.failed);
	assert_false(u.vm_bugged);
	assert_int_equal(u.failure.pamt_errors, 0);

	scn_test_run("dpamt-put-recheck", NULL, "before", &b);
	assert_true(b.failed);
	assert_true(b.vm_bugged);
	assert_int_equal(b.design.dpamt_put, TDXSIM_DPAMT_PUT_RFC_RECHECK);
	assert_int_equal(b.failure.first_seamcall.leaf, TDH_VP_CREATE);
	assert_int_equal(b.failure.first_seamcall.status,
			 TDX_MISSING_PAMT_PAGE_PAIR | TDX_OPERAND_ID_RCX);
	tdxsim_scenario_result_free(&b);
	tdxsim_scenario_result_free(&u);

	scn_test_explore_clean("dpamt-put-recheck", "upstream");
	assert_true(scn_test_explore("dpamt-put-recheck", "before",
				     EXPLORE_RACE, &r));
	tdxsim_scenario_result_free(&r.first);
}

/*
 * D1: a lock per 2M region instead of the global pamt_lock: the PAMT.ADD
 * of one region, holding its pair page's region shared, meets that
 * region's PAMT.ADD: TDX_OPERAND_BUSY|RCX, WARN, INIT_VCPU -ENOMEM.
 */
static void test_lock_region(void **state)
{
	struct tdxsim_scenario_result b, u;
	struct tdxsim_scenario_explore_result r;

	scn_test_run("dpamt-lock-region", NULL, "upstream", &u);
	assert_false(u.failed);
	assert_int_equal(u.failure.pamt_errors, 0);
	assert_int_equal(u.errnos[1], 0);	/* TD A's KVM_TDX_INIT_VCPU */
	assert_int_equal(u.errnos[2], 0);	/* TD B's */

	scn_test_run("dpamt-lock-region", NULL, "before", &b);
	assert_true(b.failed);
	assert_int_equal(b.design.dpamt_lock, TDXSIM_DPAMT_LOCK_PER_REGION);
	assert_int_equal(b.failure.pamt_last_leaf, TDH_PHYMEM_PAMT_ADD);
	assert_int_equal(b.failure.pamt_last_status,
			 TDX_OPERAND_BUSY | TDX_OPERAND_ID_RCX);
	assert_true(b.errnos[1] == ENOMEM || b.errnos[2] == ENOMEM);
	tdxsim_scenario_result_free(&b);
	tdxsim_scenario_result_free(&u);

	/* About 50 ms a seed: 1000 host pages written each. */
	assert_int_equal(scn_test_explore("dpamt-lock-region", "upstream", 100,
					  &r), 0);
	assert_true(scn_test_explore("dpamt-lock-region", "before", 100, &r));
	tdxsim_scenario_result_free(&r.first);
}

/*
 * D5: with huge pages, DEMOTE installs a PAMT pair; outside pamt_lock
 * (RFC v5) it holds its pair pages' region shared while another TD's
 * PAMT.ADD of that region needs it exclusively: TDX_OPERAND_BUSY|RCX for
 * the PAMT.ADD (WARN, INIT_VCPU -ENOMEM) or BUSY for the DEMOTE (TD A
 * bugged). Under pamt_lock (Yan Zhao's fix) neither.
 */
static void test_demote_add(void **state)
{
	struct tdxsim_scenario_result b, u;
	struct tdxsim_scenario_explore_result r;

	scn_test_run("dpamt-demote-add", NULL, "upstream", &u);
	assert_false(u.failed);
	assert_false(u.vm_bugged);
	assert_int_equal(u.failure.pamt_errors, 0);
	assert_int_equal(u.demotes, 1);
	assert_int_equal(u.errnos[1], 0);	/* TD B's KVM_TDX_INIT_VCPU */

	scn_test_run("dpamt-demote-add", NULL, "before", &b);
	assert_true(b.failed);
	assert_int_equal(b.design.demote_under_pamt_lock,
			 TDXSIM_DEMOTE_PAMT_LOCK_OFF);
	if (b.vm_bugged) {
		assert_int_equal(b.failure.first_seamcall.leaf,
				 TDH_MEM_PAGE_DEMOTE);
		assert_true(tdx_operand_busy(b.failure.first_seamcall.status));
	} else {
		assert_int_equal(b.failure.pamt_last_leaf, TDH_PHYMEM_PAMT_ADD);
		assert_int_equal(b.failure.pamt_last_status,
				 TDX_OPERAND_BUSY | TDX_OPERAND_ID_RCX);
		assert_int_equal(b.errnos[1], ENOMEM);
	}
	tdxsim_scenario_result_free(&b);
	tdxsim_scenario_result_free(&u);

	/* About 0.2 s a seed: two TDs, a 2M mapping, 1000 host pages. */
	assert_int_equal(scn_test_explore("dpamt-demote-add", "upstream", 60,
					  &r), 0);
	assert_true(scn_test_explore("dpamt-demote-add", "before", 40, &r));
	tdxsim_scenario_result_free(&r.first);
}

/*
 * D6: the host's PAMT.REMOVE fails (host-level injection). v6 sets the
 * count back to 1: the pair stays counted, the next get of the region
 * takes the fast path. Left at 0 (dpamt_remove_fail=drop) the next get
 * adds the pair again: TDX_HPA_RANGE_NOT_FREE|RCX, INIT_VCPU -ENOMEM.
 */
static void test_remove_fail(void **state)
{
	struct tdxsim_scenario_result b, u;

	scn_test_run("dpamt-remove-fail", NULL, "upstream", &u);
	assert_false(u.failed);
	assert_false(u.vm_bugged);
	assert_int_equal(u.failure.pamt_errors, 1);
	assert_int_equal(u.failure.pamt_last_leaf, TDH_PHYMEM_PAMT_REMOVE);
	assert_int_equal(u.failure.pamt_last_status,
			 TDX_OPERAND_BUSY | TDX_OPERAND_ID_RCX);
	assert_int_equal(u.errnos[0], 0);	/* TD B's KVM_TDX_INIT_VCPU */

	scn_test_run("dpamt-remove-fail", NULL, "before", &b);
	assert_true(b.failed);
	assert_false(b.vm_bugged);
	assert_int_equal(b.design.dpamt_remove_fail,
			 TDXSIM_DPAMT_REMOVE_FAIL_DROP);
	assert_int_equal(b.failure.pamt_last_leaf, TDH_PHYMEM_PAMT_ADD);
	assert_int_equal(b.failure.pamt_last_status,
			 TDX_HPA_RANGE_NOT_FREE | TDX_OPERAND_ID_RCX);
	assert_int_equal(b.errnos[0], ENOMEM);
	tdxsim_scenario_result_free(&b);
	tdxsim_scenario_result_free(&u);
}

int main(int argc, char **argv)
{
	static const struct CMUnitTest cases[] = {
		cmocka_unit_test(test_put_race),
		cmocka_unit_test(test_put_recheck),
		cmocka_unit_test(test_lock_region),
		cmocka_unit_test(test_demote_add),
		cmocka_unit_test(test_remove_fail),
	};

	return scn_test_case(argc, argv, cases, ARRAY_SIZE(cases),
			     "case NAME");
}
