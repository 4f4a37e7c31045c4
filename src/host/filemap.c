// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The folio lock (mm/filemap.c's folio_lock(), folio_unlock()): see
 * host/mm.h.
 */
#include "base/atomic.h"
#include "base/lockdep.h"
#include "base/log.h"
#include "base/page_alloc.h"
#include "base/sched.h"
#include "host/mm.h"

static struct lock_class_key folio_lock_key;
static struct lockdep_map folio_lock_map;
static struct wait_queue_head folio_lock_wq;

static void __attribute__((constructor)) folio_lock_init(void)
{
	lockdep_init_map(&folio_lock_map, "folio_lock", &folio_lock_key,
			 LOCK_KIND_MUTEX);
	init_waitqueue_head(&folio_lock_wq);
}

static bool folio_try_set_locked(struct page *head)
{
	return !(__atomic_fetch_or(&head->flags, (u16)BIT(PG_locked),
				   __ATOMIC_ACQUIRE) & BIT(PG_locked));
}

/*
 * A waiter's check, as the kernel's folio_wait_bit_common(): PG_waiters is
 * set and PG_locked read in one atomic step, so either the unlock that
 * follows sees PG_waiters and wakes the queue, or this check sees the folio
 * unlocked.
 */
static bool folio_waiter_sees_unlocked(struct page *head)
{
	return !(__atomic_fetch_or(&head->flags, (u16)BIT(PG_waiters),
				   __ATOMIC_SEQ_CST) & BIT(PG_locked));
}

void __folio_lock(struct page *head, const struct lock_site *site)
{
	if (lockdep_on())
		lock_acquire(&folio_lock_map, LOCK_EXCL, false, NULL, site);
	__sched_point_obj("folio_lock", head, SCHED_OBJ_NEXT);
	while (!folio_try_set_locked(head)) {
		if (lockdep_on())
			lock_contended(&folio_lock_map, LOCK_EXCL);
		wait_event_killable(folio_lock_wq,
				    folio_waiter_sees_unlocked(head));
	}
	if (lockdep_on())
		lock_acquired(&folio_lock_map, LOCK_EXCL, NULL, site);
}

bool __folio_trylock(struct page *head, const struct lock_site *site)
{
	if (lockdep_on())
		lock_acquire(&folio_lock_map, LOCK_EXCL, true, NULL, site);
	__sched_point_obj("folio_trylock", head, SCHED_OBJ_NEXT);
	if (!folio_try_set_locked(head))
		return false;
	if (lockdep_on())
		lock_acquired(&folio_lock_map, LOCK_EXCL, NULL, site);
	return true;
}

void __folio_unlock(struct page *head, const struct lock_site *site)
{
	u16 old;

	if (lockdep_on() && !lock_release(&folio_lock_map, site))
		return;
	WARN_ON_ONCE(!PageLocked(head));
	/*
	 * The queue is woken only when a task waits for this folio (every
	 * waiter sets PG_waiters again before it sleeps again), as the
	 * kernel's folio_unlock(). Deterministic runs wake it on every
	 * unlock, as before: the wake-up is a step of their schedules.
	 */
	old = __atomic_fetch_and(&head->flags,
				 (u16)~(BIT(PG_locked) | BIT(PG_waiters)),
				 __ATOMIC_SEQ_CST);
	if ((old & BIT(PG_waiters)) || sched_deterministic())
		wake_up(&folio_lock_wq);
	__sched_point_obj("folio_unlock", head, SCHED_OBJ_PREV);
}
