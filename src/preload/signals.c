// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libtdxsim-preload.so: a program's own accesses to its guest_memfd
 * mappings.
 *
 * A guest_memfd mapping starts as reserved address space (PROT_NONE): a
 * direct access to a page not mapped yet faults with SIGSEGV. From the first
 * guest_memfd mmap on, this file takes SIGSEGV (sigaction and signal on it
 * are interposed: the program's handler is kept here and called for every
 * fault that is not a guest_memfd mapping's) and runs guest_memfd's fault
 * handler for the page, as the kernel's page fault would
 * (kvm_gmem_fault_user_mapping(): the attribute checked under the
 * invalidate lock) through tdxsim_gmem_fault(): a shared page is mapped
 * at the address (the access runs again and succeeds; a conversion to
 * private or a punch unmaps it again). Where the kernel answers
 * VM_FAULT_SIGBUS (a private
 * page with in-place conversion, a page beyond the file's end) the program
 * gets SIGBUS as force_sig_fault(SIGBUS, BUS_ADRERR, address) sends it
 * (BUS_MCEERR_AR, si_addr_lsb 12, for a page memory failure poisoned):
 * si_code BUS_ADRERR, si_addr the faulting address, delivered in the
 * faulting context (its ucontext is the access's, a handler that returns
 * meets the fault again), a blocked or ignored SIGBUS reset to the default
 * action first. A shared page tdxsim cannot map (an anonymous PFN space:
 * TDXSIM_PHYS_MEMFD unset) is the program's SIGSEGV (one line on stderr
 * says so).
 *
 * Memory failure's early kill (prctl(PR_MCE_KILL_EARLY), or
 * vm.memory_failure_early_kill: `tdxsim exec --memory-failure-early-kill`):
 * the SIGBUS BUS_MCEERR_AO that tdxsim's memory failure owes the
 * program's early-kill thread, si_addr the page's address in a mapping that
 * covers it and si_addr_lsb 12 (21 for an unsplit 2M folio), is sent when
 * the call that caused it (madvise(MADV_HWPOISON)) leaves tdxsim.
 */
#include <sys/syscall.h>
#include <ucontext.h>

#include "preload.h"

/* x86's page fault error code (the kernel's X86_PF_WRITE, X86_PF_INSTR). */
#define PF_WRITE	0x2
#define PF_INSTR	0x10

static pthread_mutex_t act_lock = PTHREAD_MUTEX_INITIALIZER;
static bool installed;			/* our handler is SIGSEGV's */
static struct sigaction prog_segv;	/* the program's, while installed */
static bool shared_noted;

static struct sigaction prog_action(void)
{
	struct sigaction a;

	pthread_mutex_lock(&act_lock);
	a = prog_segv;
	pthread_mutex_unlock(&act_lock);
	return a;
}

static void set_default(int sig)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };

	REAL(sigaction)(sig, &dfl, NULL);
}

/* The SIGSEGV as the program asked for it: its handler, or the default. */
static void forward_segv(int sig, siginfo_t *si, void *uc)
{
	struct sigaction a = prog_action();
	sigset_t mask, old;

	if (a.sa_handler == SIG_DFL || a.sa_handler == SIG_IGN) {
		/* Sent with kill(): ignored, or the default action now. */
		if (si->si_code <= 0 && a.sa_handler == SIG_IGN)
			return;
		pthread_mutex_lock(&act_lock);
		installed = false;
		set_default(SIGSEGV);
		pthread_mutex_unlock(&act_lock);
		/* A fault: the access faults again and takes the default. */
		if (si->si_code <= 0)
			raise(SIGSEGV);
		return;
	}
	mask = a.sa_mask;
	if (!(a.sa_flags & SA_NODEFER))
		sigaddset(&mask, SIGSEGV);
	if (a.sa_flags & SA_RESETHAND) {
		pthread_mutex_lock(&act_lock);
		prog_segv.sa_handler = SIG_DFL;
		prog_segv.sa_flags &= ~SA_SIGINFO;
		pthread_mutex_unlock(&act_lock);
	}
	pthread_sigmask(SIG_BLOCK, &mask, &old);
	if (a.sa_flags & SA_SIGINFO)
		a.sa_sigaction(sig, si, uc);
	else
		a.sa_handler(sig);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/*
 * force_sig_fault(SIGBUS, BUS_ADRERR, @addr) for the thread that faulted,
 * or for a poisoned page (@poison) force_sig_mceerr(BUS_MCEERR_AR, @addr,
 * PAGE_SHIFT): queued while blocked here, so that it is delivered once the
 * faulting context is restored, with that context.
 */
static void send_sigbus(void *addr, ucontext_t *uc, bool poison)
{
	struct sigaction cur;
	siginfo_t info;
	sigset_t bus;

	REAL(sigaction)(SIGBUS, NULL, &cur);
	if (sigismember(&uc->uc_sigmask, SIGBUS) || cur.sa_handler == SIG_IGN) {
		set_default(SIGBUS);
		sigdelset(&uc->uc_sigmask, SIGBUS);
	}
	sigemptyset(&bus);
	sigaddset(&bus, SIGBUS);
	pthread_sigmask(SIG_BLOCK, &bus, NULL);
	memset(&info, 0, sizeof(info));
	info.si_signo = SIGBUS;
	info.si_code = poison ? BUS_MCEERR_AR : BUS_ADRERR;
	info.si_addr = addr;
	if (poison)
		info.si_addr_lsb = 12;		/* PAGE_SHIFT: one page lost */
	syscall(SYS_rt_tgsigqueueinfo, getpid(), (pid_t)syscall(SYS_gettid),
		SIGBUS, &info);
}

/*
 * A fault in a guest_memfd mapping: SIGBUS if guest_memfd's fault handler
 * answers VM_FAULT_SIGBUS; false for the program's SIGSEGV.
 */
static bool gmem_fault(siginfo_t *si, ucontext_t *uc)
{
	unsigned long err = (unsigned long)uc->uc_mcontext.gregs[REG_ERR];
	uintptr_t page = (uintptr_t)si->si_addr & ~(uintptr_t)4095;
	bool write = err & PF_WRITE;
	int prot, r;

	if (in_tdxsim || forked_child || si->si_code != SEGV_ACCERR ||
	    !gmem_mapping_at(si->si_addr, &prot))
		return false;
	/* The VMA refuses the access: the kernel's SIGSEGV too. */
	if ((err & PF_INSTR) || !(prot & PROT_READ) ||
	    (write && !(prot & PROT_WRITE)))
		return false;
	/* The page fault: the page is mapped, the access runs again. */
	r = TDXSIM_CALL(tdxsim_gmem_fault((void *)page, write));
	if (!r)
		return true;
	if (r == -EFAULT || r == -EHWPOISON) {
		send_sigbus(si->si_addr, uc, r == -EHWPOISON);
		return true;
	}
	if (r == -EACCES)
		return false;
	if (!__atomic_exchange_n(&shared_noted, true, __ATOMIC_RELAXED)) {
		char msg[200];
		int n = snprintf(msg, sizeof(msg),
				 "tdxsim: %s of the shared guest_memfd page at %p: tdxsim cannot map it into the program (SIGSEGV)\n",
				 write ? "a store" : "a load", si->si_addr);

		if (n > 0 && REAL(write)(2, msg, (size_t)n) < 0)
			n = 0;
	}
	return false;
}

/* ---- memory failure's early kill ---- */

/*
 * The SIGBUS BUS_MCEERR_AO tdxsim owes a thread (tdxsim's notifier, in the
 * call that ran the memory failure): kept here until the call is out of
 * tdxsim, then sent as send_sig_mceerr() sends it (not forced: a blocked
 * SIGBUS stays pending, an ignored one is dropped; a second one while the
 * first is pending merges with it).
 */
#define MCE_OWED_MAX	8
static __thread struct tdxsim_mce_signal owed[MCE_OWED_MAX];
static __thread unsigned int nr_owed;

static void mce_owe(const struct tdxsim_mce_signal *sig, void *arg)
{
	(void)arg;
	if (nr_owed < MCE_OWED_MAX)
		owed[nr_owed++] = *sig;
}

static void mce_install_once(void)
{
	in_tdxsim++;
	tdxsim_set_mce_notify(mce_owe, NULL);
	in_tdxsim--;
}

void mce_notify_install(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, mce_install_once);
}

/*
 * Linux lets a thread queue a kernel si_code (BUS_MCEERR_AO) only to
 * itself: the signal for another thread travels there as a SIGSEGV
 * SI_QUEUE carrying a slot of carried[] (si_value MCE_CARRY | slot), and
 * that thread's SIGSEGV handler (installed with the first guest_memfd
 * mapping, which an early kill needs) queues it to itself.
 */
#define MCE_CARRY	0x4d430000
#define MCE_CARRY_MAX	16
static struct tdxsim_mce_signal carried[MCE_CARRY_MAX];
static int carried_used[MCE_CARRY_MAX];

static int mce_queue_self(const struct tdxsim_mce_signal *sig)
{
	siginfo_t info;

	memset(&info, 0, sizeof(info));
	info.si_signo = SIGBUS;
	info.si_code = sig->si_code;
	info.si_addr = sig->addr;
	info.si_addr_lsb = sig->addr_lsb;
	return syscall(SYS_rt_tgsigqueueinfo, getpid(), sig->tid, SIGBUS,
		       &info);
}

static void mce_carry(const struct tdxsim_mce_signal *sig)
{
	siginfo_t info;
	int i;

	for (i = 0; i < MCE_CARRY_MAX; i++)
		if (!__atomic_exchange_n(&carried_used[i], 1, __ATOMIC_ACQUIRE))
			break;
	if (i == MCE_CARRY_MAX)
		return;
	carried[i] = *sig;
	/* 2: filled (the receiver takes only a filled slot). */
	__atomic_store_n(&carried_used[i], 2, __ATOMIC_RELEASE);
	memset(&info, 0, sizeof(info));
	info.si_signo = SIGSEGV;
	info.si_code = SI_QUEUE;
	info.si_pid = getpid();
	info.si_uid = getuid();
	info.si_value.sival_int = MCE_CARRY | i;
	if (syscall(SYS_rt_tgsigqueueinfo, getpid(), sig->tid, SIGSEGV, &info))
		__atomic_store_n(&carried_used[i], 0, __ATOMIC_RELEASE);
}

/* A carried signal arrived in its thread: queue it there. */
static bool mce_carried(const siginfo_t *si)
{
	int v = si->si_value.sival_int, i = v & 0xffff;
	struct tdxsim_mce_signal sig;

	if (si->si_code != SI_QUEUE || si->si_pid != getpid() ||
	    (v & ~0xffff) != MCE_CARRY || i >= MCE_CARRY_MAX ||
	    __atomic_load_n(&carried_used[i], __ATOMIC_ACQUIRE) != 2)
		return false;
	sig = carried[i];
	__atomic_store_n(&carried_used[i], 0, __ATOMIC_RELEASE);
	sig.tid = (pid_t)syscall(SYS_gettid);
	mce_queue_self(&sig);
	return true;
}

void mce_send_owed(void)
{
	pid_t self = (pid_t)syscall(SYS_gettid);
	sigset_t bus, old;
	unsigned int i;

	if (!nr_owed)
		return;
	/* Queued together, delivered when the mask is back (merged). */
	sigemptyset(&bus);
	sigaddset(&bus, SIGBUS);
	pthread_sigmask(SIG_BLOCK, &bus, &old);
	for (i = 0; i < nr_owed; i++) {
		if (owed[i].tid == self)
			mce_queue_self(&owed[i]);
		else
			mce_carry(&owed[i]);
	}
	nr_owed = 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void segv_handler(int sig, siginfo_t *si, void *ucv)
{
	int saved = errno;

	if (!mce_carried(si) && !gmem_fault(si, ucv))
		forward_segv(sig, si, ucv);
	errno = saved;
}

void gmem_fault_handler_install(void)
{
	struct sigaction sa = { 0 };

	pthread_mutex_lock(&act_lock);
	if (!installed) {
		sa.sa_sigaction = segv_handler;
		sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER | SA_RESTART;
		sigemptyset(&sa.sa_mask);
		if (REAL(sigaction)(SIGSEGV, &sa, &prog_segv) == 0)
			installed = true;
	}
	pthread_mutex_unlock(&act_lock);
}

PRELOAD_API int sigaction(int sig, const struct sigaction *act,
			  struct sigaction *oact)
{
	pthread_mutex_lock(&act_lock);
	if (sig != SIGSEGV || !installed) {
		pthread_mutex_unlock(&act_lock);
		return REAL(sigaction)(sig, act, oact);
	}
	if (oact)
		*oact = prog_segv;
	if (act)
		prog_segv = *act;
	pthread_mutex_unlock(&act_lock);
	return 0;
}

PRELOAD_API sighandler_t signal(int sig, sighandler_t handler)
{
	sighandler_t old;

	pthread_mutex_lock(&act_lock);
	if (sig != SIGSEGV || !installed) {
		pthread_mutex_unlock(&act_lock);
		return REAL(signal)(sig, handler);
	}
	old = prog_segv.sa_handler;
	/* The C library's signal(): BSD semantics. */
	memset(&prog_segv, 0, sizeof(prog_segv));
	prog_segv.sa_handler = handler;
	prog_segv.sa_flags = SA_RESTART;
	sigemptyset(&prog_segv.sa_mask);
	pthread_mutex_unlock(&act_lock);
	return old;
}
