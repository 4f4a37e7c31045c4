/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Kernel-shaped logging and bug reporting: pr_*(), WARN_ON(), BUG_ON().
 *
 * Messages go to stderr when their level is at or above the console level,
 * and every WARN is also counted so that tests and the CLI can read how many
 * warnings a run produced.
 */
#ifndef TDXSIM_BASE_LOG_H
#define TDXSIM_BASE_LOG_H

#include <stdio.h>
#include <stdlib.h>

#include "ulib/compiler.h"

enum log_level {
	LOGLEVEL_ERR = 3,
	LOGLEVEL_WARNING = 4,
	LOGLEVEL_INFO = 6,
	LOGLEVEL_DEBUG = 7,
};

/* Print a message at @level, prefixed like the kernel's console would. */
void printk_level(int level, const char *fmt, ...) __printf(2, 3);

/* Messages above this level are dropped (default LOGLEVEL_INFO). */
void log_set_console_level(int level);
int log_get_console_level(void);

/* Redirect log output (NULL restores stderr); used by tests to capture it. */
void log_set_stream(FILE *stream);
FILE *log_stream(void);

#define pr_err(fmt, ...)	printk_level(LOGLEVEL_ERR, fmt, ##__VA_ARGS__)
#define pr_warn(fmt, ...)	printk_level(LOGLEVEL_WARNING, fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...)	printk_level(LOGLEVEL_INFO, fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...)	printk_level(LOGLEVEL_DEBUG, fmt, ##__VA_ARGS__)
#define pr_err_ratelimited	pr_err
#define pr_warn_once(fmt, ...)						\
	({								\
		static bool __warned;					\
		if (!__atomic_exchange_n(&__warned, true, __ATOMIC_RELAXED)) \
			pr_warn(fmt, ##__VA_ARGS__);			\
	})

/* Report a warning at @file:@line in the kernel's "WARNING: at" shape. */
void __warn(const char *file, int line, const char *func, const char *cond);

/* Number of WARN_ON()s that fired since start or the last reset. */
unsigned long warn_count(void);
void warn_count_reset(void);

#define WARN_ON(cond)							\
	({								\
		bool __ret_warn_on = !!(cond);				\
		if (unlikely(__ret_warn_on))				\
			__warn(__FILE__, __LINE__, __func__, #cond);	\
		unlikely(__ret_warn_on);				\
	})

#define WARN_ON_ONCE(cond)						\
	({								\
		static bool __warned_once;				\
		bool __ret_warn_once = !!(cond);			\
		if (unlikely(__ret_warn_once) &&			\
		    !__atomic_exchange_n(&__warned_once, true,		\
					 __ATOMIC_RELAXED))		\
			__warn(__FILE__, __LINE__, __func__, #cond);	\
		unlikely(__ret_warn_once);				\
	})

#define WARN(cond, fmt, ...)						\
	({								\
		bool __ret_warn = !!(cond);				\
		if (unlikely(__ret_warn)) {				\
			__warn(__FILE__, __LINE__, __func__, #cond);	\
			pr_warn(fmt, ##__VA_ARGS__);			\
		}							\
		unlikely(__ret_warn);					\
	})

/* A bug in tdxsim itself: print where and abort. */
void __noreturn __bug(const char *file, int line, const char *func,
		      const char *cond);

#define BUG()		__bug(__FILE__, __LINE__, __func__, "BUG()")
#define BUG_ON(cond)							\
	do {								\
		if (unlikely(cond))					\
			__bug(__FILE__, __LINE__, __func__, #cond);	\
	} while (0)

#endif /* TDXSIM_BASE_LOG_H */
