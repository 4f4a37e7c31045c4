// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The Dynamic PAMT review races that change how a region's last reference
 * goes (issue 17; docs/upstream/series-dpamt.md §5.2, §5.3, scenarios D2
 * and D3 of §6): one TD's teardown drops the references of the 2M region
 * its control pages are in while another TD's KVM_TDX_INIT_VCPU takes
 * pages of that region.
 *
 *  dpamt-put-race     D2: v3 and v4 dropped 1->0 outside pamt_lock; the
 *                     get that comes in before the put's PAMT.REMOVE adds
 *                     the pair a second time: TDX_HPA_RANGE_NOT_FREE, WARN,
 *                     -ENOMEM (v3); v4 takes that answer for "present";
 *                     v6's atomic_dec_and_lock() leaves no window.
 *  dpamt-put-recheck  D3: the RFC review's recheck under the lock, which a
 *                     lock-free get slips past: the pair goes while the
 *                     get's page is handed to the module (MISSING_PAMT_
 *                     PAGE_PAIR, the VM bugged) or is handed to it before
 *                     the REMOVE (TDX_PAMT_PAGE_NOT_EMPTY, the pair leaks).
 *
 *  dpamt-lock-region  D1 (§5.4): a lock per 2M region instead of the global
 *                     pamt_lock: two vCPU creations at a 2M block's end, the
 *                     PAMT.ADD of one region holding its pair page's region
 *                     shared meets that region's PAMT.ADD: TDX_OPERAND_BUSY.
 *
 * Both TDs are built through the uAPI; the verdict comes from the second
 * TD's failure record (its SEAMCALL failures and the module's failed
 * PAMT.ADD/REMOVE calls) and the tasks' errnos.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tdxsim/report.h"
#include "tdxsim/sched.h"
#include "scenario/scenario_internal.h"
#include "ulib/compiler.h"

/*
 * TD B's vCPU initialization, once the module has given back TD A's
 * control pages (its page count down to what it owned before A was made:
 * @t->size): A's teardown is then putting their PAMT references.
 */
static int pr_init_vcpu_late(struct scn_task *t)
{
	struct tdxsim_module_stats st;

	for (;;) {
		scn_module_stats(&st);
		if (st.pages_owned <= t->size)
			break;
		tdxsim_cpu_relax();
	}
	return scn_task_init_vcpu(t);
}

/* Tear TD A down: @t->gpa carries the struct scn_td (pr_run's). */
static int pr_destroy(struct scn_task *t)
{
	scn_td_destroy((struct scn_td *)(uintptr_t)t->gpa);
	t->err = 0;
	return 0;
}

int scn_dpamt_td_pair(struct scenario_ctx *ctx, struct scn_td *a,
		      struct tdxsim_module_stats *st)
{
	struct scn_task *w;
	struct scn_td b;
	int r;

	r = scn_build_td(ctx, &(struct scn_build){
		.host_gmem = SZ_2M, .vcpus = 1 });
	if (r)
		return r;
	w = scn_task_start(ctx, "host-writes", scn_task_host_writes, 0, 0,
			   SCN_DPAMT_HOST_PAGES);
	scn_tasks_join(ctx);
	if (w->err)
		return scn_setup_fail(ctx, w->err, "writing the host pages");

	if (st)
		scn_module_stats(st);
	b = ctx->td;
	scn_td_init(&ctx->td);
	r = scn_build_td(ctx, &(struct scn_build){ .vcpus = 1, .init = 1 });
	*a = ctx->td;
	ctx->td = b;
	if (r) {
		scn_td_destroy(a);
		return scn_setup_fail(ctx, -r, "building TD A");
	}
	return 0;
}

/*
 * The pair of TDs of scn_dpamt_td_pair(); then A is torn down while B's
 * vCPU is initialized: B's TDVPR and TDCX come from A's region, its
 * refcount on its way to 0.
 */
static int pr_run(struct scenario_ctx *ctx)
{
	struct scn_td a;
	struct scn_task *t0, *t1;
	struct tdxsim_module_stats st;
	int r;

	r = scn_dpamt_td_pair(ctx, &a, &st);
	if (r)
		return r;
	scn_note(ctx, "TD B created, %d host pages written through its shared guest_memfd; TD A created after them, its vCPU initialized: A's control pages hold the only PAMT references of their 2M region",
		 SCN_DPAMT_HOST_PAGES);
	scn_note(ctx, "task destroy-a: close TD A (TDH.PHYMEM.PAGE.RECLAIM and tdx_pamt_put() of each control page); task init-vcpu-b: KVM_TDX_INIT_VCPU on TD B's vCPU (tdx_pamt_get() for its TDVPR and TDCX pages)");
	t0 = scn_task_start(ctx, "destroy-a", pr_destroy, 0,
			    (u64)(uintptr_t)&a, 0);
	t1 = scn_task_start(ctx, "init-vcpu-b", pr_init_vcpu_late, 0, 0,
			    st.pages_owned);
	scn_tasks_join(ctx);
	scn_note(ctx, "TD A is gone; TD B's KVM_TDX_INIT_VCPU returned %s",
		 scn_errno_name(t1->err));
	(void)t0;
	r = scn_finalize(ctx);
	ctx->res->later_errno = -r;
	scn_note(ctx, "then TD B's KVM_TDX_FINALIZE_VM returned %s",
		 scn_errno_name(-r));
	return 0;
}

/* The module's last failed PAMT.ADD/REMOVE since TD B was created. */
static bool pr_pamt_failed(const struct tdxsim_scenario_result *res,
			   u32 leaf, u64 status)
{
	const struct tdxsim_vm_failure *f = &res->failure;

	return f->pamt_errors && f->pamt_last_leaf == leaf &&
	       (f->pamt_last_status & TDX_SEAMCALL_STATUS_MASK) == status;
}

/*
 * Clean: B initialized and finalized, no report, and no failed PAMT call
 * but (@v4_ok) a PAMT.ADD that met a pair still being removed, which v4
 * takes for "present".
 */
static void pr_judge_clean(struct scenario_ctx *ctx, bool v4_ok)
{
	struct tdxsim_scenario_result *res = ctx->res;
	const struct tdxsim_vm_failure *f = &res->failure;
	bool met = pr_pamt_failed(res, TDH_PHYMEM_PAMT_ADD,
				  TDX_HPA_RANGE_NOT_FREE);
	char sc[160];

	if (res->vm_bugged) {
		scn_fail(ctx, "KVM_BUG_ON: %s; TD B is bugged",
			 scn_seamcall_text(res, sc, sizeof(sc)));
		return;
	}
	/* errnos: the host writes, TD A's teardown, B's KVM_TDX_INIT_VCPU. */
	if (res->verdict != TDXSIM_VERDICT_OK || res->errnos[0] ||
	    res->errnos[2] || res->later_errno || res->lockdep_other ||
	    (f->pamt_errors && !(v4_ok && met))) {
		scn_fail(ctx, "verdict %s, KVM_TDX_INIT_VCPU %s, KVM_TDX_FINALIZE_VM %s, %llu failed PAMT.ADD/REMOVE (last 0x%016llx)",
			 scn_verdict_kind(res), scn_errno_name(res->errnos[2]),
			 scn_errno_name(res->later_errno),
			 (unsigned long long)f->pamt_errors,
			 (unsigned long long)f->pamt_last_status);
		return;
	}
	if (f->pamt_errors)
		scn_ok(ctx, "TD A torn down, TD B's vCPU initialized and the TD finalized; B's PAMT.ADD met the pair A's put was about to remove (0x%016llx) and took it as present, A's put then kept it",
		       (unsigned long long)f->pamt_last_status);
	else
		scn_ok(ctx, "TD A torn down, TD B's vCPU initialized and the TD finalized; no PAMT.ADD or REMOVE failed");
}

static void pr_judge(struct scenario_ctx *ctx)
{
	struct tdxsim_scenario_result *res = ctx->res;

	if (res->errnos[2] &&
	    pr_pamt_failed(res, TDH_PHYMEM_PAMT_ADD, TDX_HPA_RANGE_NOT_FREE)) {
		scn_fail(ctx, "TDH.PHYMEM.PAMT.ADD: 0x%016llx (TDX_HPA_RANGE_NOT_FREE): TD A's put dropped the region's count to 0 outside pamt_lock, TD B's get took the lock first and added the pair still installed; WARN, KVM_TDX_INIT_VCPU returned %s",
			 (unsigned long long)res->failure.pamt_last_status,
			 scn_errno_name(res->errnos[2]));
		return;
	}
	pr_judge_clean(ctx, res->design.dpamt_put == TDXSIM_DPAMT_PUT_V4);
}

const struct tdxsim_scenario scn_dpamt_put_race = {
	.name = "dpamt-put-race",
	.seed_patch = "dpamt",
	.patch_title = "[PATCH v6 04/11] x86/virt/tdx: tdx_pamt_put(): atomic_dec_and_lock() (v3/v4 dropped 1->0 outside pamt_lock)",
	.summary = "DPAMT v3: a teardown's put drops a region to 0 outside pamt_lock, another TD's get adds the pair again: HPA_RANGE_NOT_FREE, WARN, INIT_VCPU -ENOMEM",
	.before = "next+dpamt:dpamt_put=v3",
	.upstream = "next+dpamt",
	.upstream_also = (const char *const[]){ "next+dpamt:dpamt_put=v4", NULL },
	/*
	 * The host pages need guest_memfd's host mappings of shared pages
	 * (the in-flight locking).
	 */
	.needs = "gmem_locking=inflight",
	.default_seed = 72,
	.run = pr_run,
	.judge = pr_judge,
	.pct_steps = 600,
};

static void prr_judge(struct scenario_ctx *ctx)
{
	struct tdxsim_scenario_result *res = ctx->res;
	u64 st = res->failure.first_seamcall.status & TDX_SEAMCALL_STATUS_MASK;
	char sc[160];

	if (res->vm_bugged && st == TDX_MISSING_PAMT_PAGE_PAIR) {
		scn_fail(ctx, "KVM_BUG_ON: %s: TD A's put read the count 0 under pamt_lock, TD B's lock-free get then counted itself a user of the pair, and A removed it; TD B is bugged",
			 scn_seamcall_text(res, sc, sizeof(sc)));
		return;
	}
	if (res->vm_bugged && st == TDX_OPERAND_BUSY) {
		scn_fail(ctx, "KVM_BUG_ON: %s: TD B's lock-free get counted itself a user of the pair TD A's put was removing, and B's SEAMCALL met the PAMT.REMOVE holding the region's 2M PAMT entry; TD B is bugged",
			 scn_seamcall_text(res, sc, sizeof(sc)));
		return;
	}
	if (res->failure.pamt_errors &&
	    res->failure.pamt_last_leaf == TDH_PHYMEM_PAMT_REMOVE) {
		scn_fail(ctx, "TDH.PHYMEM.PAMT.REMOVE: 0x%016llx (%s): TD A's put decided to remove the pair after its recheck, TD B's lock-free get had given the module a page of the region meanwhile; WARN, the pair leaks",
			 (unsigned long long)res->failure.pamt_last_status,
			 tdxsim_tdx_status_name(res->failure.pamt_last_status));
		return;
	}
	pr_judge_clean(ctx, false);
}

const struct tdxsim_scenario scn_dpamt_put_recheck = {
	.name = "dpamt-put-recheck",
	.seed_patch = "dpamt",
	.patch_title = "[RFC, PATCH 00/12] TDX: Enable Dynamic PAMT: the review's recheck in tdx_pamt_put() (rejected, 2025-05-23)",
	.summary = "DPAMT: put rechecks the count under the lock, a lock-free get slips in after it: the pair removed under a user (MISSING_PAMT_PAGE_PAIR) or NOT_EMPTY and leaked",
	.before = "next+dpamt:dpamt_put=rfc-recheck",
	.upstream = "next+dpamt",
	.needs = "gmem_locking=inflight",
	.default_seed = 35,
	.run = pr_run,
	.judge = prr_judge,
	.pct_steps = 600,
};

/* --- D1: why pamt_lock is global (series-dpamt.md §5.4) ------------------------ */

/*
 * Pages left free in the 2M block the allocator is carving when the two
 * vCPUs' creations begin: the first TDVPR takes the block's last page,
 * its PAMT page pair comes from the next block, whose region the other
 * vCPU's TDVPR opens.
 */
#define PL_LEFT		1

/*
 * Host pages (through TD B's shared guest_memfd, then TD A's: @t->gpa)
 * until the allocator has opened a new 2M block, which holds no TDX page
 * then, and carved it but PL_LEFT pages.
 */
static int pl_host_writes(struct scn_task *t)
{
	struct scn_td *a = (struct scn_td *)(uintptr_t)t->gpa;
	u8 *maps[] = { t->ctx->td.host_map, a->host_map };
	int r;

	r = scn_host_writes_to_block_end(t, maps, SCN_DPAMT_HOST_PAGES,
					 2 * SCN_DPAMT_HOST_PAGES, PL_LEFT);
	t->err = -r;
	return r;
}

/*
 * Two TDs, each with a vCPU, then host pages up to the end of a 2M block
 * but one page; then both vCPUs are initialized at once. With one lock
 * per region the PAMT.ADD of the first TDVPR's region, holding its pair
 * page's region shared, meets the PAMT.ADD of that region.
 */
static int pl_run(struct scenario_ctx *ctx)
{
	struct scn_td a;
	struct scn_task *w, *t0, *t1;
	int r;

	r = scn_build_td(ctx, &(struct scn_build){
		.host_gmem = SZ_2M, .vcpus = 1 });
	a = ctx->td;
	scn_td_init(&ctx->td);
	if (!r)
		r = scn_build_td(ctx, &(struct scn_build){
			.host_gmem = SZ_2M, .vcpus = 1 });
	if (r) {
		scn_td_destroy(&a);
		return r;
	}
	w = scn_task_start(ctx, "host-writes", pl_host_writes, 0,
			   (u64)(uintptr_t)&a, 0);
	scn_tasks_join(ctx);
	if (w->err) {
		scn_td_destroy(&a);
		return scn_setup_fail(ctx, w->err, "writing the host pages");
	}
	scn_note(ctx, "TDs A and B created with a vCPU each; %ld host pages written, %d page(s) of the current 2M block left",
		 w->ret, PL_LEFT);
	t0 = scn_task_start(ctx, "init-vcpu-a", scn_task_init_vcpu_td, 0,
			    (u64)(uintptr_t)&a, 0);
	t1 = scn_task_start(ctx, "init-vcpu-b", scn_task_init_vcpu, 0, 0, 0);
	scn_tasks_join(ctx);
	scn_note(ctx, "KVM_TDX_INIT_VCPU returned %s (TD A) and %s (TD B)",
		 scn_errno_name(t0->err), scn_errno_name(t1->err));
	scn_td_destroy(&a);
	return 0;
}

static void pl_judge(struct scenario_ctx *ctx)
{
	struct tdxsim_scenario_result *res = ctx->res;
	const struct tdxsim_vm_failure *f = &res->failure;

	if (f->pamt_errors && f->pamt_last_leaf == TDH_PHYMEM_PAMT_ADD &&
	    tdx_operand_busy(f->pamt_last_status)) {
		scn_fail(ctx, "TDH.PHYMEM.PAMT.ADD: 0x%016llx (TDX_OPERAND_BUSY): two regions' PAMT.ADDs ran at once under their own locks, one holding the other's 2M PAMT entry shared for its pair page; WARN, KVM_TDX_INIT_VCPU returned %s and %s",
			 (unsigned long long)f->pamt_last_status,
			 scn_errno_name(res->errnos[1]),
			 scn_errno_name(res->errnos[2]));
		return;
	}
	/* errnos: the host writes, A's and B's KVM_TDX_INIT_VCPU. */
	if (res->verdict != TDXSIM_VERDICT_OK || res->vm_bugged ||
	    res->errnos[0] || res->errnos[1] || res->errnos[2] ||
	    res->lockdep_other || f->pamt_errors) {
		scn_fail(ctx, "verdict %s, VM %s, KVM_TDX_INIT_VCPU %s and %s, %llu failed PAMT.ADD/REMOVE (last 0x%016llx)",
			 scn_verdict_kind(res), res->vm_bugged ? "bugged" : "alive",
			 scn_errno_name(res->errnos[1]),
			 scn_errno_name(res->errnos[2]),
			 (unsigned long long)f->pamt_errors,
			 (unsigned long long)f->pamt_last_status);
		return;
	}
	scn_ok(ctx, "both vCPUs initialized; no PAMT.ADD failed");
}

const struct tdxsim_scenario scn_dpamt_lock_region = {
	.name = "dpamt-lock-region",
	.seed_patch = "dpamt",
	.patch_title = "[PATCH v3 00/16] TDX: Enable Dynamic PAMT: why pamt_lock is global (Yan Zhao, 2025-09-26)",
	.summary = "DPAMT with a lock per 2M region: a PAMT.ADD holding its pair page's region shared meets that region's PAMT.ADD: BUSY, WARN, INIT_VCPU -ENOMEM",
	.before = "next+dpamt:dpamt_lock=per-region",
	.upstream = "next+dpamt",
	.needs = "gmem_locking=inflight",
	.default_seed = 1,
	.run = pl_run,
	.judge = pl_judge,
	.pct_steps = 600,
};
