// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tdxsim's addition: the parser of the fuzz program text format
 * (docs/fuzz-programs.md). It reads the header (kernel, design, vCPUs,
 * guest_memfd files, memslots, the schedule), the set-up and the tasks
 * line by line, checks the program is one the executor can run (objects
 * in range, ranges aligned and inside their files), and answers with a
 * message naming the line for anything else. Its inverse, the printer,
 * is in fuzz_program.c; the two round-trip exactly.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/fuzz_internal.h"

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
		size_t n = strlen(fz_target_name(t));

		if (strncmp(s, fz_target_name(t), n))
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
		r = need_words(ps, 4, op->kind == FZ_ALLOC ? 5 : 4);
		if (!r)
			r = parse_small(ps, w[1], "guest_memfd", FZ_MAX_GMEMS,
					&op->obj);
		if (!r)
			r = parse_range(ps, w[2], w[3], op);
		if (!r && ps->nr == 5) {
			u64 n;

			if (strncmp(w[4], "edge=", 5))
				return perr(ps, "unknown alloc flag '%s'", w[4]);
			r = parse_num(ps, w[4] + 5, "edge", &n);
			if (!r && n > 511)
				r = perr(ps, "edge %llu out of range (0..511)",
					 (unsigned long long)n);
			op->flag = FZ_ALLOC_EDGE;
			op->pattern = (u32)n;
		}
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

static int parse_op(struct parser *ps, bool guest, unsigned int td,
		    struct fz_op *op)
{
	unsigned int k;

	memset(op, 0, sizeof(*op));
	op->td = (u8)td;
	if (!guest && !strcmp(ps->words[0], "exit")) {
		op->kind = FZ_TEARDOWN;
		op->flag = FZ_TEARDOWN_EXIT;
		return need_words(ps, 1, 1);
	}
	for (k = 0; k < FZ_NR_OPS; k++)
		if (!strcmp(ps->words[0], fz_op_name(k)))
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

static int parse_header(struct parser *ps, struct tdxsim_fuzz_program *p,
			unsigned int td)
{
	char **w = ps->words;
	struct fz_td *d = &p->td[td];
	u64 v = 0;
	u8 idx = 0;
	int r;

	if (td && strcmp(w[0], "vcpus") && strcmp(w[0], "gmem") &&
	    strcmp(w[0], "slot"))
		return perr(ps, "'td1' declares TD 1's vcpus, gmem or slot, not '%s'",
			    w[0]);
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
		d->nr_vcpus = (unsigned int)v;
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
			d->gmem[idx].present = true;
			d->gmem[idx].size = v;
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
		d->slot[idx] = s;
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

/* An operation's objects exist in its TD; an exit closes all of them. */
static int check_op(struct parser *ps, const struct tdxsim_fuzz_program *p,
		    struct fz_op *op, const char *where)
{
	unsigned int n = p->td[op->td].nr_vcpus;

	if (op->kind == FZ_TEARDOWN && op->flag == FZ_TEARDOWN_EXIT)
		fz_exit_order(&p->td[op->td], op);
	if ((op->kind == FZ_PREFAULT || op->kind == FZ_INIT_VCPU ||
	     op->kind == FZ_INIT_MEM) && op->obj >= n)
		return perr(ps, "%s: %s names vCPU %u of %u%s", where,
			    fz_op_name(op->kind), op->obj, n,
			    op->td ? " (TD 1)" : "");
	return 0;
}

static int check_td(struct parser *ps, struct fz_td *d, unsigned int td)
{
	const char *which = td ? "TD 1's " : "";
	unsigned int i, j;

	if (!d->nr_vcpus)
		d->nr_vcpus = 1;
	if (!d->gmem[0].present)
		return perr(ps, "the program declares no %sguest_memfd 0", which);
	for (i = 0; i < FZ_MAX_SLOTS; i++) {
		const struct fz_slot *s = &d->slot[i];

		if (!s->present)
			continue;
		if (!d->gmem[s->gmem].present)
			return perr(ps, "%sslot %u uses guest_memfd %u, which is not declared",
				    which, i, s->gmem);
		if (s->offset + s->size > d->gmem[s->gmem].size)
			return perr(ps, "%sslot %u runs past the end of guest_memfd %u",
				    which, i, s->gmem);
		for (j = 0; j < i; j++) {
			const struct fz_slot *o = &d->slot[j];

			if (o->present && s->gpa < o->gpa + o->size &&
			    o->gpa < s->gpa + s->size)
				return perr(ps, "%sslots %u and %u overlap",
					    which, j, i);
		}
	}
	return 0;
}

/* Cross-checks once the whole text is read. */
static int check_program(struct parser *ps, struct tdxsim_fuzz_program *p)
{
	unsigned int i, k;
	bool vcpu_task[FZ_MAX_TDS][FZ_MAX_VCPUS] = { { false } };
	char where[32];
	int r;

	ps->line = 0;
	for (i = 0; i < p->nr_tds; i++) {
		r = check_td(ps, &p->td[i], i);
		if (r)
			return r;
	}
	if (p->nr_tasks < 1)
		return perr(ps, "the program has no task");
	for (i = 0; i < p->nr_tasks; i++) {
		struct fz_task *t = &p->tasks[i];

		if (t->kind == FZ_TASK_VCPU) {
			if (t->td >= p->nr_tds)
				return perr(ps, "task %u runs a vCPU of TD 1, which is not declared",
					    i);
			if (t->vcpu >= p->td[t->td].nr_vcpus)
				return perr(ps, "task %u runs vCPU %u, but the TD has %u",
					    i, t->vcpu, p->td[t->td].nr_vcpus);
			if (vcpu_task[t->td][t->vcpu])
				return perr(ps, "two tasks run vCPU %u", t->vcpu);
			vcpu_task[t->td][t->vcpu] = true;
		}
		snprintf(where, sizeof(where), "task %u", i);
		for (k = 0; k < t->nr_ops; k++) {
			r = check_op(ps, p, &t->ops[k], where);
			if (r)
				return r;
		}
	}
	for (k = 0; k < p->nr_setup; k++) {
		r = check_op(ps, p, &p->setup[k], "set-up");
		if (r)
			return r;
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
	unsigned int td;
	int r = 0;

	if (errlen)
		err[0] = '\0';
	p->strategy = TDXSIM_STRATEGY_RANDOM;
	p->sched_seed = 1;
	p->nr_tds = 1;
	for (line = copy; line && !r; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		ps.line++;
		r = split_words(&ps, line);
		if (r || !ps.nr)
			continue;
		/* "td1 LINE": LINE names TD 1's objects. */
		td = 0;
		if (!strcmp(ps.words[0], "td1")) {
			if (ps.nr < 2) {
				r = perr(&ps, "'td1' needs a declaration or an operation after it");
				continue;
			}
			td = 1;
			p->nr_tds = FZ_MAX_TDS;
			memmove(ps.words, ps.words + 1,
				--ps.nr * sizeof(ps.words[0]));
			if (!strcmp(ps.words[0], "setup") ||
			    !strcmp(ps.words[0], "task")) {
				r = perr(&ps, "the set-up and the tasks are the program's: write 'task vcpu N td1' for TD 1's vCPUs");
				continue;
			}
		}
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
			} else if ((ps.nr == 3 || (ps.nr == 4 &&
						    !strcmp(ps.words[3], "td1"))) &&
				   !strcmp(ps.words[1], "vcpu") && !td) {
				t->kind = FZ_TASK_VCPU;
				t->td = ps.nr == 4;
				r = parse_small(&ps, ps.words[2], "vCPU",
						FZ_MAX_VCPUS, &t->vcpu);
			} else {
				r = perr(&ps, "task takes 'vmm', 'vcpu N' or 'vcpu N td1'");
			}
			section = p->nr_tasks++;
			continue;
		}
		if (section == -2) {
			r = parse_header(&ps, p, td);
		} else if (section == -1) {
			if (p->nr_setup == FZ_MAX_OPS)
				r = perr(&ps, "more than %d set-up operations",
					 FZ_MAX_OPS);
			else
				r = parse_op(&ps, false, td,
					     &p->setup[p->nr_setup++]);
		} else {
			struct fz_task *t = &p->tasks[section];

			if (t->nr_ops == FZ_MAX_OPS)
				r = perr(&ps, "more than %d operations in a task",
					 FZ_MAX_OPS);
			else if (td && t->kind == FZ_TASK_VCPU)
				r = perr(&ps, "a vCPU task's guest operations are its TD's: no 'td1' before them");
			else
				r = parse_op(&ps, t->kind == FZ_TASK_VCPU, td,
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
