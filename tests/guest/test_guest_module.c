// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The guest model on the whole stack: TDs built through the uAPI the way
 * a VMM builds them (tests/testlib), run by KVM's TDX code against the
 * software module. Every workload finishes with zero data-check failures;
 * the accept fallback and the ACCEPT-level exit under a 2M leaf (split,
 * re-execute) happen as on hardware; touching memory before accepting it
 * kills the TD (SEPT_VE_DISABLE) or is served by the #VE handler;
 * interrupts posted with KVM_SIGNAL_MSI interrupt guest operations, which
 * re-execute; the guest learns its RAM from a TD HOB; and a host that
 * claims a conversion it did not make is caught by the guest's record.
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

#include "tdxsim/guest.h"
#include "tdxsim/sched.h"
#include "tdxsim/tdx.h"
#include "testlib/kvm_util_internal.h"
#include "testlib/sched_util.h"
#include "ulib/strbuf.h"

#define RAM_BASE	(4ULL << 20)
#define RAM_SIZE	(32ULL << 20)
#define HUGE		"next+hugepage-rfc"

struct gs_cfg {
	unsigned int nr_vcpus;
	const char *kernel;		/* NULL: the default profile */
	bool no_sept_ve_disable;
	uint64_t memory;		/* 0: RAM_BASE + RAM_SIZE */
	/* 2M blocks pre-faulted (PENDING) after finalize. */
	uint64_t premap_2m[4];
	unsigned int nr_premap;
	/* A TD HOB PAGE.ADDed at @hob_gpa, the vCPUs' initial RCX. */
	uint64_t hob_gpa;
	const void *hob;
	size_t hob_len;
	/* An MSI to vCPU 0 right after its first MapGPA exit. */
	bool msi_after_mapgpa;
	/* A VMM task sends this many MSIs round-robin while vCPUs run. */
	unsigned int msi_storm;
	/* MapGPA answered "done" without converting (a lying VMM). */
	bool lying_host;
	bool deterministic;
	uint64_t seed;
};

struct gs_result {
	int run_err;			/* first failed KVM_RUN: -errno */
	bool vm_dead;
	unsigned int halted;		/* vCPUs whose last exit was HLT */
	uint64_t interrupt_exits, ept_exits, accept_exits, splits;
	uint64_t augs, removes, demotes, mapgpa_exits, msis;
	uint64_t leaves_2m;		/* 2M leaves in the mirror at the end */
	enum sched_verdict verdict;
	struct tdxsim_stats kvm;
};

struct gs_run {
	const struct gs_cfg *c;
	struct gs_result *res;
	struct td td;
	bool vcpus_done;
	bool sent_after_mapgpa;
};

static void dump(const struct tdxsim_guest_model *g, const struct gs_result *r)
{
	struct tdxsim_guest_stats st;
	size_t i;

	tdxsim_guest_get_stats(g, TDXSIM_GUEST_ALL_VCPUS, &st);
	print_message("# host: run_err=%d dead=%d halted=%u ept=%llu accept_exits=%llu splits=%llu augs=%llu removes=%llu mapgpa=%llu intr=%llu\n",
		      r->run_err, r->vm_dead, r->halted,
		      (unsigned long long)r->ept_exits,
		      (unsigned long long)r->accept_exits,
		      (unsigned long long)r->splits,
		      (unsigned long long)r->augs,
		      (unsigned long long)r->removes,
		      (unsigned long long)r->mapgpa_exits,
		      (unsigned long long)r->interrupt_exits);
	print_message("# guest: 4k=%llu 2m=%llu fallbacks=%llu already=%llu exits=%llu written=%llu verified=%llu failures=%llu mapgpa=%llu errors=%llu\n",
		      (unsigned long long)st.accepts_4k,
		      (unsigned long long)st.accepts_2m,
		      (unsigned long long)st.fallbacks,
		      (unsigned long long)st.already_accepted,
		      (unsigned long long)st.exits,
		      (unsigned long long)st.bytes_written,
		      (unsigned long long)st.bytes_verified,
		      (unsigned long long)st.data_failures,
		      (unsigned long long)st.mapgpa,
		      (unsigned long long)st.errors);
	for (i = 0; i < tdxsim_guest_nr_messages(g) && i < 8; i++)
		print_message("#   %s\n", tdxsim_guest_message(g, i));
}

static int send_msi(struct td *td, unsigned int vcpu)
{
	struct kvm_msi msi = {
		.address_lo = 0xfee00000u | (vcpu << 12),
		.data = 0x30,			/* fixed, vector 0x30 */
	};

	return tdxsim_ioctl(td->vm, KVM_SIGNAL_MSI, &msi);
}

/* Exits the VMM sees before td_run_vcpu() handles them. */
static int gs_exit_hook(struct td *td, unsigned int vcpu, struct kvm_run *run)
{
	struct gs_run *r = td->priv;

	if (run->exit_reason != KVM_EXIT_HYPERCALL ||
	    run->hypercall.nr != KVM_HC_MAP_GPA_RANGE)
		return 0;
	__atomic_fetch_add(&r->res->mapgpa_exits, 1, __ATOMIC_RELAXED);
	if (r->c->msi_after_mapgpa && !r->sent_after_mapgpa) {
		r->sent_after_mapgpa = true;
		assert_int_equal(send_msi(td, vcpu), 1);
		r->res->msis++;
	}
	return 0;
}

/* A VMM that answers MapGPA without converting anything. */
static int lying_vcpu_loop(struct td *td, unsigned int i)
{
	struct kvm_run *run = td->run[i];

	for (;;) {
		if (tdxsim_ioctl(td->vcpu[i], KVM_RUN, 0) < 0)
			return -errno;
		td->last_exit[i] = run->exit_reason;
		if (run->exit_reason == KVM_EXIT_HYPERCALL &&
		    run->hypercall.nr == KVM_HC_MAP_GPA_RANGE) {
			run->hypercall.ret = 0;
			continue;
		}
		if (run->exit_reason == KVM_EXIT_MEMORY_FAULT) {
			int e = __td_set_private(td, run->memory_fault.gpa,
						 run->memory_fault.size,
						 run->memory_fault.flags &
						 KVM_MEMORY_EXIT_FLAG_PRIVATE);
			if (e)
				return e;
			continue;
		}
		return 0;
	}
}

struct vcpu_arg {
	struct gs_run *r;
	unsigned int i;
};

static int vcpu_task(void *p)
{
	struct vcpu_arg *a = p;
	struct td *td = &a->r->td;
	int e;

	if (a->r->c->lying_host)
		e = lying_vcpu_loop(td, a->i);
	else
		e = __td_run_vcpu(td, a->i);
	if (e && !a->r->res->run_err)
		a->r->res->run_err = e;
	return 0;
}

/* The storm: MSIs round-robin, a few schedule points apart. */
static int kicker_task(void *p)
{
	struct gs_run *r = p;
	unsigned int n, k;

	for (n = 0; n < r->c->msi_storm &&
		    !__atomic_load_n(&r->vcpus_done, __ATOMIC_ACQUIRE); n++) {
		for (k = 0; k < 1 + n % 5; k++)
			tdxsim_cpu_relax();
		if (send_msi(&r->td, n % r->td.nr_vcpus) > 0)
			r->res->msis++;
	}
	return 0;
}

static int run_task(void *p)
{
	struct gs_run *r = p;
	struct vcpu_arg args[TD_MAX_VCPUS];
	struct tdxsim_thread *t[TD_MAX_VCPUS], *kicker = NULL;
	unsigned int i;

	for (i = 0; i < r->td.nr_vcpus; i++) {
		char name[16];

		args[i] = (struct vcpu_arg){ r, i };
		snprintf(name, sizeof(name), "vcpu%u", i);
		t[i] = tdxsim_thread_create(name, vcpu_task, &args[i]);
		assert_non_null(t[i]);
	}
	if (r->c->msi_storm)
		kicker = tdxsim_thread_create("vmm-msi", kicker_task, r);
	for (i = 0; i < r->td.nr_vcpus; i++)
		tdxsim_thread_join(t[i]);
	__atomic_store_n(&r->vcpus_done, true, __ATOMIC_RELEASE);
	if (kicker)
		tdxsim_thread_join(kicker);
	return 0;
}

/* Build the TD for @g, run it, gather the host's view, tear it down. */
static void gs_run(const struct gs_cfg *c, struct tdxsim_guest_model *g,
		   struct gs_result *res)
{
	struct gs_run r = { .c = c, .res = res };
	struct tdxsim_td_stats ms;
	struct td_opts o;
	unsigned int i;

	memset(res, 0, sizeof(*res));
	td_opts_init(&o);
	o.memory = c->memory ? c->memory : RAM_BASE + RAM_SIZE;
	o.nr_vcpus = c->nr_vcpus ? c->nr_vcpus : 1;
	if (c->kernel)
		td_opts_set_kernel(&o, c->kernel);
	o.model = g;
	o.no_sept_ve_disable = c->no_sept_ve_disable;
	o.init_rcx = c->hob_gpa;
	td_create(&r.td, &o);
	r.td.priv = &r;
	r.td.exit_hook = gs_exit_hook;
	if (c->hob) {
		uint8_t *page = test_alloc(4096);
		struct kvm_tdx_init_mem_region region = {
			.source_addr = (uint64_t)(uintptr_t)page,
			.gpa = c->hob_gpa,
			.nr_pages = 1,
		};

		memcpy(page, c->hob, c->hob_len);
		assert_int_equal(__td_init_mem_region(&r.td, r.td.vcpu[0],
						      KVM_TDX_MEASURE_MEMORY_REGION,
						      &region), 0);
		free(page);
	}
	td_finalize(&r.td);
	for (i = 0; i < c->nr_premap; i++)
		td_prefault(&r.td, 0, c->premap_2m[i], 2 << 20);

	if (c->deterministic) {
		struct sched_result sr = sched_run_seed(run_task, &r, c->seed,
							SCHED_STRATEGY_RANDOM);

		res->verdict = sr.verdict;
	} else {
		struct sched_result sr = sched_run_free(run_task, &r, 60000);

		res->verdict = sr.verdict;
	}

	res->vm_dead = td_vm_dead(&r.td);
	for (i = 0; i < r.td.nr_vcpus; i++)
		res->halted += r.td.last_exit[i] == KVM_EXIT_HLT;
	if (res->vm_dead) {
		/* The VM answers EIO now; only its teardown is left. */
		td_destroy(&r.td);
		return;
	}
	td_kvm_stats(&r.td, &res->kvm);
	td_module_stats(&r.td, &ms);
	res->interrupt_exits = ms.exits[EXIT_REASON_EXTERNAL_INTERRUPT];
	res->ept_exits = ms.exits[EXIT_REASON_EPT_VIOLATION];
	res->accept_exits = res->kvm.vendor[TDXSIM_TDX_STAT_ACCEPT_EXITS];
	res->splits = res->kvm.vendor[TDXSIM_TDX_STAT_SPLITS];
	res->augs = ms.seamcalls[TDH_MEM_PAGE_AUG];
	res->removes = ms.seamcalls[TDH_MEM_PAGE_REMOVE];
	res->demotes = ms.seamcalls[TDH_MEM_PAGE_DEMOTE];
	res->leaves_2m = td_count_leaves(&r.td, true, PG_LEVEL_2M);
	td_check(&r.td);
	td_destroy(&r.td);
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
static void run_clean(const struct gs_cfg *c, struct tdxsim_guest_model *g,
		      struct gs_result *res, struct tdxsim_guest_stats *st)
{
	gs_run(c, g, res);
	tdxsim_guest_get_stats(g, TDXSIM_GUEST_ALL_VCPUS, st);
	if (res->run_err || res->vm_dead || !tdxsim_guest_finished(g) ||
	    st->data_failures || st->errors || res->verdict != SCHED_OK) {
		dump(g, res);
		fail_msg("guest did not finish cleanly");
	}
	assert_int_equal(res->halted, tdxsim_guest_nr_vcpus(g));
	assert_int_equal(tdxsim_guest_nr_messages(g), 0);
}

/* Upstream (4K private mappings only): every 2M accept falls back to 4K. */
static void test_lazy_accept_4k_host(void **state)
{
	struct tdxsim_guest_model *g =
		make_workload("lazy-accept", 1, TDXSIM_ACCEPT_2M_FALLBACK, 0);
	struct gs_cfg c = { .nr_vcpus = 1 };
	struct tdxsim_guest_stats st;
	struct gs_result res;

	run_clean(&c, g, &res, &st);
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
		make_workload("lazy-accept", 1, TDXSIM_ACCEPT_2M_FALLBACK, 0);
	struct gs_cfg c = { .nr_vcpus = 1, .kernel = HUGE };
	struct tdxsim_guest_stats st;
	struct gs_result res;

	run_clean(&c, g, &res, &st);
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
		make_workload("lazy-accept", 1, TDXSIM_ACCEPT_4K, 0);
	struct gs_cfg c = { .nr_vcpus = 1, .kernel = HUGE };
	struct tdxsim_guest_stats st;
	struct gs_result res;

	run_clean(&c, g, &res, &st);
	assert_int_equal(st.accepts_4k, RAM_SIZE / PAGE_SIZE);
	assert_int_equal(st.accepts_2m, 0);
	assert_int_equal(res.leaves_2m, 0);
	assert_int_equal(res.augs, RAM_SIZE / PAGE_SIZE);
	tdxsim_guest_destroy(g);
}

static void test_eager_accept_shared_regions(void **state)
{
	struct tdxsim_guest_model *g =
		make_workload("eager-accept", 2, TDXSIM_ACCEPT_2M_FALLBACK, 2);
	struct gs_cfg c = { .nr_vcpus = 2, .kernel = HUGE,
			    .deterministic = true, .seed = 7 };
	struct tdxsim_guest_stats st;
	struct gs_result res;

	run_clean(&c, g, &res, &st);
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
	run_clean(&c, g, &res, &st);
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
	struct gs_cfg c = { .nr_vcpus = 1, .kernel = HUGE };
	struct tdxsim_guest_stats st;
	struct gs_result res;

	run_clean(&c, g, &res, &st);
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
		make_workload("convert-churn", 4, TDXSIM_ACCEPT_2M_FALLBACK, 2);
	struct gs_cfg c = { .nr_vcpus = 4, .kernel = HUGE };
	struct tdxsim_guest_stats st;
	struct gs_result res;

	run_clean(&c, g, &res, &st);
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
			make_workload("random", 2, TDXSIM_ACCEPT_2M_FALLBACK, 1);
		struct gs_cfg c = { .nr_vcpus = 2, .kernel = HUGE,
				    .deterministic = true, .seed = seed };
		struct tdxsim_guest_stats st;
		struct gs_result res;

		run_clean(&c, g, &res, &st);
		assert_true(st.mapgpa > 0);
		assert_true(st.accepts_4k > 0);
		tdxsim_guest_destroy(g);
	}
}

/*
 * MSIs while the guests run: every interrupted operation re-executes (a
 * 2M accept resumes at its accept counter) and the data still checks out.
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
		struct gs_cfg c = { .nr_vcpus = 2, .kernel = HUGE,
				    .deterministic = true, .seed = 11 + i,
				    .msi_storm = 3000 };
		struct tdxsim_guest_stats st;
		struct gs_result res;

		run_clean(&c, g, &res, &st);
		assert_true(res.msis > 0);
		assert_true(res.interrupt_exits > 0);
		/*
		 * A TDVMCALL's answer survives an interrupt exit before the
		 * guest runs again: each MapGPA completes once for the guest.
		 */
		assert_int_equal(res.kvm.vendor[TDXSIM_TDX_STAT_MAP_GPA],
				 res.mapgpa_exits);
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
	struct gs_cfg c = { .nr_vcpus = 1, .kernel = HUGE };
	struct tdxsim_guest_stats st;
	struct gs_result res;

	run_clean(&c, g, &res, &st);
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
	struct tdxsim_guest_model *g = make_program(
		"accept 0x600000 4K level=4k\n"
		"write 0x600000 4K pattern=9\n"
		"accept 0x600000 2M level=2m-fallback\n"
		"read 0x600000 2M\n", 1);
	struct gs_cfg c = { .nr_vcpus = 1, .kernel = HUGE,
			    .premap_2m = { 0x600000 }, .nr_premap = 1 };
	struct tdxsim_guest_stats st;
	struct gs_result res;

	run_clean(&c, g, &res, &st);
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

/* "Guest access before accepting": with SEPT_VE_DISABLE the TD dies. */
static void test_touch_without_accept_kills(void **state)
{
	struct tdxsim_guest_model *g = make_program(
		"accept 0x800000 4K\n"
		"write 0x800000 4K\n"
		"touch 0x801000\n"
		"write 0x801000 4K\n", 1);
	struct gs_cfg c = { .nr_vcpus = 1 };
	struct tdxsim_guest_vcpu_status vs;
	struct tdxsim_guest_stats st;
	struct gs_result res;

	gs_run(&c, g, &res);
	assert_true(res.vm_dead);
	assert_int_equal(res.run_err, -EIO);
	assert_false(tdxsim_guest_finished(g));
	assert_int_equal(tdxsim_guest_vcpu_status(g, 0, &vs), 0);
	assert_false(vs.halted);
	assert_int_equal(vs.pc, 2);
	assert_int_equal(vs.line, 3);
	assert_string_equal(vs.op, "touch 0x801000");
	tdxsim_guest_get_stats(g, 0, &st);
	assert_int_equal(st.touches, 0);
	tdxsim_guest_destroy(g);
}

/* Without SEPT_VE_DISABLE: #VE, the handler accepts 4K under a 2M map. */
static void test_touch_with_ve_handler(void **state)
{
	struct tdxsim_guest_model *g = make_program(
		"touch 0xa00000\n"
		"write 0xa00000 8K\n"
		"read 0xa00000 8K\n", 1);
	struct gs_cfg c = { .nr_vcpus = 1, .kernel = HUGE,
			    .no_sept_ve_disable = true };
	struct tdxsim_guest_stats st;
	struct gs_result res;

	run_clean(&c, g, &res, &st);
	assert_int_equal(st.ve_accepts, 2);	/* one per page touched */
	assert_int_equal(res.splits, 1);	/* the touch mapped 2M PENDING */
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
		{ "write 0x1000000000000 4K\n",		/* beyond GPAW 48 */
		  1, "Invalid argument" },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct tdxsim_guest_model *g = make_program(cases[i].text, 1);
		struct gs_cfg c = { .nr_vcpus = 1, .kernel = HUGE };
		struct tdxsim_guest_vcpu_status vs;
		struct tdxsim_guest_stats st;
		struct gs_result res;
		const char *msg;

		gs_run(&c, g, &res);
		assert_int_equal(res.run_err, 0);
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
	struct gs_cfg c = { .nr_vcpus = 1, .kernel = HUGE,
			    .no_sept_ve_disable = true,
			    .deterministic = true, .seed = 3,
			    .msi_storm = 400 };
	struct tdxsim_guest_stats st;
	struct gs_result res;
	unsigned int i;

	for (i = 0; i < 32; i++)
		sb_printf(&sb, "touch 0x%x\n", 0xa00000 + i * 0x11000);
	sb_printf(&sb, "write 0xa00000 4M\nread 0xa00000 4M\n");
	g = make_program(sb_str(&sb), 1);
	sb_free(&sb);
	run_clean(&c, g, &res, &st);
	assert_int_equal(st.touches, 32);
	/* Every page of the two blocks was accepted by the handler once. */
	assert_int_equal(st.ve_accepts, 1024);
	assert_int_equal(res.splits, 2);
	assert_true(res.interrupt_exits > 0);
	tdxsim_guest_destroy(g);
}

/* An MSI right after the MapGPA exit: the TDVMCALL's answer survives it. */
static void test_vmcall_result_survives_interrupt(void **state)
{
	struct tdxsim_guest_model *g = make_program(
		"accept 0x400000 2M\n"
		"mapgpa shared 0x400000 1M\n"
		"mapgpa private 0x400000 1M\n"
		"accept 0x400000 1M\n"
		"read 0x400000 2M\n", 1);
	struct gs_cfg c = { .nr_vcpus = 1, .msi_after_mapgpa = true };
	struct tdxsim_guest_stats st;
	struct gs_result res;

	run_clean(&c, g, &res, &st);
	assert_int_equal(res.msis, 1);
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

		run_clean(&c, g, &res, &st);
	}
	assert_int_equal(st.bytes_written, 16 << 20);
	assert_int_equal(tdxsim_guest_vcpu_status(g, 1, &vs), 0);
	assert_true(vs.nr_ops > 0);
	tdxsim_guest_destroy(g);
}

/*
 * The record catches a VMM that claims conversions it did not make: the
 * pages stay private and accepted across "shared and back", and the
 * guest, which expects them zeroed after its new accept, reads its data.
 */
static void test_leak_detected(void **state)
{
	struct tdxsim_guest_model *g = make_program(
		"accept 0x400000 16K\n"
		"write 0x400000 16K pattern=77\n"
		"mapgpa shared 0x400000 16K\n"
		"mapgpa private 0x400000 16K\n"
		"accept 0x400000 16K\n"
		"read 0x400000 16K\n", 1);
	struct gs_cfg c = { .nr_vcpus = 1, .lying_host = true };
	struct tdxsim_guest_stats st;
	struct gs_result res;
	const char *msg;

	gs_run(&c, g, &res);
	assert_int_equal(res.run_err, 0);
	assert_false(res.vm_dead);
	tdxsim_guest_get_stats(g, 0, &st);
	assert_int_equal(st.already_accepted, 4);
	assert_int_equal(st.data_failures, 4);
	assert_int_equal(tdxsim_guest_data_failures(g), 4);
	assert_int_equal(tdxsim_guest_nr_messages(g), 4);
	msg = tdxsim_guest_message(g, 0);
	assert_non_null(strstr(msg, "GPA 0x400000"));
	assert_non_null(strstr(msg, "expected zero"));
	assert_non_null(strstr(msg, "line 6"));
	assert_null(tdxsim_guest_message(g, 4));
	/* It still ran to the end: a data failure does not stop the vCPU. */
	assert_true(tdxsim_guest_finished(g));
	tdxsim_guest_destroy(g);
}

/* KVM_SIGNAL_MSI's answers: the vCPUs reached, or EINVAL. */
static void test_signal_msi(void **state)
{
	struct kvm_msi msi = { .address_lo = 0xfee00000u, .data = 0x30 };
	struct td_opts o;
	struct td td;

	td_opts_init(&o);
	o.nr_vcpus = 2;
	td_create(&td, &o);
	assert_int_equal(tdxsim_ioctl(td.vm, KVM_SIGNAL_MSI, &msi), 1);
	msi.address_lo = 0xfee00000u | (1u << 12);
	assert_int_equal(tdxsim_ioctl(td.vm, KVM_SIGNAL_MSI, &msi), 1);
	/* No vCPU with x2APIC ID 7; all of them. */
	msi.address_lo = 0xfee00000u | (7u << 12);
	assert_int_equal(tdxsim_ioctl(td.vm, KVM_SIGNAL_MSI, &msi), 0);
	msi.address_lo = 0xfee00000u | (0xffu << 12);
	msi.address_hi = 0xffffff00u;
	assert_int_equal(tdxsim_ioctl(td.vm, KVM_SIGNAL_MSI, &msi), 2);
	/* Flags other than KVM_MSI_VALID_DEVID. */
	msi.flags = 2;
	errno = 0;
	assert_int_equal(tdxsim_ioctl(td.vm, KVM_SIGNAL_MSI, &msi), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(tdxsim_ioctl(td.vm, KVM_SIGNAL_MSI, (void *)8), -1);
	assert_int_equal(errno, EFAULT);
	td_destroy(&td);
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
		cmocka_unit_test(test_signal_msi),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
