// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tdxsim's addition: the fuzzer's program generator. Program @index of the
 * stream @seed is a function of (@cfg, @seed, @index) only: a small TD (one
 * or two guest_memfd files of a few MiB, one to three memslots, one to
 * three vCPUs), a launch that stops at a random point (the steps left over
 * become a VMM task, so KVM_TDX_INIT_VCPU, KVM_TDX_INIT_MEM_REGION and
 * KVM_TDX_FINALIZE_VM race the rest), and two to four tasks: vCPU tasks
 * with a legal guest program (accept before use, disjoint pages per vCPU)
 * and VMM tasks drawn from the uAPI operations, their ranges biased
 * towards the pages the launch populated and the 2M blocks the guests use,
 * so that tasks meet.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/fuzz_internal.h"

/* What the generator knows of one TD. */
struct gen_td {
	u64 span;			/* GPAs [0, span) are memory */
	unsigned int nregions;		/* 2M blocks of it */
	/* The launch's KVM_TDX_INIT_MEM_REGION, if any. */
	bool have_image;
	u64 image_gpa, image_pages;
	bool vcpu_inited[FZ_MAX_VCPUS];	/* by the set-up or the launcher */
	bool finalized;			/* by the set-up or the launcher */
};

struct gen {
	u64 s;
	const struct tdxsim_fuzz_gen_config *cfg;
	bool dpamt;			/* TDXSIM_FUZZ_BIAS_DPAMT or _EDGE */
	bool edge;			/* TDXSIM_FUZZ_BIAS_DPAMT_EDGE */
	struct tdxsim_fuzz_program *p;
	struct gen_td tds[FZ_MAX_TDS];
	/* The TD operations are drawn for: tds[cur], p->td[cur]. */
	unsigned int cur;
	struct gen_td *t;
	struct fz_td *td;
};

static void gen_use_td(struct gen *g, unsigned int cur)
{
	g->cur = cur;
	g->t = &g->tds[cur];
	g->td = &g->p->td[cur];
}

static u64 rnd(struct gen *g)
{
	g->s = fz_mix64(g->s);
	return g->s;
}

static unsigned int below(struct gen *g, unsigned int n)
{
	return n ? (unsigned int)(rnd(g) % n) : 0;
}

static bool chance(struct gen *g, unsigned int percent)
{
	return below(g, 100) < percent;
}

void tdxsim_fuzz_gen_config_init(struct tdxsim_fuzz_gen_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->strategy = TDXSIM_STRATEGY_RANDOM;
	cfg->max_tasks = 4;
	cfg->max_ops = 5;
	cfg->max_vcpus = 3;
}

/* --- ranges ----------------------------------------------------------------- */

/* A GPA range inside the memory: a page, a few pages, a 2M block, or more. */
static void pick_range(struct gen *g, u64 *gpa, u64 *size)
{
	unsigned int r = below(g, g->t->nregions), k = below(g, 100);
	u64 base = (u64)r * SZ_2M;

	/* The launch's image: where zaps meet the module's TDR-exclusive calls. */
	if (g->t->have_image && chance(g, 30)) {
		u64 n = 1 + below(g, (unsigned int)g->t->image_pages);

		*gpa = g->t->image_gpa + (u64)below(g, (unsigned int)(g->t->image_pages - n + 1)) *
			PAGE_SIZE;
		*size = n * PAGE_SIZE;
		return;
	}
	if (k < 40) {
		/* One page, often near the block's start. */
		*gpa = base + (u64)(chance(g, 50) ? below(g, 8) : below(g, 512)) *
			PAGE_SIZE;
		*size = PAGE_SIZE;
	} else if (k < 65) {
		u64 n = 2 + below(g, 7);

		*gpa = base + (u64)below(g, (unsigned int)(512 - n)) * PAGE_SIZE;
		*size = n * PAGE_SIZE;
	} else if (k < 92) {
		*gpa = base;
		*size = SZ_2M;
	} else {
		*gpa = base;
		*size = min((u64)2 * SZ_2M, g->t->span - base);
	}
}

/* The guest_memfd and offset behind @gpa (by the program's slots). */
static bool gpa_to_gmem(const struct fz_td *td, u64 gpa,
			u8 *gmem, u64 *off, u64 *room)
{
	unsigned int i;

	for (i = 0; i < FZ_MAX_SLOTS; i++) {
		const struct fz_slot *s = &td->slot[i];

		if (s->present && gpa >= s->gpa && gpa < s->gpa + s->size) {
			*gmem = s->gmem;
			*off = gpa - s->gpa + s->offset;
			*room = s->gpa + s->size - gpa;
			return true;
		}
	}
	return false;
}

/* --- VMM operations ------------------------------------------------------------ */

static void gen_file_op(struct gen *g, struct fz_op *op, enum fz_op_kind kind)
{
	u64 gpa, size, off, room;
	u8 gm;

	pick_range(g, &gpa, &size);
	op->kind = kind;
	if (!gpa_to_gmem(g->td, gpa, &gm, &off, &room)) {
		gm = 0;
		off = 0;
		room = size;
	}
	op->obj = gm;
	op->a = off;
	op->b = min(size, room);
}

static u8 pick_vcpu(struct gen *g, bool inited)
{
	unsigned int i, n = g->td->nr_vcpus, start = below(g, n);

	for (i = 0; i < n && inited; i++)
		if (g->t->vcpu_inited[(start + i) % n])
			return (u8)((start + i) % n);
	return (u8)start;
}

static void gen_close_target(struct gen *g, struct fz_obj *o)
{
	unsigned int k = below(g, 10);

	if (k < 4) {
		o->target = FZ_T_VCPU;
		o->index = (u8)below(g, g->td->nr_vcpus);
	} else if (k < 7) {
		o->target = FZ_T_GMEM;
		o->index = g->td->gmem[1].present ? (u8)below(g, 2) : 0;
	} else if (k < 9) {
		o->target = FZ_T_VM;
		o->index = 0;
	} else {
		o->target = FZ_T_KVM;
		o->index = 0;
	}
}

static void gen_teardown(struct gen *g, struct fz_op *op)
{
	struct fz_obj all[FZ_MAX_ORDER];
	unsigned int n = 0, i;

	for (i = 0; i < g->td->nr_vcpus; i++)
		all[n++] = (struct fz_obj){ FZ_T_VCPU, (u8)i };
	for (i = 0; i < FZ_MAX_GMEMS; i++)
		if (g->td->gmem[i].present)
			all[n++] = (struct fz_obj){ FZ_T_GMEM, (u8)i };
	all[n++] = (struct fz_obj){ FZ_T_VM, 0 };
	all[n++] = (struct fz_obj){ FZ_T_KVM, 0 };
	/* Any order: a Fisher-Yates shuffle. */
	for (i = n - 1; i > 0; i--) {
		unsigned int j = below(g, i + 1);
		struct fz_obj t = all[i];

		all[i] = all[j];
		all[j] = t;
	}
	op->kind = FZ_TEARDOWN;
	op->nr_order = (u8)n;
	memcpy(op->order, all, n * sizeof(all[0]));
}

static void gen_vmm_op(struct gen *g, struct fz_op *op, bool last)
{
	unsigned int k = below(g, 100);
	u64 gpa, size;

	memset(op, 0, sizeof(*op));
	if (k < 20) {
		gen_file_op(g, op, FZ_PUNCH);
	} else if (k < 25) {
		gen_file_op(g, op, FZ_ALLOC);
	} else if (k < 42) {
		pick_range(g, &gpa, &size);
		op->kind = FZ_ATTR;
		op->flag = chance(g, 45);
		op->a = gpa;
		op->b = size;
	} else if (k < 60) {
		pick_range(g, &gpa, &size);
		op->kind = FZ_PREFAULT;
		op->obj = pick_vcpu(g, true);
		op->a = gpa;
		op->b = size;
	} else if (k < 66) {
		unsigned int s;

		do {
			s = below(g, FZ_MAX_SLOTS);
		} while (!g->td->slot[s].present);
		op->kind = chance(g, 60) ? FZ_SLOT_DELETE : FZ_SLOT_ADD;
		op->obj = (u8)s;
	} else if (k < 74) {
		gen_file_op(g, op, chance(g, 50) ? FZ_HOST_READ : FZ_HOST_WRITE);
	} else if (k < 80 && !g->t->finalized) {
		pick_range(g, &gpa, &size);
		op->kind = FZ_INIT_MEM;
		op->obj = pick_vcpu(g, true);
		op->a = gpa;
		op->b = min(size / PAGE_SIZE, (u64)8);
		op->flag = chance(g, 70);
	} else if (k < 84) {
		op->kind = FZ_FINALIZE;
	} else if (k < 88) {
		op->kind = FZ_INIT_VCPU;
		op->obj = (u8)below(g, g->td->nr_vcpus);
	} else if (k < 92 && last) {
		op->kind = FZ_CLOSE;
		op->nr_order = 1;
		gen_close_target(g, &op->order[0]);
	} else if (k < 94 && last) {
		gen_teardown(g, op);
	} else {
		pick_range(g, &gpa, &size);
		op->kind = FZ_PREFAULT;
		op->obj = pick_vcpu(g, true);
		op->a = gpa;
		op->b = size;
	}
	op->td = (u8)g->cur;
}

/* --- guest programs ---------------------------------------------------------------- */

/*
 * A legal guest program for vCPU @v: it writes and reads only pages of its
 * own 2M block(s) that it accepted (or converted to shared), so its data
 * checks hold unless the host loses data; accepts anywhere.
 */
static void gen_guest(struct gen *g, struct fz_task *t, unsigned int v,
		      unsigned int nops)
{
	unsigned int own = v % g->t->nregions, i;
	u64 base, acc_lo = 0, acc_hi = 0;
	u64 sh_lo = 0, sh_hi = 0;

	/* The vCPU's own block: disjoint from the other vCPUs' if there is room. */
	if (g->t->nregions >= 2 * g->td->nr_vcpus && chance(g, 50))
		own += g->td->nr_vcpus;
	base = (u64)own * SZ_2M;

	for (i = 0; i < nops && t->nr_ops < FZ_MAX_OPS; i++) {
		struct fz_op *op = &t->ops[t->nr_ops++];
		unsigned int k = below(g, 100);

		memset(op, 0, sizeof(*op));
		if (acc_hi == acc_lo || k < 25) {
			/* Accept a range of the own block (or another's). */
			u64 n = chance(g, 40) ? 512 : 1 + below(g, 16);
			u64 b = chance(g, 85) ? base :
				(u64)below(g, g->t->nregions) * SZ_2M;

			op->kind = FZ_G_ACCEPT;
			op->a = n == 512 ? b : b + (u64)below(g, (unsigned int)(512 - n)) * PAGE_SIZE;
			op->b = n * PAGE_SIZE;
			op->flag = below(g, 3);
			if (b == base && (acc_hi == acc_lo || chance(g, 50))) {
				acc_lo = op->a;
				acc_hi = op->a + op->b;
			}
			continue;
		}
		if (k < 55) {
			u64 n = min((acc_hi - acc_lo) / PAGE_SIZE, (u64)(1 + below(g, 8)));
			u64 room = (acc_hi - acc_lo) / PAGE_SIZE - n;

			op->kind = FZ_G_WRITE;
			op->a = acc_lo + (u64)below(g, (unsigned int)room + 1) * PAGE_SIZE;
			op->b = n * PAGE_SIZE;
			op->pattern = 1 + below(g, 100000);
			/* And read it back. */
			if (t->nr_ops < FZ_MAX_OPS) {
				struct fz_op *rd = &t->ops[t->nr_ops++];

				*rd = (struct fz_op){ .kind = FZ_G_READ,
						      .a = op->a, .b = op->b };
			}
			continue;
		}
		if (k < 70) {
			op->kind = FZ_G_READ;
			op->a = acc_lo;
			op->b = min(acc_hi - acc_lo, (u64)8 * PAGE_SIZE);
			continue;
		}
		if (k < 88 && sh_hi == sh_lo) {
			/* Convert part of it to shared and use it. */
			u64 n = min((acc_hi - acc_lo) / PAGE_SIZE, (u64)(1 + below(g, 4)));

			op->kind = FZ_G_MAPGPA;
			op->flag = 1;
			op->a = acc_hi - n * PAGE_SIZE;
			op->b = n * PAGE_SIZE;
			sh_lo = op->a;
			sh_hi = acc_hi;
			acc_hi = sh_lo;
			if (t->nr_ops + 1 < FZ_MAX_OPS) {
				t->ops[t->nr_ops++] = (struct fz_op){
					.kind = FZ_G_WRITE, .flag = 1,
					.a = sh_lo, .b = sh_hi - sh_lo,
					.pattern = 200000 + below(g, 1000) };
				t->ops[t->nr_ops++] = (struct fz_op){
					.kind = FZ_G_READ, .flag = 1,
					.a = sh_lo, .b = sh_hi - sh_lo };
			}
			if (acc_hi == acc_lo)
				acc_lo = acc_hi = 0;
			continue;
		}
		if (k < 98 && sh_hi != sh_lo) {
			/* And back to private: accepted again before use. */
			op->kind = FZ_G_MAPGPA;
			op->flag = 0;
			op->a = sh_lo;
			op->b = sh_hi - sh_lo;
			if (t->nr_ops < FZ_MAX_OPS)
				t->ops[t->nr_ops++] = (struct fz_op){
					.kind = FZ_G_ACCEPT, .a = sh_lo,
					.b = sh_hi - sh_lo,
					.flag = FZ_ACCEPT_4K };
			sh_lo = sh_hi = 0;
			continue;
		}
		/* Touch a page nobody accepted: KVM kills the VM. */
		op->kind = FZ_G_TOUCH;
		op->a = (u64)below(g, g->t->nregions) * SZ_2M +
			(u64)(256 + below(g, 256)) * PAGE_SIZE;
		op->b = PAGE_SIZE;
	}
	if (!t->nr_ops) {
		t->ops[t->nr_ops++] = (struct fz_op){
			.kind = FZ_G_ACCEPT, .a = base, .b = PAGE_SIZE,
			.flag = FZ_ACCEPT_4K };
	}
}

/* --- the program ------------------------------------------------------------------- */

static struct fz_task *new_task(struct tdxsim_fuzz_program *p,
				enum fz_task_kind kind, unsigned int vcpu)
{
	struct fz_task *t = &p->tasks[p->nr_tasks++];

	memset(t, 0, sizeof(*t));
	t->kind = kind;
	t->vcpu = (u8)vcpu;
	return t;
}

/* Put @op at a random place of task @t. */
static void task_insert(struct gen *g, struct fz_task *t, const struct fz_op *op)
{
	unsigned int at;

	if (t->nr_ops >= FZ_MAX_OPS)
		return;
	at = below(g, t->nr_ops + 1);
	memmove(&t->ops[at + 1], &t->ops[at], (t->nr_ops - at) * sizeof(*op));
	t->ops[at] = *op;
	t->nr_ops++;
}

/*
 * TD 1 (--tds 2): a second small TD on the same host, declared and built
 * after TD 0, so its pages and TD 0's share the host's 2M PAMT regions
 * (what Dynamic PAMT's refcounts and locks must order across TDs). Its
 * launch stops at a random point, often before its first vCPU, and the
 * steps left over race TD 0's tasks from a task of their own; TD 1 may run
 * a guest, take VMM operations in the tasks, and TD 0 may be torn down
 * meanwhile, giving back the pages of the regions TD 1's come into.
 */
/*
 * TDXSIM_FUZZ_BIAS_DPAMT: host pages through TD 1's spare guest_memfd 1
 * (no memslot, never private), at @off: fallocate() takes them from the
 * page allocator as host pages, so the TDX pages allocated next come
 * further on, often in a 2M region no TDX page is in yet (a full 2M),
 * or at any offset of one (so region boundaries fall under the races).
 */
static void gen_pad(struct gen *g, struct fz_op *op, u64 off, u64 pages)
{
	*op = (struct fz_op){ .kind = FZ_ALLOC, .obj = 1, .td = 1, .a = off,
			      .b = pages * PAGE_SIZE };
}

/*
 * TDXSIM_FUZZ_BIAS_DPAMT_EDGE: "td1 alloc 1 0x0 4M edge=N", N pages left
 * in a fresh 2M block: 0 to 3 most often (two vCPU creations at a block's
 * end, docs/FINDINGS.md D1's per-region BUSY: 1 and 2 meet it), else up
 * to 15 (a split's ten pages, D5: 9).
 */
static void gen_pad_edge(struct gen *g, struct fz_op *op)
{
	gen_pad(g, op, 0, 1024);
	op->flag = FZ_ALLOC_EDGE;
	op->pattern = chance(g, 70) ? below(g, 4) : below(g, 16);
}

/*
 * TDXSIM_FUZZ_BIAS_DPAMT: a removal of TD 0's pages (the 1->0 side of a
 * region's count) in a VMM task of TD 0: a punch of a 2M block or more,
 * or the VMM's exit.
 */
static void gen_td0_removal(struct gen *g, struct fz_task *t)
{
	struct fz_op op;

	memset(&op, 0, sizeof(op));
	if (chance(g, 50)) {
		gen_file_op(g, &op, FZ_PUNCH);
		op.a &= ~(u64)(SZ_2M - 1);
		op.b = g->td->gmem[op.obj].size - op.a;
		if (chance(g, 50) && op.b > SZ_2M)
			op.b = SZ_2M;
	} else {
		op.kind = FZ_TEARDOWN;
		op.flag = FZ_TEARDOWN_EXIT;
		fz_exit_order(g->td, &op);
		/* Last: nothing of TD 0's is left to do after it. */
		if (t->nr_ops < FZ_MAX_OPS)
			t->ops[t->nr_ops++] = op;
		return;
	}
	task_insert(g, t, &op);
}

static void gen_second_td(struct gen *g, unsigned int max_tasks,
			  unsigned int max_ops)
{
	struct tdxsim_fuzz_program *p = g->p;
	struct fz_op launch[FZ_MAX_VCPUS + 3], op;
	struct fz_task *own = NULL, *vmm[FZ_MAX_TASKS];
	unsigned int nlaunch = 0, cut, i, n, nvmm = 0;
	u64 mem;

	for (i = 0; i < p->nr_tasks; i++)
		if (p->tasks[i].kind == FZ_TASK_VMM)
			vmm[nvmm++] = &p->tasks[i];
	p->nr_tds = 2;
	gen_use_td(g, 1);
	g->td->nr_vcpus = 1 + below(g, 2);
	mem = chance(g, 60) ? SZ_2M : 4ULL << 20;
	g->td->gmem[0] = (struct fz_gmem){ .present = true, .size = mem };
	g->td->slot[0] = (struct fz_slot){ true, 0, 0, mem, 0 };
	g->t->span = mem;
	g->t->nregions = (unsigned int)(mem / SZ_2M);
	/* The spare guest_memfd the bias pads the allocator through. */
	if (g->dpamt)
		g->td->gmem[1] = (struct fz_gmem){ .present = true,
						   .size = 4ULL << 20 };

	for (i = 0; i < g->td->nr_vcpus; i++)
		launch[nlaunch++] = (struct fz_op){ .kind = FZ_INIT_VCPU,
						    .obj = (u8)i, .td = 1 };
	launch[nlaunch++] = (struct fz_op){ .kind = FZ_ATTR, .flag = 1,
					    .b = mem, .td = 1 };
	if (chance(g, 50)) {
		g->t->have_image = true;
		g->t->image_pages = 1 + below(g, 4);
		g->t->image_gpa = (u64)below(g, g->t->nregions) * SZ_2M;
		launch[nlaunch++] = (struct fz_op){
			.kind = FZ_INIT_MEM, .a = g->t->image_gpa,
			.b = g->t->image_pages, .flag = 1, .td = 1 };
	}
	launch[nlaunch++] = (struct fz_op){ .kind = FZ_FINALIZE, .td = 1 };
	cut = chance(g, 30) ? nlaunch : below(g, nlaunch);
	/* The bias: TD 1's vCPU creation (control pages) in a racing task. */
	if (g->dpamt && chance(g, g->edge ? 90 : 75))
		cut = below(g, g->td->nr_vcpus);
	if (cut < nlaunch) {
		if (p->nr_tasks < max_tasks)
			own = new_task(p, FZ_TASK_VMM, 0);
		else if (nvmm)
			own = vmm[below(g, nvmm)];
	}
	for (i = 0; i < nlaunch; i++) {
		if (i < cut)
			p->setup[p->nr_setup++] = launch[i];
		else if (own && own->nr_ops < FZ_MAX_OPS)
			own->ops[own->nr_ops++] = launch[i];
		else
			continue;
		if (launch[i].kind == FZ_INIT_VCPU)
			g->t->vcpu_inited[launch[i].obj] = true;
		if (launch[i].kind == FZ_FINALIZE)
			g->t->finalized = true;
	}
	if (g->edge && p->nr_setup < FZ_MAX_OPS) {
		/*
		 * TDXSIM_FUZZ_BIAS_DPAMT_EDGE: the set-up's last step stops
		 * the allocator a few pages before a fresh 2M block's end, and
		 * TD 1's steps start at once (no delay): the vCPU creations
		 * (TDVPR, TDCX, their PAMT pairs) or a split's pages cross the
		 * boundary, a PAMT.ADD's pair pages opening the next region
		 * while another PAMT.ADD (or DEMOTE) wants it.
		 */
		gen_pad_edge(g, &p->setup[p->nr_setup++]);
	} else if (g->dpamt) {
		/* Host pages between the launches and before TD 1's steps. */
		if (chance(g, 85) && p->nr_setup < FZ_MAX_OPS)
			gen_pad(g, &p->setup[p->nr_setup++], 0,
				chance(g, 50) ? 512 : 1 + below(g, 512));
		/*
		 * A delay too (about 16 schedule points a page): 1 to 512
		 * pages, log-uniform, so TD 1's steps meet TD 0's at their
		 * start (vCPU creation) or deep in them (a punch, an exit).
		 */
		if (own && chance(g, 40) && own->nr_ops < FZ_MAX_OPS) {
			memmove(&own->ops[1], &own->ops[0],
				own->nr_ops * sizeof(op));
			gen_pad(g, &own->ops[0], SZ_2M, 1ULL << below(g, 10));
			own->nr_ops++;
		}
	}
	/* TD 1's guest, once it can run. */
	if (g->t->finalized && p->nr_tasks < max_tasks && chance(g, 50)) {
		u8 v = pick_vcpu(g, true);
		struct fz_task *t = new_task(p, FZ_TASK_VCPU, v);

		t->td = 1;
		gen_guest(g, t, v, 1 + below(g, max_ops));
	}
	/* A few VMM operations on TD 1, in its task or TD 0's. */
	n = below(g, 3);
	for (i = 0; i < n; i++) {
		struct fz_task *t = own && (!nvmm || chance(g, 50)) ? own :
				    nvmm ? vmm[below(g, nvmm)] : NULL;

		if (!t)
			break;
		gen_vmm_op(g, &op, false);
		/* The bias keeps TD 1's launch steps first in its task. */
		if (g->dpamt && t->nr_ops < FZ_MAX_OPS)
			t->ops[t->nr_ops++] = op;
		else
			task_insert(g, t, &op);
	}
	/*
	 * TD 0's VMM exits (the VM destroyed in that task, its pages given
	 * back while TD 1's come), or closes its descriptors, while TD 1
	 * goes on.
	 */
	gen_use_td(g, 0);
	if (g->dpamt && nvmm && chance(g, 80)) {
		gen_td0_removal(g, vmm[below(g, nvmm)]);
	} else if (nvmm && chance(g, 60)) {
		struct fz_task *t = vmm[below(g, nvmm)];
		unsigned int k = below(g, 4);

		memset(&op, 0, sizeof(op));
		if (k < 2) {
			op.kind = FZ_TEARDOWN;
			op.flag = FZ_TEARDOWN_EXIT;
			fz_exit_order(g->td, &op);
		} else if (k == 2) {
			gen_teardown(g, &op);
		} else {
			op.kind = FZ_CLOSE;
			op.nr_order = 1;
			op.order[0] = (struct fz_obj){ FZ_T_VM, 0 };
		}
		if (t->nr_ops < FZ_MAX_OPS)
			t->ops[t->nr_ops++] = op;
	}
}

int tdxsim_fuzz_generate(const struct tdxsim_fuzz_gen_config *cfg,
			 uint64_t seed, uint64_t index,
			 struct tdxsim_fuzz_program **out)
{
	struct tdxsim_fuzz_program *p;
	struct gen g = { .cfg = cfg };
	struct fz_td *td;
	struct fz_op launch[FZ_MAX_VCPUS + 3];
	unsigned int nlaunch = 0, cut, i, ntasks, max_tasks, max_ops, tds;
	struct fz_task *launcher = NULL;
	u64 mem0, mem1 = 0;

	if (cfg->max_tasks && (cfg->max_tasks < 2 || cfg->max_tasks > FZ_MAX_TASKS))
		return -EINVAL;
	if (cfg->max_vcpus > FZ_MAX_VCPUS || cfg->max_ops > 12)
		return -EINVAL;
	if (cfg->strategy != TDXSIM_STRATEGY_RANDOM &&
	    cfg->strategy != TDXSIM_STRATEGY_PCT)
		return -EINVAL;
	if (cfg->tds > FZ_MAX_TDS || cfg->bias > TDXSIM_FUZZ_BIAS_DPAMT_EDGE)
		return -EINVAL;
	g.edge = cfg->bias == TDXSIM_FUZZ_BIAS_DPAMT_EDGE;
	g.dpamt = cfg->bias == TDXSIM_FUZZ_BIAS_DPAMT || g.edge;
	tds = g.dpamt ? 2 : cfg->tds;
	max_tasks = cfg->max_tasks ? cfg->max_tasks : 4;
	/* Two TDs: room for a task of TD 1's own. */
	if (tds == 2 && max_tasks > 2)
		max_tasks--;
	max_ops = cfg->max_ops ? cfg->max_ops : 5;
	p = xzalloc(sizeof(*p));
	g.p = p;
	p->nr_tds = 1;
	gen_use_td(&g, 0);
	td = g.td;
	g.s = fz_mix64(seed ^ fz_mix64(index + 0x51ed));
	snprintf(p->kernel, sizeof(p->kernel), "%s",
		 cfg->kernel ? cfg->kernel : TDXSIM_KERNEL_DEFAULT);
	if (cfg->design)
		snprintf(p->design, sizeof(p->design), "%s", cfg->design);

	/* The TD. */
	td->nr_vcpus = 1 + below(&g, cfg->max_vcpus ? cfg->max_vcpus : 3);
	if (td->nr_vcpus == 1 && chance(&g, 50))
		td->nr_vcpus = min(2U, cfg->max_vcpus ? cfg->max_vcpus : 3U);
	mem0 = chance(&g, 75) ? 4ULL << 20 : 8ULL << 20;
	td->gmem[0] = (struct fz_gmem){ .present = true, .size = mem0 };
	if (chance(&g, 35)) {
		mem1 = chance(&g, 70) ? SZ_2M : 4ULL << 20;
		td->gmem[1] = (struct fz_gmem){ .present = true, .size = mem1 };
	}
	if (chance(&g, 25)) {
		td->slot[0] = (struct fz_slot){ true, 0, 0, mem0 / 2, 0 };
		td->slot[1] = (struct fz_slot){ true, 0, mem0 / 2, mem0 / 2,
					       mem0 / 2 };
	} else {
		td->slot[0] = (struct fz_slot){ true, 0, 0, mem0, 0 };
	}
	if (mem1)
		td->slot[2] = (struct fz_slot){ true, 1, mem0, mem1, 0 };
	g.t->span = mem0 + mem1;
	g.t->nregions = (unsigned int)(g.t->span / SZ_2M);

	/* The launch, QEMU's order, then where it stops. */
	for (i = 0; i < td->nr_vcpus; i++)
		launch[nlaunch++] = (struct fz_op){ .kind = FZ_INIT_VCPU,
						    .obj = (u8)i };
	launch[nlaunch++] = (struct fz_op){
		.kind = FZ_ATTR, .flag = 1, .a = 0,
		.b = mem1 && chance(&g, 30) ? mem0 : g.t->span };
	if (chance(&g, 75)) {
		g.t->have_image = true;
		g.t->image_pages = 1 + below(&g, 8);
		g.t->image_gpa = (u64)below(&g, g.t->nregions) * SZ_2M +
			      (u64)(chance(&g, 60) ? 0 : below(&g, 64)) * PAGE_SIZE;
		launch[nlaunch++] = (struct fz_op){
			.kind = FZ_INIT_MEM, .obj = 0, .a = g.t->image_gpa,
			.b = g.t->image_pages, .flag = chance(&g, 80) };
	}
	launch[nlaunch++] = (struct fz_op){ .kind = FZ_FINALIZE };
	/* The bias: TD 0's vCPU creation races TD 1's in a task. */
	if (g.dpamt && chance(&g, g.edge ? 80 : 50))
		cut = below(&g, td->nr_vcpus);
	else
		cut = chance(&g, 45) ? nlaunch : below(&g, nlaunch);
	for (i = 0; i < cut; i++)
		p->setup[p->nr_setup++] = launch[i];
	for (i = cut; i < nlaunch; i++) {
		struct fz_task *t;

		if (!chance(&g, 85))
			continue;
		/* Later vCPUs' init sometimes races in a task of its own. */
		if (launch[i].kind == FZ_INIT_VCPU && launcher && chance(&g, 30) &&
		    p->nr_tasks < max_tasks - 1)
			t = new_task(p, FZ_TASK_VMM, 0);
		else
			t = launcher ? launcher : (launcher = new_task(p, FZ_TASK_VMM, 0));
		t->ops[t->nr_ops++] = launch[i];
	}
	for (i = 0; i < nlaunch; i++) {
		bool done = i < cut;
		unsigned int k, j;

		for (k = 0; k < p->nr_tasks && !done; k++)
			for (j = 0; j < p->tasks[k].nr_ops; j++)
				if (!memcmp(&p->tasks[k].ops[j], &launch[i],
					    sizeof(launch[i])))
					done = true;
		if (!done)
			continue;
		if (launch[i].kind == FZ_INIT_VCPU)
			g.t->vcpu_inited[launch[i].obj] = true;
		if (launch[i].kind == FZ_FINALIZE)
			g.t->finalized = true;
	}

	/* The tasks. */
	ntasks = 2 + below(&g, max_tasks - 1);
	if (ntasks < p->nr_tasks)
		ntasks = p->nr_tasks;
	for (i = 0; i < td->nr_vcpus && p->nr_tasks < ntasks; i++) {
		if (!g.t->finalized || !g.t->vcpu_inited[i] || !chance(&g, 55))
			continue;
		gen_guest(&g, new_task(p, FZ_TASK_VCPU, i), i,
			  1 + below(&g, max_ops));
	}
	while (p->nr_tasks < ntasks) {
		struct fz_task *t = new_task(p, FZ_TASK_VMM, 0);
		unsigned int n = 1 + below(&g, max_ops);

		for (i = 0; i < n; i++)
			gen_vmm_op(&g, &t->ops[t->nr_ops++], i == n - 1);
	}
	/* The launcher may do a little more after its launch steps. */
	if (launcher && chance(&g, 40) && launcher->nr_ops < FZ_MAX_OPS)
		gen_vmm_op(&g, &launcher->ops[launcher->nr_ops++], true);
	/* The bias: TD 0 runnable in the set-up gets pages to give back. */
	if (g.dpamt && cut == nlaunch && chance(&g, 60)) {
		struct fz_op *op = &p->setup[p->nr_setup++];

		*op = (struct fz_op){ .kind = FZ_PREFAULT, .obj = pick_vcpu(&g, true),
				      .b = chance(&g, 50) ? SZ_2M : 4ULL << 20 };
	}
	if (tds == 2)
		gen_second_td(&g, max_tasks + 1, max_ops);

	p->strategy = cfg->strategy;
	p->sched_seed = fz_mix64(g.s ^ 0x5c4ed);
	*out = p;
	return 0;
}
