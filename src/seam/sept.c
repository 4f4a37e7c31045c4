// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The Secure EPT (reference tdx-module.md §4, §5.8-§5.16, §7).
 *
 * Entries live in the S-EPT pages the host donated (TDCS page 3 for the
 * root, TDH.MEM.SEPT.ADD's page below it), 512 u64 per page, in the
 * module's bit layout: RWX, MT, IPAT, PS, the state bits (D, TDEX, TDBW,
 * TDB, TDP), the entry lock TDEL and the host-priority bit HP. The walk
 * reads them from the root down; nothing else indexes them.
 *
 * Every host leaf here follows the module's order: TDR lock, build state and
 * OP_STATE, OP_STATE lock, GPA|level operand, S-EPT tree lock, walk, entry
 * lock, state table, PAMT of the page involved, then one schedule point
 * (named after the leaf) while everything is held, then the change.
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

enum sept_state sept_state_of(u64 e)
{
	u32 enc = entry_enc(e);
	int s;

	for (s = 0; s < SEPT_NR_STATES; s++)
		if (state_enc[s] == enc)
			return s;
	return SEPT_BAD_STATE;
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
static void sept_page_init_free(u64 pa)
{
	u64 *p = sept_page(pa);
	int i;

	for (i = 0; i < 512; i++)
		__atomic_store_n(&p[i], SEPT_FREE_RAW, __ATOMIC_RELAXED);
}

/* ---------------------------------------------------------------------- */
/* The common part of the host S-EPT leaves                                */
/* ---------------------------------------------------------------------- */

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

static void sept_op_end(struct sept_op *op)
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

static u64 sept_fail(struct sept_op *op, u64 status, u64 entry, int level)
{
	sept_set_ext(op->c->args, entry, level);
	return status;
}

/*
 * Take TDR (explicit, RDX), check the build state and OP_STATE, take
 * OP_STATE (unless @tdr_excl), check the GPA|level in RCX (@rcx), take the
 * tree (@tree), walk to the level and (if @lock_entry) lock the entry.
 */
static u64 sept_op_begin(struct sept_op *op, struct seam_call *c,
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

static u64 state_incorrect(struct sept_op *op)
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
static u64 check_blocked_tracked(struct sept_op *op, u64 target_pa,
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
	if (!pe || !td_is_tlb_tracked(op->td, READ_ONCE(pe->bepoch)))
		return sept_fail(op, tdx_err(TDX_TLB_TRACKING_NOT_DONE,
					     not_tracked_opid),
				 op->entry, op->level);
	return TDX_SUCCESS;
}

static u64 leaf_base_hpa(u64 e, int level)
{
	return sept_hpa(e) & ~(sept_level_size(level) - 1);
}

static u64 r8_page_check(u64 pa)
{
	if (!pamt_pa_valid(pa))
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_R8);
	return TDX_SUCCESS;
}

/* Lock a new 4K page given in R8 exclusively and check it is free. */
static u64 lock_new_page_r8(u64 pa)
{
	u64 pfn = pa >> PAGE_SHIFT;
	u64 err = r8_page_check(pa);

	if (err)
		return err;
	if (pamt_lock_4k(pfn, true))
		return tdx_err(TDX_OPERAND_BUSY, TDX_OPERAND_ID_R8);
	if (READ_ONCE(pamt_entry(pfn)->pt) != TDX_PT_NDA) {
		pamt_unlock_4k(pfn, true);
		return tdx_err(TDX_PAGE_METADATA_INCORRECT, TDX_OPERAND_ID_R8);
	}
	return TDX_SUCCESS;
}

#define RDX_FLAGS_RSVD	(GENMASK_ULL(11, 1) | GENMASK_ULL(63, 52))

/* ---------------------------------------------------------------------- */
/* TDH.MEM.SEPT.ADD                                                        */
/* ---------------------------------------------------------------------- */

u64 seam_mem_sept_add(struct seam_call *c)
{
	struct tdx_module_args *a = c->args;
	u64 rcx = a->rcx, rdx = a->rdx, new_pa = a->r8;
	bool allow_existing = rdx & 1;
	struct sept_op op;
	u64 err;

	a->rcx = a->rdx = 0;
	if (rdx & RDX_FLAGS_RSVD)
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RDX);
	err = sept_op_begin(&op, c, "tdh_mem_sept_add", rdx & PAGE_MASK, rcx,
			    1, 4, false, TREE_SHARED, true);
	c->td = op.td;
	if (err)
		goto out;
	if (op.state == SEPT_NL_MAPPED && allow_existing) {
		sched_point_named(op.site);
		goto out;
	}
	if (op.state != SEPT_FREE) {
		err = state_incorrect(&op);
		goto out;
	}
	err = lock_new_page_r8(new_pa);
	if (err)
		goto out;
	sched_point_named(op.site);

	sept_page_init_free(new_pa);
	pamt_set(new_pa >> PAGE_SHIFT, 0, TDX_PT_EPT, op.td->tdr_pa, op.gpa);
	td_add_children(op.td, 1);
	sept_entry_set(op.ep, sept_make(SEPT_NL_MAPPED, new_pa));
	pamt_unlock_4k(new_pa >> PAGE_SHIFT, true);
out:
	sept_op_end(&op);
	return err;
}

/* ---------------------------------------------------------------------- */
/* TDH.MEM.PAGE.ADD                                                        */
/* ---------------------------------------------------------------------- */

u64 seam_mem_page_add(struct seam_call *c)
{
	struct tdx_module_args *a = c->args;
	u64 rcx = a->rcx, rdx = a->rdx, page_pa = a->r8, src_pa = a->r9;
	struct pamt_entry *spe;
	struct sept_op op;
	u8 *buf;
	u64 err;

	a->rcx = a->rdx = 0;
	/* TDR exclusive implies an exclusive tree and entry: no locks there. */
	err = sept_op_begin(&op, c, "tdh_mem_page_add", rdx, rcx, 0, 0, true,
			    TREE_NONE, false);
	c->td = op.td;
	if (err)
		goto out;
	if (op.state != SEPT_FREE) {
		err = state_incorrect(&op);
		goto out;
	}
	spe = pamt_entry(src_pa >> PAGE_SHIFT);
	if (!pamt_pa_valid(src_pa) || READ_ONCE(spe->pt) != TDX_PT_NDA) {
		err = tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_R9);
		goto out;
	}
	err = lock_new_page_r8(page_pa);
	if (err)
		goto out;
	sched_point_named(op.site);

	buf = xmalloc(PAGE_SIZE);
	memcpy(buf, pfn_to_virt(src_pa >> PAGE_SHIFT), PAGE_SIZE);
	mktme_write(op.td->key, page_pa, buf, PAGE_SIZE);
	free(buf);
	pamt_set(page_pa >> PAGE_SHIFT, 0, TDX_PT_REG, op.td->tdr_pa, op.gpa);
	td_add_children(op.td, 1);
	sept_entry_set(op.ep, sept_make(SEPT_MAPPED, page_pa));
	mrtd_page_add(op.td, op.gpa);
	pamt_unlock_4k(page_pa >> PAGE_SHIFT, true);
out:
	sept_op_end(&op);
	return err;
}

/* ---------------------------------------------------------------------- */
/* TDH.MEM.PAGE.AUG                                                        */
/* ---------------------------------------------------------------------- */

u64 seam_mem_page_aug(struct seam_call *c)
{
	struct tdx_module_args *a = c->args;
	u64 rcx = a->rcx, rdx = a->rdx, page_pa = a->r8, pfn;
	struct sept_op op;
	u64 err;

	a->rcx = a->rdx = 0;
	err = sept_op_begin(&op, c, "tdh_mem_page_aug", rdx, rcx, 0, 1, false,
			    TREE_SHARED, true);
	c->td = op.td;
	if (err)
		goto out;
	if (op.state != SEPT_FREE && op.state != SEPT_REMOVED) {
		err = state_incorrect(&op);
		goto out;
	}
	err = r8_page_check(page_pa);
	if (err)
		goto out;
	pfn = page_pa >> PAGE_SHIFT;
	if (op.level) {
		if (!IS_ALIGNED(page_pa, SZ_2M) ||
		    pfn + 512 > pamt_nr_pfns) {
			err = tdx_err(TDX_PAGE_METADATA_INCORRECT,
				      TDX_OPERAND_ID_R8);
			goto out;
		}
	}
	if (pamt_lock_range(pfn, op.level)) {
		err = tdx_err(TDX_OPERAND_BUSY, TDX_OPERAND_ID_R8);
		goto out;
	}
	if (!pamt_range_free(pfn, op.level)) {
		pamt_unlock_range(pfn, op.level);
		err = tdx_err(TDX_PAGE_METADATA_INCORRECT, TDX_OPERAND_ID_R8);
		goto out;
	}
	sched_point_named(op.site);

	pamt_set(pfn, op.level, TDX_PT_REG, op.td->tdr_pa, op.gpa);
	td_add_children(op.td, 1LL << (9 * op.level));
	sept_entry_set(op.ep, sept_make(SEPT_PENDING, page_pa));
	pamt_unlock_range(pfn, op.level);
out:
	sept_op_end(&op);
	return err;
}

/* ---------------------------------------------------------------------- */
/* TDH.MEM.RANGE.BLOCK / UNBLOCK                                           */
/* ---------------------------------------------------------------------- */

u64 seam_mem_range_block(struct seam_call *c)
{
	struct tdx_module_args *a = c->args;
	u64 rcx = a->rcx, rdx = a->rdx;
	enum sept_state ns;
	struct pamt_entry *pe;
	struct sept_op op;
	u64 err;

	a->rcx = a->rdx = 0;
	err = sept_op_begin(&op, c, "tdh_mem_range_block", rdx, rcx, 0, 4,
			    false, TREE_EXCL, true);
	c->td = op.td;
	if (err)
		goto out;
	switch (op.state) {
	case SEPT_NL_MAPPED:
		ns = SEPT_NL_BLOCKED;
		break;
	case SEPT_MAPPED:
	case SEPT_BLOCKEDW:
		ns = SEPT_BLOCKED;
		break;
	case SEPT_PENDING:
	case SEPT_PENDING_BLOCKEDW:
		ns = SEPT_PENDING_BLOCKED;
		break;
	default:
		if (sept_state_any_blocked(op.state))
			err = sept_fail(&op,
					tdx_err(TDX_GPA_RANGE_ALREADY_BLOCKED,
						TDX_OPERAND_ID_RCX),
					op.entry, op.level);
		else
			err = state_incorrect(&op);
		goto out;
	}
	sched_point_named(op.site);

	pe = pamt_entry(sept_hpa(op.entry) >> PAGE_SHIFT);
	if (pe)
		WRITE_ONCE(pe->bepoch, __atomic_load_n(&op.td->td_epoch,
						       __ATOMIC_ACQUIRE));
	/* Keep the accept counter of a 2M PENDING leaf. */
	sept_entry_set(op.ep, sept_make(ns, sept_hpa(op.entry)));
out:
	sept_op_end(&op);
	return err;
}

u64 seam_mem_range_unblock(struct seam_call *c)
{
	struct tdx_module_args *a = c->args;
	u64 rcx = a->rcx, rdx = a->rdx;
	enum sept_state ns;
	struct sept_op op;
	u64 err;

	a->rcx = a->rdx = 0;
	err = sept_op_begin(&op, c, "tdh_mem_range_unblock", rdx, rcx, 0, 4,
			    false, TREE_EXCL, true);
	c->td = op.td;
	if (err)
		goto out;
	switch (op.state) {
	case SEPT_NL_BLOCKED:
		ns = SEPT_NL_MAPPED;
		break;
	case SEPT_BLOCKED:
		ns = SEPT_MAPPED;
		break;
	case SEPT_PENDING_BLOCKED:
		ns = SEPT_PENDING;
		break;
	default:
		err = state_incorrect(&op);
		goto out;
	}
	err = check_blocked_tracked(&op, sept_hpa(op.entry), false,
				    TDX_OPERAND_ID_SEPT);
	if (err)
		goto out;
	sched_point_named(op.site);
	sept_entry_set(op.ep, sept_make(ns, sept_hpa(op.entry)));
out:
	sept_op_end(&op);
	return err;
}

/* ---------------------------------------------------------------------- */
/* TDH.MEM.PAGE.REMOVE / TDH.MEM.SEPT.REMOVE                               */
/* ---------------------------------------------------------------------- */

u64 seam_mem_page_remove(struct seam_call *c)
{
	struct tdx_module_args *a = c->args;
	u64 rcx = a->rcx, rdx = a->rdx, hpa, pfn;
	struct sept_op op;
	u64 err;

	a->rcx = a->rdx = 0;
	err = sept_op_begin(&op, c, "tdh_mem_page_remove", rdx, rcx, 0, 2,
			    false, TREE_SHARED, true);
	c->td = op.td;
	if (err)
		goto out;
	switch (op.state) {
	case SEPT_MAPPED:
	case SEPT_BLOCKED:
	case SEPT_BLOCKEDW:
	case SEPT_PENDING:
	case SEPT_PENDING_BLOCKED:
	case SEPT_PENDING_BLOCKEDW:
		break;
	default:
		err = state_incorrect(&op);
		goto out;
	}
	hpa = leaf_base_hpa(op.entry, op.level);
	err = check_blocked_tracked(&op, hpa, true, TDX_OPERAND_ID_RCX);
	if (err)
		goto out;
	pfn = hpa >> PAGE_SHIFT;
	if (pamt_lock_range(pfn, op.level)) {
		err = sept_fail(&op, tdx_err(TDX_OPERAND_BUSY,
					     TDX_OPERAND_ID_RCX),
				op.entry, op.level);
		goto out;
	}
	sched_point_named(op.site);

	sept_entry_set(op.ep, SEPT_FREE_RAW);
	pamt_set(pfn, op.level, TDX_PT_NDA, 0, 0);
	td_add_children(op.td, -(1LL << (9 * op.level)));
	pamt_unlock_range(pfn, op.level);
	a->rcx = hpa;
	a->rdx = 0;
out:
	sept_op_end(&op);
	return err;
}

u64 seam_mem_sept_remove(struct seam_call *c)
{
	struct tdx_module_args *a = c->args;
	u64 rcx = a->rcx, rdx = a->rdx, child, *cp;
	struct sept_op op;
	u64 err;
	int i;

	a->rcx = a->rdx = 0;
	err = sept_op_begin(&op, c, "tdh_mem_sept_remove", rdx, rcx, 1, 4,
			    false, TREE_EXCL, true);
	c->td = op.td;
	if (err)
		goto out;
	if (op.state != SEPT_NL_MAPPED && op.state != SEPT_NL_BLOCKED) {
		err = state_incorrect(&op);
		goto out;
	}
	child = sept_hpa(op.entry);
	err = check_blocked_tracked(&op, child, true, TDX_OPERAND_ID_RCX);
	if (err)
		goto out;
	cp = sept_page(child);
	for (i = 0; i < 512; i++) {
		if (sept_state_of(sept_entry_read(&cp[i])) != SEPT_FREE) {
			err = sept_fail(&op, tdx_err(TDX_EPT_PAGE_NOT_FREE,
						     TDX_OPERAND_ID_RCX),
					op.entry, op.level);
			goto out;
		}
	}
	if (pamt_lock_4k(child >> PAGE_SHIFT, true)) {
		err = sept_fail(&op, tdx_err(TDX_OPERAND_BUSY,
					     TDX_OPERAND_ID_RCX),
				op.entry, op.level);
		goto out;
	}
	sched_point_named(op.site);

	sept_entry_set(op.ep, SEPT_FREE_RAW);
	/* The host gets the page back as TD-key ciphertext. */
	mktme_zero(op.td->key, child, PAGE_SIZE);
	pamt_set(child >> PAGE_SHIFT, 0, TDX_PT_NDA, 0, 0);
	td_add_children(op.td, -1);
	pamt_unlock_4k(child >> PAGE_SHIFT, true);
	a->rcx = child;
	a->rdx = 0;
out:
	sept_op_end(&op);
	return err;
}

/* ---------------------------------------------------------------------- */
/* TDH.MEM.PAGE.DEMOTE / PROMOTE                                           */
/* ---------------------------------------------------------------------- */

u64 seam_mem_page_demote(struct seam_call *c)
{
	struct tdx_module_args *a = c->args;
	u64 rcx = a->rcx, rdx = a->rdx, new_pa = a->r8, base, child_size;
	enum sept_state cs;
	struct sept_op op;
	u64 err, *np;
	int i;

	a->rcx = a->rdx = 0;
	if (rdx & RDX_FLAGS_RSVD)
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RDX);
	err = sept_op_begin(&op, c, "tdh_mem_page_demote", rdx & PAGE_MASK,
			    rcx, 1, 2, false, TREE_SHARED, true);
	c->td = op.td;
	if (err)
		goto out;
	switch (op.state) {
	case SEPT_MAPPED:
	case SEPT_BLOCKED:
		cs = SEPT_MAPPED;
		break;
	case SEPT_PENDING:
	case SEPT_PENDING_BLOCKED:
		cs = SEPT_PENDING;
		break;
	default:
		err = state_incorrect(&op);
		goto out;
	}
	base = leaf_base_hpa(op.entry, op.level);
	err = check_blocked_tracked(&op, base, true, TDX_OPERAND_ID_RCX);
	if (err)
		goto out;
	err = lock_new_page_r8(new_pa);
	if (err)
		goto out;
	if (pamt_lock_range(base >> PAGE_SHIFT, op.level)) {
		pamt_unlock_4k(new_pa >> PAGE_SHIFT, true);
		err = sept_fail(&op, tdx_err(TDX_OPERAND_BUSY,
					     TDX_OPERAND_ID_RCX),
				op.entry, op.level);
		goto out;
	}
	sched_point_named(op.site);

	child_size = sept_level_size(op.level - 1);
	np = sept_page(new_pa);
	for (i = 0; i < 512; i++)
		__atomic_store_n(&np[i], sept_make(cs, base + i * child_size),
				 __ATOMIC_RELAXED);
	for (i = 0; i < 512; i++)
		pamt_set((base + i * child_size) >> PAGE_SHIFT, op.level - 1,
			 TDX_PT_REG, op.td->tdr_pa, op.gpa + i * child_size);
	pamt_set(new_pa >> PAGE_SHIFT, 0, TDX_PT_EPT, op.td->tdr_pa, op.gpa);
	td_add_children(op.td, 1);
	sept_entry_set(op.ep, sept_make(SEPT_NL_MAPPED, new_pa));
	pamt_unlock_range(base >> PAGE_SHIFT, op.level);
	pamt_unlock_4k(new_pa >> PAGE_SHIFT, true);
out:
	sept_op_end(&op);
	return err;
}

u64 seam_mem_page_promote(struct seam_call *c)
{
	const u64 bad_promote = tdx_err(TDX_EPT_INVALID_PROMOTE_CONDITIONS,
					TDX_OPERAND_ID_RCX);
	struct tdx_module_args *a = c->args;
	u64 rcx = a->rcx, rdx = a->rdx, child, *cp, c0, hpa0, child_size;
	enum sept_state s0;
	struct sept_op op;
	int i, locked = 0;
	u64 err;

	a->rcx = a->rdx = 0;
	err = sept_op_begin(&op, c, "tdh_mem_page_promote", rdx, rcx, 1, 2,
			    false, TREE_SHARED, true);
	c->td = op.td;
	if (err)
		goto out;
	if (op.state != SEPT_NL_MAPPED && op.state != SEPT_NL_BLOCKED) {
		err = state_incorrect(&op);
		goto out;
	}
	child = sept_hpa(op.entry);
	err = check_blocked_tracked(&op, child, true, TDX_OPERAND_ID_RCX);
	if (err)
		goto out;
	if (pamt_lock_4k(child >> PAGE_SHIFT, true)) {
		err = sept_fail(&op, tdx_err(TDX_OPERAND_BUSY,
					     TDX_OPERAND_ID_RCX),
				op.entry, op.level);
		goto out;
	}
	cp = sept_page(child);
	for (locked = 0; locked < 512; locked++) {
		if (!sept_entry_lock_host(&cp[locked])) {
			err = sept_fail(&op, tdx_err(TDX_OPERAND_BUSY,
						     TDX_OPERAND_ID_RCX),
					op.entry, op.level);
			goto unlock;
		}
	}
	child_size = sept_level_size(op.level - 1);
	c0 = sept_entry_read(&cp[0]) & ~SEPT_LOCK_BITS;
	s0 = sept_state_of(c0);
	hpa0 = sept_hpa(c0);
	if ((s0 != SEPT_MAPPED && s0 != SEPT_PENDING) ||
	    !IS_ALIGNED(hpa0, sept_level_size(op.level))) {
		err = sept_fail(&op, bad_promote, op.entry, op.level);
		goto unlock;
	}
	for (i = 1; i < 512; i++) {
		u64 ci = sept_entry_read(&cp[i]) & ~SEPT_LOCK_BITS;

		if (ci != c0 + i * child_size) {
			err = sept_fail(&op, bad_promote, op.entry,
					op.level);
			goto unlock;
		}
	}
	if (pamt_lock_range(hpa0 >> PAGE_SHIFT, op.level)) {
		err = sept_fail(&op, tdx_err(TDX_OPERAND_BUSY,
					     TDX_OPERAND_ID_RCX),
				op.entry, op.level);
		goto unlock;
	}
	sched_point_named(op.site);

	pamt_set(hpa0 >> PAGE_SHIFT, op.level, TDX_PT_REG, op.td->tdr_pa,
		 op.gpa);
	sept_entry_set(op.ep, sept_make(s0, hpa0));
	for (i = 0; i < 512; i++)
		sept_entry_unlock(&cp[i]);
	locked = 0;
	mktme_zero(op.td->key, child, PAGE_SIZE);
	pamt_set(child >> PAGE_SHIFT, 0, TDX_PT_NDA, 0, 0);
	td_add_children(op.td, -1);
	pamt_unlock_range(hpa0 >> PAGE_SHIFT, op.level);
	a->rcx = child;
	a->rdx = 0;
unlock:
	while (locked--)
		sept_entry_unlock(&cp[locked]);
	pamt_unlock_4k(child >> PAGE_SHIFT, true);
out:
	sept_op_end(&op);
	return err;
}

/* ---------------------------------------------------------------------- */
/* TDH.MEM.TRACK                                                           */
/* ---------------------------------------------------------------------- */

u64 seam_mem_track(struct seam_call *c)
{
	struct tdx_module_args *a = c->args;
	struct tdx_td *td;
	u64 err, epoch;

	err = td_lock_tdr(c, a->rcx, TDX_OPERAND_ID_RCX, false, &td);
	if (err)
		return err;
	c->td = td;
	err = td_check_state_lock_op(td, c->leaf);
	if (err)
		goto unlock_tdr;
	if (!sharex_try_excl(&td->epoch_lock)) {
		err = tdx_err(TDX_OPERAND_BUSY, TDX_OPERAND_ID_TD_EPOCH);
		goto unlock_opst;
	}
	sched_point_named("tdh_mem_track");
	epoch = __atomic_load_n(&td->td_epoch, __ATOMIC_ACQUIRE);
	if (__atomic_load_n(&td->refcount[(epoch - 1) & 1], __ATOMIC_ACQUIRE))
		err = TDX_PREVIOUS_TLB_EPOCH_BUSY;
	else
		__atomic_store_n(&td->td_epoch, epoch + 1, __ATOMIC_RELEASE);
	sharex_release_excl(&td->epoch_lock);
unlock_opst:
	td_unlock_op_state(td);
unlock_tdr:
	td_unlock_tdr(td, false);
	return err;
}

/* ---------------------------------------------------------------------- */
/* TDH.MR.EXTEND                                                           */
/* ---------------------------------------------------------------------- */

u64 seam_mr_extend(struct seam_call *c)
{
	struct tdx_module_args *a = c->args;
	u64 rcx = a->rcx, rdx = a->rdx, pa;
	struct sept_walk w;
	enum sept_state s;
	struct tdx_td *td;
	u8 chunk[256];
	u64 err, gpa;
	int level;

	a->rcx = a->rdx = 0;
	err = td_lock_tdr(c, rdx, TDX_OPERAND_ID_RDX, true, &td);
	if (err)
		return err;
	c->td = td;
	err = td_check_build_state(td);
	if (err)
		goto out;
	if (!td_op_state_allows(td, c->leaf)) {
		err = TDX_OP_STATE_INCORRECT;
		goto out;
	}
	if (rcx & 0xff) {
		err = tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
		goto out;
	}
	/* The GPA checks of a 4K page-info operand, on the page base. */
	err = td_check_gpa_level(td, rcx & PAGE_MASK, 0, 0, &gpa, &level);
	if (err)
		goto out;
	gpa = rcx;
	sept_walk(td, gpa, 0, &w);
	s = sept_state_of(w.entry);
	if (!sept_state_is_leaf(s) || !(w.entry & SEPT_RWX)) {
		sept_set_ext(a, w.entry, w.level);
		err = tdx_err(TDX_EPT_ENTRY_NOT_PRESENT, TDX_OPERAND_ID_RCX);
		goto out;
	}
	if (s != SEPT_MAPPED) {
		err = TDX_EPT_ENTRY_NOT_PRESENT;
		goto out;
	}
	sched_point_named("tdh_mr_extend");
	pa = leaf_base_hpa(w.entry, w.level) +
	     (gpa & (sept_level_size(w.level) - 1));
	mktme_private_read(td->key, pa, chunk, sizeof(chunk));
	mrtd_extend(td, gpa, chunk);
out:
	td_unlock_tdr(td, true);
	return err;
}
