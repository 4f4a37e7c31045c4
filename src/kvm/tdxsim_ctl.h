/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tdxsim's addition: the entry points of tdxsim's own controls (the
 * TDXSIMIO ioctls of include/tdxsim/tdxsim.h) on the /dev/kvm, VM and vCPU
 * fds. The kernel has none of these: they let a VMM choose a VM's design
 * variant and read what happened as data (counters, failures, reports), so
 * the kernel twins (kvm_main.c, tdx.c) call them from one hook each and hold
 * nothing else of them.
 */
#ifndef TDXSIM_KVM_TDXSIM_CTL_H
#define TDXSIM_KVM_TDXSIM_CTL_H

#include "kvm/kvm_host.h"

/* A new VM's tdxsim state: the upstream design, no failure yet. */
void tdxsim_init_vm(struct kvm *kvm);

/*
 * tdxsim's controls on the /dev/kvm fd: the request's result, or -EINVAL
 * for a request that is none of them (what kvm_dev_ioctl() answers).
 */
long tdxsim_dev_ioctl(unsigned long ioctl, unsigned long arg);
/* TDXSIM_GET_LOCK_STATS (tdxsim_lockstat.c). */
long tdxsim_get_lock_stats(void *argp);

/*
 * Called first for every VM ioctl: tdxsim's controls (the read-only ones
 * also on a dead VM) return their result; any other request returns
 * -ENOIOCTLCMD and goes on to KVM. KVM_TDX_INIT_VM fixes the design.
 */
long tdxsim_vm_ioctl(struct kvm *kvm, unsigned long ioctl, unsigned long arg);

/*
 * tdxsim's controls on a vCPU fd (requests that are not KVMIO ones):
 * the result, or -EINVAL for an unknown request.
 */
long tdxsim_vcpu_ioctl(struct kvm_vcpu *vcpu, unsigned long ioctl,
		       unsigned long arg);

/*
 * tdxsim's invariant checker (tdxsim_check.c): walk a TDX VM's mirror root,
 * its direct root and the module's PAMT and report every disagreement into
 * @sb (appended). Returns the number found.
 */
struct strbuf;
int tdxsim_check_invariants(struct kvm *kvm, struct strbuf *sb);

/*
 * TDXSIM_INJECT_SPLIT_ENOMEM (TDXSIM_INJECT_FAULT): is this mirror split
 * the one that finds no memory? Counts the pending injection down.
 */
bool tdxsim_inject_split_enomem(struct kvm *kvm);
/*
 * TDXSIM_INJECT_PAMT_CACHE_EMPTY: does this tdx_pamt_get() from a vCPU's
 * cache find it empty? Counts the pending injection down.
 */
bool tdxsim_inject_pamt_cache_empty(struct kvm *kvm);

/*
 * The TDX vendor's controls (TDXSIM_GET_MRTD, TDXSIM_GET_TD_STATS,
 * TDXSIM_CHECK_INVARIANTS, TDXSIM_INJECT_FAULT):
 * kvm_x86_ops.tdxsim_vm_ioctl of tdx.c.
 */
long tdxsim_tdx_vm_ioctl(struct kvm *kvm, unsigned int ioctl, void *argp);

/*
 * Configure the module's PAMT mode for the VM's kernel profile (design
 * dpamt, dpamt_phys_check, phys_bits) before its TD is created, as the
 * host kernel's TDX init would. 0, or -EBUSY while TDs of a kernel with
 * the other mode hold pages (one host, one mode).
 */
int tdxsim_dpamt_select(struct kvm *kvm);

#endif /* TDXSIM_KVM_TDXSIM_CTL_H */
