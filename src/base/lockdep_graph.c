// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lockdep's classes and its dependency graph. A class is made per struct
 * lock_class_key (one per initialisation site). An edge A -> B is recorded
 * when a task acquires a lock of class B while the top of its held-lock
 * stack (skipping trylocks) is of class A; it carries the kernel's
 * dependency type: whether A was held shared (S) or exclusive (E), and
 * whether B was acquired as a recursive reader (R) or not (N). A new edge
 * that closes a *strong* cycle - one with no -(*R)-> edge followed by a
 * -(S*)-> edge - is reported here at once as a possible deadlock (a
 * breadth-first search over (class, last edge recursive) states), whether
 * or not the two orders ever ran at the same time. The graph is written in
 * Graphviz's DOT by lockdep_graph_write(). Everything here is under
 * ld_graph_lock, except the per-pair bitmap the hooks test lock-free for a
 * known edge.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/lockdep_internal.h"
#include "base/log.h"

pthread_mutex_t ld_graph_lock = PTHREAD_MUTEX_INITIALIZER;
struct lock_class ld_classes[MAX_CLASSES + 1];
int ld_nr_classes;
u8 ld_edge_bits[MAX_CLASSES + 1][MAX_CLASSES + 1];
static struct edge_list out_edges[MAX_CLASSES + 1];
static unsigned int nr_edges;
static char **reported_cycles;
static unsigned int nr_reported_cycles;

void lockdep_init_map(struct lockdep_map *map, const char *name,
		      struct lock_class_key *key, enum lock_kind kind)
{
	map->key = key;
	map->name = name;
	map->kind = kind;
	if (__atomic_load_n(&key->id, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&ld_graph_lock);
	if (!key->id) {
		if (ld_nr_classes >= MAX_CLASSES) {
			pthread_mutex_unlock(&ld_graph_lock);
#if TDXSIM_LOCKDEP
			ld_debug_locks_off("BUG: MAX_LOCKDEP_KEYS too low!",
					NULL);
#endif
			return;
		}
		ld_classes[ld_nr_classes + 1].name = name;
		ld_classes[ld_nr_classes + 1].kind = kind;
		__atomic_store_n(&ld_nr_classes, ld_nr_classes + 1,
				 __ATOMIC_RELEASE);
		__atomic_store_n(&key->id, ld_nr_classes, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&ld_graph_lock);
}

const char *ld_class_name(int id)
{
	return id > 0 && id <= MAX_CLASSES && ld_classes[id].name ?
		       ld_classes[id].name : "?";
}

unsigned int lockdep_nr_classes(void)
{
	unsigned int n;

	pthread_mutex_lock(&ld_graph_lock);
	n = ld_nr_classes;
	pthread_mutex_unlock(&ld_graph_lock);
	return n;
}

unsigned int lockdep_nr_edges(void)
{
	unsigned int n;

	pthread_mutex_lock(&ld_graph_lock);
	n = nr_edges;
	pthread_mutex_unlock(&ld_graph_lock);
	return n;
}

void ld_graph_clear(void)
{
	unsigned int i;
	int c;

	/*
	 * Every run of an exploration starts here: clear only the bits of the
	 * edges there are, and keep the lists' memory, rather than 256 KiB of
	 * bitmap and a free() per class.
	 */
	for (c = 0; c <= ld_nr_classes; c++) {
		struct edge_list *l = &out_edges[c];

		for (i = 0; i < (unsigned int)l->n; i++)
			__atomic_store_n(&ld_edge_bits[c][l->e[i].to], 0,
					 __ATOMIC_RELAXED);
		l->n = 0;
		ld_classes[c].recursion_reported = false;
	}
	nr_edges = 0;
	for (i = 0; i < nr_reported_cycles; i++)
		free(reported_cycles[i]);
	free(reported_cycles);
	reported_cycles = NULL;
	nr_reported_cycles = 0;
}

#if TDXSIM_LOCKDEP

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
	ld_print_acquire_held(&sb, self, held, map, usage, site);
	sb_printf(&sb, "\n\nwhich lock already depends on the new lock.\n\n"
		       "the existing dependency chain (in reverse order) is:\n");
	/* path[0] is the new lock's class, path[n-1] the held lock's class. */
	for (i = n - 1; i >= 1; i--) {
		struct lock_edge *e = find_edge(path[i - 1], path[i],
						types[i]);

		sb_printf(&sb, "\n-> #%d (%s):\n", i, ld_class_name(path[i]));
		if (e) {
			sb_printf(&sb, "       acquired at ");
			ld_print_site(&sb, e->to_site);
			sb_printf(&sb, "\n       while holding %s taken at ",
				  ld_class_name(path[i - 1]));
			ld_print_site(&sb, e->from_site);
			sb_printf(&sb, "\n       (by task %s)\n", e->task);
		}
	}
	sb_printf(&sb, "\n-> #0 (%s):\n       acquired at ", map->name);
	ld_print_site(&sb, site);
	sb_printf(&sb, "\n       while holding %s taken at ",
		  ld_class_name(held->class_id));
	ld_print_site(&sb, held->site);
	sb_printf(&sb, "\n       (by task %s/%d)\n", self->name, self->id);

	parent = n >= 2 ? ld_class_name(path[n - 2]) : map->name;
	sb_printf(&sb, "\nother info that might help us debug this:\n\n");
	if (n > 2)
		sb_printf(&sb, "Chain exists of:\n  %s --> %s --> %s\n\n",
			  ld_class_name(held->class_id), parent, map->name);
	sb_printf(&sb, " Possible unsafe locking scenario:\n\n"
		       "       CPU0                    CPU1\n"
		       "       ----                    ----\n");
	sb_printf(&sb, "  lock(%s);\n", ld_class_name(held->class_id));
	sb_printf(&sb, "                               lock(%s);\n", parent);
	sb_printf(&sb, "                               lock(%s);\n",
		  ld_class_name(held->class_id));
	sb_printf(&sb, "  lock(%s);\n\n *** DEADLOCK ***\n\n", map->name);
	lockdep_print_held_locks(&sb, self);

	for (i = 0; i < n; i++)
		sb_printf(&cls, "%s%s", i ? "," : "", ld_class_name(path[i]));
	__lockdep_add_report(LOCKDEP_CIRCULAR, sb_str(&cls), sb_str(&sb),
			     true);
	sb_free(&sb);
	sb_free(&cls);
}

void ld_add_edge(struct task *self, const struct held_lock *held,
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

	if (__atomic_load_n(&ld_edge_bits[from][to], __ATOMIC_RELAXED) &
	    (1u << type))
		return;

	pthread_mutex_lock(&ld_graph_lock);
	if (ld_edge_bits[from][to] & (1u << type)) {
		pthread_mutex_unlock(&ld_graph_lock);
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
	__atomic_fetch_or(&ld_edge_bits[from][to], (u8)(1u << type),
			  __ATOMIC_RELAXED);
	pthread_mutex_unlock(&ld_graph_lock);
}

bool ld_first_recursion(int cls)
{
	bool first;

	pthread_mutex_lock(&ld_graph_lock);
	first = !ld_classes[cls].recursion_reported;
	ld_classes[cls].recursion_reported = true;
	pthread_mutex_unlock(&ld_graph_lock);
	return first;
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

	if (!lockdep_on() || !h.class_id)
		return;
	if (ld_first_recursion(h.class_id))
		ld_report_recursive(current_task(), &h, map, usage, site);
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

	pthread_mutex_lock(&ld_graph_lock);
	for (c = 1; c <= ld_nr_classes; c++) {
		for (i = 0; i < out_edges[c].n; i++) {
			used[c] = true;
			used[out_edges[c].e[i].to] = true;
		}
		if (ld_classes[c].recursion_reported)
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
	for (c = 1; c <= ld_nr_classes; c++) {
		if (!used[c])
			continue;
		sb_free(&sb);
		sb_printf(&sb, "%s\n(%s)",
			  ld_classes[c].name ? ld_classes[c].name : "?",
			  (unsigned int)ld_classes[c].kind < ARRAY_SIZE(kind_name) ?
			  kind_name[ld_classes[c].kind] : "?");
		fprintf(f, "\tc%d [label=", c);
		dot_str(f, sb_str(&sb));
		fprintf(f, "];\n");
	}
	for (c = 1; c <= ld_nr_classes; c++) {
		for (i = 0; i < out_edges[c].n; i++) {
			const struct lock_edge *e = &out_edges[c].e[i];

			sb_free(&sb);
			ld_print_site(&sb, e->to_site);
			sb_printf(&sb, "%s\nholding since ",
				  e->type & EDGE_R ? " (recursive read)" : "");
			ld_print_site(&sb, e->from_site);
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
		if (ld_classes[c].recursion_reported)
			fprintf(f, "\tc%d -> c%d [label=\"possible recursive locking\", color=red, fontcolor=red, penwidth=2];\n",
				c, c);
	}
	fprintf(f, "}\n");
	pthread_mutex_unlock(&ld_graph_lock);
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

