// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * MRTD (reference tdx-module.md §10, tdvf-mrtd.md §2): one running SHA-384
 * started by TDH.MNG.INIT, extended with 128-byte buffers by
 * TDH.MEM.PAGE.ADD ("MEM.PAGE.ADD" + GPA) and TDH.MR.EXTEND ("MR.EXTEND" +
 * GPA, then the 256 plaintext bytes), finished by TDH.MR.FINALIZE. The hash
 * is OpenSSL's (libcrypto EVP).
 */
#include <string.h>

#include <openssl/evp.h>

#include "base/log.h"
#include "seam/seam_internal.h"

#define MR_BLOCK	128

int mrtd_init(struct tdx_td *td)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (!ctx)
		return -1;
	if (EVP_DigestInit_ex(ctx, EVP_sha384(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return -1;
	}
	td->mrtd_ctx = (struct evp_md_ctx_st *)ctx;
	td->mrtd_valid = false;
	return 0;
}

static void put_le64(u8 *p, u64 v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = v >> (8 * i);
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
	put_le64(blk + 16, gpa);
	mr_update(td, blk, sizeof(blk));
}

void mrtd_extend(struct tdx_td *td, u64 gpa, const u8 chunk[256])
{
	u8 blk[MR_BLOCK] = { 0 };

	memcpy(blk, "MR.EXTEND", 9);
	put_le64(blk + 16, gpa);
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
