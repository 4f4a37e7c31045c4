// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A plain /dev/kvm program (its own uAPI copy, linux-kvm.h, plus the two
 * definitions of guest_memfd in-place conversion v8 below) that touches
 * its mapping of a TD's guest_memfd directly, run under `tdxsim exec
 * --kernel next+gmem-inplace`. As under the kernel of the series:
 *  - a load or store of a private page is SIGBUS, si_code BUS_ADRERR,
 *    si_addr the address touched, delivered in the faulting context (a
 *    handler that returns meets the access again);
 *  - so is a page beyond the file's end;
 *  - the program's own SIGSEGV handler, installed after the mapping, still
 *    gets the SIGSEGV of its own protected page;
 *  - a page converted to shared (KVM_SET_MEMORY_ATTRIBUTES2) is mapped by
 *    the fault (kvm_gmem_fault_user_mapping()): loads and stores run, and
 *    a second mapping of the file sees the same bytes; a read-only mapping
 *    refuses a store (SIGSEGV);
 *  - converted back to private the page leaves both mappings (SIGBUS
 *    again), and shared once more it is readable with the bytes it had
 *    (in-place: a conversion keeps the contents);
 *  - a hole punched in a mapped shared page takes it away: the next load
 *    faults in a new, zeroed page;
 *  - munmap() of part of a mapping splits it (split_checks());
 *  - a page poisoned (MADV_HWPOISON) leaves the mapping: SIGBUS
 *    BUS_MCEERR_AR (poison_checks());
 *  - prctl(PR_MCE_KILL) answers as kernel/sys.c, and with
 *    PR_MCE_KILL_EARLY a failure of a mapped, written page is SIGBUS
 *    BUS_MCEERR_AO at once (early_kill_checks()).
 * Exit status 0 when every check held; otherwise 1 and the failed check on
 * stderr.
 *
 * gmemprobe --sysctl and --thread: the early kill's policy (below).
 * gmemprobe --die: a load of a private page with SIGBUS at its default
 * action (the process dies of SIGBUS). gmemprobe --blocked: the same with
 * SIGBUS blocked (the kernel's force_sig_fault() unblocks it: dies too).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "linux-kvm.h"

/* guest_memfd in-place conversion v8. */
struct kvm_memory_attributes2 {
	uint64_t offset, size, attributes, flags, error_offset;
	uint64_t reserved[11];
};
#define KVM_SET_MEMORY_ATTRIBUTES2 \
	_IOWR(KVMIO, 0xd2, struct kvm_memory_attributes2)
#define KVM_CAP_GUEST_MEMFD_MEMORY_ATTRIBUTES	250
#define GUEST_MEMFD_FLAG_MMAP			(1ull << 0)

#define PG	4096ul
#define SIZE	(16 * PG)

static int failures;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "gmemprobe: %s:%d: %s (errno %d)\n",	\
			__FILE__, __LINE__, #cond, errno);		\
		failures++;						\
	}								\
} while (0)

static sigjmp_buf env;
static volatile sig_atomic_t bus_count, segv_count, bus_code, segv_code;
static volatile sig_atomic_t bus_lsb;
static void *volatile bus_addr, *volatile segv_addr;
static volatile sig_atomic_t bus_returns;	/* return this many times */

static void on_bus(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	bus_count++;
	bus_code = si->si_code;
	bus_addr = si->si_addr;
	bus_lsb = si->si_code == BUS_MCEERR_AR || si->si_code == BUS_MCEERR_AO ?
		  si->si_addr_lsb : 0;
	if (bus_returns > 0) {
		bus_returns--;
		return;		/* the access runs again and faults again */
	}
	siglongjmp(env, 1);
}

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	segv_count++;
	segv_code = si->si_code;
	segv_addr = si->si_addr;
	siglongjmp(env, 2);
}

/* Touch @p (a load or a store): 0, or 1 for SIGBUS, 2 for SIGSEGV. */
static int touch(volatile uint8_t *p, bool store)
{
	int r;

	bus_count = segv_count = 0;
	bus_addr = segv_addr = NULL;
	r = sigsetjmp(env, 1);
	if (r)
		return r;
	if (store)
		*p = 0x5a;
	else
		(void)*p;
	return 0;
}

static int convert(int gmem, uint64_t off, bool private)
{
	struct kvm_memory_attributes2 a = {
		.offset = off,
		.size = PG,
		.attributes = private ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0,
	};

	return ioctl(gmem, KVM_SET_MEMORY_ATTRIBUTES2, &a);
}

/*
 * munmap() of part of a mapping splits it: the head, the tail and the
 * middle go (SIGSEGV there, the addresses free for the program's own
 * mappings), the rest still maps the file at its offsets; a conversion
 * or a punch later zaps only what remains (the program's memory in a
 * hole keeps its bytes); a munmap across pieces and the program's own
 * memory unmaps them all.
 */
static void split_checks(int gmem)
{
	volatile uint8_t *m;
	uint8_t *own;
	int k;

	m = mmap(NULL, 8 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, gmem, 0);
	CHECK(m != MAP_FAILED);
	if (m == MAP_FAILED)
		return;
	for (k = 1; k <= 5; k++) {
		if (k > 1)
			CHECK(convert(gmem, k * PG, false) == 0);
		CHECK(touch(m + k * PG, true) == 0);
		m[k * PG + 1] = k;
	}
	CHECK(munmap((void *)m, PG) == 0);		/* the head */
	CHECK(munmap((void *)(m + 7 * PG), PG) == 0);	/* the tail */
	CHECK(munmap((void *)(m + 3 * PG), PG) == 0);	/* the middle */
	CHECK(touch(m, false) == 2 && segv_code == SEGV_MAPERR);
	CHECK(touch(m + 7 * PG + 8, false) == 2 && segv_addr == m + 7 * PG + 8);
	CHECK(touch(m + 3 * PG, true) == 2 && segv_code == SEGV_MAPERR);
	/* The pieces: their pages at the same offsets, still mapped. */
	for (k = 1; k <= 5; k++) {
		if (k == 3)
			continue;
		CHECK(touch(m + k * PG, false) == 0 && m[k * PG + 1] == k);
	}
	CHECK(touch(m + 6 * PG, false) == 1);		/* private: SIGBUS */
	/* The holes are the program's to map again. */
	own = mmap((void *)(m + 3 * PG), PG, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	CHECK(own == (uint8_t *)(m + 3 * PG));
	if (own == (uint8_t *)(m + 3 * PG))
		own[1] = 0x77;
	/* Private again, then punched: zapped in the pieces only. */
	CHECK(convert(gmem, 2 * PG, true) == 0);
	CHECK(convert(gmem, 3 * PG, true) == 0);
	CHECK(convert(gmem, 4 * PG, true) == 0);
	CHECK(touch(m + 2 * PG, false) == 1 && bus_addr == m + 2 * PG);
	CHECK(touch(m + 4 * PG, false) == 1);
	CHECK(touch(m + 3 * PG + 1, false) == 0 && m[3 * PG + 1] == 0x77);
	CHECK(fallocate(gmem, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE, 0,
			8 * PG) == 0);
	CHECK(touch(m + 3 * PG + 1, false) == 0 && m[3 * PG + 1] == 0x77);
	CHECK(touch(m + 5 * PG + 1, false) == 0 && m[5 * PG + 1] == 0);
	/* Across the pieces and the program's page: everything goes. */
	CHECK(munmap((void *)m, 8 * PG) == 0);
	CHECK(touch(m + PG, false) == 2 && segv_code == SEGV_MAPERR);
	CHECK(touch(m + 3 * PG, false) == 2 && segv_code == SEGV_MAPERR);
	CHECK(touch(m + 5 * PG, false) == 2 && segv_code == SEGV_MAPERR);
}

/*
 * madvise(MADV_HWPOISON) of @p's page: 0 when it returned with no signal,
 * 1 when a SIGBUS came (the early kill: bus_code, bus_addr, bus_lsb).
 */
static int poison(volatile uint8_t *p)
{
	int r;

	bus_count = 0;
	bus_addr = NULL;
	bus_code = 0;
	r = sigsetjmp(env, 1);
	if (r)
		return r;
	CHECK(madvise((void *)p, PG, MADV_HWPOISON) == 0);
	return 0;
}

/*
 * madvise(MADV_HWPOISON) of a mapped shared page (tdxsim's memory
 * failure): the page leaves the mapping and the next access is SIGBUS
 * BUS_MCEERR_AR, si_addr_lsb 12; the page next to it stays mapped. The
 * process has no early-kill policy (and the sysctl is off): no signal
 * at the failure itself.
 */
static void poison_checks(int gmem, volatile uint8_t *map)
{
	CHECK(prctl(PR_MCE_KILL_GET, 0, 0, 0, 0) == PR_MCE_KILL_DEFAULT);
	CHECK(convert(gmem, 10 * PG, false) == 0);
	CHECK(convert(gmem, 11 * PG, false) == 0);
	CHECK(touch(map + 10 * PG, true) == 0);
	CHECK(touch(map + 11 * PG, true) == 0);
	CHECK(poison(map + 10 * PG) == 0 && !bus_count);
	CHECK(touch(map + 10 * PG + 3, false) == 1);
	CHECK(bus_code == BUS_MCEERR_AR && bus_addr == map + 10 * PG + 3 &&
	      bus_lsb == 12);
	CHECK(touch(map + 10 * PG, true) == 1 && bus_code == BUS_MCEERR_AR);
	CHECK(touch(map + 11 * PG, false) == 0 && map[11 * PG] == 0x5a);
	/* A private page cannot be pinned for the injection. */
	CHECK(madvise((void *)(map + 12 * PG), PG, MADV_HWPOISON) == -1 &&
	      errno == EFAULT);
}

/*
 * prctl(PR_MCE_KILL) as kernel/sys.c answers it, and the early kill: with
 * PR_MCE_KILL_EARLY a memory failure of a page the program has mapped and
 * written is SIGBUS BUS_MCEERR_AO at once, si_addr the page's address in
 * the mapping, si_addr_lsb 12, and a later access is still BUS_MCEERR_AR;
 * with PR_MCE_KILL_LATE, or a page not mapped, no signal.
 */
static void early_kill_checks(int gmem, volatile uint8_t *map)
{
	errno = 0;
	CHECK(prctl(PR_MCE_KILL, 9, 0, 0, 0) == -1 && errno == EINVAL);
	CHECK(prctl(PR_MCE_KILL, PR_MCE_KILL_CLEAR, 1, 0, 0) == -1 &&
	      errno == EINVAL);
	CHECK(prctl(PR_MCE_KILL, PR_MCE_KILL_SET, PR_MCE_KILL_EARLY, 1, 0) ==
	      -1 && errno == EINVAL);
	CHECK(prctl(PR_MCE_KILL_GET, 1, 0, 0, 0) == -1 && errno == EINVAL);
	CHECK(prctl(PR_MCE_KILL_GET, 0, 0, 0, 0) == PR_MCE_KILL_DEFAULT);
	/* A bad policy still marks the thread (late, PF_MCE_EARLY clear). */
	CHECK(prctl(PR_MCE_KILL, PR_MCE_KILL_SET, 7, 0, 0) == -1 &&
	      errno == EINVAL);
	CHECK(prctl(PR_MCE_KILL_GET, 0, 0, 0, 0) == PR_MCE_KILL_LATE);
	CHECK(prctl(PR_MCE_KILL, PR_MCE_KILL_CLEAR, 0, 0, 0) == 0);
	CHECK(prctl(PR_MCE_KILL_GET, 0, 0, 0, 0) == PR_MCE_KILL_DEFAULT);

	/* Late: nothing at the failure. */
	CHECK(prctl(PR_MCE_KILL, PR_MCE_KILL_SET, PR_MCE_KILL_LATE, 0, 0) == 0);
	CHECK(prctl(PR_MCE_KILL_GET, 0, 0, 0, 0) == PR_MCE_KILL_LATE);
	CHECK(convert(gmem, 13 * PG, false) == 0);
	CHECK(touch(map + 13 * PG, true) == 0);
	CHECK(poison(map + 13 * PG) == 0 && !bus_count);

	/* Early: SIGBUS BUS_MCEERR_AO at the failure. */
	CHECK(prctl(PR_MCE_KILL, PR_MCE_KILL_SET, PR_MCE_KILL_EARLY, 0, 0) ==
	      0);
	CHECK(prctl(PR_MCE_KILL_GET, 0, 0, 0, 0) == PR_MCE_KILL_EARLY);
	CHECK(convert(gmem, 14 * PG, false) == 0);
	CHECK(touch(map + 14 * PG + 5, true) == 0);
	CHECK(poison(map + 14 * PG) == 1 && bus_count == 1);
	CHECK(bus_code == BUS_MCEERR_AO && bus_addr == map + 14 * PG &&
	      bus_lsb == 12);
	/* ... and the access is still the late kill's. */
	CHECK(touch(map + 14 * PG + 5, false) == 1 &&
	      bus_code == BUS_MCEERR_AR && bus_addr == map + 14 * PG + 5);
	/* A poisoned page cannot be pinned for another injection. */
	CHECK(madvise((void *)(map + 14 * PG), PG, MADV_HWPOISON) == -1 &&
	      errno == EFAULT);
	/* A shared page never touched is not mapped: no early kill. */
	CHECK(convert(gmem, 15 * PG, false) == 0);
	CHECK(poison(map + 15 * PG) == 0 && !bus_count);
	CHECK(prctl(PR_MCE_KILL, PR_MCE_KILL_SET, PR_MCE_KILL_DEFAULT, 0, 0) ==
	      0);
}

/*
 * gmemprobe --sysctl, under `tdxsim exec --memory-failure-early-kill`: a
 * thread without a policy of its own takes the early kill, one that set
 * PR_MCE_KILL_LATE does not.
 */
static void sysctl_checks(int gmem, volatile uint8_t *map)
{
	CHECK(prctl(PR_MCE_KILL_GET, 0, 0, 0, 0) == PR_MCE_KILL_DEFAULT);
	CHECK(convert(gmem, 2 * PG, false) == 0);
	CHECK(convert(gmem, 3 * PG, false) == 0);
	CHECK(touch(map + 2 * PG, true) == 0);
	CHECK(touch(map + 3 * PG, true) == 0);
	CHECK(poison(map + 2 * PG) == 1 && bus_code == BUS_MCEERR_AO &&
	      bus_addr == map + 2 * PG && bus_lsb == 12);
	CHECK(prctl(PR_MCE_KILL, PR_MCE_KILL_SET, PR_MCE_KILL_LATE, 0, 0) == 0);
	CHECK(poison(map + 3 * PG) == 0 && !bus_count);
}

/*
 * gmemprobe --thread: the early-kill thread is not the one that ran the
 * memory failure (the main thread is late, a second thread early, as the
 * kernel's find_early_kill_thread() picks): the signal reaches the second
 * thread, with its si_code, si_addr and si_addr_lsb.
 */
static volatile int ao_code, ao_lsb, ao_tid, early_tid, early_ready;
static void *volatile ao_addr;

static void on_bus_ao(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	ao_addr = si->si_addr;
	ao_lsb = si->si_addr_lsb;
	ao_tid = (int)gettid();
	__atomic_store_n(&ao_code, si->si_code, __ATOMIC_RELEASE);
}

static void *early_thread(void *arg)
{
	(void)arg;
	early_tid = (int)gettid();
	CHECK(prctl(PR_MCE_KILL, PR_MCE_KILL_SET, PR_MCE_KILL_EARLY, 0, 0) ==
	      0);
	__atomic_store_n(&early_ready, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&ao_code, __ATOMIC_ACQUIRE))
		sched_yield();
	return NULL;
}

static void thread_checks(int gmem, volatile uint8_t *map)
{
	struct sigaction sa = { .sa_flags = SA_SIGINFO };
	pthread_t t;

	sa.sa_sigaction = on_bus_ao;
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGBUS, &sa, NULL) == 0);
	CHECK(prctl(PR_MCE_KILL, PR_MCE_KILL_SET, PR_MCE_KILL_LATE, 0, 0) == 0);
	CHECK(convert(gmem, 4 * PG, false) == 0);
	CHECK(touch(map + 4 * PG, true) == 0);
	CHECK(pthread_create(&t, NULL, early_thread, NULL) == 0);
	while (!__atomic_load_n(&early_ready, __ATOMIC_ACQUIRE))
		sched_yield();
	CHECK(madvise((void *)(map + 4 * PG), PG, MADV_HWPOISON) == 0);
	CHECK(pthread_join(t, NULL) == 0);
	CHECK(ao_code == BUS_MCEERR_AO && ao_addr == map + 4 * PG &&
	      ao_lsb == 12 && ao_tid == early_tid && ao_tid != (int)gettid());
}

int main(int argc, char **argv)
{
	struct kvm_create_guest_memfd g = {
		.size = SIZE, .flags = GUEST_MEMFD_FLAG_MMAP,
	};
	struct sigaction sa = { .sa_flags = SA_SIGINFO };
	int kvm, vm, gmem;
	volatile uint8_t *map, *map2, *ro;
	uint8_t *own;
	sigset_t bus;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	CHECK(kvm >= 0);
	vm = ioctl(kvm, KVM_CREATE_VM, KVM_X86_TDX_VM);
	CHECK(vm >= 0);
	CHECK(ioctl(vm, KVM_CHECK_EXTENSION,
		    KVM_CAP_GUEST_MEMFD_MEMORY_ATTRIBUTES) ==
	      KVM_MEMORY_ATTRIBUTE_PRIVATE);
	gmem = ioctl(vm, KVM_CREATE_GUEST_MEMFD, &g);
	CHECK(gmem >= 0);
	/* One page more than the file: the last is beyond its end. */
	map = mmap(NULL, SIZE + PG, PROT_READ | PROT_WRITE, MAP_SHARED, gmem,
		   0);
	CHECK(map != MAP_FAILED);
	if (failures)
		return 1;

	if (argc > 1 && !strcmp(argv[1], "--blocked")) {
		sigemptyset(&bus);
		sigaddset(&bus, SIGBUS);
		sigprocmask(SIG_BLOCK, &bus, NULL);
	}
	if (argc > 1 && !strcmp(argv[1], "--thread")) {
		thread_checks(gmem, map);
		return failures ? 1 : 0;
	}
	if (argc > 1 && strcmp(argv[1], "--sysctl")) {
		(void)*(volatile uint8_t *)(map + 0x10);
		fprintf(stderr, "gmemprobe: a private page was readable\n");
		return 1;
	}

	/* The program's handlers, installed after the mapping was made. */
	sa.sa_sigaction = on_bus;
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGBUS, &sa, NULL) == 0);
	sa.sa_sigaction = on_segv;
	CHECK(sigaction(SIGSEGV, &sa, NULL) == 0);

	if (argc > 1) {		/* --sysctl */
		sysctl_checks(gmem, map);
		return failures ? 1 : 0;
	}

	/* The guest_memfd starts private: loads and stores are SIGBUS. */
	CHECK(touch(map + 0x1234, false) == 1);
	CHECK(bus_code == BUS_ADRERR && bus_addr == map + 0x1234);
	CHECK(touch(map + 5 * PG + 8, true) == 1);
	CHECK(bus_code == BUS_ADRERR && bus_addr == map + 5 * PG + 8);
	/* A handler that returns meets the access again. */
	bus_returns = 2;
	CHECK(touch(map + 7 * PG, false) == 1 && bus_count == 3);
	/* Beyond the file's end: SIGBUS too. */
	CHECK(touch(map + SIZE + 4, false) == 1);
	CHECK(bus_code == BUS_ADRERR && bus_addr == map + SIZE + 4);

	/* The program's own SIGSEGV still comes to its handler. */
	own = mmap(NULL, PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(own != MAP_FAILED);
	CHECK(touch(own + 8, false) == 2 && !bus_count);
	CHECK(segv_code == SEGV_ACCERR && segv_addr == own + 8);

	/* Shared: mapped by the fault, loads and stores run. */
	CHECK(convert(gmem, PG, false) == 0);
	CHECK(touch(map + PG + 16, false) == 0 && !segv_count);
	CHECK(map[PG + 16] == 0);
	CHECK(touch(map + PG + 16, true) == 0);
	map[PG + 17] = 0xa5;
	CHECK(map[PG + 16] == 0x5a && map[PG + 17] == 0xa5);
	/* A second mapping of the file: the same page. */
	map2 = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, gmem, 0);
	CHECK(map2 != MAP_FAILED);
	CHECK(touch(map2 + PG + 16, false) == 0);
	CHECK(map2[PG + 16] == 0x5a && map2[PG + 17] == 0xa5);
	map2[PG + 18] = 0x3c;
	CHECK(map[PG + 18] == 0x3c);
	/* A read-only mapping: loads run, a store is the kernel's SIGSEGV. */
	ro = mmap(NULL, 2 * PG, PROT_READ, MAP_SHARED, gmem, 0);
	CHECK(ro != MAP_FAILED);
	CHECK(touch(ro + PG + 16, false) == 0 && ro[PG + 17] == 0xa5);
	CHECK(touch(ro + PG + 16, true) == 2 && !bus_count);
	CHECK(segv_code == SEGV_ACCERR && segv_addr == ro + PG + 16);
	/* Private again: gone from every mapping, SIGBUS again. */
	CHECK(convert(gmem, PG, true) == 0);
	CHECK(touch(map + PG + 16, true) == 1);
	CHECK(bus_code == BUS_ADRERR && bus_addr == map + PG + 16);
	CHECK(touch(map2 + PG + 16, false) == 1);
	CHECK(bus_code == BUS_ADRERR && bus_addr == map2 + PG + 16);
	CHECK(touch(ro + PG, false) == 1);
	/* Shared once more: in place, the bytes are still there. */
	CHECK(convert(gmem, PG, false) == 0);
	CHECK(touch(map2 + PG + 17, false) == 0 && map2[PG + 17] == 0xa5);
	CHECK(map[PG + 16] == 0x5a && map[PG + 18] == 0x3c);
	/* A hole punched: the page leaves, the next load gets a new one. */
	CHECK(fallocate(gmem, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE, PG,
			PG) == 0);
	CHECK(touch(map + PG + 16, false) == 0);
	CHECK(map[PG + 16] == 0 && map2[PG + 17] == 0 && ro[PG + 18] == 0);
	CHECK(munmap((void *)ro, 2 * PG) == 0);
	CHECK(munmap((void *)map2, 2 * PG) == 0);
	split_checks(gmem);
	poison_checks(gmem, map);
	early_kill_checks(gmem, map);

	CHECK(munmap((void *)map, SIZE + PG) == 0);
	close(gmem);
	close(vm);
	close(kvm);
	if (!failures)
		printf("gmemprobe: shared pages mapped, SIGBUS for private pages and beyond the end, the program's SIGSEGV kept\n");
	return failures ? 1 : 0;
}
