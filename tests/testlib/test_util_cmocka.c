// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tdxsim's own tests run on cmocka: a failed TEST_ASSERT fails the current
 * cmocka test (and the program goes on with the next) instead of exiting.
 * Linked whole into every test that uses the test library.
 */
#include "testlib/test_util.h"

static void cmocka_assert_fail(const char *file, int line, const char *expr,
			       const char *msg)
{
	print_error("==== Test Assertion Failure ====\n  %s:%d: %s\n  %s\n",
		    file, line, expr, msg);
	fail();
}

__attribute__((constructor)) static void use_cmocka(void)
{
	test_set_assert_handler(cmocka_assert_fail);
}
