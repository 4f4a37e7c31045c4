// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz programs with two TDs (tdxsim_fuzz_gen_config.tds = 2, `tdxsim
 * fuzz --tds 2`; docs/fuzz-programs.md "Two TDs"), through the public API:
 *
 *   same       one TD stays what it was: tds = 1 generates the very
 *              programs of the default configuration (the seeds tests and
 *              docs/FINDINGS.md cite), and no one-TD program names TD 1.
 *   format     two-TD programs are deterministic, every one declares TD 1
 *              and uses it, and their text round-trips through the parser;
 *              "td1" lines that name what TD 1 lacks are refused.
 *   run        TD 0's VMM exits (its VM destroyed in that task) while
 *              TD 1 is launched and runs a guest (next+dpamt, v6): clean,
 *              judged from data, the module owns no page of TD 0 after;
 *              TD 1's second INIT_VCPU is allowed its EINVAL from TD 1's
 *              own history; a vCPU task whose kvm_run an exit unmapped
 *              stops with EBADF (allowed: the exit closed its vCPU).
 *   exit_efault a prefault racing an exit that released its guest_memfd
 *              answers EFAULT, which is allowed (the first two-TD
 *              campaigns' only failure before the entry).
 *   exit_eio   a vCPU whose KVM_RUN answered EIO (the guest killed the
 *              VM) keeps that answer when an exit unmaps its kvm_run, so
 *              a pre-fault's EIO is judged against a dead VM.
 *   exit_run   and any other KVM_RUN answer there is the closed vCPU's
 *              EBADF (an EFAULT of a fault after the exit is not judged).
 *   shrink     a failure of TD 0 alone (seed 002's race) with TD 1 as
 *              noise shrinks to a one-TD program.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_test.h"

static void test_same(void **state)
{
	struct tdxsim_fuzz_gen_config a, b;
	uint64_t i;

	tdxsim_fuzz_gen_config_init(&a);
	tdxsim_fuzz_gen_config_init(&b);
	b.tds = 1;
	for (i = 0; i < 300; i++) {
		struct tdxsim_fuzz_program *p, *q;
		char *ta, *tb;

		assert_int_equal(tdxsim_fuzz_generate(&a, 5, i, &p), 0);
		assert_int_equal(tdxsim_fuzz_generate(&b, 5, i, &q), 0);
		ta = tdxsim_fuzz_format(p);
		tb = tdxsim_fuzz_format(q);
		assert_string_equal(ta, tb);
		assert_null(strstr(ta, "td1"));
		free(ta);
		free(tb);
		tdxsim_fuzz_free(p);
		tdxsim_fuzz_free(q);
	}
}

static void test_format(void **state)
{
	struct tdxsim_fuzz_gen_config gc;
	unsigned int own_task = 0, td0_teardown = 0, exits = 0;
	uint64_t i;

	tdxsim_fuzz_gen_config_init(&gc);
	gc.kernel = "next+dpamt";
	gc.tds = 2;
	for (i = 0; i < 300; i++) {
		char *a = fuzz_test_round_trip(&gc, 9, i);

		assert_non_null(strstr(a, "\ntd1 gmem 0 "));
		/* TD 1 is launched somewhere: the set-up or a task. */
		assert_non_null(strstr(a, "  td1 "));
		own_task += strstr(a, "\ntask vmm\n  td1 init-vcpu") != NULL;
		td0_teardown += strstr(a, "\n  exit\n") != NULL ||
				strstr(a, "  teardown ") != NULL ||
				strstr(a, "  close vm") != NULL;
		exits += strstr(a, "\n  exit\n") != NULL;
		free(a);
	}
	/* The races the second TD is for are drawn often. */
	assert_true(own_task > 30);
	assert_true(td0_teardown > 60);
	assert_true(exits > 30);

	fuzz_test_parse_fails("gmem 0 4M\nslot 0 gmem=0 gpa=0 size=4M\ntask vmm\n  td1 init-vcpu 0\n",
			      "TD 1's guest_memfd 0");
	fuzz_test_parse_fails("gmem 0 4M\ntd1 gmem 0 2M\ntask vmm\n  td1 init-vcpu 1\n",
			      "(TD 1)");
	fuzz_test_parse_fails("gmem 0 4M\ntd1 gmem 0 2M\ntd1 task vmm\n",
			      "bad:3:");
	fuzz_test_parse_fails("gmem 0 4M\ntd1 kernel next\ntask vmm\n  finalize\n",
			      NULL);
	fuzz_test_parse_fails("vcpus 2\ngmem 0 4M\ntd1 gmem 0 2M\ntask vcpu 1 td1\n  accept 0 4K\n",
			      "the TD has 1");
}

static const char run_prog[] =
	"kernel next+dpamt\n"
	"vcpus 1\n"
	"gmem 0 4M\n"
	"slot 0 gmem=0 gpa=0 size=4M\n"
	"td1 vcpus 1\n"
	"td1 gmem 0 2M\n"
	"td1 slot 0 gmem=0 gpa=0 size=2M\n"
	"schedule random 3\n"
	"setup\n"
	"  init-vcpu 0\n  attr private 0 4M\n  finalize\n"
	"  prefault 0 0x200000 64K\n"
	"task vmm\n"
	"  exit\n"
	"task vmm\n"
	"  td1 init-vcpu 0\n  td1 attr private 0 2M\n  td1 finalize\n"
	"  td1 init-vcpu 0\n"
	"task vcpu 0 td1\n"
	"  accept 0 64K level=4k\n  write 0 16K pattern=7\n  read 0 16K\n";

static void test_run(void **state)
{
	struct tdxsim_fuzz_program *p = fuzz_test_parse(run_prog);
	struct tdxsim_fuzz_outcome o;
	uint64_t seed;

	for (seed = 1; seed <= 12; seed++) {
		tdxsim_fuzz_set_schedule(p, seed & 1 ? TDXSIM_STRATEGY_RANDOM :
						       TDXSIM_STRATEGY_PCT,
					 seed, NULL);
		assert_int_equal(tdxsim_fuzz_run(p, &o), 0);
		if (o.failed || o.setup_error)
			fprintf(stderr, "# seed %llu: %s\n%s\n",
				(unsigned long long)seed, o.summary,
				o.report ? o.report : "");
		assert_false(o.setup_error);
		assert_false(o.failed);
		assert_int_equal(o.bad_errnos, 0);
		/* Both TDs' operations ran: 4 + 1 + 4 VMM, and the guest's. */
		assert_true(o.ops_done >= 9 + 3);
		assert_true(o.data_checked);
		assert_int_equal(o.data_failures, 0);
		assert_int_equal(o.pages_owned_after, 0);
		tdxsim_fuzz_outcome_free(&o);
	}
	tdxsim_fuzz_free(p);
}

/*
 * tdxsim fuzz --kernel next+dpamt --design dpamt_put=v3 --tds 2 --seed 1,
 * program 28, shrunk: TD 0's prefault runs while another task's exit
 * releases TD 0's guest_memfd, and answers EFAULT (kvm_gmem_get_pfn()
 * finds no file), which the allow-list did not have.
 */
static const char exit_efault_prog[] =
	"kernel next+dpamt\n"
	"design dpamt_put=v3\n"
	"vcpus 1\n"
	"gmem 0 8M\n"
	"slot 0 gmem=0 gpa=0x0 size=4M offset=0x0\n"
	"slot 1 gmem=0 gpa=0x400000 size=4M offset=0x400000\n"
	"td1 vcpus 2\n"
	"td1 gmem 0 4M\n"
	"td1 slot 0 gmem=0 gpa=0x0 size=4M offset=0x0\n"
	"schedule random 12481469656471279023\n"
	"setup\n"
	"  init-vcpu 0\n"
	"  attr private 0x0 8M\n"
	"  init-mem 0 0x0 3 measure\n"
	"  finalize\n"
	"task vmm\n"
	"  attr shared 0x0 8K\n"
	"  prefault 0 0x400000 8K\n"
	"  prefault 0 0x4f6000 4K\n"
	"task vmm\n"
	"  finalize\n"
	"task vmm\n"
	"  init-vcpu 0\n"
	"  alloc 0 0x2a3000 28K\n"
	"  prefault 0 0x1000 4K\n"
	"  exit\n"
	"task vmm\n"
	"  td1 init-vcpu 1\n"
	"  td1 attr private 0x0 4M\n"
	"  td1 finalize\n"
	"  td1 punch 0 0x375000 4K\n";

static void test_exit_efault(void **state)
{
	/* Its EFAULT is judged allowed (this fails without the entry). */
	fuzz_test_run_clean(exit_efault_prog);
}

/*
 * tdxsim fuzz --kernel next+dpamt --design dpamt_put=v3 --tds 2 --seed 2
 * --strategy pct, program 1458, shrunk to one TD: the guest touches an
 * unaccepted page (KVM kills the VM) while the VMM pre-faults and exits.
 * The pre-fault's EIO is allowed once the VM is dead, and the evidence is
 * the vCPU's own KVM_RUN -EIO, which the exit must not turn into EBADF.
 */
static const char exit_eio_prog[] =
	"kernel next+dpamt\n"
	"design dpamt_put=v3\n"
	"vcpus 2\n"
	"gmem 0 4M\n"
	"gmem 1 2M\n"
	"slot 0 gmem=0 gpa=0x0 size=4M offset=0x0\n"
	"schedule pct 11750603897030658295\n"
	"setup\n"
	"  init-vcpu 1\n"
	"  attr private 0x0 3M\n"
	"  finalize\n"
	"task vcpu 1\n"
	"  accept 0x200000 512K level=4k\n"
	"  touch 0x141000\n"
	"task vmm\n"
	"  prefault 1 0x2d000 4K\n"
	"  exit\n";

static void test_exit_eio(void **state)
{
	fuzz_test_run_clean(exit_eio_prog);
}

/*
 * tdxsim fuzz --kernel next+dpamt --tds 2 --seed 43, program 3, shrunk: a
 * vCPU's KVM_RUN answers EFAULT (its fault found the guest_memfd the exit
 * released) after the exit unmapped its kvm_run; only an EIO is kept
 * there, the rest is the closed vCPU's EBADF (c21fc83 kept any errno).
 */
static const char exit_run_prog[] =
	"kernel next+dpamt\n"
	"vcpus 3\n"
	"gmem 0 4M\n"
	"slot 0 gmem=0 gpa=0x0 size=4M offset=0x0\n"
	"schedule replay 27:2\n"
	"setup\n"
	"  init-vcpu 2\n"
	"task vmm\n"
	"  attr private 0x0 4M\n"
	"  finalize\n"
	"  exit\n"
	"task vcpu 2\n"
	"  read 0x3000 4K\n";

static void test_exit_run(void **state)
{
	fuzz_test_run_clean(exit_run_prog);
}

/* Seed 002's race (v6.18, vp_init_version=1) in TD 0; TD 1 as noise. */
static const char shrink_prog[] =
	"kernel v6.18\n"
	"design vp_init_version=1\n"
	"vcpus 2\n"
	"gmem 0 4M\n"
	"slot 0 gmem=0 gpa=0x0 size=4M offset=0x0\n"
	"td1 vcpus 1\n"
	"td1 gmem 0 2M\n"
	"td1 slot 0 gmem=0 gpa=0 size=2M\n"
	"schedule replay 22:2\n"
	"setup\n"
	"  td1 init-vcpu 0\n"
	"task vmm\n"
	"  init-vcpu 0\n"
	"task vmm\n"
	"  init-vcpu 1\n"
	"  td1 attr private 0 2M\n";

static void test_shrink(void **state)
{
	struct tdxsim_fuzz_program *p = fuzz_test_parse(shrink_prog);
	struct tdxsim_fuzz_explore_opts eo = { .preemptions = 1 };
	struct tdxsim_fuzz_explore_result er;
	struct tdxsim_fuzz_shrink_opts so = { .max_runs = 200, .reseeds = 0 };
	struct tdxsim_fuzz_shrink_result sr;
	char *text;

	/* Its schedule: the first failing one with one preemption. */
	assert_int_equal(tdxsim_fuzz_explore(p, &eo, &er), 0);
	assert_true(er.explore.failures > 0);
	assert_non_null(strstr(er.outcome.signature, "TDX_OPERAND_BUSY"));
	tdxsim_fuzz_set_schedule(p, TDXSIM_STRATEGY_REPLAY, 0,
				 er.explore.failing);
	assert_int_equal(tdxsim_fuzz_shrink(p, er.outcome.signature, &so,
					    NULL, NULL, &sr), 0);
	text = tdxsim_fuzz_format(sr.program);
	assert_null(strstr(text, "td1"));
	assert_non_null(strstr(text, "init-vcpu 0"));
	assert_non_null(strstr(text, "init-vcpu 1"));
	free(text);
	tdxsim_fuzz_shrink_result_free(&sr);
	tdxsim_fuzz_explore_result_free(&er);
	tdxsim_fuzz_free(p);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest all[] = {
		cmocka_unit_test(test_same),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_run),
		cmocka_unit_test(test_shrink),
		cmocka_unit_test(test_exit_efault),
		cmocka_unit_test(test_exit_eio),
		cmocka_unit_test(test_exit_run),
	};

	return fuzz_test_main(argc, argv, all, sizeof(all) / sizeof(all[0]));
}
