// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The guest model's workloads on the whole stack (guest_stack.h): TDs
 * built through the uAPI the way a VMM builds them, run by KVM's TDX code
 * against the software module. Every workload finishes with zero
 * data-check failures and accepts every page once at the level the host
 * and the guest agree on: the accept fallback to 4K upstream, 2M leaves
 * with the huge-page series, the ACCEPT-level exit under a 2M leaf (split,
 * re-execute) as on hardware; conversions split 2M blocks and kick the
 * other vCPUs; and the guest learns its RAM from a TD HOB.
 * test_guest_events.c has what stops or interrupts a guest.
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

#include "guest_stack.h"

/* Upstream (4K private mappings only): every 2M accept falls back to 4K. */
static void test_lazy_accept_4k_host(void **state)
{
	struct tdxsim_guest_model *g =
		gs_workload("lazy-accept", 1, TDXSIM_ACCEPT_2M_FALLBACK, 0);
	struct gs_cfg c = { .nr_vcpus = 1 };
	struct tdxsim_guest_stats st;
	struct gs_result res;

	gs_run_clean(&c, g, &res, &st);
	assert_int_equal(st.accepts_2m, 0);
	assert_int_equal(st.fallbacks, RAM_SIZE / SZ_2M);
	assert_int_equal(st.accepts_4k, RAM_SIZE / PAGE_SIZE);
	assert_int_equal(res.augs, RAM_SIZE / PAGE_SIZE);
	assert_int_equal(res.leaves_2m, 0);
	assert_int_equal(st.bytes_written, RAM_SIZE);
	tdxsim_guest_destroy(g);
}

/* Huge pages: 2M-aligned chunks are accepted at 2M and mapped 2M. */
static void test_lazy_accept_linux(void **state)
{
	struct tdxsim_guest_model *g =
		gs_workload("lazy-accept", 1, TDXSIM_ACCEPT_2M_FALLBACK, 0);
	struct gs_cfg c = { .nr_vcpus = 1, .kernel = HUGE };
	struct tdxsim_guest_stats st;
	struct gs_result res;

	gs_run_clean(&c, g, &res, &st);
	assert_int_equal(st.accepts_2m, RAM_SIZE / SZ_2M);
	assert_int_equal(st.accepts_4k, 0);
	assert_int_equal(res.leaves_2m, RAM_SIZE / SZ_2M);
	assert_int_equal(res.augs, RAM_SIZE / SZ_2M);
	assert_int_equal(st.bytes_written, RAM_SIZE);
	/* Each chunk read as zero, then its pattern, then 64 pages again. */
	assert_int_equal(st.bytes_verified, 2 * RAM_SIZE + 64 * PAGE_SIZE);
	tdxsim_guest_destroy(g);
}

/* Huge pages, the guest asks 4K: the host honours the accept level. */
static void test_lazy_accept_4k(void **state)
{
	struct tdxsim_guest_model *g =
		gs_workload("lazy-accept", 1, TDXSIM_ACCEPT_4K, 0);
	struct gs_cfg c = { .nr_vcpus = 1, .kernel = HUGE };
	struct tdxsim_guest_stats st;
	struct gs_result res;

	gs_run_clean(&c, g, &res, &st);
	assert_int_equal(st.accepts_4k, RAM_SIZE / PAGE_SIZE);
	assert_int_equal(st.accepts_2m, 0);
	assert_int_equal(res.leaves_2m, 0);
	assert_int_equal(res.augs, RAM_SIZE / PAGE_SIZE);
	tdxsim_guest_destroy(g);
}

static void test_eager_accept_shared_regions(void **state)
{
	struct tdxsim_guest_model *g =
		gs_workload("eager-accept", 2, TDXSIM_ACCEPT_2M_FALLBACK, 2);
	struct gs_cfg c = { .nr_vcpus = 2, .kernel = HUGE,
			    .deterministic = true, .seed = 7 };
	struct tdxsim_guest_stats st;
	struct gs_result res;

	gs_run_clean(&c, g, &res, &st);
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
	const uint64_t base = RAM_BASE + 5 * PAGE_SIZE;
	const uint64_t size = RAM_SIZE - 5 * PAGE_SIZE;
	const uint64_t ws = 5 * SZ_2M + 3 * PAGE_SIZE;
	struct gs_cfg c = { .nr_vcpus = 2, .kernel = HUGE };
	struct tdxsim_guest_config cfg;
	struct tdxsim_guest_model *g;
	struct tdxsim_guest_stats st, s0, s1;
	struct gs_result res;
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
	gs_run_clean(&c, g, &res, &st);
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
		gs_workload("convert-churn", 1, TDXSIM_ACCEPT_2M_FALLBACK, 0);
	struct gs_cfg c = { .nr_vcpus = 1, .kernel = HUGE };
	struct tdxsim_guest_stats st;
	struct gs_result res;

	gs_run_clean(&c, g, &res, &st);
	assert_int_equal(st.mapgpa, 2 * 16);	/* 16 rounds, there and back */
	/* Every MapGPA reached the VMM (2 MiB per exit, as upstream). */
	assert_true(res.mapgpa_exits >= st.mapgpa);
	assert_int_equal(res.kvm.vendor[TDXSIM_TDX_STAT_MAP_GPA],
			 res.mapgpa_exits);
	assert_true(res.kvm.pages_to_shared > 0);
	/* Partial conversions of 2M-accepted blocks split them. */
	assert_true(res.demotes > 0);
	tdxsim_guest_destroy(g);
}

/* Free-running threads: conversions on one vCPU kick the others. */
static void test_convert_churn_four_vcpus(void **state)
{
	struct tdxsim_guest_model *g =
		gs_workload("convert-churn", 4, TDXSIM_ACCEPT_2M_FALLBACK, 2);
	struct gs_cfg c = { .nr_vcpus = 4, .kernel = HUGE };
	struct tdxsim_guest_stats st;
	struct gs_result res;

	gs_run_clean(&c, g, &res, &st);
	assert_int_equal(st.mapgpa, 4 * 2 * 16);
	assert_true(res.removes > 0);
	assert_true(res.kvm.kicks > 0);
	tdxsim_guest_destroy(g);
}

static void test_random_two_vcpus(void **state)
{
	unsigned int seed;

	for (seed = 1; seed <= 3; seed++) {
		struct tdxsim_guest_model *g =
			gs_workload("random", 2, TDXSIM_ACCEPT_2M_FALLBACK, 1);
		struct gs_cfg c = { .nr_vcpus = 2, .kernel = HUGE,
				    .deterministic = true, .seed = seed };
		struct tdxsim_guest_stats st;
		struct gs_result res;

		gs_run_clean(&c, g, &res, &st);
		assert_true(st.mapgpa > 0);
		assert_true(st.accepts_4k > 0);
		tdxsim_guest_destroy(g);
	}
}

/* Seed 001, Linux flow: the guest accepts 4K first, the 2M accept falls back. */
static void test_hugepage_linux_4k_first(void **state)
{
	struct tdxsim_guest_model *g = gs_program(
		"accept 0x400000 4K level=4k\n"
		"write 0x400000 4K pattern=5\n"
		"accept 0x400000 2M\n"
		"write 0x400000 2M pattern=6\n"
		"read 0x400000 2M\n", 1);
	struct gs_cfg c = { .nr_vcpus = 1, .kernel = HUGE };
	struct tdxsim_guest_stats st;
	struct gs_result res;

	gs_run_clean(&c, g, &res, &st);
	assert_int_equal(st.fallbacks, 1);
	assert_int_equal(st.already_accepted, 1);
	assert_int_equal(st.accepts_4k, 512);
	assert_int_equal(st.accepts_2m, 0);
	assert_int_equal(res.leaves_2m, 0);	/* inhibited by the 4K accept */
	assert_int_equal(res.splits, 0);
	tdxsim_guest_destroy(g);
}

/* Seed 001: mapped 2M before the guest accepts 4K: exit, split, re-execute. */
static void test_hugepage_mapped_2m_then_4k_accept(void **state)
{
	struct tdxsim_guest_model *g = gs_program(
		"accept 0x600000 4K level=4k\n"
		"write 0x600000 4K pattern=9\n"
		"accept 0x600000 2M level=2m-fallback\n"
		"read 0x600000 2M\n", 1);
	struct gs_cfg c = { .nr_vcpus = 1, .kernel = HUGE,
			    .premap_2m = { 0x600000 }, .nr_premap = 1 };
	struct tdxsim_guest_stats st;
	struct gs_result res;

	gs_run_clean(&c, g, &res, &st);
	/* The 4K accept exited with the level info; the host demoted. */
	assert_int_equal(res.accept_exits, 1);
	assert_int_equal(res.demotes, 1);
	assert_true(st.exits >= 1);
	/* It then completed, and the rest fell back to 4K after the split. */
	assert_int_equal(st.accepts_4k, 512);
	assert_int_equal(st.fallbacks, 1);
	assert_int_equal(st.already_accepted, 1);
	assert_int_equal(st.bytes_verified, SZ_2M);
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
	struct gs_result res;
	char err[256];
	uint8_t hob[4096];
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
		struct gs_cfg c = { .nr_vcpus = 2, .memory = 18 << 20,
				    .hob_gpa = 0x1000, .hob = hob,
				    .hob_len = n };

		gs_run_clean(&c, g, &res, &st);
	}
	assert_int_equal(st.bytes_written, 16 << 20);
	assert_int_equal(tdxsim_guest_vcpu_status(g, 1, &vs), 0);
	assert_true(vs.nr_ops > 0);
	tdxsim_guest_destroy(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lazy_accept_4k_host),
		cmocka_unit_test(test_lazy_accept_linux),
		cmocka_unit_test(test_lazy_accept_4k),
		cmocka_unit_test(test_eager_accept_shared_regions),
		cmocka_unit_test(test_linux_boot),
		cmocka_unit_test(test_convert_churn),
		cmocka_unit_test(test_convert_churn_four_vcpus),
		cmocka_unit_test(test_random_two_vcpus),
		cmocka_unit_test(test_hugepage_linux_4k_first),
		cmocka_unit_test(test_hugepage_mapped_2m_then_4k_accept),
		cmocka_unit_test(test_ram_from_hob),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
