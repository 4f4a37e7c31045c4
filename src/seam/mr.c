// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Measurement: the leaves TDH.MR.EXTEND and TDH.MR.FINALIZE, and MRTD
 * (reference tdx-module.md §10, tdvf-mrtd.md §2): one running SHA-384
 * started by TDH.MNG.INIT, extended with 128-byte buffers by
 * TDH.MEM.PAGE.ADD ("MEM.PAGE.ADD" + GPA) and TDH.MR.EXTEND ("MR.EXTEND" +
 * GPA, then the 256 plaintext bytes), finished by TDH.MR.FINALIZE. The hash
 * is OpenSSL's SHA-384, through its low-level interface (SHA384_Init() and
 * the rest, deprecated in 3.0 but kept): EVP_MD_fetch() initialises the
 * provider machinery first, 2.5-3.1 ms of a fresh process here against
 * 0.1 ms for the first SHA-384 of the low-level one (a stand-alone test),
 * which a `tdxsim measure` paid for its 3.2 ms of hashing. The block
 * function is the same (the AVX2 one here).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include "base/log.h"
#include "base/page_alloc.h"
#include "base/sched.h"
#include "seam/seam_internal.h"
#include "ulib/strbuf.h"
#include "ulib/unaligned.h"

/* ---------------------------------------------------------------------- */
/* MRTD                                                                   */
/* ---------------------------------------------------------------------- */

#define MR_BLOCK	128

/*
 * The running hash is kept as its input (the transcript) until
 * TDH.MR.FINALIZE, up to MR_TRANSCRIPT_MAX bytes. An exploration builds the
 * same TD in every schedule, so the digest of the transcript finalized last
 * is kept and given again for the same bytes: a memcmp instead of SHA-384.
 * Nothing reads MRTD before the finalize (TDH.MNG.RD answers "not
 * readable"), so the digest is the one a streaming hash gives. A longer
 * transcript (a large firmware image) is hashed and streams from then on,
 * MR_STAGE bytes at a time: SHA-384 fed 128 or 384 bytes a call runs ~8%
 * slower than over a large buffer. The limit holds the built-in firmware's
 * 306 KiB; OVMF's 2.9 MiB stream from 512 KiB on (a larger transcript was
 * a megabyte of fresh memory to fault in, more than its hashing here).
 */
#define MR_TRANSCRIPT_MAX	(1U << 19)
#define MR_STAGE		(1U << 15)

struct mrtd_hash {
	SHA512_CTX sha;		/* the running hash, once streaming */
	bool streaming;
	u8 *buf;		/* the transcript, or once streaming the
				 * bytes not hashed yet (< MR_STAGE) */
	size_t len, cap;
};

static struct {
	pthread_mutex_t lock;
	u8 *buf;
	size_t len;
	u8 digest[48];
	bool valid;
} mr_last = { .lock = PTHREAD_MUTEX_INITIALIZER };

int mrtd_init(struct tdx_td *td)
{
	td->mrtd_ctx = xzalloc(sizeof(*td->mrtd_ctx));
	td->mrtd_valid = false;
	return 0;
}

static void mr_hash_free(struct mrtd_hash *h)
{
	free(h->buf);
	free(h);
}

/*
 * Room for the next @len bytes of the hash's input (@len <= MR_STAGE), which
 * the caller writes there; NULL if the TD has no running hash.
 */
static u8 *mr_append(struct tdx_td *td, size_t len)
{
	struct mrtd_hash *h = td->mrtd_ctx;
	u8 *p;

	if (WARN_ON(!h || td->mrtd_valid))
		return NULL;
	if (h->len + len > (h->streaming ? MR_STAGE : MR_TRANSCRIPT_MAX)) {
		/* Too long to keep (or a full stage): hash, then stream. */
		if (!h->streaming)
			SHA384_Init(&h->sha);
		h->streaming = true;
		SHA384_Update(&h->sha, h->buf, h->len);
		h->len = 0;
	}
	if (h->len + len > h->cap) {
		h->cap = max_t(size_t, h->cap * 2, 16384);
		while (h->cap < h->len + len)
			h->cap *= 2;
		h->buf = xrealloc(h->buf, h->cap);
	}
	p = h->buf + h->len;
	h->len += len;
	return p;
}

/* The digest of a whole transcript: the last one's again, or SHA-384. */
static void mr_digest_transcript(const u8 *buf, size_t len, u8 out[48])
{
	pthread_mutex_lock(&mr_last.lock);
	if (mr_last.valid && mr_last.len == len &&
	    (!len || !memcmp(mr_last.buf, buf, len))) {
		memcpy(out, mr_last.digest, 48);
		pthread_mutex_unlock(&mr_last.lock);
		return;
	}
	pthread_mutex_unlock(&mr_last.lock);

	SHA384(buf, len, out);

	pthread_mutex_lock(&mr_last.lock);
	mr_last.buf = xrealloc(mr_last.buf, len ? len : 1);
	if (len)	/* an empty transcript has no buffer (NULL) */
		memcpy(mr_last.buf, buf, len);
	mr_last.len = len;
	memcpy(mr_last.digest, out, 48);
	mr_last.valid = true;
	pthread_mutex_unlock(&mr_last.lock);
}

/* A 128-byte extension buffer: @name, the GPA at byte 16, zeros. */
static void mr_block(u8 *blk, const char *name, size_t name_len, u64 gpa)
{
	memset(blk, 0, MR_BLOCK);
	memcpy(blk, name, name_len);
	put_unaligned_le64(gpa, blk + 16);
}

void mrtd_page_add(struct tdx_td *td, u64 gpa)
{
	u8 *blk = mr_append(td, MR_BLOCK);

	if (blk)
		mr_block(blk, "MEM.PAGE.ADD", 12, gpa);
}

/*
 * TDH.MR.EXTEND's input: its extension buffer, then the 256 bytes at @pa
 * decrypted with @key straight into the hash's input (no copy between).
 */
void mrtd_extend(struct tdx_td *td, u64 gpa, u64 key, u64 pa)
{
	u8 *blk = mr_append(td, MR_BLOCK + 256);

	if (!blk)
		return;
	mr_block(blk, "MR.EXTEND", 9, gpa);
	mktme_private_read(key, pa, blk + MR_BLOCK, 256);
}

void mrtd_finalize(struct tdx_td *td)
{
	struct mrtd_hash *h = td->mrtd_ctx;

	_Static_assert(sizeof(td->mrtd) == SHA384_DIGEST_LENGTH, "MRTD size");
	if (WARN_ON(!h || td->mrtd_valid))
		return;
	if (h->streaming) {
		SHA384_Update(&h->sha, h->buf, h->len);
		SHA384_Final(td->mrtd, &h->sha);
	} else {
		mr_digest_transcript(h->buf, h->len, td->mrtd);
	}
	mr_hash_free(h);
	td->mrtd_ctx = NULL;
	td->mrtd_valid = true;
}

void mrtd_free(struct tdx_td *td)
{
	if (td->mrtd_ctx)
		mr_hash_free(td->mrtd_ctx);
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
	mrtd_extend(td, gpa, td->key, pa);
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

/* ---------------------------------------------------------------------- */
/* TDREPORT_STRUCT (TDG.MR.REPORT)                                        */
/* ---------------------------------------------------------------------- */

/* Offsets in the 1024-byte TDREPORT_STRUCT (TDX module ABI). */
#define REPORT_MAC		0	/* REPORTMACSTRUCT, 256 bytes */
#define  MAC_REPORTTYPE		0	/* type 0x81 (TDX), subtype 0, version */
#define  MAC_CPUSVN		16
#define  MAC_TEE_TCB_INFO_HASH	32
#define  MAC_TEE_INFO_HASH	80
#define  MAC_REPORTDATA		128
#define  MAC_MAC		224	/* 32 bytes */
#define REPORT_TEE_TCB_INFO	256	/* 239 bytes, then 17 reserved */
#define TEE_TCB_INFO_SIZE	239
#define REPORT_TDINFO		512	/* TDINFO_STRUCT, 512 bytes */
#define  TDINFO_ATTRIBUTES	0
#define  TDINFO_XFAM		8
#define  TDINFO_MRTD		16
#define  TDINFO_MRCONFIGID	64
#define  TDINFO_MROWNER		112
#define  TDINFO_MROWNERCONFIG	160
#define  TDINFO_RTMR		208	/* RTMR0..3, 48 bytes each */
#define  TDINFO_SERVTD_HASH	400
#define TDINFO_SIZE		512

static void mr_digest(const void *buf, size_t len, u8 out[48])
{
	SHA384(buf, len, out);
}

/*
 * The TD's TDREPORT_STRUCT: TDINFO with ATTRIBUTES, XFAM, MRTD, the
 * TD_PARAMS measurements and the RTMRs (all zero: tdxsim's guests do not
 * extend them), TEE_TCB_INFO of a module with no SEAM measurements, and
 * REPORTMACSTRUCT with the hashes of both and the caller's REPORTDATA. The
 * MAC is a SHA-384 of the MAC structure's first 224 bytes, cut to 32 bytes:
 * there is no CPU key to make a real one (nothing verifies it but a quote
 * service, which tdxsim does not model).
 */
void mr_tdreport(struct tdx_td *td, const u8 reportdata[TDX_REPORTDATA_SIZE],
		 u8 out[TDX_REPORT_SIZE])
{
	u8 *mac = out + REPORT_MAC, *info = out + REPORT_TDINFO;
	u8 h[48];

	memset(out, 0, TDX_REPORT_SIZE);
	put_unaligned_le64(td->attributes, info + TDINFO_ATTRIBUTES);
	put_unaligned_le64(td->xfam, info + TDINFO_XFAM);
	if (td->mrtd_valid)
		memcpy(info + TDINFO_MRTD, td->mrtd, 48);
	memcpy(info + TDINFO_MRCONFIGID, td->mrconfigid, 48);
	memcpy(info + TDINFO_MROWNER, td->mrowner, 48);
	memcpy(info + TDINFO_MROWNERCONFIG, td->mrownerconfig, 48);

	put_unaligned_le64(1, out + REPORT_TEE_TCB_INFO);	/* VALID */

	mac[MAC_REPORTTYPE] = 0x81;
	mr_digest(out + REPORT_TEE_TCB_INFO, TEE_TCB_INFO_SIZE,
		  mac + MAC_TEE_TCB_INFO_HASH);
	mr_digest(info, TDINFO_SIZE, mac + MAC_TEE_INFO_HASH);
	memcpy(mac + MAC_REPORTDATA, reportdata, TDX_REPORTDATA_SIZE);
	mr_digest(mac, MAC_MAC, h);
	memcpy(mac + MAC_MAC, h, 32);
}
