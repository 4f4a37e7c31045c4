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
#include "uapi_seq.h"

#include "tdxsim/report.h"
#include "tdxsim/tdx.h"

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

uint8_t *umem;
uint8_t *umem_end;
uint8_t *src;
uint8_t *edge;
void *unmapped;
uint8_t *unmapped_end;
static uint64_t op_counts[64];
static uint64_t op_ns[64];

struct op {
	const char *name;
	unsigned int weight;
	void (*fn)(struct thr *t);
};

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
 * never from the log. Returns which finding: 1 or 3, 0 for none.
 */
static unsigned int vm_hit_finding(int vm)
{
	struct tdxsim_vm_failure f;
	uint64_t busy;
	uint32_t leaf;

	memset(&f, 0, sizeof(f));
	if (tdxsim_ioctl(vm, TDXSIM_GET_VM_FAILURE, &f) || !f.bugged ||
	    !f.seamcall_failures)
		return 0;
	leaf = f.first_seamcall.leaf;
	busy = f.first_seamcall.status & ~0xffffffffULL;
	if (leaf == TDH_MR_EXTEND)
		return 1;
	if (leaf == TDH_MEM_PAGE_REMOVE &&
	    f.first_seamcall.status == (TDX_TLB_TRACKING_NOT_DONE |
					TDX_OPERAND_ID_RCX))
		return !f.tracks &&
		       !strcmp(f.first_seamcall.func,
			       "tdx_sept_remove_private_spte") ? 3 : 0;
	return busy == TDX_OPERAND_BUSY &&
	       (leaf == TDH_MEM_RANGE_BLOCK || leaf == TDH_MEM_PAGE_REMOVE ||
		leaf == TDH_MEM_TRACK || leaf == TDH_MR_FINALIZE) ? 1 : 0;
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
/* Sequences that hit FINDINGS.md F1, F3. */
static uint64_t f1_hits, f3_hits;

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
		unsigned int finding;
		long r;

		if (s.obj[i].kind != O_VM)
			continue;
		finding = s.mt ? vm_hit_finding(s.obj[i].fd) : 0;
		if (finding) {
			s.finding |= 1U << finding;
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
	/* No VM is left to reach them: the address ranges may go now. */
	for (i = 0; i < MAX_HOLE; i++)
		if (s.hole[i].addr)
			munmap(s.hole[i].addr, s.hole[i].len);
	for (i = 0; i < s.nr_guests; i++)
		tdxsim_guest_destroy(s.guest[i]);

	module_stats(&ms1, &hm1);
	f1_hits += !!(s.finding & (1U << 1));
	f3_hits += !!(s.finding & (1U << 3));
	if (s.injected || s.finding) {
		/* An injected failure (or F1/F3) may leak pages on purpose. */
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

/* @len bytes of address space, nothing accessible (MAP_NORESERVE). */
static uint8_t *reserve(uint64_t len)
{
	void *p = mmap(NULL, len, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	return p;
}

static void setup_buffers(void)
{
	uint8_t *p;

	/*
	 * umem: 8M of memory, then reserved address space up to USER_RESV,
	 * so that a memslot over umem never reaches memory the process uses
	 * for something else (slot_user_size()).
	 */
	umem = reserve(USER_RESV);
	umem_end = umem + USER_RESV;
	src = mmap(NULL, SRC_PAGES * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	p = reserve(PAGE + USER_RESV);
	if (src == MAP_FAILED ||
	    mprotect(umem, UMEM_SIZE, PROT_READ | PROT_WRITE) ||
	    mprotect(p, PAGE, PROT_READ | PROT_WRITE)) {
		perror("mmap");
		exit(1);
	}
	memset(src, 0x3c, SRC_PAGES * PAGE);
	/*
	 * [p, p+4K) mapped; the rest inaccessible (PROT_NONE, so that no
	 * later mapping, a guest_memfd one of tdxsim_mmap() say, lands there
	 * and turns the "unmapped" pointer into a valid one).
	 */
	edge = p;
	unmapped = p + 2 * PAGE;
	unmapped_end = p + PAGE + USER_RESV;
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
	if (!verbose) {
		/*
		 * The kernel's messages go to a file kept for one sequence
		 * (printed when it fails); verdicts are from data. The lock
		 * validator's reports go there too: a hang's says who held
		 * the lock and what it was doing.
		 */
		seq_log = tmpfile();
		if (seq_log)
			tdxsim_log_set_stream(seq_log);
	}
	/* Reports are counted; printed only into the sequence's log. */
	tdxsim_set_reports_quiet(!seq_log);
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
			print_seq_log(80);
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
	if (f1_hits || f3_hits)
		printf("# sequences that met docs/FINDINGS.md's upstream windows: F1 %" PRIu64 " (a zap racing MR.FINALIZE/MR.EXTEND), F3 %" PRIu64 " (FINALIZE between a zap's BLOCK and TRACK)\n",
		       f1_hits, f3_hits);
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
