// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The mini host of the guest tests: what KVM and a VMM do for a TD, reduced
 * to what the guest model needs, talking to the real module through the
 * kernel's SEAMCALL wrappers (kvm/asm/tdx.h). One mutex plays
 * kvm->mmu_lock for every S-EPT change.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/lock.h"
#include "base/page_alloc.h"
#include "base/sched.h"
#include "ulib/strbuf.h"
#include "kvm/asm/tdx.h"
#include "minihost.h"

#define NPAGES		(MH_WINDOW >> PAGE_SHIFT)
#define NBLK		(MH_WINDOW >> PMD_SHIFT)
#define SHARED_BIT	BIT_ULL(47)	/* 4-level EPT, GPAW 48 */
#define MAX_ENTRIES	2000000ULL
#define EPT_RWX		7ULL

#define RES_INC(mh, f)	__atomic_fetch_add(&(mh)->res->f, 1, __ATOMIC_RELAXED)

struct mh;

struct mh_vcpu {
	struct mh *mh;
	unsigned int idx;
	u64 tdvpr;
	struct task *task;
};

struct mh {
	const struct mh_config *cfg;
	struct mh_result *res;
	struct tdxsim_guest_model *g;
	u64 tdr;
	int hkid;
	struct mutex mmu_lock;
	bool dead;
	/* The private side (mirrors what is in the S-EPT). */
	bool sept_l3, sept_l2;
	bool pt[NBLK];		/* a 4K page table exists under this 2M entry */
	bool inhibit[NBLK];	/* the guest accepted at 4K here: no 2M maps */
	u64 blk2m[NBLK];	/* HPA of a 2M leaf */
	u64 *hpa;		/* per 4K: HPA of a 4K leaf */
	bool *shared;		/* per 4K: attribute shared */
	/* The shared side: a 4-level EPT of 4K pages. */
	u64 sh_root, sh_pdpt, sh_pd, sh_pt[NBLK];
	u64 *shpa;		/* per 4K: HPA of the shared page */
	/* Other pages to free at teardown (pa | order). */
	u64 *misc;
	size_t nr_misc, cap_misc;
	struct mh_vcpu vcpus[MH_MAX_VCPUS];
	unsigned int nr_vcpus;
	unsigned int nr_done;	/* vCPU threads that returned */
};

static void mh_fail(struct mh *mh, const char *fmt, ...) __printf(2, 3);

static void mh_fail(struct mh *mh, const char *fmt, ...)
{
	va_list ap;

	if (!mh->res->error) {
		va_start(ap, fmt);
		vsnprintf(mh->res->error_msg, sizeof(mh->res->error_msg), fmt,
			  ap);
		va_end(ap);
		mh->res->error = true;
	}
	__atomic_store_n(&mh->dead, true, __ATOMIC_RELEASE);
}

static bool mh_dead(struct mh *mh)
{
	return __atomic_load_n(&mh->dead, __ATOMIC_ACQUIRE);
}

static u64 alloc_pa(unsigned int order)
{
	struct page *p = alloc_pages(order);

	if (!p)
		abort();
	return page_to_phys(p);
}

/* A page the host keeps until teardown (control structures, tables). */
static u64 alloc_misc(struct mh *mh)
{
	u64 pa = alloc_pa(0);

	if (mh->nr_misc == mh->cap_misc) {
		mh->cap_misc = mh->cap_misc ? 2 * mh->cap_misc : 64;
		mh->misc = xrealloc(mh->misc, mh->cap_misc * sizeof(u64));
	}
	mh->misc[mh->nr_misc++] = pa;
	return pa;
}

static u64 level_size(int level)
{
	return 4096ULL << (9 * level);
}

static void *pa_virt(u64 pa)
{
	return pfn_to_virt(pa >> PAGE_SHIFT);
}

static void kick_others(struct mh *mh, struct mh_vcpu *self)
{
	unsigned int i;

	for (i = 0; i < mh->nr_vcpus; i++)
		if (&mh->vcpus[i] != self)
			tdx_module_send_ipi(mh->vcpus[i].tdvpr);
}

/* ---------------------------------------------------------------------- */
/* S-EPT changes (mmu_lock held).                                          */
/* ---------------------------------------------------------------------- */

static int sept_add(struct mh *mh, u64 gpa, int level)
{
	u64 pa = alloc_misc(mh), e1, e2, r;

	for (;;) {
		r = tdh_mem_sept_add(mh->tdr, gpa & ~(level_size(level) - 1),
				     level, pa, &e1, &e2);
		if (!tdx_operand_busy(r))
			break;
		cpu_relax();
	}
	if (r) {
		mh_fail(mh, "TDH.MEM.SEPT.ADD(0x%llx, %d) = %s",
			(unsigned long long)gpa, level, tdx_status_name(r));
		return -EIO;
	}
	return 0;
}

static int ensure_tables(struct mh *mh, u64 gpa, bool pt)
{
	u64 blk = gpa >> PMD_SHIFT;

	if (!mh->sept_l3) {
		if (sept_add(mh, gpa, 3))
			return -EIO;
		mh->sept_l3 = true;
	}
	if (!mh->sept_l2) {
		if (sept_add(mh, gpa, 2))
			return -EIO;
		mh->sept_l2 = true;
	}
	if (pt && !mh->pt[blk]) {
		if (sept_add(mh, gpa, 1))
			return -EIO;
		mh->pt[blk] = true;
	}
	return 0;
}

static int aug(struct mh *mh, u64 gpa, int level, u64 pa)
{
	u64 e1, e2, r;

	for (;;) {
		r = tdh_mem_page_aug(mh->tdr, gpa, level, pa, &e1, &e2);
		if (!tdx_operand_busy(r))
			break;
		cpu_relax();
	}
	if (r) {
		mh_fail(mh, "TDH.MEM.PAGE.AUG(0x%llx, %d) = %s (entry 0x%llx, level_state 0x%llx)",
			(unsigned long long)gpa, level, tdx_status_name(r),
			(unsigned long long)e1, (unsigned long long)e2);
		return -EIO;
	}
	return 0;
}

static int map_4k(struct mh *mh, u64 gpa)
{
	u64 gfn = gpa >> PAGE_SHIFT, pa;

	if (mh->hpa[gfn] || mh->blk2m[gpa >> PMD_SHIFT])
		return 0;	/* another vCPU mapped it */
	if (ensure_tables(mh, gpa, true))
		return -EIO;
	pa = alloc_pa(0);
	if (aug(mh, gpa & PAGE_MASK, 0, pa)) {
		__free_pages(phys_to_page(pa), 0);
		return -EIO;
	}
	mh->hpa[gfn] = pa;
	RES_INC(mh, augs_4k);
	return 0;
}

static bool can_map_2m(struct mh *mh, u64 blk)
{
	u64 i;

	if (mh->pt[blk] || mh->blk2m[blk] || mh->inhibit[blk])
		return false;
	for (i = 0; i < 512; i++)
		if (mh->shared[blk * 512 + i])
			return false;
	return true;
}

static int map_2m(struct mh *mh, u64 blk)
{
	u64 pa;

	if (ensure_tables(mh, blk << PMD_SHIFT, false))
		return -EIO;
	pa = alloc_pa(PMD_ORDER);
	if (aug(mh, blk << PMD_SHIFT, 1, pa)) {
		__free_pages(phys_to_page(pa), PMD_ORDER);
		return -EIO;
	}
	mh->blk2m[blk] = pa;
	RES_INC(mh, augs_2m);
	return 0;
}

static int block(struct mh *mh, struct mh_vcpu *self, u64 gpa, int level)
{
	u64 e1, e2, r;

	for (;;) {
		r = tdh_mem_range_block(mh->tdr, gpa, level, &e1, &e2);
		if (!tdx_operand_busy(r))
			break;
		kick_others(mh, self);
		cpu_relax();
	}
	if (r && (r & TDX_SEAMCALL_STATUS_MASK) != TDX_GPA_RANGE_ALREADY_BLOCKED) {
		mh_fail(mh, "TDH.MEM.RANGE.BLOCK(0x%llx, %d) = %s",
			(unsigned long long)gpa, level, tdx_status_name(r));
		return -EIO;
	}
	return 0;
}

/* tdx_track(): advance the epoch, then kick every vCPU out of the guest. */
static int track(struct mh *mh, struct mh_vcpu *self)
{
	u64 r;

	for (;;) {
		r = tdh_mem_track(mh->tdr);
		if (!tdx_operand_busy(r) &&
		    (r & TDX_SEAMCALL_STATUS_MASK) != TDX_PREVIOUS_TLB_EPOCH_BUSY)
			break;
		kick_others(mh, self);
		cpu_relax();
	}
	if (r) {
		mh_fail(mh, "TDH.MEM.TRACK = %s", tdx_status_name(r));
		return -EIO;
	}
	kick_others(mh, self);
	return 0;
}

/* Retry a blocked+tracked operation until the kicked vCPUs have left. */
static bool retry_tracked(struct mh *mh, struct mh_vcpu *self, u64 r)
{
	u64 code = r & TDX_SEAMCALL_STATUS_MASK;

	if (tdx_operand_busy(r) || code == TDX_TLB_TRACKING_NOT_DONE ||
	    code == TDX_INTERRUPTED_RESTARTABLE) {
		kick_others(mh, self);
		cpu_relax();
		return true;
	}
	return false;
}

static int wbinvd_range(struct mh *mh, u64 pa, u64 pages)
{
	u64 i, r;

	for (i = 0; i < pages; i++) {
		r = tdh_phymem_page_wbinvd_hkid(mh->hkid, pa + i * PAGE_SIZE);
		if (r) {
			mh_fail(mh, "TDH.PHYMEM.PAGE.WBINVD(0x%llx) = %s",
				(unsigned long long)(pa + i * PAGE_SIZE),
				tdx_status_name(r));
			return -EIO;
		}
	}
	return 0;
}

static int remove_leaf(struct mh *mh, struct mh_vcpu *self, u64 gpa,
		       int level, u64 expect_pa)
{
	u64 e1, e2, r;

	do {
		r = tdh_mem_page_remove(mh->tdr, gpa, level, &e1, &e2);
	} while (retry_tracked(mh, self, r));
	if (r) {
		mh_fail(mh, "TDH.MEM.PAGE.REMOVE(0x%llx, %d) = %s",
			(unsigned long long)gpa, level, tdx_status_name(r));
		return -EIO;
	}
	if (e1 != expect_pa) {
		mh_fail(mh, "TDH.MEM.PAGE.REMOVE(0x%llx) returned HPA 0x%llx, mapped 0x%llx",
			(unsigned long long)gpa, (unsigned long long)e1,
			(unsigned long long)expect_pa);
		return -EIO;
	}
	RES_INC(mh, removes);
	return wbinvd_range(mh, expect_pa, 1ULL << (9 * level));
}

/* Split the 2M leaf of block @blk (tdx_sept_split_private_spte()). */
static int split_2m(struct mh *mh, struct mh_vcpu *self, u64 blk)
{
	u64 gpa = blk << PMD_SHIFT, head = mh->blk2m[blk], pt, e1, e2, r, i;

	pt = alloc_misc(mh);
	if (block(mh, self, gpa, 1) || track(mh, self))
		return -EIO;
	do {
		r = tdh_mem_page_demote(mh->tdr, gpa, 1, pt, &e1, &e2);
	} while (retry_tracked(mh, self, r));
	if (r) {
		mh_fail(mh, "TDH.MEM.PAGE.DEMOTE(0x%llx) = %s",
			(unsigned long long)gpa, tdx_status_name(r));
		return -EIO;
	}
	if (split_page_block(phys_to_page(head))) {
		mh_fail(mh, "split_page_block(0x%llx) failed",
			(unsigned long long)head);
		return -EIO;
	}
	for (i = 0; i < 512; i++)
		mh->hpa[blk * 512 + i] = head + i * PAGE_SIZE;
	mh->blk2m[blk] = 0;
	mh->pt[blk] = true;
	RES_INC(mh, demotes);
	return 0;
}

/* Remove private pages of [@s, @e) (a private-to-shared conversion). */
static int unmap_private(struct mh *mh, struct mh_vcpu *self, u64 s, u64 e)
{
	u64 blk, gpa;

	for (blk = s >> PMD_SHIFT; (blk << PMD_SHIFT) < e; blk++) {
		u64 bs = max(s, blk << PMD_SHIFT);
		u64 be = min(e, (blk + 1) << PMD_SHIFT);
		bool any = false;

		if (mh->blk2m[blk]) {
			if (be - bs == SZ_2M) {
				u64 pa = mh->blk2m[blk];

				if (block(mh, self, bs, 1) || track(mh, self) ||
				    remove_leaf(mh, self, bs, 1, pa))
					return -EIO;
				__free_pages(phys_to_page(pa), PMD_ORDER);
				mh->blk2m[blk] = 0;
				continue;
			}
			/* Split first so the neighbours stay mapped. */
			if (split_2m(mh, self, blk))
				return -EIO;
		}
		for (gpa = bs; gpa < be; gpa += PAGE_SIZE) {
			if (!mh->hpa[gpa >> PAGE_SHIFT])
				continue;
			if (block(mh, self, gpa, 0))
				return -EIO;
			any = true;
		}
		if (!any)
			continue;
		if (track(mh, self))
			return -EIO;
		for (gpa = bs; gpa < be; gpa += PAGE_SIZE) {
			u64 pa = mh->hpa[gpa >> PAGE_SHIFT];

			if (!pa)
				continue;
			if (remove_leaf(mh, self, gpa, 0, pa))
				return -EIO;
			__free_pages(phys_to_page(pa), 0);
			mh->hpa[gpa >> PAGE_SHIFT] = 0;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* The shared EPT (KVM's direct root).                                     */
/* ---------------------------------------------------------------------- */

static u64 *ept_entry(u64 table, u64 gpa, int level)
{
	return (u64 *)pa_virt(table) + ((gpa >> (12 + 9 * level)) & 511);
}

static void map_shared(struct mh *mh, u64 gpa)
{
	u64 sgpa = gpa | SHARED_BIT, blk = gpa >> PMD_SHIFT, pa;

	if (mh->shpa[gpa >> PAGE_SHIFT])
		return;
	if (!mh->sh_pdpt) {
		mh->sh_pdpt = alloc_misc(mh);
		__atomic_store_n(ept_entry(mh->sh_root, sgpa, 3),
				 mh->sh_pdpt | EPT_RWX, __ATOMIC_RELEASE);
	}
	if (!mh->sh_pd) {
		mh->sh_pd = alloc_misc(mh);
		__atomic_store_n(ept_entry(mh->sh_pdpt, sgpa, 2),
				 mh->sh_pd | EPT_RWX, __ATOMIC_RELEASE);
	}
	if (!mh->sh_pt[blk]) {
		mh->sh_pt[blk] = alloc_misc(mh);
		__atomic_store_n(ept_entry(mh->sh_pd, sgpa, 1),
				 mh->sh_pt[blk] | EPT_RWX, __ATOMIC_RELEASE);
	}
	pa = alloc_pa(0);	/* zeroed */
	mh->shpa[gpa >> PAGE_SHIFT] = pa;
	__atomic_store_n(ept_entry(mh->sh_pt[blk], sgpa, 0), pa | EPT_RWX,
			 __ATOMIC_RELEASE);
}

static void unmap_shared(struct mh *mh, u64 s, u64 e)
{
	u64 gpa;

	for (gpa = s; gpa < e; gpa += PAGE_SIZE) {
		u64 pa = mh->shpa[gpa >> PAGE_SHIFT];

		if (!pa)
			continue;
		__atomic_store_n(ept_entry(mh->sh_pt[gpa >> PMD_SHIFT],
					   gpa | SHARED_BIT, 0), 0,
				 __ATOMIC_RELEASE);
		__free_pages(phys_to_page(pa), 0);
		mh->shpa[gpa >> PAGE_SHIFT] = 0;
	}
}

/* KVM_SET_MEMORY_ATTRIBUTES as the VMM does it on a conversion. */
static int convert(struct mh *mh, struct mh_vcpu *self, u64 s, u64 e,
		   bool to_shared)
{
	u64 gpa;

	if (to_shared && !mh->cfg->bug_keep_private) {
		if (unmap_private(mh, self, s, e))
			return -EIO;
	} else if (!to_shared) {
		unmap_shared(mh, s, e);
	}
	for (gpa = s; gpa < e; gpa += PAGE_SIZE)
		mh->shared[gpa >> PAGE_SHIFT] = to_shared;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Exits.                                                                  */
/* ---------------------------------------------------------------------- */

static int handle_ept(struct mh *mh, struct mh_vcpu *vc,
		      const struct tdx_module_args *x)
{
	u64 gpa = x->r8 & ~SHARED_BIT, blk = gpa >> PMD_SHIFT;
	u64 type = x->rdx & TDX_EXT_EXIT_QUAL_TYPE_MASK;
	u64 info = x->rdx >> TDX_EXT_EXIT_QUAL_INFO_SHIFT;

	if (gpa >= MH_WINDOW) {
		mh_fail(mh, "EPT violation at 0x%llx outside guest RAM",
			(unsigned long long)x->r8);
		return -EFAULT;
	}
	if (x->r8 & SHARED_BIT) {
		RES_INC(mh, shared_faults);
		/* A shared access to a private page: implicit conversion. */
		if (!mh->shared[gpa >> PAGE_SHIFT] &&
		    convert(mh, vc, gpa, gpa + PAGE_SIZE, true))
			return -EIO;
		map_shared(mh, gpa);
		return 0;
	}
	if (type == TDX_EXT_EXIT_QUAL_TYPE_PENDING_EPT_VIOLATION &&
	    !(x->rcx & EPT_VIOLATION_PROT_MASK)) {
		/* "Guest access before accepting": kvm_vm_dead(). */
		mh->res->killed = true;
		mh->res->killed_gpa = x->r8;
		__atomic_store_n(&mh->dead, true, __ATOMIC_RELEASE);
		return -EIO;
	}
	if (mh->shared[gpa >> PAGE_SHIFT] &&
	    convert(mh, vc, gpa, gpa + PAGE_SIZE, false))
		return -EIO;
	if (type == TDX_EXT_EXIT_QUAL_TYPE_ACCEPT) {
		int req = info & TDX_ACCEPT_INFO_REQ_LEVEL_MASK;

		RES_INC(mh, accept_exits);
		if (req == 0 && mh->blk2m[blk]) {
			/* tdx_honor_guest_accept_level(): split, inhibit. */
			RES_INC(mh, accept_splits);
			mh->inhibit[blk] = true;
			return split_2m(mh, vc, blk);
		}
		if (req == 1 && can_map_2m(mh, blk))
			return map_2m(mh, blk);
		if (req == 0)
			mh->inhibit[blk] = true;
		return map_4k(mh, gpa);
	}
	RES_INC(mh, ept_exits);
	if (mh->blk2m[blk] || mh->hpa[gpa >> PAGE_SHIFT])
		return 0;	/* mapped meanwhile */
	if (mh->cfg->huge && can_map_2m(mh, blk))
		return map_2m(mh, blk);
	return map_4k(mh, gpa);
}

static void handle_mapgpa(struct mh *mh, struct mh_vcpu *vc,
			  const struct tdx_module_args *x,
			  struct tdx_module_args *in)
{
	bool to_shared = x->r12 & SHARED_BIT;
	u64 s = x->r12 & ~SHARED_BIT, size = x->r13, e, stop;

	RES_INC(mh, mapgpa_exits);
	if (!IS_ALIGNED(s, PAGE_SIZE) || !IS_ALIGNED(size, PAGE_SIZE)) {
		in->r10 = TDVMCALL_STATUS_ALIGN_ERROR;
		return;
	}
	e = s + size;
	if (e < s || e > MH_WINDOW || !size) {
		in->r10 = TDVMCALL_STATUS_INVALID_OPERAND;
		return;
	}
	stop = e;
	if (mh->cfg->mapgpa_chunk && size > mh->cfg->mapgpa_chunk)
		stop = s + mh->cfg->mapgpa_chunk;
	if (convert(mh, vc, s, stop, to_shared)) {
		in->r10 = TDVMCALL_STATUS_INVALID_OPERAND;
		return;
	}
	if (stop < e) {
		RES_INC(mh, mapgpa_retries);
		in->r10 = TDVMCALL_STATUS_RETRY;
		in->r11 = stop | (to_shared ? SHARED_BIT : 0);
	} else {
		in->r10 = TDVMCALL_STATUS_SUCCESS;
	}
}

static int vcpu_thread(void *arg)
{
	struct mh_vcpu *vc = arg;
	struct mh *mh = vc->mh;
	struct tdx_module_args in = { 0 }, x;
	u64 entries = 0, r;
	bool ipi_sent = false;

	while (!mh_dead(mh)) {
		if (++entries > MAX_ENTRIES) {
			mh_fail(mh, "vCPU %u: no progress after %llu entries",
				vc->idx, (unsigned long long)MAX_ENTRIES);
			break;
		}
		x = in;
		r = tdh_vp_enter(vc->tdvpr, &x);
		if (r & TDX_STATUS_ERROR_BIT) {
			if (tdx_operand_busy(r)) {
				cpu_relax();
				continue;
			}
			mh_fail(mh, "vCPU %u: TDH.VP.ENTER = %s", vc->idx,
				tdx_status_name(r));
			break;
		}
		RES_INC(mh, entries);
		memset(&in, 0, sizeof(in));
		switch (r & 0xffffffffULL) {
		case EXIT_REASON_EXTERNAL_INTERRUPT:
			RES_INC(mh, interrupt_exits);
			break;
		case EXIT_REASON_EPT_VIOLATION:
			mutex_lock(&mh->mmu_lock);
			handle_ept(mh, vc, &x);
			mutex_unlock(&mh->mmu_lock);
			break;
		case EXIT_REASON_TDCALL:
			if (x.r11 == EXIT_REASON_HLT) {
				RES_INC(mh, halted);
				__atomic_fetch_add(&mh->nr_done, 1,
						   __ATOMIC_RELEASE);
				return 0;
			}
			if (x.r11 == TDVMCALL_MAP_GPA) {
				mutex_lock(&mh->mmu_lock);
				handle_mapgpa(mh, vc, &x, &in);
				mutex_unlock(&mh->mmu_lock);
				if (mh->cfg->ipi_after_vmcall && !ipi_sent) {
					tdx_module_send_ipi(vc->tdvpr);
					ipi_sent = true;
				}
			} else {
				in.r10 = TDVMCALL_STATUS_SUBFUNC_UNSUPPORTED;
			}
			break;
		default:
			mh_fail(mh, "vCPU %u: unexpected exit 0x%llx", vc->idx,
				(unsigned long long)r);
			break;
		}
	}
	/* The VM is dead: the others leave at their next guest operation. */
	kick_others(mh, vc);
	__atomic_fetch_add(&mh->nr_done, 1, __ATOMIC_RELEASE);
	return 0;
}

/* Interrupts arriving at the vCPUs' CPUs while they run. */
static int kicker_thread(void *arg)
{
	struct mh *mh = arg;
	unsigned int i, k;

	for (i = 0; i < mh->cfg->ipi_storm; i++) {
		if (__atomic_load_n(&mh->nr_done, __ATOMIC_ACQUIRE) ==
		    mh->nr_vcpus)
			break;
		tdx_module_send_ipi(mh->vcpus[i % mh->nr_vcpus].tdvpr);
		for (k = 0; k < 4; k++)
			cpu_relax();
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Build and teardown.                                                     */
/* ---------------------------------------------------------------------- */

static int build_td(struct mh *mh)
{
	const struct mh_config *cfg = mh->cfg;
	struct tdx_sys_info si;
	struct td_params *tp;
	u64 params, ext, r;
	unsigned int i, k;

	if (tdx_get_sysinfo(&si))
		return -ENODEV;
	mh->hkid = tdx_guest_keyid_alloc();
	if (mh->hkid <= 0)
		return -ENOSPC;
	mh->tdr = alloc_misc(mh);
	r = tdh_mng_create(mh->tdr, mh->hkid);
	if (!r)
		r = tdh_mng_key_config(mh->tdr);
	for (i = 0; !r && i < tdx_nr_tdcs_pages(); i++)
		r = tdh_mng_addcx(mh->tdr, alloc_misc(mh));
	if (r) {
		mh_fail(mh, "TD creation: %s", tdx_status_name(r));
		return -EIO;
	}
	params = alloc_misc(mh);
	tp = pa_virt(params);
	memset(tp, 0, sizeof(*tp));
	tp->attributes = cfg->no_sept_ve_disable ? 0 :
			 TDX_TD_ATTR_SEPT_VE_DISABLE;
	tp->xfam = si.xfam_fixed1;
	tp->max_vcpus = mh->nr_vcpus;
	tp->eptp_controls = TDX_EPTP_MT_WB | TDX_EPTP_PWL_4;
	tp->tsc_frequency = 100;
	r = tdh_mng_init(mh->tdr, params, &ext);
	if (r) {
		mh_fail(mh, "TDH.MNG.INIT = %s (field 0x%llx)",
			tdx_status_name(r), (unsigned long long)ext);
		return -EIO;
	}
	mh->sh_root = alloc_misc(mh);
	for (i = 0; i < mh->nr_vcpus; i++) {
		struct mh_vcpu *vc = &mh->vcpus[i];

		vc->mh = mh;
		vc->idx = i;
		vc->tdvpr = alloc_misc(mh);
		r = tdh_vp_create(mh->tdr, vc->tdvpr);
		for (k = 0; !r && k < tdx_nr_tdcx_pages(); k++)
			r = tdh_vp_addcx(vc->tdvpr, alloc_misc(mh));
		if (!r)
			r = tdh_vp_init(vc->tdvpr, cfg->hob_gpa, i);
		if (!r)
			r = tdh_vp_wr(vc->tdvpr, TDVPS_SHARED_EPT_POINTER,
				      mh->sh_root, ~0ULL);
		if (r) {
			mh_fail(mh, "vCPU %u creation: %s", i,
				tdx_status_name(r));
			return -EIO;
		}
		tdx_module_set_guest(vc->tdvpr, tdxsim_guest_ops(),
				     tdxsim_guest_vcpu(mh->g, i));
	}
	if (cfg->hob) {
		u64 src = alloc_misc(mh), page = alloc_pa(0), e1, e2;

		memcpy(pa_virt(src), cfg->hob, cfg->hob_len);
		if (ensure_tables(mh, cfg->hob_gpa, true))
			return -EIO;
		r = tdh_mem_page_add(mh->tdr, cfg->hob_gpa & PAGE_MASK, page,
				     src, &e1, &e2);
		if (r) {
			mh_fail(mh, "TDH.MEM.PAGE.ADD = %s", tdx_status_name(r));
			return -EIO;
		}
		mh->hpa[cfg->hob_gpa >> PAGE_SHIFT] = page;
	}
	r = tdh_mr_finalize(mh->tdr);
	if (r) {
		mh_fail(mh, "TDH.MR.FINALIZE = %s", tdx_status_name(r));
		return -EIO;
	}
	for (i = 0; i < cfg->nr_premap; i++)
		if (map_2m(mh, cfg->premap_2m[i] >> PMD_SHIFT))
			return -EIO;
	return 0;
}

static void teardown(struct mh *mh)
{
	u64 i;

	/* The module forgets the TD; then the host frees what it allocated. */
	tdx_module_exit();
	if (mh->hkid > 0)
		tdx_guest_keyid_free(mh->hkid);
	for (i = 0; i < NBLK; i++)
		if (mh->blk2m[i])
			__free_pages(phys_to_page(mh->blk2m[i]), PMD_ORDER);
	for (i = 0; i < NPAGES; i++) {
		if (mh->hpa[i])
			__free_pages(phys_to_page(mh->hpa[i]), 0);
		if (mh->shpa[i])
			__free_pages(phys_to_page(mh->shpa[i]), 0);
	}
	for (i = 0; i < mh->nr_misc; i++)
		__free_pages(phys_to_page(mh->misc[i]), 0);
	free(mh->misc);
	free(mh->hpa);
	free(mh->shared);
	free(mh->shpa);
	mutex_destroy(&mh->mmu_lock);
}

static int run_vcpus(void *arg)
{
	struct mh *mh = arg;
	struct task *kicker = NULL;
	unsigned int i;

	if (mh->cfg->ipi_storm)
		kicker = task_create("kicker", kicker_thread, mh);
	for (i = 0; i < mh->nr_vcpus; i++) {
		char name[32];

		snprintf(name, sizeof(name), "vcpu%u", i);
		mh->vcpus[i].task = task_create(name, vcpu_thread,
						&mh->vcpus[i]);
	}
	for (i = 0; i < mh->nr_vcpus; i++)
		task_join(mh->vcpus[i].task);
	if (kicker)
		task_join(kicker);
	return 0;
}

int mh_run(const struct mh_config *cfg, struct tdxsim_guest_model *g,
	   struct mh_result *res)
{
	struct mh *mh = xzalloc(sizeof(*mh));
	int ret;

	memset(res, 0, sizeof(*res));
	mh->cfg = cfg;
	mh->res = res;
	mh->g = g;
	mh->nr_vcpus = cfg->nr_vcpus ? cfg->nr_vcpus : 1;
	if (mh->nr_vcpus > MH_MAX_VCPUS ||
	    mh->nr_vcpus != tdxsim_guest_nr_vcpus(g)) {
		free(mh);
		return -EINVAL;
	}
	mh->hpa = xzalloc(NPAGES * sizeof(u64));
	mh->shpa = xzalloc(NPAGES * sizeof(u64));
	mh->shared = xzalloc(NPAGES * sizeof(bool));
	mutex_init(&mh->mmu_lock);
	ret = tdx_module_init(NULL);
	if (ret) {
		free(mh->hpa);
		free(mh->shpa);
		free(mh->shared);
		free(mh);
		return ret;
	}
	ret = build_td(mh);
	if (!ret) {
		if (cfg->deterministic) {
			struct sched_config sc;
			struct sched_result sr;

			sched_config_init(&sc);
			sc.mode = SCHED_MODE_DETERMINISTIC;
			sc.seed = cfg->sched_seed;
			sc.max_steps = 50000000;
			ret = sched_run(&sc, run_vcpus, mh, &sr);
			res->sched_verdict = sr.verdict;
		} else {
			ret = run_vcpus(mh);
		}
	}
	teardown(mh);
	free(mh);
	return ret;
}
