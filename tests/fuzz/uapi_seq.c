// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * uapi_seq: tdxsim's own uAPI sequence fuzzer (issue 12), written against
 * the public headers only (include/tdxsim/), as a careless or hostile VMM.
 *
 * A sequence is a seeded random series of calls over system, VM, vCPU and
 * guest_memfd descriptors: VMs of every type (and garbage ones), memslots
 * with random flags, sizes, offsets and overlaps, guest_memfd create,
 * fallocate, punch, mmap, host accesses and close in random orders, memory
 * attributes, pre-faults, every KVM_TDX_* command with valid, random and
 * garbage structs and pointers (NULL, unmapped, kernel-half, misaligned,
 * straddling an unmapped page), KVM_RUN with and without a guest program,
 * descriptors closed in random orders (a VM before its vCPUs), and
 * tdxsim's controls with random values. With --threads N, N threads run
 * the calls of one sequence at once on the same descriptors (free mode).
 *
 * Every call's errno must be one KVM gives for that call (a set per call;
 * EFAULT for a bad pointer, never a crash). After each sequence the
 * invariant checker passes on every VM still open and, once every
 * descriptor is closed: the module owns no page, no page was freed while
 * the module owned it, no WARN fired, the lock validator made no report,
 * and the host's pages in use are back where they were.
 *
 * Usage: uapi_seq [--seed S] [--sequences N] [--calls N] [--threads N]
 *                 [--verbose]
 * It runs sequences S, S+1, ... until N sequences or N calls are done,
 * prints calls per second, and on a failure the command that replays the
 * failing sequence (`--seed S' --sequences 1`; exact in one thread).
 * Output is TAP (one test point per run).
 */
#include "tdxsim/guest.h"
#include "tdxsim/kvm.h"
#include "tdxsim/profiles.h"
#include "tdxsim/report.h"
#include "tdxsim/tdx.h"
#include "tdxsim/tdxsim.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE		4096ULL
#define MAX_OBJ		24
#define MAX_MAP		16
#define MAX_GUEST	8
#define MAX_THREADS	8
#define UMEM_SIZE	(8ULL << 20)
#define SRC_PAGES	16
#define SCRATCH_SIZE	(32 * 1024)
#define N_OF(a)		(sizeof(a) / sizeof((a)[0]))

/* ---- errno sets ---- */

typedef unsigned __int128 eset_t;
#define E(e)		((eset_t)1 << (e))
/* A dead VM answers EIO to everything; EFAULT for a bad pointer. */
/*
 * A descriptor of another kind (or none) answers EBADF (not a descriptor),
 * ENOTTY (a VM, /dev/kvm or guest_memfd: not its request) or EINVAL (a
 * vCPU: x86's kvm_arch_vcpu_ioctl() default).
 */
#define E_FD		(E(EBADF) | E(ENOTTY) | E(EINVAL))
#define E_BASE		(E(EIO) | E(EFAULT) | E_FD)

/* ---- random numbers (xorshift64*) ---- */

static uint64_t rnd(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static unsigned int rn(uint64_t *s, unsigned int n)
{
	return n ? (unsigned int)(rnd(s) % n) : 0;
}

static bool chance(uint64_t *s, unsigned int pct)
{
	return rn(s, 100) < pct;
}

/* ---- the sequence's objects ---- */

enum okind { O_FREE, O_SYS, O_VM, O_VCPU, O_GMEM, O_NR };

static const char *const okind_name[O_NR] = {
	"free", "sys", "vm", "vcpu", "gmem",
};

struct obj {
	enum okind kind;
	int fd;
	unsigned int vm_type;		/* VM */
	uint64_t size, flags;		/* guest_memfd */
};

struct map {
	void *addr;
	size_t len;
	bool run;			/* a kvm_run page (never unmapped early) */
	uint64_t size;			/* guest_memfd mapping: bytes */
};

struct seq {
	pthread_mutex_t lock;		/* the tables below, not the calls */
	struct obj obj[MAX_OBJ];
	struct map map[MAX_MAP];
	struct tdxsim_guest_model *guest[MAX_GUEST];
	unsigned int nr_guests;
	bool injected;			/* TDXSIM_INJECT_FAULT succeeded */
	bool f1;			/* a VM was bugged as in FINDINGS.md F1 */
	bool mt;			/* several threads */
	uint64_t seed;
	unsigned int nr_ops;
	/* The first failure. */
	bool failed;
	char why[512];
	char notes[512];		/* bugged VMs seen at the end */
};

struct thr {
	struct seq *s;
	uint64_t rng;
	uint64_t calls;
	unsigned int index;
};

/* Process-wide buffers, mapped once. */
static uint8_t *umem;			/* memslot user memory */
static uint8_t *src;			/* INIT_MEM_REGION source */
static uint8_t *edge;			/* a page followed by an unmapped one */
static void *unmapped;			/* an address with nothing mapped */
static uint64_t op_counts[64];
static uint64_t op_ns[64];

static void seq_fail(struct seq *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void seq_fail(struct seq *s, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&s->lock);
	if (!s->failed) {
		s->failed = true;
		va_start(ap, fmt);
		vsnprintf(s->why, sizeof(s->why), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&s->lock);
}

/*
 * Check one call's answer: a negative result's errno must be in @ok (with
 * several threads, a descriptor number may have been closed or reused by
 * another kind of object meanwhile: EBADF and the other kinds' "not mine"
 * answers are fine too).
 */
/* --verbose: each call's answers (0 or which errno). */
static bool verbose;
static pthread_mutex_t tally_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tally {
	const char *what;
	uint64_t ok, err[128];
} tally[64];

static void tally_add(const char *what, long r, int e)
{
	unsigned int i;

	pthread_mutex_lock(&tally_lock);
	for (i = 0; i < 64; i++) {
		if (!tally[i].what)
			tally[i].what = what;
		if (tally[i].what != what)
			continue;
		if (r >= 0)
			tally[i].ok++;
		else if (e > 0 && e < 128)
			tally[i].err[e]++;
		break;
	}
	pthread_mutex_unlock(&tally_lock);
}

static void tally_print(void)
{
	unsigned int i, e;

	for (i = 0; i < 64 && tally[i].what; i++) {
		printf("#   %-36s ok %-8" PRIu64, tally[i].what, tally[i].ok);
		for (e = 0; e < 128; e++)
			if (tally[i].err[e])
				printf(" E%d:%" PRIu64, e, tally[i].err[e]);
		printf("\n");
	}
}

static void chk(struct thr *t, const char *what, long r, eset_t ok)
{
	int e = errno;

	t->calls++;
	if (verbose)
		tally_add(what, r, e);
	if (r >= 0)
		return;
	if (t->s->mt)
		ok |= E(EBADF) | E(ENOTTY) | E(EINVAL) | E(EIO) | E(ENODEV) |
		      E(EOPNOTSUPP);
	if (e <= 0 || e >= 128 || !(ok & E(e)))
		seq_fail(t->s, "%s answered %s (errno %d), not an errno KVM gives there",
			 what, strerror(e), e);
}

/* ---- picking objects and arguments ---- */

/* A descriptor of @kind (or any kind, or a stale number); -1 if none. */
static int pick_fd(struct thr *t, enum okind kind, int *slot)
{
	struct seq *s = t->s;
	int idx[MAX_OBJ], n = 0, i, fd = -1;

	if (slot)
		*slot = -1;
	/* Sometimes a wrong kind of descriptor, or garbage. */
	if (chance(&t->rng, 4)) {
		switch (rn(&t->rng, 4)) {
		case 0: return -1;
		case 1: return 0;	/* stdin: not tdxsim's */
		case 2: return 1000 + rn(&t->rng, 100);
		default: kind = O_FREE; break;	/* any object */
		}
	}
	pthread_mutex_lock(&s->lock);
	for (i = 0; i < MAX_OBJ; i++)
		if (s->obj[i].kind != O_FREE &&
		    (kind == O_FREE || s->obj[i].kind == kind))
			idx[n++] = i;
	if (n) {
		i = idx[rn(&t->rng, n)];
		fd = s->obj[i].fd;
		if (slot && s->obj[i].kind == kind)
			*slot = i;
	}
	pthread_mutex_unlock(&s->lock);
	return fd;
}

static struct obj obj_get(struct seq *s, int slot)
{
	struct obj o;

	pthread_mutex_lock(&s->lock);
	o = s->obj[slot];
	pthread_mutex_unlock(&s->lock);
	return o;
}

static void obj_add(struct seq *s, enum okind kind, int fd, unsigned int type,
		    uint64_t size, uint64_t flags)
{
	int i;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < MAX_OBJ; i++) {
		if (s->obj[i].kind == O_FREE) {
			s->obj[i] = (struct obj){ kind, fd, type, size, flags };
			pthread_mutex_unlock(&s->lock);
			return;
		}
	}
	pthread_mutex_unlock(&s->lock);
	/* No room: close it at once (a VMM that drops it). */
	tdxsim_close(fd);
}

static bool obj_room(struct seq *s)
{
	int i, n = 0;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < MAX_OBJ; i++)
		n += s->obj[i].kind == O_FREE;
	pthread_mutex_unlock(&s->lock);
	return n > 2;
}

/* A pointer for a struct of @len bytes: mostly @good, sometimes garbage. */
static void *ptr(struct thr *t, void *good, size_t len)
{
	if (!chance(&t->rng, 8))
		return good;
	switch (rn(&t->rng, 6)) {
	case 0: return NULL;
	case 1: return unmapped;
	case 2: return (void *)0xffff880000001000ULL;	/* kernel half */
	case 3: return (void *)(uintptr_t)(0x8000000000000000ULL |
					   rnd(&t->rng));
	case 4:	/* straddles an unmapped page */
		return edge + PAGE - (len > 1 ? len / 2 : 1);
	default: {
		/*
		 * Misaligned (still valid): a copy one byte into a scratch
		 * buffer with room, since KVM may write the struct back.
		 */
		static uint8_t scratch[MAX_THREADS][SCRATCH_SIZE]
			__attribute__((aligned(64)));

		if (!good || len > SCRATCH_SIZE - 64)
			return good;
		memcpy(scratch[t->index] + 1, good, len);
		return scratch[t->index] + 1;
	}
	}
}

/*
 * For TDXSIM_SET_GUEST: its struct holds code pointers KVM cannot check
 * (a test hook, not a kernel interface), so no shifted copy of it; bad
 * pointers only.
 */
static void *ptr_exact(struct thr *t, void *good, size_t len)
{
	void *p = ptr(t, good, len);

	/* Not the shifted copy: its code pointers would be garbage. */
	if (p && p != good && (uintptr_t)p % 8 == 1)
		return good;
	return p;
}

static uint64_t gpa_pick(struct thr *t)
{
	static const uint64_t bases[] = {
		0, 0x80000000ULL, 0x80200000ULL, 0x100000000ULL,
		1ULL << 47, (1ULL << 47) + 0x80000000ULL, 1ULL << 51,
	};
	uint64_t g = bases[rn(&t->rng, sizeof(bases) / sizeof(bases[0]))];

	switch (rn(&t->rng, 8)) {
	case 0: return g;
	case 1: return rnd(&t->rng) & ~(PAGE - 1);
	case 2: return g + rn(&t->rng, 4096);		/* misaligned */
	default: return g + ((uint64_t)rn(&t->rng, 2048) << 12);
	}
}

static uint64_t size_pick(struct thr *t)
{
	switch (rn(&t->rng, 10)) {
	case 0: return 0;
	case 1: return rnd(&t->rng);
	case 2: return 1 + rn(&t->rng, 8192);
	case 3: return 2ULL << 20;
	case 4: return 4ULL << 20;
	case 5: return (uint64_t)(1 + rn(&t->rng, 512)) << 12;
	default: return (uint64_t)(1 + rn(&t->rng, 16)) << 12;
	}
}

/* ---- the operations ---- */

struct op {
	const char *name;
	unsigned int weight;
	void (*fn)(struct thr *t);
};

static void op_open(struct thr *t)
{
	int fd;

	if (!obj_room(t->s))
		return;
	if (chance(&t->rng, 10)) {
		fd = tdxsim_open(chance(&t->rng, 50) ? "/dev/kvmx" : "", O_RDWR);
		chk(t, "open(bad path)", fd, E(ENOENT) | E(EFAULT));
		if (fd >= 0)
			tdxsim_close(fd);
		return;
	}
	fd = tdxsim_open("/dev/kvm", O_RDWR);
	chk(t, "open(/dev/kvm)", fd, E(EMFILE) | E(ENOMEM));
	if (fd >= 0)
		obj_add(t->s, O_SYS, fd, 0, 0, 0);
}

static void op_sys(struct thr *t)
{
	int fd = pick_fd(t, O_SYS, NULL);
	uint8_t buf[4096] __attribute__((aligned(16)));
	long r;

	switch (rn(&t->rng, 9)) {
	case 0:
		r = tdxsim_ioctl(fd, KVM_GET_API_VERSION, 0);
		chk(t, "KVM_GET_API_VERSION", r, E_BASE);
		break;
	case 1:
		r = tdxsim_ioctl(fd, KVM_CHECK_EXTENSION,
				 chance(&t->rng, 50) ? rn(&t->rng, 260) :
				 rnd(&t->rng));
		chk(t, "KVM_CHECK_EXTENSION", r, E_BASE);
		break;
	case 2:
		r = tdxsim_ioctl(fd, KVM_GET_VCPU_MMAP_SIZE, 0);
		chk(t, "KVM_GET_VCPU_MMAP_SIZE", r, E_BASE);
		break;
	case 3:
		r = tdxsim_ioctl(fd, TDXSIM_GET_MODULE_STATS,
				 ptr(t, buf, sizeof(struct tdxsim_module_stats)));
		chk(t, "TDXSIM_GET_MODULE_STATS", r,
		    E_BASE | E(ENOTTY) | E(EBADF) | E(EINVAL) | E(ENODEV));
		break;
	case 4:
		r = tdxsim_ioctl(fd, TDXSIM_GET_HOST_MEMORY,
				 ptr(t, buf, sizeof(struct tdxsim_host_memory)));
		chk(t, "TDXSIM_GET_HOST_MEMORY", r,
		    E_BASE | E(ENOTTY) | E(EBADF) | E(EINVAL) | E(ENODEV));
		break;
	case 5: {
		struct tdxsim_reports rep = {
			.nr = rn(&t->rng, 4),
			.entries = (uint64_t)(uintptr_t)ptr(t, buf, 128),
		};

		if (chance(&t->rng, 10))
			rep.reserved = 1;
		r = tdxsim_ioctl(fd, TDXSIM_GET_REPORTS, ptr(t, &rep, sizeof(rep)));
		chk(t, "TDXSIM_GET_REPORTS", r, E_BASE | E(ENOTTY) | E(EBADF) |
		    E(EINVAL) | E(E2BIG) | E(ENODEV));
		break;
	}
	case 6: {
		struct tdxsim_lock_stats ls = {
			.nr = rn(&t->rng, 30),
			.classes = (uint64_t)(uintptr_t)ptr(t, buf, 104),
		};

		r = tdxsim_ioctl(fd, TDXSIM_GET_LOCK_STATS, ptr(t, &ls, sizeof(ls)));
		chk(t, "TDXSIM_GET_LOCK_STATS", r, E_BASE | E(ENOTTY) | E(EBADF) |
		    E(EINVAL) | E(E2BIG) | E(ENODEV));
		break;
	}
	case 7: {
		static struct tdxsim_sched_verdict v[MAX_THREADS];

		r = tdxsim_ioctl(fd, TDXSIM_GET_SCHED_VERDICT,
				 ptr(t, &v[t->index], sizeof(v[0])));
		chk(t, "TDXSIM_GET_SCHED_VERDICT", r, E_BASE | E(ENOTTY) |
		    E(EBADF) | E(EINVAL) | E(ENODEV));
		break;
	}
	default:
		/* An unknown request, KVM's or tdxsim's. */
		r = tdxsim_ioctl(fd, chance(&t->rng, 50) ?
				 _IO(KVMIO, 0x80 + rn(&t->rng, 0x7f)) :
				 _IOR(TDXSIMIO, 0x30 + rn(&t->rng, 0x40), uint64_t),
				 buf);
		chk(t, "unknown ioctl on /dev/kvm", r, E_BASE | E(ENOTTY) |
		    E(EBADF) | E(EINVAL));
		break;
	}
}

static void op_create_vm(struct thr *t)
{
	static const unsigned long types[] = {
		KVM_X86_TDX_VM, KVM_X86_TDX_VM, KVM_X86_TDX_VM,
		KVM_X86_DEFAULT_VM, KVM_X86_SW_PROTECTED_VM, KVM_X86_SEV_VM,
		KVM_X86_SNP_VM, 6, 0x100000005UL,
	};
	unsigned long type = types[rn(&t->rng, sizeof(types) / sizeof(types[0]))];
	int sys = pick_fd(t, O_SYS, NULL), vm;

	if (!obj_room(t->s))
		return;
	vm = tdxsim_ioctl(sys, KVM_CREATE_VM, type);
	chk(t, "KVM_CREATE_VM", vm, E_BASE | E(ENOMEM) | E(EMFILE));
	if (vm >= 0)
		obj_add(t->s, O_VM, vm, (unsigned int)type, 0, 0);
}

static void op_create_vcpu(struct thr *t)
{
	int vm = pick_fd(t, O_VM, NULL), fd;
	unsigned long id;

	if (!obj_room(t->s))
		return;
	id = chance(&t->rng, 90) ? rn(&t->rng, 4) :
	     chance(&t->rng, 50) ? 4096 + rn(&t->rng, 10) : rnd(&t->rng);
	fd = tdxsim_ioctl(vm, KVM_CREATE_VCPU, id);
	chk(t, "KVM_CREATE_VCPU", fd, E(EINVAL) | E(EEXIST) | E(EIO) |
	    E(ENOMEM) | E(EBADF) | E(ENOTTY) | E(EMFILE) | E(EBUSY));
	if (fd >= 0)
		obj_add(t->s, O_VCPU, fd, 0, 0, 0);
}

static void op_create_gmem(struct thr *t)
{
	static const uint64_t sizes[] = {
		4ULL << 20, 4ULL << 20, 2ULL << 20, 6ULL << 20, 4096, 0,
		(2ULL << 20) + 4096, 1ULL << 62, 123,
	};
	struct kvm_create_guest_memfd args;
	int vm = pick_fd(t, O_VM, NULL), fd;

	if (!obj_room(t->s))
		return;
	memset(&args, 0, sizeof(args));
	args.size = sizes[rn(&t->rng, sizeof(sizes) / sizeof(sizes[0]))];
	args.flags = rn(&t->rng, 4);
	if (chance(&t->rng, 5))
		args.flags |= 1ULL << rn(&t->rng, 64);
	if (chance(&t->rng, 3))
		args.reserved[rn(&t->rng, N_OF(args.reserved))] = 1;
	fd = tdxsim_ioctl(vm, KVM_CREATE_GUEST_MEMFD, ptr(t, &args, sizeof(args)));
	chk(t, "KVM_CREATE_GUEST_MEMFD", fd, E_BASE | E(EINVAL) | E(ENOMEM) |
	    E(EBADF) | E(ENOTTY) | E(EMFILE) | E(ENOSPC) | E(EFBIG));
	if (fd >= 0)
		obj_add(t->s, O_GMEM, fd, 0, args.size, args.flags);
}

/* The address of a mapping of the sequence (NULL if none). */
static void *any_map(struct thr *t)
{
	struct seq *s = t->s;
	void *addr = NULL;
	int i, n = 0;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < MAX_MAP; i++)
		if (s->map[i].addr && rn(&t->rng, ++n) == 0)
			addr = s->map[i].addr;
	pthread_mutex_unlock(&s->lock);
	return addr;
}

static void op_memslot(struct thr *t)
{
	struct kvm_userspace_memory_region2 r2;
	int vm = pick_fd(t, O_VM, NULL), g, gslot;
	long r;

	memset(&r2, 0, sizeof(r2));
	r2.slot = chance(&t->rng, 90) ? rn(&t->rng, 4) :
		  chance(&t->rng, 50) ? (1U << 16) | rn(&t->rng, 2) :
		  (uint32_t)rnd(&t->rng);
	r2.flags = chance(&t->rng, 70) ? KVM_MEM_GUEST_MEMFD : rn(&t->rng, 8);
	if (chance(&t->rng, 3))
		r2.flags |= 1U << rn(&t->rng, 32);
	r2.guest_phys_addr = chance(&t->rng, 60) ?
		0x80000000ULL + ((uint64_t)rn(&t->rng, 4) << 21) : gpa_pick(t);
	r2.memory_size = chance(&t->rng, 60) ?
		((uint64_t)(1 + rn(&t->rng, 2)) << 21) : size_pick(t);
	if (chance(&t->rng, 10))
		r2.memory_size = 0;		/* delete */
	r2.userspace_addr = chance(&t->rng, 80) ?
		(uint64_t)(uintptr_t)umem + ((uint64_t)rn(&t->rng, 3) << 21) :
		(uint64_t)(uintptr_t)ptr(t, umem + 1, 1);
	if (chance(&t->rng, 25))
		/* A VMM's shared memory: a guest_memfd (or kvm_run) mapping. */
		r2.userspace_addr = (uint64_t)(uintptr_t)any_map(t);
	g = pick_fd(t, O_GMEM, &gslot);
	r2.guest_memfd = (uint32_t)g;
	r2.guest_memfd_offset = chance(&t->rng, 70) ?
		(uint64_t)rn(&t->rng, 3) << 21 : size_pick(t);
	if (chance(&t->rng, 3))
		r2.pad2[rn(&t->rng, N_OF(r2.pad2))] = 1;
	if (chance(&t->rng, 15)) {
		r = tdxsim_ioctl(vm, KVM_SET_USER_MEMORY_REGION,
				 ptr(t, &r2, sizeof(struct kvm_userspace_memory_region)));
		chk(t, "KVM_SET_USER_MEMORY_REGION", r, E_BASE | E(EINVAL) |
		    E(EEXIST) | E(ENOMEM) | E(EBADF) | E(ENOTTY));
		return;
	}
	r = tdxsim_ioctl(vm, KVM_SET_USER_MEMORY_REGION2, ptr(t, &r2, sizeof(r2)));
	chk(t, "KVM_SET_USER_MEMORY_REGION2", r, E_BASE | E(EINVAL) |
	    E(EEXIST) | E(ENOMEM) | E(EBADF) | E(ENOTTY));
}

static void op_attrs(struct thr *t)
{
	struct kvm_memory_attributes a;
	int vm = pick_fd(t, O_VM, NULL);
	long r;

	memset(&a, 0, sizeof(a));
	a.address = chance(&t->rng, 70) ?
		0x80000000ULL + ((uint64_t)rn(&t->rng, 2048) << 12) : gpa_pick(t);
	a.size = chance(&t->rng, 70) ?
		((uint64_t)(1 + rn(&t->rng, 1024)) << 12) : size_pick(t);
	a.attributes = chance(&t->rng, 90) ?
		(chance(&t->rng, 50) ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0) :
		1ULL << rn(&t->rng, 64);
	if (chance(&t->rng, 3))
		a.flags = 1ULL << rn(&t->rng, 64);
	r = tdxsim_ioctl(vm, KVM_SET_MEMORY_ATTRIBUTES, ptr(t, &a, sizeof(a)));
	chk(t, "KVM_SET_MEMORY_ATTRIBUTES", r, E_BASE | E(EINVAL) |
	    E(ENOMEM) | E(EAGAIN) | E(EBADF) | E(ENOTTY));
}

/* A struct kvm_cpuid2 with room for 256 entries (per thread). */
static struct {
	struct kvm_tdx_init_vm init;
	struct kvm_cpuid_entry2 e[KVM_MAX_CPUID_ENTRIES + 4];
} cpuid_buf[MAX_THREADS];

static struct {
	struct kvm_tdx_capabilities caps;
	struct kvm_cpuid_entry2 e[KVM_MAX_CPUID_ENTRIES + 4];
} caps_buf[MAX_THREADS];

#define TDX_ATTR_SEPT_VE_DISABLE	(1ULL << 28)

static void fill_init_vm(struct thr *t, struct kvm_tdx_init_vm *iv, bool valid)
{
	unsigned int gpaw = chance(&t->rng, 80) ? 48 :
			    chance(&t->rng, 50) ? 52 : rn(&t->rng, 64);

	memset(iv, 0, sizeof(*iv) + sizeof(struct kvm_cpuid_entry2));
	iv->attributes = TDX_ATTR_SEPT_VE_DISABLE;
	iv->xfam = 0x3;
	iv->cpuid.nent = 1;
	iv->cpuid.entries[0].function = 0x80000008;
	iv->cpuid.entries[0].eax = (gpaw << 16) | 52;
	if (valid)
		return;
	switch (rn(&t->rng, 6)) {
	case 0: iv->attributes = rnd(&t->rng); break;
	case 1: iv->xfam = rnd(&t->rng); break;
	case 2: iv->cpuid.nent = rn(&t->rng, 300); break;
	case 3: iv->cpuid.nent = (uint32_t)rnd(&t->rng); break;
	case 4: iv->reserved[rn(&t->rng, N_OF(iv->reserved))] = rnd(&t->rng); break;
	default: iv->cpuid.entries[0].function = (uint32_t)rnd(&t->rng); break;
	}
}

static long tdx_cmd(struct thr *t, int fd, uint32_t id, uint32_t flags,
		    void *data)
{
	struct kvm_tdx_cmd cmd = {
		.id = id, .flags = flags, .data = (uint64_t)(uintptr_t)data,
	};

	if (chance(&t->rng, 3))
		cmd.hw_error = rnd(&t->rng);
	return tdxsim_ioctl(fd, KVM_MEMORY_ENCRYPT_OP, ptr(t, &cmd, sizeof(cmd)));
}

static const eset_t tdx_ok = E_BASE | E(EINVAL) | E(ENOTTY) | E(EBADF) |
	E(E2BIG) | E(EBUSY) | E(ENOMEM) | E(EAGAIN) | E(EPERM) | E(ENOSPC);

static void op_tdx_vm(struct thr *t)
{
	int vm = pick_fd(t, O_VM, NULL);
	unsigned int k = t->index;
	long r;

	switch (rn(&t->rng, 6)) {
	case 0:
		memset(&caps_buf[k], 0, sizeof(caps_buf[k]));
		caps_buf[k].caps.cpuid.nent = chance(&t->rng, 70) ?
			KVM_MAX_CPUID_ENTRIES : rn(&t->rng, 8);
		r = tdx_cmd(t, vm, KVM_TDX_CAPABILITIES, chance(&t->rng, 90) ? 0 : 1,
			    ptr(t, &caps_buf[k], sizeof(caps_buf[k].caps)));
		chk(t, "KVM_TDX_CAPABILITIES", r, tdx_ok);
		break;
	case 1:
	case 2:
		fill_init_vm(t, &cpuid_buf[k].init, chance(&t->rng, 70));
		r = tdx_cmd(t, vm, KVM_TDX_INIT_VM, chance(&t->rng, 95) ? 0 : 1,
			    ptr(t, &cpuid_buf[k].init, sizeof(cpuid_buf[k].init)));
		chk(t, "KVM_TDX_INIT_VM", r, tdx_ok);
		break;
	case 3:
		r = tdx_cmd(t, vm, KVM_TDX_FINALIZE_VM,
			    chance(&t->rng, 90) ? 0 : rn(&t->rng, 4),
			    chance(&t->rng, 90) ? NULL : (void *)rnd(&t->rng));
		chk(t, "KVM_TDX_FINALIZE_VM", r, tdx_ok);
		break;
	case 4:
		/* A vCPU command on the VM fd, or an unknown one. */
		r = tdx_cmd(t, vm, chance(&t->rng, 50) ? KVM_TDX_INIT_VCPU +
			    rn(&t->rng, 3) * 2 : KVM_TDX_CMD_NR_MAX + rn(&t->rng, 1000),
			    0, src);
		chk(t, "KVM_MEMORY_ENCRYPT_OP(bad id)", r, tdx_ok);
		break;
	default:
		r = tdxsim_ioctl(vm, KVM_MEMORY_ENCRYPT_OP, ptr(t, NULL, 24));
		chk(t, "KVM_MEMORY_ENCRYPT_OP(bad cmd)", r, tdx_ok);
		break;
	}
}

static void op_tdx_vcpu(struct thr *t)
{
	int vcpu = pick_fd(t, O_VCPU, NULL);
	unsigned int k = t->index;
	long r;

	switch (rn(&t->rng, 5)) {
	case 0:
	case 1:
		r = tdx_cmd(t, vcpu, KVM_TDX_INIT_VCPU, chance(&t->rng, 95) ? 0 : 1,
			    (void *)(uintptr_t)(chance(&t->rng, 80) ? 0 : rnd(&t->rng)));
		chk(t, "KVM_TDX_INIT_VCPU", r, tdx_ok);
		break;
	case 2:
	case 3: {
		struct kvm_tdx_init_mem_region mr = {
			.source_addr = (uint64_t)(uintptr_t)ptr(t, src, PAGE),
			.gpa = chance(&t->rng, 70) ? 0x80000000ULL +
			       ((uint64_t)rn(&t->rng, 1024) << 12) : gpa_pick(t),
			.nr_pages = chance(&t->rng, 80) ? 1 + rn(&t->rng, SRC_PAGES) :
				    rnd(&t->rng) >> rn(&t->rng, 64),
		};

		if (mr.nr_pages > SRC_PAGES && chance(&t->rng, 90))
			mr.nr_pages = SRC_PAGES;
		r = tdx_cmd(t, vcpu, KVM_TDX_INIT_MEM_REGION,
			    chance(&t->rng, 50) ? KVM_TDX_MEASURE_MEMORY_REGION :
			    chance(&t->rng, 80) ? 0 : 1U << rn(&t->rng, 32),
			    ptr(t, &mr, sizeof(mr)));
		chk(t, "KVM_TDX_INIT_MEM_REGION", r, tdx_ok | E(ENOENT) |
		    E(EEXIST) | E(EINTR));
		break;
	}
	default:
		memset(&cpuid_buf[k], 0, sizeof(cpuid_buf[k]));
		cpuid_buf[k].init.cpuid.nent = chance(&t->rng, 70) ?
			KVM_MAX_CPUID_ENTRIES : rn(&t->rng, 8);
		r = tdx_cmd(t, vcpu, KVM_TDX_GET_CPUID, chance(&t->rng, 95) ? 0 : 1,
			    ptr(t, &cpuid_buf[k].init.cpuid, 8));
		chk(t, "KVM_TDX_GET_CPUID", r, tdx_ok);
		break;
	}
}

static void op_prefault(struct thr *t)
{
	struct kvm_pre_fault_memory pf;
	int vcpu = pick_fd(t, O_VCPU, NULL);
	long r;

	memset(&pf, 0, sizeof(pf));
	pf.gpa = chance(&t->rng, 70) ?
		0x80000000ULL + ((uint64_t)rn(&t->rng, 2048) << 12) : gpa_pick(t);
	if (chance(&t->rng, 10))
		pf.gpa |= 1ULL << 47;		/* the shared alias */
	pf.size = chance(&t->rng, 70) ?
		((uint64_t)(1 + rn(&t->rng, 16)) << 12) : size_pick(t);
	if (chance(&t->rng, 3))
		pf.flags = rnd(&t->rng);
	r = tdxsim_ioctl(vcpu, KVM_PRE_FAULT_MEMORY, ptr(t, &pf, sizeof(pf)));
	chk(t, "KVM_PRE_FAULT_MEMORY", r, E_BASE | E(EINVAL) | E(ENOENT) |
	    E(EOPNOTSUPP) | E(EAGAIN) | E(EINTR) | E(ENOMEM) | E(EBADF) |
	    E(ENOTTY) | E(EPERM));
}

/* A small random guest program over the usual slot's GPAs. */
static struct tdxsim_guest_model *make_guest(struct thr *t)
{
	char text[2048], err[256];
	struct tdxsim_guest_config cfg;
	struct tdxsim_guest_model *g = NULL;
	size_t len = 0;
	unsigned int i, n = 1 + rn(&t->rng, 8);

	for (i = 0; i < n && len < sizeof(text) - 128; i++) {
		uint64_t gpa = 0x80000000ULL + ((uint64_t)rn(&t->rng, 1024) << 12);
		uint64_t size = (uint64_t)(1 + rn(&t->rng, 4)) << 12;
		const char *shared = chance(&t->rng, 30) ? "shared " : "";

		switch (rn(&t->rng, 8)) {
		case 0:
		case 1:
			len += snprintf(text + len, sizeof(text) - len,
					"accept 0x%" PRIx64 " 0x%" PRIx64 " level=%s\n",
					gpa, size, chance(&t->rng, 50) ? "4k" : "2m-fallback");
			break;
		case 2:
		case 3:
			len += snprintf(text + len, sizeof(text) - len,
					"write %s0x%" PRIx64 " 0x%" PRIx64 "\n",
					shared, gpa, size);
			break;
		case 4:
			len += snprintf(text + len, sizeof(text) - len,
					"read %s0x%" PRIx64 " 0x%" PRIx64 "\n",
					shared, gpa, size);
			break;
		case 5:
		case 6:
			len += snprintf(text + len, sizeof(text) - len,
					"mapgpa %s 0x%" PRIx64 " 0x%" PRIx64 "\n",
					chance(&t->rng, 50) ? "shared" : "private",
					gpa, size);
			break;
		default:
			if (chance(&t->rng, 20))
				len += snprintf(text + len, sizeof(text) - len,
						"touch 0x%" PRIx64 "\n", gpa);
			break;
		}
	}
	text[len] = 0;
	tdxsim_guest_config_init(&cfg);
	cfg.seed = rnd(&t->rng);
	if (tdxsim_guest_parse(text, "uapi_seq", &cfg, &g, err, sizeof(err))) {
		seq_fail(t->s, "guest program refused: %s", err);
		return NULL;
	}
	return g;
}

static void op_set_guest(struct thr *t)
{
	struct seq *s = t->s;
	struct tdxsim_guest_model *g;
	struct tdxsim_guest gs;
	int vcpu = pick_fd(t, O_VCPU, NULL);
	unsigned int slot;
	long r;


	pthread_mutex_lock(&s->lock);
	if (s->nr_guests >= MAX_GUEST) {
		pthread_mutex_unlock(&s->lock);
		return;
	}
	slot = s->nr_guests++;		/* reserved; NULL until made */
	pthread_mutex_unlock(&s->lock);
	g = make_guest(t);
	if (!g)
		return;
	pthread_mutex_lock(&s->lock);
	s->guest[slot] = g;
	pthread_mutex_unlock(&s->lock);
	gs.ops = tdxsim_guest_ops();
	gs.guest = tdxsim_guest_vcpu(g, 0);
	r = tdxsim_ioctl(vcpu, TDXSIM_SET_GUEST, ptr_exact(t, &gs, sizeof(gs)));
	chk(t, "TDXSIM_SET_GUEST", r, E_BASE | E(EINVAL) | E(EBUSY) |
	    E(EBADF) | E(ENOTTY));
}

static struct kvm_run *find_run(struct thr *t)
{
	struct seq *s = t->s;
	struct kvm_run *run = NULL;
	int i, n = 0;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < MAX_MAP; i++)
		if (s->map[i].addr && s->map[i].run &&
		    rn(&t->rng, ++n) == 0)
			run = s->map[i].addr;
	pthread_mutex_unlock(&s->lock);
	return run;
}

static void op_run(struct thr *t)
{
	int vcpu = pick_fd(t, O_VCPU, NULL);
	struct kvm_run *run = find_run(t);
	long r;

	/* An answer to whatever the last exit was (through any run page). */
	if (run && chance(&t->rng, 50)) {
		__atomic_store_n(&run->hypercall.ret,
				 chance(&t->rng, 70) ? 0 : rnd(&t->rng) % 64,
				 __ATOMIC_RELAXED);
		__atomic_store_n(&run->immediate_exit__unsafe,
				 chance(&t->rng, 10), __ATOMIC_RELAXED);
	}
	r = tdxsim_ioctl(vcpu, KVM_RUN, chance(&t->rng, 95) ? 0 : 1);
	chk(t, "KVM_RUN", r, E_BASE | E(EINVAL) | E(EINTR) | E(EAGAIN) |
	    E(ENOEXEC) | E(EBADF) | E(ENOTTY) | E(ENOMEM) | E(EBUSY));
}

static void map_add(struct seq *s, void *addr, size_t len, bool run,
		    uint64_t size)
{
	int i;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < MAX_MAP; i++) {
		if (!s->map[i].addr) {
			s->map[i] = (struct map){ addr, len, run, size };
			pthread_mutex_unlock(&s->lock);
			return;
		}
	}
	pthread_mutex_unlock(&s->lock);
	tdxsim_munmap(addr, len);
}

static void op_mmap(struct thr *t)
{
	bool run = chance(&t->rng, 40);
	int slot, fd = pick_fd(t, run ? O_VCPU : O_GMEM, &slot);
	size_t len;
	off_t off = 0;
	int prot = PROT_READ | PROT_WRITE, flags = MAP_SHARED;
	void *p;
	struct obj o = { 0 };

	if (slot >= 0)
		o = obj_get(t->s, slot);
	if (run) {
		len = chance(&t->rng, 90) ? sizeof(struct kvm_run) : size_pick(t);
		if (len > (64ULL << 20))
			len = 64ULL << 20;
	} else {
		len = o.size && chance(&t->rng, 80) ? o.size : size_pick(t);
		if (len > (64ULL << 20))
			len = 4ULL << 20;
		if (chance(&t->rng, 10))
			off = (off_t)(size_pick(t) & 0x3fffffffffffULL);
		if (chance(&t->rng, 5))
			flags = MAP_PRIVATE;
		if (chance(&t->rng, 5))
			prot = PROT_READ;
	}
	p = tdxsim_mmap(NULL, len, prot, flags, fd, off);
	chk(t, run ? "mmap(vcpu)" : "mmap(guest_memfd)",
	    p == MAP_FAILED ? -1 : 0, E(EINVAL) | E(ENODEV) | E(EBADF) |
	    E(ENOMEM) | E(EACCES) | E(EPERM) | E(EOVERFLOW) | E(ENXIO));
	if (p == MAP_FAILED)
		return;
	/* A run page must be the vCPU's (we poke at it); else drop it. */
	if (run && (len < sizeof(struct kvm_run) || o.kind != O_VCPU)) {
		tdxsim_munmap(p, len);
		return;
	}
	map_add(t->s, p, len, run, run ? 0 : len);
}

static void op_munmap(struct thr *t)
{
	struct seq *s = t->s;
	struct map m = { 0 };
	int i, n = 0, pick = -1;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < MAX_MAP; i++)
		if (s->map[i].addr && !s->map[i].run && rn(&t->rng, ++n) == 0)
			pick = i;
	if (pick >= 0) {
		m = s->map[pick];
		s->map[pick].addr = NULL;
	}
	pthread_mutex_unlock(&s->lock);
	if (!m.addr)
		return;
	chk(t, "munmap(guest_memfd)", tdxsim_munmap(m.addr, m.len), 0);
}

static void op_host_access(struct thr *t)
{
	struct seq *s = t->s;
	static uint8_t bufs[MAX_THREADS][2 * PAGE];
	uint8_t *buf = bufs[t->index];
	struct map m = { 0 };
	int i, n = 0;
	uint64_t off;
	size_t len;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < MAX_MAP; i++)
		if (s->map[i].addr && !s->map[i].run && rn(&t->rng, ++n) == 0)
			m = s->map[i];
	pthread_mutex_unlock(&s->lock);
	if (!m.addr)
		return;
	off = rn(&t->rng, (unsigned int)(m.len / PAGE + 1)) * PAGE;
	if (chance(&t->rng, 10))
		off += rn(&t->rng, PAGE);
	len = chance(&t->rng, 80) ? PAGE : 1 + rn(&t->rng, 2 * PAGE);
	if (chance(&t->rng, 50))
		memset(buf, 0xa5 ^ t->index, len);
	i = tdxsim_gmem_host_access((uint8_t *)m.addr + off, buf, len,
				    chance(&t->rng, 50));
	if (i < 0 && i != -EFAULT)
		seq_fail(s, "tdxsim_gmem_host_access answered %d", i);
	t->calls++;
}

static void op_fallocate(struct thr *t)
{
	int slot, fd = pick_fd(t, O_GMEM, &slot);
	struct obj o = { 0 };
	uint64_t off, len;
	int mode;
	long r;

	if (slot >= 0)
		o = obj_get(t->s, slot);
	if (o.size && chance(&t->rng, 80)) {
		off = (uint64_t)rn(&t->rng, (unsigned int)(o.size / PAGE)) << 12;
		len = (uint64_t)(1 + rn(&t->rng, chance(&t->rng, 80) ? 16 : 1024)) << 12;
		if (chance(&t->rng, 10))
			len = o.size - off;
	} else {
		off = size_pick(t);
		len = size_pick(t);
	}
	mode = chance(&t->rng, 55) ? FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE :
	       chance(&t->rng, 80) ? FALLOC_FL_KEEP_SIZE : (int)rn(&t->rng, 64);
	/*
	 * Allocating a file of 2^62 bytes is legal and runs until the host
	 * is out of memory (ENOMEM): true, but slow; allocations stay small.
	 */
	if (!(mode & FALLOC_FL_PUNCH_HOLE) && len > (64ULL << 20))
		len = 64ULL << 20;
	r = tdxsim_fallocate(fd, mode, (off_t)(off & INT64_MAX),
			     (off_t)(len & INT64_MAX));
	chk(t, "fallocate(guest_memfd)", r, E(EINVAL) | E(EOPNOTSUPP) |
	    E(ENOMEM) | E(ENOSPC) | E(EBADF) | E(EFBIG) | E(ENODEV) |
	    E(ESPIPE) | E(EIO) | E(EINTR));
}

static void op_design(struct thr *t)
{
	static const char *const safe[] = {
		"gmem_hugepages", "measure_two_pass", "private_max_level",
		"huge_split", "gmem_locking", "populate_src_null_check",
	};
	int vm = pick_fd(t, O_VM, NULL);
	struct tdxsim_design d;
	struct tdxsim_kernel k;
	long r;

	switch (rn(&t->rng, 5)) {
	case 0:
	case 1:
		memset(&d, 0, sizeof(d));
		r = tdxsim_ioctl(vm, TDXSIM_GET_DESIGN, &d);
		chk(t, "TDXSIM_GET_DESIGN", r, E_BASE | E(EBADF) | E(ENOTTY) |
		    E(EINVAL));
		if (chance(&t->rng, 70)) {
			/* A switch the default kernel may run with. */
			const struct tdxsim_design_switch *sw =
				tdxsim_design_switch_find(safe[rn(&t->rng, 6)]);

			if (sw)
				*(uint32_t *)((uint8_t *)&d + sw->offset) =
					rn(&t->rng, 2);
		} else {
			/* Garbage: out of range, reserved, version. */
			switch (rn(&t->rng, 3)) {
			case 0: ((uint32_t *)&d)[1 + rn(&t->rng, N_OF(d.reserved))] =
				7 + rn(&t->rng, 100); break;
			case 1: d.reserved[rn(&t->rng, N_OF(d.reserved))] = 1; break;
			default: d.version = rn(&t->rng, 10); break;
			}
		}
		r = tdxsim_ioctl(vm, TDXSIM_SET_DESIGN, ptr(t, &d, sizeof(d)));
		chk(t, "TDXSIM_SET_DESIGN", r, E_BASE | E(EINVAL) | E(EBUSY) |
		    E(EBADF) | E(ENOTTY));
		break;
	case 2:
		memset(&k, 0, sizeof(k));
		snprintf(k.name, sizeof(k.name), "%s",
			 chance(&t->rng, 50) ? "next" :
			 chance(&t->rng, 50) ? "next+hugepage-rfc" :
			 chance(&t->rng, 50) ? "v5.0" : "next+");
		if (chance(&t->rng, 5))
			memset(k.name, 'x', sizeof(k.name));	/* no NUL */
		if (chance(&t->rng, 5))
			k.reserved[rn(&t->rng, N_OF(k.reserved))] = 1;
		r = tdxsim_ioctl(vm, TDXSIM_SET_KERNEL, ptr(t, &k, sizeof(k)));
		chk(t, "TDXSIM_SET_KERNEL", r, E_BASE | E(EINVAL) | E(EBUSY) |
		    E(EBADF) | E(ENOTTY));
		break;
	default: {
		static uint8_t buf[MAX_THREADS][4096] __attribute__((aligned(16)));
		static const unsigned long reqs[] = {
			TDXSIM_GET_STATS, TDXSIM_GET_MRTD, TDXSIM_GET_TD_STATS,
			TDXSIM_GET_VM_FAILURE, TDXSIM_GET_KERNEL, TDXSIM_GET_DESIGN,
		};
		unsigned long req = reqs[rn(&t->rng, 6)];

		r = tdxsim_ioctl(chance(&t->rng, 20) ? pick_fd(t, O_VCPU, NULL) : vm,
				 req, ptr(t, buf[t->index], TDXSIM_IOC_SIZE(req)));
		chk(t, "TDXSIM_GET_*", r, E_BASE | E(EINVAL) | E(ENOTTY) |
		    E(EBADF));
		break;
	}
	}
}

static void op_check(struct thr *t)
{
	static char bufs[MAX_THREADS][1024];
	struct tdxsim_check c = {
		.buf = (uint64_t)(uintptr_t)ptr(t, bufs[t->index], 16),
		.len = chance(&t->rng, 80) ? sizeof(bufs[0]) : rn(&t->rng, 16),
	};
	int vm = pick_fd(t, O_VM, NULL);
	long r;

	r = tdxsim_ioctl(vm, TDXSIM_CHECK_INVARIANTS, ptr(t, &c, sizeof(c)));
	chk(t, "TDXSIM_CHECK_INVARIANTS", r, E_BASE | E(EINVAL) | E(ENOTTY) |
	    E(EBADF));
	/*
	 * A violation found while other threads change the VM may be a
	 * snapshot of a change in progress: judged at the sequence's end.
	 */
	if (!r && c.errors && !t->s->mt)
		seq_fail(t->s, "invariant check: %u violations during the sequence",
			 c.errors);
}

static void op_inject(struct thr *t)
{
	struct tdxsim_inject_fault f = {
		.leaf = chance(&t->rng, 90) ? rn(&t->rng, 64) : (uint32_t)rnd(&t->rng),
		.nth = chance(&t->rng, 90) ? 1 + rn(&t->rng, 8) : 0,
		.status = chance(&t->rng, 50) ? 0x8000020000000000ULL :
			  chance(&t->rng, 90) ? rnd(&t->rng) : 0,
	};
	int vm = pick_fd(t, O_VM, NULL);
	long r;

	/* A fault injected makes WARNs and leaked pages legitimate. */
	if (!chance(&t->rng, 10))
		f.status = 0;		/* refused: EINVAL, nothing injected */
	r = tdxsim_ioctl(vm, TDXSIM_INJECT_FAULT, ptr(t, &f, sizeof(f)));
	chk(t, "TDXSIM_INJECT_FAULT", r, E_BASE | E(EINVAL) | E(ENOTTY) |
	    E(EBADF) | E(ENOSPC) | E(E2BIG) | E(EBUSY));
	if (r == 0) {
		pthread_mutex_lock(&t->s->lock);
		t->s->injected = true;
		pthread_mutex_unlock(&t->s->lock);
	}
}

/*
 * docs/FINDINGS.md F1 and F3 (upstream behaviour, modelled on purpose):
 * with several threads, a zap (punch, conversion, memslot change) racing
 * TDH.MR.FINALIZE or TDH.MR.EXTEND meets TDX_OPERAND_BUSY twice in a path
 * that may not fail, or MR.EXTEND meets a page the punch removed (F1); or
 * KVM_TDX_FINALIZE_VM runs between a zap's BLOCK and its TRACK, the zap
 * skips the track (the TD was not runnable yet) and PAGE.REMOVE answers
 * TDX_TLB_TRACKING_NOT_DONE (F3: only with no track made for the VM at
 * all, else it is something else). The VM is bugged (a WARN) and its
 * pages are kept from the host. Recognised from the VM's failure record,
 * never from the log.
 */
static bool vm_hit_f1(int vm)
{
	struct tdxsim_vm_failure f;
	uint64_t busy;
	uint32_t leaf;

	memset(&f, 0, sizeof(f));
	if (tdxsim_ioctl(vm, TDXSIM_GET_VM_FAILURE, &f) || !f.bugged ||
	    !f.seamcall_failures)
		return false;
	leaf = f.first_seamcall.leaf;
	busy = f.first_seamcall.status & ~0xffffffffULL;
	if (leaf == TDH_MR_EXTEND)
		return true;
	if (leaf == TDH_MEM_PAGE_REMOVE &&
	    f.first_seamcall.status == (TDX_TLB_TRACKING_NOT_DONE |
					TDX_OPERAND_ID_RCX))
		return !f.tracks &&
		       !strcmp(f.first_seamcall.func,
			       "tdx_sept_remove_private_spte");
	return busy == TDX_OPERAND_BUSY &&
	       (leaf == TDH_MEM_RANGE_BLOCK || leaf == TDH_MEM_PAGE_REMOVE ||
		leaf == TDH_MEM_TRACK || leaf == TDH_MR_FINALIZE);
}

/* Keep what bugged a VM for the failure message. */
static void vm_note_failure(struct seq *s, int vm)
{
	struct tdxsim_vm_failure f;
	size_t len = strlen(s->notes);

	memset(&f, 0, sizeof(f));
	if (tdxsim_ioctl(vm, TDXSIM_GET_VM_FAILURE, &f) || !f.bugged)
		return;
	snprintf(s->notes + len, sizeof(s->notes) - len,
		 " [VM bugged at %.40s:%u %.40s, seamcall leaf %u status %#" PRIx64 "]",
		 f.bug_file, f.bug_line, f.bug_func, f.first_seamcall.leaf,
		 (uint64_t)f.first_seamcall.status);
}

static void op_close(struct thr *t)
{
	struct seq *s = t->s;
	int i, n = 0, pick = -1, fd = -1;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < MAX_OBJ; i++)
		if (s->obj[i].kind != O_FREE && rn(&t->rng, ++n) == 0)
			pick = i;
	/*
	 * With several threads a VM fd stays open until the sequence's end
	 * (then closed before its vCPUs or not, at random): F1 is only
	 * recognised through the VM fd (TDXSIM_GET_VM_FAILURE). One thread
	 * closes VMs at any time.
	 */
	if (pick >= 0 && s->mt && s->obj[pick].kind == O_VM)
		pick = -1;
	if (pick >= 0) {
		fd = s->obj[pick].fd;
		s->obj[pick].kind = O_FREE;
	}
	pthread_mutex_unlock(&s->lock);
	if (pick < 0)
		return;
	chk(t, "close", tdxsim_close(fd), 0);
}

/*
 * Build a TD the right way on a fresh VM (a small fraction of the calls):
 * INIT_VM, a guest_memfd slot, PRIVATE, a vCPU with a guest program,
 * INIT_VCPU, INIT_MEM_REGION, FINALIZE. The objects join the sequence.
 */
static void op_launch(struct thr *t)
{
	struct kvm_userspace_memory_region2 r2;
	struct kvm_create_guest_memfd ga;
	struct kvm_memory_attributes a;
	struct kvm_tdx_init_mem_region mr;
	struct seq *s = t->s;
	int sys, vm, gmem, vcpu;
	struct tdxsim_design d;
	unsigned int k = t->index;
	long r;

	if (!obj_room(s) || !obj_room(s))
		return;
	sys = tdxsim_open("/dev/kvm", O_RDWR);
	chk(t, "open(/dev/kvm)", sys, E(EMFILE));
	if (sys < 0)
		return;
	vm = tdxsim_ioctl(sys, KVM_CREATE_VM, KVM_X86_TDX_VM);
	chk(t, "launch: KVM_CREATE_VM", vm, E(ENOMEM) | E(EMFILE));
	tdxsim_close(sys);
	if (vm < 0)
		return;
	obj_add(s, O_VM, vm, KVM_X86_TDX_VM, 0, 0);
	if (chance(&t->rng, 30)) {
		r = tdxsim_ioctl(vm, TDXSIM_GET_DESIGN, &d);
		chk(t, "launch: TDXSIM_GET_DESIGN", r, E_BASE);
		d.gmem_hugepages = chance(&t->rng, 50);
		d.measure_two_pass = chance(&t->rng, 30);
		r = tdxsim_ioctl(vm, TDXSIM_SET_DESIGN, &d);
		chk(t, "launch: TDXSIM_SET_DESIGN", r, E_BASE | E(EBUSY));
	}
	fill_init_vm(t, &cpuid_buf[k].init, true);
	r = tdx_cmd(t, vm, KVM_TDX_INIT_VM, 0, &cpuid_buf[k].init);
	chk(t, "launch: KVM_TDX_INIT_VM", r, tdx_ok);
	if (r)
		return;
	memset(&ga, 0, sizeof(ga));
	ga.size = 4ULL << 20;
	ga.flags = chance(&t->rng, 60) ? GUEST_MEMFD_FLAG_MMAP : 0;
	gmem = tdxsim_ioctl(vm, KVM_CREATE_GUEST_MEMFD, &ga);
	chk(t, "launch: KVM_CREATE_GUEST_MEMFD", gmem, E_BASE | E(ENOMEM) |
	    E(EMFILE));
	if (gmem < 0)
		return;
	obj_add(s, O_GMEM, gmem, 0, ga.size, ga.flags);
	memset(&r2, 0, sizeof(r2));
	r2.slot = rn(&t->rng, 2);
	r2.flags = KVM_MEM_GUEST_MEMFD;
	r2.guest_phys_addr = 0x80000000ULL;
	r2.memory_size = 4ULL << 20;
	r2.userspace_addr = (uint64_t)(uintptr_t)umem;
	r2.guest_memfd = (uint32_t)gmem;
	r = tdxsim_ioctl(vm, KVM_SET_USER_MEMORY_REGION2, &r2);
	chk(t, "launch: KVM_SET_USER_MEMORY_REGION2", r, E_BASE | E(EBADF) |
	    E(EINVAL) | E(EEXIST));
	memset(&a, 0, sizeof(a));
	a.address = 0x80000000ULL;
	a.size = 4ULL << 20;
	a.attributes = KVM_MEMORY_ATTRIBUTE_PRIVATE;
	r = tdxsim_ioctl(vm, KVM_SET_MEMORY_ATTRIBUTES, &a);
	chk(t, "launch: KVM_SET_MEMORY_ATTRIBUTES", r, E_BASE | E(ENOMEM) |
	    E(EAGAIN));
	vcpu = tdxsim_ioctl(vm, KVM_CREATE_VCPU, 0);
	chk(t, "launch: KVM_CREATE_VCPU", vcpu, E_BASE | E(EEXIST) | E(EMFILE) |
	    E(ENOMEM) | E(EBUSY));
	if (vcpu < 0)
		return;
	obj_add(s, O_VCPU, vcpu, 0, 0, 0);
	if (chance(&t->rng, 70))
		op_set_guest(t);	/* on some vCPU: maybe this one */
	r = tdx_cmd(t, vcpu, KVM_TDX_INIT_VCPU, 0, NULL);
	chk(t, "launch: KVM_TDX_INIT_VCPU", r, tdx_ok);
	memset(&mr, 0, sizeof(mr));
	mr.source_addr = (uint64_t)(uintptr_t)src;
	mr.gpa = 0x80000000ULL + ((uint64_t)rn(&t->rng, 4) << 20);
	mr.nr_pages = 1 + rn(&t->rng, SRC_PAGES);
	r = tdx_cmd(t, vcpu, KVM_TDX_INIT_MEM_REGION,
		    chance(&t->rng, 50) ? KVM_TDX_MEASURE_MEMORY_REGION : 0, &mr);
	chk(t, "launch: KVM_TDX_INIT_MEM_REGION", r, tdx_ok | E(ENOENT) |
	    E(EEXIST));
	r = tdx_cmd(t, vm, KVM_TDX_FINALIZE_VM, 0, NULL);
	chk(t, "launch: KVM_TDX_FINALIZE_VM", r, tdx_ok);
}

static const struct op ops[] = {
	{ "open", 2, op_open },
	{ "sys", 6, op_sys },
	{ "create_vm", 3, op_create_vm },
	{ "create_vcpu", 4, op_create_vcpu },
	{ "create_gmem", 5, op_create_gmem },
	{ "memslot", 10, op_memslot },
	{ "attributes", 12, op_attrs },
	{ "tdx_vm", 8, op_tdx_vm },
	{ "tdx_vcpu", 8, op_tdx_vcpu },
	{ "pre_fault", 10, op_prefault },
	{ "set_guest", 1, op_set_guest },
	{ "run", 8, op_run },
	{ "mmap", 3, op_mmap },
	{ "munmap", 1, op_munmap },
	{ "host_access", 6, op_host_access },
	{ "fallocate", 10, op_fallocate },
	{ "design", 4, op_design },
	{ "check", 2, op_check },
	{ "inject", 1, op_inject },
	{ "close", 3, op_close },
	{ "launch", 1, op_launch },
};
#define NR_OPS	(sizeof(ops) / sizeof(ops[0]))

static unsigned int total_weight;

static void do_op(struct thr *t)
{
	unsigned int w = rn(&t->rng, total_weight), i;

	for (i = 0; i < NR_OPS; i++) {
		if (w < ops[i].weight) {
			struct timespec a, b;

			clock_gettime(CLOCK_MONOTONIC, &a);
			ops[i].fn(t);
			clock_gettime(CLOCK_MONOTONIC, &b);
			__atomic_fetch_add(&op_counts[i], 1, __ATOMIC_RELAXED);
			__atomic_fetch_add(&op_ns[i], (uint64_t)((b.tv_sec - a.tv_sec) * 1000000000LL +
						     (b.tv_nsec - a.tv_nsec)), __ATOMIC_RELAXED);
			return;
		}
		w -= ops[i].weight;
	}
}

static void *thr_fn(void *arg)
{
	struct thr *t = arg;
	unsigned int i;

	for (i = 0; i < t->s->nr_ops && !__atomic_load_n(&t->s->failed,
							   __ATOMIC_RELAXED); i++)
		do_op(t);
	return NULL;
}

/* ---- a sequence and its verdict ---- */

static int sys_fd = -1;

static void module_stats(struct tdxsim_module_stats *ms,
			 struct tdxsim_host_memory *hm)
{
	if (tdxsim_ioctl(sys_fd, TDXSIM_GET_MODULE_STATS, ms) ||
	    tdxsim_ioctl(sys_fd, TDXSIM_GET_HOST_MEMORY, hm)) {
		perror("uapi_seq: TDXSIM_GET_MODULE_STATS");
		exit(1);
	}
}

static volatile uint64_t current_seed;

static void watchdog(int sig)
{
	char msg[160];
	int n;

	(void)sig;
	n = snprintf(msg, sizeof(msg),
		     "not ok 1 - sequence seed %" PRIu64 " hung (replay: --seed %"
		     PRIu64 " --sequences 1)\n", current_seed, current_seed);
	if (write(1, msg, (size_t)n) < 0)
		_exit(2);
	_exit(1);
}

static uint64_t seq_calls;
static FILE *seq_log;			/* the kernel's log of this sequence */

/* On a failure: the sequence's log, last lines first cut to @max. */
static void print_seq_log(unsigned int max)
{
	char line[512];
	long n = 0, skip;

	if (!seq_log)
		return;
	fflush(seq_log);
	rewind(seq_log);
	while (fgets(line, sizeof(line), seq_log))
		n++;
	skip = n > (long)max ? n - (long)max : 0;
	rewind(seq_log);
	for (n = 0; fgets(line, sizeof(line), seq_log); n++)
		if (n >= skip)
			printf("#   log: %s", line);
}
static uint64_t leaked_base;		/* pages leaked by injected faults */
static uint64_t f1_hits;		/* sequences that hit FINDINGS.md F1 */

static bool run_sequence(uint64_t seed, unsigned int nr_threads, char *why,
			 size_t whylen)
{
	static struct seq s;
	struct thr thr[MAX_THREADS];
	pthread_t tid[MAX_THREADS];
	struct tdxsim_module_stats ms0, ms1;
	struct tdxsim_host_memory hm0, hm1;
	unsigned long warn0 = tdxsim_nr_warnings();
	unsigned int rep0 = tdxsim_nr_reports();
	uint64_t rng = seed * 0x9E3779B97F4A7C15ULL + 1, order[MAX_OBJ];
	static char report[4096];
	unsigned int i, n;

	memset(&s, 0, sizeof(s));
	pthread_mutex_init(&s.lock, NULL);
	if (seq_log) {
		rewind(seq_log);
		if (ftruncate(fileno(seq_log), 0))
			seq_log = NULL;
	}
	s.seed = seed;
	s.mt = nr_threads > 1;
	s.nr_ops = 50 + rn(&rng, 400);
	module_stats(&ms0, &hm0);

	for (i = 0; i < nr_threads; i++) {
		thr[i] = (struct thr){ .s = &s, .index = i,
				       .rng = rnd(&rng) | 1 };
	}
	/* Start with a VM most of the time (the calls have something to hit). */
	if (chance(&rng, 80)) {
		op_open(&thr[0]);
		op_create_vm(&thr[0]);
	}
	if (nr_threads == 1) {
		thr_fn(&thr[0]);
	} else {
		for (i = 0; i < nr_threads; i++)
			if (pthread_create(&tid[i], NULL, thr_fn, &thr[i])) {
				perror("pthread_create");
				exit(1);
			}
		for (i = 0; i < nr_threads; i++)
			pthread_join(tid[i], NULL);
	}
	for (i = 0; i < nr_threads; i++)
		seq_calls += thr[i].calls;

	/* Every VM still open: the checker passes. */
	for (i = 0; i < MAX_OBJ && !s.failed; i++) {
		struct tdxsim_check c = {
			.buf = (uint64_t)(uintptr_t)report, .len = sizeof(report),
		};
		long r;

		if (s.obj[i].kind != O_VM)
			continue;
		if (s.mt && vm_hit_f1(s.obj[i].fd)) {
			s.f1 = true;
			continue;
		}
		vm_note_failure(&s, s.obj[i].fd);
		r = tdxsim_ioctl(s.obj[i].fd, TDXSIM_CHECK_INVARIANTS, &c);
		if ((r && errno != EIO && errno != ENOTTY) || (!r && c.errors))
			seq_fail(&s, "invariant check: %ld (%s), %u violations: %.300s",
				 r, r ? strerror(errno) : "ok", c.errors, report);
	}
	/* Close everything in a random order (VMs before their vCPUs too). */
	for (i = 0, n = 0; i < MAX_OBJ; i++)
		if (s.obj[i].kind != O_FREE)
			order[n++] = i;
	for (i = n; i > 1; i--) {
		unsigned int j = rn(&rng, i);
		uint64_t x = order[i - 1];

		order[i - 1] = order[j];
		order[j] = x;
	}
	for (i = 0; i < n; i++) {
		struct obj *o = &s.obj[order[i]];

		if (tdxsim_close(o->fd))
			seq_fail(&s, "close(%s %d): %s", okind_name[o->kind],
				 o->fd, strerror(errno));
		o->kind = O_FREE;
	}
	for (i = 0; i < MAX_MAP; i++)
		if (s.map[i].addr && tdxsim_munmap(s.map[i].addr, s.map[i].len))
			seq_fail(&s, "munmap: %s", strerror(errno));
	for (i = 0; i < s.nr_guests; i++)
		tdxsim_guest_destroy(s.guest[i]);

	module_stats(&ms1, &hm1);
	if (s.f1)
		f1_hits++;
	if (s.injected || s.f1) {
		/* An injected failure (or F1) may leak pages on purpose. */
		leaked_base = ms1.pages_owned;
	} else {
		if (ms1.pages_owned != leaked_base)
			seq_fail(&s, "the module owns %" PRIu64 " pages after every fd closed (%" PRIu64 " before)",
				 (uint64_t)ms1.pages_owned, leaked_base);
		if (tdxsim_nr_warnings() != warn0)
			seq_fail(&s, "%lu WARN()s", tdxsim_nr_warnings() - warn0);
		if (hm1.pages_in_use != hm0.pages_in_use)
			seq_fail(&s, "host pages in use %" PRIu64 " -> %" PRIu64,
				 (uint64_t)hm0.pages_in_use,
				 (uint64_t)hm1.pages_in_use);
	}
	if (ms1.pamt_violations != ms0.pamt_violations)
		seq_fail(&s, "%" PRIu64 " PAMT violations (a page freed while the module owned it)",
			 (uint64_t)(ms1.pamt_violations - ms0.pamt_violations));
	if (tdxsim_nr_reports() != rep0) {
		enum tdxsim_report_kind kind;
		char classes[120] = "";

		tdxsim_get_report(rep0, &kind, classes, sizeof(classes));
		seq_fail(&s, "lock validator report: %s (%s)",
			 tdxsim_report_kind_name(kind), classes);
	}
	pthread_mutex_destroy(&s.lock);
	if (s.failed)
		snprintf(why, whylen, "%s%s", s.why, s.notes);
	return !s.failed;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void setup_buffers(void)
{
	uint8_t *p;

	umem = mmap(NULL, UMEM_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	src = mmap(NULL, SRC_PAGES * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	p = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (umem == MAP_FAILED || src == MAP_FAILED || p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	memset(src, 0x3c, SRC_PAGES * PAGE);
	/*
	 * [p, p+4K) mapped; [p+4K, p+12K) inaccessible (PROT_NONE, so that
	 * no later mapping, a guest_memfd one of tdxsim_mmap() say, lands
	 * there and turns the "unmapped" pointer into a valid one).
	 */
	if (mprotect(p + PAGE, 2 * PAGE, PROT_NONE)) {
		perror("mprotect");
		exit(1);
	}
	edge = p;
	unmapped = p + 2 * PAGE;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: uapi_seq [--seed S] [--sequences N] [--calls N] [--threads N] [--verbose]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	uint64_t seed = 1, sequences = 0, calls = 0, done = 0;
	unsigned int nr_threads = 1, i;
	bool ok = true;
	char why[1100];
	double t0, dt;

	for (i = 1; i < (unsigned int)argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < (unsigned int)argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--seed") && v) {
			seed = strtoull(v, NULL, 0); i++;
		} else if (!strcmp(a, "--sequences") && v) {
			sequences = strtoull(v, NULL, 0); i++;
		} else if (!strcmp(a, "--calls") && v) {
			calls = strtoull(v, NULL, 0); i++;
		} else if (!strcmp(a, "--threads") && v) {
			nr_threads = (unsigned int)strtoul(v, NULL, 0); i++;
			if (!nr_threads || nr_threads > MAX_THREADS)
				usage();
		} else if (!strcmp(a, "--verbose")) {
			verbose = true;
		} else {
			usage();
		}
	}
	if (!sequences && !calls)
		sequences = 100;
	for (i = 0; i < NR_OPS; i++)
		total_weight += ops[i].weight;
	setup_buffers();
	/* Reports are counted, not printed: the verdict reads the counts. */
	tdxsim_set_reports_quiet(true);
	if (!verbose) {
		/*
		 * The kernel's messages go to a file kept for one sequence
		 * (printed when it fails); verdicts are from data.
		 */
		seq_log = tmpfile();
		if (seq_log)
			tdxsim_log_set_stream(seq_log);
	}
	sys_fd = tdxsim_open("/dev/kvm", O_RDWR);
	if (sys_fd < 0) {
		perror("uapi_seq: /dev/kvm");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, watchdog);
	printf("1..1\n");
	t0 = now();
	for (done = 0; (!sequences || done < sequences) &&
		       (!calls || seq_calls < calls); done++) {
		current_seed = seed + done;
		alarm(120);
		if (!run_sequence(seed + done, nr_threads, why, sizeof(why))) {
			printf("# sequence seed %" PRIu64 " (%u thread%s) failed: %s\n",
			       seed + done, nr_threads, nr_threads > 1 ? "s" : "",
			       why);
			printf("# replay: uapi_seq --seed %" PRIu64
			       " --sequences 1%s\n", seed + done,
			       nr_threads > 1 ? " --threads N (racy: may need repeats)" : "");
			print_seq_log(40);
			ok = false;
			done++;
			break;
		}
	}
	alarm(0);
	dt = now() - t0;
	printf("# %" PRIu64 " sequences, %" PRIu64 " calls in %.2f s: %.0f calls/s, %u thread%s\n",
	       done, seq_calls, dt, dt > 0 ? (double)seq_calls / dt : 0.0,
	       nr_threads, nr_threads > 1 ? "s" : "");
	if (f1_hits)
		printf("# %" PRIu64 " sequences hit docs/FINDINGS.md F1 or F3 (a zap racing MR.FINALIZE/MR.EXTEND or FINALIZE bugs the VM: upstream behaviour)\n",
		       f1_hits);
	if (verbose)
		for (i = 0; i < NR_OPS; i++)
			printf("#   %-12s %8" PRIu64 " %10.1f us each\n", ops[i].name,
			       op_counts[i], op_counts[i] ? (double)op_ns[i] / 1e3 / (double)op_counts[i] : 0.0);
	if (verbose)
		tally_print();
	printf("%s 1 - uapi_seq seeds %" PRIu64 "..%" PRIu64 "\n",
	       ok ? "ok" : "not ok", seed, seed + done - 1);
	tdxsim_close(sys_fd);
	return ok ? 0 : 1;
}
