// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The VMM's vCPU threads, as QEMU runs them for a TD: one thread per vCPU in
 * a KVM_RUN loop; memory-fault exits and MapGPA convert attributes, HLT is
 * the guest's end, an interrupted KVM_RUN is re-entered. And the progress
 * display the tdxsim command reads while they run.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tdxsim/tdx.h"
#include "vmm/vmm_internal.h"

void tdxsim_vmm_progress_init(struct tdxsim_vmm_progress *p)
{
	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
}

void tdxsim_vmm_progress_destroy(struct tdxsim_vmm_progress *p)
{
	pthread_mutex_destroy(&p->lock);
}

bool tdxsim_vmm_progress_guest_stats(struct tdxsim_vmm_progress *p,
			      struct tdxsim_guest_stats *st)
{
	bool ok = false;

	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&p->lock);
	if (p->guest) {
		tdxsim_guest_get_stats(p->guest, TDXSIM_GUEST_ALL_VCPUS, st);
		ok = true;
	}
	pthread_mutex_unlock(&p->lock);
	return ok;
}

/* Publish the guest to the progress display, or (NULL) withdraw it. */
void vmm_publish_guest(struct vmm *v, struct tdxsim_guest_model *g)
{
	struct tdxsim_vmm_progress *p = v->cfg->progress;

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->guest = g;
	pthread_mutex_unlock(&p->lock);
}

/* --- vCPU threads --------------------------------------------------------------------------------- */

/* Is [gpa, gpa + size) inside memory the VMM gave the guest (a memslot)? */
static bool vmm_gpa_is_memory(struct vmm *v, u64 gpa, u64 size)
{
	u64 end = gpa + size;

	if (end < gpa)
		return false;
	if (end <= v->low_ram)
		return true;
	if (v->high_ram && gpa >= HIGH_RAM_BASE &&
	    end <= HIGH_RAM_BASE + v->high_ram)
		return true;
	return v->fw_base < FW_TOP && gpa >= v->fw_base && end <= FW_TOP;
}

static int vmm_convert(struct vmm *v, u64 gpa, u64 size, bool private)
{
	if (vmm_set_private(v, gpa, size, private) < 0)
		return -errno;
	return 0;
}

static int vmm_vcpu_thread(void *arg)
{
	struct vmm_vcpu *vc = arg;
	struct vmm *v = vc->vmm;
	struct tdxsim_vmm_vcpu_result *res = vc->res;
	struct kvm_run *run = vc->run;

	for (;;) {
		int r;

		if (v->cfg->max_runs_per_vcpu &&
		    res->runs >= v->cfg->max_runs_per_vcpu)
			return 0;
		res->runs++;
		if (v->cfg->progress)
			__atomic_fetch_add(&v->cfg->progress->kvm_runs, 1,
					   __ATOMIC_RELAXED);
		r = tdxsim_ioctl(vc->fd, KVM_RUN, 0);
		/* As QEMU: an interrupted KVM_RUN is simply re-entered. */
		if (r < 0 && (errno == EINTR || errno == EAGAIN)) {
			res->interrupted++;
			continue;
		}
		if (r < 0 && errno != EFAULT) {
			res->last_errno = errno;
			return -errno;
		}
		if (run->exit_reason < ARRAY_SIZE(res->exits))
			res->exits[run->exit_reason]++;
		res->last_exit = run->exit_reason;

		switch (run->exit_reason) {
		case KVM_EXIT_MEMORY_FAULT:
			if (r == 0)
				break;
			/*
			 * As QEMU: memory the VMM never assigned cannot be
			 * converted, the vCPU stops with the error (re-entering
			 * would fault again, forever).
			 */
			if (!vmm_gpa_is_memory(v, run->memory_fault.gpa,
					       run->memory_fault.size)) {
				vc->bad_gpa = run->memory_fault.gpa;
				res->last_errno = EFAULT;
				return -EFAULT;
			}
			res->memory_faults++;
			if (vmm_convert(v, run->memory_fault.gpa,
					run->memory_fault.size,
					run->memory_fault.flags &
						KVM_MEMORY_EXIT_FLAG_PRIVATE)) {
				res->last_errno = errno;
				return -errno;
			}
			break;
		case KVM_EXIT_HYPERCALL:
			if (run->hypercall.nr != KVM_HC_MAP_GPA_RANGE) {
				run->hypercall.ret = -ENOSYS;
				break;
			}
			res->map_gpa++;
			run->hypercall.ret = vmm_convert(
				v, run->hypercall.args[0],
				run->hypercall.args[1] << PAGE_SHIFT,
				run->hypercall.args[2] &
					KVM_MAP_GPA_RANGE_ENCRYPTED) ?
				EINVAL : 0;
			break;
		case KVM_EXIT_TDX:
			/*
			 * GetQuote: no quote service here; the buffer stays
			 * as the guest wrote it (no quote in it).
			 */
			run->tdx.unknown.ret =
				run->tdx.nr == TDVMCALL_GET_QUOTE ?
				TDVMCALL_STATUS_SUCCESS :
				TDVMCALL_STATUS_SUBFUNC_UNSUPPORTED;
			break;
		case KVM_EXIT_HLT:
			res->halted = true;
			return 0;
		default:
			/* Shutdown, a fatal error, the livelock detector... */
			return 0;
		}
	}
}

static int vmm_vcpu_fn(void *arg)
{
	struct vmm_vcpu *vc = arg;
	int r = vmm_vcpu_thread(vc);

	if (vc->vmm->cfg->progress)
		__atomic_fetch_add(&vc->vmm->cfg->progress->vcpus_done, 1,
				   __ATOMIC_RELAXED);
	return r;
}

int vmm_run_vcpus(struct vmm *v)
{
	unsigned int i;

	for (i = 0; i < v->nr_vcpus; i++) {
		char name[32];

		snprintf(name, sizeof(name), "vcpu%u", i);
		v->vcpus[i].task = tdxsim_thread_create(name, vmm_vcpu_fn,
					       &v->vcpus[i]);
	}
	for (i = 0; i < v->nr_vcpus; i++)
		tdxsim_thread_join(v->vcpus[i].task);
	return 0;
}
