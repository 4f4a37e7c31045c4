// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The SEAMCALL dispatcher: RAX's leaf and version checks (reference
 * tdx-module.md §1.1), the entry and exit schedule points, fault injection
 * (inject.c) and the per-leaf accounting of every answer (stats.c).
 */
#include <stdio.h>

#include "base/sched.h"
#include "base/trace.h"
#include "seam/seam_internal.h"

typedef u64 (*leaf_fn)(struct seam_call *c);

static const struct {
	leaf_fn fn;
	u8 max_version;
} leaf_table[TDX_NR_LEAVES] = {
	[TDH_VP_ENTER] = { seam_vp_enter, 0 },
	[TDH_MNG_ADDCX] = { seam_mng_addcx, 0 },
	[TDH_MEM_PAGE_ADD] = { seam_mem_page_add, 0 },
	[TDH_MEM_SEPT_ADD] = { seam_mem_sept_add, 1 },
	[TDH_VP_ADDCX] = { seam_vp_addcx, 0 },
	[TDH_MEM_PAGE_AUG] = { seam_mem_page_aug, 0 },
	[TDH_MEM_RANGE_BLOCK] = { seam_mem_range_block, 0 },
	[TDH_MNG_KEY_CONFIG] = { seam_mng_key_config, 0 },
	[TDH_MNG_CREATE] = { seam_mng_create, 0 },
	[TDH_VP_CREATE] = { seam_vp_create, 0 },
	[TDH_MNG_RD] = { seam_mng_rd, 1 },
	[TDH_MEM_PAGE_DEMOTE] = { seam_mem_page_demote, 0 },
	[TDH_MR_EXTEND] = { seam_mr_extend, 0 },
	[TDH_MR_FINALIZE] = { seam_mr_finalize, 0 },
	[TDH_VP_FLUSH] = { seam_vp_flush, 0 },
	[TDH_MNG_VPFLUSHDONE] = { seam_mng_vpflushdone, 0 },
	[TDH_MNG_KEY_FREEID] = { seam_mng_key_freeid, 0 },
	[TDH_MNG_INIT] = { seam_mng_init, 0 },
	/* TDH.VP.INIT: the version comes from the configuration. */
	[TDH_VP_INIT] = { seam_vp_init, 0 },
	[TDH_MEM_PAGE_PROMOTE] = { seam_mem_page_promote, 1 },
	[TDH_VP_RD] = { seam_vp_rd_wr, 1 },
	[TDH_PHYMEM_PAGE_RECLAIM] = { seam_phymem_page_reclaim, 0 },
	[TDH_MEM_PAGE_REMOVE] = { seam_mem_page_remove, 0 },
	[TDH_MEM_SEPT_REMOVE] = { seam_mem_sept_remove, 1 },
	[TDH_MEM_TRACK] = { seam_mem_track, 0 },
	[TDH_MEM_RANGE_UNBLOCK] = { seam_mem_range_unblock, 0 },
	[TDH_PHYMEM_CACHE_WB] = { seam_phymem_cache_wb, 0 },
	[TDH_PHYMEM_PAGE_WBINVD] = { seam_phymem_page_wbinvd, 0 },
	[TDH_VP_WR] = { seam_vp_rd_wr, 0 },
	[TDH_PHYMEM_PAMT_ADD] = { seam_phymem_pamt_add, 0 },
	[TDH_PHYMEM_PAMT_REMOVE] = { seam_phymem_pamt_remove, 0 },
};

/*
 * The SEAMCALL as a slice of the calling task's track: the leaf, its
 * status and whether it was accounted to a TD (the TD's SEAMCALL counts of
 * the stats uAPI count exactly those). A failure (BUSY included) is named
 * with its status, "TDH.MEM.PAGE.AUG: TDX_OPERAND_BUSY", so it stands out in
 * Perfetto, which ignores colour hints, and is red where they are honoured
 * (chrome://tracing).
 */
static void trace_seamcall(const struct seam_call *c, u64 ret, u32 start)
{
	bool failed = (ret & TDX_SEAMCALL_STATUS_MASK) != 0;
	const char *leaf = tdx_leaf_name(c->leaf);
	char name[48];

	if (failed)
		snprintf(name, sizeof(name), "%s: %s", leaf,
			 tdx_status_name(ret & TDX_SEAMCALL_STATUS_MASK));
	tdxsim_trace_complete(start, TDXSIM_TRACK_TASK, failed ? name : leaf,
			      failed ? TDXSIM_TRACE_RED : NULL,
			      "\"leaf\": \"%s\", \"status\": \"%s\", \"ret\": \"%#llx\", \"td\": %s, \"busy\": %s",
			      leaf, tdx_status_name(ret),
			      (unsigned long long)ret,
			      c->td ? "true" : "false",
			      tdx_operand_busy(ret) ? "true" : "false");
}

u64 seamcall(u64 leaf_and_version, struct tdx_module_args *args)
{
	struct seam_call c = { .args = args };
	unsigned int max_ver;
	u32 start = 0;
	u64 ret;

	if (leaf_and_version >> 24)
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RAX);
	c.leaf = leaf_and_version & 0xffff;
	c.version = (leaf_and_version >> 16) & 0xff;
	if (c.leaf >= TDX_NR_LEAVES || !leaf_table[c.leaf].fn)
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RAX);
	max_ver = leaf_table[c.leaf].max_version;
	if (c.leaf == TDH_VP_INIT)
		max_ver = seam_cfg.vp_init_version >= 1 ? 1 : 0;
	if (c.version > max_ver)
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RAX);
	if (!tdx_module_ready())
		return TDX_SYS_NOT_READY;

	sched_point_named("seamcall");
	if (tdxsim_trace_on())
		start = tdxsim_trace_tick();
	if (!inject_consume(&c, &ret))
		ret = leaf_table[c.leaf].fn(&c);
	stats_account_call(&c, ret);
	if (tdxsim_trace_on())
		trace_seamcall(&c, ret, start);
	sched_point_named("seamcall_exit");
	return ret;
}
