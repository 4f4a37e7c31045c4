// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * SEAMCALLs per operation, per kernel profile, as docs/upstream/
 * seamcall-counts.md derives them from each release's call chains (its
 * section in brackets). Every count is read through the uAPI
 * (TDXSIM_GET_TD_STATS, per leaf) as the difference over one operation,
 * and every other leaf must stay unchanged, so a SEAMCALL added or lost on
 * any path fails here:
 *  - populate of one page [§3]: 3 SEPT.ADD on a fresh TD (4-level: PDPT,
 *    PD, PT missing) + PAGE.ADD + 16 MR.EXTEND; 17 with the tables there;
 *    1 unmeasured; a BUSY PAGE.ADD is -EBUSY after 1 call with premap
 *    counting (6.16-6.18, seed000-rfc), retried inside (2 calls) since 6.19;
 *  - zap before FINALIZE [§2]: BLOCK, REMOVE, WBINVD (no TRACK); a leaf
 *    only premapped (6.16-6.18): BLOCK alone;
 *  - 4K private fault [§1]: AUG with the tables there; + one SEPT.ADD per
 *    missing level (1 in the same GiB, 2 in a new GiB);
 *  - zap of one 4K page, TD runnable [§2]: BLOCK, TRACK, REMOVE, WBINVD;
 *    k pages: 4k (TRACK per leaf);
 *  - teardown [§4]: closing the guest_memfd zaps each mapped page with the
 *    HKID assigned, 4 each; after the HKID is released a zap issues none
 *    (KVM_BUG_ON);
 *  - next+hugepage-rfc [series-hugepage.md §7], also on next+dpamt (the
 *    TD's leaves are the same): 2M fault 1 AUG (+ the missing PD), 2M
 *    split 3 (BLOCK, TRACK, DEMOTE) before the 4K zap's 4 (hole punch and
 *    conversion to shared), 2M zap 3 + 512 WBINVD; memory failure on a 4K
 *    page of a 2M mapping: the 2M zap (515) as posted, the split and the
 *    4K zap (7) with huge_error_split; a split that finds no memory: no
 *    SEAMCALL, -ENOMEM; 16 MiB mapped at 2M and zapped, against next's
 *    4K (the README's per-GiB figures);
 *  - next+gmem-inplace [series-gmem-inplace.md §5 G5, v8]: the list above
 *    as next's (the guest_memfd starts private), and per conversion with
 *    KVM_SET_MEMORY_ATTRIBUTES2: to shared of k private pages mapped in
 *    the S-EPT 4k (BLOCK, TRACK, REMOVE, WBINVD each), of pages not
 *    mapped none; to private none (shared pages have no S-EPT entry);
 *    a range that already has the attributes none; to private of a range
 *    holding a mapped private page zaps it (4) with v8's filter, not
 *    with the post-v8 one (gmem_conv_filter=old);
 *  - next+dpamt [series-dpamt.md §3, v6]: the TD's leaves as next's (the
 *    list above runs it too), plus host-wide PAMT.ADD once per page given
 *    to the module whose 2M region's refcount was 0 (TDR, TDCS, TDVPR,
 *    TDCX, S-EPT and 4K guest pages) and PAMT.REMOVE once per region
 *    whose refcount goes to 0, each at most once per region and op;
 *    after every op the pairs installed are the regions referenced;
 *    with next+dpamt+hugepage-rfc a 2M fault issues none, a split one
 *    (DEMOTE's pair comes in R12/R13, no PAMT.ADD) besides its S-EPT
 *    page's, both pairs drawn from the per-VM split cache.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm/tdx.h"
#include "seam/diag.h"
#include "tdxsim/report.h"
#include "testlib/kvm_util_internal.h"

#define MB	(1ULL << 20)
#define GB	(1ULL << 30)

/* The kernels every count is checked in. */
static const char *const kernels[] = {
	"v6.16", "v6.17", "v6.18", "v6.19", "v7.0", "next",
	"next+seed000-rfc", "v6.16+seed000-rfc", "next+dpamt",
	"next+gmem-inplace",
};

struct leaf_count {
	unsigned int leaf;
	uint64_t n;
};

static const char *current_kernel, *current_op;

static void snap(struct td *td, struct tdxsim_td_stats *st)
{
	td_module_stats(td, st);
}

/*
 * Since @before: exactly @nr leaves changed, by the counts given (a leaf
 * listed twice adds up), and no other SEAMCALL was issued.
 */
static void expect_calls(struct td *td, const struct tdxsim_td_stats *before,
			 const struct leaf_count *want, unsigned int nr)
{
	struct tdxsim_td_stats now;
	uint64_t expected[TDXSIM_NR_LEAVES] = { 0 };
	unsigned int i;

	snap(td, &now);
	for (i = 0; i < nr; i++)
		expected[want[i].leaf] += want[i].n;
	for (i = 0; i < TDXSIM_NR_LEAVES; i++) {
		uint64_t got = now.seamcalls[i] - before->seamcalls[i];

		if (got != expected[i])
			fail_msg("%s, %s: leaf %u: %llu SEAMCALLs, expected %llu",
				 current_kernel, current_op, i,
				 (unsigned long long)got,
				 (unsigned long long)expected[i]);
	}
}

#define EXPECT(td, before, ...)						\
	do {								\
		const struct leaf_count __w[] = { __VA_ARGS__ };	\
		expect_calls((td), (before), __w, ARRAY_SIZE(__w));	\
	} while (0)

static void inject(struct td *td, u32 leaf, u32 nth, u64 status)
{
	struct tdxsim_inject_fault f = { .leaf = leaf, .nth = nth,
					 .status = status };

	assert_int_equal(tdxsim_ioctl(td->vm, TDXSIM_INJECT_FAULT, &f), 0);
}

static int populate_one(struct td *td, u64 gpa, bool measure)
{
	static u8 *src;
	struct kvm_tdx_init_mem_region region = {
		.gpa = gpa,
		.nr_pages = 1,
	};

	if (!src) {
		src = aligned_alloc(4096, 4096);
		memset(src, 0x3c, 4096);
	}
	region.source_addr = (u64)(uintptr_t)src;
	return __td_init_mem_region(td, td->vcpu[0],
				    measure ? KVM_TDX_MEASURE_MEMORY_REGION : 0,
				    &region);
}

static void op(const char *name)
{
	current_op = name;
}

static void counts_in(const char *kernel)
{
	struct tdxsim_td_stats b;
	struct td_opts o;
	struct td td;
	bool premap;
	int r;

	current_kernel = kernel;
	td_opts_init(&o);
	td_opts_set_kernel(&o, kernel);
	o.memory = GB + 4 * MB;
	td_create(&td, &o);
	premap = o.design.premap_count;

	op("populate, measured, 3 tables missing");
	snap(&td, &b);
	assert_int_equal(populate_one(&td, 0x800000, true), 0);
	EXPECT(&td, &b, { TDH_MEM_SEPT_ADD, 3 }, { TDH_MEM_PAGE_ADD, 1 },
	       { TDH_MR_EXTEND, 16 });

	op("populate, measured, tables present");
	snap(&td, &b);
	assert_int_equal(populate_one(&td, 0x801000, true), 0);
	EXPECT(&td, &b, { TDH_MEM_PAGE_ADD, 1 }, { TDH_MR_EXTEND, 16 });

	op("populate, not measured");
	snap(&td, &b);
	assert_int_equal(populate_one(&td, 0x802000, false), 0);
	EXPECT(&td, &b, { TDH_MEM_PAGE_ADD, 1 });

	op("populate, PAGE.ADD BUSY once");
	inject(&td, TDH_MEM_PAGE_ADD, 1, TDX_OPERAND_BUSY);
	snap(&td, &b);
	r = populate_one(&td, 0x803000, false);
	if (premap) {
		/* 6.16: -EBUSY to userspace, the leaf stays premapped. */
		assert_int_equal(r, -EBUSY);
		EXPECT(&td, &b, { TDH_MEM_PAGE_ADD, 1 });
	} else {
		/* 6.19: -EBUSY from the hook, the map loop retries. */
		assert_int_equal(r, 0);
		EXPECT(&td, &b, { TDH_MEM_PAGE_ADD, 2 });
	}

	op("zap before finalize, an added page");
	snap(&td, &b);
	td_punch(&td, 0x802000, 4096);
	EXPECT(&td, &b, { TDH_MEM_RANGE_BLOCK, 1 }, { TDH_MEM_PAGE_REMOVE, 1 },
	       { TDH_PHYMEM_PAGE_WBINVD, 1 });

	op(premap ? "zap before finalize, a premapped-only leaf" :
		    "zap before finalize, the page added on the retry");
	snap(&td, &b);
	td_punch(&td, 0x803000, 4096);
	if (premap)
		EXPECT(&td, &b, { TDH_MEM_RANGE_BLOCK, 1 });
	else
		EXPECT(&td, &b, { TDH_MEM_RANGE_BLOCK, 1 },
		       { TDH_MEM_PAGE_REMOVE, 1 },
		       { TDH_PHYMEM_PAGE_WBINVD, 1 });

	op("finalize");
	snap(&td, &b);
	td_finalize(&td);
	EXPECT(&td, &b, { TDH_MR_FINALIZE, 1 });

	op("4K fault, tables present");
	snap(&td, &b);
	td_prefault(&td, 0, 0x804000, 4096);
	EXPECT(&td, &b, { TDH_MEM_PAGE_AUG, 1 });

	op("4K fault, the PT missing");
	snap(&td, &b);
	td_prefault(&td, 0, 0x200000, 4096);
	EXPECT(&td, &b, { TDH_MEM_SEPT_ADD, 1 }, { TDH_MEM_PAGE_AUG, 1 });

	op("4K fault, the PD and the PT missing");
	snap(&td, &b);
	td_prefault(&td, 0, GB, 4096);
	EXPECT(&td, &b, { TDH_MEM_SEPT_ADD, 2 }, { TDH_MEM_PAGE_AUG, 1 });

	op("zap of one 4K page, runnable");
	snap(&td, &b);
	td_punch(&td, 0x804000, 4096);
	EXPECT(&td, &b, { TDH_MEM_RANGE_BLOCK, 1 }, { TDH_MEM_TRACK, 1 },
	       { TDH_MEM_PAGE_REMOVE, 1 }, { TDH_PHYMEM_PAGE_WBINVD, 1 });

	op("zap of 3 contiguous 4K pages, runnable");
	td_prefault(&td, 0, 0x805000, 3 * 4096);
	snap(&td, &b);
	td_punch(&td, 0x805000, 3 * 4096);
	EXPECT(&td, &b, { TDH_MEM_RANGE_BLOCK, 3 }, { TDH_MEM_TRACK, 3 },
	       { TDH_MEM_PAGE_REMOVE, 3 }, { TDH_PHYMEM_PAGE_WBINVD, 3 });

	/*
	 * Teardown: the guest_memfd's release zaps every private page still
	 * mapped (0x800000, 0x801000, 0x200000, 1G), HKID assigned.
	 */
	op("teardown: the guest_memfd released, 4 pages mapped");
	snap(&td, &b);
	tdxsim_munmap(td.shared_map, td.memory);
	td.shared_map = NULL;
	assert_int_equal(tdxsim_close(td.gmem), 0);
	td.gmem = -1;
	EXPECT(&td, &b, { TDH_MEM_RANGE_BLOCK, 4 }, { TDH_MEM_TRACK, 4 },
	       { TDH_MEM_PAGE_REMOVE, 4 }, { TDH_PHYMEM_PAGE_WBINVD, 4 });
	td_destroy(&td);
}

static void test_counts(void **state)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kernels); i++)
		counts_in(kernels[i]);
}

/*
 * A zap after the HKID was released issues no SEAMCALL: the remove hook
 * KVM_BUG_ON()s first (every release). The release is forced through the
 * vendor's pre-destroy hook while a page is still mapped; the TD's pages
 * are then leaked by design. Last in the file: it taints the process.
 */
/* The module's per-TD call counts, also once the VM is dead (white-box). */
static void module_calls(struct td *td, u64 *calls)
{
	struct kvm *kvm = vm_kvm(td->vm);
	struct tdx_td_stats st;

	assert_int_equal(tdx_module_get_td_stats(tdx_tdr_pa(to_kvm_tdx(kvm)),
						 &st), 0);
	memcpy(calls, st.calls, sizeof(st.calls));
}

static void test_zap_after_hkid_release(void **state)
{
	/*
	 * One kernel only: the page the failed zap leaves is freed while the
	 * module owns it (a PAMT violation), which taints the process for any
	 * TD after it. The hook's check is the same in every release.
	 */
	static const char *const some[] = { "next" };
	u64 before[TDX_NR_LEAVES], after[TDX_NR_LEAVES];
	struct tdxsim_stats ks;
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(some); i++) {
		struct td_opts o;
		struct td td;

		current_kernel = some[i];
		op("zap after the HKID is released");
		td_opts_init(&o);
		td_opts_set_kernel(&o, some[i]);
		td_create(&td, &o);
		td_populate(&td, 0x800000, 1, true, 1);
		td_finalize(&td);
		td_prefault(&td, 0, 0x200000, 4096);
		kvm_x86_ops.vm_pre_destroy(vm_kvm(td.vm));
		module_calls(&td, before);
		__td_punch(&td, 0x200000, 4096);
		module_calls(&td, after);
		for (j = 0; j < TDX_NR_LEAVES; j++)
			if (after[j] != before[j])
				fail_msg("%s, %s: leaf %zu: %llu SEAMCALLs",
					 current_kernel, current_op, j,
					 (unsigned long long)(after[j] - before[j]));
		td_kvm_stats(&td, &ks);
		assert_int_equal(ks.vm_bugged, 1);
		td.allow_leak = true;
		td_destroy(&td);
		tdxsim_reset_reports();
	}
}

/*
 * With DPAMT (v6) a split takes every PAMT pair from the per-VM split
 * cache, topped up before mmu_lock with two pairs per split (a head and a
 * tail: 8 pages): DEMOTE's pair (R12/R13, no PAMT.ADD) and, if the new
 * S-EPT page's region had none, that region's (one PAMT.ADD). Nothing is
 * allocated under mmu_lock.
 */
struct split_pairs {
	u64 adds;		/* host-wide PAMT.ADD calls */
	u64 pairs;		/* pairs installed in the module */
};

static void split_pair_snap(struct td *td, struct split_pairs *p)
{
	struct tdxsim_module_stats ms;
	int fd = tdxsim_open("/dev/kvm", 0);

	assert_true(fd >= 0);
	assert_int_equal(tdxsim_ioctl(fd, TDXSIM_GET_MODULE_STATS, &ms), 0);
	tdxsim_close(fd);
	p->adds = ms.pamt_adds;
	p->pairs = ms.pamt_pairs;
}

static void expect_split_pairs(struct td *td, const struct split_pairs *b,
			       unsigned long topped_up_pairs)
{
	struct kvm_tdx *kvm_tdx = to_kvm_tdx(vm_kvm(td->vm));
	unsigned long left = kvm_tdx->split_pamt_cache.cnt;
	struct split_pairs a;
	u64 adds;

	if (!strstr(current_kernel, "dpamt"))
		return;
	split_pair_snap(td, &a);
	adds = a.adds - b->adds;
	/* DEMOTE's pair and the S-EPT page's (if added) from the cache. */
	if (adds > 1 || a.pairs - b->pairs != 1 + adds ||
	    left != 2 * (topped_up_pairs * 2 - 1 - adds))
		fail_msg("%s, %s: PAMT.ADD %llu, pairs +%llu, %lu pages left in the split cache (expected %llu)",
			 current_kernel, current_op, (unsigned long long)adds,
			 (unsigned long long)(a.pairs - b->pairs), left,
			 (unsigned long long)(2 * (topped_up_pairs * 2 - 1 -
						   adds)));
}

/* The 2M paths (series-hugepage.md §7) in @kernel. */
static void hugepage_counts_in(const char *kernel)
{
	struct split_pairs pp;
	struct tdxsim_td_stats b;
	struct td_opts o;
	struct td td;

	current_kernel = kernel;
	td_opts_init(&o);
	td_opts_set_kernel(&o, current_kernel);
	o.memory = GB + 8 * MB;
	td_create(&td, &o);
	td_populate(&td, 0x800000, 1, true, 1);
	td_finalize(&td);

	op("2M fault, the PD present");
	snap(&td, &b);
	td_prefault(&td, 0, 0x200000, 2 * MB);
	EXPECT(&td, &b, { TDH_MEM_PAGE_AUG, 1 });

	op("2M fault, the PD missing");
	snap(&td, &b);
	td_prefault(&td, 0, GB, 2 * MB);
	EXPECT(&td, &b, { TDH_MEM_SEPT_ADD, 1 }, { TDH_MEM_PAGE_AUG, 1 });

	op("4K punch in a 2M mapping: the split, then the 4K zap");
	snap(&td, &b);
	split_pair_snap(&td, &pp);
	td_punch(&td, 0x201000, 4096);
	EXPECT(&td, &b, { TDH_MEM_RANGE_BLOCK, 1 }, { TDH_MEM_TRACK, 1 },
	       { TDH_MEM_PAGE_DEMOTE, 1 },
	       { TDH_MEM_RANGE_BLOCK, 1 }, { TDH_MEM_TRACK, 1 },
	       { TDH_MEM_PAGE_REMOVE, 1 }, { TDH_PHYMEM_PAGE_WBINVD, 1 });
	expect_split_pairs(&td, &pp, 2);

	op("zap of one 2M page");
	snap(&td, &b);
	td_punch(&td, GB, 2 * MB);
	EXPECT(&td, &b, { TDH_MEM_RANGE_BLOCK, 1 }, { TDH_MEM_TRACK, 1 },
	       { TDH_MEM_PAGE_REMOVE, 1 }, { TDH_PHYMEM_PAGE_WBINVD, 512 });

	op("4K conversion to shared in a 2M mapping: the split, then the 4K zap");
	td_prefault(&td, 0, 0x400000, 2 * MB);
	snap(&td, &b);
	split_pair_snap(&td, &pp);
	td_set_private(&td, 0x401000, 4096, false);
	EXPECT(&td, &b, { TDH_MEM_RANGE_BLOCK, 1 }, { TDH_MEM_TRACK, 1 },
	       { TDH_MEM_PAGE_DEMOTE, 1 },
	       { TDH_MEM_RANGE_BLOCK, 1 }, { TDH_MEM_TRACK, 1 },
	       { TDH_MEM_PAGE_REMOVE, 1 }, { TDH_PHYMEM_PAGE_WBINVD, 1 });
	expect_split_pairs(&td, &pp, 2);

	op("4K punch in a 2M mapping, the split out of memory: -ENOMEM, none");
	td_prefault(&td, 0, 0x600000, 2 * MB);
	inject(&td, TDXSIM_INJECT_SPLIT_ENOMEM, 1, ENOMEM);
	snap(&td, &b);
	assert_int_equal(__td_punch(&td, 0x601000, 4096), -ENOMEM);
	EXPECT(&td, &b);

	op("memory failure on 4K of a 2M mapping, as posted: the 2M zap");
	snap(&td, &b);
	assert_int_equal(tdxsim_memory_failure(td.gmem, 0x601000), 0);
	EXPECT(&td, &b, { TDH_MEM_RANGE_BLOCK, 1 }, { TDH_MEM_TRACK, 1 },
	       { TDH_MEM_PAGE_REMOVE, 1 }, { TDH_PHYMEM_PAGE_WBINVD, 512 });
	td_check(&td);
	td_destroy(&td);

	op("memory failure on 4K of a 2M mapping, huge_error_split: split, 4K zap");
	td_opts_init(&o);
	td_opts_set_kernel(&o, current_kernel);
	o.design.huge_error_split = 1;
	o.memory = 8 * MB;
	td_create(&td, &o);
	td_populate(&td, 0x0, 1, true, 1);
	td_finalize(&td);
	td_prefault(&td, 0, 0x200000, 2 * MB);
	snap(&td, &b);
	assert_int_equal(tdxsim_memory_failure(td.gmem, 0x201000), 0);
	EXPECT(&td, &b, { TDH_MEM_RANGE_BLOCK, 1 }, { TDH_MEM_TRACK, 1 },
	       { TDH_MEM_PAGE_DEMOTE, 1 },
	       { TDH_MEM_RANGE_BLOCK, 1 }, { TDH_MEM_TRACK, 1 },
	       { TDH_MEM_PAGE_REMOVE, 1 }, { TDH_PHYMEM_PAGE_WBINVD, 1 });
	td_check(&td);
	td_destroy(&td);
}

/*
 * Mapping and zapping 16 MiB (a 2M-aligned GiB's first 16 MiB, its page
 * tables present but for the PTs) in @kernel: the SEAMCALLs, exactly, and
 * per GiB (x64) for the README.
 */
static void per_gib_in(const char *kernel, bool huge)
{
	const u64 gpa = 0x2000000, size = 16 * MB, n2m = size / (2 * MB);
	const u64 n4k = size / 4096;
	struct tdxsim_td_stats b, a;
	struct td_opts o;
	struct td td;
	u64 map = 0, zap = 0;
	unsigned int i;

	current_kernel = kernel;
	td_opts_init(&o);
	td_opts_set_kernel(&o, kernel);
	o.memory = 64 * MB;
	td_create(&td, &o);
	td_populate(&td, 0x0, 1, true, 1);
	td_finalize(&td);

	op("16 MiB faulted in");
	snap(&td, &b);
	td_prefault(&td, 0, gpa, size);
	if (huge)
		EXPECT(&td, &b, { TDH_MEM_PAGE_AUG, n2m });
	else
		EXPECT(&td, &b, { TDH_MEM_SEPT_ADD, n2m },
		       { TDH_MEM_PAGE_AUG, n4k });
	snap(&td, &a);
	for (i = 0; i < TDXSIM_NR_LEAVES; i++)
		map += a.seamcalls[i] - b.seamcalls[i];

	op("16 MiB zapped");
	snap(&td, &b);
	td_punch(&td, gpa, size);
	if (huge)
		EXPECT(&td, &b, { TDH_MEM_RANGE_BLOCK, n2m },
		       { TDH_MEM_TRACK, n2m }, { TDH_MEM_PAGE_REMOVE, n2m },
		       { TDH_PHYMEM_PAGE_WBINVD, n4k });
	else
		EXPECT(&td, &b, { TDH_MEM_RANGE_BLOCK, n4k },
		       { TDH_MEM_TRACK, n4k }, { TDH_MEM_PAGE_REMOVE, n4k },
		       { TDH_PHYMEM_PAGE_WBINVD, n4k });
	snap(&td, &a);
	for (i = 0; i < TDXSIM_NR_LEAVES; i++)
		zap += a.seamcalls[i] - b.seamcalls[i];
	print_message("# %s: SEAMCALLs per GiB: %llu to map, %llu to zap\n",
		      kernel, (unsigned long long)(map * (GB / size)),
		      (unsigned long long)(zap * (GB / size)));
	td_check(&td);
	td_destroy(&td);
}

static void test_hugepage_counts(void **state)
{
	hugepage_counts_in("next+hugepage-rfc");
	hugepage_counts_in("next+dpamt+hugepage-rfc");
	per_gib_in("next", false);
	per_gib_in("next+hugepage-rfc", true);
}

/* next+gmem-inplace: SEAMCALLs per KVM_SET_MEMORY_ATTRIBUTES2. */
static void test_gmem_inplace_counts(void **state)
{
	struct tdxsim_td_stats b;
	struct td_opts o;
	struct td td;

	current_kernel = "next+gmem-inplace";
	td_opts_init(&o);
	td_opts_set_kernel(&o, current_kernel);
	o.memory = 16 * MB;
	td_create(&td, &o);
	td_populate(&td, 0x800000, 1, true, 1);
	td_finalize(&td);
	td_prefault(&td, 0, 0x200000, 3 * 4096);

	op("to shared, 3 private pages mapped");
	snap(&td, &b);
	gmem_set_attributes(td.gmem, 0x200000, 3 * 4096, 0);
	EXPECT(&td, &b, { TDH_MEM_RANGE_BLOCK, 3 }, { TDH_MEM_TRACK, 3 },
	       { TDH_MEM_PAGE_REMOVE, 3 }, { TDH_PHYMEM_PAGE_WBINVD, 3 });

	op("to shared, already shared");
	snap(&td, &b);
	gmem_set_attributes(td.gmem, 0x200000, 3 * 4096, 0);
	expect_calls(&td, &b, NULL, 0);

	op("to shared, 2 private pages not mapped");
	snap(&td, &b);
	gmem_set_attributes(td.gmem, 0x400000, 2 * 4096, 0);
	expect_calls(&td, &b, NULL, 0);

	op("to private, 3 shared pages");
	snap(&td, &b);
	gmem_set_attributes(td.gmem, 0x200000, 3 * 4096,
			    KVM_MEMORY_ATTRIBUTE_PRIVATE);
	expect_calls(&td, &b, NULL, 0);

	op("4K fault after the round trip");
	snap(&td, &b);
	td_prefault(&td, 0, 0x201000, 4096);
	EXPECT(&td, &b, { TDH_MEM_PAGE_AUG, 1 });

	/*
	 * To private of a range with a shared page and a mapped private one
	 * (0x201000): v8's filter holds PRIVATE too and zaps that page.
	 */
	op("to private, one shared page and one mapped private page");
	gmem_set_attributes(td.gmem, 0x202000, 4096, 0);
	snap(&td, &b);
	gmem_set_attributes(td.gmem, 0x201000, 2 * 4096,
			    KVM_MEMORY_ATTRIBUTE_PRIVATE);
	EXPECT(&td, &b, { TDH_MEM_RANGE_BLOCK, 1 }, { TDH_MEM_TRACK, 1 },
	       { TDH_MEM_PAGE_REMOVE, 1 }, { TDH_PHYMEM_PAGE_WBINVD, 1 });
	td_check(&td);
	td_destroy(&td);

	/* Post-v8 (gmem_conv_filter=old): only the shared mappings go. */
	current_kernel = "next+gmem-inplace:gmem_conv_filter=old";
	o.design.gmem_conv_filter = TDXSIM_GMEM_CONV_FILTER_OLD;
	td_create(&td, &o);
	td_finalize(&td);
	td_prefault(&td, 0, 0x201000, 4096);
	gmem_set_attributes(td.gmem, 0x202000, 4096, 0);
	op("to private, one shared page and one mapped private page");
	snap(&td, &b);
	gmem_set_attributes(td.gmem, 0x201000, 2 * 4096,
			    KVM_MEMORY_ATTRIBUTE_PRIVATE);
	expect_calls(&td, &b, NULL, 0);
	td_check(&td);
	td_destroy(&td);
}

/* ---- next+dpamt: PAMT.ADD/REMOVE per operation ---- */

struct pamt_snap {
	u64 regions;		/* 2M regions with a kernel refcount */
	u64 adds, removes;	/* host-wide PAMT.ADD/REMOVE calls */
	u64 pairs;		/* pairs installed in the module */
};

static void pamt_snap(struct td *td, struct pamt_snap *p)
{
	struct tdxsim_module_stats ms;
	struct tdx_pamt_bytes pb;
	int fd = tdxsim_open("/dev/kvm", 0);
	u64 r;

	tdx_module_pamt_bytes(&pb);
	p->regions = 0;
	for (r = 0; r < (pb.covered >> 21); r++)
		p->regions += tdx_pamt_refcount(r << 9) > 0;
	assert_true(fd >= 0);
	assert_int_equal(tdxsim_ioctl(fd, TDXSIM_GET_MODULE_STATS, &ms), 0);
	tdxsim_close(fd);
	p->adds = ms.pamt_adds;
	p->removes = ms.pamt_removes;
	p->pairs = ms.pamt_pairs;
}

/*
 * Since @b: exactly one PAMT.ADD per newly referenced region (at most
 * @max_new of them) and one PAMT.REMOVE per region no longer referenced;
 * the module's pairs are the referenced regions.
 */
static void expect_pamt(struct td *td, const struct pamt_snap *b,
			u64 max_new, u64 max_gone)
{
	struct pamt_snap a;
	u64 added, removed;

	pamt_snap(td, &a);
	added = a.regions > b->regions ? a.regions - b->regions : 0;
	removed = a.regions < b->regions ? b->regions - a.regions : 0;
	if (a.adds - b->adds != added || a.removes - b->removes != removed ||
	    added > max_new || removed > max_gone || a.pairs != a.regions)
		fail_msg("%s, %s: PAMT.ADD %llu, REMOVE %llu; regions %llu -> %llu; pairs %llu",
			 current_kernel, current_op,
			 (unsigned long long)(a.adds - b->adds),
			 (unsigned long long)(a.removes - b->removes),
			 (unsigned long long)b->regions,
			 (unsigned long long)a.regions,
			 (unsigned long long)a.pairs);
}

/*
 * next+gmem-inplace+hugepage-rfc: huge folios with in-place conversion. A
 * 4K KVM_SET_MEMORY_ATTRIBUTES2 to shared inside a 2M private mapping
 * splits the S-EPT (BLOCK, TRACK, DEMOTE) and the 2M folio before the
 * zap, which takes the 4K page only; back to private, nothing to split.
 */
static void test_gmem_inplace_huge_counts(void **state)
{
	struct tdxsim_td_stats b;
	struct tdxsim_stats st;
	struct td_opts o;
	struct td td;

	(void)state;
	current_kernel = "next+gmem-inplace+hugepage-rfc";
	td_opts_init(&o);
	td_opts_set_kernel(&o, current_kernel);
	o.memory = 8 * MB;
	td_create(&td, &o);
	td_populate(&td, 0x0, 1, true, 1);
	td_finalize(&td);

	op("2M fault");
	snap(&td, &b);
	td_prefault(&td, 0, 0x200000, 2 * MB);
	EXPECT(&td, &b, { TDH_MEM_PAGE_AUG, 1 });

	op("4K to shared in a 2M mapping: S-EPT and folio split, the 4K zap");
	snap(&td, &b);
	gmem_set_attributes(td.gmem, 0x201000, 4096, 0);
	EXPECT(&td, &b, { TDH_MEM_RANGE_BLOCK, 1 }, { TDH_MEM_TRACK, 1 },
	       { TDH_MEM_PAGE_DEMOTE, 1 },
	       { TDH_MEM_RANGE_BLOCK, 1 }, { TDH_MEM_TRACK, 1 },
	       { TDH_MEM_PAGE_REMOVE, 1 }, { TDH_PHYMEM_PAGE_WBINVD, 1 });
	td_kvm_stats(&td, &st);
	assert_int_equal(st.gmem_folio_splits, 1);

	op("back to private: already split, nothing mapped");
	snap(&td, &b);
	gmem_set_attributes(td.gmem, 0x201000, 4096,
			    KVM_MEMORY_ATTRIBUTE_PRIVATE);
	expect_calls(&td, &b, NULL, 0);
	td_kvm_stats(&td, &st);
	assert_int_equal(st.gmem_folio_splits, 1);

	op("4K fault of the page converted back");
	snap(&td, &b);
	td_prefault(&td, 0, 0x201000, 4096);
	EXPECT(&td, &b, { TDH_MEM_PAGE_AUG, 1 });
	td_check(&td);
	td_destroy(&td);
}

static void test_dpamt_counts(void **state)
{
	struct tdxsim_td_stats b;
	struct pamt_snap p, p0;
	struct td_opts o;
	struct td td;
	u64 i;

	current_kernel = "next+dpamt";
	td_opts_init(&o);
	td_opts_set_kernel(&o, current_kernel);
	o.memory = GB + 4 * MB;
	op("TD and vCPU creation");
	pamt_snap(NULL, &p0);
	td_create(&td, &o);
	/* TDR, TDCS, TDVPR, TDCX: one ADD per region they fall in. */
	expect_pamt(&td, &p0, 1 + tdx_nr_tdcs_pages() + 1 + tdx_nr_tdcx_pages(),
		    0);

	op("populate, measured, 3 tables missing");
	pamt_snap(&td, &p);
	snap(&td, &b);
	assert_int_equal(populate_one(&td, 0x800000, true), 0);
	EXPECT(&td, &b, { TDH_MEM_SEPT_ADD, 3 }, { TDH_MEM_PAGE_ADD, 1 },
	       { TDH_MR_EXTEND, 16 });
	expect_pamt(&td, &p, 4, 0);

	op("populate, measured, tables present");
	pamt_snap(&td, &p);
	assert_int_equal(populate_one(&td, 0x801000, true), 0);
	expect_pamt(&td, &p, 1, 0);
	td_finalize(&td);

	op("4K faults, tables present");
	for (i = 0; i < 8; i++) {
		pamt_snap(&td, &p);
		snap(&td, &b);
		td_prefault(&td, 0, 0x804000 + i * 4096, 4096);
		EXPECT(&td, &b, { TDH_MEM_PAGE_AUG, 1 });
		expect_pamt(&td, &p, 1, 0);
	}

	op("4K fault, the PD and the PT missing");
	pamt_snap(&td, &p);
	td_prefault(&td, 0, GB, 4096);
	expect_pamt(&td, &p, 3, 0);

	op("zap of one 4K page, runnable");
	pamt_snap(&td, &p);
	snap(&td, &b);
	td_punch(&td, 0x804000, 4096);
	EXPECT(&td, &b, { TDH_MEM_RANGE_BLOCK, 1 }, { TDH_MEM_TRACK, 1 },
	       { TDH_MEM_PAGE_REMOVE, 1 }, { TDH_PHYMEM_PAGE_WBINVD, 1 });
	expect_pamt(&td, &p, 0, 1);

	op("teardown");
	td_destroy(&td);
	pamt_snap(NULL, &p);
	/* Every reference dropped, every pair removed. */
	assert_int_equal(p.regions, p0.regions);
	assert_int_equal(p.pairs, p0.pairs);
	assert_int_equal(p.adds - p0.adds, p.removes - p0.removes);
	assert_true(p.adds > p0.adds);
}

/* KVM_TDX_INIT_VM of a TD with the minimal CPUID (td_create_rest()'s). */
static int init_vm(struct td *td)
{
	size_t size = sizeof(struct kvm_tdx_init_vm) +
		      sizeof(struct kvm_cpuid_entry2);
	struct kvm_tdx_init_vm *init = calloc(1, size);
	int r;

	init->attributes = TDX_TD_ATTR_SEPT_VE_DISABLE;
	init->xfam = 0x3;
	init->cpuid.nent = 1;
	init->cpuid.entries[0].function = 0x80000008;
	init->cpuid.entries[0].eax = (48u << 16) | 52;
	r = __tdx_cmd(td->vm, KVM_TDX_INIT_VM, 0, (uint64_t)(uintptr_t)init,
		      NULL);
	free(init);
	return r;
}

/*
 * The host's PAMT mode is one: a TD of a kernel without DPAMT cannot be
 * created while a DPAMT kernel's TD holds pages (-EBUSY, tdxsim's model
 * of one host per mode), and v6's 48-bit check keeps a 52-bit host on
 * static PAMT.
 */
static void test_dpamt_errnos(void **state)
{
	struct td_opts o, ob;
	struct td a, b;

	current_kernel = "next+dpamt";
	op("a static-PAMT TD next to a DPAMT one");
	td_opts_init(&o);
	td_opts_set_kernel(&o, "next+dpamt");
	td_create(&a, &o);
	assert_true(tdx_module_dynamic_pamt());
	td_opts_init(&ob);
	td_opts_set_kernel(&ob, "next");
	ob.vm_only = true;
	td_create(&b, &ob);
	assert_int_equal(init_vm(&b), -EBUSY);
	td_destroy(&a);
	/* Gone: the host goes static for the next TD. */
	b.owned_at_create = a.owned_at_create;
	ob.vm_only = false;
	td_create_rest(&b, &ob);
	assert_false(tdx_module_dynamic_pamt());
	td_destroy(&b);

	op("a 52-bit host");
	td_opts_set_kernel(&o, "next+dpamt");
	o.design.phys_bits = 1;
	td_create(&a, &o);
	assert_false(tdx_module_dynamic_pamt());
	td_destroy(&a);
	o.design.dpamt_phys_check = 0;
	td_create(&a, &o);
	assert_true(tdx_module_dynamic_pamt());
	td_destroy(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_dpamt_counts),
		cmocka_unit_test(test_dpamt_errnos),
		cmocka_unit_test(test_hugepage_counts),
		cmocka_unit_test(test_gmem_inplace_huge_counts),
		cmocka_unit_test(test_gmem_inplace_counts),
		cmocka_unit_test(test_zap_after_hkid_release),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
