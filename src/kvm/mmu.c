// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The MMU's entry points (the kernel's arch/x86/kvm/mmu/mmu.c, TDP MMU
 * only): the page fault path from an EPT violation to kvm_tdp_mmu_map(),
 * faultin through guest_memfd, the mapping-level decision (lpage_info,
 * folio order, the vendor's limit), KVM_PRE_FAULT_MEMORY, and the zap
 * entry points that guest_memfd, memory attributes and memslots call.
 */
#include <errno.h>
#include <stdlib.h>

#include "base/log.h"
#include "kvm/guest_memfd.h"
#include "kvm/kvm_host.h"
#include "host/mm.h"
#include "kvm/mmu.h"
#include "kvm/tdp_iter.h"
#include "kvm/tdp_mmu.h"
#include "kvm/tdx.h"
#include "kvm/tdxsim_trace.h"
#include "kvm/tdxsim_user_pages.h"

/* --- roots ---------------------------------------------------------------------- */

int kvm_mmu_init_vm(struct kvm *kvm)
{
	kvm_mmu_init_tdp_mmu(kvm);
	return tdxsim_user_pages_init(kvm);	/* tdxsim */
}

void kvm_mmu_uninit_vm(struct kvm *kvm)
{
	kvm_mmu_uninit_tdp_mmu(kvm);
	tdxsim_user_pages_release(kvm);		/* tdxsim */
}

int kvm_mmu_create(struct kvm_vcpu *vcpu)
{
	vcpu->arch.root_hpa = INVALID_PAGE;
	vcpu->arch.mirror_root_hpa = INVALID_PAGE;
	vcpu->arch.root_level = vcpu->kvm->arch.tdp_root_level;
	return 0;
}

void kvm_mmu_destroy(struct kvm_vcpu *vcpu)
{
	struct kvm *kvm = vcpu->kvm;
	struct kvm_mmu_page *root;

	root = root_to_sp(vcpu->arch.mirror_root_hpa);
	if (root)
		kvm_tdp_mmu_put_root(kvm, root);
	root = root_to_sp(vcpu->arch.root_hpa);
	if (root)
		kvm_tdp_mmu_put_root(kvm, root);
	vcpu->arch.root_hpa = INVALID_PAGE;
	vcpu->arch.mirror_root_hpa = INVALID_PAGE;
	mmu_free_memory_caches(vcpu);
}

int kvm_mmu_load(struct kvm_vcpu *vcpu)
{
	struct kvm *kvm = vcpu->kvm;
	int r;

	r = mmu_topup_memory_caches(vcpu);
	if (r)
		return r;
	vcpu->arch.root_level = kvm->arch.tdp_root_level;
	if (kvm->arch.has_private_mem && !VALID_PAGE(vcpu->arch.mirror_root_hpa))
		vcpu->arch.mirror_root_hpa = kvm_tdp_mmu_alloc_root(vcpu, true);
	if (!VALID_PAGE(vcpu->arch.root_hpa))
		vcpu->arch.root_hpa = kvm_tdp_mmu_alloc_root(vcpu, false);
	return 0;
}

void kvm_flush_remote_tlbs(struct kvm *kvm)
{
	/*
	 * The shared EPT's TLB: the module's walk reads KVM's table directly,
	 * so there is nothing cached to flush.
	 */
	trace_kvm_flush_remote_tlbs(kvm);
}

/* --- lpage_info -------------------------------------------------------------------- */

static void hugepage_set_mixed(struct kvm_memory_slot *slot, gfn_t gfn,
			       int level, bool mixed)
{
	struct kvm_lpage_info *linfo = lpage_info_slot(gfn, slot, level);

	/*
	 * Atomic read-modify-writes: the accept-level path ORs GUEST_INHIBIT
	 * into the same word, and lockless readers (the inhibit test) look at
	 * it meanwhile.
	 */
	if (mixed)
		__atomic_fetch_or(&linfo->disallow_lpage,
				  (int)KVM_LPAGE_MIXED_FLAG, __ATOMIC_RELAXED);
	else
		__atomic_fetch_and(&linfo->disallow_lpage,
				   ~(int)KVM_LPAGE_MIXED_FLAG,
				   __ATOMIC_RELAXED);
}

static bool hugepage_test_mixed(struct kvm_memory_slot *slot, gfn_t gfn,
				int level)
{
	return READ_ONCE(lpage_info_slot(gfn, slot, level)->disallow_lpage) &
	       KVM_LPAGE_MIXED_FLAG;
}

bool hugepage_test_guest_inhibit(struct kvm_memory_slot *slot, gfn_t gfn,
				 int level)
{
	return READ_ONCE(lpage_info_slot(gfn, slot, level)->disallow_lpage) &
	       KVM_LPAGE_GUEST_INHIBIT_FLAG;
}

void hugepage_set_guest_inhibit(struct kvm_memory_slot *slot, gfn_t gfn,
				int level)
{
	struct kvm_lpage_info *linfo = lpage_info_slot(gfn, slot, level);

	__atomic_fetch_or(&linfo->disallow_lpage,
			  (int)KVM_LPAGE_GUEST_INHIBIT_FLAG, __ATOMIC_RELAXED);
}

/* Do all gfns of the @level huge page at @gfn have @attrs (and lie in @slot)? */
static bool hugepage_has_attrs(struct kvm *kvm, struct kvm_memory_slot *slot,
			       gfn_t gfn, int level, unsigned long attrs)
{
	gfn_t end = gfn + KVM_PAGES_PER_HPAGE(level);
	gfn_t g;

	if (gfn < slot->base_gfn || end > slot->base_gfn + slot->npages)
		return false;
	if (level == PG_LEVEL_2M)
		return kvm_range_has_memory_attributes(
			kvm, gfn, end, KVM_MEMORY_ATTRIBUTE_PRIVATE, attrs);
	for (g = gfn; g < end; g += KVM_PAGES_PER_HPAGE(level - 1)) {
		if (hugepage_test_mixed(slot, g, level - 1) ||
		    !!(kvm_get_memory_attributes(kvm, g) &
		       KVM_MEMORY_ATTRIBUTE_PRIVATE) != !!attrs)
			return false;
	}
	return true;
}

/* Recompute the MIXED flag of every huge page of @slot overlapping [start, end). */
static void update_mixed(struct kvm *kvm, struct kvm_memory_slot *slot,
			 gfn_t start, gfn_t end)
{
	int level;

	for (level = PG_LEVEL_2M; level <= KVM_MAX_HUGEPAGE_LEVEL; level++) {
		gfn_t nr = KVM_PAGES_PER_HPAGE(level);
		gfn_t gfn = start & ~(nr - 1);
		gfn_t lo = max(start, slot->base_gfn);
		gfn_t hi = min(end, slot->base_gfn + slot->npages);

		if (lo >= hi)
			continue;
		for (gfn = lo & ~(nr - 1); gfn < hi; gfn += nr) {
			unsigned long attrs = kvm_get_memory_attributes(
				kvm, max(gfn, slot->base_gfn));

			hugepage_set_mixed(slot, max(gfn, slot->base_gfn),
					   level,
					   !hugepage_has_attrs(kvm, slot, gfn,
							       level, attrs));
		}
	}
}

int kvm_arch_prepare_memory_region_mmu(struct kvm *kvm,
				       struct kvm_memory_slot *slot)
{
	if (kvm->arch.has_private_mem)
		update_mixed(kvm, slot, slot->base_gfn,
			     slot->base_gfn + slot->npages);
	return 0;
}

void kvm_arch_free_memslot_mmu(struct kvm *kvm, struct kvm_memory_slot *slot)
{
}

/* The largest level lpage_info allows at @gfn, up to @max_level. */
static int kvm_lpage_max_level(struct kvm_memory_slot *slot, gfn_t gfn,
			       int max_level)
{
	int level;

	for (level = max_level; level > PG_LEVEL_4K; level--)
		if (!READ_ONCE(lpage_info_slot(gfn, slot, level)->disallow_lpage))
			break;
	return level;
}

static int kvm_max_level_for_order(int order)
{
	if (order >= KVM_HPAGE_GFN_SHIFT(PG_LEVEL_1G))
		return PG_LEVEL_1G;
	if (order >= KVM_HPAGE_GFN_SHIFT(PG_LEVEL_2M))
		return PG_LEVEL_2M;
	return PG_LEVEL_4K;
}

/*
 * Pick the fault's goal level and align its pfn to it. Called by
 * kvm_tdp_mmu_map() under mmu_lock, as in the kernel: lpage_info's
 * GUEST_INHIBIT bit is set under the write lock after the split, so a
 * level chosen under the read lock can't map huge over a freshly inhibited
 * range (a level chosen before taking the lock could).
 */
void kvm_mmu_hugepage_adjust(struct kvm_vcpu *vcpu,
			     struct kvm_page_fault *fault)
{
	struct kvm *kvm = vcpu->kvm;
	int level = fault->max_level;

	fault->req_level = PG_LEVEL_4K;
	fault->goal_level = PG_LEVEL_4K;
	if (level <= PG_LEVEL_4K || !fault->slot)
		return;
	if (kvm_vm_uses_vendor(kvm) && kvm_x86_ops.gmem_max_mapping_level &&
	    fault->is_private) {
		int vl = kvm_x86_ops.gmem_max_mapping_level(kvm, fault->pfn,
							    true);

		if (vl)
			level = min(level, vl);
	}
	level = kvm_lpage_max_level(fault->slot, fault->gfn, level);
	/* The gfn and the pfn must be aligned the same way. */
	while (level > PG_LEVEL_4K &&
	       ((fault->gfn ^ fault->pfn) & (KVM_PAGES_PER_HPAGE(level) - 1)))
		level--;
	fault->req_level = level;
	fault->goal_level = level;
	fault->pfn &= ~(kvm_pfn_t)(KVM_PAGES_PER_HPAGE(level) - 1);
}

/* --- the fault path --------------------------------------------------------------- */

static void kvm_mmu_prepare_memory_fault_exit(struct kvm_vcpu *vcpu,
					      struct kvm_page_fault *fault)
{
	kvm_prepare_memory_fault_exit(vcpu, fault->gfn << PAGE_SHIFT,
				      PAGE_SIZE, fault->write, fault->exec,
				      fault->is_private);
}

static int kvm_mmu_faultin_pfn_gmem(struct kvm_vcpu *vcpu,
				    struct kvm_page_fault *fault)
{
	int max_order, r;

	r = kvm_gmem_get_pfn(vcpu->kvm, fault->slot, fault->gfn, &fault->pfn,
			     &fault->refcounted_page, &max_order);
	if (r) {
		kvm_mmu_prepare_memory_fault_exit(vcpu, fault);
		return r;
	}
	fault->map_writable = !(fault->slot->flags & KVM_MEM_READONLY);
	fault->max_level = min_t(int, fault->max_level,
				 kvm_max_level_for_order(max_order));
	return RET_PF_CONTINUE;
}

/* A shared access to a slot backed by ordinary user memory. */
static int kvm_mmu_faultin_pfn_hva(struct kvm_vcpu *vcpu,
				   struct kvm_page_fault *fault)
{
	unsigned long hva = gfn_to_hva_memslot(fault->slot, fault->gfn);
	struct page *pages[1];
	struct vm_area_struct *vma;
	struct page *page = NULL;
	struct mm_struct *mm = vcpu->kvm->mm;
	bool is_file = false, plain;

	mmap_read_lock(mm);
	vma = find_vma(mm, hva);
	if (vma && vma->vm_direct)
		page = virt_to_page((char *)vma->vm_direct +
				    (hva - vma->vm_start));
	if (page)
		get_page(page);
	/*
	 * Only a mapping with a fault handler (a guest_memfd) is reached by
	 * GUP: memory outside the PFN space (a kvm_run page) would be a
	 * bounce copy that is freed once the fault is done.
	 */
	is_file = vma && vma->vm_file && !vma->vm_direct;
	plain = !vma;
	mmap_read_unlock(mm);

	/*
	 * A guest_memfd mapping is reached through its fault handler (GUP);
	 * plain user memory (a VMM's anonymous RAM) through a stand-in page
	 * whose bytes are that memory (tdxsim_user_pages.c), where the kernel's
	 * GUP would fault in the anonymous page itself.
	 */
	if (!page && is_file) {
		if (get_user_pages_fast(hva & PAGE_MASK, 1, FOLL_WRITE,
					pages) != 1) {
			kvm_mmu_prepare_memory_fault_exit(vcpu, fault);
			return -EFAULT;
		}
		page = pages[0];
	} else if (!page) {
		int err = -EFAULT;

		/* A tdxsim mapping outside the PFN space (kvm_run): EFAULT. */
		page = plain ? tdxsim_user_page_get(vcpu->kvm, hva & PAGE_MASK,
						    &err) : NULL;
		if (!page) {
			kvm_mmu_prepare_memory_fault_exit(vcpu, fault);
			return -EFAULT;
		}
	}
	fault->pfn = page_to_pfn(page);
	fault->refcounted_page = page;
	fault->map_writable = !(fault->slot->flags & KVM_MEM_READONLY);
	fault->max_level = PG_LEVEL_4K;
	return RET_PF_CONTINUE;
}

static int kvm_mmu_faultin_pfn(struct kvm_vcpu *vcpu,
			       struct kvm_page_fault *fault)
{
	struct kvm *kvm = vcpu->kvm;

	if (KVM_BUG_ON(kvm_is_gfn_alias(kvm, fault->gfn), kvm))
		return -EFAULT;

	fault->mmu_seq = kvm_mmu_invalidate_seq_read(kvm);

	if (fault->is_private != kvm_mem_is_private(kvm, fault->gfn)) {
		kvm_mmu_prepare_memory_fault_exit(vcpu, fault);
		return -EFAULT;
	}

	if (!fault->slot) {
		/* Private memory needs a slot; a shared GPA without one is MMIO. */
		if (fault->is_private) {
			kvm_mmu_prepare_memory_fault_exit(vcpu, fault);
			return -EFAULT;
		}
		return RET_PF_EMULATE;
	}
	/* 6.18 (3ccbf6f4, design prefault_eagain): a pre-fault gives up. */
	if (kvm_is_memslot_invalid(fault->slot))
		return fault->prefetch && READ_ONCE(kvm->design.prefault_eagain) ?
			       -EAGAIN : RET_PF_RETRY;

	if (tdxsim_fault_recheck(kvm) &&
	    mmu_invalidate_retry_gfn_unsafe(kvm, fault->mmu_seq, fault->gfn))
		return RET_PF_RETRY;

	if (fault->is_private || kvm_memslot_is_gmem_only(fault->slot)) {
		int r;

		if (!kvm_slot_has_gmem(fault->slot)) {
			kvm_mmu_prepare_memory_fault_exit(vcpu, fault);
			return -EFAULT;
		}
		r = kvm_mmu_faultin_pfn_gmem(vcpu, fault);
		if (r != RET_PF_CONTINUE)
			return r;
	} else {
		int r = kvm_mmu_faultin_pfn_hva(vcpu, fault);

		if (r != RET_PF_CONTINUE)
			return r;
	}

	/* An invalidation may have started while we got the pfn. */
	if (tdxsim_fault_recheck(kvm) &&
	    mmu_invalidate_retry_gfn_unsafe(kvm, fault->mmu_seq, fault->gfn)) {
		kvm_release_faultin_page(kvm, fault->refcounted_page, true,
					 false);
		fault->refcounted_page = NULL;
		return RET_PF_RETRY;
	}
	return RET_PF_CONTINUE;
}

static void kvm_mmu_finish_page_fault(struct kvm_vcpu *vcpu,
				      struct kvm_page_fault *fault, int r)
{
	if (fault->refcounted_page)
		kvm_release_faultin_page(vcpu->kvm, fault->refcounted_page,
					 r == RET_PF_RETRY, fault->map_writable);
	fault->refcounted_page = NULL;
}

static int kvm_tdp_page_fault(struct kvm_vcpu *vcpu,
			      struct kvm_page_fault *fault)
{
	struct kvm *kvm = vcpu->kvm;
	int r;

	r = mmu_topup_memory_caches(vcpu);
	if (r)
		return r;
	r = kvm_mmu_faultin_pfn(vcpu, fault);
	if (r != RET_PF_CONTINUE)
		return r;

	r = RET_PF_RETRY;
	read_lock(&kvm->mmu_lock);
	if (tdxsim_fault_recheck(kvm) &&
	    mmu_invalidate_retry_gfn(kvm, fault->mmu_seq, fault->gfn))
		goto out_unlock;
	r = kvm_tdp_mmu_map(vcpu, fault);
out_unlock:
	read_unlock(&kvm->mmu_lock);
	kvm_mmu_finish_page_fault(vcpu, fault, r);
	return r;
}

int kvm_mmu_do_page_fault(struct kvm_vcpu *vcpu, gpa_t gpa, u64 error_code,
			  bool prefetch, u8 *level)
{
	struct kvm *kvm = vcpu->kvm;
	struct kvm_page_fault fault = {
		.addr = gpa,
		.error_code = error_code,
		.exec = error_code & PFERR_FETCH_MASK,
		.write = error_code & PFERR_WRITE_MASK,
		.present = error_code & PFERR_PRESENT_MASK,
		.is_private = error_code & PFERR_PRIVATE_ACCESS,
		.prefetch = prefetch,
		.max_level = KVM_MAX_HUGEPAGE_LEVEL,
		.req_level = PG_LEVEL_4K,
		.goal_level = PG_LEVEL_4K,
	};
	int r;

	fault.gfn = (gpa >> PAGE_SHIFT) & ~READ_ONCE(kvm->arch.gfn_direct_bits);
	fault.slot = kvm_vcpu_gfn_to_memslot(vcpu, fault.gfn);

	r = kvm_tdp_page_fault(vcpu, &fault);
	trace_kvm_page_fault(vcpu, gpa, error_code, r);
	if (level)
		*level = fault.goal_level;
	return r;
}

int kvm_mmu_page_fault(struct kvm_vcpu *vcpu, gpa_t gpa, u64 error_code)
{
	int r;

	if (!VALID_PAGE(vcpu->arch.root_hpa)) {
		r = kvm_mmu_load(vcpu);
		if (r)
			return r;
	}
	r = kvm_mmu_do_page_fault(vcpu, gpa, error_code, false, NULL);
	if (r < 0)
		return r;
	/* Spurious, fixed and retry all re-enter the guest. */
	return r == RET_PF_EMULATE ? -EOPNOTSUPP : 1;
}

int kvm_tdp_map_page(struct kvm_vcpu *vcpu, gpa_t gpa, u64 error_code,
		     u8 *level)
{
	int r;

	r = kvm_mmu_load(vcpu);
	if (r)
		return r;
	do {
		if (kvm_vm_is_dead(vcpu->kvm))
			return -EIO;
		cond_resched();
		r = kvm_mmu_do_page_fault(vcpu, gpa, error_code, true, level);
		/*
		 * A retry waits for someone else (a frozen SPTE, a BUSY S-EPT
		 * lock a guest holds): tdxsim departs from the kernel's plain
		 * cond_resched() here, because in deterministic PCT mode the
		 * holder may only run once the spinner gives its priority up.
		 */
		if (r == RET_PF_RETRY)
			cpu_relax();
	} while (r == RET_PF_RETRY);

	if (r < 0)
		return r;
	switch (r) {
	case RET_PF_FIXED:
	case RET_PF_SPURIOUS:
	case RET_PF_WRITE_PROTECTED:
		return 0;
	case RET_PF_EMULATE:
		return -ENOENT;
	default:
		WARN_ON_ONCE(1);
		return -EIO;
	}
}

int kvm_tdp_mmu_map_private_pfn(struct kvm_vcpu *vcpu, gfn_t gfn,
				kvm_pfn_t pfn)
{
	struct kvm *kvm = vcpu->kvm;
	struct kvm_page_fault fault = {
		.addr = gfn << PAGE_SHIFT,
		.error_code = PFERR_GUEST_FINAL_MASK | PFERR_PRIVATE_ACCESS,
		.prefetch = true,
		.is_private = true,
		.gfn = gfn,
		.max_level = PG_LEVEL_4K,
		.req_level = PG_LEVEL_4K,
		.goal_level = PG_LEVEL_4K,
		.pfn = pfn,
		.map_writable = true,
	};
	int r;

	lockdep_assert_held(&kvm->slots_lock);
	fault.slot = kvm_vcpu_gfn_to_memslot(vcpu, gfn);
	r = kvm_mmu_load(vcpu);
	if (r)
		return r;
	do {
		if (kvm_vm_is_dead(kvm))
			return -EIO;
		cond_resched();
		r = mmu_topup_memory_caches(vcpu);
		if (r)
			return r;
		read_lock(&kvm->mmu_lock);
		r = kvm_tdp_mmu_map(vcpu, &fault);
		read_unlock(&kvm->mmu_lock);
		/* A spin-wait, as in kvm_tdp_map_page(). */
		if (r == RET_PF_RETRY)
			cpu_relax();
	} while (r == RET_PF_RETRY);

	/* An already mapped gfn (RET_PF_SPURIOUS) is an error too (M619). */
	if (r != RET_PF_FIXED)
		return -EIO;
	return 0;
}

long kvm_arch_vcpu_pre_fault_memory(struct kvm_vcpu *vcpu,
				    struct kvm_pre_fault_memory *range)
{
	struct kvm *kvm = vcpu->kvm;
	u64 error_code = PFERR_GUEST_FINAL_MASK;
	gpa_t gpa = range->gpa, end;
	u8 level = PG_LEVEL_4K;
	int r;

	if (!__atomic_load_n(&kvm->arch.pre_fault_allowed, __ATOMIC_ACQUIRE))
		return -EOPNOTSUPP;
	if (kvm_is_gfn_alias(kvm, gpa >> PAGE_SHIFT))
		return -EINVAL;

	if (kvm_mem_is_private(kvm, gpa >> PAGE_SHIFT))
		error_code |= PFERR_PRIVATE_ACCESS;
	else
		gpa |= kvm->arch.gfn_direct_bits << PAGE_SHIFT;

	trace_kvm_pre_fault_memory(vcpu, gpa, error_code);
	r = kvm_tdp_map_page(vcpu, gpa, error_code, &level);
	if (r < 0)
		return r;
	end = (range->gpa & KVM_HPAGE_MASK(level)) + KVM_HPAGE_SIZE(level);
	return min(range->size, end - range->gpa);
}

/* --- zaps --------------------------------------------------------------------------- */

int kvm_split_cross_boundary_leafs(struct kvm *kvm, struct kvm_gfn_range *range,
				   bool shared)
{
	WARN_ON_ONCE(!READ_ONCE(kvm->mmu_invalidate_in_progress) &&
		     !lockdep_is_held(&kvm->slots_lock) &&
		     !lockdep_is_held(&kvm->srcu));
	if (!range->may_block)
		return -EOPNOTSUPP;
	return kvm_tdp_mmu_gfn_range_split_boundary(kvm, range, shared, true);
}

/* Does the VM split private huge mappings before a partial zap (huge_split)? */
static bool kvm_splits_private(struct kvm *kvm)
{
	return READ_ONCE(kvm->design.huge_split) &&
	       kvm_arch_has_private_mem(kvm);
}

/* tdxsim: design split_cache_lock=none drops the mutex after the top-up. */
static bool kvm_split_cache_unlocked(struct kvm *kvm)
{
	return READ_ONCE(kvm->design.split_cache_lock) ==
	       TDXSIM_SPLIT_CACHE_LOCK_NONE;
}

int kvm_lock_split_cache(struct kvm *kvm, int nr)
{
	int r;

	mutex_lock(&kvm->arch.tdp_mmu_external_cache_lock);
	r = kvm_tdp_mmu_topup_split_caches(kvm, nr);
	if (r || kvm_split_cache_unlocked(kvm))
		mutex_unlock(&kvm->arch.tdp_mmu_external_cache_lock);
	return r;
}

void kvm_unlock_split_cache(struct kvm *kvm)
{
	if (!kvm_split_cache_unlocked(kvm))
		mutex_unlock(&kvm->arch.tdp_mmu_external_cache_lock);
}

/*
 * TDX huge pages (design huge_split; RFC v5 44/45's tdx_gmem_convert() and
 * tdp_mmu_split_mirror_huge_pages(), v3's kvm_split_cross_boundary_leafs()
 * callers): before a zap of part of a private huge mapping (conversion to
 * shared, punch hole, memory failure), split the huge leaves that cross
 * @range so that the neighbouring accepted pages survive. The cache mutex,
 * the top-up outside mmu_lock, then the write mmu_lock: a failure (-ENOMEM,
 * or -EIO from a bugged VM) comes back before anything was zapped.
 */
int kvm_split_private_mapping(struct kvm *kvm, struct kvm_gfn_range *range)
{
	int r;

	if (!kvm_splits_private(kvm))
		return 0;
	/* The head and the tail huge page. */
	r = kvm_lock_split_cache(kvm, 2);
	if (r)
		return r;
	write_lock(&kvm->mmu_lock);
	r = kvm_split_cross_boundary_leafs(kvm, range, false);
	write_unlock(&kvm->mmu_lock);
	kvm_unlock_split_cache(kvm);
	return r;
}

bool kvm_unmap_gfn_range(struct kvm *kvm, struct kvm_gfn_range *range)
{
	lockdep_assert_held_write(&kvm->mmu_lock);
	WARN_ON_ONCE(!READ_ONCE(kvm->mmu_invalidate_in_progress) &&
		     !lockdep_is_held(&kvm->slots_lock));
	trace_kvm_unmap_gfn_range(kvm, range->start, range->end);
	return kvm_tdp_mmu_unmap_gfn_range(kvm, range, false);
}

bool kvm_arch_pre_set_memory_attributes(struct kvm *kvm,
					struct kvm_gfn_range *range)
{
	struct kvm_memory_slot *slot = range->slot;
	int level;

	if (!kvm_arch_has_private_mem(kvm))
		return false;

	/*
	 * A huge page that is not mixed yet may be mapped huge: add the head
	 * and tail huge pages the range touches to the invalidation, so a fault
	 * cannot install a huge mapping across the boundary meanwhile.
	 */
	for (level = PG_LEVEL_2M; level <= KVM_MAX_HUGEPAGE_LEVEL; level++) {
		gfn_t nr = KVM_PAGES_PER_HPAGE(level);
		gfn_t head = range->start & ~(nr - 1);
		gfn_t tail = range->end & ~(nr - 1);

		if (head != range->start && head >= slot->base_gfn &&
		    !hugepage_test_mixed(slot, head, level))
			kvm_mmu_invalidate_range_add(kvm, head, head + nr);
		if (tail != range->end && tail >= slot->base_gfn &&
		    tail < slot->base_gfn + slot->npages &&
		    !hugepage_test_mixed(slot, tail, level))
			kvm_mmu_invalidate_range_add(kvm, tail, tail + nr);
	}

	/* Unmap with the filter of the attribute being left. */
	range->attr_filter = (range->attributes & KVM_MEMORY_ATTRIBUTE_PRIVATE) ?
				     KVM_FILTER_SHARED : KVM_FILTER_PRIVATE;
	/*
	 * Design huge_split_order=folio_first (Ackerley Tng's order): the
	 * S-EPT is split here, with the invalidation begun: past the point
	 * of no return, a failed split can only bug the VM, and the zap
	 * below then takes the whole huge mapping.
	 */
	if (kvm_splits_private(kvm) &&
	    range->attr_filter == KVM_FILTER_PRIVATE &&
	    READ_ONCE(kvm->design.huge_split_order) ==
		    TDXSIM_HUGE_SPLIT_ORDER_FOLIO_FIRST &&
	    kvm_split_cross_boundary_leafs(kvm, range, false))
		KVM_BUG_ON(!READ_ONCE(kvm->vm_bugged), kvm);
	return kvm_unmap_gfn_range(kvm, range);
}

bool kvm_arch_post_set_memory_attributes(struct kvm *kvm,
					 struct kvm_gfn_range *range)
{
	lockdep_assert_held_write(&kvm->mmu_lock);
	if (!kvm_arch_has_private_mem(kvm))
		return false;
	update_mixed(kvm, range->slot, range->start, range->end);
	return false;
}

/*
 * The MMU notifier's release and VM destruction (kvm_mmu_zap_all()): zap
 * every direct root; mirror roots are left to kvm_mmu_uninit_vm().
 */
void kvm_arch_flush_shadow_all(struct kvm *kvm)
{
	write_lock(&kvm->mmu_lock);
	kvm_tdp_mmu_zap_all(kvm);
	write_unlock(&kvm->mmu_lock);
}

void kvm_arch_flush_shadow_memslot(struct kvm *kvm,
				   struct kvm_memory_slot *slot)
{
	struct kvm_gfn_range range = {
		.slot = slot,
		.start = slot->base_gfn,
		.end = slot->base_gfn + slot->npages,
		.may_block = true,
		.attr_filter = KVM_FILTER_PRIVATE | KVM_FILTER_SHARED,
	};
	bool flush;

	write_lock(&kvm->mmu_lock);
	trace_kvm_unmap_gfn_range(kvm, range.start, range.end);
	flush = kvm_tdp_mmu_unmap_gfn_range(kvm, &range, false);
	if (flush)
		kvm_flush_remote_tlbs(kvm);
	write_unlock(&kvm->mmu_lock);
}
