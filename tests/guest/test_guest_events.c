// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What stops or interrupts the guest model on the whole stack
 * (guest_stack.h): touching memory before accepting it kills the TD
 * (SEPT_VE_DISABLE) or is served by the #VE handler; an unexpected answer
 * stops the vCPU with a message naming the operation; interrupts posted
 * with KVM_SIGNAL_MSI interrupt guest operations, which re-execute, and a
 * TDVMCALL's answer survives them; KVM_SIGNAL_MSI's own answers; and a
 * host that claims a conversion it did not make is caught by the guest's
 * record. test_guest_module.c has the workloads.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "guest_stack.h"
#include "ulib/strbuf.h"

/*
 * MSIs while the guests run: every interrupted operation re-executes (a
 * 2M accept resumes at its accept counter) and the data still checks out.
 */
static void test_interrupt_storm(void **state)
{
	static const char *const workloads[] = {
		"lazy-accept", "convert-churn", "random",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(workloads); i++) {
		struct tdxsim_guest_model *g = gs_workload(workloads[i], 2,
			TDXSIM_ACCEPT_2M_FALLBACK, 1);
		struct gs_cfg c = { .nr_vcpus = 2, .kernel = HUGE,
				    .deterministic = true, .seed = 11 + i,
				    .msi_storm = 3000 };
		struct tdxsim_guest_stats st;
		struct gs_result res;

		gs_run_clean(&c, g, &res, &st);
		assert_true(res.msis > 0);
		assert_true(res.interrupt_exits > 0);
		/*
		 * A TDVMCALL's answer survives an interrupt exit before the
		 * guest runs again: each MapGPA completes once for the guest.
		 */
		assert_int_equal(res.kvm.vendor[TDXSIM_TDX_STAT_MAP_GPA],
				 res.mapgpa_exits);
		tdxsim_guest_destroy(g);
	}
}

/* "Guest access before accepting": with SEPT_VE_DISABLE the TD dies. */
static void test_touch_without_accept_kills(void **state)
{
	struct tdxsim_guest_model *g = gs_program(
		"accept 0x800000 4K\n"
		"write 0x800000 4K\n"
		"touch 0x801000\n"
		"write 0x801000 4K\n", 1);
	struct gs_cfg c = { .nr_vcpus = 1 };
	struct tdxsim_guest_vcpu_status vs;
	struct tdxsim_guest_stats st;
	struct gs_result res;

	gs_run(&c, g, &res);
	assert_true(res.vm_dead);
	assert_int_equal(res.run_err, -EIO);
	assert_false(tdxsim_guest_finished(g));
	assert_int_equal(tdxsim_guest_vcpu_status(g, 0, &vs), 0);
	assert_false(vs.halted);
	assert_int_equal(vs.pc, 2);
	assert_int_equal(vs.line, 3);
	assert_string_equal(vs.op, "touch 0x801000");
	tdxsim_guest_get_stats(g, 0, &st);
	assert_int_equal(st.touches, 0);
	tdxsim_guest_destroy(g);
}

/* Without SEPT_VE_DISABLE: #VE, the handler accepts 4K under a 2M map. */
static void test_touch_with_ve_handler(void **state)
{
	struct tdxsim_guest_model *g = gs_program(
		"touch 0xa00000\n"
		"write 0xa00000 8K\n"
		"read 0xa00000 8K\n", 1);
	struct gs_cfg c = { .nr_vcpus = 1, .kernel = HUGE,
			    .no_sept_ve_disable = true };
	struct tdxsim_guest_stats st;
	struct gs_result res;

	gs_run_clean(&c, g, &res, &st);
	assert_int_equal(st.ve_accepts, 2);	/* one per page touched */
	assert_int_equal(res.splits, 1);	/* the touch mapped 2M PENDING */
	assert_int_equal(st.touches, 1);
	assert_int_equal(st.bytes_verified, 3 * PAGE_SIZE);
	tdxsim_guest_destroy(g);
}

/* Unexpected answers stop the vCPU with a message naming the operation. */
static void test_errors_stop_the_vcpu(void **state)
{
	static const struct {
		const char *text;
		unsigned int line;
		const char *words;
	} cases[] = {
		{ "accept 0x400000 4K level=4k\naccept 0x400000 2M level=2m\n",
		  2, "TDX_PAGE_SIZE_MISMATCH" },
		{ "write 0x1000000000000 4K\n",		/* beyond GPAW 48 */
		  1, "Invalid argument" },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct tdxsim_guest_model *g = gs_program(cases[i].text, 1);
		struct gs_cfg c = { .nr_vcpus = 1, .kernel = HUGE };
		struct tdxsim_guest_vcpu_status vs;
		struct tdxsim_guest_stats st;
		struct gs_result res;
		const char *msg;

		gs_run(&c, g, &res);
		assert_int_equal(res.run_err, 0);
		assert_int_equal(res.halted, 1);	/* it halted, failed */
		assert_false(tdxsim_guest_finished(g));
		assert_int_equal(tdxsim_guest_vcpu_status(g, 0, &vs), 0);
		assert_true(vs.halted && vs.failed);
		assert_int_equal(vs.line, cases[i].line);
		tdxsim_guest_get_stats(g, 0, &st);
		assert_int_equal(st.errors, 1);
		msg = tdxsim_guest_message(g, 0);
		assert_non_null(msg);
		if (!strstr(msg, cases[i].words))
			fail_msg("case %u: '%s' lacks '%s'", i, msg,
				 cases[i].words);
		tdxsim_guest_destroy(g);
	}
}

/* The #VE path is restartable too: interrupts while touching pages. */
static void test_ve_handler_interrupted(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct tdxsim_guest_model *g;
	struct gs_cfg c = { .nr_vcpus = 1, .kernel = HUGE,
			    .no_sept_ve_disable = true,
			    .deterministic = true, .seed = 3,
			    .msi_storm = 400 };
	struct tdxsim_guest_stats st;
	struct gs_result res;
	unsigned int i;

	for (i = 0; i < 32; i++)
		sb_printf(&sb, "touch 0x%x\n", 0xa00000 + i * 0x11000);
	sb_printf(&sb, "write 0xa00000 4M\nread 0xa00000 4M\n");
	g = gs_program(sb_str(&sb), 1);
	sb_free(&sb);
	gs_run_clean(&c, g, &res, &st);
	assert_int_equal(st.touches, 32);
	/* Every page of the two blocks was accepted by the handler once. */
	assert_int_equal(st.ve_accepts, 1024);
	assert_int_equal(res.splits, 2);
	assert_true(res.interrupt_exits > 0);
	tdxsim_guest_destroy(g);
}

/* An MSI right after the MapGPA exit: the TDVMCALL's answer survives it. */
static void test_vmcall_result_survives_interrupt(void **state)
{
	struct tdxsim_guest_model *g = gs_program(
		"accept 0x400000 2M\n"
		"mapgpa shared 0x400000 1M\n"
		"mapgpa private 0x400000 1M\n"
		"accept 0x400000 1M\n"
		"read 0x400000 2M\n", 1);
	struct gs_cfg c = { .nr_vcpus = 1, .msi_after_mapgpa = true };
	struct tdxsim_guest_stats st;
	struct gs_result res;

	gs_run_clean(&c, g, &res, &st);
	assert_int_equal(res.msis, 1);
	assert_int_equal(st.mapgpa, 2);
	assert_int_equal(res.mapgpa_exits, 2);
	tdxsim_guest_destroy(g);
}

/*
 * The record catches a VMM that claims conversions it did not make: the
 * pages stay private and accepted across "shared and back", and the
 * guest, which expects them zeroed after its new accept, reads its data.
 */
static void test_leak_detected(void **state)
{
	struct tdxsim_guest_model *g = gs_program(
		"accept 0x400000 16K\n"
		"write 0x400000 16K pattern=77\n"
		"mapgpa shared 0x400000 16K\n"
		"mapgpa private 0x400000 16K\n"
		"accept 0x400000 16K\n"
		"read 0x400000 16K\n", 1);
	struct gs_cfg c = { .nr_vcpus = 1, .lying_host = true };
	struct tdxsim_guest_stats st;
	struct gs_result res;
	const char *msg;

	gs_run(&c, g, &res);
	assert_int_equal(res.run_err, 0);
	assert_false(res.vm_dead);
	tdxsim_guest_get_stats(g, 0, &st);
	assert_int_equal(st.already_accepted, 4);
	assert_int_equal(st.data_failures, 4);
	assert_int_equal(tdxsim_guest_data_failures(g), 4);
	assert_int_equal(tdxsim_guest_nr_messages(g), 4);
	msg = tdxsim_guest_message(g, 0);
	assert_non_null(strstr(msg, "GPA 0x400000"));
	assert_non_null(strstr(msg, "expected zero"));
	assert_non_null(strstr(msg, "line 6"));
	assert_null(tdxsim_guest_message(g, 4));
	/* It still ran to the end: a data failure does not stop the vCPU. */
	assert_true(tdxsim_guest_finished(g));
	tdxsim_guest_destroy(g);
}

/* KVM_SIGNAL_MSI's answers: the vCPUs reached, or EINVAL. */
static void test_signal_msi(void **state)
{
	struct kvm_msi msi = { .address_lo = 0xfee00000u, .data = 0x30 };
	struct td_opts o;
	struct td td;

	td_opts_init(&o);
	o.nr_vcpus = 2;
	td_create(&td, &o);
	assert_int_equal(tdxsim_ioctl(td.vm, KVM_SIGNAL_MSI, &msi), 1);
	msi.address_lo = 0xfee00000u | (1u << 12);
	assert_int_equal(tdxsim_ioctl(td.vm, KVM_SIGNAL_MSI, &msi), 1);
	/* No vCPU with x2APIC ID 7; all of them. */
	msi.address_lo = 0xfee00000u | (7u << 12);
	assert_int_equal(tdxsim_ioctl(td.vm, KVM_SIGNAL_MSI, &msi), 0);
	msi.address_lo = 0xfee00000u | (0xffu << 12);
	msi.address_hi = 0xffffff00u;
	assert_int_equal(tdxsim_ioctl(td.vm, KVM_SIGNAL_MSI, &msi), 2);
	/* Flags other than KVM_MSI_VALID_DEVID. */
	msi.flags = 2;
	errno = 0;
	assert_int_equal(tdxsim_ioctl(td.vm, KVM_SIGNAL_MSI, &msi), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(tdxsim_ioctl(td.vm, KVM_SIGNAL_MSI, (void *)8), -1);
	assert_int_equal(errno, EFAULT);
	td_destroy(&td);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interrupt_storm),
		cmocka_unit_test(test_touch_without_accept_kills),
		cmocka_unit_test(test_touch_with_ve_handler),
		cmocka_unit_test(test_ve_handler_interrupted),
		cmocka_unit_test(test_errors_stop_the_vcpu),
		cmocka_unit_test(test_vmcall_result_survives_interrupt),
		cmocka_unit_test(test_leak_detected),
		cmocka_unit_test(test_signal_msi),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
