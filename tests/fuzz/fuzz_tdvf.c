// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz harness of the TDVF metadata parser (src/vmm/tdvf.c): the input is a
 * whole firmware image, handed over in a buffer of exactly its size (so
 * ASan sees any read past either end). It is parsed as QEMU would and with
 * td-shim section types, twice each. What must hold:
 *
 *  - the parse is deterministic (same status, message, info, sections);
 *  - a refusal is -EINVAL with one "TDVF: ..." message and nothing
 *    allocated, and a shorter message buffer only truncates that message;
 *  - an accepted image's metadata is what the image holds (signature,
 *    version, Length, each section entry byte for byte), found where the
 *    layout says; every section's data lies inside the image; the sections
 *    loaded into memory are 4K-aligned, non-empty, below the GPA limit and
 *    do not overlap in GPA; TD_INFO/TD_PARAMS point inside a BFV's data;
 *    there is a BFV and at most one TD_HOB;
 *  - tdxsim_tdvf_section_page() gives the image bytes then zeroes, for the first,
 *    last and boundary pages, and refuses what is out of range;
 *  - tdxsim_tdvf_measure_counts() agrees with the sections;
 *  - an image QEMU's rules accept is also accepted, identically, with
 *    td-shim types allowed;
 *  - tdxsim_tdvf_attr_names() of the first bytes, into a buffer of any size, is
 *    the full text cut to fit.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "tdxsim/tdvf.h"
#include "ulib/compiler.h"

#define ERR_LEN 512

static u32 le32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

static u64 le64(const u8 *p)
{
	return (u64)le32(p) | (u64)le32(p + 4) << 32;
}

static bool info_equal(const struct tdxsim_tdvf_info *a,
		       const struct tdxsim_tdvf_info *b)
{
	if (a->image_size != b->image_size || a->layout != b->layout ||
	    a->descriptor_offset != b->descriptor_offset ||
	    a->length != b->length || a->version != b->version ||
	    a->nr_sections != b->nr_sections)
		return false;
	if (!a->nr_sections)
		return !a->sections && !b->sections;
	return !memcmp(a->sections, b->sections,
		       a->nr_sections * sizeof(*a->sections));
}

static void check_refusal(int ret, const char *err,
			  const struct tdxsim_tdvf_info *info)
{
	static const struct tdxsim_tdvf_info zero;

	FUZZ_CHECK(ret == -EINVAL, "refused with %d (%s)", ret, err);
	FUZZ_CHECK(memchr(err, '\0', ERR_LEN), "message not terminated");
	FUZZ_CHECK(!strncmp(err, "TDVF: ", 6) && strlen(err) > 10,
		   "message \"%s\"", err);
	FUZZ_CHECK(!strchr(err, '\n'), "message on one line: \"%s\"", err);
	FUZZ_CHECK(!memcmp(info, &zero, sizeof(zero)),
		   "refused image left info set (%u sections)",
		   info->nr_sections);
}

/* The sections loaded into memory, sorted by GPA, must not overlap. */
static int cmp_gpa(const void *a, const void *b)
{
	const struct tdxsim_tdvf_section *x =
		*(const struct tdxsim_tdvf_section *const *)a;
	const struct tdxsim_tdvf_section *y =
		*(const struct tdxsim_tdvf_section *const *)b;

	return x->memory_address < y->memory_address ?
		       -1 :
		       x->memory_address > y->memory_address;
}

static void check_no_overlap(const struct tdxsim_tdvf_info *info)
{
	const struct tdxsim_tdvf_section **v;
	u64 end = 0;
	u32 i, n = 0;

	v = calloc(info->nr_sections, sizeof(*v));
	FUZZ_CHECK(v, "out of memory");
	for (i = 0; i < info->nr_sections; i++)
		if (tdxsim_tdvf_section_is_mapped(&info->sections[i]))
			v[n++] = &info->sections[i];
	qsort(v, n, sizeof(*v), cmp_gpa);
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(
			!i || v[i]->memory_address >= end,
			"sections overlap in GPA at 0x%llx (previous end 0x%llx)",
			(unsigned long long)v[i]->memory_address,
			(unsigned long long)end);
		end = v[i]->memory_address + v[i]->memory_data_size;
	}
	free(v);
}

/* Page @page of section @idx: image bytes up to RawDataSize, then zeroes. */
static void check_page(const struct tdxsim_tdvf_info *info, const u8 *img,
		       u32 idx, u64 page)
{
	const struct tdxsim_tdvf_section *s = &info->sections[idx];
	static u8 buf[PAGE_SIZE];
	u64 off = page * PAGE_SIZE, i;

	memset(buf, 0xa5, sizeof(buf));
	FUZZ_CHECK(!tdxsim_tdvf_section_page(info, img, idx, page, buf),
		   "section %u page %llu refused", idx,
		   (unsigned long long)page);
	for (i = 0; i < PAGE_SIZE; i++) {
		u8 want = off + i < s->raw_data_size ?
				  img[s->data_offset + off + i] :
				  0;

		FUZZ_CHECK(
			buf[i] == want,
			"section %u page %llu byte %llu: 0x%02x, want 0x%02x",
			idx, (unsigned long long)page, (unsigned long long)i,
			buf[i], want);
	}
}

static void check_accepted(const u8 *img, size_t size, unsigned int flags,
			   const struct tdxsim_tdvf_info *info)
{
	u64 adds = 0, extends = 0, got_adds, got_extends, pages, desc;
	u32 i, j, nr_bfv = 0, nr_hob = 0;
	bool ovmf;

	FUZZ_CHECK(info->image_size == size, "image_size %zu",
		   info->image_size);
	FUZZ_CHECK(info->sections && info->nr_sections >= 2, "%u sections",
		   info->nr_sections);
	desc = info->descriptor_offset;
	FUZZ_CHECK(desc >= TDXSIM_TDVF_GUID_SIZE &&
			   desc + (u64)info->length <= size,
		   "descriptor 0x%llx + %u outside the %zu-byte image",
		   (unsigned long long)desc, info->length, size);
	FUZZ_CHECK(info->length == TDXSIM_TDVF_DESCRIPTOR_SIZE +
					   (u64)info->nr_sections *
						   TDXSIM_TDVF_SECTION_SIZE,
		   "Length %u for %u sections", info->length,
		   info->nr_sections);
	FUZZ_CHECK(!memcmp(img + desc, "TDVF", 4) && info->version == 1 &&
			   le32(img + desc + 4) == info->length &&
			   le32(img + desc + 8) == info->version &&
			   le32(img + desc + 12) == info->nr_sections,
		   "descriptor fields differ from the image");
	FUZZ_CHECK(!memcmp(img + desc - TDXSIM_TDVF_GUID_SIZE,
			   tdxsim_tdvf_metadata_guid, TDXSIM_TDVF_GUID_SIZE),
		   "no metadata GUID before the descriptor");

	/* The layout is decided by the footer GUID alone. */
	ovmf = size >= 0x30 &&
	       !memcmp(img + size - 0x30, tdxsim_tdvf_ovmf_table_footer_guid,
		       TDXSIM_TDVF_GUID_SIZE);
	FUZZ_CHECK(info->layout == (ovmf ? TDXSIM_TDVF_LAYOUT_OVMF_TABLE :
					   TDXSIM_TDVF_LAYOUT_TDSHIM_LEGACY),
		   "layout %d", info->layout);
	if (!ovmf)
		FUZZ_CHECK(le32(img + size - 0x20) == desc,
			   "td-shim offset 0x%x, descriptor at 0x%llx",
			   le32(img + size - 0x20), (unsigned long long)desc);

	for (i = 0; i < info->nr_sections; i++) {
		const struct tdxsim_tdvf_section *s = &info->sections[i];
		const u8 *e = img + desc + TDXSIM_TDVF_DESCRIPTOR_SIZE +
			      (size_t)i * TDXSIM_TDVF_SECTION_SIZE;
		u64 end = s->memory_address + s->memory_data_size;

		FUZZ_CHECK(s->data_offset == le32(e) &&
				   s->raw_data_size == le32(e + 4) &&
				   s->memory_address == le64(e + 8) &&
				   s->memory_data_size == le64(e + 16) &&
				   s->type == le32(e + 24) &&
				   s->attributes == le32(e + 28),
			   "section %u differs from its entry in the image", i);
		FUZZ_CHECK(s->type < ((flags & TDXSIM_TDVF_PARSE_TDSHIM) ?
					      TDXSIM_TDVF_SECTION_NR :
					      TDXSIM_TDVF_SECTION_TEMP_MEM + 1),
			   "section %u type %u", i, s->type);
		FUZZ_CHECK(!(s->attributes & ~(u32)TDXSIM_TDVF_ATTR_ALL) &&
				   s->attributes != TDXSIM_TDVF_ATTR_ALL,
			   "section %u attributes 0x%x", i, s->attributes);
		FUZZ_CHECK((u64)s->data_offset + s->raw_data_size <= size ||
				   !s->raw_data_size,
			   "section %u data 0x%x + 0x%x outside the image", i,
			   s->data_offset, s->raw_data_size);
		nr_bfv += s->type == TDXSIM_TDVF_SECTION_BFV;
		nr_hob += s->type == TDXSIM_TDVF_SECTION_TD_HOB;

		if (!tdxsim_tdvf_section_is_mapped(s)) {
			bool inside = false;

			FUZZ_CHECK(!s->memory_address && !s->memory_data_size,
				   "unmapped section %u has a GPA range", i);
			for (j = 0; j < info->nr_sections; j++) {
				const struct tdxsim_tdvf_section *b =
					&info->sections[j];

				inside |= b->type == TDXSIM_TDVF_SECTION_BFV &&
					  s->data_offset >= b->data_offset &&
					  (u64)s->data_offset +
							  s->raw_data_size <=
						  (u64)b->data_offset +
							  b->raw_data_size;
			}
			FUZZ_CHECK(inside, "section %u not inside a BFV", i);
			FUZZ_CHECK(tdxsim_tdvf_section_page(info, img, i, 0,
							    NULL) == -EINVAL,
				   "page of unmapped section %u", i);
			continue;
		}
		FUZZ_CHECK(IS_ALIGNED(s->memory_address, PAGE_SIZE) &&
				   IS_ALIGNED(s->memory_data_size, PAGE_SIZE) &&
				   s->memory_data_size &&
				   end > s->memory_address &&
				   end <= TDXSIM_TDVF_GPA_LIMIT,
			   "section %u at 0x%llx size 0x%llx", i,
			   (unsigned long long)s->memory_address,
			   (unsigned long long)s->memory_data_size);
		FUZZ_CHECK(s->raw_data_size <= s->memory_data_size,
			   "section %u raw 0x%x > memory size", i,
			   s->raw_data_size);
		FUZZ_CHECK(!(s->raw_data_size &&
			     (s->attributes & TDXSIM_TDVF_ATTR_PAGE_AUG)),
			   "section %u AUGed with data", i);

		pages = s->memory_data_size / PAGE_SIZE;
		check_page(info, img, i, 0);
		check_page(info, img, i, pages - 1);
		if (s->raw_data_size)
			check_page(info, img, i,
				   (s->raw_data_size - 1) / PAGE_SIZE);
		FUZZ_CHECK(tdxsim_tdvf_section_page(info, img, i, pages,
						    NULL) == -EINVAL,
			   "page past section %u", i);
		if (!(s->attributes & TDXSIM_TDVF_ATTR_PAGE_AUG))
			adds += pages;
		if (s->attributes & TDXSIM_TDVF_ATTR_MR_EXTEND)
			extends += pages * (PAGE_SIZE / 256);
	}
	FUZZ_CHECK(tdxsim_tdvf_section_page(info, img, info->nr_sections, 0,
					    NULL) == -EINVAL,
		   "section index out of range");
	FUZZ_CHECK(nr_bfv >= 1, "no BFV");
	FUZZ_CHECK(nr_hob <= 1, "%u TD_HOBs", nr_hob);
	if (!(flags & TDXSIM_TDVF_PARSE_TDSHIM))
		FUZZ_CHECK(nr_hob == 1, "QEMU needs a TD_HOB");
	check_no_overlap(info);

	tdxsim_tdvf_measure_counts(info, &got_adds, &got_extends);
	FUZZ_CHECK(got_adds == adds && got_extends == extends,
		   "measure counts %llu/%llu, want %llu/%llu",
		   (unsigned long long)got_adds,
		   (unsigned long long)got_extends, (unsigned long long)adds,
		   (unsigned long long)extends);
}

/*
 * The same parse with a message buffer of @len bytes (exactly sized, so
 * ASan sees an overrun) gives the same status and a prefix of @full.
 */
static void check_short_message(const u8 *img, size_t size, unsigned int flags,
				size_t len, int want, const char *full)
{
	struct tdxsim_tdvf_info info;
	char *err = len ? malloc(len) : NULL;
	int ret;

	FUZZ_CHECK(!len || err, "out of memory");
	ret = tdxsim_tdvf_parse_flags(img, size, flags, &info, err, len);
	FUZZ_CHECK(ret == want, "errlen %zu: %d, want %d", len, ret, want);
	if (len) {
		FUZZ_CHECK(memchr(err, '\0', len), "errlen %zu: unterminated",
			   len);
		FUZZ_CHECK(!strncmp(err, full, strlen(err)) &&
				   strlen(err) == min(len - 1, strlen(full)),
			   "errlen %zu: \"%s\" is not a prefix of \"%s\"", len,
			   err, full);
	}
	tdxsim_tdvf_info_free(&info);
	free(err);
}

static int parse_checked(const u8 *img, size_t size, unsigned int flags,
			 struct tdxsim_tdvf_info *info)
{
	static char err[ERR_LEN], err2[ERR_LEN];
	struct tdxsim_tdvf_info again;
	int ret, ret2;

	ret = tdxsim_tdvf_parse_flags(img, size, flags, info, err, sizeof(err));
	ret2 = tdxsim_tdvf_parse_flags(img, size, flags, &again, err2,
				       sizeof(err2));
	FUZZ_CHECK(ret == ret2 && !strcmp(err, err2) &&
			   info_equal(info, &again),
		   "not deterministic: %d \"%s\", then %d \"%s\"", ret, err,
		   ret2, err2);
	tdxsim_tdvf_info_free(&again);
	if (ret) {
		check_refusal(ret, err, info);
		/* The message is the same, only cut, in a short buffer. */
		check_short_message(img, size, flags, 0, ret, err);
		check_short_message(img, size, flags, 1, ret, err);
		check_short_message(img, size, flags, 7, ret, err);
		check_short_message(img, size, flags, 40, ret, err);
	} else {
		FUZZ_CHECK(!strcmp(err, ""), "accepted with message \"%s\"",
			   err);
		check_accepted(img, size, flags, info);
	}
	return ret;
}

/*
 * tdxsim_tdvf_attr_names() of the first 4 bytes into a buffer of exactly the size
 * the 5th byte gives (0 to 63): NUL-terminated, a prefix of the full text.
 */
static void check_attr_names(const u8 *data, size_t size)
{
	char full[64], *buf;
	size_t len;
	u32 attr;

	if (size < 5)
		return;
	attr = le32(data);
	len = data[4] & 63;
	tdxsim_tdvf_attr_names(attr, full, sizeof(full));
	FUZZ_CHECK(memchr(full, '\0', sizeof(full)) && full[0], "names of 0x%x",
		   attr);
	buf = malloc(len ? len : 1);
	FUZZ_CHECK(buf, "out of memory");
	FUZZ_CHECK(tdxsim_tdvf_attr_names(attr, buf, len) == buf,
		   "return value");
	if (len)
		FUZZ_CHECK(strlen(buf) == min(len - 1, strlen(full)) &&
				   !strncmp(buf, full, strlen(buf)),
			   "names of 0x%x in %zu bytes: \"%s\", full \"%s\"",
			   attr, len, buf, full);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tdxsim_tdvf_info qemu, shim;
	char attr[64];
	int r1, r2;
	u32 i;

	r1 = parse_checked(data, size, 0, &qemu);
	r2 = parse_checked(data, size, TDXSIM_TDVF_PARSE_TDSHIM, &shim);
	if (!r1)
		FUZZ_CHECK(!r2 && info_equal(&qemu, &shim),
			   "accepted as a QEMU image but not as a td-shim one");
	/* The names `tdxsim info` prints, for every section. */
	for (i = 0; i < shim.nr_sections; i++) {
		FUZZ_CHECK(strcmp(tdxsim_tdvf_section_type_name(
					  shim.sections[i].type),
				  "UNKNOWN"),
			   "section %u has no type name", i);
		tdxsim_tdvf_attr_names(shim.sections[i].attributes, attr,
				       sizeof(attr));
		FUZZ_CHECK(attr[0] && !strstr(attr, "0x"), "attributes \"%s\"",
			   attr);
	}
	tdxsim_tdvf_info_free(&qemu);
	tdxsim_tdvf_info_free(&shim);
	check_attr_names(data, size);
	return 0;
}
