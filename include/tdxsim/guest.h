/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tdxsim's guest model: the code a TD's vCPUs run.
 *
 * A guest model is a program of operations per vCPU: accept a range at 4K
 * or 2M (with Linux's fallback to 4K on TDX_PAGE_SIZE_MISMATCH), write a
 * pattern, read and verify, MapGPA to shared or to private, touch a page
 * without accepting it, halt. It is built from a workload name (see
 * tdxsim_guest_workloads()) or from a program text (docs/guest-programs.md).
 *
 * Each vCPU keeps its own record of what every page it touched must hold
 * and verifies every page it reads against it, so data lost or leaked by
 * the host side (a conversion that shows private bytes, an accept that does
 * not zero, a split that loses a page) is reported as a data-check failure.
 *
 * The VMM attaches the model to a vCPU with the TDXSIM_SET_GUEST control
 * (tdxsim.h): ops = tdxsim_guest_ops(), guest = tdxsim_guest_vcpu(g, i).
 * The model then runs on that vCPU's thread inside KVM_RUN.
 */
#ifndef TDXSIM_GUEST_H
#define TDXSIM_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A guest model (all of its vCPUs). */
struct tdxsim_guest_model;

/* How the guest accepts a range (Linux's accept_memory() is 2M_FALLBACK). */
enum tdxsim_accept_policy {
	/* 2M where the range allows it, 4K on TDX_PAGE_SIZE_MISMATCH. */
	TDXSIM_ACCEPT_2M_FALLBACK = 0,
	/* 4K pages only. */
	TDXSIM_ACCEPT_4K = 1,
	/*
	 * 2M where the range allows it, 4K for its unaligned ends; a
	 * TDX_PAGE_SIZE_MISMATCH is an error (the vCPU stops).
	 */
	TDXSIM_ACCEPT_2M = 2,
};

/* PI resource types the guest understands in the TD HOB. */
#define TDXSIM_RAM_SYSTEM	0	/* EFI_RESOURCE_SYSTEM_MEMORY: accepted */
#define TDXSIM_RAM_UNACCEPTED	7	/* EFI_RESOURCE_MEMORY_UNACCEPTED */

/* A range of guest RAM (GPA, private view). */
struct tdxsim_ram_range {
	uint64_t base;		/* 4K-aligned GPA */
	uint64_t size;		/* bytes, multiple of 4K */
	uint32_t type;		/* TDXSIM_RAM_UNACCEPTED or TDXSIM_RAM_SYSTEM */
};

#define TDXSIM_GUEST_MAX_RANGES		32
#define TDXSIM_GUEST_MAX_VCPUS		256

struct tdxsim_guest_config {
	/* Workload name (tdxsim_guest_create() without @program). */
	const char *workload;
	/* Program text: if set, tdxsim_guest_create() parses it instead. */
	const char *program;
	/* Name of the program for messages (a file name; default "<program>"). */
	const char *program_name;
	unsigned int nr_vcpus;		/* >= 1 */
	uint64_t seed;			/* patterns and the random workload */
	/*
	 * Learn the RAM from the TD HOB at the vCPU's initial RCX (TDVF's
	 * hand-off) instead of @ranges; each vCPU reads it at its first run.
	 * Workloads only.
	 */
	bool ram_from_hob;
	unsigned int nr_ranges;
	struct tdxsim_ram_range ranges[TDXSIM_GUEST_MAX_RANGES];
	/* Workload parameters (0 = default). */
	uint64_t chunk_size;		/* lazy-accept chunk: power of 2 (4M) */
	enum tdxsim_accept_policy accept;
	/*
	 * lazy-accept / eager-accept: pages re-verified at the end (64);
	 * convert-churn: conversion rounds per vCPU (16); random: ops per vCPU
	 * (200).
	 */
	unsigned int nr_ops;
	/*
	 * Number of 2M regions (taken first from the unaccepted RAM) that every
	 * vCPU accepts concurrently before its own part; each vCPU then writes
	 * and verifies only its share of their pages. Workloads only; at
	 * most 64.
	 */
	unsigned int shared_regions;
	/*
	 * linux-boot: bytes of RAM the guest writes and verifies as it
	 * accepts it (0: the default, 2 GiB; capped at the unaccepted RAM).
	 */
	uint64_t working_set;
};

/* Fill @cfg with the defaults (one vCPU, seed 1, policy 2M_FALLBACK). */
void tdxsim_guest_config_init(struct tdxsim_guest_config *cfg);

/*
 * Create a guest model from @cfg: the workload @cfg->workload, or the
 * program text @cfg->program. Returns 0, or -EINVAL with a message in @err
 * (for programs: "name:line:col: message").
 */
int tdxsim_guest_create(const struct tdxsim_guest_config *cfg,
			struct tdxsim_guest_model **out, char *err,
			size_t errlen);

/*
 * Create a guest model from program @text (named @name in messages) with
 * the vCPU count and seed of @cfg. Returns 0 or -EINVAL with @err set to
 * "name:line:col: message".
 */
int tdxsim_guest_parse(const char *text, const char *name,
		       const struct tdxsim_guest_config *cfg,
		       struct tdxsim_guest_model **out, char *err,
		       size_t errlen);

/* Free a guest model (its vCPUs must no longer run). NULL is ignored. */
void tdxsim_guest_destroy(struct tdxsim_guest_model *g);

/* The guest code to attach to every vCPU (a struct tdx_guest_ops, opaque). */
const void *tdxsim_guest_ops(void);
/* The per-vCPU guest pointer for vCPU @vcpu_index, NULL if out of range. */
void *tdxsim_guest_vcpu(struct tdxsim_guest_model *g, unsigned int vcpu_index);
/* Number of vCPUs of the model. */
unsigned int tdxsim_guest_nr_vcpus(const struct tdxsim_guest_model *g);

/* Counters of one vCPU, or of all (TDXSIM_GUEST_ALL_VCPUS). */
struct tdxsim_guest_stats {
	uint64_t accepts_4k;		/* successful 4K accepts */
	uint64_t accepts_2m;		/* successful 2M accepts */
	uint64_t fallbacks;		/* 2M accepts that got PAGE_SIZE_MISMATCH */
	uint64_t already_accepted;	/* TDX_PAGE_ALREADY_ACCEPTED answers */
	uint64_t busy_retries;		/* TDX_OPERAND_BUSY answers (retried) */
	uint64_t exits;			/* operations re-executed after a TD exit */
	uint64_t bytes_written;
	uint64_t bytes_verified;	/* bytes read and checked against the record */
	uint64_t data_failures;		/* pages whose content was wrong */
	uint64_t mapgpa;		/* MapGPA TDVMCALLs completed */
	uint64_t mapgpa_retries;	/* TDVMCALL_STATUS_RETRY answers */
	uint64_t touches;		/* touch operations completed */
	uint64_t ve_accepts;		/* pages accepted by the #VE handler */
	uint64_t errors;		/* unexpected TDCALL results (vCPU stopped) */
	uint64_t ops_done;		/* program operations completed */
	uint64_t reports;		/* TDG.MR.REPORTs done (report) */
	uint64_t quotes;		/* GetQuote TDVMCALLs answered SUCCESS */
	uint64_t device_writes;		/* pio/mmio writes the host completed */
};

#define TDXSIM_GUEST_ALL_VCPUS	(~0U)

/* Copy the counters (summed over vCPUs for TDXSIM_GUEST_ALL_VCPUS). 0 or -EINVAL. */
int tdxsim_guest_get_stats(const struct tdxsim_guest_model *g,
			   unsigned int vcpu, struct tdxsim_guest_stats *st);

/* Where one vCPU is in its program. */
struct tdxsim_guest_vcpu_status {
	bool started;		/* has run at least once */
	bool halted;		/* reached halt or the end of its program */
	bool failed;		/* stopped on an unexpected TDCALL result */
	unsigned int pc;	/* index of the current operation */
	unsigned int nr_ops;	/* operations in its program */
	unsigned int line;	/* program line of the current operation (0: workload) */
	char op[96];		/* the current operation, as text ("" when halted) */
};

/* Read the status of vCPU @vcpu. Returns 0 or -EINVAL. */
int tdxsim_guest_vcpu_status(const struct tdxsim_guest_model *g,
			     unsigned int vcpu,
			     struct tdxsim_guest_vcpu_status *st);
/* True when every vCPU halted normally (reached halt or its program's end). */
bool tdxsim_guest_finished(const struct tdxsim_guest_model *g);
/* Number of data-check failures over all vCPUs. */
uint64_t tdxsim_guest_data_failures(const struct tdxsim_guest_model *g);

/*
 * Fill the 4K @page with what `write GPA 4K pattern=@pattern` stores at the
 * 4K-aligned private GPA @gpa: a VMM that scans what it can read for a
 * guest's private bytes (tdxsim fuzz's leak check) compares against it.
 */
void tdxsim_guest_pattern_fill(void *page, uint64_t gpa, uint32_t pattern);

/*
 * Failure messages kept (data-check failures with GPA, expected and actual
 * bytes; unexpected TDCALL results), at most 32 per vCPU, in vCPU order.
 */
size_t tdxsim_guest_nr_messages(const struct tdxsim_guest_model *g);
/* The @i-th failure message, NULL past the end. */
const char *tdxsim_guest_message(const struct tdxsim_guest_model *g, size_t i);

/* A built-in workload. */
struct tdxsim_guest_workload {
	const char *name;
	const char *description;	/* one line */
};

/* The built-in workloads; *@n gets their number. */
const struct tdxsim_guest_workload *tdxsim_guest_workloads(size_t *n);

/* Parse "4k", "2m" or "2m-fallback". Returns 0 or -EINVAL. */
int tdxsim_guest_parse_accept_policy(const char *s,
				     enum tdxsim_accept_policy *out);
/* The name of an accept policy ("2m-fallback"). */
const char *tdxsim_guest_accept_policy_name(enum tdxsim_accept_policy p);
/* Parse a number with an optional K/M/G suffix ("0x1000", "4M"). 0 or -EINVAL. */
int tdxsim_guest_parse_size(const char *s, uint64_t *out);

/* ---- TD HOB (PI hand-off blocks) ---- */

#define TDXSIM_HOB_TYPE_HANDOFF			0x0001	/* PHIT */
#define TDXSIM_HOB_TYPE_RESOURCE_DESCRIPTOR	0x0003
#define TDXSIM_HOB_TYPE_END_OF_HOB_LIST		0xFFFF

/*
 * Build a PI HOB list for a TD HOB at GPA @hob_gpa into @buf (@len bytes,
 * the TD HOB area): a PHIT HOB, one resource descriptor HOB per range of
 * @ranges (ResourceType = the range's type), an end-of-list HOB. Returns the
 * length written, -ENOSPC if @len is too small, -EINVAL for a bad range.
 */
long tdxsim_guest_hob_build(void *buf, size_t len, uint64_t hob_gpa,
			    const struct tdxsim_ram_range *ranges,
			    unsigned int nr_ranges);

/*
 * Parse a HOB list: the resource descriptors of type SYSTEM or UNACCEPTED,
 * in order, into @ranges. Returns their number, -EINVAL for a malformed
 * list (no PHIT first, a bad length, no end HOB within @len) or -E2BIG if
 * more than @max ranges.
 */
int tdxsim_guest_hob_parse(const void *buf, size_t len,
			   struct tdxsim_ram_range *ranges, unsigned int max);

#ifdef __cplusplus
}
#endif

#endif /* TDXSIM_GUEST_H */
