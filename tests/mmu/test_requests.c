// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vCPU requests as upstream has them in every release (kvm_main.c's
 * kvm_make_vcpu_request(), kvm_request_needs_ipi(), KVM_REQ_OUTSIDE_GUEST_MODE
 * in kvm_host.h; TDX's local retry in tdx_handle_ept_violation();
 * docs/upstream/releases.md §1 "Requests", "EPT violation"):
 *  - KVM_REQ_OUTSIDE_GUEST_MODE is a no-action barrier: no vCPU ever sees a
 *    request bit for it;
 *  - kvm_make_all_cpus_request() skips no vCPU: the caller's own gets a
 *    real request too;
 *  - a zap's TRACK (whose barrier is that request) while a vCPU spins in
 *    the EPT-violation retry loop does not send the vCPU back into the
 *    guest: no extra TDH.VP.ENTER, no extra EPT-violation exit.
 * And the vCPU's MMU caches as kvm_mmu_topup_memory_cache() keeps them:
 * nothing while the minimum is left, else filled to capacity.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/sched.h"
#include "kvm/asm/kvm_host.h"
#include "kvm/tdp_mmu.h"
#include "kvm/tdx.h"
#include "testlib/kvm_util_internal.h"

#define MB	(1ULL << 20)

static struct kvm_vcpu *vcpu_of(int vcpu_fd)
{
	return fd_file(vcpu_fd)->private_data;
}

/* The caller's vCPU gets a real request; the barrier sets no bit at all. */
static void test_all_cpus_request_skips_nobody(void **state)
{
	struct td_opts o;
	struct td td;
	struct kvm_vcpu *v0, *v1;
	struct kvm *kvm;

	td_opts_init(&o);
	o.nr_vcpus = 2;
	td_create(&td, &o);
	kvm = vm_kvm(td.vm);
	v0 = vcpu_of(td.vcpu[0]);
	v1 = vcpu_of(td.vcpu[1]);

	/* As if called from vCPU 0's own ioctl. */
	vcpu_load(v0);
	kvm_make_all_cpus_request(kvm, KVM_REQ_OUTSIDE_GUEST_MODE);
	assert_int_equal(READ_ONCE(v0->requests), 0);
	assert_int_equal(READ_ONCE(v1->requests), 0);

	kvm_make_all_cpus_request(kvm, KVM_REQ_TLB_FLUSH);
	assert_true(kvm_test_request(KVM_REQ_TLB_FLUSH, v0));
	assert_true(kvm_test_request(KVM_REQ_TLB_FLUSH, v1));
	vcpu_put(v0);
	kvm_clear_request(KVM_REQ_TLB_FLUSH, v0);
	kvm_clear_request(KVM_REQ_TLB_FLUSH, v1);
	td_destroy(&td);
}

static int vcpu0_task(void *p)
{
	return __td_run_vcpu(p, 0);
}

static u64 fault_retries(struct td *td)
{
	struct tdxsim_stats ks;

	td_kvm_stats(td, &ks);
	return ks.fault_retries;
}

/* Wait (free mode) until the vCPU has retried its fault @n more times. */
static void wait_retries(struct td *td, u64 n)
{
	u64 target = fault_retries(td) + n;

	while (fault_retries(td) < target) {
		assert_int_equal(td->last_errno[0], 0);
		cpu_relax();
	}
}

static u64 ept_exits(struct td *td)
{
	struct tdxsim_td_stats ms;

	td_module_stats(td, &ms);
	return ms.exits[EXIT_REASON_EPT_VIOLATION];
}

/*
 * vCPU 0 accepts 1M while an invalidation covers it, so its fault retries
 * locally. Meanwhile a punch elsewhere zaps a mapped page (BLOCK, TRACK,
 * REMOVE; TRACK's barrier is KVM_REQ_OUTSIDE_GUEST_MODE). The vCPU stays in
 * its retry loop: TDH.VP.ENTER and EPT-violation exits do not move. When the
 * invalidation ends the fault is fixed and the guest finishes.
 */
static void test_track_keeps_retrying_vcpu_out(void **state)
{
	struct td_opts o;
	struct task *t;
	struct td td;
	struct kvm *kvm;
	u64 enters, exits, tracks;

	td_opts_init(&o);
	o.program = "accept 0x100000 4K level=4k\n"
		    "write 0x100000 4K pattern=1\n"
		    "read 0x100000 4K\n"
		    "halt\n";
	td_create(&td, &o);
	td_finalize(&td);
	/* The page the punch will zap: mapped (AUGed) by a pre-fault. */
	td_prefault(&td, 0, 2 * MB, 4096);

	kvm = vm_kvm(td.vm);
	write_lock(&kvm->mmu_lock);
	kvm_mmu_invalidate_begin(kvm);
	kvm_mmu_invalidate_range_add(kvm, 0x100, 0x101);
	write_unlock(&kvm->mmu_lock);

	t = task_create("vcpu0", vcpu0_task, &td);
	assert_non_null(t);
	wait_retries(&td, 100);

	enters = td_seamcalls(&td, TDH_VP_ENTER);
	exits = ept_exits(&td);
	tracks = td_seamcalls(&td, TDH_MEM_TRACK);
	td_punch(&td, 2 * MB, 4096);
	assert_int_equal(td_seamcalls(&td, TDH_MEM_TRACK), tracks + 1);
	wait_retries(&td, 1000);
	assert_int_equal(td_seamcalls(&td, TDH_VP_ENTER), enters);
	assert_int_equal(ept_exits(&td), exits);

	write_lock(&kvm->mmu_lock);
	kvm_mmu_invalidate_end(kvm);
	write_unlock(&kvm->mmu_lock);
	assert_int_equal(task_join(t), 0);
	assert_int_equal(td.last_exit[0], KVM_EXIT_HLT);
	assert_true(tdxsim_guest_finished(td.guest));
	assert_int_equal(tdxsim_guest_data_failures(td.guest), 0);
	td_check(&td);
	td_destroy(&td);
}

/* A pending event does end the local retry: back into the guest. */
static void test_event_ends_local_retry(void **state)
{
	struct td_opts o;
	struct task *t;
	struct td td;
	struct kvm *kvm;
	u64 enters;

	td_opts_init(&o);
	o.program = "accept 0x100000 4K level=4k\nhalt\n";
	td_create(&td, &o);
	td_finalize(&td);

	kvm = vm_kvm(td.vm);
	write_lock(&kvm->mmu_lock);
	kvm_mmu_invalidate_begin(kvm);
	kvm_mmu_invalidate_range_add(kvm, 0x100, 0x101);
	write_unlock(&kvm->mmu_lock);

	t = task_create("vcpu0", vcpu0_task, &td);
	assert_non_null(t);
	wait_retries(&td, 100);
	enters = td_seamcalls(&td, TDH_VP_ENTER);
	WRITE_ONCE(vcpu_of(td.vcpu[0])->arch.tdxsim_interrupt_pending, true);
	/* The vCPU enters (delivering the interrupt) and faults again. */
	while (td_seamcalls(&td, TDH_VP_ENTER) == enters)
		cpu_relax();
	wait_retries(&td, 10);

	write_lock(&kvm->mmu_lock);
	kvm_mmu_invalidate_end(kvm);
	write_unlock(&kvm->mmu_lock);
	assert_int_equal(task_join(t), 0);
	assert_int_equal(td.last_exit[0], KVM_EXIT_HLT);
	td_destroy(&td);
}
/* Below the minimum a top-up fills the cache; at or above it, nothing. */
static void test_topup_fills_to_capacity(void **state)
{
	struct td_opts o;
	struct td td;
	struct kvm_mmu_memory_cache *mc;
	struct kvm_vcpu *v;

	td_opts_init(&o);
	td_create(&td, &o);
	v = vcpu_of(td.vcpu[0]);
	mc = &v->arch.mmu_shadow_page_cache;
	vcpu_load(v);
	assert_int_equal(mmu_topup_memory_caches(v), 0);
	assert_int_equal(mc->nobjs, KVM_MMU_MEMORY_CACHE_NR);
	assert_int_equal(v->arch.mmu_external_spt_cache.nobjs,
			 KVM_MMU_MEMORY_CACHE_NR);
	/* Use all but PT64_ROOT_MAX_LEVEL + 1 (the minimum): no top-up. */
	while (mc->nobjs > PT64_ROOT_MAX_LEVEL + 1)
		__free_page(virt_to_page(mc->objects[--mc->nobjs]));
	assert_int_equal(mmu_topup_memory_caches(v), 0);
	assert_int_equal(mc->nobjs, PT64_ROOT_MAX_LEVEL + 1);
	__free_page(virt_to_page(mc->objects[--mc->nobjs]));
	assert_int_equal(mmu_topup_memory_caches(v), 0);
	assert_int_equal(mc->nobjs, KVM_MMU_MEMORY_CACHE_NR);
	vcpu_put(v);
	td_destroy(&td);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_cpus_request_skips_nobody),
		cmocka_unit_test(test_track_keeps_retrying_vcpu_out),
		cmocka_unit_test(test_event_ends_local_retry),
		cmocka_unit_test(test_topup_fills_to_capacity),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
