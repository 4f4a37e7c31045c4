// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libtdxsim-preload.so: the descriptor table.
 *
 * The C library's own functions (dlsym(RTLD_NEXT), looked up once), and the
 * table of the descriptor numbers tdxsim handed out: each is a real number
 * reserved in the process (tdxsim reserves it), entered here with its kind
 * (/dev/kvm, VM, vCPU, guest_memfd, other) and its canonical number, the one
 * tdxsim knows; dup and friends add aliases, and the file goes when its last
 * number is closed, as in the kernel. A fork marks every entry inherited: the
 * child's copy of tdxsim has no VM behind them.
 */
#include "preload.h"

__thread int in_tdxsim;

struct preload_real real;

pthread_once_t real_once = PTHREAD_ONCE_INIT;

static void *next_sym(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);

	if (!p) {
		static const char msg[] = "tdxsim-preload: a C library function is missing\n";

		/* No stdio: this may run before the C library is set up. */
		if (write(2, msg, sizeof(msg) - 1) < 0)
			_exit(127);
		_exit(127);
	}
	return p;
}

void real_init(void)
{
	real.open = next_sym("open");
	real.openat = next_sym("openat");
	real.close = next_sym("close");
	real.ioctl = next_sym("ioctl");
	real.mmap = next_sym("mmap");
	real.munmap = next_sym("munmap");
	real.madvise = next_sym("madvise");
	real.prctl = next_sym("prctl");
	real.fallocate = next_sym("fallocate");
	real.read = next_sym("read");
	real.pread = next_sym("pread");
	real.write = next_sym("write");
	real.dup = next_sym("dup");
	real.dup2 = next_sym("dup2");
	real.dup3 = next_sym("dup3");
	real.fcntl = next_sym("fcntl");
	real.sigaction = next_sym("sigaction");
	real.signal = next_sym("signal");
}

struct pfd *fds;			/* [MAX_FDS], allocated on first use */
static int *canon_refs;			/* visible numbers per canonical one */
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
bool forked_child;		/* this process is a fork, not exec'd */

bool table_init(void)
{
	if (__atomic_load_n(&fds, __ATOMIC_ACQUIRE))
		return true;
	pthread_mutex_lock(&table_lock);
	if (!fds) {
		struct pfd *t = calloc(MAX_FDS, sizeof(*t));

		canon_refs = calloc(MAX_FDS, sizeof(*canon_refs));
		if (t && canon_refs)
			__atomic_store_n(&fds, t, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&table_lock);
	return fds != NULL;
}

/* The entry of @fd if it is tdxsim's (a snapshot), else false. */
bool lookup(int fd, struct pfd *out)
{
	struct pfd *t = __atomic_load_n(&fds, __ATOMIC_ACQUIRE);

	if (!t || fd < 0 || fd >= MAX_FDS)
		return false;
	pthread_mutex_lock(&table_lock);
	*out = t[fd];
	pthread_mutex_unlock(&table_lock);
	return out->kind != FD_NONE;
}

/* Enter a descriptor tdxsim just handed out. */
int add_fd(int fd, int kind, int open_flags)
{
	if (fd < 0)
		return fd;
	if (!table_init() || fd >= MAX_FDS) {
		TDXSIM_CALL(tdxsim_close(fd));
		errno = EMFILE;
		return -1;
	}
	pthread_mutex_lock(&table_lock);
	fds[fd] = (struct pfd){ .kind = kind, .canon = fd,
				.open_flags = open_flags };
	canon_refs[fd] = 1;
	pthread_mutex_unlock(&table_lock);
	return fd;
}

/*
 * close(2) of a tdxsim descriptor number. The file goes when its last
 * number does; while others remain, the canonical number (the one tdxsim
 * knows) stays reserved, hidden from the program, as the kernel keeps the
 * file open.
 */
int close_ours(int fd)
{
	struct pfd e;
	int refs, r;

	pthread_mutex_lock(&table_lock);
	e = fds[fd];
	fds[fd] = (struct pfd){ 0 };
	refs = e.kind != FD_NONE ? --canon_refs[e.canon] : 0;
	pthread_mutex_unlock(&table_lock);

	if (e.kind == FD_NONE)
		return REAL(close)(fd);
	if (refs > 0)
		return fd == e.canon ? 0 : REAL(close)(fd);
	if (e.inherited) {
		/* A fork's copy: nothing of tdxsim's is behind it here. */
		if (fd != e.canon)
			REAL(close)(e.canon);
		return REAL(close)(fd);
	}
	vm_forget_fd(e.canon);
	r = TDXSIM_CALL(tdxsim_close(e.canon));
	if (fd != e.canon)
		REAL(close)(fd);
	return r;
}

/* A new number @newfd for the file of @oldfd's entry (dup and friends). */
void add_alias(int newfd, const struct pfd *e, int cloexec)
{
	pthread_mutex_lock(&table_lock);
	fds[newfd] = *e;
	canon_refs[e->canon]++;
	pthread_mutex_unlock(&table_lock);
}

static void atfork_prepare(void)
{
	pthread_mutex_lock(&vm_lock);
	pthread_mutex_lock(&table_lock);
}

static void atfork_parent(void)
{
	pthread_mutex_unlock(&table_lock);
	pthread_mutex_unlock(&vm_lock);
}

static void atfork_child(void)
{
	int i;

	forked_child = true;
	if (fds)
		for (i = 0; i < MAX_FDS; i++)
			if (fds[i].kind != FD_NONE)
				fds[i].inherited = true;
	pthread_mutex_unlock(&table_lock);
	pthread_mutex_unlock(&vm_lock);
}

__attribute__((constructor)) static void preload_init(void)
{
	const char *early = getenv("TDXSIM_MEMORY_FAILURE_EARLY_KILL");

	pthread_once(&real_once, real_init);
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
	/* vm.memory_failure_early_kill (tdxsim exec's switch). */
	if (early && !strcmp(early, "1"))
		tdxsim_set_memory_failure_early_kill(1);	/* a store */
}

