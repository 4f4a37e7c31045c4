// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TDVF parser: Debian's OVMF.fd parses into the reference table, the
 * built-in image parses, and each kind of malformed image is refused with
 * its own message.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tdxsim/tdvf.h"
#include "ulib/compiler.h"
#include "ulib/unaligned.h"

#define OVMF_FD		"/usr/share/ovmf/OVMF.fd"
#define OVMF_CODE_FD	"/usr/share/OVMF/OVMF_CODE.fd"

/* Offsets in a section entry. */
#define F_DATA_OFFSET	0
#define F_RAW_SIZE	4
#define F_ADDRESS	8
#define F_MEM_SIZE	16
#define F_TYPE		24
#define F_ATTR		28

/* A fresh copy of the built-in image and where its descriptor is. */
struct fw {
	u8 *img;
	size_t size;
	u32 desc;
};

static void fw_get(struct fw *fw)
{
	struct tdxsim_tdvf_info info;
	char err[512];

	assert_int_equal(tdxsim_tdvf_builtin_image(&fw->img, &fw->size), 0);
	assert_int_equal(tdxsim_tdvf_parse(fw->img, fw->size, &info, err,
				    sizeof(err)), 0);
	fw->desc = info.descriptor_offset;
	tdxsim_tdvf_info_free(&info);
}

static u8 *fw_sec(struct fw *fw, u32 i, u32 field)
{
	return fw->img + fw->desc + TDXSIM_TDVF_DESCRIPTOR_SIZE +
	       i * TDXSIM_TDVF_SECTION_SIZE + field;
}

/*
 * Parse @img and expect it refused with a message containing @want (or, if
 * @exact, equal to it). The message starts with "TDVF: ", and the output is
 * left empty.
 */
static void expect_error_flags(const u8 *img, size_t size, unsigned int flags,
			       const char *want, bool exact)
{
	struct tdxsim_tdvf_info info;
	char err[512];
	int ret;

	memset(err, 'x', sizeof(err));
	ret = tdxsim_tdvf_parse_flags(img, size, flags, &info, err, sizeof(err));
	if (ret != -EINVAL || !strstr(err, want) ||
	    (exact && strcmp(err, want)))
		fail_msg("ret %d, message \"%s\", wanted \"%s\"", ret,
			 ret ? err : "(none)", want);
	assert_int_equal(strncmp(err, "TDVF: ", 6), 0);
	assert_null(info.sections);
	assert_int_equal(info.nr_sections, 0);
}

static void expect_error(const u8 *img, size_t size, const char *want)
{
	expect_error_flags(img, size, 0, want, false);
}

static u8 *load_or_skip(const char *path, size_t *size)
{
	char err[512];
	u8 *img;

	if (tdxsim_tdvf_load_file(path, &img, size, err, sizeof(err))) {
		printf("# skip: %s (install Debian's ovmf package)\n", err);
		skip();
	}
	return img;
}

static void test_ovmf_fd(void **state)
{
	static const struct tdxsim_tdvf_section want[] = {
		{ 0x20000, 0x1e0000, 0xffe20000, 0x1e0000,
		  TDXSIM_TDVF_SECTION_BFV, TDXSIM_TDVF_ATTR_MR_EXTEND },
		{ 0x0, 0x20000, 0xffe00000, 0x20000, TDXSIM_TDVF_SECTION_CFV, 0 },
		{ 0, 0, 0x810000, 0x10000, TDXSIM_TDVF_SECTION_TEMP_MEM, 0 },
		{ 0, 0, 0x80b000, 0x2000, TDXSIM_TDVF_SECTION_TEMP_MEM, 0 },
		{ 0, 0, 0x809000, 0x2000, TDXSIM_TDVF_SECTION_TD_HOB, 0 },
		{ 0, 0, 0x800000, 0x6000, TDXSIM_TDVF_SECTION_TEMP_MEM, 0 },
	};
	struct tdxsim_tdvf_info info;
	u64 adds, extends;
	char err[512];
	size_t size;
	u32 i;
	u8 *img;

	img = load_or_skip(OVMF_FD, &size);
	assert_int_equal(tdxsim_tdvf_parse(img, size, &info, err, sizeof(err)), 0);
	assert_int_equal(info.layout, TDXSIM_TDVF_LAYOUT_OVMF_TABLE);
	assert_int_equal(info.descriptor_offset, 0x1ff7c0);
	assert_int_equal(info.length, 208);
	assert_int_equal(info.version, 1);
	assert_int_equal(info.nr_sections, ARRAY_SIZE(want));
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		const struct tdxsim_tdvf_section *s = &info.sections[i];

		assert_int_equal(s->data_offset, want[i].data_offset);
		assert_int_equal(s->raw_data_size, want[i].raw_data_size);
		assert_int_equal(s->memory_address, want[i].memory_address);
		assert_int_equal(s->memory_data_size,
				 want[i].memory_data_size);
		assert_int_equal(s->type, want[i].type);
		assert_int_equal(s->attributes, want[i].attributes);
	}
	tdxsim_tdvf_measure_counts(&info, &adds, &extends);
	assert_int_equal(adds, 538);
	assert_int_equal(extends, 7680);
	tdxsim_tdvf_info_free(&info);

	/* td-shim mode accepts a superset. */
	assert_int_equal(tdxsim_tdvf_parse_flags(img, size, TDXSIM_TDVF_PARSE_TDSHIM, &info,
					  err, sizeof(err)), 0);
	assert_int_equal(info.nr_sections, ARRAY_SIZE(want));
	tdxsim_tdvf_info_free(&info);
	free(img);
}

static void test_ovmf_code_alone(void **state)
{
	size_t size;
	u8 *img;

	img = load_or_skip(OVMF_CODE_FD, &size);
	expect_error(img, size, "section 0 (BFV) at 0xffe20000 size 0x1e0000: data at file offset 0x20000 + RawDataSize 0x1e0000 runs past the end of the 0x1e0000-byte image");
	free(img);
}

static void test_builtin(void **state)
{
	struct tdxsim_tdvf_info info;
	u64 adds, extends;
	struct fw fw;
	char err[512];
	u8 *img2;
	size_t size2;
	u32 i, nbfv = 0, nhob = 0;

	fw_get(&fw);
	assert_int_equal(tdxsim_tdvf_parse(fw.img, fw.size, &info, err, sizeof(err)),
			 0);
	assert_int_equal(info.layout, TDXSIM_TDVF_LAYOUT_OVMF_TABLE);
	assert_true(info.nr_sections >= 4);
	for (i = 0; i < info.nr_sections; i++) {
		const struct tdxsim_tdvf_section *s = &info.sections[i];

		if (s->type == TDXSIM_TDVF_SECTION_BFV) {
			nbfv++;
			assert_true(s->attributes & TDXSIM_TDVF_ATTR_MR_EXTEND);
			/* Recognisable: the BFV starts with its header. */
			assert_memory_equal(fw.img + s->data_offset,
					    "tdxsim built-in TDVF", 20);
			/* The image is mapped so it ends at 4 GiB. */
			assert_int_equal(s->memory_address +
					 s->memory_data_size, 1ULL << 32);
		}
		if (s->type == TDXSIM_TDVF_SECTION_TD_HOB)
			nhob++;
	}
	assert_int_equal(nbfv, 1);
	assert_int_equal(nhob, 1);
	tdxsim_tdvf_measure_counts(&info, &adds, &extends);
	assert_true(extends > 0 && adds > 0);
	tdxsim_tdvf_info_free(&info);

	/* Deterministic: a second image is byte-identical. */
	assert_int_equal(tdxsim_tdvf_builtin_image(&img2, &size2), 0);
	assert_int_equal(size2, fw.size);
	assert_memory_equal(img2, fw.img, fw.size);
	free(img2);
	free(fw.img);
}

static void test_section_page(void **state)
{
	struct tdxsim_tdvf_info info;
	u8 page[4096], zero[4096] = { 0 };
	struct fw fw;
	char err[512];

	fw_get(&fw);
	/* CFV (section 1): only the first 0x7800 bytes come from the image. */
	put_unaligned_le32(0x7800, fw_sec(&fw, 1, F_RAW_SIZE));
	assert_int_equal(tdxsim_tdvf_parse(fw.img, fw.size, &info, err, sizeof(err)),
			 0);
	assert_int_equal(tdxsim_tdvf_section_page(&info, fw.img, 1, 0, page), 0);
	assert_memory_equal(page, fw.img, 4096);
	assert_int_equal(tdxsim_tdvf_section_page(&info, fw.img, 1, 7, page), 0);
	assert_memory_equal(page, fw.img + 0x7000, 0x800);
	assert_memory_equal(page + 0x800, zero, 0x800);
	assert_int_equal(tdxsim_tdvf_section_page(&info, fw.img, 1, 8, page), 0);
	assert_memory_equal(page, zero, 4096);
	/* BFV page 0 is the image at DataOffset. */
	assert_int_equal(tdxsim_tdvf_section_page(&info, fw.img, 0, 0, page), 0);
	assert_memory_equal(page, fw.img + info.sections[0].data_offset, 4096);
	/* TEMP_MEM is zero; out of range is refused. */
	assert_int_equal(tdxsim_tdvf_section_page(&info, fw.img, 2, 0, page), 0);
	assert_memory_equal(page, zero, 4096);
	assert_int_equal(tdxsim_tdvf_section_page(&info, fw.img, 2, 16, page),
			 -EINVAL);
	assert_int_equal(tdxsim_tdvf_section_page(&info, fw.img, info.nr_sections, 0,
					   page), -EINVAL);
	tdxsim_tdvf_info_free(&info);
	free(fw.img);
}

static void test_names(void **state)
{
	char buf[64];

	assert_string_equal(tdxsim_tdvf_section_type_name(0), "BFV");
	assert_string_equal(tdxsim_tdvf_section_type_name(3), "TEMP_MEM");
	assert_string_equal(tdxsim_tdvf_section_type_name(8), "TD_PARAMS");
	assert_string_equal(tdxsim_tdvf_section_type_name(9), "UNKNOWN");
	assert_string_equal(tdxsim_tdvf_attr_names(0, buf, sizeof(buf)), "-");
	assert_string_equal(tdxsim_tdvf_attr_names(1, buf, sizeof(buf)), "MR.EXTEND");
	assert_string_equal(tdxsim_tdvf_attr_names(2, buf, sizeof(buf)), "PAGE.AUG");
	assert_string_equal(tdxsim_tdvf_attr_names(3, buf, sizeof(buf)),
			    "MR.EXTEND|PAGE.AUG");
	assert_string_equal(tdxsim_tdvf_attr_names(0x81, buf, sizeof(buf)),
			    "MR.EXTEND|0x80");
}

static void test_truncated(void **state)
{
	struct fw fw;

	fw_get(&fw);
	expect_error(fw.img, 16, "image of 16 bytes is too small");
	expect_error(fw.img, 0, "empty image");
	/* The end (footer GUID) is cut off. */
	expect_error(fw.img, fw.size - 0x100, "no OVMF GUID table");
	/* The start is cut off: the sections' data is gone. */
	expect_error(fw.img + 0x20000, fw.size - 0x20000,
		     "section 0 (BFV) at 0xfffd0000 size 0x30000: data at file offset 0x10000 + RawDataSize 0x30000 runs past the end of the 0x20000-byte image");
	/* Only the metadata is left: the offset points before it. */
	expect_error(fw.img + fw.size - 0x400, 0x400,
		     "TDX metadata offset 0x800 (from the end of the 0x400-byte image) points outside the image");
	free(fw.img);
}

static void test_bad_guid_table(void **state)
{
	u8 *end, *tail;
	struct fw fw;

	fw_get(&fw);
	end = fw.img + fw.size;

	/* Wrong footer GUID: no table, and no td-shim offset either. */
	end[-0x30] ^= 1;
	expect_error(fw.img, fw.size, "no OVMF GUID table (footer GUID 96b582de-1fb2-45f7-baea-a366c55a082d not at image size - 0x30)");
	end[-0x30] ^= 1;

	/* Table length smaller than the footer entry. */
	put_unaligned_le16(17, end - 0x32);
	expect_error(fw.img, fw.size, "OVMF GUID table length 17 (u16 at image size - 0x32) is smaller than its own 18-byte footer entry");
	/* Table length leaving a piece smaller than an entry header. */
	put_unaligned_le16(40 + 10, end - 0x32);
	expect_error(fw.img, fw.size, "only 10 bytes left before the table start");
	/* Table length too big for the image. */
	put_unaligned_le16(40, end - 0x32);
	tail = malloc(0x400);
	memcpy(tail, end - 0x400, 0x400);
	put_unaligned_le16(0x3e1, tail + 0x400 - 0x32);
	expect_error(tail, 0x400, "OVMF GUID table length 993 (u16 at image size - 0x32) runs past the start of the 0x400-byte image");
	free(tail);

	/* An entry whose length runs past the start of the table. */
	put_unaligned_le16(0x100, end - 0x44);
	expect_error(fw.img, fw.size, "OVMF GUID table entry e47a6535-984a-4798-865e-4685a7bf8ec2 at file offset 0x3ffbe: length 256 runs past the table start 0x3ffb8");
	/* An entry shorter than its own header. */
	put_unaligned_le16(4, end - 0x44);
	expect_error(fw.img, fw.size, "length 4 is smaller than its 18-byte header");
	/* The metadata offset entry holding less than a u32. */
	put_unaligned_le16(20, end - 0x44);
	expect_error(fw.img, fw.size, "TDX metadata offset entry in the OVMF GUID table holds 2 bytes, not a 4-byte offset");
	put_unaligned_le16(22, end - 0x44);

	/* No TDX metadata offset entry. */
	end[-0x42] ^= 0x80;
	expect_error(fw.img, fw.size, "the OVMF GUID table has no TDX metadata offset entry (e47a6535-984a-4798-865e-4685a7bf8ec2)");
	end[-0x42] ^= 0x80;

	/* Offset pointing outside the image. */
	put_unaligned_le32(fw.size + 0x1000, end - 0x48);
	expect_error(fw.img, fw.size, "TDX metadata offset 0x41000 (from the end of the 0x40000-byte image) points outside the image");
	put_unaligned_le32(0x800, end - 0x48);

	/* The TDX metadata GUID before the descriptor is missing. */
	fw.img[fw.desc - 1] ^= 0xff;
	expect_error(fw.img, fw.size, "no TDX metadata GUID (e9eaf9f3-168e-44d5-a8eb-7f4d8738f6ae) in the 16 bytes before the descriptor at file offset 0x3f800");
	fw.img[fw.desc - 1] ^= 0xff;
	free(fw.img);
}

static void test_bad_descriptor(void **state)
{
	struct fw fw;
	u8 *d;

	fw_get(&fw);
	d = fw.img + fw.desc;

	d[0] = 'X';
	expect_error(fw.img, fw.size, "bad descriptor signature 58 44 56 46 at file offset 0x3f800 (expected \"TDVF\")");
	d[0] = 'T';

	put_unaligned_le32(2, d + 8);
	expect_error(fw.img, fw.size, "descriptor version 2 is not supported");
	put_unaligned_le32(1, d + 8);

	put_unaligned_le32(16 + 32 * 6 + 1, d + 4);
	expect_error(fw.img, fw.size, "descriptor Length 209 does not match its 6 section entries (16 + 32 * 6 = 208)");
	put_unaligned_le32(16 + 32 * 6 - 32, d + 4);
	expect_error(fw.img, fw.size, "descriptor Length 176 does not match its 6 section entries");

	put_unaligned_le32(1, d + 12);
	put_unaligned_le32(16 + 32, d + 4);
	expect_error(fw.img, fw.size, "descriptor has 1 section entries; a TDVF image has at least 2");
	put_unaligned_le32(0, d + 12);
	put_unaligned_le32(16, d + 4);
	expect_error(fw.img, fw.size, "descriptor has 0 section entries");

	/* A count whose 32-bit Length would wrap to 16. */
	put_unaligned_le32(0x08000000, d + 12);
	put_unaligned_le32(16, d + 4);
	expect_error(fw.img, fw.size, "descriptor Length 16 does not match its 134217728 section entries (16 + 32 * 134217728 = 4294967312)");
	/* A consistent but huge count runs past the image. */
	put_unaligned_le32(100000, d + 12);
	put_unaligned_le32(16 + 32 * 100000, d + 4);
	expect_error(fw.img, fw.size, "descriptor at file offset 0x3f800 with Length 3200016 (100000 sections) runs past the end of the 0x40000-byte image");
	/* One section too many for the bytes left. */
	put_unaligned_le32(64, d + 12);
	put_unaligned_le32(16 + 32 * 64, d + 4);
	expect_error(fw.img, fw.size, "(64 sections) runs past the end");
	free(fw.img);
}

static void test_bad_sections(void **state)
{
	struct tdxsim_tdvf_info info;
	struct fw fw;
	char err[512];

	fw_get(&fw);

	/* Misaligned size and address (section 3: TEMP_MEM 0x80b000/0x2000). */
	put_unaligned_le64(0x2001, fw_sec(&fw, 3, F_MEM_SIZE));
	expect_error_flags(fw.img, fw.size, 0, "TDVF: section 3 (TEMP_MEM) at 0x80b000 size 0x2001: MemoryDataSize not 4 KiB aligned", true);
	put_unaligned_le64(0x2000, fw_sec(&fw, 3, F_MEM_SIZE));
	put_unaligned_le64(0x80b800, fw_sec(&fw, 3, F_ADDRESS));
	expect_error_flags(fw.img, fw.size, 0, "TDVF: section 3 (TEMP_MEM) at 0x80b800 size 0x2000: MemoryAddress not 4 KiB aligned", true);
	put_unaligned_le64(0x80b000, fw_sec(&fw, 3, F_ADDRESS));

	/* Size 0, address overflow, above the private GPA range. */
	put_unaligned_le64(0, fw_sec(&fw, 3, F_MEM_SIZE));
	expect_error(fw.img, fw.size, "section 3 (TEMP_MEM) at 0x80b000 size 0x0: MemoryDataSize is 0");
	put_unaligned_le64(0x2000, fw_sec(&fw, 3, F_MEM_SIZE));
	put_unaligned_le64(0xfffffffffffff000ULL, fw_sec(&fw, 3, F_ADDRESS));
	expect_error(fw.img, fw.size, "MemoryAddress + MemoryDataSize overflows 64 bits");
	put_unaligned_le64(1ULL << 51, fw_sec(&fw, 3, F_ADDRESS));
	expect_error(fw.img, fw.size, "ends at 0x8000000002000, above the highest private GPA 0x8000000000000");
	put_unaligned_le64(0x80b000, fw_sec(&fw, 3, F_ADDRESS));

	/* Section data beyond the file. */
	put_unaligned_le32(0x20000, fw_sec(&fw, 0, F_DATA_OFFSET));
	expect_error(fw.img, fw.size, "section 0 (BFV) at 0xfffd0000 size 0x30000: data at file offset 0x20000 + RawDataSize 0x30000 runs past the end of the 0x40000-byte image");
	put_unaligned_le32(0xffffff00, fw_sec(&fw, 0, F_DATA_OFFSET));
	expect_error(fw.img, fw.size, "data at file offset 0xffffff00 + RawDataSize 0x30000 runs past the end");
	put_unaligned_le32(0x10000, fw_sec(&fw, 0, F_DATA_OFFSET));

	/* RawDataSize > MemoryDataSize. */
	put_unaligned_le32(0x11000, fw_sec(&fw, 1, F_RAW_SIZE));
	expect_error(fw.img, fw.size, "section 1 (CFV) at 0xfffc0000 size 0x10000: RawDataSize 0x11000 exceeds MemoryDataSize");
	put_unaligned_le32(0x10000, fw_sec(&fw, 1, F_RAW_SIZE));

	/* BFV without data, TEMP_MEM / TD_HOB with data. */
	put_unaligned_le32(0, fw_sec(&fw, 0, F_RAW_SIZE));
	expect_error(fw.img, fw.size, "section 0 (BFV) at 0xfffd0000 size 0x30000: RawDataSize is 0, but a BFV section's contents come from the image");
	put_unaligned_le32(0x30000, fw_sec(&fw, 0, F_RAW_SIZE));
	put_unaligned_le32(0x1000, fw_sec(&fw, 2, F_RAW_SIZE));
	expect_error(fw.img, fw.size, "section 2 (TEMP_MEM) at 0x810000 size 0x10000: RawDataSize 0x1000 is not 0, but a TEMP_MEM section takes no data from the image");
	put_unaligned_le32(0, fw_sec(&fw, 2, F_RAW_SIZE));
	put_unaligned_le32(0x1000, fw_sec(&fw, 4, F_RAW_SIZE));
	expect_error(fw.img, fw.size, "section 4 (TD_HOB) at 0x809000 size 0x2000: RawDataSize 0x1000 is not 0");
	put_unaligned_le32(0, fw_sec(&fw, 4, F_RAW_SIZE));

	/* Unknown type; td-shim types only with the option. */
	put_unaligned_le32(9, fw_sec(&fw, 5, F_TYPE));
	expect_error(fw.img, fw.size, "section 5 has unknown type 9");
	expect_error_flags(fw.img, fw.size, TDXSIM_TDVF_PARSE_TDSHIM,
			   "section 5 has unknown type 9", false);
	put_unaligned_le32(TDXSIM_TDVF_SECTION_PERM_MEM, fw_sec(&fw, 5, F_TYPE));
	expect_error(fw.img, fw.size, "section 5 (PERM_MEM) at 0x800000 size 0x6000: type 4 (PERM_MEM) is a td-shim section type, which a QEMU TD launch does not accept");
	assert_int_equal(tdxsim_tdvf_parse_flags(fw.img, fw.size, TDXSIM_TDVF_PARSE_TDSHIM,
					  &info, err, sizeof(err)), 0);
	assert_int_equal(info.sections[5].type, TDXSIM_TDVF_SECTION_PERM_MEM);
	tdxsim_tdvf_info_free(&info);
	put_unaligned_le32(TDXSIM_TDVF_SECTION_TEMP_MEM, fw_sec(&fw, 5, F_TYPE));

	/* Attributes. */
	put_unaligned_le32(0x4, fw_sec(&fw, 2, F_ATTR));
	expect_error(fw.img, fw.size, "section 2 (TEMP_MEM) at 0x810000 size 0x10000: reserved attribute bits 0x4 set");
	put_unaligned_le32(TDXSIM_TDVF_ATTR_MR_EXTEND | TDXSIM_TDVF_ATTR_PAGE_AUG,
			   fw_sec(&fw, 0, F_ATTR));
	expect_error(fw.img, fw.size, "section 0 (BFV) at 0xfffd0000 size 0x30000: attributes MR.EXTEND and PAGE.AUG together");
	put_unaligned_le32(TDXSIM_TDVF_ATTR_MR_EXTEND, fw_sec(&fw, 0, F_ATTR));
	put_unaligned_le32(0, fw_sec(&fw, 2, F_ATTR));

	/* Overlap in guest memory. */
	put_unaligned_le64(0x80a000, fw_sec(&fw, 3, F_ADDRESS));
	expect_error_flags(fw.img, fw.size, 0, "TDVF: section 3 (TEMP_MEM) at 0x80a000 size 0x2000: overlaps section 4 (TD_HOB) at 0x809000 size 0x2000 in guest memory", true);
	put_unaligned_le64(0xfffd1000, fw_sec(&fw, 3, F_ADDRESS));
	expect_error(fw.img, fw.size, "section 0 (BFV) at 0xfffd0000 size 0x30000: overlaps section 3 (TEMP_MEM) at 0xfffd1000");
	put_unaligned_le64(0x80b000, fw_sec(&fw, 3, F_ADDRESS));

	/* TD_HOB count; BFV presence. */
	put_unaligned_le32(TDXSIM_TDVF_SECTION_TEMP_MEM, fw_sec(&fw, 4, F_TYPE));
	expect_error(fw.img, fw.size, "no TD_HOB section");
	put_unaligned_le32(TDXSIM_TDVF_SECTION_TD_HOB, fw_sec(&fw, 3, F_TYPE));
	put_unaligned_le32(TDXSIM_TDVF_SECTION_TD_HOB, fw_sec(&fw, 5, F_TYPE));
	expect_error(fw.img, fw.size, "section 5 (TD_HOB) at 0x800000 size 0x6000: a second TD_HOB section (the first is section 3)");
	put_unaligned_le32(TDXSIM_TDVF_SECTION_TEMP_MEM, fw_sec(&fw, 3, F_TYPE));
	put_unaligned_le32(TDXSIM_TDVF_SECTION_TD_HOB, fw_sec(&fw, 4, F_TYPE));
	put_unaligned_le32(TDXSIM_TDVF_SECTION_TEMP_MEM, fw_sec(&fw, 5, F_TYPE));
	put_unaligned_le32(TDXSIM_TDVF_SECTION_CFV, fw_sec(&fw, 0, F_TYPE));
	put_unaligned_le32(0, fw_sec(&fw, 0, F_ATTR));
	expect_error(fw.img, fw.size, "no BFV section");

	free(fw.img);
}

static void test_tdshim_legacy(void **state)
{
	struct tdxsim_tdvf_info info;
	struct fw fw;
	char err[512];

	fw_get(&fw);
	/* No footer GUID: the u32 at size - 0x20 is the descriptor offset. */
	memset(fw.img + fw.size - 0x30, 0, 0x10);
	put_unaligned_le32(fw.desc, fw.img + fw.size - 0x20);
	assert_int_equal(tdxsim_tdvf_parse(fw.img, fw.size, &info, err, sizeof(err)),
			 0);
	assert_int_equal(info.layout, TDXSIM_TDVF_LAYOUT_TDSHIM_LEGACY);
	assert_int_equal(info.descriptor_offset, fw.desc);
	assert_int_equal(info.nr_sections, 6);
	tdxsim_tdvf_info_free(&info);

	/* Without the metadata GUID in front, the offset is not trusted. */
	put_unaligned_le32(fw.desc + 4, fw.img + fw.size - 0x20);
	expect_error(fw.img, fw.size, "no TDX metadata GUID before the td-shim metadata offset 0x3f804");
	put_unaligned_le32(0x90ff2ae9, fw.img + fw.size - 0x20);
	expect_error(fw.img, fw.size, "the td-shim metadata offset 0x90ff2ae9 at image size - 0x20 is outside the 0x40000-byte image");
	free(fw.img);
}

/* A seventh section: td-shim's TD_INFO, pointing into the BFV's data. */
static void test_tdshim_types(void **state)
{
	struct tdxsim_tdvf_info info;
	u8 page[4096];
	struct fw fw;
	char err[512];

	fw_get(&fw);
	put_unaligned_le32(16 + 32 * 7, fw.img + fw.desc + 4);
	put_unaligned_le32(7, fw.img + fw.desc + 12);
	memset(fw_sec(&fw, 6, 0), 0, TDXSIM_TDVF_SECTION_SIZE);
	put_unaligned_le32(0x10100, fw_sec(&fw, 6, F_DATA_OFFSET));
	put_unaligned_le32(0x100, fw_sec(&fw, 6, F_RAW_SIZE));
	put_unaligned_le32(TDXSIM_TDVF_SECTION_TD_INFO, fw_sec(&fw, 6, F_TYPE));

	expect_error(fw.img, fw.size, "section 6 (TD_INFO) at 0x0 size 0x0: type 7 (TD_INFO) is a td-shim section type");
	assert_int_equal(tdxsim_tdvf_parse_flags(fw.img, fw.size, TDXSIM_TDVF_PARSE_TDSHIM,
					  &info, err, sizeof(err)), 0);
	assert_int_equal(info.nr_sections, 7);
	assert_int_equal(info.sections[6].type, TDXSIM_TDVF_SECTION_TD_INFO);
	assert_false(tdxsim_tdvf_section_is_mapped(&info.sections[6]));
	assert_int_equal(tdxsim_tdvf_section_page(&info, fw.img, 6, 0, page), -EINVAL);
	tdxsim_tdvf_info_free(&info);

	/* Not loaded into memory: no address or size. */
	put_unaligned_le64(0x900000, fw_sec(&fw, 6, F_ADDRESS));
	expect_error_flags(fw.img, fw.size, TDXSIM_TDVF_PARSE_TDSHIM,
			   "section 6 (TD_INFO) at 0x900000 size 0x0: a TD_INFO section is not loaded into memory: MemoryAddress and MemoryDataSize must be 0",
			   false);
	put_unaligned_le64(0, fw_sec(&fw, 6, F_ADDRESS));
	/* Its data must lie inside the BFV's. */
	put_unaligned_le32(0x100, fw_sec(&fw, 6, F_DATA_OFFSET));
	expect_error_flags(fw.img, fw.size, TDXSIM_TDVF_PARSE_TDSHIM,
			   "section 6 (TD_INFO) at 0x0 size 0x0: data at file offset 0x100 + RawDataSize 0x100 is not inside a BFV's data",
			   false);
	put_unaligned_le32(0x10100, fw_sec(&fw, 6, F_DATA_OFFSET));
	put_unaligned_le32(0, fw_sec(&fw, 6, F_RAW_SIZE));
	expect_error_flags(fw.img, fw.size, TDXSIM_TDVF_PARSE_TDSHIM,
			   "RawDataSize is 0, but a TD_INFO section's contents come from the image",
			   false);

	/* PAYLOAD_PARAM needs a PAYLOAD. */
	memset(fw_sec(&fw, 6, 0), 0, TDXSIM_TDVF_SECTION_SIZE);
	put_unaligned_le64(0x900000, fw_sec(&fw, 6, F_ADDRESS));
	put_unaligned_le64(0x1000, fw_sec(&fw, 6, F_MEM_SIZE));
	put_unaligned_le32(TDXSIM_TDVF_SECTION_PAYLOAD_PARAM, fw_sec(&fw, 6, F_TYPE));
	expect_error_flags(fw.img, fw.size, TDXSIM_TDVF_PARSE_TDSHIM,
			   "a PAYLOAD_PARAM section without a PAYLOAD section",
			   false);
	free(fw.img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ovmf_fd),
		cmocka_unit_test(test_ovmf_code_alone),
		cmocka_unit_test(test_builtin),
		cmocka_unit_test(test_section_page),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_bad_guid_table),
		cmocka_unit_test(test_bad_descriptor),
		cmocka_unit_test(test_bad_sections),
		cmocka_unit_test(test_tdshim_legacy),
		cmocka_unit_test(test_tdshim_types),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
