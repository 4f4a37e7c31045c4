/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tdxsim's lockdep: a lock validator in the kernel's image.
 *
 * Every lock belongs to a class (one per initialisation site, named like
 * the kernel's "&kvm->mmu_lock"); every task keeps its stack of held locks;
 * every acquisition adds an edge held-class -> new-class to one global graph.
 * An edge that closes a cycle, a recursive acquisition that can deadlock, a
 * release of a lock that is not held, a task that exits holding locks, and a
 * failed lockdep_assert_held*() are reported at once, in the kernel's format,
 * to the log and to a list that tests and the CLI read.
 *
 * Read acquisitions follow the kernel's rules: rw_semaphore and rwlock_t
 * readers are non-recursive (a waiting writer blocks them), RCU/SRCU readers
 * are recursive; a cycle is reported only if it is "strong" (it has no -(*R)->
 * edge followed by a -(S*)-> edge), as in Documentation/locking/lockdep-design.
 */
#ifndef TDXSIM_BASE_LOCKDEP_H
#define TDXSIM_BASE_LOCKDEP_H

/*
 * Built with the validator (the default), or without (meson -Dlockdep=false:
 * TDXSIM_LOCKDEP=0, every annotation compiles to nothing, for throughput
 * runs). With it, it can still be switched off at run time:
 * lockdep_set_enabled(false) before a run, or TDXSIM_LOCKDEP=off in the
 * environment.
 */
#ifndef TDXSIM_LOCKDEP
#define TDXSIM_LOCKDEP 1
#endif

#include "ulib/compiler.h"

/* One per initialisation site: a static object whose address is the key. */
struct lock_class_key {
	int id;		/* 1-based class id once registered, 0 before */
};

enum lock_kind {
	LOCK_KIND_MUTEX,
	LOCK_KIND_SPINLOCK,
	LOCK_KIND_RWLOCK,
	LOCK_KIND_RWSEM,
	LOCK_KIND_SRCU,
	LOCK_KIND_RCU,
};

/* How an acquisition holds the lock. */
enum lock_usage {
	LOCK_EXCL = 0,		/* mutex, spinlock, write side */
	LOCK_SHARED = 1,	/* non-recursive read (rwsem, rwlock) */
	LOCK_SHARED_RECURSIVE = 2, /* recursive read (RCU, SRCU) */
};

/* Embedded in every lock as dep_map, as in the kernel. */
struct lockdep_map {
	struct lock_class_key *key;
	const char *name;
	enum lock_kind kind;
	/*
	 * Free mode: set once a task has slept waiting for this lock; from
	 * then on every schedule point (cond_resched()) of a task holding it
	 * counts in @progress, which the hung-task watchdog of its waiters
	 * reads: a holder in a long loop is slow, not hung.
	 */
	unsigned int watched;
	u64 progress;
};

void lockdep_init_map(struct lockdep_map *map, const char *name,
		      struct lock_class_key *key, enum lock_kind kind);

/* The acquisition site, as recorded in held-lock stacks and edges. */
struct lock_site {
	const char *file;
	int line;
	const char *func;
};

/* One static record per call site, passed by address. */
#define LOCK_SITE_HERE							\
	({								\
		static const struct lock_site __lock_site = {		\
			__FILE__, __LINE__, __func__			\
		};							\
		&__lock_site;						\
	})

struct task;

#if TDXSIM_LOCKDEP

/* True while the validator is on (switched on and not turned off by itself). */
extern bool __lockdep_on;
static inline bool lockdep_on(void)
{
	return __atomic_load_n(&__lockdep_on, __ATOMIC_RELAXED);
}

/*
 * Called by the lock primitives before they may block (@try: only a trylock)
 * and after they got the lock. @nest: a lock whose holding makes taking
 * several locks of one class legal (mutex_lock_nest_lock()).
 */
void lock_acquire(struct lockdep_map *map, enum lock_usage usage, bool try,
		  struct lockdep_map *nest, const struct lock_site *site);
void lock_acquired(struct lockdep_map *map, enum lock_usage usage,
		   struct lockdep_map *nest, const struct lock_site *site);
/*
 * Returns false (after reporting) when the lock was not held; the lock
 * primitive then leaves the lock alone.
 */
bool lock_release(struct lockdep_map *map, const struct lock_site *site);
/* A held write lock became a read lock (downgrade_write()). */
void lock_downgrade(struct lockdep_map *map, const struct lock_site *site);
/* An acquisition of @map has to wait (the kernel's lock_contended()). */
void lock_contended(const struct lockdep_map *map, enum lock_usage usage);

/*
 * The same hooks for the lock primitives' fast path: the caller has looked
 * up the current task once (@self) and checked lockdep_on().
 */
void __lock_acquire(struct task *self, struct lockdep_map *map,
		    enum lock_usage usage, bool try, struct lockdep_map *nest,
		    const struct lock_site *site);
void __lock_acquired(struct task *self, struct lockdep_map *map,
		     enum lock_usage usage, struct lockdep_map *nest,
		     const struct lock_site *site);
bool __lock_release(struct task *self, struct lockdep_map *map,
		    const struct lock_site *site);
/*
 * Report taking @map with @usage while the task holds it with @held_usage
 * by other means than the held-lock stack (an RCU read-side section): the
 * recursive-locking report, once per class.
 */
void lockdep_report_recursive_held(struct lockdep_map *map,
				   enum lock_usage held_usage,
				   enum lock_usage usage,
				   const struct lock_site *site);
/* __lock_acquire() + __lock_acquired() of a lock taken without waiting. */
void __lock_taken(struct task *self, struct lockdep_map *map,
		  enum lock_usage usage, struct lockdep_map *nest,
		  const struct lock_site *site);

/*
 * Is @map held by the current task? @usage < 0 accepts any usage;
 * otherwise it must match (LOCK_EXCL for write, LOCK_SHARED for read).
 * With the validator off it answers true (the caller is assumed right).
 */
bool lock_is_held_type(const struct lockdep_map *map, int usage);

void __lockdep_assert_failed(const struct lockdep_map *map, const char *what,
			     const struct lock_site *site);

#define __lockdep_assert(l, cond, what)					\
	do {								\
		if (lockdep_on() && !(cond))				\
			__lockdep_assert_failed(&(l)->dep_map, (what),	\
						LOCK_SITE_HERE);	\
	} while (0)

/*
 * Free mode: how many tasks sleep on a lock they set watched
 * (lockdep_free_wait_begin()/end()); while none does, a holder's schedule
 * point has nothing to count and costs one load.
 */
extern unsigned int lockdep_free_waits;

static inline void lockdep_free_wait_begin(void)
{
	__atomic_fetch_add(&lockdep_free_waits, 1, __ATOMIC_SEQ_CST);
}

static inline void lockdep_free_wait_end(void)
{
	__atomic_fetch_sub(&lockdep_free_waits, 1, __ATOMIC_RELAXED);
}

void __lockdep_note_progress(struct task *t);

/* Free mode: @t passed a schedule point; count it on its watched locks. */
static inline void lockdep_note_progress(struct task *t)
{
	if (unlikely(__atomic_load_n(&lockdep_free_waits, __ATOMIC_RELAXED)))
		__lockdep_note_progress(t);
}

#else /* !TDXSIM_LOCKDEP: the annotations compile to nothing */

static inline void lockdep_note_progress(struct task *t)
{
}

static inline void lockdep_free_wait_begin(void)
{
}

static inline void lockdep_free_wait_end(void)
{
}

static inline bool lockdep_on(void)
{
	return false;
}
static inline void lock_acquire(struct lockdep_map *map,
				enum lock_usage usage, bool try,
				struct lockdep_map *nest,
				const struct lock_site *site)
{
}
static inline void lock_acquired(struct lockdep_map *map,
				 enum lock_usage usage,
				 struct lockdep_map *nest,
				 const struct lock_site *site)
{
}
static inline bool lock_release(struct lockdep_map *map,
				const struct lock_site *site)
{
	return true;
}
static inline void lock_downgrade(struct lockdep_map *map,
				  const struct lock_site *site)
{
}
static inline void lock_contended(const struct lockdep_map *map,
				  enum lock_usage usage)
{
}
static inline void __lock_acquire(struct task *self, struct lockdep_map *map,
				  enum lock_usage usage, bool try,
				  struct lockdep_map *nest,
				  const struct lock_site *site)
{
}
static inline void __lock_acquired(struct task *self,
				   struct lockdep_map *map,
				   enum lock_usage usage,
				   struct lockdep_map *nest,
				   const struct lock_site *site)
{
}
static inline bool __lock_release(struct task *self, struct lockdep_map *map,
				  const struct lock_site *site)
{
	return true;
}
static inline void lockdep_report_recursive_held(struct lockdep_map *map,
						 enum lock_usage held_usage,
						 enum lock_usage usage,
						 const struct lock_site *site)
{
}
static inline void __lock_taken(struct task *self, struct lockdep_map *map,
				enum lock_usage usage,
				struct lockdep_map *nest,
				const struct lock_site *site)
{
}
static inline bool lock_is_held_type(const struct lockdep_map *map, int usage)
{
	return true;
}
#define __lockdep_assert(l, cond, what)	do { (void)(l); } while (0)

#endif /* TDXSIM_LOCKDEP */

#define lockdep_assert_held(l)						\
	__lockdep_assert(l, lock_is_held_type(&(l)->dep_map, -1), "held")
#define lockdep_assert_held_write(l)					\
	__lockdep_assert(l, lock_is_held_type(&(l)->dep_map, LOCK_EXCL), \
			 "held for write")
#define lockdep_assert_held_read(l)					\
	__lockdep_assert(l, lock_is_held_type(&(l)->dep_map, LOCK_SHARED), \
			 "held for read")
#define lockdep_assert_not_held(l)					\
	__lockdep_assert(l, !lock_is_held_type(&(l)->dep_map, -1),	\
			 "not held")

#define lockdep_is_held(l)	lock_is_held_type(&(l)->dep_map, -1)

/* Kinds of report the validator (and the scheduler) produce. */
enum lockdep_report_kind {
	LOCKDEP_CIRCULAR,	/* possible circular locking dependency */
	LOCKDEP_RECURSIVE,	/* possible recursive locking */
	LOCKDEP_BAD_UNLOCK,	/* bad unlock balance */
	LOCKDEP_HELD_AT_EXIT,	/* task exited with locks held */
	LOCKDEP_ASSERT,		/* lockdep_assert_held*() failed */
	LOCKDEP_DEADLOCK,	/* the scheduler saw an actual deadlock */
	LOCKDEP_HANG,		/* a wait that can never end */
	LOCKDEP_LIVELOCK,	/* step bound or livelock detector */
	LOCKDEP_BUG,		/* the validator hit a limit and turned itself off */
};

struct lockdep_report {
	enum lockdep_report_kind kind;
	char *text;		/* the whole report as printed */
	char *classes;		/* involved class names, comma separated */
};

const char *lockdep_report_kind_name(enum lockdep_report_kind kind);

/* Reports made since start or the last lockdep_reset(). */
unsigned int lockdep_nr_reports(void);
/* Report @i (0-based); NULL past the end. Valid until lockdep_reset(). */
const struct lockdep_report *lockdep_get_report(unsigned int i);
/* Count reports of @kind that name class @class_name (NULL: any). */
unsigned int lockdep_count_reports(enum lockdep_report_kind kind,
				   const char *class_name);

/*
 * Add a report made outside the validator (the scheduler's deadlock and
 * livelock verdicts). Printed to the log unless quiet.
 */
void lockdep_add_report(enum lockdep_report_kind kind, const char *classes,
			const char *text);

/* Forget the dependency graph and every report (between tests). */
void lockdep_reset(void);

/*
 * Switch the validator off or on (it is on by default). Switch it while no
 * task holds a lock (before a run): held-lock stacks recorded before it was
 * switched back on are forgotten.
 */
void lockdep_set_enabled(bool on);
/* On, and has not turned itself off (MAX_LOCK_DEPTH, MAX_LOCKDEP_KEYS). */
bool lockdep_enabled(void);
/*
 * "on", "off" (switched off), "off-after-bug" (it turned itself off) or
 * "not-built" (-Dlockdep=false).
 */
const char *lockdep_state_name(void);

/* Do not print reports to the log (they are still recorded). */
void lockdep_set_quiet(bool quiet);

/*
 * Acquisition counts per class: every acquisition the validator sees (read:
 * shared and recursive-read; write: exclusive; trylocks that succeed
 * included) and every acquisition that had to wait for the lock
 * (contention), since the process started or the last reset. Counted only
 * while the validator is on.
 */
struct lockdep_class_stats {
	const char *name;
	enum lock_kind kind;
	u64 acquisitions_read;
	u64 acquisitions_write;
	u64 contentions_read;
	u64 contentions_write;
};

/*
 * The counts of the class named @name (summed over every class of that name:
 * one per initialisation site). Returns 0, or -ENOENT if there is none.
 */
int lockdep_class_stats(const char *name, struct lockdep_class_stats *st);
/*
 * Iterate over every class: start with *@pos = 0; each call fills @st with
 * the next class and returns true, or returns false after the last one.
 */
bool lockdep_class_stats_next(unsigned int *pos,
			      struct lockdep_class_stats *st);
/* Start every count from zero again (lockdep_reset() does it too). */
void lockdep_reset_class_stats(void);

/* Number of distinct classes and edges in the graph (for tests and stats). */
unsigned int lockdep_nr_classes(void);
unsigned int lockdep_nr_edges(void);

/*
 * Write the class-dependency graph to @f in Graphviz's DOT: a node per
 * class on an edge, each edge labelled with the acquisitions that first
 * made it, reported cycles' edges (and recursions, as self-loops) in red.
 * Returns 0, -EIO when writing failed, -EOPNOTSUPP without the validator.
 */
#include <stdio.h>
int lockdep_graph_write(FILE *f);

/*
 * Append the held locks of task @t (NULL: the current task) to @sb in the
 * kernel's shape ("N locks held by name/id:"). Used by reports and the scheduler.
 */
struct strbuf;
void lockdep_print_held_locks(struct strbuf *sb, const struct task *t);
/*
 * Held-lock slots of task @t (NULL: the current one), 0 when lockdep is off;
 * an RCU read-side section counts as one.
 */
int lockdep_task_depth(const struct task *t);

#endif /* TDXSIM_BASE_LOCKDEP_H */
