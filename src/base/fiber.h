/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fibers: user-level contexts on one OS thread, for the deterministic
 * scheduler's fiber back end (base/sched.h). tdxsim's own addition: a
 * deterministic run switches tasks at every schedule point, and a switch
 * between fibers is a few dozen instructions where a hand-off between
 * pthreads costs futex system calls.
 *
 * Each fiber has an mmap()ed stack with a PROT_NONE guard page below it;
 * stacks are kept in a small pool and reused. Every switch is announced to
 * AddressSanitizer (__sanitizer_{start,finish}_switch_fiber) and to
 * ThreadSanitizer (__tsan_switch_to_fiber, which also orders what the old
 * fiber did before what the new one does) when they are compiled in.
 *
 * Only the scheduler (src/base/sched*.c) uses this.
 */
#ifndef TDXSIM_BASE_FIBER_H
#define TDXSIM_BASE_FIBER_H

#include <setjmp.h>
#include <stddef.h>

#include "base/compiler.h"

struct fiber {
	void *sp;		/* saved stack pointer while parked */
	void *map;		/* the stack mapping (guard page first), or NULL */
	size_t map_size;
	const void *stack_lo;	/* usable stack (for ASan), NULL until known */
	size_t stack_len;
	void *asan_fake;	/* ASan's fake stack while parked */
	void *tsan;		/* ThreadSanitizer's fiber context */
	unsigned int tsan_uses;	/* fibers that ran on it */
	void (*fn)(void *);	/* what a new fiber runs */
	void *arg;
	jmp_buf exit_env;	/* fiber_exit(): back to the fiber's first frame */
	struct fiber *exit_to;
};

/* Are fibers available on this machine (x86-64)? */
bool fiber_supported(void);

/* Make @f stand for the calling OS thread's own context. */
void fiber_init_main(struct fiber *f);

/*
 * Make @f a fiber that, when first switched to, calls @fn(@arg) on a stack
 * of @stack_size bytes. @fn must never return: it ends with fiber_exit().
 * Returns 0 or -ENOMEM.
 */
int fiber_create(struct fiber *f, size_t stack_size, void (*fn)(void *),
		 void *arg);

/* Park the running fiber @self in @self and run @to. Returns when resumed. */
void fiber_switch(struct fiber *self, struct fiber *to);

/* Leave the running fiber @self for good and run @to. */
void __noreturn fiber_exit(struct fiber *self, struct fiber *to);

/* Release a fiber that has exited (or never ran): its stack goes back to the pool. */
void fiber_destroy(struct fiber *f);

/* Free the pooled stacks (for leak checkers; optional). */
void fiber_pool_drain(void);

#endif /* TDXSIM_BASE_FIBER_H */
