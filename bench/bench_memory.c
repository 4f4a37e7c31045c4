// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Issue 15's memory and speed figures, each as a ratio against a baseline
 * measured in the same run (A/B repetitions interleaved, medians), through
 * the VMM as `tdxsim run` launches a TD:
 *
 *  - teardown / run phase, eager-accept 1 GiB, 2 vCPUs   (goal <= 0.25)
 *  - teardown / run phase, lazy-accept 1 GiB, 2 vCPUs    (for the record)
 *  - 2 vCPUs vs 1, lazy-accept and eager-accept 1 GiB, whole launch
 *    (goal >= 1.8)
 *  - cost per accepted GiB: linux-boot, a 2 MiB working set, 4K and 2M
 *    folios; seconds per GiB (goals <= 0.5 s and <= 0.15 s), and the ratio
 *    to a same-run baseline: first touch of 64 MiB of fresh memory, per GiB
 *  - host metadata per 4K page in use (goal <= 32 B) and resident after
 *    teardown (goal 0)
 *  - MRTD measurement of OVMF.fd (or the built-in firmware) against a raw
 *    SHA-384 of the same bytes (goal >= 0.85)
 *
 *   bench_memory [--full | --measure N | --teardown N [MIB]]
 *                              (default: 256 MiB TDs and a 1 GiB linux-boot,
 *                               3 repetitions, within `make bench`'s time;
 *                               --full: 1 GiB TDs and a 4 GiB linux-boot;
 *                               --measure N: only the measurement, N
 *                               repetitions, for a profile;
 *                               --teardown N [MIB]: only the eager-accept
 *                               teardown / run row, N repetitions of a
 *                               MIB TD (default 1024), for a profile or an
 *                               A/B of two builds run alternately;
 *                               --scaling WORKLOAD N [MIB]: only the 2
 *                               vCPUs vs 1 row of WORKLOAD, N pairs of
 *                               MIB TDs, default 256)
 *
 * Nothing is asserted; the figures go to bench/README.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <openssl/evp.h>

#include "tdxsim/sched.h"
#include "tdxsim/tdvf.h"
#include "tdxsim/tdxsim.h"
#include "tdxsim/vmm.h"
#include "ulib/compiler.h"
#include "ulib/proc.h"

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* CPU time of the whole process: the figure a loaded machine spoils least. */
static u64 cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static u64 median(u64 *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return v[n / 2];
}

struct launch {
	struct tdxsim_vmm_config cfg;
	struct tdxsim_vmm_result res;
	bool run;
	int ret;
	u64 wall_ns;
	u64 cpu_ns;		/* the process's, all threads */
};

static int launch_fn(void *arg)
{
	struct launch *l = arg;

	l->ret = tdxsim_vmm_launch(&l->cfg, l->run, &l->res);
	return 0;
}

static void launch(struct launch *l, const char *workload, u64 memory,
		   unsigned int vcpus, bool huge, u64 working_set)
{
	struct tdxsim_sched_config sc;
	struct tdxsim_sched_result sr;
	u64 t0;

	tdxsim_vmm_config_init(&l->cfg);
	l->cfg.memory = memory;
	l->cfg.nr_vcpus = vcpus;
	l->cfg.workload = workload;
	l->cfg.working_set = working_set;
	/*
	 * 2M folios that are also mapped and accepted at 2M: the huge-page
	 * series' kernel (gmem_hugepages alone gives 2M folios that KVM maps
	 * at 4K, and the guest's 2M accepts all fall back to 4K).
	 */
	if (huge && tdxsim_vmm_config_set_kernel(&l->cfg, TDXSIM_KERNEL_DEFAULT
						 "+hugepage-rfc", NULL, 0)) {
		fprintf(stderr, "bench_memory: no %s+hugepage-rfc kernel\n",
			TDXSIM_KERNEL_DEFAULT);
		exit(1);
	}
	l->cfg.design.gmem_hugepages |= huge;
	l->cfg.quiet = true;
	l->run = true;
	tdxsim_sched_config_init(&sc);
	t0 = now_ns();
	l->cpu_ns = cpu_ns();
	if (tdxsim_sched_run(&sc, launch_fn, l, &sr) || l->ret) {
		fprintf(stderr, "bench_memory: %s: %s\n", workload,
			l->res.error[0] ? l->res.error : "the run failed");
		exit(1);
	}
	l->wall_ns = now_ns() - t0;
	l->cpu_ns = cpu_ns() - l->cpu_ns;
}

static void host_memory(struct tdxsim_host_memory *hm)
{
	int fd = tdxsim_open("/dev/kvm", 0);

	memset(hm, 0, sizeof(*hm));
	if (fd >= 0) {
		tdxsim_ioctl(fd, TDXSIM_GET_HOST_MEMORY, hm);
		tdxsim_close(fd);
	}
}

/* First touch of @bytes of fresh anonymous memory, CPU ns. */
static u64 touch_baseline(size_t bytes)
{
	u8 *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	u64 t0;

	if (p == MAP_FAILED)
		return 1;
	madvise(p, bytes, MADV_NOHUGEPAGE);
	t0 = cpu_ns();
	memset(p, 1, bytes);
	t0 = cpu_ns() - t0;
	munmap(p, bytes);
	return t0;
}

/* CPU time of a SHA-384 of @len bytes at @buf. */
static u64 sha384_ns(const u8 *buf, size_t len)
{
	unsigned char md[64];
	unsigned int mdlen;
	u64 t0 = cpu_ns();

	EVP_Digest(buf, len, md, &mdlen, EVP_sha384(), NULL);
	return cpu_ns() - t0;
}

/*
 * The byte stream TDH.MEM.PAGE.ADD and TDH.MR.EXTEND feed to the MRTD's
 * SHA-384 for @fw in the single-pass order: per page its 128-byte PAGE.ADD
 * buffer, then for an MR.EXTEND section 16 times a 128-byte buffer and 256
 * bytes of the page. Returns a malloc()ed buffer of *@len bytes or NULL.
 */
static u8 *mrtd_stream(const u8 *fw, size_t fw_len, size_t *len)
{
	struct tdxsim_tdvf_info info;
	char err[256];
	u8 page[PAGE_SIZE], *buf, *p;
	u64 adds, extends, pg, gpa;
	unsigned int i, c;

	if (tdxsim_tdvf_parse(fw, fw_len, &info, err, sizeof(err)))
		return NULL;
	tdxsim_tdvf_measure_counts(&info, &adds, &extends);
	*len = adds * 128 + extends * (128 + 256);
	p = buf = calloc(1, *len ? *len : 1);
	for (i = 0; buf && i < info.nr_sections; i++) {
		const struct tdxsim_tdvf_section *s = &info.sections[i];

		if (!tdxsim_tdvf_section_is_mapped(s) ||
		    (s->attributes & TDXSIM_TDVF_ATTR_PAGE_AUG))
			continue;
		for (pg = 0; pg < s->memory_data_size / PAGE_SIZE; pg++) {
			gpa = s->memory_address + pg * PAGE_SIZE;
			memcpy(p, "MEM.PAGE.ADD", 12);
			memcpy(p + 16, &gpa, 8);
			p += 128;
			if (!(s->attributes & TDXSIM_TDVF_ATTR_MR_EXTEND))
				continue;
			/* Only BFV and CFV carry image bytes; the rest is 0. */
			memset(page, 0, sizeof(page));
			if (s->type == TDXSIM_TDVF_SECTION_BFV ||
			    s->type == TDXSIM_TDVF_SECTION_CFV)
				tdxsim_tdvf_section_page(&info, fw, i, pg, page);
			for (c = 0; c < PAGE_SIZE / 256; c++) {
				u64 g = gpa + c * 256;

				memcpy(p, "MR.EXTEND", 9);
				memcpy(p + 16, &g, 8);
				memcpy(p + 128, page + c * 256, 256);
				p += 384;
			}
		}
	}
	tdxsim_tdvf_info_free(&info);
	return buf;
}

/*
 * `tdxsim measure` in process (TD creation, PAGE.ADD and MR.EXTEND of every
 * page, finalize, teardown) against a raw SHA-384 of the image's bytes and
 * against a SHA-384 of the bytes the measurement hashes (its floor).
 */
static void bench_measure(int reps)
{
	const char *fw_path = "/usr/share/ovmf/OVMF.fd";
	u64 *a = calloc(reps, 8), *b = calloc(reps, 8), *c = calloc(reps, 8);
	unsigned char md[64];
	unsigned int mdlen;
	struct launch l;
	size_t fw_len, st_len;
	char err[256];
	u8 *fw, *st;
	bool same, mapped;
	int i;

	/* Mapped as `tdxsim measure` maps it. */
	mapped = !tdxsim_tdvf_map_file(fw_path, &fw, &fw_len, err, sizeof(err));
	if (!mapped) {
		fw_path = "(built-in firmware)";
		if (tdxsim_tdvf_builtin_image(&fw, &fw_len))
			exit(1);
	}
	st = mrtd_stream(fw, fw_len, &st_len);
	if (!st)
		exit(1);
	for (i = 0; i < reps; i++) {
		struct tdxsim_sched_config sc;
		struct tdxsim_sched_result sr;

		a[i] = sha384_ns(fw, fw_len);
		c[i] = sha384_ns(st, st_len);
		tdxsim_vmm_config_init(&l.cfg);
		l.cfg.firmware = fw;
		l.cfg.firmware_size = fw_len;
		l.cfg.quiet = true;
		l.run = false;
		tdxsim_sched_config_init(&sc);
		b[i] = cpu_ns();
		if (tdxsim_sched_run(&sc, launch_fn, &l, &sr) || l.ret) {
			fprintf(stderr, "bench_memory: measure: %s\n",
				l.res.error);
			exit(1);
		}
		b[i] = cpu_ns() - b[i];
		tdxsim_vmm_result_free(&l.res);
	}
	EVP_Digest(st, st_len, md, &mdlen, EVP_sha384(), NULL);
	same = l.res.mrtd_valid && !memcmp(md, l.res.mrtd, 48);
	printf("measure %s (%zu bytes) vs raw SHA-384 of the same bytes: %.2f ms / %.2f ms = %.3f (goal >= 0.85; floor %.3f, the image's share of the bytes hashed)\n",
	       fw_path, fw_len, median(b, reps) / 1e6, median(a, reps) / 1e6,
	       (double)median(a, reps) / median(b, reps),
	       (double)fw_len / st_len);
	printf("measure vs SHA-384 of the %zu bytes the measurement hashes (the MRTD %s): %.2f ms / %.2f ms = %.3f; CPU time\n",
	       st_len, same ? "matches" : "DIFFERS", median(b, reps) / 1e6,
	       median(c, reps) / 1e6, (double)median(c, reps) / median(b, reps));
	free(st);
	if (mapped)
		tdxsim_tdvf_unmap_file(fw, fw_len);
	else
		free(fw);
	free(a);
	free(b);
	free(c);
}

/* Eager-accept teardown against the run phase, @reps TDs of @mem bytes. */
static void bench_teardown(int reps, u64 mem)
{
	u64 *a = calloc(reps, 8), *b = calloc(reps, 8), *e = calloc(reps, 8),
	    *f = calloc(reps, 8);
	struct tdxsim_host_memory hm;
	struct launch l;
	int i;

	for (i = 0; i < reps; i++) {
		launch(&l, "eager-accept", mem, 2, false, 0);
		a[i] = l.res.phase_ns[TDXSIM_VMM_PHASE_TEARDOWN];
		b[i] = l.res.phase_ns[TDXSIM_VMM_PHASE_RUN];
		e[i] = l.res.phase_cpu_ns[TDXSIM_VMM_PHASE_TEARDOWN];
		f[i] = l.res.phase_cpu_ns[TDXSIM_VMM_PHASE_RUN];
		tdxsim_vmm_result_free(&l.res);
	}
	host_memory(&hm);
	printf("teardown / run, eager-accept %llu MiB, 2 vCPUs, %d repetitions: wall %.3f s / %.3f s = %.3f (goal <= 0.25); CPU %.3f s / %.3f s = %.3f; metadata resident after teardown %llu B; madvise calls %llu\n",
	       (unsigned long long)(mem >> 20), reps, median(a, reps) / 1e9,
	       median(b, reps) / 1e9,
	       (double)median(a, reps) / median(b, reps),
	       median(e, reps) / 1e9, median(f, reps) / 1e9,
	       (double)median(e, reps) / median(f, reps),
	       (unsigned long long)hm.meta_bytes_resident,
	       (unsigned long long)hm.madvise_calls);
	free(a);
	free(b);
	free(e);
	free(f);
}

/* 1 vCPU against 2, whole launch, @reps interleaved pairs of @mem bytes. */
static void bench_scaling(const char *wl, int reps, u64 mem)
{
	u64 *a = calloc(reps, 8), *b = calloc(reps, 8), *c = calloc(reps, 8),
	    *d = calloc(reps, 8);
	struct launch l;
	int i;

	for (i = 0; i < reps; i++) {
		launch(&l, wl, mem, 1, false, 0);
		a[i] = l.wall_ns;
		c[i] = l.cpu_ns;
		tdxsim_vmm_result_free(&l.res);
		launch(&l, wl, mem, 2, false, 0);
		b[i] = l.wall_ns;
		d[i] = l.cpu_ns;
		tdxsim_vmm_result_free(&l.res);
	}
	/*
	 * The CPU time 2 vCPUs take for the work 1 does: 1.0 when the second
	 * vCPU costs nothing extra (no shared line bouncing, no spinning); it
	 * bounds the idle machine's speed-up to 2 / that.
	 */
	printf("2 vCPUs vs 1, %s %llu MiB: wall %.3f s / %.3f s = %.2fx (goal >= 1.8); CPU %.3f s vs %.3f s = %.2fx the 1-vCPU work\n",
	       wl, (unsigned long long)(mem >> 20), median(a, reps) / 1e9,
	       median(b, reps) / 1e9, (double)median(a, reps) / median(b, reps),
	       median(d, reps) / 1e9, median(c, reps) / 1e9,
	       (double)median(d, reps) / median(c, reps));
	free(a);
	free(b);
	free(c);
	free(d);
}

int main(int argc, char **argv)
{
	bool quick = !(argc > 1 && !strcmp(argv[1], "--full"));
	int reps = 3, i;
	u64 mem = quick ? 256ULL << 20 : 1ULL << 30;
	u64 boot_mem = quick ? 1ULL << 30 : 4ULL << 30;
	u64 a[8], b[8], c[8], d[8], e[8], f[8], g[8], h[8];
	struct tdxsim_host_memory hm;
	struct launch l;

	if (argc > 2 && !strcmp(argv[1], "--measure")) {
		bench_measure(atoi(argv[2]) > 0 ? atoi(argv[2]) : 1);
		return 0;
	}
	if (argc > 2 && !strcmp(argv[1], "--teardown")) {
		bench_teardown(atoi(argv[2]) > 0 ? atoi(argv[2]) : 1,
			       (argc > 3 && atoi(argv[3]) > 0 ?
					(u64)atoi(argv[3]) : 1024) << 20);
		return 0;
	}
	if (argc > 3 && !strcmp(argv[1], "--scaling")) {
		bench_scaling(argv[2], atoi(argv[3]) > 0 ? atoi(argv[3]) : 1,
			      (argc > 4 && atoi(argv[4]) > 0 ?
					(u64)atoi(argv[4]) : 256) << 20);
		return 0;
	}
	printf("bench_memory: medians of %d interleaved repetitions\n", reps);

	/* Teardown against the run phase. */
	for (i = 0; i < reps; i++) {
		launch(&l, "eager-accept", mem, 2, false, 0);
		a[i] = l.res.phase_ns[TDXSIM_VMM_PHASE_TEARDOWN];
		b[i] = l.res.phase_ns[TDXSIM_VMM_PHASE_RUN];
		e[i] = l.res.phase_cpu_ns[TDXSIM_VMM_PHASE_TEARDOWN];
		f[i] = l.res.phase_cpu_ns[TDXSIM_VMM_PHASE_RUN];
		tdxsim_vmm_result_free(&l.res);
		launch(&l, "lazy-accept", mem, 2, false, 0);
		c[i] = l.res.phase_ns[TDXSIM_VMM_PHASE_TEARDOWN];
		d[i] = l.res.phase_ns[TDXSIM_VMM_PHASE_RUN];
		g[i] = l.res.phase_cpu_ns[TDXSIM_VMM_PHASE_TEARDOWN];
		h[i] = l.res.phase_cpu_ns[TDXSIM_VMM_PHASE_RUN];
		tdxsim_vmm_result_free(&l.res);
	}
	/*
	 * CPU time too: a loaded machine stretches the wall clock of the
	 * two-thread run phase most. The run phase's CPU time is both vCPUs'
	 * sum, so on two idle cores its wall time is about half of it.
	 */
	printf("teardown / run, eager-accept %llu MiB, 2 vCPUs: wall %.3f s / %.3f s = %.3f (goal <= 0.25); CPU %.3f s / %.3f s = %.3f\n",
	       (unsigned long long)(mem >> 20), median(a, reps) / 1e9,
	       median(b, reps) / 1e9,
	       (double)median(a, reps) / median(b, reps),
	       median(e, reps) / 1e9, median(f, reps) / 1e9,
	       (double)median(e, reps) / median(f, reps));
	printf("teardown / run, lazy-accept %llu MiB, 2 vCPUs: wall %.3f s / %.3f s = %.3f; CPU %.3f s / %.3f s = %.3f\n",
	       (unsigned long long)(mem >> 20), median(c, reps) / 1e9,
	       median(d, reps) / 1e9,
	       (double)median(c, reps) / median(d, reps),
	       median(g, reps) / 1e9, median(h, reps) / 1e9,
	       (double)median(g, reps) / median(h, reps));

	/* Scaling: 1 vCPU against 2, whole launch. */
	bench_scaling("lazy-accept", reps, mem);
	bench_scaling("eager-accept", reps, mem);

	/* Cost per accepted GiB: linux-boot, a 2 MiB working set. */
	{
		u64 acc[2] = { 0, 0 };
		int huge;

		for (huge = 0; huge < 2; huge++) {
			for (i = 0; i < reps; i++) {
				c[i] = touch_baseline(64ULL << 20) *
				       (SZ_1G / (64ULL << 20));
				launch(&l, "linux-boot", boot_mem, 2, huge,
				       SZ_2M);
				a[i] = l.res.phase_ns[TDXSIM_VMM_PHASE_RUN] +
				       l.res.phase_ns[TDXSIM_VMM_PHASE_TEARDOWN];
				b[i] = l.res.phase_cpu_ns[TDXSIM_VMM_PHASE_RUN] +
				       l.res.phase_cpu_ns[TDXSIM_VMM_PHASE_TEARDOWN];
				acc[0] = l.res.guest.accepts_4k;
				acc[1] = l.res.guest.accepts_2m;
				tdxsim_vmm_result_free(&l.res);
			}
			printf("cost per accepted GiB, linux-boot %llu GiB, %s folios (%llu 4K and %llu 2M accepts; run + teardown): wall %.3f s/GiB (goal <= %s); CPU %.3f s/GiB, %.2fx the CPU time of a first touch of a GiB of fresh memory (%.3f s)\n",
			       (unsigned long long)(boot_mem >> 30),
			       huge ? "2M" : "4K",
			       (unsigned long long)acc[0],
			       (unsigned long long)acc[1],
			       median(a, reps) / 1e9 / (boot_mem >> 30),
			       huge ? "0.15" : "0.5",
			       median(b, reps) / 1e9 / (boot_mem >> 30),
			       (double)median(b, reps) / (boot_mem >> 30) /
				       median(c, reps),
			       median(c, reps) / 1e9);
		}
	}

	/* Host metadata. */
	launch(&l, "linux-boot", mem, 2, false, SZ_2M);
	tdxsim_vmm_result_free(&l.res);
	host_memory(&hm);
	printf("host metadata per 4K page in use: %llu B (goal <= 32); resident after teardown: %llu B (goal 0)\n",
	       (unsigned long long)hm.metadata_bytes_per_page,
	       (unsigned long long)hm.meta_bytes_resident);

	bench_measure(reps + 2);
	printf("peak RSS of this process: %.1f MiB\n",
	       proc_peak_rss_bytes() / 1048576.0);
	return 0;
}
