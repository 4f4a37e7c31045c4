// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * D7 (docs/upstream/series-dpamt.md §6): the vCPU's tdx_pamt_cache runs
 * dry in the fault path (TDXSIM_INJECT_PAMT_CACHE_EMPTY). v6's
 * tdx_pamt_get() answers -ENOMEM; the S-EPT hook fails, the TDP MMU takes
 * any failed mirror update for a retry (RET_PF_RETRY), and the retry tops
 * the cache up again before mmu_lock: the fault completes, no errno
 * reaches userspace, and it issues the SEAMCALLs and PAMT.ADDs it issues
 * without the injection.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/page_alloc.h"
#include "kvm/tdx.h"
#include "testlib/kvm_util_internal.h"

#define GB	(1ULL << 30)
#define MB	(1ULL << 20)

static void module_stats(struct tdxsim_module_stats *ms)
{
	int fd = tdxsim_open("/dev/kvm", 0);

	assert_true(fd >= 0);
	assert_int_equal(tdxsim_ioctl(fd, TDXSIM_GET_MODULE_STATS, ms), 0);
	tdxsim_close(fd);
}

static u64 fault_retries(struct td *td)
{
	struct tdxsim_stats st;

	assert_int_equal(tdxsim_ioctl(td->vm, TDXSIM_GET_STATS, &st), 0);
	return st.fault_retries;
}

static void test_dpamt_cache_empty(void **state)
{
	struct tdxsim_inject_fault f = {
		.leaf = TDXSIM_INJECT_PAMT_CACHE_EMPTY, .nth = 1, .status = 1,
	};
	static struct page *pages[512];
	struct tdxsim_module_stats m0, m1;
	struct tdxsim_td_stats b, a;
	struct td_opts o;
	struct td td;
	u64 retries;
	int n;

	td_opts_init(&o);
	td_opts_set_kernel(&o, "next+dpamt");
	o.memory = GB + 4 * MB;
	td_create(&td, &o);
	td_finalize(&td);
	/*
	 * Host pages up to the end of the 2M block being carved: the
	 * fault's new pages open a region without a pair, so a get draws.
	 */
	for (n = 0; n < 512; n++) {
		pages[n] = alloc_page();
		assert_non_null(pages[n]);
		if (page_to_pfn(pages[n]) % 512 == 511)
			break;
	}
	assert_true(n < 512);

	/* A 4K fault with 3 tables missing; the cache empty for one get. */
	assert_int_equal(tdxsim_ioctl(td.vm, TDXSIM_INJECT_FAULT, &f), 0);
	module_stats(&m0);
	td_module_stats(&td, &b);
	retries = fault_retries(&td);
	td_prefault(&td, 0, GB, 4096);
	td_module_stats(&td, &a);
	module_stats(&m1);
	/* One retry, then the same SEAMCALLs as without the injection. */
	assert_int_equal(fault_retries(&td), retries + 1);
	assert_int_equal(a.seamcalls[TDH_MEM_SEPT_ADD] -
			 b.seamcalls[TDH_MEM_SEPT_ADD], 3);
	assert_int_equal(a.seamcalls[TDH_MEM_PAGE_AUG] -
			 b.seamcalls[TDH_MEM_PAGE_AUG], 1);
	/* No PAMT.ADD lost or repeated: each one installed a pair. */
	assert_true(m1.pamt_adds > m0.pamt_adds);
	assert_int_equal(m1.pamt_adds - m0.pamt_adds,
			 m1.pamt_pairs - m0.pamt_pairs);
	td_destroy(&td);
	while (n >= 0)
		__free_page(pages[n--]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dpamt_cache_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
