// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The radix tree behind the memory attributes and the guest_memfd page
 * cache (host/radix.h): it grows from one level as larger indexes are
 * stored, and every value stays where it was stored as it grows.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "host/radix.h"

static int v[4];

static void test_radix_grows(void **state)
{
	struct radix_tree t;
	u64 idx;

	radix_init(&t, 5);
	assert_int_equal(radix_limit(&t), 1ULL << 45);
	assert_null(radix_lookup(&t, 0));
	idx = 0;
	assert_null(radix_next(&t, &idx, ~0ULL));

	/* A small index: one node, not one per level. */
	assert_int_equal(radix_store(&t, 7, &v[0]), 0);
	assert_int_equal(t.nr_nodes, 1);
	/* 1000 needs a second level: a new root over the old one. */
	assert_int_equal(radix_store(&t, 1000, &v[1]), 0);
	assert_int_equal(t.nr_nodes, 3);
	assert_ptr_equal(radix_lookup(&t, 7), &v[0]);
	assert_ptr_equal(radix_lookup(&t, 1000), &v[1]);
	assert_null(radix_lookup(&t, 1001));
	assert_null(radix_lookup(&t, 1ULL << 30));
	assert_null(radix_slot(&t, 1ULL << 30, false));

	/* The largest index: five levels. */
	assert_int_equal(radix_store(&t, (1ULL << 45) - 1, &v[2]), 0);
	assert_int_equal(radix_store(&t, 1ULL << 45, &v[3]), -EINVAL);
	assert_ptr_equal(radix_lookup(&t, 7), &v[0]);
	assert_ptr_equal(radix_lookup(&t, 1000), &v[1]);
	assert_ptr_equal(radix_lookup(&t, (1ULL << 45) - 1), &v[2]);

	idx = 0;
	assert_ptr_equal(radix_next(&t, &idx, ~0ULL), &v[0]);
	assert_int_equal(idx, 7);
	idx++;
	assert_ptr_equal(radix_next(&t, &idx, ~0ULL), &v[1]);
	assert_int_equal(idx, 1000);
	idx++;
	assert_null(radix_next(&t, &idx, 1ULL << 40));
	idx = 1001;
	assert_ptr_equal(radix_next(&t, &idx, ~0ULL), &v[2]);
	assert_int_equal(idx, (1ULL << 45) - 1);

	/* Clearing a slot needs no node. */
	assert_int_equal(radix_store(&t, 1ULL << 20, NULL), 0);
	radix_destroy(&t);
	assert_int_equal(t.nr_nodes, 0);
	assert_null(radix_lookup(&t, 7));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_radix_grows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
