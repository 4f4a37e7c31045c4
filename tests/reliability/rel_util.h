/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The reliability tests' VMM: a TD built through the uAPI with tdxsim's
 * public headers only (include/tdxsim/), as a careless or hostile VMM would
 * drive it. Every helper asserts (cmocka) on what must not fail.
 */
#ifndef TDXSIM_TESTS_REL_UTIL_H
#define TDXSIM_TESTS_REL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tdxsim/guest.h"
#include "tdxsim/kvm.h"
#include "tdxsim/tdxsim.h"

#define REL_GPA		0x80000000ULL	/* first GPA of the TD's memslot */
#define REL_SHARED_48	(1ULL << 47)	/* the shared bit of a 48-bit TD */

struct rel_td_opts {
	uint64_t gpa;		/* memslot GPA (default REL_GPA) */
	uint64_t size;		/* memslot and guest_memfd size (default 2M) */
	uint64_t gmem_flags;	/* GUEST_MEMFD_FLAG_* */
	bool hugepages;		/* design gmem_hugepages=1 */
	bool measure_two_pass;	/* design measure_two_pass=1 */
	/* Set design gmem_locking to @gmem_locking (else the profile's). */
	bool set_gmem_locking;
	unsigned int gmem_locking;	/* enum tdxsim_gmem_locking */
	void *uaddr;		/* the memslot's userspace_addr (default 0) */
	bool private_mem;	/* set the whole slot PRIVATE */
	/* Pages INIT_MEM_REGION adds from the slot's start (needs private). */
	unsigned int nr_init_pages;
	bool measure;		/* ... with KVM_TDX_MEASURE_MEMORY_REGION */
	bool finalize;		/* KVM_TDX_FINALIZE_VM at the end */
	const char *program;	/* guest program text for vCPU 0 (NULL: none) */
};

struct rel_td {
	int kvm, vm, gmem, vcpu;
	struct kvm_run *run;
	long run_size;
	uint64_t gpa, size;
	void *src;		/* INIT_MEM_REGION source buffer */
	size_t src_size;
	struct tdxsim_guest_model *guest;
};

/* Defaults: 2M at REL_GPA, no flags, nothing added, not finalized. */
void rel_td_opts_init(struct rel_td_opts *o);
/* Open /dev/kvm (asserts). */
int rel_open_kvm(void);
/* A TDX VM with KVM_TDX_INIT_VM done (GPAW 48); asserts. */
int rel_create_td_vm(int kvm);
/* KVM_MEMORY_ENCRYPT_OP on @fd; returns the ioctl's result (errno set). */
int rel_tdx_op(int fd, unsigned int id, unsigned int flags, void *data);
/* Build a TD as @o says (asserts every step). */
void rel_td_create(struct rel_td *td, const struct rel_td_opts *o);
/* Close everything of @td (the vCPU and VM last-but-one and last). */
void rel_td_destroy(struct rel_td *td);
/* KVM_SET_MEMORY_ATTRIBUTES; returns the ioctl's result. */
int rel_set_attrs(int vm, uint64_t gpa, uint64_t size, bool private_mem);
/*
 * Memslot 0 at @gpa over @size bytes of plain user memory at @uaddr (no
 * guest_memfd); @size 0 deletes it. Asserts success.
 */
void rel_set_user_slot(int vm, uint64_t gpa, void *uaddr, uint64_t size);
/* KVM_PRE_FAULT_MEMORY of [gpa, gpa + size); returns the ioctl's result. */
int rel_pre_fault(int vcpu, uint64_t gpa, uint64_t size);
/* PUNCH_HOLE on a guest_memfd; returns the call's result. */
int rel_punch(int gmem, uint64_t off, uint64_t len);
/* The VM's counters (TDXSIM_GET_STATS, asserts). */
void rel_vm_stats(int vm, struct tdxsim_stats *st);
/* The module's counters (TDXSIM_GET_MODULE_STATS, asserts). */
void rel_module_stats(struct tdxsim_module_stats *st);
/* TDXSIM_CHECK_INVARIANTS: the number of violations (prints the report). */
unsigned int rel_check_invariants(int vm);
/*
 * Arm a watchdog: if the test is still running @seconds from now, the
 * process prints @what and exits with status 1 (a hang is a failure).
 * 0 disarms it.
 */
void rel_watchdog(unsigned int seconds, const char *what);

#endif /* TDXSIM_TESTS_REL_UTIL_H */
