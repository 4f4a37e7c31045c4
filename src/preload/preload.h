/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The shared state of libtdxsim-preload.so (internal; not installed).
 *
 * The library is four files: fdtable.c holds the C library's functions
 * (dlsym(RTLD_NEXT)), the table of descriptor numbers tdxsim handed out
 * and fork; vms.c the environment's options and what the library tracks of
 * each VM and vCPU on the way through ioctl (the guest model attached at the
 * first KVM_TDX_INIT_VCPU, the MRTD at KVM_TDX_FINALIZE_VM, a finished
 * guest's KVM_RUN, the report at exit); syscalls.c the interposed calls
 * themselves; signals.c the SIGSEGV of a direct access to a guest_memfd
 * mapping (SIGBUS where the kernel sends it). Everything here is hidden in
 * the shared object.
 */
#ifndef TDXSIM_PRELOAD_H
#define TDXSIM_PRELOAD_H

#undef _FILE_OFFSET_BITS
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include "tdxsim/guest.h"
#include "tdxsim/kvm.h"
#include "tdxsim/tdxsim.h"

#pragma GCC visibility push(hidden)

#define PRELOAD_API __attribute__((visibility("default")))

/* ---- the C library's functions (fdtable.c) ---- */

struct preload_real {
	int (*open)(const char *, int, ...);
	int (*openat)(int, const char *, int, ...);
	int (*close)(int);
	int (*ioctl)(int, unsigned long, ...);
	void *(*mmap)(void *, size_t, int, int, int, off_t);
	int (*munmap)(void *, size_t);
	int (*madvise)(void *, size_t, int);
	int (*prctl)(int, ...);
	int (*fallocate)(int, int, off_t, off_t);
	ssize_t (*read)(int, void *, size_t);
	ssize_t (*pread)(int, void *, size_t, off_t);
	ssize_t (*write)(int, const void *, size_t);
	int (*dup)(int);
	int (*dup2)(int, int);
	int (*dup3)(int, int, int);
	int (*fcntl)(int, int, ...);
	int (*sigaction)(int, const struct sigaction *, struct sigaction *);
	sighandler_t (*signal)(int, sighandler_t);
};
extern struct preload_real real;

extern pthread_once_t real_once;
void real_init(void);

#define REAL(fn)	(pthread_once(&real_once, real_init), real.fn)

/*
 * Inside tdxsim: tdxsim's own calls of open, close, mmap, ... (it reserves
 * descriptor numbers and address space with them) go straight on.
 */
extern __thread int in_tdxsim;

#define TDXSIM_CALL(expr) ({			\
	__typeof__(expr) __r;			\
	int __e;				\
	in_tdxsim++;				\
	__r = (expr);				\
	__e = errno;				\
	in_tdxsim--;				\
	errno = __e;				\
	__r;					\
})

/* ---- the descriptor table (fdtable.c) ---- */

enum fd_kind {
	FD_NONE,
	FD_SYSTEM,	/* /dev/kvm */
	FD_VM,
	FD_VCPU,
	FD_GMEM,
	FD_OTHER,	/* another descriptor tdxsim handed out */
};

#define MAX_FDS		65536

struct vm;
struct vcpu;

struct pfd {
	int kind;		/* enum fd_kind; FD_NONE: not tdxsim's */
	int canon;		/* the descriptor tdxsim knows (its first number) */
	int open_flags;		/* what F_GETFL answers */
	bool inherited;		/* from the parent of a fork: no tdxsim behind it */
};

extern struct pfd *fds;		/* [MAX_FDS], allocated on first use */
extern bool forked_child;	/* this process is a fork, not exec'd */

bool table_init(void);
bool lookup(int fd, struct pfd *out);
int add_fd(int fd, int kind, int open_flags);
int close_ours(int fd);
void add_alias(int newfd, const struct pfd *e, int cloexec);

/* Is @fd possibly tdxsim's? A lock-free first look for the hot paths. */
static inline bool maybe_ours(int fd)
{
	struct pfd *t = __atomic_load_n(&fds, __ATOMIC_ACQUIRE);

	return t && fd >= 0 && fd < MAX_FDS &&
	       __atomic_load_n(&t[fd].kind, __ATOMIC_RELAXED) != FD_NONE;
}

/* ---- the environment's options (vms.c) ---- */

struct preload_opt {
	pthread_once_t once;
	const char *kernel;
	const char *workload;
	const char *guest_file;
	char *program;		/* the guest program's text */
	uint64_t seed;
	const char *report;
};
extern struct preload_opt opt;

void options(void);

/* ---- VMs and vCPUs (vms.c) ---- */

/* One VM and its vCPUs, for the guest model and the report. */
struct vcpu {
	int canon;
	unsigned int index;		/* creation order within its VM */
	struct vm *vm;
	struct kvm_run *run;		/* tdxsim's kvm_run (the direct mapping) */
	uint64_t runs;
	uint64_t exits[64];
	bool guest_attached;
	/* The same shared memory fault again and again (see vcpu_run_done). */
	uint64_t fault_gpa, fault_repeats;
	bool fault_noted;
};

#define MAX_VCPUS	TDXSIM_GUEST_MAX_VCPUS

struct vm {
	int canon;
	unsigned long type;
	unsigned int id;		/* creation order in the process */
	unsigned int nr_vcpus;
	struct vcpu *vcpus[MAX_VCPUS];
	struct tdxsim_guest_model *guest;
	char guest_error[256];
	bool finalized;
	uint8_t mrtd[48];
	bool mrtd_valid;
	char kernel[TDXSIM_KERNEL_NAME_MAX];
	pid_t owner;
	struct vm *next;
};

extern pthread_mutex_t vm_lock;

void vm_forget_fd(int canon);
void vm_created(int fd, unsigned long type);
void vcpu_created(int vm_fd, int fd);
int vcpu_encrypt_op(int canon, unsigned long arg);
void vm_encrypt_op_done(int canon, unsigned long arg);
void vcpu_run_done(int canon, int r, int err);

/* ---- host accesses to guest_memfd mappings (syscalls.c, signals.c) ---- */

/* Is @addr in a guest_memfd mapping tdxsim made? Its protection in *@prot. */
bool gmem_mapping_at(const void *addr, int *prot);
/* Take SIGSEGV for the faults of guest_memfd mappings (once). */
void gmem_fault_handler_install(void);
/* Memory failure's early kill: tdxsim's notifier, and its signals sent. */
void mce_notify_install(void);
void mce_send_owed(void);

#pragma GCC visibility pop

#endif /* TDXSIM_PRELOAD_H */
