// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TDVF metadata parser.
 *
 * It accepts what QEMU's hw/i386/tdvf.c accepts (signature, version 1, at
 * least two sections, Length == 16 + 32n, 4 KiB aligned address and size,
 * MemoryDataSize >= RawDataSize, BFV/CFV with data, TD_HOB/TEMP_MEM without,
 * no other types) and also checks every bound QEMU leaves to luck: the GUID
 * table and its entries lie inside the image, the descriptor and its
 * sections lie inside the image, each section's data lies inside the image,
 * no length computation wraps, and no two sections overlap in guest memory.
 * A malformed image gets one message naming the first thing that is wrong.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tdxsim/tdvf.h"
#include "ulib/compiler.h"
#include "ulib/unaligned.h"

/* 96b582de-1fb2-45f7-baea-a366c55a082d */
const u8 tdxsim_tdvf_ovmf_table_footer_guid[TDXSIM_TDVF_GUID_SIZE] = {
	0xde, 0x82, 0xb5, 0x96, 0xb2, 0x1f, 0xf7, 0x45,
	0xba, 0xea, 0xa3, 0x66, 0xc5, 0x5a, 0x08, 0x2d,
};

/* e47a6535-984a-4798-865e-4685a7bf8ec2 */
const u8 tdxsim_tdvf_metadata_offset_guid[TDXSIM_TDVF_GUID_SIZE] = {
	0x35, 0x65, 0x7a, 0xe4, 0x4a, 0x98, 0x98, 0x47,
	0x86, 0x5e, 0x46, 0x85, 0xa7, 0xbf, 0x8e, 0xc2,
};

/* e9eaf9f3-168e-44d5-a8eb-7f4d8738f6ae */
const u8 tdxsim_tdvf_metadata_guid[TDXSIM_TDVF_GUID_SIZE] = {
	0xf3, 0xf9, 0xea, 0xe9, 0x8e, 0x16, 0xd5, 0x44,
	0xa8, 0xeb, 0x7f, 0x4d, 0x87, 0x38, 0xf6, 0xae,
};

#define TDXSIM_TDVF_SIGNATURE		0x46564454	/* "TDVF" little-endian */
#define TDXSIM_TDVF_VERSION		1

/* The last 0x20 bytes are the reset vector; the table ends right before. */
#define OVMF_TABLE_END		0x20
#define OVMF_FOOTER_GUID_OFF	0x30	/* from the end of the image */
#define OVMF_FOOTER_LEN_OFF	0x32
#define OVMF_ENTRY_HDR		(2 + TDXSIM_TDVF_GUID_SIZE)
#define TDSHIM_OFFSET_OFF	0x20

/* Images larger than this are not firmware (offsets are 32-bit anyway). */
#define TDXSIM_TDVF_MAX_IMAGE_SIZE	0xffffffffULL
#define TDXSIM_TDVF_MAX_FILE_SIZE	(256ULL << 20)

static const char *const tdxsim_tdvf_type_names[TDXSIM_TDVF_SECTION_NR] = {
	[TDXSIM_TDVF_SECTION_BFV] = "BFV",
	[TDXSIM_TDVF_SECTION_CFV] = "CFV",
	[TDXSIM_TDVF_SECTION_TD_HOB] = "TD_HOB",
	[TDXSIM_TDVF_SECTION_TEMP_MEM] = "TEMP_MEM",
	[TDXSIM_TDVF_SECTION_PERM_MEM] = "PERM_MEM",
	[TDXSIM_TDVF_SECTION_PAYLOAD] = "PAYLOAD",
	[TDXSIM_TDVF_SECTION_PAYLOAD_PARAM] = "PAYLOAD_PARAM",
	[TDXSIM_TDVF_SECTION_TD_INFO] = "TD_INFO",
	[TDXSIM_TDVF_SECTION_TD_PARAMS] = "TD_PARAMS",
};

const char *tdxsim_tdvf_section_type_name(u32 type)
{
	return type < TDXSIM_TDVF_SECTION_NR ? tdxsim_tdvf_type_names[type] : "UNKNOWN";
}

char *tdxsim_tdvf_attr_names(u32 attr, char *buf, size_t len)
{
	size_t off = 0;
	int n;

	if (!len)
		return buf;
	buf[0] = '\0';
	if (!attr) {
		snprintf(buf, len, "-");
		return buf;
	}
	if (attr & TDXSIM_TDVF_ATTR_MR_EXTEND) {
		n = snprintf(buf + off, len - off, "MR.EXTEND");
		off = min_t(size_t, len - 1, off + (size_t)n);
	}
	if (attr & TDXSIM_TDVF_ATTR_PAGE_AUG) {
		n = snprintf(buf + off, len - off, "%sPAGE.AUG",
			     off ? "|" : "");
		off = min_t(size_t, len - 1, off + (size_t)n);
	}
	if (attr & ~(u32)TDXSIM_TDVF_ATTR_ALL)
		snprintf(buf + off, len - off, "%s0x%x", off ? "|" : "",
			 attr & ~(u32)TDXSIM_TDVF_ATTR_ALL);
	return buf;
}

bool tdxsim_tdvf_section_is_mapped(const struct tdxsim_tdvf_section *s)
{
	return s->type != TDXSIM_TDVF_SECTION_TD_INFO &&
	       s->type != TDXSIM_TDVF_SECTION_TD_PARAMS;
}

static void guid_str(const u8 *g, char *buf, size_t len)
{
	snprintf(buf, len,
		 "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 get_unaligned_le32(g), get_unaligned_le16(g + 4),
		 get_unaligned_le16(g + 6), g[8], g[9],
		 g[10], g[11], g[12], g[13], g[14], g[15]);
}

struct tdxsim_tdvf_parser {
	const u8 *image;
	size_t size;
	unsigned int flags;
	char *err;
	size_t errlen;
};

static __printf(2, 3) int tdxsim_tdvf_fail(struct tdxsim_tdvf_parser *p, const char *fmt,
				    ...)
{
	va_list ap;
	int n;

	if (p->errlen) {
		n = snprintf(p->err, p->errlen, "TDVF: ");
		if (n >= 0 && (size_t)n < p->errlen) {
			va_start(ap, fmt);
			vsnprintf(p->err + n, p->errlen - n, fmt, ap);
			va_end(ap);
		}
	}
	return -EINVAL;
}

/*
 * Walk the OVMF GUIDed table backwards from its footer, checking that every
 * entry lies inside the table, and return the TDX metadata offset it holds.
 */
static int tdxsim_tdvf_find_ovmf_table(struct tdxsim_tdvf_parser *p, u32 *desc_off)
{
	size_t size = p->size, table_start, pos, len, datalen;
	const u8 *img = p->image;
	bool found = false;
	char guid[40];
	u32 off = 0;
	u16 tlen;

	if (size < OVMF_FOOTER_LEN_OFF)
		return tdxsim_tdvf_fail(p, "image of %zu bytes is too small for the OVMF GUID table footer",
				 size);
	tlen = get_unaligned_le16(img + size - OVMF_FOOTER_LEN_OFF);
	if (tlen < OVMF_ENTRY_HDR)
		return tdxsim_tdvf_fail(p, "OVMF GUID table length %u (u16 at image size - 0x32) is smaller than its own 18-byte footer entry",
				 tlen);
	if (tlen > size - OVMF_TABLE_END)
		return tdxsim_tdvf_fail(p, "OVMF GUID table length %u (u16 at image size - 0x32) runs past the start of the 0x%zx-byte image",
				 tlen, size);
	table_start = size - OVMF_TABLE_END - tlen;

	/* The footer entry is "entries | u16 total | footer GUID". */
	pos = size - OVMF_FOOTER_LEN_OFF;
	while (pos > table_start) {
		if (pos - table_start < OVMF_ENTRY_HDR)
			return tdxsim_tdvf_fail(p, "OVMF GUID table entry ending at file offset 0x%zx: only %zu bytes left before the table start 0x%zx, less than an 18-byte entry header",
					 pos, pos - table_start, table_start);
		len = get_unaligned_le16(img + pos - OVMF_ENTRY_HDR);
		guid_str(img + pos - TDXSIM_TDVF_GUID_SIZE, guid, sizeof(guid));
		if (len < OVMF_ENTRY_HDR)
			return tdxsim_tdvf_fail(p, "OVMF GUID table entry %s at file offset 0x%zx: length %zu is smaller than its 18-byte header",
					 guid, pos - TDXSIM_TDVF_GUID_SIZE, len);
		if (len > pos - table_start)
			return tdxsim_tdvf_fail(p, "OVMF GUID table entry %s at file offset 0x%zx: length %zu runs past the table start 0x%zx",
					 guid, pos - TDXSIM_TDVF_GUID_SIZE, len,
					 table_start);
		if (!found && !memcmp(img + pos - TDXSIM_TDVF_GUID_SIZE,
				      tdxsim_tdvf_metadata_offset_guid,
				      TDXSIM_TDVF_GUID_SIZE)) {
			datalen = len - OVMF_ENTRY_HDR;
			if (datalen < 4)
				return tdxsim_tdvf_fail(p, "TDX metadata offset entry in the OVMF GUID table holds %zu bytes, not a 4-byte offset",
						 datalen);
			off = get_unaligned_le32(img + pos - len);
			found = true;
		}
		pos -= len;
	}
	if (!found) {
		guid_str(tdxsim_tdvf_metadata_offset_guid, guid, sizeof(guid));
		return tdxsim_tdvf_fail(p, "the OVMF GUID table has no TDX metadata offset entry (%s): not a TDX firmware image",
				 guid);
	}
	if (off > size || size - off < TDXSIM_TDVF_GUID_SIZE)
		return tdxsim_tdvf_fail(p, "TDX metadata offset 0x%x (from the end of the 0x%zx-byte image) points outside the image",
				 off, size);
	*desc_off = (u32)(size - off);
	return 0;
}

/* The legacy td-shim layout: the u32 at size - 0x20 is the file offset. */
static int tdxsim_tdvf_find_tdshim_legacy(struct tdxsim_tdvf_parser *p, u32 *desc_off)
{
	char guid[40];
	u32 off;

	if (p->size < TDSHIM_OFFSET_OFF)
		return tdxsim_tdvf_fail(p, "image of %zu bytes is too small to hold TDVF metadata",
				 p->size);
	off = get_unaligned_le32(p->image + p->size - TDSHIM_OFFSET_OFF);
	guid_str(tdxsim_tdvf_ovmf_table_footer_guid, guid, sizeof(guid));
	if (off < TDXSIM_TDVF_GUID_SIZE || off > p->size - TDXSIM_TDVF_GUID_SIZE)
		return tdxsim_tdvf_fail(p, "no OVMF GUID table (footer GUID %s not at image size - 0x30) and the td-shim metadata offset 0x%x at image size - 0x20 is outside the 0x%zx-byte image: not a TDX firmware image",
				 guid, off, p->size);
	if (memcmp(p->image + off - TDXSIM_TDVF_GUID_SIZE, tdxsim_tdvf_metadata_guid,
		   TDXSIM_TDVF_GUID_SIZE))
		return tdxsim_tdvf_fail(p, "no OVMF GUID table (footer GUID %s not at image size - 0x30) and no TDX metadata GUID before the td-shim metadata offset 0x%x at image size - 0x20: not a TDX firmware image",
				 guid, off);
	*desc_off = off;
	return 0;
}

static int tdxsim_tdvf_fail_section(struct tdxsim_tdvf_parser *p, u32 i,
			     const struct tdxsim_tdvf_section *s, const char *fmt,
			     ...) __printf(4, 5);

static int tdxsim_tdvf_fail_section(struct tdxsim_tdvf_parser *p, u32 i,
			     const struct tdxsim_tdvf_section *s, const char *fmt,
			     ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return tdxsim_tdvf_fail(p, "section %u (%s) at 0x%llx size 0x%llx: %s", i,
			 tdxsim_tdvf_section_type_name(s->type),
			 (unsigned long long)s->memory_address,
			 (unsigned long long)s->memory_data_size, what);
}

static bool tdxsim_tdvf_type_has_data(u32 type)
{
	return type == TDXSIM_TDVF_SECTION_BFV || type == TDXSIM_TDVF_SECTION_CFV ||
	       type == TDXSIM_TDVF_SECTION_TD_INFO || type == TDXSIM_TDVF_SECTION_TD_PARAMS;
}

static bool tdxsim_tdvf_type_no_data(u32 type)
{
	return type == TDXSIM_TDVF_SECTION_TD_HOB || type == TDXSIM_TDVF_SECTION_TEMP_MEM ||
	       type == TDXSIM_TDVF_SECTION_PERM_MEM;
}

static int tdxsim_tdvf_check_section(struct tdxsim_tdvf_parser *p, u32 i,
			      const struct tdxsim_tdvf_section *s)
{
	u64 end;

	if (s->type >= TDXSIM_TDVF_SECTION_NR)
		return tdxsim_tdvf_fail(p, "section %u has unknown type %u (known: 0 BFV .. 8 TD_PARAMS)",
				 i, s->type);
	if (s->type > TDXSIM_TDVF_SECTION_TEMP_MEM && !(p->flags & TDXSIM_TDVF_PARSE_TDSHIM))
		return tdxsim_tdvf_fail_section(p, i, s,
					 "type %u (%s) is a td-shim section type, which a QEMU TD launch does not accept (only BFV, CFV, TD_HOB, TEMP_MEM)",
					 s->type,
					 tdxsim_tdvf_section_type_name(s->type));
	if (s->attributes & ~(u32)TDXSIM_TDVF_ATTR_ALL)
		return tdxsim_tdvf_fail_section(p, i, s,
					 "reserved attribute bits 0x%x set",
					 s->attributes & ~(u32)TDXSIM_TDVF_ATTR_ALL);
	if ((s->attributes & TDXSIM_TDVF_ATTR_ALL) == TDXSIM_TDVF_ATTR_ALL)
		return tdxsim_tdvf_fail_section(p, i, s,
					 "attributes MR.EXTEND and PAGE.AUG together (a page that is not PAGE.ADDed cannot be measured)");

	if (tdxsim_tdvf_section_is_mapped(s)) {
		if (!IS_ALIGNED(s->memory_address, SZ_4K))
			return tdxsim_tdvf_fail_section(p, i, s,
						 "MemoryAddress not 4 KiB aligned");
		if (!IS_ALIGNED(s->memory_data_size, SZ_4K))
			return tdxsim_tdvf_fail_section(p, i, s,
						 "MemoryDataSize not 4 KiB aligned");
		if (!s->memory_data_size)
			return tdxsim_tdvf_fail_section(p, i, s,
						 "MemoryDataSize is 0");
		if (__builtin_add_overflow(s->memory_address,
					   s->memory_data_size, &end))
			return tdxsim_tdvf_fail_section(p, i, s,
						 "MemoryAddress + MemoryDataSize overflows 64 bits");
		if (end > TDXSIM_TDVF_GPA_LIMIT)
			return tdxsim_tdvf_fail_section(p, i, s,
						 "ends at 0x%llx, above the highest private GPA 0x%llx",
						 (unsigned long long)end,
						 TDXSIM_TDVF_GPA_LIMIT);
		if (s->raw_data_size > s->memory_data_size)
			return tdxsim_tdvf_fail_section(p, i, s,
						 "RawDataSize 0x%x exceeds MemoryDataSize",
						 s->raw_data_size);
	} else if (s->memory_address || s->memory_data_size) {
		return tdxsim_tdvf_fail_section(p, i, s,
					 "a %s section is not loaded into memory: MemoryAddress and MemoryDataSize must be 0",
					 tdxsim_tdvf_section_type_name(s->type));
	}

	if (tdxsim_tdvf_type_has_data(s->type) && !s->raw_data_size)
		return tdxsim_tdvf_fail_section(p, i, s,
					 "RawDataSize is 0, but a %s section's contents come from the image",
					 tdxsim_tdvf_section_type_name(s->type));
	if (tdxsim_tdvf_type_no_data(s->type) && s->raw_data_size)
		return tdxsim_tdvf_fail_section(p, i, s,
					 "RawDataSize 0x%x is not 0, but a %s section takes no data from the image",
					 s->raw_data_size,
					 tdxsim_tdvf_section_type_name(s->type));
	if (s->raw_data_size && (s->attributes & TDXSIM_TDVF_ATTR_PAGE_AUG))
		return tdxsim_tdvf_fail_section(p, i, s,
					 "PAGE.AUG on a section with data from the image (an AUGed page starts zeroed)");
	if (s->raw_data_size &&
	    (u64)s->data_offset + s->raw_data_size > p->size)
		return tdxsim_tdvf_fail_section(p, i, s,
					 "data at file offset 0x%x + RawDataSize 0x%x runs past the end of the 0x%zx-byte image (truncated image, or a part such as OVMF_CODE.fd of a firmware whose metadata describes the combined image)",
					 s->data_offset, s->raw_data_size,
					 p->size);
	return 0;
}

struct tdxsim_tdvf_range {
	u64 start;
	u64 size;
	u32 idx;
};

static int tdxsim_tdvf_range_cmp(const void *a, const void *b)
{
	const struct tdxsim_tdvf_range *ra = a, *rb = b;

	if (ra->start != rb->start)
		return ra->start < rb->start ? -1 : 1;
	return ra->idx < rb->idx ? -1 : ra->idx > rb->idx;
}

/* Sections loaded into memory must not overlap (they are PAGE.ADDed once). */
static int tdxsim_tdvf_check_overlap(struct tdxsim_tdvf_parser *p, struct tdxsim_tdvf_info *info)
{
	struct tdxsim_tdvf_range *r;
	const struct tdxsim_tdvf_section *a, *b;
	u32 i, ia, ib, n = 0;
	int ret = 0;

	r = calloc(info->nr_sections, sizeof(*r));
	if (!r) {
		snprintf(p->err, p->errlen, "TDVF: out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < info->nr_sections; i++) {
		if (!tdxsim_tdvf_section_is_mapped(&info->sections[i]))
			continue;
		r[n].start = info->sections[i].memory_address;
		r[n].size = info->sections[i].memory_data_size;
		r[n].idx = i;
		n++;
	}
	qsort(r, n, sizeof(*r), tdxsim_tdvf_range_cmp);
	for (i = 1; i < n; i++) {
		if (r[i - 1].start + r[i - 1].size <= r[i].start)
			continue;
		/* Name them in metadata order. */
		ia = min(r[i - 1].idx, r[i].idx);
		ib = max(r[i - 1].idx, r[i].idx);
		a = &info->sections[ia];
		b = &info->sections[ib];
		ret = tdxsim_tdvf_fail_section(p, ia, a,
				"overlaps section %u (%s) at 0x%llx size 0x%llx in guest memory",
				ib, tdxsim_tdvf_section_type_name(b->type),
				(unsigned long long)b->memory_address,
				(unsigned long long)b->memory_data_size);
		break;
	}
	free(r);
	return ret;
}

/* td-shim's TD_INFO and TD_PARAMS must point inside a BFV's data. */
static int tdxsim_tdvf_check_in_bfv(struct tdxsim_tdvf_parser *p, struct tdxsim_tdvf_info *info,
			     u32 i)
{
	const struct tdxsim_tdvf_section *s = &info->sections[i], *b;
	u64 end = (u64)s->data_offset + s->raw_data_size;
	u32 j;

	for (j = 0; j < info->nr_sections; j++) {
		b = &info->sections[j];
		if (b->type == TDXSIM_TDVF_SECTION_BFV &&
		    s->data_offset >= b->data_offset &&
		    end <= (u64)b->data_offset + b->raw_data_size)
			return 0;
	}
	return tdxsim_tdvf_fail_section(p, i, s,
				 "data at file offset 0x%x + RawDataSize 0x%x is not inside a BFV's data",
				 s->data_offset, s->raw_data_size);
}

/* Section counts a QEMU launch needs, or the td-shim specification requires. */
static int tdxsim_tdvf_check_counts(struct tdxsim_tdvf_parser *p, struct tdxsim_tdvf_info *info)
{
	u32 count[TDXSIM_TDVF_SECTION_NR] = { 0 };
	u32 i, first_hob = 0;

	for (i = 0; i < info->nr_sections; i++) {
		const struct tdxsim_tdvf_section *s = &info->sections[i];

		if (s->type == TDXSIM_TDVF_SECTION_TD_HOB) {
			if (count[s->type])
				return tdxsim_tdvf_fail_section(p, i, s,
							 "a second TD_HOB section (the first is section %u); a TD has one TD HOB",
							 first_hob);
			first_hob = i;
		}
		count[s->type]++;
		if (!tdxsim_tdvf_section_is_mapped(s) && tdxsim_tdvf_check_in_bfv(p, info, i))
			return -EINVAL;
	}
	if (!count[TDXSIM_TDVF_SECTION_BFV])
		return tdxsim_tdvf_fail(p, "no BFV section: the image has no firmware code to boot");
	if (p->flags & TDXSIM_TDVF_PARSE_TDSHIM) {
		if (!count[TDXSIM_TDVF_SECTION_TD_HOB] &&
		    !count[TDXSIM_TDVF_SECTION_PERM_MEM])
			return tdxsim_tdvf_fail(p, "neither a TD_HOB nor a PERM_MEM section: the TD would have no memory description");
		if (count[TDXSIM_TDVF_SECTION_PAYLOAD_PARAM] &&
		    !count[TDXSIM_TDVF_SECTION_PAYLOAD])
			return tdxsim_tdvf_fail(p, "a PAYLOAD_PARAM section without a PAYLOAD section");
	} else if (!count[TDXSIM_TDVF_SECTION_TD_HOB]) {
		return tdxsim_tdvf_fail(p, "no TD_HOB section: the VMM has nowhere to put the TD HOB (QEMU refuses such an image)");
	}
	return 0;
}

int tdxsim_tdvf_parse_flags(const u8 *image, size_t size, unsigned int flags,
		     struct tdxsim_tdvf_info *out, char *err, size_t errlen)
{
	struct tdxsim_tdvf_parser p = {
		.image = image, .size = size, .flags = flags,
		.err = err, .errlen = errlen,
	};
	u32 desc = 0, length, version, n, i;
	enum tdxsim_tdvf_layout layout;
	const u8 *d;
	char guid[40];
	u64 want;
	int ret;

	memset(out, 0, sizeof(*out));
	if (errlen)
		err[0] = '\0';
	if (!image || !size)
		return tdxsim_tdvf_fail(&p, "empty image");
	if ((u64)size > TDXSIM_TDVF_MAX_IMAGE_SIZE)
		return tdxsim_tdvf_fail(&p, "image of 0x%zx bytes is larger than 4 GiB, which 32-bit TDVF offsets cannot describe",
				 size);

	if (size >= OVMF_FOOTER_GUID_OFF &&
	    !memcmp(image + size - OVMF_FOOTER_GUID_OFF,
		    tdxsim_tdvf_ovmf_table_footer_guid, TDXSIM_TDVF_GUID_SIZE)) {
		layout = TDXSIM_TDVF_LAYOUT_OVMF_TABLE;
		ret = tdxsim_tdvf_find_ovmf_table(&p, &desc);
		if (ret)
			return ret;
		if (memcmp(image + desc - TDXSIM_TDVF_GUID_SIZE, tdxsim_tdvf_metadata_guid,
			   TDXSIM_TDVF_GUID_SIZE)) {
			guid_str(tdxsim_tdvf_metadata_guid, guid, sizeof(guid));
			return tdxsim_tdvf_fail(&p, "no TDX metadata GUID (%s) in the 16 bytes before the descriptor at file offset 0x%x",
					 guid, desc);
		}
	} else {
		layout = TDXSIM_TDVF_LAYOUT_TDSHIM_LEGACY;
		ret = tdxsim_tdvf_find_tdshim_legacy(&p, &desc);
		if (ret)
			return ret;
	}

	if ((u64)desc + TDXSIM_TDVF_DESCRIPTOR_SIZE > size)
		return tdxsim_tdvf_fail(&p, "descriptor at file offset 0x%x runs past the end of the 0x%zx-byte image",
				 desc, size);
	d = image + desc;
	if (get_unaligned_le32(d) != TDXSIM_TDVF_SIGNATURE)
		return tdxsim_tdvf_fail(&p, "bad descriptor signature %02x %02x %02x %02x at file offset 0x%x (expected \"TDVF\")",
				 d[0], d[1], d[2], d[3], desc);
	length = get_unaligned_le32(d + 4);
	version = get_unaligned_le32(d + 8);
	n = get_unaligned_le32(d + 12);
	if (version != TDXSIM_TDVF_VERSION)
		return tdxsim_tdvf_fail(&p, "descriptor version %u is not supported (only version 1 is defined)",
				 version);
	if (n < 2)
		return tdxsim_tdvf_fail(&p, "descriptor has %u section entries; a TDVF image has at least 2",
				 n);
	want = TDXSIM_TDVF_DESCRIPTOR_SIZE + (u64)n * TDXSIM_TDVF_SECTION_SIZE;
	if (length != want)
		return tdxsim_tdvf_fail(&p, "descriptor Length %u does not match its %u section entries (16 + 32 * %u = %llu)",
				 length, n, n, (unsigned long long)want);
	if ((u64)desc + length > size)
		return tdxsim_tdvf_fail(&p, "descriptor at file offset 0x%x with Length %u (%u sections) runs past the end of the 0x%zx-byte image",
				 desc, length, n, size);

	out->sections = calloc(n, sizeof(*out->sections));
	if (!out->sections) {
		tdxsim_tdvf_fail(&p, "out of memory for %u sections", n);
		return -ENOMEM;
	}
	out->image_size = size;
	out->layout = layout;
	out->descriptor_offset = desc;
	out->length = length;
	out->version = version;
	out->nr_sections = n;

	for (i = 0; i < n; i++) {
		const u8 *e = d + TDXSIM_TDVF_DESCRIPTOR_SIZE + (size_t)i *
			      TDXSIM_TDVF_SECTION_SIZE;
		struct tdxsim_tdvf_section *s = &out->sections[i];

		s->data_offset = get_unaligned_le32(e);
		s->raw_data_size = get_unaligned_le32(e + 4);
		s->memory_address = get_unaligned_le64(e + 8);
		s->memory_data_size = get_unaligned_le64(e + 16);
		s->type = get_unaligned_le32(e + 24);
		s->attributes = get_unaligned_le32(e + 28);
		ret = tdxsim_tdvf_check_section(&p, i, s);
		if (ret)
			goto fail;
	}
	ret = tdxsim_tdvf_check_counts(&p, out);
	if (ret)
		goto fail;
	ret = tdxsim_tdvf_check_overlap(&p, out);
	if (ret)
		goto fail;
	return 0;

fail:
	tdxsim_tdvf_info_free(out);
	return ret;
}

int tdxsim_tdvf_parse(const u8 *image, size_t size, struct tdxsim_tdvf_info *out,
	       char *err, size_t errlen)
{
	return tdxsim_tdvf_parse_flags(image, size, 0, out, err, errlen);
}

void tdxsim_tdvf_info_free(struct tdxsim_tdvf_info *info)
{
	free(info->sections);
	memset(info, 0, sizeof(*info));
}

int tdxsim_tdvf_section_page(const struct tdxsim_tdvf_info *info, const u8 *image,
		      u32 idx, u64 page, u8 *buf)
{
	const struct tdxsim_tdvf_section *s;
	u64 off, avail;

	if (idx >= info->nr_sections)
		return -EINVAL;
	s = &info->sections[idx];
	if (!tdxsim_tdvf_section_is_mapped(s) ||
	    page >= s->memory_data_size / PAGE_SIZE)
		return -EINVAL;
	memset(buf, 0, PAGE_SIZE);
	off = page * PAGE_SIZE;
	if (off < s->raw_data_size) {
		avail = min_t(u64, PAGE_SIZE, s->raw_data_size - off);
		memcpy(buf, image + s->data_offset + off, avail);
	}
	return 0;
}

void tdxsim_tdvf_measure_counts(const struct tdxsim_tdvf_info *info, u64 *page_adds,
			 u64 *mr_extends)
{
	u64 adds = 0, extends = 0, pages;
	u32 i;

	for (i = 0; i < info->nr_sections; i++) {
		const struct tdxsim_tdvf_section *s = &info->sections[i];

		if (!tdxsim_tdvf_section_is_mapped(s))
			continue;
		pages = s->memory_data_size / PAGE_SIZE;
		if (!(s->attributes & TDXSIM_TDVF_ATTR_PAGE_AUG))
			adds += pages;
		if (s->attributes & TDXSIM_TDVF_ATTR_MR_EXTEND)
			extends += pages * (PAGE_SIZE / 256);
	}
	*page_adds = adds;
	*mr_extends = extends;
}

/*
 * Open the firmware image @path: a regular file of at most
 * TDXSIM_TDVF_MAX_FILE_SIZE bytes. Returns the descriptor with its size in
 * *@st, or a negative errno with a message in @err.
 */
static int tdvf_open_image(const char *path, struct stat *st, char *err,
			   size_t errlen)
{
	int fd, ret;

	/* Not blocking on a FIFO without a writer: it is refused below. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	if (fstat(fd, st)) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		goto out_close;
	}
	if (!S_ISREG(st->st_mode)) {
		ret = -EINVAL;
		snprintf(err, errlen,
			 "%s: %s, not a firmware image (a regular file)", path,
			 S_ISDIR(st->st_mode) ? "a directory" :
			 S_ISFIFO(st->st_mode) ? "a FIFO" :
			 S_ISCHR(st->st_mode) ? "a character device" :
			 S_ISBLK(st->st_mode) ? "a block device" :
			 S_ISSOCK(st->st_mode) ? "a socket" :
			 "not a regular file");
		goto out_close;
	}
	if ((u64)st->st_size > TDXSIM_TDVF_MAX_FILE_SIZE) {
		ret = -EFBIG;
		snprintf(err, errlen,
			 "%s: %lld bytes, too large for a firmware image (limit %llu MiB)",
			 path, (long long)st->st_size, TDXSIM_TDVF_MAX_FILE_SIZE >> 20);
		goto out_close;
	}
	return fd;
out_close:
	close(fd);
	return ret;
}

/*
 * Map the image read-only and private, as QEMU's firmware pages: the VMM
 * hands its pages to KVM_TDX_INIT_MEM_REGION as they are, so nothing copies
 * the image before the TDX module reads it (an empty file maps a page of
 * zeros, which the parser refuses). A file truncated while mapped ends the
 * process (SIGBUS) as it would QEMU's.
 */
int tdxsim_tdvf_map_file(const char *path, u8 **image, size_t *size,
			 char *err, size_t errlen)
{
	struct stat st;
	void *p;
	int fd, ret = 0;

	*image = NULL;
	*size = 0;
	fd = tdvf_open_image(path, &st, err, errlen);
	if (fd < 0)
		return fd;
	p = mmap(NULL, st.st_size ? (size_t)st.st_size : 1, PROT_READ,
		 MAP_PRIVATE | (st.st_size ? 0 : MAP_ANONYMOUS),
		 st.st_size ? fd : -1, 0);
	if (p == MAP_FAILED) {
		ret = -errno;
		snprintf(err, errlen, "%s: mmap: %s", path, strerror(-ret));
	} else {
		*image = p;
		*size = st.st_size;
	}
	close(fd);
	return ret;
}

void tdxsim_tdvf_unmap_file(u8 *image, size_t size)
{
	if (image)
		munmap(image, size ? size : 1);
}

int tdxsim_tdvf_load_file(const char *path, u8 **image, size_t *size,
		   char *err, size_t errlen)
{
	struct stat st;
	size_t done = 0;
	ssize_t r;
	u8 *buf;
	int fd, ret;

	*image = NULL;
	*size = 0;
	fd = tdvf_open_image(path, &st, err, errlen);
	if (fd < 0)
		return fd;
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		ret = -ENOMEM;
		snprintf(err, errlen, "%s: out of memory", path);
		goto out_close;
	}
	while (done < (size_t)st.st_size) {
		r = read(fd, buf + done, (size_t)st.st_size - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			ret = r < 0 ? -errno : -EIO;
			snprintf(err, errlen, "%s: read: %s", path,
				 r < 0 ? strerror(-ret) : "file shrank");
			free(buf);
			goto out_close;
		}
		done += (size_t)r;
	}
	*image = buf;
	*size = done;
	ret = 0;
out_close:
	close(fd);
	return ret;
}
