// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Test-only MMU: "nothing is mapped" (see mmu_stub.h). Linked into the
 * tests of tests/kvm only, never into the library.
 */
#include <errno.h>
#include <string.h>

#include "mmu_stub.h"

struct mmu_stub_stats mmu_stub;
void (*mmu_stub_unmap_hook)(struct kvm *kvm, struct kvm_gfn_range *range);
long (*mmu_stub_pre_fault_hook)(struct kvm_vcpu *vcpu,
				struct kvm_pre_fault_memory *range);

#define STUB_INC(field)	__atomic_fetch_add(&mmu_stub.field, 1, __ATOMIC_RELAXED)

void mmu_stub_reset(void)
{
	memset(&mmu_stub, 0, sizeof(mmu_stub));
	mmu_stub_unmap_hook = NULL;
	mmu_stub_pre_fault_hook = NULL;
}

int kvm_mmu_init_vm(struct kvm *kvm)
{
	STUB_INC(init_vm);
	return 0;
}

void kvm_mmu_uninit_vm(struct kvm *kvm)
{
	STUB_INC(uninit_vm);
}

int kvm_mmu_create(struct kvm_vcpu *vcpu)
{
	STUB_INC(mmu_create);
	return 0;
}

void kvm_mmu_destroy(struct kvm_vcpu *vcpu)
{
	STUB_INC(mmu_destroy);
}

bool kvm_unmap_gfn_range(struct kvm *kvm, struct kvm_gfn_range *range)
{
	STUB_INC(unmap_calls);
	STUB_INC(unmap_by_filter[range->attr_filter & 3]);
	if (!lock_is_held_type(&kvm->mmu_lock.dep_map, LOCK_EXCL))
		STUB_INC(unmap_unlocked);
	if (!READ_ONCE(kvm->mmu_invalidate_in_progress))
		STUB_INC(unmap_outside_invalidation);
	mmu_stub.last_unmap_start = range->start;
	mmu_stub.last_unmap_end = range->end;
	mmu_stub.last_unmap_filter = range->attr_filter;
	if (mmu_stub_unmap_hook)
		mmu_stub_unmap_hook(kvm, range);
	return false;
}

/* Nothing is mapped: nothing to split. */
int kvm_split_private_mapping(struct kvm *kvm, struct kvm_gfn_range *range)
{
	return 0;
}

int kvm_lock_split_cache(struct kvm *kvm, int nr)
{
	return 0;
}

void kvm_unlock_split_cache(struct kvm *kvm)
{
}

void kvm_flush_remote_tlbs(struct kvm *kvm)
{
	STUB_INC(flush_tlb_calls);
}

bool kvm_arch_pre_set_memory_attributes(struct kvm *kvm,
					struct kvm_gfn_range *range)
{
	STUB_INC(pre_set_calls);
	mmu_stub.last_pre_set_filter = range->attr_filter;
	return kvm_unmap_gfn_range(kvm, range);
}

bool kvm_arch_post_set_memory_attributes(struct kvm *kvm,
					 struct kvm_gfn_range *range)
{
	STUB_INC(post_set_calls);
	return false;
}

int kvm_arch_prepare_memory_region_mmu(struct kvm *kvm,
				       struct kvm_memory_slot *slot)
{
	STUB_INC(prepare_calls);
	return 0;
}

void kvm_arch_free_memslot_mmu(struct kvm *kvm, struct kvm_memory_slot *slot)
{
	STUB_INC(free_calls);
}

/* Nothing is mapped: nothing to zap. */
void kvm_arch_flush_shadow_all(struct kvm *kvm)
{
}

void kvm_arch_flush_shadow_memslot(struct kvm *kvm,
				   struct kvm_memory_slot *slot)
{
	struct kvm_gfn_range range = {
		.slot = slot,
		.start = slot->base_gfn,
		.end = slot->base_gfn + slot->npages,
		.attr_filter = KVM_FILTER_SHARED | KVM_FILTER_PRIVATE,
		.may_block = true,
	};

	STUB_INC(flush_memslot_calls);
	mmu_stub.last_flush_slot_id = slot->id;
	write_lock(&kvm->mmu_lock);
	kvm_unmap_gfn_range(kvm, &range);
	write_unlock(&kvm->mmu_lock);
}

long kvm_arch_vcpu_pre_fault_memory(struct kvm_vcpu *vcpu,
				    struct kvm_pre_fault_memory *range)
{
	STUB_INC(pre_fault_calls);
	if (mmu_stub_pre_fault_hook)
		return mmu_stub_pre_fault_hook(vcpu, range);
	return -EOPNOTSUPP;
}
