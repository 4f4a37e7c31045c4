/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the tests of the generic KVM code share beyond the test library
 * (testlib/kvm_util.h): the MMU stub they run on, and the cmocka fixtures.
 */
#ifndef TDXSIM_TESTS_KVM_KVM_TEST_H
#define TDXSIM_TESTS_KVM_KVM_TEST_H

#include "mmu_stub.h"
#include "testlib/kvm_util_internal.h"

/* cmocka setup for every test: reset the MMU stub and lockdep reports. */
int kvm_test_setup(void **state);
/* Teardown: no descriptor of the test may stay open. */
int kvm_test_teardown(void **state);

#endif /* TDXSIM_TESTS_KVM_KVM_TEST_H */
