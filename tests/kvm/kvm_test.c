// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The cmocka fixtures of the generic KVM tests (see kvm_test.h).
 */
#include "base/lockdep.h"
#include "base/rcu.h"
#include "kvm_test.h"

static int open_at_setup;

int kvm_test_setup(void **state)
{
	kvm_dev();
	mmu_stub_reset();
	lockdep_reset();
	open_at_setup = nr_open_files();
	return 0;
}

int kvm_test_teardown(void **state)
{
	task_work_run();
	rcu_barrier();
	assert_int_equal(nr_open_files(), open_at_setup);
	return 0;
}
