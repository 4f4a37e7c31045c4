// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host physical memory: the page allocator of the PFN space (phys_mem.c).
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
 * process. Blocks wait in a batch (a set, linked through the descriptors,
 * with its count of runs) until its runs are long enough, it is large, the
 * last allocated block is freed, or phys_mem_drain()/phys_mem_get_stats()
 * runs (zap_due(); a batch under 64 MiB left when the last block is
 * freed waits for phys_mem_drain()). An allocation that needs a block
 * takes one back from the batch first, still resident: its written pages
 * are zeroed when handed out. With the last block, the descriptors and
 * block 0's struct pages go back too.
 *
 * The allocator is "hardware": it is protected by a plain pthread mutex, not
 * by a base lock, so it is neither a schedule point nor a lockdep class.
 * When several threads allocate in free mode, each takes its 4K pages 16
 * at a time into a cache of its own (page_alloc_carve.c), as the kernel's
 * per-CPU page lists, so the mutex is not taken per page.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "base/log.h"
#include "base/page_alloc_internal.h"

/*
 * Wholly free blocks batched before they go back to the OS: at least
 * 64 MiB in runs of 32 MiB on average, or 2 GiB in any runs.
 */
#define ZAP_BATCH_BLOCKS	32U
#define ZAP_RUN_BLOCKS		16U
#define ZAP_MAX_BLOCKS		1024U

/* Values of a free page's link besides "next free page in this block". */

static page_free_check_fn free_check_fn;

/* ---- free lists (pa_lock held) ---- */

static void partial_add(u32 b)
{
	struct pa_block *blk = &pa_mem.blocks[b];

	blk->next = BLOCK_NONE;
	blk->prev = pa_mem.partial_tail;
	if (pa_mem.partial_tail)
		pa_mem.blocks[pa_mem.partial_tail].next = b;
	else
		pa_mem.partial_head = b;
	pa_mem.partial_tail = b;
}

static void partial_del(u32 b)
{
	struct pa_block *blk = &pa_mem.blocks[b];

	if (blk->prev)
		pa_mem.blocks[blk->prev].next = blk->next;
	else
		pa_mem.partial_head = blk->next;
	if (blk->next)
		pa_mem.blocks[blk->next].prev = blk->prev;
	else
		pa_mem.partial_tail = blk->prev;
	blk->prev = blk->next = BLOCK_NONE;
}

static void free_2m_push(u32 b)
{
	pa_mem.blocks[b].state = BLOCK_FREE;
	pa_mem.blocks[b].next = pa_mem.free_2m;
	pa_mem.free_2m = b;
}

/* ---- giving wholly free blocks back to the OS ---- */

/* A batch taken for giving back: blocks linked through their next. */
struct zap_range {
	u32 head, count;
};

static void pa_madvise(void *addr, size_t len)
{
	madvise(addr, len, MADV_DONTNEED);
	__atomic_add_fetch(&pa_mem.madvise_calls, 1, __ATOMIC_RELAXED);
}

/* The bytes of blocks (a memfd's go back with MADV_REMOVE). */
static void pa_discard(void *addr, size_t len)
{
	phys_mem_discard(addr, len);
	__atomic_add_fetch(&pa_mem.madvise_calls, 1, __ATOMIC_RELAXED);
}

static bool zapping(u32 b)
{
	return b && b < pa_mem.nr_blocks &&
	       pa_mem.blocks[b].state == BLOCK_ZAPPING;
}

/*
 * The batch's runs of adjacent blocks when @b joins (@d = 1) or leaves
 * (@d = -1) it: a block with no zapping neighbour is a run of its own, one
 * between two joins them.
 */
static void zap_runs_update(u32 b, int d)
{
	int n = 1 - zapping(b - 1) - zapping(b + 1);

	pa_mem.zap_runs += d * n;
}

/*
 * Take the batch of zapping blocks for the caller to give back (pa_lock
 * held); it must call zap_blocks() after unlocking.
 */
static struct zap_range zap_take(void)
{
	struct zap_range r = { pa_mem.zap_head, pa_mem.zap_count };
	u32 b;

	for (b = r.head; b; b = pa_mem.blocks[b].next)
		pa_mem.blocks[b].state = BLOCK_RETURNING;
	pa_mem.zap_inflight += r.count;
	pa_mem.zap_head = pa_mem.zap_count = pa_mem.zap_runs = 0;
	return r;
}

/*
 * Whether the batch goes back now: once it holds ZAP_BATCH_BLOCKS in long
 * enough runs (each madvise() costs a TLB shootdown, so blocks wait for
 * their neighbours: two vCPUs' pages interleave in the blocks, and a torn
 * down TD frees them in GFN order), at ZAP_MAX_BLOCKS whatever the runs,
 * and when nothing is allocated any more and the batch holds
 * ZAP_BATCH_BLOCKS. A smaller batch left when the last block is freed
 * stays resident, with the metadata, for the next allocations (a process
 * that builds and tears down small TDs one after the other, as `measure`
 * repetitions and explorations do, would otherwise fault in its memory
 * and metadata afresh each time: 12-74 us a page on a PVM host) until
 * phys_mem_drain() or phys_mem_get_stats() gives it back.
 */
static bool zap_due(void)
{
	u32 n = pa_mem.zap_count;

	if (!n)
		return false;
	if (pa_mem.blocks_live == 1)
		return n >= ZAP_BATCH_BLOCKS;
	return n >= ZAP_MAX_BLOCKS ||
	       (n >= ZAP_BATCH_BLOCKS && n >= ZAP_RUN_BLOCKS * pa_mem.zap_runs);
}

/*
 * Block @b is wholly free (pa_lock held): batch it. Returns a batch the
 * caller must give back with zap_blocks() once it drops the lock (empty if
 * none).
 */
static struct zap_range block_release(u32 b)
{
	struct zap_range out = { 0, 0 };

	pa_mem.blocks[b].state = BLOCK_ZAPPING;
	pa_mem.blocks[b].prev = BLOCK_NONE;
	pa_mem.blocks[b].next = pa_mem.zap_head;
	pa_mem.zap_head = b;
	pa_mem.zap_count++;
	zap_runs_update(b, 1);
	pa_mem.blocks_live--;
	if (zap_due())
		out = zap_take();
	return out;
}

/* A block of the batch, taken back still resident (pa_lock held). */
static u32 zap_pop(void)
{
	u32 b = pa_mem.zap_head;

	pa_mem.zap_head = pa_mem.blocks[b].next;
	pa_mem.zap_count--;
	pa_mem.blocks[b].state = BLOCK_UNUSED;
	zap_runs_update(b, -1);
	return b;
}

static int cmp_u32(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;

	return x < y ? -1 : x > y;
}

/*
 * Give back the blocks [@lo, @hi), one run: their bytes where a page was
 * written, their struct pages and the registered metadata, one call each.
 */
static void zap_run(u32 lo, u32 hi, const struct phys_mem_meta *meta)
{
	u32 b, run;

	for (b = lo; b < hi; b = run) {
		for (run = b; run < hi && pa_mem.blocks[run].written; run++)
			;
		if (run > b)
			pa_discard(pa_mem.mem_base + block_pfn(b) * PAGE_SIZE,
				   (size_t)(run - b) * SZ_2M);
		while (run < hi && !pa_mem.blocks[run].written)
			run++;
	}
	pa_madvise(&pa_mem.pages[block_pfn(lo)],
		   (size_t)(hi - lo) * PAGES_PER_BLOCK * sizeof(struct page));
	if (meta->drop)
		meta->drop(block_pfn(lo), (u64)(hi - lo) * PAGES_PER_BLOCK);
}

/*
 * Once every block but the reserved block 0 is free and given back, the
 * descriptors and block 0's struct pages go back too (pa_lock held): the
 * allocator starts again from block 1, as after init, with no metadata
 * resident. Block 0 stays reserved by the bump index starting above it.
 */
static bool reset_if_empty(void)
{
	if (pa_mem.blocks_live != 1 || pa_mem.zap_count || pa_mem.zap_inflight)
		return false;
	madvise(pa_mem.blocks, (size_t)pa_mem.bump * sizeof(struct pa_block),
		MADV_DONTNEED);
	madvise(pa_mem.pages, PAGES_PER_BLOCK * sizeof(struct page),
		MADV_DONTNEED);
	__atomic_add_fetch(&pa_mem.madvise_calls, 2, __ATOMIC_RELAXED);
	pa_mem.bump = 1;
	pa_mem.free_2m = BLOCK_NONE;
	pa_mem.partial_head = pa_mem.partial_tail = BLOCK_NONE;
	return true;
}

/*
 * Give the blocks of @r back to the OS (no lock held; they are ours), one
 * run of adjacent blocks at a time, then put them on the 2M free list.
 */
static void zap_blocks(struct zap_range r)
{
	struct phys_mem_meta meta;
	u32 *ids, b, i, j;

	if (!r.count)
		return;
	pthread_mutex_lock(&pa_lock);
	meta = pa_meta_reg;
	pthread_mutex_unlock(&pa_lock);
	ids = malloc((size_t)r.count * sizeof(*ids));
	if (ids) {
		for (i = 0, b = r.head; b; b = pa_mem.blocks[b].next)
			ids[i++] = b;
		qsort(ids, r.count, sizeof(*ids), cmp_u32);
		for (i = 0; i < r.count; i = j) {
			for (j = i + 1; j < r.count && ids[j] == ids[j - 1] + 1;
			     j++)
				;
			zap_run(ids[i], ids[j - 1] + 1, &meta);
		}
		free(ids);
	} else {
		for (b = r.head; b; b = pa_mem.blocks[b].next)
			zap_run(b, b + 1, &meta);
	}

	pthread_mutex_lock(&pa_lock);
	for (b = r.head; b; b = i) {
		i = pa_mem.blocks[b].next;
		__atomic_store_n(&pa_mem.blocks[b].written, 0, __ATOMIC_RELAXED);
		free_2m_push(b);
	}
	pa_mem.zap_inflight -= r.count;
	pa_mem.blocks_returned += r.count;
	reset_if_empty();
	pthread_mutex_unlock(&pa_lock);
}

void phys_mem_drain(void)
{
	struct zap_range r = { 0, 0 };

	pa_pcp_flush();

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
u32 pa_take_block(void)
{
	u32 b;

	for (;;) {
		if (pa_mem.zap_head) {
			b = zap_pop();
			break;
		}
		b = pa_mem.free_2m;
		if (b) {
			pa_mem.free_2m = pa_mem.blocks[b].next;
			pa_mem.blocks[b].next = BLOCK_NONE;
			break;
		}
		if (pa_mem.bump < pa_mem.nr_blocks) {
			b = pa_mem.bump++;
			break;
		}
		if (pa_mem.zap_inflight) {
			/* Another thread is giving blocks back: wait for it. */
			pthread_mutex_unlock(&pa_lock);
			sched_yield();
			pthread_mutex_lock(&pa_lock);
			continue;
		}
		return BLOCK_NONE;
	}
	pa_mem.blocks_live++;
	return b;
}

/* Count a successful allocation of @nr pages (failed calls are not counted). */
void pa_account_alloc(u64 nr)
{
	pa_mem.allocs++;
	pa_mem.pages_in_use += nr;
	if (pa_mem.pages_in_use > pa_mem.peak_pages_in_use)
		pa_mem.peak_pages_in_use = pa_mem.pages_in_use;
}

/* Take one 4K page; returns its PFN or 0. */
static u64 take_page(void)
{
	struct pa_block *blk;
	u32 b = pa_carve_pick();	/* the partial list's head, or ours */
	u16 idx;

	if (!b) {
		b = pa_take_block();
		if (!b)
			return 0;
		blk = &pa_mem.blocks[b];
		blk->state = BLOCK_SPLIT;
		blk->nr_free = PAGES_PER_BLOCK;
		blk->cursor = 0;
		blk->free_head = LINK_NIL;
		partial_add(b);
	}
	pa_carve_set(b);
	blk = &pa_mem.blocks[b];
	if (blk->free_head != LINK_NIL) {
		idx = blk->free_head;
		blk->free_head = pa_mem.pages[block_pfn(b) + idx].buddy_next;
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
	struct pa_block *blk = &pa_mem.blocks[b];
	u16 idx = pfn & (PAGES_PER_BLOCK - 1);

	if (blk->state != BLOCK_SPLIT || idx >= blk->cursor)
		return false;
	pa_mem.pages[pfn].buddy_next = blk->free_head;
	page_flag_set(&pa_mem.pages[pfn], PG_buddy);
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

/* A whole block, order 9 (pa_lock held); BLOCK_NONE if there is none. */
u32 pa_take_huge(void)
{
	u32 b = pa_take_block();

	if (b) {
		pa_mem.blocks[b].state = BLOCK_HUGE;
		pa_mem.blocks_2m_in_use++;
	}
	return b;
}

/*
 * Make a block pa_take_huge() took an order-9 page (pa_lock not held: it
 * is ours). One taken back from the zapping batch may hold data, still
 * populated: zero the pages PG_written marks, as a 4K allocation does.
 */
struct page *pa_prep_block(u32 b)
{
	struct page *head = &pa_mem.pages[block_pfn(b)];
	u64 zeroed = 0;
	u8 written;
	u32 i;

	written = __atomic_exchange_n(&pa_mem.blocks[b].written,
				      pa_mem.blocks[b].written &
					      BLOCK_POPULATED,
				      __ATOMIC_RELAXED);
	if (written & BLOCK_WRITTEN) {
		for (i = 0; i < PAGES_PER_BLOCK; i++) {
			if (!(READ_ONCE(head[i].flags) & BIT(PG_written))) {
				check_clean(&head[i]);
				continue;
			}
			memset(pa_mem.mem_base + (block_pfn(b) + i) * PAGE_SIZE, 0,
			       PAGE_SIZE);
			zeroed++;
		}
		__atomic_add_fetch(&pa_mem.pages_zeroed, zeroed, __ATOMIC_RELAXED);
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

static struct page *alloc_block(void)
{
	u32 b;

	pthread_mutex_lock(&pa_lock);
	b = pa_take_huge();
	if (b)
		pa_account_alloc(PAGES_PER_BLOCK);
	pthread_mutex_unlock(&pa_lock);
	return b ? pa_prep_block(b) : NULL;
}

static struct page *__alloc_pages(unsigned int order, bool zero)
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
	if (order) {
		page = pa_pcp_alloc_block();
		return page ? page : alloc_block();
	}
	page = pa_pcp_alloc();
	if (page)
		return page;

	pthread_mutex_lock(&pa_lock);
	pfn = take_page();
	if (pfn)
		pa_account_alloc(1);
	pthread_mutex_unlock(&pa_lock);
	if (!pfn)
		return NULL;
	return pa_prep_page(pfn, zero);
}

struct page *alloc_pages(unsigned int order)
{
	return __alloc_pages(order, true);
}

struct page *alloc_page_nozero(void)
{
	return __alloc_pages(0, false);
}

int pa_take_pages(u64 *pfns, int n)
{
	int i;

	pthread_mutex_lock(&pa_lock);
	for (i = 0; i < n; i++) {
		pfns[i] = take_page();
		if (!pfns[i])
			break;
	}
	if (i) {
		/* In use while cached; counted as allocations when handed out. */
		pa_account_alloc(i);
		pa_mem.allocs--;
	}
	pthread_mutex_unlock(&pa_lock);
	for (n = 0; n < i; n++)
		pa_prep_page(pfns[n], true);
	return i;
}

void pa_pcp_account(u64 handed, u64 flushed)
{
	pthread_mutex_lock(&pa_lock);
	pa_mem.allocs += handed;
	pa_mem.frees -= flushed;
	pthread_mutex_unlock(&pa_lock);
}

struct page *pa_prep_page(u64 pfn, bool zero)
{
	struct page *page = &pa_mem.pages[pfn];

	/*
	 * A page written before it was freed is zeroed now, while it is ours,
	 * unless its caller overwrites it whole (it stays marked written).
	 */
	if (page_written(page) && zero) {
		memset(pa_mem.mem_base + (pfn << PAGE_SHIFT), 0, PAGE_SIZE);
		__atomic_add_fetch(&pa_mem.pages_zeroed, 1, __ATOMIC_RELAXED);
	} else if (!page_written(page)) {
		check_clean(page);
	}
	WRITE_ONCE(page->buddy_next, 0);
	WRITE_ONCE(page->flags, BIT(PG_written));
	atomic_set(&page->_refcount, 1);
	return page;
}

/* ---- freeing ---- */

bool page_in_space(const struct page *page)
{
	return ready() && page >= pa_mem.pages && page < pa_mem.pages + pa_mem.nr_pages;
}

/*
 * The part of freeing the block at @page (allocated at @order, the caller
 * says) done before the allocator's lock: the checks and the metadata
 * reset. Returns false (after a WARN) if it must not be freed; *@written
 * says whether a page of it was written.
 */
static bool free_prepare(struct page *page, unsigned int order, bool *written)
{
	page_free_check_fn check;
	u64 pfn, nr, i;

	*written = false;
	if (WARN(!page_in_space(page),
		 "free of a page outside the PFN space\n"))
		return false;
	pfn = page - pa_mem.pages;
	/* A free page's order field holds its free-list link. */
	if (WARN(PageBuddy(page),
		 "free of pfn %#llx at order %u: block not allocated\n",
		 (unsigned long long)pfn, order))
		return false;
	if (order == PMD_ORDER) {
		if (WARN(!(page->flags & BIT(PG_head)) ||
			 page->order != PMD_ORDER,
			 "free of pfn %#llx at order 9: not an order-9 head\n",
			 (unsigned long long)pfn))
			return false;
	} else if (WARN(order != 0 || page->order != 0 ||
			(page->flags & (BIT(PG_head) | BIT(PG_tail) |
					BIT(PG_reserved))),
			"free of pfn %#llx at order %u, allocated at %u\n",
			(unsigned long long)pfn, order, page->order)) {
		return false;
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
			*written = true;
		else if (order == 0)
			check_clean(p);
		atomic_set(&p->_refcount, 0);
		WRITE_ONCE(p->order, 0);
		WRITE_ONCE(p->flags, w);
		p->private = 0;
	}
	return true;
}

/*
 * The part done under pa_lock: back on the free lists. A batch of blocks
 * due to go back to the OS is added to @zap (the caller gives it back after
 * unlocking; at most one batch is taken per lock round).
 */
static void free_locked(u64 pfn, unsigned int order, bool written,
			struct zap_range *zap)
{
	struct zap_range z = { 0, 0 };
	bool ok;

	if (order) {
		u32 b = pfn_block(pfn);

		ok = pa_mem.blocks[b].state == BLOCK_HUGE;
		if (ok) {
			pa_mem.blocks_2m_in_use--;
			if (written)
				__atomic_fetch_or(&pa_mem.blocks[b].written,
						  BLOCK_WRITTEN,
						  __ATOMIC_RELAXED);
			z = block_release(b);
		}
	} else {
		ok = return_page(pfn, written, &z);
	}
	if (ok) {
		pa_mem.frees++;
		pa_mem.pages_in_use -= 1ULL << order;
	}
	if (z.count)
		*zap = z;
	WARN(!ok, "free of pfn %#llx at order %u: block not allocated\n",
	     (unsigned long long)pfn, order);
}

/* Free the block at @page, which the caller says was allocated at @order. */
static void free_block(struct page *page, unsigned int order)
{
	struct zap_range zap = { 0, 0 };
	bool written;

	if (!free_prepare(page, order, &written))
		return;
	pthread_mutex_lock(&pa_lock);
	free_locked(page - pa_mem.pages, order, written, &zap);
	pthread_mutex_unlock(&pa_lock);
	zap_blocks(zap);
}

void __free_pages(struct page *page, unsigned int order)
{
	free_block(page, order);
}

/* ---- reference counts ---- */

/* Tasks in wait_page_refs_killable(). */
static int page_ref_waiters;
struct wait_queue_head page_ref_wq;

static void __attribute__((constructor)) page_ref_wq_init(void)
{
	init_waitqueue_head(&page_ref_wq);
}

void page_ref_waiters_add(int n)
{
	__atomic_add_fetch(&page_ref_waiters, n, __ATOMIC_SEQ_CST);
	/*
	 * A waiter's condition reads the refcount after this (a store-load
	 * pair against put_page()'s): either it sees the put_page() or that
	 * put_page() sees the waiter and wakes it.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
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
	else if (__atomic_load_n(&page_ref_waiters, __ATOMIC_SEQ_CST))
		wake_up(&page_ref_wq);
}

/*
 * put_page() on each of @nr pages, freeing those whose last reference it
 * drops in one round of the allocator's lock (the kernel's release_pages(),
 * as a truncation's batch of folios is freed).
 */
void release_pages(struct page **pages, int nr)
{
	struct zap_range zap = { 0, 0 };
	struct page *freed[PAGEVEC_SIZE];
	unsigned int order[PAGEVEC_SIZE];
	bool written[PAGEVEC_SIZE], wake = false;
	int i, n = 0;

	for (i = 0; i < nr; i++) {
		struct page *head = compound_head(pages[i]);
		int c = atomic_read(&head->_refcount);

		do {
			if (WARN(c <= 0,
				 "put_page on pfn %#llx: refcount underflow (%d)\n",
				 (unsigned long long)page_to_pfn(head), c))
				break;
		} while (!__atomic_compare_exchange_n(&head->_refcount.counter,
						      &c, c - 1, false,
						      __ATOMIC_SEQ_CST,
						      __ATOMIC_RELAXED));
		if (c == 1) {
			order[n] = head->order;
			if (free_prepare(head, order[n], &written[n]))
				freed[n++] = head;
		} else {
			wake = true;	/* as put_page(): one wake per call */
		}
		if (!n || (n < PAGEVEC_SIZE && i + 1 < nr))
			continue;
		pthread_mutex_lock(&pa_lock);
		while (n--) {
			free_locked(freed[n] - pa_mem.pages, order[n],
				    written[n], &zap);
			/* A batch due for the OS goes at once. */
			if (zap.count && n) {
				pthread_mutex_unlock(&pa_lock);
				zap_blocks(zap);
				zap.count = zap.head = 0;
				pthread_mutex_lock(&pa_lock);
			}
		}
		n = 0;
		pthread_mutex_unlock(&pa_lock);
		zap_blocks(zap);
		zap.count = zap.head = 0;
	}
	if (wake && __atomic_load_n(&page_ref_waiters, __ATOMIC_SEQ_CST))
		wake_up(&page_ref_wq);
}

void page_alloc_set_free_check(page_free_check_fn fn)
{
	__atomic_store_n(&free_check_fn, fn, __ATOMIC_RELEASE);
}
