// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Issue 12, item 1: a hole punched in a guest_memfd that can be mapped
 * shared (GUEST_MEMFD_FLAG_MMAP, in-place shared memory) must unmap the
 * shared mappings too. Otherwise the TD's shared EPT keeps pointing at the
 * freed page, the page goes to another guest_memfd (here another VM's), and
 * the TD's guest writes into that other VM's memory.
 */
#include "tdxsim/guest.h"
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
#include <sys/mman.h>

#include <cmocka.h>

#include "rel_util.h"

#define OTHER_SIZE	(8ULL << 20)

/* A non-TD VM whose guest_memfd is shared and host-accessible. */
struct other_vm {
	int kvm, vm, gmem;
	uint8_t *map;
};

static void other_vm_create(struct other_vm *o)
{
	struct kvm_create_guest_memfd args = {
		.size = OTHER_SIZE,
		.flags = GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED,
	};

	o->kvm = rel_open_kvm();
	o->vm = tdxsim_ioctl(o->kvm, KVM_CREATE_VM, KVM_X86_DEFAULT_VM);
	assert_true(o->vm >= 0);
	o->gmem = tdxsim_ioctl(o->vm, KVM_CREATE_GUEST_MEMFD, &args);
	assert_true(o->gmem >= 0);
	o->map = tdxsim_mmap(NULL, OTHER_SIZE, PROT_READ | PROT_WRITE,
			     MAP_SHARED, o->gmem, 0);
	assert_true(o->map != MAP_FAILED);
}

/* Allocate every page of the other file (the freed page is among them). */
static void other_vm_fill(struct other_vm *o)
{
	assert_int_equal(tdxsim_fallocate(o->gmem, FALLOC_FL_KEEP_SIZE, 0,
					  OTHER_SIZE), 0);
}

/* Count the non-zero bytes the other VM's memory holds. */
static uint64_t other_vm_dirty_bytes(struct other_vm *o)
{
	static uint8_t page[4096];
	uint64_t off, dirty = 0;
	size_t i;

	for (off = 0; off < OTHER_SIZE; off += sizeof(page)) {
		assert_int_equal(tdxsim_gmem_host_access(o->map + off, page,
							 sizeof(page), false),
				 0);
		for (i = 0; i < sizeof(page); i++)
			dirty += page[i] != 0;
	}
	return dirty;
}

static void other_vm_destroy(struct other_vm *o)
{
	assert_int_equal(tdxsim_munmap(o->map, OTHER_SIZE), 0);
	assert_int_equal(tdxsim_close(o->gmem), 0);
	assert_int_equal(tdxsim_close(o->vm), 0);
	assert_int_equal(tdxsim_close(o->kvm), 0);
}

/*
 * Map a shared page of the TD (pre-fault), punch it out of the TD's
 * guest_memfd, let another VM's guest_memfd take every free page, then let
 * the TD's guest write the shared GPA: the other VM must still read zeros,
 * and the TD must see a fresh page.
 */
static void test_punch_unmaps_shared(void **state)
{
	char program[256];
	struct tdxsim_stats before, after;
	struct rel_td_opts o;
	struct other_vm other;
	struct rel_td td;

	snprintf(program, sizeof(program),
		 "write shared %#llx 4K pattern=7\nread shared %#llx 4K\nhalt\n",
		 (unsigned long long)REL_GPA, (unsigned long long)REL_GPA);
	rel_td_opts_init(&o);
	o.gmem_flags = GUEST_MEMFD_FLAG_MMAP;
	o.finalize = true;
	o.program = program;
	rel_td_create(&td, &o);

	/* The shared GPA gets a guest_memfd page in the shared EPT. */
	assert_int_equal(rel_pre_fault(td.vcpu, REL_GPA, 4096), 0);
	rel_vm_stats(td.vm, &before);

	assert_int_equal(rel_punch(td.gmem, 0, 4096), 0);
	rel_vm_stats(td.vm, &after);
	/* The punch zapped the shared leaf. */
	assert_int_equal(after.zapped_leaves - before.zapped_leaves, 1);

	other_vm_create(&other);
	other_vm_fill(&other);

	/* The guest writes its shared page and reads it back. */
	assert_int_equal(tdxsim_ioctl(td.vcpu, KVM_RUN, 0), 0);
	assert_int_equal(td.run->exit_reason, KVM_EXIT_HLT);
	assert_true(tdxsim_guest_finished(td.guest));
	assert_int_equal(tdxsim_guest_data_failures(td.guest), 0);

	/* Not one byte of it landed in the other VM's memory. */
	assert_int_equal(other_vm_dirty_bytes(&other), 0);
	assert_int_equal(rel_check_invariants(td.vm), 0);

	other_vm_destroy(&other);
	rel_td_destroy(&td);
}

/* The same with 2M folios and a 2M shared mapping, punched in part. */
static void test_punch_unmaps_shared_huge(void **state)
{
	struct tdxsim_stats before, after;
	struct rel_td_opts o;
	struct rel_td td;

	rel_td_opts_init(&o);
	o.gmem_flags = GUEST_MEMFD_FLAG_MMAP;
	o.hugepages = true;
	o.finalize = true;
	rel_td_create(&td, &o);

	assert_int_equal(rel_pre_fault(td.vcpu, REL_GPA, 2ULL << 20), 0);
	rel_vm_stats(td.vm, &before);
	assert_int_equal(rel_punch(td.gmem, 1ULL << 20, 4096), 0);
	rel_vm_stats(td.vm, &after);
	/* The shared 2M leaf covering the punched page is gone. */
	assert_true(after.zapped_leaves - before.zapped_leaves >= 1);
	assert_int_equal(rel_check_invariants(td.vm), 0);
	/* And the GPA maps again, to a new page. */
	assert_int_equal(rel_pre_fault(td.vcpu, REL_GPA + (1ULL << 20), 4096),
			 0);
	rel_td_destroy(&td);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_punch_unmaps_shared),
		cmocka_unit_test(test_punch_unmaps_shared_huge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
