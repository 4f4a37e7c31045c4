// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The guest's record: the sparse array, the expected-content transitions
 * of accept / write / convert sequences, and the page checks that turn a
 * lost or leaked page into a data-check failure. Also the RAM layout the
 * workloads split among vCPUs.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "guest/guest_internal.h"

static void test_sparse_array(void **state)
{
	struct grec r = { 0 };
	const u64 far = (1ULL << 47) >> PAGE_SHIFT;	/* a 47-bit GPA */

	assert_int_equal(grec_get(&r, 0), 0);
	assert_int_equal(grec_get(&r, far), 0);
	/* Setting "nothing" allocates nothing. */
	grec_set(&r, far - 1, 0);
	assert_int_equal(r.nr_dir, 0);
	grec_set(&r, 5, grec_make(GREC_PRIV, 77));
	grec_set(&r, far - 1, grec_make(GREC_ZERO, 0));
	grec_set(&r, 512, grec_make(GREC_SHARED, 3));
	assert_int_equal(grec_state(grec_get(&r, 5)), GREC_PRIV);
	assert_int_equal(grec_pattern(grec_get(&r, 5)), 77);
	assert_int_equal(grec_get(&r, 4), 0);
	assert_int_equal(grec_get(&r, 6), 0);
	assert_int_equal(grec_state(grec_get(&r, far - 1)), GREC_ZERO);
	assert_int_equal(grec_state(grec_get(&r, 512)), GREC_SHARED);
	/* Three 2M leaves, not a dense array up to 2^47. */
	assert_int_equal(r.leaves, 3);
	grec_free(&r);
	assert_int_equal(grec_get(&r, 5), 0);
}

static void test_accept_write_sequence(void **state)
{
	u32 v = 0;

	/* Accept of untouched RAM: the module zeroes, so zero is expected. */
	v = grec_after_accept(v, false, true);
	assert_int_equal(grec_state(v), GREC_ZERO);
	v = grec_after_write(v, false, 9);
	assert_int_equal(grec_state(v), GREC_PRIV);
	assert_int_equal(grec_pattern(v), 9);
	/* An already-accepted answer keeps what was written. */
	assert_int_equal(grec_after_accept(v, true, true), v);
	/* A zeroing accept of a page the guest had accepted is data loss. */
	assert_true(grec_accept_loses_data(v));
	assert_true(grec_accept_loses_data(grec_make(GREC_ZERO, 0)));
	assert_false(grec_accept_loses_data(grec_make(GREC_UNACCEPTED, 0)));
	assert_false(grec_accept_loses_data(0));
	/* Already accepted, never touched: firmware memory is unknown. */
	assert_int_equal(grec_state(grec_after_accept(0, true, false)),
			 GREC_PRIV_UNKNOWN);
	assert_int_equal(grec_state(grec_after_accept(0, true, true)),
			 GREC_ZERO);
}

static void test_convert_round_trip(void **state)
{
	u32 v = grec_make(GREC_PRIV, 42);

	/* To shared: the host owns the bytes; the old pattern must not show. */
	v = grec_after_to_shared(v);
	assert_int_equal(grec_state(v), GREC_SHARED);
	assert_int_equal(grec_pattern(v), 42);
	/* Converting again is a no-op for the record. */
	assert_int_equal(grec_after_to_shared(v), v);
	v = grec_after_write(v, true, 5);
	assert_int_equal(grec_state(v), GREC_SHARED_PAT);
	assert_int_equal(grec_after_to_shared(v), v);
	/* Back to private: not accepted; the re-accept must give zero. */
	v = grec_after_to_private(v);
	assert_int_equal(grec_state(v), GREC_UNACCEPTED);
	assert_int_equal(grec_state(grec_after_accept(v, false, true)),
			 GREC_ZERO);
	/* An already-accepted answer there still expects zero: a stale
	 * private page would then be caught by the read. */
	assert_int_equal(grec_state(grec_after_accept(v, true, true)),
			 GREC_ZERO);
	/* To private of a page that is private stays as it was. */
	assert_int_equal(grec_after_to_private(grec_make(GREC_PRIV, 8)),
			 grec_make(GREC_PRIV, 8));
	assert_int_equal(grec_state(grec_after_to_shared(0)), GREC_SHARED);
	assert_int_equal(grec_pattern(grec_after_to_shared(
			 grec_make(GREC_ZERO, 0))), 0);
}

static void test_check_pages(void **state)
{
	u8 page[PAGE_SIZE], other[PAGE_SIZE];
	char msg[320];

	/* Patterns depend on the gfn and the id. */
	grec_fill(page, 100, 7);
	grec_fill(other, 101, 7);
	assert_memory_not_equal(page, other, PAGE_SIZE);
	grec_fill(other, 100, 8);
	assert_memory_not_equal(page, other, PAGE_SIZE);

	grec_fill(page, 100, 7);
	assert_int_equal(grec_check(grec_make(GREC_PRIV, 7), 100, false, page,
				    msg, sizeof(msg)), 0);
	/* The same pattern at another GPA is wrong. */
	assert_int_equal(grec_check(grec_make(GREC_PRIV, 7), 101, false, page,
				    msg, sizeof(msg)), -1);
	assert_non_null(strstr(msg, "GPA 0x65000"));
	assert_non_null(strstr(msg, "expected private pattern 7"));
	/* One flipped byte is found, with its offset. */
	page[0x123] ^= 1;
	assert_int_equal(grec_check(grec_make(GREC_PRIV, 7), 100, false, page,
				    msg, sizeof(msg)), -1);
	assert_non_null(strstr(msg, "+0x123"));

	/* Zero expected. */
	memset(page, 0, sizeof(page));
	assert_int_equal(grec_check(grec_make(GREC_ZERO, 0), 3, false, page,
				    msg, sizeof(msg)), 0);
	page[4095] = 1;
	assert_int_equal(grec_check(grec_make(GREC_ZERO, 0), 3, false, page,
				    msg, sizeof(msg)), -1);
	assert_non_null(strstr(msg, "+0xfff"));

	/* Shared, host-owned: anything but the old private data. */
	grec_fill(page, 9, 11);
	assert_int_equal(grec_check(grec_make(GREC_SHARED, 12), 9, true, page,
				    msg, sizeof(msg)), 0);
	assert_int_equal(grec_check(grec_make(GREC_SHARED, 0), 9, true, page,
				    msg, sizeof(msg)), 0);
	assert_int_equal(grec_check(grec_make(GREC_SHARED, 11), 9, true, page,
				    msg, sizeof(msg)), -1);
	assert_non_null(strstr(msg, "private data"));
	/* Shared, written by the guest. */
	assert_int_equal(grec_check(grec_make(GREC_SHARED_PAT, 11), 9, true,
				    page, msg, sizeof(msg)), 0);
	/* Unknown / untouched pages are never reported. */
	assert_int_equal(grec_check(0, 9, false, page, msg, sizeof(msg)), 0);
	assert_int_equal(grec_check(grec_make(GREC_PRIV_UNKNOWN, 0), 9, false,
				    page, msg, sizeof(msg)), 0);
}

static void test_layout(void **state)
{
	struct tdxsim_ram_range r[3] = {
		{ 0, 0x800000, TDXSIM_RAM_SYSTEM },
		{ 0x40000000, 0x1000000, TDXSIM_RAM_UNACCEPTED },	/* 16M */
		{ 0x800000, 0x1000000, TDXSIM_RAM_UNACCEPTED },		/* 16M */
	};
	struct gw_seg part[8];
	u64 shared[4], seen = 0, prev_end = 0;
	unsigned int ns, v;
	int n, i;

	/* Two shared regions at the lowest unaccepted 2M blocks. */
	for (v = 0; v < 3; v++) {
		n = guest_layout(r, 3, 2, 3, v, shared, &ns, part, 8);
		assert_true(n >= 1);
		assert_int_equal(ns, 2);
		assert_int_equal(shared[0], 0x800000);
		assert_int_equal(shared[1], 0xa00000);
		for (i = 0; i < n; i++) {
			/* Disjoint, in order, outside the shared regions. */
			assert_true(part[i].base >= prev_end);
			assert_true(part[i].base >= 0xc00000);
			assert_int_not_equal(part[i].base, 0);
			prev_end = part[i].base + part[i].size;
			seen += part[i].size;
		}
		/*
		 * Parts split at 2M-aligned GPAs (so they can be accepted at
		 * 2M), each within 2M of an equal share of the 28M.
		 */
		if (v < 2) {
			u64 share = (0x2000000 - 0x400000) / 3 * (v + 1);

			assert_true((prev_end & (0x200000 - 1)) == 0);
			assert_true(seen >= share && seen < share + 0x200000);
		}
	}
	/* Everything but the shared regions is handed out. */
	assert_int_equal(seen, 0x2000000 - 0x400000);
}

static void test_workload_programs(void **state)
{
	struct tdxsim_ram_range r = { 0x100000000ULL, 64ULL << 20,
				      TDXSIM_RAM_UNACCEPTED };
	struct gw_params p = {
		.nr_vcpus = 2,
		.seed = 5,
		.chunk_size = 4 << 20,
		.policy = TDXSIM_ACCEPT_2M_FALLBACK,
		.working_set = 4 << 20,	/* linux-boot */
		.nr_ranges = 1,
		.ranges = &r,
	};
	char err[128];
	int w;

	for (w = 0; w < GW_NR; w++) {
		struct gprog a = { 0 }, b = { 0 }, c = { 0 };
		unsigned int i;

		p.workload = w;
		p.vcpu = 0;
		assert_int_equal(guest_workload_generate(&p, &a, err,
							 sizeof(err)), 0);
		assert_int_equal(guest_workload_generate(&p, &b, err,
							 sizeof(err)), 0);
		/* Same seed, same program. */
		assert_int_equal(a.nr, b.nr);
		for (i = 0; i < a.nr; i++) {
			assert_int_equal(a.ops[i].kind, b.ops[i].kind);
			assert_int_equal(a.ops[i].gpa, b.ops[i].gpa);
			assert_int_equal(a.ops[i].size, b.ops[i].size);
			assert_int_equal(a.ops[i].pattern, b.ops[i].pattern);
			assert_int_equal(a.ops[i].shared, b.ops[i].shared);
			assert_int_equal(a.ops[i].policy, b.ops[i].policy);
		}
		/* vCPU 1 works elsewhere: its pages are disjoint from vCPU 0's. */
		p.vcpu = 1;
		assert_int_equal(guest_workload_generate(&p, &c, err,
							 sizeof(err)), 0);
		assert_true(a.nr > 0 && c.nr > 0);
		for (i = 0; i < a.nr; i++) {
			assert_true(a.ops[i].gpa >= r.base);
			assert_true(a.ops[i].gpa + a.ops[i].size <=
				    r.base + (32 << 20));
		}
		for (i = 0; i < c.nr; i++)
			assert_true(c.ops[i].gpa >= r.base + (32 << 20) ||
				    /* linux-boot: vCPU 0 takes less than half */
				    (w == GW_LINUX_BOOT &&
				     c.ops[i].gpa >= a.ops[a.nr - 1].gpa +
						     a.ops[a.nr - 1].size));
		gprog_free(&a);
		gprog_free(&b);
		gprog_free(&c);
	}
	/* No unaccepted RAM: a clear error. */
	r.type = TDXSIM_RAM_SYSTEM;
	{
		struct gprog a = { 0 };

		p.workload = GW_LAZY_ACCEPT;
		assert_int_equal(guest_workload_generate(&p, &a, err,
							 sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "no unaccepted RAM"));
		gprog_free(&a);
	}
}

static void test_create_errors(void **state)
{
	struct tdxsim_guest_config cfg;
	struct tdxsim_guest_model *g;
	char err[256];
	size_t n;

	tdxsim_guest_config_init(&cfg);
	cfg.workload = "nope";
	cfg.nr_ranges = 1;
	cfg.ranges[0] = (struct tdxsim_ram_range){ 0, 1 << 21,
						   TDXSIM_RAM_UNACCEPTED };
	assert_int_equal(tdxsim_guest_create(&cfg, &g, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "unknown workload 'nope'"));
	assert_non_null(strstr(err, "lazy-accept"));
	cfg.workload = "lazy-accept";
	cfg.chunk_size = 3 << 20;
	assert_int_equal(tdxsim_guest_create(&cfg, &g, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "power of two"));
	cfg.chunk_size = 0;
	cfg.nr_vcpus = 0;
	assert_int_equal(tdxsim_guest_create(&cfg, &g, err, sizeof(err)),
			 -EINVAL);
	cfg.nr_vcpus = 1;
	cfg.ranges[0].base = 0x123;
	assert_int_equal(tdxsim_guest_create(&cfg, &g, err, sizeof(err)),
			 -EINVAL);
	cfg.ranges[0].base = 0;
	assert_int_equal(tdxsim_guest_create(&cfg, &g, err, sizeof(err)), 0);
	tdxsim_guest_destroy(g);

	assert_int_equal(tdxsim_guest_workloads(&n)[0].name[0] != 0, 1);
	assert_int_equal(n, GW_NR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sparse_array),
		cmocka_unit_test(test_accept_write_sequence),
		cmocka_unit_test(test_convert_round_trip),
		cmocka_unit_test(test_check_pages),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_workload_programs),
		cmocka_unit_test(test_create_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
