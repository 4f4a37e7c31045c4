// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tdxsim exec: run an unmodified, dynamically linked program with tdxsim
 * interposed under it (libtdxsim-preload.so through LD_PRELOAD; the options
 * travel in TDXSIM_* environment variables, src/preload/).
 *
 * Exit status: the program's (128 + N if a signal N ended it); 2 for a
 * usage error or a program that cannot be run under tdxsim (missing, not
 * executable, statically linked, not an x86-64 ELF program or script); 1
 * when tdxsim itself cannot start it (no preload library, fork failed).
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands.h"
#include "tdxsim/guest.h"
#include "tdxsim/profiles.h"

#ifndef TDXSIM_PRELOAD_INSTALLED
#define TDXSIM_PRELOAD_INSTALLED "/usr/local/lib/libtdxsim-preload.so"
#endif

static volatile pid_t child_pid;

/* A termination asked of tdxsim exec is the program's. */
static void forward_signal(int sig)
{
	if (child_pid > 0)
		kill(child_pid, sig);
}

/* The preload library: the build tree's when this is the build tree's tdxsim. */
static const char *preload_path(char *buf, size_t len)
{
	const char *env = getenv("TDXSIM_PRELOAD_LIB");
	char self[PATH_MAX], *slash;
	ssize_t n;

	if (env && *env)
		return env;
#if defined(TDXSIM_BUILD_TOOLS_DIR) && defined(TDXSIM_PRELOAD_BUILD)
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = 0;
		slash = strrchr(self, '/');
		if (slash) {
			*slash = 0;
			if (!strcmp(self, TDXSIM_BUILD_TOOLS_DIR)) {
				snprintf(buf, len, "%s", TDXSIM_PRELOAD_BUILD);
				return buf;
			}
		}
	}
#else
	(void)self; (void)slash; (void)n;
#endif
	snprintf(buf, len, "%s", TDXSIM_PRELOAD_INSTALLED);
	return buf;
}

/* PROGRAM as execvp() would find it, into @out; false if not found. */
static bool resolve(const char *prog, char *out, size_t len)
{
	const char *path = getenv("PATH"), *p, *end;

	if (strchr(prog, '/')) {
		snprintf(out, len, "%s", prog);
		return access(out, F_OK) == 0;
	}
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; ; p = end + 1) {
		end = strchrnul(p, ':');
		snprintf(out, len, "%.*s%s%s", (int)(end - p), p,
			 end > p ? "/" : "", prog);
		if (access(out, X_OK) == 0)
			return true;
		if (!*end)
			break;
	}
	return false;
}

/*
 * Can LD_PRELOAD reach @path? An x86-64 ELF program with an interpreter
 * (the dynamic loader), or a script whose interpreter is one. Returns NULL
 * or what is wrong.
 */
static const char *check_program(const char *path, int depth, char *why,
				 size_t len)
{
	unsigned char buf[256];
	Elf64_Ehdr eh;
	struct stat st;
	ssize_t n;
	int fd, i;

	if (stat(path, &st) || !S_ISREG(st.st_mode)) {
		snprintf(why, len, "%s", S_ISDIR(st.st_mode) ? "is a directory" :
					 "is not a regular file");
		return why;
	}
	if (access(path, X_OK)) {
		snprintf(why, len, "is not executable");
		return why;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, len, "cannot be read: %s", strerror(errno));
		return why;
	}
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n >= 2 && buf[0] == '#' && buf[1] == '!' && depth == 0) {
		char interp[PATH_MAX];
		size_t k = 0;

		close(fd);
		buf[n] = 0;
		for (i = 2; buf[i] == ' ' || buf[i] == '\t'; i++)
			;
		while (buf[i] && buf[i] != ' ' && buf[i] != '\t' &&
		       buf[i] != '\n' && k < sizeof(interp) - 1)
			interp[k++] = buf[i++];
		interp[k] = 0;
		if (!k) {
			snprintf(why, len, "is a script without an interpreter");
			return why;
		}
		if (check_program(interp, depth + 1, why, len)) {
			char inner[256];

			snprintf(inner, sizeof(inner), "%s", why);
			snprintf(why, len, "is a script whose interpreter %s %s",
				 interp, inner);
			return why;
		}
		return NULL;
	}
	if (n < (ssize_t)sizeof(eh) || memcmp(buf, ELFMAG, SELFMAG)) {
		close(fd);
		snprintf(why, len, "is not an ELF program or a script");
		return why;
	}
	memcpy(&eh, buf, sizeof(eh));
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64) {
		close(fd);
		snprintf(why, len, "is not an x86-64 program (tdxsim's preload library is)");
		return why;
	}
	for (i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		if (pread(fd, &ph, sizeof(ph), eh.e_phoff +
			  (off_t)i * eh.e_phentsize) != sizeof(ph))
			break;
		if (ph.p_type == PT_INTERP) {
			close(fd);
			return NULL;
		}
	}
	close(fd);
	snprintf(why, len, "is statically linked: LD_PRELOAD cannot put tdxsim under it (tdxsim exec needs a dynamically linked program)");
	return why;
}

static bool workload_known(const char *name)
{
	const struct tdxsim_guest_workload *w;
	size_t n, i;

	w = tdxsim_guest_workloads(&n);
	for (i = 0; i < n; i++)
		if (!strcmp(w[i].name, name))
			return true;
	return false;
}

static int check_guest_file(const char *name, const char *path)
{
	struct tdxsim_guest_config cfg;
	struct tdxsim_guest_model *g;
	char err[512], *text;
	size_t n = 0;
	FILE *f;
	long size;
	int r;

	f = fopen(path, "re");
	if (!f) {
		fprintf(stderr, "tdxsim %s: guest program %s: %s\n", name, path,
			strerror(errno));
		return 2;
	}
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	text = calloc(1, size > 0 ? size + 1 : 1);
	if (text && size > 0)
		n = fread(text, 1, size, f);
	fclose(f);
	if (!text)
		return 1;
	text[n] = 0;
	/* The syntax now; the vCPU count is the program's (checked at launch). */
	tdxsim_guest_config_init(&cfg);
	cfg.nr_vcpus = TDXSIM_GUEST_MAX_VCPUS;
	r = tdxsim_guest_parse(text, path, &cfg, &g, err, sizeof(err));
	free(text);
	if (r) {
		fprintf(stderr, "tdxsim %s: %s\n", name, err);
		return 2;
	}
	tdxsim_guest_destroy(g);
	return 0;
}

/*
 * A sanitizer build's preload library brings the ASan runtime, whose
 * sigaction() keeps SIGSEGV and SIGBUS for itself unless told otherwise:
 * allow_user_segv_handler=1 lets the preload's SIGSEGV handler in (it runs
 * first and passes what is not a guest_memfd fault on to ASan's, which it
 * replaced) and the program's own SIGSEGV and SIGBUS handlers; and
 * handle_sigbus=0 leaves the program's SIGBUS (its guest_memfd accesses',
 * tdxsim has none) at the default action, as without a sanitizer.
 * Appended: the later of two settings counts.
 */
static int asan_allow_segv_handler(void)
{
#if defined(__SANITIZE_ADDRESS__)
	const char *old = getenv("ASAN_OPTIONS");
	char *opts;

	if (asprintf(&opts, "%s%sallow_user_segv_handler=1:handle_sigbus=0",
		     old && *old ? old : "", old && *old ? ":" : "") < 0)
		return -1;
	setenv("ASAN_OPTIONS", opts, 1);
	free(opts);
#endif
	return 0;
}

int cmd_exec(const struct tdxsim_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "workload", required_argument, NULL, 'w' },
		{ "guest", required_argument, NULL, 'g' },
		{ "seed", required_argument, NULL, 's' },
		{ "report", required_argument, NULL, 'r' },
		{ "memory-failure-early-kill", no_argument, NULL, 'e' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *kernel = NULL, *workload = NULL, *guest = NULL;
	const char *report = NULL, *seed = NULL, *lib, *old;
	char libbuf[PATH_MAX], prog[PATH_MAX], why[512], err[256];
	struct tdxsim_design d;
	bool quiet = false, early_kill = false;
	int c, status, r;
	char *preload;
	pid_t pid;
	u64 v;

	opterr = 0;
	optind = 1;
	/* '+': options end at PROGRAM (or "--"). */
	while ((c = getopt_long(argc, argv, "+:hq", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			kernel = optarg;
			break;
		case 'w':
			workload = optarg;
			break;
		case 'g':
			guest = optarg;
			break;
		case 's':
			if (parse_u64(optarg, &v))
				return usage_error(cmd->name, "bad --seed '%s'",
						   optarg);
			seed = optarg;
			break;
		case 'r':
			report = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'e':
			early_kill = true;
			break;
		default:
			return getopt_common(cmd, c, argv);
		}
	}
	if (optind >= argc)
		return usage_error(cmd->name, "no PROGRAM to run");
	if (workload && guest)
		return usage_error(cmd->name,
				   "--workload and --guest exclude each other");
	if (kernel && tdxsim_kernel_design(kernel, &d, err, sizeof(err)))
		return usage_error(cmd->name, "%s", err);
	if (workload && !workload_known(workload))
		return usage_error(cmd->name,
				   "unknown workload '%s' (tdxsim run --help lists them)",
				   workload);
	if (guest && (r = check_guest_file(cmd->name, guest)))
		return r;

	if (!resolve(argv[optind], prog, sizeof(prog))) {
		fprintf(stderr, "tdxsim %s: %s: no such program\n", cmd->name,
			argv[optind]);
		return 2;
	}
	if (check_program(prog, 0, why, sizeof(why))) {
		fprintf(stderr, "tdxsim %s: %s %s\n", cmd->name, argv[optind],
			why);
		return 2;
	}
	lib = preload_path(libbuf, sizeof(libbuf));
	if (access(lib, R_OK)) {
		fprintf(stderr, "tdxsim %s: the preload library %s: %s\n",
			cmd->name, lib, strerror(errno));
		return 1;
	}
	if (report) {
		int fd = open(report, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			      0644);

		if (fd < 0) {
			fprintf(stderr, "tdxsim %s: --report %s: %s\n",
				cmd->name, report, strerror(errno));
			return 2;
		}
		close(fd);
	}

	old = getenv("LD_PRELOAD");
	if (asprintf(&preload, "%s%s%s", lib, old && *old ? ":" : "",
		     old && *old ? old : "") < 0)
		return 1;
	setenv("LD_PRELOAD", preload, 1);
	free(preload);
	if (kernel)
		setenv("TDXSIM_KERNEL", kernel, 1);
	if (workload)
		setenv("TDXSIM_WORKLOAD", workload, 1);
	if (guest)
		setenv("TDXSIM_GUEST", guest, 1);
	if (seed)
		setenv("TDXSIM_SEED", seed, 1);
	if (report)
		setenv("TDXSIM_EXEC_REPORT", report, 1);
	if (quiet)
		setenv("TDXSIM_QUIET", "1", 1);
	if (early_kill)
		setenv("TDXSIM_MEMORY_FAILURE_EARLY_KILL", "1", 1);
	/* The PFN space as a memfd: a shared guest_memfd page can be mapped. */
	setenv("TDXSIM_PHYS_MEMFD", "1", 0);
	if (asan_allow_segv_handler())
		return 1;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "tdxsim %s: fork: %s\n", cmd->name,
			strerror(errno));
		return 1;
	}
	if (pid == 0) {
		execv(prog, argv + optind);
		fprintf(stderr, "tdxsim %s: %s: %s\n", cmd->name, argv[optind],
			strerror(errno));
		_exit(127);
	}
	/*
	 * The terminal's signals reach the program directly (its process
	 * group); SIGTERM and SIGHUP sent to tdxsim exec are passed on.
	 */
	child_pid = pid;
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	signal(SIGTERM, forward_signal);
	signal(SIGHUP, forward_signal);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
