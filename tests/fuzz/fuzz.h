/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tdxsim's fuzz harnesses (tests/fuzz/README.md): each harness is one
 * LLVMFuzzerTestOneInput() that feeds an input to a parser and checks what
 * must hold for every input. The same function runs under libFuzzer
 * (`make fuzz`, clang) and in the plain test suite, where replay.c feeds it
 * every file of the corpus and of the regression directory.
 */
#ifndef TDXSIM_TESTS_FUZZ_H
#define TDXSIM_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A property does not hold: say which and where, then abort (a crash). */
#define FUZZ_CHECK(cond, fmt, ...)					\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: check '%s' failed: " fmt "\n", \
				__FILE__, __LINE__, #cond, ##__VA_ARGS__); \
			abort();					\
		}							\
	} while (0)

#endif /* TDXSIM_TESTS_FUZZ_H */
