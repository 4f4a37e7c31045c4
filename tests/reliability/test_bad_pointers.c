// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Issue 12, item 7: every ioctl that copies a structure (or a buffer a
 * structure points to) from or to the VMM answers EFAULT for an unmapped
 * pointer, a kernel-half pointer and, where it writes, a read-only one,
 * as Linux does, and the process lives on. The old copy helpers memcpy'd
 * and the VMM died with SIGSEGV.
 */
#include "tdxsim/kvm.h"
#include "tdxsim/tdxsim.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "rel_util.h"

#define KERNEL_PTR	((void *)0xffff888000001000ULL)

static void *unmapped;		/* an address where nothing is mapped */
static void *noaccess;		/* a PROT_NONE page (a guard page) */
static void *readonly;		/* a zeroed read-only page */

/* A page-aligned user address with nothing mapped (mincore: ENOMEM). */
static void *find_unmapped(void)
{
	unsigned char vec;
	int shift;

	/* Far from the heap, the stack and mmaps (and a sanitizer's shadow). */
	for (shift = 46; shift >= 40; shift--) {
		void *p = (void *)((1ULL << shift) + (3ULL << 30));

		if (mincore(p, 4096, &vec) < 0 && errno == ENOMEM)
			return p;
	}
	return NULL;
}

static int setup(void **state)
{
	unmapped = find_unmapped();
	if (!unmapped)
		return -1;
	noaccess = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);
	readonly = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);
	return noaccess == MAP_FAILED || readonly == MAP_FAILED ? -1 : 0;
}

/*
 * Bad pointer number @i: the first page, unmapped, inaccessible, the
 * kernel half; for ioctls that write their argument also a read-only page.
 */
#define NR_BAD_IN	4
#define NR_BAD_OUT	5

static void *bad_ptr(int i)
{
	switch (i) {
	case 0:
		return (void *)0x10;
	case 1:
		return unmapped;
	case 2:
		return noaccess;
	case 3:
		return KERNEL_PTR;
	default:
		return readonly;
	}
}

/* @req on @fd with each bad pointer: -1/EFAULT every time. */
static void expect_efault(int fd, unsigned long req, bool writes,
			  const char *name)
{
	int i, n = writes ? NR_BAD_OUT : NR_BAD_IN;

	for (i = 0; i < n; i++) {
		errno = 0;
		if (tdxsim_ioctl(fd, req, bad_ptr(i)) != -1 || errno != EFAULT) {
			print_message("# %s with pointer %p: errno %d, not EFAULT\n",
				      name, bad_ptr(i), errno);
			fail();
		}
	}
}

/* KVM_MEMORY_ENCRYPT_OP whose command's data pointer is bad. */
static void expect_tdx_efault(int fd, unsigned int id, bool writes,
			      const char *name)
{
	int i, n = writes ? NR_BAD_OUT : NR_BAD_IN;

	for (i = 0; i < n; i++) {
		errno = 0;
		if (rel_tdx_op(fd, id, 0, bad_ptr(i)) != -1 || errno != EFAULT) {
			print_message("# %s with data %p: errno %d, not EFAULT\n",
				      name, bad_ptr(i), errno);
			fail();
		}
	}
}

static void test_system_fd(void **state)
{
	int kvm = rel_open_kvm();

	expect_efault(kvm, TDXSIM_GET_MODULE_STATS, true,
		      "TDXSIM_GET_MODULE_STATS");
	expect_efault(kvm, TDXSIM_GET_HOST_MEMORY, true,
		      "TDXSIM_GET_HOST_MEMORY");
	assert_int_equal(tdxsim_close(kvm), 0);
}

static void test_vm_fd_before_init(void **state)
{
	int kvm = rel_open_kvm();
	int vm = tdxsim_ioctl(kvm, KVM_CREATE_VM, KVM_X86_TDX_VM);

	assert_true(vm >= 0);
	expect_efault(vm, TDXSIM_SET_DESIGN, false, "TDXSIM_SET_DESIGN");
	expect_efault(vm, TDXSIM_GET_DESIGN, true, "TDXSIM_GET_DESIGN");
	expect_efault(vm, TDXSIM_GET_STATS, true, "TDXSIM_GET_STATS");
	expect_efault(vm, TDXSIM_INJECT_FAULT, false, "TDXSIM_INJECT_FAULT");
	expect_efault(vm, KVM_MEMORY_ENCRYPT_OP, false,
		      "KVM_MEMORY_ENCRYPT_OP (the command)");
	/*
	 * Not the read-only page: its zeroed cpuid.nent is fewer entries than
	 * the module's CPUID configs, -E2BIG before anything is written.
	 */
	expect_tdx_efault(vm, KVM_TDX_CAPABILITIES, false,
			  "KVM_TDX_CAPABILITIES");
	expect_tdx_efault(vm, KVM_TDX_INIT_VM, false, "KVM_TDX_INIT_VM");
	/* None of it hurt the VM. */
	assert_int_equal(tdxsim_close(vm), 0);
	assert_int_equal(tdxsim_close(kvm), 0);
}

static void test_td_fds(void **state)
{
	struct kvm_tdx_init_mem_region region;
	struct tdxsim_check check;
	struct rel_td_opts o;
	struct rel_td td;
	uint8_t *src;
	int i;

	rel_td_opts_init(&o);
	o.private_mem = true;
	rel_td_create(&td, &o);

	expect_efault(td.vm, KVM_SET_USER_MEMORY_REGION, false,
		      "KVM_SET_USER_MEMORY_REGION");
	expect_efault(td.vm, KVM_SET_USER_MEMORY_REGION2, false,
		      "KVM_SET_USER_MEMORY_REGION2");
	expect_efault(td.vm, KVM_SET_MEMORY_ATTRIBUTES, false,
		      "KVM_SET_MEMORY_ATTRIBUTES");
	expect_efault(td.vm, KVM_CREATE_GUEST_MEMFD, false,
		      "KVM_CREATE_GUEST_MEMFD");
	expect_efault(td.vm, TDXSIM_GET_TD_STATS, true, "TDXSIM_GET_TD_STATS");
	expect_efault(td.vm, TDXSIM_CHECK_INVARIANTS, true,
		      "TDXSIM_CHECK_INVARIANTS");
	/* The report buffer the check structure points to. */
	for (i = 0; i < NR_BAD_OUT; i++) {
		memset(&check, 0, sizeof(check));
		check.buf = (uint64_t)(uintptr_t)bad_ptr(i);
		check.len = 64;
		errno = 0;
		assert_int_equal(tdxsim_ioctl(td.vm, TDXSIM_CHECK_INVARIANTS,
					      &check), -1);
		assert_int_equal(errno, EFAULT);
	}

	expect_efault(td.vcpu, KVM_MEMORY_ENCRYPT_OP, false,
		      "KVM_MEMORY_ENCRYPT_OP on the vCPU (the command)");
	expect_efault(td.vcpu, TDXSIM_SET_GUEST, false, "TDXSIM_SET_GUEST");
	expect_tdx_efault(td.vcpu, KVM_TDX_INIT_MEM_REGION, false,
			  "KVM_TDX_INIT_MEM_REGION");
	/* The source the region points to. */
	for (i = 0; i < NR_BAD_IN; i++) {
		region.gpa = REL_GPA;
		region.nr_pages = 1;
		region.source_addr = (uint64_t)(uintptr_t)bad_ptr(i);
		if (i == 0)
			continue;	/* 0x10 is not page-aligned: EINVAL */
		errno = 0;
		assert_int_equal(rel_tdx_op(td.vcpu, KVM_TDX_INIT_MEM_REGION, 0,
					    &region), -1);
		assert_int_equal(errno, EFAULT);
	}

	/*
	 * A source that stops being readable partway: the populate pins it
	 * page by page, the later ones copied several at a time, so the copy
	 * that reaches the PROT_NONE page ends there. Pages 0-4 are added and
	 * measured, the ioctl answers EFAULT with the rest left in the region.
	 */
	src = mmap(NULL, 8 * 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(src != MAP_FAILED);
	memset(src, 0x5a, 8 * 4096);
	assert_int_equal(mprotect(src + 5 * 4096, 4096, PROT_NONE), 0);
	region.gpa = REL_GPA + 0x10000;
	region.nr_pages = 8;
	region.source_addr = (uint64_t)(uintptr_t)src;
	errno = 0;
	assert_int_equal(rel_tdx_op(td.vcpu, KVM_TDX_INIT_MEM_REGION,
				    KVM_TDX_MEASURE_MEMORY_REGION, &region), -1);
	assert_int_equal(errno, EFAULT);
	assert_int_equal(region.nr_pages, 3);
	assert_int_equal(region.gpa, REL_GPA + 0x15000);
	assert_int_equal(region.source_addr, (uint64_t)(uintptr_t)src + 0x5000);
	munmap(src, 8 * 4096);

	/* The TD is intact: finalize it, then the post-finalize ones. */
	assert_int_equal(rel_tdx_op(td.vm, KVM_TDX_FINALIZE_VM, 0, NULL), 0);
	expect_efault(td.vm, TDXSIM_GET_MRTD, true, "TDXSIM_GET_MRTD");
	expect_efault(td.vcpu, KVM_PRE_FAULT_MEMORY, true,
		      "KVM_PRE_FAULT_MEMORY");
	assert_int_equal(rel_pre_fault(td.vcpu, REL_GPA, 4096), 0);
	assert_int_equal(rel_check_invariants(td.vm), 0);
	rel_td_destroy(&td);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_system_fd),
		cmocka_unit_test(test_vm_fd_before_init),
		cmocka_unit_test(test_td_fds),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
