/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Diagnostics of tdxsim's software TDX module: read-only views of its state
 * that no host gets from a real module (per-TD and per-vCPU counters and
 * modelled cost, the pages it holds, PAMT entries, owned pages the host
 * freed). Only the invariant checker and tdxsim's controls
 * (src/kvm/tdxsim_*.c) and the tests may include this header
 * (scripts/layers.py); KVM learns what it knows of the module from
 * SEAMCALL results.
 */
#ifndef TDXSIM_SEAM_DIAG_H
#define TDXSIM_SEAM_DIAG_H

#include "seam/seamcall.h"

/* ---------------------------------------------------------------------- */
/* Counters and modelled cost (stats.c, diag.c).                          */
/* ---------------------------------------------------------------------- */

/* Slots of the BUSY-by-operand counters. */
enum tdx_busy_slot {
	TDX_BUSY_RCX,
	TDX_BUSY_RDX,
	TDX_BUSY_R8,
	TDX_BUSY_TDR,		/* 0x80, implicit TDR */
	TDX_BUSY_SEPT,		/* 0x92, S-EPT tree */
	TDX_BUSY_TD_EPOCH,	/* 0xA9 */
	TDX_BUSY_OP_STATE,	/* 0xAC */
	TDX_BUSY_OTHER,
	TDX_NR_BUSY_SLOTS,
};

#define TDX_NR_ERROR_SLOTS	32

struct tdx_status_count {
	u64 status;	/* full status with operand id; 0 = unused slot */
	u64 count;
};

struct tdx_td_stats {
	/* SEAMCALLs per leaf */
	u64 calls[TDX_NR_LEAVES];
	/* TDX_OPERAND_BUSY per leaf and operand */
	u64 busy[TDX_NR_LEAVES][TDX_NR_BUSY_SLOTS];
	/* guest TDCALLs per TDG leaf */
	u64 tdcalls[TDX_NR_LEAVES];
	/* TD exits per VMX exit reason */
	u64 exits[80];
	/* failing (and warning) statuses with their counts */
	struct tdx_status_count errors[TDX_NR_ERROR_SLOTS];
	/* failures that did not fit in @errors */
	u64 errors_dropped;
	/* modelled module time in ns */
	u64 cost_ns;
};

struct tdx_vcpu_stats {
	/* SEAMCALLs on this vCPU per leaf */
	u64 calls[TDX_NR_LEAVES];
	u64 busy[TDX_NR_LEAVES][TDX_NR_BUSY_SLOTS];
	/* guest TDCALLs per TDG leaf */
	u64 tdcalls[TDX_NR_LEAVES];
	/* TD exits per VMX exit reason */
	u64 exits[80];
	/* TDH.VP.ENTERs that found the zero-step filter armed */
	u64 zero_step_armed;
	/* asynchronous TD exits with TDX_HOST_PRIORITY_BUSY_TIMEOUT */
	u64 hp_timeouts;
	/* modelled time in ns (SEAMCALLs + guest TDCALLs) */
	u64 cost_ns;
};

/* Copy the counters of the TD at @tdr_pa. Returns 0 or -ENOENT. */
int tdx_module_get_td_stats(u64 tdr_pa, struct tdx_td_stats *st);
/* Copy the counters of the vCPU at @tdvpr_pa. Returns 0 or -ENOENT. */
int tdx_module_get_vcpu_stats(u64 tdvpr_pa, struct tdx_vcpu_stats *st);
/* Count of @status (exact value) in @st->errors. */
u64 tdx_td_stats_errors(const struct tdx_td_stats *st, u64 status);
/* Modelled module time charged to the calling thread since it started. */
u64 tdx_module_thread_cost_ns(void);
/* The cost in ns charged for one call of SEAMCALL @leaf. */
u64 tdx_module_leaf_cost_ns(unsigned int leaf);

/* ---------------------------------------------------------------------- */
/* Pages held and PAMT queries (diag.c, pamt.c).                          */
/* ---------------------------------------------------------------------- */

/*
 * Pages the module still holds for the TD at @tdr_pa (TDR, TDCS, TDVPR,
 * TDCX, S-EPT and guest pages, 4K units), 0 once everything was reclaimed.
 */
u64 tdx_module_pages_owned(u64 tdr_pa);
/* Pages the module owns for all TDs together (4K units). */
u64 tdx_module_pages_owned_total(void);

struct tdx_pamt_info {
	u8 pt;		/* TDX_PT_* */
	u8 size;	/* 0 4K, 1 2M, 2 1G (for TDX_PT_REG) */
	u64 owner;	/* owner TDR HPA (the page itself for a TDR) */
	u64 gpa;	/* for TDX_PT_REG and TDX_PT_EPT: the GPA it maps */
};

/* Look up the PAMT entry of @pa. Returns 0, or -EINVAL outside the space. */
int tdx_module_pamt_query(u64 pa, struct tdx_pamt_info *info);
/* Bytes of the module's PAMT entry per 4K page (16, as the hardware's). */
size_t tdx_module_pamt_entry_size(void);
/*
 * Check that [@pfn, @pfn + 2^@order) holds no page the module owns (what
 * the page allocator's free check calls). Returns 0, or -EBUSY after
 * reporting each owned page with its type, TD and GPA via pr_err().
 */
int tdx_module_pamt_check_reuse(u64 pfn, unsigned int order);
/* Number of owned-page frees tdx_module_pamt_check_reuse() has caught. */
u64 tdx_module_pamt_violations(void);

/* PAMT memory of the host, static against dynamic (dpamt.c). */
struct tdx_pamt_bytes {
	u64 covered;		/* bytes of memory the PAMT covers */
	/* Static PAMT: 16 B per 4K page (1/256) + the 2M and 1G levels. */
	u64 static_pamt;
	bool dynamic;		/* Dynamic PAMT enabled */
	u64 pairs;		/* page pairs installed (2M regions) */
	u64 bitmap;		/* DPAMT's bitmap: 1 bit per 4K page */
	/* DPAMT: 2M and 1G levels + bitmap + 8 KiB per pair. */
	u64 dynamic_pamt;
	u64 pairs_peak;		/* the most pairs installed at once */
};
void tdx_module_pamt_bytes(struct tdx_pamt_bytes *b);
/* SEAMCALLs of leaf @leaf that named no TD (PAMT.ADD/REMOVE, CACHE.WB). */
u64 tdx_module_host_seamcalls(unsigned int leaf);
/* Of those, the calls that failed (BUSY included). */
u64 tdx_module_host_failures(unsigned int leaf);
/* The last failed one's status, and its leaf into *@leaf. */
u64 tdx_module_host_last_failure(unsigned int *leaf);
/*
 * Page pairs installed for regions where the TD at @tdr_pa holds a 4K-level
 * page (a region shared by two TDs counts for both).
 */
u64 tdx_module_td_pamt_pairs(u64 tdr_pa);

#endif /* TDXSIM_SEAM_DIAG_H */
