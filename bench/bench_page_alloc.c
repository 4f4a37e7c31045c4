// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Cost of the page allocator against malloc() in the same run: 4K
 * alloc+free (with and without touching the page) and 2M alloc+free.
 * Prints ratios only; the machine's speed cancels out.
 */
#include <stdio.h>
#include <stdlib.h>

#include "base/page_alloc.h"
#include "base/stats.h"

#define ITERS_4K	200000
#define ITERS_2M	5000
#define ROUNDS		3

/* Keeps the compiler from eliding malloc()/free() pairs. */
static void *volatile sink;

static u64 time_pages(unsigned int order, unsigned int iters, bool touch)
{
	u64 t0 = ktime_get_ns();
	unsigned int i;

	for (i = 0; i < iters; i++) {
		struct page *p = alloc_pages(order);

		if (!p) {
			fprintf(stderr, "bench_page_alloc: out of memory\n");
			exit(1);
		}
		if (touch)
			*(volatile u8 *)page_address(p) = 1;
		sink = p;
		__free_pages(p, order);
	}
	return ktime_get_ns() - t0;
}

static u64 time_malloc(size_t size, unsigned int iters, bool touch)
{
	u64 t0 = ktime_get_ns();
	unsigned int i;

	for (i = 0; i < iters; i++) {
		void *p = malloc(size);

		if (!p) {
			fprintf(stderr, "bench_page_alloc: out of memory\n");
			exit(1);
		}
		if (touch)
			*(volatile u8 *)p = 1;
		sink = p;
		free(sink);
	}
	return ktime_get_ns() - t0;
}

/* Best of ROUNDS for each side, so a stray preemption does not count. */
static void report(const char *what, unsigned int order, size_t size,
		   unsigned int iters, bool touch)
{
	u64 best_p = ~0ULL, best_m = ~0ULL;
	int r;

	for (r = 0; r < ROUNDS; r++) {
		best_p = min(best_p, time_pages(order, iters, touch));
		best_m = min(best_m, time_malloc(size, iters, touch));
	}
	printf("%-48s ratio %.2f\n", what, (double)best_p / (double)best_m);
}

int main(void)
{
	if (phys_mem_init(SZ_1G)) {
		fprintf(stderr, "bench_page_alloc: phys_mem_init failed\n");
		return 1;
	}
	report("alloc_page+free vs malloc(4K)+free", 0, SZ_4K, ITERS_4K,
	       false);
	report("alloc_page+touch+free vs malloc(4K)+touch+free", 0, SZ_4K,
	       ITERS_4K, true);
	report("alloc_pages(9)+free vs malloc(2M)+free", PMD_ORDER, SZ_2M,
	       ITERS_2M, false);
	return phys_mem_exit() ? 1 : 0;
}
