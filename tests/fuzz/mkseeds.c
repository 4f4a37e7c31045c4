// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Write the TDVF seeds of the fuzz corpus (tests/fuzz/corpus/tdvf/):
 *
 *   fuzz_mkseeds OUTDIR [OVMF.fd]
 *
 * The real images are too large for the corpus (no seed over 64 KiB), so
 * the seeds keep what the parser reads: the last 8 KiB of tdxsim's built-in
 * image and of OVMF.fd verbatim (GUID table, descriptor, reset vector; their
 * sections' data then lies outside the image), each image shrunk to 16 KiB
 * with its metadata kept and its BFV/CFV resized to fit (valid images), and
 * synthetic images of 8 KiB and of a few hundred bytes (where a mutation
 * mostly lands in the metadata): the OVMF GUID table layout and the td-shim
 * legacy layout, with QEMU's section types and with td-shim's. Every seed
 * except the tails must parse (with --td-shim where it has td-shim types).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tdxsim/tdvf.h"
#include "ulib/compiler.h"
#include "ulib/unaligned.h"

#define SEED_SIZE 0x4000UL
#define TAIL_SIZE 0x2000UL
#define GPA_4G 0x100000000ULL

static const char *outdir;

static void write_seed(const char *name, const u8 *buf, size_t size,
		       unsigned int flags, bool must_parse)
{
	struct tdxsim_tdvf_info info;
	char path[4096], err[512];
	FILE *f;

	if (tdxsim_tdvf_parse_flags(buf, size, flags, &info, err,
				    sizeof(err))) {
		if (must_parse) {
			fprintf(stderr, "%s: %s\n", name, err);
			exit(1);
		}
		printf("%-28s %6zu bytes, refused: %s\n", name, size, err);
	} else {
		printf("%-28s %6zu bytes, %u sections\n", name, size,
		       info.nr_sections);
		tdxsim_tdvf_info_free(&info);
	}
	snprintf(path, sizeof(path), "%s/%s", outdir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, size, f) != size || fclose(f)) {
		perror(path);
		exit(1);
	}
}

static void put_section(u8 *e, const struct tdxsim_tdvf_section *s)
{
	put_unaligned_le32(s->data_offset, e);
	put_unaligned_le32(s->raw_data_size, e + 4);
	put_unaligned_le64(s->memory_address, e + 8);
	put_unaligned_le64(s->memory_data_size, e + 16);
	put_unaligned_le32(s->type, e + 24);
	put_unaligned_le32(s->attributes, e + 28);
}

/*
 * A @size-byte image holding @n sections with the descriptor at file offset
 * @desc, found through the OVMF GUID table or the td-shim legacy offset.
 * Data bytes are a counter.
 */
static u8 *synth(bool ovmf, const struct tdxsim_tdvf_section *s, u32 n,
		 size_t size, size_t desc)
{
	u8 *img = malloc(size), *e;
	size_t i;

	if (!img)
		exit(1);
	for (i = 0; i < size; i++)
		img[i] = (u8)(i * 7);
	memcpy(img + desc - TDXSIM_TDVF_GUID_SIZE, tdxsim_tdvf_metadata_guid,
	       TDXSIM_TDVF_GUID_SIZE);
	memcpy(img + desc, "TDVF", 4);
	put_unaligned_le32(TDXSIM_TDVF_DESCRIPTOR_SIZE + n * TDXSIM_TDVF_SECTION_SIZE, img + desc + 4);
	put_unaligned_le32(1, img + desc + 8);
	put_unaligned_le32(n, img + desc + 12);
	for (i = 0; i < n; i++)
		put_section(img + desc + TDXSIM_TDVF_DESCRIPTOR_SIZE +
				    i * TDXSIM_TDVF_SECTION_SIZE,
			    &s[i]);
	if (ovmf) {
		/* metadata offset entry, then the footer entry */
		e = img + size - 0x20 - 40;
		put_unaligned_le32(size - desc, e);
		put_unaligned_le16(22, e + 4);
		memcpy(e + 6, tdxsim_tdvf_metadata_offset_guid,
		       TDXSIM_TDVF_GUID_SIZE);
		put_unaligned_le16(40, e + 22);
		memcpy(e + 24, tdxsim_tdvf_ovmf_table_footer_guid,
		       TDXSIM_TDVF_GUID_SIZE);
	} else {
		memset(img + size - 0x30, 0, TDXSIM_TDVF_GUID_SIZE);
		put_unaligned_le32(desc, img + size - 0x20);
	}
	return img;
}

/*
 * @src (@size bytes, a valid image) shrunk to SEED_SIZE bytes: its last
 * SEED_SIZE - 4K bytes (metadata and GUID table included) at the end, the
 * CFV resized to the first 4K and the BFV to the rest.
 */
static u8 *shrink(const u8 *src, size_t size)
{
	size_t keep = SEED_SIZE - SZ_4K, desc;
	struct tdxsim_tdvf_info info;
	struct tdxsim_tdvf_section s;
	u8 *img = malloc(SEED_SIZE);
	u32 i;

	if (!img || tdxsim_tdvf_parse(src, size, &info, NULL, 0))
		exit(1);
	memset(img, 0xff, SZ_4K);
	memcpy(img + SZ_4K, src + size - keep, keep);
	desc = SEED_SIZE - (size - info.descriptor_offset);
	for (i = 0; i < info.nr_sections; i++) {
		s = info.sections[i];
		if (s.type == TDXSIM_TDVF_SECTION_CFV) {
			s.data_offset = 0;
			s.raw_data_size = SZ_4K;
			s.memory_address = GPA_4G - SEED_SIZE;
			s.memory_data_size = SZ_4K;
		} else if (s.type == TDXSIM_TDVF_SECTION_BFV) {
			s.data_offset = SZ_4K;
			s.raw_data_size = keep;
			s.memory_address = GPA_4G - keep;
			s.memory_data_size = keep;
		}
		put_section(img + desc + TDXSIM_TDVF_DESCRIPTOR_SIZE +
				    i * TDXSIM_TDVF_SECTION_SIZE,
			    &s);
	}
	tdxsim_tdvf_info_free(&info);
	return img;
}

static void from_image(const char *name, const u8 *img, size_t size)
{
	char file[64];
	u8 *mini;

	snprintf(file, sizeof(file), "%s-tail-8k", name);
	write_seed(file, img + size - TAIL_SIZE, TAIL_SIZE, 0, false);
	mini = shrink(img, size);
	snprintf(file, sizeof(file), "%s-mini-16k", name);
	write_seed(file, mini, SEED_SIZE, 0, true);
	free(mini);
}

int main(int argc, char **argv)
{
	/* QEMU's types, OVMF's shape. */
	static const struct tdxsim_tdvf_section qemu[] = {
		{ 0x1000, 0x1000, 0xfffff000, 0x1000, TDXSIM_TDVF_SECTION_BFV,
		  TDXSIM_TDVF_ATTR_MR_EXTEND },
		{ 0, 0x1000, 0xffffe000, 0x1000, TDXSIM_TDVF_SECTION_CFV, 0 },
		{ 0, 0, 0x809000, 0x2000, TDXSIM_TDVF_SECTION_TD_HOB, 0 },
		{ 0, 0, 0x800000, 0x6000, TDXSIM_TDVF_SECTION_TEMP_MEM, 0 },
	};
	/* Every td-shim type, TD_INFO and TD_PARAMS inside the BFV. */
	static const struct tdxsim_tdvf_section shim[] = {
		{ 0x1000, 0x1000, 0xfffff000, 0x1000, TDXSIM_TDVF_SECTION_BFV,
		  TDXSIM_TDVF_ATTR_MR_EXTEND },
		{ 0x1800, 0x100, 0, 0, TDXSIM_TDVF_SECTION_TD_INFO, 0 },
		{ 0x1900, 0x80, 0, 0, TDXSIM_TDVF_SECTION_TD_PARAMS, 0 },
		{ 0, 0, 0x800000, 0x10000, TDXSIM_TDVF_SECTION_PERM_MEM,
		  TDXSIM_TDVF_ATTR_PAGE_AUG },
		{ 0, 0x80, 0x1000000, 0x100000, TDXSIM_TDVF_SECTION_PAYLOAD,
		  TDXSIM_TDVF_ATTR_MR_EXTEND },
		{ 0, 0, 0x1100000, 0x1000, TDXSIM_TDVF_SECTION_PAYLOAD_PARAM,
		  0 },
		{ 0, 0, 0x900000, 0x1000, TDXSIM_TDVF_SECTION_TEMP_MEM, 0 },
		{ 0, 0, 0x901000, 0x1000, TDXSIM_TDVF_SECTION_TD_HOB, 0 },
	};
	/* The same in a few hundred bytes: mutations hit the metadata. */
	static const struct tdxsim_tdvf_section qemu_small[] = {
		{ 0, 0x100, 0xfffff000, 0x1000, TDXSIM_TDVF_SECTION_BFV,
		  TDXSIM_TDVF_ATTR_MR_EXTEND },
		{ 0x100, 0x80, 0xffffe000, 0x1000, TDXSIM_TDVF_SECTION_CFV, 0 },
		{ 0, 0, 0x809000, 0x2000, TDXSIM_TDVF_SECTION_TD_HOB, 0 },
		{ 0, 0, 0x800000, 0x6000, TDXSIM_TDVF_SECTION_TEMP_MEM, 0 },
	};
	static const struct tdxsim_tdvf_section shim_small[] = {
		{ 0, 0x100, 0xfffff000, 0x1000, TDXSIM_TDVF_SECTION_BFV,
		  TDXSIM_TDVF_ATTR_MR_EXTEND },
		{ 0x10, 0x20, 0, 0, TDXSIM_TDVF_SECTION_TD_INFO, 0 },
		{ 0x40, 0x10, 0, 0, TDXSIM_TDVF_SECTION_TD_PARAMS, 0 },
		{ 0, 0, 0x800000, 0x10000, TDXSIM_TDVF_SECTION_PERM_MEM,
		  TDXSIM_TDVF_ATTR_PAGE_AUG },
		{ 0, 0x80, 0x1000000, 0x100000, TDXSIM_TDVF_SECTION_PAYLOAD,
		  TDXSIM_TDVF_ATTR_MR_EXTEND },
		{ 0, 0, 0x1100000, 0x1000, TDXSIM_TDVF_SECTION_PAYLOAD_PARAM,
		  0 },
		{ 0, 0, 0x900000, 0x1000, TDXSIM_TDVF_SECTION_TEMP_MEM, 0 },
		{ 0, 0, 0x901000, 0x1000, TDXSIM_TDVF_SECTION_TD_HOB, 0 },
	};
	char err[512];
	size_t size;
	u8 *img;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s OUTDIR [OVMF.fd]\n", argv[0]);
		return 2;
	}
	outdir = argv[1];

	if (tdxsim_tdvf_builtin_image(&img, &size))
		return 1;
	from_image("builtin", img, size);
	free(img);
	if (argc == 3) {
		if (tdxsim_tdvf_load_file(argv[2], &img, &size, err,
					  sizeof(err))) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		from_image("ovmf", img, size);
		free(img);
	}

	img = synth(true, qemu, ARRAY_SIZE(qemu), TAIL_SIZE, TAIL_SIZE - 0x800);
	write_seed("synthetic-ovmf-table", img, TAIL_SIZE, 0, true);
	free(img);
	img = synth(true, shim, ARRAY_SIZE(shim), TAIL_SIZE, TAIL_SIZE - 0x800);
	write_seed("synthetic-ovmf-table-tdshim", img, TAIL_SIZE,
		   TDXSIM_TDVF_PARSE_TDSHIM, true);
	free(img);
	img = synth(false, shim, ARRAY_SIZE(shim), TAIL_SIZE, 0x100);
	write_seed("synthetic-tdshim-legacy", img, TAIL_SIZE,
		   TDXSIM_TDVF_PARSE_TDSHIM, true);
	free(img);
	img = synth(false, qemu, ARRAY_SIZE(qemu), TAIL_SIZE, 0x100);
	write_seed("synthetic-legacy-qemu-types", img, TAIL_SIZE, 0, true);
	free(img);
	img = synth(true, qemu_small, ARRAY_SIZE(qemu_small), 0x200, 0x100);
	write_seed("small-ovmf-table", img, 0x200, 0, true);
	free(img);
	img = synth(false, qemu_small, ARRAY_SIZE(qemu_small), 0x200, 0x100);
	write_seed("small-legacy", img, 0x200, 0, true);
	free(img);
	img = synth(true, shim_small, ARRAY_SIZE(shim_small), 0x300, 0x100);
	write_seed("small-ovmf-table-tdshim", img, 0x300,
		   TDXSIM_TDVF_PARSE_TDSHIM, true);
	free(img);
	img = synth(false, shim_small, ARRAY_SIZE(shim_small), 0x300, 0x100);
	write_seed("small-tdshim-legacy", img, 0x300, TDXSIM_TDVF_PARSE_TDSHIM,
		   true);
	free(img);
	return 0;
}
