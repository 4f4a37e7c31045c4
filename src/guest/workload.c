// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Built-in workloads: each one generates, per vCPU, the program that vCPU
 * runs, from the RAM map, the vCPU's index and the seed.
 *
 * RAM layout: the unaccepted RAM ranges, in GPA order. The first
 * @shared_regions 2M-aligned 2M blocks are accepted by every vCPU
 * concurrently; each vCPU then writes only its share of their pages (page i
 * belongs to vCPU i % nr_vcpus). The rest is split among the vCPUs by
 * index into disjoint parts of equal size (2M multiples where the RAM
 * allows), so each vCPU's record is private to it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ulib/strbuf.h"
#include "guest/guest_internal.h"

static const struct tdxsim_guest_workload workloads[GW_NR] = {
	[GW_LAZY_ACCEPT] = { "lazy-accept",
		"accept RAM in chunks as it is used, write and verify each (a Linux guest)" },
	[GW_EAGER_ACCEPT] = { "eager-accept",
		"accept all RAM first, then write and verify a sample (firmware that accepts everything)" },
	[GW_CONVERT_CHURN] = { "convert-churn",
		"private/shared conversions with MapGPA, re-accept and data checks on both sides" },
	[GW_RANDOM] = { "random",
		"seeded mix of accepts (4K inside 2M too), writes, reads and conversions" },
	[GW_LINUX_BOOT] = { "linux-boot",
		"accept all RAM as a booting Linux does: each 2M unit of the working set (--working-set, 2G) on first use, written and verified; the rest in the background, in bitmap order" },
};

const struct tdxsim_guest_workload *tdxsim_guest_workloads(size_t *n)
{
	*n = GW_NR;
	return workloads;
}

int guest_workload_lookup(const char *name)
{
	int i;

	if (!name)
		return -1;
	for (i = 0; i < GW_NR; i++)
		if (!strcmp(name, workloads[i].name))
			return i;
	return -1;
}

/* ---------------------------------------------------------------------- */
/* Layout.                                                                 */
/* ---------------------------------------------------------------------- */

#define MAX_SEGS	(TDXSIM_GUEST_MAX_RANGES + GW_MAX_SHARED + 2)

/* The unaccepted RAM as sorted segments. */
static unsigned int unaccepted_segs(const struct tdxsim_ram_range *ranges,
				    unsigned int nr, struct gw_seg *s)
{
	unsigned int i, j, n = 0;

	for (i = 0; i < nr; i++) {
		u64 b = ALIGN(ranges[i].base, PAGE_SIZE);
		u64 e = ALIGN_DOWN(ranges[i].base + ranges[i].size, PAGE_SIZE);

		if (ranges[i].type != TDXSIM_RAM_UNACCEPTED || e <= b)
			continue;
		s[n].base = b;
		s[n].size = e - b;
		for (j = n; j > 0 && s[j - 1].base > s[j].base; j--) {
			struct gw_seg t = s[j];

			s[j] = s[j - 1];
			s[j - 1] = t;
		}
		n++;
	}
	return n;
}

/*
 * The GPA at which @amount bytes of the segments lie behind, rounded up to
 * 2M when that stays inside the same segment.
 */
static u64 split_gpa(const struct gw_seg *segs, unsigned int n, u64 amount)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		u64 end = segs[i].base + segs[i].size, g;

		if (amount >= segs[i].size) {
			amount -= segs[i].size;
			continue;
		}
		g = segs[i].base + ALIGN_DOWN(amount, PAGE_SIZE);
		return ALIGN(g, SZ_2M) <= end ? ALIGN(g, SZ_2M) : end;
	}
	return n ? segs[n - 1].base + segs[n - 1].size : 0;
}

int guest_layout(const struct tdxsim_ram_range *ranges, unsigned int nr_ranges,
		 unsigned int shared_regions, unsigned int nr_vcpus,
		 unsigned int vcpu, u64 *shared_base, unsigned int *nr_shared,
		 struct gw_seg *part, unsigned int max_part)
{
	struct gw_seg segs[MAX_SEGS], rest[MAX_SEGS];
	unsigned int nseg, nrest = 0, ns = 0, i, np = 0;
	u64 total = 0, lo, hi;

	nseg = unaccepted_segs(ranges, nr_ranges, segs);

	/* Take the shared regions, splitting the segments around them. */
	for (i = 0; i < nseg; i++) {
		u64 b = segs[i].base, e = b + segs[i].size;

		while (ns < shared_regions) {
			u64 r = ALIGN(b, SZ_2M);

			if (r + SZ_2M > e)
				break;
			if (r > b && nrest < MAX_SEGS) {
				rest[nrest].base = b;
				rest[nrest++].size = r - b;
			}
			shared_base[ns++] = r;
			b = r + SZ_2M;
		}
		if (e > b && nrest < MAX_SEGS) {
			rest[nrest].base = b;
			rest[nrest++].size = e - b;
		}
	}
	*nr_shared = ns;

	for (i = 0; i < nrest; i++)
		total += rest[i].size;

	/*
	 * Split at GPAs, not amounts: vCPU k starts at the GPA reached after
	 * k/n of the memory, rounded up to 2M where its segment allows it, so
	 * every vCPU's part can be accepted in whole 2M pages.
	 */
	lo = vcpu ? split_gpa(rest, nrest, total / nr_vcpus * vcpu) : 0;
	hi = vcpu == nr_vcpus - 1 ? ~0ULL :
	     split_gpa(rest, nrest, total / nr_vcpus * (vcpu + 1));
	for (i = 0; i < nrest; i++) {
		u64 b = max(rest[i].base, lo);
		u64 e = min(rest[i].base + rest[i].size, hi);

		if (b >= e)
			continue;
		if (np == max_part)
			return -E2BIG;
		part[np].base = b;
		part[np++].size = e - b;
	}
	return np;
}

/* ---------------------------------------------------------------------- */
/* Generators.                                                             */
/* ---------------------------------------------------------------------- */

struct gen {
	const struct gw_params *p;
	struct gprog *prog;
	struct grng rng;
	struct gw_seg part[MAX_SEGS];
	unsigned int nr_part;
	u64 shared[GW_MAX_SHARED];
	unsigned int nr_shared;
	u64 part_pages;
};

static u32 new_pattern(struct gen *g)
{
	return (u32)grng_below(&g->rng, GREC_PATTERN_MAX) + 1;
}

static void emit(struct gen *g, enum gop_kind kind, u64 gpa, u64 size,
		 bool shared, u32 pattern, enum tdxsim_accept_policy pol)
{
	struct gop o = {
		.kind = kind,
		.gpa = gpa,
		.size = size,
		.shared = shared,
		.pattern = pattern,
		.policy = pol,
	};

	gprog_add(g->prog, &o);
}

static void emit_accept(struct gen *g, u64 gpa, u64 size)
{
	emit(g, GOP_ACCEPT, gpa, size, false, 0, g->p->policy);
}

/* The @n-th page (0-based) of the vCPU's part. */
static u64 part_page(struct gen *g, u64 n)
{
	unsigned int i;

	for (i = 0; i < g->nr_part; i++) {
		u64 pages = g->part[i].size >> PAGE_SHIFT;

		if (n < pages)
			return g->part[i].base + (n << PAGE_SHIFT);
		n -= pages;
	}
	return g->part[0].base;
}

/*
 * Shared regions: every vCPU accepts each region whole, then writes and
 * verifies the pages that are its own.
 */
static void gen_shared_regions(struct gen *g)
{
	unsigned int r, n = g->p->nr_vcpus;
	u64 pg;

	for (r = 0; r < g->nr_shared; r++)
		emit_accept(g, g->shared[r], SZ_2M);
	for (r = 0; r < g->nr_shared; r++) {
		u32 pat = new_pattern(g);

		for (pg = g->p->vcpu; pg < 512; pg += n)
			emit(g, GOP_WRITE, g->shared[r] + (pg << PAGE_SHIFT),
			     PAGE_SIZE, false, pat, 0);
		for (pg = g->p->vcpu; pg < 512; pg += n)
			emit(g, GOP_READ, g->shared[r] + (pg << PAGE_SHIFT),
			     PAGE_SIZE, false, 0, 0);
	}
}

/* Re-read @count pages picked at random among the vCPU's part. */
static void gen_reverify(struct gen *g, unsigned int count)
{
	unsigned int i;

	for (i = 0; i < count && g->part_pages; i++)
		emit(g, GOP_READ,
		     part_page(g, grng_below(&g->rng, g->part_pages)),
		     PAGE_SIZE, false, 0, 0);
}

static void gen_lazy(struct gen *g)
{
	u64 chunk = g->p->chunk_size;
	unsigned int i;

	gen_shared_regions(g);
	for (i = 0; i < g->nr_part; i++) {
		u64 b = g->part[i].base, e = b + g->part[i].size;

		while (b < e) {
			/* Chunks end on chunk-aligned GPAs, like allocations. */
			u64 n = min(ALIGN_DOWN(b, chunk) + chunk, e);
			u32 pat = new_pattern(g);

			emit_accept(g, b, n - b);
			/* Freshly accepted memory reads zero. */
			emit(g, GOP_READ, b, n - b, false, 0, 0);
			emit(g, GOP_WRITE, b, n - b, false, pat, 0);
			emit(g, GOP_READ, b, n - b, false, 0, 0);
			b = n;
		}
	}
	gen_reverify(g, g->p->nr_ops ? g->p->nr_ops : 64);
}

static void gen_eager(struct gen *g)
{
	unsigned int i, count = g->p->nr_ops ? g->p->nr_ops : 64;
	u64 *pages;

	gen_shared_regions(g);
	for (i = 0; i < g->nr_part; i++)
		emit_accept(g, g->part[i].base, g->part[i].size);
	if (!g->part_pages)
		return;
	pages = xmalloc(count * sizeof(*pages));
	for (i = 0; i < count; i++) {
		pages[i] = part_page(g, grng_below(&g->rng, g->part_pages));
		emit(g, GOP_WRITE, pages[i], PAGE_SIZE, false,
		     new_pattern(g), 0);
	}
	for (i = 0; i < count; i++)
		emit(g, GOP_READ, pages[i], PAGE_SIZE, false, 0, 0);
	free(pages);
}

/* 2M blocks entirely inside the part (at most @max), into @blk. */
static unsigned int part_blocks(struct gen *g, u64 *blk, unsigned int max)
{
	unsigned int i, n = 0;

	for (i = 0; i < g->nr_part && n < max; i++) {
		u64 b = ALIGN(g->part[i].base, SZ_2M);
		u64 e = g->part[i].base + g->part[i].size;

		for (; b + SZ_2M <= e && n < max; b += SZ_2M)
			blk[n++] = b;
	}
	return n;
}

/* A sub-range of the 2M block at @blk: whole, one page, or a short run. */
static void pick_subrange(struct gen *g, u64 blk, u64 *gpa, u64 *size)
{
	u64 first, pages;

	switch (grng_below(&g->rng, 3)) {
	case 0:
		*gpa = blk;
		*size = SZ_2M;
		return;
	case 1:
		pages = 1;
		break;
	default:
		pages = 2 + grng_below(&g->rng, 63);
		break;
	}
	first = grng_below(&g->rng, 512 - pages + 1);
	*gpa = blk + (first << PAGE_SHIFT);
	*size = pages << PAGE_SHIFT;
}

#define CHURN_MAX_BLOCKS	64

static void gen_churn(struct gen *g)
{
	unsigned int rounds = g->p->nr_ops ? g->p->nr_ops : 16;
	u64 blk[CHURN_MAX_BLOCKS];
	bool accepted[CHURN_MAX_BLOCKS] = { false };
	unsigned int nblk, r;

	gen_shared_regions(g);
	nblk = part_blocks(g, blk, CHURN_MAX_BLOCKS);
	for (r = 0; r < rounds && nblk; r++) {
		unsigned int b = grng_below(&g->rng, nblk);
		u64 gpa, size;

		pick_subrange(g, blk[b], &gpa, &size);
		if (!accepted[b]) {
			emit_accept(g, blk[b], SZ_2M);
			accepted[b] = true;
		}
		emit(g, GOP_WRITE, gpa, size, false, new_pattern(g), 0);
		emit(g, GOP_READ, gpa, size, false, 0, 0);
		emit(g, GOP_MAPGPA, gpa, size, true, 0, 0);
		/* The shared side must not show the private data. */
		emit(g, GOP_READ, gpa, size, true, 0, 0);
		emit(g, GOP_WRITE, gpa, size, true, new_pattern(g), 0);
		emit(g, GOP_READ, gpa, size, true, 0, 0);
		emit(g, GOP_MAPGPA, gpa, size, false, 0, 0);
		emit_accept(g, gpa, size);
		/* Re-accepted: zero, whatever either side held before. */
		emit(g, GOP_READ, gpa, size, false, 0, 0);
		emit(g, GOP_WRITE, gpa, size, false, new_pattern(g), 0);
		/* The whole block: the neighbours survived any split. */
		emit(g, GOP_READ, blk[b], SZ_2M, false, 0, 0);
	}
}

/* random: a model of each page's state keeps every operation legal. */
enum rstate { R_PENDING, R_ACCEPTED, R_SHARED };

#define RANDOM_MAX_BLOCKS	16

static void gen_random(struct gen *g)
{
	unsigned int nops = g->p->nr_ops ? g->p->nr_ops : 200;
	u64 blk[RANDOM_MAX_BLOCKS];
	u8 (*st)[512];
	unsigned int nblk, i;

	gen_shared_regions(g);
	nblk = part_blocks(g, blk, RANDOM_MAX_BLOCKS);
	if (!nblk)
		return;
	st = xzalloc(nblk * sizeof(*st));	/* all R_PENDING */
	for (i = 0; i < nops; i++) {
		unsigned int b = grng_below(&g->rng, nblk);
		unsigned int first, pages, k, nc = 0, mask = 0;
		enum gop_kind cand[8];
		bool cshared[8];
		u64 gpa, size;

		pick_subrange(g, blk[b], &gpa, &size);
		first = (gpa - blk[b]) >> PAGE_SHIFT;
		pages = size >> PAGE_SHIFT;
		for (k = 0; k < pages; k++)
			mask |= 1U << st[b][first + k];

		if (!(mask & (1U << R_SHARED))) {
			cand[nc] = GOP_ACCEPT;
			cshared[nc++] = false;
		}
		if (mask == 1U << R_ACCEPTED) {
			cand[nc] = GOP_WRITE;
			cshared[nc++] = false;
			cand[nc] = GOP_READ;
			cshared[nc++] = false;
		}
		if (mask == 1U << R_SHARED) {
			cand[nc] = GOP_WRITE;
			cshared[nc++] = true;
			cand[nc] = GOP_READ;
			cshared[nc++] = true;
		}
		cand[nc] = GOP_MAPGPA;
		cshared[nc++] = true;
		cand[nc] = GOP_MAPGPA;
		cshared[nc++] = false;

		k = grng_below(&g->rng, nc);
		switch (cand[k]) {
		case GOP_ACCEPT:
			/* Mix the policies: 4K accepts inside 2M ranges too. */
			emit(g, GOP_ACCEPT, gpa, size, false, 0,
			     grng_below(&g->rng, 2) ? TDXSIM_ACCEPT_4K :
						     TDXSIM_ACCEPT_2M_FALLBACK);
			for (k = 0; k < pages; k++)
				st[b][first + k] = R_ACCEPTED;
			break;
		case GOP_WRITE:
			emit(g, GOP_WRITE, gpa, size, cshared[k],
			     new_pattern(g), 0);
			break;
		case GOP_READ:
			emit(g, GOP_READ, gpa, size, cshared[k], 0, 0);
			break;
		default: {
			bool to_shared = cshared[k];

			emit(g, GOP_MAPGPA, gpa, size, to_shared, 0, 0);
			for (k = 0; k < pages; k++) {
				u8 *s = &st[b][first + k];

				if (to_shared)
					*s = R_SHARED;
				else if (*s == R_SHARED)
					*s = R_PENDING;
			}
			break;
		}
		}
	}
	/* Verify every accepted run at the end. */
	for (i = 0; i < nblk; i++) {
		unsigned int k = 0;

		while (k < 512) {
			unsigned int e = k;

			if (st[i][k] != R_ACCEPTED) {
				k++;
				continue;
			}
			while (e < 512 && st[i][e] == R_ACCEPTED)
				e++;
			emit(g, GOP_READ, blk[i] + ((u64)k << PAGE_SHIFT),
			     (u64)(e - k) << PAGE_SHIFT, false, 0, 0);
			k = e;
		}
	}
	free(st);
}


/*
 * linux-boot: all of RAM gets accepted the way a Linux guest with lazy
 * acceptance does it. The kernel keeps a bitmap of unaccepted 2M units and
 * accepts a unit when memory in it is first allocated (accept_memory():
 * 2M where the unit is whole and aligned, 4K for the ragged edges and
 * when the host maps only 4K), so the working set, the memory the kernel
 * and its first programs touch, is accepted unit by unit in GPA order,
 * each unit written and verified right after it is accepted. The rest is
 * accepted in the background, also in bitmap order, spread over the
 * vCPUs; vCPU 0 (the one that touches the working set) takes a share
 * smaller by the size of the working set.
 */
#define LINUX_BOOT_WORKING_SET	(2ULL * SZ_1G)

static void gen_linux_boot(struct gen *g)
{
	struct gw_seg segs[MAX_SEGS], rest[MAX_SEGS];
	unsigned int nseg, nrest = 0, i, n = g->p->nr_vcpus, k = g->p->vcpu;
	u64 total = 0, ws, left, R, a0, lo, hi, b0, b1;

	nseg = unaccepted_segs(g->p->ranges, g->p->nr_ranges, segs);
	for (i = 0; i < nseg; i++)
		total += segs[i].size;
	ws = g->p->working_set ? g->p->working_set : LINUX_BOOT_WORKING_SET;
	ws = min(ALIGN(ws, (u64)PAGE_SIZE), total);

	/* The working set: the first @ws bytes, 2M unit by 2M unit. */
	left = ws;
	for (i = 0; i < nseg; i++) {
		u64 b = segs[i].base, e = b + segs[i].size;

		while (b < e && left) {
			/* The whole unit is accepted on its first use. */
			u64 unit_end = min(ALIGN_DOWN(b, SZ_2M) + SZ_2M, e);
			u64 u = min(unit_end, b + left);

			if (k == 0) {
				emit_accept(g, b, unit_end - b);
				emit(g, GOP_WRITE, b, u - b, false,
				     new_pattern(g), 0);
				emit(g, GOP_READ, b, u - b, false, 0, 0);
			}
			left -= u - b;
			b = unit_end;
		}
		if (b < e && nrest < MAX_SEGS) {
			rest[nrest].base = b;
			rest[nrest++].size = e - b;
		}
	}

	/* The background: vCPU 0 takes its share less the working set. */
	R = total - ws;
	if (!R)
		return;
	a0 = n == 1 ? R : (R / n > ws ? R / n - ws : 0);
	if (k == 0) {
		b0 = 0;
		b1 = a0;
	} else {
		b0 = a0 + (R - a0) / (n - 1) * (k - 1);
		b1 = a0 + (R - a0) / (n - 1) * k;
	}
	lo = b0 ? split_gpa(rest, nrest, b0) : 0;
	hi = k == n - 1 || (k == 0 && n == 1) ? ~0ULL :
	     split_gpa(rest, nrest, b1);
	for (i = 0; i < nrest; i++) {
		u64 b = max(rest[i].base, lo);
		u64 e = min(rest[i].base + rest[i].size, hi);

		if (b < e)
			emit_accept(g, b, e - b);
	}
}

int guest_workload_generate(const struct gw_params *p, struct gprog *prog,
			    char *err, size_t errlen)
{
	struct gen *g = xzalloc(sizeof(*g));
	unsigned int i, ns = min_t(unsigned int, p->shared_regions,
				     GW_MAX_SHARED);
	int n;

	g->p = p;
	g->prog = prog;
	g->rng.s = guest_mix64(p->seed) ^ guest_mix64(p->vcpu + 0x1000);
	n = guest_layout(p->ranges, p->nr_ranges, ns, p->nr_vcpus, p->vcpu,
			 g->shared, &g->nr_shared, g->part, MAX_SEGS);
	if (n < 0) {
		snprintf(err, errlen, "RAM map too fragmented");
		free(g);
		return -EINVAL;
	}
	g->nr_part = n;
	for (i = 0; i < g->nr_part; i++)
		g->part_pages += g->part[i].size >> PAGE_SHIFT;
	if (p->workload == GW_LINUX_BOOT) {
		/* Its own layout: a vCPU may have no background share. */
		gen_linux_boot(g);
		free(g);
		return 0;
	}
	if (!g->part_pages && !g->nr_shared) {
		snprintf(err, errlen,
			 "vCPU %u has no unaccepted RAM to work on (%u range%s given)",
			 p->vcpu, p->nr_ranges, p->nr_ranges == 1 ? "" : "s");
		free(g);
		return -EINVAL;
	}
	switch (p->workload) {
	case GW_LAZY_ACCEPT:
		gen_lazy(g);
		break;
	case GW_EAGER_ACCEPT:
		gen_eager(g);
		break;
	case GW_CONVERT_CHURN:
		gen_churn(g);
		break;
	default:
		gen_random(g);
		break;
	}
	free(g);
	return 0;
}
