// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * An LD_PRELOAD library that gives a process another address layout, as
 * valgrind or a kernel older than 6.7 does: every address-only mmap() of
 * 2M or more (anonymous, no hint) lands one page past a 2M boundary, where
 * Linux 6.7+ would have put it on the boundary. check_layouts.py runs a
 * replay with and without it; a decision of tdxsim's that depends on where
 * the host put a mapping shows as a different schedule trace (issue 14).
 *
 * With LAYOUT_SHIM_REPORT=FILE, each mapping moved appends a line to FILE
 * (forked children and _exit() included), so that the check knows that
 * the library took effect.
 */
#undef _FILE_OFFSET_BITS		/* mmap and mmap64 are both defined here */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

#define SZ_2M	(2UL << 20)
#define SZ_4K	4096UL

typedef void *(*mmap_fn)(void *, size_t, int, int, int, off64_t);

static void *real_mmap(void *addr, size_t len, int prot, int flags, int fd,
		       off64_t off)
{
	static mmap_fn real;

	if (!real)
		real = (mmap_fn)dlsym(RTLD_NEXT, "mmap64");
	return real(addr, len, prot, flags, fd, off);
}

static void report_move(void)
{
	const char *path = getenv("LAYOUT_SHIM_REPORT");
	int fd;

	if (!path || !*path)
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (write(fd, "moved\n", 6) != 6)
		abort();
	close(fd);
}

static void *shim_mmap(void *addr, size_t len, int prot, int flags, int fd,
		       off64_t off)
{
	size_t span = len + 2 * SZ_2M;
	char *raw, *at, *p;

	if (addr || len < SZ_2M || !(flags & MAP_ANONYMOUS) ||
	    (flags & MAP_FIXED))
		return real_mmap(addr, len, prot, flags, fd, off);
	raw = real_mmap(NULL, span, PROT_NONE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED)
		return raw;
	at = (char *)(((uintptr_t)raw + SZ_2M - 1) & ~(SZ_2M - 1)) + SZ_4K;
	p = real_mmap(at, len, prot, flags | MAP_FIXED, fd, off);
	if (p == MAP_FAILED) {
		munmap(raw, span);
		return p;
	}
	if (at > raw)
		munmap(raw, at - raw);
	munmap(at + len, raw + span - (at + len));
	report_move();
	return p;
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return shim_mmap(addr, len, prot, flags, fd, off);
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd,
	     off64_t off)
{
	return shim_mmap(addr, len, prot, flags, fd, off);
}
