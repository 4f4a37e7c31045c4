// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The VMM's results and teardown: the counters KVM and the module kept, the
 * invariant check, the guest's outcome, then every descriptor closed and
 * what the module still owns afterwards.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ulib/strbuf.h"
#include "vmm/vmm_internal.h"

/* --- results and teardown ----------------------------------------------------------------------- */

void vmm_collect(struct vmm *v)
{
	struct tdxsim_vmm_result *res = v->res;
	struct tdxsim_check check = { 0 };
	size_t len = 1 << 16;
	unsigned int i;

	tdxsim_ioctl(v->vm_fd, TDXSIM_GET_KERNEL, &res->kernel);
	tdxsim_ioctl(v->vm_fd, TDXSIM_GET_DESIGN, &res->design);
	tdxsim_ioctl(v->vm_fd, TDXSIM_GET_STATS, &res->kvm);
	tdxsim_ioctl(v->vm_fd, TDXSIM_GET_TD_STATS, &res->td);
	res->invariant_report = calloc(1, len);
	check.buf = (u64)(uintptr_t)res->invariant_report;
	check.len = len;
	if (tdxsim_ioctl(v->vm_fd, TDXSIM_CHECK_INVARIANTS, &check) == 0)
		res->invariant_errors = check.errors;
	else if (errno == EIO)
		res->vm_dead = true;
	if (res->kvm.vm_bugged)
		res->vm_dead = true;
	for (i = 0; i < v->nr_vcpus; i++) {
		if (v->vcpus[i].res->last_errno == EIO)
			res->vm_dead = true;
		if (v->vcpus[i].res->last_exit == KVM_EXIT_INTERNAL_ERROR &&
		    v->vcpus[i].run &&
		    v->vcpus[i].run->internal.suberror ==
			    TDXSIM_INTERNAL_ERROR_LIVELOCK)
			res->livelock = true;
	}
	if (v->guest) {
		tdxsim_guest_get_stats(v->guest, TDXSIM_GUEST_ALL_VCPUS,
				       &res->guest);
		res->guest_data_failures = tdxsim_guest_data_failures(v->guest);
		res->guest_finished = tdxsim_guest_finished(v->guest);
		if (tdxsim_guest_nr_messages(v->guest)) {
			struct strbuf sb = STRBUF_INIT;
			const char *m;
			size_t k;

			for (k = 0; (m = tdxsim_guest_message(v->guest, k)); k++)
				sb_printf(&sb, "%s\n", m);
			res->guest_messages = xstrdup(sb_str(&sb));
			sb_free(&sb);
		}
	}
}

void vmm_teardown(struct vmm *v)
{
	unsigned int i;

	for (i = 0; i < v->nr_vcpus; i++) {
		if (v->vcpus[i].run)
			tdxsim_munmap(v->vcpus[i].run, v->run_size);
		if (v->vcpus[i].fd >= 0)
			tdxsim_close(v->vcpus[i].fd);
	}
	/* The slots' mappings hold file references; unmapping drops them. */
	for (i = 0; i < v->nr_maps; i++)
		tdxsim_munmap(v->maps[i].addr, v->maps[i].len);
	if (v->ram_fd >= 0)
		tdxsim_close(v->ram_fd);
	if (v->fw_fd >= 0)
		tdxsim_close(v->fw_fd);
	if (v->vm_fd >= 0)
		tdxsim_close(v->vm_fd);
	if (v->kvm_fd >= 0)
		tdxsim_close(v->kvm_fd);
	if (v->guest) {
		vmm_publish_guest(v, NULL);
		tdxsim_guest_destroy(v->guest);
	}
	free(v->fw_owned);
}

/* After teardown the module must hold nothing: every page was reclaimed. */
void vmm_check_teardown(struct tdxsim_vmm_result *res)
{
	struct tdxsim_module_stats st;
	int fd = tdxsim_open("/dev/kvm", 0);

	if (fd < 0)
		return;
	if (tdxsim_ioctl(fd, TDXSIM_GET_MODULE_STATS, &st) == 0) {
		res->pages_owned_after = st.pages_owned;
		res->pamt_violations = st.pamt_violations;
		res->module = st;
	}
	tdxsim_close(fd);
}

/* The guest did not finish: say where the first stopped vCPU left. */
int vmm_fail_unfinished(struct vmm *v)
{
	unsigned int i;

	for (i = 0; i < v->nr_vcpus; i++) {
		const struct tdxsim_vmm_vcpu_result *vr = &v->res->vcpu[i];

		if (vr->halted)
			continue;
		if (vr->last_errno == EFAULT && v->vcpus[i].bad_gpa)
			return vmm_fail(v, 1,
				    "the guest did not finish: vCPU %u faulted at GPA 0x%llx, outside the guest's memory (no memslot)",
				    i, (unsigned long long)v->vcpus[i].bad_gpa);
		if (vr->last_errno)
			return vmm_fail(v, 1,
				    "the guest did not finish: vCPU %u's KVM_RUN failed: %s",
				    i, strerror(vr->last_errno));
		if (vr->last_exit != KVM_EXIT_HLT)
			return vmm_fail(v, 1,
				    "the guest did not finish: vCPU %u stopped on exit reason %u",
				    i, vr->last_exit);
	}
	return vmm_fail(v, 1, "the guest did not finish");
}

/* Every lock class's counts now (NULL, *@n = 0 if they can't be read). */
struct tdxsim_lock_class *vmm_lock_stats(struct vmm *v, unsigned int *n)
{
	struct tdxsim_lock_stats ls = { 0 };
	struct tdxsim_lock_class *c = NULL;

	*n = 0;
	for (;;) {
		ls.classes = (uint64_t)(uintptr_t)c;
		if (!tdxsim_ioctl(v->kvm_fd, TDXSIM_GET_LOCK_STATS, &ls))
			break;
		free(c);
		if (errno != E2BIG)
			return NULL;
		/* Room for classes registered meanwhile, too. */
		ls.nr += 16;
		c = calloc(ls.nr, sizeof(*c));
		if (!c)
			return NULL;
	}
	*n = ls.nr;
	return c;
}

/* res->run_locks: the counts now less @before's (freed), changes only. */
void vmm_lock_stats_delta(struct vmm *v, struct tdxsim_lock_class *before,
			  unsigned int nr_before)
{
	struct tdxsim_vmm_result *res = v->res;
	struct tdxsim_lock_class *now;
	unsigned int n, i, j, k = 0;

	now = vmm_lock_stats(v, &n);
	for (i = 0; i < n; i++) {
		struct tdxsim_lock_class *c = &now[i];

		for (j = 0; j < nr_before; j++) {
			if (strcmp(before[j].name, c->name))
				continue;
			c->acquisitions_read -= before[j].acquisitions_read;
			c->acquisitions_write -= before[j].acquisitions_write;
			c->contentions_read -= before[j].contentions_read;
			c->contentions_write -= before[j].contentions_write;
			break;
		}
		if (c->acquisitions_read || c->acquisitions_write)
			now[k++] = *c;
	}
	free(before);
	free(res->run_locks);
	res->run_locks = now;
	res->nr_run_locks = k;
}

void tdxsim_vmm_result_free(struct tdxsim_vmm_result *res)
{
	free(res->run_locks);
	res->run_locks = NULL;
	res->nr_run_locks = 0;
	free(res->invariant_report);
	res->invariant_report = NULL;
	free(res->guest_messages);
	res->guest_messages = NULL;
	tdxsim_tdvf_info_free(&res->fw);
}
