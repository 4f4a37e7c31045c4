// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The faults that race an in-place conversion (issue 17; guest_memfd
 * in-place conversion v8 and its review: docs/upstream/series-gmem-inplace.md
 * §4.2, §4.3, §5 G2 and G3).
 *
 * gmem-inplace-hostfault (G2): a host thread faults a shared guest_memfd
 * page in through its mapping and keeps the reference (a GUP pin, as a
 * PTE or a DMA holds the page) while the VMM converts the page to private.
 * v8's fault (kvm_gmem_fault_user_mapping()) checks the attribute and
 * takes the folio under the invalidate lock held shared; the conversion
 * holds it exclusive from its unmap to its store. So either the fault
 * comes first and the conversion sees its reference (EAGAIN, the VMM
 * retries once it is dropped), or the conversion comes first and the
 * fault sees a private page (SIGBUS). With guest_memfd's older fault,
 * which takes no invalidate lock (gmem_locking=legacy), the conversion
 * can run whole between the fault's check and its folio reference: the
 * host then holds a page guest_memfd holds private.
 *
 * gmem-inplace-vcpufault (G3): a vCPU's EPT violation on a private page
 * (the guest accepts it) while the VMM converts that page to shared. The
 * fault reads the attribute (private) and gets the pfn without mmu_lock;
 * every kernel then rechecks mmu_invalidate_retry_gfn() under mmu_lock,
 * so a conversion that ran in between makes the fault retry, and the
 * retry exits to the VMM (KVM_EXIT_MEMORY_FAULT: the page is shared now).
 * Without the recheck (fault_invalidate_retry=none) the fault AUGs the
 * page after the conversion zapped and stored shared: the S-EPT maps a
 * page guest_memfd holds shared, which the host may now map and write.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tdxsim/kvm.h"
#include "tdxsim/sched.h"
#include "tdxsim/tdxsim.h"
#include "scenario/scenario_internal.h"
#include "ulib/compiler.h"

#define GR_OFF		0x1000ULL	/* G2: the page converted */
#define GR_HOLD_STEPS	4		/* schedule points the host holds it */
#define GR_MAX_TRIES	64		/* the VMM's EAGAIN retries */

enum { GR_TASK_HOST, GR_TASK_CONVERT };

static int gr_convert(struct scenario_ctx *ctx, u64 off, bool private,
		      u64 *err_off)
{
	struct kvm_memory_attributes2 a = {
		.offset = off,
		.size = PAGE_SIZE,
		.attributes = private ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0,
	};
	int r = tdxsim_ioctl(ctx->td.gmem_fd, KVM_SET_MEMORY_ATTRIBUTES2, &a);

	if (err_off)
		*err_off = a.error_offset;
	return r < 0 ? -errno : 0;
}

/* TDXSIM_CHECK_INVARIANTS: the number of violations (0 on failure). */
static long gr_invariants(struct scenario_ctx *ctx)
{
	struct tdxsim_check check = { 0 };

	if (tdxsim_ioctl(ctx->td.vm_fd, TDXSIM_CHECK_INVARIANTS, &check) < 0)
		return 0;
	return check.errors;
}

/* --- gmem-inplace-hostfault (G2) ---------------------------------------------- */

/*
 * The host thread: fault the page in (GUP through guest_memfd's fault
 * handler) and hold it a few schedule points, checking the invariants
 * while it does. ->err: EFAULT when the fault was SIGBUS; ->ret: the
 * violations seen.
 */
static int hf_host(struct scn_task *t)
{
	struct tdxsim_host_pin *pin;
	int i, r;

	r = tdxsim_host_pin((u8 *)t->ctx->td.map + GR_OFF, PAGE_SIZE, false,
			    &pin);
	if (r) {
		t->err = -r;
		return r;
	}
	for (i = 0; i < GR_HOLD_STEPS; i++)
		tdxsim_cpu_relax();
	t->ret = gr_invariants(t->ctx);
	tdxsim_host_unpin(pin);
	return 0;
}

/* The VMM: to private, EAGAIN retried. ->ret: the EAGAIN answers. */
static int hf_convert(struct scn_task *t)
{
	u64 err_off = 0;
	int tries, r;

	for (tries = 0; tries < GR_MAX_TRIES; tries++) {
		r = gr_convert(t->ctx, GR_OFF, true, &err_off);
		if (r != -EAGAIN)
			break;
		t->ret++;
		tdxsim_cpu_relax();
	}
	t->err = -r;
	return r;
}

static int hf_run(struct scenario_ctx *ctx)
{
	int r;

	r = scn_build_td(ctx, &(struct scn_build){ 0 });
	if (r)
		return r;
	r = gr_convert(ctx, GR_OFF, false, NULL);
	if (r)
		return scn_setup_fail(ctx, -r,
				      "KVM_SET_MEMORY_ATTRIBUTES2 to shared");
	scn_note(ctx, "TD created (gmem_locking=%s); guest_memfd page 0x%llx converted to shared",
		 ctx->design.gmem_locking == TDXSIM_GMEM_LOCKING_INFLIGHT ?
			 "inflight" : "legacy",
		 (unsigned long long)GR_OFF);
	scn_note(ctx, "task host-fault: faults the page in through the mmap and holds it (GUP), checks the invariants, drops it");
	scn_note(ctx, "task vmm-convert: KVM_SET_MEMORY_ATTRIBUTES2 to private, EAGAIN retried");
	scn_task_start(ctx, "host-fault", hf_host, 0, GR_OFF, PAGE_SIZE);
	scn_task_start(ctx, "vmm-convert", hf_convert, 0, GR_OFF, PAGE_SIZE);
	scn_tasks_join(ctx);
	scn_note(ctx, "host-fault: %s, %ld invariant violation(s) while held; vmm-convert: %s after %ld EAGAIN",
		 ctx->tasks[GR_TASK_HOST].err ? "SIGBUS" : "faulted in",
		 ctx->tasks[GR_TASK_HOST].ret,
		 ctx->tasks[GR_TASK_CONVERT].err ?
			 strerror(ctx->tasks[GR_TASK_CONVERT].err) : "converted",
		 ctx->tasks[GR_TASK_CONVERT].ret);
	ctx->res->later_errno = gr_invariants(ctx) ? EUCLEAN : 0;
	return 0;
}

static void hf_judge(struct scenario_ctx *ctx)
{
	struct tdxsim_scenario_result *res = ctx->res;
	const struct scn_task *host = &ctx->tasks[GR_TASK_HOST];
	const struct scn_task *conv = &ctx->tasks[GR_TASK_CONVERT];

	if (host->ret) {
		scn_fail(ctx, "the host's fault found page 0x%llx shared, the conversion to private completed before the fault took the folio, and the host holds a page guest_memfd holds private (%ld invariant violation(s))",
			 (unsigned long long)GR_OFF, host->ret);
		return;
	}
	if (res->verdict != TDXSIM_VERDICT_OK || conv->err ||
	    (host->err && host->err != EFAULT) || res->later_errno ||
	    res->lockdep_other || res->vm_bugged) {
		scn_fail(ctx, "verdict %s, the fault %s, the conversion %s, invariants after %s",
			 tdxsim_verdict_name(res->verdict),
			 host->err ? strerror(host->err) : "done",
			 conv->err ? strerror(conv->err) : "done",
			 res->later_errno ? "violated" : "clean");
		return;
	}
	if (host->err)
		scn_ok(ctx, "the conversion came first: the host's fault met a private page (SIGBUS)");
	else if (conv->ret)
		scn_ok(ctx, "the fault came first: the conversion met its reference (%ld EAGAIN), then converted once it was dropped",
		       conv->ret);
	else
		scn_ok(ctx, "the host was done with the page before the conversion");
}

const struct tdxsim_scenario scn_gmem_inplace_hostfault = {
	.name = "gmem-inplace-hostfault",
	.seed_patch = "gmem-inplace",
	.patch_title = "[PATCH v8 00/46] guest_memfd: In-place conversion support (kvm_gmem_fault_user_mapping under the invalidate lock)",
	.summary = "a host fault through the mmap against a to-private conversion: EAGAIN or SIGBUS in v8, a private page held by the host with a fault that takes no invalidate lock",
	.before = "next+gmem-inplace:gmem_locking=legacy",
	.upstream = "next+gmem-inplace",
	.default_seed = 6,
	.run = hf_run,
	.judge = hf_judge,
	.pct_steps = 200,
};

/* --- gmem-inplace-vcpufault (G3) ---------------------------------------------- */

#define VF_GPA		0x100000ULL
#define VF_MAX_RUNS	16

static const char vf_program[] =
	"# Accept a private page while the VMM converts it to shared.\n"
	"accept 0x100000 4K level=4k\n"
	"halt\n";

/*
 * The vCPU: KVM_RUN until the guest halts or KVM exits to the VMM with a
 * memory fault (the page became shared: a VMM would convert it back).
 * ->ret: 1 for the memory-fault exit.
 */
static int vf_vcpu(struct scn_task *t)
{
	struct scenario_ctx *ctx = t->ctx;
	struct kvm_run *run = ctx->td.run[t->vcpu];
	int i;

	for (i = 0; i < VF_MAX_RUNS; i++) {
		int r = tdxsim_ioctl(ctx->td.vcpu_fd[t->vcpu], KVM_RUN, 0);

		if (r < 0 && errno == EFAULT &&
		    run->exit_reason == KVM_EXIT_MEMORY_FAULT) {
			t->ret = 1;
			return 0;
		}
		if (r < 0) {
			t->err = errno;
			return -errno;
		}
		if (run->exit_reason != KVM_EXIT_HYPERCALL)
			return 0;
		run->hypercall.ret = EINVAL;
	}
	return 0;
}

static int vf_convert(struct scn_task *t)
{
	int r = gr_convert(t->ctx, VF_GPA, false, NULL);

	t->err = -r;
	return r;
}

static int vf_run(struct scenario_ctx *ctx)
{
	u8 b;
	int r;

	r = scn_build_td(ctx, &(struct scn_build){
		.program = vf_program, .vcpus = 1, .init = 1, .finalize = true });
	if (r)
		return r;
	scn_note(ctx, "TD created (fault_invalidate_retry=%s), finalized; the guest_memfd starts private",
		 ctx->design.fault_invalidate_retry ? "none" : "recheck");
	scn_note(ctx, "task vcpu0: accepts 0x%llx (an EPT violation: the fault looks the page up private, then maps it under mmu_lock)",
		 (unsigned long long)VF_GPA);
	scn_note(ctx, "task vmm-convert: KVM_SET_MEMORY_ATTRIBUTES2 of 0x%llx to shared",
		 (unsigned long long)VF_GPA);
	scn_task_start(ctx, "vcpu0", vf_vcpu, 0, VF_GPA, PAGE_SIZE);
	scn_task_start(ctx, "vmm-convert", vf_convert, 0, VF_GPA, PAGE_SIZE);
	scn_tasks_join(ctx);
	ctx->res->later_errno = gr_invariants(ctx) ? EUCLEAN : 0;
	/* The page is shared now: the host may map it (vmm-convert's ->ret). */
	ctx->tasks[1].ret = !tdxsim_gmem_host_access((u8 *)ctx->td.map + VF_GPA,
						     &b, 1, false);
	scn_note(ctx, "vcpu0: %s; vmm-convert: %s; the host %s the page through the mmap",
		 ctx->tasks[0].err ? strerror(ctx->tasks[0].err) :
		 ctx->tasks[0].ret ? "memory-fault exit (the page is shared)" :
				     "the guest halted",
		 ctx->tasks[1].err ? strerror(ctx->tasks[1].err) : "converted",
		 ctx->tasks[1].ret ? "can read" : "cannot read");
	return 0;
}

static void vf_judge(struct scenario_ctx *ctx)
{
	struct tdxsim_scenario_result *res = ctx->res;
	const struct scn_task *vcpu = &ctx->tasks[0];
	const struct scn_task *conv = &ctx->tasks[1];

	if (res->later_errno) {
		scn_fail(ctx, "vCPU 0's fault looked gfn 0x%llx up private, the conversion to shared ran before the fault took mmu_lock, and the fault mapped the page anyway: the S-EPT maps a page guest_memfd holds shared%s",
			 (unsigned long long)(VF_GPA >> 12),
			 conv->ret ? " (and the host can map it)" : "");
		return;
	}
	if (res->verdict != TDXSIM_VERDICT_OK || vcpu->err || conv->err ||
	    res->lockdep_other || res->vm_bugged) {
		scn_fail(ctx, "verdict %s, KVM_RUN %s, the conversion %s",
			 tdxsim_verdict_name(res->verdict),
			 vcpu->err ? strerror(vcpu->err) : "0",
			 conv->err ? strerror(conv->err) : "done");
		return;
	}
	if (vcpu->ret)
		scn_ok(ctx, "the conversion came first (or during the fault, which retried): the fault exited to the VMM, the page is shared and unmapped");
	else
		scn_ok(ctx, "the fault mapped the page first; the conversion zapped it (BLOCK, TRACK, REMOVE)");
}

const struct tdxsim_scenario scn_gmem_inplace_vcpufault = {
	.name = "gmem-inplace-vcpufault",
	.seed_patch = "gmem-inplace",
	.patch_title = "[PATCH v8 00/46] guest_memfd: In-place conversion support (kvm_gmem_is_private revalidated with mmu_invalidate_retry_gfn)",
	.summary = "a vCPU fault against a to-shared conversion: the fault retries and exits in every kernel, the S-EPT maps a shared page without the mmu_invalidate_retry_gfn() recheck",
	.before = "next+gmem-inplace:fault_invalidate_retry=none",
	.upstream = "next+gmem-inplace",
	.default_seed = 11,
	.run = vf_run,
	.judge = vf_judge,
	.pct_steps = 200,
};
