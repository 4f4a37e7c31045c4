// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The fuzzer's Dynamic PAMT bias (tdxsim_fuzz_gen_config.bias =
 * TDXSIM_FUZZ_BIAS_DPAMT, `tdxsim fuzz --bias dpamt`; docs/fuzz-programs.md
 * "Biases"), through the public API:
 *
 *   none       bias 0 generates the very programs of the default
 *              configuration (the seeds tests and docs/FINDINGS.md cite).
 *   stream     the text of programs 0..199 of seed 7, unbiased and with
 *              --bias dpamt, hashes to what it did when the campaigns
 *              docs/FINDINGS.md cites ran: a generator change that moves
 *              either stream (and every program number cited) fails here.
 *   shape      biased programs have two TDs, TD 1's spare guest_memfd and
 *              host pages allocated through it between the launches, and
 *              both TDs' vCPU creation in racing tasks; their text
 *              round-trips through the parser.
 *   lazy       the lazy design (dpamt=lazy, docs/FINDINGS.md D1) is found
 *              by generated programs within a fixed budget: a vCPU
 *              creation meets another TD's PAMT.ADD of the same fresh 2M
 *              region, TDH.VP.CREATE/ADDCX answers TDX_OPERAND_BUSY on its
 *              page (RCX) and KVM_BUG_ON kills the VM; and the programs
 *              make the module add and remove PAMT pages.
 *   upstream   the same programs with v6's refcounts under pamt_lock (the
 *              overlay's default): none fails.
 *   span       a punch whose file range spans two memslots disturbs the
 *              guest's pages behind both: the data checks of a vCPU using
 *              the second slot's pages are not judged (a --bias dpamt
 *              campaign's data-check, every design and dpamt=off, was the
 *              oracle taking only the first slot's part).
 *   edge_shape --bias dpamt-edge (TDXSIM_FUZZ_BIAS_DPAMT_EDGE): the set-up
 *              ends with "td1 alloc 1 0x0 4M edge=N", N 0..15 (0-3 most),
 *              TD 1's steps start with no delay, both TDs' vCPU creations
 *              are mostly in tasks; the text round-trips, bad edges are
 *              refused.
 *   region     the lock per region (dpamt_lock=per-region, docs/FINDINGS.md
 *              D1) is found by dpamt-edge programs within a fixed budget:
 *              PAMT.ADD answers TDX_OPERAND_BUSY (WARN); with the global
 *              pamt_lock the same programs are clean.
 *   record     with two TDs failing, the outcome's failure record is the
 *              bugged TD's: TD 1's KVM_BUG_ON (two racing vCPU creations,
 *              v6.18's TDH.VP.CREATE BUSY) while TD 0's guest got its VM
 *              killed (TD 0 has a record too, not bugged), and TD 0's when
 *              TD 0 is the bugged one. The schedule is searched (bounded,
 *              one preemption), not replayed, so no layout moves its window.
 *              And TD 1's KVM_BUG_ON WARN does not make TD 0, alive and
 *              idle, a "vm-killed" (the WARN is evidence of a dead VM only
 *              for a VM whose record could not be read at the end).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_test.h"
#include "tdxsim/report.h"
#include "tdxsim/tdx.h"

/*
 * The budget: programs 0..FD_PROGRAMS-1 of seed FD_SEED. tdxsim fuzz
 * --kernel next+dpamt --design dpamt=lazy --bias dpamt --seed 1 finds the
 * lazy BUSY at program 34 (docs/FINDINGS.md D1); v6 is clean on them.
 */
#define FD_SEED		1
#define FD_PROGRAMS	48

/*
 * --bias dpamt-edge: tdxsim fuzz --kernel next+dpamt --design
 * dpamt_lock=per-region --bias dpamt-edge --seed 3 finds the per-region
 * BUSY at program 14; the global lock is clean on the same programs.
 */
#define FD_EDGE_SEED	3
#define FD_EDGE_PROGRAMS 32

/* test_stream's hashes: the generator of 139d787 (both streams). */
#define STREAM_NONE	0x9ebfe73a863f1ae5ULL
#define STREAM_DPAMT	0x06ec53922ef9e18eULL

static void test_none(void **state)
{
	struct tdxsim_fuzz_gen_config a, b;
	uint64_t i;

	tdxsim_fuzz_gen_config_init(&a);
	tdxsim_fuzz_gen_config_init(&b);
	b.bias = TDXSIM_FUZZ_BIAS_NONE;
	for (i = 0; i < 200; i++) {
		struct tdxsim_fuzz_program *p, *q;
		char *ta, *tb;

		assert_int_equal(tdxsim_fuzz_generate(&a, 7, i, &p), 0);
		assert_int_equal(tdxsim_fuzz_generate(&b, 7, i, &q), 0);
		ta = tdxsim_fuzz_format(p);
		tb = tdxsim_fuzz_format(q);
		assert_string_equal(ta, tb);
		free(ta);
		free(tb);
		tdxsim_fuzz_free(p);
		tdxsim_fuzz_free(q);
	}
	b.bias = TDXSIM_FUZZ_BIAS_DPAMT_EDGE + 1;
	{
		struct tdxsim_fuzz_program *p = NULL;

		assert_int_equal(tdxsim_fuzz_generate(&b, 7, 0, &p), -EINVAL);
		assert_null(p);
	}
}

/* FNV-1a over the text of programs 0..n-1 of @seed under @gc. */
static uint64_t stream_hash(const struct tdxsim_fuzz_gen_config *gc,
			    uint64_t seed, unsigned int n)
{
	uint64_t h = 0xcbf29ce484222325ULL, i;

	for (i = 0; i < n; i++) {
		struct tdxsim_fuzz_program *p;
		const char *c;
		char *t;

		assert_int_equal(tdxsim_fuzz_generate(gc, seed, i, &p), 0);
		t = tdxsim_fuzz_format(p);
		for (c = t; *c; c++)
			h = (h ^ (unsigned char)*c) * 0x100000001b3ULL;
		free(t);
		tdxsim_fuzz_free(p);
	}
	return h;
}

static void test_stream(void **state)
{
	struct tdxsim_fuzz_gen_config gc;
	uint64_t none, dpamt;

	tdxsim_fuzz_gen_config_init(&gc);
	none = stream_hash(&gc, 7, 200);
	gc.kernel = "next+dpamt";
	gc.bias = TDXSIM_FUZZ_BIAS_DPAMT;
	dpamt = stream_hash(&gc, 7, 200);
	print_message("# none 0x%016llx, dpamt 0x%016llx\n",
		      (unsigned long long)none, (unsigned long long)dpamt);
	assert_int_equal(none, STREAM_NONE);
	assert_int_equal(dpamt, STREAM_DPAMT);
}

static void dpamt_config(struct tdxsim_fuzz_gen_config *gc, const char *design)
{
	tdxsim_fuzz_gen_config_init(gc);
	gc->kernel = "next+dpamt";
	gc->design = design;
	gc->bias = TDXSIM_FUZZ_BIAS_DPAMT;
}

static void test_shape(void **state)
{
	struct tdxsim_fuzz_gen_config gc;
	unsigned int pad = 0, pad_2m = 0, td1_task = 0, td0_task = 0;
	unsigned int removal = 0;
	uint64_t i;

	dpamt_config(&gc, NULL);
	for (i = 0; i < 300; i++) {
		char *a = fuzz_test_round_trip(&gc, 3, i);

		assert_non_null(strstr(a, "\ntd1 gmem 0 "));
		/* TD 1's spare guest_memfd, the allocator's padding. */
		assert_non_null(strstr(a, "\ntd1 gmem 1 4M\n"));
		pad += strstr(a, "\n  td1 alloc 1 0x0 ") != NULL;
		pad_2m += strstr(a, "\n  td1 alloc 1 0x0 2M\n") != NULL;
		td1_task += strstr(a, "\ntask vmm\n  td1 init-vcpu") != NULL ||
			    strstr(a, "\ntask vmm\n  td1 alloc 1 0x200000") != NULL;
		td0_task += strstr(a, "\ntask vmm\n  init-vcpu") != NULL;
		removal += strstr(a, "\n  exit\n") != NULL ||
			   strstr(a, "\n  punch 0 ") != NULL;
		free(a);
	}
	print_message("# of 300: pad %u (2M %u), TD 1's vCPU in a task %u, TD 0's %u, a removal %u\n",
		      pad, pad_2m, td1_task, td0_task, removal);
	assert_true(pad > 200);
	assert_true(pad_2m > 90);
	assert_true(td1_task > 150);
	assert_true(td0_task > 100);
	assert_true(removal > 150);
}

/*
 * Run programs 0..FD_PROGRAMS-1 of the biased stream under @design; the
 * first failing one's outcome in @first (kind -1 if none). Returns how
 * many failed; @adds, @removes: the module's PAMT.ADD/REMOVE calls.
 */
static unsigned int run_stream(const struct tdxsim_fuzz_gen_config *gc,
			       uint64_t seed, unsigned int programs,
			       struct tdxsim_fuzz_outcome *first,
			       uint64_t *index, uint64_t *adds,
			       uint64_t *removes)
{
	const char *design = gc->design;
	unsigned int failed = 0;
	uint64_t i;

	memset(first, 0, sizeof(*first));
	*adds = *removes = 0;
	for (i = 0; i < programs; i++) {
		struct tdxsim_fuzz_program *p;
		struct tdxsim_fuzz_outcome o;

		assert_int_equal(tdxsim_fuzz_generate(gc, seed, i, &p), 0);
		assert_int_equal(tdxsim_fuzz_run(p, &o), 0);
		assert_false(o.setup_error);
		*adds += o.pamt_adds;
		*removes += o.pamt_removes;
		if (o.failed && !failed++) {
			*first = o;
			*index = i;
			first->report = NULL;
		}
		if (o.failed)
			print_message("# %s: program %llu: %s\n", design,
				      (unsigned long long)i, o.signature);
		tdxsim_fuzz_outcome_free(&o);
		tdxsim_fuzz_free(p);
	}
	return failed;
}

static unsigned int run_budget(const char *design,
			       struct tdxsim_fuzz_outcome *first,
			       uint64_t *index, uint64_t *adds,
			       uint64_t *removes)
{
	struct tdxsim_fuzz_gen_config gc;

	dpamt_config(&gc, design);
	return run_stream(&gc, FD_SEED, FD_PROGRAMS, first, index, adds,
			  removes);
}

static void test_lazy(void **state)
{
	struct tdxsim_fuzz_outcome o;
	uint64_t index = 0, adds, removes;
	unsigned int failed, leaf;

	failed = run_budget("dpamt=lazy", &o, &index, &adds, &removes);
	print_message("# dpamt=lazy: %u of %d programs failed, the first program %llu; PAMT.ADD %llu, PAMT.REMOVE %llu\n",
		      failed, FD_PROGRAMS, (unsigned long long)index,
		      (unsigned long long)adds, (unsigned long long)removes);
	assert_true(failed >= 1);
	assert_true(o.failed);
	assert_int_equal(o.kind, TDXSIM_FUZZ_KVM_BUG_ON);
	leaf = o.failure.first_seamcall.leaf;
	assert_true(leaf == TDH_VP_CREATE || leaf == TDH_VP_ADDCX);
	/* BUSY on the page operand: its region's 2M PAMT entry. */
	assert_int_equal(o.failure.first_seamcall.status,
			 TDX_OPERAND_BUSY | TDX_OPERAND_ID_RCX);
	assert_true(o.failure.bugged);
	/* The lazy design adds pairs on demand and tries to remove them. */
	assert_true(adds > 0);
	assert_true(removes > adds);
}

static void test_upstream(void **state)
{
	struct tdxsim_fuzz_outcome o;
	uint64_t index = 0, adds, removes;
	unsigned int failed;

	failed = run_budget("dpamt=v6", &o, &index, &adds, &removes);
	print_message("# dpamt=v6: %u of %d programs failed; PAMT.ADD %llu, PAMT.REMOVE %llu\n",
		      failed, FD_PROGRAMS, (unsigned long long)adds,
		      (unsigned long long)removes);
	assert_int_equal(failed, 0);
	/* Regions' counts did go 0->1 and 1->0 on the way. */
	assert_true(adds >= FD_PROGRAMS);
	assert_true(removes >= FD_PROGRAMS);
}

/*
 * --bias dpamt-edge, programs 0..FD_EDGE_PROGRAMS-1 of seed FD_EDGE_SEED
 * under @design: how many fail, the first's outcome in @o.
 */
static unsigned int run_edge(const char *design, struct tdxsim_fuzz_outcome *o,
			     uint64_t *index, uint64_t *adds, uint64_t *removes)
{
	struct tdxsim_fuzz_gen_config gc;

	dpamt_config(&gc, design);
	gc.bias = TDXSIM_FUZZ_BIAS_DPAMT_EDGE;
	return run_stream(&gc, FD_EDGE_SEED, FD_EDGE_PROGRAMS, o, index, adds,
			  removes);
}

static void test_edge_shape(void **state)
{
	struct tdxsim_fuzz_gen_config gc;
	unsigned int edge[16] = { 0 }, td0_task = 0, td1_task = 0, n, i;
	uint64_t k;

	dpamt_config(&gc, NULL);
	gc.bias = TDXSIM_FUZZ_BIAS_DPAMT_EDGE;
	for (k = 0; k < 300; k++) {
		char *a = fuzz_test_round_trip(&gc, 3, k);
		const char *e = strstr(a, "\nsetup\n");

		/* The set-up's last step: the edge padding. */
		assert_non_null(e);
		e = strstr(e, "  td1 alloc 1 0x0 4M edge=");
		assert_non_null(e);
		n = (unsigned int)strtoul(e + strlen("  td1 alloc 1 0x0 4M edge="),
					  NULL, 10);
		assert_true(n < 16);
		assert_true(e[strcspn(e, "\n")] == '\n' &&
			    !strncmp(e + strcspn(e, "\n"), "\n\ntask ", 7));
		edge[n]++;
		/* No delay before TD 1's steps. */
		assert_null(strstr(a, "td1 alloc 1 0x200000"));
		td1_task += strstr(a, "\ntask vmm\n  td1 init-vcpu") != NULL;
		td0_task += strstr(a, "\ntask vmm\n  init-vcpu") != NULL;
		free(a);
	}
	print_message("# of 300: edge=0..3 %u %u %u %u; TD 0's vCPU in a task %u, TD 1's %u\n",
		      edge[0], edge[1], edge[2], edge[3], td0_task, td1_task);
	for (i = 0; i < 4; i++)
		assert_true(edge[i] > 30);
	assert_true(td0_task > 150);
	assert_true(td1_task > 200);
	fuzz_test_parse_fails("td1 gmem 1 4M\nsetup\n  td1 alloc 1 0x0 4M edge=512\n",
			      "edge 512 out of range");
	fuzz_test_parse_fails("td1 gmem 1 4M\nsetup\n  td1 alloc 1 0x0 4M border=1\n",
			      "unknown alloc flag");
	fuzz_test_parse_fails("td1 gmem 1 4M\nsetup\n  td1 punch 1 0x0 4M edge=1\n",
			      NULL);
}

/*
 * The lock per region (dpamt_lock=per-region, docs/FINDINGS.md D1's
 * per-region BUSY): the edge padding puts a 2M block's end under two
 * vCPU creations; one region's PAMT.ADD holds its pair page's region
 * (the next block) while that region's PAMT.ADD wants it: BUSY, WARN.
 * The global pamt_lock (v6) is clean on the same programs.
 */
static void test_region(void **state)
{
	struct tdxsim_fuzz_outcome o;
	uint64_t index = 0, adds, removes;
	unsigned int failed;

	failed = run_edge("dpamt_lock=per-region", &o, &index, &adds, &removes);
	print_message("# per-region: %u of %d programs failed, the first program %llu; PAMT.ADD %llu, PAMT.REMOVE %llu\n",
		      failed, FD_EDGE_PROGRAMS, (unsigned long long)index,
		      (unsigned long long)adds, (unsigned long long)removes);
	assert_true(failed >= 1);
	assert_int_equal(o.kind, TDXSIM_FUZZ_WARN);
	assert_true(o.failure.pamt_errors > 0);
	assert_int_equal(o.failure.pamt_last_leaf, TDH_PHYMEM_PAMT_ADD);
	assert_int_equal(o.failure.pamt_last_status & TDX_SEAMCALL_STATUS_MASK,
			 TDX_OPERAND_BUSY);

	failed = run_edge("dpamt_lock=global", &o, &index, &adds, &removes);
	print_message("# global: %u of %d programs failed; PAMT.ADD %llu, PAMT.REMOVE %llu\n",
		      failed, FD_EDGE_PROGRAMS, (unsigned long long)adds,
		      (unsigned long long)removes);
	assert_int_equal(failed, 0);
	assert_true(adds >= FD_EDGE_PROGRAMS);
}

/*
 * tdxsim fuzz --kernel next+dpamt --design dpamt=v6 --bias dpamt --seed 2,
 * program 28380, shrunk: the punch covers GPAs 0x200000-0x800000 through
 * slots 0 and 1, the vCPU writes and reads 0x6bc000 (slot 1).
 */
static const char span_prog[] =
	"kernel next+dpamt\n"
	"vcpus 2\n"
	"gmem 0 8M\n"
	"slot 0 gmem=0 gpa=0x0 size=4M offset=0x0\n"
	"slot 1 gmem=0 gpa=0x400000 size=4M offset=0x400000\n"
	"td1 vcpus 1\n"
	"td1 gmem 0 4M\n"
	"td1 slot 0 gmem=0 gpa=0x0 size=4M offset=0x0\n"
	"schedule replay 71:2\n"
	"setup\n"
	"  init-vcpu 1\n"
	"  finalize\n"
	"task vcpu 1\n"
	"  write shared 0x6bc000 8K pattern=200779\n"
	"  read shared 0x6bc000 4K\n"
	"task vmm\n"
	"  punch 0 0x200000 6M\n"
	"task vmm\n"
	"  td1 init-vcpu 0\n";

static void test_span(void **state)
{
	struct tdxsim_fuzz_program *p = fuzz_test_parse(span_prog);
	struct tdxsim_fuzz_outcome o;

	assert_int_equal(tdxsim_fuzz_run(p, &o), 0);
	if (o.failed)
		fprintf(stderr, "# %s\n", o.summary);
	assert_false(o.failed);
	/* TD 0's checks are not judged; TD 1's (none failed) are. */
	assert_int_equal(o.data_failures, 0);
	tdxsim_fuzz_outcome_free(&o);
	tdxsim_fuzz_free(p);
}

/*
 * Two TDs of v6.18 (vp_init_version=1, seed 002's race): the vCPU creations
 * of @racing (0 or 1) race in two tasks, the other TD is launched in the
 * set-up and its guest touches a page it never accepted, so KVM kills that
 * VM (a data failure, its record not bugged).
 */
static const char record_prog[] =
	"kernel v6.18\n"
	"design vp_init_version=1\n"
	"vcpus %u\n"
	"gmem 0 4M\n"
	"slot 0 gmem=0 gpa=0x0 size=4M offset=0x0\n"
	"td1 vcpus %u\n"
	"td1 gmem 0 2M\n"
	"td1 slot 0 gmem=0 gpa=0x0 size=2M offset=0x0\n"
	"setup\n"
	"  %sinit-vcpu 0\n"
	"  %sattr private 0x0 2M\n"
	"  %sfinalize\n"
	"task vcpu 0%s\n"
	"  touch 0x141000\n"
	"task vmm\n"
	"  %sinit-vcpu 0\n"
	"task vmm\n"
	"  %sinit-vcpu 1\n";

static void run_record(unsigned int racing, struct tdxsim_fuzz_outcome *o)
{
	const char *quiet = racing ? "" : "td1 ", *race = racing ? "td1 " : "";
	struct tdxsim_fuzz_explore_opts eo = { .preemptions = 1 };
	struct tdxsim_fuzz_explore_result er;
	struct tdxsim_fuzz_program *p;
	char text[sizeof(record_prog) + 64];

	snprintf(text, sizeof(text), record_prog, racing ? 1 : 2,
		 racing ? 2 : 1, quiet, quiet, quiet, racing ? "" : " td1",
		 race, race);
	p = fuzz_test_parse(text);
	assert_int_equal(tdxsim_fuzz_explore(p, &eo, &er), 0);
	assert_true(er.explore.failures > 0);
	*o = er.outcome;
	o->report = NULL;
	tdxsim_fuzz_explore_result_free(&er);
	tdxsim_fuzz_free(p);
}

/*
 * TD 1's vCPU creations race, TD 1's TDH.VP.CREATE BUSY bugs it; TD 0
 * (a vCPU initialized, nothing else: nothing of its own explains a kill;
 * its record read through its open VM fd at the end) is not dead for TD
 * 1's WARN: no "vm-killed" of TD 0 beside TD 1's KVM_BUG_ON.
 */
static const char idle_prog[] =
	"kernel v6.18\n"
	"design vp_init_version=1\n"
	"vcpus 1\n"
	"gmem 0 4M\n"
	"slot 0 gmem=0 gpa=0x0 size=4M offset=0x0\n"
	"td1 vcpus 2\n"
	"td1 gmem 0 2M\n"
	"td1 slot 0 gmem=0 gpa=0x0 size=2M offset=0x0\n"
	"setup\n"
	"  init-vcpu 0\n"
	"task vmm\n"
	"  td1 init-vcpu 0\n"
	"task vmm\n"
	"  td1 init-vcpu 1\n";

static void test_record(void **state)
{
	struct tdxsim_fuzz_outcome o;
	unsigned int racing;

	/* First: KVM_BUG_ON's WARN is a WARN_ON_ONCE (once a process). */
	{
		struct tdxsim_fuzz_program *p = fuzz_test_parse(idle_prog);
		struct tdxsim_fuzz_explore_opts eo = { .preemptions = 1 };
		struct tdxsim_fuzz_explore_result er;

		assert_int_equal(tdxsim_fuzz_explore(p, &eo, &er), 0);
		assert_true(er.explore.failures > 0);
		print_message("# idle TD 0: %s\n", er.outcome.signatures);
		assert_int_equal(er.outcome.kinds, 1U << TDXSIM_FUZZ_KVM_BUG_ON);
		assert_true(er.outcome.failure.bugged);
		tdxsim_fuzz_explore_result_free(&er);
		tdxsim_fuzz_free(p);
	}

	for (racing = 0; racing < 2; racing++) {
		run_record(racing, &o);
		print_message("# TD %u racing: %s\n", racing, o.signatures);
		/*
		 * One TD bugged; the other's guest got its VM killed, which
		 * its touch explains (no finding of its own).
		 */
		assert_int_equal(o.kind, TDXSIM_FUZZ_KVM_BUG_ON);
		assert_int_equal(o.kinds, 1U << TDXSIM_FUZZ_KVM_BUG_ON);
		/* The record is the bugged TD's, whichever it is. */
		assert_true(o.failure.bugged);
		assert_int_equal(o.failure.seamcall_failures, 1);
		assert_int_equal(o.failure.first_seamcall.leaf, TDH_VP_CREATE);
		assert_int_equal(o.failure.first_seamcall.status &
				 TDX_SEAMCALL_STATUS_MASK, TDX_OPERAND_BUSY);
	}

}

int main(int argc, char **argv)
{
	const struct CMUnitTest all[] = {
		cmocka_unit_test(test_none),
		cmocka_unit_test(test_stream),
		cmocka_unit_test(test_shape),
		cmocka_unit_test(test_lazy),
		cmocka_unit_test(test_upstream),
		cmocka_unit_test(test_span),
		cmocka_unit_test(test_record),
		cmocka_unit_test(test_edge_shape),
		cmocka_unit_test(test_region),
	};

	return fuzz_test_main(argc, argv, all, sizeof(all) / sizeof(all[0]));
}
