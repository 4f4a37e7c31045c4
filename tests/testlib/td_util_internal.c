// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * White-box looks at a TD (see kvm_util_internal.h): an object of its own,
 * so that the tests of the generic code, which link no TDP MMU, can use
 * kvm_util_internal.c alone.
 */
#include "kvm/tdp_mmu.h"
#include "testlib/kvm_util_internal.h"

struct page *td_gmem_page(struct td *td, u64 gpa)
{
	struct file *file = fget(td->gmem);
	struct page *head;
	u64 index = gpa >> PAGE_SHIFT;

	assert_non_null(file);
	head = kvm_gmem_peek_folio(file, index);
	fput(file);
	if (!head)
		return NULL;
	return pfn_to_page(page_to_pfn(head) +
			   (index & ((1ULL << head->order) - 1)));
}

struct leaf_count {
	u64 n[3];
};

static void count_leaf(void *arg, gfn_t gfn, int level, u64 spte)
{
	struct leaf_count *c = arg;

	if (level >= 1 && level <= 3)
		c->n[level - 1]++;
}

u64 td_count_leaves(struct td *td, bool mirror, int level)
{
	struct leaf_count c = { { 0 } };
	struct kvm *kvm = vm_kvm(td->vm);

	read_lock(&kvm->mmu_lock);
	kvm_tdp_mmu_for_each_leaf(kvm, mirror, 0, kvm->arch.gfn_direct_bits,
				  count_leaf, &c);
	read_unlock(&kvm->mmu_lock);
	return c.n[level - 1];
}
