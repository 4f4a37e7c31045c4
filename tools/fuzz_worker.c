// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tdxsim fuzz's worker process and the supervisor's side of it. Every
 * program runs in a worker the supervisor forks and talks to over a pipe
 * (a request: the program's text and what to do with it; an answer: the
 * outcome, its report and a failing schedule's choice list). While it
 * waits, the supervisor draws the progress line and enforces the time
 * limits; a worker that dies, times out or spoiled its process (stuck
 * VMs, pages freed under the module) is replaced by a fresh one, and a
 * lost worker is reported as a crash finding.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands.h"
#include "fuzz.h"
#include "ulib/strbuf.h"

/* A worker that keeps this many stuck VMs is replaced. */
#define FZ_MAX_STUCK		16
/* A single run longer than this is killed and counted as a failure. */
#define FZ_RUN_TIMEOUT_S	120

enum { REQ_RUN = 1, REQ_EXPLORE = 2 };

struct wreq {
	u32 type;
	u32 text_len;
	u32 sig_len;
	u32 preemptions;
	u32 shard, nr_shards;
	u64 max_schedules;
};

/* Counters the worker updates during a long request (the progress line). */
struct shared {
	volatile u64 schedules, failures;
};

struct worker {
	pid_t pid;
	int to, from;			/* pipes */
	struct shared *sh;
	unsigned int started;
};

static struct worker W = { .pid = -1, .to = -1, .from = -1 };

double elapsed(void)
{
	return (now_ns() - P.t0) / 1e9;
}

u64 worker_schedules(void)
{
	return W.sh ? W.sh->schedules : 0;
}

/* --- the progress line ------------------------------------------------------- */

struct progress P;

void progress_clear(void)
{
	if (P.on && P.shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		P.shown = false;
	}
}

void progress_draw(bool force)
{
	u64 now = now_ns(), done = P.done;
	double secs = (now - P.t0) / 1e9, rate;
	char left[48] = "";

	if (!P.on || (!force && now - P.last_ns < 200000000ULL))
		return;
	if (W.sh && !strcmp(P.what, "schedules"))
		done = P.base_done + W.sh->schedules;
	P.last_ns = now;
	rate = secs > 0 ? done / secs : 0;
	if (O.seconds) {
		double l = O.seconds - elapsed();

		snprintf(left, sizeof(left), ", %d:%02d left",
			 l > 0 ? (int)l / 60 : 0, l > 0 ? (int)l % 60 : 0);
	} else if (P.total && rate > 0 && done < P.total) {
		double l = (P.total - done) / rate;

		snprintf(left, sizeof(left), ", %d:%02d left", (int)l / 60,
			 (int)l % 60);
	}
	fprintf(stderr, "\r\033[Kfuzz: %" PRIu64 " %s (%.0f/s), %" PRIu64 " failure%s%s",
		done, P.what, rate, P.failures, P.failures == 1 ? "" : "s",
		left);
	fflush(stderr);
	P.shown = true;
}

/* --- I/O ------------------------------------------------------------------- */

/* All @len bytes of @buf through @fd (@out: written, else read), or -1. */
static int io_all(int fd, void *buf, size_t len, bool out)
{
	char *p = buf;

	while (len) {
		ssize_t n = out ? write(fd, p, len) : read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

static int write_all(int fd, const void *buf, size_t len)
{
	return io_all(fd, (void *)buf, len, true);
}

static int read_all(int fd, void *buf, size_t len)
{
	return io_all(fd, buf, len, false);
}

/* --- the worker --------------------------------------------------------------- */

static void worker_progress(void *arg, uint64_t schedules, uint64_t failures)
{
	struct shared *sh = arg;

	sh->schedules = schedules;
	sh->failures = failures;
}

static char *read_str(int fd, u32 len)
{
	char *s = malloc(len + 1);

	if (!s || (len && read_all(fd, s, len))) {
		free(s);
		return NULL;
	}
	s[len] = '\0';
	return s;
}

static void worker_main(int in, int out, struct shared *sh)
{
	for (;;) {
		struct tdxsim_fuzz_program *p;
		struct wreq rq;
		struct wresp rs;
		char err[256], *text, *sig;
		const char *report = NULL, *choices = NULL;
		struct tdxsim_fuzz_explore_result er;

		if (read_all(in, &rq, sizeof(rq)))
			_exit(0);
		text = read_str(in, rq.text_len);
		sig = read_str(in, rq.sig_len);
		if (!text || !sig)
			_exit(1);
		memset(&rs, 0, sizeof(rs));
		memset(&er, 0, sizeof(er));
		rs.ret = tdxsim_fuzz_parse(text, "program", &p, err, sizeof(err));
		if (rs.ret) {
			snprintf(rs.out.summary, sizeof(rs.out.summary), "%s", err);
		} else if (rq.type == REQ_RUN) {
			rs.ret = tdxsim_fuzz_run(p, &rs.out);
			report = rs.out.report;
		} else {
			struct tdxsim_fuzz_explore_opts eo = {
				.preemptions = rq.preemptions,
				.shard = rq.shard,
				.nr_shards = rq.nr_shards,
				.max_schedules = rq.max_schedules,
				.signature = *sig ? sig : NULL,
				.sleep_sets = O.sleep_sets,
				.progress = worker_progress,
				.progress_arg = sh,
			};

			sh->schedules = sh->failures = 0;
			rs.ret = tdxsim_fuzz_explore(p, &eo, &er);
			rs.out = er.outcome;
			report = er.outcome.report;
			choices = er.explore.failing;
			rs.explore = er.explore;
			rs.explore.failing = NULL;
		}
		rs.out.report = NULL;
		rs.report_len = report ? strlen(report) : 0;
		rs.choices_len = choices ? strlen(choices) : 0;
		rs.restart = tdxsim_fuzz_nr_stuck() >= FZ_MAX_STUCK ||
			     tdxsim_fuzz_tainted();
		if (write_all(out, &rs, sizeof(rs)) ||
		    write_all(out, report ? report : "", rs.report_len) ||
		    write_all(out, choices ? choices : "", rs.choices_len))
			_exit(1);
		if (!rs.ret)
			tdxsim_fuzz_free(p);
		if (rq.type == REQ_RUN)
			tdxsim_fuzz_outcome_free(&rs.out);
		else
			tdxsim_fuzz_explore_result_free(&er);
		free(text);
		free(sig);
		if (rs.restart)
			_exit(0);
	}
}

void worker_stop(void)
{
	int st;

	if (W.pid < 0)
		return;
	close(W.to);
	close(W.from);
	kill(W.pid, SIGKILL);
	waitpid(W.pid, &st, 0);
	W.pid = -1;
	W.to = W.from = -1;
}

static int worker_start(void)
{
	int a[2], b[2];
	pid_t pid;

	if (!W.sh) {
		W.sh = mmap(NULL, sizeof(*W.sh), PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (W.sh == MAP_FAILED) {
			W.sh = NULL;
			return -errno;
		}
	}
	if (pipe(a) || pipe(b))
		return -errno;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		close(a[1]);
		close(b[0]);
		signal(SIGPIPE, SIG_DFL);
		worker_main(a[0], b[1], W.sh);
		_exit(0);
	}
	close(a[0]);
	close(b[1]);
	W.pid = pid;
	W.to = a[1];
	W.from = b[0];
	W.started++;
	return 0;
}

/* The worker died or timed out: a finding of its own. */
static void worker_lost(struct tdxsim_fuzz_outcome *out, const char *why)
{
	int st = 0;

	if (W.pid >= 0) {
		kill(W.pid, SIGKILL);
		waitpid(W.pid, &st, 0);
	}
	close(W.to);
	close(W.from);
	W.pid = -1;
	memset(out, 0, sizeof(*out));
	out->failed = true;
	out->kind = TDXSIM_FUZZ_CRASH;
	out->kinds = 1U << TDXSIM_FUZZ_CRASH;
	if (why) {
		snprintf(out->signature, sizeof(out->signature), "crash %s", why);
		snprintf(out->summary, sizeof(out->summary),
			 "the run did not finish: %s", why);
	} else {
		snprintf(out->signature, sizeof(out->signature), "crash %s",
			 WIFSIGNALED(st) ? strsignal(WTERMSIG(st)) : "exit");
		snprintf(out->summary, sizeof(out->summary),
			 "the process running the program died: %s",
			 WIFSIGNALED(st) ? strsignal(WTERMSIG(st)) :
			 "it exited");
	}
	snprintf(out->signatures, sizeof(out->signatures), "%s\n",
		 out->signature);
	out->report = xstrdup(out->summary);
}

/*
 * Send one request and wait for its answer, drawing the progress line.
 * Returns 0 (with @rs, @out->report and @choices filled) or -1 when the
 * worker was lost (@out describes how).
 */
static int worker_call(const struct wreq *rq, const char *text,
		       const char *sig, struct wresp *rs,
		       struct tdxsim_fuzz_outcome *out, char **choices,
		       unsigned int timeout_s)
{
	u64 t0 = now_ns();

	if (choices)
		*choices = NULL;
	if (W.pid < 0 && worker_start()) {
		worker_lost(out, "fork failed");
		return -1;
	}
	if (write_all(W.to, rq, sizeof(*rq)) ||
	    write_all(W.to, text, rq->text_len) ||
	    write_all(W.to, sig, rq->sig_len)) {
		worker_lost(out, NULL);
		return -1;
	}
	for (;;) {
		struct pollfd pfd = { .fd = W.from, .events = POLLIN };
		int n = poll(&pfd, 1, 200);

		if (n < 0 && errno != EINTR) {
			worker_lost(out, NULL);
			return -1;
		}
		if (n > 0)
			break;
		progress_draw(false);
		if (timeout_s && now_ns() - t0 > timeout_s * 1000000000ULL) {
			worker_lost(out, "timeout");
			return -1;
		}
		if (O.seconds && rq->type == REQ_EXPLORE &&
		    elapsed() > (double)O.seconds) {
			worker_lost(out, "out of time");
			return -1;
		}
	}
	if (read_all(W.from, rs, sizeof(*rs))) {
		worker_lost(out, NULL);
		return -1;
	}
	*out = rs->out;
	out->report = read_str(W.from, rs->report_len);
	{
		char *c = read_str(W.from, rs->choices_len);

		if (choices)
			*choices = c;
		else
			free(c);
	}
	if (rs->restart) {
		int st;

		close(W.to);
		close(W.from);
		waitpid(W.pid, &st, 0);
		W.pid = -1;
	}
	return 0;
}

/* Run @p in the worker (tdxsim_fuzz_runner). */
int run_remote(void *arg, const struct tdxsim_fuzz_program *p,
		      struct tdxsim_fuzz_outcome *out)
{
	char *text = tdxsim_fuzz_format(p);
	struct wreq rq = { .type = REQ_RUN, .text_len = strlen(text) };
	struct wresp rs;

	worker_call(&rq, text, "", &rs, out, NULL, FZ_RUN_TIMEOUT_S);
	free(text);
	return 0;
}

/* Explore @p in the worker. */
int explore_remote(const struct tdxsim_fuzz_program *p,
			  unsigned int k, unsigned int shard,
			  unsigned int nr_shards, u64 max, const char *sig,
			  struct wresp *rs, struct tdxsim_fuzz_outcome *out,
			  char **choices)
{
	char *text = tdxsim_fuzz_format(p);
	struct wreq rq = {
		.type = REQ_EXPLORE, .text_len = strlen(text),
		.sig_len = sig ? strlen(sig) : 0, .preemptions = k,
		.shard = shard, .nr_shards = nr_shards, .max_schedules = max,
	};
	int r;

	memset(rs, 0, sizeof(*rs));
	r = worker_call(&rq, text, sig ? sig : "", rs, out, choices, 0);
	free(text);
	return r;
}
