// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Page reference counts (get_page(), compound_head(); put_page(), which
 * frees, stays with the allocator), splitting a 2M block into 512 4K
 * pages, and the reference freeze that
 * lets a lockless page cache lookup race a split safely (the kernel's
 * page_ref_freeze() and __split_huge_page()'s unfreeze): a cache that
 * splits a folio freezes its head's count at the value it expects, so a
 * speculative get_page_unless_zero() of a lookup fails and the lookup
 * retries, until the split pages are published with their counts.
 */
#include <errno.h>
#include <pthread.h>

#include "base/log.h"
#include "base/page_alloc_internal.h"

/* ---- reference counts (page_alloc.c frees on the last put) ---- */

struct page *compound_head(struct page *page)
{
	u64 pfn;

	if (!(READ_ONCE(page->flags) & BIT(PG_tail)))
		return page;
	pfn = page - pa_mem.pages;
	return &pa_mem.pages[pfn & ~(u64)(PAGES_PER_BLOCK - 1)];
}

void get_page(struct page *page)
{
	struct page *head = compound_head(page);
	int old = __atomic_fetch_add(&head->_refcount.counter, 1,
				     __ATOMIC_SEQ_CST);

	WARN(old <= 0, "get_page on pfn %#llx with refcount %d\n",
	     (unsigned long long)page_to_pfn(head), old);
}

int page_ref_count(struct page *page)
{
	return atomic_read(&compound_head(page)->_refcount);
}

bool get_page_unless_zero(struct page *page)
{
	return atomic_inc_not_zero(&compound_head(page)->_refcount);
}

bool page_ref_freeze(struct page *page, int count)
{
	int c = count;

	return __atomic_compare_exchange_n(&page->_refcount.counter, &c, 0,
					   false, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

void page_ref_unfreeze(struct page *page, int count)
{
	WARN_ON_ONCE(atomic_read(&page->_refcount));
	__atomic_store_n(&page->_refcount.counter, count, __ATOMIC_RELEASE);
}

/*
 * The split of split_page_block() and split_page_block_frozen(): @ref is
 * the count each tail gets; the head's is left as it is (frozen at 0 for
 * split_page_block_frozen(), whose caller unfreezes it once the split
 * pages are where its lookups find them).
 */
static int __split_page_block(struct page *head, int ref)
{
	u16 flags;
	u64 pfn;
	u32 b, i;
	bool ok;

	if (WARN(!page_in_space(head) || !(head->flags & BIT(PG_head)) ||
		 head->order != PMD_ORDER,
		 "split_page_block: not the head of an order-9 block\n"))
		return -EINVAL;
	if (WARN(ref <= 0, "split_page_block: free block\n"))
		return -EINVAL;
	for (i = 1; i < PAGES_PER_BLOCK; i++)
		if (atomic_read(&head[i]._refcount))
			return -EBUSY;

	pfn = head - pa_mem.pages;
	b = pfn_block(pfn);
	pthread_mutex_lock(&pa_lock);
	ok = pa_mem.blocks[b].state == BLOCK_HUGE;
	if (ok) {
		pa_mem.blocks[b].state = BLOCK_SPLIT;
		pa_mem.blocks[b].nr_free = 0;
		pa_mem.blocks[b].cursor = PAGES_PER_BLOCK;
		pa_mem.blocks[b].free_head = LINK_NIL;
		pa_mem.blocks_2m_in_use--;
	}
	pthread_mutex_unlock(&pa_lock);
	if (WARN(!ok, "split_page_block: pfn %#llx is not an allocated block\n",
		 (unsigned long long)pfn))
		return -EINVAL;

	/*
	 * Each page becomes an order-0 page with the head's flags and count;
	 * each keeps its own PG_written.
	 */
	flags = head->flags & ~(BIT(PG_head) | BIT(PG_tail) | BIT(PG_written));
	for (i = 0; i < PAGES_PER_BLOCK; i++) {
		u16 w = READ_ONCE(head[i].flags) & BIT(PG_written);

		if (i)
			atomic_set(&head[i]._refcount, ref);
		WRITE_ONCE(head[i].order, 0);
		WRITE_ONCE(head[i].flags, flags | w);
	}
	return 0;
}

int split_page_block(struct page *head)
{
	return __split_page_block(head, atomic_read(&head->_refcount));
}

int split_page_block_frozen(struct page *head, int ref)
{
	int r = __split_page_block(head, ref);

	if (r)
		page_ref_unfreeze(head, ref);
	return r;
}
