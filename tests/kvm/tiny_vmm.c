// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A tiny VMM written against the public headers only (include/tdxsim/):
 * it creates a TDX VM with a guest_memfd memslot, converts it to private,
 * creates and initializes a vCPU, finalizes the TD, runs the vCPU once,
 * punches a hole and tears everything down. Exit status 0 on success.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
/* tdxsim's headers first: the system's must still be includable after. */
#include "tdxsim/kvm.h"
#include "tdxsim/tdxsim.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#define GPA	0x80000000ULL
#define SIZE	0x200000ULL

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "tiny_vmm: %s:%d: %s (errno %d: %s)\n", \
				__FILE__, __LINE__, #cond, errno,	\
				strerror(errno));			\
			exit(1);					\
		}							\
	} while (0)

static int tdx_op(int fd, unsigned int id, unsigned int flags, void *data)
{
	struct kvm_tdx_cmd cmd = {
		.id = id,
		.flags = flags,
		.data = (uint64_t)(uintptr_t)data,
	};

	return tdxsim_ioctl(fd, KVM_MEMORY_ENCRYPT_OP, &cmd);
}

int main(void)
{
	struct kvm_userspace_memory_region2 region;
	struct kvm_create_guest_memfd gmem_args;
	struct kvm_memory_attributes attrs;
	struct kvm_tdx_init_vm *init_vm;
	struct tdxsim_design design;
	struct tdxsim_stats stats;
	struct kvm_run *run;
	int kvm, vm, gmem, vcpu;
	long mmap_size;
	void *shared;

	kvm = tdxsim_open("/dev/kvm", O_RDWR);
	CHECK(kvm >= 0);
	CHECK(tdxsim_ioctl(kvm, KVM_GET_API_VERSION, 0) == KVM_API_VERSION);
	CHECK(tdxsim_ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_VM_TYPES) &
	      (1 << KVM_X86_TDX_VM));
	CHECK(tdxsim_ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD) > 0);
	mmap_size = tdxsim_ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	CHECK(mmap_size >= (long)sizeof(struct kvm_run));

	vm = tdxsim_ioctl(kvm, KVM_CREATE_VM, KVM_X86_TDX_VM);
	CHECK(vm >= 0);

	/* The default kernel (next), explicitly. */
	CHECK(tdxsim_ioctl(vm, TDXSIM_GET_DESIGN, &design) == 0);
	CHECK(design.populate == TDXSIM_POPULATE_MAP_PFN);
	CHECK(tdxsim_ioctl(vm, TDXSIM_SET_DESIGN, &design) == 0);

	/* GPAW 48 (CPUID 0x80000008.EAX[23:16]); XFAM x87 | SSE. */
	init_vm = calloc(1, sizeof(*init_vm) +
			 sizeof(struct kvm_cpuid_entry2));
	CHECK(init_vm);
	init_vm->xfam = 0x3;
	init_vm->cpuid.nent = 1;
	init_vm->cpuid.entries[0].function = 0x80000008;
	init_vm->cpuid.entries[0].eax = (48 << 16) | 52;
	CHECK(tdx_op(vm, KVM_TDX_INIT_VM, 0, init_vm) == 0);
	free(init_vm);

	memset(&gmem_args, 0, sizeof(gmem_args));
	gmem_args.size = SIZE;
	gmem = tdxsim_ioctl(vm, KVM_CREATE_GUEST_MEMFD, &gmem_args);
	CHECK(gmem >= 0);

	shared = mmap(NULL, SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(shared != MAP_FAILED);
	memset(&region, 0, sizeof(region));
	region.slot = 0;
	region.flags = KVM_MEM_GUEST_MEMFD;
	region.guest_phys_addr = GPA;
	region.memory_size = SIZE;
	region.userspace_addr = (uint64_t)(uintptr_t)shared;
	region.guest_memfd = gmem;
	region.guest_memfd_offset = 0;
	CHECK(tdxsim_ioctl(vm, KVM_SET_USER_MEMORY_REGION2, &region) == 0);

	/* A second, overlapping slot is refused with EEXIST. */
	region.slot = 1;
	region.flags = 0;
	CHECK(tdxsim_ioctl(vm, KVM_SET_USER_MEMORY_REGION2, &region) == -1 &&
	      errno == EEXIST);

	memset(&attrs, 0, sizeof(attrs));
	attrs.address = GPA;
	attrs.size = SIZE;
	attrs.attributes = KVM_MEMORY_ATTRIBUTE_PRIVATE;
	CHECK(tdxsim_ioctl(vm, KVM_SET_MEMORY_ATTRIBUTES, &attrs) == 0);

	vcpu = tdxsim_ioctl(vm, KVM_CREATE_VCPU, 0);
	CHECK(vcpu >= 0);
	CHECK(tdx_op(vcpu, KVM_TDX_INIT_VCPU, 0, NULL) == 0);
	run = tdxsim_mmap(NULL, mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			  vcpu, 0);
	CHECK(run != MAP_FAILED);

	CHECK(tdx_op(vm, KVM_TDX_FINALIZE_VM, 0, NULL) == 0);

	CHECK(tdxsim_ioctl(vcpu, KVM_RUN, 0) == 0);
	/* Without a guest program the vCPU halts or shuts down at once. */
	printf("tiny_vmm: KVM_RUN exit reason %u\n", run->exit_reason);
	CHECK(run->exit_reason == KVM_EXIT_SHUTDOWN ||
	      run->exit_reason == KVM_EXIT_HLT ||
	      run->exit_reason == KVM_EXIT_SYSTEM_EVENT);

	CHECK(tdxsim_fallocate(gmem, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE,
			       0, SIZE) == 0);
	CHECK(tdxsim_ioctl(vm, TDXSIM_GET_STATS, &stats) == 0);
	CHECK(stats.punch_holes == 1);
	CHECK(stats.conversions == 1);

	CHECK(tdxsim_munmap(run, mmap_size) == 0);
	CHECK(tdxsim_close(vcpu) == 0);
	CHECK(tdxsim_close(gmem) == 0);
	CHECK(tdxsim_close(vm) == 0);
	CHECK(tdxsim_close(kvm) == 0);
	munmap(shared, SIZE);
	printf("tiny_vmm: TD created, run and torn down\n");
	return 0;
}
