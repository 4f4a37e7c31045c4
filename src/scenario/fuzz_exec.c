// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tdxsim's addition: the fuzzer's executor. One run of a fuzz program under
 * the deterministic scheduler: the TD built through the uAPI (guest_memfd
 * files and their mappings, memslots, vCPUs with the guest program), the
 * set-up operations in order, the racing tasks (VMM tasks calling the
 * uAPI, vCPU tasks in a KVM_RUN loop that converts memory as QEMU does),
 * then the evidence a VMM can read (the VM's counters and failure record,
 * the invariant checker, the guest's data checks, a scan of what the host
 * can read for the guest's private bytes) and the teardown. Every answer
 * the uAPI gives is kept for the oracles (fuzz_oracle.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "tdxsim/report.h"
#include "tdxsim/sched.h"
#include "tdxsim/vmm.h"
#include "scenario/fuzz_exec.h"

/* TD attribute bit (TDX module ABI); KVM requires SEPT_VE_DISABLE. */
#define TDX_TD_ATTR_SEPT_VE_DISABLE	(1ULL << 28)
/* A vCPU task stops after this many KVM_RUN calls. */
#define FZ_MAX_KVM_RUNS		256
/* Retries of an EAGAIN/EINTR/EBUSY answer that means "another task first". */
#define FZ_MAX_RETRIES		64

static void fz_build_fail(struct fz_run *r, int err, const char *what)
{
	if (r->build_err)
		return;
	r->build_err = err ? err : EIO;
	snprintf(r->build_what, sizeof(r->build_what), "%s", what);
}

struct fz_run *fz_run_new(const struct tdxsim_fuzz_program *p, char *err,
			  size_t errlen)
{
	struct fz_run *r = xzalloc(sizeof(*r));
	unsigned int i, j, t;

	if (fz_program_design(p, &r->design, err, errlen)) {
		free(r);
		return NULL;
	}
	r->p = p;
	for (t = 0; t < FZ_MAX_TDS; t++) {
		struct fz_vm *vm = &r->vm[t];

		vm->kvm_fd = vm->vm_fd = -1;
		for (i = 0; i < FZ_MAX_GMEMS; i++)
			vm->gmem_fd[i] = -1;
		for (i = 0; i < FZ_MAX_VCPUS; i++)
			vm->vcpu_fd[i] = -1;
		vm->invariant_errno = -1;
		if (t < p->nr_tds)
			r->view[t] = fz_program_view(p, t);
	}
	for (i = 0; i < FZ_MAX_OPS; i++)
		r->setup_err[i] = FZ_NOT_RUN;
	for (i = 0; i < FZ_MAX_TASKS; i++) {
		r->tasks[i].run = r;
		r->tasks[i].index = i;
		for (j = 0; j < FZ_MAX_OPS; j++)
			r->tasks[i].err[j] = FZ_NOT_RUN;
	}
	return r;
}

/* --- the TD ------------------------------------------------------------------ */

static int fz_slot_set(struct fz_run *r, unsigned int t, unsigned int i,
		       bool add)
{
	struct fz_vm *vm = &r->vm[t];
	const struct fz_slot *s = &r->p->td[t].slot[i];
	struct kvm_userspace_memory_region2 region = {
		.slot = i,
		.flags = KVM_MEM_GUEST_MEMFD,
		.guest_phys_addr = s->gpa,
		.memory_size = add ? s->size : 0,
		.guest_memfd_offset = s->offset,
	};
	int fd = vm->gmem_fd[s->gmem];

	/* A closed guest_memfd: the number is gone, as for a real VMM. */
	region.guest_memfd = fd < 0 ? (u32)-1 : (u32)fd;
	if (vm->gmem_map[s->gmem])
		region.userspace_addr =
			(u64)(uintptr_t)vm->gmem_map[s->gmem] + s->offset;
	if (vm->vm_fd < 0)
		return EBADF;
	if (tdxsim_ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION2, &region) < 0)
		return errno;
	vm->slot_in[i] = add;
	return 0;
}

/* Build TD @t through the uAPI. */
static int fz_build(struct fz_run *r, unsigned int t)
{
	const struct tdxsim_fuzz_program *p = r->p;
	const struct fz_td *td = &p->td[t];
	struct fz_vm *vm = &r->vm[t];
	struct kvm_tdx_init_vm *init;
	struct kvm_tdx_cmd cmd = { 0 };
	size_t size = sizeof(*init) + sizeof(struct kvm_cpuid_entry2);
	unsigned int i;
	int ret;

	vm->kvm_fd = tdxsim_open("/dev/kvm", 0);
	if (vm->kvm_fd < 0)
		return fz_build_fail(r, errno, "open /dev/kvm"), -1;
	vm->vm_fd = tdxsim_ioctl(vm->kvm_fd, KVM_CREATE_VM, KVM_X86_TDX_VM);
	if (vm->vm_fd < 0)
		return fz_build_fail(r, errno, "KVM_CREATE_VM"), -1;
	{
		struct tdxsim_kernel k = { 0 };

		snprintf(k.name, sizeof(k.name), "%s",
			 p->kernel[0] ? p->kernel : TDXSIM_KERNEL_DEFAULT);
		if (tdxsim_ioctl(vm->vm_fd, TDXSIM_SET_KERNEL, &k) < 0)
			return fz_build_fail(r, errno, "TDXSIM_SET_KERNEL"), -1;
	}
	if (p->design[0] &&
	    tdxsim_ioctl(vm->vm_fd, TDXSIM_SET_DESIGN, &r->design) < 0)
		return fz_build_fail(r, errno, "TDXSIM_SET_DESIGN"), -1;

	init = xzalloc(size);
	init->attributes = TDX_TD_ATTR_SEPT_VE_DISABLE;
	init->xfam = 0x3;
	init->cpuid.nent = 1;
	init->cpuid.entries[0].function = 0x80000008;
	init->cpuid.entries[0].eax = (48U << 16) | 52;
	cmd.id = KVM_TDX_INIT_VM;
	cmd.data = (u64)(uintptr_t)init;
	ret = tdxsim_ioctl(vm->vm_fd, KVM_MEMORY_ENCRYPT_OP, &cmd);
	free(init);
	if (ret < 0)
		return fz_build_fail(r, errno, "KVM_TDX_INIT_VM"), -1;
	vm->gmem_attrs = tdxsim_ioctl(vm->vm_fd, KVM_CHECK_EXTENSION,
				     KVM_CAP_GUEST_MEMFD_MEMORY_ATTRIBUTES) > 0;

	for (i = 0; i < FZ_MAX_GMEMS; i++) {
		struct kvm_create_guest_memfd gm = {
			.size = td->gmem[i].size,
			.flags = GUEST_MEMFD_FLAG_MMAP,
		};
		void *map;

		if (!td->gmem[i].present)
			continue;
		vm->gmem_fd[i] = tdxsim_ioctl(vm->vm_fd, KVM_CREATE_GUEST_MEMFD,
					     &gm);
		if (vm->gmem_fd[i] < 0)
			return fz_build_fail(r, errno, "KVM_CREATE_GUEST_MEMFD"), -1;
		map = tdxsim_mmap(NULL, gm.size, PROT_READ | PROT_WRITE,
				  MAP_SHARED, vm->gmem_fd[i], 0);
		if (map == MAP_FAILED)
			return fz_build_fail(r, errno, "mmap of a guest_memfd"), -1;
		vm->gmem_map[i] = map;
	}
	for (i = 0; i < FZ_MAX_SLOTS; i++) {
		if (!td->slot[i].present)
			continue;
		ret = fz_slot_set(r, t, i, true);
		if (ret)
			return fz_build_fail(r, ret, "KVM_SET_USER_MEMORY_REGION2"), -1;
	}

	/* The guest: every vCPU task's program, one model for the TD. */
	{
		struct tdxsim_guest_config gc;
		struct strbuf sb = STRBUF_INIT;
		char err[256];

		fz_guest_text(p, t, &sb);
		tdxsim_guest_config_init(&gc);
		gc.nr_vcpus = td->nr_vcpus;
		gc.seed = p->sched_seed;
		ret = tdxsim_guest_parse(sb_str(&sb), "fuzz", &gc, &vm->guest,
					 err, sizeof(err));
		sb_free(&sb);
		if (ret)
			return fz_build_fail(r, EINVAL, "the guest program"), -1;
	}

	r->run_size = tdxsim_ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	for (i = 0; i < td->nr_vcpus; i++) {
		struct tdxsim_guest g = {
			.ops = tdxsim_guest_ops(),
			.guest = tdxsim_guest_vcpu(vm->guest, i),
		};
		void *map;

		vm->vcpu_fd[i] = tdxsim_ioctl(vm->vm_fd, KVM_CREATE_VCPU, i);
		if (vm->vcpu_fd[i] < 0)
			return fz_build_fail(r, errno, "KVM_CREATE_VCPU"), -1;
		map = tdxsim_mmap(NULL, r->run_size, PROT_READ | PROT_WRITE,
				  MAP_SHARED, vm->vcpu_fd[i], 0);
		if (map == MAP_FAILED)
			return fz_build_fail(r, errno, "mmap of kvm_run"), -1;
		vm->vcpu_run[i] = map;
		if (tdxsim_ioctl(vm->vcpu_fd[i], TDXSIM_SET_GUEST, &g) < 0)
			return fz_build_fail(r, errno, "TDXSIM_SET_GUEST"), -1;
	}
	return 0;
}

/* Read the VM's counters and failure record through @fd. */
static void fz_snapshot(struct fz_vm *vm, int fd)
{
	struct tdxsim_stats st;
	struct tdxsim_vm_failure f;

	if (tdxsim_ioctl(fd, TDXSIM_GET_STATS, &st) == 0)
		vm->stats = st;
	if (tdxsim_ioctl(fd, TDXSIM_GET_VM_FAILURE, &f) == 0) {
		vm->failure = f;
		vm->have_failure = true;
	}
}

/* Close one descriptor the program names (its mapping stays until the end). */
static int fz_close_obj(struct fz_vm *vm, const struct fz_obj *o)
{
	int *slot, fd;

	switch (o->target) {
	case FZ_T_VCPU:
		slot = &vm->vcpu_fd[o->index];
		break;
	case FZ_T_GMEM:
		slot = &vm->gmem_fd[o->index];
		break;
	case FZ_T_VM:
		slot = &vm->vm_fd;
		break;
	default:
		slot = &vm->kvm_fd;
		break;
	}
	fd = *slot;
	if (fd < 0)
		return EBADF;
	/* The last look at the VM the uAPI allows: its record, kept. */
	if (o->target == FZ_T_VM)
		fz_snapshot(vm, fd);
	*slot = -1;
	return tdxsim_close(fd) < 0 ? errno : 0;
}

/*
 * The exit of TD @t's VMM: its mappings go, and with them the last
 * references to its vCPU and guest_memfd files, so the VM is destroyed
 * here. A vCPU task sees its kvm_run gone (fz_vcpu_task()).
 */
static void fz_unmap(struct fz_run *r, unsigned int t)
{
	struct fz_vm *vm = &r->vm[t];
	unsigned int i;

	for (i = 0; i < FZ_MAX_GMEMS; i++) {
		void *map = vm->gmem_map[i];

		vm->gmem_map[i] = NULL;
		if (map)
			tdxsim_munmap(map, r->p->td[t].gmem[i].size);
	}
	for (i = 0; i < FZ_MAX_VCPUS; i++) {
		struct kvm_run *run = vm->vcpu_run[i];

		vm->vcpu_run[i] = NULL;
		if (run)
			tdxsim_munmap(run, r->run_size);
	}
}

/* The final teardown: everything the program left open or mapped. */
static void fz_teardown_td(struct fz_run *r, unsigned int t)
{
	struct fz_vm *vm = &r->vm[t];
	unsigned int i;

	for (i = 0; i < FZ_MAX_VCPUS; i++) {
		if (vm->vcpu_run[i])
			tdxsim_munmap(vm->vcpu_run[i], r->run_size);
		vm->vcpu_run[i] = NULL;
		if (vm->vcpu_fd[i] >= 0)
			tdxsim_close(vm->vcpu_fd[i]);
		vm->vcpu_fd[i] = -1;
	}
	for (i = 0; i < FZ_MAX_GMEMS; i++) {
		if (vm->gmem_map[i])
			tdxsim_munmap(vm->gmem_map[i], r->p->td[t].gmem[i].size);
		vm->gmem_map[i] = NULL;
		if (vm->gmem_fd[i] >= 0)
			tdxsim_close(vm->gmem_fd[i]);
		vm->gmem_fd[i] = -1;
	}
	if (vm->vm_fd >= 0)
		tdxsim_close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		tdxsim_close(vm->kvm_fd);
	vm->vm_fd = vm->kvm_fd = -1;
	tdxsim_guest_destroy(vm->guest);
	vm->guest = NULL;
}

static void fz_teardown(struct fz_run *r)
{
	unsigned int t;

	for (t = 0; t < r->p->nr_tds; t++)
		fz_teardown_td(r, t);
	r->torn_down = true;
}

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

static int fz_vmm_op(struct fz_run *r, const struct fz_op *op)
{
	const struct fz_td *td = &r->p->td[op->td];
	struct fz_vm *vm = &r->vm[op->td];
	unsigned int i;
	int ret, fd;

	switch (op->kind) {
	case FZ_PUNCH:
	case FZ_ALLOC:
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
		/* The VMM exited meanwhile (an exit): kvm_run is gone. */
		if (vm->vcpu_run[v] != run) {
			ts->run_errno = EBADF;
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

static int fz_task_fn(void *arg)
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

/* --- evidence ------------------------------------------------------------------ */

/*
 * The guest's private bytes must never be readable by the host. Every page
 * the guest wrote privately is looked for (its pattern) in what the host
 * can read of the 2M blocks around it, through each guest_memfd mapping.
 */
static void fz_scan_leaks(struct fz_run *r)
{
	const struct tdxsim_fuzz_program *p = r->p;
	u8 *buf = xmalloc(PAGE_SIZE), *want = xmalloc(PAGE_SIZE);
	unsigned int i, j, g;

	for (i = 0; i < p->nr_tasks; i++) {
		const struct fz_task *t = &p->tasks[i];
		const struct fz_td *td = &p->td[t->td];
		struct fz_vm *vm = &r->vm[t->td];

		if (t->kind != FZ_TASK_VCPU)
			continue;
		for (j = 0; j < t->nr_ops; j++) {
			const struct fz_op *op = &t->ops[j];
			u64 gpa;

			if (op->kind != FZ_G_WRITE || op->flag)
				continue;
			for (gpa = op->a; gpa < op->a + op->b; gpa += PAGE_SIZE) {
				tdxsim_guest_pattern_fill(want, gpa, op->pattern);
				/* Where the host could see it: any file, same offset window. */
				for (g = 0; g < FZ_MAX_GMEMS; g++) {
					unsigned int k;

					if (!vm->gmem_map[g])
						continue;
					for (k = 0; k < FZ_MAX_SLOTS; k++) {
						const struct fz_slot *s = &td->slot[k];
						u64 off;

						if (!s->present || s->gmem != g ||
						    gpa < s->gpa ||
						    gpa >= s->gpa + s->size)
							continue;
						off = gpa - s->gpa + s->offset;
						if (tdxsim_gmem_host_access(
							(u8 *)vm->gmem_map[g] + off,
							buf, PAGE_SIZE, false))
							continue;
						if (!memcmp(buf, want, PAGE_SIZE)) {
							if (!vm->leaked_pages)
								vm->leak_gpa = gpa;
							vm->leaked_pages++;
						}
					}
				}
			}
		}
	}
	free(buf);
	free(want);
}

static void fz_collect(struct fz_vm *vm)
{
	struct tdxsim_check check = { 0 };
	size_t len = 1 << 14;

	if (vm->vm_fd < 0)
		return;
	fz_snapshot(vm, vm->vm_fd);
	vm->invariant_report = xzalloc(len);
	check.buf = (u64)(uintptr_t)vm->invariant_report;
	check.len = len;
	if (tdxsim_ioctl(vm->vm_fd, TDXSIM_CHECK_INVARIANTS, &check) == 0) {
		vm->invariant_errno = 0;
		vm->invariant_errors = check.errors;
	} else {
		vm->invariant_errno = errno;
	}
}

int fz_run_fn(void *arg)
{
	struct fz_run *r = arg;
	const struct tdxsim_fuzz_program *p = r->p;
	unsigned int i, t;

	r->warnings_before = tdxsim_nr_warnings();
	/*
	 * TD 0 and its set-up, then TD 1 and its: the second TD's pages come
	 * after what the first's launch took, so the first's control pages
	 * can be alone in their 2M region, as a long-running TD's are.
	 */
	for (t = 0; t < p->nr_tds; t++) {
		if (fz_build(r, t))
			goto out;
		for (i = 0; i < p->nr_setup; i++) {
			if (p->setup[i].td != t)
				continue;
			r->setup_err[i] = fz_vmm_op(r, &p->setup[i]);
			r->ops_done++;
		}
	}
	for (i = 0; i < p->nr_tasks; i++) {
		char name[32];

		snprintf(name, sizeof(name), "%s%u",
			 p->tasks[i].kind == FZ_TASK_VCPU ? "vcpu-task" :
							     "vmm-task", i);
		r->tasks[i].thread = tdxsim_thread_create(name, fz_task_fn,
							  &r->tasks[i]);
	}
	for (i = 0; i < p->nr_tasks; i++) {
		if (r->tasks[i].thread)
			tdxsim_thread_join(r->tasks[i].thread);
		r->tasks[i].thread = NULL;
	}
	for (t = 0; t < p->nr_tds; t++) {
		struct fz_vm *vm = &r->vm[t];
		struct tdxsim_guest_stats gs;

		if (!vm->guest)
			continue;
		tdxsim_guest_get_stats(vm->guest, TDXSIM_GUEST_ALL_VCPUS, &gs);
		vm->data_failures = gs.data_failures;
		r->ops_done += gs.ops_done;
		vm->guest_finished = tdxsim_guest_finished(vm->guest);
	}
	r->collected = true;
	for (t = 0; t < p->nr_tds; t++)
		fz_collect(&r->vm[t]);
	fz_scan_leaks(r);
out:
	fz_teardown(r);
	return 0;
}

void fz_sched_config(const struct tdxsim_fuzz_program *p,
		     struct tdxsim_sched_config *cfg)
{
	tdxsim_sched_config_deterministic(cfg, p->strategy, p->sched_seed);
	cfg->max_steps = p->max_steps ? p->max_steps : FZ_MAX_STEPS;
	if (p->pct_depth)
		cfg->pct_depth = p->pct_depth;
	cfg->pct_steps = p->pct_steps ? p->pct_steps : 20000;
	cfg->replay = p->choices ? p->choices : "";
}

/* --- the log ------------------------------------------------------------------- */

void fz_capture_start(struct fz_run *r)
{
	r->log = open_memstream(&r->log_buf, &r->log_len);
	if (r->log)
		r->prev_log = tdxsim_log_set_stream(r->log);
}

void fz_capture_end(struct fz_run *r)
{
	if (!r->log)
		return;
	tdxsim_log_set_stream(r->prev_log == stderr ? NULL : r->prev_log);
	fclose(r->log);
	r->log = NULL;
}

/* --- stuck runs ------------------------------------------------------------------ */

static struct fz_run *graveyard[256];
static unsigned int nr_graveyard;
static bool tainted;

unsigned int tdxsim_fuzz_nr_stuck(void)
{
	return nr_graveyard;
}

bool tdxsim_fuzz_tainted(void)
{
	return tainted;
}

void fz_set_tainted(void)
{
	tainted = true;
}

void fz_run_release(struct fz_run *r, bool stuck)
{
	unsigned int i;

	if (stuck) {
		/* Its tasks hold the VM's locks: it can never be torn down. */
		if (nr_graveyard < ARRAY_SIZE(graveyard))
			graveyard[nr_graveyard++] = r;
		return;
	}
	if (!r->torn_down)
		fz_teardown(r);
	free(r->src);
	for (i = 0; i < FZ_MAX_TDS; i++) {
		free(r->vm[i].invariant_report);
		tdxsim_fuzz_free(r->view[i]);
	}
	free(r->log_buf);
	free(r);
}
