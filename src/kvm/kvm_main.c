// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Generic KVM (the kernel's virt/kvm/kvm_main.c): VM and vCPU lifetime, the
 * /dev/kvm, VM and vCPU ioctls, memslots, memory attributes, the MMU
 * invalidation protocol, vCPU requests and KVM_BUG_ON().
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/page_alloc.h"
#include "base/sched.h"
#include "ulib/strbuf.h"
#include "kvm/guest_memfd.h"
#include "kvm/kvm_host.h"
#include "host/fs.h"
#include "host/misc.h"
#include "host/mm.h"
#include "kvm/mmu.h"
#include "kvm/tdxsim_ctl.h"
#include "kvm/tdxsim_trace.h"
#include "kvm/x86.h"

/* ---- the mmu notifier: user mappings going away ---- */

/*
 * Addresses [start, end) of the VMM's mm are being unmapped (a munmap, a
 * hole punch of a file mapped there): drop the shared mappings of every
 * memslot whose user memory overlaps them (a guest_memfd-only slot maps
 * through the file, not its userspace_addr). As upstream's
 * kvm_mmu_notifier_invalidate_range_start() with the unmap handler; the
 * invalidation covers every gfn (one range, not tracked per slot), so
 * that a fault on a slot created meanwhile retries too.
 */
static void kvm_mmu_notifier_invalidate_range_start(struct mmu_notifier *mn,
						    unsigned long start,
						    unsigned long end)
{
	struct kvm *kvm = container_of(mn, struct kvm, mmu_notifier);
	struct kvm_memslots *slots;
	bool flush = false;
	int idx, i;

	idx = srcu_read_lock(&kvm->srcu);
	write_lock(&kvm->mmu_lock);
	kvm_mmu_invalidate_begin(kvm);
	kvm_mmu_invalidate_range_add(kvm, 0, BIT_ULL(52 - PAGE_SHIFT));
	slots = kvm_memslots(kvm);
	for (i = 0; slots && i < slots->nr; i++) {
		struct kvm_memory_slot *slot = slots->slots[i];
		unsigned long hva_start = slot->userspace_addr;
		unsigned long hva_end = hva_start + slot->npages * PAGE_SIZE;
		struct kvm_gfn_range range;

		if (kvm_memslot_is_gmem_only(slot) || hva_end <= start ||
		    hva_start >= end)
			continue;
		range = (struct kvm_gfn_range) {
			.slot = slot,
			.start = slot->base_gfn +
				 (max(hva_start, start) - hva_start) / PAGE_SIZE,
			.end = slot->base_gfn +
			       (min(hva_end, end) - hva_start + PAGE_SIZE - 1) /
			       PAGE_SIZE,
			.attr_filter = KVM_FILTER_SHARED,
			.may_block = true,
		};
		flush |= kvm_unmap_gfn_range(kvm, &range);
	}
	if (flush)
		kvm_flush_remote_tlbs(kvm);
	write_unlock(&kvm->mmu_lock);
	srcu_read_unlock(&kvm->srcu, idx);
}

static void kvm_mmu_notifier_invalidate_range_end(struct mmu_notifier *mn,
						  unsigned long start,
						  unsigned long end)
{
	struct kvm *kvm = container_of(mn, struct kvm, mmu_notifier);

	write_lock(&kvm->mmu_lock);
	kvm_mmu_invalidate_end(kvm);
	write_unlock(&kvm->mmu_lock);
}

static const struct mmu_notifier_ops kvm_mmu_notifier_ops = {
	.invalidate_range_start = kvm_mmu_notifier_invalidate_range_start,
	.invalidate_range_end = kvm_mmu_notifier_invalidate_range_end,
};

/* ---- VM lifetime ---- */

int kvm_create_vm(unsigned long type, struct kvm **kvmp)
{
	struct kvm *kvm;
	int r;

	kvm = xzalloc(sizeof(*kvm));
	mutex_init(&kvm->lock);
	mutex_init(&kvm->slots_lock);
	mutex_init(&kvm->irqfd_poll_lock);
	rwlock_init(&kvm->mmu_lock);
	init_srcu_struct(&kvm->srcu);
	init_waitqueue_head(&kvm->vcpu_mode_wq);
	atomic_set(&kvm->users_count, 1);
	kvm->mm = current_mm();
	kvm->memslots = xzalloc(sizeof(*kvm->memslots));
	kvm->max_vcpus = KVM_MAX_VCPUS;
	kvm->vcpus = xzalloc(KVM_MAX_VCPUS * sizeof(*kvm->vcpus));
	/* gfn >> 9 indexes 512-gfn bitmaps: 43 bits, 5 levels of 9. */
	radix_init(&kvm->mem_attr_array, 5);
	kvm->mmu_invalidate_range_start = INVALID_GPA;
	kvm->mmu_invalidate_range_end = INVALID_GPA;
	tdxsim_init_vm(kvm);

	r = kvm_arch_init_vm(kvm, type);
	if (r)
		goto out_free;
	kvm->mmu_notifier.ops = &kvm_mmu_notifier_ops;
	mmu_notifier_register(&kvm->mmu_notifier, kvm->mm);
	*kvmp = kvm;
	return 0;

out_free:
	radix_destroy(&kvm->mem_attr_array);
	free(kvm->vcpus);
	free(kvm->memslots);
	destroy_waitqueue_head(&kvm->vcpu_mode_wq);
	cleanup_srcu_struct(&kvm->srcu);
	rwlock_destroy(&kvm->mmu_lock);
	mutex_destroy(&kvm->slots_lock);
	mutex_destroy(&kvm->lock);
	free(kvm);
	return r;
}

static void kvm_free_memslot(struct kvm *kvm, struct kvm_memory_slot *slot)
{
	if (kvm_slot_has_gmem(slot))
		kvm_gmem_unbind(slot);
	kvm_arch_free_memslot(kvm, slot);
	free(slot);
}

static void kvm_free_attr_bitmaps(struct kvm *kvm)
{
	u64 index = 0;
	void *bits;

	while ((bits = radix_next(&kvm->mem_attr_array, &index, ~0ULL))) {
		free(bits);
		index++;
	}
	radix_destroy(&kvm->mem_attr_array);
}

static void kvm_destroy_vm(struct kvm *kvm)
{
	struct kvm_memslots *slots = kvm->memslots;
	int i, n = atomic_read(&kvm->online_vcpus);

	mmu_notifier_unregister(&kvm->mmu_notifier, kvm->mm);
	kvm_arch_pre_destroy_vm(kvm);
	/* tdxsim: the mmu_notifier has no .release: its kvm_flush_shadow_all(). */
	kvm_arch_flush_shadow_all(kvm);
	kvm_arch_destroy_vm(kvm);
	for (i = 0; i < n; i++) {
		struct kvm_vcpu *vcpu = kvm->vcpus[i];

		mutex_destroy(&vcpu->mutex);
		vfree_user(vcpu->run, KVM_VCPU_MMAP_SIZE);
		free(vcpu);
	}
	for (i = 0; i < slots->nr; i++)
		kvm_free_memslot(kvm, slots->slots[i]);
	free(slots);
	kvm_free_attr_bitmaps(kvm);
	free(kvm->irqfds);
	free(kvm->ioeventfds);
	free(kvm->io_bus);
	free(kvm->irqfd_set);
	free(kvm->irq_routes);
	mutex_destroy(&kvm->irqfd_poll_lock);
	free(kvm->coalesced_zones);
	free(kvm->vcpus);
	destroy_waitqueue_head(&kvm->vcpu_mode_wq);
	cleanup_srcu_struct(&kvm->srcu);
	rwlock_destroy(&kvm->mmu_lock);
	mutex_destroy(&kvm->slots_lock);
	mutex_destroy(&kvm->lock);
	free(kvm);
}

void kvm_get_kvm(struct kvm *kvm)
{
	WARN_ON(atomic_inc_return(&kvm->users_count) <= 1);
}

bool kvm_get_kvm_safe(struct kvm *kvm)
{
	return atomic_inc_not_zero(&kvm->users_count);
}

void kvm_put_kvm(struct kvm *kvm)
{
	if (atomic_dec_and_test(&kvm->users_count))
		kvm_destroy_vm(kvm);
}

/* ---- every vCPU's mutex, under kvm->lock ---- */

int kvm_lock_all_vcpus(struct kvm *kvm)
{
	int i, j, n = atomic_read(&kvm->online_vcpus);
	int r;

	lockdep_assert_held(&kvm->lock);

	for (i = 0; i < n; i++) {
		r = mutex_lock_killable_nest_lock(&kvm->vcpus[i]->mutex,
						  &kvm->lock);
		if (r)
			goto out_unlock;
	}
	return 0;

out_unlock:
	for (j = 0; j < i; j++)
		mutex_unlock(&kvm->vcpus[j]->mutex);
	return r;
}

void kvm_unlock_all_vcpus(struct kvm *kvm)
{
	int i, n = atomic_read(&kvm->online_vcpus);

	lockdep_assert_held(&kvm->lock);

	for (i = 0; i < n; i++)
		mutex_unlock(&kvm->vcpus[i]->mutex);
}

/* ---- running vCPU ---- */

/* Per task, not per thread: a deterministic run's tasks share one thread. */
static DEFINE_TASK_LOCAL(kvm_running_vcpu_key, NULL);
#define kvm_running_vcpu \
	(*(struct kvm_vcpu **)task_local(&kvm_running_vcpu_key))

struct kvm_vcpu *kvm_get_running_vcpu(void)
{
	return kvm_running_vcpu;
}

void vcpu_load(struct kvm_vcpu *vcpu)
{
	kvm_running_vcpu = vcpu;
}

void vcpu_put(struct kvm_vcpu *vcpu)
{
	WARN_ON_ONCE(kvm_running_vcpu != vcpu);
	kvm_running_vcpu = NULL;
}

/* ---- requests, kicks, KVM_BUG_ON ---- */

/* The vendor's kick may itself make a request: don't call it re-entrantly. */
static DEFINE_TASK_LOCAL(kvm_in_vendor_kick_key, NULL);
#define kvm_in_vendor_kick (*(int *)task_local(&kvm_in_vendor_kick_key))

bool kvm_make_all_cpus_request(struct kvm *kvm, unsigned int req)
{
	int i, n = __atomic_load_n(&kvm->online_vcpus.counter, __ATOMIC_ACQUIRE);
	/*
	 * tdxsim: the kernel's per-CPU cpu_kick_mask; on the stack up to 128
	 * vCPUs (a zap calls this once per page).
	 */
	unsigned long kicked_small[2] = { 0, 0 }, *kicked = kicked_small;
	bool any = false;

	if (!n)
		return false;
	trace_kvm_make_all_cpus_request(kvm, req);
	if (n > (int)(sizeof(kicked_small) * 8))
		kicked = xzalloc((n + 63) / 64 * sizeof(*kicked));
	for (i = 0; i < n; i++) {
		struct kvm_vcpu *vcpu = kvm->vcpus[i];
		int mode = IN_GUEST_MODE;

		/* kvm_make_vcpu_request() */
		if (!(req & KVM_REQUEST_NO_ACTION))
			kvm_make_request(req, vcpu);
		smp_mb();
		/*
		 * kvm_request_needs_ipi(): kvm_vcpu_exiting_guest_mode() turns
		 * IN_GUEST_MODE into EXITING_GUEST_MODE; a WAIT request kicks
		 * every vCPU not outside guest mode, others only those in it.
		 * The caller's own vCPU is outside guest mode (the kernel: no
		 * IPI to the current CPU).
		 */
		__atomic_compare_exchange_n(&vcpu->mode, &mode,
					    EXITING_GUEST_MODE, false,
					    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		if ((req & KVM_REQUEST_WAIT) ? mode == OUTSIDE_GUEST_MODE :
					       mode != IN_GUEST_MODE)
			continue;
		kicked[i / 64] |= 1UL << (i % 64);
		any = true;
	}
	if (any && kvm_vm_uses_vendor(kvm) && kvm_x86_ops.kick_all_vcpus &&
	    !kvm_in_vendor_kick) {
		kvm_in_vendor_kick++;
		kvm_x86_ops.kick_all_vcpus(kvm);
		kvm_in_vendor_kick--;
	}
	if (any && (req & KVM_REQUEST_WAIT)) {
		for (i = 0; i < n; i++) {
			struct kvm_vcpu *vcpu = kvm->vcpus[i];

			if (!((kicked[i / 64] >> (i % 64)) & 1))
				continue;
			wait_event_killable(kvm->vcpu_mode_wq,
					    READ_ONCE(vcpu->mode) !=
					    EXITING_GUEST_MODE);
		}
	}
	if (kicked != kicked_small)
		free(kicked);
	return any;
}

bool kvm_vcpu_enter_guest_mode(struct kvm_vcpu *vcpu)
{
	struct kvm *kvm = vcpu->kvm;

	__atomic_store_n(&vcpu->mode, IN_GUEST_MODE, __ATOMIC_SEQ_CST);
	if (vcpu->srcu_held) {
		vcpu->srcu_held = false;
		srcu_read_unlock(&kvm->srcu, vcpu->srcu_idx);
	}
	smp_mb();
	if (kvm_request_pending(vcpu) || kvm_vm_is_dead(kvm)) {
		kvm_vcpu_exit_guest_mode(vcpu);
		return false;
	}
	return true;
}

void kvm_vcpu_exit_guest_mode(struct kvm_vcpu *vcpu)
{
	struct kvm *kvm = vcpu->kvm;

	__atomic_store_n(&vcpu->mode, OUTSIDE_GUEST_MODE, __ATOMIC_RELEASE);
	wake_up(&kvm->vcpu_mode_wq);
	if (!vcpu->srcu_held) {
		vcpu->srcu_idx = srcu_read_lock(&kvm->srcu);
		vcpu->srcu_held = true;
	}
}

void kvm_vm_dead(struct kvm *kvm)
{
	WRITE_ONCE(kvm->vm_dead, true);
	kvm_make_all_cpus_request(kvm, KVM_REQ_VM_DEAD);
}

void kvm_vm_bugged(struct kvm *kvm)
{
	WRITE_ONCE(kvm->vm_bugged, true);
	/* A guest_memfd split waiting for references gives up (-EIO). */
	wake_up(&page_ref_wq);
	trace_kvm_vm_bugged(kvm);
	pr_err("kvm: VM bugged, marking it dead\n");
	kvm_vm_dead(kvm);
}

/* ---- memslots ---- */

struct kvm_memslots *kvm_memslots(struct kvm *kvm)
{
	return rcu_dereference(kvm->memslots);
}

int kvm_memslots_first_in_range(struct kvm_memslots *slots, gfn_t start)
{
	int lo = 0, hi = slots->nr;

	/* First slot whose end is above @start (slots don't overlap). */
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		struct kvm_memory_slot *s = slots->slots[mid];

		if (s->base_gfn + s->npages <= start)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct kvm_memory_slot *__gfn_to_memslot(struct kvm_memslots *slots,
					 gfn_t gfn)
{
	int i = kvm_memslots_first_in_range(slots, gfn);
	struct kvm_memory_slot *s;

	if (i >= slots->nr)
		return NULL;
	s = slots->slots[i];
	if (gfn < s->base_gfn)
		return NULL;
	return s;
}

struct kvm_memory_slot *gfn_to_memslot(struct kvm *kvm, gfn_t gfn)
{
	struct kvm_memory_slot *slot = __gfn_to_memslot(kvm_memslots(kvm), gfn);

	if (kvm_is_memslot_invalid(slot))
		return NULL;
	return slot;
}

struct kvm_memory_slot *kvm_vcpu_gfn_to_memslot(struct kvm_vcpu *vcpu,
						gfn_t gfn)
{
	return gfn_to_memslot(vcpu->kvm, gfn);
}

struct kvm_memory_slot *id_to_memslot(struct kvm_memslots *slots, int id)
{
	int i;

	for (i = 0; i < slots->nr; i++) {
		if (slots->slots[i]->id == id)
			return slots->slots[i];
	}
	return NULL;
}

/*
 * Publish a new generation of memslots: the current one without @remove and
 * with @add, then wait for every srcu reader of the old one.
 */
static void kvm_replace_memslots(struct kvm *kvm,
				 struct kvm_memory_slot *remove,
				 struct kvm_memory_slot *add)
{
	struct kvm_memslots *old = kvm->memslots, *new;
	int i, j = 0;
	bool added = false;

	lockdep_assert_held(&kvm->slots_lock);
	new = xzalloc(sizeof(*new) + (old->nr + 1) * sizeof(new->slots[0]));
	for (i = 0; i < old->nr; i++) {
		struct kvm_memory_slot *s = old->slots[i];

		if (s == remove)
			continue;
		if (add && !added && add->base_gfn < s->base_gfn) {
			new->slots[j++] = add;
			added = true;
		}
		new->slots[j++] = s;
	}
	if (add && !added)
		new->slots[j++] = add;
	new->nr = j;
	new->generation = old->generation + 1;
	rcu_assign_pointer(kvm->memslots, new);
	synchronize_srcu(&kvm->srcu);
	free(old);
}

static bool kvm_check_memslot_overlap(struct kvm_memslots *slots, int id,
				      gfn_t start, gfn_t end)
{
	int i;

	for (i = kvm_memslots_first_in_range(slots, start); i < slots->nr; i++) {
		struct kvm_memory_slot *s = slots->slots[i];

		if (s->base_gfn >= end)
			break;
		if (s->id != id)
			return true;
	}
	return false;
}

static int kvm_set_memslot(struct kvm *kvm, struct kvm_memory_slot *old,
			   struct kvm_memory_slot *new,
			   enum kvm_mr_change change)
{
	struct kvm_memory_slot *invalid = NULL;
	int r;

	if (change == KVM_MR_DELETE || change == KVM_MR_MOVE) {
		/*
		 * Hide the slot from faults (an invalid copy makes them retry),
		 * wait for readers of the old generation, then zap everything
		 * the slot maps, in both roots.
		 */
		invalid = xmalloc(sizeof(*invalid));
		*invalid = *old;
		invalid->flags |= KVM_MEMSLOT_INVALID;
		invalid->is_copy = true;
		kvm_replace_memslots(kvm, old, invalid);
		kvm_arch_flush_shadow_memslot(kvm, old);
	}

	r = kvm_arch_prepare_memory_region(kvm, old, new, change);
	if (r) {
		if (invalid) {
			kvm_replace_memslots(kvm, invalid, old);
			free(invalid);
		}
		return r;
	}

	switch (change) {
	case KVM_MR_CREATE:
		kvm_replace_memslots(kvm, NULL, new);
		kvm->nr_memslot_pages += new->npages;
		break;
	case KVM_MR_DELETE:
		kvm_replace_memslots(kvm, invalid, NULL);
		kvm->nr_memslot_pages -= old->npages;
		break;
	case KVM_MR_MOVE:
		kvm_replace_memslots(kvm, invalid, new);
		break;
	case KVM_MR_FLAGS_ONLY:
		kvm_replace_memslots(kvm, old, new);
		break;
	}
	trace_kvm_set_memslot(kvm, old, new, change);

	free(invalid);
	if (change == KVM_MR_FLAGS_ONLY) {
		/* @new took over the arch metadata and the binding. */
		free(old);
	} else if (old) {
		kvm_free_memslot(kvm, old);
	}
	return 0;
}

static int check_memory_region_flags(struct kvm *kvm,
				     const struct kvm_userspace_memory_region2 *mem)
{
	u32 valid_flags = KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_GUEST_MEMFD;

	/* Dirty logging private memory is not currently supported. */
	if (mem->flags & KVM_MEM_GUEST_MEMFD)
		valid_flags &= ~KVM_MEM_LOG_DIRTY_PAGES;
	/* guest_memfd is incompatible with read-only memslots. */
	if (kvm_arch_has_readonly_mem(kvm) &&
	    !(mem->flags & KVM_MEM_GUEST_MEMFD))
		valid_flags |= KVM_MEM_READONLY;
	if (mem->flags & ~valid_flags)
		return -EINVAL;
	return 0;
}

static int __kvm_set_memory_region(struct kvm *kvm,
				   const struct kvm_userspace_memory_region2 *mem)
{
	struct kvm_memory_slot *old, *new;
	struct kvm_memslots *slots;
	enum kvm_mr_change change;
	unsigned long npages;
	gfn_t base_gfn;
	int as_id, id, r;

	lockdep_assert_held(&kvm->slots_lock);

	r = check_memory_region_flags(kvm, mem);
	if (r)
		return r;

	as_id = mem->slot >> 16;
	id = (u16)mem->slot;

	/* General sanity checks */
	if (mem->memory_size & (PAGE_SIZE - 1))
		return -EINVAL;
	if (mem->guest_phys_addr & (PAGE_SIZE - 1))
		return -EINVAL;
	if (id < KVM_USER_MEM_SLOTS &&
	    ((mem->userspace_addr & (PAGE_SIZE - 1)) ||
	     mem->userspace_addr + mem->memory_size < mem->userspace_addr ||
	     mem->userspace_addr + mem->memory_size > TASK_SIZE_MAX))
		return -EINVAL;
	if ((mem->flags & KVM_MEM_GUEST_MEMFD) &&
	    ((mem->guest_memfd_offset & (PAGE_SIZE - 1)) ||
	     mem->guest_memfd_offset + mem->memory_size <
	     mem->guest_memfd_offset))
		return -EINVAL;
	if (as_id >= KVM_ADDRESS_SPACE_NUM || id >= KVM_MEM_SLOTS_NUM)
		return -EINVAL;
	if (mem->guest_phys_addr + mem->memory_size < mem->guest_phys_addr)
		return -EINVAL;
	if ((mem->memory_size >> PAGE_SHIFT) > KVM_MEM_MAX_NR_PAGES)
		return -EINVAL;

	slots = kvm->memslots;
	old = id_to_memslot(slots, id);

	if (!mem->memory_size) {
		if (!old || !old->npages)
			return -EINVAL;
		if (WARN_ON_ONCE(kvm->nr_memslot_pages < old->npages))
			return -EIO;
		return kvm_set_memslot(kvm, old, NULL, KVM_MR_DELETE);
	}

	base_gfn = mem->guest_phys_addr >> PAGE_SHIFT;
	npages = mem->memory_size >> PAGE_SHIFT;

	if (!old || !old->npages) {
		change = KVM_MR_CREATE;
		/* To keep things simple, allow only one overflow check. */
		if (kvm->nr_memslot_pages + npages < kvm->nr_memslot_pages)
			return -EINVAL;
	} else {
		/* guest_memfd memslots are immutable: only deletion. */
		if ((mem->flags & KVM_MEM_GUEST_MEMFD) || kvm_slot_has_gmem(old))
			return -EINVAL;
		if (mem->userspace_addr != old->userspace_addr ||
		    npages != old->npages ||
		    ((mem->flags ^ old->flags) & KVM_MEM_READONLY))
			return -EINVAL;
		if (base_gfn != old->base_gfn)
			change = KVM_MR_MOVE;
		else if (mem->flags != (old->flags & 0xffff))
			change = KVM_MR_FLAGS_ONLY;
		else
			return 0;
	}

	if ((change == KVM_MR_CREATE || change == KVM_MR_MOVE) &&
	    kvm_check_memslot_overlap(slots, id, base_gfn, base_gfn + npages))
		return -EEXIST;

	new = xzalloc(sizeof(*new));
	new->as_id = as_id;
	new->id = id;
	new->base_gfn = base_gfn;
	new->npages = npages;
	new->flags = mem->flags;
	new->userspace_addr = mem->userspace_addr;
	if (change == KVM_MR_FLAGS_ONLY) {
		new->arch = old->arch;
		new->gmem = old->gmem;
	}
	if (mem->flags & KVM_MEM_GUEST_MEMFD) {
		r = kvm_gmem_bind(kvm, new, mem->guest_memfd,
				  mem->guest_memfd_offset);
		if (r)
			goto out;
	}

	r = kvm_set_memslot(kvm, old, new, change);
	if (r)
		goto out_unbind;
	return 0;

out_unbind:
	if (mem->flags & KVM_MEM_GUEST_MEMFD)
		kvm_gmem_unbind(new);
out:
	free(new);
	return r;
}

int kvm_set_memory_region(struct kvm *kvm,
			  const struct kvm_userspace_memory_region2 *mem)
{
	int r;

	if ((u16)mem->slot >= KVM_USER_MEM_SLOTS)
		return -EINVAL;
	mutex_lock(&kvm->slots_lock);
	r = __kvm_set_memory_region(kvm, mem);
	mutex_unlock(&kvm->slots_lock);
	return r;
}

/* ---- memory attributes ---- */

#define ATTR_BITS_PER_NODE	512
#define ATTR_WORDS		(ATTR_BITS_PER_NODE / 64)
/* Refuse to allocate more attribute bitmaps than this in one call. */
#define ATTR_MAX_NEW_BITMAPS	(1UL << 24)

static unsigned long *attr_bitmap(struct kvm *kvm, gfn_t gfn, bool create)
{
	void **slot = radix_slot(&kvm->mem_attr_array, gfn / ATTR_BITS_PER_NODE,
				 create);
	unsigned long *bits;

	if (!slot)
		return NULL;
	bits = radix_slot_read(slot);
	if (!bits && create) {
		bits = xzalloc(ATTR_WORDS * sizeof(*bits));
		radix_slot_write(slot, bits);
	}
	return bits;
}

unsigned long kvm_get_memory_attributes(struct kvm *kvm, gfn_t gfn)
{
	unsigned long *bits;
	unsigned int bit;

	/* In-place conversion v8: kvm_mem_is_private() asks guest_memfd. */
	if (kvm_gmem_in_place(kvm))
		return kvm_gmem_get_memory_attributes(kvm, gfn);
	bits = radix_lookup(&kvm->mem_attr_array, gfn / ATTR_BITS_PER_NODE);
	bit = gfn % ATTR_BITS_PER_NODE;

	if (!bits)
		return 0;
	if (__atomic_load_n(&bits[bit / 64], __ATOMIC_ACQUIRE) & BIT(bit % 64))
		return KVM_MEMORY_ATTRIBUTE_PRIVATE;
	return 0;
}

/* Mask of the bits in [start, end) of the 64-gfn word starting at @wbase. */
static unsigned long attr_word_mask(gfn_t wbase, gfn_t start, gfn_t end)
{
	unsigned long mask = ~0UL;

	if (start > wbase)
		mask &= ~0UL << (start - wbase);
	if (end < wbase + 64)
		mask &= ~0UL >> (wbase + 64 - end);
	return mask;
}

/*
 * The next attribute bitmap at or after @gfn's node that covers gfns below
 * @end, skipping empty parts of the tree (the kernel's xas_find()): a
 * range of any size with no attributes costs one lookup, not a walk. Its
 * first gfn goes to *@node_base; NULL if there is none.
 */
static unsigned long *attr_next_bitmap(struct kvm *kvm, gfn_t gfn, gfn_t end,
				       gfn_t *node_base)
{
	u64 index = gfn / ATTR_BITS_PER_NODE;
	unsigned long *bits;

	bits = radix_next(&kvm->mem_attr_array, &index,
			  DIV_ROUND_UP(end, ATTR_BITS_PER_NODE));
	if (bits)
		*node_base = index * ATTR_BITS_PER_NODE;
	return bits;
}

/* Are all gfns in [start, end) private (@private) or all shared? */
static bool attr_range_is(struct kvm *kvm, gfn_t start, gfn_t end,
			  bool private)
{
	gfn_t gfn = start;

	while (gfn < end) {
		gfn_t node_base = ALIGN_DOWN(gfn, ATTR_BITS_PER_NODE);
		gfn_t node_end;
		unsigned long *bits;

		if (private) {
			/* A missing bitmap is a shared node. */
			bits = attr_bitmap(kvm, gfn, false);
			if (!bits)
				return false;
		} else {
			/* Only the bitmaps present can hold a private gfn. */
			bits = attr_next_bitmap(kvm, gfn, end, &node_base);
			if (!bits)
				return true;
			gfn = max(gfn, node_base);
		}
		node_end = min(node_base + ATTR_BITS_PER_NODE, end);
		for (; gfn < node_end; gfn = ALIGN_DOWN(gfn, 64) + 64) {
			gfn_t wbase = ALIGN_DOWN(gfn, 64);
			unsigned long mask = attr_word_mask(wbase, gfn, node_end);
			unsigned long w = __atomic_load_n(
				&bits[(wbase - node_base) / 64], __ATOMIC_ACQUIRE);

			if ((w & mask) != (private ? mask : 0))
				return false;
		}
	}
	return true;
}

/*
 * In-place conversion v8: are all gfns in [start, end) @attrs in the
 * guest_memfds bound to them? A gfn without a guest_memfd is shared.
 */
static bool kvm_gmem_range_is(struct kvm *kvm, gfn_t start, gfn_t end,
			      unsigned long attrs)
{
	struct kvm_memslots *slots;
	gfn_t gfn = start;
	bool ret = true;
	int i;

	rcu_read_lock();
	slots = kvm_memslots(kvm);
	for (i = kvm_memslots_first_in_range(slots, start);
	     ret && i < slots->nr && gfn < end; i++) {
		struct kvm_memory_slot *slot = slots->slots[i];
		gfn_t e = min(end, slot->base_gfn + slot->npages);

		if (slot->base_gfn >= end)
			break;
		if (slot->base_gfn > gfn && attrs)
			ret = false;
		else
			ret = kvm_gmem_slot_range_has_attributes(slot,
					max(gfn, slot->base_gfn), e, attrs);
		gfn = e;
	}
	rcu_read_unlock();
	return ret && (gfn >= end || !attrs);
}

bool kvm_range_has_memory_attributes(struct kvm *kvm, gfn_t start, gfn_t end,
				     unsigned long mask, unsigned long attrs)
{
	if (attrs & ~mask)
		return false;
	if (!(mask & KVM_MEMORY_ATTRIBUTE_PRIVATE) || start >= end)
		return true;
	if (kvm_gmem_in_place(kvm))
		return kvm_gmem_range_is(kvm, start, end,
					 attrs & KVM_MEMORY_ATTRIBUTE_PRIVATE);
	return attr_range_is(kvm, start, end,
			     attrs & KVM_MEMORY_ATTRIBUTE_PRIVATE);
}

/* Allocate the bitmaps of [start, end) up front (the kernel's xa_reserve). */
static int attr_reserve(struct kvm *kvm, gfn_t start, gfn_t end)
{
	gfn_t gfn;

	if ((end - start) / ATTR_BITS_PER_NODE > ATTR_MAX_NEW_BITMAPS)
		return -ENOMEM;
	for (gfn = ALIGN_DOWN(start, ATTR_BITS_PER_NODE); gfn < end;
	     gfn += ATTR_BITS_PER_NODE) {
		if (!attr_bitmap(kvm, gfn, true))
			return -ENOMEM;
	}
	return 0;
}

/* Store the attribute of [start, end); returns the number of gfns changed. */
static u64 attr_store(struct kvm *kvm, gfn_t start, gfn_t end, bool private)
{
	u64 changed = 0;
	gfn_t gfn = start;

	while (gfn < end) {
		gfn_t node_base = ALIGN_DOWN(gfn, ATTR_BITS_PER_NODE);
		gfn_t node_end;
		unsigned long *bits;

		if (private) {
			/* Reserved by attr_reserve(). */
			bits = attr_bitmap(kvm, gfn, true);
			if (WARN_ON_ONCE(!bits))
				break;
		} else {
			/* Clearing: only the bitmaps present have bits set. */
			bits = attr_next_bitmap(kvm, gfn, end, &node_base);
			if (!bits)
				break;
			gfn = max(gfn, node_base);
		}
		node_end = min(node_base + ATTR_BITS_PER_NODE, end);
		for (; gfn < node_end; gfn = ALIGN_DOWN(gfn, 64) + 64) {
			gfn_t wbase = ALIGN_DOWN(gfn, 64);
			unsigned long mask = attr_word_mask(wbase, gfn, node_end);
			unsigned long *w = &bits[(wbase - node_base) / 64];
			unsigned long old;

			if (private)
				old = __atomic_fetch_or(w, mask, __ATOMIC_RELEASE);
			else
				old = __atomic_fetch_and(w, ~mask,
							 __ATOMIC_RELEASE);
			changed += __builtin_popcountl((private ? ~old : old) &
						       mask);
		}
		cond_resched();
	}
	return changed;
}

enum kvm_attr_step {
	KVM_ATTR_PRE_SET,
	KVM_ATTR_POST_SET,
};

/*
 * kvm_handle_gfn_range() for attribute changes: for each slot intersection
 * of [start, end), take mmu_lock for write once, run the step's on_lock
 * (invalidate begin or end), and call the step's handler.
 */
static void kvm_handle_attr_range(struct kvm *kvm, gfn_t start, gfn_t end,
				  unsigned long attributes,
				  enum kvm_attr_step step)
{
	struct kvm_memslots *slots = kvm->memslots;
	bool found_memslot = false, flush = false;
	int i;

	for (i = kvm_memslots_first_in_range(slots, start); i < slots->nr; i++) {
		struct kvm_memory_slot *slot = slots->slots[i];
		struct kvm_gfn_range range = {
			.slot = slot,
			.start = max(start, slot->base_gfn),
			.end = min(end, slot->base_gfn + slot->npages),
			.attributes = attributes,
			.may_block = true,
		};

		if (slot->base_gfn >= end)
			break;
		if (range.start >= range.end)
			continue;
		if (!found_memslot) {
			found_memslot = true;
			write_lock(&kvm->mmu_lock);
			if (step == KVM_ATTR_PRE_SET)
				kvm_mmu_invalidate_begin(kvm);
			else
				kvm_mmu_invalidate_end(kvm);
		}
		if (step == KVM_ATTR_PRE_SET) {
			/*
			 * Every gfn of the range goes into the invalidation,
			 * and the mappings of the OLD attribute are zapped:
			 * to private zaps shared (direct) mappings, to shared
			 * zaps private (mirror) ones.
			 */
			range.attr_filter =
				(attributes & KVM_MEMORY_ATTRIBUTE_PRIVATE) ?
				KVM_FILTER_SHARED : KVM_FILTER_PRIVATE;
			kvm_mmu_invalidate_range_add(kvm, range.start,
						     range.end);
			flush |= kvm_arch_pre_set_memory_attributes(kvm, &range);
		} else {
			kvm_arch_post_set_memory_attributes(kvm, &range);
		}
	}
	if (flush)
		kvm_flush_remote_tlbs(kvm);
	if (found_memslot)
		write_unlock(&kvm->mmu_lock);
}

/* Split the 2M guest_memfd folios [s, e) of @slot covers only in part. */
static int kvm_attr_split_folio(struct kvm *kvm, struct kvm_memory_slot *slot,
				gfn_t s, gfn_t e)
{
	return kvm_gmem_split_for_conversion(kvm, slot, s, e);
}

/*
 * TDX huge pages: split the private huge mappings crossing [s, e) of
 * @slot before the conversion to shared zaps them.
 */
static int kvm_attr_split_private(struct kvm *kvm,
				  struct kvm_memory_slot *slot, gfn_t s,
				  gfn_t e)
{
	struct kvm_gfn_range range = {
		.slot = slot,
		.start = s,
		.end = e,
		.may_block = true,
		.attr_filter = KVM_FILTER_PRIVATE,
	};

	return kvm_split_private_mapping(kvm, &range);
}

/* Call @fn for each guest_memfd slot's part of [start, end); stop on error. */
static int kvm_attr_for_each_gmem_slot(struct kvm *kvm, gfn_t start,
				       gfn_t end,
				       int (*fn)(struct kvm *kvm,
						 struct kvm_memory_slot *slot,
						 gfn_t s, gfn_t e))
{
	struct kvm_memslots *slots = kvm->memslots;
	int i, r;

	for (i = kvm_memslots_first_in_range(slots, start); i < slots->nr; i++) {
		struct kvm_memory_slot *slot = slots->slots[i];
		gfn_t s = max(start, slot->base_gfn);
		gfn_t e = min(end, slot->base_gfn + slot->npages);

		if (slot->base_gfn >= end)
			break;
		if (s >= e || !kvm_slot_has_gmem(slot))
			continue;
		r = fn(kvm, slot, s, e);
		if (r)
			return r;
	}
	return 0;
}

static int kvm_vm_set_mem_attributes(struct kvm *kvm, gfn_t start, gfn_t end,
				     unsigned long attributes)
{
	bool private = attributes & KVM_MEMORY_ATTRIBUTE_PRIVATE;
	bool folio_first = false;
	u64 changed;
	int r = 0;

	mutex_lock(&kvm->slots_lock);

	/* Nothing to do if the entire range has the desired attributes. */
	if (kvm_range_has_memory_attributes(kvm, start, end, ~0UL, attributes))
		goto out_unlock;

	/* Reserve memory so that storing cannot fail halfway. */
	if (private) {
		r = attr_reserve(kvm, start, end);
		if (r)
			goto out_unlock;
	}

	/*
	 * TDX huge pages, to shared: the S-EPT is split before the folio
	 * (design huge_split_order; sept_first is the series' order: a
	 * failed split leaves everything as it was). folio_first splits the
	 * folio first and the S-EPT in the zap, with the split cache filled
	 * beforehand and held across.
	 */
	if (!private && READ_ONCE(kvm->design.huge_split)) {
		folio_first = READ_ONCE(kvm->design.huge_split_order) ==
			      TDXSIM_HUGE_SPLIT_ORDER_FOLIO_FIRST;
		if (!folio_first)
			r = kvm_attr_for_each_gmem_slot(kvm, start, end,
							kvm_attr_split_private);
		else
			r = kvm_attr_for_each_gmem_slot(kvm, start, end,
							kvm_attr_split_folio);
		if (r)
			goto out_unlock;
		if (folio_first) {
			r = kvm_lock_split_cache(kvm, 2);
			if (r)
				goto out_unlock;
		}
	}

	kvm_handle_attr_range(kvm, start, end, attributes, KVM_ATTR_PRE_SET);

	if (folio_first)
		kvm_unlock_split_cache(kvm);
	/* In-place conversion: no 2M folio may straddle the boundary. */
	r = kvm_attr_for_each_gmem_slot(kvm, start, end, kvm_attr_split_folio);
	if (!r) {
		changed = attr_store(kvm, start, end, private);
		trace_kvm_vm_set_mem_attributes(kvm, start, end, attributes,
						changed);
	}

	kvm_handle_attr_range(kvm, start, end, attributes, KVM_ATTR_POST_SET);

out_unlock:
	mutex_unlock(&kvm->slots_lock);
	return r;
}

int kvm_vm_ioctl_set_mem_attributes(struct kvm *kvm,
				    struct kvm_memory_attributes *attrs)
{
	gfn_t start, end;

	/* flags is currently not used. */
	if (attrs->flags)
		return -EINVAL;
	if (attrs->attributes & ~kvm_supported_mem_attributes(kvm))
		return -EINVAL;
	if (attrs->size == 0 || attrs->address + attrs->size < attrs->address)
		return -EINVAL;
	if (!IS_ALIGNED(attrs->address, PAGE_SIZE) ||
	    !IS_ALIGNED(attrs->size, PAGE_SIZE))
		return -EINVAL;

	/*
	 * In-place conversion v8: per-VM attributes are disabled (PRIVATE
	 * failed above); the array stays empty, so "shared" changes nothing.
	 */
	if (kvm_gmem_in_place(kvm))
		return 0;

	start = attrs->address >> PAGE_SHIFT;
	end = (attrs->address + attrs->size) >> PAGE_SHIFT;
	return kvm_vm_set_mem_attributes(kvm, start, end, attrs->attributes);
}

/* ---- the MMU invalidation protocol ---- */

void kvm_mmu_invalidate_begin(struct kvm *kvm)
{
	long n;

	lockdep_assert_held_write(&kvm->mmu_lock);
	n = READ_ONCE(kvm->mmu_invalidate_in_progress) + 1;
	WRITE_ONCE(kvm->mmu_invalidate_in_progress, n);
	if (likely(n == 1)) {
		WRITE_ONCE(kvm->mmu_invalidate_range_start, INVALID_GPA);
		WRITE_ONCE(kvm->mmu_invalidate_range_end, INVALID_GPA);
	}
	trace_kvm_mmu_invalidate_begin(kvm);
}

void kvm_mmu_invalidate_range_add(struct kvm *kvm, gfn_t start, gfn_t end)
{
	lockdep_assert_held_write(&kvm->mmu_lock);
	WARN_ON_ONCE(!READ_ONCE(kvm->mmu_invalidate_in_progress));

	if (likely(kvm->mmu_invalidate_range_start == INVALID_GPA)) {
		WRITE_ONCE(kvm->mmu_invalidate_range_start, start);
		WRITE_ONCE(kvm->mmu_invalidate_range_end, end);
	} else {
		/*
		 * Fully tracking multiple concurrent ranges has diminishing
		 * returns: keep one range that covers them all.
		 */
		WRITE_ONCE(kvm->mmu_invalidate_range_start,
			   min(kvm->mmu_invalidate_range_start, start));
		WRITE_ONCE(kvm->mmu_invalidate_range_end,
			   max(kvm->mmu_invalidate_range_end, end));
	}
}

void kvm_mmu_invalidate_end(struct kvm *kvm)
{
	lockdep_assert_held_write(&kvm->mmu_lock);

	/*
	 * The sequence count is bumped before in_progress drops, so a fault
	 * that sees in_progress == 0 also sees the new sequence and retries.
	 */
	__atomic_store_n(&kvm->mmu_invalidate_seq, kvm->mmu_invalidate_seq + 1,
			 __ATOMIC_RELEASE);
	smp_wmb();
	__atomic_store_n(&kvm->mmu_invalidate_in_progress,
			 kvm->mmu_invalidate_in_progress - 1, __ATOMIC_RELEASE);
	KVM_BUG_ON(kvm->mmu_invalidate_in_progress < 0, kvm);

	/* An invalidation must have added a range. */
	WARN_ON_ONCE(kvm->mmu_invalidate_range_start == INVALID_GPA);
}

bool kvm_mmu_unmap_gfn_range(struct kvm *kvm, struct kvm_gfn_range *range)
{
	kvm_mmu_invalidate_range_add(kvm, range->start, range->end);
	return kvm_unmap_gfn_range(kvm, range);
}

/* ---- exits, pages ---- */

void kvm_prepare_memory_fault_exit(struct kvm_vcpu *vcpu, gpa_t gpa,
				   gpa_t size, bool is_write, bool is_exec,
				   bool is_private)
{
	vcpu->run->exit_reason = KVM_EXIT_MEMORY_FAULT;
	vcpu->run->memory_fault.gpa = gpa;
	vcpu->run->memory_fault.size = size;
	/* RWX flags are not (yet) defined or communicated to userspace. */
	vcpu->run->memory_fault.flags = 0;
	if (is_private)
		vcpu->run->memory_fault.flags |= KVM_MEMORY_EXIT_FLAG_PRIVATE;
	trace_kvm_memory_fault_exit(vcpu, gpa, size, is_private);
}

void kvm_release_page_clean(struct page *page)
{
	if (!page)
		return;
	put_page(page);
}

void kvm_release_faultin_page(struct kvm *kvm, struct page *page, bool unused,
			      bool dirty)
{
	kvm_release_page_clean(page);
}

/* ---- vCPUs ---- */

static long kvm_vcpu_ioctl(struct file *file, unsigned long ioctl,
			   unsigned long arg);
static int kvm_get_stats_fd(struct kvm *kvm, void *obj, bool vcpu);

static void kvm_vcpu_release(struct file *file)
{
	struct kvm_vcpu *vcpu = file->private_data;

	kvm_put_kvm(vcpu->kvm);
}

static int kvm_vcpu_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct kvm_vcpu *vcpu = file->private_data;

	if (vma->vm_pgoff != 0 ||
	    vma->vm_end - vma->vm_start > KVM_VCPU_MMAP_SIZE)
		return -EINVAL;
	vma->vm_direct = vcpu->run;
	return 0;
}

const struct file_operations kvm_vcpu_fops = {
	.name = "kvm-vcpu",
	.unlocked_ioctl = kvm_vcpu_ioctl,
	.mmap = kvm_vcpu_mmap,
	.release = kvm_vcpu_release,
};

static struct kvm_vcpu *kvm_get_vcpu_by_id(struct kvm *kvm, int id)
{
	int i, n = atomic_read(&kvm->online_vcpus);

	for (i = 0; i < n; i++) {
		if (kvm->vcpus[i]->vcpu_id == id)
			return kvm->vcpus[i];
	}
	return NULL;
}

static int kvm_vm_ioctl_create_vcpu(struct kvm *kvm, unsigned long id)
{
	struct kvm_vcpu *vcpu;
	struct file *file;
	int r, fd;

	if (id >= KVM_MAX_VCPU_IDS)
		return -EINVAL;

	mutex_lock(&kvm->lock);
	if (kvm->created_vcpus >= kvm->max_vcpus) {
		mutex_unlock(&kvm->lock);
		return -EINVAL;
	}
	r = kvm_arch_vcpu_precreate(kvm, id);
	if (r) {
		mutex_unlock(&kvm->lock);
		return r;
	}
	kvm->created_vcpus++;
	mutex_unlock(&kvm->lock);

	vcpu = xzalloc(sizeof(*vcpu));
	vcpu->kvm = kvm;
	vcpu->vcpu_id = id;
	mutex_init(&vcpu->mutex);
	/* tdxsim: zeroed pages that a user mapping maps again (kvm_vcpu_mmap). */
	vcpu->run = vmalloc_user(KVM_VCPU_MMAP_SIZE);
	if (!vcpu->run) {
		r = -ENOMEM;
		goto vcpu_free;
	}
	vcpu->mode = OUTSIDE_GUEST_MODE;

	r = kvm_arch_vcpu_create(vcpu);
	if (r)
		goto vcpu_free_run;

	mutex_lock(&kvm->lock);
	if (kvm_get_vcpu_by_id(kvm, id)) {
		r = -EEXIST;
		goto unlock_vcpu_destroy;
	}
	vcpu->vcpu_idx = atomic_read(&kvm->online_vcpus);
	kvm->vcpus[vcpu->vcpu_idx] = vcpu;

	/* Now it's all set up, let userspace reach it */
	kvm_get_kvm(kvm);
	fd = anon_inode_getfd(&kvm_vcpu_fops, vcpu, NULL, &file);
	if (fd < 0) {
		r = fd;
		kvm->vcpus[vcpu->vcpu_idx] = NULL;
		kvm_put_kvm(kvm);
		goto unlock_vcpu_destroy;
	}
	__atomic_store_n(&kvm->online_vcpus.counter, vcpu->vcpu_idx + 1,
			 __ATOMIC_RELEASE);
	mutex_unlock(&kvm->lock);
	return fd;

unlock_vcpu_destroy:
	mutex_unlock(&kvm->lock);
	kvm_arch_vcpu_destroy(vcpu);
vcpu_free_run:
	vfree_user(vcpu->run, KVM_VCPU_MMAP_SIZE);
vcpu_free:
	mutex_destroy(&vcpu->mutex);
	free(vcpu);
	mutex_lock(&kvm->lock);
	kvm->created_vcpus--;
	mutex_unlock(&kvm->lock);
	return r;
}

static int kvm_vcpu_pre_fault_memory(struct kvm_vcpu *vcpu,
				     struct kvm_pre_fault_memory *range)
{
	struct kvm *kvm = vcpu->kvm;
	u64 full_size;
	long r = 0;
	int idx;

	if (range->flags)
		return -EINVAL;
	if (!IS_ALIGNED(range->gpa, PAGE_SIZE) ||
	    !IS_ALIGNED(range->size, PAGE_SIZE) ||
	    range->gpa + range->size <= range->gpa)
		return -EINVAL;

	vcpu_load(vcpu);
	idx = srcu_read_lock(&kvm->srcu);

	full_size = range->size;
	do {
		r = kvm_arch_vcpu_pre_fault_memory(vcpu, range);
		/*
		 * -EIO is the answer of a VM that died meanwhile (another
		 * vCPU's guest may get it killed): userspace can cause it, so
		 * it is returned, not warned about. Upstream WARNs on it too
		 * (docs/FINDINGS.md, F2).
		 */
		if (WARN_ON_ONCE(r == 0))
			break;
		if (r < 0)
			break;
		range->size -= r;
		range->gpa += r;
		cond_resched();
	} while (range->size);

	srcu_read_unlock(&kvm->srcu, idx);
	vcpu_put(vcpu);

	/* Return success if at least one page was mapped successfully. */
	return full_size == range->size ? r : 0;
}

static long kvm_vcpu_ioctl(struct file *file, unsigned long ioctl,
			   unsigned long arg)
{
	struct kvm_vcpu *vcpu = file->private_data;
	void *argp = (void *)arg;
	long r;

	/* tdxsim's controls (the read-only ones also on a dead VM) */
	if (TDXSIM_IOC_TYPE(ioctl) != KVMIO)
		return tdxsim_vcpu_ioctl(vcpu, ioctl, arg);

	if (kvm_vm_is_dead(vcpu->kvm))
		return -EIO;

	/* Arch ioctls that take their own locks (TDX's VM-state guard). */
	r = kvm_arch_vcpu_unlocked_ioctl(vcpu, ioctl, arg);
	if (r != -ENOIOCTLCMD)
		return r;

	mutex_lock(&vcpu->mutex);
	switch (ioctl) {
	case KVM_RUN:
		r = -EINVAL;
		if (arg)
			break;
		vcpu->wants_to_run = !READ_ONCE(vcpu->run->immediate_exit__unsafe);
		r = kvm_arch_vcpu_ioctl_run(vcpu);
		vcpu->wants_to_run = false;
		break;
	case KVM_GET_STATS_FD:
		r = kvm_get_stats_fd(vcpu->kvm, vcpu, true);
		break;
	case KVM_SET_SIGNAL_MASK: {
		struct kvm_signal_mask kvm_sigmask;
		u64 sigset;

		if (!argp) {
			vcpu->sigset_active = false;
			r = 0;
			break;
		}
		r = -EFAULT;
		if (copy_from_user(&kvm_sigmask, argp, sizeof(kvm_sigmask)))
			break;
		r = -EINVAL;
		if (kvm_sigmask.len != sizeof(sigset))
			break;
		r = -EFAULT;
		if (copy_from_user(&sigset, (u8 *)argp + sizeof(kvm_sigmask),
				   sizeof(sigset)))
			break;
		vcpu->sigset = sigset;
		vcpu->sigset_active = true;
		r = 0;
		break;
	}
	case KVM_PRE_FAULT_MEMORY: {
		struct kvm_pre_fault_memory range;

		r = -EFAULT;
		if (copy_from_user(&range, argp, sizeof(range)))
			break;
		r = kvm_vcpu_pre_fault_memory(vcpu, &range);
		/* Pass back leftover range. */
		if (copy_to_user(argp, &range, sizeof(range)))
			r = -EFAULT;
		break;
	}
	default:
		r = kvm_arch_vcpu_ioctl(vcpu, ioctl, arg);
		break;
	}
	mutex_unlock(&vcpu->mutex);
	return r;
}

/*
 * ---- interrupt routing, irqfd, ioeventfd, coalesced MMIO ----
 * (virt/kvm/irqchip.c, eventfd.c, coalesced_mmio.c) The checks and errors
 * are KVM's. An ioeventfd is signalled by a guest write it matches
 * (kvm_io_bus_write()); an irqfd with an MSI route injects it when its
 * eventfd is signalled (tdxsim_irqfd_poll()); coalesced zones are kept as
 * bookkeeping only. An eventfd is known by its descriptor number (the
 * kernel compares the eventfd itself).
 */
#define KVM_MAX_IRQ_ROUTES		4096
#define KVM_COALESCED_MMIO_PAGE_OFFSET	2
/* Devices on one I/O bus (NR_IOBUS_DEVS): ioeventfds and coalesced zones. */
#define NR_IOBUS_DEVS			1000
#define KVM_IOEVENTFD_VALID_FLAG_MASK	((1 << 4) - 1)

/* tdxsim: an irqfd as the vCPUs poll it: its eventfd and its MSI. */
struct tdxsim_irqfd_set {
	int nr;
	struct {
		int fd;
		struct kvm_msi msi;
	} e[];
};

/*
 * kvm->lock held: the irqfds with an MSI route, for the vCPUs; the old set
 * is returned for tdxsim_irqfd_set_free() outside the lock.
 */
static struct tdxsim_irqfd_set *tdxsim_irqfd_publish(struct kvm *kvm)
{
	struct tdxsim_irqfd_set *set, *old;
	int i;
	u32 j;

	set = xzalloc(sizeof(*set) + kvm->nr_irqfds * sizeof(set->e[0]));
	for (i = 0; i < kvm->nr_irqfds; i++) {
		for (j = 0; j < kvm->nr_irq_routes; j++) {
			const struct kvm_irq_routing_entry *r =
				&kvm->irq_routes[j];

			if (r->gsi != kvm->irqfds[i].gsi ||
			    r->type != KVM_IRQ_ROUTING_MSI)
				continue;
			set->e[set->nr].fd = (int)kvm->irqfds[i].fd;
			set->e[set->nr].msi = (struct kvm_msi){
				.address_lo = r->u.msi.address_lo,
				.address_hi = r->u.msi.address_hi,
				.data = r->u.msi.data,
			};
			set->nr++;
			break;
		}
	}
	old = kvm->irqfd_set;
	__atomic_store_n(&kvm->irqfd_set, set, __ATOMIC_RELEASE);
	return old;
}

static void tdxsim_irqfd_set_free(struct kvm *kvm, struct tdxsim_irqfd_set *set)
{
	if (!set)
		return;
	synchronize_srcu(&kvm->srcu);
	free(set);
}

void tdxsim_irqfd_poll(struct kvm *kvm)
{
	struct tdxsim_irqfd_set *set = __atomic_load_n(&kvm->irqfd_set,
						       __ATOMIC_ACQUIRE);
	int i;

	if (!set || !set->nr || !mutex_trylock(&kvm->irqfd_poll_lock))
		return;
	for (i = 0; i < set->nr; i++) {
		struct pollfd p = { .fd = set->e[i].fd, .events = POLLIN };
		u64 count;

		/* Only this vCPU reads: a readable eventfd does not block. */
		if (poll(&p, 1, 0) != 1 || !(p.revents & POLLIN) ||
		    read(p.fd, &count, sizeof(count)) != sizeof(count))
			continue;
		kvm_send_userspace_msi(kvm, &set->e[i].msi);
	}
	mutex_unlock(&kvm->irqfd_poll_lock);
}

static int kvm_set_irq_routing(struct kvm *kvm,
			       const struct kvm_irq_routing_entry *ue, u32 nr)
{
	struct kvm_irq_routing_entry *copy;
	struct tdxsim_irqfd_set *old;
	u32 i;

	for (i = 0; i < nr; i++) {
		if (ue[i].gsi >= KVM_MAX_IRQ_ROUTES)
			return -EINVAL;
		/* x86 takes no MSI device ID. */
		if (ue[i].flags)
			return -EINVAL;
		switch (ue[i].type) {
		case KVM_IRQ_ROUTING_IRQCHIP:
			/* No in-kernel PIC or IOAPIC with a split irqchip. */
			if (kvm_arch_irqchip_split(kvm))
				return -EINVAL;
			break;
		case KVM_IRQ_ROUTING_MSI:
			break;
		default:
			return -EINVAL;
		}
	}
	copy = nr ? xzalloc(nr * sizeof(*copy)) : NULL;
	if (nr)
		memcpy(copy, ue, nr * sizeof(*copy));
	mutex_lock(&kvm->lock);
	free(kvm->irq_routes);
	kvm->irq_routes = copy;
	kvm->nr_irq_routes = nr;
	old = tdxsim_irqfd_publish(kvm);
	mutex_unlock(&kvm->lock);
	tdxsim_irqfd_set_free(kvm, old);
	return 0;
}

static long kvm_vm_ioctl_set_gsi_routing(struct kvm *kvm, void *argp)
{
	struct kvm_irq_routing routing;
	struct kvm_irq_routing_entry *entries = NULL;
	size_t size;
	long r;

	if (copy_from_user(&routing, argp, sizeof(routing)))
		return -EFAULT;
	if (!kvm_arch_can_set_irq_routing(kvm))
		return -EINVAL;
	if (routing.nr > KVM_MAX_IRQ_ROUTES || routing.flags)
		return -EINVAL;
	if (routing.nr) {
		size = routing.nr * sizeof(*entries);
		entries = malloc(size);
		if (!entries)
			return -ENOMEM;
		if (copy_from_user(entries, (u8 *)argp + sizeof(routing),
				   size)) {
			free(entries);
			return -EFAULT;
		}
	}
	r = kvm_set_irq_routing(kvm, entries, routing.nr);
	free(entries);
	return r;
}

static long kvm_irqfd(struct kvm *kvm, struct kvm_irqfd *args)
{
	struct tdxsim_irqfd_set *old = NULL;
	int i, r;

	if (args->flags & ~(KVM_IRQFD_FLAG_DEASSIGN | KVM_IRQFD_FLAG_RESAMPLE))
		return -EINVAL;
	r = eventfd_ctx_fdget((int)args->fd);
	if (r)
		return r;

	mutex_lock(&kvm->lock);
	if (args->flags & KVM_IRQFD_FLAG_DEASSIGN) {
		for (i = 0; i < kvm->nr_irqfds; i++) {
			if (kvm->irqfds[i].fd == args->fd &&
			    kvm->irqfds[i].gsi == args->gsi) {
				kvm->irqfds[i] = kvm->irqfds[--kvm->nr_irqfds];
				break;
			}
		}
		r = 0;
		goto out;
	}
	r = -EINVAL;
	if (!kvm_arch_irqfd_allowed(kvm, args))
		goto out;
	if (args->flags & KVM_IRQFD_FLAG_RESAMPLE) {
		r = eventfd_ctx_fdget((int)args->resamplefd);
		if (r)
			goto out;
	}
	r = -EBUSY;
	for (i = 0; i < kvm->nr_irqfds; i++)
		if (kvm->irqfds[i].fd == args->fd)
			goto out;
	r = -ENOMEM;
	if (!(kvm->nr_irqfds & 15)) {
		struct kvm_irqfd *n = realloc(kvm->irqfds, (kvm->nr_irqfds + 16) *
					      sizeof(*n));

		if (!n)
			goto out;
		kvm->irqfds = n;
	}
	kvm->irqfds[kvm->nr_irqfds++] = *args;
	r = 0;
out:
	if (!r)
		old = tdxsim_irqfd_publish(kvm);
	mutex_unlock(&kvm->lock);
	tdxsim_irqfd_set_free(kvm, old);
	return r;
}

static bool ioeventfd_collides(const struct kvm_ioeventfd *a,
			       const struct kvm_ioeventfd *b)
{
	bool a_wild = !(a->flags & KVM_IOEVENTFD_FLAG_DATAMATCH);
	bool b_wild = !(b->flags & KVM_IOEVENTFD_FLAG_DATAMATCH);

	if ((a->flags & KVM_IOEVENTFD_FLAG_PIO) !=
	    (b->flags & KVM_IOEVENTFD_FLAG_PIO) || a->addr != b->addr)
		return false;
	return !a->len || !b->len ||
	       (a->len == b->len &&
		(a_wild || b_wild || a->datamatch == b->datamatch));
}

static bool ioeventfd_same(const struct kvm_ioeventfd *a,
			   const struct kvm_ioeventfd *b)
{
	return a->fd == b->fd && a->addr == b->addr && a->len == b->len &&
	       ((a->flags ^ b->flags) & (KVM_IOEVENTFD_FLAG_PIO |
					 KVM_IOEVENTFD_FLAG_DATAMATCH)) == 0 &&
	       (!(a->flags & KVM_IOEVENTFD_FLAG_DATAMATCH) ||
		a->datamatch == b->datamatch);
}

/*
 * kvm->lock held: publish the ioeventfds for the vCPUs; the old copy is
 * returned, to be freed after synchronize_srcu() outside the lock.
 */
static struct kvm_io_bus *kvm_io_bus_publish(struct kvm *kvm)
{
	struct kvm_io_bus *bus, *old;

	bus = xzalloc(sizeof(*bus) + kvm->nr_ioeventfds * sizeof(bus->dev[0]));
	bus->nr = kvm->nr_ioeventfds;
	memcpy(bus->dev, kvm->ioeventfds, bus->nr * sizeof(bus->dev[0]));
	old = kvm->io_bus;
	__atomic_store_n(&kvm->io_bus, bus, __ATOMIC_RELEASE);
	return old;
}

/* ioeventfd_in_range(): the address, the length (0: any), the data. */
static bool ioeventfd_in_range(const struct kvm_ioeventfd *p, gpa_t addr,
			       int len, const void *val)
{
	u64 v = 0;

	if (!p->len)
		return addr == p->addr;
	if (addr != p->addr || len != (int)p->len)
		return false;
	if (!(p->flags & KVM_IOEVENTFD_FLAG_DATAMATCH))
		return true;
	memcpy(&v, val, len);
	return v == p->datamatch;
}

/*
 * eventfd_signal(): the counter of the eventfd the VMM gave goes up by one.
 * tdxsim keeps its descriptor number (the kernel keeps the eventfd_ctx).
 */
static void kvm_ioeventfd_signal(int fd)
{
	u64 one = 1;

	if (write(fd, &one, sizeof(one)) != sizeof(one))
		pr_warn_once("kvm: ioeventfd %d: %s\n", fd, strerror(errno));
}

int kvm_io_bus_write(struct kvm_vcpu *vcpu, enum kvm_bus bus_idx, gpa_t addr,
		     int len, const void *val)
{
	struct kvm_io_bus *bus = __atomic_load_n(&vcpu->kvm->io_bus,
						 __ATOMIC_ACQUIRE);
	bool pio = bus_idx == KVM_PIO_BUS;
	int i;

	for (i = 0; bus && i < bus->nr; i++) {
		const struct kvm_ioeventfd *p = &bus->dev[i];

		if (!(p->flags & KVM_IOEVENTFD_FLAG_PIO) != !pio ||
		    !ioeventfd_in_range(p, addr, len, val))
			continue;
		kvm_ioeventfd_signal((int)p->fd);
		return 0;
	}
	return -EOPNOTSUPP;
}

static long kvm_ioeventfd(struct kvm *kvm, struct kvm_ioeventfd *args)
{
	struct kvm_io_bus *old = NULL;
	int i, r;

	if (!(args->flags & KVM_IOEVENTFD_FLAG_DEASSIGN)) {
		/* must be natural-word sized, or 0 to ignore length */
		switch (args->len) {
		case 0: case 1: case 2: case 4: case 8:
			break;
		default:
			return -EINVAL;
		}
		if (args->addr + args->len < args->addr)
			return -EINVAL;
		if (args->flags & ~KVM_IOEVENTFD_VALID_FLAG_MASK)
			return -EINVAL;
		if (!args->len && (args->flags & KVM_IOEVENTFD_FLAG_DATAMATCH))
			return -EINVAL;
	}
	r = eventfd_ctx_fdget((int)args->fd);
	if (r)
		return r;

	mutex_lock(&kvm->lock);
	if (args->flags & KVM_IOEVENTFD_FLAG_DEASSIGN) {
		r = -ENOENT;
		for (i = 0; i < kvm->nr_ioeventfds; i++) {
			if (ioeventfd_same(&kvm->ioeventfds[i], args)) {
				kvm->ioeventfds[i] =
					kvm->ioeventfds[--kvm->nr_ioeventfds];
				r = 0;
				break;
			}
		}
		goto out;
	}
	r = -EEXIST;
	for (i = 0; i < kvm->nr_ioeventfds; i++)
		if (ioeventfd_collides(&kvm->ioeventfds[i], args))
			goto out;
	r = -ENOSPC;
	if (kvm->nr_ioeventfds + kvm->nr_coalesced_zones >= NR_IOBUS_DEVS)
		goto out;
	r = -ENOMEM;
	if (!(kvm->nr_ioeventfds & 15)) {
		struct kvm_ioeventfd *n = realloc(kvm->ioeventfds,
				(kvm->nr_ioeventfds + 16) * sizeof(*n));

		if (!n)
			goto out;
		kvm->ioeventfds = n;
	}
	kvm->ioeventfds[kvm->nr_ioeventfds++] = *args;
	r = 0;
out:
	if (!r)
		old = kvm_io_bus_publish(kvm);
	mutex_unlock(&kvm->lock);
	if (old) {
		synchronize_srcu(&kvm->srcu);
		free(old);
	}
	return r;
}

static long kvm_coalesced_mmio(struct kvm *kvm,
			       struct kvm_coalesced_mmio_zone *zone,
			       bool reg)
{
	int i, r = 0;

	if (zone->pio != 1 && zone->pio != 0)
		return -EINVAL;
	mutex_lock(&kvm->lock);
	if (!reg) {
		/* Every zone inside the given one goes. */
		for (i = 0; i < kvm->nr_coalesced_zones; ) {
			struct kvm_coalesced_mmio_zone *z =
				&kvm->coalesced_zones[i];

			if (z->pio == zone->pio && z->addr >= zone->addr &&
			    z->addr + z->size <= zone->addr + zone->size)
				*z = kvm->coalesced_zones[--kvm->nr_coalesced_zones];
			else
				i++;
		}
		goto out;
	}
	r = -ENOSPC;
	if (kvm->nr_ioeventfds + kvm->nr_coalesced_zones >= NR_IOBUS_DEVS)
		goto out;
	r = -ENOMEM;
	if (!(kvm->nr_coalesced_zones & 15)) {
		struct kvm_coalesced_mmio_zone *n = realloc(kvm->coalesced_zones,
				(kvm->nr_coalesced_zones + 16) * sizeof(*n));

		if (!n)
			goto out;
		kvm->coalesced_zones = n;
	}
	kvm->coalesced_zones[kvm->nr_coalesced_zones++] = *zone;
	r = 0;
out:
	mutex_unlock(&kvm->lock);
	return r;
}


/*
 * ---- binary statistics (virt/kvm/binary_stats.c) ----
 * KVM_GET_STATS_FD on a VM or a vCPU: a read-only file laid out as the
 * kernel's: header, id string, descriptors, then the values, read live.
 * tdxsim describes the counters it keeps under KVM's names.
 */
struct kvm_stat_item {
	const char *name;
	u32 flags;
	u64 (*get)(void *obj);
};

static u64 stat_remote_tlb_flush(void *obj)
{
	return counter_read(&((struct kvm *)obj)->stat.tlb_flushes);
}

static u64 stat_pages(struct kvm *kvm, int i)
{
	return atomic64_read(&kvm->arch.pages_mapped[i]);
}

static u64 stat_pages_4k(void *obj) { return stat_pages(obj, 0); }
static u64 stat_pages_2m(void *obj) { return stat_pages(obj, 1); }
static u64 stat_pages_1g(void *obj) { return stat_pages(obj, 2); }

static u64 stat_guest_mode(void *obj)
{
	return READ_ONCE(((struct kvm_vcpu *)obj)->mode) == IN_GUEST_MODE;
}

static const struct kvm_stat_item kvm_vm_stats[] = {
	{ "remote_tlb_flush", KVM_STATS_TYPE_CUMULATIVE, stat_remote_tlb_flush },
	{ "pages_4k", KVM_STATS_TYPE_INSTANT, stat_pages_4k },
	{ "pages_2m", KVM_STATS_TYPE_INSTANT, stat_pages_2m },
	{ "pages_1g", KVM_STATS_TYPE_INSTANT, stat_pages_1g },
};

static const struct kvm_stat_item kvm_vcpu_stats[] = {
	{ "guest_mode", KVM_STATS_TYPE_INSTANT, stat_guest_mode },
};

struct kvm_stats_file {
	struct kvm *kvm;		/* holds a reference */
	void *obj;			/* the VM or the vCPU */
	const struct kvm_stat_item *items;
	u32 nr;
	char id[KVM_STATS_NAME_SIZE];
};

static ssize_t kvm_stats_read(struct file *file, char *user_buffer,
			      size_t size, loff_t *offset)
{
	struct kvm_stats_file *sf = file->private_data;
	size_t desc_size = sizeof(struct kvm_stats_desc) + KVM_STATS_NAME_SIZE;
	struct kvm_stats_header h = {
		.name_size = KVM_STATS_NAME_SIZE,
		.num_desc = sf->nr,
		.id_offset = sizeof(h),
		.desc_offset = sizeof(h) + KVM_STATS_NAME_SIZE,
	};
	size_t total;
	u8 *buf;
	u32 i;

	h.data_offset = h.desc_offset + sf->nr * desc_size;
	total = h.data_offset + sf->nr * sizeof(u64);
	if (*offset >= (loff_t)total)
		return 0;
	buf = xzalloc(total);
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + h.id_offset, sf->id, KVM_STATS_NAME_SIZE);
	for (i = 0; i < sf->nr; i++) {
		struct kvm_stats_desc *d = (void *)(buf + h.desc_offset +
						    i * desc_size);
		u64 v = sf->items[i].get(sf->obj);

		d->flags = sf->items[i].flags | KVM_STATS_UNIT_NONE |
			   KVM_STATS_BASE_POW10;
		d->size = 1;
		d->offset = i * sizeof(u64);
		snprintf(d->name, KVM_STATS_NAME_SIZE, "%s", sf->items[i].name);
		memcpy(buf + h.data_offset + i * sizeof(u64), &v, sizeof(v));
	}
	size = min(size, total - (size_t)*offset);
	if (copy_to_user(user_buffer, buf + *offset, size)) {
		free(buf);
		return -EFAULT;
	}
	free(buf);
	*offset += size;
	return size;
}

static void kvm_stats_release(struct file *file)
{
	struct kvm_stats_file *sf = file->private_data;

	kvm_put_kvm(sf->kvm);
	free(sf);
}

static const struct file_operations kvm_stats_fops = {
	.name = "kvm-stats",
	.read = kvm_stats_read,
	.release = kvm_stats_release,
};

static int kvm_get_stats_fd(struct kvm *kvm, void *obj, bool vcpu)
{
	struct kvm_stats_file *sf = xzalloc(sizeof(*sf));
	int fd;

	sf->kvm = kvm;
	sf->obj = obj;
	sf->items = vcpu ? kvm_vcpu_stats : kvm_vm_stats;
	sf->nr = vcpu ? ARRAY_SIZE(kvm_vcpu_stats) : ARRAY_SIZE(kvm_vm_stats);
	if (vcpu)
		snprintf(sf->id, sizeof(sf->id), "kvm-%d/vcpu-%d", getpid(),
			 ((struct kvm_vcpu *)obj)->vcpu_id);
	else
		snprintf(sf->id, sizeof(sf->id), "kvm-%d", getpid());
	kvm_get_kvm(kvm);
	fd = anon_inode_getfd(&kvm_stats_fops, sf, NULL, NULL);
	if (fd < 0) {
		kvm_put_kvm(kvm);
		free(sf);
	}
	return fd;
}

/* ---- the VM fd ---- */

long kvm_vm_ioctl_check_extension_generic(struct kvm *kvm, long ext)
{
	switch (ext) {
	case KVM_CAP_USER_MEMORY:
	case KVM_CAP_USER_MEMORY2:
	case KVM_CAP_SYNC_MMU:
	case KVM_CAP_IMMEDIATE_EXIT:
	case KVM_CAP_MEMORY_FAULT_INFO:
	case KVM_CAP_GUEST_MEMFD:
	case KVM_CAP_IRQFD:
	case KVM_CAP_IOEVENTFD:
	case KVM_CAP_BINARY_STATS_FD:
		return 1;
	case KVM_CAP_IRQ_ROUTING:
		return KVM_MAX_IRQ_ROUTES;
	case KVM_CAP_COALESCED_MMIO:
		return KVM_COALESCED_MMIO_PAGE_OFFSET;
	case KVM_CAP_NR_MEMSLOTS:
		return KVM_USER_MEM_SLOTS;
	case KVM_CAP_MEMORY_ATTRIBUTES:
		return kvm_supported_mem_attributes(kvm);
	case KVM_CAP_GUEST_MEMFD_FLAGS:
		return kvm_gmem_get_supported_flags(kvm);
	case KVM_CAP_GUEST_MEMFD_MEMORY_ATTRIBUTES:
		/*
		 * v8: PRIVATE with gmem_in_place_conversion=Y and private
		 * memory. tdxsim's parameter is the VM's design: 0 without a VM.
		 */
		if (kvm && kvm_gmem_in_place(kvm) && kvm_arch_has_private_mem(kvm))
			return KVM_MEMORY_ATTRIBUTE_PRIVATE;
		return 0;
	default:
		break;
	}
	return kvm_vm_ioctl_check_extension_x86(kvm, ext);
}

static long kvm_vm_ioctl(struct file *file, unsigned long ioctl,
			 unsigned long arg)
{
	struct kvm *kvm = file->private_data;
	void *argp = (void *)arg;
	long r;

	/* tdxsim's controls (some also on a dead VM). */
	r = tdxsim_vm_ioctl(kvm, ioctl, arg);
	if (r != -ENOIOCTLCMD)
		return r;

	if (kvm_vm_is_dead(kvm))
		return -EIO;

	switch (ioctl) {
	case KVM_CREATE_VCPU:
		return kvm_vm_ioctl_create_vcpu(kvm, arg);
	case KVM_SET_USER_MEMORY_REGION2:
	case KVM_SET_USER_MEMORY_REGION: {
		struct kvm_userspace_memory_region2 mem;
		unsigned long size;

		memset(&mem, 0, sizeof(mem));
		if (ioctl == KVM_SET_USER_MEMORY_REGION)
			size = sizeof(struct kvm_userspace_memory_region);
		else
			size = sizeof(struct kvm_userspace_memory_region2);
		if (copy_from_user(&mem, argp, size))
			return -EFAULT;
		if (ioctl == KVM_SET_USER_MEMORY_REGION &&
		    (mem.flags & ~(KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY)))
			return -EINVAL;
		return kvm_set_memory_region(kvm, &mem);
	}
	case KVM_CHECK_EXTENSION:
		return kvm_vm_ioctl_check_extension_generic(kvm, arg);
	case KVM_SET_MEMORY_ATTRIBUTES: {
		struct kvm_memory_attributes attrs;

		if (copy_from_user(&attrs, argp, sizeof(attrs)))
			return -EFAULT;
		return kvm_vm_ioctl_set_mem_attributes(kvm, &attrs);
	}
	case KVM_SET_GSI_ROUTING:
		return kvm_vm_ioctl_set_gsi_routing(kvm, argp);
	case KVM_GET_STATS_FD:
		return kvm_get_stats_fd(kvm, kvm, false);
	case KVM_IRQFD: {
		struct kvm_irqfd data;

		if (copy_from_user(&data, argp, sizeof(data)))
			return -EFAULT;
		return kvm_irqfd(kvm, &data);
	}
	case KVM_IOEVENTFD: {
		struct kvm_ioeventfd data;

		if (copy_from_user(&data, argp, sizeof(data)))
			return -EFAULT;
		return kvm_ioeventfd(kvm, &data);
	}
	case KVM_REGISTER_COALESCED_MMIO:
	case KVM_UNREGISTER_COALESCED_MMIO: {
		struct kvm_coalesced_mmio_zone zone;

		if (copy_from_user(&zone, argp, sizeof(zone)))
			return -EFAULT;
		return kvm_coalesced_mmio(kvm, &zone,
					  ioctl == KVM_REGISTER_COALESCED_MMIO);
	}
	case KVM_SIGNAL_MSI: {
		struct kvm_msi msi;

		if (copy_from_user(&msi, argp, sizeof(msi)))
			return -EFAULT;
		return kvm_send_userspace_msi(kvm, &msi);
	}
	case KVM_CREATE_GUEST_MEMFD: {
		struct kvm_create_guest_memfd guest_memfd;

		if (copy_from_user(&guest_memfd, argp, sizeof(guest_memfd)))
			return -EFAULT;
		return kvm_gmem_create(kvm, &guest_memfd);
	}
	default:
		r = kvm_arch_vm_ioctl(kvm, ioctl, arg);
		break;
	}
	return r;
}

static void kvm_vm_release(struct file *file)
{
	kvm_put_kvm(file->private_data);
}

const struct file_operations kvm_vm_fops = {
	.name = "kvm-vm",
	.unlocked_ioctl = kvm_vm_ioctl,
	.release = kvm_vm_release,
};

/* ---- /dev/kvm ---- */

static int kvm_dev_ioctl_create_vm(unsigned long type)
{
	struct file *file;
	struct kvm *kvm;
	int r, fd;

	r = kvm_create_vm(type, &kvm);
	if (r)
		return r;
	fd = anon_inode_getfd(&kvm_vm_fops, kvm, NULL, &file);
	if (fd < 0)
		kvm_put_kvm(kvm);
	return fd;
}

long kvm_dev_ioctl(struct file *file, unsigned long ioctl, unsigned long arg)
{
	switch (ioctl) {
	case KVM_GET_API_VERSION:
		if (arg)
			return -EINVAL;
		return KVM_API_VERSION;
	case KVM_CREATE_VM:
		return kvm_dev_ioctl_create_vm(arg);
	case KVM_CHECK_EXTENSION:
		return kvm_vm_ioctl_check_extension_generic(NULL, arg);
	case KVM_GET_VCPU_MMAP_SIZE:
		if (arg)
			return -EINVAL;
		return KVM_VCPU_MMAP_SIZE;
	default: {
		long r = kvm_arch_dev_ioctl(ioctl, arg);

		if (r != -ENOIOCTLCMD)
			return r;
		return tdxsim_dev_ioctl(ioctl, arg);	/* tdxsim's controls */
	}
	}
}

const struct file_operations kvm_device_fops = {
	.name = "kvm",
	.unlocked_ioctl = kvm_dev_ioctl,
};

static struct miscdevice kvm_dev = {
	.name = "kvm",
	.fops = &kvm_device_fops,
};

int kvm_init(void)
{
	return misc_register(&kvm_dev);
}
