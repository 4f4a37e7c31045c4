// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libtdxsim-preload.so: tdxsim under an unmodified program (`tdxsim exec`).
 *
 * Loaded with LD_PRELOAD, it takes the C library's open, ioctl, mmap,
 * munmap, fallocate, read, pread, write, close, dup, dup2, dup3 and fcntl: an open
 * of "/dev/kvm" goes to tdxsim_open(), and those calls on a descriptor
 * tdxsim handed out go to tdxsim's system calls (tdxsim/tdxsim.h);
 * everything else goes on to the C library (dlsym(RTLD_NEXT)). tdxsim's
 * descriptors are real process descriptor numbers (tdxsim reserves each
 * one), so they never collide with the program's own files, and poll(2)
 * on them answers as on any file without a poll method.
 *
 * What tdxsim adds on the way (from the TDXSIM_* environment, which
 * `tdxsim exec` sets):
 *   TDXSIM_KERNEL      the kernel profile of every VM (TDXSIM_SET_KERNEL)
 *   TDXSIM_WORKLOAD    the guest workload the TD's vCPUs run
 *   TDXSIM_GUEST       or a guest program file (docs/guest-programs.md)
 *   TDXSIM_SEED        the guest's seed
 *   TDXSIM_EXEC_REPORT a file to append one JSON line per VM to at exit
 * On the first KVM_TDX_INIT_VCPU of a TD the guest model is made for every
 * vCPU created so far and attached to each (TDXSIM_SET_GUEST); KVM_RUN then
 * runs it instead of the firmware's code. When a vCPU's guest has finished
 * (its halt), KVM_RUN reports the TD powering off, as KVM_EXIT_SYSTEM_EVENT
 * SHUTDOWN (KVM_SYSTEM_EVENT_CRASH if the guest stopped on an error),
 * instead of the HLT exit that tdxsim's KVM gives a guest model's end.
 *
 * A forked child inherits the descriptors as the kernel would let it, but
 * not the VMs: tdxsim's state in the child is a copy. The child may close
 * or dup them; any other call on them answers EIO (as KVM answers a VM or
 * vCPU ioctl from another mm), and it cannot open /dev/kvm anew without
 * exec (ENODEV).
 *
 * This library uses the public headers only.
 */
/*
 * Define open, mmap, fcntl, ... under their own names: with 64-bit file
 * offsets the C library's headers would rename them to open64, ... (the
 * same functions on x86-64, defined below under both names).
 */
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

#define PRELOAD_API __attribute__((visibility("default")))

/* ---- the C library's functions ---- */

static struct {
	int (*open)(const char *, int, ...);
	int (*openat)(int, const char *, int, ...);
	int (*close)(int);
	int (*ioctl)(int, unsigned long, ...);
	void *(*mmap)(void *, size_t, int, int, int, off_t);
	int (*munmap)(void *, size_t);
	int (*fallocate)(int, int, off_t, off_t);
	ssize_t (*read)(int, void *, size_t);
	ssize_t (*pread)(int, void *, size_t, off_t);
	ssize_t (*write)(int, const void *, size_t);
	int (*dup)(int);
	int (*dup2)(int, int);
	int (*dup3)(int, int, int);
	int (*fcntl)(int, int, ...);
} real;

static pthread_once_t real_once = PTHREAD_ONCE_INIT;

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

static void real_init(void)
{
	real.open = next_sym("open");
	real.openat = next_sym("openat");
	real.close = next_sym("close");
	real.ioctl = next_sym("ioctl");
	real.mmap = next_sym("mmap");
	real.munmap = next_sym("munmap");
	real.fallocate = next_sym("fallocate");
	real.read = next_sym("read");
	real.pread = next_sym("pread");
	real.write = next_sym("write");
	real.dup = next_sym("dup");
	real.dup2 = next_sym("dup2");
	real.dup3 = next_sym("dup3");
	real.fcntl = next_sym("fcntl");
}

#define REAL(fn)	(pthread_once(&real_once, real_init), real.fn)

/*
 * Inside tdxsim: tdxsim's own calls of open, close, mmap, ... (it reserves
 * descriptor numbers and address space with them) go straight on.
 */
static __thread int in_tdxsim;

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

/* ---- the descriptor table ---- */

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

static struct pfd *fds;			/* [MAX_FDS], allocated on first use */
static int *canon_refs;			/* visible numbers per canonical one */
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static bool forked_child;		/* this process is a fork, not exec'd */

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

static struct vm *vms;
static unsigned int nr_vms;
static pthread_mutex_t vm_lock = PTHREAD_MUTEX_INITIALIZER;

static bool table_init(void)
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
static bool lookup(int fd, struct pfd *out)
{
	struct pfd *t = __atomic_load_n(&fds, __ATOMIC_ACQUIRE);

	if (!t || fd < 0 || fd >= MAX_FDS)
		return false;
	pthread_mutex_lock(&table_lock);
	*out = t[fd];
	pthread_mutex_unlock(&table_lock);
	return out->kind != FD_NONE;
}

/* Is @fd possibly tdxsim's? A lock-free first look for the hot paths. */
static inline bool maybe_ours(int fd)
{
	struct pfd *t = __atomic_load_n(&fds, __ATOMIC_ACQUIRE);

	return t && fd >= 0 && fd < MAX_FDS &&
	       __atomic_load_n(&t[fd].kind, __ATOMIC_RELAXED) != FD_NONE;
}

/* Enter a descriptor tdxsim just handed out. */
static int add_fd(int fd, int kind, int open_flags)
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

static void vm_forget_fd(int canon);

/*
 * close(2) of a tdxsim descriptor number. The file goes when its last
 * number does; while others remain, the canonical number (the one tdxsim
 * knows) stays reserved, hidden from the program, as the kernel keeps the
 * file open.
 */
static int close_ours(int fd)
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
static void add_alias(int newfd, const struct pfd *e, int cloexec)
{
	pthread_mutex_lock(&table_lock);
	fds[newfd] = *e;
	canon_refs[e->canon]++;
	pthread_mutex_unlock(&table_lock);
}

/* ---- the environment's options ---- */

static struct {
	pthread_once_t once;
	const char *kernel;
	const char *workload;
	const char *guest_file;
	char *program;		/* the guest program's text */
	uint64_t seed;
	const char *report;
} opt = { .once = PTHREAD_ONCE_INIT };

static void opt_init(void)
{
	const char *s;

	opt.kernel = getenv("TDXSIM_KERNEL");
	opt.workload = getenv("TDXSIM_WORKLOAD");
	opt.guest_file = getenv("TDXSIM_GUEST");
	opt.report = getenv("TDXSIM_EXEC_REPORT");
	s = getenv("TDXSIM_SEED");
	opt.seed = s ? strtoull(s, NULL, 0) : 1;
	if (opt.guest_file && *opt.guest_file) {
		FILE *f = fopen(opt.guest_file, "re");
		size_t n = 0, cap = 0;
		char buf[4096];
		size_t got;

		if (!f) {
			fprintf(stderr, "tdxsim: guest program %s: %s\n",
				opt.guest_file, strerror(errno));
			return;
		}
		while ((got = fread(buf, 1, sizeof(buf), f)) > 0) {
			if (n + got + 1 > cap) {
				cap = (n + got + 1) * 2;
				opt.program = realloc(opt.program, cap);
				if (!opt.program)
					break;
			}
			memcpy(opt.program + n, buf, got);
			n += got;
			opt.program[n] = 0;
		}
		fclose(f);
	}
}

static void options(void)
{
	pthread_once(&opt.once, opt_init);
}

/* ---- VMs and vCPUs ---- */

static struct vm *vm_of_fd(int canon)
{
	struct vm *vm;

	for (vm = vms; vm; vm = vm->next)
		if (vm->canon == canon && vm->owner == getpid())
			return vm;
	return NULL;
}

static struct vcpu *vcpu_of_fd(int canon, struct vm **vmp)
{
	struct vm *vm;
	unsigned int i;

	for (vm = vms; vm; vm = vm->next) {
		if (vm->owner != getpid())
			continue;
		for (i = 0; i < vm->nr_vcpus; i++)
			if (vm->vcpus[i] && vm->vcpus[i]->canon == canon) {
				if (vmp)
					*vmp = vm;
				return vm->vcpus[i];
			}
	}
	return NULL;
}

/* The descriptor @canon is gone: its VM or vCPU stays for the report. */
static void vm_forget_fd(int canon)
{
	struct vcpu *vc;
	struct vm *vm;

	pthread_mutex_lock(&vm_lock);
	vm = vm_of_fd(canon);
	if (vm)
		vm->canon = -1;
	vc = vcpu_of_fd(canon, NULL);
	if (vc) {
		vc->canon = -1;
		vc->run = NULL;
	}
	pthread_mutex_unlock(&vm_lock);
}

static void vm_created(int fd, unsigned long type)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	struct tdxsim_kernel k = { 0 };

	if (!vm)
		return;
	vm->canon = fd;
	vm->type = type;
	vm->owner = getpid();
	options();
	if (opt.kernel && *opt.kernel) {
		snprintf(k.name, sizeof(k.name), "%s", opt.kernel);
		if (TDXSIM_CALL(tdxsim_ioctl(fd, TDXSIM_SET_KERNEL, &k)) < 0)
			fprintf(stderr, "tdxsim: kernel profile '%s': %s\n",
				opt.kernel, strerror(errno));
	}
	memset(&k, 0, sizeof(k));
	if (TDXSIM_CALL(tdxsim_ioctl(fd, TDXSIM_GET_KERNEL, &k)) == 0)
		snprintf(vm->kernel, sizeof(vm->kernel), "%s", k.name);
	pthread_mutex_lock(&vm_lock);
	vm->id = nr_vms++;
	vm->next = vms;
	vms = vm;
	pthread_mutex_unlock(&vm_lock);
}

static void vcpu_created(int vm_fd, int fd)
{
	struct vcpu *vc;
	struct vm *vm;
	void *run;

	pthread_mutex_lock(&vm_lock);
	vm = vm_of_fd(vm_fd);
	if (!vm || vm->nr_vcpus >= MAX_VCPUS) {
		pthread_mutex_unlock(&vm_lock);
		return;
	}
	vc = calloc(1, sizeof(*vc));
	if (!vc) {
		pthread_mutex_unlock(&vm_lock);
		return;
	}
	vc->canon = fd;
	vc->vm = vm;
	vc->index = vm->nr_vcpus;
	vm->vcpus[vm->nr_vcpus++] = vc;
	pthread_mutex_unlock(&vm_lock);

	/* kvm_run is the memory itself (a direct mapping of the vCPU fd). */
	run = TDXSIM_CALL(tdxsim_mmap(NULL, sizeof(struct kvm_run),
				      PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
	if (run != MAP_FAILED)
		vc->run = run;
}

/*
 * The first KVM_TDX_INIT_VCPU of a TD: make the guest model for the vCPUs
 * created so far and attach it to each, before their INIT_VCPU (tdxsim
 * takes a guest only before it). Returns 0 or -1 with errno set.
 */
static int attach_guest(struct vm *vm)
{
	struct tdxsim_guest_config cfg;
	unsigned int i;
	int r;

	if (vm->guest || vm->guest_error[0])
		return vm->guest ? 0 : (errno = EINVAL, -1);
	options();
	tdxsim_guest_config_init(&cfg);
	cfg.nr_vcpus = vm->nr_vcpus;
	cfg.seed = opt.seed;
	cfg.ram_from_hob = true;
	if (opt.program) {
		cfg.program = opt.program;
		cfg.program_name = opt.guest_file;
	} else {
		cfg.workload = opt.workload && *opt.workload ? opt.workload :
							       "lazy-accept";
	}
	r = TDXSIM_CALL(tdxsim_guest_create(&cfg, &vm->guest, vm->guest_error,
					    sizeof(vm->guest_error)));
	if (r) {
		if (!vm->guest_error[0])
			snprintf(vm->guest_error, sizeof(vm->guest_error),
				 "%s", strerror(-r));
		fprintf(stderr, "tdxsim: the guest of VM %u: %s\n", vm->id,
			vm->guest_error);
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < vm->nr_vcpus; i++) {
		struct tdxsim_guest g = {
			.ops = tdxsim_guest_ops(),
			.guest = tdxsim_guest_vcpu(vm->guest, i),
		};

		if (vm->vcpus[i]->canon < 0)
			continue;
		if (TDXSIM_CALL(tdxsim_ioctl(vm->vcpus[i]->canon,
					     TDXSIM_SET_GUEST, &g)) == 0)
			vm->vcpus[i]->guest_attached = true;
	}
	return 0;
}

/* Read the program's struct kvm_tdx_cmd at @arg without faulting. */
static bool read_tdx_cmd(unsigned long arg, struct kvm_tdx_cmd *cmd)
{
	struct iovec local = { cmd, sizeof(*cmd) };
	struct iovec remote = { (void *)arg, sizeof(*cmd) };

	return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) ==
	       (ssize_t)sizeof(*cmd);
}

/* Before a vCPU's KVM_MEMORY_ENCRYPT_OP. */
static int vcpu_encrypt_op(int canon, unsigned long arg)
{
	struct kvm_tdx_cmd cmd;
	struct vm *vm = NULL;
	struct vcpu *vc;
	int r = 0;

	if (!read_tdx_cmd(arg, &cmd) || cmd.id != KVM_TDX_INIT_VCPU)
		return 0;
	pthread_mutex_lock(&vm_lock);
	vc = vcpu_of_fd(canon, &vm);
	if (vc && vm->type == KVM_X86_TDX_VM)
		r = attach_guest(vm);
	pthread_mutex_unlock(&vm_lock);
	return r;
}

/* After a VM's successful KVM_MEMORY_ENCRYPT_OP. */
static void vm_encrypt_op_done(int canon, unsigned long arg)
{
	struct kvm_tdx_cmd cmd;
	struct tdxsim_mrtd m;
	struct vm *vm;

	if (!read_tdx_cmd(arg, &cmd) || cmd.id != KVM_TDX_FINALIZE_VM)
		return;
	if (TDXSIM_CALL(tdxsim_ioctl(canon, TDXSIM_GET_MRTD, &m)) < 0)
		return;
	pthread_mutex_lock(&vm_lock);
	vm = vm_of_fd(canon);
	if (vm) {
		vm->finalized = true;
		memcpy(vm->mrtd, m.mrtd, sizeof(vm->mrtd));
		vm->mrtd_valid = true;
	}
	pthread_mutex_unlock(&vm_lock);
}

/*
 * After KVM_RUN: count the exit; a guest that finished powers the TD off.
 */
static void vcpu_run_done(int canon, int r, int err)
{
	struct tdxsim_guest_vcpu_status st;
	struct vm *vm = NULL;
	struct vcpu *vc;
	struct kvm_run *run;

	pthread_mutex_lock(&vm_lock);
	vc = vcpu_of_fd(canon, &vm);
	pthread_mutex_unlock(&vm_lock);
	if (!vc || !vc->run)
		return;
	run = vc->run;
	vc->runs++;
	/*
	 * A shared access that faults again and again after the program
	 * converted the page to shared: its shared view is the program's own
	 * memory (anonymous or a file), which tdxsim cannot map into a TD
	 * (tdxsim's KVM backs shared GPAs only with host memory it knows).
	 * Say so once instead of spinning silently.
	 */
	if (r < 0 && err == EFAULT && run->exit_reason == KVM_EXIT_MEMORY_FAULT &&
	    !(run->memory_fault.flags & KVM_MEMORY_EXIT_FLAG_PRIVATE)) {
		if (run->memory_fault.gpa == vc->fault_gpa) {
			if (++vc->fault_repeats == 10000 && !vc->fault_noted) {
				vc->fault_noted = true;
				fprintf(stderr, "tdxsim: VM %u vCPU %u: the guest's shared access to GPA 0x%llx faults again and again: tdxsim cannot map the program's own memory as a TD's shared memory (use a workload without shared accesses: lazy-accept, eager-accept, linux-boot)\n",
					vm->id, vc->index,
					(unsigned long long)run->memory_fault.gpa);
			}
		} else {
			vc->fault_gpa = run->memory_fault.gpa;
			vc->fault_repeats = 0;
		}
	} else if (r == 0) {
		vc->fault_repeats = 0;
	}
	if (run->exit_reason == KVM_EXIT_HLT && vc->guest_attached && vm->guest &&
	    tdxsim_guest_vcpu_status(vm->guest, vc->index, &st) == 0 &&
	    st.halted) {
		run->exit_reason = KVM_EXIT_SYSTEM_EVENT;
		memset(&run->system_event, 0, sizeof(run->system_event));
		run->system_event.type = st.failed ? KVM_SYSTEM_EVENT_CRASH :
						     KVM_SYSTEM_EVENT_SHUTDOWN;
	}
	if (run->exit_reason < 64)
		vc->exits[run->exit_reason]++;
}

/* ---- the report ---- */

static void report_vm(FILE *f, struct vm *vm)
{
	struct tdxsim_guest_stats gs;
	uint64_t runs = 0, exits[64] = { 0 };
	unsigned int i, j;
	bool first = true;

	for (i = 0; i < vm->nr_vcpus; i++) {
		runs += vm->vcpus[i]->runs;
		for (j = 0; j < 64; j++)
			exits[j] += vm->vcpus[i]->exits[j];
	}
	fprintf(f, "{\"pid\": %d, \"vm\": %u, \"type\": %lu, \"kernel\": \"%s\", "
		"\"vcpus\": %u, \"finalized\": %s, \"mrtd\": ",
		(int)vm->owner, vm->id, vm->type, vm->kernel, vm->nr_vcpus,
		vm->finalized ? "true" : "false");
	if (vm->mrtd_valid) {
		fputc('"', f);
		for (i = 0; i < 48; i++)
			fprintf(f, "%02x", vm->mrtd[i]);
		fputc('"', f);
	} else {
		fputs("null", f);
	}
	fprintf(f, ", \"kvm_runs\": %" PRIu64 ", \"exits\": {", runs);
	for (j = 0; j < 64; j++) {
		if (!exits[j])
			continue;
		fprintf(f, "%s\"%u\": %" PRIu64, first ? "" : ", ", j, exits[j]);
		first = false;
	}
	fputs("}, \"guest\": ", f);
	if (vm->guest && tdxsim_guest_get_stats(vm->guest, TDXSIM_GUEST_ALL_VCPUS,
						&gs) == 0) {
		fprintf(f, "{\"finished\": %s, \"data_failures\": %" PRIu64
			", \"accepts_4k\": %" PRIu64 ", \"accepts_2m\": %" PRIu64
			", \"bytes_verified\": %" PRIu64 ", \"errors\": %" PRIu64 "}",
			tdxsim_guest_finished(vm->guest) ? "true" : "false",
			tdxsim_guest_data_failures(vm->guest), gs.accepts_4k,
			gs.accepts_2m, gs.bytes_verified, gs.errors);
	} else {
		fputs("null", f);
	}
	fputs("}\n", f);
}

/* One line per VM on stderr: what `tdxsim exec` shows. */
static void summary_vm(struct vm *vm)
{
	uint64_t runs = 0;
	char mrtd[97] = "-";
	unsigned int i;

	for (i = 0; i < vm->nr_vcpus; i++)
		runs += vm->vcpus[i]->runs;
	if (vm->mrtd_valid)
		for (i = 0; i < 48; i++)
			snprintf(mrtd + 2 * i, 3, "%02x", vm->mrtd[i]);
	fprintf(stderr, "tdxsim: VM %u (%s, kernel %s, %u vCPU%s): MRTD %s; %"
		PRIu64 " KVM_RUN; guest %s",
		vm->id, vm->type == KVM_X86_TDX_VM ? "TDX" : "not TDX",
		vm->kernel, vm->nr_vcpus, vm->nr_vcpus == 1 ? "" : "s", mrtd,
		runs, !vm->guest ? "not run" :
		      tdxsim_guest_finished(vm->guest) ? "finished" :
							 "did not finish");
	if (vm->guest)
		fprintf(stderr, ", %" PRIu64 " data failures",
			tdxsim_guest_data_failures(vm->guest));
	fputc('\n', stderr);
}

__attribute__((destructor)) static void preload_exit(void)
{
	const char *quiet = getenv("TDXSIM_QUIET");
	struct vm *vm;
	FILE *f = NULL;
	int fd;

	options();
	if (!vms)
		return;
	in_tdxsim++;
	pthread_mutex_lock(&vm_lock);
	if (opt.report && *opt.report) {
		fd = REAL(open)(opt.report,
				O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		f = fd >= 0 ? fdopen(fd, "a") : NULL;
		if (fd >= 0 && !f)
			REAL(close)(fd);
	}
	for (vm = vms; vm; vm = vm->next) {
		if (vm->owner != getpid())
			continue;
		if (f)
			report_vm(f, vm);
		if (!quiet || !*quiet)
			summary_vm(vm);
	}
	pthread_mutex_unlock(&vm_lock);
	if (f)
		fclose(f);
	in_tdxsim--;
}

/* ---- fork ---- */

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
	pthread_once(&real_once, real_init);
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

/* ---- the interposed calls ---- */

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

/* tdxsim's mappings, so that munmap knows them. */
struct mapping {
	void *addr;
	size_t len;
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
		pthread_mutex_lock(&map_lock);
		m->next = mappings;
		mappings = m;
		pthread_mutex_unlock(&map_lock);
	}
	return p;
}

PRELOAD_API void *mmap64(void *addr, size_t len, int prot, int flags, int fd,
			 off_t off) __attribute__((alias("mmap")));

PRELOAD_API int munmap(void *addr, size_t len)
{
	struct mapping **pp, *m = NULL;

	if (in_tdxsim || !mappings)
		return REAL(munmap)(addr, len);
	pthread_mutex_lock(&map_lock);
	for (pp = &mappings; *pp; pp = &(*pp)->next) {
		if ((*pp)->addr == addr) {
			m = *pp;
			*pp = m->next;
			break;
		}
	}
	pthread_mutex_unlock(&map_lock);
	if (!m)
		return REAL(munmap)(addr, len);
	free(m);
	return TDXSIM_CALL(tdxsim_munmap(addr, len));
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
