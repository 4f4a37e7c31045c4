// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Which split block a 4K allocation carves its page from. In free mode
 * each thread carves out of a block of its own, as the kernel's per-CPU
 * page lists give each CPU pages of its own: with the one partial list, two
 * vCPUs faulting at the same time took alternate pages of one block, and
 * those pages' struct pages and PAMT entries, and the block's PAMT 2M lock,
 * were cache lines both CPUs wrote for every page (perf -e cpu-clock of a
 * 2-vCPU eager-accept on idle cores). A thread whose block has run out
 * takes the first partial block that no other thread carves, else a fresh
 * one. A lone thread's pick is then always the list's head, as it was; a
 * deterministic run (one task at a time, and PFNs are part of what its
 * schedules replay) keeps the list's order.
 *
 * Everything here is under pa_lock, but for pa_pcp_alloc()'s lockless
 * look at carvers_used (so its writers store atomically). A thread's slot
 * goes back when the thread exits; a block a slot names is only a hint,
 * checked on each use (it may have been freed and split again since, or
 * the PFN space set up anew).
 */
#include <pthread.h>

#include "base/page_alloc_internal.h"
#include "base/sched_internal.h"

#define CARVERS		16	/* threads with a block of their own */
#define CARVE_SEARCH	16	/* partial blocks looked at for a free one */
#define CARVE_ALL	((1U << CARVERS) - 1)

static u32 carving[CARVERS];
static u32 carvers_used;	/* bitmask of the slots in use */
static pthread_key_t carve_key;
static pthread_once_t carve_once = PTHREAD_ONCE_INIT;
static __thread int carve_slot = -1;

/*
 * The per-thread 4K page cache: PCP_BATCH pages taken in one round of
 * pa_lock, handed out without it (the kernel's per-CPU lists and their
 * rmqueue_bulk()), so that vCPUs faulting in new pages do not take the
 * allocator's lock per page. Only when several threads allocate in free
 * mode (a lone thread and deterministic runs allocate as before, page by
 * page, so their PFNs stay as they were). Cached pages count as in use,
 * as the kernel's per-CPU pages are not free in the zone's count, but as
 * allocations only once handed out (folded in at the next refill or
 * flush); they go back when the thread exits or calls phys_mem_drain().
 */
#define PCP_BATCH	16

static __thread struct {
	int nr;
	u64 handed;	/* handed out since the last refill or flush */
	u64 pfn[PCP_BATCH];
} pcp;

static bool pcp_enabled(void);

struct page *pa_pcp_alloc(void)
{
	if (!pcp_enabled())
		return NULL;
	if (!pcp.nr) {
		if (pcp.handed)
			pa_pcp_account(pcp.handed, 0);
		pcp.handed = 0;
		pcp.nr = pa_take_pages(pcp.pfn, PCP_BATCH);
	}
	if (!pcp.nr)
		return NULL;
	pcp.handed++;
	return &pa_mem.pages[pcp.pfn[--pcp.nr]];
}

/*
 * 2M blocks likewise (the kernel's per-CPU lists hold order-9 pages too,
 * mm/page_alloc.c, NR_PCP_THP): PCP_2M_BATCH blocks per round of pa_lock,
 * made order-9 pages as they are handed out.
 */
#define PCP_2M_BATCH	4

static __thread struct {
	int nr;
	u64 handed;
	u32 blk[PCP_2M_BATCH];
} pcp2m;

static bool pcp_enabled(void)
{
	return carve_slot >= 0 && !sched_det_possible() &&
	       __builtin_popcount(__atomic_load_n(&carvers_used,
						  __ATOMIC_RELAXED)) >= 2;
}

struct page *pa_pcp_alloc_block(void)
{
	int i;

	if (!pcp_enabled())
		return NULL;
	if (!pcp2m.nr) {
		if (pcp2m.handed)
			pa_pcp_account(pcp2m.handed, 0);
		pcp2m.handed = 0;
		pthread_mutex_lock(&pa_lock);
		for (i = 0; i < PCP_2M_BATCH; i++) {
			pcp2m.blk[i] = pa_take_huge();
			if (!pcp2m.blk[i])
				break;
		}
		if (i) {
			/* In use while cached, allocations once handed out. */
			pa_account_alloc((u64)i * PAGES_PER_BLOCK);
			pa_mem.allocs--;
		}
		pthread_mutex_unlock(&pa_lock);
		pcp2m.nr = i;
	}
	if (!pcp2m.nr)
		return NULL;
	pcp2m.handed++;
	return pa_prep_block(pcp2m.blk[--pcp2m.nr]);
}

void pa_pcp_flush(void)
{
	u64 flushed = pcp.nr;

	while (pcp.nr > 0)
		__free_pages(&pa_mem.pages[pcp.pfn[--pcp.nr]], 0);
	if (pcp.handed || flushed)
		pa_pcp_account(pcp.handed, flushed);
	pcp.handed = 0;
	/* A cached block goes back as an order-9 page: a free, not counted. */
	flushed = pcp2m.nr;
	while (pcp2m.nr > 0)
		__free_pages(pa_prep_block(pcp2m.blk[--pcp2m.nr]), PMD_ORDER);
	if (pcp2m.handed || flushed)
		pa_pcp_account(pcp2m.handed, flushed);
	pcp2m.handed = 0;
}

static void carve_exit(void *arg)
{
	int slot = (int)(long)arg - 1;

	pa_pcp_flush();

	pthread_mutex_lock(&pa_lock);
	carving[slot] = BLOCK_NONE;
	__atomic_fetch_and(&carvers_used, ~(1U << slot), __ATOMIC_RELAXED);
	pthread_mutex_unlock(&pa_lock);
}

static void carve_key_init(void)
{
	if (pthread_key_create(&carve_key, carve_exit))
		/* No slots: all share. */
		__atomic_store_n(&carvers_used, CARVE_ALL, __ATOMIC_RELAXED);
}

/* The calling thread's slot, -1 when there is none (all taken). */
static int carve_slot_get(void)
{
	int s;

	if (carve_slot >= 0)
		return carve_slot;
	pthread_once(&carve_once, carve_key_init);
	if (carvers_used == CARVE_ALL)
		return -1;
	s = __builtin_ctz(~carvers_used);
	if (pthread_setspecific(carve_key, (void *)(long)(s + 1)))
		return -1;
	__atomic_fetch_or(&carvers_used, 1U << s, __ATOMIC_RELAXED);
	carving[s] = BLOCK_NONE;
	carve_slot = s;
	return s;
}

static bool carved_by_other(u32 b, int slot)
{
	int i;

	for (i = 0; i < CARVERS; i++)
		if (i != slot && carving[i] == b)
			return true;
	return false;
}

u32 pa_carve_pick(void)
{
	u32 b = pa_mem.partial_head, mine;
	int s, n;

	if (sched_det_possible())
		return b;
	s = carve_slot_get();
	if (s < 0)
		return b;
	mine = carving[s];
	if (mine && mine < pa_mem.nr_blocks &&
	    pa_mem.blocks[mine].state == BLOCK_SPLIT &&
	    pa_mem.blocks[mine].nr_free)
		return mine;
	for (n = 0; b && n < CARVE_SEARCH; b = pa_mem.blocks[b].next, n++)
		if (!carved_by_other(b, s))
			return b;
	return BLOCK_NONE;
}

void pa_carve_set(u32 b)
{
	if (carve_slot >= 0 && !sched_det_possible())
		carving[carve_slot] = b;
}
