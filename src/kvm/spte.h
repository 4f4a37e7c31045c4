/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SPTE encoding (the kernel's arch/x86/kvm/mmu/spte.h), with the kernel's
 * values. TDP SPTEs are EPT entries: the TDX module walks KVM's direct
 * (shared) tree with EPT semantics, so present entries carry R/W/X.
 */
#ifndef TDXSIM_KVM_SPTE_H
#define TDXSIM_KVM_SPTE_H

#include "ulib/compiler.h"
#include "kvm/asm/kvm_host.h"

#define SPTE_MMU_PRESENT_MASK		BIT_ULL(11)
#define SHADOW_NONPRESENT_VALUE		BIT_ULL(63)
/* A frozen SPTE: not present, no RWX, no PFN (REMOVED_SPTE before 6.12). */
#define FROZEN_SPTE			(SHADOW_NONPRESENT_VALUE | 0x5a0ULL)
#define PT_PAGE_SIZE_MASK		BIT_ULL(7)
#define SPTE_BASE_ADDR_MASK		GENMASK_ULL(51, 12)
#define VMX_EPT_READABLE_MASK		BIT_ULL(0)
#define VMX_EPT_WRITABLE_MASK		BIT_ULL(1)
#define VMX_EPT_EXECUTABLE_MASK		BIT_ULL(2)
#define VMX_EPT_RWX_MASK		7ULL
#define VMX_EPT_MT_WB			(6ULL << 3)
#define VMX_EPT_IPAT_BIT		BIT_ULL(6)
#define SPTE_ENT_PER_PAGE		512

#define SPTE_LEVEL_BITS			9
#define SPTE_LEVEL_SHIFT(level)		(PAGE_SHIFT + ((level) - 1) * SPTE_LEVEL_BITS)
#define SPTE_INDEX(address, level)	\
	(((address) >> SPTE_LEVEL_SHIFT(level)) & (SPTE_ENT_PER_PAGE - 1))

static inline bool is_shadow_present_pte(u64 pte)
{
	return !!(pte & SPTE_MMU_PRESENT_MASK);
}

static inline bool is_frozen_spte(u64 spte)
{
	return spte == FROZEN_SPTE;
}

static inline bool is_large_pte(u64 pte)
{
	return pte & PT_PAGE_SIZE_MASK;
}

static inline bool is_last_spte(u64 pte, int level)
{
	return level == PG_LEVEL_4K || is_large_pte(pte);
}

static inline kvm_pfn_t spte_to_pfn(u64 pte)
{
	return (pte & SPTE_BASE_ADDR_MASK) >> PAGE_SHIFT;
}

/* A present leaf mapping @pfn at @level, readable, writable, executable. */
static inline u64 make_leaf_spte(kvm_pfn_t pfn, int level)
{
	u64 spte = SPTE_MMU_PRESENT_MASK | VMX_EPT_RWX_MASK | VMX_EPT_MT_WB |
		   VMX_EPT_IPAT_BIT | ((u64)pfn << PAGE_SHIFT);

	if (level > PG_LEVEL_4K)
		spte |= PT_PAGE_SIZE_MASK;
	return spte;
}

/* A present non-leaf entry pointing at the page table in @child_pfn. */
static inline u64 make_nonleaf_spte(kvm_pfn_t child_pfn)
{
	return SPTE_MMU_PRESENT_MASK | VMX_EPT_RWX_MASK |
	       ((u64)child_pfn << PAGE_SHIFT);
}

#endif /* TDXSIM_KVM_SPTE_H */
