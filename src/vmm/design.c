// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The design variants as text: "populate=gmem,mirror_freeze=off".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ulib/strbuf.h"
#include "tdxsim/vmm.h"
#include "ulib/compiler.h"

struct design_key {
	const char *key;
	size_t offset;
	const char *const values[4];	/* value names by number */
	const char *what;
};

#define DKEY(k, field, ...)						\
	{ k, offsetof(struct tdxsim_design, field), { __VA_ARGS__ }, NULL }

static const struct design_key keys[] = {
	DKEY("populate", populate, "decoupled", "gmem", "map_pfn"),
	DKEY("accept_level", accept_level, "split_inhibit", "ignore"),
	DKEY("vp_init_lock", vp_init_lock, "mmu_write", "none"),
	DKEY("pin_pages", pin_pages, "off", "on"),
	DKEY("mirror_freeze", mirror_freeze, "off", "on"),
	DKEY("gmem_locking", gmem_locking, "legacy", "inflight"),
	DKEY("vp_init_version", vp_init_version, "0", "1"),
	DKEY("gmem_hugepages", gmem_hugepages, "off", "on"),
	DKEY("measure_two_pass", measure_two_pass, "off", "on"),
};

static __tdxsim_u32 *field(struct tdxsim_design *d, const struct design_key *k)
{
	return (__tdxsim_u32 *)((char *)d + k->offset);
}

int tdxsim_parse_design(const char *text, struct tdxsim_design *d, char *err,
		     size_t errlen)
{
	char *copy = xstrdup(text ? text : ""), *save = NULL, *tok;
	int ret = 0;

	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		const struct design_key *k = NULL;
		size_t i;
		int v;

		if (!eq) {
			snprintf(err, errlen,
				 "design: '%s' is not KEY=VALUE", tok);
			ret = -EINVAL;
			break;
		}
		*eq = '\0';
		for (i = 0; i < ARRAY_SIZE(keys); i++)
			if (!strcmp(keys[i].key, tok))
				k = &keys[i];
		if (!k) {
			snprintf(err, errlen,
				 "design: unknown switch '%s' (one of populate, accept_level, vp_init_lock, pin_pages, mirror_freeze, gmem_locking, vp_init_version, gmem_hugepages, measure_two_pass)",
				 tok);
			ret = -EINVAL;
			break;
		}
		for (v = 0; v < 4 && k->values[v]; v++)
			if (!strcmp(k->values[v], eq + 1))
				break;
		if (v == 4 || !k->values[v]) {
			struct strbuf sb = STRBUF_INIT;

			for (v = 0; v < 4 && k->values[v]; v++)
				sb_printf(&sb, "%s%s", v ? "|" : "",
					  k->values[v]);
			snprintf(err, errlen,
				 "design: %s=%s: the value must be %s", tok,
				 eq + 1, sb_str(&sb));
			sb_free(&sb);
			ret = -EINVAL;
			break;
		}
		*field(d, k) = v;
	}
	free(copy);
	return ret;
}

char *tdxsim_design_string(const struct tdxsim_design *d, char *buf, size_t len)
{
	struct tdxsim_design copy = *d;
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		__tdxsim_u32 v = *field(&copy, &keys[i]);
		const char *name = v < 4 && keys[i].values[v] ?
					   keys[i].values[v] : "?";
		int n = snprintf(buf + off, len - off, "%s%s=%s",
				 i ? "," : "", keys[i].key, name);

		if (n < 0 || (size_t)n >= len - off)
			break;
		off += n;
	}
	return buf;
}
