/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * uapi_seq's shared parts (uapi_seq.c is the driver; README there): the
 * sequence's objects and their tables, the errno sets, the random numbers
 * and the argument pickers (uapi_seq_state.c), and the operations, one
 * file per kind of descriptor they mostly hit: /dev/kvm and VMs
 * (uapi_seq_kvm.c), TDX commands and launches (uapi_seq_tdx.c), vCPU runs
 * and guest_memfd memory (uapi_seq_mem.c).
 */
#ifndef TDXSIM_TESTS_FUZZ_UAPI_SEQ_H
#define TDXSIM_TESTS_FUZZ_UAPI_SEQ_H

#include "tdxsim/guest.h"
#include "tdxsim/kvm.h"
#include "tdxsim/tdxsim.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PAGE		4096ULL
#define MAX_OBJ		24
#define MAX_MAP		16
#define MAX_HOLE	64
#define MAX_GUEST	8
#define MAX_THREADS	8
#define UMEM_SIZE	(8ULL << 20)
/*
 * Address space reserved (PROT_NONE) with umem and with the "unmapped"
 * pointer: a memslot of any accepted size at those addresses covers
 * memory the fuzzer keeps for it, never the process's heap (see
 * slot_user_size()).
 */
#define USER_RESV	(4ULL << 30)
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

static inline uint64_t rnd(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static inline unsigned int rn(uint64_t *s, unsigned int n)
{
	return n ? (unsigned int)(rnd(s) % n) : 0;
}

static inline bool chance(uint64_t *s, unsigned int pct)
{
	return rn(s, 100) < pct;
}

/* ---- the sequence's objects ---- */

enum okind { O_FREE, O_SYS, O_VM, O_VCPU, O_GMEM, O_NR };

extern const char *const okind_name[O_NR];

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

/* An unmapped mapping's address range, kept reserved until the end. */
struct hole {
	void *addr;
	size_t len;
};

struct seq {
	pthread_mutex_t lock;		/* the tables below, not the calls */
	struct obj obj[MAX_OBJ];
	struct map map[MAX_MAP];
	struct hole hole[MAX_HOLE];
	struct tdxsim_guest_model *guest[MAX_GUEST];
	unsigned int nr_guests;
	bool injected;			/* TDXSIM_INJECT_FAULT succeeded */
	unsigned int finding;		/* bit N: a VM bugged as FINDINGS.md FN */
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

/* Process-wide buffers, mapped once (uapi_seq.c). */
extern uint8_t *umem;			/* memslot user memory */
extern uint8_t *umem_end;		/* its reservation's end */
extern uint8_t *src;			/* INIT_MEM_REGION source */
extern uint8_t *edge;			/* a page followed by an unmapped one */
extern void *unmapped;			/* an address with nothing mapped */
extern uint8_t *unmapped_end;		/* its reservation's end */
extern bool verbose;			/* --verbose: tally every answer */

/* ---- uapi_seq_state.c ---- */

/* Record the sequence's first failure. */
void seq_fail(struct seq *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Check one call's answer against @ok (see there); counts the call. */
void chk(struct thr *t, const char *what, long r, eset_t ok);
/* --verbose: print each call's answers. */
void tally_print(void);
/* A descriptor of @kind (or any kind, or a stale number); -1 if none. */
int pick_fd(struct thr *t, enum okind kind, int *slot);
struct obj obj_get(struct seq *s, int slot);
void obj_add(struct seq *s, enum okind kind, int fd, unsigned int type,
	     uint64_t size, uint64_t flags);
bool obj_room(struct seq *s);
/* A pointer for a struct of @len bytes: mostly @good, sometimes garbage. */
void *ptr(struct thr *t, void *good, size_t len);
void *ptr_exact(struct thr *t, void *good, size_t len);
uint64_t gpa_pick(struct thr *t);
uint64_t size_pick(struct thr *t);
/* A mapping (any / a vCPU's kvm_run) of the sequence, NULL if none. */
void *any_map(struct thr *t, size_t *len);
struct kvm_run *find_run(struct thr *t);
void map_add(struct seq *s, void *addr, size_t len, bool run, uint64_t size);
/* A memslot's size at @uaddr, cut to stay in memory kept for it. */
uint64_t slot_user_size(uint64_t uaddr, uint64_t size, size_t map_len);

/* ---- the operations ---- */

/* uapi_seq_kvm.c */
void op_open(struct thr *t);
void op_sys(struct thr *t);
void op_create_vm(struct thr *t);
void op_create_vcpu(struct thr *t);
void op_create_gmem(struct thr *t);
void op_memslot(struct thr *t);
void op_attrs(struct thr *t);
void op_prefault(struct thr *t);
void op_design(struct thr *t);
void op_check(struct thr *t);
void op_inject(struct thr *t);
void op_close(struct thr *t);
/* uapi_seq_tdx.c */
void op_tdx_vm(struct thr *t);
void op_tdx_vcpu(struct thr *t);
void op_launch(struct thr *t);
/* uapi_seq_mem.c */
void op_set_guest(struct thr *t);
void op_run(struct thr *t);
void op_mmap(struct thr *t);
void op_munmap(struct thr *t);
void op_host_access(struct thr *t);
void op_fallocate(struct thr *t);

#endif /* TDXSIM_TESTS_FUZZ_UAPI_SEQ_H */
