// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TDG.VP.VMCALL<MapGPA> as upstream KVM handles it in every release
 * (tdx_map_gpa(), __tdx_map_gpa(), tdx_complete_vmcall_map_gpa();
 * docs/upstream/releases.md §1 "MapGPA"):
 *  - the range goes to userspace in KVM_EXIT_HYPERCALL exits of at most
 *    2 MiB each (GPA without the shared bit, pages, ENCRYPTED/DECRYPTED,
 *    LONG_MODE), the next one on the KVM_RUN after the last;
 *  - an event pending between two chunks ends the TDVMCALL with
 *    TDVMCALL_STATUS_RETRY and R11 = the GPA to resume from, and the guest
 *    resumes there;
 *  - INVALID_OPERAND (wrap, beyond the GPA width, private-ness of first and
 *    last differ) is checked before ALIGN_ERROR, and R11 = the requested
 *    GPA on both;
 *  - userspace's non-zero answer is INVALID_OPERAND with R11 = the chunk's
 *    GPA; in next (3e2dec1e, design mapgpa_user_ret) EAGAIN is RETRY,
 *    EINVAL INVALID_OPERAND and any other answer fails KVM_RUN (-EINVAL).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kvm/asm/kvm_host.h"
#include "kvm/tdx.h"
#include "testlib/kvm_util_internal.h"

#define MB		(1ULL << 20)
#define SHARED		(1ULL << 47)	/* GPAW 48 */
#define MAX_EXITS	8

struct exits {
	unsigned int n;
	struct {
		u64 gpa, pages, attrs, flags;
	} e[MAX_EXITS];
	/* Post an interrupt to the vCPU at this exit (1-based; 0: never). */
	unsigned int post_at;
};

static struct kvm_vcpu *vcpu_of(int vcpu_fd)
{
	return fd_file(vcpu_fd)->private_data;
}

static int record_exit(struct td *td, unsigned int i, struct kvm_run *run)
{
	struct exits *x = td->priv;

	if (run->exit_reason != KVM_EXIT_HYPERCALL)
		return 0;
	assert_int_equal(run->hypercall.nr, KVM_HC_MAP_GPA_RANGE);
	assert_true(x->n < MAX_EXITS);
	x->e[x->n].gpa = run->hypercall.args[0];
	x->e[x->n].pages = run->hypercall.args[1];
	x->e[x->n].attrs = run->hypercall.args[2];
	x->e[x->n].flags = run->hypercall.flags;
	x->n++;
	if (x->n == x->post_at)
		WRITE_ONCE(vcpu_of(td->vcpu[i])->arch.tdxsim_interrupt_pending,
			   true);
	return 0;
}

static void run_program(struct td *td, struct exits *x, const char *prog)
{
	struct td_opts o;

	td_opts_init(&o);
	o.program = prog;
	td_create(td, &o);
	td_finalize(td);
	td->priv = x;
	td->exit_hook = record_exit;
	td_run_vcpu(td, 0);
	assert_int_equal(td->last_exit[0], KVM_EXIT_HLT);
	assert_true(tdxsim_guest_finished(td->guest));
	assert_int_equal(tdxsim_guest_data_failures(td->guest), 0);
}

static void assert_exit(struct exits *x, unsigned int k, u64 gpa, u64 pages,
			u64 attrs)
{
	assert_true(k < x->n);
	assert_int_equal(x->e[k].gpa, gpa);
	assert_int_equal(x->e[k].pages, pages);
	assert_int_equal(x->e[k].attrs, attrs);
	assert_int_equal(x->e[k].flags, KVM_EXIT_HYPERCALL_LONG_MODE);
}

/* 4 MiB to shared and back: two exits each way, of 2 MiB, no retry. */
static void test_mapgpa_4m_exits_twice(void **state)
{
	struct tdxsim_guest_stats gs;
	struct exits x = { 0 };
	struct td td;

	run_program(&td, &x,
		    "mapgpa shared 0x400000 4M\n"
		    "write shared 0x400000 4M pattern=3\n"
		    "mapgpa private 0x400000 4M\n"
		    "halt\n");
	assert_int_equal(x.n, 4);
	assert_exit(&x, 0, 0x400000, 512, KVM_MAP_GPA_RANGE_DECRYPTED);
	assert_exit(&x, 1, 0x600000, 512, KVM_MAP_GPA_RANGE_DECRYPTED);
	assert_exit(&x, 2, 0x400000, 512, KVM_MAP_GPA_RANGE_ENCRYPTED);
	assert_exit(&x, 3, 0x600000, 512, KVM_MAP_GPA_RANGE_ENCRYPTED);
	td_guest_stats(&td, &gs);
	assert_int_equal(gs.mapgpa, 2);
	assert_int_equal(gs.mapgpa_retries, 0);
	td_destroy(&td);
}

/* A size that is not a multiple of 2 MiB: the last chunk is the rest. */
static void test_mapgpa_5m_last_chunk(void **state)
{
	struct exits x = { 0 };
	struct td td;

	run_program(&td, &x, "mapgpa shared 0x100000 5M\nhalt\n");
	assert_int_equal(x.n, 3);
	assert_exit(&x, 0, 0x100000, 512, KVM_MAP_GPA_RANGE_DECRYPTED);
	assert_exit(&x, 1, 0x300000, 512, KVM_MAP_GPA_RANGE_DECRYPTED);
	assert_exit(&x, 2, 0x500000, 256, KVM_MAP_GPA_RANGE_DECRYPTED);
	td_destroy(&td);
}

/*
 * An interrupt pending after the first chunk: the guest gets RETRY with
 * R11 = 6 MiB | shared bit and MapGPAs the rest from there (one more exit
 * of 2 MiB at 6 MiB). The interrupt is delivered by the guest entry.
 */
static void test_mapgpa_retry_resumes_from_r11(void **state)
{
	struct tdxsim_guest_stats gs;
	struct exits x = { .post_at = 1 };
	struct td td;

	run_program(&td, &x,
		    "mapgpa shared 0x400000 4M\n"
		    "write shared 0x400000 4M pattern=5\n"
		    "read shared 0x400000 4M\n"
		    "halt\n");
	assert_int_equal(x.n, 2);
	assert_exit(&x, 0, 0x400000, 512, KVM_MAP_GPA_RANGE_DECRYPTED);
	assert_exit(&x, 1, 0x600000, 512, KVM_MAP_GPA_RANGE_DECRYPTED);
	td_guest_stats(&td, &gs);
	assert_int_equal(gs.mapgpa_retries, 1);
	assert_int_equal(gs.mapgpa, 1);
	assert_int_equal(gs.errors, 0);
	assert_false(vcpu_of(td.vcpu[0])->arch.tdxsim_interrupt_pending);
	td_destroy(&td);
}

/* ---- raw MapGPA calls from a guest of the test's own ---- */

struct raw_call {
	u64 gpa, size;
	u64 user_ret;		/* userspace's answer to every chunk */
	/* out */
	u64 r10, r11;
	unsigned int exits;
	bool done;
};

struct raw_guest {
	struct raw_call *calls;
	unsigned int nr, next;
};

static int raw_guest_run(void *p, struct tdx_vcpu_ctx *ctx)
{
	struct raw_guest *g = p;

	while (g->next < g->nr) {
		struct raw_call *c = &g->calls[g->next];
		struct tdx_module_args a = {
			.r11 = TDVMCALL_MAP_GPA,
			.r12 = c->gpa,
			.r13 = c->size,
		};

		if (tdg_vp_vmcall(ctx, &a) == TDG_EXITED)
			return 0;
		c->r10 = a.r10;
		c->r11 = a.r11;
		c->done = true;
		g->next++;
	}
	return 0;
}

static const struct tdx_guest_ops raw_guest_ops = { .run = raw_guest_run };

/*
 * Run the calls in kernel @kernel, answering each chunk exit with the
 * call's user_ret; returns KVM_RUN's -errno if it fails, else 0.
 */
static int run_raw_kernel(const char *kernel, struct raw_call *calls,
			  unsigned int nr)
{
	struct raw_guest g = { .calls = calls, .nr = nr };
	struct td_opts o;
	struct td td;
	int ret = 0;

	td_opts_init(&o);
	td_opts_set_kernel(&o, kernel);
	o.raw_guest.ops = &raw_guest_ops;
	o.raw_guest.guest = &g;
	td_create(&td, &o);
	td_finalize(&td);
	for (;;) {
		struct kvm_run *run = td.run[0];
		int r = tdxsim_ioctl(td.vcpu[0], KVM_RUN, 0);

		if (r < 0) {
			ret = -errno;
			break;
		}
		if (run->exit_reason == KVM_EXIT_HLT)
			break;
		assert_int_equal(run->exit_reason, KVM_EXIT_HYPERCALL);
		assert_true(g.next < nr);
		calls[g.next].exits++;
		run->hypercall.ret = calls[g.next].user_ret;
	}
	if (!ret)
		assert_int_equal(g.next, nr);
	td_destroy(&td);
	return ret;
}

static void run_raw(struct raw_call *calls, unsigned int nr)
{
	assert_int_equal(run_raw_kernel(TDXSIM_KERNEL_DEFAULT, calls, nr), 0);
}

/* The operand checks come before the alignment check; R11 = the GPA. */
static void test_mapgpa_errors(void **state)
{
	struct raw_call c[] = {
		/* Misaligned and crossing into the shared half. */
		{ .gpa = SHARED - 0x1800, .size = 0x2000 },
		/* Misaligned size only. */
		{ .gpa = 0x1000, .size = 0x1001 },
		/* Misaligned GPA only. */
		{ .gpa = 0x1010, .size = 0x1000 },
		/* Zero size (first + size does not go past first). */
		{ .gpa = 0x2000, .size = 0 },
		/* Beyond the GPA width (48 bits). */
		{ .gpa = 1ULL << 48, .size = 0x1000 },
		/* Wrapping. */
		{ .gpa = 0x3000, .size = ~0ULL - 0xfff },
		/* A good one, for contrast. */
		{ .gpa = SHARED | 0x1000, .size = 0x1000 },
	};

	run_raw(c, ARRAY_SIZE(c));
	assert_int_equal(c[0].r10, TDVMCALL_STATUS_INVALID_OPERAND);
	assert_int_equal(c[0].r11, SHARED - 0x1800);
	assert_int_equal(c[1].r10, TDVMCALL_STATUS_ALIGN_ERROR);
	assert_int_equal(c[1].r11, 0x1000);
	assert_int_equal(c[2].r10, TDVMCALL_STATUS_ALIGN_ERROR);
	assert_int_equal(c[2].r11, 0x1010);
	assert_int_equal(c[3].r10, TDVMCALL_STATUS_INVALID_OPERAND);
	assert_int_equal(c[3].r11, 0x2000);
	assert_int_equal(c[4].r10, TDVMCALL_STATUS_INVALID_OPERAND);
	assert_int_equal(c[4].r11, 1ULL << 48);
	assert_int_equal(c[5].r10, TDVMCALL_STATUS_INVALID_OPERAND);
	assert_int_equal(c[5].r11, 0x3000);
	assert_int_equal(c[6].r10, TDVMCALL_STATUS_SUCCESS);
	/* No error reached userspace; the good call exited once. */
	assert_int_equal(c[0].exits + c[1].exits + c[2].exits + c[3].exits +
			 c[4].exits + c[5].exits, 0);
	assert_int_equal(c[6].exits, 1);
}

/* Userspace refuses the first chunk: INVALID_OPERAND, R11 = its GPA. */
static void test_mapgpa_user_error(void **state)
{
	struct raw_call c[] = {
		{ .gpa = SHARED | 0x400000, .size = 4 * MB,
		  .user_ret = EINVAL },
	};

	run_raw(c, ARRAY_SIZE(c));
	assert_int_equal(c[0].exits, 1);
	assert_int_equal(c[0].r10, TDVMCALL_STATUS_INVALID_OPERAND);
	assert_int_equal(c[0].r11, SHARED | 0x400000);
}

/*
 * Userspace's errnos per release: up to 7.0 any non-zero answer (EAGAIN,
 * -EINVAL) is INVALID_OPERAND; next maps EAGAIN to RETRY and fails KVM_RUN
 * with -EINVAL for an answer it does not know (3e2dec1e).
 */
static void test_mapgpa_user_errnos(void **state)
{
	struct raw_call c[2];
	unsigned int i;

	for (i = 0; i < 2; i++) {
		memset(c, 0, sizeof(c));
		c[0].gpa = c[1].gpa = SHARED | 0x400000;
		c[0].size = c[1].size = 2 * MB;
		c[0].user_ret = EAGAIN;
		c[1].user_ret = (u64)-EINVAL;
		assert_int_equal(run_raw_kernel(i ? "next" : "v7.0", c, 2),
				 i ? -EINVAL : 0);
		assert_int_equal(c[0].exits, 1);
		assert_int_equal(c[0].r10, i ? TDVMCALL_STATUS_RETRY :
					       TDVMCALL_STATUS_INVALID_OPERAND);
		assert_int_equal(c[0].r11, SHARED | 0x400000);
		assert_int_equal(c[1].exits, 1);
		if (!i)
			assert_int_equal(c[1].r10,
					 TDVMCALL_STATUS_INVALID_OPERAND);
		else
			assert_false(c[1].done);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mapgpa_4m_exits_twice),
		cmocka_unit_test(test_mapgpa_5m_last_chunk),
		cmocka_unit_test(test_mapgpa_retry_resumes_from_r11),
		cmocka_unit_test(test_mapgpa_errors),
		cmocka_unit_test(test_mapgpa_user_error),
		cmocka_unit_test(test_mapgpa_user_errnos),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
