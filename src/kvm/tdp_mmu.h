/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The TDP MMU (the kernel's arch/x86/kvm/mmu/tdp_mmu.h): direct and mirror
 * roots, the fault-path map, zaps, splits and teardown.
 */
#ifndef TDXSIM_KVM_TDP_MMU_H
#define TDXSIM_KVM_TDP_MMU_H

#include "kvm/kvm_host.h"
#include "kvm/mmu.h"
#include "kvm/mmu_internal.h"

/* Root type filters (enum kvm_tdp_mmu_root_types). */
enum kvm_tdp_mmu_root_types {
	KVM_INVALID_ROOTS = BIT(0),
	KVM_DIRECT_ROOTS = BIT(1),
	KVM_MIRROR_ROOTS = BIT(2),
	KVM_VALID_ROOTS = KVM_DIRECT_ROOTS | KVM_MIRROR_ROOTS,
	KVM_ALL_ROOTS = KVM_VALID_ROOTS | KVM_INVALID_ROOTS,
};

/* Which roots an unmap with @filter reaches (TDX VMs; others: direct). */
enum kvm_tdp_mmu_root_types
kvm_gfn_range_filter_to_root_types(struct kvm *kvm,
				   enum kvm_gfn_range_filter filter);

/* Is @gpa a shared (direct-root) address of @kvm? */
static inline bool kvm_is_addr_direct(struct kvm *kvm, gpa_t gpa)
{
	gfn_t bits = READ_ONCE(kvm->arch.gfn_direct_bits);

	return !bits || (gpa & (bits << PAGE_SHIFT));
}

/* The bits a root's tree indexes with: the shared bit for direct roots. */
static inline gfn_t kvm_gfn_root_bits(struct kvm *kvm,
				      const struct kvm_mmu_page *root)
{
	return is_mirror_sp(root) ? 0 : READ_ONCE(kvm->arch.gfn_direct_bits);
}

void kvm_mmu_init_tdp_mmu(struct kvm *kvm);
/* Free every root (the hkid is already released for TDX VMs). */
void kvm_mmu_uninit_tdp_mmu(struct kvm *kvm);
/* Zap every direct root, invalid ones too (mmu_lock held for write). */
void kvm_tdp_mmu_zap_all(struct kvm *kvm);
/* Mark the roots of @types invalid and schedule them for zapping. */
void kvm_tdp_mmu_invalidate_roots(struct kvm *kvm,
				  enum kvm_tdp_mmu_root_types types);
/* Zap the scheduled roots and put the MMU's reference to each. */
void kvm_tdp_mmu_zap_invalidated_roots(struct kvm *kvm);

/* Find or make the vCPU's direct or mirror root; returns its hpa. */
hpa_t kvm_tdp_mmu_alloc_root(struct kvm_vcpu *vcpu, bool mirror);
/* Drop a reference to @root; the last one frees it after zapping it. */
void kvm_tdp_mmu_put_root(struct kvm *kvm, struct kvm_mmu_page *root);

/* Map the fault's pfn (mmu_lock held for read). Returns RET_PF_*. */
int kvm_tdp_mmu_map(struct kvm_vcpu *vcpu, struct kvm_page_fault *fault);

/* Zap the leaves of @range in the roots its filter selects (write lock). */
bool kvm_tdp_mmu_unmap_gfn_range(struct kvm *kvm, struct kvm_gfn_range *range,
				 bool flush);

/*
 * Split the huge leaves of @range's roots that cross its boundaries (or all
 * huge leaves in it when !@only_cross_boundary) down to 4K. Mirror roots
 * need @shared false (write lock). Returns 0 or a negative errno.
 */
int kvm_tdp_mmu_gfn_range_split_boundary(struct kvm *kvm,
					 struct kvm_gfn_range *range,
					 bool shared, bool only_cross_boundary);

/*
 * Is @gpa mapped by a present leaf of @level in the vCPU's root for it?
 * Returns the pfn in *@pfn (mmu_lock held).
 */
bool kvm_tdp_mmu_gpa_is_mapped(struct kvm_vcpu *vcpu, gpa_t gpa, int level,
			       kvm_pfn_t *pfn);

/*
 * Walk the root that maps @gpa (mirror for private GPAs) and call @fn for
 * every present leaf in [start, end); used by the invariant checker.
 */
void kvm_tdp_mmu_for_each_leaf(struct kvm *kvm, bool mirror, gfn_t start,
			       gfn_t end,
			       void (*fn)(void *arg, gfn_t gfn, int level,
					  u64 spte),
			       void *arg);
/* Call @fn for every page table (non-root) of the mirror or direct root. */
void kvm_tdp_mmu_for_each_table(struct kvm *kvm, bool mirror,
				void (*fn)(void *arg,
					   struct kvm_mmu_page *sp),
				void *arg);
/* Count present page tables (non-root) of the mirror or direct root. */
u64 kvm_tdp_mmu_nr_tables(struct kvm *kvm, bool mirror);
/* The kvm_mmu_page of the root in use for the mirror or direct tree. */
struct kvm_mmu_page *kvm_tdp_mmu_find_root(struct kvm *kvm, bool mirror);

/*
 * Top up the VM's split caches for @nr mirror splits (outside mmu_lock,
 * kvm->arch.tdp_mmu_external_cache_lock held): 0 or -ENOMEM.
 */
int kvm_tdp_mmu_topup_split_caches(struct kvm *kvm, int nr);

/* Allocate the vCPU's caches (called outside mmu_lock). */
int mmu_topup_memory_caches(struct kvm_vcpu *vcpu);
void mmu_free_memory_caches(struct kvm_vcpu *vcpu);

#endif /* TDXSIM_KVM_TDP_MMU_H */
