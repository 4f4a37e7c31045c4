/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What tdxsim's lockdep shares between its files in src/base, and nothing
 * else may use: lockdep.c (the on/off switch and the hooks the lock
 * primitives call), lockdep_graph.c (the classes and the dependency graph),
 * lockdep_report.c (the reports and their printing) and lockdep_stats.c
 * (acquisition counts per class). The state each file owns is declared
 * under its name; every symbol is hidden, so a shared library built from
 * them reaches it as a static one.
 */
#ifndef TDXSIM_BASE_LOCKDEP_INTERNAL_H
#define TDXSIM_BASE_LOCKDEP_INTERNAL_H

#include <pthread.h>

#include "base/lockdep.h"
#include "base/sched_internal.h"
#include "ulib/strbuf.h"

#define __ld_hidden	__attribute__((visibility("hidden")))

#define MAX_CLASSES	512
#define EDGE_S		2	/* the held lock was held shared */
#define EDGE_R		1	/* the new lock is a recursive read */

struct lock_class {
	const char *name;
	enum lock_kind kind;
	bool recursion_reported;
};

struct lock_edge {
	int to;
	u8 type;
	const struct lock_site *from_site; /* where the held lock was taken */
	const struct lock_site *to_site;   /* where the new lock was taken */
	char task[48];
	bool in_cycle;			   /* on a reported cycle */
};

struct edge_list {
	struct lock_edge *e;
	int n;
	int cap;
};

static __always_inline int map_class(const struct lockdep_map *map)
{
	return map->key ? __atomic_load_n(&map->key->id, __ATOMIC_ACQUIRE) : 0;
}

/* --- lockdep.c: the switch ---------------------------------------------- */

/*
 * Generation of the held-lock stacks: bumped whenever the validator is
 * switched back on or reset, so a stack recorded before (while the locks
 * were released unseen) is forgotten instead of read.
 */
extern unsigned int ld_gen __ld_hidden;

#if TDXSIM_LOCKDEP
/* The validator hit one of its own limits: report it and switch off. */
void ld_debug_locks_off(const char *why, struct task *self) __ld_hidden;
#endif

/* --- lockdep_graph.c: classes and edges (ld_graph_lock) ------------------ */

extern pthread_mutex_t ld_graph_lock __ld_hidden;
extern struct lock_class ld_classes[MAX_CLASSES + 1] __ld_hidden;
extern int ld_nr_classes __ld_hidden;
/* Bit (1 << type) of [from][to]: the edge is known (read without the lock). */
extern u8 ld_edge_bits[MAX_CLASSES + 1][MAX_CLASSES + 1] __ld_hidden;

const char *ld_class_name(int id) __ld_hidden;
/* Forget every edge, reported cycle and recursion (ld_graph_lock held). */
void ld_graph_clear(void) __ld_hidden;
#if TDXSIM_LOCKDEP
/* Record the edge from @held to class @to; report a cycle it closes. */
void ld_add_edge(struct task *self, const struct held_lock *held,
		 struct lockdep_map *map, enum lock_usage usage,
		 const struct lock_site *site, int to) __ld_hidden;
/* Is this the first recursion on class @cls (reported once per class)? */
bool ld_first_recursion(int cls) __ld_hidden;
#endif

/* --- lockdep_report.c: reports and printing ------------------------------ */

extern const char *const ld_usage_name[] __ld_hidden;

void ld_print_site(struct strbuf *sb, const struct lock_site *site)
	__ld_hidden;
void ld_print_held(struct strbuf *sb, const struct held_lock *h, int i)
	__ld_hidden;
/* Forget every report. */
void ld_reports_clear(void) __ld_hidden;
#if TDXSIM_LOCKDEP
void ld_print_acquire_held(struct strbuf *sb, const struct task *self,
			   const struct held_lock *held,
			   const struct lockdep_map *map,
			   enum lock_usage usage, const struct lock_site *site)
	__ld_hidden;
void ld_report_recursive(struct task *self, const struct held_lock *held,
			 struct lockdep_map *map, enum lock_usage usage,
			 const struct lock_site *site) __ld_hidden;
#endif

/* --- lockdep_stats.c: acquisition counts per class ----------------------- */

#define STAT_CHUNK	64
#define STAT_NR_CHUNKS	((MAX_CLASSES + STAT_CHUNK) / STAT_CHUNK)

enum { ST_ACQ_READ, ST_ACQ_WRITE, ST_CON_READ, ST_CON_WRITE, ST_NR };

struct stat_block {
	struct stat_block *next;	/* every block, for the readers */
	struct stat_block *next_free;	/* retired blocks */
	u64 *chunk[STAT_NR_CHUNKS];	/* [STAT_CHUNK][ST_NR] each */
};

#if TDXSIM_LOCKDEP
/* This thread's block (initial-exec: no __tls_get_addr() per lock). */
extern __thread_fast struct stat_block *ld_stat_mine __ld_hidden;

u64 *ld_stat_slow(int cls) __ld_hidden noinline;

/* Count one event of class @cls; only this thread writes its block. */
static __always_inline void ld_stat_inc(unsigned int cls, int what)
{
	struct stat_block *b = ld_stat_mine;
	u64 *chunk = b ? b->chunk[cls / STAT_CHUNK] : NULL;
	u64 *c;

	if (unlikely(!chunk))
		chunk = ld_stat_slow(cls);
	c = &chunk[(cls % STAT_CHUNK) * ST_NR + what];
	__atomic_store_n(c, *c + 1, __ATOMIC_RELAXED);
}
#endif

#endif /* TDXSIM_BASE_LOCKDEP_INTERNAL_H */
