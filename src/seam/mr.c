// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Measurement: the leaves TDH.MR.EXTEND and TDH.MR.FINALIZE, and MRTD
 * (reference tdx-module.md §10, tdvf-mrtd.md §2): one running SHA-384
 * started by TDH.MNG.INIT, extended with 128-byte buffers by
 * TDH.MEM.PAGE.ADD ("MEM.PAGE.ADD" + GPA) and TDH.MR.EXTEND ("MR.EXTEND" +
 * GPA, then the 256 plaintext bytes), finished by TDH.MR.FINALIZE. The hash
 * is OpenSSL's (libcrypto EVP).
 */
#include <pthread.h>
#include <string.h>

#include <openssl/evp.h>

#include "base/log.h"
#include "base/page_alloc.h"
#include "base/sched.h"
#include "seam/seam_internal.h"
#include "ulib/unaligned.h"

/* ---------------------------------------------------------------------- */
/* MRTD                                                                   */
/* ---------------------------------------------------------------------- */

#define MR_BLOCK	128

static EVP_MD *mr_sha384;
static pthread_once_t mr_sha384_once = PTHREAD_ONCE_INIT;

static void mr_sha384_fetch(void)
{
	mr_sha384 = EVP_MD_fetch(NULL, "SHA384", NULL);
}

/*
 * SHA-384, fetched from the provider once: EVP_sha384() makes every
 * EVP_DigestInit_ex() look the algorithm up again (a TD creation each).
 */
static const EVP_MD *mr_md(void)
{
	pthread_once(&mr_sha384_once, mr_sha384_fetch);
	return mr_sha384 ? mr_sha384 : EVP_sha384();
}

int mrtd_init(struct tdx_td *td)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (!ctx)
		return -1;
	if (EVP_DigestInit_ex(ctx, mr_md(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return -1;
	}
	td->mrtd_ctx = (struct evp_md_ctx_st *)ctx;
	td->mrtd_valid = false;
	return 0;
}

static void mr_update(struct tdx_td *td, const void *buf, size_t len)
{
	if (WARN_ON(!td->mrtd_ctx || td->mrtd_valid))
		return;
	EVP_DigestUpdate((EVP_MD_CTX *)td->mrtd_ctx, buf, len);
}

void mrtd_page_add(struct tdx_td *td, u64 gpa)
{
	u8 blk[MR_BLOCK] = { 0 };

	memcpy(blk, "MEM.PAGE.ADD", 12);
	put_unaligned_le64(gpa, blk + 16);
	mr_update(td, blk, sizeof(blk));
}

void mrtd_extend(struct tdx_td *td, u64 gpa, const u8 chunk[256])
{
	u8 blk[MR_BLOCK] = { 0 };

	memcpy(blk, "MR.EXTEND", 9);
	put_unaligned_le64(gpa, blk + 16);
	mr_update(td, blk, sizeof(blk));
	mr_update(td, chunk, 256);
}

void mrtd_finalize(struct tdx_td *td)
{
	unsigned int len = 0;

	if (WARN_ON(!td->mrtd_ctx || td->mrtd_valid))
		return;
	EVP_DigestFinal_ex((EVP_MD_CTX *)td->mrtd_ctx, td->mrtd, &len);
	WARN_ON(len != sizeof(td->mrtd));
	EVP_MD_CTX_free((EVP_MD_CTX *)td->mrtd_ctx);
	td->mrtd_ctx = NULL;
	td->mrtd_valid = true;
}

void mrtd_free(struct tdx_td *td)
{
	if (td->mrtd_ctx)
		EVP_MD_CTX_free((EVP_MD_CTX *)td->mrtd_ctx);
	td->mrtd_ctx = NULL;
}

/* ---------------------------------------------------------------------- */
/* TDH.MR.EXTEND                                                           */
/* ---------------------------------------------------------------------- */

u64 seam_mr_extend(struct seam_call *c)
{
	struct tdx_module_args *a = c->args;
	u64 rcx = a->rcx, rdx = a->rdx, pa;
	struct sept_walk w;
	enum sept_state s;
	struct tdx_td *td;
	u8 chunk[256];
	u64 err, gpa;
	int level;

	a->rcx = a->rdx = 0;
	err = td_lock_tdr(c, rdx, TDX_OPERAND_ID_RDX, true, &td);
	if (err)
		return err;
	c->td = td;
	err = td_check_build_state(td);
	if (err)
		goto out;
	if (!td_op_state_allows(td, c->leaf)) {
		err = TDX_OP_STATE_INCORRECT;
		goto out;
	}
	if (rcx & 0xff) {
		err = tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
		goto out;
	}
	/* The GPA checks of a 4K page-info operand, on the page base. */
	err = td_check_gpa_level(td, rcx & PAGE_MASK, 0, 0, &gpa, &level);
	if (err)
		goto out;
	gpa = rcx;
	sept_walk(td, gpa, 0, &w);
	s = sept_state_of(w.entry);
	if (!sept_state_is_leaf(s) || !(w.entry & SEPT_RWX)) {
		sept_set_ext(a, w.entry, w.level);
		err = tdx_err(TDX_EPT_ENTRY_NOT_PRESENT, TDX_OPERAND_ID_RCX);
		goto out;
	}
	if (s != SEPT_MAPPED) {
		err = TDX_EPT_ENTRY_NOT_PRESENT;
		goto out;
	}
	sched_point_named("tdh_mr_extend");
	pa = leaf_base_hpa(w.entry, w.level) +
	     (gpa & (sept_level_size(w.level) - 1));
	mktme_private_read(td->key, pa, chunk, sizeof(chunk));
	mrtd_extend(td, gpa, chunk);
out:
	td_unlock_tdr(td, true);
	return err;
}

/* ---------------------------------------------------------------------- */
/* TDH.MR.FINALIZE                                                        */
/* ---------------------------------------------------------------------- */

u64 seam_mr_finalize(struct seam_call *c)
{
	struct tdx_td *td;
	u64 err;

	err = td_lock_tdr(c, c->args->rcx, TDX_OPERAND_ID_RCX, true, &td);
	if (err)
		return err;
	c->td = td;
	err = td_check_build_state(td);
	if (err)
		goto out;
	if (!td_op_state_allows(td, c->leaf)) {
		err = TDX_OP_STATE_INCORRECT;
		goto out;
	}
	if (!__atomic_load_n(&td->num_vcpus, __ATOMIC_ACQUIRE)) {
		err = TDX_NO_VCPUS;
		goto out;
	}
	sched_point_named("tdh_mr_finalize");
	mrtd_finalize(td);
	WRITE_ONCE(td->op_state, OP_STATE_RUNNABLE);
out:
	td_unlock_tdr(td, true);
	return err;
}
