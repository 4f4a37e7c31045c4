// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The uAPI surface: /dev/kvm, capabilities, VM types, descriptor kinds,
 * vCPU creation, KVM_RUN plumbing and kicks, KVM_PRE_FAULT_MEMORY argument
 * checks and partial-progress copy-back, tdxsim's controls, KVM_BUG_ON.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/sched.h"
#include "fake_vendor.h"
#include "kvm/x86.h"
#include "kvm_test.h"
#include "tdxsim/profiles.h"
#include "tdxsim/scenario.h"
#include "testlib/sched_util.h"

static void test_open_and_version(void **state)
{
	int fd = tdxsim_open("/dev/kvmx", O_RDWR);

	assert_int_equal(fd, -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(tdxsim_ioctl(kvm_dev(), KVM_GET_API_VERSION, 0),
			 KVM_API_VERSION);
	assert_int_equal(sys_ret(tdxsim_ioctl(kvm_dev(), KVM_GET_API_VERSION,
					      1)), -EINVAL);
	assert_int_equal(tdxsim_ioctl(kvm_dev(), KVM_GET_VCPU_MMAP_SIZE, 0),
			 KVM_VCPU_MMAP_SIZE);
}

/* Request codes have Linux's values. */
_Static_assert(KVM_CREATE_VM == 0xae01, "KVM_CREATE_VM");
_Static_assert(KVM_SET_USER_MEMORY_REGION2 == 0x40a0ae49,
	       "KVM_SET_USER_MEMORY_REGION2");
_Static_assert(KVM_CREATE_GUEST_MEMFD == 0xc040aed4, "KVM_CREATE_GUEST_MEMFD");
_Static_assert(KVM_MEMORY_ENCRYPT_OP == 0xc008aeba, "KVM_MEMORY_ENCRYPT_OP");
_Static_assert(KVM_PRE_FAULT_MEMORY == 0xc040aed5, "KVM_PRE_FAULT_MEMORY");
_Static_assert(KVM_SET_MEMORY_ATTRIBUTES == 0x4020aed2,
	       "KVM_SET_MEMORY_ATTRIBUTES");

static long check_ext(int fd, long cap)
{
	return tdxsim_ioctl(fd, KVM_CHECK_EXTENSION, cap);
}

static void test_capabilities(void **state)
{
	int kvm = kvm_dev();
	int def = __vm_create(KVM_X86_DEFAULT_VM);
	int td = __vm_create(KVM_X86_TDX_VM);

	assert_true(def >= 0 && td >= 0);
	assert_int_equal(check_ext(kvm, KVM_CAP_GUEST_MEMFD), 1);
	assert_int_equal(check_ext(kvm, KVM_CAP_USER_MEMORY2), 1);
	assert_int_equal(check_ext(kvm, KVM_CAP_PRE_FAULT_MEMORY), 1);
	assert_int_equal(check_ext(kvm, KVM_CAP_NR_MEMSLOTS), 32764);
	assert_int_equal(check_ext(kvm, KVM_CAP_MAX_VCPUS), KVM_MAX_VCPUS);
	assert_true(check_ext(kvm, KVM_CAP_NR_VCPUS) >= 1);
	assert_int_equal(check_ext(kvm, 12345), 0);
	assert_int_equal(check_ext(kvm, KVM_CAP_VM_TYPES),
			 BIT(KVM_X86_DEFAULT_VM) | BIT(KVM_X86_SW_PROTECTED_VM) |
			 BIT(KVM_X86_TDX_VM));
	/* Attributes and gmem flags depend on the VM asked. */
	assert_int_equal(check_ext(kvm, KVM_CAP_MEMORY_ATTRIBUTES),
			 KVM_MEMORY_ATTRIBUTE_PRIVATE);
	assert_int_equal(check_ext(def, KVM_CAP_MEMORY_ATTRIBUTES), 0);
	assert_int_equal(check_ext(td, KVM_CAP_MEMORY_ATTRIBUTES),
			 KVM_MEMORY_ATTRIBUTE_PRIVATE);
	assert_int_equal(check_ext(kvm, KVM_CAP_GUEST_MEMFD_FLAGS),
			 GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED);
	assert_int_equal(check_ext(def, KVM_CAP_GUEST_MEMFD_FLAGS),
			 GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED);
	assert_int_equal(check_ext(td, KVM_CAP_GUEST_MEMFD_FLAGS),
			 GUEST_MEMFD_FLAG_MMAP);
	assert_int_equal(check_ext(td, KVM_CAP_READONLY_MEM), 0);
	assert_int_equal(check_ext(def, KVM_CAP_READONLY_MEM), 1);
	assert_int_equal(tdxsim_close(def), 0);
	assert_int_equal(tdxsim_close(td), 0);
}

/*
 * The vendor's ops as the fake vendor filled them: a test that takes them
 * away runs between these two, so a failed assertion cannot leave the
 * process without a vendor for the tests after it.
 */
static struct kvm_x86_ops saved_x86_ops;

static int vendor_save_setup(void **state)
{
	saved_x86_ops = kvm_x86_ops;
	return kvm_test_setup(state);
}

static int vendor_restore_teardown(void **state)
{
	kvm_x86_ops = saved_x86_ops;
	return kvm_test_teardown(state);
}

static void test_vm_types(void **state)
{
	assert_int_equal(__vm_create(KVM_X86_SEV_VM), -EINVAL);
	assert_int_equal(__vm_create(KVM_X86_SNP_VM), -EINVAL);
	assert_int_equal(__vm_create(99), -EINVAL);

	/* Without a vendor there is no TDX, and the failure harms nothing. */
	memset(&kvm_x86_ops, 0, sizeof(kvm_x86_ops));
	assert_int_equal(__vm_create(KVM_X86_TDX_VM), -EINVAL);
	assert_int_equal(check_ext(kvm_dev(), KVM_CAP_VM_TYPES),
			 BIT(KVM_X86_DEFAULT_VM) | BIT(KVM_X86_SW_PROTECTED_VM));
	kvm_x86_ops = saved_x86_ops;

	{
		int vm = __vm_create(KVM_X86_TDX_VM);

		assert_true(vm >= 0);
		assert_true(vm_kvm(vm)->arch.has_private_mem);
		assert_false(vm_kvm(vm)->arch.pre_fault_allowed);
		assert_int_equal(mmu_stub.init_vm, 1);
		assert_int_equal(tdxsim_close(vm), 0);
		assert_int_equal(mmu_stub.uninit_vm, 1);
	}
}

static void test_wrong_fd_kinds(void **state)
{
	int vm = vm_create_tdx();
	int gmem = __vm_create_guest_memfd(vm, SZ_2M, 0);
	int vcpu = __vm_vcpu_add(vm, 0);
	int null_fd = open("/dev/null", O_RDONLY);
	struct kvm_userspace_memory_region2 r = { 0 };

	assert_true(gmem >= 0 && vcpu >= 0 && null_fd >= 0);
	/* VM ioctls on /dev/kvm: kvm_dev_ioctl's default. */
	assert_int_equal(sys_ret(tdxsim_ioctl(kvm_dev(), KVM_CREATE_VCPU, 0)),
			 -EINVAL);
	/* vCPU ioctls on a VM: kvm_arch_vm_ioctl's default. */
	assert_int_equal(sys_ret(tdxsim_ioctl(vm, KVM_RUN, 0)), -ENOTTY);
	/* VM ioctls on a vCPU: kvm_arch_vcpu_ioctl's default. */
	assert_int_equal(sys_ret(tdxsim_ioctl(vcpu,
					      KVM_SET_USER_MEMORY_REGION2, &r)),
			 -EINVAL);
	/* guest_memfd has no ioctls. */
	assert_int_equal(sys_ret(tdxsim_ioctl(gmem, KVM_CREATE_VCPU, 0)),
			 -ENOTTY);
	/* Not a descriptor at all. */
	assert_int_equal(sys_ret(tdxsim_ioctl(1 << 20, KVM_CREATE_VM, 0)),
			 -EBADF);
	assert_int_equal(sys_ret(tdxsim_close(1 << 20)), -EBADF);
	/* A real file goes to the real ioctl. */
	assert_int_equal(sys_ret(tdxsim_ioctl(null_fd, KVM_CREATE_VM, 0)),
			 -ENOTTY);
	/* fallocate and mmap on files that have no such operation. */
	assert_int_equal(__gmem_fallocate(vm, FALLOC_FL_KEEP_SIZE, 0, 4096),
			 -EOPNOTSUPP);
	assert_ptr_equal(tdxsim_mmap(NULL, 4096, PROT_READ, MAP_SHARED, vm, 0),
			 MAP_FAILED);
	assert_int_equal(errno, ENODEV);
	/* A bad argument pointer harms nothing. */
	assert_int_equal(sys_ret(tdxsim_ioctl(vm, KVM_SET_USER_MEMORY_REGION2,
					      NULL)), -EFAULT);
	assert_int_equal(sys_ret(tdxsim_ioctl(vm, KVM_CREATE_GUEST_MEMFD,
					      (void *)8)), -EFAULT);
	assert_int_equal(tdxsim_ioctl(vm, KVM_CHECK_EXTENSION,
				      KVM_CAP_GUEST_MEMFD), 1);

	assert_int_equal(tdxsim_close(null_fd), 0);
	assert_int_equal(tdxsim_close(vcpu), 0);
	assert_int_equal(tdxsim_close(gmem), 0);
	assert_int_equal(tdxsim_close(vm), 0);
}

static void test_vcpu_create(void **state)
{
	int td = __vm_create(KVM_X86_TDX_VM);
	int def = __vm_create(KVM_X86_DEFAULT_VM);
	int v0, v1, v2;
	struct kvm_run *run;

	/* The TD must be initialized first (the vendor says -EIO). */
	assert_int_equal(__vm_vcpu_add(td, 0), -EIO);
	tdx_cmd(td, KVM_TDX_INIT_VM, 0, 0);
	v0 = __vm_vcpu_add(td, 0);
	assert_true(v0 >= 0);
	assert_int_equal(__vm_vcpu_add(td, 0), -EEXIST);
	assert_int_equal(__vm_vcpu_add(td, KVM_MAX_VCPU_IDS), -EINVAL);
	/* The failures leaked no vCPU slot. */
	assert_int_equal(vm_kvm(td)->created_vcpus, 1);
	/* The duplicate was created, then destroyed (as in the kernel). */
	assert_int_equal(mmu_stub.mmu_create, 2);
	assert_int_equal(mmu_stub.mmu_destroy, 1);
	v1 = __vm_vcpu_add(td, 7);
	assert_true(v1 >= 0);
	assert_int_equal(atomic_read(&vm_kvm(td)->online_vcpus), 2);
	assert_int_equal(mmu_stub.mmu_create, 3);

	/* A default VM has no vendor: vCPUs exist, KVM_RUN can't run. */
	v2 = __vm_vcpu_add(def, 0);
	assert_true(v2 >= 0);
	assert_int_equal(sys_ret(tdxsim_ioctl(v2, KVM_RUN, 0)), -ENOEXEC);

	run = tdxsim_mmap(NULL, KVM_VCPU_MMAP_SIZE, PROT_READ | PROT_WRITE,
			  MAP_SHARED, v0, 0);
	assert_ptr_not_equal(run, MAP_FAILED);
	assert_ptr_equal(tdxsim_mmap(NULL, 4096, PROT_READ, MAP_SHARED, v0,
				     4096), MAP_FAILED);
	assert_int_equal(errno, EINVAL);

	/* KVM_RUN: argument must be 0; immediate_exit; a guest-less exit. */
	assert_int_equal(sys_ret(tdxsim_ioctl(v0, KVM_RUN, 1)), -EINVAL);
	run->immediate_exit__unsafe = 1;
	assert_int_equal(sys_ret(tdxsim_ioctl(v0, KVM_RUN, 0)), -EINTR);
	assert_int_equal(run->exit_reason, KVM_EXIT_INTR);
	run->immediate_exit__unsafe = 0;
	assert_int_equal(tdxsim_ioctl(v0, KVM_RUN, 0), 0);
	assert_int_equal(run->exit_reason, KVM_EXIT_SHUTDOWN);

	/* The mapping keeps the vCPU (and VM) alive past close. */
	assert_int_equal(tdxsim_close(v0), 0);
	assert_int_equal(tdxsim_close(v1), 0);
	assert_int_equal(tdxsim_close(td), 0);
	assert_int_equal(mmu_stub.uninit_vm, 0);
	assert_int_equal(run->exit_reason, KVM_EXIT_SHUTDOWN);
	assert_int_equal(tdxsim_munmap(run, KVM_VCPU_MMAP_SIZE), 0);
	assert_int_equal(mmu_stub.uninit_vm, 1);
	assert_int_equal(mmu_stub.mmu_destroy, 3);
	assert_int_equal(tdxsim_close(v2), 0);
	assert_int_equal(tdxsim_close(def), 0);
}

static void test_memory_encrypt_op_dispatch(void **state)
{
	int def = __vm_create(KVM_X86_DEFAULT_VM);
	int td = __vm_create(KVM_X86_TDX_VM);
	int dv = __vm_vcpu_add(def, 0);
	int tv;

	assert_true(dv >= 0);
	/* No vendor for a default VM: the ioctl does not exist. */
	assert_int_equal(__tdx_cmd(def, KVM_TDX_INIT_VM, 0, 0, NULL), -ENOTTY);
	assert_int_equal(__tdx_cmd(dv, KVM_TDX_INIT_VCPU, 0, 0, NULL), -ENOTTY);
	/* The vendor sees the command; hw_error must be zero on input. */
	{
		struct kvm_tdx_cmd cmd = { .id = KVM_TDX_INIT_VM,
					   .hw_error = 1 };

		assert_int_equal(sys_ret(tdxsim_ioctl(td, KVM_MEMORY_ENCRYPT_OP,
						      &cmd)), -EINVAL);
	}
	tdx_cmd(td, KVM_TDX_INIT_VM, 0, 0);
	tv = __vm_vcpu_add(td, 0);
	assert_true(tv >= 0);
	/* INIT_VCPU goes the unlocked way, anything else the locked one. */
	tdx_cmd(tv, KVM_TDX_INIT_VCPU, 0, 0);
	assert_int_equal(__tdx_cmd(tv, KVM_TDX_INIT_VCPU, 1, 0, NULL), -EINVAL);
	assert_int_equal(__tdx_cmd(tv, KVM_TDX_GET_CPUID, 0, 0, NULL), -EINVAL);
	/* A vCPU ioctl of another type is refused before the vendor... */
	assert_int_equal(sys_ret(tdxsim_ioctl(tv, TDXSIM_GET_MRTD, NULL)),
			 -EINVAL);
	/* ...but the VM's counters and failure record answer there too. */
	{
		struct tdxsim_stats st;
		struct tdxsim_vm_failure f;

		assert_int_equal(tdxsim_ioctl(tv, TDXSIM_GET_STATS, &st), 0);
		assert_int_equal(tdxsim_ioctl(tv, TDXSIM_GET_VM_FAILURE, &f), 0);
		assert_int_equal(f.bugged, 0);
	}
	{
		struct tdxsim_mrtd m;
		struct tdxsim_check c = { 0 };

		/* The vendor's controls reach the vendor, for TDX VMs only. */
		assert_int_equal(sys_ret(tdxsim_ioctl(def, TDXSIM_GET_MRTD,
						      &m)), -ENOTTY);
		assert_int_equal(sys_ret(tdxsim_ioctl(td, TDXSIM_GET_MRTD,
						      &m)), -EINVAL);
		tdx_cmd(td, KVM_TDX_FINALIZE_VM, 0, 0);
		assert_int_equal(tdxsim_ioctl(td, TDXSIM_GET_MRTD, &m), 0);
		assert_int_equal(m.mrtd[47], 0x5d);
		assert_int_equal(sys_ret(tdxsim_ioctl(td,
						      TDXSIM_CHECK_INVARIANTS,
						      &c)), -ENOTTY);
	}
	assert_true(vm_kvm(td)->arch.pre_fault_allowed);
	assert_int_equal(tdxsim_close(tv), 0);
	assert_int_equal(tdxsim_close(dv), 0);
	assert_int_equal(tdxsim_close(td), 0);
	assert_int_equal(tdxsim_close(def), 0);
}

static void test_design_controls(void **state)
{
	struct tdxsim_design def, d;
	int vm = __vm_create(KVM_X86_TDX_VM);
	int vcpu;

	assert_int_equal(tdxsim_kernel_design(TDXSIM_KERNEL_DEFAULT, &def,
					      NULL, 0), 0);
	assert_int_equal(tdxsim_ioctl(vm, TDXSIM_GET_DESIGN, &d), 0);
	assert_memory_equal(&d, &def, sizeof(d));

	d.populate = TDXSIM_POPULATE_GMEM;
	d.gmem_locking = TDXSIM_GMEM_LOCKING_INFLIGHT;
	d.pin_pages = 1;
	d.measure_two_pass = 1;
	assert_int_equal(tdxsim_ioctl(vm, TDXSIM_SET_DESIGN, &d), 0);
	memset(&d, 0, sizeof(d));
	assert_int_equal(tdxsim_ioctl(vm, TDXSIM_GET_DESIGN, &d), 0);
	assert_int_equal(d.measure_two_pass, 1);
	assert_int_equal(d.pin_pages, 1);
	assert_int_equal(vm_kvm(vm)->design.populate, TDXSIM_POPULATE_GMEM);
	assert_true(kvm_gmem_locking_inflight(vm_kvm(vm)));

	d.populate = 3;
	assert_int_equal(sys_ret(tdxsim_ioctl(vm, TDXSIM_SET_DESIGN, &d)),
			 -EINVAL);
	d.populate = 0;
	d.version = TDXSIM_DESIGN_VERSION + 1;
	assert_int_equal(sys_ret(tdxsim_ioctl(vm, TDXSIM_SET_DESIGN, &d)),
			 -EINVAL);
	d.version = TDXSIM_DESIGN_VERSION;
	d.reserved[3] = 1;
	assert_int_equal(sys_ret(tdxsim_ioctl(vm, TDXSIM_SET_DESIGN, &d)),
			 -EINVAL);
	d.reserved[3] = 0;
	d.vp_init_version = 2;
	assert_int_equal(sys_ret(tdxsim_ioctl(vm, TDXSIM_SET_DESIGN, &d)),
			 -EINVAL);
	/* The failed calls changed nothing. */
	assert_int_equal(vm_kvm(vm)->design.populate, TDXSIM_POPULATE_GMEM);

	/* Fixed once the TD exists. */
	tdx_cmd(vm, KVM_TDX_INIT_VM, 0, 0);
	d = def;
	assert_int_equal(sys_ret(tdxsim_ioctl(vm, TDXSIM_SET_DESIGN, &d)),
			 -EBUSY);
	/* A failed INIT_VM (already initialized) is still an error. */
	assert_int_equal(__tdx_cmd(vm, KVM_TDX_INIT_VM, 0, 0, NULL), -EINVAL);
	assert_int_equal(tdxsim_close(vm), 0);

	/* ... or once a vCPU exists. */
	vm = __vm_create(KVM_X86_DEFAULT_VM);
	vcpu = __vm_vcpu_add(vm, 0);
	assert_true(vcpu >= 0);
	assert_int_equal(sys_ret(tdxsim_ioctl(vm, TDXSIM_SET_DESIGN, &d)),
			 -EBUSY);
	assert_int_equal(tdxsim_close(vcpu), 0);
	assert_int_equal(tdxsim_close(vm), 0);
}

/* pre-fault hook: map 4K per call up to gpa 16K, then "no memslot". */
static long prefault_4k_until_16k(struct kvm_vcpu *vcpu,
				  struct kvm_pre_fault_memory *range)
{
	if (range->gpa >= 4 * PAGE_SIZE)
		return -ENOENT;
	return PAGE_SIZE;
}

static void test_pre_fault_memory(void **state)
{
	int vm = __vm_create(KVM_X86_SW_PROTECTED_VM);
	int vcpu = __vm_vcpu_add(vm, 0);
	struct kvm_pre_fault_memory r;

	assert_true(vcpu >= 0);
	/* Argument checks come before the MMU is asked. */
	r = (struct kvm_pre_fault_memory){ .gpa = 0, .size = 4096, .flags = 1 };
	assert_int_equal(sys_ret(tdxsim_ioctl(vcpu, KVM_PRE_FAULT_MEMORY, &r)),
			 -EINVAL);
	r = (struct kvm_pre_fault_memory){ .gpa = 1, .size = 4096 };
	assert_int_equal(sys_ret(tdxsim_ioctl(vcpu, KVM_PRE_FAULT_MEMORY, &r)),
			 -EINVAL);
	r = (struct kvm_pre_fault_memory){ .gpa = 0, .size = 4095 };
	assert_int_equal(sys_ret(tdxsim_ioctl(vcpu, KVM_PRE_FAULT_MEMORY, &r)),
			 -EINVAL);
	r = (struct kvm_pre_fault_memory){ .gpa = 4096, .size = 0 };
	assert_int_equal(sys_ret(tdxsim_ioctl(vcpu, KVM_PRE_FAULT_MEMORY, &r)),
			 -EINVAL);
	r = (struct kvm_pre_fault_memory){ .gpa = -4096ULL, .size = 8192 };
	assert_int_equal(sys_ret(tdxsim_ioctl(vcpu, KVM_PRE_FAULT_MEMORY, &r)),
			 -EINVAL);
	assert_int_equal(mmu_stub.pre_fault_calls, 0);

	/* The MMU's error passes through when nothing was done. */
	r = (struct kvm_pre_fault_memory){ .gpa = 0, .size = 4096 };
	assert_int_equal(sys_ret(tdxsim_ioctl(vcpu, KVM_PRE_FAULT_MEMORY, &r)),
			 -EOPNOTSUPP);
	assert_int_equal(r.size, 4096);

	/* Partial progress: success, and the rest is copied back. */
	mmu_stub_pre_fault_hook = prefault_4k_until_16k;
	r = (struct kvm_pre_fault_memory){ .gpa = 0, .size = 8 * PAGE_SIZE };
	assert_int_equal(tdxsim_ioctl(vcpu, KVM_PRE_FAULT_MEMORY, &r), 0);
	assert_int_equal(r.gpa, 4 * PAGE_SIZE);
	assert_int_equal(r.size, 4 * PAGE_SIZE);
	/* No progress: the error, and the range unchanged. */
	assert_int_equal(sys_ret(tdxsim_ioctl(vcpu, KVM_PRE_FAULT_MEMORY, &r)),
			 -ENOENT);
	assert_int_equal(r.gpa, 4 * PAGE_SIZE);
	assert_int_equal(r.size, 4 * PAGE_SIZE);

	assert_int_equal(tdxsim_close(vcpu), 0);
	assert_int_equal(tdxsim_close(vm), 0);
}

/* A guest that spins until KVM kicks it out. */
static int spin_step(void *guest, struct kvm_run *run)
{
	__atomic_store_n((int *)guest, 1, __ATOMIC_RELEASE);
	return 1;
}

static const struct fake_guest_ops spin_guest = { .step = spin_step };

struct run_arg {
	int vcpu_fd;
	int ret;
	int err;
};

static int run_vcpu_task(void *p)
{
	struct run_arg *a = p;

	a->ret = tdxsim_ioctl(a->vcpu_fd, KVM_RUN, 0);
	a->err = errno;
	return 0;
}

static void test_bug_on_kicks_and_kills(void **state)
{
	int vm = vm_create_tdx();
	int vcpu = __vm_vcpu_add(vm, 0);
	struct kvm *kvm = vm_kvm(vm);
	struct kvm_vcpu *v;
	int running = 0;
	struct tdxsim_guest g = { .ops = &spin_guest, .guest = &running };
	struct run_arg a = { .vcpu_fd = vcpu };
	struct tdxsim_stats st;
	unsigned long kicks = fake_vendor_kicks;
	struct task *t;

	assert_true(vcpu >= 0);
	v = kvm->vcpus[0];
	assert_int_equal(tdxsim_ioctl(vcpu, TDXSIM_SET_GUEST, &g), 0);
	assert_ptr_equal(v->guest_ops, &spin_guest);

	t = task_create("vcpu0", run_vcpu_task, &a);
	assert_non_null(t);
	/* Wait until the guest runs (in guest mode). */
	while (!__atomic_load_n(&running, __ATOMIC_ACQUIRE))
		cpu_relax();
	assert_int_equal(READ_ONCE(v->mode), IN_GUEST_MODE);

	/* The kick returns only once the vCPU has left guest mode. */
	KVM_BUG_ON(true, kvm);
	assert_int_not_equal(READ_ONCE(v->mode), IN_GUEST_MODE);
	task_join(t);
	assert_int_equal(a.ret, -1);
	assert_int_equal(a.err, EIO);
	/* The guest only leaves when kicked: the vendor's kick ran. */
	assert_true(fake_vendor_kicks > kicks);

	/* Everything answers -EIO afterwards, but stats remain readable. */
	assert_int_equal(__vm_vcpu_add(vm, 1), -EIO);
	assert_int_equal(sys_ret(tdxsim_ioctl(vcpu, KVM_RUN, 0)), -EIO);
	assert_int_equal(__vm_create_guest_memfd(vm, SZ_2M, 0), -EIO);
	{
		struct tdxsim_mrtd m;

		assert_int_equal(sys_ret(tdxsim_ioctl(vm, TDXSIM_GET_MRTD,
						      &m)), -EIO);
	}
	assert_int_equal(sys_ret(tdxsim_ioctl(vm, KVM_CHECK_EXTENSION, 0)),
			 -EIO);
	assert_int_equal(tdxsim_ioctl(vm, TDXSIM_GET_STATS, &st), 0);
	assert_int_equal(st.vm_bugged, 1);
	assert_true(st.kicks >= 1);
	assert_true(kvm_vm_is_dead(kvm));

	/* Other VMs are unaffected. */
	{
		int other = vm_create_tdx();
		int ov = __vm_vcpu_add(other, 0);

		assert_true(ov >= 0);
		assert_int_equal(tdxsim_ioctl(ov, KVM_RUN, 0), 0);
		assert_int_equal(tdxsim_close(ov), 0);
		assert_int_equal(tdxsim_close(other), 0);
	}
	assert_int_equal(tdxsim_close(vcpu), 0);
	assert_int_equal(tdxsim_close(vm), 0);
}

/* A guest that spins until told to stop (or kicked for good). */
struct stop_guest {
	int running;
	int stop;
};

static int stop_step(void *guest, struct kvm_run *run)
{
	struct stop_guest *g = guest;

	__atomic_store_n(&g->running, 1, __ATOMIC_RELEASE);
	if (__atomic_load_n(&g->stop, __ATOMIC_ACQUIRE)) {
		run->exit_reason = KVM_EXIT_SHUTDOWN;
		return 0;
	}
	return 1;
}

static const struct fake_guest_ops stop_guest_ops = { .step = stop_step };

struct det_arg {
	int vm, vcpu;
	struct stop_guest g;
	struct run_arg run;
	void *mem;
	int kill;		/* 1: KVM_BUG_ON; 0: delete a memslot, then stop */
	int delete_ret;
};

static int det_scenario(void *p)
{
	struct det_arg *a = p;
	struct task *t = task_create("vcpu", run_vcpu_task, &a->run);

	while (!__atomic_load_n(&a->g.running, __ATOMIC_ACQUIRE))
		cpu_relax();
	if (a->kill) {
		KVM_BUG_ON(true, vm_kvm(a->vm));
	} else {
		/* synchronize_srcu() must not wait for a vCPU in the guest. */
		a->delete_ret = __vm_set_user_memory_region2(a->vm, 0, 0, 0x100000000ULL, 0, 0,
							     0, 0);
		__atomic_store_n(&a->g.stop, 1, __ATOMIC_RELEASE);
	}
	task_join(t);
	return 0;
}

static void test_kick_deterministic(void **state)
{
	u64 seed;
	int kill;

	for (kill = 0; kill <= 1; kill++) {
		for (seed = 1; seed <= 6; seed++) {
			struct det_arg a = { .kill = kill, .delete_ret = 1 };
			struct tdxsim_guest g = { .ops = &stop_guest_ops,
						  .guest = &a.g };
			struct sched_result res;

			a.vm = vm_create_tdx();
			a.vcpu = __vm_vcpu_add(a.vm, 0);
			a.run.vcpu_fd = a.vcpu;
			a.mem = test_alloc(SZ_2M);
			vm_set_user_memory_region2(a.vm, 0, 0, 0x100000000ULL,
						   SZ_2M, (u64)a.mem, 0, 0);
			assert_int_equal(tdxsim_ioctl(a.vcpu, TDXSIM_SET_GUEST,
						      &g), 0);
			res = sched_run_seed(det_scenario, &a, seed,
					     seed & 1 ? SCHED_STRATEGY_RANDOM :
							SCHED_STRATEGY_PCT);
			assert_int_equal(res.verdict, SCHED_OK);
			if (kill) {
				assert_int_equal(a.run.ret, -1);
				assert_int_equal(a.run.err, EIO);
			} else {
				assert_int_equal(a.delete_ret, 0);
				assert_int_equal(a.run.ret, 0);
			}
			assert_int_equal(tdxsim_close(a.vcpu), 0);
			assert_int_equal(tdxsim_close(a.vm), 0);
			free(a.mem);
		}
	}
}

static void test_vm_dead_without_bug(void **state)
{
	int vm = vm_create_tdx();
	struct tdxsim_stats st;

	kvm_vm_dead(vm_kvm(vm));
	assert_int_equal(__vm_vcpu_add(vm, 0), -EIO);
	assert_int_equal(tdxsim_ioctl(vm, TDXSIM_GET_STATS, &st), 0);
	assert_int_equal(st.vm_bugged, 0);
	assert_int_equal(tdxsim_close(vm), 0);
}

/*
 * tdxsim_fd_reuse(): a closed file's number stays reserved (still EBADF to
 * tdxsim, never a foreign descriptor) and is the next file's; turned off,
 * the kept numbers go back to the process.
 */
static void test_fd_reuse(void **state)
{
	int a, b, c;

	assert_false(tdxsim_fd_reuse(true));
	a = tdxsim_open("/dev/kvm", O_RDWR);
	b = tdxsim_open("/dev/kvm", O_RDWR);
	assert_true(a >= 0 && b > a);
	assert_int_equal(tdxsim_close(a), 0);
	assert_true(fcntl(a, F_GETFD) != -1);
	assert_int_equal(sys_ret(tdxsim_ioctl(a, KVM_GET_API_VERSION, 0)),
			 -EBADF);
	assert_int_equal(sys_ret(tdxsim_close(a)), -EBADF);
	c = tdxsim_open("/dev/kvm", O_RDWR);
	assert_int_equal(c, a);
	assert_int_equal(tdxsim_ioctl(c, KVM_GET_API_VERSION, 0),
			 KVM_API_VERSION);
	assert_int_equal(tdxsim_close(c), 0);
	assert_true(tdxsim_fd_reuse(false));
	assert_int_equal(fcntl(a, F_GETFD), -1);
	/* Off: a closed number goes back at once. */
	assert_int_equal(tdxsim_close(b), 0);
	assert_int_equal(fcntl(b, F_GETFD), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_and_version,
						kvm_test_setup, kvm_test_teardown),
		cmocka_unit_test_setup_teardown(test_capabilities,
						kvm_test_setup, kvm_test_teardown),
		cmocka_unit_test_setup_teardown(test_vm_types,
						vendor_save_setup,
						vendor_restore_teardown),
		cmocka_unit_test_setup_teardown(test_wrong_fd_kinds,
						kvm_test_setup, kvm_test_teardown),
		cmocka_unit_test_setup_teardown(test_vcpu_create,
						kvm_test_setup, kvm_test_teardown),
		cmocka_unit_test_setup_teardown(test_memory_encrypt_op_dispatch,
						kvm_test_setup, kvm_test_teardown),
		cmocka_unit_test_setup_teardown(test_design_controls,
						kvm_test_setup, kvm_test_teardown),
		cmocka_unit_test_setup_teardown(test_pre_fault_memory,
						kvm_test_setup, kvm_test_teardown),
		cmocka_unit_test_setup_teardown(test_bug_on_kicks_and_kills,
						kvm_test_setup, kvm_test_teardown),
		cmocka_unit_test_setup_teardown(test_kick_deterministic,
						kvm_test_setup, kvm_test_teardown),
		cmocka_unit_test_setup_teardown(test_vm_dead_without_bug,
						kvm_test_setup, kvm_test_teardown),
		cmocka_unit_test_setup_teardown(test_fd_reuse,
						kvm_test_setup, kvm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
