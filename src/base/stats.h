/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Counters: 64-bit atomic event counts that any layer keeps in its own
 * structures and reports by name.
 */
#ifndef TDXSIM_BASE_STATS_H
#define TDXSIM_BASE_STATS_H

#include "ulib/compiler.h"

struct counter {
	u64 v;
};

static inline void counter_add(struct counter *c, u64 n)
{
	__atomic_fetch_add(&c->v, n, __ATOMIC_RELAXED);
}

static inline void counter_inc(struct counter *c)
{
	counter_add(c, 1);
}

static inline u64 counter_read(const struct counter *c)
{
	return __atomic_load_n(&c->v, __ATOMIC_RELAXED);
}

static inline void counter_reset(struct counter *c)
{
	__atomic_store_n(&c->v, 0, __ATOMIC_RELAXED);
}

/* Monotonic wall clock in nanoseconds. */
u64 ktime_get_ns(void);

#endif /* TDXSIM_BASE_STATS_H */
