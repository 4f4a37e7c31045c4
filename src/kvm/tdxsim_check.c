// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tdxsim's addition, the invariant checker: KVM's mirror root against the
 * TDX module's view (TDXSIM_CHECK_INVARIANTS; the kernel has no such check).
 *
 * KVM itself only learns about the S-EPT from SEAMCALL results; the checker
 * is a diagnostic that may also read the module's PAMT through the
 * "hardware" query tdx_module_pamt_query() (what a debug PAMT dump would
 * show). It reports, for a quiescent VM:
 *  - a present mirror leaf whose pfn the module does not hold as a guest
 *    page of this TD at that GPA and size (unless it is premapped, and then
 *    it is counted against nr_premapped);
 *  - a mirror page table whose S-EPT page the module does not hold;
 *  - pages the module holds for the TD that no mirror entry accounts for
 *    (an S-EPT entry without its mirror entry);
 *  - a mirror leaf pfn that is not guest_memfd's page at that gfn;
 *  - a direct-root leaf that maps a private gfn;
 *  - with in-place conversion (gmem_in_place), a page guest_memfd holds
 *    private that something besides its page cache still references (a
 *    host pin kept across a to-private conversion).
 */
#include <errno.h>

#include "ulib/strbuf.h"
#include "kvm/guest_memfd.h"
#include "kvm/kvm_host.h"
#include "kvm/tdp_mmu.h"
#include "kvm/tdx.h"
#include "kvm/tdxsim_ctl.h"
#include "seam/diag.h"

struct check_ctx {
	struct kvm *kvm;
	struct kvm_tdx *kvm_tdx;
	struct strbuf *sb;
	int errors;
	u64 reg_pages;		/* 4K units of guest pages the mirror accounts for */
	u64 premapped;
	u64 tables;
};

static __printf(2, 3) void check_err(struct check_ctx *c, const char *fmt, ...)
{
	va_list ap;

	c->errors++;
	sb_printf(c->sb, "  invariant: ");
	va_start(ap, fmt);
	sb_vprintf(c->sb, fmt, ap);
	va_end(ap);
	sb_printf(c->sb, "\n");
}

static void check_gmem_backing(struct check_ctx *c, gfn_t gfn, int level,
			       kvm_pfn_t pfn)
{
	struct kvm_memory_slot *slot = gfn_to_memslot(c->kvm, gfn);
	struct page *head;
	u64 index, mask;

	if (!slot || !kvm_slot_has_gmem(slot) || !slot->gmem.file) {
		check_err(c, "mirror leaf gfn 0x%llx has no guest_memfd slot",
			  (unsigned long long)gfn);
		return;
	}
	index = gfn - slot->base_gfn + slot->gmem.pgoff;
	head = kvm_gmem_peek_folio(slot->gmem.file, index);
	if (!head) {
		check_err(c, "mirror leaf gfn 0x%llx -> pfn 0x%llx: guest_memfd has no folio at index 0x%llx",
			  (unsigned long long)gfn, (unsigned long long)pfn,
			  (unsigned long long)index);
		return;
	}
	/*
	 * The folio head plus the page's offset in it must be the pfn. (A
	 * check run while a hole punch splits the folio reads its order once.)
	 */
	mask = (1ULL << READ_ONCE(head->order)) - 1;
	if (page_to_pfn(head) + (index & mask) != pfn)
		check_err(c, "mirror leaf gfn 0x%llx -> pfn 0x%llx, but guest_memfd holds pfn 0x%llx there",
			  (unsigned long long)gfn, (unsigned long long)pfn,
			  (unsigned long long)(page_to_pfn(head) + (index & mask)));
}

static void check_mirror_leaf(void *arg, gfn_t gfn, int level, u64 spte)
{
	struct check_ctx *c = arg;
	kvm_pfn_t pfn = spte_to_pfn(spte);
	u64 tdr = tdx_tdr_pa(c->kvm_tdx);
	struct tdx_pamt_info info;
	gfn_t i;

	check_gmem_backing(c, gfn, level, pfn);
	/*
	 * In-place conversion: guest_memfd's attributes say what the private
	 * root may map (a fault that maps what a conversion to shared made
	 * shared meanwhile breaks it: series-gmem-inplace.md §5 G3).
	 */
	for (i = 0; kvm_gmem_in_place(c->kvm) &&
		    i < KVM_PAGES_PER_HPAGE(level); i++) {
		if (!kvm_mem_is_private(c->kvm, gfn + i)) {
			check_err(c, "the mirror (private) root maps gfn 0x%llx, which guest_memfd holds shared",
				  (unsigned long long)(gfn + i));
			break;
		}
	}
	if (tdx_module_pamt_query(pfn << PAGE_SHIFT, &info)) {
		check_err(c, "mirror leaf gfn 0x%llx -> pfn 0x%llx outside the PFN space",
			  (unsigned long long)gfn, (unsigned long long)pfn);
		return;
	}
	if (info.pt == TDX_PT_NDA) {
		if (c->kvm_tdx->state != TD_STATE_RUNNABLE &&
		    c->kvm->design.populate != TDXSIM_POPULATE_MAP_PFN &&
		    level == PG_LEVEL_4K) {
			/* Premapped: PAGE.ADD comes after the mapping. */
			c->premapped++;
			return;
		}
		check_err(c, "mirror leaf gfn 0x%llx level %d -> pfn 0x%llx has no S-EPT leaf (the module does not own the page)",
			  (unsigned long long)gfn, level,
			  (unsigned long long)pfn);
		return;
	}
	if (info.pt != TDX_PT_REG || info.owner != tdr ||
	    info.gpa != (gfn << PAGE_SHIFT) || info.size != level - 1) {
		check_err(c, "mirror leaf gfn 0x%llx level %d -> pfn 0x%llx, but the module has type %u owner 0x%llx gpa 0x%llx size %u",
			  (unsigned long long)gfn, level,
			  (unsigned long long)pfn, info.pt,
			  (unsigned long long)info.owner,
			  (unsigned long long)info.gpa, info.size);
		return;
	}
	c->reg_pages += KVM_PAGES_PER_HPAGE(level);
}

static void check_mirror_table(void *arg, struct kvm_mmu_page *sp)
{
	struct check_ctx *c = arg;
	struct tdx_pamt_info info;
	u64 pa;

	c->tables++;
	if (!sp || !sp->external_spt) {
		check_err(c, "mirror page table at gfn 0x%llx has no S-EPT page",
			  sp ? (unsigned long long)sp->gfn : 0ULL);
		return;
	}
	pa = page_to_phys(virt_to_page(sp->external_spt));
	if (tdx_module_pamt_query(pa, &info) || info.pt != TDX_PT_EPT ||
	    info.owner != tdx_tdr_pa(c->kvm_tdx))
		check_err(c, "mirror page table at gfn 0x%llx level %d: its S-EPT page 0x%llx is not an S-EPT page of this TD (type %u)",
			  (unsigned long long)sp->gfn, sp->role.level,
			  (unsigned long long)pa, info.pt);
}

static void check_direct_leaf(void *arg, gfn_t gfn, int level, u64 spte)
{
	struct check_ctx *c = arg;
	gfn_t i;

	for (i = 0; i < KVM_PAGES_PER_HPAGE(level); i++)
		if (kvm_mem_is_private(c->kvm, gfn + i)) {
			check_err(c, "the direct (shared) root maps private gfn 0x%llx",
				  (unsigned long long)(gfn + i));
			return;
		}
}

/* In-place conversion: no private guest_memfd page is referenced. */
static void check_gmem_private_refs(struct check_ctx *c)
{
	struct kvm_memslots *slots;
	int i;

	/* TDX's own reference per mapped page (pin_pages=on) is allowed. */
	if (!kvm_gmem_in_place(c->kvm) || READ_ONCE(c->kvm->design.pin_pages))
		return;
	rcu_read_lock();
	slots = kvm_memslots(c->kvm);
	for (i = 0; i < slots->nr; i++) {
		struct kvm_memory_slot *slot = slots->slots[i];
		u64 index = slot->gmem.pgoff, end = index + slot->npages;
		struct file *file;

		if (!kvm_slot_has_gmem(slot))
			continue;
		file = kvm_gmem_get_file(slot);
		if (!file)
			continue;
		while (kvm_gmem_find_referenced_private(file, &index) &&
		       index < end) {
			check_err(c, "guest_memfd page 0x%llx (gfn 0x%llx) is private but still referenced besides the page cache",
				  (unsigned long long)index,
				  (unsigned long long)(slot->base_gfn + index -
						       slot->gmem.pgoff));
			index++;
		}
		fput(file);
	}
	rcu_read_unlock();
}

int tdxsim_check_invariants(struct kvm *kvm, struct strbuf *sb)
{
	struct kvm_tdx *kvm_tdx = to_kvm_tdx(kvm);
	struct check_ctx c = { .kvm = kvm, .kvm_tdx = kvm_tdx, .sb = sb };
	u64 owned, expected;
	int i, n;

	if (!kvm_tdx || !kvm_tdx->td_created || !is_hkid_assigned(kvm_tdx))
		return 0;

	read_lock(&kvm->mmu_lock);
	kvm_tdp_mmu_for_each_leaf(kvm, true, 0, kvm->arch.gfn_direct_bits,
				  check_mirror_leaf, &c);
	kvm_tdp_mmu_for_each_table(kvm, true, check_mirror_table, &c);
	kvm_tdp_mmu_for_each_leaf(kvm, false, 0, kvm->arch.gfn_direct_bits,
				  check_direct_leaf, &c);
	read_unlock(&kvm->mmu_lock);
	check_gmem_private_refs(&c);

	if (kvm->design.premap_count &&
	    (u64)atomic64_read(&kvm_tdx->nr_premapped) != c.premapped)
		check_err(&c, "nr_premapped is %lld but %llu mirror leaves have no S-EPT leaf",
			  (long long)atomic64_read(&kvm_tdx->nr_premapped),
			  (unsigned long long)c.premapped);

	/* Everything the module holds for the TD must be accounted for. */
	expected = 1 + kvm_tdx->nr_tdcs_added + c.tables + c.reg_pages;
	n = atomic_read(&kvm->online_vcpus);
	for (i = 0; i < n; i++) {
		struct vcpu_tdx *tdx = to_tdx(kvm->vcpus[i]);

		if (tdx && tdx->created)
			expected += 1 + tdx->nr_tdcx_added;
	}
	owned = tdx_module_pages_owned(tdx_tdr_pa(kvm_tdx));
	if (owned != expected)
		check_err(&c, "the module holds %llu pages for this TD, KVM accounts for %llu (control pages, %llu S-EPT tables, %llu guest pages)",
			  (unsigned long long)owned,
			  (unsigned long long)expected,
			  (unsigned long long)c.tables,
			  (unsigned long long)c.reg_pages);
	return c.errors;
}
