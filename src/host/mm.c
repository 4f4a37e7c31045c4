// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The process's mm: mmap_lock, the VMAs of tdxsim's mappings, user copies
 * and get_user_pages_fast() (a bounce-page model of pinning, see mm.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "base/page_alloc.h"
#include "ulib/strbuf.h"
#include "host/fs.h"

#include "host/mm.h"

static struct mm_struct process_mm;
static pthread_once_t process_mm_once = PTHREAD_ONCE_INIT;

static void mm_init_once(void)
{
	struct mm_struct *mm = &process_mm;

	init_rwsem(&mm->mmap_lock);
	INIT_LIST_HEAD(&mm->vmas);
}

struct mm_struct *current_mm(void)
{
	pthread_once(&process_mm_once, mm_init_once);
	return &process_mm;
}

struct vm_area_struct *find_vma(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *vma;

	lockdep_assert_held(&mm->mmap_lock);
	list_for_each_entry(vma, &mm->vmas, node) {
		if (addr >= vma->vm_start && addr < vma->vm_end)
			return vma;
	}
	return NULL;
}

void *mm_insert_vma(struct mm_struct *mm, struct file *file, size_t len,
		    unsigned long vm_flags, u64 pgoff,
		    const struct vm_operations_struct *ops, void *direct)
{
	struct vm_area_struct *vma;
	void *addr = direct;

	if (!addr) {
		/* Address space only: a direct access must fault. */
		addr = mmap(NULL, len, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (addr == MAP_FAILED)
			return (void *)(intptr_t)-ENOMEM;
	}
	vma = xzalloc(sizeof(*vma));
	vma->vm_start = (unsigned long)addr;
	vma->vm_end = vma->vm_start + len;
	vma->vm_flags = vm_flags;
	vma->vm_pgoff = pgoff;
	vma->vm_file = get_file(file);
	vma->vm_ops = ops;
	vma->vm_direct = direct;

	mmap_write_lock(mm);
	list_add(&vma->node, &mm->vmas);
	mmap_write_unlock(mm);
	return addr;
}

int mm_remove_vma(struct mm_struct *mm, unsigned long addr, size_t len)
{
	struct vm_area_struct *vma, *found = NULL;

	mmap_write_lock(mm);
	list_for_each_entry(vma, &mm->vmas, node) {
		if (vma->vm_start == addr && vma->vm_end - vma->vm_start == len) {
			found = vma;
			list_del(&vma->node);
			break;
		}
	}
	mmap_write_unlock(mm);
	if (!found)
		return -EINVAL;
	if (!found->vm_direct)
		munmap((void *)found->vm_start, len);
	fput(found->vm_file);
	free(found);
	return 0;
}

static bool user_range_faults(const void *p, unsigned long n)
{
	unsigned long a = (unsigned long)p;

	return a < MMAP_MIN_ADDR || a + n < a;
}

unsigned long copy_from_user(void *to, const void *from, unsigned long n)
{
	if (user_range_faults(from, n))
		return n;
	memcpy(to, from, n);
	return 0;
}

unsigned long copy_to_user(void *to, const void *from, unsigned long n)
{
	if (user_range_faults(to, n))
		return n;
	memcpy(to, from, n);
	return 0;
}

/* One page of GUP: fault it through its VMA or bounce plain memory. */
static struct page *gup_one(struct mm_struct *mm, unsigned long addr,
			    unsigned int gup_flags, int *err)
{
	struct vm_area_struct *vma = find_vma(mm, addr);
	struct page *page;

	if (vma && vma->vm_ops && vma->vm_ops->fault) {
		if ((gup_flags & FOLL_WRITE) && !(vma->vm_flags & VM_WRITE)) {
			*err = -EFAULT;
			return NULL;
		}
		return vma->vm_ops->fault(vma, vma->vm_pgoff +
					  (addr - vma->vm_start) / PAGE_SIZE,
					  gup_flags & FOLL_WRITE, err);
	}
	page = alloc_page();
	if (!page) {
		*err = -ENOMEM;
		return NULL;
	}
	memcpy(page_address(page), (void *)addr, PAGE_SIZE);
	return page;
}

long get_user_pages_fast(unsigned long start, int nr_pages,
			 unsigned int gup_flags, struct page **pages)
{
	struct mm_struct *mm = current_mm();
	int i, err = 0;

	if (nr_pages <= 0)
		return 0;
	start &= PAGE_MASK;
	mmap_read_lock(mm);
	for (i = 0; i < nr_pages; i++) {
		unsigned long addr = start + (unsigned long)i * PAGE_SIZE;

		if (addr < MMAP_MIN_ADDR || addr >= TASK_SIZE_MAX) {
			err = -EFAULT;
			break;
		}
		pages[i] = gup_one(mm, addr, gup_flags, &err);
		if (!pages[i])
			break;
	}
	mmap_read_unlock(mm);
	return i ? i : err;
}
