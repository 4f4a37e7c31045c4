// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The guest side of the module: TDH.VP.ENTER (reference tdx-module.md
 * §5.18, §7), the TDCALLs a guest model needs (§8.1 ACCEPT, §8.4 VMCALL,
 * VP.INFO, VEINFO.GET), guest memory accesses through the S-EPT (§8.3) or
 * through the host's shared EPT, TD exits with their exit qualification and
 * extended exit qualification (§8.2), and the zero-step mitigation (§6.5).
 *
 * The guest runs on the thread that called TDH.VP.ENTER, inside it: the
 * vCPU holds its TDVPR and the TDR shared and counts in refcount[epoch & 1]
 * until the exit. A guest operation that exits records the exit and returns
 * TDG_EXITED; the guest's run() then returns and VP.ENTER reports the exit.
 */
#include <errno.h>
#include <string.h>

#include "base/log.h"
#include "base/page_alloc.h"
#include "base/sched.h"
#include "base/stats.h"
#include "seam/seam_internal.h"

/* RCX of a TDVMCALL exit by default: R10-R15, RBX, RSI, RDI passed. */
#define TDVMCALL_DEFAULT_MASK	0xFCC8ULL

/* ---------------------------------------------------------------------- */
/* TD exits                                                                */
/* ---------------------------------------------------------------------- */

static void record_exit(struct tdx_vcpu *v, u64 reason, u64 qual, u64 eeq,
			u64 gpa)
{
	v->exit_pending = true;
	memset(&v->exit, 0, sizeof(v->exit));
	v->exit.rax = reason;
	v->exit.regs.rcx = qual;
	v->exit.regs.rdx = eeq;
	v->exit.regs.r8 = gpa & PAGE_MASK;
}

/* Log a private EPT-violation exit for the zero-step filter. */
static void zero_step_log(struct tdx_vcpu *v, u64 gpa)
{
	int i;

	if (seam_cfg.zero_step_mitigation_off)
		return;
	if (v->progress) {
		v->epf_count = 0;
		v->epf_n = 0;
		return;
	}
	if (v->epf_count < STEPPING_EPF_THRESHOLD) {
		v->epf_count++;
		return;
	}
	gpa &= PAGE_MASK;
	for (i = 0; i < v->epf_n; i++)
		if (v->epf_gpa[i] == gpa)
			return;
	if (v->epf_n < EPF_GPA_LIST_SIZE)
		v->epf_gpa[v->epf_n++] = gpa;
}

static void ept_violation_exit(struct tdx_vcpu *v, u64 gpa, u64 qual,
			       u64 eeq, bool private)
{
	record_exit(v, EXIT_REASON_EPT_VIOLATION, qual, eeq, gpa);
	if (private)
		zero_step_log(v, gpa);
}

static void accept_exit(struct tdx_vcpu *v, u64 gpa, int req_level,
			int err_level, u64 entry)
{
	enum sept_state s = sept_state_of(entry);
	u64 info, eeq, qual;

	info = (u64)req_level |
	       ((u64)err_level << TDX_ACCEPT_INFO_ERR_LEVEL_SHIFT) |
	       ((u64)sept_public_state(s) << TDX_ACCEPT_INFO_ERR_STATE_SHIFT) |
	       (sept_state_is_leaf(s) ? TDX_ACCEPT_INFO_IS_LEAF : 0);
	eeq = TDX_EXT_EXIT_QUAL_TYPE_ACCEPT |
	      (info << TDX_EXT_EXIT_QUAL_INFO_SHIFT);
	qual = EPT_VIOLATION_ACC_WRITE |
	       ((entry & SEPT_RWX) << EPT_VIOLATION_PROT_SHIFT);
	/*
	 * Emulated by TDG.MEM.PAGE.ACCEPT, not a hardware EPT violation: the
	 * zero-step filter does not log it (the filter would otherwise keep
	 * a GPA that only the guest's own ACCEPT can make accessible).
	 */
	ept_violation_exit(v, gpa, qual, eeq, false);
}

/*
 * A TDG.VP.VMCALL exit. @from_guest: the guest issued it, so the registers
 * the host passes to the next TDH.VP.ENTER are its result (not so for the
 * HLT the module reports for a guest that returned from run()).
 */
static void vmcall_exit(struct tdx_vcpu *v, const struct tdx_module_args *in,
			bool from_guest)
{
	record_exit(v, EXIT_REASON_TDCALL, 0, 0, 0);
	v->exit.regs = *in;
	v->exit.regs.rcx = in->rcx ? in->rcx : TDVMCALL_DEFAULT_MASK;
	v->exit.regs.rdx = 0;
	v->exit.regs.r8 = in->r8;
	v->exit.regs.r9 = in->r9;
	v->last_exit_vmcall = from_guest;
	v->vmcall_subfn = in->r11;
}

/* ---------------------------------------------------------------------- */
/* TDH.VP.ENTER                                                            */
/* ---------------------------------------------------------------------- */

/*
 * Would a guest access to private @gpa still fault? (zero-step filter,
 * §6.5: not if it translates, nor if it is a convertible #VE, i.e. a
 * PENDING page of a TD without PENDING_VE_DISABLE.) If so, *@qual and
 * *@eeq get the exit the access would take (§8.3): PENDING_EPT_VIOLATION
 * for a PENDING page, so that KVM sees the unaccepted access; a plain EPT
 * violation with the entry's RWX otherwise.
 */
static bool gpa_would_fault(struct tdx_td *td, u64 gpa, u64 *qual, u64 *eeq)
{
	struct sept_walk w;
	enum sept_state s;

	sept_walk(td, gpa, 0, &w);
	s = sept_state_of(w.entry);
	if (sept_state_is_leaf(s) && sept_state_guest_accessible(s))
		return false;
	if (s == SEPT_PENDING || s == SEPT_PENDING_EXPORTED_DIRTY) {
		if (!td->pending_ve_disable)
			return false;
		*qual = EPT_VIOLATION_ACC_WRITE;
		*eeq = TDX_EXT_EXIT_QUAL_TYPE_PENDING_EPT_VIOLATION;
		return true;
	}
	*qual = EPT_VIOLATION_ACC_WRITE |
		((w.entry & SEPT_RWX) << EPT_VIOLATION_PROT_SHIFT);
	*eeq = TDX_EXT_EXIT_QUAL_TYPE_NONE;
	return true;
}

u64 seam_vp_enter(struct seam_call *c)
{
	struct tdx_module_args *a = c->args;
	struct tdx_module_args host_in = *a;
	u64 tdvpr = a->rcx & ~(BIT_ULL(52) | BIT_ULL(53)), err, epoch;
	const struct tdx_guest_ops *ops;
	struct tdx_vcpu *v;
	struct tdx_td *td;
	u64 qual, eeq;
	u32 zero = 0;
	int i;

	err = vcpu_lock(c, tdvpr, TDX_OPERAND_ID_RCX, false, false, &v);
	if (err)
		return err;
	td = v->td;
	err = td_check_state_lock_op(td, c->leaf);
	if (err)
		goto unlock;
	if (READ_ONCE(v->state) != VCPU_READY &&
	    READ_ONCE(v->state) != VCPU_ACTIVE) {
		err = TDX_VCPU_STATE_INCORRECT;
		goto unlock_opst;
	}
	if (!__atomic_compare_exchange_n(&v->in_guest, &zero, 1, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
		err = tdx_err(TDX_OPERAND_BUSY, TDX_OPERAND_ID_RCX);
		goto unlock_opst;
	}
	if (!sharex_try_shared(&td->epoch_lock)) {
		err = tdx_err(TDX_OPERAND_BUSY, TDX_OPERAND_ID_TD_EPOCH);
		goto leave;
	}
	epoch = __atomic_load_n(&td->td_epoch, __ATOMIC_ACQUIRE);
	__atomic_fetch_add(&td->refcount[epoch & 1], 1, __ATOMIC_ACQ_REL);
	sched_point_named("tdh_vp_enter_epoch");
	sharex_release_shared(&td->epoch_lock);
	v->vcpu_epoch = epoch;

	/* Zero-step filter armed: re-check the logged GPAs under tree X. */
	if (v->epf_n) {
		__atomic_fetch_add(&v->stats.zero_step_armed, 1,
				   __ATOMIC_RELAXED);
		if (!sharex_try_excl(&td->sept_lock)) {
			err = tdx_err(TDX_OPERAND_BUSY, TDX_OPERAND_ID_SEPT);
			goto unref;
		}
		sched_point_named("tdh_vp_enter_zero_step");
		for (i = 0; i < v->epf_n; i++) {
			if (gpa_would_fault(td, v->epf_gpa[i], &qual, &eeq)) {
				sharex_release_excl(&td->sept_lock);
				td_unlock_op_state(td);
				v->progress = false;
				ept_violation_exit(v, v->epf_gpa[i], qual, eeq,
						   true);
				goto exit;
			}
		}
		sharex_release_excl(&td->sept_lock);
	}
	td_unlock_op_state(td);
	sched_point_named("tdh_vp_enter");

	WRITE_ONCE(v->associated, true);
	WRITE_ONCE(v->state, VCPU_ACTIVE);
	/*
	 * The entry after a TDVMCALL exit completes that TDCALL: its result
	 * stays with the vCPU until the guest consumes it, even if this entry
	 * exits again before the guest runs.
	 */
	if (v->last_exit_vmcall) {
		v->vmcall_result = host_in;
		v->vmcall_result_valid = true;
		v->last_exit_vmcall = false;
	}
	v->exit_pending = false;
	v->progress = false;

	if (__atomic_exchange_n(&v->ipi_pending, 0, __ATOMIC_ACQ_REL)) {
		record_exit(v, EXIT_REASON_EXTERNAL_INTERRUPT, 0, 0, 0);
	} else {
		ops = __atomic_load_n(&v->ops, __ATOMIC_ACQUIRE);
		if (ops && ops->run) {
			ops->run(__atomic_load_n(&v->guest, __ATOMIC_ACQUIRE),
				 &v->ctx);
			/* first_entry() is true until run() returns. */
			v->entries++;
		}
	}
	if (!v->exit_pending) {
		/* Guest done: TDG.VP.VMCALL<Instruction.HLT>, IRQs off. */
		struct tdx_module_args hlt = {
			.r10 = 0, .r11 = TDVMCALL_HLT, .r12 = 1,
		};

		vmcall_exit(v, &hlt, false);
	}
exit:
	/* TD exit. */
	__atomic_fetch_sub(&td->refcount[v->vcpu_epoch & 1], 1,
			   __ATOMIC_ACQ_REL);
	__atomic_store_n(&v->in_guest, 0, __ATOMIC_RELEASE);
	/* An asynchronous exit with a status is no VMX exit reason. */
	stats_account_exit(v, v->exit.rax & TDX_STATUS_ERROR_BIT ? ~0ULL :
			   v->exit.rax & 0xffff);
	*a = v->exit.regs;
	v->exit_pending = false;
	err = v->exit.rax;
	goto unlock;

unref:
	__atomic_fetch_sub(&td->refcount[epoch & 1], 1, __ATOMIC_ACQ_REL);
leave:
	__atomic_store_n(&v->in_guest, 0, __ATOMIC_RELEASE);
unlock_opst:
	td_unlock_op_state(td);
unlock:
	vcpu_unlock(v, false, false);
	return err;
}

/* ---------------------------------------------------------------------- */
/* Guest calls                                                             */
/* ---------------------------------------------------------------------- */

/*
 * Every guest operation starts here: a schedule point, then a pending
 * interrupt makes the vCPU exit instead of executing the operation.
 * Returns false if the operation must not run (the vCPU exits).
 */
static bool guest_begin(struct tdx_vcpu *v, const char *site)
{
	sched_point_named(site);
	if (WARN_ON_ONCE(!__atomic_load_n(&v->in_guest, __ATOMIC_ACQUIRE)))
		return false;
	/* The guest ignored a TDG_EXITED: keep the first exit. */
	if (v->exit_pending)
		return false;
	if (__atomic_exchange_n(&v->ipi_pending, 0, __ATOMIC_ACQ_REL)) {
		record_exit(v, EXIT_REASON_EXTERNAL_INTERRUPT, 0, 0, 0);
		return false;
	}
	return true;
}

/*
 * Host priority, guest side (§6.4). A guest TDCALL whose lock a host
 * SEAMCALL asked priority for (HP) is answered plain BUSY; the module
 * notes when that began, and once it has lasted hp_lock_timeout (1 s) it
 * completes the TDCALL with that BUSY and makes an asynchronous TD exit,
 * TDX_HOST_PRIORITY_BUSY_TIMEOUT (the vCPU stays READY). Any other answer
 * starts the count again. tdxsim counts the answers instead of reading the
 * TSC (hp_lock_timeout_answers in a row stand for the second, so that a
 * deterministic run is the same every time); in free mode the second must
 * have passed on the wall clock too, so that real threads that are merely
 * slow to retry the host call do not time out.
 *
 * The exit is returned as TDG_EXITED: the guest re-executes the TDCALL
 * after the next entry, which for tdxsim's guests (they retry BUSY) is what
 * seeing the BUSY and retrying would do.
 */
static u64 hp_busy_answer(struct tdx_vcpu *v, unsigned int hp_busy)
{
	u64 now = sched_deterministic() ? 0 : ktime_get_ns();

	if (!hp_busy)
		v->hp_busy_start_ns = now;
	if (++hp_busy < seam_cfg.hp_lock_timeout_answers ||
	    now - v->hp_busy_start_ns < (sched_deterministic() ? 0 :
					 HP_LOCK_TIMEOUT_NS)) {
		v->hp_busy = hp_busy;
		return tdx_err(TDX_OPERAND_BUSY, TDX_OPERAND_ID_RCX);
	}
	__atomic_fetch_add(&v->stats.hp_timeouts, 1, __ATOMIC_RELAXED);
	record_exit(v, TDX_HOST_PRIORITY_BUSY_TIMEOUT, 0, 0, 0);
	return TDG_EXITED;
}

u64 tdg_mem_page_accept(struct tdx_vcpu_ctx *ctx, u64 gpa_level)
{
	struct tdx_vcpu *v = ctx_vcpu(ctx);
	struct tdx_td *td = v->td;
	u64 gpa, e, hpa, err, chunks, i, start;
	unsigned int hp_busy;
	struct sept_walk w;
	enum sept_state s;
	enum lock_ret r;
	int level;

	if (!guest_begin(v, "tdg_mem_page_accept"))
		return TDG_EXITED;
	hp_busy = v->hp_busy;
	v->hp_busy = 0;
	err = td_check_gpa_level(td, gpa_level, 0, 1, &gpa, &level);
	if (err) {
		stats_account_tdcall(v, TDG_MEM_PAGE_ACCEPT, 0);
		v->progress = true;
		return err;
	}
	sept_walk(td, gpa, level, &w);
	if (w.level > level) {
		s = sept_state_of(w.entry);
		stats_account_tdcall(v, TDG_MEM_PAGE_ACCEPT, 0);
		if (sept_state_is_leaf(s) && sept_state_guest_accessible(s)) {
			v->progress = true;
			return TDX_PAGE_ALREADY_ACCEPTED + w.level;
		}
		accept_exit(v, gpa, level, w.level, w.entry);
		return TDG_EXITED;
	}
	r = sept_entry_lock_guest(w.ep);
	if (r) {
		/* HOST_PRIORITY is reported to the guest as plain BUSY. */
		stats_account_tdcall(v, TDG_MEM_PAGE_ACCEPT, 0);
		v->progress = true;
		if (r == LOCK_BUSY_HP)
			return hp_busy_answer(v, hp_busy);
		return tdx_err(TDX_OPERAND_BUSY, TDX_OPERAND_ID_RCX);
	}
	sched_point_named("tdg_mem_page_accept_locked");
	e = sept_entry_read(w.ep);
	s = sept_state_of(e);
	if (!sept_state_is_leaf(s) && s != SEPT_FREE) {
		err = TDX_PAGE_SIZE_MISMATCH + level;
		goto done;
	}
	if (sept_state_guest_accessible(s)) {
		err = TDX_PAGE_ALREADY_ACCEPTED + level;
		goto done;
	}
	if (s != SEPT_PENDING && s != SEPT_PENDING_EXPORTED_DIRTY) {
		sept_entry_unlock(w.ep);
		stats_account_tdcall(v, TDG_MEM_PAGE_ACCEPT, 0);
		accept_exit(v, gpa, level, level, e);
		return TDG_EXITED;
	}

	hpa = sept_hpa(e) & ~(sept_level_size(level) - 1);
	chunks = 1ULL << (9 * level);
	start = level ? (e & SEPT_ACCEPT_CNT_MASK) >> SEPT_ACCEPT_CNT_SHIFT : 0;
	for (i = start; i < chunks; i++) {
		mktme_zero_lazy(hpa + i * PAGE_SIZE);
		if (i + 1 == chunks)
			break;
		sched_point_named("tdg_mem_page_accept_chunk");
		if (__atomic_exchange_n(&v->ipi_pending, 0,
					__ATOMIC_ACQ_REL)) {
			/* Resumable: keep the chunks done, RIP unchanged. */
			sept_entry_set(w.ep, (e & ~SEPT_ACCEPT_CNT_MASK) |
				       ((i + 1) << SEPT_ACCEPT_CNT_SHIFT));
			sept_entry_unlock(w.ep);
			stats_account_tdcall(v, TDG_MEM_PAGE_ACCEPT,
					     (i - start) * COST_ZERO_4K_NS);
			record_exit(v, EXIT_REASON_EXTERNAL_INTERRUPT, 0, 0, 0);
			return TDG_EXITED;
		}
	}
	sept_entry_set(w.ep, sept_make(s == SEPT_PENDING ? SEPT_MAPPED :
				       SEPT_EXPORTED_DIRTY, hpa));
	stats_account_tdcall(v, TDG_MEM_PAGE_ACCEPT,
			     (chunks - 1 - start) * COST_ZERO_4K_NS);
	sept_entry_unlock(w.ep);
	v->progress = true;
	return TDX_SUCCESS;
done:
	sept_entry_unlock(w.ep);
	stats_account_tdcall(v, TDG_MEM_PAGE_ACCEPT, 0);
	v->progress = true;
	return err;
}

u64 tdg_vp_vmcall(struct tdx_vcpu_ctx *ctx, struct tdx_module_args *args)
{
	struct tdx_vcpu *v = ctx_vcpu(ctx);
	struct tdx_module_args *res = &v->vmcall_result;

	if (!guest_begin(v, "tdg_vp_vmcall"))
		return TDG_EXITED;
	v->hp_busy = 0;
	if (v->vmcall_result_valid && v->vmcall_subfn == args->r11) {
		/* Re-execution after the host completed the call. */
		args->r10 = res->r10;
		args->r11 = res->r11;
		args->r12 = res->r12;
		args->r13 = res->r13;
		args->r14 = res->r14;
		args->r15 = res->r15;
		args->rbx = res->rbx;
		args->rdi = res->rdi;
		args->rsi = res->rsi;
		v->vmcall_result_valid = false;
		v->progress = true;
		return TDX_SUCCESS;
	}
	v->vmcall_result_valid = false;
	stats_account_tdcall(v, TDG_VP_VMCALL, 0);
	vmcall_exit(v, args, true);
	return TDG_EXITED;
}

int tdg_vmcall_result(struct tdx_vcpu_ctx *ctx, struct tdx_module_args *out)
{
	struct tdx_vcpu *v = ctx_vcpu(ctx);

	if (!v->vmcall_result_valid)
		return -ENOENT;
	*out = v->vmcall_result;
	v->vmcall_result_valid = false;
	return 0;
}

u64 tdg_vp_info(struct tdx_vcpu_ctx *ctx, struct tdx_module_args *out)
{
	struct tdx_vcpu *v = ctx_vcpu(ctx);
	struct tdx_td *td = v->td;

	if (!guest_begin(v, "tdg_vp_info"))
		return TDG_EXITED;
	v->hp_busy = 0;
	stats_account_tdcall(v, TDG_VP_INFO, 0);
	memset(out, 0, sizeof(*out));
	out->rcx = td->gpaw;
	out->rdx = td->attributes;
	out->r8 = __atomic_load_n(&td->num_vcpus, __ATOMIC_ACQUIRE) |
		  ((u64)td->max_vcpus << 32);
	out->r9 = v->vcpu_index;
	v->progress = true;
	return TDX_SUCCESS;
}

u64 tdg_vp_veinfo_get(struct tdx_vcpu_ctx *ctx, struct tdx_module_args *out)
{
	struct tdx_vcpu *v = ctx_vcpu(ctx);

	if (!guest_begin(v, "tdg_vp_veinfo_get"))
		return TDG_EXITED;
	v->hp_busy = 0;
	stats_account_tdcall(v, TDG_VP_VEINFO_GET, 0);
	v->progress = true;
	if (!v->ve_valid)
		return TDX_OPERAND_INVALID;
	memset(out, 0, sizeof(*out));
	out->rcx = v->ve_exit_reason;
	out->rdx = v->ve_exit_qual;
	out->r9 = v->ve_gpa;
	v->ve_valid = false;
	return TDX_SUCCESS;
}

/* ---------------------------------------------------------------------- */
/* Guest memory accesses                                                   */
/* ---------------------------------------------------------------------- */

static u64 access_qual(bool write)
{
	return write ? EPT_VIOLATION_ACC_WRITE : EPT_VIOLATION_ACC_READ;
}

static int private_access(struct tdx_vcpu *v, u64 gpa, void *buf, size_t n,
			  bool write)
{
	struct tdx_td *td = v->td;
	struct sept_walk w;
	enum sept_state s;
	u64 hpa;

	sept_walk(td, gpa, 0, &w);
	s = sept_state_of(w.entry);
	if (sept_state_is_leaf(s) && sept_state_guest_accessible(s)) {
		hpa = (sept_hpa(w.entry) & ~(sept_level_size(w.level) - 1)) +
		      (gpa & (sept_level_size(w.level) - 1));
		if (write)
			mktme_private_write(td->key, hpa, buf, n);
		else
			mktme_private_read(td->key, hpa, buf, n);
		return 0;
	}
	if (s == SEPT_PENDING || s == SEPT_PENDING_EXPORTED_DIRTY) {
		if (td->pending_ve_disable) {
			ept_violation_exit(v, gpa, access_qual(write),
				TDX_EXT_EXIT_QUAL_TYPE_PENDING_EPT_VIOLATION,
				true);
			return TDG_MEM_EXITED;
		}
		v->ve_valid = true;
		v->ve_exit_reason = EXIT_REASON_EPT_VIOLATION;
		v->ve_exit_qual = access_qual(write);
		v->ve_gpa = gpa;
		return TDG_MEM_VE;
	}
	ept_violation_exit(v, gpa, access_qual(write) |
			   ((w.entry & SEPT_RWX) << EPT_VIOLATION_PROT_SHIFT),
			   TDX_EXT_EXIT_QUAL_TYPE_NONE, true);
	return TDG_MEM_EXITED;
}

#define EPT_PFN_MASK	GENMASK_ULL(51, 12)

static tdx_foreign_copy_fn foreign_copy;

void tdx_module_set_foreign_copy(tdx_foreign_copy_fn copy)
{
	__atomic_store_n(&foreign_copy, copy, __ATOMIC_RELEASE);
}

/* Walk the host's shared EPT (KVM's direct root) with EPT semantics. */
static int shared_access(struct tdx_vcpu *v, u64 gpa, void *buf, size_t n,
			 bool write)
{
	u64 table = __atomic_load_n(&v->shared_eptp, __ATOMIC_ACQUIRE) &
		    EPT_PFN_MASK;
	int level = v->td->pwl;
	u64 e = 0, size, hpa;
	tdx_foreign_copy_fn fc;
	u8 *p;
	int r;

	while (table && pfn_valid(table >> PAGE_SHIFT)) {
		u64 *ep = (u64 *)pfn_to_virt(table >> PAGE_SHIFT) +
			  sept_index(gpa, level);

		e = __atomic_load_n(ep, __ATOMIC_ACQUIRE);
		if (!(e & 7))
			break;
		if (level == 0 || (e & BIT_ULL(7))) {
			if (!(e & (write ? 2 : 1)))
				break;
			size = sept_level_size(level);
			hpa = ((e & EPT_PFN_MASK) & ~(size - 1)) +
			      (gpa & (size - 1));
			if (!pfn_valid(hpa >> PAGE_SHIFT))
				break;
			fc = __atomic_load_n(&foreign_copy, __ATOMIC_ACQUIRE);
			r = fc ? fc(hpa >> PAGE_SHIFT, hpa & (PAGE_SIZE - 1),
				    buf, n, write) : -ENOENT;
			if (r == 0)
				return 0;
			if (r != -ENOENT)
				return r;
			p = (u8 *)pfn_to_virt(hpa >> PAGE_SHIFT) +
			    (hpa & (PAGE_SIZE - 1));
			if (write) {
				page_mark_written(pfn_to_page(hpa >>
							      PAGE_SHIFT));
				memcpy(p, buf, n);
			} else
				memcpy(buf, p, n);
			return 0;
		}
		table = e & EPT_PFN_MASK;
		level--;
	}
	ept_violation_exit(v, gpa, access_qual(write) |
			   ((e & 7) << EPT_VIOLATION_PROT_SHIFT),
			   TDX_EXT_EXIT_QUAL_TYPE_NONE, false);
	return TDG_MEM_EXITED;
}

static int guest_mem_access(struct tdx_vcpu_ctx *ctx, u64 gpa, void *buf,
			    size_t len, bool write)
{
	struct tdx_vcpu *v = ctx_vcpu(ctx);
	struct tdx_td *td = v->td;
	u64 limit = td->gpaw == 52 ? BIT_ULL(52) : BIT_ULL(48);
	int ret;

	if (!guest_begin(v, write ? "tdg_mem_write" : "tdg_mem_read"))
		return TDG_MEM_EXITED;
	if (gpa >= limit || len > limit - gpa)
		return -EINVAL;
	while (len) {
		size_t n = min_t(size_t, len,
				 PAGE_SIZE - (gpa & (PAGE_SIZE - 1)));

		if (gpa & td->shared_mask)
			ret = shared_access(v, gpa, buf, n, write);
		else
			ret = private_access(v, gpa, buf, n, write);
		if (ret)
			return ret;
		gpa += n;
		buf = (u8 *)buf + n;
		len -= n;
	}
	v->progress = true;
	return 0;
}

int tdg_mem_read(struct tdx_vcpu_ctx *ctx, u64 gpa, void *buf, size_t len)
{
	return guest_mem_access(ctx, gpa, buf, len, false);
}

int tdg_mem_write(struct tdx_vcpu_ctx *ctx, u64 gpa, const void *buf,
		  size_t len)
{
	return guest_mem_access(ctx, gpa, (void *)buf, len, true);
}

/*
 * TDG.MR.REPORT: the TD's TDREPORT_STRUCT (mr.c) with the 64 bytes of
 * REPORTDATA at private GPA RDX (64-aligned), written to private GPA RCX
 * (1024-aligned); R8 is the report subtype (0). A bad operand is
 * TDX_OPERAND_INVALID with its id; a page the guest cannot access exits
 * as its own access would (an EPT violation, re-executed).
 */
u64 tdg_mr_report(struct tdx_vcpu_ctx *ctx, u64 report_gpa, u64 data_gpa,
		  u64 subtype)
{
	struct tdx_vcpu *v = ctx_vcpu(ctx);
	struct tdx_td *td = v->td;
	u64 limit = BIT_ULL(td->gpaw);
	u8 data[TDX_REPORTDATA_SIZE], report[TDX_REPORT_SIZE];
	int r;

	if (!guest_begin(v, "tdg_mr_report"))
		return TDG_EXITED;
	v->hp_busy = 0;
	stats_account_tdcall(v, TDG_MR_REPORT, 0);
	if (!IS_ALIGNED(report_gpa, TDX_REPORT_SIZE) || report_gpa >= limit ||
	    (report_gpa & td->shared_mask))
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	if (!IS_ALIGNED(data_gpa, TDX_REPORTDATA_SIZE) || data_gpa >= limit ||
	    (data_gpa & td->shared_mask))
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RDX);
	if (subtype)
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_R8);
	r = private_access(v, data_gpa, data, sizeof(data), false);
	if (r == TDG_MEM_EXITED)
		return TDG_EXITED;
	if (r)	/* a #VE: not modelled for a TDCALL's operand */
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RDX);
	mr_tdreport(td, data, report);
	r = private_access(v, report_gpa, report, sizeof(report), true);
	if (r == TDG_MEM_EXITED)
		return TDG_EXITED;
	if (r)
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	v->progress = true;
	return TDX_SUCCESS;
}

unsigned int tdx_guest_vcpu_index(const struct tdx_vcpu_ctx *ctx)
{
	return ctx_vcpu(ctx)->vcpu_index;
}

bool tdx_guest_first_entry(const struct tdx_vcpu_ctx *ctx)
{
	return ctx_vcpu(ctx)->entries == 0;
}

u64 tdx_guest_initial_rcx(const struct tdx_vcpu_ctx *ctx)
{
	return ctx_vcpu(ctx)->initial_rcx;
}

u64 tdx_guest_shared_mask(const struct tdx_vcpu_ctx *ctx)
{
	return ctx_vcpu(ctx)->td->shared_mask;
}

void *tdx_guest_private(const struct tdx_vcpu_ctx *ctx)
{
	return __atomic_load_n(&ctx_vcpu(ctx)->guest, __ATOMIC_ACQUIRE);
}
