// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tdxsim's tracer (base/trace.h): events are kept in one buffer under a
 * mutex and written as Chrome JSON trace events when the trace stops.
 *
 * Every event takes a clock tick: an index into the tick table, which holds
 * the tick's clock value (nanoseconds; a deterministic run's logical clock
 * is its schedule step times 1000). When the file is written, the ticks of
 * one schedule step are spread over its microsecond in the order they were
 * taken and every tick gets a distinct timestamp, so the slices of a track
 * nest in the file exactly as they nested in the run. A slice whose end was
 * unknown at its start (a SEAMCALL and its status) is one "X" event made at
 * its end from the tick taken at its start.
 *
 * Tracks are (pid, tid) pairs: pid 1 is what ran outside any run, pid N+1
 * run N; tid (task id + 1) * 1000 is a task's host track, + 999 its guest
 * track, + 1 + class index its holds of one lock class, tid 1 the schedule.
 * Slices still open when a task exits, a run ends or the trace stops are
 * closed there, so every "B" of the file has its "E".
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/lockdep.h"
#include "base/log.h"
#include "base/sched.h"
#include "base/sched_internal.h"
#include "base/trace.h"
#include "ulib/strbuf.h"

bool __tdxsim_trace_enabled;

/* At most this many events; later ones are dropped (the file says so). */
#define TRACE_MAX_EVENTS	(3U << 20)
#define TRACE_MAX_CLASSES	900
#define TID_SCHED		1
#define TID_GUEST		999
#define LOGICAL			(1ULL << 63)	/* a tick of a logical clock */

struct tev {
	u32 tick;
	u32 tick_end;		/* "X": the end */
	u32 track;
	u32 pid;		/* the run it belongs to (counters) */
	char ph;
	const char *cname;
	char name[64];
	char *args;		/* members of a JSON object, or NULL */
};

struct ttrack {
	u32 pid, tid;
	char name[96];
	int depth;		/* "B"s not yet ended */
	int dropped;		/* of those, dropped past the event cap */
	unsigned int holds;	/* lock tracks: instances held */
	const char *lock;	/* lock tracks: the class's name */
	const char *waiting;	/* task tracks: the class waited for */
	bool counter;		/* a counter: name, series and values */
	unsigned int nseries;
	char series[4][16];
	s64 value[4];
};

static struct {
	pthread_mutex_t m;
	bool recording;
	FILE *f;
	char *path;
	/* Ticks: clock values (ns, LOGICAL set for a logical clock). */
	u64 *ticks;
	u32 nr_ticks, cap_ticks;
	struct tev *ev;
	u32 nr_ev, cap_ev;
	u64 dropped;
	struct ttrack *tracks;
	u32 nr_tracks, cap_tracks;
	u32 *hash;		/* track index + 1, open addressing */
	u32 hash_size;
	/* Lock classes seen: their keys (or names) and names. */
	const void *class_key[TRACE_MAX_CLASSES];
	const char *class_name[TRACE_MAX_CLASSES];
	unsigned int nr_classes;
	/* The clock. */
	u64 last;		/* last clock value handed out (ns) */
	bool logical;		/* the run in progress is deterministic */
	u64 base;		/* its clock at step 0, or at its start */
	u64 mono0;		/* free run: CLOCK_MONOTONIC at its start */
	/* Runs. */
	u32 pid;		/* the run in progress, or 1 */
	u32 runs;
	char **pid_names;
	u32 nr_pid_names;
	bool any_logical, any_free;
} T = {
	.m = PTHREAD_MUTEX_INITIALIZER,
	.pid = 1,
};

static u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* --- ticks and tracks (T.m held) --------------------------------------- */

static u64 clock_locked(void)
{
	u64 c;

	if (T.logical)
		c = T.base + (sched_deterministic() ? sched_run_steps() : 0) *
			     1000;
	else if (T.mono0)
		c = T.base + (mono_ns() - T.mono0);
	else
		c = T.last;
	if (c < T.last)
		c = T.last;
	T.last = c;
	return c;
}

static u32 tick_locked(void)
{
	if (T.nr_ticks == T.cap_ticks) {
		T.cap_ticks = T.cap_ticks ? T.cap_ticks * 2 : 65536;
		T.ticks = xrealloc(T.ticks, T.cap_ticks * sizeof(*T.ticks));
	}
	T.ticks[T.nr_ticks] = clock_locked() | (T.logical ? LOGICAL : 0);
	return T.nr_ticks++;
}

static u32 hash_of(u32 pid, u32 tid)
{
	u64 k = ((u64)pid << 32 | tid) * 0x9e3779b97f4a7c15ULL;

	return (u32)(k >> 32);
}

static void hash_insert(u32 idx)
{
	u32 h = hash_of(T.tracks[idx].pid, T.tracks[idx].tid);

	while (T.hash[h & (T.hash_size - 1)])
		h++;
	T.hash[h & (T.hash_size - 1)] = idx + 1;
}

/* The track (@pid, @tid), made with @name (printf-style) if it is new. */
static struct ttrack *track_locked(u32 pid, u32 tid, const char *fmt, ...)
	__printf(3, 4);
static struct ttrack *track_locked(u32 pid, u32 tid, const char *fmt, ...)
{
	struct ttrack *t;
	va_list ap;
	u32 h, i;

	if (T.hash_size) {
		for (h = hash_of(pid, tid);; h++) {
			i = T.hash[h & (T.hash_size - 1)];
			if (!i)
				break;
			t = &T.tracks[i - 1];
			if (t->pid == pid && t->tid == tid)
				return t;
		}
	}
	if (T.nr_tracks == T.cap_tracks) {
		T.cap_tracks = T.cap_tracks ? T.cap_tracks * 2 : 64;
		T.tracks = xrealloc(T.tracks,
				    T.cap_tracks * sizeof(*T.tracks));
	}
	if ((T.nr_tracks + 1) * 2 > T.hash_size) {
		free(T.hash);
		T.hash_size = T.hash_size ? T.hash_size * 2 : 256;
		T.hash = xzalloc(T.hash_size * sizeof(*T.hash));
		for (i = 0; i < T.nr_tracks; i++)
			hash_insert(i);
	}
	t = &T.tracks[T.nr_tracks];
	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->tid = tid;
	va_start(ap, fmt);
	vsnprintf(t->name, sizeof(t->name), fmt, ap);
	va_end(ap);
	hash_insert(T.nr_tracks);
	T.nr_tracks++;
	return t;
}

static u32 track_index(const struct ttrack *t)
{
	return t - T.tracks;
}

/* The current task's @which track. */
static struct ttrack *task_track_locked(enum tdxsim_trace_track which)
{
	struct task *self = current_task();
	u32 tid = (task_id(self) + 1) * 1000;

	if (which == TDXSIM_TRACK_GUEST)
		return track_locked(T.pid, tid + TID_GUEST, "%s (guest)",
				    task_name(self));
	return track_locked(T.pid, tid, "%s", task_name(self));
}

/* A new event on @t, or NULL past the cap. */
static struct tev *event_locked(struct ttrack *t, char ph, const char *name,
				const char *cname)
{
	struct tev *e;

	if (T.nr_ev >= TRACE_MAX_EVENTS) {
		T.dropped++;
		return NULL;
	}
	if (T.nr_ev == T.cap_ev) {
		T.cap_ev = T.cap_ev ? T.cap_ev * 2 : 16384;
		T.ev = xrealloc(T.ev, T.cap_ev * sizeof(*T.ev));
	}
	e = &T.ev[T.nr_ev++];
	e->tick = tick_locked();
	e->tick_end = 0;
	e->track = track_index(t);
	e->pid = T.pid;
	e->ph = ph;
	e->cname = cname;
	snprintf(e->name, sizeof(e->name), "%s", name ? name : "");
	e->args = NULL;
	return e;
}

static void begin_locked(struct ttrack *t, const char *name,
			 const char *cname, char *args)
{
	struct tev *e = event_locked(t, 'B', name, cname);

	t->depth++;
	if (!e) {
		t->dropped++;
		free(args);
		return;
	}
	e->args = args;
}

static void end_locked(struct ttrack *t, char *args)
{
	struct tev *e;

	if (!t->depth) {
		free(args);
		return;
	}
	t->depth--;
	if (t->dropped) {
		t->dropped--;
		free(args);
		return;
	}
	/* An "E" whose "B" is in the buffer is never dropped. */
	if (T.nr_ev >= TRACE_MAX_EVENTS) {
		if (T.nr_ev == T.cap_ev) {
			T.cap_ev *= 2;
			T.ev = xrealloc(T.ev, T.cap_ev * sizeof(*T.ev));
		}
		e = &T.ev[T.nr_ev++];
		memset(e, 0, sizeof(*e));
		e->tick = tick_locked();
		e->track = track_index(t);
		e->pid = T.pid;
		e->ph = 'E';
	} else {
		e = event_locked(t, 'E', NULL, NULL);
	}
	e->args = args;
}

static void counter_locked(const char *name, const char *series, s64 v,
			   bool delta);

/* Close every slice of @t (and count its hold or wait out). */
static void close_track_locked(struct ttrack *t)
{
	const char *held = t->holds ? t->lock : NULL, *waited = t->waiting;

	while (t->depth)
		end_locked(t, NULL);
	t->holds = 0;
	t->waiting = NULL;
	/* Last: a new counter track may move T.tracks (and @t). */
	if (held)
		counter_locked(held, "holders", -1, true);
	if (waited)
		counter_locked(waited, "waiters", -1, true);
}

/* Close every track of @pid (of task @task_tid only, if not 0). */
static void close_tracks_locked(u32 pid, u32 task_tid)
{
	u32 i;

	for (i = 0; i < T.nr_tracks; i++) {
		struct ttrack *t = &T.tracks[i];

		if (t->pid != pid || !t->depth)
			continue;
		if (task_tid && (t->tid < task_tid || t->tid >= task_tid + 1000))
			continue;
		close_track_locked(t);
	}
}

static char *vargs(const char *fmt, va_list ap)
{
	struct strbuf sb = STRBUF_INIT;

	if (!fmt)
		return NULL;
	sb_vprintf(&sb, fmt, ap);
	return sb_detach(&sb);
}

/* --- the hooks ------------------------------------------------------------ */

u32 tdxsim_trace_tick(void)
{
	u32 t = 0;

	pthread_mutex_lock(&T.m);
	if (T.recording)
		t = tick_locked();
	pthread_mutex_unlock(&T.m);
	return t;
}

void tdxsim_trace_begin(enum tdxsim_trace_track track, const char *name,
			const char *cname, const char *args_fmt, ...)
{
	va_list ap;
	char *args;

	va_start(ap, args_fmt);
	args = vargs(args_fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&T.m);
	if (T.recording)
		begin_locked(task_track_locked(track), name, cname, args);
	else
		free(args);
	pthread_mutex_unlock(&T.m);
}

void tdxsim_trace_end(enum tdxsim_trace_track track, const char *args_fmt,
		      ...)
{
	va_list ap;
	char *args;

	va_start(ap, args_fmt);
	args = vargs(args_fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&T.m);
	if (T.recording)
		end_locked(task_track_locked(track), args);
	else
		free(args);
	pthread_mutex_unlock(&T.m);
}

void tdxsim_trace_complete(u32 start, enum tdxsim_trace_track track,
			   const char *name, const char *cname,
			   const char *args_fmt, ...)
{
	struct tev *e;
	va_list ap;
	char *args;

	va_start(ap, args_fmt);
	args = vargs(args_fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&T.m);
	if (T.recording && start < T.nr_ticks) {
		e = event_locked(task_track_locked(track), 'X', name, cname);
		if (e) {
			e->tick_end = e->tick;
			e->tick = start;
			e->args = args;
			args = NULL;
		}
	}
	pthread_mutex_unlock(&T.m);
	free(args);
}

void tdxsim_trace_instant(enum tdxsim_trace_track track, const char *name,
			  const char *args_fmt, ...)
{
	struct tev *e;
	va_list ap;
	char *args;

	va_start(ap, args_fmt);
	args = vargs(args_fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&T.m);
	if (T.recording) {
		e = event_locked(task_track_locked(track), 'i', name, NULL);
		if (e) {
			e->args = args;
			args = NULL;
		}
	}
	pthread_mutex_unlock(&T.m);
	free(args);
}

static void counter_locked(const char *name, const char *series, s64 v,
			   bool delta)
{
	struct strbuf sb = STRBUF_INIT;
	struct ttrack *t;
	struct tev *e;
	unsigned int i;

	/* A counter is a track of pid 0 keyed by its name's address. */
	t = track_locked(0, (u32)(uintptr_t)name, "%s", name);
	t->counter = true;
	for (i = 0; i < t->nseries; i++)
		if (!strcmp(t->series[i], series))
			break;
	if (i == t->nseries) {
		if (i == ARRAY_SIZE(t->series))
			return;
		snprintf(t->series[i], sizeof(t->series[i]), "%s", series);
		t->nseries++;
	}
	if (delta && !v)
		return;
	if (!delta && t->value[i] == v)
		return;
	t->value[i] = delta ? t->value[i] + v : v;
	e = event_locked(t, 'C', name, NULL);
	if (!e)
		return;
	for (i = 0; i < t->nseries; i++)
		sb_printf(&sb, "%s\"%s\": %" PRId64, i ? ", " : "",
			  t->series[i], t->value[i]);
	e->args = sb_detach(&sb);
}

static void counter(const char *name, const char *series, s64 v, bool delta)
{
	pthread_mutex_lock(&T.m);
	if (T.recording)
		counter_locked(name, series, v, delta);
	pthread_mutex_unlock(&T.m);
}

void tdxsim_trace_counter_add(const char *name, const char *series,
			      s64 delta)
{
	counter(name, series, delta, true);
}

void tdxsim_trace_counter_set(const char *name, const char *series,
			      s64 value)
{
	counter(name, series, value, false);
}

/* --- locks ---------------------------------------------------------------- */

static unsigned int class_index_locked(const struct lockdep_map *map)
{
	const void *key = map->key ? (const void *)map->key :
				     (const void *)map->name;
	unsigned int i;

	for (i = 0; i < T.nr_classes; i++)
		if (T.class_key[i] == key)
			return i;
	if (T.nr_classes == TRACE_MAX_CLASSES)
		return TRACE_MAX_CLASSES - 1;
	T.class_key[i] = key;
	T.class_name[i] = map->name;
	return T.nr_classes++;
}

static struct ttrack *lock_track_locked(const struct lockdep_map *map)
{
	struct task *self = current_task();
	unsigned int c = class_index_locked(map);

	return track_locked(T.pid, (task_id(self) + 1) * 1000 + 1 + c,
			    "%s: %s", task_name(self), map->name);
}

void tdxsim_trace_lock_wait(const struct lockdep_map *map, bool excl)
{
	char name[64];

	snprintf(name, sizeof(name), "wait %s", map->name);
	pthread_mutex_lock(&T.m);
	if (T.recording) {
		struct ttrack *t = task_track_locked(TDXSIM_TRACK_TASK);

		begin_locked(t, name, TDXSIM_TRACE_YELLOW,
			     xstrdup(excl ? "\"for\": \"write\"" :
					    "\"for\": \"read\""));
		t->waiting = map->name;
		counter_locked(map->name, "waiters", 1, true);
	}
	pthread_mutex_unlock(&T.m);
}

void tdxsim_trace_lock_wait_done(const struct lockdep_map *map)
{
	pthread_mutex_lock(&T.m);
	if (T.recording) {
		struct ttrack *t = task_track_locked(TDXSIM_TRACK_TASK);
		bool waited = t->waiting != NULL;

		end_locked(t, NULL);
		t->waiting = NULL;
		if (waited)
			counter_locked(map->name, "waiters", -1, true);
	}
	pthread_mutex_unlock(&T.m);
}

void tdxsim_trace_lock_held(const struct lockdep_map *map, bool excl)
{
	struct ttrack *t;

	pthread_mutex_lock(&T.m);
	if (T.recording) {
		t = lock_track_locked(map);
		t->lock = map->name;
		if (!t->holds++) {
			begin_locked(t, map->name, NULL,
				     xstrdup(excl ? "\"held\": \"write\"" :
						    "\"held\": \"read\""));
			counter_locked(map->name, "holders", 1, true);
		}
	}
	pthread_mutex_unlock(&T.m);
}

void tdxsim_trace_lock_released(const struct lockdep_map *map)
{
	struct ttrack *t;

	pthread_mutex_lock(&T.m);
	if (T.recording) {
		t = lock_track_locked(map);
		if (t->holds && !--t->holds) {
			end_locked(t, NULL);
			counter_locked(map->name, "holders", -1, true);
		}
	}
	pthread_mutex_unlock(&T.m);
}

/* --- runs and the schedule ---------------------------------------------- */

void tdxsim_trace_run_start(bool deterministic, u64 seed)
{
	char name[96];

	pthread_mutex_lock(&T.m);
	if (!T.recording)
		goto out;
	T.runs++;
	T.pid = T.runs + 1;
	/* The next microsecond: a run starts on a step boundary. */
	T.base = (T.last / 1000 + 1) * 1000;
	T.last = T.base;
	T.logical = deterministic;
	T.mono0 = deterministic ? 0 : mono_ns();
	if (deterministic)
		T.any_logical = true;
	else
		T.any_free = true;
	snprintf(name, sizeof(name), "run %u: %s, seed %" PRIu64, T.runs,
		 deterministic ? "deterministic" : "free", seed);
	T.pid_names = xrealloc(T.pid_names,
			       (T.pid + 1) * sizeof(*T.pid_names));
	while (T.nr_pid_names <= T.pid)
		T.pid_names[T.nr_pid_names++] = NULL;
	T.pid_names[T.pid] = xstrdup(name);
	if (deterministic)
		begin_locked(track_locked(T.pid, TID_SCHED, "schedule"), "run",
			     NULL, xstrdup("\"task\": 0, \"step\": 0"));
out:
	pthread_mutex_unlock(&T.m);
}

void tdxsim_trace_run_end(const char *verdict)
{
	struct ttrack *t;

	pthread_mutex_lock(&T.m);
	if (!T.recording)
		goto out;
	t = track_locked(T.pid, TID_SCHED, "schedule");
	if (verdict && strcmp(verdict, "ok"))
		event_locked(t, 'i', verdict, TDXSIM_TRACE_RED);
	close_tracks_locked(T.pid, 0);
	clock_locked();
	T.logical = false;
	T.mono0 = 0;
	T.pid = 1;
out:
	pthread_mutex_unlock(&T.m);
}

void tdxsim_trace_switch(int id, const char *name)
{
	struct ttrack *t;
	struct strbuf sb = STRBUF_INIT;

	pthread_mutex_lock(&T.m);
	if (!T.recording)
		goto out;
	t = track_locked(T.pid, TID_SCHED, "schedule");
	close_track_locked(t);
	sb_printf(&sb, "\"task\": %d, \"step\": %" PRIu64, id,
		  sched_run_steps());
	begin_locked(t, name, NULL, sb_detach(&sb));
out:
	pthread_mutex_unlock(&T.m);
}

void tdxsim_trace_task_exit(int id)
{
	pthread_mutex_lock(&T.m);
	if (T.recording)
		close_tracks_locked(T.pid, (id + 1) * 1000);
	pthread_mutex_unlock(&T.m);
}

/* --- the file ------------------------------------------------------------- */

int tdxsim_trace_start(const char *path)
{
	FILE *f;

	pthread_mutex_lock(&T.m);
	if (T.recording) {
		pthread_mutex_unlock(&T.m);
		return -EBUSY;
	}
	f = fopen(path, "w");
	if (!f) {
		int err = errno;

		pthread_mutex_unlock(&T.m);
		return -err;
	}
	T.f = f;
	T.path = xstrdup(path);
	T.nr_ticks = T.nr_ev = T.nr_tracks = 0;
	T.nr_classes = 0;
	T.dropped = 0;
	if (T.hash)
		memset(T.hash, 0, T.hash_size * sizeof(*T.hash));
	T.last = 0;
	T.logical = false;
	T.mono0 = 0;
	T.pid = 1;
	T.runs = 0;
	T.any_logical = T.any_free = false;
	T.recording = true;
	/* Tick 0: the start of the file. */
	tick_locked();
	__atomic_store_n(&__tdxsim_trace_enabled, true, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&T.m);
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

	while (i < T.nr_ticks) {
		u64 c = T.ticks[i];

		for (j = i + 1; j < T.nr_ticks && T.ticks[j] == c; j++)
			;
		n = j - i;
		for (; i < j; i++) {
			u64 ts = c & ~LOGICAL;

			if (c & LOGICAL)
				ts += (u64)(n - (j - i)) * 1000 / n;
			if (i && ts <= prev)
				ts = prev + 1;
			T.ticks[i] = prev = ts;
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
	qsort(T.ev, T.nr_ev, sizeof(*T.ev), cmp_tev);
	fprintf(f, "{\"displayTimeUnit\": \"ns\",\n\"otherData\": {\"tool\": \"tdxsim\", \"clock\": \"%s\", \"runs\": %u, \"events\": %u, \"dropped_events\": %" PRIu64 "},\n\"traceEvents\": [\n",
		T.any_logical && T.any_free ? "mixed" :
		T.any_logical ? "logical: 1 us per schedule step" :
		"CLOCK_MONOTONIC", T.runs, T.nr_ev, T.dropped);
	fprintf(f, "{\"ph\": \"M\", \"pid\": 1, \"name\": \"process_name\", \"args\": {\"name\": \"tdxsim (outside runs)\"}}");
	for (pid = 2; pid < T.nr_pid_names; pid++) {
		if (!T.pid_names[pid])
			continue;
		write_meta(f, "process_name", pid, 0, false, "name",
			   T.pid_names[pid], 0);
		write_meta(f, "process_sort_index", pid, 0, false,
			   "sort_index", NULL, pid);
	}
	for (i = 0; i < T.nr_tracks; i++) {
		struct ttrack *t = &T.tracks[i];

		if (t->counter)
			continue;
		write_meta(f, "thread_name", t->pid, t->tid, true, "name",
			   t->name, 0);
		write_meta(f, "thread_sort_index", t->pid, t->tid, true,
			   "sort_index", NULL, t->tid);
	}
	for (i = 0; i < T.nr_ev; i++) {
		struct tev *e = &T.ev[i];
		struct ttrack *t = &T.tracks[e->track];

		fprintf(f, ",\n{\"ph\": \"%c\", \"pid\": %u, \"tid\": %u, \"ts\": ",
			e->ph, t->counter ? e->pid : t->pid,
			t->counter ? 0 : t->tid);
		put_us(f, T.ticks[e->tick]);
		if (e->ph == 'X') {
			fprintf(f, ", \"dur\": ");
			put_us(f, T.ticks[e->tick_end] - T.ticks[e->tick]);
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

	pthread_mutex_lock(&T.m);
	if (!T.recording) {
		pthread_mutex_unlock(&T.m);
		return -ENOENT;
	}
	__atomic_store_n(&__tdxsim_trace_enabled, false, __ATOMIC_RELEASE);
	for (i = 0; i < T.nr_tracks; i++)
		close_track_locked(&T.tracks[i]);
	T.recording = false;
	write_file(T.f);
	if (T.dropped)
		pr_warn("trace %s: %" PRIu64 " events past the first %u were dropped\n",
			T.path, T.dropped, TRACE_MAX_EVENTS);
	if (fflush(T.f) || ferror(T.f))
		err = -EIO;
	if (fclose(T.f) && !err)
		err = -errno;
	T.f = NULL;
	for (i = 0; i < T.nr_ev; i++)
		free(T.ev[i].args);
	free(T.ev);
	T.ev = NULL;
	T.nr_ev = T.cap_ev = 0;
	free(T.ticks);
	T.ticks = NULL;
	T.nr_ticks = T.cap_ticks = 0;
	for (i = 0; i < T.nr_pid_names; i++)
		free(T.pid_names[i]);
	free(T.pid_names);
	T.pid_names = NULL;
	T.nr_pid_names = 0;
	free(T.path);
	T.path = NULL;
	T.nr_tracks = 0;
	pthread_mutex_unlock(&T.m);
	return err;
}
