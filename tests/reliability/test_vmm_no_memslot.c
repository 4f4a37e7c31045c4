// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Issue 12, item 10 (second bullet): a guest that accepts a GPA beyond its
 * RAM (`accept 0x10000000 4K` with 32 MiB). KVM answers the fault with a
 * memory-fault exit for a GPA no memslot covers; the VMM converting it and
 * re-entering loops forever. QEMU fails the vCPU instead (it cannot convert
 * memory it did not assign): so must tdxsim's VMM.
 */
#include "tdxsim/kvm.h"
#include "tdxsim/tdxsim.h"
#include "tdxsim/vmm.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "rel_util.h"

static void run_program(const char *program, struct tdxsim_vmm_result *res)
{
	struct tdxsim_vmm_config cfg;

	tdxsim_vmm_config_init(&cfg);
	cfg.memory = 32ULL << 20;
	cfg.program = program;
	cfg.program_name = "rel";
	cfg.quiet = true;
	memset(res, 0, sizeof(*res));
	rel_watchdog(120, program);
	assert_int_equal(tdxsim_vmm_launch(&cfg, true, res), 1);
	rel_watchdog(0, NULL);
}

/* A private GPA beyond RAM: the vCPU fails with EFAULT on the exit. */
static void test_accept_beyond_ram_fails_vcpu(void **state)
{
	struct tdxsim_vmm_result res;

	run_program("accept 0x10000000 4K\n", &res);
	assert_int_equal(res.vcpu[0].last_errno, EFAULT);
	assert_int_equal(res.vcpu[0].last_exit, KVM_EXIT_MEMORY_FAULT);
	assert_false(res.guest_finished);
	assert_non_null(strstr(res.error, "0x10000000"));
	assert_int_equal(res.pages_owned_after, 0);
	tdxsim_vmm_result_free(&res);
}

/* The same through the shared alias. */
static void test_shared_write_beyond_ram_fails_vcpu(void **state)
{
	struct tdxsim_vmm_result res;

	run_program("write shared 0x10000000 4K pattern=1\n", &res);
	assert_false(res.guest_finished);
	assert_int_equal(res.pages_owned_after, 0);
	tdxsim_vmm_result_free(&res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accept_beyond_ram_fails_vcpu),
		cmocka_unit_test(test_shared_write_beyond_ram_fails_vcpu),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
