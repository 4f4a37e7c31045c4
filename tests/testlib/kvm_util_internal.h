/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * White-box looks of the KVM and TD tests: what a kernel test module could
 * see and the uAPI does not show (the struct kvm behind a descriptor, a
 * memslot, the page guest_memfd holds for a GPA, the mirror tables'
 * leaves). Tests of the kernel side only (view test-kvm).
 */
#ifndef TDXSIM_TESTS_TESTLIB_KVM_UTIL_INTERNAL_H
#define TDXSIM_TESTS_TESTLIB_KVM_UTIL_INTERNAL_H

#include "base/page_alloc.h"
#include "base/sched.h"
#include "host/fs.h"
#include "kvm/guest_memfd.h"
#include "kvm/kvm_host.h"
#include "seam/seamcall.h"
#include "seam/tdcall.h"
#include "testlib/kvm_util.h"

/* The struct file / struct kvm behind a descriptor (asserts it is one). */
struct file *fd_file(int fd);
struct kvm *vm_kvm(int vm_fd);
/* The memslot of @vm_fd that holds @gfn, or NULL. */
struct kvm_memory_slot *vm_slot(int vm_fd, gfn_t gfn);

/*
 * The host page guest_memfd holds for @gpa (slot 0 maps file offset =
 * GPA), NULL if none.
 */
struct page *td_gmem_page(struct td *td, u64 gpa);
/*
 * The number of present leaves of @level (PG_LEVEL_*) in the mirror
 * (@mirror) or direct root.
 */
u64 td_count_leaves(struct td *td, bool mirror, int level);

#endif /* TDXSIM_TESTS_TESTLIB_KVM_UTIL_INTERNAL_H */
