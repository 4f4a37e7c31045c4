// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The module's try-locks (src/seam/locks.c) on locks of the test's own, in
 * free mode on real threads, where a reader-biased word is read-locked
 * through the thread's reader indicator: every BUSY answer of the plain
 * word holds with the bias too (an exclusive request against a reader in
 * an indicator or in the word, a shared request against a writer, host
 * priority), a release gives back what it took, and under contention
 * (the concurrency suite, also run under ThreadSanitizer) readers and
 * writers exclude each other. The tests include the module's private
 * header: they test its locks, not a leaf.
 */
#include <pthread.h>
#include <sched.h>

#include "seam_test.h"
#include "seam/seam_internal.h"

/* A second thread that runs one lock operation at a time for the test. */
enum op {
	OP_NONE,
	OP_SH,		/* sharex_try_shared */
	OP_EX,		/* sharex_try_excl */
	OP_REL_SH,
	OP_REL_EX,
	OP_HP_SH,	/* sharex_hp_host_shared */
	OP_HP_EX,
	OP_HP_GUEST,
	OP_HP_REL_SH,
	OP_HP_REL_EX,
	OP_HP_PROMOTE,
	OP_QUIT,
};

static struct {
	int op;
	void *lock;
	int ret;
	int seq, done;
} mb;
static pthread_t helper;

static int do_op(int op, void *l)
{
	switch (op) {
	case OP_SH:		return sharex_try_shared(l);
	case OP_EX:		return sharex_try_excl(l);
	case OP_REL_SH:		sharex_release_shared(l); return 0;
	case OP_REL_EX:		sharex_release_excl(l); return 0;
	case OP_HP_SH:		return sharex_hp_host_shared(l);
	case OP_HP_EX:		return sharex_hp_host_excl(l);
	case OP_HP_GUEST:	return sharex_hp_guest_shared(l);
	case OP_HP_REL_SH:	sharex_hp_release_shared(l); return 0;
	case OP_HP_REL_EX:	sharex_hp_release_excl(l); return 0;
	case OP_HP_PROMOTE:	return sharex_hp_promote(l);
	}
	return -1;
}

static void *helper_fn(void *arg)
{
	int seen = 0;

	(void)arg;
	for (;;) {
		int seq = __atomic_load_n(&mb.seq, __ATOMIC_ACQUIRE);

		if (seq == seen) {
			sched_yield();
			continue;
		}
		seen = seq;
		if (mb.op == OP_QUIT)
			return NULL;
		mb.ret = do_op(mb.op, mb.lock);
		__atomic_store_n(&mb.done, seq, __ATOMIC_RELEASE);
	}
}

/* Run @op on @l in the helper thread; its answer. */
static int other(int op, void *l)
{
	int seq = mb.seq + 1;

	mb.op = op;
	mb.lock = l;
	__atomic_store_n(&mb.seq, seq, __ATOMIC_RELEASE);
	while (__atomic_load_n(&mb.done, __ATOMIC_ACQUIRE) != seq)
		sched_yield();
	return mb.ret;
}

static int setup(void **state)
{
	(void)state;
	return pthread_create(&helper, NULL, helper_fn, NULL);
}

static int teardown(void **state)
{
	(void)state;
	mb.op = OP_QUIT;
	__atomic_store_n(&mb.seq, mb.seq + 1, __ATOMIC_RELEASE);
	return pthread_join(helper, NULL);
}

static u32 word(struct sharex_lock *l)
{
	return __atomic_load_n(&l->v, __ATOMIC_ACQUIRE);
}

static u16 hword(struct sharex_hp_lock *l)
{
	return __atomic_load_n(&l->v, __ATOMIC_ACQUIRE);
}

/* sharex_lock: each BUSY case, with a reader in an indicator or the word. */
static void test_sharex_busy(void **state)
{
	struct sharex_lock l = { 0 };
	int biased;

	(void)state;
	for (biased = 0; biased < 2; biased++) {
		u32 idle = biased ? SHAREX_BIAS : 0;

		l.v = 0;
		if (biased)
			sharex_set_bias(&l);
		assert_int_equal(word(&l), idle);

		/* A reader on the other thread: exclusive is BUSY. */
		assert_true(other(OP_SH, &l));
		/* With the bias the reader did not write the word. */
		assert_int_equal(word(&l), biased ? idle : 2);
		assert_false(sharex_try_excl(&l));
		/* The failed writer left nothing behind. */
		assert_int_equal(word(&l), biased ? idle : 2);
		/* Readers share. */
		assert_true(sharex_try_shared(&l));
		assert_false(other(OP_EX, &l));
		sharex_release_shared(&l);
		assert_false(sharex_try_excl(&l));
		other(OP_REL_SH, &l);
		assert_int_equal(word(&l), idle);

		/* A writer: shared and exclusive are BUSY on both threads. */
		assert_true(sharex_try_excl(&l));
		assert_false(other(OP_SH, &l));
		assert_false(other(OP_EX, &l));
		assert_false(sharex_try_shared(&l));
		sharex_release_excl(&l);
		/* Release wiped the failed readers' counts, kept the bias. */
		assert_int_equal(word(&l), idle);
		assert_true(other(OP_SH, &l));
		other(OP_REL_SH, &l);

		/* Two holds on one thread (indicator + word): both count. */
		assert_true(other(OP_SH, &l));
		assert_true(other(OP_SH, &l));
		assert_false(sharex_try_excl(&l));
		other(OP_REL_SH, &l);
		assert_false(sharex_try_excl(&l));
		other(OP_REL_SH, &l);
		assert_true(sharex_try_excl(&l));
		sharex_release_excl(&l);
		assert_int_equal(word(&l), idle);
	}
}

/* sharex_hp_lock: each BUSY case, host priority included. */
static void test_sharex_hp_busy(void **state)
{
	struct sharex_hp_lock l = { 0 };
	int biased;

	(void)state;
	for (biased = 0; biased < 2; biased++) {
		u16 idle = biased ? SHAREX_HP_BIAS : 0;

		l.v = 0;
		if (biased)
			sharex_hp_set_bias(&l);

		/* A host reader: host exclusive is BUSY and sets HP. */
		assert_int_equal(other(OP_HP_SH, &l), LOCK_OK);
		assert_int_equal(hword(&l), biased ? idle : SHAREX_HP_RD);
		assert_int_equal(sharex_hp_host_excl(&l), LOCK_BUSY);
		assert_true(hword(&l) & SHAREX_HP);
		assert_false(hword(&l) & SHAREX_X);
		/* HP: a guest reader is refused, a host reader clears it. */
		assert_int_equal(sharex_hp_guest_shared(&l), LOCK_BUSY_HP);
		assert_int_equal(sharex_hp_host_shared(&l), LOCK_OK);
		assert_false(hword(&l) & SHAREX_HP);
		assert_int_equal(sharex_hp_guest_shared(&l), LOCK_OK);
		assert_int_equal(other(OP_HP_EX, &l), LOCK_BUSY);
		sharex_hp_release_shared(&l);
		sharex_hp_release_shared(&l);
		assert_int_equal(sharex_hp_host_excl(&l), LOCK_BUSY);
		other(OP_HP_REL_SH, &l);
		/* No reader left: exclusive succeeds over HP and clears it. */
		assert_int_equal(hword(&l), idle | SHAREX_HP);
		assert_int_equal(sharex_hp_host_excl(&l), LOCK_OK);
		assert_int_equal(hword(&l), idle | SHAREX_X);

		/* A writer: host readers BUSY (setting HP), guests too. */
		assert_int_equal(other(OP_HP_GUEST, &l), LOCK_BUSY);
		assert_int_equal(other(OP_HP_SH, &l), LOCK_BUSY);
		assert_int_equal(other(OP_HP_GUEST, &l), LOCK_BUSY_HP);
		assert_int_equal(other(OP_HP_EX, &l), LOCK_BUSY);
		sharex_hp_release_excl(&l);
		/* Release keeps HP and the bias. */
		assert_int_equal(hword(&l), idle | SHAREX_HP);
		assert_int_equal(other(OP_HP_GUEST, &l), LOCK_BUSY_HP);
		assert_int_equal(other(OP_HP_SH, &l), LOCK_OK);
		other(OP_HP_REL_SH, &l);
		assert_int_equal(hword(&l), idle);

		/* Promote: only by the only reader. */
		assert_int_equal(other(OP_HP_SH, &l), LOCK_OK);
		assert_int_equal(sharex_hp_host_shared(&l), LOCK_OK);
		assert_false(other(OP_HP_PROMOTE, &l));
		assert_false(sharex_hp_promote(&l));
		/* Both holds are still there. */
		assert_int_equal(sharex_hp_host_excl(&l), LOCK_BUSY);
		sharex_hp_release_shared(&l);
		assert_true(other(OP_HP_PROMOTE, &l));
		assert_int_equal(sharex_hp_host_shared(&l), LOCK_BUSY);
		other(OP_HP_REL_EX, &l);
		assert_int_equal(hword(&l), idle | SHAREX_HP);
		assert_int_equal(sharex_hp_host_shared(&l), LOCK_OK);
		assert_true(sharex_hp_promote(&l));
		sharex_hp_release_excl(&l);
		assert_int_equal(hword(&l), idle);

		/* Bias cleared under the exclusive hold: readers use the word. */
		if (biased) {
			assert_int_equal(sharex_hp_host_excl(&l), LOCK_OK);
			sharex_hp_clear_bias(&l);
			sharex_hp_release_excl(&l);
			assert_int_equal(other(OP_HP_SH, &l), LOCK_OK);
			assert_int_equal(hword(&l), SHAREX_HP_RD);
			other(OP_HP_REL_SH, &l);
			assert_int_equal(hword(&l), 0);
		}
	}
}

/*
 * The two race windows, opened by the module's test hook: a writer's
 * exclusive bit lands between a reader's indicator and its look at the
 * word (the reader must withdraw and answer BUSY), and a reader commits
 * between a writer's first look at the indicators and its compare-exchange
 * (the writer must answer BUSY and leave the word as it was).
 */
static int window_where = -1;
static bool window_hp;

static void window(void *l, int where)
{
	if (where != window_where)
		return;
	window_where = -1;
	if (where == 0) {
		/* A writer's compare-exchange, its look at the rows to come. */
		if (window_hp)
			__atomic_fetch_or(&((struct sharex_hp_lock *)l)->v,
					  (u16)SHAREX_X, __ATOMIC_SEQ_CST);
		else
			__atomic_fetch_or(&((struct sharex_lock *)l)->v,
					  SHAREX_X, __ATOMIC_SEQ_CST);
	} else {
		assert_int_equal(other(window_hp ? OP_HP_SH : OP_SH, l),
				 window_hp ? LOCK_OK : true);
	}
}

static void test_race_windows(void **state)
{
	struct sharex_lock l = { 0 };
	struct sharex_hp_lock h = { 0 };

	(void)state;
	sharex_set_bias(&l);
	sharex_hp_set_bias(&h);
	sharex_test_window = window;

	window_hp = false;
	window_where = 0;
	assert_false(sharex_try_shared(&l));
	assert_int_equal(window_where, -1);
	sharex_release_excl(&l);	/* the writer's */
	assert_int_equal(word(&l), SHAREX_BIAS);
	/* The reader withdrew: a writer finds nobody. */
	assert_true(other(OP_EX, &l));
	other(OP_REL_EX, &l);

	window_where = 1;
	assert_false(sharex_try_excl(&l));
	assert_int_equal(window_where, -1);
	assert_int_equal(word(&l), SHAREX_BIAS);
	assert_true(sharex_try_shared(&l));
	other(OP_REL_SH, &l);
	sharex_release_shared(&l);
	assert_true(sharex_try_excl(&l));
	sharex_release_excl(&l);

	window_hp = true;
	window_where = 0;
	assert_int_equal(sharex_hp_host_shared(&h), LOCK_BUSY);
	assert_int_equal(hword(&h), SHAREX_HP_BIAS | SHAREX_HP | SHAREX_X);
	sharex_hp_release_excl(&h);
	assert_int_equal(other(OP_HP_EX, &h), LOCK_OK);
	other(OP_HP_REL_EX, &h);

	window_where = 1;
	assert_int_equal(sharex_hp_host_excl(&h), LOCK_BUSY);
	assert_int_equal(hword(&h), SHAREX_HP_BIAS | SHAREX_HP);
	assert_int_equal(sharex_hp_guest_shared(&h), LOCK_BUSY_HP);
	other(OP_HP_REL_SH, &h);
	assert_int_equal(sharex_hp_host_excl(&h), LOCK_OK);
	sharex_hp_release_excl(&h);

	sharex_test_window = NULL;
}

/*
 * Contention: threads take one biased lock of each kind shared or
 * exclusive at random; a writer must find nobody inside, a reader no
 * writer. The plain counter is written by writers only and read by
 * readers: ThreadSanitizer checks the locks order them.
 */
#define STRESS_THREADS	4
#define STRESS_ITERS	20000

static struct sharex_lock s_lock;
static struct sharex_hp_lock s_hp;
/* Per lock: who is inside, the data it guards. */
static struct {
	int readers, writers;
	unsigned long data;
} s_in[2];
static int s_bad;
static unsigned long s_ok_sh, s_ok_ex;

static void inside(int which, bool excl)
{
	typeof(&s_in[0]) in = &s_in[which];

	if (excl) {
		if (__atomic_fetch_add(&in->writers, 1, __ATOMIC_ACQ_REL) ||
		    __atomic_load_n(&in->readers, __ATOMIC_ACQUIRE))
			__atomic_store_n(&s_bad, 1, __ATOMIC_RELAXED);
		in->data++;
		__atomic_fetch_sub(&in->writers, 1, __ATOMIC_ACQ_REL);
	} else {
		__atomic_fetch_add(&in->readers, 1, __ATOMIC_ACQ_REL);
		if (__atomic_load_n(&in->writers, __ATOMIC_ACQUIRE))
			__atomic_store_n(&s_bad, 1, __ATOMIC_RELAXED);
		(void)*(volatile unsigned long *)&in->data;
		__atomic_fetch_sub(&in->readers, 1, __ATOMIC_ACQ_REL);
	}
}

static void *stress_fn(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg * 2654435761U + 1;
	int i;

	for (i = 0; i < STRESS_ITERS; i++) {
		bool excl, hp;

		seed = seed * 1103515245U + 12345U;
		excl = (seed >> 16) % 8 == 0;
		hp = (seed >> 20) & 1;
		if (hp) {
			if ((excl ? sharex_hp_host_excl(&s_hp) :
				    sharex_hp_host_shared(&s_hp)) != LOCK_OK)
				continue;
			inside(1, excl);
			if (excl)
				sharex_hp_release_excl(&s_hp);
			else
				sharex_hp_release_shared(&s_hp);
		} else {
			if (!(excl ? sharex_try_excl(&s_lock) :
				     sharex_try_shared(&s_lock)))
				continue;
			inside(0, excl);
			if (excl)
				sharex_release_excl(&s_lock);
			else
				sharex_release_shared(&s_lock);
		}
		__atomic_fetch_add(excl ? &s_ok_ex : &s_ok_sh, 1,
				   __ATOMIC_RELAXED);
	}
	return NULL;
}

static void test_biased_contention(void **state)
{
	pthread_t t[STRESS_THREADS];
	int i;

	(void)state;
	sharex_set_bias(&s_lock);
	sharex_hp_set_bias(&s_hp);
	for (i = 0; i < STRESS_THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, stress_fn,
						(void *)(uintptr_t)i), 0);
	for (i = 0; i < STRESS_THREADS; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(s_bad, 0);
	/* Both kinds of hold happened; everything was given back. */
	assert_true(s_ok_sh > 0);
	assert_true(s_ok_ex > 0);
	assert_int_equal(s_lock.v, SHAREX_BIAS);
	assert_int_equal(s_hp.v & (u16)~SHAREX_HP, SHAREX_HP_BIAS);
	assert_true(sharex_try_excl(&s_lock));
	assert_int_equal(sharex_hp_host_excl(&s_hp), LOCK_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sharex_busy),
		cmocka_unit_test(test_sharex_hp_busy),
		cmocka_unit_test(test_race_windows),
		cmocka_unit_test(test_biased_contention),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
