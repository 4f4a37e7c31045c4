/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * x86 parts of the KVM objects (the kernel's arch/x86/include/asm/kvm_host.h):
 * page levels, lpage_info, struct kvm_arch / kvm_vcpu_arch, and the vendor
 * operations table that the TDX code (src/kvm/tdx.c) fills.
 *
 * The generic objects (struct kvm, struct kvm_vcpu, memslots) are in
 * src/kvm/kvm_host.h, which includes this file.
 */
#ifndef TDXSIM_KVM_ASM_KVM_HOST_H
#define TDXSIM_KVM_ASM_KVM_HOST_H

#include "base/atomic.h"
#include "ulib/compiler.h"
#include "base/list.h"
#include "base/lock.h"

struct kvm;
struct kvm_vcpu;
struct kvm_memory_slot;
struct kvm_mmu_page;
struct kvm_gfn_range;
struct kvm_tdx_cmd;

enum pg_level {
	PG_LEVEL_NONE,
	PG_LEVEL_4K,
	PG_LEVEL_2M,
	PG_LEVEL_1G,
	PG_LEVEL_512G,
	PG_LEVEL_256T,
	PG_LEVEL_NUM
};

#define KVM_NR_PAGE_SIZES	3	/* 4K, 2M, 1G */
#define KVM_MAX_HUGEPAGE_LEVEL	PG_LEVEL_1G
#define KVM_HPAGE_GFN_SHIFT(x)	(((x) - 1) * 9)
#define KVM_HPAGE_SHIFT(x)	(PAGE_SHIFT + KVM_HPAGE_GFN_SHIFT(x))
#define KVM_HPAGE_SIZE(x)	(1UL << KVM_HPAGE_SHIFT(x))
#define KVM_HPAGE_MASK(x)	(~(KVM_HPAGE_SIZE(x) - 1))
#define KVM_PAGES_PER_HPAGE(x)	(KVM_HPAGE_SIZE(x) / PAGE_SIZE)

#define PT64_ROOT_4LEVEL	4
#define PT64_ROOT_5LEVEL	5
#define PT64_ROOT_MAX_LEVEL	5

#define INVALID_PAGE		(~(hpa_t)0)
#define VALID_PAGE(x)		((x) != INVALID_PAGE)

#define KVM_X86_DEFAULT_VM	0
#define KVM_X86_SW_PROTECTED_VM	1
#define KVM_X86_SEV_VM		2
#define KVM_X86_SEV_ES_VM	3
#define KVM_X86_SNP_VM		4
#define KVM_X86_TDX_VM		5

/* lpage_info: one per 2M/1G range of a memslot (mmu.c maintains it). */
#define KVM_LPAGE_MIXED_FLAG		BIT(31)
#define KVM_LPAGE_GUEST_INHIBIT_FLAG	BIT(30)

struct kvm_lpage_info {
	int disallow_lpage;
};

struct kvm_arch_memory_slot {
	/* [0] for 2M, [1] for 1G; indexed by gfn_to_index(). */
	struct kvm_lpage_info *lpage_info[KVM_NR_PAGE_SIZES - 1];
};

static inline gfn_t gfn_to_index(gfn_t gfn, gfn_t base_gfn, int level)
{
	return (gfn >> KVM_HPAGE_GFN_SHIFT(level)) -
	       (base_gfn >> KVM_HPAGE_GFN_SHIFT(level));
}

/* Filters of a kvm_gfn_range: which roots an unmap reaches. */
enum kvm_gfn_range_filter {
	KVM_FILTER_SHARED = BIT(0),
	KVM_FILTER_PRIVATE = BIT(1),
};

/* Per-VM x86 state. The TDP MMU fields belong to src/kvm/tdp_mmu.c. */
/* A small cache of preallocated objects, topped up outside mmu_lock. */
#define KVM_MMU_MEMORY_CACHE_NR	40

struct kvm_mmu_memory_cache {
	int nobjs;
	int capacity;
	bool page_alloc;	/* objects are host pages (struct page) */
	size_t obj_size;	/* otherwise: zeroed heap objects of this size */
	void *objects[KVM_MMU_MEMORY_CACHE_NR];
};

struct kvm_arch {
	unsigned long vm_type;
	bool has_private_mem;
	bool has_protected_state;
	/* Set by KVM_TDX_FINALIZE_VM, read with acquire ordering. */
	bool pre_fault_allowed;
	/* The shared bit as a gfn mask (0 for non-TDX VMs). */
	gfn_t gfn_direct_bits;
	/* The guest TSC frequency for new vCPUs (KVM_SET_TSC_KHZ on the VM). */
	u32 default_tsc_khz;

	/* TDP MMU. */
	int tdp_root_level;		/* 4 or 5, from the TD's GPAW */
	struct list_head tdp_mmu_roots;
	spinlock_t tdp_mmu_pages_lock;
	atomic64_t tdp_mmu_pages;
	/* Mapped leaves per level, for statistics ([0] = 4K). */
	atomic64_t pages_mapped[KVM_NR_PAGE_SIZES];

	/*
	 * What KVM_ENABLE_CAP and KVM_SET_NR_MMU_PAGES set
	 * (x86.c); kvm->lock unless noted.
	 */
	bool irqchip_split;		/* KVM_CAP_SPLIT_IRQCHIP */
	u32 nr_reserved_ioapic_pins;
	u64 user_space_msr_mask;	/* READ_ONCE */
	u64 hypercall_exit_enabled;	/* READ_ONCE */
	u64 apic_bus_cycle_ns;
	unsigned long n_requested_mmu_pages;	/* slots_lock */

	/*
	 * Splits of mirror huge pages (TDX huge pages, RFC v5 44/45): the
	 * page tables and S-EPT pages come from these caches, topped up
	 * outside mmu_lock with the mutex held until the split is done, so
	 * that no split allocates under mmu_lock. Lock order: the mutex,
	 * then mmu_lock.
	 */
	struct mutex tdp_mmu_external_cache_lock;
	struct kvm_mmu_memory_cache split_page_header_cache;
	struct kvm_mmu_memory_cache split_shadow_page_cache;
	struct kvm_mmu_memory_cache split_external_spt_cache;

	/* Vendor (TDX) per-VM state: struct kvm_tdx. */
	void *vendor;
};

/* Per-vCPU x86 state. */
struct kvm_vcpu_arch {
	/* TDP MMU roots (hpa of the root's page table; INVALID_PAGE if none). */
	hpa_t root_hpa;
	hpa_t mirror_root_hpa;
	int root_level;

	struct kvm_mmu_memory_cache mmu_page_header_cache;
	struct kvm_mmu_memory_cache mmu_shadow_page_cache;
	struct kvm_mmu_memory_cache mmu_external_spt_cache;

	/*
	 * Finishes an exit to userspace on the next KVM_RUN, before the guest
	 * is entered: > 0 enter the guest, <= 0 return to userspace again.
	 */
	int (*complete_userspace_io)(struct kvm_vcpu *vcpu);

	/*
	 * tdxsim models no local APIC: this stands for an interrupt posted to
	 * the vCPU and not yet delivered (kvm_vcpu_has_events()). Only tests
	 * set it; the next guest entry delivers it (clears it).
	 */
	bool tdxsim_interrupt_pending;

	/* KVM_SET_CPUID2's entries, KVM_X86_SETUP_MCE's mcg_cap (vcpu->mutex). */
	struct kvm_cpuid_entry2 *cpuid_entries;
	int cpuid_nent;
	u64 mcg_cap;
	/* KVM_RUN entered the guest once (kvm_vcpu_has_run()). */
	bool has_run;

	/* Vendor (TDX) per-vCPU state: struct vcpu_tdx. */
	void *vendor;
};

/*
 * The vendor operations (kvm_x86_ops). TDX is the only vendor; its table is
 * in src/kvm/tdx.c. Hooks the generic code calls are non-NULL.
 */
struct kvm_x86_ops {
	const char *name;

	int (*vm_init)(struct kvm *kvm);
	void (*vm_pre_destroy)(struct kvm *kvm);
	void (*vm_destroy)(struct kvm *kvm);

	int (*vcpu_precreate)(struct kvm *kvm);
	int (*vcpu_create)(struct kvm_vcpu *vcpu);
	void (*vcpu_free)(struct kvm_vcpu *vcpu);
	/* KVM_RUN body: enter the guest once and handle the exit. */
	int (*vcpu_run)(struct kvm_vcpu *vcpu);

	/* KVM_MEMORY_ENCRYPT_OP on a VM fd and on a vCPU fd. */
	int (*mem_enc_ioctl)(struct kvm *kvm, void *argp);
	int (*vcpu_mem_enc_ioctl)(struct kvm_vcpu *vcpu, void *argp);
	/* vCPU ioctls that take the VM-state locks themselves (6.19+). */
	int (*vcpu_mem_enc_unlocked_ioctl)(struct kvm_vcpu *vcpu, void *argp);

	/* Mirror (external) page table hooks, called by the TDP MMU. */
	int (*link_external_spt)(struct kvm *kvm, gfn_t gfn,
				 enum pg_level level, void *external_spt);
	int (*set_external_spte)(struct kvm *kvm, gfn_t gfn,
				 enum pg_level level, u64 mirror_spte);
	int (*free_external_spt)(struct kvm *kvm, gfn_t gfn,
				 enum pg_level level, void *external_spt);
	void (*remove_external_spte)(struct kvm *kvm, gfn_t gfn,
				     enum pg_level level, u64 mirror_spte);
	/*
	 * Dynamic PAMT v6: top up the vendor's cache for the S-EPT pages of
	 * a fault (@min_nr_spts tables) outside mmu_lock.
	 */
	int (*topup_external_cache)(struct kvm_vcpu *vcpu, int min_nr_spts);
	/*
	 * Split the huge S-EPT leaf @old_spte into the page @external_spt;
	 * @shared: mmu_lock is held for read (the fault path), which TDX
	 * refuses (v3 09/24).
	 */
	int (*split_external_spte)(struct kvm *kvm, gfn_t gfn,
				   enum pg_level level, u64 old_spte,
				   void *external_spt, bool shared);
	/*
	 * TDX huge pages: top up the vendor's per-VM cache for @nr splits
	 * (Dynamic PAMT pairs of the new S-EPT pages), outside mmu_lock with
	 * kvm->arch.tdp_mmu_external_cache_lock held.
	 */
	int (*topup_external_split_cache)(struct kvm *kvm, int nr);

	/* Largest mapping level for a private gfn (0: no vendor limit). */
	int (*gmem_max_mapping_level)(struct kvm *kvm, kvm_pfn_t pfn,
				      bool is_private);
	/*
	 * Deliver interrupt @vector to @vcpu (upstream passes the local APIC,
	 * the delivery and trigger modes; TDX posts the vector either way).
	 */
	void (*deliver_interrupt)(struct kvm_vcpu *vcpu, int vector);
	/* Make every vCPU leave the guest and wait until it has. */
	void (*kick_all_vcpus)(struct kvm *kvm);
	/*
	 * tdxsim's vendor controls (TDXSIM_GET_MRTD, _GET_TD_STATS, ...):
	 * tdxsim_tdx_ctl.c for TDX.
	 */
	long (*tdxsim_vm_ioctl)(struct kvm *kvm, unsigned int ioctl,
				void *argp);
};

#endif /* TDXSIM_KVM_ASM_KVM_HOST_H */
