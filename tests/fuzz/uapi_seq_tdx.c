// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * uapi_seq's KVM_TDX_* commands on VM and vCPU descriptors, with valid,
 * random and garbage structs, and the launch of a TD the right way.
 */
#include "uapi_seq.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "tdxsim/tdx.h"

/* A struct kvm_cpuid2 with room for 256 entries (per thread). */
static struct {
	struct kvm_tdx_init_vm init;
	struct kvm_cpuid_entry2 e[KVM_MAX_CPUID_ENTRIES + 4];
} cpuid_buf[MAX_THREADS];

static struct {
	struct kvm_tdx_capabilities caps;
	struct kvm_cpuid_entry2 e[KVM_MAX_CPUID_ENTRIES + 4];
} caps_buf[MAX_THREADS];

#define TDX_ATTR_SEPT_VE_DISABLE	(1ULL << 28)

static void fill_init_vm(struct thr *t, struct kvm_tdx_init_vm *iv, bool valid)
{
	unsigned int gpaw = chance(&t->rng, 80) ? 48 :
			    chance(&t->rng, 50) ? 52 : rn(&t->rng, 64);

	memset(iv, 0, sizeof(*iv) + sizeof(struct kvm_cpuid_entry2));
	iv->attributes = TDX_ATTR_SEPT_VE_DISABLE;
	iv->xfam = 0x3;
	iv->cpuid.nent = 1;
	iv->cpuid.entries[0].function = 0x80000008;
	iv->cpuid.entries[0].eax = (gpaw << 16) | 52;
	if (valid)
		return;
	switch (rn(&t->rng, 6)) {
	case 0: iv->attributes = rnd(&t->rng); break;
	case 1: iv->xfam = rnd(&t->rng); break;
	case 2: iv->cpuid.nent = rn(&t->rng, 300); break;
	case 3: iv->cpuid.nent = (uint32_t)rnd(&t->rng); break;
	case 4: iv->reserved[rn(&t->rng, N_OF(iv->reserved))] = rnd(&t->rng); break;
	default: iv->cpuid.entries[0].function = (uint32_t)rnd(&t->rng); break;
	}
}

static long tdx_cmd(struct thr *t, int fd, uint32_t id, uint32_t flags,
		    void *data)
{
	struct kvm_tdx_cmd cmd = {
		.id = id, .flags = flags, .data = (uint64_t)(uintptr_t)data,
	};

	if (chance(&t->rng, 3))
		cmd.hw_error = rnd(&t->rng);
	return tdxsim_ioctl(fd, KVM_MEMORY_ENCRYPT_OP, ptr(t, &cmd, sizeof(cmd)));
}

static const eset_t tdx_ok = E_BASE | E(EINVAL) | E(ENOTTY) | E(EBADF) |
	E(E2BIG) | E(EBUSY) | E(ENOMEM) | E(EAGAIN) | E(EPERM) | E(ENOSPC);

void op_tdx_vm(struct thr *t)
{
	int vm = pick_fd(t, O_VM, NULL);
	unsigned int k = t->index;
	long r;

	switch (rn(&t->rng, 6)) {
	case 0:
		memset(&caps_buf[k], 0, sizeof(caps_buf[k]));
		caps_buf[k].caps.cpuid.nent = chance(&t->rng, 70) ?
			KVM_MAX_CPUID_ENTRIES : rn(&t->rng, 8);
		r = tdx_cmd(t, vm, KVM_TDX_CAPABILITIES, chance(&t->rng, 90) ? 0 : 1,
			    ptr(t, &caps_buf[k], sizeof(caps_buf[k].caps)));
		chk(t, "KVM_TDX_CAPABILITIES", r, tdx_ok);
		break;
	case 1:
	case 2:
		fill_init_vm(t, &cpuid_buf[k].init, chance(&t->rng, 70));
		r = tdx_cmd(t, vm, KVM_TDX_INIT_VM, chance(&t->rng, 95) ? 0 : 1,
			    ptr(t, &cpuid_buf[k].init, sizeof(cpuid_buf[k].init)));
		chk(t, "KVM_TDX_INIT_VM", r, tdx_ok);
		break;
	case 3:
		r = tdx_cmd(t, vm, KVM_TDX_FINALIZE_VM,
			    chance(&t->rng, 90) ? 0 : rn(&t->rng, 4),
			    chance(&t->rng, 90) ? NULL : (void *)rnd(&t->rng));
		chk(t, "KVM_TDX_FINALIZE_VM", r, tdx_ok);
		break;
	case 4:
		/* A vCPU command on the VM fd, or an unknown one. */
		r = tdx_cmd(t, vm, chance(&t->rng, 50) ? KVM_TDX_INIT_VCPU +
			    rn(&t->rng, 3) * 2 : KVM_TDX_CMD_NR_MAX + rn(&t->rng, 1000),
			    0, src);
		chk(t, "KVM_MEMORY_ENCRYPT_OP(bad id)", r, tdx_ok);
		break;
	default:
		r = tdxsim_ioctl(vm, KVM_MEMORY_ENCRYPT_OP, ptr(t, NULL, 24));
		chk(t, "KVM_MEMORY_ENCRYPT_OP(bad cmd)", r, tdx_ok);
		break;
	}
}

void op_tdx_vcpu(struct thr *t)
{
	int vcpu = pick_fd(t, O_VCPU, NULL);
	unsigned int k = t->index;
	long r;

	switch (rn(&t->rng, 5)) {
	case 0:
	case 1:
		r = tdx_cmd(t, vcpu, KVM_TDX_INIT_VCPU, chance(&t->rng, 95) ? 0 : 1,
			    (void *)(uintptr_t)(chance(&t->rng, 80) ? 0 : rnd(&t->rng)));
		chk(t, "KVM_TDX_INIT_VCPU", r, tdx_ok);
		break;
	case 2:
	case 3: {
		struct kvm_tdx_init_mem_region mr = {
			.source_addr = (uint64_t)(uintptr_t)ptr(t, src, PAGE),
			.gpa = chance(&t->rng, 70) ? 0x80000000ULL +
			       ((uint64_t)rn(&t->rng, 1024) << 12) : gpa_pick(t),
			.nr_pages = chance(&t->rng, 80) ? 1 + rn(&t->rng, SRC_PAGES) :
				    rnd(&t->rng) >> rn(&t->rng, 64),
		};

		if (mr.nr_pages > SRC_PAGES && chance(&t->rng, 90))
			mr.nr_pages = SRC_PAGES;
		r = tdx_cmd(t, vcpu, KVM_TDX_INIT_MEM_REGION,
			    chance(&t->rng, 50) ? KVM_TDX_MEASURE_MEMORY_REGION :
			    chance(&t->rng, 80) ? 0 : 1U << rn(&t->rng, 32),
			    ptr(t, &mr, sizeof(mr)));
		chk(t, "KVM_TDX_INIT_MEM_REGION", r, tdx_ok | E(ENOENT) |
		    E(EEXIST) | E(EINTR));
		break;
	}
	default:
		memset(&cpuid_buf[k], 0, sizeof(cpuid_buf[k]));
		cpuid_buf[k].init.cpuid.nent = chance(&t->rng, 70) ?
			KVM_MAX_CPUID_ENTRIES : rn(&t->rng, 8);
		r = tdx_cmd(t, vcpu, KVM_TDX_GET_CPUID, chance(&t->rng, 95) ? 0 : 1,
			    ptr(t, &cpuid_buf[k].init.cpuid, 8));
		chk(t, "KVM_TDX_GET_CPUID", r, tdx_ok);
		break;
	}
}

/*
 * Build a TD the right way on a fresh VM (a small fraction of the calls):
 * INIT_VM, a guest_memfd slot, PRIVATE, a vCPU with a guest program,
 * INIT_VCPU, INIT_MEM_REGION, FINALIZE. The objects join the sequence.
 */
void op_launch(struct thr *t)
{
	struct kvm_userspace_memory_region2 r2;
	struct kvm_create_guest_memfd ga;
	struct kvm_memory_attributes a;
	struct kvm_tdx_init_mem_region mr;
	struct seq *s = t->s;
	int sys, vm, gmem, vcpu;
	struct tdxsim_design d;
	unsigned int k = t->index;
	long r;

	if (!obj_room(s) || !obj_room(s))
		return;
	sys = tdxsim_open("/dev/kvm", O_RDWR);
	chk(t, "open(/dev/kvm)", sys, E(EMFILE));
	if (sys < 0)
		return;
	vm = tdxsim_ioctl(sys, KVM_CREATE_VM, KVM_X86_TDX_VM);
	chk(t, "launch: KVM_CREATE_VM", vm, E(ENOMEM) | E(EMFILE));
	tdxsim_close(sys);
	if (vm < 0)
		return;
	obj_add(s, O_VM, vm, KVM_X86_TDX_VM, 0, 0);
	if (chance(&t->rng, 30)) {
		r = tdxsim_ioctl(vm, TDXSIM_GET_DESIGN, &d);
		chk(t, "launch: TDXSIM_GET_DESIGN", r, E_BASE);
		d.gmem_hugepages = chance(&t->rng, 50);
		d.measure_two_pass = chance(&t->rng, 30);
		r = tdxsim_ioctl(vm, TDXSIM_SET_DESIGN, &d);
		chk(t, "launch: TDXSIM_SET_DESIGN", r, E_BASE | E(EBUSY));
	}
	fill_init_vm(t, &cpuid_buf[k].init, true);
	r = tdx_cmd(t, vm, KVM_TDX_INIT_VM, 0, &cpuid_buf[k].init);
	chk(t, "launch: KVM_TDX_INIT_VM", r, tdx_ok);
	if (r)
		return;
	memset(&ga, 0, sizeof(ga));
	ga.size = 4ULL << 20;
	ga.flags = chance(&t->rng, 60) ? GUEST_MEMFD_FLAG_MMAP : 0;
	gmem = tdxsim_ioctl(vm, KVM_CREATE_GUEST_MEMFD, &ga);
	chk(t, "launch: KVM_CREATE_GUEST_MEMFD", gmem, E_BASE | E(ENOMEM) |
	    E(EMFILE));
	if (gmem < 0)
		return;
	obj_add(s, O_GMEM, gmem, 0, ga.size, ga.flags);
	memset(&r2, 0, sizeof(r2));
	r2.slot = rn(&t->rng, 2);
	r2.flags = KVM_MEM_GUEST_MEMFD;
	r2.guest_phys_addr = 0x80000000ULL;
	r2.memory_size = 4ULL << 20;
	r2.userspace_addr = (uint64_t)(uintptr_t)umem;
	r2.guest_memfd = (uint32_t)gmem;
	r = tdxsim_ioctl(vm, KVM_SET_USER_MEMORY_REGION2, &r2);
	chk(t, "launch: KVM_SET_USER_MEMORY_REGION2", r, E_BASE | E(EBADF) |
	    E(EINVAL) | E(EEXIST));
	memset(&a, 0, sizeof(a));
	a.address = 0x80000000ULL;
	a.size = 4ULL << 20;
	a.attributes = KVM_MEMORY_ATTRIBUTE_PRIVATE;
	r = tdxsim_ioctl(vm, KVM_SET_MEMORY_ATTRIBUTES, &a);
	chk(t, "launch: KVM_SET_MEMORY_ATTRIBUTES", r, E_BASE | E(ENOMEM) |
	    E(EAGAIN));
	vcpu = tdxsim_ioctl(vm, KVM_CREATE_VCPU, 0);
	chk(t, "launch: KVM_CREATE_VCPU", vcpu, E_BASE | E(EEXIST) | E(EMFILE) |
	    E(ENOMEM) | E(EBUSY));
	if (vcpu < 0)
		return;
	obj_add(s, O_VCPU, vcpu, 0, 0, 0);
	if (chance(&t->rng, 70))
		op_set_guest(t);	/* on some vCPU: maybe this one */
	r = tdx_cmd(t, vcpu, KVM_TDX_INIT_VCPU, 0, NULL);
	chk(t, "launch: KVM_TDX_INIT_VCPU", r, tdx_ok);
	memset(&mr, 0, sizeof(mr));
	mr.source_addr = (uint64_t)(uintptr_t)src;
	mr.gpa = 0x80000000ULL + ((uint64_t)rn(&t->rng, 4) << 20);
	mr.nr_pages = 1 + rn(&t->rng, SRC_PAGES);
	r = tdx_cmd(t, vcpu, KVM_TDX_INIT_MEM_REGION,
		    chance(&t->rng, 50) ? KVM_TDX_MEASURE_MEMORY_REGION : 0, &mr);
	chk(t, "launch: KVM_TDX_INIT_MEM_REGION", r, tdx_ok | E(ENOENT) |
	    E(EEXIST));
	r = tdx_cmd(t, vm, KVM_TDX_FINALIZE_VM, 0, NULL);
	chk(t, "launch: KVM_TDX_FINALIZE_VM", r, tdx_ok);
}
