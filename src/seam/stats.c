// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Counters and the modelled cost of module work.
 *
 * Each SEAMCALL is charged a per-leaf cost in ns (the default table below,
 * overridable through struct tdx_module_config) to its TD, to its vCPU for
 * vCPU-scoped leaves, and to the calling thread. Guest TDCALLs are charged
 * to the vCPU and TD. Defaults come from reference/perf-anchors.md: a SEAM
 * transition of ~650 ns (A7: TD CPUID handled by the module, 646 ns), plus
 * the work each leaf does (§2 there): a 4K copy ~250 ns and zeroing ~180 ns
 * (A14), SHA-384 at ~7.25 cycles/byte at 2.7 GHz (A12: 128 B ~340 ns).
 */
#include <string.h>

#include "base/sched.h"
#include "seam/seam_internal.h"

#define T_SEAM		650
#define SHA_128B_NS	340

static const u64 default_seamcall_cost[TDX_NR_LEAVES] = {
	[TDH_VP_ENTER] = T_SEAM / 2,	/* the exit half: td_transition */
	[TDH_MNG_ADDCX] = T_SEAM + COST_ZERO_4K_NS,
	[TDH_MEM_PAGE_ADD] = T_SEAM + COST_COPY_4K_NS + SHA_128B_NS,
	[TDH_MEM_SEPT_ADD] = T_SEAM + COST_ZERO_4K_NS,
	[TDH_VP_ADDCX] = T_SEAM + COST_ZERO_4K_NS,
	[TDH_MEM_PAGE_AUG] = T_SEAM + 50,
	[TDH_MEM_RANGE_BLOCK] = T_SEAM + 50,
	[TDH_MNG_KEY_CONFIG] = T_SEAM + 2000,
	[TDH_MNG_CREATE] = T_SEAM + COST_ZERO_4K_NS + 500,
	[TDH_VP_CREATE] = T_SEAM + COST_ZERO_4K_NS,
	[TDH_MNG_RD] = T_SEAM,
	[TDH_MEM_PAGE_DEMOTE] = T_SEAM + COST_ZERO_4K_NS + 200,
	[TDH_MR_EXTEND] = T_SEAM + 3 * SHA_128B_NS,
	[TDH_MR_FINALIZE] = T_SEAM + SHA_128B_NS,
	[TDH_VP_FLUSH] = T_SEAM + 300,
	[TDH_MNG_VPFLUSHDONE] = T_SEAM,
	[TDH_MNG_KEY_FREEID] = T_SEAM,
	[TDH_MNG_INIT] = T_SEAM + 2000,
	[TDH_VP_INIT] = T_SEAM + 1000,
	[TDH_MEM_PAGE_PROMOTE] = T_SEAM + 400,
	[TDH_VP_RD] = T_SEAM,
	[TDH_PHYMEM_PAGE_RECLAIM] = T_SEAM + 50,
	[TDH_MEM_PAGE_REMOVE] = T_SEAM + 50,
	[TDH_MEM_SEPT_REMOVE] = T_SEAM + 200,
	[TDH_MEM_TRACK] = T_SEAM,
	[TDH_MEM_RANGE_UNBLOCK] = T_SEAM + 50,
	[TDH_PHYMEM_CACHE_WB] = T_SEAM + 100000,
	[TDH_PHYMEM_PAGE_WBINVD] = T_SEAM + 300,
	[TDH_VP_WR] = T_SEAM,
	[TDH_PHYMEM_PAMT_ADD] = T_SEAM + 100,
	[TDH_PHYMEM_PAMT_REMOVE] = T_SEAM + 100,
};

static const u64 default_tdcall_cost[TDX_NR_LEAVES] = {
	[TDG_VP_VMCALL] = T_SEAM,
	[TDG_VP_INFO] = T_SEAM,
	[TDG_VP_VEINFO_GET] = T_SEAM,
	/* per 4K chunk zeroed; a 2M accept adds 511 more chunks */
	[TDG_MEM_PAGE_ACCEPT] = T_SEAM + COST_ZERO_4K_NS,
};

static u64 seamcall_cost[TDX_NR_LEAVES];
static u64 tdcall_cost[TDX_NR_LEAVES];
static u64 transition_cost;
/* Per task: a deterministic run's tasks share one OS thread. */
static DEFINE_TASK_LOCAL(thread_cost_key, NULL);
#define thread_cost_ns (*(u64 *)task_local(&thread_cost_key))

void stats_init_costs(struct tdx_module_config *cfg)
{
	int i;

	for (i = 0; i < TDX_NR_LEAVES; i++) {
		if (!cfg->seamcall_cost_ns[i])
			cfg->seamcall_cost_ns[i] = default_seamcall_cost[i] ?
						   default_seamcall_cost[i] :
						   T_SEAM;
		if (!cfg->tdcall_cost_ns[i])
			cfg->tdcall_cost_ns[i] =
				default_tdcall_cost[i] ?: T_SEAM;
		seamcall_cost[i] = cfg->seamcall_cost_ns[i];
		tdcall_cost[i] = cfg->tdcall_cost_ns[i];
	}
	if (!cfg->td_transition_cost_ns)
		cfg->td_transition_cost_ns = T_SEAM / 2;
	transition_cost = cfg->td_transition_cost_ns;
}

u64 tdx_module_leaf_cost_ns(unsigned int leaf)
{
	return leaf < TDX_NR_LEAVES ? seamcall_cost[leaf] : 0;
}

u64 stats_tdcall_cost_ns(unsigned int leaf)
{
	return leaf < TDX_NR_LEAVES ? tdcall_cost[leaf] : 0;
}

u64 tdx_module_thread_cost_ns(void)
{
	return thread_cost_ns;
}

static inline void add(u64 *p, u64 n)
{
	run_fetch_add(p, n, __ATOMIC_RELAXED);
}

/* An add by the only writer of @p: no locked instruction; readers load. */
static inline void add_own(u64 *p, u64 n)
{
	__atomic_store_n(p, __atomic_load_n(p, __ATOMIC_RELAXED) + n,
			 __ATOMIC_RELAXED);
}

static inline void add_sh(u64 *p, u64 n, bool shared)
{
	if (shared)
		add(p, n);
	else
		add_own(p, n);
}

/*
 * This thread's shard of a TD's counters: the owned shard it claimed
 * (scanning in order, so an earlier shard is never free again until the TD
 * is reused), else the shared one (*@shared). The token is per OS thread:
 * a deterministic run's fibers share one, and run only between schedule
 * points, never inside an add.
 */
static struct tdx_td_stats *td_stats(struct tdx_td *td, bool *shared)
{
	static u64 next_token;
	static __thread_fast u64 token;
	u64 tok = token;
	int i;

	if (unlikely(!tok))
		tok = token = __atomic_add_fetch(&next_token, 1,
						 __ATOMIC_RELAXED);
	for (i = 0; i < TD_STATS_OWNED; i++) {
		u64 o = __atomic_load_n(&td->stats_owner[i], __ATOMIC_RELAXED);

		if (!o && __atomic_compare_exchange_n(&td->stats_owner[i], &o,
						      tok, false,
						      __ATOMIC_RELAXED,
						      __ATOMIC_RELAXED))
			o = tok;
		if (o == tok) {
			*shared = false;
			return &td->stats[i].st;
		}
	}
	*shared = true;
	return &td->stats[TD_STATS_OWNED].st;
}

static int busy_slot(u64 status)
{
	switch (tdx_status_operand(status)) {
	case TDX_OPERAND_ID_RCX:	return TDX_BUSY_RCX;
	case TDX_OPERAND_ID_RDX:	return TDX_BUSY_RDX;
	case TDX_OPERAND_ID_R8:		return TDX_BUSY_R8;
	case TDX_OPERAND_ID_TDR:	return TDX_BUSY_TDR;
	case TDX_OPERAND_ID_SEPT:	return TDX_BUSY_SEPT;
	case TDX_OPERAND_ID_TD_EPOCH:	return TDX_BUSY_TD_EPOCH;
	case TDX_OPERAND_ID_OP_STATE:	return TDX_BUSY_OP_STATE;
	}
	return TDX_BUSY_OTHER;
}

static void record_error(struct tdx_td_stats *st, u64 status)
{
	int i;

	for (i = 0; i < TDX_NR_ERROR_SLOTS; i++) {
		u64 cur = __atomic_load_n(&st->errors[i].status,
					  __ATOMIC_ACQUIRE);

		if (!cur) {
			u64 zero = 0;

			if (__atomic_compare_exchange_n(&st->errors[i].status,
							&zero, status, false,
							__ATOMIC_ACQ_REL,
							__ATOMIC_ACQUIRE))
				cur = status;
			else
				cur = zero;
		}
		if (cur == status) {
			add(&st->errors[i].count, 1);
			return;
		}
	}
	add(&st->errors_dropped, 1);
}

static u64 host_calls[TDX_NR_LEAVES];
static u64 host_failed[TDX_NR_LEAVES];
static u64 host_last_status;
static unsigned int host_last_leaf;

u64 tdx_module_host_seamcalls(unsigned int leaf)
{
	return leaf < TDX_NR_LEAVES ?
	       __atomic_load_n(&host_calls[leaf], __ATOMIC_RELAXED) : 0;
}

u64 tdx_module_host_failures(unsigned int leaf)
{
	return leaf < TDX_NR_LEAVES ?
	       __atomic_load_n(&host_failed[leaf], __ATOMIC_RELAXED) : 0;
}

u64 tdx_module_host_last_failure(unsigned int *leaf)
{
	*leaf = __atomic_load_n(&host_last_leaf, __ATOMIC_RELAXED);
	return __atomic_load_n(&host_last_status, __ATOMIC_RELAXED);
}

void stats_account_call(struct seam_call *c, u64 status)
{
	unsigned int leaf = c->leaf;
	u64 cost = tdx_module_leaf_cost_ns(leaf) + c->extra_cost_ns;
	bool failed = (status & TDX_SEAMCALL_STATUS_MASK) != 0;
	bool busy = tdx_operand_busy(status);

	thread_cost_ns += cost;
	if (leaf >= TDX_NR_LEAVES)
		return;
	/* Leaves of no TD (PAMT.ADD/REMOVE, CACHE.WB): the host's count. */
	if (!c->td) {
		add(&host_calls[leaf], 1);
		if (failed) {
			add(&host_failed[leaf], 1);
			__atomic_store_n(&host_last_leaf, leaf,
					 __ATOMIC_RELAXED);
			__atomic_store_n(&host_last_status, status,
					 __ATOMIC_RELAXED);
		}
	}
	if (c->td) {
		bool sh;
		struct tdx_td_stats *st = td_stats(c->td, &sh);

		add_sh(&st->calls[leaf], 1, sh);
		add_sh(&st->cost_ns, cost, sh);
		if (busy)
			add_sh(&st->busy[leaf][busy_slot(status)], 1, sh);
		if (failed)
			record_error(st, status);
	}
	if (c->vcpu) {
		struct tdx_vcpu_stats *vs = &c->vcpu->stats;

		add(&vs->calls[leaf], 1);
		add(&vs->cost_ns, cost);
		if (busy)
			add(&vs->busy[leaf][busy_slot(status)], 1);
	}
}

void stats_account_tdcall(struct tdx_vcpu *v, unsigned int leaf, u64 extra_ns)
{
	u64 cost = stats_tdcall_cost_ns(leaf) + extra_ns;
	struct tdx_td_stats *st;
	bool sh;

	if (leaf >= TDX_NR_LEAVES)
		return;
	st = td_stats(v->td, &sh);
	add(&v->stats.tdcalls[leaf], 1);
	add(&v->stats.cost_ns, cost);
	add_sh(&st->tdcalls[leaf], 1, sh);
	add_sh(&st->cost_ns, cost, sh);
	thread_cost_ns += cost;
}

void stats_account_exit(struct tdx_vcpu *v, u64 reason)
{
	bool sh;
	struct tdx_td_stats *st = td_stats(v->td, &sh);

	add(&v->stats.cost_ns, transition_cost);
	add_sh(&st->cost_ns, transition_cost, sh);
	thread_cost_ns += transition_cost;
	if (reason >= ARRAY_SIZE(v->stats.exits))
		return;
	add(&v->stats.exits[reason], 1);
	add_sh(&st->exits[reason], 1, sh);
}

static void copy_u64s(u64 *dst, const u64 *src, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

static void add_u64s(u64 *dst, const u64 *src, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		dst[i] += src[i];
}

/* Add the counters of @sh to @dst; its statuses join @dst's or overflow. */
static void stats_merge_td(struct tdx_td_stats *dst,
			   const struct tdx_td_stats *sh)
{
	int i, j;

	add_u64s(&dst->calls[0], &sh->calls[0], ARRAY_SIZE(dst->calls));
	add_u64s(&dst->busy[0][0], &sh->busy[0][0],
		 sizeof(dst->busy) / sizeof(u64));
	add_u64s(&dst->tdcalls[0], &sh->tdcalls[0], ARRAY_SIZE(dst->tdcalls));
	add_u64s(&dst->exits[0], &sh->exits[0], ARRAY_SIZE(dst->exits));
	dst->errors_dropped += sh->errors_dropped;
	dst->cost_ns += sh->cost_ns;
	for (i = 0; i < TDX_NR_ERROR_SLOTS && sh->errors[i].status; i++) {
		for (j = 0; j < TDX_NR_ERROR_SLOTS; j++) {
			if (!dst->errors[j].status)
				dst->errors[j].status = sh->errors[i].status;
			if (dst->errors[j].status == sh->errors[i].status)
				break;
		}
		if (j < TDX_NR_ERROR_SLOTS)
			dst->errors[j].count += sh->errors[i].count;
		else
			dst->errors_dropped += sh->errors[i].count;
	}
}

/*
 * A TD's counters: the sum of its shards. Shards are claimed in order and
 * the shared one is used only once every owned one is claimed, so the
 * first unclaimed shard ends the sum: it and every later one were never
 * written (a deterministic run's fibers share one shard).
 */
void stats_copy_td(struct tdx_td_stats *dst, const struct tdx_td *td)
{
	struct tdx_td_stats sh;
	int s;

	memset(dst, 0, sizeof(*dst));
	for (s = 0; s < TD_STATS_SHARDS; s++) {
		if (!__atomic_load_n(&td->stats_owner[min(s, TD_STATS_OWNED - 1)],
				     __ATOMIC_ACQUIRE))
			break;
		copy_u64s((u64 *)&sh, (const u64 *)&td->stats[s].st,
			  sizeof(sh) / sizeof(u64));
		stats_merge_td(dst, &sh);
	}
}

void stats_copy_vcpu(struct tdx_vcpu_stats *dst,
		     const struct tdx_vcpu_stats *src)
{
	copy_u64s((u64 *)dst, (const u64 *)src, sizeof(*dst) / sizeof(u64));
}

u64 tdx_td_stats_errors(const struct tdx_td_stats *st, u64 status)
{
	int i;

	for (i = 0; i < TDX_NR_ERROR_SLOTS; i++)
		if (st->errors[i].status == status)
			return st->errors[i].count;
	return 0;
}
