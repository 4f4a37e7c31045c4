// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Bounded exhaustive search and replay of choice lists: the
 * SCHED_STRATEGY_BOUNDED and SCHED_STRATEGY_REPLAY strategies of the
 * deterministic scheduler, and sched_explore() (see base/sched.h).
 *
 * tdxsim's own addition: stateless model checking with iterative context
 * bounding (Musuvathi and Qadeer's CHESS), so that "no failure" can mean
 * "none in any schedule with at most K preemptions" rather than "none in N
 * random seeds".
 *
 * The search is a depth-first walk over the choice points of the run where
 * two or more tasks could be picked ("branching" points). The stack holds one
 * node per branching point of the current path: who ran last, who could run,
 * which options were tried, the sleep set on arrival. Each run follows the
 * stack's choices up to the deepest node that still has an untried option,
 * takes that option, and goes on with default choices (the running task if
 * it can go on, else the lowest id; after a spin in cpu_relax(), the next id
 * above the spinner's, round robin, so that tasks spinning by turns cannot
 * starve a runnable one), pushing new nodes. A choice costs a
 * preemption when it switches away from a task that could go on; options
 * that would exceed the bound are not tried.
 *
 * Sleep sets (optional): after option t of node s has been explored, the
 * later options u of s carry t "asleep" for as long as the steps that run
 * touch objects other than those t's step touched (SCHED_OBJ_* points); a
 * sleeping task is not picked, since picking it there only reorders steps
 * that commute with a schedule already run. With a preemption bound the
 * reordered schedule may cost more preemptions than the one skipped, which
 * would make the search miss schedules: t is put to sleep for u only when
 * moving t's step in front of u's costs no extra preemption whatever comes
 * after: pre(t) + cont(t) <= pre(u), where pre(x) says that picking x at s
 * preempts the last task and cont(t) that t could still go on after its
 * step.
 *
 * Shards: the tree is cut at a fixed depth; the subtrees below it (and the
 * schedules that end above it) are numbered in the order the search meets
 * them, which is the same in every shard, and shard I of N explores those
 * whose number is I mod N. A run that enters someone else's subtree (or that
 * the sleep set shows to be redundant) is finished with default choices but
 * neither counted nor checked: cutting it short would leave the program's
 * locks held.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/sched.h"
#include "base/sched_internal.h"
#include "ulib/strbuf.h"

#define MAX_IDS		64

struct sentry {
	u32 task;
	struct sched_footprint fp;
};

/* What an explored option's step did (sleep sets). */
struct optinfo {
	u32 task;
	bool cont;		/* the task could go on after its step */
	struct sched_footprint fp;
};

struct xnode {
	u32 cur;		/* who ran the last step */
	bool cur_pre;		/* and could go on */
	bool spun;		/* and spun: the default is round robin */
	u64 cand;		/* who could run (id mask) */
	u64 done;		/* options tried */
	u64 sleep;		/* asleep on arrival (id mask) */
	struct sentry *sl;	/* and their steps */
	unsigned int nsl;
	struct optinfo *opts;
	unsigned int nopts;
	u32 chosen;
	u32 cost;		/* preemptions before this node */
};

struct replay_entry {
	u64 idx;
	u32 task;
};

static struct {
	/* sched_explore() in progress */
	bool driving;
	const struct sched_explore_config *cfg;
	unsigned int k;

	/* bounded: the stack */
	struct xnode *nodes;
	size_t n, cap;
	size_t depth;		/* branching points passed in this run */
	size_t replay_len;	/* nodes followed from the stack */
	u32 cost;
	bool discard;		/* finish with defaults, count nothing */
	bool nondet;
	bool too_many;		/* a run had more than MAX_IDS tasks */
	struct sentry *sleep;	/* the sleep set now */
	unsigned int nsleep, cap_sleep;
	struct sentry *adds;	/* entering the sleep set after the step */
	unsigned int nadds, cap_adds;
	long fill;		/* node whose chosen step is running, or -1 */
	u64 subtree;		/* shards: subtrees met so far */
	bool owned;		/* the current subtree is ours */
	bool assigned;		/* this run's subtree is known */

	/* replay */
	bool bounded;		/* this run: bounded (else replay) */
	struct replay_entry *rp;
	size_t nrp, rp_pos;
	u64 bidx;
	bool diverged;
} X;

static inline u64 bit(u32 id)
{
	return 1ULL << id;
}

static bool fp_indep(const struct sched_footprint *a,
		     const struct sched_footprint *b)
{
	unsigned int i, j;

	if (a->unknown || b->unknown)
		return false;
	for (i = 0; i < a->n; i++)
		for (j = 0; j < b->n; j++)
			if (a->obj[i] == b->obj[j])
				return false;
	return true;
}

static struct task *find_cand(const struct sched_choice *c, u32 id)
{
	int i;

	for (i = 0; i < c->nr; i++)
		if ((u32)task_id(c->cand[i]) == id)
			return c->cand[i];
	return NULL;
}

/*
 * The default choice: go on if possible, else the first candidate: the
 * lowest id, or after a spin the next id above the spinner's (round robin).
 */
static struct task *default_choice(const struct sched_choice *c)
{
	if (c->cur_preemptible)
		return c->cur;
	return c->cand[0];
}

/* --- replay --------------------------------------------------------------- */

static void replay_parse(const char *s)
{
	size_t cap = 0;

	X.nrp = X.rp_pos = 0;
	X.bidx = 0;
	X.diverged = false;
	while (s && *s) {
		char *end;
		unsigned long long idx, task;

		while (*s == ',' || *s == ' ')
			s++;
		if (!*s)
			break;
		idx = strtoull(s, &end, 10);
		if (end == s || *end != ':')
			goto bad;
		s = end + 1;
		task = strtoull(s, &end, 10);
		if (end == s)
			goto bad;
		s = end;
		if (X.nrp && idx <= X.rp[X.nrp - 1].idx)
			goto bad;
		if (X.nrp == cap) {
			cap = cap ? cap * 2 : 16;
			X.rp = xrealloc(X.rp, cap * sizeof(*X.rp));
		}
		X.rp[X.nrp].idx = idx;
		X.rp[X.nrp].task = (u32)task;
		X.nrp++;
	}
	return;
bad:
	pr_warn("sched: bad replay choice list near \"%s\"\n", s);
	X.diverged = true;
}

static struct task *replay_choose(const struct sched_choice *c)
{
	struct task *t;

	if (c->nr < 2)
		return c->cand[0];
	if (X.rp_pos < X.nrp && X.rp[X.rp_pos].idx == X.bidx) {
		t = find_cand(c, X.rp[X.rp_pos].task);
		X.rp_pos++;
		X.bidx++;
		if (t)
			return t;
		X.diverged = true;
		return default_choice(c);
	}
	X.bidx++;
	return default_choice(c);
}

/* --- bounded ---------------------------------------------------------------- */

static bool pre(const struct xnode *nd, u32 x)
{
	return nd->cur_pre && x != nd->cur;
}

static void sleep_push(struct sentry **arr, unsigned int *n, unsigned int *cap,
		       const struct sentry *e)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		*arr = xrealloc(*arr, *cap * sizeof(**arr));
	}
	(*arr)[(*n)++] = *e;
}

static u64 sleep_mask(void)
{
	u64 m = 0;
	unsigned int i;

	for (i = 0; i < X.nsleep; i++)
		m |= bit(X.sleep[i].task);
	return m;
}

/* The first option of a new node: go on, else the lowest id; awake and affordable. */
static int first_option(const struct xnode *nd, const struct sched_choice *c)
{
	int i;

	if (nd->cur_pre && !(nd->sleep & bit(nd->cur)))
		return nd->cur;
	for (i = 0; i < c->nr; i++) {
		u32 id = task_id(c->cand[i]);

		if (nd->sleep & bit(id))
			continue;
		if (nd->cost + pre(nd, id) > X.k)
			continue;
		return id;
	}
	return -1;
}

static int next_option(const struct xnode *nd)
{
	u32 id;

	for (id = 0; id < MAX_IDS; id++) {
		if (!(nd->cand & bit(id)) || (nd->done & bit(id)) ||
		    (nd->sleep & bit(id)))
			continue;
		if (nd->cost + pre(nd, id) > X.k)
			continue;
		return id;
	}
	return -1;
}

static void node_free(struct xnode *nd)
{
	free(nd->sl);
	free(nd->opts);
	memset(nd, 0, sizeof(*nd));
}

/* Sleep-set entries that picking @u at @nd adds: the explored options that may sleep. */
static void collect_adds(const struct xnode *nd, u32 u)
{
	unsigned int i;

	X.nadds = 0;
	for (i = 0; i < nd->nopts; i++) {
		const struct optinfo *o = &nd->opts[i];
		struct sentry e;

		if (o->task == u || !(nd->done & bit(o->task)))
			continue;
		if (pre(nd, o->task) + o->cont > pre(nd, u))
			continue;
		e.task = o->task;
		e.fp = o->fp;
		sleep_push(&X.adds, &X.nadds, &X.cap_adds, &e);
	}
}

/* The step that just ended was @c->cur's: learn it and update the sleep set. */
static void account_step(const struct sched_choice *c)
{
	unsigned int i, j;

	if (X.fill >= 0) {
		struct xnode *nd = &X.nodes[X.fill];
		u32 id = task_id(c->cur);

		for (i = 0; i < nd->nopts; i++)
			if (nd->opts[i].task == id)
				break;
		if (i == nd->nopts) {
			nd->opts = xrealloc(nd->opts,
					    (nd->nopts + 1) * sizeof(*nd->opts));
			nd->opts[i].task = id;
			nd->opts[i].cont = c->cur_preemptible;
			nd->opts[i].fp = *c->fp;
			nd->nopts++;
		}
		X.fill = -1;
	}
	for (i = 0; i < X.nadds; i++)
		sleep_push(&X.sleep, &X.nsleep, &X.cap_sleep, &X.adds[i]);
	X.nadds = 0;
	for (i = j = 0; i < X.nsleep; i++)
		if (fp_indep(&X.sleep[i].fp, c->fp))
			X.sleep[j++] = X.sleep[i];
	X.nsleep = j;
}

static struct task *bounded_choose(const struct sched_choice *c)
{
	const struct sched_explore_config *cfg = X.cfg;
	struct xnode *nd;
	u64 cand = 0;
	int i, chosen;

	if (X.discard)
		return default_choice(c);
	if (cfg->sleep_sets)
		account_step(c);
	for (i = 0; i < c->nr; i++) {
		if (task_id(c->cand[i]) >= MAX_IDS) {
			X.too_many = true;
			X.discard = true;
			return default_choice(c);
		}
		cand |= bit(task_id(c->cand[i]));
	}
	if (c->nr == 1) {
		/* Everything that can run is asleep: covered elsewhere. */
		if (cfg->sleep_sets && (sleep_mask() & cand))
			X.discard = true;
		return c->cand[0];
	}

	if (X.depth < X.replay_len) {
		nd = &X.nodes[X.depth];
		if (nd->cur != (u32)task_id(c->cur) || nd->cand != cand ||
		    nd->cur_pre != c->cur_preemptible || nd->spun != c->spun) {
			X.nondet = true;
			X.discard = true;
			return default_choice(c);
		}
		if (cfg->sleep_sets) {
			X.nsleep = 0;
			for (i = 0; i < (int)nd->nsl; i++)
				sleep_push(&X.sleep, &X.nsleep, &X.cap_sleep,
					   &nd->sl[i]);
		}
		chosen = nd->chosen;
	} else {
		/* A subtree below the shard depth: whose is it? */
		if (cfg->nr_shards > 1 && X.depth == cfg->shard_depth) {
			X.owned = X.subtree++ % cfg->nr_shards == cfg->shard;
			X.assigned = true;
			if (!X.owned) {
				X.discard = true;
				return default_choice(c);
			}
		}
		if (X.n == X.cap) {
			X.cap = X.cap ? X.cap * 2 : 256;
			X.nodes = xrealloc(X.nodes, X.cap * sizeof(*X.nodes));
		}
		nd = &X.nodes[X.n];
		memset(nd, 0, sizeof(*nd));
		nd->cur = task_id(c->cur);
		nd->cur_pre = c->cur_preemptible;
		nd->spun = c->spun;
		nd->cand = cand;
		nd->cost = X.cost;
		if (cfg->sleep_sets && X.nsleep) {
			nd->sleep = sleep_mask();
			nd->sl = xmalloc(X.nsleep * sizeof(*nd->sl));
			memcpy(nd->sl, X.sleep, X.nsleep * sizeof(*nd->sl));
			nd->nsl = X.nsleep;
		}
		chosen = first_option(nd, c);
		if (chosen < 0) {
			/* Nothing awake within the bound: covered elsewhere. */
			node_free(nd);
			X.discard = true;
			return default_choice(c);
		}
		nd->chosen = chosen;
		nd->done = bit(chosen);
		X.n++;
	}
	X.cost += pre(nd, chosen);
	if (cfg->sleep_sets) {
		collect_adds(nd, chosen);
		X.fill = X.depth;
	}
	X.depth++;
	return find_cand(c, chosen);
}

/* Move to the next path; false when the tree is done. */
static bool backtrack(void)
{
	while (X.n > 0) {
		struct xnode *nd = &X.nodes[X.n - 1];
		int x = next_option(nd);

		if (x >= 0) {
			nd->chosen = x;
			nd->done |= bit(x);
			X.replay_len = X.n;
			return true;
		}
		node_free(nd);
		X.n--;
	}
	X.replay_len = 0;
	return false;
}

/* The id default_choice() picked at @nd when the task could not go on. */
static u32 default_id(const struct xnode *nd)
{
	u64 above = nd->spun && nd->cur < 63 ?
			    nd->cand & (~0ULL << (nd->cur + 1)) : 0;

	return (u32)__builtin_ctzll(above ? above : nd->cand);
}

/* The choice list that replays the path on the stack. */
static char *choice_list(void)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	for (i = 0; i < X.n; i++) {
		const struct xnode *nd = &X.nodes[i];
		u32 def = nd->cur_pre ? nd->cur : default_id(nd);

		if (nd->chosen != def)
			sb_printf(&sb, "%s%zu:%u", sb.len ? "," : "", i,
				  nd->chosen);
	}
	return sb_detach(&sb);
}

/* --- the scheduler's hooks ------------------------------------------------------ */

void explore_run_start(const struct sched_config *cfg)
{
	X.bounded = X.driving && cfg->strategy == SCHED_STRATEGY_BOUNDED;
	if (X.bounded) {
		X.depth = 0;
		X.cost = 0;
		X.discard = false;
		X.nsleep = X.nadds = 0;
		X.fill = -1;
		X.assigned = X.replay_len > X.cfg->shard_depth;
		return;
	}
	replay_parse(cfg->strategy == SCHED_STRATEGY_REPLAY ? cfg->replay :
							      NULL);
}

void explore_run_end(struct sched_result *res)
{
	if (!X.bounded) {
		if (X.rp_pos < X.nrp)
			X.diverged = true;
		res->replay_diverged = X.diverged;
	}
}

bool explore_wants_footprints(void)
{
	return X.bounded && X.cfg->sleep_sets;
}

struct task *explore_choose(const struct sched_choice *c)
{
	return X.bounded ? bounded_choose(c) : replay_choose(c);
}

/* --- the driver ---------------------------------------------------------------- */

int sched_explore(const struct sched_explore_config *cfg_in,
		  int (*fn)(void *), void *arg,
		  int (*check)(void *arg, const struct sched_result *res),
		  struct sched_explore_result *res)
{
	struct sched_explore_config cfg = *cfg_in;
	struct sched_config run = cfg.run;
	bool stop = false;
	unsigned int k;
	int err = 0;

	memset(res, 0, sizeof(*res));
	res->bound = -1;
	if (cfg.nr_shards <= 1) {
		cfg.nr_shards = 1;
		cfg.shard = 0;
	}
	if (!cfg.shard_depth)
		cfg.shard_depth = 4;
	if (cfg.shard >= cfg.nr_shards)
		return -EINVAL;
	if (X.driving)
		return -EBUSY;
	run.mode = SCHED_MODE_DETERMINISTIC;
	run.strategy = SCHED_STRATEGY_BOUNDED;
	run.replay = NULL;

	X.driving = true;
	X.cfg = &cfg;
	for (k = cfg.no_iterative ? cfg.preemptions : 0;
	     k <= cfg.preemptions && !stop; k++) {
		X.k = k;
		X.n = 0;
		X.replay_len = 0;
		X.subtree = 0;
		X.owned = true;
		do {
			struct sched_result sr;
			bool counted;

			err = sched_run(&run, fn, arg, &sr);
			if (err)
				goto out;
			res->runs++;
			if (X.too_many) {
				err = -E2BIG;
				goto out;
			}
			if (X.nondet) {
				res->nondeterministic = true;
				stop = true;
				break;
			}
			/* A schedule that ended above the shard depth. */
			if (!X.discard && !X.assigned && cfg.nr_shards > 1)
				X.owned = X.subtree++ % cfg.nr_shards ==
					  cfg.shard;
			counted = !X.discard && X.owned &&
				  (cfg.no_iterative || X.cost == k);
			if (counted) {
				res->schedules++;
				if (check ? check(arg, &sr) :
					    sr.verdict != SCHED_OK) {
					res->failures++;
					if (!res->found) {
						res->found = true;
						res->failing = choice_list();
						res->failing_result = sr;
						res->failing_preemptions =
							X.cost;
					}
					if (!cfg.keep_going)
						stop = true;
				}
				if (cfg.max_schedules &&
				    res->schedules >= cfg.max_schedules)
					stop = true;
			}
		} while (!stop && backtrack());
		if (!stop) {
			res->bound = (int)k;
			if (k == cfg.preemptions)
				res->exhausted = true;
		}
	}
out:
	while (X.n)
		node_free(&X.nodes[--X.n]);
	X.driving = false;
	X.cfg = NULL;
	X.nondet = false;
	X.too_many = false;
	if (!err && res->nondeterministic && res->runs)
		pr_warn("sched_explore: a re-run did not repeat its prefix: the program is not deterministic\n");
	return err;
}
