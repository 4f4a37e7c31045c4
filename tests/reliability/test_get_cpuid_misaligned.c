// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Found by uapi_seq under UBSan (issue 12): KVM_TDX_GET_CPUID reached the
 * entries of the caller's struct kvm_cpuid2 through a member access on the
 * user pointer, undefined behaviour when the pointer is misaligned (a user
 * pointer may be anything). A misaligned buffer gets the same answer as an
 * aligned one. Public headers only.
 */
#include "tdxsim/kvm.h"
#include "tdxsim/tdxsim.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rel_util.h"

#define ROOM	(sizeof(struct kvm_cpuid2) + \
		 KVM_MAX_CPUID_ENTRIES * sizeof(struct kvm_cpuid_entry2))

static uint8_t aligned_buf[ROOM] __attribute__((aligned(64)));
static uint8_t misaligned_buf[ROOM + 64] __attribute__((aligned(64)));

static void test_get_cpuid_misaligned(void **state)
{
	struct kvm_cpuid2 *a = (void *)aligned_buf;
	uint8_t *m = misaligned_buf + 1;
	struct kvm_cpuid2 hdr;
	struct rel_td_opts o;
	struct rel_td td;

	rel_td_opts_init(&o);
	rel_td_create(&td, &o);

	a->nent = KVM_MAX_CPUID_ENTRIES;
	assert_int_equal(rel_tdx_op(td.vcpu, KVM_TDX_GET_CPUID, 0, a), 0);
	assert_true(a->nent > 0);

	hdr.nent = KVM_MAX_CPUID_ENTRIES;
	hdr.padding = 0;
	memcpy(m, &hdr, sizeof(hdr));
	assert_int_equal(rel_tdx_op(td.vcpu, KVM_TDX_GET_CPUID, 0, m), 0);
	memcpy(&hdr, m, sizeof(hdr));
	assert_int_equal(hdr.nent, a->nent);
	assert_memory_equal(m + sizeof(hdr), a->entries,
			    a->nent * sizeof(struct kvm_cpuid_entry2));
	rel_td_destroy(&td);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_cpuid_misaligned),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
