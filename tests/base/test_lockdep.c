// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The lock validator: cycles are reported from the order alone, before any
 * deadlock happens; recursion, bad unlocks, exits with locks held and failed
 * assertions are reported; correct orders stay silent.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/lock.h"
#include "base/lockdep.h"
#include "base/log.h"
#include "base/sched.h"

/* More than the validator's held-lock stack (MAX_LOCK_DEPTH, 48). */
#define MAX_HELD	60

static int setup(void **state)
{
	lockdep_reset();
	lockdep_set_quiet(true);
	return 0;
}

static int teardown(void **state)
{
	lockdep_set_quiet(false);
	lockdep_reset();
	return 0;
}

static const struct lockdep_report *last_report(enum lockdep_report_kind k)
{
	const struct lockdep_report *r, *found = NULL;
	unsigned int i;

	for (i = 0; (r = lockdep_get_report(i)); i++)
		if (r->kind == k)
			found = r;
	return found;
}

/* Two locks named like kernel locks, so the reports read like the kernel's. */
struct vm {
	struct mutex slots_lock;
	struct rw_semaphore invalidate_lock;
	struct mutex lock;
	rwlock_t mmu_lock;
};

static void vm_init(struct vm *vm)
{
	mutex_init(&vm->slots_lock);
	init_rwsem(&vm->invalidate_lock);
	mutex_init(&vm->lock);
	rwlock_init(&vm->mmu_lock);
}

static void vm_destroy(struct vm *vm)
{
	mutex_destroy(&vm->slots_lock);
	rwsem_destroy(&vm->invalidate_lock);
	mutex_destroy(&vm->lock);
	rwlock_destroy(&vm->mmu_lock);
}

static struct vm *the_vm;

static int order_ab(void *arg)
{
	mutex_lock(&the_vm->slots_lock);
	down_write(&the_vm->invalidate_lock);
	up_write(&the_vm->invalidate_lock);
	mutex_unlock(&the_vm->slots_lock);
	return 0;
}

static int order_ba(void *arg)
{
	down_read(&the_vm->invalidate_lock);
	mutex_lock(&the_vm->slots_lock);
	mutex_unlock(&the_vm->slots_lock);
	up_read(&the_vm->invalidate_lock);
	return 0;
}

/* AB in one thread, BA in another, never at the same time: still reported. */
static void test_abba_two_threads_free_mode(void **state)
{
	struct vm vm;
	struct task *t;
	const struct lockdep_report *r;

	vm_init(&vm);
	the_vm = &vm;
	t = task_create("vcpu0", order_ab, NULL);
	assert_int_equal(task_join(t), 0);
	assert_int_equal(lockdep_count_reports(LOCKDEP_CIRCULAR, NULL), 0);
	/* Strictly after the first thread finished: no deadlock can happen. */
	t = task_create("vcpu1", order_ba, NULL);
	assert_int_equal(task_join(t), 0);

	assert_int_equal(lockdep_count_reports(LOCKDEP_CIRCULAR, NULL), 1);
	assert_int_equal(lockdep_count_reports(LOCKDEP_CIRCULAR,
					       "&vm->slots_lock"), 1);
	assert_int_equal(lockdep_count_reports(LOCKDEP_CIRCULAR,
					       "&vm->invalidate_lock"), 1);
	r = last_report(LOCKDEP_CIRCULAR);
	assert_non_null(r);
	assert_non_null(strstr(r->text, "WARNING: possible circular locking dependency detected"));
	assert_non_null(strstr(r->text, "Possible unsafe locking scenario"));
	assert_non_null(strstr(r->text, "*** DEADLOCK ***"));
	assert_non_null(strstr(r->text, "vcpu1/"));
	/* The chain names the site that created the old edge, in the other thread. */
	assert_non_null(strstr(r->text, "order_ab"));
	assert_non_null(strstr(r->text, "vcpu0/"));
	/* Held locks of the reporting thread. */
	assert_non_null(strstr(r->text, "1 lock held by vcpu1/"));

	/* The same cycle again is not reported twice. */
	t = task_create("vcpu2", order_ba, NULL);
	assert_int_equal(task_join(t), 0);
	assert_int_equal(lockdep_count_reports(LOCKDEP_CIRCULAR, NULL), 1);
	vm_destroy(&vm);
}

static struct mutex ma, mb, mc;

static int take_ab(void *arg)
{
	mutex_lock(&ma);
	mutex_lock(&mb);
	mutex_unlock(&mb);
	mutex_unlock(&ma);
	return 0;
}

static int take_bc(void *arg)
{
	mutex_lock(&mb);
	mutex_lock(&mc);
	mutex_unlock(&mc);
	mutex_unlock(&mb);
	return 0;
}

static int take_ca(void *arg)
{
	mutex_lock(&mc);
	mutex_lock(&ma);
	mutex_unlock(&ma);
	mutex_unlock(&mc);
	return 0;
}

static void test_three_lock_cycle(void **state)
{
	const struct lockdep_report *r;

	mutex_init(&ma);
	mutex_init(&mb);
	mutex_init(&mc);
	assert_int_equal(task_join(task_create("t0", take_ab, NULL)), 0);
	assert_int_equal(task_join(task_create("t1", take_bc, NULL)), 0);
	assert_int_equal(lockdep_count_reports(LOCKDEP_CIRCULAR, NULL), 0);
	assert_int_equal(task_join(task_create("t2", take_ca, NULL)), 0);
	assert_int_equal(lockdep_count_reports(LOCKDEP_CIRCULAR, NULL), 1);
	r = last_report(LOCKDEP_CIRCULAR);
	assert_non_null(strstr(r->classes, "&ma"));
	assert_non_null(strstr(r->classes, "&mb"));
	assert_non_null(strstr(r->classes, "&mc"));
	assert_non_null(strstr(r->text, "Chain exists of"));
	mutex_destroy(&ma);
	mutex_destroy(&mb);
	mutex_destroy(&mc);
}

static void test_correct_nesting_is_silent(void **state)
{
	struct vm vm;
	int i;

	vm_init(&vm);
	for (i = 0; i < 3; i++) {
		mutex_lock(&vm.lock);
		mutex_lock(&vm.slots_lock);
		down_write(&vm.invalidate_lock);
		write_lock(&vm.mmu_lock);
		write_unlock(&vm.mmu_lock);
		up_write(&vm.invalidate_lock);
		down_read(&vm.invalidate_lock);
		read_lock(&vm.mmu_lock);
		read_unlock(&vm.mmu_lock);
		up_read(&vm.invalidate_lock);
		mutex_unlock(&vm.slots_lock);
		mutex_unlock(&vm.lock);
	}
	assert_int_equal(lockdep_nr_reports(), 0);
	assert_true(lockdep_nr_edges() >= 3);
	vm_destroy(&vm);
}

/* kvm_gmem_populate() holds the invalidate lock; get_pfn takes it shared. */
static void test_read_recursion_on_rwsem_held_for_write(void **state)
{
	struct vm vm;
	const struct lockdep_report *r;

	vm_init(&vm);
	down_write(&vm.invalidate_lock);
	assert_true(down_read_trylock(&vm.invalidate_lock) == false);
	/* A trylock is not a recursion report. */
	assert_int_equal(lockdep_count_reports(LOCKDEP_RECURSIVE, NULL), 0);
	up_write(&vm.invalidate_lock);

	/*
	 * Report the attempt (the real acquisition would deadlock): drive the
	 * validator hook directly, as the lock would just before blocking.
	 */
	down_write(&vm.invalidate_lock);
	lock_acquire(&vm.invalidate_lock.dep_map, LOCK_SHARED, false, NULL,
		     LOCK_SITE_HERE);
	up_write(&vm.invalidate_lock);
	assert_int_equal(lockdep_count_reports(LOCKDEP_RECURSIVE,
					       "&vm->invalidate_lock"), 1);
	r = last_report(LOCKDEP_RECURSIVE);
	assert_non_null(strstr(r->text, "WARNING: possible recursive locking detected"));
	assert_non_null(strstr(r->text, "{write}"));
	assert_non_null(strstr(r->text, "{read}"));
	vm_destroy(&vm);
}

static void test_read_recursion_on_rwsem_held_for_read(void **state)
{
	struct vm vm;

	vm_init(&vm);
	down_read(&vm.invalidate_lock);
	/* Nobody waits, so this one succeeds, but lockdep still warns. */
	down_read(&vm.invalidate_lock);
	up_read(&vm.invalidate_lock);
	up_read(&vm.invalidate_lock);
	assert_int_equal(lockdep_count_reports(LOCKDEP_RECURSIVE,
					       "&vm->invalidate_lock"), 1);
	vm_destroy(&vm);
}

static void test_srcu_nesting_ok_but_sync_inside_reported(void **state)
{
	struct srcu_struct srcu;
	int i1, i2;

	init_srcu_struct(&srcu);
	i1 = srcu_read_lock(&srcu);
	i2 = srcu_read_lock(&srcu);
	srcu_read_unlock(&srcu, i2);
	assert_int_equal(lockdep_nr_reports(), 0);
	synchronize_srcu(&srcu);	/* would wait for ourselves forever */
	assert_int_equal(lockdep_count_reports(LOCKDEP_RECURSIVE, "&srcu"),
			 1);
	srcu_read_unlock(&srcu, i1);
	synchronize_srcu(&srcu);	/* fine now */
	cleanup_srcu_struct(&srcu);
}

static void test_bad_unlock(void **state)
{
	struct mutex m;
	const struct lockdep_report *r;

	mutex_init(&m);
	mutex_unlock(&m);
	assert_int_equal(lockdep_count_reports(LOCKDEP_BAD_UNLOCK, "&m"), 1);
	r = last_report(LOCKDEP_BAD_UNLOCK);
	assert_non_null(strstr(r->text, "WARNING: bad unlock balance detected!"));
	assert_non_null(strstr(r->text, "test_bad_unlock"));
	/* The lock still works afterwards. */
	mutex_lock(&m);
	assert_true(mutex_is_locked(&m));
	mutex_unlock(&m);
	assert_false(mutex_is_locked(&m));
	mutex_destroy(&m);
}

static struct mutex leaked;

static int exit_holding(void *arg)
{
	mutex_lock(&leaked);
	return 0;
}

static void test_exit_with_locks_held(void **state)
{
	const struct lockdep_report *r;

	mutex_init(&leaked);
	assert_int_equal(task_join(task_create("leaker", exit_holding, NULL)),
			 0);
	assert_int_equal(lockdep_count_reports(LOCKDEP_HELD_AT_EXIT, NULL),
			 1);
	r = last_report(LOCKDEP_HELD_AT_EXIT);
	assert_non_null(strstr(r->text, "leaker/"));
	assert_non_null(strstr(r->text, "&leaked"));
	assert_non_null(strstr(r->text, "exit_holding"));
}

static void test_asserts(void **state)
{
	struct vm vm;

	vm_init(&vm);
	lockdep_assert_held(&vm.mmu_lock);
	assert_int_equal(lockdep_count_reports(LOCKDEP_ASSERT,
					       "&vm->mmu_lock"), 1);
	read_lock(&vm.mmu_lock);
	lockdep_assert_held(&vm.mmu_lock);
	lockdep_assert_held_read(&vm.mmu_lock);
	assert_int_equal(lockdep_count_reports(LOCKDEP_ASSERT, NULL), 1);
	lockdep_assert_held_write(&vm.mmu_lock);
	assert_int_equal(lockdep_count_reports(LOCKDEP_ASSERT, NULL), 2);
	read_unlock(&vm.mmu_lock);
	write_lock(&vm.mmu_lock);
	lockdep_assert_held_write(&vm.mmu_lock);
	lockdep_assert_held_read(&vm.mmu_lock);
	assert_int_equal(lockdep_count_reports(LOCKDEP_ASSERT, NULL), 3);
	write_unlock(&vm.mmu_lock);
	mutex_lock(&vm.lock);
	lockdep_assert_not_held(&vm.lock);
	assert_int_equal(lockdep_count_reports(LOCKDEP_ASSERT, NULL), 4);
	mutex_unlock(&vm.lock);
	vm_destroy(&vm);
}

/* A recursive reader inside a reader is fine; inside a writer it is not. */
static void test_strong_cycle_rules(void **state)
{
	struct srcu_struct srcu;
	struct mutex m;
	int idx;

	init_srcu_struct(&srcu);
	mutex_init(&m);
	/* srcu(R) -> m, and m -> srcu(R): not a strong cycle. */
	idx = srcu_read_lock(&srcu);
	mutex_lock(&m);
	mutex_unlock(&m);
	srcu_read_unlock(&srcu, idx);
	mutex_lock(&m);
	idx = srcu_read_lock(&srcu);
	srcu_read_unlock(&srcu, idx);
	mutex_unlock(&m);
	assert_int_equal(lockdep_count_reports(LOCKDEP_CIRCULAR, NULL), 0);
	/* But synchronize_srcu() under m closes a real one: m -> srcu(W). */
	mutex_lock(&m);
	synchronize_srcu(&srcu);
	mutex_unlock(&m);
	assert_int_equal(lockdep_count_reports(LOCKDEP_CIRCULAR, "&m"), 1);
	mutex_destroy(&m);
	cleanup_srcu_struct(&srcu);
}

/* --- nest_lock ------------------------------------------------------------------ */

#define NR_NESTED	256

struct nvcpu {
	struct mutex mutex;
};

static void nvcpus_init(struct nvcpu *v, int n)
{
	int i;

	/* One call site: one class, as every vcpu->mutex in kvm_main.c. */
	for (i = 0; i < n; i++)
		mutex_init(&v[i].mutex);
}

static void nvcpus_destroy(struct nvcpu *v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		mutex_destroy(&v[i].mutex);
}

/*
 * kvm_lock_all_vcpus(): 256 instances of one class under kvm->lock take one
 * held-lock slot (far below MAX_LOCK_DEPTH), no recursion report, and the
 * validator stays on and keeps working for the locks taken after them.
 */
static void test_nest_lock_many_instances(void **state)
{
	static struct nvcpu v[NR_NESTED];
	struct vm vm;
	int i;

	vm_init(&vm);
	nvcpus_init(v, NR_NESTED);
	mutex_lock(&vm.lock);
	for (i = 0; i < NR_NESTED; i++)
		assert_int_equal(mutex_lock_killable_nest_lock(&v[i].mutex,
							       &vm.lock), 0);
	mutex_lock(&vm.slots_lock);
	assert_true(lockdep_enabled());
	assert_int_equal(lockdep_nr_reports(), 0);
	/* kvm->lock, one slot for all the vCPU mutexes, slots_lock. */
	assert_int_equal(lockdep_task_depth(NULL), 3);
	lockdep_assert_held(&v[0].mutex);
	lockdep_assert_held(&v[NR_NESTED - 1].mutex);
	lockdep_assert_held(&vm.slots_lock);
	assert_int_equal(lockdep_count_reports(LOCKDEP_ASSERT, NULL), 0);
	/* Edges are still recorded from the top of the stack. */
	write_lock(&vm.mmu_lock);
	write_unlock(&vm.mmu_lock);
	mutex_unlock(&vm.slots_lock);
	for (i = 0; i < NR_NESTED; i++) {
		mutex_unlock(&v[i].mutex);
		assert_false(mutex_is_locked(&v[i].mutex));
	}
	assert_int_equal(lockdep_task_depth(NULL), 1);
	mutex_unlock(&vm.lock);
	assert_int_equal(lockdep_task_depth(NULL), 0);
	assert_int_equal(lockdep_nr_reports(), 0);

	/* A vCPU mutex released twice is still a bad unlock. */
	mutex_lock(&vm.lock);
	mutex_lock_nest_lock(&v[0].mutex, &vm.lock);
	mutex_lock_nest_lock(&v[1].mutex, &vm.lock);
	mutex_unlock(&v[0].mutex);
	mutex_unlock(&v[1].mutex);
	mutex_unlock(&v[1].mutex);
	assert_int_equal(lockdep_count_reports(LOCKDEP_BAD_UNLOCK, NULL), 1);
	mutex_unlock(&vm.lock);
	assert_false(mutex_is_locked(&v[1].mutex));
	nvcpus_destroy(v, NR_NESTED);
	vm_destroy(&vm);
}

/* The same without the nest lock held: recursion, and the nest is named. */
static void test_nest_lock_not_held(void **state)
{
	struct nvcpu v[2];
	struct vm vm;
	const struct lockdep_report *r;

	vm_init(&vm);
	nvcpus_init(v, 2);
	mutex_lock_nest_lock(&v[0].mutex, &vm.lock);
	assert_int_equal(lockdep_count_reports(LOCKDEP_ASSERT, "&vm->lock"),
			 1);
	r = last_report(LOCKDEP_ASSERT);
	assert_non_null(strstr(r->text, "WARNING: Nested lock was not taken"));
	mutex_lock_nest_lock(&v[1].mutex, &vm.lock);
	assert_int_equal(lockdep_count_reports(LOCKDEP_RECURSIVE,
					       "&v[i].mutex"), 1);
	mutex_unlock(&v[1].mutex);
	mutex_unlock(&v[0].mutex);
	assert_int_equal(lockdep_count_reports(LOCKDEP_BAD_UNLOCK, NULL), 0);
	nvcpus_destroy(v, 2);
	vm_destroy(&vm);
}

/*
 * More held locks than the held-lock stack has slots: the kernel's answer,
 * one "MAX_LOCK_DEPTH too low" report and the validator off for the
 * process; the locks themselves keep working (no bogus bad-unlock report
 * leaving a lock taken), and lockdep_reset() switches the validator back on.
 */
static void test_held_lock_stack_overflow(void **state)
{
	static struct nvcpu v[MAX_HELD];
	const struct lockdep_report *r;
	int i;

	nvcpus_init(v, MAX_HELD);
	for (i = 0; i < MAX_HELD; i++)
		mutex_lock(&v[i].mutex);	/* no nest lock: recursion */
	assert_int_equal(lockdep_count_reports(LOCKDEP_RECURSIVE, NULL), 1);
	assert_int_equal(lockdep_count_reports(LOCKDEP_BUG, NULL), 1);
	r = last_report(LOCKDEP_BUG);
	assert_non_null(strstr(r->text, "BUG: MAX_LOCK_DEPTH too low!"));
	assert_non_null(strstr(r->text, "turning off the locking correctness validator"));
	assert_false(lockdep_enabled());
	assert_string_equal(lockdep_state_name(), "off-after-bug");
	for (i = MAX_HELD - 1; i >= 0; i--)
		mutex_unlock(&v[i].mutex);
	for (i = 0; i < MAX_HELD; i++)
		assert_false(mutex_is_locked(&v[i].mutex));
	assert_int_equal(lockdep_count_reports(LOCKDEP_BAD_UNLOCK, NULL), 0);
	assert_int_equal(lockdep_count_reports(LOCKDEP_BUG, NULL), 1);
	assert_int_equal(lockdep_task_depth(NULL), 0);

	lockdep_reset();
	assert_true(lockdep_enabled());
	assert_int_equal(lockdep_task_depth(NULL), 0);
	mutex_lock(&v[0].mutex);
	assert_int_equal(lockdep_task_depth(NULL), 1);
	mutex_unlock(&v[0].mutex);
	assert_int_equal(lockdep_nr_reports(), 0);
	nvcpus_destroy(v, MAX_HELD);
}

/* --- acquisition counts per class ---------------------------------------------- */

static rwlock_t *stat_rw;

static int stat_reader(void *arg)
{
	read_lock(stat_rw);	/* waits: the test holds it for write */
	read_unlock(stat_rw);
	return 0;
}

static int stat_writer(void *arg)
{
	write_lock(stat_rw);	/* waits: the test holds it for write */
	write_unlock(stat_rw);
	return 0;
}

static struct lockdep_class_stats stats_of(const char *name)
{
	struct lockdep_class_stats st;

	assert_int_equal(lockdep_class_stats(name, &st), 0);
	return st;
}

static void test_class_stats(void **state)
{
	struct lockdep_class_stats st;
	struct vm vm;
	struct task *t;
	unsigned int pos = 0;
	bool seen = false;
	int i;

	vm_init(&vm);
	stat_rw = &vm.mmu_lock;
	assert_int_equal(lockdep_class_stats("no such lock", &st), -ENOENT);
	st = stats_of("&vm->mmu_lock");
	assert_true(st.acquisitions_read == 0 && st.acquisitions_write == 0);
	assert_true(st.contentions_read == 0 && st.contentions_write == 0);
	assert_int_equal(st.kind, LOCK_KIND_RWLOCK);

	for (i = 0; i < 3; i++) {
		read_lock(&vm.mmu_lock);
		read_unlock(&vm.mmu_lock);
	}
	write_lock(&vm.mmu_lock);
	write_unlock(&vm.mmu_lock);
	mutex_lock(&vm.lock);
	assert_true(mutex_trylock(&vm.slots_lock));
	assert_true(down_write_trylock(&vm.invalidate_lock));
	up_write(&vm.invalidate_lock);
	mutex_unlock(&vm.slots_lock);
	mutex_unlock(&vm.lock);
	st = stats_of("&vm->mmu_lock");
	assert_int_equal(st.acquisitions_read, 3);
	assert_int_equal(st.acquisitions_write, 1);
	assert_int_equal(st.contentions_read + st.contentions_write, 0);
	assert_int_equal(stats_of("&vm->slots_lock").acquisitions_write, 1);
	assert_int_equal(stats_of("&vm->invalidate_lock").acquisitions_write,
			 1);

	/* Contention, from threads that are gone when the counts are read. */
	write_lock(&vm.mmu_lock);
	t = task_create("writer", stat_writer, NULL);
	while (!rwlock_needbreak(&vm.mmu_lock))
		usleep(1000);
	write_unlock(&vm.mmu_lock);
	assert_int_equal(task_join(t), 0);
	write_lock(&vm.mmu_lock);
	t = task_create("reader", stat_reader, NULL);
	/* The reader counts its contention before it sleeps (bounded wait). */
	for (i = 0; i < 10000 &&
		    stats_of("&vm->mmu_lock").contentions_read == 0; i++)
		usleep(1000);
	write_unlock(&vm.mmu_lock);
	assert_int_equal(task_join(t), 0);
	st = stats_of("&vm->mmu_lock");
	assert_int_equal(st.acquisitions_read, 4);
	assert_int_equal(st.acquisitions_write, 4);
	assert_int_equal(st.contentions_read, 1);
	assert_int_equal(st.contentions_write, 1);

	/* The iterator sees the same class with the same counts. */
	while (lockdep_class_stats_next(&pos, &st)) {
		if (strcmp(st.name, "&vm->mmu_lock"))
			continue;
		seen = true;
		assert_int_equal(st.acquisitions_read, 4);
		assert_int_equal(st.contentions_write, 1);
	}
	assert_true(seen);

	/* Nothing is counted while the validator is off. */
	lockdep_set_enabled(false);
	read_lock(&vm.mmu_lock);
	read_unlock(&vm.mmu_lock);
	lockdep_set_enabled(true);
	assert_int_equal(stats_of("&vm->mmu_lock").acquisitions_read, 4);

	lockdep_reset_class_stats();
	st = stats_of("&vm->mmu_lock");
	assert_true(st.acquisitions_read == 0 && st.acquisitions_write == 0);
	assert_true(st.contentions_read == 0 && st.contentions_write == 0);
	read_lock(&vm.mmu_lock);
	read_unlock(&vm.mmu_lock);
	assert_int_equal(stats_of("&vm->mmu_lock").acquisitions_read, 1);
	vm_destroy(&vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_abba_two_threads_free_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_three_lock_cycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_correct_nesting_is_silent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_recursion_on_rwsem_held_for_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_recursion_on_rwsem_held_for_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_srcu_nesting_ok_but_sync_inside_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_unlock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exit_with_locks_held, setup, teardown),
		cmocka_unit_test_setup_teardown(test_asserts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_strong_cycle_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nest_lock_many_instances, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nest_lock_not_held, setup, teardown),
		cmocka_unit_test_setup_teardown(test_held_lock_stack_overflow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_class_stats, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
