// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What KVM takes from a guest_memfd (the reference's section 5):
 * kvm_gmem_get_pfn() and its references, a stale slot's binding,
 * kvm_gmem_populate() as 6.19 and as next do it, 2M folios and the folio
 * split of a punch, which waits for transient references under the
 * deterministic scheduler, ends with -EINTR under the free-mode watchdog
 * and hangs on a pinned one. test_gmem.c has the file itself.
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

static void test_delete_slot_then_get_pfn(void **state)
{
	int vm = __vm_create(KVM_X86_SW_PROTECTED_VM);
	int gmem = __vm_create_guest_memfd(vm, SZ_2M, 0);
	struct kvm *kvm = vm_kvm(vm);
	void *mem = test_alloc(SZ_2M);
	struct kvm_memory_slot copy;
	struct page *page;
	kvm_pfn_t pfn;
	int order;

	vm_set_user_memory_region2(vm, 0, KVM_MEM_GUEST_MEMFD, GPA0, SZ_2M,
				   (u64)mem, gmem, 0);
	copy = *vm_slot(vm, GFN0);
	vm_set_user_memory_region2(vm, 0, 0, GPA0, 0, 0, 0, 0);
	/* A stale view of the slot: the binding is gone (-EIO). */
	assert_int_equal(kvm_gmem_get_pfn(kvm, &copy, GFN0, &pfn, &page,
					  &order), -EIO);
	assert_int_equal(tdxsim_close(gmem), 0);
	assert_int_equal(tdxsim_close(vm), 0);
	free(mem);
}

static void test_get_pfn(void **state)
{
	int vm = __vm_create(KVM_X86_SW_PROTECTED_VM);
	int gmem = __vm_create_guest_memfd(vm, SZ_2M, 0);
	struct kvm *kvm = vm_kvm(vm);
	void *mem = test_alloc(SZ_2M);
	struct kvm_memory_slot *slot;
	struct page *page, *page2;
	kvm_pfn_t pfn, pfn2;
	int order = -1;

	vm_set_user_memory_region2(vm, 0, KVM_MEM_GUEST_MEMFD, GPA0, SZ_2M,
				   (u64)mem, gmem, 0);
	slot = vm_slot(vm, GFN0);
	assert_int_equal(kvm_gmem_get_pfn(kvm, slot, GFN0 + 5, &pfn, &page,
					  &order), 0);
	assert_int_equal(order, 0);
	assert_int_equal(pfn, page_to_pfn(page));
	/* The page cache's reference and ours. */
	assert_int_equal(page_ref_count(page), 2);
	assert_true(PageUptodate(page));
	assert_ptr_equal(kvm_gmem_peek_folio(fd_file(gmem), 5), page);
	kvm_release_faultin_page(kvm, page, false, true);
	assert_int_equal(page_ref_count(page), 1);

	/* Same pfn again; a different gfn gets a different page. */
	assert_int_equal(kvm_gmem_get_pfn(kvm, slot, GFN0 + 5, &pfn2, &page2,
					  &order), 0);
	assert_int_equal(pfn2, pfn);
	kvm_release_page_clean(page2);
	assert_int_equal(kvm_gmem_get_pfn(kvm, slot, GFN0 + 6, &pfn2, &page2,
					  &order), 0);
	assert_int_not_equal(pfn2, pfn);
	kvm_release_page_clean(page2);

	/* A punched page is freed once nobody holds it. */
	assert_int_equal(kvm_gmem_get_pfn(kvm, slot, GFN0 + 5, &pfn, &page,
					  &order), 0);
	gmem_fallocate(gmem, FALLOC_FL_KEEP_SIZE |
		       FALLOC_FL_PUNCH_HOLE, 5 * PAGE_SIZE,
		       PAGE_SIZE);
	assert_null(kvm_gmem_peek_folio(fd_file(gmem), 5));
	assert_int_equal(page_ref_count(page), 1);
	kvm_release_page_clean(page);
	assert_int_equal(tdxsim_close(gmem), 0);
	assert_int_equal(tdxsim_close(vm), 0);
	free(mem);
}

struct populate_arg {
	int calls;
	kvm_pfn_t pfn;
	void *src;
	struct page *src_page;
	bool invalidate_lock_held;
	struct address_space *mapping;
};

static int record_populate(struct kvm *kvm, gfn_t gfn, kvm_pfn_t pfn,
			   void *src, struct page *src_page, void *opaque)
{
	struct populate_arg *a = opaque;

	a->calls++;
	a->pfn = pfn;
	a->src = src;
	a->src_page = src_page;
	a->invalidate_lock_held =
		lock_is_held_type(&a->mapping->invalidate_lock.dep_map,
				  LOCK_EXCL);
	return 0;
}

/* 6.19's kvm_gmem_populate(): one lock around the loop, -EEXIST if prepared. */
static void test_populate(void **state)
{
	int vm = __vm_create(KVM_X86_SW_PROTECTED_VM);
	int gmem = (vm_set_kernel(vm, "v6.19"),
		    __vm_create_guest_memfd(vm, SZ_2M, 0));
	struct kvm *kvm = vm_kvm(vm);
	void *mem = test_alloc(SZ_2M);
	char src[2 * 4096];
	struct populate_arg a = { .mapping = fd_file(gmem)->f_mapping };
	struct kvm_memory_slot *slot;
	struct page *page;
	kvm_pfn_t pfn;
	long r;
	int order;

	vm_set_user_memory_region2(vm, 0, KVM_MEM_GUEST_MEMFD, GPA0, SZ_2M,
				   (u64)mem, gmem, 0);
	slot = vm_slot(vm, GFN0);

	mutex_lock(&kvm->slots_lock);
	/* Shared gfn: -EINVAL, nothing done. */
	r = kvm_gmem_populate(kvm, GFN0, src, 1, record_populate, &a);
	assert_int_equal(r, -EINVAL);
	assert_int_equal(a.calls, 0);
	/* No memslot. */
	r = kvm_gmem_populate(kvm, 0, src, 1, record_populate, &a);
	assert_int_equal(r, -EINVAL);
	mutex_unlock(&kvm->slots_lock);

	vm_set_memory_attributes(vm, GPA0, 2 * PAGE_SIZE,
				 KVM_MEMORY_ATTRIBUTE_PRIVATE);
	mutex_lock(&kvm->slots_lock);
	r = kvm_gmem_populate(kvm, GFN0, src, 2, record_populate, &a);
	assert_int_equal(r, 2);
	assert_int_equal(a.calls, 2);
	assert_ptr_equal(a.src, src + 4096);
	assert_true(a.invalidate_lock_held);
	/* Already prepared: -EEXIST. */
	r = kvm_gmem_populate(kvm, GFN0, src, 1, record_populate, &a);
	assert_int_equal(r, -EEXIST);
	/* A shared first gfn stops it at once. */
	r = kvm_gmem_populate(kvm, GFN0 + 2, NULL, 2, record_populate, &a);
	assert_int_equal(r, -EINVAL);
	mutex_unlock(&kvm->slots_lock);

	/* A page prepared by a fault can't be populated either. */
	vm_set_memory_attributes(vm, GPA0 + 2 * PAGE_SIZE, PAGE_SIZE,
				 KVM_MEMORY_ATTRIBUTE_PRIVATE);
	assert_int_equal(kvm_gmem_get_pfn(kvm, slot, GFN0 + 2, &pfn, &page,
					  &order), 0);
	kvm_release_page_clean(page);
	mutex_lock(&kvm->slots_lock);
	r = kvm_gmem_populate(kvm, GFN0 + 2, NULL, 1, record_populate, &a);
	assert_int_equal(r, -EEXIST);
	mutex_unlock(&kvm->slots_lock);
	/* Fresh private pages at the end: the count is clamped to the slot. */
	vm_set_memory_attributes(vm, GPA0, SZ_2M,
				 KVM_MEMORY_ATTRIBUTE_PRIVATE);
	mutex_lock(&kvm->slots_lock);
	r = kvm_gmem_populate(kvm, GFN0 + 510, NULL, 100, record_populate, &a);
	assert_int_equal(r, 2);
	mutex_unlock(&kvm->slots_lock);
	assert_int_equal(tdxsim_close(gmem), 0);
	assert_int_equal(tdxsim_close(vm), 0);
	free(mem);
}

/*
 * 7.0 and next (gmem-6.20): the source is pinned before the invalidate
 * lock and handed to the callback; it must be page aligned (WARN, -EINVAL);
 * a prepared folio is populated again (no preparation tracking).
 */
static void test_populate_next(void **state)
{
	int vm = __vm_create(KVM_X86_SW_PROTECTED_VM);
	int gmem = (vm_set_kernel(vm, "next"),
		    __vm_create_guest_memfd(vm, SZ_2M, 0));
	struct kvm *kvm = vm_kvm(vm);
	void *mem = test_alloc(SZ_2M);
	char *src = test_alloc(3 * 4096);
	struct populate_arg a = { .mapping = fd_file(gmem)->f_mapping };
	unsigned long warns;
	long r;

	vm_set_user_memory_region2(vm, 0, KVM_MEM_GUEST_MEMFD, GPA0, SZ_2M,
				   (u64)mem, gmem, 0);
	vm_set_memory_attributes(vm, GPA0, 2 * PAGE_SIZE,
				 KVM_MEMORY_ATTRIBUTE_PRIVATE);
	mutex_lock(&kvm->slots_lock);
	warns = warn_count();
	r = kvm_gmem_populate(kvm, GFN0, src + 1, 1, record_populate, &a);
	assert_int_equal(r, -EINVAL);
	assert_int_equal(warn_count(), warns + 1);
	assert_int_equal(a.calls, 0);

	r = kvm_gmem_populate(kvm, GFN0, src, 2, record_populate, &a);
	assert_int_equal(r, 2);
	assert_int_equal(a.calls, 2);
	assert_ptr_equal(a.src, src + 4096);
	assert_non_null(a.src_page);
	assert_true(a.invalidate_lock_held);
	/* Prepared already: populated again, no -EEXIST. */
	r = kvm_gmem_populate(kvm, GFN0, src, 1, record_populate, &a);
	assert_int_equal(r, 1);
	assert_int_equal(a.calls, 3);
	mutex_unlock(&kvm->slots_lock);
	assert_int_equal(tdxsim_close(gmem), 0);
	assert_int_equal(tdxsim_close(vm), 0);
	free(src);
	free(mem);
}

static int vm_with_huge_gmem(int *gmem, void **mem)
{
	struct tdxsim_design d;
	int vm = __vm_create(KVM_X86_SW_PROTECTED_VM);

	assert_int_equal(tdxsim_ioctl(vm, TDXSIM_GET_DESIGN, &d), 0);
	d.gmem_hugepages = 1;
	assert_int_equal(tdxsim_ioctl(vm, TDXSIM_SET_DESIGN, &d), 0);
	*gmem = __vm_create_guest_memfd(vm, 2 * SZ_2M + 4 * PAGE_SIZE, 0);
	assert_true(*gmem >= 0);
	*mem = test_alloc(2 * SZ_2M + 4 * PAGE_SIZE);
	vm_set_user_memory_region2(vm, 0, KVM_MEM_GUEST_MEMFD, GPA0,
				   2 * SZ_2M + 4 * PAGE_SIZE, (u64)*mem,
				   *gmem, 0);
	return vm;
}

static void test_huge_folios(void **state)
{
	void *mem;
	int gmem, vm = vm_with_huge_gmem(&gmem, &mem);
	struct kvm *kvm = vm_kvm(vm);
	struct kvm_memory_slot *slot = vm_slot(vm, GFN0);
	struct file *file = fd_file(gmem);
	const int punch = FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE;
	struct page *page, *head;
	struct tdxsim_stats st;
	kvm_pfn_t pfn;
	int order, i;

	/* A 2M-aligned, fully covered 2M: one order-9 folio. */
	assert_int_equal(kvm_gmem_get_pfn(kvm, slot, GFN0 + 7, &pfn, &page,
					  &order), 0);
	assert_int_equal(order, 9);
	head = kvm_gmem_peek_folio(file, 0);
	assert_int_equal(head->order, 9);
	assert_int_equal(pfn, page_to_pfn(head) + 7);
	assert_int_equal(kvm_gmem_nr_folios(file), 1);
	kvm_release_faultin_page(kvm, page, false, false);
	/* The tail of the file has no full 2M: 4K folios. */
	assert_int_equal(kvm_gmem_get_pfn(kvm, slot, GFN0 + 1025, &pfn, &page,
					  &order), 0);
	assert_int_equal(order, 0);
	kvm_release_page_clean(page);

	/* Punching 4K inside the 2M folio splits it, then frees one page. */
	gmem_fallocate(gmem, punch, 8 * PAGE_SIZE, PAGE_SIZE);
	assert_null(kvm_gmem_peek_folio(file, 8));
	assert_int_equal(kvm_gmem_peek_folio(file, 7)->order, 0);
	/* 511 left of the split folio, plus the tail page. */
	assert_int_equal(kvm_gmem_nr_folios(file), 512);
	/* Preparedness survived the split. */
	assert_true(PageUptodate(kvm_gmem_peek_folio(file, 9)));
	assert_int_equal(kvm_gmem_get_pfn(kvm, slot, GFN0 + 7, &pfn, &page,
					  &order), 0);
	assert_int_equal(order, 0);
	kvm_release_page_clean(page);

	/* Punching a whole 2M folio needs no split. */
	gmem_fallocate(gmem, FALLOC_FL_KEEP_SIZE, SZ_2M,
		       SZ_2M);
	assert_int_equal(kvm_gmem_peek_folio(file, 512)->order, 9);
	/* Faulted: every page prepared (and the folio marked so). */
	assert_int_equal(kvm_gmem_get_pfn(kvm, slot, GFN0 + 512, &pfn, &page,
					  &order), 0);
	kvm_release_page_clean(page);
	gmem_fallocate(gmem, punch, SZ_2M, SZ_2M);
	assert_null(kvm_gmem_peek_folio(file, 512));
	/* A new folio there (likely the same pages) is prepared afresh. */
	assert_int_equal(kvm_gmem_get_pfn(kvm, slot, GFN0 + 512 + 3, &pfn,
					  &page, &order), 0);
	assert_int_equal(order, 9);
	head = kvm_gmem_peek_folio(file, 512);
	for (i = 0; i < 512; i++)
		assert_true(PageUptodate(&head[i]));
	kvm_release_page_clean(page);
	gmem_fallocate(gmem, punch, SZ_2M, SZ_2M);
	assert_int_equal(tdxsim_ioctl(vm, TDXSIM_GET_STATS, &st), 0);
	assert_int_equal(st.gmem_folio_splits, 1);
	assert_int_equal(tdxsim_close(gmem), 0);
	assert_int_equal(tdxsim_close(vm), 0);
	free(mem);
}

struct split_arg {
	int gmem;
	struct page *extra;	/* a reference some task holds */
	bool drop_later;	/* the holder drops it */
	int punch_ret;
};

static int punch_task(void *p)
{
	struct split_arg *a = p;

	a->punch_ret = __gmem_fallocate(a->gmem, FALLOC_FL_KEEP_SIZE |
					FALLOC_FL_PUNCH_HOLE, 8 * PAGE_SIZE,
					PAGE_SIZE);
	return 0;
}

static int holder_task(void *p)
{
	struct split_arg *a = p;
	int i;

	for (i = 0; i < 5; i++)
		sched_point();
	kvm_release_page_clean(a->extra);
	return 0;
}

static int split_scenario(void *p)
{
	struct split_arg *a = p;
	struct task *t1, *t2 = NULL;

	t1 = task_create("punch", punch_task, a);
	if (a->drop_later)
		t2 = task_create("holder", holder_task, a);
	task_join(t1);
	if (t2)
		task_join(t2);
	return 0;
}

static void run_split(bool drop_later, u64 seed, struct sched_result *res,
		      struct split_arg *a, int *vmp, void **memp)
{
	struct page *page;
	kvm_pfn_t pfn;
	int order;

	*vmp = vm_with_huge_gmem(&a->gmem, memp);
	assert_int_equal(kvm_gmem_get_pfn(vm_kvm(*vmp), vm_slot(*vmp, GFN0),
					  GFN0 + 100, &pfn, &page, &order), 0);
	assert_int_equal(order, 9);
	a->extra = page;
	a->drop_later = drop_later;
	a->punch_ret = 1;

	*res = sched_run_seed(split_scenario, a, seed, SCHED_STRATEGY_RANDOM);
}

static void test_split_waits_for_transient_ref(void **state)
{
	struct sched_result res;
	struct split_arg a = { 0 };
	u64 seed;

	for (seed = 1; seed <= 8; seed++) {
		void *mem;
		int vm;

		run_split(true, seed, &res, &a, &vm, &mem);
		assert_int_equal(res.verdict, SCHED_OK);
		assert_int_equal(a.punch_ret, 0);
		assert_null(kvm_gmem_peek_folio(fd_file(a.gmem), 8));
		assert_int_equal(kvm_gmem_peek_folio(fd_file(a.gmem), 9)->order,
				 0);
		assert_int_equal(tdxsim_close(a.gmem), 0);
		assert_int_equal(tdxsim_close(vm), 0);
		free(mem);
	}
}

static int punch_only(void *p)
{
	return punch_task(p);
}

static void test_split_watchdog_free_mode(void **state)
{
	struct split_arg a = { 0 };
	struct page *page;
	kvm_pfn_t pfn;
	void *mem;
	int vm, order;

	vm = vm_with_huge_gmem(&a.gmem, &mem);
	assert_int_equal(kvm_gmem_get_pfn(vm_kvm(vm), vm_slot(vm, GFN0),
					  GFN0 + 100, &pfn, &page, &order), 0);
	a.punch_ret = 1;

	/* Free mode: the hung-task watchdog ends the wait with -EINTR. */
	sched_run_free(punch_only, &a, 50);
	assert_int_equal(a.punch_ret, -EINTR);
	/* Nothing was split or freed, and the locks are free again. */
	assert_int_equal(kvm_gmem_peek_folio(fd_file(a.gmem), 8)->order, 9);
	assert_int_equal(vm_kvm(vm)->mmu_invalidate_in_progress, 0);
	kvm_release_page_clean(page);
	gmem_fallocate(a.gmem, FALLOC_FL_KEEP_SIZE |
		       FALLOC_FL_PUNCH_HOLE, 8 * PAGE_SIZE,
		       PAGE_SIZE);
	assert_null(kvm_gmem_peek_folio(fd_file(a.gmem), 8));
	assert_int_equal(tdxsim_close(a.gmem), 0);
	assert_int_equal(tdxsim_close(vm), 0);
	free(mem);
}

/* Kept reachable: the hung run's VM can't be torn down (its locks are held). */
static int hung_vm = -1, hung_gmem = -1;
static void *hung_mem;

static void test_split_hangs_on_pinned_ref(void **state)
{
	struct sched_result res;
	struct split_arg a = { 0 };

	/* A long-lived reference (a pinned S-EPT page): the split never ends. */
	run_split(false, 1, &res, &a, &hung_vm, &hung_mem);
	hung_gmem = a.gmem;
	assert_int_equal(res.verdict, SCHED_HANG);
	assert_int_equal(a.punch_ret, 1);
	assert_true(lockdep_count_reports(LOCKDEP_HANG, NULL) >= 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_delete_slot_then_get_pfn,
						kvm_test_setup, kvm_test_teardown),
		cmocka_unit_test_setup_teardown(test_get_pfn,
						kvm_test_setup, kvm_test_teardown),
		cmocka_unit_test_setup_teardown(test_populate_next,
						kvm_test_setup,
						kvm_test_teardown),
		cmocka_unit_test_setup_teardown(test_populate,
						kvm_test_setup, kvm_test_teardown),
		cmocka_unit_test_setup_teardown(test_huge_folios,
						kvm_test_setup, kvm_test_teardown),
		cmocka_unit_test_setup_teardown(test_split_waits_for_transient_ref,
						kvm_test_setup, kvm_test_teardown),
		cmocka_unit_test_setup_teardown(test_split_watchdog_free_mode,
						kvm_test_setup, kvm_test_teardown),
		/* Last: it leaves its VM's locks held. */
		cmocka_unit_test_setup(test_split_hangs_on_pinned_ref,
				       kvm_test_setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
