// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * MRTD: a hand-built sequence of TDH.MEM.PAGE.ADD and TDH.MR.EXTEND gives
 * the SHA-384 the test computes itself over the expected 128-byte buffers;
 * MR.EXTEND's failure statuses; nothing is measured after MR.FINALIZE;
 * repeated builds (the module's kept digest) hash what they measured.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/sha.h>

#include "seam_test.h"
#include "ulib/unaligned.h"

struct expect {
	u8 buf[1 << 16];
	size_t len;
};

static void expect_page_add(struct expect *x, u64 gpa)
{
	u8 *b = x->buf + x->len;

	memset(b, 0, 128);
	memcpy(b, "MEM.PAGE.ADD", 12);
	put_unaligned_le64(gpa, b + 16);
	x->len += 128;
}

static void expect_extend(struct expect *x, u64 gpa, const u8 *chunk)
{
	u8 *b = x->buf + x->len;

	memset(b, 0, 128);
	memcpy(b, "MR.EXTEND", 9);
	put_unaligned_le64(gpa, b + 16);
	memcpy(b + 128, chunk, 256);
	x->len += 384;
}

static void read_mrtd(struct test_td *td, u8 out[48])
{
	int i;

	for (i = 0; i < 6; i++) {
		u64 v;

		assert_status(tdh_mng_rd(td->tdr_pa, TDCS_MR_TD(i), &v),
			      TDX_SUCCESS);
		put_unaligned_le64(v, out + 8 * i);
	}
}

static void fill(u8 *p, int seed)
{
	int i;

	for (i = 0; i < 4096; i++)
		p[i] = (i * 31 + seed * 17) ^ (i >> 8);
}

static void test_mrtd_sequence(void **state)
{
	static struct expect x;
	static u8 p1[4096], p2[4096], p3[4096];
	u8 want[48], got[48];
	struct test_td td;
	u64 e1, e2;
	int i;

	x.len = 0;
	fill(p1, 1);
	fill(p2, 2);
	fill(p3, 3);
	ttd_create(&td, 1, false, TDX_TD_ATTR_SEPT_VE_DISABLE);
	ttd_add_vcpu(&td);

	/* Page 1 measured fully (KVM's order: ADD then 16 EXTENDs). */
	ttd_page_add(&td, 0xffe00000, p1);
	expect_page_add(&x, 0xffe00000);
	for (i = 0; i < 16; i++) {
		assert_status(tdh_mr_extend(td.tdr_pa, 0xffe00000 + i * 256,
					    &e1, &e2), TDX_SUCCESS);
		expect_extend(&x, 0xffe00000 + i * 256, p1 + i * 256);
	}
	/* Page 2 added only; page 3 with one chunk in the middle. */
	ttd_page_add(&td, 0x800000, p2);
	expect_page_add(&x, 0x800000);
	ttd_page_add(&td, 0x801000, p3);
	expect_page_add(&x, 0x801000);
	assert_status(tdh_mr_extend(td.tdr_pa, 0x801000 + 0x700, &e1, &e2),
		      TDX_SUCCESS);
	expect_extend(&x, 0x801700, p3 + 0x700);

	ttd_finalize(&td);
	SHA384(x.buf, x.len, want);
	read_mrtd(&td, got);
	assert_memory_equal(got, want, 48);

	/* No measurement after finalize. */
	assert_status(tdh_mr_extend(td.tdr_pa, 0x801000, &e1, &e2),
		      TDX_OP_STATE_INCORRECT);
	assert_status(tdh_mr_finalize(td.tdr_pa), TDX_OP_STATE_INCORRECT);
	read_mrtd(&td, got);
	assert_memory_equal(got, want, 48);
}

/* The hash is order-dependent; an empty build hashes nothing. */
static void test_mrtd_order_and_empty(void **state)
{
	static u8 p[4096];
	u8 a[48], b[48], empty[48];
	struct test_td t1, t2, t3;

	fill(p, 9);
	ttd_create(&t1, 1, false, TDX_TD_ATTR_SEPT_VE_DISABLE);
	ttd_add_vcpu(&t1);
	ttd_page_add(&t1, 0x1000, p);
	ttd_page_add(&t1, 0x2000, p);
	ttd_finalize(&t1);
	ttd_create(&t2, 1, false, TDX_TD_ATTR_SEPT_VE_DISABLE);
	ttd_add_vcpu(&t2);
	ttd_page_add(&t2, 0x2000, p);
	ttd_page_add(&t2, 0x1000, p);
	ttd_finalize(&t2);
	read_mrtd(&t1, a);
	read_mrtd(&t2, b);
	assert_memory_not_equal(a, b, 48);

	ttd_create(&t3, 1, false, TDX_TD_ATTR_SEPT_VE_DISABLE);
	ttd_add_vcpu(&t3);
	ttd_finalize(&t3);
	read_mrtd(&t3, a);
	SHA384((const u8 *)"", 0, empty);
	assert_memory_equal(a, empty, 48);
}

static void test_mr_extend_errors(void **state)
{
	static u8 p[4096];
	struct test_td td;
	u64 e1, e2;

	ttd_create(&td, 1, false, TDX_TD_ATTR_SEPT_VE_DISABLE);
	ttd_page_add(&td, 0x1000, p);
	assert_status(tdh_mr_extend(td.tdr_pa, 0x1080, &e1, &e2),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	assert_status(tdh_mr_extend(td.tdr_pa, 0x1000 | BIT_ULL(47), &e1, &e2),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	/* Walk to leaf fails at a FREE 4K entry. */
	assert_status(tdh_mr_extend(td.tdr_pa, 0x5000, &e1, &e2),
		      TDX_EPT_ENTRY_NOT_PRESENT | TDX_OPERAND_ID_RCX);
	assert_int_equal(e1, 0x8000000000000000ULL);
	assert_int_equal(e2, 0x0);
	/* ...or at a missing table. */
	assert_status(tdh_mr_extend(td.tdr_pa, 0x40000000, &e1, &e2),
		      TDX_EPT_ENTRY_NOT_PRESENT | TDX_OPERAND_ID_RCX);
	assert_int_equal(e2, 0x2);
	/* A PENDING page (AUG before finalize) has RWX clear. */
	ttd_aug(&td, 0x6000, 0);
	assert_status(tdh_mr_extend(td.tdr_pa, 0x6000, &e1, &e2),
		      TDX_EPT_ENTRY_NOT_PRESENT | TDX_OPERAND_ID_RCX);
	assert_int_equal(e2, 0x0200);
	assert_status(tdh_mr_extend(td.tdr_pa, 0x1f00, &e1, &e2), TDX_SUCCESS);
	/* MR.EXTEND takes the TDR exclusively: a wrong TDR operand */
	assert_status(tdh_mr_extend(td.tdcs[0], 0x1000, &e1, &e2),
		      TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RDX);
}

/*
 * The module keeps the digest of the last transcript it finalized and gives
 * it again for the same bytes: the same build twice, then a build of the
 * same length that differs in one measured byte, each the SHA-384 of its
 * own buffers.
 */
static void test_mrtd_repeated_builds(void **state)
{
	static struct expect x;
	static u8 p[4096];
	u8 want[48], got[48], prev[48];
	int n, i;

	fill(p, 5);
	for (n = 0; n < 4; n++) {
		struct test_td td;

		if (n == 2)
			p[0x345] ^= 1;	/* in chunk 3 */
		x.len = 0;
		ttd_create(&td, 1, false, TDX_TD_ATTR_SEPT_VE_DISABLE);
		ttd_add_vcpu(&td);
		ttd_page_add(&td, 0x10000, p);
		expect_page_add(&x, 0x10000);
		for (i = 0; i < 16; i++) {
			u64 e1, e2;

			assert_status(tdh_mr_extend(td.tdr_pa,
						    0x10000 + i * 256, &e1, &e2),
				      TDX_SUCCESS);
			expect_extend(&x, 0x10000 + i * 256, p + i * 256);
		}
		ttd_finalize(&td);
		SHA384(x.buf, x.len, want);
		read_mrtd(&td, got);
		assert_memory_equal(got, want, 48);
		if (n == 1 || n == 3)
			assert_memory_equal(got, prev, 48);
		if (n == 2)
			assert_memory_not_equal(got, prev, 48);
		memcpy(prev, got, 48);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mrtd_sequence,
						seam_test_setup,
						seam_test_teardown),
		cmocka_unit_test_setup_teardown(test_mrtd_order_and_empty,
						seam_test_setup,
						seam_test_teardown),
		cmocka_unit_test_setup_teardown(test_mrtd_repeated_builds,
						seam_test_setup,
						seam_test_teardown),
		cmocka_unit_test_setup_teardown(test_mr_extend_errors,
						seam_test_setup,
						seam_test_teardown),
	};

	return cmocka_run_group_tests(tests, seam_test_group_setup,
				      seam_test_group_teardown);
}
