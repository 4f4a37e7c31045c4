// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * KVM_SET_MEMORY_ATTRIBUTES and the MMU invalidation protocol: argument
 * checks, per-gfn storage, the pre/post sequence with the old attribute's
 * zap filter, early return, one invalidation per call, retry semantics,
 * statistics, memory-fault exits and the in-place split of 2M folios.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/page_alloc.h"
#include "kvm_test.h"

#define GPA0	0x100000000ULL
#define GFN0	(GPA0 >> PAGE_SHIFT)
#define PRIV	KVM_MEMORY_ATTRIBUTE_PRIVATE

static void test_attr_arg_checks(void **state)
{
	int vm = __vm_create(KVM_X86_SW_PROTECTED_VM);
	int def = __vm_create(KVM_X86_DEFAULT_VM);
	struct kvm_memory_attributes a = { .address = GPA0, .size = 4096,
					   .attributes = PRIV, .flags = 1 };

	assert_int_equal(sys_ret(tdxsim_ioctl(vm, KVM_SET_MEMORY_ATTRIBUTES,
					      &a)), -EINVAL);
	assert_int_equal(__vm_set_memory_attributes(vm, GPA0, 4096, BIT(0)), -EINVAL);
	assert_int_equal(__vm_set_memory_attributes(vm, GPA0, 4096, PRIV | BIT(4)), -EINVAL);
	assert_int_equal(__vm_set_memory_attributes(vm, GPA0, 0, PRIV), -EINVAL);
	assert_int_equal(__vm_set_memory_attributes(vm, -4096ULL, 8192, PRIV), -EINVAL);
	assert_int_equal(__vm_set_memory_attributes(vm, GPA0 + 1, 4096, PRIV), -EINVAL);
	assert_int_equal(__vm_set_memory_attributes(vm, GPA0, 4097, PRIV), -EINVAL);
	assert_int_equal(sys_ret(tdxsim_ioctl(vm, KVM_SET_MEMORY_ATTRIBUTES,
					      NULL)), -EFAULT);
	/* No private memory in a default VM; "shared" is a no-op. */
	assert_int_equal(__vm_set_memory_attributes(def, GPA0, 4096, PRIV), -EINVAL);
	vm_set_memory_attributes(def, GPA0, 4096, 0);
	/* Nothing changed. */
	assert_false(kvm_mem_is_private(vm_kvm(vm), GFN0));
	assert_int_equal(mmu_stub.pre_set_calls, 0);
	assert_int_equal(tdxsim_close(vm), 0);
	assert_int_equal(tdxsim_close(def), 0);
}

static void test_attr_storage(void **state)
{
	int vm = __vm_create(KVM_X86_SW_PROTECTED_VM);
	struct kvm *kvm = vm_kvm(vm);
	gfn_t g;

	/* No memslot needed to store attributes. */
	vm_set_memory_attributes(vm, 60 * PAGE_SIZE, 10 * PAGE_SIZE, PRIV);
	assert_false(kvm_mem_is_private(kvm, 59));
	for (g = 60; g < 70; g++)
		assert_true(kvm_mem_is_private(kvm, g));
	assert_false(kvm_mem_is_private(kvm, 70));
	assert_int_equal(kvm_get_memory_attributes(kvm, 65), PRIV);

	/* Across 512-gfn nodes and 64-bit words. */
	vm_set_memory_attributes(vm, 500 * PAGE_SIZE, 600 * PAGE_SIZE, PRIV);
	assert_true(kvm_range_has_memory_attributes(kvm, 500, 1100, PRIV,
						    PRIV));
	assert_false(kvm_range_has_memory_attributes(kvm, 499, 1100, PRIV,
						     PRIV));
	assert_false(kvm_range_has_memory_attributes(kvm, 500, 1101, PRIV,
						     PRIV));
	assert_true(kvm_range_has_memory_attributes(kvm, 1100, 5000, PRIV, 0));
	assert_false(kvm_range_has_memory_attributes(kvm, 1000, 5000, PRIV, 0));
	/* Attributes outside the mask never match. */
	assert_false(kvm_range_has_memory_attributes(kvm, 500, 501, 0, PRIV));
	assert_true(kvm_range_has_memory_attributes(kvm, 500, 501, 0, 0));

	/* Back to shared in the middle. */
	vm_set_memory_attributes(vm, 700 * PAGE_SIZE, 4 * PAGE_SIZE, 0);
	assert_true(kvm_mem_is_private(kvm, 699));
	assert_false(kvm_mem_is_private(kvm, 700));
	assert_false(kvm_mem_is_private(kvm, 703));
	assert_true(kvm_mem_is_private(kvm, 704));

	/* High gfns (near the 52-bit limit). */
	vm_set_memory_attributes(vm, (1ULL << 52) - 8192, 8192, PRIV);
	assert_true(kvm_mem_is_private(kvm, (1ULL << 40) - 1));
	assert_false(kvm_mem_is_private(kvm, (1ULL << 40) - 3));

	{
		struct tdxsim_stats st;

		assert_int_equal(tdxsim_ioctl(vm, TDXSIM_GET_STATS, &st), 0);
		assert_int_equal(st.pages_to_private, 10 + 600 + 2);
		assert_int_equal(st.pages_to_shared, 4);
		assert_int_equal(st.conversions, 4);
	}
	/* Without memslots nothing was invalidated. */
	assert_int_equal(mmu_stub.pre_set_calls, 0);
	assert_int_equal(kvm->mmu_invalidate_seq, 0);
	assert_int_equal(tdxsim_close(vm), 0);
}

/* What the MMU saw when asked to zap for an attribute change. */
static struct {
	long in_progress;
	gfn_t start, end;
	bool retry_inside, retry_outside;
	unsigned long seq;
	bool slots_lock_held;
} seen;

static void record_unmap(struct kvm *kvm, struct kvm_gfn_range *range)
{
	seen.in_progress = kvm->mmu_invalidate_in_progress;
	seen.start = kvm->mmu_invalidate_range_start;
	seen.end = kvm->mmu_invalidate_range_end;
	seen.retry_inside = mmu_invalidate_retry_gfn(kvm, seen.seq,
						     range->start);
	seen.retry_outside = mmu_invalidate_retry_gfn(kvm, seen.seq,
						      range->end + 100);
	seen.slots_lock_held = lockdep_is_held(&kvm->slots_lock);
}

static void test_conversion_sequence(void **state)
{
	int vm = __vm_create(KVM_X86_SW_PROTECTED_VM);
	struct kvm *kvm = vm_kvm(vm);
	void *mem = test_alloc(SZ_2M);
	unsigned long seq;

	vm_set_user_memory_region2(vm, 0, 0, GPA0, SZ_2M, (u64)mem, 0, 0);
	mmu_stub_reset();
	memset(&seen, 0, sizeof(seen));
	mmu_stub_unmap_hook = record_unmap;
	seq = kvm->mmu_invalidate_seq;
	seen.seq = seq;

	/* To private: zap the shared (direct) mappings. */
	vm_set_memory_attributes(vm, GPA0 + 4 * PAGE_SIZE, 8 * PAGE_SIZE,
				 PRIV);
	assert_int_equal(mmu_stub.pre_set_calls, 1);
	assert_int_equal(mmu_stub.last_pre_set_filter, KVM_FILTER_SHARED);
	assert_int_equal(mmu_stub.unmap_by_filter[KVM_FILTER_SHARED], 1);
	assert_int_equal(mmu_stub.last_unmap_start, GFN0 + 4);
	assert_int_equal(mmu_stub.last_unmap_end, GFN0 + 12);
	assert_int_equal(mmu_stub.post_set_calls, 1);
	assert_int_equal(mmu_stub.unmap_unlocked, 0);
	/* The zap ran inside the invalidation, with the range added. */
	assert_int_equal(seen.in_progress, 1);
	assert_int_equal(seen.start, GFN0 + 4);
	assert_int_equal(seen.end, GFN0 + 12);
	assert_true(seen.retry_inside);
	assert_false(seen.retry_outside);
	assert_true(seen.slots_lock_held);
	/* One invalidation: the sequence moved once; none in progress. */
	assert_int_equal(kvm->mmu_invalidate_seq, seq + 1);
	assert_int_equal(kvm->mmu_invalidate_in_progress, 0);
	assert_true(mmu_invalidate_retry_gfn_unsafe(kvm, seq, GFN0 + 100));
	assert_false(mmu_invalidate_retry_gfn_unsafe(kvm, seq + 1, GFN0 + 4));

	/* Unchanged: early return, nothing zapped, no invalidation. */
	vm_set_memory_attributes(vm, GPA0 + 4 * PAGE_SIZE, 8 * PAGE_SIZE,
				 PRIV);
	assert_int_equal(mmu_stub.pre_set_calls, 1);
	assert_int_equal(kvm->mmu_invalidate_seq, seq + 1);

	/* To shared: zap the private (mirror) mappings. */
	vm_set_memory_attributes(vm, GPA0 + 6 * PAGE_SIZE, PAGE_SIZE, 0);
	assert_int_equal(mmu_stub.pre_set_calls, 2);
	assert_int_equal(mmu_stub.last_pre_set_filter, KVM_FILTER_PRIVATE);
	assert_int_equal(mmu_stub.unmap_by_filter[KVM_FILTER_PRIVATE], 1);
	assert_int_equal(kvm->mmu_invalidate_seq, seq + 2);
	assert_false(kvm_mem_is_private(kvm, GFN0 + 6));
	assert_true(kvm_mem_is_private(kvm, GFN0 + 7));
	assert_int_equal(tdxsim_close(vm), 0);
	free(mem);
}

static void test_conversion_across_slots(void **state)
{
	int vm = __vm_create(KVM_X86_SW_PROTECTED_VM);
	struct kvm *kvm = vm_kvm(vm);
	void *mem = test_alloc(SZ_2M);
	unsigned long seq;

	vm_set_user_memory_region2(vm, 0, 0, GPA0, 4 * PAGE_SIZE, (u64)mem,
				   0, 0);
	vm_set_user_memory_region2(vm, 1, 0, GPA0 + 8 * PAGE_SIZE,
				   4 * PAGE_SIZE, (u64)mem, 0, 0);
	mmu_stub_reset();
	seq = kvm->mmu_invalidate_seq;
	/* [GFN0+2, GFN0+10): two slot intersections, one invalidation. */
	vm_set_memory_attributes(vm, GPA0 + 2 * PAGE_SIZE, 8 * PAGE_SIZE,
				 PRIV);
	assert_int_equal(mmu_stub.pre_set_calls, 2);
	assert_int_equal(mmu_stub.post_set_calls, 2);
	assert_int_equal(mmu_stub.last_unmap_start, GFN0 + 8);
	assert_int_equal(mmu_stub.last_unmap_end, GFN0 + 10);
	assert_int_equal(kvm->mmu_invalidate_seq, seq + 1);
	/* The gap between the slots is private too. */
	assert_true(kvm_mem_is_private(kvm, GFN0 + 5));
	assert_int_equal(tdxsim_close(vm), 0);
	free(mem);
}

static void test_invalidate_nesting(void **state)
{
	int vm = __vm_create(KVM_X86_SW_PROTECTED_VM);
	struct kvm *kvm = vm_kvm(vm);
	unsigned long seq = kvm->mmu_invalidate_seq;

	write_lock(&kvm->mmu_lock);
	kvm_mmu_invalidate_begin(kvm);
	assert_int_equal(kvm->mmu_invalidate_range_start, INVALID_GPA);
	kvm_mmu_invalidate_range_add(kvm, 100, 200);
	kvm_mmu_invalidate_begin(kvm);
	kvm_mmu_invalidate_range_add(kvm, 50, 60);
	/* Nested: one range covering both. */
	assert_int_equal(kvm->mmu_invalidate_in_progress, 2);
	assert_int_equal(kvm->mmu_invalidate_range_start, 50);
	assert_int_equal(kvm->mmu_invalidate_range_end, 200);
	assert_true(mmu_invalidate_retry_gfn(kvm, seq, 150));
	assert_false(mmu_invalidate_retry_gfn(kvm, seq, 200));
	kvm_mmu_invalidate_end(kvm);
	assert_int_equal(kvm->mmu_invalidate_seq, seq + 1);
	assert_int_equal(kvm->mmu_invalidate_in_progress, 1);
	kvm_mmu_invalidate_end(kvm);
	assert_int_equal(kvm->mmu_invalidate_in_progress, 0);
	write_unlock(&kvm->mmu_lock);
	assert_int_equal(kvm->mmu_invalidate_seq, seq + 2);
	assert_false(mmu_invalidate_retry_gfn_unsafe(kvm, seq + 2, 150));
	/* The protocol asserts mmu_lock held for write. */
	assert_int_equal(lockdep_count_reports(LOCKDEP_ASSERT, NULL), 0);
	assert_int_equal(tdxsim_close(vm), 0);
}

static void test_memory_fault_exit(void **state)
{
	int vm = vm_create_tdx();
	int vcpu = __vm_vcpu_add(vm, 0);
	struct kvm_vcpu *v = vm_kvm(vm)->vcpus[0];
	struct tdxsim_stats st;

	assert_true(vcpu >= 0);
	kvm_prepare_memory_fault_exit(v, GPA0, PAGE_SIZE, true, false, true);
	assert_int_equal(v->run->exit_reason, KVM_EXIT_MEMORY_FAULT);
	assert_int_equal(v->run->memory_fault.flags,
			 KVM_MEMORY_EXIT_FLAG_PRIVATE);
	assert_int_equal(v->run->memory_fault.gpa, GPA0);
	assert_int_equal(v->run->memory_fault.size, PAGE_SIZE);
	kvm_prepare_memory_fault_exit(v, GPA0, PAGE_SIZE, false, false, false);
	assert_int_equal(v->run->memory_fault.flags, 0);
	assert_int_equal(tdxsim_ioctl(vm, TDXSIM_GET_STATS, &st), 0);
	assert_int_equal(st.memory_fault_exits, 2);
	assert_int_equal(tdxsim_close(vcpu), 0);
	assert_int_equal(tdxsim_close(vm), 0);
}

static void test_conversion_splits_huge_folio(void **state)
{
	int vm = __vm_create(KVM_X86_SW_PROTECTED_VM);
	struct kvm *kvm = vm_kvm(vm);
	struct tdxsim_design d;
	void *mem = test_alloc(2 * SZ_2M);
	struct page *page;
	kvm_pfn_t pfn;
	int gmem, order;

	assert_int_equal(tdxsim_ioctl(vm, TDXSIM_GET_DESIGN, &d), 0);
	d.gmem_hugepages = 1;
	assert_int_equal(tdxsim_ioctl(vm, TDXSIM_SET_DESIGN, &d), 0);
	gmem = __vm_create_guest_memfd(vm, 2 * SZ_2M, 0);
	vm_set_user_memory_region2(vm, 0, KVM_MEM_GUEST_MEMFD, GPA0,
				   2 * SZ_2M, (u64)mem, gmem, 0);
	vm_set_memory_attributes(vm, GPA0, 2 * SZ_2M, PRIV);
	assert_int_equal(kvm_gmem_get_pfn(kvm, vm_slot(vm, GFN0), GFN0, &pfn,
					  &page, &order), 0);
	assert_int_equal(order, 9);
	kvm_release_page_clean(page);
	assert_int_equal(kvm_gmem_get_pfn(kvm, vm_slot(vm, GFN0), GFN0 + 512,
					  &pfn, &page, &order), 0);
	kvm_release_page_clean(page);

	/* Converting the whole second 2M keeps it whole. */
	vm_set_memory_attributes(vm, GPA0 + SZ_2M, SZ_2M, 0);
	assert_int_equal(kvm_gmem_peek_folio(fd_file(gmem), 512)->order, 9);
	/* Converting 4K of the first splits it. */
	vm_set_memory_attributes(vm, GPA0 + 3 * PAGE_SIZE, PAGE_SIZE, 0);
	assert_int_equal(kvm_gmem_peek_folio(fd_file(gmem), 0)->order, 0);
	assert_int_equal(kvm_gmem_nr_folios(fd_file(gmem)), 513);
	assert_int_equal(kvm_gmem_get_pfn(kvm, vm_slot(vm, GFN0), GFN0, &pfn,
					  &page, &order), 0);
	assert_int_equal(order, 0);
	kvm_release_page_clean(page);
	assert_int_equal(tdxsim_close(gmem), 0);
	assert_int_equal(tdxsim_close(vm), 0);
	free(mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_attr_arg_checks,
						kvm_test_setup, kvm_test_teardown),
		cmocka_unit_test_setup_teardown(test_attr_storage,
						kvm_test_setup, kvm_test_teardown),
		cmocka_unit_test_setup_teardown(test_conversion_sequence,
						kvm_test_setup, kvm_test_teardown),
		cmocka_unit_test_setup_teardown(test_conversion_across_slots,
						kvm_test_setup, kvm_test_teardown),
		cmocka_unit_test_setup_teardown(test_invalidate_nesting,
						kvm_test_setup, kvm_test_teardown),
		cmocka_unit_test_setup_teardown(test_memory_fault_exit,
						kvm_test_setup, kvm_test_teardown),
		cmocka_unit_test_setup_teardown(test_conversion_splits_huge_folio,
						kvm_test_setup, kvm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
