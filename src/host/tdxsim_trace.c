// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tdxsim's addition: the system calls in the trace, named as a VMM
 * developer knows them ("KVM_RUN", "KVM_TDX_INIT_MEM_REGION"), and the
 * public tracing API (include/tdxsim/trace.h) over base's tracer and the
 * lock validator's graph.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base/lockdep.h"
#include "host/tdxsim_trace.h"
#include "tdxsim/kvm.h"
#include "tdxsim/tdxsim.h"
#include "tdxsim/trace.h"

static const struct {
	unsigned long request;
	const char *name;
} ioctl_names[] = {
	{ KVM_GET_API_VERSION, "KVM_GET_API_VERSION" },
	{ KVM_CREATE_VM, "KVM_CREATE_VM" },
	{ KVM_CHECK_EXTENSION, "KVM_CHECK_EXTENSION" },
	{ KVM_GET_VCPU_MMAP_SIZE, "KVM_GET_VCPU_MMAP_SIZE" },
	{ KVM_CREATE_VCPU, "KVM_CREATE_VCPU" },
	{ KVM_SET_USER_MEMORY_REGION, "KVM_SET_USER_MEMORY_REGION" },
	{ KVM_SET_USER_MEMORY_REGION2, "KVM_SET_USER_MEMORY_REGION2" },
	{ KVM_SET_MEMORY_ATTRIBUTES, "KVM_SET_MEMORY_ATTRIBUTES" },
	{ KVM_CREATE_GUEST_MEMFD, "KVM_CREATE_GUEST_MEMFD" },
	{ KVM_PRE_FAULT_MEMORY, "KVM_PRE_FAULT_MEMORY" },
	{ KVM_RUN, "KVM_RUN" },
	{ TDXSIM_SET_DESIGN, "TDXSIM_SET_DESIGN" },
	{ TDXSIM_GET_DESIGN, "TDXSIM_GET_DESIGN" },
	{ TDXSIM_SET_KERNEL, "TDXSIM_SET_KERNEL" },
	{ TDXSIM_GET_KERNEL, "TDXSIM_GET_KERNEL" },
	{ TDXSIM_SET_GUEST, "TDXSIM_SET_GUEST" },
	{ TDXSIM_INJECT_FAULT, "TDXSIM_INJECT_FAULT" },
	{ TDXSIM_GET_STATS, "TDXSIM_GET_STATS" },
	{ TDXSIM_GET_MRTD, "TDXSIM_GET_MRTD" },
	{ TDXSIM_GET_MODULE_STATS, "TDXSIM_GET_MODULE_STATS" },
	{ TDXSIM_GET_TD_STATS, "TDXSIM_GET_TD_STATS" },
	{ TDXSIM_GET_HOST_MEMORY, "TDXSIM_GET_HOST_MEMORY" },
	{ TDXSIM_CHECK_INVARIANTS, "TDXSIM_CHECK_INVARIANTS" },
	{ TDXSIM_GET_VM_FAILURE, "TDXSIM_GET_VM_FAILURE" },
	{ TDXSIM_GET_REPORTS, "TDXSIM_GET_REPORTS" },
	{ TDXSIM_GET_SCHED_VERDICT, "TDXSIM_GET_SCHED_VERDICT" },
	{ TDXSIM_GET_LOCK_STATS, "TDXSIM_GET_LOCK_STATS" },
};

static const char *const tdx_cmd_names[] = {
	[KVM_TDX_CAPABILITIES] = "KVM_TDX_CAPABILITIES",
	[KVM_TDX_INIT_VM] = "KVM_TDX_INIT_VM",
	[KVM_TDX_INIT_VCPU] = "KVM_TDX_INIT_VCPU",
	[KVM_TDX_INIT_MEM_REGION] = "KVM_TDX_INIT_MEM_REGION",
	[KVM_TDX_FINALIZE_VM] = "KVM_TDX_FINALIZE_VM",
	[KVM_TDX_GET_CPUID] = "KVM_TDX_GET_CPUID",
};

/*
 * Read @n bytes at user address @from for the slice's name, through the
 * kernel: a bad pointer is the ioctl's -EFAULT to give, not the tracer's
 * crash, and nothing here takes a lock or a schedule point (a traced run
 * schedules as an untraced one does).
 */
static bool peek_user(void *to, unsigned long from, size_t n)
{
	struct iovec l = { .iov_base = to, .iov_len = n };
	struct iovec r = { .iov_base = (void *)from, .iov_len = n };

	return from >= 4096 &&
	       process_vm_readv(getpid(), &l, 1, &r, 1, 0) == (ssize_t)n;
}

void host_trace_ioctl_begin(int fd, unsigned long request, unsigned long arg)
{
	const char *name = NULL;
	char buf[48];
	unsigned int i;

	/* A TDX command is named by its id (the kernel copies it in first). */
	if (request == KVM_MEMORY_ENCRYPT_OP) {
		struct kvm_tdx_cmd cmd;

		if (peek_user(&cmd, arg, sizeof(cmd)) &&
		    cmd.id < ARRAY_SIZE(tdx_cmd_names))
			name = tdx_cmd_names[cmd.id];
	}
	for (i = 0; !name && i < ARRAY_SIZE(ioctl_names); i++)
		if (ioctl_names[i].request == request)
			name = ioctl_names[i].name;
	if (!name) {
		snprintf(buf, sizeof(buf), "ioctl %#lx", request);
		name = buf;
	}
	tdxsim_trace_begin(TDXSIM_TRACK_TASK, name, NULL,
			   "\"fd\": %d, \"request\": \"%#lx\"", fd, request);
}

void host_trace_fallocate_begin(int fd, int mode, long long offset,
				long long len)
{
	tdxsim_trace_begin(TDXSIM_TRACK_TASK, "fallocate", NULL,
			   "\"fd\": %d, \"mode\": \"%#x\", \"offset\": \"%#llx\", \"len\": \"%#llx\"",
			   fd, mode, offset, len);
}

void host_trace_syscall_end(long r)
{
	tdxsim_trace_end(TDXSIM_TRACK_TASK, "\"ret\": %ld", r);
}

int tdxsim_lockdep_graph_write(FILE *f)
{
	if (!f)
		return -EINVAL;
	return lockdep_graph_write(f);
}
