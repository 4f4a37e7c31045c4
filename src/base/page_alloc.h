/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Host physical memory: a PFN space of 4K pages.
 *
 * The bytes of every page live in one MAP_NORESERVE mapping sized at
 * phys_mem_init(), so untouched pages cost no RAM. Each PFN has a small
 * struct page (refcount, flags, order) in a second lazily-touched array.
 * Allocation is at order 0 (4K) or PMD_ORDER (2M, naturally aligned); freed
 * pages are given back to the OS with madvise(), so they read as zero when
 * reused and RSS falls.
 *
 * PFN 0 is never handed out, so 0 can mean "no page" where the kernel would
 * use a NULL struct page.
 */
#ifndef TDXSIM_BASE_PAGE_ALLOC_H
#define TDXSIM_BASE_PAGE_ALLOC_H

#include "base/atomic.h"
#include "ulib/compiler.h"
#include "ulib/proc.h"

/* Page flags (struct page::flags). */
enum pageflags {
	PG_head = 0,		/* first page of an order-9 block */
	PG_tail = 1,		/* other pages of an order-9 block */
	PG_reserved = 2,	/* never handed out */
	PG_owner_priv = 3,	/* free for the owner's use */
	PG_uptodate = 4,	/* guest_memfd: folio prepared */
	PG_hwpoison = 5,
};

struct page {
	atomic_t _refcount;	/* 0 when free */
	u8 order;		/* allocation order of the block (head and tails) */
	u8 pad[3];
	unsigned long flags;
	/* Owner's word (guest_memfd index, etc.); 0 while free. */
	u64 private;
};

/*
 * Set up the PFN space for @bytes of host memory (rounded up to 2M).
 * 0 selects the default (enough for a 64 GiB TD plus its metadata).
 * Returns 0 or -ENOMEM. Calling it again while pages are in use fails
 * with -EBUSY; after phys_mem_exit() it may be called again.
 */
int phys_mem_init(u64 bytes);
/* Unmap everything. Pages still in use are reported and the call fails with -EBUSY. */
int phys_mem_exit(void);
/* True once phys_mem_init() succeeded; allocation initialises lazily otherwise. */
bool phys_mem_ready(void);

/* Allocate a block of 1 << @order pages (order 0 or 9), refcount 1, zeroed. */
struct page *alloc_pages(unsigned int order);
static inline struct page *alloc_page(void)
{
	return alloc_pages(0);
}
/* Free a block allocated at @order regardless of its refcount. */
void __free_pages(struct page *page, unsigned int order);
#define __free_page(p)	__free_pages((p), 0)

/*
 * Reference counting on the block's head page. put_page() frees the block
 * when the count drops to zero. Tail pages forward to their head.
 */
struct page *compound_head(struct page *page);
void get_page(struct page *page);
void put_page(struct page *page);
int page_ref_count(struct page *page);
/* Add a reference only if the count is not zero. */
bool get_page_unless_zero(struct page *page);

/*
 * Split an order-9 block into 512 order-0 pages, each keeping its share of
 * the references: every tail gets the head's refcount. Returns -EBUSY
 * (and changes nothing) if any tail page has references of its own.
 */
int split_page_block(struct page *head);

u64 page_to_pfn(const struct page *page);
struct page *pfn_to_page(u64 pfn);
/* The bytes of a page (host virtual address inside the PFN space). */
void *page_address(const struct page *page);
void *pfn_to_virt(u64 pfn);
static inline hpa_t page_to_phys(const struct page *page)
{
	return page_to_pfn(page) << PAGE_SHIFT;
}
/* The struct page whose bytes contain @addr, NULL outside the PFN space. */
struct page *virt_to_page(const void *addr);
/* The struct page of host physical address @pa, NULL if outside the PFN space. */
struct page *phys_to_page(hpa_t pa);
bool pfn_valid(u64 pfn);

struct phys_mem_stats {
	u64 total_pages;	/* size of the PFN space */
	u64 pages_in_use;	/* 4K pages currently allocated */
	u64 peak_pages_in_use;
	u64 blocks_2m_in_use;	/* order-9 blocks allocated as such */
	u64 allocs;		/* alloc_pages() calls */
	u64 frees;		/* blocks freed */
	size_t page_meta_bytes;	/* sizeof(struct page) */
	u64 meta_bytes_touched;	/* metadata bytes backing touched PFNs (approx) */
};

void phys_mem_get_stats(struct phys_mem_stats *st);

/* Called for each block about to be freed; the module's PAMT check. */
typedef void (*page_free_check_fn)(u64 pfn, unsigned int order);
/* Register @fn (NULL to remove); it stays set across phys_mem_exit(). */
void page_alloc_set_free_check(page_free_check_fn fn);


#endif /* TDXSIM_BASE_PAGE_ALLOC_H */
