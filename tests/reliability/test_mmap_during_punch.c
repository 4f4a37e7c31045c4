// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A mapping made while a punch runs (uapi_seq --threads, the first of the
 * two races docs/FINDINGS.md listed open): a memslot's user memory is a new
 * mapping of a guest_memfd that another thread is punching. The punch told
 * the mmu notifiers only about the mappings that existed when it began, so
 * a mapping created after that, through which KVM faulted a page the
 * punch had not reached yet, kept the freed page mapped in KVM's shared
 * root: the next fault found a present SPTE with another pfn (the WARN in
 * tdp_mmu_map_handle_target_level) and the guest could write into whatever
 * the page had become. The kernel unmaps each folio from every mapping it
 * has at the time the folio is truncated (truncate_inode_pages_range(),
 * under the folio lock).
 *
 * Free mode: each round, a thread punches a 2M file while the main thread
 * maps the file afresh and pre-faults its last page (the punch reaches it
 * last). Its own process, since the WARN is WARN_ON_ONCE. Public headers
 * only.
 */
#include "tdxsim/kvm.h"
#include "tdxsim/report.h"
#include "tdxsim/tdxsim.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <cmocka.h>

#include "rel_util.h"

#define GPA		0x100000ULL
#define FILE_SIZE	(2ULL << 20)
#define ROUNDS		200

struct punch_race {
	int gmem;
	int go;
	int started;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void *punch_fn(void *arg)
{
	struct punch_race *p = arg;

	while (!__atomic_load_n(&p->go, __ATOMIC_ACQUIRE))
		;
	__atomic_store_n(&p->started, 1, __ATOMIC_RELEASE);
	assert_int_equal(rel_punch(p->gmem, 0, FILE_SIZE), 0);
	return NULL;
}

static void test_mmap_during_punch(void **state)
{
	struct kvm_create_guest_memfd args = {
		.size = FILE_SIZE,
		.flags = GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED,
	};
	const uint64_t last = FILE_SIZE - 4096;
	unsigned long warn0 = tdxsim_nr_warnings();
	int kvm = rel_open_kvm(), vm, vcpu, other, i;
	struct tdxsim_stats st;
	struct punch_race p = { 0 };
	uint64_t punch_ns, t0;

	(void)state;
	vm = tdxsim_ioctl(kvm, KVM_CREATE_VM, KVM_X86_DEFAULT_VM);
	assert_true(vm >= 0);
	vcpu = tdxsim_ioctl(vm, KVM_CREATE_VCPU, 0);
	assert_true(vcpu >= 0);
	p.gmem = tdxsim_ioctl(vm, KVM_CREATE_GUEST_MEMFD, &args);
	assert_true(p.gmem >= 0);
	/* Takes the page the punch frees, so that the file's next is not it. */
	args.size = 1ULL << 20;
	other = tdxsim_ioctl(vm, KVM_CREATE_GUEST_MEMFD, &args);
	assert_true(other >= 0);

	/* How long a punch of the whole file takes here. */
	assert_int_equal(tdxsim_fallocate(p.gmem, FALLOC_FL_KEEP_SIZE, 0,
					  FILE_SIZE), 0);
	t0 = now_ns();
	assert_int_equal(rel_punch(p.gmem, 0, FILE_SIZE), 0);
	punch_ns = now_ns() - t0;

	for (i = 0; i < ROUNDS && tdxsim_nr_warnings() == warn0; i++) {
		uint64_t hog = (uint64_t)(i % 256) * 4096;
		pthread_t t;
		uint8_t *map;

		assert_int_equal(tdxsim_fallocate(p.gmem, FALLOC_FL_KEEP_SIZE,
						  0, FILE_SIZE), 0);
		__atomic_store_n(&p.go, 0, __ATOMIC_RELEASE);
		__atomic_store_n(&p.started, 0, __ATOMIC_RELEASE);
		assert_int_equal(pthread_create(&t, NULL, punch_fn, &p), 0);
		__atomic_store_n(&p.go, 1, __ATOMIC_RELEASE);
		/* Somewhere into the punch: a different point each round. */
		while (!__atomic_load_n(&p.started, __ATOMIC_ACQUIRE))
			;
		t0 = now_ns();
		while (now_ns() - t0 < punch_ns * (uint64_t)(i % 16) / 16)
			;
		/* A new mapping of the file while it is punched; fault through it. */
		map = tdxsim_mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE,
				  MAP_SHARED, p.gmem, 0);
		assert_true(map != MAP_FAILED);
		rel_set_user_slot(vm, GPA, map + last, 4096);
		assert_int_equal(rel_pre_fault(vcpu, GPA, 4096), 0);
		assert_int_equal(pthread_join(t, NULL), 0);

		/* The punch is over: the file's page is a new one, at a new pfn. */
		assert_int_equal(tdxsim_fallocate(other, FALLOC_FL_KEEP_SIZE,
						  hog, 4096), 0);
		assert_int_equal(tdxsim_fallocate(p.gmem, FALLOC_FL_KEEP_SIZE,
						  last, 4096), 0);
		assert_int_equal(rel_pre_fault(vcpu, GPA, 4096), 0);

		rel_set_user_slot(vm, GPA, map, 0);
		assert_int_equal(tdxsim_munmap(map, FILE_SIZE), 0);
		assert_int_equal(rel_punch(other, hog, 4096), 0);
	}
	rel_vm_stats(vm, &st);
	print_message("# %d rounds, %llu leaves zapped, a punch takes %llu us\n",
		      i, (unsigned long long)st.zapped_leaves,
		      (unsigned long long)punch_ns / 1000);
	assert_int_equal(tdxsim_nr_warnings(), warn0);

	assert_int_equal(tdxsim_close(other), 0);
	assert_int_equal(tdxsim_close(p.gmem), 0);
	assert_int_equal(tdxsim_close(vcpu), 0);
	assert_int_equal(tdxsim_close(vm), 0);
	assert_int_equal(tdxsim_close(kvm), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mmap_during_punch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
