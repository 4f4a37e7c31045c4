/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the host's physical memory shares between its files in
 * src/base, and nothing else may use: phys_mem.c (the PFN space: its
 * mappings, addresses, registered metadata and statistics) and
 * page_alloc.c (the allocator of 4K pages and 2M blocks in it, with
 * page_alloc_carve.c: which block a thread's 4K pages come from). The PFN
 * space's layout is set at init and read without a lock by the address
 * helpers; everything the allocator changes is under pa_lock, a plain
 * pthread mutex (the allocator is "hardware": neither a schedule point nor
 * a lockdep class). Every symbol is hidden.
 */
#ifndef TDXSIM_BASE_PAGE_ALLOC_INTERNAL_H
#define TDXSIM_BASE_PAGE_ALLOC_INTERNAL_H

#include <pthread.h>

#include "base/page_alloc.h"

#define __pa_hidden	__attribute__((visibility("hidden")))

#define PAGES_PER_BLOCK		(1U << PMD_ORDER)

/* Default PFN space: a 64 GiB TD plus 8 GiB for everything around it. */
#ifndef PHYS_MEM_DEFAULT_BYTES
#define PHYS_MEM_DEFAULT_BYTES	(72ULL * SZ_1G)
#endif

/* Block index 0 is reserved, so it doubles as "no block" in list links. */
#define BLOCK_NONE		0U

enum block_state {
	BLOCK_UNUSED = 0,
	BLOCK_FREE,
	BLOCK_HUGE,
	BLOCK_SPLIT,
	BLOCK_ZAPPING,		/* wholly free, batched to go back to the OS */
	BLOCK_RETURNING,	/* taken from the batch, being given back */
};

struct pa_block {
	u32 prev;		/* partial list */
	u32 next;		/* partial list, or 2M free list */
	u16 nr_free;		/* split: free 4K pages */
	u16 cursor;		/* split: pages from here on never used */
	u16 free_head;		/* split: first free page below cursor */
	u8 state;		/* enum block_state */
	u8 written;		/* BLOCK_WRITTEN | BLOCK_POPULATED (atomic) */
};

/* Some page of the block was written since the block was given back. */
#define BLOCK_WRITTEN		1U
/* Its bytes were populated in one go (phys_mem_populate_block()). */
#define BLOCK_POPULATED		2U

_Static_assert(sizeof(struct pa_block) == 16, "pa_block");

struct phys_mem {
	/* Set at init, read without the lock by the address helpers. */
	u8 *mem_base;
	struct page *pages;
	struct pa_block *blocks;
	u64 nr_pages;
	u32 nr_blocks;

	/* The mappings as returned by mmap(), for munmap(). */
	void *map_raw;
	size_t map_raw_len;
	/* The bytes' memfd (TDXSIM_PHYS_MEMFD=1), else -1: anonymous. */
	int memfd;
	size_t pages_len, blocks_len;

	/* Everything below is protected by pa_lock. */
	u32 bump;		/* first never-used block */
	u32 free_2m;		/* 2M free list head */
	u32 partial_head;	/* split blocks with free pages */
	u32 partial_tail;
	u32 zap_head;		/* the batch: zapping blocks, linked by next */
	u32 zap_count;		/* blocks in the batch */
	u32 zap_runs;		/* runs of adjacent blocks in the batch */
	u32 zap_inflight;	/* zapping blocks being given back right now */
	u32 blocks_live;	/* blocks huge or split (block 0 included) */

	u64 pages_in_use;
	u64 peak_pages_in_use;
	u64 blocks_2m_in_use;
	u64 allocs;
	u64 frees;
	u64 blocks_returned;
	u64 madvise_calls;
	u64 pages_zeroed;
};

extern pthread_mutex_t pa_lock __pa_hidden;
extern struct phys_mem pa_mem __pa_hidden;
extern bool pa_ready __pa_hidden;
extern struct phys_mem_meta pa_meta_reg __pa_hidden;

/*
 * page_alloc_carve.c (pa_lock held): the split block the calling thread
 * takes its next 4K page from (BLOCK_NONE: a fresh block), and the block
 * it took it from.
 */
u32 pa_carve_pick(void) __pa_hidden;
void pa_carve_set(u32 b) __pa_hidden;
/*
 * page_alloc_carve.c: the calling thread's cache of 4K pages (the kernel's
 * per-CPU page lists), NULL when it has none (a lone allocating thread,
 * deterministic runs) and none could be taken; pa_pcp_flush() frees what
 * the calling thread's cache holds (at its exit and in phys_mem_drain()).
 */
struct page *pa_pcp_alloc(void) __pa_hidden;
/* The same for 2M blocks (the kernel's per-CPU lists hold THPs too). */
struct page *pa_pcp_alloc_block(void) __pa_hidden;
void pa_pcp_flush(void) __pa_hidden;
/*
 * page_alloc.c: take up to @n 4K pages in one round of pa_lock, accounted
 * as allocated and made ready as alloc_page() hands them out; returns how
 * many. pa_prep_page(): that readying of one page (pa_lock not held).
 */
int pa_take_pages(u64 *pfns, int n) __pa_hidden;
/*
 * The cache's statistics: @handed pages it handed out count as
 * allocations, @flushed pages it gave back (__free_pages()) are no frees.
 */
void pa_pcp_account(u64 handed, u64 flushed) __pa_hidden;
struct page *pa_prep_page(u64 pfn, bool zero) __pa_hidden;
/*
 * page_alloc.c, pa_lock held: a whole free block (BLOCK_NONE: none left),
 * as is or made an order-9 one (pa_take_huge()); count an allocation of
 * @nr pages. pa_prep_block(): ready a block pa_take_huge() took as an
 * order-9 page (pa_lock not held).
 */
u32 pa_take_block(void) __pa_hidden;
u32 pa_take_huge(void) __pa_hidden;
void pa_account_alloc(u64 nr) __pa_hidden;
struct page *pa_prep_block(u32 b) __pa_hidden;

static inline bool ready(void)
{
	return __atomic_load_n(&pa_ready, __ATOMIC_ACQUIRE);
}

static inline u32 pfn_block(u64 pfn)
{
	return pfn >> PMD_ORDER;
}

static inline u64 block_pfn(u32 b)
{
	return (u64)b << PMD_ORDER;
}

/* Sanitizer builds check the write tracking: a clean page reads as zero. */
#if defined(__SANITIZE_ADDRESS__)
#define PA_CHECK_CLEAN	1
#else
#define PA_CHECK_CLEAN	0
#endif

#define LINK_NIL		0xffffU	/* end of a block's free list */

/* page_alloc.c: is @page a struct page of the PFN space? */
bool page_in_space(const struct page *page) __pa_hidden;

/* phys_mem.c: map a PFN space of @bytes (already rounded); pa_lock held. */
int __phys_mem_init(u64 bytes) __pa_hidden;

#endif /* TDXSIM_BASE_PAGE_ALLOC_INTERNAL_H */
