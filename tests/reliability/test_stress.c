// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Issue 12, stress: a TD with 8 vCPUs runs the random and the
 * convert-churn workloads in free mode (one thread per vCPU, answering
 * MapGPA and memory-fault exits as QEMU does) while a VMM thread punches,
 * converts and pre-faults a part of the same memslot and guest_memfd the
 * guest does not use (so every S-EPT, mmu_lock, guest_memfd and module
 * lock is shared, but no guest data is the VMM's to destroy). Bounded by
 * operation counts: the workloads' and the VMM's. Afterwards: no
 * data-check failure, every vCPU finished, the invariant checker passes,
 * the module owns no page after teardown, no PAMT violation, no WARN and
 * no lock-validator report. Runs under `make tsan` (suite concurrency).
 * Public headers only.
 */
#include "tdxsim/guest.h"
#include "tdxsim/kvm.h"
#include "tdxsim/report.h"
#include "tdxsim/tdxsim.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
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

#define NR_VCPUS	8
#define RAM		(32ULL << 20)		/* the guest's, unaccepted */
#define VMM_BASE	(REL_GPA + RAM)		/* the VMM's part of the slot */
#define VMM_SIZE	(8ULL << 20)
#define SLOT_SIZE	(RAM + VMM_SIZE)
#define VMM_MIN_OPS	300			/* at least, even if the guest is done */
#define VMM_MAX_OPS	3000			/* at most */

struct stress {
	int kvm, vm, gmem;
	int vcpu[NR_VCPUS + 1];			/* the last: the VMM's, never run */
	struct kvm_run *run[NR_VCPUS];
	long run_size;
	struct tdxsim_guest_model *guest;
	int vcpus_done;
	int vcpu_errno[NR_VCPUS];
	uint64_t kvm_runs, exits_mapgpa, exits_fault;
	uint64_t vmm_ops, vmm_punches, vmm_converts, vmm_prefaults;
	int vmm_bad_errno;
};

static int set_attrs_retry(int vm, uint64_t gpa, uint64_t size, bool priv)
{
	int r;

	do {
		r = rel_set_attrs(vm, gpa, size, priv);
	} while (r < 0 && errno == EAGAIN);
	return r;
}

struct vcpu_arg {
	struct stress *s;
	unsigned int i;
};

static void *vcpu_fn(void *arg)
{
	struct vcpu_arg *a = arg;
	struct stress *s = a->s;
	struct kvm_run *run = s->run[a->i];
	uint64_t last_gpa = ~0ULL, same = 0;

	for (;;) {
		int r = tdxsim_ioctl(s->vcpu[a->i], KVM_RUN, 0);

		__atomic_fetch_add(&s->kvm_runs, 1, __ATOMIC_RELAXED);
		if (r < 0 && errno == EFAULT &&
		    run->exit_reason == KVM_EXIT_MEMORY_FAULT) {
			/* The same fault over and over: no progress. */
			same = run->memory_fault.gpa == last_gpa ? same + 1 : 0;
			last_gpa = run->memory_fault.gpa;
			if (same > 10000) {
				s->vcpu_errno[a->i] = -1000;
				break;
			}
			if (set_attrs_retry(s->vm, run->memory_fault.gpa,
					    run->memory_fault.size,
					    run->memory_fault.flags &
					    KVM_MEMORY_EXIT_FLAG_PRIVATE)) {
				s->vcpu_errno[a->i] = errno;
				break;
			}
			__atomic_fetch_add(&s->exits_fault, 1, __ATOMIC_RELAXED);
			continue;
		}
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0) {
			s->vcpu_errno[a->i] = errno;
			break;
		}
		if (run->exit_reason == KVM_EXIT_HLT)
			break;
		if (run->exit_reason == KVM_EXIT_HYPERCALL &&
		    run->hypercall.nr == KVM_HC_MAP_GPA_RANGE) {
			uint64_t gpa = run->hypercall.args[0] & ~REL_SHARED_48;

			run->hypercall.ret =
				set_attrs_retry(s->vm, gpa,
						run->hypercall.args[1] * 4096,
						run->hypercall.args[2] &
						KVM_MAP_GPA_RANGE_ENCRYPTED) ?
				(uint64_t)errno : 0;
			__atomic_fetch_add(&s->exits_mapgpa, 1,
					   __ATOMIC_RELAXED);
			continue;
		}
		s->vcpu_errno[a->i] = -(int)run->exit_reason;
		break;
	}
	__atomic_fetch_add(&s->vcpus_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* The VMM thread: punch, convert, pre-fault its own part of the slot. */
static void *vmm_fn(void *arg)
{
	struct stress *s = arg;
	uint64_t rng = 0x5eed5eedULL, i;

	for (i = 0; i < VMM_MAX_OPS; i++) {
		uint64_t off, len;
		int r;

		if (i >= VMM_MIN_OPS &&
		    __atomic_load_n(&s->vcpus_done, __ATOMIC_ACQUIRE) ==
		    NR_VCPUS)
			break;
		rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
		off = ((rng >> 20) % (VMM_SIZE / 4096)) * 4096;
		len = (1 + ((rng >> 40) % 64)) * 4096;
		if (off + len > VMM_SIZE)
			len = VMM_SIZE - off;
		switch ((rng >> 60) % 4) {
		case 0:
			r = rel_punch(s->gmem, RAM + off, len);
			s->vmm_punches++;
			if (r && errno != EAGAIN)
				s->vmm_bad_errno = errno;
			break;
		case 1:
			r = set_attrs_retry(s->vm, VMM_BASE + off, len,
					    (rng >> 33) & 1);
			s->vmm_converts++;
			if (r)
				s->vmm_bad_errno = errno;
			break;
		default:
			/* Private GPAs map PENDING, shared ones map shared. */
			r = rel_pre_fault(s->vcpu[NR_VCPUS], VMM_BASE + off, len);
			s->vmm_prefaults++;
			if (r && errno != EAGAIN && errno != EINTR &&
			    errno != ENOENT)
				s->vmm_bad_errno = errno;
			break;
		}
		s->vmm_ops++;
	}
	return NULL;
}

static void stress_run(const char *workload, bool huge, uint64_t seed)
{
	struct kvm_userspace_memory_region2 region;
	/* In-place shared memory, as `tdxsim run` sets it up. */
	struct kvm_create_guest_memfd gargs = {
		.size = SLOT_SIZE, .flags = GUEST_MEMFD_FLAG_MMAP,
	};
	struct tdxsim_guest_config cfg;
	struct tdxsim_module_stats ms;
	struct tdxsim_design design;
	struct vcpu_arg va[NR_VCPUS];
	pthread_t tv[NR_VCPUS], tvmm;
	unsigned long warn0 = tdxsim_nr_warnings();
	unsigned int rep0 = tdxsim_nr_reports(), i;
	struct tdxsim_guest_stats gst;
	struct stress s;
	char err[256];

	memset(&s, 0, sizeof(s));
	s.kvm = rel_open_kvm();
	s.vm = tdxsim_ioctl(s.kvm, KVM_CREATE_VM, KVM_X86_TDX_VM);
	assert_true(s.vm >= 0);
	assert_int_equal(tdxsim_ioctl(s.vm, TDXSIM_GET_DESIGN, &design), 0);
	design.gmem_hugepages = huge;
	assert_int_equal(tdxsim_ioctl(s.vm, TDXSIM_SET_DESIGN, &design), 0);
	{
		/* KVM_TDX_INIT_VM as rel_util does it (GPAW 48). */
		struct kvm_tdx_init_vm *iv;

		iv = calloc(1, sizeof(*iv) + sizeof(struct kvm_cpuid_entry2));
		assert_non_null(iv);
		iv->attributes = 1ULL << 28;
		iv->xfam = 0x3;
		iv->cpuid.nent = 1;
		iv->cpuid.entries[0].function = 0x80000008;
		iv->cpuid.entries[0].eax = (48 << 16) | 52;
		assert_int_equal(rel_tdx_op(s.vm, KVM_TDX_INIT_VM, 0, iv), 0);
		free(iv);
	}
	s.gmem = tdxsim_ioctl(s.vm, KVM_CREATE_GUEST_MEMFD, &gargs);
	assert_true(s.gmem >= 0);
	memset(&region, 0, sizeof(region));
	region.flags = KVM_MEM_GUEST_MEMFD;
	region.guest_phys_addr = REL_GPA;
	region.memory_size = SLOT_SIZE;
	region.guest_memfd = s.gmem;
	assert_int_equal(tdxsim_ioctl(s.vm, KVM_SET_USER_MEMORY_REGION2,
				      &region), 0);
	assert_int_equal(rel_set_attrs(s.vm, REL_GPA, SLOT_SIZE, true), 0);

	tdxsim_guest_config_init(&cfg);
	cfg.workload = workload;
	cfg.nr_vcpus = NR_VCPUS;
	cfg.seed = seed;
	cfg.nr_ranges = 1;
	cfg.ranges[0].base = REL_GPA;
	cfg.ranges[0].size = RAM;
	cfg.ranges[0].type = TDXSIM_RAM_UNACCEPTED;
	assert_int_equal(tdxsim_guest_create(&cfg, &s.guest, err, sizeof(err)),
			 0);

	s.run_size = tdxsim_ioctl(s.kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	for (i = 0; i <= NR_VCPUS; i++) {
		s.vcpu[i] = tdxsim_ioctl(s.vm, KVM_CREATE_VCPU, i);
		assert_true(s.vcpu[i] >= 0);
		if (i < NR_VCPUS) {
			struct tdxsim_guest g = {
				.ops = tdxsim_guest_ops(),
				.guest = tdxsim_guest_vcpu(s.guest, i),
			};

			assert_int_equal(tdxsim_ioctl(s.vcpu[i],
						      TDXSIM_SET_GUEST, &g), 0);
		}
		assert_int_equal(rel_tdx_op(s.vcpu[i], KVM_TDX_INIT_VCPU, 0,
					    NULL), 0);
		if (i < NR_VCPUS) {
			s.run[i] = tdxsim_mmap(NULL, s.run_size,
					       PROT_READ | PROT_WRITE,
					       MAP_SHARED, s.vcpu[i], 0);
			assert_true(s.run[i] != MAP_FAILED);
		}
	}
	assert_int_equal(rel_tdx_op(s.vm, KVM_TDX_FINALIZE_VM, 0, NULL), 0);

	assert_int_equal(pthread_create(&tvmm, NULL, vmm_fn, &s), 0);
	for (i = 0; i < NR_VCPUS; i++) {
		va[i] = (struct vcpu_arg){ &s, i };
		assert_int_equal(pthread_create(&tv[i], NULL, vcpu_fn, &va[i]),
				 0);
	}
	for (i = 0; i < NR_VCPUS; i++)
		assert_int_equal(pthread_join(tv[i], NULL), 0);
	assert_int_equal(pthread_join(tvmm, NULL), 0);

	assert_int_equal(tdxsim_guest_get_stats(s.guest, TDXSIM_GUEST_ALL_VCPUS,
						&gst), 0);
	print_message("# %s%s: %" PRIu64 " KVM_RUNs, %" PRIu64 " MapGPA and %"
		      PRIu64 " memory-fault exits, %" PRIu64 " guest ops, %"
		      PRIu64 " bytes verified; VMM: %" PRIu64 " punches, %"
		      PRIu64 " conversions, %" PRIu64 " pre-faults\n",
		      workload, huge ? " (2M folios)" : "", s.kvm_runs,
		      s.exits_mapgpa, s.exits_fault, gst.ops_done,
		      gst.bytes_verified, s.vmm_punches, s.vmm_converts,
		      s.vmm_prefaults);
	for (i = 0; i < tdxsim_guest_nr_messages(s.guest) && i < 8; i++)
		print_message("# %s\n", tdxsim_guest_message(s.guest, i));
	for (i = 0; i < NR_VCPUS; i++)
		assert_int_equal(s.vcpu_errno[i], 0);
	assert_int_equal(s.vmm_bad_errno, 0);
	assert_int_equal(tdxsim_guest_data_failures(s.guest), 0);
	assert_true(tdxsim_guest_finished(s.guest));
	assert_int_equal(rel_check_invariants(s.vm), 0);

	for (i = 0; i < NR_VCPUS; i++)
		assert_int_equal(tdxsim_munmap(s.run[i], s.run_size), 0);
	for (i = 0; i <= NR_VCPUS; i++)
		assert_int_equal(tdxsim_close(s.vcpu[i]), 0);
	assert_int_equal(tdxsim_close(s.gmem), 0);
	assert_int_equal(tdxsim_close(s.vm), 0);
	assert_int_equal(tdxsim_close(s.kvm), 0);
	tdxsim_guest_destroy(s.guest);

	rel_module_stats(&ms);
	assert_int_equal(ms.pages_owned, 0);
	assert_int_equal(ms.pamt_violations, 0);
	assert_int_equal(tdxsim_nr_warnings(), warn0);
	assert_int_equal(tdxsim_nr_reports(), rep0);
}

static void test_stress_random(void **state)
{
	rel_watchdog(600, "stress: random");
	stress_run("random", false, 1);
	stress_run("random", true, 2);
	rel_watchdog(0, NULL);
}

static void test_stress_convert_churn(void **state)
{
	rel_watchdog(600, "stress: convert-churn");
	stress_run("convert-churn", false, 3);
	stress_run("convert-churn", true, 4);
	rel_watchdog(0, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stress_random),
		cmocka_unit_test(test_stress_convert_churn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
