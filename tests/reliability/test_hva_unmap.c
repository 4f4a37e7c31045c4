// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Found by uapi_seq (issue 12): a memslot whose user memory is a mapping
 * of a guest_memfd (a VMM's shared memory file) maps that file's pages
 * through the VMM's addresses. When the file is punched (or the mapping
 * unmapped), the kernel's mmu notifiers make KVM drop those mappings;
 * tdxsim had none, so KVM kept mapping the freed page: the next fault
 * found a present SPTE with another pfn (WARN in
 * tdp_mmu_map_handle_target_level) and the guest wrote into whatever the
 * page had become. And a memslot over a vCPU's kvm_run mapping was backed
 * by a bounce copy freed right after the fault. Public headers only.
 */
#include "tdxsim/kvm.h"
#include "tdxsim/report.h"
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

#define GPA	0x100000ULL
#define SIZE	(2ULL << 20)

struct shared_file {
	int gmem;
	uint8_t *map;
};

/* A VMM's shared-memory file: a guest_memfd the host may map and use. */
static void shared_file_create(int vm, struct shared_file *f)
{
	struct kvm_create_guest_memfd args = {
		.size = SIZE,
		.flags = GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED,
	};

	f->gmem = tdxsim_ioctl(vm, KVM_CREATE_GUEST_MEMFD, &args);
	assert_true(f->gmem >= 0);
	f->map = tdxsim_mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
			     f->gmem, 0);
	assert_true(f->map != MAP_FAILED);
}

/* Take every free page there is now (the punched one among them). */
static int hog_pages(int vm)
{
	struct kvm_create_guest_memfd args = {
		.size = 16ULL << 20,
		.flags = GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED,
	};
	int fd = tdxsim_ioctl(vm, KVM_CREATE_GUEST_MEMFD, &args);

	assert_true(fd >= 0);
	assert_int_equal(tdxsim_fallocate(fd, FALLOC_FL_KEEP_SIZE, 0,
					  args.size), 0);
	return fd;
}

static void check_clean(unsigned long warn0, struct tdxsim_stats *before,
			int vm)
{
	struct tdxsim_stats after;

	rel_vm_stats(vm, &after);
	assert_int_equal(tdxsim_nr_warnings(), warn0);
	/* The punch (or munmap) zapped the leaf mapped through the file. */
	assert_true(after.zapped_leaves > before->zapped_leaves);
}

/* Punch the file a memslot maps through its user memory; fault again. */
static void test_punch_mapped_file(void **state)
{
	unsigned long warn0 = tdxsim_nr_warnings();
	int kvm = rel_open_kvm(), vm, vcpu, hog;
	struct tdxsim_stats before;
	struct shared_file f;

	vm = tdxsim_ioctl(kvm, KVM_CREATE_VM, KVM_X86_DEFAULT_VM);
	assert_true(vm >= 0);
	shared_file_create(vm, &f);
	rel_set_user_slot(vm, GPA, f.map, SIZE);
	vcpu = tdxsim_ioctl(vm, KVM_CREATE_VCPU, 0);
	assert_true(vcpu >= 0);

	assert_int_equal(rel_pre_fault(vcpu, GPA, 4096), 0);
	rel_vm_stats(vm, &before);
	assert_int_equal(rel_punch(f.gmem, 0, 4096), 0);
	hog = hog_pages(vm);
	/* A new page of the file, mapped afresh: no pfn changes under KVM. */
	assert_int_equal(rel_pre_fault(vcpu, GPA, 4096), 0);
	check_clean(warn0, &before, vm);

	assert_int_equal(tdxsim_close(hog), 0);
	assert_int_equal(tdxsim_munmap(f.map, SIZE), 0);
	assert_int_equal(tdxsim_close(f.gmem), 0);
	assert_int_equal(tdxsim_close(vcpu), 0);
	assert_int_equal(tdxsim_close(vm), 0);
	assert_int_equal(tdxsim_close(kvm), 0);
}

/* munmap() the user memory (the mapping KVM used goes), then punch. */
static void test_munmap_then_punch(void **state)
{
	unsigned long warn0 = tdxsim_nr_warnings();
	int kvm = rel_open_kvm(), vm, vcpu, hog;
	struct tdxsim_stats before;
	struct shared_file f;

	vm = tdxsim_ioctl(kvm, KVM_CREATE_VM, KVM_X86_DEFAULT_VM);
	assert_true(vm >= 0);
	shared_file_create(vm, &f);
	rel_set_user_slot(vm, GPA, f.map, SIZE);
	vcpu = tdxsim_ioctl(vm, KVM_CREATE_VCPU, 0);
	assert_true(vcpu >= 0);

	assert_int_equal(rel_pre_fault(vcpu, GPA, 4096), 0);
	rel_vm_stats(vm, &before);
	assert_int_equal(tdxsim_munmap(f.map, SIZE), 0);
	assert_int_equal(rel_punch(f.gmem, 0, 4096), 0);
	hog = hog_pages(vm);
	/* Nothing is mapped at the slot's user memory now. */
	assert_int_equal(rel_pre_fault(vcpu, GPA, 4096), -1);
	assert_int_equal(errno, EFAULT);
	check_clean(warn0, &before, vm);

	assert_int_equal(tdxsim_close(hog), 0);
	assert_int_equal(tdxsim_close(f.gmem), 0);
	assert_int_equal(tdxsim_close(vcpu), 0);
	assert_int_equal(tdxsim_close(vm), 0);
	assert_int_equal(tdxsim_close(kvm), 0);
}

/* A memslot over a kvm_run mapping: not memory KVM can map (EFAULT). */
static void test_slot_over_kvm_run(void **state)
{
	unsigned long warn0 = tdxsim_nr_warnings();
	int kvm = rel_open_kvm(), vm, vcpu, other, hog, i;
	long size;
	void *run;

	vm = tdxsim_ioctl(kvm, KVM_CREATE_VM, KVM_X86_DEFAULT_VM);
	assert_true(vm >= 0);
	vcpu = tdxsim_ioctl(vm, KVM_CREATE_VCPU, 0);
	other = tdxsim_ioctl(vm, KVM_CREATE_VCPU, 1);
	assert_true(vcpu >= 0 && other >= 0);
	size = tdxsim_ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	run = tdxsim_mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE,
			  MAP_SHARED, other, 0);
	assert_true(run != MAP_FAILED);
	rel_set_user_slot(vm, GPA, run, 4096);
	for (i = 0; i < 3; i++) {
		assert_int_equal(rel_pre_fault(vcpu, GPA, 4096), -1);
		assert_int_equal(errno, EFAULT);
		hog = hog_pages(vm);
		assert_int_equal(tdxsim_close(hog), 0);
	}
	assert_int_equal(tdxsim_nr_warnings(), warn0);

	assert_int_equal(tdxsim_munmap(run, (size_t)size), 0);
	assert_int_equal(tdxsim_close(other), 0);
	assert_int_equal(tdxsim_close(vcpu), 0);
	assert_int_equal(tdxsim_close(vm), 0);
	assert_int_equal(tdxsim_close(kvm), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_punch_mapped_file),
		cmocka_unit_test(test_munmap_then_punch),
		cmocka_unit_test(test_slot_over_kvm_run),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
