// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest programs: the operation list each vCPU runs, and the parser of the
 * text format (docs/guest-programs.md).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ulib/strbuf.h"
#include "guest/guest_internal.h"

void gprog_add(struct gprog *p, const struct gop *op)
{
	if (p->nr == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 16;
		p->ops = xrealloc(p->ops, p->cap * sizeof(*p->ops));
	}
	p->ops[p->nr++] = *op;
}

void gprog_free(struct gprog *p)
{
	free(p->ops);
	memset(p, 0, sizeof(*p));
}

static void format_size(u64 v, char *buf, size_t len)
{
	if (v && !(v % SZ_1G))
		snprintf(buf, len, "%lluG", (unsigned long long)(v / SZ_1G));
	else if (v && !(v % SZ_2M) && v >= SZ_2M)
		snprintf(buf, len, "%lluM", (unsigned long long)(v >> 20));
	else if (v && !(v % 1024))
		snprintf(buf, len, "%lluK", (unsigned long long)(v >> 10));
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
}

void gop_format(const struct gop *op, char *buf, size_t len)
{
	char sz[32];

	format_size(op->size, sz, sizeof(sz));
	switch (op->kind) {
	case GOP_ACCEPT:
		snprintf(buf, len, "accept 0x%llx %s level=%s",
			 (unsigned long long)op->gpa, sz,
			 tdxsim_guest_accept_policy_name(op->policy));
		break;
	case GOP_WRITE:
		snprintf(buf, len, "write %s0x%llx %s pattern=%u",
			 op->shared ? "shared " : "",
			 (unsigned long long)op->gpa, sz, op->pattern);
		break;
	case GOP_READ:
		snprintf(buf, len, "read %s0x%llx %s",
			 op->shared ? "shared " : "",
			 (unsigned long long)op->gpa, sz);
		break;
	case GOP_MAPGPA:
		snprintf(buf, len, "mapgpa %s 0x%llx %s",
			 op->shared ? "shared" : "private",
			 (unsigned long long)op->gpa, sz);
		break;
	case GOP_TOUCH:
		snprintf(buf, len, "touch 0x%llx",
			 (unsigned long long)op->gpa);
		break;
	case GOP_REPORT:
		snprintf(buf, len, "report 0x%llx",
			 (unsigned long long)op->gpa);
		break;
	case GOP_PIO:
	case GOP_MMIO:
		snprintf(buf, len, "%s 0x%llx 0x%llx size=%llu",
			 op->kind == GOP_PIO ? "pio" : "mmio",
			 (unsigned long long)op->gpa,
			 (unsigned long long)op->value,
			 (unsigned long long)op->size);
		break;
	case GOP_QUOTE:
		snprintf(buf, len, "quote %s0x%llx %s",
			 op->shared ? "" : "private ",
			 (unsigned long long)op->gpa, sz);
		break;
	default:
		snprintf(buf, len, "halt");
		break;
	}
}

int tdxsim_guest_parse_size(const char *s, uint64_t *out)
{
	u64 v = 0, mul = 1;
	const char *p = s;
	int base = 10;

	if (!s || !*s)
		return -EINVAL;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
		if (!isxdigit((unsigned char)*p))
			return -EINVAL;
	} else if (!isdigit((unsigned char)*p)) {
		return -EINVAL;
	}
	for (; *p; p++) {
		unsigned int d;

		if (isdigit((unsigned char)*p))
			d = *p - '0';
		else if (base == 16 && isxdigit((unsigned char)*p))
			d = tolower((unsigned char)*p) - 'a' + 10;
		else
			break;
		if (v > (~0ULL - d) / base)
			return -EINVAL;
		v = v * base + d;
	}
	if (*p) {
		switch (toupper((unsigned char)*p)) {
		case 'K':
			mul = 1ULL << 10;
			break;
		case 'M':
			mul = 1ULL << 20;
			break;
		case 'G':
			mul = 1ULL << 30;
			break;
		case 'T':
			mul = 1ULL << 40;
			break;
		default:
			return -EINVAL;
		}
		p++;
		if (*p == 'i' && p[1] == 'B')
			p += 2;
		else if (*p == 'B')
			p++;
		if (*p)
			return -EINVAL;
		if (v > ~0ULL / mul)
			return -EINVAL;
	}
	*out = v * mul;
	return 0;
}

static const char *const policy_names[] = {
	[TDXSIM_ACCEPT_2M_FALLBACK] = "2m-fallback",
	[TDXSIM_ACCEPT_4K] = "4k",
	[TDXSIM_ACCEPT_2M] = "2m",
};

int tdxsim_guest_parse_accept_policy(const char *s,
				     enum tdxsim_accept_policy *out)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(policy_names); i++) {
		if (!strcasecmp(s, policy_names[i])) {
			*out = i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *tdxsim_guest_accept_policy_name(enum tdxsim_accept_policy p)
{
	if ((unsigned int)p < ARRAY_SIZE(policy_names))
		return policy_names[p];
	return "?";
}

/* ---------------------------------------------------------------------- */
/* The parser.                                                             */
/* ---------------------------------------------------------------------- */

#define MAX_TOKENS	16
#define MAX_TOKEN_LEN	64

struct token {
	char s[MAX_TOKEN_LEN];
	unsigned int col;
};

struct parser {
	const char *name;
	unsigned int line;
	unsigned int eol_col;	/* column just past the last character */
	struct token tok[MAX_TOKENS];
	unsigned int nr;
	char *err;
	size_t errlen;
};

static int __printf(3, 4) perr(struct parser *ps, unsigned int col,
			       const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ps->err && ps->errlen)
		snprintf(ps->err, ps->errlen, "%s:%u:%u: %s", ps->name,
			 ps->line, col, msg);
	return -EINVAL;
}

/* Split one line into tokens; '#' starts a comment. */
static int tokenize(struct parser *ps, const char *line, size_t len)
{
	size_t i = 0;

	ps->nr = 0;
	ps->eol_col = 1;
	while (i < len) {
		size_t start;

		if (line[i] == '#')
			break;
		if (isspace((unsigned char)line[i])) {
			i++;
			continue;
		}
		start = i;
		while (i < len && !isspace((unsigned char)line[i]) &&
		       line[i] != '#')
			i++;
		if (ps->nr == MAX_TOKENS)
			return perr(ps, start + 1, "too many words on a line");
		if (i - start >= MAX_TOKEN_LEN)
			return perr(ps, start + 1, "word too long (%zu characters)",
				    i - start);
		memcpy(ps->tok[ps->nr].s, line + start, i - start);
		ps->tok[ps->nr].s[i - start] = '\0';
		ps->tok[ps->nr].col = start + 1;
		ps->nr++;
		ps->eol_col = i + 1;
	}
	return 0;
}

static int parse_num(struct parser *ps, unsigned int t, const char *what,
		     u64 *out)
{
	if (tdxsim_guest_parse_size(ps->tok[t].s, out))
		return perr(ps, ps->tok[t].col,
			    "%s '%s' is not a number (decimal or 0x hex, optional K/M/G suffix)",
			    what, ps->tok[t].s);
	return 0;
}

/* GPA at token @t and size at @t + 1, both 4K-aligned, inside the GPA space. */
static int parse_range(struct parser *ps, unsigned int t, const char *op,
		       struct gop *o)
{
	if (t + 1 >= ps->nr)
		return perr(ps, t < ps->nr ? ps->eol_col : ps->eol_col,
			    "'%s' needs a GPA and a size", op);
	if (parse_num(ps, t, "GPA", &o->gpa) ||
	    parse_num(ps, t + 1, "size", &o->size))
		return -EINVAL;
	if (!IS_ALIGNED(o->gpa, PAGE_SIZE))
		return perr(ps, ps->tok[t].col,
			    "GPA 0x%llx is not 4K-aligned",
			    (unsigned long long)o->gpa);
	if (!o->size)
		return perr(ps, ps->tok[t + 1].col, "size is zero");
	if (!IS_ALIGNED(o->size, PAGE_SIZE))
		return perr(ps, ps->tok[t + 1].col,
			    "size 0x%llx is not a multiple of 4K",
			    (unsigned long long)o->size);
	if (o->gpa >= GUEST_GPA_LIMIT ||
	    o->size > GUEST_GPA_LIMIT - o->gpa)
		return perr(ps, ps->tok[t].col,
			    "range 0x%llx + 0x%llx goes beyond the 52-bit GPA space",
			    (unsigned long long)o->gpa,
			    (unsigned long long)o->size);
	return 0;
}

/* Parse key=value options from token @t on. */
static int parse_options(struct parser *ps, unsigned int t, struct gop *o,
			 const char *op)
{
	for (; t < ps->nr; t++) {
		const char *s = ps->tok[t].s;
		const char *eq = strchr(s, '=');
		unsigned int vcol;
		u64 v;

		if (!eq)
			return perr(ps, ps->tok[t].col,
				    "unexpected '%s' after the operands of '%s'",
				    s, op);
		vcol = ps->tok[t].col + (eq - s) + 1;
		if (o->kind == GOP_ACCEPT && !strncmp(s, "level=", 6)) {
			enum tdxsim_accept_policy pol;

			if (tdxsim_guest_parse_accept_policy(eq + 1, &pol))
				return perr(ps, vcol,
					    "unknown accept level '%s' (expected 4k, 2m or 2m-fallback)",
					    eq + 1);
			o->policy = pol;
		} else if (o->kind == GOP_WRITE &&
			   !strncmp(s, "pattern=", 8)) {
			if (tdxsim_guest_parse_size(eq + 1, &v))
				return perr(ps, vcol,
					    "pattern '%s' is not a number",
					    eq + 1);
			if (!v || v > GREC_PATTERN_MAX)
				return perr(ps, vcol,
					    "pattern %llu out of range (1..%u)",
					    (unsigned long long)v,
					    GREC_PATTERN_MAX);
			o->pattern = v;
		} else {
			return perr(ps, ps->tok[t].col,
				    "unknown option '%.*s' for '%s'%s",
				    (int)(eq - s), s, op,
				    o->kind == GOP_ACCEPT ? " (expected level=)" :
				    o->kind == GOP_WRITE ? " (expected pattern=)" :
				    " (it takes no options)");
		}
	}
	return 0;
}

/* Which vCPUs the current section feeds. */
struct section {
	bool all;
	unsigned int vcpu;
};

static int parse_line(struct parser *ps, struct section *sec,
		      unsigned int nr_vcpus, struct gop *o, bool *have_op,
		      u32 *auto_pattern)
{
	const char *kw = ps->tok[0].s;
	unsigned int t = 1;

	*have_op = false;
	memset(o, 0, sizeof(*o));
	o->line = ps->line;
	o->col = ps->tok[0].col;

	if (!strcmp(kw, "vcpu")) {
		u64 n;

		if (ps->nr < 2)
			return perr(ps, ps->eol_col,
				    "'vcpu' needs a vCPU index or 'all'");
		if (ps->nr > 2)
			return perr(ps, ps->tok[2].col,
				    "unexpected '%s' after 'vcpu %s'",
				    ps->tok[2].s, ps->tok[1].s);
		if (!strcmp(ps->tok[1].s, "all")) {
			sec->all = true;
			return 0;
		}
		if (tdxsim_guest_parse_size(ps->tok[1].s, &n) ||
		    !isdigit((unsigned char)ps->tok[1].s[0]) ||
		    strpbrk(ps->tok[1].s, "kKmMgGtT"))
			return perr(ps, ps->tok[1].col,
				    "'%s' is not a vCPU index or 'all'",
				    ps->tok[1].s);
		if (n >= nr_vcpus)
			return perr(ps, ps->tok[1].col,
				    "vCPU %llu out of range: the guest has %u vCPU%s",
				    (unsigned long long)n, nr_vcpus,
				    nr_vcpus == 1 ? "" : "s");
		sec->all = false;
		sec->vcpu = n;
		return 0;
	}

	if (!strcmp(kw, "accept")) {
		o->kind = GOP_ACCEPT;
		o->policy = TDXSIM_ACCEPT_2M_FALLBACK;
		if (parse_range(ps, t, kw, o))
			return -EINVAL;
		if (parse_options(ps, t + 2, o, kw))
			return -EINVAL;
	} else if (!strcmp(kw, "write") || !strcmp(kw, "read")) {
		o->kind = kw[0] == 'w' ? GOP_WRITE : GOP_READ;
		if (t < ps->nr && !strcmp(ps->tok[t].s, "shared")) {
			o->shared = true;
			t++;
		} else if (t < ps->nr && !strcmp(ps->tok[t].s, "private")) {
			t++;
		}
		if (parse_range(ps, t, kw, o))
			return -EINVAL;
		if (parse_options(ps, t + 2, o, kw))
			return -EINVAL;
		if (o->kind == GOP_WRITE && !o->pattern) {
			/* A fresh pattern per write line, from the seed. */
			*auto_pattern = (u32)(guest_mix64(*auto_pattern) %
					      GREC_PATTERN_MAX) + 1;
			o->pattern = *auto_pattern;
		}
	} else if (!strcmp(kw, "mapgpa")) {
		o->kind = GOP_MAPGPA;
		if (t >= ps->nr)
			return perr(ps, ps->eol_col,
				    "'mapgpa' needs 'shared' or 'private', a GPA and a size");
		if (!strcmp(ps->tok[t].s, "shared"))
			o->shared = true;
		else if (strcmp(ps->tok[t].s, "private"))
			return perr(ps, ps->tok[t].col,
				    "expected 'shared' or 'private', not '%s'",
				    ps->tok[t].s);
		t++;
		if (parse_range(ps, t, kw, o))
			return -EINVAL;
		if (parse_options(ps, t + 2, o, kw))
			return -EINVAL;
	} else if (!strcmp(kw, "touch") || !strcmp(kw, "report")) {
		/* One page at a GPA: a first touch, or the TDREPORT's buffer. */
		o->kind = kw[0] == 't' ? GOP_TOUCH : GOP_REPORT;
		if (t >= ps->nr)
			return perr(ps, ps->eol_col, "'%s' needs a GPA", kw);
		if (parse_num(ps, t, "GPA", &o->gpa))
			return -EINVAL;
		if (!IS_ALIGNED(o->gpa, PAGE_SIZE))
			return perr(ps, ps->tok[t].col,
				    "GPA 0x%llx is not 4K-aligned",
				    (unsigned long long)o->gpa);
		if (o->gpa >= GUEST_GPA_LIMIT)
			return perr(ps, ps->tok[t].col,
				    "GPA 0x%llx is beyond the 52-bit GPA space",
				    (unsigned long long)o->gpa);
		o->size = PAGE_SIZE;
		if (parse_options(ps, t + 1, o, kw))
			return -EINVAL;
	} else if (!strcmp(kw, "quote")) {
		o->kind = GOP_QUOTE;
		o->shared = true;
		if (t < ps->nr && !strcmp(ps->tok[t].s, "private")) {
			o->shared = false;	/* a bad buffer, on purpose */
			t++;
		} else if (t < ps->nr && !strcmp(ps->tok[t].s, "shared")) {
			t++;
		}
		if (parse_range(ps, t, kw, o))
			return -EINVAL;
		if (parse_options(ps, t + 2, o, kw))
			return -EINVAL;
	} else if (!strcmp(kw, "pio") || !strcmp(kw, "mmio")) {
		bool pio = kw[0] == 'p';

		o->kind = pio ? GOP_PIO : GOP_MMIO;
		if (t + 1 >= ps->nr)
			return perr(ps, ps->eol_col, "'%s' needs %s and a value",
				    kw, pio ? "a port" : "a GPA");
		if (parse_num(ps, t, pio ? "port" : "GPA", &o->gpa) ||
		    parse_num(ps, t + 1, "value", &o->value))
			return -EINVAL;
		if (pio ? o->gpa > 0xffff : o->gpa >= GUEST_GPA_LIMIT)
			return perr(ps, ps->tok[t].col, "%s 0x%llx out of range",
				    pio ? "port" : "GPA",
				    (unsigned long long)o->gpa);
		o->size = 4;
		if (t + 2 < ps->nr && !strncmp(ps->tok[t + 2].s, "size=", 5)) {
			u64 w;

			if (tdxsim_guest_parse_size(ps->tok[t + 2].s + 5, &w) ||
			    !w || w > (pio ? 4 : 8) || (w & (w - 1)))
				return perr(ps, ps->tok[t + 2].col + 5,
					    "size '%s' is not %s",
					    ps->tok[t + 2].s + 5,
					    pio ? "1, 2 or 4" : "1, 2, 4 or 8");
			o->size = w;
			t++;
		}
		if (parse_options(ps, t + 2, o, kw))
			return -EINVAL;
	} else if (!strcmp(kw, "halt")) {
		o->kind = GOP_HALT;
		if (parse_options(ps, t, o, kw))
			return -EINVAL;
	} else {
		return perr(ps, ps->tok[0].col,
			    "unknown operation '%s' (expected accept, write, read, mapgpa, touch, report, quote, pio, mmio, halt or vcpu)",
			    kw);
	}
	*have_op = true;
	return 0;
}

int guest_program_parse(const char *text, const char *name,
			unsigned int nr_vcpus, u64 seed, struct gprog *progs,
			char *err, size_t errlen)
{
	struct parser ps = {
		.name = name ? name : "<program>",
		.err = err,
		.errlen = errlen,
	};
	struct section sec = { .all = true };
	u32 auto_pattern = (u32)guest_mix64(seed);
	const char *p = text ? text : "";
	unsigned int i;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		struct gop o;
		bool have_op;

		ps.line++;
		if (len && p[len - 1] == '\r')
			len--;
		if (tokenize(&ps, p, len))
			goto fail;
		if (ps.nr) {
			if (parse_line(&ps, &sec, nr_vcpus, &o, &have_op,
				       &auto_pattern))
				goto fail;
			if (have_op && sec.all) {
				for (i = 0; i < nr_vcpus; i++)
					gprog_add(&progs[i], &o);
			} else if (have_op) {
				gprog_add(&progs[sec.vcpu], &o);
			}
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	return 0;
fail:
	for (i = 0; i < nr_vcpus; i++)
		gprog_free(&progs[i]);
	return -EINVAL;
}
