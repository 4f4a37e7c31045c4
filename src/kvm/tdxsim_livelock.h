/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tdxsim's addition: the livelock detector of the TDX EPT-violation exit.
 * The kernel has none; a guest that re-executes an operation KVM never makes
 * possible (seed 001's accept under a 2M mapping in the old design) loops
 * there forever. tdxsim stops such a vCPU with KVM_EXIT_INTERNAL_ERROR
 * (suberror TDXSIM_INTERNAL_ERROR_LIVELOCK) and a report, so the bug is a
 * verdict rather than a hang. tdx.c calls it from one line.
 */
#ifndef TDXSIM_KVM_TDXSIM_LIVELOCK_H
#define TDXSIM_KVM_TDXSIM_LIVELOCK_H

#include "kvm/kvm_host.h"

/* The same exit at the same GPA with nothing changing, this many times. */
#define TDXSIM_LIVELOCK_EXITS	256

/* Per vCPU: the last EPT-violation exit and how often it repeated. */
struct tdxsim_livelock {
	u64 same_exit_count;
	u64 last_exit_key;
	u64 last_exit_gen;
};

/*
 * After a TDX vCPU's EPT-violation exit at @gpa (extended exit qualification @eeq)
 * that the fault path handled with @r (RET_PF_*): true if the vCPU took the
 * same spurious exit TDXSIM_LIVELOCK_EXITS times while nothing in the VM's
 * mappings changed. Then it has counted and reported the livelock and
 * filled vcpu->run for KVM_EXIT_INTERNAL_ERROR: the caller returns to
 * userspace.
 */
bool tdxsim_livelock_check(struct kvm_vcpu *vcpu, gpa_t gpa, u64 eeq, int r);

#endif /* TDXSIM_KVM_TDXSIM_LIVELOCK_H */
