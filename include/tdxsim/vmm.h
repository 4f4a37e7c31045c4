/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tdxsim's VMM: launches a TD from TDVF firmware through the KVM uAPI in
 * QEMU's order, runs one thread per vCPU, and handles exits as QEMU does.
 * It uses only the public headers (include/tdxsim/).
 */
#ifndef TDXSIM_VMM_H
#define TDXSIM_VMM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tdxsim/guest.h"
#include "tdxsim/kvm.h"
#include "tdxsim/tdxsim.h"
#include "tdxsim/tdvf.h"

enum tdxsim_vmm_measure_order {
	TDXSIM_VMM_MEASURE_SINGLE_PASS,	/* per page: ADD then 16 EXTENDs (upstream) */
	TDXSIM_VMM_MEASURE_TWO_PASS,		/* per section: all ADDs, then all EXTENDs */
};

/* Where a launch is. */
enum tdxsim_vmm_phase {
	TDXSIM_VMM_PHASE_BUILD,		/* creating and measuring the TD */
	TDXSIM_VMM_PHASE_RUN,			/* vCPUs running */
	TDXSIM_VMM_PHASE_TEARDOWN,		/* checking invariants, tearing down */
	TDXSIM_VMM_PHASE_DONE,
};

/*
 * Counters a launch updates as it goes, for a progress display on another
 * thread (free mode only). Every field is read with atomic loads; @guest is
 * only touched under @lock.
 */
struct tdxsim_vmm_progress {
	uint64_t kvm_runs;			/* KVM_RUN calls, all vCPUs */
	uint64_t vcpus_done;			/* vCPU threads that finished */
	uint32_t phase;			/* enum tdxsim_vmm_phase */
	uint32_t nr_vcpus;
	pthread_mutex_t lock;
	struct tdxsim_guest_model *guest;	/* while the guest exists */
};

/* Prepare @p for tdxsim_vmm_config.progress. */
void tdxsim_vmm_progress_init(struct tdxsim_vmm_progress *p);
/* Release @p (after the launch returned). */
void tdxsim_vmm_progress_destroy(struct tdxsim_vmm_progress *p);
/*
 * Snapshot the guest's counters into @st while the guest exists; returns
 * false (and zeroes @st) before it is created or once it is gone.
 */
bool tdxsim_vmm_progress_guest_stats(struct tdxsim_vmm_progress *p,
			      struct tdxsim_guest_stats *st);

struct tdxsim_vmm_config {
	const uint8_t *firmware;		/* TDVF image (NULL: built-in) */
	size_t firmware_size;
	uint64_t memory;			/* guest RAM bytes (default 256 MiB) */
	unsigned int nr_vcpus;		/* default 1 */
	/*
	 * The kernel profile (TDXSIM_SET_KERNEL; default TDXSIM_KERNEL_DEFAULT)
	 * and the switches to run: those of the profile, or changed from it
	 * (tdxsim_vmm_config_set_kernel() sets both).
	 */
	char kernel[TDXSIM_KERNEL_NAME_MAX];
	struct tdxsim_design design;
	enum tdxsim_vmm_measure_order measure_order;
	int gpaw;			/* 48 (default) or 52 */
	/* The guest: a workload name or program text (run only). */
	const char *workload;		/* default "lazy-accept" */
	const char *program;
	const char *program_name;
	uint64_t seed;
	enum tdxsim_accept_policy accept;
	uint64_t chunk_size;
	unsigned int nr_ops;
	uint64_t working_set;			/* linux-boot (0: 2 GiB) */
	/* A vCPU stops after this many KVM_RUN calls (0: no limit). */
	uint64_t max_runs_per_vcpu;
	bool quiet;
	/*
	 * SEAMCALL failures to inject (TDXSIM_INJECT_FAULT) right after
	 * KVM_TDX_INIT_VM, for tests of the error paths; at most 16.
	 */
	const struct tdxsim_inject_fault *inject;
	unsigned int nr_inject;
	/* Progress counters to update (NULL: none; never in deterministic mode). */
	struct tdxsim_vmm_progress *progress;
};

/* Fill @cfg with the defaults. */
void tdxsim_vmm_config_init(struct tdxsim_vmm_config *cfg);
/*
 * Select kernel profile @name for @cfg: its name and its switches (any
 * earlier design changes are dropped). Returns 0, or -EINVAL with a
 * message in @err.
 */
int tdxsim_vmm_config_set_kernel(struct tdxsim_vmm_config *cfg,
				 const char *name, char *err, size_t errlen);

struct tdxsim_vmm_vcpu_result {
	uint64_t runs;			/* KVM_RUN calls */
	uint64_t exits[64];			/* by KVM_EXIT_* reason (< 64) */
	uint64_t memory_faults;		/* KVM_EXIT_MEMORY_FAULT conversions */
	uint64_t map_gpa;			/* MapGPA hypercalls converted */
	uint64_t interrupted;		/* KVM_RUN answered EINTR/EAGAIN */
	int last_errno;			/* KVM_RUN failure, 0 if none */
	uint32_t last_exit;			/* the exit that ended the vCPU */
	bool halted;			/* the guest finished */
};

struct tdxsim_vmm_result {
	/* The VM's kernel profile (TDXSIM_GET_KERNEL) and its switches. */
	struct tdxsim_kernel kernel;
	struct tdxsim_design design;
	uint8_t mrtd[48];
	bool mrtd_valid;
	struct tdxsim_stats kvm;	/* KVM's counters (TDXSIM_GET_STATS) */
	struct tdxsim_td_stats td;	/* the module's counters for this TD */
	struct tdxsim_guest_stats guest;
	uint64_t guest_data_failures;
	bool guest_finished;
	/* The guest's failure messages, one per line (malloc'd, may be NULL). */
	char *guest_messages;
	unsigned int nr_vcpus;
	struct tdxsim_vmm_vcpu_result vcpu[TDXSIM_GUEST_MAX_VCPUS];
	int invariant_errors;		/* -1 if not checked */
	char *invariant_report;		/* malloc'd, may be NULL */
	bool vm_dead;			/* KVM_RUN or an ioctl answered EIO */
	bool livelock;			/* a vCPU stopped on the livelock detector */
	/* After teardown: pages the module still owns for any TD. */
	uint64_t pages_owned_after;
	/* Host frees of pages the module still owned (since module start). */
	uint64_t pamt_violations;
	/* The module's counters after teardown (PAMT bytes, pairs). */
	struct tdxsim_module_stats module;
	char error[256];		/* why the launch or run failed */
	uint64_t page_adds;			/* from the firmware metadata */
	uint64_t mr_extends;
	struct tdxsim_tdvf_info fw;		/* the parsed firmware (for reports) */
	/*
	 * Wall time of each phase (index: enum tdxsim_vmm_phase; BUILD, RUN,
	 * TEARDOWN, the last including the invariant check).
	 */
	uint64_t phase_ns[TDXSIM_VMM_PHASE_DONE];
	/*
	 * The process's CPU time in each phase (all threads: the vCPUs' sum
	 * while they run), the figure a shared machine disturbs least.
	 */
	uint64_t phase_cpu_ns[TDXSIM_VMM_PHASE_DONE];
	/*
	 * Lock acquisitions made while the vCPUs ran (TDXSIM_GET_LOCK_STATS
	 * before and after the run phase, process-wide): the classes whose
	 * counts changed, malloc'd (NULL if there was no run phase).
	 */
	struct tdxsim_lock_class *run_locks;
	unsigned int nr_run_locks;
};

/*
 * Launch a TD from @cfg's firmware; if @run, run the guest workload on every
 * vCPU until each halts or stops, then check invariants and tear down.
 * Returns 0 if everything went as it should (guest data checks passed,
 * invariants held), 1 if the run observed a failure (described in
 * @res->error), or a negative errno if the launch itself could not happen.
 * Free @res with tdxsim_vmm_result_free().
 */
int tdxsim_vmm_launch(const struct tdxsim_vmm_config *cfg, bool run, struct tdxsim_vmm_result *res);
/* Release what tdxsim_vmm_launch() allocated in @res. */
void tdxsim_vmm_result_free(struct tdxsim_vmm_result *res);

/* ---- design text ---- */

/*
 * Apply "key=value,..." to @d (the keys and values of
 * tdxsim_design_switches(), profiles.h). Returns 0, or -EINVAL with a
 * message in @err.
 */
int tdxsim_parse_design(const char *text, struct tdxsim_design *d, char *err,
		     size_t errlen);
/*
 * The longest name of a design switch and of one of its values (without
 * the NUL; tests/profiles holds the switch table to them), and so the
 * room "key=value,..." of every switch takes, NUL included: a pair for
 * each word of struct tdxsim_design but its version, reserved ones too.
 * A buffer of TDXSIM_DESIGN_STRING_MAX holds tdxsim_design_string() and
 * tdxsim_design_diff() whole.
 */
#define TDXSIM_DESIGN_NAME_MAX		32
#define TDXSIM_DESIGN_VALUE_MAX		24
#define TDXSIM_DESIGN_STRING_MAX					\
	((sizeof(struct tdxsim_design) / sizeof(__tdxsim_u32) - 1) *	\
	 (TDXSIM_DESIGN_NAME_MAX + 1 + TDXSIM_DESIGN_VALUE_MAX + 1))
/* Write every switch of @d as "key=value,..." into @buf; returns @buf. */
char *tdxsim_design_string(const struct tdxsim_design *d, char *buf, size_t len);
/*
 * Write the switches in which @d differs from @base as "key=value,..."
 * into @buf ("" if none); returns @buf.
 */
char *tdxsim_design_diff(const struct tdxsim_design *d,
			 const struct tdxsim_design *base, char *buf,
			 size_t len);

#endif /* TDXSIM_VMM_H */
