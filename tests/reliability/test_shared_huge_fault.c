// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Issue 12, item 6: a 2M shared fault over a 4K page table. One 4K page of
 * a 2M block is shared and mapped (a 4K table appears in the shared EPT),
 * then the whole block becomes shared and another of its pages is faulted:
 * the fault wants a 2M leaf where the table is. Upstream's
 * tdp_mmu_map_handle_target_level() replaces the table with the huge leaf;
 * retrying forever instead never completes.
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

#define SZ_2M	(2ULL << 20)

static void test_huge_shared_fault_over_table(void **state)
{
	char program[512];
	struct tdxsim_stats st;
	struct rel_td_opts o;
	struct rel_td td;

	/* The guest then writes and reads the block through the 2M leaf. */
	snprintf(program, sizeof(program),
		 "write shared %#llx 2M pattern=9\nread shared %#llx 2M\nhalt\n",
		 (unsigned long long)REL_GPA, (unsigned long long)REL_GPA);
	rel_td_opts_init(&o);
	o.gmem_flags = GUEST_MEMFD_FLAG_MMAP;
	o.hugepages = true;
	o.private_mem = true;
	o.finalize = true;
	o.program = program;
	rel_td_create(&td, &o);

	/* One shared 4K page, mapped at 4K: the block is mixed. */
	assert_int_equal(rel_set_attrs(td.vm, REL_GPA + 0x5000, 4096, false),
			 0);
	assert_int_equal(rel_pre_fault(td.vcpu, REL_GPA + 0x5000, 4096), 0);

	/* The whole block shared: another page of it wants a 2M leaf. */
	assert_int_equal(rel_set_attrs(td.vm, REL_GPA, SZ_2M, false), 0);
	rel_watchdog(60, "KVM_PRE_FAULT_MEMORY over a 4K table (2M wanted)");
	assert_int_equal(rel_pre_fault(td.vcpu, REL_GPA + 0x100000, 4096), 0);
	rel_watchdog(0, NULL);
	assert_int_equal(rel_check_invariants(td.vm), 0);

	rel_watchdog(60, "KVM_RUN with shared accesses over the block");
	assert_int_equal(tdxsim_ioctl(td.vcpu, KVM_RUN, 0), 0);
	rel_watchdog(0, NULL);
	assert_int_equal(td.run->exit_reason, KVM_EXIT_HLT);
	assert_true(tdxsim_guest_finished(td.guest));
	assert_int_equal(tdxsim_guest_data_failures(td.guest), 0);
	rel_vm_stats(td.vm, &st);
	assert_int_equal(st.vm_bugged, 0);
	rel_td_destroy(&td);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_huge_shared_fault_over_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
