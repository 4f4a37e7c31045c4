// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The library's initcalls: the drivers libtdxsim links, in the order the
 * host runs their init functions on the first open() (host/misc.h). This
 * file sits above every layer, as the kernel's init/main.c does, so that
 * the host layer finds /dev/kvm without knowing KVM.
 */
#include "host/misc.h"
#include "kvm/kvm_host.h"

const struct initcall tdxsim_initcalls[] = {
	{ "vt_init", vt_init },
	{ NULL, NULL },
};
