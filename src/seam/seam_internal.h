/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private state of tdxsim's software TDX module. Nothing outside src/seam
 * may include this header: the rest of tdxsim reaches the module only
 * through seamcall.h and tdx_module.h (host), tdcall.h (guest), and
 * diag.h and control.h (tdxsim's checker, controls and tests); the one
 * exception is the unit test of the module's locks (tests/seam/test_locks.c).
 */
#ifndef TDXSIM_SEAM_SEAM_INTERNAL_H
#define TDXSIM_SEAM_SEAM_INTERNAL_H

#include "base/atomic.h"
#include "ulib/compiler.h"
#include "seam/control.h"
#include "seam/diag.h"
#include "seam/seamcall.h"
#include "seam/tdcall.h"
#include "seam/tdx_module.h"

struct evp_md_ctx_st;

/* ---------------------------------------------------------------------- */
/* Try-locks (locks.c; reference §6.1). None of them ever waits.           */
/* ---------------------------------------------------------------------- */

/*
 * sharex_lock_t: bit 0 exclusive, bits 30:1 reader count (+2 each), bit 31
 * reader bias (tdxsim's, see below).
 */
struct sharex_lock {
	u32 v;
};

/*
 * sharex_hp_lock_t: bit 0 exclusive, bit 1 host priority, readers +4 each
 * (bits 14:2), bit 15 reader bias; 16 bits, as in the module's PAMT entry.
 */
struct sharex_hp_lock {
	u16 v;
};

#define SHAREX_X	1U
#define SHAREX_HP	2U
#define SHAREX_HP_RD	4U
#define SHAREX_BIAS	(1U << 31)
#define SHAREX_HP_BIAS	(1U << 15)

enum lock_ret {
	LOCK_OK = 0,
	LOCK_BUSY,		/* TDX_OPERAND_BUSY */
	LOCK_BUSY_HP,		/* ..._BUSY_HOST_PRIORITY (guest only) */
};

bool sharex_try_shared(struct sharex_lock *l);
bool sharex_try_excl(struct sharex_lock *l);
void sharex_release_shared(struct sharex_lock *l);
void sharex_release_excl(struct sharex_lock *l);

/*
 * Reader bias, for the few lock words that every vCPU's SEAMCALLs take
 * shared (the TDR's PAMT entry and its 2M block, OP_STATE, the S-EPT tree
 * and the epoch lock): while the bias bit is set, a shared acquire in free
 * mode marks the lock in its thread's row of reader indicators instead of
 * writing the word, so readers on two CPUs share no written line; an
 * exclusive acquire also looks at the indicators. The answers are the
 * word's: see locks.c. Set on a lock nobody holds exclusively or under its
 * exclusive hold; cleared only under its exclusive hold.
 */
void sharex_set_bias(struct sharex_lock *l);
void sharex_hp_set_bias(struct sharex_hp_lock *l);
void sharex_hp_clear_bias(struct sharex_hp_lock *l);
/*
 * Tests only: called in free mode between a biased reader's indicator and
 * its look at the word (@where 0), and between a biased writer's first
 * look at the indicators and its compare-exchange (@where 1).
 */
extern void (*sharex_test_window)(void *lock, int where);

enum lock_ret sharex_hp_host_shared(struct sharex_hp_lock *l);
enum lock_ret sharex_hp_host_excl(struct sharex_hp_lock *l);
enum lock_ret sharex_hp_guest_shared(struct sharex_hp_lock *l);
void sharex_hp_release_shared(struct sharex_hp_lock *l);
void sharex_hp_release_excl(struct sharex_hp_lock *l);
/* Promote a shared hold to exclusive if the caller is the only reader. */
bool sharex_hp_promote(struct sharex_hp_lock *l);

/* ---------------------------------------------------------------------- */
/* S-EPT entries (sept.c; reference §4).                                   */
/* ---------------------------------------------------------------------- */

#define SEPT_R		BIT_ULL(0)
#define SEPT_W		BIT_ULL(1)
#define SEPT_X		BIT_ULL(2)
#define SEPT_RWX	(SEPT_R | SEPT_W | SEPT_X)
#define SEPT_MT_SHIFT	3
#define SEPT_MT_MASK	(7ULL << SEPT_MT_SHIFT)
#define SEPT_MT_WB	(6ULL << SEPT_MT_SHIFT)
#define SEPT_IPAT	BIT_ULL(6)
#define SEPT_PS		BIT_ULL(7)
#define SEPT_A		BIT_ULL(8)
#define SEPT_D		BIT_ULL(9)
#define SEPT_TDEL	BIT_ULL(11)
#define SEPT_HPA_MASK	GENMASK_ULL(51, 12)
#define SEPT_HP		BIT_ULL(52)
#define SEPT_TDEX	BIT_ULL(53)
#define SEPT_TDBW	BIT_ULL(54)
#define SEPT_TDB	BIT_ULL(55)
#define SEPT_TDP	BIT_ULL(56)
#define SEPT_SVE	BIT_ULL(63)
/* Bits of the 7-bit state encoding. */
#define SEPT_STATE_BITS	(SEPT_D | SEPT_TDEX | SEPT_TDBW | SEPT_TDB | \
			 SEPT_TDP | SEPT_IPAT | SEPT_PS)
/* The lock bits, never part of a value written by a leaf. */
#define SEPT_LOCK_BITS	(SEPT_TDEL | SEPT_HP)
/* 2M PENDING leaf: 4K chunks already zeroed by an interrupted ACCEPT. */
#define SEPT_ACCEPT_CNT_SHIFT	12
#define SEPT_ACCEPT_CNT_MASK	GENMASK_ULL(20, 12)

#define SEPT_FREE_RAW	(SEPT_TDEX | SEPT_TDBW | SEPT_TDB | SEPT_SVE)

enum sept_state {
	SEPT_FREE,
	SEPT_REMOVED,
	SEPT_NL_MAPPED,
	SEPT_NL_BLOCKED,
	SEPT_MAPPED,
	SEPT_BLOCKED,
	SEPT_BLOCKEDW,
	SEPT_EXPORTED_BLOCKEDW,
	SEPT_EXPORTED_DIRTY,
	SEPT_EXPORTED_DIRTY_BLOCKEDW,
	SEPT_PENDING,
	SEPT_PENDING_BLOCKED,
	SEPT_PENDING_BLOCKEDW,
	SEPT_PENDING_EXPORTED_BLOCKEDW,
	SEPT_PENDING_EXPORTED_DIRTY,
	SEPT_PENDING_EXPORTED_DIRTY_BLOCKEDW,
	SEPT_NR_STATES,
	SEPT_BAD_STATE = SEPT_NR_STATES,
};

enum sept_state sept_state_of(u64 e);
u8 sept_public_state(enum sept_state s);
bool sept_state_is_leaf(enum sept_state s);
bool sept_state_any_blocked(enum sept_state s);
bool sept_state_guest_accessible(enum sept_state s);
bool sept_state_tlb_tracking_required(enum sept_state s);
const char *sept_state_name(enum sept_state s);
/* Build the raw entry of @state pointing at @hpa (non-FREE states). */
u64 sept_make(enum sept_state state, u64 hpa);

static inline u64 sept_hpa(u64 e)
{
	return e & SEPT_HPA_MASK;
}

/* Size in bytes of a leaf or the range of an entry at TDX level @level. */
static inline u64 sept_level_size(int level)
{
	return 4096ULL << (9 * level);
}

static inline unsigned int sept_index(u64 gpa, int level)
{
	return (gpa >> (12 + 9 * level)) & 511;
}

/* The 512 entries of the S-EPT page at @pa. */
u64 *sept_page(u64 pa);
/* Fill a new S-EPT page with FREE entries. */
void sept_page_init_free(u64 pa);

/* The HPA of the first 4K page of the leaf @e at @level. */
static inline u64 leaf_base_hpa(u64 e, int level)
{
	return sept_hpa(e) & ~(sept_level_size(level) - 1);
}
/* Entry locks: host sets HP on failure and clears it on success. */
bool sept_entry_lock_host(u64 *ep);
enum lock_ret sept_entry_lock_guest(u64 *ep);
void sept_entry_unlock(u64 *ep);
/* Replace the value of a locked entry, keeping its HP and TDEL bits. */
void sept_entry_set(u64 *ep, u64 val);
static inline u64 sept_entry_read(u64 *ep)
{
	return __atomic_load_n(ep, __ATOMIC_ACQUIRE);
}

/* ---------------------------------------------------------------------- */
/* PAMT (pamt.c; reference §12).                                           */
/* ---------------------------------------------------------------------- */

/*
 * A 4K page's PAMT entry: 16 bytes, as the module's (a 16-bit lock, the
 * page type, the owner TDR and an 8-byte word that holds the BLOCK epoch).
 * Besides what the hardware keeps, tdxsim packs into it the page size of
 * a REG page (the hardware knows it from the PAMT level the entry is in),
 * the lazy-zero state of an accepted page, and in @word the GFN a REG or
 * S-EPT page serves (bits 39:0, next to the low 24 bits of the BLOCK epoch,
 * which is all tracking needs: it compares with the TD epoch modulo 2^24)
 * or the object a TDR or TDVPR page holds (a pointer). The 2M lock lives
 * in its own per-2M array (the hardware's PAMT_2M level).
 */
struct pamt_entry {
	struct sharex_hp_lock lock;	/* this 4K page */
	u8 pt;				/* TDX_PT_* */
	u8 state;			/* PAMT_SIZE_* | PAGE_ZERO_* << 2 */
	u32 owner;			/* owner TDR PFN (0: none) */
	u64 word;			/* see above */
};

_Static_assert(sizeof(struct pamt_entry) == 16, "PAMT entry");

#define PAMT_SIZE_MASK		3U	/* 0 4K, 1 2M, 2 1G (REG pages) */
#define PAMT_ZERO_SHIFT		2
#define PAMT_GFN_BITS		40
#define PAMT_GFN_MASK		((1ULL << PAMT_GFN_BITS) - 1)
#define PAMT_BEPOCH_BITS	(64 - PAMT_GFN_BITS)

extern u64 pamt_nr_pfns;
struct pamt_entry *pamt_entry(u64 pfn);

static inline u64 pamt_owner(const struct pamt_entry *e)
{
	return (u64)READ_ONCE(e->owner) << PAGE_SHIFT;
}

static inline int pamt_size(const struct pamt_entry *e)
{
	return __atomic_load_n(&e->state, __ATOMIC_RELAXED) & PAMT_SIZE_MASK;
}

/* REG/EPT pages: the GPA the page serves. */
static inline u64 pamt_gpa(const struct pamt_entry *e)
{
	return (READ_ONCE(e->word) & PAMT_GFN_MASK) << PAGE_SHIFT;
}

/* TDR/TDVPR pages: the module's object. */
static inline void *pamt_obj(const struct pamt_entry *e)
{
	return (void *)(uintptr_t)READ_ONCE(e->word);
}

/* Stamp the TD epoch @epoch at BLOCK (the entry's page is locked). */
void pamt_set_bepoch(struct pamt_entry *e, u64 epoch);
/* The BLOCK epoch, widened back to 64 bits next to the TD's @td_epoch. */
u64 pamt_bepoch(const struct pamt_entry *e, u64 td_epoch);

/* The lazy-zero state (PAGE_ZERO_*) and its transitions. */
static inline u8 pamt_zero(const struct pamt_entry *e)
{
	return __atomic_load_n(&e->state, __ATOMIC_ACQUIRE) >> PAMT_ZERO_SHIFT;
}
void pamt_zero_set(struct pamt_entry *e, u8 z);
bool pamt_zero_cmpxchg(struct pamt_entry *e, u8 old, u8 new);

/* Is @pa a 4K-aligned address of the PFN space (and not PFN 0)? */
bool pamt_pa_valid(u64 pa);

/* Lock one 4K page for the host: the 2M block shared, then the page. */
enum lock_ret pamt_lock_4k(u64 pfn, bool excl);
void pamt_unlock_4k(u64 pfn, bool excl);
/* Lock the 2M or 1G range at @pfn (aligned) exclusively: its 2M blocks. */
enum lock_ret pamt_lock_range(u64 pfn, int level);
void pamt_unlock_range(u64 pfn, int level);
/* Set type/owner/size/aux of 512^@level pages starting at @pfn. */
void pamt_set(u64 pfn, int level, u8 pt, u64 owner, u64 aux);
/* True if all 512^@level pages from @pfn are TDX_PT_NDA. */
bool pamt_range_free(u64 pfn, int level);
int pamt_init(void);
void pamt_exit(void);
/* The 2M entry's lock of the region holding @pfn. */
struct sharex_hp_lock *pamt_block_lock(u64 pfn);

/*
 * Dynamic PAMT (dpamt.c). tdxsim marks a page-pair page in its PAMT entry
 * with this type (the module keeps a bitmap; the value is tdxsim's).
 */
#define TDX_PT_PAMT	0xfe
bool dpamt_enabled(void);
/* Has the region of @pfn its page pair? */
bool dpamt_has_pair(u64 pfn);
/* A new 4K page @pfn (its region held shared): MISSING_PAMT_PAGE_PAIR|@opid? */
u64 dpamt_check_4k(u64 pfn, u64 opid);
/*
 * Lock and check the pair pages @pa0, @pa1 (operands @opid0, @opid1) for
 * the region at @region_pfn, whose 2M entry the caller holds exclusively;
 * then install them (commit) or unlock them (release).
 */
u64 dpamt_take_pair(u64 region_pfn, u64 pa0, u64 opid0, u64 pa1, u64 opid1);
void dpamt_commit_pair(u64 region_pfn, u64 pa0, u64 pa1);
void dpamt_release_pair(u64 region_pfn, u64 pa0, u64 pa1);
/* Take the region's pair out (2M entry held exclusively); its pages. */
void dpamt_drop_pair(u64 region_pfn, u64 *pa0, u64 *pa1);
int dpamt_init(void);
void dpamt_exit(void);

/* ---------------------------------------------------------------------- */
/* Memory encryption model (mktme.c).                                      */
/* ---------------------------------------------------------------------- */

/*
 * A page TDG.MEM.PAGE.ACCEPT zeroed is only marked (PAGE_ZERO_LAZY): it
 * reads as zeros, and its encrypted zeros are written at the first guest
 * write (PAGE_ZERO_BUSY while that happens). An accepted page thus costs
 * host memory only once the guest writes it.
 */
#define PAGE_ZERO_NONE	0
#define PAGE_ZERO_LAZY	1
#define PAGE_ZERO_BUSY	2

/* Mark the private 4K page at @pa as accepted (zeros, not yet written). */
void mktme_zero_lazy(u64 pa);
/* Guest/MR.EXTEND access to private bytes, honouring PAGE_ZERO_LAZY. */
void mktme_private_read(u64 key, u64 pa, void *dst, size_t len);
void mktme_private_write(u64 key, u64 pa, const void *src, size_t len);

/* Write @len bytes of plaintext @src to @pa encrypted with @key. */
void mktme_write(u64 key, u64 pa, const void *src, size_t len);
/* Read @len bytes at @pa decrypted with @key into @dst. */
void mktme_read(u64 key, u64 pa, void *dst, size_t len);
/* Fill @len bytes at @pa with encrypted zeros. */
void mktme_zero(u64 key, u64 pa, size_t len);
u64 mktme_new_key(u64 seed);
/* The key the module's own structures (TDR, TDCS, TDVPS) are written with. */
extern u64 mktme_global_key;

/* ---------------------------------------------------------------------- */
/* TDs and vCPUs.                                                          */
/* ---------------------------------------------------------------------- */

enum td_lifecycle {
	TD_HKID_ASSIGNED = 0,
	TD_KEYS_CONFIGURED = 1,
	TD_BLOCKED = 2,
	TD_TEARDOWN = 3,
};

enum td_op_state {
	OP_STATE_UNINITIALIZED = 0,
	OP_STATE_INITIALIZED = 1,
	OP_STATE_RUNNABLE = 2,
};

enum vcpu_state {
	VCPU_UNINITIALIZED = 0,
	VCPU_READY = 2,
	VCPU_ACTIVE = 4,
	VCPU_DISABLED = 8,
};

#define TDX_MIN_TDCS_PAGES	6
#define TDX_MAX_TDCS_PAGES	9
#define TDX_NR_TDCS_PAGES	6
#define TDX_NR_TDCX_PAGES	5
#define SEPT_ROOT_PAGE_INDEX	3
#define TDX_MAX_VCPUS_PER_TD	1024
#define STEPPING_EPF_THRESHOLD	6
#define EPF_GPA_LIST_SIZE	32
/* hp_lock_timeout (§6.4): 1 s, as HOST_PRIORITY answers (tdx_module.h). */
#define HP_LOCK_TIMEOUT_ANSWERS	1000
#define HP_LOCK_TIMEOUT_NS	1000000000ULL
#define TDX_MAX_HKIDS		63

/* What TD_PARAMS may set (TDH.MNG.INIT), reported by tdx_get_sysinfo(). */
#define TDX_SUPPORTED_ATTRS	(TDX_TD_ATTR_DEBUG | \
				 TDX_TD_ATTR_SEPT_VE_DISABLE | \
				 TDX_TD_ATTR_MIGRATABLE | TDX_TD_ATTR_PKS | \
				 TDX_TD_ATTR_KL | TDX_TD_ATTR_PERFMON)
/* x87, SSE, AVX, AVX-512, PT, PKRU, CET, AMX. */
#define TDX_XFAM_FIXED0		0x0000000000061BE7ULL
#define TDX_XFAM_FIXED1		0x0000000000000003ULL

struct tdx_vcpu;

/* The TD's virtual CPUID (cpuid.c): leaves of the module's table. */
#define SEAM_NR_CPUID_LEAVES	9
struct tdx_td;
/* Number of CPUID configs (leaves with configurable bits). */
unsigned int seam_cpuid_nr_configs(void);
/* The configs, in order: leaf | sub-leaf << 32, configurable bits. */
void seam_cpuid_configs(u64 *leaves, u64 (*values)[2]);
/* TD_PARAMS' CPUID values: OPERAND_INVALID|CPUID_CONFIG on a fixed bit. */
u64 seam_cpuid_check_params(const struct td_params *p);
/* Set the TD's CPUID from checked TD_PARAMS (TDH.MNG.INIT). */
void seam_cpuid_init_td(struct tdx_td *td, const struct td_params *p);
/* TDH.MNG.RD of a TDCS_CPUID_VALUES field. */
u64 seam_cpuid_read(const struct tdx_td *td, u64 field, u64 *val);

/*
 * One fault-injection request (inject.c): a single word, so the dispatcher
 * counts and consumes it with a compare-and-swap, no lock: bits 31:0 the
 * calls still to come (the request fires on the call that takes it to 0),
 * 38:32 the leaf, 47:46 the state, 63:48 a generation that changes each
 * time the slot is freed. @status is written before the word is armed.
 */
struct inject_slot {
	u64 word;
	u64 status;
};

/*
 * A TD's counters (diag.h), kept per thread: the vCPUs and the host's
 * fault handlers count every SEAMCALL, and one shared set of counters is a
 * cache line both sides write on every call, which the module does not
 * have. The first TD_STATS_OWNED shards are each claimed by one thread
 * (@owner, its token), their only writer, which adds without a locked
 * instruction; the last one is shared, with atomic adds, by the threads
 * that found none free. stats_copy_td() sums the shards.
 */
#define TD_STATS_OWNED	4
#define TD_STATS_SHARDS	(TD_STATS_OWNED + 1)

struct td_stats_shard {
	struct tdx_td_stats st;
} __attribute__((aligned(64)));

struct tdx_td {
	u64 tdr_pa;
	u16 hkid;
	u64 key;			/* MKTME key stream of the HKID */
	int lifecycle;			/* enum td_lifecycle; TDR X */
	int op_state;			/* enum td_op_state; TDR X */
	bool fatal;
	bool dead;			/* TDR reclaimed */
	int num_tdcs;
	u64 tdcs_pa[TDX_MAX_TDCS_PAGES];
	/* TD_PARAMS */
	u64 attributes;
	u64 xfam;
	u64 config_flags;
	u16 max_vcpus;
	int pwl;			/* 3: 4-level, 4: 5-level */
	int gpaw;			/* 48 or 52 */
	u64 shared_mask;
	bool pending_ve_disable;
	u32 num_vcpus;
	u16 tsc_frequency;		/* 25 MHz units */
	/* The virtual CPUID (cpuid.c), per leaf of the module's table. */
	u32 cpuid[SEAM_NR_CPUID_LEAVES][4];
	/* Measurement */
	struct mrtd_hash *mrtd_ctx;	/* the running hash (mr.c) */
	u8 mrtd[48];
	bool mrtd_valid;
	/* TD_PARAMS' MRCONFIGID, MROWNER, MROWNERCONFIG (for TDG.MR.REPORT). */
	u8 mrconfigid[48];
	u8 mrowner[48];
	u8 mrownerconfig[48];
	struct tdx_vcpu *vcpus;		/* lock-free push list */
	/*
	 * What every vCPU's SEAMCALLs write (the OP_STATE lock, the S-EPT
	 * tree and epoch locks, the epoch's refcounts, TDR.CHLDCNT) on lines
	 * of their own: the state above, which every SEAMCALL reads, is then
	 * not invalidated by another CPU's lock operations. (The module keeps
	 * them in the TDR and TDCS pages; the false sharing is tdxsim's.)
	 */
	struct sharex_hp_lock op_state_lock __attribute__((aligned(64)));
	struct sharex_lock sept_lock;	/* the S-EPT tree */
	struct sharex_lock epoch_lock;
	u64 td_epoch;
	u32 refcount[2];
	/* Pages owned besides the TDR (4K units). */
	u64 chldcnt;
	/*
	 * The counter shards' owners, each written once (when a thread claims
	 * it) and read by every SEAMCALL, away from the counters themselves.
	 */
	u64 stats_owner[TD_STATS_SHARDS] __attribute__((aligned(64)));
	/* Counters in shards: one per claiming thread, the last shared. */
	struct td_stats_shard stats[TD_STATS_SHARDS];
	/* TDX_INJECT_MAX fault-injection requests (control.h). */
	struct inject_slot inject[TDX_INJECT_MAX];
	struct tdx_td *next;		/* the live TDs, or the reuse list */
};

struct tdx_vcpu_ctx {
	struct tdx_vcpu *vcpu;
};

struct tdx_exit {
	u64 rax;
	struct tdx_module_args regs;
};

struct tdx_vcpu {
	u64 tdvpr_pa;
	struct tdx_td *td;
	int state;			/* enum vcpu_state */
	int num_tdcx;
	u64 tdcx_pa[TDX_NR_TDCX_PAGES];
	u32 vcpu_index;
	u32 x2apic_id;
	bool x2apic_valid;
	u64 initial_rcx;
	bool associated;
	bool dead;
	u32 in_guest;
	u64 vcpu_epoch;
	u64 shared_eptp;
	u32 ipi_pending;
	const struct tdx_guest_ops *ops;
	void *guest;
	struct tdx_vcpu_ctx ctx;
	u64 entries;			/* completed calls of ops->run() */
	/* The exit being built while the guest runs. */
	bool exit_pending;
	struct tdx_exit exit;
	/* TDG.VP.VMCALL completion. */
	bool last_exit_vmcall;
	u64 vmcall_subfn;
	bool vmcall_result_valid;
	struct tdx_module_args vmcall_result;
	/* #VE info (TDG.VP.VEINFO.GET) */
	bool ve_valid;
	u64 ve_exit_reason, ve_exit_qual, ve_gpa;
	/* Zero-step mitigation */
	bool progress;
	int epf_count;
	int epf_n;
	u64 epf_gpa[EPF_GPA_LIST_SIZE];
	/* Host priority (§6.4): HP-busy answers in a row, since when. */
	unsigned int hp_busy;
	u64 hp_busy_start_ns;
	struct tdx_vcpu_stats stats;
	struct tdx_vcpu *next;		/* TD's vCPU list */
};

static inline struct tdx_vcpu *ctx_vcpu(const struct tdx_vcpu_ctx *ctx)
{
	return ctx->vcpu;
}

/* ---------------------------------------------------------------------- */
/* Module-wide state (tdx_module.c) and the TD helpers (td.c, vp.c).      */
/* ---------------------------------------------------------------------- */

extern struct tdx_module_config seam_cfg;

/* Per-call context kept by the dispatcher for counters and cost. */
struct seam_call {
	unsigned int leaf;
	unsigned int version;
	struct tdx_module_args *args;
	struct tdx_td *td;
	struct tdx_vcpu *vcpu;
	u64 extra_cost_ns;
};

static inline u64 tdx_err(u64 code, u64 operand)
{
	return code + operand;
}

/*
 * Lock the TDR at @tdr_pa (explicit operand register @opid) shared or
 * exclusive; on success *@tdp is the TD. Errors: OPERAND_INVALID|opid,
 * BUSY|opid, PAGE_METADATA_INCORRECT|opid.
 */
u64 td_lock_tdr(struct seam_call *c, u64 tdr_pa, u64 opid, bool excl,
		struct tdx_td **tdp);
void td_unlock_tdr(struct tdx_td *td, bool excl);
/* check_td_in_correct_build_state(): fatal, keys configured, TDCS allocated. */
u64 td_check_build_state(struct tdx_td *td);
/* Is @leaf allowed in the TD's OP_STATE (reference §3.2)? */
bool td_op_state_allows(struct tdx_td *td, unsigned int leaf);
/* Take the OP_STATE lock shared (BUSY|OP_STATE). */
u64 td_lock_op_state(struct tdx_td *td);
/*
 * The common leaf prologue after the TDR is locked: the build-state checks,
 * OP_STATE allowing @leaf (else TDX_OP_STATE_INCORRECT), then OPST:S. 0 or
 * the status; nothing is left held on failure.
 */
u64 td_check_state_lock_op(struct tdx_td *td, unsigned int leaf);
void td_unlock_op_state(struct tdx_td *td);
/* Verify a GPA|level operand (reference §1.2); 0 or OPERAND_INVALID|RCX. */
u64 td_check_gpa_level(struct tdx_td *td, u64 rcx, int min_level,
		       int max_level, u64 *gpa, int *level);
/* Is @bepoch TLB-tracked (reference §7)? */
bool td_is_tlb_tracked(struct tdx_td *td, u64 bepoch);
/* Does the TD's OP_STATE require TLB tracking (RUNNABLE)? */
bool td_tracking_required(struct tdx_td *td);
/* Add @n to the TD's owned-page count (atomic). */
void td_add_children(struct tdx_td *td, s64 n);
/* Lock a new 4K page given in @opid exclusively and check it is free. */
u64 lock_new_page(u64 pa, u64 opid);
/* Free every TD and vCPU and empty the KOT (module bring-up and exit). */
void td_free_all(void);
/* A zeroed vCPU structure, reused from a gone TD's if there is one. */
struct tdx_vcpu *vcpu_alloc(void);
/*
 * The TD's TDR was reclaimed (every other page of it is gone, so are its
 * vCPUs): take it off the list of TDs and keep its structures for reuse.
 */
void td_retire(struct tdx_td *td);
/* The TD whose TDR is at @tdr_pa, the vCPU at @tdvpr_pa, or NULL (no lock). */
struct tdx_td *td_lookup(u64 tdr_pa);
struct tdx_vcpu *vcpu_lookup(u64 tdvpr_pa);
/* The TD holding private HKID @hkid in the KOT, or NULL (no lock). */
struct tdx_td *kot_lookup(u64 hkid);

/* ---------------------------------------------------------------------- */
/* Fault injection (inject.c).                                             */
/* ---------------------------------------------------------------------- */

/*
 * Count call @c against the pending requests of its TD; true if one fires,
 * with the answer in *@status (and c->td, c->vcpu set for the stats).
 */
bool inject_consume(struct seam_call *c, u64 *status);
/* Drop the TD's pending requests (its TDR is reclaimed). */
void inject_drop(struct tdx_td *td);
/* Forget every request (module bring-up and exit). */
void inject_reset(void);

/* ---------------------------------------------------------------------- */
/* S-EPT walk and the common part of the S-EPT leaves (sept.c).           */
/* ---------------------------------------------------------------------- */

struct sept_walk {
	u64 *ep;		/* entry at the level reached */
	u64 entry;		/* its value when read */
	int level;		/* level reached */
};

/* Walk from the root towards @gpa; stop at @target or where it must. */
void sept_walk(struct tdx_td *td, u64 gpa, int target, struct sept_walk *w);
/* Extended error outputs: RCX (architectural entry) and RDX (level | state). */
void sept_set_ext(struct tdx_module_args *args, u64 entry, int level);

enum tree_mode {
	TREE_NONE,
	TREE_SHARED,
	TREE_EXCL,
};

struct sept_op {
	struct seam_call *c;
	const char *site;
	struct tdx_td *td;
	bool tdr_excl;
	bool tdr_held;
	bool opst_held;
	enum tree_mode tree;
	bool tree_held;
	u64 *ep;
	bool entry_held;
	u64 entry;		/* value after locking */
	enum sept_state state;
	u64 gpa;
	int level;
};

/*
 * Take TDR (explicit, RDX), check the build state and OP_STATE, take
 * OP_STATE (unless @tdr_excl), check the GPA|level in RCX (@rcx), take the
 * tree (@tree), walk to the level and (if @lock_entry) lock the entry; then
 * the schedule point @site. 0 or the status; call sept_op_end() either way.
 */
u64 sept_op_begin(struct sept_op *op, struct seam_call *c, const char *site,
		  u64 tdr_pa, u64 rcx, int min_level, int max_level,
		  bool tdr_excl, enum tree_mode tree, bool lock_entry);
/* Release what sept_op_begin() took. */
void sept_op_end(struct sept_op *op);
/* Set the extended error outputs of @entry at @level and return @status. */
u64 sept_fail(struct sept_op *op, u64 status, u64 entry, int level);
/* TDX_EPT_ENTRY_STATE_INCORRECT|RCX with the entry's extended outputs. */
u64 state_incorrect(struct sept_op *op);
/*
 * The "blocked + tracked" requirement of REMOVE, SEPT.REMOVE, DEMOTE and
 * PROMOTE (and UNBLOCK, with its own operand id). @target_pa is the page
 * whose PAMT bepoch BLOCK stamped.
 */
u64 check_blocked_tracked(struct sept_op *op, u64 target_pa,
			  bool need_blocked, u64 not_tracked_opid);
/* An R8 page operand: a valid 4K address, else OPERAND_INVALID|R8. */
u64 r8_page_check(u64 pa);
/* Lock a new 4K page given in R8 exclusively and check it is free. */
u64 lock_new_page_r8(u64 pa);

/* ---------------------------------------------------------------------- */
/* The leaves, as the dispatcher's table calls them (dispatch.c).          */
/* ---------------------------------------------------------------------- */

/* TD management (td.c) */
u64 seam_mng_create(struct seam_call *c);
u64 seam_mng_key_config(struct seam_call *c);
u64 seam_mng_addcx(struct seam_call *c);
u64 seam_mng_init(struct seam_call *c);
u64 seam_mng_vpflushdone(struct seam_call *c);
u64 seam_mng_key_freeid(struct seam_call *c);
u64 seam_mng_rd(struct seam_call *c);
/* vCPU management (vp.c; VP.ENTER in guest.c) */
u64 seam_vp_create(struct seam_call *c);
u64 seam_vp_addcx(struct seam_call *c);
u64 seam_vp_init(struct seam_call *c);
u64 seam_vp_flush(struct seam_call *c);
u64 seam_vp_rd_wr(struct seam_call *c);
u64 seam_vp_enter(struct seam_call *c);
/* Memory management (mem.c) */
u64 seam_mem_sept_add(struct seam_call *c);
u64 seam_mem_page_add(struct seam_call *c);
u64 seam_mem_page_aug(struct seam_call *c);
u64 seam_mem_range_block(struct seam_call *c);
u64 seam_mem_range_unblock(struct seam_call *c);
u64 seam_mem_page_remove(struct seam_call *c);
u64 seam_mem_sept_remove(struct seam_call *c);
u64 seam_mem_page_demote(struct seam_call *c);
u64 seam_mem_page_promote(struct seam_call *c);
u64 seam_mem_track(struct seam_call *c);
/* Measurement (mr.c) */
u64 seam_mr_extend(struct seam_call *c);
u64 seam_mr_finalize(struct seam_call *c);
/* Physical memory (phymem.c) */
u64 seam_phymem_page_reclaim(struct seam_call *c);
u64 seam_phymem_page_wbinvd(struct seam_call *c);
u64 seam_phymem_pamt_add(struct seam_call *c);
u64 seam_phymem_pamt_remove(struct seam_call *c);
u64 seam_phymem_cache_wb(struct seam_call *c);

/* ---------------------------------------------------------------------- */
/* MRTD (mr.c).                                                            */
/* ---------------------------------------------------------------------- */

int mrtd_init(struct tdx_td *td);
void mrtd_page_add(struct tdx_td *td, u64 gpa);
void mrtd_extend(struct tdx_td *td, u64 gpa, u64 key, u64 pa);
void mrtd_finalize(struct tdx_td *td);
void mrtd_free(struct tdx_td *td);
/* TDG.MR.REPORT's TDREPORT_STRUCT of @td with @reportdata (mr.c). */
#define TDX_REPORT_SIZE		1024
#define TDX_REPORTDATA_SIZE	64
void mr_tdreport(struct tdx_td *td, const u8 reportdata[TDX_REPORTDATA_SIZE],
		 u8 out[TDX_REPORT_SIZE]);

/* ---------------------------------------------------------------------- */
/* vCPU locks (vp.c).                                                      */
/* ---------------------------------------------------------------------- */

/* Lock the vCPU at @tdvpr_pa (operand @opid) and its TDR (implicit). */
u64 vcpu_lock(struct seam_call *c, u64 tdvpr_pa, u64 opid, bool tdvpr_excl,
	      bool tdr_excl, struct tdx_vcpu **vp);
void vcpu_unlock(struct tdx_vcpu *v, bool tdvpr_excl, bool tdr_excl);

/* ---------------------------------------------------------------------- */
/* Counters and cost (stats.c).                                            */
/* ---------------------------------------------------------------------- */

void stats_account_call(struct seam_call *c, u64 status);
void stats_account_tdcall(struct tdx_vcpu *v, unsigned int leaf, u64 extra_ns);
void stats_account_exit(struct tdx_vcpu *v, u64 reason);
void stats_init_costs(struct tdx_module_config *cfg);
void stats_copy_td(struct tdx_td_stats *dst, const struct tdx_td *td);
void stats_copy_vcpu(struct tdx_vcpu_stats *dst,
		     const struct tdx_vcpu_stats *src);
u64 stats_tdcall_cost_ns(unsigned int leaf);
/* Zeroing / copying cost per 4K page (perf-anchors A14). */
#define COST_ZERO_4K_NS	180
#define COST_COPY_4K_NS	250

#endif /* TDXSIM_SEAM_SEAM_INTERNAL_H */
