/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers for the KVM tests, in the spirit of the kernel's selftests
 * kvm_util: every helper goes through the tdxsim_* system calls and returns
 * 0 / a descriptor, or -errno. vm_kvm() and friends reach inside (white-box)
 * for the assertions only a kernel test module could make.
 */
#ifndef TDXSIM_TESTS_KVM_UTIL_H
#define TDXSIM_TESTS_KVM_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kvm/guest_memfd.h"
#include "kvm/kvm_host.h"
#include "mmu_stub.h"
#include "tdxsim/tdxsim.h"

/* -errno of a failed tdxsim call, else its result. */
static inline long sys_ret(long r)
{
	return r < 0 ? -errno : r;
}

/* The /dev/kvm descriptor (opened once). */
int kvm_dev(void);
/* KVM_CREATE_VM of @type: the VM fd or -errno. */
int vm_create(unsigned long type);
/* A TDX VM after KVM_TDX_INIT_VM (fake vendor): its fd (asserts). */
int vm_create_tdx(void);
/* KVM_MEMORY_ENCRYPT_OP with a kvm_tdx_cmd on a VM or vCPU fd. */
int tdx_cmd(int fd, u32 id, u32 flags, u64 data);
/* KVM_CREATE_GUEST_MEMFD: the fd or -errno. */
int gmem_create(int vm, u64 size, u64 flags);
/* KVM_SET_USER_MEMORY_REGION2: 0 or -errno. */
int set_region2(int vm, u32 slot, u32 flags, u64 gpa, u64 size, u64 uaddr,
		u32 gmem_fd, u64 gmem_offset);
/* KVM_SET_MEMORY_ATTRIBUTES: 0 or -errno. */
int set_attrs(int vm, u64 gpa, u64 size, u64 attributes);
/* KVM_CREATE_VCPU: the vCPU fd or -errno. */
int vcpu_create(int vm, unsigned long id);
/* fallocate on a guest_memfd: 0 or -errno. */
int gmem_fallocate(int fd, int mode, u64 offset, u64 len);

/* Page-aligned host memory for userspace_addr (freed by the test). */
void *test_alloc(size_t size);

/* White-box: the struct kvm / struct file behind a descriptor. */
struct kvm *vm_kvm(int vm_fd);
struct file *fd_file(int fd);
struct kvm_memory_slot *vm_slot(int vm_fd, gfn_t gfn);

/* cmocka setup for every test: reset the MMU stub and lockdep reports. */
int kvm_test_setup(void **state);
/* Teardown: no descriptor of the test may stay open. */
int kvm_test_teardown(void **state);

#endif /* TDXSIM_TESTS_KVM_UTIL_H */
