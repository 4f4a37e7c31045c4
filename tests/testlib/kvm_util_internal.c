// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * White-box looks of the KVM and TD tests (see kvm_util_internal.h).
 */
#include "testlib/kvm_util_internal.h"

struct file *fd_file(int fd)
{
	struct file *file = fget(fd);

	TEST_ASSERT(file, "descriptor %d is not tdxsim's", fd);
	/* The descriptor keeps it alive for the test. */
	fput(file);
	return file;
}

struct kvm *vm_kvm(int vm_fd)
{
	struct file *file = fd_file(vm_fd);

	TEST_ASSERT(file->f_op == &kvm_vm_fops, "descriptor %d is not a VM",
		    vm_fd);
	return file->private_data;
}

struct kvm_memory_slot *vm_slot(int vm_fd, gfn_t gfn)
{
	struct kvm *kvm = vm_kvm(vm_fd);

	return __gfn_to_memslot(kvm->memslots, gfn);
}
