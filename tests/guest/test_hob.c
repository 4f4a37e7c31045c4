// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The TD HOB: what tdxsim_guest_hob_build() writes is the PI layout (PHIT,
 * resource descriptors, end), and tdxsim_guest_hob_parse() reads it back
 * and refuses malformed lists.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "guest/guest_internal.h"
#include "ulib/unaligned.h"

static const struct tdxsim_ram_range ranges[] = {
	{ 0x0, 0x800000, TDXSIM_RAM_SYSTEM },
	{ 0x800000, 0x7f800000, TDXSIM_RAM_UNACCEPTED },
	{ 0x100000000ULL, 0x80000000ULL, TDXSIM_RAM_UNACCEPTED },
};

static void test_layout_bytes(void **state)
{
	u8 buf[4096];
	long n;

	memset(buf, 0xAA, sizeof(buf));
	n = tdxsim_guest_hob_build(buf, sizeof(buf), 0x809000, ranges, 3);
	assert_int_equal(n, 56 + 3 * 48 + 8);
	/* PHIT */
	assert_int_equal(get_unaligned_le16(buf), TDXSIM_HOB_TYPE_HANDOFF);
	assert_int_equal(get_unaligned_le16(buf + 2), 56);
	assert_int_equal(get_unaligned_le32(buf + 4), 0);
	assert_int_equal(get_unaligned_le32(buf + 8), 9);			/* Version */
	assert_int_equal(get_unaligned_le64(buf + 24), 0x809000);		/* bottom */
	assert_int_equal(get_unaligned_le64(buf + 16), 0x809000 + 4096);	/* top */
	assert_int_equal(get_unaligned_le64(buf + 48), 0x809000 + n - 8);	/* end of list */
	/* The second resource descriptor. */
	assert_int_equal(get_unaligned_le16(buf + 56 + 48), TDXSIM_HOB_TYPE_RESOURCE_DESCRIPTOR);
	assert_int_equal(get_unaligned_le16(buf + 56 + 48 + 2), 48);
	assert_int_equal(get_unaligned_le32(buf + 56 + 48 + 24), TDXSIM_RAM_UNACCEPTED);
	assert_int_equal(get_unaligned_le64(buf + 56 + 48 + 32), 0x800000);
	assert_int_equal(get_unaligned_le64(buf + 56 + 48 + 40), 0x7f800000);
	/* End of list. */
	assert_int_equal(get_unaligned_le16(buf + n - 8), TDXSIM_HOB_TYPE_END_OF_HOB_LIST);
	assert_int_equal(get_unaligned_le16(buf + n - 6), 8);
	/* Nothing written past it. */
	assert_int_equal(buf[n], 0xAA);
}

static void test_round_trip(void **state)
{
	struct tdxsim_ram_range out[4];
	u8 buf[512];
	long n;
	int i, m;

	n = tdxsim_guest_hob_build(buf, sizeof(buf), 0x809000, ranges, 3);
	assert_true(n > 0);
	m = tdxsim_guest_hob_parse(buf, n, out, 4);
	assert_int_equal(m, 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(out[i].base, ranges[i].base);
		assert_int_equal(out[i].size, ranges[i].size);
		assert_int_equal(out[i].type, ranges[i].type);
	}
	/* Too small an output array. */
	assert_int_equal(tdxsim_guest_hob_parse(buf, n, out, 2), -E2BIG);
	/* An empty RAM list is still a valid HOB list. */
	n = tdxsim_guest_hob_build(buf, sizeof(buf), 0, NULL, 0);
	assert_int_equal(n, 64);
	assert_int_equal(tdxsim_guest_hob_parse(buf, n, out, 4), 0);
}

static void test_build_errors(void **state)
{
	struct tdxsim_ram_range bad = { 0x1000, 0, TDXSIM_RAM_UNACCEPTED };
	u8 buf[512];

	assert_int_equal(tdxsim_guest_hob_build(buf, 100, 0, ranges, 3),
			 -ENOSPC);
	assert_int_equal(tdxsim_guest_hob_build(buf, sizeof(buf), 0, &bad, 1),
			 -EINVAL);
	bad.size = 0x1000;
	bad.type = 5;
	assert_int_equal(tdxsim_guest_hob_build(buf, sizeof(buf), 0, &bad, 1),
			 -EINVAL);
}

static void test_parse_malformed(void **state)
{
	struct tdxsim_ram_range out[4];
	u8 buf[512], copy[512];
	long n;

	n = tdxsim_guest_hob_build(buf, sizeof(buf), 0x809000, ranges, 3);
	/* Truncated: no end HOB within the length. */
	assert_int_equal(tdxsim_guest_hob_parse(buf, n - 8, out, 4), -EINVAL);
	/* First HOB is not a PHIT. */
	memcpy(copy, buf, n);
	copy[0] = TDXSIM_HOB_TYPE_RESOURCE_DESCRIPTOR;
	assert_int_equal(tdxsim_guest_hob_parse(copy, n, out, 4), -EINVAL);
	/* A zero length would loop forever. */
	memcpy(copy, buf, n);
	copy[56 + 2] = 0;
	copy[56 + 3] = 0;
	assert_int_equal(tdxsim_guest_hob_parse(copy, n, out, 4), -EINVAL);
	/* A length that is not a multiple of 8. */
	memcpy(copy, buf, n);
	copy[56 + 2] = 47;
	assert_int_equal(tdxsim_guest_hob_parse(copy, n, out, 4), -EINVAL);
	/* A length running past the buffer. */
	memcpy(copy, buf, n);
	copy[56 + 2] = 0xf0;
	copy[56 + 3] = 0x0f;
	assert_int_equal(tdxsim_guest_hob_parse(copy, n, out, 4), -EINVAL);
	/* A resource descriptor too short for its fields. */
	memcpy(copy, buf, n);
	copy[56 + 2] = 16;
	assert_int_equal(tdxsim_guest_hob_parse(copy, n, out, 4), -EINVAL);
	/* Other resource types are skipped. */
	memcpy(copy, buf, n);
	copy[56 + 24] = 1;	/* EFI_RESOURCE_MEMORY_MAPPED_IO */
	assert_int_equal(tdxsim_guest_hob_parse(copy, n, out, 4), 2);
	assert_int_equal(out[0].base, 0x800000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_bytes),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_build_errors),
		cmocka_unit_test(test_parse_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
