// SPDX-License-Identifier: GPL-2.0-or-later
/* The fuzzer's library tests' shared helpers (fuzz_test.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz_test.h"
#include "tdxsim/report.h"
#include "tdxsim/tdxsim.h"
#include "tdxsim/vmm.h"

struct tdxsim_fuzz_program *fuzz_test_parse(const char *text)
{
	struct tdxsim_fuzz_program *p = NULL;
	char err[256];
	int r = tdxsim_fuzz_parse(text, "test", &p, err, sizeof(err));

	if (r)
		fprintf(stderr, "# %s\n", err);
	assert_int_equal(r, 0);
	return p;
}

void fuzz_test_parse_fails(const char *text, const char *what)
{
	struct tdxsim_fuzz_program *p = NULL;
	char err[256];

	assert_int_equal(tdxsim_fuzz_parse(text, "bad", &p, err, sizeof(err)),
			 -EINVAL);
	if (what)
		assert_non_null(strstr(err, what));
}

char *fuzz_test_round_trip(const struct tdxsim_fuzz_gen_config *gc,
			   uint64_t seed, uint64_t index)
{
	struct tdxsim_fuzz_program *p, *q;
	char *a, *b, *c;

	assert_int_equal(tdxsim_fuzz_generate(gc, seed, index, &p), 0);
	assert_int_equal(tdxsim_fuzz_generate(gc, seed, index, &q), 0);
	a = tdxsim_fuzz_format(p);
	b = tdxsim_fuzz_format(q);
	assert_string_equal(a, b);
	tdxsim_fuzz_free(q);
	q = fuzz_test_parse(a);
	c = tdxsim_fuzz_format(q);
	assert_string_equal(a, c);
	free(b);
	free(c);
	tdxsim_fuzz_free(p);
	tdxsim_fuzz_free(q);
	return a;
}

void fuzz_test_run_clean(const char *text)
{
	struct tdxsim_fuzz_program *p = fuzz_test_parse(text);
	struct tdxsim_fuzz_outcome o;

	assert_int_equal(tdxsim_fuzz_run(p, &o), 0);
	if (o.failed)
		fprintf(stderr, "# %s\n", o.summary);
	assert_false(o.failed);
	assert_int_equal(o.bad_errnos, 0);
	tdxsim_fuzz_outcome_free(&o);
	tdxsim_fuzz_free(p);
}

/* Pages the TDX module owns for any TD (a bugged VM's leaked TD). */
static uint64_t module_pages_owned(void)
{
	struct tdxsim_module_stats ms = { 0 };
	int fd = tdxsim_open("/dev/kvm", 0);

	assert_true(fd >= 0);
	assert_int_equal(tdxsim_ioctl(fd, TDXSIM_GET_MODULE_STATS, &ms), 0);
	tdxsim_close(fd);
	return ms.pages_owned;
}

/*
 * A host (a child process) running @cases[@i..@n) in turn until one leaves
 * the module owning pages; after each case it writes the case's index and
 * cmocka's answer (0: passed) to @fd.
 */
static void __attribute__((noreturn))
host_run(const struct CMUnitTest *cases, size_t i, size_t n, int fd)
{
	uint64_t before;
	int rec[2];

	for (; i < n; i++) {
		before = module_pages_owned();
		rec[0] = (int)i;
		rec[1] = _cmocka_run_group_tests(cases[i].name + strlen("test_"),
						 &cases[i], 1, NULL, NULL);
		if (write(fd, rec, sizeof(rec)) != sizeof(rec))
			_exit(1);
		if (module_pages_owned() != before)
			break;
	}
	_exit(0);
}

/*
 * @cases[0..@n) in as few processes as the host allows. A case whose VM is
 * bugged on purpose leaves the module owning its TD's pages, as upstream
 * leaks them, and nothing short of a new host gives them back; the module
 * cannot switch between static and Dynamic PAMT while it owns pages, so a
 * later case of another kernel profile could not build its TD
 * (KVM_TDX_INIT_VM answering EBUSY). The next cases then run on a new host,
 * a new child process, as `tdxsim fuzz` restarts a worker after a stuck or
 * tainted run. Every other state must be reset by the case that uses it:
 * the cases between two such restarts share one process. A case that
 * crashes its host fails, and the next one gets a new host.
 */
static int run_hosts(const struct CMUnitTest *cases, size_t n)
{
	size_t next = 0, hosts = 0;
	int failed = 0, fds[2], rec[2], st;
	pid_t pid;

	while (next < n) {
		size_t first = next;

		assert_int_equal(pipe(fds), 0);
		fflush(NULL);
		pid = fork();
		assert_true(pid >= 0);
		if (!pid) {
			close(fds[0]);
			host_run(cases, first, n, fds[1]);
		}
		close(fds[1]);
		hosts++;
		while (read(fds[0], rec, sizeof(rec)) == sizeof(rec)) {
			failed += rec[1] != 0;
			next = (size_t)rec[0] + 1;
		}
		close(fds[0]);
		assert_int_equal(waitpid(pid, &st, 0), pid);
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "# test_%s crashed its host\n",
				cases[next].name + strlen("test_"));
			failed++;
			next++;
		} else if (next == first) {
			failed++;		/* no record at all */
			next++;
		}
	}
	printf("# %zu case(s) on %zu host(s), %d failed\n", n, hosts, failed);
	return failed;
}

int fuzz_test_main(int argc, char **argv, const struct CMUnitTest *cases,
		   size_t n)
{
	struct CMUnitTest *some;
	int a, ret;
	size_t i;

	tdxsim_set_reports_quiet(true);
	if (argc < 2)
		return run_hosts(cases, n);
	some = calloc(argc - 1, sizeof(*some));
	assert_non_null(some);
	for (a = 1; a < argc; a++) {
		for (i = 0; i < n; i++)
			if (!strcmp(cases[i].name + strlen("test_"), argv[a]))
				break;
		if (i == n) {
			fprintf(stderr, "no test %s\n", argv[a]);
			free(some);
			return 2;
		}
		some[a - 1] = cases[i];
	}
	ret = argc == 2 ? _cmocka_run_group_tests(argv[1], some, 1, NULL, NULL) :
			  run_hosts(some, argc - 1);
	free(some);
	return ret;
}
