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

#include "base/compiler.h"

/* ---------------------------------------------------------------------- */
/* Status codes (reference tdx-module.md §2.1; values are the module's).   */
/* ---------------------------------------------------------------------- */

#define TDX_SEAMCALL_STATUS_MASK		0xFFFFFFFF00000000ULL
#define TDX_STATUS_ERROR_BIT			BIT_ULL(63)

#define TDX_SUCCESS				0x0000000000000000ULL
#define TDX_NON_RECOVERABLE_VCPU		0x4000000100000000ULL
#define TDX_NON_RECOVERABLE_TD			0x6000000200000000ULL
#define TDX_INTERRUPTED_RESUMABLE		0x8000000300000000ULL
#define TDX_INTERRUPTED_RESTARTABLE		0x8000000400000000ULL
#define TDX_OPERAND_INVALID			0xC000010000000000ULL
#define TDX_OPERAND_ADDR_RANGE_ERROR		0xC000010100000000ULL
#define TDX_OPERAND_BUSY			0x8000020000000000ULL
#define TDX_PREVIOUS_TLB_EPOCH_BUSY		0x8000020100000000ULL
#define TDX_SYS_BUSY				0x8000020200000000ULL
#define TDX_RND_NO_ENTROPY			0x8000020300000000ULL
#define TDX_OPERAND_BUSY_HOST_PRIORITY		0x8000020400000000ULL
#define TDX_HOST_PRIORITY_BUSY_TIMEOUT		0x9000020500000000ULL
#define TDX_PAGE_METADATA_INCORRECT		0xC000030000000000ULL
#define TDX_PAGE_ALREADY_FREE			0x0000030100000000ULL
#define TDX_PAGE_NOT_OWNED_BY_TD		0xC000030200000000ULL
#define TDX_PAGE_NOT_FREE			0xC000030300000000ULL
#define TDX_TD_ASSOCIATED_PAGES_EXIST		0xC000040000000000ULL
#define TDX_SYS_NOT_READY			0xC000050500000000ULL
#define TDX_SYS_SHUTDOWN			0xC000050600000000ULL
#define TDX_TD_FATAL				0xE000060400000000ULL
#define TDX_TD_NON_DEBUG			0xC000060500000000ULL
#define TDX_TDCS_NOT_ALLOCATED			0xC000060600000000ULL
#define TDX_LIFECYCLE_STATE_INCORRECT		0xC000060700000000ULL
#define TDX_OP_STATE_INCORRECT			0xC000060800000000ULL
#define TDX_NO_VCPUS				0xC000060900000000ULL
#define TDX_TDCX_NUM_INCORRECT			0xC000061000000000ULL
#define TDX_VCPU_STATE_INCORRECT		0xC000070000000000ULL
#define TDX_VCPU_ASSOCIATED			0x8000070100000000ULL
#define TDX_VCPU_NOT_ASSOCIATED			0x8000070200000000ULL
#define TDX_MAX_VCPUS_EXCEEDED			0xC000070500000000ULL
#define TDX_TSC_ROLLBACK			0xC000070600000000ULL
#define TDX_KEY_GENERATION_FAILED		0x8000080000000000ULL
#define TDX_TD_KEYS_NOT_CONFIGURED		0x8000081000000000ULL
#define TDX_KEY_STATE_INCORRECT			0xC000081100000000ULL
#define TDX_KEY_CONFIGURED			0x0000081500000000ULL
#define TDX_HKID_NOT_FREE			0xC000082000000000ULL
#define TDX_NO_HKID_READY_TO_WBCACHE		0x0000082100000000ULL
#define TDX_FLUSHVP_NOT_DONE			0x8000082400000000ULL
#define TDX_EPT_WALK_FAILED			0xC0000B0000000000ULL
#define TDX_EPT_ENTRY_FREE			0xC0000B0100000000ULL
#define TDX_EPT_ENTRY_NOT_FREE			0xC0000B0200000000ULL
#define TDX_EPT_ENTRY_NOT_PRESENT		0xC0000B0300000000ULL
#define TDX_EPT_ENTRY_NOT_LEAF			0xC0000B0400000000ULL
#define TDX_EPT_ENTRY_LEAF			0xC0000B0500000000ULL
#define TDX_GPA_RANGE_NOT_BLOCKED		0xC0000B0600000000ULL
#define TDX_GPA_RANGE_ALREADY_BLOCKED		0x00000B0700000000ULL
#define TDX_TLB_TRACKING_NOT_DONE		0xC0000B0800000000ULL
#define TDX_EPT_INVALID_PROMOTE_CONDITIONS	0xC0000B0900000000ULL
#define TDX_PAGE_ALREADY_ACCEPTED		0x00000B0A00000000ULL
#define TDX_PAGE_SIZE_MISMATCH			0xC0000B0B00000000ULL
#define TDX_GPA_RANGE_BLOCKED			0xC0000B0C00000000ULL
#define TDX_EPT_ENTRY_STATE_INCORRECT		0xC0000B0D00000000ULL
#define TDX_EPT_PAGE_NOT_FREE			0xC0000B0E00000000ULL
#define TDX_L2_SEPT_WALK_FAILED			0xC0000B0F00000000ULL
#define TDX_METADATA_FIELD_NOT_READABLE		0xC0000C0200000000ULL
/*
 * TDH.VP.INIT v1 (module >= 1.5.05) duplicate x2APIC ID. The reference has
 * no value for it; tdxsim uses this one (error, class 0x07, details 0x07).
 */
#define TDX_X2APIC_ID_NOT_UNIQUE		0xC000070700000000ULL

/* Operand ids (low 32 bits of a status; reference §1.5). */
#define TDX_OPERAND_ID_RAX		0x00ULL
#define TDX_OPERAND_ID_RCX		0x01ULL
#define TDX_OPERAND_ID_RDX		0x02ULL
#define TDX_OPERAND_ID_RBX		0x03ULL
#define TDX_OPERAND_ID_RBP		0x05ULL
#define TDX_OPERAND_ID_RSI		0x06ULL
#define TDX_OPERAND_ID_RDI		0x07ULL
#define TDX_OPERAND_ID_R8		0x08ULL
#define TDX_OPERAND_ID_R9		0x09ULL
#define TDX_OPERAND_ID_R10		0x0AULL
#define TDX_OPERAND_ID_R11		0x0BULL
#define TDX_OPERAND_ID_R12		0x0CULL
#define TDX_OPERAND_ID_R13		0x0DULL
#define TDX_OPERAND_ID_R14		0x0EULL
#define TDX_OPERAND_ID_R15		0x0FULL
#define TDX_OPERAND_ID_ATTRIBUTES	0x40ULL
#define TDX_OPERAND_ID_XFAM		0x41ULL
#define TDX_OPERAND_ID_EXEC_CONTROLS	0x42ULL
#define TDX_OPERAND_ID_EPTP_CONTROLS	0x43ULL
#define TDX_OPERAND_ID_MAX_VCPUS	0x44ULL
#define TDX_OPERAND_ID_CPUID_CONFIG	0x45ULL
#define TDX_OPERAND_ID_TSC_FREQUENCY	0x46ULL
#define TDX_OPERAND_ID_NUM_L2_VMS	0x47ULL
#define TDX_OPERAND_ID_TDR		0x80ULL
#define TDX_OPERAND_ID_TDCX		0x81ULL
#define TDX_OPERAND_ID_TDVPR		0x82ULL
#define TDX_OPERAND_ID_TDCS		0x90ULL
#define TDX_OPERAND_ID_TDVPS		0x91ULL
/* The S-EPT tree lock. */
#define TDX_OPERAND_ID_SEPT		0x92ULL
#define TDX_OPERAND_ID_SEPT_ENTRY	0x93ULL
#define TDX_OPERAND_ID_RTMR		0xA8ULL
#define TDX_OPERAND_ID_TD_EPOCH		0xA9ULL
#define TDX_OPERAND_ID_OP_STATE		0xACULL
#define TDX_OPERAND_ID_SYS		0xB8ULL
#define TDX_OPERAND_ID_KOT		0xBAULL
#define TDX_OPERAND_ID_KET		0xBBULL
#define TDX_OPERAND_ID_WBCACHE		0xBCULL

/* The operand id (or details) part of a status. */
static inline u64 tdx_status_operand(u64 status)
{
	return status & ~TDX_SEAMCALL_STATUS_MASK;
}

/* True if @status is TDX_OPERAND_BUSY with any operand id (KVM's check). */
static inline bool tdx_operand_busy(u64 status)
{
	return (status & TDX_SEAMCALL_STATUS_MASK) == TDX_OPERAND_BUSY;
}

/*
 * A printable name of @status, e.g. "TDX_SUCCESS", "TDX_OPERAND_BUSY|RCX",
 * "TDX_EPT_WALK_FAILED|RCX" or "0xc0000b7700000000" for an unknown code.
 * The string lives in thread-local storage until the next call.
 */
const char *tdx_status_name(u64 status);

/* ---------------------------------------------------------------------- */
/* Leaf numbers (RAX bits 15:0) and the raw SEAMCALL.                      */
/* ---------------------------------------------------------------------- */

#define TDH_VP_ENTER			0
#define TDH_MNG_ADDCX			1
#define TDH_MEM_PAGE_ADD		2
#define TDH_MEM_SEPT_ADD		3
#define TDH_VP_ADDCX			4
#define TDH_MEM_PAGE_RELOCATE		5
#define TDH_MEM_PAGE_AUG		6
#define TDH_MEM_RANGE_BLOCK		7
#define TDH_MNG_KEY_CONFIG		8
#define TDH_MNG_CREATE			9
#define TDH_VP_CREATE			10
#define TDH_MNG_RD			11
#define TDH_MEM_RD			12
#define TDH_MNG_WR			13
#define TDH_MEM_WR			14
#define TDH_MEM_PAGE_DEMOTE		15
#define TDH_MR_EXTEND			16
#define TDH_MR_FINALIZE			17
#define TDH_VP_FLUSH			18
#define TDH_MNG_VPFLUSHDONE		19
#define TDH_MNG_KEY_FREEID		20
#define TDH_MNG_INIT			21
#define TDH_VP_INIT			22
#define TDH_MEM_PAGE_PROMOTE		23
#define TDH_PHYMEM_PAGE_RDMD		24
#define TDH_MEM_SEPT_RD			25
#define TDH_VP_RD			26
#define TDH_PHYMEM_PAGE_RECLAIM		28
#define TDH_MEM_PAGE_REMOVE		29
#define TDH_MEM_SEPT_REMOVE		30
#define TDH_SYS_RD			34
#define TDH_MEM_TRACK			38
#define TDH_MEM_RANGE_UNBLOCK		39
#define TDH_PHYMEM_CACHE_WB		40
#define TDH_PHYMEM_PAGE_WBINVD		41
#define TDH_VP_WR			43

/* Size of the per-leaf tables (counters, cost table). */
#define TDX_NR_LEAVES			64

/* RAX of a SEAMCALL: leaf in bits 15:0, version in bits 23:16. */
#define TDX_LEAF_VERSION(leaf, ver)	((u64)(leaf) | ((u64)(ver) << 16))

/* The SEAMCALL register file (inputs and outputs other than RAX). */
struct tdx_module_args {
	u64 rcx;
	u64 rdx;
	u64 r8;
	u64 r9;
	u64 r10;
	u64 r11;
	u64 r12;
	u64 r13;
	u64 r14;
	u64 r15;
	u64 rbx;
	u64 rdi;
	u64 rsi;
};

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

#define EXIT_REASON_EXTERNAL_INTERRUPT	1
#define EXIT_REASON_TRIPLE_FAULT	2
#define EXIT_REASON_CPUID		10
#define EXIT_REASON_HLT			12
#define EXIT_REASON_IO_INSTRUCTION	30
#define EXIT_REASON_MSR_READ		31
#define EXIT_REASON_MSR_WRITE		32
#define EXIT_REASON_EPT_VIOLATION	48
#define EXIT_REASON_TDCALL		77

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

/* TDG.VP.VMCALL sub-functions and status codes (R11 / R10). */
#define TDVMCALL_MAP_GPA			0x10001ULL
#define TDVMCALL_GET_QUOTE			0x10002ULL
#define TDVMCALL_REPORT_FATAL_ERROR		0x10003ULL
#define TDVMCALL_STATUS_SUCCESS			0x0000000000000000ULL
#define TDVMCALL_STATUS_RETRY			0x0000000000000001ULL
#define TDVMCALL_STATUS_INVALID_OPERAND		0x8000000000000000ULL
#define TDVMCALL_STATUS_ALIGN_ERROR		0x8000000000000002ULL
#define TDVMCALL_STATUS_SUBFUNC_UNSUPPORTED	0x8000000000000003ULL

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
