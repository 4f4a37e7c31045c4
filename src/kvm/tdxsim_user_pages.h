/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tdxsim: host pages that stand for a VMM's anonymous memory behind shared
 * GPAs (tdxsim_user_pages.c).
 */
#ifndef TDXSIM_KVM_TDXSIM_USER_PAGES_H
#define TDXSIM_KVM_TDXSIM_USER_PAGES_H

#include "ulib/compiler.h"

struct kvm;
struct page;

/* Set up and tear down @kvm's table (kvm_mmu_init_vm/kvm_mmu_uninit_vm). */
int tdxsim_user_pages_init(struct kvm *kvm);
void tdxsim_user_pages_release(struct kvm *kvm);

/*
 * The page that stands for the user page at @hva (page-aligned, plain
 * memory of the process: no tdxsim mapping), made on first use, with a
 * reference for the caller. NULL with *@err = -EFAULT if the address is
 * not readable memory, -ENOMEM if no page is left.
 */
struct page *tdxsim_user_page_get(struct kvm *kvm, unsigned long hva,
				  int *err);

#endif /* TDXSIM_KVM_TDXSIM_USER_PAGES_H */
