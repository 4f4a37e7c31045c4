// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The only file that includes liburcu: its headers map rcu_read_lock() and
 * friends to the flavour's names and define their own struct rcu_head, which
 * would clash with tdxsim's. base/rcu.c calls these thin wrappers.
 */
#include <urcu/urcu-memb.h>

#include "base/rcu_urcu.h"

_Static_assert(sizeof(struct rcu_head) <= 2 * sizeof(void *),
	       "tdxsim's struct rcu_head must have room for liburcu's");

void urcu_wrap_register_thread(void)
{
	urcu_memb_register_thread();
}

void urcu_wrap_unregister_thread(void)
{
	urcu_memb_unregister_thread();
}

void urcu_wrap_read_lock(void)
{
	urcu_memb_read_lock();
}

void urcu_wrap_read_unlock(void)
{
	urcu_memb_read_unlock();
}

void urcu_wrap_synchronize(void)
{
	urcu_memb_synchronize_rcu();
}

void urcu_wrap_call(void *storage, void (*func)(void *storage))
{
	urcu_memb_call_rcu((struct rcu_head *)storage,
			   (void (*)(struct rcu_head *))func);
}

void urcu_wrap_barrier(void)
{
	urcu_memb_barrier();
}
