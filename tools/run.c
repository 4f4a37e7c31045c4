// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tdxsim run and tdxsim measure: launch a TD through the VMM and report.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tdxsim/report.h"
#include "tdxsim/sched.h"
#include "tdxsim/tdx.h"
#include "commands.h"
#include "tdxsim/vmm.h"
#include "tdxsim/profiles.h"
#include "ulib/compiler.h"
#include "ulib/proc.h"

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

#define MAX_COMPARE	4

struct run_opts {
	struct tdxsim_vmm_config vmm;
	struct tdxsim_sched_config sched;
	const char *firmware_path;
	bool json;
	bool no_progress;
	u8 *fw;
	char *program;
	/* --kernel P (NULL: the default) and the --design texts on top. */
	const char *kernel;
	const char *designs[16];
	unsigned int nr_designs;
	/*
	 * --compare KEY=V1,V2,...: one launch per value of the switch, or
	 * per kernel profile (KEY "kernel").
	 */
	char compare_key[32];
	char *compare_values[MAX_COMPARE];
	unsigned int nr_compare;
	char *compare_text;
};

/*
 * The configuration of --compare's run @i: @cfg is the base one; a switch
 * value on top of it, or another kernel with the same --design texts.
 */
static int compare_apply(const struct run_opts *o,
			 struct tdxsim_vmm_config *cfg, unsigned int i,
			 char *err, size_t errlen)
{
	char kv[96];
	unsigned int j;
	int r;

	if (strcmp(o->compare_key, "kernel")) {
		snprintf(kv, sizeof(kv), "%s=%s", o->compare_key,
			 o->compare_values[i]);
		return tdxsim_parse_design(kv, &cfg->design, err, errlen);
	}
	r = tdxsim_vmm_config_set_kernel(cfg, o->compare_values[i], err,
					 errlen);
	for (j = 0; !r && j < o->nr_designs; j++)
		r = tdxsim_parse_design(o->designs[j], &cfg->design, err,
					errlen);
	if (!r && o->vmm.measure_order == TDXSIM_VMM_MEASURE_TWO_PASS)
		cfg->design.measure_two_pass = 1;
	return r;
}

/* Parse "KEY=V1,V2[,...]" for --compare; the values are checked later. */
static int parse_compare(struct run_opts *o, const char *text)
{
	const char *eq = strchr(text, '=');
	char *save = NULL, *tok;

	if (!eq || eq == text || (size_t)(eq - text) >= sizeof(o->compare_key))
		return -EINVAL;
	memcpy(o->compare_key, text, eq - text);
	o->compare_key[eq - text] = '\0';
	free(o->compare_text);
	o->compare_text = strdup(eq + 1);
	if (!o->compare_text)
		return -ENOMEM;
	o->nr_compare = 0;
	for (tok = strtok_r(o->compare_text, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (o->nr_compare == MAX_COMPARE)
			return -E2BIG;
		o->compare_values[o->nr_compare++] = tok;
	}
	return o->nr_compare >= 2 ? 0 : -EINVAL;
}

/* The most program text --guest reads (the largest example is 1 KiB). */
#define GUEST_TEXT_MAX	(1U << 20)

/*
 * Read the guest program @path: a regular file or a pipe (/dev/stdin), at
 * most GUEST_TEXT_MAX bytes of text without NUL bytes. A FIFO is opened
 * without blocking; a directory, a device such as /dev/zero or a larger
 * file is refused with a message in @err, before or while reading.
 */
static char *read_file(const char *path, char *err, size_t errlen)
{
	size_t len = 0;
	struct stat st;
	char *buf, *nul;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)) {
		snprintf(err, errlen, "%s: %s, not a program file", path,
			 S_ISDIR(st.st_mode) ? "a directory" :
			 S_ISCHR(st.st_mode) ? "a character device" :
			 S_ISBLK(st.st_mode) ? "a block device" :
			 S_ISSOCK(st.st_mode) ? "a socket" : "not a regular file");
		close(fd);
		return NULL;
	}
	if (S_ISREG(st.st_mode) && st.st_size > GUEST_TEXT_MAX) {
		snprintf(err, errlen, "%s: %lld bytes, more than the %u KiB a program may have",
			 path, (long long)st.st_size, GUEST_TEXT_MAX >> 10);
		close(fd);
		return NULL;
	}
	/* A pipe's reads wait for its writer. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	buf = malloc(GUEST_TEXT_MAX + 2);
	if (!buf) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		return NULL;
	}
	/* One byte more than the limit tells a longer input. */
	while (len <= GUEST_TEXT_MAX) {
		n = read(fd, buf + len, GUEST_TEXT_MAX + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (!n)
			break;
		len += n;
	}
	if (len > GUEST_TEXT_MAX) {
		snprintf(err, errlen, "%s: more than the %u KiB a program may have",
			 path, GUEST_TEXT_MAX >> 10);
		goto fail;
	}
	nul = memchr(buf, '\0', len);
	if (nul) {
		snprintf(err, errlen, "%s: a NUL byte at offset %zu: not program text",
			 path, (size_t)(nul - buf));
		goto fail;
	}
	close(fd);
	buf[len] = '\0';
	return buf;
fail:
	close(fd);
	free(buf);
	return NULL;
}

/* A --workload name of tdxsim_guest_workloads(), or a usage error. */
static int check_workload(const char *cmd, const char *name)
{
	const struct tdxsim_guest_workload *w;
	char known[256] = "";
	size_t n, i, off = 0;

	w = tdxsim_guest_workloads(&n);
	for (i = 0; i < n; i++) {
		if (!strcmp(name, w[i].name))
			return 0;
		off += snprintf(known + off, sizeof(known) - off, "%s%s",
				i ? ", " : "", w[i].name);
		if (off >= sizeof(known))
			off = sizeof(known) - 1;
	}
	return usage_error(cmd, "--workload %s: unknown workload (known: %s)",
			   name, known);
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
		{ "kernel", required_argument, NULL, 'K' },
		{ "mode", required_argument, NULL, 'M' },
		{ "seed", required_argument, NULL, 's' },
		{ "strategy", required_argument, NULL, 'S' },
		{ "accept", required_argument, NULL, 'a' },
		{ "ops", required_argument, NULL, 'o' },
		{ "chunk", required_argument, NULL, 'k' },
		{ "working-set", required_argument, NULL, 'W' },
		{ "measure-order", required_argument, NULL, 'O' },
		{ "json", no_argument, NULL, 'j' },
		{ "compare", required_argument, NULL, 'C' },
		{ "compare-hugepages", no_argument, NULL, 'H' },
		{ "no-progress", no_argument, NULL, 'P' },
		{ "max-steps", required_argument, NULL, 'X' },
		{ "lockdep", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *run_only = NULL;
	bool max_steps_given = false, compare_hugepages = false;
	int idx = 0;
	char err[512];
	u64 n;
	int c;

	tdxsim_vmm_config_init(&o->vmm);
	tdxsim_sched_config_init(&o->sched);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", opts, &idx)) != -1) {
		if (c > 0 && strchr("wgMsSaokWCHPXL", c))
			run_only = opts[idx].name;
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
			if (parse_u64(optarg, &n) || n > TDXSIM_GUEST_MAX_VCPUS)
				n = 0;
			o->vmm.nr_vcpus = n;
			if (o->vmm.nr_vcpus < 1 ||
			    o->vmm.nr_vcpus > TDXSIM_GUEST_MAX_VCPUS)
				return usage_error(cmd->name,
						   "--vcpus %s: between 1 and %d",
						   optarg,
						   TDXSIM_GUEST_MAX_VCPUS);
			break;
		case 'w':
			if (check_workload(cmd->name, optarg))
				return EXIT_USAGE;
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
			if (o->nr_designs == ARRAY_SIZE(o->designs))
				return usage_error(cmd->name,
						   "too many --design options");
			o->designs[o->nr_designs++] = optarg;
			break;
		case 'K':
			o->kernel = optarg;
			break;
		case 'M':
			if (!strcmp(optarg, "free"))
				o->sched.mode = TDXSIM_SCHED_FREE;
			else if (!strcmp(optarg, "deterministic"))
				o->sched.mode = TDXSIM_SCHED_DETERMINISTIC;
			else
				return usage_error(cmd->name,
						   "--mode %s: free or deterministic",
						   optarg);
			break;
		case 's':
			if (parse_u64(optarg, &n))
				return usage_error(cmd->name,
						   "--seed %s: a number", optarg);
			o->sched.seed = n;
			o->vmm.seed = n;
			break;
		case 'S':
			if (parse_strategy(optarg, &o->sched.strategy))
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
			if (parse_u64(optarg, &n) || !n || n > 100000000)
				return usage_error(cmd->name,
						   "--ops %s: a number from 1 to 100000000",
						   optarg);
			o->vmm.nr_ops = n;
			break;
		case 'k':
			if (parse_size(optarg, &o->vmm.chunk_size) ||
			    o->vmm.chunk_size < SZ_4K ||
			    (o->vmm.chunk_size & (o->vmm.chunk_size - 1)))
				return usage_error(cmd->name,
						   "--chunk %s: a power of two of at least 4K, e.g. 4M",
						   optarg);
			break;
		case 'W':
			if (parse_size(optarg, &o->vmm.working_set) ||
			    !o->vmm.working_set ||
			    (o->vmm.working_set & (SZ_4K - 1)))
				return usage_error(cmd->name,
						   "--working-set %s: a non-zero multiple of 4K, e.g. 2G",
						   optarg);
			break;
		case 'O':
			if (!strcmp(optarg, "single-pass"))
				o->vmm.measure_order = TDXSIM_VMM_MEASURE_SINGLE_PASS;
			else if (!strcmp(optarg, "two-pass"))
				o->vmm.measure_order = TDXSIM_VMM_MEASURE_TWO_PASS;
			else
				return usage_error(cmd->name,
						   "--measure-order %s: single-pass or two-pass",
						   optarg);
			break;
		case 'j':
			o->json = true;
			break;
		case 'C':
			if (parse_compare(o, optarg))
				return usage_error(cmd->name,
						   "--compare %s: give KEY=V1,V2 (2 to %d values of one --design switch)",
						   optarg, MAX_COMPARE);
			break;
		case 'H':
			compare_hugepages = true;
			break;
		case 'P':
			o->no_progress = true;
			break;
		case 'X':
			if (parse_u64(optarg, &n) || !n)
				return usage_error(cmd->name,
						   "--max-steps %s: a number of schedule points",
						   optarg);
			o->sched.max_steps = n;
			max_steps_given = true;
			break;
		case 'L':
			if (strcmp(optarg, "on") && strcmp(optarg, "off"))
				return usage_error(cmd->name,
						   "--lockdep %s: on or off",
						   optarg);
			if (tdxsim_lockdep_set_enabled(!strcmp(optarg, "on")) &&
			    !strcmp(optarg, "on")) {
				fprintf(stderr, "tdxsim %s: --lockdep on: tdxsim was built without the lock validator (meson -Dlockdep=false)\n",
					cmd->name);
				return 1;
			}
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
	if (!is_run && run_only)
		return usage_error(cmd->name,
				   "--%s is an option of 'tdxsim run', not of measure",
				   run_only);
	/* The kernel first, then the switches changed on top of it. */
	if (tdxsim_vmm_config_set_kernel(&o->vmm, o->kernel ? o->kernel :
					 TDXSIM_KERNEL_DEFAULT, err,
					 sizeof(err)))
		return usage_error(cmd->name, "--kernel %s", err);
	for (n = 0; n < o->nr_designs; n++)
		if (tdxsim_parse_design(o->designs[n], &o->vmm.design, err,
					sizeof(err)))
			return usage_error(cmd->name, "--design %s", err);
	if (compare_hugepages) {
		char text[2 * TDXSIM_KERNEL_NAME_MAX + 64];

		/* The same kernel without and with the huge-page series. */
		snprintf(text, sizeof(text), "kernel=%s,%s+hugepage-rfc",
			 o->vmm.kernel, o->vmm.kernel);
		parse_compare(o, text);
	}
	if (o->nr_compare) {
		unsigned int i;

		for (i = 0; i < o->nr_compare; i++) {
			struct tdxsim_vmm_config cfg = o->vmm;

			if (compare_apply(o, &cfg, i, err, sizeof(err)))
				return usage_error(cmd->name, "--compare %s",
						   err);
		}
	}
	/* --measure-order two-pass and --design measure_two_pass=on agree. */
	if (o->vmm.measure_order == TDXSIM_VMM_MEASURE_TWO_PASS)
		o->vmm.design.measure_two_pass = 1;
	else if (o->vmm.design.measure_two_pass)
		o->vmm.measure_order = TDXSIM_VMM_MEASURE_TWO_PASS;
	/*
	 * The deterministic scheduler's livelock bound grows with the work:
	 * every guest page costs schedule points in the fault, the accept,
	 * the invariant check and the teardown (~60 per page measured).
	 */
	if (!max_steps_given) {
		u64 pages = o->vmm.memory >> PAGE_SHIFT;
		u64 ops = o->vmm.nr_ops ? o->vmm.nr_ops : 200;

		o->sched.max_steps = 4000000ULL + 256 * pages +
				     20000ULL * ops * o->vmm.nr_vcpus;
	}
	if (o->firmware_path) {
		size_t size;

		if (tdxsim_tdvf_load_file(o->firmware_path, &o->fw, &size, err,
				   sizeof(err))) {
			fprintf(stderr, "tdxsim %s: %s\n", cmd->name, err);
			return 1;
		}
		o->vmm.firmware = o->fw;
		o->vmm.firmware_size = size;
	}
	return 0;
}

/* Set when a deterministic run was ended by the scheduler (see do_run). */
static bool aborted_run;

struct run_ctx {
	struct run_opts *o;
	struct tdxsim_vmm_config cfg;		/* the launch's config */
	bool run;
	struct tdxsim_vmm_result res;
	int ret;
	struct tdxsim_sched_result sr;
	u64 wall_ns;
	/* The progress line (free mode on a terminal only). */
	struct tdxsim_vmm_progress progress;
	bool show_progress;
	u64 progress_stop;
	u64 t0;
};

static void progress_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static const char *const phase_names[] = {
	[TDXSIM_VMM_PHASE_BUILD] = "building and measuring the TD",
	[TDXSIM_VMM_PHASE_RUN] = "running",
	[TDXSIM_VMM_PHASE_TEARDOWN] = "checking invariants and tearing down",
	[TDXSIM_VMM_PHASE_DONE] = "done",
};

/*
 * The progress reporter: a task beside the launch that, every ~0.5 s,
 * rewrites one line on stderr from counters the launch updates atomically.
 */
static int progress_fn(void *arg)
{
	struct run_ctx *ctx = arg;
	struct tdxsim_vmm_progress *p = &ctx->progress;
	const char *env = getenv("TDXSIM_PROGRESS_MS");
	unsigned int period = 500;
	bool shown = false;

	/* The refresh period; tests shorten it (TDXSIM_PROGRESS_MS). */
	if (env && atoi(env) >= 10 && atoi(env) <= 10000)
		period = atoi(env);
	for (;;) {
		struct tdxsim_guest_stats st;
		unsigned int i, phase;

		for (i = 0; i < period / 10 && !__atomic_load_n(&(ctx->progress_stop), __ATOMIC_RELAXED);
		     i++)
			progress_sleep_ms(10);
		if (__atomic_load_n(&(ctx->progress_stop), __ATOMIC_RELAXED))
			break;
		phase = __atomic_load_n(&(p->phase), __ATOMIC_RELAXED);
		if (phase > TDXSIM_VMM_PHASE_DONE)
			phase = TDXSIM_VMM_PHASE_DONE;
		fprintf(stderr, "\r\033[K[%.1f s] %s", 
			(now_ns() - ctx->t0) / 1e9, phase_names[phase]);
		if (phase == TDXSIM_VMM_PHASE_RUN) {
			fprintf(stderr, ": KVM_RUN %llu, vCPUs done %llu/%u",
				(unsigned long long)__atomic_load_n(&(p->kvm_runs), __ATOMIC_RELAXED),
				(unsigned long long)__atomic_load_n(&(p->vcpus_done), __ATOMIC_RELAXED),
				ctx->cfg.nr_vcpus);
			if (tdxsim_vmm_progress_guest_stats(p, &st))
				fprintf(stderr, "; guest: %llu accepts (4K %llu, 2M %llu, %.0f%% of RAM), %.1f MiB written, %.1f MiB verified",
					(unsigned long long)(st.accepts_4k +
							     st.accepts_2m),
					(unsigned long long)st.accepts_4k,
					(unsigned long long)st.accepts_2m,
					100.0 * (st.accepts_4k +
						 512.0 * st.accepts_2m) * 4096 /
						ctx->cfg.memory,
					st.bytes_written / 1048576.0,
					st.bytes_verified / 1048576.0);
		}
		fflush(stderr);
		shown = true;
	}
	if (shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	return 0;
}

static int run_fn(void *arg)
{
	struct run_ctx *ctx = arg;
	struct tdxsim_thread *reporter = NULL;

	if (ctx->show_progress)
		reporter = tdxsim_thread_create("progress", progress_fn, ctx);
	ctx->ret = tdxsim_vmm_launch(&ctx->cfg, ctx->run, &ctx->res);
	if (reporter) {
		__atomic_store_n(&(ctx->progress_stop), 1, __ATOMIC_RELAXED);
		tdxsim_thread_join(reporter);
	}
	return 0;
}

/* One launch of @ctx->cfg in @o's scheduler mode. Returns 0 or -errno. */
static int launch_once(struct run_ctx *ctx)
{
	struct run_opts *o = ctx->o;
	int r;

	/* Never in deterministic mode (it would change the schedule). */
	ctx->show_progress = ctx->run && !o->no_progress &&
			     o->sched.mode == TDXSIM_SCHED_FREE &&
			     isatty(STDERR_FILENO);
	if (ctx->show_progress) {
		tdxsim_vmm_progress_init(&ctx->progress);
		ctx->progress.nr_vcpus = ctx->cfg.nr_vcpus;
		ctx->cfg.progress = &ctx->progress;
	}
	ctx->t0 = now_ns();
	r = tdxsim_sched_run(&o->sched, run_fn, ctx, &ctx->sr);
	ctx->wall_ns = now_ns() - ctx->t0;
	if (ctx->show_progress) {
		ctx->cfg.progress = NULL;
		tdxsim_vmm_progress_destroy(&ctx->progress);
	}
	if (r)
		return r;
	if (ctx->sr.verdict != TDXSIM_VERDICT_OK) {
		/* Free mode: the hung-task watchdog gave up a lock wait. */
		const char *how = o->sched.mode == TDXSIM_SCHED_DETERMINISTIC ?
				  "deterministic run" : "run (hung-task watchdog)";

		fprintf(stderr, "tdxsim run: the %s ended in a %s (seed %llu)\n",
			how, tdxsim_verdict_name(ctx->sr.verdict),
			(unsigned long long)o->sched.seed);
		if (ctx->ret == 0)
			ctx->ret = 1;
		if (!ctx->res.error[0])
			snprintf(ctx->res.error, sizeof(ctx->res.error),
				 "the %s ended in a %s", how,
				 tdxsim_verdict_name(ctx->sr.verdict));
		aborted_run = true;
	}
	return 0;
}

static void print_hex(FILE *f, const u8 *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(f, "%02x", b[i]);
}

static u64 total_runs(const struct tdxsim_vmm_result *r, u64 exits[64])
{
	unsigned int i, v;
	u64 runs = 0;

	memset(exits, 0, 64 * sizeof(u64));
	for (v = 0; v < r->nr_vcpus; v++) {
		runs += r->vcpu[v].runs;
		for (i = 0; i < 64; i++)
			exits[i] += r->vcpu[v].exits[i];
	}
	return runs;
}

/* The switches @cfg changes from its kernel profile ("" if none). */
static const char *kernel_changes(const struct tdxsim_vmm_config *cfg,
				  char *buf, size_t len)
{
	struct tdxsim_design profile;

	buf[0] = '\0';
	if (!tdxsim_kernel_design(cfg->kernel, &profile, NULL, 0))
		tdxsim_design_diff(&cfg->design, &profile, buf, len);
	return buf;
}

static u64 total_seamcalls(const struct tdxsim_vmm_result *r)
{
	u64 n = 0;
	unsigned int i;

	for (i = 0; i < TDXSIM_NR_LEAVES; i++)
		n += r->td.seamcalls[i];
	return n;
}

static void report_text(struct run_ctx *ctx)
{
	struct tdxsim_vmm_result *r = &ctx->res;
	const struct tdxsim_sched_result *sr = &ctx->sr;
	struct run_opts *o = ctx->o;
	struct tdxsim_host_memory pm;
	char design[1024];
	unsigned int i;
	u64 exits[64], runs;

	get_host_memory(&pm);
	printf("tdxsim run: firmware %s, %llu MiB, %u vCPU%s, %s %s\n",
	       o->firmware_path ? o->firmware_path : "(built-in)",
	       (unsigned long long)(ctx->cfg.memory >> 20), r->nr_vcpus,
	       r->nr_vcpus > 1 ? "s" : "",
	       ctx->cfg.program ? "guest program" : "workload",
	       ctx->cfg.program ? ctx->cfg.program_name : ctx->cfg.workload);
	printf("  kernel: %s", ctx->cfg.kernel);
	kernel_changes(&ctx->cfg, design, sizeof(design));
	if (design[0])
		printf(", with %s", design);
	printf("\n  design: %s\n",
	       tdxsim_design_string(&ctx->cfg.design, design, sizeof(design)));
	if (o->sched.mode == TDXSIM_SCHED_DETERMINISTIC)
		printf("  mode: deterministic, strategy %s, seed %llu, %llu schedule points, verdict %s\n",
		       o->sched.strategy == TDXSIM_STRATEGY_PCT ? "pct" :
								 "random",
		       (unsigned long long)o->sched.seed,
		       (unsigned long long)sr->steps,
		       tdxsim_verdict_name(sr->verdict));
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
	if (r->guest_messages)
		printf("  messages:\n%s", r->guest_messages);

	runs = total_runs(r, exits);
	printf("\nKVM\n");
	printf("  KVM_RUN calls: %llu; exits to the VMM:",
	       (unsigned long long)runs);
	for (i = 0; i < 64; i++)
		if (exits[i])
			printf(" %s %llu;", exit_name(i),
			       (unsigned long long)exits[i]);
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
	       (unsigned long long)total_seamcalls(r));
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
	if (strcmp(tdxsim_lockdep_state(), "on"))
		printf("Lock validator: %s; ", tdxsim_lockdep_state());
	else
		printf("Lock validator: ");
	printf("%u reports (%u circular, %u recursive, %u deadlock, %u hang, %u livelock)\n",
	       tdxsim_nr_reports(),
	       tdxsim_count_reports(TDXSIM_REPORT_CIRCULAR, NULL),
	       tdxsim_count_reports(TDXSIM_REPORT_RECURSIVE, NULL),
	       tdxsim_count_reports(TDXSIM_REPORT_DEADLOCK, NULL),
	       tdxsim_count_reports(TDXSIM_REPORT_HANG, NULL),
	       tdxsim_count_reports(TDXSIM_REPORT_LIVELOCK, NULL));
	printf("Wall time: %.3f s (build %.3f, run %.3f, teardown %.3f); peak host pages in use: %llu (%.1f MiB); RSS now %.1f MiB, peak %.1f MiB\n",
	       ctx->wall_ns / 1e9,
	       r->phase_ns[TDXSIM_VMM_PHASE_BUILD] / 1e9,
	       r->phase_ns[TDXSIM_VMM_PHASE_RUN] / 1e9,
	       r->phase_ns[TDXSIM_VMM_PHASE_TEARDOWN] / 1e9,
	       (unsigned long long)pm.peak_pages_in_use,
	       pm.peak_pages_in_use * 4096.0 / (1 << 20),
	       proc_rss_bytes() / (double)(1 << 20),
	       proc_peak_rss_bytes() / (double)(1 << 20));
	printf("Host metadata: %llu bytes per 4K page in use, %.1f MiB resident now\n",
	       (unsigned long long)pm.metadata_bytes_per_page,
	       pm.meta_bytes_resident / (double)(1 << 20));
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

static void report_json(struct run_ctx *ctx)
{
	struct tdxsim_vmm_result *r = &ctx->res;
	const struct tdxsim_sched_result *sr = &ctx->sr;
	struct run_opts *o = ctx->o;
	struct tdxsim_host_memory pm;
	char design[1024];
	u64 exits[64], runs;
	unsigned int i;
	bool first = true;

	get_host_memory(&pm);
	runs = total_runs(r, exits);
	printf("{\n  \"ok\": %s,\n  \"error\": ", ctx->ret == 0 ? "true" :
								   "false");
	json_string(stdout, r->error);
	printf(",\n  \"firmware\": ");
	json_string(stdout, o->firmware_path ? o->firmware_path :
					       "(built-in)");
	printf(",\n  \"memory\": %llu, \"vcpus\": %u,\n  \"%s\": ",
	       (unsigned long long)ctx->cfg.memory, r->nr_vcpus,
	       ctx->cfg.program ? "guest_program" : "workload");
	json_string(stdout, ctx->cfg.program ? ctx->cfg.program_name :
					       ctx->cfg.workload);
	printf(",\n  \"kernel\": ");
	json_string(stdout, ctx->cfg.kernel);
	printf(",\n  \"kernel_changes\": ");
	json_string(stdout, kernel_changes(&ctx->cfg, design, sizeof(design)));
	printf(",\n  \"design\": ");
	json_string(stdout, tdxsim_design_string(&ctx->cfg.design, design,
					      sizeof(design)));
	printf(",\n  \"mode\": \"%s\", \"strategy\": \"%s\", \"seed\": %llu, \"verdict\": \"%s\", \"schedule_points\": %llu,\n",
	       o->sched.mode == TDXSIM_SCHED_DETERMINISTIC ? "deterministic" :
							  "free",
	       o->sched.strategy == TDXSIM_STRATEGY_PCT ? "pct" : "random",
	       (unsigned long long)o->sched.seed,
	       tdxsim_verdict_name(sr->verdict),
	       (unsigned long long)sr->steps);
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
	printf(",\n  \"kvm_run_calls\": %llu,\n", (unsigned long long)runs);
	json_table("kvm_exits", exits, 64, exit_name, false);
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
	       (unsigned long long)total_seamcalls(r),
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
	       tdxsim_lockdep_state(), tdxsim_nr_reports(),
	       tdxsim_count_reports(TDXSIM_REPORT_CIRCULAR, NULL),
	       tdxsim_count_reports(TDXSIM_REPORT_RECURSIVE, NULL),
	       tdxsim_count_reports(TDXSIM_REPORT_DEADLOCK, NULL),
	       tdxsim_count_reports(TDXSIM_REPORT_HANG, NULL),
	       tdxsim_count_reports(TDXSIM_REPORT_LIVELOCK, NULL));
	printf("  \"pages_owned_after\": %llu, \"pamt_violations\": %llu,\n",
	       (unsigned long long)r->pages_owned_after,
	       (unsigned long long)r->pamt_violations);
	printf("  \"wall_ns\": %llu, \"build_ns\": %llu, \"run_ns\": %llu, \"teardown_ns\": %llu,\n",
	       (unsigned long long)ctx->wall_ns,
	       (unsigned long long)r->phase_ns[TDXSIM_VMM_PHASE_BUILD],
	       (unsigned long long)r->phase_ns[TDXSIM_VMM_PHASE_RUN],
	       (unsigned long long)r->phase_ns[TDXSIM_VMM_PHASE_TEARDOWN]);
	printf("  \"metadata_bytes_per_page\": %llu, \"metadata_bytes_resident\": %llu, \"host_madvise_calls\": %llu,\n",
	       (unsigned long long)pm.metadata_bytes_per_page,
	       (unsigned long long)pm.meta_bytes_resident,
	       (unsigned long long)pm.madvise_calls);
	printf("  \"peak_host_pages\": %llu, \"rss_bytes\": %llu, \"peak_rss_bytes\": %llu\n}\n",
	       (unsigned long long)pm.peak_pages_in_use,
	       (unsigned long long)proc_rss_bytes(),
	       (unsigned long long)proc_peak_rss_bytes());
}

/* --- tdxsim run --compare ---------------------------------------------- */

struct compare_row {
	const char *name;
	const char *json;
};

static const struct compare_row compare_rows[] = {
	{ "KVM_RUN exits to the VMM", "kvm_run_exits" },
	{ "TD exits: EPT violations", "ept_violations" },
	{ "TDH.MEM.PAGE.AUG", "page_aug" },
	{ "TDH.MEM.PAGE.DEMOTE", "page_demote" },
	{ "TDH.MEM.SEPT.ADD", "sept_add" },
	{ "SEAMCALLs (all leaves)", "seamcalls" },
	{ "guest accepts at 4K", "accepts_4k" },
	{ "guest accepts at 2M", "accepts_2m" },
	{ "guest 2M->4K fallbacks", "fallbacks" },
	{ "modelled hardware time (ms)", "modelled_hw_ms" },
	{ "wall time (ms)", "wall_ms" },
};

/* The value of compare_rows[@row] (same order) for one launch. */
static double compare_value(const struct run_ctx *c, unsigned int row)
{
	const struct tdxsim_vmm_result *r = &c->res;
	u64 exits[64];

	switch (row) {
	case 0:
		return total_runs(r, exits);
	case 1:
		return r->td.exits[EXIT_REASON_EPT_VIOLATION];
	case 2:
		return r->td.seamcalls[TDH_MEM_PAGE_AUG];
	case 3:
		return r->td.seamcalls[TDH_MEM_PAGE_DEMOTE];
	case 4:
		return r->td.seamcalls[TDH_MEM_SEPT_ADD];
	case 5:
		return total_seamcalls(r);
	case 6:
		return r->guest.accepts_4k;
	case 7:
		return r->guest.accepts_2m;
	case 8:
		return r->guest.fallbacks;
	case 9:
		return r->td.cost_ns / 1e6;
	default:
		return c->wall_ns / 1e6;
	}
}

static void compare_cell(double v, bool frac)
{
	if (frac)
		printf(" %16.3f", v);
	else
		printf(" %16.0f", v);
}

static void compare_text(struct run_opts *o, struct run_ctx *ctx,
			 unsigned int n)
{
	char head[64];
	unsigned int row, i;

	printf("tdxsim run --compare %s: firmware %s, %llu MiB, %u vCPU%s, workload %s, %s mode\n",
	       o->compare_key,
	       o->firmware_path ? o->firmware_path : "(built-in)",
	       (unsigned long long)(o->vmm.memory >> 20), ctx[0].res.nr_vcpus,
	       ctx[0].res.nr_vcpus > 1 ? "s" : "",
	       o->vmm.program ? o->vmm.program_name : o->vmm.workload,
	       o->sched.mode == TDXSIM_SCHED_DETERMINISTIC ? "deterministic" :
							  "free");
	printf("\n%-30s", "");
	for (i = 0; i < n; i++) {
		snprintf(head, sizeof(head), "%s", o->compare_values[i]);
		printf(" %16s", head);
	}
	printf(" %10s\n", n == 2 ? "ratio" : "");
	printf("%-30s", o->compare_key);
	for (i = 0; i < n; i++)
		printf(" %16s", "");
	if (n == 2)
		printf(" %10s", "2nd/1st");
	printf("\n");
	for (row = 0; row < ARRAY_SIZE(compare_rows); row++) {
		double a = compare_value(&ctx[0], row);
		double b = compare_value(&ctx[n - 1], row);
		bool frac = row >= 9;

		printf("%-30s", compare_rows[row].name);
		for (i = 0; i < n; i++)
			compare_cell(compare_value(&ctx[i], row), frac);
		if (n == 2 && a > 0)
			printf(" %10.3f", b / a);
		printf("\n");
	}
	printf("%-30s", "result");
	for (i = 0; i < n; i++)
		printf(" %16s", ctx[i].ret == 0 ? "OK" : "FAILED");
	printf("\n");
	for (i = 0; i < n; i++)
		if (ctx[i].ret)
			printf("  %s=%s: %s\n", o->compare_key,
			       o->compare_values[i], ctx[i].res.error);
	printf("%-30s", "invariant check");
	for (i = 0; i < n; i++)
		printf(" %16s", ctx[i].res.invariant_errors == 0 ? "passed" :
				"FAILED");
	printf("\n");
}

static void compare_json(struct run_opts *o, struct run_ctx *ctx,
			 unsigned int n)
{
	unsigned int row, i;

	printf("{\n  \"compare\": ");
	json_string(stdout, o->compare_key);
	printf(",\n  \"values\": [");
	for (i = 0; i < n; i++) {
		printf("%s", i ? ", " : "");
		json_string(stdout, o->compare_values[i]);
	}
	printf("],\n  \"ok\": [");
	for (i = 0; i < n; i++)
		printf("%s%s", i ? ", " : "", ctx[i].ret ? "false" : "true");
	printf("],\n  \"error\": [");
	for (i = 0; i < n; i++) {
		printf("%s", i ? ", " : "");
		json_string(stdout, ctx[i].res.error);
	}
	printf("],\n  \"invariant_errors\": [");
	for (i = 0; i < n; i++)
		printf("%s%d", i ? ", " : "", ctx[i].res.invariant_errors);
	printf("]");
	for (row = 0; row < ARRAY_SIZE(compare_rows); row++) {
		printf(",\n  \"%s\": [", compare_rows[row].json);
		for (i = 0; i < n; i++)
			printf("%s%.6g", i ? ", " : "",
			       compare_value(&ctx[i], row));
		printf("]");
	}
	printf("\n}\n");
}

static int do_compare(struct run_opts *o)
{
	struct run_ctx *ctx = calloc(o->nr_compare, sizeof(*ctx));
	unsigned int i, n = 0;
	int r = 0;

	if (!ctx)
		return 1;
	for (i = 0; i < o->nr_compare; i++) {
		ctx[i].o = o;
		ctx[i].run = true;
		ctx[i].cfg = o->vmm;
		compare_apply(o, &ctx[i].cfg, i, NULL, 0);
		tdxsim_reset_reports();
		r = launch_once(&ctx[i]);
		n++;
		if (r) {
			fprintf(stderr, "tdxsim run: %s\n", strerror(-r));
			r = 1;
			goto out;
		}
		if (ctx[i].ret < 0) {
			fprintf(stderr, "tdxsim run: %s=%s: %s\n",
				o->compare_key, o->compare_values[i],
				ctx[i].res.error);
			r = 1;
			goto out;
		}
		if (ctx[i].ret)
			r = 1;
	}
	if (o->json)
		compare_json(o, ctx, n);
	else
		compare_text(o, ctx, n);
out:
	for (i = 0; i < n; i++)
		tdxsim_vmm_result_free(&ctx[i].res);
	free(ctx);
	return r;
}

static int do_run(const struct tdxsim_cmd *cmd, int argc, char **argv,
		  bool run)
{
	struct run_opts o = { 0 };
	struct run_ctx ctx = { 0 };
	int r;

	r = parse_run_opts(cmd, argc, argv, &o, run);
	if (r)
		goto out;
	if (o.nr_compare) {
		r = do_compare(&o);
		goto out;
	}
	ctx.o = &o;
	ctx.run = run;
	ctx.cfg = o.vmm;
	if (!run)
		ctx.cfg.quiet = true;
	r = launch_once(&ctx);
	if (r) {
		fprintf(stderr, "tdxsim %s: %s\n", cmd->name, strerror(-r));
		r = 1;
		goto free_res;
	}
	/* The launch itself failed: the error alone, no report. */
	if (ctx.ret < 0 || !ctx.res.mrtd_valid) {
		if (ctx.sr.verdict == TDXSIM_VERDICT_OK)
			fprintf(stderr, "tdxsim %s: %s\n", cmd->name,
				ctx.res.error[0] ? ctx.res.error :
						   "no MRTD");
		r = 1;
		goto free_res;
	}

	if (!run) {
		if (o.json) {
			printf("{ \"mrtd\": \"");
			print_hex(stdout, ctx.res.mrtd, 48);
			printf("\", \"measure_order\": \"%s\", \"page_adds\": %llu, \"mr_extends\": %llu, \"sections\": ",
			       o.vmm.measure_order == TDXSIM_VMM_MEASURE_TWO_PASS ?
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
		report_json(&ctx);
	else
		report_text(&ctx);
	r = ctx.ret == 0 ? 0 : 1;
free_res:
	tdxsim_vmm_result_free(&ctx.res);
out:
	free(o.fw);
	free(o.program);
	free(o.compare_text);
	/*
	 * A deterministic run the scheduler ended (deadlock, hang, livelock)
	 * unwound its tasks mid-way: what they held cannot be released, so
	 * leave without the exit-time leak check.
	 */
	if (aborted_run) {
		fflush(NULL);
		_exit(r);
	}
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
