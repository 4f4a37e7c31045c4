// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Deterministic mutation testing of the TDVF parser: 20,000 mutations of the
 * built-in image and of Debian's OVMF.fd (byte flips in the GUID table,
 * descriptor and section entries, length and offset fields set to edge
 * values, truncations at either end, random bytes anywhere). Every result
 * must be either a valid parse whose sections all lie inside the image, or
 * one "TDVF: ..." message with nothing allocated. Meant to run under
 * ASan+UBSan, which catch any read outside the (exactly sized) buffers.
 */
#include <ctype.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tdxsim/tdvf.h"
#include "ulib/compiler.h"

#define OVMF_FD		"/usr/share/ovmf/OVMF.fd"
#define ITERATIONS	20000
#define MAX_FIELDS	64
#define MAX_KINDS	256

struct field {
	size_t off;
	int width;	/* 2, 4 or 8 bytes */
};

struct target {
	const char *name;
	u8 *buf;		/* exactly @size bytes, mutated in place */
	const u8 *pristine;
	size_t size;
	size_t region;		/* start of the metadata area */
	struct field fields[MAX_FIELDS];
	int nr_fields;
	u32 nr_sections;
};

struct stats {
	unsigned long valid, invalid;
	char *kinds[MAX_KINDS];
	unsigned long kind_count[MAX_KINDS];
	int nr_kinds;
};

static u64 rng_state;

static u64 rnd(void)
{
	u64 z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static u64 get(const u8 *p, int width)
{
	u64 v = 0;
	int i;

	for (i = width - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void put(u8 *p, int width, u64 v)
{
	int i;

	for (i = 0; i < width; i++)
		p[i] = (u8)(v >> (8 * i));
}

static void add_field(struct target *t, size_t off, int width)
{
	if (t->nr_fields < MAX_FIELDS && off + width <= t->size)
		t->fields[t->nr_fields++] = (struct field){ off, width };
}

/* Find every length/offset field of a valid image, to tweak later. */
static void target_init(struct target *t, const char *name, u8 *img,
			size_t size)
{
	struct tdxsim_tdvf_info info;
	size_t pos, tstart;
	u32 i, f;
	u16 tlen;
	u8 *copy;

	memset(t, 0, sizeof(*t));
	t->name = name;
	t->size = size;
	copy = malloc(size);
	assert_non_null(copy);
	memcpy(copy, img, size);
	t->pristine = copy;
	t->buf = img;
	assert_int_equal(tdxsim_tdvf_parse(img, size, &info, NULL, 0), 0);
	t->nr_sections = info.nr_sections;

	/* GUID table: total length, then each entry's length and data. */
	tlen = get(img + size - 0x32, 2);
	tstart = size - 0x20 - tlen;
	add_field(t, size - 0x32, 2);
	for (pos = size - 0x32; pos > tstart;) {
		u16 len = get(img + pos - 18, 2);

		add_field(t, pos - 18, 2);
		add_field(t, pos - len, 4);
		pos -= len;
	}
	add_field(t, size - 0x20, 4);	/* the td-shim legacy offset */
	/* Descriptor and sections (a few entries past the end, too). */
	for (f = 4; f < 16; f += 4)
		add_field(t, info.descriptor_offset + f, 4);
	for (i = 0; i < info.nr_sections + 1; i++) {
		size_t e = info.descriptor_offset + 16 + i * 32;

		add_field(t, e, 4);
		add_field(t, e + 4, 4);
		add_field(t, e + 8, 8);
		add_field(t, e + 16, 8);
		add_field(t, e + 24, 4);
		add_field(t, e + 28, 4);
	}
	t->region = min_t(size_t, tstart, info.descriptor_offset - 16);
	tdxsim_tdvf_info_free(&info);
}

/* An edge value for a field of @width bytes currently holding @cur. */
static u64 edge_value(struct target *t, int width, u64 cur)
{
	u64 mask = width == 8 ? ~0ULL : (1ULL << (8 * width)) - 1;
	static const u64 fixed[] = {
		0, 1, 2, 3, 4, 8, 15, 16, 17, 18, 19, 22, 32, 48, 0x7f, 0x80,
		0xff, 0x100, 0xfff, 0x1000, 0x1001, 0x7fff, 0x8000, 0xffff,
		0x10000, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ULL,
		1ULL << 51, 0xfffffffffffff000ULL, ~0ULL,
	};
	u64 v;

	switch (rnd() % 8) {
	case 0:
	case 1:
		v = fixed[rnd() % ARRAY_SIZE(fixed)];
		break;
	case 2:
		v = cur + 1 + rnd() % 4;
		break;
	case 3:
		v = cur - 1 - rnd() % 4;
		break;
	case 4:
		v = cur + ((rnd() % 16) - 8) * 0x1000;
		break;
	case 5:
		v = t->size + (rnd() % 64) - 32;
		break;
	case 6:
		v = cur ^ (1ULL << (rnd() % (8 * width)));
		break;
	default:
		v = rnd();
		break;
	}
	return v & mask;
}

static void tweak_field(struct target *t, u8 *base)
{
	const struct field *f = &t->fields[rnd() % t->nr_fields];

	put(base + f->off, f->width,
	    edge_value(t, f->width, get(base + f->off, f->width)));
}

/* A message's shape: the text with its numbers taken out. */
static void classify(struct stats *st, const char *err)
{
	char key[512];
	size_t k = 0;
	const char *s = err;
	int i;

	while (*s && k < sizeof(key) - 1) {
		if (isdigit((unsigned char)*s)) {
			while (isalnum((unsigned char)*s) || *s == '-')
				s++;
			key[k++] = '#';
			continue;
		}
		key[k++] = *s++;
	}
	key[k] = '\0';
	for (i = 0; i < st->nr_kinds; i++) {
		if (!strcmp(st->kinds[i], key)) {
			st->kind_count[i]++;
			return;
		}
	}
	if (st->nr_kinds < MAX_KINDS) {
		st->kinds[st->nr_kinds] = strdup(key);
		st->kind_count[st->nr_kinds++] = 1;
	}
}

/*
 * Parse @img with @flags and check the result is either sound or one clean
 * error.
 */
static void check_parse_flags(struct stats *st, const u8 *img, size_t size,
			      unsigned int flags)
{
	static u8 page[4096];
	struct tdxsim_tdvf_info info;
	char err[512];
	u32 i, j;
	u64 last;
	int ret;

	memset(err, 'x', sizeof(err));
	ret = tdxsim_tdvf_parse_flags(img, size, flags, &info, err, sizeof(err));
	if (ret) {
		if (ret != -EINVAL || strncmp(err, "TDVF: ", 6) ||
		    strlen(err) < 10 || !memchr(err, '\0', sizeof(err)))
			fail_msg("bad failure: ret %d, message \"%.200s\"", ret,
				 err);
		assert_null(info.sections);
		assert_int_equal(info.nr_sections, 0);
		st->invalid++;
		classify(st, err);
		return;
	}
	st->valid++;
	assert_string_equal(err, "");
	assert_true(info.nr_sections >= 2);
	assert_non_null(info.sections);
	assert_int_equal(info.image_size, size);
	assert_true((u64)info.descriptor_offset + info.length <= size);
	assert_int_equal(info.length, 16 + 32 * (u64)info.nr_sections);
	for (i = 0; i < info.nr_sections; i++) {
		const struct tdxsim_tdvf_section *s = &info.sections[i];
		u64 end = s->memory_address + s->memory_data_size;

		if (flags & TDXSIM_TDVF_PARSE_TDSHIM)
			assert_true(s->type < TDXSIM_TDVF_SECTION_NR);
		else
			assert_true(s->type <= TDXSIM_TDVF_SECTION_TEMP_MEM);
		assert_true(!s->raw_data_size ||
			    (u64)s->data_offset + s->raw_data_size <= size);
		if (!tdxsim_tdvf_section_is_mapped(s)) {
			assert_true(!s->memory_address &&
				    !s->memory_data_size);
			assert_int_equal(tdxsim_tdvf_section_page(&info, img, i, 0,
							   page), -EINVAL);
			continue;
		}
		assert_true(s->raw_data_size <= s->memory_data_size);
		assert_true(s->memory_data_size &&
			    !(s->memory_data_size & 0xfff) &&
			    !(s->memory_address & 0xfff));
		assert_true(end > s->memory_address && end <= TDXSIM_TDVF_GPA_LIMIT);
		for (j = 0; j < i; j++) {
			const struct tdxsim_tdvf_section *o = &info.sections[j];

			if (!tdxsim_tdvf_section_is_mapped(o))
				continue;
			assert_true(end <= o->memory_address ||
				    o->memory_address + o->memory_data_size <=
				    s->memory_address);
		}
		/* Reading the first and last page stays inside the image. */
		assert_int_equal(tdxsim_tdvf_section_page(&info, img, i, 0, page), 0);
		last = s->memory_data_size / 4096 - 1;
		assert_int_equal(tdxsim_tdvf_section_page(&info, img, i, last, page),
				 0);
	}
	tdxsim_tdvf_info_free(&info);
}

/* Parse as QEMU would and, on every other call, with td-shim types too. */
static void check_parse(struct stats *st, const u8 *img, size_t size)
{
	static unsigned long calls;

	check_parse_flags(st, img, size, 0);
	if (calls++ & 1)
		check_parse_flags(st, img, size, TDXSIM_TDVF_PARSE_TDSHIM);
}

static void restore_range(struct target *t, size_t off, size_t len)
{
	memcpy(t->buf + off, t->pristine + off, len);
}

static void fuzz_one(struct target *t, struct stats *st)
{
	unsigned int kind = rnd() % 100, n, i;
	size_t off, k;
	u8 *copy;

	if (kind < 35) {
		/* Byte flips in the metadata area. */
		n = 1 + rnd() % 4;
		for (i = 0; i < n; i++) {
			off = t->region + rnd() % (t->size - t->region);
			if (rnd() & 1)
				t->buf[off] ^= 1 << (rnd() % 8);
			else
				t->buf[off] = rnd();
		}
		check_parse(st, t->buf, t->size);
		restore_range(t, t->region, t->size - t->region);
	} else if (kind < 70) {
		/* One to three length/offset fields set to edge values. */
		n = 1 + rnd() % 3;
		for (i = 0; i < n; i++)
			tweak_field(t, t->buf);
		check_parse(st, t->buf, t->size);
		restore_range(t, t->region, t->size - t->region);
	} else if (kind < 85) {
		/* Cut off the start; the end stays the buffer's end. */
		if (rnd() & 1)
			k = rnd() % t->region;
		else
			k = t->size - 1 - rnd() % (t->size - t->region);
		if (rnd() & 1)
			tweak_field(t, t->buf);
		check_parse(st, t->buf + k, t->size - k);
		restore_range(t, t->region, t->size - t->region);
	} else if (kind < 88) {
		/* Cut off the end: an exactly sized copy of the start. */
		k = rnd() & 1 ? 1 + rnd() % t->size
			      : t->size - 1 - rnd() % 0x100;
		copy = malloc(k);
		assert_non_null(copy);
		memcpy(copy, t->buf, k);
		check_parse(st, copy, k);
		free(copy);
	} else {
		/* Random bytes anywhere, plus a field tweak. */
		size_t where[8];

		n = 1 + rnd() % 8;
		for (i = 0; i < n; i++) {
			where[i] = rnd() % t->size;
			t->buf[where[i]] = rnd();
		}
		tweak_field(t, t->buf);
		check_parse(st, t->buf, t->size);
		for (i = 0; i < n; i++)
			restore_range(t, where[i], 1);
		restore_range(t, t->region, t->size - t->region);
	}
}

static void fuzz_target(struct target *t, unsigned long iterations,
			struct stats *all)
{
	struct stats st = { 0 };
	unsigned long i;
	int k;

	for (i = 0; i < iterations; i++)
		fuzz_one(t, &st);
	/* The image is intact and still parses. */
	assert_memory_equal(t->buf, t->pristine, t->size);
	check_parse(&st, t->buf, t->size);

	printf("# %s: %lu mutations, %lu valid, %lu refused, %d kinds of message\n",
	       t->name, iterations, st.valid, st.invalid, st.nr_kinds);
	for (k = 0; k < st.nr_kinds; k++) {
		printf("#   %6lu  %.150s\n", st.kind_count[k], st.kinds[k]);
		classify(all, st.kinds[k]);
		free(st.kinds[k]);
	}
	/* Mutations both keep images valid and break them many ways. */
	assert_true(st.valid > iterations / 100);
	assert_true(st.invalid > iterations / 2);
	assert_true(st.nr_kinds >= 12);
}

static void test_fuzz(void **state)
{
	struct target t;
	struct stats all = { 0 };
	char err[512];
	size_t size;
	u8 *img;
	int k;

	rng_state = 0x7464787366757a7aULL;

	if (tdxsim_tdvf_load_file(OVMF_FD, &img, &size, err, sizeof(err))) {
		printf("# %s: %s; fuzzing the built-in image only\n",
		       OVMF_FD, err);
		assert_int_equal(tdxsim_tdvf_builtin_image(&img, &size), 0);
		target_init(&t, "built-in", img, size);
		fuzz_target(&t, ITERATIONS, &all);
	} else {
		target_init(&t, "OVMF.fd", img, size);
		fuzz_target(&t, ITERATIONS / 2, &all);
		free(t.buf);
		free((void *)t.pristine);
		assert_int_equal(tdxsim_tdvf_builtin_image(&img, &size), 0);
		target_init(&t, "built-in", img, size);
		fuzz_target(&t, ITERATIONS / 2, &all);
	}
	free(t.buf);
	free((void *)t.pristine);
	for (k = 0; k < all.nr_kinds; k++)
		free(all.kinds[k]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fuzz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
