/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tdxsim's VMM: launches a TD from TDVF firmware through the KVM uAPI in
 * QEMU's order, runs one thread per vCPU, and handles exits as QEMU does.
 * It uses only the public headers (include/tdxsim/) and base's tasks.
 */
#ifndef TDXSIM_VMM_VMM_H
#define TDXSIM_VMM_VMM_H

#include "base/compiler.h"
#include "base/lock.h"
#include "tdxsim/guest.h"
#include "tdxsim/kvm.h"
#include "tdxsim/tdxsim.h"
#include "vmm/tdvf.h"

enum vmm_measure_order {
	VMM_MEASURE_SINGLE_PASS,	/* per page: ADD then 16 EXTENDs (upstream) */
	VMM_MEASURE_TWO_PASS,		/* per section: all ADDs, then all EXTENDs */
};

/* Where a launch is. */
enum vmm_phase {
	VMM_PHASE_BUILD,		/* creating and measuring the TD */
	VMM_PHASE_RUN,			/* vCPUs running */
	VMM_PHASE_TEARDOWN,		/* checking invariants, tearing down */
	VMM_PHASE_DONE,
};

/*
 * Counters a launch updates as it goes, for a progress display on another
 * thread (free mode only). Every field is read with atomic loads; @guest is
 * only touched under @lock.
 */
struct vmm_progress {
	u64 kvm_runs;			/* KVM_RUN calls, all vCPUs */
	u64 vcpus_done;			/* vCPU threads that finished */
	u32 phase;			/* enum vmm_phase */
	u32 nr_vcpus;
	spinlock_t lock;
	struct tdxsim_guest_model *guest;	/* while the guest exists */
};

/* Prepare @p for vmm_config.progress. */
void vmm_progress_init(struct vmm_progress *p);
/* Release @p (after the launch returned). */
void vmm_progress_destroy(struct vmm_progress *p);
/*
 * Snapshot the guest's counters into @st while the guest exists; returns
 * false (and zeroes @st) before it is created or once it is gone.
 */
bool vmm_progress_guest_stats(struct vmm_progress *p,
			      struct tdxsim_guest_stats *st);

struct vmm_config {
	const u8 *firmware;		/* TDVF image (NULL: built-in) */
	size_t firmware_size;
	u64 memory;			/* guest RAM bytes (default 256 MiB) */
	unsigned int nr_vcpus;		/* default 1 */
	struct tdxsim_design design;
	enum vmm_measure_order measure_order;
	int gpaw;			/* 48 (default) or 52 */
	/* The guest: a workload name or program text (run only). */
	const char *workload;		/* default "lazy-accept" */
	const char *program;
	const char *program_name;
	u64 seed;
	enum tdxsim_accept_policy accept;
	u64 chunk_size;
	unsigned int nr_ops;
	/* A vCPU stops after this many KVM_RUN calls (0: no limit). */
	u64 max_runs_per_vcpu;
	bool quiet;
	/*
	 * SEAMCALL failures to inject (TDXSIM_INJECT_FAULT) right after
	 * KVM_TDX_INIT_VM, for tests of the error paths; at most 16.
	 */
	const struct tdxsim_inject_fault *inject;
	unsigned int nr_inject;
	/* Progress counters to update (NULL: none; never in deterministic mode). */
	struct vmm_progress *progress;
};

/* Fill @cfg with the defaults. */
void vmm_config_init(struct vmm_config *cfg);

struct vmm_vcpu_result {
	u64 runs;			/* KVM_RUN calls */
	u64 exits[64];			/* by KVM_EXIT_* reason (< 64) */
	u64 memory_faults;		/* KVM_EXIT_MEMORY_FAULT conversions */
	u64 map_gpa;			/* MapGPA hypercalls converted */
	u64 interrupted;		/* KVM_RUN answered EINTR/EAGAIN */
	int last_errno;			/* KVM_RUN failure, 0 if none */
	u32 last_exit;			/* the exit that ended the vCPU */
	bool halted;			/* the guest finished */
};

struct vmm_result {
	u8 mrtd[48];
	bool mrtd_valid;
	struct tdxsim_stats kvm;	/* KVM's counters (TDXSIM_GET_STATS) */
	struct tdxsim_td_stats td;	/* the module's counters for this TD */
	struct tdxsim_guest_stats guest;
	u64 guest_data_failures;
	bool guest_finished;
	/* The guest's failure messages, one per line (malloc'd, may be NULL). */
	char *guest_messages;
	unsigned int nr_vcpus;
	struct vmm_vcpu_result vcpu[TDXSIM_GUEST_MAX_VCPUS];
	int invariant_errors;		/* -1 if not checked */
	char *invariant_report;		/* malloc'd, may be NULL */
	bool vm_dead;			/* KVM_RUN or an ioctl answered EIO */
	bool livelock;			/* a vCPU stopped on the livelock detector */
	/* After teardown: pages the module still owns for any TD. */
	u64 pages_owned_after;
	/* Host frees of pages the module still owned (since module start). */
	u64 pamt_violations;
	char error[256];		/* why the launch or run failed */
	u64 page_adds;			/* from the firmware metadata */
	u64 mr_extends;
	struct tdvf_info fw;		/* the parsed firmware (for reports) */
};

/*
 * Launch a TD from @cfg's firmware; if @run, run the guest workload on every
 * vCPU until each halts or stops, then check invariants and tear down.
 * Returns 0 if everything went as it should (guest data checks passed,
 * invariants held), 1 if the run observed a failure (described in
 * @res->error), or a negative errno if the launch itself could not happen.
 * Free @res with vmm_result_free().
 */
int vmm_launch(const struct vmm_config *cfg, bool run, struct vmm_result *res);
/* Release what vmm_launch() allocated in @res. */
void vmm_result_free(struct vmm_result *res);

#endif /* TDXSIM_VMM_VMM_H */
