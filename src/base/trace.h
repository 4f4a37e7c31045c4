/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tdxsim's tracer: what the run did, as a Chrome JSON trace-event file that
 * Perfetto's UI (ui.perfetto.dev) and chrome://tracing open.
 *
 * Tracks: each run is a process ("run N: deterministic, seed S"); each task
 * of it a thread track with its ioctls, SEAMCALLs, lock waits and TD exits;
 * beside it a "(guest)" track with what the guest model did inside
 * TDH.VP.ENTER (its operations and TDCALLs: the module's guest side), and
 * one track per lock class the task held ("vcpu0: &kvm->mmu_lock"). A
 * deterministic run has a "schedule" track whose slices say which task ran,
 * switch after switch. Counters (private pages mapped per level, pages the
 * module owns) are process counters.
 *
 * Time: in a deterministic run the clock is logical, one schedule step per
 * microsecond (the events within a step spread over it), so a seed gives the
 * same file byte for byte; in free mode it is CLOCK_MONOTONIC.
 *
 * Cost when off: every hook is behind tdxsim_trace_on(), one load and one
 * predictable branch. When on, events go to one buffer under a mutex (free
 * mode's threads included) and the file is written by tdxsim_trace_stop().
 */
#ifndef TDXSIM_BASE_TRACE_H
#define TDXSIM_BASE_TRACE_H

#include <stdarg.h>

#include "ulib/compiler.h"

struct lockdep_map;

extern bool __tdxsim_trace_enabled;

/* Is a trace being recorded? */
static inline bool tdxsim_trace_on(void)
{
	return unlikely(__atomic_load_n(&__tdxsim_trace_enabled,
					__ATOMIC_RELAXED));
}

/* The current task's tracks. */
enum tdxsim_trace_track {
	TDXSIM_TRACK_TASK,	/* its host side: ioctls, SEAMCALLs, waits */
	TDXSIM_TRACK_GUEST,	/* the guest it runs inside TDH.VP.ENTER */
};

/* Chrome's colour names used for slices (cname). */
#define TDXSIM_TRACE_RED	"terrible"	/* BUSY, failures */
#define TDXSIM_TRACE_YELLOW	"bad"
#define TDXSIM_TRACE_GREEN	"good"

/*
 * Start recording into @path (created or truncated now, written by
 * tdxsim_trace_stop()). Returns 0, -EBUSY if a trace is being recorded, or
 * the -errno of opening the file.
 */
int tdxsim_trace_start(const char *path);
/*
 * Stop recording, close every slice still open and write the file. Returns
 * 0, -ENOENT when no trace was started, or -errno of writing it.
 */
int tdxsim_trace_stop(void);

/*
 * A clock tick for a slice whose end is not known yet (a SEAMCALL's status):
 * take it where the slice begins, pass it to tdxsim_trace_complete().
 */
u32 tdxsim_trace_tick(void);

/*
 * Slices on a track of the current task. @name is copied; @cname is a
 * Chrome colour name or NULL; @args_fmt (NULL: none) formats the members of
 * a JSON object ("\"gpa\": \"0x1000\", \"level\": 1").
 */
void tdxsim_trace_begin(enum tdxsim_trace_track track, const char *name,
			const char *cname, const char *args_fmt, ...)
	__printf(4, 5);
void tdxsim_trace_end(enum tdxsim_trace_track track, const char *args_fmt,
		      ...) __printf(2, 3);
/* A slice from tick @start (tdxsim_trace_tick()) to now. */
void tdxsim_trace_complete(u32 start, enum tdxsim_trace_track track,
			   const char *name, const char *cname,
			   const char *args_fmt, ...) __printf(5, 6);
/* A point event (a TD exit). */
void tdxsim_trace_instant(enum tdxsim_trace_track track, const char *name,
			  const char *args_fmt, ...) __printf(3, 4);
/*
 * Add @delta to series @series of the counter @name (a process counter of
 * the run; every series of a counter is shown in one event).
 */
void tdxsim_trace_counter_add(const char *name, const char *series,
			      s64 delta);
/* Set series @series of the counter @name to @value. */
void tdxsim_trace_counter_set(const char *name, const char *series,
			      s64 value);

/* Lock hooks (base/lock.c): a wait for @map, and its holds by the task. */
void tdxsim_trace_lock_wait(const struct lockdep_map *map, bool excl);
void tdxsim_trace_lock_wait_done(const struct lockdep_map *map);
void tdxsim_trace_lock_held(const struct lockdep_map *map, bool excl);
void tdxsim_trace_lock_released(const struct lockdep_map *map);

/* Scheduler hooks (base/sched*.c). */
void tdxsim_trace_run_start(bool deterministic, u64 seed);
void tdxsim_trace_run_end(const char *verdict);
/* Task @id (@name) runs from now on (deterministic mode). */
void tdxsim_trace_switch(int id, const char *name);
/* A task ends (maybe unwound): close its slices. */
void tdxsim_trace_task_exit(int id);

#endif /* TDXSIM_BASE_TRACE_H */
