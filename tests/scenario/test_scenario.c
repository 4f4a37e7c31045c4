// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The seed patches' scenarios (src/vmm/scenario.h), each in the design
 * before its patch and in the upstream design, with fixed seeds:
 *
 *   cases    populate-deadlock: before, lockdep reports the recursive
 *            acquisition of mapping.invalidate_lock and the circular
 *            dependency with &mm->mmap_lock, and the scheduler detects the
 *            deadlock; decoupled and map_pfn: no report, same MRTD.
 *            accept-level-livelock: before, the livelock exit; upstream, one
 *            split, the inhibit bit, the guest's checks pass.
 *            vp-init-busy: before, a zap SEAMCALL meets TDX_OPERAND_BUSY
 *            twice, the VM is bugged, later ioctls get EIO; upstream, both
 *            calls succeed. pinned-split-hang: before, the folio split hangs;
 *            upstream, it proceeds; and the cost (an injected zap failure):
 *            the page the module still holds is kept (no PAMT violation),
 *            by the pin or by TDX. mirror-race: before, TDH.MEM.PAGE.AUG
 *            fails with TDX_EPT_WALK_FAILED and the VM is bugged; upstream,
 *            both map.
 *   explore  a bounded exploration of each: the upstream design survives a
 *            few hundred seeds (random and PCT), the before-design is found.
 *
 * The program runs one group, named by its first argument (default: both).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scn_test.h"
#include "tdxsim/report.h"
#include "tdxsim/sched.h"
#include "tdxsim/tdx.h"

/* Explored seeds per design and strategy (CI budget). */
#define EXPLORE_UPSTREAM	150
#define EXPLORE_BEFORE		1000

static void run(const char *name, const char *design, u64 seed, bool extra,
		struct tdxsim_scenario_result *res)
{
	struct tdxsim_scenario_opts o;

	tdxsim_scenario_opts_init(&o);
	o.design = design;
	o.seed = seed;
	o.extra = extra;
	scn_test_run_opts(name, &o, res);
	if (res->failed != !strcmp(design, "before"))
		print_message("%s\n%s\n", res->report, res->summary);
}

static bool has(const char *text, const char *what)
{
	return text && strstr(text, what);
}

/* An ioctl on /dev/kvm: its result, or -errno. */
static int dev_ioctl(unsigned long request, void *arg)
{
	int fd = tdxsim_open("/dev/kvm", 0), r;

	assert_true(fd >= 0);
	r = tdxsim_ioctl(fd, request, arg);
	if (r < 0)
		r = -errno;
	tdxsim_close(fd);
	return r;
}

/* TDXSIM_GET_REPORTS into @e[@n]: the number of reports, or -errno. */
static int get_reports(struct tdxsim_report_entry *e, unsigned int n)
{
	struct tdxsim_reports r = { .nr = n, .entries = (uintptr_t)e };
	int ret = dev_ioctl(TDXSIM_GET_REPORTS, &r);

	return ret ? ret : (int)r.nr;
}

/* Reports of @kind among @e[@n] whose classes include @class. */
static unsigned int reports_naming(const struct tdxsim_report_entry *e,
				   int n, unsigned int kind, const char *class)
{
	unsigned int c = 0;
	int i;

	for (i = 0; i < n; i++)
		c += e[i].kind == kind && has(e[i].classes, class);
	return c;
}

/* The task of @v waiting as @wait (on @on, NULL: any), or NULL. */
static const struct tdxsim_verdict_task *
verdict_task(const struct tdxsim_sched_verdict *v, unsigned int wait,
	     const char *on)
{
	unsigned int i;

	for (i = 0; i < v->nr_tasks; i++)
		if (v->tasks[i].wait == wait && (!on || has(v->tasks[i].on, on)))
			return &v->tasks[i];
	return NULL;
}

static void test_list(void **state)
{
	const struct tdxsim_scenario *s;
	size_t n, i;

	s = tdxsim_scenario_list(&n);
	assert_int_equal(n, 22);
	for (i = 0; i < n; i++) {
		char err[128];
		struct tdxsim_design b, u;

		assert_non_null(s[i].summary);
		assert_int_equal(tdxsim_scenario_design(&s[i], "before", &b, err,
						 sizeof(err)), 0);
		assert_int_equal(tdxsim_scenario_design(&s[i], "upstream", &u, err,
						 sizeof(err)), 0);
		/* The two designs differ. */
		assert_memory_not_equal(&b, &u, sizeof(b));
		/* Every kernel a scenario names resolves. */
		for (const char *const *k = s[i].upstream_also; k && *k; k++) {
			char name[TDXSIM_KERNEL_NAME_MAX];

			assert_int_equal(tdxsim_scenario_resolve(&s[i], *k, NULL,
						name, sizeof(name), &u, err,
						sizeof(err)), 0);
			/* The profile's name; switches after ':' are on top. */
			assert_int_equal(strlen(name), strcspn(*k, ":"));
			assert_memory_equal(name, *k, strlen(name));
		}
	}
	assert_null(tdxsim_scenario_find("no-such-scenario"));
	{
		char err[128], name[TDXSIM_KERNEL_NAME_MAX];
		struct tdxsim_design d;

		/* --kernel with the scenario's needs on top. */
		assert_int_equal(tdxsim_scenario_resolve(&s[0], "v6.19", NULL,
					name, sizeof(name), &d, err,
					sizeof(err)), 0);
		assert_string_equal(name, "v6.19");
		assert_int_equal(d.gmem_locking, TDXSIM_GMEM_LOCKING_INFLIGHT);
		assert_int_equal(d.populate, TDXSIM_POPULATE_MAP_PFN);
		/* "before" names a kernel: not with --kernel. */
		assert_int_equal(tdxsim_scenario_resolve(&s[0], "v6.19", "before",
					name, sizeof(name), &d, err,
					sizeof(err)), -EINVAL);
		assert_int_equal(tdxsim_scenario_resolve(&s[0], "v9.9", NULL,
					name, sizeof(name), &d, err,
					sizeof(err)), -EINVAL);
	}
	{
		struct tdxsim_scenario_opts o;
		struct tdxsim_scenario_result res;

		tdxsim_scenario_opts_init(&o);
		o.design = "populate=sideways";
		assert_int_equal(tdxsim_scenario_run(&s[0], &o, &res), -EINVAL);
	}
}

static void test_populate_deadlock(void **state)
{
	struct tdxsim_scenario_result b, u, m;

	run("populate-deadlock", "before", 0, false, &b);
	assert_true(b.failed);
	assert_int_equal(b.verdict, TDXSIM_VERDICT_DEADLOCK);
	assert_true(b.stuck);
	/* The recursive acquisition, by class. */
	assert_true(b.lockdep_recursive >= 1);
	assert_true(tdxsim_count_reports(TDXSIM_REPORT_RECURSIVE,
					  "mapping.invalidate_lock") >= 1);
	/* The AB-BA with mmap_lock, naming both classes. */
	assert_true(b.lockdep_circular >= 1);
	assert_true(tdxsim_count_reports(TDXSIM_REPORT_CIRCULAR,
					  "mapping.invalidate_lock") >= 1);
	assert_true(tdxsim_count_reports(TDXSIM_REPORT_DEADLOCK,
					  "mapping.invalidate_lock") >= 1);
	assert_true(has(b.report, "possible recursive locking detected"));
	assert_true(has(b.report, "possible circular locking dependency detected"));
	assert_true(has(b.report, "kvm_gmem_get_pfn"));
	assert_true(has(b.report, "BUG: deadlock detected"));
	assert_true(has(b.report, "last schedule points"));
	assert_false(b.mrtd_valid);
	/* The same, as the uAPI gives it. */
	{
		struct tdxsim_report_entry e[32];
		struct tdxsim_sched_verdict v;
		int n = get_reports(e, ARRAY_SIZE(e));

		assert_int_equal(n, tdxsim_nr_reports());
		assert_true(reports_naming(e, n, TDXSIM_REPORT_RECURSIVE,
					   "mapping.invalidate_lock") >= 1);
		assert_true(reports_naming(e, n, TDXSIM_REPORT_CIRCULAR,
					   "&mm->mmap_lock") >= 1);
		assert_int_equal(dev_ioctl(TDXSIM_GET_SCHED_VERDICT, &v), 0);
		assert_int_equal(v.verdict, TDXSIM_VERDICT_DEADLOCK);
		assert_int_equal(v.seed, b.seed);
		/* A task waits for the invalidate lock it cannot get. */
		assert_non_null(verdict_task(&v, TDXSIM_TASK_WAITS_LOCK,
					     "mapping.invalidate_lock"));
	}

	run("populate-deadlock", "upstream", 0, false, &u);
	assert_false(u.failed);
	assert_int_equal(u.verdict, TDXSIM_VERDICT_OK);
	assert_int_equal(tdxsim_nr_reports(), 0);
	assert_int_equal(u.errnos[0], 0);
	assert_int_equal(u.errnos[1], 0);
	assert_true(u.mrtd_valid);

	run("populate-deadlock", "populate=map_pfn", 0, false, &m);
	assert_false(m.failed);
	assert_int_equal(tdxsim_nr_reports(), 0);
	assert_true(m.mrtd_valid);
	/* The same image measures the same, whichever way it is added. */
	assert_memory_equal(u.mrtd, m.mrtd, sizeof(u.mrtd));

	tdxsim_scenario_result_free(&b);
	tdxsim_scenario_result_free(&u);
	tdxsim_scenario_result_free(&m);
}

static void test_accept_level_livelock(void **state)
{
	struct tdxsim_scenario_result b, u;

	run("accept-level-livelock", "before", 0, false, &b);
	assert_true(b.failed);
	assert_true(b.livelock_exit);
	assert_true(b.accept_exits >= 256);
	assert_false(b.guest_finished);
	assert_int_equal(b.splits, 0);
	assert_true(tdxsim_count_reports(TDXSIM_REPORT_LIVELOCK, NULL) >= 1);
	assert_true(has(b.report, "livelock detected"));

	run("accept-level-livelock", "upstream", 0, false, &u);
	assert_false(u.failed);
	assert_false(u.livelock_exit);
	assert_int_equal(u.splits, 1);
	assert_int_equal(u.demotes, 1);
	assert_true(u.inhibited);
	assert_true(u.guest_finished);
	assert_int_equal(u.guest_data_failures, 0);
	assert_false(u.vm_bugged);
	assert_int_equal(tdxsim_nr_reports(), 0);

	tdxsim_scenario_result_free(&b);
	tdxsim_scenario_result_free(&u);
}

static void test_vp_init_busy(void **state)
{
	struct tdxsim_scenario_result b, u;

	/* Upstream first: the before-design's zap failure taints the process. */
	run("vp-init-busy", "upstream", 0, false, &u);
	assert_false(u.failed);
	assert_false(u.vm_bugged);
	assert_int_equal(u.errnos[0], 0);	/* KVM_TDX_INIT_VCPU */
	assert_int_equal(u.errnos[1], 0);	/* PUNCH_HOLE */
	assert_int_equal(u.later_errno, 0);	/* KVM_TDX_FINALIZE_VM */
	assert_false(u.tainted);

	run("vp-init-busy", "before", 0, false, &b);
	assert_true(b.failed);
	assert_true(b.vm_bugged);
	/* The zap path met BUSY on the TDR, and again after the retry. */
	assert_true(b.failure.seamcall_failures >= 1);
	assert_true(b.failure.first_seamcall.leaf == TDH_MEM_RANGE_BLOCK ||
		    b.failure.first_seamcall.leaf == TDH_MEM_PAGE_REMOVE ||
		    b.failure.first_seamcall.leaf == TDH_MEM_TRACK);
	assert_int_equal(b.failure.first_seamcall.status &
			 TDX_SEAMCALL_STATUS_MASK, TDX_OPERAND_BUSY);
	assert_string_equal(tdxsim_tdx_status_name(b.failure.first_seamcall.status),
			    "TDX_OPERAND_BUSY");
	/* KVM_BUG_ON() at the failing call, in tdx.c. */
	assert_true(b.failure.bugged);
	assert_string_equal(b.failure.bug_file, "src/kvm/tdx.c");
	assert_string_equal(b.failure.bug_func, b.failure.first_seamcall.func);
	assert_int_equal(b.later_errno, EIO);
	assert_true(b.no_vcpus_retries >= 1);	/* the retry failed too */
	assert_true(has(b.report, "last schedule points"));

	tdxsim_scenario_result_free(&b);
	tdxsim_scenario_result_free(&u);
}

static void test_pinned_split_hang(void **state)
{
	struct tdxsim_scenario_result b, u;

	run("pinned-split-hang", "before", 0, false, &b);
	assert_true(b.failed);
	assert_int_equal(b.verdict, TDXSIM_VERDICT_HANG);
	assert_true(b.stuck);
	assert_true(tdxsim_count_reports(TDXSIM_REPORT_HANG, NULL) >= 1);
	assert_true(has(b.report, "page_ref_count(head) == 1"));
	{
		const struct tdxsim_verdict_task *t;
		struct tdxsim_sched_verdict v;

		assert_int_equal(dev_ioctl(TDXSIM_GET_SCHED_VERDICT, &v), 0);
		assert_int_equal(v.verdict, TDXSIM_VERDICT_HANG);
		assert_true(v.nr_tasks >= 1 &&
			    v.nr_tasks <= TDXSIM_VERDICT_MAX_TASKS);
		/* The folio split waits for the pins to go, forever. */
		t = verdict_task(&v, TDXSIM_TASK_WAITS_QUEUE, NULL);
		assert_non_null(t);
		assert_true(t && t->name[0] &&
			    strstr(t->until, "page_ref_count(head) == 1"));
	}

	run("pinned-split-hang", "upstream", 0, false, &u);
	assert_false(u.failed);
	assert_int_equal(u.verdict, TDXSIM_VERDICT_OK);
	{
		struct tdxsim_sched_verdict v;

		assert_int_equal(dev_ioctl(TDXSIM_GET_SCHED_VERDICT, &v), 0);
		assert_int_equal(v.verdict, TDXSIM_VERDICT_OK);
		assert_int_equal(v.nr_tasks, 0);
		assert_int_equal(v.steps, u.steps);
	}
	assert_true(u.folio_splits >= 1);
	assert_int_equal(u.errnos[0], 0);
	assert_false(u.vm_bugged);
	tdxsim_scenario_result_free(&b);
	tdxsim_scenario_result_free(&u);
}

/*
 * The cost seed 003 accepts: a zap failure with and without pinning.
 * Upstream since 6.19 lets guest_memfd free the page the module still
 * holds; tdxsim keeps it in both designs (tdx_keep_page(), issue 12), so
 * that no PAMT violation poisons later TDs: what differs is who holds it.
 */
static void test_pinned_zap_failure(void **state)
{
	struct tdxsim_scenario_result b, u;

	run("pinned-split-hang", "before", 0, true, &b);
	assert_true(b.extra_ran);
	assert_true(b.extra_vm_bugged);
	/* The pin keeps the page: leaked, never reused. */
	assert_int_equal(b.extra_pamt_violations, 0);
	assert_true(b.extra_pages_kept >= 1);

	run("pinned-split-hang", "upstream", 0, true, &u);
	assert_true(u.extra_ran);
	assert_true(u.extra_vm_bugged);
	/* Kept by TDX when the removal failed, never freed. */
	assert_int_equal(u.extra_pamt_violations, 0);
	assert_true(u.extra_pages_kept >= 1);
	assert_true(has(u.extra_report, "that the TDX module still holds"));
	tdxsim_scenario_result_free(&b);
	tdxsim_scenario_result_free(&u);
}

static void test_mirror_race(void **state)
{
	struct tdxsim_scenario_result b, u;

	run("mirror-race", "before", 0, false, &b);
	assert_true(b.failed);
	assert_true(b.vm_bugged);
	assert_int_equal(b.failure.first_seamcall.leaf, TDH_MEM_PAGE_AUG);
	assert_int_equal(b.failure.first_seamcall.status &
			 TDX_SEAMCALL_STATUS_MASK, TDX_EPT_WALK_FAILED);
	assert_string_equal(tdxsim_tdx_status_name(b.failure.first_seamcall.status),
			    "TDX_EPT_WALK_FAILED");
	assert_string_equal(b.failure.first_seamcall.func, "tdx_mem_page_aug");
	assert_true(b.failure.bugged);
	assert_string_equal(b.failure.bug_func, "tdx_mem_page_aug");
	assert_true(b.failure.bug_line > 0);
	assert_int_equal(b.later_errno, EIO);

	/* The same seed upstream: a vCPU meets the frozen entry and retries. */
	run("mirror-race", "upstream", 0, false, &u);
	assert_false(u.failed);
	assert_true(u.fault_retries >= 1);
	assert_false(u.vm_bugged);
	assert_int_equal(u.errnos[0], 0);
	assert_int_equal(u.errnos[1], 0);
	assert_int_equal(u.later_errno, 0);
	tdxsim_scenario_result_free(&b);
	tdxsim_scenario_result_free(&u);
}

static void assert_own_failure(const char *name, const struct tdxsim_scenario_result *r)
{
	assert_true(r->failed);
	if (!strcmp(name, "populate-deadlock"))
		assert_true(r->lockdep_recursive >= 1);
	else if (!strcmp(name, "accept-level-livelock"))
		assert_true(r->livelock_exit);
	else if (!strcmp(name, "vp-init-busy"))
		assert_int_equal(r->failure.first_seamcall.status &
				 TDX_SEAMCALL_STATUS_MASK, TDX_OPERAND_BUSY);
	else if (!strcmp(name, "pinned-split-hang"))
		assert_int_equal(r->verdict, TDXSIM_VERDICT_HANG);
	else if (!strcmp(name, "dpamt-lazy-busy"))
		assert_true(r->failure.first_seamcall.leaf == TDH_VP_CREATE ||
			    r->failure.first_seamcall.leaf == TDH_VP_ADDCX);
	else
		assert_int_equal(r->failure.first_seamcall.status &
				 TDX_SEAMCALL_STATUS_MASK, TDX_EPT_WALK_FAILED);
}

/*
 * Dynamic PAMT's lazy design (RFC v1) against v6: with the same schedule,
 * one vCPU's creation meets the other's PAMT.ADD of their region (BUSY in
 * TDH.VP.CREATE or VP.ADDCX, the VM bugged); v6 orders them.
 */
static void test_dpamt_lazy_busy(void **state)
{
	struct tdxsim_scenario_result b, u;

	run("dpamt-lazy-busy", "upstream", 0, false, &u);
	assert_false(u.failed);
	assert_false(u.vm_bugged);
	assert_int_equal(u.errnos[1], 0);	/* KVM_TDX_INIT_VCPU, vCPU 0 */
	assert_int_equal(u.errnos[2], 0);	/* KVM_TDX_INIT_VCPU, vCPU 1 */
	assert_int_equal(u.later_errno, 0);	/* KVM_TDX_FINALIZE_VM */
	assert_int_equal(u.busy, 0);

	run("dpamt-lazy-busy", "before", 0, false, &b);
	assert_true(b.failed);
	assert_true(b.vm_bugged);
	assert_own_failure("dpamt-lazy-busy", &b);
	assert_int_equal(b.failure.first_seamcall.status,
			 TDX_OPERAND_BUSY | TDX_OPERAND_ID_RCX);
	assert_true(b.failure.bugged);
	assert_int_equal(b.later_errno, EIO);
	tdxsim_scenario_result_free(&b);
	tdxsim_scenario_result_free(&u);
}

/*
 * v6 without its recheck of the refcount under pamt_lock: both vCPUs see
 * the region's refcount 0, the second PAMT.ADD meets the first's pair
 * (WARN, the control page cannot be had: -ENOMEM); with it, clean.
 */
static void test_dpamt_get_recheck(void **state)
{
	struct tdxsim_scenario_result b, u;

	run("dpamt-get-recheck", "upstream", 0, false, &u);
	assert_false(u.failed);
	assert_int_equal(u.errnos[1], 0);
	assert_int_equal(u.errnos[2], 0);
	assert_int_equal(u.later_errno, 0);

	run("dpamt-get-recheck", "before", 0, false, &b);
	assert_true(b.failed);
	assert_false(b.vm_bugged);
	assert_true(b.errnos[1] == ENOMEM || b.errnos[2] == ENOMEM);
	tdxsim_scenario_result_free(&b);
	tdxsim_scenario_result_free(&u);
}

/*
 * guest_memfd in-place conversion v8: a host thread's pin during a
 * to-private conversion. Without v8's reference check the page goes
 * private under the pin (the invariant check, run by the host thread
 * before it unpins, finds it referenced); with it the conversion answers
 * EAGAIN at the page's offset until the pin is gone, then converts.
 */
static void test_gmem_inplace_pin(void **state)
{
	struct tdxsim_scenario_result b, u;

	run("gmem-inplace-pin", "before", 0, false, &b);
	assert_true(b.failed);
	assert_false(b.vm_bugged);
	assert_int_equal(b.errnos[0], 0);	/* the pin */
	assert_int_equal(b.errnos[1], 0);	/* the conversion */
	assert_int_equal(b.later_errno, 0);	/* clean once unpinned */

	run("gmem-inplace-pin", "upstream", 0, false, &u);
	assert_false(u.failed);
	assert_int_equal(u.errnos[1], 0);
	assert_int_equal(u.later_errno, 0);
	tdxsim_scenario_result_free(&b);
	tdxsim_scenario_result_free(&u);
}

/*
 * v8's conversion filter: MapGPA private over a private page and a shared
 * one zaps the private page too, the guest never halts; the post-v8
 * filter zaps only the shared one.
 */
static void test_gmem_inplace_mixed(void **state)
{
	struct tdxsim_scenario_result b, u;

	run("gmem-inplace-mixed", "before", 0, false, &b);
	assert_true(b.failed);
	assert_false(b.guest_finished);

	run("gmem-inplace-mixed", "upstream", 0, false, &u);
	assert_false(u.failed);
	assert_true(u.guest_finished);
	assert_int_equal(u.guest_data_failures, 0);
	assert_false(u.vm_bugged);
	tdxsim_scenario_result_free(&b);
	tdxsim_scenario_result_free(&u);
}

/*
 * TDX huge pages, a 4K conversion in a 2M mapping whose S-EPT split finds
 * no memory: split in the zap after the folio split (folio_first), the
 * VM is bugged and the 2M mapping goes; split first (the series), the
 * ioctl fails with ENOMEM and nothing changed.
 */
static void test_huge_split_order(void **state)
{
	struct tdxsim_scenario_result b, u;

	run("huge-split-order", "upstream", 0, false, &u);
	assert_false(u.failed);
	assert_false(u.vm_bugged);
	assert_int_equal(u.errnos[0], ENOMEM);	/* the conversion */
	assert_int_equal(u.errnos[1], 0);	/* vCPU 1 read around it */
	assert_int_equal(u.demotes, 0);
	assert_int_equal(u.folio_splits, 0);
	assert_true(u.guest_finished);
	assert_int_equal(u.guest_data_failures, 0);

	run("huge-split-order", "before", 0, false, &b);
	assert_true(b.failed);
	assert_true(b.vm_bugged);
	assert_true(b.failure.bugged);
	assert_int_equal(b.folio_splits, 1);	/* before the failed split */
	assert_int_equal(b.demotes, 0);
	assert_int_equal(b.errnos[1], EIO);
	assert_false(b.guest_finished);
	tdxsim_scenario_result_free(&b);
	tdxsim_scenario_result_free(&u);
}

/*
 * Memory failure on a 4K page of a 2M mapping: without a split in
 * kvm_gmem_error_folio() (v3, v5) the zap takes the whole 2M, the guest
 * finds its neighbours unaccepted and KVM kills the VM; with the split
 * (Yan Zhao's plan) one DEMOTE and only that page goes.
 */
static void test_huge_memory_failure(void **state)
{
	struct tdxsim_scenario_result b, u;

	run("huge-memory-failure", "upstream", 0, false, &u);
	assert_false(u.failed);
	assert_int_equal(u.errnos[0], 0);
	assert_int_equal(u.errnos[1], 0);
	assert_int_equal(u.demotes, 1);
	assert_int_equal(u.folio_splits, 1);
	assert_true(u.guest_finished);
	assert_int_equal(u.guest_data_failures, 0);

	run("huge-memory-failure", "before", 0, false, &b);
	assert_true(b.failed);
	assert_false(b.vm_bugged);
	assert_int_equal(b.errnos[0], 0);
	assert_int_equal(b.demotes, 0);
	assert_int_equal(b.errnos[1], EIO);	/* killed: access before accept */
	assert_false(b.guest_finished);
	tdxsim_scenario_result_free(&b);
	tdxsim_scenario_result_free(&u);
}

/* The verdict ioctls refuse bad input with the kernel's errnos. */
static void test_verdict_uapi(void **state)
{
	struct tdxsim_report_entry e[4];
	struct tdxsim_reports r = { 0 };
	struct tdxsim_vm_failure f;
	struct tdxsim_scenario_result b;
	int kvm, vm;

	tdxsim_reset_reports();
	assert_int_equal(get_reports(NULL, 0), 0);
	/* Make reports: the before design of populate-deadlock. */
	run("populate-deadlock", "before", 0, false, &b);
	assert_true(tdxsim_nr_reports() >= 2);
	/* Too little room: E2BIG and the count. */
	r.nr = 1;
	r.entries = (uintptr_t)e;
	assert_int_equal(dev_ioctl(TDXSIM_GET_REPORTS, &r), -E2BIG);
	assert_int_equal(r.nr, tdxsim_nr_reports());
	r.nr = ARRAY_SIZE(e);
	r.entries = 8;	/* not a valid pointer */
	assert_int_equal(dev_ioctl(TDXSIM_GET_REPORTS, &r), -EFAULT);
	r.entries = (uintptr_t)e;
	r.reserved = 1;
	assert_int_equal(dev_ioctl(TDXSIM_GET_REPORTS, &r), -EINVAL);
	assert_int_equal(dev_ioctl(TDXSIM_GET_REPORTS, (void *)8), -EFAULT);
	assert_int_equal(dev_ioctl(TDXSIM_GET_SCHED_VERDICT, (void *)8),
			 -EFAULT);
	/* After a reset there is nothing to report. */
	tdxsim_reset_reports();
	assert_int_equal(get_reports(e, ARRAY_SIZE(e)), 0);

	/* A VM that did nothing wrong; the VM ioctl is no /dev/kvm one. */
	kvm = tdxsim_open("/dev/kvm", 0);
	assert_true(kvm >= 0);
	vm = tdxsim_ioctl(kvm, KVM_CREATE_VM, KVM_X86_TDX_VM);
	assert_true(vm >= 0);
	memset(&f, 0xff, sizeof(f));
	assert_int_equal(tdxsim_ioctl(vm, TDXSIM_GET_VM_FAILURE, &f), 0);
	assert_int_equal(f.seamcall_failures, 0);
	assert_int_equal(f.bugged, 0);
	assert_int_equal(f.bug_file[0], 0);
	assert_int_equal(f.first_seamcall.leaf, 0);
	assert_int_equal(tdxsim_ioctl(vm, TDXSIM_GET_VM_FAILURE, (void *)8),
			 -1);
	assert_int_equal(errno, EFAULT);
	assert_int_equal(tdxsim_ioctl(kvm, TDXSIM_GET_VM_FAILURE, &f), -1);
	assert_int_equal(errno, EINVAL);
	tdxsim_close(vm);
	tdxsim_close(kvm);
	tdxsim_scenario_result_free(&b);
}

/* The same seed replays the same run. */
static void test_replay(void **state)
{
	struct tdxsim_scenario_result a, b;

	run("mirror-race", "upstream", 17, false, &a);
	run("mirror-race", "upstream", 17, false, &b);
	assert_int_equal(a.steps, b.steps);
	assert_int_equal(a.switches, b.switches);
	tdxsim_scenario_result_free(&a);
	tdxsim_scenario_result_free(&b);
	run("mirror-race", "before", 78, false, &a);
	run("mirror-race", "before", 78, false, &b);
	assert_true(a.failed && b.failed);
	assert_false(a.tainted);
	assert_int_equal(a.steps, b.steps);
	assert_int_equal(a.failure.first_seamcall.leaf,
			 b.failure.first_seamcall.leaf);
	assert_int_equal(a.failure.first_seamcall.status,
			 b.failure.first_seamcall.status);
	tdxsim_scenario_result_free(&a);
	tdxsim_scenario_result_free(&b);
}

/* The explored scenario and strategy (from the command line). */
static const char *explore_name;
static enum tdxsim_sched_strategy explore_strategy;

/* The before-design's failure must be the scenario's own bug. */
static void test_explore(void **state)
{
	const struct tdxsim_scenario *s = scn_test_get(explore_name);
	struct tdxsim_scenario_explore_opts o = {
		.first_seed = 1,
		.schedules = EXPLORE_UPSTREAM,
		.strategy = explore_strategy,
		.quiet = true,
	};
	struct tdxsim_scenario_explore_result r;

	/* Upstream first: a before-design failure may taint the process. */
	assert_int_equal(tdxsim_scenario_explore(s, "upstream", &o, &r), 0);
	if (r.found)
		print_message("%s upstream seed %llu failed:\n%s\n",
			      explore_name, (unsigned long long)r.first_seed,
			      r.first.report);
	assert_int_equal(r.failures, 0);
	assert_int_equal(r.runs, EXPLORE_UPSTREAM);
	assert_false(r.stopped);
	if (r.found)
		tdxsim_scenario_result_free(&r.first);

	o.schedules = EXPLORE_BEFORE;
	o.stop_on_failure = true;
	assert_int_equal(tdxsim_scenario_explore(s, "before", &o, &r), 0);
	assert_true(r.found);
	assert_own_failure(explore_name, &r.first);
	assert_true(r.first_index <= EXPLORE_BEFORE);
	print_message("# %s before (%s): first failure at schedule %llu (seed %llu)\n",
		      explore_name,
		      explore_strategy == TDXSIM_STRATEGY_PCT ? "pct" : "random",
		      (unsigned long long)r.first_index,
		      (unsigned long long)r.first_seed);
	tdxsim_scenario_result_free(&r.first);
}

/*
 * One test per process: a before-design run may leave the process tainted
 * (pages freed while the module owns them) or keep a stuck VM.
 *   test_scenario case NAME             one of the case tests
 *   test_scenario explore NAME STRATEGY a bounded exploration
 */
int main(int argc, char **argv)
{
	static const struct CMUnitTest cases[] = {
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_populate_deadlock),
		cmocka_unit_test(test_accept_level_livelock),
		cmocka_unit_test(test_vp_init_busy),
		cmocka_unit_test(test_pinned_split_hang),
		cmocka_unit_test(test_pinned_zap_failure),
		cmocka_unit_test(test_mirror_race),
		cmocka_unit_test(test_dpamt_lazy_busy),
		cmocka_unit_test(test_dpamt_get_recheck),
		cmocka_unit_test(test_gmem_inplace_pin),
		cmocka_unit_test(test_gmem_inplace_mixed),
		cmocka_unit_test(test_huge_split_order),
		cmocka_unit_test(test_huge_memory_failure),
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_verdict_uapi),
	};
	struct CMUnitTest one[1];

	if (argc == 4 && !strcmp(argv[1], "explore")) {
		explore_name = argv[2];
		explore_strategy = strcmp(argv[3], "pct") ?
			TDXSIM_STRATEGY_RANDOM : TDXSIM_STRATEGY_PCT;
		one[0] = (struct CMUnitTest)cmocka_unit_test(test_explore);
		return cmocka_run_group_tests_name("explore", one,
						   scn_test_setup, NULL);
	}
	return scn_test_case(argc, argv, cases, ARRAY_SIZE(cases),
			     "case NAME | explore SCENARIO random|pct");
}
