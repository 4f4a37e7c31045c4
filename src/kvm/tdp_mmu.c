// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The TDP MMU with direct and mirror roots (the kernel's
 * arch/x86/kvm/mmu/tdp_mmu.c, written anew for tdxsim).
 *
 * A TDX VM has two roots: the direct root maps shared GPAs (indexed with the
 * shared bit) and is walked by the "hardware" (the TDX module's shared-EPT
 * walk); the mirror root maps private GPAs (indexed by the bare gfn) and is
 * never walked by anyone but KVM. Every change to a mirror SPTE is reflected
 * into the TDX module's Secure EPT through the vendor hooks:
 *
 *   non-present -> present (read mmu_lock): freeze the mirror SPTE with a
 *   cmpxchg to FROZEN_SPTE, call link_external_spt (a page table) or
 *   set_external_spte (a leaf), then write the new value, or restore the old
 *   one if the hook failed. A fault that meets a frozen SPTE retries. This is
 *   seed 004; with the mirror_freeze=off design the SPTE goes straight to its
 *   new value and the hook runs after, so another vCPU can walk into a table
 *   the S-EPT does not have yet.
 *
 *   present -> non-present (write mmu_lock): the mirror SPTE is cleared
 *   first, then remove_external_spte (BLOCK, TRACK, kick, REMOVE) runs.
 *
 * Page tables are host pages (so the module can walk the direct tree), each
 * with page->private pointing at its struct kvm_mmu_page, freed via RCU.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/rcu.h"
#include "kvm/kvm_host.h"
#include "kvm/tdp_iter.h"
#include "kvm/tdp_mmu.h"
#include "kvm/tdxsim_ctl.h"
#include "kvm/tdxsim_tdp_iter.h"
#include "kvm/tdxsim_trace.h"

#define MMU_CACHE_MIN	(PT64_ROOT_MAX_LEVEL + 1)

/* --- memory caches ------------------------------------------------------------ */

static void *cache_alloc_obj(struct kvm_mmu_memory_cache *mc)
{
	if (mc->page_alloc) {
		struct page *page = alloc_page();

		return page ? page_address(page) : NULL;
	}
	return calloc(1, mc->obj_size);
}

static void cache_free_obj(struct kvm_mmu_memory_cache *mc, void *obj)
{
	if (mc->page_alloc)
		__free_page(virt_to_page(obj));
	else
		free(obj);
}

/*
 * Fill @mc to @min objects (the split caches), or with @fill as the vCPU's
 * kvm_mmu_topup_memory_cache(): nothing while @min objects are left, else
 * fill the cache to its capacity (so a VM's page tables come a batch at a
 * time, next to each other).
 */
static int topup_cache_fill(struct kvm_mmu_memory_cache *mc, int min,
			    bool fill)
{
	int target;

	if (!mc->capacity)
		mc->capacity = KVM_MMU_MEMORY_CACHE_NR;
	if (mc->nobjs >= min)
		return 0;
	target = fill ? mc->capacity : min;
	while (mc->nobjs < target) {
		void *obj = cache_alloc_obj(mc);

		if (!obj)
			return mc->nobjs >= min ? 0 : -ENOMEM;
		mc->objects[mc->nobjs++] = obj;
	}
	return 0;
}

static int topup_cache(struct kvm_mmu_memory_cache *mc, int min)
{
	return topup_cache_fill(mc, min, false);
}

/* Take an object from @mc; falls back to an allocation if it ran dry. */
static void *cache_take(struct kvm_mmu_memory_cache *mc)
{
	if (WARN_ON_ONCE(!mc->nobjs))
		return cache_alloc_obj(mc);
	return mc->objects[--mc->nobjs];
}

static void free_cache(struct kvm_mmu_memory_cache *mc)
{
	while (mc->nobjs) {
		void *obj = mc->objects[--mc->nobjs];

		/*
		 * tdxsim: a page never taken from the cache is as zeroed as
		 * it was allocated; unmarked, the next allocation of it does
		 * not zero it again (an exploration tops up and frees ~80
		 * pages per schedule, most of them unused).
		 */
		if (mc->page_alloc)
			page_clear_written(virt_to_page(obj));
		cache_free_obj(mc, obj);
	}
}

int mmu_topup_memory_caches(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;
	int r;

	a->mmu_page_header_cache.obj_size = sizeof(struct kvm_mmu_page);
	a->mmu_shadow_page_cache.page_alloc = true;
	a->mmu_external_spt_cache.page_alloc = true;
	r = topup_cache_fill(&a->mmu_page_header_cache, MMU_CACHE_MIN, true);
	if (!r)
		r = topup_cache_fill(&a->mmu_shadow_page_cache, MMU_CACHE_MIN,
				     true);
	if (!r && vcpu->kvm->arch.has_private_mem)
		r = topup_cache_fill(&a->mmu_external_spt_cache, MMU_CACHE_MIN,
				     true);
	if (!r && vcpu->kvm->arch.has_private_mem &&
	    kvm_vm_uses_vendor(vcpu->kvm) && kvm_x86_ops.topup_external_cache)
		r = kvm_x86_ops.topup_external_cache(vcpu, PT64_ROOT_MAX_LEVEL);
	return r;
}

void mmu_free_memory_caches(struct kvm_vcpu *vcpu)
{
	free_cache(&vcpu->arch.mmu_page_header_cache);
	free_cache(&vcpu->arch.mmu_shadow_page_cache);
	free_cache(&vcpu->arch.mmu_external_spt_cache);
}

/* --- shadow pages ------------------------------------------------------------------ */

static void tdp_mmu_init_sp(struct kvm_mmu_page *sp, u64 *sptep, gfn_t gfn,
			    union kvm_mmu_page_role role)
{
	struct page *page = virt_to_page(sp->spt);
	int i;

	page->private = (u64)(uintptr_t)sp;
	sp->role = role;
	sp->gfn = gfn;
	sp->ptep = sptep;
	INIT_LIST_HEAD(&sp->link);
	for (i = 0; i < SPTE_ENT_PER_PAGE; i++)
		sp->spt[i] = SHADOW_NONPRESENT_VALUE;
}

static struct kvm_mmu_page *tdp_mmu_alloc_sp(struct kvm_vcpu *vcpu)
{
	struct kvm_mmu_page *sp;

	sp = cache_take(&vcpu->arch.mmu_page_header_cache);
	memset(sp, 0, sizeof(*sp));
	sp->spt = cache_take(&vcpu->arch.mmu_shadow_page_cache);
	return sp;
}

static void tdp_mmu_free_sp(struct kvm_mmu_page *sp)
{
	struct page *page = virt_to_page(sp->spt);

	page->private = 0;
	if (sp->external_spt)
		__free_page(virt_to_page(sp->external_spt));
	__free_page(page);
	free(sp);
}

static void tdp_mmu_free_sp_rcu_callback(struct rcu_head *head)
{
	tdp_mmu_free_sp(container_of(head, struct kvm_mmu_page, rcu_head));
}

static void kvm_mmu_alloc_external_spt(struct kvm_vcpu *vcpu,
				       struct kvm_mmu_page *sp)
{
	sp->external_spt = cache_take(&vcpu->arch.mmu_external_spt_cache);
}

static void tdp_mmu_init_child_sp(struct kvm_mmu_page *child,
				  struct tdp_iter *iter)
{
	struct kvm_mmu_page *parent = sptep_to_sp(iter->sptep);
	union kvm_mmu_page_role role = parent->role;

	role.level--;
	tdp_mmu_init_sp(child, iter->sptep, iter->gfn, role);
}

/* --- roots ------------------------------------------------------------------------ */

void kvm_mmu_init_tdp_mmu(struct kvm *kvm)
{
	INIT_LIST_HEAD(&kvm->arch.tdp_mmu_roots);
	spin_lock_init(&kvm->arch.tdp_mmu_pages_lock);
	mutex_init(&kvm->arch.tdp_mmu_external_cache_lock);
	kvm->arch.split_page_header_cache.obj_size = sizeof(struct kvm_mmu_page);
	kvm->arch.split_shadow_page_cache.page_alloc = true;
	kvm->arch.split_external_spt_cache.page_alloc = true;
	if (!kvm->arch.tdp_root_level)
		kvm->arch.tdp_root_level = PT64_ROOT_4LEVEL;
}

enum kvm_tdp_mmu_root_types
kvm_gfn_range_filter_to_root_types(struct kvm *kvm,
				   enum kvm_gfn_range_filter filter)
{
	enum kvm_tdp_mmu_root_types types = 0;

	/*
	 * kvm_has_mirrored_tdp(): only a TDX VM maps private memory in a
	 * mirror root; a SW_PROTECTED VM maps both kinds in its direct root.
	 */
	if (kvm->arch.vm_type != KVM_X86_TDX_VM)
		return KVM_DIRECT_ROOTS;
	if (filter & KVM_FILTER_PRIVATE)
		types |= KVM_MIRROR_ROOTS;
	if (filter & KVM_FILTER_SHARED)
		types |= KVM_DIRECT_ROOTS;
	return types;
}

static bool tdp_mmu_root_match(struct kvm_mmu_page *root,
			       enum kvm_tdp_mmu_root_types types)
{
	if (WARN_ON_ONCE(!(types & KVM_VALID_ROOTS)))
		return false;
	if (root->role.invalid && !(types & KVM_INVALID_ROOTS))
		return false;
	if (!is_mirror_sp(root))
		return types & KVM_DIRECT_ROOTS;
	return types & KVM_MIRROR_ROOTS;
}

static bool kvm_tdp_mmu_get_root(struct kvm_mmu_page *root)
{
	return atomic_inc_not_zero(&root->tdp_mmu_root_count);
}

/*
 * The next root after @prev_root (the first if NULL) that matches @types,
 * with a reference taken; the reference to @prev_root is put. NULL at the
 * end. mmu_lock is held (role.invalid is protected by it).
 *
 * tdxsim: the root list is walked under tdp_mmu_pages_lock, not RCU.
 */
static struct kvm_mmu_page *tdp_mmu_next_root(struct kvm *kvm,
					      struct kvm_mmu_page *prev_root,
					      enum kvm_tdp_mmu_root_types types)
{
	struct kvm_mmu_page *next_root;

	lockdep_assert_held(&kvm->mmu_lock);
	spin_lock(&kvm->arch.tdp_mmu_pages_lock);
	if (prev_root)
		next_root = prev_root->link.next == &kvm->arch.tdp_mmu_roots ?
			NULL : list_next_entry(prev_root, link);
	else
		next_root = list_empty(&kvm->arch.tdp_mmu_roots) ? NULL :
			list_first_entry(&kvm->arch.tdp_mmu_roots,
					 struct kvm_mmu_page, link);
	while (next_root) {
		if (tdp_mmu_root_match(next_root, types) &&
		    kvm_tdp_mmu_get_root(next_root))
			break;
		next_root = next_root->link.next == &kvm->arch.tdp_mmu_roots ?
			NULL : list_next_entry(next_root, link);
	}
	spin_unlock(&kvm->arch.tdp_mmu_pages_lock);

	if (prev_root)
		kvm_tdp_mmu_put_root(kvm, prev_root);
	return next_root;
}

/*
 * Every root matching @types, each held by a reference while the body runs,
 * so the body may drop mmu_lock and yield. Leaving early keeps the
 * reference of the current root.
 */
#define __for_each_tdp_mmu_root_yield_safe(_kvm, _root, _types)		\
	for (_root = tdp_mmu_next_root(_kvm, NULL, _types);		\
	     ({ lockdep_assert_held(&(_kvm)->mmu_lock); }), _root;	\
	     _root = tdp_mmu_next_root(_kvm, _root, _types))

#define for_each_valid_tdp_mmu_root_yield_safe(_kvm, _root)		\
	__for_each_tdp_mmu_root_yield_safe(_kvm, _root, KVM_VALID_ROOTS)

#define for_each_tdp_mmu_root_yield_safe(_kvm, _root)			\
	__for_each_tdp_mmu_root_yield_safe(_kvm, _root, KVM_ALL_ROOTS)

struct kvm_mmu_page *kvm_tdp_mmu_find_root(struct kvm *kvm, bool mirror)
{
	struct kvm_mmu_page *root, *found = NULL;

	spin_lock(&kvm->arch.tdp_mmu_pages_lock);
	list_for_each_entry(root, &kvm->arch.tdp_mmu_roots, link) {
		if (!root->role.invalid && is_mirror_sp(root) == mirror) {
			found = root;
			break;
		}
	}
	spin_unlock(&kvm->arch.tdp_mmu_pages_lock);
	return found;
}

hpa_t kvm_tdp_mmu_alloc_root(struct kvm_vcpu *vcpu, bool mirror)
{
	struct kvm *kvm = vcpu->kvm;
	union kvm_mmu_page_role role = { .word = 0 };
	struct kvm_mmu_page *root;

	role.level = kvm->arch.tdp_root_level;
	role.direct = 1;
	role.is_mirror = mirror;

	read_lock(&kvm->mmu_lock);
	spin_lock(&kvm->arch.tdp_mmu_pages_lock);
	list_for_each_entry(root, &kvm->arch.tdp_mmu_roots, link) {
		if (root->role.word == role.word &&
		    atomic_inc_not_zero(&root->tdp_mmu_root_count))
			goto out;
	}
	root = tdp_mmu_alloc_sp(vcpu);
	tdp_mmu_init_sp(root, NULL, 0, role);
	/* One reference for the vCPU, one for the MMU until teardown. */
	atomic_set(&root->tdp_mmu_root_count, 2);
	list_add_tail(&root->link, &kvm->arch.tdp_mmu_roots);
out:
	spin_unlock(&kvm->arch.tdp_mmu_pages_lock);
	read_unlock(&kvm->mmu_lock);
	return page_to_phys(virt_to_page(root->spt));
}

/* --- changing SPTEs ------------------------------------------------------------------ */

static void handle_changed_spte(struct kvm *kvm, gfn_t gfn, u64 old_spte,
				u64 new_spte, int level, bool shared);

static void tdp_mmu_unlink_sp(struct kvm *kvm, struct kvm_mmu_page *sp)
{
	atomic64_dec(&kvm->arch.tdp_mmu_pages);
}

/* Reflect the removal of a present mirror leaf into the S-EPT. */
static void remove_external_spte(struct kvm *kvm, gfn_t gfn, u64 old_spte,
				 int level)
{
	if (!is_shadow_present_pte(old_spte) || !is_last_spte(old_spte, level))
		return;
	lockdep_assert_held_write(&kvm->mmu_lock);
	kvm_x86_ops.remove_external_spte(kvm, gfn, level, old_spte);
}

/*
 * A page table was unlinked: tear it down post-order. Every child SPTE is
 * frozen so no one can install into the dead table; mirror leaves are
 * removed from the S-EPT and the S-EPT page itself is reclaimed.
 */
static void handle_removed_pt(struct kvm *kvm, u64 *pt, bool shared)
{
	struct kvm_mmu_page *sp = sptep_to_sp(pt);
	int level = sp->role.level;
	gfn_t base_gfn = sp->gfn;
	int i;

	tdp_mmu_unlink_sp(kvm, sp);

	for (i = 0; i < SPTE_ENT_PER_PAGE; i++) {
		u64 *sptep = pt + i;
		gfn_t gfn = base_gfn + i * KVM_PAGES_PER_HPAGE(level);
		u64 old_spte;

		if (shared) {
			/* Someone else may be mid-update: wait for them. */
			for (;;) {
				old_spte = kvm_tdp_mmu_write_spte_atomic(sptep,
								FROZEN_SPTE);
				if (!is_frozen_spte(old_spte))
					break;
				cpu_relax();
			}
		} else {
			old_spte = kvm_tdp_mmu_read_spte(sptep);
			if (!is_shadow_present_pte(old_spte))
				continue;
			__kvm_tdp_mmu_write_spte(sptep, FROZEN_SPTE);
		}
		handle_changed_spte(kvm, gfn, old_spte, FROZEN_SPTE, level,
				    shared);
		tdxsim_trace_direct_spte(sp, old_spte, FROZEN_SPTE, level);
		if (is_mirror_sp(sp)) {
			KVM_BUG_ON(shared, kvm);
			remove_external_spte(kvm, gfn, old_spte, level);
		}
	}

	if (is_mirror_sp(sp) &&
	    WARN_ON(kvm_x86_ops.free_external_spt(kvm, base_gfn, level,
						  sp->external_spt))) {
		/* The module may still own it: leak it rather than reuse it. */
		sp->external_spt = NULL;
	} else if (is_mirror_sp(sp) &&
		   READ_ONCE(kvm->design.free_external_spt) ==
			   TDXSIM_FREE_EXTERNAL_SPT_IMMEDIATE) {
		/* next (110d4d26): the vendor freed it already. */
		sp->external_spt = NULL;
	}
	call_rcu(&sp->rcu_head, tdp_mmu_free_sp_rcu_callback);
}

static void handle_changed_spte(struct kvm *kvm, gfn_t gfn, u64 old_spte,
				u64 new_spte, int level, bool shared)
{
	bool was_present = is_shadow_present_pte(old_spte);
	bool is_present = is_shadow_present_pte(new_spte);
	bool was_leaf = was_present && is_last_spte(old_spte, level);
	bool is_leaf = is_present && is_last_spte(new_spte, level);
	bool pfn_changed = spte_to_pfn(old_spte) != spte_to_pfn(new_spte);

	WARN_ON_ONCE(level > PT64_ROOT_MAX_LEVEL || level < PG_LEVEL_4K);
	WARN_ON_ONCE(gfn & (KVM_PAGES_PER_HPAGE(level) - 1));

	/*
	 * Replacing one present leaf with another pfn is never allowed: the
	 * kernel's BUG() (tdxsim's reports and aborts the process).
	 */
	if (was_leaf && is_leaf && pfn_changed) {
		pr_err("kvm: SPTE of gfn 0x%llx level %d changed pfn: 0x%llx -> 0x%llx\n",
		       (unsigned long long)gfn, level,
		       (unsigned long long)old_spte,
		       (unsigned long long)new_spte);
		BUG();
	}
	if (old_spte == new_spte)
		return;
	if (!was_present && !is_present) {
		WARN_ON_ONCE(!is_frozen_spte(new_spte) &&
			     !is_frozen_spte(old_spte));
		return;
	}
	if (is_leaf != was_leaf && level <= KVM_NR_PAGE_SIZES)
		atomic64_add(is_leaf ? 1 : -1,
			     &kvm->arch.pages_mapped[level - 1]);

	if (was_present && !was_leaf &&
	    (is_leaf || !is_present || pfn_changed))
		handle_removed_pt(kvm, pfn_to_virt(spte_to_pfn(old_spte)),
				  shared);
}

/*
 * Install @new_spte for a mirror SPTE whose old value is not present:
 * freeze, reflect into the S-EPT, then publish (or unfreeze on failure).
 */
static int set_external_spte_present(struct kvm *kvm, u64 *sptep, gfn_t gfn,
				     u64 *old_spte, u64 new_spte, int level)
{
	bool is_leaf = is_last_spte(new_spte, level);
	bool freeze = READ_ONCE(kvm->design.mirror_freeze);
	u64 published = freeze ? FROZEN_SPTE : new_spte;
	u64 old = *old_spte;
	int ret;

	/* Atomic zapping and replacing of mirror SPTEs are not supported. */
	if (KVM_BUG_ON(!is_shadow_present_pte(new_spte), kvm))
		return -EBUSY;
	if (KVM_BUG_ON(is_shadow_present_pte(*old_spte), kvm))
		return -EIO;

	/*
	 * Up to 6.19 the cmpxchg works on a copy, so a caller that retries in
	 * place keeps a stale iter->old_spte; 7.2 (02eaaffd) refreshes it
	 * (design mirror_cmpxchg_refresh_old).
	 */
	if (!try_cmpxchg64(sptep, &old, published)) {
		if (READ_ONCE(kvm->design.mirror_cmpxchg_refresh_old))
			*old_spte = old;
		return -EBUSY;
	}

	if (is_leaf) {
		ret = kvm_x86_ops.set_external_spte(kvm, gfn, level, new_spte);
	} else {
		struct kvm_mmu_page *child = spte_to_child_sp(new_spte);

		WARN_ON_ONCE(child->role.level + 1 != level ||
			     child->gfn != gfn);
		ret = kvm_x86_ops.link_external_spt(kvm, gfn, level,
						    child->external_spt);
	}

	if (freeze) {
		/* Unfreeze: the new value if the S-EPT has it, else the old. */
		__kvm_tdp_mmu_write_spte(sptep, ret ? *old_spte : new_spte);
	} else if (ret) {
		/* The old design had nothing to hide behind: take it back. */
		u64 cur = new_spte;

		try_cmpxchg64(sptep, &cur, *old_spte);
	}
	return ret;
}

/*
 * Set an SPTE under the read mmu_lock. Returns 0, or -EBUSY if the SPTE
 * changed under us (iter->old_spte then holds the current value), or the
 * vendor hook's error for a mirror SPTE; the caller retries the fault.
 */
static int __must_check tdp_mmu_set_spte_atomic(struct kvm *kvm,
						struct tdp_iter *iter,
						u64 new_spte)
{
	u64 *sptep = iter->sptep;
	int ret;

	lockdep_assert_held_read(&kvm->mmu_lock);
	WARN_ON_ONCE(iter->yielded || is_frozen_spte(iter->old_spte));

	if (is_mirror_sptep(sptep) && !is_frozen_spte(new_spte)) {
		ret = set_external_spte_present(kvm, sptep, iter->gfn,
						&iter->old_spte, new_spte,
						iter->level);
		if (ret)
			return ret;
	} else {
		if (!try_cmpxchg64(sptep, &iter->old_spte, new_spte))
			return -EBUSY;
	}
	handle_changed_spte(kvm, iter->gfn, iter->old_spte, new_spte,
			    iter->level, true);
	tdxsim_trace_direct_spte(sptep_to_sp(sptep), iter->old_spte, new_spte,
				 iter->level);
	return 0;
}

/*
 * Set an SPTE under the write mmu_lock (zaps). For a mirror leaf the
 * S-EPT removal runs after the mirror SPTE is already non-present.
 */
static u64 tdp_mmu_set_spte(struct kvm *kvm, u64 *sptep, u64 old_spte,
			    u64 new_spte, gfn_t gfn, int level)
{
	lockdep_assert_held_write(&kvm->mmu_lock);
	WARN_ON_ONCE(is_frozen_spte(old_spte) || is_frozen_spte(new_spte));

	old_spte = kvm_tdp_mmu_write_spte_atomic(sptep, new_spte);
	handle_changed_spte(kvm, gfn, old_spte, new_spte, level, false);
	tdxsim_trace_direct_spte(sptep_to_sp(sptep), old_spte, new_spte, level);

	if (is_mirror_sptep(sptep)) {
		/* Only zapping goes through here for mirror roots. */
		KVM_BUG_ON(is_shadow_present_pte(new_spte), kvm);
		remove_external_spte(kvm, gfn, old_spte, level);
	}
	return old_spte;
}

static void tdp_mmu_iter_set_spte(struct kvm *kvm, struct tdp_iter *iter,
				  u64 new_spte)
{
	WARN_ON_ONCE(iter->yielded);
	iter->old_spte = tdp_mmu_set_spte(kvm, iter->sptep, iter->old_spte,
					  new_spte, iter->gfn, iter->level);
}

/*
 * Give the write lock up for a moment when someone waits for it. Returns
 * true if it did (the walk restarts from the root).
 */
static bool tdp_mmu_iter_cond_resched(struct kvm *kvm, struct tdp_iter *iter,
				      bool flush)
{
	if (iter->next_last_level_gfn == iter->yielded_gfn)
		return false;
	if (!rwlock_needbreak(&kvm->mmu_lock))
		return false;
	if (flush)
		kvm_flush_remote_tlbs(kvm);
	rcu_read_unlock();
	write_unlock(&kvm->mmu_lock);
	cond_resched();
	write_lock(&kvm->mmu_lock);
	rcu_read_lock();
	iter->yielded = true;
	return true;
}

/* --- zaps ----------------------------------------------------------------------------------- */

static gfn_t tdp_mmu_max_gfn_exclusive(struct kvm *kvm,
				       struct kvm_mmu_page *root);

static bool tdp_mmu_zap_leafs(struct kvm *kvm, struct kvm_mmu_page *root,
			      gfn_t start, gfn_t end, bool can_yield,
			      bool flush)
{
	struct tdp_iter iter;

	lockdep_assert_held_write(&kvm->mmu_lock);
	/* Beyond what the root maps, a walk would wrap onto low gfns. */
	end = min(end, tdp_mmu_max_gfn_exclusive(kvm, root));
	if (start >= end)
		return flush;
	rcu_read_lock();
	for_each_tdp_pte_min_level(iter, root, PG_LEVEL_4K, start, end,
				   kvm_gfn_root_bits(kvm, root)) {
		if (can_yield && tdp_mmu_iter_cond_resched(kvm, &iter, flush)) {
			flush = false;
			continue;
		}
		if (!is_shadow_present_pte(iter.old_spte) ||
		    !is_last_spte(iter.old_spte, iter.level))
			continue;
		tdp_mmu_iter_set_spte(kvm, &iter, SHADOW_NONPRESENT_VALUE);
		trace_kvm_tdp_mmu_zap_leaf(kvm, iter.gfn, iter.level, iter.old_spte);
		/* An invalid root's zap needs no flush (a new root is loaded). */
		if (!root->role.invalid)
			flush = true;
	}
	rcu_read_unlock();
	return flush;
}

bool kvm_tdp_mmu_unmap_gfn_range(struct kvm *kvm, struct kvm_gfn_range *range,
				 bool flush)
{
	enum kvm_tdp_mmu_root_types types;
	struct kvm_mmu_page *root;

	types = kvm_gfn_range_filter_to_root_types(kvm, range->attr_filter) |
		KVM_INVALID_ROOTS;
	__for_each_tdp_mmu_root_yield_safe(kvm, root, types)
		flush = tdp_mmu_zap_leafs(kvm, root, range->start, range->end,
					  range->may_block, flush);
	return flush;
}

/*
 * The end of the gfn space a root maps. A direct root is indexed with the
 * shared bit set, so its gfns stop below that bit (above it they alias).
 */
static gfn_t tdp_mmu_max_gfn_exclusive(struct kvm *kvm,
				       struct kvm_mmu_page *root)
{
	gfn_t end = 1ULL << (root->role.level * SPTE_LEVEL_BITS);
	gfn_t bits = kvm_gfn_root_bits(kvm, root);

	return bits && bits < end ? bits : end;
}

/* Zap everything under @root at @zap_level and below (teardown). */
static void __tdp_mmu_zap_root(struct kvm *kvm, struct kvm_mmu_page *root,
			       int zap_level)
{
	gfn_t end = tdp_mmu_max_gfn_exclusive(kvm, root);
	struct tdp_iter iter;

	for_each_tdp_pte_min_level(iter, root, zap_level, 0, end,
				   kvm_gfn_root_bits(kvm, root)) {
		if (tdp_mmu_iter_cond_resched(kvm, &iter, false))
			continue;
		if (!is_shadow_present_pte(iter.old_spte)) {
			if (!rwlock_needbreak(&kvm->mmu_lock))
				tdxsim_tdp_iter_skip_absent(&iter, end);
			continue;
		}
		if (iter.level > zap_level)
			continue;
		tdp_mmu_iter_set_spte(kvm, &iter, SHADOW_NONPRESENT_VALUE);
	}
}

/*
 * Zap every SPTE of @root, in passes of 4K, 2M, 1G, then the root's level,
 * each of which may yield mmu_lock (the root is held by a reference, so an
 * unmap can reach it meanwhile).
 */
static void tdp_mmu_zap_root(struct kvm *kvm, struct kvm_mmu_page *root)
{
	WARN_ON_ONCE(!atomic_read(&root->tdp_mmu_root_count));
	lockdep_assert_held_write(&kvm->mmu_lock);
	rcu_read_lock();
	__tdp_mmu_zap_root(kvm, root, PG_LEVEL_4K);
	__tdp_mmu_zap_root(kvm, root, PG_LEVEL_2M);
	__tdp_mmu_zap_root(kvm, root, PG_LEVEL_1G);
	__tdp_mmu_zap_root(kvm, root, root->role.level);
	rcu_read_unlock();
}

void kvm_tdp_mmu_put_root(struct kvm *kvm, struct kvm_mmu_page *root)
{
	if (!atomic_dec_and_test(&root->tdp_mmu_root_count))
		return;
	/* The MMU's own reference is put only once the root is invalid. */
	KVM_BUG_ON(!root->role.invalid, kvm);
	spin_lock(&kvm->arch.tdp_mmu_pages_lock);
	list_del(&root->link);
	spin_unlock(&kvm->arch.tdp_mmu_pages_lock);
	call_rcu(&root->rcu_head, tdp_mmu_free_sp_rcu_callback);
}

void kvm_tdp_mmu_zap_all(struct kvm *kvm)
{
	struct kvm_mmu_page *root;

	/*
	 * Every direct root, invalid ones too; mirror roots wait for
	 * kvm_mmu_uninit_tdp_mmu() (after the HKID is released).
	 */
	lockdep_assert_held_write(&kvm->mmu_lock);
	__for_each_tdp_mmu_root_yield_safe(kvm, root,
					   KVM_DIRECT_ROOTS | KVM_INVALID_ROOTS)
		tdp_mmu_zap_root(kvm, root);
}

void kvm_tdp_mmu_zap_invalidated_roots(struct kvm *kvm)
{
	struct kvm_mmu_page *root;

	write_lock(&kvm->mmu_lock);
	for_each_tdp_mmu_root_yield_safe(kvm, root) {
		if (!root->tdp_mmu_scheduled_root_to_zap)
			continue;
		root->tdp_mmu_scheduled_root_to_zap = false;
		KVM_BUG_ON(!root->role.invalid, kvm);
		tdp_mmu_zap_root(kvm, root);
		/* After the zap: unmaps must reach the root while it runs. */
		kvm_tdp_mmu_put_root(kvm, root);
	}
	write_unlock(&kvm->mmu_lock);
}

void kvm_tdp_mmu_invalidate_roots(struct kvm *kvm,
				  enum kvm_tdp_mmu_root_types root_types)
{
	struct kvm_mmu_page *root;

	if (WARN_ON_ONCE(root_types & KVM_INVALID_ROOTS))
		root_types &= ~KVM_INVALID_ROOTS;
	/* Waived while the VM is destroyed: nobody else can see it. */
	if (atomic_read(&kvm->users_count) && kvm->created_vcpus)
		lockdep_assert_held_write(&kvm->mmu_lock);
	list_for_each_entry(root, &kvm->arch.tdp_mmu_roots, link) {
		if (!tdp_mmu_root_match(root, root_types))
			continue;
		if (!root->role.invalid) {
			root->tdp_mmu_scheduled_root_to_zap = true;
			root->role.invalid = true;
		}
	}
}

void kvm_mmu_uninit_tdp_mmu(struct kvm *kvm)
{
	/*
	 * Invalidating every root schedules it for zapping, which puts the
	 * MMU's reference and so frees it. For a TDX VM the HKID is released
	 * by now, so the mirror tree's S-EPT pages can be reclaimed.
	 */
	kvm_tdp_mmu_invalidate_roots(kvm, KVM_VALID_ROOTS);
	kvm_tdp_mmu_zap_invalidated_roots(kvm);
	WARN_ON(!list_empty(&kvm->arch.tdp_mmu_roots));
	rcu_barrier();
	free_cache(&kvm->arch.split_page_header_cache);
	free_cache(&kvm->arch.split_shadow_page_cache);
	free_cache(&kvm->arch.split_external_spt_cache);
	mutex_destroy(&kvm->arch.tdp_mmu_external_cache_lock);
}

/* --- splitting huge leaves ---------------------------------------------------------------------- */

int kvm_tdp_mmu_topup_split_caches(struct kvm *kvm, int nr)
{
	struct kvm_arch *a = &kvm->arch;
	int r;

	lockdep_assert_held(&a->tdp_mmu_external_cache_lock);
	r = topup_cache(&a->split_page_header_cache, nr);
	if (!r)
		r = topup_cache(&a->split_shadow_page_cache, nr);
	if (!r)
		r = topup_cache(&a->split_external_spt_cache, nr);
	if (!r && kvm_x86_ops.topup_external_split_cache)
		r = kvm_x86_ops.topup_external_split_cache(kvm, nr);
	return r;
}

/*
 * A page table for splitting a huge leaf (write lock). A mirror split takes
 * it, and its S-EPT page, from the VM's split caches (topped up outside
 * mmu_lock, their mutex held): NULL (-ENOMEM) when they ran dry. A direct
 * split allocates.
 */
static struct kvm_mmu_page *tdp_mmu_alloc_sp_for_split(struct kvm *kvm,
							bool mirror)
{
	struct kvm_arch *a = &kvm->arch;
	struct kvm_mmu_page *sp;
	struct page *spt;

	if (mirror) {
		/* tdxsim: not with design split_cache_lock=none (H7). */
		if (READ_ONCE(kvm->design.split_cache_lock) ==
		    TDXSIM_SPLIT_CACHE_LOCK_MUTEX)
			lockdep_assert_held(&a->tdp_mmu_external_cache_lock);
		if (tdxsim_inject_split_enomem(kvm) ||
		    !a->split_page_header_cache.nobjs ||
		    !a->split_shadow_page_cache.nobjs ||
		    !a->split_external_spt_cache.nobjs)
			return NULL;
		sp = cache_take(&a->split_page_header_cache);
		sp->spt = cache_take(&a->split_shadow_page_cache);
		sp->external_spt = cache_take(&a->split_external_spt_cache);
		return sp;
	}
	sp = calloc(1, sizeof(*sp));
	spt = alloc_page();
	if (!sp || !spt) {
		free(sp);
		if (spt)
			__free_page(spt);
		return NULL;
	}
	sp->spt = page_address(spt);
	return sp;
}

/*
 * Replace the huge leaf at @iter by a page table @sp of 512 leaves one level
 * down mapping the same pfns. A mirror leaf is split in the S-EPT first
 * (BLOCK, TRACK, DEMOTE: the new leaves keep their state), which needs the
 * write mmu_lock; the direct root may be split under the read lock.
 */
static int tdp_mmu_split_huge_page(struct kvm *kvm, struct tdp_iter *iter,
				   struct kvm_mmu_page *sp, bool shared)
{
	const u64 huge_spte = iter->old_spte;
	const int level = iter->level;
	kvm_pfn_t pfn = spte_to_pfn(huge_spte);
	bool mirror = is_mirror_sptep(iter->sptep);
	u64 new_spte;
	int i, r;

	/*
	 * The vendor refuses a mirror split under the read lock (v3 09/24).
	 * tdxsim: design huge_split_lock=read (RFC v1/v2) runs it, the
	 * mirror SPTE frozen meanwhile as for any shared S-EPT update.
	 */
	if (mirror && shared) {
		if (READ_ONCE(kvm->design.huge_split_lock) ==
			    TDXSIM_HUGE_SPLIT_LOCK_READ &&
		    !try_cmpxchg64(iter->sptep, &iter->old_spte, FROZEN_SPTE))
			return -EBUSY;
		r = kvm_x86_ops.split_external_spte(kvm, iter->gfn, level,
						    huge_spte,
						    sp->external_spt, true);
		if (r) {
			if (READ_ONCE(kvm->design.huge_split_lock) ==
			    TDXSIM_HUGE_SPLIT_LOCK_READ)
				__kvm_tdp_mmu_write_spte(iter->sptep,
							 huge_spte);
			return r;
		}
	}

	tdp_mmu_init_child_sp(sp, iter);
	for (i = 0; i < SPTE_ENT_PER_PAGE; i++)
		sp->spt[i] = make_leaf_spte(pfn + i * KVM_PAGES_PER_HPAGE(level - 1),
					    level - 1);
	new_spte = make_nonleaf_spte(page_to_pfn(virt_to_page(sp->spt)));

	if (shared && mirror) {
		/* Frozen above: nobody else may change it. */
		__kvm_tdp_mmu_write_spte(iter->sptep, new_spte);
		iter->old_spte = new_spte;
	} else if (shared) {
		if (!try_cmpxchg64(iter->sptep, &iter->old_spte, new_spte))
			return -EBUSY;
	} else {
		lockdep_assert_held_write(&kvm->mmu_lock);
		if (mirror) {
			r = kvm_x86_ops.split_external_spte(kvm, iter->gfn,
							    level, huge_spte,
							    sp->external_spt,
							    false);
			if (r)
				return r;
		}
		kvm_tdp_mmu_write_spte_atomic(iter->sptep, new_spte);
		iter->old_spte = new_spte;
	}
	handle_changed_spte(kvm, iter->gfn, huge_spte, new_spte, level, shared);
	tdxsim_trace_direct_spte(sptep_to_sp(iter->sptep), huge_spte, new_spte,
				 level);
	if (level - 1 <= KVM_NR_PAGE_SIZES)
		atomic64_add(SPTE_ENT_PER_PAGE,
			     &kvm->arch.pages_mapped[level - 2]);
	if (tdxsim_trace_on() && !mirror)
		tdxsim_trace_shared_pages(level - 1, SPTE_ENT_PER_PAGE);
	atomic64_inc(&kvm->arch.tdp_mmu_pages);
	trace_kvm_mmu_split_huge_page(kvm, iter->gfn, huge_spte, level, 0);
	return 0;
}

int kvm_tdp_mmu_gfn_range_split_boundary(struct kvm *kvm,
					 struct kvm_gfn_range *range,
					 bool shared, bool only_cross_boundary)
{
	enum kvm_tdp_mmu_root_types types;
	struct kvm_mmu_page *root;
	struct tdp_iter iter;
	int r = 0;

	types = kvm_gfn_range_filter_to_root_types(kvm, range->attr_filter);
	__for_each_tdp_mmu_root_yield_safe(kvm, root, types) {
		gfn_t end;

		if (r) {
			/* Stop: the iterator puts this root's reference. */
			continue;
		}
		end = min(range->end, tdp_mmu_max_gfn_exclusive(kvm, root));
		/* A failed DEMOTE would need an UNBLOCK that may be BUSY. */
		if (is_mirror_sp(root) && shared) {
			r = -EOPNOTSUPP;
			continue;
		}
		if (range->start >= end)
			continue;
		rcu_read_lock();
		for_each_tdp_pte_min_level(iter, root, PG_LEVEL_2M,
					   range->start, end,
					   kvm_gfn_root_bits(kvm, root)) {
			struct kvm_mmu_page *sp;

			if (!is_shadow_present_pte(iter.old_spte) ||
			    !is_last_spte(iter.old_spte, iter.level) ||
			    iter.level == PG_LEVEL_4K)
				continue;
			if (only_cross_boundary && iter.gfn >= range->start &&
			    iter.gfn + KVM_PAGES_PER_HPAGE(iter.level) <=
				    range->end)
				continue;
			sp = tdp_mmu_alloc_sp_for_split(kvm,
							is_mirror_sp(root));
			if (!sp) {
				r = -ENOMEM;
				break;
			}
			r = tdp_mmu_split_huge_page(kvm, &iter, sp, shared);
			if (r) {
				tdp_mmu_free_sp(sp);
				break;
			}
		}
		rcu_read_unlock();
	}
	return r;
}

/* --- the fault path ------------------------------------------------------------------------ */

static struct kvm_mmu_page *tdp_mmu_get_root_for_fault(struct kvm_vcpu *vcpu,
						       struct kvm_page_fault *fault)
{
	if (!kvm_is_addr_direct(vcpu->kvm, fault->addr))
		return root_to_sp(vcpu->arch.mirror_root_hpa);
	return root_to_sp(vcpu->arch.root_hpa);
}

/* Link a new page table @sp at @iter (read lock). */
static int tdp_mmu_link_sp(struct kvm *kvm, struct tdp_iter *iter,
			   struct kvm_mmu_page *sp, bool shared)
{
	u64 spte = make_nonleaf_spte(page_to_pfn(virt_to_page(sp->spt)));
	int ret;

	if (shared) {
		ret = tdp_mmu_set_spte_atomic(kvm, iter, spte);
		if (ret)
			return ret;
	} else {
		tdp_mmu_iter_set_spte(kvm, iter, spte);
	}
	atomic64_inc(&kvm->arch.tdp_mmu_pages);
	return 0;
}

/*
 * Free a page table the fault path could not link. Upstream frees it at
 * once (tdp_mmu_free_sp()): no other walker can have seen it, as the
 * cmpxchg failed or, for a mirror SPTE, only the frozen value was ever
 * visible while link_external_spt() ran. Without the freeze
 * (mirror_freeze=off, seed 004's before design, tdxsim only) the new SPTE
 * was published before link_external_spt() failed and was taken back:
 * another vCPU's walk under rcu_read_lock() may be inside the table, so it
 * is freed after a grace period, as removed tables are
 * (tdp_mmu_free_sp_rcu_callback()). That walker then meets the S-EPT's
 * missing table as a KVM_BUG_ON (TDX_EPT_WALK_FAILED), not freed memory.
 * (A failed cmpxchg published nothing, but link_external_spt() answers
 * -EBUSY too, so every mirror table of that design goes through RCU.)
 */
static void tdp_mmu_free_unlinked_sp(struct kvm *kvm, struct kvm_mmu_page *sp)
{
	if (is_mirror_sp(sp) && !READ_ONCE(kvm->design.mirror_freeze)) {
		call_rcu(&sp->rcu_head, tdp_mmu_free_sp_rcu_callback);
		return;
	}
	tdp_mmu_free_sp(sp);
}

/*
 * The no-promotion rule for mirror roots of the huge-page RFC (v5 31/45;
 * hugepage-rfc only): never replace an existing page table with a huge leaf (the module needs all 512 children uniform, and
 * merging needs break-before-make); map one level lower instead.
 */
static void disallowed_hugepage_adjust(struct kvm_page_fault *fault, u64 spte,
				       int cur_level)
{
	if (cur_level > PG_LEVEL_4K && cur_level == fault->goal_level &&
	    is_shadow_present_pte(spte) && !is_large_pte(spte)) {
		u64 page_mask = KVM_PAGES_PER_HPAGE(cur_level) -
				KVM_PAGES_PER_HPAGE(cur_level - 1);

		fault->pfn |= fault->gfn & page_mask;
		fault->goal_level--;
	}
}

static int tdp_mmu_map_handle_target_level(struct kvm_vcpu *vcpu,
					   struct kvm_page_fault *fault,
					   struct tdp_iter *iter)
{
	struct kvm_mmu_page *sp = sptep_to_sp(iter->sptep);
	struct kvm *kvm = vcpu->kvm;
	u64 new_spte;

	if (WARN_ON_ONCE(sp->role.level != fault->goal_level))
		return RET_PF_RETRY;

	if (is_shadow_present_pte(iter->old_spte) &&
	    is_last_spte(iter->old_spte, iter->level)) {
		/* Someone mapped it first (or it is mapped already). */
		WARN_ON_ONCE(spte_to_pfn(iter->old_spte) != fault->pfn);
		return RET_PF_SPURIOUS;
	}
	/*
	 * A page table where a huge leaf is wanted. A mirror root never gets
	 * here (disallowed_hugepage_adjust() maps one level lower, and a
	 * table that appeared since is found by walking again); in a direct
	 * root the huge leaf replaces the table, as upstream does: the
	 * removed table is torn down by handle_changed_spte().
	 */
	if (is_shadow_present_pte(iter->old_spte) && is_mirror_sp(sp))
		return RET_PF_RETRY;

	new_spte = make_leaf_spte(fault->pfn, iter->level);
	if (tdp_mmu_set_spte_atomic(kvm, iter, new_spte))
		return RET_PF_RETRY;
	if (is_shadow_present_pte(iter->old_spte))
		kvm_flush_remote_tlbs(kvm);
	return RET_PF_FIXED;
}

int kvm_tdp_mmu_map(struct kvm_vcpu *vcpu, struct kvm_page_fault *fault)
{
	struct kvm_mmu_page *root = tdp_mmu_get_root_for_fault(vcpu, fault);
	struct kvm *kvm = vcpu->kvm;
	struct tdp_iter iter;
	struct kvm_mmu_page *sp;
	int ret = RET_PF_RETRY;

	if (WARN_ON_ONCE(!root))
		return RET_PF_RETRY;
	/*
	 * A gfn the root cannot hold (a memslot made before the VM's GPA width
	 * was known) would wrap onto a low gfn: emulate, as the kernel does for
	 * gfns beyond what the MMU maps.
	 */
	if (fault->gfn >= tdp_mmu_max_gfn_exclusive(kvm, root))
		return RET_PF_EMULATE;

	lockdep_assert_held(&kvm->mmu_lock);
	kvm_mmu_hugepage_adjust(vcpu, fault);

	rcu_read_lock();
	for_each_tdp_pte(iter, root, fault->gfn, fault->gfn + 1,
			 kvm_gfn_root_bits(kvm, root)) {
		int r;

		/*
		 * The huge-page RFC's rule for mirror roots (v5 31/45); no
		 * release maps a private page above 4K, so none needs it.
		 */
		if (is_mirror_sp(root) &&
		    READ_ONCE(kvm->design.private_max_level) ==
			    TDXSIM_PRIVATE_MAX_LEVEL_2M)
			disallowed_hugepage_adjust(fault, iter.old_spte,
						   iter.level);

		/* Someone is mid-update of this SPTE: retry the fault. */
		if (is_frozen_spte(iter.old_spte))
			goto retry;

		if (iter.level == fault->goal_level)
			goto map_target_level;

		/* Step down into an existing page table. */
		if (is_shadow_present_pte(iter.old_spte) &&
		    !is_large_pte(iter.old_spte))
			continue;

		/*
		 * A huge leaf above the goal level needs a split. For a
		 * mirror root the vendor refuses it under the read lock (a
		 * failed DEMOTE would need an UNBLOCK that can itself be
		 * BUSY; v3 09/24): the fault retries, and the mirror is split
		 * under the write lock by whoever made the smaller level
		 * necessary (accept level, punch hole, conversion).
		 */
		sp = tdp_mmu_alloc_sp(vcpu);
		if (is_mirror_sp(root))
			kvm_mmu_alloc_external_spt(vcpu, sp);

		if (is_shadow_present_pte(iter.old_spte)) {
			r = tdp_mmu_split_huge_page(kvm, &iter, sp, true);
		} else {
			tdp_mmu_init_child_sp(sp, &iter);
			r = tdp_mmu_link_sp(kvm, &iter, sp, true);
		}
		if (r) {
			tdp_mmu_free_unlinked_sp(kvm, sp);
			goto retry;
		}
	}
	/* The walk ended above the goal: something changed, retry. */
	goto retry;

map_target_level:
	ret = tdp_mmu_map_handle_target_level(vcpu, fault, &iter);
retry:
	rcu_read_unlock();
	return ret;
}

bool kvm_tdp_mmu_gpa_is_mapped(struct kvm_vcpu *vcpu, gpa_t gpa, int level,
			       kvm_pfn_t *pfn)
{
	struct kvm *kvm = vcpu->kvm;
	bool mirror = !kvm_is_addr_direct(kvm, gpa);
	struct kvm_mmu_page *root = root_to_sp(mirror ?
					       vcpu->arch.mirror_root_hpa :
					       vcpu->arch.root_hpa);
	gfn_t gfn = (gpa >> PAGE_SHIFT) & ~kvm->arch.gfn_direct_bits;
	struct tdp_iter iter;
	bool mapped = false;

	lockdep_assert_held(&kvm->mmu_lock);
	if (!root)
		return false;
	rcu_read_lock();
	for_each_tdp_pte(iter, root, gfn, gfn + 1, kvm_gfn_root_bits(kvm, root)) {
		if (!is_shadow_present_pte(iter.old_spte))
			break;
		if (is_last_spte(iter.old_spte, iter.level)) {
			if (iter.level == level) {
				*pfn = spte_to_pfn(iter.old_spte);
				mapped = true;
			}
			break;
		}
	}
	rcu_read_unlock();
	return mapped;
}

/* --- walks for the invariant checker and statistics ------------------------------------------ */

void kvm_tdp_mmu_for_each_leaf(struct kvm *kvm, bool mirror, gfn_t start,
			       gfn_t end,
			       void (*fn)(void *arg, gfn_t gfn, int level,
					  u64 spte),
			       void *arg)
{
	struct kvm_mmu_page *root = kvm_tdp_mmu_find_root(kvm, mirror);
	struct tdp_iter iter;

	if (!root)
		return;
	rcu_read_lock();
	for_each_tdp_pte(iter, root, start, end, kvm_gfn_root_bits(kvm, root)) {
		if (!is_shadow_present_pte(iter.old_spte) ||
		    !is_last_spte(iter.old_spte, iter.level))
			continue;
		fn(arg, iter.gfn, iter.level, iter.old_spte);
	}
	rcu_read_unlock();
}

u64 kvm_tdp_mmu_nr_tables(struct kvm *kvm, bool mirror)
{
	struct kvm_mmu_page *root = kvm_tdp_mmu_find_root(kvm, mirror);
	gfn_t end;
	struct tdp_iter iter;
	u64 n = 0;

	if (!root)
		return 0;
	end = tdp_mmu_max_gfn_exclusive(kvm, root);
	rcu_read_lock();
	for_each_tdp_pte(iter, root, 0, end, kvm_gfn_root_bits(kvm, root))
		if (is_shadow_present_pte(iter.old_spte) &&
		    !is_last_spte(iter.old_spte, iter.level))
			n++;
	rcu_read_unlock();
	return n;
}

void kvm_tdp_mmu_for_each_table(struct kvm *kvm, bool mirror,
				void (*fn)(void *arg,
					   struct kvm_mmu_page *sp),
				void *arg)
{
	struct kvm_mmu_page *root = kvm_tdp_mmu_find_root(kvm, mirror);
	struct tdp_iter iter;

	if (!root)
		return;
	rcu_read_lock();
	for_each_tdp_pte(iter, root, 0, tdp_mmu_max_gfn_exclusive(kvm, root),
			 kvm_gfn_root_bits(kvm, root))
		if (is_shadow_present_pte(iter.old_spte) &&
		    !is_last_spte(iter.old_spte, iter.level))
			fn(arg, spte_to_child_sp(iter.old_spte));
	rcu_read_unlock();
}
