// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Concurrency of the TDP MMU's mirror root (seed 004) and of zaps against
 * running vCPUs:
 *  - two vCPUs fault 4K pages of the same, not yet linked 2M range; in
 *    deterministic mode over many seeds the upstream design
 *    (mirror_freeze=on) never meets a hook error, never bugs the VM, and
 *    the guests finish; the design without freezing (off) is shown to fail
 *    for some seed of the same loop (a 4K AUG under a 2M table the S-EPT
 *    does not have yet: TDX_EPT_WALK_FAILED);
 *  - the same on a 2M-capable TD, one vCPU accepting at 2M and one at 4K;
 *  - a host pre-fault of a 2M range racing the guest's first 4K accept
 *    there (the accept-level inhibit against the fault's level choice);
 *  - a hole-punching task (pre-fault, punch, again) beside running vCPUs,
 *    in deterministic mode over seeds and in free mode (the TSan stress of
 *    `make tsan`).
 * MMU_TEST_SEED=n replays one seed of the punch stress with the scheduler's
 * reports; MMU_TEST_SEEDS=n explores n seeds in every loop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/lockdep.h"
#include "base/log.h"
#include "kvm/tdx.h"
#include "testlib/kvm_util_internal.h"
#include "testlib/sched_util.h"

#define MB	(1ULL << 20)

#define NR_SEEDS	seeds(60)
/* The old design breaks in a few percent of the seeds. */
#define NR_SEEDS_OLD	seeds(200)

/* MMU_TEST_SEEDS=n explores n seeds per loop instead of the default. */
static u64 seeds(u64 dflt)
{
	const char *e = getenv("MMU_TEST_SEEDS");

	return e ? strtoull(e, NULL, 0) : dflt;
}

static const char *same_2m_program =
	"vcpu 0\n"
	"accept 0x200000 32K level=4k\n"
	"write 0x200000 32K pattern=1\n"
	"read 0x200000 32K\n"
	"vcpu 1\n"
	"accept 0x208000 32K level=4k\n"
	"write 0x208000 32K pattern=2\n"
	"read 0x208000 32K\n";

struct race_arg {
	struct td *td;
};

static int run_all_task(void *p)
{
	struct race_arg *a = p;

	td_run_all(a->td);
	return 0;
}

static int vcpu0_task(void *p)
{
	return __td_run_vcpu(p, 0);
}

/*
 * On a 2M-capable TD: vCPU 0 accepts the 2M range at 2M while vCPU 1
 * accepts 4K pages inside it. Whoever comes first, the other adapts: a 4K
 * accept under a 2M leaf splits it (DEMOTE), a 2M accept over 4K leaves
 * gets TDX_PAGE_SIZE_MISMATCH and falls back to 4K.
 */
static const char *same_2m_huge_program =
	"vcpu 0\n"
	"accept 0x200000 2M level=2m-fallback\n"
	"write 0x200000 64K pattern=1\n"
	"read 0x200000 64K\n"
	"vcpu 1\n"
	"accept 0x3f0000 16K level=4k\n"
	"write 0x3f0000 16K pattern=2\n"
	"read 0x3f0000 16K\n";

static bool same_2m_run(u32 mirror_freeze, bool huge, u64 seed,
			bool expect_clean);

/* Returns true if the run went wrong (a hook error or the VM bugged). */
static bool same_2m_one_seed(u32 mirror_freeze, u64 seed, bool expect_clean)
{
	return same_2m_run(mirror_freeze, false, seed, expect_clean);
}

static bool same_2m_run(u32 mirror_freeze, bool huge, u64 seed,
			bool expect_clean)
{
	struct sched_result res;
	struct race_arg a;
	struct tdxsim_td_stats ms;
	struct tdxsim_stats ks;
	struct td_opts o;
	struct td td;
	bool bad;

	td_opts_init(&o);
	o.nr_vcpus = 2;
	if (huge)
		td_opts_set_kernel(&o, "next+hugepage-rfc");
	o.design.mirror_freeze = mirror_freeze;
	o.program = huge ? same_2m_huge_program : same_2m_program;
	td_create(&td, &o);
	/* The image sits in the same GiB, so only the 2M table is missing. */
	td_populate(&td, 0x800000, 2, true, 1);
	td_finalize(&td);

	a.td = &td;
	res = sched_run_seed(run_all_task, &a, seed,
			     (seed & 1) ? SCHED_STRATEGY_PCT : SCHED_STRATEGY_RANDOM);
	assert_int_equal(res.verdict, SCHED_OK);

	td_kvm_stats(&td, &ks);
	bad = ks.vm_bugged != 0;
	if (!bad) {
		td_module_stats(&td, &ms);
		bad = ms.errors != 0;
	}
	if (expect_clean) {
		if (bad)
			print_error("seed %llu: hook error or VM bugged\n",
				    (unsigned long long)seed);
		assert_false(bad);
		assert_true(tdxsim_guest_finished(td.guest));
		assert_int_equal(tdxsim_guest_data_failures(td.guest), 0);
		if (!huge)
			assert_int_equal(td_seamcalls(&td, TDH_MEM_PAGE_AUG),
					 16);
		td_check(&td);
	}
	/* Even a bugged VM's teardown takes every page back (td_destroy). */
	td_destroy(&td);
	return bad;
}

static void test_same_2m_freeze_on(void **state)
{
	u64 seed;

	lockdep_set_quiet(true);
	for (seed = 1; seed <= NR_SEEDS; seed++)
		same_2m_one_seed(1, seed, true);
	lockdep_set_quiet(false);
}

static void test_same_2m_huge_freeze_on(void **state)
{
	u64 seed;

	lockdep_set_quiet(true);
	for (seed = 1; seed <= NR_SEEDS / 2; seed++)
		same_2m_run(1, true, seed, true);
	lockdep_set_quiet(false);
}

/* The old design: the same loop finds a seed that breaks it. */
static void test_same_2m_freeze_off_fails(void **state)
{
	unsigned int failures = 0;
	u64 seed;
	int level = log_get_console_level();

	lockdep_set_quiet(true);
	/* The broken runs print their KVM_BUG_ON reports: keep them quiet. */
	log_set_console_level(0);
	for (seed = 1; seed <= NR_SEEDS_OLD; seed++)
		failures += same_2m_one_seed(0, seed, false);
	log_set_console_level(level);
	lockdep_set_quiet(false);
	print_message("# mirror_freeze=off: %u of %llu seeds broke the VM\n",
		      failures, (unsigned long long)NR_SEEDS_OLD);
	assert_true(failures > 0);
}

/*
 * A host pre-fault of a 2M range races the guest's first 4K accept there
 * (2M-capable TD). The accept-level exit sets the inhibit bit under the
 * write mmu_lock; the pre-fault must pick its level under the read lock
 * (kvm_mmu_hugepage_adjust inside kvm_tdp_mmu_map), or it can install a
 * 2M leaf after the inhibit, which the 4K fault then meets (KVM_BUG_ON).
 */
static const char *inhibit_program =
	"vcpu 0\n"
	"accept 0x800000 16K level=4k\n"
	"write 0x800000 16K pattern=1\n"
	"read 0x800000 16K\n"
	"vcpu 1\n"
	"halt\n";

struct prefault_arg {
	struct td *td;
};

static int prefault_task(void *p)
{
	struct prefault_arg *a = p;

	td_prefault(a->td, 1, 0x800000, 2 * MB);
	return 0;
}

static int inhibit_race_task(void *p)
{
	struct prefault_arg *a = p;
	struct task *t0, *t1;

	t0 = task_create("vcpu0", vcpu0_task, a->td);
	t1 = task_create("prefault", prefault_task, a);
	task_join(t0);
	task_join(t1);
	return 0;
}

static void test_inhibit_vs_prefault(void **state)
{
	u64 seed;

	for (seed = 1; seed <= NR_SEEDS; seed++) {
		struct tdxsim_guest_vcpu_status vs;
		struct prefault_arg a;
		struct sched_result res;
		struct tdxsim_stats ks;
		struct td_opts o;
		struct td td;

		td_opts_init(&o);
		o.nr_vcpus = 2;
		td_opts_set_kernel(&o, "next+hugepage-rfc");
		o.program = inhibit_program;
		td_create(&td, &o);
		td_populate(&td, 0, 2, true, 1);
		td_finalize(&td);
		a.td = &td;
		res = sched_run_seed(inhibit_race_task, &a, seed,
				     (seed & 1) ? SCHED_STRATEGY_PCT :
						  SCHED_STRATEGY_RANDOM);
		assert_int_equal(res.verdict, SCHED_OK);
		td_kvm_stats(&td, &ks);
		if (ks.vm_bugged)
			print_error("seed %llu: VM bugged\n",
				    (unsigned long long)seed);
		assert_int_equal(ks.vm_bugged, 0);
		/* vCPU 1 only serves the pre-fault: vCPU 0 must finish. */
		assert_int_equal(td.last_exit[0], KVM_EXIT_HLT);
		assert_int_equal(tdxsim_guest_vcpu_status(td.guest, 0, &vs), 0);
		assert_true(vs.halted && !vs.failed);
		assert_int_equal(tdxsim_guest_data_failures(td.guest), 0);
		td_check(&td);
		td_destroy(&td);
	}
}

/* --- punching beside running vCPUs ------------------------------------------------ */

/*
 * vCPUs 0 and 1 work in [4M, 12M); vCPU 2 accepts [12M, 16M) at 4K while
 * the puncher pre-faults (through vCPU 3, which never runs) and punches
 * that range under it, so the zaps' BLOCK/TRACK/REMOVE meet the guest's
 * accepts in the module (TDX_OPERAND_BUSY, the no-vCPU retry).
 */
static const char *stress_program =
	"vcpu 0\n"
	"accept 0x400000 4M level=2m-fallback\n"
	"write 0x400000 4M pattern=1\n"
	"read 0x400000 4M\n"
	"mapgpa shared 0x400000 64K\n"
	"write shared 0x400000 64K pattern=3\n"
	"mapgpa private 0x400000 64K\n"
	"accept 0x400000 64K level=4k\n"
	"read 0x400000 4M\n"
	"vcpu 1\n"
	"accept 0x800000 4M level=4k\n"
	"write 0x800000 4M pattern=2\n"
	"read 0x800000 4M\n"
	"vcpu 2\n"
	"accept 0xc00000 4M level=4k\n"
	"vcpu 3\n"
	"halt\n";

struct punch_arg {
	struct td *td;
	unsigned int rounds;
};

/* Pre-fault [12M, 16M) through vCPU 3, then punch parts of it. */
static int puncher(void *p)
{
	struct punch_arg *a = p;
	unsigned int i;

	for (i = 0; i < a->rounds; i++) {
		u64 off = 12 * MB + (i % 4) * MB;

		td_prefault(a->td, 3, off, MB);
		td_punch(a->td, off + (i % 3) * 64 * 1024,
			 512 * 1024);
		sched_point();
	}
	return 0;
}

struct stress_arg {
	struct td *td;
	unsigned int rounds;
};

static int vcpu1_task(void *p)
{
	return __td_run_vcpu(p, 1);
}

static int vcpu2_task(void *p)
{
	return __td_run_vcpu(p, 2);
}

static int stress_task(void *p)
{
	struct stress_arg *s = p;
	struct punch_arg pa = { .td = s->td, .rounds = s->rounds };
	struct task *t0, *t1, *t2, *tp;

	t0 = task_create("vcpu0", vcpu0_task, s->td);
	t1 = task_create("vcpu1", vcpu1_task, s->td);
	t2 = task_create("vcpu2", vcpu2_task, s->td);
	tp = task_create("puncher", puncher, &pa);
	task_join(tp);
	task_join(t0);
	task_join(t1);
	task_join(t2);
	return 0;
}

static u64 stress_no_vcpus_retries;

static void stress_check(struct td *td)
{
	struct tdxsim_stats ks;
	struct tdxsim_td_stats ms;

	td_kvm_stats(td, &ks);
	stress_no_vcpus_retries += ks.vendor[TDXSIM_TDX_STAT_NO_VCPUS_RETRY];
	assert_int_equal(ks.vm_bugged, 0);
	td_module_stats(td, &ms);
	assert_int_equal(ms.errors, 0);
	assert_int_equal(td->last_exit[0], KVM_EXIT_HLT);
	assert_int_equal(td->last_exit[1], KVM_EXIT_HLT);
	assert_int_equal(td->last_exit[2], KVM_EXIT_HLT);
	assert_true(ks.punch_holes > 0);
	assert_int_equal(tdxsim_guest_data_failures(td->guest), 0);
	td_check(td);
}

static void stress_build(struct td *td, bool huge)
{
	struct td_opts o;

	td_opts_init(&o);
	o.nr_vcpus = 4;
	if (huge)
		td_opts_set_kernel(&o, "next+hugepage-rfc");
	o.program = stress_program;
	td_create(td, &o);
	td_populate(td, 0, 4, true, 1);
	td_finalize(td);
}

static void test_punch_stress_deterministic(void **state)
{
	u64 seed;

	for (seed = 1; seed <= seeds(12); seed++) {
		struct stress_arg s = { .rounds = 6 };
		struct sched_result res;
		struct td td;

		stress_build(&td, seed & 1);
		/*
		 * MMU_TEST_SEED=n replays one seed with the scheduler's reports
		 * (TDXSIM_TEST_VERBOSE=1 shows them for every seed).
		 */
		if (getenv("MMU_TEST_SEED") &&
		    seed != strtoull(getenv("MMU_TEST_SEED"), NULL, 0)) {
			td_destroy(&td);
			continue;
		}
		if (getenv("MMU_TEST_SEED"))
			setenv("TDXSIM_TEST_VERBOSE", "1", 0);
		s.td = &td;
		res = sched_run_seed(stress_task, &s, seed,
				     (seed & 2) ? SCHED_STRATEGY_PCT :
						  SCHED_STRATEGY_RANDOM);
		if (res.verdict != SCHED_OK)
			print_error("seed %llu: %s (replay: MMU_TEST_SEED=%llu)\n",
				    (unsigned long long)seed,
				    sched_verdict_name(res.verdict),
				    (unsigned long long)seed);
		assert_int_equal(res.verdict, SCHED_OK);
		stress_check(&td);
		td_destroy(&td);
	}
	/* How often a zap met BUSY and retried with the vCPUs out. */
	print_message("# no-vCPU retries over the seeds: %llu\n",
		      (unsigned long long)stress_no_vcpus_retries);
}

/* Free mode: real threads (the TSan run). */
static void test_punch_stress_free(void **state)
{
	int huge;

	for (huge = 0; huge <= 1; huge++) {
		struct stress_arg s = { .rounds = 40 };
		struct td td;

		stress_build(&td, huge);
		s.td = &td;
		stress_task(&s);
		stress_check(&td);
		td_destroy(&td);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_2m_freeze_on),
		cmocka_unit_test(test_same_2m_huge_freeze_on),
		cmocka_unit_test(test_same_2m_freeze_off_fails),
		cmocka_unit_test(test_inhibit_vs_prefault),
		cmocka_unit_test(test_punch_stress_deterministic),
		cmocka_unit_test(test_punch_stress_free),
	};

	/* MMU_TEST_FILTER=pattern runs only the matching tests. */
	if (getenv("MMU_TEST_FILTER"))
		cmocka_set_test_filter(getenv("MMU_TEST_FILTER"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
