// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Issue 12, privacy: a TD's guest writes a canary (its pattern, 64-bit
 * words that are a function of the GPA) through its private mappings over
 * the whole 4M slot; then the VMM looks for any word of it everywhere the
 * host can look:
 *
 *   - its guest_memfd mapping while the memory is private,
 *   - after the guest converts a part to shared (MapGPA, the VMM answers),
 *   - after the host converts another part to shared on its own,
 *   - after a hole punch of a private part and a re-fault of it,
 *   - the vCPU's kvm_run page,
 *   - the memslot's user memory (where shared pages live without
 *     GUEST_MEMFD_FLAG_MMAP),
 *   - every page a second VM allocates after the TD is gone,
 *
 * in each guest_memfd locking mode (design gmem_locking legacy and
 * inflight), folio size (4K, 2M with gmem_hugepages) and shared-memory
 * placement (in place, GUEST_MEMFD_FLAG_MMAP, or in the user memory): not
 * one canary word may be found. Public headers only.
 */
#include "tdxsim/guest.h"
#include "tdxsim/kvm.h"
#include "tdxsim/tdxsim.h"

#include <errno.h>
#include <inttypes.h>
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

#define SIZE		(4ULL << 20)
#define NPAGES		(SIZE / 4096)
#define PATTERN		0x5eed1
#define OTHER_SIZE	(32ULL << 20)

/* The canary: every word the guest wrote privately, sorted. */
static uint64_t *canary;
static size_t nr_canary;
static uint64_t scans, pages_scanned, canary_found;

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void canary_build(void)
{
	uint64_t i;

	nr_canary = NPAGES * 512;
	canary = malloc(nr_canary * sizeof(*canary));
	assert_non_null(canary);
	for (i = 0; i < NPAGES; i++)
		tdxsim_guest_pattern_fill(canary + i * 512, REL_GPA + i * 4096,
					  PATTERN);
	qsort(canary, nr_canary, sizeof(*canary), cmp_u64);
}

/* Canary words in @len bytes at @p (any 8-byte alignment). */
static uint64_t scan(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint64_t found = 0;
	size_t off;

	for (off = 0; off + 8 <= len; off++) {
		uint64_t w;

		memcpy(&w, b + off, 8);
		if (w && bsearch(&w, canary, nr_canary, sizeof(w), cmp_u64))
			found++;
	}
	canary_found += found;
	return found;
}

/*
 * User memory for a memslot: tdxsim backs a shared mapping only with
 * memory in the host's PFN space, so the VMM's "memfd" is a shared,
 * mappable guest_memfd of a helper VM, mapped at the memslot's
 * userspace_addr (QEMU's layout: shared memory apart from guest_memfd).
 */
struct umem {
	int kvm, vm, gmem;
	uint8_t *map;
};

static void umem_create(struct umem *u)
{
	struct kvm_create_guest_memfd args = {
		.size = SIZE,
		.flags = GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED,
	};

	u->kvm = rel_open_kvm();
	u->vm = tdxsim_ioctl(u->kvm, KVM_CREATE_VM, KVM_X86_DEFAULT_VM);
	assert_true(u->vm >= 0);
	u->gmem = tdxsim_ioctl(u->vm, KVM_CREATE_GUEST_MEMFD, &args);
	assert_true(u->gmem >= 0);
	u->map = tdxsim_mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
			     u->gmem, 0);
	assert_true(u->map != MAP_FAILED);
}

static void umem_destroy(struct umem *u)
{
	assert_int_equal(tdxsim_munmap(u->map, SIZE), 0);
	assert_int_equal(tdxsim_close(u->gmem), 0);
	assert_int_equal(tdxsim_close(u->vm), 0);
	assert_int_equal(tdxsim_close(u->kvm), 0);
}

/* Canary words in the readable pages of a guest_memfd mapping. */
static uint64_t scan_mapping(uint8_t *map, uint64_t size, uint64_t *readable)
{
	static uint8_t page[4096];
	uint64_t off, found = 0;

	for (off = 0; map && off < size; off += 4096) {
		if (tdxsim_gmem_host_access(map + off, page, 4096, false))
			continue;
		(*readable)++;
		found += scan(page, 4096);
	}
	pages_scanned += *readable;
	return found;
}

/*
 * Everything the host can read of @td now: each page of its guest_memfd
 * mapping (@map, NULL without GUEST_MEMFD_FLAG_MMAP) that the host may
 * access, the kvm_run page and the memslot's user memory @u (NULL: the
 * memslot's shared memory is the guest_memfd itself). Returns the canary
 * words found; *@readable gets the TD's guest_memfd pages that were
 * readable.
 */
static uint64_t scan_host_view(struct rel_td *td, uint8_t *map, struct umem *u,
			       uint64_t *readable)
{
	uint64_t found = 0, urd = 0;

	*readable = 0;
	scans++;
	found += scan_mapping(map, SIZE, readable);
	found += scan(td->run, (size_t)td->run_size);
	pages_scanned++;
	if (u) {
		found += scan_mapping(u->map, SIZE, &urd);
		assert_int_equal(urd, SIZE / 4096);
	}
	return found;
}

/* KVM_RUN until the guest halts, answering MapGPA as QEMU does. */
static void run_guest(struct rel_td *td)
{
	unsigned int exits;

	for (exits = 0; exits < 10000; exits++) {
		struct kvm_run *run = td->run;
		int r = tdxsim_ioctl(td->vcpu, KVM_RUN, 0);

		/* A memory-fault exit is KVM_RUN's -EFAULT. */
		if (r < 0) {
			assert_int_equal(errno, EFAULT);
			assert_int_equal(run->exit_reason, KVM_EXIT_MEMORY_FAULT);
		}
		if (run->exit_reason == KVM_EXIT_HLT)
			return;
		if (run->exit_reason == KVM_EXIT_HYPERCALL) {
			uint64_t gpa = run->hypercall.args[0] & ~REL_SHARED_48;
			uint64_t size = run->hypercall.args[1] * 4096;
			bool priv = run->hypercall.args[2] &
				    KVM_MAP_GPA_RANGE_ENCRYPTED;

			assert_int_equal(run->hypercall.nr, KVM_HC_MAP_GPA_RANGE);
			assert_int_equal(rel_set_attrs(td->vm, gpa, size, priv), 0);
			run->hypercall.ret = 0;
			continue;
		}
		if (run->exit_reason == KVM_EXIT_MEMORY_FAULT) {
			assert_int_equal(rel_set_attrs(td->vm,
					 run->memory_fault.gpa,
					 run->memory_fault.size,
					 run->memory_fault.flags &
					 KVM_MEMORY_EXIT_FLAG_PRIVATE), 0);
			continue;
		}
		fail_msg("unexpected exit %u", run->exit_reason);
	}
	fail_msg("the guest did not halt");
}

/* A VM that allocates (and the host reads) every page it can get. */
static void scan_second_vm(void)
{
	struct kvm_create_guest_memfd args = {
		.size = OTHER_SIZE,
		.flags = GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED,
	};
	static uint8_t page[4096];
	int kvm = rel_open_kvm(), vm, gmem;
	uint64_t off, found = 0;
	uint8_t *map;

	vm = tdxsim_ioctl(kvm, KVM_CREATE_VM, KVM_X86_DEFAULT_VM);
	assert_true(vm >= 0);
	gmem = tdxsim_ioctl(vm, KVM_CREATE_GUEST_MEMFD, &args);
	assert_true(gmem >= 0);
	assert_int_equal(tdxsim_fallocate(gmem, FALLOC_FL_KEEP_SIZE, 0,
					  OTHER_SIZE), 0);
	map = tdxsim_mmap(NULL, OTHER_SIZE, PROT_READ, MAP_SHARED, gmem, 0);
	assert_true(map != MAP_FAILED);
	scans++;
	for (off = 0; off < OTHER_SIZE; off += 4096) {
		assert_int_equal(tdxsim_gmem_host_access(map + off, page, 4096,
							 false), 0);
		found += scan(page, 4096);
	}
	pages_scanned += OTHER_SIZE / 4096;
	assert_int_equal(found, 0);
	assert_int_equal(tdxsim_munmap(map, OTHER_SIZE), 0);
	assert_int_equal(tdxsim_close(gmem), 0);
	assert_int_equal(tdxsim_close(vm), 0);
	assert_int_equal(tdxsim_close(kvm), 0);
}

static void privacy_case(unsigned int locking, bool huge, bool in_place)
{
	char program[512];
	struct rel_td_opts o;
	struct rel_td td;
	struct umem umem, *u = in_place ? NULL : &umem;
	uint8_t *map = NULL;
	uint64_t readable, private_readable;
	/*
	 * The host reads a TD's own guest_memfd only with in-place
	 * conversion (inflight locking: its shared pages); with legacy
	 * locking only files created INIT_SHARED, which a TD cannot have.
	 */
	bool host_reads = in_place && locking == TDXSIM_GMEM_LOCKING_INFLIGHT;

	if (u)
		umem_create(u);
	snprintf(program, sizeof(program),
		 "accept %#llx 4M\n"
		 "write private %#llx 4M pattern=%u\n"
		 "read private %#llx 4M\n"
		 "mapgpa shared %#llx 1M\n"
		 "read shared %#llx 64K\n"
		 "halt\n",
		 (unsigned long long)REL_GPA, (unsigned long long)REL_GPA,
		 PATTERN, (unsigned long long)REL_GPA,
		 (unsigned long long)REL_GPA, (unsigned long long)REL_GPA);
	rel_td_opts_init(&o);
	o.size = SIZE;
	o.gmem_flags = in_place ? GUEST_MEMFD_FLAG_MMAP : 0;
	o.hugepages = huge;
	o.set_gmem_locking = true;
	o.gmem_locking = locking;
	o.uaddr = u ? u->map : NULL;
	o.private_mem = true;
	o.finalize = true;
	o.program = program;
	rel_td_create(&td, &o);
	if (in_place) {
		map = tdxsim_mmap(NULL, SIZE, PROT_READ | PROT_WRITE,
				  MAP_SHARED, td.gmem, 0);
		assert_true(map != MAP_FAILED);
	}

	/* While private: nothing of it readable, nothing found. */
	assert_int_equal(scan_host_view(&td, map, u, &private_readable), 0);
	assert_int_equal(private_readable, 0);

	/* The guest writes the canary and converts the first 1M to shared. */
	run_guest(&td);
	assert_true(tdxsim_guest_finished(td.guest));
	assert_int_equal(tdxsim_guest_data_failures(td.guest), 0);
	assert_int_equal(scan_host_view(&td, map, u, &readable), 0);
	if (host_reads)
		assert_true(readable >= 256);	/* the guest's shared 1M */

	/* The host converts the second 1M on its own and pre-faults it. */
	assert_int_equal(rel_set_attrs(td.vm, REL_GPA + (1ULL << 20),
				       1ULL << 20, false), 0);
	assert_int_equal(scan_host_view(&td, map, u, &readable), 0);
	if (host_reads)
		assert_true(readable >= 512);

	/* A punch of the private third 1M, shared and re-faulted. */
	assert_int_equal(rel_punch(td.gmem, 2ULL << 20, 1ULL << 20), 0);
	assert_int_equal(scan_host_view(&td, map, u, &readable), 0);
	assert_int_equal(rel_set_attrs(td.vm, REL_GPA + (2ULL << 20),
				       1ULL << 20, false), 0);
	if (in_place)
		assert_int_equal(tdxsim_fallocate(td.gmem, FALLOC_FL_KEEP_SIZE,
						  2ULL << 20, 1ULL << 20), 0);
	assert_int_equal(scan_host_view(&td, map, u, &readable), 0);
	if (host_reads)
		assert_true(readable >= 768);

	/* And back: the last 1M private again, then everything shared. */
	assert_int_equal(rel_set_attrs(td.vm, REL_GPA, SIZE, false), 0);
	assert_int_equal(scan_host_view(&td, map, u, &readable), 0);
	if (host_reads)
		assert_int_equal(readable, NPAGES);
	assert_int_equal(rel_check_invariants(td.vm), 0);

	if (map)
		assert_int_equal(tdxsim_munmap(map, SIZE), 0);
	rel_td_destroy(&td);
	if (u)
		umem_destroy(u);

	/* The TD is gone: a second VM gets its pages. */
	scan_second_vm();
}

static void test_privacy(void **state)
{
	unsigned int locking, huge, in_place;
	struct tdxsim_module_stats ms;

	canary_build();
	/* The scan finds the canary where it is (a page of it: 512 words). */
	{
		static uint64_t page[512];

		tdxsim_guest_pattern_fill(page, REL_GPA + 4096, PATTERN);
		assert_int_equal(scan(page, sizeof(page)), 512);
		canary_found = 0;
	}
	for (locking = 0; locking <= TDXSIM_GMEM_LOCKING_INFLIGHT; locking++)
		for (huge = 0; huge <= 1; huge++)
			for (in_place = 0; in_place <= 1; in_place++) {
				print_message("# gmem_locking=%s folios=%s shared=%s\n",
					      locking ? "inflight" : "legacy",
					      huge ? "2M" : "4K",
					      in_place ? "in place" : "user memory");
				privacy_case(locking, huge, in_place);
			}
	rel_module_stats(&ms);
	assert_int_equal(ms.pages_owned, 0);
	assert_int_equal(ms.pamt_violations, 0);
	print_message("# %" PRIu64 " scans, %" PRIu64 " pages read, %" PRIu64
		      " canary words found\n", scans, pages_scanned,
		      canary_found);
	assert_int_equal(canary_found, 0);
	free(canary);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_privacy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
