// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The early kill of memory failure (mm/memory-failure.c) and its policy
 * (prctl(PR_MCE_KILL) of kernel/sys.c, vm.memory_failure_early_kill).
 *
 * When memory_failure() takes a page out of the process's mappings
 * (hwpoison_user_mappings()), it first collects the processes whose VMAs
 * cover the page and that want to hear of it early (collect_procs_file(),
 * task_early_kill()); after the unmap, if the folio was dirty, each gets
 * SIGBUS BUS_MCEERR_AO with si_addr the page's address in that VMA and
 * si_addr_lsb the folio's shift (kill_procs(), kill_proc(): 12, or 21 for a
 * 2M folio memory failure could not split). The others learn of it when
 * they touch the page (BUS_MCEERR_AR, the late kill: __do_fault()).
 *
 * tdxsim has one process (current_mm()). Its threads' policies are kept
 * here, as the kernel keeps PF_MCE_PROCESS and PF_MCE_EARLY in each task:
 * the threads that called prctl(PR_MCE_KILL) are recorded in call order,
 * and find_early_kill_thread() walks the main thread first, then them.
 * The signals collected are queued on the calling thread and handed to the
 * notifier the library was given (tdxsim_set_mce_notify()) when its system
 * call returns (task_work_run()), as the kernel delivers them on the return
 * to user space; the preload library sends them to the program's thread.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/atomic.h"
#include "base/lock.h"
#include "base/sched.h"
#include "host/fs.h"
#include "host/memory_failure.h"
#include "host/mm.h"

/* current->flags' two bits (include/linux/sched.h). */
#define PF_MCE_PROCESS	0x1
#define PF_MCE_EARLY	0x2

#define MCE_THREADS_MAX	64

struct mce_thread {
	pid_t tid;
	unsigned int flags;
};

static struct {
	pthread_once_t once;
	spinlock_t lock;
	unsigned int nr;
	struct mce_thread t[MCE_THREADS_MAX];
} mce_threads = { .once = PTHREAD_ONCE_INIT };

static int sysctl_memory_failure_early_kill;
static struct {
	tdxsim_mce_notify_fn fn;
	void *arg;
} mce_notify;

static void mce_threads_init(void)
{
	spin_lock_init(&mce_threads.lock);
}

static pid_t mce_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/* mce_threads.lock held: @tid's record, made if @make (NULL if full). */
static struct mce_thread *mce_thread_find(pid_t tid, bool make)
{
	unsigned int i;

	for (i = 0; i < mce_threads.nr; i++)
		if (mce_threads.t[i].tid == tid)
			return &mce_threads.t[i];
	if (!make || mce_threads.nr == MCE_THREADS_MAX)
		return NULL;
	mce_threads.t[mce_threads.nr].tid = tid;
	mce_threads.t[mce_threads.nr].flags = 0;
	/* Read without the lock by task_early_kill()'s first look. */
	WRITE_ONCE(mce_threads.nr, mce_threads.nr + 1);
	return &mce_threads.t[mce_threads.nr - 1];
}

long mce_prctl(int option, unsigned long arg2, unsigned long arg3,
	       unsigned long arg4, unsigned long arg5)
{
	struct mce_thread *t;
	long r = 0;

	pthread_once(&mce_threads.once, mce_threads_init);
	spin_lock(&mce_threads.lock);
	t = mce_thread_find(mce_gettid(), option == PR_MCE_KILL);
	switch (option) {
	case PR_MCE_KILL:
		if (arg4 | arg5) {
			r = -EINVAL;
			break;
		}
		if (!t) {
			r = -ENOMEM;	/* tdxsim's table of threads is full */
			break;
		}
		if (arg2 == PR_MCE_KILL_CLEAR) {
			if (arg3)
				r = -EINVAL;
			else
				t->flags &= ~PF_MCE_PROCESS;
		} else if (arg2 == PR_MCE_KILL_SET) {
			/* As kernel/sys.c: set first, even for a bad @arg3. */
			t->flags |= PF_MCE_PROCESS;
			if (arg3 == PR_MCE_KILL_EARLY)
				t->flags |= PF_MCE_EARLY;
			else if (arg3 == PR_MCE_KILL_LATE)
				t->flags &= ~PF_MCE_EARLY;
			else if (arg3 == PR_MCE_KILL_DEFAULT)
				t->flags &= ~(PF_MCE_EARLY | PF_MCE_PROCESS);
			else
				r = -EINVAL;
		} else {
			r = -EINVAL;
		}
		break;
	case PR_MCE_KILL_GET:
		if (arg2 | arg3 | arg4 | arg5)
			r = -EINVAL;
		else if (t && (t->flags & PF_MCE_PROCESS))
			r = t->flags & PF_MCE_EARLY ? PR_MCE_KILL_EARLY :
						      PR_MCE_KILL_LATE;
		else
			r = PR_MCE_KILL_DEFAULT;
		break;
	default:
		r = -EINVAL;
	}
	spin_unlock(&mce_threads.lock);
	return r;
}

void mce_set_early_kill_sysctl(int on)
{
	WRITE_ONCE(sysctl_memory_failure_early_kill, !!on);
}

int mce_early_kill_sysctl(void)
{
	return READ_ONCE(sysctl_memory_failure_early_kill);
}

void mce_set_notify(tdxsim_mce_notify_fn fn, void *arg)
{
	pthread_once(&mce_threads.once, mce_threads_init);
	spin_lock(&mce_threads.lock);
	mce_notify.fn = fn;
	mce_notify.arg = arg;
	spin_unlock(&mce_threads.lock);
}

/* Does a thread with these flags take the process's early kill? */
static bool mce_thread_early(unsigned int flags, int sysctl)
{
	if (flags & PF_MCE_PROCESS)
		return flags & PF_MCE_EARLY;
	return sysctl;
}

/*
 * find_early_kill_thread(): the first thread, the main thread first, that
 * asked for the early kill, or that asked nothing while the sysctl is on.
 * 0 for a late-kill process.
 */
static pid_t task_early_kill(void)
{
	int sysctl = mce_early_kill_sysctl();
	pid_t main_tid = getpid(), tid = 0;
	struct mce_thread *t;
	unsigned int i;

	/* No thread set a policy and the sysctl is off: late, no lock. */
	if (!sysctl && !READ_ONCE(mce_threads.nr))
		return 0;
	pthread_once(&mce_threads.once, mce_threads_init);
	spin_lock(&mce_threads.lock);
	t = mce_thread_find(main_tid, false);
	if (mce_thread_early(t ? t->flags : 0, sysctl))
		tid = main_tid;
	for (i = 0; !tid && i < mce_threads.nr; i++)
		if (mce_threads.t[i].tid != main_tid &&
		    mce_thread_early(mce_threads.t[i].flags, sysctl))
			tid = mce_threads.t[i].tid;
	spin_unlock(&mce_threads.lock);
	return tid;
}

/* ---- collect_procs_file(), kill_procs() ---- */

#define VMA_PAGES(vma)	(((vma)->vm_end - (vma)->vm_start) >> PAGE_SHIFT)

void collect_procs_file(struct mm_struct *mm, const void *mapping,
			u64 index, u64 start, u64 nr, int shift,
			struct mce_tokill *tk)
{
	struct vm_area_struct *vma;
	u64 i, first, last;

	tk->nr = 0;
	tk->mapped = tk->dirty = false;
	tk->tid = task_early_kill();
	/* A late-kill process: nothing to collect (and no lock taken). */
	if (!tk->tid)
		return;
	spin_lock(&mm->vma_lock);
	list_for_each_entry(vma, &mm->vmas, node) {
		if (vma->vm_direct || !vma->vm_file ||
		    vma->vm_file->f_mapping != mapping)
			continue;
		first = vma->vm_pgoff;
		last = first + VMA_PAGES(vma);
		/* hwpoison_user_mappings(): is the folio mapped, and dirty? */
		for (i = max(first, start); vma->vm_ptes &&
		     i < min(last, start + nr); i++) {
			if (!test_bit(i - first, vma->vm_ptes))
				continue;
			tk->mapped = true;
			/* No dirty bit: a writable PTE counts as written. */
			if (vma->vm_flags & VM_WRITE)
				tk->dirty = true;
		}
		/* Every VMA that covers the page, mapped there or not. */
		if (index < first || index >= last ||
		    tk->nr == MCE_TOKILL_MAX)
			continue;
		tk->sig[tk->nr].tid = tk->tid;
		tk->sig[tk->nr].si_code = BUS_MCEERR_AO;
		tk->sig[tk->nr].addr = (void *)(vma->vm_start +
						((index - first) << PAGE_SHIFT));
		tk->sig[tk->nr].addr_lsb = (short)shift;
		tk->nr++;
	}
	spin_unlock(&mm->vma_lock);
}

/*
 * The pending signals of the calling task, delivered when its system call
 * returns (mce_deliver_pending() from task_work_run()).
 */
struct mce_pending {
	unsigned int nr;
	struct tdxsim_mce_signal sig[MCE_TOKILL_MAX];
};

static void mce_pending_free(void *p)
{
	free(p);
}

static DEFINE_TASK_LOCAL(mce_pending_key, mce_pending_free);

void kill_procs(struct mce_tokill *tk)
{
	struct mce_pending **pp = task_local(&mce_pending_key);
	unsigned int i;

	/* Only a folio that was mapped and dirty kills (forcekill). */
	if (!tk->mapped || !tk->dirty || !tk->nr)
		return;
	if (!*pp)
		*pp = calloc(1, sizeof(**pp));
	for (i = 0; *pp && i < tk->nr && (*pp)->nr < MCE_TOKILL_MAX; i++)
		(*pp)->sig[(*pp)->nr++] = tk->sig[i];
}

void mce_deliver_pending(void)
{
	struct mce_pending **pp = task_local(&mce_pending_key);
	struct mce_pending p;
	tdxsim_mce_notify_fn fn;
	void *arg;
	unsigned int i;

	if (!*pp || !(*pp)->nr)
		return;
	p = **pp;
	(*pp)->nr = 0;
	spin_lock(&mce_threads.lock);
	fn = mce_notify.fn;
	arg = mce_notify.arg;
	spin_unlock(&mce_threads.lock);
	for (i = 0; fn && i < p.nr; i++)
		fn(&p.sig[i], arg);
}
