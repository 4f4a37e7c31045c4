/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * guest_memfd (the kernel's virt/kvm/guest_memfd.c): the private memory of a
 * VM. An inode is the physical memory: its page cache holds the folios
 * (order 0, or order 9 when the VM's design has gmem_hugepages on) and its
 * invalidate lock (rw_semaphore, lockdep class "mapping.invalidate_lock",
 * the name the kernel gives every inode's invalidate_lock) serialises
 * truncation, allocation and binding. A file is one VM's view of an inode:
 * it holds the VM alive and maps ranges of page offsets to memslots.
 *
 * Locking generations (design.gmem_locking):
 *   legacy   (Linux 6.16-6.19): kvm_gmem_get_pfn() and host faults take no
 *            invalidate lock; races with punch hole are caught by the
 *            mmu_invalidate_seq protocol.
 *   inflight (in-place conversion / THP series): kvm_gmem_get_pfn() takes
 *            the invalidate lock shared, and a host fault on a guest_memfd
 *            mapping takes mm->mmap_lock (read) then the invalidate lock
 *            shared.
 */
#ifndef TDXSIM_KVM_GUEST_MEMFD_H
#define TDXSIM_KVM_GUEST_MEMFD_H

#include "base/list.h"
#include "base/lock.h"
#include "base/sched.h"
#include "kvm/kvm_host.h"
#include "host/radix.h"

struct page;

/* Lockdep class name of a guest_memfd inode's invalidate lock. */
#define GMEM_INVALIDATE_LOCK_NAME	"mapping.invalidate_lock"

/* The inode's page cache and its invalidate lock (i_mapping). */
struct address_space {
	struct rw_semaphore invalidate_lock;
	spinlock_t i_pages_lock;	/* "&xa->xa_lock": i_pages */
	struct radix_tree i_pages;	/* index -> struct page * (folio) */
	struct list_head i_private_list; /* gmem files (invalidate lock) */
	struct gmem_inode *host;
};

/*
 * Take and release the invalidate lock (the kernel's names). Macros, so
 * that lockdep records the caller as the acquisition site.
 */
#define filemap_invalidate_lock(mapping) \
	down_write(&(mapping)->invalidate_lock)
#define filemap_invalidate_unlock(mapping) \
	up_write(&(mapping)->invalidate_lock)
#define filemap_invalidate_lock_shared(mapping) \
	down_read(&(mapping)->invalidate_lock)
#define filemap_invalidate_unlock_shared(mapping) \
	up_read(&(mapping)->invalidate_lock)

/*
 * The guest_memfd file bound to @slot, with a reference (drop it with
 * fput()), or NULL if the slot has none or the file is being released.
 * The lock helpers above then work on file->f_mapping.
 */
struct file *kvm_gmem_get_file(struct kvm_memory_slot *slot);

/* KVM_CREATE_GUEST_MEMFD: returns the new fd or a negative errno. */
int kvm_gmem_create(struct kvm *kvm, struct kvm_create_guest_memfd *args);

/* Guest_memfd flags @kvm accepts (@kvm NULL: all the system supports). */
u64 kvm_gmem_get_supported_flags(struct kvm *kvm);

/*
 * Bind the pages [@offset, @offset + slot size) of guest_memfd @fd to @slot
 * (memslot creation, slots_lock held). -EBADF for a bad fd; -EINVAL for a
 * file that is not a guest_memfd of @kvm or a bad offset; -EINVAL, or
 * -EEXIST (design gmem_bind_overlap), for a range already bound.
 */
int kvm_gmem_bind(struct kvm *kvm, struct kvm_memory_slot *slot,
		  unsigned int fd, loff_t offset);
/* Undo kvm_gmem_bind() (memslot deletion). */
void kvm_gmem_unbind(struct kvm_memory_slot *slot);

/*
 * The pfn backing @gfn of @slot: allocates and prepares the folio on demand
 * and returns its page in *@page with a reference (drop it with
 * kvm_release_faultin_page()) and in *@max_order the largest mapping order
 * the folio allows (0 or 9). -EFAULT if the file is gone, -EIO if the
 * binding does not match, -EHWPOISON for a poisoned page, -ENOMEM.
 */
int kvm_gmem_get_pfn(struct kvm *kvm, struct kvm_memory_slot *slot, gfn_t gfn,
		     kvm_pfn_t *pfn, struct page **page, int *max_order);

/*
 * The callback of kvm_gmem_populate(), called with the invalidate lock:
 * @src the source address of the page (or NULL); @src_page the source
 * page pinned by kvm_gmem_populate() with design populate_gup=before_lock
 * (7.0's signature), NULL otherwise (6.16-6.19: the callback pins @src).
 * tdxsim passes both, so one callback type serves every release.
 */
typedef int (*kvm_gmem_populate_cb)(struct kvm *kvm, gfn_t gfn, kvm_pfn_t pfn,
				    void *src, struct page *src_page,
				    void *opaque);

/*
 * Populate @npages private pages from @gfn: slots_lock must be held; takes
 * the invalidate lock exclusive (around the loop, or per page after pinning
 * the source with populate_gup=before_lock), gets each folio (-EEXIST if
 * already prepared, with populate_eexist), requires the gfn to be private
 * (-EINVAL), and calls @post_populate with the pfn and the source (@src + i
 * pages, or NULL). Returns the number of pages done, or a negative errno if
 * none was.
 */
long kvm_gmem_populate(struct kvm *kvm, gfn_t gfn, void *src, long npages,
		       kvm_gmem_populate_cb post_populate, void *opaque);

/* fallocate() on a guest_memfd file (also reached via tdxsim_fallocate). */
long kvm_gmem_fallocate(struct file *file, int mode, loff_t offset,
			loff_t len);

/*
 * In-place conversion of [start, end) of @slot: split the 2M folios that
 * the range covers only in part (for KVM_SET_MEMORY_ATTRIBUTES).
 */
int kvm_gmem_split_for_conversion(struct kvm *kvm,
				  struct kvm_memory_slot *slot, gfn_t start,
				  gfn_t end);

/*
 * Split the 2M folio at page index @index of @file's inode into 512 4K
 * folios (invalidate lock held for write). Waits (killable) until the
 * folio's only references are the page cache's; returns 0, -EINTR if the
 * wait was given up, or 0 if there is nothing to split.
 */
int kvm_gmem_split_folio(struct file *file, u64 index);

/*
 * Host page fault on a guest_memfd mapping (mmap_lock held for read): the
 * page at @vmf->pgoff with a reference, or NULL and -EFAULT (SIGBUS); a
 * CPU access's fault (@vmf->address) maps it there (finish_fault()).
 */
struct vm_fault;
struct page *kvm_gmem_fault_user_mapping(struct vm_fault *vmf, int *err);

/*
 * In-place conversion v8 (design gmem_in_place): the attributes of @gfn
 * kept by the guest_memfd bound to its slot (0, shared, without one), and
 * whether [@start, @end) of @slot all have @attrs. Lock-free (RCU): the
 * answer is stale once returned, as kvm_gmem_is_private()'s is upstream;
 * the MMU revalidates it with mmu_invalidate_retry_gfn().
 */
unsigned long kvm_gmem_get_memory_attributes(struct kvm *kvm, gfn_t gfn);
bool kvm_gmem_slot_range_has_attributes(struct kvm_memory_slot *slot,
					gfn_t start, gfn_t end,
					unsigned long attrs);

/*
 * For the invariant checker: from page offset *@index on, find a folio
 * guest_memfd holds private that something besides its page cache still
 * references (a host pin kept across a to-private conversion); true with
 * *@index at it, false if none.
 */
bool kvm_gmem_find_referenced_private(struct file *file, u64 *index);

/* Is this file a guest_memfd? */
bool file_is_gmem(const struct file *file);

/* Folios currently in @file's page cache (for tests). */
u64 kvm_gmem_nr_folios(struct file *file);
/* The folio head caching page @index of @file, or NULL (for tests). */
struct page *kvm_gmem_peek_folio(struct file *file, u64 index);

#endif /* TDXSIM_KVM_GUEST_MEMFD_H */
