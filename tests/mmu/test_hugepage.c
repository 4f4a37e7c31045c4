// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * S-EPT huge pages and the guest's accept level (seed 001, issue 7), on a
 * 2M-capable TD: kernel next+hugepage-rfc (2M guest_memfd folios, 2M
 * private mappings), one 2M-aligned slot; TDX maps private memory at 2M
 * once the TD is runnable.
 *
 * Exact SEAMCALL and exit counts:
 *  - accepting at 2M: one AUG, one guest accept and one EPT violation per
 *    2M, no DEMOTE (also over a whole GiB);
 *  - accepting at 4K: the first 4K accept of each 2M exits with level 4K,
 *    KVM inhibits 2M there, and every 4K page is AUGed on its own exit;
 *  - touching first (pre-fault at 2M), then accepting at 4K: one DEMOTE per
 *    2M (BLOCK, TRACK, DEMOTE), one exit per 2M;
 *  - punching one 4K page out of an accepted 2M leaf: one split, one REMOVE,
 *    and the other 511 pages keep their data (the guest re-reads them).
 * accept_level=ignore livelocks on the touch-first flow and the detector
 * reports it; the upstream design passes the same scenario.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>

#include "base/lockdep.h"
#include "base/log.h"
#include "kvm/asm/kvm_host.h"
#include "kvm/tdx.h"
#include "testlib/kvm_util_internal.h"

#define MB	(1ULL << 20)
#define GB	(1ULL << 30)

static void build_huge(struct td *td, u64 memory, const char *program,
		       u32 accept_level)
{
	struct td_opts o;

	td_opts_init(&o);
	o.memory = memory;
	td_opts_set_kernel(&o, "next+hugepage-rfc");
	o.design.accept_level = accept_level;
	o.program = program;
	td_create(td, &o);
	/* A small measured image (4K only before the TD runs). */
	td_populate(td, 0, 4, true, 1);
	td_finalize(td);
	td_check(td);
}

static void run_to_halt(struct td *td)
{
	td_run_vcpu(td, 0);
	assert_int_equal(td->last_exit[0], KVM_EXIT_HLT);
	assert_true(tdxsim_guest_finished(td->guest));
	assert_int_equal(tdxsim_guest_data_failures(td->guest), 0);
}

struct counts {
	u64 aug, demote, block, track, remove, exits, acc4k, acc2m;
};

static u64 td_module_busy(struct td *td, unsigned int leaf)
{
	struct tdxsim_td_stats ms;

	td_module_stats(td, &ms);
	return ms.busy[leaf];
}

static void counts_read(struct td *td, struct counts *c)
{
	struct tdxsim_guest_stats gs;
	struct tdxsim_td_stats ms;

	td_module_stats(td, &ms);
	td_guest_stats(td, &gs);
	c->aug = ms.seamcalls[TDH_MEM_PAGE_AUG];
	c->demote = ms.seamcalls[TDH_MEM_PAGE_DEMOTE];
	c->block = ms.seamcalls[TDH_MEM_RANGE_BLOCK];
	c->track = ms.seamcalls[TDH_MEM_TRACK];
	c->remove = ms.seamcalls[TDH_MEM_PAGE_REMOVE];
	c->exits = ms.exits[EXIT_REASON_EPT_VIOLATION];
	c->acc4k = gs.accepts_4k;
	c->acc2m = gs.accepts_2m;
}

/* Accept [base, base+size) at 2M: per 2M one exit, one AUG, one accept. */
static void accept_2m(u64 memory, u64 base, u64 size)
{
	char prog[256];
	struct counts c;
	struct td td;
	u64 n = size / (2 * MB);

	snprintf(prog, sizeof(prog),
		 "accept 0x%llx 0x%llx level=2m\n"
		 "write 0x%llx 4K pattern=3\nread 0x%llx 4K\n"
		 "write 0x%llx 4K pattern=4\nread 0x%llx 4K\nhalt\n",
		 (unsigned long long)base, (unsigned long long)size,
		 (unsigned long long)base, (unsigned long long)base,
		 (unsigned long long)(base + size - 4096),
		 (unsigned long long)(base + size - 4096));
	build_huge(&td, memory, prog, TDXSIM_ACCEPT_LEVEL_SPLIT_INHIBIT);
	run_to_halt(&td);
	counts_read(&td, &c);
	assert_int_equal(c.aug, n);
	assert_int_equal(c.acc2m, n);
	assert_int_equal(c.acc4k, 0);
	assert_int_equal(c.demote, 0);
	assert_int_equal(c.exits, n);
	/* The checker sees n 2M leaves on both sides (mirror and PAMT). */
	td_check(&td);
	td_destroy(&td);
}

static void test_accept_2m_small(void **state)
{
	accept_2m(64 * MB, 16 * MB, 32 * MB);
}

/* The cheap path over a whole GiB: 512 AUG, 512 accepts, no DEMOTE. */
static void test_accept_2m_1g(void **state)
{
	accept_2m(GB + 4 * MB, 2 * MB, GB);
}

/*
 * Accept at 4K on a 2M-capable TD: the first 4K accept exits with level
 * 4K and inhibits 2M; every page is its own AUG and exit: 512 per 2M.
 */
static void accept_4k(u64 memory, u64 base, u64 size)
{
	char prog[256];
	struct counts c;
	struct td td;
	u64 pages = size / 4096;

	snprintf(prog, sizeof(prog),
		 "accept 0x%llx 0x%llx level=4k\n"
		 "accept 0x%llx 0x%llx level=2m-fallback\nhalt\n",
		 (unsigned long long)base, (unsigned long long)size,
		 (unsigned long long)base, (unsigned long long)size);
	build_huge(&td, memory, prog, TDXSIM_ACCEPT_LEVEL_SPLIT_INHIBIT);
	run_to_halt(&td);
	counts_read(&td, &c);
	assert_int_equal(c.aug, pages);
	assert_int_equal(c.acc4k, pages);
	assert_int_equal(c.acc2m, 0);
	assert_int_equal(c.demote, 0);
	assert_int_equal(c.exits, pages);
	td_check(&td);
	td_destroy(&td);
}

/* 262,144 AUG and exits for a GiB (about 1 s in the plain build). */
static void test_accept_4k_1g(void **state)
{
	accept_4k(GB + 4 * MB, 2 * MB, GB);
}

static void test_accept_4k_after_inhibit(void **state)
{
	/* 8 x 2M: 4096 AUG (512 per 2M; 262,144 per GiB). */
	accept_4k(32 * MB, 8 * MB, 16 * MB);
}

/*
 * Touch first: the host pre-faults 2M leaves (one AUG each, PENDING), then
 * the guest accepts at 4K: one accept-level exit per 2M, which splits it
 * (BLOCK, TRACK, DEMOTE) and inhibits 2M; the 512 accepts then succeed.
 */
static void touch_then_accept_4k(u32 accept_level, bool expect_livelock,
				 u64 memory, u64 base, u64 size)
{
	const u64 n = size / (2 * MB);
	char prog[256];
	struct counts c0, c;
	struct td td;

	snprintf(prog, sizeof(prog),
		 "accept 0x%llx 0x%llx level=4k\n"
		 "write 0x%llx 0x%llx pattern=9\nread 0x%llx 0x%llx\nhalt\n",
		 (unsigned long long)base, (unsigned long long)size,
		 (unsigned long long)base, (unsigned long long)size,
		 (unsigned long long)base, (unsigned long long)size);
	build_huge(&td, memory, prog, accept_level);
	counts_read(&td, &c0);
	td_prefault(&td, 0, base, size);
	counts_read(&td, &c);
	assert_int_equal(c.aug - c0.aug, n);
	td_check(&td);

	lockdep_reset();
	td_run_vcpu(&td, 0);
	counts_read(&td, &c);
	if (expect_livelock) {
		/* The detector ended KVM_RUN: the guest repeats one exit. */
		assert_int_equal(td.last_exit[0], KVM_EXIT_INTERNAL_ERROR);
		assert_int_equal(td.run[0]->internal.suberror,
				 TDXSIM_INTERNAL_ERROR_LIVELOCK);
		assert_int_equal(td.run[0]->internal.data[0], base);
		assert_true(lockdep_count_reports(LOCKDEP_LIVELOCK, NULL) >= 1);
		assert_false(tdxsim_guest_finished(td.guest));
		assert_int_equal(c.demote, 0);
		assert_int_equal(c.acc4k, 0);
		td_check(&td);
		td_destroy(&td);
		return;
	}
	assert_int_equal(td.last_exit[0], KVM_EXIT_HLT);
	assert_true(tdxsim_guest_finished(td.guest));
	assert_int_equal(tdxsim_guest_data_failures(td.guest), 0);
	assert_int_equal(lockdep_count_reports(LOCKDEP_LIVELOCK, NULL), 0);
	assert_int_equal(c.demote - c0.demote, n);
	assert_int_equal(c.block - c0.block, n);
	assert_int_equal(c.track - c0.track, n);
	assert_int_equal(c.aug - c0.aug, n);
	assert_int_equal(c.remove - c0.remove, 0);
	assert_int_equal(c.exits - c0.exits, n);
	assert_int_equal(c.acc4k - c0.acc4k, size / 4096);
	td_check(&td);
	td_destroy(&td);
}

static void test_touch_then_accept_4k(void **state)
{
	touch_then_accept_4k(TDXSIM_ACCEPT_LEVEL_SPLIT_INHIBIT, false, 32 * MB,
			     8 * MB, 16 * MB);
}

/* The same over a GiB: 512 AUG of 2M, 512 DEMOTE, 262,144 4K accepts. */
static void test_touch_then_accept_4k_1g(void **state)
{
	touch_then_accept_4k(TDXSIM_ACCEPT_LEVEL_SPLIT_INHIBIT, false,
			     GB + 4 * MB, 2 * MB, GB);
}

/* The design before seed 001 ignores the accept level: livelock. */
static void test_touch_then_accept_4k_ignore_livelocks(void **state)
{
	touch_then_accept_4k(TDXSIM_ACCEPT_LEVEL_IGNORE, true, 32 * MB, 8 * MB,
			     16 * MB);
}

/* Punch one 4K page out of an accepted 2M leaf, at the guest's MapGPA. */
struct punch_ctx {
	u64 offset;
	bool done;
	struct counts before, after;
};

static int punch_at_mapgpa(struct td *td, unsigned int vcpu,
			   struct kvm_run *run)
{
	struct punch_ctx *p = td->priv;

	if (run->exit_reason != KVM_EXIT_HYPERCALL || p->done)
		return 0;
	counts_read(td, &p->before);
	td_punch(td, p->offset, 4096);
	counts_read(td, &p->after);
	td_check(td);
	p->done = true;
	return 0;
}

static void test_punch_4k_out_of_2m(void **state)
{
	/* The 2M at 8M is accepted and written; 0x9ff000 is punched. */
	static const char *prog =
		"accept 0x800000 2M level=2m\n"
		"write 0x800000 2M pattern=11\n"
		"mapgpa shared 0x1000000 4K\n"
		"read 0x800000 0x1ff000\n"
		"halt\n";
	struct punch_ctx p = { .offset = 0x9ff000 };
	struct tdxsim_stats ks;
	struct counts c;
	struct td td;

	build_huge(&td, 32 * MB, prog, TDXSIM_ACCEPT_LEVEL_SPLIT_INHIBIT);
	td.priv = &p;
	td.exit_hook = punch_at_mapgpa;
	run_to_halt(&td);
	assert_true(p.done);
	counts_read(&td, &c);
	assert_int_equal(c.acc2m, 1);
	/* One split (BLOCK, TRACK, DEMOTE), then the 4K page's removal. */
	assert_int_equal(p.after.demote - p.before.demote, 1);
	assert_int_equal(p.after.remove - p.before.remove, 1);
	assert_int_equal(p.after.block - p.before.block, 2);
	/* The guest re-read the 511 other pages: all intact. */
	assert_int_equal(tdxsim_guest_data_failures(td.guest), 0);
	td_kvm_stats(&td, &ks);
	assert_int_equal(ks.splits, 1);
	assert_int_equal(ks.vm_bugged, 0);
	td_check(&td);
	td_destroy(&td);
}

/*
 * Converting one 4K page of an accepted 2M leaf to shared splits the leaf
 * first: the neighbours survive (seed 001's conversion caller).
 */
static void test_convert_4k_out_of_2m(void **state)
{
	static const char *prog =
		"accept 0x800000 2M level=2m\n"
		"write 0x800000 2M pattern=12\n"
		"mapgpa shared 0x800000 4K\n"
		"write shared 0x800000 4K pattern=13\n"
		"read 0x801000 0x1ff000\n"
		"read shared 0x800000 4K\n"
		"halt\n";
	struct tdxsim_stats ks;
	struct counts c;
	struct td td;

	build_huge(&td, 32 * MB, prog, TDXSIM_ACCEPT_LEVEL_SPLIT_INHIBIT);
	run_to_halt(&td);
	counts_read(&td, &c);
	assert_int_equal(c.demote, 1);
	assert_int_equal(c.remove, 1);
	td_kvm_stats(&td, &ks);
	assert_int_equal(ks.splits, 1);
	td_check(&td);
	td_destroy(&td);
}

/*
 * A 2M range with one shared page is MIXED: private faults in it map 4K
 * (511 AUG for the private pages). Converting the page back recomputes the
 * flag, but the range keeps its 4K page table (no promotion); the guest's 2M
 * accept there gets TDX_PAGE_SIZE_MISMATCH and falls back to 512 4K accepts
 * without any exit.
 */
static void test_mixed_range_maps_4k(void **state)
{
	static const char *prog =
		"accept 0x800000 2M level=2m-fallback\n"
		"write 0x800000 2M pattern=5\nread 0x800000 2M\n"
		"accept 0xa00000 2M level=2m\nhalt\n";
	struct counts c0, c;
	struct td td;

	build_huge(&td, 32 * MB, prog, TDXSIM_ACCEPT_LEVEL_SPLIT_INHIBIT);
	td_set_private(&td, 0x9ff000, 4096, false);
	counts_read(&td, &c0);
	td_prefault(&td, 0, 0x800000, 0x1ff000);
	counts_read(&td, &c);
	assert_int_equal(c.aug - c0.aug, 511);
	td_check(&td);
	td_set_private(&td, 0x9ff000, 4096, true);
	td_prefault(&td, 0, 0x9ff000, 4096);
	/* The 2M next door is not mixed: one 2M AUG. */
	td_prefault(&td, 0, 0xa00000, 2 * MB);
	counts_read(&td, &c);
	assert_int_equal(c.aug - c0.aug, 512 + 1);
	td_check(&td);

	run_to_halt(&td);
	counts_read(&td, &c);
	assert_int_equal(c.acc4k, 512);
	assert_int_equal(c.acc2m, 1);
	assert_int_equal(c.exits - c0.exits, 0);
	assert_int_equal(c.demote, 0);
	td_check(&td);
	td_destroy(&td);
}

/*
 * 2M leaves on both sides: a 2M range converted to shared and written by
 * the guest is mapped by one 2M leaf of the direct root; converted back
 * and accepted at 2M it is one 2M leaf of the mirror (one AUG). The
 * invariant checker walks both.
 */
static void test_2m_leaves_both_sides(void **state)
{
	static const char *prog =
		"accept 0x800000 2M level=2m\n"
		"mapgpa shared 0x800000 2M\n"
		"write shared 0x800000 2M pattern=3\n"
		"read shared 0x800000 2M\n"
		"mapgpa shared 0xc00000 2M\n"
		"halt\n";
	static const char *prog2 =
		"mapgpa private 0xc00000 2M\n"
		"accept 0xc00000 2M level=2m\n"
		"write 0xc00000 2M pattern=4\nread 0xc00000 2M\nhalt\n";
	struct counts c;
	struct td td;

	build_huge(&td, 32 * MB, prog, TDXSIM_ACCEPT_LEVEL_SPLIT_INHIBIT);
	run_to_halt(&td);
	/* The whole-2M conversion removed the 2M leaf at once, no split. */
	counts_read(&td, &c);
	assert_int_equal(c.remove, 1);
	assert_int_equal(c.demote, 0);
	assert_int_equal(td_count_leaves(&td, false, PG_LEVEL_2M), 1);
	assert_int_equal(td_count_leaves(&td, false, PG_LEVEL_4K), 0);
	/* 0x800000 went private -> shared: its 2M mirror leaf is gone. */
	assert_int_equal(td_count_leaves(&td, true, PG_LEVEL_2M), 0);
	td_check(&td);
	td_destroy(&td);

	build_huge(&td, 32 * MB, prog2, TDXSIM_ACCEPT_LEVEL_SPLIT_INHIBIT);
	td_set_private(&td, 0xc00000, 2 * MB, false);
	run_to_halt(&td);
	counts_read(&td, &c);
	assert_int_equal(c.aug, 1);
	assert_int_equal(c.acc2m, 1);
	assert_int_equal(td_count_leaves(&td, true, PG_LEVEL_2M), 1);
	td_check(&td);
	td_destroy(&td);
}

/*
 * Punching a whole accepted 2M leaf removes it with one REMOVE (no split);
 * deleting the memslot removes every leaf of both roots, 2M and 4K.
 */
static void test_punch_whole_2m_and_delete_slot(void **state)
{
	static const char *prog =
		"accept 0x800000 4M level=2m\n"
		"accept 0xc00000 64K level=4k\n"
		"mapgpa shared 0x1000000 2M\n"
		"write shared 0x1000000 2M pattern=2\n"
		"halt\n";
	struct kvm_userspace_memory_region2 del = { .slot = 0 };
	struct counts c0, c;
	struct td td;

	build_huge(&td, 32 * MB, prog, TDXSIM_ACCEPT_LEVEL_SPLIT_INHIBIT);
	run_to_halt(&td);
	assert_int_equal(td_count_leaves(&td, true, PG_LEVEL_2M), 2);
	assert_int_equal(td_count_leaves(&td, true, PG_LEVEL_4K), 4 + 16);
	assert_int_equal(td_count_leaves(&td, false, PG_LEVEL_2M), 1);
	counts_read(&td, &c0);
	td_punch(&td, 0x800000, 2 * MB);
	counts_read(&td, &c);
	assert_int_equal(c.remove - c0.remove, 1);
	assert_int_equal(c.demote - c0.demote, 0);
	td_check(&td);

	/* Delete the slot: 1 x 2M + 20 x 4K private leaves, the shared 2M. */
	assert_int_equal(tdxsim_ioctl(td.vm, KVM_SET_USER_MEMORY_REGION2, &del),
			 0);
	counts_read(&td, &c0);
	assert_int_equal(c0.remove - c.remove, 1 + 20);
	assert_int_equal(td_count_leaves(&td, true, PG_LEVEL_2M), 0);
	assert_int_equal(td_count_leaves(&td, true, PG_LEVEL_4K), 0);
	assert_int_equal(td_count_leaves(&td, false, PG_LEVEL_2M), 0);
	td_check(&td);
	td_destroy(&td);
}

/*
 * Punching one 4K page out of a 2M leaf the guest has not accepted yet
 * (pre-faulted, PENDING) splits it the same way; the guest's later 2M
 * accept meets 4K leaves, falls back to 4K, and the punched page is
 * faulted in again on its own accept.
 */
static void test_punch_4k_out_of_pending_2m(void **state)
{
	static const char *prog =
		"accept 0x800000 2M level=2m-fallback\n"
		"write 0x800000 2M pattern=6\nread 0x800000 2M\nhalt\n";
	struct counts c0, c;
	struct td td;

	build_huge(&td, 32 * MB, prog, TDXSIM_ACCEPT_LEVEL_SPLIT_INHIBIT);
	td_prefault(&td, 0, 0x800000, 2 * MB);
	counts_read(&td, &c0);
	td_punch(&td, 0x900000, 4096);
	counts_read(&td, &c);
	assert_int_equal(c.demote - c0.demote, 1);
	assert_int_equal(c.remove - c0.remove, 1);
	assert_int_equal(td_count_leaves(&td, true, PG_LEVEL_4K), 4 + 511);
	td_check(&td);
	run_to_halt(&td);
	counts_read(&td, &c);
	assert_int_equal(c.acc4k, 512);
	assert_int_equal(c.acc2m, 0);
	/* Only the punched page needed a new AUG (and one exit). */
	assert_int_equal(c.aug - c0.aug, 1);
	assert_int_equal(c.exits - c0.exits, 1);
	td_check(&td);
	td_destroy(&td);
}

static void inject(struct td *td, u32 leaf, u32 nth, u64 status)
{
	struct tdxsim_inject_fault f = { .leaf = leaf, .nth = nth,
					 .status = status };

	assert_int_equal(tdxsim_ioctl(td->vm, TDXSIM_INJECT_FAULT, &f), 0);
}

/*
 * The split's BLOCK and DEMOTE each retry once with every vCPU out on
 * TDX_OPERAND_BUSY (tdh_do_no_vcpus); a second BUSY bugs the VM.
 */
static void test_split_busy(void **state)
{
	static const char *prog =
		"accept 0x800000 16K level=4k\n"
		"write 0x800000 16K pattern=1\nread 0x800000 16K\nhalt\n";
	struct tdxsim_stats ks0, ks;
	struct counts c;
	struct td td;
	int level = log_get_console_level();

	build_huge(&td, 32 * MB, prog, TDXSIM_ACCEPT_LEVEL_SPLIT_INHIBIT);
	td_prefault(&td, 0, 0x800000, 2 * MB);
	td_kvm_stats(&td, &ks0);
	inject(&td, TDH_MEM_RANGE_BLOCK, 1, TDX_OPERAND_BUSY);
	inject(&td, TDH_MEM_PAGE_DEMOTE, 1, TDX_OPERAND_BUSY);
	run_to_halt(&td);
	td_kvm_stats(&td, &ks);
	assert_int_equal(ks.vm_bugged, 0);
	assert_int_equal(ks.vendor[TDXSIM_TDX_STAT_NO_VCPUS_RETRY] -
				 ks0.vendor[TDXSIM_TDX_STAT_NO_VCPUS_RETRY], 2);
	counts_read(&td, &c);
	/* The module answered the injected BUSY itself, then the retry. */
	assert_int_equal(c.demote, 2);
	assert_int_equal(td_module_busy(&td, TDH_MEM_PAGE_DEMOTE), 1);
	assert_int_equal(ks.splits, 1);
	td_check(&td);
	td_destroy(&td);

	/* BUSY twice: the VM is bugged; KVM_RUN answers EIO. */
	build_huge(&td, 32 * MB, prog, TDXSIM_ACCEPT_LEVEL_SPLIT_INHIBIT);
	td_prefault(&td, 0, 0x800000, 2 * MB);
	inject(&td, TDH_MEM_PAGE_DEMOTE, 1, TDX_OPERAND_BUSY);
	inject(&td, TDH_MEM_PAGE_DEMOTE, 2, TDX_OPERAND_BUSY);
	log_set_console_level(0);
	assert_int_equal(__td_run_vcpu(&td, 0), -EIO);
	log_set_console_level(level);
	td_kvm_stats(&td, &ks);
	assert_int_equal(ks.vm_bugged, 1);
	/*
	 * The 2M leaf stays BLOCKED in the S-EPT: the teardown's BLOCK fails
	 * and, as in the kernel, the VM leaks the page (keep this test last:
	 * guest_memfd frees it anyway, and its reuse meets the PAMT check).
	 */
	td.allow_leak = true;
	log_set_console_level(0);
	td_destroy(&td);
	log_set_console_level(level);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accept_2m_small),
		cmocka_unit_test(test_accept_2m_1g),
		cmocka_unit_test(test_accept_4k_after_inhibit),
		cmocka_unit_test(test_accept_4k_1g),
		cmocka_unit_test(test_touch_then_accept_4k),
		cmocka_unit_test(test_touch_then_accept_4k_1g),
		cmocka_unit_test(test_touch_then_accept_4k_ignore_livelocks),
		cmocka_unit_test(test_punch_4k_out_of_2m),
		cmocka_unit_test(test_convert_4k_out_of_2m),
		cmocka_unit_test(test_punch_4k_out_of_pending_2m),
		cmocka_unit_test(test_mixed_range_maps_4k),
		cmocka_unit_test(test_2m_leaves_both_sides),
		cmocka_unit_test(test_punch_whole_2m_and_delete_slot),
		/* Last: its bugged VM leaks a 2M page on purpose. */
		cmocka_unit_test(test_split_busy),
	};

	/* MMU_TEST_FILTER=pattern runs only the matching tests. */
	if (getenv("MMU_TEST_FILTER"))
		cmocka_set_test_filter(getenv("MMU_TEST_FILTER"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
