// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Misc devices and initcalls (see misc.h).
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "base/lock.h"
#include "base/log.h"
#include "host/misc.h"

static LIST_HEAD(misc_list);
static pthread_mutex_t misc_mtx = PTHREAD_MUTEX_INITIALIZER;

int misc_register(struct miscdevice *misc)
{
	struct miscdevice *m;
	int r = 0;

	pthread_mutex_lock(&misc_mtx);
	list_for_each_entry(m, &misc_list, list) {
		if (!strcmp(m->name, misc->name)) {
			r = -EEXIST;
			goto out;
		}
	}
	list_add_tail(&misc->list, &misc_list);
out:
	pthread_mutex_unlock(&misc_mtx);
	return r;
}

void misc_deregister(struct miscdevice *misc)
{
	pthread_mutex_lock(&misc_mtx);
	list_del(&misc->list);
	pthread_mutex_unlock(&misc_mtx);
}

struct miscdevice *misc_find(const char *path)
{
	struct miscdevice *m, *found = NULL;

	if (strncmp(path, "/dev/", 5))
		return NULL;
	pthread_mutex_lock(&misc_mtx);
	list_for_each_entry(m, &misc_list, list) {
		if (!strcmp(m->name, path + 5)) {
			found = m;
			break;
		}
	}
	pthread_mutex_unlock(&misc_mtx);
	return found;
}

static pthread_once_t initcalls_once = PTHREAD_ONCE_INIT;
static int initcalls_ret;

static void run_initcalls(void)
{
	const struct initcall *ic;

	for (ic = tdxsim_initcalls; ic->fn; ic++) {
		int r = ic->fn();

		if (r) {
			pr_err("initcall %s failed: %d\n", ic->name, r);
			initcalls_ret = r;
			return;
		}
	}
}

int do_initcalls(void)
{
	pthread_once(&initcalls_once, run_initcalls);
	return initcalls_ret;
}
