// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Issue 12, item 4: a memslot a TD cannot map (at or above the shared bit
 * of its GPA width) is refused with EINVAL, and a memslot created before
 * KVM_TDX_INIT_VM fixed that width never aliases low GPAs: deleting one at
 * 2^51 on a 48-bit TD used to zap the 4-level mirror root with gfns that
 * wrap onto GPA 0, a real private page was "zapped" at the wrong GPA, the
 * VM was bugged and the host freed pages the module still owned.
 */
#include "tdxsim/kvm.h"
#include "tdxsim/tdxsim.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rel_util.h"

#define SZ_2M		(2ULL << 20)

static int add_slot(int vm, uint32_t slot, uint64_t gpa, uint64_t size,
		    int gmem, uint64_t offset)
{
	struct kvm_userspace_memory_region2 region;

	memset(&region, 0, sizeof(region));
	region.slot = slot;
	region.flags = KVM_MEM_GUEST_MEMFD;
	region.guest_phys_addr = gpa;
	region.memory_size = size;
	region.guest_memfd = gmem;
	region.guest_memfd_offset = offset;
	return tdxsim_ioctl(vm, KVM_SET_USER_MEMORY_REGION2, &region);
}

static int delete_slot(int vm, uint32_t slot)
{
	struct kvm_userspace_memory_region2 region;

	memset(&region, 0, sizeof(region));
	region.slot = slot;
	return tdxsim_ioctl(vm, KVM_SET_USER_MEMORY_REGION2, &region);
}

static int create_gmem(int vm, uint64_t size)
{
	struct kvm_create_guest_memfd args = { .size = size };
	int fd = tdxsim_ioctl(vm, KVM_CREATE_GUEST_MEMFD, &args);

	assert_true(fd >= 0);
	return fd;
}

/* After KVM_TDX_INIT_VM: the width is known, slots beyond it are refused. */
static void test_slot_beyond_gpaw_refused(void **state)
{
	static const uint64_t bad[] = {
		1ULL << 47,			/* the shared bit (alias) */
		1ULL << 48,			/* beyond the width, bit 47 clear */
		1ULL << 51,
		(1ULL << 47) - SZ_2M / 2,	/* straddles the shared bit */
	};
	int kvm = rel_open_kvm(), vm = rel_create_td_vm(kvm);
	int gmem = create_gmem(vm, 16 * SZ_2M);
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		assert_int_equal(add_slot(vm, 1 + i, bad[i], SZ_2M, gmem,
					  i * SZ_2M), -1);
		assert_int_equal(errno, EINVAL);
	}
	/* The last 2M below the shared bit is fine. */
	assert_int_equal(add_slot(vm, 8, (1ULL << 47) - SZ_2M, SZ_2M, gmem,
				  8 * SZ_2M), 0);
	assert_int_equal(tdxsim_close(gmem), 0);
	assert_int_equal(tdxsim_close(vm), 0);
	assert_int_equal(tdxsim_close(kvm), 0);
}

/*
 * A slot at 2^51 made before KVM_TDX_INIT_VM (the width is not known yet),
 * a real TD with a private page at REL_GPA, then the high slot deleted:
 * nothing of the TD's memory may be touched.
 */
static void test_high_slot_never_aliases(void **state)
{
	struct tdxsim_module_stats ms0, ms1;
	struct tdxsim_stats st;
	struct kvm_tdx_init_mem_region region;
	struct kvm_tdx_init_vm *init_vm;
	static uint8_t src[4096] __attribute__((aligned(4096)));
	int kvm = rel_open_kvm(), vm, gmem, vcpu;

	rel_module_stats(&ms0);
	vm = tdxsim_ioctl(kvm, KVM_CREATE_VM, KVM_X86_TDX_VM);
	assert_true(vm >= 0);
	gmem = create_gmem(vm, 2 * SZ_2M);
	/* REL_GPA's gfn with bit 39 (GPA bit 51) set. */
	assert_int_equal(add_slot(vm, 1, (1ULL << 51) | REL_GPA, SZ_2M, gmem,
				  SZ_2M), 0);

	init_vm = calloc(1, sizeof(*init_vm) + sizeof(struct kvm_cpuid_entry2));
	assert_non_null(init_vm);
	init_vm->attributes = 1ULL << 28;	/* SEPT_VE_DISABLE */
	init_vm->xfam = 0x3;
	init_vm->cpuid.nent = 1;
	init_vm->cpuid.entries[0].function = 0x80000008;
	init_vm->cpuid.entries[0].eax = (48 << 16) | 52;
	assert_int_equal(rel_tdx_op(vm, KVM_TDX_INIT_VM, 0, init_vm), 0);
	free(init_vm);

	assert_int_equal(add_slot(vm, 0, REL_GPA, SZ_2M, gmem, 0), 0);
	assert_int_equal(rel_set_attrs(vm, REL_GPA, SZ_2M, true), 0);
	vcpu = tdxsim_ioctl(vm, KVM_CREATE_VCPU, 0);
	assert_true(vcpu >= 0);
	assert_int_equal(rel_tdx_op(vcpu, KVM_TDX_INIT_VCPU, 0, NULL), 0);
	memset(src, 0x77, sizeof(src));
	region.source_addr = (uint64_t)(uintptr_t)src;
	region.gpa = REL_GPA;
	region.nr_pages = 1;
	assert_int_equal(rel_tdx_op(vcpu, KVM_TDX_INIT_MEM_REGION,
				    KVM_TDX_MEASURE_MEMORY_REGION, &region), 0);
	assert_int_equal(rel_tdx_op(vm, KVM_TDX_FINALIZE_VM, 0, NULL), 0);

	/* Delete the high slot: the page at REL_GPA stays mapped. */
	assert_int_equal(delete_slot(vm, 1), 0);
	rel_vm_stats(vm, &st);
	assert_int_equal(st.vm_bugged, 0);
	assert_int_equal(st.zapped_leaves, 0);
	assert_int_equal(rel_check_invariants(vm), 0);

	assert_int_equal(tdxsim_close(vcpu), 0);
	assert_int_equal(tdxsim_close(gmem), 0);
	assert_int_equal(tdxsim_close(vm), 0);
	rel_module_stats(&ms1);
	assert_int_equal(ms1.pamt_violations, ms0.pamt_violations);
	assert_int_equal(ms1.pages_owned, ms0.pages_owned);
	assert_int_equal(tdxsim_close(kvm), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slot_beyond_gpaw_refused),
		cmocka_unit_test(test_high_slot_never_aliases),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
