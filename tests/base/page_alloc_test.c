// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The page allocator tests' shared helpers (page_alloc_test.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "page_alloc_test.h"

static const u8 zero_page[PAGE_SIZE];

int pa_setup(void **state)
{
	assert_int_equal(phys_mem_init(TEST_MEM_BYTES), 0);
	return 0;
}

int pa_teardown(void **state)
{
	page_alloc_set_free_check(NULL);
	assert_int_equal(phys_mem_exit(), 0);
	assert_false(phys_mem_ready());
	return 0;
}

struct phys_mem_stats pa_stats(void)
{
	struct phys_mem_stats st;

	phys_mem_get_stats(&st);
	return st;
}

bool page_is_zero(const struct page *page, unsigned int nr)
{
	const u8 *p = page_address(page);
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (memcmp(p + (size_t)i * PAGE_SIZE, zero_page, PAGE_SIZE))
			return false;
	return true;
}

void capture_start(struct log_capture *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	assert_non_null(c->f);
	log_set_stream(c->f);
	c->warns = warn_count();
}

unsigned long capture_stop(struct log_capture *c)
{
	log_set_stream(NULL);
	fclose(c->f);
	return warn_count() - c->warns;
}

int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}
