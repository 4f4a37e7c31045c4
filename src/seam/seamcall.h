/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host's interface to tdxsim's software TDX module: the SEAMCALL ABI.
 *
 * A SEAMCALL is seamcall() with the leaf number and version in RAX and the
 * other registers in struct tdx_module_args (tdx_args.h); the leaf numbers
 * and status codes are the public ones of include/tdxsim/tdx.h. This header
 * adds the operands and outputs the leaves define: TD_PARAMS, metadata
 * field ids, PAMT page types, exit qualifications and the public S-EPT
 * states. The kernel's typed wrappers (tdh_mng_create(), ...) are on the
 * kernel side, src/kvm/virt/tdx.c (kvm/asm/tdx.h); bringing the module up
 * and what the machine does besides SEAMCALLs is tdx_module.h.
 *
 * Return values are the module's 64-bit status codes (TDX_SUCCESS = 0).
 * Compare a failure with (err & TDX_SEAMCALL_STATUS_MASK) == TDX_xxx, as KVM
 * does; the low 32 bits carry the operand id or details.
 *
 * Addresses (tdr_pa, page_pa, ...) are host physical addresses in base's PFN
 * space (page_to_phys()). S-EPT levels are TDX levels: 0 = 4K, 1 = 2M,
 * 2 = 1G (KVM's pg_level - 1), given in RCX as GPA | level.
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

/*
 * A physical address operand may carry a key id (HKID) in the bits from
 * TDX_KEYID_SHIFT up (TDH.PHYMEM.PAGE.WBINVD); 0 is the global key id.
 */
#define TDX_KEYID_SHIFT			46

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
/*
 * TDCS_TSC_FREQUENCY: TD_PARAMS' TSC frequency (25 MHz units), tdxsim's id.
 * TDCS_CPUID_VALUES: the TD's virtual CPUID, the module's encoding
 * (upstream's TD_MD_FIELD_ID_CPUID_VALUES): bit 16 leaf bit 31, bits 15:9
 * leaf bits 6:0, bit 8 "no sub-leaf" (then bits 7:1 are all ones), bits 7:1
 * sub-leaf bits 6:0, bit 0 the element (0: EBX:EAX, 1: EDX:ECX). A leaf the
 * TD has no value for is TDX_METADATA_FIELD_ID_INCORRECT.
 */
#define TDCS_TSC_FREQUENCY		0x1100000100000008ULL
#define TDCS_CPUID_VALUES		0x9410000300000000ULL
#define TDCS_CPUID_LEAF_31		BIT_ULL(16)
#define TDCS_CPUID_LEAF_SHIFT		9
#define TDCS_CPUID_SUBLEAF_NA		BIT_ULL(8)
#define TDCS_CPUID_SUBLEAF_SHIFT	1
#define TDCS_CPUID_FIELD_MASK		GENMASK_ULL(23, 0)

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

#endif /* TDXSIM_SEAM_SEAMCALL_H */
