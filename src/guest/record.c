// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The guest's record of what each 4K page it touched must contain, and the
 * data patterns it writes.
 *
 * A pattern is a page of 64-bit words derived from (pattern id, gfn, word
 * index), so a page that shows up at the wrong GPA, a stale page and a page
 * of the other side of a conversion are all told apart from the right one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ulib/strbuf.h"
#include "guest/guest_internal.h"

#define GREC_MID_SHIFT	18	/* gfn bits covered by one directory slot */

u32 grec_get(const struct grec *r, u64 gfn)
{
	u64 d = gfn >> GREC_MID_SHIFT;
	struct grec_mid *mid;
	struct grec_leaf *leaf;

	if (d >= r->nr_dir)
		return 0;
	mid = r->dir[d];
	if (!mid)
		return 0;
	leaf = mid->leaf[(gfn >> 9) & 511];
	if (!leaf)
		return 0;
	return leaf->e[gfn & 511];
}

void grec_set(struct grec *r, u64 gfn, u32 v)
{
	u64 d = gfn >> GREC_MID_SHIFT;
	struct grec_mid *mid;
	struct grec_leaf **lp;

	if (d >= r->nr_dir) {
		u64 n = r->nr_dir ? r->nr_dir : 1;

		if (!v)
			return;
		while (n <= d)
			n *= 2;
		r->dir = xrealloc(r->dir, n * sizeof(*r->dir));
		memset(r->dir + r->nr_dir, 0,
		       (n - r->nr_dir) * sizeof(*r->dir));
		r->nr_dir = n;
	}
	mid = r->dir[d];
	if (!mid) {
		if (!v)
			return;
		mid = xzalloc(sizeof(*mid));
		r->dir[d] = mid;
	}
	lp = &mid->leaf[(gfn >> 9) & 511];
	if (!*lp) {
		if (!v)
			return;
		*lp = xzalloc(sizeof(**lp));
		r->leaves++;
	}
	(*lp)->e[gfn & 511] = v;
}

void grec_free(struct grec *r)
{
	u64 d;
	int i;

	for (d = 0; d < r->nr_dir; d++) {
		if (!r->dir[d])
			continue;
		for (i = 0; i < 512; i++)
			free(r->dir[d]->leaf[i]);
		free(r->dir[d]);
	}
	free(r->dir);
	memset(r, 0, sizeof(*r));
}

u32 grec_after_accept(u32 old, bool already_accepted, bool in_unaccepted_ram)
{
	enum grec_state s = grec_state(old);

	if (!already_accepted)
		return grec_make(GREC_ZERO, 0);	/* the module zeroed it */
	/*
	 * Already accepted: nothing was zeroed. What the guest knows stays;
	 * a page it expected to be pending must still read zero (nobody but
	 * this vCPU writes its pages), else private data survived.
	 */
	switch (s) {
	case GREC_ZERO:
	case GREC_PRIV:
	case GREC_PRIV_UNKNOWN:
		return old;
	case GREC_NONE:
		if (!in_unaccepted_ram)
			return grec_make(GREC_PRIV_UNKNOWN, 0);
		return grec_make(GREC_ZERO, 0);
	default:
		return grec_make(GREC_ZERO, 0);
	}
}

bool grec_accept_loses_data(u32 old)
{
	enum grec_state s = grec_state(old);

	return s == GREC_PRIV || s == GREC_ZERO;
}

u32 grec_after_to_shared(u32 old)
{
	switch (grec_state(old)) {
	case GREC_SHARED:
	case GREC_SHARED_PAT:
		return old;	/* already shared: the conversion is a no-op */
	case GREC_PRIV:
		return grec_make(GREC_SHARED, grec_pattern(old));
	default:
		return grec_make(GREC_SHARED, 0);
	}
}

u32 grec_after_to_private(u32 old)
{
	switch (grec_state(old)) {
	case GREC_SHARED:
	case GREC_SHARED_PAT:
	case GREC_NONE:
		return grec_make(GREC_UNACCEPTED, 0);
	default:
		return old;	/* already private: the conversion is a no-op */
	}
}

u32 grec_after_write(u32 old, bool shared, u32 pattern)
{
	return grec_make(shared ? GREC_SHARED_PAT : GREC_PRIV, pattern);
}

/*
 * The pattern of page @gfn: one mix per page gives the page's seed, and
 * word i is seed + i * odd constant, rotated by the page's own amount, so
 * every word of every (page, pattern) differs while the loop over the
 * words is adds and shifts the compiler vectorises (a memory-copy's cost).
 */
#define GREC_STEP	0x9E3779B97F4A7C15ULL

static inline u64 grec_seed(u64 gfn, u32 pattern)
{
	return guest_mix64(((u64)pattern << 40) ^ gfn ^
			   0x5DEECE66DULL * pattern);
}

/* The hot loops: vectorised even at -O2 (GCC's default there is too shy). */
#pragma GCC push_options
#pragma GCC optimize("tree-vectorize", "vect-cost-model=cheap")

void grec_fill(void *page, u64 gfn, u32 pattern)
{
	u64 *w = page, seed = grec_seed(gfn, pattern), x = seed;
	unsigned int i, rot = 17 + (seed >> 59);

	for (i = 0; i < PAGE_SIZE / 8; i++) {
		w[i] = x ^ (x >> rot);
		x += GREC_STEP;
	}
}

/* Does @page hold the pattern of (@gfn, @pattern)? One pass, no copy. */
static bool grec_matches(const void *page, u64 gfn, u32 pattern)
{
	const u64 *w = page;
	u64 seed = grec_seed(gfn, pattern), x = seed, diff = 0;
	unsigned int i, rot = 17 + (seed >> 59);

	for (i = 0; i < PAGE_SIZE / 8; i++) {
		diff |= w[i] ^ x ^ (x >> rot);
		x += GREC_STEP;
	}
	return !diff;
}

static bool page_is_zero(const void *page)
{
	const u64 *w = page;
	unsigned int i;
	u64 acc = 0;

	for (i = 0; i < PAGE_SIZE / 8; i++)
		acc |= w[i];
	return !acc;
}

#pragma GCC pop_options

static void hex16(char *out, const u8 *p)
{
	int i;

	for (i = 0; i < 16; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

static int first_diff(const u8 *a, const u8 *b)
{
	int i;

	for (i = 0; i < (int)PAGE_SIZE; i++)
		if (a[i] != b[i])
			return i;
	return -1;
}

int grec_check(u32 v, u64 gfn, bool shared, const void *page, char *msg,
	       size_t msglen)
{
	u8 exp[PAGE_SIZE] __attribute__((aligned(8)));
	char eh[33], ah[33];
	const char *what;
	u32 pat = grec_pattern(v);
	int off;

	switch (grec_state(v)) {
	case GREC_ZERO:
		if (page_is_zero(page))
			return 0;
		memset(exp, 0, sizeof(exp));
		what = "zero (accepted, never written)";
		break;
	case GREC_PRIV:
	case GREC_SHARED_PAT:
		if (grec_matches(page, gfn, pat))
			return 0;
		grec_fill(exp, gfn, pat);
		what = grec_state(v) == GREC_PRIV ? "private pattern" :
						    "shared pattern";
		break;
	case GREC_SHARED:
		if (!pat || !grec_matches(page, gfn, pat))
			return 0;
		hex16(ah, page);
		snprintf(msg, msglen,
			 "GPA 0x%llx (%s): shared page shows the private data it had before the conversion (pattern %u): %s...",
			 (unsigned long long)(gfn << PAGE_SHIFT),
			 shared ? "shared alias" : "private", pat, ah);
		return -1;
	default:
		return 0;
	}
	off = first_diff(exp, page);
	hex16(eh, exp + ALIGN_DOWN(off, 16));
	hex16(ah, (const u8 *)page + ALIGN_DOWN(off, 16));
	if (grec_state(v) == GREC_ZERO)
		snprintf(msg, msglen,
			 "GPA 0x%llx (%s): expected %s, first difference at +0x%x: expected %s got %s",
			 (unsigned long long)(gfn << PAGE_SHIFT),
			 shared ? "shared alias" : "private", what, off, eh,
			 ah);
	else
		snprintf(msg, msglen,
			 "GPA 0x%llx (%s): expected %s %u, first difference at +0x%x: expected %s got %s",
			 (unsigned long long)(gfn << PAGE_SHIFT),
			 shared ? "shared alias" : "private", what, pat, off,
			 eh, ah);
	return -1;
}
