/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The VMM's launch of a TD, shared by its three files: the launch sequence
 * (launch.c), the vCPU threads and the progress display (vcpu.c), and the
 * results and the teardown (result.c).
 */
#ifndef TDXSIM_VMM_VMM_INTERNAL_H
#define TDXSIM_VMM_VMM_INTERNAL_H

#include "tdxsim/sched.h"
#include "tdxsim/vmm.h"
#include "ulib/compiler.h"

#define LOW_RAM_MAX	0x80000000ULL
#define HIGH_RAM_BASE	0x100000000ULL
#define FW_TOP		0x100000000ULL
/* TD attribute bit (TDX module ABI); KVM requires SEPT_VE_DISABLE. */
#define TDX_TD_ATTR_SEPT_VE_DISABLE	(1ULL << 28)
#define VMM_MAX_MAPPINGS	4
/* Retries of a call that keeps answering EAGAIN/EBUSY without progress. */
#define VMM_MAX_RETRIES		10000

struct vmm;

struct vmm_vcpu {
	struct vmm *vmm;
	int fd;
	unsigned int index;
	struct kvm_run *run;
	struct tdxsim_thread *task;
	struct tdxsim_vmm_vcpu_result *res;
	u64 bad_gpa;		/* a memory fault outside the guest's memory */
};

struct vmm {
	const struct tdxsim_vmm_config *cfg;
	struct tdxsim_vmm_result *res;
	const u8 *fw;
	size_t fw_size;
	u8 *fw_owned;
	int kvm_fd;
	int vm_fd;
	int ram_fd;
	int fw_fd;
	/*
	 * KVM_CAP_GUEST_MEMFD_MEMORY_ATTRIBUTES reports PRIVATE (in-place
	 * conversion): attributes change on the guest_memfds, not the VM.
	 */
	bool gmem_attrs;
	u64 low_ram;
	u64 high_ram;
	u64 fw_base;
	u64 hob_gpa;
	struct tdxsim_guest_model *guest;
	struct vmm_vcpu vcpus[TDXSIM_GUEST_MAX_VCPUS];
	unsigned int nr_vcpus;
	size_t run_size;
	struct {
		void *addr;
		size_t len;
	} maps[VMM_MAX_MAPPINGS];
	unsigned int nr_maps;
	int phase;		/* the current phase, -1 before the first */
	u64 phase_t0;		/* when it began (CLOCK_MONOTONIC ns) */
	u64 phase_cpu_t0;	/* and the CPU time of the process then */
};

/* Record the first error of the launch (printf-style); returns -|@err|. */
int vmm_fail(struct vmm *v, int err, const char *fmt, ...) __printf(3, 4);
/* The progress display's phase. */
void vmm_set_phase(struct vmm *v, enum tdxsim_vmm_phase phase);
/*
 * KVM_SET_MEMORY_ATTRIBUTES of [@gpa, @gpa+@size), or with in-place
 * conversion KVM_SET_MEMORY_ATTRIBUTES2 on the guest_memfds behind it:
 * -1 with errno on failure.
 */
int vmm_set_private(struct vmm *v, u64 gpa, u64 size, bool private);
/* The guest's RAM ranges (at most @max into @out); returns how many. */
unsigned int vmm_ram_ranges(struct vmm *v, struct tdxsim_ram_range *out,
			    unsigned int max);

/* vcpu.c: publish the guest to the progress display, or (NULL) withdraw it. */
void vmm_publish_guest(struct vmm *v, struct tdxsim_guest_model *g);
/* vcpu.c: one thread per vCPU running KVM_RUN and handling exits; joins them. */
int vmm_run_vcpus(struct vmm *v);

/* result.c: every lock class's counts now (malloc'd), and the run phase's. */
struct tdxsim_lock_class *vmm_lock_stats(struct vmm *v, unsigned int *n);
void vmm_lock_stats_delta(struct vmm *v, struct tdxsim_lock_class *before,
			  unsigned int nr_before);

/* result.c: read the counters, the invariant check and the guest's outcome. */
void vmm_collect(struct vmm *v);
/* result.c: unmap and close everything, destroy the guest. */
void vmm_teardown(struct vmm *v);
/* result.c: after teardown, what the module still owns. */
void vmm_check_teardown(struct tdxsim_vmm_result *res);
/* result.c: the error for a guest that did not finish. */
int vmm_fail_unfinished(struct vmm *v);

#endif /* TDXSIM_VMM_VMM_INTERNAL_H */
