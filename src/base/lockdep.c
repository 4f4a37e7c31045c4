// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tdxsim's lockdep: the switch that turns it on and off, and the hooks the
 * lock primitives call. The classes and the dependency graph (and what a
 * cycle in it means) are in lockdep_graph.c, the reports in
 * lockdep_report.c, the per-class acquisition counts in lockdep_stats.c;
 * what they share is in lockdep_internal.h.
 *
 * Fast path: the lock primitives look the current task up once and, for a
 * lock taken without waiting, make one call (__lock_taken()) that checks
 * recursion against the held-lock stack, tests a per-pair bitmap for a
 * known edge (one lock-free byte test; the graph mutex is taken only for a
 * new edge) and pushes the held lock. Nothing is checked when nothing is
 * held. RCU readers are not on the stack (base/rcu_urcu.c).
 *
 * Nest locks (mutex_lock_nest_lock()): instances of one class taken under a
 * held nest lock share one held-lock slot with a reference count, as in the
 * kernel. When the stack overflows anyway, or classes run out, the validator
 * reports once and turns itself off (the kernel's debug_locks_off()).
 *
 * Built with -Dlockdep=false (TDXSIM_LOCKDEP=0) only the reports, classes
 * and statistics API are here; the hooks compile to nothing (lockdep.h).
 */
#include <stdlib.h>
#include <string.h>

#include "base/lockdep_internal.h"
#include "base/log.h"

static bool ld_enabled = TDXSIM_LOCKDEP; /* the switch (lockdep_set_enabled()) */
static bool ld_debug_locks = true; /* cleared when the validator gives up */
#if TDXSIM_LOCKDEP
/* ld_enabled && ld_debug_locks: the one flag the fast paths read. */
bool __lockdep_on = true;
#endif
/* Generation of the held-lock stacks (lockdep_internal.h). */
unsigned int ld_gen = 1;

static void ld_update_on(void)
{
#if TDXSIM_LOCKDEP
	__atomic_store_n(&__lockdep_on,
			 __atomic_load_n(&ld_enabled, __ATOMIC_RELAXED) &&
			 __atomic_load_n(&ld_debug_locks, __ATOMIC_RELAXED),
			 __ATOMIC_RELAXED);
#endif
}

void lockdep_set_enabled(bool on)
{
	if (!TDXSIM_LOCKDEP)
		return;
	if (on && !__atomic_load_n(&ld_enabled, __ATOMIC_RELAXED))
		__atomic_add_fetch(&ld_gen, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&ld_enabled, on, __ATOMIC_RELAXED);
	ld_update_on();
}

bool lockdep_enabled(void)
{
	return lockdep_on();
}

const char *lockdep_state_name(void)
{
	if (!TDXSIM_LOCKDEP)
		return "not-built";
	if (!__atomic_load_n(&ld_enabled, __ATOMIC_RELAXED))
		return "off";
	if (!__atomic_load_n(&ld_debug_locks, __ATOMIC_RELAXED))
		return "off-after-bug";
	return "on";
}

/*
 * TDXSIM_LOCKDEP=off (or 0, no, false) in the environment switches the
 * validator off from the start, for throughput runs of any program.
 */
__attribute__((constructor)) static void lockdep_env(void)
{
	const char *e = getenv("TDXSIM_LOCKDEP");

	if (e && (!strcmp(e, "off") || !strcmp(e, "0") || !strcmp(e, "no") ||
		  !strcmp(e, "false")))
		lockdep_set_enabled(false);
}

/* Empty @t's held-lock stack if it is stale (see ld_gen). */
static __always_inline void ld_fresh(struct task *t)
{
	unsigned int gen = __atomic_load_n(&ld_gen, __ATOMIC_RELAXED);

	if (unlikely(t->lockdep_gen != gen)) {
		t->depth = 0;
		t->lockdep_gen = gen;
	}
}

/* The current task, its held-lock stack emptied if it is stale. */
static __maybe_unused struct task *ld_current(void)
{
	struct task *t = current_task();

	ld_fresh(t);
	return t;
}

unsigned int lockdep_free_waits;

void __lockdep_note_progress(struct task *t)
{
	int i;

	if (!t || !lockdep_on() ||
	    t->lockdep_gen != __atomic_load_n(&ld_gen, __ATOMIC_RELAXED))
		return;
	for (i = 0; i < t->depth; i++) {
		struct lockdep_map *map = t->held[i].map;

		/* A merged slot's first instance may be gone: skip those. */
		if (!t->held[i].references &&
		    __atomic_load_n(&map->watched, __ATOMIC_RELAXED))
			__atomic_fetch_add(&map->progress, 1, __ATOMIC_RELAXED);
	}
}

int lockdep_task_depth(const struct task *t)
{
	int rcu;

	if (!t)
		t = current_task();
	rcu = __atomic_load_n(&t->rcu_nesting, __ATOMIC_RELAXED) > 0;
	if (t->lockdep_gen != __atomic_load_n(&ld_gen, __ATOMIC_RELAXED) ||
	    !lockdep_enabled())
		return rcu;
	return t->depth + rcu;
}

void lockdep_reset(void)
{
	pthread_mutex_lock(&ld_graph_lock);
	ld_graph_clear();
	__atomic_store_n(&ld_debug_locks, true, __ATOMIC_RELAXED);
	ld_update_on();
	__atomic_add_fetch(&ld_gen, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&ld_graph_lock);

	lockdep_reset_class_stats();
	ld_reports_clear();
}

#if TDXSIM_LOCKDEP

/* --- giving up ---------------------------------------------------------- */

/*
 * The kernel's debug_locks_off(): the validator hit one of its own limits.
 * Say so once and switch it off for the process (every hook then returns at
 * once, so the locks themselves go on working); lockdep_reset() re-arms it.
 */
void ld_debug_locks_off(const char *why, struct task *self)
{
	struct strbuf sb = STRBUF_INIT;

	if (!__atomic_exchange_n(&ld_debug_locks, false, __ATOMIC_RELAXED))
		return;
	ld_update_on();
	sb_printf(&sb, "%s\nturning off the locking correctness validator.\n",
		  why);
	if (self) {
		sb_printf(&sb, "depth: %d  max: %d!\n", self->depth,
			  MAX_LOCK_DEPTH);
		sb_printf(&sb, "%s/%d holds:\n", self->name, self->id);
		/* lockdep_task_depth() says 0 now: print the stack itself. */
		for (int i = 0; i < self->depth; i++)
			ld_print_held(&sb, &self->held[i], i);
	}
	__lockdep_add_report(LOCKDEP_BUG, "", sb_str(&sb), true);
	sb_free(&sb);
}

/* --- the hooks the lock primitives call ---------------------------------- */

static bool nest_held(struct task *self, const struct lockdep_map *nest)
{
	int i;

	for (i = 0; i < self->depth; i++)
		if (self->held[i].map == nest)
			return true;
	return false;
}

static void report_nest_not_held(struct task *self, struct lockdep_map *map,
				 struct lockdep_map *nest,
				 const struct lock_site *site)
{
	struct strbuf sb = STRBUF_INIT;

	sb_printf(&sb, "==================================\n"
		       "WARNING: Nested lock was not taken\n"
		       "----------------------------------\n"
		       "%s/%d is trying to lock:\n (%s), at: ",
		  self->name, self->id, map->name);
	ld_print_site(&sb, site);
	sb_printf(&sb, "\n\nbut this task is not holding:\n%s\n\n",
		  nest->name);
	lockdep_print_held_locks(&sb, self);
	__lockdep_add_report(LOCKDEP_ASSERT, nest->name, sb_str(&sb), true);
	sb_free(&sb);
}

/* Validate an acquisition of class @cls (self's stack is fresh). */
static __always_inline void ld_validate(struct task *self,
					struct lockdep_map *map, int cls,
					enum lock_usage usage, bool try,
					struct lockdep_map **nestp,
					const struct lock_site *site)
{
	struct lockdep_map *nest = *nestp;
	int i;

	/* Nothing held: nothing to check (a nest lock must be held, though). */
	if (!self->depth && !nest)
		return;
	if (nest && !nest_held(self, nest)) {
		report_nest_not_held(self, map, nest, site);
		*nestp = nest = NULL;
	}

	/* Recursion on one class. */
	for (i = self->depth - 1; i >= 0; i--) {
		struct held_lock *h = &self->held[i];
		bool bad;

		if (h->class_id != cls)
			continue;
		/* Recursive readers may nest inside readers. */
		bad = !(usage == LOCK_SHARED_RECURSIVE &&
			h->usage != LOCK_EXCL);
		if (bad && try)
			bad = false;
		/* Instances of one class, serialised by a held nest lock. */
		if (bad && nest)
			bad = false;
		if (bad && ld_first_recursion(cls))
			ld_report_recursive(self, h, map, usage, site);
		break;
	}
	if (try)
		return;

	/* Dependency from the most recent held lock. */
	if (self->depth) {
		struct held_lock *h = &self->held[self->depth - 1];
		u8 type = (h->usage != LOCK_EXCL ? EDGE_S : 0) |
			  (usage == LOCK_SHARED_RECURSIVE ? EDGE_R : 0);

		/* A known edge is one lock-free byte test. */
		if (h->class_id != cls &&
		    !(__atomic_load_n(&ld_edge_bits[h->class_id][cls],
				      __ATOMIC_RELAXED) & (1u << type)))
			ld_add_edge(self, h, map, usage, site, cls);
	}
}

void __lock_acquire(struct task *self, struct lockdep_map *map,
		    enum lock_usage usage, bool try, struct lockdep_map *nest,
		    const struct lock_site *site)
{
	int cls = map_class(map);

	if (!cls)
		return;
	ld_fresh(self);
	ld_validate(self, map, cls, usage, try, &nest, site);
}

void lock_acquire(struct lockdep_map *map, enum lock_usage usage, bool try,
		  struct lockdep_map *nest, const struct lock_site *site)
{
	if (lockdep_on())
		__lock_acquire(current_task(), map, usage, try, nest, site);
}

/* Record an acquisition of class @cls (self's stack is fresh). */
static __always_inline void ld_record(struct task *self, struct lockdep_map *map,
			     int cls, enum lock_usage usage,
			     struct lockdep_map *nest,
			     const struct lock_site *site)
{
	struct held_lock *h;

	ld_stat_inc(cls, usage == LOCK_EXCL ? ST_ACQ_WRITE : ST_ACQ_READ);
	/*
	 * Another instance of the class on top of the stack, under a held
	 * nest lock: one slot for all of them, with a reference count (the
	 * kernel's hlock->references).
	 */
	if (nest && self->depth) {
		h = &self->held[self->depth - 1];
		if (h->class_id == cls && h->usage == usage &&
		    nest_held(self, nest)) {
			h->references = (h->references ? h->references : 1) + 1;
			return;
		}
	}
	if (self->depth >= MAX_LOCK_DEPTH) {
		ld_debug_locks_off("BUG: MAX_LOCK_DEPTH too low!", self);
		return;
	}
	h = &self->held[self->depth++];
	h->map = map;
	h->class_id = cls;
	h->usage = usage;
	h->references = 0;
	h->site = site;
}

void __lock_acquired(struct task *self, struct lockdep_map *map,
		     enum lock_usage usage, struct lockdep_map *nest,
		     const struct lock_site *site)
{
	int cls = map_class(map);

	if (!cls)
		return;
	ld_fresh(self);
	ld_record(self, map, cls, usage, nest, site);
}

void __lock_taken(struct task *self, struct lockdep_map *map,
		  enum lock_usage usage, struct lockdep_map *nest,
		  const struct lock_site *site)
{
	int cls = map_class(map);

	if (!cls)
		return;
	ld_fresh(self);
	ld_validate(self, map, cls, usage, false, &nest, site);
	ld_record(self, map, cls, usage, nest, site);
}

void lock_acquired(struct lockdep_map *map, enum lock_usage usage,
		   struct lockdep_map *nest, const struct lock_site *site)
{
	if (lockdep_on())
		__lock_acquired(current_task(), map, usage, nest, site);
}

/*
 * The held-lock slot of @map: its own, or (the kernel's match_held_lock())
 * a slot that holds several instances of its class under a nest lock.
 */
static int find_held(struct task *self, const struct lockdep_map *map)
{
	int i, cls;

	for (i = self->depth - 1; i >= 0; i--)
		if (self->held[i].map == map)
			return i;
	cls = map_class(map);
	for (i = self->depth - 1; i >= 0; i--)
		if (self->held[i].references && self->held[i].class_id == cls)
			return i;
	return -1;
}

bool __lock_release(struct task *self, struct lockdep_map *map,
		    const struct lock_site *site)
{
	struct held_lock *h;
	int i;

	if (!map->key)
		return true;
	ld_fresh(self);
	/* The common case: the most recent lock, taken alone. */
	if (likely(self->depth) &&
	    self->held[self->depth - 1].map == map &&
	    !self->held[self->depth - 1].references) {
		self->depth--;
		return true;
	}
	i = find_held(self, map);
	if (i >= 0) {
		h = &self->held[i];
		/* Other instances may stay held through the slot. */
		if (h->references && --h->references)
			return true;
		memmove(&self->held[i], &self->held[i + 1],
			(self->depth - i - 1) * sizeof(self->held[0]));
		self->depth--;
		return true;
	}

	{
		struct strbuf sb = STRBUF_INIT;

		sb_printf(&sb, "=====================================\n"
			       "WARNING: bad unlock balance detected!\n"
			       "-------------------------------------\n"
			       "%s/%d is trying to release lock (%s) at:\n ",
			  self->name, self->id, map->name);
		ld_print_site(&sb, site);
		sb_printf(&sb, "\nbut there are no more locks to release!\n\n"
			       "other info that might help us debug this:\n");
		lockdep_print_held_locks(&sb, self);
		__lockdep_add_report(LOCKDEP_BAD_UNLOCK, map->name,
				     sb_str(&sb), true);
		sb_free(&sb);
	}
	return false;
}

bool lock_release(struct lockdep_map *map, const struct lock_site *site)
{
	if (!lockdep_on())
		return true;
	return __lock_release(current_task(), map, site);
}

void lock_downgrade(struct lockdep_map *map, const struct lock_site *site)
{
	struct task *self;
	int i;

	if (!lockdep_on() || !map->key)
		return;
	self = ld_current();
	i = find_held(self, map);
	if (i >= 0)
		self->held[i].usage = LOCK_SHARED;
}

bool lock_is_held_type(const struct lockdep_map *map, int usage)
{
	struct task *self;
	const struct held_lock *h;
	int i;

	/* With the validator off, assume the caller is right. */
	if (!lockdep_on())
		return true;
	self = ld_current();
	/* Asserts mostly name the most recent lock. */
	if (self->depth && self->held[self->depth - 1].map == map)
		i = self->depth - 1;
	else
		i = find_held(self, map);
	if (i < 0)
		return false;
	h = &self->held[i];
	if (usage < 0)
		return true;
	if (usage == LOCK_EXCL)
		return h->usage == LOCK_EXCL;
	return h->usage != LOCK_EXCL;
}

void __lockdep_assert_failed(const struct lockdep_map *map, const char *what,
			     const struct lock_site *site)
{
	struct task *self = current_task();
	struct strbuf sb = STRBUF_INIT;

	sb_printf(&sb, "------------[ cut here ]------------\n"
		       "WARNING: lockdep_assert failed: %s is %s%s at ",
		  map->name, strcmp(what, "not held") ? "not " : "",
		  strcmp(what, "not held") ? what : "held");
	ld_print_site(&sb, site);
	sb_printf(&sb, "\n");
	lockdep_print_held_locks(&sb, self);
	__lockdep_add_report(LOCKDEP_ASSERT, map->name, sb_str(&sb), true);
	sb_free(&sb);
}

#endif /* TDXSIM_LOCKDEP */
