/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Looking at a run: a trace that Perfetto's UI (ui.perfetto.dev) opens, and
 * the lock validator's class-dependency graph in Graphviz's DOT.
 *
 * The trace is a Chrome JSON trace-event file. Each run is a process; each
 * thread of it a track with its ioctls, SEAMCALLs (leaf and status; a
 * failure, BUSY included, named with its status, "TDH.MEM.PAGE.AUG:
 * TDX_OPERAND_BUSY", and red where colour hints count), lock waits and TD
 * exits, a "(guest)" track
 * with the guest's operations inside TDH.VP.ENTER, and a track per lock
 * class it held. A deterministic run has a "schedule" track (which thread
 * ran, switch after switch) and a logical clock, one schedule step per
 * microsecond, so the same seed writes the same file; free mode uses
 * CLOCK_MONOTONIC. Counters: private pages mapped per level, pages the TDX
 * module owns.
 */
#ifndef TDXSIM_TRACE_H
#define TDXSIM_TRACE_H

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Start recording a trace into @path (created or truncated now; written by
 * tdxsim_trace_stop()). Returns 0, -EBUSY while one is recorded, or the
 * -errno of creating the file (-ENOENT: its directory does not exist).
 */
int tdxsim_trace_start(const char *path);
/*
 * Stop recording and write the file; slices still open (a thread the
 * scheduler unwound) end there. Returns 0, -ENOENT if none was started, or
 * -errno of writing.
 */
int tdxsim_trace_stop(void);

/*
 * Write the lock validator's class-dependency graph to @f in DOT: a node
 * per lock class, an edge per dependency labelled with the acquisition
 * sites that first made it, the edges of every reported cycle in red.
 * Returns 0, -EOPNOTSUPP when tdxsim was built without the validator, or
 * -EIO when writing fails.
 */
int tdxsim_lockdep_graph_write(FILE *f);

#ifdef __cplusplus
}
#endif

#endif /* TDXSIM_TRACE_H */
