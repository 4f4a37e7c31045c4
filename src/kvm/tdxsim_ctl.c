// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tdxsim's addition: its controls on the /dev/kvm, VM and vCPU fds (the
 * TDXSIMIO requests of include/tdxsim/tdxsim.h). The kernel has no such
 * ioctls; tdxsim needs them so that a VMM, the scenarios and the tools can
 * pick a VM's design variant, hand a vCPU its guest program, and read what
 * happened as data instead of from the log: per VM its counters and
 * failures (the SEAMCALLs KVM reported, the KVM_BUG_ON() site), per process
 * the lock validator's reports and the scheduler's last verdict with its
 * tasks, the module's state and host memory. kvm_main.c reaches them
 * through one hook per fd type; the TDX vendor's own controls are in
 * tdxsim_tdx_ctl.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/lockdep.h"
#include "base/log.h"
#include "base/page_alloc.h"
#include "base/sched.h"
#include "host/mm.h"
#include "kvm/kvm_host.h"
#include "kvm/tdxsim_ctl.h"
#include "kvm/tdxsim_stats.h"
#include "seam/diag.h"
#include "seam/tdx_module.h"
#include "ulib/strbuf.h"

void tdxsim_init_vm(struct kvm *kvm)
{
	struct tdxsim_design def = TDXSIM_DESIGN_DEFAULT;

	kvm->design = def;
	kvm->tdxsim.warn_base = warn_count();
}

/* ---- the design (TDXSIM_SET_DESIGN, TDXSIM_GET_DESIGN) ---- */

static int tdxsim_vm_set_design(struct kvm *kvm, const struct tdxsim_design *d)
{
	unsigned int i;
	int r = 0;

	if (d->populate > TDXSIM_POPULATE_MAP_PFN ||
	    d->accept_level > TDXSIM_ACCEPT_LEVEL_IGNORE ||
	    d->vp_init_lock > TDXSIM_VP_INIT_LOCK_NONE ||
	    d->pin_pages > 1 || d->mirror_freeze > 1 ||
	    d->gmem_locking > TDXSIM_GMEM_LOCKING_INFLIGHT ||
	    d->vp_init_version > 1 || d->gmem_hugepages > 1 ||
	    d->measure_two_pass > 1)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(d->reserved); i++) {
		if (d->reserved[i])
			return -EINVAL;
	}

	mutex_lock(&kvm->lock);
	if (kvm->design_frozen || kvm->created_vcpus) {
		r = -EBUSY;
	} else {
		WRITE_ONCE(kvm->design.populate, d->populate);
		WRITE_ONCE(kvm->design.accept_level, d->accept_level);
		WRITE_ONCE(kvm->design.vp_init_lock, d->vp_init_lock);
		WRITE_ONCE(kvm->design.pin_pages, d->pin_pages);
		WRITE_ONCE(kvm->design.mirror_freeze, d->mirror_freeze);
		WRITE_ONCE(kvm->design.gmem_locking, d->gmem_locking);
		WRITE_ONCE(kvm->design.vp_init_version, d->vp_init_version);
		WRITE_ONCE(kvm->design.gmem_hugepages, d->gmem_hugepages);
		WRITE_ONCE(kvm->design.measure_two_pass, d->measure_two_pass);
	}
	mutex_unlock(&kvm->lock);
	return r;
}

static void tdxsim_vm_get_design(struct kvm *kvm, struct tdxsim_design *d)
{
	memset(d, 0, sizeof(*d));
	d->populate = READ_ONCE(kvm->design.populate);
	d->accept_level = READ_ONCE(kvm->design.accept_level);
	d->vp_init_lock = READ_ONCE(kvm->design.vp_init_lock);
	d->pin_pages = READ_ONCE(kvm->design.pin_pages);
	d->mirror_freeze = READ_ONCE(kvm->design.mirror_freeze);
	d->gmem_locking = READ_ONCE(kvm->design.gmem_locking);
	d->vp_init_version = READ_ONCE(kvm->design.vp_init_version);
	d->gmem_hugepages = READ_ONCE(kvm->design.gmem_hugepages);
	d->measure_two_pass = READ_ONCE(kvm->design.measure_two_pass);
}

/*
 * The design is fixed from KVM_TDX_INIT_VM on (the TD then exists in the
 * module with it): freeze it before the vendor sees the command, under
 * kvm->lock as TDXSIM_SET_DESIGN reads it.
 */
static void tdxsim_freeze_design_on_init(struct kvm *kvm, unsigned long arg)
{
	struct kvm_tdx_cmd cmd;

	if (copy_from_user(&cmd, (void *)arg, sizeof(cmd)) ||
	    cmd.id != KVM_TDX_INIT_VM)
		return;
	mutex_lock(&kvm->lock);
	kvm->design_frozen = true;
	mutex_unlock(&kvm->lock);
}

/* ---- the fds ---- */

static long tdxsim_get_module_stats(void *argp)
{
	struct tdxsim_module_stats st = { 0 };

	if (!tdx_module_ready())
		return -ENODEV;
	st.pamt_violations = tdx_module_pamt_violations();
	st.pages_owned = tdx_module_pages_owned_total();
	return copy_to_user(argp, &st, sizeof(st)) ? -EFAULT : 0;
}

static long tdxsim_get_host_memory(void *argp)
{
	struct tdxsim_host_memory hm = { 0 };
	struct phys_mem_stats ps;

	phys_mem_get_stats(&ps);
	hm.total_pages = ps.total_pages;
	hm.pages_in_use = ps.pages_in_use;
	hm.peak_pages_in_use = ps.peak_pages_in_use;
	hm.blocks_2m_in_use = ps.blocks_2m_in_use;
	hm.allocs = ps.allocs;
	hm.frees = ps.frees;
	hm.page_meta_bytes = ps.page_meta_bytes;
	hm.meta_bytes_touched = ps.meta_bytes_touched;
	hm.metadata_bytes_per_page = ps.meta_bytes_per_page;
	hm.meta_bytes_resident = ps.meta_bytes_resident;
	hm.blocks_returned = ps.blocks_returned;
	hm.madvise_calls = ps.madvise_calls;
	return copy_to_user(argp, &hm, sizeof(hm)) ? -EFAULT : 0;
}

/*
 * TDXSIM_GET_REPORTS: the validator's and the scheduler's reports as
 * {kind, classes}; too small an array is -E2BIG with the count written back.
 */
static long tdxsim_get_reports(void *argp)
{
	struct tdxsim_report_entry e;
	struct tdxsim_reports r;
	unsigned int i, n;
	char *dst;

	if (copy_from_user(&r, argp, sizeof(r)))
		return -EFAULT;
	if (r.reserved)
		return -EINVAL;
	n = lockdep_nr_reports();
	if (r.nr < n) {
		r.nr = n;
		return copy_to_user(argp, &r, sizeof(r)) ? -EFAULT : -E2BIG;
	}
	dst = (char *)(uintptr_t)r.entries;
	for (i = 0; i < n; i++) {
		const struct lockdep_report *rep = lockdep_get_report(i);

		memset(&e, 0, sizeof(e));
		if (rep) {
			e.kind = rep->kind;
			snprintf(e.classes, sizeof(e.classes), "%s",
				 rep->classes ? rep->classes : "");
		}
		if (copy_to_user(dst + i * sizeof(e), &e, sizeof(e)))
			return -EFAULT;
	}
	r.nr = n;
	return copy_to_user(argp, &r, sizeof(r)) ? -EFAULT : 0;
}

_Static_assert((int)SCHED_TASK_RUNNABLE == (int)TDXSIM_TASK_RUNNABLE &&
	       (int)SCHED_TASK_WAITS_LOCK == (int)TDXSIM_TASK_WAITS_LOCK &&
	       (int)SCHED_TASK_WAITS_QUEUE == (int)TDXSIM_TASK_WAITS_QUEUE &&
	       (int)SCHED_TASK_WAITS_JOIN == (int)TDXSIM_TASK_WAITS_JOIN &&
	       (int)SCHED_TASK_WAITS_RCU == (int)TDXSIM_TASK_WAITS_RCU &&
	       (int)SCHED_TASK_BLOCKED == (int)TDXSIM_TASK_BLOCKED &&
	       SCHED_VERDICT_MAX_TASKS == TDXSIM_VERDICT_MAX_TASKS,
	       "the scheduler's verdict tasks and their uAPI form");

/* TDXSIM_GET_SCHED_VERDICT: the last run's verdict and its live tasks. */
static long tdxsim_get_sched_verdict(void *argp)
{
	struct sched_verdict_info *v = xzalloc(sizeof(*v));
	struct tdxsim_sched_verdict *out = xzalloc(sizeof(*out));
	unsigned int i;
	long r;

	sched_last_verdict(v);
	out->verdict = v->verdict;
	out->nr_tasks = v->nr_tasks;
	out->seed = v->seed;
	out->steps = v->steps;
	for (i = 0; i < v->nr_tasks && i < TDXSIM_VERDICT_MAX_TASKS; i++) {
		struct tdxsim_verdict_task *t = &out->tasks[i];

		memcpy(t->name, v->tasks[i].name, sizeof(t->name));
		t->id = v->tasks[i].id;
		t->wait = v->tasks[i].wait;
		memcpy(t->on, v->tasks[i].on, sizeof(t->on));
		memcpy(t->until, v->tasks[i].until, sizeof(t->until));
	}
	r = copy_to_user(argp, out, sizeof(*out)) ? -EFAULT : 0;
	free(out);
	free(v);
	return r;
}

long tdxsim_dev_ioctl(unsigned long ioctl, unsigned long arg)
{
	void *argp = (void *)arg;

	switch (ioctl) {
	case TDXSIM_GET_MODULE_STATS:
		return tdxsim_get_module_stats(argp);
	case TDXSIM_GET_HOST_MEMORY:
		return tdxsim_get_host_memory(argp);
	case TDXSIM_GET_REPORTS:
		return tdxsim_get_reports(argp);
	case TDXSIM_GET_SCHED_VERDICT:
		return tdxsim_get_sched_verdict(argp);
	default:
		return -EINVAL;
	}
}

long tdxsim_vm_ioctl(struct kvm *kvm, unsigned long ioctl, unsigned long arg)
{
	void *argp = (void *)arg;

	if (TDXSIM_IOC_TYPE(ioctl) != TDXSIMIO) {
		if (ioctl == KVM_MEMORY_ENCRYPT_OP && !kvm_vm_is_dead(kvm))
			tdxsim_freeze_design_on_init(kvm, arg);
		return -ENOIOCTLCMD;
	}

	/* The read-only controls also work on a dead VM. */
	switch (ioctl) {
	case TDXSIM_GET_STATS: {
		struct tdxsim_stats st;

		tdxsim_vm_get_stats(kvm, &st);
		return copy_to_user(argp, &st, sizeof(st)) ? -EFAULT : 0;
	}
	case TDXSIM_GET_DESIGN: {
		struct tdxsim_design d;

		tdxsim_vm_get_design(kvm, &d);
		return copy_to_user(argp, &d, sizeof(d)) ? -EFAULT : 0;
	}
	case TDXSIM_GET_VM_FAILURE: {
		struct tdxsim_vm_failure f;

		tdxsim_vm_get_failure(kvm, &f);
		return copy_to_user(argp, &f, sizeof(f)) ? -EFAULT : 0;
	}
	default:
		break;
	}

	if (kvm_vm_is_dead(kvm))
		return -EIO;

	switch (ioctl) {
	case TDXSIM_SET_DESIGN: {
		struct tdxsim_design d;

		if (copy_from_user(&d, argp, sizeof(d)))
			return -EFAULT;
		return tdxsim_vm_set_design(kvm, &d);
	}
	default:
		/* The vendor's own controls. */
		if (!kvm_vm_uses_vendor(kvm) || !kvm_x86_ops.tdxsim_vm_ioctl)
			return -ENOTTY;
		return kvm_x86_ops.tdxsim_vm_ioctl(kvm, ioctl, argp);
	}
}

long tdxsim_vcpu_ioctl(struct kvm_vcpu *vcpu, unsigned long ioctl,
		       unsigned long arg)
{
	struct tdxsim_guest g;

	switch (ioctl) {
	case TDXSIM_SET_GUEST:
		if (copy_from_user(&g, (void *)arg, sizeof(g)))
			return -EFAULT;
		mutex_lock(&vcpu->mutex);
		vcpu->guest_ops = g.ops;
		vcpu->guest = g.guest;
		mutex_unlock(&vcpu->mutex);
		return 0;
	default:
		return -EINVAL;
	}
}
