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
 *
 * This file records; trace_file.c starts and stops a trace and writes the
 * file (their state: trace_internal.h).
 */
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
#include "base/trace_internal.h"
#include "ulib/strbuf.h"

bool __tdxsim_trace_enabled;

struct trace_state tr = {
	.m = PTHREAD_MUTEX_INITIALIZER,
	.pid = 1,
};

static u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* --- ticks and tracks (tr.m held) --------------------------------------- */

static u64 clock_locked(void)
{
	u64 c;

	if (tr.logical)
		c = tr.base + (sched_deterministic() ? sched_run_steps() : 0) *
			     1000;
	else if (tr.mono0)
		c = tr.base + (mono_ns() - tr.mono0);
	else
		c = tr.last;
	if (c < tr.last)
		c = tr.last;
	tr.last = c;
	return c;
}

u32 trace_tick_locked(void)
{
	if (tr.nr_ticks == tr.cap_ticks) {
		tr.cap_ticks = tr.cap_ticks ? tr.cap_ticks * 2 : 65536;
		tr.ticks = xrealloc(tr.ticks, tr.cap_ticks * sizeof(*tr.ticks));
	}
	tr.ticks[tr.nr_ticks] = clock_locked() | (tr.logical ? LOGICAL : 0);
	return tr.nr_ticks++;
}

static u32 hash_of(u32 pid, u32 tid)
{
	u64 k = ((u64)pid << 32 | tid) * 0x9e3779b97f4a7c15ULL;

	return (u32)(k >> 32);
}

static void hash_insert(u32 idx)
{
	u32 h = hash_of(tr.tracks[idx].pid, tr.tracks[idx].tid);

	while (tr.hash[h & (tr.hash_size - 1)])
		h++;
	tr.hash[h & (tr.hash_size - 1)] = idx + 1;
}

/* The track (@pid, @tid), made with @name (printf-style) if it is new. */
static struct ttrack *track_locked(u32 pid, u32 tid, const char *fmt, ...)
	__printf(3, 4);
static struct ttrack *track_locked(u32 pid, u32 tid, const char *fmt, ...)
{
	struct ttrack *t;
	va_list ap;
	u32 h, i;

	if (tr.hash_size) {
		for (h = hash_of(pid, tid);; h++) {
			i = tr.hash[h & (tr.hash_size - 1)];
			if (!i)
				break;
			t = &tr.tracks[i - 1];
			if (t->pid == pid && t->tid == tid)
				return t;
		}
	}
	if (tr.nr_tracks == tr.cap_tracks) {
		tr.cap_tracks = tr.cap_tracks ? tr.cap_tracks * 2 : 64;
		tr.tracks = xrealloc(tr.tracks,
				    tr.cap_tracks * sizeof(*tr.tracks));
	}
	if ((tr.nr_tracks + 1) * 2 > tr.hash_size) {
		free(tr.hash);
		tr.hash_size = tr.hash_size ? tr.hash_size * 2 : 256;
		tr.hash = xzalloc(tr.hash_size * sizeof(*tr.hash));
		for (i = 0; i < tr.nr_tracks; i++)
			hash_insert(i);
	}
	t = &tr.tracks[tr.nr_tracks];
	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->tid = tid;
	va_start(ap, fmt);
	vsnprintf(t->name, sizeof(t->name), fmt, ap);
	va_end(ap);
	hash_insert(tr.nr_tracks);
	tr.nr_tracks++;
	return t;
}

static u32 track_index(const struct ttrack *t)
{
	return t - tr.tracks;
}

/* The current task's @which track. */
static struct ttrack *task_track_locked(enum tdxsim_trace_track which)
{
	struct task *self = current_task();
	u32 tid = (task_id(self) + 1) * 1000;

	if (which == TDXSIM_TRACK_GUEST)
		return track_locked(tr.pid, tid + TID_GUEST, "%s (guest)",
				    task_name(self));
	return track_locked(tr.pid, tid, "%s", task_name(self));
}

/* A new event on @t, or NULL past the cap. */
static struct tev *event_locked(struct ttrack *t, char ph, const char *name,
				const char *cname)
{
	struct tev *e;

	if (tr.nr_ev >= TRACE_MAX_EVENTS) {
		tr.dropped++;
		return NULL;
	}
	if (tr.nr_ev == tr.cap_ev) {
		tr.cap_ev = tr.cap_ev ? tr.cap_ev * 2 : 16384;
		tr.ev = xrealloc(tr.ev, tr.cap_ev * sizeof(*tr.ev));
	}
	e = &tr.ev[tr.nr_ev++];
	e->tick = trace_tick_locked();
	e->tick_end = 0;
	e->track = track_index(t);
	e->pid = tr.pid;
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
	if (tr.nr_ev >= TRACE_MAX_EVENTS) {
		if (tr.nr_ev == tr.cap_ev) {
			tr.cap_ev *= 2;
			tr.ev = xrealloc(tr.ev, tr.cap_ev * sizeof(*tr.ev));
		}
		e = &tr.ev[tr.nr_ev++];
		memset(e, 0, sizeof(*e));
		e->tick = trace_tick_locked();
		e->track = track_index(t);
		e->pid = tr.pid;
		e->ph = 'E';
	} else {
		e = event_locked(t, 'E', NULL, NULL);
	}
	e->args = args;
}

static void counter_locked(const char *name, const char *series, s64 v,
			   bool delta);

/* Close every slice of @t (and count its hold or wait out). */
void trace_close_track_locked(struct ttrack *t)
{
	const char *held = t->holds ? t->lock : NULL, *waited = t->waiting;

	while (t->depth)
		end_locked(t, NULL);
	t->holds = 0;
	t->waiting = NULL;
	/* Last: a new counter track may move tr.tracks (and @t). */
	if (held)
		counter_locked(held, "holders", -1, true);
	if (waited)
		counter_locked(waited, "waiters", -1, true);
}

/* Close every track of @pid (of task @task_tid only, if not 0). */
static void close_tracks_locked(u32 pid, u32 task_tid)
{
	u32 i;

	for (i = 0; i < tr.nr_tracks; i++) {
		struct ttrack *t = &tr.tracks[i];

		if (t->pid != pid || !t->depth)
			continue;
		if (task_tid && (t->tid < task_tid || t->tid >= task_tid + 1000))
			continue;
		trace_close_track_locked(t);
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

/*
 * Every emitter of a slice or an event on the current task's @track:
 * format the arguments, then, if a trace is being recorded, add a "B" (a
 * slice begins), an "E" (the innermost one ends), an "X" (a slice from tick
 * @start to now) or an "i" (a point event).
 */
static void emit(char ph, enum tdxsim_trace_track track, const char *name,
		 const char *cname, u32 start, const char *args_fmt,
		 va_list ap)
{
	char *args = vargs(args_fmt, ap);
	struct ttrack *t;
	struct tev *e;

	pthread_mutex_lock(&tr.m);
	if (!tr.recording || (ph == 'X' && start >= tr.nr_ticks))
		goto out;
	t = task_track_locked(track);
	if (ph == 'B') {
		begin_locked(t, name, cname, args);
		args = NULL;
	} else if (ph == 'E') {
		end_locked(t, args);
		args = NULL;
	} else {
		e = event_locked(t, ph, name, cname);
		if (e) {
			if (ph == 'X') {
				e->tick_end = e->tick;
				e->tick = start;
			}
			e->args = args;
			args = NULL;
		}
	}
out:
	pthread_mutex_unlock(&tr.m);
	free(args);
}

/* --- the hooks ------------------------------------------------------------ */

u32 tdxsim_trace_tick(void)
{
	u32 t = 0;

	pthread_mutex_lock(&tr.m);
	if (tr.recording)
		t = trace_tick_locked();
	pthread_mutex_unlock(&tr.m);
	return t;
}

void tdxsim_trace_begin(enum tdxsim_trace_track track, const char *name,
			const char *cname, const char *args_fmt, ...)
{
	va_list ap;

	va_start(ap, args_fmt);
	emit('B', track, name, cname, 0, args_fmt, ap);
	va_end(ap);
}

void tdxsim_trace_end(enum tdxsim_trace_track track, const char *args_fmt,
		      ...)
{
	va_list ap;

	va_start(ap, args_fmt);
	emit('E', track, NULL, NULL, 0, args_fmt, ap);
	va_end(ap);
}

void tdxsim_trace_complete(u32 start, enum tdxsim_trace_track track,
			   const char *name, const char *cname,
			   const char *args_fmt, ...)
{
	va_list ap;

	va_start(ap, args_fmt);
	emit('X', track, name, cname, start, args_fmt, ap);
	va_end(ap);
}

void tdxsim_trace_instant(enum tdxsim_trace_track track, const char *name,
			  const char *args_fmt, ...)
{
	va_list ap;

	va_start(ap, args_fmt);
	emit('i', track, name, NULL, 0, args_fmt, ap);
	va_end(ap);
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
	pthread_mutex_lock(&tr.m);
	if (tr.recording)
		counter_locked(name, series, v, delta);
	pthread_mutex_unlock(&tr.m);
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

	for (i = 0; i < tr.nr_classes; i++)
		if (tr.class_key[i] == key)
			return i;
	if (tr.nr_classes == TRACE_MAX_CLASSES)
		return TRACE_MAX_CLASSES - 1;
	tr.class_key[i] = key;
	tr.class_name[i] = map->name;
	return tr.nr_classes++;
}

static struct ttrack *lock_track_locked(const struct lockdep_map *map)
{
	struct task *self = current_task();
	unsigned int c = class_index_locked(map);

	return track_locked(tr.pid, (task_id(self) + 1) * 1000 + 1 + c,
			    "%s: %s", task_name(self), map->name);
}

void tdxsim_trace_lock_wait(const struct lockdep_map *map, bool excl)
{
	char name[64];

	snprintf(name, sizeof(name), "wait %s", map->name);
	pthread_mutex_lock(&tr.m);
	if (tr.recording) {
		struct ttrack *t = task_track_locked(TDXSIM_TRACK_TASK);

		begin_locked(t, name, TDXSIM_TRACE_YELLOW,
			     xstrdup(excl ? "\"for\": \"write\"" :
					    "\"for\": \"read\""));
		t->waiting = map->name;
		counter_locked(map->name, "waiters", 1, true);
	}
	pthread_mutex_unlock(&tr.m);
}

void tdxsim_trace_lock_wait_done(const struct lockdep_map *map)
{
	pthread_mutex_lock(&tr.m);
	if (tr.recording) {
		struct ttrack *t = task_track_locked(TDXSIM_TRACK_TASK);
		bool waited = t->waiting != NULL;

		end_locked(t, NULL);
		t->waiting = NULL;
		if (waited)
			counter_locked(map->name, "waiters", -1, true);
	}
	pthread_mutex_unlock(&tr.m);
}

void tdxsim_trace_lock_held(const struct lockdep_map *map, bool excl)
{
	struct ttrack *t;

	pthread_mutex_lock(&tr.m);
	if (tr.recording) {
		t = lock_track_locked(map);
		t->lock = map->name;
		if (!t->holds++) {
			begin_locked(t, map->name, NULL,
				     xstrdup(excl ? "\"held\": \"write\"" :
						    "\"held\": \"read\""));
			counter_locked(map->name, "holders", 1, true);
		}
	}
	pthread_mutex_unlock(&tr.m);
}

void tdxsim_trace_lock_released(const struct lockdep_map *map)
{
	struct ttrack *t;

	pthread_mutex_lock(&tr.m);
	if (tr.recording) {
		t = lock_track_locked(map);
		if (t->holds && !--t->holds) {
			end_locked(t, NULL);
			counter_locked(map->name, "holders", -1, true);
		}
	}
	pthread_mutex_unlock(&tr.m);
}

/* --- runs and the schedule ---------------------------------------------- */

void tdxsim_trace_run_start(bool deterministic, u64 seed)
{
	char name[96];

	pthread_mutex_lock(&tr.m);
	if (!tr.recording)
		goto out;
	tr.runs++;
	tr.pid = tr.runs + 1;
	/* The next microsecond: a run starts on a step boundary. */
	tr.base = (tr.last / 1000 + 1) * 1000;
	tr.last = tr.base;
	tr.logical = deterministic;
	tr.mono0 = deterministic ? 0 : mono_ns();
	if (deterministic)
		tr.any_logical = true;
	else
		tr.any_free = true;
	snprintf(name, sizeof(name), "run %u: %s, seed %" PRIu64, tr.runs,
		 deterministic ? "deterministic" : "free", seed);
	tr.pid_names = xrealloc(tr.pid_names,
			       (tr.pid + 1) * sizeof(*tr.pid_names));
	while (tr.nr_pid_names <= tr.pid)
		tr.pid_names[tr.nr_pid_names++] = NULL;
	tr.pid_names[tr.pid] = xstrdup(name);
	if (deterministic)
		begin_locked(track_locked(tr.pid, TID_SCHED, "schedule"), "run",
			     NULL, xstrdup("\"task\": 0, \"step\": 0"));
out:
	pthread_mutex_unlock(&tr.m);
}

void tdxsim_trace_run_end(const char *verdict)
{
	struct ttrack *t;

	pthread_mutex_lock(&tr.m);
	if (!tr.recording)
		goto out;
	t = track_locked(tr.pid, TID_SCHED, "schedule");
	if (verdict && strcmp(verdict, "ok"))
		event_locked(t, 'i', verdict, TDXSIM_TRACE_RED);
	close_tracks_locked(tr.pid, 0);
	clock_locked();
	tr.logical = false;
	tr.mono0 = 0;
	tr.pid = 1;
out:
	pthread_mutex_unlock(&tr.m);
}

void tdxsim_trace_switch(int id, const char *name)
{
	struct ttrack *t;
	struct strbuf sb = STRBUF_INIT;

	pthread_mutex_lock(&tr.m);
	if (!tr.recording)
		goto out;
	t = track_locked(tr.pid, TID_SCHED, "schedule");
	trace_close_track_locked(t);
	sb_printf(&sb, "\"task\": %d, \"step\": %" PRIu64, id,
		  sched_run_steps());
	begin_locked(t, name, NULL, sb_detach(&sb));
out:
	pthread_mutex_unlock(&tr.m);
}

void tdxsim_trace_task_exit(int id)
{
	pthread_mutex_lock(&tr.m);
	if (tr.recording)
		close_tracks_locked(tr.pid, (id + 1) * 1000);
	pthread_mutex_unlock(&tr.m);
}

