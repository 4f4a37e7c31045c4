// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tdxsim's addition: the kernel profiles. The kernel has one behaviour per
 * build; tdxsim models several kernels in one program, so each behaviour
 * that differs between releases (or between a release and an unmerged
 * series) is a design switch of the VM (struct tdxsim_design), and a
 * profile is the set of switch values one kernel has, each with the
 * commit, release or posting it was read in (docs/upstream/releases.md is
 * the reference; its tags T616, T619, KX, ... name the file versions read).
 * TDXSIM_SET_KERNEL applies a profile to a VM (tdxsim_ctl.c); the same
 * table is public (include/tdxsim/profiles.h) for `tdxsim kernels` and
 * docs/PROFILES.md.
 *
 * A kernel profile lists what it changes from its parent; an overlay lists
 * what its series changes on whatever base it is applied to. Later
 * overlays are further entries of `profiles` below, with their switches
 * in struct tdxsim_design's reserved space (as gmem-inplace's are).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "tdxsim/profiles.h"
#include "ulib/compiler.h"

#define SW(n, field, is_world, text, ...)				\
	{ .name = n, .offset = offsetof(struct tdxsim_design, field),	\
	  .values = { __VA_ARGS__, NULL }, .world = is_world, .what = text }

/* In struct order (docs/PROFILES.md lists them the same way). */
static const struct tdxsim_design_switch switches[] = {
	SW("populate", populate, false,
	   "where KVM_TDX_INIT_MEM_REGION issues TDH.MEM.PAGE.ADD",
	   "decoupled", "gmem_cb", "map_pfn"),
	SW("accept_level", accept_level, false,
	   "split and inhibit a huge mapping on an accept-level EPT violation",
	   "split_inhibit", "ignore"),
	SW("vp_init_lock", vp_init_lock, false,
	   "the lock held around TDH.VP.INIT",
	   "mmu_write", "none"),
	SW("pin_pages", pin_pages, false,
	   "TDX holds a page reference per page mapped in the S-EPT",
	   "off", "on"),
	SW("mirror_freeze", mirror_freeze, false,
	   "freeze a mirror SPTE while its S-EPT update runs",
	   "off", "on"),
	SW("gmem_locking", gmem_locking, false,
	   "kvm_gmem_get_pfn() and host faults take the invalidate lock",
	   "legacy", "inflight"),
	SW("vp_init_version", vp_init_version, true,
	   "the TDH.VP.INIT version the module is called with",
	   "0", "1"),
	SW("gmem_hugepages", gmem_hugepages, true,
	   "guest_memfd allocates 2M folios where they fit",
	   "off", "on"),
	SW("measure_two_pass", measure_two_pass, true,
	   "the VMM adds a whole region before measuring it",
	   "off", "on"),
	SW("premap_count", premap_count, false,
	   "count premapped leaves (FINALIZE -EINVAL, the zap's premap case)",
	   "off", "on"),
	SW("populate_gup", populate_gup, false,
	   "where the source page of a populate is pinned",
	   "in_callback", "before_lock"),
	SW("populate_eexist", populate_eexist, false,
	   "kvm_gmem_populate() answers -EEXIST for a prepared folio",
	   "off", "on"),
	SW("populate_src_null_check", populate_src_null_check, false,
	   "KVM_TDX_INIT_MEM_REGION refuses a NULL source (-EINVAL)",
	   "off", "on"),
	SW("page_add_fail", page_add_fail, false,
	   "a TDH.MEM.PAGE.ADD failure other than BUSY",
	   "error", "bug"),
	SW("mr_extend_fail", mr_extend_fail, false,
	   "a TDH.MR.EXTEND failure",
	   "error", "bug"),
	SW("vm_state_guard", vm_state_guard, false,
	   "the locks around INIT_VM, FINALIZE, INIT_VCPU, INIT_MEM_REGION",
	   "kvm_lock", "all"),
	SW("init_vcpu_ioctls_unlocked", init_vcpu_ioctls_unlocked, false,
	   "INIT_VCPU and INIT_MEM_REGION run outside vcpu->mutex",
	   "off", "on"),
	SW("caps_locking", caps_locking, false,
	   "KVM_TDX_CAPABILITIES under kvm->lock with the command copied back",
	   "kvm_lock", "none"),
	SW("td_init_nent_recheck", td_init_nent_recheck, false,
	   "KVM_TDX_INIT_VM refuses a cpuid.nent changed between its reads",
	   "off", "on"),
	SW("mng_create_fail", mng_create_fail, false,
	   "a TDH.MNG.CREATE, ADDCX or INIT failure",
	   "error", "bug"),
	SW("bug_macro", bug_macro, false,
	   "how a SEAMCALL failure that bugs the VM is reported",
	   "kvm_bug_on", "tdx_bug_on"),
	SW("ept_retry_exit", ept_retry_exit, false,
	   "what ends the EPT-violation local retry loop besides events",
	   "events", "memslot_invalid"),
	SW("private_max_level", private_max_level, false,
	   "the largest private mapping (the leaf hooks bug the VM above it)",
	   "4k", "2m"),
	SW("mapgpa_user_ret", mapgpa_user_ret, false,
	   "how a MapGPA exit's hypercall.ret becomes the TDVMCALL status",
	   "any_invalid", "errno_map"),
	SW("mirror_cmpxchg_refresh_old", mirror_cmpxchg_refresh_old, false,
	   "a failed mirror freeze refreshes iter->old_spte",
	   "off", "on"),
	SW("free_external_spt", free_external_spt, false,
	   "when an S-EPT page is freed after TDH.PHYMEM.PAGE.RECLAIM",
	   "rcu", "immediate"),
	SW("gmem_bind_overlap", gmem_bind_overlap, false,
	   "the errno for a guest_memfd range bound twice",
	   "einval", "eexist"),
	SW("page_reset", page_reset, false,
	   "resetting a page the module gave back",
	   "quirk", "always"),
	SW("prefault_eagain", prefault_eagain, false,
	   "KVM_PRE_FAULT_MEMORY of a slot being deleted answers -EAGAIN",
	   "off", "on"),
	SW("huge_split", huge_split, false,
	   "split 2M private mappings crossing a zap, conversion or accept",
	   "off", "on"),
	SW("dpamt", dpamt, false,
	   "Dynamic PAMT: off, v6's refcounts under pamt_lock, or the lazy add-on-MISSING design",
	   "off", "v6", "lazy"),
	SW("dpamt_phys_check", dpamt_phys_check, false,
	   "use DPAMT only on hosts with at most 48 physical address bits",
	   "off", "48bit"),
	SW("phys_bits", phys_bits, true,
	   "the host's physical address bits",
	   "46", "52"),
	SW("dpamt_get_recheck", dpamt_get_recheck, false,
	   "DPAMT: tdx_pamt_get() rechecks the refcount under pamt_lock before PAMT.ADD",
	   "recheck", "none"),
	SW("finalize_lock", finalize_lock, false,
	   "the lock held around TDH.MR.FINALIZE and the move to RUNNABLE",
	   "none", "mmu_write"),
	SW("gmem_in_place", gmem_in_place, false,
	   "shared/private kept in guest_memfd, KVM_SET_MEMORY_ATTRIBUTES2, per-VM attributes off (gmem_in_place_conversion)",
	   "off", "v8"),
	SW("gmem_conv_refcheck", gmem_conv_refcheck, false,
	   "a to-private conversion of a page with a host reference: -EAGAIN, or no check",
	   "eagain", "none"),
	SW("gmem_conv_filter", gmem_conv_filter, false,
	   "the mappings a conversion zaps: every kind its range holds (v8), or only the old kind (post-v8)",
	   "range", "old"),
	SW("huge_split_order", huge_split_order, false,
	   "a conversion to shared splits the S-EPT before guest_memfd splits the folio, or after",
	   "sept_first", "folio_first"),
	SW("huge_error_split", huge_error_split, false,
	   "memory failure on a guest_memfd page splits the S-EPT before unmapping it",
	   "off", "on"),
	SW("dpamt_put", dpamt_put, false,
	   "DPAMT: how tdx_pamt_put() drops a region's last reference (v6 atomic_dec_and_lock, v4/v3 outside the lock, the RFC review's recheck)",
	   "v6", "v4", "v3", "rfc-recheck"),
	SW("dpamt_lock", dpamt_lock, false,
	   "DPAMT: the kernel lock around PAMT.ADD/REMOVE: v6's global pamt_lock, or one per 2M region",
	   "global", "per-region"),
	SW("demote_under_pamt_lock", demote_under_pamt_lock, false,
	   "DPAMT + huge pages: DEMOTE, which installs a PAMT pair, runs under pamt_lock (on) or outside it (RFC v5)",
	   "on", "off"),
	SW("huge_inhibit_order", huge_inhibit_order, false,
	   "the accept-level exit sets the guest inhibit after the S-EPT split, or before it and its locks",
	   "after_split", "before_split"),
	SW("huge_split_lock", huge_split_lock, false,
	   "a private 2M leaf is split under the write mmu_lock (kicking vCPUs on BUSY), or by the fault under the read one (UNBLOCK on BUSY)",
	   "write", "read"),
	SW("split_cache_lock", split_cache_lock, false,
	   "the per-VM split cache is topped up and drawn from under its mutex, or topped up under it and drawn from after",
	   "mutex", "none"),
	SW("accept_split_root", accept_split_root, false,
	   "the root the accept-level exit splits: the mirror root, or the direct root (RFC v5 41/45 as posted)",
	   "mirror", "normal"),
	SW("extend_lock", extend_lock, false,
	   "the lock held around the TDH.MR.EXTEND calls that measure a populated page",
	   "none", "mmu_write"),
	SW("fault_invalidate_retry", fault_invalidate_retry, false,
	   "a vCPU fault rechecks mmu_invalidate_retry_gfn() before it maps what it looked up, or maps it anyway",
	   "recheck", "none"),
	SW("dpamt_remove_fail", dpamt_remove_fail, false,
	   "DPAMT: a failed PAMT.REMOVE in tdx_pamt_put() sets the count back to 1 (v6) or leaves it 0",
	   "keep", "drop"),
};

/* ---- the profiles ------------------------------------------------------------------ */

#define SET(n, v, src)	{ .name = n, .value = v, .source = src }

/* TDX's first merge (releases.md §2; T616 = KT0511/linux-6.16.1 tdx.c). */
static const struct tdxsim_profile_setting v6_16[] = {
	SET("populate", "gmem_cb",
	    "T616 tdx_gmem_post_populate: kvm_tdp_map_page(), then TDH.MEM.PAGE.ADD in the callback without mmu_lock"),
	SET("accept_level", "ignore",
	    "T616 tdx_handle_ept_violation: no accept-level handling (private mappings are 4K only)"),
	SET("vp_init_lock", "none", "T616 tdx_td_vcpu_init: TDH.VP.INIT with no mmu_lock"),
	SET("pin_pages", "on", "T616 tdx_sept_set_private_spte: get_page() per mapped page"),
	SET("mirror_freeze", "on",
	    "the TDP MMU's mirror root (seed 004) predates TDX's first merge; P619 set_external_spte_present"),
	SET("gmem_locking", "legacy",
	    "kvm_gmem_get_pfn() takes no invalidate lock (G619; 6.16 per the shared reference)"),
	SET("premap_count", "on",
	    "T616 tdx_mem_page_record_premap_cnt, tdx_td_finalize (nr_premapped -> -EINVAL), tdx_is_sept_zap_err_due_to_premap"),
	SET("populate_gup", "in_callback",
	    "T616 tdx_gmem_post_populate: get_user_pages_fast() under the invalidate lock"),
	SET("populate_eexist", "on",
	    "kvm_gmem_populate(): a prepared folio -> -EEXIST (G619 form, inferred for 6.16, releases.md §2)"),
	SET("populate_src_null_check", "off",
	    "T616 tdx_vcpu_init_mem_region: no check for a NULL source"),
	SET("page_add_fail", "error",
	    "T616 tdx_gmem_post_populate: -EBUSY or -EIO, the VM not bugged"),
	SET("mr_extend_fail", "error", "T616 tdx_gmem_post_populate: -EIO, the VM not bugged"),
	SET("vm_state_guard", "kvm_lock",
	    "T616 tdx_vm_ioctl: kvm->lock; tdx_td_finalize and tdx_vcpu_init_mem_region: slots_lock"),
	SET("init_vcpu_ioctls_unlocked", "off",
	    "T616: INIT_VCPU and INIT_MEM_REGION are ordinary vCPU ioctls (vcpu->mutex)"),
	SET("caps_locking", "kvm_lock", "T616 tdx_vm_ioctl: kvm->lock, the command copied back"),
	SET("td_init_nent_recheck", "off", "T616 tdx_td_init reads nent once (releases.md §7)"),
	SET("mng_create_fail", "error",
	    "T616 __tdx_td_init: WARN_ON_ONCE and -EIO, the VM not bugged"),
	SET("bug_macro", "kvm_bug_on", "T616: KVM_BUG_ON + pr_tdx_error*"),
	SET("ept_retry_exit", "events",
	    "T616 tdx_handle_ept_violation: no KVM_MEMSLOT_INVALID exit"),
	SET("private_max_level", "4k",
	    "T616 tdx_gmem_private_max_mapping_level; the leaf hooks KVM_BUG_ON a level but 4K"),
	SET("mapgpa_user_ret", "any_invalid",
	    "T616 tdx_complete_vmcall_map_gpa: any non-zero ret -> INVALID_OPERAND"),
	SET("mirror_cmpxchg_refresh_old", "off",
	    "P619 set_external_spte_present: cmpxchg on a copy of iter->old_spte"),
	SET("free_external_spt", "rcu",
	    "P619 handle_removed_pt: the S-EPT page is freed with the shadow page by call_rcu"),
	SET("gmem_bind_overlap", "einval", "G619 kvm_gmem_bind (6.16 not read)"),
	SET("page_reset", "always", "T616 tdx_clear_page: MOVDIR64B over every page given back"),
	SET("prefault_eagain", "off", "3ccbf6f4 came with mmu-6.18"),
	SET("huge_split", "off", "no release maps private memory above 4K"),
	SET("dpamt", "off", "no release has Dynamic PAMT (series-dpamt.md: v6 is not merged)"),
	SET("dpamt_phys_check", "off", "no release has Dynamic PAMT"),
	SET("dpamt_get_recheck", "recheck",
	    "no release has Dynamic PAMT; every posting's tdx_pamt_get() rechecks (v6 04/11's comment)"),
	SET("huge_split_order", "sept_first",
	    "no release maps private memory above 4K (nothing to split)"),
	SET("huge_error_split", "off",
	    "T616..KX kvm_gmem_error_folio(): invalidate the folio's range, no split (4K mappings only)"),
	SET("finalize_lock", "none",
	    "T616 tdx_td_finalize: TDH.MR.FINALIZE under kvm->lock and slots_lock, no mmu_lock (T619, KX: the all-locks guard, no mmu_lock either)"),
	SET("gmem_in_place", "off",
	    "no release has in-place conversion: per-VM attributes only (series-gmem-inplace.md: v8 is not merged)"),
	SET("gmem_conv_refcheck", "eagain",
	    "no release converts in place; every posting read refuses a referenced page (v8 kvm_gmem_is_safe_for_conversion)"),
	SET("gmem_conv_filter", "range",
	    "no release converts in place (v8's filter; the switch matters only with gmem_in_place)"),
	SET("dpamt_put", "v6",
	    "no release has Dynamic PAMT; v6 04/11 tdx_pamt_put(): atomic_dec_and_lock() (series-dpamt.md §5.3)"),
	SET("dpamt_lock", "global",
	    "no release has Dynamic PAMT; every posting read has one global pamt_lock (§5.4)"),
	SET("demote_under_pamt_lock", "on",
	    "no release has Dynamic PAMT or huge pages; Yan Zhao's fix of 2026-06-11 (DEMOTE under pamt_lock), agreed by Rick Edgecombe 2026-06-29, over RFC v5 (series-dpamt.md §5.6)"),
	SET("huge_inhibit_order", "after_split",
	    "no release maps private memory above 4K (no accept-level split)"),
	SET("huge_split_lock", "write",
	    "no release maps private memory above 4K (nothing to split)"),
	SET("split_cache_lock", "mutex",
	    "no release maps private memory above 4K (no split cache)"),
	SET("accept_split_root", "mirror",
	    "no release maps private memory above 4K (no accept-level split)"),
	SET("extend_lock", "none",
	    "T616 tdx_gmem_post_populate: TDH.MR.EXTEND in the callback, no mmu_lock (T619, KX: after kvm_tdp_mmu_map_private_pfn() returned, no mmu_lock either)"),
	SET("fault_invalidate_retry", "recheck",
	    "M619 kvm_faultin_pfn, kvm_tdp_page_fault: mmu_invalidate_retry_gfn() under mmu_lock before mapping"),
	SET("dpamt_remove_fail", "keep",
	    "no release has Dynamic PAMT; v6 05/11 tdx_pamt_put(): on a failed PAMT.REMOVE, WARN, refcount back to 1, the pages leaked (series-dpamt.md §3)"),
};

/* Linux 6.17: nothing read differs (releases.md §3; T617 = 510c47f1). */

/* Linux 6.18 (releases.md §4, inferred from the 6.18 pulls). */
static const struct tdxsim_profile_setting v6_18[] = {
	SET("ept_retry_exit", "memslot_invalid",
	    "2bc2694f \"KVM: TDX: Do not retry locally when the retry is caused by invalid memslot\" (mmu-6.18)"),
	SET("prefault_eagain", "on",
	    "3ccbf6f4 \"KVM: x86/mmu: Return -EAGAIN if userspace deletes/moves memslot during prefault\" (mmu-6.18)"),
	SET("page_reset", "quirk",
	    "tdx_quirk_reset_page, in T619 and not touched by the 6.19 series (inferred)"),
};

/* Linux 6.19: the TDX lock overhaul (releases.md §5; T619, P619, M619, G619). */
static const struct tdxsim_profile_setting v6_19[] = {
	SET("populate", "map_pfn",
	    "6b5b71ff \"ADD pages while populating mirror EPT entries\", 3ab3283d kvm_tdp_mmu_map_private_pfn; T619 tdx_gmem_post_populate"),
	SET("premap_count", "off", "24adff39, af96d545, b4b2b6ed: no nr_premapped in T619"),
	SET("pin_pages", "off", "ce7b5695 \"Don't explicitly pin pages\" (seed 003)"),
	SET("page_add_fail", "bug", "T619 tdx_mem_page_add: TDX_BUG_ON_2, -EIO"),
	SET("mr_extend_fail", "bug", "ad44aa4c \"Bug the VM if extending the initial measurement fails\""),
	SET("vp_init_lock", "mmu_write", "9a89894f \"Take MMU lock around tdh_vp_init()\" (seed 002)"),
	SET("vm_state_guard", "all", "15945e9e \"Guard VM state transitions with \\\"all\\\" the locks\""),
	SET("init_vcpu_ioctls_unlocked", "on",
	    "94428e3b: INIT_MEM_REGION and INIT_VCPU become kvm_arch_vcpu_unlocked_ioctl()s"),
	SET("caps_locking", "none", "f26061fe; T619 tdx_vm_ioctl: no lock, no copy-back"),
	SET("mng_create_fail", "bug", "T619 __tdx_td_init: TDX_BUG_ON, -EIO"),
	SET("bug_macro", "tdx_bug_on", "597d7068 TDX_BUG_ON*()"),
};

/* Linux 7.0: 6.19 plus guest_memfd's populate rework (releases.md §0.2). */
static const struct tdxsim_profile_setting v7_0[] = {
	SET("populate_gup", "before_lock",
	    "gmem-6.20 pull 2a62345b (merged for 7.0): GUP in kvm_gmem_populate() before the invalidate lock (GKX)"),
	SET("populate_eexist", "off",
	    "gmem-6.20 pull 2a62345b: preparation tracking removed from kvm_gmem_populate() (GKX)"),
};

/* kvm-x86 next, about 7.2-rc1 (releases.md §6; KX, GKX). */
static const struct tdxsim_profile_setting next[] = {
	SET("populate_src_null_check", "on", "KX tdx_vcpu_init_mem_region: source_addr == 0 -> -EINVAL"),
	SET("td_init_nent_recheck", "on", "KX tdx_td_init: a nent changed between the two reads -> -EINVAL"),
	SET("mapgpa_user_ret", "errno_map",
	    "3e2dec1e \"Allow userspace to return errors to guest for MAPGPA\" (kvm-x86 misc, 7.2)"),
	SET("mirror_cmpxchg_refresh_old", "on",
	    "02eaaffd \"Update iter->old_spte if cmpxchg64 on mirror SPTE fails\" (7.2)"),
	SET("free_external_spt", "immediate",
	    "110d4d26 \"Move external page table freeing to TDX code\"; KX tdx_sept_free_private_spt"),
	SET("gmem_bind_overlap", "eexist",
	    "7ea987a9 \"guest_memfd: Return -EEXIST for overlapping bindings\" (7.2)"),
};

/* Seed 000, Yan Zhao's RFC of 2025-07-03 (never merged). */
static const struct tdxsim_profile_setting seed000_rfc[] = {
	SET("populate", "decoupled",
	    "seed 000 \"[RFC PATCH] KVM: TDX: Decouple TDX init mem region from kvm_gmem_populate()\": pin, map into the mirror root, TDH.MEM.PAGE.ADD under the read mmu_lock"),
	SET("premap_count", "on", "seed 000 keeps nr_premapped (its tdx_vcpu_init_mem_region hunk)"),
};

/*
 * TDX huge pages: Yan Zhao's series, v3 of 2026-01-06 as folded into Sean
 * Christopherson's RFC v5 of 2026-01-28 (docs/upstream/series-hugepage.md).
 */
static const struct tdxsim_profile_setting hugepage_rfc[] = {
	SET("private_max_level", "2m",
	    "RFC v5 tdx_gmem_max_mapping_level: 4K until the TD runs, then 2M (series-hugepage.md §3.1); 2M AUG and REMOVE §3.2"),
	SET("accept_level", "split_inhibit",
	    "RFC v5 41/45 tdx_handle_mismatched_accept (v3 tdx_honor_guest_accept_level; seed 001 is RFC v2 14/23)"),
	SET("huge_split", "on",
	    "v3 kvm_split_cross_boundary_leafs() before punch hole and private->shared conversion (series-hugepage.md §3.6)"),
	SET("gmem_hugepages", "on",
	    "the series maps no more than guest_memfd's folio order (§2): it runs on huge-folio guest_memfd (not merged)"),
	SET("huge_split_order", "sept_first",
	    "v3 FIXUP \"Zap mappings before splitting backend folios\"; RFC v5 44/45 kvm_arch_gmem_convert(): the S-EPT split, its cache topped up under the cache mutex, before the folio split and the zap (series-hugepage.md §4.1)"),
	SET("huge_error_split", "off",
	    "v3 and RFC v5 leave kvm_gmem_error_folio() alone; Yan Zhao (2026-01-19) plans it as the split's fourth caller (series-hugepage.md §3.6, §4.2)"),
	SET("huge_inhibit_order", "after_split",
	    "v3 tdx_honor_guest_accept_level / RFC v5 41/45 tdx_handle_mismatched_accept: the split, then hugepage_set_guest_inhibit(); the unlocked test relies on it (series-hugepage.md §3.5, H2)"),
	SET("huge_split_lock", "write",
	    "v3 09/24: no split under the shared mmu_lock (-EOPNOTSUPP, WARN once), the split under the write one with tdh_do_no_vcpus (v5 39/45; series-hugepage.md §3.3, H3)"),
	SET("split_cache_lock", "mutex",
	    "RFC v5 44/45 tdp_mmu_external_cache_lock held from the top-up to the split (v3's spinlock could not be held across the top-up; series-hugepage.md §3.4, H7)"),
	SET("accept_split_root", "mirror",
	    "Sean Christopherson's review of RFC v5 41/45: kvm_tdp_mmu_split_huge_pages() on vcpu->arch.mmu->root \"is wrong\"; the profile has the fix (series-hugepage.md §3.5, H8)"),
};

/*
 * Dynamic PAMT: v6 of 2026-05-25 (docs/upstream/series-dpamt.md).
 */
static const struct tdxsim_profile_setting dpamt[] = {
	SET("dpamt", "v6",
	    "v6 03-09/11 tdx_pamt_get/put (atomic_dec_and_lock), tdx_alloc_control_page, tdx_topup_pamt_cache; KVM users in tdx_sept_map_leaf_spte, tdx_sept_map_nonleaf_spte, __tdx_td_init, tdx_td_vcpu_init (series-dpamt.md §3)"),
	SET("dpamt_phys_check", "48bit",
	    "v6 10/11 tdx_supports_dynamic_pamt(): x86_phys_bits <= 48 (to be dropped per review of 2026-07-06)"),
};

/*
 * guest_memfd in-place conversion: Ackerley Tng's v8 of 2026-06-18
 * (docs/upstream/series-gmem-inplace.md).
 */
static const struct tdxsim_profile_setting gmem_inplace[] = {
	SET("gmem_in_place", "v8",
	    "v8 (20260618-gmem-inplace-conversion-v8): gmem_in_place_conversion=Y, per-gmem attributes (maple tree), KVM_SET_MEMORY_ATTRIBUTES2 on the guest_memfd, kvm_supported_vm_mem_attributes() 0 (series-gmem-inplace.md §2, §3)"),
	SET("gmem_conv_refcheck", "eagain",
	    "v8 14/46, 18/46 kvm_gmem_is_safe_for_conversion(): refcount != nr_pages + 1 after unmapping -> -EAGAIN, error_offset (§3.3 step 5)"),
	SET("gmem_locking", "inflight",
	    "v8 kvm_gmem_fault_user_mapping() and kvm_gmem_get_pfn() take the invalidate lock shared (§3.2, §3.3)"),
	SET("gmem_conv_filter", "range",
	    "v8 kvm_gmem_get_invalidate_filter(inode, start, end): the attributes present in the range (§3.3 step 6; the post-v8 snapshot zaps only the old kind, §3.7)"),
};

#define PROFILE(n, ov, par, sum, src, tab)				\
	{ .name = n, .overlay = ov, .parent = par, .summary = sum,	\
	  .source = src, .settings = tab, .nr_settings = ARRAY_SIZE(tab) }

static const struct tdxsim_kernel_profile profiles[] = {
	PROFILE("v6.16", false, NULL,
		"TDX's first merge: kvm_gmem_populate() + kvm_tdp_map_page(), premap counting, pinning, no lock around VP.INIT",
		"Linux 6.16 (T616: KT0511/linux-6.16.1 @30b97c8a, arch/x86/kvm/vmx/tdx.c; releases.md §2)",
		v6_16),
	{ .name = "v6.17", .parent = "v6.16",
	  .summary = "as 6.16 in everything read (KVM_TDX_TERMINATE_VM was not merged)",
	  .source = "Linux 6.17 (T617: torvalds/linux @510c47f1, the tip of kvm-x86-vmx-6.18; releases.md §3)" },
	PROFILE("v6.18", false, "v6.17",
		"6.17 plus the local retry's invalid-memslot exit and the pre-fault -EAGAIN",
		"Linux 6.18 (no 6.18 file read: T619 minus the 6.19 series; releases.md §4)",
		v6_18),
	PROFILE("v6.19", false, "v6.18",
		"the TDX lock overhaul: PAGE.ADD from the S-EPT hook, no pinning, VP.INIT under mmu_lock, the all-locks guard, TDX_BUG_ON",
		"Linux 6.19 (T619 @398180f9 tdx.c, P619 tdp_mmu.c, M619 mmu.c, G619 guest_memfd.c; releases.md §5)",
		v6_19),
	PROFILE("v7.0", false, "v6.19",
		"6.19 plus guest_memfd's populate rework: the source pinned before the invalidate lock, no -EEXIST",
		"Linux 7.0 (the gmem-6.20 pull 2a62345b merged in cb557386; only that pull read, from GKX; releases.md §0.2)",
		v7_0),
	PROFILE("next", false, "v7.0",
		"kvm-x86 next (about 7.2-rc1): MapGPA errnos, the S-EPT hook rework, -EEXIST for overlapping bindings",
		"kvm-x86/linux next (KX @09c6f74e tdx.c, GKX @5e38e1bd guest_memfd.c; releases.md §6)",
		next),
	PROFILE("seed000-rfc", true, NULL,
		"seed 000: KVM_TDX_INIT_MEM_REGION decoupled from kvm_gmem_populate() (RFC, never merged)",
		"[RFC PATCH] KVM: TDX: Decouple TDX init mem region from kvm_gmem_populate(), Yan Zhao, 2025-07-03",
		seed000_rfc),
	PROFILE("hugepage-rfc", true, NULL,
		"TDX huge pages (v3, 2026-01-06; RFC v5 DPAMT + S-EPT hugepage, 2026-01-28): 2M private mappings, the accept-level split and guest inhibit (seed 001), cross-boundary splits from caches filled outside mmu_lock",
		"[PATCH v3 00/24] KVM: TDX huge page support for private memory, Yan Zhao (2026-01-06; the newest revision in the archive), in [RFC PATCH v5 00/45] TDX: Dynamic PAMT + S-EPT Hugepage (2026-01-28)",
		hugepage_rfc),
	PROFILE("dpamt", true, NULL,
		"Dynamic PAMT (v6, 2026-05-25): PAMT 4K pages per 2M region on demand (PAMT.ADD/REMOVE), per-2M refcounts under a global lock, a per-vCPU page cache",
		"[PATCH v6 00/11] Dynamic PAMT, Rick Edgecombe, 2026-05-25 (20260526023515.288829-1-rick.p.edgecombe@intel.com)",
		dpamt),
	PROFILE("gmem-inplace", true, NULL,
		"guest_memfd in-place conversion (v8, 2026-06-18): shared/private kept per guest_memfd, KVM_SET_MEMORY_ATTRIBUTES2, per-VM attributes off, SIGBUS on private host faults",
		"[PATCH v8 00/46] guest_memfd: In-place conversion support, Ackerley Tng, 2026-06-18 (20260618-gmem-inplace-conversion-v8-0-9d2959357853@google.com)",
		gmem_inplace),
};

/* ---- the switches ------------------------------------------------------------------ */

const struct tdxsim_design_switch *tdxsim_design_switches(size_t *n)
{
	*n = ARRAY_SIZE(switches);
	return switches;
}

const struct tdxsim_design_switch *tdxsim_design_switch_find(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(switches); i++)
		if (!strcmp(switches[i].name, name))
			return &switches[i];
	return NULL;
}

static __tdxsim_u32 *switch_field(struct tdxsim_design *d,
				  const struct tdxsim_design_switch *sw)
{
	return (__tdxsim_u32 *)((char *)d + sw->offset);
}

unsigned int tdxsim_design_get(const struct tdxsim_design *d,
			       const struct tdxsim_design_switch *sw)
{
	return *(const __tdxsim_u32 *)((const char *)d + sw->offset);
}

static unsigned int switch_nr_values(const struct tdxsim_design_switch *sw)
{
	unsigned int n = 0;

	while (n < TDXSIM_SWITCH_MAX_VALUES && sw->values[n])
		n++;
	return n;
}

const char *tdxsim_design_value_name(const struct tdxsim_design *d,
				     const struct tdxsim_design_switch *sw)
{
	unsigned int v = tdxsim_design_get(d, sw);

	return v < switch_nr_values(sw) ? sw->values[v] : "?";
}

static int switch_value(const struct tdxsim_design_switch *sw, const char *name)
{
	unsigned int v;

	for (v = 0; v < switch_nr_values(sw); v++)
		if (!strcmp(sw->values[v], name))
			return v;
	return -1;
}

/* ---- the profiles ------------------------------------------------------------------ */

const struct tdxsim_kernel_profile *tdxsim_kernel_profiles(size_t *n)
{
	*n = ARRAY_SIZE(profiles);
	return profiles;
}

static const struct tdxsim_kernel_profile *find_profile(const char *name,
							size_t len)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(profiles); i++)
		if (strlen(profiles[i].name) == len &&
		    !strncmp(profiles[i].name, name, len))
			return &profiles[i];
	return NULL;
}

const struct tdxsim_kernel_profile *tdxsim_kernel_profile_find(const char *name)
{
	return find_profile(name, strlen(name));
}

/* Apply @p's own settings to @d (not its parent's). */
static void apply_settings(const struct tdxsim_kernel_profile *p,
			   struct tdxsim_design *d)
{
	size_t i;

	for (i = 0; i < p->nr_settings; i++) {
		const struct tdxsim_design_switch *sw =
			tdxsim_design_switch_find(p->settings[i].name);
		int v = sw ? switch_value(sw, p->settings[i].value) : -1;

		/* The table is checked by tests/profiles: never reached. */
		if (v >= 0)
			*switch_field(d, sw) = v;
	}
}

/* A kernel's settings: its ancestors', oldest first, then its own. */
static void apply_kernel(const struct tdxsim_kernel_profile *p,
			 struct tdxsim_design *d)
{
	if (p->parent)
		apply_kernel(tdxsim_kernel_profile_find(p->parent), d);
	apply_settings(p, d);
}

/* The world's defaults: what no profile sets. */
static void design_world_defaults(struct tdxsim_design *d)
{
	memset(d, 0, sizeof(*d));
	d->version = TDXSIM_DESIGN_VERSION;
	d->vp_init_version = 1;		/* KVM passes version 1 */
}

/*
 * Walk "base+ov+ov": call @fn for each part in order; a part that is not
 * the right kind of profile fails with a message.
 */
static int walk_name(const char *name,
		     int (*fn)(const struct tdxsim_kernel_profile *p, void *arg),
		     void *arg, char *err, size_t errlen)
{
	const char *part = name;
	bool first = true;
	int r;

	if (!name || !*name) {
		if (err)
			snprintf(err, errlen, "kernel: empty name");
		return -EINVAL;
	}
	if (strlen(name) >= TDXSIM_KERNEL_NAME_MAX) {
		if (err)
			snprintf(err, errlen, "kernel: name too long");
		return -EINVAL;
	}
	for (;;) {
		const char *end = strchr(part, '+');
		size_t len = end ? (size_t)(end - part) : strlen(part);
		const struct tdxsim_kernel_profile *p = find_profile(part, len);

		if (!p) {
			if (err)
				snprintf(err, errlen,
					 "kernel: unknown profile '%.*s' (see tdxsim kernels)",
					 (int)len, part);
			return -EINVAL;
		}
		if (p->overlay == first) {
			if (err)
				snprintf(err, errlen, first ?
					 "kernel: '%s' is an overlay: write it after a base, e.g. next+%s" :
					 "kernel: '%s' is not an overlay: only one base kernel per name",
					 p->name, p->name);
			return -EINVAL;
		}
		r = fn(p, arg);
		if (r)
			return r;
		first = false;
		if (!end)
			return 0;
		part = end + 1;
	}
}

static int resolve_one(const struct tdxsim_kernel_profile *p, void *arg)
{
	if (p->overlay)
		apply_settings(p, arg);
	else
		apply_kernel(p, arg);
	return 0;
}

/*
 * The last names resolved and their designs: the tables are constant, and
 * an exploration resolves the same profiles for every schedule (a few
 * thousand switch look-ups by name each time): the default kernel at VM
 * creation, then the scenario's.
 */
#define DESIGN_CACHE_MAX	4

static pthread_mutex_t last_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char name[TDXSIM_KERNEL_NAME_MAX];
	struct tdxsim_design design;
} last[DESIGN_CACHE_MAX];
static unsigned int last_next;

int tdxsim_kernel_design(const char *name, struct tdxsim_design *d, char *err,
			 size_t errlen)
{
	struct tdxsim_design tmp;
	bool cacheable = name && strlen(name) < TDXSIM_KERNEL_NAME_MAX;
	bool hit = false;
	unsigned int i;
	int r;

	if (cacheable) {
		pthread_mutex_lock(&last_lock);
		for (i = 0; i < DESIGN_CACHE_MAX && !hit; i++) {
			if (last[i].name[0] && !strcmp(last[i].name, name)) {
				*d = last[i].design;
				hit = true;
			}
		}
		pthread_mutex_unlock(&last_lock);
		if (hit)
			return 0;
	}
	design_world_defaults(&tmp);
	r = walk_name(name, resolve_one, &tmp, err, errlen);
	if (!r) {
		*d = tmp;
		if (cacheable) {
			pthread_mutex_lock(&last_lock);
			i = last_next++ % DESIGN_CACHE_MAX;
			snprintf(last[i].name, sizeof(last[i].name), "%s",
				 name);
			last[i].design = tmp;
			pthread_mutex_unlock(&last_lock);
		}
	}
	return r;
}

struct source_walk {
	const struct tdxsim_design_switch *sw;
	const char *profile, *source;
};

/* The newest setting of the switch along @p's ancestry. */
static void kernel_source(const struct tdxsim_kernel_profile *p,
			  struct source_walk *w)
{
	size_t i;

	if (p->parent)
		kernel_source(tdxsim_kernel_profile_find(p->parent), w);
	for (i = 0; i < p->nr_settings; i++)
		if (!strcmp(p->settings[i].name, w->sw->name)) {
			w->profile = p->name;
			w->source = p->settings[i].source;
		}
}

static int source_one(const struct tdxsim_kernel_profile *p, void *arg)
{
	struct source_walk *w = arg;
	size_t i;

	if (!p->overlay) {
		kernel_source(p, w);
		return 0;
	}
	for (i = 0; i < p->nr_settings; i++)
		if (!strcmp(p->settings[i].name, w->sw->name)) {
			w->profile = p->name;
			w->source = p->settings[i].source;
		}
	return 0;
}

int tdxsim_kernel_switch_source(const char *name,
				const struct tdxsim_design_switch *sw,
				const char **profile, const char **source)
{
	struct source_walk w = { .sw = sw };
	int r;

	r = walk_name(name, source_one, &w, NULL, 0);
	if (r)
		return r;
	*profile = w.profile;
	*source = w.source ? w.source :
		  (sw->world ? "a fact of the simulated world; no kernel sets it" :
			       "not set");
	return 0;
}
