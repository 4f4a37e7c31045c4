// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Lock acquisition counts per class (TDXSIM_GET_LOCK_STATS on /dev/kvm,
 * and the run phase's in struct tdxsim_vmm_result):
 *  - the uAPI: E2BIG with the number of classes when the room is short,
 *    the classes by name with their kind;
 *  - upstream's fault path never takes &kvm->mmu_lock for write
 *    (docs/upstream/releases.md §1): a lazy-accept run of a 4K-only TD on
 *    the default profile, free and deterministic, takes it for read once
 *    per fault and never for write while the vCPUs run; the huge-page RFC
 *    overlay, whose accept-level handler takes it for write, shows that
 *    the count would see it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "launch_util.h"
#include "tdxsim/tdxsim.h"

static const struct tdxsim_lock_class *
find_class(const struct tdxsim_vmm_result *r, const char *name)
{
	unsigned int i;

	for (i = 0; i < r->nr_run_locks; i++)
		if (!strcmp(r->run_locks[i].name, name))
			return &r->run_locks[i];
	return NULL;
}

static void test_uapi(void **state)
{
	struct tdxsim_lock_stats ls = { 0 };
	struct tdxsim_lock_class *c;
	int kvm = tdxsim_open("/dev/kvm", 0), vm;
	unsigned int i, n;
	bool found = false;

	assert_true(kvm >= 0);
	/* A VM makes sure &kvm->mmu_lock exists as a class. */
	vm = tdxsim_ioctl(kvm, KVM_CREATE_VM, KVM_X86_TDX_VM);
	assert_true(vm >= 0);
	assert_int_equal(tdxsim_ioctl(kvm, TDXSIM_GET_LOCK_STATS, &ls), -1);
	assert_int_equal(errno, E2BIG);
	assert_true(ls.nr > 0);
	n = ls.nr + 8;
	c = calloc(n, sizeof(*c));
	ls.nr = n;
	ls.classes = (uint64_t)(uintptr_t)c;
	assert_int_equal(tdxsim_ioctl(kvm, TDXSIM_GET_LOCK_STATS, &ls), 0);
	assert_true(ls.nr <= n);
	assert_int_equal(ls.flags, 0);
	for (i = 0; i < ls.nr; i++) {
		if (strcmp(c[i].name, "&kvm->mmu_lock"))
			continue;
		assert_false(found);	/* one entry per name */
		found = true;
		assert_int_equal(c[i].kind, TDXSIM_LOCK_RWLOCK);
	}
	assert_true(found);
	free(c);
	tdxsim_close(vm);
	tdxsim_close(kvm);
}

static void lazy_accept(const char *kernel, enum tdxsim_sched_mode mode,
			bool expect_writes)
{
	const struct tdxsim_lock_class *mmu;
	struct tdxsim_vmm_config cfg;
	struct tdxsim_vmm_result res;
	char err[256];

	tdxsim_vmm_config_init(&cfg);
	assert_int_equal(tdxsim_vmm_config_set_kernel(&cfg, kernel, err,
						      sizeof(err)), 0);
	cfg.memory = 64ULL << 20;
	cfg.nr_vcpus = 2;
	cfg.workload = "lazy-accept";
	cfg.quiet = true;
	assert_int_equal(launch(&cfg, true, mode, 3, &res, NULL), 0);
	mmu = find_class(&res, "&kvm->mmu_lock");
	assert_non_null(mmu);
	/* At least one read acquisition per AUG (each a fault). */
	assert_true(mmu->acquisitions_read >=
		    res.td.seamcalls[TDH_MEM_PAGE_AUG]);
	assert_true(res.td.seamcalls[TDH_MEM_PAGE_AUG] > 0);
	if (expect_writes)
		assert_true(mmu->acquisitions_write > 0);
	else if (mmu->acquisitions_write)
		fail_msg("%s: &kvm->mmu_lock taken for write %llu times while the vCPUs ran",
			 kernel, (unsigned long long)mmu->acquisitions_write);
	tdxsim_vmm_result_free(&res);
}

static void test_default_fault_path_no_write_lock(void **state)
{
	lazy_accept(TDXSIM_KERNEL_DEFAULT, TDXSIM_SCHED_FREE, false);
	lazy_accept(TDXSIM_KERNEL_DEFAULT, TDXSIM_SCHED_DETERMINISTIC, false);
	lazy_accept("v6.16", TDXSIM_SCHED_FREE, false);
	lazy_accept("v6.19", TDXSIM_SCHED_FREE, false);
}

static void test_hugepage_rfc_takes_write_lock(void **state)
{
	lazy_accept("next+hugepage-rfc", TDXSIM_SCHED_FREE, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uapi),
		cmocka_unit_test(test_default_fault_path_no_write_lock),
		cmocka_unit_test(test_hugepage_rfc_takes_write_lock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
