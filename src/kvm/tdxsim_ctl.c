// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tdxsim's addition: its controls on the /dev/kvm, VM and vCPU fds (the
 * TDXSIMIO requests of include/tdxsim/tdxsim.h). The kernel has no such
 * ioctls; tdxsim needs them so that a VMM, the scenarios and the tools can
 * pick a VM's kernel profile (tdxsim_profiles.c) and design switches, hand
 * a vCPU its guest program, and read what happened as data instead of from
 * the log: per VM its counters and failures (the SEAMCALLs KVM reported,
 * the KVM_BUG_ON() site), per process the lock validator's reports and the scheduler's last verdict with its
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
#include "tdxsim/profiles.h"

void tdxsim_init_vm(struct kvm *kvm)
{
	/* The default profile always resolves (tests/profiles checks it). */
	tdxsim_kernel_design(TDXSIM_KERNEL_DEFAULT, &kvm->design, NULL, 0);
	snprintf(kvm->tdxsim_kernel, sizeof(kvm->tdxsim_kernel), "%s",
		 TDXSIM_KERNEL_DEFAULT);
	kvm->tdxsim_kernel_modified = false;
	tdxsim_vm_failure_init(kvm);
}

/* ---- the design (TDXSIM_SET_DESIGN, TDXSIM_GET_DESIGN) ---- */

/*
 * Check @d against the switch table: a known layout version, every value
 * in range, reserved space zero.
 */
static int tdxsim_check_design(const struct tdxsim_design *d)
{
	const struct tdxsim_design_switch *sw;
	size_t i, j, n;

	if (d->version != TDXSIM_DESIGN_VERSION)
		return -EINVAL;
	sw = tdxsim_design_switches(&n);
	for (i = 0; i < n; i++) {
		unsigned int v = tdxsim_design_get(d, &sw[i]);

		for (j = 0; j < TDXSIM_SWITCH_MAX_VALUES && sw[i].values[j]; j++)
			;
		if (v >= j)
			return -EINVAL;
	}
	for (i = 0; i < ARRAY_SIZE(d->reserved); i++) {
		if (d->reserved[i])
			return -EINVAL;
	}
	return 0;
}

/*
 * The switches are read with READ_ONCE() by the kernel twins, without a
 * lock: they change only before KVM_TDX_INIT_VM and any vCPU, when nothing
 * else runs on the VM. Write them one by one.
 */
static void tdxsim_write_design(struct kvm *kvm, const struct tdxsim_design *d)
{
	const struct tdxsim_design_switch *sw;
	size_t i, n;

	sw = tdxsim_design_switches(&n);
	for (i = 0; i < n; i++)
		WRITE_ONCE(*(__tdxsim_u32 *)((char *)&kvm->design + sw[i].offset),
			   tdxsim_design_get(d, &sw[i]));
}

static int tdxsim_vm_set_design(struct kvm *kvm, const struct tdxsim_design *d)
{
	struct tdxsim_design profile;
	int r = 0;

	r = tdxsim_check_design(d);
	if (r)
		return r;

	mutex_lock(&kvm->lock);
	if (kvm->design_frozen || kvm->created_vcpus) {
		r = -EBUSY;
	} else {
		tdxsim_write_design(kvm, d);
		/* Does the VM still run its profile as the profile is? */
		if (!tdxsim_kernel_design(kvm->tdxsim_kernel, &profile, NULL, 0))
			kvm->tdxsim_kernel_modified =
				memcmp(&profile, &kvm->design, sizeof(profile));
	}
	mutex_unlock(&kvm->lock);
	return r;
}

static void tdxsim_vm_get_design(struct kvm *kvm, struct tdxsim_design *d)
{
	const struct tdxsim_design_switch *sw;
	size_t i, n;

	memset(d, 0, sizeof(*d));
	d->version = TDXSIM_DESIGN_VERSION;
	sw = tdxsim_design_switches(&n);
	for (i = 0; i < n; i++)
		*(__tdxsim_u32 *)((char *)d + sw[i].offset) =
			READ_ONCE(*(__tdxsim_u32 *)((char *)&kvm->design +
						     sw[i].offset));
}

/* ---- the kernel profile (TDXSIM_SET_KERNEL, TDXSIM_GET_KERNEL) ---- */

static int tdxsim_vm_set_kernel(struct kvm *kvm, const struct tdxsim_kernel *k)
{
	struct tdxsim_design d;
	unsigned int i;
	int r;

	for (i = 0; i < ARRAY_SIZE(k->reserved); i++) {
		if (k->reserved[i])
			return -EINVAL;
	}
	if (k->flags || !memchr(k->name, 0, sizeof(k->name)))
		return -EINVAL;
	r = tdxsim_kernel_design(k->name, &d, NULL, 0);
	if (r)
		return r;

	mutex_lock(&kvm->lock);
	if (kvm->design_frozen || kvm->created_vcpus) {
		r = -EBUSY;
	} else {
		tdxsim_write_design(kvm, &d);
		snprintf(kvm->tdxsim_kernel, sizeof(kvm->tdxsim_kernel), "%s",
			 k->name);
		kvm->tdxsim_kernel_modified = false;
	}
	mutex_unlock(&kvm->lock);
	return r;
}

static void tdxsim_vm_get_kernel(struct kvm *kvm, struct tdxsim_kernel *k)
{
	memset(k, 0, sizeof(*k));
	mutex_lock(&kvm->lock);
	snprintf(k->name, sizeof(k->name), "%s", kvm->tdxsim_kernel);
	if (kvm->tdxsim_kernel_modified)
		k->flags |= TDXSIM_KERNEL_MODIFIED;
	mutex_unlock(&kvm->lock);
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
	struct tdx_pamt_bytes pb;

	if (!tdx_module_ready())
		return -ENODEV;
	st.pamt_violations = tdx_module_pamt_violations();
	st.pages_owned = tdx_module_pages_owned_total();
	tdx_module_pamt_bytes(&pb);
	st.pamt_static_bytes = pb.static_pamt;
	if (pb.dynamic || pb.pairs_peak)
		st.pamt_dynamic_peak_bytes = pb.dynamic_pamt -
					     pb.pairs * 2 * PAGE_SIZE +
					     pb.pairs_peak * 2 * PAGE_SIZE +
					     /* v6's refcount array: an atomic_t per 2M */
					     (pb.covered >> 21) * 4;
	st.pamt_pairs = pb.pairs;
	st.pamt_pairs_peak = pb.pairs_peak;
	st.pamt_adds = tdx_module_host_seamcalls(TDH_PHYMEM_PAMT_ADD);
	st.pamt_removes = tdx_module_host_seamcalls(TDH_PHYMEM_PAMT_REMOVE);
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
	case TDXSIM_GET_LOCK_STATS:
		return tdxsim_get_lock_stats(argp);
	default:
		return -EINVAL;
	}
}

/*
 * The read-only controls of a VM (on its VM fd or, for those a VMM may want
 * after closing the VM fd, a vCPU fd): they also work on a dead VM.
 * -ENOIOCTLCMD for any other.
 */
static long tdxsim_vm_read_ioctl(struct kvm *kvm, unsigned long ioctl,
				 void *argp)
{
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
	case TDXSIM_GET_KERNEL: {
		struct tdxsim_kernel k;

		tdxsim_vm_get_kernel(kvm, &k);
		return copy_to_user(argp, &k, sizeof(k)) ? -EFAULT : 0;
	}
	default:
		return -ENOIOCTLCMD;
	}
}

long tdxsim_vm_ioctl(struct kvm *kvm, unsigned long ioctl, unsigned long arg)
{
	void *argp = (void *)arg;
	long r;

	if (TDXSIM_IOC_TYPE(ioctl) != TDXSIMIO) {
		if (ioctl == KVM_MEMORY_ENCRYPT_OP && !kvm_vm_is_dead(kvm))
			tdxsim_freeze_design_on_init(kvm, arg);
		return -ENOIOCTLCMD;
	}

	/* The read-only controls also work on a dead VM. */
	r = tdxsim_vm_read_ioctl(kvm, ioctl, argp);
	if (r != -ENOIOCTLCMD)
		return r;

	if (kvm_vm_is_dead(kvm))
		return -EIO;

	switch (ioctl) {
	case TDXSIM_SET_DESIGN: {
		struct tdxsim_design d;

		if (copy_from_user(&d, argp, sizeof(d)))
			return -EFAULT;
		return tdxsim_vm_set_design(kvm, &d);
	}
	case TDXSIM_SET_KERNEL: {
		struct tdxsim_kernel k;

		if (copy_from_user(&k, argp, sizeof(k)))
			return -EFAULT;
		return tdxsim_vm_set_kernel(kvm, &k);
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

	/* The VM's failure record and counters, also once the VM fd is closed. */
	if (ioctl == TDXSIM_GET_STATS || ioctl == TDXSIM_GET_VM_FAILURE)
		return tdxsim_vm_read_ioctl(vcpu->kvm, ioctl, (void *)arg);
	if (kvm_vm_is_dead(vcpu->kvm))
		return -EIO;

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
