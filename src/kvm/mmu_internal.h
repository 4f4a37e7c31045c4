/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MMU internals (the kernel's arch/x86/kvm/mmu/mmu_internal.h): the shadow
 * page (struct kvm_mmu_page), the page fault descriptor, and RET_PF_*.
 */
#ifndef TDXSIM_KVM_MMU_INTERNAL_H
#define TDXSIM_KVM_MMU_INTERNAL_H

#include "base/atomic.h"
#include "base/list.h"
#include "base/page_alloc.h"
#include "base/rcu.h"
#include "kvm/asm/kvm_host.h"
#include "kvm/spte.h"

union kvm_mmu_page_role {
	u32 word;
	struct {
		unsigned int level:4;
		unsigned int direct:1;
		unsigned int invalid:1;
		unsigned int is_mirror:1;
		unsigned int smm:8;
		unsigned int pad:17;
	};
};

struct kvm_mmu_page {
	struct list_head link;		/* kvm->arch.tdp_mmu_roots (roots only) */
	union kvm_mmu_page_role role;
	gfn_t gfn;			/* first gfn this table maps */
	u64 *spt;			/* the 512 SPTEs (a host page) */
	/*
	 * The S-EPT page handed to the TDX module for this table (non-root
	 * mirror pages only). KVM never reads or writes it.
	 */
	void *external_spt;
	u64 *ptep;			/* the parent SPTE (NULL for a root) */
	atomic_t tdp_mmu_root_count;
	bool tdp_mmu_scheduled_root_to_zap;
	struct rcu_head rcu_head;
};

static inline bool is_mirror_sp(const struct kvm_mmu_page *sp)
{
	return sp->role.is_mirror;
}

/* The shadow page whose table is the host page @pfn (page->private). */
static inline struct kvm_mmu_page *pfn_to_sp(kvm_pfn_t pfn)
{
	struct page *page = pfn_to_page(pfn);

	return page ? (struct kvm_mmu_page *)(uintptr_t)page->private : NULL;
}

static inline struct kvm_mmu_page *sptep_to_sp(u64 *sptep)
{
	struct page *page = virt_to_page(sptep);

	return page ? (struct kvm_mmu_page *)(uintptr_t)page->private : NULL;
}

static inline struct kvm_mmu_page *spte_to_child_sp(u64 spte)
{
	return pfn_to_sp(spte_to_pfn(spte));
}

static inline struct kvm_mmu_page *root_to_sp(hpa_t root)
{
	return VALID_PAGE(root) ? pfn_to_sp(root >> PAGE_SHIFT) : NULL;
}

static inline bool is_mirror_sptep(u64 *sptep)
{
	return is_mirror_sp(sptep_to_sp(sptep));
}

/* Return values of the page fault handlers. */
enum {
	RET_PF_CONTINUE = 0,
	RET_PF_RETRY,
	RET_PF_EMULATE,
	RET_PF_WRITE_PROTECTED,
	RET_PF_INVALID,
	RET_PF_FIXED,
	RET_PF_SPURIOUS,
};

/* Page fault error code bits. */
#define PFERR_PRESENT_MASK	BIT_ULL(0)
#define PFERR_WRITE_MASK	BIT_ULL(1)
#define PFERR_USER_MASK		BIT_ULL(2)
#define PFERR_FETCH_MASK	BIT_ULL(4)
#define PFERR_GUEST_FINAL_MASK	BIT_ULL(32)
#define PFERR_PRIVATE_ACCESS	BIT_ULL(49)

struct kvm_memory_slot;

struct kvm_page_fault {
	gpa_t addr;		/* with the shared bit, as the hardware gave it */
	u64 error_code;
	bool prefetch;
	bool exec;
	bool write;
	bool present;
	bool is_private;

	gfn_t gfn;		/* addr >> PAGE_SHIFT, shared bit stripped */
	struct kvm_memory_slot *slot;
	u8 max_level;
	u8 req_level;
	u8 goal_level;

	unsigned long mmu_seq;
	kvm_pfn_t pfn;
	struct page *refcounted_page;	/* reference from kvm_gmem_get_pfn() */
	bool map_writable;
};

struct kvm_vcpu;

/*
 * Set the fault's req_level and goal_level from lpage_info, the folio order
 * and the vendor's limit, and align its pfn (mmu_lock held).
 */
void kvm_mmu_hugepage_adjust(struct kvm_vcpu *vcpu,
			     struct kvm_page_fault *fault);

#endif /* TDXSIM_KVM_MMU_INTERNAL_H */
