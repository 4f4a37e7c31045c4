// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The deterministic scheduler's two back ends on the five seed scenarios:
 * each scenario's exploration (upstream design, random strategy, a fixed
 * number of schedules) on fibers and on the pthread hand-off, repetitions
 * interleaved so that a change in the machine's load hits both alike. Prints
 * the median schedules per second (wall clock) and CPU microseconds per
 * schedule of each, and the fiber/thread ratios of both (on a loaded
 * machine the wall clock mostly measures the wait for a core: read the
 * CPU ratio).
 *
 *   bench_sched [--schedules N] [--reps R] [SCENARIO...]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "tdxsim/scenario.h"

#define MAX_REPS	15

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_now(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One exploration on @backend; schedules per second and CPU s per schedule. */
static int explore_once(const struct tdxsim_scenario *s, const char *backend,
			uint64_t schedules, double *rate, double *cpu)
{
	struct tdxsim_scenario_explore_opts o = {
		.first_seed = 1,
		.schedules = schedules,
		.strategy = TDXSIM_STRATEGY_RANDOM,
		.quiet = true,
	};
	struct tdxsim_scenario_explore_result r;
	double t0, c0;

	setenv("TDXSIM_SCHED_BACKEND", backend, 1);
	t0 = now();
	c0 = cpu_now();
	if (tdxsim_scenario_explore(s, "upstream", &o, &r))
		return -1;
	*cpu = (cpu_now() - c0) / (r.runs ? r.runs : 1);
	*rate = r.runs / (now() - t0);
	if (r.found)
		tdxsim_scenario_result_free(&r.first);
	if (r.runs != schedules || r.failures) {
		fprintf(stderr, "bench_sched: %s on %s: %llu of %llu schedules ran, %llu failed\n",
			s->name, backend, (unsigned long long)r.runs,
			(unsigned long long)schedules,
			(unsigned long long)r.failures);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *names[16];
	uint64_t schedules = 100;
	int reps = 3, nr_names = 0, i, rep;
	const struct tdxsim_scenario *list;
	size_t nr_list, k;
	int err = 0;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--schedules") && i + 1 < argc)
			schedules = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
			reps = atoi(argv[++i]);
		else if (argv[i][0] != '-' && nr_names < 16)
			names[nr_names++] = argv[i];
		else {
			fprintf(stderr, "usage: bench_sched [--schedules N] [--reps R] [SCENARIO...]\n");
			return 2;
		}
	}
	if (reps < 1 || reps > MAX_REPS || !schedules) {
		fprintf(stderr, "bench_sched: --reps 1..%d, --schedules > 0\n",
			MAX_REPS);
		return 2;
	}
	list = tdxsim_scenario_list(&nr_list);

	printf("deterministic scheduler: fibers vs pthread hand-off, %llu schedules per exploration, median of %d\n",
	       (unsigned long long)schedules, reps);
	printf("%-24s %12s %12s %8s %12s %12s %9s\n", "scenario", "thread sch/s",
	       "fiber sch/s", "ratio", "thread us/s", "fiber us/s",
	       "cpu ratio");
	for (k = 0; k < nr_list; k++) {
		const struct tdxsim_scenario *s = &list[k];
		double rate[2][MAX_REPS], cpu[2][MAX_REPS];
		double mr[2], mc[2];
		int b;

		if (nr_names) {
			for (i = 0; i < nr_names; i++)
				if (!strcmp(names[i], s->name))
					break;
			if (i == nr_names)
				continue;
		}
		for (rep = 0; rep < reps && !err; rep++)
			for (b = 0; b < 2 && !err; b++)
				err = explore_once(s, b ? "fiber" : "thread",
						   schedules, &rate[b][rep],
						   &cpu[b][rep]);
		if (err)
			break;
		for (b = 0; b < 2; b++) {
			mr[b] = median(rate[b], reps);
			mc[b] = median(cpu[b], reps);
		}
		printf("%-24s %12.0f %12.0f %7.1fx %12.0f %12.0f %8.1fx\n",
		       s->name, mr[0], mr[1], mr[1] / mr[0], mc[0] * 1e6,
		       mc[1] * 1e6, mc[0] / mc[1]);
		fflush(stdout);
	}
	unsetenv("TDXSIM_SCHED_BACKEND");
	return err ? 1 : 0;
}
