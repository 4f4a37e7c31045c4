// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Issue 12, item 11: KVM_PRE_FAULT_MEMORY on one vCPU while another vCPU's
 * guest gets the VM killed ("guest access before accepting": kvm_vm_dead,
 * no KVM bug). The pre-fault in flight finds the VM dead and answers EIO;
 * that is an outcome userspace can cause, so it may not WARN.
 */
#include "tdxsim/kvm.h"
#include "tdxsim/report.h"
#include "tdxsim/tdxsim.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "rel_util.h"

#define RAM_SIZE	(64ULL << 20)
#define TOUCH_GPA	(REL_GPA + RAM_SIZE - 4096)

struct prefaulter {
	int vcpu;
	unsigned int calls;	/* calls that mapped or found mapped */
	int last_errno;
	int started;
};

static void *prefault_fn(void *arg)
{
	struct prefaulter *p = arg;

	for (;;) {
		struct kvm_pre_fault_memory range = {
			.gpa = REL_GPA,
			.size = RAM_SIZE - 4096,
		};

		if (tdxsim_ioctl(p->vcpu, KVM_PRE_FAULT_MEMORY, &range) < 0) {
			p->last_errno = errno;
			if (errno != EINTR && errno != EAGAIN)
				break;
			continue;
		}
		p->calls++;
		__atomic_store_n(&p->started, 1, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&p->started, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void test_prefault_while_vm_dies(void **state)
{
	char program[128];
	unsigned long warnings;
	struct prefaulter p = { 0 };
	struct rel_td_opts o;
	struct rel_td td;
	pthread_t t;
	int vcpu1;

	snprintf(program, sizeof(program), "touch %#llx\n",
		 (unsigned long long)TOUCH_GPA);
	rel_td_opts_init(&o);
	o.size = RAM_SIZE;
	o.private_mem = true;
	o.program = program;
	rel_td_create(&td, &o);
	vcpu1 = tdxsim_ioctl(td.vm, KVM_CREATE_VCPU, 1);
	assert_true(vcpu1 >= 0);
	assert_int_equal(rel_tdx_op(vcpu1, KVM_TDX_INIT_VCPU, 0, NULL), 0);
	assert_int_equal(rel_tdx_op(td.vm, KVM_TDX_FINALIZE_VM, 0, NULL), 0);

	warnings = tdxsim_nr_warnings();
	p.vcpu = vcpu1;
	assert_int_equal(pthread_create(&t, NULL, prefault_fn, &p), 0);
	while (!__atomic_load_n(&p.started, __ATOMIC_ACQUIRE))
		;
	/* The guest touches an unaccepted page: the VM dies. */
	errno = 0;
	assert_int_equal(tdxsim_ioctl(td.vcpu, KVM_RUN, 0), -1);
	assert_int_equal(errno, EIO);
	assert_int_equal(pthread_join(t, NULL), 0);

	assert_int_equal(p.last_errno, EIO);
	print_message("# %u pre-fault calls before the VM died\n", p.calls);
	assert_int_equal(tdxsim_nr_warnings(), warnings);
	tdxsim_close(vcpu1);
	rel_td_destroy(&td);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefault_while_vm_dies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
