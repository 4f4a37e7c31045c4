// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tdxsim's addition: a VM's counters as TDXSIM_GET_STATS reports them. The
 * kernel keeps statistics of its own (kvm->stat, read through debugfs or
 * the binary stats fd); tdxsim's are the events its users judge a design
 * by (faults and retries, zaps, splits, SEAMCALL outcomes), counted by the
 * tracepoint hooks of tdxsim_trace.h and read here as one structure.
 */
#include <string.h>

#include "kvm/kvm_host.h"
#include "kvm/tdxsim_stats.h"

void tdxsim_vm_get_stats(struct kvm *kvm, struct tdxsim_stats *st)
{
	struct kvm_vm_stat *s = &kvm->stat;
	int i;

	memset(st, 0, sizeof(*st));
	st->faults = counter_read(&s->faults);
	st->fault_retries = counter_read(&s->fault_retries);
	st->memory_fault_exits = counter_read(&s->memory_fault_exits);
	st->pre_faults = counter_read(&s->pre_faults);
	st->conversions = counter_read(&s->conversions);
	st->pages_to_private = counter_read(&s->pages_to_private);
	st->pages_to_shared = counter_read(&s->pages_to_shared);
	st->punch_holes = counter_read(&s->punch_holes);
	st->gmem_folios_allocated = counter_read(&s->gmem_folios_allocated);
	st->gmem_folios_freed = counter_read(&s->gmem_folios_freed);
	st->gmem_folio_splits = counter_read(&s->gmem_folio_splits);
	st->splits = counter_read(&s->splits);
	st->zaps = counter_read(&s->zaps);
	st->zapped_leaves = counter_read(&s->zapped_leaves);
	st->tlb_flushes = counter_read(&s->tlb_flushes);
	st->invalidations = counter_read(&s->invalidations);
	st->memslot_updates = counter_read(&s->memslot_updates);
	st->kicks = counter_read(&s->kicks);
	st->vm_bugged = counter_read(&s->vm_bugged);
	for (i = 0; i < TDXSIM_NR_VENDOR_STATS; i++)
		st->vendor[i] = counter_read(&s->vendor[i]);
}
