// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The TD builder (see tdxsim/kvm_util.h): it speaks only the public uAPI,
 * as a VMM would; the counters it reads are tdxsim's controls.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "tdxsim/profiles.h"
#include "tdxsim/sched.h"
#include "tdxsim/kvm_util.h"

#define TD_PAGE_SIZE			4096ULL
#define TD_PAGE_SHIFT			12
#define TDX_ATTR_SEPT_VE_DISABLE	(1ULL << 28)

void td_opts_init(struct td_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->memory = 16ULL << 20;
	o->nr_vcpus = 1;
	td_opts_set_kernel(o, TDXSIM_KERNEL_DEFAULT);
	o->seed = 1;
}

void td_opts_set_kernel(struct td_opts *o, const char *name)
{
	char err[256];

	TEST_ASSERT(!tdxsim_kernel_design(name, &o->design, err, sizeof(err)),
		    "%s", err);
	snprintf(o->kernel, sizeof(o->kernel), "%s", name);
}

static void module_stats(int kvm, struct tdxsim_module_stats *ms)
{
	memset(ms, 0, sizeof(*ms));
	TEST_ASSERT_OK(sys_ret(tdxsim_ioctl(kvm, TDXSIM_GET_MODULE_STATS, ms)),
		       "TDXSIM_GET_MODULE_STATS");
}

void td_create(struct td *td, const struct td_opts *o)
{
	struct tdxsim_kernel kernel = { 0 };
	struct tdxsim_module_stats ms;

	memset(td, 0, sizeof(*td));
	TEST_ASSERT(o->nr_vcpus >= 1 && o->nr_vcpus <= TD_MAX_VCPUS,
		    "%u vCPUs", o->nr_vcpus);
	td->memory = o->memory;
	td->nr_vcpus = o->nr_vcpus;
	td->kvm = tdxsim_open("/dev/kvm", 0);
	TEST_ASSERT_OK(sys_ret(td->kvm), "open(/dev/kvm)");
	module_stats(td->kvm, &ms);
	td->pamt_violations_at_create = ms.pamt_violations;
	td->owned_at_create = ms.pages_owned;
	td->vm = sys_ret(tdxsim_ioctl(td->kvm, KVM_CREATE_VM, KVM_X86_TDX_VM));
	TEST_ASSERT_OK(td->vm, "KVM_CREATE_VM(KVM_X86_TDX_VM)");
	snprintf(kernel.name, sizeof(kernel.name), "%s", o->kernel);
	TEST_ASSERT_OK(sys_ret(tdxsim_ioctl(td->vm, TDXSIM_SET_KERNEL,
					    &kernel)),
		       "TDXSIM_SET_KERNEL(%s)", kernel.name);
	TEST_ASSERT_OK(sys_ret(tdxsim_ioctl(td->vm, TDXSIM_SET_DESIGN,
					    &o->design)),
		       "TDXSIM_SET_DESIGN");
	if (o->vm_only)
		return;
	td_create_rest(td, o);
}

void td_create_rest(struct td *td, const struct td_opts *o)
{
	struct kvm_tdx_init_vm *init;
	size_t size = sizeof(*init) + sizeof(struct kvm_cpuid_entry2);
	unsigned int i;

	init = calloc(1, size);
	TEST_ASSERT(init, "calloc(%zu)", size);
	init->attributes = o->no_sept_ve_disable ? 0 :
						   TDX_ATTR_SEPT_VE_DISABLE;
	init->xfam = 0x3;
	init->cpuid.nent = 1;
	init->cpuid.entries[0].function = 0x80000008;
	init->cpuid.entries[0].eax = (48u << 16) | 52;
	tdx_cmd(td->vm, KVM_TDX_INIT_VM, 0, (uint64_t)(uintptr_t)init);
	free(init);

	td->gmem = vm_create_guest_memfd(td->vm, o->memory,
					 GUEST_MEMFD_FLAG_MMAP);
	td->shared_map = tdxsim_mmap(NULL, o->memory, PROT_READ | PROT_WRITE,
				     MAP_SHARED, td->gmem, 0);
	TEST_ASSERT(td->shared_map != MAP_FAILED, "mmap(guest_memfd): %s",
		    errno_name(errno));
	vm_set_user_memory_region2(td->vm, 0, KVM_MEM_GUEST_MEMFD, 0, o->memory,
				   (uint64_t)(uintptr_t)td->shared_map,
				   td->gmem, 0);
	td_set_private(td, 0, o->memory, true);

	if (o->program) {
		struct tdxsim_guest_config gc;
		char err[256];

		tdxsim_guest_config_init(&gc);
		gc.nr_vcpus = o->nr_vcpus;
		gc.seed = o->seed;
		TEST_ASSERT(!tdxsim_guest_parse(o->program, "test", &gc,
						&td->guest, err, sizeof(err)),
			    "guest program: %s", err);
	}

	td->run_size = tdxsim_ioctl(td->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	for (i = 0; i < o->nr_vcpus; i++) {
		td->vcpu[i] = vm_vcpu_add(td->vm, i);
		td->run[i] = tdxsim_mmap(NULL, td->run_size,
					 PROT_READ | PROT_WRITE, MAP_SHARED,
					 td->vcpu[i], 0);
		TEST_ASSERT(td->run[i] != MAP_FAILED, "mmap(vCPU %u): %s", i,
			    errno_name(errno));
		if (td->guest || o->model) {
			struct tdxsim_guest g = {
				.ops = tdxsim_guest_ops(),
				.guest = tdxsim_guest_vcpu(td->guest ? td->guest :
								       o->model,
							   i),
			};

			TEST_ASSERT_OK(sys_ret(tdxsim_ioctl(td->vcpu[i],
							    TDXSIM_SET_GUEST,
							    &g)),
				       "TDXSIM_SET_GUEST(vCPU %u)", i);
		} else if (o->raw_guest.ops) {
			TEST_ASSERT_OK(sys_ret(tdxsim_ioctl(td->vcpu[i],
							    TDXSIM_SET_GUEST,
							    &o->raw_guest)),
				       "TDXSIM_SET_GUEST(vCPU %u)", i);
		}
		tdx_cmd(td->vcpu[i], KVM_TDX_INIT_VCPU, 0, o->init_rcx);
	}
}

void td_src_pattern(void *buf, size_t len, uint64_t seed, uint64_t i)
{
	uint64_t *p = buf;
	size_t k;

	for (k = 0; k < len / 8; k++)
		p[k] = (seed * 0x9e3779b97f4a7c15ULL) ^ (i << 20) ^ k;
}

int __td_init_mem_region(struct td *td, int vcpu_fd, uint32_t flags,
			 struct kvm_tdx_init_mem_region *region)
{
	return __tdx_cmd(vcpu_fd, KVM_TDX_INIT_MEM_REGION, flags,
			 (uint64_t)(uintptr_t)region, NULL);
}

int __td_populate(struct td *td, uint64_t gpa, uint64_t nr_pages,
		  bool measure, uint64_t seed)
{
	struct kvm_tdx_init_mem_region region;
	uint8_t *buf = aligned_alloc(TD_PAGE_SIZE, nr_pages * TD_PAGE_SIZE);
	uint64_t i;
	int r = 0;

	TEST_ASSERT(buf, "aligned_alloc(%llu pages)",
		    (unsigned long long)nr_pages);
	for (i = 0; i < nr_pages; i++)
		td_src_pattern(buf + i * TD_PAGE_SIZE, TD_PAGE_SIZE, seed, i);
	region = (struct kvm_tdx_init_mem_region){
		.source_addr = (uint64_t)(uintptr_t)buf,
		.gpa = gpa,
		.nr_pages = nr_pages,
	};
	while (region.nr_pages) {
		r = __td_init_mem_region(td, td->vcpu[0],
					 measure ? KVM_TDX_MEASURE_MEMORY_REGION : 0,
					 &region);
		if (r == -EAGAIN || r == -EINTR || r == -EBUSY)
			continue;
		if (r)
			break;
	}
	free(buf);
	return r;
}

void td_populate(struct td *td, uint64_t gpa, uint64_t nr_pages, bool measure,
		 uint64_t seed)
{
	int r = __td_populate(td, gpa, nr_pages, measure, seed);

	TEST_ASSERT_OK(r, "KVM_TDX_INIT_MEM_REGION(gpa %#llx, %llu pages%s)",
		       (unsigned long long)gpa, (unsigned long long)nr_pages,
		       measure ? ", measured" : "");
}

int __td_finalize(struct td *td)
{
	return __tdx_cmd(td->vm, KVM_TDX_FINALIZE_VM, 0, 0, NULL);
}

void td_finalize(struct td *td)
{
	TEST_ASSERT_OK(__td_finalize(td), "KVM_TDX_FINALIZE_VM");
}

int __td_set_private(struct td *td, uint64_t gpa, uint64_t size, bool private)
{
	uint64_t attrs = private ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0;

	/* In-place conversion: the slot's guest_memfd, offset = GPA. */
	if (tdxsim_ioctl(td->vm, KVM_CHECK_EXTENSION,
			 KVM_CAP_GUEST_MEMFD_MEMORY_ATTRIBUTES) > 0)
		return __gmem_set_attributes(td->gmem, gpa, size, attrs, NULL);
	return __vm_set_memory_attributes(td->vm, gpa, size, attrs);
}

void td_set_private(struct td *td, uint64_t gpa, uint64_t size, bool private)
{
	TEST_ASSERT_OK(__td_set_private(td, gpa, size, private),
		       "KVM_SET_MEMORY_ATTRIBUTES(gpa %#llx, size %#llx, %s)",
		       (unsigned long long)gpa, (unsigned long long)size,
		       private ? "private" : "shared");
}

int __td_punch(struct td *td, uint64_t offset, uint64_t len)
{
	return __gmem_fallocate(td->gmem,
				FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE,
				offset, len);
}

void td_punch(struct td *td, uint64_t offset, uint64_t len)
{
	TEST_ASSERT_OK(__td_punch(td, offset, len),
		       "fallocate(PUNCH_HOLE, offset %#llx, len %#llx)",
		       (unsigned long long)offset, (unsigned long long)len);
}

int __td_run_vcpu(struct td *td, unsigned int i)
{
	struct kvm_run *run = td->run[i];

	for (;;) {
		int r = tdxsim_ioctl(td->vcpu[i], KVM_RUN, 0);

		td->runs[i]++;
		if (r < 0 && errno != EFAULT) {
			td->last_errno[i] = errno;
			return -errno;
		}
		td->last_exit[i] = run->exit_reason;
		if (td->exit_hook && td->exit_hook(td, i, run))
			return 0;
		switch (run->exit_reason) {
		case KVM_EXIT_MEMORY_FAULT:
			r = __td_set_private(td, run->memory_fault.gpa,
					     run->memory_fault.size,
					     run->memory_fault.flags &
						     KVM_MEMORY_EXIT_FLAG_PRIVATE);
			if (r) {
				td->last_errno[i] = -r;
				return r;
			}
			break;
		case KVM_EXIT_HYPERCALL:
			if (run->hypercall.nr != KVM_HC_MAP_GPA_RANGE) {
				run->hypercall.ret = -ENOSYS;
				break;
			}
			run->hypercall.ret =
				__td_set_private(td, run->hypercall.args[0],
						 run->hypercall.args[1] << TD_PAGE_SHIFT,
						 run->hypercall.args[2] &
							 KVM_MAP_GPA_RANGE_ENCRYPTED) ?
					EINVAL : 0;
			break;
		default:
			return 0;
		}
	}
}

void td_run_vcpu(struct td *td, unsigned int i)
{
	TEST_ASSERT_OK(__td_run_vcpu(td, i), "KVM_RUN(vCPU %u, last exit %u)",
		       i, td->last_exit[i]);
}

struct td_vcpu_arg {
	struct td *td;
	unsigned int i;
};

static int td_vcpu_thread(void *p)
{
	struct td_vcpu_arg *a = p;

	return __td_run_vcpu(a->td, a->i);
}

void td_run_all(struct td *td)
{
	struct td_vcpu_arg args[TD_MAX_VCPUS];
	struct tdxsim_thread *t[TD_MAX_VCPUS];
	unsigned int i;

	for (i = 0; i < td->nr_vcpus; i++) {
		char name[16];

		args[i] = (struct td_vcpu_arg){ td, i };
		snprintf(name, sizeof(name), "vcpu%u", i);
		t[i] = tdxsim_thread_create(name, td_vcpu_thread, &args[i]);
		TEST_ASSERT(t[i], "thread %s: %s", name, errno_name(errno));
	}
	for (i = 0; i < td->nr_vcpus; i++)
		tdxsim_thread_join(t[i]);
}

int __td_prefault_raw(struct td *td, unsigned int i,
		      struct kvm_pre_fault_memory *range)
{
	long r = sys_ret(tdxsim_ioctl(td->vcpu[i], KVM_PRE_FAULT_MEMORY, range));

	return r < 0 ? r : 0;
}

int __td_prefault(struct td *td, unsigned int i, uint64_t gpa, uint64_t size)
{
	struct kvm_pre_fault_memory range = { .gpa = gpa, .size = size };

	while (range.size) {
		int r = __td_prefault_raw(td, i, &range);

		if (r == -EAGAIN || r == -EINTR)
			continue;
		if (r)
			return r;
	}
	return 0;
}

void td_prefault(struct td *td, unsigned int i, uint64_t gpa, uint64_t size)
{
	TEST_ASSERT_OK(__td_prefault(td, i, gpa, size),
		       "KVM_PRE_FAULT_MEMORY(vCPU %u, gpa %#llx, size %#llx)", i,
		       (unsigned long long)gpa, (unsigned long long)size);
}

void td_kvm_stats(struct td *td, struct tdxsim_stats *st)
{
	memset(st, 0, sizeof(*st));
	TEST_ASSERT_OK(sys_ret(tdxsim_ioctl(td->vm, TDXSIM_GET_STATS, st)),
		       "TDXSIM_GET_STATS");
}

void td_module_stats(struct td *td, struct tdxsim_td_stats *st)
{
	memset(st, 0, sizeof(*st));
	TEST_ASSERT_OK(sys_ret(tdxsim_ioctl(td->vm, TDXSIM_GET_TD_STATS, st)),
		       "TDXSIM_GET_TD_STATS");
}

void td_guest_stats(struct td *td, struct tdxsim_guest_stats *st)
{
	TEST_ASSERT(td->guest, "the TD has no guest program");
	TEST_ASSERT_OK(tdxsim_guest_get_stats(td->guest, TDXSIM_GUEST_ALL_VCPUS,
					      st),
		       "tdxsim_guest_get_stats");
}

uint64_t td_seamcalls(struct td *td, unsigned int leaf)
{
	struct tdxsim_td_stats st;

	td_module_stats(td, &st);
	return st.seamcalls[leaf];
}

int td_check_count(struct td *td)
{
	static char buf[8192];
	struct tdxsim_check c = {
		.buf = (uint64_t)(uintptr_t)buf,
		.len = sizeof(buf),
	};

	buf[0] = 0;
	TEST_ASSERT_OK(sys_ret(tdxsim_ioctl(td->vm, TDXSIM_CHECK_INVARIANTS, &c)),
		       "TDXSIM_CHECK_INVARIANTS");
	if (c.errors)
		fprintf(stderr, "invariant report:\n%s", buf);
	return c.errors;
}

void td_check(struct td *td)
{
	int n = td_check_count(td);

	TEST_ASSERT(n == 0, "%d invariant violations", n);
}

bool td_vm_dead(struct td *td)
{
	struct tdxsim_check c = { 0 };
	struct tdxsim_mrtd m;

	/* Any vendor control answers EIO on a dead VM. */
	return tdxsim_ioctl(td->vm, TDXSIM_CHECK_INVARIANTS, &c) < 0 &&
	       errno == EIO && tdxsim_ioctl(td->vm, TDXSIM_GET_MRTD, &m) < 0;
}

void td_destroy(struct td *td)
{
	struct tdxsim_module_stats ms;
	unsigned int i;

	for (i = 0; i < td->nr_vcpus; i++) {
		if (td->run[i] && td->run[i] != MAP_FAILED)
			tdxsim_munmap(td->run[i], td->run_size);
		tdxsim_close(td->vcpu[i]);
	}
	if (td->shared_map && td->shared_map != MAP_FAILED)
		tdxsim_munmap(td->shared_map, td->memory);
	tdxsim_close(td->gmem);
	tdxsim_close(td->vm);
	module_stats(td->kvm, &ms);
	tdxsim_close(td->kvm);
	tdxsim_guest_destroy(td->guest);
	td->guest = NULL;
	if (td->allow_leak)
		return;
	/* Teardown reclaimed everything, and no page was freed while owned. */
	TEST_ASSERT(ms.pages_owned == td->owned_at_create,
		    "the module owns %llu pages after the TD's teardown, %llu before it was created",
		    (unsigned long long)ms.pages_owned,
		    (unsigned long long)td->owned_at_create);
	TEST_ASSERT(ms.pamt_violations == td->pamt_violations_at_create,
		    "%llu PAMT violations (pages freed while the module owned them)",
		    (unsigned long long)(ms.pamt_violations -
					 td->pamt_violations_at_create));
}
