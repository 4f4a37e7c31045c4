// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The reliability tests' VMM (see rel_util.h): public headers only.
 */
#include "tdxsim/guest.h"
#include "tdxsim/kvm.h"
#include "tdxsim/tdxsim.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "rel_util.h"

void rel_td_opts_init(struct rel_td_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->gpa = REL_GPA;
	o->size = 2ULL << 20;
}

int rel_open_kvm(void)
{
	int kvm = tdxsim_open("/dev/kvm", O_RDWR);

	assert_true(kvm >= 0);
	return kvm;
}

int rel_tdx_op(int fd, unsigned int id, unsigned int flags, void *data)
{
	struct kvm_tdx_cmd cmd = {
		.id = id,
		.flags = flags,
		.data = (uint64_t)(uintptr_t)data,
	};

	return tdxsim_ioctl(fd, KVM_MEMORY_ENCRYPT_OP, &cmd);
}

/* SEPT_VE_DISABLE: the TD attribute KVM lets a VMM set (what QEMU sets). */
#define TDX_TD_ATTR_SEPT_VE_DISABLE	(1ULL << 28)

/* KVM_TDX_INIT_VM with GPAW 48, SEPT_VE_DISABLE and XFAM x87 | SSE. */
static int rel_init_vm(int vm)
{
	struct kvm_tdx_init_vm *init_vm;
	int r;

	init_vm = calloc(1, sizeof(*init_vm) + sizeof(struct kvm_cpuid_entry2));
	assert_non_null(init_vm);
	init_vm->attributes = TDX_TD_ATTR_SEPT_VE_DISABLE;
	init_vm->xfam = 0x3;
	init_vm->cpuid.nent = 1;
	init_vm->cpuid.entries[0].function = 0x80000008;
	init_vm->cpuid.entries[0].eax = (48 << 16) | 52;
	r = rel_tdx_op(vm, KVM_TDX_INIT_VM, 0, init_vm);
	free(init_vm);
	return r;
}

int rel_create_td_vm(int kvm)
{
	int vm = tdxsim_ioctl(kvm, KVM_CREATE_VM, KVM_X86_TDX_VM);

	assert_true(vm >= 0);
	assert_int_equal(rel_init_vm(vm), 0);
	return vm;
}

int rel_set_attrs(int vm, uint64_t gpa, uint64_t size, bool private_mem)
{
	struct kvm_memory_attributes attrs = {
		.address = gpa,
		.size = size,
		.attributes = private_mem ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0,
	};

	return tdxsim_ioctl(vm, KVM_SET_MEMORY_ATTRIBUTES, &attrs);
}

int rel_pre_fault(int vcpu, uint64_t gpa, uint64_t size)
{
	struct kvm_pre_fault_memory range = { .gpa = gpa, .size = size };

	return tdxsim_ioctl(vcpu, KVM_PRE_FAULT_MEMORY, &range);
}

int rel_punch(int gmem, uint64_t off, uint64_t len)
{
	return tdxsim_fallocate(gmem, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE,
				(off_t)off, (off_t)len);
}

void rel_vm_stats(int vm, struct tdxsim_stats *st)
{
	assert_int_equal(tdxsim_ioctl(vm, TDXSIM_GET_STATS, st), 0);
}

void rel_module_stats(struct tdxsim_module_stats *st)
{
	int kvm = rel_open_kvm();

	assert_int_equal(tdxsim_ioctl(kvm, TDXSIM_GET_MODULE_STATS, st), 0);
	assert_int_equal(tdxsim_close(kvm), 0);
}

unsigned int rel_check_invariants(int vm)
{
	static char buf[8192];
	struct tdxsim_check check = {
		.buf = (uint64_t)(uintptr_t)buf,
		.len = sizeof(buf),
	};

	assert_int_equal(tdxsim_ioctl(vm, TDXSIM_CHECK_INVARIANTS, &check), 0);
	if (check.errors) {
		char *line, *save = NULL;

		for (line = strtok_r(buf, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			print_message("# %s\n", line);
	}
	return check.errors;
}

void rel_td_create(struct rel_td *td, const struct rel_td_opts *o)
{
	struct kvm_userspace_memory_region2 region;
	struct kvm_create_guest_memfd gmem_args;
	struct tdxsim_design design;

	memset(td, 0, sizeof(*td));
	td->gpa = o->gpa;
	td->size = o->size;
	td->kvm = rel_open_kvm();
	td->vm = tdxsim_ioctl(td->kvm, KVM_CREATE_VM, KVM_X86_TDX_VM);
	assert_true(td->vm >= 0);

	assert_int_equal(tdxsim_ioctl(td->vm, TDXSIM_GET_DESIGN, &design), 0);
	design.gmem_hugepages = o->hugepages;
	design.measure_two_pass = o->measure_two_pass;
	if (o->set_gmem_locking)
		design.gmem_locking = o->gmem_locking;
	assert_int_equal(tdxsim_ioctl(td->vm, TDXSIM_SET_DESIGN, &design), 0);
	assert_int_equal(rel_init_vm(td->vm), 0);

	memset(&gmem_args, 0, sizeof(gmem_args));
	gmem_args.size = o->size;
	gmem_args.flags = o->gmem_flags;
	td->gmem = tdxsim_ioctl(td->vm, KVM_CREATE_GUEST_MEMFD, &gmem_args);
	assert_true(td->gmem >= 0);

	memset(&region, 0, sizeof(region));
	region.flags = KVM_MEM_GUEST_MEMFD;
	region.guest_phys_addr = o->gpa;
	region.memory_size = o->size;
	region.guest_memfd = td->gmem;
	region.userspace_addr = (uint64_t)(uintptr_t)o->uaddr;
	assert_int_equal(tdxsim_ioctl(td->vm, KVM_SET_USER_MEMORY_REGION2,
				      &region), 0);
	if (o->private_mem)
		assert_int_equal(rel_set_attrs(td->vm, o->gpa, o->size, true),
				 0);

	td->vcpu = tdxsim_ioctl(td->vm, KVM_CREATE_VCPU, 0);
	assert_true(td->vcpu >= 0);
	if (o->program) {
		struct tdxsim_guest_config cfg;
		struct tdxsim_guest g;
		char err[256];

		tdxsim_guest_config_init(&cfg);
		assert_int_equal(tdxsim_guest_parse(o->program, "rel", &cfg,
						    &td->guest, err,
						    sizeof(err)), 0);
		g.ops = tdxsim_guest_ops();
		g.guest = tdxsim_guest_vcpu(td->guest, 0);
		assert_int_equal(tdxsim_ioctl(td->vcpu, TDXSIM_SET_GUEST, &g),
				 0);
	}
	assert_int_equal(rel_tdx_op(td->vcpu, KVM_TDX_INIT_VCPU, 0, NULL), 0);
	td->run_size = tdxsim_ioctl(td->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	td->run = tdxsim_mmap(NULL, td->run_size, PROT_READ | PROT_WRITE,
			      MAP_SHARED, td->vcpu, 0);
	assert_true(td->run != MAP_FAILED);

	if (o->nr_init_pages) {
		struct kvm_tdx_init_mem_region region_init = {
			.gpa = o->gpa,
			.nr_pages = o->nr_init_pages,
		};

		td->src_size = (size_t)o->nr_init_pages << 12;
		td->src = mmap(NULL, td->src_size,
			       PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		assert_true(td->src != MAP_FAILED);
		memset(td->src, 0x5a, td->src_size);
		region_init.source_addr = (uint64_t)(uintptr_t)td->src;
		assert_int_equal(rel_tdx_op(td->vcpu, KVM_TDX_INIT_MEM_REGION,
					    o->measure ?
					    KVM_TDX_MEASURE_MEMORY_REGION : 0,
					    &region_init), 0);
	}
	if (o->finalize)
		assert_int_equal(rel_tdx_op(td->vm, KVM_TDX_FINALIZE_VM, 0,
					    NULL), 0);
}

void rel_td_destroy(struct rel_td *td)
{
	if (td->run && td->run != MAP_FAILED)
		tdxsim_munmap(td->run, td->run_size);
	if (td->vcpu > 0)
		tdxsim_close(td->vcpu);
	if (td->gmem > 0)
		tdxsim_close(td->gmem);
	if (td->vm > 0)
		tdxsim_close(td->vm);
	if (td->kvm > 0)
		tdxsim_close(td->kvm);
	tdxsim_guest_destroy(td->guest);
	if (td->src)
		munmap(td->src, td->src_size);
	memset(td, 0, sizeof(*td));
}

static const char *watchdog_what;

static void rel_watchdog_fire(int sig)
{
	static const char msg[] = "watchdog: the test did not finish: ";
	ssize_t r;

	r = write(2, msg, sizeof(msg) - 1);
	if (watchdog_what)
		r = write(2, watchdog_what, strlen(watchdog_what));
	r = write(2, "\n", 1);
	(void)r;
	_exit(1);
}

void rel_watchdog(unsigned int seconds, const char *what)
{
	watchdog_what = what;
	signal(SIGALRM, rel_watchdog_fire);
	alarm(seconds);
}

void rel_set_user_slot(int vm, uint64_t gpa, void *uaddr, uint64_t size)
{
	struct kvm_userspace_memory_region2 r = {
		.slot = 0,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)uaddr,
	};

	assert_int_equal(tdxsim_ioctl(vm, KVM_SET_USER_MEMORY_REGION2, &r), 0);
}
