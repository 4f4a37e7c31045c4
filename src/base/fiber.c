// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fibers for the deterministic scheduler (see base/fiber.h): stacks, the
 * sanitizer annotations around each switch, and the switch itself
 * (fiber_x86_64.S).
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/fiber.h"
#include "base/log.h"
#include "ulib/compiler.h"

#ifdef TDXSIM_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#ifdef TDXSIM_TSAN
#include <sanitizer/tsan_interface.h>
#endif

#if defined(__x86_64__)
void tdxsim_fiber_swap(void **save_sp, void *next_sp);
void tdxsim_fiber_start(void);
#define FIBER_ARCH 1
#endif

bool fiber_supported(void)
{
#ifdef FIBER_ARCH
	return true;
#else
	return false;
#endif
}

/* --- stacks --------------------------------------------------------------- */

#define POOL_MAX	64
/* Each fiber that ran on a ThreadSanitizer context leaves one frame on it. */
#define TSAN_REUSE_MAX	1024

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	void *map;
	size_t size;
	void *tsan;
	unsigned int tsan_uses;
} pool[POOL_MAX];
static unsigned int pool_len;

/*
 * A stack from the pool (with the ThreadSanitizer context that went with it:
 * creating one clears a large state) or a new one. *@tsan gets the context,
 * or NULL.
 */
static void *stack_get(size_t size, void **tsan, unsigned int *tsan_uses)
{
	void *map = NULL;
	unsigned int i;

	*tsan = NULL;
	*tsan_uses = 0;
	pthread_mutex_lock(&pool_lock);
	for (i = pool_len; i-- > 0;) {
		if (pool[i].size == size) {
			map = pool[i].map;
			*tsan = pool[i].tsan;
			*tsan_uses = pool[i].tsan_uses;
			pool[i] = pool[--pool_len];
			break;
		}
	}
	pthread_mutex_unlock(&pool_lock);
	if (map)
		return map;

	map = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
	if (map == MAP_FAILED)
		return NULL;
	/* The guard page: running off the stack faults instead of corrupting. */
	if (mprotect(map, PAGE_SIZE, PROT_NONE)) {
		munmap(map, size);
		return NULL;
	}
	return map;
}

static void stack_put(void *map, size_t size, void *tsan,
		      unsigned int tsan_uses)
{
#ifdef TDXSIM_ASAN
	/* Frames that were live when the fiber ended leave poisoned redzones. */
	ASAN_UNPOISON_MEMORY_REGION((char *)map + PAGE_SIZE, size - PAGE_SIZE);
#endif
#ifdef TDXSIM_TSAN
	if (tsan && tsan_uses >= TSAN_REUSE_MAX) {
		__tsan_destroy_fiber(tsan);
		tsan = NULL;
	}
#endif
	pthread_mutex_lock(&pool_lock);
	if (pool_len < POOL_MAX) {
		pool[pool_len].map = map;
		pool[pool_len].size = size;
		pool[pool_len].tsan = tsan;
		pool[pool_len].tsan_uses = tsan ? tsan_uses : 0;
		pool_len++;
		map = NULL;
	}
	pthread_mutex_unlock(&pool_lock);
	if (map) {
#ifdef TDXSIM_TSAN
		if (tsan)
			__tsan_destroy_fiber(tsan);
#endif
		munmap(map, size);
	}
}

void fiber_pool_drain(void)
{
	pthread_mutex_lock(&pool_lock);
	while (pool_len) {
		pool_len--;
#ifdef TDXSIM_TSAN
		if (pool[pool_len].tsan)
			__tsan_destroy_fiber(pool[pool_len].tsan);
#endif
		munmap(pool[pool_len].map, pool[pool_len].size);
	}
	pthread_mutex_unlock(&pool_lock);
}

/* --- switching --------------------------------------------------------------- */

/* The fiber the running one was entered from (its stack bounds get learnt). */
static __thread_fast struct fiber *switched_from;

static inline void before_switch(struct fiber *self, struct fiber *to,
				 bool exiting)
{
	switched_from = self;
#ifdef TDXSIM_ASAN
	__sanitizer_start_switch_fiber(exiting ? NULL : &self->asan_fake,
				       to->stack_lo, to->stack_len);
#endif
#ifdef TDXSIM_TSAN
	__tsan_switch_to_fiber(to->tsan, 0);
#endif
}

static inline void after_switch(struct fiber *self)
{
#ifdef TDXSIM_ASAN
	const void *lo;
	size_t len;

	__sanitizer_finish_switch_fiber(self ? self->asan_fake : NULL, &lo,
					&len);
	/* The OS thread's own stack is known only from this side. */
	if (switched_from && !switched_from->stack_lo) {
		switched_from->stack_lo = lo;
		switched_from->stack_len = len;
	}
#endif
}

void fiber_init_main(struct fiber *f)
{
	memset(f, 0, sizeof(*f));
#ifdef TDXSIM_TSAN
	f->tsan = __tsan_get_current_fiber();
#endif
}

/*
 * First C code of a new fiber (called by tdxsim_fiber_start). The fiber
 * leaves from here too: fiber_exit() jumps back to this frame before the
 * last switch, so of its call chain only this frame is left behind in
 * ThreadSanitizer's view of the context, which the stack pool hands to the
 * next fiber (a context is replaced after TSAN_REUSE_MAX fibers).
 */
#ifdef FIBER_ARCH
static __noreturn void fiber_boot(struct fiber *self)
{
	after_switch(self);
	if (!setjmp(self->exit_env))
		self->fn(self->arg);
	before_switch(self, self->exit_to, true);
	tdxsim_fiber_swap(&self->sp, self->exit_to->sp);
	BUG();
}
#endif

int fiber_create(struct fiber *f, size_t stack_size, void (*fn)(void *),
		 void *arg)
{
#ifdef FIBER_ARCH
	u64 *top;
	u32 mxcsr;
	u16 fcw;

	memset(f, 0, sizeof(*f));
	stack_size = ALIGN(stack_size, PAGE_SIZE) + PAGE_SIZE;
	f->map = stack_get(stack_size, &f->tsan, &f->tsan_uses);
	if (!f->map)
		return -ENOMEM;
	f->map_size = stack_size;
	f->fn = fn;
	f->arg = arg;
	f->stack_lo = (char *)f->map + PAGE_SIZE;
	f->stack_len = stack_size - PAGE_SIZE;

	/* The frame tdxsim_fiber_swap() pops (see fiber_x86_64.S). */
	top = (u64 *)((char *)f->map + stack_size);
	__asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
	__asm__ volatile("fnstcw %0" : "=m"(fcw));
	top[-1] = (u64)(uintptr_t)tdxsim_fiber_start;	/* return address */
	top[-2] = 0;					/* rbp: end of frame chain */
	top[-3] = 0;					/* rbx */
	top[-4] = (u64)(uintptr_t)f;			/* r12 */
	top[-5] = (u64)(uintptr_t)fiber_boot;		/* r13 */
	top[-6] = 0;					/* r14 */
	top[-7] = 0;					/* r15 */
	top[-9] = (u64)mxcsr | ((u64)fcw << 32);	/* control words */
	top[-8] = 0;
	f->sp = &top[-9];
#ifdef TDXSIM_TSAN
	if (!f->tsan)
		f->tsan = __tsan_create_fiber(0);
	f->tsan_uses++;
#endif
	return 0;
#else
	return -ENOSYS;
#endif
}

void fiber_switch(struct fiber *self, struct fiber *to)
{
#ifdef FIBER_ARCH
	before_switch(self, to, false);
	tdxsim_fiber_swap(&self->sp, to->sp);
	after_switch(self);
#else
	BUG();
#endif
}

void fiber_exit(struct fiber *self, struct fiber *to)
{
	self->exit_to = to;
	longjmp(self->exit_env, 1);
}

void fiber_destroy(struct fiber *f)
{
	if (!f->map)
		return;
	stack_put(f->map, f->map_size, f->tsan, f->tsan_uses);
	memset(f, 0, sizeof(*f));
}
