// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tdxsim's addition: fuzz programs as text (docs/fuzz-programs.md): the
 * parser and the printer, which round-trip exactly, and the small helpers
 * the executor and shrinker share (the GPA range an operation touches, the
 * guest program text of the vCPU tasks, the design a program names).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tdxsim/profiles.h"
#include "tdxsim/vmm.h"
#include "scenario/fuzz_internal.h"

static const char *const op_names[FZ_NR_OPS] = {
	[FZ_PUNCH] = "punch",
	[FZ_ALLOC] = "alloc",
	[FZ_ATTR] = "attr",
	[FZ_PREFAULT] = "prefault",
	[FZ_SLOT_DELETE] = "slot-delete",
	[FZ_SLOT_ADD] = "slot-add",
	[FZ_INIT_VCPU] = "init-vcpu",
	[FZ_INIT_MEM] = "init-mem",
	[FZ_FINALIZE] = "finalize",
	[FZ_CLOSE] = "close",
	[FZ_TEARDOWN] = "teardown",
	[FZ_HOST_READ] = "host-read",
	[FZ_HOST_WRITE] = "host-write",
	[FZ_G_ACCEPT] = "accept",
	[FZ_G_WRITE] = "write",
	[FZ_G_READ] = "read",
	[FZ_G_MAPGPA] = "mapgpa",
	[FZ_G_TOUCH] = "touch",
};

static const char *const target_names[] = {
	[FZ_T_VCPU] = "vcpu",
	[FZ_T_GMEM] = "gmem",
	[FZ_T_VM] = "vm",
	[FZ_T_KVM] = "kvm",
};

static const char *const accept_names[] = {
	[FZ_ACCEPT_FALLBACK] = "2m-fallback",
	[FZ_ACCEPT_4K] = "4k",
	[FZ_ACCEPT_2M] = "2m",
};

bool fz_op_is_guest(enum fz_op_kind k)
{
	return k >= FZ_G_ACCEPT && k < FZ_NR_OPS;
}

const char *fz_op_name(enum fz_op_kind k)
{
	return k < FZ_NR_OPS ? op_names[k] : "?";
}

const char *fz_target_name(enum fz_target t)
{
	return t <= FZ_T_KVM ? target_names[t] : "?";
}

/* "4K", "2M", "0x3000": sizes as people write them. */
static void fmt_size(struct strbuf *sb, u64 v)
{
	if (v && !(v % (1ULL << 20)))
		sb_printf(sb, "%lluM", (unsigned long long)(v >> 20));
	else if (v && !(v % 1024))
		sb_printf(sb, "%lluK", (unsigned long long)(v >> 10));
	else
		sb_printf(sb, "%llu", (unsigned long long)v);
}

static void fmt_obj(struct strbuf *sb, const struct fz_obj *o)
{
	sb_printf(sb, "%s", fz_target_name(o->target));
	if (o->target == FZ_T_VCPU || o->target == FZ_T_GMEM)
		sb_printf(sb, "%u", o->index);
}

void fz_op_format(const struct fz_op *op, struct strbuf *sb)
{
	unsigned int i;

	sb_printf(sb, "%s", fz_op_name(op->kind));
	switch (op->kind) {
	case FZ_PUNCH:
	case FZ_ALLOC:
	case FZ_HOST_READ:
	case FZ_HOST_WRITE:
		sb_printf(sb, " %u 0x%llx ", op->obj, (unsigned long long)op->a);
		fmt_size(sb, op->b);
		break;
	case FZ_ATTR:
		sb_printf(sb, " %s 0x%llx ", op->flag ? "private" : "shared",
			  (unsigned long long)op->a);
		fmt_size(sb, op->b);
		break;
	case FZ_PREFAULT:
		sb_printf(sb, " %u 0x%llx ", op->obj, (unsigned long long)op->a);
		fmt_size(sb, op->b);
		break;
	case FZ_SLOT_DELETE:
	case FZ_SLOT_ADD:
	case FZ_INIT_VCPU:
		sb_printf(sb, " %u", op->obj);
		break;
	case FZ_INIT_MEM:
		sb_printf(sb, " %u 0x%llx %llu%s", op->obj,
			  (unsigned long long)op->a, (unsigned long long)op->b,
			  op->flag ? " measure" : "");
		break;
	case FZ_FINALIZE:
		break;
	case FZ_CLOSE:
		sb_printf(sb, " %s", fz_target_name(op->order[0].target));
		if (op->order[0].target == FZ_T_VCPU ||
		    op->order[0].target == FZ_T_GMEM)
			sb_printf(sb, " %u", op->order[0].index);
		break;
	case FZ_TEARDOWN:
		sb_printf(sb, " ");
		for (i = 0; i < op->nr_order; i++) {
			if (i)
				sb_printf(sb, ",");
			fmt_obj(sb, &op->order[i]);
		}
		break;
	case FZ_G_ACCEPT:
		sb_printf(sb, " 0x%llx ", (unsigned long long)op->a);
		fmt_size(sb, op->b);
		sb_printf(sb, " level=%s", accept_names[op->flag % 3]);
		break;
	case FZ_G_WRITE:
		sb_printf(sb, " %s0x%llx ", op->flag ? "shared " : "",
			  (unsigned long long)op->a);
		fmt_size(sb, op->b);
		sb_printf(sb, " pattern=%u", op->pattern);
		break;
	case FZ_G_READ:
		sb_printf(sb, " %s0x%llx ", op->flag ? "shared " : "",
			  (unsigned long long)op->a);
		fmt_size(sb, op->b);
		break;
	case FZ_G_MAPGPA:
		sb_printf(sb, " %s 0x%llx ", op->flag ? "shared" : "private",
			  (unsigned long long)op->a);
		fmt_size(sb, op->b);
		break;
	case FZ_G_TOUCH:
		sb_printf(sb, " 0x%llx", (unsigned long long)op->a);
		break;
	}
}

static const char *strategy_word(enum tdxsim_sched_strategy s)
{
	switch (s) {
	case TDXSIM_STRATEGY_PCT:
		return "pct";
	case TDXSIM_STRATEGY_REPLAY:
		return "replay";
	default:
		return "random";
	}
}

char *tdxsim_fuzz_format(const struct tdxsim_fuzz_program *p)
{
	struct strbuf sb = STRBUF_INIT;
	unsigned int i, j;

	sb_printf(&sb, "# tdxsim fuzz program (docs/fuzz-programs.md)\n");
	for (i = 0; i < p->nr_comments; i++)
		sb_printf(&sb, "# %s\n", p->comments[i]);
	if (p->kernel[0])
		sb_printf(&sb, "kernel %s\n", p->kernel);
	if (p->design[0])
		sb_printf(&sb, "design %s\n", p->design);
	sb_printf(&sb, "vcpus %u\n", p->nr_vcpus);
	for (i = 0; i < FZ_MAX_GMEMS; i++) {
		if (!p->gmem[i].present)
			continue;
		sb_printf(&sb, "gmem %u ", i);
		fmt_size(&sb, p->gmem[i].size);
		sb_printf(&sb, "\n");
	}
	for (i = 0; i < FZ_MAX_SLOTS; i++) {
		const struct fz_slot *s = &p->slot[i];

		if (!s->present)
			continue;
		sb_printf(&sb, "slot %u gmem=%u gpa=0x%llx size=", i, s->gmem,
			  (unsigned long long)s->gpa);
		fmt_size(&sb, s->size);
		sb_printf(&sb, " offset=0x%llx\n", (unsigned long long)s->offset);
	}
	sb_printf(&sb, "schedule %s", strategy_word(p->strategy));
	if (p->strategy == TDXSIM_STRATEGY_REPLAY)
		sb_printf(&sb, " %s", p->choices && *p->choices ? p->choices : "-");
	else
		sb_printf(&sb, " %llu", (unsigned long long)p->sched_seed);
	if (p->strategy == TDXSIM_STRATEGY_PCT && p->pct_depth)
		sb_printf(&sb, " depth=%u", p->pct_depth);
	if (p->strategy == TDXSIM_STRATEGY_PCT && p->pct_steps)
		sb_printf(&sb, " steps=%llu", (unsigned long long)p->pct_steps);
	sb_printf(&sb, "\n");
	if (p->max_steps)
		sb_printf(&sb, "max-steps %llu\n",
			  (unsigned long long)p->max_steps);
	if (p->nr_setup) {
		sb_printf(&sb, "\nsetup\n");
		for (i = 0; i < p->nr_setup; i++) {
			sb_printf(&sb, "  ");
			fz_op_format(&p->setup[i], &sb);
			sb_printf(&sb, "\n");
		}
	}
	for (i = 0; i < p->nr_tasks; i++) {
		const struct fz_task *t = &p->tasks[i];

		if (t->kind == FZ_TASK_VCPU)
			sb_printf(&sb, "\ntask vcpu %u\n", t->vcpu);
		else
			sb_printf(&sb, "\ntask vmm\n");
		for (j = 0; j < t->nr_ops; j++) {
			sb_printf(&sb, "  ");
			fz_op_format(&t->ops[j], &sb);
			sb_printf(&sb, "\n");
		}
	}
	return sb_detach(&sb);
}

/* --- the parser ------------------------------------------------------------ */

struct parser {
	const char *name;
	unsigned int line;
	char *err;
	size_t errlen;
	char *words[16];
	unsigned int nr;
};

static int perr(struct parser *ps, const char *fmt, ...) __printf(2, 3);
static int perr(struct parser *ps, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(ps->err, ps->errlen, "%s:%u: ", ps->name, ps->line);
	if (n < 0 || (size_t)n >= ps->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(ps->err + n, ps->errlen - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* A number: decimal or 0x hex, with an optional K/M/G suffix. */
static int parse_num(struct parser *ps, const char *s, const char *what, u64 *out)
{
	char *end;
	u64 v, mul = 1;

	if (!*s || *s == '-' || *s == '+')
		return perr(ps, "%s '%s' is not a number", what, s);
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return perr(ps, "%s '%s' is not a number", what, s);
	if (*end == 'K' || *end == 'k')
		mul = 1ULL << 10;
	else if (*end == 'M' || *end == 'm')
		mul = 1ULL << 20;
	else if (*end == 'G' || *end == 'g')
		mul = 1ULL << 30;
	if (mul != 1)
		end++;
	if (*end)
		return perr(ps, "%s '%s' is not a number", what, s);
	if (v && v > UINT64_MAX / mul)
		return perr(ps, "%s '%s' is too large", what, s);
	*out = v * mul;
	return 0;
}

static int parse_small(struct parser *ps, const char *s, const char *what,
		       unsigned int limit, u8 *out)
{
	u64 v;
	int r = parse_num(ps, s, what, &v);

	if (r)
		return r;
	if (v >= limit)
		return perr(ps, "%s %llu out of range (0..%u)", what,
			    (unsigned long long)v, limit - 1);
	*out = (u8)v;
	return 0;
}

static int need_words(struct parser *ps, unsigned int lo, unsigned int hi)
{
	if (ps->nr < lo || ps->nr > hi)
		return perr(ps, "'%s' takes %u%s%u argument%s, got %u",
			    ps->words[0], lo - 1, lo == hi ? "" : " to ",
			    lo == hi ? 0 : hi - 1, hi == 2 ? "" : "s",
			    ps->nr - 1) ;
	return 0;
}

static int aligned(struct parser *ps, u64 v, const char *what)
{
	if (v & (PAGE_SIZE - 1))
		return perr(ps, "%s 0x%llx is not 4K-aligned", what,
			    (unsigned long long)v);
	return 0;
}

/* A range: GPA or offset, then a non-zero 4K-multiple size. */
static int parse_range(struct parser *ps, const char *a, const char *b,
		       struct fz_op *op)
{
	int r = parse_num(ps, a, "address", &op->a);

	if (!r)
		r = parse_num(ps, b, "size", &op->b);
	if (!r)
		r = aligned(ps, op->a, "address");
	if (!r)
		r = aligned(ps, op->b, "size");
	if (!r && (!op->b || op->a + op->b < op->a || op->a + op->b > (1ULL << 52)))
		r = perr(ps, "bad range 0x%llx+0x%llx",
			 (unsigned long long)op->a, (unsigned long long)op->b);
	return r;
}

static int parse_obj(struct parser *ps, const char *s, struct fz_obj *o)
{
	unsigned int t;

	for (t = 0; t <= FZ_T_KVM; t++) {
		size_t n = strlen(target_names[t]);

		if (strncmp(s, target_names[t], n))
			continue;
		o->target = t;
		o->index = 0;
		if (t == FZ_T_VM || t == FZ_T_KVM) {
			if (s[n])
				break;
			return 0;
		}
		return parse_small(ps, s + n, fz_target_name(t),
				   t == FZ_T_VCPU ? FZ_MAX_VCPUS : FZ_MAX_GMEMS,
				   &o->index);
	}
	return perr(ps, "unknown descriptor '%s' (expected vcpuN, gmemN, vm or kvm)", s);
}

static int parse_guest_op(struct parser *ps, struct fz_op *op)
{
	char **w = ps->words;
	unsigned int i = 1;
	int r;

	switch (op->kind) {
	case FZ_G_ACCEPT:
		if (ps->nr < 3 || ps->nr > 4)
			return need_words(ps, 3, 4);
		r = parse_range(ps, w[1], w[2], op);
		op->flag = FZ_ACCEPT_FALLBACK;
		if (!r && ps->nr == 4) {
			if (!strcmp(w[3], "level=4k"))
				op->flag = FZ_ACCEPT_4K;
			else if (!strcmp(w[3], "level=2m"))
				op->flag = FZ_ACCEPT_2M;
			else if (strcmp(w[3], "level=2m-fallback"))
				return perr(ps, "unknown accept level '%s'", w[3]);
		}
		return r;
	case FZ_G_WRITE:
	case FZ_G_READ:
		if (ps->nr > 1 && (!strcmp(w[1], "shared") ||
				   !strcmp(w[1], "private"))) {
			op->flag = !strcmp(w[1], "shared");
			i = 2;
		}
		if (op->kind == FZ_G_READ) {
			if (ps->nr != i + 2)
				return perr(ps, "read takes [shared|private] GPA SIZE");
			return parse_range(ps, w[i], w[i + 1], op);
		}
		if (ps->nr != i + 3 || strncmp(w[i + 2], "pattern=", 8))
			return perr(ps, "write takes [shared|private] GPA SIZE pattern=N");
		r = parse_range(ps, w[i], w[i + 1], op);
		if (!r) {
			u64 v;

			r = parse_num(ps, w[i + 2] + 8, "pattern", &v);
			if (!r && (!v || v > 268435455))
				r = perr(ps, "pattern %llu out of range (1..268435455)",
					 (unsigned long long)v);
			op->pattern = (u32)v;
		}
		return r;
	case FZ_G_MAPGPA:
		r = need_words(ps, 4, 4);
		if (r)
			return r;
		if (strcmp(w[1], "shared") && strcmp(w[1], "private"))
			return perr(ps, "mapgpa takes shared|private GPA SIZE");
		op->flag = !strcmp(w[1], "shared");
		return parse_range(ps, w[2], w[3], op);
	case FZ_G_TOUCH:
		r = need_words(ps, 2, 2);
		if (!r)
			r = parse_num(ps, w[1], "GPA", &op->a);
		if (!r)
			r = aligned(ps, op->a, "GPA");
		op->b = PAGE_SIZE;
		return r;
	}
	return -EINVAL;
}

static int parse_vmm_op(struct parser *ps, struct fz_op *op)
{
	char **w = ps->words;
	char *save, *tok;
	int r;

	switch (op->kind) {
	case FZ_PUNCH:
	case FZ_ALLOC:
	case FZ_HOST_READ:
	case FZ_HOST_WRITE:
		r = need_words(ps, 4, 4);
		if (!r)
			r = parse_small(ps, w[1], "guest_memfd", FZ_MAX_GMEMS,
					&op->obj);
		if (!r)
			r = parse_range(ps, w[2], w[3], op);
		return r;
	case FZ_ATTR:
		r = need_words(ps, 4, 4);
		if (r)
			return r;
		if (strcmp(w[1], "shared") && strcmp(w[1], "private"))
			return perr(ps, "attr takes private|shared GPA SIZE");
		op->flag = !strcmp(w[1], "private");
		return parse_range(ps, w[2], w[3], op);
	case FZ_PREFAULT:
		r = need_words(ps, 4, 4);
		if (!r)
			r = parse_small(ps, w[1], "vCPU", FZ_MAX_VCPUS, &op->obj);
		if (!r)
			r = parse_range(ps, w[2], w[3], op);
		return r;
	case FZ_SLOT_DELETE:
	case FZ_SLOT_ADD:
		r = need_words(ps, 2, 2);
		return r ? r : parse_small(ps, w[1], "slot", FZ_MAX_SLOTS,
					   &op->obj);
	case FZ_INIT_VCPU:
		r = need_words(ps, 2, 2);
		return r ? r : parse_small(ps, w[1], "vCPU", FZ_MAX_VCPUS,
					   &op->obj);
	case FZ_INIT_MEM:
		if (ps->nr < 4 || ps->nr > 5)
			return need_words(ps, 4, 5);
		r = parse_small(ps, w[1], "vCPU", FZ_MAX_VCPUS, &op->obj);
		if (!r)
			r = parse_num(ps, w[2], "GPA", &op->a);
		if (!r)
			r = aligned(ps, op->a, "GPA");
		if (!r)
			r = parse_num(ps, w[3], "pages", &op->b);
		if (!r && (!op->b || op->b > 4096))
			r = perr(ps, "pages %llu out of range (1..4096)",
				 (unsigned long long)op->b);
		if (!r && ps->nr == 5) {
			if (strcmp(w[4], "measure"))
				return perr(ps, "unknown init-mem flag '%s'", w[4]);
			op->flag = 1;
		}
		return r;
	case FZ_FINALIZE:
		return need_words(ps, 1, 1);
	case FZ_CLOSE:
		if (ps->nr < 2 || ps->nr > 3)
			return need_words(ps, 2, 3);
		if (ps->nr == 3) {
			char buf[32];

			snprintf(buf, sizeof(buf), "%s%s", w[1], w[2]);
			r = parse_obj(ps, buf, &op->order[0]);
		} else {
			r = parse_obj(ps, w[1], &op->order[0]);
		}
		op->nr_order = 1;
		return r;
	case FZ_TEARDOWN:
		r = need_words(ps, 2, 2);
		if (r)
			return r;
		op->nr_order = 0;
		for (tok = strtok_r(w[1], ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save)) {
			if (op->nr_order >= FZ_MAX_ORDER)
				return perr(ps, "teardown names more than %d descriptors",
					    FZ_MAX_ORDER);
			r = parse_obj(ps, tok, &op->order[op->nr_order++]);
			if (r)
				return r;
		}
		return 0;
	}
	return -EINVAL;
}

static int parse_op(struct parser *ps, bool guest, struct fz_op *op)
{
	unsigned int k;

	memset(op, 0, sizeof(*op));
	for (k = 0; k < FZ_NR_OPS; k++)
		if (!strcmp(ps->words[0], op_names[k]))
			break;
	if (k == FZ_NR_OPS)
		return perr(ps, "unknown operation '%s'", ps->words[0]);
	if (fz_op_is_guest(k) != guest)
		return perr(ps, guest ?
			    "'%s' is a VMM operation: it belongs in the set-up or a VMM task" :
			    "'%s' is a guest operation: it belongs in a vCPU task",
			    ps->words[0]);
	op->kind = k;
	return guest ? parse_guest_op(ps, op) : parse_vmm_op(ps, op);
}

static int split_words(struct parser *ps, char *line)
{
	char *s = line;

	ps->nr = 0;
	for (;;) {
		while (*s == ' ' || *s == '\t' || *s == '\r')
			s++;
		if (!*s || *s == '#')
			break;
		if (ps->nr == ARRAY_SIZE(ps->words))
			return perr(ps, "too many words");
		ps->words[ps->nr++] = s;
		while (*s && *s != ' ' && *s != '\t' && *s != '\r' && *s != '#')
			s++;
		if (*s == '#') {
			*s = '\0';
			break;
		}
		if (*s)
			*s++ = '\0';
	}
	return 0;
}

static int parse_kv(struct parser *ps, const char *w, const char *key, u64 *out)
{
	size_t n = strlen(key);

	if (strncmp(w, key, n) || w[n] != '=')
		return perr(ps, "expected %s=..., got '%s'", key, w);
	return parse_num(ps, w + n + 1, key, out);
}

static int parse_header(struct parser *ps, struct tdxsim_fuzz_program *p)
{
	char **w = ps->words;
	u64 v = 0;
	u8 idx = 0;
	int r;

	if (!strcmp(w[0], "kernel")) {
		r = need_words(ps, 2, 2);
		if (!r && strlen(w[1]) >= sizeof(p->kernel))
			r = perr(ps, "kernel name too long");
		if (!r)
			snprintf(p->kernel, sizeof(p->kernel), "%s", w[1]);
		return r;
	}
	if (!strcmp(w[0], "design")) {
		r = need_words(ps, 2, 2);
		if (!r && strlen(w[1]) >= sizeof(p->design))
			r = perr(ps, "design text too long");
		if (!r)
			snprintf(p->design, sizeof(p->design), "%s", w[1]);
		return r;
	}
	if (!strcmp(w[0], "vcpus")) {
		r = need_words(ps, 2, 2);
		if (!r)
			r = parse_num(ps, w[1], "vcpus", &v);
		if (!r && (!v || v > FZ_MAX_VCPUS))
			r = perr(ps, "vcpus %llu out of range (1..%d)",
				 (unsigned long long)v, FZ_MAX_VCPUS);
		p->nr_vcpus = (unsigned int)v;
		return r;
	}
	if (!strcmp(w[0], "gmem")) {
		r = need_words(ps, 3, 3);
		if (!r)
			r = parse_small(ps, w[1], "guest_memfd", FZ_MAX_GMEMS, &idx);
		if (!r)
			r = parse_num(ps, w[2], "size", &v);
		if (!r && (!v || v % SZ_2M || v > FZ_MAX_GMEM_SIZE))
			r = perr(ps, "guest_memfd size must be a multiple of 2M up to 64M");
		if (!r) {
			p->gmem[idx].present = true;
			p->gmem[idx].size = v;
		}
		return r;
	}
	if (!strcmp(w[0], "slot")) {
		struct fz_slot s = { .present = true };
		u64 g;

		if (ps->nr < 5 || ps->nr > 6)
			return perr(ps, "slot takes N gmem=G gpa=GPA size=SIZE [offset=OFF]");
		r = parse_small(ps, w[1], "slot", FZ_MAX_SLOTS, &idx);
		if (!r)
			r = parse_kv(ps, w[2], "gmem", &g);
		if (!r && g >= FZ_MAX_GMEMS)
			r = perr(ps, "gmem %llu out of range", (unsigned long long)g);
		if (!r)
			r = parse_kv(ps, w[3], "gpa", &s.gpa);
		if (!r)
			r = parse_kv(ps, w[4], "size", &s.size);
		if (!r && ps->nr == 6)
			r = parse_kv(ps, w[5], "offset", &s.offset);
		if (!r && ((s.gpa | s.size | s.offset) & (PAGE_SIZE - 1)))
			r = perr(ps, "slot addresses must be 4K-aligned");
		if (!r && !s.size)
			r = perr(ps, "slot size must not be zero");
		if (r)
			return r;
		s.gmem = (u8)g;
		p->slot[idx] = s;
		return 0;
	}
	if (!strcmp(w[0], "schedule")) {
		if (ps->nr < 3)
			return perr(ps, "schedule takes random SEED, pct SEED [depth=D] [steps=N] or replay CHOICES");
		free(p->choices);
		p->choices = NULL;
		p->pct_depth = 0;
		p->pct_steps = 0;
		if (!strcmp(w[1], "replay")) {
			r = need_words(ps, 3, 3);
			if (r)
				return r;
			p->strategy = TDXSIM_STRATEGY_REPLAY;
			p->choices = xstrdup(strcmp(w[2], "-") ? w[2] : "");
			return 0;
		}
		if (!strcmp(w[1], "random")) {
			r = need_words(ps, 3, 3);
			p->strategy = TDXSIM_STRATEGY_RANDOM;
		} else if (!strcmp(w[1], "pct")) {
			unsigned int i;

			r = 0;
			p->strategy = TDXSIM_STRATEGY_PCT;
			for (i = 3; i < ps->nr && !r; i++) {
				if (!strncmp(w[i], "depth=", 6)) {
					r = parse_num(ps, w[i] + 6, "depth", &v);
					if (!r && (!v || v > 64))
						r = perr(ps, "depth out of range (1..64)");
					p->pct_depth = (unsigned int)v;
				} else {
					r = parse_kv(ps, w[i], "steps", &p->pct_steps);
				}
			}
		} else {
			return perr(ps, "unknown schedule '%s' (expected random, pct or replay)", w[1]);
		}
		if (!r)
			r = parse_num(ps, w[2], "seed", &p->sched_seed);
		return r;
	}
	if (!strcmp(w[0], "max-steps")) {
		r = need_words(ps, 2, 2);
		if (!r)
			r = parse_num(ps, w[1], "max-steps", &p->max_steps);
		if (!r && p->max_steps < 1000)
			r = perr(ps, "max-steps must be at least 1000");
		return r;
	}
	return perr(ps, "unknown line '%s'", w[0]);
}

/* Cross-checks once the whole text is read. */
static int check_program(struct parser *ps, struct tdxsim_fuzz_program *p)
{
	unsigned int i, j, k;
	bool vcpu_task[FZ_MAX_VCPUS] = { false };

	ps->line = 0;
	if (!p->nr_vcpus)
		p->nr_vcpus = 1;
	if (!p->gmem[0].present)
		return perr(ps, "the program declares no guest_memfd 0");
	for (i = 0; i < FZ_MAX_SLOTS; i++) {
		const struct fz_slot *s = &p->slot[i];

		if (!s->present)
			continue;
		if (!p->gmem[s->gmem].present)
			return perr(ps, "slot %u uses guest_memfd %u, which is not declared",
				    i, s->gmem);
		if (s->offset + s->size > p->gmem[s->gmem].size)
			return perr(ps, "slot %u runs past the end of guest_memfd %u",
				    i, s->gmem);
		for (j = 0; j < i; j++) {
			const struct fz_slot *o = &p->slot[j];

			if (o->present && s->gpa < o->gpa + o->size &&
			    o->gpa < s->gpa + s->size)
				return perr(ps, "slots %u and %u overlap", j, i);
		}
	}
	if (p->nr_tasks < 1)
		return perr(ps, "the program has no task");
	for (i = 0; i < p->nr_tasks; i++) {
		struct fz_task *t = &p->tasks[i];

		if (t->kind == FZ_TASK_VCPU) {
			if (t->vcpu >= p->nr_vcpus)
				return perr(ps, "task %u runs vCPU %u, but the program has %u",
					    i, t->vcpu, p->nr_vcpus);
			if (vcpu_task[t->vcpu])
				return perr(ps, "two tasks run vCPU %u", t->vcpu);
			vcpu_task[t->vcpu] = true;
		}
		for (k = 0; k < t->nr_ops; k++) {
			const struct fz_op *op = &t->ops[k];

			if ((op->kind == FZ_PREFAULT || op->kind == FZ_INIT_VCPU ||
			     op->kind == FZ_INIT_MEM) && op->obj >= p->nr_vcpus)
				return perr(ps, "task %u: %s names vCPU %u of %u",
					    i, fz_op_name(op->kind), op->obj,
					    p->nr_vcpus);
		}
	}
	for (k = 0; k < p->nr_setup; k++) {
		const struct fz_op *op = &p->setup[k];

		if ((op->kind == FZ_PREFAULT || op->kind == FZ_INIT_VCPU ||
		     op->kind == FZ_INIT_MEM) && op->obj >= p->nr_vcpus)
			return perr(ps, "set-up: %s names vCPU %u of %u",
				    fz_op_name(op->kind), op->obj, p->nr_vcpus);
	}
	return 0;
}

int tdxsim_fuzz_parse(const char *text, const char *name,
		      struct tdxsim_fuzz_program **out, char *err,
		      size_t errlen)
{
	struct tdxsim_fuzz_program *p = xzalloc(sizeof(*p));
	struct parser ps = { .name = name ? name : "<program>", .err = err,
			     .errlen = errlen };
	char *copy = xstrdup(text ? text : ""), *line, *next;
	/* -2: header; -1: set-up; >= 0: task. */
	int section = -2;
	int r = 0;

	if (errlen)
		err[0] = '\0';
	p->strategy = TDXSIM_STRATEGY_RANDOM;
	p->sched_seed = 1;
	for (line = copy; line && !r; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		ps.line++;
		r = split_words(&ps, line);
		if (r || !ps.nr)
			continue;
		if (!strcmp(ps.words[0], "setup")) {
			r = need_words(&ps, 1, 1);
			if (!r && section != -2)
				r = perr(&ps, "the set-up comes before the tasks, once");
			section = -1;
			continue;
		}
		if (!strcmp(ps.words[0], "task")) {
			struct fz_task *t;

			if (p->nr_tasks == FZ_MAX_TASKS) {
				r = perr(&ps, "more than %d tasks", FZ_MAX_TASKS);
				continue;
			}
			t = &p->tasks[p->nr_tasks];
			memset(t, 0, sizeof(*t));
			if (ps.nr == 2 && !strcmp(ps.words[1], "vmm")) {
				t->kind = FZ_TASK_VMM;
			} else if (ps.nr == 3 && !strcmp(ps.words[1], "vcpu")) {
				t->kind = FZ_TASK_VCPU;
				r = parse_small(&ps, ps.words[2], "vCPU",
						FZ_MAX_VCPUS, &t->vcpu);
			} else {
				r = perr(&ps, "task takes 'vmm' or 'vcpu N'");
			}
			section = p->nr_tasks++;
			continue;
		}
		if (section == -2) {
			r = parse_header(&ps, p);
		} else if (section == -1) {
			if (p->nr_setup == FZ_MAX_OPS)
				r = perr(&ps, "more than %d set-up operations",
					 FZ_MAX_OPS);
			else
				r = parse_op(&ps, false, &p->setup[p->nr_setup++]);
		} else {
			struct fz_task *t = &p->tasks[section];

			if (t->nr_ops == FZ_MAX_OPS)
				r = perr(&ps, "more than %d operations in a task",
					 FZ_MAX_OPS);
			else
				r = parse_op(&ps, t->kind == FZ_TASK_VCPU,
					     &t->ops[t->nr_ops++]);
		}
	}
	if (!r)
		r = check_program(&ps, p);
	free(copy);
	if (r) {
		tdxsim_fuzz_free(p);
		return r;
	}
	*out = p;
	return 0;
}

void tdxsim_fuzz_free(struct tdxsim_fuzz_program *p)
{
	unsigned int i;

	if (!p)
		return;
	free(p->choices);
	for (i = 0; i < p->nr_comments; i++)
		free(p->comments[i]);
	free(p);
}

struct tdxsim_fuzz_program *tdxsim_fuzz_copy(const struct tdxsim_fuzz_program *p)
{
	struct tdxsim_fuzz_program *c = xmalloc(sizeof(*c));
	unsigned int i;

	*c = *p;
	c->choices = p->choices ? xstrdup(p->choices) : NULL;
	for (i = 0; i < p->nr_comments; i++)
		c->comments[i] = xstrdup(p->comments[i]);
	return c;
}

void tdxsim_fuzz_size(const struct tdxsim_fuzz_program *p,
		      unsigned int *tasks, unsigned int *ops)
{
	unsigned int i, n = p->nr_setup;

	for (i = 0; i < p->nr_tasks; i++)
		n += p->tasks[i].nr_ops;
	if (tasks)
		*tasks = p->nr_tasks;
	if (ops)
		*ops = n;
}

void tdxsim_fuzz_set_schedule(struct tdxsim_fuzz_program *p,
			      enum tdxsim_sched_strategy strategy,
			      uint64_t seed, const char *choices)
{
	free(p->choices);
	p->choices = NULL;
	if (choices) {
		p->strategy = TDXSIM_STRATEGY_REPLAY;
		p->choices = xstrdup(choices);
		return;
	}
	p->strategy = strategy == TDXSIM_STRATEGY_PCT ? TDXSIM_STRATEGY_PCT :
						       TDXSIM_STRATEGY_RANDOM;
	p->sched_seed = seed;
}

void tdxsim_fuzz_add_comment(struct tdxsim_fuzz_program *p, const char *text)
{
	char *c, *nl;

	if (p->nr_comments == FZ_MAX_COMMENTS) {
		free(p->comments[0]);
		memmove(p->comments, p->comments + 1,
			(FZ_MAX_COMMENTS - 1) * sizeof(p->comments[0]));
		p->nr_comments--;
	}
	c = xstrdup(text);
	while ((nl = strchr(c, '\n')))
		*nl = ' ';
	p->comments[p->nr_comments++] = c;
}

/* --- helpers ---------------------------------------------------------------- */

/* The GPA guest_memfd @g's offset @off is mapped at (first slot), or -1. */
static u64 gmem_offset_to_gpa(const struct tdxsim_fuzz_program *p, unsigned int g,
			      u64 off, u64 *len)
{
	unsigned int i;

	for (i = 0; i < FZ_MAX_SLOTS; i++) {
		const struct fz_slot *s = &p->slot[i];

		if (s->present && s->gmem == g && off >= s->offset &&
		    off < s->offset + s->size) {
			*len = min(*len, s->offset + s->size - off);
			return s->gpa + off - s->offset;
		}
	}
	return ~0ULL;
}

void fz_op_gpa_range(const struct tdxsim_fuzz_program *p,
		     const struct fz_op *op, u64 *lo, u64 *hi)
{
	u64 len, gpa;

	*lo = *hi = 0;
	switch (op->kind) {
	case FZ_PUNCH:
	case FZ_ALLOC:
	case FZ_HOST_READ:
	case FZ_HOST_WRITE:
		len = op->b;
		gpa = gmem_offset_to_gpa(p, op->obj, op->a, &len);
		if (gpa != ~0ULL) {
			*lo = gpa;
			*hi = gpa + len;
		}
		break;
	case FZ_SLOT_DELETE:
	case FZ_SLOT_ADD:
		if (op->obj < FZ_MAX_SLOTS && p->slot[op->obj].present) {
			*lo = p->slot[op->obj].gpa;
			*hi = *lo + p->slot[op->obj].size;
		}
		break;
	case FZ_INIT_MEM:
		*lo = op->a;
		*hi = op->a + op->b * PAGE_SIZE;
		break;
	case FZ_FINALIZE:
	case FZ_INIT_VCPU:
	case FZ_CLOSE:
	case FZ_TEARDOWN:
		break;
	default:
		*lo = op->a;
		*hi = op->a + op->b;
		break;
	}
}

int fz_program_design(const struct tdxsim_fuzz_program *p,
		      struct tdxsim_design *d, char *err, size_t errlen)
{
	int r = tdxsim_kernel_design(p->kernel[0] ? p->kernel :
				     TDXSIM_KERNEL_DEFAULT, d, err, errlen);

	if (!r && p->design[0])
		r = tdxsim_parse_design(p->design, d, err, errlen);
	return r;
}

void fz_guest_text(const struct tdxsim_fuzz_program *p, struct strbuf *sb)
{
	unsigned int i, j;

	for (i = 0; i < p->nr_tasks; i++) {
		const struct fz_task *t = &p->tasks[i];

		if (t->kind != FZ_TASK_VCPU)
			continue;
		sb_printf(sb, "vcpu %u\n", t->vcpu);
		for (j = 0; j < t->nr_ops; j++) {
			fz_op_format(&t->ops[j], sb);
			sb_printf(sb, "\n");
		}
	}
}
