// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Found by uapi_seq under UBSan (issue 12): fallocate() with an offset
 * and a length whose sum overflows off_t computed the sum (undefined
 * behaviour in C) to check it. vfs_fallocate() answers -EFBIG; tdxsim now
 * checks without overflowing. Public headers only.
 */
#include "tdxsim/kvm.h"
#include "tdxsim/tdxsim.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "rel_util.h"

static void test_fallocate_overflow(void **state)
{
	struct kvm_create_guest_memfd args = { .size = 2ULL << 20 };
	int kvm = rel_open_kvm(), vm, gmem;

	vm = tdxsim_ioctl(kvm, KVM_CREATE_VM, KVM_X86_TDX_VM);
	assert_true(vm >= 0);
	gmem = tdxsim_ioctl(vm, KVM_CREATE_GUEST_MEMFD, &args);
	assert_true(gmem >= 0);
	assert_int_equal(tdxsim_fallocate(gmem, FALLOC_FL_KEEP_SIZE,
					  INT64_MAX - 4095, 8192), -1);
	assert_int_equal(errno, EFBIG);
	assert_int_equal(rel_punch(gmem, 0x39d0000000000000ULL,
				   0x4e00000000000000ULL), -1);
	assert_int_equal(errno, EFBIG);
	/* The largest range that does not overflow is just too big. */
	assert_int_equal(tdxsim_fallocate(gmem, FALLOC_FL_KEEP_SIZE, 4096,
					  INT64_MAX - 4096), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(tdxsim_close(gmem), 0);
	assert_int_equal(tdxsim_close(vm), 0);
	assert_int_equal(tdxsim_close(kvm), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fallocate_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
