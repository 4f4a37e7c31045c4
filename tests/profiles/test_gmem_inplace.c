// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * guest_memfd in-place conversion v8 (next+gmem-inplace) from the VMM's
 * side: public headers only, as a VMM sees it.
 *  - KVM_SET_MEMORY_ATTRIBUTES2 on the guest_memfd: each errno of v8's
 *    table (EINVAL, EFAULT, ENOTTY), a no-op conversion, error_offset;
 *  - the mutual exclusion of v8's gmem_in_place_conversion: the VM ioctl
 *    refuses PRIVATE (EINVAL) and KVM_CAP_MEMORY_ATTRIBUTES reports 0,
 *    the cap 250 reports PRIVATE, INIT_SHARED is offered to a TD; without
 *    the overlay the guest_memfd ioctl is ENOTTY, cap 250 is 0;
 *  - host access through the mmap: a private page faults (SIGBUS,
 *    -EFAULT), a shared one does not; a program's own access maps a
 *    shared page (with gmem_locking=legacy too) until it goes private;
 *    memory failure takes a mapped page away (then EHWPOISON);
 *  - a host reference (a GUP pin) on a shared page: to private fails with
 *    EAGAIN and the pinned page's offset, and succeeds once unpinned; with
 *    gmem_conv_refcheck=none the conversion succeeds under the pin and
 *    the invariant check finds the private page still referenced;
 *  - the in-place populate (v8 23/46): the image written through the mmap
 *    while shared, the range converted to private, KVM_TDX_INIT_MEM_REGION
 *    with a NULL source: the MRTD of the same image populated from a
 *    separate source; next refuses a NULL source (EINVAL).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "testlib/kvm_util.h"

#define MB	(1ULL << 20)
#define PG	4096ULL

static void inplace_td(struct td *td, const char *kernel, bool no_refcheck)
{
	struct td_opts o;

	td_opts_init(&o);
	td_opts_set_kernel(&o, kernel);
	if (no_refcheck)
		o.design.gmem_conv_refcheck = TDXSIM_GMEM_CONV_REFCHECK_NONE;
	o.memory = 4 * MB;
	td_create(td, &o);
}

/* KVM_SET_MEMORY_ATTRIBUTES2 with @a as given: 0 or -errno. */
static int set_attrs2(int fd, struct kvm_memory_attributes2 *a)
{
	return tdxsim_ioctl(fd, KVM_SET_MEMORY_ATTRIBUTES2, a) < 0 ? -errno : 0;
}

static int convert(struct td *td, uint64_t off, uint64_t size, bool private,
		   uint64_t *error_offset)
{
	struct kvm_memory_attributes2 a = {
		.offset = off,
		.size = size,
		.attributes = private ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0,
		.error_offset = ~0ULL,
	};
	int r = set_attrs2(td->gmem, &a);

	if (error_offset)
		*error_offset = a.error_offset;
	return r;
}

static int host_touch(struct td *td, uint64_t off, bool write)
{
	uint8_t b = 0x5a;

	return tdxsim_gmem_host_access((uint8_t *)td->shared_map + off, &b, 1,
				       write);
}

static void test_errnos(void **state)
{
	struct kvm_memory_attributes2 a;
	struct tdxsim_stats b, n;
	struct td td;

	inplace_td(&td, "next+gmem-inplace", false);

#define EXPECT_EINVAL(...)						\
	do {								\
		a = (struct kvm_memory_attributes2){ .offset = 0,	\
			.size = PG,					\
			.attributes = KVM_MEMORY_ATTRIBUTE_PRIVATE };	\
		__VA_ARGS__;						\
		assert_int_equal(set_attrs2(td.gmem, &a), -EINVAL);	\
	} while (0)

	EXPECT_EINVAL(a.flags = 1);
	EXPECT_EINVAL(a.reserved[10] = 1);
	EXPECT_EINVAL(a.attributes = 1ULL << 0);
	EXPECT_EINVAL(a.size = 0);
	EXPECT_EINVAL(a.offset = 1);
	EXPECT_EINVAL(a.size = PG + 1);
	EXPECT_EINVAL(a.offset = ~0ULL & ~(PG - 1));		/* overflow */
	EXPECT_EINVAL(a.offset = 4 * MB);			/* at i_size */
	EXPECT_EINVAL(a.offset = 4 * MB - PG; a.size = 2 * PG);	/* beyond */
#undef EXPECT_EINVAL

	/* A bad argument pointer: EFAULT. */
	assert_int_equal(tdxsim_ioctl(td.gmem, KVM_SET_MEMORY_ATTRIBUTES2, 8),
			 -1);
	assert_int_equal(errno, EFAULT);
	/* Another ioctl number on a guest_memfd: ENOTTY. */
	assert_int_equal(tdxsim_ioctl(td.gmem, KVM_SET_MEMORY_ATTRIBUTES, &a),
			 -1);
	assert_int_equal(errno, ENOTTY);

	/* Already private (the file's initial state): 0, nothing converted. */
	td_kvm_stats(&td, &b);
	assert_int_equal(convert(&td, 0, 4 * MB, true, NULL), 0);
	td_kvm_stats(&td, &n);
	assert_int_equal(n.conversions, b.conversions);

	/* Host access: private faults (SIGBUS), shared works, and back. */
	assert_int_equal(host_touch(&td, 2 * PG, false), -EFAULT);
	assert_int_equal(convert(&td, 2 * PG, PG, false, NULL), 0);
	td_kvm_stats(&td, &n);
	assert_int_equal(n.conversions, b.conversions + 1);
	assert_int_equal(n.pages_to_shared, b.pages_to_shared + 1);
	assert_int_equal(host_touch(&td, 2 * PG, true), 0);
	assert_int_equal(host_touch(&td, 3 * PG, true), -EFAULT);
	assert_int_equal(convert(&td, 2 * PG, PG, true, NULL), 0);
	assert_int_equal(host_touch(&td, 2 * PG, false), -EFAULT);
	td_check(&td);
	td_destroy(&td);
}

static void test_mutual_exclusion(void **state)
{
	struct td td;

	inplace_td(&td, "next+gmem-inplace", false);
	assert_int_equal(__vm_set_memory_attributes(td.vm, 0, PG,
						    KVM_MEMORY_ATTRIBUTE_PRIVATE),
			 -EINVAL);
	assert_int_equal(tdxsim_ioctl(td.vm, KVM_CHECK_EXTENSION,
				      KVM_CAP_MEMORY_ATTRIBUTES), 0);
	assert_int_equal(tdxsim_ioctl(td.vm, KVM_CHECK_EXTENSION,
				      KVM_CAP_GUEST_MEMFD_MEMORY_ATTRIBUTES),
			 KVM_MEMORY_ATTRIBUTE_PRIVATE);
	assert_true(tdxsim_ioctl(td.vm, KVM_CHECK_EXTENSION,
				 KVM_CAP_GUEST_MEMFD_FLAGS) &
		    GUEST_MEMFD_FLAG_INIT_SHARED);
	{
		int fd = vm_create_guest_memfd(td.vm, 2 * MB,
					       GUEST_MEMFD_FLAG_MMAP |
					       GUEST_MEMFD_FLAG_INIT_SHARED);

		assert_int_equal(tdxsim_close(fd), 0);
	}
	assert_int_equal(convert(&td, 0, PG, false, NULL), 0);
	td_destroy(&td);

	/* next: per-VM attributes; the guest_memfd ioctl does not exist. */
	inplace_td(&td, "next", false);
	assert_int_equal(convert(&td, 0, PG, false, NULL), -ENOTTY);
	assert_int_equal(tdxsim_ioctl(td.vm, KVM_CHECK_EXTENSION,
				      KVM_CAP_GUEST_MEMFD_MEMORY_ATTRIBUTES), 0);
	assert_int_equal(tdxsim_ioctl(td.vm, KVM_CHECK_EXTENSION,
				      KVM_CAP_MEMORY_ATTRIBUTES),
			 KVM_MEMORY_ATTRIBUTE_PRIVATE);
	assert_false(tdxsim_ioctl(td.vm, KVM_CHECK_EXTENSION,
				  KVM_CAP_GUEST_MEMFD_FLAGS) &
		     GUEST_MEMFD_FLAG_INIT_SHARED);
	assert_int_equal(__vm_create_guest_memfd(td.vm, 2 * MB,
						 GUEST_MEMFD_FLAG_INIT_SHARED),
			 -EINVAL);
	assert_int_equal(__vm_set_memory_attributes(td.vm, 0, PG, 0), 0);
	td_destroy(&td);
}

/*
 * A host pin on the second of three shared pages: to private is EAGAIN at
 * that page's offset, nothing changes; after the unpin it succeeds.
 */
static void test_pinned_eagain(void **state)
{
	struct tdxsim_host_pin *pin;
	uint64_t eoff;
	struct td td;

	inplace_td(&td, "next+gmem-inplace", false);
	assert_int_equal(convert(&td, 8 * PG, 3 * PG, false, NULL), 0);
	assert_int_equal(tdxsim_host_pin((uint8_t *)td.shared_map + 9 * PG, PG,
					 true, &pin), 0);
	assert_int_equal(convert(&td, 8 * PG, 3 * PG, true, &eoff), -EAGAIN);
	assert_int_equal(eoff, 9 * PG);
	/* Nothing converted: the host still reaches all three. */
	assert_int_equal(host_touch(&td, 8 * PG, true), 0);
	assert_int_equal(host_touch(&td, 10 * PG, true), 0);
	tdxsim_host_unpin(pin);
	assert_int_equal(convert(&td, 8 * PG, 3 * PG, true, &eoff), 0);
	assert_int_equal(host_touch(&td, 9 * PG, false), -EFAULT);
	/* A private page cannot be pinned: the fault is SIGBUS. */
	assert_int_equal(tdxsim_host_pin((uint8_t *)td.shared_map + 9 * PG, PG,
					 false, &pin), -EFAULT);
	td_check(&td);
	td_destroy(&td);
}

/* Without v8's check the page goes private under the pin: the race. */
static void test_pinned_no_check(void **state)
{
	struct tdxsim_host_pin *pin;
	uint8_t dma[64];
	struct td td;

	inplace_td(&td, "next+gmem-inplace", true);
	assert_int_equal(convert(&td, 8 * PG, PG, false, NULL), 0);
	assert_int_equal(tdxsim_host_pin((uint8_t *)td.shared_map + 8 * PG, PG,
					 true, &pin), 0);
	assert_int_equal(convert(&td, 8 * PG, PG, true, NULL), 0);
	memset(dma, 0xd3, sizeof(dma));
	assert_int_equal(tdxsim_host_pin_write(pin, 0, dma, sizeof(dma)), 0);
	assert_int_equal(td_check_count(&td), 1);
	tdxsim_host_unpin(pin);
	assert_int_equal(td_check_count(&td), 0);
	td_destroy(&td);
}

/* A finalized TD of @kernel whose [2M, +2 pages) is the image, its MRTD. */
static int populate_mrtd(const char *kernel, bool in_place, uint8_t *mrtd)
{
	struct kvm_tdx_init_mem_region region = {
		.gpa = 2 * MB,
		.nr_pages = 2,
	};
	static uint8_t img[2 * PG] __attribute__((aligned(4096)));
	struct tdxsim_mrtd m;
	struct td td;
	uint64_t i;
	int r;

	for (i = 0; i < 2; i++)
		td_src_pattern(img + i * PG, PG, 17, i);
	inplace_td(&td, kernel, false);
	/* On next: no conversion, only the NULL source. */
	if (in_place && tdxsim_ioctl(td.vm, KVM_CHECK_EXTENSION,
				     KVM_CAP_GUEST_MEMFD_MEMORY_ATTRIBUTES) > 0) {
		assert_int_equal(convert(&td, 2 * MB, 2 * PG, false, NULL), 0);
		assert_int_equal(tdxsim_gmem_host_access(
				 (uint8_t *)td.shared_map + 2 * MB, img,
				 sizeof(img), true), 0);
		assert_int_equal(convert(&td, 2 * MB, 2 * PG, true, NULL), 0);
	} else if (!in_place) {
		region.source_addr = (uint64_t)(uintptr_t)img;
	}
	r = __td_init_mem_region(&td, td.vcpu[0], KVM_TDX_MEASURE_MEMORY_REGION,
				 &region);
	if (!r) {
		/* v8: a NULL source is not advanced. */
		assert_int_equal(region.source_addr,
				 in_place ? 0 : (uint64_t)(uintptr_t)img + 2 * PG);
		td_finalize(&td);
		assert_int_equal(tdxsim_ioctl(td.vm, TDXSIM_GET_MRTD, &m), 0);
		memcpy(mrtd, m.mrtd, sizeof(m.mrtd));
		td_check(&td);
	}
	td_destroy(&td);
	return r;
}

static void test_in_place_populate(void **state)
{
	uint8_t a[48], b[48], zero[48] = { 0 };

	assert_int_equal(populate_mrtd("next+gmem-inplace", true, a), 0);
	assert_int_equal(populate_mrtd("next+gmem-inplace", false, b), 0);
	assert_memory_equal(a, b, sizeof(a));
	assert_memory_not_equal(a, zero, sizeof(a));
	assert_int_equal(populate_mrtd("next", true, a), -EINVAL);
}

/* Can the process read @p (is a page mapped there)? */
static bool readable(const void *p)
{
	uint8_t b;
	struct iovec local = { .iov_base = &b, .iov_len = 1 };
	struct iovec remote = { .iov_base = (void *)p, .iov_len = 1 };

	return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == 1;
}

/*
 * tdxsim_gmem_fault(), a program's own access to the mmap (tdxsim exec's
 * SIGSEGV handler, TDXSIM_PHYS_MEMFD=1): a shared page is mapped at the
 * address, with v8's fault and with the older one (gmem_locking=legacy)
 * alike; a conversion to private takes it away, then the fault is SIGBUS.
 */
static void host_fault_maps(bool legacy)
{
	struct td_opts o;
	uint8_t b = 0, *p;
	struct td td;

	td_opts_init(&o);
	td_opts_set_kernel(&o, "next+gmem-inplace");
	if (legacy)
		o.design.gmem_locking = TDXSIM_GMEM_LOCKING_LEGACY;
	o.memory = 4 * MB;
	td_create(&td, &o);
	p = (uint8_t *)td.shared_map + 8 * PG;
	assert_int_equal(convert(&td, 8 * PG, PG, false, NULL), 0);
	assert_false(readable(p));
	assert_int_equal(tdxsim_gmem_fault(p + 5, true), 0);
	assert_true(readable(p));
	p[5] = 0x77;
	assert_int_equal(tdxsim_gmem_host_access(p + 5, &b, 1, false), 0);
	assert_int_equal(b, 0x77);
	assert_int_equal(convert(&td, 8 * PG, PG, true, NULL), 0);
	assert_false(readable(p));
	assert_int_equal(tdxsim_gmem_fault(p, false), -EFAULT);
	assert_false(readable(p));
	td_destroy(&td);
}

static void test_host_fault_maps(void **state)
{
	host_fault_maps(false);
}

static void test_host_fault_maps_legacy(void **state)
{
	host_fault_maps(true);
}

/*
 * Memory failure of a shared page the program has mapped: the page leaves
 * the mapping (hwpoison_user_mappings()), the next access is -EHWPOISON
 * (SIGBUS BUS_MCEERR_AR) and maps nothing; the page next to it stays.
 */
static void test_memory_failure_unmaps(void **state)
{
	uint8_t b = 0, *p;
	struct td td;

	inplace_td(&td, "next+gmem-inplace", false);
	p = (uint8_t *)td.shared_map + 8 * PG;
	assert_int_equal(convert(&td, 8 * PG, 2 * PG, false, NULL), 0);
	assert_int_equal(tdxsim_gmem_fault(p, true), 0);
	assert_int_equal(tdxsim_gmem_fault(p + PG, true), 0);
	p[0] = 0x11;
	p[PG] = 0x22;
	assert_int_equal(tdxsim_memory_failure(td.gmem, 8 * PG), 0);
	assert_false(readable(p));
	assert_true(readable(p + PG));
	assert_int_equal(p[PG], 0x22);
	assert_int_equal(tdxsim_gmem_fault(p, false), -EHWPOISON);
	assert_false(readable(p));
	assert_int_equal(tdxsim_gmem_host_access(p, &b, 1, false), -EHWPOISON);
	assert_int_equal(tdxsim_gmem_host_access(p + PG, &b, 1, false), 0);
	assert_int_equal(b, 0x22);
	td_destroy(&td);
}

/* What tdxsim_set_mce_notify()'s notifier was given. */
static struct tdxsim_mce_signal mce_sig[4];
static unsigned int mce_nr;

static void mce_note(const struct tdxsim_mce_signal *sig, void *arg)
{
	*(unsigned int *)arg += 1;
	if (mce_nr < 4)
		mce_sig[mce_nr++] = *sig;
}

/*
 * The early kill through the library: tdxsim_prctl() answers as
 * kernel/sys.c; a memory failure of a page mapped writable goes to the
 * notifier as SIGBUS BUS_MCEERR_AO for the calling (main) thread when it
 * set PR_MCE_KILL_EARLY, or set nothing with the sysctl on, once per
 * mapping that covers the page (si_addr the page there, mapped or not);
 * nothing for a late-kill process or a page not mapped.
 */
static void test_memory_failure_early_kill(void **state)
{
	unsigned int calls = 0;
	uint8_t *p, *q;
	struct td td;

	inplace_td(&td, "next+gmem-inplace", false);
	tdxsim_set_mce_notify(mce_note, &calls);
	assert_int_equal(tdxsim_prctl(PR_MCE_KILL_GET, 0, 0, 0, 0),
			 PR_MCE_KILL_DEFAULT);
	assert_int_equal(tdxsim_prctl(PR_MCE_KILL, PR_MCE_KILL_SET,
				      PR_MCE_KILL_EARLY, 0, 1), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(tdxsim_prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), -1);
	assert_int_equal(errno, EINVAL);
	p = (uint8_t *)td.shared_map + 8 * PG;
	assert_int_equal(convert(&td, 8 * PG, 4 * PG, false, NULL), 0);
	/* Late (the default, sysctl off): nothing at the failure. */
	assert_int_equal(tdxsim_gmem_fault(p, true), 0);
	assert_int_equal(tdxsim_memory_failure(td.gmem, 8 * PG), 0);
	assert_int_equal(calls, 0);
	/* The sysctl on, no policy of the thread's own: early. */
	tdxsim_set_memory_failure_early_kill(1);
	assert_int_equal(tdxsim_memory_failure_early_kill(), 1);
	assert_int_equal(tdxsim_gmem_fault(p + PG, true), 0);
	assert_int_equal(tdxsim_memory_failure(td.gmem, 9 * PG), 0);
	assert_int_equal(calls, 1);
	assert_int_equal(mce_sig[0].tid, getpid());
	assert_int_equal(mce_sig[0].si_code, BUS_MCEERR_AO);
	assert_ptr_equal(mce_sig[0].addr, p + PG);
	assert_int_equal(mce_sig[0].addr_lsb, 12);
	/* The thread's own late policy wins over the sysctl. */
	assert_int_equal(tdxsim_prctl(PR_MCE_KILL, PR_MCE_KILL_SET,
				      PR_MCE_KILL_LATE, 0, 0), 0);
	assert_int_equal(tdxsim_gmem_fault(p + 2 * PG, true), 0);
	assert_int_equal(tdxsim_memory_failure(td.gmem, 10 * PG), 0);
	assert_int_equal(calls, 1);
	tdxsim_set_memory_failure_early_kill(0);
	/* Early, two mappings cover the page, one maps it: two signals. */
	assert_int_equal(tdxsim_prctl(PR_MCE_KILL, PR_MCE_KILL_SET,
				      PR_MCE_KILL_EARLY, 0, 0), 0);
	q = tdxsim_mmap(NULL, 16 * PG, PROT_READ | PROT_WRITE, MAP_SHARED,
			td.gmem, 0);
	assert_ptr_not_equal(q, MAP_FAILED);
	assert_int_equal(tdxsim_gmem_fault(p + 3 * PG, true), 0);
	mce_nr = 0;
	assert_int_equal(tdxsim_memory_failure(td.gmem, 11 * PG), 0);
	assert_int_equal(calls, 3);
	assert_true((mce_sig[0].addr == p + 3 * PG &&
		     mce_sig[1].addr == q + 11 * PG) ||
		    (mce_sig[1].addr == p + 3 * PG &&
		     mce_sig[0].addr == q + 11 * PG));
	assert_int_equal(tdxsim_munmap(q, 16 * PG), 0);
	assert_int_equal(tdxsim_prctl(PR_MCE_KILL, PR_MCE_KILL_CLEAR, 0, 0, 0),
			 0);
	tdxsim_set_mce_notify(NULL, NULL);
	td_destroy(&td);
}

int main(void)
{
	/* The PFN space a memfd, as under tdxsim exec: faults map pages. */
	setenv("TDXSIM_PHYS_MEMFD", "1", 1);

	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errnos),
		cmocka_unit_test(test_mutual_exclusion),
		cmocka_unit_test(test_pinned_eagain),
		cmocka_unit_test(test_pinned_no_check),
		cmocka_unit_test(test_in_place_populate),
		cmocka_unit_test(test_host_fault_maps),
		cmocka_unit_test(test_host_fault_maps_legacy),
		cmocka_unit_test(test_memory_failure_unmaps),
		cmocka_unit_test(test_memory_failure_early_kill),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
