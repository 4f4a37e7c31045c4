// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Page tables of tdxsim's mappings (mm/memory.c's part of them): a CPU
 * access's fault (handle_mm_fault()), the page it maps (finish_fault())
 * and the zap that takes it away again (zap_page_range_single() under
 * unmap_mapping_range()). See host/mm.h.
 *
 * A guest_memfd mapping is reserved address space (PROT_NONE). Where the
 * PFN space is a memfd (phys_mem_aliasable()), a fault maps the page's
 * bytes at the faulting address with MAP_SHARED | MAP_FIXED, so the
 * program and tdxsim see the same bytes; a zap maps PROT_NONE anonymous
 * memory over it again. A VMA's bitmap says which of its pages are
 * mapped (vm_ptes, under the mm's vma_lock), so that a zap touches only
 * those; mm->nr_ptes lets every unmap skip the walk while nothing is.
 * A mapped page holds no reference: every path that frees a file page or
 * makes it private zaps it first (host/mm.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "base/atomic.h"
#include "base/log.h"
#include "base/page_alloc.h"
#include "host/fs.h"
#include "host/mm.h"

#define BITS_PER_LONG		64
#define BITS_TO_LONGS(n)	(((n) + BITS_PER_LONG - 1) / BITS_PER_LONG)

static u64 vma_nr_pages(const struct vm_area_struct *vma)
{
	return (vma->vm_end - vma->vm_start) >> PAGE_SHIFT;
}

/* Address space only again at [@addr, @addr + @len): a later access faults. */
static void zap_range(unsigned long addr, size_t len)
{
	if (mmap((void *)addr, len, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1,
		 0) != MAP_FAILED)
		return;
	/* Out of mappings: still inaccessible, the next fault maps again. */
	if (mprotect((void *)addr, len, PROT_NONE))
		BUG();
}

/* vma_lock held: zap @vma's mapped pages among [@first, @last). */
static void vma_zap(struct mm_struct *mm, struct vm_area_struct *vma,
		    u64 first, u64 last)
{
	u64 i = first, run;

	while (i < last && vma->vm_nr_ptes) {
		if (!(i % BITS_PER_LONG) && i + BITS_PER_LONG <= last &&
		    !vma->vm_ptes[i / BITS_PER_LONG]) {
			i += BITS_PER_LONG;
			continue;
		}
		if (!test_bit(i, vma->vm_ptes)) {
			i++;
			continue;
		}
		for (run = i; run < last && test_bit(run, vma->vm_ptes); run++)
			clear_bit(run, vma->vm_ptes);
		zap_range(vma->vm_start + (i << PAGE_SHIFT),
			  (run - i) << PAGE_SHIFT);
		vma->vm_nr_ptes -= run - i;
		__atomic_sub_fetch(&mm->nr_ptes, run - i, __ATOMIC_RELAXED);
		i = run;
	}
}

void mm_zap_file_pages(struct mm_struct *mm, const void *mapping, u64 start,
		       u64 end)
{
	struct vm_area_struct *vma;

	/*
	 * A page mapped before the caller's lock (the invalidate lock, the
	 * folio lock) was taken is counted here already.
	 */
	if (!__atomic_load_n(&mm->nr_ptes, __ATOMIC_RELAXED))
		return;
	spin_lock(&mm->vma_lock);
	list_for_each_entry(vma, &mm->vmas, node) {
		u64 first = vma->vm_pgoff, last = first + vma_nr_pages(vma);

		if (!vma->vm_nr_ptes || !vma->vm_file ||
		    vma->vm_file->f_mapping != mapping || last <= start ||
		    first >= end)
			continue;
		vma_zap(mm, vma, max(first, start) - first,
			min(last, end) - first);
	}
	spin_unlock(&mm->vma_lock);
}

/*
 * mmap_lock held for write, vma_lock held: @vma is leaving the list, so
 * no zap finds it any more: its pages go now (munmap() follows).
 */
void mm_forget_ptes(struct mm_struct *mm, struct vm_area_struct *vma)
{
	vma_zap(mm, vma, 0, vma_nr_pages(vma));
	free(vma->vm_ptes);
	vma->vm_ptes = NULL;
}

/* Copy bits [@from, @from + @nr) of @src to @dst from bit 0; their count. */
static u64 ptes_copy(const unsigned long *src, u64 from, u64 nr,
		     unsigned long *dst)
{
	u64 i, n = 0;

	for (i = 0; i < nr; i++) {
		if (test_bit(from + i, src)) {
			set_bit(i, dst);
			n++;
		}
	}
	return n;
}

void mm_split_ptes(struct mm_struct *mm, struct vm_area_struct *vma,
		   u64 first, u64 last, unsigned long *head, u64 *nr_head,
		   unsigned long *tail, u64 *nr_tail)
{
	*nr_head = *nr_tail = 0;
	if (!vma->vm_ptes)
		return;
	vma_zap(mm, vma, first, last);
	if (head)
		*nr_head = ptes_copy(vma->vm_ptes, 0, first, head);
	if (tail)
		*nr_tail = ptes_copy(vma->vm_ptes, last,
				     vma_nr_pages(vma) - last, tail);
}

void finish_fault(struct vm_fault *vmf, struct page *page)
{
	struct vm_area_struct *vma = vmf->vma;
	struct mm_struct *mm = current_mm();
	unsigned long *ptes;
	int prot = 0;
	u64 i;

	/* A poisoned page is never mapped (__do_fault() refuses it). */
	if (!vmf->address || vma->vm_direct || !phys_mem_aliasable() ||
	    PageHWPoison(page))
		return;
	i = (vmf->address - vma->vm_start) >> PAGE_SHIFT;
	if (vma->vm_flags & VM_READ)
		prot |= PROT_READ;
	if (vma->vm_flags & VM_WRITE) {
		/* The program may write it from now on. */
		prot |= PROT_WRITE;
		page_mark_written(page);
	}
	ptes = READ_ONCE(vma->vm_ptes) ? NULL :
	       calloc(BITS_TO_LONGS(vma_nr_pages(vma)), sizeof(long));
	spin_lock(&mm->vma_lock);
	if (!vma->vm_ptes) {
		vma->vm_ptes = ptes;
		ptes = NULL;
	}
	if (vma->vm_ptes && !test_bit(i, vma->vm_ptes) &&
	    !phys_mem_map_at((void *)(vmf->address & PAGE_MASK),
			     page_to_pfn(page), 1, prot)) {
		set_bit(i, vma->vm_ptes);
		vma->vm_nr_ptes++;
		__atomic_add_fetch(&mm->nr_ptes, 1, __ATOMIC_RELAXED);
	}
	vmf->mapped = vma->vm_ptes && test_bit(i, vma->vm_ptes);
	spin_unlock(&mm->vma_lock);
	free(ptes);
}

struct page *__do_fault(struct vm_fault *vmf, int *err)
{
	struct page *page = vmf->vma->vm_ops->fault(vmf, err);

	if (page && PageHWPoison(page)) {
		put_page(page);
		*err = -EHWPOISON;
		return NULL;
	}
	return page;
}

int mm_handle_user_fault(struct mm_struct *mm, unsigned long addr, bool write)
{
	struct vm_fault vmf = { .address = addr & PAGE_MASK, .write = write };
	struct vm_area_struct *vma;
	struct page *page;
	int err = 0, r;

	mmap_read_lock(mm);
	vma = find_vma(mm, addr);
	if (!vma || vma->vm_direct || !vma->vm_ops || !vma->vm_ops->fault ||
	    !(vma->vm_flags & VM_READ) ||
	    (write && !(vma->vm_flags & VM_WRITE))) {
		r = -EACCES;
		goto out;
	}
	vmf.vma = vma;
	vmf.pgoff = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
	page = __do_fault(&vmf, &err);
	if (!page) {
		r = err ? err : -EFAULT;
		goto out;
	}
	put_page(page);
	r = vmf.mapped ? 0 : -EOPNOTSUPP;
out:
	mmap_read_unlock(mm);
	return r;
}
