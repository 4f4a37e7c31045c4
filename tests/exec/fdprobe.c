// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A plain /dev/kvm program (no tdxsim header or function: its own uAPI
 * copy, linux-kvm.h) that checks what the descriptors of `tdxsim exec`
 * look like to a program: /dev/kvm opened twice, real and distinct
 * numbers, dup/dup2/fcntl(F_DUPFD) aliases that keep the VM alive after
 * the first number is closed, F_GETFL, read(2) refused, poll(2), and a
 * forked child that closes what it inherited (and gets EIO for a VM
 * ioctl, as from another mm) while the parent keeps working.
 *
 * Exit status 0 when every check held; otherwise 1 and the failed check on
 * stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux-kvm.h"

static int failures;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "fdprobe: %s:%d: %s (errno %d)\n",	\
			__FILE__, __LINE__, #cond, errno);		\
		failures++;						\
	}								\
} while (0)

int main(void)
{
	int kvm1, kvm2, vm, vm2, vm3, devnull, status, r;
	struct pollfd pfd;
	char c;
	pid_t pid;

	kvm1 = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	kvm2 = openat(AT_FDCWD, "/dev/kvm", O_RDWR | O_CLOEXEC);
	CHECK(kvm1 >= 0 && kvm2 >= 0 && kvm1 != kvm2);
	CHECK(ioctl(kvm1, KVM_GET_API_VERSION, 0) == KVM_API_VERSION);
	CHECK(ioctl(kvm2, KVM_GET_API_VERSION, 0) == KVM_API_VERSION);
	r = ioctl(kvm1, KVM_CHECK_EXTENSION, KVM_CAP_VM_TYPES);
	CHECK(r > 0 && (r & (1 << KVM_X86_TDX_VM)));

	/* The program's own files get numbers of their own. */
	devnull = open("/dev/null", O_RDONLY);
	CHECK(devnull >= 0 && devnull != kvm1 && devnull != kvm2);

	vm = ioctl(kvm2, KVM_CREATE_VM, KVM_X86_TDX_VM);
	CHECK(vm >= 0 && vm != devnull);
	CHECK((fcntl(vm, F_GETFL) & O_ACCMODE) == O_RDWR);
	CHECK(fcntl(vm, F_GETFD) & FD_CLOEXEC);
	errno = 0;
	CHECK(read(vm, &c, 1) == -1 && errno == EINVAL);
	pfd = (struct pollfd){ .fd = vm, .events = POLLIN | POLLOUT };
	CHECK(poll(&pfd, 1, 0) == 1);

	/* Aliases: the VM lives while one number refers to it. */
	vm2 = dup(vm);
	vm3 = fcntl(vm, F_DUPFD_CLOEXEC, 100);
	CHECK(vm2 >= 0 && vm3 >= 100);
	CHECK(close(vm) == 0);
	CHECK(ioctl(vm2, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY) == 1);
	CHECK(dup2(vm2, 200) == 200);
	CHECK(close(vm2) == 0 && close(vm3) == 0);
	CHECK(ioctl(200, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY) == 1);
	/* dup2 onto a tdxsim number closes that file first. */
	CHECK(dup2(devnull, 200) == 200);
	errno = 0;
	CHECK(ioctl(200, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY) == -1 &&
	      errno == ENOTTY);
	CHECK(close(200) == 0);
	errno = 0;
	CHECK(close(200) == -1 && errno == EBADF);

	vm = ioctl(kvm1, KVM_CREATE_VM, KVM_X86_TDX_VM);
	CHECK(vm >= 0);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		/* The child: a VM ioctl from another process, then closes. */
		errno = 0;
		if (ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY) != -1 ||
		    errno != EIO)
			_exit(3);
		if (ioctl(kvm1, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
			_exit(4);
		if (close(vm) || close(kvm1) || close(kvm2))
			_exit(5);
		_exit(0);
	}
	CHECK(pid > 0);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0);
	/* The parent's VM is untouched by the child's closes. */
	CHECK(ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY) == 1);
	CHECK(ioctl(vm, KVM_CREATE_VCPU, 0) == -1);	/* before INIT_VM */

	CHECK(close(vm) == 0 && close(kvm1) == 0 && close(kvm2) == 0);
	errno = 0;
	CHECK(ioctl(kvm1, KVM_GET_API_VERSION, 0) == -1 && errno == EBADF);
	close(devnull);
	if (failures)
		return 1;
	printf("fdprobe: ok\n");
	return 0;
}
