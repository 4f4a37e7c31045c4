// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tdxsim's addition: the fuzzer's shrinker. A failing program is made
 * smaller, greedily, as long as it still fails with the same signature:
 * a whole TD (of two) dropped, whole tasks dropped, tasks merged (fewer concurrent tasks), single
 * operations dropped, ranges halved, the second guest_memfd, spare memslots
 * and vCPUs removed, teardown lists shortened. Each candidate runs with its
 * own schedule seed first and then with a few others (a smaller program
 * interleaves differently under the same seed); a program with a recorded
 * choice list keeps it. Fewer preemptions come after, from the bounded
 * search (tdxsim_fuzz_explore()), which finds the schedule with the fewest.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/fuzz_internal.h"

struct shrinker {
	const char *sig;
	tdxsim_fuzz_runner run;
	void *arg;
	unsigned int runs, max_runs, reseeds;
	struct tdxsim_fuzz_program *best;
	struct tdxsim_fuzz_outcome best_out;
};

static int default_runner(void *arg, const struct tdxsim_fuzz_program *p,
			  struct tdxsim_fuzz_outcome *out)
{
	return tdxsim_fuzz_run(p, out);
}

static bool matches(const struct tdxsim_fuzz_outcome *o, const char *sig)
{
	const char *s;
	size_t n = strlen(sig);

	if (!o->failed || o->setup_error)
		return false;
	for (s = o->signatures; (s = strstr(s, sig)); s += n)
		if ((s == o->signatures || s[-1] == '\n') && s[n] == '\n')
			return true;
	return false;
}

/*
 * Does @c fail the same way (under its seed, or one of a few others)? On
 * success @c becomes the best program (ownership passes); else it is freed.
 */
static bool try_candidate(struct shrinker *sh, struct tdxsim_fuzz_program *c)
{
	u64 seed0 = c->sched_seed;
	enum tdxsim_sched_strategy strat0 = c->strategy;
	unsigned int k, tries = c->strategy == TDXSIM_STRATEGY_REPLAY ? 1 :
				 1 + sh->reseeds;

	for (k = 0; k < tries && sh->runs < sh->max_runs; k++) {
		struct tdxsim_fuzz_outcome out;

		/*
		 * Other seeds, half of them PCT: a race that needs one task
		 * to stop at a given point is what PCT's priorities find.
		 */
		if (k) {
			c->sched_seed = fz_mix64(seed0 + k);
			c->strategy = k & 1 ? TDXSIM_STRATEGY_PCT : strat0;
		}
		sh->runs++;
		if (sh->run(sh->arg, c, &out))
			continue;
		if (matches(&out, sh->sig)) {
			tdxsim_fuzz_free(sh->best);
			tdxsim_fuzz_outcome_free(&sh->best_out);
			sh->best = c;
			sh->best_out = out;
			return true;
		}
		tdxsim_fuzz_outcome_free(&out);
	}
	tdxsim_fuzz_free(c);
	return false;
}

static void drop_op(struct fz_op *ops, unsigned int *n, unsigned int i)
{
	memmove(&ops[i], &ops[i + 1], (*n - i - 1) * sizeof(ops[0]));
	(*n)--;
}

/* Does any operation (or task) use TD @td's vCPU @v, guest_memfd @gm or slot @s? */
static bool op_uses(const struct fz_op *op, unsigned int td, int v, int gm,
		    int s)
{
	unsigned int i;

	if (op->td != td)
		return false;
	switch (op->kind) {
	case FZ_PREFAULT:
	case FZ_INIT_VCPU:
	case FZ_INIT_MEM:
		return op->obj == v;
	case FZ_PUNCH:
	case FZ_ALLOC:
	case FZ_HOST_READ:
	case FZ_HOST_WRITE:
		return op->obj == gm;
	case FZ_SLOT_DELETE:
	case FZ_SLOT_ADD:
		return op->obj == s;
	case FZ_CLOSE:
	case FZ_TEARDOWN:
		for (i = 0; i < op->nr_order; i++)
			if ((op->order[i].target == FZ_T_VCPU &&
			     op->order[i].index == v) ||
			    (op->order[i].target == FZ_T_GMEM &&
			     op->order[i].index == gm))
				return true;
		return false;
	default:
		return false;
	}
}

static bool prog_uses(const struct tdxsim_fuzz_program *p, unsigned int td,
		      int v, int gm, int s)
{
	const struct fz_task *t;
	unsigned int i, j;

	for (i = 0; i < p->nr_setup; i++)
		if (op_uses(&p->setup[i], td, v, gm, s))
			return true;
	for (i = 0; i < p->nr_tasks; i++) {
		t = &p->tasks[i];
		if (t->kind == FZ_TASK_VCPU) {
			if (t->td == td && t->vcpu == v)
				return true;
			continue;
		}
		for (j = 0; j < t->nr_ops; j++)
			if (op_uses(&t->ops[j], td, v, gm, s))
				return true;
	}
	return false;
}

/* Drop @ops' operations on TD @td; TD 1's become TD 0's if @td is 0. */
static void drop_td_ops(struct fz_op *ops, unsigned int *n, unsigned int td)
{
	unsigned int i, k = 0;

	for (i = 0; i < *n; i++) {
		if (ops[i].td == td)
			continue;
		ops[k] = ops[i];
		ops[k++].td = 0;
	}
	*n = k;
}

/*
 * @p without TD @td (of two): its declarations, set-up operations, vCPU
 * tasks and VMM operations go, and a task left empty goes with them.
 * NULL if no task would be left.
 */
static struct tdxsim_fuzz_program *drop_td(const struct tdxsim_fuzz_program *p,
					   unsigned int td)
{
	struct tdxsim_fuzz_program *c = tdxsim_fuzz_copy(p);
	unsigned int i, k = 0;

	drop_td_ops(c->setup, &c->nr_setup, td);
	for (i = 0; i < c->nr_tasks; i++) {
		struct fz_task *t = &c->tasks[i];

		if (t->kind == FZ_TASK_VCPU) {
			if (t->td == td)
				continue;
			t->td = 0;
		} else {
			drop_td_ops(t->ops, &t->nr_ops, td);
			if (!t->nr_ops)
				continue;
		}
		c->tasks[k++] = *t;
	}
	c->nr_tasks = k;
	if (!td)
		c->td[0] = c->td[1];
	memset(&c->td[1], 0, sizeof(c->td[1]));
	c->nr_tds = 1;
	if (!k) {
		tdxsim_fuzz_free(c);
		return NULL;
	}
	return c;
}

/* TD @t's spare guest_memfd, memslots and vCPUs; true if any went. */
static bool shrink_td(struct shrinker *sh, unsigned int t)
{
	struct tdxsim_fuzz_program *c;
	bool progress = false;
	unsigned int i;

	for (i = FZ_MAX_SLOTS; i-- > 0; ) {
		if (!sh->best->td[t].slot[i].present || i == 0 ||
		    prog_uses(sh->best, t, -1, -1, i))
			continue;
		c = tdxsim_fuzz_copy(sh->best);
		c->td[t].slot[i].present = false;
		if (try_candidate(sh, c))
			progress = true;
	}
	if (sh->best->td[t].gmem[1].present &&
	    !prog_uses(sh->best, t, -1, 1, -1)) {
		bool bound = false;

		for (i = 0; i < FZ_MAX_SLOTS; i++)
			bound |= sh->best->td[t].slot[i].present &&
				 sh->best->td[t].slot[i].gmem == 1;
		if (!bound) {
			c = tdxsim_fuzz_copy(sh->best);
			c->td[t].gmem[1].present = false;
			if (try_candidate(sh, c))
				progress = true;
		}
	}
	while (sh->best->td[t].nr_vcpus > 1 &&
	       !prog_uses(sh->best, t, sh->best->td[t].nr_vcpus - 1, -1, -1)) {
		c = tdxsim_fuzz_copy(sh->best);
		c->td[t].nr_vcpus--;
		if (!try_candidate(sh, c))
			break;
		progress = true;
	}
	return progress;
}

/* One pass of every kind of reduction; true if anything got smaller. */
static bool shrink_pass(struct shrinker *sh)
{
	struct tdxsim_fuzz_program *c;
	unsigned int i, j, t;
	bool progress = false;

	/* A whole TD, either, when there are two. */
	for (i = sh->best->nr_tds; sh->best->nr_tds > 1 && i-- > 0; ) {
		c = drop_td(sh->best, i);
		if (c && try_candidate(sh, c))
			progress = true;
	}
	/* Whole tasks. */
	for (i = 0; sh->best->nr_tasks > 1 && i < sh->best->nr_tasks; ) {
		c = tdxsim_fuzz_copy(sh->best);
		memmove(&c->tasks[i], &c->tasks[i + 1],
			(c->nr_tasks - i - 1) * sizeof(c->tasks[0]));
		c->nr_tasks--;
		if (try_candidate(sh, c))
			progress = true;
		else
			i++;
	}
	/* Two VMM tasks merged into one (fewer concurrent tasks). */
	for (i = 0; i < sh->best->nr_tasks; i++) {
		for (j = i + 1; j < sh->best->nr_tasks; j++) {
			struct fz_task *a, *b;

			c = tdxsim_fuzz_copy(sh->best);
			a = &c->tasks[i];
			b = &c->tasks[j];
			if (a->kind != FZ_TASK_VMM || b->kind != FZ_TASK_VMM ||
			    a->nr_ops + b->nr_ops > FZ_MAX_OPS) {
				tdxsim_fuzz_free(c);
				continue;
			}
			memcpy(&a->ops[a->nr_ops], b->ops,
			       b->nr_ops * sizeof(b->ops[0]));
			a->nr_ops += b->nr_ops;
			memmove(&c->tasks[j], &c->tasks[j + 1],
				(c->nr_tasks - j - 1) * sizeof(c->tasks[0]));
			c->nr_tasks--;
			if (try_candidate(sh, c)) {
				progress = true;
				j--;
			}
		}
	}
	/* Single operations: the tasks', then the set-up's. */
	for (i = 0; i < sh->best->nr_tasks; i++) {
		for (j = 0; j < sh->best->tasks[i].nr_ops; ) {
			c = tdxsim_fuzz_copy(sh->best);
			drop_op(c->tasks[i].ops, &c->tasks[i].nr_ops, j);
			if (!c->tasks[i].nr_ops) {
				memmove(&c->tasks[i], &c->tasks[i + 1],
					(c->nr_tasks - i - 1) * sizeof(c->tasks[0]));
				c->nr_tasks--;
				if (!c->nr_tasks) {
					tdxsim_fuzz_free(c);
					j++;
					continue;
				}
			}
			if (try_candidate(sh, c)) {
				progress = true;
				if (i >= sh->best->nr_tasks)
					break;
			} else {
				j++;
			}
		}
	}
	for (j = 0; j < sh->best->nr_setup; ) {
		c = tdxsim_fuzz_copy(sh->best);
		drop_op(c->setup, &c->nr_setup, j);
		if (try_candidate(sh, c))
			progress = true;
		else
			j++;
	}
	/* Ranges halved (kept 4K-aligned), and teardown lists shortened. */
	for (i = 0; i <= sh->best->nr_tasks; i++) {
		unsigned int n = i < sh->best->nr_tasks ?
				 sh->best->tasks[i].nr_ops : sh->best->nr_setup;

		for (j = 0; j < n; j++) {
			struct fz_op *op;
			u64 unit;

			c = tdxsim_fuzz_copy(sh->best);
			op = i < c->nr_tasks ? &c->tasks[i].ops[j] : &c->setup[j];
			unit = op->kind == FZ_INIT_MEM ? 1 : PAGE_SIZE;
			if (op->kind == FZ_TEARDOWN && op->nr_order > 1 &&
			    op->flag != FZ_TEARDOWN_EXIT) {
				op->nr_order--;
			} else if (op->kind != FZ_G_TOUCH && op->b > unit &&
				   op->kind != FZ_TEARDOWN && op->kind != FZ_CLOSE) {
				op->b = ALIGN(op->b / 2, unit);
			} else {
				tdxsim_fuzz_free(c);
				continue;
			}
			if (try_candidate(sh, c)) {
				progress = true;
				j--;
			}
		}
	}
	/* The TDs: spare guest_memfd, memslots, vCPUs. */
	for (t = 0; t < sh->best->nr_tds; t++)
		if (shrink_td(sh, t))
			progress = true;
	return progress;
}

int tdxsim_fuzz_shrink(const struct tdxsim_fuzz_program *p,
		       const char *signature,
		       const struct tdxsim_fuzz_shrink_opts *o,
		       tdxsim_fuzz_runner run, void *arg,
		       struct tdxsim_fuzz_shrink_result *r)
{
	struct shrinker sh = {
		.sig = signature,
		.run = run ? run : default_runner,
		.arg = arg,
		.max_runs = o && o->max_runs ? o->max_runs : 2000,
		.reseeds = o ? o->reseeds : 8,
	};

	memset(r, 0, sizeof(*r));
	if (!signature || !*signature)
		return -EINVAL;
	if (!try_candidate(&sh, tdxsim_fuzz_copy(p)))
		return -ESRCH;
	while (sh.runs < sh.max_runs && shrink_pass(&sh))
		;
	r->program = sh.best;
	r->outcome = sh.best_out;
	r->runs = sh.runs;
	return 0;
}

void tdxsim_fuzz_shrink_result_free(struct tdxsim_fuzz_shrink_result *r)
{
	tdxsim_fuzz_free(r->program);
	r->program = NULL;
	tdxsim_fuzz_outcome_free(&r->outcome);
}
