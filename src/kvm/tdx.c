// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The TDX vendor code (the kernel's arch/x86/kvm/vmx/tdx.c, written anew):
 * the TD and vCPU life cycles, the S-EPT hooks of the TDP MMU's mirror root,
 * KVM_TDX_INIT_MEM_REGION in its three designs, the EPT-violation and
 * TDVMCALL exits, and teardown. tdxsim's additions (its controls, the
 * livelock detector, the invariant checker, the counting hooks) are in
 * tdxsim_*.c and reached from single lines here.
 *
 * KVM learns about the S-EPT only from SEAMCALL return values. Install calls
 * (SEPT.ADD, AUG, ADD) run under the read mmu_lock and may return BUSY, which
 * becomes -EBUSY and a fault retry. Removal calls (BLOCK, TRACK, REMOVE,
 * DEMOTE) run under the write mmu_lock and may not fail: a BUSY is retried
 * once after forcing every vCPU out of the guest (tdh_do_no_vcpus), and any
 * other failure bugs the VM.
 *
 * Where releases differ, the code follows the VM's design switches
 * (struct tdxsim_design, set from a kernel profile: tdxsim_profiles.c and
 * docs/PROFILES.md), read with READ_ONCE(kvm->design.NAME): populate,
 * premap_count, pin_pages, vp_init_lock, the VM-state guard, how failures
 * are reported, the 2M paths of the huge-page RFC. docs/FIDELITY.md maps
 * each function to its upstream one; "tdxsim:" comments mark departures.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/page_alloc.h"
#include "ulib/strbuf.h"
#include "kvm/guest_memfd.h"
#include "kvm/kvm_host.h"
#include "host/mm.h"
#include "kvm/mmu.h"
#include "kvm/tdp_mmu.h"
#include "kvm/tdx.h"
#include "kvm/tdxsim_ctl.h"
#include "kvm/tdxsim_livelock.h"
#include "kvm/tdxsim_trace.h"
#include "kvm/x86.h"
#include "seam/seamcall.h"

#define TDX_SHARED_BIT_PWL_5	((1ULL << 51) >> PAGE_SHIFT)
#define TDX_SHARED_BIT_PWL_4	((1ULL << 47) >> PAGE_SHIFT)
#define TDX_EXTENDMR_CHUNKSIZE	256
/* Resumptions of an interrupted TDH.PHYMEM.CACHE.WB, as upstream. */
#define TDX_SEAMCALL_RETRIES	10000
#define TDX_SUPPORTED_ATTRS	TDX_TD_ATTR_SEPT_VE_DISABLE

#define PAGE_ALIGNED_U64(x)	(((x) & (PAGE_SIZE - 1)) == 0)

/*
 * TDH.MNG.CREATE and the HKID release (TDH.MNG.VPFLUSHDONE, the cache
 * write-back, TDH.MNG.KEY.FREEID) take the module's global key tables and
 * answer BUSY to each other: serialise them, as upstream does. KEY.CONFIG
 * is not under it (upstream runs it per package with cpus_read_lock only).
 */
static struct mutex tdx_lock;

static int tdx_level(int pg_level)
{
	return pg_level - 1;
}

static gpa_t gfn_to_gpa(gfn_t gfn)
{
	return gfn << PAGE_SHIFT;
}

/* --- SEAMCALLs: failure reports --------------------------------------------------------------- */

/*
 * pr_tdx_error*(): report the failure of SEAMCALL @leaf (@fn its name) in
 * @func, in the words of the VM's release (design bug_macro), and record it
 * for TDXSIM_GET_VM_FAILURE.
 */
static void tdx_report_seamcall(struct kvm *kvm, unsigned int leaf,
				const char *fn, const char *func, u64 err,
				u64 e1, u64 e2)
{
	bool tdx_bug_on = READ_ONCE(kvm->design.bug_macro) ==
			  TDXSIM_BUG_MACRO_TDX_BUG_ON;

	trace_kvm_tdx_seamcall_failed(kvm, leaf, func, err, e1, e2);
	pr_err("kvm_tdx: %sSEAMCALL %s failed: %s (0x%016llx), entry 0x%llx level_state 0x%llx\n",
	       tdx_bug_on ? "TDX_BUG_ON: " : "", fn, tdx_status_name(err),
	       (unsigned long long)err, (unsigned long long)e1,
	       (unsigned long long)e2);
}

/*
 * A failure that bugs the VM (the macros below then KVM_BUG_ON() it):
 * pr_tdx_error() and KVM_BUG_ON() (6.16-6.18), or TDX_BUG_ON*() (6.19),
 * which reports only while the VM is not yet bugged.
 */
static void tdx_seamcall_failed(struct kvm *kvm, unsigned int leaf,
				const char *fn, const char *func, u64 err,
				u64 e1, u64 e2)
{
	if (!READ_ONCE(kvm->vm_bugged))
		tdx_report_seamcall(kvm, leaf, fn, func, err, e1, e2);
}

/*
 * A failure the design handles as @style: bug the VM, or report it and let
 * the caller return an errno (6.16's PAGE.ADD, MR.EXTEND and TD creation
 * failures). True if @err is a failure.
 */
#define TDX_FAIL_STYLE(style, err, fn, e1, e2, kvm)			\
	({								\
		u64 __e = (err);					\
		if (__e && (style) == TDXSIM_FAIL_BUG) {		\
			tdx_seamcall_failed((kvm), (fn), #fn, __func__,	\
					    __e, (e1), (e2));		\
			KVM_BUG_ON(1, kvm);				\
		} else if (__e) {					\
			tdx_report_seamcall((kvm), (fn), #fn, __func__,	\
					    __e, (e1), (e2));		\
		}							\
		__e != 0;						\
	})

/* A SEAMCALL @fn (TDH_*) that may not fail did: report it, bug the VM. */
#define TDX_BUG_ON(err, fn, kvm)					\
	({								\
		u64 __e = (err);					\
		if (__e)						\
			tdx_seamcall_failed((kvm), (fn), #fn, __func__,	\
					    __e, 0, 0);			\
		KVM_BUG_ON(__e, kvm);					\
	})

/* The same, with the SEAMCALL's RCX and RDX outputs in the report. */
#define TDX_BUG_ON_2(err, fn, e1, e2, kvm)				\
	({								\
		u64 __e = (err);					\
		if (__e)						\
			tdx_seamcall_failed((kvm), (fn), #fn, __func__,	\
					    __e, (e1), (e2));		\
		KVM_BUG_ON(__e, kvm);					\
	})

/*
 * Run a removal-side SEAMCALL that may not fail: on BUSY, keep vCPUs out of
 * the guest, kick them all out, and try exactly once more. "The retry is
 * guaranteed to succeed, absent KVM and/or TDX-Module bugs."
 */
#define tdh_do_no_vcpus(kvm, call)					\
	({								\
		struct kvm_tdx *__kt = to_kvm_tdx(kvm);			\
		u64 __err;						\
									\
		lockdep_assert_held_write(&(kvm)->mmu_lock);		\
		__err = (call);						\
		if (tdx_operand_busy(__err)) {				\
			trace_kvm_tdx_no_vcpus_retry((kvm), __err);	\
			WRITE_ONCE(__kt->wait_for_sept_zap, true);	\
			kvm_make_all_cpus_request((kvm),		\
					KVM_REQ_OUTSIDE_GUEST_MODE);	\
			__err = (call);					\
			WRITE_ONCE(__kt->wait_for_sept_zap, false);	\
		}							\
		__err;							\
	})

/*
 * After a page comes back from the module, the host resets it (the
 * partial-write erratum's reset). tdxsim: a page nobody wrote since it was
 * last zeroed (PG_written clear) still reads as zero and is left alone.
 */
static void tdx_quirk_reset_page(struct kvm *kvm, struct page *page)
{
	/* 6.16's tdx_clear_page() cleared every page (design page_reset). */
	if (page_written(page) ||
	    READ_ONCE(kvm->design.page_reset) == TDXSIM_PAGE_RESET_ALWAYS)
		memset(page_address(page), 0, PAGE_SIZE);
}

static int tdx_reclaim_page(struct kvm *kvm, struct page *page)
{
	u64 pt, owner, size, err;

	err = tdh_phymem_page_reclaim(page_to_phys(page), &pt, &owner, &size);
	if (err) {
		pr_err("kvm_tdx: TDH.PHYMEM.PAGE.RECLAIM of pfn 0x%llx failed: %s; leaking it\n",
		       (unsigned long long)page_to_pfn(page),
		       tdx_status_name(err));
		return -EIO;
	}
	tdx_quirk_reset_page(kvm, page);
	trace_kvm_tdx_reclaim_page(kvm, page_to_pfn(page));
	return 0;
}

/* --- Dynamic PAMT (design dpamt: v6 of 2026-05-25, or the lazy design) ---------------------------- */

static bool tdx_dpamt_v6(struct kvm *kvm)
{
	return READ_ONCE(kvm->design.dpamt) == TDXSIM_DPAMT_V6 &&
	       tdx_supports_dynamic_pamt();
}

static bool tdx_dpamt_lazy(struct kvm *kvm)
{
	return READ_ONCE(kvm->design.dpamt) == TDXSIM_DPAMT_LAZY &&
	       tdx_supports_dynamic_pamt();
}

/*
 * tdxsim: the refcount design's variants the reviews argued about (the
 * dpamt_get_recheck, dpamt_put and dpamt_lock switches), for the
 * __tdx_pamt_*() calls.
 */
static unsigned int tdx_pamt_flags(struct kvm *kvm)
{
	unsigned int flags = 0;

	if (READ_ONCE(kvm->design.dpamt_get_recheck) !=
	    TDXSIM_DPAMT_GET_RECHECK)
		flags |= TDXSIM_PAMT_NO_RECHECK;
	switch (READ_ONCE(kvm->design.dpamt_put)) {
	case TDXSIM_DPAMT_PUT_V4:
		flags |= TDXSIM_PAMT_PUT_OUTSIDE_LOCK | TDXSIM_PAMT_PUT_V4;
		break;
	case TDXSIM_DPAMT_PUT_V3:
		flags |= TDXSIM_PAMT_PUT_OUTSIDE_LOCK;
		break;
	case TDXSIM_DPAMT_PUT_RFC_RECHECK:
		flags |= TDXSIM_PAMT_PUT_OUTSIDE_LOCK |
			 TDXSIM_PAMT_PUT_RFC_RECHECK;
		break;
	}
	if (READ_ONCE(kvm->design.dpamt_lock) == TDXSIM_DPAMT_LOCK_PER_REGION)
		flags |= TDXSIM_PAMT_PER_REGION_LOCK;
	if (READ_ONCE(kvm->design.demote_under_pamt_lock) ==
	    TDXSIM_DEMOTE_PAMT_LOCK_OFF)
		flags |= TDXSIM_PAMT_DEMOTE_UNLOCKED;
	if (READ_ONCE(kvm->design.dpamt_remove_fail) ==
	    TDXSIM_DPAMT_REMOVE_FAIL_DROP)
		flags |= TDXSIM_PAMT_REMOVE_FAIL_DROP;
	return flags;
}

/* A TDR, TDCS, TDVPR or TDCX page: v6 takes its region's PAMT reference. */
static struct page *tdx_alloc_td_page(struct kvm *kvm)
{
	return tdx_dpamt_v6(kvm) ?
	       __tdx_alloc_control_page(tdx_pamt_flags(kvm)) : alloc_page();
}

static void tdx_free_td_page(struct kvm *kvm, struct page *page)
{
	if (!page)
		return;
	if (tdx_dpamt_v6(kvm)) {
		__tdx_free_control_page(page, tdx_pamt_flags(kvm));
		return;
	}
	if (tdx_dpamt_lazy(kvm))
		tdx_pamt_lazy_remove(page_to_pfn(page));
	__free_page(page);
}

/*
 * v6: a PAMT reference for a page handed to the module from a fault or
 * populate, the pair's pages from the running vCPU's cache. tdxsim: with
 * no running vCPU of this VM the pages are allocated (v6 KVM_BUG_ONs;
 * tdxsim's callers all run in vCPU context, the fallback is for safety).
 */
static int tdx_pamt_get_vcpu(struct kvm *kvm, kvm_pfn_t pfn)
{
	struct kvm_vcpu *vcpu = kvm_get_running_vcpu();
	struct tdx_pamt_cache *cache = NULL;

	if (!tdx_dpamt_v6(kvm))
		return 0;
	if (vcpu && vcpu->kvm == kvm && to_tdx(vcpu))
		cache = &to_tdx(vcpu)->pamt_cache;
	/*
	 * tdxsim: TDXSIM_INJECT_PAMT_CACHE_EMPTY, the cache run dry for a
	 * get that needs a pair (the region has none).
	 */
	if (cache && !tdx_pamt_refcount(pfn) &&
	    tdxsim_inject_pamt_cache_empty(kvm)) {
		struct tdx_pamt_cache empty = { .cnt = 0 };

		return __tdx_pamt_get(pfn, &empty, tdx_pamt_flags(kvm));
	}
	return __tdx_pamt_get(pfn, cache, tdx_pamt_flags(kvm));
}

/* Drop what tdx_pamt_get_vcpu() took, or (lazy) try to remove the pair. */
static void tdx_pamt_put_page(struct kvm *kvm, kvm_pfn_t pfn)
{
	if (tdx_dpamt_v6(kvm))
		__tdx_pamt_put(pfn, tdx_pamt_flags(kvm));
	else if (tdx_dpamt_lazy(kvm))
		tdx_pamt_lazy_remove(pfn);
}

/*
 * The lazy design: a leaf given a page whose region has no pair answers
 * MISSING_PAMT_PAGE_PAIR; add the pair and issue the leaf once more. A
 * PAMT.ADD that met contention is reported as the leaf's BUSY.
 */
#define tdx_lazy_pamt(kvm, pfn, call)					\
	({								\
		u64 __e = (call);					\
		if (tdx_dpamt_lazy(kvm) &&				\
		    (__e & TDX_SEAMCALL_STATUS_MASK) ==			\
		    TDX_MISSING_PAMT_PAGE_PAIR) {			\
			int __r = tdx_pamt_lazy_add(pfn);		\
			if (!__r)					\
				__e = (call);				\
			else if (__r == -EBUSY)				\
				__e = TDX_OPERAND_BUSY |		\
				      TDX_OPERAND_ID_RCX;		\
		}							\
		__e;							\
	})

static int tdx_topup_external_cache(struct kvm_vcpu *vcpu, int min_nr_spts)
{
	if (!tdx_dpamt_v6(vcpu->kvm) || !to_tdx(vcpu))
		return 0;
	return tdx_topup_pamt_cache(&to_tdx(vcpu)->pamt_cache, min_nr_spts);
}

/*
 * The per-VM cache for splits (RFC v5 44/45): per split a pair for the new
 * S-EPT page's region and one for DEMOTE's R12/R13 (the 2M page's 512 4K
 * PAMT entries).
 */
static int tdx_topup_external_split_cache(struct kvm *kvm, int nr)
{
	lockdep_assert_held(&kvm->arch.tdp_mmu_external_cache_lock);
	if (!tdx_dpamt_v6(kvm))
		return 0;
	return tdx_topup_pamt_cache(&to_kvm_tdx(kvm)->split_pamt_cache,
				    2 * nr);
}

/* Reclaim and free a control page; leak it if the module keeps it. */
static void tdx_reclaim_control_page(struct kvm *kvm, struct page *page)
{
	if (!page)
		return;
	if (!tdx_reclaim_page(kvm, page))
		tdx_free_td_page(kvm, page);
}

/* --- TLB tracking --------------------------------------------------------------------------------- */

static void tdx_track(struct kvm *kvm)
{
	struct kvm_tdx *kvm_tdx = to_kvm_tdx(kvm);
	u64 err;

	/*
	 * Before the TD runs no vCPU can have cached a translation. FINALIZE
	 * sets the state without mmu_lock: read it as the atomic it is.
	 */
	if (__atomic_load_n(&kvm_tdx->state, __ATOMIC_ACQUIRE) !=
	    TD_STATE_RUNNABLE)
		return;
	lockdep_assert_held_write(&kvm->mmu_lock);
	trace_kvm_tdx_track(kvm);
	err = tdh_do_no_vcpus(kvm, tdh_mem_track(tdx_tdr_pa(kvm_tdx)));
	TDX_BUG_ON(err, TDH_MEM_TRACK, kvm);
	kvm_make_all_cpus_request(kvm, KVM_REQ_OUTSIDE_GUEST_MODE);
}

/* --- the S-EPT hooks ------------------------------------------------------------------------------ */

static int tdx_sept_link_private_spt(struct kvm *kvm, gfn_t gfn,
				     enum pg_level level, void *external_spt)
{
	struct kvm_tdx *kvm_tdx = to_kvm_tdx(kvm);
	struct page *page = virt_to_page(external_spt);
	u64 err, entry = 0, level_state = 0;

	int ret;

	if (KVM_BUG_ON(!page, kvm))
		return -EIO;
	/* v6: the S-EPT page's region gets its pair right before SEPT.ADD. */
	ret = tdx_pamt_get_vcpu(kvm, page_to_pfn(page));
	if (ret)
		return ret;
	err = tdx_lazy_pamt(kvm, page_to_pfn(page),
			    tdh_mem_sept_add(tdx_tdr_pa(kvm_tdx),
					     gfn_to_gpa(gfn), tdx_level(level),
					     page_to_phys(page), &entry,
					     &level_state));
	if (err && tdx_dpamt_v6(kvm))
		tdx_pamt_put_page(kvm, page_to_pfn(page));
	if (unlikely(tdx_operand_busy(err))) {
		trace_kvm_tdx_hook_busy(kvm, TDH_MEM_SEPT_ADD, gfn, level, err);
		return -EBUSY;
	}
	if (TDX_BUG_ON_2(err, TDH_MEM_SEPT_ADD, entry, level_state, kvm))
		return -EIO;
	trace_kvm_tdx_sept_add(kvm, gfn, level);
	return 0;
}

/* The largest private level the design maps (the leaf hooks bug above). */
static int tdx_private_max_level(struct kvm *kvm)
{
	return READ_ONCE(kvm->design.private_max_level) ==
	       TDXSIM_PRIVATE_MAX_LEVEL_2M ? PG_LEVEL_2M : PG_LEVEL_4K;
}

static bool tdx_pin_pages(struct kvm *kvm)
{
	return READ_ONCE(kvm->design.pin_pages);
}

/*
 * The pin_pages design holds one reference per 4K page mapped (a 2M leaf
 * holds 512), so a split leaf's 4K leaves can each drop their own later.
 */
static void tdx_pin(struct kvm *kvm, kvm_pfn_t pfn, int level)
{
	unsigned long i;

	if (tdx_pin_pages(kvm))
		for (i = 0; i < KVM_PAGES_PER_HPAGE(level); i++)
			get_page(pfn_to_page(pfn + i));
}

static void tdx_unpin(struct kvm *kvm, kvm_pfn_t pfn, int level)
{
	unsigned long i;

	if (tdx_pin_pages(kvm))
		for (i = 0; i < KVM_PAGES_PER_HPAGE(level); i++)
			put_page(pfn_to_page(pfn + i));
}

/*
 * A leaf that the removal could not take back from the module (the VM is
 * bugged by now): keep its pages from the host allocator for good, as the
 * kernel keeps a control or S-EPT page the module did not give back. Here
 * tdxsim departs from upstream: since 6.19 (no pinning, seed 003)
 * guest_memfd frees such a page while the module still owns it, and the
 * module then refuses it to the next TD that gets it as a control page
 * (TDX_PAGE_METADATA_INCORRECT; docs/FINDINGS.md, F1). The pin_pages
 * design already holds the pages (its pin is never dropped on failure).
 */
static void tdx_keep_page(struct kvm *kvm, kvm_pfn_t pfn, int level)
{
	unsigned long i;

	if (tdx_pin_pages(kvm))
		return;
	for (i = 0; i < KVM_PAGES_PER_HPAGE(level); i++)
		get_page(pfn_to_page(pfn + i));
	pr_err("kvm_tdx: keeping pfn 0x%llx (%lu pages) that the TDX module still holds\n",
	       (unsigned long long)pfn, KVM_PAGES_PER_HPAGE(level));
}

static int tdx_mem_page_aug(struct kvm *kvm, gfn_t gfn, enum pg_level level,
			    kvm_pfn_t pfn)
{
	struct kvm_tdx *kvm_tdx = to_kvm_tdx(kvm);
	u64 err, entry = 0, level_state = 0;

	err = tdx_lazy_pamt(kvm, pfn,
			    tdh_mem_page_aug(tdx_tdr_pa(kvm_tdx),
					     gfn_to_gpa(gfn), tdx_level(level),
					     pfn << PAGE_SHIFT, &entry,
					     &level_state));
	if (unlikely(tdx_operand_busy(err))) {
		trace_kvm_tdx_hook_busy(kvm, TDH_MEM_PAGE_AUG, gfn, level, err);
		return -EBUSY;
	}
	if (TDX_BUG_ON_2(err, TDH_MEM_PAGE_AUG, entry, level_state, kvm))
		return -EIO;
	trace_kvm_tdx_page_aug(kvm, gfn, level, pfn);
	return 0;
}

/* 6.19's populate: TDH.MEM.PAGE.ADD while the mirror SPTE is frozen. */
static int tdx_mem_page_add(struct kvm *kvm, gfn_t gfn, enum pg_level level,
			    kvm_pfn_t pfn)
{
	struct kvm_tdx *kvm_tdx = to_kvm_tdx(kvm);
	u64 err, entry = 0, level_state = 0;

	lockdep_assert_held(&kvm->slots_lock);
	if (KVM_BUG_ON(kvm->arch.pre_fault_allowed || !kvm_tdx->page_add_src,
		       kvm))
		return -EIO;
	err = tdx_lazy_pamt(kvm, pfn,
			    tdh_mem_page_add(tdx_tdr_pa(kvm_tdx),
					     gfn_to_gpa(gfn), pfn << PAGE_SHIFT,
					     page_to_phys(kvm_tdx->page_add_src),
					     &entry, &level_state));
	if (unlikely(tdx_operand_busy(err)))
		return -EBUSY;
	if (TDX_FAIL_STYLE(READ_ONCE(kvm->design.page_add_fail), err,
			   TDH_MEM_PAGE_ADD, entry, level_state, kvm))
		return -EIO;
	trace_kvm_tdx_page_add(kvm, gfn_to_gpa(gfn), pfn);
	return 0;
}

static int tdx_sept_set_private_spte(struct kvm *kvm, gfn_t gfn,
				     enum pg_level level, u64 mirror_spte)
{
	struct kvm_tdx *kvm_tdx = to_kvm_tdx(kvm);
	kvm_pfn_t pfn = spte_to_pfn(mirror_spte);
	bool runnable, pamt_ref;
	int ret;

	if (KVM_BUG_ON(level > tdx_private_max_level(kvm), kvm))
		return -EIO;
	WARN_ON_ONCE(!is_shadow_present_pte(mirror_spte) ||
		     (mirror_spte & VMX_EPT_RWX_MASK) != VMX_EPT_RWX_MASK);

	/* The old design holds a reference per mapped page (seed 003). */
	tdx_pin(kvm, pfn, level);

	smp_rmb();
	runnable = __atomic_load_n(&kvm_tdx->state, __ATOMIC_ACQUIRE) ==
		   TD_STATE_RUNNABLE;
	/* v6: a 4K page's PAMT reference (a 2M page needs no pair). */
	pamt_ref = level == PG_LEVEL_4K && tdx_dpamt_v6(kvm) &&
		   (runnable || READ_ONCE(kvm->design.populate) ==
				TDXSIM_POPULATE_MAP_PFN);
	if (pamt_ref) {
		ret = tdx_pamt_get_vcpu(kvm, pfn);
		if (ret) {
			tdx_unpin(kvm, pfn, level);
			return ret;
		}
	}
	if (runnable) {
		ret = tdx_mem_page_aug(kvm, gfn, level, pfn);
	} else if (READ_ONCE(kvm->design.populate) == TDXSIM_POPULATE_MAP_PFN) {
		ret = tdx_mem_page_add(kvm, gfn, level, pfn);
	} else {
		/*
		 * decoupled and gmem: the mirror leaf is "premapped"; the
		 * S-EPT leaf is made by TDH.MEM.PAGE.ADD afterwards.
		 */
		if (KVM_BUG_ON(kvm->arch.pre_fault_allowed, kvm)) {
			ret = -EIO;
		} else {
			if (READ_ONCE(kvm->design.premap_count))
				atomic64_inc(&kvm_tdx->nr_premapped);
			trace_kvm_tdx_premap(kvm, gfn, level, pfn);
			ret = 0;
		}
	}
	if (ret && pamt_ref)
		tdx_pamt_put_page(kvm, pfn);
	if (ret)
		tdx_unpin(kvm, pfn, level);
	return ret;
}

/* Is a BLOCK failure explained by a premapped leaf (no S-EPT entry yet)? */
static bool tdx_is_sept_zap_err_due_to_premap(struct kvm_tdx *kvm_tdx, u64 err,
					      u64 entry, int level)
{
	if (__atomic_load_n(&kvm_tdx->state, __ATOMIC_ACQUIRE) ==
	    TD_STATE_RUNNABLE)
		return false;
	if (!READ_ONCE(kvm_tdx->kvm->design.premap_count) ||
	    !atomic64_read(&kvm_tdx->nr_premapped))
		return false;
	if (err != (TDX_EPT_ENTRY_STATE_INCORRECT | TDX_OPERAND_ID_RCX) &&
	    (err & TDX_SEAMCALL_STATUS_MASK) != TDX_EPT_WALK_FAILED)
		return false;
	/* The entry is not a present leaf: nothing was added there. */
	return (entry & VMX_EPT_RWX_MASK) == 0;
}

static void tdx_sept_remove_private_spte(struct kvm *kvm, gfn_t gfn,
					 enum pg_level level, u64 mirror_spte)
{
	struct kvm_tdx *kvm_tdx = to_kvm_tdx(kvm);
	kvm_pfn_t pfn = spte_to_pfn(mirror_spte);
	gpa_t gpa = gfn_to_gpa(gfn) & KVM_HPAGE_MASK(level);
	u64 tdr = tdx_tdr_pa(kvm_tdx);
	u64 err, entry = 0, level_state = 0;
	unsigned long i;

	lockdep_assert_held_write(&kvm->mmu_lock);
	if (KVM_BUG_ON(!is_hkid_assigned(kvm_tdx), kvm))
		return;
	if (KVM_BUG_ON(level > tdx_private_max_level(kvm), kvm))
		return;

	err = tdh_do_no_vcpus(kvm, tdh_mem_range_block(tdr, gpa,
						       tdx_level(level),
						       &entry, &level_state));
	if (err && tdx_is_sept_zap_err_due_to_premap(kvm_tdx, err, entry,
						      level)) {
		atomic64_dec(&kvm_tdx->nr_premapped);
		tdx_unpin(kvm, pfn, level);
		return;
	}
	if (TDX_BUG_ON_2(err, TDH_MEM_RANGE_BLOCK, entry, level_state, kvm)) {
		tdx_keep_page(kvm, pfn, level);
		return;
	}

	/*
	 * No early return if the VM is bugged (by this TRACK or anything
	 * before): as in the kernel, the removal goes on, so a bugged VM's
	 * teardown still takes its pages back from the module instead of
	 * freeing pages the module owns.
	 */
	tdx_track(kvm);

	err = tdh_do_no_vcpus(kvm, tdh_mem_page_remove(tdr, gpa,
						       tdx_level(level),
						       &entry, &level_state));
	if (TDX_BUG_ON_2(err, TDH_MEM_PAGE_REMOVE, entry, level_state, kvm)) {
		tdx_keep_page(kvm, pfn, level);
		return;
	}

	for (i = 0; i < KVM_PAGES_PER_HPAGE(level); i++) {
		struct page *page = pfn_to_page(pfn + i);

		err = tdh_phymem_page_wbinvd_hkid(kvm_tdx->hkid,
						  page_to_phys(page));
		if (TDX_BUG_ON(err, TDH_PHYMEM_PAGE_WBINVD, kvm)) {
			/* Lines of the TD's key may still be cached. */
			tdx_keep_page(kvm, pfn, level);
			return;
		}
		tdx_quirk_reset_page(kvm, page);
	}
	/* The page's PAMT reference goes (v6), or the pair if unused (lazy). */
	if (level == PG_LEVEL_4K)
		tdx_pamt_put_page(kvm, pfn);
	trace_kvm_tdx_page_remove(kvm, gfn, level, pfn);
	tdx_unpin(kvm, pfn, level);
}

static int tdx_sept_free_private_spt(struct kvm *kvm, gfn_t gfn,
				     enum pg_level level, void *external_spt)
{
	struct kvm_tdx *kvm_tdx = to_kvm_tdx(kvm);

	int r;

	/* S-EPT pages can only be reclaimed once the TD is torn down. */
	if (KVM_BUG_ON(is_hkid_assigned(kvm_tdx), kvm))
		return -EIO;
	r = tdx_reclaim_page(kvm, virt_to_page(external_spt));
	if (!r)
		tdx_pamt_put_page(kvm, page_to_pfn(virt_to_page(external_spt)));
	/*
	 * next (110d4d26): TDX frees the page itself, right away; before, the
	 * TDP MMU freed it with the shadow page, by RCU. tdxsim keeps the
	 * hook's int return (the TDP MMU leaks the page on an error).
	 */
	if (!r && READ_ONCE(kvm->design.free_external_spt) ==
		  TDXSIM_FREE_EXTERNAL_SPT_IMMEDIATE)
		__free_page(virt_to_page(external_spt));
	return r;
}

static int tdx_gmem_max_mapping_level(struct kvm *kvm, kvm_pfn_t pfn,
				      bool is_private)
{
	struct kvm_tdx *kvm_tdx = to_kvm_tdx(kvm);

	if (!is_private)
		return 0;
	/* Every release: 4K only (design private_max_level). */
	if (READ_ONCE(kvm->design.private_max_level) ==
	    TDXSIM_PRIVATE_MAX_LEVEL_4K)
		return PG_LEVEL_4K;
	/*
	 * The huge-page RFC: TDH.MEM.PAGE.ADD is 4K only, so 4K until the TD
	 * runs; 2M after (the folio order and lpage_info may still say 4K).
	 * No 1G.
	 */
	if (__atomic_load_n(&kvm_tdx->state, __ATOMIC_ACQUIRE) !=
	    TD_STATE_RUNNABLE)
		return PG_LEVEL_4K;
	return PG_LEVEL_2M;
}

/*
 * tdxsim: the IPI of kvm_make_all_cpus_request(): the module makes a vCPU
 * inside TDH.VP.ENTER exit with EXTERNAL_INTERRUPT (docs/FIDELITY.md §1.8).
 */
static void tdx_kick_all_vcpus(struct kvm *kvm)
{
	int i, n = atomic_read(&kvm->online_vcpus);

	for (i = 0; i < n; i++) {
		struct kvm_vcpu *vcpu = kvm->vcpus[i];
		struct vcpu_tdx *tdx = to_tdx(vcpu);
		int mode = READ_ONCE(vcpu->mode);

		if (tdx && tdx->created && mode != OUTSIDE_GUEST_MODE)
			tdx_module_send_ipi(page_to_phys(tdx->tdvpr_page));
	}
}

/*
 * Upstream's tdx_deliver_interrupt(): TDX only has posted interrupts; the
 * vector goes into the posted-interrupt descriptor and the notification
 * reaches the vCPU: in the guest, the CPU delivers it there; outside, the
 * vCPU is woken (no vCPU of tdxsim's blocks) and gets it on its next
 * entry. tdxsim has no descriptor: tdxsim_interrupt_pending stands for its
 * ON bit, and a vCPU in the guest is interrupted where it is (the module's
 * external-interrupt exit: the guest model sees its operation interrupted
 * and re-executes it, as a guest that took the interrupt would).
 */
static void tdx_deliver_interrupt(struct kvm_vcpu *vcpu, int vector)
{
	struct vcpu_tdx *tdx = to_tdx(vcpu);

	if (__atomic_exchange_n(&vcpu->arch.tdxsim_interrupt_pending, true,
				__ATOMIC_ACQ_REL))
		return;
	if (tdx && tdx->created && READ_ONCE(vcpu->mode) == IN_GUEST_MODE)
		tdx_module_send_ipi(page_to_phys(tdx->tdvpr_page));
}

/* --- the VM-state lock guard (6.19) -------------------------------------------------------------- */

static int tdx_acquire_vm_state_locks(struct kvm *kvm)
{
	int r;

	mutex_lock(&kvm->lock);

	if (kvm->created_vcpus != atomic_read(&kvm->online_vcpus)) {
		r = -EBUSY;
		goto out_err;
	}

	r = kvm_lock_all_vcpus(kvm);
	if (r)
		goto out_err;

	/* vcpu->mutex must be taken outside kvm->slots_lock. */
	mutex_lock(&kvm->slots_lock);
	return 0;

out_err:
	mutex_unlock(&kvm->lock);
	return r;
}

static void tdx_release_vm_state_locks(struct kvm *kvm)
{
	mutex_unlock(&kvm->slots_lock);
	kvm_unlock_all_vcpus(kvm);
	mutex_unlock(&kvm->lock);
}

/* --- VM life cycle ------------------------------------------------------------------------------------ */

static int tdx_vm_init(struct kvm *kvm)
{
	struct kvm_tdx *kvm_tdx = xzalloc(sizeof(*kvm_tdx));

	kvm_tdx->kvm = kvm;
	kvm_tdx->hkid = -1;
	kvm_tdx->state = TD_STATE_UNINITIALIZED;
	kvm->arch.vendor = kvm_tdx;
	kvm->arch.has_private_mem = true;
	kvm->arch.has_protected_state = true;
	kvm->arch.tdp_root_level = PT64_ROOT_4LEVEL;
	return 0;
}

/*
 * TDH.PHYMEM.CACHE.WB on every package (smp_func_do_phymem_cache_wb()):
 * resumed while interrupted; NO_HKID_READY_TO_WBCACHE means another TD's
 * release did it already. A failure only WARNs: KEY.FREEID then fails.
 */
static void tdx_phymem_cache_wb(void)
{
	u64 err = 0;
	int i;

	for (i = TDX_SEAMCALL_RETRIES; i > 0; i--) {
		err = tdh_phymem_cache_wb(err != 0);
		if ((err & TDX_SEAMCALL_STATUS_MASK) != TDX_INTERRUPTED_RESUMABLE)
			break;
	}
	if ((err & TDX_SEAMCALL_STATUS_MASK) == TDX_NO_HKID_READY_TO_WBCACHE)
		err = TDX_SUCCESS;
	if (WARN_ON_ONCE(err))
		pr_err("kvm_tdx: SEAMCALL TDH_PHYMEM_CACHE_WB failed: %s\n",
		       tdx_status_name(err));
}

/*
 * Release the HKID: the TD's private pages become reclaimable. As upstream
 * (every release): a TDH.VP.FLUSH, TDH.MNG.VPFLUSHDONE or
 * TDH.MNG.KEY.FREEID failure bugs the VM, and the HKID is leaked;
 * TDX_FLUSHVP_NOT_DONE from VPFLUSHDONE returns silently with the HKID
 * kept. Either way the TD's pages then stay with the module: S-EPT page
 * frees hit KVM_BUG_ON(is_hkid_assigned) and leak them, and the vCPU and
 * TD control pages are not reclaimed (leaked).
 */
static void tdx_mmu_release_hkid(struct kvm *kvm)
{
	struct kvm_tdx *kvm_tdx = to_kvm_tdx(kvm);
	u64 err;
	int i, n;

	if (!is_hkid_assigned(kvm_tdx))
		return;
	if (kvm_tdx->td_created) {
		n = atomic_read(&kvm->online_vcpus);
		for (i = 0; i < n; i++) {
			struct vcpu_tdx *tdx = to_tdx(kvm->vcpus[i]);

			if (!tdx || !tdx->created)
				continue;
			/* tdx_flush_vp_on_cpu() */
			err = tdh_vp_flush(page_to_phys(tdx->tdvpr_page));
			if ((err & TDX_SEAMCALL_STATUS_MASK) ==
			    TDX_VCPU_NOT_ASSOCIATED)
				err = 0;
			TDX_BUG_ON(err, TDH_VP_FLUSH, kvm);
		}
		mutex_lock(&tdx_lock);
		err = tdh_mng_vpflushdone(tdx_tdr_pa(kvm_tdx));
		if (err == TDX_FLUSHVP_NOT_DONE)
			goto out;
		if (TDX_BUG_ON(err, TDH_MNG_VPFLUSHDONE, kvm)) {
			pr_err("kvm_tdx: tdh_mng_vpflushdone() failed. HKID %d is leaked.\n",
			       kvm_tdx->hkid);
			goto out;
		}
		tdx_phymem_cache_wb();
		err = tdh_mng_key_freeid(tdx_tdr_pa(kvm_tdx));
		if (TDX_BUG_ON(err, TDH_MNG_KEY_FREEID, kvm)) {
			pr_err("kvm_tdx: tdh_mng_key_freeid() failed. HKID %d is leaked.\n",
			       kvm_tdx->hkid);
			goto out;
		}
		mutex_unlock(&tdx_lock);
	}
	tdx_guest_keyid_free(kvm_tdx->hkid);
	kvm_tdx->hkid = -1;
	return;
out:
	mutex_unlock(&tdx_lock);
}

static void tdx_vm_pre_destroy(struct kvm *kvm)
{
	tdx_mmu_release_hkid(kvm);
}

static void tdx_reclaim_td_control_pages(struct kvm *kvm)
{
	struct kvm_tdx *kvm_tdx = to_kvm_tdx(kvm);
	unsigned int i;

	/*
	 * tdx_mmu_release_hkid() could not free the HKID: the module keeps the
	 * pages, give up on them (it said so already, or kept silent on
	 * TDX_FLUSHVP_NOT_DONE, as upstream does). Upstream leaks the array of
	 * page pointers with them; tdxsim frees the array (host bookkeeping,
	 * so the leak checker sees only what the module keeps).
	 */
	if (is_hkid_assigned(kvm_tdx)) {
		free(kvm_tdx->tdcs_pages);
		kvm_tdx->tdcs_pages = NULL;
		kvm_tdx->nr_tdcs_pages = 0;
		return;
	}
	for (i = 0; i < kvm_tdx->nr_tdcs_pages; i++) {
		if (i < kvm_tdx->nr_tdcs_added)
			tdx_reclaim_control_page(kvm, kvm_tdx->tdcs_pages[i]);
		else
			tdx_free_td_page(kvm, kvm_tdx->tdcs_pages[i]);
	}
	free(kvm_tdx->tdcs_pages);
	kvm_tdx->tdcs_pages = NULL;
	if (!kvm_tdx->tdr_page)
		return;
	if (kvm_tdx->td_created) {
		u64 err;

		if (tdx_reclaim_page(kvm, kvm_tdx->tdr_page))
			return;
		/*
		 * The module may have cached the TDR with the global key while
		 * it worked on the TD: write it back. If that fails, lines of
		 * the TDR may still be in the caches: leak it.
		 */
		err = tdh_phymem_page_wbinvd_tdr(tdx_tdr_pa(kvm_tdx));
		if (TDX_BUG_ON(err, TDH_PHYMEM_PAGE_WBINVD, kvm))
			return;
	}
	tdx_free_td_page(kvm, kvm_tdx->tdr_page);
	kvm_tdx->tdr_page = NULL;
}

static void tdx_vm_destroy(struct kvm *kvm)
{
	struct kvm_tdx *kvm_tdx = to_kvm_tdx(kvm);

	if (!kvm_tdx)
		return;
	/* The HKID was released by tdx_vm_pre_destroy(), or is leaked. */
	tdx_reclaim_td_control_pages(kvm);
	tdx_free_pamt_cache(&kvm_tdx->split_pamt_cache);
	free(kvm_tdx);
	kvm->arch.vendor = NULL;
}

/* --- KVM_TDX_CAPABILITIES ------------------------------------------------------------------------- */

/* The attributes KVM lets userspace set: 0 if the module forces another. */
static u64 tdx_get_supported_attrs(const struct tdx_sys_info *td_conf)
{
	u64 val = TDX_SUPPORTED_ATTRS;

	if ((val & td_conf->attributes_fixed1) != td_conf->attributes_fixed1)
		return 0;
	return val & td_conf->attributes_fixed0;
}

/* The XFAM bits KVM and the module both support (0: none usable). */
static u64 tdx_get_supported_xfam(const struct tdx_sys_info *td_conf)
{
	u64 val = kvm_caps.supported_xcr0 | kvm_caps.supported_xss;

	if ((val & td_conf->xfam_fixed1) != td_conf->xfam_fixed1)
		return 0;
	return val & td_conf->xfam_fixed0;
}

static int tdx_get_guest_phys_addr_bits(u32 eax)
{
	return (eax >> 16) & 0xff;
}

static u32 tdx_set_guest_phys_addr_bits(u32 eax, int addr_bits)
{
	return (eax & ~GENMASK(23, 16)) | (u32)(addr_bits & 0xff) << 16;
}

#define TDX_FEATURE_HLE		BIT(4)		/* CPUID.7.0:EBX */
#define TDX_FEATURE_RTM		BIT(11)		/* CPUID.7.0:EBX */
#define TDX_FEATURE_TSX		(TDX_FEATURE_HLE | TDX_FEATURE_RTM)
#define TDX_FEATURE_WAITPKG	BIT(5)		/* CPUID.7.0:ECX */

static bool has_tsx(const struct kvm_cpuid_entry2 *entry)
{
	return entry->function == 7 && entry->index == 0 &&
	       (entry->ebx & TDX_FEATURE_TSX);
}

static bool has_waitpkg(const struct kvm_cpuid_entry2 *entry)
{
	return entry->function == 7 && entry->index == 0 &&
	       (entry->ecx & TDX_FEATURE_WAITPKG);
}

/* KVM does not offer TSX or WAITPKG to a TD. */
static void tdx_clear_unsupported_cpuid(struct kvm_cpuid_entry2 *entry)
{
	if (has_tsx(entry))
		entry->ebx &= ~TDX_FEATURE_TSX;
	if (has_waitpkg(entry))
		entry->ecx &= ~TDX_FEATURE_WAITPKG;
}

static bool tdx_unsupported_cpuid(const struct kvm_cpuid_entry2 *entry)
{
	return has_tsx(entry) || has_waitpkg(entry);
}

#define KVM_TDX_CPUID_NO_SUBLEAF	((u32)-1)

/* CPUID config @idx of the module as a KVM entry of configurable bits. */
static void td_init_cpuid_entry2(const struct tdx_sys_info *td_conf,
				 struct kvm_cpuid_entry2 *entry,
				 unsigned int idx)
{
	memset(entry, 0, sizeof(*entry));
	entry->function = (u32)td_conf->cpuid_config_leaves[idx];
	entry->index = td_conf->cpuid_config_leaves[idx] >> 32;
	entry->eax = (u32)td_conf->cpuid_config_values[idx][0];
	entry->ebx = td_conf->cpuid_config_values[idx][0] >> 32;
	entry->ecx = (u32)td_conf->cpuid_config_values[idx][1];
	entry->edx = td_conf->cpuid_config_values[idx][1] >> 32;
	if (entry->index == KVM_TDX_CPUID_NO_SUBLEAF)
		entry->index = 0;
	/*
	 * The module does not let the guest physical-address width be
	 * configured, but KVM takes the GPAW from it: report it configurable.
	 */
	if (entry->function == 0x80000008)
		entry->eax = tdx_set_guest_phys_addr_bits(entry->eax, 0xff);
	tdx_clear_unsupported_cpuid(entry);
}

#define TDVMCALLINFO_SETUP_EVENT_NOTIFY_INTERRUPT	BIT(1)

static int init_kvm_tdx_caps(const struct tdx_sys_info *td_conf,
			     struct kvm_tdx_capabilities *caps)
{
	unsigned int i;

	caps->supported_attrs = tdx_get_supported_attrs(td_conf);
	if (!caps->supported_attrs)
		return -EIO;
	caps->supported_xfam = tdx_get_supported_xfam(td_conf);
	if (!caps->supported_xfam)
		return -EIO;
	caps->cpuid.nent = td_conf->num_cpuid_config;
	caps->user_tdvmcallinfo_1_r11 =
		TDVMCALLINFO_SETUP_EVENT_NOTIFY_INTERRUPT;
	for (i = 0; i < td_conf->num_cpuid_config; i++)
		td_init_cpuid_entry2(td_conf, &caps->cpuid.entries[i], i);
	return 0;
}

static int tdx_get_capabilities(struct kvm *kvm, struct kvm_tdx_cmd *cmd)
{
	struct kvm_tdx_capabilities *caps;
	struct tdx_sys_info info;
	u32 nent;
	size_t size;
	int ret;

	if (cmd->flags)
		return -EINVAL;
	if (tdx_get_sysinfo(&info))
		return -EIO;
	if (copy_from_user(&nent, (char *)(uintptr_t)cmd->data +
				  offsetof(struct kvm_tdx_capabilities,
					   cpuid.nent),
			   sizeof(nent)))
		return -EFAULT;
	if (nent < info.num_cpuid_config)
		return -E2BIG;

	size = sizeof(*caps) +
	       info.num_cpuid_config * sizeof(struct kvm_cpuid_entry2);
	caps = xzalloc(size);
	ret = init_kvm_tdx_caps(&info, caps);
	if (!ret && copy_to_user((void *)(uintptr_t)cmd->data, caps, size))
		ret = -EFAULT;
	free(caps);
	return ret;
}

/* --- KVM_TDX_INIT_VM --------------------------------------------------------------------------------- */

/*
 * The GPAW and S-EPT depth from CPUID 0x80000008.EAX[23:16], KVM's interface
 * for them: 48 (4-level) or 52 (5-level, if the module can).
 */
static int setup_tdparams_eptp_controls(struct kvm_cpuid2 *cpuid,
					const struct tdx_sys_info *td_conf,
					struct td_params *td_params)
{
	const struct kvm_cpuid_entry2 *entry;
	int guest_pa;

	entry = kvm_find_cpuid_entry2(cpuid->entries, cpuid->nent,
				      0x80000008, 0);
	if (!entry)
		return -EINVAL;
	guest_pa = tdx_get_guest_phys_addr_bits(entry->eax);
	if (guest_pa != 48 && guest_pa != 52)
		return -EINVAL;
	if (guest_pa == 52 && !td_conf->sept_5_level)
		return -EINVAL;

	td_params->eptp_controls = TDX_EPTP_MT_WB;
	if (guest_pa == 52) {
		td_params->eptp_controls |= TDX_EPTP_PWL_5;
		td_params->config_flags |= TDX_CONFIG_FLAGS_MAX_GPAW;
	} else {
		td_params->eptp_controls |= TDX_EPTP_PWL_4;
	}
	return 0;
}

/*
 * TD_PARAMS' CPUID values, one per module config in its order, from the
 * user's entry for that leaf; every user entry must have found a config.
 */
static int setup_tdparams_cpuids(struct kvm_cpuid2 *cpuid,
				 const struct tdx_sys_info *td_conf,
				 struct td_params *td_params)
{
	const struct kvm_cpuid_entry2 *entry;
	struct tdx_cpuid_value *value;
	unsigned int i, copy_cnt = 0;

	for (i = 0; i < td_conf->num_cpuid_config; i++) {
		struct kvm_cpuid_entry2 tmp;

		td_init_cpuid_entry2(td_conf, &tmp, i);
		entry = kvm_find_cpuid_entry2(cpuid->entries, cpuid->nent,
					      tmp.function, tmp.index);
		if (!entry)
			continue;
		if (tdx_unsupported_cpuid(entry))
			return -EINVAL;
		copy_cnt++;
		value = &td_params->cpuid_values[i];
		value->eax = entry->eax;
		value->ebx = entry->ebx;
		value->ecx = entry->ecx;
		value->edx = entry->edx;
		/* The module refuses bits 23:16 of 0x80000008.EAX. */
		if (tmp.function == 0x80000008)
			value->eax = tdx_set_guest_phys_addr_bits(value->eax, 0);
	}
	/* The module cannot check an entry that has no slot. */
	if (copy_cnt != cpuid->nent)
		return -EINVAL;
	return 0;
}

#define TDX_TSC_KHZ_TO_25MHZ(tsc_in_khz)	((tsc_in_khz) / (25 * 1000))

static int setup_tdparams(struct kvm *kvm, struct td_params *td_params,
			  struct kvm_tdx_init_vm *init_vm)
{
	struct kvm_cpuid2 *cpuid = &init_vm->cpuid;
	struct tdx_sys_info info;
	int ret;

	if (kvm->created_vcpus)
		return -EBUSY;
	if (tdx_get_sysinfo(&info))
		return -EIO;
	if (init_vm->attributes & ~tdx_get_supported_attrs(&info))
		return -EINVAL;
	if (init_vm->xfam & ~tdx_get_supported_xfam(&info))
		return -EINVAL;

	/* tdxsim: KVM_CAP_MAX_VCPUS is not capped at the present CPUs. */
	td_params->max_vcpus = kvm->max_vcpus > 0 ?
				       min(kvm->max_vcpus,
					   (int)info.max_vcpus_per_td) :
				       info.max_vcpus_per_td;
	td_params->attributes = init_vm->attributes | info.attributes_fixed1;
	td_params->xfam = init_vm->xfam | info.xfam_fixed1;
	td_params->config_flags = TDX_CONFIG_FLAGS_NO_RBP_MOD;
	td_params->tsc_frequency =
		TDX_TSC_KHZ_TO_25MHZ(READ_ONCE(kvm->arch.default_tsc_khz));

	ret = setup_tdparams_eptp_controls(cpuid, &info, td_params);
	if (ret)
		return ret;
	ret = setup_tdparams_cpuids(cpuid, &info, td_params);
	if (ret)
		return ret;

	memcpy(td_params->mrconfigid, init_vm->mrconfigid,
	       sizeof(td_params->mrconfigid));
	memcpy(td_params->mrowner, init_vm->mrowner, sizeof(td_params->mrowner));
	memcpy(td_params->mrownerconfig, init_vm->mrownerconfig,
	       sizeof(td_params->mrownerconfig));
	return 0;
}

static void tdx_free_td_pages(struct kvm *kvm, struct kvm_tdx *kvm_tdx)
{
	unsigned int i;

	for (i = 0; i < kvm_tdx->nr_tdcs_pages; i++)
		tdx_free_td_page(kvm, kvm_tdx->tdcs_pages[i]);
	free(kvm_tdx->tdcs_pages);
	kvm_tdx->tdcs_pages = NULL;
	kvm_tdx->nr_tdcs_pages = 0;
	tdx_free_td_page(kvm, kvm_tdx->tdr_page);
	kvm_tdx->tdr_page = NULL;
}

/*
 * A TD-creation SEAMCALL failed (MNG.CREATE, ADDCX, MNG.INIT): 6.16 WARNs
 * and returns -EIO with the VM alive, 6.19 bugs it (design
 * mng_create_fail).
 */
#define tdx_td_init_failed(kvm, err, fn)				\
	({								\
		u32 __style = READ_ONCE((kvm)->design.mng_create_fail);	\
		bool __f = TDX_FAIL_STYLE(__style, (err), fn, 0, 0, kvm); \
		WARN_ON_ONCE(__f && __style != TDXSIM_FAIL_BUG);	\
		__f;							\
	})

static int __tdx_td_init(struct kvm *kvm, struct td_params *td_params,
			 u64 *seamcall_err)
{
	struct kvm_tdx *kvm_tdx = to_kvm_tdx(kvm);
	struct page *params_page;
	unsigned int i;
	u64 err, ext = 0;
	int hkid, ret = 0;

	/* tdxsim: the host's PAMT mode for this VM's kernel profile. */
	ret = tdxsim_dpamt_select(kvm);
	if (ret)
		return ret;
	hkid = tdx_guest_keyid_alloc();
	if (hkid < 0)
		return -EBUSY;
	kvm_tdx->hkid = hkid;

	kvm_tdx->nr_tdcs_pages = tdx_nr_tdcs_pages();
	kvm_tdx->tdcs_pages = xzalloc(kvm_tdx->nr_tdcs_pages *
				      sizeof(struct page *));
	kvm_tdx->tdr_page = tdx_alloc_td_page(kvm);
	if (!kvm_tdx->tdr_page)
		goto nomem;
	for (i = 0; i < kvm_tdx->nr_tdcs_pages; i++) {
		kvm_tdx->tdcs_pages[i] = tdx_alloc_td_page(kvm);
		if (!kvm_tdx->tdcs_pages[i])
			goto nomem;
	}

	mutex_lock(&tdx_lock);
	err = tdx_lazy_pamt(kvm, page_to_pfn(kvm_tdx->tdr_page),
			    tdh_mng_create(tdx_tdr_pa(kvm_tdx), hkid));
	mutex_unlock(&tdx_lock);
	if ((err & TDX_SEAMCALL_STATUS_MASK) == TDX_RND_NO_ENTROPY) {
		ret = -EAGAIN;
		goto free_pages;
	}
	if (tdx_td_init_failed(kvm, err, TDH_MNG_CREATE)) {
		ret = -EIO;
		goto free_pages;
	}
	kvm_tdx->td_created = true;

	err = tdh_mng_key_config(tdx_tdr_pa(kvm_tdx));
	if (err && (err & TDX_SEAMCALL_STATUS_MASK) != TDX_KEY_CONFIGURED) {
		TDX_BUG_ON(err, TDH_MNG_KEY_CONFIG, kvm);
		ret = -EIO;
		goto teardown;
	}
	for (i = 0; i < kvm_tdx->nr_tdcs_pages; i++) {
		err = tdx_lazy_pamt(kvm, page_to_pfn(kvm_tdx->tdcs_pages[i]),
				    tdh_mng_addcx(tdx_tdr_pa(kvm_tdx),
						  page_to_phys(kvm_tdx->tdcs_pages[i])));
		if (tdx_td_init_failed(kvm, err, TDH_MNG_ADDCX)) {
			ret = -EIO;
			goto teardown;
		}
		kvm_tdx->nr_tdcs_added++;
	}

	params_page = alloc_page();
	if (!params_page) {
		ret = -ENOMEM;
		goto teardown;
	}
	memcpy(page_address(params_page), td_params, sizeof(*td_params));
	err = tdh_mng_init(tdx_tdr_pa(kvm_tdx), page_to_phys(params_page),
			   &ext);
	__free_page(params_page);
	if ((err & TDX_SEAMCALL_STATUS_MASK) == TDX_OPERAND_INVALID) {
		/* A bad TD_PARAMS field: userspace's mistake, not a bug. */
		*seamcall_err = err;
		ret = -EINVAL;
		goto teardown;
	}
	if (tdx_td_init_failed(kvm, err, TDH_MNG_INIT)) {
		*seamcall_err = err;
		ret = -EIO;
		goto teardown;
	}
	return 0;

nomem:
	ret = -ENOMEM;
free_pages:
	tdx_free_td_pages(kvm, kvm_tdx);
	tdx_guest_keyid_free(kvm_tdx->hkid);
	kvm_tdx->hkid = -1;
	return ret;

teardown:
	/* The TD exists in the module: tear it down the orderly way. */
	tdx_mmu_release_hkid(kvm);
	tdx_reclaim_td_control_pages(kvm);
	kvm_tdx->td_created = false;
	kvm_tdx->nr_tdcs_added = 0;
	kvm_tdx->nr_tdcs_pages = 0;
	return ret;
}

static int tdx_td_init(struct kvm *kvm, struct kvm_tdx_cmd *cmd)
{
	struct kvm_tdx *kvm_tdx = to_kvm_tdx(kvm);
	struct kvm_tdx_init_vm *init_vm;
	struct td_params *td_params = NULL;
	u32 nent;
	size_t size, i;
	int ret, gpaw;

	if (kvm_tdx->state != TD_STATE_UNINITIALIZED || cmd->flags)
		return -EINVAL;
	if (copy_from_user(&nent, (char *)(uintptr_t)cmd->data +
				  offsetof(struct kvm_tdx_init_vm, cpuid.nent),
			   sizeof(nent)))
		return -EFAULT;
	if (nent > KVM_MAX_CPUID_ENTRIES)
		return -E2BIG;
	size = sizeof(*init_vm) + nent * sizeof(struct kvm_cpuid_entry2);
	init_vm = xzalloc(size);
	if (copy_from_user(init_vm, (void *)(uintptr_t)cmd->data, size)) {
		ret = -EFAULT;
		goto out;
	}
	for (i = 0; i < ARRAY_SIZE(init_vm->reserved); i++) {
		if (init_vm->reserved[i]) {
			ret = -EINVAL;
			goto out;
		}
	}
	/* Userspace changed nent between the two reads (next's check). */
	if (init_vm->cpuid.padding ||
	    (init_vm->cpuid.nent != nent &&
	     READ_ONCE(kvm->design.td_init_nent_recheck))) {
		ret = -EINVAL;
		goto out;
	}
	/* tdxsim: an nent raised between the reads must not be trusted. */
	init_vm->cpuid.nent = min(init_vm->cpuid.nent, nent);

	td_params = xzalloc(sizeof(*td_params));
	ret = setup_tdparams(kvm, td_params, init_vm);
	if (ret)
		goto out;
	ret = __tdx_td_init(kvm, td_params, &cmd->hw_error);
	if (ret)
		goto out;

	kvm_tdx->attributes = td_params->attributes;
	kvm_tdx->xfam = td_params->xfam;
	gpaw = (td_params->config_flags & TDX_CONFIG_FLAGS_MAX_GPAW) ? 52 : 48;
	kvm_tdx->gpaw = gpaw;
	WRITE_ONCE(kvm->arch.gfn_direct_bits,
		   gpaw == 52 ? TDX_SHARED_BIT_PWL_5 : TDX_SHARED_BIT_PWL_4);
	kvm->arch.tdp_root_level = gpaw == 52 ? PT64_ROOT_5LEVEL :
						PT64_ROOT_4LEVEL;
	kvm_tdx->state = TD_STATE_INITIALIZED;
out:
	free(init_vm);
	free(td_params);
	return ret;
}

/* --- KVM_TDX_FINALIZE_VM -------------------------------------------------------------------------- */

static int tdx_td_finalize_locked(struct kvm *kvm, struct kvm_tdx_cmd *cmd)
{
	struct kvm_tdx *kvm_tdx = to_kvm_tdx(kvm);
	u64 err;

	err = tdh_mr_finalize(tdx_tdr_pa(kvm_tdx));
	cmd->hw_error = err;
	if (tdx_operand_busy(err))
		return -EBUSY;
	if ((err & TDX_SEAMCALL_STATUS_MASK) == TDX_NO_VCPUS)
		return -EINVAL;
	if (TDX_BUG_ON(err, TDH_MR_FINALIZE, kvm))
		return -EIO;

	__atomic_store_n(&kvm_tdx->state, TD_STATE_RUNNABLE, __ATOMIC_RELEASE);
	smp_wmb();
	__atomic_store_n(&kvm->arch.pre_fault_allowed, true, __ATOMIC_RELEASE);
	return 0;
}

static int tdx_td_finalize(struct kvm *kvm, struct kvm_tdx_cmd *cmd)
{
	struct kvm_tdx *kvm_tdx = to_kvm_tdx(kvm);

	if (!is_hkid_assigned(kvm_tdx) ||
	    kvm_tdx->state != TD_STATE_INITIALIZED || cmd->flags)
		return -EINVAL;
	/* Every premapped page must have been added (design premap_count). */
	if (READ_ONCE(kvm->design.premap_count) &&
	    atomic64_read(&kvm_tdx->nr_premapped))
		return -EINVAL;

	/*
	 * Design finalize_lock=mmu_write (a candidate fix, not upstream):
	 * TDH.MR.FINALIZE takes the TDR exclusively while a zap's BLOCK,
	 * TRACK and REMOVE take it shared and may not fail, and the state it
	 * moves the TD to decides whether a zap must TRACK between its BLOCK
	 * and its REMOVE. Holding mmu_lock for write across both, as 6.19
	 * does for TDH.VP.INIT, keeps every zap wholly before or after.
	 */
	if (READ_ONCE(kvm->design.finalize_lock) ==
	    TDXSIM_FINALIZE_LOCK_MMU_WRITE) {
		int r;

		write_lock(&kvm->mmu_lock);
		r = tdx_td_finalize_locked(kvm, cmd);
		write_unlock(&kvm->mmu_lock);
		return r;
	}
	return tdx_td_finalize_locked(kvm, cmd);
}

/*
 * The locks of a VM-state transition (INIT_VM, FINALIZE): 6.19's "all the
 * locks" guard (15945e9e), or 6.16's kvm->lock with FINALIZE also taking
 * slots_lock (design vm_state_guard).
 */
static int tdx_vm_state_lock(struct kvm *kvm, u32 id)
{
	if (READ_ONCE(kvm->design.vm_state_guard) ==
	    TDXSIM_VM_STATE_GUARD_ALL)
		return tdx_acquire_vm_state_locks(kvm);
	mutex_lock(&kvm->lock);
	if (id == KVM_TDX_FINALIZE_VM)
		mutex_lock(&kvm->slots_lock);
	return 0;
}

static void tdx_vm_state_unlock(struct kvm *kvm, u32 id)
{
	if (READ_ONCE(kvm->design.vm_state_guard) ==
	    TDXSIM_VM_STATE_GUARD_ALL) {
		tdx_release_vm_state_locks(kvm);
		return;
	}
	if (id == KVM_TDX_FINALIZE_VM)
		mutex_unlock(&kvm->slots_lock);
	mutex_unlock(&kvm->lock);
}

static int tdx_vm_ioctl(struct kvm *kvm, void *argp)
{
	struct kvm_tdx_cmd cmd;
	int r;

	if (copy_from_user(&cmd, argp, sizeof(cmd)))
		return -EFAULT;
	/* The command's hw_error is an output. */
	if (cmd.hw_error)
		return -EINVAL;

	if (cmd.id == KVM_TDX_CAPABILITIES) {
		/* 6.19 (f26061fe): no lock, and the command is not copied back. */
		if (READ_ONCE(kvm->design.caps_locking) ==
		    TDXSIM_CAPS_LOCKING_NONE)
			return tdx_get_capabilities(kvm, &cmd);
		mutex_lock(&kvm->lock);
		r = tdx_get_capabilities(kvm, &cmd);
		mutex_unlock(&kvm->lock);
		goto out;
	}

	r = tdx_vm_state_lock(kvm, cmd.id);
	if (r)
		return r;
	switch (cmd.id) {
	case KVM_TDX_INIT_VM:
		r = tdx_td_init(kvm, &cmd);
		break;
	case KVM_TDX_FINALIZE_VM:
		r = tdx_td_finalize(kvm, &cmd);
		break;
	default:
		r = -EINVAL;
		break;
	}
	tdx_vm_state_unlock(kvm, cmd.id);
out:
	if (copy_to_user(argp, &cmd, sizeof(cmd)))
		return -EFAULT;
	return r;
}

/* --- vCPU life cycle ---------------------------------------------------------------------------- */

static int tdx_vcpu_precreate(struct kvm *kvm)
{
	struct kvm_tdx *kvm_tdx = to_kvm_tdx(kvm);

	/* vCPUs come after KVM_TDX_INIT_VM and before finalize. */
	if (kvm_tdx->state != TD_STATE_INITIALIZED)
		return -EIO;
	return 0;
}

static int tdx_vcpu_create(struct kvm_vcpu *vcpu)
{
	struct vcpu_tdx *tdx = xzalloc(sizeof(*tdx));

	tdx->vcpu = vcpu;
	tdx->state = VCPU_TD_STATE_UNINITIALIZED;
	tdx->loaded_shared_eptp = INVALID_PAGE;
	vcpu->arch.vendor = tdx;
	return kvm_mmu_create(vcpu);
}

static void tdx_vcpu_free(struct kvm_vcpu *vcpu)
{
	struct kvm *kvm = vcpu->kvm;
	struct kvm_tdx *kvm_tdx = to_kvm_tdx(kvm);
	struct vcpu_tdx *tdx = to_tdx(vcpu);
	unsigned int i;

	if (!tdx)
		return;
	kvm_mmu_destroy(vcpu);
	if (kvm_tdx && is_hkid_assigned(kvm_tdx) && tdx->created) {
		pr_err("kvm_tdx: freeing vCPU %d while its TD still has an HKID; leaking its pages\n",
		       vcpu->vcpu_id);
	} else {
		for (i = 0; i < tdx->nr_tdcx_pages; i++) {
			if (i < tdx->nr_tdcx_added)
				tdx_reclaim_control_page(kvm,
							 tdx->tdcx_pages[i]);
			else
				tdx_free_td_page(kvm, tdx->tdcx_pages[i]);
		}
		if (tdx->created)
			tdx_reclaim_control_page(kvm, tdx->tdvpr_page);
		else
			tdx_free_td_page(kvm, tdx->tdvpr_page);
	}
	tdx_free_pamt_cache(&tdx->pamt_cache);
	free(tdx->tdcx_pages);
	free(tdx);
	vcpu->arch.vendor = NULL;
}

static int tdx_td_vcpu_init(struct kvm_vcpu *vcpu, u64 vcpu_rcx)
{
	struct kvm *kvm = vcpu->kvm;
	struct vcpu_tdx *tdx = to_tdx(vcpu);
	struct tdx_module_args args = { 0 };
	unsigned int i, ver;
	u64 err;

	tdx->nr_tdcx_pages = tdx_nr_tdcx_pages();
	tdx->tdcx_pages = xzalloc(tdx->nr_tdcx_pages * sizeof(struct page *));
	tdx->tdvpr_page = tdx_alloc_td_page(kvm);
	if (!tdx->tdvpr_page)
		return -ENOMEM;
	for (i = 0; i < tdx->nr_tdcx_pages; i++) {
		tdx->tdcx_pages[i] = tdx_alloc_td_page(kvm);
		if (!tdx->tdcx_pages[i])
			return -ENOMEM;
	}

	err = tdx_lazy_pamt(kvm, page_to_pfn(tdx->tdvpr_page),
			    tdh_vp_create(tdx_tdr_pa(to_kvm_tdx(kvm)),
					  page_to_phys(tdx->tdvpr_page)));
	if (TDX_BUG_ON(err, TDH_VP_CREATE, kvm))
		return -EIO;
	tdx->created = true;
	for (i = 0; i < tdx->nr_tdcx_pages; i++) {
		err = tdx_lazy_pamt(kvm, page_to_pfn(tdx->tdcx_pages[i]),
				    tdh_vp_addcx(page_to_phys(tdx->tdvpr_page),
						 page_to_phys(tdx->tdcx_pages[i])));
		if (TDX_BUG_ON(err, TDH_VP_ADDCX, kvm))
			return -EIO;
		tdx->nr_tdcx_added++;
	}
	if (vcpu->guest_ops)
		tdx_module_set_guest(page_to_phys(tdx->tdvpr_page),
				     vcpu->guest_ops, vcpu->guest);

	/*
	 * TDH.VP.INIT v1 takes the TDR exclusively while the zap path's BLOCK,
	 * TRACK and REMOVE take it shared, and those may not fail: hold
	 * mmu_lock for write so a zap can't run meanwhile (seed 002).
	 */
	ver = READ_ONCE(kvm->design.vp_init_version);
	args.rcx = page_to_phys(tdx->tdvpr_page);
	args.rdx = vcpu_rcx;
	args.r8 = vcpu->vcpu_id;
	if (READ_ONCE(kvm->design.vp_init_lock) ==
	    TDXSIM_VP_INIT_LOCK_MMU_WRITE) {
		write_lock(&kvm->mmu_lock);
		err = seamcall(TDX_LEAF_VERSION(TDH_VP_INIT, ver), &args);
		write_unlock(&kvm->mmu_lock);
	} else {
		err = seamcall(TDX_LEAF_VERSION(TDH_VP_INIT, ver), &args);
	}
	if (TDX_BUG_ON(err, TDH_VP_INIT, kvm))
		return -EIO;

	tdx->state = VCPU_TD_STATE_INITIALIZED;
	return 0;
}

static int tdx_vcpu_init(struct kvm_vcpu *vcpu, struct kvm_tdx_cmd *cmd)
{
	struct vcpu_tdx *tdx = to_tdx(vcpu);

	if (cmd->flags || tdx->state != VCPU_TD_STATE_UNINITIALIZED)
		return -EINVAL;
	return tdx_td_vcpu_init(vcpu, cmd->data);
}

/* --- KVM_TDX_INIT_MEM_REGION ------------------------------------------------------------------ */

static int __tdx_measure_page(struct kvm *kvm, gpa_t gpa)
{
	struct kvm_tdx *kvm_tdx = to_kvm_tdx(kvm);
	u64 err, entry = 0, level_state = 0;
	int i;

	for (i = 0; i < (int)PAGE_SIZE; i += TDX_EXTENDMR_CHUNKSIZE) {
		err = tdh_mr_extend(tdx_tdr_pa(kvm_tdx), gpa + i, &entry,
				    &level_state);
		/* 6.16: -EIO; 6.19 (ad44aa4c): the VM is bugged too. */
		if (TDX_FAIL_STYLE(READ_ONCE(kvm->design.mr_extend_fail), err,
				   TDH_MR_EXTEND, entry, level_state, kvm))
			return -EIO;
		trace_kvm_tdx_mr_extend(kvm, gpa + i);
	}
	return 0;
}

/*
 * Measure a populated page: TDH.MR.EXTEND of each 256-byte chunk. The
 * module takes the TDR exclusively for each, while a zap's BLOCK, TRACK
 * and REMOVE take it shared and may not fail; the populate holds only the
 * invalidate lock of the file it populates, so a hole punch (or memory
 * failure) of another guest_memfd of the TD zaps meanwhile (F1's second
 * window). Design extend_lock=mmu_write (a candidate fix, not upstream)
 * holds mmu_lock for write across the calls, as 6.19 does for
 * TDH.VP.INIT, so every zap runs wholly before or after them. @mmu_locked:
 * the caller holds mmu_lock already (populate=decoupled, under the read
 * lock, which excludes zaps by itself).
 */
static int tdx_measure_page(struct kvm *kvm, gpa_t gpa, bool mmu_locked)
{
	int r;

	if (mmu_locked || READ_ONCE(kvm->design.extend_lock) !=
			  TDXSIM_EXTEND_LOCK_MMU_WRITE)
		return __tdx_measure_page(kvm, gpa);
	write_lock(&kvm->mmu_lock);
	r = __tdx_measure_page(kvm, gpa);
	write_unlock(&kvm->mmu_lock);
	return r;
}

/*
 * TDH.MEM.PAGE.ADD of a premapped page, without mmu_lock (populate=gmem_cb,
 * 6.16's tdx_gmem_post_populate), or under the read mmu_lock (decoupled,
 * seed 000); then the premap count goes down and the page is measured.
 */
static int tdx_add_premapped(struct kvm *kvm, gpa_t gpa, kvm_pfn_t pfn,
			     struct page *src_page, u32 flags, bool mmu_locked)
{
	struct kvm_tdx *kvm_tdx = to_kvm_tdx(kvm);
	u64 err, entry = 0, level_state = 0;
	int ret;

	ret = tdx_pamt_get_vcpu(kvm, pfn);
	if (ret)
		return ret;
	err = tdx_lazy_pamt(kvm, pfn,
			    tdh_mem_page_add(tdx_tdr_pa(kvm_tdx), gpa,
					     pfn << PAGE_SHIFT,
					     page_to_phys(src_page), &entry,
					     &level_state));
	if (err && tdx_dpamt_v6(kvm))
		tdx_pamt_put_page(kvm, pfn);
	if (tdx_operand_busy(err))
		return -EBUSY;
	/*
	 * tdxsim (seed 000's RFC as tdxsim wrote it): the S-EPT already has a
	 * leaf there, the page was populated before; the RFC's posting does
	 * not say, the other designs answer -EEXIST from guest_memfd.
	 */
	if (READ_ONCE(kvm->design.populate) == TDXSIM_POPULATE_DECOUPLED &&
	    (err & TDX_SEAMCALL_STATUS_MASK) == TDX_EPT_ENTRY_STATE_INCORRECT)
		return -EEXIST;
	/* 6.16: -EIO, the premap count left as it is. */
	if (TDX_FAIL_STYLE(READ_ONCE(kvm->design.page_add_fail), err,
			   TDH_MEM_PAGE_ADD, entry, level_state, kvm))
		return -EIO;
	trace_kvm_tdx_page_add(kvm, gpa, pfn);
	if (READ_ONCE(kvm->design.premap_count) &&
	    !KVM_BUG_ON(!atomic64_read(&kvm_tdx->nr_premapped), kvm))
		atomic64_dec(&kvm_tdx->nr_premapped);
	if (flags & KVM_TDX_MEASURE_MEMORY_REGION)
		return tdx_measure_page(kvm, gpa, mmu_locked);
	return 0;
}

/*
 * populate=decoupled (seed 000): pin the source, map the private pfn into
 * the mirror root (premap), then under the read mmu_lock read the mapped pfn
 * back and TDH.MEM.PAGE.ADD it. No guest_memfd invalidate lock is held, so
 * kvm_gmem_get_pfn() may take it and mmap_lock is never taken under it.
 */
static int tdx_init_mem_populate(struct kvm_vcpu *vcpu, gpa_t gpa,
				 unsigned long src, u32 flags)
{
	u64 error_code = PFERR_GUEST_FINAL_MASK | PFERR_PRIVATE_ACCESS;
	struct kvm *kvm = vcpu->kvm;
	struct kvm_memory_slot *slot;
	struct page *src_page;
	u8 level = PG_LEVEL_4K;
	kvm_pfn_t pfn;
	long n;
	int ret;

	/*
	 * As kvm_gmem_populate() answers for the other designs: the gfn must
	 * be in a guest_memfd slot and private.
	 */
	slot = kvm_vcpu_gfn_to_memslot(vcpu, gpa >> PAGE_SHIFT);
	if (!slot || !kvm_slot_has_gmem(slot) ||
	    !kvm_mem_is_private(kvm, gpa >> PAGE_SHIFT))
		return -EINVAL;

	n = get_user_pages_fast(src, 1, 0, &src_page);
	if (n < 0)
		return n;
	if (n < 1)
		return -ENOMEM;

	ret = kvm_tdp_map_page(vcpu, gpa, error_code, &level);
	if (ret < 0)
		goto out;
	KVM_BUG_ON(level != PG_LEVEL_4K, kvm);

	read_lock(&kvm->mmu_lock);
	if (!kvm_tdp_mmu_gpa_is_mapped(vcpu, gpa, PG_LEVEL_4K, &pfn))
		ret = -EIO;
	else
		ret = tdx_add_premapped(kvm, gpa, pfn, src_page, flags, true);
	read_unlock(&kvm->mmu_lock);
out:
	put_page(src_page);
	return ret;
}

struct tdx_gmem_post_populate_arg {
	struct kvm_vcpu *vcpu;
	u32 flags;
};

/*
 * The source page of a populate: the one kvm_gmem_populate() pinned
 * (populate_gup=before_lock, 7.0), or pinned here, inside the callback and
 * so under the invalidate lock (6.16-6.19): -errno, or 0 and *@page with a
 * reference when *@pinned.
 */
static int tdx_populate_src(void *src, struct page *src_page,
			    struct page **page, bool *pinned)
{
	long n;

	*pinned = false;
	if (src_page) {
		*page = src_page;
		return 0;
	}
	n = get_user_pages_fast((unsigned long)src, 1, 0, page);
	if (n < 0)
		return n;
	if (n < 1)
		return -ENOMEM;
	*pinned = true;
	return 0;
}

/*
 * populate=gmem_cb (6.16-6.18's tdx_gmem_post_populate, the design seed
 * 000 replaces): called by kvm_gmem_populate() with the invalidate lock
 * held exclusively; faults the page in through kvm_tdp_map_page(), which
 * asks guest_memfd for the pfn again and only premaps the leaf, then
 * TDH.MEM.PAGE.ADD without mmu_lock.
 */
static int tdx_gmem_post_populate(struct kvm *kvm, gfn_t gfn, kvm_pfn_t pfn,
				  void *src, struct page *src_page,
				  void *_arg)
{
	u64 error_code = PFERR_GUEST_FINAL_MASK | PFERR_PRIVATE_ACCESS;
	struct tdx_gmem_post_populate_arg *arg = _arg;
	struct kvm_vcpu *vcpu = arg->vcpu;
	gpa_t gpa = gfn_to_gpa(gfn);
	struct page *page;
	u8 level = PG_LEVEL_4K;
	bool pinned;
	int ret;

	/* In-place conversion v8 (23/46): a NULL source is the page itself. */
	if (!src && !src_page && kvm_gmem_in_place(kvm))
		src_page = pfn_to_page(pfn);
	ret = tdx_populate_src(src, src_page, &page, &pinned);
	if (ret)
		return ret;
	ret = kvm_tdp_map_page(vcpu, gpa, error_code, &level);
	if (ret < 0)
		goto out;
	ret = tdx_add_premapped(kvm, gpa, pfn, page, arg->flags, false);
out:
	if (pinned)
		put_page(page);
	return ret;
}

/*
 * populate=map_pfn (6.19's tdx_gmem_post_populate; 7.0 with the source
 * pinned by kvm_gmem_populate()): map the pfn guest_memfd gave without a
 * synthetic fault; TDH.MEM.PAGE.ADD happens in the set hook; then the
 * measurement, with no mmu_lock.
 */
static int tdx_gmem_map_pfn_populate(struct kvm *kvm, gfn_t gfn, kvm_pfn_t pfn,
				     void *src, struct page *src_page,
				     void *_arg)
{
	struct tdx_gmem_post_populate_arg *arg = _arg;
	struct kvm_tdx *kvm_tdx = to_kvm_tdx(kvm);
	struct page *page;
	bool pinned;
	int ret;

	if (KVM_BUG_ON(kvm_tdx->page_add_src, kvm))
		return -EIO;
	/*
	 * In-place conversion v8 (23/46): a NULL source is the page itself,
	 * written by the host while it was shared; PAGE.ADD gets the same
	 * HPA as destination and source.
	 */
	if (!src && !src_page && kvm_gmem_in_place(kvm))
		src_page = pfn_to_page(pfn);
	ret = tdx_populate_src(src, src_page, &page, &pinned);
	if (ret)
		return ret;
	kvm_tdx->page_add_src = page;
	ret = kvm_tdp_mmu_map_private_pfn(arg->vcpu, gfn, pfn);
	kvm_tdx->page_add_src = NULL;
	if (pinned)
		put_page(page);
	if (ret || !(arg->flags & KVM_TDX_MEASURE_MEMORY_REGION))
		return ret;
	return tdx_measure_page(kvm, gfn_to_gpa(gfn), false);
}

static int tdx_populate_one(struct kvm_vcpu *vcpu, gpa_t gpa,
			    unsigned long src, u32 flags)
{
	struct kvm *kvm = vcpu->kvm;
	struct tdx_gmem_post_populate_arg arg = {
		.vcpu = vcpu,
		.flags = flags,
	};
	long n;

	switch (READ_ONCE(kvm->design.populate)) {
	case TDXSIM_POPULATE_GMEM:
		n = kvm_gmem_populate(kvm, gpa >> PAGE_SHIFT, (void *)src, 1,
				      tdx_gmem_post_populate, &arg);
		break;
	case TDXSIM_POPULATE_MAP_PFN:
		n = kvm_gmem_populate(kvm, gpa >> PAGE_SHIFT, (void *)src, 1,
				      tdx_gmem_map_pfn_populate, &arg);
		break;
	default:
		return tdx_init_mem_populate(vcpu, gpa, src, flags);
	}
	if (n < 0)
		return n;
	return n == 1 ? 0 : -EIO;
}

static int tdx_vcpu_init_mem_region(struct kvm_vcpu *vcpu,
				    struct kvm_tdx_cmd *cmd)
{
	struct kvm *kvm = vcpu->kvm;
	struct kvm_tdx *kvm_tdx = to_kvm_tdx(kvm);
	struct kvm_tdx_init_mem_region region;
	gpa_t shared = kvm->arch.gfn_direct_bits << PAGE_SHIFT;
	bool two_pass;
	gpa_t start;
	int ret = 0;

	if (to_tdx(vcpu)->state != VCPU_TD_STATE_INITIALIZED ||
	    kvm_tdx->state == TD_STATE_RUNNABLE)
		return -EINVAL;
	if (cmd->flags & ~KVM_TDX_MEASURE_MEMORY_REGION)
		return -EINVAL;
	if (copy_from_user(&region, (void *)(uintptr_t)cmd->data,
			   sizeof(region)))
		return -EFAULT;
	if (!PAGE_ALIGNED_U64(region.source_addr) ||
	    !PAGE_ALIGNED_U64(region.gpa) || !region.nr_pages ||
	    region.gpa + (region.nr_pages << PAGE_SHIFT) <= region.gpa ||
	    (region.gpa & shared) ||
	    ((region.gpa + (region.nr_pages << PAGE_SHIFT) - 1) & shared))
		return -EINVAL;
	/*
	 * next: a NULL source is refused (before: GUP fails on it); with
	 * in-place conversion (v8 23/46) it means "populate in place".
	 */
	if (!region.source_addr && !kvm_gmem_in_place(kvm) &&
	    READ_ONCE(kvm->design.populate_src_null_check))
		return -EINVAL;

	/*
	 * The older KVM TDX API added a whole region first and extended it
	 * afterwards (KVM_MEMORY_MAPPING, then KVM_TDX_EXTEND_MEMORY); the
	 * measure_two_pass design reproduces that order, upstream measures
	 * page by page.
	 */
	two_pass = READ_ONCE(kvm->design.measure_two_pass) &&
		   (cmd->flags & KVM_TDX_MEASURE_MEMORY_REGION);
	start = region.gpa;
	while (region.nr_pages) {
		ret = tdx_populate_one(vcpu, region.gpa, region.source_addr,
				       two_pass ? 0 : cmd->flags);
		if (ret)
			break;
		/* v8: a NULL source (in place) stays NULL. */
		if (region.source_addr)
			region.source_addr += PAGE_SIZE;
		region.gpa += PAGE_SIZE;
		region.nr_pages--;
		cond_resched();
	}
	if (two_pass && !ret) {
		gpa_t gpa;

		for (gpa = start; gpa < region.gpa && !ret; gpa += PAGE_SIZE)
			ret = tdx_measure_page(kvm, gpa, false);
	}
	/* Partial progress is reported back, success or not. */
	if (copy_to_user((void *)(uintptr_t)cmd->data, &region,
			 sizeof(region)))
		ret = -EFAULT;
	return ret;
}

/*
 * The vCPU ioctls that take the VM-state locks themselves (6.19, 94428e3b;
 * design init_vcpu_ioctls_unlocked): INIT_VCPU and INIT_MEM_REGION under
 * the "all the locks" guard. Before 6.19 they are ordinary vCPU ioctls
 * (tdx_vcpu_ioctl(), under their vcpu->mutex).
 */
static int tdx_vcpu_unlocked_ioctl(struct kvm_vcpu *vcpu, void *argp)
{
	struct kvm *kvm = vcpu->kvm;
	struct kvm_tdx *kvm_tdx = to_kvm_tdx(kvm);
	struct kvm_tdx_cmd cmd;
	int r;

	if (!READ_ONCE(kvm->design.init_vcpu_ioctls_unlocked))
		return -ENOIOCTLCMD;
	if (copy_from_user(&cmd, argp, sizeof(cmd)))
		return -EFAULT;
	if (cmd.hw_error)
		return -EINVAL;
	if (cmd.id != KVM_TDX_INIT_VCPU && cmd.id != KVM_TDX_INIT_MEM_REGION)
		return -ENOIOCTLCMD;

	r = tdx_acquire_vm_state_locks(kvm);
	if (r)
		return r;
	if (!is_hkid_assigned(kvm_tdx) ||
	    kvm_tdx->state == TD_STATE_RUNNABLE) {
		r = -EINVAL;
		goto out;
	}
	if (cmd.id == KVM_TDX_INIT_VCPU)
		r = tdx_vcpu_init(vcpu, &cmd);
	else
		r = tdx_vcpu_init_mem_region(vcpu, &cmd);
out:
	tdx_release_vm_state_locks(kvm);
	if (copy_to_user(argp, &cmd, sizeof(cmd)))
		return -EFAULT;
	return r;
}

/*
 * INIT_VCPU and INIT_MEM_REGION as 6.16-6.18 run them: under the caller's
 * vcpu->mutex only, INIT_MEM_REGION also under slots_lock (T616
 * tdx_vcpu_init_mem_region's guard). No other vCPU's mutex, no kvm->lock.
 */
static int tdx_vcpu_init_locked(struct kvm_vcpu *vcpu, struct kvm_tdx_cmd *cmd)
{
	struct kvm *kvm = vcpu->kvm;
	struct kvm_tdx *kvm_tdx = to_kvm_tdx(kvm);
	int r;

	if (!is_hkid_assigned(kvm_tdx) || kvm_tdx->state == TD_STATE_RUNNABLE)
		return -EINVAL;
	if (cmd->id == KVM_TDX_INIT_VCPU)
		return tdx_vcpu_init(vcpu, cmd);
	mutex_lock(&kvm->slots_lock);
	if (kvm_tdx->state == TD_STATE_RUNNABLE)
		r = -EINVAL;
	else
		r = tdx_vcpu_init_mem_region(vcpu, cmd);
	mutex_unlock(&kvm->slots_lock);
	return r;
}

/* --- KVM_TDX_GET_CPUID ---------------------------------------------------------------------------- */

#define TDX_MD_UNREADABLE_LEAF_MASK	GENMASK(30, 7)
#define TDX_MD_UNREADABLE_SUBLEAF_MASK	GENMASK(31, 7)

/*
 * Read the TD's CPUID @leaf (and @sub_leaf if @sub_leaf_set) with two
 * TDH.MNG.RD into @out: -EIO if the module has no such leaf, -EINVAL if it
 * cannot be named. 0x80000008.EAX[23:16] comes from the GPAW (a module may
 * leave it 0).
 */
static int tdx_read_cpuid(struct kvm_vcpu *vcpu, u32 leaf, u32 sub_leaf,
			  bool sub_leaf_set, int *entry_index,
			  struct kvm_cpuid_entry2 *out)
{
	struct kvm_tdx *kvm_tdx = to_kvm_tdx(vcpu->kvm);
	u64 field_id = TDCS_CPUID_VALUES;
	u64 ebx_eax, edx_ecx, err;

	if (sub_leaf > 0x7f)
		return -EINVAL;
	if (*entry_index >= KVM_MAX_CPUID_ENTRIES)
		return -EINVAL;
	if ((leaf & TDX_MD_UNREADABLE_LEAF_MASK) ||
	    (sub_leaf & TDX_MD_UNREADABLE_SUBLEAF_MASK))
		return -EINVAL;

	if (leaf & 0x80000000)
		field_id |= TDCS_CPUID_LEAF_31;
	field_id |= (u64)(leaf & 0x7f) << TDCS_CPUID_LEAF_SHIFT;
	if (sub_leaf_set)
		field_id |= (u64)(sub_leaf & 0x7f) << TDCS_CPUID_SUBLEAF_SHIFT;
	else
		field_id |= TDCS_CPUID_SUBLEAF_NA |
			    (0x7fULL << TDCS_CPUID_SUBLEAF_SHIFT);

	err = tdh_mng_rd(tdx_tdr_pa(kvm_tdx), field_id, &ebx_eax);
	if (err)
		goto err_out;
	out->eax = (u32)ebx_eax;
	out->ebx = (u32)(ebx_eax >> 32);
	err = tdh_mng_rd(tdx_tdr_pa(kvm_tdx), field_id + 1, &edx_ecx);
	if (WARN_ON_ONCE(err))
		goto err_out;
	out->ecx = (u32)edx_ecx;
	out->edx = (u32)(edx_ecx >> 32);
	out->function = leaf;
	out->index = sub_leaf;
	out->flags |= sub_leaf_set ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0;

	if (leaf == 0x80000008) {
		gpa_t gpa_bits = gfn_to_gpa(READ_ONCE(vcpu->kvm->arch.gfn_direct_bits));
		unsigned int g_maxpa = __builtin_ctzll(gpa_bits) + 1;

		out->eax = tdx_set_guest_phys_addr_bits(out->eax, g_maxpa);
	}
	(*entry_index)++;
	return 0;

err_out:
	out->eax = 0;
	out->ebx = 0;
	out->ecx = 0;
	out->edx = 0;
	return -EIO;
}

/*
 * Read @leaf into @output_e: as one entry, or if the leaf has sub-leaves,
 * one per sub-leaf until the module has no more. Non-zero if nothing read.
 */
static int tdx_vcpu_get_cpuid_leaf(struct kvm_vcpu *vcpu, u32 leaf,
				   int *entry_index,
				   struct kvm_cpuid_entry2 *output_e)
{
	int sub_leaf = 0;
	int ret;

	ret = tdx_read_cpuid(vcpu, leaf, 0, false, entry_index, output_e);
	if (ret != -EIO)
		return ret;
	while (1) {
		if (tdx_read_cpuid(vcpu, leaf, sub_leaf, true, entry_index,
				   output_e))
			return !sub_leaf;
		sub_leaf++;
		output_e++;
	}
	return 0;
}

/*
 * KVM_TDX_GET_CPUID: the TD's CPUID, the basic then the extended range up
 * to the maximum leaf each reports. Too small an array: -E2BIG with the
 * needed nent in the header.
 */
static int tdx_vcpu_get_cpuid(struct kvm_vcpu *vcpu, struct kvm_tdx_cmd *cmd)
{
	struct kvm_cpuid2 *output = (void *)(uintptr_t)cmd->data;
	struct kvm_cpuid2 *td_cpuid;
	int r = 0, i = 0;
	u32 leaf, level;

	td_cpuid = xzalloc(sizeof(*td_cpuid) + sizeof(output->entries[0]) *
						      KVM_MAX_CPUID_ENTRIES);
	if (copy_from_user(td_cpuid, output, sizeof(*output))) {
		r = -EFAULT;
		goto out;
	}

	if (tdx_vcpu_get_cpuid_leaf(vcpu, 0, &i, &td_cpuid->entries[i])) {
		r = -EIO;
		goto out;
	}
	level = td_cpuid->entries[0].eax;
	for (leaf = 1; leaf <= level; leaf++)
		tdx_vcpu_get_cpuid_leaf(vcpu, leaf, &i, &td_cpuid->entries[i]);

	if (tdx_vcpu_get_cpuid_leaf(vcpu, 0x80000000, &i,
				    &td_cpuid->entries[i])) {
		r = -EIO;
		goto out;
	}
	level = td_cpuid->entries[i - 1].eax;
	for (leaf = 0x80000001; leaf <= level; leaf++)
		tdx_vcpu_get_cpuid_leaf(vcpu, leaf, &i, &td_cpuid->entries[i]);

	if (td_cpuid->nent < (u32)i)
		r = -E2BIG;
	td_cpuid->nent = i;
	if (copy_to_user(output, td_cpuid, sizeof(*output))) {
		r = -EFAULT;
		goto out;
	}
	if (r == -E2BIG)
		goto out;
	/* The user pointer may be misaligned: no member access through it. */
	if (copy_to_user((u8 *)output + offsetof(struct kvm_cpuid2, entries),
			 td_cpuid->entries,
			 td_cpuid->nent * sizeof(struct kvm_cpuid_entry2)))
		r = -EFAULT;
out:
	free(td_cpuid);
	return r;
}

static int tdx_vcpu_ioctl(struct kvm_vcpu *vcpu, void *argp)
{
	struct kvm_tdx_cmd cmd;
	int r;

	if (copy_from_user(&cmd, argp, sizeof(cmd)))
		return -EFAULT;
	if (cmd.hw_error)
		return -EINVAL;
	switch (cmd.id) {
	case KVM_TDX_INIT_VCPU:
	case KVM_TDX_INIT_MEM_REGION:
		/* Reached only when they are not "unlocked" ioctls (< 6.19). */
		r = tdx_vcpu_init_locked(vcpu, &cmd);
		break;
	case KVM_TDX_GET_CPUID:
		/* Before finalize only, in every release. */
		if (!is_hkid_assigned(to_kvm_tdx(vcpu->kvm)) ||
		    to_kvm_tdx(vcpu->kvm)->state == TD_STATE_RUNNABLE)
			return -EINVAL;
		return tdx_vcpu_get_cpuid(vcpu, &cmd);
	default:
		return -EINVAL;
	}
	if (copy_to_user(argp, &cmd, sizeof(cmd)))
		return -EFAULT;
	return r;
}

/* --- running the vCPU -------------------------------------------------------------------------------- */

static void tdx_load_mmu_pgd(struct kvm_vcpu *vcpu)
{
	struct vcpu_tdx *tdx = to_tdx(vcpu);
	u64 err;

	if (tdx->loaded_shared_eptp == vcpu->arch.root_hpa)
		return;
	err = tdh_vp_wr(page_to_phys(tdx->tdvpr_page),
			TDVPS_SHARED_EPT_POINTER, vcpu->arch.root_hpa, ~0ULL);
	if (!TDX_BUG_ON(err, TDH_VP_WR, vcpu->kvm))
		tdx->loaded_shared_eptp = vcpu->arch.root_hpa;
}

/* Build a page-fault error code from an EPT-violation exit qualification. */
static u64 tdx_ept_violation_error_code(u64 exit_qual, bool private)
{
	u64 ec = 0;

	if (exit_qual & EPT_VIOLATION_ACC_WRITE)
		ec |= PFERR_WRITE_MASK;
	if (exit_qual & EPT_VIOLATION_ACC_INSTR)
		ec |= PFERR_FETCH_MASK;
	if (exit_qual & EPT_VIOLATION_PROT_MASK)
		ec |= PFERR_PRESENT_MASK;
	if (private)
		ec |= PFERR_PRIVATE_ACCESS;
	return ec | PFERR_GUEST_FINAL_MASK;
}

/*
 * Seed 001: an EPT violation that carries the guest's accept level. If the
 * mapping is bigger than that level, split it, and inhibit huge mappings of
 * that range from now on (the bit is one-way), so the re-executed accept
 * finds a leaf of its size. The inhibit test needs no lock.
 */
/* Inhibit mappings above @level around @gfn: one-way, never cleared. */
static void tdx_set_accept_inhibit(struct kvm_memory_slot *slot, gfn_t gfn,
				   int level)
{
	hugepage_set_guest_inhibit(slot, gfn, level + 1);
	if (level == PG_LEVEL_4K)
		hugepage_set_guest_inhibit(slot, gfn, level + 2);
}

static int tdx_honor_guest_accept_level(struct kvm_vcpu *vcpu, gfn_t gfn,
					u64 eeq)
{
	struct kvm *kvm = vcpu->kvm;
	struct kvm_memory_slot *slot;
	struct kvm_gfn_range range;
	int level, r = 0;

	if ((eeq & TDX_EXT_EXIT_QUAL_TYPE_MASK) != TDX_EXT_EXIT_QUAL_TYPE_ACCEPT)
		return 0;
	if (READ_ONCE(kvm->design.accept_level) == TDXSIM_ACCEPT_LEVEL_IGNORE)
		return 0;
	slot = kvm_vcpu_gfn_to_memslot(vcpu, gfn);
	if (!slot)
		return 0;
	level = ((eeq >> TDX_EXT_EXIT_QUAL_INFO_SHIFT) &
		 TDX_ACCEPT_INFO_REQ_LEVEL_MASK) + 1;
	if (level != PG_LEVEL_4K && level != PG_LEVEL_2M)
		return 0;
	if (hugepage_test_guest_inhibit(slot, gfn, level + 1))
		return 0;

	/*
	 * tdxsim: design huge_split_lock=read (RFC v1/v2): only inhibit; the
	 * fault that follows maps at the smaller level and splits the 2M
	 * leaf under the read mmu_lock (tdx_sept_split_private_spte()).
	 */
	if (READ_ONCE(kvm->design.huge_split_lock) ==
	    TDXSIM_HUGE_SPLIT_LOCK_READ) {
		tdx_set_accept_inhibit(slot, gfn, level);
		return 0;
	}

	/*
	 * The split walks the mirror root. tdxsim: design
	 * accept_split_root=normal is RFC v5 41/45 as posted, whose
	 * kvm_tdp_mmu_split_huge_pages() walked vcpu->arch.mmu->root, the
	 * direct root (Sean Christopherson: "is wrong").
	 */
	range = (struct kvm_gfn_range){
		.slot = slot,
		.start = gfn & ~(gfn_t)(KVM_PAGES_PER_HPAGE(level) - 1),
		.may_block = true,
		.attr_filter = READ_ONCE(kvm->design.accept_split_root) ==
				       TDXSIM_ACCEPT_SPLIT_ROOT_NORMAL ?
			       KVM_FILTER_SHARED : KVM_FILTER_PRIVATE,
	};
	range.end = range.start + KVM_PAGES_PER_HPAGE(level);

	/*
	 * tdxsim: design huge_inhibit_order=before_split sets the inhibit
	 * before the split and its locks; a vCPU testing it unlocked then
	 * skips the split and faults on the 2M leaf (H2). The reschedule
	 * stands for the allocation RFC v5's tdp_mmu_alloc_sp_for_split()
	 * makes with mmu_lock dropped (tdxsim's caches are filled before).
	 */
	if (READ_ONCE(kvm->design.huge_inhibit_order) ==
	    TDXSIM_HUGE_INHIBIT_BEFORE_SPLIT) {
		tdx_set_accept_inhibit(slot, gfn, level);
		cond_resched();
	}

	/* The split cache (one split), topped up outside mmu_lock. */
	r = kvm_lock_split_cache(kvm, 1);
	if (r)
		return r;
	write_lock(&kvm->mmu_lock);
	r = kvm_split_cross_boundary_leafs(kvm, &range, false);
	if (!r)
		tdx_set_accept_inhibit(slot, gfn, level);
	write_unlock(&kvm->mmu_lock);
	kvm_unlock_split_cache(kvm);
	return r;
}

static int tdx_handle_ept_violation(struct kvm_vcpu *vcpu)
{
	struct vcpu_tdx *tdx = to_tdx(vcpu);
	struct kvm *kvm = vcpu->kvm;
	gpa_t gpa = tdx->exit_gpa;
	u64 exit_qual = tdx->exit_qualification;
	u64 eeq = tdx->ext_exit_qualification;
	bool private = !kvm_is_addr_direct(kvm, gpa);
	bool local_retry = false;
	u64 error_code;
	int r;

	trace_kvm_tdx_ept_violation(vcpu, gpa, exit_qual, eeq, private);
	if (private) {
		if ((eeq & TDX_EXT_EXIT_QUAL_TYPE_MASK) ==
			    TDX_EXT_EXIT_QUAL_TYPE_PENDING_EPT_VIOLATION &&
		    !(exit_qual & EPT_VIOLATION_PROT_MASK)) {
			pr_warn("kvm_tdx: Guest access before accepting 0x%llx on vCPU %d\n",
				(unsigned long long)gpa, vcpu->vcpu_id);
			kvm_vm_dead(kvm);
			return -EIO;
		}
		if ((eeq & TDX_EXT_EXIT_QUAL_TYPE_MASK) ==
		    TDX_EXT_EXIT_QUAL_TYPE_ACCEPT) {
			r = tdx_honor_guest_accept_level(vcpu,
				(gpa >> PAGE_SHIFT) & ~kvm->arch.gfn_direct_bits,
				eeq);
			if (r)
				return r;
		}
		/* Private faults are always handled as writes. */
		exit_qual = EPT_VIOLATION_ACC_WRITE;
		local_retry = true;
	} else if (KVM_BUG_ON(exit_qual & EPT_VIOLATION_ACC_INSTR, kvm)) {
		return -EIO;
	}

	error_code = tdx_ept_violation_error_code(exit_qual, private);
	for (;;) {
		struct kvm_memory_slot *slot;

		r = kvm_mmu_do_page_fault(vcpu, gpa, error_code, false, NULL);
		/*
		 * A retry waits for someone else (an invalidation in progress,
		 * a frozen SPTE, a module lock): tdxsim spins with cpu_relax()
		 * where the kernel has cond_resched(), also before going back
		 * into the guest, so that in deterministic PCT mode the one we
		 * wait for gets to run (on hardware it runs on another CPU).
		 */
		if (r == RET_PF_RETRY)
			cpu_relax();
		if (r != RET_PF_RETRY || !local_retry)
			break;
		/*
		 * Only an event for the guest ends the local retry (tdxsim has
		 * no signals, so signal_pending() is never true): a request,
		 * e.g. the OUTSIDE_GUEST_MODE barrier of a zap's TRACK, does
		 * not send the vCPU back into the guest.
		 */
		if (kvm_vcpu_has_events(vcpu))
			break;
		if (kvm_check_request(KVM_REQ_VM_DEAD, vcpu)) {
			r = -EIO;
			break;
		}
		/* 6.18 (2bc2694f, design ept_retry_exit). */
		slot = READ_ONCE(kvm->design.ept_retry_exit) ==
			       TDXSIM_EPT_RETRY_EXIT_MEMSLOT_INVALID ?
			       kvm_vcpu_gfn_to_memslot(vcpu,
					(gpa >> PAGE_SHIFT) &
					~kvm->arch.gfn_direct_bits) : NULL;
		if (slot && kvm_is_memslot_invalid(slot))
			break;
		cond_resched();
	}
	if (r < 0)
		return r;
	if (r == RET_PF_EMULATE) {
		/* A shared GPA without a memslot: MMIO, which tdxsim has none of. */
		vcpu->run->exit_reason = KVM_EXIT_MMIO;
		vcpu->run->mmio.phys_addr = gpa;
		vcpu->run->mmio.len = 8;
		vcpu->run->mmio.is_write = !!(exit_qual & EPT_VIOLATION_ACC_WRITE);
		return 0;
	}
	if (tdxsim_livelock_check(vcpu, gpa, eeq, r))	/* tdxsim: stop a livelock */
		return 0;
	return 1;
}

/*
 * MapGPA goes to userspace as KVM_HC_MAP_GPA_RANGE exits of at most 2 MiB
 * each, so that a long conversion can be interrupted: between two chunks a
 * pending event ends the TDVMCALL with TDVMCALL_STATUS_RETRY and R11 = the
 * GPA to resume from.
 */
#define TDX_MAP_GPA_MAX_LEN	(2 * 1024 * 1024)

/* Is @gpa private (the shared bit clear)? */
static bool tdx_is_private_gpa(struct kvm *kvm, gpa_t gpa)
{
	return !(gpa & (kvm->arch.gfn_direct_bits << PAGE_SHIFT));
}

/*
 * Is @gpa below the guest's MAXPHYADDR? tdxsim has no guest CPUID
 * (KVM_SET_CPUID2): the TD's GPA width stands for it.
 */
static bool tdx_is_legal_gpa(struct kvm *kvm, gpa_t gpa)
{
	return gpa < BIT_ULL(to_kvm_tdx(kvm)->gpaw);
}

static void tdvmcall_set_return_code(struct vcpu_tdx *tdx, u64 val)
{
	tdx->vp_enter_args.r10 = val;
}

static int tdx_complete_vmcall_map_gpa(struct kvm_vcpu *vcpu);

/* The next chunk of the MapGPA in progress, as a KVM_EXIT_HYPERCALL. */
static void __tdx_map_gpa(struct vcpu_tdx *tdx)
{
	struct kvm_vcpu *vcpu = tdx->vcpu;
	struct kvm *kvm = vcpu->kvm;
	u64 gpa = tdx->map_gpa_next;
	u64 size = tdx->map_gpa_end - tdx->map_gpa_next;
	struct kvm_run *run = vcpu->run;

	if (size > TDX_MAP_GPA_MAX_LEN)
		size = TDX_MAP_GPA_MAX_LEN;

	run->exit_reason = KVM_EXIT_HYPERCALL;
	memset(&run->hypercall, 0, sizeof(run->hypercall));
	run->hypercall.nr = KVM_HC_MAP_GPA_RANGE;
	/* Zero, as userspace that predates KVM writing it expects. */
	run->hypercall.ret = 0;
	run->hypercall.args[0] = gpa & ~(kvm->arch.gfn_direct_bits << PAGE_SHIFT);
	run->hypercall.args[1] = size >> PAGE_SHIFT;
	run->hypercall.args[2] = tdx_is_private_gpa(kvm, gpa) ?
				 KVM_MAP_GPA_RANGE_ENCRYPTED :
				 KVM_MAP_GPA_RANGE_DECRYPTED;
	run->hypercall.flags = KVM_EXIT_HYPERCALL_LONG_MODE;
	vcpu->arch.complete_userspace_io = tdx_complete_vmcall_map_gpa;
}

/* KVM_RUN after a MapGPA chunk exit: userspace's answer, then the next. */
static int tdx_complete_vmcall_map_gpa(struct kvm_vcpu *vcpu)
{
	struct vcpu_tdx *tdx = to_tdx(vcpu);
	u64 ret = READ_ONCE(vcpu->run->hypercall.ret);

	if (ret) {
		u64 status = TDVMCALL_STATUS_INVALID_OPERAND;

		/*
		 * next (3e2dec1e, design mapgpa_user_ret): EAGAIN asks the
		 * guest to retry, EINVAL is its error, anything else is
		 * userspace's mistake (-EINVAL from KVM_RUN). Before: any
		 * non-zero answer is INVALID_OPERAND.
		 */
		if (READ_ONCE(vcpu->kvm->design.mapgpa_user_ret) ==
		    TDXSIM_MAPGPA_USER_RET_ERRNO_MAP) {
			if (ret == EAGAIN)
				status = TDVMCALL_STATUS_RETRY;
			else if (ret != EINVAL)
				return -EINVAL;
		}
		tdvmcall_set_return_code(tdx, status);
		tdx->vp_enter_args.r11 = tdx->map_gpa_next;
		return 1;
	}

	tdx->map_gpa_next += TDX_MAP_GPA_MAX_LEN;
	if (tdx->map_gpa_next >= tdx->map_gpa_end)
		return 1;

	/*
	 * Stop with the rest undone if an event is pending that the guest
	 * may want delivered first; it resumes from R11.
	 */
	if (kvm_vcpu_has_events(vcpu)) {
		tdvmcall_set_return_code(tdx, TDVMCALL_STATUS_RETRY);
		tdx->vp_enter_args.r11 = tdx->map_gpa_next;
		return 1;
	}

	__tdx_map_gpa(tdx);
	return 0;
}

static int tdx_map_gpa(struct kvm_vcpu *vcpu, struct tdx_module_args *args)
{
	struct vcpu_tdx *tdx = to_tdx(vcpu);
	struct kvm *kvm = vcpu->kvm;
	u64 gpa = args->r12, size = args->r13;
	u64 ret;

	trace_kvm_tdx_map_gpa(vcpu, gpa, size);
	/*
	 * Upstream answers SUBFUNC_UNSUPPORTED first when userspace did not
	 * enable KVM_CAP_EXIT_HYPERCALL for KVM_HC_MAP_GPA_RANGE; tdxsim has
	 * no KVM_ENABLE_CAP and always exits.
	 */
	if (gpa + size <= gpa || !tdx_is_legal_gpa(kvm, gpa) ||
	    !tdx_is_legal_gpa(kvm, gpa + size - 1) ||
	    tdx_is_private_gpa(kvm, gpa) !=
		    tdx_is_private_gpa(kvm, gpa + size - 1)) {
		ret = TDVMCALL_STATUS_INVALID_OPERAND;
		goto error;
	}
	if (!PAGE_ALIGNED_U64(gpa) || !PAGE_ALIGNED_U64(size)) {
		ret = TDVMCALL_STATUS_ALIGN_ERROR;
		goto error;
	}

	tdx->map_gpa_end = gpa + size;
	tdx->map_gpa_next = gpa;
	__tdx_map_gpa(tdx);
	return 0;

error:
	tdvmcall_set_return_code(tdx, ret);
	tdx->vp_enter_args.r11 = gpa;
	return 1;
}

/* KVM_RUN after a KVM_EXIT_TDX: the TDVMCALL's status is userspace's. */
static int tdx_complete_simple(struct kvm_vcpu *vcpu)
{
	tdvmcall_set_return_code(to_tdx(vcpu),
				 READ_ONCE(vcpu->run->tdx.unknown.ret));
	return 1;
}

/*
 * GetQuote: the guest's shared buffer (R12, R13 bytes) with a TDREPORT in
 * it goes to userspace as KVM_EXIT_TDX, which answers in tdx.get_quote.ret
 * (preset to SUBFUNC_UNSUPPORTED for a VMM that does not know the exit)
 * and fills the buffer, as it likes, later. KVM checks only that the
 * buffer is shared.
 */
static int tdx_get_quote(struct kvm_vcpu *vcpu, struct tdx_module_args *args)
{
	struct vcpu_tdx *tdx = to_tdx(vcpu);
	struct kvm *kvm = vcpu->kvm;
	u64 gpa = args->r12, size = args->r13;

	if (tdx_is_private_gpa(kvm, gpa)) {
		tdvmcall_set_return_code(tdx, TDVMCALL_STATUS_INVALID_OPERAND);
		return 1;
	}
	vcpu->run->exit_reason = KVM_EXIT_TDX;
	vcpu->run->tdx.flags = 0;
	vcpu->run->tdx.nr = TDVMCALL_GET_QUOTE;
	vcpu->run->tdx.get_quote.ret = TDVMCALL_STATUS_SUBFUNC_UNSUPPORTED;
	vcpu->run->tdx.get_quote.gpa =
		gpa & ~(kvm->arch.gfn_direct_bits << PAGE_SHIFT);
	vcpu->run->tdx.get_quote.size = size;
	vcpu->arch.complete_userspace_io = tdx_complete_simple;
	return 0;
}

#define KVM_PIO_PAGE_OFFSET	1	/* the PIO data page of kvm_run's mapping */

/* KVM_RUN after a KVM_EXIT_IO IN: the data userspace put in the PIO page. */
static int tdx_complete_pio_in(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	u64 val = 0;

	memcpy(&val, (u8 *)run + KVM_PIO_PAGE_OFFSET * PAGE_SIZE, run->io.size);
	to_tdx(vcpu)->vp_enter_args.r11 = val;
	return 1;
}

/*
 * TDG.VP.VMCALL<Instruction.IO>: R12 size, R13 direction (1: out), R14 the
 * port, R15 the value out. An OUT an ioeventfd takes completes here; the
 * rest exits with KVM_EXIT_IO (the data in the PIO page), an IN's value
 * comes back in R11 on re-entry.
 */
static int tdx_emulate_io(struct kvm_vcpu *vcpu, struct tdx_module_args *args)
{
	struct vcpu_tdx *tdx = to_tdx(vcpu);
	struct kvm_run *run = vcpu->run;
	u64 size = args->r12, write = args->r13, port = args->r14;
	u64 val = args->r15;

	tdvmcall_set_return_code(tdx, TDVMCALL_STATUS_SUCCESS);
	if ((size != 1 && size != 2 && size != 4) || write > 1 ||
	    port > 0xffff) {
		tdvmcall_set_return_code(tdx, TDVMCALL_STATUS_INVALID_OPERAND);
		return 1;
	}
	if (write && !kvm_io_bus_write(vcpu, KVM_PIO_BUS, port, size, &val))
		return 1;
	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = write ? KVM_EXIT_IO_OUT : KVM_EXIT_IO_IN;
	run->io.size = size;
	run->io.port = port;
	run->io.count = 1;
	run->io.data_offset = KVM_PIO_PAGE_OFFSET * PAGE_SIZE;
	if (write)
		memcpy((u8 *)run + run->io.data_offset, &val, size);
	else
		vcpu->arch.complete_userspace_io = tdx_complete_pio_in;
	return 0;
}

/* KVM_RUN after a KVM_EXIT_MMIO read: the data userspace filled in. */
static int tdx_complete_mmio_read(struct kvm_vcpu *vcpu)
{
	u64 val = 0;

	memcpy(&val, vcpu->run->mmio.data, vcpu->run->mmio.len);
	to_tdx(vcpu)->vp_enter_args.r11 = val;
	return 1;
}

/*
 * TDG.VP.VMCALL<#VE.RequestMMIO>: R12 size, R13 direction (1: write), R14
 * the GPA (shared only), R15 the value written. Not RAM, not across a
 * page. A write an ioeventfd takes completes here; the rest exits with
 * KVM_EXIT_MMIO, a read's value comes back in R11 on re-entry.
 */
static int tdx_emulate_mmio(struct kvm_vcpu *vcpu, struct tdx_module_args *args)
{
	struct vcpu_tdx *tdx = to_tdx(vcpu);
	struct kvm *kvm = vcpu->kvm;
	struct kvm_run *run = vcpu->run;
	u64 size = args->r12, write = args->r13, gpa = args->r14;
	u64 val = write ? args->r15 : 0;
	struct kvm_memory_slot *slot;

	if ((size != 1 && size != 2 && size != 4 && size != 8) || write > 1 ||
	    tdx_is_private_gpa(kvm, gpa))
		goto error;
	gpa &= ~(kvm->arch.gfn_direct_bits << PAGE_SHIFT);
	if ((gpa + size - 1) >> PAGE_SHIFT != gpa >> PAGE_SHIFT)
		goto error;
	slot = kvm_vcpu_gfn_to_memslot(vcpu, gpa >> PAGE_SHIFT);
	if (slot && !kvm_is_memslot_invalid(slot))
		goto error;	/* MMIO to RAM */
	tdvmcall_set_return_code(tdx, TDVMCALL_STATUS_SUCCESS);
	if (write && !kvm_io_bus_write(vcpu, KVM_MMIO_BUS, gpa, size, &val))
		return 1;
	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = gpa;
	run->mmio.len = size;
	run->mmio.is_write = write;
	memset(run->mmio.data, 0, sizeof(run->mmio.data));
	if (write)
		memcpy(run->mmio.data, &val, size);
	else
		vcpu->arch.complete_userspace_io = tdx_complete_mmio_read;
	return 0;
error:
	tdvmcall_set_return_code(tdx, TDVMCALL_STATUS_INVALID_OPERAND);
	return 1;
}

static int tdx_handle_tdvmcall(struct kvm_vcpu *vcpu,
			       struct tdx_module_args *args)
{
	struct vcpu_tdx *tdx = to_tdx(vcpu);
	struct kvm_run *run = vcpu->run;

	/* Non-standard TDVMCALLs (R10 != 0) go to userspace in KVM; not here. */
	if (args->r10) {
		tdx->vp_enter_args.r10 = TDVMCALL_STATUS_SUBFUNC_UNSUPPORTED;
		return 1;
	}
	switch (args->r11) {
	case TDVMCALL_MAP_GPA:
		return tdx_map_gpa(vcpu, args);
	case TDVMCALL_GET_QUOTE:
		return tdx_get_quote(vcpu, args);
	case EXIT_REASON_IO_INSTRUCTION:
		return tdx_emulate_io(vcpu, args);
	case EXIT_REASON_EPT_VIOLATION:
		return tdx_emulate_mmio(vcpu, args);
	case EXIT_REASON_HLT:
		tdx->vp_enter_args.r10 = TDVMCALL_STATUS_SUCCESS;
		run->exit_reason = KVM_EXIT_HLT;
		return 0;
	case TDVMCALL_REPORT_FATAL_ERROR:
		run->exit_reason = KVM_EXIT_SYSTEM_EVENT;
		memset(&run->system_event, 0, sizeof(run->system_event));
		run->system_event.type = KVM_SYSTEM_EVENT_TDX_FATAL;
		run->system_event.ndata = 1;
		run->system_event.data[0] = args->r12;
		return 0;
	default:
		tdx->vp_enter_args.r10 = TDVMCALL_STATUS_SUBFUNC_UNSUPPORTED;
		return 1;
	}
}

static int tdx_handle_exit(struct kvm_vcpu *vcpu, u64 vp_enter_ret,
			   struct tdx_module_args *args)
{
	struct vcpu_tdx *tdx = to_tdx(vcpu);
	struct kvm *kvm = vcpu->kvm;

	if (vp_enter_ret & TDX_SEAMCALL_STATUS_MASK) {
		/* VP.ENTER itself failed: BUSY is retried, the rest is fatal. */
		if (tdx_operand_busy(vp_enter_ret)) {
			/* Let the holder run (deterministic PCT mode). */
			cpu_relax();
			return 1;
		}
		/*
		 * The module's host-priority timeout: an asynchronous TD exit
		 * after a guest TDCALL was answered BUSY for hp_lock_timeout
		 * because a host SEAMCALL had set HP in its S-EPT entry. The
		 * exit names no GPA. Upstream's tdx_to_vmx_exit_reason() knows
		 * only SUCCESS and the NON_RECOVERABLE classes, so the exit
		 * reason is -1u, and tdx_handle_exit() takes any status with
		 * TDX_ERROR or TDX_NON_RECOVERABLE (but a software error) to
		 * "kvm_pr_unimpl(); unhandled_exit":
		 * kvm_prepare_unexpected_reason_exit(), KVM_RUN returns 0 with
		 * KVM_EXIT_INTERNAL_ERROR and the VM is not bugged.
		 * tdxsim: only this status goes that way; every other failed
		 * VP.ENTER stays TDX_BUG_ON below, as its module gives those
		 * only through a bug of its own (a departure that keeps them
		 * visible to the oracles).
		 */
		if ((vp_enter_ret & TDX_SEAMCALL_STATUS_MASK) ==
		    TDX_HOST_PRIORITY_BUSY_TIMEOUT) {
			pr_info("kvm_tdx: TD vp_enter_ret 0x%llx\n",
				(unsigned long long)vp_enter_ret);
			kvm_prepare_unexpected_reason_exit(vcpu, vp_enter_ret);
			return 0;
		}
		TDX_BUG_ON(vp_enter_ret, TDH_VP_ENTER, kvm);
		return -EIO;
	}
	tdx->exit_reason = vp_enter_ret & 0xffffffffULL;
	tdx->exit_qualification = args->rcx;
	tdx->ext_exit_qualification = args->rdx;
	tdx->exit_gpa = args->r8;

	switch (tdx->exit_reason) {
	case EXIT_REASON_EXTERNAL_INTERRUPT:
		return 1;
	case EXIT_REASON_EPT_VIOLATION:
		return tdx_handle_ept_violation(vcpu);
	case EXIT_REASON_TDCALL:
		return tdx_handle_tdvmcall(vcpu, args);
	case EXIT_REASON_TRIPLE_FAULT:
		vcpu->run->exit_reason = KVM_EXIT_SHUTDOWN;
		return 0;
	default:
		vcpu->run->exit_reason = KVM_EXIT_UNKNOWN;
		vcpu->run->hw.hardware_exit_reason = tdx->exit_reason;
		return 0;
	}
}

/*
 * KVM_RUN: enter the TD until an exit needs userspace. Returns 0 with
 * vcpu->run filled, or a negative errno (-EFAULT with a memory-fault exit).
 */
static int tdx_vcpu_run(struct kvm_vcpu *vcpu)
{
	struct kvm *kvm = vcpu->kvm;
	struct kvm_tdx *kvm_tdx = to_kvm_tdx(kvm);
	struct vcpu_tdx *tdx = to_tdx(vcpu);
	struct tdx_module_args args;
	u64 ret;
	int r;

	if (tdx->state != VCPU_TD_STATE_INITIALIZED ||
	    __atomic_load_n(&kvm_tdx->state, __ATOMIC_ACQUIRE) !=
		    TD_STATE_RUNNABLE)
		return -EINVAL;

	for (;;) {
		if (kvm_vm_is_dead(kvm))
			return -EIO;
		r = kvm_mmu_load(vcpu);
		if (r)
			return r;
		tdx_load_mmu_pgd(vcpu);

		/* A no-fail S-EPT call is being retried: stay out. */
		if (READ_ONCE(kvm_tdx->wait_for_sept_zap)) {
			cpu_relax();
			continue;
		}
		tdxsim_irqfd_poll(kvm);		/* tdxsim: irqfds signalled */
		if (!kvm_vcpu_enter_guest_mode(vcpu)) {
			if (kvm_check_request(KVM_REQ_VM_DEAD, vcpu))
				return -EIO;
			kvm_clear_request(KVM_REQ_TLB_FLUSH, vcpu);
			kvm_clear_request(KVM_REQ_UNBLOCK, vcpu);
			continue;
		}
		/* The CPU delivers a posted interrupt on entry. */
		WRITE_ONCE(vcpu->arch.tdxsim_interrupt_pending, false);
		args = tdx->vp_enter_args;
		memset(&tdx->vp_enter_args, 0, sizeof(tdx->vp_enter_args));
		ret = tdh_vp_enter(page_to_phys(tdx->tdvpr_page), &args);
		trace_kvm_tdx_vp_enter(vcpu, ret);
		kvm_vcpu_exit_guest_mode(vcpu);

		r = tdx_handle_exit(vcpu, ret, &args);
		if (r <= 0)
			return r;
	}
}

/* --- huge page split (used from kvm_split_cross_boundary_leafs) ------------------------------------ */

/*
 * tdxsim: design huge_split_lock=read, the split RFC v1/v2 ran from the
 * fault path under the read mmu_lock (v3 09/24 dropped it): the mirror
 * SPTE is frozen by the caller; BLOCK, TRACK, kick, DEMOTE, none retried
 * with the vCPUs kept out (that needs the write lock). A BUSY BLOCK or
 * TRACK changes nothing (-EBUSY, the fault retries); a BUSY DEMOTE must
 * be undone with UNBLOCK, and if that is BUSY too the 2M leaf stays
 * BLOCKED under a present mirror SPTE: the VM is bugged. Without DPAMT
 * (the RFC predates it).
 */
static int tdx_sept_split_shared(struct kvm *kvm, gfn_t gfn,
				 enum pg_level level, void *external_spt)
{
	struct kvm_tdx *kvm_tdx = to_kvm_tdx(kvm);
	gpa_t gpa = gfn_to_gpa(gfn) & KVM_HPAGE_MASK(level);
	u64 tdr = tdx_tdr_pa(kvm_tdx), err, entry = 0, level_state = 0;

	lockdep_assert_held_read(&kvm->mmu_lock);
	if (KVM_BUG_ON(!external_spt || level != PG_LEVEL_2M, kvm))
		return -EIO;
	err = tdh_mem_range_block(tdr, gpa, tdx_level(level), &entry,
				  &level_state);
	if (tdx_operand_busy(err))
		return -EBUSY;
	if (TDX_BUG_ON_2(err, TDH_MEM_RANGE_BLOCK, entry, level_state, kvm))
		return -EIO;
	err = tdh_mem_track(tdr);
	if (!tdx_operand_busy(err) && TDX_BUG_ON(err, TDH_MEM_TRACK, kvm))
		return -EIO;
	if (!err) {
		kvm_make_all_cpus_request(kvm, KVM_REQ_OUTSIDE_GUEST_MODE);
		err = tdh_mem_page_demote(tdr, gpa, tdx_level(level),
				page_to_phys(virt_to_page(external_spt)),
				&entry, &level_state);
		if (!err) {
			trace_kvm_tdx_page_demote(kvm, gfn, level);
			return 0;
		}
		if (!tdx_operand_busy(err) &&
		    TDX_BUG_ON_2(err, TDH_MEM_PAGE_DEMOTE, entry, level_state,
				 kvm))
			return -EIO;
	}
	/* Roll back; "UNBLOCK itself may also fail due to contentions". */
	err = tdh_mem_range_unblock(tdr, gpa, tdx_level(level), &entry,
				    &level_state);
	if (TDX_BUG_ON_2(err, TDH_MEM_RANGE_UNBLOCK, entry, level_state, kvm))
		return -EIO;
	return -EBUSY;
}

static int tdx_sept_split_private_spte(struct kvm *kvm, gfn_t gfn,
				       enum pg_level level, u64 old_spte,
				       void *external_spt, bool shared)
{
	u64 spt_pfn = page_to_pfn(virt_to_page(external_spt));
	bool dpamt = tdx_dpamt_v6(kvm) || tdx_dpamt_lazy(kvm);
	struct kvm_tdx *kvm_tdx = to_kvm_tdx(kvm);
	gpa_t gpa = gfn_to_gpa(gfn) & KVM_HPAGE_MASK(level);
	u64 tdr = tdx_tdr_pa(kvm_tdx), err, entry = 0, level_state = 0;

	/*
	 * Under the read mmu_lock the vCPUs cannot be kept out, so a DEMOTE
	 * that is BUSY after BLOCK would need an UNBLOCK, which can be BUSY
	 * too: refuse (v3 09/24: WARN once, -EOPNOTSUPP; the fault retries).
	 * tdxsim: design huge_split_lock=read runs it (RFC v1/v2).
	 */
	if (shared) {
		if (READ_ONCE(kvm->design.huge_split_lock) ==
		    TDXSIM_HUGE_SPLIT_LOCK_READ)
			return tdx_sept_split_shared(kvm, gfn, level,
						     external_spt);
		trace_kvm_tdx_split_refused(kvm);
		WARN_ON_ONCE(1);
		pr_warn_once("kvm_tdx: splitting a huge S-EPT leaf under the read mmu_lock is not supported\n");
		return -EOPNOTSUPP;
	}
	lockdep_assert_held_write(&kvm->mmu_lock);
	if (READ_ONCE(kvm->design.split_cache_lock) ==
	    TDXSIM_SPLIT_CACHE_LOCK_MUTEX)
		lockdep_assert_held(&kvm->arch.tdp_mmu_external_cache_lock);
	if (KVM_BUG_ON(!external_spt || level != PG_LEVEL_2M, kvm))
		return -EIO;
	err = tdh_do_no_vcpus(kvm, tdh_mem_range_block(tdr, gpa,
						       tdx_level(level),
						       &entry, &level_state));
	if (TDX_BUG_ON_2(err, TDH_MEM_RANGE_BLOCK, entry, level_state, kvm))
		return -EIO;
	/* Go on even if bugged: a BLOCKed 2M leaf must not be left behind. */
	tdx_track(kvm);
	/*
	 * DPAMT + huge pages: DEMOTE makes 512 4K entries, so it takes the 2M
	 * page's pair (R12/R13) and the new S-EPT page needs its region's
	 * pair. v6: DEMOTE under pamt_lock (Yan Zhao's fix of 2026-06-11,
	 * agreed 2026-06-29; demote_under_pamt_lock=off is RFC v5 without
	 * it), the region's refcount one per 4K page; lazy: no refcount, no
	 * lock. The new S-EPT page's pair comes from the per-VM split cache,
	 * and so does the DEMOTE's own pair (v5: the cache's min_nr_spts + 1
	 * pairs); the lazy design allocates it.
	 */
	if (dpamt) {
		if (tdx_dpamt_v6(kvm) &&
		    __tdx_pamt_get(spt_pfn, &kvm_tdx->split_pamt_cache,
				   tdx_pamt_flags(kvm)))
			return -ENOMEM;
		err = tdh_do_no_vcpus(kvm, tdx_lazy_pamt(kvm, spt_pfn,
				tdx_pamt_demote(tdr, gpa, tdx_level(level),
						spt_pfn << PAGE_SHIFT,
						spte_to_pfn(old_spte),
						tdx_dpamt_v6(kvm),
						tdx_pamt_flags(kvm),
						tdx_dpamt_v6(kvm) ?
						&kvm_tdx->split_pamt_cache :
						NULL, &entry, &level_state)));
		if (err && tdx_dpamt_v6(kvm))
			tdx_pamt_put_page(kvm, spt_pfn);
	} else {
		err = tdh_do_no_vcpus(kvm, tdh_mem_page_demote(tdr, gpa,
					tdx_level(level),
					page_to_phys(virt_to_page(external_spt)),
					&entry, &level_state));
	}
	if (TDX_BUG_ON_2(err, TDH_MEM_PAGE_DEMOTE, entry, level_state, kvm))
		return -EIO;
	trace_kvm_tdx_page_demote(kvm, gfn, level);
	return 0;
}

/* --- setup -------------------------------------------------------------------------------------------- */

int tdx_hardware_setup(void)
{
	int r;

	if (!tdx_module_ready()) {
		r = tdx_module_init(NULL);
		if (r && r != -EBUSY)
			return r;
	}
	mutex_init(&tdx_lock);
	r = tdx_dpamt_init();
	if (r)
		return r;
	kvm_x86_ops = (struct kvm_x86_ops){
		.name = "kvm_intel_tdx",
		.vm_init = tdx_vm_init,
		.vm_pre_destroy = tdx_vm_pre_destroy,
		.vm_destroy = tdx_vm_destroy,
		.vcpu_precreate = tdx_vcpu_precreate,
		.vcpu_create = tdx_vcpu_create,
		.vcpu_free = tdx_vcpu_free,
		.vcpu_run = tdx_vcpu_run,
		.mem_enc_ioctl = tdx_vm_ioctl,
		.vcpu_mem_enc_ioctl = tdx_vcpu_ioctl,
		.vcpu_mem_enc_unlocked_ioctl = tdx_vcpu_unlocked_ioctl,
		.link_external_spt = tdx_sept_link_private_spt,
		.set_external_spte = tdx_sept_set_private_spte,
		.free_external_spt = tdx_sept_free_private_spt,
		.remove_external_spte = tdx_sept_remove_private_spte,
		.split_external_spte = tdx_sept_split_private_spte,
		.topup_external_split_cache = tdx_topup_external_split_cache,
		.topup_external_cache = tdx_topup_external_cache,
		.gmem_max_mapping_level = tdx_gmem_max_mapping_level,
		.kick_all_vcpus = tdx_kick_all_vcpus,
		.deliver_interrupt = tdx_deliver_interrupt,
		.tdxsim_vm_ioctl = tdxsim_tdx_vm_ioctl,
	};
	return 0;
}
