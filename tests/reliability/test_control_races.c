// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Issue 12, item 11: tdxsim's read controls (TDXSIM_GET_TD_STATS,
 * TDXSIM_GET_MRTD, TDXSIM_CHECK_INVARIANTS) on a VM whose TD another
 * thread is building (KVM_TDX_INIT_VM, INIT_VCPU, INIT_MEM_REGION,
 * FINALIZE) read the TD's state under the VM-state lock those take, so
 * ThreadSanitizer sees no race (this test runs under `make tsan`), and
 * every answer is one a finished or unfinished build gives: 0 or EINVAL.
 */
#include "tdxsim/kvm.h"
#include "tdxsim/tdxsim.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "rel_util.h"

#define ROUNDS	40

struct poller {
	int vm;
	int stop;
	unsigned int calls;
	int bad_errno;		/* an answer other than 0 or EINVAL */
};

static void *poll_fn(void *arg)
{
	struct poller *p = arg;
	static char buf[4096];

	while (!__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE)) {
		struct tdxsim_td_stats ts;
		struct tdxsim_mrtd mrtd;
		struct tdxsim_check check = {
			.buf = (uint64_t)(uintptr_t)buf, .len = sizeof(buf),
		};

		if (tdxsim_ioctl(p->vm, TDXSIM_GET_TD_STATS, &ts) < 0 &&
		    errno != EINVAL)
			p->bad_errno = errno;
		if (tdxsim_ioctl(p->vm, TDXSIM_GET_MRTD, &mrtd) < 0 &&
		    errno != EINVAL)
			p->bad_errno = errno;
		if (tdxsim_ioctl(p->vm, TDXSIM_CHECK_INVARIANTS, &check) < 0 &&
		    errno != EINVAL)
			p->bad_errno = errno;
		p->calls++;
	}
	return NULL;
}

static void build_td(int kvm, int vm)
{
	struct kvm_userspace_memory_region2 region;
	struct kvm_create_guest_memfd gmem_args = { .size = 2ULL << 20 };
	struct kvm_tdx_init_mem_region init;
	struct kvm_tdx_init_vm *init_vm;
	static uint8_t src[4 * 4096] __attribute__((aligned(4096)));
	int gmem, vcpu;

	init_vm = calloc(1, sizeof(*init_vm) + sizeof(struct kvm_cpuid_entry2));
	assert_non_null(init_vm);
	init_vm->attributes = 1ULL << 28;
	init_vm->xfam = 0x3;
	init_vm->cpuid.nent = 1;
	init_vm->cpuid.entries[0].function = 0x80000008;
	init_vm->cpuid.entries[0].eax = (48 << 16) | 52;
	assert_int_equal(rel_tdx_op(vm, KVM_TDX_INIT_VM, 0, init_vm), 0);
	free(init_vm);

	gmem = tdxsim_ioctl(vm, KVM_CREATE_GUEST_MEMFD, &gmem_args);
	assert_true(gmem >= 0);
	memset(&region, 0, sizeof(region));
	region.flags = KVM_MEM_GUEST_MEMFD;
	region.guest_phys_addr = REL_GPA;
	region.memory_size = 2ULL << 20;
	region.guest_memfd = gmem;
	assert_int_equal(tdxsim_ioctl(vm, KVM_SET_USER_MEMORY_REGION2, &region),
			 0);
	assert_int_equal(rel_set_attrs(vm, REL_GPA, 2ULL << 20, true), 0);
	vcpu = tdxsim_ioctl(vm, KVM_CREATE_VCPU, 0);
	assert_true(vcpu >= 0);
	assert_int_equal(rel_tdx_op(vcpu, KVM_TDX_INIT_VCPU, 0, NULL), 0);
	init.source_addr = (uint64_t)(uintptr_t)src;
	init.gpa = REL_GPA;
	init.nr_pages = 4;
	assert_int_equal(rel_tdx_op(vcpu, KVM_TDX_INIT_MEM_REGION,
				    KVM_TDX_MEASURE_MEMORY_REGION, &init), 0);
	assert_int_equal(rel_tdx_op(vm, KVM_TDX_FINALIZE_VM, 0, NULL), 0);
	assert_int_equal(rel_pre_fault(vcpu, REL_GPA + 0x10000, 0x4000), 0);
	assert_int_equal(tdxsim_close(vcpu), 0);
	assert_int_equal(tdxsim_close(gmem), 0);
	(void)kvm;
}

static void test_controls_race_td_build(void **state)
{
	int kvm = rel_open_kvm();
	unsigned int round, calls = 0;

	for (round = 0; round < ROUNDS; round++) {
		struct poller p = { 0 };
		pthread_t t;

		p.vm = tdxsim_ioctl(kvm, KVM_CREATE_VM, KVM_X86_TDX_VM);
		assert_true(p.vm >= 0);
		assert_int_equal(pthread_create(&t, NULL, poll_fn, &p), 0);
		build_td(kvm, p.vm);
		__atomic_store_n(&p.stop, 1, __ATOMIC_RELEASE);
		assert_int_equal(pthread_join(t, NULL), 0);
		assert_int_equal(p.bad_errno, 0);
		assert_int_equal(rel_check_invariants(p.vm), 0);
		calls += p.calls;
		assert_int_equal(tdxsim_close(p.vm), 0);
	}
	print_message("# %u rounds, %u control calls during the builds\n",
		      ROUNDS, calls);
	assert_int_equal(tdxsim_close(kvm), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_controls_race_td_build),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
