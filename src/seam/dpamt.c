// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Dynamic PAMT (docs/upstream/series-dpamt.md §2; the module's
 * tdh_phymem_pamt_add.c / _remove.c and pamt_walk(), read, not copied).
 *
 * With DPAMT enabled (TDH.SYS.CONFIG bit 16: tdx_module_config.dynamic_pamt
 * or tdx_module_set_dynamic_pamt()) the module has no static 4K PAMT level:
 * a 2M region's 512 4K entries live in a "page pair", two 4K pages the
 * host gives with TDH.PHYMEM.PAMT.ADD and takes back with PAMT.REMOVE. A
 * leaf that gives the module a 4K page (MNG.CREATE, MNG.ADDCX, VP.CREATE,
 * VP.ADDCX, SEPT.ADD, PAGE.ADD, PAGE.AUG, DEMOTE's new S-EPT page) whose
 * region has no pair answers TDX_MISSING_PAMT_PAGE_PAIR; DEMOTE itself
 * takes the pair of the 2M page it splits (R12, R13) and PROMOTE gives it
 * back. A 2M mapping needs no pair. Pair pages are marked in the module's
 * bitmap (tdxsim: their PAMT entry says PT_PAMT); the host cannot give
 * them to a TD, and freeing one is caught like freeing any owned page.
 *
 * tdxsim keeps its flat 4K PAMT array either way (the pair's contents are
 * those entries); what DPAMT adds is the per-region pair, the checks, and
 * the locks: PAMT.ADD/REMOVE take the region's 2M entry exclusively and a
 * pair page's own region shared, every 4K walk takes its region shared,
 * all as try-locks answering TDX_OPERAND_BUSY.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "base/sched.h"
#include "seam/seam_internal.h"

/* A region's page pair (PFNs; 0: none). */
struct dpamt_node {
	u32 pair[2];
};

static struct dpamt_node *nodes;
static size_t nodes_len;
static u64 nr_pairs, nr_pairs_peak;

bool dpamt_enabled(void)
{
	return READ_ONCE(seam_cfg.dynamic_pamt);
}

static struct dpamt_node *node_of(u64 pfn)
{
	return &nodes[pfn >> 9];
}

bool dpamt_has_pair(u64 pfn)
{
	return nodes && READ_ONCE(node_of(pfn)->pair[0]) != 0;
}

/*
 * A leaf walks the new 4K page @pfn (its region locked shared by the
 * caller): without the region's pair, the walk ends at the 2M entry.
 */
u64 dpamt_check_4k(u64 pfn, u64 opid)
{
	if (!dpamt_enabled() || dpamt_has_pair(pfn))
		return TDX_SUCCESS;
	return tdx_err(TDX_MISSING_PAMT_PAGE_PAIR, opid);
}

/* Mark @pfn a PAMT page (or not) in the bitmap; not an owned TD page. */
static void mark_pair_page(u64 pfn, bool on)
{
	struct pamt_entry *e = pamt_entry(pfn);

	WRITE_ONCE(e->owner, 0);
	WRITE_ONCE(e->word, 0);
	__atomic_store_n(&e->state, 0, __ATOMIC_RELAXED);
	WRITE_ONCE(e->pt, on ? TDX_PT_PAMT : TDX_PT_NDA);
}

static void install(u64 pfn, u64 p0, u64 p1)
{
	struct dpamt_node *n = node_of(pfn);
	u64 now, peak;

	mark_pair_page(p0, true);
	mark_pair_page(p1, true);
	WRITE_ONCE(n->pair[0], (u32)p0);
	WRITE_ONCE(n->pair[1], (u32)p1);
	now = __atomic_add_fetch(&nr_pairs, 1, __ATOMIC_RELAXED);
	peak = __atomic_load_n(&nr_pairs_peak, __ATOMIC_RELAXED);
	while (now > peak &&
	       !__atomic_compare_exchange_n(&nr_pairs_peak, &peak, now, false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

static void uninstall(u64 pfn, u64 *p0, u64 *p1)
{
	struct dpamt_node *n = node_of(pfn);

	*p0 = READ_ONCE(n->pair[0]);
	*p1 = READ_ONCE(n->pair[1]);
	WRITE_ONCE(n->pair[0], 0);
	WRITE_ONCE(n->pair[1], 0);
	mark_pair_page(*p0, false);
	mark_pair_page(*p1, false);
	__atomic_sub_fetch(&nr_pairs, 1, __ATOMIC_RELAXED);
}

/*
 * Lock a pair page @pa given in @opid for a region at @region_pfn (whose
 * 2M entry the caller holds exclusively): the walk of its own region
 * shared, its 4K entry exclusive, and check it is free.
 */
static u64 lock_pair_page(u64 pa, u64 region_pfn, u64 opid)
{
	u64 pfn = pa >> PAGE_SHIFT;
	bool same = (pfn >> 9) == (region_pfn >> 9);

	if (!pamt_pa_valid(pa))
		return tdx_err(TDX_OPERAND_INVALID, opid);
	if (same) {
		if (sharex_hp_host_excl(&pamt_entry(pfn)->lock))
			return tdx_err(TDX_OPERAND_BUSY, opid);
	} else if (pamt_lock_4k(pfn, true)) {
		return tdx_err(TDX_OPERAND_BUSY, opid);
	}
	if (READ_ONCE(pamt_entry(pfn)->pt) != TDX_PT_NDA) {
		if (same)
			sharex_hp_release_excl(&pamt_entry(pfn)->lock);
		else
			pamt_unlock_4k(pfn, true);
		return tdx_err(TDX_PAGE_NOT_FREE, opid);
	}
	return TDX_SUCCESS;
}

static void unlock_pair_page(u64 pa, u64 region_pfn)
{
	u64 pfn = pa >> PAGE_SHIFT;

	if ((pfn >> 9) == (region_pfn >> 9))
		sharex_hp_release_excl(&pamt_entry(pfn)->lock);
	else
		pamt_unlock_4k(pfn, true);
}

u64 dpamt_take_pair(u64 region_pfn, u64 pa0, u64 opid0, u64 pa1, u64 opid1)
{
	u64 err;

	if (!pa0 || !pa1)
		return tdx_err(TDX_MISSING_PAMT_PAGE_PAIR, pa0 ? opid1 : opid0);
	if (pa0 == pa1)
		return tdx_err(TDX_OPERAND_INVALID, opid1);
	err = lock_pair_page(pa0, region_pfn, opid0);
	if (err)
		return err;
	err = lock_pair_page(pa1, region_pfn, opid1);
	if (err) {
		unlock_pair_page(pa0, region_pfn);
		return err;
	}
	return TDX_SUCCESS;
}

void dpamt_commit_pair(u64 region_pfn, u64 pa0, u64 pa1)
{
	install(region_pfn, pa0 >> PAGE_SHIFT, pa1 >> PAGE_SHIFT);
	unlock_pair_page(pa1, region_pfn);
	unlock_pair_page(pa0, region_pfn);
}

void dpamt_release_pair(u64 region_pfn, u64 pa0, u64 pa1)
{
	unlock_pair_page(pa1, region_pfn);
	unlock_pair_page(pa0, region_pfn);
}

void dpamt_drop_pair(u64 region_pfn, u64 *pa0, u64 *pa1)
{
	u64 p0, p1;

	uninstall(region_pfn, &p0, &p1);
	*pa0 = p0 << PAGE_SHIFT;
	*pa1 = p1 << PAGE_SHIFT;
}

/* RCX of PAMT.ADD/REMOVE: a 2M-aligned HPA with level 1 in bits 2:0. */
static u64 region_operand(u64 rcx, u64 *pfn)
{
	u64 pa = rcx & ~7ULL;

	if ((rcx & 7) != 1 || !IS_ALIGNED(pa, SZ_2M) || !pa ||
	    (pa >> PAGE_SHIFT) + 512 > pamt_nr_pfns)
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	*pfn = pa >> PAGE_SHIFT;
	return TDX_SUCCESS;
}

/* Is the region mapped as one 2M (or larger) guest page? */
static bool region_is_leaf(u64 pfn)
{
	struct pamt_entry *e = pamt_entry(pfn);

	return READ_ONCE(e->pt) == TDX_PT_REG && pamt_size(e) >= 1;
}

u64 seam_phymem_pamt_add(struct seam_call *c)
{
	struct tdx_module_args *a = c->args;
	u64 pfn, err;

	if (!dpamt_enabled())
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RAX);
	err = region_operand(a->rcx, &pfn);
	if (err)
		return err;
	if (sharex_hp_host_excl(pamt_block_lock(pfn)))
		return tdx_err(TDX_OPERAND_BUSY, TDX_OPERAND_ID_RCX);
	if (dpamt_has_pair(pfn) || region_is_leaf(pfn)) {
		err = tdx_err(TDX_HPA_RANGE_NOT_FREE, TDX_OPERAND_ID_RCX);
		goto unlock;
	}
	err = dpamt_take_pair(pfn, a->rdx, TDX_OPERAND_ID_RDX, a->r8,
			      TDX_OPERAND_ID_R8);
	if (err)
		goto unlock;
	sched_point_named("tdh_phymem_pamt_add");
	dpamt_commit_pair(pfn, a->rdx, a->r8);
unlock:
	sharex_hp_release_excl(pamt_block_lock(pfn));
	return err;
}

u64 seam_phymem_pamt_remove(struct seam_call *c)
{
	struct tdx_module_args *a = c->args;
	u64 pfn, err, i;

	if (!dpamt_enabled())
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RAX);
	err = region_operand(a->rcx, &pfn);
	if (err)
		return err;
	a->rdx = a->r8 = 0;
	if (sharex_hp_host_excl(pamt_block_lock(pfn)))
		return tdx_err(TDX_OPERAND_BUSY, TDX_OPERAND_ID_RCX);
	if (!dpamt_has_pair(pfn)) {
		err = tdx_err(TDX_NO_PAMT_PAGE_PAIR, TDX_OPERAND_ID_RCX);
		goto unlock;
	}
	/* Every 4K entry the pair holds must be free (PAMT pages are not). */
	for (i = 0; i < 512; i++) {
		struct pamt_entry *e = pamt_entry(pfn + i);
		u8 pt = READ_ONCE(e->pt);

		if (pt == TDX_PT_NDA || pt == TDX_PT_PAMT ||
		    (pt == TDX_PT_REG && pamt_size(e) >= 1))
			continue;
		err = tdx_err(TDX_PAMT_PAGE_NOT_EMPTY, i / 256);
		goto unlock;
	}
	sched_point_named("tdh_phymem_pamt_remove");
	dpamt_drop_pair(pfn, &a->rdx, &a->r8);
unlock:
	sharex_hp_release_excl(pamt_block_lock(pfn));
	return err;
}

/* ---- accounting --------------------------------------------------------- */

void tdx_module_pamt_bytes(struct tdx_pamt_bytes *b)
{
	u64 pages = pamt_nr_pfns, regions = pages >> 9, gigs = pages >> 18;
	u64 upper = (regions + gigs) * sizeof(struct pamt_entry);

	memset(b, 0, sizeof(*b));
	b->covered = pages << PAGE_SHIFT;
	b->static_pamt = pages * sizeof(struct pamt_entry) + upper;
	b->pairs = __atomic_load_n(&nr_pairs, __ATOMIC_RELAXED);
	b->pairs_peak = __atomic_load_n(&nr_pairs_peak, __ATOMIC_RELAXED);
	b->dynamic = dpamt_enabled();
	b->bitmap = DIV_ROUND_UP(pages, 8);
	b->dynamic_pamt = upper + b->bitmap + b->pairs * 2 * PAGE_SIZE;
}

u64 tdx_module_td_pamt_pairs(u64 tdr_pa)
{
	u64 r, i, n = 0, owner = tdr_pa >> PAGE_SHIFT;

	/* No pair anywhere (dynamic PAMT off): nothing to scan for. */
	if (!nodes || !__atomic_load_n(&nr_pairs, __ATOMIC_RELAXED))
		return 0;
	for (r = 0; r < (pamt_nr_pfns >> 9); r++) {
		if (!READ_ONCE(nodes[r].pair[0]))
			continue;
		for (i = 0; i < 512; i++) {
			struct pamt_entry *e = pamt_entry((r << 9) + i);
			u8 pt = READ_ONCE(e->pt);

			if (pt != TDX_PT_NDA && pt != TDX_PT_PAMT &&
			    READ_ONCE(e->owner) == owner) {
				n++;
				break;
			}
		}
	}
	return n;
}

/* ---- bring-up ----------------------------------------------------------- */

/* Forget every pair (the mode changes only while no TD holds a page). */
static void dpamt_reset(void)
{
	u64 r;

	if (!nodes)
		return;
	for (r = 0; r < (pamt_nr_pfns >> 9); r++) {
		u64 p0, p1;

		if (READ_ONCE(nodes[r].pair[0]))
			uninstall(r << 9, &p0, &p1);
	}
}

int tdx_module_set_dynamic_pamt(bool on)
{
	if (!tdx_module_ready())
		return -ENODEV;
	if (dpamt_enabled() == on)
		return 0;
	if (tdx_module_pages_owned_total())
		return -EBUSY;
	dpamt_reset();
	WRITE_ONCE(seam_cfg.dynamic_pamt, on);
	return 0;
}

bool tdx_module_dynamic_pamt(void)
{
	return tdx_module_ready() && dpamt_enabled();
}

int dpamt_init(void)
{
	nodes_len = (pamt_nr_pfns >> 9) * sizeof(*nodes);
	nodes = mmap(NULL, nodes_len ? nodes_len : 1, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (nodes == MAP_FAILED) {
		nodes = NULL;
		return -ENOMEM;
	}
	nr_pairs = nr_pairs_peak = 0;
	return 0;
}

void dpamt_exit(void)
{
	if (nodes)
		munmap(nodes, nodes_len ? nodes_len : 1);
	nodes = NULL;
	nr_pairs = 0;
}
