/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tdxsim's fuzzer (include/tdxsim/fuzz.h) inside: the program model shared
 * by the text format (fuzz_program.c, fuzz_parse.c), the generator
 * (fuzz_gen.c), the executor and its oracles (fuzz_exec.c, fuzz_allow.c,
 * fuzz_oracle.c) and the shrinker (fuzz_shrink.c). Public headers only,
 * like every scenario.
 */
#ifndef TDXSIM_SCENARIO_FUZZ_INTERNAL_H
#define TDXSIM_SCENARIO_FUZZ_INTERNAL_H

#include "tdxsim/fuzz.h"
#include "tdxsim/sched.h"
#include "tdxsim/tdxsim.h"
#include "ulib/compiler.h"
#include "ulib/strbuf.h"

#define FZ_MAX_TDS	2		/* TDs per program (the second: --tds 2) */
#define FZ_MAX_VCPUS	3
#define FZ_MAX_GMEMS	2
#define FZ_MAX_SLOTS	3
#define FZ_MAX_TASKS	4
#define FZ_MAX_OPS	24		/* per task, and in the set-up */
#define FZ_MAX_COMMENTS	16
#define FZ_MAX_GMEM_SIZE (64ULL << 20)
/* Schedule points after which a run counts as livelocked. */
#define FZ_MAX_STEPS	1000000

enum fz_op_kind {
	/* VMM operations (set-up and VMM tasks). */
	FZ_PUNCH,		/* fallocate(PUNCH_HOLE) on guest_memfd @obj */
	FZ_ALLOC,		/* fallocate(KEEP_SIZE) on guest_memfd @obj */
	FZ_ATTR,		/* KVM_SET_MEMORY_ATTRIBUTES, @flag: private */
	FZ_PREFAULT,		/* KVM_PRE_FAULT_MEMORY on vCPU @obj */
	FZ_SLOT_DELETE,		/* memslot @obj deleted */
	FZ_SLOT_ADD,		/* memslot @obj (re-)added as declared */
	FZ_INIT_VCPU,		/* KVM_TDX_INIT_VCPU of vCPU @obj */
	FZ_INIT_MEM,		/* KVM_TDX_INIT_MEM_REGION on vCPU @obj, @flag: measure */
	FZ_FINALIZE,		/* KVM_TDX_FINALIZE_VM */
	FZ_CLOSE,		/* close one descriptor (@target, @obj) */
	FZ_TEARDOWN,		/* close every descriptor, in @order; @flag: exit */
	FZ_HOST_READ,		/* a host load through guest_memfd @obj's mmap */
	FZ_HOST_WRITE,		/* a host store (the host's canary) */
	/* Guest operations (vCPU tasks): docs/guest-programs.md. */
	FZ_G_ACCEPT,		/* @flag: enum fz_accept */
	FZ_G_WRITE,		/* @flag: shared; @pattern */
	FZ_G_READ,		/* @flag: shared */
	FZ_G_MAPGPA,		/* @flag: shared */
	FZ_G_TOUCH,
	FZ_NR_OPS,
};

enum fz_accept { FZ_ACCEPT_FALLBACK, FZ_ACCEPT_4K, FZ_ACCEPT_2M };

/*
 * FZ_TEARDOWN with @flag set is "exit": the VMM process of that TD goes
 * away, every descriptor closed (in @order: all of them) and its mappings
 * (guest_memfd, kvm_run) unmapped, so the VM is destroyed in that task.
 */
#define FZ_TEARDOWN_EXIT	1

/*
 * FZ_ALLOC with @flag FZ_ALLOC_EDGE is "alloc G OFF SIZE edge=N" (@pattern:
 * N, 0..511): page by page, stopping N pages before a 2M block's end.
 */
#define FZ_ALLOC_EDGE		1

/* What FZ_CLOSE closes, and the entries of a teardown order. */
enum fz_target { FZ_T_VCPU, FZ_T_GMEM, FZ_T_VM, FZ_T_KVM };

#define FZ_MAX_ORDER	(FZ_MAX_VCPUS + FZ_MAX_GMEMS + 2)

struct fz_obj {
	u8 target;		/* enum fz_target */
	u8 index;		/* vCPU or guest_memfd number */
};

struct fz_op {
	u8 kind;		/* enum fz_op_kind */
	u8 obj;			/* guest_memfd, vCPU or slot number */
	u8 flag;
	u8 nr_order;
	u8 td;			/* the TD whose objects @obj and @order name */
	u32 pattern;		/* FZ_G_WRITE; FZ_ALLOC_EDGE: N */
	u64 a;			/* GPA or file offset */
	u64 b;			/* size in bytes, or pages (FZ_INIT_MEM) */
	struct fz_obj order[FZ_MAX_ORDER];	/* FZ_CLOSE: [0]; FZ_TEARDOWN */
};

enum fz_task_kind { FZ_TASK_VMM, FZ_TASK_VCPU };

struct fz_task {
	u8 kind;		/* enum fz_task_kind */
	u8 vcpu;		/* FZ_TASK_VCPU: the vCPU it runs */
	u8 td;			/* FZ_TASK_VCPU: that vCPU's TD */
	unsigned int nr_ops;
	struct fz_op ops[FZ_MAX_OPS];
};

struct fz_gmem {
	bool present;
	u64 size;
};

struct fz_slot {
	bool present;		/* declared */
	u8 gmem;
	u64 gpa, size, offset;
};

/* One TD: its own VM fd, guest_memfd files, memslots and vCPUs. */
struct fz_td {
	unsigned int nr_vcpus;
	struct fz_gmem gmem[FZ_MAX_GMEMS];
	struct fz_slot slot[FZ_MAX_SLOTS];
};

struct tdxsim_fuzz_program {
	char kernel[64];	/* the profile's name ("" if none) */
	char design[256];	/* design switches on top of it */
	/*
	 * TD 0, and TD 1 when @nr_tds is 2: both on one host (one module,
	 * one page allocator), so their pages share 2M PAMT regions.
	 */
	unsigned int nr_tds;
	struct fz_td td[FZ_MAX_TDS];
	/* The schedule. */
	enum tdxsim_sched_strategy strategy;
	u64 sched_seed;
	unsigned int pct_depth;		/* 0: default */
	u64 pct_steps;			/* 0: default */
	char *choices;			/* TDXSIM_STRATEGY_REPLAY (malloc'd) */
	u64 max_steps;			/* 0: FZ_MAX_STEPS */
	/* Set-up (sequential, before the tasks) and the racing tasks. */
	unsigned int nr_setup;
	struct fz_op setup[FZ_MAX_OPS];
	unsigned int nr_tasks;
	struct fz_task tasks[FZ_MAX_TASKS];
	unsigned int nr_comments;
	char *comments[FZ_MAX_COMMENTS];
};

/* fuzz_program.c */
bool fz_op_is_guest(enum fz_op_kind k);
const char *fz_op_name(enum fz_op_kind k);
/* One operation as a line of the text format (no newline). */
void fz_op_format(const struct fz_op *op, struct strbuf *sb);
const char *fz_target_name(enum fz_target t);
/*
 * The program as TD @td alone sees it: TD @td's declarations as TD 0, its
 * set-up operations, and every task (same indices) with only its
 * operations on TD @td; vCPU tasks of the other TD become empty VMM tasks.
 * For a one-TD program and @td 0, a plain copy.
 */
struct tdxsim_fuzz_program *fz_program_view(const struct tdxsim_fuzz_program *p,
					    unsigned int td);
/* Fill the exit @op's order: every descriptor of @td (vCPUs, gmem, vm, kvm). */
void fz_exit_order(const struct fz_td *td, struct fz_op *op);
/* The GPA range [*lo, *hi) an operation touches (0, 0 if none). */
void fz_op_gpa_range(const struct tdxsim_fuzz_program *p,
		     const struct fz_op *op, u64 *lo, u64 *hi);
/* Resolve the program's kernel and design into @d. */
int fz_program_design(const struct tdxsim_fuzz_program *p,
		      struct tdxsim_design *d, char *err, size_t errlen);
/* The guest program text of TD @td's vCPU tasks (docs/guest-programs.md). */
void fz_guest_text(const struct tdxsim_fuzz_program *p, unsigned int td,
		   struct strbuf *sb);

/* fuzz_exec.c */
struct fz_run;
int fz_run_program(const struct tdxsim_fuzz_program *p,
		   struct tdxsim_fuzz_outcome *out);

/* PRNG (splitmix64). */
static inline u64 fz_mix64(u64 x)
{
	x += 0x9E3779B97F4A7C15ULL;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
	return x ^ (x >> 31);
}

#endif /* TDXSIM_SCENARIO_FUZZ_INTERNAL_H */
