// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tdxsim's addition: the livelock detector of the TDX EPT-violation exit
 * (see tdxsim_livelock.h). The kernel re-enters the guest after a spurious
 * fault and trusts the guest to make progress; a guest waiting for
 * something KVM never does would loop forever there, which tdxsim must
 * report as a verdict (a report of kind "livelock", a counter, and a
 * KVM_EXIT_INTERNAL_ERROR) instead of hanging the run. It keys on the exit
 * (GPA and extended exit qualification) and a racy generation of the VM's
 * mappings; only a run of identical spurious exits with nothing changing
 * counts.
 */
#include "base/lockdep.h"
#include "ulib/strbuf.h"
#include "kvm/kvm_host.h"
#include "kvm/mmu_internal.h"
#include "kvm/tdx.h"
#include "kvm/tdxsim_livelock.h"
#include "kvm/tdxsim_trace.h"

static void tdxsim_livelock_report(struct kvm_vcpu *vcpu)
{
	struct vcpu_tdx *tdx = to_tdx(vcpu);
	struct strbuf sb = STRBUF_INIT;

	sb_printf(&sb, "======================================================\n"
		       "INFO: livelock detected: vCPU %d took the same EPT violation %d times\n"
		       "------------------------------------------------------\n"
		       "  GPA 0x%llx, exit qualification 0x%llx, extended exit qualification 0x%llx\n"
		       "  every fault was spurious (the mapping is there) and nothing changed:\n"
		       "  the guest re-executes an operation the host never makes possible.\n",
		  vcpu->vcpu_id, TDXSIM_LIVELOCK_EXITS,
		  (unsigned long long)tdx->exit_gpa,
		  (unsigned long long)tdx->exit_qualification,
		  (unsigned long long)tdx->ext_exit_qualification);
	lockdep_add_report(LOCKDEP_LIVELOCK, "", sb_str(&sb));
	sb_free(&sb);
}

bool tdxsim_livelock_check(struct kvm_vcpu *vcpu, gpa_t gpa, u64 eeq, int r)
{
	struct tdxsim_livelock *ll = &to_tdx(vcpu)->livelock;
	struct kvm *kvm = vcpu->kvm;
	u64 key = (gpa & PAGE_MASK) ^ (eeq << 1);
	/* A racy "did anything change" generation: atomic reads suffice. */
	u64 gen = READ_ONCE(kvm->mmu_invalidate_seq) +
		  (u64)atomic64_read(&kvm->arch.pages_mapped[0]) +
		  ((u64)atomic64_read(&kvm->arch.pages_mapped[1]) << 20);

	if (r != RET_PF_SPURIOUS || key != ll->last_exit_key ||
	    gen != ll->last_exit_gen) {
		ll->last_exit_key = key;
		ll->last_exit_gen = gen;
		ll->same_exit_count = 0;
		return false;
	}
	if (++ll->same_exit_count < TDXSIM_LIVELOCK_EXITS)
		return false;

	trace_kvm_tdx_livelock(vcpu, gpa, eeq);
	tdxsim_livelock_report(vcpu);
	vcpu->run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	vcpu->run->internal.suberror = TDXSIM_INTERNAL_ERROR_LIVELOCK;
	vcpu->run->internal.ndata = 2;
	vcpu->run->internal.data[0] = gpa;
	vcpu->run->internal.data[1] = eeq;
	return true;
}
