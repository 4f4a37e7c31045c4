/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What tdxsim scenario (scenario.c) and tdxsim explore (explore.c) share:
 * checking a scenario name with its kernel and design, the words and the
 * replay command a run is printed with, and a JSON string-or-null.
 */
#ifndef TDXSIM_TOOLS_SCENARIO_CLI_H
#define TDXSIM_TOOLS_SCENARIO_CLI_H

#include <stddef.h>

#include "tdxsim/scenario.h"
#include "ulib/compiler.h"

/* @s as a JSON string on stdout, or null. */
void cli_json_str_or_null(const char *s);
/* The --strategy word of @s. */
const char *cli_strategy_name(enum tdxsim_sched_strategy s);
/* The --design word of a run in @kernel with design @d ("" for none). */
const char *cli_design_label(const char *kernel, const char *d);
/* The command that replays @seed, into @buf. */
const char *cli_replay_cmd(char *buf, size_t len,
			   const struct tdxsim_scenario *s,
			   const char *kernel, const char *design, u64 seed,
			   enum tdxsim_sched_strategy strat);
/* Print "replay: " and that command. */
void cli_print_replay(const struct tdxsim_scenario *s, const char *kernel,
		      const char *design, u64 seed,
		      enum tdxsim_sched_strategy strat);
/*
 * Check the one scenario NAME of @argv (from @optind_) with @kernel and
 * @design into @out; prints usage errors and returns their status.
 */
int cli_scenario_resolve(const char *cmd, int argc, char **argv, int optind_,
			 const char *kernel, const char *design,
			 const struct tdxsim_scenario **out);

#endif /* TDXSIM_TOOLS_SCENARIO_CLI_H */
