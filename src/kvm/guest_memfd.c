// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * guest_memfd (the kernel's virt/kvm/guest_memfd.c, 6.19 shape, with the
 * in-flight locking generation and 2M folios as options; see guest_memfd.h).
 *
 * Objects: a gmem_inode (size, flags, page cache, invalidate lock) and a
 * gmem_file per VM view (the struct file's private data: the VM, and the
 * bindings of page offsets to memslots). Folio references: the page cache
 * holds one per folio; kvm_gmem_get_pfn() hands out one more that the MMU
 * drops with kvm_release_faultin_page(). Nothing else pins guest memory: a
 * folio stays alive until the invalidation that unmaps it has completed.
 *
 * Folio lock (host/mm.h folio_lock(), as upstream's FGP_LOCK):
 * kvm_gmem_get_folio() and __kvm_gmem_get_pfn() return the folio locked;
 * kvm_gmem_get_pfn() unlocks it once prepared, kvm_gmem_populate() before
 * its callback, fallocate and the host fault at once; truncation locks each
 * folio it removes. It is taken under the invalidate lock and mmap_lock and
 * never with mmu_lock held; lockdep checks that order.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/page_alloc.h"
#include "base/rcu.h"
#include "ulib/strbuf.h"
#include "kvm/guest_memfd.h"
#include "kvm/kvm_host.h"
#include "host/memory_failure.h"
#include "host/mm.h"
#include "kvm/mmu.h"
#include "kvm/tdxsim_trace.h"

#define GMEM_HPAGE_ORDER	PMD_ORDER
#define GMEM_HPAGE_NR		(1UL << GMEM_HPAGE_ORDER)

struct gmem_inode {
	struct address_space mapping;
	u64 size;		/* i_size in bytes */
	u64 flags;		/* GUEST_MEMFD_FLAG_* */
	bool huge;		/* 2M folios where they fit */
	atomic_t i_count;	/* files using the inode */
	u64 nr_folios;		/* under i_pages_lock */
	struct kvm *kvm;	/* the creating VM (for statistics) */
	/*
	 * In-place conversion v8: the shared/private state of every page
	 * offset (v8's maple tree; RCU, written under the invalidate lock
	 * held for write). Used when the creating VM's design has
	 * gmem_in_place (in_place, fixed at creation).
	 */
	struct gmem_attr_ranges *attributes;
	bool in_place;
};

/* Sorted ranges covering [0, i_size) with their attributes, merged. */
struct gmem_attr_ranges {
	struct rcu_head rcu;
	int nr;
	struct gmem_attr_range {
		u64 start, end;		/* page offsets */
		u64 attrs;		/* 0 or KVM_MEMORY_ATTRIBUTE_PRIVATE */
	} r[];
};

struct gmem_binding {
	u64 start;		/* first page offset */
	u64 end;		/* last page offset + 1 */
	struct kvm_memory_slot *slot;
};

/* A sorted array of bindings, replaced whole under the invalidate lock. */
struct gmem_bindings {
	struct rcu_head rcu;
	int nr;
	struct gmem_binding b[];
};

struct gmem_file {
	struct kvm *kvm;
	struct gmem_inode *inode;
	struct gmem_bindings *bindings;	/* RCU; NULL when empty */
	struct list_head entry;		/* mapping->i_private_list */
};

static const struct file_operations kvm_gmem_fops;

bool file_is_gmem(const struct file *file)
{
	return file && file->f_op == &kvm_gmem_fops;
}

static inline struct gmem_inode *gmem_inode(struct file *file)
{
	return ((struct gmem_file *)file->private_data)->inode;
}

static inline u64 gmem_size_pages(struct gmem_inode *inode)
{
	return inode->size >> PAGE_SHIFT;
}

/* The head page of the folio @page belongs to. */
static struct page *kvm_gmem_folio_head(struct page *page)
{
	return PageTail(page) ? compound_head(page) : page;
}

static inline bool folio_is_huge(struct page *head)
{
	return head->order == GMEM_HPAGE_ORDER;
}

/* The first page offset of the folio @head (stored in page->private). */
static inline u64 folio_index(struct page *head)
{
	return head->private;
}

/* ---- bindings ---- */

static struct kvm_memory_slot *gmem_binding_lookup(struct gmem_bindings *bs,
						   u64 index)
{
	int lo = 0, hi;

	if (!bs)
		return NULL;
	hi = bs->nr;
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (bs->b[mid].end <= index)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < bs->nr && bs->b[lo].start <= index)
		return bs->b[lo].slot;
	return NULL;
}

/* Does any binding overlap [start, end)? (invalidate lock held) */
static bool gmem_bindings_overlap(struct gmem_bindings *bs, u64 start, u64 end)
{
	int i;

	if (!bs)
		return false;
	for (i = 0; i < bs->nr; i++) {
		if (bs->b[i].start < end && start < bs->b[i].end)
			return true;
	}
	return false;
}

/*
 * The gfn range of binding @b that page offsets [start, end) cover, to zap
 * or split with @filter: false if they do not overlap.
 */
static bool gmem_binding_gfn_range(const struct gmem_binding *b, u64 start,
				   u64 end, enum kvm_gfn_range_filter filter,
				   struct kvm_gfn_range *range)
{
	struct kvm_memory_slot *slot = b->slot;
	u64 pgoff = slot->gmem.pgoff;

	if (b->end <= start || b->start >= end)
		return false;
	*range = (struct kvm_gfn_range) {
		.start = slot->base_gfn + max(pgoff, start) - pgoff,
		.end = slot->base_gfn + min(pgoff + slot->npages, end) - pgoff,
		.slot = slot,
		.may_block = true,
		.attr_filter = filter,
	};
	return true;
}

/*
 * xa_for_each_range() over @bs for page offsets [start, end), as upstream
 * walks gmem->bindings: @range is each overlapping binding's gfn range.
 */
#define gmem_for_each_binding_range(bs, i, start, end, filter, range)	\
	for (i = 0; (bs) && i < (bs)->nr; i++)				\
		if (gmem_binding_gfn_range(&(bs)->b[i], start, end,	\
					   filter, &(range)))

static void gmem_bindings_free_rcu(struct rcu_head *head)
{
	free(container_of(head, struct gmem_bindings, rcu));
}

/* Publish @gmem's bindings with @add inserted or @remove taken out. */
static void gmem_bindings_update(struct gmem_file *gmem,
				 const struct gmem_binding *add,
				 struct kvm_memory_slot *remove)
{
	struct gmem_bindings *old = gmem->bindings, *new;
	int i, j = 0, nr = old ? old->nr : 0;
	bool added = false;

	new = xzalloc(sizeof(*new) + (nr + 1) * sizeof(new->b[0]));
	for (i = 0; i < nr; i++) {
		if (old->b[i].slot == remove)
			continue;
		if (add && !added && add->start < old->b[i].start) {
			new->b[j++] = *add;
			added = true;
		}
		new->b[j++] = old->b[i];
	}
	if (add && !added)
		new->b[j++] = *add;
	new->nr = j;
	if (!j) {
		free(new);
		new = NULL;
	}
	rcu_assign_pointer(gmem->bindings, new);
	if (old)
		call_rcu(&old->rcu, gmem_bindings_free_rcu);
}

/* ---- the page cache ---- */

/*
 * The size of the folio to create for @index: 2M (*@base its first index)
 * when the inode uses 2M folios and the whole aligned 2M is inside the
 * file and not yet cached in 4K pieces, else 4K. Looked at without the
 * mapping's lock to size the allocation, and again under it to insert.
 */
static u64 kvm_gmem_new_folio_nr(struct gmem_inode *inode, u64 index,
				 u64 *base)
{
	struct address_space *mapping = &inode->mapping;
	u64 hbase = ALIGN_DOWN(index, GMEM_HPAGE_NR), probe = hbase;

	*base = index;
	if (!inode->huge || hbase + GMEM_HPAGE_NR > gmem_size_pages(inode) ||
	    radix_next(&mapping->i_pages, &probe, hbase + GMEM_HPAGE_NR))
		return 1;
	*base = hbase;
	return GMEM_HPAGE_NR;
}

/*
 * filemap_get_entry(): the folio caching @index with a reference, or NULL,
 * without the mapping's lock. The reference is speculative: taken only if
 * the count is not zero (a folio being freed, or frozen by a split), and
 * kept only if the folio still caches @index afterwards (else it may have
 * been truncated and reused meanwhile). The radix tree's nodes and the
 * struct pages stay mapped, as the kernel's RCU keeps its xarray nodes.
 */
static struct page *kvm_gmem_lookup_folio(struct gmem_inode *inode, u64 index)
{
	struct radix_tree *pages = &inode->mapping.i_pages;
	struct page *head;

	rcu_read_lock();
	for (;;) {
		head = radix_lookup(pages, index);
		if (!head)
			break;
		if (!get_page_unless_zero(head)) {
			cpu_relax();
			continue;
		}
		if (likely(radix_lookup(pages, index) == head))
			break;
		put_page(head);
	}
	rcu_read_unlock();
	return head;
}

/*
 * __filemap_get_folio(FGP_CREAT)'s miss: a new folio for @index, allocated
 * and locked before the mapping's lock, which is taken once to insert it
 * (filemap_add_folio()). -EEXIST if another task cached @index or part of
 * the 2M range meanwhile (the allocation goes back; the caller looks again).
 */
static struct page *kvm_gmem_add_folio(struct gmem_inode *inode, u64 index,
				       int *err)
{
	struct address_space *mapping = &inode->mapping;
	u64 base, i, nr;
	struct page *head;

	nr = kvm_gmem_new_folio_nr(inode, index, &base);
	head = alloc_pages(nr == 1 ? 0 : GMEM_HPAGE_ORDER);
	if (!head) {
		*err = -ENOMEM;
		return NULL;
	}
	for (i = 0; i < nr; i++) {
		struct page *p = pfn_to_page(page_to_pfn(head) + i);

		p->private = base + i;
		ClearPageUptodate(p);
		/*
		 * tdxsim: the new folio reads as zero; the module's and the
		 * host's accessors mark what they write (PG_written), so a
		 * page never written needs no reset or zeroing later.
		 */
		page_clear_written(p);
	}
	/* Nobody else can see it yet: __folio_set_locked(). */
	WARN_ON_ONCE(!folio_trylock(head));

	spin_lock(&mapping->i_pages_lock);
	if (radix_lookup(&mapping->i_pages, index) ||
	    kvm_gmem_new_folio_nr(inode, index, &base) != nr) {
		spin_unlock(&mapping->i_pages_lock);
		folio_unlock(head);
		__free_pages(head, nr == 1 ? 0 : GMEM_HPAGE_ORDER);
		*err = -EEXIST;
		return NULL;
	}
	for (i = 0; i < nr; i++) {
		if (radix_store(&mapping->i_pages, base + i, head))
			WARN_ON_ONCE(1);
	}
	inode->nr_folios++;
	/* The page cache's reference is the allocation's; one for the caller. */
	get_page(head);
	spin_unlock(&mapping->i_pages_lock);
	trace_kvm_gmem_folio_alloc(inode->kvm, base, nr);
	return head;
}

/*
 * The folio caching @index, created (kvm_gmem_new_folio_nr()) if missing,
 * as upstream's kvm_gmem_get_folio(): filemap_lock_folio() looks it up
 * without the mapping's lock and locks it; a miss allocates outside that
 * lock and takes it once, to insert. A folio truncated while this task
 * waited for its lock no longer caches @index: look again. Returns the
 * folio's head locked and with a reference for the caller, or NULL with
 * *@err set.
 */
static struct page *kvm_gmem_get_folio(struct gmem_inode *inode, u64 index,
				       int *err)
{
	struct page *head;

	for (;;) {
		head = kvm_gmem_lookup_folio(inode, index);
		if (!head) {
			head = kvm_gmem_add_folio(inode, index, err);
			if (head || *err != -EEXIST)
				return head;
			continue;
		}
		folio_lock(head);
		if (likely(radix_lookup(&inode->mapping.i_pages, index) == head))
			return head;
		folio_unlock(head);
		put_page(head);
	}
}

/* Remove folio @head from the page cache and drop the cache's reference. */
static void kvm_gmem_remove_folio(struct gmem_inode *inode, struct page *head)
{
	struct address_space *mapping = &inode->mapping;
	u64 i, nr = folio_is_huge(head) ? GMEM_HPAGE_NR : 1;
	u64 base = folio_index(head);

	spin_lock(&mapping->i_pages_lock);
	for (i = 0; i < nr; i++)
		radix_store(&mapping->i_pages, base + i, NULL);
	inode->nr_folios--;
	spin_unlock(&mapping->i_pages_lock);
	trace_kvm_gmem_folio_free(inode->kvm, base, nr);
	put_page(head);
}

/*
 * Split the 2M folio @head into 4K folios. Only the page cache may hold a
 * reference: transient ones (a fault between kvm_gmem_get_pfn() and
 * kvm_release_faultin_page(), a host access or GUP through a mapping, a
 * populate's source) are waited for, and whoever drops one wakes the wait
 * (put_page(): wait_page_refs_killable()); a long-lived one (a pinned
 * S-EPT page, a host pin) makes the wait endless, which the deterministic
 * scheduler reports as a hang and free mode's hung-task watchdog ends
 * with -EINTR.
 * Once the VM is bugged, a reference may be one TDX keeps for a page the
 * module still holds (tdx_keep_page()): give up (-EIO), nothing is freed.
 */
static int __kvm_gmem_split_folio(struct gmem_inode *inode, struct page *head)
{
	struct address_space *mapping = &inode->mapping;
	u64 i, base = folio_index(head);
	bool uptodate[GMEM_HPAGE_NR];
	int r;

	lockdep_assert_held_write(&mapping->invalidate_lock);
	for (;;) {
		r = wait_page_refs_killable(page_ref_count(head) == 1 ||
					    READ_ONCE(inode->kvm->vm_bugged));
		if (r)
			return r;
		if (page_ref_count(head) != 1)
			return -EIO;
		/*
		 * Lookups take references without i_pages_lock
		 * (kvm_gmem_lookup_folio()): freeze the cache's one reference,
		 * so that theirs fail until the split pages are published, as
		 * the kernel's split freezes the folio's count. The freeze's
		 * acquire pairs with the last put_page() of a fault, so what
		 * that fault wrote into the folio (kvm_gmem_prepare()'s flags)
		 * is visible before the split reads it.
		 */
		spin_lock(&mapping->i_pages_lock);
		if (page_ref_freeze(head, 1))
			break;
		spin_unlock(&mapping->i_pages_lock);
	}
	/* Preparedness is per 4K page: keep it across the split. */
	for (i = 0; i < GMEM_HPAGE_NR; i++)
		uptodate[i] = PageUptodate(pfn_to_page(page_to_pfn(head) + i));
	page_flag_clear(head, PG_gmem_prepared);
	r = split_page_block_frozen(head, 1);
	if (!r) {
		for (i = 0; i < GMEM_HPAGE_NR; i++) {
			struct page *p = pfn_to_page(page_to_pfn(head) + i);

			if (uptodate[i])
				SetPageUptodate(p);
			else
				ClearPageUptodate(p);
			radix_store(&mapping->i_pages, base + i, p);
		}
		inode->nr_folios += GMEM_HPAGE_NR - 1;
		/* Each index now caches its own page: lookups may take them. */
		page_ref_unfreeze(head, 1);
	}
	spin_unlock(&mapping->i_pages_lock);
	trace_kvm_gmem_folio_split(inode->kvm, base, r);
	return r;
}

int kvm_gmem_split_folio(struct file *file, u64 index)
{
	struct gmem_inode *inode = gmem_inode(file);
	struct page *head;

	spin_lock(&inode->mapping.i_pages_lock);
	head = radix_lookup(&inode->mapping.i_pages, index);
	spin_unlock(&inode->mapping.i_pages_lock);
	if (!head || !folio_is_huge(head))
		return 0;
	return __kvm_gmem_split_folio(inode, head);
}

/*
 * Remove folio @head from the page cache with the folio locked, as
 * truncate_inode_pages_range() does (invalidate lock held for write, so no
 * one adds or removes folios meanwhile), and unmap it from the user
 * mappings made since the punch began before it is freed
 * (unmap_mapping_folio(), host/mm.h).
 */
static void kvm_gmem_truncate_folio(struct gmem_inode *inode,
				    struct page *head, struct mm_unmap *unmap)
{
	get_page(head);
	folio_lock(head);
	kvm_gmem_remove_folio(inode, head);
	folio_unlock(head);
	unmap_mapping_folio(unmap, folio_index(head),
			    folio_is_huge(head) ? GMEM_HPAGE_NR : 1);
	put_page(head);
}

/*
 * Truncate [start, end): whole folios leave the page cache; a 2M folio the
 * range covers in part is split first (invalidate lock held for write, and
 * the range already unmapped from the VM).
 */
static int kvm_gmem_truncate_range(struct gmem_inode *inode, u64 start,
				   u64 end, struct mm_unmap *unmap)
{
	struct address_space *mapping = &inode->mapping;
	u64 index = start;
	int ret = 0;

	for (;;) {
		struct page *head;
		u64 base;
		int r;

		spin_lock(&mapping->i_pages_lock);
		head = radix_next(&mapping->i_pages, &index, end);
		spin_unlock(&mapping->i_pages_lock);
		if (!head)
			break;

		if (!folio_is_huge(head)) {
			kvm_gmem_truncate_folio(inode, head, unmap);
			index++;
			continue;
		}
		base = folio_index(head);
		if (base >= start && base + GMEM_HPAGE_NR <= end) {
			kvm_gmem_truncate_folio(inode, head, unmap);
			index = base + GMEM_HPAGE_NR;
			continue;
		}
		r = __kvm_gmem_split_folio(inode, head);
		if (r) {
			/* Leave the folio whole; nothing of it is freed. */
			ret = r;
			index = base + GMEM_HPAGE_NR;
		}
		cond_resched();
	}
	return ret;
}

/* Drop every folio (the inode is going away). */
static void kvm_gmem_evict_inode(struct gmem_inode *inode)
{
	struct address_space *mapping = &inode->mapping;
	struct page *batch[PAGEVEC_SIZE], *head;
	u64 index = 0, i, nr;
	int n;

	/*
	 * truncate_inode_pages_final(): a batch of folios leaves the page
	 * cache under one i_pages_lock round and is freed with one
	 * release_pages().
	 */
	do {
		spin_lock(&mapping->i_pages_lock);
		for (n = 0; n < PAGEVEC_SIZE &&
		     (head = radix_next(&mapping->i_pages, &index, ~0ULL)); n++) {
			nr = folio_is_huge(head) ? GMEM_HPAGE_NR : 1;
			index = folio_index(head);
			for (i = 0; i < nr; i++)
				radix_store(&mapping->i_pages, index + i, NULL);
			index += nr;
			inode->nr_folios--;
			batch[n] = head;
		}
		spin_unlock(&mapping->i_pages_lock);
		for (i = 0; i < (u64)n; i++)
			trace_kvm_gmem_folio_free(inode->kvm,
						  folio_index(batch[i]),
						  folio_is_huge(batch[i]) ?
							  GMEM_HPAGE_NR : 1);
		release_pages(batch, n);
	} while (n == PAGEVEC_SIZE);
	radix_destroy(&mapping->i_pages);
	free(inode->attributes);	/* no reader is left */
	rwsem_destroy(&mapping->invalidate_lock);
	spin_lock_destroy(&mapping->i_pages_lock);
	free(inode);
}

u64 kvm_gmem_nr_folios(struct file *file)
{
	struct gmem_inode *inode = gmem_inode(file);
	u64 n;

	spin_lock(&inode->mapping.i_pages_lock);
	n = inode->nr_folios;
	spin_unlock(&inode->mapping.i_pages_lock);
	return n;
}

/*
 * A snapshot, lock-free as the kernel's page-cache lookup
 * (filemap_get_entry() under RCU): the radix tree's lookups need no lock
 * (host/radix.h) and the lock protected nothing after its release anyway.
 * The invariant checker calls it once per mirror leaf, where the lock and
 * its lockdep bookkeeping were half the check's cost.
 */
struct page *kvm_gmem_peek_folio(struct file *file, u64 index)
{
	return radix_lookup(&gmem_inode(file)->mapping.i_pages, index);
}

/* ---- invalidation ---- */

/*
 * The mappings an invalidation of @inode's pages must zap. Pages of a file
 * that can be mapped shared (GUEST_MEMFD_FLAG_MMAP: its slots are
 * KVM_MEMSLOT_GMEM_ONLY, so shared faults map the file's pages too) may be
 * in either root, as with the in-place conversion series, which derives
 * the filter from the attributes in the range: zap both. Otherwise only
 * the one kind the file backs.
 */
static enum kvm_gfn_range_filter gmem_attr_filter(struct gmem_inode *inode)
{
	/*
	 * In-place conversion ("Invalidate both SHARED and PRIVATE mappings
	 * for in-place conversions"): the file's pages may be in either root.
	 */
	if (inode->in_place)
		return KVM_FILTER_SHARED | KVM_FILTER_PRIVATE;
	if (inode->flags & GUEST_MEMFD_FLAG_INIT_SHARED)
		return KVM_FILTER_SHARED;
	if (inode->flags & GUEST_MEMFD_FLAG_MMAP)
		return KVM_FILTER_SHARED | KVM_FILTER_PRIVATE;
	return KVM_FILTER_PRIVATE;
}

/*
 * Unmap what @gmem's bindings map of page offsets [start, end): under
 * mmu_lock (write), begin an invalidation on the first binding that
 * overlaps, add each slot's gfn range and zap it with @filter.
 * Invalidate lock held for write.
 */
static void __kvm_gmem_invalidate_begin(struct gmem_file *gmem, u64 start,
					u64 end,
					enum kvm_gfn_range_filter filter)
{
	struct gmem_bindings *bs = gmem->bindings;
	struct kvm *kvm = gmem->kvm;
	bool flush = false, found_memslot = false;
	struct kvm_gfn_range range;
	int i;

	gmem_for_each_binding_range(bs, i, start, end, filter, range) {
		struct kvm_memory_slot *slot = range.slot;
		u64 pgoff = slot->gmem.pgoff;

		if (!found_memslot) {
			found_memslot = true;
			write_lock(&kvm->mmu_lock);
			kvm_mmu_invalidate_begin(kvm);
		}
		/*
		 * tdxsim's huge folios: a truncation splits a 2M folio the
		 * range covers in part. Until the invalidation ends, no fault
		 * elsewhere in that folio may map it at 2M (the mm's unmap of
		 * a huge PMD covers the whole THP too): the invalidation in
		 * progress takes the whole folios, the zap only the range.
		 */
		if (gmem->inode->huge) {
			u64 last = pgoff + slot->npages;
			u64 s = ALIGN_DOWN(range.start - slot->base_gfn + pgoff,
					   GMEM_HPAGE_NR);
			u64 e = ALIGN(range.end - slot->base_gfn + pgoff,
				      GMEM_HPAGE_NR);

			if (s < pgoff)
				s = pgoff;
			if (e > last)
				e = last;
			kvm_mmu_invalidate_range_add(kvm,
						     slot->base_gfn + s - pgoff,
						     slot->base_gfn + e - pgoff);
		}
		flush |= kvm_mmu_unmap_gfn_range(kvm, &range);
	}
	if (flush)
		kvm_flush_remote_tlbs(kvm);
	if (found_memslot)
		write_unlock(&kvm->mmu_lock);
}

/* ... with gmem_attr_filter()'s filter (truncation, release). */
static void kvm_gmem_invalidate_begin(struct gmem_file *gmem, u64 start,
				      u64 end)
{
	__kvm_gmem_invalidate_begin(gmem, start, end,
				    gmem_attr_filter(gmem->inode));
}

/*
 * TDX huge pages (design huge_split): split the private huge mappings of
 * @gmem's bindings that cross [start, end) before the invalidation zaps
 * part of them (v3 splits for PUNCH_HOLE; RFC v5 calls its conversion hook
 * from kvm_gmem_punch_hole()). Invalidate lock held; 0 or -errno with
 * nothing zapped.
 */
static int kvm_gmem_split_private(struct gmem_file *gmem, u64 start, u64 end)
{
	struct gmem_bindings *bs = gmem->bindings;
	struct kvm_gfn_range range;
	int i, idx, r = 0;

	if (!(gmem_attr_filter(gmem->inode) & KVM_FILTER_PRIVATE))
		return 0;
	/* No invalidation yet: the memslots are held by SRCU. */
	idx = srcu_read_lock(&gmem->kvm->srcu);
	gmem_for_each_binding_range(bs, i, start, end, KVM_FILTER_PRIVATE,
				    range) {
		r = kvm_split_private_mapping(gmem->kvm, &range);
		if (r)
			break;
	}
	srcu_read_unlock(&gmem->kvm->srcu, idx);
	return r;
}

static void kvm_gmem_invalidate_end(struct gmem_file *gmem, u64 start,
				    u64 end)
{
	struct kvm *kvm = gmem->kvm;

	if (gmem_bindings_overlap(gmem->bindings, start, end)) {
		write_lock(&kvm->mmu_lock);
		kvm_mmu_invalidate_end(kvm);
		write_unlock(&kvm->mmu_lock);
	}
}

/* ---- memory failure ---- */

/*
 * kvm_gmem_error_folio(), guest_memfd's error_remove_folio: unmap the
 * poisoned folio's range from the VMs that map it and keep the folio
 * (MF_DELAYED): the page stays poisoned, and a later kvm_gmem_get_pfn()
 * of it answers -EHWPOISON. Design huge_error_split (Yan Zhao's plan of
 * 2026-01-19, "because guest_memfd may split folios without first
 * splitting S-EPT"; no posting has it): first split the private huge
 * mappings that cross the range, so that a 4K poison does not unmap the
 * healthy pages around it. A failed split leaves the whole mapping to the
 * zap, as without the design.
 */
static void kvm_gmem_error_folio(struct gmem_inode *inode, struct page *head)
{
	struct address_space *mapping = &inode->mapping;
	u64 start = folio_index(head);
	u64 end = start + (folio_is_huge(head) ? GMEM_HPAGE_NR : 1);
	struct gmem_file *gmem;

	filemap_invalidate_lock_shared(mapping);
	list_for_each_entry(gmem, &mapping->i_private_list, entry)
		if (READ_ONCE(gmem->kvm->design.huge_error_split))
			kvm_gmem_split_private(gmem, start, end);
	list_for_each_entry(gmem, &mapping->i_private_list, entry)
		kvm_gmem_invalidate_begin(gmem, start, end);
	list_for_each_entry(gmem, &mapping->i_private_list, entry)
		kvm_gmem_invalidate_end(gmem, start, end);
	filemap_invalidate_unlock_shared(mapping);
}

/*
 * memory_failure() (mm/memory-failure.c) of the page at @offset, for a
 * guest_memfd page: the kernel finds it by pfn, tdxsim by file and offset.
 * A huge folio is split first, as try_to_split_thp_page() does (one that
 * cannot be split is handled whole); the page is marked poisoned and the
 * folio leaves every user mapping (hwpoison_user_mappings():
 * unmap_poisoned_folio(), try_to_unmap() of the folio, with the mmu
 * notifiers), so that the program's next access faults and gets SIGBUS
 * BUS_MCEERR_AR (__do_fault() refuses a poisoned page): the late kill.
 * Before the unmap the process's early-kill thread is collected for every
 * VMA that covers the page (collect_procs_file()); if the folio was mapped
 * and dirty, it is sent SIGBUS BUS_MCEERR_AO after the unmap (kill_procs(),
 * host/memory_failure.c). A page poisoned before stops there in the
 * kernel ("already hardware poisoned"): no second early kill here. Then
 * the mapping's error_remove_folio runs. 0, -EINVAL (offset), -ENOENT (no
 * page there).
 */
static int kvm_gmem_memory_failure(struct file *file, loff_t offset)
{
	struct gmem_inode *inode = gmem_inode(file);
	struct address_space *mapping = &inode->mapping;
	u64 index = offset >> PAGE_SHIFT;
	struct mce_tokill tokill = { 0 };
	struct page *head, *page;
	struct mm_unmap unmap;
	bool again = false;

	if (offset < 0 || (offset & (PAGE_SIZE - 1)) ||
	    (u64)offset >= inode->size)
		return -EINVAL;
	filemap_invalidate_lock(mapping);
	spin_lock(&mapping->i_pages_lock);
	head = radix_lookup(&mapping->i_pages, index);
	spin_unlock(&mapping->i_pages_lock);
	if (head && folio_is_huge(head) &&
	    !__kvm_gmem_split_folio(inode, head)) {
		spin_lock(&mapping->i_pages_lock);
		head = radix_lookup(&mapping->i_pages, index);
		spin_unlock(&mapping->i_pages_lock);
	}
	if (head) {
		u64 nr = folio_is_huge(head) ? GMEM_HPAGE_NR : 1;

		page = pfn_to_page(page_to_pfn(head) +
				   (index - folio_index(head)));
		/* Poisoned before: memory_failure() stops ("already"). */
		again = PageHWPoison(page);
		SetPageHWPoison(page);
		get_page(head);
		/*
		 * A fault maps under the folio lock after checking for
		 * poison: once the lock was taken here, one that missed the
		 * flag has mapped, and the zap below takes it away (the
		 * order truncation keeps: the folio lock, then the zap).
		 */
		folio_lock(head);
		folio_unlock(head);
		/* hwpoison_user_mappings(): collect, unmap, kill. */
		if (!again)
			collect_procs_file(current_mm(), mapping, index,
					   folio_index(head), nr,
					   nr > 1 ? PMD_SHIFT : PAGE_SHIFT,
					   &tokill);
		unmap_mapping_pages_begin(current_mm(), mapping,
					  folio_index(head),
					  folio_index(head) + nr, &unmap);
		unmap_mapping_pages_end(&unmap);
	}
	filemap_invalidate_unlock(mapping);
	kill_procs(&tokill);
	if (!head)
		return -ENOENT;
	kvm_gmem_error_folio(inode, head);
	put_page(head);
	return 0;
}

/* ---- fallocate ---- */

static long kvm_gmem_punch_hole(struct gmem_inode *inode, loff_t offset,
				loff_t len)
{
	struct address_space *mapping = &inode->mapping;
	u64 start = offset >> PAGE_SHIFT;
	u64 end = (offset + len) >> PAGE_SHIFT;
	struct gmem_file *gmem;
	struct mm_unmap unmap;
	long r;

	/*
	 * Bindings must be stable across invalidation to ensure the start+end
	 * are balanced.
	 */
	filemap_invalidate_lock(mapping);

	list_for_each_entry(gmem, &mapping->i_private_list, entry) {
		r = kvm_gmem_split_private(gmem, start, end);
		if (r) {
			filemap_invalidate_unlock(mapping);
			return r;
		}
	}

	list_for_each_entry(gmem, &mapping->i_private_list, entry) {
		kvm_gmem_invalidate_begin(gmem, start, end);
		trace_kvm_gmem_punch_hole(gmem->kvm, start, end);
	}

	/*
	 * truncate_inode_pages_range(): the pages leave every user mapping
	 * first, and what secondary MMUs map through those (mmu notifiers:
	 * a memslot whose user memory is this file's mapping).
	 */
	unmap_mapping_pages_begin(current_mm(), mapping, start, end, &unmap);
	r = kvm_gmem_truncate_range(inode, start, end, &unmap);
	unmap_mapping_pages_end(&unmap);

	list_for_each_entry(gmem, &mapping->i_private_list, entry)
		kvm_gmem_invalidate_end(gmem, start, end);

	filemap_invalidate_unlock(mapping);
	return r;
}

static long kvm_gmem_allocate(struct gmem_inode *inode, loff_t offset,
			      loff_t len)
{
	struct address_space *mapping = &inode->mapping;
	u64 start, index, end;
	long r = 0;

	/* Dedicated guest is immutable by default. */
	if ((u64)offset + len > inode->size)
		return -EINVAL;

	filemap_invalidate_lock_shared(mapping);

	start = offset >> PAGE_SHIFT;
	end = (offset + len) >> PAGE_SHIFT;
	for (index = start; index < end;) {
		struct page *head;
		int err = 0;

		head = kvm_gmem_get_folio(inode, index, &err);
		if (!head) {
			r = err;
			break;
		}
		index = folio_index(head) +
			(folio_is_huge(head) ? GMEM_HPAGE_NR : 1);
		folio_unlock(head);
		put_page(head);
		cond_resched();
	}

	filemap_invalidate_unlock_shared(mapping);
	return r;
}

long kvm_gmem_fallocate(struct file *file, int mode, loff_t offset,
			loff_t len)
{
	struct gmem_inode *inode = gmem_inode(file);

	if (!(mode & FALLOC_FL_KEEP_SIZE))
		return -EOPNOTSUPP;
	if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE))
		return -EOPNOTSUPP;
	if (!IS_ALIGNED(offset, PAGE_SIZE) || !IS_ALIGNED(len, PAGE_SIZE))
		return -EINVAL;

	if (mode & FALLOC_FL_PUNCH_HOLE)
		return kvm_gmem_punch_hole(inode, offset, len);
	return kvm_gmem_allocate(inode, offset, len);
}

/* ---- release ---- */

static void kvm_gmem_release(struct file *file)
{
	struct gmem_file *gmem = file->private_data;
	struct gmem_inode *inode = gmem->inode;
	struct address_space *mapping = &inode->mapping;
	struct kvm *kvm = gmem->kvm;
	struct gmem_bindings *bs;
	int i;

	/*
	 * Prevent concurrent attempts to unbind a memslot: the slots of the
	 * bindings stay alive while slots_lock is held.
	 */
	mutex_lock(&kvm->slots_lock);
	filemap_invalidate_lock(mapping);

	bs = gmem->bindings;
	for (i = 0; bs && i < bs->nr; i++)
		rcu_assign_pointer(bs->b[i].slot->gmem.file, NULL);

	/*
	 * All in-flight operations are gone and new bindings can't be
	 * created: zap everything this file maps. The memory itself belongs
	 * to the inode, not the file.
	 */
	kvm_gmem_invalidate_begin(gmem, 0, ~0ULL);
	kvm_gmem_invalidate_end(gmem, 0, ~0ULL);

	list_del(&gmem->entry);
	rcu_assign_pointer(gmem->bindings, NULL);

	filemap_invalidate_unlock(mapping);
	mutex_unlock(&kvm->slots_lock);

	if (bs)
		call_rcu(&bs->rcu, gmem_bindings_free_rcu);
	if (atomic_dec_and_test(&inode->i_count))
		kvm_gmem_evict_inode(inode);
	free(gmem);
	kvm_put_kvm(kvm);
}

/* ---- per-gmem attributes and in-place conversion (series v8) ---- */

/* The range holding page offset @index (RCU or the invalidate lock held). */
static const struct gmem_attr_range *
gmem_attr_lookup(const struct gmem_attr_ranges *a, u64 index)
{
	int lo = 0, hi = a->nr;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (a->r[mid].end <= index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < a->nr ? &a->r[lo] : NULL;
}

/* Every page private, or shared for GUEST_MEMFD_FLAG_INIT_SHARED (v8). */
static void kvm_gmem_init_attributes(struct gmem_inode *inode)
{
	struct gmem_attr_ranges *a = xzalloc(sizeof(*a) + sizeof(a->r[0]));

	a->nr = 1;
	a->r[0].end = gmem_size_pages(inode);
	a->r[0].attrs = (inode->flags & GUEST_MEMFD_FLAG_INIT_SHARED) ? 0 :
			KVM_MEMORY_ATTRIBUTE_PRIVATE;
	inode->attributes = a;
	inode->in_place = kvm_gmem_in_place(inode->kvm);
}

static u64 kvm_gmem_get_attributes(struct gmem_inode *inode, u64 index)
{
	const struct gmem_attr_range *r;
	u64 attrs = 0;

	rcu_read_lock();
	r = gmem_attr_lookup(rcu_dereference(inode->attributes), index);
	/* v8 WARNs on a missing entry and answers shared. */
	if (!WARN_ON_ONCE(!r))
		attrs = r->attrs;
	rcu_read_unlock();
	return attrs;
}

static bool kvm_gmem_is_shared_mem(struct gmem_inode *inode, u64 index)
{
	return !(kvm_gmem_get_attributes(inode, index) &
		 KVM_MEMORY_ATTRIBUTE_PRIVATE);
}

/* Do all page offsets in [start, end) have exactly @attrs? */
static bool kvm_gmem_range_has_attributes(struct gmem_inode *inode, u64 start,
					  u64 end, u64 attrs)
{
	const struct gmem_attr_ranges *a;
	const struct gmem_attr_range *r;
	bool ret = true;

	rcu_read_lock();
	a = rcu_dereference(inode->attributes);
	while (start < end) {
		r = gmem_attr_lookup(a, start);
		if (!r || r->attrs != attrs) {
			ret = false;
			break;
		}
		start = r->end;
	}
	rcu_read_unlock();
	return ret;
}

static void gmem_attr_ranges_free_rcu(struct rcu_head *head)
{
	free(container_of(head, struct gmem_attr_ranges, rcu));
}

static void gmem_attr_push(struct gmem_attr_ranges *a, u64 start, u64 end,
			   u64 attrs)
{
	struct gmem_attr_range *last = a->nr ? &a->r[a->nr - 1] : NULL;

	if (start >= end)
		return;
	if (last && last->end == start && last->attrs == attrs) {
		last->end = end;
		return;
	}
	a->r[a->nr++] = (struct gmem_attr_range){ start, end, attrs };
}

/*
 * Publish the attributes with [start, end) set to @attrs, adjacent equal
 * ranges merged (v8 mas_store_prealloc(); invalidate lock held for write).
 */
static u64 kvm_gmem_store_attributes(struct gmem_inode *inode, u64 start,
				     u64 end, u64 attrs)
{
	struct gmem_attr_ranges *old = inode->attributes, *new;
	u64 changed = 0;
	int i;

	lockdep_assert_held_write(&inode->mapping.invalidate_lock);
	new = xzalloc(sizeof(*new) + (old->nr + 2) * sizeof(new->r[0]));
	for (i = 0; i < old->nr; i++) {
		const struct gmem_attr_range *r = &old->r[i];

		gmem_attr_push(new, r->start, min(r->end, start), r->attrs);
		if (r->end > start && r->start <= start)
			gmem_attr_push(new, start, end, attrs);
		gmem_attr_push(new, max(r->start, end), r->end, r->attrs);
		if (r->attrs != attrs && r->end > start && r->start < end)
			changed += min(r->end, end) - max(r->start, start);
	}
	rcu_assign_pointer(inode->attributes, new);
	call_rcu(&old->rcu, gmem_attr_ranges_free_rcu);
	return changed;
}

/*
 * v8 kvm_gmem_is_safe_for_conversion(): after the host mappings of
 * [start, end) are gone, only the page cache may reference its folios
 * (tdxsim's page cache holds one reference per folio; it has no LRU add
 * batches, so v8's one lru_add_drain_all() has nothing to drain). The
 * first folio with more: -EAGAIN and its offset in *@err_index.
 */
static int kvm_gmem_is_safe_for_conversion(struct gmem_inode *inode,
					   u64 start, u64 end, u64 *err_index)
{
	struct address_space *mapping = &inode->mapping;
	u64 index = start;
	struct page *head;

	for (;;) {
		spin_lock(&mapping->i_pages_lock);
		head = radix_next(&mapping->i_pages, &index, end);
		spin_unlock(&mapping->i_pages_lock);
		if (!head)
			return 0;
		if (page_ref_count(head) != 1) {
			*err_index = max(folio_index(head), start);
			return -EAGAIN;
		}
		index = folio_index(head) +
			(folio_is_huge(head) ? GMEM_HPAGE_NR : 1);
	}
}

/*
 * The mappings a conversion of [start, end) to @attrs zaps. v8
 * (kvm_gmem_get_invalidate_filter(inode, start, end)): every kind the
 * range holds now, so a to-private conversion of a range that is partly
 * private already zaps those private pages too. Post-v8 (design
 * gmem_conv_filter=old): only the old kind, to private SHARED, to shared
 * PRIVATE.
 */
static enum kvm_gfn_range_filter
kvm_gmem_conversion_filter(struct gmem_inode *inode, u64 start, u64 end,
			   u64 attrs)
{
	enum kvm_gfn_range_filter filter = 0;
	const struct gmem_attr_ranges *a = inode->attributes;
	const struct gmem_attr_range *r;

	if (READ_ONCE(inode->kvm->design.gmem_conv_filter) ==
	    TDXSIM_GMEM_CONV_FILTER_OLD)
		return (attrs & KVM_MEMORY_ATTRIBUTE_PRIVATE) ?
		       KVM_FILTER_SHARED : KVM_FILTER_PRIVATE;
	lockdep_assert_held_write(&inode->mapping.invalidate_lock);
	for (; start < end && (r = gmem_attr_lookup(a, start)); start = r->end)
		filter |= (r->attrs & KVM_MEMORY_ATTRIBUTE_PRIVATE) ?
			  KVM_FILTER_PRIVATE : KVM_FILTER_SHARED;
	return filter;
}

/*
 * Huge folios with in-place conversion (the huge-page overlay on
 * huge-folio guest_memfd): no 2M folio may straddle the ends of a
 * conversion, as in Ackerley Tng's conversion order (2026-01-06, step 2b:
 * the folios split before the invalidation, whose zap is the point of no
 * return). To shared with TDX huge pages (huge_split), the S-EPT's 2M
 * mappings crossing the range are split first, as RFC v5's
 * kvm_arch_gmem_convert() does before the folio split (the series'
 * order; huge_split_order=folio_first is the VM ioctl's only).
 * Invalidate lock held for write; 0 or -errno with nothing zapped.
 */
static int kvm_gmem_conversion_split(struct gmem_inode *inode, u64 start,
				     u64 end, bool private)
{
	u64 bounds[2] = { start, end };
	struct gmem_file *gmem;
	int i, r = 0;

	if (!private && READ_ONCE(inode->kvm->design.huge_split)) {
		list_for_each_entry(gmem, &inode->mapping.i_private_list, entry) {
			r = kvm_gmem_split_private(gmem, start, end);
			if (r)
				return r;
		}
	}
	for (i = 0; i < 2 && !r; i++) {
		struct page *head;

		if (IS_ALIGNED(bounds[i], GMEM_HPAGE_NR))
			continue;
		spin_lock(&inode->mapping.i_pages_lock);
		head = radix_lookup(&inode->mapping.i_pages, bounds[i]);
		spin_unlock(&inode->mapping.i_pages_lock);
		if (head && folio_is_huge(head))
			r = __kvm_gmem_split_folio(inode, head);
	}
	return r;
}

/*
 * v8 __kvm_gmem_set_attributes(): convert [start, end) under the
 * invalidate lock held for write. To private: zap the host's mappings,
 * then refuse a page still referenced (design gmem_conv_refcheck). Then
 * the point of no return: invalidate both roots of every VM bound to the
 * range (TDX: BLOCK, TRACK, REMOVE of private pages), store, end.
 */
static int __kvm_gmem_set_attributes(struct gmem_inode *inode, u64 start,
				     u64 end, u64 attrs, u64 *err_index)
{
	struct address_space *mapping = &inode->mapping;
	struct gmem_file *gmem;
	enum kvm_gfn_range_filter filter;
	struct mm_unmap unmap;
	u64 changed;
	int r = 0;

	filemap_invalidate_lock(mapping);
	if (kvm_gmem_range_has_attributes(inode, start, end, attrs))
		goto out;

	if (attrs & KVM_MEMORY_ATTRIBUTE_PRIVATE) {
		unmap_mapping_pages_begin(current_mm(), mapping, start, end,
					  &unmap);
		unmap_mapping_pages_end(&unmap);
		if (READ_ONCE(inode->kvm->design.gmem_conv_refcheck) ==
		    TDXSIM_GMEM_CONV_REFCHECK_EAGAIN) {
			r = kvm_gmem_is_safe_for_conversion(inode, start, end,
							    err_index);
			if (r)
				goto out;
		}
	}

	if (inode->huge) {
		r = kvm_gmem_conversion_split(inode, start, end,
					      attrs & KVM_MEMORY_ATTRIBUTE_PRIVATE);
		if (r)
			goto out;
	}

	filter = kvm_gmem_conversion_filter(inode, start, end, attrs);
	list_for_each_entry(gmem, &mapping->i_private_list, entry)
		__kvm_gmem_invalidate_begin(gmem, start, end, filter);
	changed = kvm_gmem_store_attributes(inode, start, end, attrs);
	list_for_each_entry(gmem, &mapping->i_private_list, entry)
		kvm_gmem_invalidate_end(gmem, start, end);
	trace_kvm_gmem_set_attributes(inode->kvm, start, end, attrs, changed);
out:
	filemap_invalidate_unlock(mapping);
	return r;
}

/* KVM_SET_MEMORY_ATTRIBUTES2: v8's checks and errnos (api.rst table). */
static long kvm_gmem_set_attributes(struct file *file,
				    struct kvm_memory_attributes2 *argp)
{
	struct gmem_inode *inode = gmem_inode(file);
	struct kvm_memory_attributes2 attrs;
	u64 err_index = 0, nr_bytes = inode->size;
	size_t i;
	int r;

	if (copy_from_user(&attrs, argp, sizeof(attrs)))
		return -EFAULT;
	if (attrs.flags)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(attrs.reserved); i++)
		if (attrs.reserved[i])
			return -EINVAL;
	if (!kvm_arch_has_private_mem(inode->kvm))
		return -EINVAL;
	if (attrs.attributes & ~KVM_MEMORY_ATTRIBUTE_PRIVATE)
		return -EINVAL;
	if (!attrs.size || attrs.offset + attrs.size < attrs.offset)
		return -EINVAL;
	if (!IS_ALIGNED(attrs.offset, PAGE_SIZE) ||
	    !IS_ALIGNED(attrs.size, PAGE_SIZE))
		return -EINVAL;
	if (attrs.offset >= nr_bytes || attrs.offset + attrs.size > nr_bytes)
		return -EINVAL;

	err_index = attrs.offset >> PAGE_SHIFT;
	r = __kvm_gmem_set_attributes(inode, attrs.offset >> PAGE_SHIFT,
				      (attrs.offset + attrs.size) >> PAGE_SHIFT,
				      attrs.attributes, &err_index);
	if (r) {
		u64 off = err_index << PAGE_SHIFT;

		if (copy_to_user(&argp->error_offset, &off, sizeof(off)))
			return -EFAULT;
	}
	return r;
}

static long kvm_gmem_ioctl(struct file *file, unsigned long ioctl,
			   unsigned long arg)
{
	struct gmem_file *gmem = file->private_data;

	/* gmem_in_place_conversion=N: the ioctl does not exist. */
	if (ioctl != KVM_SET_MEMORY_ATTRIBUTES2 || !gmem->inode->in_place)
		return -ENOTTY;
	return kvm_gmem_set_attributes(file, (void *)arg);
}

bool kvm_gmem_find_referenced_private(struct file *file, u64 *index)
{
	struct gmem_inode *inode = gmem_inode(file);
	struct address_space *mapping = &inode->mapping;
	struct page *head;

	for (;;) {
		spin_lock(&mapping->i_pages_lock);
		head = radix_next(&mapping->i_pages, index, ~0ULL);
		if (head && page_ref_count(head) != 1 &&
		    !kvm_gmem_is_shared_mem(inode, *index)) {
			spin_unlock(&mapping->i_pages_lock);
			return true;
		}
		spin_unlock(&mapping->i_pages_lock);
		if (!head)
			return false;
		*index = folio_index(head) +
			 (folio_is_huge(head) ? GMEM_HPAGE_NR : 1);
	}
}

/* ---- host mappings ---- */

/* May the host access page @pgoff of @gmem's inode through a mapping? */
static bool kvm_gmem_host_accessible(struct gmem_file *gmem, u64 pgoff,
				     bool inflight)
{
	struct kvm_memory_slot *slot;
	bool shared = gmem->inode->flags & GUEST_MEMFD_FLAG_INIT_SHARED;

	if (!inflight)
		return shared;
	/* In-place conversion: shared pages are the VM's shared gfns. */
	rcu_read_lock();
	slot = gmem_binding_lookup(rcu_dereference(gmem->bindings), pgoff);
	if (slot)
		shared = !kvm_mem_is_private(gmem->kvm, slot->base_gfn + pgoff -
					     slot->gmem.pgoff);
	rcu_read_unlock();
	return shared;
}

struct page *kvm_gmem_fault_user_mapping(struct vm_fault *vmf, int *err)
{
	struct gmem_file *gmem = vmf->vma->vm_file->private_data;
	u64 pgoff = vmf->pgoff;
	struct gmem_inode *inode = gmem->inode;
	bool inflight = kvm_gmem_locking_inflight(gmem->kvm);
	struct page *head, *page = NULL;

	lockdep_assert_held(&current_mm()->mmap_lock);
	/*
	 * v8 checks the attribute and takes the folio under the invalidate
	 * lock (shared), which the conversion holds exclusive from its unmap
	 * to its store. gmem_locking=legacy (guest_memfd's older fault) with
	 * in-place conversion checks it without: a conversion may complete
	 * between the check and the folio reference (scenario gmem-fault-race).
	 */
	if (inflight)
		filemap_invalidate_lock_shared(&inode->mapping);

	*err = -EFAULT;
	if (pgoff >= gmem_size_pages(inode))
		goto out;
	/* v8: a private page is -EACCES, VM_FAULT_SIGBUS (-EFAULT here). */
	if (inode->in_place ? !kvm_gmem_is_shared_mem(inode, pgoff) :
	    !kvm_gmem_host_accessible(gmem, pgoff, inflight))
		goto out;
	head = kvm_gmem_get_folio(inode, pgoff, err);
	if (!head)
		goto out;
	page = pfn_to_page(page_to_pfn(head) + (pgoff - folio_index(head)));
	if (!PageUptodate(page)) {
		/* Pages come zeroed from the allocator: preparing is marking. */
		SetPageUptodate(page);
	}
	/*
	 * tdxsim: mm's fault path maps and unlocks what VM_FAULT_LOCKED hands
	 * it. The PTE is installed under the folio lock, which truncation
	 * takes to remove the folio before it zaps. In-place conversion zaps
	 * the file's mappings before a page goes private: under v8's
	 * invalidate lock the map and the zap are ordered; the legacy fault
	 * maps without it, as that design would, so a conversion that runs
	 * whole between its check and the map leaves a private page mapped
	 * (gmem-inplace-hostfault's race, now in the program's own mapping
	 * too). Without in-place conversion only a file whose pages never
	 * turn private is mapped (legacy: the INIT_SHARED check); the
	 * in-flight check reads the VM's attributes, whose changes zap no
	 * host mapping.
	 */
	if (inode->in_place || !inflight)
		finish_fault(vmf, page);
	folio_unlock(head);
	*err = 0;
out:
	if (inflight)
		filemap_invalidate_unlock_shared(&inode->mapping);
	return page;
}

static const struct vm_operations_struct kvm_gmem_vm_ops = {
	.fault = kvm_gmem_fault_user_mapping,
};

static int kvm_gmem_mmap(struct file *file, struct vm_area_struct *vma)
{
	if (!(gmem_inode(file)->flags & GUEST_MEMFD_FLAG_MMAP))
		return -ENODEV;
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	vma->vm_ops = &kvm_gmem_vm_ops;
	return 0;
}

static long kvm_gmem_ioctl(struct file *file, unsigned long ioctl,
			   unsigned long arg);

static const struct file_operations kvm_gmem_fops = {
	.name = "kvm-gmem",
	.unlocked_ioctl = kvm_gmem_ioctl,
	.fallocate = kvm_gmem_fallocate,
	.memory_failure = kvm_gmem_memory_failure,
	.mmap = kvm_gmem_mmap,
	.release = kvm_gmem_release,
};

/* ---- creation and binding ---- */

u64 kvm_gmem_get_supported_flags(struct kvm *kvm)
{
	/*
	 * tdxsim: MMAP for every VM, TDX ones too (its VMM's shared memory;
	 * upstream offers it to no TDX VM, and not before 6.18: FIDELITY §1.4).
	 */
	u64 flags = GUEST_MEMFD_FLAG_MMAP;

	/*
	 * x86: INIT_SHARED only for VMs without private memory, or for any
	 * with in-place conversion (v8 kvm_arch_supports_gmem_init_shared()).
	 */
	if (!kvm || !kvm_arch_has_private_mem(kvm) || kvm_gmem_in_place(kvm))
		flags |= GUEST_MEMFD_FLAG_INIT_SHARED;
	return flags;
}

int kvm_gmem_create(struct kvm *kvm, struct kvm_create_guest_memfd *args)
{
	static struct lock_class_key invalidate_key, i_pages_key;
	s64 size = (s64)args->size;
	struct gmem_inode *inode;
	struct gmem_file *gmem;
	int fd;

	if (args->flags & ~kvm_gmem_get_supported_flags(kvm))
		return -EINVAL;
	if (size <= 0 || !IS_ALIGNED(size, PAGE_SIZE))
		return -EINVAL;

	inode = xzalloc(sizeof(*inode));
	__init_rwsem(&inode->mapping.invalidate_lock, GMEM_INVALIDATE_LOCK_NAME,
		     &invalidate_key);
	__spin_lock_init(&inode->mapping.i_pages_lock, "&xa->xa_lock",
			 &i_pages_key);
	/* Page offsets of a file below 2^63 bytes: 51 bits, 6 levels of 9. */
	radix_init(&inode->mapping.i_pages, 6);
	INIT_LIST_HEAD(&inode->mapping.i_private_list);
	inode->mapping.host = inode;
	inode->size = size;
	inode->flags = args->flags;
	inode->huge = READ_ONCE(kvm->design.gmem_hugepages);
	inode->kvm = kvm;
	kvm_gmem_init_attributes(inode);
	atomic_set(&inode->i_count, 1);

	gmem = xzalloc(sizeof(*gmem));
	kvm_get_kvm(kvm);
	gmem->kvm = kvm;
	gmem->inode = inode;
	list_add(&gmem->entry, &inode->mapping.i_private_list);

	fd = anon_inode_getfd(&kvm_gmem_fops, gmem, &inode->mapping, NULL);
	if (fd < 0) {
		list_del(&gmem->entry);
		free(gmem);
		kvm_gmem_evict_inode(inode);
		kvm_put_kvm(kvm);
	}
	return fd;
}

int kvm_gmem_bind(struct kvm *kvm, struct kvm_memory_slot *slot,
		  unsigned int fd, loff_t offset)
{
	loff_t size = slot->npages << PAGE_SHIFT;
	struct gmem_binding b;
	struct gmem_file *gmem;
	struct gmem_inode *inode;
	struct file *file;
	int r = -EINVAL;

	file = fget((int)fd);
	if (!file)
		return fd_is_foreign((int)fd) ? -EINVAL : -EBADF;
	if (!file_is_gmem(file))
		goto err;
	gmem = file->private_data;
	if (gmem->kvm != kvm)
		goto err;
	inode = gmem->inode;
	if (offset < 0 || !IS_ALIGNED(offset, PAGE_SIZE) ||
	    (u64)offset + size > inode->size)
		goto err;

	filemap_invalidate_lock(&inode->mapping);

	b.start = offset >> PAGE_SHIFT;
	b.end = b.start + slot->npages;
	b.slot = slot;
	if (gmem_bindings_overlap(gmem->bindings, b.start, b.end)) {
		filemap_invalidate_unlock(&inode->mapping);
		/* 7.2 (7ea987a9, design gmem_bind_overlap): -EEXIST. */
		if (READ_ONCE(kvm->design.gmem_bind_overlap) ==
		    TDXSIM_GMEM_BIND_OVERLAP_EEXIST)
			r = -EEXIST;
		goto err;
	}

	/* guest_memfd memslots are immutable: slot->gmem needs no lock. */
	slot->gmem.pgoff = b.start;
	rcu_assign_pointer(slot->gmem.file, file);
	if (inode->flags & GUEST_MEMFD_FLAG_MMAP)
		slot->flags |= KVM_MEMSLOT_GMEM_ONLY;
	gmem_bindings_update(gmem, &b, NULL);

	filemap_invalidate_unlock(&inode->mapping);

	/*
	 * Drop the reference to the file, even on success: the file pins
	 * KVM, not the other way round. Bindings are invalidated if the file
	 * is closed before the memslots are destroyed.
	 */
	r = 0;
err:
	fput(file);
	return r;
}

void kvm_gmem_unbind(struct kvm_memory_slot *slot)
{
	struct file *file;

	/*
	 * Nothing to do if the underlying file was already closed:
	 * kvm_gmem_release() invalidates and nullifies all bindings.
	 */
	if (!rcu_dereference(slot->gmem.file))
		return;

	file = kvm_gmem_get_file(slot);
	if (!file) {
		/*
		 * The file is being closed: its release may run only after
		 * this slot is freed, so remove the binding now. That is safe
		 * because the release nullifies slot->gmem.file under
		 * slots_lock (held here) and frees the bindings only after.
		 */
		struct file *dying = rcu_dereference(slot->gmem.file);

		/*
		 * Upstream's bindings are an xarray, whose update takes its
		 * own lock; tdxsim's array is replaced under the invalidate
		 * lock, which orders this update after the last punch's
		 * walk of it (the file's mapping lives until the release).
		 */
		filemap_invalidate_lock(dying->f_mapping);
		gmem_bindings_update(dying->private_data, NULL, slot);
		rcu_assign_pointer(slot->gmem.file, NULL);
		filemap_invalidate_unlock(dying->f_mapping);
		return;
	}

	filemap_invalidate_lock(file->f_mapping);
	gmem_bindings_update(file->private_data, NULL, slot);
	rcu_assign_pointer(slot->gmem.file, NULL);
	filemap_invalidate_unlock(file->f_mapping);

	fput(file);
}

struct file *kvm_gmem_get_file(struct kvm_memory_slot *slot)
{
	struct file *file;

	rcu_read_lock();
	file = get_file_rcu_active(&slot->gmem.file);
	rcu_read_unlock();
	return file;
}

/* ---- pfns ---- */

static inline u64 kvm_gmem_get_index(struct kvm_memory_slot *slot, gfn_t gfn)
{
	return gfn - slot->base_gfn + slot->gmem.pgoff;
}

/*
 * The page for @index with a folio reference and the folio locked, its pfn
 * and the largest order KVM may map it at; *@is_prepared tells whether the page (or, for a
 * 2M mapping, each page of the folio) is already prepared.
 */
static int __kvm_gmem_get_pfn(struct file *file, struct kvm_memory_slot *slot,
			      u64 index, kvm_pfn_t *pfn, struct page **pagep,
			      bool *is_prepared, int *max_order)
{
	struct gmem_file *gmem = file->private_data;
	struct kvm_memory_slot *bound;
	struct page *head, *page;
	int err = 0, order = 0;

	if (file != rcu_dereference(slot->gmem.file)) {
		WARN_ON_ONCE(rcu_dereference(slot->gmem.file));
		return -EFAULT;
	}
	rcu_read_lock();
	bound = gmem_binding_lookup(rcu_dereference(gmem->bindings), index);
	rcu_read_unlock();
	if (bound != slot) {
		WARN_ON_ONCE(bound);
		return -EIO;
	}

	head = kvm_gmem_get_folio(gmem->inode, index, &err);
	if (!head)
		return err;
	page = pfn_to_page(page_to_pfn(head) + (index - folio_index(head)));
	if (PageHWPoison(page)) {
		folio_unlock(head);
		put_page(head);
		return -EHWPOISON;
	}

	if (folio_is_huge(head)) {
		gfn_t gfn = slot->base_gfn + index - slot->gmem.pgoff;
		gfn_t hgfn = ALIGN_DOWN(gfn, GMEM_HPAGE_NR);

		/* The folio maps a whole, aligned 2M of the slot. */
		if (!((gfn ^ index) & (GMEM_HPAGE_NR - 1)) &&
		    hgfn >= slot->base_gfn &&
		    hgfn + GMEM_HPAGE_NR <= slot->base_gfn + slot->npages)
			order = GMEM_HPAGE_ORDER;
	}

	*pfn = page_to_pfn(page);
	*pagep = page;
	*is_prepared = PageUptodate(page);
	if (max_order)
		*max_order = order;
	return 0;
}

/* Prepare (zero, then mark uptodate) the pages a mapping of @order covers. */
static void kvm_gmem_prepare(struct page *page, int order)
{
	u64 i, nr = 1UL << order;
	struct page *head = page - (page_to_pfn(page) & (nr - 1));

	/*
	 * The allocator hands out zeroed pages: preparing is marking. A 2M
	 * folio is looked at on every fault: mark only what is not marked,
	 * and once all is, say so on its head (tdxsim: no walk of its 512
	 * pages on the next fault; a split clears it, a new folio's pages
	 * start with fresh flags).
	 */
	if (order && page_flag_test(head, PG_gmem_prepared))
		return;
	for (i = 0; i < nr; i++)
		if (!PageUptodate(&head[i]))
			SetPageUptodate(&head[i]);
	if (order)
		page_flag_set(head, PG_gmem_prepared);
}

int kvm_gmem_get_pfn(struct kvm *kvm, struct kvm_memory_slot *slot, gfn_t gfn,
		     kvm_pfn_t *pfn, struct page **page, int *max_order)
{
	bool inflight = kvm_gmem_locking_inflight(kvm);
	u64 index = kvm_gmem_get_index(slot, gfn);
	bool is_prepared = false;
	struct file *file;
	int order = 0, r;

	file = kvm_gmem_get_file(slot);
	if (!file)
		return -EFAULT;

	if (inflight)
		filemap_invalidate_lock_shared(file->f_mapping);

	r = __kvm_gmem_get_pfn(file, slot, index, pfn, page, &is_prepared,
			       &order);
	if (!r) {
		if (!is_prepared || order)
			kvm_gmem_prepare(*page, order);
		folio_unlock(kvm_gmem_folio_head(*page));
		if (max_order)
			*max_order = order;
	}

	if (inflight)
		filemap_invalidate_unlock_shared(file->f_mapping);
	fput(file);
	return r;
}

/*
 * One page of kvm_gmem_populate(), the invalidate lock held exclusively:
 * the folio (-EEXIST if prepared and the design says so), the PRIVATE
 * check, the callback, and marking the folio prepared on success.
 */
static int __kvm_gmem_populate(struct kvm *kvm, struct file *file,
			       struct kvm_memory_slot *slot, gfn_t gfn,
			       void *src, struct page *src_page,
			       kvm_gmem_populate_cb post_populate,
			       void *opaque)
{
	bool is_prepared = false;
	struct page *page;
	kvm_pfn_t pfn;
	int ret;

	ret = __kvm_gmem_get_pfn(file, slot, kvm_gmem_get_index(slot, gfn),
				 &pfn, &page, &is_prepared, NULL);
	if (ret)
		return ret;
	/* 7.0 dropped preparation tracking here (design populate_eexist). */
	if (is_prepared && READ_ONCE(kvm->design.populate_eexist)) {
		folio_unlock(kvm_gmem_folio_head(page));
		put_page(page);
		return -EEXIST;
	}
	folio_unlock(kvm_gmem_folio_head(page));

	ret = -EINVAL;
	if (kvm_range_has_memory_attributes(kvm, gfn, gfn + 1,
					    KVM_MEMORY_ATTRIBUTE_PRIVATE,
					    KVM_MEMORY_ATTRIBUTE_PRIVATE)) {
		ret = post_populate(kvm, gfn, pfn, src, src_page, opaque);
		if (!ret)
			kvm_gmem_prepare(page, 0);
	}
	put_page(page);
	return ret;
}

long kvm_gmem_populate(struct kvm *kvm, gfn_t start_gfn, void *src,
		       long npages, kvm_gmem_populate_cb post_populate,
		       void *opaque)
{
	bool gup_first = READ_ONCE(kvm->design.populate_gup) ==
			 TDXSIM_POPULATE_GUP_BEFORE_LOCK;
	struct kvm_memory_slot *slot;
	struct file *file;
	long i;
	int ret = 0;

	lockdep_assert_held(&kvm->slots_lock);

	if (WARN_ON_ONCE(npages <= 0))
		return -EINVAL;
	/* 7.0: the source is pinned here, so it must be page aligned. */
	if (gup_first && WARN_ON_ONCE(!IS_ALIGNED((unsigned long)src, PAGE_SIZE)))
		return -EINVAL;

	slot = gfn_to_memslot(kvm, start_gfn);
	if (!kvm_slot_has_gmem(slot))
		return -EINVAL;

	file = kvm_gmem_get_file(slot);
	if (!file)
		return -EFAULT;

	npages = min_t(long, slot->npages - (start_gfn - slot->base_gfn),
		       npages);
	/*
	 * 6.16-6.19: one exclusive invalidate lock around the loop; the
	 * callback pins the source itself (under the lock). 7.0 (design
	 * populate_gup=before_lock): per page, pin the source first, then
	 * take the lock for that page only.
	 */
	if (!gup_first)
		filemap_invalidate_lock(file->f_mapping);
	for (i = 0; i < npages; i++) {
		struct page *src_page = NULL;
		void *p = src ? (u8 *)src + i * PAGE_SIZE : NULL;

		if (gup_first) {
			long n;

			if (p) {
				n = get_user_pages_fast((unsigned long)p, 1, 0,
							&src_page);
				if (n < 0) {
					ret = n;
					break;
				}
				if (n != 1) {
					ret = -ENOMEM;
					break;
				}
			}
			filemap_invalidate_lock(file->f_mapping);
		}
		ret = __kvm_gmem_populate(kvm, file, slot, start_gfn + i, p,
					  src_page, post_populate, opaque);
		if (gup_first) {
			filemap_invalidate_unlock(file->f_mapping);
			if (src_page)
				put_page(src_page);
		}
		if (ret)
			break;
	}
	if (!gup_first)
		filemap_invalidate_unlock(file->f_mapping);

	fput(file);
	return ret && !i ? ret : i;
}

/* ---- in-place conversion ---- */

int kvm_gmem_split_for_conversion(struct kvm *kvm,
				  struct kvm_memory_slot *slot, gfn_t start,
				  gfn_t end)
{
	u64 bounds[2] = {
		kvm_gmem_get_index(slot, start),
		kvm_gmem_get_index(slot, end),
	};
	struct file *file;
	int i, r = 0;

	file = kvm_gmem_get_file(slot);
	if (!file)
		return 0;
	if (!gmem_inode(file)->huge) {
		fput(file);
		return 0;
	}

	filemap_invalidate_lock(file->f_mapping);
	for (i = 0; i < 2 && !r; i++) {
		/* A boundary inside a 2M folio: that folio is covered in part. */
		if (IS_ALIGNED(bounds[i], GMEM_HPAGE_NR))
			continue;
		r = kvm_gmem_split_folio(file, bounds[i]);
	}
	filemap_invalidate_unlock(file->f_mapping);
	fput(file);
	return r;
}

/* ---- per-gmem attributes for KVM (in-place conversion v8) ---- */

/* The inode bound to @slot, NULL for none (RCU held). */
static struct gmem_inode *kvm_gmem_slot_inode(struct kvm_memory_slot *slot)
{
	struct file *file = slot ? rcu_dereference(slot->gmem.file) : NULL;

	return file ? gmem_inode(file) : NULL;
}

unsigned long kvm_gmem_get_memory_attributes(struct kvm *kvm, gfn_t gfn)
{
	struct kvm_memory_slot *slot;
	struct gmem_inode *inode;
	unsigned long attrs = 0;

	rcu_read_lock();
	slot = gfn_to_memslot(kvm, gfn);
	inode = kvm_gmem_slot_inode(slot);
	if (inode)
		attrs = kvm_gmem_get_attributes(inode,
						kvm_gmem_get_index(slot, gfn));
	rcu_read_unlock();
	return attrs;
}

bool kvm_gmem_slot_range_has_attributes(struct kvm_memory_slot *slot,
					gfn_t start, gfn_t end,
					unsigned long attrs)
{
	struct gmem_inode *inode;
	bool ret;

	rcu_read_lock();
	inode = kvm_gmem_slot_inode(slot);
	ret = inode ? kvm_gmem_range_has_attributes(inode,
				kvm_gmem_get_index(slot, start),
				kvm_gmem_get_index(slot, end), attrs) :
		      !attrs;
	rcu_read_unlock();
	return ret;
}
