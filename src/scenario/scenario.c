// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The scenario runner: one run of a scenario under the deterministic
 * scheduler (its log captured as the report), the evidence gathered, the TD
 * torn down (or kept, when the run left tasks unwound holding its locks),
 * and exploration over many seeds. The TD builder the cases use is here
 * too; it speaks only the uAPI (include/tdxsim/).
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "tdxsim/profiles.h"
#include "tdxsim/report.h"
#include "tdxsim/sched.h"
#include "tdxsim/vmm.h"
#include "scenario/scenario_internal.h"
#include "ulib/compiler.h"

/* TD attribute bit (TDX module ABI); KVM requires SEPT_VE_DISABLE. */
#define TDX_TD_ATTR_SEPT_VE_DISABLE	(1ULL << 28)
/* Schedule points after which a run counts as livelocked. */
#define SCN_MAX_STEPS			1000000

static const struct tdxsim_scenario *const scenarios[] = {
	&scn_populate_deadlock,
	&scn_accept_level_livelock,
	&scn_vp_init_busy,
	&scn_pinned_split_hang,
	&scn_mirror_race,
	&scn_dpamt_lazy_busy,
	&scn_dpamt_get_recheck,
};

static struct tdxsim_scenario scn_copy[ARRAY_SIZE(scenarios)];
static pthread_once_t scn_copy_once = PTHREAD_ONCE_INIT;

static void scn_copy_init(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(scenarios); i++)
		scn_copy[i] = *scenarios[i];
}

const struct tdxsim_scenario *tdxsim_scenario_list(size_t *n)
{
	pthread_once(&scn_copy_once, scn_copy_init);
	*n = ARRAY_SIZE(scenarios);
	return scn_copy;
}

const struct tdxsim_scenario *tdxsim_scenario_find(const char *name)
{
	size_t i, n;
	const struct tdxsim_scenario *list = tdxsim_scenario_list(&n);

	for (i = 0; i < n; i++)
		if (!strcmp(list[i].name, name))
			return &list[i];
	return NULL;
}

void tdxsim_scenario_opts_init(struct tdxsim_scenario_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->strategy = TDXSIM_STRATEGY_RANDOM;
}

/* "PROFILE:KEY=V,..." into its profile name (@name) and its switches. */
static int scn_apply_spec(const char *spec, const char *needs, char *name,
			  size_t namelen, struct tdxsim_design *d, char *err,
			  size_t errlen)
{
	const char *colon = strchr(spec, ':');
	size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
	int r;

	if (len >= namelen || len >= TDXSIM_KERNEL_NAME_MAX) {
		snprintf(err, errlen, "kernel: name too long");
		return -EINVAL;
	}
	memcpy(name, spec, len);
	name[len] = '\0';
	r = tdxsim_kernel_design(name, d, err, errlen);
	if (!r && needs)
		r = tdxsim_parse_design(needs, d, err, errlen);
	if (!r && colon)
		r = tdxsim_parse_design(colon + 1, d, err, errlen);
	return r;
}

int tdxsim_scenario_resolve(const struct tdxsim_scenario *s, const char *kernel,
			    const char *design, char *name, size_t namelen,
			    struct tdxsim_design *d, char *err, size_t errlen)
{
	bool named = design && (!strcmp(design, "before") ||
				!strcmp(design, "upstream"));
	const char *spec;
	int r;

	if (kernel && named) {
		snprintf(err, errlen,
			 "--design %s names a kernel: give it or --kernel, not both",
			 design);
		return -EINVAL;
	}
	if (kernel)
		spec = kernel;
	else if (design && !strcmp(design, "before"))
		spec = s->before;
	else
		spec = s->upstream;
	r = scn_apply_spec(spec, s->needs, name, namelen, d, err, errlen);
	if (!r && design && !named)
		r = tdxsim_parse_design(design, d, err, errlen);
	return r;
}

int tdxsim_scenario_design(const struct tdxsim_scenario *s, const char *design,
		    struct tdxsim_design *d, char *err, size_t errlen)
{
	char name[TDXSIM_KERNEL_NAME_MAX];

	return tdxsim_scenario_resolve(s, NULL, design, name, sizeof(name), d,
				       err, errlen);
}

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
	u64 i;

	if (!td->src || td->src_len < len) {
		free(td->src);
		td->src = aligned_alloc(PAGE_SIZE, len);
		if (!td->src)
			return -ENOMEM;
		td->src_len = len;
	}
	/* An image that differs per page, so the MRTD covers real content. */
	for (i = 0; i < len; i++)
		((u8 *)td->src)[i] = (u8)(i * 7 + (i >> PAGE_SHIFT) + 1);
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

static void scn_td_init(struct scn_td *td)
{
	unsigned int i;

	memset(td, 0, sizeof(*td));
	td->kvm_fd = td->vm_fd = td->gmem_fd = td->host_fd = -1;
	for (i = 0; i < SCN_MAX_VCPUS; i++)
		td->vcpu_fd[i] = -1;
}

static void scn_td_destroy(struct scn_td *td)
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

/* --- one run ---------------------------------------------------------------- */

static int scn_run_fn(void *arg)
{
	struct scenario_ctx *ctx = arg;
	struct tdxsim_stats st;
	int r;

	r = ctx->extra ? (ctx->s->extra(ctx), 0) : ctx->s->run(ctx);
	/*
	 * A bugged VM or a livelocked guest: show where every task was, while
	 * the scheduler still lists them.
	 */
	scn_stats(ctx, &st);
	if (st.vm_bugged || (!ctx->extra && ctx->res->livelock_exit))
		scn_dump_tasks(ctx);
	return r;
}

static struct scenario_ctx *graveyard[TDXSIM_SCENARIO_MAX_STUCK * 4];
static unsigned int nr_graveyard;

unsigned int tdxsim_scenario_nr_stuck(void)
{
	return nr_graveyard;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The kernel log of a run, captured into memory. */
struct scn_capture {
	FILE *prev, *f;
	char *buf;
	size_t len;
};

static void scn_capture_start(struct scn_capture *c)
{
	c->prev = NULL;
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	if (c->f)
		c->prev = tdxsim_log_set_stream(c->f);
}

/* Stop capturing; returns the text (malloc'd). */
static char *scn_capture_end(struct scn_capture *c)
{
	if (c->f) {
		tdxsim_log_set_stream(c->prev == stderr ? NULL : c->prev);
		fclose(c->f);
	}
	return c->buf ? c->buf : xstrdup("");
}

/* Before a run of @ctx: fresh reports, the PAMT count to compare with. */
static void scn_run_begin(struct scenario_ctx *ctx)
{
	tdxsim_reset_reports();
	tdxsim_set_reports_quiet(false);
	ctx->pamt_before = scn_pamt_violations();
}

static void scn_sched_config(struct scenario_ctx *ctx,
			     enum tdxsim_sched_strategy strat,
			     struct tdxsim_sched_config *cfg)
{
	tdxsim_sched_config_init(cfg);
	cfg->mode = TDXSIM_SCHED_DETERMINISTIC;
	cfg->strategy = strat;
	cfg->seed = ctx->seed;
	cfg->max_steps = SCN_MAX_STEPS;
	if (ctx->s->pct_steps)
		cfg->pct_steps = ctx->s->pct_steps;
}

/*
 * After a run of @ctx that ended as @sr says: the evidence gathered into
 * ctx->res, and the scenario's judgement.
 */
static void scn_run_end(struct scenario_ctx *ctx,
			const struct tdxsim_sched_result *sr, FILE *cap)
{
	struct tdxsim_scenario_result *res = ctx->res;

	if (!ctx->extra) {
		res->verdict = sr->verdict;
		res->steps = sr->steps;
		res->switches = sr->switches;
		res->stuck = sr->verdict != TDXSIM_VERDICT_OK;
		res->lockdep_recursive =
			tdxsim_count_reports(TDXSIM_REPORT_RECURSIVE,
					      "mapping.invalidate_lock");
		res->lockdep_circular =
			tdxsim_count_reports(TDXSIM_REPORT_CIRCULAR,
					      "&mm->mmap_lock");
		/* Validator reports other than these and the verdicts. */
		res->lockdep_other = tdxsim_nr_reports() -
			res->lockdep_recursive - res->lockdep_circular -
			tdxsim_count_reports(TDXSIM_REPORT_DEADLOCK, NULL) -
			tdxsim_count_reports(TDXSIM_REPORT_HANG, NULL) -
			tdxsim_count_reports(TDXSIM_REPORT_LIVELOCK, NULL);
	}
	if (cap)
		fflush(cap);
	/* What failed in the VM, as KVM reports it (also when stuck). */
	if (!ctx->extra)
		scn_vm_failure(ctx, &res->failure);

	/* Evidence the VM still gives (not when its locks are stuck). */
	if (sr->verdict == TDXSIM_VERDICT_OK && ctx->td.vm_fd >= 0) {
		struct tdxsim_stats st;
		struct tdxsim_td_stats ts;
		unsigned int i;

		scn_stats(ctx, &st);
		scn_td_stats(ctx, &ts);
		if (!ctx->extra) {
			res->vm_bugged = st.vm_bugged;
			res->splits = st.splits;
			res->fault_retries = st.fault_retries;
			res->no_vcpus_retries =
				st.vendor[TDXSIM_TDX_STAT_NO_VCPUS_RETRY];
			res->accept_exits =
				st.vendor[TDXSIM_TDX_STAT_ACCEPT_EXITS];
			res->folio_splits = st.gmem_folio_splits;
			res->demotes = ts.seamcalls[TDH_MEM_PAGE_DEMOTE];
			for (i = 0; i < TDXSIM_NR_LEAVES; i++)
				res->busy += ts.busy[i];
		} else {
			res->extra_vm_bugged = st.vm_bugged;
		}
	}
	if (!ctx->setup_err && ctx->s->judge && !ctx->extra)
		ctx->s->judge(ctx);
	else if (ctx->extra && ctx->s->judge)
		ctx->s->judge(ctx);
	if (ctx->setup_err && !ctx->extra) {
		res->error = ctx->setup_err;
		res->failed = false;
		snprintf(res->summary, sizeof(res->summary),
			 "the scenario could not run: %s",
			 strerror(-ctx->setup_err));
	}
}

/*
 * One sched_run of @ctx (the scenario's run, or its extra part), logging
 * into @c, and the evidence gathered into ctx->res.
 */
static void scn_run_once(struct scenario_ctx *ctx, enum tdxsim_sched_strategy strat,
			 struct scn_capture *c)
{
	struct tdxsim_sched_config cfg;
	struct tdxsim_sched_result sr;
	double t0;

	scn_run_begin(ctx);
	scn_sched_config(ctx, strat, &cfg);
	t0 = now_seconds();
	if (tdxsim_sched_run(&cfg, scn_run_fn, ctx, &sr)) {
		memset(&sr, 0, sizeof(sr));
		ctx->setup_err = -EBUSY;
	}
	if (!ctx->extra)
		ctx->res->seconds = now_seconds() - t0;
	scn_run_end(ctx, &sr, c->f);
}

/* Tear the TD down, unless the run left its locks held. */
static void scn_ctx_free(struct scenario_ctx *ctx, bool stuck)
{
	if (!stuck)
		scn_td_destroy(&ctx->td);
}

/* Free the context (a stuck one stays reachable, forever). */
static void scn_ctx_release(struct scenario_ctx *ctx, bool stuck)
{
	if (stuck) {
		if (nr_graveyard < ARRAY_SIZE(graveyard))
			graveyard[nr_graveyard++] = ctx;
		return;
	}
	sb_free(&ctx->notes);
	free(ctx);
}

static struct scenario_ctx *scn_ctx_new(const struct tdxsim_scenario *s,
					const char *kernel,
					const struct tdxsim_design *d, u64 seed,
					struct tdxsim_scenario_result *res, bool extra)
{
	struct scenario_ctx *ctx = xzalloc(sizeof(*ctx));

	ctx->s = s;
	snprintf(ctx->kernel, sizeof(ctx->kernel), "%s", kernel);
	ctx->design = *d;
	ctx->seed = seed;
	ctx->res = res;
	ctx->extra = extra;
	scn_td_init(&ctx->td);
	return ctx;
}

static char *scn_report(struct scenario_ctx *ctx, const char *log,
			const struct tdxsim_scenario_opts *o)
{
	struct tdxsim_scenario_result *res = ctx->res;
	struct strbuf sb = STRBUF_INIT;
	struct tdxsim_design profile;
	char design[1024];

	sb_printf(&sb, "scenario %s (seed %s: %s)\n", ctx->s->name,
		  ctx->s->seed_patch, ctx->s->patch_title);
	design[0] = '\0';
	if (!tdxsim_kernel_design(res->kernel, &profile, NULL, 0))
		tdxsim_design_diff(&res->design, &profile, design,
				   sizeof(design));
	sb_printf(&sb, "kernel: %s%s%s\n", res->kernel,
		  design[0] ? ", with " : "", design);
	tdxsim_design_string(&res->design, design, sizeof(design));
	sb_printf(&sb, "design: %s\n", design);
	sb_printf(&sb, "deterministic run: strategy %s, seed %llu: %s, %llu schedule points, %llu switches, %.1f ms\n",
		  o->strategy == TDXSIM_STRATEGY_PCT ? "pct" : "random",
		  (unsigned long long)res->seed,
		  tdxsim_verdict_name(res->verdict),
		  (unsigned long long)res->steps,
		  (unsigned long long)res->switches, res->seconds * 1e3);
	if (ctx->notes.len)
		sb_printf(&sb, "what happened:\n%s", sb_str(&ctx->notes));
	if (log && *log)
		sb_printf(&sb, "--- kernel log ---\n%s", log);
	return sb_detach(&sb);
}

int tdxsim_scenario_run(const struct tdxsim_scenario *s, const struct tdxsim_scenario_opts *o,
		 struct tdxsim_scenario_result *res)
{
	struct scenario_ctx *ctx;
	struct scn_capture cap;
	struct tdxsim_design d;
	char err[256];
	char *log;
	u64 seed;

	memset(res, 0, sizeof(*res));
	if (tdxsim_scenario_resolve(s, o->kernel, o->design, res->kernel,
				    sizeof(res->kernel), &d, err,
				    sizeof(err))) {
		res->error = -EINVAL;
		snprintf(res->summary, sizeof(res->summary), "%s", err);
		return -EINVAL;
	}
	seed = o->seed ? o->seed : s->default_seed;
	res->design = d;
	res->seed = seed;

	ctx = scn_ctx_new(s, res->kernel, &d, seed, res, false);
	scn_capture_start(&cap);
	scn_run_once(ctx, o->strategy, &cap);
	scn_ctx_free(ctx, res->stuck);
	res->pamt_violations = scn_pamt_violations() - ctx->pamt_before;
	res->tainted = res->pamt_violations != 0;
	log = scn_capture_end(&cap);
	res->report = scn_report(ctx, log, o);
	free(log);
	scn_ctx_release(ctx, res->stuck);

	if (o->extra && s->extra && !res->error) {
		ctx = scn_ctx_new(s, res->kernel, &d, seed, res, true);
		res->extra_ran = true;
		scn_capture_start(&cap);
		scn_run_once(ctx, o->strategy, &cap);
		scn_ctx_free(ctx, false);
		log = scn_capture_end(&cap);
		res->extra_report = scn_report(ctx, log, o);
		free(log);
		scn_ctx_release(ctx, false);
	}
	return 0;
}

void tdxsim_scenario_result_free(struct tdxsim_scenario_result *res)
{
	free(res->report);
	free(res->extra_report);
	res->report = NULL;
	res->extra_report = NULL;
}

/* --- exploration ------------------------------------------------------------ */

int tdxsim_scenario_explore(const struct tdxsim_scenario *s, const char *design,
		     const struct tdxsim_scenario_explore_opts *o,
		     struct tdxsim_scenario_explore_result *r)
{
	char err[256], name[TDXSIM_KERNEL_NAME_MAX];
	struct tdxsim_scenario_opts so;
	struct tdxsim_design d;
	double t0 = now_seconds();
	u64 i;

	memset(r, 0, sizeof(*r));
	if (tdxsim_scenario_resolve(s, o->kernel, design, name, sizeof(name),
				    &d, err, sizeof(err))) {
		snprintf(r->first.summary, sizeof(r->first.summary), "%s", err);
		return -EINVAL;
	}
	tdxsim_scenario_opts_init(&so);
	so.kernel = o->kernel;
	so.design = design;
	so.strategy = o->strategy;
	for (i = 0; i < o->schedules; i++) {
		struct tdxsim_scenario_result res;

		if (tdxsim_scenario_nr_stuck() >= TDXSIM_SCENARIO_MAX_STUCK) {
			r->stopped = true;
			break;
		}
		so.seed = (o->first_seed ? o->first_seed : 1) + i;
		tdxsim_scenario_run(s, &so, &res);
		r->runs++;
		if (res.tainted && i + 1 < o->schedules)
			r->stopped = true;
		if (res.failed || res.error) {
			r->failures++;
			if (!r->found) {
				r->found = true;
				r->first_seed = so.seed;
				r->first_index = i + 1;
				r->first_seconds = now_seconds() - t0;
				r->first = res;
				if (o->stop_on_failure || r->stopped)
					break;
				continue;
			}
		}
		tdxsim_scenario_result_free(&res);
		if (r->stopped)
			break;
		if (!o->quiet && (i + 1) % 1000 == 0)
			fprintf(stderr, "  %llu schedules, %llu failed\n",
				(unsigned long long)(i + 1),
				(unsigned long long)r->failures);
	}
	r->seconds = now_seconds() - t0;
	return 0;
}

/* --- bounded exhaustive search ---------------------------------------------- */

struct scn_bounded {
	const struct tdxsim_scenario *s;
	const char *kernel;
	const struct tdxsim_design *d;
	const struct tdxsim_scenario_bounded_opts *o;
	struct tdxsim_scenario_bounded_result *r;
	/* The world of the next (or current) run. */
	struct scenario_ctx *cur;
	struct tdxsim_scenario_result *res;
	struct scn_capture cap;
	bool used;			/* cur has been run */
	bool finished;			/* its run function returned */
	bool have_first;		/* r->first holds the first failure */
	u64 schedules, failures;
};

static void scn_bounded_next(struct scn_bounded *x)
{
	x->res = xzalloc(sizeof(*x->res));
	snprintf(x->res->kernel, sizeof(x->res->kernel), "%s", x->kernel);
	x->res->design = *x->d;
	x->cur = scn_ctx_new(x->s, x->kernel, x->d, 0, x->res, false);
	x->used = false;
	x->finished = false;
	scn_capture_start(&x->cap);
	scn_run_begin(x->cur);
}

/* Drop the current world without judging it. */
static void scn_bounded_drop(struct scn_bounded *x)
{
	bool stuck = x->used && !x->finished;

	free(scn_capture_end(&x->cap));
	scn_ctx_free(x->cur, stuck);
	scn_ctx_release(x->cur, stuck);
	/* A stuck world's context keeps pointing at its result. */
	if (!stuck)
		free(x->res);
	x->cur = NULL;
	x->res = NULL;
}

static int scn_bounded_fn(void *arg)
{
	struct scn_bounded *x = arg;
	int r;

	/*
	 * The explorer does not judge every run it makes (a schedule past the
	 * bound, or another shard's): such a run used the world unseen.
	 */
	if (x->used) {
		scn_bounded_drop(x);
		scn_bounded_next(x);
	}
	x->used = true;
	r = scn_run_fn(x->cur);
	x->finished = true;
	return r;
}

static int scn_bounded_check(void *arg, const struct tdxsim_sched_result *sr)
{
	struct scn_bounded *x = arg;
	struct tdxsim_scenario_result *res = x->res;
	struct tdxsim_scenario_opts so;
	bool failed, stuck;
	char *log;

	scn_run_end(x->cur, sr, x->cap.f);
	stuck = res->stuck;
	scn_ctx_free(x->cur, stuck);
	res->pamt_violations = scn_pamt_violations() - x->cur->pamt_before;
	res->tainted = res->pamt_violations != 0;
	failed = res->failed || res->error;
	x->schedules++;
	if (failed && !x->have_first) {
		tdxsim_scenario_opts_init(&so);
		log = scn_capture_end(&x->cap);
		res->report = scn_report(x->cur, log, &so);
		free(log);
		x->r->first = *res;
		res->report = NULL;
	} else {
		free(scn_capture_end(&x->cap));
	}
	if (failed) {
		x->failures++;
		x->have_first = true;
	}
	scn_ctx_release(x->cur, stuck);
	if (!stuck)
		free(res);
	if (x->o->progress)
		x->o->progress(x->o->progress_arg, x->schedules, x->failures);
	scn_bounded_next(x);
	return failed;
}

int tdxsim_scenario_explore_bounded(const struct tdxsim_scenario *s,
				    const char *design,
				    const struct tdxsim_scenario_bounded_opts *o,
				    struct tdxsim_scenario_bounded_result *r)
{
	struct scn_bounded x = { .s = s, .o = o, .r = r };
	char err[256], name[TDXSIM_KERNEL_NAME_MAX];
	struct tdxsim_explore_config cfg;
	struct tdxsim_design d;
	double t0 = now_seconds();
	int ret;

	memset(r, 0, sizeof(*r));
	if (tdxsim_scenario_resolve(s, o->kernel, design, name, sizeof(name),
				    &d, err, sizeof(err))) {
		snprintf(r->first.summary, sizeof(r->first.summary), "%s", err);
		return -EINVAL;
	}
	x.kernel = name;
	x.d = &d;
	memset(&cfg, 0, sizeof(cfg));
	scn_sched_config(&(struct scenario_ctx){ .s = s }, TDXSIM_STRATEGY_RANDOM,
			 &cfg.run);
	cfg.preemptions = o->preemptions;
	cfg.sleep_sets = o->sleep_sets;
	cfg.shard = o->shard;
	cfg.nr_shards = o->nr_shards;
	cfg.max_schedules = o->max_schedules;
	cfg.keep_going = o->keep_going;
	scn_bounded_next(&x);
	ret = tdxsim_sched_explore(&cfg, scn_bounded_fn, &x, scn_bounded_check,
				   &r->explore);
	scn_bounded_drop(&x);
	r->seconds = now_seconds() - t0;
	if (ret) {
		if (x.have_first)
			tdxsim_scenario_result_free(&r->first);
		memset(&r->first, 0, sizeof(r->first));
	}
	return ret;
}

void tdxsim_scenario_bounded_result_free(struct tdxsim_scenario_bounded_result *r)
{
	free(r->explore.failing);
	r->explore.failing = NULL;
	tdxsim_scenario_result_free(&r->first);
}
