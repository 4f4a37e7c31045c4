// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reference MRTD calculator (tests only), written from the TDX module
 * specification's description of the measurement:
 *
 *   TDH.MEM.PAGE.ADD(gpa): one 128-byte buffer, "MEM.PAGE.ADD" at byte 0,
 *                          the GPA (LE) at byte 16, zeroes elsewhere;
 *   TDH.MR.EXTEND(gpa):    one 128-byte buffer, "MR.EXTEND" at byte 0, the
 *                          chunk's GPA (LE) at byte 16, zeroes elsewhere,
 *                          then the 256 bytes of the chunk.
 *
 * It reads page contents from the image itself (raw data, zero-filled past
 * RawDataSize; TD_HOB from @hob) and does not call the parser's helpers
 * beyond taking the section table.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "mrtd_ref.h"
#include "ulib/compiler.h"
#include "ulib/unaligned.h"

#define EXT_BUF		128
#define CHUNK		256
#define PG		4096

struct ref_ctx {
	EVP_MD_CTX *md;
	const struct tdxsim_tdvf_info *info;
	const u8 *image;
	const u8 *hob;
	size_t hob_len;
	struct mrtd_ref_stats st;
	int err;
};

static void ref_hash(struct ref_ctx *c, const void *p, size_t len)
{
	if (!c->err && EVP_DigestUpdate(c->md, p, len) != 1)
		c->err = -EIO;
	c->st.bytes += len;
}

static void ref_page_add(struct ref_ctx *c, u64 gpa)
{
	u8 buf[EXT_BUF] = { 0 };

	memcpy(buf, "MEM.PAGE.ADD", 12);
	put_unaligned_le64(gpa, buf + 16);
	ref_hash(c, buf, sizeof(buf));
	c->st.page_adds++;
}

/* Byte @off of section @s as loaded into the TD. */
static u8 ref_byte(struct ref_ctx *c, const struct tdxsim_tdvf_section *s, u64 off)
{
	if (s->type == TDXSIM_TDVF_SECTION_TD_HOB)
		return c->hob && off < c->hob_len ? c->hob[off] : 0;
	if (off < s->raw_data_size)
		return c->image[s->data_offset + off];
	return 0;
}

static void ref_mr_extend(struct ref_ctx *c, const struct tdxsim_tdvf_section *s,
			  u64 off)
{
	u8 buf[EXT_BUF] = { 0 }, data[CHUNK];
	int i;

	memcpy(buf, "MR.EXTEND", 9);
	put_unaligned_le64(s->memory_address + off, buf + 16);
	ref_hash(c, buf, sizeof(buf));
	for (i = 0; i < CHUNK; i++)
		data[i] = ref_byte(c, s, off + i);
	ref_hash(c, data, sizeof(data));
	c->st.mr_extends++;
}

static void ref_extend_page(struct ref_ctx *c, const struct tdxsim_tdvf_section *s,
			    u64 page)
{
	u64 off;

	for (off = 0; off < PG; off += CHUNK)
		ref_mr_extend(c, s, page * PG + off);
}

int mrtd_ref_compute(const struct tdxsim_tdvf_info *info, const u8 *image,
		     const u8 *hob, size_t hob_len, enum mrtd_ref_order order,
		     u8 mrtd[MRTD_SIZE], struct mrtd_ref_stats *stats)
{
	struct ref_ctx c = {
		.info = info, .image = image, .hob = hob, .hob_len = hob_len,
	};
	unsigned int len = 0;
	u64 p, pages;
	u32 i;

	c.md = EVP_MD_CTX_new();
	if (!c.md || EVP_DigestInit_ex(c.md, EVP_sha384(), NULL) != 1) {
		EVP_MD_CTX_free(c.md);
		return -EIO;
	}
	for (i = 0; i < info->nr_sections; i++) {
		const struct tdxsim_tdvf_section *s = &info->sections[i];
		bool add = !(s->attributes & TDXSIM_TDVF_ATTR_PAGE_AUG);
		bool extend = s->attributes & TDXSIM_TDVF_ATTR_MR_EXTEND;

		/* td-shim TD_INFO/TD_PARAMS are not loaded. */
		if (s->type == TDXSIM_TDVF_SECTION_TD_INFO ||
		    s->type == TDXSIM_TDVF_SECTION_TD_PARAMS)
			continue;
		pages = s->memory_data_size / PG;
		if (order == MRTD_REF_SINGLE_PASS) {
			for (p = 0; p < pages; p++) {
				if (add)
					ref_page_add(&c, s->memory_address +
						     p * PG);
				if (extend)
					ref_extend_page(&c, s, p);
			}
		} else {
			for (p = 0; add && p < pages; p++)
				ref_page_add(&c, s->memory_address + p * PG);
			for (p = 0; extend && p < pages; p++)
				ref_extend_page(&c, s, p);
		}
	}
	if (!c.err && (EVP_DigestFinal_ex(c.md, mrtd, &len) != 1 ||
		       len != MRTD_SIZE))
		c.err = -EIO;
	EVP_MD_CTX_free(c.md);
	if (stats)
		*stats = c.st;
	return c.err;
}

char *mrtd_ref_hex(const u8 mrtd[MRTD_SIZE], char *buf)
{
	int i;

	for (i = 0; i < MRTD_SIZE; i++)
		sprintf(buf + 2 * i, "%02x", mrtd[i]);
	return buf;
}
