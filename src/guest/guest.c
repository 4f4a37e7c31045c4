// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The guest model's public interface (include/tdxsim/guest.h): creating a
 * model from a workload or a program, attaching it to vCPUs, results.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ulib/strbuf.h"
#include "guest/guest_internal.h"

static const struct tdx_guest_ops guest_ops = {
	.run = guest_run,
};

const void *tdxsim_guest_ops(void)
{
	return &guest_ops;
}

void tdxsim_guest_config_init(struct tdxsim_guest_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->nr_vcpus = 1;
	cfg->seed = 1;
	cfg->accept = TDXSIM_ACCEPT_2M_FALLBACK;
}

static int __printf(3, 4) cerr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int check_config(const struct tdxsim_guest_config *cfg, char *err,
			size_t errlen)
{
	unsigned int i;

	if (cfg->nr_vcpus < 1 || cfg->nr_vcpus > TDXSIM_GUEST_MAX_VCPUS)
		return cerr(err, errlen, "vCPU count %u out of range (1..%u)",
			    cfg->nr_vcpus, TDXSIM_GUEST_MAX_VCPUS);
	if (cfg->nr_ranges > TDXSIM_GUEST_MAX_RANGES)
		return cerr(err, errlen, "too many RAM ranges (%u, at most %u)",
			    cfg->nr_ranges, TDXSIM_GUEST_MAX_RANGES);
	for (i = 0; i < cfg->nr_ranges; i++) {
		const struct tdxsim_ram_range *r = &cfg->ranges[i];

		if (!IS_ALIGNED(r->base, PAGE_SIZE) ||
		    !IS_ALIGNED(r->size, PAGE_SIZE) || !r->size ||
		    r->base >= GUEST_GPA_LIMIT ||
		    r->size > GUEST_GPA_LIMIT - r->base)
			return cerr(err, errlen,
				    "RAM range %u [0x%llx, +0x%llx) is not a 4K-aligned, non-empty range of the GPA space",
				    i, (unsigned long long)r->base,
				    (unsigned long long)r->size);
		if (r->type != TDXSIM_RAM_SYSTEM &&
		    r->type != TDXSIM_RAM_UNACCEPTED)
			return cerr(err, errlen,
				    "RAM range %u has type %u (expected %u system or %u unaccepted)",
				    i, r->type, TDXSIM_RAM_SYSTEM,
				    TDXSIM_RAM_UNACCEPTED);
	}
	if (cfg->shared_regions > GW_MAX_SHARED)
		return cerr(err, errlen, "too many shared regions (%u, at most %u)",
			    cfg->shared_regions, GW_MAX_SHARED);
	if ((unsigned int)cfg->accept > TDXSIM_ACCEPT_2M)
		return cerr(err, errlen, "unknown accept policy %d",
			    cfg->accept);
	if (cfg->chunk_size &&
	    (cfg->chunk_size < PAGE_SIZE ||
	     (cfg->chunk_size & (cfg->chunk_size - 1))))
		return cerr(err, errlen,
			    "chunk size 0x%llx is not a power of two >= 4K",
			    (unsigned long long)cfg->chunk_size);
	return 0;
}

static struct tdxsim_guest_model *model_alloc(
	const struct tdxsim_guest_config *cfg)
{
	struct tdxsim_guest_model *g = xzalloc(sizeof(*g));
	unsigned int i;

	g->cfg = *cfg;
	g->cfg.workload = NULL;
	g->cfg.program = NULL;
	g->cfg.program_name = NULL;
	if (!g->cfg.chunk_size)
		g->cfg.chunk_size = 4ULL << 20;
	g->nr_vcpus = cfg->nr_vcpus;
	g->vcpus = xzalloc(g->nr_vcpus * sizeof(*g->vcpus));
	for (i = 0; i < g->nr_vcpus; i++) {
		g->vcpus[i] = xzalloc(sizeof(*g->vcpus[i]));
		g->vcpus[i]->g = g;
		g->vcpus[i]->index = i;
	}
	return g;
}

int tdxsim_guest_parse(const char *text, const char *name,
		       const struct tdxsim_guest_config *cfg,
		       struct tdxsim_guest_model **out, char *err,
		       size_t errlen)
{
	struct tdxsim_guest_model *g;
	struct gprog *progs;
	unsigned int i;
	int ret;

	*out = NULL;
	ret = check_config(cfg, err, errlen);
	if (ret)
		return ret;
	progs = xzalloc(cfg->nr_vcpus * sizeof(*progs));
	ret = guest_program_parse(text, name, cfg->nr_vcpus, cfg->seed, progs,
				  err, errlen);
	if (ret) {
		free(progs);
		return ret;
	}
	g = model_alloc(cfg);
	g->workload = GW_PROGRAM;
	for (i = 0; i < g->nr_vcpus; i++) {
		g->vcpus[i]->prog = progs[i];
		g->vcpus[i]->prog_ready = true;
	}
	free(progs);
	*out = g;
	return 0;
}

int tdxsim_guest_create(const struct tdxsim_guest_config *cfg,
			struct tdxsim_guest_model **out, char *err,
			size_t errlen)
{
	struct tdxsim_guest_model *g;
	unsigned int i;
	int w, ret;

	*out = NULL;
	if (cfg->program)
		return tdxsim_guest_parse(cfg->program, cfg->program_name, cfg,
					  out, err, errlen);
	ret = check_config(cfg, err, errlen);
	if (ret)
		return ret;
	w = guest_workload_lookup(cfg->workload);
	if (w < 0) {
		struct strbuf sb = STRBUF_INIT;
		size_t n, k;
		const struct tdxsim_guest_workload *wl =
			tdxsim_guest_workloads(&n);

		for (k = 0; k < n; k++)
			sb_printf(&sb, "%s%s", k ? ", " : "", wl[k].name);
		cerr(err, errlen, "unknown workload '%s' (known: %s)",
		     cfg->workload ? cfg->workload : "(none)", sb_str(&sb));
		sb_free(&sb);
		return -EINVAL;
	}
	g = model_alloc(cfg);
	g->workload = w;
	if (cfg->ram_from_hob) {
		*out = g;	/* programs are made at each vCPU's first run */
		return 0;
	}
	for (i = 0; i < g->nr_vcpus; i++) {
		struct gw_params p = {
			.workload = w,
			.vcpu = i,
			.nr_vcpus = g->nr_vcpus,
			.seed = g->cfg.seed,
			.chunk_size = g->cfg.chunk_size,
			.policy = g->cfg.accept,
			.nr_ops = g->cfg.nr_ops,
			.shared_regions = g->cfg.shared_regions,
			.working_set = g->cfg.working_set,
			.nr_ranges = g->cfg.nr_ranges,
			.ranges = g->cfg.ranges,
		};

		ret = guest_workload_generate(&p, &g->vcpus[i]->prog, err,
					      errlen);
		if (ret) {
			tdxsim_guest_destroy(g);
			return ret;
		}
		g->vcpus[i]->prog_ready = true;
	}
	*out = g;
	return 0;
}

void tdxsim_guest_destroy(struct tdxsim_guest_model *g)
{
	unsigned int i, k;

	if (!g)
		return;
	for (i = 0; i < g->nr_vcpus; i++) {
		struct gvcpu *v = g->vcpus[i];

		gprog_free(&v->prog);
		grec_free(&v->rec);
		for (k = 0; k < v->nr_msgs; k++)
			free(v->msgs[k]);
		free(v->hob);
		free(v);
	}
	free(g->vcpus);
	free(g);
}

void *tdxsim_guest_vcpu(struct tdxsim_guest_model *g, unsigned int vcpu_index)
{
	if (!g || vcpu_index >= g->nr_vcpus)
		return NULL;
	return g->vcpus[vcpu_index];
}

unsigned int tdxsim_guest_nr_vcpus(const struct tdxsim_guest_model *g)
{
	return g->nr_vcpus;
}

bool guest_in_unaccepted_ram(const struct tdxsim_guest_model *g, u64 gpa)
{
	unsigned int i;

	if (!g->cfg.nr_ranges || g->cfg.ram_from_hob)
		return true;
	for (i = 0; i < g->cfg.nr_ranges; i++) {
		const struct tdxsim_ram_range *r = &g->cfg.ranges[i];

		if (gpa >= r->base && gpa - r->base < r->size)
			return r->type == TDXSIM_RAM_UNACCEPTED;
	}
	return true;
}

#define NR_STATS (sizeof(struct tdxsim_guest_stats) / sizeof(uint64_t))

int tdxsim_guest_get_stats(const struct tdxsim_guest_model *g,
			   unsigned int vcpu, struct tdxsim_guest_stats *st)
{
	uint64_t *dst = (uint64_t *)st;
	unsigned int i, k;

	if (vcpu != TDXSIM_GUEST_ALL_VCPUS && vcpu >= g->nr_vcpus)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	for (i = 0; i < g->nr_vcpus; i++) {
		const uint64_t *src =
			(const uint64_t *)&g->vcpus[i]->stats;

		if (vcpu != TDXSIM_GUEST_ALL_VCPUS && vcpu != i)
			continue;
		for (k = 0; k < NR_STATS; k++)
			dst[k] += __atomic_load_n(&src[k], __ATOMIC_RELAXED);
	}
	return 0;
}

int tdxsim_guest_vcpu_status(const struct tdxsim_guest_model *g,
			     unsigned int vcpu,
			     struct tdxsim_guest_vcpu_status *st)
{
	const struct gvcpu *v;
	unsigned int pc;

	if (!g || vcpu >= g->nr_vcpus)
		return -EINVAL;
	v = g->vcpus[vcpu];
	memset(st, 0, sizeof(*st));
	st->started = __atomic_load_n(&v->started, __ATOMIC_ACQUIRE);
	st->halted = __atomic_load_n(&v->halted, __ATOMIC_ACQUIRE);
	st->failed = __atomic_load_n(&v->failed, __ATOMIC_ACQUIRE);
	pc = __atomic_load_n(&v->pc, __ATOMIC_ACQUIRE);
	st->pc = pc;
	/* The program of a HOB-driven workload appears at the first run. */
	if (!__atomic_load_n(&v->prog_ready, __ATOMIC_ACQUIRE))
		return 0;
	st->nr_ops = v->prog.nr;
	if (pc < v->prog.nr &&
	    !(st->halted && !st->failed)) {
		st->line = v->prog.ops[pc].line;
		gop_format(&v->prog.ops[pc], st->op, sizeof(st->op));
	}
	return 0;
}

bool tdxsim_guest_finished(const struct tdxsim_guest_model *g)
{
	unsigned int i;

	for (i = 0; i < g->nr_vcpus; i++) {
		const struct gvcpu *v = g->vcpus[i];

		if (!__atomic_load_n(&v->halted, __ATOMIC_ACQUIRE) ||
		    __atomic_load_n(&v->failed, __ATOMIC_ACQUIRE))
			return false;
	}
	return true;
}

uint64_t tdxsim_guest_data_failures(const struct tdxsim_guest_model *g)
{
	struct tdxsim_guest_stats st;

	tdxsim_guest_get_stats(g, TDXSIM_GUEST_ALL_VCPUS, &st);
	return st.data_failures;
}

void tdxsim_guest_pattern_fill(void *page, uint64_t gpa, uint32_t pattern)
{
	grec_fill(page, gpa >> PAGE_SHIFT, pattern);
}

size_t tdxsim_guest_nr_messages(const struct tdxsim_guest_model *g)
{
	size_t n = 0;
	unsigned int i;

	for (i = 0; i < g->nr_vcpus; i++)
		n += __atomic_load_n(&g->vcpus[i]->nr_msgs, __ATOMIC_ACQUIRE);
	return n;
}

const char *tdxsim_guest_message(const struct tdxsim_guest_model *g, size_t i)
{
	unsigned int k;

	for (k = 0; k < g->nr_vcpus; k++) {
		unsigned int n = __atomic_load_n(&g->vcpus[k]->nr_msgs,
						 __ATOMIC_ACQUIRE);

		if (i < n)
			return g->vcpus[k]->msgs[i];
		i -= n;
	}
	return NULL;
}
