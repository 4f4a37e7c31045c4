/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The KVM and TD helpers for tdxsim's own tests: the public test library
 * (tdxsim/kvm_util.h, installed as libtdxsim-testutil; docs/test-library.md)
 * with cmocka's assertions. White-box looks inside (the struct kvm behind a
 * descriptor, the mirror tables' leaves) are in kvm_util_internal.h.
 */
#ifndef TDXSIM_TESTS_TESTLIB_KVM_UTIL_H
#define TDXSIM_TESTS_TESTLIB_KVM_UTIL_H

#include "testlib/test_util.h"
#include "tdxsim/kvm_util.h"

#endif /* TDXSIM_TESTS_TESTLIB_KVM_UTIL_H */
