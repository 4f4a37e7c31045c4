// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The test library's assertions (see tdxsim/test_util.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tdxsim/test_util.h"

static test_assert_handler_t assert_handler;

void test_set_assert_handler(test_assert_handler_t handler)
{
	assert_handler = handler;
}

void __test_assert_fail(const char *file, int line, const char *expr,
			const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (assert_handler) {
		assert_handler(file, line, expr, msg);
		abort();
	}
	fflush(stdout);
	fprintf(stderr, "==== Test Assertion Failure ====\n  %s:%d: %s\n  %s\n",
		file, line, expr, msg);
	exit(1);
}

const char *errno_name(long err)
{
	static __thread char buf[24];
	const char *name = err > 0 && err < 4096 ? strerrorname_np(err) : NULL;

	if (name)
		snprintf(buf, sizeof(buf), "-%s", name);
	else
		snprintf(buf, sizeof(buf), "%ld", -err);
	return buf;
}

const char *strerror_text(long err)
{
	static __thread char buf[64];

	return strerror_r(err, buf, sizeof(buf));
}
