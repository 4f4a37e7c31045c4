// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The guest model on the whole stack (guest_stack.h): one TD built through
 * the uAPI per run, its vCPUs run as tdxsim threads (with the VMM's exit
 * hook counting MapGPA exits and, when asked, sending an MSI after the
 * first or a storm of them from a VMM task), then the host's view gathered
 * from the module's and KVM's statistics and the mirror's leaves, the
 * invariants checked and the TD torn down.
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
#include "testlib/sched_util.h"

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

int gs_send_msi(struct td *td, unsigned int vcpu)
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
		assert_int_equal(gs_send_msi(td, vcpu), 1);
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
		if (gs_send_msi(&r->td, n % r->td.nr_vcpus) > 0)
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

void gs_run(const struct gs_cfg *c, struct tdxsim_guest_model *g,
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

struct tdxsim_guest_model *gs_workload(const char *name,
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

struct tdxsim_guest_model *gs_program(const char *text,
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

void gs_run_clean(const struct gs_cfg *c, struct tdxsim_guest_model *g,
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

