// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The VMM's launch path through the uAPI (tdxsim_vmm_launch()): Debian's
 * OVMF.fd, its section table, and an MRTD equal to the independent SHA-384
 * of tests/vmm/mrtd_ref.c (single- and two-pass) that does not depend on RAM
 * size or vCPU count, nor on whether the image is mapped (its pages are
 * the source) or in unaligned memory (copied); the built-in firmware's MRTD equal to mrtd_ref;
 * malformed images and impossible configurations refused with their
 * message, nothing left behind in the module; a PAGE.AUG section left to
 * the guest; a fuzz loop of mutated images (each refused, or measured as
 * mrtd_ref says); RAM above 4G; a run that fails (a livelocked guest)
 * reported as a failure; SEAMCALL failures injected during the build and
 * the run, after which teardown still reclaims all. (The workload matrix is
 * test_launch_matrix.c.)
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "launch_util.h"
#include "tdxsim/report.h"
#include "ulib/unaligned.h"

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
	u8 ref1[MRTD_SIZE], ref2[MRTD_SIZE], m[MRTD_SIZE];
	char hex[2 * MRTD_SIZE + 1];
	struct tdxsim_vmm_result res;
	size_t size;
	u8 *img;
	u32 i;

	img = load_or_skip(OVMF_FD, &size);
	ref_mrtd(img, size, MRTD_REF_SINGLE_PASS, ref1);
	ref_mrtd(img, size, MRTD_REF_TWO_PASS, ref2);

	/* Single pass: the section table and the SEAMCALLs it took. */
	launch_mrtd(img, size, TDXSIM_VMM_MEASURE_SINGLE_PASS, 32ULL << 20, 1, m,
		    &res);
	assert_int_equal(res.fw.nr_sections, ARRAY_SIZE(want));
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		const struct tdxsim_tdvf_section *s = &res.fw.sections[i];

		assert_int_equal(s->data_offset, want[i].data_offset);
		assert_int_equal(s->raw_data_size, want[i].raw_data_size);
		assert_int_equal(s->memory_address, want[i].memory_address);
		assert_int_equal(s->memory_data_size,
				 want[i].memory_data_size);
		assert_int_equal(s->type, want[i].type);
		assert_int_equal(s->attributes, want[i].attributes);
	}
	assert_int_equal(res.page_adds, 538);
	assert_int_equal(res.mr_extends, 7680);
	assert_int_equal(res.td.seamcalls[TDH_MEM_PAGE_ADD], 538);
	assert_int_equal(res.td.seamcalls[TDH_MR_EXTEND], 7680);
	assert_memory_equal(m, ref1, MRTD_SIZE);
	assert_string_equal(mrtd_ref_hex(m, hex), OVMF_MRTD_SINGLE);
	tdxsim_vmm_result_free(&res);

	/* Two pass: the other reference, and a different digest. */
	launch_mrtd(img, size, TDXSIM_VMM_MEASURE_TWO_PASS, 32ULL << 20, 1, m, NULL);
	assert_memory_equal(m, ref2, MRTD_SIZE);
	assert_string_equal(mrtd_ref_hex(m, hex), OVMF_MRTD_TWO);
	assert_memory_not_equal(ref1, ref2, MRTD_SIZE);

	/* MRTD depends on neither RAM size nor vCPU count. */
	launch_mrtd(img, size, TDXSIM_VMM_MEASURE_SINGLE_PASS, 16ULL << 20, 3, m,
		    NULL);
	assert_memory_equal(m, ref1, MRTD_SIZE);
	launch_mrtd(img, size, TDXSIM_VMM_MEASURE_SINGLE_PASS, 3ULL << 30, 2, m,
		    NULL);
	assert_memory_equal(m, ref1, MRTD_SIZE);
	free(img);

	/*
	 * The image mapped as `tdxsim measure` maps it: page aligned, so the
	 * VMM hands the kernel the image's own pages (above, in malloc()ed
	 * memory that is not, it copied them first). The same MRTD.
	 */
	assert_int_equal(tdxsim_tdvf_map_file(OVMF_FD, &img, &size, hex,
					      sizeof(hex)), 0);
	assert_int_equal((uintptr_t)img & 4095, 0);
	launch_mrtd(img, size, TDXSIM_VMM_MEASURE_SINGLE_PASS, 32ULL << 20, 1, m,
		    NULL);
	assert_memory_equal(m, ref1, MRTD_SIZE);
	launch_mrtd(img, size, TDXSIM_VMM_MEASURE_TWO_PASS, 32ULL << 20, 1, m,
		    NULL);
	assert_memory_equal(m, ref2, MRTD_SIZE);
	tdxsim_tdvf_unmap_file(img, size);
}

/* OVMF.fd boots the guest model too, and the run does not change MRTD. */
static void test_ovmf_run(void **state)
{
	struct tdxsim_vmm_config cfg;
	struct tdxsim_vmm_result res;
	u8 ref[MRTD_SIZE];
	size_t size;
	u8 *img;
	int r;

	img = load_or_skip(OVMF_FD, &size);
	ref_mrtd(img, size, MRTD_REF_SINGLE_PASS, ref);
	tdxsim_vmm_config_init(&cfg);
	cfg.firmware = img;
	cfg.firmware_size = size;
	cfg.memory = 32ULL << 20;
	cfg.nr_vcpus = 2;
	r = launch(&cfg, true, TDXSIM_SCHED_FREE, 1, &res, NULL);
	if (r)
		fail_msg("run: %d: %s", r, res.error);
	assert_memory_equal(res.mrtd, ref, MRTD_SIZE);
	assert_true(res.guest_finished);
	assert_int_equal(res.guest_data_failures, 0);
	assert_int_equal(res.invariant_errors, 0);
	assert_int_equal(res.pages_owned_after, 0);
	/* The lazy-accept guest took every unaccepted page with a fault. */
	assert_true(res.td.seamcalls[TDH_MEM_PAGE_AUG] > 0);
	assert_int_equal(res.guest.accepts_4k + 512 * res.guest.accepts_2m,
			 res.td.seamcalls[TDH_MEM_PAGE_AUG]);
	tdxsim_vmm_result_free(&res);
	free(img);
}

static void test_builtin_mrtd(void **state)
{
	u8 ref1[MRTD_SIZE], ref2[MRTD_SIZE], m[MRTD_SIZE];
	struct tdxsim_vmm_result res;
	size_t size;
	u8 *img;

	assert_int_equal(tdxsim_tdvf_builtin_image(&img, &size), 0);
	ref_mrtd(img, size, MRTD_REF_SINGLE_PASS, ref1);
	ref_mrtd(img, size, MRTD_REF_TWO_PASS, ref2);
	assert_memory_not_equal(ref1, ref2, MRTD_SIZE);

	/* firmware == NULL is the built-in image. */
	launch_mrtd(NULL, 0, TDXSIM_VMM_MEASURE_SINGLE_PASS, 16ULL << 20, 1, m,
		    &res);
	assert_memory_equal(m, ref1, MRTD_SIZE);
	assert_int_equal(res.td.seamcalls[TDH_MEM_PAGE_ADD], res.page_adds);
	assert_int_equal(res.td.seamcalls[TDH_MR_EXTEND], res.mr_extends);
	tdxsim_vmm_result_free(&res);
	launch_mrtd(NULL, 0, TDXSIM_VMM_MEASURE_TWO_PASS, 16ULL << 20, 1, m, NULL);
	assert_memory_equal(m, ref2, MRTD_SIZE);
	/* The same image passed explicitly. */
	launch_mrtd(img, size, TDXSIM_VMM_MEASURE_SINGLE_PASS, 64ULL << 20, 2, m,
		    NULL);
	assert_memory_equal(m, ref1, MRTD_SIZE);
	free(img);
}

/*
 * Launch @img with @memory and expect it refused with an error containing
 * @want, no MRTD, and nothing left in the module.
 */
static void expect_launch_error(const u8 *img, size_t size, u64 memory,
				unsigned int vcpus, const char *want)
{
	struct tdxsim_vmm_config cfg;
	struct tdxsim_vmm_result res;
	int r;

	tdxsim_vmm_config_init(&cfg);
	cfg.firmware = img;
	cfg.firmware_size = size;
	cfg.memory = memory;
	cfg.nr_vcpus = vcpus;
	r = launch(&cfg, false, TDXSIM_SCHED_FREE, 1, &res, NULL);
	if (r >= 0 || !strstr(res.error, want))
		fail_msg("ret %d, error \"%s\", wanted \"%s\"", r, res.error,
			 want);
	assert_false(res.mrtd_valid);
	assert_int_equal(res.pages_owned_after, 0);
	tdxsim_vmm_result_free(&res);
}

static void test_malformed(void **state)
{
	struct fw fw;
	size_t size;
	u8 *img;

	fw_get(&fw);

	/* Truncated: the end, or the start (section data past the end). */
	expect_launch_error(fw.img, fw.size - 0x100, 16ULL << 20, 1,
			    "TDVF: no OVMF GUID table");
	expect_launch_error(fw.img + 0x20000, fw.size - 0x20000, 16ULL << 20,
			    1, "runs past the end of the 0x20000-byte image");
	expect_launch_error(fw.img, 0, 16ULL << 20, 1, "TDVF: empty image");

	/* Bad GUID table: the footer GUID, then the table length. */
	fw.img[fw.size - 0x30] ^= 1;
	expect_launch_error(fw.img, fw.size, 16ULL << 20, 1,
			    "no OVMF GUID table (footer GUID");
	fw.img[fw.size - 0x30] ^= 1;
	fw.img[fw.size - 0x32] = 17;
	fw.img[fw.size - 0x31] = 0;
	expect_launch_error(fw.img, fw.size, 16ULL << 20, 1,
			    "OVMF GUID table length 17");
	free(fw.img);

	/* Bad descriptor length. */
	fw_get(&fw);
	put_unaligned_le32(16 + 32 * 6 + 1, fw.img + fw.desc + 4);
	expect_launch_error(fw.img, fw.size, 16ULL << 20, 1,
			    "descriptor Length 209 does not match its 6 section entries");
	free(fw.img);

	/* Misaligned section. */
	fw_get(&fw);
	put_unaligned_le64(0x80b800, fw_sec(&fw, 3, F_ADDRESS));
	expect_launch_error(fw.img, fw.size, 16ULL << 20, 1,
			    "section 3 (TEMP_MEM) at 0x80b800 size 0x2000: MemoryAddress not 4 KiB aligned");
	free(fw.img);

	/* A section whose data lies beyond the file. */
	fw_get(&fw);
	put_unaligned_le32(fw.size - 0x1000, fw_sec(&fw, 0, F_DATA_OFFSET));
	expect_launch_error(fw.img, fw.size, 16ULL << 20, 1,
			    "section 0 (BFV)");
	expect_launch_error(fw.img, fw.size, 16ULL << 20, 1,
			    "runs past the end of the 0x40000-byte image");
	free(fw.img);

	/* Unknown section type, and a td-shim type QEMU refuses. */
	fw_get(&fw);
	put_unaligned_le32(42, fw_sec(&fw, 5, F_TYPE));
	expect_launch_error(fw.img, fw.size, 16ULL << 20, 1,
			    "section 5 has unknown type 42");
	put_unaligned_le32(TDXSIM_TDVF_SECTION_PERM_MEM, fw_sec(&fw, 5, F_TYPE));
	expect_launch_error(fw.img, fw.size, 16ULL << 20, 1,
			    "is a td-shim section type");
	free(fw.img);

	/* OVMF_CODE.fd alone: its metadata describes the combined image. */
	if (!tdxsim_tdvf_load_file(OVMF_CODE_FD, &img, &size, NULL, 0)) {
		expect_launch_error(img, size, 32ULL << 20, 1,
				    "runs past the end of the");
		free(img);
	} else {
		printf("# %s not installed: OVMF_CODE.fd case skipped\n",
		       OVMF_CODE_FD);
	}
}

/* What the launch itself refuses (the image is fine). */
static void test_bad_config(void **state)
{
	struct fw fw;

	fw_get(&fw);
	/* TEMP_MEM at 8 MiB does not fit in 4 MiB of RAM (QEMU refuses too). */
	expect_launch_error(fw.img, fw.size, 4ULL << 20, 1,
			    "firmware section 2 (TEMP_MEM) at 0x810000+0x10000 is not in guest RAM");
	expect_launch_error(fw.img, fw.size, 0, 1,
			    "give a non-zero multiple of 2 MiB");
	expect_launch_error(fw.img, fw.size, (16ULL << 20) + 4096, 1,
			    "give a non-zero multiple of 2 MiB");
	expect_launch_error(fw.img, fw.size, 16ULL << 20,
			    TDXSIM_GUEST_MAX_VCPUS + 1, "at most 256 vCPUs");

	/* A BFV above 4G and outside RAM has nowhere to go. */
	put_unaligned_le64(0x200000000ULL, fw_sec(&fw, 0, F_ADDRESS));
	expect_launch_error(fw.img, fw.size, 16ULL << 20, 1,
			    "firmware section 0 at 0x200000000+0x30000 is neither in RAM");
	/* A section straddling the end of RAM. */
	put_unaligned_le64(0xfe0000, fw_sec(&fw, 0, F_ADDRESS));
	expect_launch_error(fw.img, fw.size, 16ULL << 20, 1,
			    "firmware section 0 at 0xfe0000+0x30000 is neither in RAM (0..0x1000000)");
	free(fw.img);
}

/*
 * A section with PAGE.AUG is not PAGE.ADDed: MRTD and the PAGE.ADD count are
 * what mrtd_ref and tdxsim_tdvf_measure_counts() say, and the guest accepts the
 * section's pages itself. A TD_HOB with PAGE.AUG cannot receive the HOB.
 */
static void test_page_aug_section(void **state)
{
	struct tdxsim_vmm_result base, res;
	struct tdxsim_vmm_config cfg;
	u8 ref[MRTD_SIZE];
	struct fw fw;
	int r;

	tdxsim_vmm_config_init(&cfg);
	cfg.memory = 16ULL << 20;
	r = launch(&cfg, true, TDXSIM_SCHED_FREE, 1, &base, NULL);
	if (r)
		fail_msg("%d: %s", r, base.error);

	fw_get(&fw);
	/* TEMP_MEM, 6 pages */
	put_unaligned_le32(TDXSIM_TDVF_ATTR_PAGE_AUG, fw_sec(&fw, 5, F_ATTR));
	ref_mrtd(fw.img, fw.size, MRTD_REF_SINGLE_PASS, ref);
	cfg.firmware = fw.img;
	cfg.firmware_size = fw.size;
	r = launch(&cfg, true, TDXSIM_SCHED_FREE, 1, &res, NULL);
	if (r)
		fail_msg("%d: %s", r, res.error);
	assert_memory_equal(res.mrtd, ref, MRTD_SIZE);
	assert_memory_not_equal(res.mrtd, base.mrtd, MRTD_SIZE);
	assert_int_equal(res.page_adds, base.page_adds - 6);
	assert_int_equal(res.td.seamcalls[TDH_MEM_PAGE_ADD], res.page_adds);
	assert_true(res.guest_finished);
	assert_int_equal(res.guest.accepts_4k, base.guest.accepts_4k + 6);
	assert_int_equal(res.pages_owned_after, 0);
	tdxsim_vmm_result_free(&res);
	tdxsim_vmm_result_free(&base);

	put_unaligned_le32(0, fw_sec(&fw, 5, F_ATTR));
	put_unaligned_le32(TDXSIM_TDVF_ATTR_PAGE_AUG, fw_sec(&fw, 4, F_ATTR));
	expect_launch_error(fw.img, fw.size, 16ULL << 20, 1,
			    "firmware section 4 (TD_HOB) has PAGE.AUG");
	free(fw.img);
}

/* Many mutated images: each launches or is refused; nothing crashes or leaks. */
static void test_fuzz_launch(void **state)
{
	static const u32 fields[] = { F_DATA_OFFSET, F_RAW_SIZE, F_ADDRESS,
				      F_MEM_SIZE, F_TYPE, F_ATTR };
	static const u64 edges[] = { 0, 1, 0xfff, 0x1000, 0x2000, 0x10000,
				     0x800000, 0x1000000, 0xffe00000,
				     0xfffff000, 0x100000000ULL,
				     0xffffffffULL, ~0ULL };
	unsigned long launched = 0, refused = 0;
	u64 rng = 0x9e3779b97f4a7c15ULL;
	struct tdxsim_vmm_config cfg;
	struct tdxsim_vmm_result res;
	u8 ref[MRTD_SIZE];
	struct fw fw, orig;
	unsigned int it;
	int r;

	fw_get(&orig);
	fw_get(&fw);
	tdxsim_vmm_config_init(&cfg);
	cfg.memory = 16ULL << 20;
	for (it = 0; it < 150; it++) {
		unsigned int k, n;

		memcpy(fw.img, orig.img, fw.size);
		rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
		n = 1 + (rng >> 60) % 3;
		if (it % 3 == 1) {
			/* Valid images: other BFV bytes, another section order. */
			u8 tmp[TDXSIM_TDVF_SECTION_SIZE];
			u32 a = (rng >> 8) % 6, b = (rng >> 16) % 6;

			for (k = 0; k < 8; k++)
				fw.img[0x10000 + (rng >> (k * 2)) % 0x30000] ^=
					1 + k;
			memcpy(tmp, fw_sec(&fw, a, 0), sizeof(tmp));
			memcpy(fw_sec(&fw, a, 0), fw_sec(&fw, b, 0),
			       sizeof(tmp));
			memcpy(fw_sec(&fw, b, 0), tmp, sizeof(tmp));
			n = 0;
		}
		for (k = 0; k < n; k++) {
			u32 sec, f;
			u8 *p;

			rng = rng * 6364136223846793005ULL +
			      1442695040888963407ULL;
			sec = (rng >> 33) % 7;	/* 6 sections + descriptor */
			f = fields[(rng >> 40) % ARRAY_SIZE(fields)];
			if (sec == 6) {
				p = fw.img + fw.desc + 4 + 4 * ((rng >> 45) % 3);
				put_unaligned_le32((u32)edges[(rng >> 50) %
						    ARRAY_SIZE(edges)], p);
				continue;
			}
			p = fw_sec(&fw, sec, f);
			if (f == F_ADDRESS || f == F_MEM_SIZE)
				put_unaligned_le64(edges[(rng >> 50) %
					       ARRAY_SIZE(edges)], p);
			else if (rng & 1)
				put_unaligned_le32((u32)edges[(rng >> 50) %
						    ARRAY_SIZE(edges)], p);
			else
				p[(rng >> 20) & 3] ^= 1u << ((rng >> 24) & 7);
		}
		cfg.firmware = fw.img;
		cfg.firmware_size = fw.size;
		cfg.measure_order = (it & 1) ? TDXSIM_VMM_MEASURE_TWO_PASS :
					       TDXSIM_VMM_MEASURE_SINGLE_PASS;
		r = launch(&cfg, false, TDXSIM_SCHED_FREE, 1, &res, NULL);
		if (r == 0) {
			/* Whatever launched measured what mrtd_ref says. */
			assert_true(res.mrtd_valid);
			assert_int_equal(res.invariant_errors, 0);
			ref_mrtd(fw.img, fw.size,
				 (it & 1) ? MRTD_REF_TWO_PASS :
					    MRTD_REF_SINGLE_PASS, ref);
			if (memcmp(res.mrtd, ref, MRTD_SIZE))
				fail_msg("iteration %u (%s): MRTD differs from mrtd_ref",
					 it, (it & 1) ? "two-pass" : "single-pass");
			launched++;
		} else {
			if (r > 0 || !res.error[0])
				fail_msg("iteration %u: ret %d, error \"%s\"",
					 it, r, res.error);
			assert_false(res.mrtd_valid);
			refused++;
		}
		assert_int_equal(res.pages_owned_after, 0);
		tdxsim_vmm_result_free(&res);
	}
	printf("# %lu mutated images launched, %lu refused\n", launched,
	       refused);
	assert_true(launched >= 50);
	assert_true(refused > 0);
	free(fw.img);
	free(orig.img);
}

/* RAM above 2 GiB continues at 4 GiB (its own slot); a guest uses both. */
static void test_high_ram(void **state)
{
	static const char prog[] =
		"accept 0x100000000 4M\n"
		"write 0x100000000 4M\n"
		"read 0x100000000 4M\n"
		"accept 0x7fe00000 2M\n"
		"write 0x7fe00000 8K\n"
		"read 0x7fe00000 8K\n";
	struct tdxsim_vmm_config cfg;
	struct tdxsim_vmm_result res;
	int r;

	tdxsim_vmm_config_init(&cfg);
	cfg.memory = (2ULL << 30) + (4ULL << 20);
	cfg.program = prog;
	cfg.program_name = "high-ram";
	assert_int_equal(tdxsim_vmm_config_set_kernel(&cfg, "next+hugepage-rfc",
						      NULL, 0), 0);
	r = launch(&cfg, true, TDXSIM_SCHED_FREE, 1, &res, NULL);
	if (r)
		fail_msg("%d: %s", r, res.error);
	assert_true(res.guest_finished);
	assert_int_equal(res.guest.accepts_2m, 3);
	assert_int_equal(res.guest.bytes_verified, (4 << 20) + 8192);
	assert_int_equal(res.guest_data_failures, 0);
	assert_int_equal(res.invariant_errors, 0);
	assert_int_equal(res.pages_owned_after, 0);
	tdxsim_vmm_result_free(&res);
}

/* A run that fails is reported as one (1, with the reason), not a crash. */
static void test_failed_run(void **state)
{
	struct tdxsim_vmm_config cfg;
	struct tdxsim_vmm_result res;
	int r;

	tdxsim_vmm_config_init(&cfg);
	cfg.memory = 16ULL << 20;
	cfg.accept = TDXSIM_ACCEPT_4K;
	assert_int_equal(tdxsim_vmm_config_set_kernel(&cfg, "next+hugepage-rfc",
						      NULL, 0), 0);
	cfg.design.accept_level = TDXSIM_ACCEPT_LEVEL_IGNORE;
	r = launch(&cfg, true, TDXSIM_SCHED_FREE, 1, &res, NULL);
	assert_int_equal(r, 1);
	assert_true(res.livelock);
	assert_non_null(strstr(res.error, "livelock"));
	assert_false(res.guest_finished);
	assert_int_equal(res.pages_owned_after, 0);
	tdxsim_vmm_result_free(&res);
	tdxsim_reset_reports();

	/* The huge-page series as posted runs the same guest to the end. */
	cfg.design.accept_level = TDXSIM_ACCEPT_LEVEL_SPLIT_INHIBIT;
	r = launch(&cfg, true, TDXSIM_SCHED_FREE, 1, &res, NULL);
	if (r)
		fail_msg("%d: %s", r, res.error);
	assert_true(res.guest_finished);
	tdxsim_vmm_result_free(&res);
}

/*
 * A SEAMCALL that fails during the build or the run: the launch reports
 * where, and teardown still reclaims every page from the module.
 */
static void test_injected_failures(void **state)
{
	static const struct {
		u32 leaf, nth;
		bool run;
		const char *want;
	} cases[] = {
		{ TDH_MEM_PAGE_ADD, 5, false, "KVM_TDX_INIT_MEM_REGION section 0 (BFV)" },
		{ TDH_MR_EXTEND, 100, false, "KVM_TDX_INIT_MEM_REGION section 0 (BFV)" },
		{ 3 /* TDH.MEM.SEPT.ADD */, 1, false, "KVM_TDX_INIT_MEM_REGION" },
		{ 17 /* TDH.MR.FINALIZE */, 1, false, "KVM_TDX_FINALIZE_VM" },
		{ TDH_MEM_PAGE_AUG, 50, true, "the VM was marked bugged or dead" },
	};
	struct tdxsim_inject_fault inj;
	struct tdxsim_vmm_config cfg;
	struct tdxsim_vmm_result res;
	unsigned int i;
	int r;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		tdxsim_vmm_config_init(&cfg);
		cfg.memory = 16ULL << 20;
		cfg.nr_vcpus = 2;
		inj = (struct tdxsim_inject_fault){
			.leaf = cases[i].leaf, .nth = cases[i].nth,
			.status = TDX_OPERAND_INVALID,
		};
		cfg.inject = &inj;
		cfg.nr_inject = 1;
		r = launch(&cfg, cases[i].run, TDXSIM_SCHED_FREE, 1, &res, NULL);
		if (!strstr(res.error, cases[i].want))
			fail_msg("leaf %u: ret %d, error \"%s\", wanted \"%s\"",
				 cases[i].leaf, r, res.error, cases[i].want);
		if (cases[i].run) {
			assert_int_equal(r, 1);
			assert_true(res.vm_dead);
			assert_true(res.mrtd_valid);
		} else {
			assert_true(r < 0);
			assert_false(res.mrtd_valid);
		}
		assert_int_equal(res.pages_owned_after, 0);
		tdxsim_vmm_result_free(&res);
	}
	tdxsim_reset_reports();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ovmf_fd),
		cmocka_unit_test(test_ovmf_run),
		cmocka_unit_test(test_builtin_mrtd),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_page_aug_section),
		cmocka_unit_test(test_fuzz_launch),
		cmocka_unit_test(test_high_ram),
		cmocka_unit_test(test_failed_run),
		cmocka_unit_test(test_injected_failures),
	};

	return cmocka_run_group_tests_name("launch", tests, NULL, NULL);
}
