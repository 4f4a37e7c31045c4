// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Diagnostics (diag.h): read-only views of the module's state for the
 * invariant checker, tdxsim's controls and tests: a TD's and a vCPU's
 * counters and the pages the module holds for a TD. The PAMT queries are
 * in pamt.c, the cost readouts in stats.c.
 */
#include <errno.h>

#include "seam/seam_internal.h"

int tdx_module_get_td_stats(u64 tdr_pa, struct tdx_td_stats *st)
{
	struct tdx_td *td = td_lookup(tdr_pa);

	if (!td)
		return -ENOENT;
	stats_copy_td(st, td);
	return 0;
}

int tdx_module_get_vcpu_stats(u64 tdvpr_pa, struct tdx_vcpu_stats *st)
{
	struct tdx_vcpu *v = vcpu_lookup(tdvpr_pa);

	if (!v)
		return -ENOENT;
	stats_copy_vcpu(st, &v->stats);
	return 0;
}

u64 tdx_module_pages_owned(u64 tdr_pa)
{
	struct tdx_td *td = td_lookup(tdr_pa);

	if (!td)
		return 0;
	return __atomic_load_n(&td->chldcnt, __ATOMIC_ACQUIRE) + 1;
}
