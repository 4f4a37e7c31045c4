/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The tdxsim command's subcommands and the helpers they share.
 */
#ifndef TDXSIM_TOOLS_COMMANDS_H
#define TDXSIM_TOOLS_COMMANDS_H

#include <stdio.h>

#include "ulib/compiler.h"
#include "tdxsim/sched.h"
#include "tdxsim/tdvf.h"
#include "tdxsim/tdxsim.h"

#define EXIT_USAGE	2

struct tdxsim_cmd {
	const char *name;
	const char *summary;
	const char *help;
	int (*fn)(const struct tdxsim_cmd *cmd, int argc, char **argv);
};

/* Print a usage error for @cmd (NULL: the command itself); returns 2. */
int usage_error(const char *cmd, const char *fmt, ...) __printf(2, 3);
/*
 * What every subcommand does with the getopt_long() answers it has no case
 * of: 'h' prints its help (0), ':' and unknown options are usage errors (2).
 */
int getopt_common(const struct tdxsim_cmd *cmd, int c, char **argv);
/* Print @s as a JSON string literal. */
void json_string(FILE *f, const char *s);
/* A strictly parsed unsigned number (decimal or 0x hex): 0 or -EINVAL. */
int parse_u64(const char *s, u64 *out);
/* A non-zero size with an optional K/M/G/T suffix ("256M"): 0 or -EINVAL. */
int parse_size(const char *s, u64 *out);
/* "random" or "pct": 0 or -EINVAL. */
int parse_strategy(const char *s, enum tdxsim_sched_strategy *out);
/* Monotonic clock in nanoseconds. */
u64 now_ns(void);
/* The simulated host's memory counters (TDXSIM_GET_HOST_MEMORY). */
void get_host_memory(struct tdxsim_host_memory *hm);
/* Print the section table of @info as a JSON array. */
void info_json_sections(const struct tdxsim_tdvf_info *info);

/*
 * --trace and --lockdep-graph (tools/trace_opts.c). out_file_check():
 * create @path now, or a usage error (status 2) naming --@opt.
 * trace_opt_start(): start the trace (a usage error if its file cannot be
 * made); trace_opt_stop() writes it, lockdep_graph_opt_write() writes the
 * lock graph (0, or status 1 with a message).
 */
int out_file_check(const char *cmd, const char *opt, const char *path);
int trace_opt_start(const char *cmd, const char *path);
int trace_opt_stop(const char *cmd, const char *path);
int lockdep_graph_opt_write(const char *cmd, const char *path);

/* tdxsim run / tdxsim measure (tools/run.c). */
int cmd_run(const struct tdxsim_cmd *cmd, int argc, char **argv);
int cmd_measure(const struct tdxsim_cmd *cmd, int argc, char **argv);
/* tdxsim scenario (tools/scenario.c) / tdxsim explore (tools/explore.c). */
int cmd_scenario(const struct tdxsim_cmd *cmd, int argc, char **argv);
int cmd_explore(const struct tdxsim_cmd *cmd, int argc, char **argv);
/* tdxsim kernels (tools/kernels.c). */
int cmd_kernels(const struct tdxsim_cmd *cmd, int argc, char **argv);
/* tdxsim exec (tools/exec.c). */
int cmd_exec(const struct tdxsim_cmd *cmd, int argc, char **argv);
/* tdxsim fuzz (tools/fuzz.c). */
int cmd_fuzz(const struct tdxsim_cmd *cmd, int argc, char **argv);

#endif /* TDXSIM_TOOLS_COMMANDS_H */
