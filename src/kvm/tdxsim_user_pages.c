// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tdxsim: a VMM's anonymous memory as a TD's shared memory.
 *
 * In the kernel a memslot's userspace_addr is the VMM's memory (QEMU's
 * anonymous RAM): a shared fault gets the page behind that address with
 * GUP and maps its pfn, so the guest and the VMM see the same bytes.
 * tdxsim's PFN space is its own mapping, and the VMM's anonymous memory is
 * not in it. So a shared fault on plain memory gets a stand-in: a host page
 * (a pfn for the direct root's SPTE, with KVM's references as any other)
 * marked PG_owner_priv with the user address in page->private, whose bytes
 * are never used: the module's accesses through the shared EPT to it
 * (tdx_module_set_foreign_copy()) go to the VMM's memory itself, with
 * process_vm_readv/writev (copy_from_user/copy_to_user), so a VMM that
 * unmapped it gets the guest an error, not the simulator a SIGSEGV.
 *
 * A VM keeps its stand-ins (one per user page it faulted) until it is
 * destroyed, after its mappings are gone; two VMs over the same memory
 * have a stand-in each, both views of the same bytes. What is not
 * modelled: the VMM unmapping or remapping that memory while a TD maps it
 * (no mmu_notifier event reaches KVM for plain memory).
 */
#include <errno.h>
#include <stdlib.h>

#include "base/lock.h"
#include "base/page_alloc.h"
#include "host/mm.h"
#include "kvm/kvm_host.h"
#include "kvm/tdxsim_user_pages.h"
#include "seam/tdx_module.h"

#define UP_BUCKETS	1024

struct user_page {
	unsigned long hva;
	struct page *page;
	struct user_page *next;
};

struct tdxsim_user_pages {
	spinlock_t lock;	/* "&up->lock" */
	struct user_page *bucket[UP_BUCKETS];
	u64 nr;
};

static unsigned int up_hash(unsigned long hva)
{
	return (unsigned int)((hva >> PAGE_SHIFT) * 0x9E3779B97F4A7C15ULL >> 54) %
	       UP_BUCKETS;
}

/* tdx_foreign_copy_fn: the module's shared access to a stand-in page. */
static int user_page_copy(u64 pfn, u64 off, void *buf, size_t n, bool write)
{
	struct page *page;
	unsigned long uaddr, done;

	if (!pfn_valid(pfn))
		return -ENOENT;
	page = pfn_to_page(pfn);
	if (!page_flag_test(page, PG_owner_priv))
		return -ENOENT;
	uaddr = (unsigned long)READ_ONCE(page->private) + off;
	if (write)
		done = n - copy_to_user((void *)uaddr, buf, n);
	else
		done = n - copy_from_user(buf, (const void *)uaddr, n);
	return done == n ? 0 : -EFAULT;
}

int tdxsim_user_pages_init(struct kvm *kvm)
{
	struct tdxsim_user_pages *up = calloc(1, sizeof(*up));

	if (!up)
		return -ENOMEM;
	spin_lock_init(&up->lock);
	kvm->tdxsim_user_pages = up;
	tdx_module_set_foreign_copy(user_page_copy);
	return 0;
}

void tdxsim_user_pages_release(struct kvm *kvm)
{
	struct tdxsim_user_pages *up = kvm->tdxsim_user_pages;
	struct user_page *u, *next;
	unsigned int i;

	if (!up)
		return;
	for (i = 0; i < UP_BUCKETS; i++) {
		for (u = up->bucket[i]; u; u = next) {
			next = u->next;
			page_flag_clear(u->page, PG_owner_priv);
			u->page->private = 0;
			put_page(u->page);
			free(u);
		}
	}
	spin_lock_destroy(&up->lock);
	free(up);
	kvm->tdxsim_user_pages = NULL;
}

struct page *tdxsim_user_page_get(struct kvm *kvm, unsigned long hva,
				  int *err)
{
	struct tdxsim_user_pages *up = kvm->tdxsim_user_pages;
	unsigned int b = up_hash(hva);
	struct user_page *u, *fresh;
	struct page *page;
	u8 probe;

	if (!up || copy_from_user(&probe, (const void *)hva, 1)) {
		*err = -EFAULT;
		return NULL;
	}
	spin_lock(&up->lock);
	for (u = up->bucket[b]; u; u = u->next)
		if (u->hva == hva)
			break;
	if (u) {
		get_page(u->page);
		page = u->page;
		spin_unlock(&up->lock);
		return page;
	}
	spin_unlock(&up->lock);

	fresh = calloc(1, sizeof(*fresh));
	page = fresh ? alloc_page() : NULL;
	if (!page) {
		free(fresh);
		*err = -ENOMEM;
		return NULL;
	}
	page->private = hva;
	page_flag_set(page, PG_owner_priv);
	fresh->hva = hva;
	fresh->page = page;

	spin_lock(&up->lock);
	for (u = up->bucket[b]; u; u = u->next)
		if (u->hva == hva)
			break;
	if (!u) {
		fresh->next = up->bucket[b];
		up->bucket[b] = fresh;
		up->nr++;
		u = fresh;
		fresh = NULL;
	}
	get_page(u->page);
	page = u->page;
	spin_unlock(&up->lock);
	if (fresh) {	/* another fault made it first */
		page_flag_clear(fresh->page, PG_owner_priv);
		fresh->page->private = 0;
		put_page(fresh->page);
		free(fresh);
	}
	return page;
}
