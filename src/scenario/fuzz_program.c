// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tdxsim's addition: fuzz programs as text (docs/fuzz-programs.md): the
 * names and the printer (the parser, fuzz_parse.c, round-trips with it
 * exactly), the program's life (free, copy, size, its schedule and
 * comments), and the small helpers the executor and shrinker share (the
 * GPA range an operation touches, the guest program text of the vCPU
 * tasks, the design a program names).
 */
#include <errno.h>
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

	/* A teardown that is the VMM's exit: the word alone. */
	if (op->kind == FZ_TEARDOWN && op->flag == FZ_TEARDOWN_EXIT) {
		sb_printf(sb, "exit");
		return;
	}
	sb_printf(sb, "%s", fz_op_name(op->kind));
	switch (op->kind) {
	case FZ_PUNCH:
	case FZ_ALLOC:
	case FZ_HOST_READ:
	case FZ_HOST_WRITE:
		sb_printf(sb, " %u 0x%llx ", op->obj, (unsigned long long)op->a);
		fmt_size(sb, op->b);
		if (op->kind == FZ_ALLOC && op->flag == FZ_ALLOC_EDGE)
			sb_printf(sb, " edge=%u", op->pattern);
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

/* TD @t's declarations; TD 1's lines start with "td1". */
static void fmt_td(struct strbuf *sb, const struct fz_td *td, unsigned int t)
{
	const char *pfx = t ? "td1 " : "";
	unsigned int i;

	sb_printf(sb, "%svcpus %u\n", pfx, td->nr_vcpus);
	for (i = 0; i < FZ_MAX_GMEMS; i++) {
		if (!td->gmem[i].present)
			continue;
		sb_printf(sb, "%sgmem %u ", pfx, i);
		fmt_size(sb, td->gmem[i].size);
		sb_printf(sb, "\n");
	}
	for (i = 0; i < FZ_MAX_SLOTS; i++) {
		const struct fz_slot *s = &td->slot[i];

		if (!s->present)
			continue;
		sb_printf(sb, "%sslot %u gmem=%u gpa=0x%llx size=", pfx, i,
			  s->gmem, (unsigned long long)s->gpa);
		fmt_size(sb, s->size);
		sb_printf(sb, " offset=0x%llx\n", (unsigned long long)s->offset);
	}
}

/* An operation's line in the set-up or a task: TD 1's start with "td1". */
static void fmt_op_line(struct strbuf *sb, const struct fz_op *op)
{
	sb_printf(sb, "  %s", op->td ? "td1 " : "");
	fz_op_format(op, sb);
	sb_printf(sb, "\n");
}

char *tdxsim_fuzz_format(const struct tdxsim_fuzz_program *p)
{
	struct strbuf sb = STRBUF_INIT;
	unsigned int i, j, t;

	sb_printf(&sb, "# tdxsim fuzz program (docs/fuzz-programs.md)\n");
	for (i = 0; i < p->nr_comments; i++)
		sb_printf(&sb, "# %s\n", p->comments[i]);
	if (p->kernel[0])
		sb_printf(&sb, "kernel %s\n", p->kernel);
	if (p->design[0])
		sb_printf(&sb, "design %s\n", p->design);
	for (t = 0; t < p->nr_tds; t++)
		fmt_td(&sb, &p->td[t], t);
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
		for (i = 0; i < p->nr_setup; i++)
			fmt_op_line(&sb, &p->setup[i]);
	}
	for (i = 0; i < p->nr_tasks; i++) {
		const struct fz_task *tk = &p->tasks[i];

		if (tk->kind == FZ_TASK_VCPU)
			sb_printf(&sb, "\ntask vcpu %u%s\n", tk->vcpu,
				  tk->td ? " td1" : "");
		else
			sb_printf(&sb, "\ntask vmm\n");
		for (j = 0; j < tk->nr_ops; j++)
			fmt_op_line(&sb, &tk->ops[j]);
	}
	return sb_detach(&sb);
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

/*
 * The GPAs guest_memfd @g's bytes [@off, @off + @len) are mapped at: the
 * hull [*lo, *hi) over every slot of @g they overlap (a range may span
 * two slots: a 6M punch from 2M of an 8M file behind a 4M slot and the
 * next). Leaves *lo, *hi alone if no slot maps any of it.
 */
static void gmem_range_to_gpa(const struct fz_td *td, unsigned int g,
			      u64 off, u64 len, u64 *lo, u64 *hi)
{
	unsigned int i;

	for (i = 0; i < FZ_MAX_SLOTS; i++) {
		const struct fz_slot *s = &td->slot[i];
		u64 a, b;

		if (!s->present || s->gmem != g)
			continue;
		a = max(off, s->offset);
		b = min(off + len, s->offset + s->size);
		if (a >= b)
			continue;
		a = s->gpa + a - s->offset;
		b = s->gpa + b - s->offset;
		if (*hi == *lo) {
			*lo = a;
			*hi = b;
		} else {
			*lo = min(*lo, a);
			*hi = max(*hi, b);
		}
	}
}

void fz_exit_order(const struct fz_td *td, struct fz_op *op)
{
	unsigned int i, n = 0;

	for (i = 0; i < td->nr_vcpus; i++)
		op->order[n++] = (struct fz_obj){ FZ_T_VCPU, (u8)i };
	for (i = 0; i < FZ_MAX_GMEMS; i++)
		if (td->gmem[i].present)
			op->order[n++] = (struct fz_obj){ FZ_T_GMEM, (u8)i };
	op->order[n++] = (struct fz_obj){ FZ_T_VM, 0 };
	op->order[n++] = (struct fz_obj){ FZ_T_KVM, 0 };
	op->nr_order = (u8)n;
}

/* Keep TD @td's operations of @ops (renumbered TD 0). */
static void view_ops(struct fz_op *ops, unsigned int *n, unsigned int td)
{
	unsigned int i, k = 0;

	for (i = 0; i < *n; i++) {
		if (ops[i].td != td)
			continue;
		ops[k] = ops[i];
		ops[k++].td = 0;
	}
	*n = k;
}

struct tdxsim_fuzz_program *fz_program_view(const struct tdxsim_fuzz_program *p,
					    unsigned int td)
{
	struct tdxsim_fuzz_program *v = tdxsim_fuzz_copy(p);
	unsigned int i;

	if (p->nr_tds < 2)
		return v;
	v->nr_tds = 1;
	v->td[0] = p->td[td];
	memset(&v->td[1], 0, sizeof(v->td[1]));
	view_ops(v->setup, &v->nr_setup, td);
	for (i = 0; i < v->nr_tasks; i++) {
		struct fz_task *t = &v->tasks[i];

		if (t->kind == FZ_TASK_VCPU && t->td != td) {
			t->kind = FZ_TASK_VMM;
			t->nr_ops = 0;
		}
		if (t->kind == FZ_TASK_VMM)
			view_ops(t->ops, &t->nr_ops, td);
		t->td = 0;
	}
	return v;
}

void fz_op_gpa_range(const struct tdxsim_fuzz_program *p,
		     const struct fz_op *op, u64 *lo, u64 *hi)
{
	const struct fz_td *td = &p->td[op->td < p->nr_tds ? op->td : 0];

	*lo = *hi = 0;
	switch (op->kind) {
	case FZ_PUNCH:
	case FZ_ALLOC:
	case FZ_HOST_READ:
	case FZ_HOST_WRITE:
		gmem_range_to_gpa(td, op->obj, op->a, op->b, lo, hi);
		break;
	case FZ_SLOT_DELETE:
	case FZ_SLOT_ADD:
		if (op->obj < FZ_MAX_SLOTS && td->slot[op->obj].present) {
			*lo = td->slot[op->obj].gpa;
			*hi = *lo + td->slot[op->obj].size;
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

void fz_guest_text(const struct tdxsim_fuzz_program *p, unsigned int td,
		   struct strbuf *sb)
{
	unsigned int i, j;

	for (i = 0; i < p->nr_tasks; i++) {
		const struct fz_task *t = &p->tasks[i];

		if (t->kind != FZ_TASK_VCPU || t->td != td)
			continue;
		sb_printf(sb, "vcpu %u\n", t->vcpu);
		for (j = 0; j < t->nr_ops; j++) {
			fz_op_format(&t->ops[j], sb);
			sb_printf(sb, "\n");
		}
	}
}
