/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Thin wrappers around liburcu's memb flavour (see rcu_urcu.c, which also
 * holds the read side). Only base/rcu.c uses them.
 */
#ifndef TDXSIM_BASE_RCU_URCU_H
#define TDXSIM_BASE_RCU_URCU_H

void urcu_wrap_register_thread(void);
void urcu_wrap_unregister_thread(void);
void urcu_wrap_synchronize(void);

#endif /* TDXSIM_BASE_RCU_URCU_H */
