// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tdxsim kernels [--verbose] [--json] [NAME]: the kernel profiles, each with
 * what it models and (--verbose) every switch it sets and where upstream
 * that comes from. With NAME ("next+hugepage-rfc"), that kernel only.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "tdxsim/profiles.h"

/* Every switch of kernel @name with its value, setter and source. */
static void print_switches(const char *name, bool json)
{
	const struct tdxsim_design_switch *sw;
	struct tdxsim_design d;
	size_t i, n;

	tdxsim_kernel_design(name, &d, NULL, 0);
	sw = tdxsim_design_switches(&n);
	for (i = 0; i < n; i++) {
		const char *from = NULL, *src = NULL;

		tdxsim_kernel_switch_source(name, &sw[i], &from, &src);
		if (json) {
			printf("%s\n      { \"switch\": ", i ? "," : "");
			json_string(stdout, sw[i].name);
			printf(", \"value\": ");
			json_string(stdout, tdxsim_design_value_name(&d, &sw[i]));
			printf(", \"set_by\": ");
			if (from)
				json_string(stdout, from);
			else
				printf("null");
			printf(", \"world\": %s, \"source\": ",
			       sw[i].world ? "true" : "false");
			json_string(stdout, src);
			printf(" }");
		} else {
			printf("    %-27s %-16s %s%s%s\n", sw[i].name,
			       tdxsim_design_value_name(&d, &sw[i]),
			       from ? "[" : "", from ? from : "",
			       from ? "]" : "");
			printf("    %-27s %-16s %s\n", "", "", src);
		}
	}
}

static void print_one(const char *name, const struct tdxsim_kernel_profile *p,
		      bool verbose, bool json, bool first)
{
	size_t i;

	if (json) {
		printf("%s\n  { \"name\": ", first ? "" : ",");
		json_string(stdout, name);
		printf(", \"overlay\": %s, \"parent\": ",
		       p && p->overlay ? "true" : "false");
		if (p && p->parent)
			json_string(stdout, p->parent);
		else
			printf("null");
		printf(", \"default\": %s",
		       !strcmp(name, TDXSIM_KERNEL_DEFAULT) ? "true" : "false");
		if (p) {
			printf(", \"summary\": ");
			json_string(stdout, p->summary);
			printf(", \"source\": ");
			json_string(stdout, p->source);
			printf(", \"sets\": [");
			for (i = 0; i < p->nr_settings; i++) {
				printf("%s\n      { \"switch\": ", i ? "," : "");
				json_string(stdout, p->settings[i].name);
				printf(", \"value\": ");
				json_string(stdout, p->settings[i].value);
				printf(", \"source\": ");
				json_string(stdout, p->settings[i].source);
				printf(" }");
			}
			printf(" ]");
		}
		if (verbose && !(p && p->overlay)) {
			printf(", \"switches\": [");
			print_switches(name, true);
			printf(" ]");
		}
		printf(" }");
		return;
	}
	if (p) {
		printf("%-13s %s%s\n", name, p->summary,
		       !strcmp(name, TDXSIM_KERNEL_DEFAULT) ? " (default)" : "");
		if (!verbose)
			return;
		printf("  models: %s\n", p->source);
		if (p->overlay) {
			printf("  an overlay (write BASE+%s); sets:\n", name);
			for (i = 0; i < p->nr_settings; i++)
				printf("    %-27s %-16s %s\n",
				       p->settings[i].name,
				       p->settings[i].value,
				       p->settings[i].source);
		} else {
			printf("  %s%s; every switch:\n",
			       p->parent ? "differs from " : "the oldest kernel",
			       p->parent ? p->parent : "");
			print_switches(name, false);
		}
		printf("\n");
	} else {
		printf("%s\n", name);
		print_switches(name, false);
	}
}

int cmd_kernels(const struct tdxsim_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct tdxsim_kernel_profile *list;
	bool verbose = false, json = false;
	char err[256];
	size_t i, n;
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":vh", opts, NULL)) != -1) {
		switch (c) {
		case 'v':
			verbose = true;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(cmd->help, stdout);
			return 0;
		default:
			return usage_error(cmd->name, "unknown option '%s'",
					   argv[optind - 1]);
		}
	}
	if (argc - optind > 1)
		return usage_error(cmd->name, "takes at most one NAME");
	if (json)
		printf("[");
	if (optind < argc) {
		const char *name = argv[optind];
		const struct tdxsim_kernel_profile *p;
		struct tdxsim_design d;

		p = tdxsim_kernel_profile_find(name);
		if (p && p->overlay) {
			print_one(name, p, true, json, true);
			if (json)
				printf("\n]\n");
			return 0;
		}
		if (tdxsim_kernel_design(name, &d, err, sizeof(err)))
			return usage_error(cmd->name, "%s", err);
		print_one(name, strchr(name, '+') ? NULL :
				tdxsim_kernel_profile_find(name),
			  true, json, true);
	} else {
		list = tdxsim_kernel_profiles(&n);
		for (i = 0; i < n; i++)
			print_one(list[i].name, &list[i], verbose, json, !i);
	}
	if (json)
		printf("\n]\n");
	return 0;
}
