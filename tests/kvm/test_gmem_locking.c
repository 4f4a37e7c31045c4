// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The two guest_memfd locking generations under the lock validator:
 * in the in-flight one kvm_gmem_get_pfn() and host faults take the
 * invalidate lock, which makes the 6.16 populate design self-deadlock and
 * creates the mmap_lock AB-BA of seed 000; in the legacy one neither
 * happens. The folio lock is a lockdep class: taken inside the invalidate
 * lock (truncation, populate), so the reverse order is reported, and an
 * order against mmu_lock is checked the same way. Plus a free-mode stress
 * of faults, punches and conversions.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/lockdep.h"
#include "base/page_alloc.h"
#include "base/sched.h"
#include "host/mm.h"
#include "kvm_test.h"
#include "testlib/sched_util.h"

#define GPA0	0x100000000ULL
#define GFN0	(GPA0 >> PAGE_SHIFT)
#define PRIV	KVM_MEMORY_ATTRIBUTE_PRIVATE

struct gmem_vm {
	int vm, gmem;
	void *mem;
	struct kvm *kvm;
	struct kvm_memory_slot *slot;
	struct file *file;
};

static void gmem_vm_create(struct gmem_vm *t, u32 gmem_locking, u64 gmem_flags)
{
	struct tdxsim_design d;

	t->vm = __vm_create(KVM_X86_TDX_VM);
	assert_true(t->vm >= 0);
	assert_int_equal(tdxsim_ioctl(t->vm, TDXSIM_GET_DESIGN, &d), 0);
	d.gmem_locking = gmem_locking;
	assert_int_equal(tdxsim_ioctl(t->vm, TDXSIM_SET_DESIGN, &d), 0);
	tdx_cmd(t->vm, KVM_TDX_INIT_VM, 0, 0);
	t->gmem = __vm_create_guest_memfd(t->vm, SZ_2M, gmem_flags);
	assert_true(t->gmem >= 0);
	t->mem = test_alloc(SZ_2M);
	vm_set_user_memory_region2(t->vm, 0, KVM_MEM_GUEST_MEMFD, GPA0, SZ_2M,
				   (u64)t->mem, t->gmem, 0);
	vm_set_memory_attributes(t->vm, GPA0, SZ_2M, PRIV);
	t->kvm = vm_kvm(t->vm);
	t->slot = vm_slot(t->vm, GFN0);
	t->file = fd_file(t->gmem);
}

static void gmem_vm_destroy(struct gmem_vm *t)
{
	assert_int_equal(tdxsim_close(t->gmem), 0);
	assert_int_equal(tdxsim_close(t->vm), 0);
	free(t->mem);
}

/* 6.16 populate: get_pfn under the exclusively held invalidate lock. */
static int get_pfn_under_invalidate_lock(void *p)
{
	struct gmem_vm *t = p;
	struct page *page;
	kvm_pfn_t pfn;
	int order, r;

	filemap_invalidate_lock(t->file->f_mapping);
	r = kvm_gmem_get_pfn(t->kvm, t->slot, GFN0, &pfn, &page, &order);
	if (!r)
		kvm_release_page_clean(page);
	filemap_invalidate_unlock(t->file->f_mapping);
	return r;
}

static void test_legacy_get_pfn_takes_no_lock(void **state)
{
	struct gmem_vm t;
	struct sched_result res;

	gmem_vm_create(&t, TDXSIM_GMEM_LOCKING_LEGACY, 0);
	lockdep_set_quiet(true);
	res = sched_run_seed(get_pfn_under_invalidate_lock, &t, 1,
			     SCHED_STRATEGY_RANDOM);
	lockdep_set_quiet(false);
	assert_int_equal(res.verdict, SCHED_OK);
	assert_int_equal(res.ret, 0);
	assert_int_equal(lockdep_count_reports(LOCKDEP_RECURSIVE, NULL), 0);
	gmem_vm_destroy(&t);
}

/* The in-flight run leaves its TD's invalidate lock held: keep it reachable. */
static struct gmem_vm inflight_td;

static void test_inflight_get_pfn_self_deadlock(void **state)
{
	struct sched_result res;

	gmem_vm_create(&inflight_td, TDXSIM_GMEM_LOCKING_INFLIGHT, 0);
	lockdep_set_quiet(true);
	res = sched_run_seed(get_pfn_under_invalidate_lock, &inflight_td, 1,
			     SCHED_STRATEGY_RANDOM);
	lockdep_set_quiet(false);
	assert_int_equal(res.verdict, SCHED_DEADLOCK);
	assert_int_equal(lockdep_count_reports(LOCKDEP_RECURSIVE,
					       GMEM_INVALIDATE_LOCK_NAME), 1);
}

/*
 * Seed 000's AB-BA: a host fault on the guest_memfd mapping (mmap_lock ->
 * invalidate lock, in-flight only), then the 6.16/6.19 populate order
 * (invalidate lock -> GUP's mmap_lock).
 */
static void host_fault_then_gup_in_lock(struct gmem_vm *t)
{
	u8 *map, buf[8];
	struct page *pg;
	u8 *src = test_alloc(PAGE_SIZE);

	map = tdxsim_mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED,
			  t->gmem, 0);
	assert_ptr_not_equal(map, MAP_FAILED);
	/* Private memory: the access is a SIGBUS either way. */
	assert_int_equal(tdxsim_gmem_host_access(map, buf, sizeof(buf), false),
			 -EFAULT);

	filemap_invalidate_lock(t->file->f_mapping);
	assert_int_equal(get_user_pages_fast((unsigned long)src, 1, 0, &pg), 1);
	put_page(pg);
	filemap_invalidate_unlock(t->file->f_mapping);

	assert_int_equal(tdxsim_munmap(map, SZ_2M), 0);
	free(src);
}

static void test_mmap_lock_abba(void **state)
{
	const char *classes;
	struct gmem_vm t;

	lockdep_set_quiet(true);
	gmem_vm_create(&t, TDXSIM_GMEM_LOCKING_LEGACY, GUEST_MEMFD_FLAG_MMAP);
	host_fault_then_gup_in_lock(&t);
	assert_int_equal(lockdep_count_reports(LOCKDEP_CIRCULAR, NULL), 0);
	gmem_vm_destroy(&t);

	lockdep_reset();
	gmem_vm_create(&t, TDXSIM_GMEM_LOCKING_INFLIGHT, GUEST_MEMFD_FLAG_MMAP);
	host_fault_then_gup_in_lock(&t);
	lockdep_set_quiet(false);
	assert_int_equal(lockdep_count_reports(LOCKDEP_CIRCULAR,
					       "&mm->mmap_lock"), 1);
	assert_int_equal(lockdep_count_reports(LOCKDEP_CIRCULAR,
					       GMEM_INVALIDATE_LOCK_NAME), 1);
	classes = lockdep_get_report(0)->classes;
	assert_non_null(strstr(classes, "mmap_lock"));
	gmem_vm_destroy(&t);
}

/* A fault's kvm_gmem_get_pfn() of @gfn: the folio, locked then unlocked. */
static struct page *fault_folio(struct gmem_vm *t, gfn_t gfn)
{
	struct page *page;
	kvm_pfn_t pfn;
	int order;

	assert_int_equal(kvm_gmem_get_pfn(t->kvm, t->slot, gfn, &pfn, &page,
					  &order), 0);
	assert_false(PageLocked(page));
	kvm_release_page_clean(page);
	return kvm_gmem_peek_folio(t->file, gfn - GFN0);
}

static void test_folio_lock_order(void **state)
{
	struct address_space *mapping;
	struct gmem_vm t;
	struct page *head;

	lockdep_set_quiet(true);
	gmem_vm_create(&t, TDXSIM_GMEM_LOCKING_LEGACY, 0);
	mapping = t.file->f_mapping;
	/* A punch truncates with the folio locked: invalidate lock -> folio. */
	fault_folio(&t, GFN0);
	assert_int_equal(__gmem_fallocate(t.gmem, FALLOC_FL_KEEP_SIZE |
					  FALLOC_FL_PUNCH_HOLE, 0, PAGE_SIZE),
			 0);
	assert_null(kvm_gmem_peek_folio(t.file, 0));
	assert_int_equal(lockdep_count_reports(LOCKDEP_CIRCULAR, NULL), 0);

	/* The reverse order: reported before anything blocks. */
	head = fault_folio(&t, GFN0 + 1);
	assert_non_null(head);
	folio_lock(head);
	filemap_invalidate_lock_shared(mapping);
	filemap_invalidate_unlock_shared(mapping);
	folio_unlock(head);
	assert_int_equal(lockdep_count_reports(LOCKDEP_CIRCULAR, "folio_lock"),
			 1);
	assert_int_equal(lockdep_count_reports(LOCKDEP_CIRCULAR,
					       GMEM_INVALIDATE_LOCK_NAME), 1);

	/* Against mmu_lock: one order, then the other. */
	lockdep_reset();
	folio_lock(head);
	read_lock(&t.kvm->mmu_lock);
	read_unlock(&t.kvm->mmu_lock);
	folio_unlock(head);
	assert_int_equal(lockdep_count_reports(LOCKDEP_CIRCULAR, NULL), 0);
	write_lock(&t.kvm->mmu_lock);
	folio_lock(head);
	folio_unlock(head);
	write_unlock(&t.kvm->mmu_lock);
	lockdep_set_quiet(false);
	assert_int_equal(lockdep_count_reports(LOCKDEP_CIRCULAR, "folio_lock"),
			 1);
	assert_int_equal(lockdep_count_reports(LOCKDEP_CIRCULAR,
					       "&kvm->mmu_lock"), 1);
	gmem_vm_destroy(&t);
}

/* ---- free-mode stress: faults vs. punches vs. conversions ---- */

struct stress {
	struct gmem_vm t;
	int iterations;
	int faults_ok;
	int fault_errors;
};

static int fault_task(void *p)
{
	struct stress *s = p;
	int i;

	for (i = 0; i < s->iterations; i++) {
		struct page *page;
		kvm_pfn_t pfn;
		int order, idx, r;
		unsigned long seq;

		idx = srcu_read_lock(&s->t.kvm->srcu);
		seq = kvm_mmu_invalidate_seq_read(s->t.kvm);
		r = kvm_gmem_get_pfn(s->t.kvm, s->t.slot, GFN0 + (i % 16), &pfn,
				     &page, &order);
		if (!r) {
			/* The fault path's recheck under mmu_lock. */
			read_lock(&s->t.kvm->mmu_lock);
			(void)mmu_invalidate_retry_gfn(s->t.kvm, seq,
						       GFN0 + (i % 16));
			read_unlock(&s->t.kvm->mmu_lock);
			kvm_release_faultin_page(s->t.kvm, page, false, true);
			__atomic_fetch_add(&s->faults_ok, 1, __ATOMIC_RELAXED);
		} else {
			__atomic_fetch_add(&s->fault_errors, 1,
					   __ATOMIC_RELAXED);
		}
		srcu_read_unlock(&s->t.kvm->srcu, idx);
		task_work_run();
	}
	return 0;
}

static int punch_task(void *p)
{
	struct stress *s = p;
	int i;

	for (i = 0; i < s->iterations / 4; i++) {
		u64 off = (i % 16) * PAGE_SIZE;

		if (__gmem_fallocate(s->t.gmem, FALLOC_FL_KEEP_SIZE |
				     FALLOC_FL_PUNCH_HOLE, off, PAGE_SIZE))
			return -1;
	}
	return 0;
}

static int convert_task(void *p)
{
	struct stress *s = p;
	int i;

	for (i = 0; i < s->iterations / 4; i++) {
		u64 gpa = GPA0 + (i % 16) * PAGE_SIZE;

		if (__vm_set_memory_attributes(s->t.vm, gpa, PAGE_SIZE, (i & 1) ? PRIV : 0))
			return -1;
	}
	return 0;
}

static void stress(u32 gmem_locking)
{
	struct stress s = { .iterations = 400 };
	struct task *t[4];
	u64 index = 0;
	struct page *head;
	int i;

	gmem_vm_create(&s.t, gmem_locking, 0);
	t[0] = task_create("fault0", fault_task, &s);
	t[1] = task_create("fault1", fault_task, &s);
	t[2] = task_create("punch", punch_task, &s);
	t[3] = task_create("convert", convert_task, &s);
	for (i = 0; i < 4; i++)
		assert_int_equal(task_join(t[i]), 0);
	assert_int_equal(s.faults_ok, 2 * s.iterations);
	assert_int_equal(s.t.kvm->mmu_invalidate_in_progress, 0);
	/* Every cached folio is back to the page cache's one reference. */
	while ((head = kvm_gmem_peek_folio(s.t.file, index)) || index < 512) {
		if (head)
			assert_int_equal(page_ref_count(head), 1);
		index++;
	}
	assert_int_equal(lockdep_count_reports(LOCKDEP_CIRCULAR, NULL), 0);
	assert_int_equal(lockdep_count_reports(LOCKDEP_RECURSIVE, NULL), 0);
	gmem_vm_destroy(&s.t);
}

/*
 * Free mode: folio_unlock() wakes the queue only for a folio a task waits
 * for (PG_waiters); a waiter marks the folio before it sleeps, so its wake
 * is never missed (a missed one ends in the hang watchdog's report).
 */
static struct page *waited_folio;

static int folio_waiter(void *arg)
{
	folio_lock(waited_folio);
	folio_unlock(waited_folio);
	return 0;
}

static int folio_holder(void *arg)
{
	struct task *t;

	folio_lock(waited_folio);
	t = task_create("waiter", folio_waiter, NULL);
	while (!page_flag_test(waited_folio, PG_waiters))
		usleep(1000);
	folio_unlock(waited_folio);
	task_join(t);
	return 0;
}

static void test_folio_unlock_wakes_waiter(void **state)
{
	waited_folio = alloc_page();
	assert_non_null(waited_folio);
	lockdep_reset();
	assert_int_equal(sched_run_free(folio_holder, NULL, 5000).verdict,
			 SCHED_OK);
	assert_int_equal(lockdep_count_reports(LOCKDEP_HANG, NULL), 0);
	assert_false(page_flag_test(waited_folio, PG_waiters));
	assert_false(PageLocked(waited_folio));
	__free_page(waited_folio);
}

static void test_stress_legacy(void **state)
{
	stress(TDXSIM_GMEM_LOCKING_LEGACY);
}

static void test_stress_inflight(void **state)
{
	stress(TDXSIM_GMEM_LOCKING_INFLIGHT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_legacy_get_pfn_takes_no_lock,
						kvm_test_setup, kvm_test_teardown),
		cmocka_unit_test_setup_teardown(test_mmap_lock_abba,
						kvm_test_setup, kvm_test_teardown),
		cmocka_unit_test_setup_teardown(test_folio_lock_order,
						kvm_test_setup, kvm_test_teardown),
		cmocka_unit_test_setup_teardown(test_folio_unlock_wakes_waiter,
						kvm_test_setup, kvm_test_teardown),
		cmocka_unit_test_setup_teardown(test_stress_legacy,
						kvm_test_setup, kvm_test_teardown),
		cmocka_unit_test_setup_teardown(test_stress_inflight,
						kvm_test_setup, kvm_test_teardown),
		/* Last: it leaves its TD's invalidate lock held. */
		cmocka_unit_test_setup(test_inflight_get_pfn_self_deadlock,
				       kvm_test_setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
