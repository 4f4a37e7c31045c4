// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The faults that race a guest_memfd in-place conversion
 * (docs/upstream/series-gmem-inplace.md §5 G2, G3): each scenario fails in
 * the design without the serialization v8 relies on and passes in v8,
 * with the scenario's own seed and over explored seeds.
 *
 *   test_gmem_races case NAME      one test per process (a before-design
 *                                  run leaves a page mapped or referenced
 *                                  against its attribute)
 */
#include "scn_test.h"

/* Explored seeds of the design with the race (CI budget; 3 to 6 ms each). */
#define EXPLORE_RACE	300

/*
 * G2: a host fault through the mmap against a to-private conversion. v8
 * checks the attribute under the invalidate lock: the fault meets a
 * private page (SIGBUS) or the conversion meets the fault's reference
 * (EAGAIN, retried). With a fault that takes no invalidate lock
 * (gmem_locking=legacy) the conversion completes between the fault's
 * check and its reference: the host holds a private page.
 */
static void test_hostfault(void **state)
{
	struct tdxsim_scenario_result b, u;
	struct tdxsim_scenario_explore_result r;

	scn_test_both("gmem-inplace-hostfault", &b, &u);
	assert_int_equal(u.errnos[1], 0);	/* converted in the end */
	assert_int_equal(u.later_errno, 0);

	assert_int_equal(b.design.gmem_locking, TDXSIM_GMEM_LOCKING_LEGACY);
	assert_int_equal(b.errnos[0], 0);	/* the fault: no SIGBUS */
	assert_int_equal(b.errnos[1], 0);	/* the conversion: no EAGAIN */
	assert_false(b.vm_bugged);
	scn_test_both_free(&b, &u);

	scn_test_explore_race("gmem-inplace-hostfault", EXPLORE_RACE, &r);
	tdxsim_scenario_result_free(&r.first);
}

/*
 * G3: a vCPU fault on a private page against its conversion to shared.
 * With mmu_invalidate_retry_gfn() the fault retries and exits to the VMM
 * (or mapped first and was zapped); without it (fault_invalidate_retry=
 * none) the S-EPT maps a page guest_memfd holds shared.
 */
static void test_vcpufault(void **state)
{
	struct tdxsim_scenario_result b, u;
	struct tdxsim_scenario_explore_result r;

	scn_test_both("gmem-inplace-vcpufault", &b, &u);
	assert_int_equal(u.later_errno, 0);
	assert_false(u.vm_bugged);

	assert_int_equal(b.design.fault_invalidate_retry, 1);
	assert_int_equal(b.later_errno, EUCLEAN);	/* the invariants */
	assert_int_equal(b.errnos[1], 0);		/* converted */
	assert_false(b.vm_bugged);
	scn_test_both_free(&b, &u);

	scn_test_explore_race("gmem-inplace-vcpufault", EXPLORE_RACE, &r);
	tdxsim_scenario_result_free(&r.first);
}

int main(int argc, char **argv)
{
	static const struct CMUnitTest cases[] = {
		cmocka_unit_test(test_hostfault),
		cmocka_unit_test(test_vcpufault),
	};

	return scn_test_case(argc, argv, cases, ARRAY_SIZE(cases),
			     "case NAME");
}
