// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lockdep's acquisition counts per class (lockdep.h: struct
 * lockdep_class_stats): acquisitions (read and write) and contentions of
 * every class, for the statistics (issue 13: how often the fault path takes
 * mmu_lock for write). Each thread counts into a block of its own, so
 * counting (ld_stat_inc() in lockdep_internal.h, inlined into the hooks) is
 * a plain increment of a line no other CPU writes; a reader sums the blocks.
 * A block outlives its thread: at exit the thread retires it, and the next
 * new thread adopts a retired block and goes on adding to its counts, so
 * sums stay right and the blocks do not grow with the number of threads
 * that ever ran. Blocks are allocated a chunk of 64 classes at a time.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "base/lockdep_internal.h"
#include "base/log.h"

static pthread_mutex_t stat_lock = PTHREAD_MUTEX_INITIALIZER;
static struct stat_block *stat_blocks;
static u64 stat_base[MAX_CLASSES + 1][ST_NR];	/* at the last reset */

#if TDXSIM_LOCKDEP
static struct stat_block *stat_free;
static pthread_key_t stat_key;
static pthread_once_t stat_once = PTHREAD_ONCE_INIT;
__thread_fast struct stat_block *ld_stat_mine;

static void stat_retire(void *p)
{
	struct stat_block *b = p;

	ld_stat_mine = NULL;
	pthread_mutex_lock(&stat_lock);
	b->next_free = stat_free;
	stat_free = b;
	pthread_mutex_unlock(&stat_lock);
}

static void stat_key_init(void)
{
	pthread_key_create(&stat_key, stat_retire);
}

u64 *ld_stat_slow(int cls)
{
	struct stat_block *b = ld_stat_mine;
	u64 *chunk;

	if (!b) {
		pthread_once(&stat_once, stat_key_init);
		pthread_mutex_lock(&stat_lock);
		b = stat_free;
		if (b) {
			stat_free = b->next_free;
		} else {
			b = xzalloc(sizeof(*b));
			b->next = stat_blocks;
			__atomic_store_n(&stat_blocks, b, __ATOMIC_RELEASE);
		}
		pthread_mutex_unlock(&stat_lock);
		pthread_setspecific(stat_key, b);
		ld_stat_mine = b;
	}
	chunk = b->chunk[cls / STAT_CHUNK];
	if (!chunk) {
		chunk = xzalloc(STAT_CHUNK * ST_NR * sizeof(u64));
		__atomic_store_n(&b->chunk[cls / STAT_CHUNK], chunk,
				 __ATOMIC_RELEASE);
	}
	return chunk;
}
#endif /* TDXSIM_LOCKDEP */

/* The counts of class @cls summed over every block, since the last reset. */
static void stat_sum(int cls, u64 out[ST_NR])
{
	struct stat_block *b;
	int k;

	for (k = 0; k < ST_NR; k++)
		out[k] = 0;
	for (b = __atomic_load_n(&stat_blocks, __ATOMIC_ACQUIRE); b;
	     b = b->next) {
		u64 *chunk = __atomic_load_n(&b->chunk[cls / STAT_CHUNK],
					     __ATOMIC_ACQUIRE);

		if (!chunk)
			continue;
		for (k = 0; k < ST_NR; k++)
			out[k] += __atomic_load_n(
				&chunk[(cls % STAT_CHUNK) * ST_NR + k],
				__ATOMIC_RELAXED);
	}
	for (k = 0; k < ST_NR; k++)
		out[k] -= __atomic_load_n(&stat_base[cls][k], __ATOMIC_RELAXED);
}

void lockdep_reset_class_stats(void)
{
	u64 sum[ST_NR];
	int cls, k;

	int n = __atomic_load_n(&ld_nr_classes, __ATOMIC_ACQUIRE);

	/* A class registered after this has no counts yet. */
	pthread_mutex_lock(&stat_lock);
	for (cls = 1; cls <= n; cls++) {
		stat_sum(cls, sum);
		for (k = 0; k < ST_NR; k++)
			__atomic_store_n(&stat_base[cls][k],
					 stat_base[cls][k] + sum[k],
					 __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&stat_lock);
}

static void fill_stats(int cls, struct lockdep_class_stats *st)
{
	u64 sum[ST_NR];

	stat_sum(cls, sum);
	st->acquisitions_read += sum[ST_ACQ_READ];
	st->acquisitions_write += sum[ST_ACQ_WRITE];
	st->contentions_read += sum[ST_CON_READ];
	st->contentions_write += sum[ST_CON_WRITE];
}

int lockdep_class_stats(const char *name, struct lockdep_class_stats *st)
{
	int cls, n = __atomic_load_n(&ld_nr_classes, __ATOMIC_ACQUIRE);
	bool found = false;

	memset(st, 0, sizeof(*st));
	for (cls = 1; cls <= n; cls++) {
		if (strcmp(ld_classes[cls].name, name))
			continue;
		if (!found) {
			st->name = ld_classes[cls].name;
			st->kind = ld_classes[cls].kind;
		}
		found = true;
		fill_stats(cls, st);
	}
	return found ? 0 : -ENOENT;
}

bool lockdep_class_stats_next(unsigned int *pos,
			      struct lockdep_class_stats *st)
{
	int cls = *pos + 1;

	if (cls > __atomic_load_n(&ld_nr_classes, __ATOMIC_ACQUIRE))
		return false;
	memset(st, 0, sizeof(*st));
	st->name = ld_classes[cls].name;
	st->kind = ld_classes[cls].kind;
	fill_stats(cls, st);
	*pos = cls;
	return true;
}

#if TDXSIM_LOCKDEP
void lock_contended(const struct lockdep_map *map, enum lock_usage usage)
{
	int cls;

	if (!lockdep_on() || !map->key)
		return;
	cls = map_class(map);
	if (cls)
		ld_stat_inc(cls, usage == LOCK_EXCL ? ST_CON_WRITE : ST_CON_READ);
}
#endif
