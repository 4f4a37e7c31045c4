// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Issue 12, items 5 and 11: a zap that fails in the no-fail path (a hole
 * punch whose TDH.MEM.RANGE.BLOCK meets TDX_OPERAND_BUSY twice, as when it
 * races TDH.MR.FINALIZE or TDH.MR.EXTEND, which take the TDR exclusively)
 * bugs the VM, and the page stays in the S-EPT. tdxsim must never hand such
 * a page back to the host allocator: the PAMT check counts no violation,
 * and a later TD, whose control pages come from the same allocator, builds
 * and runs (it used to fail TDH.VP.ADDCX with PAGE_METADATA_INCORRECT).
 * docs/FINDINGS.md F1 is the upstream analysis of the race.
 */
#include "tdxsim/kvm.h"
#include "tdxsim/tdx.h"
#include "tdxsim/tdxsim.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "rel_util.h"

#define NR_PAGES	8
#define BUSY_TDR	(TDX_OPERAND_BUSY | TDX_OPERAND_ID_RDX)

/* Build, run and tear down a small TD: everything must succeed. */
static void healthy_td(void)
{
	struct rel_td_opts o;
	struct rel_td td;
	int i;

	/* Enough TDs to reuse whatever pages the allocator hands back. */
	for (i = 0; i < 8; i++) {
		rel_td_opts_init(&o);
		o.private_mem = true;
		o.nr_init_pages = NR_PAGES;
		o.measure = true;
		o.finalize = true;
		o.program = "halt\n";
		rel_td_create(&td, &o);
		assert_int_equal(tdxsim_ioctl(td.vcpu, KVM_RUN, 0), 0);
		assert_int_equal(td.run->exit_reason, KVM_EXIT_HLT);
		assert_int_equal(rel_check_invariants(td.vm), 0);
		rel_td_destroy(&td);
	}
}

static void inject(int vm, unsigned int leaf, unsigned int nth, uint64_t st)
{
	struct tdxsim_inject_fault f = { .leaf = leaf, .nth = nth, .status = st };

	assert_int_equal(tdxsim_ioctl(vm, TDXSIM_INJECT_FAULT, &f), 0);
}

/* A TD with NR_PAGES added (measured), finalized if @finalize. */
static void zap_td(struct rel_td *td, bool finalize)
{
	struct rel_td_opts o;

	rel_td_opts_init(&o);
	o.private_mem = true;
	o.nr_init_pages = NR_PAGES;
	o.measure = !finalize;
	o.finalize = finalize;
	rel_td_create(td, &o);
}

/* The punch's BLOCK meets BUSY, and again after the retry: VM bugged. */
static void test_zap_failure_keeps_page(void **state)
{
	struct tdxsim_module_stats ms0, ms1;
	struct tdxsim_stats st;
	struct rel_td td;

	rel_module_stats(&ms0);
	zap_td(&td, false);

	inject(td.vm, TDH_MEM_RANGE_BLOCK, 1, BUSY_TDR);
	inject(td.vm, TDH_MEM_RANGE_BLOCK, 2, BUSY_TDR);
	assert_int_equal(rel_punch(td.gmem, 0, NR_PAGES * 4096ULL), 0);
	rel_vm_stats(td.vm, &st);
	assert_int_equal(st.vm_bugged, 1);
	errno = 0;
	assert_int_equal(rel_tdx_op(td.vm, KVM_TDX_FINALIZE_VM, 0, NULL), -1);
	assert_int_equal(errno, EIO);
	rel_td_destroy(&td);

	/* The page the zap left behind was kept, not freed. */
	rel_module_stats(&ms1);
	assert_int_equal(ms1.pamt_violations, ms0.pamt_violations);
	print_message("# the module keeps %llu pages of the dead TD\n",
		      (unsigned long long)(ms1.pages_owned - ms0.pages_owned));
	assert_true(ms1.pages_owned > ms0.pages_owned);

	/* Nothing of it reaches the next TDs. */
	healthy_td();
	rel_module_stats(&ms0);
	assert_int_equal(ms0.pamt_violations, ms1.pamt_violations);
	assert_int_equal(ms0.pages_owned, ms1.pages_owned);
}

/* The same after FINALIZE: the TD runs, the zap of an accepted page fails. */
static void test_zap_failure_runnable_td(void **state)
{
	struct tdxsim_module_stats ms0, ms1;
	struct tdxsim_stats st;
	struct rel_td td;

	rel_module_stats(&ms0);
	zap_td(&td, true);
	assert_int_equal(rel_pre_fault(td.vcpu, REL_GPA + NR_PAGES * 4096ULL,
				       4096), 0);

	inject(td.vm, TDH_MEM_PAGE_REMOVE, 1, BUSY_TDR);
	inject(td.vm, TDH_MEM_PAGE_REMOVE, 2, BUSY_TDR);
	assert_int_equal(rel_punch(td.gmem, 0, 2ULL << 20), 0);
	rel_vm_stats(td.vm, &st);
	assert_int_equal(st.vm_bugged, 1);
	rel_td_destroy(&td);

	rel_module_stats(&ms1);
	assert_int_equal(ms1.pamt_violations, ms0.pamt_violations);
	healthy_td();
	rel_module_stats(&ms0);
	assert_int_equal(ms0.pamt_violations, ms1.pamt_violations);
}

/*
 * A PAGE.REMOVE of a runnable TD that answers TDX_TLB_TRACKING_NOT_DONE
 * after KVM did track (injected): F3's status, but not F3, whose zap made
 * no track at all. The failure record tells them apart (tracks), and
 * uapi_seq's oracle accepts only the F3 form.
 */
static void test_untracked_remove_after_track(void **state)
{
	struct tdxsim_module_stats ms0, ms1;
	struct tdxsim_vm_failure f;
	struct rel_td td;

	rel_module_stats(&ms0);
	zap_td(&td, true);

	inject(td.vm, TDH_MEM_PAGE_REMOVE, 1,
	       TDX_TLB_TRACKING_NOT_DONE | TDX_OPERAND_ID_RCX);
	assert_int_equal(rel_punch(td.gmem, 0, 4096), 0);
	memset(&f, 0, sizeof(f));
	assert_int_equal(tdxsim_ioctl(td.vm, TDXSIM_GET_VM_FAILURE, &f), 0);
	assert_int_equal(f.bugged, 1);
	assert_int_equal(f.first_seamcall.leaf, TDH_MEM_PAGE_REMOVE);
	assert_int_equal(f.first_seamcall.status,
			 TDX_TLB_TRACKING_NOT_DONE | TDX_OPERAND_ID_RCX);
	assert_true(f.tracks >= 1);
	rel_td_destroy(&td);

	rel_module_stats(&ms1);
	assert_int_equal(ms1.pamt_violations, ms0.pamt_violations);
}

/*
 * The race itself, in free mode: one thread finishes launches (INIT_MEM_REGION
 * with MEASURE in the two-pass order, then FINALIZE) while another punches
 * the pages being measured. Whatever each round's outcome, no page the
 * module owns is ever freed, and the next TD builds.
 */
#define RACE_ROUNDS	150

struct racer {
	int gmem;
	volatile int stop;
	unsigned int punches;
};

static void *punch_fn(void *arg)
{
	struct racer *r = arg;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		rel_punch(r->gmem, 0, NR_PAGES * 4096ULL);
		r->punches++;
	}
	return NULL;
}

static void test_punch_races_launch(void **state)
{
	struct tdxsim_module_stats ms0, ms1;
	struct kvm_tdx_init_mem_region region;
	unsigned int round, bugged = 0, launched = 0;
	static uint8_t src[NR_PAGES * 4096] __attribute__((aligned(4096)));

	rel_module_stats(&ms0);
	memset(src, 0x3c, sizeof(src));
	for (round = 0; round < RACE_ROUNDS; round++) {
		struct tdxsim_stats st;
		struct rel_td_opts o;
		struct racer r = { 0 };
		struct rel_td td;
		pthread_t t;
		int ret;

		rel_td_opts_init(&o);
		o.private_mem = true;
		o.measure_two_pass = true;
		rel_td_create(&td, &o);
		r.gmem = td.gmem;
		assert_int_equal(pthread_create(&t, NULL, punch_fn, &r), 0);
		region.source_addr = (uint64_t)(uintptr_t)src;
		region.gpa = REL_GPA;
		region.nr_pages = NR_PAGES;
		ret = rel_tdx_op(td.vcpu, KVM_TDX_INIT_MEM_REGION,
				 KVM_TDX_MEASURE_MEMORY_REGION, &region);
		if (!ret)
			ret = rel_tdx_op(td.vm, KVM_TDX_FINALIZE_VM, 0, NULL);
		__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
		assert_int_equal(pthread_join(t, NULL), 0);
		launched += !ret;
		rel_vm_stats(td.vm, &st);
		bugged += st.vm_bugged != 0;
		rel_td_destroy(&td);
	}
	print_message("# %u rounds: %u launches completed, %u VMs bugged\n",
		      RACE_ROUNDS, launched, bugged);
	rel_module_stats(&ms1);
	assert_int_equal(ms1.pamt_violations, ms0.pamt_violations);
	healthy_td();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zap_failure_keeps_page),
		cmocka_unit_test(test_zap_failure_runnable_td),
		cmocka_unit_test(test_untracked_remove_after_track),
		cmocka_unit_test(test_punch_races_launch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
