// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * x86 KVM (the kernel's arch/x86/kvm/x86.c): VM types, memslot metadata
 * (lpage_info), arch capabilities and ioctls, KVM_MEMORY_ENCRYPT_OP dispatch
 * to the vendor, and KVM_RUN.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "ulib/strbuf.h"
#include "kvm/kvm_host.h"
#include "host/mm.h"
#include "kvm/mmu.h"
#include "kvm/x86.h"

struct kvm_x86_ops kvm_x86_ops;

/*
 * tdxsim's host: VMX TSC scaling (the largest frequency is the u32 limit, as
 * on hardware whose ratio has 48 fraction bits); XCR0 x87, SSE, AVX,
 * AVX-512, PKRU and AMX; no supervisor XSAVE state.
 */
const struct kvm_caps kvm_caps = {
	.has_tsc_control = true,
	.max_guest_tsc_khz = 0xffffffffU,
	.supported_xcr0 = 0x602e7,
	.supported_xss = 0,
};
const unsigned int tsc_khz = 2500000;

struct kvm_cpuid_entry2 *kvm_find_cpuid_entry2(struct kvm_cpuid_entry2 *entries,
					       int nent, u32 function,
					       u64 index)
{
	int i;

	for (i = 0; i < nent; i++) {
		struct kvm_cpuid_entry2 *e = &entries[i];

		if (e->function != function)
			continue;
		if (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) ||
		    e->index == index)
			return e;
	}
	return NULL;
}

/*
 * The vendor module's setup (src/kvm/tdx.c). A library that contains tdx.c
 * is built with CONFIG_KVM_INTEL_TDX, and then references it strongly (a
 * weak reference would not pull tdx.o out of the static archive). Without
 * it the reference is weak, so that the core links alone (tests link a
 * fake vendor), and KVM offers no TDX VM type if no vendor is linked.
 */
#ifdef CONFIG_KVM_INTEL_TDX
int tdx_hardware_setup(void);
#else
extern int tdx_hardware_setup(void) __attribute__((weak));
#endif

static pthread_once_t kvm_vendor_once = PTHREAD_ONCE_INIT;
static int kvm_vendor_init_result;

static void kvm_x86_vendor_init_once(void)
{
#ifdef CONFIG_KVM_INTEL_TDX
	kvm_vendor_init_result = tdx_hardware_setup();
#else
	if (tdx_hardware_setup)
		kvm_vendor_init_result = tdx_hardware_setup();
#endif
	if (kvm_vendor_init_result) {
		pr_err("kvm: vendor setup failed: %d\n", kvm_vendor_init_result);
		memset(&kvm_x86_ops, 0, sizeof(kvm_x86_ops));
	}
}

int kvm_x86_vendor_init(void)
{
	pthread_once(&kvm_vendor_once, kvm_x86_vendor_init_once);
	return kvm_vendor_init_result;
}

/*
 * The module init of kvm-intel (vmx/main.c's vt_init()): set up the vendor
 * (TDX) first, then register /dev/kvm.
 */
int vt_init(void)
{
	int r = kvm_x86_vendor_init();

	if (r)
		return r;
	return kvm_init();
}

/* ---- VM types ---- */

bool kvm_is_vm_type_supported(unsigned long type)
{
	switch (type) {
	case KVM_X86_DEFAULT_VM:
	case KVM_X86_SW_PROTECTED_VM:
		return true;
	case KVM_X86_TDX_VM:
		return kvm_has_vendor();
	default:
		return false;
	}
}

u32 kvm_supported_vm_types(void)
{
	u32 types = BIT(KVM_X86_DEFAULT_VM) | BIT(KVM_X86_SW_PROTECTED_VM);

	if (kvm_has_vendor())
		types |= BIT(KVM_X86_TDX_VM);
	return types;
}

int kvm_arch_init_vm(struct kvm *kvm, unsigned long type)
{
	int r;

	if (!kvm_is_vm_type_supported(type))
		return -EINVAL;

	kvm->arch.vm_type = type;
	kvm->arch.default_tsc_khz = tsc_khz;
	kvm->arch.has_private_mem = type == KVM_X86_SW_PROTECTED_VM ||
				    type == KVM_X86_TDX_VM;
	kvm->arch.has_protected_state = type == KVM_X86_TDX_VM;
	/* Decided by the vendor code for other VM types. */
	kvm->arch.pre_fault_allowed = type == KVM_X86_DEFAULT_VM ||
				      type == KVM_X86_SW_PROTECTED_VM;

	r = kvm_mmu_init_vm(kvm);
	if (r)
		return r;
	if (kvm_vm_uses_vendor(kvm) && kvm_x86_ops.vm_init) {
		r = kvm_x86_ops.vm_init(kvm);
		if (r) {
			kvm_mmu_uninit_vm(kvm);
			return r;
		}
	}
	return 0;
}

void kvm_arch_pre_destroy_vm(struct kvm *kvm)
{
	if (kvm_vm_uses_vendor(kvm) && kvm_x86_ops.vm_pre_destroy)
		kvm_x86_ops.vm_pre_destroy(kvm);
}

void kvm_arch_destroy_vm(struct kvm *kvm)
{
	int i, n = atomic_read(&kvm->online_vcpus);

	for (i = 0; i < n; i++)
		kvm_arch_vcpu_destroy(kvm->vcpus[i]);
	kvm_mmu_uninit_vm(kvm);
	if (kvm_vm_uses_vendor(kvm) && kvm_x86_ops.vm_destroy)
		kvm_x86_ops.vm_destroy(kvm);
}

/* ---- vCPUs ---- */

int kvm_arch_vcpu_precreate(struct kvm *kvm, unsigned int id)
{
	if (kvm_vm_uses_vendor(kvm) && kvm_x86_ops.vcpu_precreate)
		return kvm_x86_ops.vcpu_precreate(kvm);
	return 0;
}

int kvm_arch_vcpu_create(struct kvm_vcpu *vcpu)
{
	int r;

	vcpu->arch.root_hpa = INVALID_PAGE;
	vcpu->arch.mirror_root_hpa = INVALID_PAGE;
	r = kvm_mmu_create(vcpu);
	if (r)
		return r;
	if (kvm_vm_uses_vendor(vcpu->kvm) && kvm_x86_ops.vcpu_create) {
		r = kvm_x86_ops.vcpu_create(vcpu);
		if (r) {
			kvm_mmu_destroy(vcpu);
			return r;
		}
	}
	return 0;
}

void kvm_arch_vcpu_destroy(struct kvm_vcpu *vcpu)
{
	if (kvm_vm_uses_vendor(vcpu->kvm) && kvm_x86_ops.vcpu_free)
		kvm_x86_ops.vcpu_free(vcpu);
	kvm_mmu_destroy(vcpu);
}

/* ---- memslot metadata ---- */

static void memslot_free_lpage_info(struct kvm_memory_slot *slot)
{
	int i;

	for (i = 0; i < KVM_NR_PAGE_SIZES - 1; i++) {
		free(slot->arch.lpage_info[i]);
		slot->arch.lpage_info[i] = NULL;
	}
}

/*
 * lpage_info per huge level, with the kernel's disallow counts: the first
 * and last entries of a slot whose base or end is not aligned to the level
 * can never be mapped huge, and neither can any entry if the gfn and the
 * userspace address are misaligned with respect to each other.
 */
static int kvm_alloc_memslot_metadata(struct kvm *kvm,
				      struct kvm_memory_slot *slot)
{
	unsigned long npages = slot->npages;
	int i;

	memset(&slot->arch, 0, sizeof(slot->arch));

	for (i = 1; i < KVM_NR_PAGE_SIZES; ++i) {
		int level = i + 1;
		unsigned long lpages = kvm_mmu_slot_lpages(slot, level);
		struct kvm_lpage_info *linfo;
		unsigned long ugfn;

		linfo = calloc(lpages, sizeof(*linfo));
		if (!linfo)
			goto out_free;
		slot->arch.lpage_info[i - 1] = linfo;

		if (slot->base_gfn & (KVM_PAGES_PER_HPAGE(level) - 1))
			linfo[0].disallow_lpage = 1;
		if ((slot->base_gfn + npages) & (KVM_PAGES_PER_HPAGE(level) - 1))
			linfo[lpages - 1].disallow_lpage = 1;
		ugfn = slot->userspace_addr >> PAGE_SHIFT;
		/*
		 * If the gfn and userspace address are not aligned wrt each
		 * other, disable large page support for this slot.
		 */
		if ((slot->base_gfn ^ ugfn) & (KVM_PAGES_PER_HPAGE(level) - 1)) {
			unsigned long j;

			for (j = 0; j < lpages; ++j)
				linfo[j].disallow_lpage = 1;
		}
	}
	return 0;

out_free:
	memslot_free_lpage_info(slot);
	return -ENOMEM;
}

int kvm_arch_prepare_memory_region(struct kvm *kvm,
				   const struct kvm_memory_slot *old,
				   struct kvm_memory_slot *new,
				   enum kvm_mr_change change)
{
	int r;

	if (change == KVM_MR_CREATE || change == KVM_MR_MOVE) {
		gfn_t last = new->base_gfn + new->npages - 1;

		if (last > kvm_mmu_max_gfn())
			return -EINVAL;
		if (kvm_is_gfn_alias(kvm, last))
			return -EINVAL;
		/*
		 * The kernel's bound is host.MAXPHYADDR, which on a TDX host
		 * (less its KeyID bits) lies below a TD's shared bit; tdxsim's
		 * host has 52 bits. So bound a VM that has a shared bit by it:
		 * at or above it a gfn either aliases or lies beyond the GPA
		 * width, where a walk of the VM's roots would wrap onto low
		 * GPAs.
		 */
		if (kvm->arch.gfn_direct_bits &&
		    last >= kvm->arch.gfn_direct_bits)
			return -EINVAL;
		r = kvm_alloc_memslot_metadata(kvm, new);
		if (r)
			return r;
		r = kvm_arch_prepare_memory_region_mmu(kvm, new);
		if (r)
			memslot_free_lpage_info(new);
		return r;
	}
	if (change == KVM_MR_FLAGS_ONLY)
		new->arch = old->arch;
	else if (WARN_ON_ONCE(change != KVM_MR_DELETE))
		return -EIO;
	return 0;
}

void kvm_arch_free_memslot(struct kvm *kvm, struct kvm_memory_slot *slot)
{
	if (slot->arch.lpage_info[0])
		kvm_arch_free_memslot_mmu(kvm, slot);
	memslot_free_lpage_info(slot);
}

/* ---- capabilities and ioctls ---- */

long kvm_vm_ioctl_check_extension_x86(struct kvm *kvm, long ext)
{
	long cpus;

	switch (ext) {
	case KVM_CAP_VM_TYPES:
		return kvm_supported_vm_types();
	case KVM_CAP_PRE_FAULT_MEMORY:
		return 1;
	case KVM_CAP_NR_VCPUS:
		cpus = sysconf(_SC_NPROCESSORS_ONLN);
		if (cpus < 1)
			cpus = 1;
		return min_t(long, cpus, KVM_MAX_VCPUS);
	case KVM_CAP_MAX_VCPUS:
		return kvm ? kvm->max_vcpus : KVM_MAX_VCPUS;
	case KVM_CAP_MAX_VCPU_ID:
		return KVM_MAX_VCPU_IDS;
	case KVM_CAP_READONLY_MEM:
		return kvm ? kvm_arch_has_readonly_mem(kvm) : 1;
	case KVM_CAP_EXIT_HYPERCALL:
		return BIT(KVM_HC_MAP_GPA_RANGE);
	case KVM_CAP_TSC_CONTROL:
	case KVM_CAP_VM_TSC_CONTROL:
		return kvm_caps.has_tsc_control;
	case KVM_CAP_GET_TSC_KHZ:
		return 1;
	default:
		return 0;
	}
}

long kvm_arch_vm_ioctl(struct kvm *kvm, unsigned long ioctl, unsigned long arg)
{
	void *argp = (void *)arg;

	switch (ioctl) {
	case KVM_MEMORY_ENCRYPT_OP:
		if (!kvm_vm_uses_vendor(kvm) || !kvm_x86_ops.mem_enc_ioctl)
			return -ENOTTY;
		return kvm_x86_ops.mem_enc_ioctl(kvm, argp);
	case KVM_SET_TSC_KHZ: {
		/* The frequency of the vCPUs not yet created. */
		u32 user_tsc_khz = (u32)arg;
		long r = -EINVAL;

		if (kvm_caps.has_tsc_control &&
		    user_tsc_khz >= kvm_caps.max_guest_tsc_khz)
			return -EINVAL;
		if (!user_tsc_khz)
			user_tsc_khz = tsc_khz;
		mutex_lock(&kvm->lock);
		if (!kvm->created_vcpus) {
			WRITE_ONCE(kvm->arch.default_tsc_khz, user_tsc_khz);
			r = 0;
		}
		mutex_unlock(&kvm->lock);
		return r;
	}
	case KVM_GET_TSC_KHZ:
		return READ_ONCE(kvm->arch.default_tsc_khz);
	default:
		return -ENOTTY;
	}
}

long kvm_arch_vcpu_unlocked_ioctl(struct kvm_vcpu *vcpu, unsigned long ioctl,
				  unsigned long arg)
{
	if (ioctl == KVM_MEMORY_ENCRYPT_OP && kvm_vm_uses_vendor(vcpu->kvm) &&
	    kvm_x86_ops.vcpu_mem_enc_unlocked_ioctl)
		return kvm_x86_ops.vcpu_mem_enc_unlocked_ioctl(vcpu,
							       (void *)arg);
	return -ENOIOCTLCMD;
}

long kvm_arch_vcpu_ioctl(struct kvm_vcpu *vcpu, unsigned long ioctl,
			 unsigned long arg)
{
	long r;

	switch (ioctl) {
	case KVM_MEMORY_ENCRYPT_OP:
		if (!kvm_vm_uses_vendor(vcpu->kvm) ||
		    !kvm_x86_ops.vcpu_mem_enc_ioctl)
			return -ENOTTY;
		vcpu_load(vcpu);
		r = kvm_x86_ops.vcpu_mem_enc_ioctl(vcpu, (void *)arg);
		vcpu_put(vcpu);
		return r;
	default:
		return -EINVAL;
	}
}

/*
 * kvm_send_userspace_msi() (upstream: virt/kvm/irqchip.c) with x86's
 * kvm_set_msi() and kvm_irq_delivery_to_apic() folded in. A TD's local
 * APIC is virtualized by the CPU and KVM only posts the vector, so the
 * delivery is the vendor's. tdxsim decodes what a TD's VMM sends: a
 * fixed interrupt in physical destination mode to one x2APIC ID (the vCPU
 * id), or to all (0xffffffff); other modes reach no vCPU. Returns the
 * number of vCPUs the interrupt was delivered to.
 */
int kvm_send_userspace_msi(struct kvm *kvm, struct kvm_msi *msi)
{
	u32 dest = ((msi->address_lo >> 12) & 0xff) |
		   (msi->address_hi & 0xffffff00);
	int vector = msi->data & 0xff;
	bool logical = msi->address_lo & (1u << 2);
	u32 delivery_mode = (msi->data >> 8) & 0x7;
	int i, n, delivered = 0;

	if (msi->flags & ~KVM_MSI_VALID_DEVID)
		return -EINVAL;
	if (!kvm_vm_uses_vendor(kvm) || !kvm_x86_ops.deliver_interrupt)
		return -EINVAL;
	if (logical || delivery_mode != 0 || vector < 16)
		return 0;
	n = atomic_read(&kvm->online_vcpus);
	for (i = 0; i < n; i++) {
		struct kvm_vcpu *vcpu = kvm->vcpus[i];

		if (dest != 0xffffffff && (u32)vcpu->vcpu_id != dest)
			continue;
		kvm_x86_ops.deliver_interrupt(vcpu, vector);
		delivered++;
	}
	return delivered;
}

/*
 * Is an event pending that the guest should get before going on (an
 * interrupt, an NMI, an SMI, ...)? tdxsim models no local APIC and no other
 * event source: an interrupt posted by KVM_SIGNAL_MSI (or a test) and not
 * yet delivered on a guest entry (tdxsim_interrupt_pending) is the only
 * event.
 */
bool kvm_vcpu_has_events(struct kvm_vcpu *vcpu)
{
	return READ_ONCE(vcpu->arch.tdxsim_interrupt_pending);
}

/*
 * KVM_RUN: under vcpu->mutex and the kvm->srcu read lock, call the vendor's
 * vcpu_run (one guest entry and its exit) until it asks to return to
 * userspace (0) or fails (< 0). The vendor brackets guest execution with
 * kvm_vcpu_enter_guest_mode()/kvm_vcpu_exit_guest_mode(), which drop and
 * re-take srcu and run the mode handshake kicks rely on.
 */
int kvm_arch_vcpu_ioctl_run(struct kvm_vcpu *vcpu)
{
	struct kvm *kvm = vcpu->kvm;
	struct kvm_run *kvm_run = vcpu->run;
	int r;

	kvm_run->flags = 0;
	vcpu_load(vcpu);

	if (!vcpu->wants_to_run) {
		kvm_run->exit_reason = KVM_EXIT_INTR;
		r = -EINTR;
		goto out;
	}
	/* tdxsim has no vendor for the other VM types: nothing can run. */
	if (!kvm_vm_uses_vendor(kvm) || !kvm_x86_ops.vcpu_run) {
		r = -ENOEXEC;
		goto out;
	}

	vcpu->srcu_idx = srcu_read_lock(&kvm->srcu);
	vcpu->srcu_held = true;
	/* Finish the exit userspace answered (e.g. the next MapGPA chunk). */
	if (vcpu->arch.complete_userspace_io) {
		int (*cui)(struct kvm_vcpu *) = vcpu->arch.complete_userspace_io;

		vcpu->arch.complete_userspace_io = NULL;
		r = cui(vcpu);
		if (r <= 0)
			goto out_srcu;
	}
	kvm_run->exit_reason = KVM_EXIT_UNKNOWN;
	for (;;) {
		if (kvm_check_request(KVM_REQ_VM_DEAD, vcpu)) {
			r = -EIO;
			break;
		}
		/* TLB flushes need no work here (no real TLB). */
		kvm_clear_request(KVM_REQ_TLB_FLUSH, vcpu);
		kvm_clear_request(KVM_REQ_UNBLOCK, vcpu);

		r = kvm_x86_ops.vcpu_run(vcpu);

		if (WARN_ON_ONCE(READ_ONCE(vcpu->mode) != OUTSIDE_GUEST_MODE))
			kvm_vcpu_exit_guest_mode(vcpu);
		if (WARN_ON_ONCE(!vcpu->srcu_held)) {
			vcpu->srcu_idx = srcu_read_lock(&kvm->srcu);
			vcpu->srcu_held = true;
		}
		if (r <= 0)
			break;
		cond_resched();
	}
out_srcu:
	vcpu->srcu_held = false;
	srcu_read_unlock(&kvm->srcu, vcpu->srcu_idx);
out:
	vcpu_put(vcpu);
	return r;
}
