// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The process's mm: mmap_lock, the VMAs of tdxsim's mappings, user copies
 * and get_user_pages_fast() (a bounce-page model of pinning, see mm.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base/atomic.h"
#include "base/page_alloc.h"
#include "base/sched.h"
#include "ulib/strbuf.h"
#include "host/fs.h"

#include "host/mm.h"
#include "host/user_copy_check.h"
#include "base/log.h"
#include "base/sched.h"

static struct mm_struct process_mm;
static pthread_once_t process_mm_once = PTHREAD_ONCE_INIT;

static void mm_init_once(void)
{
	struct mm_struct *mm = &process_mm;

	init_rwsem(&mm->mmap_lock);
	INIT_LIST_HEAD(&mm->vmas);
	spin_lock_init(&mm->vma_lock);
	mutex_init(&mm->notifier_lock);
	INIT_LIST_HEAD(&mm->notifiers);
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

/*
 * Where a new mapping of @len bytes goes: on a boundary of the largest page
 * size it can hold (1G, 2M, else 4K), as a hugetlbfs or THP-aware
 * get_unmapped_area() places it. KVM reads that alignment: a memslot whose
 * userspace_addr and base gfn disagree modulo a level never maps at that
 * level (kvm_alloc_memslot_metadata()), private memory included. The
 * address the host's own mmap() picks is the machine's choice (its kernel
 * version: 6.7+ aligns anonymous mappings of 2M multiples; valgrind; ASan),
 * so left to it a replay's 2M-or-4K decisions, and its trace, would depend
 * on where it runs (issue 14). Returns a PROT_NONE reservation of @len
 * bytes there, or MAP_FAILED.
 */
static u8 *mm_unmapped_area(size_t len)
{
	size_t align = len >= SZ_1G ? SZ_1G : len >= SZ_2M ? SZ_2M : PAGE_SIZE;
	size_t slack = align - PAGE_SIZE;
	u8 *raw, *addr;

	raw = mmap(NULL, len + slack, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED)
		return raw;
	addr = (u8 *)ALIGN((uintptr_t)raw, align);
	if (addr > raw)
		munmap(raw, addr - raw);
	if (addr + len < raw + len + slack)
		munmap(addr + len, raw + slack - addr);
	return addr;
}

void *mm_insert_vma(struct mm_struct *mm, struct file *file, size_t len,
		    unsigned long vm_flags, u64 pgoff,
		    const struct vm_operations_struct *ops, void *direct)
{
	struct vm_area_struct *vma;
	void *addr = NULL;

	/* The same pages again, mapped where they were last time (kept). */
	if (direct)
		addr = ubuf_alias_get(direct, len);
	if (!addr) {
		/* Address space only: a direct access must fault ... */
		addr = mm_unmapped_area(len);
		/* ... unless it is the same pages again (old size 0: a copy). */
		if (addr != MAP_FAILED && direct &&
		    ubuf_dup(direct, len, addr) == MAP_FAILED) {
			munmap(addr, len);
			addr = MAP_FAILED;
		}
	}
	if (addr == MAP_FAILED)
		return (void *)(intptr_t)-ENOMEM;
	vma = xzalloc(sizeof(*vma));
	vma->vm_start = (unsigned long)addr;
	vma->vm_end = vma->vm_start + len;
	vma->vm_flags = vm_flags;
	vma->vm_pgoff = pgoff;
	vma->vm_file = get_file(file);
	vma->vm_ops = ops;
	vma->vm_direct = direct;

	mmap_write_lock(mm);
	spin_lock(&mm->vma_lock);
	vma->vm_seq = ++mm->vma_seq;
	list_add(&vma->node, &mm->vmas);
	spin_unlock(&mm->vma_lock);
	mmap_write_unlock(mm);
	return addr;
}

void mmu_notifier_register(struct mmu_notifier *mn, struct mm_struct *mm)
{
	mutex_lock(&mm->notifier_lock);
	list_add_tail(&mn->node, &mm->notifiers);
	mutex_unlock(&mm->notifier_lock);
}

void mmu_notifier_unregister(struct mmu_notifier *mn, struct mm_struct *mm)
{
	mutex_lock(&mm->notifier_lock);
	list_del(&mn->node);
	mutex_unlock(&mm->notifier_lock);
}

/* notifier_lock held: every notifier's start (or end) for @u's ranges. */
static void mm_notify(struct mm_unmap *u, bool start)
{
	struct mmu_notifier *mn;
	unsigned int i;

	lockdep_assert_held(&u->mm->notifier_lock);
	list_for_each_entry(mn, &u->mm->notifiers, node) {
		for (i = 0; i < u->nr; i++) {
			if (start)
				mn->ops->invalidate_range_start(mn, u->r[i].start,
								u->r[i].end);
			else
				mn->ops->invalidate_range_end(mn, u->r[i].start,
							      u->r[i].end);
		}
	}
}

static void mm_unmap_add(struct mm_unmap *u, unsigned long start,
			 unsigned long end)
{
	if (u->nr == MM_UNMAP_MAX_RANGES) {
		/* Too many to track: the whole user address space. */
		u->nr = 1;
		u->r[0].start = MMAP_MIN_ADDR;
		u->r[0].end = TASK_SIZE_MAX;
		return;
	}
	if (u->nr == 1 && u->r[0].start == MMAP_MIN_ADDR &&
	    u->r[0].end == TASK_SIZE_MAX)
		return;
	u->r[u->nr].start = start;
	u->r[u->nr].end = end;
	u->nr++;
}

/*
 * vma_lock held: add to @u the addresses of file pages [@start, @end) of
 * @mapping in every VMA made after @after (a vm_seq) that maps them.
 */
static void mm_unmap_collect(struct mm_struct *mm, const void *mapping,
			     u64 start, u64 end, u64 after, struct mm_unmap *u)
{
	struct vm_area_struct *vma;

	list_for_each_entry(vma, &mm->vmas, node) {
		u64 first = vma->vm_pgoff;
		u64 last = first + (vma->vm_end - vma->vm_start) / PAGE_SIZE;

		if (vma->vm_seq <= after || vma->vm_direct || !vma->vm_file ||
		    vma->vm_file->f_mapping != mapping ||
		    last <= start || first >= end)
			continue;
		mm_unmap_add(u, vma->vm_start + (max(first, start) - first) *
					PAGE_SIZE,
			     vma->vm_start + (min(last, end) - first) *
					PAGE_SIZE);
	}
}

void unmap_mapping_pages_begin(struct mm_struct *mm, const void *mapping,
			       u64 start, u64 end, struct mm_unmap *u)
{
	u->mm = mm;
	u->mapping = mapping;
	u->nr = 0;
	mm_zap_file_pages(mm, mapping, start, end);
	spin_lock(&mm->vma_lock);
	u->seq = mm->vma_seq;
	mm_unmap_collect(mm, mapping, start, end, 0, u);
	spin_unlock(&mm->vma_lock);
	if (!u->nr)
		return;
	mutex_lock(&mm->notifier_lock);
	mm_notify(u, true);
}

/*
 * Pages [@index, @index + @nr) of @u's file left the page cache (no fault
 * can find them now) and are not freed yet: a VMA made since
 * unmap_mapping_pages_begin() may have faulted them in before, so its
 * addresses of them are notified now, start and end (a fault that got
 * the page before sees the sequence change and retries). Checked for
 * every folio: a new VMA may fault in the next one too.
 */
void unmap_mapping_folio(struct mm_unmap *u, u64 index, u64 nr)
{
	struct mm_struct *mm = u->mm;
	struct mm_unmap late = { .mm = mm };

	/* Mapped since the begin (a fault without the invalidate lock). */
	mm_zap_file_pages(mm, u->mapping, index, index + nr);
	spin_lock(&mm->vma_lock);
	if (mm->vma_seq != u->seq)
		mm_unmap_collect(mm, u->mapping, index, index + nr, u->seq,
				 &late);
	spin_unlock(&mm->vma_lock);
	if (!late.nr)
		return;
	/* Held from unmap_mapping_pages_begin() if it notified anything. */
	if (!u->nr)
		mutex_lock(&mm->notifier_lock);
	mm_notify(&late, true);
	mm_notify(&late, false);
	if (!u->nr)
		mutex_unlock(&mm->notifier_lock);
}

void unmap_mapping_pages_end(struct mm_unmap *u)
{
	if (!u->nr)
		return;
	mm_notify(u, false);
	mutex_unlock(&u->mm->notifier_lock);
}

static u64 vma_pages(const struct vm_area_struct *vma)
{
	return (vma->vm_end - vma->vm_start) >> PAGE_SHIFT;
}

static unsigned long *ptes_alloc(u64 nr_pages)
{
	return xzalloc(DIV_ROUND_UP(nr_pages, 64) * sizeof(long));
}

/*
 * mmap_lock held for write: [@start, @end) leaves @vma, which reaches out
 * of it (__split_vma(), then the unmap). @vma keeps its part below @start,
 * or, if it has none, becomes its part from @end on; a VMA in the middle
 * of the range leaves a new VMA for the part from @end, returned for the
 * caller to add to the list (NULL otherwise). The range's mapped pages
 * are zapped; the pieces keep the bits of theirs.
 */
static struct vm_area_struct *vma_cut(struct mm_struct *mm,
				      struct vm_area_struct *vma,
				      unsigned long start, unsigned long end)
{
	u64 nr = vma_pages(vma), first, last, nr_head, nr_tail;
	unsigned long *head = NULL, *tail = NULL, *old;
	struct vm_area_struct *t = NULL;

	first = start > vma->vm_start ? (start - vma->vm_start) >> PAGE_SHIFT :
					0;
	last = (min(end, vma->vm_end) - vma->vm_start) >> PAGE_SHIFT;
	/* Only finish_fault() makes a bitmap, under mmap_lock for read. */
	if (vma->vm_ptes && first)
		head = ptes_alloc(first);
	if (vma->vm_ptes && last < nr)
		tail = ptes_alloc(nr - last);
	if (first && last < nr) {
		t = xzalloc(sizeof(*t));
		*t = *vma;
		t->vm_file = get_file(vma->vm_file);
		t->vm_ptes = NULL;
		t->vm_nr_ptes = 0;
		t->vm_start = vma->vm_start + (last << PAGE_SHIFT);
		t->vm_pgoff += last;
		if (t->vm_direct)
			t->vm_direct = (u8 *)t->vm_direct + (last << PAGE_SHIFT);
	}
	spin_lock(&mm->vma_lock);
	mm_split_ptes(mm, vma, first, last, head, &nr_head, tail, &nr_tail);
	old = vma->vm_ptes;
	if (first) {
		vma->vm_end = vma->vm_start + (first << PAGE_SHIFT);
		vma->vm_ptes = head;
		vma->vm_nr_ptes = nr_head;
		if (t) {
			t->vm_ptes = tail;
			t->vm_nr_ptes = nr_tail;
		}
	} else {
		vma->vm_start += last << PAGE_SHIFT;
		vma->vm_pgoff += last;
		if (vma->vm_direct)
			vma->vm_direct = (u8 *)vma->vm_direct +
					 (last << PAGE_SHIFT);
		vma->vm_ptes = tail;
		vma->vm_nr_ptes = nr_tail;
	}
	spin_unlock(&mm->vma_lock);
	free(old);
	return t;
}

int do_munmap(struct mm_struct *mm, unsigned long start, size_t len)
{
	unsigned long end = start + len;
	struct vm_area_struct *vma, *tmp, *t;
	struct mm_unmap u = { .mm = mm };
	LIST_HEAD(gone);
	LIST_HEAD(split);
	bool found = false;

	if ((start & ~PAGE_MASK) || !len || end < start)
		return -EINVAL;
	mmap_write_lock(mm);
	list_for_each_entry(vma, &mm->vmas, node) {
		if (vma->vm_end <= start || vma->vm_start >= end)
			continue;
		found = true;
		/* munmap() unmaps the secondary MMUs' mappings through it too. */
		if (!vma->vm_direct)
			mm_unmap_add(&u, max(vma->vm_start, start),
				     min(vma->vm_end, end));
	}
	if (u.nr) {
		mutex_lock(&mm->notifier_lock);
		mm_notify(&u, true);
	}
	list_for_each_entry_safe(vma, tmp, &mm->vmas, node) {
		unsigned long s = max(vma->vm_start, start);
		unsigned long e = min(vma->vm_end, end);

		if (vma->vm_end <= start || vma->vm_start >= end)
			continue;
		if (start <= vma->vm_start && end >= vma->vm_end) {
			spin_lock(&mm->vma_lock);
			list_del(&vma->node);
			mm_forget_ptes(mm, vma);
			spin_unlock(&mm->vma_lock);
			list_add(&vma->node, &gone);
			/* A whole kvm_run mapping is kept for the next of it. */
			if (vma->vm_direct &&
			    ubuf_alias_put(vma->vm_direct, (void *)s, e - s))
				continue;
		} else {
			t = vma_cut(mm, vma, start, end);
			if (t)
				list_add(&t->node, &split);
		}
		/* The address space goes back: the program may map it again. */
		munmap((void *)s, e - s);
	}
	list_for_each_entry_safe(vma, tmp, &split, node) {
		spin_lock(&mm->vma_lock);
		list_del(&vma->node);
		list_add(&vma->node, &mm->vmas);
		spin_unlock(&mm->vma_lock);
	}
	if (u.nr) {
		mm_notify(&u, false);
		mutex_unlock(&mm->notifier_lock);
	}
	mmap_write_unlock(mm);
	list_for_each_entry_safe(vma, tmp, &gone, node) {
		fput(vma->vm_file);
		free(vma);
	}
	return found ? 0 : -EINVAL;
}

/*
 * Is [p, p + n) outside the user address space (access_ok() fails)? NULL
 * and the first page fault, so do the kernel half and wrapping ranges.
 */
static bool user_range_faults(const void *p, unsigned long n)
{
	unsigned long a = (unsigned long)p;

	return a < MMAP_MIN_ADDR || a + n < a || a + n > TASK_SIZE_MAX;
}

/*
 * Copy between a kernel buffer and plain process memory through the kernel
 * (process_vm_readv/process_vm_writev on this process): an unmapped or
 * protected user address is an error, never a fault of ours. Copies a page
 * of the user side at most; returns the bytes copied.
 */
static pid_t self_pid;
static pthread_once_t self_pid_once = PTHREAD_ONCE_INIT;

static void self_pid_forget(void)
{
	self_pid = 0;
}

static void self_pid_once_fn(void)
{
	pthread_atfork(NULL, NULL, self_pid_forget);
}

/* getpid(), a system call each time, asked once (again after a fork). */
static pid_t self_pid_get(void)
{
	pid_t pid = __atomic_load_n(&self_pid, __ATOMIC_RELAXED);

	if (unlikely(!pid)) {
		pthread_once(&self_pid_once, self_pid_once_fn);
		pid = getpid();
		__atomic_store_n(&self_pid, pid, __ATOMIC_RELAXED);
	}
	return pid;
}

/* The brk heap's start (/proc/self/stat's 47th field), read once; or 0. */
static unsigned long heap_start;
static pthread_once_t heap_start_once = PTHREAD_ONCE_INIT;

static void heap_start_once_fn(void)
{
	char buf[1024], *p;
	unsigned long v = 0;
	int fd, i;
	ssize_t len;

	fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return;
	buf[len] = '\0';
	/* The command name may hold spaces: count fields after its ')'. */
	p = strrchr(buf, ')');
	for (i = 2; p && i < 47; i++)
		p = strchr(p + 1, ' ');
	if (p && sscanf(p + 1, "%lu", &v) == 1)
		heap_start = v;
}

/*
 * Is [p, p + n) in the brk heap, below the break (sbrk(0): the C library's
 * cached value)? Mapped read-write then (a live malloc()ed buffer is never
 * trimmed away): no system call needed to copy it safely.
 */
static bool on_brk_heap(const void *p, unsigned long n)
{
	unsigned long a = (unsigned long)p, brk_end;

	/*
	 * Only while a deterministic run goes on: exactly one task runs, so
	 * no other thread's free() can trim the heap between the check and
	 * the copy (a freed buffer passed by a careless VMM would then be a
	 * fault instead of -EFAULT). Free mode keeps the system call.
	 */
	if (!__atomic_load_n(&sched_det_running, __ATOMIC_RELAXED))
		return false;
	pthread_once(&heap_start_once, heap_start_once_fn);
	if (!heap_start || a < heap_start)
		return false;
	brk_end = (unsigned long)sbrk(0);
	return brk_end != (unsigned long)-1 && a + n >= a && a + n <= brk_end;
}

static unsigned long user_copy_plain(void *kbuf, unsigned long uaddr,
				     unsigned long n, bool to_user)
{
	struct iovec local = { .iov_base = kbuf, .iov_len = n };
	struct iovec remote = { .iov_base = (void *)uaddr, .iov_len = n };
	ssize_t r;

	/* The calling task's stack (an ioctl's argument), the brk heap. */
	if (sched_on_current_stack((const void *)uaddr, n) ||
	    on_brk_heap((const void *)uaddr, n)) {
		if (to_user)
			memcpy((void *)uaddr, kbuf, n);
		else
			memcpy(kbuf, (const void *)uaddr, n);
		return n;
	}
	do {
		if (to_user)
			r = process_vm_writev(self_pid_get(), &local, 1,
					      &remote, 1, 0);
		else
			r = process_vm_readv(self_pid_get(), &local, 1,
					     &remote, 1, 0);
	} while (r < 0 && errno == EINTR);
	if (r < 0 && (errno == ENOSYS || errno == EPERM)) {
		/* No such system call here: the old, trusting copy. */
		if (to_user)
			memcpy((void *)uaddr, kbuf, n);
		else
			memcpy(kbuf, (const void *)uaddr, n);
		return n;
	}
	return r < 0 ? 0 : (unsigned long)r;
}

/*
 * The copy of a user page that is not plain memory: a page of one of
 * tdxsim's own mappings (a guest_memfd mapping reserves address space the
 * process may not touch) is reached through its fault handler, as the
 * kernel's page fault would. Returns the bytes copied (0: -EFAULT).
 */
static unsigned long user_copy_vma(void *kbuf, unsigned long uaddr,
				   unsigned long n, bool to_user)
{
	struct mm_struct *mm = current_mm();
	struct vm_fault vmf = { 0 };
	struct vm_area_struct *vma;
	struct page *page;
	unsigned long done = 0;
	int err = 0;
	u8 *p;

	mmap_read_lock(mm);
	vma = find_vma(mm, uaddr);
	if (!vma || !(vma->vm_flags & (to_user ? VM_WRITE : VM_READ)))
		goto out;
	if (vma->vm_direct) {
		p = (u8 *)vma->vm_direct + (uaddr - vma->vm_start);
		if (to_user)
			memcpy(p, kbuf, n);
		else
			memcpy(kbuf, p, n);
		done = n;
		goto out;
	}
	if (!vma->vm_ops || !vma->vm_ops->fault)
		goto out;
	vmf.vma = vma;
	vmf.pgoff = vma->vm_pgoff + (uaddr - vma->vm_start) / PAGE_SIZE;
	vmf.write = to_user;
	page = __do_fault(&vmf, &err);
	if (!page)
		goto out;
	p = (u8 *)page_address(page) + (uaddr & (PAGE_SIZE - 1));
	if (to_user)
		memcpy(p, kbuf, n);
	else
		memcpy(kbuf, p, n);
	put_page(page);
	done = n;
out:
	mmap_read_unlock(mm);
	return done;
}

/* Page by page: plain memory first, tdxsim's mappings if that faults. */
static unsigned long user_copy(void *kbuf, unsigned long uaddr,
			       unsigned long n, bool to_user)
{
	unsigned long done = 0;

	if (user_range_faults((void *)uaddr, n))
		return 0;
	user_copy_asan_check(uaddr, n, to_user);
	while (done < n) {
		unsigned long a = uaddr + done;
		unsigned long len = min(n - done, PAGE_SIZE - (a & (PAGE_SIZE - 1)));
		unsigned long c;

		c = user_copy_plain((u8 *)kbuf + done, a, len, to_user);
		if (c < len)
			c += user_copy_vma((u8 *)kbuf + done + c, a + c, len - c,
					   to_user);
		done += c;
		if (c < len)
			break;
	}
	return done;
}

unsigned long copy_from_user(void *to, const void *from, unsigned long n)
{
	unsigned long done = user_copy(to, (unsigned long)from, n, false);

	/* What could not be read is zeroed, as the kernel does. */
	if (done < n)
		memset((u8 *)to + done, 0, n - done);
	return n - done;
}

unsigned long copy_to_user(void *to, const void *from, unsigned long n)
{
	return n - user_copy((void *)from, (unsigned long)to, n, true);
}

/*
 * Read-ahead of plain source pages (tdxsim's): a populate pins its source
 * one page per get_user_pages_fast(), and each bounce copy of plain memory
 * is a system call (process_vm_readv()), most of a page's cost. A task that
 * pins consecutive pages of plain memory read-only has the following pages
 * copied by the same system call, the window doubling up to GUP_RA_MAX
 * pages as the page cache's readahead grows; the copies wait for the task's
 * next pins and are dropped when its system call returns (task_work_run()),
 * so a page is copied in the call that pins it, at most a few pins earlier,
 * never by an earlier call. Deterministic runs copy each page when it is
 * pinned: another task may write the source between two pins there.
 */
#define GUP_RA_MAX	32
#if defined(TDXSIM_ASAN) || defined(TDXSIM_TSAN)
#define GUP_RA_SANITIZED	1	/* see gup_ra_get() */
#else
#define GUP_RA_SANITIZED	0
#endif

struct gup_ra {
	struct mm_struct *mm;
	unsigned long start;		/* pages[0]'s address */
	unsigned long next;		/* the address a sequential pin asks next */
	unsigned int nr;		/* pages[] copied ahead, NULL once taken */
	unsigned int window;
	struct page *pages[GUP_RA_MAX];
};

static void gup_ra_clear(struct gup_ra *ra)
{
	unsigned int i;

	for (i = 0; i < ra->nr; i++) {
		if (ra->pages[i])
			__free_page(ra->pages[i]);
		ra->pages[i] = NULL;
	}
	ra->nr = 0;
}

static void gup_ra_dtor(void *p)
{
	gup_ra_clear(p);
	free(p);
}

static DEFINE_TASK_LOCAL(gup_ra_key, gup_ra_dtor);

void gup_readahead_drop(void)
{
	struct gup_ra **rap = task_local(&gup_ra_key);

	if (*rap) {
		gup_ra_clear(*rap);
		(*rap)->next = 0;
	}
}

/*
 * The calling task's read-ahead, NULL where it does not apply. Not in
 * sanitizer builds: a read ahead reads past the bytes the caller named
 * (a heap buffer's redzone, say), which ASan rightly reports.
 */
static struct gup_ra *gup_ra_get(void)
{
	struct gup_ra **rap;

	if (GUP_RA_SANITIZED || sched_deterministic())
		return NULL;
	rap = task_local(&gup_ra_key);
	if (!*rap)
		*rap = calloc(1, sizeof(**rap));
	return *rap;
}

/*
 * Copy plain memory at @addr into @nr new pages at @pages with one system
 * call; returns how many were copied whole (the rest is freed), 0 if not
 * even the first (-EFAULT), or -ENOMEM. The call is process_vm_writev()
 * from the source to the pages: the kernel reads the source through this
 * process's mapping of it (a fault there ends the copy: -EFAULT, or the
 * pages copied before), where process_vm_readv() reads it through the
 * kernel's own mapping. Here (a PVM guest) the first touch of a page
 * through that one costs ~7 us, through ours ~2.5 us with the fault-around
 * of a file mapping: a firmware image just mapped by `tdxsim measure`
 * copies in 1.9-2.1 ms instead of 3.6-4.7 (2 MiB, stand-alone test).
 */
static long gup_copy_plain(unsigned long addr, unsigned int nr,
			   struct page **pages)
{
	struct iovec local[GUP_RA_MAX], remote;
	unsigned int i, got = 0, alloced;
	ssize_t r;

	for (i = 0; i < nr; i++) {
		/* Kept only if the copy fills it: no zeroing first. */
		pages[i] = alloc_page_nozero();
		if (!pages[i])
			break;
		local[i].iov_base = page_address(pages[i]);
		local[i].iov_len = PAGE_SIZE;
	}
	nr = alloced = i;
	if (!nr)
		return -ENOMEM;
	if (nr > 1 && on_brk_heap((void *)addr, nr * PAGE_SIZE)) {
		for (i = 0; i < nr; i++)
			memcpy(local[i].iov_base,
			       (const u8 *)addr + (size_t)i * PAGE_SIZE,
			       PAGE_SIZE);
		got = nr;
	} else if (nr > 1 &&
		   !sched_on_current_stack((void *)addr, nr * PAGE_SIZE)) {
		remote.iov_base = (void *)addr;
		remote.iov_len = nr * PAGE_SIZE;
		do {
			/* Local: the source, remote: the new pages. */
			r = process_vm_writev(self_pid_get(), &remote, 1, local,
					      nr, 0);
		} while (r < 0 && errno == EINTR);
		if (r >= 0)
			got = r / PAGE_SIZE;
		else if (errno != ENOSYS && errno != EPERM)
			got = 0;
		else
			nr = 1;		/* user_copy_plain()'s fallback */
	}
	if (nr == 1 &&
	    user_copy_plain(page_address(pages[0]), addr, PAGE_SIZE, false) ==
		    PAGE_SIZE)
		got = 1;
	for (i = got; i < alloced; i++) {
		__free_page(pages[i]);
		pages[i] = NULL;
	}
	return got;
}

/* A pin of plain memory: a bounce page, copied now or read ahead. */
static struct page *gup_plain(struct mm_struct *mm, unsigned long addr,
			      bool write, int *err)
{
	struct gup_ra *ra = write ? NULL : gup_ra_get();
	struct page *page, *one[1];
	unsigned int n = 1;
	long got;

	if (ra && ra->mm == mm && addr >= ra->start &&
	    addr - ra->start < (unsigned long)ra->nr * PAGE_SIZE &&
	    ra->pages[(addr - ra->start) / PAGE_SIZE]) {
		page = ra->pages[(addr - ra->start) / PAGE_SIZE];
		ra->pages[(addr - ra->start) / PAGE_SIZE] = NULL;
		ra->next = addr + PAGE_SIZE;
		return page;
	}
	if (ra) {
		gup_ra_clear(ra);
		ra->window = ra->mm == mm && addr == ra->next ?
				     min(ra->window * 2, GUP_RA_MAX) : 1;
		ra->mm = mm;
		ra->next = addr + PAGE_SIZE;
		n = min_t(unsigned long, ra->window,
			  (TASK_SIZE_MAX - addr) / PAGE_SIZE);
	}
	got = gup_copy_plain(addr, n, ra ? ra->pages : one);
	if (got <= 0) {
		*err = got ? (int)got : -EFAULT;
		return NULL;
	}
	if (!ra)
		return one[0];
	page = ra->pages[0];
	ra->pages[0] = NULL;
	ra->start = addr;
	ra->nr = got;
	return page;
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
		struct vm_fault vmf = {
			.vma = vma,
			.pgoff = vma->vm_pgoff +
				 (addr - vma->vm_start) / PAGE_SIZE,
			.write = gup_flags & FOLL_WRITE,
		};

		page = __do_fault(&vmf, err);
		/* No FOLL_HWPOISON: a poisoned page is -EFAULT. */
		if (*err == -EHWPOISON)
			*err = -EFAULT;
		return page;
	}
	return gup_plain(mm, addr, gup_flags & FOLL_WRITE, err);
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
