/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tdxsim's test library, part 2: the KVM and TD helpers, in the style of
 * the kernel selftests' kvm_util (libtdxsim-testutil, pkg-config
 * tdxsim-testutil; docs/test-library.md). Written against the public
 * headers only (the uAPI through tdxsim_open/ioctl/close/fallocate/mmap):
 * tdxsim's own tests use them, and a new scenario is a short C program.
 *
 * Helpers come in pairs: __thing() returns its result or -errno for the
 * test to check; thing() asserts success, naming the call and the errno.
 *
 * Two levels:
 * - descriptors: /dev/kvm, VMs, vCPUs, guest_memfd, memslots, attributes,
 *   KVM_MEMORY_ENCRYPT_OP (kvm_util.c);
 * - a TD built the way a VMM builds one (struct td: one guest_memfd slot at
 *   GPA 0, all private, vCPUs running a guest program), populated,
 *   finalized, run, converted, punched, pre-faulted, and the counters KVM
 *   and the module keep (td_util.c).
 * - runs: a test's function with its threads under the deterministic
 *   scheduler with a seed (replayable), or free (run_util.c).
 * A failed thing() reports and fails as test_util.h says.
 */
#ifndef TDXSIM_KVM_UTIL_H
#define TDXSIM_KVM_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tdxsim/guest.h"
#include "tdxsim/kvm.h"
#include "tdxsim/sched.h"
#include "tdxsim/tdxsim.h"
#include "tdxsim/test_util.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- descriptors ---- */

/* The /dev/kvm descriptor (opened once; asserts). */
int kvm_dev(void);

/* KVM_CREATE_VM of @type: the VM fd. */
int __vm_create(unsigned long type);
int vm_create(unsigned long type);
/* TDXSIM_SET_KERNEL: run kernel profile @name (0 or -errno; asserts). */
int __vm_set_kernel(int vm, const char *name);
void vm_set_kernel(int vm, const char *name);
/* A TDX VM after KVM_TDX_INIT_VM with no parameters: its fd (asserts). */
int vm_create_tdx(void);

/*
 * KVM_MEMORY_ENCRYPT_OP with a struct kvm_tdx_cmd on a VM or vCPU fd: 0 or
 * -errno; *@hw_error (may be NULL) gets the command's hw_error.
 */
int __tdx_cmd(int fd, uint32_t id, uint32_t flags, uint64_t data,
	      uint64_t *hw_error);
void tdx_cmd(int fd, uint32_t id, uint32_t flags, uint64_t data);

/* KVM_CREATE_GUEST_MEMFD: the guest_memfd fd. */
int __vm_create_guest_memfd(int vm, uint64_t size, uint64_t flags);
int vm_create_guest_memfd(int vm, uint64_t size, uint64_t flags);

/* KVM_SET_USER_MEMORY_REGION2. */
int __vm_set_user_memory_region2(int vm, uint32_t slot, uint32_t flags,
				 uint64_t gpa, uint64_t size, uint64_t uaddr,
				 uint32_t gmem_fd, uint64_t gmem_offset);
void vm_set_user_memory_region2(int vm, uint32_t slot, uint32_t flags,
				uint64_t gpa, uint64_t size, uint64_t uaddr,
				uint32_t gmem_fd, uint64_t gmem_offset);

/* KVM_SET_MEMORY_ATTRIBUTES. */
int __vm_set_memory_attributes(int vm, uint64_t gpa, uint64_t size,
			       uint64_t attributes);
void vm_set_memory_attributes(int vm, uint64_t gpa, uint64_t size,
			      uint64_t attributes);

/*
 * KVM_SET_MEMORY_ATTRIBUTES2 on guest_memfd @gmem (in-place conversion):
 * 0 or -errno; on an error *@error_offset (may be NULL) gets the offset
 * the kernel reported.
 */
int __gmem_set_attributes(int gmem, uint64_t offset, uint64_t size,
			  uint64_t attributes, uint64_t *error_offset);
void gmem_set_attributes(int gmem, uint64_t offset, uint64_t size,
			 uint64_t attributes);

/* KVM_CREATE_VCPU: the vCPU fd. */
int __vm_vcpu_add(int vm, unsigned long id);
int vm_vcpu_add(int vm, unsigned long id);

/* fallocate(2) on a guest_memfd. */
int __gmem_fallocate(int fd, int mode, uint64_t offset, uint64_t len);
void gmem_fallocate(int fd, int mode, uint64_t offset, uint64_t len);

/* 2M-aligned, zeroed host memory for userspace_addr (free() it). */
void *test_alloc(size_t size);

/* ---- a TD ---- */

#define TD_MAX_VCPUS	4

struct td_opts {
	uint64_t memory;		/* bytes of the one slot at GPA 0 */
	unsigned int nr_vcpus;
	/* The kernel profile and its switches (td_opts_set_kernel()). */
	char kernel[TDXSIM_KERNEL_NAME_MAX];
	struct tdxsim_design design;
	/* Guest program text for every vCPU (NULL: none attached). */
	const char *program;
	/*
	 * Or guest code of the test's own (ops non-NULL, no program): every
	 * vCPU runs @raw_guest.ops with context @raw_guest.guest.
	 */
	struct tdxsim_guest raw_guest;
	/*
	 * Or a guest model the test built (tdxsim_guest_create()): vCPU i runs
	 * its context i. The test destroys it.
	 */
	struct tdxsim_guest_model *model;
	/*
	 * The TD without SEPT_VE_DISABLE: the guest gets a #VE for a PENDING
	 * page instead of the EPT violation that ends it.
	 */
	bool no_sept_ve_disable;
	/* KVM_TDX_INIT_VCPU's data: the vCPUs' initial RCX (the TD HOB). */
	uint64_t init_rcx;
	uint64_t seed;
	/* td_create() stops after the VM and its design (then td_create_rest). */
	bool vm_only;
};

struct td {
	int kvm;
	int vm;
	int gmem;
	uint64_t memory;
	unsigned int nr_vcpus;
	int vcpu[TD_MAX_VCPUS];
	struct kvm_run *run[TD_MAX_VCPUS];
	size_t run_size;
	void *shared_map;		/* the guest_memfd mapping (shared view) */
	struct tdxsim_guest_model *guest;
	/* Per vCPU: the exit reason that ended its last td_run_vcpu(). */
	uint32_t last_exit[TD_MAX_VCPUS];
	int last_errno[TD_MAX_VCPUS];
	uint64_t runs[TD_MAX_VCPUS];
	/*
	 * Called on every exit of td_run_vcpu() before it is handled (a test's
	 * pause point, e.g. a MapGPA); a non-zero return stops the vCPU.
	 */
	int (*exit_hook)(struct td *td, unsigned int vcpu, struct kvm_run *run);
	void *priv;			/* the test's */
	/* Pages the module owned for any TD when this TD was created. */
	uint64_t owned_at_create;
	/* Host frees of module-owned pages seen when this TD was created. */
	uint64_t pamt_violations_at_create;
	/* A bugged VM may leak pages on purpose: skip the teardown check. */
	bool allow_leak;
};

/* Options with the defaults: 16 MiB, one vCPU, the default kernel. */
void td_opts_init(struct td_opts *o);
/* Select kernel profile @name and its switches (asserts it exists). */
void td_opts_set_kernel(struct td_opts *o, const char *name);

/*
 * Create a TD: VM, design, INIT_VM, guest_memfd + slot 0, all private,
 * vCPUs with the guest program attached, INIT_VCPU. Asserts on failure.
 */
void td_create(struct td *td, const struct td_opts *o);
/* The rest of td_create() after a vm_only one (INIT_VM onwards). */
void td_create_rest(struct td *td, const struct td_opts *o);

/*
 * KVM_TDX_INIT_MEM_REGION of @nr_pages from a deterministic source image
 * (pattern @seed) at @gpa, retried for partial progress on EAGAIN/EINTR/
 * EBUSY: 0 or -errno of the first hard failure.
 */
int __td_populate(struct td *td, uint64_t gpa, uint64_t nr_pages,
		  bool measure, uint64_t seed);
void td_populate(struct td *td, uint64_t gpa, uint64_t nr_pages,
		 bool measure, uint64_t seed);
/* One KVM_TDX_INIT_MEM_REGION call on @vcpu_fd; @region is updated. */
int __td_init_mem_region(struct td *td, int vcpu_fd, uint32_t flags,
			 struct kvm_tdx_init_mem_region *region);
/* KVM_TDX_FINALIZE_VM. */
int __td_finalize(struct td *td);
void td_finalize(struct td *td);

/*
 * KVM_RUN vCPU @i until HLT or an exit the helper does not handle (memory
 * faults and MapGPA convert; other exits stop): 0 or -errno.
 */
int __td_run_vcpu(struct td *td, unsigned int i);
void td_run_vcpu(struct td *td, unsigned int i);
/* Run every vCPU on its own thread and join them (free or deterministic). */
void td_run_all(struct td *td);

/* KVM_SET_MEMORY_ATTRIBUTES private (@private) or shared. */
int __td_set_private(struct td *td, uint64_t gpa, uint64_t size,
		     bool private);
void td_set_private(struct td *td, uint64_t gpa, uint64_t size, bool private);
/* PUNCH_HOLE on the guest_memfd. */
int __td_punch(struct td *td, uint64_t offset, uint64_t len);
void td_punch(struct td *td, uint64_t offset, uint64_t len);
/* One KVM_PRE_FAULT_MEMORY call on vCPU @i; @range updated (progress). */
int __td_prefault_raw(struct td *td, unsigned int i,
		      struct kvm_pre_fault_memory *range);
/* Pre-fault [gpa, gpa+size) completely, retrying EAGAIN/EINTR. */
int __td_prefault(struct td *td, unsigned int i, uint64_t gpa,
		  uint64_t size);
void td_prefault(struct td *td, unsigned int i, uint64_t gpa, uint64_t size);

/* The counters (TDXSIM_GET_STATS, _TD_STATS, the guest's; asserting). */
void td_kvm_stats(struct td *td, struct tdxsim_stats *st);
void td_module_stats(struct td *td, struct tdxsim_td_stats *st);
void td_guest_stats(struct td *td, struct tdxsim_guest_stats *st);
/* SEAMCALLs of @leaf made for this TD so far. */
uint64_t td_seamcalls(struct td *td, unsigned int leaf);

/* The number of invariant violations (prints the report if any). */
int td_check_count(struct td *td);
/* Run the invariant checker; assert it found nothing. */
void td_check(struct td *td);

/* Is the VM dead (its controls answer EIO)? */
bool td_vm_dead(struct td *td);

/*
 * Close every descriptor; the VM is destroyed. Unless @td->allow_leak,
 * asserts that the module owns no more pages than before td_create() (every
 * page of the TD was reclaimed) and that no PAMT violation happened.
 */
void td_destroy(struct td *td);

/* Fill @buf (@len bytes) with the source pattern of page index @i. */
void td_src_pattern(void *buf, size_t len, uint64_t seed, uint64_t i);

/* ---- runs ---- */

/*
 * Run @fn(@arg) as the first thread of a deterministic run with @seed and
 * @strategy (threads it starts with tdxsim_thread_create() run one at a
 * time, switching at tdxsim's schedule points: a seed replays exactly).
 * __run_deterministic() returns tdxsim_sched_run()'s 0 or -errno and fills
 * @res; run_deterministic() asserts that the run took place and returns its
 * result (the verdict, schedule points, @fn's return value) for the test
 * to check. Runs are quiet unless TDXSIM_TEST_VERBOSE is set.
 */
int __run_deterministic(int (*fn)(void *), void *arg, uint64_t seed,
			enum tdxsim_sched_strategy strategy,
			struct tdxsim_sched_result *res);
struct tdxsim_sched_result run_deterministic(int (*fn)(void *), void *arg,
					     uint64_t seed,
					     enum tdxsim_sched_strategy strategy);
/* A free run (parallel threads) whose watchdog ends waits after @hang_ms. */
int __run_free(int (*fn)(void *), void *arg, unsigned int hang_ms,
	       struct tdxsim_sched_result *res);
struct tdxsim_sched_result run_free(int (*fn)(void *), void *arg,
				    unsigned int hang_ms);

#ifdef __cplusplus
}
#endif

#endif /* TDXSIM_KVM_UTIL_H */
