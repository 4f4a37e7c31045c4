/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the rest of KVM calls in the MMU (the kernel's arch/x86/kvm/mmu.h and
 * the kvm_arch_* MMU entry points). Implemented in src/kvm/mmu.c and
 * src/kvm/tdp_mmu.c.
 */
#ifndef TDXSIM_KVM_MMU_H
#define TDXSIM_KVM_MMU_H

#include "kvm/asm/kvm_host.h"

struct kvm_pre_fault_memory;
struct kvm_memory_slot;
struct kvm_vcpu;

/* A gfn range handed to the MMU by guest_memfd, attributes and memslots. */
struct kvm_gfn_range {
	struct kvm_memory_slot *slot;
	gfn_t start;
	gfn_t end;
	unsigned long attributes;	/* new attributes (attribute changes) */
	enum kvm_gfn_range_filter attr_filter;
	bool may_block;
};

/* Per-VM and per-vCPU MMU set-up and teardown. */
int kvm_mmu_init_vm(struct kvm *kvm);
void kvm_mmu_uninit_vm(struct kvm *kvm);
int kvm_mmu_create(struct kvm_vcpu *vcpu);
void kvm_mmu_destroy(struct kvm_vcpu *vcpu);

/*
 * Zap the mappings of @range in the roots its filter selects; called with
 * mmu_lock held for write inside an invalidation. Returns true if TLBs
 * need flushing.
 */
bool kvm_unmap_gfn_range(struct kvm *kvm, struct kvm_gfn_range *range);
void kvm_flush_remote_tlbs(struct kvm *kvm);

/* KVM_SET_MEMORY_ATTRIBUTES hooks (mmu_lock held for write). */
bool kvm_arch_pre_set_memory_attributes(struct kvm *kvm,
					struct kvm_gfn_range *range);
bool kvm_arch_post_set_memory_attributes(struct kvm *kvm,
					 struct kvm_gfn_range *range);

/* Memslot creation/deletion hooks. */
int kvm_arch_prepare_memory_region_mmu(struct kvm *kvm,
				       struct kvm_memory_slot *slot);
void kvm_arch_free_memslot_mmu(struct kvm *kvm, struct kvm_memory_slot *slot);
/* Zap every direct root (VM destruction, the mm going away). */
void kvm_arch_flush_shadow_all(struct kvm *kvm);
/* Zap everything @slot maps, both roots (memslot deletion). */
void kvm_arch_flush_shadow_memslot(struct kvm *kvm,
				   struct kvm_memory_slot *slot);

/*
 * KVM_PRE_FAULT_MEMORY for one step: map the page at range->gpa. Returns
 * the number of bytes handled (> 0) or a negative errno.
 */
long kvm_arch_vcpu_pre_fault_memory(struct kvm_vcpu *vcpu,
				    struct kvm_pre_fault_memory *range);

/* Allocate the vCPU's roots if it has none (KVM_RUN, pre-fault, populate). */
int kvm_mmu_load(struct kvm_vcpu *vcpu);

/*
 * Handle a guest page fault at @gpa (with the shared bit for shared GPAs)
 * with @error_code (PFERR_*). Returns 1 to re-enter the guest, or a negative
 * errno (-EFAULT with a KVM_EXIT_MEMORY_FAULT prepared).
 */
int kvm_mmu_page_fault(struct kvm_vcpu *vcpu, gpa_t gpa, u64 error_code);
/* One fault attempt; returns RET_PF_* or a negative errno. */
int kvm_mmu_do_page_fault(struct kvm_vcpu *vcpu, gpa_t gpa, u64 error_code,
			  bool prefetch, u8 *level);
/*
 * Map @gpa as a prefetch fault, retrying until done (pre-fault and the
 * populate paths). Returns 0 with the mapped level in *@level, -ENOENT if no
 * memslot, -EIO if the VM died, or the fault's error.
 */
int kvm_tdp_map_page(struct kvm_vcpu *vcpu, gpa_t gpa, u64 error_code,
		     u8 *level);
/*
 * Map @pfn at private @gfn at 4K without asking guest_memfd (6.19's
 * populate path); slots_lock held. Returns 0 or a negative errno.
 */
int kvm_tdp_mmu_map_private_pfn(struct kvm_vcpu *vcpu, gfn_t gfn,
				kvm_pfn_t pfn);

/* The one-way guest inhibit bit of the @level huge page at @gfn. */
bool hugepage_test_guest_inhibit(struct kvm_memory_slot *slot, gfn_t gfn,
				 int level);
void hugepage_set_guest_inhibit(struct kvm_memory_slot *slot, gfn_t gfn,
				int level);

/*
 * Take the split cache's mutex (kvm->arch.tdp_mmu_external_cache_lock;
 * before mmu_lock) and top the cache up for @nr splits: 0 with the mutex
 * held until kvm_unlock_split_cache(), or -ENOMEM without it.
 */
int kvm_lock_split_cache(struct kvm *kvm, int nr);
void kvm_unlock_split_cache(struct kvm *kvm);
/*
 * TDX huge pages: split the private huge mappings crossing @range before
 * a partial zap: the cache mutex, its top-up, the write mmu_lock. 0 or
 * -errno, nothing zapped either way; 0 without design huge_split.
 */
int kvm_split_private_mapping(struct kvm *kvm, struct kvm_gfn_range *range);

#endif /* TDXSIM_KVM_MMU_H */
