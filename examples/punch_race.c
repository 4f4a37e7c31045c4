// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A new scenario against the installed test library (docs/test-library.md):
 * vCPU 0 accepts 1 MiB of private memory page by page (each accept is a
 * private fault: EPT violation, TDH.MEM.PAGE.AUG) while the VMM punches a
 * hole across the pages being faulted in, under the deterministic scheduler
 * with a seed. Whatever the interleaving, KVM must not bug the VM, the guest
 * must halt, and KVM's and the module's views must agree.
 *
 *   cc punch_race.c $(pkg-config --cflags --libs tdxsim-testutil)
 *   ./a.out [SEED]
 */
#include <stdio.h>
#include <stdlib.h>

#include "tdxsim/kvm_util.h"

static const char *program =
	"vcpu 0\n"
	"accept 0x200000 1M level=4k\n";

static int vcpu0(void *td)
{
	return __td_run_vcpu(td, 0);
}

/* Once the guest has faulted in 96 pages, punch pages 64..127 under it. */
static int vmm(void *td)
{
	struct tdxsim_stats st;

	do {
		tdxsim_cpu_relax();
		td_kvm_stats(td, &st);
	} while (st.faults < 96);
	return __td_punch(td, 0x240000, 0x40000);
}

static int race(void *td)
{
	struct tdxsim_thread *a = tdxsim_thread_create("vcpu0", vcpu0, td);
	struct tdxsim_thread *b = tdxsim_thread_create("vmm", vmm, td);
	int ra, rb;

	TEST_ASSERT(a && b, "tdxsim_thread_create: %s", errno_name(errno));
	ra = tdxsim_thread_join(a);
	rb = tdxsim_thread_join(b);
	TEST_ASSERT_OK(ra, "KVM_RUN");
	TEST_ASSERT_OK(rb, "fallocate(PUNCH_HOLE)");
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) : 1;
	struct tdxsim_sched_result res;
	struct tdxsim_stats st;
	struct td_opts o;
	struct td td;

	td_opts_init(&o);
	o.memory = 4 << 20;
	o.program = program;
	td_create(&td, &o);
	td_finalize(&td);

	res = run_deterministic(race, &td, seed, TDXSIM_STRATEGY_RANDOM);
	TEST_ASSERT(res.verdict == TDXSIM_VERDICT_OK, "verdict %s",
		    tdxsim_verdict_name(res.verdict));
	TEST_ASSERT(td.last_exit[0] == KVM_EXIT_HLT, "vCPU 0 exit %u",
		    td.last_exit[0]);
	td_kvm_stats(&td, &st);
	TEST_ASSERT(!st.vm_bugged && st.punch_holes == 1, "bugged %u, punches %llu",
		    (unsigned int)st.vm_bugged, (unsigned long long)st.punch_holes);
	td_check(&td);
	td_destroy(&td);
	printf("seed %llu: %llu schedule points, the guest halted, invariants hold\n",
	       (unsigned long long)seed, (unsigned long long)res.steps);
	return 0;
}
