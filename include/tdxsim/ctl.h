/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tdxsim's own controls: the ioctl requests of type TDXSIMIO on /dev/kvm,
 * VM and vCPU descriptors (design switches and kernel profiles, guest
 * programs, fault injection, counters, reports, verdicts) and their
 * structures. Included by tdxsim/tdxsim.h; a program includes that.
 */
#ifndef TDXSIM_CTL_H
#define TDXSIM_CTL_H

#include "tdxsim/kvm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- tdxsim controls: ioctl requests of type TDXSIMIO ---- */
#define TDXSIMIO	0xAF

/*
 * struct tdxsim_design: a VM's design switches (DESIGN.md, "Kernel profiles
 * and design variants"). A kernel profile (TDXSIM_SET_KERNEL, profiles.h)
 * sets all of them as a release or a posting has them; TDXSIM_SET_DESIGN
 * overrides single ones. Each enum's value 0 is the older behaviour unless
 * it says otherwise; docs/PROFILES.md gives every switch's value per
 * profile and where upstream it comes from.
 */
enum tdxsim_populate {
	/* Open-coded population, no kvm_gmem_populate() (seed 000's RFC). */
	TDXSIM_POPULATE_DECOUPLED = 0,
	/*
	 * 6.16-6.18 "gmem_cb": kvm_gmem_populate() calls
	 * tdx_gmem_post_populate(), which faults the page in with
	 * kvm_tdp_map_page() (the leaf hook only counts it as premapped) and
	 * issues TDH.MEM.PAGE.ADD itself, without mmu_lock.
	 */
	TDXSIM_POPULATE_GMEM = 1,
	/*
	 * 6.19 and later: kvm_gmem_populate() + kvm_tdp_mmu_map_private_pfn();
	 * TDH.MEM.PAGE.ADD is issued from the leaf hook under the read mmu_lock.
	 */
	TDXSIM_POPULATE_MAP_PFN = 2,
};

enum tdxsim_accept_level {
	/* Split and inhibit huge mappings on an ACCEPT-level exit (seed 001). */
	TDXSIM_ACCEPT_LEVEL_SPLIT_INHIBIT = 0,
	/* No accept-level handling (every release: they map 4K only). */
	TDXSIM_ACCEPT_LEVEL_IGNORE = 1,
};

enum tdxsim_vp_init_lock {
	/* TDH.VP.INIT under mmu_lock held for write (seed 002, 6.19). */
	TDXSIM_VP_INIT_LOCK_MMU_WRITE = 0,
	/* TDH.VP.INIT without mmu_lock (6.16-6.18: BUSY in a no-fail path). */
	TDXSIM_VP_INIT_LOCK_NONE = 1,
};

enum tdxsim_gmem_locking {
	/* Linux 6.16-7.2: kvm_gmem_get_pfn() takes no invalidate lock. */
	TDXSIM_GMEM_LOCKING_LEGACY = 0,
	/*
	 * In-flight series: kvm_gmem_get_pfn() and host faults on a guest_memfd
	 * mapping take the invalidate lock shared (host faults under mmap_lock).
	 */
	TDXSIM_GMEM_LOCKING_INFLIGHT = 1,
};

enum tdxsim_populate_gup {
	/* The source page is pinned in the TDX callback, under the lock. */
	TDXSIM_POPULATE_GUP_IN_CALLBACK = 0,
	/* kvm_gmem_populate() pins it before the invalidate lock (7.0). */
	TDXSIM_POPULATE_GUP_BEFORE_LOCK = 1,
};

/* How a SEAMCALL failure on a path that reports it is handled. */
enum tdxsim_fail_style {
	TDXSIM_FAIL_ERROR = 0,		/* an errno, the VM lives on */
	TDXSIM_FAIL_BUG = 1,		/* TDX_BUG_ON: the VM is bugged */
};

enum tdxsim_vm_state_guard {
	/*
	 * 6.16-6.18: kvm->lock around the VM sub-ioctls (and slots_lock for
	 * FINALIZE); INIT_VCPU and INIT_MEM_REGION under their vcpu->mutex.
	 */
	TDXSIM_VM_STATE_GUARD_KVM_LOCK = 0,
	/* 6.19: kvm->lock, every vcpu->mutex and slots_lock ("all the locks"). */
	TDXSIM_VM_STATE_GUARD_ALL = 1,
};

enum tdxsim_caps_locking {
	/* 6.16-6.18: KVM_TDX_CAPABILITIES under kvm->lock, cmd copied back. */
	TDXSIM_CAPS_LOCKING_KVM_LOCK = 0,
	/* 6.19: no lock, no copy-back of the command. */
	TDXSIM_CAPS_LOCKING_NONE = 1,
};

enum tdxsim_bug_macro {
	TDXSIM_BUG_MACRO_KVM_BUG_ON = 0,	/* KVM_BUG_ON + pr_tdx_error */
	TDXSIM_BUG_MACRO_TDX_BUG_ON = 1,	/* TDX_BUG_ON* (6.19) */
};

enum tdxsim_ept_retry_exit {
	/* The local retry stops on events, a signal or a dead VM. */
	TDXSIM_EPT_RETRY_EXIT_EVENTS = 0,
	/* ... and on a memslot being deleted or moved (6.18, 2bc2694f). */
	TDXSIM_EPT_RETRY_EXIT_MEMSLOT_INVALID = 1,
};

enum tdxsim_private_max_level {
	TDXSIM_PRIVATE_MAX_LEVEL_4K = 0,	/* every release */
	TDXSIM_PRIVATE_MAX_LEVEL_2M = 1,	/* TDX huge pages (RFC) */
};

enum tdxsim_mapgpa_user_ret {
	/* Any non-zero hypercall.ret: TDVMCALL_STATUS_INVALID_OPERAND. */
	TDXSIM_MAPGPA_USER_RET_ANY_INVALID = 0,
	/* EAGAIN: RETRY, EINVAL: INVALID_OPERAND, else -EINVAL (3e2dec1e). */
	TDXSIM_MAPGPA_USER_RET_ERRNO_MAP = 1,
};

enum tdxsim_free_external_spt {
	/* The TDP MMU frees the S-EPT page with its shadow page, by RCU. */
	TDXSIM_FREE_EXTERNAL_SPT_RCU = 0,
	/* TDX frees it right after TDH.PHYMEM.PAGE.RECLAIM (7.2, 110d4d26). */
	TDXSIM_FREE_EXTERNAL_SPT_IMMEDIATE = 1,
};

enum tdxsim_gmem_bind_overlap {
	TDXSIM_GMEM_BIND_OVERLAP_EINVAL = 0,
	TDXSIM_GMEM_BIND_OVERLAP_EEXIST = 1,	/* 7.2, 7ea987a9 */
};

enum tdxsim_finalize_lock {
	/* TDH.MR.FINALIZE without mmu_lock (every release, next). */
	TDXSIM_FINALIZE_LOCK_NONE = 0,
	/*
	 * TDH.MR.FINALIZE and the TD's move to RUNNABLE under mmu_lock held
	 * for write: the candidate fix of docs/FINDINGS.md F1 and F3 (not
	 * upstream).
	 */
	TDXSIM_FINALIZE_LOCK_MMU_WRITE = 1,
};

enum tdxsim_gmem_in_place {
	/* Per-VM attributes, KVM_SET_MEMORY_ATTRIBUTES (every release, next). */
	TDXSIM_GMEM_IN_PLACE_OFF = 0,
	/*
	 * guest_memfd in-place conversion v8 with its module parameter
	 * gmem_in_place_conversion=Y: shared/private kept per guest_memfd,
	 * KVM_SET_MEMORY_ATTRIBUTES2 on the guest_memfd, per-VM attributes
	 * disabled (the VM ioctl refuses PRIVATE with EINVAL), host faults on
	 * private pages SIGBUS.
	 */
	TDXSIM_GMEM_IN_PLACE_V8 = 1,
};

enum tdxsim_gmem_conv_refcheck {
	/*
	 * v8 kvm_gmem_is_safe_for_conversion(): a page referenced besides
	 * guest_memfd's own at a to-private conversion fails it with EAGAIN
	 * and its offset in error_offset.
	 */
	TDXSIM_GMEM_CONV_REFCHECK_EAGAIN = 0,
	/* No check: the conversion completes under a host reference (the race). */
	TDXSIM_GMEM_CONV_REFCHECK_NONE = 1,
};

enum tdxsim_gmem_conv_filter {
	/*
	 * v8 kvm_gmem_get_invalidate_filter(inode, start, end): a conversion
	 * zaps every kind of mapping its range holds, so to private also
	 * zaps the pages of the range that were private already.
	 */
	TDXSIM_GMEM_CONV_FILTER_RANGE = 0,
	/* Post-v8: only the old kind (to private SHARED, to shared PRIVATE). */
	TDXSIM_GMEM_CONV_FILTER_OLD = 1,
};

/* TDX huge pages: where a conversion to shared splits the S-EPT. */
enum tdxsim_huge_split_order {
	/*
	 * Before guest_memfd splits the folio and before the invalidation
	 * (v3's FIXUP "Zap mappings before splitting backend folios", v5's
	 * kvm_arch_gmem_convert()): a failed split fails the ioctl with
	 * nothing changed.
	 */
	TDXSIM_HUGE_SPLIT_ORDER_SEPT_FIRST = 0,
	/*
	 * After (Ackerley Tng's order of 2026-01-06: the folio split at step
	 * 2b, the S-EPT split with the zap, after the invalidation began):
	 * past the point of no return.
	 */
	TDXSIM_HUGE_SPLIT_ORDER_FOLIO_FIRST = 1,
};

enum tdxsim_page_reset {
	/* Reset a page the module gave back only if it may hold data (quirk). */
	TDXSIM_PAGE_RESET_QUIRK = 0,
	/* 6.16 tdx_clear_page(): always (MOVDIR64B over the page). */
	TDXSIM_PAGE_RESET_ALWAYS = 1,
};

/* The Dynamic PAMT overlay's switches (enum tdxsim_dpamt ...). */
#include "tdxsim/dpamt.h"

/* The TDX huge-page overlay's switches (enum tdxsim_huge_split_lock ...). */
#include "tdxsim/hugepage.h"

enum tdxsim_extend_lock {
	/*
	 * TDH.MR.EXTEND of KVM_TDX_INIT_MEM_REGION's measurement without
	 * mmu_lock (every release, next).
	 */
	TDXSIM_EXTEND_LOCK_NONE = 0,
	/*
	 * The TDH.MR.EXTEND calls measuring a page under mmu_lock held for
	 * write: the candidate fix of docs/FINDINGS.md F1's second window
	 * (not upstream).
	 */
	TDXSIM_EXTEND_LOCK_MMU_WRITE = 1,
};

/* The layout of struct tdxsim_design this header describes. */
#define TDXSIM_DESIGN_VERSION	2

struct tdxsim_design {
	/*
	 * TDXSIM_DESIGN_VERSION: the layout the caller fills (SET) or
	 * reads (GET, filled by KVM). Later versions only use reserved
	 * space, which earlier callers leave zero: KVM keeps the profile's
	 * value for a switch the caller's version does not have.
	 */
	__tdxsim_u32 version;
	__tdxsim_u32 populate;		/* enum tdxsim_populate */
	__tdxsim_u32 accept_level;	/* enum tdxsim_accept_level */
	__tdxsim_u32 vp_init_lock;	/* enum tdxsim_vp_init_lock */
	/* 1: TDX holds a page reference per mapped page (before seed 003). */
	__tdxsim_u32 pin_pages;
	/* 1: freeze mirror SPTEs around S-EPT updates (seed 004). */
	__tdxsim_u32 mirror_freeze;
	__tdxsim_u32 gmem_locking;	/* enum tdxsim_gmem_locking */
	/* World: the version passed to TDH.VP.INIT (0 or 1; KVM passes 1). */
	__tdxsim_u32 vp_init_version;
	/*
	 * World: 1: guest_memfd files created from now on use 2M folios
	 * where the file offset is 2M aligned and the file covers the whole
	 * 2M (the huge-folio guest_memfd series; not merged).
	 */
	__tdxsim_u32 gmem_hugepages;
	/*
	 * World: 1: KVM_TDX_INIT_MEM_REGION with MEASURE adds the whole
	 * region first and extends it afterwards (the older two-pass API).
	 */
	__tdxsim_u32 measure_two_pass;
	/* 1: count premapped leaves (nr_premapped): FINALIZE -EINVAL, zap case. */
	__tdxsim_u32 premap_count;
	__tdxsim_u32 populate_gup;	/* enum tdxsim_populate_gup */
	/* 1: kvm_gmem_populate() answers -EEXIST for a prepared folio. */
	__tdxsim_u32 populate_eexist;
	/* 1: INIT_MEM_REGION refuses a NULL source with -EINVAL (next). */
	__tdxsim_u32 populate_src_null_check;
	__tdxsim_u32 page_add_fail;	/* enum tdxsim_fail_style */
	__tdxsim_u32 mr_extend_fail;	/* enum tdxsim_fail_style */
	__tdxsim_u32 vm_state_guard;	/* enum tdxsim_vm_state_guard */
	/* 1: INIT_VCPU, INIT_MEM_REGION are "unlocked" vCPU ioctls (6.19). */
	__tdxsim_u32 init_vcpu_ioctls_unlocked;
	__tdxsim_u32 caps_locking;	/* enum tdxsim_caps_locking */
	/* 1: KVM_TDX_INIT_VM refuses a cpuid.nent changed between reads. */
	__tdxsim_u32 td_init_nent_recheck;
	/* TDH.MNG.CREATE/ADDCX/INIT failure: WARN (ERROR) or TDX_BUG_ON. */
	__tdxsim_u32 mng_create_fail;	/* enum tdxsim_fail_style */
	__tdxsim_u32 bug_macro;		/* enum tdxsim_bug_macro */
	__tdxsim_u32 ept_retry_exit;	/* enum tdxsim_ept_retry_exit */
	__tdxsim_u32 private_max_level;	/* enum tdxsim_private_max_level */
	__tdxsim_u32 mapgpa_user_ret;	/* enum tdxsim_mapgpa_user_ret */
	/* 1: a failed mirror freeze refreshes iter->old_spte (7.2, 02eaaffd). */
	__tdxsim_u32 mirror_cmpxchg_refresh_old;
	__tdxsim_u32 free_external_spt;	/* enum tdxsim_free_external_spt */
	__tdxsim_u32 gmem_bind_overlap;	/* enum tdxsim_gmem_bind_overlap */
	__tdxsim_u32 page_reset;	/* enum tdxsim_page_reset */
	/* 1: a pre-fault of a slot being deleted answers -EAGAIN (6.18). */
	__tdxsim_u32 prefault_eagain;
	/*
	 * 1: a private zap, a conversion or an accept-level exit first splits
	 * the 2M mappings that cross its range (TDX huge pages RFC).
	 */
	__tdxsim_u32 huge_split;
	__tdxsim_u32 dpamt;		/* enum tdxsim_dpamt */
	/* 1: DPAMT only if the host has at most 48 physical address bits (v6 10/11). */
	__tdxsim_u32 dpamt_phys_check;
	/* World: the host's physical address bits: 0 = 46, 1 = 52. */
	__tdxsim_u32 phys_bits;
	__tdxsim_u32 dpamt_get_recheck;	/* enum tdxsim_dpamt_get_recheck */
	/*
	 * enum tdxsim_finalize_lock; 0 (none) is every profile's value, so a
	 * caller that left this word reserved (zero) keeps upstream's.
	 */
	__tdxsim_u32 finalize_lock;
	__tdxsim_u32 gmem_in_place;	/* enum tdxsim_gmem_in_place */
	__tdxsim_u32 gmem_conv_refcheck; /* enum tdxsim_gmem_conv_refcheck */
	__tdxsim_u32 gmem_conv_filter;	/* enum tdxsim_gmem_conv_filter */
	/* enum tdxsim_huge_split_order (0: the huge-page series' order). */
	__tdxsim_u32 huge_split_order;
	/*
	 * 1: kvm_gmem_error_folio() splits the S-EPT before it unmaps a
	 * poisoned page (Yan Zhao's plan of 2026-01-19; no posting has it).
	 */
	__tdxsim_u32 huge_error_split;
	__tdxsim_u32 dpamt_put;		/* enum tdxsim_dpamt_put */
	__tdxsim_u32 dpamt_lock;	/* enum tdxsim_dpamt_lock */
	__tdxsim_u32 demote_under_pamt_lock; /* enum tdxsim_demote_pamt_lock */
	__tdxsim_u32 huge_inhibit_order; /* enum tdxsim_huge_inhibit_order */
	__tdxsim_u32 huge_split_lock;	/* enum tdxsim_huge_split_lock */
	__tdxsim_u32 split_cache_lock;	/* enum tdxsim_split_cache_lock */
	__tdxsim_u32 accept_split_root;	/* enum tdxsim_accept_split_root */
	/*
	 * enum tdxsim_extend_lock; 0 (none) is every profile's value, so a
	 * caller that left this word reserved (zero) keeps upstream's.
	 */
	__tdxsim_u32 extend_lock;
	__tdxsim_u32 fault_invalidate_retry; /* 1: a fault skips the recheck */
	__tdxsim_u32 dpamt_remove_fail;	/* enum tdxsim_dpamt_remove_fail */
	/* Room for the switches of later overlays. */
	__tdxsim_u32 reserved[13];	/* must be zero */
};

/*
 * TDXSIM_SET_KERNEL / TDXSIM_GET_KERNEL: the kernel profile a VM runs, by
 * name: a release ("v6.16" ... "next") optionally followed by overlays
 * ("next+hugepage-rfc"); tdxsim_kernel_profiles() lists them.
 */
#define TDXSIM_KERNEL_NAME_MAX	64

struct tdxsim_kernel {
	char name[TDXSIM_KERNEL_NAME_MAX];	/* NUL-terminated */
	/* GET: TDXSIM_KERNEL_MODIFIED if TDXSIM_SET_DESIGN changed a switch. */
	__tdxsim_u32 flags;
	__tdxsim_u32 reserved[7];		/* must be zero */
};
#define TDXSIM_KERNEL_MODIFIED	(1U << 0)

/* The profile a new VM starts with. */
#define TDXSIM_KERNEL_DEFAULT	"next"

/* TDXSIM_SET_GUEST: the guest program a vCPU runs (opaque to KVM). */
struct tdxsim_guest {
	const void *ops;	/* the guest program's operations */
	void *guest;		/* its context */
};

/*
 * TDXSIM_INJECT_FAULT: make the @nth call (1 = the next one) of SEAMCALL
 * leaf @leaf on this VM's TD, counted from this request, answer @status:
 * the module answers it in place of the leaf and counts it in the TD's
 * statistics like any answer. At most 16 injections are pending per VM.
 * A TDX VM only, once KVM_TDX_INIT_VM made its TD (else EINVAL).
 */
/*
 * Not a SEAMCALL: with @leaf TDXSIM_INJECT_SPLIT_ENOMEM, the @nth split of
 * a private (mirror) huge mapping from this request finds no memory for
 * its page table (-ENOMEM), as when its cache could not be filled; @status
 * must be non-zero and is not used. The TDX huge-page overlay only.
 */
#define TDXSIM_INJECT_SPLIT_ENOMEM	0x100
/*
 * Not a SEAMCALL: with @leaf TDXSIM_INJECT_PAMT_CACHE_EMPTY, the @nth
 * tdx_pamt_get() from a vCPU's tdx_pamt_cache (a fault's S-EPT or guest
 * page) that needs a PAMT pair (its region has none) from this request
 * finds the cache empty, as when a fault needs
 * more PAMT pairs than were topped up. Dynamic PAMT (v6) only.
 */
#define TDXSIM_INJECT_PAMT_CACHE_EMPTY	0x101
/*
 * With TDXSIM_INJECT_HOST or'ed into @leaf: the @nth call of the leaf on
 * the host, whichever TD it names or none: for TDH.PHYMEM.PAMT.ADD and
 * PAMT.REMOVE (Dynamic PAMT), which run without a TD. Any VM may ask.
 */
#define TDXSIM_INJECT_HOST		0x200

struct tdxsim_inject_fault {
	__tdxsim_u32 leaf;	/* SEAMCALL leaf number (< 128) */
	__tdxsim_u32 nth;	/* >= 1 */
	__tdxsim_u64 status;	/* TDX status to return (non-zero) */
};

#define TDXSIM_NR_VENDOR_STATS	32

/* Indices of tdxsim_stats.vendor[] for a TDX VM (filled by KVM's TDX code). */
enum tdxsim_tdx_stat {
	TDXSIM_TDX_STAT_PREMAPPED,	/* leaves premapped before PAGE.ADD */
	TDXSIM_TDX_STAT_PAGE_ADD,	/* pages added by INIT_MEM_REGION */
	TDXSIM_TDX_STAT_MR_EXTEND,	/* TDH.MR.EXTEND calls */
	TDXSIM_TDX_STAT_AUG,		/* TDH.MEM.PAGE.AUG that succeeded */
	TDXSIM_TDX_STAT_SEPT_ADD,	/* S-EPT pages linked */
	TDXSIM_TDX_STAT_REMOVE,		/* leaves removed from the S-EPT */
	TDXSIM_TDX_STAT_HOOK_BUSY,	/* install hooks that returned -EBUSY */
	TDXSIM_TDX_STAT_NO_VCPUS_RETRY,	/* BUSY retried with every vCPU out */
	TDXSIM_TDX_STAT_EPT_VIOLATIONS,	/* EPT-violation TD exits handled */
	TDXSIM_TDX_STAT_ACCEPT_EXITS,	/* EPT violations with the accept level */
	TDXSIM_TDX_STAT_SPLITS,		/* S-EPT 2M leaves demoted */
	TDXSIM_TDX_STAT_MAP_GPA,	/* MapGPA hypercalls */
	TDXSIM_TDX_STAT_VP_ENTER,	/* TDH.VP.ENTER calls */
	TDXSIM_TDX_STAT_VP_ENTER_BUSY,	/* TDH.VP.ENTER that answered BUSY */
	TDXSIM_TDX_STAT_LIVELOCK,	/* the livelock detector fired */
	TDXSIM_TDX_STAT_RECLAIMED,	/* pages reclaimed from the module */
	TDXSIM_TDX_STAT_TRACK,		/* TDH.MEM.TRACK calls (tdx_track()) */
	/* 2M S-EPT splits refused under the read mmu_lock (v3 09/24) */
	TDXSIM_TDX_STAT_SPLIT_REFUSED,
	TDXSIM_TDX_NR_STATS,
};

/* TDXSIM_GET_STATS: event counters of one VM since its creation. */
struct tdxsim_stats {
	__tdxsim_u64 faults;		/* guest page faults handled by the MMU */
	__tdxsim_u64 fault_retries;	/* faults that ended in RET_PF_RETRY */
	__tdxsim_u64 memory_fault_exits; /* KVM_EXIT_MEMORY_FAULT exits */
	__tdxsim_u64 pre_faults;	/* KVM_PRE_FAULT_MEMORY steps */
	__tdxsim_u64 conversions;	/* SET_MEMORY_ATTRIBUTES that changed */
	__tdxsim_u64 pages_to_private;	/* 4K pages converted to private */
	__tdxsim_u64 pages_to_shared;	/* 4K pages converted to shared */
	__tdxsim_u64 punch_holes;	/* guest_memfd PUNCH_HOLE calls */
	__tdxsim_u64 gmem_folios_allocated; /* guest_memfd folios allocated */
	__tdxsim_u64 gmem_folios_freed;	/* guest_memfd folios freed */
	__tdxsim_u64 gmem_folio_splits;	/* 2M folios split into 4K */
	__tdxsim_u64 splits;		/* huge mappings split by the MMU */
	__tdxsim_u64 zaps;		/* kvm_unmap_gfn_range() calls */
	__tdxsim_u64 zapped_leaves;	/* leaf SPTEs zapped */
	__tdxsim_u64 tlb_flushes;	/* remote TLB flushes */
	__tdxsim_u64 invalidations;	/* mmu_invalidate begin/end pairs */
	__tdxsim_u64 memslot_updates;	/* successful memslot changes */
	__tdxsim_u64 kicks;		/* kvm_make_all_cpus_request() calls */
	__tdxsim_u64 vm_bugged;		/* 1 once KVM_BUG_ON fired */
	__tdxsim_u64 reserved[13];	/* zero */
	/* Filled by the vendor code (TDX: SEAMCALL counts and the like). */
	__tdxsim_u64 vendor[TDXSIM_NR_VENDOR_STATS];
};

/* Number of SEAMCALL (and TDCALL) leaves in struct tdxsim_td_stats. */
#define TDXSIM_NR_LEAVES	64
/* Number of VMX exit reasons in struct tdxsim_td_stats. */
#define TDXSIM_NR_EXIT_REASONS	80

/* TDXSIM_GET_MRTD: the TD's build-time measurement (after finalize). */
struct tdxsim_mrtd {
	__tdxsim_u8 mrtd[48];		/* SHA-384 digest, as TDH.MNG.RD reads it */
};

/* TDXSIM_GET_TD_STATS: the software TDX module's counters for one TD. */
struct tdxsim_td_stats {
	__tdxsim_u64 seamcalls[TDXSIM_NR_LEAVES]; /* SEAMCALLs per leaf */
	__tdxsim_u64 tdcalls[TDXSIM_NR_LEAVES];	/* guest TDCALLs per leaf */
	__tdxsim_u64 busy[TDXSIM_NR_LEAVES];	/* TDX_OPERAND_BUSY per leaf */
	__tdxsim_u64 exits[TDXSIM_NR_EXIT_REASONS]; /* TD exits per reason */
	__tdxsim_u64 errors;		/* failed SEAMCALLs other than BUSY */
	__tdxsim_u64 cost_ns;		/* modelled module time */
	__tdxsim_u64 pages_owned;	/* PAMT pages the TD owns now */
	/*
	 * Dynamic PAMT: 2M regions with a PAMT page pair (8 KiB each) where
	 * the TD holds a 4K-level page now (0 with static PAMT).
	 */
	__tdxsim_u64 pamt_pairs;
	__tdxsim_u64 reserved[4];	/* zero */
};

/*
 * TDXSIM_CHECK_INVARIANTS: cross-check KVM's mirror page tables against the
 * module's S-EPT and PAMT. @buf/@len (in): a buffer for the report text
 * (NUL-terminated, truncated to fit; 0/0 for none). @errors (out): the
 * number of violations found.
 */
struct tdxsim_check {
	__tdxsim_u64 buf;		/* user pointer */
	__tdxsim_u32 len;		/* its size in bytes */
	__tdxsim_u32 errors;
};

/* kvm_run.internal.suberror when tdxsim detects a guest livelock. */
#define TDXSIM_INTERNAL_ERROR_LIVELOCK	0x7d51

/*
 * TDXSIM_GET_MODULE_STATS (/dev/kvm fd): the software TDX module as a whole,
 * for teardown checks and the seed-003 scenario.
 */
struct tdxsim_module_stats {
	/* Host frees of pages the module still owned (PAMT check). */
	__tdxsim_u64 pamt_violations;
	/* Pages the module owns for any TD right now (0 after teardown). */
	__tdxsim_u64 pages_owned;
	/*
	 * PAMT memory in bytes: static PAMT for the host's memory (16 B per
	 * 4K page, about 1/256, + the 2M and 1G levels), and Dynamic PAMT's
	 * at the most pairs installed at once (2M/1G levels, the bitmap,
	 * 8 KiB per pair, the kernel's refcount array); 0 if DPAMT is off.
	 */
	__tdxsim_u64 pamt_static_bytes;
	__tdxsim_u64 pamt_dynamic_peak_bytes;
	__tdxsim_u64 pamt_pairs;	/* page pairs installed now */
	__tdxsim_u64 pamt_pairs_peak;	/* the most at once */
	/* TDH.PHYMEM.PAMT.ADD and .REMOVE calls (any status), host-wide. */
	__tdxsim_u64 pamt_adds;
	__tdxsim_u64 pamt_removes;
};

/*
 * TDXSIM_GET_HOST_MEMORY (/dev/kvm fd): the simulated host's physical
 * memory (the PFN space every guest page, page table and module page comes
 * from).
 */
struct tdxsim_host_memory {
	__tdxsim_u64 total_pages;	/* 4K pages in the PFN space */
	__tdxsim_u64 pages_in_use;	/* 4K pages allocated now */
	__tdxsim_u64 peak_pages_in_use;	/* the most ever allocated at once */
	__tdxsim_u64 blocks_2m_in_use;	/* 2M blocks allocated as such */
	__tdxsim_u64 allocs;		/* allocations */
	__tdxsim_u64 frees;		/* blocks freed */
	__tdxsim_u64 page_meta_bytes;	/* sizeof(struct page) */
	/* Metadata of the 2M blocks in use (free blocks' is given back). */
	__tdxsim_u64 meta_bytes_touched;
	/*
	 * Host metadata per 4K page while it is in use: struct page plus the
	 * module's PAMT entry (and any other per-PFN array), in bytes.
	 */
	__tdxsim_u64 metadata_bytes_per_page;
	/* Metadata bytes resident now (mincore() over its arrays). */
	__tdxsim_u64 meta_bytes_resident;
	__tdxsim_u64 blocks_returned;	/* 2M blocks given back to the OS */
	__tdxsim_u64 madvise_calls;	/* MADV_DONTNEED calls made for that */
};

/* ---- what happened, as data ---- */

/* A SEAMCALL that KVM reported failing (struct tdxsim_vm_failure). */
struct tdxsim_seamcall_failure {
	__tdxsim_u32 leaf;		/* SEAMCALL leaf (TDH_* of tdxsim/tdx.h) */
	__tdxsim_u32 reserved;
	__tdxsim_u64 status;		/* its TDX status (RAX), operand id included */
	__tdxsim_u64 entry;		/* RCX output: S-EPT entry or extended info */
	__tdxsim_u64 level_state;	/* RDX output: the entry's level and state */
	char func[32];			/* the KVM function that issued it */
};

/*
 * TDXSIM_GET_VM_FAILURE (VM fd or vCPU fd, also on a dead VM): what went wrong in one
 * VM. Judge a run by these fields, never by the log's wording.
 */
struct tdxsim_vm_failure {
	/* SEAMCALLs whose failure KVM reported (it bugs the VM). */
	__tdxsim_u64 seamcall_failures;
	/* The first of them (the one that bugged the VM) and the last. */
	struct tdxsim_seamcall_failure first_seamcall;
	struct tdxsim_seamcall_failure last_seamcall;
	/* 1 once KVM_BUG_ON() marked the VM bugged, with its site: */
	__tdxsim_u32 bugged;
	__tdxsim_u32 bug_line;		/* line, */
	char bug_file[48];		/* source file ("src/kvm/tdx.c"), */
	char bug_func[40];		/* and function of the KVM_BUG_ON() */
	/* WARN()s in the whole process since the VM was created. */
	__tdxsim_u64 warnings;
	/*
	 * TDX: the TDH.MEM.TRACK calls KVM had made for the VM when the first
	 * SEAMCALL failure was reported (0: KVM never TLB-tracked the TD;
	 * docs/FINDINGS.md F3 is a PAGE.REMOVE that needed a track KVM
	 * skipped).
	 */
	__tdxsim_u64 tracks;
	/*
	 * Dynamic PAMT, host-wide since the VM was created: the
	 * TDH.PHYMEM.PAMT.ADD/REMOVE calls the module failed (v6's kernel
	 * WARNs at each), and the last one's leaf and status.
	 */
	__tdxsim_u32 pamt_errors;
	__tdxsim_u32 pamt_last_leaf;	/* TDH_PHYMEM_PAMT_ADD or _REMOVE */
	__tdxsim_u64 pamt_last_status;	/* operand id included */
	__tdxsim_u64 reserved[1];	/* zero */
};

/* One lock-validator or scheduler report (TDXSIM_GET_REPORTS). */
struct tdxsim_report_entry {
	__tdxsim_u32 kind;		/* enum tdxsim_report_kind (tdxsim/report.h) */
	__tdxsim_u32 reserved;
	/* The lock classes it names, comma-separated ("&kvm->mmu_lock"). */
	char classes[120];
};

/*
 * TDXSIM_GET_REPORTS (/dev/kvm fd): the reports made in the process since
 * it started or tdxsim_reset_reports(). @nr (in): room in @entries;
 * (out): the number of reports. With too little room the call fails with
 * E2BIG and only @nr is written, as KVM_GET_MSR_INDEX_LIST does.
 */
struct tdxsim_reports {
	__tdxsim_u32 nr;
	__tdxsim_u32 reserved;		/* zero */
	__tdxsim_u64 entries;		/* user pointer: struct tdxsim_report_entry[] */
};

/* Kinds of lock (struct tdxsim_lock_class.kind). */
enum tdxsim_lock_kind {
	TDXSIM_LOCK_MUTEX,
	TDXSIM_LOCK_SPINLOCK,
	TDXSIM_LOCK_RWLOCK,
	TDXSIM_LOCK_RWSEM,
	TDXSIM_LOCK_SRCU,
	TDXSIM_LOCK_RCU,
};

/*
 * One lock class's acquisitions (TDXSIM_GET_LOCK_STATS), summed over every
 * class of that name (one per initialisation site) and every lock of it,
 * since the process started: the lock validator counts each acquisition it
 * sees (read: shared and recursive-read; write: exclusive; successful
 * trylocks included) and each one that had to wait (contention).
 */
struct tdxsim_lock_class {
	char name[64];			/* "&kvm->mmu_lock", NUL-terminated */
	__tdxsim_u32 kind;		/* enum tdxsim_lock_kind */
	__tdxsim_u32 reserved;
	__tdxsim_u64 acquisitions_read;
	__tdxsim_u64 acquisitions_write;
	__tdxsim_u64 contentions_read;
	__tdxsim_u64 contentions_write;
};

/*
 * TDXSIM_GET_LOCK_STATS (/dev/kvm fd): every lock class's counts. @nr (in):
 * room in @classes; (out): the number of classes. With too little room the
 * call fails with E2BIG and only @nr is written. @flags (out):
 * TDXSIM_LOCK_STATS_OFF when the validator is off (then nothing is counted).
 */
struct tdxsim_lock_stats {
	__tdxsim_u32 nr;
	__tdxsim_u32 flags;
	__tdxsim_u64 classes;		/* user pointer: struct tdxsim_lock_class[] */
};
#define TDXSIM_LOCK_STATS_OFF	(1U << 0)

/* What a task was doing when a verdict was made (tdxsim_verdict_task.wait). */
enum tdxsim_task_wait {
	TDXSIM_TASK_RUNNABLE,		/* it could run (a livelock) */
	TDXSIM_TASK_WAITS_LOCK,		/* for the lock of class @on */
	TDXSIM_TASK_WAITS_QUEUE,	/* on wait queue @on until @until */
	TDXSIM_TASK_WAITS_JOIN,		/* for task @until to exit */
	TDXSIM_TASK_WAITS_RCU,		/* for RCU readers to leave */
	TDXSIM_TASK_BLOCKED,		/* otherwise blocked */
};

#define TDXSIM_VERDICT_MAX_TASKS	16

struct tdxsim_verdict_task {
	char name[32];			/* the thread's name */
	__tdxsim_u32 id;		/* its id in the run */
	__tdxsim_u32 wait;		/* enum tdxsim_task_wait */
	char on[64];			/* lock class or wait queue name */
	char until[64];			/* the wait's condition, or the task joined */
};

/*
 * TDXSIM_GET_SCHED_VERDICT (/dev/kvm fd): the verdict of the process's
 * last scheduler run (tdxsim_sched_run()) and, for a deadlock, hang or
 * livelock, the tasks that were alive when it was made.
 */
struct tdxsim_sched_verdict {
	__tdxsim_u32 verdict;		/* enum tdxsim_verdict (tdxsim/sched.h) */
	__tdxsim_u32 nr_tasks;		/* entries of @tasks filled */
	__tdxsim_u64 seed;		/* the run's seed */
	__tdxsim_u64 steps;		/* schedule points when it was made */
	__tdxsim_u64 reserved[5];	/* zero */
	struct tdxsim_verdict_task tasks[TDXSIM_VERDICT_MAX_TASKS];
};

/*
 * Set the design switches of a VM; VM fd, before KVM_TDX_INIT_VM and any
 * vCPU (EBUSY after). EINVAL for an unknown version, a value out of range
 * or a non-zero reserved field, with nothing changed.
 */
#define TDXSIM_SET_DESIGN	_IOW(TDXSIMIO, 0x00, struct tdxsim_design)
/* Read the design switches of a VM; VM fd. */
#define TDXSIM_GET_DESIGN	_IOR(TDXSIMIO, 0x01, struct tdxsim_design)
/*
 * Select a VM's kernel profile by name; VM fd, before KVM_TDX_INIT_VM and
 * any vCPU (EBUSY after). Sets every design switch to the profile's values.
 * EINVAL for an unknown name, with nothing changed.
 */
#define TDXSIM_SET_KERNEL	_IOW(TDXSIMIO, 0x10, struct tdxsim_kernel)
/* The VM's kernel profile; VM fd. */
#define TDXSIM_GET_KERNEL	_IOR(TDXSIMIO, 0x11, struct tdxsim_kernel)
/* Attach a guest program to a vCPU; vCPU fd, before KVM_TDX_INIT_VCPU. */
#define TDXSIM_SET_GUEST	_IOW(TDXSIMIO, 0x02, struct tdxsim_guest)
/* Inject a SEAMCALL failure; VM fd. */
#define TDXSIM_INJECT_FAULT	_IOW(TDXSIMIO, 0x03, struct tdxsim_inject_fault)
/* Read the VM's counters; VM fd or vCPU fd (also on a dead VM). */
#define TDXSIM_GET_STATS	_IOR(TDXSIMIO, 0x04, struct tdxsim_stats)
/* The vendor's controls (TDX VMs; -ENOTTY for others; -EIO once dead). */
#define TDXSIM_GET_MRTD		_IOR(TDXSIMIO, 0x05, struct tdxsim_mrtd)
/* Read the software TDX module's global counters; /dev/kvm fd. */
#define TDXSIM_GET_MODULE_STATS	_IOR(TDXSIMIO, 0x08, struct tdxsim_module_stats)
#define TDXSIM_GET_TD_STATS	_IOR(TDXSIMIO, 0x06, struct tdxsim_td_stats)
/* Read the host's physical memory counters; /dev/kvm fd. */
#define TDXSIM_GET_HOST_MEMORY	_IOR(TDXSIMIO, 0x09, struct tdxsim_host_memory)
#define TDXSIM_CHECK_INVARIANTS	_IOWR(TDXSIMIO, 0x07, struct tdxsim_check)
/* What went wrong in a VM; VM fd or vCPU fd (also on a dead VM). */
#define TDXSIM_GET_VM_FAILURE	_IOR(TDXSIMIO, 0x0a, struct tdxsim_vm_failure)
/* The process's lock-validator and scheduler reports; /dev/kvm fd. */
#define TDXSIM_GET_REPORTS	_IOWR(TDXSIMIO, 0x0b, struct tdxsim_reports)
/* The last scheduler run's verdict and its tasks; /dev/kvm fd. */
#define TDXSIM_GET_SCHED_VERDICT _IOR(TDXSIMIO, 0x0c, struct tdxsim_sched_verdict)
/* Every lock class's acquisition counts; /dev/kvm fd. */
#define TDXSIM_GET_LOCK_STATS	_IOWR(TDXSIMIO, 0x18, struct tdxsim_lock_stats)

_Static_assert(sizeof(struct tdxsim_design) == 256, "tdxsim_design");
_Static_assert(sizeof(struct tdxsim_kernel) == 96, "tdxsim_kernel");
_Static_assert(sizeof(struct tdxsim_stats) == 64 * 8, "tdxsim_stats");
_Static_assert(sizeof(struct tdxsim_td_stats) == 280 * 8, "tdxsim_td_stats");
_Static_assert(sizeof(struct tdxsim_check) == 16, "tdxsim_check");
_Static_assert(sizeof(struct tdxsim_host_memory) == 96, "tdxsim_host_memory");
_Static_assert(sizeof(struct tdxsim_seamcall_failure) == 64,
	       "tdxsim_seamcall_failure");
_Static_assert(sizeof(struct tdxsim_vm_failure) == 272, "tdxsim_vm_failure");
_Static_assert(sizeof(struct tdxsim_report_entry) == 128,
	       "tdxsim_report_entry");
_Static_assert(sizeof(struct tdxsim_reports) == 16, "tdxsim_reports");
_Static_assert(sizeof(struct tdxsim_lock_class) == 104, "tdxsim_lock_class");
_Static_assert(sizeof(struct tdxsim_lock_stats) == 16, "tdxsim_lock_stats");
_Static_assert(sizeof(struct tdxsim_verdict_task) == 168,
	       "tdxsim_verdict_task");
_Static_assert(sizeof(struct tdxsim_sched_verdict) ==
	       64 + TDXSIM_VERDICT_MAX_TASKS * 168, "tdxsim_sched_verdict");

#ifdef __cplusplus
}
#endif

#endif /* TDXSIM_CTL_H */
