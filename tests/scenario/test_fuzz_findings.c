// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What `tdxsim fuzz` found (docs/FINDINGS.md) as scripted interleavings: a
 * named wait point (tdxsim_sched_hold()) stops one task inside its window
 * and the module's counters say when another has done its part, so every
 * seed and strategy meets the window (no search reached F4's state: 0 of
 * 78 random and PCT seeds, none of the 9,789 schedules with at most one
 * preemption).
 *
 *   hp_timeout   F4: vCPU 0's TDG.MEM.PAGE.ACCEPT of GPA 0 (a FREE entry)
 *                is held with the entry locked; vCPU 1 touches GPA 0 and
 *                its fault's TDH.MEM.PAGE.AUG is BUSY on that lock, which
 *                sets HOST_PRIORITY; the memslot is deleted, which ends
 *                both vCPUs' faults, so no host call locks the entry again
 *                to clear it. With the slot back, vCPU 0's ACCEPT is
 *                answered BUSY until the module's host-priority timeout
 *                exits (TDX_HOST_PRIORITY_BUSY_TIMEOUT) and KVM stops the
 *                vCPU with KVM_EXIT_INTERNAL_ERROR, as upstream does;
 *                without the timeout the guest spins forever (livelock).
 *
 *   mirror_free  F6, under mirror_freeze=off (seed 004's before design):
 *                pre-fault A publishes the table under the root and waits
 *                at its TDH.MEM.SEPT.ADD ("seamcall"); pre-fault B steps
 *                into that table and waits at its first read there
 *                ("tdp_iter_read_l3"); A's SEPT.ADD answers BUSY
 *                (injected), A takes the SPTE back and frees the table,
 *                and waits at its retry's SEPT.ADD; B goes on in the table
 *                A took back. Freed at once, B's tdp_mmu_init_child_sp()
 *                reads a freed table: SIGSEGV. Freed after a grace period
 *                (the fix), B's TDH.MEM.SEPT.ADD meets the S-EPT without
 *                that table: KVM_BUG_ON, TDX_EPT_WALK_FAILED.
 *
 *   test_fuzz_findings [NAME...]   fuzz_test_main()
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fuzz_test.h"
#include "tdxsim/kvm_util.h"
#include "tdxsim/tdx.h"

#define ACCEPT_LOCKED	"tdg_mem_page_accept_locked"
#define MEM		(4ULL << 20)

/* One KVM_RUN of a vCPU: its errno (0) and exit. */
struct vcpu_run {
	struct td *td;
	unsigned int i;
	int err;
	uint32_t exit_reason;
	uint32_t suberror;
	uint64_t data0;
};

static int vcpu_run_once(void *arg)
{
	struct vcpu_run *v = arg;
	struct kvm_run *run = v->td->run[v->i];

	v->err = tdxsim_ioctl(v->td->vcpu[v->i], KVM_RUN, 0) < 0 ? errno : 0;
	v->exit_reason = run->exit_reason;
	if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR) {
		v->suberror = run->internal.suberror;
		v->data0 = run->internal.ndata ? run->internal.data[0] : 0;
	}
	return 0;
}

static uint64_t aug_busy(struct td *td)
{
	struct tdxsim_td_stats st;

	td_module_stats(td, &st);
	return st.busy[TDH_MEM_PAGE_AUG];
}

/*
 * Memslot @slot as the F4 script splits the RAM: slot 0 is GPA 0's page
 * alone, slot 1 the rest; @add false deletes it.
 */
static void hp_slot(struct td *td, unsigned int slot, bool add)
{
	uint64_t gpa = slot ? 0x1000 : 0;

	vm_set_user_memory_region2(td->vm, slot, KVM_MEM_GUEST_MEMFD, gpa,
				   !add ? 0 : slot ? td->memory - gpa : 0x1000,
				   (uint64_t)(uintptr_t)td->shared_map + gpa,
				   (uint32_t)td->gmem, gpa);
}

/* @run under seeds 1 to 10 of the random strategy and of PCT. */
static void each_seed(void (*run)(uint64_t seed,
				  enum tdxsim_sched_strategy strategy))
{
	uint64_t seed;

	for (seed = 1; seed <= 10; seed++) {
		run(seed, TDXSIM_STRATEGY_RANDOM);
		run(seed, TDXSIM_STRATEGY_PCT);
	}
}

/* --- F4 ------------------------------------------------------------------------ */

struct hp_script {
	struct td td;
	struct vcpu_run first[2];	/* vCPU 0 and 1 until the slot went */
	struct vcpu_run again;		/* vCPU 0 with the slot back */
	uint64_t aug_busy;
	int err;			/* a step of the script that failed */
};

static int hp_script(void *arg)
{
	struct hp_script *s = arg;
	struct tdxsim_thread *t0, *t1;

	s->err = tdxsim_sched_hold(ACCEPT_LOCKED);
	if (s->err)
		return -1;
	t0 = tdxsim_thread_create("vcpu0", vcpu_run_once, &s->first[0]);
	while (!tdxsim_sched_held(ACCEPT_LOCKED))
		tdxsim_cpu_relax();
	/* vCPU 0's ACCEPT holds GPA 0's entry: vCPU 1's AUG meets it. */
	t1 = tdxsim_thread_create("vcpu1", vcpu_run_once, &s->first[1]);
	while (!(s->aug_busy = aug_busy(&s->td)))
		tdxsim_cpu_relax();
	/* Both faults end: GPA 0 has no memslot. */
	hp_slot(&s->td, 0, false);
	tdxsim_thread_join(t1);
	tdxsim_sched_release(ACCEPT_LOCKED);
	tdxsim_thread_join(t0);
	/* The memory back; vCPU 0's guest retries its ACCEPT. */
	hp_slot(&s->td, 0, true);
	vcpu_run_once(&s->again);
	return 0;
}

static const char hp_program[] =
	"vcpu 0\naccept 0x0 4K level=4k\n"
	"vcpu 1\ntouch 0x0\n";

static void hp_run(uint64_t seed, enum tdxsim_sched_strategy strategy)
{
	struct tdxsim_sched_result res;
	struct hp_script s = { 0 };
	struct tdxsim_stats ks;
	struct td_opts o;
	unsigned int i;

	td_opts_init(&o);
	td_opts_set_kernel(&o, "next");
	o.memory = MEM;
	o.nr_vcpus = 2;
	o.program = hp_program;
	td_create(&s.td, &o);
	/*
	 * GPA 0 in a memslot of its own: deleting it zaps nothing mapped, so
	 * it needs no vCPU out of the guest (vCPU 0 waits in one).
	 */
	hp_slot(&s.td, 0, false);
	hp_slot(&s.td, 0, true);
	hp_slot(&s.td, 1, true);
	td_finalize(&s.td);
	/*
	 * A page beside GPA 0 (PENDING): its S-EPT table holds GPA 0's FREE
	 * entry, which an ACCEPT locks before it exits for the fault.
	 */
	td_prefault(&s.td, 0, 0x1000, 0x1000);
	for (i = 0; i < 2; i++)
		s.first[i] = (struct vcpu_run){ .td = &s.td, .i = i };
	s.again = s.first[0];

	res = run_deterministic(hp_script, &s, seed, strategy);
	assert_int_equal(s.err, 0);
	assert_int_equal(res.verdict, TDXSIM_VERDICT_OK);
	assert_true(s.aug_busy >= 1);
	/* Without a memslot both faults exit to the VMM. */
	for (i = 0; i < 2; i++) {
		assert_int_equal(s.first[i].err, EFAULT);
		assert_int_equal(s.first[i].exit_reason,
				 KVM_EXIT_MEMORY_FAULT);
	}
	/* The ACCEPT never got the entry: the timeout's exit, as upstream. */
	assert_int_equal(s.again.err, 0);
	assert_int_equal(s.again.exit_reason, KVM_EXIT_INTERNAL_ERROR);
	assert_int_equal(s.again.suberror,
			 KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON);
	assert_int_equal(s.again.data0, TDX_HOST_PRIORITY_BUSY_TIMEOUT);
	td_kvm_stats(&s.td, &ks);
	assert_int_equal(ks.vm_bugged, 0);
	td_destroy(&s.td);
}

static void test_hp_timeout(void **state)
{
	each_seed(hp_run);
}

/* --- F6 ------------------------------------------------------------------------ */

/* A KVM_PRE_FAULT_MEMORY of one page at @gpa on vCPU @i: 0 or -errno. */
struct prefault {
	struct td *td;
	unsigned int i;
	uint64_t gpa;
	int ret;
};

static int prefault_task(void *arg)
{
	struct prefault *p = arg;

	p->ret = __td_prefault(p->td, p->i, p->gpa, 0x1000);
	return 0;
}

struct mf_script {
	struct td td;
	struct prefault pf[2];
	int err;
};

static int mf_wait(const char *site)
{
	while (!tdxsim_sched_held(site))
		tdxsim_cpu_relax();
	return 0;
}

static int mf_script(void *arg)
{
	struct mf_script *s = arg;
	struct tdxsim_thread *a, *b;

	/* A's first SEAMCALL: TDH.MEM.SEPT.ADD of the table it published. */
	s->err = tdxsim_sched_hold("seamcall");
	if (s->err)
		return -1;
	a = tdxsim_thread_create("prefault0", prefault_task, &s->pf[0]);
	mf_wait("seamcall");
	/* B steps into A's table (level 3: the root's child) and waits. */
	s->err = tdxsim_sched_hold("tdp_iter_read_l3");
	if (s->err)
		return -1;
	b = tdxsim_thread_create("prefault1", prefault_task, &s->pf[1]);
	mf_wait("tdp_iter_read_l3");
	/*
	 * A's SEPT.ADD answers BUSY (injected): the SPTE is taken back and the
	 * table freed; A's retry publishes a new one and waits at its SEPT.ADD.
	 */
	tdxsim_sched_release("seamcall");
	s->err = tdxsim_sched_hold("seamcall");
	if (s->err)
		return -1;
	mf_wait("seamcall");
	/* B goes on inside the table A took back. */
	tdxsim_sched_release("tdp_iter_read_l3");
	tdxsim_thread_join(b);
	tdxsim_sched_release("seamcall");
	tdxsim_thread_join(a);
	return 0;
}

static void mf_run(uint64_t seed, enum tdxsim_sched_strategy strategy)
{
	struct tdxsim_inject_fault inj = {
		.leaf = TDH_MEM_SEPT_ADD,
		.nth = 1,
		.status = TDX_OPERAND_BUSY | TDX_OPERAND_ID_RCX,
	};
	struct tdxsim_sched_result res;
	struct tdxsim_vm_failure f;
	struct mf_script s = { 0 };
	struct td_opts o;
	unsigned int i;

	td_opts_init(&o);
	td_opts_set_kernel(&o, "next");
	o.design.mirror_freeze = 0;
	o.design.gmem_hugepages = 0;
	o.memory = MEM;
	o.nr_vcpus = 2;
	td_create(&s.td, &o);
	td_finalize(&s.td);
	/* The bugged VM keeps what the module still holds, as upstream. */
	s.td.allow_leak = true;
	for (i = 0; i < 2; i++)
		s.pf[i] = (struct prefault){ .td = &s.td, .i = i,
					     .gpa = i ? 0x200000 : 0 };
	assert_int_equal(tdxsim_ioctl(s.td.vm, TDXSIM_INJECT_FAULT, &inj), 0);

	res = run_deterministic(mf_script, &s, seed, strategy);
	assert_int_equal(s.err, 0);
	assert_int_equal(res.verdict, TDXSIM_VERDICT_OK);
	/* B met the S-EPT without the table it linked into: KVM_BUG_ON. */
	memset(&f, 0, sizeof(f));
	assert_int_equal(tdxsim_ioctl(s.td.vm, TDXSIM_GET_VM_FAILURE, &f), 0);
	assert_true(f.bugged);
	assert_int_equal(f.first_seamcall.leaf, TDH_MEM_SEPT_ADD);
	assert_int_equal(f.first_seamcall.status & TDX_SEAMCALL_STATUS_MASK,
			 TDX_EPT_WALK_FAILED);
	assert_int_equal(s.pf[1].ret, -EIO);
	td_destroy(&s.td);
}

static void test_mirror_free(void **state)
{
	each_seed(mf_run);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest all[] = {
		cmocka_unit_test(test_hp_timeout),
		cmocka_unit_test(test_mirror_free),
	};

	return fuzz_test_main(argc, argv, all, sizeof(all) / sizeof(all[0]));
}
