// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The design switches as text: "populate=gmem_cb,mirror_freeze=off", over
 * the switch table of include/tdxsim/profiles.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ulib/strbuf.h"
#include "tdxsim/profiles.h"
#include "tdxsim/vmm.h"
#include "ulib/compiler.h"

/* Older names of values, still accepted. */
static const struct {
	const char *key, *old, *value;
} aliases[] = {
	{ "populate", "gmem", "gmem_cb" },
};

static const char *canonical_value(const char *key, const char *value)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(aliases); i++)
		if (!strcmp(aliases[i].key, key) &&
		    !strcmp(aliases[i].old, value))
			return aliases[i].value;
	return value;
}

int tdxsim_parse_design(const char *text, struct tdxsim_design *d, char *err,
			size_t errlen)
{
	char *copy = xstrdup(text ? text : ""), *save = NULL, *tok;
	int ret = 0;

	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		const struct tdxsim_design_switch *sw;
		const char *value;
		char *eq = strchr(tok, '=');
		int v;

		if (!eq) {
			snprintf(err, errlen,
				 "design: '%s' is not KEY=VALUE", tok);
			ret = -EINVAL;
			break;
		}
		*eq = '\0';
		sw = tdxsim_design_switch_find(tok);
		if (!sw) {
			struct strbuf sb = STRBUF_INIT;
			const struct tdxsim_design_switch *all;
			size_t i, n;

			all = tdxsim_design_switches(&n);
			for (i = 0; i < n; i++)
				sb_printf(&sb, "%s%s", i ? ", " : "",
					  all[i].name);
			snprintf(err, errlen,
				 "design: unknown switch '%s' (one of %s)", tok,
				 sb_str(&sb));
			sb_free(&sb);
			ret = -EINVAL;
			break;
		}
		value = canonical_value(tok, eq + 1);
		for (v = 0; v < TDXSIM_SWITCH_MAX_VALUES && sw->values[v]; v++)
			if (!strcmp(sw->values[v], value))
				break;
		if (v == TDXSIM_SWITCH_MAX_VALUES || !sw->values[v]) {
			struct strbuf sb = STRBUF_INIT;

			for (v = 0; v < TDXSIM_SWITCH_MAX_VALUES && sw->values[v];
			     v++)
				sb_printf(&sb, "%s%s", v ? "|" : "",
					  sw->values[v]);
			snprintf(err, errlen,
				 "design: %s=%s: the value must be %s", tok,
				 eq + 1, sb_str(&sb));
			sb_free(&sb);
			ret = -EINVAL;
			break;
		}
		*(__tdxsim_u32 *)((char *)d + sw->offset) = v;
	}
	free(copy);
	return ret;
}

char *tdxsim_design_string(const struct tdxsim_design *d, char *buf, size_t len)
{
	const struct tdxsim_design_switch *sw;
	size_t i, n, off = 0;

	buf[0] = '\0';
	sw = tdxsim_design_switches(&n);
	for (i = 0; i < n; i++) {
		int k = snprintf(buf + off, len - off, "%s%s=%s",
				 i ? "," : "", sw[i].name,
				 tdxsim_design_value_name(d, &sw[i]));

		if (k < 0 || (size_t)k >= len - off)
			break;
		off += k;
	}
	return buf;
}

char *tdxsim_design_diff(const struct tdxsim_design *d,
			 const struct tdxsim_design *base, char *buf,
			 size_t len)
{
	const struct tdxsim_design_switch *sw;
	size_t i, n, off = 0;

	buf[0] = '\0';
	sw = tdxsim_design_switches(&n);
	for (i = 0; i < n; i++) {
		int k;

		if (tdxsim_design_get(d, &sw[i]) ==
		    tdxsim_design_get(base, &sw[i]))
			continue;
		k = snprintf(buf + off, len - off, "%s%s=%s", off ? "," : "",
			     sw[i].name, tdxsim_design_value_name(d, &sw[i]));
		if (k < 0 || (size_t)k >= len - off)
			break;
		off += k;
	}
	return buf;
}
