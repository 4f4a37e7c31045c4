// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tdxsim's addition: what a fuzz program may legitimately see, decided
 * from the program's text alone. The static facts (does some operation
 * close the VM, may a range be shared or lack a memslot, may the guest's
 * data checks judge KVM, is a killed VM explained) and, from them, the
 * allow-list of uAPI answers: per operation, every errno KVM may give in
 * this program, each entry argued from upstream's code. The judge
 * (fuzz_oracle.c) calls these; nothing here looks at a run's log.
 */
#include <errno.h>

#include "tdxsim/report.h"
#include "scenario/fuzz_exec.h"

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

/*
 * Does the program have its VMM exit (a teardown that also unmaps)? Then
 * the guest_memfd files go while other tasks' ioctls still hold the VM:
 * GM kvm_gmem_release() unbinds the memslots, and a private fault after
 * it finds no file (GM kvm_gmem_get_pfn(): "if (!file) return -EFAULT").
 */
static bool prog_exits(const struct tdxsim_fuzz_program *p)
{
	unsigned int i, j;

	for (i = 0; i < p->nr_setup; i++)
		if (p->setup[i].kind == FZ_TEARDOWN &&
		    p->setup[i].flag == FZ_TEARDOWN_EXIT)
			return true;
	for (i = 0; i < p->nr_tasks; i++)
		for (j = 0; j < p->tasks[i].nr_ops; j++)
			if (p->tasks[i].ops[j].kind == FZ_TEARDOWN &&
			    p->tasks[i].ops[j].flag == FZ_TEARDOWN_EXIT)
				return true;
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
			const struct fz_slot *s = &p->td[0].slot[i];

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
bool fz_data_checkable(const struct tdxsim_fuzz_program *p)
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
			 * a page it accepted before is a lost page. So is a
			 * touch of a page that turned out accepted: it reads
			 * the page and checks it against the record (zero, if
			 * this vCPU's accept found it accepted already), which
			 * another vCPU's write there breaks.
			 */
			if (g->kind != FZ_G_READ && g->kind != FZ_G_WRITE &&
			    g->kind != FZ_G_MAPGPA && g->kind != FZ_G_ACCEPT &&
			    g->kind != FZ_G_TOUCH)
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
 * The module's host-priority timeout (a vCPU stopped with
 * KVM_EXIT_INTERNAL_ERROR, TDX_HOST_PRIORITY_BUSY_TIMEOUT, as upstream's
 * tdx_handle_exit() answers it) needs an S-EPT entry left with HP: a host
 * SEAMCALL (the AUG of a fault) met the guest's ACCEPT on the entry lock
 * and was never retried, and nothing else locked the entry since. KVM's
 * fault path retries a BUSY AUG until it maps the page, unless the fault
 * ends: the GPA became shared (a conversion, a MapGPA), its memslot went
 * away, or the VM is being closed. Then every guest ACCEPT of that GPA is
 * answered BUSY until the timeout (docs/FINDINGS.md F4).
 */
bool fz_hp_timeout_explained(const struct tdxsim_fuzz_program *p)
{
	return prog_has(p, FZ_ATTR, false) || prog_has(p, FZ_G_MAPGPA, false) ||
	       prog_has(p, FZ_SLOT_DELETE, false) ||
	       prog_has(p, FZ_CLOSE, false) || prog_has(p, FZ_TEARDOWN, false);
}

/*
 * A VM killed without a KVM_BUG_ON ("Guest access before accepting",
 * kvm_vm_dead()) is legitimate when the guest touched unaccepted memory,
 * or when something of the program could take memory the guest accepted
 * away (then the guest's next access meets a PENDING page).
 */
bool fz_kill_explained(const struct tdxsim_fuzz_program *p)
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

bool fz_vm_dead(const struct fz_run *r, unsigned int td)
{
	const struct fz_vm *vm = &r->vm[td];
	unsigned int i;

	if (vm->stats.vm_bugged || vm->invariant_errno == EIO)
		return true;
	/*
	 * Bugged after the program closed its VM descriptor: only the WARN
	 * of the KVM_BUG_ON tells (judged as a WARN of its own). Not when
	 * the record was read at the end through an open descriptor: then
	 * stats.vm_bugged says it, and the WARN may be another TD's (two
	 * TDs: TD 1's KVM_BUG_ON made TD 0, alive and idle, "vm-killed").
	 */
	if (!(r->collected && vm->record_fresh) &&
	    tdxsim_nr_warnings() != r->warnings_before)
		return true;
	for (i = 0; i < r->p->nr_tasks; i++)
		if (r->p->tasks[i].td == td && r->tasks[i].run_errno == EIO)
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
	/* The program as the operation's TD sees it (fz_program_view()). */
	const struct tdxsim_fuzz_program *p = r->view[op->td];

	if (!err)
		return true;
	if (err == EIO && fz_vm_dead(r, op->td))
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
			return op->a + op->b > p->td[0].gmem[op->obj].size;
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
			       may_lack_slot(p, op->a, op->a + op->b) ||
			       prog_exits(p);
		return err == EAGAIN || err == EINTR || err == ENOMEM;
	case FZ_SLOT_DELETE:
	case FZ_SLOT_ADD:
		if (err == EBADF)
			return prog_closes(p, FZ_T_VM, 0) ||
			       prog_closes(p, FZ_T_GMEM,
					   p->td[0].slot[op->obj].gmem);
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
	unsigned int td = r->p->tasks[t->index].td;
	const struct tdxsim_fuzz_program *p = r->view[td];

	if (!err)
		return true;
	if (err == EIO)
		return fz_vm_dead(r, td);
	if (err == EBADF)
		return prog_closes(p, FZ_T_VCPU, v);
	if (err == EFAULT)
		return t->no_slot;
	if (err == EINVAL)
		return !setup_inits_vcpu(p, v) || !setup_has(p, FZ_FINALIZE);
	return false;
}
