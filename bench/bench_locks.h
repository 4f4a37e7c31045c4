/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The liburcu loops of bench_locks (bench_locks_urcu.c). */
#ifndef TDXSIM_BENCH_LOCKS_H
#define TDXSIM_BENCH_LOCKS_H

void bench_urcu_read_pairs(unsigned long n);

#endif /* TDXSIM_BENCH_LOCKS_H */
