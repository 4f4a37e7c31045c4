// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Issue 12, item 3: VMM threads that create and destroy TDs at the same
 * time. TDH.MNG.CREATE and TDH.MNG.KEY.FREEID take the module's key
 * ownership table exclusively and answer BUSY to each other; upstream KVM
 * serialises them (and the rest of the HKID release) under its global
 * tdx_lock, so KVM_TDX_INIT_VM never fails for it.
 */
#include "tdxsim/kvm.h"
#include "tdxsim/tdxsim.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rel_util.h"

#define NR_THREADS	2
#define ROUNDS		1000

struct worker {
	pthread_t thread;
	int kvm;
	unsigned int done;
	int failed_errno;	/* first failure's errno, 0 if none */
	const char *failed_step;
};

static int init_vm(int vm)
{
	struct kvm_tdx_init_vm *init_vm;
	int r;

	init_vm = calloc(1, sizeof(*init_vm) + sizeof(struct kvm_cpuid_entry2));
	if (!init_vm)
		return -1;
	init_vm->xfam = 0x3;
	init_vm->cpuid.nent = 1;
	init_vm->cpuid.entries[0].function = 0x80000008;
	init_vm->cpuid.entries[0].eax = (48 << 16) | 52;
	r = rel_tdx_op(vm, KVM_TDX_INIT_VM, 0, init_vm);
	free(init_vm);
	return r;
}

/* No cmocka assertions here: they may only run on the test's thread. */
static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	unsigned int i;

	for (i = 0; i < ROUNDS; i++) {
		int vm = tdxsim_ioctl(w->kvm, KVM_CREATE_VM, KVM_X86_TDX_VM);

		if (vm < 0) {
			w->failed_errno = errno;
			w->failed_step = "KVM_CREATE_VM";
			break;
		}
		if (init_vm(vm)) {
			w->failed_errno = errno;
			w->failed_step = "KVM_TDX_INIT_VM";
			tdxsim_close(vm);
			break;
		}
		if (tdxsim_close(vm)) {
			w->failed_errno = errno;
			w->failed_step = "close";
			break;
		}
		w->done++;
	}
	return NULL;
}

static void test_concurrent_td_create_destroy(void **state)
{
	struct worker w[NR_THREADS];
	struct tdxsim_module_stats st;
	int kvm = rel_open_kvm(), i;

	memset(w, 0, sizeof(w));
	for (i = 0; i < NR_THREADS; i++) {
		w[i].kvm = kvm;
		assert_int_equal(pthread_create(&w[i].thread, NULL, worker_fn,
						&w[i]), 0);
	}
	for (i = 0; i < NR_THREADS; i++) {
		assert_int_equal(pthread_join(w[i].thread, NULL), 0);
		if (w[i].failed_step)
			print_message("# thread %d: %s failed with %s after %u rounds\n",
				      i, w[i].failed_step,
				      strerror(w[i].failed_errno), w[i].done);
	}
	for (i = 0; i < NR_THREADS; i++) {
		assert_null(w[i].failed_step);
		assert_int_equal(w[i].done, ROUNDS);
	}
	rel_module_stats(&st);
	assert_int_equal(st.pages_owned, 0);
	assert_int_equal(st.pamt_violations, 0);
	assert_int_equal(tdxsim_close(kvm), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_concurrent_td_create_destroy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
