/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Kernel profiles: the kernels tdxsim models, each a set of design switches
 * (struct tdxsim_design) with the upstream commit, release or posting every
 * value comes from. A profile is a release or tree ("v6.16" ... "next", the
 * default) or an overlay of a series that is not merged, applied on a base
 * with '+' ("next+hugepage-rfc", "v6.19+seed000-rfc"). A VM selects one
 * with TDXSIM_SET_KERNEL; `tdxsim kernels` lists them; docs/PROFILES.md
 * describes each.
 */
#ifndef TDXSIM_PROFILES_H
#define TDXSIM_PROFILES_H

#include <stdbool.h>
#include <stddef.h>

#include "tdxsim/tdxsim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Value names a switch can have, at most this many. */
#define TDXSIM_SWITCH_MAX_VALUES	4

/* One field of struct tdxsim_design. */
struct tdxsim_design_switch {
	const char *name;		/* "populate", the --design key */
	size_t offset;			/* of its __tdxsim_u32 in the struct */
	/* Names of the values 0, 1, ... (NULL-terminated list). */
	const char *values[TDXSIM_SWITCH_MAX_VALUES + 1];
	/*
	 * true: a fact of the simulated world (module version, guest_memfd
	 * folio sizes, the VMM's measuring order), not of KVM's code; no
	 * release sets it.
	 */
	bool world;
	const char *what;		/* one line */
};

/* The switches, in struct order; *@n gets their number. */
const struct tdxsim_design_switch *tdxsim_design_switches(size_t *n);
/* The switch called @name (NULL if none). */
const struct tdxsim_design_switch *tdxsim_design_switch_find(const char *name);
/* The value of switch @sw in @d. */
unsigned int tdxsim_design_get(const struct tdxsim_design *d,
			       const struct tdxsim_design_switch *sw);
/* Its name ("?" if out of range). */
const char *tdxsim_design_value_name(const struct tdxsim_design *d,
				     const struct tdxsim_design_switch *sw);

/* One switch a profile sets, and where upstream that comes from. */
struct tdxsim_profile_setting {
	const char *name;		/* the switch */
	const char *value;		/* the value's name */
	const char *source;		/* commit, release, posting, file read */
};

struct tdxsim_kernel_profile {
	const char *name;		/* "v6.19", "hugepage-rfc" */
	/* true: applied on a base with '+'; false: a whole kernel. */
	bool overlay;
	/* A kernel: the profile it differs from (NULL for the oldest). */
	const char *parent;
	const char *summary;		/* one line */
	/* What it models: the tree, tag or posting, and what was read. */
	const char *source;
	const struct tdxsim_profile_setting *settings;
	size_t nr_settings;
};

/* The profiles, kernels oldest first, then overlays; *@n their number. */
const struct tdxsim_kernel_profile *tdxsim_kernel_profiles(size_t *n);
/* The profile called exactly @name (one part of "base+overlay"), or NULL. */
const struct tdxsim_kernel_profile *tdxsim_kernel_profile_find(const char *name);

/*
 * Resolve a kernel name ("next", "v6.16+seed000-rfc") into the switches it
 * sets. Returns 0, or -EINVAL with a message in @err (@err may be NULL).
 */
int tdxsim_kernel_design(const char *name, struct tdxsim_design *d, char *err,
			 size_t errlen);

/*
 * Where the value of switch @sw in kernel @name comes from: *@profile the
 * part of the name (or the ancestor) that set it and *@source its source.
 * Returns 0, or -EINVAL for a bad name.
 */
int tdxsim_kernel_switch_source(const char *name,
				const struct tdxsim_design_switch *sw,
				const char **profile, const char **source);

#ifdef __cplusplus
}
#endif

#endif /* TDXSIM_PROFILES_H */
