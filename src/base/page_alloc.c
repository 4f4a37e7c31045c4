// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host physical memory: the PFN space and its page allocator.
 *
 * Layout. The bytes of PFN n live at mem_base + n * 4K inside one
 * MAP_NORESERVE anonymous mapping aligned to 2M, so a 2M block is also 2M
 * aligned in the host's virtual memory. Metadata lives in two more
 * NORESERVE mappings that are only touched for blocks the allocator has
 * reached: the struct page array (16 bytes per PFN) and a descriptor per 2M
 * block. Block 0 (PFN 0-511) is reserved so that PFN 0 is never handed out.
 *
 * Allocation. Every 2M block is in one of five states:
 *  - unused:  never handed out (above the bump index);
 *  - free:    on the 2M free list (a stack linked through the descriptors);
 *  - huge:    allocated as one order-9 block;
 *  - split:   carved into 4K pages. A split block keeps its own list of
 *             free 4K pages (linked through their struct page's
 *             buddy_next) plus a cursor below which its pages have been handed
 *             out at least once. Split blocks with at least one free page
 *             are on the "partial" list (doubly linked through the
 *             descriptors);
 *  - zapping: wholly free, waiting to be given back to the OS.
 * Order-0 allocation takes a page from the first partial block, carving a
 * fresh block only when no block has a free page. When a split block's 512
 * pages are all free again, the block leaves the partial list as a whole:
 * no per-page list surgery is needed, so every operation is O(1).
 *
 * Giving memory back. A freed 4K page is not zeroed when it is freed: if
 * it was written (PG_written) it is zeroed when it is handed out again. A
 * block that is wholly free (a freed 2M block, or a split block's last
 * page) is given back to the OS: its bytes (if any page of it was written)
 * and its struct pages and registered per-PFN metadata, with one
 * madvise(MADV_DONTNEED) per run of adjacent blocks, not one per page:
 * each call costs a TLB shootdown in every CPU that runs a thread of the
 * process. Blocks wait in one batch of adjacent blocks (the "zap range")
 * until it is full, a block that is not adjacent is freed, or
 * phys_mem_drain()/phys_mem_get_stats() runs. An allocation that needs a
 * block takes one back from the batch first, still resident: its written
 * pages are zeroed when handed out.
 *
 * The allocator is "hardware": it is protected by a plain pthread mutex, not
 * by a base lock, so it is neither a schedule point nor a lockdep class.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/log.h"
#include "base/page_alloc.h"

#define PAGES_PER_BLOCK		(1U << PMD_ORDER)

/* Default PFN space: a 64 GiB TD plus 8 GiB for everything around it. */
#ifndef PHYS_MEM_DEFAULT_BYTES
#define PHYS_MEM_DEFAULT_BYTES	(72ULL * SZ_1G)
#endif
/* Block 0 is reserved: at least one more block must be allocatable. */
#define PHYS_MEM_MIN_BYTES	(2ULL * SZ_2M)
/* PFNs and block indexes are kept in 32 bits. */
#define PHYS_MEM_MAX_PAGES	(1ULL << 32)

/* Wholly free blocks batched before they go back to the OS (64 MiB). */
#define ZAP_BATCH_BLOCKS	32U

/* Values of a free page's link besides "next free page in this block". */
#define LINK_NIL		0xffffU	/* end of a block's free list */

/* Block index 0 is reserved, so it doubles as "no block" in list links. */
#define BLOCK_NONE		0U

enum block_state {
	BLOCK_UNUSED = 0,
	BLOCK_FREE,
	BLOCK_HUGE,
	BLOCK_SPLIT,
	BLOCK_ZAPPING,
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
	size_t pages_len, blocks_len;

	/* Everything below is protected by pa_lock. */
	u32 bump;		/* first never-used block */
	u32 free_2m;		/* 2M free list head */
	u32 partial_head;	/* split blocks with free pages */
	u32 partial_tail;
	u32 zap_lo, zap_hi;	/* the batch of zapping blocks [lo, hi) */
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

static pthread_mutex_t pa_lock = PTHREAD_MUTEX_INITIALIZER;
static struct phys_mem pm;
static bool pm_ready;
static page_free_check_fn free_check_fn;
static struct phys_mem_meta meta_reg;

static inline bool ready(void)
{
	return __atomic_load_n(&pm_ready, __ATOMIC_ACQUIRE);
}

static inline u32 pfn_block(u64 pfn)
{
	return pfn >> PMD_ORDER;
}

static inline u64 block_pfn(u32 b)
{
	return (u64)b << PMD_ORDER;
}

/* ---- mappings ---- */

static void *map_noreserve(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	/*
	 * Keep RSS exactly "what was touched": with THP set to "always" a
	 * single touched 4K page would otherwise cost 2M.
	 */
	madvise(p, len, MADV_NOHUGEPAGE);
	return p;
}

static void unmap_all(void)
{
	if (pm.map_raw)
		munmap(pm.map_raw, pm.map_raw_len);
	if (pm.pages)
		munmap(pm.pages, pm.pages_len);
	if (pm.blocks)
		munmap(pm.blocks, pm.blocks_len);
	memset(&pm, 0, sizeof(pm));
}

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>

/*
 * struct page::private holds heap pointers (a page table's kvm_mmu_page),
 * and LeakSanitizer does not scan mmap()ed memory: at exit, register the
 * part of the struct page array that was ever handed out as a root region.
 * atexit handlers run last-registered first, so this runs before LSan's
 * own exit-time check, which was registered when the process started.
 */
static void pa_lsan_register_pages(void)
{
	if (__atomic_load_n(&pm_ready, __ATOMIC_ACQUIRE) && pm.pages)
		__lsan_register_root_region(pm.pages,
					    (size_t)pm.bump * PAGES_PER_BLOCK *
						    sizeof(struct page));
}

static void pa_lsan_init(void)
{
	static bool registered;

	if (!registered) {
		registered = true;
		atexit(pa_lsan_register_pages);
	}
}

/* Sanitizer builds check the write tracking: a clean page reads as zero. */
#define PA_CHECK_CLEAN	1
#else
static void pa_lsan_init(void)
{
}
#define PA_CHECK_CLEAN	0
#endif

/* Map a PFN space of @bytes (already rounded). Called with pa_lock held. */
static int __phys_mem_init(u64 bytes)
{
	u64 nr_pages = bytes >> PAGE_SHIFT;
	size_t raw_len = bytes + SZ_2M;
	u8 *raw, *base;
	u64 pfn;

	memset(&pm, 0, sizeof(pm));
	raw = mmap(NULL, raw_len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED)
		return -ENOMEM;
	pm.map_raw = raw;
	pm.map_raw_len = raw_len;
	base = (u8 *)ALIGN((uintptr_t)raw, SZ_2M);
	madvise(base, bytes, MADV_NOHUGEPAGE);

	pm.mem_base = base;
	pm.nr_pages = nr_pages;
	pm.nr_blocks = nr_pages >> PMD_ORDER;
	pm.pages_len = nr_pages * sizeof(struct page);
	pm.blocks_len = (size_t)pm.nr_blocks * sizeof(struct pa_block);
	pm.pages = map_noreserve(pm.pages_len);
	pm.blocks = map_noreserve(pm.blocks_len);
	if (!pm.pages || !pm.blocks) {
		unmap_all();
		return -ENOMEM;
	}

	/* Block 0 is never handed out. */
	for (pfn = 0; pfn < PAGES_PER_BLOCK; pfn++)
		pm.pages[pfn].flags = BIT(PG_reserved);
	pm.blocks[0].state = BLOCK_HUGE;
	pm.blocks_live = 1;
	pm.bump = 1;
	pm.free_2m = BLOCK_NONE;
	pm.partial_head = pm.partial_tail = BLOCK_NONE;
	__atomic_store_n(&pm_ready, true, __ATOMIC_RELEASE);
	pa_lsan_init();
	return 0;
}

int phys_mem_init(u64 bytes)
{
	int ret;

	if (!bytes)
		bytes = PHYS_MEM_DEFAULT_BYTES;
	if (bytes > (PHYS_MEM_MAX_PAGES << PAGE_SHIFT))
		return -ENOMEM;
	bytes = ALIGN(bytes, (u64)SZ_2M);
	if (bytes < PHYS_MEM_MIN_BYTES)
		bytes = PHYS_MEM_MIN_BYTES;

	pthread_mutex_lock(&pa_lock);
	if (ready()) {
		if (pm.pages_in_use) {
			pthread_mutex_unlock(&pa_lock);
			return -EBUSY;
		}
		__atomic_store_n(&pm_ready, false, __ATOMIC_RELEASE);
		unmap_all();
	}
	ret = __phys_mem_init(bytes);
	pthread_mutex_unlock(&pa_lock);
	return ret;
}

int phys_mem_exit(void)
{
	u64 in_use;

	pthread_mutex_lock(&pa_lock);
	if (!ready()) {
		pthread_mutex_unlock(&pa_lock);
		return 0;
	}
	in_use = pm.pages_in_use;
	if (in_use) {
		pthread_mutex_unlock(&pa_lock);
		pr_warn("phys_mem: %llu pages still in use at exit\n",
			(unsigned long long)in_use);
		return -EBUSY;
	}
	__atomic_store_n(&pm_ready, false, __ATOMIC_RELEASE);
	unmap_all();
	pthread_mutex_unlock(&pa_lock);
	return 0;
}

bool phys_mem_ready(void)
{
	return ready();
}

/* ---- free lists (pa_lock held) ---- */

static void partial_add(u32 b)
{
	struct pa_block *blk = &pm.blocks[b];

	blk->next = BLOCK_NONE;
	blk->prev = pm.partial_tail;
	if (pm.partial_tail)
		pm.blocks[pm.partial_tail].next = b;
	else
		pm.partial_head = b;
	pm.partial_tail = b;
}

static void partial_del(u32 b)
{
	struct pa_block *blk = &pm.blocks[b];

	if (blk->prev)
		pm.blocks[blk->prev].next = blk->next;
	else
		pm.partial_head = blk->next;
	if (blk->next)
		pm.blocks[blk->next].prev = blk->prev;
	else
		pm.partial_tail = blk->prev;
	blk->prev = blk->next = BLOCK_NONE;
}

static void free_2m_push(u32 b)
{
	pm.blocks[b].state = BLOCK_FREE;
	pm.blocks[b].next = pm.free_2m;
	pm.free_2m = b;
}

/* ---- giving wholly free blocks back to the OS ---- */

struct zap_range {
	u32 lo, hi;
};

static void pa_madvise(void *addr, size_t len)
{
	madvise(addr, len, MADV_DONTNEED);
	__atomic_add_fetch(&pm.madvise_calls, 1, __ATOMIC_RELAXED);
}

/*
 * Take the batch of zapping blocks for the caller to give back (pa_lock
 * held); it must call zap_blocks() after unlocking.
 */
static struct zap_range zap_take(void)
{
	struct zap_range r = { pm.zap_lo, pm.zap_hi };

	pm.zap_inflight += r.hi - r.lo;
	pm.zap_lo = pm.zap_hi = 0;
	return r;
}

/*
 * Block @b is wholly free (pa_lock held): batch it. Returns a batch the
 * caller must give back with zap_blocks() once it drops the lock (empty if
 * none).
 */
static struct zap_range block_release(u32 b)
{
	struct zap_range out = { 0, 0 };

	pm.blocks[b].state = BLOCK_ZAPPING;
	pm.blocks[b].next = pm.blocks[b].prev = BLOCK_NONE;
	pm.blocks_live--;
	if (pm.zap_lo == pm.zap_hi) {
		pm.zap_lo = b;
		pm.zap_hi = b + 1;
	} else if (b == pm.zap_hi) {
		pm.zap_hi++;
	} else if (b + 1 == pm.zap_lo) {
		pm.zap_lo--;
	} else {
		out = zap_take();
		pm.zap_lo = b;
		pm.zap_hi = b + 1;
	}
	if (out.lo == out.hi && pm.zap_hi - pm.zap_lo >= ZAP_BATCH_BLOCKS)
		out = zap_take();
	return out;
}

/*
 * Give the blocks of @r back to the OS (no lock held; they are ours), then
 * put them on the 2M free list: bytes where a page was written, struct
 * pages and the registered metadata always, one call per run.
 */
static void zap_blocks(struct zap_range r)
{
	struct phys_mem_meta meta;
	u32 b, run;

	if (r.lo == r.hi)
		return;
	for (b = r.lo; b < r.hi; b = run) {
		for (run = b; run < r.hi && pm.blocks[run].written; run++)
			;
		if (run > b)
			pa_madvise(pm.mem_base + block_pfn(b) * PAGE_SIZE,
				   (size_t)(run - b) * SZ_2M);
		while (run < r.hi && !pm.blocks[run].written)
			run++;
	}
	pa_madvise(&pm.pages[block_pfn(r.lo)],
		   (size_t)(r.hi - r.lo) * PAGES_PER_BLOCK *
			   sizeof(struct page));
	pthread_mutex_lock(&pa_lock);
	meta = meta_reg;
	pthread_mutex_unlock(&pa_lock);
	if (meta.drop)
		meta.drop(block_pfn(r.lo),
			  (u64)(r.hi - r.lo) * PAGES_PER_BLOCK);

	pthread_mutex_lock(&pa_lock);
	for (b = r.hi; b-- > r.lo;) {
		__atomic_store_n(&pm.blocks[b].written, 0, __ATOMIC_RELAXED);
		free_2m_push(b);
	}
	pm.zap_inflight -= r.hi - r.lo;
	pm.blocks_returned += r.hi - r.lo;
	pthread_mutex_unlock(&pa_lock);
}

void phys_mem_drain(void)
{
	struct zap_range r = { 0, 0 };

	pthread_mutex_lock(&pa_lock);
	if (ready())
		r = zap_take();
	pthread_mutex_unlock(&pa_lock);
	zap_blocks(r);
}

/*
 * A whole free block: one of the zapping batch, else from the 2M free
 * list, else a never-used one. Called with pa_lock held; may drop and
 * retake it to wait for blocks another thread gives back.
 *
 * A block of the zapping batch is taken back as it is, still resident:
 * its written pages (PG_written says which) are zeroed when handed out,
 * which costs less than giving the block to the OS and faulting it back
 * in page by page. A VM torn down and created again (an exploration's
 * schedules) reuses its memory without a system call.
 */
static u32 take_block(void)
{
	u32 b;

	for (;;) {
		if (pm.zap_lo != pm.zap_hi) {
			/* From the top: the rest of the batch stays one run. */
			b = --pm.zap_hi;
			if (pm.zap_lo == pm.zap_hi)
				pm.zap_lo = pm.zap_hi = 0;
			pm.blocks[b].state = BLOCK_UNUSED;
			break;
		}
		b = pm.free_2m;
		if (b) {
			pm.free_2m = pm.blocks[b].next;
			pm.blocks[b].next = BLOCK_NONE;
			break;
		}
		if (pm.bump < pm.nr_blocks) {
			b = pm.bump++;
			break;
		}
		if (pm.zap_inflight) {
			/* Another thread is giving blocks back: wait for it. */
			pthread_mutex_unlock(&pa_lock);
			sched_yield();
			pthread_mutex_lock(&pa_lock);
			continue;
		}
		return BLOCK_NONE;
	}
	pm.blocks_live++;
	return b;
}

/* Count a successful allocation of @nr pages (failed calls are not counted). */
static void account_alloc(u64 nr)
{
	pm.allocs++;
	pm.pages_in_use += nr;
	if (pm.pages_in_use > pm.peak_pages_in_use)
		pm.peak_pages_in_use = pm.pages_in_use;
}

/* Take one 4K page; returns its PFN or 0. */
static u64 take_page(void)
{
	struct pa_block *blk;
	u32 b = pm.partial_head;
	u16 idx;

	if (!b) {
		b = take_block();
		if (!b)
			return 0;
		blk = &pm.blocks[b];
		blk->state = BLOCK_SPLIT;
		blk->nr_free = PAGES_PER_BLOCK;
		blk->cursor = 0;
		blk->free_head = LINK_NIL;
		partial_add(b);
	}
	blk = &pm.blocks[b];
	if (blk->free_head != LINK_NIL) {
		idx = blk->free_head;
		blk->free_head = pm.pages[block_pfn(b) + idx].buddy_next;
	} else {
		idx = blk->cursor++;
	}
	if (--blk->nr_free == 0)
		partial_del(b);
	return block_pfn(b) + idx;
}

/*
 * Give back one 4K page of a split block; false if it was not allocated.
 * A block whose pages are all free again is released (see block_release()).
 */
static bool return_page(u64 pfn, bool written, struct zap_range *zap)
{
	u32 b = pfn_block(pfn);
	struct pa_block *blk = &pm.blocks[b];
	u16 idx = pfn & (PAGES_PER_BLOCK - 1);

	if (blk->state != BLOCK_SPLIT || idx >= blk->cursor)
		return false;
	pm.pages[pfn].buddy_next = blk->free_head;
	page_flag_set(&pm.pages[pfn], PG_buddy);
	blk->free_head = idx;
	if (written)
		__atomic_fetch_or(&blk->written, BLOCK_WRITTEN,
				  __ATOMIC_RELAXED);
	if (++blk->nr_free == 1)
		partial_add(b);
	if (blk->nr_free == PAGES_PER_BLOCK) {
		/* Every page is free again: the 2M block goes back whole. */
		partial_del(b);
		*zap = block_release(b);
	}
	return true;
}

/* ---- allocation ---- */

static void check_clean(const struct page *page)
{
	if (PA_CHECK_CLEAN) {
		const u64 *w = page_address(page);
		unsigned int i;

		for (i = 0; i < PAGE_SIZE / 8; i++)
			if (w[i]) {
				WARN(1, "phys_mem: pfn %#llx is not marked written but holds data\n",
				     (unsigned long long)page_to_pfn(page));
				return;
			}
	}
}

static struct page *alloc_block(void)
{
	struct page *head;
	u64 zeroed = 0;
	u8 written = 0;
	u32 b, i;

	pthread_mutex_lock(&pa_lock);
	b = take_block();
	if (b) {
		pm.blocks[b].state = BLOCK_HUGE;
		/* Still populated if it was; its written pages are zeroed below. */
		written = __atomic_exchange_n(&pm.blocks[b].written,
					      pm.blocks[b].written &
						      BLOCK_POPULATED,
					      __ATOMIC_RELAXED);
		pm.blocks_2m_in_use++;
		account_alloc(PAGES_PER_BLOCK);
	}
	pthread_mutex_unlock(&pa_lock);
	if (!b)
		return NULL;

	/*
	 * The block is ours: its struct pages need no lock. One taken back
	 * from the zapping batch (take_block()) may hold data: zero the
	 * pages PG_written marks, as a 4K allocation does.
	 */
	head = &pm.pages[block_pfn(b)];
	if (written & BLOCK_WRITTEN) {
		for (i = 0; i < PAGES_PER_BLOCK; i++) {
			if (!(READ_ONCE(head[i].flags) & BIT(PG_written))) {
				check_clean(&head[i]);
				continue;
			}
			memset(pm.mem_base + (block_pfn(b) + i) * PAGE_SIZE, 0,
			       PAGE_SIZE);
			zeroed++;
		}
		__atomic_add_fetch(&pm.pages_zeroed, zeroed, __ATOMIC_RELAXED);
	}
	for (i = 1; i < PAGES_PER_BLOCK; i++) {
		WRITE_ONCE(head[i].order, PMD_ORDER);
		WRITE_ONCE(head[i].flags, BIT(PG_tail) | BIT(PG_written));
	}
	WRITE_ONCE(head->order, PMD_ORDER);
	WRITE_ONCE(head->flags, BIT(PG_head) | BIT(PG_written));
	atomic_set(&head->_refcount, 1);
	return head;
}

struct page *alloc_pages(unsigned int order)
{
	struct page *page;
	u64 pfn;

	if (WARN(order != 0 && order != PMD_ORDER,
		 "alloc_pages: unsupported order %u\n", order))
		return NULL;
	if (unlikely(!ready())) {
		pthread_mutex_lock(&pa_lock);
		if (!ready() && __phys_mem_init(PHYS_MEM_DEFAULT_BYTES)) {
			pthread_mutex_unlock(&pa_lock);
			pr_err("phys_mem: cannot map the default PFN space\n");
			return NULL;
		}
		pthread_mutex_unlock(&pa_lock);
	}
	if (order)
		return alloc_block();

	pthread_mutex_lock(&pa_lock);
	pfn = take_page();
	if (pfn)
		account_alloc(1);
	pthread_mutex_unlock(&pa_lock);
	if (!pfn)
		return NULL;
	page = &pm.pages[pfn];
	/* A page written before it was freed is zeroed now, while it is ours. */
	if (page_written(page)) {
		memset(pm.mem_base + (pfn << PAGE_SHIFT), 0, PAGE_SIZE);
		__atomic_add_fetch(&pm.pages_zeroed, 1, __ATOMIC_RELAXED);
	} else {
		check_clean(page);
	}
	WRITE_ONCE(page->buddy_next, 0);
	WRITE_ONCE(page->flags, BIT(PG_written));
	atomic_set(&page->_refcount, 1);
	return page;
}

/* ---- freeing ---- */

static bool page_in_space(const struct page *page)
{
	return ready() && page >= pm.pages && page < pm.pages + pm.nr_pages;
}

/* Free the block at @page, which the caller says was allocated at @order. */
static void free_block(struct page *page, unsigned int order)
{
	struct zap_range zap = { 0, 0 };
	page_free_check_fn check;
	bool ok, written = false;
	u64 pfn, nr, i;

	if (WARN(!page_in_space(page),
		 "free of a page outside the PFN space\n"))
		return;
	pfn = page - pm.pages;
	/* A free page's order field holds its free-list link. */
	if (WARN(PageBuddy(page),
		 "free of pfn %#llx at order %u: block not allocated\n",
		 (unsigned long long)pfn, order))
		return;
	if (order == PMD_ORDER) {
		if (WARN(!(page->flags & BIT(PG_head)) ||
			 page->order != PMD_ORDER,
			 "free of pfn %#llx at order 9: not an order-9 head\n",
			 (unsigned long long)pfn))
			return;
	} else if (WARN(order != 0 || page->order != 0 ||
			(page->flags & (BIT(PG_head) | BIT(PG_tail) |
					BIT(PG_reserved))),
			"free of pfn %#llx at order %u, allocated at %u\n",
			(unsigned long long)pfn, order, page->order)) {
		return;
	}

	check = __atomic_load_n(&free_check_fn, __ATOMIC_ACQUIRE);
	if (check)
		check(pfn, order);

	/*
	 * Reset the metadata while the block is still ours; keep only
	 * PG_written, which says whether the bytes must be zeroed before
	 * reuse (or given back to the OS with the block).
	 */
	nr = 1ULL << order;
	for (i = 0; i < nr; i++) {
		struct page *p = page + i;
		u16 w = READ_ONCE(p->flags) & BIT(PG_written);

		if (w)
			written = true;
		else if (order == 0)
			check_clean(p);
		atomic_set(&p->_refcount, 0);
		WRITE_ONCE(p->order, 0);
		WRITE_ONCE(p->flags, w);
		p->private = 0;
	}

	pthread_mutex_lock(&pa_lock);
	if (order) {
		u32 b = pfn_block(pfn);

		ok = pm.blocks[b].state == BLOCK_HUGE;
		if (ok) {
			pm.blocks_2m_in_use--;
			if (written)
				__atomic_fetch_or(&pm.blocks[b].written,
						  BLOCK_WRITTEN,
						  __ATOMIC_RELAXED);
			zap = block_release(b);
		}
	} else {
		ok = return_page(pfn, written, &zap);
	}
	if (ok) {
		pm.frees++;
		pm.pages_in_use -= nr;
	}
	pthread_mutex_unlock(&pa_lock);
	zap_blocks(zap);
	WARN(!ok, "free of pfn %#llx at order %u: block not allocated\n",
	     (unsigned long long)pfn, order);
}

void __free_pages(struct page *page, unsigned int order)
{
	free_block(page, order);
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
#endif

void phys_mem_populate_block(u64 pfn)
{
	struct pa_block *blk;
	u8 old;

	if (!pfn_valid(pfn))
		return;
	blk = &pm.blocks[pfn_block(pfn)];
	old = __atomic_load_n(&blk->written, __ATOMIC_RELAXED);
	if (old & BLOCK_POPULATED)
		return;
	old = __atomic_fetch_or(&blk->written,
				BLOCK_POPULATED | BLOCK_WRITTEN,
				__ATOMIC_RELAXED);
	if (old & BLOCK_POPULATED)
		return;
	/* Best effort: an older kernel without it faults page by page. */
	madvise(pm.mem_base + (pfn & ~(u64)(PAGES_PER_BLOCK - 1)) * PAGE_SIZE,
		SZ_2M, MADV_POPULATE_WRITE);
}

/* ---- reference counts ---- */

struct page *compound_head(struct page *page)
{
	u64 pfn;

	if (!(READ_ONCE(page->flags) & BIT(PG_tail)))
		return page;
	pfn = page - pm.pages;
	return &pm.pages[pfn & ~(u64)(PAGES_PER_BLOCK - 1)];
}

void get_page(struct page *page)
{
	struct page *head = compound_head(page);
	int old = __atomic_fetch_add(&head->_refcount.counter, 1,
				     __ATOMIC_SEQ_CST);

	WARN(old <= 0, "get_page on pfn %#llx with refcount %d\n",
	     (unsigned long long)page_to_pfn(head), old);
}

void put_page(struct page *page)
{
	struct page *head = compound_head(page);
	int c = atomic_read(&head->_refcount);

	do {
		if (WARN(c <= 0,
			 "put_page on pfn %#llx: refcount underflow (%d)\n",
			 (unsigned long long)page_to_pfn(head), c))
			return;
	} while (!__atomic_compare_exchange_n(&head->_refcount.counter, &c,
					      c - 1, false, __ATOMIC_SEQ_CST,
					      __ATOMIC_RELAXED));
	if (c == 1)
		free_block(head, head->order);
}

int page_ref_count(struct page *page)
{
	return atomic_read(&compound_head(page)->_refcount);
}

bool get_page_unless_zero(struct page *page)
{
	return atomic_inc_not_zero(&compound_head(page)->_refcount);
}

int split_page_block(struct page *head)
{
	u16 flags;
	u64 pfn;
	u32 b, i;
	int ref;
	bool ok;

	if (WARN(!page_in_space(head) || !(head->flags & BIT(PG_head)) ||
		 head->order != PMD_ORDER,
		 "split_page_block: not the head of an order-9 block\n"))
		return -EINVAL;
	ref = atomic_read(&head->_refcount);
	if (WARN(ref <= 0, "split_page_block: free block\n"))
		return -EINVAL;
	for (i = 1; i < PAGES_PER_BLOCK; i++)
		if (atomic_read(&head[i]._refcount))
			return -EBUSY;

	pfn = head - pm.pages;
	b = pfn_block(pfn);
	pthread_mutex_lock(&pa_lock);
	ok = pm.blocks[b].state == BLOCK_HUGE;
	if (ok) {
		pm.blocks[b].state = BLOCK_SPLIT;
		pm.blocks[b].nr_free = 0;
		pm.blocks[b].cursor = PAGES_PER_BLOCK;
		pm.blocks[b].free_head = LINK_NIL;
		pm.blocks_2m_in_use--;
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

/* ---- addresses ---- */

u64 page_to_pfn(const struct page *page)
{
	return page - pm.pages;
}

struct page *pfn_to_page(u64 pfn)
{
	if (!pfn_valid(pfn))
		return NULL;
	return &pm.pages[pfn];
}

void *page_address(const struct page *page)
{
	return pm.mem_base + (page_to_pfn(page) << PAGE_SHIFT);
}

void *pfn_to_virt(u64 pfn)
{
	if (!pfn_valid(pfn))
		return NULL;
	return pm.mem_base + (pfn << PAGE_SHIFT);
}

struct page *virt_to_page(const void *addr)
{
	const u8 *p = addr;

	if (!ready() || p < pm.mem_base ||
	    p >= pm.mem_base + (pm.nr_pages << PAGE_SHIFT))
		return NULL;
	return &pm.pages[(p - pm.mem_base) >> PAGE_SHIFT];
}

struct page *phys_to_page(hpa_t pa)
{
	return pfn_to_page(pa >> PAGE_SHIFT);
}

bool pfn_valid(u64 pfn)
{
	return ready() && pfn < pm.nr_pages;
}

/* ---- metadata registration ---- */

void phys_mem_register_meta(const struct phys_mem_meta *meta)
{
	pthread_mutex_lock(&pa_lock);
	meta_reg = *meta;
	pthread_mutex_unlock(&pa_lock);
}

void phys_mem_unregister_meta(void)
{
	pthread_mutex_lock(&pa_lock);
	memset(&meta_reg, 0, sizeof(meta_reg));
	pthread_mutex_unlock(&pa_lock);
}

/* ---- statistics ---- */

/* Resident bytes of [@addr, @addr + @len) (page-granular). */
static u64 resident_bytes(const void *addr, size_t len)
{
	long psz = sysconf(_SC_PAGESIZE);
	uintptr_t a = ALIGN_DOWN((uintptr_t)addr, (uintptr_t)psz);
	size_t n, i, chunk = 1UL << 16;
	unsigned char vec[1UL << 16];
	u64 bytes = 0;

	len += (uintptr_t)addr - a;
	n = (len + psz - 1) / psz;
	while (n) {
		size_t k = n < chunk ? n : chunk;

		if (mincore((void *)a, k * psz, vec))
			break;
		for (i = 0; i < k; i++)
			if (vec[i] & 1)
				bytes += psz;
		a += k * psz;
		n -= k;
	}
	return bytes;
}

void phys_mem_get_stats(struct phys_mem_stats *st)
{
	struct phys_mem_meta meta;
	size_t per_page;
	u32 bump;

	phys_mem_drain();
	memset(st, 0, sizeof(*st));
	st->page_meta_bytes = sizeof(struct page);
	pthread_mutex_lock(&pa_lock);
	meta = meta_reg;
	per_page = sizeof(struct page) + meta.entry_size;
	st->meta_bytes_per_page = per_page;
	if (!ready()) {
		pthread_mutex_unlock(&pa_lock);
		return;
	}
	st->total_pages = pm.nr_pages;
	st->pages_in_use = pm.pages_in_use;
	st->peak_pages_in_use = pm.peak_pages_in_use;
	st->blocks_2m_in_use = pm.blocks_2m_in_use;
	st->allocs = pm.allocs;
	st->frees = pm.frees;
	st->blocks_returned = pm.blocks_returned;
	/* Counted with atomics outside pa_lock. */
	st->madvise_calls = __atomic_load_n(&pm.madvise_calls, __ATOMIC_RELAXED);
	st->pages_zeroed = __atomic_load_n(&pm.pages_zeroed, __ATOMIC_RELAXED);
	/* Free blocks' metadata was given back; descriptors stay. */
	st->meta_bytes_touched = (u64)pm.blocks_live * PAGES_PER_BLOCK *
				 per_page +
				 (u64)pm.bump * sizeof(struct pa_block);
	bump = pm.bump;
	pthread_mutex_unlock(&pa_lock);

	st->meta_bytes_resident =
		resident_bytes(pm.pages, (size_t)bump * PAGES_PER_BLOCK *
						 sizeof(struct page)) +
		resident_bytes(pm.blocks, (size_t)bump *
						  sizeof(struct pa_block));
	if (meta.base && meta.entry_size)
		st->meta_bytes_resident +=
			resident_bytes(meta.base, (size_t)bump *
							  PAGES_PER_BLOCK *
							  meta.entry_size);
}

void page_alloc_set_free_check(page_free_check_fn fn)
{
	__atomic_store_n(&free_check_fn, fn, __ATOMIC_RELEASE);
}
