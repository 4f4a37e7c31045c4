// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The strategies' choice of the next task, and the footprints of steps.
 *
 * At every schedule point sched.c asks sched_pick_next_locked() which
 * runnable task gets the token. The random strategy draws one from the
 * run's splitmix64 stream (seeded by the run's seed); PCT runs the task with
 * the highest priority and lowers the running task's at its change points
 * (and a spinner's at every cpu_relax()); replay and bounded hand the
 * candidates to explore.c. For the bounded search's sleep sets, each step of
 * a task records the objects it touched (its footprint), or "anything".
 * The order of the draws is part of every recorded seed: changing it shifts
 * every scenario's, replay's and fuzz program's schedule.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/fiber.h"
#include "base/lockdep.h"
#include "base/log.h"
#include "base/rcu.h"
#include "base/sched.h"
#include "base/sched_internal.h"
#include "base/sched_state.h"
#include "base/trace.h"
#include "ulib/strbuf.h"

/* --- footprint names ---------------------------------------------------------- */

/*
 * Sleep sets compare the footprints of steps from different runs of one
 * search. An object that a run allocates from the heap may sit at another
 * address in the next run (malloc's reuse is not tdxsim's to decide), so an
 * object created during a run with footprints on (locks, wait queues, tasks)
 * is named by its class (a static key) and its creation index in the run,
 * the same in every run that creates its objects in the same order. Objects
 * not named here (created before the run, static, or in tdxsim's own PFN
 * space: page-table entries, struct pages) keep their address, which is
 * stable across runs. A name has bit 63 set: no user-space address has.
 */
struct fp_name {
	const void *obj;
	const void *name;
};

static struct fp_name *fp_names;
static size_t fp_names_cap, fp_names_used;
static u64 fp_names_next;

static size_t fp_slot(const void *obj, size_t cap)
{
	u64 h = (uintptr_t)obj * 0x9e3779b97f4a7c15ULL;

	return (h >> 20) & (cap - 1);
}

static void fp_names_put(const void *obj, const void *name)
{
	size_t i;

	for (i = fp_slot(obj, fp_names_cap); fp_names[i].obj;
	     i = (i + 1) & (fp_names_cap - 1))
		if (fp_names[i].obj == obj)
			break;
	if (!fp_names[i].obj)
		fp_names_used++;
	fp_names[i].obj = obj;
	fp_names[i].name = name;
}

/* A new run: forget the last run's names (sched_run()). */
void sched_fp_names_reset(void)
{
	if (fp_names_used)
		memset(fp_names, 0, fp_names_cap * sizeof(*fp_names));
	fp_names_used = 0;
	fp_names_next = 0;
}

void sched_fp_name(const void *obj, const void *class_key)
{
	struct task *t = sched_tls_task;
	struct fp_name *old;
	size_t i, old_cap;
	u64 k, name;

	if (!sched_s.footprints || !t || !t->in_run || sched_s.cur != t)
		return;
	if (2 * (fp_names_used + 1) > fp_names_cap) {
		old = fp_names;
		old_cap = fp_names_cap;
		fp_names_cap = old_cap ? old_cap * 2 : 1024;
		fp_names = xzalloc(fp_names_cap * sizeof(*fp_names));
		fp_names_used = 0;
		for (i = 0; i < old_cap; i++)
			if (old[i].obj)
				fp_names_put(old[i].obj, old[i].name);
		free(old);
	}
	k = (uintptr_t)class_key;
	k = (k ^ (k >> 29)) * 0xbf58476d1ce4e5b9ULL;
	name = 1ULL << 63 | (k >> 41) << 40 | (++fp_names_next & ((1ULL << 40) - 1));
	fp_names_put(obj, (const void *)(uintptr_t)name);
}

/* The name of @obj in footprints. */
static const void *fp_name_of(const void *obj)
{
	size_t i;

	if (!fp_names_used)
		return obj;
	for (i = fp_slot(obj, fp_names_cap); fp_names[i].obj;
	     i = (i + 1) & (fp_names_cap - 1))
		if (fp_names[i].obj == obj)
			return fp_names[i].name;
	return obj;
}

/* --- footprints (bounded search with sleep sets) ---------------------------- */

void sched_fp_add(struct sched_footprint *fp, const void *obj)
{
	unsigned int i;

	if (fp->unknown)
		return;
	obj = fp_name_of(obj);
	for (i = 0; i < fp->n; i++)
		if (fp->obj[i] == obj)
			return;
	if (fp->n == SCHED_FP_MAX) {
		fp->unknown = true;
		return;
	}
	fp->obj[fp->n++] = obj;
}

/* The step of @t ends at a point touching @obj as @flags say (0: anything). */
void sched_fp_end_step(struct task *t, const void *obj, unsigned int flags)
{
	if (!(flags & (SCHED_OBJ_NEXT | SCHED_OBJ_PREV)))
		t->step.unknown = true;
	else if (flags & SCHED_OBJ_PREV)
		sched_fp_add(&t->step, obj);
}

/* @t's next step (whenever it is picked) starts at such a point. */
void sched_fp_start_step(struct task *t, const void *obj, unsigned int flags)
{
	t->step.n = 0;
	t->step.unknown = !(flags & (SCHED_OBJ_NEXT | SCHED_OBJ_PREV));
	if (flags & SCHED_OBJ_NEXT)
		t->step.obj[t->step.n++] = fp_name_of(obj);
}

/* The running task touched @obj without a schedule point (a wake-up). */
void sched_touch(const void *obj)
{
	struct task *t = sched_tls_task;

	if (sched_s.footprints && t && t->in_run && sched_s.cur == t)
		sched_fp_add(&t->step, obj);
}

static void reverse(struct task **a, int n)
{
	int i;

	for (i = 0; i < n / 2; i++) {
		struct task *t = a[i];

		a[i] = a[n - 1 - i];
		a[n - 1 - i] = t;
	}
}

/* Rotate @cand (ascending ids) to start at the first id above @id. */
static void rotate_after(struct task **cand, int nr, int id)
{
	int k;

	for (k = 0; k < nr && task_id(cand[k]) < id; k++)
		;
	if (!k || k == nr)
		return;
	reverse(cand, k);
	reverse(cand + k, nr - k);
	reverse(cand, nr);
}

/* Replay and bounded strategies: hand the choice to explore.c. */
static struct task *explore_pick_locked(struct task *cur, bool cur_runnable)
{
	struct sched_choice c;
	struct task *next;
	int i, nr = 0;

	if (sched_s.cap_cand < sched_s.nr_tasks) {
		sched_s.cap_cand = sched_s.nr_tasks * 2;
		sched_s.cand = xrealloc(sched_s.cand, sched_s.cap_cand * sizeof(*sched_s.cand));
	}
	for (i = 0; i < sched_s.nr_tasks; i++)
		if (sched_s.tasks[i]->state == TASK_RUNNABLE)
			sched_s.cand[nr++] = sched_s.tasks[i];
	if (!nr)
		return NULL;
	/*
	 * A spinner waits for someone else: let another go first, and the
	 * next one after it in id order (round robin), not the lowest id:
	 * two tasks spinning by turns would otherwise hand the CPU to each
	 * other forever while a higher-numbered runnable task, the one they
	 * wait for (on hardware it runs on another CPU), never ran.
	 */
	c.spun = sched_s.yield && cur_runnable && nr > 1;
	if (c.spun) {
		for (i = 0; i < nr; i++)
			if (sched_s.cand[i] == cur)
				break;
		if (i < nr) {
			memmove(&sched_s.cand[i], &sched_s.cand[i + 1],
				(nr - i - 1) * sizeof(*sched_s.cand));
			nr--;
		}
		rotate_after(sched_s.cand, nr, task_id(cur));
	}
	c.cur = cur;
	c.cur_preemptible = cur_runnable && !sched_s.yield;
	c.fp = &cur->step;
	c.cand = sched_s.cand;
	c.nr = nr;
	next = explore_choose(&c);
	if (c.cur_preemptible && next != cur)
		sched_s.preemptions++;
	return next;
}

/*
 * The strategy's pick among the runnable tasks. @cur just ran (it may have
 * blocked or exited); @cur_runnable: it could go on.
 */
struct task *sched_pick_next_locked(struct task *cur, bool cur_runnable)
{
	struct task *best = NULL, *only = NULL;
	int nr = 0, i, k;

	if (sched_s.explore)
		return explore_pick_locked(cur, cur_runnable);

	for (i = 0; i < sched_s.nr_tasks; i++)
		if (sched_s.tasks[i]->state == TASK_RUNNABLE) {
			only = sched_s.tasks[i];
			nr++;
		}
	/* One runnable task (most points): both strategies pick it, no draw. */
	if (nr <= 1)
		return only;

	if (sched_s.cfg.strategy == SCHED_STRATEGY_RANDOM) {
		k = nr > 1 ? (int)(splitmix64(&sched_s.rng) % nr) : 0;
		for (i = 0; i < sched_s.nr_tasks; i++) {
			if (sched_s.tasks[i]->state != TASK_RUNNABLE)
				continue;
			if (k-- == 0)
				return sched_s.tasks[i];
		}
		return NULL;
	}
	/* PCT: the runnable task with the highest priority. */
	for (i = 0; i < sched_s.nr_tasks; i++) {
		struct task *t = sched_s.tasks[i];

		if (t->state != TASK_RUNNABLE)
			continue;
		if (!best || t->prio > best->prio)
			best = t;
	}
	return best;
}

void sched_pct_check_change_locked(struct task *self)
{
	unsigned int i;

	for (i = 0; i < sched_s.pct_nchange; i++) {
		if (sched_s.pct_change[i] == sched_s.steps) {
			/* Change point i: drop below every initial priority. */
			self->prio = sched_s.pct_nchange - i;
		}
	}
}

