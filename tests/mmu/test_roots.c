// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TDP MMU roots as upstream (P619): references, invalidation, zapping.
 *  - kvm_tdp_mmu_invalidate_roots() marks the roots of a type invalid and
 *    schedules them; kvm_tdp_mmu_zap_invalidated_roots() zaps each and puts
 *    the MMU's reference, so a root a vCPU still holds stays listed (invalid)
 *    until the vCPU puts it, and no valid root of that type is left;
 *  - tdp_mmu_zap_root() yields mmu_lock to a waiter (cond_resched under
 *    mmu_lock): under the deterministic scheduler a task waiting for the
 *    write lock gets it while kvm_tdp_mmu_zap_all() is still running, for
 *    some seed (before: never, the zap held the lock throughout);
 *  - the TD still runs and tears down with nothing leaked.
 */
#include <errno.h>
#include <string.h>

#include "kvm/tdp_mmu.h"
#include "testlib/kvm_util_internal.h"
#include "testlib/sched_util.h"

static const char *program = "accept 0x200000 64K level=4k\n"
			     "write 0x200000 64K pattern=3\n"
			     "read 0x200000 64K\n"
			     "read 0x800000 8K\n"
			     "halt\n";

static void td_run_once(struct td *td, const char *prog)
{
	struct td_opts o;

	td_opts_init(&o);
	o.program = prog;
	td_create(td, &o);
	td_populate(td, 0x800000, 2, true, 1);
	td_finalize(td);
	td_run_vcpu(td, 0);
	assert_int_equal(td->last_exit[0], KVM_EXIT_HLT);
	assert_int_equal(tdxsim_guest_data_failures(td->guest), 0);
}

static struct kvm_mmu_page *only_root(struct kvm *kvm, bool mirror,
				      unsigned int *nr)
{
	struct kvm_mmu_page *root, *found = NULL;

	*nr = 0;
	spin_lock(&kvm->arch.tdp_mmu_pages_lock);
	list_for_each_entry(root, &kvm->arch.tdp_mmu_roots, link) {
		if (is_mirror_sp(root) == mirror) {
			found = root;
			(*nr)++;
		}
	}
	spin_unlock(&kvm->arch.tdp_mmu_pages_lock);
	return found;
}

static void test_invalidate_direct_root(void **state)
{
	struct kvm_mmu_page *direct, *mirror;
	struct kvm *kvm;
	unsigned int n;
	struct td td;

	td_run_once(&td, program);
	kvm = vm_kvm(td.vm);
	direct = only_root(kvm, false, &n);
	assert_int_equal(n, 1);
	if (!direct) {
		fail();
		return;
	}
	mirror = kvm_tdp_mmu_find_root(kvm, true);
	assert_non_null(mirror);
	/* The vCPU's reference and the MMU's. */
	assert_int_equal(atomic_read(&direct->tdp_mmu_root_count), 2);

	write_lock(&kvm->mmu_lock);
	kvm_tdp_mmu_invalidate_roots(kvm, KVM_DIRECT_ROOTS);
	assert_true(direct->role.invalid);
	assert_true(direct->tdp_mmu_scheduled_root_to_zap);
	assert_false(mirror->role.invalid);
	write_unlock(&kvm->mmu_lock);
	kvm_tdp_mmu_zap_invalidated_roots(kvm);

	/* Zapped, the MMU's reference put; the vCPU keeps it listed. */
	assert_false(direct->tdp_mmu_scheduled_root_to_zap);
	assert_int_equal(atomic_read(&direct->tdp_mmu_root_count), 1);
	assert_ptr_equal(only_root(kvm, false, &n), direct);
	assert_null(kvm_tdp_mmu_find_root(kvm, false));
	assert_ptr_equal(kvm_tdp_mmu_find_root(kvm, true), mirror);
	assert_false(td_vm_dead(&td));
	td_check(&td);
	td_destroy(&td);
}

struct zap_race {
	struct kvm *kvm;
	bool zap_done;
	bool got_in_during_zap;
};

static int waiter_task(void *p)
{
	struct zap_race *z = p;

	write_lock(&z->kvm->mmu_lock);
	z->got_in_during_zap = !READ_ONCE(z->zap_done);
	write_unlock(&z->kvm->mmu_lock);
	return 0;
}

static int zap_all_task(void *p)
{
	struct zap_race *z = p;
	struct task *t;

	write_lock(&z->kvm->mmu_lock);
	t = task_create("waiter", waiter_task, z);
	/* Let the waiter queue up behind the write lock. */
	while (!rwlock_needbreak(&z->kvm->mmu_lock))
		cond_resched();
	kvm_tdp_mmu_zap_all(z->kvm);
	WRITE_ONCE(z->zap_done, true);
	write_unlock(&z->kvm->mmu_lock);
	return task_join(t);
}

static void test_zap_root_yields(void **state)
{
	struct zap_race z;
	unsigned int got_in = 0;
	u64 seed;
	struct td td;

	td_run_once(&td, program);
	for (seed = 1; seed <= 16; seed++) {
		struct sched_result res;

		memset(&z, 0, sizeof(z));
		z.kvm = vm_kvm(td.vm);
		res = sched_run_seed(zap_all_task, &z, seed,
				     SCHED_STRATEGY_RANDOM);
		assert_int_equal(res.verdict, SCHED_OK);
		assert_int_equal(res.ret, 0);
		got_in += z.got_in_during_zap;
	}
	print_message("# the waiter got mmu_lock during the zap in %u of 16 runs\n",
		      got_in);
	assert_true(got_in > 0);
	assert_false(td_vm_dead(&td));
	td_check(&td);
	td_destroy(&td);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_invalidate_direct_root),
		cmocka_unit_test(test_zap_root_yields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
