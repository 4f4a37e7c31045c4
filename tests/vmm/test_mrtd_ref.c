// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Properties of the reference MRTD calculation (tests/vmm/mrtd_ref.c), which
 * later tests of the launch path compare against: the counts for Debian's
 * OVMF.fd, single-pass versus two-pass order, and what MRTD does and does
 * not depend on.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mrtd_ref.h"
#include "ulib/compiler.h"
#include "ulib/unaligned.h"

#define OVMF_FD		"/usr/share/ovmf/OVMF.fd"

#define F_ADDRESS	8
#define F_ATTR		28

static u8 *sec_field(u8 *img, const struct tdxsim_tdvf_info *info, u32 i, u32 f)
{
	return img + info->descriptor_offset + TDXSIM_TDVF_DESCRIPTOR_SIZE +
	       i * TDXSIM_TDVF_SECTION_SIZE + f;
}

/* Parse @img and compute its MRTD in @order (no HOB contents). */
static void mrtd_of(const u8 *img, size_t size, enum mrtd_ref_order order,
		    u8 *mrtd, struct mrtd_ref_stats *st)
{
	struct tdxsim_tdvf_info info;
	char err[512];

	if (tdxsim_tdvf_parse(img, size, &info, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(mrtd_ref_compute(&info, img, NULL, 0, order, mrtd,
					  st), 0);
	tdxsim_tdvf_info_free(&info);
}

static void test_ovmf_counts(void **state)
{
	u8 single[MRTD_SIZE], two[MRTD_SIZE];
	struct mrtd_ref_stats s1, s2;
	char err[512], hex[2 * MRTD_SIZE + 1];
	size_t size;
	u8 *img;

	if (tdxsim_tdvf_load_file(OVMF_FD, &img, &size, err, sizeof(err))) {
		printf("# skip: %s (install Debian's ovmf package)\n", err);
		skip();
	}
	mrtd_of(img, size, MRTD_REF_SINGLE_PASS, single, &s1);
	mrtd_of(img, size, MRTD_REF_TWO_PASS, two, &s2);
	assert_int_equal(s1.page_adds, 538);
	assert_int_equal(s1.mr_extends, 7680);
	assert_int_equal(s1.bytes, 3017984);
	assert_memory_equal(&s1, &s2, sizeof(s1));
	assert_memory_not_equal(single, two, MRTD_SIZE);
	printf("# OVMF.fd MRTD single-pass %s\n", mrtd_ref_hex(single, hex));
	printf("# OVMF.fd MRTD two-pass    %s\n", mrtd_ref_hex(two, hex));
	free(img);
}

static void test_builtin_orders(void **state)
{
	u8 single[MRTD_SIZE], two[MRTD_SIZE], again[MRTD_SIZE];
	struct mrtd_ref_stats st;
	struct tdxsim_tdvf_info info;
	u64 adds, extends;
	size_t size;
	u8 *img;
	u32 i;

	assert_int_equal(tdxsim_tdvf_builtin_image(&img, &size), 0);
	mrtd_of(img, size, MRTD_REF_SINGLE_PASS, single, &st);
	mrtd_of(img, size, MRTD_REF_SINGLE_PASS, again, NULL);
	assert_memory_equal(single, again, MRTD_SIZE);
	mrtd_of(img, size, MRTD_REF_TWO_PASS, two, NULL);
	assert_memory_not_equal(single, two, MRTD_SIZE);

	/* The parser's counts (what the launch path will do) agree. */
	assert_int_equal(tdxsim_tdvf_parse(img, size, &info, NULL, 0), 0);
	tdxsim_tdvf_measure_counts(&info, &adds, &extends);
	assert_int_equal(st.page_adds, adds);
	assert_int_equal(st.mr_extends, extends);
	assert_int_equal(st.bytes, (adds + 3 * extends) * 128);

	/* Without MR.EXTEND sections, the two orders are the same. */
	for (i = 0; i < info.nr_sections; i++)
		put_unaligned_le32(0, sec_field(img, &info, i, F_ATTR));
	mrtd_of(img, size, MRTD_REF_SINGLE_PASS, single, &st);
	mrtd_of(img, size, MRTD_REF_TWO_PASS, two, NULL);
	assert_memory_equal(single, two, MRTD_SIZE);
	assert_int_equal(st.mr_extends, 0);
	tdxsim_tdvf_info_free(&info);
	free(img);
}

static void test_hob_contents(void **state)
{
	u8 a[MRTD_SIZE], b[MRTD_SIZE], hob1[4096], hob2[4096];
	struct tdxsim_tdvf_info info;
	size_t size;
	u32 i, hob = 0;
	u8 *img;

	memset(hob1, 0x11, sizeof(hob1));
	memset(hob2, 0x22, sizeof(hob2));
	assert_int_equal(tdxsim_tdvf_builtin_image(&img, &size), 0);
	assert_int_equal(tdxsim_tdvf_parse(img, size, &info, NULL, 0), 0);
	for (i = 0; i < info.nr_sections; i++)
		if (info.sections[i].type == TDXSIM_TDVF_SECTION_TD_HOB)
			hob = i;
	assert_int_equal(info.sections[hob].type, TDXSIM_TDVF_SECTION_TD_HOB);

	/* TD_HOB is PAGE.ADDed, not extended: its contents don't count. */
	assert_int_equal(mrtd_ref_compute(&info, img, hob1, sizeof(hob1),
					  MRTD_REF_SINGLE_PASS, a, NULL), 0);
	assert_int_equal(mrtd_ref_compute(&info, img, hob2, sizeof(hob2),
					  MRTD_REF_SINGLE_PASS, b, NULL), 0);
	assert_memory_equal(a, b, MRTD_SIZE);

	/* They would if the firmware asked for TD_HOB to be measured. */
	put_unaligned_le32(TDXSIM_TDVF_ATTR_MR_EXTEND, sec_field(img, &info, hob, F_ATTR));
	tdxsim_tdvf_info_free(&info);
	assert_int_equal(tdxsim_tdvf_parse(img, size, &info, NULL, 0), 0);
	assert_int_equal(mrtd_ref_compute(&info, img, hob1, sizeof(hob1),
					  MRTD_REF_SINGLE_PASS, a, NULL), 0);
	assert_int_equal(mrtd_ref_compute(&info, img, hob2, sizeof(hob2),
					  MRTD_REF_SINGLE_PASS, b, NULL), 0);
	assert_memory_not_equal(a, b, MRTD_SIZE);
	tdxsim_tdvf_info_free(&info);
	free(img);
}

static void test_dependencies(void **state)
{
	u8 base[MRTD_SIZE], m[MRTD_SIZE], save[TDXSIM_TDVF_SECTION_SIZE];
	struct tdxsim_tdvf_info info;
	const struct tdxsim_tdvf_section *bfv, *cfv;
	size_t size;
	u8 *img, *s2, *s3;

	assert_int_equal(tdxsim_tdvf_builtin_image(&img, &size), 0);
	assert_int_equal(tdxsim_tdvf_parse(img, size, &info, NULL, 0), 0);
	bfv = &info.sections[0];
	cfv = &info.sections[1];
	assert_int_equal(bfv->type, TDXSIM_TDVF_SECTION_BFV);
	assert_int_equal(cfv->type, TDXSIM_TDVF_SECTION_CFV);
	mrtd_of(img, size, MRTD_REF_SINGLE_PASS, base, NULL);

	/* CFV bytes (not MR.EXTEND) don't count. */
	img[cfv->data_offset + 0x100] ^= 0x5a;
	mrtd_of(img, size, MRTD_REF_SINGLE_PASS, m, NULL);
	assert_memory_equal(m, base, MRTD_SIZE);
	img[cfv->data_offset + 0x100] ^= 0x5a;

	/* Any BFV byte counts. */
	img[bfv->data_offset + 0x1234] ^= 0x01;
	mrtd_of(img, size, MRTD_REF_SINGLE_PASS, m, NULL);
	assert_memory_not_equal(m, base, MRTD_SIZE);
	img[bfv->data_offset + 0x1234] ^= 0x01;

	/* The GPA of an unmeasured TEMP_MEM section counts. */
	put_unaligned_le64(0x900000, sec_field(img, &info, 2, F_ADDRESS));
	mrtd_of(img, size, MRTD_REF_SINGLE_PASS, m, NULL);
	assert_memory_not_equal(m, base, MRTD_SIZE);
	put_unaligned_le64(info.sections[2].memory_address, sec_field(img, &info, 2, F_ADDRESS));

	/* The order of the sections counts. */
	s2 = sec_field(img, &info, 2, 0);
	s3 = sec_field(img, &info, 3, 0);
	memcpy(save, s2, sizeof(save));
	memcpy(s2, s3, sizeof(save));
	memcpy(s3, save, sizeof(save));
	mrtd_of(img, size, MRTD_REF_SINGLE_PASS, m, NULL);
	assert_memory_not_equal(m, base, MRTD_SIZE);
	memcpy(s3, s2, sizeof(save));
	memcpy(s2, save, sizeof(save));

	/* Restored image, same measurement. */
	mrtd_of(img, size, MRTD_REF_SINGLE_PASS, m, NULL);
	assert_memory_equal(m, base, MRTD_SIZE);
	tdxsim_tdvf_info_free(&info);
	free(img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ovmf_counts),
		cmocka_unit_test(test_builtin_orders),
		cmocka_unit_test(test_hob_contents),
		cmocka_unit_test(test_dependencies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
