/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TDVF (TD Virtual Firmware) metadata: what a VMM reads from a firmware image
 * to know which guest-physical ranges to populate, from which bytes, and
 * which of them go into the TD's measurement (MRTD).
 *
 * The metadata is found through the OVMF GUIDed table at the end of the image
 * (footer GUID at size - 0x30, table length at size - 0x32, entries walked
 * backwards, each "data | u16 len | GUID"), whose TDX-metadata-offset entry
 * gives the distance from the end of the image to the "TDVF" descriptor. The
 * legacy td-shim layout (no GUID table; the u32 at size - 0x20 is the file
 * offset of the descriptor) is used only when the footer GUID is absent.
 * The descriptor is preceded by the 16-byte TDX metadata GUID.
 */
#ifndef TDXSIM_VMM_TDVF_H
#define TDXSIM_VMM_TDVF_H

#include <stddef.h>

#include "base/compiler.h"

/* Section types of the TDVF design guide and the td-shim specification. */
enum tdvf_section_type {
	TDVF_SECTION_BFV = 0,		/* boot firmware volume (code) */
	TDVF_SECTION_CFV = 1,		/* configuration firmware volume */
	TDVF_SECTION_TD_HOB = 2,	/* hand-off blocks written by the VMM */
	TDVF_SECTION_TEMP_MEM = 3,	/* stack, heap, mailbox */
	TDVF_SECTION_PERM_MEM = 4,	/* td-shim: permanent memory */
	TDVF_SECTION_PAYLOAD = 5,	/* td-shim: kernel image */
	TDVF_SECTION_PAYLOAD_PARAM = 6,	/* td-shim: kernel parameters */
	TDVF_SECTION_TD_INFO = 7,	/* td-shim: TD info, inside the BFV */
	TDVF_SECTION_TD_PARAMS = 8,	/* td-shim: TD params, in the BFV */
	TDVF_SECTION_NR,
};

/* Section attributes. */
#define TDVF_ATTR_MR_EXTEND	BIT(0)	/* measure the contents */
#define TDVF_ATTR_PAGE_AUG	BIT(1)	/* not PAGE.ADDed (td-shim) */
#define TDVF_ATTR_ALL		(TDVF_ATTR_MR_EXTEND | TDVF_ATTR_PAGE_AUG)

/* Parse flags. */
#define TDVF_PARSE_TDSHIM	BIT(0)	/* accept td-shim types 4..8 */

/*
 * Highest guest-physical address a section may reach: private GPAs lie below
 * the shared bit, bit 51 for the largest GPA width (52) a TD can have. The
 * launch path checks the TD's actual width.
 */
#define TDVF_GPA_LIMIT		(1ULL << 51)

/* Sizes of the on-image structures. */
#define TDVF_DESCRIPTOR_SIZE	16
#define TDVF_SECTION_SIZE	32
#define TDVF_GUID_SIZE		16

/* Well-known GUIDs, in their on-image (bytes_le) byte order. */
extern const u8 tdvf_ovmf_table_footer_guid[TDVF_GUID_SIZE];
extern const u8 tdvf_metadata_offset_guid[TDVF_GUID_SIZE];
extern const u8 tdvf_metadata_guid[TDVF_GUID_SIZE];

/* How the descriptor was found. */
enum tdvf_layout {
	TDVF_LAYOUT_OVMF_TABLE,		/* OVMF GUIDed table */
	TDVF_LAYOUT_TDSHIM_LEGACY,	/* u32 file offset at size - 0x20 */
};

/* One section entry, as in the image (host byte order). */
struct tdvf_section {
	u32 data_offset;	/* DataOffset: file offset of the raw data */
	u32 raw_data_size;	/* RawDataSize */
	u64 memory_address;	/* MemoryAddress: GPA */
	u64 memory_data_size;	/* MemoryDataSize */
	u32 type;		/* enum tdvf_section_type */
	u32 attributes;		/* TDVF_ATTR_* */
};

/* A parsed image. @sections is owned: release it with tdvf_info_free(). */
struct tdvf_info {
	size_t image_size;
	enum tdvf_layout layout;
	u32 descriptor_offset;	/* file offset of the "TDVF" signature */
	u32 length;		/* descriptor Length */
	u32 version;		/* descriptor Version */
	u32 nr_sections;
	struct tdvf_section *sections;	/* in metadata order */
};

/*
 * Parse and validate @image (@size bytes). On success fill @out and return 0;
 * on failure return -EINVAL (-ENOMEM) and write one message naming what is
 * wrong to @err (@errlen bytes, may be 0). Accepts what QEMU accepts (types
 * 0..3) and checks every bound QEMU does not.
 */
int tdvf_parse(const u8 *image, size_t size, struct tdvf_info *out,
	       char *err, size_t errlen);

/* tdvf_parse() with TDVF_PARSE_* @flags. */
int tdvf_parse_flags(const u8 *image, size_t size, unsigned int flags,
		     struct tdvf_info *out, char *err, size_t errlen);

/* Release what tdvf_parse() allocated; @info may be zeroed or already freed. */
void tdvf_info_free(struct tdvf_info *info);

/* "BFV", "TEMP_MEM", ...; "UNKNOWN" for a type outside 0..8. */
const char *tdvf_section_type_name(u32 type);

/*
 * Write the attribute names of @attr ("MR.EXTEND|PAGE.AUG", "-" for none,
 * unknown bits in hex) into @buf; returns @buf.
 */
char *tdvf_attr_names(u32 attr, char *buf, size_t len);

/*
 * Whether section @s is loaded into guest memory (td-shim's TD_INFO and
 * TD_PARAMS only point into the BFV and are not).
 */
bool tdvf_section_is_mapped(const struct tdvf_section *s);

/*
 * Copy the initial contents of 4 KiB page @page of section @idx into @buf:
 * the image bytes from DataOffset for the first RawDataSize bytes, zeroes
 * beyond (TD_HOB/TEMP_MEM pages are all zeroes; the VMM writes the HOB).
 * Returns 0, or -EINVAL for an index or page out of range.
 */
int tdvf_section_page(const struct tdvf_info *info, const u8 *image,
		      u32 idx, u64 page, u8 *buf);

/* Number of TDH.MEM.PAGE.ADD and TDH.MR.EXTEND calls loading @info needs. */
void tdvf_measure_counts(const struct tdvf_info *info, u64 *page_adds,
			 u64 *mr_extends);

/*
 * Read the file @path into a new buffer (*@image, freed by the caller).
 * Returns 0 or a negative errno with a message in @err.
 */
int tdvf_load_file(const char *path, u8 **image, size_t *size,
		   char *err, size_t errlen);

/*
 * Generate tdxsim's built-in TDVF image: a small, deterministic image with
 * OVMF's section layout (BFV with MR.EXTEND, CFV, TD_HOB, TEMP_MEM) and a
 * correct OVMF GUID table. *@image is malloc'ed; the caller frees it.
 */
int tdvf_builtin_image(u8 **image, size_t *size);

#endif /* TDXSIM_VMM_TDVF_H */
