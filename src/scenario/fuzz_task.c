// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tdxsim's addition: the fuzzer's racing tasks (fuzz_exec.c runs them).
 * VMM operations call the uAPI of the operation's TD as a VMM does,
 * retrying what means "another task first"; a vCPU task runs KVM_RUN in
 * a loop and converts memory on memory-fault and MapGPA exits as QEMU
 * does. Every answer is kept for the oracles (fuzz_oracle.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tdxsim/sched.h"
#include "tdxsim/vmm.h"
#include "scenario/fuzz_exec.h"

/* A vCPU task stops after this many KVM_RUN calls. */
#define FZ_MAX_KVM_RUNS		256
/* Retries of an EAGAIN/EINTR/EBUSY answer that means "another task first". */
#define FZ_MAX_RETRIES		64

/* --- VMM operations ----------------------------------------------------------- */

/*
 * In-place conversion (cap 250): the VM ioctl refuses PRIVATE, so convert
 * what the slots map of [gpa, gpa + size) on their guest_memfds, as a VMM
 * that knows the series does; the VM ioctl's checks first.
 */
static int fz_set_attr_gmem(struct fz_run *r, unsigned int t, u64 gpa,
			    u64 size, bool private)
{
	const struct fz_td *td = &r->p->td[t];
	struct fz_vm *vm = &r->vm[t];
	unsigned int i;

	if (!size || gpa + size < gpa || !IS_ALIGNED(gpa | size, PAGE_SIZE))
		return EINVAL;
	for (i = 0; i < FZ_MAX_SLOTS; i++) {
		const struct fz_slot *s = &td->slot[i];
		u64 a = max(gpa, s->gpa), e = min(gpa + size, s->gpa + s->size);
		struct kvm_memory_attributes2 attrs = {
			.offset = s->offset + a - s->gpa,
			.size = e - a,
			.attributes = private ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0,
		};
		int tries = 0, fd = vm->gmem_fd[s->gmem];

		/* A closed guest_memfd: its release unbound it, nothing to do. */
		if (!s->present || !vm->slot_in[i] || a >= e || fd < 0)
			continue;
		while (tdxsim_ioctl(fd, KVM_SET_MEMORY_ATTRIBUTES2, &attrs) < 0) {
			/* Closed by another task meanwhile: as above. */
			if (errno == EBADF)
				break;
			if ((errno != EAGAIN && errno != EINTR) ||
			    ++tries > FZ_MAX_RETRIES)
				return errno;
			tdxsim_cpu_relax();
		}
	}
	return 0;
}

static int fz_set_attr(struct fz_run *r, unsigned int t, u64 gpa, u64 size,
		       bool private)
{
	struct fz_vm *vm = &r->vm[t];
	struct kvm_memory_attributes attrs = {
		.address = gpa,
		.size = size,
		.attributes = private ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0,
	};
	int tries = 0, fd = vm->vm_fd;

	if (fd < 0)
		return EBADF;
	if (vm->gmem_attrs)
		return fz_set_attr_gmem(r, t, gpa, size, private);
	while (tdxsim_ioctl(fd, KVM_SET_MEMORY_ATTRIBUTES, &attrs) < 0) {
		if ((errno != EAGAIN && errno != EINTR) ||
		    ++tries > FZ_MAX_RETRIES)
			return errno;
		tdxsim_cpu_relax();
	}
	return 0;
}

static int fz_prefault(struct fz_vm *vm, unsigned int vcpu, u64 gpa, u64 size)
{
	struct kvm_pre_fault_memory range = { .gpa = gpa, .size = size };
	int tries = 0, fd = vm->vcpu_fd[vcpu];

	if (fd < 0)
		return EBADF;
	/* The ioctl advances @range; EAGAIN/EINTR leave the rest to redo. */
	while (range.size) {
		if (tdxsim_ioctl(fd, KVM_PRE_FAULT_MEMORY, &range) == 0)
			continue;
		if ((errno != EAGAIN && errno != EINTR) ||
		    ++tries > FZ_MAX_RETRIES)
			return errno;
		tdxsim_cpu_relax();
	}
	return 0;
}

static int fz_init_mem(struct fz_run *r, const struct fz_op *op)
{
	struct fz_vm *vm = &r->vm[op->td];
	struct kvm_tdx_init_mem_region region;
	struct kvm_tdx_cmd cmd = {
		.id = KVM_TDX_INIT_MEM_REGION,
		.flags = op->flag ? KVM_TDX_MEASURE_MEMORY_REGION : 0,
	};
	size_t len = op->b * PAGE_SIZE;
	int tries = 0, fd = vm->vcpu_fd[op->obj];
	u64 i;

	if (fd < 0)
		return EBADF;
	/* One source buffer per run, as big as the largest region. */
	if (!r->src || r->src_len < len) {
		void *src = aligned_alloc(PAGE_SIZE, len);

		if (!src)
			return ENOMEM;
		free(r->src);
		r->src = src;
		r->src_len = len;
		for (i = 0; i < len; i++)
			((u8 *)src)[i] = (u8)(i * 7 + (i >> PAGE_SHIFT) + 1);
	}
	region = (struct kvm_tdx_init_mem_region){
		.source_addr = (u64)(uintptr_t)r->src,
		.gpa = op->a,
		.nr_pages = op->b,
	};
	cmd.data = (u64)(uintptr_t)&region;
	while (region.nr_pages) {
		cmd.hw_error = 0;
		if (tdxsim_ioctl(fd, KVM_MEMORY_ENCRYPT_OP, &cmd) == 0)
			continue;
		if ((errno != EAGAIN && errno != EINTR && errno != EBUSY) ||
		    ++tries > FZ_MAX_RETRIES)
			return errno;
		tdxsim_cpu_relax();	/* waits for another task */
	}
	return 0;
}

static int fz_tdx_cmd(int fd, u32 id)
{
	struct kvm_tdx_cmd cmd = { .id = id };

	if (fd < 0)
		return EBADF;
	return tdxsim_ioctl(fd, KVM_MEMORY_ENCRYPT_OP, &cmd) < 0 ? errno : 0;
}

static int fz_host_access(struct fz_vm *vm, const struct fz_op *op, bool write)
{
	u8 *buf, *map = vm->gmem_map[op->obj];
	int ret;

	if (!map)
		return EBADF;
	buf = xmalloc(op->b);
	/* The host's own bytes: never a guest pattern. */
	memset(buf, 0xA5, op->b);
	ret = tdxsim_gmem_host_access(map + op->a, buf, op->b, write);
	free(buf);
	return ret < 0 ? -ret : 0;
}

/* The host's 4K pages in use now (the page allocator's count). */
static u64 fz_host_pages(int kvm_fd)
{
	struct tdxsim_host_memory hm = { 0 };

	tdxsim_ioctl(kvm_fd, TDXSIM_GET_HOST_MEMORY, &hm);
	return hm.pages_in_use;
}

/*
 * "alloc G OFF SIZE edge=N" (FZ_ALLOC_EDGE): 4K pages of [OFF, OFF+SIZE)
 * allocated one at a time until the allocator has opened a new 2M block
 * and carved it up to N pages before its end (the host's pages in use,
 * modulo 512, as scn_host_writes_to_block_end() counts them), or the
 * range is done. The next allocation then takes the block's last N pages
 * and the one after opens the next block: what puts a region boundary
 * under a PAMT.ADD and its pair (docs/fuzz-programs.md, "Biases").
 */
static int fz_alloc_edge(struct fz_vm *vm, const struct fz_op *op)
{
	int fd = vm->gmem_fd[op->obj];
	u64 left = op->pattern, used, now, off;
	bool wrapped = false;

	if (fd < 0)
		return EBADF;
	used = fz_host_pages(vm->kvm_fd) % 512;
	for (off = op->a; off < op->a + op->b; off += PAGE_SIZE) {
		now = fz_host_pages(vm->kvm_fd) % 512;
		wrapped |= now < used;
		used = now;
		if (wrapped && now == (512 - left) % 512)
			break;
		if (tdxsim_fallocate(fd, FALLOC_FL_KEEP_SIZE, off,
				     PAGE_SIZE) < 0)
			return errno;
	}
	return 0;
}

int fz_vmm_op(struct fz_run *r, const struct fz_op *op)
{
	const struct fz_td *td = &r->p->td[op->td];
	struct fz_vm *vm = &r->vm[op->td];
	unsigned int i;
	int ret, fd;

	switch (op->kind) {
	case FZ_PUNCH:
	case FZ_ALLOC:
		if (op->kind == FZ_ALLOC && op->flag == FZ_ALLOC_EDGE)
			return fz_alloc_edge(vm, op);
		fd = vm->gmem_fd[op->obj];
		if (fd < 0)
			return EBADF;
		ret = tdxsim_fallocate(fd, FALLOC_FL_KEEP_SIZE |
				       (op->kind == FZ_PUNCH ?
					FALLOC_FL_PUNCH_HOLE : 0),
				       op->a, op->b);
		return ret < 0 ? errno : 0;
	case FZ_ATTR:
		return fz_set_attr(r, op->td, op->a, op->b, op->flag);
	case FZ_PREFAULT:
		return fz_prefault(vm, op->obj, op->a, op->b);
	case FZ_SLOT_DELETE:
	case FZ_SLOT_ADD:
		if (!td->slot[op->obj].present)
			return EINVAL;
		return fz_slot_set(r, op->td, op->obj, op->kind == FZ_SLOT_ADD);
	case FZ_INIT_VCPU:
		return fz_tdx_cmd(vm->vcpu_fd[op->obj], KVM_TDX_INIT_VCPU);
	case FZ_INIT_MEM:
		return fz_init_mem(r, op);
	case FZ_FINALIZE:
		return fz_tdx_cmd(vm->vm_fd, KVM_TDX_FINALIZE_VM);
	case FZ_CLOSE:
		return fz_close_obj(vm, &op->order[0]);
	case FZ_TEARDOWN:
		ret = 0;
		for (i = 0; i < op->nr_order; i++) {
			int e = fz_close_obj(vm, &op->order[i]);

			/* Closing what is already closed is the VMM's business. */
			if (e && e != EBADF && !ret)
				ret = e;
		}
		if (op->flag == FZ_TEARDOWN_EXIT)
			fz_unmap(r, op->td);
		return ret;
	case FZ_HOST_READ:
	case FZ_HOST_WRITE:
		return fz_host_access(vm, op, op->kind == FZ_HOST_WRITE);
	}
	return EINVAL;
}

/* --- tasks ------------------------------------------------------------------- */

static bool fz_gpa_in_slot(struct fz_run *r, unsigned int t, u64 gpa)
{
	const struct fz_td *td = &r->p->td[t];
	struct fz_vm *vm = &r->vm[t];
	unsigned int i;

	for (i = 0; i < FZ_MAX_SLOTS; i++) {
		const struct fz_slot *s = &td->slot[i];

		if (s->present && vm->slot_in[i] && gpa >= s->gpa &&
		    gpa < s->gpa + s->size)
			return true;
	}
	return false;
}

/* The KVM_RUN loop of a vCPU task, as QEMU's vCPU thread runs a TD. */
static void fz_vcpu_task(struct fz_task_state *ts, const struct fz_task *t)
{
	struct fz_run *r = ts->run;
	struct fz_vm *vm = &r->vm[t->td];
	unsigned int v = t->vcpu, waits = 0;

	for (;;) {
		int fd = vm->vcpu_fd[v], ret;
		struct kvm_run *run = vm->vcpu_run[v];

		if (ts->kvm_runs >= FZ_MAX_KVM_RUNS) {
			ts->gave_up = true;
			return;
		}
		if (fd < 0) {
			ts->run_errno = EBADF;
			return;
		}
		ts->kvm_runs++;
		ret = tdxsim_ioctl(fd, KVM_RUN, 0);
		/*
		 * The VMM exited meanwhile (an exit): kvm_run is gone, the
		 * vCPU closed (EBADF), but an -EIO is kept: of a VM the guest
		 * killed, it is the evidence fz_vm_dead() needs once the VM
		 * fd is closed. (Any other answer is moot: an -EFAULT of a
		 * fault that found the guest_memfd released, say.)
		 */
		if (vm->vcpu_run[v] != run) {
			ts->run_errno = ret < 0 && errno == EIO ? EIO : EBADF;
			return;
		}
		if (ret < 0 && (errno == EINTR || errno == EAGAIN)) {
			tdxsim_cpu_relax();
			continue;
		}
		/*
		 * Not runnable yet (the launch goes on in another task): a
		 * VMM's vCPU thread waits for the machine to be ready.
		 */
		if (ret < 0 && errno == EINVAL && ++waits <= FZ_MAX_RETRIES) {
			ts->kvm_runs--;
			tdxsim_cpu_relax();
			continue;
		}
		if (ret < 0 && !(errno == EFAULT &&
				 run->exit_reason == KVM_EXIT_MEMORY_FAULT)) {
			ts->run_errno = errno;
			return;
		}
		ts->last_exit = run->exit_reason;
		switch (run->exit_reason) {
		case KVM_EXIT_MEMORY_FAULT: {
			u64 gpa = run->memory_fault.gpa;
			int e;

			if (ret == 0)
				break;
			/* QEMU cannot convert memory it never assigned. */
			if (!fz_gpa_in_slot(r, t->td, gpa)) {
				ts->no_slot = true;
				ts->run_errno = EFAULT;
				return;
			}
			ts->conversions++;
			e = fz_set_attr(r, t->td, gpa, run->memory_fault.size,
					run->memory_fault.flags &
					KVM_MEMORY_EXIT_FLAG_PRIVATE);
			if (e) {
				ts->convert_errno = e;
				return;
			}
			break;
		}
		case KVM_EXIT_HYPERCALL: {
			int e;

			if (run->hypercall.nr != KVM_HC_MAP_GPA_RANGE) {
				run->hypercall.ret = -ENOSYS;
				break;
			}
			ts->conversions++;
			e = fz_set_attr(r, t->td, run->hypercall.args[0],
					run->hypercall.args[1] << PAGE_SHIFT,
					run->hypercall.args[2] &
					KVM_MAP_GPA_RANGE_ENCRYPTED);
			run->hypercall.ret = e ? -e : 0;
			if (e && e != EAGAIN && e != EINVAL)
				ts->convert_errno = e;
			break;
		}
		case KVM_EXIT_HLT:
			ts->halted = true;
			return;
		case KVM_EXIT_INTERNAL_ERROR:
			if (run->internal.suberror ==
			    TDXSIM_INTERNAL_ERROR_LIVELOCK)
				ts->livelock_exit = true;
			if (run->internal.suberror ==
			    KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON)
				ts->unexpected_exit = run->internal.data[0];
			return;
		default:
			/* Shutdown, a fatal error, MMIO (tdxsim has none). */
			return;
		}
	}
}

int fz_task_fn(void *arg)
{
	struct fz_task_state *ts = arg;
	struct fz_run *r = ts->run;
	const struct fz_task *t = &r->p->tasks[ts->index];
	unsigned int i;

	if (t->kind == FZ_TASK_VCPU) {
		fz_vcpu_task(ts, t);
		return 0;
	}
	for (i = 0; i < t->nr_ops; i++) {
		ts->err[i] = fz_vmm_op(r, &t->ops[i]);
		r->ops_done++;
	}
	return 0;
}
