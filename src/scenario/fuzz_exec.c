// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tdxsim's addition: the fuzzer's executor. One run of a fuzz program under
 * the deterministic scheduler: each TD built through the uAPI (guest_memfd
 * files and their mappings, memslots, vCPUs with the guest program) with
 * its set-up operations in order, the racing tasks (fuzz_task.c), then
 * the evidence a VMM can read (each VM's counters and failure record, the
 * invariant checker, the guest's data checks, a scan of what the host can
 * read for the guest's private bytes) and the teardown. Every answer the
 * uAPI gives is kept for the oracles (fuzz_oracle.c).
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

int fz_slot_set(struct fz_run *r, unsigned int t, unsigned int i, bool add)
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

/* Read the VM's counters and failure record through @fd; true if both read. */
static bool fz_snapshot(struct fz_vm *vm, int fd)
{
	struct tdxsim_stats st;
	struct tdxsim_vm_failure f;
	bool ok = true;

	if (tdxsim_ioctl(fd, TDXSIM_GET_STATS, &st) == 0)
		vm->stats = st;
	else
		ok = false;
	if (tdxsim_ioctl(fd, TDXSIM_GET_VM_FAILURE, &f) == 0) {
		vm->failure = f;
		vm->have_failure = true;
	} else {
		ok = false;
	}
	return ok;
}

/* Close one descriptor the program names (its mapping stays until the end). */
int fz_close_obj(struct fz_vm *vm, const struct fz_obj *o)
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
void fz_unmap(struct fz_run *r, unsigned int t)
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
	unsigned int i;

	if (vm->vm_fd < 0) {
		/*
		 * The program closed the VM fd: its snapshot then is stale if
		 * the VM went on (the vCPUs and guest_memfds hold it) and was
		 * bugged afterwards. A vCPU fd still open reads the record now.
		 */
		for (i = 0; i < FZ_MAX_VCPUS; i++) {
			if (vm->vcpu_fd[i] >= 0) {
				vm->record_fresh = fz_snapshot(vm, vm->vcpu_fd[i]);
				break;
			}
		}
		return;
	}
	vm->record_fresh = fz_snapshot(vm, vm->vm_fd);
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
