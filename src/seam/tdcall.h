/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The guest's interface to tdxsim's software TDX module: TDCALLs and guest
 * memory accesses, as seen by code running inside a TD.
 *
 * Execution model. Guest code is a struct tdx_guest_ops registered for a
 * vCPU with tdx_module_set_guest() (tdx_module.h). TDH.VP.ENTER runs on the
 * vCPU's host thread and calls ops->run(guest, ctx); run() performs guest
 * operations (tdg_*() calls and tdg_mem_read()/tdg_mem_write()) until it
 * must stop, then returns.
 *
 * When an operation causes a TD exit (an EPT violation, an ACCEPT that must
 * exit with level info, a TDG.VP.VMCALL, a pending interrupt), the module
 * records the exit for TDH.VP.ENTER to return, and the call returns
 * TDG_EXITED (tdg_mem_*: TDG_MEM_EXITED). run() must then return at once
 * WITHOUT advancing its program counter: the next TDH.VP.ENTER calls run()
 * again and the guest re-executes the same operation, as hardware does for
 * EPT violations (RIP not advanced). A real guest never sees these values:
 * on hardware it simply stops running. For TDG.VP.VMCALL the re-execution
 * after the host completed the call returns the host's results at once
 * (without a second exit); tdg_vmcall_result() reads them too.
 *
 * If run() returns without a pending exit, the guest is done: TDH.VP.ENTER
 * reports TDG.VP.VMCALL<Instruction.HLT> (RAX = 77, R10 = 0, R11 = 12) with
 * R12 = 1 (interrupts blocked), i.e. halted for good. Each later entry calls
 * run() again.
 *
 * Every tdg_ call and every guest memory access is a schedule point.
 */
#ifndef TDXSIM_SEAM_TDCALL_H
#define TDXSIM_SEAM_TDCALL_H

#include "seam/tdx_args.h"
#include "tdxsim/tdx.h"
#include "ulib/compiler.h"

/*
 * Returned by tdg_*() calls when the operation caused a TD exit: return
 * from run() at once and re-execute the operation on the next run(). Never
 * seen by a real guest (it does not run until re-entered).
 */
#define TDG_EXITED		0xFFFFFFFFFFFFFFFFULL
/* Returned by tdg_mem_read()/tdg_mem_write() when the access exited. */
#define TDG_MEM_EXITED		1
/*
 * Returned by tdg_mem_read()/tdg_mem_write() when the access got a #VE
 * instead (a PENDING page of a TD without SEPT_VE_DISABLE); the #VE info is
 * in tdg_vp_veinfo_get(). KVM only creates TDs with SEPT_VE_DISABLE.
 */
#define TDG_MEM_VE		2

/* Standard TDG.VP.VMCALL sub-functions (R11) that are VMX exit reasons. */
#define TDVMCALL_HLT		EXIT_REASON_HLT
#define TDVMCALL_IO		EXIT_REASON_IO_INSTRUCTION
#define TDVMCALL_CPUID		EXIT_REASON_CPUID

/* A vCPU as seen from inside the guest; owned by the module. */
struct tdx_vcpu_ctx;

struct tdx_guest_ops {
	/*
	 * Run guest code on @ctx's vCPU until it must stop. Return 0; return
	 * right after any call that gave TDG_EXITED / TDG_MEM_EXITED. It must
	 * not block: a vCPU inside holds the TD shared, and the host gets it
	 * out only through an interrupt seen at the guest's next tdg_ call.
	 */
	int (*run)(void *guest, struct tdx_vcpu_ctx *ctx);
};

/*
 * TDG.MEM.PAGE.ACCEPT of @gpa_level (GPA | level, level 0 = 4K, 1 = 2M).
 * Returns TDX_SUCCESS, TDX_PAGE_ALREADY_ACCEPTED + level,
 * TDX_PAGE_SIZE_MISMATCH + level, TDX_OPERAND_BUSY|RCX,
 * TDX_OPERAND_INVALID|RCX, or TDG_EXITED (EPT violation with the accept
 * level in the extended exit qualification, or an interrupt).
 */
u64 tdg_mem_page_accept(struct tdx_vcpu_ctx *ctx, u64 gpa_level);

/*
 * TDG.VP.VMCALL: a TD exit to the host with the guest's @args (R10 = 0 for
 * standard calls, R11 = sub-function, R12.. its operands; RCX ignored, all
 * of R10-R15, RBX, RDI, RSI are passed). Returns TDG_EXITED; when the same
 * call is re-executed after the host's TDH.VP.ENTER, it returns TDX_SUCCESS
 * at once with the host's outputs in @args (R10 = TDVMCALL status, R11 ..).
 */
u64 tdg_vp_vmcall(struct tdx_vcpu_ctx *ctx, struct tdx_module_args *args);

/*
 * The registers the host passed to the TDH.VP.ENTER that followed this
 * vCPU's last TDG.VP.VMCALL exit (the TDCALL's outputs), consumed by this
 * call or by the re-executed tdg_vp_vmcall(), whichever comes first; they
 * survive exits in between (an interrupt right at re-entry). Returns 0, or
 * -ENOENT if there is no unconsumed result.
 */
int tdg_vmcall_result(struct tdx_vcpu_ctx *ctx, struct tdx_module_args *out);

/*
 * TDG.VP.INFO: RCX = GPAW (48 or 52) in bits 5:0, RDX = ATTRIBUTES,
 * R8 = num_vcpus (31:0) | max_vcpus << 32, R9 = vcpu_index. Returns 0.
 */
u64 tdg_vp_info(struct tdx_vcpu_ctx *ctx, struct tdx_module_args *out);

/*
 * TDG.MR.REPORT: write the TD's 1024-byte TDREPORT_STRUCT (TDINFO: MRTD,
 * ATTRIBUTES, XFAM, the TD_PARAMS measurements, RTMRs) with the 64 bytes
 * of REPORTDATA read at @data_gpa to @report_gpa, both private GPAs of
 * accepted memory. Returns TDX_SUCCESS, TDX_OPERAND_INVALID | the operand
 * (RCX: @report_gpa not 1024-aligned, shared or beyond the GPA width; RDX:
 * @data_gpa not 64-aligned, ...; R8: @subtype not 0), or TDG_EXITED (the
 * page is not accessible: an EPT violation, as the guest's own access).
 */
u64 tdg_mr_report(struct tdx_vcpu_ctx *ctx, u64 report_gpa, u64 data_gpa,
		  u64 subtype);

/*
 * TDG.VP.VEINFO.GET: the last #VE's exit reason (RCX), exit qualification
 * (RDX), GLA (R8, always 0) and GPA (R9). Returns 0, or
 * TDX_OPERAND_INVALID when no #VE info is valid; reading invalidates it.
 */
u64 tdg_vp_veinfo_get(struct tdx_vcpu_ctx *ctx, struct tdx_module_args *out);

/*
 * Read @len bytes of guest memory at @gpa into @buf, translating through
 * the S-EPT (shared bit clear) or the host's shared EPT (shared bit set),
 * page by page. Returns 0, TDG_MEM_EXITED, TDG_MEM_VE, or -EINVAL for a
 * GPA beyond the TD's GPA width. An access spanning pages may have done
 * its first pages when a later one exits; the re-execution redoes them.
 */
int tdg_mem_read(struct tdx_vcpu_ctx *ctx, u64 gpa, void *buf, size_t len);
/* Write @len bytes of @buf at @gpa (same translation and returns). */
int tdg_mem_write(struct tdx_vcpu_ctx *ctx, u64 gpa, const void *buf,
		  size_t len);

/* The vCPU's index in its TD (0, 1, ... in TDH.VP.INIT order). */
unsigned int tdx_guest_vcpu_index(const struct tdx_vcpu_ctx *ctx);
/* True until the vCPU's run() has returned once (its first entry). */
bool tdx_guest_first_entry(const struct tdx_vcpu_ctx *ctx);
/* The initial guest RCX given to TDH.VP.INIT. */
u64 tdx_guest_initial_rcx(const struct tdx_vcpu_ctx *ctx);
/* The TD's shared bit as a GPA mask (BIT(47) or BIT(51)). */
u64 tdx_guest_shared_mask(const struct tdx_vcpu_ctx *ctx);
/* The guest pointer given to tdx_module_set_guest() for this vCPU. */
void *tdx_guest_private(const struct tdx_vcpu_ctx *ctx);

#endif /* TDXSIM_SEAM_TDCALL_H */
