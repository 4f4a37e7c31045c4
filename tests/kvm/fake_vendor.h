/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A test-only vendor (a stand-in for src/kvm/tdx.c): KVM_X86_TDX_VM exists,
 * KVM_TDX_INIT_VM / INIT_VCPU / FINALIZE_VM move a state machine, and
 * KVM_RUN runs a "guest" of struct fake_guest_ops (set with
 * TDXSIM_SET_GUEST) one step at a time inside guest mode. It uses only the
 * public types, so the tiny VMM can use it too.
 */
#ifndef TDXSIM_TESTS_KVM_FAKE_VENDOR_H
#define TDXSIM_TESTS_KVM_FAKE_VENDOR_H

#include "tdxsim/tdxsim.h"

struct fake_guest_ops {
	/*
	 * One guest step: return 1 to keep running, 0 to exit to userspace
	 * (with @run's exit fields filled), < 0 for an error from KVM_RUN.
	 */
	int (*step)(void *guest, struct kvm_run *run);
};

/* Number of kick_all_vcpus() calls the fake vendor received. */
extern unsigned long fake_vendor_kicks;

#endif /* TDXSIM_TESTS_KVM_FAKE_VENDOR_H */
