/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the tracer's two files in src/base share, and nothing else may use:
 * trace.c records (clock ticks, tracks, events, in one buffer under tr.m)
 * and trace_file.c starts and stops a trace and writes the buffer as Chrome
 * JSON trace events. The state is one struct, tr; every member is under
 * tr.m. Every symbol is hidden.
 */
#ifndef TDXSIM_BASE_TRACE_INTERNAL_H
#define TDXSIM_BASE_TRACE_INTERNAL_H

#include <pthread.h>
#include <stdio.h>

#include "base/trace.h"

#define __tr_hidden	__attribute__((visibility("hidden")))

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

struct trace_state {
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
};

extern struct trace_state tr __tr_hidden;

/* trace.c, with tr.m held: a clock tick; close every slice of @t. */
u32 trace_tick_locked(void) __tr_hidden;
void trace_close_track_locked(struct ttrack *t) __tr_hidden;

#endif /* TDXSIM_BASE_TRACE_INTERNAL_H */
