// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tdxsim's addition: a VM's counters and failures as TDXSIM_GET_STATS and
 * TDXSIM_GET_VM_FAILURE report them. The kernel keeps statistics of its own
 * (kvm->stat, read through debugfs or the binary stats fd) and reports
 * failures in the log; tdxsim's users judge a design by the events (faults
 * and retries, zaps, splits, SEAMCALL outcomes) and by what failed (the
 * SEAMCALL, its status and outputs, the KVM_BUG_ON() site) as data, so a
 * reworded message cannot change a verdict. The tracepoint hooks of
 * tdxsim_trace.h record here.
 */
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "kvm/kvm_host.h"
#include "kvm/tdxsim_stats.h"
#include "seam/diag.h"
#include "tdxsim/tdx.h"

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

/* ---- failures ---- */

static void tdxsim_vm_lock(struct tdxsim_vm *t)
{
	while (__atomic_exchange_n(&t->busy, 1, __ATOMIC_ACQUIRE))
		;
}

static void tdxsim_vm_unlock(struct tdxsim_vm *t)
{
	__atomic_store_n(&t->busy, 0, __ATOMIC_RELEASE);
}

/* __FILE__ as the build saw it, without the "../" of the build directory. */
static const char *tdxsim_source_path(const char *file)
{
	while (!strncmp(file, "../", 3) || !strncmp(file, "./", 2))
		file += file[1] == '/' ? 2 : 3;
	return file;
}

void trace_kvm_bug_on(struct kvm *kvm, const char *file, int line,
		      const char *func)
{
	struct tdxsim_vm *t = &kvm->tdxsim;

	tdxsim_vm_lock(t);
	if (!t->bug_file) {
		t->bug_file = tdxsim_source_path(file);
		t->bug_func = func;
		t->bug_line = line;
	}
	tdxsim_vm_unlock(t);
}

void tdxsim_record_seamcall_failure(struct kvm *kvm, unsigned int leaf,
				    const char *func, u64 status, u64 entry,
				    u64 level_state, u64 tracks)
{
	struct tdxsim_vm *t = &kvm->tdxsim;
	struct tdxsim_seamcall_failure f = {
		.leaf = leaf,
		.status = status,
		.entry = entry,
		.level_state = level_state,
	};

	snprintf(f.func, sizeof(f.func), "%s", func);
	tdxsim_vm_lock(t);
	if (!t->seamcall_failures++) {
		t->first_seamcall = f;
		t->tracks = tracks;
	}
	t->last_seamcall = f;
	tdxsim_vm_unlock(t);
}

/* The module's failed PAMT.ADD/REMOVE calls, host-wide. */
static u64 tdxsim_pamt_errors(void)
{
	return tdx_module_host_failures(TDH_PHYMEM_PAMT_ADD) +
	       tdx_module_host_failures(TDH_PHYMEM_PAMT_REMOVE);
}

void tdxsim_vm_failure_init(struct kvm *kvm)
{
	kvm->tdxsim.warn_base = warn_count();
	kvm->tdxsim.pamt_error_base = tdxsim_pamt_errors();
}

void tdxsim_vm_get_failure(struct kvm *kvm, struct tdxsim_vm_failure *f)
{
	struct tdxsim_vm *t = &kvm->tdxsim;

	memset(f, 0, sizeof(*f));
	tdxsim_vm_lock(t);
	f->seamcall_failures = t->seamcall_failures;
	f->first_seamcall = t->first_seamcall;
	f->last_seamcall = t->last_seamcall;
	f->tracks = t->tracks;
	if (t->bug_file) {
		snprintf(f->bug_file, sizeof(f->bug_file), "%s", t->bug_file);
		snprintf(f->bug_func, sizeof(f->bug_func), "%s", t->bug_func);
		f->bug_line = t->bug_line;
	}
	tdxsim_vm_unlock(t);
	f->bugged = READ_ONCE(kvm->vm_bugged);
	f->warnings = warn_count() - t->warn_base;
	f->pamt_errors = tdxsim_pamt_errors() - t->pamt_error_base;
	if (f->pamt_errors)
		f->pamt_last_status =
			tdx_module_host_last_failure(&f->pamt_last_leaf);
}
