// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Found chasing uapi_seq's "corrupted size vs. prev_size" (issue 12,
 * docs/FINDINGS.md): tdxsim's copy_to_user()/copy_from_user() go through
 * the kernel (process_vm_writev/readv), which ASan cannot see, so a copy
 * into memory the caller does not own overwrote it silently, and in
 * tdxsim "user" memory shares the process with the simulator's heap: a
 * memslot over a vCPU's kvm_run mapping and past it made the guest's
 * shared memory the heap block after tdxsim's kvm_run allocation (the
 * kvm_run mapping is its own mapping now). In ASan
 * builds those copies are now checked against ASan's poison and reported
 * as ASan reports any bad access. Each case runs in a child process (this
 * binary again) whose ASan death callback exits with CHILD_ASAN: the
 * verdict is the exit status. Plain builds run only the clean case.
 * Public headers only.
 */
#include "tdxsim/kvm.h"
#include "tdxsim/tdxsim.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "rel_util.h"

#if defined(__SANITIZE_ADDRESS__)
#define REL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define REL_ASAN 1
#endif
#endif
#ifdef REL_ASAN
#include <sanitizer/asan_interface.h>
#endif

#define CHILD_ASAN	42
#define GPA		0x100000ULL

enum child_case {
	CASE_TO_USER_SHORT,	/* an ioctl writes past a heap block */
	CASE_FROM_USER_SHORT,	/* an ioctl reads past a heap block */
	CASE_EXACT,		/* the same ioctls with blocks of the right size */
	CASE_SLOT_PAST_RUN,	/* a memslot over a kvm_run mapping and past it */
	CASE_NR,
};

static char *self_path;

#ifdef REL_ASAN
static void asan_death(void)
{
	_exit(CHILD_ASAN);
}
#endif

/* @n bytes of heap for a struct of more: the last ones are a redzone. */
static void *short_block(size_t size, bool exact)
{
	return malloc(exact ? size : size - 8);
}

static int child_ioctls(bool exact)
{
	int kvm = tdxsim_open("/dev/kvm", O_RDWR);
	struct tdxsim_host_memory *hm;
	struct tdxsim_reports *rep;

	if (kvm < 0)
		return 2;
	hm = short_block(sizeof(*hm), exact);
	tdxsim_ioctl(kvm, TDXSIM_GET_HOST_MEMORY, hm);
	rep = short_block(sizeof(*rep), exact);
	memset(rep, 0, exact ? sizeof(*rep) : sizeof(*rep) - 8);
	tdxsim_ioctl(kvm, TDXSIM_GET_REPORTS, rep);
	free(rep);
	free(hm);
	tdxsim_close(kvm);
	return 0;
}

static int child_to_user(void)
{
	int kvm = tdxsim_open("/dev/kvm", O_RDWR);
	struct tdxsim_host_memory *hm = short_block(sizeof(*hm), false);

	tdxsim_ioctl(kvm, TDXSIM_GET_HOST_MEMORY, hm);
	free(hm);
	tdxsim_close(kvm);
	return 0;
}

static int child_from_user(void)
{
	int kvm = tdxsim_open("/dev/kvm", O_RDWR);
	struct tdxsim_reports *rep = short_block(sizeof(*rep), false);

	memset(rep, 0, sizeof(*rep) - 8);
	tdxsim_ioctl(kvm, TDXSIM_GET_REPORTS, rep);
	free(rep);
	tdxsim_close(kvm);
	return 0;
}

/*
 * uapi_seq's case: user memory [run, run + 2M) for a memslot, where only
 * the first pages are the kvm_run mapping; a pre-fault of the page after
 * it reads the memory there (tdxsim's heap).
 */
static int child_slot_past_run(void)
{
	int kvm = tdxsim_open("/dev/kvm", O_RDWR), vm, vcpu;
	long size;
	void *run;

	vm = tdxsim_ioctl(kvm, KVM_CREATE_VM, KVM_X86_DEFAULT_VM);
	vcpu = tdxsim_ioctl(vm, KVM_CREATE_VCPU, 0);
	size = tdxsim_ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm < 0 || vcpu < 0 || size <= 0)
		return 2;
	run = tdxsim_mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE,
			  MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		return 2;
	rel_set_user_slot(vm, GPA, run, 2ULL << 20);
	rel_pre_fault(vcpu, GPA + (uint64_t)size, 4096);
	return 0;
}

static int child_main(enum child_case c)
{
#ifdef REL_ASAN
	__asan_set_death_callback(asan_death);
#endif
	switch (c) {
	case CASE_TO_USER_SHORT:
		return child_to_user();
	case CASE_FROM_USER_SHORT:
		return child_from_user();
	case CASE_EXACT:
		return child_ioctls(true);
	case CASE_SLOT_PAST_RUN:
		return child_slot_past_run();
	default:
		return 2;
	}
}

/* Run @c in a child; its exit status. */
static int run_child(enum child_case c)
{
	char arg[16];
	int status;
	pid_t pid;

	snprintf(arg, sizeof(arg), "%d", (int)c);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		execl(self_path, self_path, "--child", arg, (char *)NULL);
		_exit(3);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_exact_blocks(void **state)
{
	assert_int_equal(run_child(CASE_EXACT), 0);
}

#ifdef REL_ASAN
static void test_to_user_past_block(void **state)
{
	assert_int_equal(run_child(CASE_TO_USER_SHORT), CHILD_ASAN);
}

static void test_from_user_past_block(void **state)
{
	assert_int_equal(run_child(CASE_FROM_USER_SHORT), CHILD_ASAN);
}

/*
 * Since the kvm_run mapping is a mapping of its own of the vCPU's pages
 * (f46809b, as remap_vmalloc_range() makes it), the memory after it is no
 * longer tdxsim's heap block: a memslot past it reads what the process maps
 * there, as on Linux, and no ASan report comes (before f46809b the case
 * answered CHILD_ASAN).
 */
static void test_slot_past_kvm_run(void **state)
{
	assert_int_equal(run_child(CASE_SLOT_PAST_RUN), 0);
}
#endif

int main(int argc, char **argv)
{
	/* The check exists in ASan builds only: elsewhere, the clean case. */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_blocks),
#ifdef REL_ASAN
		cmocka_unit_test(test_to_user_past_block),
		cmocka_unit_test(test_from_user_past_block),
		cmocka_unit_test(test_slot_past_kvm_run),
#endif
	};

	if (argc == 3 && !strcmp(argv[1], "--child"))
		return child_main((enum child_case)atoi(argv[2]));
	self_path = realpath("/proc/self/exe", NULL);
	if (!self_path)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
