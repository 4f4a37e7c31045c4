// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the process knows of itself (see proc.h).
 */
#include <stdio.h>
#include <unistd.h>

#include "ulib/proc.h"

u64 proc_rss_bytes(void)
{
	unsigned long long size, resident;
	FILE *f = fopen("/proc/self/statm", "re");
	int n;

	if (!f)
		return 0;
	n = fscanf(f, "%llu %llu", &size, &resident);
	fclose(f);
	if (n != 2)
		return 0;
	return resident * (u64)sysconf(_SC_PAGESIZE);
}

u64 proc_peak_rss_bytes(void)
{
	unsigned long long kb = 0;
	char line[256];
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return (u64)kb << 10;
}
