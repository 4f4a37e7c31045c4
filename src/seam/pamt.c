// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * PAMT: the module's metadata for every 4K page of host memory (reference
 * tdx-module.md §12): type, size, owner TDR, bepoch, plus tdxsim's words
 * (the GPA a guest or S-EPT page serves, or the object of a TDR/TDVPR page),
 * packed into 16 bytes per page as the hardware's (seam_internal.h).
 *
 * One flat array indexed by PFN, sized from base's PFN space and mapped
 * MAP_NORESERVE, so only entries of touched pages cost memory; it is
 * registered with base, which counts it as per-page metadata and calls
 * pamt_drop() when a wholly free 2M block goes back to the OS, so a torn
 * down TD leaves no PAMT behind. Each entry has the page's sharex_hp lock;
 * a second array has one lock per 2M block (reader-biased, locks.c: every
 * 4K lock takes it shared). Locking one 4K page takes its block shared, then the
 * page; locking a 2M range takes the block exclusively, so a 2M operation
 * contends with every 4K operation inside that block, as the module's
 * three-level PAMT walk does (the 1G level is folded into 512 2M blocks).
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "base/log.h"
#include "base/page_alloc.h"
#include "base/trace.h"
#include "seam/seam_internal.h"

u64 pamt_nr_pfns;
static struct pamt_entry *pamt;
static size_t pamt_len;
static struct sharex_hp_lock *pamt_2m;	/* the 2M blocks' locks */
static size_t pamt_2m_len;
static u64 pamt_violation_count;

struct pamt_entry *pamt_entry(u64 pfn)
{
	if (pfn >= pamt_nr_pfns)
		return NULL;
	return &pamt[pfn];
}

bool pamt_pa_valid(u64 pa)
{
	u64 pfn = pa >> PAGE_SHIFT;

	return (pa & (PAGE_SIZE - 1)) == 0 && pfn && pfn < pamt_nr_pfns;
}

static struct sharex_hp_lock *blk_of(u64 pfn)
{
	return &pamt_2m[pfn >> 9];
}

struct sharex_hp_lock *pamt_block_lock(u64 pfn)
{
	return blk_of(pfn);
}

enum lock_ret pamt_lock_4k(u64 pfn, bool excl)
{
	struct sharex_hp_lock *b = blk_of(pfn);
	struct pamt_entry *e = &pamt[pfn];
	enum lock_ret r;

	r = sharex_hp_host_shared(b);
	if (r)
		return r;
	r = excl ? sharex_hp_host_excl(&e->lock) :
		   sharex_hp_host_shared(&e->lock);
	if (r)
		sharex_hp_release_shared(b);
	return r;
}

void pamt_unlock_4k(u64 pfn, bool excl)
{
	if (excl)
		sharex_hp_release_excl(&pamt[pfn].lock);
	else
		sharex_hp_release_shared(&pamt[pfn].lock);
	sharex_hp_release_shared(blk_of(pfn));
}

static u64 range_blocks(int level)
{
	return level >= 2 ? 512 : 1;
}

enum lock_ret pamt_lock_range(u64 pfn, int level)
{
	u64 i, n = range_blocks(level);

	if (!level)
		return pamt_lock_4k(pfn, true);
	for (i = 0; i < n; i++) {
		if (sharex_hp_host_excl(blk_of(pfn + i * 512))) {
			while (i--)
				sharex_hp_release_excl(blk_of(pfn + i * 512));
			return LOCK_BUSY;
		}
	}
	return LOCK_OK;
}

void pamt_unlock_range(u64 pfn, int level)
{
	u64 i, n = range_blocks(level);

	if (!level) {
		pamt_unlock_4k(pfn, true);
		return;
	}
	for (i = 0; i < n; i++)
		sharex_hp_release_excl(blk_of(pfn + i * 512));
}

/*
 * Pages owned by any TD (every type but NDA), for teardown checks: one
 * counter per slot, a slot per thread (hashed), each on its own cache line,
 * summed on read, so that vCPUs faulting in parallel share no line.
 */
#define OWNED_SLOTS	16

static struct {
	s64 n;
	u8 pad[64 - sizeof(s64)];
} pamt_owned[OWNED_SLOTS] __attribute__((aligned(64)));

static unsigned int owned_slot(void)
{
	static unsigned int next;
	static __thread_fast unsigned int slot;

	if (!slot)
		slot = __atomic_add_fetch(&next, 1, __ATOMIC_RELAXED);
	return slot % OWNED_SLOTS;
}

static void owned_add(s64 d)
{
	if (d)
		__atomic_add_fetch(&pamt_owned[owned_slot()].n, d,
				   __ATOMIC_RELAXED);
	if (d && tdxsim_trace_on())
		tdxsim_trace_counter_set("module-owned pages", "pages",
					 tdx_module_pages_owned_total());
}

void pamt_set(u64 pfn, int level, u8 pt, u64 owner, u64 aux)
{
	u64 i, n = 1ULL << (9 * level);
	u8 size = pt == TDX_PT_REG ? level : 0;
	u32 owner_pfn = pt == TDX_PT_NDA ? 0 : owner >> PAGE_SHIFT;
	bool gfn_word = pt == TDX_PT_REG || pt == TDX_PT_EPT;
	s64 owned = 0;

	for (i = 0; i < n; i++) {
		struct pamt_entry *e = &pamt[pfn + i];
		bool was_owned = READ_ONCE(e->pt) != TDX_PT_NDA;
		u64 word = 0;

		if (was_owned != (pt != TDX_PT_NDA))
			owned += was_owned ? -1 : 1;
		if (gfn_word)
			word = ((aux >> PAGE_SHIFT) +
				(pt == TDX_PT_REG ? i : 0)) & PAMT_GFN_MASK;
		else if (pt != TDX_PT_NDA)
			word = aux;

		/* Readers of a TDR are every SEAMCALL of its TD (locks.c). */
		if (pt == TDX_PT_TDR) {
			sharex_hp_set_bias(&e->lock);
		} else if (READ_ONCE(e->pt) == TDX_PT_TDR) {
			sharex_hp_clear_bias(&e->lock);
		}
		WRITE_ONCE(e->pt, pt);
		WRITE_ONCE(e->owner, owner_pfn);
		WRITE_ONCE(e->word, word);
		if (pt == TDX_PT_NDA)
			__atomic_store_n(&e->state, 0, __ATOMIC_RELEASE);
		else
			__atomic_store_n(&e->state,
					 (__atomic_load_n(&e->state,
							  __ATOMIC_RELAXED) &
					  ~PAMT_SIZE_MASK) | size,
					 __ATOMIC_RELEASE);
	}
	owned_add(owned);
}

void pamt_set_bepoch(struct pamt_entry *e, u64 epoch)
{
	u64 w = READ_ONCE(e->word) & PAMT_GFN_MASK;

	WRITE_ONCE(e->word, w | (epoch << PAMT_GFN_BITS));
}

u64 pamt_bepoch(const struct pamt_entry *e, u64 td_epoch)
{
	u64 low = READ_ONCE(e->word) >> PAMT_GFN_BITS;
	u64 mask = (1ULL << PAMT_BEPOCH_BITS) - 1;

	/* The latest epoch not after @td_epoch with these low bits. */
	return td_epoch - ((td_epoch - low) & mask);
}

void pamt_zero_set(struct pamt_entry *e, u8 z)
{
	u8 old = __atomic_load_n(&e->state, __ATOMIC_RELAXED), new;

	do {
		new = (old & PAMT_SIZE_MASK) | (z << PAMT_ZERO_SHIFT);
	} while (!__atomic_compare_exchange_n(&e->state, &old, new, false,
					      __ATOMIC_RELEASE,
					      __ATOMIC_RELAXED));
}

bool pamt_zero_cmpxchg(struct pamt_entry *e, u8 zold, u8 znew)
{
	u8 old = __atomic_load_n(&e->state, __ATOMIC_RELAXED), new;

	do {
		if ((old >> PAMT_ZERO_SHIFT) != zold)
			return false;
		new = (old & PAMT_SIZE_MASK) | (znew << PAMT_ZERO_SHIFT);
	} while (!__atomic_compare_exchange_n(&e->state, &old, new, false,
					      __ATOMIC_ACQUIRE,
					      __ATOMIC_ACQUIRE));
	return true;
}

bool pamt_range_free(u64 pfn, int level)
{
	u64 i, n = 1ULL << (9 * level);

	for (i = 0; i < n; i++)
		if (READ_ONCE(pamt[pfn + i].pt) != TDX_PT_NDA)
			return false;
	return true;
}

static const char *pt_name(u8 pt)
{
	switch (pt) {
	case TDX_PT_NDA:	return "PT_NDA";
	case TDX_PT_RSVD:	return "PT_RSVD";
	case TDX_PT_REG:	return "PT_REG";
	case TDX_PT_TDR:	return "PT_TDR";
	case TDX_PT_TDCX:	return "PT_TDCX";
	case TDX_PT_TDVPR:	return "PT_TDVPR";
	case TDX_PT_EPT:	return "PT_EPT";
	case TDX_PT_PAMT:	return "PT_PAMT (a DPAMT page-pair page)";
	}
	return "PT_?";
}

int tdx_module_pamt_query(u64 pa, struct tdx_pamt_info *info)
{
	struct pamt_entry *e = pamt_entry(pa >> PAGE_SHIFT);

	if (!e)
		return -EINVAL;
	info->pt = READ_ONCE(e->pt);
	info->size = pamt_size(e);
	info->owner = pamt_owner(e);
	info->gpa = (info->pt == TDX_PT_REG || info->pt == TDX_PT_EPT) ?
		    pamt_gpa(e) : 0;
	return 0;
}

#define REUSE_REPORT_LINES	4

int tdx_module_pamt_check_reuse(u64 pfn, unsigned int order)
{
	u64 i, n = 1ULL << order, owned = 0;

	if (!pamt)
		return 0;
	for (i = 0; i < n; i++) {
		struct pamt_entry *e = pamt_entry(pfn + i);
		u8 pt;

		if (!e)
			break;
		pt = READ_ONCE(e->pt);
		if (pt == TDX_PT_NDA || pt == TDX_PT_RSVD)
			continue;
		__atomic_fetch_add(&pamt_violation_count, 1, __ATOMIC_RELAXED);
		if (owned++ >= REUSE_REPORT_LINES)
			continue;
		if (pt == TDX_PT_REG || pt == TDX_PT_EPT)
			pr_err("tdx: host frees pfn %#llx still owned by the TDX module: %s of TD %#llx at GPA %#llx\n",
			       (unsigned long long)(pfn + i), pt_name(pt),
			       (unsigned long long)pamt_owner(e),
			       (unsigned long long)pamt_gpa(e));
		else if (pt == TDX_PT_PAMT)
			pr_err("tdx: host frees pfn %#llx still owned by the TDX module: %s\n",
			       (unsigned long long)(pfn + i), pt_name(pt));
		else
			pr_err("tdx: host frees pfn %#llx still owned by the TDX module: %s of TD %#llx\n",
			       (unsigned long long)(pfn + i), pt_name(pt),
			       (unsigned long long)pamt_owner(e));
	}
	if (owned > REUSE_REPORT_LINES)
		pr_err("tdx: ... and %llu more pages of that block\n",
		       (unsigned long long)(owned - REUSE_REPORT_LINES));
	return owned ? -EBUSY : 0;
}

size_t tdx_module_pamt_entry_size(void)
{
	return sizeof(struct pamt_entry);
}

u64 tdx_module_pages_owned_total(void)
{
	s64 n = 0;
	int i;

	for (i = 0; i < OWNED_SLOTS; i++)
		n += __atomic_load_n(&pamt_owned[i].n, __ATOMIC_RELAXED);
	return n;
}

u64 tdx_module_pamt_violations(void)
{
	return __atomic_load_n(&pamt_violation_count, __ATOMIC_RELAXED);
}

static void pamt_free_check(u64 pfn, unsigned int order)
{
	tdx_module_pamt_check_reuse(pfn, order);
}

/*
 * Base gave [@pfn, @pfn + @nr) back to the OS (whole free 2M blocks): give
 * their PAMT entries back too. Each block's 2M lock, taken exclusively,
 * keeps every 4K lock of the block from being taken meanwhile (a 4K lock
 * takes its block shared first; a failed try-lock writes nothing to the
 * 4K entries); the madvise() that zeroes the entries and the 2M lock words
 * with them also releases the locks. A block whose lock is busy (a
 * SEAMCALL on a free page right now) keeps its entries.
 */
static void pamt_drop(u64 pfn, u64 nr)
{
	u64 b = pfn >> 9, end = (pfn + nr) >> 9, run;

	if (!pamt || pfn + nr > pamt_nr_pfns)
		return;
	while (b < end) {
		for (run = b; run < end; run++)
			if (sharex_hp_host_excl(&pamt_2m[run]))
				break;
		if (run > b)
			madvise(&pamt[b << 9], (run - b) * 512 *
						  sizeof(struct pamt_entry),
				MADV_DONTNEED);
		while (b < run)
			sharex_hp_release_excl(&pamt_2m[b++]);
		b = run + 1;
	}
}

int pamt_init(void)
{
	struct phys_mem_stats st;

	if (!phys_mem_ready()) {
		int ret = phys_mem_init(0);

		if (ret && ret != -EBUSY)
			return ret;
	}
	phys_mem_get_stats(&st);
	pamt_nr_pfns = st.total_pages;
	pamt_len = pamt_nr_pfns * sizeof(struct pamt_entry);
	pamt_2m_len = (pamt_nr_pfns >> 9) * sizeof(*pamt_2m);
	pamt = mmap(NULL, pamt_len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	pamt_2m = mmap(NULL, pamt_2m_len ? pamt_2m_len : 1,
		       PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (pamt == MAP_FAILED || pamt_2m == MAP_FAILED) {
		if (pamt != MAP_FAILED)
			munmap(pamt, pamt_len);
		if (pamt_2m != MAP_FAILED)
			munmap(pamt_2m, pamt_2m_len ? pamt_2m_len : 1);
		pamt = NULL;
		pamt_2m = NULL;
		pamt_nr_pfns = 0;
		return -ENOMEM;
	}
	/*
	 * Every 4K lock takes its block shared, and the block locks of 32
	 * blocks share a line: reader-biased (locks.c), so that vCPUs faulting
	 * pages of one 64 MiB do not bounce it. A 2M operation looks at the
	 * threads' reader indicators.
	 */
	for (u64 b = 0; b < (pamt_nr_pfns >> 9); b++)
		sharex_hp_set_bias(&pamt_2m[b]);
	if (dpamt_init()) {
		munmap(pamt, pamt_len);
		munmap(pamt_2m, pamt_2m_len ? pamt_2m_len : 1);
		pamt = NULL;
		pamt_2m = NULL;
		pamt_nr_pfns = 0;
		return -ENOMEM;
	}
	__atomic_store_n(&pamt_violation_count, 0, __ATOMIC_RELAXED);
	memset(pamt_owned, 0, sizeof(pamt_owned));
	page_alloc_set_free_check(pamt_free_check);
	phys_mem_register_meta(&(struct phys_mem_meta){
		.base = pamt,
		.entry_size = sizeof(struct pamt_entry),
		.drop = pamt_drop,
	});
	return 0;
}

void pamt_exit(void)
{
	page_alloc_set_free_check(NULL);
	phys_mem_unregister_meta();
	dpamt_exit();
	if (pamt)
		munmap(pamt, pamt_len);
	if (pamt_2m)
		munmap(pamt_2m, pamt_2m_len ? pamt_2m_len : 1);
	pamt = NULL;
	pamt_2m = NULL;
	pamt_nr_pfns = 0;
}
