/* SPDX-License-Identifier: GPL-2.0-or-later */
/* User copies in sanitizer builds: mm.c's ASan check, the program's own copies. */
#ifndef TDXSIM_HOST_USER_COPY_CHECK_H
#define TDXSIM_HOST_USER_COPY_CHECK_H

#include <stdbool.h>

#include "ulib/compiler.h"

#include <string.h>

#ifdef TDXSIM_ASAN
#include <sanitizer/asan_interface.h>
#endif
#ifdef TDXSIM_TSAN
/* libtsan's dynamic annotations (no header declares them). */
void AnnotateIgnoreReadsBegin(const char *file, int line);
void AnnotateIgnoreReadsEnd(const char *file, int line);
void AnnotateIgnoreWritesBegin(const char *file, int line);
void AnnotateIgnoreWritesEnd(const char *file, int line);
#endif

/*
 * ASan builds: the copies go through the kernel (process_vm_writev/readv),
 * which ASan cannot see, so "user" memory that ASan knows is not the
 * caller's (a heap block's redzone, a freed block, past a global) would be
 * overwritten or read silently, as Linux would let a VMM corrupt itself.
 * tdxsim's "user" memory shares the process with tdxsim itself, so such a
 * copy may be the simulator's own heap: report it as ASan reports any bad
 * access (the stack of the copy and the block's history), never a silent
 * heap corruption found later in glibc's checks. The range is the exact
 * one the ioctl names, not GUP's whole pages.
 */
static inline void user_copy_asan_check(unsigned long uaddr, unsigned long n,
				 bool to_user)
{
#ifdef TDXSIM_ASAN
	void *bad = n ? __asan_region_is_poisoned((void *)uaddr, n) : NULL;

	if (bad)
		__asan_report_error(__builtin_return_address(0),
				    __builtin_frame_address(0),
				    __builtin_frame_address(0), bad, to_user,
				    n - ((unsigned long)bad - uaddr));
#else
	(void)uaddr;
	(void)n;
	(void)to_user;
#endif
}

/*
 * The calling program's own access to memory it has mapped (the library's
 * tdxsim_gmem_host_access(), a load or store of the VMM on Linux): two of
 * its threads copying to and from one shared page race in the program, as
 * they would on Linux, not in tdxsim. TSan builds leave these bytes out;
 * every access tdxsim makes to the page's metadata stays checked.
 */
static inline void user_access_copy(void *dst, const void *src, size_t n)
{
#ifdef TDXSIM_TSAN
	AnnotateIgnoreReadsBegin(__FILE__, __LINE__);
	AnnotateIgnoreWritesBegin(__FILE__, __LINE__);
#endif
	memcpy(dst, src, n);
#ifdef TDXSIM_TSAN
	AnnotateIgnoreWritesEnd(__FILE__, __LINE__);
	AnnotateIgnoreReadsEnd(__FILE__, __LINE__);
#endif
}

#endif /* TDXSIM_HOST_USER_COPY_CHECK_H */
