// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host physical memory: 4K and 2M allocations, refcounts, reuse after free,
 * re-forming of 2M blocks and splitting (the life of the PFN space is in
 * test_page_alloc_life.c).
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

#include "page_alloc_test.h"

static void test_alloc_4k(void **state)
{
	enum { N = 1000 };
	struct phys_mem_stats s0 = pa_stats(), s1;
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

	s1 = pa_stats();
	assert_int_equal(s1.pages_in_use, s0.pages_in_use + N);
	assert_true(s1.peak_pages_in_use >= s1.pages_in_use);
	assert_int_equal(s1.allocs, s0.allocs + N);
	assert_int_equal(s1.blocks_2m_in_use, s0.blocks_2m_in_use);

	for (i = 0; i < N; i++)
		__free_page(pages[i]);
	s1 = pa_stats();
	assert_int_equal(s1.pages_in_use, s0.pages_in_use);
	assert_int_equal(s1.frees, s0.frees + N);
	assert_int_equal(warn_count(), w0);
}

static void test_alloc_2m(void **state)
{
	enum { N = 8 };
	struct phys_mem_stats s0 = pa_stats(), s1;
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

	s1 = pa_stats();
	assert_int_equal(s1.blocks_2m_in_use, s0.blocks_2m_in_use + N);
	assert_int_equal(s1.pages_in_use, s0.pages_in_use + N * BLOCK_PAGES);

	for (i = 0; i < N; i++)
		__free_pages(blocks[i], PMD_ORDER);
	s1 = pa_stats();
	assert_int_equal(s1.blocks_2m_in_use, s0.blocks_2m_in_use);
	assert_int_equal(s1.pages_in_use, s0.pages_in_use);
	assert_int_equal(s1.frees, s0.frees + N);
}

static void test_unsupported_order(void **state)
{
	struct phys_mem_stats s0 = pa_stats();
	struct log_capture c;

	capture_start(&c);
	assert_null(alloc_pages(1));
	assert_null(alloc_pages(10));
	assert_int_equal(capture_stop(&c), 2);
	assert_non_null(strstr(c.buf, "unsupported order"));
	free(c.buf);
	assert_int_equal(pa_stats().allocs, s0.allocs);
}

/* ---- refcounts ---- */

static void test_refcount_4k(void **state)
{
	struct phys_mem_stats s0 = pa_stats();
	struct page *p = alloc_page();

	assert_non_null(p);
	get_page(p);
	assert_int_equal(page_ref_count(p), 2);
	assert_true(get_page_unless_zero(p));
	assert_int_equal(page_ref_count(p), 3);
	put_page(p);
	put_page(p);
	assert_int_equal(page_ref_count(p), 1);
	assert_int_equal(pa_stats().pages_in_use, s0.pages_in_use + 1);

	/* The last reference frees the page. */
	put_page(p);
	assert_int_equal(page_ref_count(p), 0);
	assert_int_equal(pa_stats().pages_in_use, s0.pages_in_use);
	assert_int_equal(pa_stats().frees, s0.frees + 1);
	assert_false(get_page_unless_zero(p));
	assert_int_equal(page_ref_count(p), 0);
}

static void test_refcount_2m_tails_forward(void **state)
{
	struct phys_mem_stats s0 = pa_stats();
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
	assert_int_equal(pa_stats().blocks_2m_in_use, s0.blocks_2m_in_use + 1);

	/* Dropping the last reference through a tail frees the whole block. */
	put_page(t);
	assert_int_equal(pa_stats().blocks_2m_in_use, s0.blocks_2m_in_use);
	assert_int_equal(pa_stats().pages_in_use, s0.pages_in_use);
	assert_false(h->flags & BIT(PG_head));
	assert_false(t->flags & BIT(PG_tail));
}

static void test_refcount_underflow_warns(void **state)
{
	struct phys_mem_stats s0 = pa_stats(), s1;
	struct page *keep = alloc_page();
	struct page *p = alloc_page();
	struct log_capture c;

	assert_non_null(keep);
	assert_non_null(p);
	put_page(p);
	s1 = pa_stats();
	assert_int_equal(s1.pages_in_use, s0.pages_in_use + 1);

	capture_start(&c);
	put_page(p);
	assert_int_equal(capture_stop(&c), 1);
	assert_non_null(strstr(c.buf, "refcount underflow"));
	free(c.buf);
	/* Nothing was freed twice. */
	assert_int_equal(page_ref_count(p), 0);
	assert_int_equal(pa_stats().frees, s1.frees);
	assert_int_equal(pa_stats().pages_in_use, s1.pages_in_use);

	/* A double __free_pages() is refused as well. */
	capture_start(&c);
	__free_page(p);
	assert_int_equal(capture_stop(&c), 1);
	assert_non_null(strstr(c.buf, "not allocated"));
	free(c.buf);
	assert_int_equal(pa_stats().frees, s1.frees);
	assert_int_equal(pa_stats().pages_in_use, s1.pages_in_use);
	put_page(keep);
	assert_int_equal(pa_stats().pages_in_use, s0.pages_in_use);
}

static void test_bad_free_order_warns(void **state)
{
	struct phys_mem_stats s0 = pa_stats();
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
	assert_int_equal(pa_stats().pages_in_use,
			 s0.pages_in_use + BLOCK_PAGES + 1);
	assert_int_equal(bytes[0], 0x5a);
	assert_int_equal(bytes[PAGE_SIZE], 0x5a);
	assert_int_equal(page_ref_count(h), 1);
	__free_pages(h, PMD_ORDER);
	__free_page(p);
	assert_int_equal(pa_stats().pages_in_use, s0.pages_in_use);
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

/*
 * alloc_page_nozero() leaves a reused page's old bytes (its caller, GUP's
 * bounce copy, overwrites them) but keeps the page marked written, so
 * that the next alloc_page() of it zeroes it again.
 */
static void test_reuse_nozero(void **state)
{
	struct page *a = alloc_page(), *b;
	u64 pfn;

	assert_non_null(a);
	pfn = page_to_pfn(a);
	memset(page_address(a), 0xaa, PAGE_SIZE);
	page_mark_written(a);
	__free_page(a);
	/* A lone thread's free list hands the page straight back. */
	b = alloc_page_nozero();
	assert_non_null(b);
	assert_int_equal(page_to_pfn(b), pfn);
	assert_int_equal(page_ref_count(b), 1);
	assert_true(page_written(b));
	assert_int_equal(((u8 *)page_address(b))[100], 0xaa);
	__free_page(b);
	b = alloc_page();
	assert_non_null(b);
	assert_int_equal(page_to_pfn(b), pfn);
	assert_true(page_is_zero(b, 1));
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
	struct phys_mem_stats s0 = pa_stats(), s1, s2;
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
	s1 = pa_stats();
	assert_int_equal(s1.pages_in_use, s0.pages_in_use + BLOCK_PAGES);
	assert_true(s1.meta_bytes_touched > s0.meta_bytes_touched);

	for (i = 0; i < BLOCK_PAGES; i++)
		__free_page(pages[i]);
	assert_int_equal(pa_stats().pages_in_use, s0.pages_in_use);

	/* The 2M allocation gets the re-formed block, not a new one. */
	h = alloc_pages(PMD_ORDER);
	assert_non_null(h);
	assert_int_equal(page_to_pfn(h), block * BLOCK_PAGES);
	assert_true(page_is_zero(h, BLOCK_PAGES));
	s2 = pa_stats();
	assert_int_equal(s2.pages_in_use, s0.pages_in_use + BLOCK_PAGES);
	assert_int_equal(s2.blocks_2m_in_use, s0.blocks_2m_in_use + 1);
	assert_int_equal(s2.meta_bytes_touched, s1.meta_bytes_touched);

	/* A second one has to come from fresh memory. */
	h2 = alloc_pages(PMD_ORDER);
	assert_non_null(h2);
	assert_true(page_to_pfn(h2) != page_to_pfn(h));
	assert_true(pa_stats().meta_bytes_touched > s2.meta_bytes_touched);
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
	assert_int_equal(pa_stats().pages_in_use, 0);
}

/* ---- split_page_block ---- */

static void test_split_busy(void **state)
{
	struct phys_mem_stats s0 = pa_stats();
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
	assert_int_equal(pa_stats().blocks_2m_in_use, s0.blocks_2m_in_use + 1);
	atomic_dec(&t->_refcount);
	__free_pages(h, PMD_ORDER);
	assert_int_equal(pa_stats().pages_in_use, s0.pages_in_use);
}

/*
 * A frozen count: speculative references fail until the unfreeze; the
 * frozen split leaves the head frozen (its caller publishes the pages
 * first) and gives each tail the frozen count.
 */
static void test_split_frozen(void **state)
{
	struct phys_mem_stats s0 = pa_stats();
	struct page *h = alloc_pages(PMD_ORDER);
	unsigned int i;

	assert_non_null(h);
	get_page(h);
	assert_false(page_ref_freeze(h, 1));	/* the count is 2 */
	assert_int_equal(page_ref_count(h), 2);
	put_page(h);
	assert_true(page_ref_freeze(h, 1));
	assert_false(get_page_unless_zero(h));
	assert_false(get_page_unless_zero(h + 7));
	assert_int_equal(split_page_block_frozen(h, 1), 0);
	assert_int_equal(atomic_read(&h->_refcount), 0);
	assert_false(get_page_unless_zero(h));
	for (i = 1; i < BLOCK_PAGES; i++)
		assert_int_equal(page_ref_count(h + i), 1);
	page_ref_unfreeze(h, 1);
	assert_true(get_page_unless_zero(h));
	assert_int_equal(page_ref_count(h), 2);
	put_page(h);
	for (i = 0; i < BLOCK_PAGES; i++)
		put_page(h + i);
	assert_int_equal(pa_stats().pages_in_use, s0.pages_in_use);

	/* A failed frozen split leaves the block whole and unfrozen. */
	h = alloc_pages(PMD_ORDER);
	assert_non_null(h);
	atomic_inc(&h[5]._refcount);
	assert_true(page_ref_freeze(h, 1));
	assert_int_equal(split_page_block_frozen(h, 1), -EBUSY);
	assert_int_equal(page_ref_count(h), 1);
	assert_int_equal(h->order, PMD_ORDER);
	atomic_dec(&h[5]._refcount);
	put_page(h);
	assert_int_equal(pa_stats().pages_in_use, s0.pages_in_use);
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
	struct phys_mem_stats s0 = pa_stats(), s1;
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
	s1 = pa_stats();
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
	assert_int_equal(pa_stats().pages_in_use,
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
	assert_int_equal(pa_stats().pages_in_use, s0.pages_in_use);

	/* All 512 free again: the block is whole once more. */
	h2 = alloc_pages(PMD_ORDER);
	assert_non_null(h2);
	assert_int_equal(page_to_pfn(h2), pfn);
	assert_true(page_is_zero(h2, BLOCK_PAGES));
	assert_false(h2->flags & BIT(PG_uptodate));
	put_page(h2);
}

/*
 * Free mode: two threads allocating 4K pages turn about each carve their
 * own block (the kernel's per-CPU page lists), not alternate pages of one.
 */
#define CARVE_PAGES	64
static struct page *carved[2][CARVE_PAGES];
static int carve_turn;

static void *carve_thread(void *arg)
{
	int me = (int)(long)arg, i;

	for (i = 0; i < CARVE_PAGES; i++) {
		while (__atomic_load_n(&carve_turn, __ATOMIC_ACQUIRE) != me)
			;
		carved[me][i] = alloc_page();
		__atomic_store_n(&carve_turn, !me, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void test_threads_carve_own_blocks(void **state)
{
	pthread_t th[2];
	u64 blk[2];
	int t, i;

	carve_turn = 0;
	for (t = 0; t < 2; t++)
		assert_int_equal(pthread_create(&th[t], NULL, carve_thread,
						(void *)(long)t), 0);
	for (t = 0; t < 2; t++)
		pthread_join(th[t], NULL);
	for (t = 0; t < 2; t++) {
		assert_non_null(carved[t][0]);
		blk[t] = page_to_pfn(carved[t][0]) >> PMD_ORDER;
		for (i = 1; i < CARVE_PAGES; i++) {
			assert_non_null(carved[t][i]);
			assert_int_equal(page_to_pfn(carved[t][i]) >> PMD_ORDER,
					 blk[t]);
		}
	}
	assert_int_not_equal(blk[0], blk[1]);
	for (t = 0; t < 2; t++)
		for (i = 0; i < CARVE_PAGES; i++)
			__free_page(carved[t][i]);
	assert_int_equal(pa_stats().pages_in_use, 0);
}

/* ---- memory goes back to the OS ---- */

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, pa_setup, pa_teardown)
	const struct CMUnitTest tests[] = {
		T(test_alloc_4k),
		T(test_alloc_2m),
		T(test_unsupported_order),
		T(test_refcount_4k),
		T(test_refcount_2m_tails_forward),
		T(test_refcount_underflow_warns),
		T(test_bad_free_order_warns),
		T(test_reuse_after_free_4k),
		T(test_reuse_nozero),
		T(test_reuse_after_free_2m),
		T(test_block_reforms),
		T(test_block_reforms_only_when_all_free),
		T(test_split_busy),
		T(test_split_frozen),
		T(test_split_not_head),
		T(test_split_then_free_independently),
		T(test_threads_carve_own_blocks),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
