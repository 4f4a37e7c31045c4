/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Character devices and the initcalls that register them: how the host
 * kernel learns of /dev/kvm without the host layer knowing KVM.
 *
 * As in the kernel, a driver registers a misc device (misc_register()) from
 * its init function, and open() of "/dev/<name>" finds it. The init
 * functions are the initcalls: a table the library assembles above every
 * layer (src/lib/initcalls.c; a test program may bring its own), run once,
 * on the first open(), the way the kernel runs them at boot.
 */
#ifndef TDXSIM_HOST_MISC_H
#define TDXSIM_HOST_MISC_H

#include "ulib/compiler.h"
#include "base/list.h"

struct file_operations;

struct miscdevice {
	const char *name;			/* "kvm": opened as /dev/kvm */
	const struct file_operations *fops;
	struct list_head list;
};

/* Make @misc openable as /dev/<name>. -EEXIST if the name is taken. */
int misc_register(struct miscdevice *misc);
/* Remove @misc; descriptors already open stay valid. */
void misc_deregister(struct miscdevice *misc);
/* The device registered as @path ("/dev/<name>"), or NULL. */
struct miscdevice *misc_find(const char *path);

/* One init function of a driver, in the order the table lists them. */
struct initcall {
	const char *name;
	int (*fn)(void);
};

/*
 * The initcall table, NULL-terminated by a zero entry. Defined once per
 * program: by the library (src/lib/initcalls.c) or by a test that links a
 * kernel side of its own.
 */
extern const struct initcall tdxsim_initcalls[];

/*
 * Run every initcall once (later calls return at once). Returns 0, or the
 * first failing initcall's negative errno (every later open() gets it too).
 */
int do_initcalls(void);

#endif /* TDXSIM_HOST_MISC_H */
