// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The TD builder of the MMU tests (see td_util.h). It speaks only the public
 * uAPI, as a VMM would; the counters it reads are tdxsim's controls.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "host/fs.h"
#include "kvm/guest_memfd.h"
#include "kvm/tdp_mmu.h"
#include "td_util.h"

#define TDX_ATTR_SEPT_VE_DISABLE	(1ULL << 28)

static u64 pamt_violations_at_create;

void td_opts_init(struct td_opts *o)
{
	struct tdxsim_design d = TDXSIM_DESIGN_DEFAULT;

	memset(o, 0, sizeof(*o));
	o->memory = 16ULL << 20;
	o->nr_vcpus = 1;
	o->design = d;
	o->seed = 1;
}

static void module_stats(int kvm, struct tdxsim_module_stats *ms)
{
	memset(ms, 0, sizeof(*ms));
	assert_int_equal(tdxsim_ioctl(kvm, TDXSIM_GET_MODULE_STATS, ms), 0);
}

int td_tdx_cmd(int fd, u32 id, u32 flags, u64 data, u64 *hw_error)
{
	struct kvm_tdx_cmd cmd = { .id = id, .flags = flags, .data = data };
	int r = tdxsim_ioctl(fd, KVM_MEMORY_ENCRYPT_OP, &cmd);

	if (hw_error)
		*hw_error = cmd.hw_error;
	return r < 0 ? -errno : 0;
}

void td_create(struct td *td, const struct td_opts *o)
{
	struct tdxsim_module_stats ms;

	memset(td, 0, sizeof(*td));
	assert_true(o->nr_vcpus >= 1 && o->nr_vcpus <= TD_MAX_VCPUS);
	td->memory = o->memory;
	td->nr_vcpus = o->nr_vcpus;
	td->kvm = tdxsim_open("/dev/kvm", 0);
	assert_true(td->kvm >= 0);
	module_stats(td->kvm, &ms);
	pamt_violations_at_create = ms.pamt_violations;
	td->owned_at_create = ms.pages_owned;
	td->vm = tdxsim_ioctl(td->kvm, KVM_CREATE_VM, KVM_X86_TDX_VM);
	assert_true(td->vm >= 0);
	assert_int_equal(tdxsim_ioctl(td->vm, TDXSIM_SET_DESIGN, &o->design), 0);
	if (o->vm_only)
		return;
	td_create_rest(td, o);
}

void td_create_rest(struct td *td, const struct td_opts *o)
{
	struct kvm_tdx_init_vm *init;
	size_t size = sizeof(*init) + sizeof(struct kvm_cpuid_entry2);
	struct kvm_create_guest_memfd gargs = {
		.size = o->memory,
		.flags = GUEST_MEMFD_FLAG_MMAP,
	};
	struct kvm_userspace_memory_region2 region = {
		.slot = 0,
		.flags = KVM_MEM_GUEST_MEMFD,
		.guest_phys_addr = 0,
		.memory_size = o->memory,
	};
	unsigned int i;
	u64 hw = 0;

	init = calloc(1, size);
	assert_non_null(init);
	init->attributes = TDX_ATTR_SEPT_VE_DISABLE;
	init->xfam = 0x3;
	init->cpuid.nent = 1;
	init->cpuid.entries[0].function = 0x80000008;
	init->cpuid.entries[0].eax = (48u << 16) | 52;
	assert_int_equal(td_tdx_cmd(td->vm, KVM_TDX_INIT_VM, 0,
				    (u64)(uintptr_t)init, &hw), 0);
	free(init);

	td->gmem = tdxsim_ioctl(td->vm, KVM_CREATE_GUEST_MEMFD, &gargs);
	assert_true(td->gmem >= 0);
	td->shared_map = tdxsim_mmap(NULL, o->memory, PROT_READ | PROT_WRITE,
				     MAP_SHARED, td->gmem, 0);
	assert_true(td->shared_map != MAP_FAILED);
	region.userspace_addr = (u64)(uintptr_t)td->shared_map;
	region.guest_memfd = td->gmem;
	assert_int_equal(tdxsim_ioctl(td->vm, KVM_SET_USER_MEMORY_REGION2,
				      &region), 0);
	assert_int_equal(td_set_private(td, 0, o->memory, true), 0);

	if (o->program) {
		struct tdxsim_guest_config gc;
		char err[256];

		tdxsim_guest_config_init(&gc);
		gc.nr_vcpus = o->nr_vcpus;
		gc.seed = o->seed;
		if (tdxsim_guest_parse(o->program, "test", &gc, &td->guest,
				       err, sizeof(err))) {
			print_error("guest program: %s\n", err);
			fail();
		}
	}

	td->run_size = tdxsim_ioctl(td->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	for (i = 0; i < o->nr_vcpus; i++) {
		td->vcpu[i] = tdxsim_ioctl(td->vm, KVM_CREATE_VCPU, i);
		assert_true(td->vcpu[i] >= 0);
		td->run[i] = tdxsim_mmap(NULL, td->run_size,
					 PROT_READ | PROT_WRITE, MAP_SHARED,
					 td->vcpu[i], 0);
		assert_true(td->run[i] != MAP_FAILED);
		if (td->guest) {
			struct tdxsim_guest g = {
				.ops = tdxsim_guest_ops(),
				.guest = tdxsim_guest_vcpu(td->guest, i),
			};

			assert_int_equal(tdxsim_ioctl(td->vcpu[i],
						      TDXSIM_SET_GUEST, &g), 0);
		}
		assert_int_equal(td_tdx_cmd(td->vcpu[i], KVM_TDX_INIT_VCPU, 0,
					    0, NULL), 0);
	}
}

void td_src_pattern(void *buf, size_t len, u64 seed, u64 i)
{
	u64 *p = buf;
	size_t k;

	for (k = 0; k < len / 8; k++)
		p[k] = (seed * 0x9e3779b97f4a7c15ULL) ^ (i << 20) ^ k;
}

int td_init_mem_region(struct td *td, int vcpu_fd, u32 flags,
		       struct kvm_tdx_init_mem_region *region)
{
	return td_tdx_cmd(vcpu_fd, KVM_TDX_INIT_MEM_REGION, flags,
			  (u64)(uintptr_t)region, NULL);
}

int td_populate(struct td *td, u64 gpa, u64 nr_pages, bool measure, u64 seed)
{
	struct kvm_tdx_init_mem_region region;
	u8 *buf = aligned_alloc(PAGE_SIZE, nr_pages * PAGE_SIZE);
	u64 i;
	int r = 0;

	assert_non_null(buf);
	for (i = 0; i < nr_pages; i++)
		td_src_pattern(buf + i * PAGE_SIZE, PAGE_SIZE, seed, i);
	region = (struct kvm_tdx_init_mem_region){
		.source_addr = (u64)(uintptr_t)buf,
		.gpa = gpa,
		.nr_pages = nr_pages,
	};
	while (region.nr_pages) {
		r = td_init_mem_region(td, td->vcpu[0],
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

int td_finalize(struct td *td)
{
	return td_tdx_cmd(td->vm, KVM_TDX_FINALIZE_VM, 0, 0, NULL);
}

int td_set_private(struct td *td, u64 gpa, u64 size, bool private)
{
	struct kvm_memory_attributes attrs = {
		.address = gpa,
		.size = size,
		.attributes = private ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0,
	};

	return tdxsim_ioctl(td->vm, KVM_SET_MEMORY_ATTRIBUTES, &attrs) < 0 ?
		       -errno : 0;
}

int td_punch(struct td *td, u64 offset, u64 len)
{
	return tdxsim_fallocate(td->gmem,
				FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE,
				offset, len) < 0 ? -errno : 0;
}

int td_run_vcpu(struct td *td, unsigned int i)
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
			if (td_set_private(td, run->memory_fault.gpa,
					   run->memory_fault.size,
					   run->memory_fault.flags &
						   KVM_MEMORY_EXIT_FLAG_PRIVATE)) {
				td->last_errno[i] = errno;
				return -errno;
			}
			break;
		case KVM_EXIT_HYPERCALL:
			if (run->hypercall.nr != KVM_HC_MAP_GPA_RANGE) {
				run->hypercall.ret = -ENOSYS;
				break;
			}
			run->hypercall.ret =
				td_set_private(td, run->hypercall.args[0],
					       run->hypercall.args[1] << PAGE_SHIFT,
					       run->hypercall.args[2] &
						       KVM_MAP_GPA_RANGE_ENCRYPTED) ?
					-EINVAL : 0;
			break;
		default:
			return 0;
		}
	}
}

struct td_vcpu_arg {
	struct td *td;
	unsigned int i;
};

static int td_vcpu_task(void *p)
{
	struct td_vcpu_arg *a = p;

	return td_run_vcpu(a->td, a->i);
}

void td_run_all(struct td *td)
{
	struct td_vcpu_arg args[TD_MAX_VCPUS];
	struct task *t[TD_MAX_VCPUS];
	unsigned int i;

	for (i = 0; i < td->nr_vcpus; i++) {
		char name[16];

		args[i] = (struct td_vcpu_arg){ td, i };
		snprintf(name, sizeof(name), "vcpu%u", i);
		t[i] = task_create(name, td_vcpu_task, &args[i]);
	}
	for (i = 0; i < td->nr_vcpus; i++)
		task_join(t[i]);
}

int td_prefault_raw(struct td *td, unsigned int i,
		    struct kvm_pre_fault_memory *range)
{
	return tdxsim_ioctl(td->vcpu[i], KVM_PRE_FAULT_MEMORY, range) < 0 ?
		       -errno : 0;
}

void td_prefault(struct td *td, unsigned int i, u64 gpa, u64 size)
{
	struct kvm_pre_fault_memory range = { .gpa = gpa, .size = size };

	while (range.size) {
		int r = td_prefault_raw(td, i, &range);

		if (r == -EAGAIN || r == -EINTR)
			continue;
		assert_int_equal(r, 0);
	}
}

void td_kvm_stats(struct td *td, struct tdxsim_stats *st)
{
	memset(st, 0, sizeof(*st));
	assert_int_equal(tdxsim_ioctl(td->vm, TDXSIM_GET_STATS, st), 0);
}

void td_module_stats(struct td *td, struct tdxsim_td_stats *st)
{
	memset(st, 0, sizeof(*st));
	assert_int_equal(tdxsim_ioctl(td->vm, TDXSIM_GET_TD_STATS, st), 0);
}

void td_guest_stats(struct td *td, struct tdxsim_guest_stats *st)
{
	assert_non_null(td->guest);
	assert_int_equal(tdxsim_guest_get_stats(td->guest,
						TDXSIM_GUEST_ALL_VCPUS, st), 0);
}

u64 td_seamcalls(struct td *td, unsigned int leaf)
{
	struct tdxsim_td_stats st;

	td_module_stats(td, &st);
	return st.seamcalls[leaf];
}

int td_check_count(struct td *td)
{
	static char buf[8192];
	struct tdxsim_check c = {
		.buf = (u64)(uintptr_t)buf,
		.len = sizeof(buf),
	};

	buf[0] = 0;
	assert_int_equal(tdxsim_ioctl(td->vm, TDXSIM_CHECK_INVARIANTS, &c), 0);
	if (c.errors)
		fprintf(stderr, "invariant report:\n%s", buf);
	return c.errors;
}

void td_check(struct td *td)
{
	assert_int_equal(td_check_count(td), 0);
}

bool td_vm_dead(struct td *td)
{
	struct tdxsim_mrtd m;

	/* Any vendor control answers EIO on a dead VM. */
	return tdxsim_ioctl(td->vm, TDXSIM_CHECK_INVARIANTS, &(struct tdxsim_check){ 0 }) < 0 &&
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
	assert_int_equal(ms.pages_owned, td->owned_at_create);
	assert_int_equal(ms.pamt_violations, pamt_violations_at_create);
}

struct page *td_gmem_page(struct td *td, u64 gpa)
{
	struct file *file = fget(td->gmem);
	struct page *head;
	u64 index = gpa >> PAGE_SHIFT;

	assert_non_null(file);
	head = kvm_gmem_peek_folio(file, index);
	fput(file);
	if (!head)
		return NULL;
	return pfn_to_page(page_to_pfn(head) +
			   (index & ((1ULL << head->order) - 1)));
}

struct leaf_count {
	u64 n[3];
};

static void count_leaf(void *arg, gfn_t gfn, int level, u64 spte)
{
	struct leaf_count *c = arg;

	if (level >= 1 && level <= 3)
		c->n[level - 1]++;
}

u64 td_count_leaves(struct td *td, bool mirror, int level)
{
	struct file *file = fget(td->vm);
	struct leaf_count c = { { 0 } };
	struct kvm *kvm;

	assert_non_null(file);
	kvm = file->private_data;
	read_lock(&kvm->mmu_lock);
	kvm_tdp_mmu_for_each_leaf(kvm, mirror, 0, kvm->arch.gfn_direct_bits,
				  count_leaf, &c);
	read_unlock(&kvm->mmu_lock);
	fput(file);
	return c.n[level - 1];
}
