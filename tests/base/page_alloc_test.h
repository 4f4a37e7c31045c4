/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the page allocator's tests share: the set-up of a 1 GiB PFN space,
 * its statistics, a zero check, and a capture of the log for the WARNs a
 * test expects.
 */
#ifndef TDXSIM_TESTS_BASE_PAGE_ALLOC_TEST_H
#define TDXSIM_TESTS_BASE_PAGE_ALLOC_TEST_H

#include <stdbool.h>
#include <stdio.h>

#include "base/log.h"
#include "base/page_alloc.h"

#define TEST_MEM_BYTES	(1ULL * SZ_1G)
#define BLOCK_PAGES	(1U << PMD_ORDER)

int pa_setup(void **state);
int pa_teardown(void **state);
struct phys_mem_stats pa_stats(void);
bool page_is_zero(const struct page *page, unsigned int nr);

/* Capture the log while a test runs, so expected WARNs can be checked. */
struct log_capture {
	char *buf;
	size_t len;
	FILE *f;
	unsigned long warns;
};

void capture_start(struct log_capture *c);
/* Stop capturing; returns the number of WARNs that fired meanwhile. */
unsigned long capture_stop(struct log_capture *c);
int cmp_u64(const void *a, const void *b);

#endif /* TDXSIM_TESTS_BASE_PAGE_ALLOC_TEST_H */
