// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tdxsim's built-in TDVF image, generated in memory so that a demo needs no
 * firmware file.
 *
 * It has OVMF's shape at a quarter of the size: the image is mapped just
 * below 4 GiB, the CFV (a placeholder variable store) at its start and the
 * BFV (measured, MR.EXTEND) over the rest, with the TDX metadata and the
 * OVMF GUIDed table at the end of the BFV as in OVMF. TD_HOB and TEMP_MEM
 * sit where OVMF puts them. The BFV's bytes are a header string followed by
 * a pseudo-random stream from a fixed seed, so the image (and its MRTD) is
 * the same on every run and recognisable in a memory dump. It is not code:
 * the reset vector is "jmp $".
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tdxsim/tdvf.h"
#include "ulib/compiler.h"
#include "ulib/unaligned.h"

#define FW_SIZE			0x40000UL	/* 256 KiB */
#define FW_BASE			(0x100000000ULL - FW_SIZE)
#define FW_CFV_SIZE		0x10000UL
#define FW_BFV_OFFSET		FW_CFV_SIZE
#define FW_BFV_SIZE		(FW_SIZE - FW_CFV_SIZE)
/* The descriptor is at size - 0x800 (OVMF: size - 0x840). */
#define FW_DESC_FROM_END	0x800UL
#define FW_SEED			0x7464787369d5eedULL

#define FW_TABLE_END		0x20
#define FW_ENTRY_HDR		18
#define FW_OFFSET_ENTRY_LEN	(4 + FW_ENTRY_HDR)
#define FW_TABLE_LEN		(FW_OFFSET_ENTRY_LEN + FW_ENTRY_HDR)

static const char fw_bfv_header[] =
	"tdxsim built-in TDVF: BFV (measured, MR.EXTEND). Not firmware code: "
	"a pseudo-random stream from a fixed seed follows.\n";
static const char fw_cfv_header[] =
	"tdxsim built-in TDVF: CFV (variable store placeholder, not measured)\n";

static const struct tdxsim_tdvf_section fw_sections[] = {
	{ FW_BFV_OFFSET, FW_BFV_SIZE, FW_BASE + FW_BFV_OFFSET, FW_BFV_SIZE,
	  TDXSIM_TDVF_SECTION_BFV, TDXSIM_TDVF_ATTR_MR_EXTEND },
	{ 0, FW_CFV_SIZE, FW_BASE, FW_CFV_SIZE, TDXSIM_TDVF_SECTION_CFV, 0 },
	{ 0, 0, 0x810000, 0x10000, TDXSIM_TDVF_SECTION_TEMP_MEM, 0 },
	{ 0, 0, 0x80b000, 0x2000, TDXSIM_TDVF_SECTION_TEMP_MEM, 0 },
	{ 0, 0, 0x809000, 0x2000, TDXSIM_TDVF_SECTION_TD_HOB, 0 },
	{ 0, 0, 0x800000, 0x6000, TDXSIM_TDVF_SECTION_TEMP_MEM, 0 },
};

/* splitmix64: a fixed, portable stream. */
static u64 fw_next(u64 *state)
{
	u64 z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

int tdxsim_tdvf_builtin_image(u8 **image, size_t *size)
{
	size_t desc = FW_SIZE - FW_DESC_FROM_END, i, pos;
	u64 state = FW_SEED;
	struct tdxsim_tdvf_info info;
	u8 *img, *e;

	img = aligned_alloc(PAGE_SIZE, FW_SIZE);	/* the VMM's source, as is */
	if (!img)
		return -ENOMEM;

	/* CFV: header, then erased flash. */
	memset(img, 0xff, FW_CFV_SIZE);
	memcpy(img, fw_cfv_header, sizeof(fw_cfv_header) - 1);

	/* BFV: header, then the stream up to the metadata. */
	memcpy(img + FW_BFV_OFFSET, fw_bfv_header, sizeof(fw_bfv_header) - 1);
	for (pos = FW_BFV_OFFSET + sizeof(fw_bfv_header) - 1; pos < FW_SIZE;
	     pos += 8) {
		u64 v = fw_next(&state);

		memcpy(img + pos, &v, min_t(size_t, 8, FW_SIZE - pos));
	}

	/* TDX metadata GUID, then the descriptor and its sections. */
	memcpy(img + desc - TDXSIM_TDVF_GUID_SIZE, tdxsim_tdvf_metadata_guid,
	       TDXSIM_TDVF_GUID_SIZE);
	memcpy(img + desc, "TDVF", 4);
	put_unaligned_le32(TDXSIM_TDVF_DESCRIPTOR_SIZE +
		 ARRAY_SIZE(fw_sections) * TDXSIM_TDVF_SECTION_SIZE, img + desc + 4);
	put_unaligned_le32(1, img + desc + 8);
	put_unaligned_le32(ARRAY_SIZE(fw_sections), img + desc + 12);
	for (i = 0; i < ARRAY_SIZE(fw_sections); i++) {
		const struct tdxsim_tdvf_section *s = &fw_sections[i];

		e = img + desc + TDXSIM_TDVF_DESCRIPTOR_SIZE + i * TDXSIM_TDVF_SECTION_SIZE;
		put_unaligned_le32(s->data_offset, e);
		put_unaligned_le32(s->raw_data_size, e + 4);
		put_unaligned_le64(s->memory_address, e + 8);
		put_unaligned_le64(s->memory_data_size, e + 16);
		put_unaligned_le32(s->type, e + 24);
		put_unaligned_le32(s->attributes, e + 28);
	}

	/*
	 * OVMF GUIDed table, ending at size - 0x20: the TDX metadata offset
	 * entry, then the footer entry holding the table's total length.
	 */
	e = img + FW_SIZE - FW_TABLE_END - FW_TABLE_LEN;
	put_unaligned_le32(FW_DESC_FROM_END, e);
	put_unaligned_le16(FW_OFFSET_ENTRY_LEN, e + 4);
	memcpy(e + 6, tdxsim_tdvf_metadata_offset_guid, TDXSIM_TDVF_GUID_SIZE);
	put_unaligned_le16(FW_TABLE_LEN, e + FW_OFFSET_ENTRY_LEN);
	memcpy(e + FW_OFFSET_ENTRY_LEN + 2, tdxsim_tdvf_ovmf_table_footer_guid,
	       TDXSIM_TDVF_GUID_SIZE);

	/* Reset vector area: nops, and "jmp $" at 0xfffffff0. */
	memset(img + FW_SIZE - FW_TABLE_END, 0x90, FW_TABLE_END);
	img[FW_SIZE - 0x10] = 0xeb;
	img[FW_SIZE - 0x0f] = 0xfe;

	if (tdxsim_tdvf_parse(img, FW_SIZE, &info, NULL, 0)) {
		free(img);
		return -EINVAL;
	}
	tdxsim_tdvf_info_free(&info);
	*image = img;
	*size = FW_SIZE;
	return 0;
}
