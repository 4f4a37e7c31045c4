/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the process knows of itself.
 */
#ifndef TDXSIM_ULIB_PROC_H
#define TDXSIM_ULIB_PROC_H

#include "ulib/compiler.h"

/* Resident set size of this process in bytes (from /proc/self/statm). */
u64 proc_rss_bytes(void);
/* The peak resident set size so far (VmHWM), in bytes; 0 if unknown. */
u64 proc_peak_rss_bytes(void);

#endif /* TDXSIM_ULIB_PROC_H */
