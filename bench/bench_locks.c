// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Cost of tdxsim's lock and RCU wrappers in free mode (no deterministic run
 * in progress) against the raw primitive measured in the same run, with the
 * lock validator on and off (issue 15, item 7):
 *
 *   read_lock+read_unlock         vs pthread_rwlock_rdlock+unlock
 *   write_lock+write_unlock       vs pthread_rwlock_wrlock+unlock
 *   spin_lock+spin_unlock         vs pthread_spin_lock+unlock
 *   mutex_lock+mutex_unlock       vs pthread_mutex_lock+unlock
 *   rcu_read_lock+rcu_read_unlock vs liburcu's (memb) read lock+unlock
 *   read_lock+read_unlock under two held locks (the fault path's depth:
 *   lockdep checks an edge each time) vs pthread_rwlock_rdlock+unlock
 *
 * One thread (of a multi-threaded process), uncontended. Every round times each variant once, in a
 * rotating order (interleaved A/B repetitions); the figure is the median
 * over the rounds, printed as a ratio against the raw primitive's median.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/lock.h"
#include "base/lockdep.h"
#include "base/rcu.h"
#include "base/stats.h"
#include "bench_locks.h"

#define PAIRS	20000UL
#define ROUNDS	51

enum variant { RAW, LD_ON, LD_OFF, NR_VARIANTS };

struct bench_case {
	const char *name;
	const char *raw_name;
	void (*raw)(unsigned long n);
	void (*tdx)(unsigned long n);
};

static pthread_rwlock_t p_rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_spinlock_t p_spin;
static pthread_mutex_t p_mutex = PTHREAD_MUTEX_INITIALIZER;

static rwlock_t t_rw;
static spinlock_t t_spin;
static struct mutex t_mutex;
static struct mutex t_outer;
static struct rw_semaphore t_outer_sem;

static void raw_read(unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		pthread_rwlock_rdlock(&p_rw);
		pthread_rwlock_unlock(&p_rw);
	}
}

static void raw_write(unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		pthread_rwlock_wrlock(&p_rw);
		pthread_rwlock_unlock(&p_rw);
	}
}

static void raw_spin(unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		pthread_spin_lock(&p_spin);
		pthread_spin_unlock(&p_spin);
	}
}

static void raw_mutex(unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		pthread_mutex_lock(&p_mutex);
		pthread_mutex_unlock(&p_mutex);
	}
}

static void tdx_read(unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		read_lock(&t_rw);
		read_unlock(&t_rw);
	}
}

static void tdx_write(unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		write_lock(&t_rw);
		write_unlock(&t_rw);
	}
}

static void tdx_spin(unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		spin_lock(&t_spin);
		spin_unlock(&t_spin);
	}
}

static void tdx_mutex(unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		mutex_lock(&t_mutex);
		mutex_unlock(&t_mutex);
	}
}

static void tdx_rcu(unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		rcu_read_lock();
		rcu_read_unlock();
	}
}

static void tdx_read_nested(unsigned long n)
{
	unsigned long i;

	mutex_lock(&t_outer);
	down_read(&t_outer_sem);
	for (i = 0; i < n; i++) {
		read_lock(&t_rw);
		read_unlock(&t_rw);
	}
	up_read(&t_outer_sem);
	mutex_unlock(&t_outer);
}

static const struct bench_case cases[] = {
	{ "read_lock+read_unlock", "pthread_rwlock rd", raw_read, tdx_read },
	{ "write_lock+write_unlock", "pthread_rwlock wr", raw_write,
	  tdx_write },
	{ "spin_lock+spin_unlock", "pthread_spinlock", raw_spin, tdx_spin },
	{ "mutex_lock+mutex_unlock", "pthread_mutex", raw_mutex, tdx_mutex },
	{ "rcu_read_lock+rcu_read_unlock", "liburcu memb", bench_urcu_read_pairs,
	  tdx_rcu },
	{ "read_lock+unlock, 2 locks held", "pthread_rwlock rd", raw_read,
	  tdx_read_nested },
};

#define NR_CASES	ARRAY_SIZE(cases)

static double samples[NR_CASES][NR_VARIANTS][ROUNDS];

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned int n)
{
	double tmp[ROUNDS];

	memcpy(tmp, v, n * sizeof(*v));
	qsort(tmp, n, sizeof(*tmp), cmp_double);
	return n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
}

/* ns per lock+unlock pair of one variant of one case. */
static double time_one(const struct bench_case *c, enum variant v)
{
	u64 t0;

	if (v != RAW)
		lockdep_set_enabled(v == LD_ON);
	t0 = ktime_get_ns();
	if (v == RAW)
		c->raw(PAIRS);
	else
		c->tdx(PAIRS);
	return (double)(ktime_get_ns() - t0) / PAIRS;
}

static void *idle_thread(void *arg)
{
	return arg;
}

int main(void)
{
	bool can_enable;
	unsigned int r, i, k;
	pthread_t t;

	/*
	 * glibc skips the atomic instructions of pthread locks while a
	 * process has only ever had one thread; tdxsim never runs so. One
	 * thread started and joined makes the baseline the real one.
	 */
	pthread_create(&t, NULL, idle_thread, NULL);
	pthread_join(t, NULL);

	pthread_spin_init(&p_spin, PTHREAD_PROCESS_PRIVATE);
	rwlock_init(&t_rw);
	spin_lock_init(&t_spin);
	mutex_init(&t_mutex);
	mutex_init(&t_outer);
	init_rwsem(&t_outer_sem);
	/* One liburcu registration serves both sides (same flavour). */
	rcu_register_current_thread();
	lockdep_set_enabled(true);
	can_enable = lockdep_enabled();

	/* Warm up every path once (classes, edges, liburcu registration). */
	for (i = 0; i < NR_CASES; i++)
		for (k = 0; k < NR_VARIANTS; k++)
			time_one(&cases[i], k);

	for (r = 0; r < ROUNDS; r++)
		for (i = 0; i < NR_CASES; i++)
			for (k = 0; k < NR_VARIANTS; k++) {
				enum variant v = (k + r + i) % NR_VARIANTS;

				samples[i][v][r] = time_one(&cases[i], v);
			}
	lockdep_set_enabled(true);

	printf("bench_locks: uncontended lock+unlock pairs in free mode, 1 thread;\n"
	       "medians of %d interleaved rounds of %lu pairs; ratio = tdxsim / raw\n\n",
	       ROUNDS, PAIRS);
	printf("%-32s %-18s %8s %18s %18s\n", "tdxsim", "raw", "raw ns",
	       "lockdep on", "lockdep off");
	for (i = 0; i < NR_CASES; i++) {
		double raw = median(samples[i][RAW], ROUNDS);
		double on = median(samples[i][LD_ON], ROUNDS);
		double off = median(samples[i][LD_OFF], ROUNDS);
		char con[32], coff[32];

		if (can_enable)
			snprintf(con, sizeof(con), "%6.2fx (%5.1f ns)",
				 on / raw, on);
		else
			snprintf(con, sizeof(con), "%18s", "(built without)");
		snprintf(coff, sizeof(coff), "%6.2fx (%5.1f ns)", off / raw,
			 off);
		printf("%-32s %-18s %8.1f %18s %18s\n", cases[i].name,
		       cases[i].raw_name, raw, con, coff);
	}
	return 0;
}
