/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A test-only MMU (the functions of src/kvm/mmu.h) in which nothing is ever
 * mapped: unmaps find nothing, pre-fault is not supported unless a test
 * installs a hook. It counts every call, per filter for the unmaps, so the
 * tests of the generic code can assert which roots an operation would zap
 * and under which locks.
 */
#ifndef TDXSIM_TESTS_KVM_MMU_STUB_H
#define TDXSIM_TESTS_KVM_MMU_STUB_H

#include "kvm/kvm_host.h"
#include "kvm/mmu.h"

struct mmu_stub_stats {
	unsigned long init_vm, uninit_vm;
	unsigned long mmu_create, mmu_destroy;
	/* kvm_unmap_gfn_range() calls, total and per attr_filter value. */
	unsigned long unmap_calls;
	unsigned long unmap_by_filter[4];
	/* Unmaps made while mmu_lock was NOT held for write (must stay 0). */
	unsigned long unmap_unlocked;
	/* Unmaps made outside an invalidation (in_progress == 0). */
	unsigned long unmap_outside_invalidation;
	gfn_t last_unmap_start, last_unmap_end;
	int last_unmap_filter;
	unsigned long pre_set_calls, post_set_calls;
	int last_pre_set_filter;
	unsigned long flush_memslot_calls;
	int last_flush_slot_id;
	unsigned long flush_tlb_calls;
	unsigned long prepare_calls, free_calls;
	unsigned long pre_fault_calls;
};

extern struct mmu_stub_stats mmu_stub;

/* Optional hooks a test installs (NULL: default behaviour). */
extern void (*mmu_stub_unmap_hook)(struct kvm *kvm,
				   struct kvm_gfn_range *range);
extern long (*mmu_stub_pre_fault_hook)(struct kvm_vcpu *vcpu,
				       struct kvm_pre_fault_memory *range);

/* Zero the counters and remove the hooks. */
void mmu_stub_reset(void);

#endif /* TDXSIM_TESTS_KVM_MMU_STUB_H */
