// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Found by uapi_seq (issue 12): a KVM_X86_SW_PROTECTED_VM maps its private
 * memory (guest_memfd) in its direct root, as upstream, but a zap of
 * private memory (a hole punch, a conversion to shared) only looked at
 * mirror roots, which only a TDX VM uses: the private mapping of a
 * punched page stayed, the page went to another file, and the next fault
 * found a present SPTE with another pfn (WARN). Upstream's
 * kvm_gfn_range_filter_to_root_types() answers "direct roots" for every
 * VM without a mirrored TDP. Public headers only.
 */
#include "tdxsim/kvm.h"
#include "tdxsim/report.h"
#include "tdxsim/tdxsim.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "rel_util.h"

#define GPA	0x80000000ULL
#define SIZE	(2ULL << 20)

struct swp {
	int kvm, vm, gmem, vcpu;
};

static void swp_create(struct swp *s)
{
	struct kvm_create_guest_memfd args = { .size = SIZE };
	struct kvm_userspace_memory_region2 r = {
		.slot = 0,
		.flags = KVM_MEM_GUEST_MEMFD,
		.guest_phys_addr = GPA,
		.memory_size = SIZE,
	};

	s->kvm = rel_open_kvm();
	s->vm = tdxsim_ioctl(s->kvm, KVM_CREATE_VM, KVM_X86_SW_PROTECTED_VM);
	assert_true(s->vm >= 0);
	s->gmem = tdxsim_ioctl(s->vm, KVM_CREATE_GUEST_MEMFD, &args);
	assert_true(s->gmem >= 0);
	r.guest_memfd = s->gmem;
	assert_int_equal(tdxsim_ioctl(s->vm, KVM_SET_USER_MEMORY_REGION2, &r),
			 0);
	assert_int_equal(rel_set_attrs(s->vm, GPA, SIZE, true), 0);
	s->vcpu = tdxsim_ioctl(s->vm, KVM_CREATE_VCPU, 0);
	assert_true(s->vcpu >= 0);
}

static void swp_destroy(struct swp *s)
{
	assert_int_equal(tdxsim_close(s->vcpu), 0);
	assert_int_equal(tdxsim_close(s->gmem), 0);
	assert_int_equal(tdxsim_close(s->vm), 0);
	assert_int_equal(tdxsim_close(s->kvm), 0);
}

static uint64_t zapped(int vm)
{
	struct tdxsim_stats st;

	rel_vm_stats(vm, &st);
	return st.zapped_leaves;
}

static void test_punch_zaps_private(void **state)
{
	struct kvm_create_guest_memfd hog_args = { .size = 16ULL << 20 };
	unsigned long warn0 = tdxsim_nr_warnings();
	uint64_t z0;
	struct swp s;
	int hog;

	swp_create(&s);
	assert_int_equal(rel_pre_fault(s.vcpu, GPA, 4 * 4096), 0);
	z0 = zapped(s.vm);
	assert_int_equal(rel_punch(s.gmem, 0, 4 * 4096), 0);
	assert_int_equal(zapped(s.vm) - z0, 4);
	/* Another file takes the freed pages; the GPAs map new ones. */
	hog = tdxsim_ioctl(s.vm, KVM_CREATE_GUEST_MEMFD, &hog_args);
	assert_true(hog >= 0);
	assert_int_equal(tdxsim_fallocate(hog, FALLOC_FL_KEEP_SIZE, 0,
					  hog_args.size), 0);
	assert_int_equal(rel_pre_fault(s.vcpu, GPA, 4 * 4096), 0);
	assert_int_equal(tdxsim_nr_warnings(), warn0);
	assert_int_equal(tdxsim_close(hog), 0);
	swp_destroy(&s);
}

static void test_conversion_zaps_private(void **state)
{
	unsigned long warn0 = tdxsim_nr_warnings();
	uint64_t z0;
	struct swp s;

	swp_create(&s);
	assert_int_equal(rel_pre_fault(s.vcpu, GPA, 4 * 4096), 0);
	z0 = zapped(s.vm);
	/* Private to shared: the private mappings go. */
	assert_int_equal(rel_set_attrs(s.vm, GPA, 4 * 4096, false), 0);
	assert_int_equal(zapped(s.vm) - z0, 4);
	assert_int_equal(tdxsim_nr_warnings(), warn0);
	swp_destroy(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_punch_zaps_private),
		cmocka_unit_test(test_conversion_zaps_private),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
