// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The scenario cases' toolbox (scenario_internal.h): notes and verdicts
 * into the run's result and the words the judges write them with (the
 * scheduler's verdict, the first failed SEAMCALL, an errno), a small TD
 * builder over the uAPI (VM, guest_memfd and memslots, vCPUs, attributes,
 * KVM_TDX_INIT_MEM_REGION, finalize, pre-fault, fault injection, the
 * stats the judges read) and the racing tasks a case starts and joins. It
 * speaks only the uAPI (include/tdxsim/); the runner (scenario.c) creates
 * and destroys the TD.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "tdxsim/report.h"
#include "tdxsim/sched.h"
#include "tdxsim/tdxsim.h"
#include "scenario/scenario_internal.h"
#include "ulib/compiler.h"

/* TD attribute bit (TDX module ABI); KVM requires SEPT_VE_DISABLE. */
#define TDX_TD_ATTR_SEPT_VE_DISABLE	(1ULL << 28)

/* --- notes and verdicts ------------------------------------------------------ */

void scn_note(struct scenario_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	sb_printf(&ctx->notes, "  ");
	va_start(ap, fmt);
	sb_vprintf(&ctx->notes, fmt, ap);
	va_end(ap);
	sb_printf(&ctx->notes, "\n");
}

int scn_setup_fail(struct scenario_ctx *ctx, int err, const char *what)
{
	if (err > 0)
		err = -err;
	if (!ctx->setup_err)
		ctx->setup_err = err ? err : -EIO;
	scn_note(ctx, "set-up step failed: %s: %s", what, strerror(-err));
	return err;
}

static void scn_vsummary(struct scenario_ctx *ctx, bool failed,
			 const char *fmt, va_list ap)
{
	char *buf = ctx->extra ? ctx->res->extra_summary : ctx->res->summary;
	size_t len = ctx->extra ? sizeof(ctx->res->extra_summary) :
				  sizeof(ctx->res->summary);

	if (!ctx->extra)
		ctx->res->failed = failed;
	vsnprintf(buf, len, fmt, ap);
}

void scn_fail(struct scenario_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	scn_vsummary(ctx, true, fmt, ap);
	va_end(ap);
}

void scn_ok(struct scenario_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	scn_vsummary(ctx, false, fmt, ap);
	va_end(ap);
}

const char *scn_verdict_kind(const struct tdxsim_scenario_result *res)
{
	return tdxsim_verdict_name(res->verdict);
}

const char *scn_seamcall_text(const struct tdxsim_scenario_result *res,
			      char *buf, size_t len)
{
	const struct tdxsim_seamcall_failure *f = &res->failure.first_seamcall;
	const char *leaf = tdxsim_seamcall_name(f->leaf);
	char status[64];

	if (!res->failure.seamcall_failures)
		snprintf(buf, len, "a SEAMCALL failed");
	else
		snprintf(buf, len, "%s failed with %s (0x%016llx) in %s()",
			 leaf ? leaf : "a SEAMCALL",
			 tdxsim_tdx_status_string(f->status, status,
						  sizeof(status)),
			 (unsigned long long)f->status, f->func);
	return buf;
}

bool scn_seamcall_failed(const struct tdxsim_scenario_result *res,
			 unsigned int leaf)
{
	return res->failure.seamcall_failures &&
	       res->failure.first_seamcall.leaf == leaf;
}

const char *scn_errno_name(int err)
{
	switch (err) {
	case 0: return "0";
	case EIO: return "EIO";
	case EBUSY: return "EBUSY";
	case EINVAL: return "EINVAL";
	case EFAULT: return "EFAULT";
	case EDEADLK: return "EDEADLK";
	case EINTR: return "EINTR";
	case ENOMEM: return "ENOMEM";
	default: return strerror(err);
	}
}

/* --- the TD builder -------------------------------------------------------- */

int scn_td_create(struct scenario_ctx *ctx, u64 mem)
{
	struct scn_td *td = &ctx->td;
	struct tdxsim_kernel kernel = { 0 };
	struct kvm_tdx_init_vm *init;
	struct kvm_tdx_cmd cmd = { 0 };
	struct kvm_create_guest_memfd gm = {
		.size = mem,
		.flags = GUEST_MEMFD_FLAG_MMAP,
	};
	struct kvm_userspace_memory_region2 region = {
		.slot = 0,
		.flags = KVM_MEM_GUEST_MEMFD,
		.guest_phys_addr = 0,
		.memory_size = mem,
	};
	size_t size = sizeof(*init) + sizeof(struct kvm_cpuid_entry2);
	int r;

	td->mem = mem;
	td->kvm_fd = tdxsim_open("/dev/kvm", 0);
	if (td->kvm_fd < 0)
		return scn_setup_fail(ctx, errno, "open /dev/kvm");
	td->vm_fd = tdxsim_ioctl(td->kvm_fd, KVM_CREATE_VM, KVM_X86_TDX_VM);
	if (td->vm_fd < 0)
		return scn_setup_fail(ctx, errno, "KVM_CREATE_VM");
	snprintf(kernel.name, sizeof(kernel.name), "%s", ctx->kernel);
	if (tdxsim_ioctl(td->vm_fd, TDXSIM_SET_KERNEL, &kernel) < 0)
		return scn_setup_fail(ctx, errno, "TDXSIM_SET_KERNEL");
	if (tdxsim_ioctl(td->vm_fd, TDXSIM_SET_DESIGN, &ctx->design) < 0)
		return scn_setup_fail(ctx, errno, "TDXSIM_SET_DESIGN");

	init = xzalloc(size);
	init->attributes = TDX_TD_ATTR_SEPT_VE_DISABLE;
	init->xfam = 0x3;
	init->cpuid.nent = 1;
	init->cpuid.entries[0].function = 0x80000008;
	init->cpuid.entries[0].eax = (48U << 16) | 52;
	cmd.id = KVM_TDX_INIT_VM;
	cmd.data = (u64)(uintptr_t)init;
	r = tdxsim_ioctl(td->vm_fd, KVM_MEMORY_ENCRYPT_OP, &cmd);
	free(init);
	if (r < 0)
		return scn_setup_fail(ctx, errno, "KVM_TDX_INIT_VM");

	td->gmem_fd = tdxsim_ioctl(td->vm_fd, KVM_CREATE_GUEST_MEMFD, &gm);
	if (td->gmem_fd < 0)
		return scn_setup_fail(ctx, errno, "KVM_CREATE_GUEST_MEMFD");
	td->map = tdxsim_mmap(NULL, mem, PROT_READ | PROT_WRITE, MAP_SHARED,
			      td->gmem_fd, 0);
	if (td->map == MAP_FAILED) {
		td->map = NULL;
		return scn_setup_fail(ctx, errno, "mmap of the guest_memfd");
	}
	region.guest_memfd = td->gmem_fd;
	region.userspace_addr = (u64)(uintptr_t)td->map;
	if (tdxsim_ioctl(td->vm_fd, KVM_SET_USER_MEMORY_REGION2, &region) < 0)
		return scn_setup_fail(ctx, errno, "KVM_SET_USER_MEMORY_REGION2");
	td->run_size = tdxsim_ioctl(td->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	return 0;
}

int scn_td_host_gmem(struct scenario_ctx *ctx, u64 size)
{
	struct scn_td *td = &ctx->td;
	struct kvm_create_guest_memfd gm = {
		.size = size,
		.flags = GUEST_MEMFD_FLAG_MMAP,
	};
	struct kvm_userspace_memory_region2 region = {
		.slot = 1,
		.flags = KVM_MEM_GUEST_MEMFD,
		.guest_phys_addr = td->mem,
		.memory_size = size,
	};

	td->host_fd = tdxsim_ioctl(td->vm_fd, KVM_CREATE_GUEST_MEMFD, &gm);
	if (td->host_fd < 0)
		return scn_setup_fail(ctx, errno, "KVM_CREATE_GUEST_MEMFD (slot 1)");
	td->host_map = tdxsim_mmap(NULL, size, PROT_READ | PROT_WRITE,
				   MAP_SHARED, td->host_fd, 0);
	if (td->host_map == MAP_FAILED) {
		td->host_map = NULL;
		return scn_setup_fail(ctx, errno, "mmap of the slot 1 guest_memfd");
	}
	region.guest_memfd = td->host_fd;
	region.userspace_addr = (u64)(uintptr_t)td->host_map;
	if (tdxsim_ioctl(td->vm_fd, KVM_SET_USER_MEMORY_REGION2, &region) < 0)
		return scn_setup_fail(ctx, errno,
				      "KVM_SET_USER_MEMORY_REGION2 (slot 1)");
	return 0;
}

int scn_guest(struct scenario_ctx *ctx, const char *text,
	      unsigned int nr_vcpus)
{
	struct tdxsim_guest_config gc;
	char err[256];

	tdxsim_guest_config_init(&gc);
	gc.nr_vcpus = nr_vcpus;
	gc.seed = ctx->seed;
	if (tdxsim_guest_parse(text, ctx->s->name, &gc, &ctx->td.guest, err,
			       sizeof(err))) {
		scn_note(ctx, "guest program: %s", err);
		return scn_setup_fail(ctx, EINVAL, "guest program");
	}
	return 0;
}

int scn_vcpu_create(struct scenario_ctx *ctx, unsigned int i)
{
	struct scn_td *td = &ctx->td;
	int fd;

	fd = tdxsim_ioctl(td->vm_fd, KVM_CREATE_VCPU, i);
	if (fd < 0)
		return scn_setup_fail(ctx, errno, "KVM_CREATE_VCPU");
	td->vcpu_fd[i] = fd;
	if (i + 1 > td->nr_vcpus)
		td->nr_vcpus = i + 1;
	td->run[i] = tdxsim_mmap(NULL, td->run_size, PROT_READ | PROT_WRITE,
				 MAP_SHARED, fd, 0);
	if (td->run[i] == MAP_FAILED) {
		td->run[i] = NULL;
		return scn_setup_fail(ctx, errno, "mmap of kvm_run");
	}
	if (td->guest) {
		struct tdxsim_guest g = {
			.ops = tdxsim_guest_ops(),
			.guest = tdxsim_guest_vcpu(td->guest, i),
		};

		if (tdxsim_ioctl(fd, TDXSIM_SET_GUEST, &g) < 0)
			return scn_setup_fail(ctx, errno, "TDXSIM_SET_GUEST");
	}
	return 0;
}

int scn_vcpu_init(struct scenario_ctx *ctx, unsigned int i)
{
	struct kvm_tdx_cmd cmd = { .id = KVM_TDX_INIT_VCPU };

	if (tdxsim_ioctl(ctx->td.vcpu_fd[i], KVM_MEMORY_ENCRYPT_OP, &cmd) < 0)
		return -errno;
	return 0;
}

int scn_build_td(struct scenario_ctx *ctx, const struct scn_build *b)
{
	u64 mem = b->mem ? b->mem : SCN_SZ_4M;
	unsigned int i;
	int r = 0;

	if (b->program)
		r = scn_guest(ctx, b->program, b->vcpus);
	if (!r)
		r = scn_td_create(ctx, mem);
	if (!r && b->host_gmem)
		r = scn_td_host_gmem(ctx, b->host_gmem);
	for (i = 0; !r && i < b->vcpus; i++)
		r = scn_vcpu_create(ctx, i);
	if (r)
		return r;	/* each step noted its own failure */
	for (i = 0; i < b->init; i++) {
		r = scn_vcpu_init(ctx, i);
		if (r)
			return scn_setup_fail(ctx, r, "KVM_TDX_INIT_VCPU");
	}
	if (b->private) {
		r = scn_set_private(ctx, 0, mem, true);
		if (r)
			return scn_setup_fail(ctx, r, "KVM_SET_MEMORY_ATTRIBUTES");
	}
	if (b->add_pages) {
		r = scn_init_mem(ctx, 0, b->add_gpa, b->add_pages);
		if (r)
			return scn_setup_fail(ctx, r, "KVM_TDX_INIT_MEM_REGION");
	}
	if (b->finalize) {
		r = scn_finalize(ctx);
		if (r)
			return scn_setup_fail(ctx, r, "KVM_TDX_FINALIZE_VM");
	}
	return 0;
}

int scn_set_private(struct scenario_ctx *ctx, u64 gpa, u64 size, bool private)
{
	struct kvm_memory_attributes attrs = {
		.address = gpa,
		.size = size,
		.attributes = private ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0,
	};

	if (tdxsim_ioctl(ctx->td.vm_fd, KVM_SET_MEMORY_ATTRIBUTES, &attrs) < 0)
		return -errno;
	return 0;
}

/*
 * The source image of KVM_TDX_INIT_MEM_REGION: differs per page, so the
 * MRTD covers real content. Built once per process (a byte loop over it
 * was a tenth of a small schedule's instructions) and copied.
 */
static void scn_src_image(void *dst, size_t len)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static u8 *img;
	static size_t img_len;
	size_t i;

	pthread_mutex_lock(&lock);
	if (img_len < len) {
		u8 *p = realloc(img, len);

		if (p) {
			for (i = img_len; i < len; i++)
				p[i] = (u8)(i * 7 + (i >> PAGE_SHIFT) + 1);
			img = p;
			img_len = len;
		}
	}
	if (img_len >= len) {
		memcpy(dst, img, len);
	} else {
		for (i = 0; i < len; i++)
			((u8 *)dst)[i] = (u8)(i * 7 + (i >> PAGE_SHIFT) + 1);
	}
	pthread_mutex_unlock(&lock);
}

int scn_init_mem(struct scenario_ctx *ctx, unsigned int vcpu, u64 gpa,
		 u64 npages)
{
	struct scn_td *td = &ctx->td;
	struct kvm_tdx_init_mem_region region;
	struct kvm_tdx_cmd cmd = {
		.id = KVM_TDX_INIT_MEM_REGION,
		.flags = KVM_TDX_MEASURE_MEMORY_REGION,
	};
	size_t len = npages * PAGE_SIZE;

	if (!td->src || td->src_len < len) {
		free(td->src);
		td->src = aligned_alloc(PAGE_SIZE, len);
		if (!td->src)
			return -ENOMEM;
		td->src_len = len;
	}
	scn_src_image(td->src, len);
	region = (struct kvm_tdx_init_mem_region){
		.source_addr = (u64)(uintptr_t)td->src,
		.gpa = gpa,
		.nr_pages = npages,
	};
	cmd.data = (u64)(uintptr_t)&region;
	while (region.nr_pages) {
		if (tdxsim_ioctl(td->vcpu_fd[vcpu], KVM_MEMORY_ENCRYPT_OP,
				 &cmd) == 0)
			continue;
		if (errno == EAGAIN || errno == EINTR || errno == EBUSY) {
			tdxsim_cpu_relax();	/* waits for another task */
			continue;
		}
		return -errno;
	}
	return 0;
}

int scn_finalize(struct scenario_ctx *ctx)
{
	struct kvm_tdx_cmd cmd = { .id = KVM_TDX_FINALIZE_VM };
	struct tdxsim_mrtd mrtd;

	if (tdxsim_ioctl(ctx->td.vm_fd, KVM_MEMORY_ENCRYPT_OP, &cmd) < 0)
		return -errno;
	if (tdxsim_ioctl(ctx->td.vm_fd, TDXSIM_GET_MRTD, &mrtd) < 0)
		return -errno;
	if (!ctx->extra) {
		memcpy(ctx->res->mrtd, mrtd.mrtd, sizeof(mrtd.mrtd));
		ctx->res->mrtd_valid = true;
	}
	return 0;
}

long scn_prefault(struct scenario_ctx *ctx, unsigned int vcpu, u64 gpa,
		  u64 size)
{
	struct kvm_pre_fault_memory range = { .gpa = gpa, .size = size };

	/* The ioctl advances @range; EAGAIN/EINTR leave the rest to redo. */
	while (range.size) {
		if (tdxsim_ioctl(ctx->td.vcpu_fd[vcpu], KVM_PRE_FAULT_MEMORY,
				 &range) < 0) {
			if (errno != EAGAIN && errno != EINTR)
				return -errno;
			tdxsim_cpu_relax();	/* waits for another task */
		}
	}
	return size;
}

int scn_map_2m(struct scenario_ctx *ctx, u64 gpa)
{
	struct tdxsim_td_stats ts0, ts1;
	long r;

	scn_td_stats(ctx, &ts0);
	r = scn_prefault(ctx, 0, gpa, SZ_2M);
	scn_td_stats(ctx, &ts1);
	if (r < 0)
		return r;
	if (r != SZ_2M || ts1.seamcalls[TDH_MEM_PAGE_AUG] -
			  ts0.seamcalls[TDH_MEM_PAGE_AUG] != 1)
		return -EINVAL;
	return 0;
}

int scn_inject(struct scenario_ctx *ctx, u32 leaf, u32 nth, u64 status)
{
	struct tdxsim_inject_fault f = {
		.leaf = leaf,
		.nth = nth,
		.status = status,
	};

	if (tdxsim_ioctl(ctx->td.vm_fd, TDXSIM_INJECT_FAULT, &f) < 0)
		return -errno;
	return 0;
}

void scn_stats(struct scenario_ctx *ctx, struct tdxsim_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (ctx->td.vm_fd > 0)
		tdxsim_ioctl(ctx->td.vm_fd, TDXSIM_GET_STATS, st);
}

void scn_td_stats(struct scenario_ctx *ctx, struct tdxsim_td_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (ctx->td.vm_fd > 0)
		tdxsim_ioctl(ctx->td.vm_fd, TDXSIM_GET_TD_STATS, st);
}

void scn_vm_failure(struct scenario_ctx *ctx, struct tdxsim_vm_failure *f)
{
	memset(f, 0, sizeof(*f));
	if (ctx->td.vm_fd > 0)
		tdxsim_ioctl(ctx->td.vm_fd, TDXSIM_GET_VM_FAILURE, f);
}

void scn_module_stats(struct tdxsim_module_stats *st)
{
	int fd = tdxsim_open("/dev/kvm", 0);

	memset(st, 0, sizeof(*st));
	if (fd < 0)
		return;
	tdxsim_ioctl(fd, TDXSIM_GET_MODULE_STATS, st);
	tdxsim_close(fd);
}

u64 scn_pamt_violations(void)
{
	struct tdxsim_module_stats st;

	scn_module_stats(&st);
	return st.pamt_violations;
}

u64 scn_host_pages_in_use(void)
{
	struct tdxsim_host_memory hm = { 0 };
	int fd = tdxsim_open("/dev/kvm", 0);

	if (fd < 0)
		return 0;
	tdxsim_ioctl(fd, TDXSIM_GET_HOST_MEMORY, &hm);
	tdxsim_close(fd);
	return hm.pages_in_use;
}

int scn_host_writes_to_block_end(struct scn_task *t, u8 *const *maps,
				 u64 map_pages, u64 nr_pages, u64 left)
{
	u64 used = scn_host_pages_in_use() % 512, now, i;
	bool wrapped = false;
	u8 byte = 0x5a;
	int r = 0;

	for (i = 0; i < nr_pages && !r; i++) {
		now = scn_host_pages_in_use() % 512;
		wrapped |= now < used;
		used = now;
		if (wrapped && now == 512 - left)
			break;
		r = tdxsim_gmem_host_access(maps[i / map_pages] +
					    (i % map_pages) * PAGE_SIZE,
					    &byte, 1, true);
	}
	t->ret = i;
	return r;
}

int scn_task_host_writes(struct scn_task *t)
{
	u8 byte = 0x5a;
	int r = 0;
	u64 i;

	for (i = 0; i < t->size && !r; i++)
		r = tdxsim_gmem_host_access((u8 *)t->ctx->td.host_map +
					    i * PAGE_SIZE, &byte, 1, true);
	t->err = -r;
	return r;
}

void scn_td_init(struct scn_td *td)
{
	unsigned int i;

	memset(td, 0, sizeof(*td));
	td->kvm_fd = td->vm_fd = td->gmem_fd = td->host_fd = -1;
	for (i = 0; i < SCN_MAX_VCPUS; i++)
		td->vcpu_fd[i] = -1;
}

void scn_td_destroy(struct scn_td *td)
{
	unsigned int i;

	for (i = 0; i < SCN_MAX_VCPUS; i++) {
		if (td->run[i])
			tdxsim_munmap(td->run[i], td->run_size);
		if (td->vcpu_fd[i] >= 0)
			tdxsim_close(td->vcpu_fd[i]);
	}
	if (td->map)
		tdxsim_munmap(td->map, td->mem);
	if (td->host_map)
		tdxsim_munmap(td->host_map, SZ_2M);
	if (td->gmem_fd >= 0)
		tdxsim_close(td->gmem_fd);
	if (td->host_fd >= 0)
		tdxsim_close(td->host_fd);
	if (td->vm_fd >= 0)
		tdxsim_close(td->vm_fd);
	if (td->kvm_fd >= 0)
		tdxsim_close(td->kvm_fd);
	tdxsim_guest_destroy(td->guest);
	free(td->src);
	scn_td_init(td);
}

/* --- racing tasks ------------------------------------------------------------ */

static int scn_task_fn(void *arg)
{
	struct scn_task *t = arg;

	return t->fn(t);
}

struct scn_task *scn_task_start(struct scenario_ctx *ctx, const char *name,
				int (*fn)(struct scn_task *t), unsigned int vcpu,
				u64 gpa, u64 size)
{
	struct scn_task *t;

	if (ctx->nr_tasks >= SCN_MAX_TASKS)
		abort();	/* a scenario starts at most SCN_MAX_TASKS */
	t = &ctx->tasks[ctx->nr_tasks++];
	t->ctx = ctx;
	t->name = name;
	t->fn = fn;
	t->vcpu = vcpu;
	t->gpa = gpa;
	t->size = size;
	t->task = tdxsim_thread_create(name, scn_task_fn, t);
	return t;
}

int scn_task_to_shared(struct scn_task *t)
{
	int r = scn_set_private(t->ctx, t->gpa, t->size, false);

	t->err = -r;
	return r;
}

int scn_task_punch(struct scn_task *t)
{
	int r = tdxsim_fallocate(t->ctx->td.gmem_fd,
				 FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE,
				 t->gpa, t->size);

	t->err = r < 0 ? errno : 0;
	return r < 0 ? -t->err : 0;
}

int scn_task_init_vcpu(struct scn_task *t)
{
	int r = scn_vcpu_init(t->ctx, t->vcpu);

	t->err = -r;
	return r;
}

int scn_task_init_vcpu_td(struct scn_task *t)
{
	struct scn_td *td = (struct scn_td *)(uintptr_t)t->gpa;
	struct kvm_tdx_cmd cmd = { .id = KVM_TDX_INIT_VCPU };

	t->err = 0;
	if (tdxsim_ioctl(td->vcpu_fd[0], KVM_MEMORY_ENCRYPT_OP, &cmd) < 0)
		t->err = errno;
	return -t->err;
}

void scn_tasks_join(struct scenario_ctx *ctx)
{
	unsigned int i;

	for (i = 0; i < ctx->nr_tasks; i++) {
		if (ctx->tasks[i].task) {
			tdxsim_thread_join(ctx->tasks[i].task);
			ctx->tasks[i].task = NULL;
		}
		if (!ctx->extra && i < ARRAY_SIZE(ctx->res->errnos))
			ctx->res->errnos[i] = ctx->tasks[i].err;
	}
}

void scn_dump_tasks(struct scenario_ctx *ctx)
{
	if (ctx->dumped)
		return;
	ctx->dumped = true;
	tdxsim_log(TDXSIM_LOG_INFO, "--- each task's last schedule points ---\n");
	tdxsim_sched_dump_threads();
}
