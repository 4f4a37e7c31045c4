/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the fuzzer's library tests share (test_fuzz.c, test_fuzz_tds.c):
 * a program parsed from text, the text round trip of generated programs,
 * a program run that must come out clean, and main().
 */
#ifndef TDXSIM_TESTS_FUZZ_TEST_H
#define TDXSIM_TESTS_FUZZ_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tdxsim/fuzz.h"

/* The program of @text; the test fails (with the parser's message) if none. */
struct tdxsim_fuzz_program *fuzz_test_parse(const char *text);
/* @text (named "bad") must be refused: -EINVAL, a message with @what (or NULL). */
void fuzz_test_parse_fails(const char *text, const char *what);
/*
 * Program @index of @seed under @gc, generated twice: both give the same
 * text, which parses and formats back to itself. Returns the text (free()).
 */
char *fuzz_test_round_trip(const struct tdxsim_fuzz_gen_config *gc,
			   uint64_t seed, uint64_t index);
/* Run the program of @text: it must not fail and keep no unallowed errno. */
void fuzz_test_run_clean(const char *text);
/*
 * main() for "PROGRAM [NAME...]", with reports quiet: test_NAME alone;
 * test_NAME of each NAME in that order, or with no NAME every case of
 * @cases[@n], sharing one process until a case leaves a TD the host
 * cannot get back (a bugged VM's, leaked as upstream leaks it), the next
 * ones in a new one. An unknown NAME prints "no test NAME" and returns 2.
 */
int fuzz_test_main(int argc, char **argv, const struct CMUnitTest *cases,
		   size_t n);

#endif /* TDXSIM_TESTS_FUZZ_TEST_H */
