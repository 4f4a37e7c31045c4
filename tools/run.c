// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tdxsim run and tdxsim measure: launch a TD through the VMM and report.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/lockdep.h"
#include "base/page_alloc.h"
#include "base/sched.h"
#include "base/stats.h"
#include "commands.h"
#include "vmm/design.h"
#include "vmm/vmm.h"

/* SEAMCALL leaf names by number (the TDX module ABI). */
static const char *const leaf_names[TDXSIM_NR_LEAVES] = {
	[0] = "TDH.VP.ENTER",		[1] = "TDH.MNG.ADDCX",
	[2] = "TDH.MEM.PAGE.ADD",	[3] = "TDH.MEM.SEPT.ADD",
	[4] = "TDH.VP.ADDCX",		[6] = "TDH.MEM.PAGE.AUG",
	[7] = "TDH.MEM.RANGE.BLOCK",	[8] = "TDH.MNG.KEY.CONFIG",
	[9] = "TDH.MNG.CREATE",		[10] = "TDH.VP.CREATE",
	[11] = "TDH.MNG.RD",		[15] = "TDH.MEM.PAGE.DEMOTE",
	[16] = "TDH.MR.EXTEND",		[17] = "TDH.MR.FINALIZE",
	[18] = "TDH.VP.FLUSH",		[19] = "TDH.MNG.VPFLUSHDONE",
	[20] = "TDH.MNG.KEY.FREEID",	[21] = "TDH.MNG.INIT",
	[22] = "TDH.VP.INIT",		[23] = "TDH.MEM.PAGE.PROMOTE",
	[26] = "TDH.VP.RD",		[28] = "TDH.PHYMEM.PAGE.RECLAIM",
	[29] = "TDH.MEM.PAGE.REMOVE",	[30] = "TDH.MEM.SEPT.REMOVE",
	[38] = "TDH.MEM.TRACK",		[39] = "TDH.MEM.RANGE.UNBLOCK",
	[40] = "TDH.PHYMEM.CACHE.WB",	[41] = "TDH.PHYMEM.PAGE.WBINVD",
	[43] = "TDH.VP.WR",
};

static const char *const tdcall_names[TDXSIM_NR_LEAVES] = {
	[0] = "TDG.VP.VMCALL",		[1] = "TDG.VP.INFO",
	[3] = "TDG.VP.VEINFO.GET",	[6] = "TDG.MEM.PAGE.ACCEPT",
};

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

static const char *vmx_exit_name(unsigned int r)
{
	switch (r) {
	case 1:
		return "EXTERNAL_INTERRUPT";
	case 12:
		return "HLT";
	case 48:
		return "EPT_VIOLATION";
	case 77:
		return "TDCALL";
	default:
		return "?";
	}
}

struct run_opts {
	struct vmm_config vmm;
	struct sched_config sched;
	const char *firmware_path;
	bool json;
	u8 *fw;
	char *program;
};

static int parse_size(const char *s, u64 *out)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);
	u64 mul = 1;

	if (end == s)
		return -EINVAL;
	switch (*end) {
	case 'k':
	case 'K':
		mul = 1ULL << 10;
		end++;
		break;
	case 'm':
	case 'M':
		mul = 1ULL << 20;
		end++;
		break;
	case 'g':
	case 'G':
		mul = 1ULL << 30;
		end++;
		break;
	}
	if (*end == 'i' || *end == 'B')
		end++;
	if (*end == 'B')
		end++;
	if (*end || !v || v > (~0ULL) / mul)
		return -EINVAL;
	*out = v * mul;
	return 0;
}

static char *read_file(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	do {
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			if (!buf) {
				fclose(f);
				snprintf(err, errlen, "out of memory");
				return NULL;
			}
		}
		n = fread(buf + len, 1, 4096, f);
		len += n;
	} while (n > 0);
	fclose(f);
	buf[len] = '\0';
	return buf;
}

/* Parse the options shared by run and measure. Returns 0 or an exit status. */
static int parse_run_opts(const struct tdxsim_cmd *cmd, int argc, char **argv,
			  struct run_opts *o, bool is_run)
{
	static const struct option opts[] = {
		{ "firmware", required_argument, NULL, 'f' },
		{ "memory", required_argument, NULL, 'm' },
		{ "vcpus", required_argument, NULL, 'c' },
		{ "workload", required_argument, NULL, 'w' },
		{ "guest", required_argument, NULL, 'g' },
		{ "design", required_argument, NULL, 'd' },
		{ "mode", required_argument, NULL, 'M' },
		{ "seed", required_argument, NULL, 's' },
		{ "strategy", required_argument, NULL, 'S' },
		{ "accept", required_argument, NULL, 'a' },
		{ "ops", required_argument, NULL, 'o' },
		{ "chunk", required_argument, NULL, 'k' },
		{ "measure-order", required_argument, NULL, 'O' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char err[512];
	int c;

	vmm_config_init(&o->vmm);
	sched_config_init(&o->sched);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			o->firmware_path = optarg;
			break;
		case 'm':
			if (parse_size(optarg, &o->vmm.memory) ||
			    (o->vmm.memory & (SZ_2M - 1)))
				return usage_error(cmd->name,
						   "--memory %s: give a size that is a multiple of 2M, e.g. 256M or 4G",
						   optarg);
			break;
		case 'c':
			o->vmm.nr_vcpus = strtoul(optarg, NULL, 0);
			if (o->vmm.nr_vcpus < 1 ||
			    o->vmm.nr_vcpus > TDXSIM_GUEST_MAX_VCPUS)
				return usage_error(cmd->name,
						   "--vcpus %s: between 1 and %d",
						   optarg,
						   TDXSIM_GUEST_MAX_VCPUS);
			break;
		case 'w':
			o->vmm.workload = optarg;
			break;
		case 'g':
			free(o->program);
			o->program = read_file(optarg, err, sizeof(err));
			if (!o->program) {
				fprintf(stderr, "tdxsim %s: --guest %s\n",
					cmd->name, err);
				return 1;
			}
			o->vmm.program = o->program;
			o->vmm.program_name = optarg;
			break;
		case 'd':
			if (vmm_parse_design(optarg, &o->vmm.design, err,
					     sizeof(err)))
				return usage_error(cmd->name, "--design %s",
						   err);
			break;
		case 'M':
			if (!strcmp(optarg, "free"))
				o->sched.mode = SCHED_MODE_FREE;
			else if (!strcmp(optarg, "deterministic"))
				o->sched.mode = SCHED_MODE_DETERMINISTIC;
			else
				return usage_error(cmd->name,
						   "--mode %s: free or deterministic",
						   optarg);
			break;
		case 's':
			o->sched.seed = strtoull(optarg, NULL, 0);
			o->vmm.seed = o->sched.seed;
			break;
		case 'S':
			if (!strcmp(optarg, "random"))
				o->sched.strategy = SCHED_STRATEGY_RANDOM;
			else if (!strcmp(optarg, "pct"))
				o->sched.strategy = SCHED_STRATEGY_PCT;
			else
				return usage_error(cmd->name,
						   "--strategy %s: random or pct",
						   optarg);
			break;
		case 'a':
			if (tdxsim_guest_parse_accept_policy(optarg,
							     &o->vmm.accept))
				return usage_error(cmd->name,
						   "--accept %s: 4k, 2m or 2m-fallback",
						   optarg);
			break;
		case 'o':
			o->vmm.nr_ops = strtoul(optarg, NULL, 0);
			break;
		case 'k':
			if (parse_size(optarg, &o->vmm.chunk_size))
				return usage_error(cmd->name,
						   "--chunk %s: a size", optarg);
			break;
		case 'O':
			if (!strcmp(optarg, "single-pass"))
				o->vmm.measure_order = VMM_MEASURE_SINGLE_PASS;
			else if (!strcmp(optarg, "two-pass"))
				o->vmm.measure_order = VMM_MEASURE_TWO_PASS;
			else
				return usage_error(cmd->name,
						   "--measure-order %s: single-pass or two-pass",
						   optarg);
			break;
		case 'j':
			o->json = true;
			break;
		case 'h':
			fputs(cmd->help, stdout);
			exit(0);
		case ':':
			return usage_error(cmd->name, "option '%s' needs a value",
					   argv[optind - 1]);
		default:
			return usage_error(cmd->name, "unknown option '%s'",
					   argv[optind - 1]);
		}
	}
	if (argc - optind > 1)
		return usage_error(cmd->name, "takes at most one IMAGE");
	if (optind < argc) {
		if (o->firmware_path)
			return usage_error(cmd->name,
					   "give the image either as IMAGE or with --firmware");
		o->firmware_path = argv[optind];
	}
	if (!is_run && (o->vmm.program || o->sched.mode))
		return usage_error(cmd->name,
				   "--guest and --mode are options of 'tdxsim run'");
	if (o->firmware_path) {
		size_t size;

		if (tdvf_load_file(o->firmware_path, &o->fw, &size, err,
				   sizeof(err))) {
			fprintf(stderr, "tdxsim %s: %s\n", cmd->name, err);
			return 1;
		}
		o->vmm.firmware = o->fw;
		o->vmm.firmware_size = size;
	}
	return 0;
}

struct run_ctx {
	struct run_opts *o;
	bool run;
	struct vmm_result res;
	int ret;
};

static int run_fn(void *arg)
{
	struct run_ctx *ctx = arg;

	ctx->ret = vmm_launch(&ctx->o->vmm, ctx->run, &ctx->res);
	return 0;
}

static void print_hex(FILE *f, const u8 *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(f, "%02x", b[i]);
}

static void report_text(struct run_ctx *ctx, const struct sched_result *sr,
			u64 wall_ns)
{
	struct vmm_result *r = &ctx->res;
	struct run_opts *o = ctx->o;
	struct phys_mem_stats pm;
	char design[512];
	unsigned int i, v;
	u64 exits[64] = { 0 }, runs = 0;

	phys_mem_get_stats(&pm);
	printf("tdxsim run: firmware %s, %llu MiB, %u vCPU%s, %s %s\n",
	       o->firmware_path ? o->firmware_path : "(built-in)",
	       (unsigned long long)(o->vmm.memory >> 20), r->nr_vcpus,
	       r->nr_vcpus > 1 ? "s" : "",
	       o->vmm.program ? "guest program" : "workload",
	       o->vmm.program ? o->vmm.program_name : o->vmm.workload);
	printf("  design: %s\n",
	       vmm_design_string(&o->vmm.design, design, sizeof(design)));
	if (o->sched.mode == SCHED_MODE_DETERMINISTIC)
		printf("  mode: deterministic, strategy %s, seed %llu, %llu schedule points, verdict %s\n",
		       o->sched.strategy == SCHED_STRATEGY_PCT ? "pct" :
								 "random",
		       (unsigned long long)o->sched.seed,
		       (unsigned long long)sr->steps,
		       sched_verdict_name(sr->verdict));
	else
		printf("  mode: free (parallel threads)\n");
	printf("\nResult: %s%s%s\n", ctx->ret == 0 ? "OK" : "FAILED",
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

	for (v = 0; v < r->nr_vcpus; v++) {
		runs += r->vcpu[v].runs;
		for (i = 0; i < 64; i++)
			exits[i] += r->vcpu[v].exits[i];
	}
	printf("\nKVM\n");
	printf("  KVM_RUN calls: %llu;", (unsigned long long)runs);
	for (i = 0; i < 64; i++)
		if (exits[i])
			printf(" %s %llu;", exit_name(i),
			       (unsigned long long)exits[i]);
	printf("\n");
	printf("  faults %llu (retries %llu), pre-faults %llu, memory-fault exits %llu\n",
	       (unsigned long long)r->kvm.faults,
	       (unsigned long long)r->kvm.fault_retries,
	       (unsigned long long)r->kvm.pre_faults,
	       (unsigned long long)r->kvm.memory_fault_exits);
	printf("  conversions %llu (%llu pages to private, %llu to shared), punch holes %llu\n",
	       (unsigned long long)r->kvm.conversions,
	       (unsigned long long)r->kvm.pages_to_private,
	       (unsigned long long)r->kvm.pages_to_shared,
	       (unsigned long long)r->kvm.punch_holes);
	printf("  zaps %llu (%llu leaves), splits %llu, premapped %llu, install hooks BUSY %llu, no-vCPU retries %llu\n",
	       (unsigned long long)r->kvm.zaps,
	       (unsigned long long)r->kvm.zapped_leaves,
	       (unsigned long long)r->kvm.splits,
	       (unsigned long long)r->kvm.vendor[0],
	       (unsigned long long)r->kvm.vendor[6],
	       (unsigned long long)r->kvm.vendor[7]);
	printf("  VM bugged: %s\n", r->kvm.vm_bugged ? "yes" : "no");

	printf("\nSEAMCALLs (count, BUSY)\n");
	for (i = 0; i < TDXSIM_NR_LEAVES; i++)
		if (r->td.seamcalls[i])
			printf("  %-26s %10llu %8llu\n",
			       leaf_names[i] ? leaf_names[i] : "TDH.?",
			       (unsigned long long)r->td.seamcalls[i],
			       (unsigned long long)r->td.busy[i]);
	printf("  failed (not BUSY): %llu\n", (unsigned long long)r->td.errors);
	printf("Guest TDCALLs:");
	for (i = 0; i < TDXSIM_NR_LEAVES; i++)
		if (r->td.tdcalls[i])
			printf(" %s %llu;",
			       tdcall_names[i] ? tdcall_names[i] : "TDG.?",
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
	printf("Lock validator: %u reports (%u circular, %u recursive, %u deadlock, %u hang, %u livelock)\n",
	       lockdep_nr_reports(),
	       lockdep_count_reports(LOCKDEP_CIRCULAR, NULL),
	       lockdep_count_reports(LOCKDEP_RECURSIVE, NULL),
	       lockdep_count_reports(LOCKDEP_DEADLOCK, NULL),
	       lockdep_count_reports(LOCKDEP_HANG, NULL),
	       lockdep_count_reports(LOCKDEP_LIVELOCK, NULL));
	printf("Wall time: %.3f s; peak host pages in use: %llu (%.1f MiB); RSS now %.1f MiB\n",
	       wall_ns / 1e9, (unsigned long long)pm.peak_pages_in_use,
	       pm.peak_pages_in_use * 4096.0 / (1 << 20),
	       proc_rss_bytes() / (double)(1 << 20));
}

static void report_json(struct run_ctx *ctx, const struct sched_result *sr,
			u64 wall_ns)
{
	struct vmm_result *r = &ctx->res;
	struct phys_mem_stats pm;
	char design[512];
	unsigned int i;
	bool first = true;

	phys_mem_get_stats(&pm);
	printf("{\n  \"ok\": %s,\n  \"error\": ", ctx->ret == 0 ? "true" :
								   "false");
	json_string(stdout, r->error);
	printf(",\n  \"design\": ");
	json_string(stdout, vmm_design_string(&ctx->o->vmm.design, design,
					      sizeof(design)));
	printf(",\n  \"mode\": \"%s\", \"seed\": %llu, \"verdict\": \"%s\", \"schedule_points\": %llu,\n",
	       ctx->o->sched.mode == SCHED_MODE_DETERMINISTIC ?
		       "deterministic" : "free",
	       (unsigned long long)ctx->o->sched.seed,
	       sched_verdict_name(sr->verdict),
	       (unsigned long long)sr->steps);
	printf("  \"mrtd\": \"");
	if (r->mrtd_valid)
		print_hex(stdout, r->mrtd, sizeof(r->mrtd));
	printf("\",\n  \"guest\": { \"accepts_4k\": %llu, \"accepts_2m\": %llu, \"fallbacks\": %llu, \"bytes_written\": %llu, \"bytes_verified\": %llu, \"data_failures\": %llu, \"finished\": %s },\n",
	       (unsigned long long)r->guest.accepts_4k,
	       (unsigned long long)r->guest.accepts_2m,
	       (unsigned long long)r->guest.fallbacks,
	       (unsigned long long)r->guest.bytes_written,
	       (unsigned long long)r->guest.bytes_verified,
	       (unsigned long long)r->guest_data_failures,
	       r->guest_finished ? "true" : "false");
	printf("  \"kvm\": { \"faults\": %llu, \"fault_retries\": %llu, \"memory_fault_exits\": %llu, \"conversions\": %llu, \"zaps\": %llu, \"splits\": %llu, \"vm_bugged\": %llu },\n",
	       (unsigned long long)r->kvm.faults,
	       (unsigned long long)r->kvm.fault_retries,
	       (unsigned long long)r->kvm.memory_fault_exits,
	       (unsigned long long)r->kvm.conversions,
	       (unsigned long long)r->kvm.zaps,
	       (unsigned long long)r->kvm.splits,
	       (unsigned long long)r->kvm.vm_bugged);
	printf("  \"seamcalls\": {");
	for (i = 0; i < TDXSIM_NR_LEAVES; i++) {
		if (!r->td.seamcalls[i])
			continue;
		printf("%s\n    \"%s\": { \"calls\": %llu, \"busy\": %llu }",
		       first ? "" : ",", leaf_names[i] ? leaf_names[i] : "TDH.?",
		       (unsigned long long)r->td.seamcalls[i],
		       (unsigned long long)r->td.busy[i]);
		first = false;
	}
	printf("\n  },\n  \"modelled_hw_ns\": %llu,\n",
	       (unsigned long long)r->td.cost_ns);
	printf("  \"invariant_errors\": %d,\n  \"lockdep_reports\": %u,\n",
	       r->invariant_errors, lockdep_nr_reports());
	printf("  \"wall_ns\": %llu,\n  \"peak_host_pages\": %llu\n}\n",
	       (unsigned long long)wall_ns,
	       (unsigned long long)pm.peak_pages_in_use);
}

static int do_run(const struct tdxsim_cmd *cmd, int argc, char **argv,
		  bool run)
{
	struct run_opts o = { 0 };
	struct run_ctx ctx = { 0 };
	struct sched_result sr = { 0 };
	u64 t0;
	int r;

	r = parse_run_opts(cmd, argc, argv, &o, run);
	if (r)
		goto out;
	ctx.o = &o;
	ctx.run = run;
	if (!run)
		o.vmm.quiet = true;
	t0 = ktime_get_ns();
	r = sched_run(&o.sched, run_fn, &ctx, &sr);
	if (r) {
		fprintf(stderr, "tdxsim %s: %s\n", cmd->name, strerror(-r));
		r = 1;
		goto out;
	}
	if (sr.verdict != SCHED_OK) {
		fprintf(stderr, "tdxsim %s: the deterministic run ended in a %s (seed %llu)\n",
			cmd->name, sched_verdict_name(sr.verdict),
			(unsigned long long)o.sched.seed);
		ctx.ret = 1;
	}

	if (!run) {
		if (ctx.ret < 0 || !ctx.res.mrtd_valid) {
			fprintf(stderr, "tdxsim measure: %s\n",
				ctx.res.error[0] ? ctx.res.error :
						   "no MRTD");
			r = 1;
			goto free_res;
		}
		if (o.json) {
			printf("{ \"mrtd\": \"");
			print_hex(stdout, ctx.res.mrtd, 48);
			printf("\", \"measure_order\": \"%s\", \"page_adds\": %llu, \"mr_extends\": %llu, \"sections\": ",
			       o.vmm.measure_order == VMM_MEASURE_TWO_PASS ?
				       "two-pass" : "single-pass",
			       (unsigned long long)ctx.res.page_adds,
			       (unsigned long long)ctx.res.mr_extends);
			info_json_sections(&ctx.res.fw);
			printf(" }\n");
		} else {
			print_hex(stdout, ctx.res.mrtd, 48);
			printf("\n");
		}
		r = 0;
		goto free_res;
	}

	if (o.json)
		report_json(&ctx, &sr, ktime_get_ns() - t0);
	else
		report_text(&ctx, &sr, ktime_get_ns() - t0);
	r = ctx.ret == 0 ? 0 : 1;
free_res:
	vmm_result_free(&ctx.res);
out:
	free(o.fw);
	free(o.program);
	return r;
}

int cmd_run(const struct tdxsim_cmd *cmd, int argc, char **argv)
{
	return do_run(cmd, argc, argv, true);
}

int cmd_measure(const struct tdxsim_cmd *cmd, int argc, char **argv)
{
	return do_run(cmd, argc, argv, false);
}
