/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Memory failure's early kill and its policy (host/memory_failure.c).
 *
 * A memory failure of a file page (guest_memfd's) runs, with the page
 * poisoned and before the folio leaves the process's mappings,
 * collect_procs_file() for the page at @index of the folio [@start,
 * @start + @nr) of @mapping (folio shift @shift); after the unmap,
 * kill_procs() queues what it collected on the calling task, and
 * mce_deliver_pending() (task_work_run(), at every system call's return)
 * hands it to tdxsim_set_mce_notify()'s notifier, with no lock held.
 */
#ifndef TDXSIM_HOST_MEMORY_FAILURE_H
#define TDXSIM_HOST_MEMORY_FAILURE_H

#include "ulib/compiler.h"
#include "tdxsim/tdxsim.h"

struct mm_struct;

#define MCE_TOKILL_MAX	8

struct mce_tokill {
	pid_t tid;		/* the early-kill thread, 0 for none */
	bool mapped;		/* the folio has a PTE in the process */
	bool dirty;		/* ... a writable one */
	unsigned int nr;
	struct tdxsim_mce_signal sig[MCE_TOKILL_MAX];
};

void collect_procs_file(struct mm_struct *mm, const void *mapping,
			u64 index, u64 start, u64 nr, int shift,
			struct mce_tokill *tk);
void kill_procs(struct mce_tokill *tk);
void mce_deliver_pending(void);

/* prctl(PR_MCE_KILL / PR_MCE_KILL_GET) of the calling thread: kernel/sys.c. */
long mce_prctl(int option, unsigned long arg2, unsigned long arg3,
	       unsigned long arg4, unsigned long arg5);
void mce_set_early_kill_sysctl(int on);
int mce_early_kill_sysctl(void);
void mce_set_notify(tdxsim_mce_notify_fn fn, void *arg);

#endif /* TDXSIM_HOST_MEMORY_FAILURE_H */
