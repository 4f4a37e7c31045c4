/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The TDX module's ABI facts a program needs to read tdxsim's data: the
 * SEAMCALL and TDCALL leaf numbers, the TDX status codes with their operand
 * ids, the TDG.VP.VMCALL sub-functions and statuses (GHCI), and the VMX exit
 * reasons a TD exit carries; with functions that name them. The values are
 * the module's (Intel TDX module ABI; ../shared/reference/tdx-module.md in
 * tdxsim's source tree); tdxsim's software module and KVM use these very
 * definitions, so there is one copy of each.
 *
 * Per-leaf counters (struct tdxsim_td_stats) are indexed by leaf number.
 */
#ifndef TDXSIM_TDX_H
#define TDXSIM_TDX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- status codes (RAX of a SEAMCALL or TDCALL) ---- */

#define TDX_SEAMCALL_STATUS_MASK		0xFFFFFFFF00000000ULL
#define TDX_STATUS_ERROR_BIT			(1ULL << 63)

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
/*
 * Dynamic PAMT (the module's tdx_error_codes_defs.h; docs/upstream/
 * series-dpamt.md §2): TDH.PHYMEM.PAMT.ADD of a 2M region that has its
 * page pair, PAMT.REMOVE of one that has none or whose 4K entries are in
 * use, and any leaf given a 4K page whose region lacks its pair.
 */
#define TDX_HPA_RANGE_NOT_FREE			0xC000030400000000ULL
#define TDX_NO_PAMT_PAGE_PAIR			0xC000030500000000ULL
#define TDX_PAMT_PAGE_NOT_EMPTY			0xC000030600000000ULL
#define TDX_INTERRUPTED_PAMT			0x8000030700000000ULL
#define TDX_MISSING_PAMT_PAGE_PAIR		0x8000030800000000ULL
/*
 * Not the module's: the kernel's TDX_SW_ERROR (TDX_ERROR with bits 47:40
 * set), what a SEAMCALL wrapper answers without calling the module (the
 * huge-page series' tdh_mem_page_demote() when it has no PAMT pair).
 */
#define TDX_SW_ERROR				0x8000FF0000000000ULL
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
#define TDX_METADATA_FIELD_ID_INCORRECT		0xC0000C0000000000ULL
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
static inline uint64_t tdx_status_operand(uint64_t status)
{
	return status & ~TDX_SEAMCALL_STATUS_MASK;
}

/* True if @status is TDX_OPERAND_BUSY with any operand id (KVM's check). */
static inline bool tdx_operand_busy(uint64_t status)
{
	return (status & TDX_SEAMCALL_STATUS_MASK) == TDX_OPERAND_BUSY;
}

/*
 * The name of @status's class, without its operand id: "TDX_SUCCESS",
 * "TDX_OPERAND_BUSY", ...; NULL for a value tdxsim does not know.
 */
const char *tdxsim_tdx_status_name(uint64_t status);
/*
 * @status in words, with its operand id: "TDX_OPERAND_BUSY|RCX",
 * "TDX_EPT_WALK_FAILED|RCX", or "0x..." for an unknown value. Writes at
 * most @len bytes (NUL included) to @buf and returns @buf.
 */
char *tdxsim_tdx_status_string(uint64_t status, char *buf, size_t len);
/* The operand id's name ("RCX", "TDR", "SEPT_ENTRY", ...), NULL if unknown. */
const char *tdxsim_tdx_operand_name(uint64_t operand_id);

/* ---- SEAMCALL leaves (host: RAX bits 15:0) ---- */

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
/* Dynamic PAMT (v6 03/11): a 2M region's PAMT 4K-level page pair. */
#define TDH_PHYMEM_PAMT_ADD		58
#define TDH_PHYMEM_PAMT_REMOVE		59

/* Size of per-leaf tables (leaf numbers are below it). */
#define TDX_NR_LEAVES			64

/* ---- TDCALL leaves (guest: RAX) ---- */

#define TDG_VP_VMCALL		0
#define TDG_VP_INFO		1
#define TDG_MR_RTMR_EXTEND	2
#define TDG_VP_VEINFO_GET	3
#define TDG_MR_REPORT		4
#define TDG_VP_CPUIDVE_SET	5
#define TDG_MEM_PAGE_ACCEPT	6
#define TDG_VM_RD		7
#define TDG_VM_WR		8

/* "TDH.MEM.PAGE.AUG" for TDH_MEM_PAGE_AUG; NULL for an unknown leaf. */
const char *tdxsim_seamcall_name(unsigned int leaf);
/* "TDG.MEM.PAGE.ACCEPT" for TDG_MEM_PAGE_ACCEPT; NULL if unknown. */
const char *tdxsim_tdcall_name(unsigned int leaf);
/* The leaf called @name ("TDH.MEM.PAGE.AUG" or "TDH_MEM_PAGE_AUG"), or -1. */
int tdxsim_seamcall_by_name(const char *name);

/* ---- TD exits: VMX exit reasons (TDH.VP.ENTER RAX bits 31:0) ---- */

#define EXIT_REASON_EXTERNAL_INTERRUPT	1
#define EXIT_REASON_TRIPLE_FAULT	2
#define EXIT_REASON_CPUID		10
#define EXIT_REASON_HLT			12
#define EXIT_REASON_IO_INSTRUCTION	30
#define EXIT_REASON_MSR_READ		31
#define EXIT_REASON_MSR_WRITE		32
#define EXIT_REASON_EPT_VIOLATION	48
#define EXIT_REASON_TDCALL		77

/* Size of per-exit-reason tables. */
#define TDX_NR_EXIT_REASONS		80

/* "EPT_VIOLATION" for EXIT_REASON_EPT_VIOLATION; NULL if unknown. */
const char *tdxsim_exit_reason_name(unsigned int reason);

/* ---- TDG.VP.VMCALL (GHCI) ---- */

/* Sub-functions (R11) and status codes (R10). */
#define TDVMCALL_MAP_GPA			0x10001ULL
#define TDVMCALL_GET_QUOTE			0x10002ULL
#define TDVMCALL_REPORT_FATAL_ERROR		0x10003ULL
#define TDVMCALL_STATUS_SUCCESS			0x0000000000000000ULL
#define TDVMCALL_STATUS_RETRY			0x0000000000000001ULL
#define TDVMCALL_STATUS_INVALID_OPERAND		0x8000000000000000ULL
#define TDVMCALL_STATUS_ALIGN_ERROR		0x8000000000000002ULL
#define TDVMCALL_STATUS_SUBFUNC_UNSUPPORTED	0x8000000000000003ULL

#ifdef __cplusplus
}
#endif

#endif /* TDXSIM_TDX_H */
