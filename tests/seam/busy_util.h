/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the module's contention tests (test_busy.c, test_busy_guest.c)
 * share: two tasks a and b run ops under the deterministic scheduler for a
 * seed, with their statuses in ret_a and ret_b, and the fixtures they use.
 */
#ifndef TDXSIM_TESTS_SEAM_BUSY_UTIL_H
#define TDXSIM_TESTS_SEAM_BUSY_UTIL_H

#include "seam_test.h"

#define NR_SEEDS	300

extern struct test_td td;
extern u64 vp_pa, gpa_a, gpa_b, page2, tdr2;
extern u64 ret_a, ret_b;
extern u64 (*op_a)(void), (*op_b)(void);

/* A task running op_a() and one running op_b(), joined (sched_run fn). */
int two_tasks(void *arg);
/* two_tasks() deterministically with @seed; ret_a and ret_b are set. */
void run_seed(u64 seed);

/* RUNNABLE TD, a PENDING page at gpa_b, the path ready at gpa_a. */
void fixture_tree(void);
/* TDH.VP.ENTER of the TD's vCPU 0; the exit reason or status. */
u64 do_enter_vcpu0(void);
/* TDH.MEM.RANGE.BLOCK of gpa_b (4K). */
u64 do_block_b(void);

#endif /* TDXSIM_TESTS_SEAM_BUSY_UTIL_H */
