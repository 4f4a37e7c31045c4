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
 * by a bounce copy freed right after the fault. A munmap() of part of a
 * mapping (issue 17) drops only that part; the explorers' reuse of kvm_run
 * pages shows no VM another's. Public headers only.
 */
#include "tdxsim/kvm.h"
#include "tdxsim/report.h"
#include "tdxsim/tdxsim.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
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

/*
 * A VM whose memslot at GPA maps a shared guest_memfd (@f) through its
 * user memory, and its vCPU 0 (*@vcpu); the VM's fd.
 */
static int vm_with_file_slot(int kvm, struct shared_file *f, int *vcpu)
{
	int vm = tdxsim_ioctl(kvm, KVM_CREATE_VM, KVM_X86_DEFAULT_VM);

	assert_true(vm >= 0);
	shared_file_create(vm, f);
	rel_set_user_slot(vm, GPA, f->map, SIZE);
	*vcpu = tdxsim_ioctl(vm, KVM_CREATE_VCPU, 0);
	assert_true(*vcpu >= 0);
	return vm;
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

	vm = vm_with_file_slot(kvm, &f, &vcpu);

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

	vm = vm_with_file_slot(kvm, &f, &vcpu);

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

/* Is [@p, @p + @len) free address space (the program may map it)? */
static bool addr_free(void *p, size_t len)
{
	void *q = mmap(p, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
		       MAP_FIXED_NOREPLACE, -1, 0);

	if (q == MAP_FAILED)
		return false;
	munmap(q, len);
	return q == p;
}

/*
 * munmap() of one page in the middle of the mapping a memslot uses: KVM
 * drops that page's mapping only, the pieces keep theirs and their file
 * offsets, the hole is free address space and KVM finds nothing there.
 */
static void test_munmap_part(void **state)
{
	unsigned long warn0 = tdxsim_nr_warnings();
	int kvm = rel_open_kvm(), vm, vcpu;
	struct tdxsim_stats before, after;
	struct shared_file f;
	uint8_t b = 0;
	int k;

	vm = vm_with_file_slot(kvm, &f, &vcpu);
	for (k = 0; k < 4; k++) {
		b = (uint8_t)(k + 1);
		assert_int_equal(tdxsim_gmem_host_access(f.map + k * 4096, &b,
							 1, true), 0);
		assert_int_equal(rel_pre_fault(vcpu, GPA + k * 4096, 4096), 0);
	}
	rel_vm_stats(vm, &before);
	assert_int_equal(tdxsim_munmap(f.map + 4096, 4096), 0);
	rel_vm_stats(vm, &after);
	/* The hole's leaf only (the whole mapping's would be four). */
	assert_int_equal(after.zapped_leaves - before.zapped_leaves, 1);
	assert_true(addr_free(f.map + 4096, 4096));
	assert_int_equal(tdxsim_gmem_host_access(f.map + 4096, &b, 1, false),
			 -EFAULT);
	assert_int_equal(rel_pre_fault(vcpu, GPA + 4096, 4096), -1);
	assert_int_equal(errno, EFAULT);
	/* The pieces: the same pages of the file. */
	for (k = 0; k < 4; k++) {
		if (k == 1)
			continue;
		assert_int_equal(tdxsim_gmem_host_access(f.map + k * 4096, &b,
							 1, false), 0);
		assert_int_equal(b, k + 1);
		assert_int_equal(rel_pre_fault(vcpu, GPA + k * 4096, 4096), 0);
	}
	/* The head and the tail of what is left; then a punch. */
	assert_int_equal(tdxsim_munmap(f.map, 4096), 0);
	assert_int_equal(tdxsim_munmap(f.map + SIZE - 4096, 4096), 0);
	assert_true(addr_free(f.map, 4096));
	assert_true(addr_free(f.map + SIZE - 4096, 4096));
	assert_int_equal(tdxsim_munmap(f.map + 4096, 4096), -1);
	assert_int_equal(errno, EINVAL);
	rel_vm_stats(vm, &before);
	assert_int_equal(rel_punch(f.gmem, 0, 4 * 4096), 0);
	rel_vm_stats(vm, &after);
	assert_int_equal(after.zapped_leaves - before.zapped_leaves, 2);
	assert_int_equal(tdxsim_gmem_host_access(f.map + 2 * 4096, &b, 1,
						 false), 0);
	assert_int_equal(b, 0);
	assert_int_equal(tdxsim_nr_warnings(), warn0);

	/* Across the holes: the rest goes, the VM with it at last. */
	assert_int_equal(tdxsim_close(f.gmem), 0);
	assert_int_equal(tdxsim_close(vcpu), 0);
	assert_int_equal(tdxsim_munmap(f.map, SIZE), 0);
	assert_true(addr_free(f.map, SIZE));
	assert_int_equal(tdxsim_close(vm), 0);
	assert_int_equal(tdxsim_close(kvm), 0);
}

/*
 * Part of a kvm_run mapping: the rest still shows the vCPU's kvm_run,
 * the hole is free address space, KVM_RUN goes on.
 */
static void test_munmap_part_kvm_run(void **state)
{
	int kvm = rel_open_kvm(), vm, vcpu;
	struct kvm_run *run;
	uint8_t *p;
	long size;

	vm = tdxsim_ioctl(kvm, KVM_CREATE_VM, KVM_X86_DEFAULT_VM);
	assert_true(vm >= 0);
	vcpu = tdxsim_ioctl(vm, KVM_CREATE_VCPU, 0);
	assert_true(vcpu >= 0);
	size = tdxsim_ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	assert_true(size >= 3 * 4096);
	p = tdxsim_mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE,
			MAP_SHARED, vcpu, 0);
	assert_true(p != MAP_FAILED);
	run = (struct kvm_run *)p;
	p[size - 1] = 0x5a;
	assert_int_equal(tdxsim_munmap(p + 4096, 4096), 0);
	assert_true(addr_free(p + 4096, 4096));
	assert_int_equal(p[size - 1], 0x5a);
	run->immediate_exit__unsafe = 1;
	assert_int_equal(tdxsim_ioctl(vcpu, KVM_RUN, 0), -1);
	assert_int_equal(errno, EINTR);
	assert_int_equal(run->exit_reason, KVM_EXIT_INTR);
	/* A second mapping: the same kvm_run, its middle page too. */
	p = tdxsim_mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE,
			MAP_SHARED, vcpu, 0);
	assert_true(p != MAP_FAILED);
	assert_int_equal(p[size - 1], 0x5a);
	assert_int_equal(((struct kvm_run *)p)->exit_reason, KVM_EXIT_INTR);
	assert_int_equal(tdxsim_munmap(p, (size_t)size), 0);
	assert_int_equal(tdxsim_munmap(run, (size_t)size), 0);
	assert_true(addr_free(run, (size_t)size));

	assert_int_equal(tdxsim_close(vcpu), 0);
	assert_int_equal(tdxsim_close(vm), 0);
	assert_int_equal(tdxsim_close(kvm), 0);
}

/* A VM with one vCPU whose kvm_run is mapped at *@run (@size bytes). */
static void vm_with_run(int kvm, int *vm, int *vcpu, uint8_t **run,
			long *size)
{
	*vm = tdxsim_ioctl(kvm, KVM_CREATE_VM, KVM_X86_DEFAULT_VM);
	assert_true(*vm >= 0);
	*vcpu = tdxsim_ioctl(*vm, KVM_CREATE_VCPU, 0);
	assert_true(*vcpu >= 0);
	*size = tdxsim_ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	*run = tdxsim_mmap(NULL, (size_t)*size, PROT_READ | PROT_WRITE,
			   MAP_SHARED, *vcpu, 0);
	assert_true(*run != MAP_FAILED);
}

/*
 * With the explorers' reuse on (tdxsim_fd_reuse()), a VM's kvm_run pages
 * and their mapping are kept for the next VM: the next vCPU's kvm_run still
 * reads zero, and a mapping kept after its fds are closed (it holds the
 * VM) keeps showing its vCPU's bytes, never the next one's.
 */
static void test_kvm_run_reuse(void **state)
{
	int kvm = rel_open_kvm(), vm, vcpu, vm2, vcpu2;
	bool was = tdxsim_fd_reuse(true);
	uint8_t *p, *q;
	long size;

	vm_with_run(kvm, &vm, &vcpu, &p, &size);
	p[size - 1] = 0x5a;
	assert_int_equal(tdxsim_munmap(p, (size_t)size), 0);
	assert_int_equal(tdxsim_close(vcpu), 0);
	assert_int_equal(tdxsim_close(vm), 0);
	/* Kept pages: zeroed as new ones. */
	vm_with_run(kvm, &vm, &vcpu, &p, &size);
	assert_int_equal(p[size - 1], 0);
	p[size - 1] = 0x6b;
	/* This mapping outlives the VM's descriptors. */
	assert_int_equal(tdxsim_close(vcpu), 0);
	assert_int_equal(tdxsim_close(vm), 0);
	assert_int_equal(p[size - 1], 0x6b);
	vm_with_run(kvm, &vm2, &vcpu2, &q, &size);
	assert_true(q != p);
	assert_int_equal(q[size - 1], 0);
	q[size - 1] = 0x7c;
	assert_int_equal(p[size - 1], 0x6b);
	assert_int_equal(tdxsim_munmap(p, (size_t)size), 0);
	assert_int_equal(tdxsim_munmap(q, (size_t)size), 0);
	assert_int_equal(tdxsim_close(vcpu2), 0);
	assert_int_equal(tdxsim_close(vm2), 0);
	/* Off: what was kept goes back. */
	tdxsim_fd_reuse(was);
	assert_true(addr_free(q, (size_t)size));
	assert_int_equal(tdxsim_close(kvm), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_punch_mapped_file),
		cmocka_unit_test(test_munmap_then_punch),
		cmocka_unit_test(test_slot_over_kvm_run),
		cmocka_unit_test(test_munmap_part),
		cmocka_unit_test(test_munmap_part_kvm_run),
		cmocka_unit_test(test_kvm_run_reuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
