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
#include "base/sched.h"
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
	/*
	 * tdxsim's: the page's bytes may have been written since the page was
	 * last given back to the OS, so it may hold data (and RSS). Set on
	 * every allocated page; an owner that knows all the writers of its
	 * pages (guest_memfd: the module's and the host's accessors call
	 * page_mark_written()) clears it with page_clear_written() and so
	 * lets a page that still reads as zero skip its reset and its
	 * zeroing when freed.
	 */
	PG_written = 6,
	PG_buddy = 7,		/* free, on its split block's free list */
	PG_locked = 8,		/* folio lock (host/mm.h: folio_lock()) */
	PG_gmem_prepared = 9,	/* guest_memfd: every page of this 2M head uptodate */
	PG_waiters = 10,	/* a task waits for PG_locked (host/mm.c) */
};

/* 16 bytes per 4K page. */
struct page {
	atomic_t _refcount;	/* 0 when free */
	u16 flags;		/* enum pageflags */
	union {
		struct {
			/* allocation order of the block (head and tails) */
			u8 order;
			u8 _rsvd;
		};
		/* PG_buddy: next free page of its split 2M block */
		u16 buddy_next;
	};
	/* Owner's word (guest_memfd index, etc.); 0 while free. */
	u64 private;
};

_Static_assert(sizeof(struct page) == 16, "struct page is 16 bytes");

static inline bool page_flag_test(const struct page *page, unsigned int nr)
{
	return (__atomic_load_n(&page->flags, __ATOMIC_RELAXED) >> nr) & 1;
}

static inline void page_flag_set(struct page *page, unsigned int nr)
{
	__atomic_fetch_or(&page->flags, (u16)(1U << nr), __ATOMIC_SEQ_CST);
}

static inline void page_flag_clear(struct page *page, unsigned int nr)
{
	__atomic_fetch_and(&page->flags, (u16)~(1U << nr), __ATOMIC_SEQ_CST);
}

#define PageHead(p)		page_flag_test((p), PG_head)
#define PageTail(p)		page_flag_test((p), PG_tail)
#define PageReserved(p)		page_flag_test((p), PG_reserved)
#define PageBuddy(p)		page_flag_test((p), PG_buddy)
#define PageUptodate(p)		page_flag_test((p), PG_uptodate)
#define PageLocked(p)		page_flag_test((p), PG_locked)
#define SetPageUptodate(p)	page_flag_set((p), PG_uptodate)
#define ClearPageUptodate(p)	page_flag_clear((p), PG_uptodate)
#define PageHWPoison(p)		page_flag_test((p), PG_hwpoison)
#define SetPageHWPoison(p)	page_flag_set((p), PG_hwpoison)

/* tdxsim's write tracking (PG_written above). */
static inline bool page_written(const struct page *page)
{
	return page_flag_test(page, PG_written);
}

/* Cheap when already set: no atomic read-modify-write then. */
static inline void page_mark_written(struct page *page)
{
	if (!page_written(page))
		page_flag_set(page, PG_written);
}

static inline void page_clear_written(struct page *page)
{
	page_flag_clear(page, PG_written);
}

/*
 * Set up the PFN space for @bytes of host memory (rounded up to 2M).
 * 0 selects the default, PHYS_MEM_DEFAULT_BYTES (72 GiB: a 64 GiB TD plus
 * 8 GiB around it; only touched pages and their metadata cost memory). A
 * build can size it otherwise with -DPHYS_MEM_DEFAULT_BYTES=..., e.g. for
 * valgrind, which handles the reservation of a smaller space better.
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
/* A 4K page its caller overwrites whole before reading: it may hold old bytes. */
struct page *alloc_page_nozero(void);
static inline struct page *alloc_page(void)
{
	return alloc_pages(0);
}
/*
 * Free a block allocated at @order regardless of its refcount. A freed 4K
 * page that was written is zeroed when it is handed out again; a 2M block
 * whose 512 pages are all free goes back to the OS whole (its bytes and
 * its metadata, see phys_mem_register_meta()), in batches of adjacent
 * blocks: phys_mem_drain() gives back what is still batched.
 */
void __free_pages(struct page *page, unsigned int order);
#define __free_page(p)	__free_pages((p), 0)

/*
 * Reference counting on the block's head page. put_page() frees the block
 * when the count drops to zero. Tail pages forward to their head.
 */
struct page *compound_head(struct page *page);
void get_page(struct page *page);
void put_page(struct page *page);
/*
 * put_page() on each of @nr pages; those whose last reference goes are
 * freed in one round of the allocator's lock per PAGEVEC_SIZE of them (the
 * kernel's release_pages(), as a truncation frees its batch of folios).
 * A page left referenced wakes page_ref_wq's waiters, as put_page() does.
 */
#define PAGEVEC_SIZE	31
void release_pages(struct page **pages, int nr);
int page_ref_count(struct page *page);

/*
 * Waiting for references to drop. While a task waits in
 * wait_page_refs_killable(), every put_page() that leaves a block
 * referenced wakes page_ref_wq, whoever drops the reference (KVM, the
 * host's mm, a GUP pin, the allocator's own users): no caller of
 * put_page() has to know a waiter exists. @cond is re-evaluated after each
 * such put_page() and each wake_up(&page_ref_wq) (for whatever else it
 * reads). 0, or -EINTR as wait_event_killable().
 */
extern struct wait_queue_head page_ref_wq;
void page_ref_waiters_add(int n);
#define wait_page_refs_killable(cond)					\
	({								\
		int __wpr;						\
		page_ref_waiters_add(1);				\
		__wpr = wait_event_killable(page_ref_wq, cond);		\
		page_ref_waiters_add(-1);				\
		__wpr;							\
	})
/* Add a reference only if the count is not zero. */
bool get_page_unless_zero(struct page *page);

/*
 * Split an order-9 block into 512 order-0 pages, each keeping its share of
 * the references: every tail gets the head's refcount. Returns -EBUSY
 * (and changes nothing) if any tail page has references of its own.
 */
int split_page_block(struct page *head);
/*
 * The kernel's page_ref_freeze()/page_ref_unfreeze(): set @page's count
 * from exactly @count to 0 (false, and nothing changed, if it is not
 * @count), so that get_page_unless_zero() fails until it is unfrozen
 * at @count. A lockless page cache lookup takes its reference that way.
 */
bool page_ref_freeze(struct page *page, int count);
void page_ref_unfreeze(struct page *page, int count);
/*
 * split_page_block() of a block whose head the caller froze at @ref
 * (page_ref_freeze()): the tails get count @ref and the head stays frozen
 * until the caller, having published the pages, calls
 * page_ref_unfreeze(head, @ref). On failure the head is unfrozen at @ref,
 * unsplit.
 */
int split_page_block_frozen(struct page *head, int ref);

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

/*
 * A per-PFN metadata array kept by a layer above (the module's PAMT):
 * @entry_size bytes per 4K page at @base + pfn * @entry_size. It is counted
 * in metadata_bytes_per_page and in the resident figures, and when a whole
 * 2M block has gone back to the OS, @drop(pfn, nr) is called for its pages
 * (outside every allocator lock) so that the owner can give their entries
 * back too (they are all "free" by then). One registration at a time.
 */
struct phys_mem_meta {
	void *base;
	size_t entry_size;
	void (*drop)(u64 pfn, u64 nr);
};
void phys_mem_register_meta(const struct phys_mem_meta *meta);
void phys_mem_unregister_meta(void);

/*
 * Back the whole 2M block of @pfn with host memory in one call
 * (MADV_POPULATE_WRITE) instead of a page fault per 4K page at first
 * touch, once per allocation of the block; for an owner about to write
 * all of it (a 2M private page the guest writes). Its bytes keep reading
 * as zero.
 */
void phys_mem_populate_block(u64 pfn);

/* Give back to the OS the free 2M blocks still batched for that. */
void phys_mem_drain(void);

/*
 * Give the bytes [@addr, @addr + @len) of the PFN space back to the OS:
 * they read as zero afterwards (MADV_DONTNEED; MADV_REMOVE when the space
 * is a memfd). Not counted in madvise_calls (the caller counts).
 */
void phys_mem_discard(void *addr, size_t len);

/*
 * A second mapping of PFNs: with TDXSIM_PHYS_MEMFD=1 in the environment at
 * init, the PFN space is a memfd mapped MAP_SHARED, so that its pages can
 * be mapped at another address too (a user mapping of a guest_memfd page
 * under `tdxsim exec`); otherwise it is anonymous memory, which cannot.
 * phys_mem_map_at() maps @nr pages from @pfn at @addr (MAP_FIXED, @prot);
 * -EOPNOTSUPP for an anonymous space. The caller unmaps the alias before
 * the pages are freed. Neither the space nor an alias is inherited by a
 * forked child (MADV_DONTFORK).
 */
bool phys_mem_aliasable(void);
int phys_mem_map_at(void *addr, u64 pfn, u64 nr, int prot);

struct phys_mem_stats {
	u64 total_pages;	/* size of the PFN space */
	u64 pages_in_use;	/* 4K pages currently allocated */
	u64 peak_pages_in_use;
	u64 blocks_2m_in_use;	/* order-9 blocks allocated as such */
	u64 allocs;		/* alloc_pages() calls */
	u64 frees;		/* blocks freed */
	size_t page_meta_bytes;	/* sizeof(struct page) */
	/*
	 * Metadata of blocks in use: per-4K structures (struct page and
	 * registered arrays) of every 2M block not free, plus the 2M block
	 * descriptors reached so far. Free blocks' metadata is given back.
	 */
	u64 meta_bytes_touched;
	/* Per-4K-page metadata: struct page plus the registered arrays. */
	u64 meta_bytes_per_page;
	/* Metadata actually resident (mincore() over the metadata arrays). */
	u64 meta_bytes_resident;
	u64 blocks_returned;	/* 2M blocks given back to the OS */
	u64 madvise_calls;	/* madvise(MADV_DONTNEED) calls made */
	u64 pages_zeroed;	/* 4K pages zeroed when handed out again */
};

void phys_mem_get_stats(struct phys_mem_stats *st);

/* Called for each block about to be freed; the module's PAMT check. */
typedef void (*page_free_check_fn)(u64 pfn, unsigned int order);
/* Register @fn (NULL to remove); it stays set across phys_mem_exit(). */
void page_alloc_set_free_check(page_free_check_fn fn);


#endif /* TDXSIM_BASE_PAGE_ALLOC_H */
