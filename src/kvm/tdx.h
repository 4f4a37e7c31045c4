/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The TDX vendor code's objects (the kernel's arch/x86/kvm/vmx/tdx.h).
 */
#ifndef TDXSIM_KVM_TDX_H
#define TDXSIM_KVM_TDX_H

#include "base/page_alloc.h"
#include "kvm/kvm_host.h"
#include "kvm/asm/tdx.h"
#include "kvm/tdxsim_livelock.h"

enum kvm_tdx_state {
	TD_STATE_UNINITIALIZED = 0,
	TD_STATE_INITIALIZED,
	TD_STATE_RUNNABLE,
};

enum vcpu_tdx_state {
	VCPU_TD_STATE_UNINITIALIZED = 0,
	VCPU_TD_STATE_INITIALIZED,
};

struct kvm_tdx {
	struct kvm *kvm;
	enum kvm_tdx_state state;
	int hkid;			/* > 0 while assigned */
	struct page *tdr_page;
	struct page **tdcs_pages;
	unsigned int nr_tdcs_pages;
	unsigned int nr_tdcs_added;	/* TDCS pages the module owns */
	bool td_created;		/* TDH.MNG.CREATE succeeded */
	u64 attributes;
	u64 xfam;
	int gpaw;			/* 48 or 52 */
	/* Mirror leaves mapped before their TDH.MEM.PAGE.ADD (premapped). */
	atomic64_t nr_premapped;
	/* The source page of the TDH.MEM.PAGE.ADD in progress (map_pfn design). */
	struct page *page_add_src;
	/* Set while a no-fail S-EPT call is retried with every vCPU out. */
	bool wait_for_sept_zap;
	/*
	 * Dynamic PAMT + huge pages: pairs for the S-EPT pages of splits
	 * (RFC v5's per-VM pamt_cache), filled outside mmu_lock under
	 * kvm->arch.tdp_mmu_external_cache_lock, drawn from under the
	 * write mmu_lock with that mutex still held.
	 */
	struct tdx_pamt_cache split_pamt_cache;
};

struct vcpu_tdx {
	struct kvm_vcpu *vcpu;
	enum vcpu_tdx_state state;
	struct page *tdvpr_page;
	struct page **tdcx_pages;
	unsigned int nr_tdcx_pages;
	unsigned int nr_tdcx_added;
	bool created;			/* TDH.VP.CREATE succeeded */
	hpa_t loaded_shared_eptp;
	/* Registers handed to the next TDH.VP.ENTER (TDVMCALL results). */
	struct tdx_module_args vp_enter_args;
	/* The MapGPA in progress: [map_gpa_next, map_gpa_end), shared bit kept. */
	u64 map_gpa_next;
	u64 map_gpa_end;
	/* The last TD exit. */
	u64 exit_reason;
	u64 exit_qualification;
	u64 ext_exit_qualification;
	gpa_t exit_gpa;
	/* Dynamic PAMT v6: pages for the pairs a fault may need. */
	struct tdx_pamt_cache pamt_cache;
	/* tdxsim: the livelock detector's state (tdxsim_livelock.c). */
	struct tdxsim_livelock livelock;
};

static inline struct kvm_tdx *to_kvm_tdx(struct kvm *kvm)
{
	return kvm->arch.vendor;
}

static inline struct vcpu_tdx *to_tdx(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.vendor;
}

static inline bool is_hkid_assigned(struct kvm_tdx *kvm_tdx)
{
	return kvm_tdx->hkid > 0;
}

static inline u64 tdx_tdr_pa(struct kvm_tdx *kvm_tdx)
{
	return page_to_phys(kvm_tdx->tdr_page);
}

/* Install the TDX operations into kvm_x86_ops. */
int tdx_hardware_setup(void);

/*
 * Split the huge private leaves crossing [start, end) (write mmu_lock, the
 * split cache's mutex held and the cache topped up).
 */
int kvm_split_cross_boundary_leafs(struct kvm *kvm, struct kvm_gfn_range *range,
				   bool shared);

#endif /* TDXSIM_KVM_TDX_H */
