// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * SRCU (kvm->srcu) with per-thread reader counters, as the kernel's
 * srcu_data is per CPU: a reader counts its lock and its unlock in its
 * thread's slot (a cache line of its own), and a grace period sums the
 * slots. Readers of different threads write no common line, so vCPUs
 * entering and leaving kvm->srcu on every fault and exit do not bounce
 * one (issue 15 point 5; the two shared counters before were 2.5% of a
 * 2-vCPU eager-accept's samples).
 *
 * A reader adds to the lock count of the current index and checks that the
 * index did not flip meanwhile (else it counts itself out and moves over),
 * so a grace period that flipped the index and then saw the old index's
 * counts match has seen every reader that started before the flip. The
 * sums read every slot's unlocks first, then every slot's locks (the
 * kernel's srcu_readers_active_idx_check()): a reader whose unlock was seen
 * has its lock seen too, so equal sums mean no reader is inside. A reader
 * that leaves wakes the grace period only when one waits.
 *
 * The slots are a thread's, not a task's: deterministic runs on fibers
 * share one thread and so one slot, which is correct, sums being sums.
 * Threads beyond SRCU_SLOTS share slots (the adds are atomic).
 */
#include <stdlib.h>
#include <string.h>

#include "base/lock.h"
#include "base/log.h"
#include "base/sched.h"
#include "base/sched_internal.h"
#include "ulib/strbuf.h"

struct srcu_data {
	unsigned long lock_count[2];
	unsigned long unlock_count[2];
} __attribute__((aligned(64)));

static unsigned int srcu_next_slot;
static __thread int srcu_slot = -1;

static inline struct srcu_data *srcu_this_slot(struct srcu_struct *ssp)
{
	int slot = srcu_slot;

	if (unlikely(slot < 0)) {
		slot = __atomic_fetch_add(&srcu_next_slot, 1, __ATOMIC_RELAXED) %
		       SRCU_SLOTS;
		srcu_slot = slot;
	}
	return &((struct srcu_data *)ssp->sda)[slot];
}

void __init_srcu_struct(struct srcu_struct *ssp, const char *name,
			struct lock_class_key *key)
{
	struct wait_queue_head *wq = xzalloc(sizeof(*wq));
	struct srcu_data *sda;

	if (posix_memalign((void **)&sda, 64, SRCU_SLOTS * sizeof(*sda)))
		BUG();
	memset(sda, 0, SRCU_SLOTS * sizeof(*sda));
	ssp->idx = 0;
	ssp->sda = sda;
	ssp->sync_waiting = 0;
	mutex_init(&ssp->sync_mutex);
	__init_waitqueue_head(wq, name);
	ssp->wq = wq;
	lockdep_init_map(&ssp->dep_map, name, key, LOCK_KIND_SRCU);
	if (unlikely(sched_det_possible()))
		sched_fp_name(&ssp->dep_map, key);
}

/* Readers inside on counter @idx: all unlocks, then all locks. */
static long srcu_readers(struct srcu_struct *ssp, int idx)
{
	struct srcu_data *sda = ssp->sda;
	unsigned long locks = 0, unlocks = 0;
	int i;

	for (i = 0; i < SRCU_SLOTS; i++)
		unlocks += __atomic_load_n(&sda[i].unlock_count[idx],
					   __ATOMIC_SEQ_CST);
	for (i = 0; i < SRCU_SLOTS; i++)
		locks += __atomic_load_n(&sda[i].lock_count[idx],
					 __ATOMIC_SEQ_CST);
	return (long)(locks - unlocks);
}

void cleanup_srcu_struct(struct srcu_struct *ssp)
{
	struct wait_queue_head *wq = ssp->wq;

	WARN_ON(srcu_readers(ssp, 0) || srcu_readers(ssp, 1));
	mutex_destroy(&ssp->sync_mutex);
	destroy_waitqueue_head(wq);
	free(wq);
	free(ssp->sda);
	ssp->sda = NULL;
	ssp->wq = NULL;
}

/*
 * A reader leaves counter @idx. The add is a full barrier, so either the
 * grace period's sums see it or this load sees the grace period waiting.
 */
static inline void srcu_put(struct srcu_struct *ssp, struct srcu_data *sd,
			    int idx)
{
	__atomic_add_fetch(&sd->unlock_count[idx], 1, __ATOMIC_SEQ_CST);
	if (unlikely(__atomic_load_n(&ssp->sync_waiting, __ATOMIC_SEQ_CST)))
		wake_up(ssp->wq);
}

int __srcu_read_lock(struct srcu_struct *ssp, const struct lock_site *site)
{
	struct srcu_data *sd = srcu_this_slot(ssp);
	int idx;

	for (;;) {
		idx = __atomic_load_n(&ssp->idx, __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&sd->lock_count[idx], 1, __ATOMIC_SEQ_CST);
		if (likely(__atomic_load_n(&ssp->idx, __ATOMIC_SEQ_CST) == idx))
			break;
		srcu_put(ssp, sd, idx);
	}
	if (lockdep_on())
		__lock_taken(current_task(), &ssp->dep_map,
			     LOCK_SHARED_RECURSIVE, NULL, site);
	return idx;
}

void __srcu_read_unlock(struct srcu_struct *ssp, int idx,
			const struct lock_site *site)
{
	if (lockdep_on())
		__lock_release(current_task(), &ssp->dep_map, site);
	srcu_put(ssp, srcu_this_slot(ssp), idx);
}

void __synchronize_srcu(struct srcu_struct *ssp, const struct lock_site *site)
{
	struct wait_queue_head *wq = ssp->wq;
	int old;

	/* Lockdep sees a grace period as a write acquisition of the class. */
	lock_acquire(&ssp->dep_map, LOCK_EXCL, false, NULL, site);
	lock_acquired(&ssp->dep_map, LOCK_EXCL, NULL, site);
	lock_release(&ssp->dep_map, site);
	if (lock_is_held_type(&ssp->dep_map, -1) && lockdep_enabled())
		return;		/* reported: waiting would never end */

	mutex_lock(&ssp->sync_mutex);
	old = __atomic_load_n(&ssp->idx, __ATOMIC_RELAXED);
	__atomic_store_n(&ssp->sync_waiting, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&ssp->idx, old ^ 1, __ATOMIC_SEQ_CST);
	while (wait_event_killable(*wq, srcu_readers(ssp, old) == 0))
		;
	__atomic_store_n(&ssp->sync_waiting, 0, __ATOMIC_RELAXED);
	mutex_unlock(&ssp->sync_mutex);
}
