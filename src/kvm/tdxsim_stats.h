/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tdxsim's addition: what a VM's run left behind, as data: its event
 * counters (struct kvm_vm_stat, reported by TDXSIM_GET_STATS) and its
 * failures (the SEAMCALLs KVM reported failing, the KVM_BUG_ON() that
 * bugged it: TDXSIM_GET_VM_FAILURE). The kernel's twins never record by
 * hand: they call the tracepoint-shaped hooks of tdxsim_trace.h (and
 * KVM_BUG_ON() calls trace_kvm_bug_on()), whose bodies record here, so a
 * kernel developer reads trace_*() lines where upstream has its tracepoints
 * and statistics, and tdxsim's users judge a run by data, not by the log.
 */
#ifndef TDXSIM_KVM_TDXSIM_STATS_H
#define TDXSIM_KVM_TDXSIM_STATS_H

#include "base/stats.h"
#include "tdxsim/tdxsim.h"

struct kvm;

/* A VM's failures (struct kvm's tdxsim member; TDXSIM_GET_VM_FAILURE). */
struct tdxsim_vm {
	/*
	 * Taken around the fields below by a plain atomic exchange: recording
	 * a failure must add no schedule point (a scenario's seed would then
	 * replay differently), and nothing inside can wait.
	 */
	int busy;
	u64 seamcall_failures;
	struct tdxsim_seamcall_failure first_seamcall;
	struct tdxsim_seamcall_failure last_seamcall;
	u64 tracks;			/* vendor's TLB tracks at the first */
	/* The KVM_BUG_ON() that bugged the VM (bug_file NULL until then). */
	const char *bug_file;
	const char *bug_func;
	int bug_line;
	/* warn_count() when the VM was created. */
	unsigned long warn_base;
	/*
	 * TDXSIM_INJECT_SPLIT_ENOMEM: mirror splits to go until the one that
	 * finds no memory (0: none pending). Splits run under mmu_lock held
	 * for write; read and counted down atomically.
	 */
	int split_enomem_nth;
	/* TDXSIM_INJECT_PAMT_CACHE_EMPTY: PAMT gets to go, the same way. */
	int pamt_cache_empty_nth;
	/* Failed PAMT.ADD/REMOVE calls host-wide then. */
	u64 pamt_error_base;
};

/* Note the host-wide counts a new VM's failure record starts from. */
void tdxsim_vm_failure_init(struct kvm *kvm);

/*
 * KVM_BUG_ON() at @file:@line in @func is marking @kvm bugged. The one
 * hook declared here rather than in tdxsim_trace.h: kvm_host.h's
 * KVM_BUG_ON() needs it.
 */
void trace_kvm_bug_on(struct kvm *kvm, const char *file, int line,
		      const char *func);
/*
 * KVM reported SEAMCALL @leaf failing with @status (tdx.c's TDX_BUG_ON());
 * @tracks: the TLB tracks (TDH.MEM.TRACK) KVM had made for the VM so far.
 */
void tdxsim_record_seamcall_failure(struct kvm *kvm, unsigned int leaf,
				    const char *func, u64 status, u64 entry,
				    u64 level_state, u64 tracks);
/* @kvm's failures as TDXSIM_GET_VM_FAILURE returns them. */
void tdxsim_vm_get_failure(struct kvm *kvm, struct tdxsim_vm_failure *f);

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
