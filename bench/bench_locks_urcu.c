// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The raw liburcu side of bench_locks: liburcu's headers define their own
 * struct rcu_head and map rcu_read_lock() to the flavour's names, so they
 * cannot share a file with tdxsim's base/rcu.h. These loops call the memb
 * flavour's exported functions, as any liburcu user (and tdxsim's own
 * wrapper before its fast path) does.
 */
#include <urcu/urcu-memb.h>

#include "bench_locks.h"

void bench_urcu_read_pairs(unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		urcu_memb_read_lock();
		urcu_memb_read_unlock();
	}
}
