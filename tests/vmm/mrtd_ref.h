/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An independent MRTD calculator, for tests only: it hashes the TDX module's
 * 128-byte extension buffers with OpenSSL's SHA-384 straight from a parsed
 * TDVF image, without the launch path. tdxsim itself never uses it: tests
 * compare what the real launch path produces against it.
 */
#ifndef TDXSIM_TESTS_VMM_MRTD_REF_H
#define TDXSIM_TESTS_VMM_MRTD_REF_H

#include "tdxsim/tdvf.h"
#include "ulib/compiler.h"

#define MRTD_SIZE	48

/* In which order the VMM and KVM feed the pages in. */
enum mrtd_ref_order {
	/* Per page: PAGE.ADD, then its 16 MR.EXTENDs (upstream KVM/QEMU). */
	MRTD_REF_SINGLE_PASS,
	/* Per section: all PAGE.ADDs, then all MR.EXTENDs (KVM TDX v19 API). */
	MRTD_REF_TWO_PASS,
};

/* What went into the hash. */
struct mrtd_ref_stats {
	u64 page_adds;
	u64 mr_extends;
	u64 bytes;		/* bytes hashed */
};

/*
 * Compute the MRTD of launching @info (parsed from @image) in @order into
 * @mrtd. @hob (@hob_len bytes, may be NULL) is what the VMM wrote into the
 * TD_HOB section; it only counts if that section had MR.EXTEND. @stats may
 * be NULL. Returns 0, or -EIO if OpenSSL fails.
 */
int mrtd_ref_compute(const struct tdxsim_tdvf_info *info, const u8 *image,
		     const u8 *hob, size_t hob_len, enum mrtd_ref_order order,
		     u8 mrtd[MRTD_SIZE], struct mrtd_ref_stats *stats);

/* Hex string of @mrtd into @buf (at least 2 * MRTD_SIZE + 1 bytes). */
char *mrtd_ref_hex(const u8 mrtd[MRTD_SIZE], char *buf);

#endif /* TDXSIM_TESTS_VMM_MRTD_REF_H */
