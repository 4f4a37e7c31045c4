// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The tracer's file (base/trace.h): tdxsim_trace_start() opens it and
 * starts recording, tdxsim_trace_stop() closes every slice still open and
 * writes what trace.c recorded as Chrome JSON trace events: the process
 * and thread names of the runs and tracks, then every event in the order
 * of its clock tick. The ticks of one schedule step of a deterministic run
 * are spread over its microsecond in the order they were taken, and every
 * tick gets a distinct timestamp, so the slices of a track nest in the file
 * exactly as they nested in the run and a seed gives the same file byte for
 * byte.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/trace_internal.h"
#include "ulib/strbuf.h"

int tdxsim_trace_start(const char *path)
{
	FILE *f;

	pthread_mutex_lock(&tr.m);
	if (tr.recording) {
		pthread_mutex_unlock(&tr.m);
		return -EBUSY;
	}
	f = fopen(path, "w");
	if (!f) {
		int err = errno;

		pthread_mutex_unlock(&tr.m);
		return -err;
	}
	tr.f = f;
	tr.path = xstrdup(path);
	tr.nr_ticks = tr.nr_ev = tr.nr_tracks = 0;
	tr.nr_classes = 0;
	tr.dropped = 0;
	if (tr.hash)
		memset(tr.hash, 0, tr.hash_size * sizeof(*tr.hash));
	tr.last = 0;
	tr.logical = false;
	tr.mono0 = 0;
	tr.pid = 1;
	tr.runs = 0;
	tr.any_logical = tr.any_free = false;
	tr.recording = true;
	/* Tick 0: the start of the file. */
	trace_tick_locked();
	__atomic_store_n(&__tdxsim_trace_enabled, true, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&tr.m);
	return 0;
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* Microseconds with three decimals. */
static void put_us(FILE *f, u64 ns)
{
	fprintf(f, "%" PRIu64 ".%03" PRIu64, ns / 1000, ns % 1000);
}

/*
 * Timestamps of every tick: a logical step's ticks spread over its
 * microsecond, every tick later than the one before.
 */
static void ticks_to_ts(void)
{
	u64 prev = 0;
	u32 i = 0, j, n;

	while (i < tr.nr_ticks) {
		u64 c = tr.ticks[i];

		for (j = i + 1; j < tr.nr_ticks && tr.ticks[j] == c; j++)
			;
		n = j - i;
		for (; i < j; i++) {
			u64 ts = c & ~LOGICAL;

			if (c & LOGICAL)
				ts += (u64)(n - (j - i)) * 1000 / n;
			if (i && ts <= prev)
				ts = prev + 1;
			tr.ticks[i] = prev = ts;
		}
	}
}

static int cmp_tev(const void *a, const void *b)
{
	const struct tev *x = a, *y = b;

	return x->tick < y->tick ? -1 : x->tick > y->tick;
}

static void write_meta(FILE *f, const char *what, u32 pid, u32 tid,
		       bool thread, const char *key, const char *sval,
		       s64 ival)
{
	fprintf(f, ",\n{\"ph\": \"M\", \"pid\": %u", pid);
	if (thread)
		fprintf(f, ", \"tid\": %u", tid);
	fprintf(f, ", \"name\": \"%s\", \"args\": {\"%s\": ", what, key);
	if (sval)
		json_str(f, sval);
	else
		fprintf(f, "%" PRId64, ival);
	fprintf(f, "}}");
}

static void write_file(FILE *f)
{
	u32 i, pid;

	ticks_to_ts();
	qsort(tr.ev, tr.nr_ev, sizeof(*tr.ev), cmp_tev);
	fprintf(f, "{\"displayTimeUnit\": \"ns\",\n\"otherData\": {\"tool\": \"tdxsim\", \"clock\": \"%s\", \"runs\": %u, \"events\": %u, \"dropped_events\": %" PRIu64 "},\n\"traceEvents\": [\n",
		tr.any_logical && tr.any_free ? "mixed" :
		tr.any_logical ? "logical: 1 us per schedule step" :
		"CLOCK_MONOTONIC", tr.runs, tr.nr_ev, tr.dropped);
	fprintf(f, "{\"ph\": \"M\", \"pid\": 1, \"name\": \"process_name\", \"args\": {\"name\": \"tdxsim (outside runs)\"}}");
	for (pid = 2; pid < tr.nr_pid_names; pid++) {
		if (!tr.pid_names[pid])
			continue;
		write_meta(f, "process_name", pid, 0, false, "name",
			   tr.pid_names[pid], 0);
		write_meta(f, "process_sort_index", pid, 0, false,
			   "sort_index", NULL, pid);
	}
	for (i = 0; i < tr.nr_tracks; i++) {
		struct ttrack *t = &tr.tracks[i];

		if (t->counter)
			continue;
		write_meta(f, "thread_name", t->pid, t->tid, true, "name",
			   t->name, 0);
		write_meta(f, "thread_sort_index", t->pid, t->tid, true,
			   "sort_index", NULL, t->tid);
	}
	for (i = 0; i < tr.nr_ev; i++) {
		struct tev *e = &tr.ev[i];
		struct ttrack *t = &tr.tracks[e->track];

		fprintf(f, ",\n{\"ph\": \"%c\", \"pid\": %u, \"tid\": %u, \"ts\": ",
			e->ph, t->counter ? e->pid : t->pid,
			t->counter ? 0 : t->tid);
		put_us(f, tr.ticks[e->tick]);
		if (e->ph == 'X') {
			fprintf(f, ", \"dur\": ");
			put_us(f, tr.ticks[e->tick_end] - tr.ticks[e->tick]);
		}
		if (e->ph != 'E') {
			fprintf(f, ", \"name\": ");
			json_str(f, e->name);
		}
		if (e->ph == 'i')
			fprintf(f, ", \"s\": \"t\"");
		if (e->cname)
			fprintf(f, ", \"cname\": \"%s\"", e->cname);
		if (e->args)
			fprintf(f, ", \"args\": {%s}", e->args);
		fprintf(f, "}");
	}
	fprintf(f, "\n]}\n");
}

int tdxsim_trace_stop(void)
{
	int err = 0;
	u32 i;

	pthread_mutex_lock(&tr.m);
	if (!tr.recording) {
		pthread_mutex_unlock(&tr.m);
		return -ENOENT;
	}
	__atomic_store_n(&__tdxsim_trace_enabled, false, __ATOMIC_RELEASE);
	for (i = 0; i < tr.nr_tracks; i++)
		trace_close_track_locked(&tr.tracks[i]);
	tr.recording = false;
	write_file(tr.f);
	if (tr.dropped)
		pr_warn("trace %s: %" PRIu64 " events past the first %u were dropped\n",
			tr.path, tr.dropped, TRACE_MAX_EVENTS);
	if (fflush(tr.f) || ferror(tr.f))
		err = -EIO;
	if (fclose(tr.f) && !err)
		err = -errno;
	tr.f = NULL;
	for (i = 0; i < tr.nr_ev; i++)
		free(tr.ev[i].args);
	free(tr.ev);
	tr.ev = NULL;
	tr.nr_ev = tr.cap_ev = 0;
	free(tr.ticks);
	tr.ticks = NULL;
	tr.nr_ticks = tr.cap_ticks = 0;
	for (i = 0; i < tr.nr_pid_names; i++)
		free(tr.pid_names[i]);
	free(tr.pid_names);
	tr.pid_names = NULL;
	tr.nr_pid_names = 0;
	free(tr.path);
	tr.path = NULL;
	tr.nr_tracks = 0;
	pthread_mutex_unlock(&tr.m);
	return err;
}
