// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host physical memory over its life: memory returned to the OS, the
 * free-check hook, PFN bounds, running out, set-up and tear-down,
 * concurrent use, written-page tracking, batches and registered metadata.
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
	assert_int_equal(pa_stats().pages_in_use, 0);
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
	assert_int_equal(pa_stats().pages_in_use, 0);
}

/* ---- PFN bounds ---- */

static void test_pfn_bounds(void **state)
{
	struct phys_mem_stats st = pa_stats();
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
	assert_int_equal(pa_stats().total_pages, 0);
	assert_int_equal(phys_mem_init(TEST_MEM_BYTES), 0);
}

/* ---- init, exit, running out ---- */

static void test_out_of_memory(void **state)
{
	struct page *blocks[3], *h, *p, *pages[BLOCK_PAGES];
	unsigned int i;

	/* 8 MiB: four blocks, the first reserved. */
	assert_int_equal(phys_mem_init(8ULL << 20), 0);
	assert_int_equal(pa_stats().total_pages, 2048);
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
	assert_int_equal(pa_stats().pages_in_use, 3 * BLOCK_PAGES);

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
	assert_int_equal(pa_stats().pages_in_use, 0);

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
	assert_int_equal(pa_stats().total_pages, 2 * TEST_MEM_BYTES >> PAGE_SHIFT);

	/* A size beyond 32-bit PFNs is refused and changes nothing. */
	assert_int_equal(phys_mem_init(~0ULL), -ENOMEM);
	assert_true(phys_mem_ready());
	assert_int_equal(pa_stats().total_pages, 2 * TEST_MEM_BYTES >> PAGE_SHIFT);
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
	assert_int_equal(pa_stats().total_pages, dflt);
	assert_true(pfn_valid(dflt - 1));
	/* Untouched, the space costs only the metadata of what was used. */
	assert_true(pa_stats().meta_bytes_touched < (2ULL << 20));
	put_page(p);

	assert_int_equal(phys_mem_init(0), 0);
	assert_int_equal(pa_stats().total_pages, dflt);
	assert_int_equal(pa_stats().pages_in_use, 0);
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
	struct phys_mem_stats s0 = pa_stats(), s1;
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
	s1 = pa_stats();
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
	s0 = pa_stats();
	__free_page(p);
	q = alloc_page();
	assert_int_equal(page_to_pfn(q), pfn);
	assert_true(page_written(q));
	assert_true(page_is_zero(q, 1));
	assert_int_equal(pa_stats().pages_zeroed, s0.pages_zeroed);

	/* A written page is zeroed before it is handed out again. */
	memset(page_address(q), 0x77, PAGE_SIZE);
	page_clear_written(q);
	page_mark_written(q);
	s0 = pa_stats();
	__free_page(q);
	q = alloc_page();
	assert_int_equal(page_to_pfn(q), pfn);
	assert_true(page_is_zero(q, 1));
	s1 = pa_stats();
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
	struct page *keep = alloc_pages(PMD_ORDER);	/* no reset (below) */
	struct phys_mem_stats s0 = pa_stats(), s1, s2;
	unsigned int i;

	assert_non_null(pages);
	assert_non_null(keep);
	for (i = 0; i < NB * BLOCK_PAGES; i++) {
		pages[i] = alloc_page();
		assert_non_null(pages[i]);
		*(u8 *)page_address(pages[i]) = 1;
	}
	s1 = pa_stats();
	assert_true(s1.meta_bytes_touched >= s0.meta_bytes_touched +
				NB * BLOCK_PAGES * sizeof(struct page));
	assert_true(s1.meta_bytes_resident >= s0.meta_bytes_resident +
				NB * BLOCK_PAGES * sizeof(struct page));
	for (i = 0; i < NB * BLOCK_PAGES; i++)
		__free_page(pages[i]);
	phys_mem_drain();
	s2 = pa_stats();
	assert_int_equal(s2.pages_in_use, s0.pages_in_use);
	assert_int_equal(s2.blocks_returned, s0.blocks_returned + NB);
	/* 4096 pages of 8 adjacent blocks: their bytes and their struct pages, once each. */
	assert_int_equal(s2.madvise_calls, s0.madvise_calls + 2);
	/* Their metadata went back to the OS, but for a 16-byte descriptor per 2M. */
	assert_true(s2.meta_bytes_touched <= s0.meta_bytes_touched + NB * 16);
	assert_true(s2.meta_bytes_resident <= s0.meta_bytes_resident);
	assert_int_equal(s2.meta_bytes_per_page, sizeof(struct page));
	assert_int_equal(sizeof(struct page), 16);
	put_page(keep);
	free(pages);
}

/*
 * Blocks freed out of order (two vCPUs' pages interleave in blocks; a TD is
 * torn down in GFN order) wait for their neighbours: 64 blocks freed every
 * other one, then the rest, go back in a few long runs, not in 64 (two
 * calls each: the bytes and the struct pages).
 */
static void test_batch_coalesces_runs(void **state)
{
	enum { NB = 64 };
	struct page *b[NB], *keep = alloc_pages(PMD_ORDER);
	struct phys_mem_stats s0, s1;
	unsigned int i;

	assert_non_null(keep);
	for (i = 0; i < NB; i++) {
		b[i] = alloc_pages(PMD_ORDER);
		assert_non_null(b[i]);
		*(u8 *)page_address(b[i]) = 1;
	}
	for (i = 1; i < NB; i++)
		assert_int_equal(page_to_pfn(b[i]), page_to_pfn(b[0]) + i * BLOCK_PAGES);
	s0 = pa_stats();
	for (i = 0; i < NB; i += 2)
		put_page(b[i]);
	for (i = 1; i < NB; i += 2)
		put_page(b[i]);
	s1 = pa_stats();	/* drains */
	assert_int_equal(s1.blocks_returned, s0.blocks_returned + NB);
	assert_true(s1.madvise_calls <= s0.madvise_calls + 16);
	put_page(keep);
}

/*
 * When the last block is free and given back, the allocator's own metadata
 * goes back too (the block descriptors, block 0's struct pages): nothing
 * stays resident, and allocation starts again from block 1.
 */
static void test_metadata_returned_when_empty(void **state)
{
	struct page *h = alloc_pages(PMD_ORDER), *p;
	struct phys_mem_stats s;

	assert_non_null(h);
	p = alloc_page();
	assert_non_null(p);
	*(u8 *)page_address(p) = 1;
	assert_true(pa_stats().meta_bytes_resident > 0);
	put_page(h);
	put_page(p);
	s = pa_stats();
	assert_int_equal(s.pages_in_use, 0);
	assert_int_equal(s.meta_bytes_resident, 0);
	assert_true(s.meta_bytes_touched <= 16 +
					     BLOCK_PAGES * sizeof(struct page));
	/* Block 0 stays reserved, and freed memory reads as zero again. */
	h = alloc_pages(PMD_ORDER);
	assert_non_null(h);
	assert_int_equal(page_to_pfn(h), BLOCK_PAGES);
	p = alloc_page();
	assert_non_null(p);
	assert_true(page_to_pfn(p) >= 2 * BLOCK_PAGES);
	assert_true(page_is_zero(p, 1));
	put_page(h);
	put_page(p);
}

/*
 * A small batch left when the last block is freed stays resident for the
 * next allocations (a process building small TDs one after another), with
 * the metadata: freeing everything and allocating again makes no
 * madvise() call, and the memory reads as zero again.
 */
static void test_small_batch_stays_resident(void **state)
{
	struct page *h = alloc_pages(PMD_ORDER), *p = alloc_page();
	struct phys_mem_stats s0, s1;
	u64 hpfn;

	assert_non_null(h);
	assert_non_null(p);
	memset(page_address(h), 0x55, PAGE_SIZE);
	*(u8 *)page_address(p) = 1;
	hpfn = page_to_pfn(h);
	s0 = pa_stats();
	put_page(h);
	put_page(p);
	h = alloc_pages(PMD_ORDER);
	p = alloc_page();
	assert_non_null(h);
	assert_non_null(p);
	assert_true(page_to_pfn(h) == hpfn || page_to_pfn(p) >= hpfn);
	assert_true(page_is_zero(h, BLOCK_PAGES));
	assert_true(page_is_zero(p, 1));
	s1 = pa_stats();
	assert_int_equal(s1.madvise_calls, s0.madvise_calls);
	assert_int_equal(s1.blocks_returned, s0.blocks_returned);
	put_page(h);
	put_page(p);
	/* Drained (pa_stats()), the batch and the metadata go back. */
	s1 = pa_stats();
	assert_int_equal(s1.pages_in_use, 0);
	assert_int_equal(s1.meta_bytes_resident, 0);
}

/*
 * release_pages(): one put per page; only the pages whose last reference
 * goes are freed, in batches of PAGEVEC_SIZE, 2M blocks among them.
 */
static void test_release_pages(void **state)
{
	enum { N = 2 * PAGEVEC_SIZE + 5 };
	struct phys_mem_stats s0 = pa_stats(), s1;
	struct page *p[N];
	unsigned int i;

	for (i = 0; i < N; i++) {
		p[i] = alloc_pages(i % 10 == 3 ? PMD_ORDER : 0);
		assert_non_null(p[i]);
	}
	get_page(p[7]);		/* a second reference: stays */
	get_page(p[13]);	/* a 2M block, likewise */
	release_pages(p, N);
	s1 = pa_stats();
	assert_int_equal(s1.pages_in_use, s0.pages_in_use + 1 + BLOCK_PAGES);
	assert_int_equal(page_ref_count(p[7]), 1);
	assert_int_equal(page_ref_count(p[13]), 1);
	put_page(p[7]);
	put_page(p[13]);
	assert_int_equal(pa_stats().pages_in_use, s0.pages_in_use);
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
	assert_int_equal(pa_stats().meta_bytes_per_page, sizeof(struct page) + 16);
	h = alloc_pages(PMD_ORDER);
	assert_non_null(h);
	dropped_nr = 0;
	put_page(h);
	phys_mem_drain();
	assert_int_equal(dropped_pfn, page_to_pfn(h));
	assert_int_equal(dropped_nr, BLOCK_PAGES);
	phys_mem_unregister_meta();
	assert_int_equal(pa_stats().meta_bytes_per_page, sizeof(struct page));
}

/*
 * A VM torn down and created again (an exploration's schedules): once
 * nothing is allocated any more, a small batch stays resident (nothing goes
 * back to the OS: no drop of its metadata) and the next VM takes it back,
 * its written pages zeroed; a drain gives it back.
 */
static void test_idle_batch_kept(void **state)
{
	static u64 fake[1];
	struct phys_mem_meta m = {
		.base = fake, .entry_size = 16, .drop = record_drop,
	};
	struct page *h, *p;
	u64 pfn;

	phys_mem_register_meta(&m);
	h = alloc_pages(PMD_ORDER);
	p = alloc_page();
	assert_non_null(h);
	assert_non_null(p);
	memset(page_address(p), 0x5a, PAGE_SIZE);
	pfn = page_to_pfn(p);
	dropped_nr = 0;
	put_page(h);
	put_page(p);
	assert_int_equal(dropped_nr, 0);
	p = alloc_page();
	assert_non_null(p);
	assert_int_equal(page_to_pfn(p), pfn);
	assert_true(page_is_zero(p, 1));
	assert_int_equal(dropped_nr, 0);
	put_page(p);
	phys_mem_drain();
	assert_int_equal(dropped_nr, 2 * BLOCK_PAGES);
	phys_mem_unregister_meta();
	assert_int_equal(pa_stats().meta_bytes_resident, 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, pa_setup, pa_teardown)
	const struct CMUnitTest tests[] = {
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
		T(test_batch_coalesces_runs),
		T(test_metadata_returned_when_empty),
		T(test_small_batch_stays_resident),
		T(test_release_pages),
		T(test_registered_meta),
		T(test_idle_batch_kept),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
