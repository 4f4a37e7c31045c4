/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What tdxsim reports, as data: the lock validator's reports and the
 * scheduler's verdicts (deadlock, hang, livelock), each with its kind and
 * the lock classes it names; and the log that carries their text.
 *
 * Judge a run from these counts and kinds, never from the log's wording.
 */
#ifndef TDXSIM_REPORT_H
#define TDXSIM_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

enum tdxsim_report_kind {
	TDXSIM_REPORT_CIRCULAR,		/* possible circular locking dependency */
	TDXSIM_REPORT_RECURSIVE,	/* possible recursive locking */
	TDXSIM_REPORT_BAD_UNLOCK,	/* bad unlock balance */
	TDXSIM_REPORT_HELD_AT_EXIT,	/* a thread exited holding locks */
	TDXSIM_REPORT_ASSERT,		/* lockdep_assert_held*() failed */
	TDXSIM_REPORT_DEADLOCK,		/* the scheduler saw a deadlock */
	TDXSIM_REPORT_HANG,		/* a wait that can never end */
	TDXSIM_REPORT_LIVELOCK,		/* step bound or livelock detector */
	TDXSIM_REPORT_LOCKDEP_BUG,	/* the validator hit a limit and turned itself off */
	TDXSIM_NR_REPORT_KINDS,
};

/* The kind's name ("circular", "recursive", ...). */
const char *tdxsim_report_kind_name(enum tdxsim_report_kind kind);

/* Reports made since the process started or the last reset. */
unsigned int tdxsim_nr_reports(void);
/*
 * Count reports of @kind (or of any kind, for -1) that name the lock class
 * @class_name (NULL: any class).
 */
unsigned int tdxsim_count_reports(int kind, const char *class_name);
/*
 * Report @i (0-based): its kind, and its classes as a comma-separated list
 * in @classes (truncated to @len). Returns -ENOENT past the end.
 */
int tdxsim_get_report(unsigned int i, enum tdxsim_report_kind *kind,
		      char *classes, unsigned int len);
/* Forget every report and the lock-order graph learned so far. */
void tdxsim_reset_reports(void);
/* Stop (or resume) printing reports to the log; they are still counted. */
void tdxsim_set_reports_quiet(bool quiet);
/*
 * WARN()s the kernel side hit since the process started (WARN_ON,
 * WARN_ON_ONCE, KVM_BUG_ON...): a kernel warning that userspace can cause
 * is a bug (a panic with panic_on_warn).
 */
unsigned long tdxsim_nr_warnings(void);

/*
 * The lock validator (lockdep) is on by default. Switch it off (or on again)
 * before a run, for throughput runs; TDXSIM_LOCKDEP=off in the environment
 * starts a process with it off. Returns 0, or -EOPNOTSUPP when tdxsim was
 * built without it (meson -Dlockdep=false).
 */
int tdxsim_lockdep_set_enabled(bool on);
/*
 * "on", "off", "off-after-bug" (it turned itself off at one of its limits
 * and said so in a TDXSIM_REPORT_LOCKDEP_BUG report) or "not-built".
 */
const char *tdxsim_lockdep_state(void);

/* Log levels (the kernel's). */
#define TDXSIM_LOG_ERR		3
#define TDXSIM_LOG_WARNING	4
#define TDXSIM_LOG_INFO		6
#define TDXSIM_LOG_DEBUG	7

/* Send the log to @stream (NULL: stderr); returns the previous stream. */
FILE *tdxsim_log_set_stream(FILE *stream);
/* Drop messages above @level (default TDXSIM_LOG_INFO). */
void tdxsim_log_set_level(int level);
/* Print a message to the log at @level, as tdxsim's own messages are. */
void tdxsim_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif

#endif /* TDXSIM_REPORT_H */
