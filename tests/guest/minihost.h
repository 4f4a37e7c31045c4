/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A test-only mini host that runs the guest model against the real module
 * without KVM: it builds a TD with SEAMCALLs the way KVM does, then runs a
 * TDH.VP.ENTER loop per vCPU and handles the exits as KVM would (EPT
 * violations by SEPT.ADD + PAGE.AUG, ACCEPT-level exits under a 2M leaf by
 * BLOCK + TRACK + DEMOTE, MapGPA by removing private pages and mapping
 * shared ones in its own small shared EPT, PENDING EPT violations by killing
 * the VM).
 *
 * Guest RAM lives in the GPA window [0, MH_WINDOW).
 */
#ifndef TDXSIM_TESTS_GUEST_MINIHOST_H
#define TDXSIM_TESTS_GUEST_MINIHOST_H

#include "ulib/compiler.h"
#include "tdxsim/guest.h"

#define MH_WINDOW	(256ULL << 20)
#define MH_MAX_VCPUS	8

struct mh_config {
	unsigned int nr_vcpus;
	bool no_sept_ve_disable;	/* the guest gets #VE for PENDING pages */
	bool huge;			/* map 2M where the guest did not ask for 4K */
	/* A TD HOB to PAGE.ADD at @hob_gpa; the vCPUs' initial RCX. */
	u64 hob_gpa;
	const void *hob;
	size_t hob_len;
	/* 2M blocks to AUG (PENDING) after finalize, before the guest runs. */
	u64 premap_2m[8];
	unsigned int nr_premap;
	/* MapGPA: handle at most this many bytes per exit (RETRY); 0 = all. */
	u64 mapgpa_chunk;
	/* Send a vCPU an IPI right after its first MapGPA exit. */
	bool ipi_after_vmcall;
	/*
	 * A broken host for negative tests: a conversion to shared leaves the
	 * private pages mapped (their data survives the round trip).
	 */
	bool bug_keep_private;
	/*
	 * A kicker task sends this many IPIs round-robin to the vCPUs, one
	 * every few schedule points, while they run (deterministic mode).
	 */
	unsigned int ipi_storm;
	/* Run the vCPUs under the deterministic scheduler with this seed. */
	bool deterministic;
	u64 sched_seed;
};

struct mh_result {
	bool killed;			/* PENDING EPT violation: VM killed */
	u64 killed_gpa;
	bool error;			/* a SEAMCALL failed unexpectedly */
	char error_msg[256];
	unsigned int halted;		/* vCPUs that halted */
	/* What the host did. */
	u64 entries;
	u64 ept_exits;			/* private EPT violations (not ACCEPT) */
	u64 accept_exits;		/* EPT violations with EEQ type ACCEPT */
	u64 accept_splits;		/* ACCEPT exits at 4K under a 2M leaf */
	u64 demotes;
	u64 augs_4k;
	u64 augs_2m;
	u64 removes;
	u64 shared_faults;
	u64 mapgpa_exits;
	u64 mapgpa_retries;
	u64 interrupt_exits;
	int sched_verdict;		/* deterministic mode: enum sched_verdict */
};

/* Build the TD, run every vCPU of @g until it halts or the VM dies, tear down. */
int mh_run(const struct mh_config *cfg, struct tdxsim_guest_model *g,
	   struct mh_result *res);

#endif /* TDXSIM_TESTS_GUEST_MINIHOST_H */
