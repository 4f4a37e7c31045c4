// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * guest_memfd as a file (guest_memfd_test.c and the reference's section
 * 5): creation rules, the VM the file pins, fallocate and punch hole, the
 * invalidation a punch makes (under the invalidate lock, with the range
 * in progress) and its shared/private filter, release zapping and
 * unbinding every slot, host mappings (mmap rules, SIGBUS on private
 * memory) and the get_user_pages bounce. test_gmem_pfn.c has what KVM
 * takes from the file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/page_alloc.h"
#include "base/sched.h"
#include "host/mm.h"
#include "kvm_test.h"
#include "testlib/sched_util.h"

#define GPA0	0x100000000ULL
#define GFN0	(GPA0 >> PAGE_SHIFT)

static void test_create_rules(void **state)
{
	int td = vm_create_tdx();
	int def = __vm_create(KVM_X86_DEFAULT_VM);
	u64 bad_sizes[] = { 1, 4095, 4097, SZ_2M + 1, 0, 1ULL << 63 };
	unsigned int i;
	int a, b;

	for (i = 0; i < ARRAY_SIZE(bad_sizes); i++)
		assert_int_equal(__vm_create_guest_memfd(td, bad_sizes[i], 0), -EINVAL);
	/* Unknown flags; INIT_SHARED is not for VMs with private memory. */
	assert_int_equal(__vm_create_guest_memfd(td, SZ_2M, BIT(2)), -EINVAL);
	assert_int_equal(__vm_create_guest_memfd(td, SZ_2M, GUEST_MEMFD_FLAG_INIT_SHARED),
			 -EINVAL);
	assert_int_equal(__vm_create_guest_memfd(td, SZ_2M, 1ULL << 63), -EINVAL);
	/* Reserved fields are not checked (6.19). */
	{
		struct kvm_create_guest_memfd args = { .size = SZ_2M,
						       .reserved[2] = 7 };
		int fd = tdxsim_ioctl(td, KVM_CREATE_GUEST_MEMFD, &args);

		assert_true(fd >= 0);
		assert_int_equal(tdxsim_close(fd), 0);
	}

	a = __vm_create_guest_memfd(td, SZ_2M, GUEST_MEMFD_FLAG_MMAP);
	b = __vm_create_guest_memfd(td, SZ_2M, 0);
	assert_true(a >= 0 && b >= 0 && a != b);
	/* Each file has its own inode. */
	assert_ptr_not_equal(fd_file(a)->f_mapping, fd_file(b)->f_mapping);
	assert_true(file_is_gmem(fd_file(a)));

	i = __vm_create_guest_memfd(def, SZ_2M, GUEST_MEMFD_FLAG_MMAP |
				    GUEST_MEMFD_FLAG_INIT_SHARED);
	assert_true((int)i >= 0);
	assert_int_equal(tdxsim_close(i), 0);
	assert_int_equal(tdxsim_close(a), 0);
	assert_int_equal(tdxsim_close(b), 0);
	assert_int_equal(tdxsim_close(td), 0);
	assert_int_equal(tdxsim_close(def), 0);
}

static void test_file_pins_vm(void **state)
{
	int vm = __vm_create(KVM_X86_SW_PROTECTED_VM);
	int gmem = __vm_create_guest_memfd(vm, SZ_2M, 0);
	struct kvm *kvm = vm_kvm(vm);

	assert_int_equal(atomic_read(&kvm->users_count), 2);
	assert_int_equal(tdxsim_close(vm), 0);
	/* The VM lives on while its guest_memfd does. */
	assert_int_equal(mmu_stub.uninit_vm, 0);
	gmem_fallocate(gmem, FALLOC_FL_KEEP_SIZE, 0, SZ_2M);
	assert_int_equal(kvm_gmem_nr_folios(fd_file(gmem)), 512);
	assert_int_equal(tdxsim_close(gmem), 0);
	assert_int_equal(mmu_stub.uninit_vm, 1);
}

static void test_fallocate_rules(void **state)
{
	int vm = __vm_create(KVM_X86_SW_PROTECTED_VM);
	const u64 size = 4 * PAGE_SIZE;
	int gmem = __vm_create_guest_memfd(vm, size, 0);
	struct file *file = fd_file(gmem);
	const int punch = FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE;
	struct {
		u64 off, len;
	} bad[] = {
		{ 0, 1 }, { 0, PAGE_SIZE - 1 }, { 0, PAGE_SIZE + 1 },
		{ 1, 1 }, { 1, PAGE_SIZE - 1 }, { 1, PAGE_SIZE },
		{ 1, PAGE_SIZE + 1 }, { PAGE_SIZE, 1 },
		{ PAGE_SIZE, PAGE_SIZE - 1 }, { PAGE_SIZE, PAGE_SIZE + 1 },
	};
	unsigned int i;

	/* Modes. */
	assert_int_equal(__gmem_fallocate(gmem, 0, 0, PAGE_SIZE), -EOPNOTSUPP);
	assert_int_equal(__gmem_fallocate(gmem, FALLOC_FL_PUNCH_HOLE, 0,
					  PAGE_SIZE), -EOPNOTSUPP);
	assert_int_equal(__gmem_fallocate(gmem, FALLOC_FL_KEEP_SIZE |
					  FALLOC_FL_ZERO_RANGE, 0, PAGE_SIZE),
			 -EOPNOTSUPP);
	/* The ten bad (offset, len) pairs of guest_memfd_test.c. */
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(__gmem_fallocate(gmem, punch, bad[i].off,
						  bad[i].len), -EINVAL);
		assert_int_equal(__gmem_fallocate(gmem, FALLOC_FL_KEEP_SIZE,
						  bad[i].off, bad[i].len),
				 -EINVAL);
	}
	assert_int_equal(kvm_gmem_nr_folios(file), 0);

	/* Allocation: inside works, at or beyond the size fails. */
	gmem_fallocate(gmem, FALLOC_FL_KEEP_SIZE, 0, size);
	assert_int_equal(kvm_gmem_nr_folios(file), 4);
	assert_int_equal(__gmem_fallocate(gmem, FALLOC_FL_KEEP_SIZE, size,
					  PAGE_SIZE), -EINVAL);
	assert_int_equal(__gmem_fallocate(gmem, FALLOC_FL_KEEP_SIZE,
					  size + PAGE_SIZE, PAGE_SIZE), -EINVAL);
	assert_int_equal(__gmem_fallocate(gmem, FALLOC_FL_KEEP_SIZE, PAGE_SIZE,
					  size), -EINVAL);
	/* Punching at or beyond the size succeeds. */
	gmem_fallocate(gmem, punch, size, PAGE_SIZE);
	gmem_fallocate(gmem, punch, size + PAGE_SIZE,
		       PAGE_SIZE);
	assert_int_equal(kvm_gmem_nr_folios(file), 4);
	/* Punch frees; re-allocation works. */
	gmem_fallocate(gmem, punch, PAGE_SIZE, 2 * PAGE_SIZE);
	assert_int_equal(kvm_gmem_nr_folios(file), 2);
	assert_null(kvm_gmem_peek_folio(file, 1));
	assert_non_null(kvm_gmem_peek_folio(file, 3));
	gmem_fallocate(gmem, FALLOC_FL_KEEP_SIZE, 0, size);
	assert_int_equal(kvm_gmem_nr_folios(file), 4);
	/* vfs checks: negative offset, zero length. */
	assert_int_equal(sys_ret(tdxsim_fallocate(gmem, FALLOC_FL_KEEP_SIZE,
						  -4096, 4096)), -EINVAL);
	assert_int_equal(__gmem_fallocate(gmem, FALLOC_FL_KEEP_SIZE, 0, 0),
			 -EINVAL);
	assert_int_equal(tdxsim_close(gmem), 0);
	assert_int_equal(tdxsim_close(vm), 0);
}

/* Records the invalidation state seen by the MMU during an unmap. */
static struct {
	long in_progress;
	gfn_t start, end;
	bool invalidate_lock_held;
	struct address_space *mapping;
} seen;

static void record_unmap(struct kvm *kvm, struct kvm_gfn_range *range)
{
	seen.in_progress = kvm->mmu_invalidate_in_progress;
	seen.start = kvm->mmu_invalidate_range_start;
	seen.end = kvm->mmu_invalidate_range_end;
	if (seen.mapping)
		seen.invalidate_lock_held =
			lock_is_held_type(&seen.mapping->invalidate_lock.dep_map,
					  LOCK_EXCL);
}

static void test_punch_invalidates(void **state)
{
	int vm = __vm_create(KVM_X86_SW_PROTECTED_VM);
	int gmem = __vm_create_guest_memfd(vm, 8 * PAGE_SIZE, 0);
	struct kvm *kvm = vm_kvm(vm);
	void *mem = test_alloc(4 * PAGE_SIZE);
	const int punch = FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE;
	unsigned long seq;

	/* gfns GFN0..+3 are gmem pages 2..5. */
	vm_set_user_memory_region2(vm, 0, KVM_MEM_GUEST_MEMFD, GPA0,
				   4 * PAGE_SIZE, (u64)mem, gmem,
				   2 * PAGE_SIZE);
	mmu_stub_reset();
	memset(&seen, 0, sizeof(seen));
	seen.mapping = fd_file(gmem)->f_mapping;
	mmu_stub_unmap_hook = record_unmap;
	seq = kvm->mmu_invalidate_seq;

	/* Pages 4..7: gfns GFN0+2, GFN0+3 are bound. */
	gmem_fallocate(gmem, punch, 4 * PAGE_SIZE,
		       4 * PAGE_SIZE);
	assert_int_equal(mmu_stub.unmap_calls, 1);
	assert_int_equal(mmu_stub.unmap_by_filter[KVM_FILTER_PRIVATE], 1);
	assert_int_equal(mmu_stub.last_unmap_start, GFN0 + 2);
	assert_int_equal(mmu_stub.last_unmap_end, GFN0 + 4);
	assert_int_equal(mmu_stub.unmap_unlocked, 0);
	/* Inside the invalidation, with the range added, under the lock. */
	assert_int_equal(seen.in_progress, 1);
	assert_int_equal(seen.start, GFN0 + 2);
	assert_int_equal(seen.end, GFN0 + 4);
	assert_true(seen.invalidate_lock_held);
	/* Afterwards: one more sequence, nothing in progress. */
	assert_int_equal(kvm->mmu_invalidate_seq, seq + 1);
	assert_int_equal(kvm->mmu_invalidate_in_progress, 0);

	/* A punch of unbound pages invalidates nothing. */
	gmem_fallocate(gmem, punch, 0, 2 * PAGE_SIZE);
	assert_int_equal(mmu_stub.unmap_calls, 1);
	assert_int_equal(kvm->mmu_invalidate_seq, seq + 1);

	{
		struct tdxsim_stats st;

		assert_int_equal(tdxsim_ioctl(vm, TDXSIM_GET_STATS, &st), 0);
		assert_int_equal(st.punch_holes, 2);
		assert_int_equal(st.invalidations, 1);
	}
	assert_int_equal(tdxsim_close(gmem), 0);
	assert_int_equal(tdxsim_close(vm), 0);
	free(mem);
}

static void test_punch_init_shared_filter(void **state)
{
	int vm = __vm_create(KVM_X86_DEFAULT_VM);
	int gmem = __vm_create_guest_memfd(vm, SZ_2M, GUEST_MEMFD_FLAG_MMAP |
					   GUEST_MEMFD_FLAG_INIT_SHARED);
	void *mem = test_alloc(SZ_2M);

	vm_set_user_memory_region2(vm, 0, KVM_MEM_GUEST_MEMFD, GPA0, SZ_2M,
				   (u64)mem, gmem, 0);
	/* A MMAP guest_memfd backs shared accesses too. */
	assert_true(kvm_memslot_is_gmem_only(vm_slot(vm, GFN0)));
	mmu_stub_reset();
	gmem_fallocate(gmem, FALLOC_FL_KEEP_SIZE |
		       FALLOC_FL_PUNCH_HOLE, 0, PAGE_SIZE);
	assert_int_equal(mmu_stub.unmap_by_filter[KVM_FILTER_SHARED], 1);
	assert_int_equal(mmu_stub.unmap_by_filter[KVM_FILTER_PRIVATE], 0);
	assert_int_equal(tdxsim_close(gmem), 0);
	assert_int_equal(tdxsim_close(vm), 0);
	free(mem);
}

static void test_release_zaps_and_unbinds(void **state)
{
	int vm = __vm_create(KVM_X86_SW_PROTECTED_VM);
	int gmem = __vm_create_guest_memfd(vm, 2 * SZ_2M, 0);
	struct kvm *kvm = vm_kvm(vm);
	void *mem = test_alloc(SZ_2M);
	struct kvm_memory_slot *s0, *s1;
	struct page *page;
	kvm_pfn_t pfn;
	int order;

	vm_set_user_memory_region2(vm, 0, KVM_MEM_GUEST_MEMFD, GPA0, SZ_2M,
				   (u64)mem, gmem, 0);
	vm_set_user_memory_region2(vm, 1, KVM_MEM_GUEST_MEMFD, GPA0 + SZ_1G,
				   SZ_2M, (u64)mem, gmem, SZ_2M);
	s0 = vm_slot(vm, GFN0);
	s1 = vm_slot(vm, (GPA0 + SZ_1G) >> PAGE_SHIFT);
	assert_int_equal(kvm_gmem_get_pfn(kvm, s0, GFN0, &pfn, &page, &order),
			 0);
	kvm_release_faultin_page(kvm, page, false, true);

	mmu_stub_reset();
	assert_int_equal(tdxsim_close(gmem), 0);
	/* Both bindings zapped (private), in one invalidation. */
	assert_int_equal(mmu_stub.unmap_calls, 2);
	assert_int_equal(mmu_stub.unmap_by_filter[KVM_FILTER_PRIVATE], 2);
	assert_int_equal(mmu_stub.unmap_outside_invalidation, 0);
	assert_int_equal(kvm->mmu_invalidate_in_progress, 0);
	assert_null(s0->gmem.file);
	assert_null(s1->gmem.file);
	/* The slot is still there but has no memory to give. */
	assert_int_equal(kvm_gmem_get_pfn(kvm, s0, GFN0, &pfn, &page, &order),
			 -EFAULT);
	/* Deleting it now is fine; the VM holds only the VM fd's reference. */
	vm_set_user_memory_region2(vm, 0, 0, GPA0, 0, 0, 0, 0);
	assert_int_equal(atomic_read(&kvm->users_count), 1);
	assert_int_equal(tdxsim_close(vm), 0);
	free(mem);
}

static void test_host_mapping(void **state)
{
	int td = vm_create_tdx();
	int def = __vm_create(KVM_X86_DEFAULT_VM);
	int priv = __vm_create_guest_memfd(td, SZ_2M, GUEST_MEMFD_FLAG_MMAP);
	int nommap = __vm_create_guest_memfd(td, SZ_2M, 0);
	int shared = __vm_create_guest_memfd(def, 2 * PAGE_SIZE, GUEST_MEMFD_FLAG_MMAP |
					     GUEST_MEMFD_FLAG_INIT_SHARED);
	u8 buf[64], *p, *q;

	/* mmap needs GUEST_MEMFD_FLAG_MMAP and a shared mapping. */
	assert_ptr_equal(tdxsim_mmap(NULL, SZ_2M, PROT_READ, MAP_SHARED,
				     nommap, 0), MAP_FAILED);
	assert_int_equal(errno, ENODEV);
	assert_ptr_equal(tdxsim_mmap(NULL, SZ_2M, PROT_READ, MAP_PRIVATE,
				     priv, 0), MAP_FAILED);
	assert_int_equal(errno, EINVAL);

	/* TDX memory is private: every host access is a SIGBUS. */
	p = tdxsim_mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED, priv,
			0);
	assert_ptr_not_equal(p, MAP_FAILED);
	assert_int_equal(tdxsim_gmem_host_access(p, buf, 8, false), -EFAULT);
	assert_int_equal(kvm_gmem_nr_folios(fd_file(priv)), 0);

	/* An INIT_SHARED file is host memory. */
	q = tdxsim_mmap(NULL, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE,
			MAP_SHARED, shared, 0);
	assert_ptr_not_equal(q, MAP_FAILED);
	memset(buf, 0xaa, sizeof(buf));
	assert_int_equal(tdxsim_gmem_host_access(q + 4090, buf, 12, true), 0);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(tdxsim_gmem_host_access(q + 4088, buf, 16, false), 0);
	assert_int_equal(buf[0], 0);
	assert_int_equal(buf[2], 0xaa);
	assert_int_equal(buf[13], 0xaa);
	assert_int_equal(buf[14], 0);
	/* Beyond the file's size: SIGBUS. Outside any mapping: fault. */
	assert_int_equal(tdxsim_gmem_host_access(q + 2 * PAGE_SIZE, buf, 1,
						 false), -EFAULT);
	assert_int_equal(tdxsim_gmem_host_access(buf, buf, 1, false), -EFAULT);

	/* The mapping holds the file (and the VM) until munmap. */
	assert_int_equal(tdxsim_close(shared), 0);
	assert_int_equal(tdxsim_close(def), 0);
	assert_int_equal(tdxsim_gmem_host_access(q + 4090, buf, 1, false), 0);
	assert_int_equal(buf[0], 0xaa);
	assert_int_equal(tdxsim_munmap(q, 4 * PAGE_SIZE), 0);
	assert_int_equal(tdxsim_munmap(q, 4 * PAGE_SIZE), -1);
	assert_int_equal(tdxsim_munmap(p, SZ_2M), 0);

	assert_int_equal(tdxsim_close(priv), 0);
	assert_int_equal(tdxsim_close(nommap), 0);
	assert_int_equal(tdxsim_close(td), 0);
}

static void test_gup_bounce(void **state)
{
	u8 *src = test_alloc(2 * PAGE_SIZE);
	struct page *pages[2];

	memset(src, 0x5a, PAGE_SIZE);
	memset(src + PAGE_SIZE, 0xa5, PAGE_SIZE);
	assert_int_equal(get_user_pages_fast((unsigned long)src, 2, 0, pages),
			 2);
	assert_int_equal(((u8 *)page_address(pages[0]))[100], 0x5a);
	assert_int_equal(((u8 *)page_address(pages[1]))[4095], 0xa5);
	assert_int_equal(page_ref_count(pages[0]), 1);
	put_page(pages[0]);
	put_page(pages[1]);
	assert_int_equal(get_user_pages_fast(0, 1, 0, pages), -EFAULT);
	assert_int_equal(get_user_pages_fast(4095, 1, 0, pages), -EFAULT);
	free(src);
}

/*
 * Sequential pins of plain memory are copied ahead in one system call; a
 * copy never outlives the system call that made it (task_work_run()), and
 * a window that runs past the end of the mapping pins what is mapped.
 */
static void test_gup_readahead(void **state)
{
	u8 *src = mmap(NULL, 8 * PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct page *page;
	int i;

	assert_ptr_not_equal(src, MAP_FAILED);
	for (i = 0; i < 8; i++)
		memset(src + i * PAGE_SIZE, i + 1, PAGE_SIZE);
	/* Windows 1, 2 and 4: pages 3-6 are copied by the pin of page 3. */
	for (i = 0; i < 4; i++) {
		assert_int_equal(get_user_pages_fast((unsigned long)src +
							     i * PAGE_SIZE,
						     1, 0, &page),
				 1);
		assert_int_equal(((u8 *)page_address(page))[7], i + 1);
		assert_int_equal(page_ref_count(page), 1);
		put_page(page);
	}
	/* The ioctl returns: a later pin reads the source again. */
	memset(src + 4 * PAGE_SIZE, 0xee, PAGE_SIZE);
	task_work_run();
	assert_int_equal(get_user_pages_fast((unsigned long)src + 4 * PAGE_SIZE,
					     1, 0, &page),
			 1);
	assert_int_equal(((u8 *)page_address(page))[4095], 0xee);
	put_page(page);
	task_work_run();
	/* A window past the mapping's end: the mapped pages only. */
	munmap(src + 6 * PAGE_SIZE, 2 * PAGE_SIZE);
	for (i = 0; i < 6; i++) {
		assert_int_equal(get_user_pages_fast((unsigned long)src +
							     i * PAGE_SIZE,
						     1, 0, &page),
				 1);
		assert_int_equal(((u8 *)page_address(page))[0],
				 i == 4 ? 0xee : i + 1);
		put_page(page);
	}
	assert_int_equal(get_user_pages_fast((unsigned long)src +
						     6 * PAGE_SIZE,
					     1, 0, &page),
			 -EFAULT);
	task_work_run();
	munmap(src, 6 * PAGE_SIZE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_rules,
						kvm_test_setup, kvm_test_teardown),
		cmocka_unit_test_setup_teardown(test_file_pins_vm,
						kvm_test_setup, kvm_test_teardown),
		cmocka_unit_test_setup_teardown(test_fallocate_rules,
						kvm_test_setup, kvm_test_teardown),
		cmocka_unit_test_setup_teardown(test_punch_invalidates,
						kvm_test_setup, kvm_test_teardown),
		cmocka_unit_test_setup_teardown(test_punch_init_shared_filter,
						kvm_test_setup, kvm_test_teardown),
		cmocka_unit_test_setup_teardown(test_release_zaps_and_unbinds,
						kvm_test_setup, kvm_test_teardown),
		cmocka_unit_test_setup_teardown(test_host_mapping,
						kvm_test_setup, kvm_test_teardown),
		cmocka_unit_test_setup_teardown(test_gup_bounce,
						kvm_test_setup, kvm_test_teardown),
		cmocka_unit_test_setup_teardown(test_gup_readahead,
						kvm_test_setup, kvm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
