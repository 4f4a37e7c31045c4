// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tdxsim's addition: the public runtime API (include/tdxsim/sched.h and
 * report.h) over base's scheduler, lock validator and log. The VMM, the
 * scenario harness, the tools and users' programs see only the public
 * headers; this file is where those calls meet base. It exists because a
 * program driving tdxsim must run its threads under tdxsim's scheduler and
 * read the validator's verdicts as data, and neither is a kernel interface.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/lockdep.h"
#include "base/log.h"
#include "base/sched.h"
#include "tdxsim/report.h"
#include "tdxsim/sched.h"

_Static_assert((int)TDXSIM_VERDICT_OK == (int)SCHED_OK &&
	       (int)TDXSIM_VERDICT_DEADLOCK == (int)SCHED_DEADLOCK &&
	       (int)TDXSIM_VERDICT_HANG == (int)SCHED_HANG &&
	       (int)TDXSIM_VERDICT_LIVELOCK == (int)SCHED_LIVELOCK,
	       "verdicts");
_Static_assert((int)TDXSIM_REPORT_CIRCULAR == (int)LOCKDEP_CIRCULAR &&
	       (int)TDXSIM_REPORT_RECURSIVE == (int)LOCKDEP_RECURSIVE &&
	       (int)TDXSIM_REPORT_BAD_UNLOCK == (int)LOCKDEP_BAD_UNLOCK &&
	       (int)TDXSIM_REPORT_HELD_AT_EXIT == (int)LOCKDEP_HELD_AT_EXIT &&
	       (int)TDXSIM_REPORT_ASSERT == (int)LOCKDEP_ASSERT &&
	       (int)TDXSIM_REPORT_DEADLOCK == (int)LOCKDEP_DEADLOCK &&
	       (int)TDXSIM_REPORT_HANG == (int)LOCKDEP_HANG &&
	       (int)TDXSIM_REPORT_LIVELOCK == (int)LOCKDEP_LIVELOCK &&
	       (int)TDXSIM_REPORT_LOCKDEP_BUG == (int)LOCKDEP_BUG,
	       "report kinds");

/* ---- runs and threads ---- */

static void to_sched_config(const struct tdxsim_sched_config *c,
			    struct sched_config *s)
{
	sched_config_init(s);
	s->mode = c->mode == TDXSIM_SCHED_DETERMINISTIC ?
		  SCHED_MODE_DETERMINISTIC : SCHED_MODE_FREE;
	s->strategy = c->strategy == TDXSIM_STRATEGY_PCT ? SCHED_STRATEGY_PCT :
		      c->strategy == TDXSIM_STRATEGY_REPLAY ?
		      SCHED_STRATEGY_REPLAY : SCHED_STRATEGY_RANDOM;
	s->replay = c->replay;
	s->seed = c->seed;
	s->pct_depth = c->pct_depth;
	s->pct_steps = c->pct_steps;
	s->max_steps = c->max_steps;
	s->hang_timeout_ms = c->hang_timeout_ms;
	s->record_trace = c->record_trace;
	s->quiet = c->quiet;
}

static void to_result(const struct sched_result *r,
		      struct tdxsim_sched_result *res)
{
	res->verdict = (enum tdxsim_verdict)r->verdict;
	res->ret = r->ret;
	res->steps = r->steps;
	res->switches = r->switches;
	res->preemptions = r->preemptions;
	res->replay_diverged = r->replay_diverged;
}

void tdxsim_sched_config_init(struct tdxsim_sched_config *cfg)
{
	struct sched_config s;

	sched_config_init(&s);
	memset(cfg, 0, sizeof(*cfg));
	cfg->mode = TDXSIM_SCHED_FREE;
	cfg->strategy = TDXSIM_STRATEGY_RANDOM;
	cfg->seed = s.seed;
	cfg->pct_depth = s.pct_depth;
	cfg->pct_steps = s.pct_steps;
	cfg->max_steps = s.max_steps;
	cfg->hang_timeout_ms = s.hang_timeout_ms;
	cfg->record_trace = s.record_trace;
	cfg->quiet = s.quiet;
}

void tdxsim_sched_config_deterministic(struct tdxsim_sched_config *cfg,
				       enum tdxsim_sched_strategy strategy,
				       uint64_t seed)
{
	tdxsim_sched_config_init(cfg);
	cfg->mode = TDXSIM_SCHED_DETERMINISTIC;
	cfg->strategy = strategy;
	cfg->seed = seed;
}

int tdxsim_sched_run(const struct tdxsim_sched_config *cfg,
		     int (*fn)(void *), void *arg,
		     struct tdxsim_sched_result *res)
{
	struct sched_config s;
	struct sched_result r;
	int ret;

	if (!cfg || !fn || !res)
		return -EINVAL;
	if (cfg->mode != TDXSIM_SCHED_FREE &&
	    cfg->mode != TDXSIM_SCHED_DETERMINISTIC)
		return -EINVAL;
	if (cfg->strategy != TDXSIM_STRATEGY_RANDOM &&
	    cfg->strategy != TDXSIM_STRATEGY_PCT &&
	    cfg->strategy != TDXSIM_STRATEGY_REPLAY)
		return -EINVAL;
	if (cfg->strategy == TDXSIM_STRATEGY_REPLAY &&
	    cfg->mode != TDXSIM_SCHED_DETERMINISTIC)
		return -EINVAL;
	to_sched_config(cfg, &s);
	ret = sched_run(&s, fn, arg, &r);
	if (ret)
		return ret;
	to_result(&r, res);
	return 0;
}

/* ---- bounded exhaustive search ---- */

struct explore_tramp {
	int (*check)(void *arg, const struct tdxsim_sched_result *res);
	void *arg;
	int (*fn)(void *);
};

static int explore_fn(void *arg)
{
	struct explore_tramp *t = arg;

	return t->fn(t->arg);
}

static int explore_check(void *arg, const struct sched_result *r)
{
	struct explore_tramp *t = arg;
	struct tdxsim_sched_result res;

	if (!t->check)
		return r->verdict != SCHED_OK;
	to_result(r, &res);
	return t->check(t->arg, &res);
}

int tdxsim_sched_explore(const struct tdxsim_explore_config *cfg,
			 int (*fn)(void *), void *arg,
			 int (*check)(void *arg,
				      const struct tdxsim_sched_result *res),
			 struct tdxsim_explore_result *res)
{
	struct explore_tramp t = { .check = check, .arg = arg, .fn = fn };
	struct sched_explore_config c;
	struct sched_explore_result r;
	int ret;

	if (!cfg || !fn || !res)
		return -EINVAL;
	memset(&c, 0, sizeof(c));
	to_sched_config(&cfg->run, &c.run);
	c.preemptions = cfg->preemptions;
	c.sleep_sets = cfg->sleep_sets;
	c.no_iterative = cfg->no_iterative;
	c.shard = cfg->shard;
	c.nr_shards = cfg->nr_shards;
	c.max_schedules = cfg->max_schedules;
	c.keep_going = cfg->keep_going;
	ret = sched_explore(&c, explore_fn, &t, explore_check, &r);
	if (ret)
		return ret;
	memset(res, 0, sizeof(*res));
	res->schedules = r.schedules;
	res->runs = r.runs;
	res->failures = r.failures;
	res->exhausted = r.exhausted;
	res->bound = r.bound;
	res->nondeterministic = r.nondeterministic;
	res->found = r.found;
	res->failing = r.failing;
	to_result(&r.failing_result, &res->failing_result);
	res->failing_result.preemptions = r.failing_preemptions;
	return 0;
}

const char *tdxsim_verdict_name(enum tdxsim_verdict v)
{
	return sched_verdict_name((enum sched_verdict)v);
}

bool tdxsim_sched_deterministic(void)
{
	return sched_deterministic();
}

struct tdxsim_thread *tdxsim_thread_create(const char *name,
					   int (*fn)(void *), void *arg)
{
	if (!fn) {
		errno = EINVAL;
		return NULL;
	}
	return (struct tdxsim_thread *)task_create(name ? name : "thread",
						   fn, arg);
}

int tdxsim_thread_join(struct tdxsim_thread *t)
{
	return task_join((struct task *)t);
}

void tdxsim_cpu_relax(void)
{
	cpu_relax();
}

int tdxsim_sched_hold(const char *site)
{
	return sched_hold(site);
}

bool tdxsim_sched_held(const char *site)
{
	return sched_held(site);
}

void tdxsim_sched_release(const char *site)
{
	sched_release(site);
}

void tdxsim_sched_dump_threads(void)
{
	sched_dump_tasks();
}

/* ---- reports ---- */

const char *tdxsim_report_kind_name(enum tdxsim_report_kind kind)
{
	if ((unsigned int)kind >= TDXSIM_NR_REPORT_KINDS)
		return "?";
	return lockdep_report_kind_name((enum lockdep_report_kind)kind);
}

unsigned int tdxsim_nr_reports(void)
{
	return lockdep_nr_reports();
}

unsigned long tdxsim_nr_warnings(void)
{
	return warn_count();
}

unsigned int tdxsim_count_reports(int kind, const char *class_name)
{
	unsigned int k, n = 0;

	if (kind >= 0)
		return lockdep_count_reports((enum lockdep_report_kind)kind,
					     class_name);
	for (k = 0; k < TDXSIM_NR_REPORT_KINDS; k++)
		n += lockdep_count_reports((enum lockdep_report_kind)k,
					   class_name);
	return n;
}

int tdxsim_get_report(unsigned int i, enum tdxsim_report_kind *kind,
		      char *classes, unsigned int len)
{
	const struct lockdep_report *r = lockdep_get_report(i);

	if (!r)
		return -ENOENT;
	if (kind)
		*kind = (enum tdxsim_report_kind)r->kind;
	if (classes && len) {
		strncpy(classes, r->classes ? r->classes : "", len - 1);
		classes[len - 1] = '\0';
	}
	return 0;
}

void tdxsim_reset_reports(void)
{
	lockdep_reset();
}

void tdxsim_set_reports_quiet(bool quiet)
{
	lockdep_set_quiet(quiet);
}

int tdxsim_lockdep_set_enabled(bool on)
{
	if (!TDXSIM_LOCKDEP)
		return -EOPNOTSUPP;
	lockdep_set_enabled(on);
	return 0;
}

const char *tdxsim_lockdep_state(void)
{
	return lockdep_state_name();
}

/* ---- the log ---- */

FILE *tdxsim_log_set_stream(FILE *stream)
{
	FILE *old = log_stream();

	log_set_stream(stream);
	return old;
}

void tdxsim_log_set_level(int level)
{
	log_set_console_level(level);
}

void tdxsim_log(int level, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printk_level(level, "%s", buf);
}
