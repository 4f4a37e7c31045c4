// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Contention between the guest and the host inside the module (reference
 * tdx-module.md §6.3-§6.5): a 2M ACCEPT interrupted between its chunks,
 * the guest's entry lock against a host leaf and the host-priority bit,
 * first writes of two vCPUs to lazily zeroed pages, a guest against a
 * host zap, and a free-mode stress run with real threads that must see
 * nothing but SUCCESS or BUSY (and be TSan-clean).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/sched.h"
#include "testlib/sched_util.h"
#include "busy_util.h"

/*
 * A 2M ACCEPT interrupted between its 4K chunks keeps its accept counter
 * in the entry (visible in the extended error of a host leaf, §4.5) and
 * resumes from there on the next entry.
 */
static struct test_guest acc_guest;

static void fixture_accept_2m(void)
{
	seam_test_start(NULL);
	ttd_create(&td, 1, false, TDX_TD_ATTR_SEPT_VE_DISABLE);
	ttd_add_vcpu(&td);
	ttd_finalize(&td);
	ttd_aug(&td, 0x600000, 1);
	memset(&acc_guest, 0, sizeof(acc_guest));
	tg_add(&acc_guest, TG_ACCEPT, 0x600000, 1);
	tg_add(&acc_guest, TG_READ, 0x7ff000, 0);
	assert_int_equal(tdx_module_set_guest(td.vcpu[0].tdvpr_pa,
					      &test_guest_ops, &acc_guest), 0);
}

static u64 do_ipi_later(void)
{
	int i;

	for (i = 0; i < 300; i++)
		sched_point();
	return tdx_module_send_ipi(td.vcpu[0].tdvpr_pa);
}

static void test_accept_2m_interrupted(void **state)
{
	int interrupted = 0, before = 0, after = 0;
	u64 seed;

	op_a = do_enter_vcpu0;
	op_b = do_ipi_later;
	for (seed = 1; seed <= 40; seed++) {
		struct tdx_module_args out;
		u64 e1, e2, cnt;

		fixture_accept_2m();
		run_seed(seed);
		assert_int_equal(ret_b, 0);
		if (ret_a == EXIT_REASON_TDCALL) {
			/* The guest finished first; the IPI waits. */
			assert_int_equal(acc_guest.pc, 2);
			after++;
			seam_test_end();
			continue;
		}
		assert_status(ret_a, EXIT_REASON_EXTERNAL_INTERRUPT);
		if (acc_guest.pc == 0) {
			assert_status(tdh_mem_page_aug(td.tdr_pa, 0x600000, 1,
						       test_alloc(PMD_ORDER),
						       &e1, &e2),
				      TDX_EPT_ENTRY_STATE_INCORRECT |
				      TDX_OPERAND_ID_RCX);
			assert_int_equal(e2, 0x0201);
			cnt = (e1 >> 12) & 511;
			if (cnt)
				interrupted++;
			else
				before++;
			/* Re-entry resumes and completes the ACCEPT. */
			assert_status(ttd_enter(&td, 0, &out),
				      EXIT_REASON_TDCALL);
			assert_status(acc_guest.ops[0].status, TDX_SUCCESS);
			assert_int_equal(acc_guest.ops[1].value, 0);
		}
		seam_test_end();
	}
	print_message("# 2M accept: ipi before %d, mid-accept %d, after %d\n",
		      before, interrupted, after);
	assert_true(interrupted > 0);
}

/* Host entry lock failure sets HP; the guest's ACCEPT then gets BUSY. */
static u64 accept_result;

static int hp_guest_run(void *guest, struct tdx_vcpu_ctx *ctx)
{
	accept_result = tdg_mem_page_accept(ctx, gpa_b);
	return 0;
}

static const struct tdx_guest_ops hp_guest_ops = { .run = hp_guest_run };

static u64 do_enter(void)
{
	struct tdx_module_args out;

	return ttd_enter(&td, 0, &out);
}

static void test_accept_vs_host_entry(void **state)
{
	u64 seed;
	int busy_guest = 0, busy_host = 0, clean = 0, blocked_first = 0;

	op_a = do_enter;
	op_b = do_block_b;
	for (seed = 1; seed <= NR_SEEDS; seed++) {
		fixture_tree();
		accept_result = ~0ULL;
		assert_int_equal(tdx_module_set_guest(td.vcpu[0].tdvpr_pa,
						      &hp_guest_ops, NULL), 0);
		run_seed(seed);
		if (ret_b == (TDX_OPERAND_BUSY | TDX_OPERAND_ID_RCX)) {
			/* BLOCK met the guest's entry lock. */
			assert_status(ret_a, EXIT_REASON_TDCALL);
			assert_status(accept_result, TDX_SUCCESS);
			busy_host++;
		} else if (accept_result ==
			   (TDX_OPERAND_BUSY | TDX_OPERAND_ID_RCX)) {
			/* The guest met BLOCK's entry lock. */
			assert_status(ret_a, EXIT_REASON_TDCALL);
			assert_status(ret_b, TDX_SUCCESS);
			busy_guest++;
		} else if (ret_a == EXIT_REASON_EPT_VIOLATION) {
			/* BLOCK first: ACCEPT of PENDING_BLOCKED exits. */
			assert_status(ret_b, TDX_SUCCESS);
			blocked_first++;
		} else {
			assert_status(ret_a, EXIT_REASON_TDCALL);
			assert_status(accept_result, TDX_SUCCESS);
			assert_status(ret_b, TDX_SUCCESS);
			clean++;
		}
		seam_test_end();
	}
	print_message("# accept vs block: accepted first %d, blocked first %d,"
		      " host busy %d, guest busy %d\n",
		      clean, blocked_first, busy_host, busy_guest);
	assert_true(busy_host > 0);
	assert_true(busy_guest > 0);
	assert_true(clean > 0);
	assert_true(blocked_first > 0);
}

/*
 * Host priority (§6.1): a host that fails on an entry lock sets HP in the
 * entry, and the guest's next ACCEPT of that entry fails with BUSY even
 * though nobody holds the lock, until a host call locks the entry.
 */
static u64 hp_result;

static int hp_once_run(void *guest, struct tdx_vcpu_ctx *ctx)
{
	hp_result = tdg_mem_page_accept(ctx, gpa_b);
	return 0;
}

static const struct tdx_guest_ops hp_once_ops = { .run = hp_once_run };

static void test_host_priority(void **state)
{
	const u64 busy = TDX_OPERAND_BUSY | TDX_OPERAND_ID_RCX;
	struct tdx_module_args out;
	int hp_seen = 0;
	u64 seed, e1, e2;

	op_a = do_enter;
	op_b = do_block_b;
	for (seed = 1; seed <= NR_SEEDS; seed++) {
		fixture_tree();
		hp_result = ~0ULL;
		assert_int_equal(tdx_module_set_guest(td.vcpu[0].tdvpr_pa,
						      &hp_once_ops, NULL), 0);
		run_seed(seed);
		if (ret_b != busy) {
			seam_test_end();
			continue;
		}
		/* BLOCK failed on the guest's lock during its ACCEPT. */
		assert_status(hp_result, TDX_SUCCESS);
		hp_seen++;
		/* The entry is MAPPED and unlocked, but HP is set. */
		assert_status(ttd_enter(&td, 0, &out), EXIT_REASON_TDCALL);
		assert_status(hp_result, busy);
		assert_status(ttd_enter(&td, 0, &out), EXIT_REASON_TDCALL);
		assert_status(hp_result, busy);
		/* A host call that locks the entry clears HP. */
		assert_status(tdh_mem_range_block(td.tdr_pa, gpa_b, 0, &e1,
						  &e2), TDX_SUCCESS);
		assert_status(tdh_mem_track(td.tdr_pa), TDX_SUCCESS);
		assert_status(tdh_mem_range_unblock(td.tdr_pa, gpa_b, 0, &e1,
						    &e2), TDX_SUCCESS);
		assert_status(ttd_enter(&td, 0, &out), EXIT_REASON_TDCALL);
		assert_status(hp_result, TDX_PAGE_ALREADY_ACCEPTED);
		seam_test_end();
	}
	print_message("# host priority seen in %d seeds\n", hp_seen);
	assert_true(hp_seen > 0);
}

/*
 * The host-priority timeout (§6.4): a guest that retries an ACCEPT the HP
 * bit keeps answering BUSY gets hp_lock_timeout_answers - 1 BUSY answers,
 * then the module makes an asynchronous TD exit,
 * TDX_HOST_PRIORITY_BUSY_TIMEOUT; the count starts again on the next
 * entry, and a host call that locks the entry ends it all. Without the
 * timeout the guest would spin until its own bound (docs/FINDINGS.md F4).
 */
static unsigned int hp_busy_answers;

static int hp_retry_run(void *guest, struct tdx_vcpu_ctx *ctx)
{
	unsigned int i, bound;

	bound = 3 * tdx_module_get_config()->hp_lock_timeout_answers;

	hp_busy_answers = 0;
	for (i = 0; i < bound; i++) {
		hp_result = tdg_mem_page_accept(ctx, gpa_b);
		if (hp_result != (TDX_OPERAND_BUSY | TDX_OPERAND_ID_RCX))
			break;
		hp_busy_answers++;
	}
	return 0;
}

static const struct tdx_guest_ops hp_retry_ops = { .run = hp_retry_run };

static u64 do_nothing(void)
{
	return 0;
}

static void test_host_priority_timeout(void **state)
{
	const struct tdx_module_config *cfg;
	struct tdx_vcpu_stats vs;
	u64 seed, e1, e2;

	for (seed = 1; seed <= NR_SEEDS; seed++) {
		op_a = do_enter;
		op_b = do_block_b;
		fixture_tree();
		assert_int_equal(tdx_module_set_guest(td.vcpu[0].tdvpr_pa,
						      &hp_once_ops, NULL), 0);
		run_seed(seed);
		if (ret_b == (TDX_OPERAND_BUSY | TDX_OPERAND_ID_RCX))
			break;
		seam_test_end();
	}
	assert_true(seed <= NR_SEEDS);
	cfg = tdx_module_get_config();
	assert_true(cfg->hp_lock_timeout_answers > 1);
	/* HP is set on the accepted entry: the guest retries its ACCEPT. */
	assert_int_equal(tdx_module_set_guest(td.vcpu[0].tdvpr_pa,
					      &hp_retry_ops, NULL), 0);
	/* In a deterministic run the count alone stands for the second. */
	op_a = do_enter;
	op_b = do_nothing;
	run_seed(1);
	assert_status(ret_a, TDX_HOST_PRIORITY_BUSY_TIMEOUT);
	assert_status(hp_result, TDG_EXITED);
	assert_int_equal(hp_busy_answers, cfg->hp_lock_timeout_answers - 1);
	run_seed(2);
	assert_status(ret_a, TDX_HOST_PRIORITY_BUSY_TIMEOUT);
	assert_int_equal(hp_busy_answers, cfg->hp_lock_timeout_answers - 1);
	assert_int_equal(tdx_module_get_vcpu_stats(td.vcpu[0].tdvpr_pa, &vs),
			 0);
	assert_int_equal(vs.hp_timeouts, 2);
	/* A host call that locks the entry clears HP: no timeout after. */
	assert_status(tdh_mem_range_block(td.tdr_pa, gpa_b, 0, &e1, &e2),
		      TDX_SUCCESS);
	assert_status(tdh_mem_track(td.tdr_pa), TDX_SUCCESS);
	assert_status(tdh_mem_range_unblock(td.tdr_pa, gpa_b, 0, &e1, &e2),
		      TDX_SUCCESS);
	run_seed(3);
	assert_status(ret_a, EXIT_REASON_TDCALL);
	assert_status(hp_result, TDX_PAGE_ALREADY_ACCEPTED);
	assert_int_equal(hp_busy_answers, 0);
	seam_test_end();
}

/*
 * Two vCPUs write the same freshly accepted (lazily zeroed) page at once:
 * only one of them writes its encrypted zeros, neither write is lost.
 */
static struct test_guest mat_guest[2];

static u64 do_enter_vcpu1(void)
{
	struct tdx_module_args out;

	return ttd_enter(&td, 1, &out);
}

static void materialize_once(enum sched_mode mode, u64 seed)
{
	struct test_guest check;
	struct tdx_module_args out;
	struct sched_result res;
	int i;

	seam_test_start(NULL);
	ttd_create(&td, 2, false, TDX_TD_ATTR_SEPT_VE_DISABLE);
	ttd_add_vcpu(&td);
	ttd_add_vcpu(&td);
	ttd_finalize(&td);
	ttd_aug(&td, 0x3000, 0);
	memset(&check, 0, sizeof(check));
	tg_add(&check, TG_ACCEPT, 0x3000, 0);
	assert_int_equal(tdx_module_set_guest(td.vcpu[0].tdvpr_pa,
					      &test_guest_ops, &check), 0);
	assert_status(ttd_enter(&td, 0, &out), EXIT_REASON_TDCALL);
	assert_status(check.ops[0].status, TDX_SUCCESS);
	for (i = 0; i < 2; i++) {
		memset(&mat_guest[i], 0, sizeof(mat_guest[i]));
		tg_add(&mat_guest[i], TG_WRITE, 0x3000 + 8 * i,
		       0x1111 * (i + 1));
		assert_int_equal(tdx_module_set_guest(td.vcpu[i].tdvpr_pa,
						      &test_guest_ops,
						      &mat_guest[i]), 0);
	}
	op_a = do_enter_vcpu0;
	op_b = do_enter_vcpu1;
	res = sched_run_mode(two_tasks, NULL, mode, seed);
	assert_int_equal(res.verdict, SCHED_OK);
	assert_status(ret_a, EXIT_REASON_TDCALL);
	assert_status(ret_b, EXIT_REASON_TDCALL);

	memset(&check, 0, sizeof(check));
	tg_add(&check, TG_READ, 0x3000, 0);
	tg_add(&check, TG_READ, 0x3008, 0);
	tg_add(&check, TG_READ, 0x3010, 0);
	assert_int_equal(tdx_module_set_guest(td.vcpu[0].tdvpr_pa,
					      &test_guest_ops, &check), 0);
	assert_status(ttd_enter(&td, 0, &out), EXIT_REASON_TDCALL);
	assert_int_equal(check.ops[0].value, 0x1111);
	assert_int_equal(check.ops[1].value, 0x2222);
	assert_int_equal(check.ops[2].value, 0);
	seam_test_end();
}

static void test_concurrent_first_writes(void **state)
{
	u64 seed;

	for (seed = 1; seed <= 30; seed++)
		materialize_once(SCHED_MODE_DETERMINISTIC, seed);
	for (seed = 1; seed <= 20; seed++)
		materialize_once(SCHED_MODE_FREE, seed);
}

/* --- free mode: real threads, nothing but SUCCESS or BUSY ------------- */

#define NR_WORKERS	4
#define ROUNDS		150

static int worker(void *arg)
{
	long id = (long)arg;
	u64 base = 0x1000000 + id * 0x200000, e1, e2, ret;
	int r, busy = 0;

	for (r = 0; r < ROUNDS; r++) {
		u64 gpa = base + (r % 64) * PAGE_SIZE;
		u64 page = vp_pa + ((id * 64 + r % 64) << PAGE_SHIFT);

		while ((ret = tdh_mem_page_aug(td.tdr_pa, gpa, 0, page, &e1,
					       &e2)) != TDX_SUCCESS) {
			assert_true(tdx_operand_busy(ret));
			busy++;
		}
		while ((ret = tdh_mem_range_block(td.tdr_pa, gpa, 0, &e1,
						  &e2)) != TDX_SUCCESS) {
			assert_true(tdx_operand_busy(ret));
			busy++;
		}
		while ((ret = tdh_mem_track(td.tdr_pa)) != TDX_SUCCESS) {
			assert_true(tdx_operand_busy(ret));
			busy++;
		}
		while ((ret = tdh_mem_page_remove(td.tdr_pa, gpa, 0, &e1,
						  &e2)) != TDX_SUCCESS) {
			assert_true(tdx_operand_busy(ret) ||
				    ret == (TDX_TLB_TRACKING_NOT_DONE |
					    TDX_OPERAND_ID_RCX));
			if (ret != (TDX_OPERAND_BUSY | TDX_OPERAND_ID_RCX))
				while (tdx_operand_busy(
						tdh_mem_track(td.tdr_pa)))
					;
			busy++;
		}
	}
	return busy;
}

static int free_run(void *arg)
{
	struct task *t[NR_WORKERS];
	long i;

	for (i = 0; i < NR_WORKERS; i++)
		t[i] = task_create("worker", worker, (void *)i);
	for (i = 0; i < NR_WORKERS; i++)
		task_join(t[i]);
	return 0;
}

static void test_free_mode_stress(void **state)
{
	struct sched_result res;
	struct tdx_td_stats st;
	u64 owned;
	int i;

	seam_test_start(NULL);
	ttd_create(&td, 1, false, TDX_TD_ATTR_SEPT_VE_DISABLE);
	ttd_add_vcpu(&td);
	for (i = 0; i < NR_WORKERS; i++)
		ttd_sept_path(&td, 0x1000000 + i * 0x200000, 0);
	ttd_finalize(&td);
	/* 4 x 64 pages, contiguous: one 2M block per worker. */
	vp_pa = test_alloc(PMD_ORDER);
	owned = tdx_module_pages_owned(td.tdr_pa);

	res = sched_run_mode(free_run, NULL, SCHED_MODE_FREE, 0);
	assert_int_equal(res.verdict, SCHED_OK);
	assert_int_equal(tdx_module_pages_owned(td.tdr_pa), owned);
	assert_int_equal(tdx_module_get_td_stats(td.tdr_pa, &st), 0);
	assert_int_equal(st.calls[TDH_MEM_PAGE_AUG] -
			 st.busy[TDH_MEM_PAGE_AUG][TDX_BUSY_RCX] -
			 st.busy[TDH_MEM_PAGE_AUG][TDX_BUSY_R8] -
			 st.busy[TDH_MEM_PAGE_AUG][TDX_BUSY_SEPT] -
			 st.busy[TDH_MEM_PAGE_AUG][TDX_BUSY_RDX],
			 NR_WORKERS * ROUNDS);
	seam_test_end();
}

/*
 * --- a vCPU accepting pages while the host AUGs and zaps them ----------
 * The host AUGs a page, waits for the guest to accept and use it, then
 * zaps it the way KVM does (BLOCK, TRACK, kick, REMOVE), retrying BUSY.
 */
#define GUEST_BASE	0x2000000ULL
#define GUEST_PAGES	16
#define GUEST_ROUNDS	48

static u32 page_flag[GUEST_PAGES];	/* 0 free, 1 AUGed, 2 accepted */
static u32 stop_vcpu;

static int accept_guest_run(void *guest, struct tdx_vcpu_ctx *ctx)
{
	int i;

	for (i = 0; i < GUEST_PAGES; i++) {
		u64 gpa = GUEST_BASE + i * PAGE_SIZE, v = gpa ^ 0x5a5a, back;
		u64 st;
		int r;

		if (__atomic_load_n(&page_flag[i], __ATOMIC_ACQUIRE) != 1)
			continue;
		st = tdg_mem_page_accept(ctx, gpa);
		if (st == TDG_EXITED)
			return 0;
		if (tdx_operand_busy(st))
			continue;
		assert_true(st == TDX_SUCCESS ||
			    (st & TDX_SEAMCALL_STATUS_MASK) ==
			    TDX_PAGE_ALREADY_ACCEPTED);
		r = tdg_mem_write(ctx, gpa + 64, &v, 8);
		if (r == TDG_MEM_EXITED)
			return 0;
		r = tdg_mem_read(ctx, gpa + 64, &back, 8);
		if (r == TDG_MEM_EXITED)
			return 0;
		assert_int_equal(back, v);
		__atomic_store_n(&page_flag[i], 2, __ATOMIC_RELEASE);
	}
	return 0;
}

static const struct tdx_guest_ops accept_guest_ops = {
	.run = accept_guest_run,
};

static int vcpu_thread(void *arg)
{
	struct tdx_module_args out;
	u64 ret;

	while (!__atomic_load_n(&stop_vcpu, __ATOMIC_ACQUIRE)) {
		ret = ttd_enter(&td, 0, &out);
		assert_true(ret == EXIT_REASON_TDCALL ||
			    ret == EXIT_REASON_EXTERNAL_INTERRUPT ||
			    tdx_operand_busy(ret));
		cpu_relax();
	}
	return 0;
}

static void kick(void)
{
	tdx_module_send_ipi(td.vcpu[0].tdvpr_pa);
}

static int host_thread(void *arg)
{
	u64 e1, e2, ret;
	int r;

	for (r = 0; r < GUEST_ROUNDS; r++) {
		int i = r % GUEST_PAGES;
		u64 gpa = GUEST_BASE + i * PAGE_SIZE;
		u64 page = vp_pa + i * PAGE_SIZE;

		while ((ret = tdh_mem_page_aug(td.tdr_pa, gpa, 0, page, &e1,
					       &e2)) != TDX_SUCCESS)
			assert_true(tdx_operand_busy(ret));
		__atomic_store_n(&page_flag[i], 1, __ATOMIC_RELEASE);
		while (__atomic_load_n(&page_flag[i], __ATOMIC_ACQUIRE) != 2)
			cpu_relax();
		while ((ret = tdh_mem_range_block(td.tdr_pa, gpa, 0, &e1,
						  &e2)) != TDX_SUCCESS) {
			assert_true(tdx_operand_busy(ret));
			kick();
		}
		for (;;) {
			ret = tdh_mem_track(td.tdr_pa);
			if (ret == TDX_SUCCESS)
				break;
			assert_true(tdx_operand_busy(ret) ||
				    ret == TDX_PREVIOUS_TLB_EPOCH_BUSY);
			kick();
			cpu_relax();
		}
		kick();
		for (;;) {
			ret = tdh_mem_page_remove(td.tdr_pa, gpa, 0, &e1, &e2);
			if (ret == TDX_SUCCESS)
				break;
			assert_true(tdx_operand_busy(ret) ||
				    ret == (TDX_TLB_TRACKING_NOT_DONE |
					    TDX_OPERAND_ID_RCX));
			kick();
			cpu_relax();
		}
		assert_int_equal(e1, page);
		__atomic_store_n(&page_flag[i], 0, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&stop_vcpu, 1, __ATOMIC_RELEASE);
	return 0;
}

static int guest_host_run(void *arg)
{
	struct task *v = task_create("vcpu0", vcpu_thread, NULL);
	struct task *h = task_create("host", host_thread, NULL);

	task_join(h);
	task_join(v);
	return 0;
}

static void guest_host_once(enum sched_mode mode, u64 seed)
{
	struct sched_result res;
	struct tdx_vcpu_stats vs;
	u64 owned;

	seam_test_start(NULL);
	ttd_create(&td, 1, false, TDX_TD_ATTR_SEPT_VE_DISABLE);
	ttd_add_vcpu(&td);
	ttd_sept_path(&td, GUEST_BASE, 0);
	ttd_finalize(&td);
	vp_pa = test_alloc(PMD_ORDER);
	assert_int_equal(tdx_module_set_guest(td.vcpu[0].tdvpr_pa,
					      &accept_guest_ops, NULL), 0);
	memset(page_flag, 0, sizeof(page_flag));
	stop_vcpu = 0;
	owned = tdx_module_pages_owned(td.tdr_pa);

	res = sched_run_mode(guest_host_run, NULL, mode, seed);
	assert_int_equal(res.verdict, SCHED_OK);
	assert_int_equal(tdx_module_pages_owned(td.tdr_pa), owned);
	assert_int_equal(tdx_module_get_vcpu_stats(td.vcpu[0].tdvpr_pa, &vs),
			 0);
	assert_true(vs.tdcalls[TDG_MEM_PAGE_ACCEPT] >= GUEST_ROUNDS);
	seam_test_end();
}

static void test_guest_vs_host_zap(void **state)
{
	u64 seed;

	guest_host_once(SCHED_MODE_FREE, 1);
	for (seed = 1; seed <= 5; seed++)
		guest_host_once(SCHED_MODE_DETERMINISTIC, seed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accept_2m_interrupted),
		cmocka_unit_test(test_accept_vs_host_entry),
		cmocka_unit_test(test_host_priority),
		cmocka_unit_test(test_host_priority_timeout),
		cmocka_unit_test(test_concurrent_first_writes),
		cmocka_unit_test(test_free_mode_stress),
		cmocka_unit_test(test_guest_vs_host_zap),
	};

	return cmocka_run_group_tests(tests, seam_test_group_setup,
				      seam_test_group_teardown);
}
