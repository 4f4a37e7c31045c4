// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Names of the module's ABI values (include/tdxsim/tdx.h): leaves, status
 * codes, operand ids and exit reasons, for reports and for the public API.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/sched.h"
#include "ulib/strbuf.h"

#include "seam/seamcall.h"
#include "seam/tdcall.h"

static const char *const leaf_names[TDX_NR_LEAVES] = {
	[TDH_VP_ENTER] = "TDH.VP.ENTER",
	[TDH_MNG_ADDCX] = "TDH.MNG.ADDCX",
	[TDH_MEM_PAGE_ADD] = "TDH.MEM.PAGE.ADD",
	[TDH_MEM_SEPT_ADD] = "TDH.MEM.SEPT.ADD",
	[TDH_VP_ADDCX] = "TDH.VP.ADDCX",
	[TDH_MEM_PAGE_RELOCATE] = "TDH.MEM.PAGE.RELOCATE",
	[TDH_MEM_PAGE_AUG] = "TDH.MEM.PAGE.AUG",
	[TDH_MEM_RANGE_BLOCK] = "TDH.MEM.RANGE.BLOCK",
	[TDH_MNG_KEY_CONFIG] = "TDH.MNG.KEY.CONFIG",
	[TDH_MNG_CREATE] = "TDH.MNG.CREATE",
	[TDH_VP_CREATE] = "TDH.VP.CREATE",
	[TDH_MNG_RD] = "TDH.MNG.RD",
	[TDH_MEM_RD] = "TDH.MEM.RD",
	[TDH_MNG_WR] = "TDH.MNG.WR",
	[TDH_MEM_WR] = "TDH.MEM.WR",
	[TDH_MEM_PAGE_DEMOTE] = "TDH.MEM.PAGE.DEMOTE",
	[TDH_MR_EXTEND] = "TDH.MR.EXTEND",
	[TDH_MR_FINALIZE] = "TDH.MR.FINALIZE",
	[TDH_VP_FLUSH] = "TDH.VP.FLUSH",
	[TDH_MNG_VPFLUSHDONE] = "TDH.MNG.VPFLUSHDONE",
	[TDH_MNG_KEY_FREEID] = "TDH.MNG.KEY.FREEID",
	[TDH_MNG_INIT] = "TDH.MNG.INIT",
	[TDH_VP_INIT] = "TDH.VP.INIT",
	[TDH_MEM_PAGE_PROMOTE] = "TDH.MEM.PAGE.PROMOTE",
	[TDH_PHYMEM_PAGE_RDMD] = "TDH.PHYMEM.PAGE.RDMD",
	[TDH_MEM_SEPT_RD] = "TDH.MEM.SEPT.RD",
	[TDH_VP_RD] = "TDH.VP.RD",
	[TDH_PHYMEM_PAGE_RECLAIM] = "TDH.PHYMEM.PAGE.RECLAIM",
	[TDH_MEM_PAGE_REMOVE] = "TDH.MEM.PAGE.REMOVE",
	[TDH_MEM_SEPT_REMOVE] = "TDH.MEM.SEPT.REMOVE",
	[TDH_SYS_RD] = "TDH.SYS.RD",
	[TDH_MEM_TRACK] = "TDH.MEM.TRACK",
	[TDH_MEM_RANGE_UNBLOCK] = "TDH.MEM.RANGE.UNBLOCK",
	[TDH_PHYMEM_CACHE_WB] = "TDH.PHYMEM.CACHE.WB",
	[TDH_PHYMEM_PAGE_WBINVD] = "TDH.PHYMEM.PAGE.WBINVD",
	[TDH_VP_WR] = "TDH.VP.WR",
	[TDH_PHYMEM_PAMT_ADD] = "TDH.PHYMEM.PAMT.ADD",
	[TDH_PHYMEM_PAMT_REMOVE] = "TDH.PHYMEM.PAMT.REMOVE",
};

const char *tdxsim_seamcall_name(unsigned int leaf)
{
	return leaf < TDX_NR_LEAVES ? leaf_names[leaf] : NULL;
}

const char *tdx_leaf_name(unsigned int leaf)
{
	const char *name = tdxsim_seamcall_name(leaf);

	return name ? name : "TDH.?";
}

int tdxsim_seamcall_by_name(const char *name)
{
	unsigned int leaf;
	size_t i;

	if (!name)
		return -1;
	for (leaf = 0; leaf < TDX_NR_LEAVES; leaf++) {
		const char *n = leaf_names[leaf];

		if (!n || strlen(n) != strlen(name))
			continue;
		for (i = 0; n[i]; i++)
			if (n[i] != name[i] && !(n[i] == '.' && name[i] == '_'))
				break;
		if (!n[i])
			return leaf;
	}
	return -1;
}

static const char *const tdcall_names[] = {
	[TDG_VP_VMCALL] = "TDG.VP.VMCALL",
	[TDG_VP_INFO] = "TDG.VP.INFO",
	[TDG_MR_RTMR_EXTEND] = "TDG.MR.RTMR.EXTEND",
	[TDG_VP_VEINFO_GET] = "TDG.VP.VEINFO.GET",
	[TDG_MR_REPORT] = "TDG.MR.REPORT",
	[TDG_VP_CPUIDVE_SET] = "TDG.VP.CPUIDVE.SET",
	[TDG_MEM_PAGE_ACCEPT] = "TDG.MEM.PAGE.ACCEPT",
	[TDG_VM_RD] = "TDG.VM.RD",
	[TDG_VM_WR] = "TDG.VM.WR",
};

const char *tdxsim_tdcall_name(unsigned int leaf)
{
	return leaf < ARRAY_SIZE(tdcall_names) ? tdcall_names[leaf] : NULL;
}

static const char *const exit_names[TDX_NR_EXIT_REASONS] = {
	[EXIT_REASON_EXTERNAL_INTERRUPT] = "EXTERNAL_INTERRUPT",
	[EXIT_REASON_TRIPLE_FAULT] = "TRIPLE_FAULT",
	[EXIT_REASON_CPUID] = "CPUID",
	[EXIT_REASON_HLT] = "HLT",
	[EXIT_REASON_IO_INSTRUCTION] = "IO_INSTRUCTION",
	[EXIT_REASON_MSR_READ] = "MSR_READ",
	[EXIT_REASON_MSR_WRITE] = "MSR_WRITE",
	[EXIT_REASON_EPT_VIOLATION] = "EPT_VIOLATION",
	[EXIT_REASON_TDCALL] = "TDCALL",
};

const char *tdxsim_exit_reason_name(unsigned int reason)
{
	return reason < TDX_NR_EXIT_REASONS ? exit_names[reason] : NULL;
}

#define S(x)	{ x, #x }
static const struct {
	u64 code;
	const char *name;
} status_names[] = {
	S(TDX_SUCCESS), S(TDX_NON_RECOVERABLE_VCPU), S(TDX_NON_RECOVERABLE_TD),
	S(TDX_INTERRUPTED_RESUMABLE), S(TDX_INTERRUPTED_RESTARTABLE),
	S(TDX_OPERAND_INVALID), S(TDX_OPERAND_ADDR_RANGE_ERROR),
	S(TDX_OPERAND_BUSY), S(TDX_PREVIOUS_TLB_EPOCH_BUSY), S(TDX_SYS_BUSY),
	S(TDX_RND_NO_ENTROPY), S(TDX_OPERAND_BUSY_HOST_PRIORITY),
	S(TDX_HOST_PRIORITY_BUSY_TIMEOUT), S(TDX_PAGE_METADATA_INCORRECT),
	S(TDX_PAGE_ALREADY_FREE), S(TDX_PAGE_NOT_OWNED_BY_TD),
	S(TDX_PAGE_NOT_FREE), S(TDX_HPA_RANGE_NOT_FREE),
	S(TDX_NO_PAMT_PAGE_PAIR), S(TDX_PAMT_PAGE_NOT_EMPTY),
	S(TDX_INTERRUPTED_PAMT), S(TDX_MISSING_PAMT_PAGE_PAIR), S(TDX_SW_ERROR),
	S(TDX_TD_ASSOCIATED_PAGES_EXIST),
	S(TDX_SYS_NOT_READY), S(TDX_SYS_SHUTDOWN), S(TDX_TD_FATAL),
	S(TDX_TD_NON_DEBUG), S(TDX_TDCS_NOT_ALLOCATED),
	S(TDX_LIFECYCLE_STATE_INCORRECT), S(TDX_OP_STATE_INCORRECT),
	S(TDX_NO_VCPUS), S(TDX_TDCX_NUM_INCORRECT), S(TDX_VCPU_STATE_INCORRECT),
	S(TDX_VCPU_ASSOCIATED), S(TDX_VCPU_NOT_ASSOCIATED),
	S(TDX_MAX_VCPUS_EXCEEDED), S(TDX_TSC_ROLLBACK),
	S(TDX_KEY_GENERATION_FAILED), S(TDX_TD_KEYS_NOT_CONFIGURED),
	S(TDX_KEY_STATE_INCORRECT), S(TDX_KEY_CONFIGURED),
	S(TDX_HKID_NOT_FREE), S(TDX_NO_HKID_READY_TO_WBCACHE),
	S(TDX_FLUSHVP_NOT_DONE), S(TDX_EPT_WALK_FAILED), S(TDX_EPT_ENTRY_FREE),
	S(TDX_EPT_ENTRY_NOT_FREE), S(TDX_EPT_ENTRY_NOT_PRESENT),
	S(TDX_EPT_ENTRY_NOT_LEAF), S(TDX_EPT_ENTRY_LEAF),
	S(TDX_GPA_RANGE_NOT_BLOCKED), S(TDX_GPA_RANGE_ALREADY_BLOCKED),
	S(TDX_TLB_TRACKING_NOT_DONE), S(TDX_EPT_INVALID_PROMOTE_CONDITIONS),
	S(TDX_PAGE_ALREADY_ACCEPTED), S(TDX_PAGE_SIZE_MISMATCH),
	S(TDX_GPA_RANGE_BLOCKED), S(TDX_EPT_ENTRY_STATE_INCORRECT),
	S(TDX_EPT_PAGE_NOT_FREE), S(TDX_L2_SEPT_WALK_FAILED),
	S(TDX_METADATA_FIELD_ID_INCORRECT),
	S(TDX_METADATA_FIELD_NOT_READABLE), S(TDX_X2APIC_ID_NOT_UNIQUE),
};
#undef S

const char *tdxsim_tdx_operand_name(uint64_t id)
{
	static const char *const gpr[16] = {
		"RAX", "RCX", "RDX", "RBX", "RSP", "RBP", "RSI", "RDI",
		"R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15",
	};

	if (id < 16)
		return gpr[id];
	switch (id) {
	case TDX_OPERAND_ID_ATTRIBUTES:		return "ATTRIBUTES";
	case TDX_OPERAND_ID_XFAM:		return "XFAM";
	case TDX_OPERAND_ID_EXEC_CONTROLS:	return "EXEC_CONTROLS";
	case TDX_OPERAND_ID_EPTP_CONTROLS:	return "EPTP_CONTROLS";
	case TDX_OPERAND_ID_MAX_VCPUS:		return "MAX_VCPUS";
	case TDX_OPERAND_ID_CPUID_CONFIG:	return "CPUID_CONFIG";
	case TDX_OPERAND_ID_TSC_FREQUENCY:	return "TSC_FREQUENCY";
	case TDX_OPERAND_ID_NUM_L2_VMS:		return "NUM_L2_VMS";
	case TDX_OPERAND_ID_TDR:		return "TDR";
	case TDX_OPERAND_ID_TDCX:		return "TDCX";
	case TDX_OPERAND_ID_TDVPR:		return "TDVPR";
	case TDX_OPERAND_ID_TDCS:		return "TDCS";
	case TDX_OPERAND_ID_TDVPS:		return "TDVPS";
	case TDX_OPERAND_ID_SEPT:		return "SEPT";
	case TDX_OPERAND_ID_SEPT_ENTRY:		return "SEPT_ENTRY";
	case TDX_OPERAND_ID_RTMR:		return "RTMR";
	case TDX_OPERAND_ID_TD_EPOCH:		return "TD_EPOCH";
	case TDX_OPERAND_ID_OP_STATE:		return "OP_STATE";
	case TDX_OPERAND_ID_SYS:		return "SYS";
	case TDX_OPERAND_ID_KOT:		return "KOT";
	case TDX_OPERAND_ID_KET:		return "KET";
	case TDX_OPERAND_ID_WBCACHE:		return "WBCACHE";
	}
	return NULL;
}

const char *tdxsim_tdx_status_name(uint64_t status)
{
	u64 base = status & TDX_SEAMCALL_STATUS_MASK;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(status_names); i++)
		if (status_names[i].code == base)
			return status_names[i].name;
	return NULL;
}

char *tdxsim_tdx_status_string(uint64_t status, char *buf, size_t len)
{
	u64 base = status & TDX_SEAMCALL_STATUS_MASK;
	u64 op = tdx_status_operand(status);
	const char *name = tdxsim_tdx_status_name(status), *opn;

	if (!buf || !len)
		return buf;
	if (!name) {
		snprintf(buf, len, "%#llx", (unsigned long long)status);
		return buf;
	}
	if (!op || base == TDX_SUCCESS) {
		if (base == TDX_SUCCESS && op)
			snprintf(buf, len, "TDX_SUCCESS|%#llx",
				 (unsigned long long)op);
		else
			snprintf(buf, len, "%s", name);
		return buf;
	}
	opn = tdxsim_tdx_operand_name(op);
	if (opn)
		snprintf(buf, len, "%s|%s", name, opn);
	else
		snprintf(buf, len, "%s|%#llx", name, (unsigned long long)op);
	return buf;
}

/* The buffer is per task: a deterministic run's tasks share one OS thread. */
#define STATUS_NAME_LEN	96
static DEFINE_TASK_LOCAL(status_name_key, free);

const char *tdx_status_name(u64 status)
{
	char **bufp = task_local(&status_name_key);

	if (!*bufp)
		*bufp = xzalloc(STATUS_NAME_LEN);
	return tdxsim_tdx_status_string(status, *bufp, STATUS_NAME_LEN);
}
