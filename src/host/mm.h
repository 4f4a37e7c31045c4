/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The process's address space as the kernel sees it: mm_struct with its
 * mmap_lock (class "&mm->mmap_lock"), the VMAs of tdxsim's own mappings
 * (vCPU kvm_run pages and guest_memfd mappings), user-copy helpers and
 * get_user_pages_fast().
 *
 * Plain user memory (anything outside a tdxsim mapping) is the process's
 * own memory. User copies reach it through the kernel
 * (process_vm_readv/process_vm_writev on this process), so an unmapped or
 * protected address is an -EFAULT, never a fault of the simulator; the
 * kernel half (at or above TASK_SIZE_MAX) and the first page fault
 * before any access. A page of a tdxsim mapping is reached through its
 * fault handler, as a CPU access would.
 */
#ifndef TDXSIM_HOST_MM_H
#define TDXSIM_HOST_MM_H

#include <sys/types.h>

#include "ulib/compiler.h"
#include "base/list.h"
#include "base/lock.h"

struct file;
struct page;

/* The lowest user address that does not fault. */
#define MMAP_MIN_ADDR		4096UL
/* x86-64 4-level user address space limit (TASK_SIZE_MAX). */
#define TASK_SIZE_MAX		((1UL << 47) - PAGE_SIZE)

#define VM_READ		0x1UL
#define VM_WRITE	0x2UL
#define VM_SHARED	0x8UL

struct vm_area_struct;

/*
 * A fault at page @pgoff of @vma's file (the kernel's struct vm_fault).
 * @address is the user address of a CPU access the fault maps
 * (mm_handle_user_fault()), 0 for the accesses tdxsim makes through the
 * fault handler itself (a user copy, GUP, tdxsim_gmem_host_access()).
 * @mapped: set by finish_fault() once the page is mapped there.
 */
struct vm_fault {
	struct vm_area_struct *vma;
	u64 pgoff;
	unsigned long address;
	bool write;
	bool mapped;
};

/* What a driver's mmap sets up (the kernel's vm_operations_struct). */
struct vm_operations_struct {
	/*
	 * Resolve @vmf: return the page with a reference, or NULL and *@err =
	 * -EFAULT (SIGBUS). A handler that may let the page be mapped calls
	 * finish_fault() with the folio locked, as the kernel's core mm does
	 * with the folio a handler returns under VM_FAULT_LOCKED.
	 */
	struct page *(*fault)(struct vm_fault *vmf, int *err);
};

struct vm_area_struct {
	unsigned long vm_start;
	unsigned long vm_end;
	unsigned long vm_flags;
	u64 vm_pgoff;
	struct file *vm_file;		/* holds a reference */
	const struct vm_operations_struct *vm_ops;
	/* Direct mappings (kvm_run): the memory itself, else NULL. */
	void *vm_direct;
	u64 vm_seq;			/* the mm's vma_seq when it was made */
	/*
	 * The page table: a bit per page mapped into the process (a real
	 * mapping of the PFN at its address, finish_fault()), under the mm's
	 * vma_lock; NULL until the first.
	 */
	unsigned long *vm_ptes;
	u64 vm_nr_ptes;
	struct list_head node;
};

struct mm_struct {
	struct rw_semaphore mmap_lock;
	struct list_head vmas;		/* under mmap_lock and vma_lock */
	/*
	 * vma_lock: the VMA list for walks that may not take mmap_lock (a
	 * file's truncation, like the kernel's i_mmap_rwsem). notifier_lock:
	 * the mmu notifiers, held from an invalidation's start to its end.
	 */
	spinlock_t vma_lock;
	u64 vma_seq;			/* VMAs made so far (under vma_lock) */
	u64 nr_ptes;			/* pages mapped (atomic; vma_lock) */
	struct mutex notifier_lock;
	struct list_head notifiers;	/* struct mmu_notifier.node */
};

/*
 * A secondary MMU (KVM) that maps pages through the mm's addresses:
 * told before the pages behind [start, end) are unmapped or freed, so
 * that it drops its mappings (invalidate_range_start), and after
 * (invalidate_range_end), as the kernel's mmu notifiers.
 */
struct mmu_notifier;
struct mmu_notifier_ops {
	void (*invalidate_range_start)(struct mmu_notifier *mn,
				       unsigned long start, unsigned long end);
	void (*invalidate_range_end)(struct mmu_notifier *mn,
				     unsigned long start, unsigned long end);
};

struct mmu_notifier {
	const struct mmu_notifier_ops *ops;
	struct list_head node;
};

/* Register @mn on @mm / remove it (waits for an invalidation in flight). */
void mmu_notifier_register(struct mmu_notifier *mn, struct mm_struct *mm);
void mmu_notifier_unregister(struct mmu_notifier *mn, struct mm_struct *mm);

/*
 * The user mappings of file pages [@start, @end) of @mapping are going
 * (the core-mm part of truncate_inode_pages_range(), a hole punch): the
 * notifiers' invalidate_range_start for the addresses of every VMA that
 * maps them, in unmap_mapping_pages_begin(), and invalidate_range_end in
 * unmap_mapping_pages_end(), after the pages are freed. notifier_lock is
 * held in between when any VMA maps the range.
 *
 * A VMA made after unmap_mapping_pages_begin() can fault in a page the
 * truncation has not reached yet: unmap_mapping_folio() is called for
 * each folio once it has left the page cache, before it is freed, and
 * notifies the ranges of such VMAs that map it (the kernel unmaps each
 * truncated folio from every mapping it has then, under the folio lock;
 * tdxsim has no page tables, so "mapped" is "a VMA covers it").
 */
#define MM_UNMAP_MAX_RANGES	8
struct mm_unmap {
	struct mm_struct *mm;
	const void *mapping;
	u64 seq;		/* VMAs up to this vm_seq were notified */
	unsigned int nr;
	struct {
		unsigned long start, end;
	} r[MM_UNMAP_MAX_RANGES];
};
void unmap_mapping_pages_begin(struct mm_struct *mm, const void *mapping,
			       u64 start, u64 end, struct mm_unmap *u);
void unmap_mapping_folio(struct mm_unmap *u, u64 index, u64 nr);
void unmap_mapping_pages_end(struct mm_unmap *u);

/*
 * Page tables. tdxsim's mappings reserve address space (PROT_NONE) and
 * every access goes through the fault handler; where the PFN space can be
 * mapped twice (phys_mem_aliasable(): `tdxsim exec`), a CPU access's fault
 * maps the page at its address for real, as the kernel installs a PTE, and
 * the page leaves that address again (zapped: PROT_NONE) before it may go
 * private or be freed: unmap_mapping_pages_begin() and
 * unmap_mapping_folio() zap what they unmap, mm_zap_file_pages() zaps a
 * file's pages in every mapping.
 *
 * finish_fault(): map @page (@vmf's page, its folio locked by the caller,
 * which also holds what keeps the page's state from changing until the
 * folio is unlocked) at @vmf->address if it is a CPU access and the space
 * allows it; sets @vmf->mapped. mm_handle_user_fault(): the CPU access of
 * @addr (a load, or a store for @write) faulted: run the VMA's fault
 * handler and map the page. 0 (mapped: the access may run again), -EFAULT
 * (SIGBUS: the handler refused it), -EHWPOISON (SIGBUS BUS_MCEERR_AR: the
 * page is poisoned), -EACCES (no tdxsim VMA there, or it
 * does not allow the access: the program's own SIGSEGV), -EOPNOTSUPP (the
 * handler gave the page but it cannot be mapped).
 */
void finish_fault(struct vm_fault *vmf, struct page *page);
int mm_handle_user_fault(struct mm_struct *mm, unsigned long addr, bool write);
/*
 * The VMA's fault handler for @vmf (mmap_lock held), as the kernel's
 * __do_fault(): a page memory failure poisoned is not used (finish_fault()
 * never maps one): NULL and *@err -EHWPOISON (VM_FAULT_HWPOISON, the
 * access's SIGBUS BUS_MCEERR_AR).
 */
struct page *__do_fault(struct vm_fault *vmf, int *err);
void mm_zap_file_pages(struct mm_struct *mm, const void *mapping, u64 start,
		       u64 end);
/* mmap_lock (write) and vma_lock held: @vma leaves; zap what it maps. */
void mm_forget_ptes(struct mm_struct *mm, struct vm_area_struct *vma);
/*
 * mmap_lock (write) and vma_lock held: pages [@first, @last) of @vma are
 * unmapped (a split): zap them; the bits of the pages before @first go to
 * @head, of those from @last on to @tail (each a bitmap for as many pages,
 * zeroed, or NULL where none remain); their counts in *@nr_head and
 * *@nr_tail. @vma's own bitmap is the caller's to free.
 */
void mm_split_ptes(struct mm_struct *mm, struct vm_area_struct *vma,
		   u64 first, u64 last, unsigned long *head, u64 *nr_head,
		   unsigned long *tail, u64 *nr_tail);

/* The process's mm (created on first use). */
struct mm_struct *current_mm(void);

/* mmap_lock helpers (the kernel's names; macros keep the caller's site). */
#define mmap_read_lock(mm)	down_read(&(mm)->mmap_lock)
#define mmap_read_unlock(mm)	up_read(&(mm)->mmap_lock)
#define mmap_write_lock(mm)	down_write(&(mm)->mmap_lock)
#define mmap_write_unlock(mm)	up_write(&(mm)->mmap_lock)

/*
 * The folio lock (mm/filemap.c's folio_lock(), PG_locked of the head page):
 * a sleeping lock, one lockdep class "folio_lock" for every folio, so its
 * order against mmap_lock, the invalidate lock, mmu_lock and the rest is
 * validated (the kernel's lockdep does not track it). @head is a folio's
 * head page.
 */
struct page;
struct lock_site;
void __folio_lock(struct page *head, const struct lock_site *site);
bool __folio_trylock(struct page *head, const struct lock_site *site);
void __folio_unlock(struct page *head, const struct lock_site *site);
#define folio_lock(h)		__folio_lock((h), LOCK_SITE_HERE)
#define folio_trylock(h)	__folio_trylock((h), LOCK_SITE_HERE)
#define folio_unlock(h)		__folio_unlock((h), LOCK_SITE_HERE)

/* The VMA containing @addr, NULL if none; mmap_lock held. */
struct vm_area_struct *find_vma(struct mm_struct *mm, unsigned long addr);

/*
 * Map @file (or, for @direct != NULL, the memory @direct, which
 * vmalloc_user() allocated) at a new address range of @len bytes; the VMA
 * takes a reference on @file. A direct mapping is a second mapping of
 * @direct's pages (the kernel's remap_vmalloc_range()): the program and
 * tdxsim see the same bytes, and unmapping it leaves @direct in place.
 * Returns the address or a negative errno cast to void * (IS_ERR_VALUE).
 */
void *mm_insert_vma(struct mm_struct *mm, struct file *file, size_t len,
		    unsigned long vm_flags, u64 pgoff,
		    const struct vm_operations_struct *ops, void *direct);
/*
 * munmap(2) of [@start, @start + @len) (page aligned, @len rounded up by
 * the caller), as the kernel's do_vmi_munmap(): every VMA inside goes, a
 * VMA that reaches out of the range is split (__split_vma()) and keeps
 * its part (or parts) outside, with its file offset and mapped pages.
 * The secondary MMUs are told of the range's part of each VMA
 * (invalidate_range_start/end); its pages are zapped and its address
 * space given back to the system, so nothing tdxsim does later touches
 * it. 0, or -EINVAL for an unaligned or empty range and for a range that
 * meets no VMA of tdxsim (the kernel answers 0 there: tdxsim cannot tell
 * it from a mistake, the library's callers unmap only what it mapped).
 */
int do_munmap(struct mm_struct *mm, unsigned long start, size_t len);

/*
 * Zeroed, page-aligned memory that tdxsim's kernel side uses and a user
 * mapping shows (the kernel's vmalloc_user(), for a kvm_run page): shared
 * anonymous pages, which a direct VMA maps a second time. NULL on failure.
 * vfree_user() frees it (@size as allocated).
 */
void *vmalloc_user(size_t size);
void vfree_user(void *addr, size_t size);

/* mm_ubuf.c: a gone direct mapping kept for the next of @direct, @len. */
void *ubuf_alias_get(void *direct, size_t len);
/* The pages at @direct (a vmalloc_user() buffer's) mapped again at @at. */
void *ubuf_dup(void *direct, size_t len, void *at);
bool ubuf_alias_put(void *direct, void *alias, size_t len);
/* Keep freed kvm_run buffers and mappings (tdxsim_fd_reuse()); off: drop. */
void mm_ubuf_reuse(bool on);

/*
 * Copy to or from user memory. Return the number of bytes NOT copied (0 on
 * success), as the kernel's helpers do; copy_from_user() zeroes the part of
 * @to it could not fill.
 */
unsigned long copy_from_user(void *to, const void *from, unsigned long n);
unsigned long copy_to_user(void *to, const void *from, unsigned long n);

/* FOLL_* flags of get_user_pages_fast(). */
#define FOLL_WRITE	0x01

/*
 * Pin @nr_pages user pages from @start (page aligned) into @pages. The
 * simulator's model of pinning is a bounce page: for each 4 KiB it allocates
 * a host page (alloc_page()), copies the user bytes into it and returns it
 * with one reference that the caller drops with put_page(); in free mode,
 * sequential read-only pins of plain memory are copied a window ahead by one
 * system call, and what was not pinned when the caller's system call
 * returns is dropped (see mm.c, gup_readahead_drop()). It always takes
 * mm->mmap_lock for read (the kernel may), so the lock order is visible to
 * lockdep. A page of a guest_memfd mapping goes through guest_memfd's fault
 * handler instead (and is returned with the folio reference).
 * Returns the number of pages pinned, or a negative errno (-EFAULT for an
 * address outside the user space, an unmapped one, or a guest_memfd page
 * the host may not access).
 */
long get_user_pages_fast(unsigned long start, int nr_pages,
			 unsigned int gup_flags, struct page **pages);
/*
 * Free the copies get_user_pages_fast() read ahead for the calling task
 * (task_work_run(), at every system call's return).
 */
void gup_readahead_drop(void);

#endif /* TDXSIM_HOST_MM_H */
