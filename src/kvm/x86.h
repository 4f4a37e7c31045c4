/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The x86 side of the generic code (the kernel's arch/x86/kvm/x86.c): VM and
 * vCPU creation hooks, memslot metadata, arch ioctls and KVM_RUN.
 */
#ifndef TDXSIM_KVM_X86_H
#define TDXSIM_KVM_X86_H

#include "kvm/kvm_host.h"

enum kvm_mr_change {
	KVM_MR_CREATE,
	KVM_MR_DELETE,
	KVM_MR_MOVE,
	KVM_MR_FLAGS_ONLY,
};

/* What KVM supports of the host (the kernel's struct kvm_caps, in part). */
struct kvm_caps {
	bool has_tsc_control;		/* TSC scaling */
	u32 max_guest_tsc_khz;
	u64 supported_xcr0;
	u64 supported_xss;
};

extern const struct kvm_caps kvm_caps;
/* The host's TSC frequency in kHz (tdxsim's machine runs it at 2.5 GHz). */
extern const unsigned int tsc_khz;

struct kvm_cpuid_entry2;
/*
 * The entry for @function/@index in @entries (arch/x86/kvm/cpuid.c's): an
 * entry without KVM_CPUID_FLAG_SIGNIFCANT_INDEX matches any index. NULL if
 * none.
 */
struct kvm_cpuid_entry2 *kvm_find_cpuid_entry2(struct kvm_cpuid_entry2 *entries,
					       int nent, u32 function,
					       u64 index);

/* Is @type a VM type this build supports (TDX needs the vendor)? */
bool kvm_is_vm_type_supported(unsigned long type);
/* Bitmask of supported VM types (KVM_CAP_VM_TYPES). */
u32 kvm_supported_vm_types(void);

/* VM creation/destruction: arch state, MMU and vendor. */
int kvm_arch_init_vm(struct kvm *kvm, unsigned long type);
void kvm_arch_pre_destroy_vm(struct kvm *kvm);
void kvm_arch_destroy_vm(struct kvm *kvm);

/* vCPU creation and destruction. */
int kvm_arch_vcpu_precreate(struct kvm *kvm, unsigned int id);
int kvm_arch_vcpu_create(struct kvm_vcpu *vcpu);
void kvm_arch_vcpu_destroy(struct kvm_vcpu *vcpu);

/*
 * Check and prepare @new for @change: the max-gfn and alias checks, then
 * lpage_info with the kernel's misalignment counts, then the MMU's hook.
 */
int kvm_arch_prepare_memory_region(struct kvm *kvm,
				   const struct kvm_memory_slot *old,
				   struct kvm_memory_slot *new,
				   enum kvm_mr_change change);
/* Free @slot's arch metadata (lpage_info). */
void kvm_arch_free_memslot(struct kvm *kvm, struct kvm_memory_slot *slot);

/* KVM_CHECK_EXTENSION answers of x86 (0 if not an x86 capability). */
long kvm_vm_ioctl_check_extension_x86(struct kvm *kvm, long ext);
/* The x86 system ioctls (MSR lists, supported CPUID); -ENOIOCTLCMD else. */
long kvm_arch_dev_ioctl(unsigned long ioctl, unsigned long arg);
/* An in-kernel local APIC (here: only with KVM_CAP_SPLIT_IRQCHIP). */
bool irqchip_in_kernel(struct kvm *kvm);
bool kvm_arch_irqchip_split(struct kvm *kvm);
bool kvm_arch_can_set_irq_routing(struct kvm *kvm);
bool kvm_arch_irqfd_allowed(struct kvm *kvm, struct kvm_irqfd *args);

/* VM ioctls not handled by generic code (KVM_MEMORY_ENCRYPT_OP). */
long kvm_arch_vm_ioctl(struct kvm *kvm, unsigned long ioctl, unsigned long arg);
/* vCPU ioctls taken without vcpu->mutex (-ENOIOCTLCMD if not one). */
long kvm_arch_vcpu_unlocked_ioctl(struct kvm_vcpu *vcpu, unsigned long ioctl,
				  unsigned long arg);
/* vCPU ioctls under vcpu->mutex not handled by generic code. */
long kvm_arch_vcpu_ioctl(struct kvm_vcpu *vcpu, unsigned long ioctl,
			 unsigned long arg);
/* KVM_RUN (vcpu->mutex held). */
int kvm_arch_vcpu_ioctl_run(struct kvm_vcpu *vcpu);
/* Is an event (interrupt) pending for @vcpu? */
bool kvm_vcpu_has_events(struct kvm_vcpu *vcpu);
/* KVM_EXIT_INTERNAL_ERROR for an exit reason the vendor does not handle. */
void kvm_prepare_unexpected_reason_exit(struct kvm_vcpu *vcpu, u64 exit_reason);

#endif /* TDXSIM_KVM_X86_H */
