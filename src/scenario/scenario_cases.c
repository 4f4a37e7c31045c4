// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The five seed patches as scenarios. Each builds the smallest TD that
 * shows its bug through the uAPI, starts the racing tasks, and judges the
 * outcome from what the run left behind (see scenario.h). The Dynamic
 * PAMT scenarios are in scenario_dpamt.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tdxsim/report.h"
#include "tdxsim/sched.h"
#include "scenario/scenario_internal.h"
#include "ulib/compiler.h"

#define GPA_2M		0x200000ULL

/* --- 000: populate-deadlock --------------------------------------------------- */

#define PD_PAGES	4

static int pd_host_fault(struct scn_task *t)
{
	struct scn_td *td = &t->ctx->td;
	u8 out[64], in[64];
	int r;

	memset(out, 0x5a, sizeof(out));
	r = tdxsim_gmem_host_access(td->host_map, out, sizeof(out), true);
	if (!r)
		r = tdxsim_gmem_host_access(td->host_map, in, sizeof(in),
					    false);
	if (!r && memcmp(in, out, sizeof(in)))
		r = -EIO;
	t->err = -r;
	return r;
}

static int pd_populate(struct scn_task *t)
{
	int r = scn_init_mem(t->ctx, t->vcpu, t->gpa, t->size >> PAGE_SHIFT);

	t->err = -r;
	return r;
}

static int pd_run(struct scenario_ctx *ctx)
{
	struct scn_task *fault, *pop;
	int r;

	r = scn_build_td(ctx, &(struct scn_build){
		.host_gmem = SZ_2M, .vcpus = 1, .init = 1, .private = true });
	if (r)
		return r;

	scn_note(ctx, "task host-fault: a host store and load through the mmap of the TD's second guest_memfd, a shared slot (mm->mmap_lock, then guest_memfd's fault handler)");
	scn_note(ctx, "task init-mem-region: KVM_TDX_INIT_MEM_REGION of %d measured pages at GPA 0",
		 PD_PAGES);
	fault = scn_task_start(ctx, "host-fault", pd_host_fault, 0, 0, 0);
	pop = scn_task_start(ctx, "init-mem-region", pd_populate, 0, 0,
			     PD_PAGES * PAGE_SIZE);
	scn_tasks_join(ctx);
	scn_note(ctx, "host-fault returned %s, KVM_TDX_INIT_MEM_REGION returned %s",
		 scn_errno_name(fault->err), scn_errno_name(pop->err));
	if (pop->err)
		return 0;
	r = scn_finalize(ctx);
	scn_note(ctx, "KVM_TDX_FINALIZE_VM returned %s", scn_errno_name(-r));
	return 0;
}

static void pd_judge(struct scenario_ctx *ctx)
{
	struct tdxsim_scenario_result *res = ctx->res;
	struct tdxsim_design *d = &res->design;

	if (res->verdict != TDXSIM_VERDICT_OK || res->lockdep_recursive ||
	    res->lockdep_circular) {
		scn_fail(ctx, "%s%s%s%s",
			 res->verdict == TDXSIM_VERDICT_DEADLOCK ?
				 "deadlock: KVM_TDX_INIT_MEM_REGION waits for mapping.invalidate_lock, which it holds itself (kvm_gmem_populate -> kvm_tdp_map_page -> kvm_gmem_get_pfn)" :
			 res->verdict != TDXSIM_VERDICT_OK ? scn_verdict_kind(res) : "",
			 res->lockdep_recursive ?
				 "; lockdep: possible recursive locking of mapping.invalidate_lock" : "",
			 res->lockdep_circular ?
				 "; lockdep: possible circular locking dependency &mm->mmap_lock -> mapping.invalidate_lock -> &mm->mmap_lock" : "",
			 res->lockdep_other ? "; and other lock-validator reports" : "");
		return;
	}
	if (res->lockdep_other) {
		scn_fail(ctx, "%u lock-validator report(s)", res->lockdep_other);
		return;
	}
	if (res->errnos[0] || res->errnos[1] || !res->mrtd_valid) {
		scn_fail(ctx, "host fault %s, KVM_TDX_INIT_MEM_REGION %s, MRTD %s",
			 scn_errno_name(res->errnos[0]), scn_errno_name(res->errnos[1]),
			 res->mrtd_valid ? "read" : "not read");
		return;
	}
	scn_ok(ctx, "populate=%s: KVM_TDX_INIT_MEM_REGION and the host fault both completed, no lock-validator report, MRTD %02x%02x%02x%02x...",
	       d->populate == TDXSIM_POPULATE_GMEM ? "gmem_cb" :
	       d->populate == TDXSIM_POPULATE_MAP_PFN ? "map_pfn" : "decoupled",
	       res->mrtd[0], res->mrtd[1], res->mrtd[2], res->mrtd[3]);
}

/* Seed 000's RFC solves it too, by not calling kvm_gmem_populate(). */
static const char *const pd_also[] = { "next+seed000-rfc", NULL };

const struct tdxsim_scenario scn_populate_deadlock = {
	.name = "populate-deadlock",
	.seed_patch = "000",
	.patch_title = "KVM: TDX: Decouple TDX init mem region from kvm_gmem_populate()",
	.summary = "KVM_TDX_INIT_MEM_REGION under guest_memfd's in-flight locking: self-deadlock on the invalidate lock, AB-BA with mmap_lock",
	.before = "v6.16",
	.upstream = "next",
	.upstream_also = pd_also,
	.needs = "gmem_locking=inflight",
	.default_seed = 1,
	.run = pd_run,
	.judge = pd_judge,
	.pct_steps = 600,
};

/* --- 001: accept-level-livelock ---------------------------------------------- */

#define AL_MAX_RUNS	64

static const char al_program[] =
	"# A guest that accepts at 4K a page of a range KVM mapped at 2M.\n"
	"accept 0x200000 4K level=4k\n"
	"read 0x200000 4K\n"
	"write 0x200000 4K pattern=5\n"
	"read 0x200000 4K\n"
	"halt\n";

static int al_vcpu(struct scn_task *t)
{
	struct scenario_ctx *ctx = t->ctx;
	struct kvm_run *run = ctx->td.run[t->vcpu];
	int i;

	for (i = 0; i < AL_MAX_RUNS; i++) {
		int r = tdxsim_ioctl(ctx->td.vcpu_fd[t->vcpu], KVM_RUN, 0);

		if (r < 0 && errno != EFAULT) {
			t->err = errno;
			return -errno;
		}
		if (run->exit_reason == KVM_EXIT_HLT)
			return 0;
		if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR) {
			if (run->internal.suberror ==
			    TDXSIM_INTERNAL_ERROR_LIVELOCK)
				ctx->res->livelock_exit = true;
			t->ret = run->internal.suberror;
			return 0;
		}
	}
	t->ret = -1;
	return 0;
}

static int al_run(struct scenario_ctx *ctx)
{
	struct tdxsim_td_stats ts0, ts1;
	u64 augs;
	long r;

	r = scn_build_td(ctx, &(struct scn_build){
		.program = al_program, .vcpus = 1, .init = 1,
		.private = true, .finalize = true });
	if (r)
		return r;

	/* TDH.MEM.PAGE.AUG calls tell the mapping's size: 1 for 2M, 512 for 4K. */
	scn_td_stats(ctx, &ts0);
	r = scn_prefault(ctx, 0, GPA_2M, SZ_2M);
	if (r < 0)
		return scn_setup_fail(ctx, r, "KVM_PRE_FAULT_MEMORY");
	scn_td_stats(ctx, &ts1);
	augs = ts1.seamcalls[TDH_MEM_PAGE_AUG] - ts0.seamcalls[TDH_MEM_PAGE_AUG];
	scn_note(ctx, "KVM_PRE_FAULT_MEMORY [0x200000, +2M): %llu TDH.MEM.PAGE.AUG (%s, PENDING)",
		 (unsigned long long)augs,
		 augs == 1 ? "one 2M mapping" : "4K mappings");
	scn_note(ctx, "task vcpu0: KVM_RUN; the guest accepts 0x200000 at 4K, checks it reads zero, writes and reads it");
	scn_task_start(ctx, "vcpu0", al_vcpu, 0, 0, 0);
	scn_tasks_join(ctx);
	{
		struct tdxsim_guest_vcpu_status vs;
		struct tdxsim_guest_stats gs;

		if (!tdxsim_guest_vcpu_status(ctx->td.guest, 0, &vs) &&
		    !tdxsim_guest_get_stats(ctx->td.guest, 0, &gs))
			scn_note(ctx, vs.halted ?
				 "the guest halted after %llu TD exits%s" :
				 "the guest is stuck after %llu TD exits; its current operation: %s",
				 (unsigned long long)gs.exits,
				 vs.halted ? "" : vs.op);
	}
	ctx->res->guest_finished = tdxsim_guest_finished(ctx->td.guest);
	ctx->res->guest_data_failures =
		tdxsim_guest_data_failures(ctx->td.guest);
	if (ctx->res->livelock_exit || !ctx->res->guest_finished)
		return 0;

	/*
	 * Is the range inhibited? Convert it away and back (zapping it), then
	 * pre-fault it again: KVM maps 4K if the guest-inhibit bit is set.
	 */
	if (!scn_set_private(ctx, GPA_2M, SZ_2M, false) &&
	    !scn_set_private(ctx, GPA_2M, SZ_2M, true)) {
		scn_td_stats(ctx, &ts0);
		r = scn_prefault(ctx, 0, GPA_2M, SZ_2M);
		scn_td_stats(ctx, &ts1);
		augs = ts1.seamcalls[TDH_MEM_PAGE_AUG] -
		       ts0.seamcalls[TDH_MEM_PAGE_AUG];
		ctx->res->inhibited = r == SZ_2M && augs == 512;
		scn_note(ctx, "after converting the range away and back, KVM_PRE_FAULT_MEMORY of it makes %llu TDH.MEM.PAGE.AUG: %s",
			 (unsigned long long)augs, ctx->res->inhibited ?
			 "2M mappings are inhibited there" : "not inhibited");
	}
	return 0;
}

static void al_judge(struct scenario_ctx *ctx)
{
	struct tdxsim_scenario_result *res = ctx->res;

	if (res->livelock_exit || res->verdict == TDXSIM_VERDICT_LIVELOCK) {
		scn_fail(ctx, "livelock: the guest's 4K TDG.MEM.PAGE.ACCEPT under KVM's 2M mapping exits with the accept level again and again (%llu exits); KVM ignores the level and re-enters (KVM_EXIT_INTERNAL_ERROR, suberror livelock); %llu splits",
			 (unsigned long long)res->accept_exits,
			 (unsigned long long)res->splits);
		return;
	}
	if (res->verdict != TDXSIM_VERDICT_OK || res->vm_bugged ||
	    !res->guest_finished || res->guest_data_failures ||
	    res->errnos[0] || res->lockdep_other) {
		scn_fail(ctx, "verdict %s, VM %s, guest %s, %llu data-check failures, KVM_RUN %s",
			 scn_verdict_kind(res), res->vm_bugged ? "bugged" : "alive",
			 res->guest_finished ? "finished" : "did not finish",
			 (unsigned long long)res->guest_data_failures,
			 scn_errno_name(res->errnos[0]));
		return;
	}
	scn_ok(ctx, "the accept exit carried 4K: KVM split the 2M mapping (%llu split, %llu TDH.MEM.PAGE.DEMOTE), %s; the accept succeeded and the guest's data checks passed",
	       (unsigned long long)res->splits,
	       (unsigned long long)res->demotes,
	       res->inhibited ? "set the guest-inhibit bit (a 2M re-fault maps 4K)" :
				"(no inhibit seen)");
}

const struct tdxsim_scenario scn_accept_level_livelock = {
	.name = "accept-level-livelock",
	.seed_patch = "001",
	.patch_title = "KVM: TDX: Split and inhibit huge mappings if a VMExit carries level info",
	.summary = "a guest accepts at 4K a range KVM mapped at 2M: livelock unless KVM splits and inhibits",
	.before = "next+hugepage-rfc:accept_level=ignore",
	.upstream = "next+hugepage-rfc",
	.default_seed = 1,
	.run = al_run,
	.judge = al_judge,
	.pct_steps = 20000,
};

/* --- 002: vp-init-busy --------------------------------------------------------- */

#define VB_PAGES	8

static int vb_run(struct scenario_ctx *ctx)
{
	struct scn_task *init, *punch;
	int r;

	r = scn_build_td(ctx, &(struct scn_build){
		.vcpus = 2, .init = 1, .private = true,
		.add_gpa = 0, .add_pages = VB_PAGES });
	if (r)
		return r;

	scn_note(ctx, "%d pages added (TDH.MEM.PAGE.ADD) at GPA 0; vCPU 1 created, not initialized",
		 VB_PAGES);
	scn_note(ctx, "task init-vcpu1: KVM_TDX_INIT_VCPU on vCPU 1 (TDH.VP.INIT version %u)",
		 ctx->design.vp_init_version);
	scn_note(ctx, "task punch-hole: fallocate(PUNCH_HOLE) of those pages on the TD's guest_memfd");
	init = scn_task_start(ctx, "init-vcpu1", scn_task_init_vcpu, 1, 0, 0);
	punch = scn_task_start(ctx, "punch-hole", scn_task_punch, 0, 0,
			       VB_PAGES * PAGE_SIZE);
	scn_tasks_join(ctx);
	scn_note(ctx, "KVM_TDX_INIT_VCPU returned %s, PUNCH_HOLE returned %s",
		 scn_errno_name(init->err), scn_errno_name(punch->err));
	r = scn_finalize(ctx);
	ctx->res->later_errno = -r;
	scn_note(ctx, "then KVM_TDX_FINALIZE_VM returned %s", scn_errno_name(-r));
	return 0;
}

static void vb_judge(struct scenario_ctx *ctx)
{
	struct tdxsim_scenario_result *res = ctx->res;
	char sc[160];

	if (res->vm_bugged && scn_seamcall_failed(res, TDH_VP_INIT)) {
		scn_fail(ctx, "KVM_BUG_ON: %s: TDH.VP.INIT wants the TDR exclusively while the hole punch's zap holds it shared; the VM is bugged and later ioctls get %s",
			 scn_seamcall_text(res, sc, sizeof(sc)),
			 scn_errno_name(res->later_errno));
		return;
	}
	if (res->vm_bugged) {
		scn_fail(ctx, "KVM_BUG_ON: the zap path's %s while TDH.VP.INIT held the TDR exclusively, and again after the retry with every vCPU out (no-vCPUs retries: %llu); the VM is bugged and later ioctls get %s",
			 scn_seamcall_text(res, sc, sizeof(sc)),
			 (unsigned long long)res->no_vcpus_retries,
			 scn_errno_name(res->later_errno));
		return;
	}
	if (res->verdict != TDXSIM_VERDICT_OK || res->errnos[0] || res->errnos[1] ||
	    res->later_errno || res->lockdep_other) {
		scn_fail(ctx, "verdict %s, KVM_TDX_INIT_VCPU %s, PUNCH_HOLE %s, KVM_TDX_FINALIZE_VM %s",
			 scn_verdict_kind(res), scn_errno_name(res->errnos[0]),
			 scn_errno_name(res->errnos[1]),
			 scn_errno_name(res->later_errno));
		return;
	}
	scn_ok(ctx, "KVM_TDX_INIT_VCPU and the hole punch both succeeded (%s), the VM finalized; %llu TDX_OPERAND_BUSY answers",
	       res->design.vp_init_lock == TDXSIM_VP_INIT_LOCK_MMU_WRITE ?
		       "serialized on mmu_lock" : "they did not overlap",
	       (unsigned long long)res->busy);
}

/* 6.19 merged the fix (9a89894f); next has it too. */
static const char *const vib_also[] = { "v6.19", NULL };

const struct tdxsim_scenario scn_vp_init_busy = {
	.name = "vp-init-busy",
	.seed_patch = "002",
	.patch_title = "KVM: TDX: Take MMU lock around tdh_vp_init()",
	.summary = "a hole punch during KVM_TDX_INIT_VCPU: the zap path meets TDX_OPERAND_BUSY on the TDR and bugs the VM",
	.before = "v6.18",
	.upstream = "next",
	.upstream_also = vib_also,
	.needs = "vp_init_version=1",
	.default_seed = 31,
	.run = vb_run,
	.judge = vb_judge,
	.pct_steps = 1100,
};

/* --- 003: pinned-split-hang ----------------------------------------------------- */

#define PS_PAGES	4
#define PS_CONVERT	(GPA_2M + PAGE_SIZE)
#define PS_FAULT	0x100000ULL

static int ps_fault(struct scn_task *t)
{
	long r = scn_prefault(t->ctx, t->vcpu, t->gpa, t->size);

	t->err = r < 0 ? (int)-r : 0;
	t->ret = r;
	return r < 0 ? (int)r : 0;
}

/* A TD whose 2M folio at 2M has PS_PAGES private pages in the S-EPT. */
static int ps_build(struct scenario_ctx *ctx)
{
	int r;

	r = scn_build_td(ctx, &(struct scn_build){
		.vcpus = 1, .init = 1, .private = true,
		.add_gpa = GPA_2M, .add_pages = PS_PAGES, .finalize = true });
	if (r)
		return r;
	scn_note(ctx, "%d pages of the 2M guest_memfd folio at GPA 0x200000 are in the S-EPT (TDH.MEM.PAGE.ADD)%s",
		 PS_PAGES, ctx->design.pin_pages ?
		 ", each holding a page reference (pin_pages=on)" : "");
	return 0;
}

static int ps_run(struct scenario_ctx *ctx)
{
	struct scn_task *conv, *fault;
	int r = ps_build(ctx);

	if (r)
		return r;
	scn_note(ctx, "task convert: KVM_SET_MEMORY_ATTRIBUTES 0x%llx (4K) to shared: zap, then split the folio",
		 (unsigned long long)PS_CONVERT);
	scn_note(ctx, "task vcpu0-fault: KVM_PRE_FAULT_MEMORY 0x%llx (4K), in the other 2M folio, meanwhile",
		 (unsigned long long)PS_FAULT);
	conv = scn_task_start(ctx, "convert", scn_task_to_shared, 0, PS_CONVERT,
			      PAGE_SIZE);
	fault = scn_task_start(ctx, "vcpu0-fault", ps_fault, 0, PS_FAULT,
			       PAGE_SIZE);
	scn_tasks_join(ctx);
	scn_note(ctx, "the conversion returned %s, the pre-fault %s",
		 scn_errno_name(conv->err), scn_errno_name(fault->err));
	return 0;
}

static void ps_judge_main(struct scenario_ctx *ctx)
{
	struct tdxsim_scenario_result *res = ctx->res;

	if (res->verdict == TDXSIM_VERDICT_HANG) {
		scn_fail(ctx, "hang: converting 0x%llx to shared splits its 2M guest_memfd folio, which waits forever for the folio's extra references (the pins of the other pages mapped in the S-EPT)",
			 (unsigned long long)PS_CONVERT);
		return;
	}
	if (res->verdict != TDXSIM_VERDICT_OK || res->vm_bugged || res->errnos[0] ||
	    res->errnos[1] || res->lockdep_other || !res->folio_splits) {
		scn_fail(ctx, "verdict %s, VM %s, conversion %s, pre-fault %s, %llu folio splits",
			 scn_verdict_kind(res), res->vm_bugged ? "bugged" : "alive",
			 scn_errno_name(res->errnos[0]),
			 scn_errno_name(res->errnos[1]),
			 (unsigned long long)res->folio_splits);
		return;
	}
	scn_ok(ctx, "the folio split proceeded (%llu folio split), the conversion and the concurrent pre-fault succeeded",
	       (unsigned long long)res->folio_splits);
}

static void ps_extra(struct scenario_ctx *ctx)
{
	struct tdxsim_module_stats before, after;
	struct tdxsim_stats st;
	int r;

	if (ps_build(ctx))
		return;
	r = scn_inject(ctx, TDH_MEM_RANGE_BLOCK, 1, TDX_OPERAND_INVALID);
	if (r) {
		scn_setup_fail(ctx, r, "TDXSIM_INJECT_FAULT");
		return;
	}
	scn_note(ctx, "injected: the next TDH.MEM.RANGE.BLOCK returns TDX_OPERAND_INVALID (a KVM or TDX-module bug)");
	scn_module_stats(&before);
	r = tdxsim_fallocate(ctx->td.gmem_fd,
			     FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE,
			     GPA_2M, SZ_2M);
	scn_note(ctx, "PUNCH_HOLE of the whole 2M folio returned %s",
		 scn_errno_name(r < 0 ? errno : 0));
	scn_module_stats(&after);
	scn_stats(ctx, &st);
	/* Pages the zap did not hand back, and the host did not free. */
	if (st.vm_bugged && scn_pamt_violations() == ctx->pamt_before)
		ctx->res->extra_pages_kept = PS_PAGES -
			(before.pages_owned - after.pages_owned);
	scn_note(ctx, "the module owns %llu pages before the punch, %llu after",
		 (unsigned long long)before.pages_owned,
		 (unsigned long long)after.pages_owned);
}

static void ps_judge(struct scenario_ctx *ctx)
{
	struct tdxsim_scenario_result *res = ctx->res;

	if (!ctx->extra) {
		ps_judge_main(ctx);
		return;
	}
	res->extra_pamt_violations = scn_pamt_violations() - ctx->pamt_before;
	if (ctx->setup_err) {
		scn_fail(ctx, "could not run: %s", strerror(-ctx->setup_err));
		return;
	}
	if (res->extra_pamt_violations)
		scn_fail(ctx, "zap failure: VM %s; guest_memfd freed the folio while the module still owned %llu of its pages (PAMT check)",
			 res->extra_vm_bugged ? "bugged (KVM_BUG_ON)" : "alive",
			 (unsigned long long)res->extra_pamt_violations);
	else
		scn_fail(ctx, "zap failure: VM %s; the folio's page was not freed: %llu page(s) the zap left in the S-EPT are kept (leaked, by the pin or by TDX), no PAMT violation",
			 res->extra_vm_bugged ? "bugged (KVM_BUG_ON)" : "alive",
			 (unsigned long long)res->extra_pages_kept);
}

const struct tdxsim_scenario scn_pinned_split_hang = {
	.name = "pinned-split-hang",
	.seed_patch = "003",
	.patch_title = "KVM: TDX: Don't explicitly pin pages when mapping them into the S-EPT",
	.summary = "a 2M guest_memfd folio partly converted to shared while its pages are in the S-EPT: pinned pages make the split hang",
	/*
	 * 6.18 on huge folios: kvm_gmem_populate() would answer -EEXIST for
	 * the second page of a folio the first page's fault prepared as a
	 * whole (the reason gmem-6.20 dropped that check): take 7.0's.
	 */
	.before = "v6.18:populate_eexist=off",
	.upstream = "next",
	.needs = "gmem_hugepages=on",
	.default_seed = 1,
	.run = ps_run,
	.judge = ps_judge,
	.pct_steps = 600,
	.extra = ps_extra,
};

/* --- 004: mirror-race ------------------------------------------------------------ */

static int mr_prefault(struct scn_task *t)
{
	long r = scn_prefault(t->ctx, t->vcpu, t->gpa, t->size);

	t->err = r < 0 ? (int)-r : 0;
	t->ret = r;
	return r < 0 ? (int)r : 0;
}

static int mr_run(struct scenario_ctx *ctx)
{
	struct scn_task *a, *b;
	long r;

	r = scn_build_td(ctx, &(struct scn_build){
		.vcpus = 2, .init = 2, .private = true,
		.add_gpa = 0, .add_pages = 1, .finalize = true });
	if (r)
		return r;

	scn_note(ctx, "one page added at GPA 0 (the upper page tables exist); the 2M range at 0x200000 has no page table yet");
	scn_note(ctx, "task vcpu0: KVM_PRE_FAULT_MEMORY 0x200000 (4K); task vcpu1: KVM_PRE_FAULT_MEMORY 0x201000 (4K)");
	a = scn_task_start(ctx, "vcpu0", mr_prefault, 0, GPA_2M, PAGE_SIZE);
	b = scn_task_start(ctx, "vcpu1", mr_prefault, 1, GPA_2M + PAGE_SIZE,
			   PAGE_SIZE);
	scn_tasks_join(ctx);
	scn_note(ctx, "vcpu0's pre-fault returned %s, vcpu1's %s",
		 scn_errno_name(a->err), scn_errno_name(b->err));
	r = scn_prefault(ctx, 0, GPA_2M + 2 * PAGE_SIZE, PAGE_SIZE);
	ctx->res->later_errno = r < 0 ? (int)-r : 0;
	scn_note(ctx, "then a third pre-fault (0x202000) returned %s",
		 scn_errno_name(ctx->res->later_errno));
	return 0;
}

static void mr_judge(struct scenario_ctx *ctx)
{
	struct tdxsim_scenario_result *res = ctx->res;
	char sc[160];

	if (res->vm_bugged) {
		scn_fail(ctx, "KVM_BUG_ON: %s: one vCPU's S-EPT update reached the module before the other's TDH.MEM.SEPT.ADD of the page table above it; the VM is bugged and later ioctls get %s",
			 scn_seamcall_text(res, sc, sizeof(sc)),
			 scn_errno_name(res->later_errno));
		return;
	}
	if (res->verdict != TDXSIM_VERDICT_OK || res->errnos[0] || res->errnos[1] ||
	    res->later_errno || res->lockdep_other) {
		scn_fail(ctx, "verdict %s, pre-faults %s and %s, later %s",
			 scn_verdict_kind(res), scn_errno_name(res->errnos[0]),
			 scn_errno_name(res->errnos[1]),
			 scn_errno_name(res->later_errno));
		return;
	}
	if (res->fault_retries)
		scn_ok(ctx, "both 4K pages mapped; %llu fault retried (it met the other vCPU's entry%s) and then succeeded",
		       (unsigned long long)res->fault_retries,
		       res->design.mirror_freeze ?
		       " frozen while its S-EPT update ran" : "");
	else
		scn_ok(ctx, "both 4K pages mapped; the two faults did not meet");
}

const struct tdxsim_scenario scn_mirror_race = {
	.name = "mirror-race",
	.seed_patch = "004",
	.patch_title = "KVM: x86/tdp_mmu: Reflect building mirror page tables",
	.summary = "two vCPUs fault in one unmapped 2M range: without freezing, a 4K AUG beats the page table's SEPT.ADD",
	.before = "next:mirror_freeze=off",
	.upstream = "next",
	.needs = "gmem_hugepages=off",
	.default_seed = 78,
	.run = mr_run,
	.judge = mr_judge,
	.pct_steps = 420,
};
