/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The test library's assertions, in the spirit of the kernel selftests'
 * test_util.h, on top of cmocka: a failed assertion prints where, what, and
 * a message, then fails the current cmocka test.
 *
 * Helpers come in pairs, as in the selftests' kvm_util: __thing() does the
 * call and returns its result or -errno; thing() asserts that it succeeded
 * with a message naming the call and the errno (TEST_ASSERT_OK).
 */
#ifndef TDXSIM_TESTS_TESTLIB_TEST_UTIL_H
#define TDXSIM_TESTS_TESTLIB_TEST_UTIL_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* Print "file:line: assertion `expr' failed: message" and fail the test. */
void __test_assert_fail(const char *file, int line, const char *expr,
			const char *fmt, ...)
	__attribute__((format(printf, 4, 5), noreturn));

/* Fail the current test unless @cond, with a printf-style message. */
#define TEST_ASSERT(cond, fmt, ...)					\
	do {								\
		if (!(cond))						\
			__test_assert_fail(__FILE__, __LINE__, #cond,	\
					   fmt, ##__VA_ARGS__);		\
	} while (0)

/*
 * @r is what a __helper returned (>= 0, or -errno): fail unless it is not
 * negative, naming the call ("KVM_SET_USER_MEMORY_REGION2 slot 0") and
 * the errno ("failed: -EINVAL (Invalid argument)").
 */
#define TEST_ASSERT_OK(r, fmt, ...)					\
	do {								\
		long __r = (r);						\
		if (__r < 0)						\
			__test_assert_fail(__FILE__, __LINE__, #r,	\
					   fmt " failed: %s (%s)",	\
					   ##__VA_ARGS__,		\
					   errno_name(-__r),		\
					   strerror_text(-__r));	\
	} while (0)

/* "-EINVAL" for EINVAL (a number when the name is unknown). */
const char *errno_name(long err);
/* strerror() of @err. */
const char *strerror_text(long err);

/* -errno of a failed call that returns -1 and sets errno, else its result. */
static inline long sys_ret(long r)
{
	return r < 0 ? -errno : r;
}

#endif /* TDXSIM_TESTS_TESTLIB_TEST_UTIL_H */
