// SPDX-License-Identifier: GPL-2.0-or-later
/* The fuzzer's library tests' shared helpers (fuzz_test.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_test.h"

struct tdxsim_fuzz_program *fuzz_test_parse(const char *text)
{
	struct tdxsim_fuzz_program *p = NULL;
	char err[256];
	int r = tdxsim_fuzz_parse(text, "test", &p, err, sizeof(err));

	if (r)
		fprintf(stderr, "# %s\n", err);
	assert_int_equal(r, 0);
	return p;
}

void fuzz_test_parse_fails(const char *text, const char *what)
{
	struct tdxsim_fuzz_program *p = NULL;
	char err[256];

	assert_int_equal(tdxsim_fuzz_parse(text, "bad", &p, err, sizeof(err)),
			 -EINVAL);
	if (what)
		assert_non_null(strstr(err, what));
}

char *fuzz_test_round_trip(const struct tdxsim_fuzz_gen_config *gc,
			   uint64_t seed, uint64_t index)
{
	struct tdxsim_fuzz_program *p, *q;
	char *a, *b, *c;

	assert_int_equal(tdxsim_fuzz_generate(gc, seed, index, &p), 0);
	assert_int_equal(tdxsim_fuzz_generate(gc, seed, index, &q), 0);
	a = tdxsim_fuzz_format(p);
	b = tdxsim_fuzz_format(q);
	assert_string_equal(a, b);
	tdxsim_fuzz_free(q);
	q = fuzz_test_parse(a);
	c = tdxsim_fuzz_format(q);
	assert_string_equal(a, c);
	free(b);
	free(c);
	tdxsim_fuzz_free(p);
	tdxsim_fuzz_free(q);
	return a;
}

void fuzz_test_run_clean(const char *text)
{
	struct tdxsim_fuzz_program *p = fuzz_test_parse(text);
	struct tdxsim_fuzz_outcome o;

	assert_int_equal(tdxsim_fuzz_run(p, &o), 0);
	if (o.failed)
		fprintf(stderr, "# %s\n", o.summary);
	assert_false(o.failed);
	assert_int_equal(o.bad_errnos, 0);
	tdxsim_fuzz_outcome_free(&o);
	tdxsim_fuzz_free(p);
}
