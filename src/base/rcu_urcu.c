// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The only file that includes liburcu: its headers map rcu_read_lock() and
 * friends to the flavour's names and define their own struct rcu_head, which
 * would clash with tdxsim's. base/rcu.c calls these thin wrappers.
 */
#include <urcu/urcu-memb.h>

#include "base/rcu_urcu.h"

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

