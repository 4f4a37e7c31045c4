/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The design variants of DESIGN.md as "KEY=VALUE,..." text.
 */
#ifndef TDXSIM_VMM_DESIGN_H
#define TDXSIM_VMM_DESIGN_H

#include <stddef.h>

#include "tdxsim/tdxsim.h"

/*
 * Apply "key=value,..." to @d (keys: populate, accept_level, vp_init_lock,
 * pin_pages, mirror_freeze, gmem_locking, vp_init_version, gmem_hugepages,
 * measure_two_pass). Returns 0, or -EINVAL with a message in @err.
 */
int vmm_parse_design(const char *text, struct tdxsim_design *d, char *err,
		     size_t errlen);
/* Write every switch of @d as "key=value,..." into @buf; returns @buf. */
char *vmm_design_string(const struct tdxsim_design *d, char *buf, size_t len);

#endif /* TDXSIM_VMM_DESIGN_H */
