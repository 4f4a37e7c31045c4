// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The TDX huge-page series' open orderings as scenarios (issue 17, item 2;
 * docs/upstream/series-hugepage.md §4, §6 H5 and H6). Each builds a TD
 * whose guest accepted and wrote a whole 2M private mapping, makes the host
 * take away one 4K page inside it (a conversion to shared whose S-EPT
 * split finds no memory; a memory failure on the page), and lets a second
 * vCPU read the healthy pages around it: in the design with the bug they
 * are gone with the 4K page (the VM is bugged, or the guest finds them
 * unaccepted and KVM kills the VM), in the other they stay.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "scenario/scenario_internal.h"
#include "ulib/compiler.h"

#define HG_GPA		0x200000ULL	/* the 2M mapping */
#define HG_PAGE		0x201000ULL	/* the 4K page taken away */
#define HG_MAX_RUNS	64

/*
 * vCPU 0 accepts the 2M at 2M and fills it; vCPU 1, once the host took
 * the page at 0x201000 away, reads pages on both sides of it.
 */
static const char hg_program[] =
	"vcpu 0\n"
	"accept 0x200000 2M level=2m\n"
	"write 0x200000 2M pattern=7\n"
	"read 0x200000 2M\n"
	"halt\n"
	"vcpu 1\n"
	"read 0x200000 4K\n"
	"read 0x202000 4K\n"
	"read 0x3ff000 4K\n"
	"halt\n";

static const char *hg_errno(int err)
{
	return err ? strerror(err) : "0";
}

/* KVM_RUN vCPU @t->vcpu until the guest halts: 0 or -errno. */
static int hg_vcpu(struct scn_task *t)
{
	struct scenario_ctx *ctx = t->ctx;
	struct kvm_run *run = ctx->td.run[t->vcpu];
	int i;

	for (i = 0; i < HG_MAX_RUNS; i++) {
		if (tdxsim_ioctl(ctx->td.vcpu_fd[t->vcpu], KVM_RUN, 0) < 0) {
			t->err = errno;
			return -errno;
		}
		if (run->exit_reason == KVM_EXIT_HLT)
			return 0;
	}
	t->err = EAGAIN;
	return -EAGAIN;
}

/* The TD, its 2M mapping at HG_GPA, accepted and written by vCPU 0. */
static int hg_build(struct scenario_ctx *ctx)
{
	struct tdxsim_td_stats ts0, ts1;
	struct scn_task *v0;
	long r;

	r = scn_build_td(ctx, &(struct scn_build){
		.program = hg_program, .vcpus = 2, .init = 2,
		.private = true, .finalize = true });
	if (r)
		return r;
	scn_td_stats(ctx, &ts0);
	r = scn_prefault(ctx, 0, HG_GPA, SZ_2M);
	scn_td_stats(ctx, &ts1);
	if (r != SZ_2M || ts1.seamcalls[TDH_MEM_PAGE_AUG] -
			  ts0.seamcalls[TDH_MEM_PAGE_AUG] != 1)
		return scn_setup_fail(ctx, r < 0 ? r : -EINVAL,
				      "a 2M mapping at 0x200000");
	scn_note(ctx, "KVM_PRE_FAULT_MEMORY [0x200000, +2M): one TDH.MEM.PAGE.AUG at 2M");
	v0 = scn_task_start(ctx, "vcpu0", hg_vcpu, 0, 0, 0);
	scn_tasks_join(ctx);
	if (v0->err)
		return scn_setup_fail(ctx, -v0->err, "vCPU 0 accepting the 2M");
	scn_note(ctx, "vCPU 0 accepted [0x200000, +2M) at 2M and wrote it");
	ctx->nr_tasks = 0;
	return 0;
}

/* vCPU 1 reads around the page; the guest's evidence into the result. */
static void hg_read_back(struct scenario_ctx *ctx)
{
	struct scn_task *v1;

	scn_note(ctx, "then vCPU 1 reads 0x200000, 0x202000 and 0x3ff000 (4K each)");
	v1 = scn_task_start(ctx, "vcpu1", hg_vcpu, 1, 0, 0);
	scn_tasks_join(ctx);
	ctx->res->later_errno = v1->err;
	ctx->res->guest_finished = tdxsim_guest_finished(ctx->td.guest);
	ctx->res->guest_data_failures =
		tdxsim_guest_data_failures(ctx->td.guest);
	scn_note(ctx, "vCPU 1's KVM_RUN returned %s; the guest %s, %llu data-check failures",
		 hg_errno(v1->err),
		 ctx->res->guest_finished ? "finished" : "did not finish",
		 (unsigned long long)ctx->res->guest_data_failures);
}

/* The healthy pages survived: alive, the guest finished and read them. */
static bool hg_neighbours_ok(const struct tdxsim_scenario_result *res)
{
	return !res->vm_bugged && !res->later_errno && res->guest_finished &&
	       !res->guest_data_failures && !res->lockdep_other &&
	       res->verdict == TDXSIM_VERDICT_OK;
}

static void hg_fail(struct scenario_ctx *ctx, const char *what)
{
	struct tdxsim_scenario_result *res = ctx->res;

	scn_fail(ctx, "%s: VM %s%s%s, vCPU 1's KVM_RUN %s, guest %s (%llu data-check failures), %llu TDH.MEM.PAGE.DEMOTE",
		 what, res->vm_bugged ? "bugged by " :
		 res->later_errno == EIO ? "dead" : "alive",
		 res->vm_bugged ? res->failure.bug_func : "",
		 res->vm_bugged ? "()" : "", hg_errno(res->later_errno),
		 res->guest_finished ? "finished" : "did not finish",
		 (unsigned long long)res->guest_data_failures,
		 (unsigned long long)res->demotes);
}

/* --- huge-split-order ------------------------------------------------------------ */

static int so_run(struct scenario_ctx *ctx)
{
	struct scn_task *conv;
	int r = hg_build(ctx);

	if (r)
		return r;
	r = scn_inject(ctx, TDXSIM_INJECT_SPLIT_ENOMEM, 1, ENOMEM);
	if (r)
		return scn_setup_fail(ctx, r, "TDXSIM_INJECT_SPLIT_ENOMEM");
	scn_note(ctx, "the next S-EPT split finds no memory (TDXSIM_INJECT_SPLIT_ENOMEM)");
	scn_note(ctx, "task convert: KVM_SET_MEMORY_ATTRIBUTES [0x201000, +4K) to shared (split %s)",
		 ctx->design.huge_split_order ==
			 TDXSIM_HUGE_SPLIT_ORDER_FOLIO_FIRST ?
		 "after guest_memfd splits the folio, in the zap" :
		 "before guest_memfd splits the folio and before the zap");
	conv = scn_task_start(ctx, "convert", scn_task_to_shared, 0, HG_PAGE,
			      PAGE_SIZE);
	scn_tasks_join(ctx);
	scn_note(ctx, "the conversion returned %s", hg_errno(conv->err));
	hg_read_back(ctx);
	return 0;
}

static void so_judge(struct scenario_ctx *ctx)
{
	struct tdxsim_scenario_result *res = ctx->res;

	if (!hg_neighbours_ok(res)) {
		hg_fail(ctx, "the S-EPT split failed past the point of no return: the zap took the whole 2M mapping, the accepted pages around the converted one with it");
		return;
	}
	if (res->errnos[0] != ENOMEM || res->demotes) {
		scn_fail(ctx, "the conversion returned %s with %llu TDH.MEM.PAGE.DEMOTE; expected ENOMEM before any S-EPT change",
			 hg_errno(res->errnos[0]),
			 (unsigned long long)res->demotes);
		return;
	}
	scn_ok(ctx, "the S-EPT split found no memory before anything was zapped: the conversion failed with ENOMEM, the 2M mapping stayed, vCPU 1 read its pages");
}

const struct tdxsim_scenario scn_huge_split_order = {
	.name = "huge-split-order",
	.seed_patch = "huge",
	.patch_title = "KVM: TDX huge pages: split the S-EPT before guest_memfd splits the folio (v3 FIXUP, RFC v5 kvm_arch_gmem_convert)",
	.summary = "a 4K conversion inside a 2M private mapping whose S-EPT split fails: after the folio split (in the zap) the whole 2M goes",
	.before = "next+hugepage-rfc:huge_split_order=folio_first",
	.upstream = "next+hugepage-rfc",
	.default_seed = 1,
	.run = so_run,
	.judge = so_judge,
	.pct_steps = 2000,
};

/* --- huge-memory-failure -------------------------------------------------------- */

static int mf_poison(struct scn_task *t)
{
	int r = tdxsim_memory_failure(t->ctx->td.gmem_fd, t->gpa);

	t->err = r < 0 ? errno : 0;
	return -t->err;
}

static int mf_run(struct scenario_ctx *ctx)
{
	struct scn_task *mf;
	int r = hg_build(ctx);

	if (r)
		return r;
	scn_note(ctx, "task memory-failure: memory_failure() of the guest_memfd page at 0x201000 (the 2M folio is split, the page poisoned, kvm_gmem_error_folio() unmaps it)%s",
		 ctx->design.huge_error_split ?
		 "; the S-EPT is split first" : "");
	mf = scn_task_start(ctx, "memory-failure", mf_poison, 0, HG_PAGE, 0);
	scn_tasks_join(ctx);
	scn_note(ctx, "tdxsim_memory_failure() returned %s", hg_errno(mf->err));
	hg_read_back(ctx);
	return 0;
}

static void mf_judge(struct scenario_ctx *ctx)
{
	struct tdxsim_scenario_result *res = ctx->res;

	if (!hg_neighbours_ok(res)) {
		hg_fail(ctx, "the poisoned 4K page's unmap took the whole 2M S-EPT mapping: the 511 healthy accepted pages around it are gone");
		return;
	}
	if (res->errnos[0] || res->demotes != 1 || !res->folio_splits) {
		scn_fail(ctx, "memory failure returned %s, %llu TDH.MEM.PAGE.DEMOTE, %llu folio splits; expected 0, 1 and 1",
			 hg_errno(res->errnos[0]),
			 (unsigned long long)res->demotes,
			 (unsigned long long)res->folio_splits);
		return;
	}
	scn_ok(ctx, "the S-EPT was split before the poisoned page was unmapped (1 TDH.MEM.PAGE.DEMOTE): only that page left the TD, vCPU 1 read the pages around it");
}

const struct tdxsim_scenario scn_huge_memory_failure = {
	.name = "huge-memory-failure",
	.seed_patch = "huge",
	.patch_title = "KVM: guest_memfd: split the S-EPT in kvm_gmem_error_folio() (Yan Zhao's plan, 2026-01-19)",
	.summary = "memory failure on one 4K page of a 2M private mapping: without a split in kvm_gmem_error_folio() the whole 2M goes",
	.before = "next+hugepage-rfc",
	.upstream = "next+hugepage-rfc:huge_error_split=on",
	.default_seed = 1,
	.run = mf_run,
	.judge = mf_judge,
	.pct_steps = 2000,
};
