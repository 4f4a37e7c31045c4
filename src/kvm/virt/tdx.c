// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The kernel's SEAMCALL wrappers: the twin of arch/x86/virt/vmx/tdx/tdx.c
 * (its tdh_*() part, in upstream's order). Each wrapper puts its operands
 * in the registers the leaf defines, issues the SEAMCALL and copies the
 * outputs back; KVM's tdx.c calls nothing of the module but these and
 * seamcall().
 *
 * Departures (see kvm/asm/tdx.h): operands are physical addresses rather
 * than struct tdx_td / tdx_vp / page pointers; there is no cache to flush
 * before handing a page to the module (tdx_clflush_page()), and no
 * retry on TDX_RND_NO_ENTROPY, which the software module never returns;
 * TDH.VP.INIT asks for version 0 when the module takes nothing newer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/atomic.h"
#include "base/lock.h"
#include "base/log.h"
#include "base/page_alloc.h"
#include "kvm/asm/tdx.h"

/* RCX of the S-EPT leaves: the GPA with the TDX level in bits 2:0. */
static u64 gpa_level(u64 gpa, int level)
{
	return gpa | (u64)(level & 7);
}

/* A physical address tagged with the key id @hkid (mk_keyed_paddr()). */
static u64 mk_keyed_paddr(u64 hkid, u64 pa)
{
	return pa | (hkid << TDX_KEYID_SHIFT);
}

u64 tdh_vp_enter(u64 tdvpr_pa, struct tdx_module_args *args)
{
	args->rcx = tdvpr_pa;
	return seamcall(TDH_VP_ENTER, args);
}

u64 tdh_mng_addcx(u64 tdr_pa, u64 tdcs_pa)
{
	struct tdx_module_args args = {
		.rcx = tdcs_pa,
		.rdx = tdr_pa,
	};

	return seamcall(TDH_MNG_ADDCX, &args);
}

u64 tdh_mem_page_add(u64 tdr_pa, u64 gpa, u64 page_pa, u64 source_pa,
		     u64 *ext_err1, u64 *ext_err2)
{
	struct tdx_module_args args = {
		.rcx = gpa,
		.rdx = tdr_pa,
		.r8 = page_pa,
		.r9 = source_pa,
	};
	u64 ret = seamcall(TDH_MEM_PAGE_ADD, &args);

	*ext_err1 = args.rcx;
	*ext_err2 = args.rdx;
	return ret;
}

u64 tdh_mem_sept_add(u64 tdr_pa, u64 gpa, int level, u64 sept_page_pa,
		     u64 *ext_err1, u64 *ext_err2)
{
	struct tdx_module_args args = {
		.rcx = gpa_level(gpa, level),
		.rdx = tdr_pa,
		.r8 = sept_page_pa,
	};
	u64 ret = seamcall(TDH_MEM_SEPT_ADD, &args);

	*ext_err1 = args.rcx;
	*ext_err2 = args.rdx;
	return ret;
}

u64 tdh_vp_addcx(u64 tdvpr_pa, u64 tdcx_pa)
{
	struct tdx_module_args args = {
		.rcx = tdcx_pa,
		.rdx = tdvpr_pa,
	};

	return seamcall(TDH_VP_ADDCX, &args);
}

u64 tdh_mem_page_aug(u64 tdr_pa, u64 gpa, int level, u64 page_pa,
		     u64 *ext_err1, u64 *ext_err2)
{
	struct tdx_module_args args = {
		.rcx = gpa_level(gpa, level),
		.rdx = tdr_pa,
		.r8 = page_pa,
	};
	u64 ret = seamcall(TDH_MEM_PAGE_AUG, &args);

	*ext_err1 = args.rcx;
	*ext_err2 = args.rdx;
	return ret;
}

u64 tdh_mem_range_block(u64 tdr_pa, u64 gpa, int level, u64 *ext_err1,
			u64 *ext_err2)
{
	struct tdx_module_args args = {
		.rcx = gpa_level(gpa, level),
		.rdx = tdr_pa,
	};
	u64 ret = seamcall(TDH_MEM_RANGE_BLOCK, &args);

	*ext_err1 = args.rcx;
	*ext_err2 = args.rdx;
	return ret;
}

u64 tdh_mng_key_config(u64 tdr_pa)
{
	struct tdx_module_args args = {
		.rcx = tdr_pa,
	};

	return seamcall(TDH_MNG_KEY_CONFIG, &args);
}

u64 tdh_mng_create(u64 tdr_pa, u16 hkid)
{
	struct tdx_module_args args = {
		.rcx = tdr_pa,
		.rdx = hkid,
	};

	return seamcall(TDH_MNG_CREATE, &args);
}

u64 tdh_vp_create(u64 tdr_pa, u64 tdvpr_pa)
{
	struct tdx_module_args args = {
		.rcx = tdvpr_pa,
		.rdx = tdr_pa,
	};

	return seamcall(TDH_VP_CREATE, &args);
}

u64 tdh_mng_rd(u64 tdr_pa, u64 field, u64 *data)
{
	struct tdx_module_args args = {
		.rcx = tdr_pa,
		.rdx = field,
	};
	u64 ret = seamcall(TDH_MNG_RD, &args);

	/* R8 holds the field's value (0 when the read failed). */
	*data = args.r8;
	return ret;
}

u64 tdh_mr_extend(u64 tdr_pa, u64 gpa, u64 *ext_err1, u64 *ext_err2)
{
	struct tdx_module_args args = {
		.rcx = gpa,
		.rdx = tdr_pa,
	};
	u64 ret = seamcall(TDH_MR_EXTEND, &args);

	*ext_err1 = args.rcx;
	*ext_err2 = args.rdx;
	return ret;
}

u64 tdh_mr_finalize(u64 tdr_pa)
{
	struct tdx_module_args args = {
		.rcx = tdr_pa,
	};

	return seamcall(TDH_MR_FINALIZE, &args);
}

u64 tdh_vp_flush(u64 tdvpr_pa)
{
	struct tdx_module_args args = {
		.rcx = tdvpr_pa,
	};

	return seamcall(TDH_VP_FLUSH, &args);
}

u64 tdh_mng_vpflushdone(u64 tdr_pa)
{
	struct tdx_module_args args = {
		.rcx = tdr_pa,
	};

	return seamcall(TDH_MNG_VPFLUSHDONE, &args);
}

u64 tdh_mng_key_freeid(u64 tdr_pa)
{
	struct tdx_module_args args = {
		.rcx = tdr_pa,
	};

	return seamcall(TDH_MNG_KEY_FREEID, &args);
}

u64 tdh_mng_init(u64 tdr_pa, u64 td_params, u64 *extended_err)
{
	struct tdx_module_args args = {
		.rcx = tdr_pa,
		.rdx = td_params,
	};
	u64 ret = seamcall(TDH_MNG_INIT, &args);

	*extended_err = args.rcx;
	return ret;
}

u64 tdh_vp_rd(u64 tdvpr_pa, u64 field, u64 *data)
{
	struct tdx_module_args args = {
		.rcx = tdvpr_pa,
		.rdx = field,
	};
	u64 ret = seamcall(TDH_VP_RD, &args);

	/* R8 holds the field's value (0 when the read failed). */
	*data = args.r8;
	return ret;
}

u64 tdh_vp_wr(u64 tdvpr_pa, u64 field, u64 data, u64 mask)
{
	struct tdx_module_args args = {
		.rcx = tdvpr_pa,
		.rdx = field,
		.r8 = data,
		.r9 = mask,
	};

	return seamcall(TDH_VP_WR, &args);
}

/* The TDH.VP.INIT version to ask for: 1 (x2APIC id in R8) if taken. */
static unsigned int tdh_vp_init_version(void)
{
	struct tdx_sys_info info;

	if (tdx_get_sysinfo(&info))
		return 1;
	return info.vp_init_max_version >= 1 ? 1 : 0;
}

u64 tdh_vp_init(u64 tdvpr_pa, u64 initial_rcx, u32 x2apicid)
{
	struct tdx_module_args args = {
		.rcx = tdvpr_pa,
		.rdx = initial_rcx,
		.r8 = x2apicid,
	};

	return seamcall(TDX_LEAF_VERSION(TDH_VP_INIT, tdh_vp_init_version()),
			&args);
}

u64 tdh_phymem_page_reclaim(u64 page_pa, u64 *tdx_pt, u64 *tdx_owner,
			    u64 *tdx_size)
{
	struct tdx_module_args args = {
		.rcx = page_pa,
	};
	u64 ret = seamcall(TDH_PHYMEM_PAGE_RECLAIM, &args);

	/* The module's own encodings, for error reports only. */
	*tdx_pt = args.rcx;
	*tdx_owner = args.rdx;
	*tdx_size = args.r8;
	return ret;
}

u64 tdh_mem_track(u64 tdr_pa)
{
	struct tdx_module_args args = {
		.rcx = tdr_pa,
	};

	return seamcall(TDH_MEM_TRACK, &args);
}

u64 tdh_mem_page_remove(u64 tdr_pa, u64 gpa, int level, u64 *ext_err1,
			u64 *ext_err2)
{
	struct tdx_module_args args = {
		.rcx = gpa_level(gpa, level),
		.rdx = tdr_pa,
	};
	u64 ret = seamcall(TDH_MEM_PAGE_REMOVE, &args);

	*ext_err1 = args.rcx;
	*ext_err2 = args.rdx;
	return ret;
}

u64 tdh_phymem_cache_wb(bool resume)
{
	struct tdx_module_args args = {
		.rcx = resume ? 1 : 0,
	};

	return seamcall(TDH_PHYMEM_CACHE_WB, &args);
}

u64 tdh_phymem_page_wbinvd_tdr(u64 tdr_pa)
{
	/* The TDR is written with the global key id, 0 in tdxsim. */
	struct tdx_module_args args = {
		.rcx = mk_keyed_paddr(0, tdr_pa),
	};

	return seamcall(TDH_PHYMEM_PAGE_WBINVD, &args);
}

u64 tdh_phymem_page_wbinvd_hkid(u64 hkid, u64 page_pa)
{
	struct tdx_module_args args = {
		.rcx = mk_keyed_paddr(hkid, page_pa),
	};

	return seamcall(TDH_PHYMEM_PAGE_WBINVD, &args);
}

/* ---- leaves upstream's tdx.c has no wrapper for (see kvm/asm/tdx.h) ---- */

u64 tdh_mem_page_demote(u64 tdr_pa, u64 gpa, int level, u64 new_sept_page_pa,
			u64 *ext_err1, u64 *ext_err2)
{
	return tdh_mem_page_demote_pamt(tdr_pa, gpa, level, new_sept_page_pa,
					0, 0, ext_err1, ext_err2);
}

u64 tdh_mem_page_demote_pamt(u64 tdr_pa, u64 gpa, int level,
			     u64 new_sept_page_pa, u64 pamt_pa0, u64 pamt_pa1,
			     u64 *ext_err1, u64 *ext_err2)
{
	struct tdx_module_args args = {
		.rcx = gpa_level(gpa, level),
		.rdx = tdr_pa,
		.r8 = new_sept_page_pa,
		.r12 = pamt_pa0,
		.r13 = pamt_pa1,
	};
	u64 ret = seamcall(TDH_MEM_PAGE_DEMOTE, &args);

	*ext_err1 = args.rcx;
	*ext_err2 = args.rdx;
	return ret;
}

/* PROMOTE, UNBLOCK and SEPT.REMOVE take only GPA|level and the TDR. */
static u64 tdh_mem_gpa_leaf(unsigned int leaf, u64 tdr_pa, u64 gpa,
			    int level, u64 *ext_err1, u64 *ext_err2)
{
	struct tdx_module_args args = {
		.rcx = gpa_level(gpa, level),
		.rdx = tdr_pa,
	};
	u64 ret = seamcall(leaf, &args);

	*ext_err1 = args.rcx;
	*ext_err2 = args.rdx;
	return ret;
}

u64 tdh_mem_page_promote(u64 tdr_pa, u64 gpa, int level, u64 *ext_err1,
			 u64 *ext_err2)
{
	return tdh_mem_gpa_leaf(TDH_MEM_PAGE_PROMOTE, tdr_pa, gpa, level,
				ext_err1, ext_err2);
}

u64 tdh_mem_range_unblock(u64 tdr_pa, u64 gpa, int level, u64 *ext_err1,
			  u64 *ext_err2)
{
	return tdh_mem_gpa_leaf(TDH_MEM_RANGE_UNBLOCK, tdr_pa, gpa, level,
				ext_err1, ext_err2);
}

u64 tdh_mem_sept_remove(u64 tdr_pa, u64 gpa, int level, u64 *ext_err1,
			u64 *ext_err2)
{
	return tdh_mem_gpa_leaf(TDH_MEM_SEPT_REMOVE, tdr_pa, gpa, level,
				ext_err1, ext_err2);
}

/* ---- Dynamic PAMT (v6 of 2026-05-25, docs/upstream/series-dpamt.md §3) ---- */

/* RCX of PAMT.ADD/REMOVE: the 2M region of @pfn, level 2M (pamt_2mb_arg()). */
static u64 pamt_2mb_arg(u64 pfn)
{
	return ((pfn << PAGE_SHIFT) & ~(SZ_2M - 1)) | 1;
}

u64 tdh_phymem_pamt_add(u64 pfn, u64 pamt_pa[TDX_DPAMT_ENTRY_PAGE_CNT])
{
	struct tdx_module_args args = {
		.rcx = pamt_2mb_arg(pfn),
		.rdx = pamt_pa[0],
		.r8 = pamt_pa[1],
	};

	return seamcall(TDH_PHYMEM_PAMT_ADD, &args);
}

u64 tdh_phymem_pamt_remove(u64 pfn, u64 pamt_pa[TDX_DPAMT_ENTRY_PAGE_CNT])
{
	struct tdx_module_args args = {
		.rcx = pamt_2mb_arg(pfn),
	};
	u64 ret = seamcall(TDH_PHYMEM_PAMT_REMOVE, &args);

	pamt_pa[0] = args.rdx;
	pamt_pa[1] = args.r8;
	return ret;
}

/* One refcount per 2M of the PFN space (init_pamt_refcounts()). */
static atomic_t *pamt_refcounts;
static u64 pamt_nr_refcounts;
static spinlock_t pamt_lock;
/*
 * tdxsim, design dpamt_lock=per-region: a lock per 2M region instead of
 * pamt_lock, hashed (adjacent regions get different locks).
 */
#define TDXSIM_PAMT_REGION_LOCKS	64
static spinlock_t pamt_region_locks[TDXSIM_PAMT_REGION_LOCKS];
static struct tdx_dpamt_stats dpamt_stats;

int tdx_dpamt_init(void)
{
	struct phys_mem_stats st;
	int i;

	if (pamt_refcounts)
		return 0;
	phys_mem_get_stats(&st);
	pamt_nr_refcounts = DIV_ROUND_UP(st.total_pages, 512);
	pamt_refcounts = calloc(pamt_nr_refcounts ? pamt_nr_refcounts : 1,
				sizeof(*pamt_refcounts));
	if (!pamt_refcounts)
		return -ENOMEM;
	spin_lock_init(&pamt_lock);
	for (i = 0; i < TDXSIM_PAMT_REGION_LOCKS; i++)
		spin_lock_init(&pamt_region_locks[i]);
	return 0;
}

bool tdx_supports_dynamic_pamt(void)
{
	return pamt_refcounts && tdx_module_dynamic_pamt();
}

static atomic_t *tdx_find_pamt_refcount(u64 pfn)
{
	return &pamt_refcounts[pfn >> 9];
}

static spinlock_t *tdx_pamt_lock(u64 pfn, unsigned int flags)
{
	if (flags & TDXSIM_PAMT_PER_REGION_LOCK)
		return &pamt_region_locks[(pfn >> 9) % TDXSIM_PAMT_REGION_LOCKS];
	return &pamt_lock;
}

int tdx_pamt_refcount(u64 pfn)
{
	if (!pamt_refcounts || (pfn >> 9) >= pamt_nr_refcounts)
		return 0;
	return atomic_read(tdx_find_pamt_refcount(pfn));
}

void tdx_dpamt_get_stats(struct tdx_dpamt_stats *st)
{
	st->adds = __atomic_load_n(&dpamt_stats.adds, __ATOMIC_RELAXED);
	st->removes = __atomic_load_n(&dpamt_stats.removes, __ATOMIC_RELAXED);
	st->failures = __atomic_load_n(&dpamt_stats.failures,
				       __ATOMIC_RELAXED);
	st->leaked = __atomic_load_n(&dpamt_stats.leaked, __ATOMIC_RELAXED);
	st->refcount_bytes = pamt_nr_refcounts * sizeof(atomic_t);
}

static void stat_inc(u64 *c)
{
	__atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

/* A failed PAMT.ADD/REMOVE: the WARN. */
static void pamt_failed(unsigned int leaf, u64 pfn, u64 err)
{
	stat_inc(&dpamt_stats.failures);
	WARN_ON_ONCE(err);
	pr_err("tdx: TDH.PHYMEM.PAMT.%s of pfn 0x%llx failed: %s\n",
	       leaf == TDH_PHYMEM_PAMT_ADD ? "ADD" : "REMOVE",
	       (unsigned long long)pfn, tdx_status_name(err));
}

void tdx_init_pamt_cache(struct tdx_pamt_cache *cache)
{
	memset(cache, 0, sizeof(*cache));
}

int tdx_topup_pamt_cache(struct tdx_pamt_cache *cache, unsigned long npages)
{
	unsigned long want = npages * TDX_DPAMT_ENTRY_PAGE_CNT;

	if (want > TDX_PAMT_CACHE_MAX)
		want = TDX_PAMT_CACHE_MAX;
	while (cache->cnt < want) {
		struct page *page = alloc_page();

		if (!page)
			return -ENOMEM;
		cache->pages[cache->cnt++] = page;
	}
	return 0;
}

void tdx_free_pamt_cache(struct tdx_pamt_cache *cache)
{
	while (cache->cnt)
		__free_page(cache->pages[--cache->cnt]);
}

/* Two pages for a pair: from @cache, or allocated (control pages). */
static int alloc_pamt_array(u64 pa[TDX_DPAMT_ENTRY_PAGE_CNT],
			    struct tdx_pamt_cache *cache)
{
	int i;

	for (i = 0; i < TDX_DPAMT_ENTRY_PAGE_CNT; i++) {
		struct page *page = NULL;

		if (cache) {
			if (cache->cnt)
				page = cache->pages[--cache->cnt];
		} else {
			page = alloc_page();
		}
		if (!page) {
			while (i--)
				__free_page(pfn_to_page(pa[i] >> PAGE_SHIFT));
			return -ENOMEM;
		}
		pa[i] = page_to_phys(page);
	}
	return 0;
}

static void free_pamt_array(u64 pa[TDX_DPAMT_ENTRY_PAGE_CNT])
{
	int i;

	for (i = 0; i < TDX_DPAMT_ENTRY_PAGE_CNT; i++) {
		struct page *page = pfn_to_page(pa[i] >> PAGE_SHIFT);

		/* tdx_quirk_reset_paddr(): the module wrote PAMT entries. */
		memset(page_address(page), 0, PAGE_SIZE);
		__free_page(page);
	}
}

int tdx_pamt_get(u64 pfn, struct tdx_pamt_cache *cache)
{
	return __tdx_pamt_get(pfn, cache, 0);
}

/*
 * tdxsim: design dpamt_put=rfc-recheck counts "users of an installed pair"
 * plus one for the pair, so 0 still means "no pair" and the fast path
 * below is the proposal's atomic_inc_unless_negative().
 */
static int pamt_rc_installed(unsigned int flags)
{
	return flags & TDXSIM_PAMT_PUT_RFC_RECHECK ? 2 : 1;
}

int __tdx_pamt_get(u64 pfn, struct tdx_pamt_cache *cache, unsigned int flags)
{
	atomic_t *rc;
	spinlock_t *lock = tdx_pamt_lock(pfn, flags);
	u64 pa[TDX_DPAMT_ENTRY_PAGE_CNT], err;
	int ret;

	if (!tdx_supports_dynamic_pamt())
		return 0;
	rc = tdx_find_pamt_refcount(pfn);
	/* The region has its pair already: no lock, no SEAMCALL. */
	if (atomic_inc_not_zero(rc))
		return 0;
	ret = alloc_pamt_array(pa, cache);
	if (ret)
		return ret;

	spin_lock(lock);
	/* Another get did 0->1 while this one took its pages. */
	if (!(flags & TDXSIM_PAMT_NO_RECHECK) && atomic_read(rc)) {
		atomic_inc(rc);
		spin_unlock(lock);
		free_pamt_array(pa);
		return 0;
	}
	err = tdh_phymem_pamt_add(pfn, pa);
	if (err && (flags & TDXSIM_PAMT_PUT_V4) &&
	    (err & TDX_SEAMCALL_STATUS_MASK) == TDX_HPA_RANGE_NOT_FREE) {
		/*
		 * v4: a put dropped 1->0 and has not removed the pair yet;
		 * keep it (count 1), and that put will see the count and
		 * skip its REMOVE.
		 */
		atomic_set(rc, 1);
		spin_unlock(lock);
		free_pamt_array(pa);
		return 0;
	}
	if (err) {
		spin_unlock(lock);
		pamt_failed(TDH_PHYMEM_PAMT_ADD, pfn, err);
		free_pamt_array(pa);
		return -EIO;
	}
	atomic_set(rc, pamt_rc_installed(flags));
	stat_inc(&dpamt_stats.adds);
	spin_unlock(lock);
	return 0;
}

/* atomic_dec_and_lock(): true, with @lock held, if @v went to 0. */
static bool pamt_dec_and_lock(atomic_t *v, spinlock_t *lock)
{
	int c = atomic_read(v);

	/* Not the last reference: drop it without the lock. */
	while (c > 1) {
		if (__atomic_compare_exchange_n(&v->counter, &c, c - 1, false,
						__ATOMIC_SEQ_CST,
						__ATOMIC_RELAXED))
			return false;
	}
	spin_lock(lock);
	if (atomic_dec_return(v) == 0)
		return true;
	spin_unlock(lock);
	return false;
}

/*
 * tdxsim: the earlier postings' put (design dpamt_put): drop the last
 * user outside the lock, then take the lock and remove the pair if the
 * count still says nobody uses it. True, with @lock held, if it does.
 */
static bool pamt_dec_then_lock(atomic_t *v, spinlock_t *lock,
			       unsigned int flags)
{
	int unused = pamt_rc_installed(flags) - 1;

	if (atomic_dec_return(v) != unused)
		return false;
	spin_lock(lock);
	if (atomic_read(v) == unused)
		return true;
	spin_unlock(lock);
	return false;
}

void tdx_pamt_put(u64 pfn)
{
	__tdx_pamt_put(pfn, 0);
}

u64 __tdx_pamt_put(u64 pfn, unsigned int flags)
{
	u64 pa[TDX_DPAMT_ENTRY_PAGE_CNT], err;
	spinlock_t *lock = tdx_pamt_lock(pfn, flags);
	atomic_t *rc;
	bool last;

	if (!tdx_supports_dynamic_pamt())
		return 0;
	rc = tdx_find_pamt_refcount(pfn);
	if (WARN_ON_ONCE(atomic_read(rc) <= 0))
		return 0;
	if (flags & TDXSIM_PAMT_PUT_OUTSIDE_LOCK)
		last = pamt_dec_then_lock(rc, lock, flags);
	else
		last = pamt_dec_and_lock(rc, lock);
	if (!last)
		return 0;
	err = tdh_phymem_pamt_remove(pfn, pa);
	if (err) {
		/*
		 * The pages may hold PAMT entries: keep the pair, leak it.
		 * tdxsim, dpamt_remove_fail=drop: the count stays 0.
		 */
		if (!(flags & (TDXSIM_PAMT_PUT_RFC_RECHECK |
			       TDXSIM_PAMT_REMOVE_FAIL_DROP)))
			atomic_set(rc, 1);
		spin_unlock(lock);
		stat_inc(&dpamt_stats.leaked);
		pamt_failed(TDH_PHYMEM_PAMT_REMOVE, pfn, err);
		return err;
	}
	atomic_set(rc, 0);
	stat_inc(&dpamt_stats.removes);
	spin_unlock(lock);
	free_pamt_array(pa);
	return 0;
}

struct page *tdx_alloc_control_page(void)
{
	return __tdx_alloc_control_page(0);
}

struct page *__tdx_alloc_control_page(unsigned int flags)
{
	struct page *page = alloc_page();

	if (!page)
		return NULL;
	if (__tdx_pamt_get(page_to_pfn(page), NULL, flags)) {
		__free_page(page);
		return NULL;
	}
	return page;
}

void tdx_free_control_page(struct page *page)
{
	__tdx_free_control_page(page, 0);
}

void __tdx_free_control_page(struct page *page, unsigned int flags)
{
	if (!page)
		return;
	__tdx_pamt_put(page_to_pfn(page), flags);
	__free_page(page);
}

u64 tdx_pamt_demote(u64 tdr_pa, u64 gpa, int level, u64 new_sept_page_pa,
		    u64 pfn, bool counted, unsigned int flags,
		    struct tdx_pamt_cache *cache, u64 *ext_err1,
		    u64 *ext_err2)
{
	u64 pa[TDX_DPAMT_ENTRY_PAGE_CNT], err;
	atomic_t *rc = tdx_find_pamt_refcount(pfn);
	bool locked = counted && !(flags & TDXSIM_PAMT_DEMOTE_UNLOCKED);

	/*
	 * The pair comes from the caller's cache, topped up outside
	 * mmu_lock (v5 39/45's tdh_mem_page_demote() takes it from the
	 * pamt cache and answers TDX_SW_ERROR without one); NULL: allocate
	 * (the lazy design has no cache).
	 */
	if (alloc_pamt_array(pa, cache))
		return cache ? TDX_SW_ERROR :
			       TDX_MISSING_PAMT_PAGE_PAIR | TDX_OPERAND_ID_R12;
	if (locked) {
		spin_lock(&pamt_lock);
		WARN_ON_ONCE(atomic_read(rc));
	}
	err = tdh_mem_page_demote_pamt(tdr_pa, gpa, level, new_sept_page_pa,
				       pa[0], pa[1], ext_err1, ext_err2);
	if (!err) {
		stat_inc(&dpamt_stats.adds);
		if (counted)
			atomic_set(rc, 512);
	}
	if (locked)
		spin_unlock(&pamt_lock);
	if (err)
		free_pamt_array(pa);
	return err;
}

/*
 * The design before refcounts (RFC v1, "inherently more racy"): no kernel
 * refcount and no lock. A leaf that answers TDX_MISSING_PAMT_PAGE_PAIR gets
 * its region's pair added and is retried; after a removal the kernel tries
 * to take the pair back. tdxsim: the module's removal hint is not in the
 * archive; the lazy kernel tries PAMT.REMOVE and takes NOT_EMPTY for "the
 * hint said no" (series-dpamt.md §7).
 */
int tdx_pamt_lazy_add(u64 pfn)
{
	u64 pa[TDX_DPAMT_ENTRY_PAGE_CNT], err;
	int ret;

	ret = alloc_pamt_array(pa, NULL);
	if (ret)
		return ret;
	err = tdh_phymem_pamt_add(pfn, pa);
	if (!err) {
		stat_inc(&dpamt_stats.adds);
		return 0;
	}
	free_pamt_array(pa);
	/* Another thread added it: fine. */
	if ((err & TDX_SEAMCALL_STATUS_MASK) == TDX_HPA_RANGE_NOT_FREE)
		return 0;
	if (tdx_operand_busy(err))
		return -EBUSY;
	stat_inc(&dpamt_stats.failures);
	return -EIO;
}

void tdx_pamt_lazy_remove(u64 pfn)
{
	u64 pa[TDX_DPAMT_ENTRY_PAGE_CNT], err, st;

	if (!tdx_supports_dynamic_pamt())
		return;
	err = tdh_phymem_pamt_remove(pfn, pa);
	if (!err) {
		stat_inc(&dpamt_stats.removes);
		free_pamt_array(pa);
		return;
	}
	st = err & TDX_SEAMCALL_STATUS_MASK;
	if (st == TDX_PAMT_PAGE_NOT_EMPTY || st == TDX_NO_PAMT_PAGE_PAIR)
		return;
	/* BUSY: no loop (the design's point); the pair stays. */
	stat_inc(&dpamt_stats.leaked);
}
