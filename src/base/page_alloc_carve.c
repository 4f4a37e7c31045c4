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
 * Everything here is under pa_lock. A thread's slot goes back when the
 * thread exits; a block a slot names is only a hint, checked on each use
 * (it may have been freed and split again since, or the PFN space set up
 * anew).
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

static void carve_exit(void *arg)
{
	int slot = (int)(long)arg - 1;

	pthread_mutex_lock(&pa_lock);
	carving[slot] = BLOCK_NONE;
	carvers_used &= ~(1U << slot);
	pthread_mutex_unlock(&pa_lock);
}

static void carve_key_init(void)
{
	if (pthread_key_create(&carve_key, carve_exit))
		carvers_used = CARVE_ALL;	/* no slots: all share */
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
	carvers_used |= 1U << s;
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
