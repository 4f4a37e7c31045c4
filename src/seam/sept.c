// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The Secure EPT (reference tdx-module.md §4, §7): entries and their
 * states, the walk, and the common part of the host's S-EPT leaves.
 *
 * Entries live in the S-EPT pages the host donated (TDCS page 3 for the
 * root, TDH.MEM.SEPT.ADD's page below it), 512 u64 per page, in the
 * module's bit layout: RWX, MT, IPAT, PS, the state bits (D, TDEX, TDBW,
 * TDB, TDP), the entry lock TDEL and the host-priority bit HP. The walk
 * reads them from the root down; nothing else indexes them.
 *
 * Every host S-EPT leaf (mem.c) follows the module's order, which
 * sept_op_begin() implements: TDR lock, build state and OP_STATE, OP_STATE
 * lock, GPA|level operand, S-EPT tree lock, walk, entry lock; then the
 * leaf checks the state table and the PAMT of the page involved, and takes
 * one schedule point (named after the leaf) while everything is held
 * before the change.
 */
#include <string.h>

#include "base/log.h"
#include "base/page_alloc.h"
#include "base/sched.h"
#include "ulib/strbuf.h"
#include "seam/seam_internal.h"

/* ---------------------------------------------------------------------- */
/* States                                                                  */
/* ---------------------------------------------------------------------- */

static const u8 state_enc[SEPT_NR_STATES] = {
	[SEPT_FREE] = 0x0E,
	[SEPT_REMOVED] = 0x0C,
	[SEPT_NL_MAPPED] = 0x00,
	[SEPT_NL_BLOCKED] = 0x08,
	[SEPT_MAPPED] = 0x60,
	[SEPT_BLOCKED] = 0x68,
	[SEPT_BLOCKEDW] = 0x64,
	[SEPT_EXPORTED_BLOCKEDW] = 0x66,
	[SEPT_EXPORTED_DIRTY] = 0x63,
	[SEPT_EXPORTED_DIRTY_BLOCKEDW] = 0x67,
	[SEPT_PENDING] = 0x70,
	[SEPT_PENDING_BLOCKED] = 0x78,
	[SEPT_PENDING_BLOCKEDW] = 0x74,
	[SEPT_PENDING_EXPORTED_BLOCKEDW] = 0x76,
	[SEPT_PENDING_EXPORTED_DIRTY] = 0x73,
	[SEPT_PENDING_EXPORTED_DIRTY_BLOCKEDW] = 0x77,
};

static const u8 state_public[SEPT_NR_STATES] = {
	[SEPT_FREE] = 0,
	[SEPT_REMOVED] = 5,
	[SEPT_NL_MAPPED] = 0x84,
	[SEPT_NL_BLOCKED] = 0x81,
	[SEPT_MAPPED] = 4,
	[SEPT_BLOCKED] = 1,
	[SEPT_BLOCKEDW] = 8,
	[SEPT_EXPORTED_BLOCKEDW] = 9,
	[SEPT_EXPORTED_DIRTY] = 11,
	[SEPT_EXPORTED_DIRTY_BLOCKEDW] = 12,
	[SEPT_PENDING] = 2,
	[SEPT_PENDING_BLOCKED] = 3,
	[SEPT_PENDING_BLOCKEDW] = 16,
	[SEPT_PENDING_EXPORTED_BLOCKEDW] = 17,
	[SEPT_PENDING_EXPORTED_DIRTY] = 19,
	[SEPT_PENDING_EXPORTED_DIRTY_BLOCKEDW] = 20,
};

static const char *const state_names[SEPT_NR_STATES + 1] = {
	"FREE", "REMOVED", "NL_MAPPED", "NL_BLOCKED", "MAPPED", "BLOCKED",
	"BLOCKEDW", "EXPORTED_BLOCKEDW", "EXPORTED_DIRTY",
	"EXPORTED_DIRTY_BLOCKEDW", "PENDING", "PENDING_BLOCKED",
	"PENDING_BLOCKEDW", "PENDING_EXPORTED_BLOCKEDW",
	"PENDING_EXPORTED_DIRTY", "PENDING_EXPORTED_DIRTY_BLOCKEDW", "BAD",
};

static u32 entry_enc(u64 e)
{
	return ((e >> 9) & 1) | (((e >> 53) & 0xf) << 1) |
	       (((e >> 6) & 3) << 5);
}

/* state_enc[] inverted: the state + 1 of each 7-bit encoding, 0 if none. */
static const u8 state_dec[128] = {
	[0x0E] = SEPT_FREE + 1,
	[0x0C] = SEPT_REMOVED + 1,
	[0x00] = SEPT_NL_MAPPED + 1,
	[0x08] = SEPT_NL_BLOCKED + 1,
	[0x60] = SEPT_MAPPED + 1,
	[0x68] = SEPT_BLOCKED + 1,
	[0x64] = SEPT_BLOCKEDW + 1,
	[0x66] = SEPT_EXPORTED_BLOCKEDW + 1,
	[0x63] = SEPT_EXPORTED_DIRTY + 1,
	[0x67] = SEPT_EXPORTED_DIRTY_BLOCKEDW + 1,
	[0x70] = SEPT_PENDING + 1,
	[0x78] = SEPT_PENDING_BLOCKED + 1,
	[0x74] = SEPT_PENDING_BLOCKEDW + 1,
	[0x76] = SEPT_PENDING_EXPORTED_BLOCKEDW + 1,
	[0x73] = SEPT_PENDING_EXPORTED_DIRTY + 1,
	[0x77] = SEPT_PENDING_EXPORTED_DIRTY_BLOCKEDW + 1,
};

/* One table read per entry (it was a search of state_enc[]). */
enum sept_state sept_state_of(u64 e)
{
	u8 s = state_dec[entry_enc(e)];

	return s ? (enum sept_state)(s - 1) : SEPT_BAD_STATE;
}

u8 sept_public_state(enum sept_state s)
{
	return s < SEPT_NR_STATES ? state_public[s] : 0xff;
}

const char *sept_state_name(enum sept_state s)
{
	return state_names[s <= SEPT_NR_STATES ? s : SEPT_NR_STATES];
}

bool sept_state_is_leaf(enum sept_state s)
{
	return s >= SEPT_MAPPED && s < SEPT_NR_STATES;
}

bool sept_state_any_blocked(enum sept_state s)
{
	return s == SEPT_NL_BLOCKED || s == SEPT_BLOCKED ||
	       s == SEPT_PENDING_BLOCKED;
}

bool sept_state_guest_accessible(enum sept_state s)
{
	return s == SEPT_MAPPED || s == SEPT_BLOCKEDW ||
	       s == SEPT_EXPORTED_BLOCKEDW || s == SEPT_EXPORTED_DIRTY ||
	       s == SEPT_EXPORTED_DIRTY_BLOCKEDW;
}

bool sept_state_tlb_tracking_required(enum sept_state s)
{
	return s != SEPT_FREE && s != SEPT_REMOVED &&
	       s != SEPT_EXPORTED_BLOCKEDW &&
	       s != SEPT_PENDING_EXPORTED_BLOCKEDW && s < SEPT_NR_STATES;
}

u64 sept_make(enum sept_state state, u64 hpa)
{
	u32 enc = state_enc[state];
	u64 e = SEPT_SVE;

	if (state == SEPT_FREE)
		return SEPT_FREE_RAW;
	e |= (u64)(enc & 1) << 9;
	e |= (u64)((enc >> 1) & 0xf) << 53;
	e |= (u64)((enc >> 5) & 3) << 6;
	e |= hpa & SEPT_HPA_MASK;
	if (sept_state_is_leaf(state))
		e |= SEPT_MT_WB;
	if (state == SEPT_NL_MAPPED || sept_state_guest_accessible(state))
		e |= SEPT_RWX;
	return e;
}

u64 *sept_page(u64 pa)
{
	return pfn_to_virt(pa >> PAGE_SHIFT);
}

/* The architectural view of an entry reported in RCX (reference §4.5). */
static u64 sept_arch_entry(u64 e)
{
	enum sept_state s = sept_state_of(e);

	if (s == SEPT_FREE)
		return SEPT_SVE;
	if (!sept_state_is_leaf(s))
		return e & (SEPT_RWX | SEPT_PS);
	return e & (SEPT_RWX | SEPT_MT_MASK | SEPT_HPA_MASK | SEPT_IPAT |
		    SEPT_PS | SEPT_SVE);
}

void sept_set_ext(struct tdx_module_args *args, u64 entry, int level)
{
	args->rcx = sept_arch_entry(entry);
	args->rdx = (u64)(level & 7) |
		    ((u64)sept_public_state(sept_state_of(entry)) << 8);
}

void sept_walk(struct tdx_td *td, u64 gpa, int target, struct sept_walk *w)
{
	u64 table = td->tdcs_pa[SEPT_ROOT_PAGE_INDEX];
	int level = td->pwl;

	for (;;) {
		u64 *ep = sept_page(table) + sept_index(gpa, level);
		u64 e = sept_entry_read(ep);

		w->ep = ep;
		w->entry = e;
		w->level = level;
		if (level == target || level == 0)
			return;
		if (!(e & SEPT_RWX) || (e & SEPT_PS))
			return;
		table = sept_hpa(e);
		level--;
	}
}

/* Fill a new S-EPT page with FREE entries. */
void sept_page_init_free(u64 pa)
{
	u64 *p = sept_page(pa);
	int i;

	for (i = 0; i < 512; i++)
		__atomic_store_n(&p[i], SEPT_FREE_RAW, __ATOMIC_RELAXED);
}


/* ---------------------------------------------------------------------- */
/* The common part of the host S-EPT leaves                                */
/* ---------------------------------------------------------------------- */

void sept_op_end(struct sept_op *op)
{
	struct tdx_td *td = op->td;

	if (op->entry_held)
		sept_entry_unlock(op->ep);
	if (op->tree_held) {
		if (op->tree == TREE_EXCL)
			sharex_release_excl(&td->sept_lock);
		else
			sharex_release_shared(&td->sept_lock);
	}
	if (op->opst_held)
		td_unlock_op_state(td);
	if (op->tdr_held)
		td_unlock_tdr(td, op->tdr_excl);
}

u64 sept_fail(struct sept_op *op, u64 status, u64 entry, int level)
{
	sept_set_ext(op->c->args, entry, level);
	return status;
}

/*
 * Take TDR (explicit, RDX), check the build state and OP_STATE, take
 * OP_STATE (unless @tdr_excl), check the GPA|level in RCX (@rcx), take the
 * tree (@tree), walk to the level and (if @lock_entry) lock the entry.
 */
u64 sept_op_begin(struct sept_op *op, struct seam_call *c,
			 const char *site, u64 tdr_pa, u64 rcx, int min_level,
			 int max_level, bool tdr_excl, enum tree_mode tree,
			 bool lock_entry)
{
	struct sept_walk w;
	struct tdx_td *td;
	u64 err;

	memset(op, 0, sizeof(*op));
	op->c = c;
	op->site = site;
	op->tdr_excl = tdr_excl;
	op->tree = tree;

	err = td_lock_tdr(c, tdr_pa, TDX_OPERAND_ID_RDX, tdr_excl, &td);
	if (err)
		return err;
	op->td = td;
	op->tdr_held = true;

	err = td_check_build_state(td);
	if (err)
		return err;
	if (!td_op_state_allows(td, c->leaf))
		return TDX_OP_STATE_INCORRECT;
	if (!tdr_excl) {
		err = td_lock_op_state(td);
		if (err)
			return err;
		op->opst_held = true;
	}

	/* Levels above the root's (pwl) are invalid operands. */
	err = td_check_gpa_level(td, rcx, min_level, min(max_level, td->pwl),
				 &op->gpa, &op->level);
	if (err)
		return err;

	if (tree != TREE_NONE) {
		bool ok = tree == TREE_EXCL ? sharex_try_excl(&td->sept_lock) :
					      sharex_try_shared(&td->sept_lock);
		if (!ok)
			return tdx_err(TDX_OPERAND_BUSY, TDX_OPERAND_ID_SEPT);
		op->tree_held = true;
	}

	sept_walk(td, op->gpa, op->level, &w);
	if (w.level != op->level)
		return sept_fail(op, tdx_err(TDX_EPT_WALK_FAILED,
					     TDX_OPERAND_ID_RCX),
				 w.entry, w.level);
	op->ep = w.ep;
	if (lock_entry) {
		if (!sept_entry_lock_host(w.ep))
			return sept_fail(op, tdx_err(TDX_OPERAND_BUSY,
						     TDX_OPERAND_ID_RCX),
					 sept_entry_read(w.ep), w.level);
		op->entry_held = true;
	}
	op->entry = sept_entry_read(w.ep);
	op->state = sept_state_of(op->entry);
	/* Everything of the common part is held: let others run into it. */
	sched_point_named(site);
	return TDX_SUCCESS;
}

u64 state_incorrect(struct sept_op *op)
{
	return sept_fail(op, tdx_err(TDX_EPT_ENTRY_STATE_INCORRECT,
				     TDX_OPERAND_ID_RCX),
			 op->entry, op->level);
}

/*
 * The "blocked + tracked" requirement of REMOVE, SEPT.REMOVE, DEMOTE and
 * PROMOTE (and UNBLOCK, with its own operand id). @target_pa is the page
 * whose PAMT bepoch BLOCK stamped.
 */
u64 check_blocked_tracked(struct sept_op *op, u64 target_pa,
				 bool need_blocked, u64 not_tracked_opid)
{
	struct pamt_entry *pe;

	if (!td_tracking_required(op->td) ||
	    !sept_state_tlb_tracking_required(op->state))
		return TDX_SUCCESS;
	if (need_blocked && !sept_state_any_blocked(op->state))
		return sept_fail(op, tdx_err(TDX_GPA_RANGE_NOT_BLOCKED,
					     TDX_OPERAND_ID_RCX),
				 op->entry, op->level);
	pe = pamt_entry(target_pa >> PAGE_SHIFT);
	if (!pe || !td_is_tlb_tracked(op->td, pamt_bepoch(pe,
			__atomic_load_n(&op->td->td_epoch, __ATOMIC_ACQUIRE))))
		return sept_fail(op, tdx_err(TDX_TLB_TRACKING_NOT_DONE,
					     not_tracked_opid),
				 op->entry, op->level);
	return TDX_SUCCESS;
}

u64 r8_page_check(u64 pa)
{
	if (!pamt_pa_valid(pa))
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_R8);
	return TDX_SUCCESS;
}

/* Lock a new 4K page given in R8 exclusively and check it is free. */
u64 lock_new_page_r8(u64 pa)
{
	u64 pfn = pa >> PAGE_SHIFT;
	u64 err = r8_page_check(pa);

	if (err)
		return err;
	if (pamt_lock_4k(pfn, true))
		return tdx_err(TDX_OPERAND_BUSY, TDX_OPERAND_ID_R8);
	err = dpamt_check_4k(pfn, TDX_OPERAND_ID_R8);
	if (!err && READ_ONCE(pamt_entry(pfn)->pt) != TDX_PT_NDA)
		err = tdx_err(TDX_PAGE_METADATA_INCORRECT, TDX_OPERAND_ID_R8);
	if (err)
		pamt_unlock_4k(pfn, true);
	return err;
}
