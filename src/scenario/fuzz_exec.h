/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The fuzzer's executor and oracles (fuzz_exec.c, fuzz_task.c,
 * fuzz_allow.c, fuzz_oracle.c): one run of a program under the deterministic scheduler,
 * what it left behind, and the judgement of it.
 */
#ifndef TDXSIM_SCENARIO_FUZZ_EXEC_H
#define TDXSIM_SCENARIO_FUZZ_EXEC_H

#include <stdio.h>

#include "tdxsim/guest.h"
#include "tdxsim/kvm.h"
#include "scenario/fuzz_internal.h"

/* An operation's answer: not reached yet, or 0 / a positive errno. */
#define FZ_NOT_RUN	(-1)

struct fz_run;

struct fz_task_state {
	struct fz_run *run;
	unsigned int index;
	struct tdxsim_thread *thread;
	int err[FZ_MAX_OPS];		/* VMM task: each operation's answer */
	/* vCPU task: its KVM_RUN loop. */
	u64 kvm_runs;
	u64 conversions;		/* memory-fault and MapGPA conversions */
	int run_errno;			/* KVM_RUN's last failure (0: none) */
	int convert_errno;		/* a conversion's failure (0: none) */
	u32 last_exit;
	bool halted;			/* KVM_EXIT_HLT: the guest finished */
	bool livelock_exit;		/* KVM's livelock detector stopped it */
	/* KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON: the reason (0: none) */
	u64 unexpected_exit;
	bool no_slot;			/* a memory fault no memslot covers */
	bool gave_up;			/* stopped after FZ_MAX_KVM_RUNS */
};

/* One TD of a run: its descriptors, and the evidence read from it. */
struct fz_vm {
	int kvm_fd, vm_fd;
	int gmem_fd[FZ_MAX_GMEMS];
	/* KVM_CAP_GUEST_MEMFD_MEMORY_ATTRIBUTES: convert on the guest_memfds. */
	bool gmem_attrs;
	void *gmem_map[FZ_MAX_GMEMS];
	int vcpu_fd[FZ_MAX_VCPUS];
	struct kvm_run *vcpu_run[FZ_MAX_VCPUS];
	bool slot_in[FZ_MAX_SLOTS];	/* installed right now */
	struct tdxsim_guest_model *guest;
	/* Evidence collected at the end of the run, before teardown. */
	struct tdxsim_stats stats;
	bool have_failure;
	/*
	 * The record was read at the end through a descriptor still open,
	 * so it is the VM's last word (not a snapshot from before a close).
	 */
	bool record_fresh;
	struct tdxsim_vm_failure failure;
	int invariant_errno;		/* CHECK_INVARIANTS' errno (0: ran) */
	u32 invariant_errors;
	char *invariant_report;
	u64 data_failures;
	bool guest_finished;
	u64 leaked_pages;
	u64 leak_gpa;			/* the first leaked page's GPA */
};

struct fz_run {
	const struct tdxsim_fuzz_program *p;
	/* The program as each TD sees it (fz_program_view()). */
	struct tdxsim_fuzz_program *view[FZ_MAX_TDS];
	struct tdxsim_design design;
	struct fz_vm vm[FZ_MAX_TDS];
	size_t run_size;
	void *src;			/* KVM_TDX_INIT_MEM_REGION source */
	size_t src_len;
	int setup_err[FZ_MAX_OPS];
	struct fz_task_state tasks[FZ_MAX_TASKS];
	/* A step of the build that must not fail failed (a bad program). */
	int build_err;
	char build_what[96];
	bool collected;
	u64 ops_done;
	bool torn_down;
	/* Baselines taken when the run started. */
	unsigned long warnings_before;
	/* The log of the run. */
	FILE *log, *prev_log;
	char *log_buf;
	size_t log_len;
};

/* A fresh run of @p (its design resolved); NULL with @err set on a bad design. */
struct fz_run *fz_run_new(const struct tdxsim_fuzz_program *p, char *err,
			  size_t errlen);
/* The run's first task: build, set up, race, collect, tear down. */
int fz_run_fn(void *arg);
/* Start and stop capturing the log into the run. */
void fz_capture_start(struct fz_run *r);
void fz_capture_end(struct fz_run *r);
/*
 * Judge the run that ended with @sr (outside the scheduler) into @out;
 * then release @r (a stuck run's VM is kept forever).
 */
void fz_judge(struct fz_run *r, const struct tdxsim_sched_result *sr,
	      struct tdxsim_fuzz_outcome *out);
void fz_run_release(struct fz_run *r, bool stuck);
/* fuzz_exec.c: memslot @i of TD @t added or deleted; 0 or a positive errno. */
int fz_slot_set(struct fz_run *r, unsigned int t, unsigned int i, bool add);
/* Close the descriptor @o names (0 or a positive errno). */
int fz_close_obj(struct fz_vm *vm, const struct fz_obj *o);
/* TD @t's mappings (guest_memfd, kvm_run) unmapped: the exit's last step. */
void fz_unmap(struct fz_run *r, unsigned int t);
/* fuzz_task.c: one VMM operation (0 or a positive errno); a task's body. */
int fz_vmm_op(struct fz_run *r, const struct fz_op *op);
int fz_task_fn(void *arg);
/* The scheduler configuration of @p. */
void fz_sched_config(const struct tdxsim_fuzz_program *p,
		     struct tdxsim_sched_config *cfg);

/* The process freed pages the module owned (tdxsim_fuzz_tainted()). */
void fz_set_tainted(void);
/* Take the module's counters before a run (fz_judge() compares). */
void fz_judge_begin(void);

/* fuzz_allow.c: may operation @op answer @err, in this program? */
bool fz_errno_allowed(const struct fz_run *r, const struct fz_op *op,
		      bool setup, int err);
/* KVM_RUN's answer @err (vCPU task @t). */
bool fz_run_errno_allowed(const struct fz_run *r,
			  const struct fz_task_state *t, int err);
/* Was the run's TD @td killed or bugged (its ioctls answer EIO)? */
bool fz_vm_dead(const struct fz_run *r, unsigned int td);
/* May the guest's data checks judge KVM in @p (nothing else moves its data)? */
bool fz_data_checkable(const struct tdxsim_fuzz_program *p);
/* Does something of @p explain a VM killed without a KVM_BUG_ON? */
bool fz_kill_explained(const struct tdxsim_fuzz_program *p);
/* Does something of @p explain a guest stuck on the host's priority bit? */
bool fz_hp_timeout_explained(const struct tdxsim_fuzz_program *p);

#endif /* TDXSIM_SCENARIO_FUZZ_EXEC_H */
