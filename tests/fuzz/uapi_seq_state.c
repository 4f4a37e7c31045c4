// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * uapi_seq: the sequence's tables (objects, mappings), the first failure,
 * the errno check of each call, and the pickers of descriptors, pointers,
 * GPAs and sizes.
 */
#include "uapi_seq.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <stdarg.h>

const char *const okind_name[O_NR] = {
	"free", "sys", "vm", "vcpu", "gmem",
};

bool verbose;

void seq_fail(struct seq *s, const char *fmt, ...)
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

void tally_print(void)
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

/*
 * Check one call's answer: a negative result's errno must be in @ok (with
 * several threads, a descriptor number may have been closed or reused by
 * another kind of object meanwhile: EBADF and the other kinds' "not mine"
 * answers are fine too).
 */
void chk(struct thr *t, const char *what, long r, eset_t ok)
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
int pick_fd(struct thr *t, enum okind kind, int *slot)
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

struct obj obj_get(struct seq *s, int slot)
{
	struct obj o;

	pthread_mutex_lock(&s->lock);
	o = s->obj[slot];
	pthread_mutex_unlock(&s->lock);
	return o;
}

void obj_add(struct seq *s, enum okind kind, int fd, unsigned int type,
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

bool obj_room(struct seq *s)
{
	int i, n = 0;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < MAX_OBJ; i++)
		n += s->obj[i].kind == O_FREE;
	pthread_mutex_unlock(&s->lock);
	return n > 2;
}

/* A pointer for a struct of @len bytes: mostly @good, sometimes garbage. */
void *ptr(struct thr *t, void *good, size_t len)
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
void *ptr_exact(struct thr *t, void *good, size_t len)
{
	void *p = ptr(t, good, len);

	/* Not the shifted copy: its code pointers would be garbage. */
	if (p && p != good && (uintptr_t)p % 8 == 1)
		return good;
	return p;
}

uint64_t gpa_pick(struct thr *t)
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

uint64_t size_pick(struct thr *t)
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

/* The address of a mapping of the sequence (NULL if none) and its length. */
void *any_map(struct thr *t, size_t *len)
{
	struct seq *s = t->s;
	void *addr = NULL;
	int i, n = 0;

	*len = 0;
	pthread_mutex_lock(&s->lock);
	for (i = 0; i < MAX_MAP; i++) {
		if (s->map[i].addr && rn(&t->rng, ++n) == 0) {
			addr = s->map[i].addr;
			*len = s->map[i].len;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return addr;
}

/*
 * The size of a memslot whose user memory starts at @uaddr (@map_len: a
 * mapping of the sequence there, 0 if none). A memslot that KVM accepts
 * makes [uaddr, uaddr + size) the guest's shared memory: the guest's
 * shared writes and KVM's copies reach it through the kernel
 * (process_vm_writev/readv), which no sanitizer sees. Reaching past the
 * memory the fuzzer keeps for that (its 8M buffer and the reservation
 * after it, a mapping of its own, the reserved "unmapped" range, the first
 * 64K where nothing is ever mapped) would let the guest write into
 * whatever the process has there, the heap of tdxsim included (a kvm_run
 * mapping's bytes are tdxsim's allocation, and the next ones its heap):
 * Linux would let a VMM corrupt itself the same way. So an accepted size
 * is cut to the end of that memory; sizes KVM refuses (misaligned, too
 * many pages, past the user address space) stay as they are.
 */
uint64_t slot_user_size(uint64_t uaddr, uint64_t size, size_t map_len)
{
	const uint64_t task_size = (1ULL << 47) - PAGE;
	uint64_t end;

	if (!size || (size & (PAGE - 1)) || (uaddr & (PAGE - 1)) ||
	    uaddr + size < uaddr || uaddr + size > task_size ||
	    (size >> 12) > (1ULL << 31) - 1)
		return size;		/* deleted or refused */
	if (map_len)
		end = uaddr + ((map_len + PAGE - 1) & ~(PAGE - 1));
	else if (uaddr >= (uintptr_t)umem && uaddr < (uintptr_t)umem_end)
		end = (uintptr_t)umem_end;
	else if (uaddr >= (uintptr_t)unmapped &&
		 uaddr < (uintptr_t)unmapped_end)
		end = (uintptr_t)unmapped_end;
	else if (uaddr < 0x10000)
		end = 0x10000;
	else
		return size;
	return uaddr + size > end ? end - uaddr : size;
}

struct kvm_run *find_run(struct thr *t)
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

void map_add(struct seq *s, void *addr, size_t len, bool run,
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
