// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tdxsim run's report: run_report_gather() reads everything a report shows
 * from the launch's result and the process (counters, the validator's
 * reports by kind, host memory) into struct run_report, once; the text and
 * the JSON printer only print that struct.
 */
#include <stdio.h>
#include <string.h>

#include "run.h"
#include "tdxsim/profiles.h"
#include "tdxsim/report.h"
#include "tdxsim/tdx.h"
#include "ulib/proc.h"

/* A KVM exit reason's name (KVM_EXIT_*). */
static const char *exit_name(unsigned int r)
{
	switch (r) {
	case KVM_EXIT_HYPERCALL:
		return "KVM_EXIT_HYPERCALL";
	case KVM_EXIT_HLT:
		return "KVM_EXIT_HLT";
	case KVM_EXIT_MMIO:
		return "KVM_EXIT_MMIO";
	case KVM_EXIT_SHUTDOWN:
		return "KVM_EXIT_SHUTDOWN";
	case KVM_EXIT_INTERNAL_ERROR:
		return "KVM_EXIT_INTERNAL_ERROR";
	case KVM_EXIT_SYSTEM_EVENT:
		return "KVM_EXIT_SYSTEM_EVENT";
	case KVM_EXIT_MEMORY_FAULT:
		return "KVM_EXIT_MEMORY_FAULT";
	case KVM_EXIT_UNKNOWN:
		return "KVM_EXIT_UNKNOWN";
	default:
		return "KVM_EXIT_?";
	}
}

/* A SEAMCALL leaf's name ("TDH.MEM.PAGE.AUG"). */
static const char *leaf_name(unsigned int leaf)
{
	const char *n = tdxsim_seamcall_name(leaf);

	return n ? n : "TDH.?";
}

static const char *tdcall_name(unsigned int leaf)
{
	const char *n = tdxsim_tdcall_name(leaf);

	return n ? n : "TDG.?";
}

static const char *vmx_exit_name(unsigned int reason)
{
	const char *n = tdxsim_exit_reason_name(reason);

	return n ? n : "?";
}

void print_hex(FILE *f, const u8 *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(f, "%02x", b[i]);
}

void run_report_gather(const struct run_ctx *ctx, struct run_report *rep)
{
	const struct tdxsim_vmm_result *r = &ctx->res;
	const struct run_opts *o = ctx->o;
	struct tdxsim_design profile;
	unsigned int i, v;

	memset(rep, 0, sizeof(*rep));
	rep->firmware = o->firmware_path ? o->firmware_path : "(built-in)";
	rep->memory = ctx->cfg.memory;
	rep->nr_vcpus = r->nr_vcpus;
	rep->program = ctx->cfg.program != NULL;
	rep->guest = rep->program ? ctx->cfg.program_name : ctx->cfg.workload;
	rep->kernel = ctx->cfg.kernel;
	/* The switches the launch changes from its kernel profile. */
	if (!tdxsim_kernel_design(ctx->cfg.kernel, &profile, NULL, 0))
		tdxsim_design_diff(&ctx->cfg.design, &profile,
				   rep->kernel_changes,
				   sizeof(rep->kernel_changes));
	tdxsim_design_string(&ctx->cfg.design, rep->design,
			     sizeof(rep->design));
	rep->deterministic = o->sched.mode == TDXSIM_SCHED_DETERMINISTIC;
	rep->strategy = o->sched.strategy == TDXSIM_STRATEGY_PCT ? "pct" :
								 "random";
	rep->seed = o->sched.seed;
	rep->steps = ctx->sr.steps;
	rep->verdict = ctx->sr.verdict;
	rep->ok = ctx->ret == 0;

	rep->res = r;
	for (v = 0; v < r->nr_vcpus; v++) {
		rep->kvm_runs += r->vcpu[v].runs;
		for (i = 0; i < ARRAY_SIZE(rep->exits); i++)
			rep->exits[i] += r->vcpu[v].exits[i];
	}
	for (i = 0; i < TDXSIM_NR_LEAVES; i++)
		rep->seamcalls += r->td.seamcalls[i];

	rep->lockdep_state = tdxsim_lockdep_state();
	rep->reports = tdxsim_nr_reports();
	for (i = 0; i < TDXSIM_NR_REPORT_KINDS; i++)
		rep->report_kinds[i] = tdxsim_count_reports(i, NULL);

	get_host_memory(&rep->host);
	rep->rss_bytes = proc_rss_bytes();
	rep->peak_rss_bytes = proc_peak_rss_bytes();
	rep->wall_ns = ctx->wall_ns;
}

/* The run phase's &kvm->mmu_lock acquisitions (every class: --json). */
static void run_locks_print(const struct tdxsim_vmm_result *r)
{
	unsigned int i;

	for (i = 0; i < r->nr_run_locks; i++) {
		const struct tdxsim_lock_class *c = &r->run_locks[i];

		if (strcmp(c->name, "&kvm->mmu_lock"))
			continue;
		printf("mmu_lock while the vCPUs ran: %llu read, %llu write (%llu, %llu contended)\n",
		       (unsigned long long)c->acquisitions_read,
		       (unsigned long long)c->acquisitions_write,
		       (unsigned long long)c->contentions_read,
		       (unsigned long long)c->contentions_write);
	}
}

/* "run_locks": { "class": { read, write, ... }, ... }, */
static void run_locks_json(const struct tdxsim_vmm_result *r)
{
	unsigned int i;

	printf("  \"run_locks\": {");
	for (i = 0; i < r->nr_run_locks; i++) {
		const struct tdxsim_lock_class *c = &r->run_locks[i];

		printf("%s\n    ", i ? "," : "");
		json_string(stdout, c->name);
		printf(": { \"read\": %llu, \"write\": %llu, \"contended_read\": %llu, \"contended_write\": %llu }",
		       (unsigned long long)c->acquisitions_read,
		       (unsigned long long)c->acquisitions_write,
		       (unsigned long long)c->contentions_read,
		       (unsigned long long)c->contentions_write);
	}
	printf("%s},\n", r->nr_run_locks ? "\n  " : "");
}

/*
 * PAMT memory: what the TD's 2M regions with a Dynamic PAMT pair cost at
 * the end of the run against static PAMT's 1/256 of its memory, and the
 * host's static PAMT against DPAMT at its peak.
 */
static void run_pamt_print(const struct run_report *rep)
{
	const struct tdxsim_vmm_result *r = rep->res;
	const struct tdxsim_module_stats *m = &r->module;

	if (!m->pamt_dynamic_peak_bytes) {
		printf("PAMT: static, %.2f MiB for the host's %.0f MiB (%.2f MiB of it for this TD's memory)\n",
		       m->pamt_static_bytes / 1048576.0,
		       rep->host.total_pages * 4096 / 1048576.0,
		       rep->memory / 256 / 1048576.0);
		return;
	}
	printf("PAMT: dynamic; this TD: %llu 2M regions with a page pair, %.2f MiB (static PAMT for its memory: %.2f MiB); host: %.2f MiB at the peak of %llu pairs against static %.2f MiB; PAMT.ADD %llu, PAMT.REMOVE %llu\n",
	       (unsigned long long)r->td.pamt_pairs,
	       r->td.pamt_pairs * 8192 / 1048576.0,
	       rep->memory / 256 / 1048576.0,
	       m->pamt_dynamic_peak_bytes / 1048576.0,
	       (unsigned long long)m->pamt_pairs_peak,
	       m->pamt_static_bytes / 1048576.0,
	       (unsigned long long)m->pamt_adds,
	       (unsigned long long)m->pamt_removes);
}

static void run_pamt_json(const struct run_report *rep)
{
	const struct tdxsim_vmm_result *r = rep->res;
	const struct tdxsim_module_stats *m = &r->module;

	printf("  \"pamt\": { \"dynamic\": %s, \"td_pairs\": %llu, \"td_bytes\": %llu, \"td_static_bytes\": %llu, \"host_static_bytes\": %llu, \"host_dynamic_peak_bytes\": %llu, \"pairs_peak\": %llu, \"pairs_after\": %llu, \"adds\": %llu, \"removes\": %llu },\n",
	       m->pamt_dynamic_peak_bytes ? "true" : "false",
	       (unsigned long long)r->td.pamt_pairs,
	       (unsigned long long)(r->td.pamt_pairs * 8192),
	       (unsigned long long)(rep->memory / 256),
	       (unsigned long long)m->pamt_static_bytes,
	       (unsigned long long)m->pamt_dynamic_peak_bytes,
	       (unsigned long long)m->pamt_pairs_peak,
	       (unsigned long long)m->pamt_pairs,
	       (unsigned long long)m->pamt_adds,
	       (unsigned long long)m->pamt_removes);
}

void run_report_text(const struct run_report *rep)
{
	const struct tdxsim_vmm_result *r = rep->res;
	unsigned int i;

	printf("tdxsim run: firmware %s, %llu MiB, %u vCPU%s, %s %s\n",
	       rep->firmware,
	       (unsigned long long)(rep->memory >> 20), rep->nr_vcpus,
	       rep->nr_vcpus > 1 ? "s" : "",
	       rep->program ? "guest program" : "workload",
	       rep->guest);
	printf("  kernel: %s", rep->kernel);
	if (rep->kernel_changes[0])
		printf(", with %s", rep->kernel_changes);
	printf("\n  design: %s\n",
	       rep->design);
	if (rep->deterministic)
		printf("  mode: deterministic, strategy %s, seed %llu, %llu schedule points, verdict %s\n",
		       rep->strategy,
		       (unsigned long long)rep->seed,
		       (unsigned long long)rep->steps,
		       tdxsim_verdict_name(rep->verdict));
	else
		printf("  mode: free (parallel threads)\n");
	printf("\nResult: %s%s%s\n", rep->ok ? "OK" : "FAILED",
	       r->error[0] ? ": " : "", r->error);
	if (r->mrtd_valid) {
		printf("MRTD: ");
		print_hex(stdout, r->mrtd, sizeof(r->mrtd));
		printf("\n");
	}

	printf("\nGuest\n");
	printf("  accepts: %llu at 4K, %llu at 2M, %llu 2M->4K fallbacks, %llu already accepted, %llu busy retries\n",
	       (unsigned long long)r->guest.accepts_4k,
	       (unsigned long long)r->guest.accepts_2m,
	       (unsigned long long)r->guest.fallbacks,
	       (unsigned long long)r->guest.already_accepted,
	       (unsigned long long)r->guest.busy_retries);
	printf("  data: %llu bytes written, %llu bytes verified, %llu data-check failures%s\n",
	       (unsigned long long)r->guest.bytes_written,
	       (unsigned long long)r->guest.bytes_verified,
	       (unsigned long long)r->guest_data_failures,
	       r->guest_finished ? "" : " (did not finish)");
	printf("  MapGPA: %llu, operations re-executed after a TD exit: %llu\n",
	       (unsigned long long)r->guest.mapgpa,
	       (unsigned long long)r->guest.exits);
	if (r->guest_messages)
		printf("  messages:\n%s", r->guest_messages);

	printf("\nKVM\n");
	printf("  KVM_RUN calls: %llu; exits to the VMM:",
	       (unsigned long long)rep->kvm_runs);
	for (i = 0; i < 64; i++)
		if (rep->exits[i])
			printf(" %s %llu;", exit_name(i),
			       (unsigned long long)rep->exits[i]);
	printf("\n");
	printf("  EPT violations %llu (%llu at the accept level), faults %llu (retries %llu), pre-faults %llu, memory-fault exits %llu\n",
	       (unsigned long long)r->kvm.vendor[TDXSIM_TDX_STAT_EPT_VIOLATIONS],
	       (unsigned long long)r->kvm.vendor[TDXSIM_TDX_STAT_ACCEPT_EXITS],
	       (unsigned long long)r->kvm.faults,
	       (unsigned long long)r->kvm.fault_retries,
	       (unsigned long long)r->kvm.pre_faults,
	       (unsigned long long)r->kvm.memory_fault_exits);
	printf("  conversions %llu (%llu pages to private, %llu to shared), punch holes %llu\n",
	       (unsigned long long)r->kvm.conversions,
	       (unsigned long long)r->kvm.pages_to_private,
	       (unsigned long long)r->kvm.pages_to_shared,
	       (unsigned long long)r->kvm.punch_holes);
	printf("  zaps %llu (%llu leaves), splits %llu (S-EPT demotes %llu), premapped %llu, install hooks BUSY %llu, no-vCPU retries %llu\n",
	       (unsigned long long)r->kvm.zaps,
	       (unsigned long long)r->kvm.zapped_leaves,
	       (unsigned long long)r->kvm.splits,
	       (unsigned long long)r->kvm.vendor[TDXSIM_TDX_STAT_SPLITS],
	       (unsigned long long)r->kvm.vendor[TDXSIM_TDX_STAT_PREMAPPED],
	       (unsigned long long)r->kvm.vendor[TDXSIM_TDX_STAT_HOOK_BUSY],
	       (unsigned long long)r->kvm.vendor[TDXSIM_TDX_STAT_NO_VCPUS_RETRY]);
	printf("  guest_memfd folios: %llu allocated, %llu freed, %llu 2M folios split\n",
	       (unsigned long long)r->kvm.gmem_folios_allocated,
	       (unsigned long long)r->kvm.gmem_folios_freed,
	       (unsigned long long)r->kvm.gmem_folio_splits);
	printf("  VM bugged: %s\n", r->kvm.vm_bugged ? "yes" : "no");

	printf("\nSEAMCALLs (count, BUSY)\n");
	for (i = 0; i < TDXSIM_NR_LEAVES; i++)
		if (r->td.seamcalls[i])
			printf("  %-26s %10llu %8llu\n",
			       leaf_name(i),
			       (unsigned long long)r->td.seamcalls[i],
			       (unsigned long long)r->td.busy[i]);
	printf("  %-26s %10llu\n", "total",
	       (unsigned long long)rep->seamcalls);
	printf("  failed (not BUSY): %llu\n", (unsigned long long)r->td.errors);
	printf("Guest TDCALLs:");
	for (i = 0; i < TDXSIM_NR_LEAVES; i++)
		if (r->td.tdcalls[i])
			printf(" %s %llu;",
			       tdcall_name(i),
			       (unsigned long long)r->td.tdcalls[i]);
	printf("\nTD exits:");
	for (i = 0; i < ARRAY_SIZE(r->td.exits); i++)
		if (r->td.exits[i])
			printf(" %s %llu;", vmx_exit_name(i),
			       (unsigned long long)r->td.exits[i]);
	printf("\n\nModelled TDX hardware time: %.3f ms (module work, per the cost table)\n",
	       r->td.cost_ns / 1e6);
	printf("Invariant check: ");
	if (r->invariant_errors < 0)
		printf("not run\n");
	else if (!r->invariant_errors)
		printf("passed\n");
	else
		printf("%d violations\n%s", r->invariant_errors,
		       r->invariant_report ? r->invariant_report : "");
	printf("Teardown: the module owns %llu pages after it%s\n",
	       (unsigned long long)r->pages_owned_after,
	       r->pages_owned_after ? " (LEAKED)" : ", every page reclaimed");
	run_pamt_print(rep);
	if (strcmp(rep->lockdep_state, "on"))
		printf("Lock validator: %s; ", rep->lockdep_state);
	else
		printf("Lock validator: ");
	printf("%u reports (%u circular, %u recursive, %u deadlock, %u hang, %u livelock)\n",
	       rep->reports,
	       rep->report_kinds[TDXSIM_REPORT_CIRCULAR],
	       rep->report_kinds[TDXSIM_REPORT_RECURSIVE],
	       rep->report_kinds[TDXSIM_REPORT_DEADLOCK],
	       rep->report_kinds[TDXSIM_REPORT_HANG],
	       rep->report_kinds[TDXSIM_REPORT_LIVELOCK]);
	run_locks_print(r);
	printf("Wall time: %.3f s (build %.3f, run %.3f, teardown %.3f); peak host pages in use: %llu (%.1f MiB); RSS now %.1f MiB, peak %.1f MiB\n",
	       rep->wall_ns / 1e9,
	       r->phase_ns[TDXSIM_VMM_PHASE_BUILD] / 1e9,
	       r->phase_ns[TDXSIM_VMM_PHASE_RUN] / 1e9,
	       r->phase_ns[TDXSIM_VMM_PHASE_TEARDOWN] / 1e9,
	       (unsigned long long)rep->host.peak_pages_in_use,
	       rep->host.peak_pages_in_use * 4096.0 / (1 << 20),
	       rep->rss_bytes / (double)(1 << 20),
	       rep->peak_rss_bytes / (double)(1 << 20));
	printf("Host metadata: %llu bytes per 4K page in use, %.1f MiB resident now\n",
	       (unsigned long long)rep->host.metadata_bytes_per_page,
	       rep->host.meta_bytes_resident / (double)(1 << 20));
}

/* Print "name": { "count"... } members of a counter table. */
static void json_table(const char *name, const u64 *v, unsigned int n,
		       const char *(*namer)(unsigned int), bool last)
{
	bool first = true;
	unsigned int i;

	printf("  \"%s\": {", name);
	for (i = 0; i < n; i++) {
		if (!v[i])
			continue;
		printf("%s\"%s\": %llu", first ? " " : ", ", namer(i),
		       (unsigned long long)v[i]);
		first = false;
	}
	printf("%s}%s\n", first ? "" : " ", last ? "" : ",");
}

void run_report_json(const struct run_report *rep)
{
	const struct tdxsim_vmm_result *r = rep->res;
	unsigned int i;
	bool first = true;

	printf("{\n  \"ok\": %s,\n  \"error\": ", rep->ok ? "true" : "false");
	json_string(stdout, r->error);
	printf(",\n  \"firmware\": ");
	json_string(stdout, rep->firmware);
	printf(",\n  \"memory\": %llu, \"vcpus\": %u,\n  \"%s\": ",
	       (unsigned long long)rep->memory, rep->nr_vcpus,
	       rep->program ? "guest_program" : "workload");
	json_string(stdout, rep->guest);
	printf(",\n  \"kernel\": ");
	json_string(stdout, rep->kernel);
	printf(",\n  \"kernel_changes\": ");
	json_string(stdout, rep->kernel_changes);
	printf(",\n  \"design\": ");
	json_string(stdout, rep->design);
	printf(",\n  \"mode\": \"%s\", \"strategy\": \"%s\", \"seed\": %llu, \"verdict\": \"%s\", \"schedule_points\": %llu,\n",
	       rep->deterministic ? "deterministic" :
							  "free",
	       rep->strategy,
	       (unsigned long long)rep->seed,
	       tdxsim_verdict_name(rep->verdict),
	       (unsigned long long)rep->steps);
	printf("  \"mrtd\": \"");
	if (r->mrtd_valid)
		print_hex(stdout, r->mrtd, sizeof(r->mrtd));
	printf("\",\n  \"guest\": { \"accepts_4k\": %llu, \"accepts_2m\": %llu, \"fallbacks\": %llu, \"already_accepted\": %llu, \"busy_retries\": %llu, \"bytes_written\": %llu, \"bytes_verified\": %llu, \"data_failures\": %llu, \"mapgpa\": %llu, \"reexecuted\": %llu, \"finished\": %s },\n",
	       (unsigned long long)r->guest.accepts_4k,
	       (unsigned long long)r->guest.accepts_2m,
	       (unsigned long long)r->guest.fallbacks,
	       (unsigned long long)r->guest.already_accepted,
	       (unsigned long long)r->guest.busy_retries,
	       (unsigned long long)r->guest.bytes_written,
	       (unsigned long long)r->guest.bytes_verified,
	       (unsigned long long)r->guest_data_failures,
	       (unsigned long long)r->guest.mapgpa,
	       (unsigned long long)r->guest.exits,
	       r->guest_finished ? "true" : "false");
	printf("  \"guest_messages\": ");
	json_string(stdout, r->guest_messages ? r->guest_messages : "");
	printf(",\n  \"kvm_run_calls\": %llu,\n", (unsigned long long)rep->kvm_runs);
	json_table("kvm_exits", rep->exits, 64, exit_name, false);
	printf("  \"kvm\": { \"ept_violations\": %llu, \"accept_level_exits\": %llu, \"faults\": %llu, \"fault_retries\": %llu, \"pre_faults\": %llu, \"memory_fault_exits\": %llu, \"conversions\": %llu, \"pages_to_private\": %llu, \"pages_to_shared\": %llu, \"punch_holes\": %llu, \"zaps\": %llu, \"zapped_leaves\": %llu, \"splits\": %llu, \"sept_demotes\": %llu, \"premapped\": %llu, \"hook_busy\": %llu, \"no_vcpu_retries\": %llu, \"gmem_folio_splits\": %llu, \"vm_bugged\": %s },\n",
	       (unsigned long long)r->kvm.vendor[TDXSIM_TDX_STAT_EPT_VIOLATIONS],
	       (unsigned long long)r->kvm.vendor[TDXSIM_TDX_STAT_ACCEPT_EXITS],
	       (unsigned long long)r->kvm.faults,
	       (unsigned long long)r->kvm.fault_retries,
	       (unsigned long long)r->kvm.pre_faults,
	       (unsigned long long)r->kvm.memory_fault_exits,
	       (unsigned long long)r->kvm.conversions,
	       (unsigned long long)r->kvm.pages_to_private,
	       (unsigned long long)r->kvm.pages_to_shared,
	       (unsigned long long)r->kvm.punch_holes,
	       (unsigned long long)r->kvm.zaps,
	       (unsigned long long)r->kvm.zapped_leaves,
	       (unsigned long long)r->kvm.splits,
	       (unsigned long long)r->kvm.vendor[TDXSIM_TDX_STAT_SPLITS],
	       (unsigned long long)r->kvm.vendor[TDXSIM_TDX_STAT_PREMAPPED],
	       (unsigned long long)r->kvm.vendor[TDXSIM_TDX_STAT_HOOK_BUSY],
	       (unsigned long long)r->kvm.vendor[TDXSIM_TDX_STAT_NO_VCPUS_RETRY],
	       (unsigned long long)r->kvm.gmem_folio_splits,
	       r->kvm.vm_bugged ? "true" : "false");
	printf("  \"seamcalls\": {");
	for (i = 0; i < TDXSIM_NR_LEAVES; i++) {
		if (!r->td.seamcalls[i])
			continue;
		printf("%s\n    \"%s\": { \"calls\": %llu, \"busy\": %llu }",
		       first ? "" : ",", leaf_name(i),
		       (unsigned long long)r->td.seamcalls[i],
		       (unsigned long long)r->td.busy[i]);
		first = false;
	}
	printf("\n  },\n  \"seamcalls_total\": %llu, \"seamcalls_failed\": %llu,\n",
	       (unsigned long long)rep->seamcalls,
	       (unsigned long long)r->td.errors);
	json_table("tdcalls", r->td.tdcalls, TDXSIM_NR_LEAVES, tdcall_name,
		   false);
	json_table("td_exits", r->td.exits, TDXSIM_NR_EXIT_REASONS,
		   vmx_exit_name, false);
	printf("  \"modelled_hw_ns\": %llu,\n",
	       (unsigned long long)r->td.cost_ns);
	printf("  \"invariant_errors\": %d, \"livelock\": %s, \"vm_dead\": %s,\n",
	       r->invariant_errors, r->livelock ? "true" : "false",
	       r->vm_dead ? "true" : "false");
	printf("  \"lockdep\": { \"state\": \"%s\", \"reports\": %u, \"circular\": %u, \"recursive\": %u, \"deadlock\": %u, \"hang\": %u, \"livelock\": %u },\n",
	       rep->lockdep_state, rep->reports,
	       rep->report_kinds[TDXSIM_REPORT_CIRCULAR],
	       rep->report_kinds[TDXSIM_REPORT_RECURSIVE],
	       rep->report_kinds[TDXSIM_REPORT_DEADLOCK],
	       rep->report_kinds[TDXSIM_REPORT_HANG],
	       rep->report_kinds[TDXSIM_REPORT_LIVELOCK]);
	run_locks_json(r);
	printf("  \"pages_owned_after\": %llu, \"pamt_violations\": %llu,\n",
	       (unsigned long long)r->pages_owned_after,
	       (unsigned long long)r->pamt_violations);
	run_pamt_json(rep);
	printf("  \"wall_ns\": %llu, \"build_ns\": %llu, \"run_ns\": %llu, \"teardown_ns\": %llu,\n",
	       (unsigned long long)rep->wall_ns,
	       (unsigned long long)r->phase_ns[TDXSIM_VMM_PHASE_BUILD],
	       (unsigned long long)r->phase_ns[TDXSIM_VMM_PHASE_RUN],
	       (unsigned long long)r->phase_ns[TDXSIM_VMM_PHASE_TEARDOWN]);
	printf("  \"metadata_bytes_per_page\": %llu, \"metadata_bytes_resident\": %llu, \"host_madvise_calls\": %llu,\n",
	       (unsigned long long)rep->host.metadata_bytes_per_page,
	       (unsigned long long)rep->host.meta_bytes_resident,
	       (unsigned long long)rep->host.madvise_calls);
	printf("  \"peak_host_pages\": %llu, \"rss_bytes\": %llu, \"peak_rss_bytes\": %llu\n}\n",
	       (unsigned long long)rep->host.peak_pages_in_use,
	       (unsigned long long)rep->rss_bytes,
	       (unsigned long long)rep->peak_rss_bytes);
}
