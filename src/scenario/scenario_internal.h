/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the scenario cases (scenario_cases.c) share with the runner
 * (scenario.c): the run's context and a small TD builder over the uAPI
 * (scenario_td.c).
 */
#ifndef TDXSIM_VMM_SCENARIO_INTERNAL_H
#define TDXSIM_VMM_SCENARIO_INTERNAL_H

#include "ulib/strbuf.h"
#include "tdxsim/guest.h"
#include "tdxsim/scenario.h"
#include "tdxsim/tdx.h"
#include "ulib/compiler.h"

#define SCN_MAX_VCPUS	2
#define SCN_MAX_TASKS	4
#define SCN_SZ_4M	(4ULL << 20)

/* A TD built through the uAPI. */
struct scn_td {
	int kvm_fd, vm_fd;
	int gmem_fd;			/* the TD's RAM: slot 0 at GPA 0 */
	u64 mem;
	void *map;			/* gmem_fd's shared mapping */
	int host_fd;			/* a second guest_memfd: slot 1, shared */
	void *host_map;
	int vcpu_fd[SCN_MAX_VCPUS];
	struct kvm_run *run[SCN_MAX_VCPUS];
	unsigned int nr_vcpus;
	size_t run_size;
	struct tdxsim_guest_model *guest;
	void *src;			/* INIT_MEM_REGION source pages */
	size_t src_len;
};

/* One racing task's job: a uAPI call on the TD, its errno kept. */
struct scn_task {
	struct scenario_ctx *ctx;
	const char *name;
	int (*fn)(struct scn_task *t);
	unsigned int vcpu;		/* the vCPU it acts on */
	u64 gpa, size;			/* what it acts on */
	int err;			/* 0 or the call's errno */
	long ret;
	struct tdxsim_thread *task;
};

struct scenario_ctx {
	const struct tdxsim_scenario *s;
	char kernel[TDXSIM_KERNEL_NAME_MAX];	/* the profile (TDXSIM_SET_KERNEL) */
	struct tdxsim_design design;
	u64 seed;
	bool extra;			/* running the scenario's second part */
	struct scn_td td;
	struct scn_task tasks[SCN_MAX_TASKS];
	unsigned int nr_tasks;
	struct tdxsim_scenario_result *res;
	struct strbuf notes;		/* what the run did, for the report */
	int setup_err;			/* a step that should not fail failed */
	u64 pamt_before;
	bool dumped;			/* task traces already printed */
};

/* Record a note for the report (one line, no newline needed). */
void scn_note(struct scenario_ctx *ctx, const char *fmt, ...) __printf(2, 3);
/* A set-up step failed: note it and return -errno. */
int scn_setup_fail(struct scenario_ctx *ctx, int err, const char *what);

/* An empty TD (no descriptor open), and back to one (closing them all). */
void scn_td_init(struct scn_td *td);
void scn_td_destroy(struct scn_td *td);
/* Create the VM with ctx->design, its RAM guest_memfd (@mem, mmap'able) and slot. */
int scn_td_create(struct scenario_ctx *ctx, u64 mem);
/* A second guest_memfd of @size, mmap'ed, in slot 1 after RAM (shared). */
int scn_td_host_gmem(struct scenario_ctx *ctx, u64 size);
/* Create vCPU @i (with the guest model's vCPU @i if there is a model). */
int scn_vcpu_create(struct scenario_ctx *ctx, unsigned int i);

/*
 * The set-up most scenarios share, in one fixed order, each step only if
 * asked: the guest program (for every created vCPU), the TD with its
 * guest_memfd slot, the second (host) guest_memfd slot, the vCPUs, the
 * first @init of them initialized, the slot made private, measured pages
 * added (KVM_TDX_INIT_MEM_REGION from vCPU 0), KVM_TDX_FINALIZE_VM.
 */
struct scn_build {
	const char *program;		/* guest program, or NULL */
	u64 host_gmem;			/* size of the slot 1 guest_memfd, or 0 */
	unsigned int vcpus;		/* vCPUs created */
	unsigned int init;		/* of which initialized */
	bool private;			/* KVM_SET_MEMORY_ATTRIBUTES(PRIVATE) on slot 0 */
	u64 add_gpa, add_pages;		/* pages added and measured */
	bool finalize;
	u64 mem;			/* slot 0's size (0: SCN_SZ_4M) */
};
/* The TD of @b: 0, or the failed step's -errno (noted). */
int scn_build_td(struct scenario_ctx *ctx, const struct scn_build *b);
/* KVM_TDX_INIT_VCPU on vCPU @i: 0 or -errno. */
int scn_vcpu_init(struct scenario_ctx *ctx, unsigned int i);
/* KVM_SET_MEMORY_ATTRIBUTES: 0 or -errno. */
int scn_set_private(struct scenario_ctx *ctx, u64 gpa, u64 size, bool private);
/* KVM_TDX_INIT_MEM_REGION of @npages at @gpa (measured): 0 or -errno. */
int scn_init_mem(struct scenario_ctx *ctx, unsigned int vcpu, u64 gpa,
		 u64 npages);
/* KVM_TDX_FINALIZE_VM (and read MRTD into the result): 0 or -errno. */
int scn_finalize(struct scenario_ctx *ctx);
/* KVM_PRE_FAULT_MEMORY on vCPU @vcpu: bytes mapped or -errno. */
long scn_prefault(struct scenario_ctx *ctx, unsigned int vcpu, u64 gpa,
		  u64 size);
/*
 * KVM_PRE_FAULT_MEMORY of [@gpa, +2M) on vCPU 0, which must map it at 2M
 * (one TDH.MEM.PAGE.AUG): 0, -EINVAL (mapped otherwise) or -errno.
 */
int scn_map_2m(struct scenario_ctx *ctx, u64 gpa);
/* Make a guest model from program @text for @nr_vcpus vCPUs. */
int scn_guest(struct scenario_ctx *ctx, const char *text,
	      unsigned int nr_vcpus);
/* Inject status @status on the @nth call of SEAMCALL @leaf: 0 or -errno. */
int scn_inject(struct scenario_ctx *ctx, u32 leaf, u32 nth, u64 status);
/* TDXSIM_GET_STATS / TDXSIM_GET_TD_STATS (zeroed on failure). */
void scn_stats(struct scenario_ctx *ctx, struct tdxsim_stats *st);
void scn_td_stats(struct scenario_ctx *ctx, struct tdxsim_td_stats *st);
/* TDXSIM_GET_VM_FAILURE (zeroed on failure). */
void scn_vm_failure(struct scenario_ctx *ctx, struct tdxsim_vm_failure *f);
/* TDXSIM_GET_MODULE_STATS (zeroed on failure). */
void scn_module_stats(struct tdxsim_module_stats *st);
/* The module's PAMT violation count (process-wide). */
u64 scn_pamt_violations(void);
/* The host's pages in use (TDXSIM_GET_HOST_MEMORY; 0 if unknown). */
u64 scn_host_pages_in_use(void);
/*
 * For task @t: write a byte to host pages, page i at @maps[i / @map_pages]
 * + (i % @map_pages) pages, for i below @nr_pages, until the allocator has
 * opened a new 2M block and carved it but @left pages (the pages
 * allocated next end that block). @t->ret: the pages written; 0 or the
 * failed write's -errno.
 */
int scn_host_writes_to_block_end(struct scn_task *t, u8 *const *maps,
				 u64 map_pages, u64 nr_pages, u64 left);
/* A task: one byte written to each of the first @t->size pages of slot 1. */
int scn_task_host_writes(struct scn_task *t);

/*
 * Two TDs whose control pages hold their 2M regions' only PAMT references
 * (scenario_dpamt_races.c): TD B in ctx->td with a vCPU and
 * SCN_DPAMT_HOST_PAGES host pages written through its shared guest_memfd
 * (task "host-writes"), which fill the rest of its control pages' 2M
 * region; then TD A in @a, its vCPU initialized. @st (if not NULL): the
 * module's stats from before A. 0, or -errno (noted, A destroyed).
 */
#define SCN_DPAMT_HOST_PAGES	512
int scn_dpamt_td_pair(struct scenario_ctx *ctx, struct scn_td *a,
		      struct tdxsim_module_stats *st);
/* Start a racing task running @fn; returns it. */
struct scn_task *scn_task_start(struct scenario_ctx *ctx, const char *name,
				int (*fn)(struct scn_task *t), unsigned int vcpu,
				u64 gpa, u64 size);
/* A task's job: [t->gpa, +t->size) of ctx->td to shared (errno in t->err). */
int scn_task_to_shared(struct scn_task *t);
/* A task's job: PUNCH_HOLE of [t->gpa, +t->size) of ctx->td's guest_memfd. */
int scn_task_punch(struct scn_task *t);
/* A task's job: KVM_TDX_INIT_VCPU on t->vcpu (its errno in t->err). */
int scn_task_init_vcpu(struct scn_task *t);
/* ... on vCPU 0 of the TD at @t->gpa (a struct scn_td, not ctx->td). */
int scn_task_init_vcpu_td(struct scn_task *t);
/* Wait for every racing task. */
void scn_tasks_join(struct scenario_ctx *ctx);
/* Print every task's last schedule points into the log (once). */
void scn_dump_tasks(struct scenario_ctx *ctx);

/* Mark the result failed with a one-line summary. */
void scn_fail(struct scenario_ctx *ctx, const char *fmt, ...) __printf(2, 3);
/* Mark the result clean with a one-line summary. */
void scn_ok(struct scenario_ctx *ctx, const char *fmt, ...) __printf(2, 3);

/* The scheduler's verdict of the run, as a word ("deadlock"). */
const char *scn_verdict_kind(const struct tdxsim_scenario_result *res);
/*
 * "TDH.MEM.PAGE.AUG failed with TDX_EPT_WALK_FAILED|RCX (0x...) in
 * tdx_mem_page_aug()", from the VM's failure record, into @buf.
 */
const char *scn_seamcall_text(const struct tdxsim_scenario_result *res,
			      char *buf, size_t len);
/* Did KVM report SEAMCALL @leaf failing first? */
bool scn_seamcall_failed(const struct tdxsim_scenario_result *res,
			 unsigned int leaf);
/* "EBUSY" for EBUSY (strerror() for the errnos the cases do not expect). */
const char *scn_errno_name(int err);

/* The scenario cases (scenario_cases.c, scenario_dpamt.c). */
extern const struct tdxsim_scenario scn_populate_deadlock;
extern const struct tdxsim_scenario scn_accept_level_livelock;
extern const struct tdxsim_scenario scn_vp_init_busy;
extern const struct tdxsim_scenario scn_pinned_split_hang;
extern const struct tdxsim_scenario scn_mirror_race;
extern const struct tdxsim_scenario scn_dpamt_lazy_busy;
extern const struct tdxsim_scenario scn_dpamt_get_recheck;
/* scenario_gmem.c: guest_memfd in-place conversion. */
extern const struct tdxsim_scenario scn_gmem_inplace_pin;
extern const struct tdxsim_scenario scn_gmem_inplace_mixed;
/* scenario_gmem_races.c: the faults that race a conversion (G2, G3). */
extern const struct tdxsim_scenario scn_gmem_inplace_hostfault;
extern const struct tdxsim_scenario scn_gmem_inplace_vcpufault;
/* The TDX huge-page series' orderings (scenario_huge.c). */
extern const struct tdxsim_scenario scn_huge_split_order;
extern const struct tdxsim_scenario scn_huge_memory_failure;
/* The DPAMT review's put races (scenario_dpamt_races.c). */
extern const struct tdxsim_scenario scn_dpamt_put_race;
extern const struct tdxsim_scenario scn_dpamt_put_recheck;
extern const struct tdxsim_scenario scn_dpamt_lock_region;
/* More DPAMT scenarios (scenario_dpamt_more.c). */
extern const struct tdxsim_scenario scn_dpamt_demote_add;
extern const struct tdxsim_scenario scn_huge_inhibit_order;
extern const struct tdxsim_scenario scn_huge_split_busy;
extern const struct tdxsim_scenario scn_huge_split_cache;
extern const struct tdxsim_scenario scn_huge_accept_root;
extern const struct tdxsim_scenario scn_dpamt_remove_fail;

#endif /* TDXSIM_VMM_SCENARIO_INTERNAL_H */
