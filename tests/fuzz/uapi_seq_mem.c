// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * uapi_seq's vCPU runs (random guest programs, KVM_RUN) and guest_memfd
 * memory: mmap, munmap, host accesses, fallocate and punches.
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

void op_set_guest(struct thr *t)
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

void op_run(struct thr *t)
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

#define MMAP_ERRNOS	(E(EINVAL) | E(ENODEV) | E(EBADF) | E(ENOMEM) | \
			 E(EACCES) | E(EPERM) | E(EOVERFLOW) | E(ENXIO))

/*
 * A vCPU's kvm_run page, which op_run() writes directly. The vCPU is
 * picked, mapped and recorded under the sequence's lock: op_close() takes
 * an object out of the table before it closes its fd, so the fd stays the
 * vCPU's meanwhile. Picked without the lock, the fd could be closed by
 * another thread and its number taken by a new guest_memfd, whose mapping
 * (address space only: PROT_NONE) was then recorded and written as a run
 * page: the fuzzer's own SIGSEGV (docs/FINDINGS.md). Once in four, a
 * descriptor of any kind or garbage, mapped and never recorded.
 */
static void op_mmap_run(struct thr *t)
{
	size_t len = chance(&t->rng, 90) ? sizeof(struct kvm_run) :
					   size_pick(t);
	struct seq *s = t->s;
	int i, n = 0, fd = -1;
	bool failed;
	void *p;

	if (len > (64ULL << 20))
		len = 64ULL << 20;
	if (chance(&t->rng, 4)) {
		p = tdxsim_mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
				pick_fd(t, O_FREE, NULL), 0);
		chk(t, "mmap(vcpu)", p == MAP_FAILED ? -1 : 0, MMAP_ERRNOS);
		if (p != MAP_FAILED)
			tdxsim_munmap(p, len);
		return;
	}
	pthread_mutex_lock(&s->lock);
	for (i = 0; i < MAX_OBJ; i++)
		if (s->obj[i].kind == O_VCPU && rn(&t->rng, ++n) == 0)
			fd = s->obj[i].fd;
	p = fd < 0 ? MAP_FAILED :
	    tdxsim_mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	failed = p == MAP_FAILED;
	for (i = 0; p != MAP_FAILED && len >= sizeof(struct kvm_run) &&
		    i < MAX_MAP; i++) {
		if (!s->map[i].addr) {
			s->map[i] = (struct map){ p, len, true, 0 };
			p = MAP_FAILED;		/* recorded */
		}
	}
	pthread_mutex_unlock(&s->lock);
	if (fd >= 0)
		chk(t, "mmap(vcpu)", failed ? -1 : 0, MMAP_ERRNOS);
	if (p != MAP_FAILED)
		tdxsim_munmap(p, len);
}

void op_mmap(struct thr *t)
{
	int slot, fd;
	size_t len;
	off_t off = 0;
	int prot = PROT_READ | PROT_WRITE, flags = MAP_SHARED;
	void *p;
	struct obj o = { 0 };

	if (chance(&t->rng, 40)) {
		op_mmap_run(t);
		return;
	}
	fd = pick_fd(t, O_GMEM, &slot);
	if (slot >= 0)
		o = obj_get(t->s, slot);
	len = o.size && chance(&t->rng, 80) ? o.size : size_pick(t);
	if (len > (64ULL << 20))
		len = 4ULL << 20;
	if (chance(&t->rng, 10))
		off = (off_t)(size_pick(t) & 0x3fffffffffffULL);
	if (chance(&t->rng, 5))
		flags = MAP_PRIVATE;
	if (chance(&t->rng, 5))
		prot = PROT_READ;
	p = tdxsim_mmap(NULL, len, prot, flags, fd, off);
	chk(t, "mmap(guest_memfd)", p == MAP_FAILED ? -1 : 0, MMAP_ERRNOS);
	if (p == MAP_FAILED)
		return;
	map_add(t->s, p, len, false, len);
}

static void hole_add(struct seq *s, void *addr, size_t len)
{
	void *p;
	int i;

	len = (len + PAGE - 1) & ~(PAGE - 1);
	p = mmap(addr, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
		 MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
	if (p == MAP_FAILED)
		return;		/* taken meanwhile: nothing to keep */
	if (p != addr) {	/* a kernel without MAP_FIXED_NOREPLACE */
		munmap(p, len);
		return;
	}
	pthread_mutex_lock(&s->lock);
	for (i = 0; i < MAX_HOLE; i++) {
		if (!s->hole[i].addr) {
			s->hole[i] = (struct hole){ addr, len };
			addr = NULL;
			break;
		}
	}
	pthread_mutex_unlock(&s->lock);
	if (addr)
		munmap(addr, len);
}

void op_munmap(struct thr *t)
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
	/*
	 * A memslot may still name these addresses as its user memory (a
	 * VMM that unmapped it: the guest's shared accesses fault). Keep the
	 * range reserved until the sequence's end, so that the process's
	 * heap (glibc's arenas and large blocks, tdxsim's included) is never
	 * placed where the guest can still write.
	 */
	hole_add(s, m.addr, m.len);
}

void op_host_access(struct thr *t)
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

void op_fallocate(struct thr *t)
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
