/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The guest model on the whole stack, for test_guest_module.c and
 * test_guest_events.c: build a TD through the uAPI the way a VMM builds it
 * (tests/testlib) with a guest model inside, run its vCPUs (free or under
 * the deterministic scheduler, optionally with a VMM task sending MSIs or
 * a VMM that answers MapGPA without converting), and gather what the host
 * saw: exits, SEAMCALLs, splits, 2M leaves, KVM's statistics.
 */
#ifndef TDXSIM_TESTS_GUEST_STACK_H
#define TDXSIM_TESTS_GUEST_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tdxsim/guest.h"
#include "tdxsim/sched.h"
#include "tdxsim/tdx.h"
#include "testlib/kvm_util_internal.h"

#define RAM_BASE	(4ULL << 20)
#define RAM_SIZE	(32ULL << 20)
#define HUGE		"next+hugepage-rfc"

struct gs_cfg {
	unsigned int nr_vcpus;
	const char *kernel;		/* NULL: the default profile */
	bool no_sept_ve_disable;
	uint64_t memory;		/* 0: RAM_BASE + RAM_SIZE */
	/* 2M blocks pre-faulted (PENDING) after finalize. */
	uint64_t premap_2m[4];
	unsigned int nr_premap;
	/* A TD HOB PAGE.ADDed at @hob_gpa, the vCPUs' initial RCX. */
	uint64_t hob_gpa;
	const void *hob;
	size_t hob_len;
	/* An MSI to vCPU 0 right after its first MapGPA exit. */
	bool msi_after_mapgpa;
	/* A VMM task sends this many MSIs round-robin while vCPUs run. */
	unsigned int msi_storm;
	/* MapGPA answered "done" without converting (a lying VMM). */
	bool lying_host;
	bool deterministic;
	uint64_t seed;
};

struct gs_result {
	int run_err;			/* first failed KVM_RUN: -errno */
	bool vm_dead;
	unsigned int halted;		/* vCPUs whose last exit was HLT */
	uint64_t interrupt_exits, ept_exits, accept_exits, splits;
	uint64_t augs, removes, demotes, mapgpa_exits, msis;
	uint64_t leaves_2m;		/* 2M leaves in the mirror at the end */
	enum sched_verdict verdict;
	struct tdxsim_stats kvm;
};

/* Build the TD for @g, run it, gather the host's view, tear it down. */
void gs_run(const struct gs_cfg *c, struct tdxsim_guest_model *g,
	    struct gs_result *res);
/*
 * Run and check the common outcome: finished, no failure anywhere (every
 * vCPU halted, no message); @st gets the guest's statistics.
 */
void gs_run_clean(const struct gs_cfg *c, struct tdxsim_guest_model *g,
		  struct gs_result *res, struct tdxsim_guest_stats *st);
/* A built-in workload over RAM_BASE..RAM_BASE + RAM_SIZE (unaccepted). */
struct tdxsim_guest_model *gs_workload(const char *name,
				       unsigned int nr_vcpus,
				       enum tdxsim_accept_policy pol,
				       unsigned int shared_regions);
/* A guest program (docs/guest-programs.md). */
struct tdxsim_guest_model *gs_program(const char *text,
				      unsigned int nr_vcpus);
/* KVM_SIGNAL_MSI of vector 0x30 to @vcpu: its answer. */
int gs_send_msi(struct td *td, unsigned int vcpu);

#endif /* TDXSIM_TESTS_GUEST_STACK_H */
