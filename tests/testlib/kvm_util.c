// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The descriptor-level helpers (see tdxsim/kvm_util.h): public headers only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tdxsim/kvm_util.h"

#define TEST_ALLOC_ALIGN	(2ULL << 20)

static int kvm_fd = -1;

int kvm_dev(void)
{
	if (kvm_fd < 0)
		kvm_fd = tdxsim_open("/dev/kvm", O_RDWR);
	TEST_ASSERT_OK(sys_ret(kvm_fd), "open(/dev/kvm)");
	return kvm_fd;
}

int __vm_create(unsigned long type)
{
	return sys_ret(tdxsim_ioctl(kvm_dev(), KVM_CREATE_VM, type));
}

int __vm_set_kernel(int vm, const char *name)
{
	struct tdxsim_kernel k;

	memset(&k, 0, sizeof(k));
	snprintf(k.name, sizeof(k.name), "%s", name);
	return sys_ret(tdxsim_ioctl(vm, TDXSIM_SET_KERNEL, &k));
}

void vm_set_kernel(int vm, const char *name)
{
	TEST_ASSERT_OK(__vm_set_kernel(vm, name), "TDXSIM_SET_KERNEL(%s)",
		       name);
}

int vm_create(unsigned long type)
{
	int vm = __vm_create(type);

	TEST_ASSERT_OK(vm, "KVM_CREATE_VM(type %lu)", type);
	return vm;
}

int __tdx_cmd(int fd, uint32_t id, uint32_t flags, uint64_t data,
	      uint64_t *hw_error)
{
	struct kvm_tdx_cmd cmd = { .id = id, .flags = flags, .data = data };
	int r = sys_ret(tdxsim_ioctl(fd, KVM_MEMORY_ENCRYPT_OP, &cmd));

	if (hw_error)
		*hw_error = cmd.hw_error;
	return r;
}

void tdx_cmd(int fd, uint32_t id, uint32_t flags, uint64_t data)
{
	uint64_t hw = 0;
	int r = __tdx_cmd(fd, id, flags, data, &hw);

	TEST_ASSERT_OK(r, "KVM_MEMORY_ENCRYPT_OP(KVM_TDX command %u, flags %#x; hw_error %#llx)",
		       id, flags, (unsigned long long)hw);
}

int vm_create_tdx(void)
{
	int vm = vm_create(KVM_X86_TDX_VM);

	tdx_cmd(vm, KVM_TDX_INIT_VM, 0, 0);
	return vm;
}

int __vm_create_guest_memfd(int vm, uint64_t size, uint64_t flags)
{
	struct kvm_create_guest_memfd args = { .size = size, .flags = flags };

	return sys_ret(tdxsim_ioctl(vm, KVM_CREATE_GUEST_MEMFD, &args));
}

int vm_create_guest_memfd(int vm, uint64_t size, uint64_t flags)
{
	int fd = __vm_create_guest_memfd(vm, size, flags);

	TEST_ASSERT_OK(fd, "KVM_CREATE_GUEST_MEMFD(size %#llx, flags %#llx)",
		       (unsigned long long)size, (unsigned long long)flags);
	return fd;
}

int __vm_set_user_memory_region2(int vm, uint32_t slot, uint32_t flags,
				 uint64_t gpa, uint64_t size, uint64_t uaddr,
				 uint32_t gmem_fd, uint64_t gmem_offset)
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

void vm_set_user_memory_region2(int vm, uint32_t slot, uint32_t flags,
				uint64_t gpa, uint64_t size, uint64_t uaddr,
				uint32_t gmem_fd, uint64_t gmem_offset)
{
	int r = __vm_set_user_memory_region2(vm, slot, flags, gpa, size, uaddr,
					     gmem_fd, gmem_offset);

	TEST_ASSERT_OK(r, "KVM_SET_USER_MEMORY_REGION2(slot %u, flags %#x, gpa %#llx, size %#llx)",
		       slot, flags, (unsigned long long)gpa,
		       (unsigned long long)size);
}

int __vm_set_memory_attributes(int vm, uint64_t gpa, uint64_t size,
			       uint64_t attributes)
{
	struct kvm_memory_attributes a = {
		.address = gpa,
		.size = size,
		.attributes = attributes,
	};

	return sys_ret(tdxsim_ioctl(vm, KVM_SET_MEMORY_ATTRIBUTES, &a));
}

void vm_set_memory_attributes(int vm, uint64_t gpa, uint64_t size,
			      uint64_t attributes)
{
	int r = __vm_set_memory_attributes(vm, gpa, size, attributes);

	TEST_ASSERT_OK(r, "KVM_SET_MEMORY_ATTRIBUTES(gpa %#llx, size %#llx, attributes %#llx)",
		       (unsigned long long)gpa, (unsigned long long)size,
		       (unsigned long long)attributes);
}

int __gmem_set_attributes(int gmem, uint64_t offset, uint64_t size,
			  uint64_t attributes, uint64_t *error_offset)
{
	struct kvm_memory_attributes2 a = {
		.offset = offset,
		.size = size,
		.attributes = attributes,
	};
	int r = sys_ret(tdxsim_ioctl(gmem, KVM_SET_MEMORY_ATTRIBUTES2, &a));

	if (r && error_offset)
		*error_offset = a.error_offset;
	return r;
}

void gmem_set_attributes(int gmem, uint64_t offset, uint64_t size,
			 uint64_t attributes)
{
	int r = __gmem_set_attributes(gmem, offset, size, attributes, NULL);

	TEST_ASSERT_OK(r, "KVM_SET_MEMORY_ATTRIBUTES2(offset %#llx, size %#llx, attributes %#llx)",
		       (unsigned long long)offset, (unsigned long long)size,
		       (unsigned long long)attributes);
}

int __vm_vcpu_add(int vm, unsigned long id)
{
	return sys_ret(tdxsim_ioctl(vm, KVM_CREATE_VCPU, id));
}

int vm_vcpu_add(int vm, unsigned long id)
{
	int fd = __vm_vcpu_add(vm, id);

	TEST_ASSERT_OK(fd, "KVM_CREATE_VCPU(%lu)", id);
	return fd;
}

int __gmem_fallocate(int fd, int mode, uint64_t offset, uint64_t len)
{
	return sys_ret(tdxsim_fallocate(fd, mode, offset, len));
}

void gmem_fallocate(int fd, int mode, uint64_t offset, uint64_t len)
{
	int r = __gmem_fallocate(fd, mode, offset, len);

	TEST_ASSERT_OK(r, "fallocate(mode %#x, offset %#llx, len %#llx)", mode,
		       (unsigned long long)offset, (unsigned long long)len);
}

void *test_alloc(size_t size)
{
	size_t aligned = (size + TEST_ALLOC_ALIGN - 1) & ~(TEST_ALLOC_ALIGN - 1);
	void *p = aligned_alloc(TEST_ALLOC_ALIGN, aligned);

	TEST_ASSERT(p, "aligned_alloc(%zu)", aligned);
	memset(p, 0, size);
	return p;
}
