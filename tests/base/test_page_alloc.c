// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host physical memory: 4K and 2M allocations, refcounts, reuse after free,
 * re-forming of 2M blocks, splitting, memory returned to the OS, the
 * free-check hook, PFN bounds, running out, and concurrent use.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/log.h"
#include "base/page_alloc.h"

#define TEST_MEM_BYTES	(1ULL * SZ_1G)
#define BLOCK_PAGES	(1U << PMD_ORDER)

static const u8 zero_page[PAGE_SIZE];

static int setup(void **state)
{
	assert_int_equal(phys_mem_init(TEST_MEM_BYTES), 0);
	return 0;
}

static int teardown(void **state)
{
	page_alloc_set_free_check(NULL);
	assert_int_equal(phys_mem_exit(), 0);
	assert_false(phys_mem_ready());
	return 0;
}

static struct phys_mem_stats stats(void)
{
	struct phys_mem_stats st;

	phys_mem_get_stats(&st);
	return st;
}

static bool page_is_zero(const struct page *page, unsigned int nr)
{
	const u8 *p = page_address(page);
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (memcmp(p + (size_t)i * PAGE_SIZE, zero_page, PAGE_SIZE))
			return false;
	return true;
}

/* Capture the log while @fn runs, so expected WARNs can be checked. */
struct log_capture {
	char *buf;
	size_t len;
	FILE *f;
	unsigned long warns;
};

static void capture_start(struct log_capture *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	assert_non_null(c->f);
	log_set_stream(c->f);
	c->warns = warn_count();
}

/* Stop capturing; returns the number of WARNs that fired meanwhile. */
static unsigned long capture_stop(struct log_capture *c)
{
	log_set_stream(NULL);
	fclose(c->f);
	return warn_count() - c->warns;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* ---- 4K and 2M allocations ---- */

static void test_alloc_4k(void **state)
{
	enum { N = 1000 };
	struct phys_mem_stats s0 = stats(), s1;
	struct page *pages[N];
	u64 pfns[N];
	unsigned long w0 = warn_count();
	int i;

	for (i = 0; i < N; i++) {
		struct page *p = alloc_page();

		assert_non_null(p);
		pages[i] = p;
		pfns[i] = page_to_pfn(p);
		assert_true(pfns[i] != 0);
		assert_true(pfn_valid(pfns[i]));
		assert_ptr_equal(pfn_to_page(pfns[i]), p);
		assert_ptr_equal(page_address(p), pfn_to_virt(pfns[i]));
		assert_int_equal(page_ref_count(p), 1);
		assert_int_equal(p->order, 0);
		assert_false(p->flags & (BIT(PG_head) | BIT(PG_tail) |
					 BIT(PG_reserved)));
		assert_ptr_equal(compound_head(p), p);
		assert_true(page_is_zero(p, 1));
	}

	/* Distinct PFNs... */
	qsort(pfns, N, sizeof(pfns[0]), cmp_u64);
	for (i = 1; i < N; i++)
		assert_true(pfns[i] != pfns[i - 1]);

	/* ...and distinct, writable bytes: write all, then read all back. */
	for (i = 0; i < N; i++) {
		u64 *w = page_address(pages[i]);

		w[0] = page_to_pfn(pages[i]);
		w[PAGE_SIZE / 8 - 1] = ~page_to_pfn(pages[i]);
	}
	for (i = 0; i < N; i++) {
		u64 *w = page_address(pages[i]);

		assert_int_equal(w[0], page_to_pfn(pages[i]));
		assert_int_equal(w[PAGE_SIZE / 8 - 1], ~page_to_pfn(pages[i]));
	}

	s1 = stats();
	assert_int_equal(s1.pages_in_use, s0.pages_in_use + N);
	assert_true(s1.peak_pages_in_use >= s1.pages_in_use);
	assert_int_equal(s1.allocs, s0.allocs + N);
	assert_int_equal(s1.blocks_2m_in_use, s0.blocks_2m_in_use);

	for (i = 0; i < N; i++)
		__free_page(pages[i]);
	s1 = stats();
	assert_int_equal(s1.pages_in_use, s0.pages_in_use);
	assert_int_equal(s1.frees, s0.frees + N);
	assert_int_equal(warn_count(), w0);
}

static void test_alloc_2m(void **state)
{
	enum { N = 8 };
	struct phys_mem_stats s0 = stats(), s1;
	struct page *blocks[N];
	unsigned int i, j;

	for (i = 0; i < N; i++) {
		struct page *h = alloc_pages(PMD_ORDER);
		u64 pfn;

		assert_non_null(h);
		blocks[i] = h;
		pfn = page_to_pfn(h);
		assert_true(pfn != 0);
		assert_int_equal(pfn % BLOCK_PAGES, 0);
		assert_true(IS_ALIGNED((uintptr_t)page_address(h), SZ_2M));
		assert_int_equal(page_ref_count(h), 1);
		assert_int_equal(h->order, PMD_ORDER);
		assert_true(h->flags & BIT(PG_head));
		assert_false(h->flags & BIT(PG_tail));
		for (j = 1; j < BLOCK_PAGES; j++) {
			struct page *t = h + j;

			assert_ptr_equal(pfn_to_page(pfn + j), t);
			assert_int_equal(t->order, PMD_ORDER);
			assert_true(t->flags & BIT(PG_tail));
			assert_false(t->flags & BIT(PG_head));
			assert_ptr_equal(compound_head(t), h);
			assert_ptr_equal(page_address(t),
					 (u8 *)page_address(h) + j * PAGE_SIZE);
		}
		assert_true(page_is_zero(h, BLOCK_PAGES));
		memset(page_address(h), 0x40 + i, SZ_2M);
	}
	for (i = 0; i < N; i++) {
		const u8 *b = page_address(blocks[i]);

		for (j = 0; j < BLOCK_PAGES; j++)
			assert_int_equal(b[j * PAGE_SIZE + 7], 0x40 + i);
		for (j = i + 1; j < N; j++)
			assert_true(page_to_pfn(blocks[i]) !=
				    page_to_pfn(blocks[j]));
	}

	s1 = stats();
	assert_int_equal(s1.blocks_2m_in_use, s0.blocks_2m_in_use + N);
	assert_int_equal(s1.pages_in_use, s0.pages_in_use + N * BLOCK_PAGES);

	for (i = 0; i < N; i++)
		__free_pages(blocks[i], PMD_ORDER);
	s1 = stats();
	assert_int_equal(s1.blocks_2m_in_use, s0.blocks_2m_in_use);
	assert_int_equal(s1.pages_in_use, s0.pages_in_use);
	assert_int_equal(s1.frees, s0.frees + N);
}

static void test_unsupported_order(void **state)
{
	struct phys_mem_stats s0 = stats();
	struct log_capture c;

	capture_start(&c);
	assert_null(alloc_pages(1));
	assert_null(alloc_pages(10));
	assert_int_equal(capture_stop(&c), 2);
	assert_non_null(strstr(c.buf, "unsupported order"));
	free(c.buf);
	assert_int_equal(stats().allocs, s0.allocs);
}

/* ---- refcounts ---- */

static void test_refcount_4k(void **state)
{
	struct phys_mem_stats s0 = stats();
	struct page *p = alloc_page();

	assert_non_null(p);
	get_page(p);
	assert_int_equal(page_ref_count(p), 2);
	assert_true(get_page_unless_zero(p));
	assert_int_equal(page_ref_count(p), 3);
	put_page(p);
	put_page(p);
	assert_int_equal(page_ref_count(p), 1);
	assert_int_equal(stats().pages_in_use, s0.pages_in_use + 1);

	/* The last reference frees the page. */
	put_page(p);
	assert_int_equal(page_ref_count(p), 0);
	assert_int_equal(stats().pages_in_use, s0.pages_in_use);
	assert_int_equal(stats().frees, s0.frees + 1);
	assert_false(get_page_unless_zero(p));
	assert_int_equal(page_ref_count(p), 0);
}

static void test_refcount_2m_tails_forward(void **state)
{
	struct phys_mem_stats s0 = stats();
	struct page *h = alloc_pages(PMD_ORDER);
	struct page *t = h + 100, *last = h + BLOCK_PAGES - 1;

	assert_non_null(h);
	get_page(t);
	assert_int_equal(page_ref_count(h), 2);
	assert_int_equal(page_ref_count(t), 2);
	assert_int_equal(atomic_read(&t->_refcount), 0);
	assert_true(get_page_unless_zero(last));
	assert_int_equal(page_ref_count(h), 3);
	put_page(h);
	put_page(last);
	assert_int_equal(page_ref_count(h), 1);
	assert_int_equal(stats().blocks_2m_in_use, s0.blocks_2m_in_use + 1);

	/* Dropping the last reference through a tail frees the whole block. */
	put_page(t);
	assert_int_equal(stats().blocks_2m_in_use, s0.blocks_2m_in_use);
	assert_int_equal(stats().pages_in_use, s0.pages_in_use);
	assert_false(h->flags & BIT(PG_head));
	assert_false(t->flags & BIT(PG_tail));
}

static void test_refcount_underflow_warns(void **state)
{
	struct phys_mem_stats s0 = stats(), s1;
	struct page *keep = alloc_page();
	struct page *p = alloc_page();
	struct log_capture c;

	assert_non_null(keep);
	assert_non_null(p);
	put_page(p);
	s1 = stats();
	assert_int_equal(s1.pages_in_use, s0.pages_in_use + 1);

	capture_start(&c);
	put_page(p);
	assert_int_equal(capture_stop(&c), 1);
	assert_non_null(strstr(c.buf, "refcount underflow"));
	free(c.buf);
	/* Nothing was freed twice. */
	assert_int_equal(page_ref_count(p), 0);
	assert_int_equal(stats().frees, s1.frees);
	assert_int_equal(stats().pages_in_use, s1.pages_in_use);

	/* A double __free_pages() is refused as well. */
	capture_start(&c);
	__free_page(p);
	assert_int_equal(capture_stop(&c), 1);
	assert_non_null(strstr(c.buf, "not allocated"));
	free(c.buf);
	assert_int_equal(stats().frees, s1.frees);
	assert_int_equal(stats().pages_in_use, s1.pages_in_use);
	put_page(keep);
	assert_int_equal(stats().pages_in_use, s0.pages_in_use);
}

static void test_bad_free_order_warns(void **state)
{
	struct phys_mem_stats s0 = stats();
	struct page *h = alloc_pages(PMD_ORDER);
	struct page *p = alloc_page();
	struct log_capture c;
	u8 *bytes;

	assert_non_null(h);
	assert_non_null(p);
	bytes = page_address(h);
	memset(bytes, 0x5a, SZ_2M);

	capture_start(&c);
	__free_pages(h, 0);		/* head of a 2M block at order 0 */
	__free_pages(h + 1, 0);		/* a tail */
	__free_pages(p, PMD_ORDER);	/* a 4K page at order 9 */
	__free_page(pfn_to_page(0));	/* the reserved PFN 0 */
	assert_int_equal(capture_stop(&c), 4);
	free(c.buf);

	/* Nothing was freed and the block's bytes are intact. */
	assert_int_equal(stats().pages_in_use,
			 s0.pages_in_use + BLOCK_PAGES + 1);
	assert_int_equal(bytes[0], 0x5a);
	assert_int_equal(bytes[PAGE_SIZE], 0x5a);
	assert_int_equal(page_ref_count(h), 1);
	__free_pages(h, PMD_ORDER);
	__free_page(p);
	assert_int_equal(stats().pages_in_use, s0.pages_in_use);
}

/* ---- reuse ---- */

static void test_reuse_after_free_4k(void **state)
{
	enum { MAX = 2 * BLOCK_PAGES };
	struct page *held[MAX];
	struct page *a = alloc_page(), *b = alloc_page();
	u64 pfn;
	int n = 0, i;
	bool found = false;

	assert_non_null(a);
	assert_non_null(b);
	pfn = page_to_pfn(a);
	memset(page_address(a), 0xaa, PAGE_SIZE);
	a->private = 77;
	__free_page(a);
	assert_int_equal(a->private, 0);

	/* The freed page comes back, and reads as zero. */
	while (n < MAX) {
		struct page *p = alloc_page();

		assert_non_null(p);
		held[n++] = p;
		if (page_to_pfn(p) == pfn) {
			found = true;
			assert_true(page_is_zero(p, 1));
			assert_int_equal(page_ref_count(p), 1);
			break;
		}
	}
	assert_true(found);
	for (i = 0; i < n; i++)
		__free_page(held[i]);
	__free_page(b);
}

static void test_reuse_after_free_2m(void **state)
{
	struct page *h = alloc_pages(PMD_ORDER), *h2;
	u64 pfn;

	assert_non_null(h);
	pfn = page_to_pfn(h);
	memset(page_address(h), 0xcc, SZ_2M);
	__free_pages(h, PMD_ORDER);
	h2 = alloc_pages(PMD_ORDER);
	assert_non_null(h2);
	assert_int_equal(page_to_pfn(h2), pfn);
	assert_true(page_is_zero(h2, BLOCK_PAGES));
	put_page(h2);
}

/* ---- a 2M block re-forms once all its 4K pages are free ---- */

static void test_block_reforms(void **state)
{
	struct phys_mem_stats s0 = stats(), s1, s2;
	struct page *pages[BLOCK_PAGES];
	struct page *h, *h2;
	u64 block;
	unsigned int i;

	/* A fresh PFN space carves its first block for the first 512 pages. */
	for (i = 0; i < BLOCK_PAGES; i++) {
		pages[i] = alloc_page();
		assert_non_null(pages[i]);
		*(u32 *)page_address(pages[i]) = i;
	}
	block = page_to_pfn(pages[0]) / BLOCK_PAGES;
	for (i = 0; i < BLOCK_PAGES; i++)
		assert_int_equal(page_to_pfn(pages[i]) / BLOCK_PAGES, block);
	s1 = stats();
	assert_int_equal(s1.pages_in_use, s0.pages_in_use + BLOCK_PAGES);
	assert_true(s1.meta_bytes_touched > s0.meta_bytes_touched);

	for (i = 0; i < BLOCK_PAGES; i++)
		__free_page(pages[i]);
	assert_int_equal(stats().pages_in_use, s0.pages_in_use);

	/* The 2M allocation gets the re-formed block, not a new one. */
	h = alloc_pages(PMD_ORDER);
	assert_non_null(h);
	assert_int_equal(page_to_pfn(h), block * BLOCK_PAGES);
	assert_true(page_is_zero(h, BLOCK_PAGES));
	s2 = stats();
	assert_int_equal(s2.pages_in_use, s0.pages_in_use + BLOCK_PAGES);
	assert_int_equal(s2.blocks_2m_in_use, s0.blocks_2m_in_use + 1);
	assert_int_equal(s2.meta_bytes_touched, s1.meta_bytes_touched);

	/* A second one has to come from fresh memory. */
	h2 = alloc_pages(PMD_ORDER);
	assert_non_null(h2);
	assert_true(page_to_pfn(h2) != page_to_pfn(h));
	assert_true(stats().meta_bytes_touched > s2.meta_bytes_touched);
	put_page(h);
	put_page(h2);
}

static void test_block_reforms_only_when_all_free(void **state)
{
	struct page *pages[2 * BLOCK_PAGES];
	struct page *keep = NULL, *h1, *h2;
	u64 block_a;
	unsigned int i, n_a = 0;

	for (i = 0; i < 2 * BLOCK_PAGES; i++) {
		pages[i] = alloc_page();
		assert_non_null(pages[i]);
	}
	block_a = page_to_pfn(pages[0]) / BLOCK_PAGES;

	/* Free every page of block A but one. */
	for (i = 0; i < 2 * BLOCK_PAGES; i++) {
		if (page_to_pfn(pages[i]) / BLOCK_PAGES != block_a)
			continue;
		if (!keep) {
			keep = pages[i];
		} else {
			__free_page(pages[i]);
			n_a++;
		}
		pages[i] = NULL;
	}
	assert_int_equal(n_a, BLOCK_PAGES - 1);

	h1 = alloc_pages(PMD_ORDER);
	assert_non_null(h1);
	assert_true(page_to_pfn(h1) / BLOCK_PAGES != block_a);

	/* The last page of A frees the block as a whole. */
	__free_page(keep);
	h2 = alloc_pages(PMD_ORDER);
	assert_non_null(h2);
	assert_int_equal(page_to_pfn(h2) / BLOCK_PAGES, block_a);

	for (i = 0; i < 2 * BLOCK_PAGES; i++)
		if (pages[i])
			__free_page(pages[i]);
	put_page(h1);
	put_page(h2);
	assert_int_equal(stats().pages_in_use, 0);
}

/* ---- split_page_block ---- */

static void test_split_busy(void **state)
{
	struct phys_mem_stats s0 = stats();
	struct page *h = alloc_pages(PMD_ORDER);
	struct page *t = h + 5;

	assert_non_null(h);
	/* A stray reference on a tail page of its own. */
	atomic_inc(&t->_refcount);
	assert_int_equal(split_page_block(h), -EBUSY);
	assert_true(h->flags & BIT(PG_head));
	assert_int_equal(h->order, PMD_ORDER);
	assert_true(t->flags & BIT(PG_tail));
	assert_ptr_equal(compound_head(t), h);
	assert_int_equal(stats().blocks_2m_in_use, s0.blocks_2m_in_use + 1);
	atomic_dec(&t->_refcount);
	__free_pages(h, PMD_ORDER);
	assert_int_equal(stats().pages_in_use, s0.pages_in_use);
}

static void test_split_not_head(void **state)
{
	struct page *h = alloc_pages(PMD_ORDER), *p = alloc_page();
	struct log_capture c;

	assert_non_null(h);
	assert_non_null(p);
	capture_start(&c);
	assert_int_equal(split_page_block(h + 1), -EINVAL);
	assert_int_equal(split_page_block(p), -EINVAL);
	assert_int_equal(capture_stop(&c), 2);
	free(c.buf);
	assert_true(h->flags & BIT(PG_head));
	put_page(h);
	put_page(p);
}

static void test_split_then_free_independently(void **state)
{
	struct phys_mem_stats s0 = stats(), s1;
	struct page *h = alloc_pages(PMD_ORDER), *h2;
	u64 pfn;
	unsigned int i;

	assert_non_null(h);
	pfn = page_to_pfn(h);
	for (i = 0; i < BLOCK_PAGES; i++)
		*(u32 *)page_address(h + i) = 0x1000 + i;
	get_page(h);
	SetPageUptodate(h);

	assert_int_equal(split_page_block(h), 0);
	s1 = stats();
	assert_int_equal(s1.blocks_2m_in_use, s0.blocks_2m_in_use);
	assert_int_equal(s1.pages_in_use, s0.pages_in_use + BLOCK_PAGES);
	for (i = 0; i < BLOCK_PAGES; i++) {
		struct page *p = h + i;

		assert_int_equal(p->order, 0);
		assert_false(p->flags & (BIT(PG_head) | BIT(PG_tail)));
		assert_true(p->flags & BIT(PG_uptodate));
		assert_ptr_equal(compound_head(p), p);
		assert_int_equal(page_ref_count(p), 2);
		/* Splitting does not touch the bytes. */
		assert_int_equal(*(u32 *)page_address(p), 0x1000 + i);
	}

	/* Each page now lives on its own. */
	get_page(h + 7);
	assert_int_equal(page_ref_count(h + 7), 3);
	assert_int_equal(page_ref_count(h + 8), 2);
	for (i = 0; i < BLOCK_PAGES; i += 2) {
		put_page(h + i);
		put_page(h + i);
	}
	put_page(h + 7);
	assert_int_equal(stats().pages_in_use,
			 s0.pages_in_use + BLOCK_PAGES / 2);
	for (i = 1; i < BLOCK_PAGES; i += 2)
		assert_int_equal(*(u32 *)page_address(h + i), 0x1000 + i);

	/* A freed half comes back as 4K pages, zeroed. */
	{
		struct page *p = alloc_page();

		assert_non_null(p);
		assert_int_equal(page_to_pfn(p) / BLOCK_PAGES,
				 pfn / BLOCK_PAGES);
		assert_true(page_is_zero(p, 1));
		__free_page(p);
	}

	for (i = 1; i < BLOCK_PAGES; i += 2) {
		put_page(h + i);
		__free_page(h + i);
	}
	assert_int_equal(stats().pages_in_use, s0.pages_in_use);

	/* All 512 free again: the block is whole once more. */
	h2 = alloc_pages(PMD_ORDER);
	assert_non_null(h2);
	assert_int_equal(page_to_pfn(h2), pfn);
	assert_true(page_is_zero(h2, BLOCK_PAGES));
	assert_false(h2->flags & BIT(PG_uptodate));
	put_page(h2);
}

/* ---- memory goes back to the OS ---- */

static void test_rss_falls(void **state)
{
	enum { N2M = 16, N4K = 8192 };	/* 32 MiB + 32 MiB */
	const u64 min_delta = 48ULL << 20;
	struct page **small = calloc(N4K, sizeof(*small));
	struct page *big[N2M];
	u64 rss0, rss1, rss2;
	unsigned int i, j;

	assert_non_null(small);
	rss0 = proc_rss_bytes();
	assert_true(rss0 > 0);
	for (i = 0; i < N2M; i++) {
		u8 *b;

		big[i] = alloc_pages(PMD_ORDER);
		assert_non_null(big[i]);
		b = page_address(big[i]);
		for (j = 0; j < BLOCK_PAGES; j++)
			b[j * PAGE_SIZE] = 1;
	}
	for (i = 0; i < N4K; i++) {
		small[i] = alloc_page();
		assert_non_null(small[i]);
		*(u8 *)page_address(small[i]) = 1;
	}
	rss1 = proc_rss_bytes();
	assert_true(rss1 >= rss0 + min_delta);

	for (i = 0; i < N2M; i++)
		put_page(big[i]);
	for (i = 0; i < N4K; i++)
		put_page(small[i]);
	/* Wholly free blocks go back in batches: give back the last one. */
	phys_mem_drain();
	rss2 = proc_rss_bytes();
	assert_true(rss2 + min_delta <= rss1);
	assert_int_equal(stats().pages_in_use, 0);
	free(small);
}

/* ---- the free-check hook ---- */

#define MAX_CHECKS 16
static struct {
	u64 pfn;
	unsigned int order;
} checks[MAX_CHECKS];
static int nr_checks;

static void record_check(u64 pfn, unsigned int order)
{
	assert_true(nr_checks < MAX_CHECKS);
	checks[nr_checks].pfn = pfn;
	checks[nr_checks].order = order;
	nr_checks++;
}

static void test_free_check_hook(void **state)
{
	struct page *p = alloc_page(), *h = alloc_pages(PMD_ORDER);
	struct page *h2 = alloc_pages(PMD_ORDER), *q = alloc_page();

	assert_non_null(p);
	assert_non_null(h);
	assert_non_null(h2);
	assert_non_null(q);
	nr_checks = 0;
	page_alloc_set_free_check(record_check);

	__free_page(p);
	assert_int_equal(nr_checks, 1);
	assert_int_equal(checks[0].pfn, page_to_pfn(p));
	assert_int_equal(checks[0].order, 0);

	/* Only the final put frees, and the hook sees the whole block. */
	get_page(h + 3);
	put_page(h + 3);
	assert_int_equal(nr_checks, 1);
	put_page(h + 3);
	assert_int_equal(nr_checks, 2);
	assert_int_equal(checks[1].pfn, page_to_pfn(h));
	assert_int_equal(checks[1].order, PMD_ORDER);

	/* After a split, pages are checked one by one. */
	assert_int_equal(split_page_block(h2), 0);
	put_page(h2 + 9);
	assert_int_equal(nr_checks, 3);
	assert_int_equal(checks[2].pfn, page_to_pfn(h2) + 9);
	assert_int_equal(checks[2].order, 0);

	/* Unregistered: no more calls. */
	page_alloc_set_free_check(NULL);
	put_page(q);
	for (unsigned int i = 0; i < BLOCK_PAGES; i++)
		if (i != 9)
			put_page(h2 + i);
	assert_int_equal(nr_checks, 3);
	assert_int_equal(stats().pages_in_use, 0);
}

/* ---- PFN bounds ---- */

static void test_pfn_bounds(void **state)
{
	struct phys_mem_stats st = stats();
	u64 total = TEST_MEM_BYTES >> PAGE_SHIFT;
	struct page *p = alloc_page();
	hpa_t pa;

	assert_non_null(p);
	assert_int_equal(st.total_pages, total);
	assert_int_equal(st.page_meta_bytes, sizeof(struct page));
	assert_true(pfn_valid(total - 1));
	assert_false(pfn_valid(total));
	assert_false(pfn_valid(~0ULL));
	assert_null(pfn_to_page(total));
	assert_null(pfn_to_virt(total));
	assert_non_null(pfn_to_page(total - 1));
	assert_ptr_equal(phys_to_page(((hpa_t)total << PAGE_SHIFT) - 1),
			 pfn_to_page(total - 1));
	assert_null(phys_to_page((hpa_t)total << PAGE_SHIFT));

	pa = page_to_phys(p);
	assert_int_equal(pa, page_to_pfn(p) << PAGE_SHIFT);
	assert_ptr_equal(phys_to_page(pa), p);
	assert_ptr_equal(phys_to_page(pa + PAGE_SIZE - 1), p);
	assert_ptr_equal(phys_to_page(pa + PAGE_SIZE), p + 1);
	assert_ptr_equal(pfn_to_virt(page_to_pfn(p)), page_address(p));

	/* PFN 0 exists but is reserved. */
	assert_true(pfn_to_page(0)->flags & BIT(PG_reserved));
	__free_page(p);
}

static void test_pfn_bounds_after_exit(void **state)
{
	assert_int_equal(phys_mem_exit(), 0);
	assert_false(phys_mem_ready());
	assert_false(pfn_valid(1));
	assert_null(pfn_to_page(1));
	assert_null(phys_to_page(PAGE_SIZE));
	assert_int_equal(stats().total_pages, 0);
	assert_int_equal(phys_mem_init(TEST_MEM_BYTES), 0);
}

/* ---- init, exit, running out ---- */

static void test_out_of_memory(void **state)
{
	struct page *blocks[3], *h, *p, *pages[BLOCK_PAGES];
	unsigned int i;

	/* 8 MiB: four blocks, the first reserved. */
	assert_int_equal(phys_mem_init(8ULL << 20), 0);
	assert_int_equal(stats().total_pages, 2048);
	for (i = 0; i < 3; i++) {
		blocks[i] = alloc_pages(PMD_ORDER);
		assert_non_null(blocks[i]);
	}
	assert_null(alloc_pages(PMD_ORDER));
	assert_null(alloc_page());

	__free_pages(blocks[1], PMD_ORDER);
	for (i = 0; i < BLOCK_PAGES; i++) {
		pages[i] = alloc_page();
		assert_non_null(pages[i]);
	}
	assert_null(alloc_page());
	assert_null(alloc_pages(PMD_ORDER));
	assert_int_equal(stats().pages_in_use, 3 * BLOCK_PAGES);

	p = pages[17];
	__free_page(p);
	p = alloc_page();
	assert_non_null(p);
	pages[17] = p;

	for (i = 0; i < BLOCK_PAGES; i++)
		__free_page(pages[i]);
	h = alloc_pages(PMD_ORDER);
	assert_non_null(h);
	__free_pages(h, PMD_ORDER);
	__free_pages(blocks[0], PMD_ORDER);
	__free_pages(blocks[2], PMD_ORDER);
	assert_int_equal(stats().pages_in_use, 0);

	/* A tiny size still leaves one allocatable block. */
	assert_int_equal(phys_mem_init(1), 0);
	h = alloc_pages(PMD_ORDER);
	assert_non_null(h);
	assert_null(alloc_pages(PMD_ORDER));
	put_page(h);
}

static void test_init_exit_busy(void **state)
{
	struct page *p = alloc_page(), *q;
	struct log_capture c;

	assert_non_null(p);
	assert_int_equal(phys_mem_init(TEST_MEM_BYTES), -EBUSY);

	capture_start(&c);
	assert_int_equal(phys_mem_exit(), -EBUSY);
	capture_stop(&c);
	assert_non_null(strstr(c.buf, "1 pages still in use"));
	free(c.buf);

	/* Still usable afterwards. */
	assert_true(phys_mem_ready());
	memset(page_address(p), 1, PAGE_SIZE);
	q = alloc_page();
	assert_non_null(q);
	__free_page(q);
	__free_page(p);
	assert_int_equal(phys_mem_exit(), 0);
	assert_int_equal(phys_mem_exit(), 0);

	/* Re-initialising with nothing in use is allowed. */
	assert_int_equal(phys_mem_init(TEST_MEM_BYTES), 0);
	assert_int_equal(phys_mem_init(2 * TEST_MEM_BYTES), 0);
	assert_int_equal(stats().total_pages, 2 * TEST_MEM_BYTES >> PAGE_SHIFT);

	/* A size beyond 32-bit PFNs is refused and changes nothing. */
	assert_int_equal(phys_mem_init(~0ULL), -ENOMEM);
	assert_true(phys_mem_ready());
	assert_int_equal(stats().total_pages, 2 * TEST_MEM_BYTES >> PAGE_SHIFT);
}

static void test_default_and_lazy_init(void **state)
{
	const u64 dflt = (72ULL * SZ_1G) >> PAGE_SHIFT;
	struct page *p;

	assert_int_equal(phys_mem_exit(), 0);
	assert_false(phys_mem_ready());

	/* The first allocation maps the default PFN space. */
	p = alloc_page();
	assert_non_null(p);
	assert_true(phys_mem_ready());
	assert_int_equal(stats().total_pages, dflt);
	assert_true(pfn_valid(dflt - 1));
	/* Untouched, the space costs only the metadata of what was used. */
	assert_true(stats().meta_bytes_touched < (2ULL << 20));
	put_page(p);

	assert_int_equal(phys_mem_init(0), 0);
	assert_int_equal(stats().total_pages, dflt);
	assert_int_equal(stats().pages_in_use, 0);
}

/* ---- concurrency ---- */

#define STRESS_THREADS	4
#define STRESS_ITERS	20000
#define STRESS_SLOTS	64

struct stress_arg {
	unsigned int id;
	u64 allocs, frees;
	unsigned int errors;
};

struct held {
	struct page *page;
	unsigned int order;
	u64 tag;
};

static u64 xorshift(u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static bool tag_ok(const struct held *h)
{
	const u64 *w = page_address(h->page);
	size_t last = ((PAGE_SIZE << h->order) / 8) - 1;

	return w[0] == h->tag && w[last] == ~h->tag;
}

static void stress_release(struct stress_arg *a, struct held *h, u64 *rng)
{
	unsigned int i;

	if (!tag_ok(h))
		a->errors++;
	if (h->order && xorshift(rng) % 4 == 0) {
		/* Split and free the 512 pages one by one. */
		if (split_page_block(h->page)) {
			a->errors++;
			return;
		}
		for (i = 0; i < BLOCK_PAGES; i++)
			put_page(h->page + i);
		a->frees += BLOCK_PAGES;
	} else if (xorshift(rng) % 2) {
		put_page(h->page);
		a->frees++;
	} else {
		__free_pages(h->page, h->order);
		a->frees++;
	}
	h->page = NULL;
}

static void *stress_thread(void *arg)
{
	struct stress_arg *a = arg;
	struct held held[STRESS_SLOTS] = { 0 };
	u64 rng = 0x9e3779b97f4a7c15ULL * (a->id + 1);
	unsigned int it, i;

	for (it = 0; it < STRESS_ITERS; it++) {
		struct held *h = &held[xorshift(&rng) % STRESS_SLOTS];

		if (!h->page) {
			/* One allocation in 32 is a 2M block. */
			unsigned int order = xorshift(&rng) % 32 ?
					     0 : PMD_ORDER;
			u64 *w;

			h->page = alloc_pages(order);
			if (!h->page) {
				a->errors++;
				continue;
			}
			a->allocs++;
			h->order = order;
			h->tag = ((u64)a->id << 32) | it;
			w = page_address(h->page);
			if (w[0] || w[((PAGE_SIZE << order) / 8) - 1])
				a->errors++;
			w[0] = h->tag;
			w[((PAGE_SIZE << order) / 8) - 1] = ~h->tag;
		} else if (xorshift(&rng) % 3 == 0) {
			/* Extra references come and go. */
			struct page *t = h->page + (h->order ?
				xorshift(&rng) % BLOCK_PAGES : 0);

			if (!get_page_unless_zero(t))
				a->errors++;
			get_page(t);
			if (page_ref_count(t) != 3)
				a->errors++;
			put_page(t);
			put_page(h->page);
			if (!tag_ok(h))
				a->errors++;
		} else {
			stress_release(a, h, &rng);
		}
	}
	for (i = 0; i < STRESS_SLOTS; i++)
		if (held[i].page)
			stress_release(a, &held[i], &rng);
	return NULL;
}

static void test_stress_threads(void **state)
{
	struct stress_arg args[STRESS_THREADS];
	pthread_t th[STRESS_THREADS];
	struct phys_mem_stats s0 = stats(), s1;
	u64 allocs = 0, frees = 0;
	unsigned long w0 = warn_count();
	unsigned int i;

	for (i = 0; i < STRESS_THREADS; i++) {
		args[i] = (struct stress_arg){ .id = i };
		assert_int_equal(pthread_create(&th[i], NULL, stress_thread,
						&args[i]), 0);
	}
	for (i = 0; i < STRESS_THREADS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(args[i].errors, 0);
		allocs += args[i].allocs;
		frees += args[i].frees;
	}
	s1 = stats();
	assert_true(allocs > STRESS_THREADS * STRESS_SLOTS);
	assert_int_equal(s1.allocs - s0.allocs, allocs);
	assert_int_equal(s1.frees - s0.frees, frees);
	assert_int_equal(s1.pages_in_use, s0.pages_in_use);
	assert_int_equal(s1.blocks_2m_in_use, s0.blocks_2m_in_use);
	assert_true(s1.peak_pages_in_use > s0.pages_in_use);
	assert_true(s1.peak_pages_in_use <=
		    STRESS_THREADS * STRESS_SLOTS * BLOCK_PAGES);
	assert_int_equal(warn_count(), w0);
}

/* ---- write tracking and giving blocks back in batches ---- */

static void test_written_tracking(void **state)
{
	struct phys_mem_stats s0, s1;
	struct page *keep = alloc_page(), *p = alloc_page(), *q;
	u64 pfn;

	assert_non_null(keep);
	assert_non_null(p);
	/* Every allocated page may be written by its owner. */
	assert_true(page_written(p));
	pfn = page_to_pfn(p);

	/* An owner that tracks its writes frees a clean page: no zeroing. */
	page_clear_written(p);
	s0 = stats();
	__free_page(p);
	q = alloc_page();
	assert_int_equal(page_to_pfn(q), pfn);
	assert_true(page_written(q));
	assert_true(page_is_zero(q, 1));
	assert_int_equal(stats().pages_zeroed, s0.pages_zeroed);

	/* A written page is zeroed before it is handed out again. */
	memset(page_address(q), 0x77, PAGE_SIZE);
	page_clear_written(q);
	page_mark_written(q);
	s0 = stats();
	__free_page(q);
	q = alloc_page();
	assert_int_equal(page_to_pfn(q), pfn);
	assert_true(page_is_zero(q, 1));
	s1 = stats();
	assert_int_equal(s1.pages_zeroed, s0.pages_zeroed + 1);
	/* Neither free gave anything back: the block still has a page. */
	assert_int_equal(s1.madvise_calls, s0.madvise_calls);
	__free_page(q);
	__free_page(keep);
}

static void test_blocks_returned_in_batches(void **state)
{
	enum { NB = 8 };
	struct page **pages = calloc(NB * BLOCK_PAGES, sizeof(*pages));
	struct phys_mem_stats s0 = stats(), s1, s2;
	unsigned int i;

	assert_non_null(pages);
	for (i = 0; i < NB * BLOCK_PAGES; i++) {
		pages[i] = alloc_page();
		assert_non_null(pages[i]);
		*(u8 *)page_address(pages[i]) = 1;
	}
	s1 = stats();
	assert_true(s1.meta_bytes_touched >= s0.meta_bytes_touched +
				NB * BLOCK_PAGES * sizeof(struct page));
	assert_true(s1.meta_bytes_resident >= s0.meta_bytes_resident +
				NB * BLOCK_PAGES * sizeof(struct page));
	for (i = 0; i < NB * BLOCK_PAGES; i++)
		__free_page(pages[i]);
	phys_mem_drain();
	s2 = stats();
	assert_int_equal(s2.pages_in_use, s0.pages_in_use);
	assert_int_equal(s2.blocks_returned, s0.blocks_returned + NB);
	/* 4096 pages of 8 adjacent blocks: their bytes and their struct pages, once each. */
	assert_int_equal(s2.madvise_calls, s0.madvise_calls + 2);
	/* Their metadata went back to the OS, but for a 16-byte descriptor per 2M. */
	assert_true(s2.meta_bytes_touched <= s0.meta_bytes_touched + NB * 16);
	assert_true(s2.meta_bytes_resident <= s0.meta_bytes_resident);
	assert_int_equal(s2.meta_bytes_per_page, sizeof(struct page));
	assert_int_equal(sizeof(struct page), 16);
	free(pages);
}

/* A registered per-PFN array is counted and dropped with its blocks. */
static u64 dropped_pfn, dropped_nr;

static void record_drop(u64 pfn, u64 nr)
{
	dropped_pfn = pfn;
	dropped_nr += nr;
}

static void test_registered_meta(void **state)
{
	static u64 fake[1];
	struct phys_mem_meta m = {
		.base = fake, .entry_size = 16, .drop = record_drop,
	};
	struct page *h;

	phys_mem_register_meta(&m);
	assert_int_equal(stats().meta_bytes_per_page, sizeof(struct page) + 16);
	h = alloc_pages(PMD_ORDER);
	assert_non_null(h);
	dropped_nr = 0;
	put_page(h);
	phys_mem_drain();
	assert_int_equal(dropped_pfn, page_to_pfn(h));
	assert_int_equal(dropped_nr, BLOCK_PAGES);
	phys_mem_unregister_meta();
	assert_int_equal(stats().meta_bytes_per_page, sizeof(struct page));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_alloc_4k),
		T(test_alloc_2m),
		T(test_unsupported_order),
		T(test_refcount_4k),
		T(test_refcount_2m_tails_forward),
		T(test_refcount_underflow_warns),
		T(test_bad_free_order_warns),
		T(test_reuse_after_free_4k),
		T(test_reuse_after_free_2m),
		T(test_block_reforms),
		T(test_block_reforms_only_when_all_free),
		T(test_split_busy),
		T(test_split_not_head),
		T(test_split_then_free_independently),
		T(test_rss_falls),
		T(test_free_check_hook),
		T(test_pfn_bounds),
		T(test_pfn_bounds_after_exit),
		T(test_out_of_memory),
		T(test_init_exit_busy),
		T(test_default_and_lazy_init),
		T(test_stress_threads),
		T(test_written_tracking),
		T(test_blocks_returned_in_batches),
		T(test_registered_meta),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
