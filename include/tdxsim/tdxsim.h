/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tdxsim's system calls: what a VMM uses instead of open(2), ioctl(2),
 * close(2), fallocate(2), mmap(2) and munmap(2) to talk to the simulated
 * /dev/kvm, plus tdxsim's own controls (TDXSIM_* requests).
 *
 * The calls behave like the system calls they replace: they return -1 and
 * set errno on failure. File descriptors handed out by tdxsim are real
 * process descriptor numbers (each reserves a descriptor of /dev/null), so
 * they never collide with the process's own files. tdxsim_ioctl(),
 * tdxsim_close() and tdxsim_fallocate() on a descriptor tdxsim did not
 * create are passed to the real system call.
 */
#ifndef TDXSIM_TDXSIM_H
#define TDXSIM_TDXSIM_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "tdxsim/kvm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* fallocate(2) modes a guest_memfd accepts (Linux's values). */
#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE	0x01
#endif
#ifndef FALLOC_FL_PUNCH_HOLE
#define FALLOC_FL_PUNCH_HOLE	0x02
#endif

/* open(2) for "/dev/kvm" (ENOENT for any other path). */
int tdxsim_open(const char *path, int flags);

/*
 * ioctl(2): one optional argument (a pointer or an integer). Returns the
 * request's result (0, a value, or a new file descriptor for KVM_CREATE_VM,
 * KVM_CREATE_VCPU and KVM_CREATE_GUEST_MEMFD), or -1 with errno set.
 */
int tdxsim_ioctl(int fd, unsigned long request, ...);

/* close(2). The last close of a guest_memfd releases it (and its VM ref). */
int tdxsim_close(int fd);

/*
 * fallocate(2) on a guest_memfd: mode FALLOC_FL_KEEP_SIZE allocates,
 * FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE frees (zapping the VM's
 * mappings of the range first: private ones, and shared ones too for a
 * file created with GUEST_MEMFD_FLAG_MMAP).
 */
int tdxsim_fallocate(int fd, int mode, off_t offset, off_t len);

/*
 * mmap(2) of a vCPU fd (offset 0, up to KVM_GET_VCPU_MMAP_SIZE bytes: the
 * vCPU's struct kvm_run, readable and writable directly), or of a guest_memfd
 * created with GUEST_MEMFD_FLAG_MMAP (MAP_SHARED only). A guest_memfd mapping
 * reserves address space that must NOT be dereferenced: host accesses to it
 * go through tdxsim_gmem_host_access(), which models the page fault (or, for
 * a program that dereferences it, a SIGSEGV handler's tdxsim_gmem_fault()).
 * Returns MAP_FAILED with errno set on failure.
 */
void *tdxsim_mmap(void *addr, size_t len, int prot, int flags, int fd,
		  off_t off);
/* munmap(2): a tdxsim mapping reaching out of the range is split, as Linux's. */
int tdxsim_munmap(void *addr, size_t len);

/*
 * read(2) and pread(2) of a descriptor tdxsim handed out: a binary
 * statistics file (KVM_GET_STATS_FD) reads as the kernel's; the others
 * have no read method (EINVAL).
 */
ssize_t tdxsim_read(int fd, void *buf, size_t count);
ssize_t tdxsim_pread(int fd, void *buf, size_t count, off_t offset);

/*
 * A host access of @len bytes at @addr inside a guest_memfd mapping, as a
 * load (@write false: into @buf) or a store (@write true: from @buf). It takes
 * mm->mmap_lock for read and runs guest_memfd's fault handler for each page,
 * exactly as a CPU access would. Returns 0, -EHWPOISON (a poisoned page), or
 * -EFAULT where the kernel raises SIGBUS/SIGSEGV (a private page, a page
 * beyond the file's end, no guest_memfd mapping, a store to a read-only one).
 */
int tdxsim_gmem_host_access(void *addr, void *buf, size_t len, bool write);

/*
 * The page fault of a program's own load (store: @write) of @addr in a
 * guest_memfd mapping (`tdxsim exec`'s SIGSEGV handler): where the kernel
 * maps the page, it is mapped at @addr for real until a conversion to
 * private, a punch or a truncation takes it away (TDXSIM_PHYS_MEMFD=1).
 * 0 (mapped), -EFAULT (SIGBUS), -EHWPOISON (SIGBUS BUS_MCEERR_AR), -EACCES
 * (no such mapping or access: SIGSEGV), -EOPNOTSUPP (cannot map), -ENOMEM.
 */
int tdxsim_gmem_fault(void *addr, bool write);

/*
 * A host thread's reference on pages of a guest_memfd mapping, as a GUP
 * pin holds them (a device's DMA; the in-place conversion selftests use
 * CONFIG_GUP_TEST's PIN_LONGTERM_TEST_START): tdxsim_host_pin() faults
 * [@addr, @addr + @len) in through guest_memfd's fault handler and keeps
 * the references in *@pin. Returns 0, -EINVAL (empty or wrapping range),
 * -EFAULT where an access would SIGBUS (a private page, beyond the file)
 * or outside tdxsim's file mappings, -ENOMEM. While pinned, a to-private
 * KVM_SET_MEMORY_ATTRIBUTES2 of those pages answers EAGAIN (v8).
 */
struct tdxsim_host_pin;
int tdxsim_host_pin(void *addr, size_t len, bool write,
		    struct tdxsim_host_pin **pin);
/*
 * Store @len bytes at byte @off of the pinned range through the pin, as
 * DMA does: no fault, whatever guest_memfd has made of the pages since.
 * 0, or -EINVAL outside the range.
 */
int tdxsim_host_pin_write(struct tdxsim_host_pin *pin, size_t off,
			  const void *buf, size_t len);
/* Drop the references (unpin_user_pages()); NULL is ignored. */
void tdxsim_host_unpin(struct tdxsim_host_pin *pin);

/*
 * memory_failure() of the page at @offset of guest_memfd @fd, as the kernel
 * runs it for a machine check on that page (or MADV_HWPOISON): a 2M folio
 * is split first if it can be, the page is marked poisoned, the folio leaves
 * the process's mappings and guest_memfd's error_remove_folio unmaps it from
 * the VM (a later fault of the poisoned page fails with EHWPOISON). Returns 0,
 * or -1 with errno: EBADF, EINVAL (not a guest_memfd, @offset not
 * page-aligned or beyond the file), ENOENT (no page allocated there).
 */
int tdxsim_memory_failure(int fd, off_t offset);
/*
 * madvise(2) with MADV_HWPOISON (the only advice): each page of [@addr,
 * @addr + @len), which must be in guest_memfd mappings, is faulted in as
 * madvise_inject_error() pins it, then tdxsim_memory_failure() runs on it.
 * 0, or -1 with errno: EINVAL (another advice, @addr not page-aligned, a
 * page outside a guest_memfd mapping), EFAULT (a page the host may not
 * access: private, beyond the file's end), or tdxsim_memory_failure()'s.
 */
int tdxsim_madvise(void *addr, size_t len, int advice);

/*
 * Memory failure's early kill (mm/memory-failure.c). prctl(2) of the
 * calling thread's machine-check kill policy, as kernel/sys.c answers it:
 * @option PR_MCE_KILL (@arg2 PR_MCE_KILL_SET with @arg3 PR_MCE_KILL_EARLY,
 * _LATE or _DEFAULT; or PR_MCE_KILL_CLEAR with @arg3 0) or PR_MCE_KILL_GET
 * (its value: PR_MCE_KILL_EARLY, _LATE or _DEFAULT). -1 with errno EINVAL
 * for another @option or @arg2, a bad @arg3, nonzero unused arguments (as
 * the kernel, SET with a bad @arg3 still marks the thread as having a
 * policy); ENOMEM once 64 threads have one.
 */
int tdxsim_prctl(int option, unsigned long arg2, unsigned long arg3,
		 unsigned long arg4, unsigned long arg5);
/*
 * vm.memory_failure_early_kill (0 or 1; 0 at start): the policy of the
 * threads that set none. `tdxsim exec --memory-failure-early-kill` sets 1.
 */
void tdxsim_set_memory_failure_early_kill(int on);
int tdxsim_memory_failure_early_kill(void);
/*
 * An early kill: when memory failure (tdxsim_memory_failure(),
 * tdxsim_madvise()) unmaps a guest_memfd folio that the process had
 * mapped writable (tdxsim's stand-in for a dirty folio), and the process
 * has an early-kill thread (the main thread first, then the threads that
 * called tdxsim_prctl() in call order: PR_MCE_KILL_EARLY, or no policy
 * and the sysctl on), that thread is owed SIGBUS BUS_MCEERR_AO for each
 * mapping that covers the page (mapped there or not): @addr the page's
 * address in it, @addr_lsb 12, or 21 for a 2M folio that could not be
 * split. The notifier gets each, in the thread whose call ran the memory
 * failure, before that call returns, with no tdxsim lock held (it may call
 * tdxsim; it must not longjmp out). Without a notifier nothing is sent.
 * `tdxsim exec` sends them as signals (send_sig_mceerr()).
 */
struct tdxsim_mce_signal {
	pid_t tid;		/* the thread (gettid()) to signal */
	int si_code;		/* BUS_MCEERR_AO */
	void *addr;		/* si_addr */
	short addr_lsb;		/* si_addr_lsb */
};
typedef void (*tdxsim_mce_notify_fn)(const struct tdxsim_mce_signal *sig,
				     void *arg);
/* Set (or with NULL clear) the process's notifier. */
void tdxsim_set_mce_notify(tdxsim_mce_notify_fn fn, void *arg);

/*
 * While on, the descriptor number of a closed tdxsim file (tdxsim_close())
 * stays reserved and goes to the next file tdxsim creates (the lowest kept
 * one first), with no system call for either; a closed number still
 * answers EBADF. For a process whose own descriptors do not care which
 * numbers tdxsim's take: the explorers (tdxsim/scenario.h) turn it on for
 * their loops (a VM per schedule). Off (the default) gives the numbers
 * back. Returns the previous setting. The same goes for a vCPU's kvm_run
 * pages and the program's mappings of them: while on, a freed one and an
 * unmapped one are kept for the next VM (no mmap(), mremap() or munmap()),
 * so an unmapped kvm_run range is not given back until it is turned off.
 */
bool tdxsim_fd_reuse(bool on);

/* tdxsim's own controls (TDXSIM_* ioctl requests and their structures). */
#include "tdxsim/ctl.h"

#ifdef __cplusplus
}
#endif

#endif /* TDXSIM_TDXSIM_H */
