/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private state of the guest model (src/guest). Tests include it to check
 * the parser and the record; nothing else should.
 */
#ifndef TDXSIM_GUEST_GUEST_INTERNAL_H
#define TDXSIM_GUEST_GUEST_INTERNAL_H

#include "ulib/compiler.h"
#include "seam/tdcall.h"
#include "tdxsim/guest.h"

/* ---------------------------------------------------------------------- */
/* Operations and programs (program.c).                                    */
/* ---------------------------------------------------------------------- */

enum gop_kind {
	GOP_ACCEPT,
	GOP_WRITE,
	GOP_READ,
	GOP_MAPGPA,
	GOP_TOUCH,
	GOP_HALT,
	GOP_REPORT,
	GOP_QUOTE,
	GOP_PIO,
	GOP_MMIO,
};

struct gop {
	u8 kind;		/* enum gop_kind */
	u8 policy;		/* ACCEPT: enum tdxsim_accept_policy */
	bool shared;		/* WRITE/READ: through the shared alias;
				 * MAPGPA: to shared (else to private) */
	u32 pattern;		/* WRITE: pattern id (1..GREC_PATTERN_MAX) */
	u32 line;		/* program line (0 for workloads) */
	u32 col;
	u64 gpa;		/* private GPA (shared bit never set here) */
	u64 size;		/* bytes, multiple of 4K; PIO/MMIO: 1..8 */
	u64 value;		/* PIO/MMIO: the value written */
};

struct gprog {
	struct gop *ops;
	unsigned int nr;
	unsigned int cap;
};

/* Append an operation to @p. */
void gprog_add(struct gprog *p, const struct gop *op);
void gprog_free(struct gprog *p);
/* Text of @op ("accept 0x100000 2M level=2m-fallback") into @buf. */
void gop_format(const struct gop *op, char *buf, size_t len);

/* Largest GPA + 1 a program may name (52-bit GPA space). */
#define GUEST_GPA_LIMIT		BIT_ULL(52)

/*
 * Parse program @text for @nr_vcpus vCPUs into @progs[0..nr_vcpus-1].
 * Returns 0, or -EINVAL with "name:line:col: message" in @err.
 */
int guest_program_parse(const char *text, const char *name,
			unsigned int nr_vcpus, u64 seed, struct gprog *progs,
			char *err, size_t errlen);

/* ---------------------------------------------------------------------- */
/* The record: what each 4K page must contain (record.c).                  */
/* ---------------------------------------------------------------------- */

/*
 * One u32 per 4K page: state in bits 31:28, a pattern id in bits 27:0.
 * Pages never touched read as GREC_NONE.
 */
enum grec_state {
	GREC_NONE = 0,		/* never touched: unknown, not checked */
	GREC_UNACCEPTED,	/* private, not accepted by this guest */
	GREC_ZERO,		/* private, accepted: must read zero */
	GREC_PRIV,		/* private: must read pattern id */
	GREC_PRIV_UNKNOWN,	/* private, accepted by firmware: unchecked */
	GREC_SHARED,		/* shared, host-owned bytes; must not read as
				 * the private pattern id it had (0: none) */
	GREC_SHARED_PAT,	/* shared, written by the guest: pattern id */
};

#define GREC_STATE_SHIFT	28
#define GREC_PATTERN_MAX	((1U << GREC_STATE_SHIFT) - 1)

static inline u32 grec_make(enum grec_state s, u32 pattern)
{
	return ((u32)s << GREC_STATE_SHIFT) | (pattern & GREC_PATTERN_MAX);
}

static inline enum grec_state grec_state(u32 v)
{
	return (enum grec_state)(v >> GREC_STATE_SHIFT);
}

static inline u32 grec_pattern(u32 v)
{
	return v & GREC_PATTERN_MAX;
}

/*
 * Sparse array indexed by gfn: a directory of 1G slots (grown on demand)
 * pointing at 512 pointers to 2M leaves of 512 entries. No operation scans
 * more than the pages it is given.
 */
struct grec_leaf {
	u32 e[512];
};

struct grec_mid {
	struct grec_leaf *leaf[512];
};

struct grec {
	struct grec_mid **dir;
	u64 nr_dir;
	u64 leaves;		/* 2M leaves allocated */
};

u32 grec_get(const struct grec *r, u64 gfn);
void grec_set(struct grec *r, u64 gfn, u32 v);
void grec_free(struct grec *r);

/* What accepting / converting / writing does to the expectation of a page. */
u32 grec_after_accept(u32 old, bool already_accepted, bool in_unaccepted_ram);
u32 grec_after_to_shared(u32 old);
u32 grec_after_to_private(u32 old);
u32 grec_after_write(u32 old, bool shared, u32 pattern);
/*
 * True if a successful (zeroing) accept of a page recorded as @old means
 * the guest lost data it had (the host dropped an accepted page).
 */
bool grec_accept_loses_data(u32 old);

/* Fill @page with pattern @pattern for guest frame @gfn. */
void grec_fill(void *page, u64 gfn, u32 pattern);

/*
 * Check @page (just read at @gfn through the private or shared alias per
 * @shared) against record @v. Returns 0 if it matches (or @v says nothing),
 * else -1 with a description in @msg.
 */
int grec_check(u32 v, u64 gfn, bool shared, const void *page, char *msg,
	       size_t msglen);

/* ---------------------------------------------------------------------- */
/* Workloads (workload.c).                                                 */
/* ---------------------------------------------------------------------- */

enum guest_workload {
	GW_PROGRAM = -1,
	GW_LAZY_ACCEPT = 0,
	GW_EAGER_ACCEPT,
	GW_CONVERT_CHURN,
	GW_RANDOM,
	GW_LINUX_BOOT,
	GW_NR,
};

/* Index of workload @name, or -1. */
int guest_workload_lookup(const char *name);

/* Most shared (concurrently accepted) 2M regions a workload takes. */
#define GW_MAX_SHARED	64

/* Per-vCPU inputs of a workload generator. */
struct gw_params {
	enum guest_workload workload;
	unsigned int vcpu;
	unsigned int nr_vcpus;
	u64 seed;
	u64 chunk_size;
	enum tdxsim_accept_policy policy;
	unsigned int nr_ops;
	unsigned int shared_regions;
	u64 working_set;	/* linux-boot: bytes written and verified */
	unsigned int nr_ranges;
	const struct tdxsim_ram_range *ranges;
};

/*
 * Generate vCPU @p->vcpu's program of workload @p->workload into @prog.
 * Returns 0, or -EINVAL with a message in @err (no unaccepted RAM).
 */
int guest_workload_generate(const struct gw_params *p, struct gprog *prog,
			    char *err, size_t errlen);

/* A piece of a vCPU's RAM part. */
struct gw_seg {
	u64 base;
	u64 size;
};

/*
 * The RAM layout workloads use: the concurrently accepted shared 2M
 * regions, and the disjoint part of vCPU @vcpu. Returns the number of
 * segments written to @part (at most @max_part), or -E2BIG.
 */
int guest_layout(const struct tdxsim_ram_range *ranges, unsigned int nr_ranges,
		 unsigned int shared_regions, unsigned int nr_vcpus,
		 unsigned int vcpu, u64 *shared_base, unsigned int *nr_shared,
		 struct gw_seg *part, unsigned int max_part);

/* ---------------------------------------------------------------------- */
/* The model and its vCPUs (guest.c, exec.c).                              */
/* ---------------------------------------------------------------------- */

#define GUEST_MAX_MSGS		32
#define GUEST_HOB_MAX		(16 * PAGE_SIZE)

struct tdxsim_guest_model;

struct gvcpu {
	struct tdxsim_guest_model *g;
	unsigned int index;
	struct gprog prog;
	bool prog_ready;	/* program generated (HOB read if needed) */
	/* Execution state (only the vCPU's thread touches it). */
	unsigned int pc;
	bool op_started;
	u64 cur;		/* next GPA inside the current operation */
	u64 fallback_end;	/* accepting at 4K up to here (2M fallback) */
	unsigned int step;	/* REPORT/QUOTE: steps of the operation done */
	bool ve_pending;	/* a #VE handler accept is in progress */
	u64 ve_gpa;
	u32 hob_read;		/* bytes of the TD HOB read so far */
	u8 *hob;
	u64 shared_mask;
	/* Results. */
	bool started;
	bool halted;
	bool failed;
	struct tdxsim_guest_stats stats;
	unsigned int nr_msgs;
	char *msgs[GUEST_MAX_MSGS];
	struct grec rec;
	bool have_report;	/* tdreport holds this vCPU's last TDREPORT */
	u8 tdreport[1024];
	u8 wbuf[PAGE_SIZE] __attribute__((aligned(64)));
	u8 rbuf[PAGE_SIZE] __attribute__((aligned(64)));
};

struct tdxsim_guest_model {
	enum guest_workload workload;
	struct tdxsim_guest_config cfg;		/* strings not kept */
	unsigned int nr_vcpus;
	struct gvcpu **vcpus;
};

/* Record a failure message for @v (kept up to GUEST_MAX_MSGS). */
void gvcpu_msg(struct gvcpu *v, const char *fmt, ...) __printf(2, 3);

/* Is @gpa inside RAM of type UNACCEPTED of the model's configuration? */
bool guest_in_unaccepted_ram(const struct tdxsim_guest_model *g, u64 gpa);

/* The guest code (exec.c): struct tdx_guest_ops.run. */
int guest_run(void *guest, struct tdx_vcpu_ctx *ctx);

/* Statistics update (atomic: readers may poll while the vCPU runs). */
#define GSTAT_ADD(v, field, n)	\
	__atomic_fetch_add(&(v)->stats.field, (n), __ATOMIC_RELAXED)
#define GSTAT_INC(v, field)	GSTAT_ADD(v, field, 1)

/* Deterministic 64-bit generator (splitmix64). */
static inline u64 guest_mix64(u64 x)
{
	x += 0x9E3779B97F4A7C15ULL;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
	return x ^ (x >> 31);
}

struct grng {
	u64 s;
};

static inline u64 grng_next(struct grng *r)
{
	r->s += 0x9E3779B97F4A7C15ULL;
	return guest_mix64(r->s);
}

/* Uniform in [0, n) (n > 0). */
static inline u64 grng_below(struct grng *r, u64 n)
{
	return grng_next(r) % n;
}

#endif /* TDXSIM_GUEST_GUEST_INTERNAL_H */
