/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tdxsim's addition: a VM's event counters (struct kvm_vm_stat, reported by
 * TDXSIM_GET_STATS). The kernel's twins never count by hand: they call the
 * tracepoint-shaped hooks of tdxsim_trace.h, whose bodies count here, so a
 * kernel developer reads trace_kvm_*() lines where upstream has its
 * tracepoints and statistics, and tdxsim's users read the counts as data.
 */
#ifndef TDXSIM_KVM_TDXSIM_STATS_H
#define TDXSIM_KVM_TDXSIM_STATS_H

#include "base/stats.h"
#include "tdxsim/tdxsim.h"

struct kvm;

/* Count an event in @kvm's counters (a field of struct kvm_vm_stat). */
#define tdxsim_stat_inc(kvm, field)	counter_inc(&(kvm)->stat.field)
#define tdxsim_stat_add(kvm, field, n)	counter_add(&(kvm)->stat.field, (n))
/* Count a vendor event (enum tdxsim_tdx_stat for TDX) in stat.vendor[]. */
#define tdxsim_vendor_stat_inc(kvm, s)	counter_inc(&(kvm)->stat.vendor[(s)])

_Static_assert(TDXSIM_TDX_NR_STATS <= TDXSIM_NR_VENDOR_STATS,
	       "the TDX counters must fit in tdxsim_stats.vendor[]");

/* @kvm's counters as TDXSIM_GET_STATS returns them. */
void tdxsim_vm_get_stats(struct kvm *kvm, struct tdxsim_stats *st);

#endif /* TDXSIM_KVM_TDXSIM_STATS_H */
