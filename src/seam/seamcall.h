/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host's interface to tdxsim's software TDX module: the SEAMCALL ABI.
 *
 * Everything here is either
 *  - a SEAMCALL: seamcall() with the leaf number and version in RAX and the
 *    other registers in struct tdx_module_args, or one of the typed tdh_*()
 *    wrappers named after the kernel's (arch/x86/virt/vmx/tdx/tdx.c), which
 *    pack the registers exactly as the kernel does; or
 *  - "hardware": the few tdx_module_*() functions that are not SEAMCALLs but
 *    stand for how the machine and the simulator talk to the module (bringing
 *    it up, an interrupt arriving at a CPU that runs a vCPU, which code a vCPU
 *    runs, counters, and the PAMT checks the simulator uses for teardown).
 *
 * Return values are the module's 64-bit status codes (TDX_SUCCESS = 0).
 * Compare a failure with (err & TDX_SEAMCALL_STATUS_MASK) == TDX_xxx, as KVM
 * does; the low 32 bits carry the operand id or details.
 *
 * Addresses (tdr_pa, page_pa, ...) are host physical addresses in base's PFN
 * space (page_to_phys()). S-EPT levels are TDX levels: 0 = 4K, 1 = 2M,
 * 2 = 1G (KVM's pg_level - 1); the wrappers put them in RCX as GPA | level.
 */
#ifndef TDXSIM_SEAM_SEAMCALL_H
#define TDXSIM_SEAM_SEAMCALL_H

#include "seam/tdx_args.h"
#include "tdxsim/tdx.h"
#include "ulib/compiler.h"

/*
 * A printable name of @status, e.g. "TDX_SUCCESS", "TDX_OPERAND_BUSY|RCX",
 * "TDX_EPT_WALK_FAILED|RCX" or "0xc0000b7700000000" for an unknown code.
 * The string lives in thread-local storage until the next call.
 */
const char *tdx_status_name(u64 status);

/* ---------------------------------------------------------------------- */
/* Leaf numbers (RAX bits 15:0) and the raw SEAMCALL.                      */
/* ---------------------------------------------------------------------- */

/* RAX of a SEAMCALL: leaf in bits 15:0, version in bits 23:16. */
#define TDX_LEAF_VERSION(leaf, ver)	((u64)(leaf) | ((u64)(ver) << 16))

/*
 * SEAMCALL: run leaf (RAX bits 15:0) at version (bits 23:16) with @args as
 * the other registers; outputs are written back to @args. Returns RAX.
 * Bits 63:24 set, an unknown leaf, or a version the leaf does not take give
 * TDX_OPERAND_INVALID|RAX.
 */
u64 seamcall(u64 leaf_and_version, struct tdx_module_args *args);

/* Name of a leaf ("TDH.MEM.PAGE.AUG"), "TDH.?" if unknown. */
const char *tdx_leaf_name(unsigned int leaf);

/* ---------------------------------------------------------------------- */
/* TD_PARAMS (TDH.MNG.INIT input; reference §11), 1024 bytes, 1024-aligned. */
/* ---------------------------------------------------------------------- */

#define TDX_TD_ATTR_DEBUG		BIT_ULL(0)
#define TDX_TD_ATTR_SEPT_VE_DISABLE	BIT_ULL(28)
#define TDX_TD_ATTR_MIGRATABLE		BIT_ULL(29)
#define TDX_TD_ATTR_PKS			BIT_ULL(30)
#define TDX_TD_ATTR_KL			BIT_ULL(31)
#define TDX_TD_ATTR_PERFMON		BIT_ULL(63)

/* GPAW 52: shared bit 51 (else GPAW 48, shared bit 47). */
#define TDX_CONFIG_FLAGS_MAX_GPAW	BIT_ULL(0)
#define TDX_CONFIG_FLAGS_FLEXIBLE_PENDING_VE BIT_ULL(1)
#define TDX_CONFIG_FLAGS_NO_RBP_MOD	BIT_ULL(2)

#define TDX_EPTP_MT_WB			6ULL		/* bits 2:0 */
/* EPTP_CONTROLS bits 5:3: page-walk levels - 1. */
#define TDX_EPTP_PWL_SHIFT		3
#define TDX_EPTP_PWL_4			(3ULL << TDX_EPTP_PWL_SHIFT)
#define TDX_EPTP_PWL_5			(4ULL << TDX_EPTP_PWL_SHIFT)

#define TDX_MAX_CPUID_CONFIG		48

struct tdx_cpuid_value {
	u32 eax;
	u32 ebx;
	u32 ecx;
	u32 edx;
};

struct td_params {
	u64 attributes;
	u64 xfam;
	u16 max_vcpus;
	u8 num_l2_vms;
	u8 msr_config_ctls;
	u32 reserved0;
	u64 eptp_controls;
	u64 config_flags;
	u16 tsc_frequency;		/* units of 25 MHz */
	u8 reserved1[38];
	u64 mrconfigid[6];
	u64 mrowner[6];
	u64 mrownerconfig[6];
	u64 ia32_arch_capabilities_config;
	u8 reserved2[24];
	struct tdx_cpuid_value cpuid_values[TDX_MAX_CPUID_CONFIG];
};

_Static_assert(sizeof(struct td_params) == 1024, "TD_PARAMS is 1024 bytes");

/* ---------------------------------------------------------------------- */
/* Metadata field ids for TDH.MNG.RD and TDH.VP.RD/WR.                     */
/* ---------------------------------------------------------------------- */

/*
 * TDVPS VMCS field: the shared EPT pointer (VMCS encoding 0x203C), written
 * by KVM with TDH.VP.WR. Value: HPA of the root of KVM's direct (shared)
 * EPT, a 4K page of 512 EPT entries; bits 11:0 are ignored by tdxsim.
 */
#define TDVPS_SHARED_EPT_POINTER	0x000000000000203CULL
/* TDVPS field: the vCPU index TDH.VP.INIT assigned (read only). */
#define TDVPS_VCPU_INDEX		0x2000000000000001ULL

/*
 * TDCS fields readable with TDH.MNG.RD. The measurement fields use tdxsim's
 * own ids (the reference does not give the module's encoding): MRTD is 48
 * bytes, read as six little-endian u64 words, TDCS_MR_TD(0)..TDCS_MR_TD(5),
 * readable only after TDH.MR.FINALIZE (else TDX_METADATA_FIELD_NOT_READABLE).
 */
#define TDCS_MR_TD(i)			(0x9100000300000010ULL + (i))
#define TDCS_ATTRIBUTES			0x1100000300000000ULL
#define TDCS_XFAM			0x1100000300000001ULL
#define TDCS_MAX_VCPUS			0x1100000100000002ULL
#define TDCS_NUM_VCPUS			0x1100000100000003ULL
#define TDCS_TD_EPOCH			0x1100000300000004ULL
#define TDCS_OP_STATE			0x1100000300000005ULL
#define TDCS_GPAW			0x1100000300000006ULL
#define TDCS_EPTP_PWL			0x1100000300000007ULL

/* ---------------------------------------------------------------------- */
/* Typed SEAMCALL wrappers (the kernel's names and register packing).      */
/* ---------------------------------------------------------------------- */

/*
 * TDH.VP.ENTER: run the vCPU at @tdvpr_pa until a TD exit. On input @args
 * holds the guest GPRs the host hands back after a TDG.VP.VMCALL exit
 * (R10 = status, R11 = output value, R12.. as the sub-function defines). On
 * return RAX bits 31:0 hold the VMX exit reason (48 EPT violation, 77
 * TDCALL, 1 external interrupt), @args->rcx the exit qualification, rdx the
 * extended exit qualification, r8 the GPA (bits 11:0 cleared), and for a
 * TDVMCALL exit r10..r15, rbx, rdi, rsi the guest's registers (rcx = mask).
 */
u64 tdh_vp_enter(u64 tdvpr_pa, struct tdx_module_args *args);
/* TDH.MNG.ADDCX: add TDCS page @tdcs_pa (page 3 is the S-EPT root). */
u64 tdh_mng_addcx(u64 tdr_pa, u64 tdcs_pa);
/*
 * TDH.MEM.PAGE.ADD: copy @source_pa into private page @page_pa mapped 4K at
 * @gpa, and extend MRTD. @ext_err1/@ext_err2 get RCX/RDX (entry, level_state).
 */
u64 tdh_mem_page_add(u64 tdr_pa, u64 gpa, u64 page_pa, u64 source_pa,
		     u64 *ext_err1, u64 *ext_err2);
/*
 * TDH.MEM.SEPT.ADD: link S-EPT page @sept_page_pa below the entry at
 * @gpa/@level (1..pwl).
 */
u64 tdh_mem_sept_add(u64 tdr_pa, u64 gpa, int level, u64 sept_page_pa,
		     u64 *ext_err1, u64 *ext_err2);
/* TDH.VP.ADDCX: add TDCX page @tdcx_pa to the vCPU @tdvpr_pa. */
u64 tdh_vp_addcx(u64 tdvpr_pa, u64 tdcx_pa);
/* TDH.MEM.PAGE.AUG: map @page_pa PENDING at @gpa, @level 0 (4K) or 1 (2M). */
u64 tdh_mem_page_aug(u64 tdr_pa, u64 gpa, int level, u64 page_pa,
		     u64 *ext_err1, u64 *ext_err2);
/* TDH.MEM.RANGE.BLOCK: block the entry at @gpa/@level; stamps the epoch. */
u64 tdh_mem_range_block(u64 tdr_pa, u64 gpa, int level, u64 *ext_err1,
			u64 *ext_err2);
/* TDH.MNG.KEY.CONFIG: program the TD's key on this (the only) package. */
u64 tdh_mng_key_config(u64 tdr_pa);
/* TDH.MNG.CREATE: make @tdr_pa a TDR for a new TD with private key id @hkid. */
u64 tdh_mng_create(u64 tdr_pa, u16 hkid);
/* TDH.VP.CREATE: make @tdvpr_pa the TDVPR of a new vCPU of the TD. */
u64 tdh_vp_create(u64 tdr_pa, u64 tdvpr_pa);
/* TDH.MNG.RD: read TDCS field @field (TDCS_*) into @data. */
u64 tdh_mng_rd(u64 tdr_pa, u64 field, u64 *data);
/*
 * TDH.MEM.PAGE.DEMOTE: split the blocked (if RUNNABLE: and tracked) leaf at
 * @gpa/@level (1 or 2) into 512 children in S-EPT page @new_sept_page_pa.
 */
u64 tdh_mem_page_demote(u64 tdr_pa, u64 gpa, int level, u64 new_sept_page_pa,
			u64 *ext_err1, u64 *ext_err2);
/* TDH.MR.EXTEND: measure the 256 private bytes at @gpa (256-aligned). */
u64 tdh_mr_extend(u64 tdr_pa, u64 gpa, u64 *ext_err1, u64 *ext_err2);
/* TDH.MR.FINALIZE: finish MRTD and make the TD runnable. */
u64 tdh_mr_finalize(u64 tdr_pa);
/* TDH.VP.FLUSH: dissociate the vCPU (TDX_VCPU_NOT_ASSOCIATED if it was). */
u64 tdh_vp_flush(u64 tdvpr_pa);
/* TDH.MNG.VPFLUSHDONE: check all vCPUs are flushed; block the TD. */
u64 tdh_mng_vpflushdone(u64 tdr_pa);
/* TDH.MNG.KEY.FREEID: release the TD's HKID; the TD moves to TEARDOWN. */
u64 tdh_mng_key_freeid(u64 tdr_pa);
/*
 * TDH.MNG.INIT: initialise the TD from the struct td_params at @td_params_pa
 * (a 1024-aligned shared page). @extended_err gets RCX (the failing field).
 */
u64 tdh_mng_init(u64 tdr_pa, u64 td_params_pa, u64 *extended_err);
/*
 * TDH.VP.INIT: initialise the vCPU with guest RCX @initial_rcx. Called as
 * version 1 (R8 = @x2apic_id) when the module supports it, else version 0.
 */
u64 tdh_vp_init(u64 tdvpr_pa, u64 initial_rcx, u32 x2apic_id);
/* TDH.MEM.PAGE.PROMOTE: merge the 512 children at @gpa/@level (1 or 2). */
u64 tdh_mem_page_promote(u64 tdr_pa, u64 gpa, int level, u64 *ext_err1,
			 u64 *ext_err2);
/* TDH.VP.RD: read TDVPS field @field into @data. */
u64 tdh_vp_rd(u64 tdvpr_pa, u64 field, u64 *data);
/* TDH.VP.WR: write the bits @mask of TDVPS field @field from @data. */
u64 tdh_vp_wr(u64 tdvpr_pa, u64 field, u64 data, u64 mask);
/*
 * TDH.PHYMEM.PAGE.RECLAIM: take back @page_pa from a torn-down TD. Outputs:
 * @tdx_pt page type, @tdx_owner owner TDR HPA, @tdx_size 0/1/2.
 */
u64 tdh_phymem_page_reclaim(u64 page_pa, u64 *tdx_pt, u64 *tdx_owner,
			    u64 *tdx_size);
/* TDH.MEM.PAGE.REMOVE: unmap the leaf at @gpa/@level; RCX = its HPA. */
u64 tdh_mem_page_remove(u64 tdr_pa, u64 gpa, int level, u64 *ext_err1,
			u64 *ext_err2);
/* TDH.MEM.SEPT.REMOVE: unlink the empty S-EPT page; RCX = its HPA. */
u64 tdh_mem_sept_remove(u64 tdr_pa, u64 gpa, int level, u64 *ext_err1,
			u64 *ext_err2);
/* TDH.MEM.TRACK: advance the TD's TLB epoch. */
u64 tdh_mem_track(u64 tdr_pa);
/* TDH.MEM.RANGE.UNBLOCK: restore the blocked, tracked entry at @gpa/@level. */
u64 tdh_mem_range_unblock(u64 tdr_pa, u64 gpa, int level, u64 *ext_err1,
			  u64 *ext_err2);
/* TDH.PHYMEM.CACHE.WB: write back caches (between VPFLUSHDONE and FREEID). */
u64 tdh_phymem_cache_wb(bool resume);
/* TDH.PHYMEM.PAGE.WBINVD for the TDR page itself (global key). */
u64 tdh_phymem_page_wbinvd_tdr(u64 tdr_pa);
/* TDH.PHYMEM.PAGE.WBINVD: write back and invalidate @page_pa, key @hkid. */
u64 tdh_phymem_page_wbinvd_hkid(u64 hkid, u64 page_pa);

/* ---------------------------------------------------------------------- */
/* Reclaim outputs: PAMT page types (reference §12).                       */
/* ---------------------------------------------------------------------- */

#define TDX_PT_NDA	0
#define TDX_PT_RSVD	1
#define TDX_PT_REG	3
#define TDX_PT_TDR	4
#define TDX_PT_TDCX	5
#define TDX_PT_TDVPR	6
#define TDX_PT_EPT	8

/* ---------------------------------------------------------------------- */
/* TD exits (TDH.VP.ENTER outputs).                                        */
/* ---------------------------------------------------------------------- */

/* Exit qualification bits of an EPT violation. */
#define EPT_VIOLATION_ACC_READ		BIT_ULL(0)
#define EPT_VIOLATION_ACC_WRITE		BIT_ULL(1)
#define EPT_VIOLATION_ACC_INSTR		BIT_ULL(2)
/* Bits 5:3: RWX of the entry that faulted. */
#define EPT_VIOLATION_PROT_SHIFT	3
#define EPT_VIOLATION_PROT_MASK	(7ULL << EPT_VIOLATION_PROT_SHIFT)

/* Extended exit qualification (RDX; reference §8.2). */
#define TDX_EXT_EXIT_QUAL_TYPE_MASK			GENMASK_ULL(3, 0)
#define TDX_EXT_EXIT_QUAL_TYPE_NONE			0
#define TDX_EXT_EXIT_QUAL_TYPE_ACCEPT			1
#define TDX_EXT_EXIT_QUAL_TYPE_GPA_DETAILS		2
#define TDX_EXT_EXIT_QUAL_TYPE_PENDING_EPT_VIOLATION	6
#define TDX_EXT_EXIT_QUAL_INFO_MASK			GENMASK_ULL(63, 32)
#define TDX_EXT_EXIT_QUAL_INFO_SHIFT			32
/* ACCEPT info fields (inside INFO, i.e. after shifting right by 32). */
#define TDX_ACCEPT_INFO_REQ_LEVEL_MASK	GENMASK_ULL(2, 0)
#define TDX_ACCEPT_INFO_ERR_LEVEL_SHIFT	3
#define TDX_ACCEPT_INFO_ERR_STATE_SHIFT	6
#define TDX_ACCEPT_INFO_IS_LEAF		BIT_ULL(14)

/* Public S-EPT states (RDX[15:8] of extended errors; reference §4.3). */
#define TDX_SEPT_PUB_FREE		0x00
#define TDX_SEPT_PUB_BLOCKED		0x01
#define TDX_SEPT_PUB_PENDING		0x02
#define TDX_SEPT_PUB_PENDING_BLOCKED	0x03
#define TDX_SEPT_PUB_MAPPED		0x04
#define TDX_SEPT_PUB_REMOVED		0x05
#define TDX_SEPT_PUB_NL_BLOCKED		0x81
#define TDX_SEPT_PUB_NL_MAPPED		0x84

/* Decode the level_state extended output (RDX) of an S-EPT leaf. */
static inline int tdx_level_state_level(u64 level_state)
{
	return level_state & 7;
}

static inline unsigned int tdx_level_state_state(u64 level_state)
{
	return (level_state >> 8) & 0xff;
}

/* ---------------------------------------------------------------------- */
/* Hardware: not SEAMCALLs. Bring-up, sysinfo, HKIDs.                      */
/* ---------------------------------------------------------------------- */

/* Module configuration; start from tdx_module_config_init(). */
struct tdx_module_config {
	/*
	 * TDH.VP.INIT versions the module takes: 1 (the default set by
	 * tdx_module_config_init()) = a module >= 1.5.05, v1 takes the TDR
	 * exclusively; 0 = module 1.5.01, only v0, TDR shared.
	 * tdh_vp_init() uses the highest one.
	 */
	int vp_init_version;
	/* Zero-step mitigation of reference §6.5 (default on). */
	bool zero_step_mitigation_off;
	/* Private HKIDs: 1..max_hkids (0 or more than 63 = 63). */
	unsigned int max_hkids;
	/* Modelled cost in ns of each SEAMCALL leaf; 0 keeps the default. */
	u64 seamcall_cost_ns[TDX_NR_LEAVES];
	/* Modelled cost in ns of each TDCALL leaf (TDG_*); 0 = default. */
	u64 tdcall_cost_ns[TDX_NR_LEAVES];
	/*
	 * Cost of one TD exit (0 = default 325 ns); the TDH.VP.ENTER leaf
	 * cost (default 325 ns) is the entry, so a round trip is 650 ns.
	 */
	u64 td_transition_cost_ns;
};

/* Fill @cfg with the defaults (VP.INIT v1, zero-step on, 63 HKIDs). */
void tdx_module_config_init(struct tdx_module_config *cfg);

/*
 * Bring the module up (what the kernel's TDX init does: TDH.SYS.*, PAMT
 * allocation). @cfg NULL selects the defaults. Sets up base's PFN space with
 * its default size if nobody did. Returns 0, -EBUSY if already up, -ENOMEM.
 */
int tdx_module_init(const struct tdx_module_config *cfg);
/* Shut the module down and forget every TD (tests call it between cases). */
void tdx_module_exit(void);
/* True between tdx_module_init() and tdx_module_exit(). */
bool tdx_module_ready(void);
/* The configuration in force (defaults filled in). */
const struct tdx_module_config *tdx_module_get_config(void);

/* What the kernel reads from the module at boot (struct tdx_sys_info). */
struct tdx_sys_info {
	u16 major_version;
	u16 minor_version;
	u16 update_version;
	u16 vp_init_max_version;	/* highest TDH.VP.INIT version taken */
	u64 attributes_fixed0;		/* its 0 bits: 0 in ATTRIBUTES */
	u64 attributes_fixed1;		/* a 1 bit must be 1 */
	u64 xfam_fixed0;
	u64 xfam_fixed1;
	u32 tdr_base_size;		/* bytes: 1 page */
	u32 tdcs_base_size;		/* bytes: TDCS pages (MNG.ADDCX) */
	u32 tdvps_base_size;		/* bytes: TDVPR + TDCX pages */
	u16 max_vcpus_per_td;
	u16 num_cpuid_config;
	bool sept_5_level;		/* 5-level S-EPT supported */
};

/* Fill @info (tdx_get_sysinfo()). Returns -ENODEV before tdx_module_init(). */
int tdx_get_sysinfo(struct tdx_sys_info *info);
/* Number of TDCS pages a TD needs (TDH.MNG.ADDCX calls). */
unsigned int tdx_nr_tdcs_pages(void);
/* Number of TDCX pages a vCPU needs besides its TDVPR (TDH.VP.ADDCX calls). */
unsigned int tdx_nr_tdcx_pages(void);

/* Allocate a private HKID (tdx_guest_keyid_alloc()): > 0 or -ENOSPC. */
int tdx_guest_keyid_alloc(void);
/* Free a private HKID allocated with tdx_guest_keyid_alloc(). */
void tdx_guest_keyid_free(unsigned int keyid);

/* ---------------------------------------------------------------------- */
/* Hardware: interrupts and what runs inside a vCPU.                       */
/* ---------------------------------------------------------------------- */

struct tdx_guest_ops;	/* tdcall.h */

/*
 * An interrupt (IPI) arriving at the CPU that runs vCPU @tdvpr_pa. If the
 * vCPU is inside the guest it leaves with an external-interrupt TD exit
 * (reason 1) at its next guest instruction (tdg_ call or memory access). If
 * it is not, the interrupt stays pending and the next TDH.VP.ENTER exits at
 * once, as when a kick lands between KVM's mode change and VM entry.
 * Returns 0, or -ENOENT if @tdvpr_pa is not a vCPU.
 */
int tdx_module_send_ipi(u64 tdvpr_pa);
/*
 * Set the code vCPU @tdvpr_pa runs inside the TD (the simulator's stand-in
 * for guest code in TD memory): TDH.VP.ENTER calls @ops->run(@guest, ctx).
 * NULL @ops makes the vCPU halt at once. Returns 0 or -ENOENT.
 */
int tdx_module_set_guest(u64 tdvpr_pa, const struct tdx_guest_ops *ops,
			 void *guest);

/* ---------------------------------------------------------------------- */
/* Hardware: counters and modelled cost.                                   */
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
/* Hardware: PAMT queries for teardown checks and page reuse.              */
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
/*
 * Check that [@pfn, @pfn + 2^@order) holds no page the module owns (what
 * the page allocator's free check calls). Returns 0, or -EBUSY after
 * reporting each owned page with its type, TD and GPA via pr_err().
 */
int tdx_module_pamt_check_reuse(u64 pfn, unsigned int order);
/* Number of owned-page frees tdx_module_pamt_check_reuse() has caught. */
u64 tdx_module_pamt_violations(void);

#endif /* TDXSIM_SEAM_SEAMCALL_H */
