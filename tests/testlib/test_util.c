// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The test library's assertions (see test_util.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "testlib/test_util.h"

void __test_assert_fail(const char *file, int line, const char *expr,
			const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	print_error("==== Test Assertion Failure ====\n  %s:%d: %s\n  %s\n",
		    file, line, expr, msg);
	fail();
	__builtin_unreachable();
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
