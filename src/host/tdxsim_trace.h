/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tdxsim's addition: the system calls' slices in the trace (base/trace.h).
 */
#ifndef TDXSIM_HOST_TDXSIM_TRACE_H
#define TDXSIM_HOST_TDXSIM_TRACE_H

#include "base/trace.h"

/* An ioctl @request (@arg) on @fd starts: a slice named after it. */
void host_trace_ioctl_begin(int fd, unsigned long request, unsigned long arg);
/* A system call's slice ends with its result @r (0, a value or -errno). */
void host_trace_syscall_end(long r);
/* fallocate(@fd, @mode, @offset, @len) starts. */
void host_trace_fallocate_begin(int fd, int mode, long long offset,
				long long len);

#endif /* TDXSIM_HOST_TDXSIM_TRACE_H */
