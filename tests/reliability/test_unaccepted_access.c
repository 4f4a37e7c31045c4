// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Issue 12, item 8: a guest access to a private page it never accepted
 * ends the TD (docs/guest-programs.md: "Guest access before accepting",
 * KVM marks the VM dead and KVM_RUN answers EIO), however many EPT
 * violations came before it. Here the guest writes a private GPA the host
 * made shared: KVM_RUN returns KVM_EXIT_MEMORY_FAULT until the VMM makes
 * the page private again. From the seventh violation at the same place on,
 * the TDX module's zero-step filter is armed (tdx-module.md §6.5); its
 * re-check at TD entry must report the page as it is (PENDING), not as a
 * plain EPT violation that KVM finds already mapped and retries forever.
 */
#include "tdxsim/kvm.h"
#include "tdxsim/tdxsim.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "rel_util.h"

static void run_unaccepted(unsigned int nr_memory_faults)
{
	char program[256];
	struct tdxsim_stats st;
	struct rel_td_opts o;
	struct rel_td td;
	unsigned int i;

	snprintf(program, sizeof(program), "write private %#llx 4K pattern=1\n",
		 (unsigned long long)REL_GPA);
	rel_td_opts_init(&o);
	o.private_mem = true;
	o.finalize = true;
	o.program = program;
	rel_td_create(&td, &o);

	assert_int_equal(rel_set_attrs(td.vm, REL_GPA, 4096, false), 0);
	for (i = 0; i < nr_memory_faults; i++) {
		errno = 0;
		assert_int_equal(tdxsim_ioctl(td.vcpu, KVM_RUN, 0), -1);
		assert_int_equal(errno, EFAULT);
		assert_int_equal(td.run->exit_reason, KVM_EXIT_MEMORY_FAULT);
		assert_int_equal(td.run->memory_fault.gpa, REL_GPA);
		assert_true(td.run->memory_fault.flags &
			    KVM_MEMORY_EXIT_FLAG_PRIVATE);
	}
	assert_int_equal(rel_set_attrs(td.vm, REL_GPA, 4096, true), 0);

	/* The page gets mapped PENDING; the access that follows kills the TD. */
	rel_watchdog(60, "KVM_RUN after an unaccepted access");
	errno = 0;
	assert_int_equal(tdxsim_ioctl(td.vcpu, KVM_RUN, 0), -1);
	assert_int_equal(errno, EIO);
	rel_watchdog(0, NULL);
	errno = 0;
	assert_int_equal(tdxsim_ioctl(td.vcpu, KVM_RUN, 0), -1);
	assert_int_equal(errno, EIO);
	rel_vm_stats(td.vm, &st);
	/* Killed by KVM's rule, not by the livelock detector. */
	assert_int_equal(st.vendor[TDXSIM_TDX_STAT_LIVELOCK], 0);
	assert_int_equal(st.vm_bugged, 0);
	rel_td_destroy(&td);
}

/* One memory-fault exit: the filter never arms. */
static void test_unaccepted_access_kills_td(void **state)
{
	run_unaccepted(1);
}

/* Six: the next violations arm the zero-step filter. */
static void test_unaccepted_access_kills_td_zero_step(void **state)
{
	run_unaccepted(6);
}

/* Many: the filter stays armed across them. */
static void test_unaccepted_access_kills_td_many_faults(void **state)
{
	run_unaccepted(40);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unaccepted_access_kills_td),
		cmocka_unit_test(test_unaccepted_access_kills_td_zero_step),
		cmocka_unit_test(test_unaccepted_access_kills_td_many_faults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
