/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kernel's SEAMCALL wrappers, the twin of arch/x86/include/asm/tdx.h:
 * one typed function per leaf KVM calls, defined in kvm/virt/tdx.c (the
 * twin of arch/x86/virt/vmx/tdx/tdx.c). Each builds the registers of its
 * leaf as the kernel does, calls seamcall() and hands back the outputs the
 * kernel's does; the status is the return value.
 *
 * Departure from upstream: newer kernels pass struct tdx_td, struct tdx_vp
 * and struct page pointers; tdxsim passes the host physical addresses
 * (tdr_pa = page_to_phys(td->tdr_page), tdvpr_pa, page_pa), as KVM's own
 * wrappers did in the TDX series before they moved to arch/x86/virt, so
 * that KVM's tdx.c (which keeps pages, not struct tdx_td) and the tests
 * keep their callers. The names, the argument order and the outputs are
 * upstream's.
 *
 * The module bring-up the kernel's TDX init does (tdx_get_sysinfo(),
 * tdx_guest_keyid_alloc(), ...) is in seam/tdx_module.h, included here as
 * upstream's asm/tdx.h declares it.
 */
#ifndef TDXSIM_KVM_ASM_TDX_H
#define TDXSIM_KVM_ASM_TDX_H

#include "seam/seamcall.h"
#include "seam/tdx_module.h"

/*
 * TDH.VP.ENTER: run the vCPU at @tdvpr_pa until a TD exit. On input @args
 * holds the guest GPRs the host hands back after a TDG.VP.VMCALL exit
 * (R10 = status, R11 = output value, R12.. as the sub-function defines). On
 * return RAX bits 31:0 hold the VMX exit reason (48 EPT violation, 77
 * TDCALL, 1 external interrupt), @args->rcx the exit qualification, rdx the
 * extended exit qualification, r8 the GPA (bits 11:0 cleared), and for a
 * TDVMCALL exit r10..r15, rbx, rdi, rsi the guest's registers (rcx = mask).
 */
u64 tdh_vp_enter(u64 tdvpr_pa, struct tdx_module_args *args);
/* TDH.MNG.ADDCX: add TDCS page @tdcs_pa (page 3 is the S-EPT root). */
u64 tdh_mng_addcx(u64 tdr_pa, u64 tdcs_pa);
/*
 * TDH.MEM.PAGE.ADD: copy @source_pa into private page @page_pa mapped 4K at
 * @gpa, and extend MRTD. @ext_err1/@ext_err2 get RCX/RDX (entry, level_state).
 */
u64 tdh_mem_page_add(u64 tdr_pa, u64 gpa, u64 page_pa, u64 source_pa,
		     u64 *ext_err1, u64 *ext_err2);
/*
 * TDH.MEM.SEPT.ADD: link S-EPT page @sept_page_pa below the entry at
 * @gpa/@level (1..pwl).
 */
u64 tdh_mem_sept_add(u64 tdr_pa, u64 gpa, int level, u64 sept_page_pa,
		     u64 *ext_err1, u64 *ext_err2);
/* TDH.VP.ADDCX: add TDCX page @tdcx_pa to the vCPU @tdvpr_pa. */
u64 tdh_vp_addcx(u64 tdvpr_pa, u64 tdcx_pa);
/* TDH.MEM.PAGE.AUG: map @page_pa PENDING at @gpa, @level 0 (4K) or 1 (2M). */
u64 tdh_mem_page_aug(u64 tdr_pa, u64 gpa, int level, u64 page_pa,
		     u64 *ext_err1, u64 *ext_err2);
/* TDH.MEM.RANGE.BLOCK: block the entry at @gpa/@level; stamps the epoch. */
u64 tdh_mem_range_block(u64 tdr_pa, u64 gpa, int level, u64 *ext_err1,
			u64 *ext_err2);
/* TDH.MNG.KEY.CONFIG: program the TD's key on this (the only) package. */
u64 tdh_mng_key_config(u64 tdr_pa);
/* TDH.MNG.CREATE: make @tdr_pa a TDR for a new TD with private key id @hkid. */
u64 tdh_mng_create(u64 tdr_pa, u16 hkid);
/* TDH.VP.CREATE: make @tdvpr_pa the TDVPR of a new vCPU of the TD. */
u64 tdh_vp_create(u64 tdr_pa, u64 tdvpr_pa);
/* TDH.MNG.RD: read TDCS field @field (TDCS_*) into @data (0 on error). */
u64 tdh_mng_rd(u64 tdr_pa, u64 field, u64 *data);
/* TDH.MR.EXTEND: measure the 256 private bytes at @gpa (256-aligned). */
u64 tdh_mr_extend(u64 tdr_pa, u64 gpa, u64 *ext_err1, u64 *ext_err2);
/* TDH.MR.FINALIZE: finish MRTD and make the TD runnable. */
u64 tdh_mr_finalize(u64 tdr_pa);
/* TDH.VP.FLUSH: dissociate the vCPU (TDX_VCPU_NOT_ASSOCIATED if it was). */
u64 tdh_vp_flush(u64 tdvpr_pa);
/* TDH.MNG.VPFLUSHDONE: check all vCPUs are flushed; block the TD. */
u64 tdh_mng_vpflushdone(u64 tdr_pa);
/* TDH.MNG.KEY.FREEID: release the TD's HKID; the TD moves to TEARDOWN. */
u64 tdh_mng_key_freeid(u64 tdr_pa);
/*
 * TDH.MNG.INIT: initialise the TD from the struct td_params at @td_params
 * (the physical address of a 1024-aligned shared page). @extended_err gets
 * RCX (the failing field).
 */
u64 tdh_mng_init(u64 tdr_pa, u64 td_params, u64 *extended_err);
/* TDH.VP.RD: read TDVPS field @field into @data (0 on error). */
u64 tdh_vp_rd(u64 tdvpr_pa, u64 field, u64 *data);
/* TDH.VP.WR: write the bits @mask of TDVPS field @field from @data. */
u64 tdh_vp_wr(u64 tdvpr_pa, u64 field, u64 data, u64 mask);
/*
 * TDH.VP.INIT: initialise the vCPU with guest RCX @initial_rcx and x2APIC
 * id @x2apicid: version 1, or version 0 (no x2APIC id) with a module that
 * takes only that (tdx_sys_info.vp_init_max_version).
 */
u64 tdh_vp_init(u64 tdvpr_pa, u64 initial_rcx, u32 x2apicid);
/*
 * TDH.PHYMEM.PAGE.RECLAIM: take back @page_pa from a torn-down TD. Outputs
 * (for error reports): @tdx_pt page type, @tdx_owner owner TDR HPA,
 * @tdx_size 0/1/2.
 */
u64 tdh_phymem_page_reclaim(u64 page_pa, u64 *tdx_pt, u64 *tdx_owner,
			    u64 *tdx_size);
/* TDH.MEM.TRACK: advance the TD's TLB epoch. */
u64 tdh_mem_track(u64 tdr_pa);
/* TDH.MEM.PAGE.REMOVE: unmap the leaf at @gpa/@level; RCX = its HPA. */
u64 tdh_mem_page_remove(u64 tdr_pa, u64 gpa, int level, u64 *ext_err1,
			u64 *ext_err2);
/* TDH.PHYMEM.CACHE.WB: write back caches (between VPFLUSHDONE and FREEID). */
u64 tdh_phymem_cache_wb(bool resume);
/* TDH.PHYMEM.PAGE.WBINVD for the TDR page itself (the global key). */
u64 tdh_phymem_page_wbinvd_tdr(u64 tdr_pa);
/* TDH.PHYMEM.PAGE.WBINVD: write back and invalidate @page_pa, key @hkid. */
u64 tdh_phymem_page_wbinvd_hkid(u64 hkid, u64 page_pa);

/*
 * Leaves upstream's tdx.c has no wrapper for (yet): DEMOTE comes with the
 * TDX huge page series; PROMOTE, RANGE.UNBLOCK and SEPT.REMOVE were in
 * earlier TDX postings and are what tdxsim's tests of the module use.
 */

/*
 * TDH.MEM.PAGE.DEMOTE: split the blocked (if RUNNABLE: and tracked) leaf at
 * @gpa/@level (1 or 2) into 512 children in S-EPT page @new_sept_page_pa.
 */
u64 tdh_mem_page_demote(u64 tdr_pa, u64 gpa, int level, u64 new_sept_page_pa,
			u64 *ext_err1, u64 *ext_err2);
/*
 * DEMOTE with Dynamic PAMT: splitting a 2M page also installs its region's
 * PAMT page pair @pamt_pa0, @pamt_pa1 (R12, R13; the hugepage series).
 */
u64 tdh_mem_page_demote_pamt(u64 tdr_pa, u64 gpa, int level,
			     u64 new_sept_page_pa, u64 pamt_pa0, u64 pamt_pa1,
			     u64 *ext_err1, u64 *ext_err2);
/* TDH.MEM.PAGE.PROMOTE: merge the 512 children at @gpa/@level (1 or 2). */
u64 tdh_mem_page_promote(u64 tdr_pa, u64 gpa, int level, u64 *ext_err1,
			 u64 *ext_err2);
/* TDH.MEM.RANGE.UNBLOCK: restore the blocked, tracked entry at @gpa/@level. */
u64 tdh_mem_range_unblock(u64 tdr_pa, u64 gpa, int level, u64 *ext_err1,
			  u64 *ext_err2);
/* TDH.MEM.SEPT.REMOVE: unlink the empty S-EPT page; RCX = its HPA. */
u64 tdh_mem_sept_remove(u64 tdr_pa, u64 gpa, int level, u64 *ext_err1,
			u64 *ext_err2);

/* ---- Dynamic PAMT (v6 of 2026-05-25; docs/upstream/series-dpamt.md §3) ---- */

struct page;

/* Pages of a 2M region's PAMT page pair (v6 fixes it at 2). */
#define TDX_DPAMT_ENTRY_PAGE_CNT	2

/* TDH.PHYMEM.PAMT.ADD: give @pamt_pa[] to the 2M region of @pfn. */
u64 tdh_phymem_pamt_add(u64 pfn, u64 pamt_pa[TDX_DPAMT_ENTRY_PAGE_CNT]);
/* TDH.PHYMEM.PAMT.REMOVE: take the region's pair back into @pamt_pa[]. */
u64 tdh_phymem_pamt_remove(u64 pfn, u64 pamt_pa[TDX_DPAMT_ENTRY_PAGE_CNT]);

/*
 * Pages topped up outside mmu_lock for the pairs a fault may need
 * (vcpu_tdx.pamt_cache; upstream a list, tdxsim an array).
 */
#define TDX_PAMT_CACHE_MAX		16
struct tdx_pamt_cache {
	struct page *pages[TDX_PAMT_CACHE_MAX];
	unsigned long cnt;
};

/* The refcount array and the lock (init_pamt_refcounts()); 0 or -ENOMEM. */
int tdx_dpamt_init(void);
/* DPAMT in use: the module has it enabled (v6 also checks phys bits). */
bool tdx_supports_dynamic_pamt(void);
/*
 * Take a reference on the PAMT pair of @pfn's 2M region, adding the pair
 * (pages from @cache, or allocated if NULL) on 0->1 under the global
 * pamt_lock. 0, -ENOMEM, or -EIO if PAMT.ADD failed (WARN).
 */
int tdx_pamt_get(u64 pfn, struct tdx_pamt_cache *cache);
/*
 * tdxsim: the designs the reviews argued about (struct tdxsim_design's
 * dpamt_* switches; series-dpamt.md §5, §6), as @flags of the __ variants.
 */
/* dpamt_get_recheck=none: no recheck of the count under the lock (§5.5) */
#define TDXSIM_PAMT_NO_RECHECK		BIT(0)
/* dpamt_put=v3, v4, rfc-recheck: put drops 1->0 outside the lock (§5.3) */
#define TDXSIM_PAMT_PUT_OUTSIDE_LOCK	BIT(1)
/* dpamt_put=v4: get takes HPA_RANGE_NOT_FREE for "a put is removing it" */
#define TDXSIM_PAMT_PUT_V4		BIT(2)
/* dpamt_put=rfc-recheck: the count is users + 1 while the pair is there */
#define TDXSIM_PAMT_PUT_RFC_RECHECK	BIT(3)
/* dpamt_lock=per-region: a lock per 2M region, not pamt_lock (§5.4) */
#define TDXSIM_PAMT_PER_REGION_LOCK	BIT(4)
int __tdx_pamt_get(u64 pfn, struct tdx_pamt_cache *cache, unsigned int flags);
struct page *__tdx_alloc_control_page(unsigned int flags);
/* Drop it; on 1->0 (atomic with the lock) PAMT.REMOVE, free the pages. */
void tdx_pamt_put(u64 pfn);
/* 0, or the failed PAMT.REMOVE's status (the pair leaked, WARN). */
u64 __tdx_pamt_put(u64 pfn, unsigned int flags);
/* alloc_page() + tdx_pamt_get(); NULL on failure. */
struct page *tdx_alloc_control_page(void);
/* tdx_pamt_put() + __free_page(); NULL-safe. */
void tdx_free_control_page(struct page *page);
void __tdx_free_control_page(struct page *page, unsigned int flags);
void tdx_init_pamt_cache(struct tdx_pamt_cache *cache);
/* Fill @cache to 2 * @npages pages (at most TDX_PAMT_CACHE_MAX). */
int tdx_topup_pamt_cache(struct tdx_pamt_cache *cache, unsigned long npages);
void tdx_free_pamt_cache(struct tdx_pamt_cache *cache);
/* The kernel's refcount of @pfn's region (tdxsim: for checks and tests). */
int tdx_pamt_refcount(u64 pfn);

/*
 * DEMOTE of the 2M page at @pfn with a PAMT pair from @cache (TDX_SW_ERROR,
 * no SEAMCALL, if it has none; NULL: allocated); @counted (v6): the
 * region's refcount set to 512 (its 4K pages), under pamt_lock unless
 * @flags has TDXSIM_PAMT_DEMOTE_UNLOCKED (RFC v5, before Yan Zhao's fix).
 */
#define TDXSIM_PAMT_DEMOTE_UNLOCKED	BIT(5)
/* dpamt_remove_fail=drop: a failed PAMT.REMOVE leaves the count at 0 */
#define TDXSIM_PAMT_REMOVE_FAIL_DROP	BIT(6)
u64 tdx_pamt_demote(u64 tdr_pa, u64 gpa, int level, u64 new_sept_page_pa,
		    u64 pfn, bool counted, unsigned int flags,
		    struct tdx_pamt_cache *cache, u64 *ext_err1,
		    u64 *ext_err2);

/* The lazy design (RFC v1): add on MISSING_PAMT_PAGE_PAIR, try to remove. */
int tdx_pamt_lazy_add(u64 pfn);
void tdx_pamt_lazy_remove(u64 pfn);

/* tdxsim: what the kernel's PAMT code did (reports, tests). */
struct tdx_dpamt_stats {
	u64 adds;		/* successful PAMT.ADDs */
	u64 removes;		/* successful PAMT.REMOVEs */
	u64 failures;		/* PAMT.ADD/REMOVE failures (WARNs) */
	u64 leaked;		/* pairs left installed after a failed remove */
	u64 refcount_bytes;	/* the refcount array */
};
void tdx_dpamt_get_stats(struct tdx_dpamt_stats *st);

#endif /* TDXSIM_KVM_ASM_TDX_H */
