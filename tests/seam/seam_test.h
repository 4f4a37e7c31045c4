/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers shared by the tests of src/seam: they drive the module through
 * the kernel's SEAMCALL wrappers (kvm/asm/tdx.h) and tdcall.h, as KVM and
 * the guest do, and read its state through diag.h.
 */
#ifndef TDXSIM_TESTS_SEAM_TEST_H
#define TDXSIM_TESTS_SEAM_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "base/page_alloc.h"
#include "kvm/asm/tdx.h"
#include "seam/diag.h"
#include "seam/seamcall.h"
#include "seam/tdcall.h"
#include "seam/tdx_module.h"

/* Assert a TDX status, printing both names on mismatch. */
#define assert_status(actual, expected)					\
	do {								\
		u64 __a = (actual), __e = (expected);			\
		if (__a != __e) {					\
			char __an[96];					\
			snprintf(__an, sizeof(__an), "%s",		\
				 tdx_status_name(__a));			\
			fail_msg("status %#llx (%s), expected %#llx (%s)", \
				 (unsigned long long)__a, __an,		\
				 (unsigned long long)__e,		\
				 tdx_status_name(__e));			\
		}							\
	} while (0)

#define TTD_MAX_VCPUS	4

struct test_vcpu {
	u64 tdvpr_pa;
	u64 tdcx[8];
};

struct test_td {
	u64 tdr_pa;
	int hkid;
	int pwl;
	u64 shared_bit;
	int nr_vcpus;
	u64 tdcs[9];
	struct test_vcpu vcpu[TTD_MAX_VCPUS];
};

/* Group setup: a PFN space for the tests of one program. */
int seam_test_group_setup(void **state);
int seam_test_group_teardown(void **state);
/* Per test: module up with @cfg (NULL = defaults), pages tracked. */
void seam_test_start(const struct tdx_module_config *cfg);
/* Module down, every tracked page freed. */
void seam_test_end(void);
/* cmocka fixtures with the default configuration. */
int seam_test_setup(void **state);
int seam_test_teardown(void **state);

/* A tracked page (freed by seam_test_end()); order 0 or 9. */
u64 test_alloc(unsigned int order);
/* Free a test_alloc() page now, through the host allocator (__free_pages). */
void test_free_page(u64 pa);

/* TDH.MNG.CREATE..TDH.MNG.INIT: a TD in OP_STATE INITIALIZED. */
void ttd_create(struct test_td *td, int max_vcpus, bool five_level,
		u64 attributes);
/* TD_PARAMS page with the usual values (for failure tests). */
u64 ttd_params(int max_vcpus, bool five_level, u64 attributes);
/* TDH.VP.CREATE + ADDCX + INIT; returns the vCPU index in @td. */
int ttd_add_vcpu(struct test_td *td);
/* SEPT.ADD for every missing level above @leaf_level covering @gpa. */
void ttd_sept_path(struct test_td *td, u64 gpa, int leaf_level);
/* PAGE.ADD of @data (4K) at @gpa (S-EPT path added); returns the page HPA. */
u64 ttd_page_add(struct test_td *td, u64 gpa, const void *data);
/* PAGE.AUG at @gpa/@level (path added); returns the page HPA. */
u64 ttd_aug(struct test_td *td, u64 gpa, int level);
/* TDH.MR.FINALIZE (asserts success). */
void ttd_finalize(struct test_td *td);
/* BLOCK + TRACK of @gpa/@level (asserts success). */
void ttd_block_track(struct test_td *td, u64 gpa, int level);

/* A scripted guest: ops run in order; an exit re-executes the same op. */
enum tg_op_kind {
	TG_ACCEPT,
	TG_READ,	/* 8 bytes at gpa into result */
	TG_WRITE,	/* 8 bytes of arg at gpa */
	TG_VMCALL,	/* TDVMCALL sub-function arg, R12 = gpa, R13 = arg2 */
	TG_INFO,
};

struct tg_op {
	enum tg_op_kind kind;
	u64 gpa;
	u64 arg;
	u64 arg2;
	u64 status;	/* result of the op once it completed */
	u64 value;	/* TG_READ: the bytes read; TG_VMCALL: R10 */
	u64 value2;	/* TG_VMCALL: R11 */
};

struct test_guest {
	struct tg_op ops[16];
	int nr_ops;
	int pc;
	int runs;
	int exits;	/* ops that returned TDG_EXITED/TDG_MEM_EXITED */
	bool saw_first_entry;
};

extern const struct tdx_guest_ops test_guest_ops;
void tg_add(struct test_guest *g, enum tg_op_kind kind, u64 gpa, u64 arg);

/* TDH.VP.ENTER of vCPU @i; returns RAX, fills @out. */
u64 ttd_enter(struct test_td *td, int i, struct tdx_module_args *out);

#endif /* TDXSIM_TESTS_SEAM_TEST_H */
