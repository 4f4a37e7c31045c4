// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Memslots (set_memory_region_test.c and the x86 prepare checks): flags,
 * alignment, overflow, overlap, guest_memfd binding rules and immutability,
 * deletion zapping both roots, lpage_info misalignment counts, lookups.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm/x86.h"
#include "kvm_test.h"

#define GPA0	0x100000000ULL

static void test_gmem_flag_combinations(void **state)
{
	int vm = __vm_create(KVM_X86_SW_PROTECTED_VM);
	int gmem = __vm_create_guest_memfd(vm, SZ_2M, 0);
	void *mem = test_alloc(SZ_2M);

	assert_true(gmem >= 0);
	assert_int_equal(__vm_set_user_memory_region2(vm, 0,
						      KVM_MEM_GUEST_MEMFD | KVM_MEM_LOG_DIRTY_PAGES,
						      GPA0, SZ_2M, (u64)mem, gmem, 0), -EINVAL);
	assert_int_equal(__vm_set_user_memory_region2(vm, 0,
						      KVM_MEM_GUEST_MEMFD | KVM_MEM_READONLY,
						      GPA0, SZ_2M, (u64)mem, gmem, 0), -EINVAL);
	assert_int_equal(__vm_set_user_memory_region2(vm, 0, BIT(5), GPA0, SZ_2M, (u64)mem,
						      0, 0), -EINVAL);
	/* A protected-state VM (TDX) has no read-only memslots. */
	{
		int td = vm_create_tdx();

		assert_int_equal(__vm_set_user_memory_region2(td, 0, KVM_MEM_READONLY, GPA0,
							      SZ_2M, (u64)mem, 0, 0), -EINVAL);
		assert_int_equal(tdxsim_close(td), 0);
	}
	vm_set_user_memory_region2(vm, 0, KVM_MEM_READONLY, GPA0, SZ_2M,
				   (u64)mem, 0, 0);
	assert_int_equal(__vm_set_user_memory_region2(vm, 0, KVM_MEM_GUEST_MEMFD, GPA0 + SZ_1G,
						      SZ_2M, (u64)mem, gmem, 0), -EINVAL);
	vm_set_user_memory_region2(vm, 1, KVM_MEM_GUEST_MEMFD, GPA0 + SZ_1G,
				   SZ_2M, (u64)mem, gmem, 0);
	assert_int_equal(tdxsim_close(gmem), 0);
	assert_int_equal(tdxsim_close(vm), 0);
	free(mem);
}

static void test_v2_flags_on_v1(void **state)
{
	int vm = __vm_create(KVM_X86_SW_PROTECTED_VM);
	void *mem = test_alloc(SZ_2M);
	struct kvm_userspace_memory_region r1 = {
		.slot = 0,
		.flags = KVM_MEM_GUEST_MEMFD,
		.guest_phys_addr = GPA0,
		.memory_size = SZ_2M,
		.userspace_addr = (u64)mem,
	};

	assert_int_equal(sys_ret(tdxsim_ioctl(vm, KVM_SET_USER_MEMORY_REGION,
					      &r1)), -EINVAL);
	r1.flags = 0;
	assert_int_equal(tdxsim_ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r1), 0);
	assert_non_null(vm_slot(vm, GPA0 >> PAGE_SHIFT));
	assert_int_equal(tdxsim_close(vm), 0);
	free(mem);
}

static void test_bad_guest_memfd(void **state)
{
	int vm = __vm_create(KVM_X86_SW_PROTECTED_VM);
	int vm2 = __vm_create(KVM_X86_SW_PROTECTED_VM);
	int gmem2 = __vm_create_guest_memfd(vm2, SZ_2M, 0);
	int memfd = memfd_create("not-gmem", 0);
	int vcpu = __vm_vcpu_add(vm, 0);
	void *mem = test_alloc(SZ_2M);
	int fds[] = { kvm_dev(), vm, vm2, vcpu, memfd, gmem2 };
	unsigned int i;

	assert_true(gmem2 >= 0 && memfd >= 0 && vcpu >= 0);
	assert_int_equal(ftruncate(memfd, SZ_2M), 0);
	for (i = 0; i < ARRAY_SIZE(fds); i++)
		assert_int_equal(__vm_set_user_memory_region2(vm, 0, KVM_MEM_GUEST_MEMFD, GPA0,
							      SZ_2M, (u64)mem, fds[i], 0),
				 -EINVAL);
	/* Not a descriptor at all. */
	assert_int_equal(__vm_set_user_memory_region2(vm, 0, KVM_MEM_GUEST_MEMFD, GPA0, SZ_2M,
						      (u64)mem, 1 << 20, 0), -EBADF);
	/* Nothing was created by the failures. */
	assert_int_equal(vm_kvm(vm)->memslots->nr, 0);
	assert_int_equal(mmu_stub.prepare_calls, 0);

	close(memfd);
	assert_int_equal(tdxsim_close(vcpu), 0);
	assert_int_equal(tdxsim_close(gmem2), 0);
	assert_int_equal(tdxsim_close(vm2), 0);
	assert_int_equal(tdxsim_close(vm), 0);
	free(mem);
}

static void test_gmem_offsets(void **state)
{
	int vm = __vm_create(KVM_X86_SW_PROTECTED_VM);
	int gmem = __vm_create_guest_memfd(vm, 4 * SZ_2M, 0);
	void *mem = test_alloc(SZ_2M);
	u64 bad[] = { 1, 4095, 4097, SZ_2M - 1 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(__vm_set_user_memory_region2(vm, 0, KVM_MEM_GUEST_MEMFD, GPA0,
							      SZ_2M, (u64)mem, gmem, bad[i]),
				 -EINVAL);
	/* Beyond the file's size, and overflowing. */
	assert_int_equal(__vm_set_user_memory_region2(vm, 0, KVM_MEM_GUEST_MEMFD, GPA0, SZ_2M,
						      (u64)mem, gmem, 3 * SZ_2M + 4096), -EINVAL);
	assert_int_equal(__vm_set_user_memory_region2(vm, 0, KVM_MEM_GUEST_MEMFD, GPA0, SZ_2M,
						      (u64)mem, gmem, -4096ULL), -EINVAL);
	/* The last fitting offset works. */
	vm_set_user_memory_region2(vm, 0, KVM_MEM_GUEST_MEMFD, GPA0, SZ_2M,
				   (u64)mem, gmem, 3 * SZ_2M);
	assert_int_equal(vm_slot(vm, GPA0 >> PAGE_SHIFT)->gmem.pgoff,
			 3 * SZ_2M / PAGE_SIZE);
	assert_int_equal(tdxsim_close(gmem), 0);
	assert_int_equal(tdxsim_close(vm), 0);
	free(mem);
}

static void __test_gmem_binding_overlap(const char *kernel, int err)
{
	int vm = __vm_create(KVM_X86_SW_PROTECTED_VM);
	int gmem;
	void *mem = test_alloc(4 * SZ_2M);

	vm_set_kernel(vm, kernel);
	gmem = __vm_create_guest_memfd(vm, 4 * SZ_2M, 0);

	vm_set_user_memory_region2(vm, 0, KVM_MEM_GUEST_MEMFD, GPA0,
				   2 * SZ_2M, (u64)mem, gmem, 0);
	/* One binding per page: offsets [2M, 4M) are taken. */
	assert_int_equal(__vm_set_user_memory_region2(vm, 1, KVM_MEM_GUEST_MEMFD, GPA0 + SZ_1G,
						      SZ_2M, (u64)mem, gmem, SZ_2M), err);
	assert_int_equal(__vm_set_user_memory_region2(vm, 1, KVM_MEM_GUEST_MEMFD, GPA0 + SZ_1G,
						      SZ_2M, (u64)mem, gmem, SZ_2M + SZ_2M / 2),
			 err);
	vm_set_user_memory_region2(vm, 1, KVM_MEM_GUEST_MEMFD, GPA0 + SZ_1G,
				   SZ_2M, (u64)mem, gmem, 2 * SZ_2M);
	/* After deleting slot 0 its offsets can be bound again. */
	vm_set_user_memory_region2(vm, 0, 0, GPA0, 0, 0, 0, 0);
	vm_set_user_memory_region2(vm, 2, KVM_MEM_GUEST_MEMFD, GPA0 + SZ_2M,
				   SZ_2M, (u64)mem, gmem, SZ_2M);
	assert_int_equal(tdxsim_close(gmem), 0);
	assert_int_equal(tdxsim_close(vm), 0);
	free(mem);
}

/* 6.19 answers -EINVAL for a range bound twice; 7.2 (7ea987a9) -EEXIST. */
static void test_gmem_binding_overlap(void **state)
{
	__test_gmem_binding_overlap("v6.19", -EINVAL);
	__test_gmem_binding_overlap("next", -EEXIST);
}

static void test_region_checks(void **state)
{
	int vm = __vm_create(KVM_X86_DEFAULT_VM);
	void *mem = test_alloc(4 * SZ_2M);
	u64 ua = (u64)mem;

	/* Unaligned size, gpa, userspace address. */
	assert_int_equal(__vm_set_user_memory_region2(vm, 0, 0, GPA0, 4095, ua, 0, 0), -EINVAL);
	assert_int_equal(__vm_set_user_memory_region2(vm, 0, 0, GPA0 + 1, SZ_2M, ua, 0, 0),
			 -EINVAL);
	assert_int_equal(__vm_set_user_memory_region2(vm, 0, 0, GPA0, SZ_2M, ua + 1, 0, 0),
			 -EINVAL);
	/* Overflowing gpa range and userspace range. */
	assert_int_equal(__vm_set_user_memory_region2(vm, 0, 0, -SZ_2M, 2 * SZ_2M, ua, 0, 0),
			 -EINVAL);
	assert_int_equal(__vm_set_user_memory_region2(vm, 0, 0, GPA0, SZ_2M, -4096ULL, 0, 0),
			 -EINVAL);
	/* Too many pages for one slot. */
	assert_int_equal(__vm_set_user_memory_region2(vm, 0, 0, 0, 1ULL << 43, ua, 0, 0),
			 -EINVAL);
	/* Slot ids and address spaces. */
	assert_int_equal(__vm_set_user_memory_region2(vm, KVM_USER_MEM_SLOTS, 0, GPA0, SZ_2M,
						      ua, 0, 0), -EINVAL);
	assert_int_equal(__vm_set_user_memory_region2(vm, (1 << 16) | 0, 0, GPA0, SZ_2M, ua,
						      0, 0), -EINVAL);
	/* Deleting a slot that does not exist. */
	assert_int_equal(__vm_set_user_memory_region2(vm, 3, 0, 0, 0, 0, 0, 0), -EINVAL);
	/* Above the largest gfn. */
	assert_int_equal(__vm_set_user_memory_region2(vm, 0, 0, 1ULL << 52, SZ_2M, ua, 0, 0),
			 -EINVAL);
	vm_set_user_memory_region2(vm, 0, 0, (1ULL << 52) - SZ_2M, SZ_2M, ua,
				   0, 0);
	assert_int_equal(vm_kvm(vm)->memslots->nr, 1);
	assert_int_equal(tdxsim_close(vm), 0);
	free(mem);
}

static void test_overlap_eexist(void **state)
{
	int vm = __vm_create(KVM_X86_DEFAULT_VM);
	void *mem = test_alloc(4 * SZ_2M);
	u64 ua = (u64)mem;

	vm_set_user_memory_region2(vm, 0, 0, GPA0, 2 * SZ_2M, ua, 0, 0);
	assert_int_equal(__vm_set_user_memory_region2(vm, 1, 0, GPA0 + SZ_2M, 2 * SZ_2M, ua, 0,
						      0), -EEXIST);
	assert_int_equal(__vm_set_user_memory_region2(vm, 1, 0, GPA0 - SZ_2M, 2 * SZ_2M, ua, 0,
						      0), -EEXIST);
	assert_int_equal(__vm_set_user_memory_region2(vm, 1, 0, GPA0 + 4096, 4096, ua, 0, 0),
			 -EEXIST);
	/* Adjacent is fine. */
	vm_set_user_memory_region2(vm, 1, 0, GPA0 + 2 * SZ_2M, SZ_2M, ua, 0,
				   0);
	vm_set_user_memory_region2(vm, 2, 0, GPA0 - SZ_2M, SZ_2M, ua, 0, 0);

	/* Moving slot 1 onto slot 0 overlaps; moving it elsewhere works. */
	assert_int_equal(__vm_set_user_memory_region2(vm, 1, 0, GPA0, SZ_2M, ua, 0, 0),
			 -EEXIST);
	vm_set_user_memory_region2(vm, 1, 0, GPA0 + SZ_1G, SZ_2M, ua, 0, 0);
	assert_int_equal(mmu_stub.flush_memslot_calls, 1);
	assert_null(vm_slot(vm, (GPA0 + 2 * SZ_2M) >> PAGE_SHIFT));
	assert_int_equal(vm_slot(vm, (GPA0 + SZ_1G) >> PAGE_SHIFT)->id, 1);

	/* Changing the size or address of an existing slot is refused. */
	assert_int_equal(__vm_set_user_memory_region2(vm, 1, 0, GPA0 + SZ_1G, 2 * SZ_2M, ua, 0,
						      0), -EINVAL);
	assert_int_equal(__vm_set_user_memory_region2(vm, 1, 0, GPA0 + SZ_1G, SZ_2M,
						      ua + SZ_2M, 0, 0), -EINVAL);
	/* Flags only: dirty logging on, no zap. */
	vm_set_user_memory_region2(vm, 1, KVM_MEM_LOG_DIRTY_PAGES,
				   GPA0 + SZ_1G, SZ_2M, ua, 0, 0);
	assert_int_equal(mmu_stub.flush_memslot_calls, 1);
	assert_int_equal(vm_slot(vm, (GPA0 + SZ_1G) >> PAGE_SHIFT)->flags,
			 KVM_MEM_LOG_DIRTY_PAGES);
	/* The same again is a no-op. */
	vm_set_user_memory_region2(vm, 1, KVM_MEM_LOG_DIRTY_PAGES,
				   GPA0 + SZ_1G, SZ_2M, ua, 0, 0);
	assert_int_equal(tdxsim_close(vm), 0);
	free(mem);
}

static void test_gmem_slot_immutable(void **state)
{
	int vm = __vm_create(KVM_X86_SW_PROTECTED_VM);
	int gmem = __vm_create_guest_memfd(vm, 2 * SZ_2M, 0);
	void *mem = test_alloc(SZ_2M);
	struct kvm_memory_slot *slot;
	struct file *file = fd_file(gmem);

	vm_set_user_memory_region2(vm, 0, KVM_MEM_GUEST_MEMFD, GPA0, SZ_2M,
				   (u64)mem, gmem, 0);
	slot = vm_slot(vm, GPA0 >> PAGE_SHIFT);
	assert_ptr_equal(slot->gmem.file, file);
	assert_true(kvm_slot_has_gmem(slot));

	/* Move, flags change, re-bind: all refused. */
	assert_int_equal(__vm_set_user_memory_region2(vm, 0, KVM_MEM_GUEST_MEMFD, GPA0 + SZ_1G,
						      SZ_2M, (u64)mem, gmem, 0), -EINVAL);
	assert_int_equal(__vm_set_user_memory_region2(vm, 0, 0, GPA0 + SZ_1G, SZ_2M, (u64)mem,
						      0, 0), -EINVAL);
	assert_int_equal(__vm_set_user_memory_region2(vm, 0, KVM_MEM_LOG_DIRTY_PAGES, GPA0,
						      SZ_2M, (u64)mem, 0, 0), -EINVAL);
	assert_int_equal(__vm_set_user_memory_region2(vm, 0, KVM_MEM_GUEST_MEMFD, GPA0, SZ_2M,
						      (u64)mem, gmem, SZ_2M), -EINVAL);
	assert_ptr_equal(vm_slot(vm, GPA0 >> PAGE_SHIFT), slot);
	assert_int_equal(mmu_stub.flush_memslot_calls, 0);

	/* Deletion zaps both roots and unbinds. */
	vm_set_user_memory_region2(vm, 0, 0, GPA0, 0, 0, 0, 0);
	assert_int_equal(mmu_stub.flush_memslot_calls, 1);
	assert_int_equal(mmu_stub.last_flush_slot_id, 0);
	assert_int_equal(mmu_stub.unmap_by_filter[KVM_FILTER_SHARED |
						  KVM_FILTER_PRIVATE], 1);
	assert_null(vm_slot(vm, GPA0 >> PAGE_SHIFT));
	assert_int_equal(mmu_stub.free_calls, 1);
	/* Re-create with the same id and offsets. */
	vm_set_user_memory_region2(vm, 0, KVM_MEM_GUEST_MEMFD, GPA0, SZ_2M,
				   (u64)mem, gmem, 0);
	assert_int_equal(tdxsim_close(gmem), 0);
	assert_int_equal(tdxsim_close(vm), 0);
	free(mem);
}

static void test_shared_bit_alias(void **state)
{
	int td = vm_create_tdx();
	int gmem = __vm_create_guest_memfd(td, SZ_2M, 0);
	void *mem = test_alloc(SZ_2M);

	/* GPAW 48: a slot whose last gfn has bit 47 set is an alias. */
	assert_int_equal(__vm_set_user_memory_region2(td, 0, KVM_MEM_GUEST_MEMFD,
						      (1ULL << 47) - 4096, SZ_2M, (u64)mem,
						      gmem, 0), -EINVAL);
	vm_set_user_memory_region2(td, 0, KVM_MEM_GUEST_MEMFD,
				   (1ULL << 47) - SZ_2M, SZ_2M, (u64)mem,
				   gmem, 0);
	assert_int_equal(tdxsim_close(gmem), 0);
	assert_int_equal(tdxsim_close(td), 0);
	free(mem);
}

static void test_lpage_info(void **state)
{
	int vm = __vm_create(KVM_X86_DEFAULT_VM);
	u8 *mem = test_alloc(6 * SZ_2M);
	struct kvm_memory_slot *slot;
	gfn_t base;

	/*
	 * base gfn 1 mod 512, 1024 pages, userspace address congruent: the
	 * head and tail 2M entries are disallowed, the middle one is not.
	 */
	vm_set_user_memory_region2(vm, 0, 0, GPA0 + 4096, 1024 * 4096,
				   (u64)mem + 4096, 0, 0);
	base = (GPA0 + 4096) >> PAGE_SHIFT;
	slot = vm_slot(vm, base);
	assert_int_equal(kvm_mmu_slot_lpages(slot, PG_LEVEL_2M), 3);
	assert_int_equal(lpage_info_slot(base, slot, PG_LEVEL_2M)->disallow_lpage,
			 1);
	assert_int_equal(lpage_info_slot(base + 600, slot,
					 PG_LEVEL_2M)->disallow_lpage, 0);
	assert_int_equal(lpage_info_slot(base + 1023, slot,
					 PG_LEVEL_2M)->disallow_lpage, 1);
	assert_int_equal(kvm_mmu_slot_lpages(slot, PG_LEVEL_1G), 1);
	assert_int_equal(lpage_info_slot(base, slot, PG_LEVEL_1G)->disallow_lpage,
			 1);

	/* Userspace address misaligned wrt the gfn: nothing may be huge. */
	vm_set_user_memory_region2(vm, 1, 0, GPA0 + SZ_1G, 4 * SZ_2M,
				   (u64)mem + 4096, 0, 0);
	slot = vm_slot(vm, (GPA0 + SZ_1G) >> PAGE_SHIFT);
	assert_int_equal(kvm_mmu_slot_lpages(slot, PG_LEVEL_2M), 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(slot->arch.lpage_info[0][i].disallow_lpage, 1);

	/* Aligned everything: all allowed at 2M. */
	vm_set_user_memory_region2(vm, 2, 0, GPA0 + 2 * SZ_1G, 2 * SZ_2M,
				   (u64)mem, 0, 0);
	slot = vm_slot(vm, (GPA0 + 2 * SZ_1G) >> PAGE_SHIFT);
	assert_int_equal(slot->arch.lpage_info[0][0].disallow_lpage, 0);
	assert_int_equal(slot->arch.lpage_info[0][1].disallow_lpage, 0);
	assert_int_equal(tdxsim_close(vm), 0);
	free(mem);
}

static void test_memslot_lookup(void **state)
{
	int vm = __vm_create(KVM_X86_DEFAULT_VM);
	void *mem = test_alloc(SZ_2M);
	struct kvm *kvm = vm_kvm(vm);
	int i;

	/* 64 slots of 8K every 16K, created in a scrambled order. */
	for (i = 0; i < 64; i++) {
		int id = (i * 37) % 64;

		vm_set_user_memory_region2(vm, id, 0, GPA0 + id * 0x4000ULL,
					   0x2000, (u64)mem, 0, 0);
	}
	assert_int_equal(kvm->memslots->nr, 64);
	for (i = 1; i < 64; i++)
		assert_true(kvm->memslots->slots[i - 1]->base_gfn <
			    kvm->memslots->slots[i]->base_gfn);
	for (i = 0; i < 64; i++) {
		gfn_t g = (GPA0 + i * 0x4000ULL) >> PAGE_SHIFT;

		assert_int_equal(gfn_to_memslot(kvm, g)->id, i);
		assert_int_equal(gfn_to_memslot(kvm, g + 1)->id, i);
		assert_null(gfn_to_memslot(kvm, g + 2));
		assert_null(gfn_to_memslot(kvm, g + 3));
	}
	assert_null(gfn_to_memslot(kvm, 0));
	assert_int_equal(kvm->nr_memslot_pages, 128);
	assert_int_equal(tdxsim_close(vm), 0);
	free(mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_gmem_flag_combinations,
						kvm_test_setup, kvm_test_teardown),
		cmocka_unit_test_setup_teardown(test_v2_flags_on_v1,
						kvm_test_setup, kvm_test_teardown),
		cmocka_unit_test_setup_teardown(test_bad_guest_memfd,
						kvm_test_setup, kvm_test_teardown),
		cmocka_unit_test_setup_teardown(test_gmem_offsets,
						kvm_test_setup, kvm_test_teardown),
		cmocka_unit_test_setup_teardown(test_gmem_binding_overlap,
						kvm_test_setup, kvm_test_teardown),
		cmocka_unit_test_setup_teardown(test_region_checks,
						kvm_test_setup, kvm_test_teardown),
		cmocka_unit_test_setup_teardown(test_overlap_eexist,
						kvm_test_setup, kvm_test_teardown),
		cmocka_unit_test_setup_teardown(test_gmem_slot_immutable,
						kvm_test_setup, kvm_test_teardown),
		cmocka_unit_test_setup_teardown(test_shared_bit_alias,
						kvm_test_setup, kvm_test_teardown),
		cmocka_unit_test_setup_teardown(test_lpage_info,
						kvm_test_setup, kvm_test_teardown),
		cmocka_unit_test_setup_teardown(test_memslot_lookup,
						kvm_test_setup, kvm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
