// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The guest program parser: valid programs give the expected operations
 * per vCPU; each kind of error is reported at its line and column.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "guest/guest_internal.h"

static int parse(const char *text, unsigned int nr_vcpus, struct gprog *p,
		 char *err, size_t errlen)
{
	return guest_program_parse(text, "t.prog", nr_vcpus, 1, p, err,
				   errlen);
}

static void test_example_program(void **state)
{
	const char *text =
		"# the example of docs/guest-programs.md\n"
		"accept 0x100000 2M level=2m-fallback\n"
		"write 0x100000 64K pattern=7\n"
		"read 0x100000 64K   # verify\n"
		"mapgpa shared 0x200000 2M\n"
		"write shared 0x200000 4K pattern=3\n"
		"mapgpa private 0x200000 2M\n"
		"touch 0x400000\n"
		"halt\n";
	struct gprog p[1] = { 0 };
	char err[256] = "";
	const struct gop *o;

	assert_int_equal(parse(text, 1, p, err, sizeof(err)), 0);
	assert_int_equal(p[0].nr, 8);
	o = p[0].ops;
	assert_int_equal(o[0].kind, GOP_ACCEPT);
	assert_int_equal(o[0].gpa, 0x100000);
	assert_int_equal(o[0].size, 2 << 20);
	assert_int_equal(o[0].policy, TDXSIM_ACCEPT_2M_FALLBACK);
	assert_int_equal(o[0].line, 2);
	assert_int_equal(o[1].kind, GOP_WRITE);
	assert_int_equal(o[1].size, 64 << 10);
	assert_int_equal(o[1].pattern, 7);
	assert_false(o[1].shared);
	assert_int_equal(o[2].kind, GOP_READ);
	assert_int_equal(o[3].kind, GOP_MAPGPA);
	assert_true(o[3].shared);
	assert_int_equal(o[4].kind, GOP_WRITE);
	assert_true(o[4].shared);
	assert_int_equal(o[4].pattern, 3);
	assert_int_equal(o[5].kind, GOP_MAPGPA);
	assert_false(o[5].shared);
	assert_int_equal(o[6].kind, GOP_TOUCH);
	assert_int_equal(o[6].gpa, 0x400000);
	assert_int_equal(o[6].size, 4096);
	assert_int_equal(o[7].kind, GOP_HALT);
	assert_int_equal(o[7].line, 9);
	gprog_free(&p[0]);
}

static void test_vcpu_sections(void **state)
{
	const char *text =
		"accept 0 4K level=4k\n"	/* before any header: all */
		"vcpu 1\n"
		"write 0x1000 4K\n"
		"vcpu all\n"
		"read 0x2000 8k\n"
		"vcpu 0\n"
		"accept 1G 2M level=2m\n";
	struct gprog p[2] = { 0 };
	char err[256] = "";

	assert_int_equal(parse(text, 2, p, err, sizeof(err)), 0);
	assert_int_equal(p[0].nr, 3);
	assert_int_equal(p[1].nr, 3);
	assert_int_equal(p[0].ops[0].kind, GOP_ACCEPT);
	assert_int_equal(p[0].ops[0].policy, TDXSIM_ACCEPT_4K);
	assert_int_equal(p[0].ops[1].kind, GOP_READ);
	assert_int_equal(p[0].ops[1].size, 8192);
	assert_int_equal(p[0].ops[2].gpa, 1ULL << 30);
	assert_int_equal(p[0].ops[2].policy, TDXSIM_ACCEPT_2M);
	assert_int_equal(p[1].ops[1].kind, GOP_WRITE);
	/* A write without pattern= gets a non-zero pattern of its own. */
	assert_true(p[1].ops[1].pattern >= 1 &&
		    p[1].ops[1].pattern <= GREC_PATTERN_MAX);
	assert_int_equal(p[1].ops[2].kind, GOP_READ);
	gprog_free(&p[0]);
	gprog_free(&p[1]);
}

static void test_comments_blank_crlf(void **state)
{
	const char *text = "\n   \n# only a comment\r\n\thalt # stop\r\n";
	struct gprog p[1] = { 0 };
	char err[256] = "";

	assert_int_equal(parse(text, 1, p, err, sizeof(err)), 0);
	assert_int_equal(p[0].nr, 1);
	assert_int_equal(p[0].ops[0].kind, GOP_HALT);
	assert_int_equal(p[0].ops[0].line, 4);
	assert_int_equal(p[0].ops[0].col, 2);
	gprog_free(&p[0]);
}

static void test_auto_patterns_differ(void **state)
{
	struct gprog p[1] = { 0 };
	char err[256] = "";

	assert_int_equal(parse("write 0 4K\nwrite 0 4K\n", 1, p, err,
			       sizeof(err)), 0);
	assert_int_not_equal(p[0].ops[0].pattern, p[0].ops[1].pattern);
	gprog_free(&p[0]);
}

struct bad {
	const char *text;
	unsigned int nr_vcpus;
	const char *where;	/* "t.prog:L:C:" */
	const char *words;	/* a part of the message */
};

static const struct bad bad_programs[] = {
	{ "frobnicate 0 4K\n", 1, "t.prog:1:1:", "unknown operation 'frobnicate'" },
	{ "halt\n  accept 0x1001 4K\n", 1, "t.prog:2:10:", "not 4K-aligned" },
	{ "accept 0x1000 100\n", 1, "t.prog:1:15:", "not a multiple of 4K" },
	{ "accept 0x1000 0\n", 1, "t.prog:1:15:", "size is zero" },
	{ "accept 0x1000\n", 1, "t.prog:1:14:", "needs a GPA and a size" },
	{ "accept 0xzz 4K\n", 1, "t.prog:1:8:", "is not a number" },
	{ "accept 0 4Q\n", 1, "t.prog:1:10:", "is not a number" },
	{ "accept 0 4K level=1g\n", 1, "t.prog:1:19:", "unknown accept level '1g'" },
	{ "accept 0 4K color=red\n", 1, "t.prog:1:13:", "unknown option 'color'" },
	{ "write 0 4K pattern=0\n", 1, "t.prog:1:20:", "out of range" },
	{ "write 0 4K pattern=x\n", 1, "t.prog:1:20:", "not a number" },
	{ "read 0 4K pattern=3\n", 1, "t.prog:1:11:", "unknown option 'pattern'" },
	{ "read 0 4K extra\n", 1, "t.prog:1:11:", "unexpected 'extra'" },
	{ "mapgpa sideways 0 4K\n", 1, "t.prog:1:8:", "expected 'shared' or 'private'" },
	{ "mapgpa\n", 1, "t.prog:1:7:", "needs 'shared' or 'private'" },
	{ "touch\n", 1, "t.prog:1:6:", "'touch' needs a GPA" },
	{ "touch 0x123\n", 1, "t.prog:1:7:", "not 4K-aligned" },
	{ "vcpu 2\n", 2, "t.prog:1:6:", "vCPU 2 out of range: the guest has 2 vCPUs" },
	{ "vcpu\n", 1, "t.prog:1:5:", "needs a vCPU index" },
	{ "vcpu x\n", 1, "t.prog:1:6:", "not a vCPU index" },
	{ "vcpu 0 1\n", 1, "t.prog:1:8:", "unexpected '1'" },
	{ "accept 0xfffffffffffff000 8K\n", 1, "t.prog:1:8:", "52-bit GPA space" },
	{ "halt now\n", 1, "t.prog:1:6:", "unexpected 'now'" },
};

static void test_errors(void **state)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad_programs); i++) {
		const struct bad *b = &bad_programs[i];
		struct gprog p[4] = { { 0 } };
		char err[256] = "";

		if (parse(b->text, b->nr_vcpus, p, err, sizeof(err)) !=
		    -EINVAL)
			fail_msg("accepted: %s", b->text);
		if (strncmp(err, b->where, strlen(b->where)) ||
		    !strstr(err, b->words))
			fail_msg("program %u '%s': got \"%s\", want \"%s ... %s\"",
				 i, b->text, err, b->where, b->words);
		/* Nothing is left allocated after an error. */
		assert_null(p[0].ops);
	}
}

static void test_public_parse(void **state)
{
	struct tdxsim_guest_config cfg;
	struct tdxsim_guest_model *g;
	struct tdxsim_guest_vcpu_status st;
	char err[256] = "";

	tdxsim_guest_config_init(&cfg);
	cfg.nr_vcpus = 2;
	assert_int_equal(tdxsim_guest_parse("vcpu 1\naccept 0 2M\n",
					    "x.prog", &cfg, &g, err,
					    sizeof(err)), 0);
	assert_int_equal(tdxsim_guest_nr_vcpus(g), 2);
	assert_non_null(tdxsim_guest_vcpu(g, 1));
	assert_null(tdxsim_guest_vcpu(g, 2));
	assert_int_equal(tdxsim_guest_vcpu_status(g, 1, &st), 0);
	assert_int_equal(st.nr_ops, 1);
	assert_int_equal(st.line, 2);
	assert_string_equal(st.op, "accept 0x0 2M level=2m-fallback");
	assert_int_equal(tdxsim_guest_vcpu_status(g, 0, &st), 0);
	assert_int_equal(st.nr_ops, 0);
	assert_false(tdxsim_guest_finished(g));
	tdxsim_guest_destroy(g);

	/* Through tdxsim_guest_create() with cfg.program. */
	cfg.program = "halt\nbogus\n";
	cfg.program_name = "y.prog";
	assert_int_equal(tdxsim_guest_create(&cfg, &g, err, sizeof(err)),
			 -EINVAL);
	assert_null(g);
	assert_string_equal(err,
			    "y.prog:2:1: unknown operation 'bogus' (expected accept, write, read, mapgpa, touch, report, quote, pio, mmio, halt or vcpu)");
}

static void test_sizes_and_policies(void **state)
{
	enum tdxsim_accept_policy pol;
	uint64_t v;

	assert_int_equal(tdxsim_guest_parse_size("4K", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(tdxsim_guest_parse_size("0x10M", &v), 0);
	assert_int_equal(v, 16ULL << 20);
	assert_int_equal(tdxsim_guest_parse_size("2GiB", &v), 0);
	assert_int_equal(v, 2ULL << 30);
	assert_int_equal(tdxsim_guest_parse_size("1t", &v), 0);
	assert_int_equal(v, 1ULL << 40);
	assert_int_equal(tdxsim_guest_parse_size("123", &v), 0);
	assert_int_equal(v, 123);
	assert_int_equal(tdxsim_guest_parse_size("", &v), -EINVAL);
	assert_int_equal(tdxsim_guest_parse_size("0x", &v), -EINVAL);
	assert_int_equal(tdxsim_guest_parse_size("4KK", &v), -EINVAL);
	assert_int_equal(tdxsim_guest_parse_size("-1", &v), -EINVAL);
	assert_int_equal(tdxsim_guest_parse_size("99999999999999999999", &v),
			 -EINVAL);
	assert_int_equal(tdxsim_guest_parse_size("17179869184G", &v),
			 -EINVAL);
	assert_int_equal(tdxsim_guest_parse_accept_policy("2M-fallback", &pol),
			 0);
	assert_int_equal(pol, TDXSIM_ACCEPT_2M_FALLBACK);
	assert_int_equal(tdxsim_guest_parse_accept_policy("4k", &pol), 0);
	assert_int_equal(pol, TDXSIM_ACCEPT_4K);
	assert_int_equal(tdxsim_guest_parse_accept_policy("1g", &pol),
			 -EINVAL);
	assert_string_equal(tdxsim_guest_accept_policy_name(TDXSIM_ACCEPT_2M),
			    "2m");
}

static const char *doc_path;

/* The example of docs/guest-programs.md parses as documented. */
static void test_doc_example(void **state)
{
	struct gprog p[2] = { { 0 } };
	char err[256] = "", *text, *start, *end;
	FILE *f;
	long n;

	if (!doc_path)
		skip();
	f = fopen(doc_path, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	text = calloc(1, n + 1);
	assert_int_equal(fread(text, 1, n, f), n);
	fclose(f);
	start = strstr(text, "Example:\n\n```\n");
	assert_non_null(start);
	start += strlen("Example:\n\n```\n");
	end = strstr(start, "```");
	assert_non_null(end);
	*end = '\0';
	if (parse(start, 2, p, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(p[0].nr, 9);
	assert_int_equal(p[1].nr, 2);
	assert_int_equal(p[1].ops[0].policy, TDXSIM_ACCEPT_4K);
	gprog_free(&p[0]);
	gprog_free(&p[1]);
	free(text);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_program),
		cmocka_unit_test(test_vcpu_sections),
		cmocka_unit_test(test_comments_blank_crlf),
		cmocka_unit_test(test_auto_patterns_differ),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_public_parse),
		cmocka_unit_test(test_sizes_and_policies),
		cmocka_unit_test(test_doc_example),
	};

	if (argc > 1)
		doc_path = argv[1];

	return cmocka_run_group_tests(tests, NULL, NULL);
}
