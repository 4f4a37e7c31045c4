// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The guest model against the real module, driven by the mini host (no
 * KVM): every workload finishes with zero data-check failures; the accept
 * fallback and the ACCEPT-level exit under a 2M leaf (split, re-execute)
 * happen as on hardware; touching memory before accepting it kills the VM
 * (SEPT_VE_DISABLE) or is served by the #VE handler; the guest learns its
 * RAM from a TD HOB; and a host that leaks private data across a
 * conversion is caught by the guest's record.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/sched.h"
#include "ulib/strbuf.h"
#include "minihost.h"
#include "tdxsim/guest.h"

#define RAM_BASE	(4ULL << 20)
#define RAM_SIZE	(32ULL << 20)

static void dump(const struct tdxsim_guest_model *g,
		 const struct mh_result *res)
{
	struct tdxsim_guest_stats st;
	size_t i;

	tdxsim_guest_get_stats(g, TDXSIM_GUEST_ALL_VCPUS, &st);
	print_message("host: error=%d '%s' killed=%d halted=%u entries=%llu ept=%llu accept_exits=%llu splits=%llu demotes=%llu aug4k=%llu aug2m=%llu removes=%llu mapgpa=%llu\n",
		      res->error, res->error_msg, res->killed, res->halted,
		      (unsigned long long)res->entries,
		      (unsigned long long)res->ept_exits,
		      (unsigned long long)res->accept_exits,
		      (unsigned long long)res->accept_splits,
		      (unsigned long long)res->demotes,
		      (unsigned long long)res->augs_4k,
		      (unsigned long long)res->augs_2m,
		      (unsigned long long)res->removes,
		      (unsigned long long)res->mapgpa_exits);
	print_message("guest: 4k=%llu 2m=%llu fallbacks=%llu already=%llu busy=%llu exits=%llu written=%llu verified=%llu failures=%llu mapgpa=%llu errors=%llu ops=%llu\n",
		      (unsigned long long)st.accepts_4k,
		      (unsigned long long)st.accepts_2m,
		      (unsigned long long)st.fallbacks,
		      (unsigned long long)st.already_accepted,
		      (unsigned long long)st.busy_retries,
		      (unsigned long long)st.exits,
		      (unsigned long long)st.bytes_written,
		      (unsigned long long)st.bytes_verified,
		      (unsigned long long)st.data_failures,
		      (unsigned long long)st.mapgpa,
		      (unsigned long long)st.errors,
		      (unsigned long long)st.ops_done);
	for (i = 0; i < tdxsim_guest_nr_messages(g) && i < 8; i++)
		print_message("  %s\n", tdxsim_guest_message(g, i));
}

static struct tdxsim_guest_model *make_workload(const char *name,
						unsigned int nr_vcpus,
						enum tdxsim_accept_policy pol,
						unsigned int shared_regions)
{
	struct tdxsim_guest_config cfg;
	struct tdxsim_guest_model *g;
	char err[256];

	tdxsim_guest_config_init(&cfg);
	cfg.workload = name;
	cfg.nr_vcpus = nr_vcpus;
	cfg.seed = 42;
	cfg.accept = pol;
	cfg.shared_regions = shared_regions;
	cfg.nr_ranges = 2;
	cfg.ranges[0] = (struct tdxsim_ram_range){ 0, RAM_BASE,
						   TDXSIM_RAM_SYSTEM };
	cfg.ranges[1] = (struct tdxsim_ram_range){ RAM_BASE, RAM_SIZE,
						   TDXSIM_RAM_UNACCEPTED };
	if (tdxsim_guest_create(&cfg, &g, err, sizeof(err)))
		fail_msg("create %s: %s", name, err);
	return g;
}

static struct tdxsim_guest_model *make_program(const char *text,
					       unsigned int nr_vcpus)
{
	struct tdxsim_guest_config cfg;
	struct tdxsim_guest_model *g;
	char err[256];

	tdxsim_guest_config_init(&cfg);
	cfg.nr_vcpus = nr_vcpus;
	if (tdxsim_guest_parse(text, "test", &cfg, &g, err, sizeof(err)))
		fail_msg("parse: %s", err);
	return g;
}

/* Run and check the common outcome: finished, no failure anywhere. */
static void run_clean(const struct mh_config *hc,
		      struct tdxsim_guest_model *g, struct mh_result *res,
		      struct tdxsim_guest_stats *st)
{
	assert_int_equal(mh_run(hc, g, res), 0);
	tdxsim_guest_get_stats(g, TDXSIM_GUEST_ALL_VCPUS, st);
	if (res->error || res->killed || !tdxsim_guest_finished(g) ||
	    st->data_failures || st->errors) {
		dump(g, res);
		fail_msg("guest did not finish cleanly");
	}
	assert_int_equal(res->halted, tdxsim_guest_nr_vcpus(g));
	assert_int_equal(tdxsim_guest_nr_messages(g), 0);
}

static void test_lazy_accept_linux(void **state)
{
	struct tdxsim_guest_model *g =
		make_workload("lazy-accept", 1, TDXSIM_ACCEPT_2M_FALLBACK, 0);
	struct mh_config hc = { .nr_vcpus = 1 };
	struct tdxsim_guest_stats st;
	struct mh_result res;

	run_clean(&hc, g, &res, &st);
	/* 2M-aligned chunks: every block is accepted at 2M, mapped 2M. */
	assert_int_equal(st.accepts_2m, RAM_SIZE / SZ_2M);
	assert_int_equal(st.accepts_4k, 0);
	assert_int_equal(res.augs_2m, RAM_SIZE / SZ_2M);
	assert_int_equal(st.bytes_written, RAM_SIZE);
	/* Each chunk read as zero, then its pattern, then 64 pages again. */
	assert_int_equal(st.bytes_verified, 2 * RAM_SIZE + 64 * PAGE_SIZE);
	/* Each accept exited once (ACCEPT-level exit, then mapped). */
	assert_int_equal(st.exits, RAM_SIZE / SZ_2M);
	tdxsim_guest_destroy(g);
}

static void test_lazy_accept_4k(void **state)
{
	struct tdxsim_guest_model *g =
		make_workload("lazy-accept", 1, TDXSIM_ACCEPT_4K, 0);
	struct mh_config hc = { .nr_vcpus = 1, .huge = true };
	struct tdxsim_guest_stats st;
	struct mh_result res;

	run_clean(&hc, g, &res, &st);
	assert_int_equal(st.accepts_4k, RAM_SIZE / PAGE_SIZE);
	assert_int_equal(st.accepts_2m, 0);
	/* The host honoured the 4K accept level: no 2M mapping at all. */
	assert_int_equal(res.augs_2m, 0);
	assert_int_equal(res.augs_4k, RAM_SIZE / PAGE_SIZE);
	tdxsim_guest_destroy(g);
}

static void test_eager_accept_shared_regions(void **state)
{
	struct tdxsim_guest_model *g =
		make_workload("eager-accept", 2, TDXSIM_ACCEPT_2M_FALLBACK, 2);
	struct mh_config hc = { .nr_vcpus = 2, .deterministic = true,
				.sched_seed = 7 };
	struct tdxsim_guest_stats st;
	struct mh_result res;

	run_clean(&hc, g, &res, &st);
	assert_int_equal(res.sched_verdict, SCHED_OK);
	/* Both vCPUs accepted each shared region: one of them was second. */
	assert_true(st.already_accepted >= 2);
	/* Everything else was accepted exactly once. */
	assert_int_equal(st.accepts_2m + st.accepts_4k / 512 +
			 st.already_accepted, RAM_SIZE / SZ_2M + 2);
	tdxsim_guest_destroy(g);
}

/*
 * linux-boot: every page of RAM accepted exactly once, the working set
 * (which ends inside a 2M unit) on vCPU 0 unit by unit, written and
 * verified, the rest in the background on both vCPUs; a ragged start
 * accepts its head at 4K.
 */
static void test_linux_boot(void **state)
{
	const u64 base = RAM_BASE + 5 * PAGE_SIZE, size = RAM_SIZE - 5 * PAGE_SIZE;
	const u64 ws = 5 * SZ_2M + 3 * PAGE_SIZE;
	struct mh_config hc = { .nr_vcpus = 2, .huge = true };
	struct tdxsim_guest_config cfg;
	struct tdxsim_guest_model *g;
	struct tdxsim_guest_stats st, s0, s1;
	struct mh_result res;
	char err[256];

	tdxsim_guest_config_init(&cfg);
	cfg.workload = "linux-boot";
	cfg.nr_vcpus = 2;
	cfg.seed = 42;
	cfg.working_set = ws;
	cfg.nr_ranges = 2;
	cfg.ranges[0] = (struct tdxsim_ram_range){ 0, base,
						   TDXSIM_RAM_SYSTEM };
	cfg.ranges[1] = (struct tdxsim_ram_range){ base, size,
						   TDXSIM_RAM_UNACCEPTED };
	if (tdxsim_guest_create(&cfg, &g, err, sizeof(err)))
		fail_msg("create: %s", err);
	run_clean(&hc, g, &res, &st);
	assert_int_equal(st.accepts_2m * 512 + st.accepts_4k,
			 size / PAGE_SIZE);
	assert_int_equal(st.already_accepted, 0);
	/* The 4K head up to the first 2M boundary; the last unit whole. */
	assert_int_equal(st.accepts_4k, 512 - 5);
	assert_int_equal(st.bytes_written, ws);
	assert_int_equal(st.bytes_verified, ws);
	/* vCPU 0 wrote everything; both accepted. */
	tdxsim_guest_get_stats(g, 0, &s0);
	tdxsim_guest_get_stats(g, 1, &s1);
	assert_int_equal(s0.bytes_written, ws);
	assert_int_equal(s1.bytes_written, 0);
	assert_true(s1.accepts_2m > 0);
	tdxsim_guest_destroy(g);
}

static void test_convert_churn(void **state)
{
	struct tdxsim_guest_model *g =
		make_workload("convert-churn", 1, TDXSIM_ACCEPT_2M_FALLBACK, 0);
	struct mh_config hc = { .nr_vcpus = 1, .mapgpa_chunk = 64 << 10 };
	struct tdxsim_guest_stats st;
	struct mh_result res;

	run_clean(&hc, g, &res, &st);
	assert_int_equal(st.mapgpa, 2 * 16);	/* 16 rounds, there and back */
	assert_int_equal(st.mapgpa_retries, res.mapgpa_retries);
	assert_true(res.mapgpa_retries > 0);
	/* Shared bytes were written and checked through the shared alias. */
	assert_true(res.shared_faults > 0);
	/* Partial conversions of 2M-accepted blocks split them. */
	assert_true(res.demotes > 0);
	tdxsim_guest_destroy(g);
}

/* Free-running threads: conversions on one vCPU kick the others. */
static void test_convert_churn_four_vcpus(void **state)
{
	struct tdxsim_guest_model *g =
		make_workload("convert-churn", 4, TDXSIM_ACCEPT_2M_FALLBACK, 2);
	struct mh_config hc = { .nr_vcpus = 4, .huge = true };
	struct tdxsim_guest_stats st;
	struct mh_result res;

	run_clean(&hc, g, &res, &st);
	assert_int_equal(st.mapgpa, 4 * 2 * 16);
	assert_true(res.removes > 0);
	tdxsim_guest_destroy(g);
}

static void test_random_two_vcpus(void **state)
{
	unsigned int seed;

	for (seed = 1; seed <= 3; seed++) {
		struct tdxsim_guest_model *g =
			make_workload("random", 2, TDXSIM_ACCEPT_2M_FALLBACK, 1);
		struct mh_config hc = { .nr_vcpus = 2, .huge = true,
					.deterministic = true,
					.sched_seed = seed };
		struct tdxsim_guest_stats st;
		struct mh_result res;

		run_clean(&hc, g, &res, &st);
		assert_int_equal(res.sched_verdict, SCHED_OK);
		assert_true(st.mapgpa > 0);
		assert_true(st.accepts_4k > 0);
		tdxsim_guest_destroy(g);
	}
}

/*
 * Interrupts at random guest instructions: every operation re-executes
 * after the interrupt exit (a 2M accept resumes at its accept counter) and
 * the data still checks out.
 */
static void test_interrupt_storm(void **state)
{
	static const char *const workloads[] = {
		"lazy-accept", "convert-churn", "random",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(workloads); i++) {
		struct tdxsim_guest_model *g = make_workload(workloads[i], 2,
			TDXSIM_ACCEPT_2M_FALLBACK, 1);
		struct mh_config hc = { .nr_vcpus = 2, .huge = true,
					.deterministic = true,
					.sched_seed = 11 + i,
					.ipi_storm = 3000 };
		struct tdxsim_guest_stats st;
		struct mh_result res;

		run_clean(&hc, g, &res, &st);
		assert_int_equal(res.sched_verdict, SCHED_OK);
		assert_true(res.interrupt_exits > 0);
		assert_true(st.exits > 0);
		/*
		 * A TDVMCALL's answer survives an interrupt exit before the
		 * guest runs again: each MapGPA reaches the host once.
		 */
		assert_int_equal(res.mapgpa_exits, st.mapgpa);
		tdxsim_guest_destroy(g);
	}
}

/* Seed 001, Linux flow: the guest accepts 4K first, the 2M accept falls back. */
static void test_hugepage_linux_4k_first(void **state)
{
	struct tdxsim_guest_model *g = make_program(
		"accept 0x400000 4K level=4k\n"
		"write 0x400000 4K pattern=5\n"
		"accept 0x400000 2M\n"
		"write 0x400000 2M pattern=6\n"
		"read 0x400000 2M\n", 1);
	struct mh_config hc = { .nr_vcpus = 1, .huge = true };
	struct tdxsim_guest_stats st;
	struct mh_result res;

	run_clean(&hc, g, &res, &st);
	assert_int_equal(st.fallbacks, 1);
	assert_int_equal(st.already_accepted, 1);
	assert_int_equal(st.accepts_4k, 512);
	assert_int_equal(st.accepts_2m, 0);
	assert_int_equal(res.augs_2m, 0);	/* inhibited by the 4K accept */
	assert_int_equal(res.accept_splits, 0);
	tdxsim_guest_destroy(g);
}

/* Seed 001: mapped 2M before the guest accepts 4K: exit, split, re-execute. */
static void test_hugepage_mapped_2m_then_4k_accept(void **state)
{
	struct tdxsim_guest_model *g = make_program(
		"accept 0x600000 4K level=4k\n"
		"write 0x600000 4K pattern=9\n"
		"accept 0x600000 2M level=2m-fallback\n"
		"read 0x600000 2M\n", 1);
	struct mh_config hc = { .nr_vcpus = 1, .huge = true,
				.premap_2m = { 0x600000 }, .nr_premap = 1 };
	struct tdxsim_guest_stats st;
	struct mh_result res;

	run_clean(&hc, g, &res, &st);
	/* The 4K accept exited with the level info; the host demoted. */
	assert_int_equal(res.accept_splits, 1);
	assert_int_equal(res.demotes, 1);
	assert_true(st.exits >= 1);
	/* It then completed, and the rest fell back to 4K after the split. */
	assert_int_equal(st.accepts_4k, 512);
	assert_int_equal(st.fallbacks, 1);
	assert_int_equal(st.already_accepted, 1);
	assert_int_equal(st.bytes_verified, SZ_2M);
	tdxsim_guest_destroy(g);
}

/* "Guest access before accepting": with SEPT_VE_DISABLE the VM dies. */
static void test_touch_without_accept_kills(void **state)
{
	struct tdxsim_guest_model *g = make_program(
		"accept 0x800000 4K\n"
		"write 0x800000 4K\n"
		"touch 0x801000\n"
		"write 0x801000 4K\n", 1);
	struct mh_config hc = { .nr_vcpus = 1 };
	struct tdxsim_guest_vcpu_status vs;
	struct tdxsim_guest_stats st;
	struct mh_result res;

	assert_int_equal(mh_run(&hc, g, &res), 0);
	assert_true(res.killed);
	assert_false(res.error);
	assert_int_equal(res.killed_gpa, 0x801000);
	assert_false(tdxsim_guest_finished(g));
	assert_int_equal(tdxsim_guest_vcpu_status(g, 0, &vs), 0);
	assert_false(vs.halted);
	assert_int_equal(vs.pc, 2);
	assert_int_equal(vs.line, 3);
	assert_string_equal(vs.op, "touch 0x801000");
	tdxsim_guest_get_stats(g, 0, &st);
	assert_int_equal(st.touches, 0);
	/* Two exits at the touch: EPT violation (mapped PENDING), then PENDING. */
	assert_int_equal(res.ept_exits, 1);
	tdxsim_guest_destroy(g);
}

/* Without SEPT_VE_DISABLE: #VE, the handler accepts 4K under a 2M map. */
static void test_touch_with_ve_handler(void **state)
{
	struct tdxsim_guest_model *g = make_program(
		"touch 0xa00000\n"
		"write 0xa00000 8K\n"
		"read 0xa00000 8K\n", 1);
	struct mh_config hc = { .nr_vcpus = 1, .huge = true,
				.no_sept_ve_disable = true };
	struct tdxsim_guest_stats st;
	struct mh_result res;

	run_clean(&hc, g, &res, &st);
	assert_int_equal(res.augs_2m, 1);	/* the touch mapped 2M PENDING */
	assert_int_equal(st.ve_accepts, 2);	/* one per page touched */
	assert_int_equal(res.accept_splits, 1);
	assert_int_equal(st.touches, 1);
	assert_int_equal(st.bytes_verified, 3 * PAGE_SIZE);
	tdxsim_guest_destroy(g);
}

/* Unexpected answers stop the vCPU with a message naming the operation. */
static void test_errors_stop_the_vcpu(void **state)
{
	static const struct {
		const char *text;
		unsigned int line;
		const char *words;
	} cases[] = {
		{ "accept 0x400000 4K level=4k\naccept 0x400000 2M level=2m\n",
		  2, "TDX_PAGE_SIZE_MISMATCH" },
		{ "mapgpa shared 0x10000000 4K\n",		/* beyond RAM */
		  1, "R10 = 0x8000000000000000" },
		{ "write 0x1000000000000 4K\n",		/* beyond GPAW 48 */
		  1, "Invalid argument" },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct tdxsim_guest_model *g = make_program(cases[i].text, 1);
		struct mh_config hc = { .nr_vcpus = 1 };
		struct tdxsim_guest_vcpu_status vs;
		struct tdxsim_guest_stats st;
		struct mh_result res;
		const char *msg;

		assert_int_equal(mh_run(&hc, g, &res), 0);
		assert_false(res.error);
		assert_int_equal(res.halted, 1);	/* it halted, failed */
		assert_false(tdxsim_guest_finished(g));
		assert_int_equal(tdxsim_guest_vcpu_status(g, 0, &vs), 0);
		assert_true(vs.halted && vs.failed);
		assert_int_equal(vs.line, cases[i].line);
		tdxsim_guest_get_stats(g, 0, &st);
		assert_int_equal(st.errors, 1);
		msg = tdxsim_guest_message(g, 0);
		assert_non_null(msg);
		if (!strstr(msg, cases[i].words))
			fail_msg("case %u: '%s' lacks '%s'", i, msg,
				 cases[i].words);
		tdxsim_guest_destroy(g);
	}
}

/* The #VE path is restartable too: interrupts while touching pages. */
static void test_ve_handler_interrupted(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct tdxsim_guest_model *g;
	struct mh_config hc = { .nr_vcpus = 1, .huge = true,
				.no_sept_ve_disable = true,
				.deterministic = true, .sched_seed = 3,
				.ipi_storm = 400 };
	struct tdxsim_guest_stats st;
	struct mh_result res;
	unsigned int i;

	for (i = 0; i < 32; i++)
		sb_printf(&sb, "touch 0x%x\n", 0xa00000 + i * 0x11000);
	sb_printf(&sb, "write 0xa00000 4M\nread 0xa00000 4M\n");
	g = make_program(sb_str(&sb), 1);
	sb_free(&sb);
	run_clean(&hc, g, &res, &st);
	assert_int_equal(st.touches, 32);
	/* Every page of the two blocks was accepted by the handler once. */
	assert_int_equal(st.ve_accepts, 1024);
	assert_int_equal(res.accept_splits, 2);
	assert_true(res.interrupt_exits > 0);
	tdxsim_guest_destroy(g);
}

/* The same, deterministically: an interrupt right after the MapGPA exit. */
static void test_vmcall_result_survives_interrupt(void **state)
{
	struct tdxsim_guest_model *g = make_program(
		"accept 0x400000 2M\n"
		"mapgpa shared 0x400000 1M\n"
		"mapgpa private 0x400000 1M\n"
		"accept 0x400000 1M\n"
		"read 0x400000 2M\n", 1);
	struct mh_config hc = { .nr_vcpus = 1, .ipi_after_vmcall = true };
	struct tdxsim_guest_stats st;
	struct mh_result res;

	run_clean(&hc, g, &res, &st);
	assert_int_equal(res.interrupt_exits, 1);
	assert_int_equal(st.mapgpa, 2);
	assert_int_equal(res.mapgpa_exits, 2);
	tdxsim_guest_destroy(g);
}

static void test_ram_from_hob(void **state)
{
	struct tdxsim_ram_range ranges[2] = {
		{ 0, 2 << 20, TDXSIM_RAM_SYSTEM },
		{ 2 << 20, 16 << 20, TDXSIM_RAM_UNACCEPTED },
	};
	struct tdxsim_guest_config cfg;
	struct tdxsim_guest_model *g;
	struct tdxsim_guest_vcpu_status vs;
	struct tdxsim_guest_stats st;
	struct mh_result res;
	char err[256];
	u8 hob[4096];
	long n;

	n = tdxsim_guest_hob_build(hob, sizeof(hob), 0x1000, ranges, 2);
	assert_true(n > 0);
	tdxsim_guest_config_init(&cfg);
	cfg.workload = "lazy-accept";
	cfg.ram_from_hob = true;
	cfg.nr_vcpus = 2;
	assert_int_equal(tdxsim_guest_create(&cfg, &g, err, sizeof(err)), 0);
	assert_int_equal(tdxsim_guest_vcpu_status(g, 0, &vs), 0);
	assert_int_equal(vs.nr_ops, 0);		/* not read yet */
	{
		struct mh_config hc = { .nr_vcpus = 2, .hob_gpa = 0x1000,
					.hob = hob, .hob_len = n };

		run_clean(&hc, g, &res, &st);
	}
	assert_int_equal(st.bytes_written, 16 << 20);
	assert_int_equal(tdxsim_guest_vcpu_status(g, 1, &vs), 0);
	assert_true(vs.nr_ops > 0);
	tdxsim_guest_destroy(g);
}

/* The record catches a host that keeps private pages across a conversion. */
static void test_leak_detected(void **state)
{
	struct tdxsim_guest_model *g = make_program(
		"accept 0x400000 16K\n"
		"write 0x400000 16K pattern=77\n"
		"mapgpa shared 0x400000 16K\n"
		"write shared 0x400000 16K pattern=78\n"
		"read shared 0x400000 16K\n"
		"mapgpa private 0x400000 16K\n"
		"accept 0x400000 16K\n"
		"read 0x400000 16K\n", 1);
	struct mh_config hc = { .nr_vcpus = 1, .bug_keep_private = true };
	struct tdxsim_guest_stats st;
	struct mh_result res;
	const char *msg;

	assert_int_equal(mh_run(&hc, g, &res), 0);
	assert_false(res.error);
	tdxsim_guest_get_stats(g, 0, &st);
	assert_int_equal(st.already_accepted, 4);
	assert_int_equal(st.data_failures, 4);
	assert_int_equal(tdxsim_guest_data_failures(g), 4);
	assert_int_equal(tdxsim_guest_nr_messages(g), 4);
	msg = tdxsim_guest_message(g, 0);
	assert_non_null(strstr(msg, "GPA 0x400000"));
	assert_non_null(strstr(msg, "expected zero"));
	assert_non_null(strstr(msg, "line 8"));
	assert_null(tdxsim_guest_message(g, 4));
	/* It still ran to the end: a data failure does not stop the vCPU. */
	assert_true(tdxsim_guest_finished(g));
	tdxsim_guest_destroy(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lazy_accept_linux),
		cmocka_unit_test(test_lazy_accept_4k),
		cmocka_unit_test(test_eager_accept_shared_regions),
		cmocka_unit_test(test_linux_boot),
		cmocka_unit_test(test_convert_churn),
		cmocka_unit_test(test_convert_churn_four_vcpus),
		cmocka_unit_test(test_random_two_vcpus),
		cmocka_unit_test(test_interrupt_storm),
		cmocka_unit_test(test_hugepage_linux_4k_first),
		cmocka_unit_test(test_hugepage_mapped_2m_then_4k_accept),
		cmocka_unit_test(test_touch_without_accept_kills),
		cmocka_unit_test(test_touch_with_ve_handler),
		cmocka_unit_test(test_ve_handler_interrupted),
		cmocka_unit_test(test_errors_stop_the_vcpu),
		cmocka_unit_test(test_vmcall_result_survives_interrupt),
		cmocka_unit_test(test_ram_from_hob),
		cmocka_unit_test(test_leak_detected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
