// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Helpers for the KVM tests (see kvm_util.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "base/lockdep.h"
#include "base/rcu.h"
#include "kvm_util.h"

static int kvm_fd = -1;
static int open_at_setup;

int kvm_dev(void)
{
	if (kvm_fd < 0)
		kvm_fd = tdxsim_open("/dev/kvm", O_RDWR);
	assert_true(kvm_fd >= 0);
	return kvm_fd;
}

int vm_create(unsigned long type)
{
	return sys_ret(tdxsim_ioctl(kvm_dev(), KVM_CREATE_VM, type));
}

int tdx_cmd(int fd, u32 id, u32 flags, u64 data)
{
	struct kvm_tdx_cmd cmd = { .id = id, .flags = flags, .data = data };

	return sys_ret(tdxsim_ioctl(fd, KVM_MEMORY_ENCRYPT_OP, &cmd));
}

int vm_create_tdx(void)
{
	int vm = vm_create(KVM_X86_TDX_VM);

	assert_true(vm >= 0);
	assert_int_equal(tdx_cmd(vm, KVM_TDX_INIT_VM, 0, 0), 0);
	return vm;
}

int gmem_create(int vm, u64 size, u64 flags)
{
	struct kvm_create_guest_memfd args = { .size = size, .flags = flags };

	return sys_ret(tdxsim_ioctl(vm, KVM_CREATE_GUEST_MEMFD, &args));
}

int set_region2(int vm, u32 slot, u32 flags, u64 gpa, u64 size, u64 uaddr,
		u32 gmem_fd, u64 gmem_offset)
{
	struct kvm_userspace_memory_region2 r = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = uaddr,
		.guest_memfd_offset = gmem_offset,
		.guest_memfd = gmem_fd,
	};

	return sys_ret(tdxsim_ioctl(vm, KVM_SET_USER_MEMORY_REGION2, &r));
}

int set_attrs(int vm, u64 gpa, u64 size, u64 attributes)
{
	struct kvm_memory_attributes a = {
		.address = gpa,
		.size = size,
		.attributes = attributes,
	};

	return sys_ret(tdxsim_ioctl(vm, KVM_SET_MEMORY_ATTRIBUTES, &a));
}

int vcpu_create(int vm, unsigned long id)
{
	return sys_ret(tdxsim_ioctl(vm, KVM_CREATE_VCPU, id));
}

int gmem_fallocate(int fd, int mode, u64 offset, u64 len)
{
	return sys_ret(tdxsim_fallocate(fd, mode, offset, len));
}

void *test_alloc(size_t size)
{
	void *p = aligned_alloc(SZ_2M, ALIGN(size, SZ_2M));

	assert_non_null(p);
	memset(p, 0, size);
	return p;
}

struct file *fd_file(int fd)
{
	struct file *file = fget(fd);

	assert_non_null(file);
	/* The descriptor keeps it alive for the test. */
	fput(file);
	return file;
}

struct kvm *vm_kvm(int vm_fd)
{
	struct file *file = fd_file(vm_fd);

	assert_true(file->f_op == &kvm_vm_fops);
	return file->private_data;
}

struct kvm_memory_slot *vm_slot(int vm_fd, gfn_t gfn)
{
	struct kvm *kvm = vm_kvm(vm_fd);

	return __gfn_to_memslot(kvm->memslots, gfn);
}

int kvm_test_setup(void **state)
{
	kvm_dev();
	mmu_stub_reset();
	lockdep_reset();
	open_at_setup = nr_open_files();
	return 0;
}

int kvm_test_teardown(void **state)
{
	task_work_run();
	rcu_barrier();
	assert_int_equal(nr_open_files(), open_at_setup);
	return 0;
}
