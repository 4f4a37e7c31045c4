/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tdxsim's test library, part 1: assertions, in the spirit of the kernel
 * selftests' test_util.h (libtdxsim-testutil; docs/test-library.md).
 *
 * Helpers come in pairs, as in the selftests' kvm_util: __thing() does the
 * call and returns its result or -errno; thing() asserts that it succeeded,
 * with a message naming the call and the errno (TEST_ASSERT_OK).
 *
 * A failed assertion prints "==== Test Assertion Failure ====", where, what
 * and a message on standard error, then ends the program with exit status 1
 * (as a selftest does), unless a test framework installed its own failure
 * with test_set_assert_handler() (tdxsim's own tests fail the current
 * cmocka test instead).
 */
#ifndef TDXSIM_TEST_UTIL_H
#define TDXSIM_TEST_UTIL_H

#include <errno.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Report "file:line: assertion `expr' failed: message" and fail. */
void __test_assert_fail(const char *file, int line, const char *expr,
			const char *fmt, ...)
	__attribute__((format(printf, 4, 5), noreturn));

/*
 * What a failed assertion does instead of exiting: @handler gets the place,
 * the expression and the formatted message, and must not return (longjmp,
 * abort, exit; if it returns, the program aborts). NULL: the default.
 */
typedef void (*test_assert_handler_t)(const char *file, int line,
				      const char *expr, const char *msg);
void test_set_assert_handler(test_assert_handler_t handler);

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

#ifdef __cplusplus
}
#endif

#endif /* TDXSIM_TEST_UTIL_H */
