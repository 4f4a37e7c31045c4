/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TDVF (TD Virtual Firmware) metadata: what a VMM reads from a firmware image
 * to know which guest-physical ranges to populate, from which bytes, and
 * which of them go into the TD's measurement (MRTD).
 *
 * The metadata is found through the OVMF GUIDed table at the end of the image
 * (footer GUID at size - 0x30, table length at size - 0x32, entries walked
 * backwards, each "data | uint16_t len | GUID"), whose TDX-metadata-offset entry
 * gives the distance from the end of the image to the "TDVF" descriptor. The
 * legacy td-shim layout (no GUID table; the uint32_t at size - 0x20 is the file
 * offset of the descriptor) is used only when the footer GUID is absent.
 * The descriptor is preceded by the 16-byte TDX metadata GUID.
 */
#ifndef TDXSIM_TDVF_H
#define TDXSIM_TDVF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Section types of the TDVF design guide and the td-shim specification. */
enum tdxsim_tdvf_section_type {
	TDXSIM_TDVF_SECTION_BFV = 0,		/* boot firmware volume (code) */
	TDXSIM_TDVF_SECTION_CFV = 1,		/* configuration firmware volume */
	TDXSIM_TDVF_SECTION_TD_HOB = 2,	/* hand-off blocks written by the VMM */
	TDXSIM_TDVF_SECTION_TEMP_MEM = 3,	/* stack, heap, mailbox */
	TDXSIM_TDVF_SECTION_PERM_MEM = 4,	/* td-shim: permanent memory */
	TDXSIM_TDVF_SECTION_PAYLOAD = 5,	/* td-shim: kernel image */
	TDXSIM_TDVF_SECTION_PAYLOAD_PARAM = 6,	/* td-shim: kernel parameters */
	TDXSIM_TDVF_SECTION_TD_INFO = 7,	/* td-shim: TD info, inside the BFV */
	TDXSIM_TDVF_SECTION_TD_PARAMS = 8,	/* td-shim: TD params, in the BFV */
	TDXSIM_TDVF_SECTION_NR,
};

/* Section attributes. */
#define TDXSIM_TDVF_ATTR_MR_EXTEND	(1u << 0)	/* measure the contents */
#define TDXSIM_TDVF_ATTR_PAGE_AUG	(1u << 1)	/* not PAGE.ADDed (td-shim) */
#define TDXSIM_TDVF_ATTR_ALL		(TDXSIM_TDVF_ATTR_MR_EXTEND | TDXSIM_TDVF_ATTR_PAGE_AUG)

/* Parse flags. */
#define TDXSIM_TDVF_PARSE_TDSHIM	(1u << 0)	/* accept td-shim types 4..8 */

/*
 * Highest guest-physical address a section may reach: private GPAs lie below
 * the shared bit, bit 51 for the largest GPA width (52) a TD can have. The
 * launch path checks the TD's actual width.
 */
#define TDXSIM_TDVF_GPA_LIMIT		(1ULL << 51)

/* Sizes of the on-image structures. */
#define TDXSIM_TDVF_DESCRIPTOR_SIZE	16
#define TDXSIM_TDVF_SECTION_SIZE	32
#define TDXSIM_TDVF_GUID_SIZE		16

/* Well-known GUIDs, in their on-image (bytes_le) byte order. */
extern const uint8_t tdxsim_tdvf_ovmf_table_footer_guid[TDXSIM_TDVF_GUID_SIZE];
extern const uint8_t tdxsim_tdvf_metadata_offset_guid[TDXSIM_TDVF_GUID_SIZE];
extern const uint8_t tdxsim_tdvf_metadata_guid[TDXSIM_TDVF_GUID_SIZE];

/* How the descriptor was found. */
enum tdxsim_tdvf_layout {
	TDXSIM_TDVF_LAYOUT_OVMF_TABLE,		/* OVMF GUIDed table */
	TDXSIM_TDVF_LAYOUT_TDSHIM_LEGACY,	/* uint32_t file offset at size - 0x20 */
};

/* One section entry, as in the image (host byte order). */
struct tdxsim_tdvf_section {
	uint32_t data_offset;	/* DataOffset: file offset of the raw data */
	uint32_t raw_data_size;	/* RawDataSize */
	uint64_t memory_address;	/* MemoryAddress: GPA */
	uint64_t memory_data_size;	/* MemoryDataSize */
	uint32_t type;		/* enum tdxsim_tdvf_section_type */
	uint32_t attributes;		/* TDXSIM_TDVF_ATTR_* */
};

/* A parsed image. @sections is owned: release it with tdxsim_tdvf_info_free(). */
struct tdxsim_tdvf_info {
	size_t image_size;
	enum tdxsim_tdvf_layout layout;
	uint32_t descriptor_offset;	/* file offset of the "TDVF" signature */
	uint32_t length;		/* descriptor Length */
	uint32_t version;		/* descriptor Version */
	uint32_t nr_sections;
	struct tdxsim_tdvf_section *sections;	/* in metadata order */
};

/*
 * Parse and validate @image (@size bytes). On success fill @out and return 0;
 * on failure return -EINVAL (-ENOMEM), leave @out zeroed and write one
 * message naming what is wrong to @err (@errlen bytes, may be 0; the message
 * is cut to fit). Accepts what QEMU accepts (types 0..3) and checks every
 * bound QEMU does not.
 */
int tdxsim_tdvf_parse(const uint8_t *image, size_t size, struct tdxsim_tdvf_info *out,
	       char *err, size_t errlen);

/* tdxsim_tdvf_parse() with TDXSIM_TDVF_PARSE_* @flags. */
int tdxsim_tdvf_parse_flags(const uint8_t *image, size_t size, unsigned int flags,
		     struct tdxsim_tdvf_info *out, char *err, size_t errlen);

/* Release what tdxsim_tdvf_parse() allocated; @info may be zeroed or already freed. */
void tdxsim_tdvf_info_free(struct tdxsim_tdvf_info *info);

/* "BFV", "TEMP_MEM", ...; "UNKNOWN" for a type outside 0..8. */
const char *tdxsim_tdvf_section_type_name(uint32_t type);

/*
 * Write the attribute names of @attr ("MR.EXTEND|PAGE.AUG", "-" for none,
 * unknown bits in hex) into @buf; returns @buf.
 */
char *tdxsim_tdvf_attr_names(uint32_t attr, char *buf, size_t len);

/*
 * Whether section @s is loaded into guest memory (td-shim's TD_INFO and
 * TD_PARAMS only point into the BFV and are not).
 */
bool tdxsim_tdvf_section_is_mapped(const struct tdxsim_tdvf_section *s);

/*
 * Copy the initial contents of 4 KiB page @page of section @idx into @buf:
 * the image bytes from DataOffset for the first RawDataSize bytes, zeroes
 * beyond (TD_HOB/TEMP_MEM pages are all zeroes; the VMM writes the HOB).
 * Returns 0, or -EINVAL for an index or page out of range.
 */
int tdxsim_tdvf_section_page(const struct tdxsim_tdvf_info *info, const uint8_t *image,
		      uint32_t idx, uint64_t page, uint8_t *buf);

/* Number of TDH.MEM.PAGE.ADD and TDH.MR.EXTEND calls loading @info needs. */
void tdxsim_tdvf_measure_counts(const struct tdxsim_tdvf_info *info, uint64_t *page_adds,
			 uint64_t *mr_extends);

/*
 * Read the file @path into a new buffer (*@image, freed by the caller).
 * Returns 0 or a negative errno with a message in @err.
 */
int tdxsim_tdvf_load_file(const char *path, uint8_t **image, size_t *size,
		   char *err, size_t errlen);

/*
 * Map the file @path read-only (*@image, page aligned, released with
 * tdxsim_tdvf_unmap_file()): the VMM then loads the firmware's pages
 * without copying them. Returns 0 or a negative errno with a message in
 * @err.
 */
int tdxsim_tdvf_map_file(const char *path, uint8_t **image, size_t *size,
			 char *err, size_t errlen);
void tdxsim_tdvf_unmap_file(uint8_t *image, size_t size);

/*
 * Generate tdxsim's built-in TDVF image: a small, deterministic image with
 * OVMF's section layout (BFV with MR.EXTEND, CFV, TD_HOB, TEMP_MEM) and a
 * correct OVMF GUID table. *@image is malloc'ed (page aligned); the caller
 * frees it.
 */
int tdxsim_tdvf_builtin_image(uint8_t **image, size_t *size);

#endif /* TDXSIM_TDVF_H */
