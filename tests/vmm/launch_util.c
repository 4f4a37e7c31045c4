// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the launch-path tests share (see launch_util.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "launch_util.h"

struct launch_ctx {
	const struct tdxsim_vmm_config *cfg;
	bool run;
	struct tdxsim_vmm_result *res;
	int ret;
};

static int launch_fn(void *arg)
{
	struct launch_ctx *ctx = arg;

	ctx->ret = tdxsim_vmm_launch(ctx->cfg, ctx->run, ctx->res);
	return 0;
}

/*
 * tdxsim_vmm_launch(@cfg, @run) as the first task of a run in @mode with @seed.
 * Returns tdxsim_vmm_launch()'s result; @sr (may be NULL) gets the run's verdict.
 */
int launch(const struct tdxsim_vmm_config *cfg, bool run, enum tdxsim_sched_mode mode,
		  u64 seed, struct tdxsim_vmm_result *res, struct tdxsim_sched_result *sr)
{
	struct launch_ctx ctx = { .cfg = cfg, .run = run, .res = res };
	struct tdxsim_sched_config sc;
	struct tdxsim_sched_result local;

	tdxsim_sched_config_init(&sc);
	sc.mode = mode;
	sc.seed = seed;
	sc.quiet = true;
	assert_int_equal(tdxsim_sched_run(&sc, launch_fn, &ctx, sr ? sr : &local), 0);
	return ctx.ret;
}

u8 *load_or_skip(const char *path, size_t *size)
{
	char err[512];
	u8 *img;

	if (tdxsim_tdvf_load_file(path, &img, size, err, sizeof(err))) {
		printf("# skip: %s (install Debian's ovmf package)\n", err);
		skip();
	}
	return img;
}

/* The reference MRTD of @img in @order. */
void ref_mrtd(const u8 *img, size_t size, enum mrtd_ref_order order,
		     u8 out[MRTD_SIZE])
{
	struct tdxsim_tdvf_info info;
	char err[512];

	if (tdxsim_tdvf_parse(img, size, &info, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(mrtd_ref_compute(&info, img, NULL, 0, order, out,
					  NULL), 0);
	tdxsim_tdvf_info_free(&info);
}

/* Launch (build and measure only) and return the MRTD. */
void launch_mrtd(const u8 *img, size_t size, enum tdxsim_vmm_measure_order o,
			u64 memory, unsigned int vcpus, u8 out[MRTD_SIZE],
			struct tdxsim_vmm_result *keep)
{
	struct tdxsim_vmm_config cfg;
	struct tdxsim_vmm_result res;
	int r;

	tdxsim_vmm_config_init(&cfg);
	cfg.firmware = img;
	cfg.firmware_size = size;
	cfg.measure_order = o;
	cfg.memory = memory;
	cfg.nr_vcpus = vcpus;
	r = launch(&cfg, false, TDXSIM_SCHED_FREE, 1, &res, NULL);
	if (r)
		fail_msg("launch: %d: %s", r, res.error);
	assert_true(res.mrtd_valid);
	assert_int_equal(res.invariant_errors, 0);
	assert_false(res.vm_dead);
	assert_int_equal(res.pages_owned_after, 0);
	memcpy(out, res.mrtd, MRTD_SIZE);
	if (keep)
		*keep = res;
	else
		tdxsim_vmm_result_free(&res);
}

void fw_get(struct fw *fw)
{
	struct tdxsim_tdvf_info info;

	assert_int_equal(tdxsim_tdvf_builtin_image(&fw->img, &fw->size), 0);
	assert_int_equal(tdxsim_tdvf_parse(fw->img, fw->size, &info, NULL, 0), 0);
	fw->desc = info.descriptor_offset;
	tdxsim_tdvf_info_free(&info);
}

u8 *fw_sec(struct fw *fw, u32 i, u32 field)
{
	return fw->img + fw->desc + TDXSIM_TDVF_DESCRIPTOR_SIZE +
	       i * TDXSIM_TDVF_SECTION_SIZE + field;
}
