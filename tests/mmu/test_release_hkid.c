// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Releasing a TD's HKID when the module refuses (tdx_mmu_release_hkid(),
 * the same in every release but for the macro: KVM_BUG_ON + pr_tdx_error
 * in 6.16-6.18, TDX_BUG_ON in 6.19+; releases.md §1, §5.4):
 *  - a TDH.VP.FLUSH, TDH.MNG.VPFLUSHDONE or TDH.MNG.KEY.FREEID failure
 *    bugs the VM and leaks the HKID;
 *  - TDX_FLUSHVP_NOT_DONE from VPFLUSHDONE returns silently: the VM is not
 *    bugged, the HKID stays;
 *  - with the HKID kept, teardown leaves every page of the TD with the
 *    module (S-EPT frees hit KVM_BUG_ON(is_hkid_assigned), the control
 *    pages are not reclaimed): the module still owns them afterwards and
 *    the host freed none of them (no PAMT violation);
 *  - tdx_lock is released on every path (another TD is created after).
 * The TDR's WBINVD failure (a leaked TDR) cannot be injected: by then the
 * TD has left the module's list.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kvm/asm/kvm_host.h"
#include "kvm/tdx.h"
#include "tdxsim/report.h"
#include "testlib/kvm_util_internal.h"

static void module_stats(struct tdxsim_module_stats *ms)
{
	int kvm = tdxsim_open("/dev/kvm", 0);

	assert_true(kvm >= 0);
	memset(ms, 0, sizeof(*ms));
	assert_int_equal(tdxsim_ioctl(kvm, TDXSIM_GET_MODULE_STATS, ms), 0);
	tdxsim_close(kvm);
}

static void inject(struct td *td, unsigned int leaf, unsigned int nth,
		   u64 status)
{
	struct tdxsim_inject_fault f = { .leaf = leaf, .nth = nth,
					 .status = status };

	assert_int_equal(tdxsim_ioctl(td->vm, TDXSIM_INJECT_FAULT, &f), 0);
}

static void build(struct td *td, const char *kernel)
{
	struct td_opts o;

	td_opts_init(&o);
	td_opts_set_kernel(&o, kernel);
	o.program = "accept 0x200000 8K level=4k\n"
		    "write 0x200000 8K pattern=1\n"
		    "halt\n";
	td_create(td, &o);
	td_populate(td, 0x800000, 1, true, 1);
	td_finalize(td);
	td_run_vcpu(td, 0);
	assert_int_equal(td->last_exit[0], KVM_EXIT_HLT);
}

/* A TD can still be made and torn down: tdx_lock was let go. */
static void another_td(void)
{
	struct td_opts o;
	struct td td;

	td_opts_init(&o);
	td_create(&td, &o);
	td_destroy(&td);
}

/*
 * Release the HKID of a TD whose @leaf answers @status (@times times):
 * @bugs says whether the VM must be bugged. The HKID is kept either way.
 */
static void release_fails(const char *kernel, unsigned int leaf, u64 status,
			  unsigned int times, bool bugs)
{
	struct tdxsim_module_stats before, after;
	struct kvm *kvm;
	struct td td;
	unsigned int i;

	build(&td, kernel);
	kvm = vm_kvm(td.vm);
	for (i = 1; i <= times; i++)
		inject(&td, leaf, i, status);

	/* kvm_destroy_vm()'s first step, while the descriptors are open. */
	kvm_x86_ops.vm_pre_destroy(kvm);
	if (READ_ONCE(kvm->vm_bugged) != bugs)
		fail_msg("%s, leaf %u: vm_bugged %d", kernel, leaf,
			 READ_ONCE(kvm->vm_bugged));
	assert_true(is_hkid_assigned(to_kvm_tdx(kvm)));

	module_stats(&before);
	td.allow_leak = true;
	td_destroy(&td);
	module_stats(&after);
	/* Nothing the module still owned was given back to the host. */
	assert_int_equal(after.pamt_violations, before.pamt_violations);
	another_td();
	tdxsim_reset_reports();
}

/* FLUSHVP_NOT_DONE, every time: silent, the TD's pages stay with the module. */
static void test_flushvp_not_done_keeps_hkid(void **state)
{
	struct tdxsim_module_stats before, after;
	struct kvm *kvm;
	struct td td;
	u64 owned;

	module_stats(&before);
	build(&td, "next");
	kvm = vm_kvm(td.vm);
	inject(&td, TDH_MNG_VPFLUSHDONE, 1, TDX_FLUSHVP_NOT_DONE);
	inject(&td, TDH_MNG_VPFLUSHDONE, 2, TDX_FLUSHVP_NOT_DONE);
	kvm_x86_ops.vm_pre_destroy(kvm);
	assert_false(READ_ONCE(kvm->vm_bugged));
	assert_true(is_hkid_assigned(to_kvm_tdx(kvm)));
	assert_int_equal(td_seamcalls(&td, TDH_MNG_KEY_FREEID), 0);
	owned = td.owned_at_create;

	td.allow_leak = true;
	td_destroy(&td);
	module_stats(&after);
	/*
	 * TDR, TDCS, TDVPR and TDCX, the S-EPT tables and the populated page
	 * (the accepted ones were removed by guest_memfd's release while the
	 * HKID was still assigned): all still the module's.
	 */
	assert_true(after.pages_owned > owned);
	assert_int_equal(after.pamt_violations, before.pamt_violations);
	another_td();
	tdxsim_reset_reports();
}

static void test_vpflushdone_error_bugs(void **state)
{
	release_fails("next", TDH_MNG_VPFLUSHDONE, TDX_OPERAND_INVALID, 2, true);
	release_fails("v6.16", TDH_MNG_VPFLUSHDONE, TDX_OPERAND_INVALID, 2,
		      true);
}

static void test_vp_flush_error_bugs(void **state)
{
	release_fails("next", TDH_VP_FLUSH, TDX_OPERAND_INVALID, 2, true);
}

static void test_key_freeid_error_bugs(void **state)
{
	release_fails("next", TDH_MNG_KEY_FREEID, TDX_OPERAND_INVALID, 2, true);
	release_fails("v6.16", TDH_MNG_KEY_FREEID, TDX_OPERAND_INVALID, 2,
		      true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flushvp_not_done_keeps_hkid),
		cmocka_unit_test(test_vpflushdone_error_bugs),
		cmocka_unit_test(test_vp_flush_error_bugs),
		cmocka_unit_test(test_key_freeid_error_bugs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
