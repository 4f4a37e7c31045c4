/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The generic KVM objects (the kernel's include/linux/kvm_host.h): struct
 * kvm, struct kvm_vcpu, memslots, memory attributes, the MMU invalidation
 * protocol, vCPU requests and KVM_BUG_ON().
 *
 * Lock order (outermost first; see the reference, section 7):
 *   kvm->lock > vcpu->mutex > kvm->slots_lock > kvm->srcu (read)
 *   > guest_memfd "mapping.invalidate_lock" > "&mm->mmap_lock" (6.19 GUP)
 *   > kvm->mmu_lock > tdp_mmu_pages_lock
 * slots_lock, kvm->lock and vcpu->mutex are never taken inside kvm->srcu.
 */
#ifndef TDXSIM_KVM_KVM_HOST_H
#define TDXSIM_KVM_KVM_HOST_H

#include <errno.h>

#include "base/atomic.h"
#include "ulib/compiler.h"
#include "base/list.h"
#include "base/lock.h"
#include "base/log.h"
#include "base/sched.h"
#include "base/stats.h"
#include "kvm/asm/kvm_host.h"
#include "kvm/tdxsim_stats.h"
#include "host/fs.h"
#include "host/mm.h"
#include "host/radix.h"
#include "tdxsim/kvm.h"
#include "tdxsim/tdxsim.h"

struct page;
struct mm_struct;

#define KVM_MAX_VCPUS		4096
#define KVM_MAX_VCPU_IDS	(KVM_MAX_VCPUS * 4)
#define KVM_USER_MEM_SLOTS	32764
#define KVM_MEM_SLOTS_NUM	32767
#define KVM_MEM_MAX_NR_PAGES	((1UL << 31) - 1)
#define KVM_ADDRESS_SPACE_NUM	1	/* no SMM address space in tdxsim */
/* The host's MAXPHYADDR as the MMU sees it. */
#define KVM_HOST_PHYS_BITS	52
#define INVALID_GPA		(~(gpa_t)0)

/* Internal memslot flag: the slot is being deleted or moved. */
#define KVM_MEMSLOT_INVALID	(1UL << 16)
/* Internal memslot flag: shared accesses also use guest_memfd (MMAP). */
#define KVM_MEMSLOT_GMEM_ONLY	(1UL << 17)

/* ---- memslots ---- */
struct kvm_memory_slot {
	gfn_t base_gfn;
	unsigned long npages;
	u32 flags;
	short id;
	u16 as_id;
	unsigned long userspace_addr;
	struct kvm_arch_memory_slot arch;
	struct {
		/* RCU-protected; NULL once the guest_memfd is released. */
		struct file *file;
		u64 pgoff;
	} gmem;
	/* The slot owning lpage_info and the binding (an invalid copy doesn't). */
	bool is_copy;
};

/*
 * One generation of memslots: an array sorted by base_gfn, replaced as a
 * whole (copy, publish, synchronize_srcu) on every change. Readers hold
 * kvm->srcu (or slots_lock) and look up by gfn with a binary search.
 */
struct kvm_memslots {
	u64 generation;
	int nr;
	struct kvm_memory_slot *slots[];
};

/* ---- vCPUs ---- */
enum {
	OUTSIDE_GUEST_MODE,
	IN_GUEST_MODE,
	EXITING_GUEST_MODE,
	READING_SHADOW_PAGE_TABLES,
};

#define KVM_REQUEST_MASK	GENMASK(7, 0)
#define KVM_REQUEST_NO_WAKEUP	BIT(8)
#define KVM_REQUEST_WAIT	BIT(9)
#define KVM_REQUEST_NO_ACTION	BIT(10)

#define KVM_REQ_TLB_FLUSH	(0 | KVM_REQUEST_WAIT | KVM_REQUEST_NO_WAKEUP)
#define KVM_REQ_VM_DEAD		(1 | KVM_REQUEST_WAIT | KVM_REQUEST_NO_WAKEUP)
#define KVM_REQ_UNBLOCK		2
/*
 * No request bit a vCPU ever sees: kvm_make_all_cpus_request() with it is a
 * barrier that returns once every vCPU that was in guest mode has left it.
 */
#define KVM_REQ_OUTSIDE_GUEST_MODE \
	(KVM_REQUEST_NO_ACTION | KVM_REQUEST_WAIT | KVM_REQUEST_NO_WAKEUP)
/* First request number free for arch code. */
#define KVM_REQUEST_ARCH_BASE	8

struct kvm_vcpu {
	struct kvm *kvm;
	int vcpu_id;		/* id given by userspace at creation */
	int vcpu_idx;		/* index in kvm->vcpus */
	struct mutex mutex;
	struct kvm_run *run;	/* KVM_GET_VCPU_MMAP_SIZE bytes */
	int mode;		/* OUTSIDE_GUEST_MODE ... (READ_ONCE) */
	unsigned long requests;	/* bitmap of KVM_REQ_* numbers */
	int srcu_idx;		/* kvm->srcu read-side index during KVM_RUN */
	bool srcu_held;
	bool wants_to_run;
	/* KVM_SET_SIGNAL_MASK (kept: tdxsim delivers no signals to KVM_RUN). */
	bool sigset_active;
	u64 sigset;
	/* The guest program (TDXSIM_SET_GUEST), for the vendor. */
	const void *guest_ops;
	void *guest;
	struct kvm_vcpu_arch arch;
};

/* ---- counters (TDXSIM_GET_STATS) ---- */
struct kvm_vm_stat {
	struct counter faults;
	struct counter fault_retries;
	struct counter memory_fault_exits;
	struct counter pre_faults;
	struct counter conversions;
	struct counter pages_to_private;
	struct counter pages_to_shared;
	struct counter punch_holes;
	struct counter gmem_folios_allocated;
	struct counter gmem_folios_freed;
	struct counter gmem_folio_splits;
	struct counter splits;
	struct counter zaps;
	struct counter zapped_leaves;
	struct counter tlb_flushes;
	struct counter invalidations;
	struct counter memslot_updates;
	struct counter kicks;
	struct counter vm_bugged;
	/* Vendor counters, reported in tdxsim_stats.vendor[]. */
	struct counter vendor[TDXSIM_NR_VENDOR_STATS];
};

/* ---- the VM ---- */
struct tdxsim_user_pages;
struct tdxsim_irqfd_set;

struct kvm {
	struct mutex lock;		/* "&kvm->lock" */
	struct mutex slots_lock;	/* "&kvm->slots_lock" */
	rwlock_t mmu_lock;		/* "&kvm->mmu_lock" */
	struct srcu_struct srcu;	/* "&kvm->srcu": memslots readers */
	atomic_t users_count;
	struct mm_struct *mm;
	/* Zaps mappings made through the mm's addresses (hva-backed slots). */
	struct mmu_notifier mmu_notifier;

	/* Memslots: srcu/slots_lock protected (rcu_dereference). */
	struct kvm_memslots *memslots;
	u64 nr_memslot_pages;

	/* vCPUs: vcpus[0..online_vcpus) are valid (acquire online_vcpus). */
	struct kvm_vcpu **vcpus;
	int max_vcpus;
	int created_vcpus;		/* under kvm->lock */
	atomic_t online_vcpus;
	/* Woken when a vCPU leaves guest mode (kick acknowledgement). */
	struct wait_queue_head vcpu_mode_wq;

	/*
	 * Per-gfn memory attributes: a sparse array of 512-gfn bitmaps
	 * (only KVM_MEMORY_ATTRIBUTE_PRIVATE exists). Written under
	 * slots_lock, read locklessly.
	 */
	struct radix_tree mem_attr_array;

	/* The MMU invalidation protocol (written under mmu_lock write). */
	unsigned long mmu_invalidate_seq;
	long mmu_invalidate_in_progress;
	gfn_t mmu_invalidate_range_start;
	gfn_t mmu_invalidate_range_end;

	bool vm_bugged;
	bool vm_dead;

	/*
	 * KVM_SET_GSI_ROUTING, KVM_IRQFD, KVM_IOEVENTFD and coalesced MMIO
	 * zones, under kvm->lock: checked as KVM checks them, kept as
	 * bookkeeping (kvm_main.c).
	 */
	u32 nr_irq_routes;
	struct kvm_irq_routing_entry *irq_routes;
	struct kvm_irqfd *irqfds;
	int nr_irqfds;
	struct kvm_ioeventfd *ioeventfds;
	int nr_ioeventfds;
	/*
	 * The ioeventfds as the vCPUs see them (kvm_io_bus_write()): a copy
	 * published after each change, read under kvm->srcu (the kernel's
	 * kvm->buses[]).
	 */
	struct kvm_io_bus *io_bus;
	/*
	 * tdxsim: the irqfds with their MSI routes as the vCPUs poll them
	 * (tdxsim_irqfd_poll()), published as io_bus is; one vCPU polls at a
	 * time (irqfd_poll_lock, tried, never waited for).
	 */
	struct tdxsim_irqfd_set *irqfd_set;
	struct mutex irqfd_poll_lock;	/* "&kvm->irqfd_poll_lock" */
	struct kvm_coalesced_mmio_zone *coalesced_zones;
	int nr_coalesced_zones;

	struct kvm_arch arch;

	/*
	 * tdxsim: the kernel profile this VM models and its design switches
	 * (TDXSIM_SET_KERNEL, TDXSIM_SET_DESIGN, see tdxsim_ctl.c; fixed from
	 * KVM_TDX_INIT_VM on, under kvm->lock). The kernel twins read a
	 * switch with READ_ONCE(kvm->design.NAME).
	 */
	struct tdxsim_design design;
	bool design_frozen;
	/* tdxsim: stand-ins for the VMM's anonymous memory (tdxsim_user_pages.c). */
	struct tdxsim_user_pages *tdxsim_user_pages;
	/* tdxsim: what went wrong, as data (tdxsim_stats.c). */
	struct tdxsim_vm tdxsim;
	char tdxsim_kernel[TDXSIM_KERNEL_NAME_MAX];
	bool tdxsim_kernel_modified;
	struct kvm_vm_stat stat;
};

/* ---- the I/O buses (kvm_main.c): what the ioeventfds listen on ---- */
enum kvm_bus {
	KVM_MMIO_BUS,
	KVM_PIO_BUS,
};

struct kvm_io_bus {
	int nr;
	struct kvm_ioeventfd dev[];
};

/*
 * A guest write of @len bytes of @val at @addr on bus @bus_idx: an
 * ioeventfd that matches is signalled (its eventfd counts one) and the
 * write is done, 0; -EOPNOTSUPP if no device took it. Under kvm->srcu.
 */
int kvm_io_bus_write(struct kvm_vcpu *vcpu, enum kvm_bus bus_idx, gpa_t addr,
		     int len, const void *val);

/* ---- the vendor ---- */
/* The vendor's operations; filled by tdx_hardware_setup() (src/kvm/tdx.c). */
extern struct kvm_x86_ops kvm_x86_ops;

/* Is the TDX vendor present (kvm_x86_ops filled)? */
static inline bool kvm_has_vendor(void)
{
	return kvm_x86_ops.name != NULL;
}

/* Vendor hooks are called for TDX VMs only; other VM types have no vendor. */
static inline bool kvm_vm_uses_vendor(const struct kvm *kvm)
{
	return kvm->arch.vm_type == KVM_X86_TDX_VM;
}

/*
 * Run the vendor's setup once (tdx_hardware_setup(), if linked in). Called
 * on the first open of /dev/kvm. Returns 0 or the setup's error.
 */
int kvm_x86_vendor_init(void);
/* kvm-intel's module init: the vendor setup, then kvm_init(). */
int vt_init(void);
/* Register /dev/kvm (kvm_main.c). */
int kvm_init(void);

/* ---- VM lifetime ---- */
/* Take a reference on @kvm. */
void kvm_get_kvm(struct kvm *kvm);
/* Drop a reference; the last one destroys the VM. */
void kvm_put_kvm(struct kvm *kvm);
/* Take a reference unless the VM is already being destroyed. */
bool kvm_get_kvm_safe(struct kvm *kvm);

/*
 * Take (release) every online vCPU's mutex, kvm->lock held: lockdep sees
 * them as instances of one class nested under kvm->lock (one held-lock
 * slot). Returns 0 or -EINTR (the wait was given up).
 */
int kvm_lock_all_vcpus(struct kvm *kvm);
void kvm_unlock_all_vcpus(struct kvm *kvm);

/* Does @kvm have private memory (SW_PROTECTED and TDX VMs)? */
static inline bool kvm_arch_has_private_mem(const struct kvm *kvm)
{
	return kvm->arch.has_private_mem;
}

/* Read-only memslots exist unless the VM's state is protected (TDX). */
static inline bool kvm_arch_has_readonly_mem(const struct kvm *kvm)
{
	return !kvm->arch.has_protected_state;
}

/* Current design switches of @kvm (stable once frozen). */
/*
 * In-place conversion v8's gmem_in_place_conversion=Y (design gmem_in_place):
 * guest_memfd keeps the attributes, per-VM attributes are disabled.
 */
static inline bool kvm_gmem_in_place(const struct kvm *kvm)
{
	return READ_ONCE(kvm->design.gmem_in_place) == TDXSIM_GMEM_IN_PLACE_V8;
}

/*
 * Does a fault recheck mmu_invalidate_retry_gfn() before it maps (every
 * kernel)? Design fault_invalidate_retry=none: no, the race of the
 * in-place conversion review (series-gmem-inplace.md §5 G3).
 */
static inline bool tdxsim_fault_recheck(const struct kvm *kvm)
{
	return !READ_ONCE(kvm->design.fault_invalidate_retry);
}

/*
 * The attributes KVM_SET_MEMORY_ATTRIBUTES accepts (@kvm may be NULL); v8's
 * kvm_supported_vm_mem_attributes(): none with in-place conversion.
 */
static inline u64 kvm_supported_mem_attributes(const struct kvm *kvm)
{
	if (kvm && kvm_gmem_in_place(kvm))
		return 0;
	if (!kvm || kvm_arch_has_private_mem(kvm))
		return KVM_MEMORY_ATTRIBUTE_PRIVATE;
	return 0;
}

static inline bool kvm_gmem_locking_inflight(const struct kvm *kvm)
{
	return READ_ONCE(kvm->design.gmem_locking) ==
	       TDXSIM_GMEM_LOCKING_INFLIGHT;
}

/* ---- vCPU requests and the guest-mode handshake ---- */
/* The vCPU the calling thread has loaded (inside a vCPU ioctl), or NULL. */
struct kvm_vcpu *kvm_get_running_vcpu(void);
/* Make @vcpu the calling thread's running vCPU, and undo it. */
void vcpu_load(struct kvm_vcpu *vcpu);
void vcpu_put(struct kvm_vcpu *vcpu);

/* Post request @req to @vcpu (no kick; see kvm_make_all_cpus_request). */
static inline void kvm_make_request(int req, struct kvm_vcpu *vcpu)
{
	smp_wmb();
	set_bit(req & KVM_REQUEST_MASK, &vcpu->requests);
}

/* Does @vcpu have any request pending? */
static inline bool kvm_request_pending(struct kvm_vcpu *vcpu)
{
	return READ_ONCE(vcpu->requests) != 0;
}

/* Is request @req pending on @vcpu? */
static inline bool kvm_test_request(int req, struct kvm_vcpu *vcpu)
{
	return test_bit(req & KVM_REQUEST_MASK, &vcpu->requests);
}

/* Withdraw request @req from @vcpu. */
static inline void kvm_clear_request(int req, struct kvm_vcpu *vcpu)
{
	clear_bit(req & KVM_REQUEST_MASK, &vcpu->requests);
}

/* Test and clear @req (the kernel's kvm_check_request()). */
static inline bool kvm_check_request(int req, struct kvm_vcpu *vcpu)
{
	if (kvm_test_request(req, vcpu)) {
		kvm_clear_request(req, vcpu);
		smp_mb();
		return true;
	}
	return false;
}

/*
 * Set @req on every vCPU (none for a KVM_REQUEST_NO_ACTION request), kick
 * those in guest mode (kvm_x86_ops.kick_all_vcpus) and, for
 * KVM_REQUEST_WAIT requests, wait until each vCPU that was not outside
 * guest mode has left it. No vCPU is skipped: the calling thread's own vCPU
 * gets the request too (it is outside guest mode, so it is neither kicked
 * nor waited for). Returns true if some vCPU was kicked.
 */
bool kvm_make_all_cpus_request(struct kvm *kvm, unsigned int req);

/*
 * The vendor's guest entry and exit (its vcpu_run brackets the guest's
 * execution with them, as vcpu_enter_guest() does): enter sets IN_GUEST_MODE
 * and drops the kvm->srcu read lock; it returns false, leaving the vCPU
 * outside guest mode, when a request is pending (the vendor must not enter).
 * Exit sets OUTSIDE_GUEST_MODE, wakes kickers and re-takes kvm->srcu.
 */
bool kvm_vcpu_enter_guest_mode(struct kvm_vcpu *vcpu);
void kvm_vcpu_exit_guest_mode(struct kvm_vcpu *vcpu);

/* Inside guest mode: has the vCPU been kicked (it must exit)? */
static inline bool kvm_vcpu_exit_request(struct kvm_vcpu *vcpu)
{
	return READ_ONCE(vcpu->mode) == EXITING_GUEST_MODE ||
	       kvm_request_pending(vcpu);
}

/* ---- KVM_BUG_ON ---- */
/* Mark @kvm dead: every vCPU leaves the guest, every ioctl returns -EIO. */
void kvm_vm_dead(struct kvm *kvm);
/* Mark @kvm bugged (and dead); reported by KVM_BUG_ON(). */
void kvm_vm_bugged(struct kvm *kvm);

#define KVM_BUG(cond, kvm, fmt...)					\
	({								\
		bool __ret = !!(cond);					\
		if (WARN(__ret && !READ_ONCE((kvm)->vm_bugged), fmt)) {	\
			trace_kvm_bug_on(kvm, __FILE__, __LINE__, __func__); \
			kvm_vm_bugged(kvm);				\
		}							\
		unlikely(__ret);					\
	})

#define KVM_BUG_ON(cond, kvm)						\
	({								\
		bool __ret = !!(cond);					\
		if (WARN_ON_ONCE(__ret && !READ_ONCE((kvm)->vm_bugged))) { \
			trace_kvm_bug_on(kvm, __FILE__, __LINE__, __func__); \
			kvm_vm_bugged(kvm);				\
		}							\
		unlikely(__ret);					\
	})

/* Has @kvm been marked dead (or bugged)? */
static inline bool kvm_vm_is_dead(const struct kvm *kvm)
{
	return READ_ONCE(kvm->vm_dead);
}

/* ---- memslots ---- */
/* The active memslots (caller holds kvm->srcu or slots_lock). */
struct kvm_memslots *kvm_memslots(struct kvm *kvm);
/* The slot containing @gfn, or NULL; O(log n). Invalid slots included. */
struct kvm_memory_slot *__gfn_to_memslot(struct kvm_memslots *slots,
					 gfn_t gfn);
/* The valid slot containing @gfn (NULL if none or being deleted). */
struct kvm_memory_slot *gfn_to_memslot(struct kvm *kvm, gfn_t gfn);
/* gfn_to_memslot() for a vCPU's address space (only as_id 0 exists). */
struct kvm_memory_slot *kvm_vcpu_gfn_to_memslot(struct kvm_vcpu *vcpu,
						gfn_t gfn);
/* The slot with id @id, or NULL (O(n), memslot updates only). */
struct kvm_memory_slot *id_to_memslot(struct kvm_memslots *slots, int id);
/*
 * Index of the first slot in @slots whose end is above @start: iterate from
 * there while slots[i]->base_gfn < end to visit the slots overlapping
 * [start, end).
 */
int kvm_memslots_first_in_range(struct kvm_memslots *slots, gfn_t start);

/* Is @slot backed by a guest_memfd (KVM_MEM_GUEST_MEMFD)? */
static inline bool kvm_slot_has_gmem(const struct kvm_memory_slot *slot)
{
	return slot && (slot->flags & KVM_MEM_GUEST_MEMFD);
}

/* Does @slot's guest_memfd back its shared accesses too (MMAP)? */
static inline bool kvm_memslot_is_gmem_only(const struct kvm_memory_slot *slot)
{
	return slot && (slot->flags & KVM_MEMSLOT_GMEM_ONLY);
}

/* Is @slot an invalid copy (being deleted or moved)? */
static inline bool kvm_is_memslot_invalid(const struct kvm_memory_slot *slot)
{
	return slot && (slot->flags & KVM_MEMSLOT_INVALID);
}

/* The host virtual address of @gfn in @slot's userspace mapping. */
static inline unsigned long
gfn_to_hva_memslot(const struct kvm_memory_slot *slot, gfn_t gfn)
{
	return slot->userspace_addr + (gfn - slot->base_gfn) * PAGE_SIZE;
}

/* The largest gfn a memslot may contain. */
static inline gfn_t kvm_mmu_max_gfn(void)
{
	return (1ULL << (KVM_HOST_PHYS_BITS - PAGE_SHIFT)) - 1;
}

/* Is @gfn an alias (shared bit set) for this VM? */
static inline bool kvm_is_gfn_alias(const struct kvm *kvm, gfn_t gfn)
{
	return gfn & READ_ONCE(kvm->arch.gfn_direct_bits);
}

/* lpage_info of @gfn in @slot at @level (PG_LEVEL_2M or PG_LEVEL_1G). */
static inline struct kvm_lpage_info *
lpage_info_slot(gfn_t gfn, const struct kvm_memory_slot *slot, int level)
{
	unsigned long idx = gfn_to_index(gfn, slot->base_gfn, level);

	return &slot->arch.lpage_info[level - 2][idx];
}

/* Number of lpage_info entries of @slot at @level. */
static inline unsigned long
kvm_mmu_slot_lpages(const struct kvm_memory_slot *slot, int level)
{
	return gfn_to_index(slot->base_gfn + slot->npages - 1, slot->base_gfn,
			    level) + 1;
}

/* ---- memory attributes ---- */
/* The attributes of @gfn (0 or KVM_MEMORY_ATTRIBUTE_PRIVATE); lock-free. */
unsigned long kvm_get_memory_attributes(struct kvm *kvm, gfn_t gfn);

/* Is @gfn private? Lock-free; faults recheck under the invalidation seq. */
static inline bool kvm_mem_is_private(struct kvm *kvm, gfn_t gfn)
{
	return kvm_get_memory_attributes(kvm, gfn) &
	       KVM_MEMORY_ATTRIBUTE_PRIVATE;
}

/*
 * Do all gfns of [start, end) have (attributes & @mask) == @attrs?
 * (kvm_range_has_memory_attributes; an empty range is true.)
 */
bool kvm_range_has_memory_attributes(struct kvm *kvm, gfn_t start, gfn_t end,
				     unsigned long mask, unsigned long attrs);

/* ---- the MMU invalidation protocol ---- */
/* Start an invalidation (mmu_lock held for write): in_progress++. */
void kvm_mmu_invalidate_begin(struct kvm *kvm);
/* Add [start, end) to the range faults must not install. */
void kvm_mmu_invalidate_range_add(struct kvm *kvm, gfn_t start, gfn_t end);
/* End an invalidation: seq++ (release), then in_progress--. */
void kvm_mmu_invalidate_end(struct kvm *kvm);
/* range_add + kvm_unmap_gfn_range(): the guest_memfd/attribute zap. */
bool kvm_mmu_unmap_gfn_range(struct kvm *kvm, struct kvm_gfn_range *range);

/* A fault's snapshot of mmu_invalidate_seq, taken before faultin. */
static inline unsigned long kvm_mmu_invalidate_seq_read(struct kvm *kvm)
{
	unsigned long seq = __atomic_load_n(&kvm->mmu_invalidate_seq,
					    __ATOMIC_ACQUIRE);

	smp_rmb();
	return seq;
}

/*
 * Must a fault for @gfn that snapshotted @mmu_seq retry? Called with mmu_lock
 * held (read or write): an invalidation covering @gfn is in progress or one
 * has completed since the snapshot.
 */
static inline bool mmu_invalidate_retry_gfn(struct kvm *kvm,
					    unsigned long mmu_seq, gfn_t gfn)
{
	lockdep_assert_held(&kvm->mmu_lock);
	if (unlikely(READ_ONCE(kvm->mmu_invalidate_in_progress))) {
		gfn_t start = READ_ONCE(kvm->mmu_invalidate_range_start);
		gfn_t end = READ_ONCE(kvm->mmu_invalidate_range_end);

		if (WARN_ON_ONCE(start == INVALID_GPA))
			return true;
		if (gfn >= start && gfn < end)
			return true;
	}
	return READ_ONCE(kvm->mmu_invalidate_seq) != mmu_seq;
}

/*
 * The same check without mmu_lock (a pre-check before taking it): stale
 * start/end values can only cause false negatives, which the locked check
 * catches.
 */
static inline bool mmu_invalidate_retry_gfn_unsafe(struct kvm *kvm,
						   unsigned long mmu_seq,
						   gfn_t gfn)
{
	if (unlikely(READ_ONCE(kvm->mmu_invalidate_in_progress)) &&
	    gfn >= READ_ONCE(kvm->mmu_invalidate_range_start) &&
	    gfn < READ_ONCE(kvm->mmu_invalidate_range_end))
		return true;
	return READ_ONCE(kvm->mmu_invalidate_seq) != mmu_seq;
}

/* ---- memory-fault exits ---- */
/* Fill vcpu->run for KVM_EXIT_MEMORY_FAULT (the caller returns -EFAULT). */
void kvm_prepare_memory_fault_exit(struct kvm_vcpu *vcpu, gpa_t gpa,
				   gpa_t size, bool is_write, bool is_exec,
				   bool is_private);

/* ---- pages handed out by guest_memfd ---- */
/*
 * Drop the folio reference kvm_gmem_get_pfn() returned (put_page(), which
 * also wakes a guest_memfd folio split waiting for transient references
 * to go: wait_page_refs_killable()).
 */
void kvm_release_page_clean(struct page *page);
void kvm_release_faultin_page(struct kvm *kvm, struct page *page, bool unused,
			      bool dirty);

/* ---- entry points of kvm_main.c used by uapi.c and x86.c ---- */
/* KVM_CREATE_VM: a new VM of @type; 0 and *@kvmp, or a negative errno. */
int kvm_create_vm(unsigned long type, struct kvm **kvmp);
/* KVM_CHECK_EXTENSION (@kvm NULL on the system fd). */
long kvm_vm_ioctl_check_extension_generic(struct kvm *kvm, long ext);
int kvm_send_userspace_msi(struct kvm *kvm, struct kvm_msi *msi);
/*
 * tdxsim: the irqfds whose eventfd was signalled since the last look are
 * read (their count consumed, as the kernel's irqfd_wakeup() does) and
 * their MSI route delivered (kvm_send_userspace_msi()). The kernel injects
 * from the eventfd's wake-up; tdxsim's vCPUs look before each entry into
 * the TD, so an interrupt reaches a vCPU at its next entry. Under kvm->srcu.
 */
void tdxsim_irqfd_poll(struct kvm *kvm);
/* The ioctl handlers of the file kinds (the kernel's fops). */
long kvm_dev_ioctl(struct file *file, unsigned long ioctl, unsigned long arg);
/* The VM file's operations (KVM_CREATE_VM installs them). */
extern const struct file_operations kvm_vm_fops;
extern const struct file_operations kvm_vcpu_fops;
extern const struct file_operations kvm_device_fops;
/* Size of the vCPU mmap area (KVM_GET_VCPU_MMAP_SIZE). */
#define KVM_VCPU_MMAP_SIZE	(3 * PAGE_SIZE)

/* KVM_SET_USER_MEMORY_REGION2 on @kvm (slots_lock taken inside). */
int kvm_set_memory_region(struct kvm *kvm,
			  const struct kvm_userspace_memory_region2 *mem);
/* KVM_SET_MEMORY_ATTRIBUTES on @kvm. */
int kvm_vm_ioctl_set_mem_attributes(struct kvm *kvm,
				    struct kvm_memory_attributes *attrs);

#endif /* TDXSIM_KVM_KVM_HOST_H */
