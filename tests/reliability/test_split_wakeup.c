// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The threaded uAPI fuzzer's rare hang (docs/FINDINGS.md, "Races of the
 * threaded uAPI fuzzer"): a hole punch inside a 2M guest_memfd folio splits
 * it, and the split waits, holding the file's invalidate_lock for write,
 * until the page cache holds the folio's only reference. It slept on a
 * wait queue that only guest_memfd's and KVM's own reference drops woke;
 * a reference the host's mm took through the file's mapping (a host
 * access, a GUP pin) went with a bare put_page(), so the split slept on
 * with a refcount of 1 until something else woke the queue, or until the
 * hung-task watchdog gave up after 10 s (the punch then failed, EINTR).
 *
 * Free mode: a host pin (tdxsim_host_pin(), the GUP model) on one page of
 * a 2M folio; another thread punches another page of that folio and blocks
 * in the split; the pin is dropped; the punch must complete at once (a
 * watchdog fails the test well before the hung-task watchdog would end the
 * wait). Public headers only.
 */
#include "tdxsim/kvm.h"
#include "tdxsim/report.h"
#include "tdxsim/tdxsim.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "rel_util.h"

#define SZ_2M		(2ULL << 20)
#define PIN_OFF		0x5000ULL
#define PUNCH_OFF	0x10000ULL
#define ROUNDS		3

struct puncher {
	int gmem;
	int tid;
	int ret;
	int done;
};

static void *punch_fn(void *arg)
{
	struct puncher *p = arg;

	__atomic_store_n(&p->tid, (int)syscall(SYS_gettid), __ATOMIC_RELEASE);
	p->ret = rel_punch(p->gmem, PUNCH_OFF, 4096) ? -errno : 0;
	__atomic_store_n(&p->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* The state letter of thread @tid ('R', 'S', ...) from /proc. */
static char task_state(int tid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	f = fopen(path, "r");
	if (!f)
		return '?';
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

/*
 * Until @p's thread has slept for 20 looks in a row (1 ms apart): it can
 * only be sleeping in the split's wait for the pin, as nothing else here
 * holds what the punch takes.
 */
static void wait_until_asleep(struct puncher *p)
{
	int tid, asleep = 0;

	while (!(tid = __atomic_load_n(&p->tid, __ATOMIC_ACQUIRE)))
		usleep(1000);
	while (asleep < 20) {
		assert_false(__atomic_load_n(&p->done, __ATOMIC_ACQUIRE));
		asleep = task_state(tid) == 'S' ? asleep + 1 : 0;
		usleep(1000);
	}
}

static void test_split_woken_by_host_unpin(void **state)
{
	struct kvm_create_guest_memfd args = {
		.size = SZ_2M,
		.flags = GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED,
	};
	unsigned int reports0 = tdxsim_nr_reports();
	int kvm = rel_open_kvm(), vm, gmem, i;
	struct tdxsim_host_pin *pin;
	struct tdxsim_design d;
	uint8_t *map;

	(void)state;
	vm = tdxsim_ioctl(kvm, KVM_CREATE_VM, KVM_X86_DEFAULT_VM);
	assert_true(vm >= 0);
	assert_int_equal(tdxsim_ioctl(vm, TDXSIM_GET_DESIGN, &d), 0);
	d.gmem_hugepages = 1;
	assert_int_equal(tdxsim_ioctl(vm, TDXSIM_SET_DESIGN, &d), 0);
	gmem = tdxsim_ioctl(vm, KVM_CREATE_GUEST_MEMFD, &args);
	assert_true(gmem >= 0);
	map = tdxsim_mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED,
			  gmem, 0);
	assert_true(map != MAP_FAILED);

	for (i = 0; i < ROUNDS; i++) {
		struct puncher p = { .gmem = gmem };
		pthread_t t;

		/* A fresh 2M folio, one of its pages pinned by the host. */
		assert_int_equal(rel_punch(gmem, 0, SZ_2M), 0);
		assert_int_equal(tdxsim_host_pin(map + PIN_OFF, 4096, true,
						 &pin), 0);
		assert_int_equal(pthread_create(&t, NULL, punch_fn, &p), 0);
		wait_until_asleep(&p);
		/* The split waits for the pin; dropping it must wake it. */
		rel_watchdog(5, "a folio split not woken by the host's unpin");
		tdxsim_host_unpin(pin);
		assert_int_equal(pthread_join(t, NULL), 0);
		rel_watchdog(0, NULL);
		assert_int_equal(p.ret, 0);
	}
	assert_int_equal(tdxsim_nr_reports(), reports0);
	assert_int_equal(tdxsim_munmap(map, SZ_2M), 0);
	assert_int_equal(tdxsim_close(gmem), 0);
	assert_int_equal(tdxsim_close(vm), 0);
	assert_int_equal(tdxsim_close(kvm), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_woken_by_host_unpin),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
