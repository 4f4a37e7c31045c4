// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tdxsim's addition: the fuzzer's oracles. A run is judged from data only:
 * the scheduler's verdict and the waits it names, every lock-validator
 * report (kind and classes), the VM's KVM_BUG_ON record
 * (TDXSIM_GET_VM_FAILURE), the WARN count, the invariant checker, the
 * guest's data checks (when no VMM operation of the program disturbs what
 * the guest reads), the host-readable copies of the guest's private bytes,
 * the pages the module owns after teardown, PAMT violations, and every
 * uAPI answer against what KVM may answer for that operation in that
 * program (the allow-list below, each entry argued from upstream's code).
 * Each failure gets a signature ("kvm-bug-on TDH.MEM.RANGE.BLOCK
 * TDX_OPERAND_BUSY") that says when two failures are the same bug.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tdxsim/report.h"
#include "tdxsim/tdx.h"
#include "scenario/fuzz_exec.h"

static const char *const kind_names[TDXSIM_FUZZ_NR_KINDS] = {
	[TDXSIM_FUZZ_DEADLOCK] = "deadlock",
	[TDXSIM_FUZZ_HANG] = "hang",
	[TDXSIM_FUZZ_LIVELOCK] = "livelock",
	[TDXSIM_FUZZ_LOCKDEP] = "lockdep",
	[TDXSIM_FUZZ_KVM_BUG_ON] = "kvm-bug-on",
	[TDXSIM_FUZZ_WARN] = "warn",
	[TDXSIM_FUZZ_PAMT] = "pamt",
	[TDXSIM_FUZZ_PAGES_OWNED] = "pages-owned",
	[TDXSIM_FUZZ_INVARIANT] = "invariant",
	[TDXSIM_FUZZ_LEAK] = "leak",
	[TDXSIM_FUZZ_DATA] = "data",
	[TDXSIM_FUZZ_ERRNO] = "errno",
	[TDXSIM_FUZZ_CRASH] = "crash",
};

const char *tdxsim_fuzz_kind_name(enum tdxsim_fuzz_kind kind)
{
	return (unsigned int)kind < TDXSIM_FUZZ_NR_KINDS ? kind_names[kind] : "?";
}

void tdxsim_fuzz_outcome_free(struct tdxsim_fuzz_outcome *o)
{
	free(o->report);
	o->report = NULL;
}

static const char *errno_name(int e)
{
	switch (e) {
	case 0: return "0";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EINTR: return "EINTR";
	case EIO: return "EIO";
	case E2BIG: return "E2BIG";
	case EBADF: return "EBADF";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case ENODEV: return "ENODEV";
	case EINVAL: return "EINVAL";
	case ENOSPC: return "ENOSPC";
	case ENOTTY: return "ENOTTY";
	case ENOSYS: return "ENOSYS";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ENOEXEC: return "ENOEXEC";
	case EDEADLK: return "EDEADLK";
	case EHWPOISON: return "EHWPOISON";
	default: return "E?";
	}
}

/* --- what the program does, statically ----------------------------------- */

static bool prog_has(const struct tdxsim_fuzz_program *p, enum fz_op_kind k,
		     bool setup_too)
{
	unsigned int i, j;

	if (setup_too)
		for (i = 0; i < p->nr_setup; i++)
			if (p->setup[i].kind == k)
				return true;
	for (i = 0; i < p->nr_tasks; i++)
		for (j = 0; j < p->tasks[i].nr_ops; j++)
			if (p->tasks[i].ops[j].kind == k)
				return true;
	return false;
}

/* Does some operation of the program close (or tear down) @target/@index? */
static bool prog_closes(const struct tdxsim_fuzz_program *p, enum fz_target t,
			unsigned int index)
{
	const struct fz_op *op;
	unsigned int i, j, k;

	for (i = 0; i < p->nr_setup + p->nr_tasks * FZ_MAX_OPS; i++) {
		if (i < p->nr_setup) {
			op = &p->setup[i];
		} else {
			unsigned int ti = (i - p->nr_setup) / FZ_MAX_OPS;

			j = (i - p->nr_setup) % FZ_MAX_OPS;
			if (j >= p->tasks[ti].nr_ops)
				continue;
			op = &p->tasks[ti].ops[j];
		}
		if (op->kind != FZ_CLOSE && op->kind != FZ_TEARDOWN)
			continue;
		for (k = 0; k < op->nr_order; k++)
			if (op->order[k].target == t &&
			    (t == FZ_T_VM || t == FZ_T_KVM ||
			     op->order[k].index == index))
				return true;
	}
	return false;
}

/* Is @v initialized by the set-up (before any task runs)? */
static bool setup_inits_vcpu(const struct tdxsim_fuzz_program *p, unsigned int v)
{
	unsigned int i;

	for (i = 0; i < p->nr_setup; i++)
		if (p->setup[i].kind == FZ_INIT_VCPU && p->setup[i].obj == v)
			return true;
	return false;
}

static bool setup_has(const struct tdxsim_fuzz_program *p, enum fz_op_kind k)
{
	unsigned int i;

	for (i = 0; i < p->nr_setup; i++)
		if (p->setup[i].kind == k)
			return true;
	return false;
}

static unsigned int count_ops(const struct tdxsim_fuzz_program *p,
			      enum fz_op_kind k)
{
	unsigned int i, j, n = 0;

	for (i = 0; i < p->nr_setup; i++)
		n += p->setup[i].kind == k;
	for (i = 0; i < p->nr_tasks; i++)
		for (j = 0; j < p->tasks[i].nr_ops; j++)
			n += p->tasks[i].ops[j].kind == k;
	return n;
}

/* KVM_TDX_INIT_MEM_REGIONs (set-up and tasks) touching [@lo, @hi). */
static unsigned int count_init_mem(const struct tdxsim_fuzz_program *p,
				   u64 lo, u64 hi)
{
	const struct fz_op *op;
	unsigned int i, j, n = 0;

	for (i = 0; i < p->nr_setup; i++) {
		op = &p->setup[i];
		n += op->kind == FZ_INIT_MEM && op->a < hi &&
		     lo < op->a + op->b * PAGE_SIZE;
	}
	for (i = 0; i < p->nr_tasks; i++)
		for (j = 0; j < p->tasks[i].nr_ops; j++) {
			op = &p->tasks[i].ops[j];
			n += op->kind == FZ_INIT_MEM && op->a < hi &&
			     lo < op->a + op->b * PAGE_SIZE;
		}
	return n;
}

static unsigned int count_slot_ops(const struct tdxsim_fuzz_program *p,
				   enum fz_op_kind k, unsigned int obj)
{
	unsigned int i, j, n = 0;

	for (i = 0; i < p->nr_setup; i++)
		n += p->setup[i].kind == k && p->setup[i].obj == obj;
	for (i = 0; i < p->nr_tasks; i++)
		for (j = 0; j < p->tasks[i].nr_ops; j++)
			n += p->tasks[i].ops[j].kind == k &&
			     p->tasks[i].ops[j].obj == obj;
	return n;
}

#define count_vcpu_ops count_slot_ops

static bool overlaps(u64 a0, u64 a1, u64 b0, u64 b1)
{
	return a0 < b1 && b0 < a1;
}

/*
 * May some page of [lo, hi) be shared when a task touches it: not made
 * private by the set-up, or converted by a task (a VMM's attr, a guest's
 * MapGPA)?
 */
static bool may_be_shared(const struct tdxsim_fuzz_program *p, u64 lo, u64 hi)
{
	unsigned int i, j;
	u64 covered = lo;
	bool progress = true;

	/* The set-up's private ranges, applied in order, may cover it. */
	while (progress && covered < hi) {
		progress = false;
		for (i = 0; i < p->nr_setup; i++) {
			const struct fz_op *op = &p->setup[i];

			if (op->kind == FZ_ATTR && op->flag && op->a <= covered &&
			    op->a + op->b > covered) {
				covered = op->a + op->b;
				progress = true;
			}
		}
	}
	if (covered < hi)
		return true;
	for (i = 0; i < p->nr_setup; i++)
		if (p->setup[i].kind == FZ_ATTR && !p->setup[i].flag &&
		    overlaps(lo, hi, p->setup[i].a, p->setup[i].a + p->setup[i].b))
			return true;
	for (i = 0; i < p->nr_tasks; i++)
		for (j = 0; j < p->tasks[i].nr_ops; j++) {
			const struct fz_op *op = &p->tasks[i].ops[j];

			if ((op->kind == FZ_ATTR || op->kind == FZ_G_MAPGPA ||
			     op->kind == FZ_G_WRITE || op->kind == FZ_G_READ ||
			     op->kind == FZ_G_ACCEPT) &&
			    overlaps(lo, hi, op->a, op->a + op->b))
				return true;
		}
	return false;
}

/* May a page of [lo, hi) have no memslot (none declared, or one deleted)? */
static bool may_lack_slot(const struct tdxsim_fuzz_program *p, u64 lo, u64 hi)
{
	unsigned int i;
	u64 g = lo;

	if (prog_has(p, FZ_SLOT_DELETE, true))
		return true;
	while (g < hi) {
		bool in = false;

		for (i = 0; i < FZ_MAX_SLOTS; i++) {
			const struct fz_slot *s = &p->slot[i];

			if (s->present && g >= s->gpa && g < s->gpa + s->size) {
				g = s->gpa + s->size;
				in = true;
				break;
			}
		}
		if (!in)
			return true;
	}
	return false;
}

/*
 * The guest's data checks judge KVM only when nothing else of the program
 * may change what the guest reads: no VMM operation of a task (punch,
 * conversion, memslot delete, host store, teardown) and no initial image
 * (KVM_TDX_INIT_MEM_REGION's pages are accepted with content) over a range
 * the guest reads or writes, and no two vCPUs over the same pages.
 */
static bool data_checkable(const struct tdxsim_fuzz_program *p)
{
	unsigned int i, j, k, l;

	for (i = 0; i < p->nr_tasks; i++) {
		const struct fz_task *t = &p->tasks[i];

		if (t->kind != FZ_TASK_VCPU)
			continue;
		for (j = 0; j < t->nr_ops; j++) {
			const struct fz_op *g = &t->ops[j];
			u64 lo, hi, lo2, hi2;

			/*
			 * An accept is checked too: accepting again (zeroing)
			 * a page it accepted before is a lost page.
			 */
			if (g->kind != FZ_G_READ && g->kind != FZ_G_WRITE &&
			    g->kind != FZ_G_MAPGPA && g->kind != FZ_G_ACCEPT)
				continue;
			fz_op_gpa_range(p, g, &lo, &hi);
			for (k = 0; k < p->nr_setup; k++) {
				if (p->setup[k].kind != FZ_INIT_MEM)
					continue;
				fz_op_gpa_range(p, &p->setup[k], &lo2, &hi2);
				if (overlaps(lo, hi, lo2, hi2))
					return false;
			}
			for (k = 0; k < p->nr_tasks; k++) {
				const struct fz_task *o = &p->tasks[k];

				for (l = 0; l < o->nr_ops; l++) {
					const struct fz_op *op = &o->ops[l];

					if (op->kind == FZ_TEARDOWN ||
					    op->kind == FZ_CLOSE)
						continue;
					if (o->kind == FZ_TASK_VCPU && k == i)
						continue;
					/*
					 * Another vCPU's accept converts back
					 * (through the VMM) what this one made
					 * shared; elsewhere it is harmless.
					 */
					if (op->kind == FZ_G_ACCEPT &&
					    g->kind != FZ_G_MAPGPA)
						continue;
					if (g->kind == FZ_G_ACCEPT &&
					    o->kind == FZ_TASK_VCPU &&
					    op->kind != FZ_G_MAPGPA)
						continue;
					if (op->kind == FZ_G_TOUCH)
						continue;
					if (op->kind == FZ_PREFAULT ||
					    op->kind == FZ_ALLOC ||
					    op->kind == FZ_HOST_READ)
						continue;
					fz_op_gpa_range(p, op, &lo2, &hi2);
					if (overlaps(lo, hi, lo2, hi2))
						return false;
				}
			}
		}
	}
	return true;
}

/*
 * A VM killed without a KVM_BUG_ON ("Guest access before accepting",
 * kvm_vm_dead()) is legitimate when the guest touched unaccepted memory,
 * or when something of the program could take memory the guest accepted
 * away (then the guest's next access meets a PENDING page).
 */
static bool kill_explained(const struct tdxsim_fuzz_program *p)
{
	unsigned int i, j;

	if (prog_has(p, FZ_G_TOUCH, false) || prog_has(p, FZ_PUNCH, false) ||
	    prog_has(p, FZ_ATTR, false) || prog_has(p, FZ_SLOT_DELETE, false) ||
	    prog_has(p, FZ_G_MAPGPA, false) || prog_has(p, FZ_INIT_MEM, true))
		return true;
	/* A guest that reads or writes before accepting is at fault too. */
	for (i = 0; i < p->nr_tasks; i++) {
		const struct fz_task *t = &p->tasks[i];

		for (j = 0; j < t->nr_ops; j++) {
			const struct fz_op *g = &t->ops[j];
			unsigned int k;
			bool covered = false;

			if ((g->kind != FZ_G_READ && g->kind != FZ_G_WRITE) ||
			    g->flag)
				continue;
			for (k = 0; k < j; k++) {
				const struct fz_op *a = &t->ops[k];

				if (a->kind == FZ_G_ACCEPT && a->a <= g->a &&
				    a->a + a->b >= g->a + g->b)
					covered = true;
			}
			if (!covered)
				return true;
		}
	}
	return false;
}

/* --- the allow-list ----------------------------------------------------------- */

struct allow_ctx {
	const struct fz_run *r;
	bool dead;		/* the VM was killed or bugged */
};

static bool vm_dead(const struct fz_run *r)
{
	unsigned int i;

	if (r->stats.vm_bugged || r->invariant_errno == EIO)
		return true;
	/*
	 * Bugged after the program closed its VM descriptor: only the WARN
	 * of the KVM_BUG_ON tells (judged as a WARN of its own).
	 */
	if (tdxsim_nr_warnings() != r->warnings_before)
		return true;
	for (i = 0; i < r->p->nr_tasks; i++)
		if (r->tasks[i].run_errno == EIO)
			return true;
	return false;
}

/*
 * What KVM may answer, per operation. Every entry cites the upstream code
 * that answers so (kvm-x86 next and v6.19 as read for
 * docs/upstream/releases.md; T619 = arch/x86/kvm/vmx/tdx.c of v6.19, KM =
 * virt/kvm/kvm_main.c, GM = virt/kvm/guest_memfd.c, MMU =
 * arch/x86/kvm/mmu/mmu.c). Common to every VM ioctl: once the VM is dead
 * (kvm_vm_dead(): a KVM_BUG_ON, or the guest touched unaccepted memory),
 * kvm_vm_ioctl() and kvm_vcpu_ioctl() answer -EIO (KM: "if
 * (kvm->vm_dead) return -EIO"); a descriptor the program closed answers
 * EBADF (fdget() fails).
 */
bool fz_errno_allowed(const struct fz_run *r, const struct fz_op *op,
		      bool setup, int err)
{
	const struct tdxsim_fuzz_program *p = r->p;

	if (!err)
		return true;
	if (err == EIO && vm_dead(r))
		return true;
	switch (op->kind) {
	case FZ_PUNCH:
	case FZ_ALLOC:
		/* kvm_gmem_fallocate(): closed file. */
		if (err == EBADF)
			return prog_closes(p, FZ_T_GMEM, op->obj);
		/*
		 * GM kvm_gmem_fallocate(): -EINVAL for an offset or length
		 * not page aligned or past the file's size.
		 */
		if (err == EINVAL)
			return op->a + op->b > p->gmem[op->obj].size;
		/* GM kvm_gmem_allocate(): a folio allocation failing. */
		return err == ENOMEM;
	case FZ_ATTR:
		if (err == EBADF)
			return prog_closes(p, FZ_T_VM, 0);
		/*
		 * KM kvm_vm_ioctl_set_mem_attributes(): -EINVAL for a range
		 * past the GPA width; -EAGAIN is not answered (the mutex
		 * waits), -ENOMEM from the xarray.
		 */
		return err == ENOMEM;
	case FZ_PREFAULT:
		if (err == EBADF)
			return prog_closes(p, FZ_T_VCPU, op->obj);
		/*
		 * KM kvm_vcpu_pre_fault_memory(): -EOPNOTSUPP while
		 * kvm->arch.pre_fault_allowed is false (TDX: until
		 * KVM_TDX_FINALIZE_VM, T619 tdx_td_finalize()). x86
		 * kvm_arch_vcpu_pre_fault_memory() -> kvm_tdp_map_page():
		 * -ENOENT when the GPA has no memslot (RET_PF_EMULATE),
		 * -EFAULT when the page's private/shared attribute does not
		 * match the access (kvm_mmu_prepare_memory_fault_exit(),
		 * the pre-fault is private-only on a TDX VM: a shared
		 * attribute gives -EFAULT; so does a private fault whose
		 * memslot is gone, kvm_mmu_faultin_pfn() "!fault->slot"),
		 * -EIO from "could not fix page fault" on a dead VM,
		 * -EAGAIN/-EINTR retried above and answered after
		 * FZ_MAX_RETRIES.
		 */
		if (err == EOPNOTSUPP)
			return !setup_has(p, FZ_FINALIZE);
		if (err == ENOENT)
			return may_lack_slot(p, op->a, op->a + op->b);
		if (err == EFAULT)
			return may_be_shared(p, op->a, op->a + op->b) ||
			       may_lack_slot(p, op->a, op->a + op->b);
		return err == EAGAIN || err == EINTR || err == ENOMEM;
	case FZ_SLOT_DELETE:
	case FZ_SLOT_ADD:
		if (err == EBADF)
			return prog_closes(p, FZ_T_VM, 0) ||
			       prog_closes(p, FZ_T_GMEM, p->slot[op->obj].gmem);
		/*
		 * KM __kvm_set_memory_region(): deleting a slot that does not
		 * exist is -EINVAL; re-creating a slot that exists with other
		 * flags or size is -EINVAL, over another slot -EEXIST. GM
		 * kvm_gmem_bind(): -EINVAL for a file range already bound
		 * (an earlier add that raced a delete), -EBADF for a closed
		 * guest_memfd. guest_memfd slots are immutable: adding a slot
		 * that is there is -EINVAL ("if (mem->flags &
		 * KVM_MEM_GUEST_MEMFD) return -EINVAL" for any change but
		 * create and delete); deleting one twice is -EINVAL.
		 */
		if (op->kind == FZ_SLOT_DELETE)
			return err == EINVAL &&
			       (count_slot_ops(p, FZ_SLOT_DELETE, op->obj) > 1);
		return err == EINVAL || err == EEXIST;
	case FZ_INIT_VCPU:
		if (err == EBADF)
			return prog_closes(p, FZ_T_VCPU, op->obj);
		/*
		 * T619 tdx_vcpu_init(): -EINVAL when the vCPU is already
		 * initialized; tdx_vcpu_unlocked_ioctl(): -EINVAL once the
		 * TD is RUNNABLE; tdx_acquire_vm_state_locks(): -EBUSY while
		 * a vCPU is being created.
		 */
		if (err == EINVAL)
			return setup_inits_vcpu(p, op->obj) ||
			       count_vcpu_ops(p, FZ_INIT_VCPU, op->obj) > 1 ||
			       prog_has(p, FZ_FINALIZE, true);
		return err == EBUSY;
	case FZ_INIT_MEM:
		if (err == EBADF)
			return prog_closes(p, FZ_T_VCPU, op->obj);
		/*
		 * T619 tdx_vcpu_init_mem_region(): -EINVAL when the vCPU is
		 * not initialized or the TD is RUNNABLE; GM
		 * kvm_gmem_populate(): -EINVAL for a GFN that is not private
		 * or has no guest_memfd slot, -EEXIST for a page populated
		 * before (its folio is up to date); T619
		 * tdx_gmem_post_populate(): -EBUSY/-EAGAIN retried above;
		 * -ENOENT from kvm_tdp_mmu_map_private_pfn() / __kvm_gmem_get_pfn
		 * when the file offset was punched or the slot is gone; -EIO
		 * when the mirror lookup fails after a concurrent zap
		 * (seed 000's RFC: "if (!kvm_tdp_mmu_gpa_is_mapped()) ret =
		 * -EIO"); -EIO for a GFN populated before where guest_memfd
		 * does not answer -EEXIST first (7.0, next:
		 * kvm_tdp_mmu_map_private_pfn() meets the present leaf,
		 * RET_PF_SPURIOUS, and answers -EIO; the repopulate tests of
		 * tests/kvm).
		 */
		if (err == EINVAL)
			return !setup_inits_vcpu(p, op->obj) ||
			       prog_has(p, FZ_FINALIZE, true) ||
			       may_be_shared(p, op->a, op->a + op->b * PAGE_SIZE) ||
			       may_lack_slot(p, op->a, op->a + op->b * PAGE_SIZE);
		return err == EEXIST || err == EBUSY ||
		       err == EAGAIN || err == EINTR || err == ENOENT ||
		       err == EFAULT || err == ENOMEM ||
		       (err == EIO && (prog_has(p, FZ_PUNCH, false) ||
				       prog_has(p, FZ_ATTR, false) ||
				       prog_has(p, FZ_SLOT_DELETE, false) ||
				       count_init_mem(p, op->a, op->a +
						      op->b * PAGE_SIZE) > 1));
	case FZ_FINALIZE:
		if (err == EBADF)
			return prog_closes(p, FZ_T_VM, 0);
		/*
		 * T619 tdx_td_finalize(): -EINVAL when the TD is already
		 * RUNNABLE (a second finalize), when pages are premapped
		 * but not added (6.16's nr_premapped), or when TDH.MR.FINALIZE
		 * answers TDX_NO_VCPUS (no vCPU initialized yet); -EBUSY when
		 * it answers TDX_OPERAND_BUSY ("FINALIZE losing the race is
		 * benign", releases.md §8.2); -EBUSY from
		 * tdx_acquire_vm_state_locks() while a vCPU is created.
		 */
		if (err == EBUSY)
			return true;
		return err == EINVAL &&
		       (count_ops(p, FZ_FINALIZE) > 1 ||
			!setup_inits_vcpu(p, 0) || setup ||
			prog_has(p, FZ_INIT_MEM, true));
	case FZ_CLOSE:
	case FZ_TEARDOWN:
		return err == EBADF;
	case FZ_HOST_READ:
	case FZ_HOST_WRITE:
		/*
		 * GM kvm_gmem_fault_user_mapping(): SIGBUS (tdxsim: -EFAULT)
		 * for a private page or beyond the file's size.
		 */
		return err == EFAULT || err == EBADF;
	default:
		return false;
	}
}

/*
 * KVM_RUN. x86 kvm_arch_vcpu_ioctl_run() -> T619 tdx_vcpu_pre_run():
 * -EINVAL before the vCPU is initialized or the TD RUNNABLE; -EIO once the
 * VM is dead; -EFAULT with KVM_EXIT_MEMORY_FAULT for a GPA without memslot
 * (the VMM stops, as QEMU); -EINTR/-EAGAIN re-entered.
 */
bool fz_run_errno_allowed(const struct fz_run *r,
			  const struct fz_task_state *t, int err)
{
	unsigned int v = r->p->tasks[t->index].vcpu;

	if (!err)
		return true;
	if (err == EIO)
		return vm_dead(r);
	if (err == EBADF)
		return prog_closes(r->p, FZ_T_VCPU, v);
	if (err == EFAULT)
		return t->no_slot;
	if (err == EINVAL)
		return !setup_inits_vcpu(r->p, v) || !setup_has(r->p, FZ_FINALIZE);
	return false;
}

/* --- judging -------------------------------------------------------------- */

struct judge {
	struct tdxsim_fuzz_outcome *out;
	struct strbuf why;		/* the findings, one per line */
};

static void found(struct judge *j, enum tdxsim_fuzz_kind kind,
		  const char *sig, const char *fmt, ...) __printf(4, 5);
static void found(struct judge *j, enum tdxsim_fuzz_kind kind,
		  const char *sig, const char *fmt, ...)
{
	struct tdxsim_fuzz_outcome *o = j->out;
	size_t n = strlen(o->signatures);
	va_list ap;

	if (!(o->kinds & (1U << kind)) &&
	    (!o->failed || kind < o->kind)) {
		o->kind = kind;
		snprintf(o->signature, sizeof(o->signature), "%s", sig);
		va_start(ap, fmt);
		vsnprintf(o->summary, sizeof(o->summary), fmt, ap);
		va_end(ap);
	}
	o->failed = true;
	o->kinds |= 1U << kind;
	if (!strstr(o->signatures, sig))
		snprintf(o->signatures + n, sizeof(o->signatures) - n, "%s\n",
			 sig);
	sb_printf(&j->why, "  %s: ", kind_names[kind]);
	va_start(ap, fmt);
	sb_vprintf(&j->why, fmt, ap);
	va_end(ap);
	sb_printf(&j->why, "\n");
}

/* Put the primary signature first in the list. */
static void order_signatures(struct tdxsim_fuzz_outcome *o)
{
	char rest[sizeof(o->signatures)];
	char *p = strstr(o->signatures, o->signature);
	size_t n = strlen(o->signature);

	if (!p || p == o->signatures)
		return;
	snprintf(rest, sizeof(rest), "%.*s%s", (int)(p - o->signatures),
		 o->signatures, p + n + 1);
	n = strlen(o->signature);
	memcpy(o->signatures, o->signature, n);
	o->signatures[n] = '\n';
	snprintf(o->signatures + n + 1, sizeof(o->signatures) - n - 1, "%s",
		 rest);
}

/* Add @item to the comma-separated, sorted set @set. */
static void set_add(char *set, size_t len, const char *item)
{
	char tmp[160], *save, *tok, *items[16];
	unsigned int n = 0, i, j;
	size_t used = 0;

	if (!*item)
		return;
	snprintf(tmp, sizeof(tmp), "%s", set);
	for (tok = strtok_r(tmp, ",", &save); tok && n < 15;
	     tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, item))
			return;
		items[n++] = tok;
	}
	items[n++] = (char *)item;
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(items[j - 1], items[j]) > 0; j--) {
			char *t = items[j];

			items[j] = items[j - 1];
			items[j - 1] = t;
		}
	{
		char out[160];

		out[0] = '\0';
		for (i = 0; i < n; i++)
			used += snprintf(out + used, used < sizeof(out) ?
					 sizeof(out) - used : 0, "%s%s",
					 i ? "," : "", items[i]);
		snprintf(set, len, "%s", out);
	}
}

static void judge_verdict(struct judge *j, const struct tdxsim_sched_result *sr)
{
	struct tdxsim_sched_verdict sv;
	char sig[200], locks[120] = "", queues[120] = "";
	int fd;
	unsigned int i;

	if (sr->verdict == TDXSIM_VERDICT_OK)
		return;
	memset(&sv, 0, sizeof(sv));
	fd = tdxsim_open("/dev/kvm", 0);
	if (fd >= 0) {
		tdxsim_ioctl(fd, TDXSIM_GET_SCHED_VERDICT, &sv);
		tdxsim_close(fd);
	}
	/* What the stuck tasks wait for: lock classes, wait queues. */
	for (i = 0; i < sv.nr_tasks && i < TDXSIM_VERDICT_MAX_TASKS; i++) {
		const struct tdxsim_verdict_task *t = &sv.tasks[i];

		if (t->wait == TDXSIM_TASK_WAITS_LOCK)
			set_add(locks, sizeof(locks), t->on);
		else if (t->wait == TDXSIM_TASK_WAITS_QUEUE)
			set_add(queues, sizeof(queues), t->on);
	}
	switch (sr->verdict) {
	case TDXSIM_VERDICT_DEADLOCK:
		snprintf(sig, sizeof(sig), "deadlock %s", locks);
		found(j, TDXSIM_FUZZ_DEADLOCK, sig,
		      "deadlock: every task waits for a lock (%s)", locks);
		break;
	case TDXSIM_VERDICT_HANG:
		snprintf(sig, sizeof(sig), "hang %s", queues);
		found(j, TDXSIM_FUZZ_HANG, sig,
		      "hang: a wait that can never end (%s)", queues);
		break;
	default:
		/*
		 * A task that waits on a queue forever while the others spin
		 * (a fault retrying against the waiter's lock): the hang is
		 * the bug, the spinning its consequence.
		 */
		if (queues[0]) {
			snprintf(sig, sizeof(sig), "hang %s", queues);
			found(j, TDXSIM_FUZZ_HANG, sig,
			      "hang: a wait that can never end (%s) while the other tasks spin (%llu schedule points)",
			      queues, (unsigned long long)sr->steps);
			break;
		}
		found(j, TDXSIM_FUZZ_LIVELOCK, "livelock scheduler",
		      "livelock: the run passed %llu schedule points",
		      (unsigned long long)sr->steps);
		break;
	}
}

static void judge_reports(struct judge *j)
{
	unsigned int i, n = tdxsim_nr_reports();

	for (i = 0; i < n; i++) {
		enum tdxsim_report_kind kind;
		char classes[120], sig[160];

		if (tdxsim_get_report(i, &kind, classes, sizeof(classes)))
			break;
		/* The scheduler's verdicts are judged from the verdict. */
		if (kind == TDXSIM_REPORT_DEADLOCK || kind == TDXSIM_REPORT_HANG ||
		    kind == TDXSIM_REPORT_LIVELOCK)
			continue;
		j->out->reports++;
		snprintf(sig, sizeof(sig), "lockdep %s %s",
			 tdxsim_report_kind_name(kind), classes);
		found(j, TDXSIM_FUZZ_LOCKDEP, sig, "lockdep: %s report naming %s",
		      tdxsim_report_kind_name(kind), classes);
	}
}

static void judge_vm(struct judge *j, struct fz_run *r)
{
	const struct tdxsim_vm_failure *f = &r->failure;
	char sig[160], st[64];

	if (!r->stats.vm_bugged && !(r->have_failure && f->bugged))
		return;
	if (r->have_failure && f->seamcall_failures) {
		const char *leaf = tdxsim_seamcall_name(f->first_seamcall.leaf);
		const char *cls = tdxsim_tdx_status_name(f->first_seamcall.status);

		snprintf(sig, sizeof(sig), "kvm-bug-on %s %s", leaf ? leaf : "?",
			 cls ? cls : "?");
		found(j, TDXSIM_FUZZ_KVM_BUG_ON, sig,
		      "KVM_BUG_ON: %s failed with %s in %s(); the VM is bugged",
		      leaf ? leaf : "?",
		      tdxsim_tdx_status_string(f->first_seamcall.status, st,
					       sizeof(st)),
		      f->first_seamcall.func);
	} else {
		snprintf(sig, sizeof(sig), "kvm-bug-on %s",
			 r->have_failure ? f->bug_func : "?");
		found(j, TDXSIM_FUZZ_KVM_BUG_ON, sig,
		      "KVM_BUG_ON in %s() (%s:%u); the VM is bugged",
		      r->have_failure ? f->bug_func : "?",
		      r->have_failure ? f->bug_file : "?",
		      r->have_failure ? f->bug_line : 0);
	}
}

static void judge_errnos(struct judge *j, struct fz_run *r)
{
	const struct tdxsim_fuzz_program *p = r->p;
	unsigned int i, k;
	char sig[160];

	for (i = 0; i < p->nr_setup; i++) {
		int e = r->setup_err[i];

		if (e <= 0 || fz_errno_allowed(r, &p->setup[i], true, e))
			continue;
		j->out->bad_errnos++;
		snprintf(sig, sizeof(sig), "errno %s %s",
			 fz_op_name(p->setup[i].kind), errno_name(e));
		found(j, TDXSIM_FUZZ_ERRNO, sig,
		      "set-up operation %u (%s) answered %s, which KVM does not answer there",
		      i + 1, fz_op_name(p->setup[i].kind), errno_name(e));
	}
	for (i = 0; i < p->nr_tasks; i++) {
		const struct fz_task *t = &p->tasks[i];
		const struct fz_task_state *ts = &r->tasks[i];

		if (t->kind == FZ_TASK_VCPU) {
			if (!fz_run_errno_allowed(r, ts, ts->run_errno)) {
				j->out->bad_errnos++;
				snprintf(sig, sizeof(sig), "errno KVM_RUN %s",
					 errno_name(ts->run_errno));
				found(j, TDXSIM_FUZZ_ERRNO, sig,
				      "task %u: KVM_RUN on vCPU %u answered %s",
				      i, t->vcpu, errno_name(ts->run_errno));
			}
			if (ts->convert_errno && ts->convert_errno != EIO &&
			    ts->convert_errno != EBADF) {
				j->out->bad_errnos++;
				snprintf(sig, sizeof(sig),
					 "errno conversion %s",
					 errno_name(ts->convert_errno));
				found(j, TDXSIM_FUZZ_ERRNO, sig,
				      "task %u: the conversion of a memory-fault exit answered %s",
				      i, errno_name(ts->convert_errno));
			}
			continue;
		}
		for (k = 0; k < t->nr_ops; k++) {
			int e = ts->err[k];

			if (e <= 0 || fz_errno_allowed(r, &t->ops[k], false, e))
				continue;
			j->out->bad_errnos++;
			snprintf(sig, sizeof(sig), "errno %s %s",
				 fz_op_name(t->ops[k].kind), errno_name(e));
			found(j, TDXSIM_FUZZ_ERRNO, sig,
			      "task %u operation %u (%s) answered %s, which KVM does not answer there",
			      i, k + 1, fz_op_name(t->ops[k].kind),
			      errno_name(e));
		}
	}
}

/* What each task did, for the report. */
static void describe(struct fz_run *r, struct strbuf *sb)
{
	const struct tdxsim_fuzz_program *p = r->p;
	unsigned int i, k;

	if (r->build_err)
		sb_printf(sb, "  the TD could not be built: %s answered %s\n",
			  r->build_what, errno_name(r->build_err));
	for (i = 0; i < p->nr_setup; i++) {
		sb_printf(sb, "  set-up: ");
		fz_op_format(&p->setup[i], sb);
		if (r->setup_err[i] == FZ_NOT_RUN)
			sb_printf(sb, ": not reached\n");
		else
			sb_printf(sb, ": %s\n", errno_name(r->setup_err[i]));
	}
	for (i = 0; i < p->nr_tasks; i++) {
		const struct fz_task *t = &p->tasks[i];
		const struct fz_task_state *ts = &r->tasks[i];

		if (t->kind == FZ_TASK_VCPU) {
			sb_printf(sb, "  task %u (vCPU %u): %llu KVM_RUN, %llu conversions, %s",
				  i, t->vcpu, (unsigned long long)ts->kvm_runs,
				  (unsigned long long)ts->conversions,
				  ts->halted ? "the guest halted" :
				  ts->livelock_exit ? "KVM's livelock exit" :
				  ts->gave_up ? "gave up after the KVM_RUN bound" :
				  ts->no_slot ? "a memory fault outside every memslot" :
				  "stopped");
			if (ts->run_errno)
				sb_printf(sb, ", KVM_RUN answered %s",
					  errno_name(ts->run_errno));
			if (ts->convert_errno)
				sb_printf(sb, ", a conversion answered %s",
					  errno_name(ts->convert_errno));
			sb_printf(sb, "\n");
			continue;
		}
		for (k = 0; k < t->nr_ops; k++) {
			sb_printf(sb, "  task %u: ", i);
			fz_op_format(&t->ops[k], sb);
			if (ts->err[k] == FZ_NOT_RUN)
				sb_printf(sb, ": not reached\n");
			else
				sb_printf(sb, ": %s\n", errno_name(ts->err[k]));
		}
	}
}

static void module_stats(struct tdxsim_module_stats *st)
{
	int fd = tdxsim_open("/dev/kvm", 0);

	memset(st, 0, sizeof(*st));
	if (fd < 0)
		return;
	tdxsim_ioctl(fd, TDXSIM_GET_MODULE_STATS, st);
	tdxsim_close(fd);
}

/* Module state before the run (outside the scheduler). */
static struct tdxsim_module_stats module_before;

void fz_judge_begin(void)
{
	module_stats(&module_before);
}

void fz_judge(struct fz_run *r, const struct tdxsim_sched_result *sr,
	      struct tdxsim_fuzz_outcome *out)
{
	struct judge j = { .out = out, .why = STRBUF_INIT };
	struct tdxsim_module_stats after;
	struct strbuf rep = STRBUF_INIT;
	bool stuck = sr->verdict != TDXSIM_VERDICT_OK;
	unsigned int i;
	char *text;

	memset(out, 0, sizeof(*out));
	out->verdict = sr->verdict;
	out->steps = sr->steps;
	out->switches = sr->switches;
	out->preemptions = sr->preemptions;
	out->stuck = stuck;
	out->ops_done = (u32)r->ops_done;

	if (r->build_err) {
		out->setup_error = true;
		snprintf(out->summary, sizeof(out->summary),
			 "the program could not be built: %s answered %s",
			 r->build_what, errno_name(r->build_err));
	}
	judge_verdict(&j, sr);
	if (!stuck) {
		judge_vm(&j, r);
		module_stats(&after);
		out->pamt_violations = after.pamt_violations -
				       module_before.pamt_violations;
		if (out->pamt_violations) {
			out->tainted = true;
			fz_set_tainted();
			found(&j, TDXSIM_FUZZ_PAMT, "pamt-violation",
			      "the host freed %llu page(s) the TDX module still owned",
			      (unsigned long long)out->pamt_violations);
		}
		out->pages_owned_after = after.pages_owned >
					 module_before.pages_owned ?
			after.pages_owned - module_before.pages_owned : 0;
		/* A bugged VM keeps the pages whose zap failed, by design. */
		if (out->pages_owned_after && !r->stats.vm_bugged && r->torn_down)
			found(&j, TDXSIM_FUZZ_PAGES_OWNED, "pages-owned-after-teardown",
			      "after teardown the TDX module still owns %llu page(s) of the TD",
			      (unsigned long long)out->pages_owned_after);
		out->invariant_errors = r->invariant_errors;
		if (r->invariant_errors)
			found(&j, TDXSIM_FUZZ_INVARIANT, "invariant",
			      "TDXSIM_CHECK_INVARIANTS: %u violation(s)",
			      r->invariant_errors);
		out->leaked_pages = r->leaked_pages;
		if (r->leaked_pages)
			found(&j, TDXSIM_FUZZ_LEAK, "leak private-bytes",
			      "the host read the guest's private data: %llu page(s), the first at GPA 0x%llx",
			      (unsigned long long)r->leaked_pages,
			      (unsigned long long)r->leak_gpa);
		out->data_checked = data_checkable(r->p);
		if (out->data_checked) {
			out->data_failures = r->data_failures;
			if (r->data_failures)
				found(&j, TDXSIM_FUZZ_DATA, "data-check",
				      "the guest read wrong data: %llu data-check failure(s)",
				      (unsigned long long)r->data_failures);
		}
		if (r->collected && vm_dead(r) && !r->stats.vm_bugged &&
		    !kill_explained(r->p))
			found(&j, TDXSIM_FUZZ_DATA, "vm-killed",
			      "the VM was killed (guest access before accepting) though nothing took the guest's memory");
		for (i = 0; i < r->p->nr_tasks; i++)
			if (r->tasks[i].livelock_exit)
				found(&j, TDXSIM_FUZZ_LIVELOCK, "livelock kvm",
				      "livelock: KVM stopped vCPU %u (the same EPT violation again and again: KVM_EXIT_INTERNAL_ERROR, livelock)",
				      r->p->tasks[i].vcpu);
		judge_errnos(&j, r);
	}
	judge_reports(&j);
	out->warnings = tdxsim_nr_warnings() - r->warnings_before;
	if (out->warnings && !(out->kinds & (1U << TDXSIM_FUZZ_KVM_BUG_ON)))
		found(&j, TDXSIM_FUZZ_WARN, "warn",
		      "the kernel side WARNed %llu time(s)",
		      (unsigned long long)out->warnings);
	if (r->have_failure)
		out->failure = r->failure;
	order_signatures(out);

	sb_printf(&rep, "what the program did:\n");
	describe(r, &rep);
	if (j.why.len)
		sb_printf(&rep, "findings:\n%s", sb_str(&j.why));
	if (r->invariant_errors && r->invariant_report)
		sb_printf(&rep, "--- invariant check ---\n%s\n",
			  r->invariant_report);
	text = r->log_buf;
	if (text && *text)
		sb_printf(&rep, "--- kernel log ---\n%s", text);
	out->report = sb_detach(&rep);
	sb_free(&j.why);
	if (!out->failed && !out->setup_error)
		snprintf(out->summary, sizeof(out->summary),
			 "clean: %u operations, %llu schedule points",
			 out->ops_done, (unsigned long long)out->steps);
}

/* --- the public entry points ------------------------------------------------- */

int tdxsim_fuzz_run(const struct tdxsim_fuzz_program *p,
		    struct tdxsim_fuzz_outcome *out)
{
	struct tdxsim_sched_config cfg;
	struct tdxsim_sched_result sr;
	struct fz_run *r;
	char err[256];
	int ret;

	memset(out, 0, sizeof(*out));
	r = fz_run_new(p, err, sizeof(err));
	if (!r) {
		out->setup_error = true;
		snprintf(out->summary, sizeof(out->summary), "%s", err);
		return -EINVAL;
	}
	fz_sched_config(p, &cfg);
	tdxsim_reset_reports();
	tdxsim_set_reports_quiet(false);
	fz_judge_begin();
	fz_capture_start(r);
	ret = tdxsim_sched_run(&cfg, fz_run_fn, r, &sr);
	fz_capture_end(r);
	if (ret) {
		fz_run_release(r, false);
		return ret;
	}
	fz_judge(r, &sr, out);
	fz_run_release(r, out->stuck);
	return 0;
}

/* Bounded search: a fresh run per schedule. */
struct explore_ctx {
	const struct tdxsim_fuzz_program *p;
	const struct tdxsim_fuzz_explore_opts *o;
	struct tdxsim_fuzz_explore_result *res;
	struct fz_run *cur;
	u64 schedules, failures;
	bool have_outcome;
	bool cur_used;		/* x->cur has been run */
};

static void explore_next_world(struct explore_ctx *x)
{
	char err[128];

	x->cur = fz_run_new(x->p, err, sizeof(err));
	tdxsim_reset_reports();
	fz_judge_begin();
	fz_capture_start(x->cur);
}

static int explore_fn(void *arg)
{
	struct explore_ctx *x = arg;

	/*
	 * The explorer does not judge every run it makes (a schedule past the
	 * preemption bound, or another shard's): such a run used the world
	 * without explore_check() seeing it. A run that finished tore its VM
	 * down; one that did not left tasks holding the VM's locks.
	 */
	if (x->cur_used) {
		fz_capture_end(x->cur);
		fz_run_release(x->cur, !x->cur->torn_down);
		explore_next_world(x);
	}
	x->cur_used = true;
	return fz_run_fn(x->cur);
}

static bool sig_matches(const struct tdxsim_fuzz_outcome *o, const char *sig)
{
	const char *s;
	size_t n;

	if (!sig || !*sig)
		return o->failed;
	n = strlen(sig);
	for (s = o->signatures; (s = strstr(s, sig)); s += n)
		if ((s == o->signatures || s[-1] == '\n') && s[n] == '\n')
			return true;
	return false;
}

static int explore_check(void *arg, const struct tdxsim_sched_result *sr)
{
	struct explore_ctx *x = arg;
	struct tdxsim_fuzz_outcome out;
	bool fail;

	fz_capture_end(x->cur);
	fz_judge(x->cur, sr, &out);
	fz_run_release(x->cur, out.stuck);
	fail = sig_matches(&out, x->o->signature);
	x->schedules++;
	if (fail) {
		x->failures++;
		if (!x->have_outcome) {
			x->res->outcome = out;
			x->have_outcome = true;
		} else {
			tdxsim_fuzz_outcome_free(&out);
		}
	} else {
		tdxsim_fuzz_outcome_free(&out);
	}
	if (x->o->progress)
		x->o->progress(x->o->progress_arg, x->schedules, x->failures);
	/* The next run's world. */
	explore_next_world(x);
	x->cur_used = false;
	return fail;
}

int tdxsim_fuzz_explore(const struct tdxsim_fuzz_program *p,
			const struct tdxsim_fuzz_explore_opts *o,
			struct tdxsim_fuzz_explore_result *r)
{
	struct explore_ctx x = { .p = p, .o = o, .res = r };
	struct tdxsim_explore_config cfg;
	char err[256];
	int ret;

	memset(r, 0, sizeof(*r));
	x.cur = fz_run_new(p, err, sizeof(err));
	if (!x.cur)
		return -EINVAL;
	memset(&cfg, 0, sizeof(cfg));
	fz_sched_config(p, &cfg.run);
	cfg.run.replay = NULL;
	cfg.preemptions = o->preemptions;
	cfg.sleep_sets = o->sleep_sets;
	cfg.shard = o->shard;
	cfg.nr_shards = o->nr_shards;
	cfg.max_schedules = o->max_schedules;
	tdxsim_reset_reports();
	tdxsim_set_reports_quiet(false);
	fz_judge_begin();
	fz_capture_start(x.cur);
	ret = tdxsim_sched_explore(&cfg, explore_fn, &x, explore_check,
				   &r->explore);
	/* The world prepared for a run that did not come, or an unjudged one. */
	fz_capture_end(x.cur);
	fz_run_release(x.cur, x.cur_used && !x.cur->torn_down);
	if (ret && x.have_outcome)
		tdxsim_fuzz_outcome_free(&r->outcome);
	return ret;
}

void tdxsim_fuzz_explore_result_free(struct tdxsim_fuzz_explore_result *r)
{
	free(r->explore.failing);
	r->explore.failing = NULL;
	tdxsim_fuzz_outcome_free(&r->outcome);
}
