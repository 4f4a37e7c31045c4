// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The guest_memfd in-place conversion scenarios (issue 17; the series'
 * v8 and its review: docs/upstream/series-gmem-inplace.md §4.1, §5 G1).
 *
 * gmem-inplace-pin: a host thread holds a transient reference on a shared
 * guest_memfd page (a GUP pin for a DMA: tdxsim_host_pin()) while the VMM
 * converts that page to private with KVM_SET_MEMORY_ATTRIBUTES2. v8 checks
 * the folio's references after zapping the host mappings and refuses with
 * EAGAIN and the page's offset (error_offset) while the pin is held; the
 * VMM retries once the DMA is done. Without the check
 * (gmem_conv_refcheck=none) the conversion completes under the pin: the
 * DMA then writes into a page guest_memfd holds private, and the invariant
 * check the host thread runs before unpinning finds the private page
 * still referenced.
 *
 * gmem-inplace-mixed: a guest accepts and writes a private page, converts
 * the next page to shared, then MapGPAs both pages to private. v8's
 * invalidation filter holds every kind the range has, so the private page
 * is zapped too (BLOCK, TRACK, REMOVE): its content is gone and the
 * guest's next read meets a page it never accepted. The post-v8 filter
 * (gmem_conv_filter=old) zaps only the shared page (docs/FINDINGS.md G1).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tdxsim/kvm.h"
#include "tdxsim/sched.h"
#include "tdxsim/tdxsim.h"
#include "scenario/scenario_internal.h"
#include "ulib/compiler.h"

#define GP_OFF		0x1000ULL	/* the page converted (GPA = offset) */
#define GP_DMA_STEPS	4		/* schedule points the DMA takes */
#define GP_MAX_TRIES	64		/* the VMM's EAGAIN retries */

enum { GP_TASK_DMA, GP_TASK_CONVERT };

static int gp_convert(struct scenario_ctx *ctx, bool private, u64 *err_off)
{
	struct kvm_memory_attributes2 a = {
		.offset = GP_OFF,
		.size = PAGE_SIZE,
		.attributes = private ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0,
	};
	int r = tdxsim_ioctl(ctx->td.gmem_fd, KVM_SET_MEMORY_ATTRIBUTES2, &a);

	if (err_off)
		*err_off = a.error_offset;
	return r < 0 ? -errno : 0;
}

/* TDXSIM_CHECK_INVARIANTS: the number of violations (0 on failure). */
static long gp_invariants(struct scenario_ctx *ctx)
{
	struct tdxsim_check check = { 0 };

	if (tdxsim_ioctl(ctx->td.vm_fd, TDXSIM_CHECK_INVARIANTS, &check) < 0)
		return 0;
	return check.errors;
}

/*
 * The host thread: pin the page, run the DMA into it (a few schedule
 * points), check the invariants while the pin is still held, unpin.
 * ->err: the pin's errno (EFAULT: already private, SIGBUS); ->ret: the
 * violations seen.
 */
static int gp_dma(struct scn_task *t)
{
	static const char dma[] = "host DMA into a shared page";
	struct tdxsim_host_pin *pin;
	int i, r;

	r = tdxsim_host_pin((u8 *)t->ctx->td.map + GP_OFF, PAGE_SIZE, true,
			    &pin);
	if (r) {
		t->err = -r;
		return r;
	}
	for (i = 0; i < GP_DMA_STEPS; i++) {
		tdxsim_host_pin_write(pin, i * sizeof(dma), dma, sizeof(dma));
		tdxsim_cpu_relax();
	}
	t->ret = gp_invariants(t->ctx);
	tdxsim_host_unpin(pin);
	return 0;
}

/*
 * The VMM: convert the page to private, retrying EAGAIN as a VMM would.
 * ->err: the last errno; ->ret: the EAGAIN answers; ->gpa: the
 * error_offset of the first.
 */
static int gp_vmm_convert(struct scn_task *t)
{
	u64 err_off = 0;
	int tries, r;

	t->gpa = ~0ULL;
	for (tries = 0; tries < GP_MAX_TRIES; tries++) {
		r = gp_convert(t->ctx, true, &err_off);
		if (r != -EAGAIN)
			break;
		if (!t->ret++)
			t->gpa = err_off;
		tdxsim_cpu_relax();
	}
	t->err = -r;
	return r;
}

static int gp_run(struct scenario_ctx *ctx)
{
	int r;

	r = scn_td_create(ctx, SCN_SZ_4M);
	if (r)
		return r;
	r = gp_convert(ctx, false, NULL);
	if (r)
		return scn_setup_fail(ctx, -r,
				      "KVM_SET_MEMORY_ATTRIBUTES2 to shared");
	scn_note(ctx, "TD created (gmem_conv_refcheck=%s); guest_memfd page 0x%llx converted to shared",
		 ctx->design.gmem_conv_refcheck ==
			 TDXSIM_GMEM_CONV_REFCHECK_NONE ? "none" : "eagain",
		 (unsigned long long)GP_OFF);
	scn_note(ctx, "task host-dma: pins the page (GUP), writes it in %d steps, checks the invariants, unpins",
		 GP_DMA_STEPS);
	scn_note(ctx, "task vmm-convert: KVM_SET_MEMORY_ATTRIBUTES2 to private, EAGAIN retried");
	scn_task_start(ctx, "host-dma", gp_dma, 0, 0, 0);
	scn_task_start(ctx, "vmm-convert", gp_vmm_convert, 0, 0, 0);
	scn_tasks_join(ctx);
	scn_note(ctx, "host-dma: pin %s, %ld invariant violation(s) while pinned; vmm-convert: %s after %ld EAGAIN",
		 ctx->tasks[GP_TASK_DMA].err ? strerror(ctx->tasks[GP_TASK_DMA].err) :
					       "taken",
		 ctx->tasks[GP_TASK_DMA].ret,
		 ctx->tasks[GP_TASK_CONVERT].err ?
			 strerror(ctx->tasks[GP_TASK_CONVERT].err) : "converted",
		 ctx->tasks[GP_TASK_CONVERT].ret);
	/* Everything dropped: nothing may be left referenced. */
	ctx->res->later_errno = gp_invariants(ctx) ? EUCLEAN : 0;
	return 0;
}

static void gp_judge(struct scenario_ctx *ctx)
{
	struct tdxsim_scenario_result *res = ctx->res;
	const struct scn_task *dma = &ctx->tasks[GP_TASK_DMA];
	const struct scn_task *conv = &ctx->tasks[GP_TASK_CONVERT];

	if (dma->ret) {
		scn_fail(ctx, "KVM_SET_MEMORY_ATTRIBUTES2 made page 0x%llx private while a host thread held a reference to it: its DMA wrote into a page guest_memfd holds private (%ld invariant violation(s) before the unpin)",
			 (unsigned long long)GP_OFF, dma->ret);
		return;
	}
	if (res->verdict != TDXSIM_VERDICT_OK || conv->err ||
	    (dma->err && dma->err != EFAULT) || res->later_errno ||
	    res->lockdep_other || res->vm_bugged) {
		scn_fail(ctx, "verdict %s, the pin %s, the conversion %s, invariants after %s",
			 tdxsim_verdict_name(res->verdict),
			 dma->err ? strerror(dma->err) : "taken",
			 conv->err ? strerror(conv->err) : "done",
			 res->later_errno ? "violated" : "clean");
		return;
	}
	if (conv->ret)
		scn_ok(ctx, "the conversion met the host's reference: %ld EAGAIN (error_offset 0x%llx), then converted once the DMA was done",
		       conv->ret, (unsigned long long)conv->gpa);
	else
		scn_ok(ctx, "converted with no reference outstanding (the pin %s)",
		       dma->err ? "came after: SIGBUS" : "was gone");
}

const struct tdxsim_scenario scn_gmem_inplace_pin = {
	.name = "gmem-inplace-pin",
	.seed_patch = "gmem-inplace",
	.patch_title = "[PATCH v8 00/46] guest_memfd: In-place conversion support (kvm_gmem_is_safe_for_conversion)",
	.summary = "a host thread's transient page reference during a to-private conversion: EAGAIN in v8, a private page still referenced without the check",
	.before = "next+gmem-inplace:gmem_conv_refcheck=none",
	.upstream = "next+gmem-inplace",
	.default_seed = 1,
	.run = gp_run,
	.judge = gp_judge,
	.pct_steps = 200,
};

/* --- gmem-inplace-mixed ------------------------------------------------------- */

#define GM_MAX_RUNS	32

static const char gm_program[] =
	"# To private of a range that is partly private already.\n"
	"accept 0x100000 8K level=4k\n"
	"write 0x100000 4K pattern=7\n"
	"mapgpa shared 0x101000 4K\n"
	"mapgpa private 0x100000 8K\n"
	"accept 0x101000 4K level=4k\n"
	"read 0x100000 4K\n"
	"halt\n";

/* The vCPU: KVM_RUN, MapGPA converted on the guest_memfd, until HLT. */
static int gm_vcpu(struct scn_task *t)
{
	struct scenario_ctx *ctx = t->ctx;
	struct kvm_run *run = ctx->td.run[t->vcpu];
	int i;

	for (i = 0; i < GM_MAX_RUNS; i++) {
		struct kvm_memory_attributes2 a = { 0 };
		int r = tdxsim_ioctl(ctx->td.vcpu_fd[t->vcpu], KVM_RUN, 0);

		if (r < 0) {
			t->err = errno;
			return -errno;
		}
		if (run->exit_reason != KVM_EXIT_HYPERCALL ||
		    run->hypercall.nr != KVM_HC_MAP_GPA_RANGE)
			return 0;
		a.offset = run->hypercall.args[0];
		a.size = run->hypercall.args[1] << PAGE_SHIFT;
		a.attributes = (run->hypercall.args[2] &
				KVM_MAP_GPA_RANGE_ENCRYPTED) ?
			       KVM_MEMORY_ATTRIBUTE_PRIVATE : 0;
		r = tdxsim_ioctl(ctx->td.gmem_fd, KVM_SET_MEMORY_ATTRIBUTES2, &a);
		run->hypercall.ret = r < 0 ? EINVAL : 0;
		t->ret++;
	}
	return 0;
}

static int gm_run(struct scenario_ctx *ctx)
{
	int r;

	r = scn_build_td(ctx, &(struct scn_build){
		.program = gm_program, .vcpus = 1, .init = 1, .finalize = true });
	if (r)
		return r;
	scn_note(ctx, "TD created (gmem_conv_filter=%s), finalized; the guest_memfd starts private",
		 ctx->design.gmem_conv_filter == TDXSIM_GMEM_CONV_FILTER_OLD ?
			 "old" : "range");
	scn_note(ctx, "task vcpu0: accepts and writes 0x100000, MapGPA shared 0x101000, MapGPA private [0x100000, +8K) (KVM_SET_MEMORY_ATTRIBUTES2), accepts 0x101000, reads 0x100000");
	scn_task_start(ctx, "vcpu0", gm_vcpu, 0, 0, 0);
	scn_tasks_join(ctx);
	ctx->res->guest_finished = tdxsim_guest_finished(ctx->td.guest);
	ctx->res->guest_data_failures =
		tdxsim_guest_data_failures(ctx->td.guest);
	scn_note(ctx, "%ld MapGPA exits; the guest %s",
		 ctx->tasks[0].ret,
		 ctx->res->guest_finished ? "halted" : "did not finish");
	return 0;
}

static void gm_judge(struct scenario_ctx *ctx)
{
	struct tdxsim_scenario_result *res = ctx->res;

	if (res->vm_bugged || !res->guest_finished ||
	    res->guest_data_failures) {
		scn_fail(ctx, "the to-private conversion of [0x100000, +8K) zapped the page that was private already: the guest lost what it wrote there and then touched a page it had not accepted (VM %s, %llu data-check failures)",
			 res->vm_bugged ? "dead" : "alive",
			 (unsigned long long)res->guest_data_failures);
		return;
	}
	if (res->verdict != TDXSIM_VERDICT_OK || res->errnos[0] ||
	    res->lockdep_other) {
		scn_fail(ctx, "verdict %s, KVM_RUN %s",
			 tdxsim_verdict_name(res->verdict),
			 res->errnos[0] ? strerror(res->errnos[0]) : "0");
		return;
	}
	scn_ok(ctx, "only the shared page was zapped; the guest read back what it wrote and halted");
}

const struct tdxsim_scenario scn_gmem_inplace_mixed = {
	.name = "gmem-inplace-mixed",
	.seed_patch = "gmem-inplace",
	.patch_title = "guest_memfd in-place conversion, post-v8: a conversion zaps only the old kind of mapping",
	.summary = "v8's invalidation filter: to private of a partly private range removes the private pages, the guest loses their data",
	.before = "next+gmem-inplace",
	.upstream = "next+gmem-inplace:gmem_conv_filter=old",
	.default_seed = 1,
	.run = gm_run,
	.judge = gm_judge,
	.pct_steps = 200,
};
