// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tdxsim: the command line.
 *
 *   tdxsim info [--json] [--td-shim] [IMAGE]
 *   tdxsim run | measure | scenario | explore ...
 *
 * Exit status: 0 success, 1 failure (a bad image, a failed run), 2 usage
 * error or a command that is not available in this build.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "tdxsim/guest.h"
#include "tdxsim/profiles.h"
#include "tdxsim/tdvf.h"
#include "ulib/compiler.h"

static const char *prog = "tdxsim";

int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s%s%s: ", prog, cmd ? " " : "", cmd ? cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s %s%s--help' for more information.\n", prog,
		cmd ? cmd : "", cmd ? " " : "");
	return EXIT_USAGE;
}

int getopt_common(const struct tdxsim_cmd *cmd, int c, char **argv)
{
	if (c == 'h') {
		fputs(cmd->help, stdout);
		return 0;
	}
	if (c == ':')
		return usage_error(cmd->name, "option '%s' needs a value",
				   argv[optind - 1]);
	return usage_error(cmd->name, "unknown option '%s'", argv[optind - 1]);
}

u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

void get_host_memory(struct tdxsim_host_memory *hm)
{
	int fd = tdxsim_open("/dev/kvm", O_RDWR);

	memset(hm, 0, sizeof(*hm));
	if (fd < 0)
		return;
	tdxsim_ioctl(fd, TDXSIM_GET_HOST_MEMORY, hm);
	tdxsim_close(fd);
}

int parse_u64(const char *s, u64 *out)
{
	char *end;

	if (!*s || *s == '-')
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 0);
	return (*end || errno) ? -EINVAL : 0;
}

int parse_size(const char *s, u64 *out)
{
	uint64_t v;

	if (tdxsim_guest_parse_size(s, &v) || !v)
		return -EINVAL;
	*out = v;
	return 0;
}

int parse_strategy(const char *s, enum tdxsim_sched_strategy *out)
{
	if (!strcmp(s, "random"))
		*out = TDXSIM_STRATEGY_RANDOM;
	else if (!strcmp(s, "pct"))
		*out = TDXSIM_STRATEGY_PCT;
	else
		return -EINVAL;
	return 0;
}

void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static const char *layout_name(enum tdxsim_tdvf_layout layout, bool json)
{
	if (layout == TDXSIM_TDVF_LAYOUT_OVMF_TABLE)
		return json ? "ovmf-guid-table" : "OVMF GUID table";
	return json ? "td-shim-legacy" : "td-shim metadata offset";
}

/* "0x..." for every value, 0 included (printf's "%#x" prints "0"). */
static const char *hex(u64 v, char *buf, size_t len)
{
	snprintf(buf, len, "0x%llx", (unsigned long long)v);
	return buf;
}

static void info_text(const char *name, const struct tdxsim_tdvf_info *info)
{
	char attr[64], h[4][24];
	u64 adds, extends;
	u32 i;

	tdxsim_tdvf_measure_counts(info, &adds, &extends);
	printf("image: %s (%zu bytes)\n", name, info->image_size);
	printf("metadata: %s, descriptor at file offset %#x, version %u, %u sections\n",
	       layout_name(info->layout, false), info->descriptor_offset,
	       info->version, info->nr_sections);
	printf("%3s  %-13s  %-10s  %-11s  %-18s  %-14s  %s\n", "#", "type",
	       "DataOffset", "RawDataSize", "MemoryAddress", "MemoryDataSize",
	       "attributes");
	for (i = 0; i < info->nr_sections; i++) {
		const struct tdxsim_tdvf_section *s = &info->sections[i];

		printf("%3u  %-13s  %-10s  %-11s  %-18s  %-14s  %s\n", i,
		       tdxsim_tdvf_section_type_name(s->type),
		       hex(s->data_offset, h[0], sizeof(h[0])),
		       hex(s->raw_data_size, h[1], sizeof(h[1])),
		       hex(s->memory_address, h[2], sizeof(h[2])),
		       hex(s->memory_data_size, h[3], sizeof(h[3])),
		       tdxsim_tdvf_attr_names(s->attributes, attr, sizeof(attr)));
	}
	printf("measurement: %llu TDH.MEM.PAGE.ADD, %llu TDH.MR.EXTEND (%llu bytes hashed into MRTD)\n",
	       (unsigned long long)adds, (unsigned long long)extends,
	       (unsigned long long)(adds + 3 * extends) * 128);
}

static void info_json(const char *name, const struct tdxsim_tdvf_info *info)
{
	u64 adds, extends;

	tdxsim_tdvf_measure_counts(info, &adds, &extends);
	printf("{\"image\": ");
	json_string(stdout, name);
	printf(", \"size\": %zu, \"layout\": \"%s\", \"descriptor_offset\": %u, \"version\": %u,\n",
	       info->image_size, layout_name(info->layout, true),
	       info->descriptor_offset, info->version);
	printf(" \"page_adds\": %llu, \"mr_extends\": %llu, \"bytes_hashed\": %llu,\n",
	       (unsigned long long)adds, (unsigned long long)extends,
	       (unsigned long long)(adds + 3 * extends) * 128);
	printf(" \"sections\": ");
	info_json_sections(info);
	printf("}\n");
}

void info_json_sections(const struct tdxsim_tdvf_info *info)
{
	char attr[64];
	u32 i;

	printf("[");
	for (i = 0; i < info->nr_sections; i++) {
		const struct tdxsim_tdvf_section *s = &info->sections[i];

		printf("%s\n  {\"index\": %u, \"type\": \"%s\", \"type_id\": %u, \"data_offset\": %u, \"raw_data_size\": %u, \"memory_address\": %llu, \"memory_data_size\": %llu, \"attributes\": %u, \"attribute_names\": \"%s\"}",
		       i ? "," : "", i, tdxsim_tdvf_section_type_name(s->type),
		       s->type, s->data_offset, s->raw_data_size,
		       (unsigned long long)s->memory_address,
		       (unsigned long long)s->memory_data_size, s->attributes,
		       tdxsim_tdvf_attr_names(s->attributes, attr, sizeof(attr)));
	}
	printf("\n ]");
}

static int cmd_info(const struct tdxsim_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "td-shim", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int flags = 0;
	struct tdxsim_tdvf_info info;
	const char *path, *name;
	bool json = false;
	char err[512];
	size_t size;
	u8 *image;
	int c, ret;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 's':
			flags |= TDXSIM_TDVF_PARSE_TDSHIM;
			break;
		case 'h':
			fputs(cmd->help, stdout);
			return 0;
		default:
			return usage_error(cmd->name, "unknown option '%s'",
					   argv[optind - 1]);
		}
	}
	if (argc - optind > 1)
		return usage_error(cmd->name,
				   "takes at most one IMAGE, got %d arguments",
				   argc - optind);
	path = optind < argc ? argv[optind] : NULL;

	if (path) {
		ret = tdxsim_tdvf_load_file(path, &image, &size, err, sizeof(err));
		if (ret) {
			fprintf(stderr, "%s info: %s\n", prog, err);
			return 1;
		}
		name = path;
	} else {
		ret = tdxsim_tdvf_builtin_image(&image, &size);
		if (ret) {
			fprintf(stderr, "%s info: built-in firmware: %s\n",
				prog, strerror(-ret));
			return 1;
		}
		name = "(built-in)";
	}

	ret = tdxsim_tdvf_parse_flags(image, size, flags, &info, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "%s info: %s: %s\n", prog, name, err);
		free(image);
		return 1;
	}
	if (json)
		info_json(name, &info);
	else
		info_text(name, &info);
	tdxsim_tdvf_info_free(&info);
	free(image);
	return 0;
}

static int cmd_help(const struct tdxsim_cmd *cmd, int argc, char **argv);

static const struct tdxsim_cmd commands[] = {
	{
		"info", "show the TDVF metadata of a firmware image",
		"usage: tdxsim info [--json] [--td-shim] [IMAGE]\n"
		"\n"
		"Parse the TDVF metadata of the firmware IMAGE (without IMAGE, of\n"
		"tdxsim's built-in firmware) and print its section table: index,\n"
		"type, DataOffset, RawDataSize, MemoryAddress, MemoryDataSize and\n"
		"attributes, then how many TDH.MEM.PAGE.ADD and TDH.MR.EXTEND calls\n"
		"loading it takes. A malformed image is refused with one message\n"
		"naming what is wrong (exit status 1).\n"
		"\n"
		"  --json      print JSON instead of a table\n"
		"  --td-shim   also accept td-shim section types 4..8 (PERM_MEM,\n"
		"              PAYLOAD, PAYLOAD_PARAM, TD_INFO, TD_PARAMS), which a\n"
		"              QEMU TD launch refuses\n"
		"  -h, --help  show this help\n",
		cmd_info,
	},
	{
		"run", "launch a TD from a firmware image and run it",
		"usage: tdxsim run [OPTIONS] [IMAGE]\n"
		"\n"
		"Launch a TD the way QEMU does (KVM_TDX_INIT_VM, guest_memfd slots,\n"
		"vCPUs and KVM_TDX_INIT_VCPU, private attributes, one\n"
		"KVM_TDX_INIT_MEM_REGION per firmware section, KVM_TDX_FINALIZE_VM),\n"
		"run a guest workload on every vCPU, and report: the MRTD, the\n"
		"guest's accepts and data checks, KVM's faults, exits, conversions,\n"
		"zaps and splits, SEAMCALLs and BUSY per leaf, TD exits, modelled TDX\n"
		"hardware time, the invariant check, lock-validator reports, wall\n"
		"time and peak memory. Exit status 0 when the run was clean, 1 when\n"
		"it observed a failure.\n"
		"\n"
		"  --firmware IMAGE     TDVF image (default: the built-in firmware)\n"
		"  --memory SIZE        guest RAM, a multiple of 2M (default 256M)\n"
		"  --vcpus N            vCPUs (default 1)\n"
		"  --workload NAME      lazy-accept (default), eager-accept,\n"
		"                       convert-churn, random, linux-boot\n"
		"  --guest FILE         a guest program (docs/guest-programs.md)\n"
		"  --accept POLICY      2m-fallback (default), 4k, 2m\n"
		"  --ops N              workload operations (see the workload)\n"
		"  --chunk SIZE         lazy-accept chunk (default 4M)\n"
		"  --working-set SIZE   linux-boot: RAM written and verified as it is\n"
		"                       accepted (default 2G)\n"
		"  --kernel NAME        the kernel profile: v6.16, v6.17, v6.18, v6.19,\n"
		"                       v7.0, next (default), with overlays such as\n"
		"                       next+hugepage-rfc (see tdxsim kernels)\n"
		"  --design K=V,...     change single switches of the kernel, e.g.\n"
		"                       pin_pages=on,vp_init_lock=none (tdxsim kernels\n"
		"                       --verbose lists them; measure_two_pass: see\n"
		"                       --measure-order)\n"
		"  --mode free|deterministic   threads in parallel (default) or one\n"
		"                       at a time under the seeded scheduler\n"
		"  --seed S             scheduler and workload seed (default 1)\n"
		"  --strategy random|pct  deterministic strategy (default random)\n"
		"  --max-steps N        deterministic mode: report a livelock after N\n"
		"                       schedule points (default: grows with --memory)\n"
		"  --lockdep on|off     the lock validator (default on; also\n"
		"                       TDXSIM_LOCKDEP=off): off for throughput runs,\n"
		"                       and the report says it was off\n"
		"  --trace FILE         write a trace Perfetto opens (Chrome JSON):\n"
		"                       threads, ioctls, SEAMCALLs, locks, TD exits\n"
		"  --lockdep-graph FILE write the lock validator's class graph (DOT)\n"
		"  --measure-order single-pass|two-pass  see 'tdxsim measure --help'\n"
		"  --compare KEY=V1,V2  run the same launch once per value of one\n"
		"                       design switch, or per kernel (KEY kernel:\n"
		"                       kernel=v6.16,next), 2 to 4 values, and print one\n"
		"                       side-by-side table: exits, EPT violations,\n"
		"                       PAGE.AUG, DEMOTE, SEAMCALLs, guest accepts,\n"
		"                       modelled hardware time, wall time\n"
		"  --compare-hugepages  --compare kernel=K,K+hugepage-rfc: the kernel's\n"
		"                       4K-only TD beside the huge-page series' one\n"
		"  --no-progress        no progress line (it is shown only on a\n"
		"                       terminal, in free mode, on stderr)\n"
		"  --json               print the report as JSON\n"
		"  -h, --help           show this help\n"
		"\n"
		"Examples:\n"
		"  tdxsim run --vcpus 2\n"
		"  tdxsim run --firmware /usr/share/ovmf/OVMF.fd --memory 1G --vcpus 4 \\\n"
		"             --workload convert-churn --mode deterministic --seed 7\n"
		"  tdxsim run --kernel v6.16 --vcpus 2\n"
		"  tdxsim run --compare-hugepages --vcpus 2\n",
		cmd_run,
	},
	{
		"measure", "compute a TD's MRTD by running the launch path",
		"usage: tdxsim measure [--kernel NAME] [--design K=V,...]\n"
		"                      [--measure-order single-pass|two-pass] [--json] [IMAGE]\n"
		"\n"
		"Print the MRTD (96 hex digits) of a TD launched from IMAGE (default:\n"
		"the built-in firmware) by running the real launch path: parse the\n"
		"TDVF metadata, KVM_TDX_INIT_MEM_REGION every section through the\n"
		"uAPI, KVM_TDX_FINALIZE_VM, read MRTD from the module.\n"
		"\n"
		"  --measure-order single-pass   per page: PAGE.ADD then 16 MR.EXTENDs\n"
		"                                (upstream KVM and QEMU; the default)\n"
		"  --measure-order two-pass      per section: all PAGE.ADDs, then all\n"
		"                                MR.EXTENDs (hosts on the older KVM TDX\n"
		"                                API, e.g. QEMU 8.2 TDX trees)\n"
		"  --kernel NAME                 the kernel profile (see tdxsim kernels)\n"
		"  --design K=V,...              change single switches of the kernel\n"
		"  --json                        also print the section table\n"
		"  -h, --help                    show this help\n",
		cmd_measure,
	},
	{
		"scenario", "run a seed patch's bug scenario in one design",
		"usage: tdxsim scenario [OPTIONS] NAME\n"
		"       tdxsim scenario --list\n"
		"\n"
		"Run the scenario NAME once under the deterministic scheduler: the\n"
		"smallest TD that shows the bug of one seed patch, built through the\n"
		"uAPI, with its racing tasks. A failure prints what a kernel\n"
		"developer needs: the lock-validator report or the SEAMCALL that\n"
		"failed with its status, each task's last schedule points, and the\n"
		"seed that replays it. Exit status 0 when the run was clean, 1 when\n"
		"it observed a failure, 2 on a usage error.\n"
		"\n"
		"  --list               list the scenarios, one line each, with their\n"
		"                       kernels\n"
		"  --kernel NAME        run in this kernel profile (see tdxsim kernels),\n"
		"                       with the switches the scenario needs\n"
		"  --design D           before (the scenario's kernel before the seed\n"
		"                       patch), upstream (default: the kernel that has\n"
		"                       it), or K=V,... on top of --kernel or upstream\n"
		"  --seed S             scheduler seed (default: the scenario's own,\n"
		"                       with which the before-design fails)\n"
		"  --strategy random|pct  scheduling strategy (default random)\n"
		"  -v, --verbose        print the full report even for a clean run\n"
		"  --trace FILE         write the run's trace (Chrome JSON, Perfetto)\n"
		"  --lockdep-graph FILE write the lock validator's class graph (DOT)\n"
		"  --json               print the run (or --list) as JSON\n"
		"  -h, --help           show this help\n",
		cmd_scenario,
	},
	{
		"explore", "run a scenario over many seeds and find failing ones",
		"usage: tdxsim explore [OPTIONS] NAME\n"
		"\n"
		"Run the scenario NAME with N seeds under the deterministic\n"
		"scheduler and report how many failed, the first failing seed\n"
		"(replayable with tdxsim scenario NAME --seed S) with its report,\n"
		"and the time taken. Exit status 1 when any schedule failed, 0 when\n"
		"none did, 2 on a usage error.\n"
		"\n"
		"  --kernel NAME        the kernel profile (see tdxsim kernels)\n"
		"  --design D           before, upstream (default) or K=V,...\n"
		"  --schedules N        number of seeds (default 1000)\n"
		"  --first-seed S       first seed (default 1)\n"
		"  --strategy random|pct|bounded  scheduling strategy (default\n"
		"                       random); bounded: every schedule with at most\n"
		"                       --preemptions K preemptions, ending with a\n"
		"                       verdict (\"exhaustive to K preemptions: N\n"
		"                       schedules, no failure\")\n"
		"  --preemptions K      the bound of --strategy bounded (default 2)\n"
		"  --max-schedules N    stop a bounded search after N schedules\n"
		"  --shard I/N          bounded: run shard I of N of the schedules\n"
		"  --sleep-sets         bounded: skip reorderings of steps that touch\n"
		"                       different objects\n"
		"  -x, --stop-on-failure  stop at the first failing seed or schedule\n"
		"  -q, --quiet          no progress lines on stderr\n"
		"  --trace FILE         afterwards, replay the first failing seed (or\n"
		"                       the first seed) and write its trace (Perfetto)\n"
		"  --lockdep-graph FILE and that run's lock class graph (DOT)\n"
		"  --json               print the result as one JSON object\n"
		"  -h, --help           show this help\n",
		cmd_explore,
	},
	{
		"kernels", "list the kernel profiles and their switches",
		"usage: tdxsim kernels [--verbose] [--json] [NAME]\n"
		"\n"
		"List the kernel profiles tdxsim models: releases (v6.16 ... v7.0),\n"
		"kvm-x86 next (the default) and overlays of series that are not\n"
		"merged, applied on a base with '+' (next+hugepage-rfc). With\n"
		"--verbose, every design switch each kernel sets, its value and the\n"
		"upstream commit, release or posting it comes from. With NAME, that\n"
		"kernel's switches (overlays applied).\n"
		"\n"
		"  -v, --verbose        every switch of every profile, with sources\n"
		"  --json               print the profiles as JSON\n"
		"  -h, --help           show this help\n",
		cmd_kernels,
	},
	{
		"fuzz", "generate concurrent uAPI programs and find what breaks",
		"usage: tdxsim fuzz [OPTIONS]\n"
		"       tdxsim fuzz --replay FILE [--strategy bounded --preemptions K]\n"
		"\n"
		"Generate programs (a small TD launched through the uAPI, then two to\n"
		"four concurrent tasks: VMM calls and vCPUs running guest programs),\n"
		"run each under the deterministic scheduler with a seeded schedule,\n"
		"and judge it from data: KVM_BUG_ON, WARNs, lock-validator reports,\n"
		"deadlocks, hangs, livelocks, the invariant checker, the guest's data\n"
		"checks, the guest's private bytes seen by the host, pages the module\n"
		"owns after teardown, PAMT violations, and answers KVM never gives\n"
		"there. A failure is shrunk and written as a program file\n"
		"(docs/fuzz-programs.md) with its replay command. Exit status 1 when\n"
		"a program failed, 0 when none did, 2 on a usage error.\n"
		"\n"
		"  --kernel P           the kernel profile (default next)\n"
		"  --design K=V,...     design switches on top of it (tdxsim run --help)\n"
		"  --seconds N          fuzz for N seconds\n"
		"  --programs N         fuzz N programs (default 1000)\n"
		"  --seed S             the program stream (default 1): program i of\n"
		"                       seed S is always the same program\n"
		"  --strategy random|pct|bounded  schedules: seeded random walk\n"
		"                       (default), PCT, or every schedule with at most\n"
		"                       --preemptions K preemptions\n"
		"  --preemptions K      the bound of --strategy bounded (default 2)\n"
		"  --max-schedules N    stop a bounded search after N schedules\n"
		"                       (default for generated programs: 2000 each)\n"
		"  --shard I/N          run shard I of N: programs i with i mod N = I,\n"
		"                       or (bounded --replay) a share of the schedules\n"
		"  --json               JSON lines: a batch line per 100 programs, a\n"
		"                       failure line per distinct failure, a summary\n"
		"  --replay FILE        run the program FILE (its own schedule, or\n"
		"                       --seed/--strategy's)\n"
		"  --shrink             with --replay: shrink the program if it fails\n"
		"  --trace FILE         with --replay: write the run's trace (Chrome\n"
		"                       JSON, Perfetto); the run is made in-process\n"
		"  --lockdep-graph FILE with --replay: the lock class graph (DOT)\n"
		"  --sched-trace FILE   append each run's schedule trace to FILE\n"
		"  --out DIR            where failing programs are written (default .)\n"
		"  -g, --keep-going     go on after a failure (each distinct failure\n"
		"                       is shrunk and written once)\n"
		"  --no-shrink          write failures as found\n"
		"  --print              print the programs instead of running them\n"
		"  --max-tasks N        at most N concurrent tasks (2..4, default 4)\n"
		"  --tds N              TDs per program: 1 (default) or 2, a second TD\n"
		"                       on the same host racing the first\n"
		"  --bias dpamt         lean the programs towards Dynamic PAMT's races:\n"
		"                       two TDs, host pages between their launches,\n"
		"                       vCPU creation racing removals (none: default);\n"
		"                       dpamt-edge: the host pages stop a few pages\n"
		"                       before a 2M block's end\n"
		"  --sleep-sets         bounded search: skip reorderings of steps that\n"
		"                       touch different objects\n"
		"  --no-progress        no progress line (shown only on a terminal)\n"
		"  -q, --quiet          no summary line for a clean run\n"
		"  -h, --help           show this help\n"
		"\n"
		"Examples:\n"
		"  tdxsim fuzz --seconds 60\n"
		"  tdxsim fuzz --design vp_init_lock=none --seconds 120\n"
		"  tdxsim fuzz --replay fuzz-1a2b3c4d.prog\n"
		"  tdxsim fuzz --replay prog --strategy bounded --preemptions 2\n",
		cmd_fuzz,
	},
	{
		"exec", "run an unmodified VMM program with tdxsim as its /dev/kvm",
		"usage: tdxsim exec [OPTIONS] [--] PROGRAM [ARGS...]\n"
		"\n"
		"Run PROGRAM, a dynamically linked program that uses /dev/kvm with\n"
		"plain system calls (a VMM), with tdxsim interposed under it through\n"
		"LD_PRELOAD (libtdxsim-preload.so): its open(\"/dev/kvm\") and the\n"
		"ioctl, mmap, munmap, fallocate, read, close, dup and fcntl calls on\n"
		"the descriptors tdxsim hands out go to tdxsim, and so do\n"
		"madvise(MADV_HWPOISON) of a guest_memfd mapping (memory failure)\n"
		"and prctl(PR_MCE_KILL); everything else to the C library. On KVM_RUN a TD's vCPUs run tdxsim's guest model (a\n"
		"workload or a guest program, learning RAM from the TD HOB) instead\n"
		"of the firmware's code; a vCPU whose guest finished reports the TD\n"
		"powering off (KVM_EXIT_SYSTEM_EVENT, SHUTDOWN). At exit, one line\n"
		"per VM on stderr: its kernel profile, MRTD, KVM_RUNs and the\n"
		"guest's result. Exit status: the program's (128+N for signal N);\n"
		"2 for a usage error or a PROGRAM that is missing or statically\n"
		"linked; 1 when tdxsim cannot start it.\n"
		"\n"
		"  --kernel NAME        the kernel profile of every VM (default next)\n"
		"  --workload NAME      the TD's guest workload (default lazy-accept)\n"
		"  --guest FILE         a guest program (docs/guest-programs.md)\n"
		"  --seed S             the guest's seed (default 1)\n"
		"  --report FILE        write one JSON line per VM to FILE at exit\n"
		"  --memory-failure-early-kill\n"
		"                       vm.memory_failure_early_kill=1: memory\n"
		"                       failure sends SIGBUS BUS_MCEERR_AO at once\n"
		"                       unless the thread set prctl(PR_MCE_KILL)\n"
		"  -q, --quiet          no summary lines on stderr\n"
		"  -h, --help           show this help\n"
		"\n"
		"Example:\n"
		"  tdxsim exec --kernel v6.16 -- ./my-vmm /usr/share/ovmf/OVMF.fd\n",
		cmd_exec,
	},
	{
		"help", "show help for tdxsim or one of its commands",
		"usage: tdxsim help [--json] [COMMAND]\n"
		"\n"
		"Print tdxsim's usage, or COMMAND's help. With --json, the commands\n"
		"and their summaries (or COMMAND's name, summary and help text) as\n"
		"JSON.\n",
		cmd_help,
	},
};

static void main_usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"usage: tdxsim [--help] [--version [--json]] COMMAND [ARGS]\n"
		"\n"
		"A user-space model of KVM's TDX private-memory machinery, run\n"
		"against a software TDX module.\n"
		"\n"
		"Commands:\n");
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-9s %s\n", commands[i].name,
			commands[i].summary);
	fprintf(f, "\nRun 'tdxsim COMMAND --help' for a command's options.\n");
}

static const struct tdxsim_cmd *find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void help_json(const struct tdxsim_cmd *c)
{
	size_t i;

	if (c) {
		printf("{\"command\": ");
		json_string(stdout, c->name);
		printf(", \"summary\": ");
		json_string(stdout, c->summary);
		printf(", \"help\": ");
		json_string(stdout, c->help);
		printf("}\n");
		return;
	}
	printf("{\"version\": \"%s\", \"commands\": [", TDXSIM_VERSION);
	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		printf("%s\n  {\"command\": ", i ? "," : "");
		json_string(stdout, commands[i].name);
		printf(", \"summary\": ");
		json_string(stdout, commands[i].summary);
		printf("}");
	}
	printf("\n]}\n");
}

static int cmd_help(const struct tdxsim_cmd *cmd, int argc, char **argv)
{
	const struct tdxsim_cmd *c = NULL;
	const char *name = NULL;
	bool json = false;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(cmd->help, stdout);
			return 0;
		} else if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (argv[i][0] == '-') {
			return usage_error(cmd->name, "unknown option '%s'",
					   argv[i]);
		} else if (name) {
			return usage_error(cmd->name,
					   "takes at most one COMMAND");
		} else {
			name = argv[i];
		}
	}
	if (name) {
		c = find_cmd(name);
		if (!c)
			return usage_error(cmd->name, "unknown command '%s'",
					   name);
	}
	if (json)
		help_json(c);
	else if (c)
		fputs(c->help, stdout);
	else
		main_usage(stdout);
	return 0;
}

/* tdxsim --version [--json]: the version and the default kernel profile. */
static int version(int argc, char **argv)
{
	if (argc > 3 || (argc == 3 && strcmp(argv[2], "--json")))
		return usage_error(NULL, "--version takes only --json");
	if (argc == 3)
		printf("{\"version\": \"%s\", \"default_kernel\": \"%s\"}\n",
		       TDXSIM_VERSION, TDXSIM_KERNEL_DEFAULT);
	else
		printf("tdxsim %s\ndefault kernel profile: %s\n",
		       TDXSIM_VERSION, TDXSIM_KERNEL_DEFAULT);
	return 0;
}

int main(int argc, char **argv)
{
	const struct tdxsim_cmd *cmd;

	if (argc < 2) {
		main_usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		main_usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version"))
		return version(argc, argv);
	if (argv[1][0] == '-')
		return usage_error(NULL, "unknown option '%s'", argv[1]);
	cmd = find_cmd(argv[1]);
	if (!cmd)
		return usage_error(NULL, "unknown command '%s'", argv[1]);
	return cmd->fn(cmd, argc - 1, argv + 1);
}
