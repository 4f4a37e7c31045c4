// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The TDX huge-page series' argued races as scenarios (issue 17, item 2;
 * docs/upstream/series-hugepage.md §5 and §6 H2, H3, H7, H8). Each runs
 * in the order or design the review warned about (its "before", a design
 * switch of next+hugepage-rfc) and in the series' choice:
 *
 *   huge-inhibit-order  H2: two vCPUs accept 4K pages of one 2M mapping;
 *                       the guest inhibit set before the split lets one
 *                       skip it and fault on the 2M leaf under the read
 *                       mmu_lock, where TDX refuses to split.
 *   huge-split-busy     H3: DEMOTE answers BUSY during the split (a vCPU
 *                       holding the entry); under the write mmu_lock the
 *                       vCPUs are kicked out and it is retried, under the
 *                       read one (RFC v1/v2) UNBLOCK is BUSY as well and
 *                       the VM is bugged.
 *   huge-split-cache    H7: a conversion and a hole punch, no vCPU, both
 *                       splitting two 2M mappings from the per-VM cache;
 *                       without the mutex from top-up to split one finds
 *                       the cache drained by the other: -ENOMEM.
 *   huge-accept-root    H8: an accept-level exit that splits the direct
 *                       root (RFC v5 41/45 as posted) leaves the mirror at
 *                       2M and sets the inhibit: the accept exits forever.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "scenario/scenario_internal.h"
#include "ulib/compiler.h"

#define HR_MAX_RUNS	64
#define HR_SZ_12M	(12ULL << 20)

static const char *hr_errno(int err)
{
	return err ? strerror(err) : "0";
}

/*
 * KVM_RUN vCPU @t->vcpu until the guest halts: 0, -errno, or 0 with
 * livelock_exit set when KVM gave up on a livelock.
 */
static int hr_vcpu(struct scn_task *t)
{
	struct scenario_ctx *ctx = t->ctx;
	struct kvm_run *run = ctx->td.run[t->vcpu];
	int i;

	for (i = 0; i < HR_MAX_RUNS; i++) {
		if (tdxsim_ioctl(ctx->td.vcpu_fd[t->vcpu], KVM_RUN, 0) < 0) {
			t->err = errno;
			return -errno;
		}
		if (run->exit_reason == KVM_EXIT_HLT)
			return 0;
		if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR) {
			if (run->internal.suberror ==
			    TDXSIM_INTERNAL_ERROR_LIVELOCK)
				ctx->res->livelock_exit = true;
			t->err = EFAULT;
			return -EFAULT;
		}
	}
	t->err = EAGAIN;
	return -EAGAIN;
}

/*
 * A runnable TD of @mem bytes, all private, @nr_vcpus vCPUs running
 * @program, and a 2M mapping (PENDING, one AUG each) at each of the
 * @nr_maps GPAs of @maps.
 */
static int hr_build(struct scenario_ctx *ctx, const char *program,
		    unsigned int nr_vcpus, u64 mem, const u64 *maps,
		    unsigned int nr_maps)
{
	unsigned int i;
	int r;

	r = scn_build_td(ctx, &(struct scn_build){
		.program = program, .mem = mem, .vcpus = nr_vcpus,
		.init = nr_vcpus, .private = true, .finalize = true });
	for (i = 0; !r && i < nr_maps; i++) {
		r = scn_map_2m(ctx, maps[i]);
		if (r)
			return scn_setup_fail(ctx, r, "a 2M mapping");
	}
	return r;
}

/* Start vCPUs 0..@n-1 and wait for them; the guest's evidence. */
static void hr_run_vcpus(struct scenario_ctx *ctx, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		scn_task_start(ctx, i ? "vcpu1" : "vcpu0", hr_vcpu, i, 0, 0);
	scn_tasks_join(ctx);
	ctx->res->guest_finished = tdxsim_guest_finished(ctx->td.guest);
	ctx->res->guest_data_failures =
		tdxsim_guest_data_failures(ctx->td.guest);
	for (i = 0; i < n; i++)
		scn_note(ctx, "vCPU %u's KVM_RUN: %s", i,
			 hr_errno(ctx->tasks[i].err));
	scn_note(ctx, "the guest %s, %llu data-check failures",
		 ctx->res->guest_finished ? "finished" : "did not finish",
		 (unsigned long long)ctx->res->guest_data_failures);
}

/* The VM alive, no verdict, every task and the guest done. */
static bool hr_clean(const struct tdxsim_scenario_result *res)
{
	return res->verdict == TDXSIM_VERDICT_OK && !res->vm_bugged &&
	       !res->livelock_exit && !res->lockdep_other &&
	       !res->errnos[0] && !res->errnos[1];
}

/* --- huge-inhibit-order (H2) ------------------------------------------------- */

/* Two vCPUs accept at 4K a page each of the 2M mapping at 2M. */
static const char io_program[] =
	"vcpu 0\n"
	"accept 0x200000 4K level=4k\n"
	"write 0x200000 4K pattern=3\n"
	"read 0x200000 4K\n"
	"halt\n"
	"vcpu 1\n"
	"accept 0x3ff000 4K level=4k\n"
	"write 0x3ff000 4K pattern=4\n"
	"read 0x3ff000 4K\n"
	"halt\n";

static int io_run(struct scenario_ctx *ctx)
{
	static const u64 maps[] = { 0x200000 };
	int r = hr_build(ctx, io_program, 2, SCN_SZ_4M, maps, 1);

	if (r)
		return r;
	scn_note(ctx, "KVM_PRE_FAULT_MEMORY [0x200000, +2M): one 2M mapping, PENDING");
	scn_note(ctx, "tasks vcpu0, vcpu1: the guest accepts 0x200000 and 0x3ff000 at 4K; each exit tests the guest inhibit without mmu_lock; it is set %s",
		 ctx->design.huge_inhibit_order ==
				 TDXSIM_HUGE_INHIBIT_BEFORE_SPLIT ?
			 "before the split and its locks" :
			 "after the split, under the write mmu_lock");
	hr_run_vcpus(ctx, 2);
	return 0;
}

static void io_judge(struct scenario_ctx *ctx)
{
	struct tdxsim_scenario_result *res = ctx->res;

	if (res->split_refused) {
		scn_fail(ctx, "a vCPU saw the guest inhibit before the split was done: it skipped the split and its fault met the 2M leaf under the read mmu_lock, where TDX refuses to split (WARN, -EOPNOTSUPP, %llu times; %llu fault retries, %llu TDH.MEM.PAGE.DEMOTE)",
			 (unsigned long long)res->split_refused,
			 (unsigned long long)res->fault_retries,
			 (unsigned long long)res->demotes);
		return;
	}
	if (!hr_clean(res) || !res->guest_finished ||
	    res->guest_data_failures || res->demotes != 1) {
		scn_fail(ctx, "verdict %s, VM %s, guest %s, %llu TDH.MEM.PAGE.DEMOTE (expected 1)",
			 scn_verdict_kind(res),
			 res->vm_bugged ? "bugged" : "alive",
			 res->guest_finished ? "finished" : "did not finish",
			 (unsigned long long)res->demotes);
		return;
	}
	scn_ok(ctx, "both accept exits went through the split under the write mmu_lock: one TDH.MEM.PAGE.DEMOTE, the inhibit set after it, both accepts succeeded");
}

const struct tdxsim_scenario scn_huge_inhibit_order = {
	.name = "huge-inhibit-order",
	.seed_patch = "huge",
	.patch_title = "KVM: TDX: the guest inhibit is set after the split (v3 tdx_honor_guest_accept_level, RFC v5 41/45)",
	.summary = "two vCPUs accept 4K pages of one 2M mapping: an inhibit set before the split sends one to the 2M leaf under the read mmu_lock",
	.before = "next+hugepage-rfc:huge_inhibit_order=before_split",
	.upstream = "next+hugepage-rfc",
	.default_seed = 15,	/* about 1 seed in 100 meets the window */
	.run = io_run,
	.judge = io_judge,
	.pct_steps = 20000,
};

/* --- huge-split-busy (H3) ----------------------------------------------------- */

static int sb_run(struct scenario_ctx *ctx)
{
	static const u64 maps[] = { 0x200000 };
	int r = hr_build(ctx, io_program, 2, SCN_SZ_4M, maps, 1);

	if (r)
		return r;
	scn_note(ctx, "KVM_PRE_FAULT_MEMORY [0x200000, +2M): one 2M mapping, PENDING");
	/*
	 * The answers the module gives while a vCPU's TDG.MEM.PAGE.ACCEPT
	 * holds the 2M entry (tdxsim's module answers so when the schedule
	 * has it; injected here to make every schedule meet them).
	 */
	r = scn_inject(ctx, TDH_MEM_PAGE_DEMOTE, 1,
		       TDX_OPERAND_BUSY | TDX_OPERAND_ID_RCX);
	if (!r)
		r = scn_inject(ctx, TDH_MEM_RANGE_UNBLOCK, 1,
			       TDX_OPERAND_BUSY | TDX_OPERAND_ID_RCX);
	if (r)
		return scn_setup_fail(ctx, r, "injecting BUSY");
	scn_note(ctx, "the next TDH.MEM.PAGE.DEMOTE and TDH.MEM.RANGE.UNBLOCK answer TDX_OPERAND_BUSY|RCX, as when a vCPU's ACCEPT holds the entry");
	scn_note(ctx, "tasks vcpu0, vcpu1: the guest accepts 0x200000 and 0x3ff000 at 4K; the 2M leaf is split %s",
		 ctx->design.huge_split_lock == TDXSIM_HUGE_SPLIT_LOCK_READ ?
			 "by the fault, under the read mmu_lock (RFC v1/v2)" :
			 "by the accept-level exit, under the write mmu_lock");
	hr_run_vcpus(ctx, 2);
	return 0;
}

static void sb_judge(struct scenario_ctx *ctx)
{
	struct tdxsim_scenario_result *res = ctx->res;
	char buf[160];

	if (!hr_clean(res) || !res->guest_finished ||
	    res->guest_data_failures) {
		scn_fail(ctx, "DEMOTE was BUSY and could not be retried with the vCPUs out: %s; VM %s, guest %s",
			 scn_seamcall_text(res, buf, sizeof(buf)),
			 res->vm_bugged ? "bugged (the 2M leaf left BLOCKED)" :
					  "alive",
			 res->guest_finished ? "finished" : "did not finish");
		return;
	}
	if (!res->no_vcpus_retries || res->demotes != 2) {
		scn_fail(ctx, "%llu retries with the vCPUs out, %llu TDH.MEM.PAGE.DEMOTE; expected the BUSY one retried once",
			 (unsigned long long)res->no_vcpus_retries,
			 (unsigned long long)res->demotes);
		return;
	}
	scn_ok(ctx, "DEMOTE answered BUSY under the write mmu_lock: every vCPU kicked out and kept out, the retry succeeded (%llu TDH.MEM.PAGE.DEMOTE), both accepts went on",
	       (unsigned long long)res->demotes);
}

const struct tdxsim_scenario scn_huge_split_busy = {
	.name = "huge-split-busy",
	.seed_patch = "huge",
	.patch_title = "KVM: TDX: no S-EPT split under the shared mmu_lock (v3 09/24); BUSY retried with every vCPU out (RFC v5 39/45)",
	.summary = "DEMOTE answers BUSY in a split: under the read mmu_lock the UNBLOCK that undoes it is BUSY too and the VM is bugged",
	.before = "next+hugepage-rfc:huge_split_lock=read",
	.upstream = "next+hugepage-rfc",
	.default_seed = 1,
	.run = sb_run,
	.judge = sb_judge,
	.pct_steps = 20000,
};

/* --- huge-split-cache (H7) ---------------------------------------------------- */

static int sc_run(struct scenario_ctx *ctx)
{
	static const u64 maps[] = { 0x200000, 0x400000, 0x600000, 0x800000 };
	int r = hr_build(ctx, "halt\n", 1, HR_SZ_12M, maps, 4);

	if (r)
		return r;
	scn_note(ctx, "KVM_PRE_FAULT_MEMORY: 2M mappings at 0x200000, 0x400000, 0x600000, 0x800000");
	scn_note(ctx, "task convert: KVM_SET_MEMORY_ATTRIBUTES [0x3ff000, +8K) to shared (splits 0x200000 and 0x400000); task punch: PUNCH_HOLE [0x7ff000, +8K) (splits 0x600000 and 0x800000); the split cache is %s",
		 ctx->design.split_cache_lock == TDXSIM_SPLIT_CACHE_LOCK_NONE ?
			 "topped up under its mutex and drawn from after dropping it" :
			 "topped up and drawn from under its mutex");
	scn_task_start(ctx, "convert", scn_task_to_shared, 0, 0x3ff000,
		       2 * PAGE_SIZE);
	scn_task_start(ctx, "punch", scn_task_punch, 0, 0x7ff000,
		       2 * PAGE_SIZE);
	scn_tasks_join(ctx);
	scn_note(ctx, "the conversion returned %s, the punch %s",
		 hr_errno(ctx->tasks[0].err), hr_errno(ctx->tasks[1].err));
	return 0;
}

static void sc_judge(struct scenario_ctx *ctx)
{
	struct tdxsim_scenario_result *res = ctx->res;

	if (res->errnos[0] == ENOMEM || res->errnos[1] == ENOMEM) {
		scn_fail(ctx, "the %s found the split cache drained by the other caller between its top-up and its split: ENOMEM with memory to spare (%llu TDH.MEM.PAGE.DEMOTE of 4)",
			 res->errnos[0] == ENOMEM ? "conversion" : "hole punch",
			 (unsigned long long)res->demotes);
		return;
	}
	if (!hr_clean(res) || res->demotes != 4) {
		scn_fail(ctx, "verdict %s, VM %s, conversion %s, punch %s, %llu TDH.MEM.PAGE.DEMOTE (expected 4)",
			 scn_verdict_kind(res),
			 res->vm_bugged ? "bugged" : "alive",
			 hr_errno(res->errnos[0]), hr_errno(res->errnos[1]),
			 (unsigned long long)res->demotes);
		return;
	}
	scn_ok(ctx, "each caller topped up the split cache and split under its mutex: four TDH.MEM.PAGE.DEMOTE, both calls succeeded");
}

const struct tdxsim_scenario scn_huge_split_cache = {
	.name = "huge-split-cache",
	.seed_patch = "huge",
	.patch_title = "KVM: x86/mmu: the external cache's mutex held from top-up to split (RFC v5 44/45, tdp_mmu_external_cache_lock)",
	.summary = "a conversion and a punch split from the per-VM cache: topped up, then drawn from without the lock, one finds it drained",
	.before = "next+hugepage-rfc:split_cache_lock=none",
	.upstream = "next+hugepage-rfc",
	.default_seed = 1,
	.run = sc_run,
	.judge = sc_judge,
	.pct_steps = 20000,
};

/* --- huge-accept-root (H8) ---------------------------------------------------- */

static const char ar_program[] =
	"accept 0x200000 4K level=4k\n"
	"write 0x200000 4K pattern=5\n"
	"read 0x200000 4K\n"
	"halt\n";

static int ar_run(struct scenario_ctx *ctx)
{
	static const u64 maps[] = { 0x200000 };
	int r = hr_build(ctx, ar_program, 1, SCN_SZ_4M, maps, 1);

	if (r)
		return r;
	scn_note(ctx, "KVM_PRE_FAULT_MEMORY [0x200000, +2M): one 2M mapping, PENDING");
	scn_note(ctx, "task vcpu0: the guest accepts 0x200000 at 4K; the accept-level exit splits the %s root",
		 ctx->design.accept_split_root ==
				 TDXSIM_ACCEPT_SPLIT_ROOT_NORMAL ?
			 "direct (vcpu->arch.mmu->root, as posted)" : "mirror");
	hr_run_vcpus(ctx, 1);
	return 0;
}

static void ar_judge(struct scenario_ctx *ctx)
{
	struct tdxsim_scenario_result *res = ctx->res;

	if (res->verdict != TDXSIM_VERDICT_OK || res->livelock_exit) {
		scn_fail(ctx, "the accept-level exit split the wrong root: the S-EPT stayed 2M, the inhibit was set, and the 4K accept's fault meets the 2M leaf under the read mmu_lock again and again (%s)",
			 res->livelock_exit ? "KVM's livelock exit" :
					      scn_verdict_kind(res));
		return;
	}
	if (!hr_clean(res) || !res->guest_finished ||
	    res->guest_data_failures || res->demotes != 1) {
		scn_fail(ctx, "VM %s, guest %s, KVM_RUN %s, %llu TDH.MEM.PAGE.DEMOTE (expected 1), %llu splits refused under the read mmu_lock",
			 res->vm_bugged ? "bugged" : "alive",
			 res->guest_finished ? "finished" : "did not finish",
			 hr_errno(res->errnos[0]),
			 (unsigned long long)res->demotes,
			 (unsigned long long)res->split_refused);
		return;
	}
	scn_ok(ctx, "the accept-level exit split the mirror root (one TDH.MEM.PAGE.DEMOTE) and the 4K accept succeeded");
}

const struct tdxsim_scenario scn_huge_accept_root = {
	.name = "huge-accept-root",
	.seed_patch = "huge",
	.patch_title = "KVM: TDX: the accept-level exit splits the mirror root (Sean Christopherson's review of RFC v5 41/45)",
	.summary = "a 4K accept in a 2M mapping whose exit splits the direct root: the S-EPT stays 2M and the accept exits forever",
	.before = "next+hugepage-rfc:accept_split_root=normal",
	.upstream = "next+hugepage-rfc",
	.default_seed = 1,
	.run = ar_run,
	.judge = ar_judge,
	.pct_steps = 20000,
};
