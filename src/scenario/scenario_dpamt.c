// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The Dynamic PAMT scenarios (issue 17, docs/upstream/series-dpamt.md):
 * the lazy design's TDX_OPERAND_BUSY when two vCPUs' pages land in a 2M
 * region without its PAMT page pair (dpamt-lazy-busy, section 5.1), and
 * v6's recheck of the refcount under pamt_lock (dpamt-get-recheck,
 * section 5.5). Like the seed patches' scenarios (scenario_cases.c), each
 * builds its TD through the uAPI and judges the run from data.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tdxsim/report.h"
#include "tdxsim/sched.h"
#include "scenario/scenario_internal.h"
#include "ulib/compiler.h"

/* --- Dynamic PAMT: the lazy design's BUSY (issue 17, series-dpamt.md §5.1) ------- */

/*
 * Host pages written through the TD's shared guest_memfd before the vCPUs
 * are initialized: they fill the rest of the 2M region the TD's control
 * pages are in, so the vCPUs' pages come from a region without a PAMT
 * page pair (host pages need none).
 */
#define DL_HOST_PAGES	512

/*
 * Before refcounts, the first DPAMT design added a region's PAMT page pair
 * when a leaf answered TDX_MISSING_PAMT_PAGE_PAIR and retried it, with no
 * serialization against the other SEAMCALLs that give the module pages of
 * that region: "TDX_OPERAND_BUSY will occur as a result of the races"
 * (Kirill Shutemov, RFC v1, 2025-05). Here two vCPUs are initialized at
 * once (6.16-6.18 run KVM_TDX_INIT_VCPU under the vCPU's own mutex), their
 * TDVPR and TDCX pages in one region without a pair: one's PAMT.ADD holds
 * the region's 2M PAMT entry exclusively while the other's VP.CREATE or
 * VP.ADDCX walks a page of it, TDX_OPERAND_BUSY in a path that may not
 * fail, and the VM is bugged. v6's refcount and pamt_lock order every
 * PAMT.ADD before the SEAMCALLs that use its region.
 */
static int dl_run(struct scenario_ctx *ctx)
{
	struct scn_task *t0, *t1, *w;
	int r;

	r = scn_build_td(ctx, &(struct scn_build){
		.host_gmem = SZ_2M, .vcpus = 2 });
	if (r)
		return r;
	w = scn_task_start(ctx, "host-writes", scn_task_host_writes, 0, 0,
			   DL_HOST_PAGES);
	scn_tasks_join(ctx);
	if (w->err)
		return scn_setup_fail(ctx, -w->err, "writing the host pages");

	scn_note(ctx, "TD created (design dpamt=%s); %d host pages written through a shared guest_memfd, so the vCPUs' pages come from a 2M region without a PAMT page pair",
		 ctx->design.dpamt == TDXSIM_DPAMT_LAZY ? "lazy" :
		 ctx->design.dpamt == TDXSIM_DPAMT_V6 ? "v6" : "off",
		 DL_HOST_PAGES);
	scn_note(ctx, "tasks init-vcpu0, init-vcpu1: KVM_TDX_INIT_VCPU on each vCPU at once (TDVPR and TDCX pages: TDH.VP.CREATE, TDH.VP.ADDCX)");
	t0 = scn_task_start(ctx, "init-vcpu0", scn_task_init_vcpu, 0, 0, 0);
	t1 = scn_task_start(ctx, "init-vcpu1", scn_task_init_vcpu, 1, 0, 0);
	scn_tasks_join(ctx);
	scn_note(ctx, "KVM_TDX_INIT_VCPU returned %s and %s",
		 scn_errno_name(t0->err), scn_errno_name(t1->err));
	r = scn_finalize(ctx);
	ctx->res->later_errno = -r;
	scn_note(ctx, "then KVM_TDX_FINALIZE_VM returned %s", scn_errno_name(-r));
	return 0;
}

static void dl_judge(struct scenario_ctx *ctx)
{
	struct tdxsim_scenario_result *res = ctx->res;
	char sc[160];

	if (res->vm_bugged && (scn_seamcall_failed(res, TDH_VP_CREATE) ||
				scn_seamcall_failed(res, TDH_VP_ADDCX))) {
		scn_fail(ctx, "KVM_BUG_ON: %s: the region's TDH.PHYMEM.PAMT.ADD (the lazy design, after TDX_MISSING_PAMT_PAGE_PAIR) held its 2M PAMT entry while the other vCPU's creation gave the module a page of it; the VM is bugged and later ioctls get %s",
			 scn_seamcall_text(res, sc, sizeof(sc)),
			 scn_errno_name(res->later_errno));
		return;
	}
	if (res->vm_bugged) {
		scn_fail(ctx, "KVM_BUG_ON: %s; the VM is bugged",
			 scn_seamcall_text(res, sc, sizeof(sc)));
		return;
	}
	/* errnos: the host writes, then each KVM_TDX_INIT_VCPU. */
	if (res->verdict != TDXSIM_VERDICT_OK || res->errnos[0] ||
	    res->errnos[1] || res->errnos[2] || res->later_errno ||
	    res->lockdep_other) {
		scn_fail(ctx, "verdict %s, KVM_TDX_INIT_VCPU %s and %s, KVM_TDX_FINALIZE_VM %s",
			 scn_verdict_kind(res), scn_errno_name(res->errnos[1]),
			 scn_errno_name(res->errnos[2]),
			 scn_errno_name(res->later_errno));
		return;
	}
	scn_ok(ctx, "both vCPUs initialized, the VM finalized; %llu TDX_OPERAND_BUSY answers",
	       (unsigned long long)res->busy);
}

const struct tdxsim_scenario scn_dpamt_lazy_busy = {
	.name = "dpamt-lazy-busy",
	.seed_patch = "dpamt",
	.patch_title = "[PATCH v6 00/11] Dynamic PAMT: refcounts under pamt_lock, not RFC v1's lazy add",
	.summary = "DPAMT's lazy design: two vCPUs' creation meets one's PAMT.ADD, TDX_OPERAND_BUSY bugs the VM",
	.before = "v6.18+dpamt:dpamt=lazy",
	.upstream = "v6.18+dpamt",
	/*
	 * The host pages need guest_memfd's host mappings of shared pages;
	 * a module whose TDH.VP.INIT takes the TDR shared (version 0) keeps
	 * one vCPU's VP.INIT from meeting the other's VP.ADDCX on the TDR,
	 * a BUSY of parallel INIT_VCPUs that has nothing to do with DPAMT.
	 */
	.needs = "gmem_locking=inflight,vp_init_version=0",
	.default_seed = 1,
	.run = dl_run,
	.judge = dl_judge,
	.pct_steps = 400,
};

/* --- Dynamic PAMT: v6's recheck under pamt_lock (series-dpamt.md §5.5) ----------- */

/*
 * v6's tdx_pamt_get(): when the lock-free increment finds the refcount 0,
 * take two pages, take pamt_lock and look again: another get may have
 * done the 0->1 (and its PAMT.ADD) meanwhile. Without that second look
 * (dpamt_get_recheck=none) the loser adds the region's pair a second time:
 * TDX_HPA_RANGE_NOT_FREE, a WARN, and the page's allocation fails. The
 * same two vCPU creations as dpamt-lazy-busy race for the region.
 */
static void dr_judge(struct scenario_ctx *ctx)
{
	struct tdxsim_scenario_result *res = ctx->res;
	int e1 = res->errnos[1], e2 = res->errnos[2];

	if (e1 || e2 || res->vm_bugged) {
		scn_fail(ctx, "KVM_TDX_INIT_VCPU returned %s and %s: both vCPUs found the region's refcount 0 and the second TDH.PHYMEM.PAMT.ADD met the first's pair (TDX_HPA_RANGE_NOT_FREE, WARN in tdx_pamt_get()), so a control page could not be had",
			 scn_errno_name(e1), scn_errno_name(e2));
		return;
	}
	if (res->verdict != TDXSIM_VERDICT_OK || res->errnos[0] ||
	    res->later_errno || res->lockdep_other) {
		scn_fail(ctx, "verdict %s, KVM_TDX_FINALIZE_VM %s",
			 scn_verdict_kind(res), scn_errno_name(res->later_errno));
		return;
	}
	scn_ok(ctx, "both vCPUs initialized, the VM finalized; the region's pair was added once");
}

const struct tdxsim_scenario scn_dpamt_get_recheck = {
	.name = "dpamt-get-recheck",
	.seed_patch = "dpamt",
	.patch_title = "[PATCH v6 04/11] x86/virt/tdx: tdx_pamt_get(): recheck the refcount under pamt_lock",
	.summary = "DPAMT v6 without the refcount recheck under pamt_lock: a second PAMT.ADD of the same region, WARN, INIT_VCPU fails",
	.before = "v6.18+dpamt:dpamt_get_recheck=none",
	.upstream = "v6.18+dpamt",
	.needs = "gmem_locking=inflight,vp_init_version=0",
	.default_seed = 1,
	.run = dl_run,
	.judge = dr_judge,
	.pct_steps = 400,
};
