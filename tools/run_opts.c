// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tdxsim run and tdxsim measure: their options, checked before anything
 * is launched (usage errors exit with status 2).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run.h"
#include "tdxsim/profiles.h"

int compare_apply(const struct run_opts *o, struct tdxsim_vmm_config *cfg,
		  unsigned int i, char *err, size_t errlen)
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
int parse_run_opts(const struct tdxsim_cmd *cmd, int argc, char **argv,
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
		{ "trace", required_argument, NULL, 'T' },
		{ "lockdep-graph", required_argument, NULL, 'G' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *run_only = NULL, *graph = NULL;
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
		if (c > 0 && strchr("wgMsSaokWCHPXLTG", c))
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
		case 'T':
			o->trace = optarg;
			break;
		case 'G':
			graph = optarg;
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

		if (tdxsim_tdvf_map_file(o->firmware_path, &o->fw, &size, err,
					 sizeof(err))) {
			fprintf(stderr, "tdxsim %s: %s\n", cmd->name, err);
			return 1;
		}
		o->vmm.firmware = o->fw;
		o->vmm.firmware_size = size;
		o->fw_size = size;
	}
	/* Last: the files are created only for a command line that runs. */
	if (graph && out_file_check(cmd->name, "lockdep-graph", graph))
		return EXIT_USAGE;
	if (o->trace && trace_opt_start(cmd->name, o->trace))
		return EXIT_USAGE;
	o->tracing = o->trace != NULL;
	o->lockdep_graph = graph;
	return 0;
}
