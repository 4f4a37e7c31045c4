// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * More Dynamic PAMT scenarios (issue 17; docs/upstream/series-dpamt.md §5.6
 * and §6 D5-D7):
 *
 *  dpamt-demote-add   D5: with huge pages, TDH.MEM.PAGE.DEMOTE installs a
 *                     PAMT page pair for the 2M page it splits, its pair
 *                     pages' 2M regions held shared in the module like a
 *                     PAMT.ADD's. Outside pamt_lock (RFC v5) another TD's
 *                     PAMT.ADD of such a region meets it: TDX_OPERAND_BUSY
 *                     for the DEMOTE (TDX_BUG_ON, the splitting TD is dead)
 *                     or for the PAMT.ADD (WARN, the other TD's
 *                     KVM_TDX_INIT_VCPU fails). Yan Zhao's fix (2026-06-11)
 *                     runs DEMOTE under pamt_lock.
 *
 * Each builds its TDs through the uAPI and judges from the failure record
 * (the module's failed PAMT.ADD/REMOVE calls, the first failed SEAMCALL),
 * the tasks' errnos and the VM's state.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tdxsim/report.h"
#include "tdxsim/sched.h"
#include "scenario/scenario_internal.h"
#include "ulib/compiler.h"

/* --- shared: a second TD, host pages up to a 2M block's end ---------------- */

/* Host pages the second TD's shared guest_memfd holds (two 2M blocks). */
#define DM_HOST_PAGES	1024

/*
 * Write host pages through the shared guest_memfd at @t->gpa (a struct
 * scn_td) until the allocator has opened a new 2M block and carved it but
 * @t->size pages: the pages allocated next end that block, those after
 * open a region without any TDX page (and so without a PAMT pair).
 */
static int dm_host_writes(struct scn_task *t)
{
	struct scn_td *td = (struct scn_td *)(uintptr_t)t->gpa;
	u8 *maps[] = { td->host_map };
	int r;

	r = scn_host_writes_to_block_end(t, maps, DM_HOST_PAGES, DM_HOST_PAGES,
					 t->size);
	t->err = r ? -r : (t->ret == DM_HOST_PAGES ? ENOSPC : 0);
	return -t->err;
}

/*
 * A second TD in @b with a vCPU (not initialized) and a shared guest_memfd
 * for host pages; ctx->td is left as it was.
 */
static int dm_second_td(struct scenario_ctx *ctx, struct scn_td *b)
{
	struct scn_td a = ctx->td;
	u32 huge = ctx->design.gmem_hugepages;
	int r;

	/* 4K folios for the host pages: each write takes one page. */
	ctx->design.gmem_hugepages = 0;
	scn_td_init(&ctx->td);
	r = scn_build_td(ctx, &(struct scn_build){
		.host_gmem = (u64)DM_HOST_PAGES * PAGE_SIZE, .vcpus = 1 });
	*b = ctx->td;
	ctx->td = a;
	ctx->design.gmem_hugepages = huge;
	if (r)
		scn_td_destroy(b);
	return r;
}

/* --- D5: DEMOTE against another TD's PAMT.ADD (series-dpamt.md §5.6) ------- */

#define DM_GPA		0x200000ULL	/* TD A's 2M mapping */
#define DM_PAGE		0x201000ULL	/* the 4K page converted to shared */
/*
 * Pages left in the block when the race starts: the split takes ten, the
 * last two DEMOTE's pair; with nine left the pair's second page opens the
 * next region (no TDX page, no PAMT pair), where TD B's TDVPR lands too
 * when B starts after it (the S-EPT page and its region's pair, topped
 * up before, stay in this block).
 */
#define DM_LEFT		9

/* Convert [@t->gpa, +@t->size) of ctx->td to shared: the 2M leaf splits. */
static int dm_convert(struct scn_task *t)
{
	int r = scn_set_private(t->ctx, t->gpa, t->size, false);

	t->err = -r;
	__atomic_store_n(&t->ret, 1, __ATOMIC_RELEASE);
	return r;
}

/*
 * TD B's KVM_TDX_INIT_VCPU once the split has taken DM_LEFT + 1 pages
 * (@t->size: the count to wait for), i.e. once DEMOTE's pair reaches into
 * the next region, or once the split is over.
 */
static int dm_init_vcpu_late(struct scn_task *t)
{
	struct scn_task *split = &t->ctx->tasks[0];

	while (scn_host_pages_in_use() < t->size &&
	       !__atomic_load_n(&split->ret, __ATOMIC_ACQUIRE))
		tdxsim_cpu_relax();
	return scn_task_init_vcpu_td(t);
}

/*
 * TD A: finalized, [0x200000, +2M) mapped at 2M by a pre-fault (one
 * TDH.MEM.PAGE.AUG; the 2M page needs no PAMT pair).
 */
static int dm_build_a(struct scenario_ctx *ctx)
{
	int r;

	r = scn_build_td(ctx, &(struct scn_build){
		.vcpus = 1, .init = 1, .private = true, .finalize = true });
	if (r)
		return scn_setup_fail(ctx, r, "building TD A");
	r = scn_map_2m(ctx, DM_GPA);
	if (r)
		return scn_setup_fail(ctx, r, "a 2M mapping at 0x200000");
	return 0;
}

static int dm_run(struct scenario_ctx *ctx)
{
	struct scn_task *w, *t1;
	struct scn_td b;
	int r;

	r = dm_build_a(ctx);
	if (r)
		return r;
	r = dm_second_td(ctx, &b);
	if (r)
		return r;
	w = scn_task_start(ctx, "host-writes", dm_host_writes, 0,
			   (u64)(uintptr_t)&b, DM_LEFT);
	scn_tasks_join(ctx);
	if (w->err) {
		scn_td_destroy(&b);
		return scn_setup_fail(ctx, -w->err, "writing the host pages");
	}
	ctx->nr_tasks = 0;
	scn_note(ctx, "TD A finalized, [0x200000, +2M) mapped at 2M (one TDH.MEM.PAGE.AUG); TD B created with a vCPU; %ld host pages written, %d page(s) of the current 2M block left",
		 w->ret, DM_LEFT);
	scn_note(ctx, "task split-a: KVM_SET_MEMORY_ATTRIBUTES [0x201000, +4K) of TD A to shared: BLOCK, TRACK, TDH.MEM.PAGE.DEMOTE with a fresh PAMT pair (%s pamt_lock); task init-vcpu-b: KVM_TDX_INIT_VCPU on TD B's vCPU (tdx_pamt_get(), PAMT.ADD of a fresh region)",
		 ctx->design.demote_under_pamt_lock ==
			 TDXSIM_DEMOTE_PAMT_LOCK_OFF ? "outside" : "under");
	scn_task_start(ctx, "split-a", dm_convert, 0, DM_PAGE, PAGE_SIZE);
	t1 = scn_task_start(ctx, "init-vcpu-b", dm_init_vcpu_late, 0,
			    (u64)(uintptr_t)&b,
			    scn_host_pages_in_use() + DM_LEFT + 1);
	scn_tasks_join(ctx);
	scn_note(ctx, "the conversion returned %s, TD B's KVM_TDX_INIT_VCPU %s",
		 scn_errno_name(ctx->tasks[0].err), scn_errno_name(t1->err));
	scn_td_destroy(&b);
	return 0;
}

static void dm_judge(struct scenario_ctx *ctx)
{
	struct tdxsim_scenario_result *res = ctx->res;
	const struct tdxsim_vm_failure *f = &res->failure;
	char sc[160];

	if (res->vm_bugged && scn_seamcall_failed(res, TDH_MEM_PAGE_DEMOTE) &&
	    tdx_operand_busy(f->first_seamcall.status)) {
		scn_fail(ctx, "KVM_BUG_ON: %s: TD B's PAMT.ADD held the region of a page of DEMOTE's PAMT pair exclusively; TD A is bugged with its 2M leaf blocked",
			 scn_seamcall_text(res, sc, sizeof(sc)));
		return;
	}
	if (f->pamt_errors && f->pamt_last_leaf == TDH_PHYMEM_PAMT_ADD &&
	    tdx_operand_busy(f->pamt_last_status)) {
		scn_fail(ctx, "TDH.PHYMEM.PAMT.ADD: 0x%016llx (TDX_OPERAND_BUSY): TD A's DEMOTE, outside pamt_lock, held the region shared for a page of its PAMT pair; WARN, TD B's KVM_TDX_INIT_VCPU returned %s",
			 (unsigned long long)f->pamt_last_status,
			 scn_errno_name(res->errnos[1]));
		return;
	}
	/* errnos: TD A's conversion, TD B's KVM_TDX_INIT_VCPU. */
	if (res->verdict != TDXSIM_VERDICT_OK || res->vm_bugged ||
	    res->errnos[0] || res->errnos[1] || res->lockdep_other ||
	    f->pamt_errors || res->demotes != 1) {
		scn_fail(ctx, "verdict %s, TD A %s, conversion %s, KVM_TDX_INIT_VCPU %s, %llu TDH.MEM.PAGE.DEMOTE, %llu failed PAMT.ADD/REMOVE (last 0x%016llx)",
			 scn_verdict_kind(res),
			 res->vm_bugged ? "bugged" : "alive",
			 scn_errno_name(res->errnos[0]),
			 scn_errno_name(res->errnos[1]),
			 (unsigned long long)res->demotes,
			 (unsigned long long)f->pamt_errors,
			 (unsigned long long)f->pamt_last_status);
		return;
	}
	scn_ok(ctx, "TD A's 2M leaf split (one TDH.MEM.PAGE.DEMOTE), TD B's vCPU initialized; no PAMT.ADD or DEMOTE met the other");
}

const struct tdxsim_scenario scn_dpamt_demote_add = {
	.name = "dpamt-demote-add",
	.seed_patch = "dpamt",
	.patch_title = "[RFC PATCH v5 00/45] TDX: Dynamic PAMT + S-EPT Hugepage: DEMOTE under pamt_lock (Yan Zhao, 2026-06-11)",
	.summary = "DPAMT + huge pages: a DEMOTE outside pamt_lock holds its PAMT pair pages' region, another TD's PAMT.ADD of it: BUSY (TD A bugged or TD B's INIT_VCPU fails)",
	.before = "next+dpamt+hugepage-rfc:demote_under_pamt_lock=off",
	.upstream = "next+dpamt+hugepage-rfc",
	.needs = "gmem_locking=inflight",
	.default_seed = 4,	/* 1 passes since DEMOTE's pair comes from the split cache */
	.run = dm_run,
	.judge = dm_judge,
	.pct_steps = 1000,
};

/* --- D6: a failed PAMT.REMOVE (series-dpamt.md §6 D6) ---------------------- */

/*
 * TD B (ctx->td) with a vCPU and host pages past its control pages'
 * region; TD A after them, its TDR, TDCS, TDVPR and TDCX the only TDX
 * pages of the next region. The first PAMT.REMOVE on the host answers
 * TDX_OPERAND_BUSY (TDXSIM_INJECT_HOST): A's teardown, whose last put
 * removes that region's pair, meets it. Then B's vCPU is initialized:
 * its TDVPR and TDCX come from A's region again (the allocator reuses
 * A's pages), and B is finalized.
 */
static int rf_run(struct scenario_ctx *ctx)
{
	struct tdxsim_module_stats st;
	struct scn_task *t;
	struct scn_td a;
	int r;

	r = scn_dpamt_td_pair(ctx, &a, NULL);
	if (r)
		return r;
	ctx->nr_tasks = 0;
	r = scn_inject(ctx, TDH_PHYMEM_PAMT_REMOVE | TDXSIM_INJECT_HOST, 1,
		       TDX_OPERAND_BUSY | TDX_OPERAND_ID_RCX);
	if (r) {
		scn_td_destroy(&a);
		return scn_setup_fail(ctx, r, "TDXSIM_INJECT_FAULT (host)");
	}
	scn_note(ctx, "TD B created, %d host pages written; TD A created after them, its vCPU initialized: A's control pages hold the only PAMT references of their 2M region",
		 SCN_DPAMT_HOST_PAGES);
	scn_note(ctx, "the host's next TDH.PHYMEM.PAMT.REMOVE answers TDX_OPERAND_BUSY|RCX (TDXSIM_INJECT_FAULT with TDXSIM_INJECT_HOST); TD A closed: its last put's REMOVE fails (the count %s)",
		 ctx->design.dpamt_remove_fail == TDXSIM_DPAMT_REMOVE_FAIL_DROP ?
		 "left at 0" : "set back to 1");
	scn_td_destroy(&a);
	scn_module_stats(&st);
	scn_note(ctx, "TD A is gone: %llu PAMT page pairs installed on the host",
		 (unsigned long long)st.pamt_pairs);
	scn_note(ctx, "task init-vcpu-b: KVM_TDX_INIT_VCPU on TD B's vCPU (tdx_pamt_get() for its TDVPR and TDCX, pages of A's region)");
	t = scn_task_start(ctx, "init-vcpu-b", scn_task_init_vcpu, 0, 0, 0);
	scn_tasks_join(ctx);
	r = scn_finalize(ctx);
	ctx->res->later_errno = -r;
	scn_note(ctx, "KVM_TDX_INIT_VCPU returned %s, then KVM_TDX_FINALIZE_VM %s",
		 scn_errno_name(t->err), scn_errno_name(-r));
	return 0;
}

static void rf_judge(struct scenario_ctx *ctx)
{
	struct tdxsim_scenario_result *res = ctx->res;
	const struct tdxsim_vm_failure *f = &res->failure;

	if (f->pamt_last_leaf == TDH_PHYMEM_PAMT_ADD &&
	    (f->pamt_last_status & TDX_SEAMCALL_STATUS_MASK) ==
	    TDX_HPA_RANGE_NOT_FREE) {
		scn_fail(ctx, "TDH.PHYMEM.PAMT.ADD: 0x%016llx (TDX_HPA_RANGE_NOT_FREE): the failed REMOVE left the pair installed and the count at 0, so TD B's get added it again; WARN, KVM_TDX_INIT_VCPU returned %s",
			 (unsigned long long)f->pamt_last_status,
			 scn_errno_name(res->errnos[0]));
		return;
	}
	/* The injected REMOVE is the one failed PAMT call expected. */
	if (res->verdict != TDXSIM_VERDICT_OK || res->vm_bugged ||
	    res->errnos[0] || res->later_errno || res->lockdep_other ||
	    f->pamt_errors != 1 || f->pamt_last_leaf != TDH_PHYMEM_PAMT_REMOVE) {
		scn_fail(ctx, "verdict %s, VM %s, KVM_TDX_INIT_VCPU %s, KVM_TDX_FINALIZE_VM %s, %llu failed PAMT.ADD/REMOVE (last 0x%016llx)",
			 scn_verdict_kind(res),
			 res->vm_bugged ? "bugged" : "alive",
			 scn_errno_name(res->errnos[0]),
			 scn_errno_name(res->later_errno),
			 (unsigned long long)f->pamt_errors,
			 (unsigned long long)f->pamt_last_status);
		return;
	}
	scn_ok(ctx, "the failed PAMT.REMOVE (WARN) left its pair installed and counted: TD B's gets took it without a PAMT.ADD, B initialized and finalized; the pair is leaked, no VM died");
}

const struct tdxsim_scenario scn_dpamt_remove_fail = {
	.name = "dpamt-remove-fail",
	.seed_patch = "dpamt",
	.patch_title = "[PATCH v6 05/11] x86/virt/tdx: tdx_pamt_put(): a failed PAMT.REMOVE sets the count back to 1",
	.summary = "DPAMT: PAMT.REMOVE fails (host-level injection); with the count left at 0 the next get adds the pair again: HPA_RANGE_NOT_FREE, INIT_VCPU fails",
	.before = "next+dpamt:dpamt_remove_fail=drop",
	.upstream = "next+dpamt",
	.needs = "gmem_locking=inflight",
	.default_seed = 1,
	.run = rf_run,
	.judge = rf_judge,
	.pct_steps = 600,
};
