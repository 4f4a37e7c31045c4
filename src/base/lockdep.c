// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tdxsim's lockdep.
 *
 * Classes: one per struct lock_class_key (one per initialisation site).
 * Graph: an edge A -> B is recorded when a task acquires a lock of class B
 * while the top of its held-lock stack (skipping trylocks) is of class A.
 * Each edge carries the kernel's dependency type: whether A was held shared
 * (S) or exclusive (E), and whether B was acquired as a recursive reader (R)
 * or not (N). A new edge that closes a *strong* cycle - one with no -(*R)->
 * edge followed by a -(S*)-> edge - is a possible deadlock and is reported
 * at once, whether or not the two orders ever ran at the same time.
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
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/lockdep.h"
#include "base/log.h"
#include "base/sched.h"
#include "base/sched_internal.h"
#include "ulib/strbuf.h"

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

static pthread_mutex_t graph_lock = PTHREAD_MUTEX_INITIALIZER;
static struct lock_class classes[MAX_CLASSES + 1];
static int nr_classes;
static u8 edge_bits[MAX_CLASSES + 1][MAX_CLASSES + 1];
static struct edge_list out_edges[MAX_CLASSES + 1];
static unsigned int nr_edges;
static char **reported_cycles;
static unsigned int nr_reported_cycles;

static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
static struct lockdep_report *reports;
static unsigned int nr_reports;
static unsigned int cap_reports;

static bool ld_enabled = TDXSIM_LOCKDEP; /* the switch (lockdep_set_enabled()) */
static bool ld_debug_locks = true; /* cleared when the validator gives up */
static bool ld_quiet;
#if TDXSIM_LOCKDEP
/* ld_enabled && ld_debug_locks: the one flag the fast paths read. */
bool __lockdep_on = true;
#endif
/*
 * Generation of the held-lock stacks: bumped whenever the validator is
 * switched back on or reset, so a stack recorded before (while the locks
 * were released unseen) is forgotten instead of read.
 */
static unsigned int ld_gen = 1;

static const char *const usage_name[] = {
	[LOCK_EXCL] = "write",
	[LOCK_SHARED] = "read",
	[LOCK_SHARED_RECURSIVE] = "recursive-read",
};

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

void lockdep_set_quiet(bool quiet)
{
	__atomic_store_n(&ld_quiet, quiet, __ATOMIC_RELAXED);
}

const char *lockdep_report_kind_name(enum lockdep_report_kind kind)
{
	switch (kind) {
	case LOCKDEP_CIRCULAR:
		return "circular";
	case LOCKDEP_RECURSIVE:
		return "recursive";
	case LOCKDEP_BAD_UNLOCK:
		return "bad-unlock";
	case LOCKDEP_HELD_AT_EXIT:
		return "held-at-exit";
	case LOCKDEP_ASSERT:
		return "assert";
	case LOCKDEP_DEADLOCK:
		return "deadlock";
	case LOCKDEP_HANG:
		return "hang";
	case LOCKDEP_LIVELOCK:
		return "livelock";
	case LOCKDEP_BUG:
		return "lockdep-bug";
	}
	return "?";
}

/* --- reports ---------------------------------------------------------------- */

void __lockdep_add_report(enum lockdep_report_kind kind, const char *classes_s,
			  const char *text, bool print)
{
	pthread_mutex_lock(&report_lock);
	if (nr_reports == cap_reports) {
		cap_reports = cap_reports ? cap_reports * 2 : 16;
		reports = xrealloc(reports, cap_reports * sizeof(*reports));
	}
	reports[nr_reports].kind = kind;
	reports[nr_reports].text = xstrdup(text);
	reports[nr_reports].classes = xstrdup(classes_s ? classes_s : "");
	nr_reports++;
	pthread_mutex_unlock(&report_lock);
	if (print && !__atomic_load_n(&ld_quiet, __ATOMIC_RELAXED))
		pr_warn("\n%s\n", text);
}

void lockdep_add_report(enum lockdep_report_kind kind, const char *classes_s,
			const char *text)
{
	__lockdep_add_report(kind, classes_s, text, true);
}

unsigned int lockdep_nr_reports(void)
{
	unsigned int n;

	pthread_mutex_lock(&report_lock);
	n = nr_reports;
	pthread_mutex_unlock(&report_lock);
	return n;
}

const struct lockdep_report *lockdep_get_report(unsigned int i)
{
	const struct lockdep_report *r = NULL;

	pthread_mutex_lock(&report_lock);
	if (i < nr_reports)
		r = &reports[i];
	pthread_mutex_unlock(&report_lock);
	return r;
}

static bool class_list_has(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	while ((p = strstr(p, name))) {
		if ((p == list || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return true;
		p += n;
	}
	return false;
}

unsigned int lockdep_count_reports(enum lockdep_report_kind kind,
				   const char *class_name)
{
	unsigned int i, n = 0;

	pthread_mutex_lock(&report_lock);
	for (i = 0; i < nr_reports; i++) {
		if (reports[i].kind != kind)
			continue;
		if (class_name && !class_list_has(reports[i].classes,
						  class_name))
			continue;
		n++;
	}
	pthread_mutex_unlock(&report_lock);
	return n;
}

void lockdep_reset(void)
{
	unsigned int i;
	int c;

	pthread_mutex_lock(&graph_lock);
	/*
	 * Every run of an exploration starts here: clear only the bits of the
	 * edges there are, and keep the lists' memory, rather than 256 KiB of
	 * bitmap and a free() per class.
	 */
	for (c = 0; c <= nr_classes; c++) {
		struct edge_list *l = &out_edges[c];

		for (i = 0; i < (unsigned int)l->n; i++)
			__atomic_store_n(&edge_bits[c][l->e[i].to], 0,
					 __ATOMIC_RELAXED);
		l->n = 0;
		classes[c].recursion_reported = false;
	}
	nr_edges = 0;
	__atomic_store_n(&ld_debug_locks, true, __ATOMIC_RELAXED);
	ld_update_on();
	__atomic_add_fetch(&ld_gen, 1, __ATOMIC_RELAXED);
	for (i = 0; i < nr_reported_cycles; i++)
		free(reported_cycles[i]);
	free(reported_cycles);
	reported_cycles = NULL;
	nr_reported_cycles = 0;
	pthread_mutex_unlock(&graph_lock);

	lockdep_reset_class_stats();

	pthread_mutex_lock(&report_lock);
	for (i = 0; i < nr_reports; i++) {
		free(reports[i].text);
		free(reports[i].classes);
	}
	free(reports);
	reports = NULL;
	nr_reports = cap_reports = 0;
	pthread_mutex_unlock(&report_lock);
}

unsigned int lockdep_nr_classes(void)
{
	unsigned int n;

	pthread_mutex_lock(&graph_lock);
	n = nr_classes;
	pthread_mutex_unlock(&graph_lock);
	return n;
}

unsigned int lockdep_nr_edges(void)
{
	unsigned int n;

	pthread_mutex_lock(&graph_lock);
	n = nr_edges;
	pthread_mutex_unlock(&graph_lock);
	return n;
}

/* --- classes -------------------------------------------------------------- */

#if TDXSIM_LOCKDEP
static void debug_locks_off(const char *why, struct task *self);
#endif

void lockdep_init_map(struct lockdep_map *map, const char *name,
		      struct lock_class_key *key, enum lock_kind kind)
{
	map->key = key;
	map->name = name;
	map->kind = kind;
	if (__atomic_load_n(&key->id, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&graph_lock);
	if (!key->id) {
		if (nr_classes >= MAX_CLASSES) {
			pthread_mutex_unlock(&graph_lock);
#if TDXSIM_LOCKDEP
			debug_locks_off("BUG: MAX_LOCKDEP_KEYS too low!",
					NULL);
#endif
			return;
		}
		classes[nr_classes + 1].name = name;
		classes[nr_classes + 1].kind = kind;
		__atomic_store_n(&nr_classes, nr_classes + 1, __ATOMIC_RELEASE);
		__atomic_store_n(&key->id, nr_classes, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&graph_lock);
}

static __always_inline int map_class(const struct lockdep_map *map)
{
	return map->key ? __atomic_load_n(&map->key->id, __ATOMIC_ACQUIRE) : 0;
}

static const char *class_name(int id)
{
	return id > 0 && id <= MAX_CLASSES && classes[id].name ?
		       classes[id].name : "?";
}

/* --- acquisition counts per class ------------------------------------------ */

/*
 * Acquisitions (read and write) and contentions of every class, for the
 * statistics (issue 13: how often the fault path takes mmu_lock for write).
 * Each thread counts into a block of its own, so counting is a plain
 * increment of a line no other CPU writes; a reader sums the blocks. A block
 * outlives its thread: at exit the thread retires it, and the next new
 * thread adopts a retired block and goes on adding to its counts, so sums
 * stay right and the blocks do not grow with the number of threads that
 * ever ran. Blocks are allocated a chunk of 64 classes at a time.
 */
#define STAT_CHUNK	64
#define STAT_NR_CHUNKS	((MAX_CLASSES + STAT_CHUNK) / STAT_CHUNK)

enum { ST_ACQ_READ, ST_ACQ_WRITE, ST_CON_READ, ST_CON_WRITE, ST_NR };

struct stat_block {
	struct stat_block *next;	/* every block, for the readers */
	struct stat_block *next_free;	/* retired blocks */
	u64 *chunk[STAT_NR_CHUNKS];	/* [STAT_CHUNK][ST_NR] each */
};

static pthread_mutex_t stat_lock = PTHREAD_MUTEX_INITIALIZER;
static struct stat_block *stat_blocks;
static u64 stat_base[MAX_CLASSES + 1][ST_NR];	/* at the last reset */

#if TDXSIM_LOCKDEP
static struct stat_block *stat_free;
static pthread_key_t stat_key;
static pthread_once_t stat_once = PTHREAD_ONCE_INIT;
static __thread struct stat_block *stat_mine;

static void stat_retire(void *p)
{
	struct stat_block *b = p;

	stat_mine = NULL;
	pthread_mutex_lock(&stat_lock);
	b->next_free = stat_free;
	stat_free = b;
	pthread_mutex_unlock(&stat_lock);
}

static void stat_key_init(void)
{
	pthread_key_create(&stat_key, stat_retire);
}

static noinline u64 *stat_slow(int cls)
{
	struct stat_block *b = stat_mine;
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
		stat_mine = b;
	}
	chunk = b->chunk[cls / STAT_CHUNK];
	if (!chunk) {
		chunk = xzalloc(STAT_CHUNK * ST_NR * sizeof(u64));
		__atomic_store_n(&b->chunk[cls / STAT_CHUNK], chunk,
				 __ATOMIC_RELEASE);
	}
	return chunk;
}

/* Count one event of class @cls; only this thread writes its block. */
static __always_inline void stat_inc(unsigned int cls, int what)
{
	struct stat_block *b = stat_mine;
	u64 *chunk = b ? b->chunk[cls / STAT_CHUNK] : NULL;
	u64 *c;

	if (unlikely(!chunk))
		chunk = stat_slow(cls);
	c = &chunk[(cls % STAT_CHUNK) * ST_NR + what];
	__atomic_store_n(c, *c + 1, __ATOMIC_RELAXED);
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

	int n = __atomic_load_n(&nr_classes, __ATOMIC_ACQUIRE);

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
	int cls, n = __atomic_load_n(&nr_classes, __ATOMIC_ACQUIRE);
	bool found = false;

	memset(st, 0, sizeof(*st));
	for (cls = 1; cls <= n; cls++) {
		if (strcmp(classes[cls].name, name))
			continue;
		if (!found) {
			st->name = classes[cls].name;
			st->kind = classes[cls].kind;
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

	if (cls > __atomic_load_n(&nr_classes, __ATOMIC_ACQUIRE))
		return false;
	memset(st, 0, sizeof(*st));
	st->name = classes[cls].name;
	st->kind = classes[cls].kind;
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
		stat_inc(cls, usage == LOCK_EXCL ? ST_CON_WRITE : ST_CON_READ);
}
#endif

/* --- printing helpers ------------------------------------------------------- */

static void print_site(struct strbuf *sb, const struct lock_site *site)
{
	struct lock_site s = site ? *site : (struct lock_site){ NULL, 0, NULL };
	const char *f = s.file ? strrchr(s.file, '/') : NULL;

	sb_printf(sb, "%s (%s:%d)", s.func ? s.func : "?",
		  f ? f + 1 : (s.file ? s.file : "?"), s.line);
}

static void print_held(struct strbuf *sb, const struct held_lock *h, int i)
{
	/* The class's name: a merged slot's first instance may be gone. */
	sb_printf(sb, " #%d: (%s){%s}", i, class_name(h->class_id),
		  usage_name[h->usage]);
	if (h->references)
		sb_printf(sb, " x%u", h->references);
	sb_printf(sb, ", at: ");
	print_site(sb, h->site);
	sb_printf(sb, "\n");
}

void lockdep_print_held_locks(struct strbuf *sb, const struct task *t)
{
	int i, depth, rcu, n;

	if (!t)
		t = current_task();
	depth = lockdep_enabled() &&
		t->lockdep_gen == __atomic_load_n(&ld_gen, __ATOMIC_RELAXED) ?
		t->depth : 0;
	/* RCU readers are not on the stack: the nesting counter says it. */
	rcu = __atomic_load_n(&t->rcu_nesting, __ATOMIC_RELAXED);
	n = depth + (rcu > 0);
	if (!n) {
		sb_printf(sb, "no locks held by %s/%d.\n", t->name, t->id);
		return;
	}
	sb_printf(sb, "%d lock%s held by %s/%d:\n", n, n > 1 ? "s" : "",
		  t->name, t->id);
	for (i = 0; i < depth; i++)
		print_held(sb, &t->held[i], i);
	if (rcu > 0) {
		sb_printf(sb, " #%d: (rcu_read_lock){recursive-read}", depth);
		if (rcu > 1)
			sb_printf(sb, " x%d", rcu);
		sb_printf(sb, "\n");
	}
}

#if TDXSIM_LOCKDEP

/* --- the graph ---------------------------------------------------------- */

static struct lock_edge *find_edge(int from, int to, int type)
{
	struct edge_list *l = &out_edges[from];
	int i;

	for (i = 0; i < l->n; i++)
		if (l->e[i].to == to && (type < 0 || l->e[i].type == type))
			return &l->e[i];
	return NULL;
}

struct bfs_state {
	int prev;	/* previous state index, -1 at the start */
	u8 type;	/* type of the edge that reached this state */
	u32 seen;	/* the search that reached it (bfs_gen) */
};

/*
 * Is there a strong path from @src to @dst, given that it is entered through
 * the new edge (whose type is @newtype) and closes back into it? On success
 * fill @path with the class ids from @src to @dst and @types with the edge
 * types between them; return the number of classes on the path.
 */
static int find_strong_path(int src, int dst, u8 newtype, int *path,
			    u8 *types, int max)
{
	static struct bfs_state st[(MAX_CLASSES + 1) * 2];
	static int queue[(MAX_CLASSES + 1) * 2];
	static u32 bfs_gen;	/* a state is seen when st[].seen == bfs_gen */
	int head = 0, tail = 0, s0, found = -1, n, i, cur;

	/* A new generation instead of clearing 8 KiB per new edge. */
	if (++bfs_gen == 0) {
		memset(st, 0, sizeof(st));
		bfs_gen = 1;
	}
	s0 = src * 2 + !!(newtype & EDGE_R);
	st[s0].seen = bfs_gen;
	st[s0].prev = -1;
	queue[tail++] = s0;

	while (head < tail && found < 0) {
		int s = queue[head++];
		int c = s / 2;
		bool last_r = s & 1;
		struct edge_list *l = &out_edges[c];

		for (i = 0; i < l->n; i++) {
			struct lock_edge *e = &l->e[i];
			int ns;

			/* -(*R)-> followed by -(S*)-> is not strong. */
			if (last_r && (e->type & EDGE_S))
				continue;
			ns = e->to * 2 + !!(e->type & EDGE_R);
			if (st[ns].seen == bfs_gen)
				continue;
			st[ns].seen = bfs_gen;
			st[ns].prev = s;
			st[ns].type = e->type;
			if (e->to == dst) {
				/* Closing into the new edge must be strong too. */
				if ((e->type & EDGE_R) && (newtype & EDGE_S))
					continue;
				found = ns;
				break;
			}
			queue[tail++] = ns;
		}
	}
	if (found < 0)
		return 0;

	/* Walk back to build the path src .. dst. */
	n = 0;
	for (cur = found; cur >= 0; cur = st[cur].prev)
		n++;
	if (n > max)
		n = max;
	i = n - 1;
	for (cur = found; cur >= 0 && i >= 0; cur = st[cur].prev, i--) {
		path[i] = cur / 2;
		types[i] = st[cur].type;
	}
	return n;
}

static bool cycle_reported(const int *path, int n, int extra)
{
	int ids[64], m = 0, i, j;
	struct strbuf sb = STRBUF_INIT;
	char *key;
	unsigned int k;

	for (i = 0; i < n && m < 63; i++)
		ids[m++] = path[i];
	ids[m++] = extra;
	/* Sort and drop duplicates to make a key. */
	for (i = 0; i < m; i++)
		for (j = i + 1; j < m; j++)
			if (ids[j] < ids[i]) {
				int t = ids[i];

				ids[i] = ids[j];
				ids[j] = t;
			}
	for (i = 0; i < m; i++)
		if (!i || ids[i] != ids[i - 1])
			sb_printf(&sb, "%d,", ids[i]);
	key = sb_detach(&sb);
	for (k = 0; k < nr_reported_cycles; k++)
		if (!strcmp(reported_cycles[k], key)) {
			free(key);
			return true;
		}
	reported_cycles = xrealloc(reported_cycles,
				   (nr_reported_cycles + 1) * sizeof(char *));
	reported_cycles[nr_reported_cycles++] = key;
	return false;
}

static void report_circular(struct task *self, const struct held_lock *held,
			    struct lockdep_map *map, enum lock_usage usage,
			    const struct lock_site *site, const int *path,
			    const u8 *types, int n)
{
	struct strbuf sb = STRBUF_INIT, cls = STRBUF_INIT;
	int i;
	const char *parent;

	sb_printf(&sb, "======================================================\n"
		       "WARNING: possible circular locking dependency detected\n"
		       "------------------------------------------------------\n");
	sb_printf(&sb, "%s/%d is trying to acquire lock:\n (%s){%s}, at: ",
		  self->name, self->id, map->name, usage_name[usage]);
	print_site(&sb, site);
	sb_printf(&sb, "\n\nbut task is already holding lock:\n (%s){%s}, at: ",
		  class_name(held->class_id), usage_name[held->usage]);
	print_site(&sb, held->site);
	sb_printf(&sb, "\n\nwhich lock already depends on the new lock.\n\n"
		       "the existing dependency chain (in reverse order) is:\n");
	/* path[0] is the new lock's class, path[n-1] the held lock's class. */
	for (i = n - 1; i >= 1; i--) {
		struct lock_edge *e = find_edge(path[i - 1], path[i],
						types[i]);

		sb_printf(&sb, "\n-> #%d (%s):\n", i, class_name(path[i]));
		if (e) {
			sb_printf(&sb, "       acquired at ");
			print_site(&sb, e->to_site);
			sb_printf(&sb, "\n       while holding %s taken at ",
				  class_name(path[i - 1]));
			print_site(&sb, e->from_site);
			sb_printf(&sb, "\n       (by task %s)\n", e->task);
		}
	}
	sb_printf(&sb, "\n-> #0 (%s):\n       acquired at ", map->name);
	print_site(&sb, site);
	sb_printf(&sb, "\n       while holding %s taken at ",
		  class_name(held->class_id));
	print_site(&sb, held->site);
	sb_printf(&sb, "\n       (by task %s/%d)\n", self->name, self->id);

	parent = n >= 2 ? class_name(path[n - 2]) : map->name;
	sb_printf(&sb, "\nother info that might help us debug this:\n\n");
	if (n > 2)
		sb_printf(&sb, "Chain exists of:\n  %s --> %s --> %s\n\n",
			  class_name(held->class_id), parent, map->name);
	sb_printf(&sb, " Possible unsafe locking scenario:\n\n"
		       "       CPU0                    CPU1\n"
		       "       ----                    ----\n");
	sb_printf(&sb, "  lock(%s);\n", class_name(held->class_id));
	sb_printf(&sb, "                               lock(%s);\n", parent);
	sb_printf(&sb, "                               lock(%s);\n",
		  class_name(held->class_id));
	sb_printf(&sb, "  lock(%s);\n\n *** DEADLOCK ***\n\n", map->name);
	lockdep_print_held_locks(&sb, self);

	for (i = 0; i < n; i++)
		sb_printf(&cls, "%s%s", i ? "," : "", class_name(path[i]));
	__lockdep_add_report(LOCKDEP_CIRCULAR, sb_str(&cls), sb_str(&sb),
			     true);
	sb_free(&sb);
	sb_free(&cls);
}

static void add_edge(struct task *self, const struct held_lock *held,
		     struct lockdep_map *map, enum lock_usage usage,
		     const struct lock_site *site, int to)
{
	int from = held->class_id;
	u8 type = (held->usage != LOCK_EXCL ? EDGE_S : 0) |
		  (usage == LOCK_SHARED_RECURSIVE ? EDGE_R : 0);
	int path[64];
	u8 types[64];
	struct edge_list *l;
	struct lock_edge *e;
	int n;

	if (__atomic_load_n(&edge_bits[from][to], __ATOMIC_RELAXED) &
	    (1u << type))
		return;

	pthread_mutex_lock(&graph_lock);
	if (edge_bits[from][to] & (1u << type)) {
		pthread_mutex_unlock(&graph_lock);
		return;
	}
	n = find_strong_path(to, from, type, path, types, 64);
	if (n && !cycle_reported(path, n, to)) {
		int i;

		report_circular(self, held, map, usage, site, path, types, n);
		/* The cycle's edges, for lockdep_graph_write(). */
		for (i = 1; i < n; i++) {
			struct lock_edge *pe = find_edge(path[i - 1], path[i],
							 types[i]);

			if (pe)
				pe->in_cycle = true;
		}
	}

	l = &out_edges[from];
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->e = xrealloc(l->e, l->cap * sizeof(*l->e));
	}
	e = &l->e[l->n++];
	memset(e, 0, sizeof(*e));
	e->to = to;
	e->type = type;
	e->from_site = held->site;
	e->to_site = site;
	e->in_cycle = n > 0;
	snprintf(e->task, sizeof(e->task), "%s/%d", self->name, self->id);
	nr_edges++;
	__atomic_fetch_or(&edge_bits[from][to], (u8)(1u << type),
			  __ATOMIC_RELAXED);
	pthread_mutex_unlock(&graph_lock);
}

static void report_recursive(struct task *self, const struct held_lock *held,
			     struct lockdep_map *map, enum lock_usage usage,
			     const struct lock_site *site)
{
	struct strbuf sb = STRBUF_INIT;

	sb_printf(&sb, "============================================\n"
		       "WARNING: possible recursive locking detected\n"
		       "--------------------------------------------\n");
	sb_printf(&sb, "%s/%d is trying to acquire lock:\n (%s){%s}, at: ",
		  self->name, self->id, map->name, usage_name[usage]);
	print_site(&sb, site);
	sb_printf(&sb, "\n\nbut task is already holding lock:\n (%s){%s}, at: ",
		  class_name(held->class_id), usage_name[held->usage]);
	print_site(&sb, held->site);
	sb_printf(&sb, "\n\nother info that might help us debug this:\n"
		       " Possible unsafe locking scenario:\n\n"
		       "       CPU0\n"
		       "       ----\n"
		       "  lock(%s);\n"
		       "  lock(%s);\n\n"
		       " *** DEADLOCK ***\n\n"
		       " May be due to missing lock nesting notation\n\n",
		  class_name(held->class_id), map->name);
	if (usage != LOCK_EXCL && held->map == map)
		sb_printf(&sb, " (a read acquisition waits behind a queued writer, so taking\n"
			       "  this lock for read while holding it can deadlock)\n\n");
	lockdep_print_held_locks(&sb, self);
	__lockdep_add_report(LOCKDEP_RECURSIVE, map->name, sb_str(&sb), true);
	sb_free(&sb);
}

void lockdep_report_recursive_held(struct lockdep_map *map,
				   enum lock_usage held_usage,
				   enum lock_usage usage,
				   const struct lock_site *site)
{
	struct held_lock h = {
		.map = map,
		.class_id = map_class(map),
		.usage = held_usage,
	};
	bool first;

	if (!lockdep_on() || !h.class_id)
		return;
	pthread_mutex_lock(&graph_lock);
	first = !classes[h.class_id].recursion_reported;
	classes[h.class_id].recursion_reported = true;
	pthread_mutex_unlock(&graph_lock);
	if (first)
		report_recursive(current_task(), &h, map, usage, site);
}

/* --- giving up ---------------------------------------------------------- */

/*
 * The kernel's debug_locks_off(): the validator hit one of its own limits.
 * Say so once and switch it off for the process (every hook then returns at
 * once, so the locks themselves go on working); lockdep_reset() re-arms it.
 */
static void debug_locks_off(const char *why, struct task *self)
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
			print_held(&sb, &self->held[i], i);
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
	print_site(&sb, site);
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
		if (bad) {
			bool first;

			pthread_mutex_lock(&graph_lock);
			first = !classes[cls].recursion_reported;
			classes[cls].recursion_reported = true;
			pthread_mutex_unlock(&graph_lock);
			if (first)
				report_recursive(self, h, map, usage, site);
		}
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
		    !(__atomic_load_n(&edge_bits[h->class_id][cls],
				      __ATOMIC_RELAXED) & (1u << type)))
			add_edge(self, h, map, usage, site, cls);
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

	stat_inc(cls, usage == LOCK_EXCL ? ST_ACQ_WRITE : ST_ACQ_READ);
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
		debug_locks_off("BUG: MAX_LOCK_DEPTH too low!", self);
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
		print_site(&sb, site);
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
	print_site(&sb, site);
	sb_printf(&sb, "\n");
	lockdep_print_held_locks(&sb, self);
	__lockdep_add_report(LOCKDEP_ASSERT, map->name, sb_str(&sb), true);
	sb_free(&sb);
}


/* --- the graph in DOT --------------------------------------------------- */

static void dot_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static const char *const kind_name[] = {
	[LOCK_KIND_MUTEX] = "mutex",
	[LOCK_KIND_SPINLOCK] = "spinlock_t",
	[LOCK_KIND_RWLOCK] = "rwlock_t",
	[LOCK_KIND_RWSEM] = "rw_semaphore",
	[LOCK_KIND_SRCU] = "srcu",
	[LOCK_KIND_RCU] = "rcu",
};

int lockdep_graph_write(FILE *f)
{
	struct strbuf sb = STRBUF_INIT;
	bool used[MAX_CLASSES + 1] = { false };
	int c, i;

	pthread_mutex_lock(&graph_lock);
	for (c = 1; c <= nr_classes; c++) {
		for (i = 0; i < out_edges[c].n; i++) {
			used[c] = true;
			used[out_edges[c].e[i].to] = true;
		}
		if (classes[c].recursion_reported)
			used[c] = true;
	}
	fprintf(f, "// The lock-class dependency graph tdxsim's lockdep built: an edge\n"
		   "// A -> B: B was taken while A was held, labelled with the first\n"
		   "// acquisition that made it (where B was taken, where A had been\n"
		   "// taken, by which task); dashed: A held shared; reported cycles\n"
		   "// and recursions in red.\n"
		   "digraph lockdep {\n"
		   "\trankdir=LR;\n"
		   "\tnode [shape=box, fontname=\"monospace\", fontsize=10];\n"
		   "\tedge [fontname=\"monospace\", fontsize=8];\n");
	for (c = 1; c <= nr_classes; c++) {
		if (!used[c])
			continue;
		sb_free(&sb);
		sb_printf(&sb, "%s\n(%s)", classes[c].name ? classes[c].name : "?",
			  (unsigned int)classes[c].kind < ARRAY_SIZE(kind_name) ?
			  kind_name[classes[c].kind] : "?");
		fprintf(f, "\tc%d [label=", c);
		dot_str(f, sb_str(&sb));
		fprintf(f, "];\n");
	}
	for (c = 1; c <= nr_classes; c++) {
		for (i = 0; i < out_edges[c].n; i++) {
			const struct lock_edge *e = &out_edges[c].e[i];

			sb_free(&sb);
			print_site(&sb, e->to_site);
			sb_printf(&sb, "%s\nholding since ",
				  e->type & EDGE_R ? " (recursive read)" : "");
			print_site(&sb, e->from_site);
			sb_printf(&sb, "%s\nby %s",
				  e->type & EDGE_S ? " (shared)" : "", e->task);
			fprintf(f, "\tc%d -> c%d [label=", c, e->to);
			dot_str(f, sb_str(&sb));
			if (e->in_cycle)
				fprintf(f, ", color=red, fontcolor=red, penwidth=2");
			else if (e->type & EDGE_S)
				fprintf(f, ", style=dashed");
			fprintf(f, "];\n");
		}
		if (classes[c].recursion_reported)
			fprintf(f, "\tc%d -> c%d [label=\"possible recursive locking\", color=red, fontcolor=red, penwidth=2];\n",
				c, c);
	}
	fprintf(f, "}\n");
	pthread_mutex_unlock(&graph_lock);
	sb_free(&sb);
	return ferror(f) ? -EIO : 0;
}

#endif /* TDXSIM_LOCKDEP */

#if !TDXSIM_LOCKDEP
int lockdep_graph_write(FILE *f)
{
	return -EOPNOTSUPP;
}
#endif

