/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The test library's assertions for tdxsim's own tests: the public ones
 * (tdxsim/test_util.h, installed with libtdxsim-testutil) on top of
 * cmocka. A failed assertion prints where, what and a message, then fails
 * the current cmocka test (test_util_cmocka.c installs that failure).
 */
#ifndef TDXSIM_TESTS_TESTLIB_TEST_UTIL_H
#define TDXSIM_TESTS_TESTLIB_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tdxsim/test_util.h"

#endif /* TDXSIM_TESTS_TESTLIB_TEST_UTIL_H */
