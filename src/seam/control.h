/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tdxsim's controls of the software TDX module: what a test bench does to
 * the module that no host could do to a real one (make a SEAMCALL fail on
 * demand). Only tdxsim's own kernel-side files (src/kvm/tdxsim_*.c) and the
 * tests may include this header (scripts/layers.py); KVM proper talks to
 * the module through seamcall.h and tdx_module.h only.
 */
#ifndef TDXSIM_SEAM_CONTROL_H
#define TDXSIM_SEAM_CONTROL_H

#include "ulib/compiler.h"

/* Injections pending per TD at most. */
#define TDX_INJECT_MAX		16
/* Leaf numbers a request may name: 0..127 (unknown ones never fire). */
#define TDX_INJECT_NR_LEAVES	128

/*
 * Fault injection: make the @nth call (1 = the next one, counted from this
 * request) of SEAMCALL @leaf on the TD at @tdr_pa answer @status. The
 * module's dispatcher answers it in place of the leaf, after the SEAMCALL
 * entry schedule point and before touching any operand (the registers stay
 * as given, as when a leaf fails its first check), and counts it in the
 * TD's and vCPU's per-leaf calls, BUSY and error statistics like any
 * answer. A call belongs to a TD when its operands name the TD: its TDR,
 * one of its TDVPRs, a page it owns (PAGE.RECLAIM) or its HKID
 * (PAGE.WBINVD). Each request fires once. Returns 0, -EINVAL for @leaf >=
 * TDX_INJECT_NR_LEAVES, @nth 0 or @status 0, -ENOENT if @tdr_pa is not a
 * live TD's TDR, -ENOSPC with TDX_INJECT_MAX requests pending on the TD.
 */
int tdx_module_inject_fault(u64 tdr_pa, unsigned int leaf, u32 nth,
			    u64 status);

/*
 * The same at host level: the @nth call of @leaf from this request,
 * whichever TD it names or none (TDH.PHYMEM.PAMT.ADD and PAMT.REMOVE run
 * without a TD). Counted by every call of the leaf, also one a TD's own
 * request answers. 0, -EINVAL or -ENOSPC.
 */
int tdx_module_inject_host_fault(unsigned int leaf, u32 nth, u64 status);

/* Requests pending on the TD at @tdr_pa (0 for no TD). */
unsigned int tdx_module_inject_pending(u64 tdr_pa);

#endif /* TDXSIM_SEAM_CONTROL_H */
