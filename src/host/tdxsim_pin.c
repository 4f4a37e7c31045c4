// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tdxsim's addition: a host reference on guest_memfd pages, the way a GUP
 * pin holds them (a device's DMA, vhost, CONFIG_GUP_TEST's
 * PIN_LONGTERM_TEST_START in the in-place conversion selftests). The
 * pages come through get_user_pages_fast(), so through guest_memfd's fault
 * handler with the folio reference it hands out; they stay referenced
 * until tdxsim_host_unpin(), and a write through the pin reaches the page
 * whatever guest_memfd has made of it since, as DMA would.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/page_alloc.h"
#include "host/fs.h"
#include "host/mm.h"
#include "tdxsim/tdxsim.h"

struct tdxsim_host_pin {
	unsigned long start;		/* the first page's address */
	size_t off;			/* @addr's offset in the first page */
	size_t len;
	long nr;
	struct page *pages[];
};

/* Is every page of [start, end) in one of tdxsim's file mappings? */
static bool pin_range_is_mapped_file(unsigned long start, unsigned long end)
{
	struct mm_struct *mm = current_mm();
	unsigned long a;
	bool ok = true;

	mmap_read_lock(mm);
	for (a = start; ok && a < end; a += PAGE_SIZE) {
		struct vm_area_struct *vma = find_vma(mm, a);

		ok = vma && vma->vm_ops && vma->vm_ops->fault;
	}
	mmap_read_unlock(mm);
	return ok;
}

int tdxsim_host_pin(void *addr, size_t len, bool write,
		    struct tdxsim_host_pin **pinp)
{
	unsigned long a = (unsigned long)addr;
	unsigned long start = a & PAGE_MASK;
	unsigned long end = ALIGN(a + len, PAGE_SIZE);
	struct tdxsim_host_pin *pin;
	long n, nr;

	*pinp = NULL;
	if (!len || a + len < a)
		return -EINVAL;
	if (!pin_range_is_mapped_file(start, end))
		return -EFAULT;
	nr = (end - start) / PAGE_SIZE;
	pin = calloc(1, sizeof(*pin) + nr * sizeof(pin->pages[0]));
	if (!pin)
		return -ENOMEM;
	n = get_user_pages_fast(start, nr, write ? FOLL_WRITE : 0, pin->pages);
	task_work_run();
	if (n < nr) {
		while (n > 0)
			put_page(pin->pages[--n]);
		free(pin);
		return n < 0 ? (int)n : -EFAULT;
	}
	pin->start = start;
	pin->off = a - start;
	pin->len = len;
	pin->nr = nr;
	*pinp = pin;
	return 0;
}

int tdxsim_host_pin_write(struct tdxsim_host_pin *pin, size_t off,
			  const void *buf, size_t len)
{
	size_t done = 0;

	if (off > pin->len || len > pin->len - off)
		return -EINVAL;
	off += pin->off;
	while (done < len) {
		size_t o = (off + done) & (PAGE_SIZE - 1);
		size_t n = min(len - done, PAGE_SIZE - o);
		struct page *page = pin->pages[(off + done) / PAGE_SIZE];

		memcpy((u8 *)page_address(page) + o, (const u8 *)buf + done, n);
		page_mark_written(page);
		done += n;
	}
	return 0;
}

void tdxsim_host_unpin(struct tdxsim_host_pin *pin)
{
	long i;

	if (!pin)
		return;
	for (i = 0; i < pin->nr; i++)
		put_page(pin->pages[i]);
	free(pin);
}
