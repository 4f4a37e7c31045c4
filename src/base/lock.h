/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Locks under the kernel's names and kinds, all validated by base/lockdep.h
 * and all schedule points in deterministic mode (in free mode an uncontended
 * operation is one atomic instruction plus lockdep's bookkeeping):
 *
 *   struct mutex          mutex_lock / mutex_trylock / mutex_unlock
 *   spinlock_t            spin_lock / spin_unlock
 *   rwlock_t              read_lock / write_lock ... (kvm->mmu_lock)
 *   struct rw_semaphore   down_read / down_write ... (mmap_lock,
 *                         filemap_invalidate_lock)
 *
 * Readers of rwlock_t and rw_semaphore wait while a writer waits, as the
 * kernel's queued locks do, so a task that takes a read lock it already holds
 * can deadlock against a waiting writer (and lockdep says so).
 *
 * Each *_init() macro makes one lock class per call site, named from the
 * argument text ("&kvm->mmu_lock"); __*_init() takes an explicit name and key.
 */
#ifndef TDXSIM_BASE_LOCK_H
#define TDXSIM_BASE_LOCK_H

#include <pthread.h>

#include "ulib/compiler.h"
#include "base/lockdep.h"

struct task;

/* State shared by every lock kind (see lock.c). */
struct base_lock {
	u64 state;		/* readers, writer, waiting writers, sleepers */
	struct task *owner;	/* exclusive holder */
	pthread_mutex_t m;	/* waiters only: sleeping on cv */
	pthread_cond_t cv;	/* free-mode waiters */
};

struct mutex {
	struct base_lock l;
	struct lockdep_map dep_map;
};

typedef struct {
	struct base_lock l;
	struct lockdep_map dep_map;
} spinlock_t;

typedef struct {
	struct base_lock l;
	struct lockdep_map dep_map;
} rwlock_t;

struct rw_semaphore {
	struct base_lock l;
	struct lockdep_map dep_map;
};

void __mutex_init(struct mutex *lock, const char *name,
		  struct lock_class_key *key);
void __spin_lock_init(spinlock_t *lock, const char *name,
		      struct lock_class_key *key);
void __rwlock_init(rwlock_t *lock, const char *name,
		   struct lock_class_key *key);
void __init_rwsem(struct rw_semaphore *sem, const char *name,
		  struct lock_class_key *key);

#define __LOCK_INIT(fn, lock)						\
	do {								\
		static struct lock_class_key __key;			\
		fn((lock), #lock, &__key);				\
	} while (0)

#define mutex_init(lock)	__LOCK_INIT(__mutex_init, lock)
#define spin_lock_init(lock)	__LOCK_INIT(__spin_lock_init, lock)
#define rwlock_init(lock)	__LOCK_INIT(__rwlock_init, lock)
#define init_rwsem(sem)		__LOCK_INIT(__init_rwsem, sem)

/* Release the pthread objects of a lock that nobody holds. */
void mutex_destroy(struct mutex *lock);
void spin_lock_destroy(spinlock_t *lock);
void rwlock_destroy(rwlock_t *lock);
void rwsem_destroy(struct rw_semaphore *sem);

/* The primitives; each records its caller's site for lockdep. */
void __mutex_lock(struct mutex *lock, struct lockdep_map *nest,
		  const struct lock_site *site);
/* 0, or -EINTR when the wait was given up (the free-mode hung-task watchdog). */
int __mutex_lock_killable(struct mutex *lock, struct lockdep_map *nest,
			  const struct lock_site *site);
bool __mutex_trylock(struct mutex *lock, const struct lock_site *site);
void __mutex_unlock(struct mutex *lock, const struct lock_site *site);
bool mutex_is_locked(struct mutex *lock);

void __spin_lock(spinlock_t *lock, const struct lock_site *site);
void __spin_unlock(spinlock_t *lock, const struct lock_site *site);

void __read_lock(rwlock_t *lock, const struct lock_site *site);
void __read_unlock(rwlock_t *lock, const struct lock_site *site);
void __write_lock(rwlock_t *lock, const struct lock_site *site);
void __write_unlock(rwlock_t *lock, const struct lock_site *site);
/* rwlock_needbreak(): is a writer (or reader) waiting for this lock? */
bool rwlock_needbreak(rwlock_t *lock);

void __down_read(struct rw_semaphore *sem, const struct lock_site *site);
bool __down_read_trylock(struct rw_semaphore *sem, const struct lock_site *site);
void __up_read(struct rw_semaphore *sem, const struct lock_site *site);
void __down_write(struct rw_semaphore *sem, const struct lock_site *site);
bool __down_write_trylock(struct rw_semaphore *sem, const struct lock_site *site);
void __up_write(struct rw_semaphore *sem, const struct lock_site *site);
void __downgrade_write(struct rw_semaphore *sem, const struct lock_site *site);

#define mutex_lock(l)		__mutex_lock((l), NULL, LOCK_SITE_HERE)
/*
 * Many locks of one class under a held nest lock (e.g. every vcpu->mutex
 * under kvm->lock): lockdep keeps them in one held-lock slot with a count
 * and does not report them as recursion.
 */
#define mutex_lock_nest_lock(l, n) \
	__mutex_lock((l), &(n)->dep_map, LOCK_SITE_HERE)
#define mutex_lock_killable(l) \
	__mutex_lock_killable((l), NULL, LOCK_SITE_HERE)
#define mutex_lock_killable_nest_lock(l, n) \
	__mutex_lock_killable((l), &(n)->dep_map, LOCK_SITE_HERE)
#define mutex_trylock(l)	__mutex_trylock((l), LOCK_SITE_HERE)
#define mutex_unlock(l)		__mutex_unlock((l), LOCK_SITE_HERE)
#define spin_lock(l)		__spin_lock((l), LOCK_SITE_HERE)
#define spin_unlock(l)		__spin_unlock((l), LOCK_SITE_HERE)
#define read_lock(l)		__read_lock((l), LOCK_SITE_HERE)
#define read_unlock(l)		__read_unlock((l), LOCK_SITE_HERE)
#define write_lock(l)		__write_lock((l), LOCK_SITE_HERE)
#define write_unlock(l)		__write_unlock((l), LOCK_SITE_HERE)
#define down_read(s)		__down_read((s), LOCK_SITE_HERE)
#define down_read_trylock(s)	__down_read_trylock((s), LOCK_SITE_HERE)
#define up_read(s)		__up_read((s), LOCK_SITE_HERE)
#define down_write(s)		__down_write((s), LOCK_SITE_HERE)
#define down_write_trylock(s)	__down_write_trylock((s), LOCK_SITE_HERE)
#define up_write(s)		__up_write((s), LOCK_SITE_HERE)
#define downgrade_write(s)	__downgrade_write((s), LOCK_SITE_HERE)

/*
 * SRCU (kvm->srcu): recursive readers, synchronize_srcu() waits for the
 * readers that were inside when it started. Readers count themselves in
 * per-thread slots that a grace period sums (base/srcu.c). Lockdep sees readers as
 * recursive-read acquisitions and synchronize_srcu() as a write acquisition
 * of the same class, so synchronize_srcu() under srcu_read_lock() is reported.
 */
#define SRCU_SLOTS	32	/* per-thread reader counters (base/srcu.c) */
struct srcu_struct {
	int idx;		/* the counter new readers use */
	int sync_waiting;	/* a grace period waits: readers wake it */
	void *sda;		/* SRCU_SLOTS struct srcu_data, a line each */
	struct mutex sync_mutex;
	struct lockdep_map dep_map;
	void *wq;	/* struct wait_queue_head */
};

void __init_srcu_struct(struct srcu_struct *ssp, const char *name,
			struct lock_class_key *key);
#define init_srcu_struct(ssp)	__LOCK_INIT(__init_srcu_struct, ssp)
void cleanup_srcu_struct(struct srcu_struct *ssp);
int __srcu_read_lock(struct srcu_struct *ssp, const struct lock_site *site);
void __srcu_read_unlock(struct srcu_struct *ssp, int idx,
			const struct lock_site *site);
void __synchronize_srcu(struct srcu_struct *ssp, const struct lock_site *site);
#define srcu_read_lock(s)	__srcu_read_lock((s), LOCK_SITE_HERE)
#define srcu_read_unlock(s, i)	__srcu_read_unlock((s), (i), LOCK_SITE_HERE)
#define synchronize_srcu(s)	__synchronize_srcu((s), LOCK_SITE_HERE)
#define srcu_read_lock_held(s)	lock_is_held_type(&(s)->dep_map, -1)

#endif /* TDXSIM_BASE_LOCK_H */
