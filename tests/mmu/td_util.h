/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers for the TDP MMU / TDX tests: build a TD through the public uAPI
 * (one guest_memfd slot at GPA 0, all private), populate it with
 * KVM_TDX_INIT_MEM_REGION, finalize, run vCPUs with a guest program, convert,
 * punch holes, pre-fault, and read the counters KVM and the module keep.
 * Every helper asserts (cmocka) unless it returns an errno to check.
 */
#ifndef TDXSIM_TESTS_MMU_TD_UTIL_H
#define TDXSIM_TESTS_MMU_TD_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/page_alloc.h"
#include "base/sched.h"
#include "seam/seamcall.h"
#include "seam/tdcall.h"
#include "tdxsim/guest.h"
#include "tdxsim/kvm.h"
#include "tdxsim/tdxsim.h"

#define TD_MAX_VCPUS	4

struct td_opts {
	u64 memory;			/* bytes of the one slot at GPA 0 */
	unsigned int nr_vcpus;
	struct tdxsim_design design;
	/* Guest program text for every vCPU (NULL: none attached). */
	const char *program;
	u64 seed;
	/* td_create() stops after the VM and its design (then td_create_rest). */
	bool vm_only;
};

struct td {
	int kvm;
	int vm;
	int gmem;
	u64 memory;
	unsigned int nr_vcpus;
	int vcpu[TD_MAX_VCPUS];
	struct kvm_run *run[TD_MAX_VCPUS];
	size_t run_size;
	void *shared_map;		/* the guest_memfd mapping (shared view) */
	struct tdxsim_guest_model *guest;
	/* Per vCPU: the exit reason that ended its last td_run_vcpu(). */
	u32 last_exit[TD_MAX_VCPUS];
	int last_errno[TD_MAX_VCPUS];
	u64 runs[TD_MAX_VCPUS];
	/*
	 * Called on every exit of td_run_vcpu() before it is handled (a test's
	 * pause point, e.g. a MapGPA); a non-zero return stops the vCPU.
	 */
	int (*exit_hook)(struct td *td, unsigned int vcpu, struct kvm_run *run);
	void *priv;			/* the test's */
	/* Pages the module owned for any TD when this TD was created. */
	u64 owned_at_create;
	/* A bugged VM may leak pages on purpose: skip the teardown check. */
	bool allow_leak;
};

/* Options with the defaults: 16 MiB, one vCPU, the upstream design. */
void td_opts_init(struct td_opts *o);

/*
 * Create a TD: VM, design, INIT_VM, guest_memfd + slot 0, all private,
 * vCPUs with the guest program attached, INIT_VCPU. Asserts on failure.
 */
void td_create(struct td *td, const struct td_opts *o);
/* The rest of td_create() after a vm_only one (INIT_VM onwards). */
void td_create_rest(struct td *td, const struct td_opts *o);
/*
 * White-box: the host page guest_memfd holds for @gpa (slot 0 maps file
 * offset = GPA), NULL if none.
 */
struct page *td_gmem_page(struct td *td, u64 gpa);
/*
 * White-box: the number of present leaves of @level (PG_LEVEL_*) in the
 * mirror (@mirror) or direct root.
 */
u64 td_count_leaves(struct td *td, bool mirror, int level);

/*
 * KVM_TDX_INIT_MEM_REGION of @nr_pages from a deterministic source image
 * (pattern @seed) at @gpa, retried for partial progress on EAGAIN/EINTR/
 * EBUSY. Returns 0 or -errno of the first hard failure.
 */
int td_populate(struct td *td, u64 gpa, u64 nr_pages, bool measure, u64 seed);
/* One raw INIT_MEM_REGION call: 0 or -errno; @region is updated. */
int td_init_mem_region(struct td *td, int vcpu_fd, u32 flags,
		       struct kvm_tdx_init_mem_region *region);
/* A sub-ioctl of KVM_MEMORY_ENCRYPT_OP: 0 or -errno; *@hw_error out. */
int td_tdx_cmd(int fd, u32 id, u32 flags, u64 data, u64 *hw_error);
/* KVM_TDX_FINALIZE_VM: 0 or -errno. */
int td_finalize(struct td *td);

/*
 * KVM_RUN vCPU @i until HLT or an exit the helper does not handle (memory
 * faults and MapGPA convert; other exits stop). Returns 0 or -errno.
 */
int td_run_vcpu(struct td *td, unsigned int i);
/* Run every vCPU on its own task and join them (free or inside sched_run). */
void td_run_all(struct td *td);

/* KVM_SET_MEMORY_ATTRIBUTES: 0 or -errno. */
int td_set_private(struct td *td, u64 gpa, u64 size, bool private);
/* PUNCH_HOLE on the guest_memfd: 0 or -errno. */
int td_punch(struct td *td, u64 offset, u64 len);
/*
 * KVM_PRE_FAULT_MEMORY on vCPU @i: 0 or -errno; @range updated (partial
 * progress).
 */
int td_prefault_raw(struct td *td, unsigned int i,
		    struct kvm_pre_fault_memory *range);
/* Pre-fault [gpa, gpa+size) completely (asserts). */
void td_prefault(struct td *td, unsigned int i, u64 gpa, u64 size);

/* The counters. */
void td_kvm_stats(struct td *td, struct tdxsim_stats *st);
void td_module_stats(struct td *td, struct tdxsim_td_stats *st);
void td_guest_stats(struct td *td, struct tdxsim_guest_stats *st);
/* SEAMCALLs of @leaf made for this TD so far. */
u64 td_seamcalls(struct td *td, unsigned int leaf);

/* Run the invariant checker; assert it found nothing (prints the report). */
void td_check(struct td *td);
/* The number of invariant violations (no assert). */
int td_check_count(struct td *td);

/* Is the VM dead (a VM ioctl answers EIO)? */
bool td_vm_dead(struct td *td);

/*
 * Close every descriptor; the VM is destroyed. Unless @td->allow_leak,
 * asserts that the module owns no more pages than before td_create() (every
 * page of the TD was reclaimed) and that no PAMT violation happened.
 */
void td_destroy(struct td *td);

/* Fill @buf (@len bytes) with the source pattern of page index @i. */
void td_src_pattern(void *buf, size_t len, u64 seed, u64 i);

#endif /* TDXSIM_TESTS_MMU_TD_UTIL_H */
