// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lockdep's reports, kept as data: each report has its kind (enum
 * lockdep_report_kind) and the classes it names, beside the text printed to
 * the log in the kernel's shape, so that verdicts are taken from the kind
 * and the classes and never from the text. The validator's own reports
 * (circular, recursive, bad unlock, nest lock, assertions, giving up) and
 * the scheduler's verdicts (deadlock, hang, livelock) are all added here.
 * Also the pieces of the text every report prints: a lock's site, a held
 * lock, a task's held-lock stack.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/lockdep_internal.h"
#include "base/log.h"

static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
static struct lockdep_report *reports;
static unsigned int nr_reports;
static unsigned int cap_reports;
static bool ld_quiet;

const char *const ld_usage_name[] = {
	[LOCK_EXCL] = "write",
	[LOCK_SHARED] = "read",
	[LOCK_SHARED_RECURSIVE] = "recursive-read",
};

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

void ld_reports_clear(void)
{
	unsigned int i;

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

/* --- printing helpers --------------------------------------------------- */

void ld_print_site(struct strbuf *sb, const struct lock_site *site)
{
	struct lock_site s = site ? *site : (struct lock_site){ NULL, 0, NULL };
	const char *f = s.file ? strrchr(s.file, '/') : NULL;

	sb_printf(sb, "%s (%s:%d)", s.func ? s.func : "?",
		  f ? f + 1 : (s.file ? s.file : "?"), s.line);
}

void ld_print_held(struct strbuf *sb, const struct held_lock *h, int i)
{
	/* The class's name: a merged slot's first instance may be gone. */
	sb_printf(sb, " #%d: (%s){%s}", i, ld_class_name(h->class_id),
		  ld_usage_name[h->usage]);
	if (h->references)
		sb_printf(sb, " x%u", h->references);
	sb_printf(sb, ", at: ");
	ld_print_site(sb, h->site);
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
		ld_print_held(sb, &t->held[i], i);
	if (rcu > 0) {
		sb_printf(sb, " #%d: (rcu_read_lock){recursive-read}", depth);
		if (rcu > 1)
			sb_printf(sb, " x%d", rcu);
		sb_printf(sb, "\n");
	}
}

#if TDXSIM_LOCKDEP
/* The head of a report on @self taking @map while it holds @held. */
void ld_print_acquire_held(struct strbuf *sb, const struct task *self,
			   const struct held_lock *held,
			   const struct lockdep_map *map,
			   enum lock_usage usage, const struct lock_site *site)
{
	sb_printf(sb, "%s/%d is trying to acquire lock:\n (%s){%s}, at: ",
		  self->name, self->id, map->name, ld_usage_name[usage]);
	ld_print_site(sb, site);
	sb_printf(sb, "\n\nbut task is already holding lock:\n (%s){%s}, at: ",
		  ld_class_name(held->class_id), ld_usage_name[held->usage]);
	ld_print_site(sb, held->site);
}

void ld_report_recursive(struct task *self, const struct held_lock *held,
			 struct lockdep_map *map, enum lock_usage usage,
			 const struct lock_site *site)
{
	struct strbuf sb = STRBUF_INIT;

	sb_printf(&sb, "============================================\n"
		       "WARNING: possible recursive locking detected\n"
		       "--------------------------------------------\n");
	ld_print_acquire_held(&sb, self, held, map, usage, site);
	sb_printf(&sb, "\n\nother info that might help us debug this:\n"
		       " Possible unsafe locking scenario:\n\n"
		       "       CPU0\n"
		       "       ----\n"
		       "  lock(%s);\n"
		       "  lock(%s);\n\n"
		       " *** DEADLOCK ***\n\n"
		       " May be due to missing lock nesting notation\n\n",
		  ld_class_name(held->class_id), map->name);
	if (usage != LOCK_EXCL && held->map == map)
		sb_printf(&sb, " (a read acquisition waits behind a queued writer, so taking\n"
			       "  this lock for read while holding it can deadlock)\n\n");
	lockdep_print_held_locks(&sb, self);
	__lockdep_add_report(LOCKDEP_RECURSIVE, map->name, sb_str(&sb), true);
	sb_free(&sb);
}
#endif
