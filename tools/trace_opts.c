// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * --trace FILE and --lockdep-graph FILE, shared by run, scenario, explore
 * and fuzz --replay: each file is created while the options are checked,
 * so a path in a missing directory is a usage error (status 2) before
 * anything runs, and written when the command is done.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "tdxsim/trace.h"

int out_file_check(const char *cmd, const char *opt, const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return usage_error(cmd, "--%s %s: %s", opt, path,
				   strerror(errno));
	fclose(f);
	return 0;
}

int trace_opt_start(const char *cmd, const char *path)
{
	int r = tdxsim_trace_start(path);

	if (r)
		return usage_error(cmd, "--trace %s: %s", path, strerror(-r));
	return 0;
}

int trace_opt_stop(const char *cmd, const char *path)
{
	int r = tdxsim_trace_stop();

	if (r) {
		fprintf(stderr, "tdxsim %s: --trace %s: %s\n", cmd, path,
			strerror(-r));
		return 1;
	}
	return 0;
}

int lockdep_graph_opt_write(const char *cmd, const char *path)
{
	FILE *f = fopen(path, "w");
	int r;

	if (!f) {
		fprintf(stderr, "tdxsim %s: --lockdep-graph %s: %s\n", cmd,
			path, strerror(errno));
		return 1;
	}
	r = tdxsim_lockdep_graph_write(f);
	if (fclose(f) && !r)
		r = -EIO;
	if (r) {
		fprintf(stderr, "tdxsim %s: --lockdep-graph %s: %s\n", cmd,
			path, strerror(-r));
		return 1;
	}
	return 0;
}
