/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the launch-path tests share: a launch under the scheduler, the
 * firmware images (Debian's OVMF.fd, a patchable copy of the built-in one)
 * and the reference MRTD.
 */
#ifndef TDXSIM_TESTS_VMM_LAUNCH_UTIL_H
#define TDXSIM_TESTS_VMM_LAUNCH_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mrtd_ref.h"
#include "tdxsim/sched.h"
#include "tdxsim/tdvf.h"
#include "tdxsim/tdx.h"
#include "tdxsim/vmm.h"
#include "ulib/compiler.h"

#define OVMF_FD		"/usr/share/ovmf/OVMF.fd"
#define OVMF_CODE_FD	"/usr/share/OVMF/OVMF_CODE.fd"

/* Offsets in a section entry. */
#define F_DATA_OFFSET	0
#define F_RAW_SIZE	4
#define F_ADDRESS	8
#define F_MEM_SIZE	16
#define F_TYPE		24
#define F_ATTR		28

/* The MRTDs of Debian's OVMF.fd (the ovmf package the tests install). */
#define OVMF_MRTD_SINGLE "4c7206f0f483c524f12c366c711e9049030a8d47c471ee5aa9c4999a08de4057fb887fed0744d5631a212967fb231c47"
#define OVMF_MRTD_TWO    "acccbcc870a381adab0d3919d90a7f268ac3b0364771f202ed4bb4e892d045b33db3b32e6924cba830a724eed443f7e1"

/*
 * tdxsim_vmm_launch(@cfg, @run) as the first thread of a run in @mode with
 * @seed (asserting the run took place). Returns tdxsim_vmm_launch()'s
 * result; @sr (may be NULL) gets the run's verdict.
 */
int launch(const struct tdxsim_vmm_config *cfg, bool run,
	   enum tdxsim_sched_mode mode, u64 seed, struct tdxsim_vmm_result *res,
	   struct tdxsim_sched_result *sr);
/* Load the image at @path, or skip the test (the ovmf package is missing). */
u8 *load_or_skip(const char *path, size_t *size);
/* The reference MRTD of @img in @order. */
void ref_mrtd(const u8 *img, size_t size, enum mrtd_ref_order order,
	      u8 out[MRTD_SIZE]);
/*
 * Launch (build and measure only) and return the MRTD; @keep (may be NULL)
 * gets the result, else it is freed.
 */
void launch_mrtd(const u8 *img, size_t size, enum tdxsim_vmm_measure_order o,
		 u64 memory, unsigned int vcpus, u8 out[MRTD_SIZE],
		 struct tdxsim_vmm_result *keep);

/* A copy of the built-in image and where its section entries are. */
struct fw {
	u8 *img;
	size_t size;
	u32 desc;
};

/* A fresh copy of the built-in image (free fw->img). */
void fw_get(struct fw *fw);
/* Field @field (F_*) of section entry @i. */
u8 *fw_sec(struct fw *fw, u32 i, u32 field);

#endif /* TDXSIM_TESTS_VMM_LAUNCH_UTIL_H */
