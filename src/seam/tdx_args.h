/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The register file of SEAMCALL and TDCALL (every input and output but
 * RAX), shared by the host ABI (seamcall.h) and the guest ABI (tdcall.h).
 */
#ifndef TDXSIM_SEAM_TDX_ARGS_H
#define TDXSIM_SEAM_TDX_ARGS_H

#include "ulib/compiler.h"

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

#endif /* TDXSIM_SEAM_TDX_ARGS_H */
