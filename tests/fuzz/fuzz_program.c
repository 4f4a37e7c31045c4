// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz harness of the guest-program parser (src/guest/program.c): the input
 * is a program text (docs/guest-programs.md), parsed for 4 vCPUs. What must
 * hold:
 *
 *  - the parse is deterministic (same status, message and programs);
 *  - a refusal is -EINVAL with one "fuzz.prog:LINE:COL: ..." message whose
 *    line exists and whose column lies on it (or just past its end), no
 *    program left allocated, and a shorter message buffer only truncates
 *    the message;
 *  - every operation of an accepted program is one the guest can run: a
 *    known kind, 4K-aligned non-empty ranges inside the 52-bit GPA space, a
 *    pattern in range for writes, a known accept level; its line and column
 *    point at its keyword in the text;
 *  - printed back with gop_format() (one "vcpu N" section per vCPU), the
 *    programs parse to the same operations, and printing those gives the
 *    same text again.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "guest/guest_internal.h"

#define NR_VCPUS	4
#define NAME		"fuzz.prog"
#define ERR_LEN		512
#define SEED		0x5eedULL

static const char *const keywords[] = {
	[GOP_ACCEPT] = "accept", [GOP_WRITE] = "write", [GOP_READ] = "read",
	[GOP_MAPGPA] = "mapgpa", [GOP_TOUCH] = "touch", [GOP_HALT] = "halt",
	[GOP_REPORT] = "report", [GOP_QUOTE] = "quote", [GOP_PIO] = "pio",
	[GOP_MMIO] = "mmio",
};

static void free_progs(struct gprog *p)
{
	unsigned int i;

	for (i = 0; i < NR_VCPUS; i++)
		gprog_free(&p[i]);
}

static bool same_op(const struct gop *a, const struct gop *b, bool where)
{
	return a->kind == b->kind && a->policy == b->policy &&
	       a->shared == b->shared && a->pattern == b->pattern &&
	       a->gpa == b->gpa && a->size == b->size &&
	       a->value == b->value &&
	       (!where || (a->line == b->line && a->col == b->col));
}

static bool same_progs(const struct gprog *a, const struct gprog *b,
		       bool where)
{
	unsigned int i, k;

	for (i = 0; i < NR_VCPUS; i++) {
		if (a[i].nr != b[i].nr)
			return false;
		for (k = 0; k < a[i].nr; k++)
			if (!same_op(&a[i].ops[k], &b[i].ops[k], where))
				return false;
	}
	return true;
}

/* Start and length of line @line (1-based) of @text; false if none. */
static bool find_line(const char *text, unsigned long line,
		      const char **start, size_t *len)
{
	const char *p = text, *nl;

	while (--line) {
		nl = strchr(p, '\n');
		if (!nl)
			return false;
		p = nl + 1;
	}
	nl = strchr(p, '\n');
	*start = p;
	*len = nl ? (size_t)(nl - p) : strlen(p);
	return true;
}

static void check_refusal(const char *text, int ret, const char *err,
			  const struct gprog *p)
{
	unsigned long line, col;
	const char *start;
	size_t len;
	int n = 0;
	unsigned int i;

	FUZZ_CHECK(ret == -EINVAL, "refused with %d (%s)", ret, err);
	FUZZ_CHECK(memchr(err, '\0', ERR_LEN), "message not terminated");
	FUZZ_CHECK(sscanf(err, NAME ":%lu:%lu: %n", &line, &col, &n) == 2 &&
		   n > 0 && strlen(err + n) > 5,
		   "message \"%s\" is not \"name:line:col: text\"", err);
	FUZZ_CHECK(!strchr(err, '\n'), "message on one line: \"%s\"", err);
	FUZZ_CHECK(line >= 1 && find_line(text, line, &start, &len),
		   "\"%s\": no line %lu", err, line);
	FUZZ_CHECK(col >= 1 && col <= len + 1,
		   "\"%s\": column %lu on a line of %zu characters", err, col,
		   len);
	for (i = 0; i < NR_VCPUS; i++)
		FUZZ_CHECK(!p[i].nr && !p[i].ops,
			   "refused program left %u operations on vCPU %u",
			   p[i].nr, i);
}

static void check_op(const char *text, const struct gop *o)
{
	const char *start, *kw;
	size_t len;

	FUZZ_CHECK(o->kind < sizeof(keywords) / sizeof(keywords[0]) && keywords[o->kind],
		   "kind %u", o->kind);
	kw = keywords[o->kind];
	FUZZ_CHECK(find_line(text, o->line, &start, &len) && o->col >= 1 &&
		   o->col - 1 + strlen(kw) <= len &&
		   !strncmp(start + o->col - 1, kw, strlen(kw)),
		   "%s at %u:%u does not point at its keyword", kw, o->line,
		   o->col);
	FUZZ_CHECK(o->policy <= TDXSIM_ACCEPT_2M &&
		   (o->kind == GOP_ACCEPT || !o->policy),
		   "%s: policy %u", kw, o->policy);
	FUZZ_CHECK(o->kind == GOP_WRITE ?
		   o->pattern >= 1 && o->pattern <= GREC_PATTERN_MAX :
		   !o->pattern, "%s: pattern %u", kw, o->pattern);
	FUZZ_CHECK(!o->shared || o->kind == GOP_WRITE ||
		   o->kind == GOP_READ || o->kind == GOP_MAPGPA ||
		   o->kind == GOP_QUOTE,
		   "%s: shared", kw);
	if (o->kind == GOP_HALT)
		return;
	if (o->kind == GOP_PIO || o->kind == GOP_MMIO) {
		u64 max = o->kind == GOP_PIO ? 4 : 8;

		FUZZ_CHECK((o->kind == GOP_PIO ? o->gpa <= 0xffff :
			    o->gpa < GUEST_GPA_LIMIT) &&
			   o->size && o->size <= max &&
			   !(o->size & (o->size - 1)),
			   "%s: 0x%llx, %llu bytes", kw,
			   (unsigned long long)o->gpa,
			   (unsigned long long)o->size);
		return;
	}
	FUZZ_CHECK(!o->value, "%s: value", kw);
	FUZZ_CHECK(IS_ALIGNED(o->gpa, PAGE_SIZE) &&
		   IS_ALIGNED(o->size, PAGE_SIZE) && o->size &&
		   o->gpa < GUEST_GPA_LIMIT &&
		   o->size <= GUEST_GPA_LIMIT - o->gpa,
		   "%s: range 0x%llx + 0x%llx", kw,
		   (unsigned long long)o->gpa, (unsigned long long)o->size);
	FUZZ_CHECK(o->kind != GOP_TOUCH || o->size == PAGE_SIZE,
		   "touch of 0x%llx bytes", (unsigned long long)o->size);
}

/* The programs as text: one "vcpu N" section per vCPU. */
static char *print_progs(const struct gprog *p)
{
	size_t cap = 64, len = 0, n;
	char *out = malloc(cap), line[160];
	unsigned int i, k;

	FUZZ_CHECK(out, "out of memory");
	out[0] = '\0';
	for (i = 0; i < NR_VCPUS; i++) {
		for (k = 0; k <= p[i].nr; k++) {
			if (!k)
				snprintf(line, sizeof(line), "vcpu %u", i);
			else
				gop_format(&p[i].ops[k - 1], line,
					   sizeof(line));
			n = strlen(line);
			FUZZ_CHECK(n < sizeof(line) - 1, "line \"%s\" cut", line);
			if (len + n + 2 > cap) {
				cap = 2 * (len + n + 2);
				out = realloc(out, cap);
				FUZZ_CHECK(out, "out of memory");
			}
			memcpy(out + len, line, n);
			len += n;
			out[len++] = '\n';
			out[len] = '\0';
		}
	}
	return out;
}

static void check_round_trip(const struct gprog *p)
{
	struct gprog q[NR_VCPUS] = { 0 };
	char err[ERR_LEN] = "";
	char *text, *again;
	int ret;

	text = print_progs(p);
	ret = guest_program_parse(text, NAME, NR_VCPUS, SEED, q, err,
				  sizeof(err));
	FUZZ_CHECK(!ret, "the printed program is refused: %s\n%s", err, text);
	FUZZ_CHECK(same_progs(p, q, false),
		   "the printed program parses to other operations:\n%s",
		   text);
	again = print_progs(q);
	FUZZ_CHECK(!strcmp(text, again), "printing is not stable:\n%s\n%s",
		   text, again);
	free(again);
	free(text);
	free_progs(q);
}

static void check_short_message(const char *text, size_t len, int want,
				const char *full)
{
	struct gprog p[NR_VCPUS] = { 0 };
	char *err = len ? malloc(len) : NULL;
	int ret;

	FUZZ_CHECK(!len || err, "out of memory");
	ret = guest_program_parse(text, NAME, NR_VCPUS, SEED, p, err, len);
	FUZZ_CHECK(ret == want, "errlen %zu: %d, want %d", len, ret, want);
	if (len) {
		FUZZ_CHECK(memchr(err, '\0', len), "errlen %zu: unterminated",
			   len);
		FUZZ_CHECK(!strncmp(err, full, strlen(err)) &&
			   strlen(err) == min(len - 1, strlen(full)),
			   "errlen %zu: \"%s\" is not a prefix of \"%s\"", len,
			   err, full);
	}
	free_progs(p);
	free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gprog a[NR_VCPUS] = { 0 }, b[NR_VCPUS] = { 0 };
	static char err[ERR_LEN], err2[ERR_LEN];
	unsigned int i, k;
	char *text;
	int ret, ret2;

	/* The parser takes a C string: the text ends at the first NUL. */
	text = malloc(size + 1);
	FUZZ_CHECK(text, "out of memory");
	memcpy(text, data, size);
	text[size] = '\0';

	ret = guest_program_parse(text, NAME, NR_VCPUS, SEED, a, err,
				  sizeof(err));
	ret2 = guest_program_parse(text, NAME, NR_VCPUS, SEED, b, err2,
				   sizeof(err2));
	FUZZ_CHECK(ret == ret2 && !strcmp(err, err2) && same_progs(a, b, true),
		   "not deterministic: %d \"%s\", then %d \"%s\"", ret, err,
		   ret2, err2);
	free_progs(b);
	if (ret) {
		check_refusal(text, ret, err, a);
		check_short_message(text, 0, ret, err);
		check_short_message(text, 1, ret, err);
		check_short_message(text, 12, ret, err);
	} else {
		for (i = 0; i < NR_VCPUS; i++)
			for (k = 0; k < a[i].nr; k++)
				check_op(text, &a[i].ops[k]);
		check_round_trip(a);
	}
	free_progs(a);
	free(text);
	return 0;
}
