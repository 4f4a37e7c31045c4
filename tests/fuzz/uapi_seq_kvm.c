// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * uapi_seq's operations on /dev/kvm and VM descriptors: opening, VM, vCPU
 * and guest_memfd creation, memslots, attributes, pre-faults, tdxsim's
 * controls, invariant checks, fault injection and closes.
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
#include "tdxsim/profiles.h"

void op_open(struct thr *t)
{
	int fd;

	if (!obj_room(t->s))
		return;
	if (chance(&t->rng, 10)) {
		fd = tdxsim_open(chance(&t->rng, 50) ? "/dev/kvmx" : "", O_RDWR);
		chk(t, "open(bad path)", fd, E(ENOENT) | E(EFAULT));
		if (fd >= 0)
			tdxsim_close(fd);
		return;
	}
	fd = tdxsim_open("/dev/kvm", O_RDWR);
	chk(t, "open(/dev/kvm)", fd, E(EMFILE) | E(ENOMEM));
	if (fd >= 0)
		obj_add(t->s, O_SYS, fd, 0, 0, 0);
}

void op_sys(struct thr *t)
{
	int fd = pick_fd(t, O_SYS, NULL);
	uint8_t buf[4096] __attribute__((aligned(16)));
	long r;

	switch (rn(&t->rng, 9)) {
	case 0:
		r = tdxsim_ioctl(fd, KVM_GET_API_VERSION, 0);
		chk(t, "KVM_GET_API_VERSION", r, E_BASE);
		break;
	case 1:
		r = tdxsim_ioctl(fd, KVM_CHECK_EXTENSION,
				 chance(&t->rng, 50) ? rn(&t->rng, 260) :
				 rnd(&t->rng));
		chk(t, "KVM_CHECK_EXTENSION", r, E_BASE);
		break;
	case 2:
		r = tdxsim_ioctl(fd, KVM_GET_VCPU_MMAP_SIZE, 0);
		chk(t, "KVM_GET_VCPU_MMAP_SIZE", r, E_BASE);
		break;
	case 3:
		r = tdxsim_ioctl(fd, TDXSIM_GET_MODULE_STATS,
				 ptr(t, buf, sizeof(struct tdxsim_module_stats)));
		chk(t, "TDXSIM_GET_MODULE_STATS", r,
		    E_BASE | E(ENOTTY) | E(EBADF) | E(EINVAL) | E(ENODEV));
		break;
	case 4:
		r = tdxsim_ioctl(fd, TDXSIM_GET_HOST_MEMORY,
				 ptr(t, buf, sizeof(struct tdxsim_host_memory)));
		chk(t, "TDXSIM_GET_HOST_MEMORY", r,
		    E_BASE | E(ENOTTY) | E(EBADF) | E(EINVAL) | E(ENODEV));
		break;
	case 5: {
		struct tdxsim_reports rep = {
			.nr = rn(&t->rng, 4),
			.entries = (uint64_t)(uintptr_t)ptr(t, buf, 128),
		};

		if (chance(&t->rng, 10))
			rep.reserved = 1;
		r = tdxsim_ioctl(fd, TDXSIM_GET_REPORTS, ptr(t, &rep, sizeof(rep)));
		chk(t, "TDXSIM_GET_REPORTS", r, E_BASE | E(ENOTTY) | E(EBADF) |
		    E(EINVAL) | E(E2BIG) | E(ENODEV));
		break;
	}
	case 6: {
		struct tdxsim_lock_stats ls = {
			.nr = rn(&t->rng, 30),
			.classes = (uint64_t)(uintptr_t)ptr(t, buf, 104),
		};

		r = tdxsim_ioctl(fd, TDXSIM_GET_LOCK_STATS, ptr(t, &ls, sizeof(ls)));
		chk(t, "TDXSIM_GET_LOCK_STATS", r, E_BASE | E(ENOTTY) | E(EBADF) |
		    E(EINVAL) | E(E2BIG) | E(ENODEV));
		break;
	}
	case 7: {
		static struct tdxsim_sched_verdict v[MAX_THREADS];

		r = tdxsim_ioctl(fd, TDXSIM_GET_SCHED_VERDICT,
				 ptr(t, &v[t->index], sizeof(v[0])));
		chk(t, "TDXSIM_GET_SCHED_VERDICT", r, E_BASE | E(ENOTTY) |
		    E(EBADF) | E(EINVAL) | E(ENODEV));
		break;
	}
	default: {
		/* An unknown request, KVM's or tdxsim's. */
		unsigned long req = chance(&t->rng, 50) ?
			_IO(KVMIO, 0x80 + rn(&t->rng, 0x7f)) :
			_IOR(TDXSIMIO, 0x30 + rn(&t->rng, 0x40), uint64_t);

		r = tdxsim_ioctl(fd, req, buf);
		chk(t, "unknown ioctl on /dev/kvm", r, E_BASE | E(ENOTTY) |
		    E(EBADF) | E(EINVAL));
		/*
		 * One of them is KVM_GET_STATS_FD: on a VM or vCPU picked by
		 * mistake it makes a file, which holds the VM; close it, as
		 * a VMM that read its statistics would.
		 */
		if (req == KVM_GET_STATS_FD && r >= 0)
			tdxsim_close((int)r);
		break;
	}
	}
}

void op_create_vm(struct thr *t)
{
	static const unsigned long types[] = {
		KVM_X86_TDX_VM, KVM_X86_TDX_VM, KVM_X86_TDX_VM,
		KVM_X86_DEFAULT_VM, KVM_X86_SW_PROTECTED_VM, KVM_X86_SEV_VM,
		KVM_X86_SNP_VM, 6, 0x100000005UL,
	};
	unsigned long type = types[rn(&t->rng, sizeof(types) / sizeof(types[0]))];
	int sys = pick_fd(t, O_SYS, NULL), vm;

	if (!obj_room(t->s))
		return;
	vm = tdxsim_ioctl(sys, KVM_CREATE_VM, type);
	chk(t, "KVM_CREATE_VM", vm, E_BASE | E(ENOMEM) | E(EMFILE));
	if (vm >= 0)
		obj_add(t->s, O_VM, vm, (unsigned int)type, 0, 0);
}

void op_create_vcpu(struct thr *t)
{
	int vm = pick_fd(t, O_VM, NULL), fd;
	unsigned long id;

	if (!obj_room(t->s))
		return;
	id = chance(&t->rng, 90) ? rn(&t->rng, 4) :
	     chance(&t->rng, 50) ? 4096 + rn(&t->rng, 10) : rnd(&t->rng);
	fd = tdxsim_ioctl(vm, KVM_CREATE_VCPU, id);
	chk(t, "KVM_CREATE_VCPU", fd, E(EINVAL) | E(EEXIST) | E(EIO) |
	    E(ENOMEM) | E(EBADF) | E(ENOTTY) | E(EMFILE) | E(EBUSY));
	if (fd >= 0)
		obj_add(t->s, O_VCPU, fd, 0, 0, 0);
}

void op_create_gmem(struct thr *t)
{
	static const uint64_t sizes[] = {
		4ULL << 20, 4ULL << 20, 2ULL << 20, 6ULL << 20, 4096, 0,
		(2ULL << 20) + 4096, 1ULL << 62, 123,
	};
	struct kvm_create_guest_memfd args;
	int vm = pick_fd(t, O_VM, NULL), fd;

	if (!obj_room(t->s))
		return;
	memset(&args, 0, sizeof(args));
	args.size = sizes[rn(&t->rng, sizeof(sizes) / sizeof(sizes[0]))];
	args.flags = rn(&t->rng, 4);
	if (chance(&t->rng, 5))
		args.flags |= 1ULL << rn(&t->rng, 64);
	if (chance(&t->rng, 3))
		args.reserved[rn(&t->rng, N_OF(args.reserved))] = 1;
	fd = tdxsim_ioctl(vm, KVM_CREATE_GUEST_MEMFD, ptr(t, &args, sizeof(args)));
	chk(t, "KVM_CREATE_GUEST_MEMFD", fd, E_BASE | E(EINVAL) | E(ENOMEM) |
	    E(EBADF) | E(ENOTTY) | E(EMFILE) | E(ENOSPC) | E(EFBIG));
	if (fd >= 0)
		obj_add(t->s, O_GMEM, fd, 0, args.size, args.flags);
}

void op_memslot(struct thr *t)
{
	struct kvm_userspace_memory_region2 r2;
	int vm = pick_fd(t, O_VM, NULL), g, gslot;
	size_t map_len = 0;
	long r;

	memset(&r2, 0, sizeof(r2));
	r2.slot = chance(&t->rng, 90) ? rn(&t->rng, 4) :
		  chance(&t->rng, 50) ? (1U << 16) | rn(&t->rng, 2) :
		  (uint32_t)rnd(&t->rng);
	r2.flags = chance(&t->rng, 70) ? KVM_MEM_GUEST_MEMFD : rn(&t->rng, 8);
	if (chance(&t->rng, 3))
		r2.flags |= 1U << rn(&t->rng, 32);
	r2.guest_phys_addr = chance(&t->rng, 60) ?
		0x80000000ULL + ((uint64_t)rn(&t->rng, 4) << 21) : gpa_pick(t);
	r2.memory_size = chance(&t->rng, 60) ?
		((uint64_t)(1 + rn(&t->rng, 2)) << 21) : size_pick(t);
	if (chance(&t->rng, 10))
		r2.memory_size = 0;		/* delete */
	r2.userspace_addr = chance(&t->rng, 80) ?
		(uint64_t)(uintptr_t)umem + ((uint64_t)rn(&t->rng, 3) << 21) :
		(uint64_t)(uintptr_t)ptr(t, umem + 1, 1);
	if (chance(&t->rng, 25))
		/* A VMM's shared memory: a guest_memfd (or kvm_run) mapping. */
		r2.userspace_addr = (uint64_t)(uintptr_t)any_map(t, &map_len);
	r2.memory_size = slot_user_size(r2.userspace_addr, r2.memory_size,
					map_len);
	g = pick_fd(t, O_GMEM, &gslot);
	r2.guest_memfd = (uint32_t)g;
	r2.guest_memfd_offset = chance(&t->rng, 70) ?
		(uint64_t)rn(&t->rng, 3) << 21 : size_pick(t);
	if (chance(&t->rng, 3))
		r2.pad2[rn(&t->rng, N_OF(r2.pad2))] = 1;
	if (chance(&t->rng, 15)) {
		r = tdxsim_ioctl(vm, KVM_SET_USER_MEMORY_REGION,
				 ptr(t, &r2, sizeof(struct kvm_userspace_memory_region)));
		chk(t, "KVM_SET_USER_MEMORY_REGION", r, E_BASE | E(EINVAL) |
		    E(EEXIST) | E(ENOMEM) | E(EBADF) | E(ENOTTY));
		return;
	}
	r = tdxsim_ioctl(vm, KVM_SET_USER_MEMORY_REGION2, ptr(t, &r2, sizeof(r2)));
	chk(t, "KVM_SET_USER_MEMORY_REGION2", r, E_BASE | E(EINVAL) |
	    E(EEXIST) | E(ENOMEM) | E(EBADF) | E(ENOTTY));
}

void op_attrs(struct thr *t)
{
	struct kvm_memory_attributes a;
	int vm = pick_fd(t, O_VM, NULL);
	long r;

	memset(&a, 0, sizeof(a));
	a.address = chance(&t->rng, 70) ?
		0x80000000ULL + ((uint64_t)rn(&t->rng, 2048) << 12) : gpa_pick(t);
	a.size = chance(&t->rng, 70) ?
		((uint64_t)(1 + rn(&t->rng, 1024)) << 12) : size_pick(t);
	a.attributes = chance(&t->rng, 90) ?
		(chance(&t->rng, 50) ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0) :
		1ULL << rn(&t->rng, 64);
	if (chance(&t->rng, 3))
		a.flags = 1ULL << rn(&t->rng, 64);
	r = tdxsim_ioctl(vm, KVM_SET_MEMORY_ATTRIBUTES, ptr(t, &a, sizeof(a)));
	chk(t, "KVM_SET_MEMORY_ATTRIBUTES", r, E_BASE | E(EINVAL) |
	    E(ENOMEM) | E(EAGAIN) | E(EBADF) | E(ENOTTY));
}

void op_prefault(struct thr *t)
{
	struct kvm_pre_fault_memory pf;
	int vcpu = pick_fd(t, O_VCPU, NULL);
	long r;

	memset(&pf, 0, sizeof(pf));
	pf.gpa = chance(&t->rng, 70) ?
		0x80000000ULL + ((uint64_t)rn(&t->rng, 2048) << 12) : gpa_pick(t);
	if (chance(&t->rng, 10))
		pf.gpa |= 1ULL << 47;		/* the shared alias */
	pf.size = chance(&t->rng, 70) ?
		((uint64_t)(1 + rn(&t->rng, 16)) << 12) : size_pick(t);
	if (chance(&t->rng, 3))
		pf.flags = rnd(&t->rng);
	r = tdxsim_ioctl(vcpu, KVM_PRE_FAULT_MEMORY, ptr(t, &pf, sizeof(pf)));
	chk(t, "KVM_PRE_FAULT_MEMORY", r, E_BASE | E(EINVAL) | E(ENOENT) |
	    E(EOPNOTSUPP) | E(EAGAIN) | E(EINTR) | E(ENOMEM) | E(EBADF) |
	    E(ENOTTY) | E(EPERM));
}

void op_design(struct thr *t)
{
	static const char *const safe[] = {
		"gmem_hugepages", "measure_two_pass", "private_max_level",
		"huge_split", "gmem_locking", "populate_src_null_check",
	};
	int vm = pick_fd(t, O_VM, NULL);
	struct tdxsim_design d;
	struct tdxsim_kernel k;
	long r;

	switch (rn(&t->rng, 5)) {
	case 0:
	case 1:
		memset(&d, 0, sizeof(d));
		r = tdxsim_ioctl(vm, TDXSIM_GET_DESIGN, &d);
		chk(t, "TDXSIM_GET_DESIGN", r, E_BASE | E(EBADF) | E(ENOTTY) |
		    E(EINVAL));
		if (chance(&t->rng, 70)) {
			/* A switch the default kernel may run with. */
			const struct tdxsim_design_switch *sw =
				tdxsim_design_switch_find(safe[rn(&t->rng, 6)]);

			if (sw)
				*(uint32_t *)((uint8_t *)&d + sw->offset) =
					rn(&t->rng, 2);
		} else {
			/* Garbage: out of range, reserved, version. */
			switch (rn(&t->rng, 3)) {
			case 0: ((uint32_t *)&d)[1 + rn(&t->rng, N_OF(d.reserved))] =
				7 + rn(&t->rng, 100); break;
			case 1: d.reserved[rn(&t->rng, N_OF(d.reserved))] = 1; break;
			default: d.version = rn(&t->rng, 10); break;
			}
		}
		r = tdxsim_ioctl(vm, TDXSIM_SET_DESIGN, ptr(t, &d, sizeof(d)));
		chk(t, "TDXSIM_SET_DESIGN", r, E_BASE | E(EINVAL) | E(EBUSY) |
		    E(EBADF) | E(ENOTTY));
		break;
	case 2:
		memset(&k, 0, sizeof(k));
		snprintf(k.name, sizeof(k.name), "%s",
			 chance(&t->rng, 50) ? "next" :
			 chance(&t->rng, 50) ? "next+hugepage-rfc" :
			 chance(&t->rng, 50) ? "v5.0" : "next+");
		if (chance(&t->rng, 5))
			memset(k.name, 'x', sizeof(k.name));	/* no NUL */
		if (chance(&t->rng, 5))
			k.reserved[rn(&t->rng, N_OF(k.reserved))] = 1;
		r = tdxsim_ioctl(vm, TDXSIM_SET_KERNEL, ptr(t, &k, sizeof(k)));
		chk(t, "TDXSIM_SET_KERNEL", r, E_BASE | E(EINVAL) | E(EBUSY) |
		    E(EBADF) | E(ENOTTY));
		break;
	default: {
		static uint8_t buf[MAX_THREADS][4096] __attribute__((aligned(16)));
		static const unsigned long reqs[] = {
			TDXSIM_GET_STATS, TDXSIM_GET_MRTD, TDXSIM_GET_TD_STATS,
			TDXSIM_GET_VM_FAILURE, TDXSIM_GET_KERNEL, TDXSIM_GET_DESIGN,
		};
		unsigned long req = reqs[rn(&t->rng, 6)];

		r = tdxsim_ioctl(chance(&t->rng, 20) ? pick_fd(t, O_VCPU, NULL) : vm,
				 req, ptr(t, buf[t->index], TDXSIM_IOC_SIZE(req)));
		chk(t, "TDXSIM_GET_*", r, E_BASE | E(EINVAL) | E(ENOTTY) |
		    E(EBADF));
		break;
	}
	}
}

void op_check(struct thr *t)
{
	static char bufs[MAX_THREADS][1024];
	struct tdxsim_check c = {
		.buf = (uint64_t)(uintptr_t)ptr(t, bufs[t->index], 16),
		.len = chance(&t->rng, 80) ? sizeof(bufs[0]) : rn(&t->rng, 16),
	};
	int vm = pick_fd(t, O_VM, NULL);
	long r;

	r = tdxsim_ioctl(vm, TDXSIM_CHECK_INVARIANTS, ptr(t, &c, sizeof(c)));
	chk(t, "TDXSIM_CHECK_INVARIANTS", r, E_BASE | E(EINVAL) | E(ENOTTY) |
	    E(EBADF));
	/*
	 * A violation found while other threads change the VM may be a
	 * snapshot of a change in progress: judged at the sequence's end.
	 */
	if (!r && c.errors && !t->s->mt)
		seq_fail(t->s, "invariant check: %u violations during the sequence",
			 c.errors);
}

void op_inject(struct thr *t)
{
	struct tdxsim_inject_fault f = {
		.leaf = chance(&t->rng, 90) ? rn(&t->rng, 64) : (uint32_t)rnd(&t->rng),
		.nth = chance(&t->rng, 90) ? 1 + rn(&t->rng, 8) : 0,
		.status = chance(&t->rng, 50) ? 0x8000020000000000ULL :
			  chance(&t->rng, 90) ? rnd(&t->rng) : 0,
	};
	int vm = pick_fd(t, O_VM, NULL);
	long r;

	/* A fault injected makes WARNs and leaked pages legitimate. */
	if (!chance(&t->rng, 10))
		f.status = 0;		/* refused: EINVAL, nothing injected */
	r = tdxsim_ioctl(vm, TDXSIM_INJECT_FAULT, ptr(t, &f, sizeof(f)));
	chk(t, "TDXSIM_INJECT_FAULT", r, E_BASE | E(EINVAL) | E(ENOTTY) |
	    E(EBADF) | E(ENOSPC) | E(E2BIG) | E(EBUSY));
	if (r == 0) {
		pthread_mutex_lock(&t->s->lock);
		t->s->injected = true;
		pthread_mutex_unlock(&t->s->lock);
	}
}

void op_close(struct thr *t)
{
	struct seq *s = t->s;
	int i, n = 0, pick = -1, fd = -1;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < MAX_OBJ; i++)
		if (s->obj[i].kind != O_FREE && rn(&t->rng, ++n) == 0)
			pick = i;
	/*
	 * With several threads a VM fd stays open until the sequence's end
	 * (then closed before its vCPUs or not, at random): F1 is only
	 * recognised through the VM fd (TDXSIM_GET_VM_FAILURE). One thread
	 * closes VMs at any time.
	 */
	if (pick >= 0 && s->mt && s->obj[pick].kind == O_VM)
		pick = -1;
	if (pick >= 0) {
		fd = s->obj[pick].fd;
		s->obj[pick].kind = O_FREE;
	}
	pthread_mutex_unlock(&s->lock);
	if (pick < 0)
		return;
	chk(t, "close", tdxsim_close(fd), 0);
}
