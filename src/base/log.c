// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Console output in the kernel's shape, and the WARN/BUG machinery.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "base/sched.h"
#include "base/stats.h"

static int console_level = LOGLEVEL_INFO;
static FILE *console_stream;
static unsigned long nr_warnings;
static pthread_mutex_t console_lock = PTHREAD_MUTEX_INITIALIZER;

void log_set_console_level(int level)
{
	__atomic_store_n(&console_level, level, __ATOMIC_RELAXED);
}

int log_get_console_level(void)
{
	return __atomic_load_n(&console_level, __ATOMIC_RELAXED);
}

void log_set_stream(FILE *stream)
{
	pthread_mutex_lock(&console_lock);
	console_stream = stream;
	pthread_mutex_unlock(&console_lock);
}

FILE *log_stream(void)
{
	FILE *f;

	pthread_mutex_lock(&console_lock);
	f = console_stream ? console_stream : stderr;
	pthread_mutex_unlock(&console_lock);
	return f;
}

#ifdef TDXSIM_LOG_MARKER
/*
 * The log-marker build (meson -Dlog_marker=true): every line of the log
 * starts with TDXSIM_LOG_MARKER, as if every message had been reworded.
 * Nothing may judge a run by the log's text; CI runs the scenario suite in
 * this build to show the verdicts do not change. Under console_lock.
 */
static bool console_at_bol = true;

static void console_vprintf(FILE *f, const char *fmt, va_list ap)
{
	char *buf, *s;

	if (vasprintf(&buf, fmt, ap) < 0)
		return;
	for (s = buf; *s;) {
		char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) + 1 : strlen(s);

		if (console_at_bol)
			fputs(TDXSIM_LOG_MARKER, f);
		fwrite(s, 1, n, f);
		console_at_bol = nl != NULL;
		s += n;
	}
	free(buf);
}
#else
static void console_vprintf(FILE *f, const char *fmt, va_list ap)
{
	vfprintf(f, fmt, ap);
}
#endif

void printk_level(int level, const char *fmt, ...)
{
	va_list ap;
	FILE *f;

	if (level > log_get_console_level())
		return;
	pthread_mutex_lock(&console_lock);
	f = console_stream ? console_stream : stderr;
	va_start(ap, fmt);
	console_vprintf(f, fmt, ap);
	va_end(ap);
	fflush(f);
	pthread_mutex_unlock(&console_lock);
}

unsigned long warn_count(void)
{
	return __atomic_load_n(&nr_warnings, __ATOMIC_RELAXED);
}

void warn_count_reset(void)
{
	__atomic_store_n(&nr_warnings, 0, __ATOMIC_RELAXED);
}

void __warn(const char *file, int line, const char *func, const char *cond)
{
	struct task *t = current_task();

	__atomic_fetch_add(&nr_warnings, 1, __ATOMIC_RELAXED);
	printk_level(LOGLEVEL_WARNING,
		     "------------[ cut here ]------------\n"
		     "WARNING: %s/%d at %s:%d %s\n"
		     "condition: %s\n"
		     "---[ end trace ]---\n",
		     task_name(t), task_id(t), file, line, func, cond);
}

void __bug(const char *file, int line, const char *func, const char *cond)
{
	fprintf(stderr, "------------[ cut here ]------------\n"
			"kernel BUG at %s:%d! (%s: %s)\n",
		file, line, func, cond);
	fflush(stderr);
	abort();
}

u64 ktime_get_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}
