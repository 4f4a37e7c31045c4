// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libtdxsim-preload.so: tdxsim under an unmodified program (`tdxsim exec`).
 *
 * Loaded with LD_PRELOAD, it takes the C library's open, ioctl, mmap,
 * munmap, madvise (MADV_HWPOISON of a guest_memfd mapping), prctl
 * (PR_MCE_KILL, PR_MCE_KILL_GET), fallocate,
 * read, pread, write, close, dup, dup2, dup3 and fcntl
 * (this file): an open of "/dev/kvm" goes to tdxsim_open(), and those calls
 * on a descriptor tdxsim handed out (fdtable.c) go to tdxsim's system calls
 * (tdxsim/tdxsim.h), with what vms.c adds around ioctl; everything else
 * goes on to the C library. A forked child inherits the descriptors but not
 * the VMs: it may close or dup them, any other call answers EIO (as KVM
 * answers a call from another mm), and it cannot open /dev/kvm anew without
 * exec (ENODEV). The direct accesses to a guest_memfd mapping fault: their
 * SIGSEGV is signals.c's. The library uses the public headers only.
 */
/*
 * Define open, mmap, fcntl, ... under their own names: with 64-bit file
 * offsets the C library's headers would rename them to open64, ... (the
 * same functions on x86-64, defined below under both names).
 */
#undef _FILE_OFFSET_BITS
#include <sys/prctl.h>

#include "preload.h"

static bool is_dev_kvm(const char *path)
{
	return path && !strcmp(path, "/dev/kvm");
}

static int open_kvm(int flags)
{
	int fd;

	if (forked_child) {
		static const char msg[] =
			"tdxsim: /dev/kvm in a forked child (without exec) is not simulated\n";

		if (REAL(write)(2, msg, sizeof(msg) - 1) < 0)
			errno = ENODEV;
		errno = ENODEV;
		return -1;
	}
	if (!table_init()) {
		errno = ENOMEM;
		return -1;
	}
	fd = TDXSIM_CALL(tdxsim_open("/dev/kvm", flags));
	return add_fd(fd, FD_SYSTEM, flags & O_ACCMODE);
}

static mode_t open_mode(int flags, va_list ap)
{
	if (flags & (O_CREAT | __O_TMPFILE))
		return va_arg(ap, mode_t);
	return 0;
}

PRELOAD_API int open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	if (!in_tdxsim && is_dev_kvm(path))
		return open_kvm(flags);
	return REAL(open)(path, flags, mode);
}

PRELOAD_API int open64(const char *path, int flags, ...)
	__attribute__((alias("open")));

PRELOAD_API int openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	if (!in_tdxsim && is_dev_kvm(path))
		return open_kvm(flags);
	return REAL(openat)(dirfd, path, flags, mode);
}

PRELOAD_API int openat64(int dirfd, const char *path, int flags, ...)
	__attribute__((alias("openat")));

/* _FORTIFY_SOURCE's checked variants. */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

PRELOAD_API int __open_2(const char *path, int flags)
{
	return open(path, flags);
}

PRELOAD_API int __open64_2(const char *path, int flags)
{
	return open(path, flags);
}

PRELOAD_API int __openat_2(int dirfd, const char *path, int flags)
{
	return openat(dirfd, path, flags);
}

PRELOAD_API int __openat64_2(int dirfd, const char *path, int flags)
{
	return openat(dirfd, path, flags);
}

PRELOAD_API int close(int fd)
{
	if (in_tdxsim || !maybe_ours(fd))
		return REAL(close)(fd);
	return close_ours(fd);
}

/* The new descriptor of a request that makes one, by the fd's kind. */
static int new_fd_kind(int kind, unsigned long request)
{
	if (kind == FD_SYSTEM && request == KVM_CREATE_VM)
		return FD_VM;
	if (kind == FD_VM && request == KVM_CREATE_VCPU)
		return FD_VCPU;
	if (kind == FD_VM && request == KVM_CREATE_GUEST_MEMFD)
		return FD_GMEM;
	return FD_NONE;
}

/* Requests that answer a new descriptor without making a VM or vCPU. */
static bool makes_other_fd(unsigned long request)
{
	return request == KVM_GET_STATS_FD;	/* on a VM or vCPU fd */
}

static bool child_may(const struct pfd *e, unsigned long request)
{
	return e->kind == FD_SYSTEM &&
	       (request == KVM_GET_API_VERSION ||
		request == KVM_CHECK_EXTENSION ||
		request == KVM_GET_VCPU_MMAP_SIZE);
}

PRELOAD_API int ioctl(int fd, unsigned long request, ...)
{
	unsigned long arg;
	struct pfd e;
	va_list ap;
	int r, kind;

	va_start(ap, request);
	arg = va_arg(ap, unsigned long);
	va_end(ap);
	if (in_tdxsim || !maybe_ours(fd) || !lookup(fd, &e))
		return REAL(ioctl)(fd, request, arg);
	if (e.inherited && !child_may(&e, request)) {
		errno = EIO;
		return -1;
	}
	if (e.kind == FD_VCPU && request == KVM_MEMORY_ENCRYPT_OP &&
	    vcpu_encrypt_op(e.canon, arg) < 0)
		return -1;

	r = TDXSIM_CALL(tdxsim_ioctl(e.canon, request, arg));

	kind = new_fd_kind(e.kind, request);
	if (r >= 0 && kind != FD_NONE) {
		r = add_fd(r, kind, O_RDWR);
		if (r >= 0 && kind == FD_VM)
			vm_created(r, arg);
		else if (r >= 0 && kind == FD_VCPU)
			vcpu_created(e.canon, r);
	} else if (r >= 0 && makes_other_fd(request)) {
		r = add_fd(r, FD_OTHER, O_RDONLY);
	} else if (e.kind == FD_VCPU && request == KVM_RUN) {
		int saved = errno;

		vcpu_run_done(e.canon, r, saved);
		errno = saved;
	} else if (r == 0 && e.kind == FD_VM &&
		   request == KVM_MEMORY_ENCRYPT_OP) {
		vm_encrypt_op_done(e.canon, arg);
	}
	return r;
}

/* tdxsim's mappings, so that munmap and the fault handler know them. */
struct mapping {
	void *addr;
	size_t len;
	int prot;
	bool gmem;		/* a guest_memfd's (else a vCPU's kvm_run) */
	struct mapping *next;
};

static struct mapping *mappings;
static pthread_mutex_t map_lock = PTHREAD_MUTEX_INITIALIZER;

PRELOAD_API void *mmap(void *addr, size_t len, int prot, int flags, int fd,
		       off_t off)
{
	struct mapping *m;
	struct pfd e;
	void *p;

	if (in_tdxsim || (flags & MAP_ANONYMOUS) || !maybe_ours(fd) ||
	    !lookup(fd, &e))
		return REAL(mmap)(addr, len, prot, flags, fd, off);
	if (e.inherited) {
		errno = EIO;
		return MAP_FAILED;
	}
	p = TDXSIM_CALL(tdxsim_mmap(addr, len, prot, flags, e.canon, off));
	if (p == MAP_FAILED)
		return p;
	m = malloc(sizeof(*m));
	if (m) {
		m->addr = p;
		m->len = len;
		m->prot = prot;
		m->gmem = e.kind == FD_GMEM;
		pthread_mutex_lock(&map_lock);
		m->next = mappings;
		mappings = m;
		pthread_mutex_unlock(&map_lock);
	}
	if (e.kind == FD_GMEM)
		gmem_fault_handler_install();
	return p;
}

bool gmem_mapping_at(const void *addr, int *prot)
{
	const struct mapping *m;
	bool found = false;

	pthread_mutex_lock(&map_lock);
	for (m = mappings; m && !found; m = m->next) {
		if (m->gmem && (const char *)addr >= (const char *)m->addr &&
		    (const char *)addr < (const char *)m->addr + m->len) {
			*prot = m->prot;
			found = true;
		}
	}
	pthread_mutex_unlock(&map_lock);
	return found;
}

PRELOAD_API void *mmap64(void *addr, size_t len, int prot, int flags, int fd,
			 off_t off) __attribute__((alias("mmap")));

struct span {
	uintptr_t s, e;
};

static int span_cmp(const void *x, const void *y)
{
	const struct span *p = x, *q = y;

	return p->s < q->s ? -1 : p->s > q->s;
}

/*
 * The parts of [@a, @end) outside @n spans (inside it, disjoint) go to
 * the C library's munmap.
 */
static int unmap_gaps(uintptr_t a, uintptr_t end, struct span *sp, size_t n)
{
	size_t i;

	if (n)		/* qsort()'s array may not be NULL, even empty */
		qsort(sp, n, sizeof(*sp), span_cmp);
	for (i = 0; i <= n; i++) {
		uintptr_t e = i < n ? sp[i].s : end;

		if (e > a && REAL(munmap)((void *)a, e - a))
			return -1;
		if (i < n)
			a = sp[i].e;
	}
	return 0;
}

/*
 * munmap() of a range that meets tdxsim's mappings, as the kernel's: each
 * such mapping loses the range's part (tdxsim splits its VMA and gives
 * that address space back) and keeps the rest, recorded here as one or
 * two mappings; the range's parts outside them go to the C library.
 * map_lock is held throughout, so that the SIGSEGV handler never takes an
 * address given back for a guest_memfd mapping's.
 */
PRELOAD_API int munmap(void *addr, size_t len)
{
	uintptr_t a = (uintptr_t)addr, end = a + ((len + 4095) & ~(size_t)4095);
	struct span *sp = NULL;
	size_t n = 0, cap = 0;
	struct mapping **pp, *m, *t;
	int r = 0;

	if (in_tdxsim || !mappings || (a & 4095) || !len || end < a)
		return REAL(munmap)(addr, len);
	pthread_mutex_lock(&map_lock);
	pp = &mappings;
	while ((m = *pp)) {
		uintptr_t ms = (uintptr_t)m->addr;
		uintptr_t me = ms + ((m->len + 4095) & ~(size_t)4095);
		uintptr_t s = ms > a ? ms : a, e = me < end ? me : end;

		if (ms >= end || me <= a) {
			pp = &m->next;
			continue;
		}
		if (n == cap) {
			struct span *nsp = realloc(sp, (cap = cap * 2 + 4) *
							       sizeof(*sp));

			if (!nsp) {
				errno = ENOMEM;
				r = -1;
				break;
			}
			sp = nsp;
		}
		t = s > ms && e < me ? malloc(sizeof(*t)) : NULL;
		if (s > ms && e < me && !t) {
			errno = ENOMEM;
			r = -1;
			break;
		}
		r = TDXSIM_CALL(tdxsim_munmap((void *)s, e - s));
		if (r) {
			free(t);
			break;
		}
		sp[n].s = s;
		sp[n++].e = e;
		if (t) {
			/* The middle: the part above is a mapping of its own. */
			*t = *m;
			t->addr = (void *)e;
			t->len = me - e;
			m->next = t;
		}
		if (s > ms) {
			m->len = s - ms;
			pp = &m->next;
		} else if (e < me) {
			m->addr = (void *)e;
			m->len = me - e;
			pp = &m->next;
		} else {
			*pp = m->next;
			free(m);
		}
	}
	pthread_mutex_unlock(&map_lock);
	if (!r)
		r = unmap_gaps(a, end, sp, n);
	free(sp);
	return r;
}

/*
 * madvise(MADV_HWPOISON) of a guest_memfd mapping's pages: tdxsim's memory
 * failure of each (the kernel's needs CAP_SYS_ADMIN; tdxsim does not ask).
 * Any other advice, or other memory, goes to the C library.
 */
PRELOAD_API int madvise(void *addr, size_t len, int advice)
{
	int prot, r, e;

	if (in_tdxsim || advice != MADV_HWPOISON || !mappings ||
	    !gmem_mapping_at(addr, &prot))
		return REAL(madvise)(addr, len, advice);
	mce_notify_install();
	r = TDXSIM_CALL(tdxsim_madvise(addr, len, advice));
	/* The early kill's SIGBUS, on the way back to the program. */
	e = errno;
	mce_send_owed();
	errno = e;
	return r;
}

/*
 * prctl(PR_MCE_KILL) and prctl(PR_MCE_KILL_GET): the thread's policy for
 * tdxsim's memory failure (QEMU sets PR_MCE_KILL_EARLY at start). Every
 * other option goes to the C library.
 */
PRELOAD_API int prctl(int option, ...)
{
	unsigned long a[4];
	va_list ap;
	int i;

	va_start(ap, option);
	for (i = 0; i < 4; i++)
		a[i] = va_arg(ap, unsigned long);
	va_end(ap);
	if (in_tdxsim || forked_child ||
	    (option != PR_MCE_KILL && option != PR_MCE_KILL_GET))
		return REAL(prctl)(option, a[0], a[1], a[2], a[3]);
	return TDXSIM_CALL(tdxsim_prctl(option, a[0], a[1], a[2], a[3]));
}

PRELOAD_API int fallocate(int fd, int mode, off_t offset, off_t len)
{
	struct pfd e;

	if (in_tdxsim || !maybe_ours(fd) || !lookup(fd, &e))
		return REAL(fallocate)(fd, mode, offset, len);
	if (e.inherited) {
		errno = EIO;
		return -1;
	}
	return TDXSIM_CALL(tdxsim_fallocate(e.canon, mode, offset, len));
}

PRELOAD_API int fallocate64(int fd, int mode, off_t offset, off_t len)
	__attribute__((alias("fallocate")));

/*
 * read(2) and pread(2) go to tdxsim (a statistics file reads; the other
 * descriptors have no read method: EINVAL); write(2) is refused (EINVAL),
 * as the kernel answers for files without a write method.
 */
PRELOAD_API ssize_t read(int fd, void *buf, size_t count)
{
	struct pfd e;

	if (in_tdxsim || !maybe_ours(fd) || !lookup(fd, &e))
		return REAL(read)(fd, buf, count);
	if (e.inherited) {
		errno = EIO;
		return -1;
	}
	return TDXSIM_CALL(tdxsim_read(e.canon, buf, count));
}

PRELOAD_API ssize_t pread(int fd, void *buf, size_t count, off_t offset)
{
	struct pfd e;

	if (in_tdxsim || !maybe_ours(fd) || !lookup(fd, &e))
		return REAL(pread)(fd, buf, count, offset);
	if (e.inherited) {
		errno = EIO;
		return -1;
	}
	return TDXSIM_CALL(tdxsim_pread(e.canon, buf, count, offset));
}

PRELOAD_API ssize_t pread64(int fd, void *buf, size_t count, off_t offset)
	__attribute__((alias("pread")));

PRELOAD_API ssize_t write(int fd, const void *buf, size_t count)
{
	if (in_tdxsim || !maybe_ours(fd))
		return REAL(write)(fd, buf, count);
	errno = EINVAL;
	return -1;
}

PRELOAD_API int dup(int fd)
{
	struct pfd e;
	int r;

	if (in_tdxsim || !maybe_ours(fd) || !lookup(fd, &e))
		return REAL(dup)(fd);
	r = REAL(dup)(fd);
	if (r >= MAX_FDS) {
		REAL(close)(r);
		errno = EMFILE;
		return -1;
	}
	if (r >= 0)
		add_alias(r, &e, 0);
	return r;
}

/* dup2/dup3 onto @newfd: a tdxsim descriptor there is closed first. */
static int dup_to(int oldfd, int newfd, int flags, bool is_dup3)
{
	struct pfd e;
	bool old_ours;
	int r;

	if (newfd < 0 || newfd >= MAX_FDS || oldfd == newfd)
		return is_dup3 ? REAL(dup3)(oldfd, newfd, flags) :
				 REAL(dup2)(oldfd, newfd);
	old_ours = maybe_ours(oldfd) && lookup(oldfd, &e);
	if (maybe_ours(newfd)) {
		struct pfd ne;

		if (lookup(newfd, &ne)) {
			/* Check @oldfd first: dup2 fails without closing. */
			if (REAL(fcntl)(oldfd, F_GETFD) < 0)
				return -1;
			close_ours(newfd);
		}
	}
	r = is_dup3 ? REAL(dup3)(oldfd, newfd, flags) : REAL(dup2)(oldfd, newfd);
	if (r >= 0 && old_ours)
		add_alias(r, &e, flags & O_CLOEXEC);
	return r;
}

PRELOAD_API int dup2(int oldfd, int newfd)
{
	if (in_tdxsim || (!maybe_ours(oldfd) && !maybe_ours(newfd)))
		return REAL(dup2)(oldfd, newfd);
	return dup_to(oldfd, newfd, 0, false);
}

PRELOAD_API int dup3(int oldfd, int newfd, int flags)
{
	if (in_tdxsim || (!maybe_ours(oldfd) && !maybe_ours(newfd)))
		return REAL(dup3)(oldfd, newfd, flags);
	return dup_to(oldfd, newfd, flags, true);
}

PRELOAD_API int fcntl(int fd, int cmd, ...)
{
	unsigned long arg;
	struct pfd e;
	va_list ap;
	int r;

	va_start(ap, cmd);
	arg = va_arg(ap, unsigned long);
	va_end(ap);
	if (in_tdxsim || !maybe_ours(fd) || !lookup(fd, &e))
		return REAL(fcntl)(fd, cmd, arg);
	switch (cmd) {
	case F_GETFL:
		/* The reserved number is /dev/null read-only: answer KVM's. */
		r = REAL(fcntl)(fd, cmd);
		if (r < 0)
			return r;
		return (r & ~O_ACCMODE) | e.open_flags;
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		r = REAL(fcntl)(fd, cmd, arg);
		if (r >= MAX_FDS) {
			REAL(close)(r);
			errno = EMFILE;
			return -1;
		}
		if (r >= 0)
			add_alias(r, &e, cmd == F_DUPFD_CLOEXEC);
		return r;
	default:
		/* F_GETFD/F_SETFD, F_SETFL, locks: the reserved number's. */
		return REAL(fcntl)(fd, cmd, arg);
	}
}

PRELOAD_API int fcntl64(int fd, int cmd, ...) __attribute__((alias("fcntl")));
