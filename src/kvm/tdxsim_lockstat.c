// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tdxsim's addition: the lock validator's acquisition counts per class, on
 * /dev/kvm (TDXSIM_GET_LOCK_STATS). The kernel's nearest thing is
 * /proc/lock_stat (CONFIG_LOCK_STAT); tdxsim needs the counts as data so
 * that a test or a report can say how often a path took a lock, and how
 * (e.g. that the fault path never takes &kvm->mmu_lock for write, as
 * upstream's never does). Classes of one name (one per initialisation
 * site) are summed into one entry, as lockdep_class_stats() does.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/lockdep.h"
#include "host/mm.h"
#include "kvm/tdxsim_ctl.h"
#include "tdxsim/tdxsim.h"
#include "ulib/strbuf.h"

_Static_assert((int)LOCK_KIND_MUTEX == (int)TDXSIM_LOCK_MUTEX &&
	       (int)LOCK_KIND_SPINLOCK == (int)TDXSIM_LOCK_SPINLOCK &&
	       (int)LOCK_KIND_RWLOCK == (int)TDXSIM_LOCK_RWLOCK &&
	       (int)LOCK_KIND_RWSEM == (int)TDXSIM_LOCK_RWSEM &&
	       (int)LOCK_KIND_SRCU == (int)TDXSIM_LOCK_SRCU &&
	       (int)LOCK_KIND_RCU == (int)TDXSIM_LOCK_RCU,
	       "lock kinds and their uAPI form");

/* Every class, one entry per name; *@n gets the count. Free the result. */
static struct tdxsim_lock_class *lock_classes(unsigned int *n)
{
	struct tdxsim_lock_class *out = NULL;
	struct lockdep_class_stats st;
	unsigned int pos = 0, nr = 0, cap = 0, i;

	while (lockdep_class_stats_next(&pos, &st)) {
		struct tdxsim_lock_class *c = NULL;

		for (i = 0; i < nr; i++) {
			if (!strncmp(out[i].name, st.name ? st.name : "",
				     sizeof(out[i].name) - 1)) {
				c = &out[i];
				break;
			}
		}
		if (!c) {
			if (nr == cap) {
				cap = cap ? cap * 2 : 64;
				out = xrealloc(out, cap * sizeof(*out));
			}
			c = &out[nr++];
			memset(c, 0, sizeof(*c));
			snprintf(c->name, sizeof(c->name), "%s",
				 st.name ? st.name : "");
			c->kind = st.kind;
		}
		c->acquisitions_read += st.acquisitions_read;
		c->acquisitions_write += st.acquisitions_write;
		c->contentions_read += st.contentions_read;
		c->contentions_write += st.contentions_write;
	}
	*n = nr;
	return out;
}

long tdxsim_get_lock_stats(void *argp)
{
	struct tdxsim_lock_class *c;
	struct tdxsim_lock_stats ls;
	unsigned int n;
	long r = 0;

	if (copy_from_user(&ls, argp, sizeof(ls)))
		return -EFAULT;
	c = lock_classes(&n);
	ls.flags = lockdep_enabled() ? 0 : TDXSIM_LOCK_STATS_OFF;
	if (ls.nr < n) {
		r = -E2BIG;
	} else if (n && copy_to_user((void *)(uintptr_t)ls.classes, c,
				     n * sizeof(*c))) {
		r = -EFAULT;
	}
	free(c);
	if (r == -EFAULT)
		return r;
	ls.nr = n;
	if (copy_to_user(argp, &ls, sizeof(ls)))
		return -EFAULT;
	return r;
}
