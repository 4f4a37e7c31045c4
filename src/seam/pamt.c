// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * PAMT: the module's metadata for every 4K page of host memory (reference
 * tdx-module.md §12): type, size, owner TDR, bepoch, plus tdxsim's aux word
 * (the GPA a guest or S-EPT page serves, or the object of a TDR/TDVPR page).
 *
 * One flat array indexed by PFN, sized from base's PFN space and mapped
 * MAP_NORESERVE, so only entries of touched pages cost memory. Each entry
 * has the page's sharex_hp lock; the entry of a 2M-aligned PFN also has the
 * lock of that 2M block. Locking one 4K page takes its block shared, then the
 * page; locking a 2M range takes the block exclusively, so a 2M operation
 * contends with every 4K operation inside that block, as the module's
 * three-level PAMT walk does (the 1G level is folded into 512 2M blocks).
 */
#include <errno.h>
#include <sys/mman.h>

#include "base/log.h"
#include "base/page_alloc.h"
#include "seam/seam_internal.h"

u64 pamt_nr_pfns;
static struct pamt_entry *pamt;
static size_t pamt_len;
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

static struct pamt_entry *blk_of(u64 pfn)
{
	return &pamt[pfn & ~511ULL];
}

enum lock_ret pamt_lock_4k(u64 pfn, bool excl)
{
	struct pamt_entry *b = blk_of(pfn), *e = &pamt[pfn];
	enum lock_ret r;

	r = sharex_hp_host_shared(&b->blk);
	if (r)
		return r;
	r = excl ? sharex_hp_host_excl(&e->lock) :
		   sharex_hp_host_shared(&e->lock);
	if (r)
		sharex_hp_release_shared(&b->blk);
	return r;
}

void pamt_unlock_4k(u64 pfn, bool excl)
{
	if (excl)
		sharex_hp_release_excl(&pamt[pfn].lock);
	else
		sharex_hp_release_shared(&pamt[pfn].lock);
	sharex_hp_release_shared(&blk_of(pfn)->blk);
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
		if (sharex_hp_host_excl(&pamt[pfn + i * 512].blk)) {
			while (i--)
				sharex_hp_release_excl(
					&pamt[pfn + i * 512].blk);
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
		sharex_hp_release_excl(&pamt[pfn + i * 512].blk);
}

/* Pages owned by any TD (every type but NDA), for teardown checks. */
static u64 pamt_owned_pages;

void pamt_set(u64 pfn, int level, u8 pt, u64 owner, u64 aux)
{
	u64 i, n = 1ULL << (9 * level);
	bool per_page_aux = pt == TDX_PT_REG;

	for (i = 0; i < n; i++) {
		struct pamt_entry *e = &pamt[pfn + i];
		bool was_owned = READ_ONCE(e->pt) != TDX_PT_NDA;

		if (was_owned != (pt != TDX_PT_NDA))
			__atomic_add_fetch(&pamt_owned_pages,
					   was_owned ? -1ULL : 1ULL,
					   __ATOMIC_RELAXED);

		WRITE_ONCE(e->pt, pt);
		WRITE_ONCE(e->size, pt == TDX_PT_REG ? level : 0);
		WRITE_ONCE(e->owner, pt == TDX_PT_NDA ? 0 : owner);
		WRITE_ONCE(e->aux, pt == TDX_PT_NDA ? 0 :
			   aux + (per_page_aux ? i * PAGE_SIZE : 0));
		if (pt == TDX_PT_NDA) {
			WRITE_ONCE(e->bepoch, 0);
			__atomic_store_n(&e->zero, PAGE_ZERO_NONE,
					 __ATOMIC_RELEASE);
		}
	}
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
	}
	return "PT_?";
}

int tdx_module_pamt_query(u64 pa, struct tdx_pamt_info *info)
{
	struct pamt_entry *e = pamt_entry(pa >> PAGE_SHIFT);

	if (!e)
		return -EINVAL;
	info->pt = READ_ONCE(e->pt);
	info->size = READ_ONCE(e->size);
	info->owner = READ_ONCE(e->owner);
	info->gpa = (info->pt == TDX_PT_REG || info->pt == TDX_PT_EPT) ?
		    READ_ONCE(e->aux) : 0;
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
			       (unsigned long long)READ_ONCE(e->owner),
			       (unsigned long long)READ_ONCE(e->aux));
		else
			pr_err("tdx: host frees pfn %#llx still owned by the TDX module: %s of TD %#llx\n",
			       (unsigned long long)(pfn + i), pt_name(pt),
			       (unsigned long long)READ_ONCE(e->owner));
	}
	if (owned > REUSE_REPORT_LINES)
		pr_err("tdx: ... and %llu more pages of that block\n",
		       (unsigned long long)(owned - REUSE_REPORT_LINES));
	return owned ? -EBUSY : 0;
}

u64 tdx_module_pages_owned_total(void)
{
	return __atomic_load_n(&pamt_owned_pages, __ATOMIC_RELAXED);
}

u64 tdx_module_pamt_violations(void)
{
	return __atomic_load_n(&pamt_violation_count, __ATOMIC_RELAXED);
}

static void pamt_free_check(u64 pfn, unsigned int order)
{
	tdx_module_pamt_check_reuse(pfn, order);
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
	pamt = mmap(NULL, pamt_len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (pamt == MAP_FAILED) {
		pamt = NULL;
		pamt_nr_pfns = 0;
		return -ENOMEM;
	}
	__atomic_store_n(&pamt_violation_count, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&pamt_owned_pages, 0, __ATOMIC_RELAXED);
	page_alloc_set_free_check(pamt_free_check);
	return 0;
}

void pamt_exit(void)
{
	page_alloc_set_free_check(NULL);
	if (pamt)
		munmap(pamt, pamt_len);
	pamt = NULL;
	pamt_nr_pfns = 0;
}
