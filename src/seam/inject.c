// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fault injection, tdxsim's addition to the module (control.h): "the nth
 * call of leaf L on this TD answers status S". The dispatcher consults it
 * once per SEAMCALL, after the entry schedule point, so an injected answer
 * is an answer of the module: it is counted in the TD's statistics like a
 * real one and takes the same schedule points, and KVM sees only a status.
 *
 * Each TD holds TDX_INJECT_MAX slots (and the host as many, for calls of a
 * leaf by anyone: PAMT.ADD/REMOVE name no TD), each one 64-bit word updated with a
 * compare-and-swap (no lock, hence no schedule point and no lock class):
 * counting a call decrements every armed slot of the TD for its leaf, and
 * the call that takes one to zero fires it and frees the slot. A module-
 * wide count of armed slots keeps the dispatcher's cost at one load while
 * nothing is pending.
 */
#include <errno.h>

#include "seam/seam_internal.h"

#define INJ_REMAIN_MASK		GENMASK_ULL(31, 0)
#define INJ_LEAF_SHIFT		32
#define INJ_LEAF_MASK		(0x7fULL << INJ_LEAF_SHIFT)
#define INJ_STATE_SHIFT		46
#define INJ_STATE_MASK		(3ULL << INJ_STATE_SHIFT)
#define INJ_GEN_SHIFT		48

enum { INJ_FREE, INJ_CLAIMED, INJ_ARMED };

_Static_assert(TDX_INJECT_NR_LEAVES - 1 <= (INJ_LEAF_MASK >> INJ_LEAF_SHIFT),
	       "a leaf number fits in the slot word");

/* Armed slots in all TDs. */
static u64 inject_armed;

static unsigned int slot_state(u64 w)
{
	return (w & INJ_STATE_MASK) >> INJ_STATE_SHIFT;
}

static unsigned int slot_leaf(u64 w)
{
	return (w & INJ_LEAF_MASK) >> INJ_LEAF_SHIFT;
}

/* The word of a free slot one generation after @w. */
static u64 slot_freed(u64 w)
{
	return ((w >> INJ_GEN_SHIFT) + 1) << INJ_GEN_SHIFT;
}

/*
 * Host-level requests: calls that name no TD (PAMT.ADD/REMOVE, CACHE.WB),
 * or any call of the leaf, whoever makes it.
 */
static struct inject_slot host_inject[TDX_INJECT_MAX];

static int arm_slot(struct inject_slot *slots, unsigned int leaf, u32 nth,
		    u64 status)
{
	int i;

	for (i = 0; i < TDX_INJECT_MAX; i++) {
		struct inject_slot *s = &slots[i];
		u64 w = __atomic_load_n(&s->word, __ATOMIC_ACQUIRE);

		if (slot_state(w) != INJ_FREE)
			continue;
		if (!__atomic_compare_exchange_n(&s->word, &w,
				w | ((u64)INJ_CLAIMED << INJ_STATE_SHIFT),
				false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			continue;
		__atomic_store_n(&s->status, status, __ATOMIC_RELAXED);
		/* Counted before it can fire, so the fast path never misses it. */
		__atomic_fetch_add(&inject_armed, 1, __ATOMIC_SEQ_CST);
		__atomic_store_n(&s->word,
				 w | ((u64)INJ_ARMED << INJ_STATE_SHIFT) |
				 ((u64)leaf << INJ_LEAF_SHIFT) | nth,
				 __ATOMIC_RELEASE);
		return 0;
	}
	return -ENOSPC;
}

int tdx_module_inject_fault(u64 tdr_pa, unsigned int leaf, u32 nth,
			    u64 status)
{
	struct tdx_td *td;

	if (leaf >= TDX_INJECT_NR_LEAVES || !nth || !status)
		return -EINVAL;
	td = td_lookup(tdr_pa);
	if (!td || READ_ONCE(td->dead))
		return -ENOENT;
	return arm_slot(td->inject, leaf, nth, status);
}

int tdx_module_inject_host_fault(unsigned int leaf, u32 nth, u64 status)
{
	if (leaf >= TDX_INJECT_NR_LEAVES || !nth || !status)
		return -EINVAL;
	return arm_slot(host_inject, leaf, nth, status);
}

unsigned int tdx_module_inject_pending(u64 tdr_pa)
{
	struct tdx_td *td = td_lookup(tdr_pa);
	unsigned int n = 0;
	int i;

	for (i = 0; td && i < TDX_INJECT_MAX; i++)
		if (slot_state(__atomic_load_n(&td->inject[i].word,
					       __ATOMIC_ACQUIRE)) == INJ_ARMED)
			n++;
	return n;
}

/*
 * The TD (and vCPU) a call's operands name, found without locks: the
 * injection answers before the leaf locks anything. TDs and vCPUs are
 * never freed before tdx_module_exit() (a gone one's structure is reused
 * for a new one), so a stale pointer is harmless.
 */
static struct tdx_td *call_td(const struct seam_call *c,
			      struct tdx_vcpu **vp)
{
	const struct tdx_module_args *a = c->args;
	struct tdx_vcpu *v = NULL;
	u64 pa;

	*vp = NULL;
	switch (c->leaf) {
	case TDH_VP_ENTER:
	case TDH_VP_FLUSH:
	case TDH_VP_INIT:
	case TDH_VP_RD:
	case TDH_VP_WR:
		v = vcpu_lookup(a->rcx);
		break;
	case TDH_VP_ADDCX:
		v = vcpu_lookup(a->rdx);
		break;
	case TDH_MNG_ADDCX:
	case TDH_MEM_PAGE_ADD:
	case TDH_MEM_SEPT_ADD:
	case TDH_MEM_PAGE_AUG:
	case TDH_MEM_RANGE_BLOCK:
	case TDH_VP_CREATE:
	case TDH_MEM_PAGE_DEMOTE:
	case TDH_MR_EXTEND:
	case TDH_MEM_PAGE_PROMOTE:
	case TDH_MEM_PAGE_REMOVE:
	case TDH_MEM_SEPT_REMOVE:
	case TDH_MEM_RANGE_UNBLOCK:
		return td_lookup(a->rdx);
	case TDH_PHYMEM_PAGE_RECLAIM:
		pa = a->rcx & PAGE_MASK;
		if (!pamt_pa_valid(pa))
			return NULL;
		return td_lookup(pamt_owner(pamt_entry(pa >> PAGE_SHIFT)));
	case TDH_PHYMEM_PAGE_WBINVD:
		return kot_lookup(a->rcx >> TDX_KEYID_SHIFT);
	case TDH_PHYMEM_CACHE_WB:
		return NULL;
	default:
		return td_lookup(a->rcx);
	}
	if (!v)
		return NULL;
	*vp = v;
	return v->td;
}

/*
 * Count the call of @leaf against @slots: true, with the status in
 * @status, if one fires (two for the same call: the first answers).
 */
static bool consume_slots(struct inject_slot *slots, unsigned int leaf,
			  u64 *status)
{
	bool hit = false;
	int i;

	for (i = 0; i < TDX_INJECT_MAX; i++) {
		struct inject_slot *s = &slots[i];
		u64 w = __atomic_load_n(&s->word, __ATOMIC_ACQUIRE), nw, st = 0;
		bool fires = false;

		do {
			if (slot_state(w) != INJ_ARMED || slot_leaf(w) != leaf)
				break;
			/* Stable while the word is: a reuse changes the gen. */
			st = __atomic_load_n(&s->status, __ATOMIC_RELAXED);
			fires = (w & INJ_REMAIN_MASK) == 1;
			nw = fires ? slot_freed(w) : w - 1;
		} while (!__atomic_compare_exchange_n(&s->word, &w, nw, false,
						      __ATOMIC_ACQ_REL,
						      __ATOMIC_ACQUIRE));
		if (slot_state(w) != INJ_ARMED || slot_leaf(w) != leaf ||
		    !fires)
			continue;
		__atomic_fetch_sub(&inject_armed, 1, __ATOMIC_SEQ_CST);
		if (!hit) {
			*status = st;
			hit = true;
		}
	}
	return hit;
}

bool inject_consume(struct seam_call *c, u64 *status)
{
	struct tdx_vcpu *vcpu;
	struct tdx_td *td;
	bool hit;

	if (!__atomic_load_n(&inject_armed, __ATOMIC_SEQ_CST))
		return false;
	td = call_td(c, &vcpu);
	/* The TD's requests first; the host's count every call of the leaf. */
	hit = td && consume_slots(td->inject, c->leaf, status);
	if (hit)
		consume_slots(host_inject, c->leaf, &(u64){ 0 });
	else
		hit = consume_slots(host_inject, c->leaf, status);
	if (hit && td) {
		c->td = td;
		c->vcpu = vcpu;
	}
	return hit;
}

void inject_drop(struct tdx_td *td)
{
	int i;

	for (i = 0; i < TDX_INJECT_MAX; i++) {
		struct inject_slot *s = &td->inject[i];
		u64 w = __atomic_load_n(&s->word, __ATOMIC_ACQUIRE);

		while (slot_state(w) == INJ_ARMED) {
			if (__atomic_compare_exchange_n(&s->word, &w,
							slot_freed(w), false,
							__ATOMIC_ACQ_REL,
							__ATOMIC_ACQUIRE)) {
				__atomic_fetch_sub(&inject_armed, 1,
						   __ATOMIC_SEQ_CST);
				break;
			}
		}
	}
}

void inject_reset(void)
{
	int i;

	for (i = 0; i < TDX_INJECT_MAX; i++)
		__atomic_store_n(&host_inject[i].word,
				 slot_freed(host_inject[i].word),
				 __ATOMIC_RELAXED);
	__atomic_store_n(&inject_armed, 0, __ATOMIC_SEQ_CST);
}
