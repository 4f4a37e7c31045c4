// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tdxsim's addition: the TDX vendor's own controls (TDXSIM_GET_MRTD,
 * TDXSIM_GET_TD_STATS, TDXSIM_CHECK_INVARIANTS, TDXSIM_INJECT_FAULT),
 * reached through kvm_x86_ops.tdxsim_vm_ioctl. The kernel has none of them:
 * a TD's MRTD is for an attestation flow to read, the module's per-TD
 * counters and the cross-check of KVM's mirror root against the module's
 * S-EPT are what tdxsim's users judge a run by, and an injected SEAMCALL
 * failure is how tests reach KVM's error paths. They read or steer the
 * module's state (its counters, PAMT ownership, its fault injection),
 * which is why they live here, in a file that may see the module's
 * diagnostics and controls, and not in tdx.c.
 */
#include <stdlib.h>
#include <string.h>

#include "ulib/strbuf.h"
#include "host/mm.h"
#include "kvm/kvm_host.h"
#include "kvm/tdx.h"
#include "kvm/tdxsim_ctl.h"
#include "seam/control.h"
#include "seam/diag.h"

static long tdxsim_tdx_get_mrtd(struct kvm *kvm, void *argp)
{
	struct kvm_tdx *kvm_tdx = to_kvm_tdx(kvm);
	struct tdxsim_mrtd mrtd = { { 0 } };
	u64 word, err;
	int i;

	if (!kvm_tdx->td_created || !is_hkid_assigned(kvm_tdx) ||
	    kvm_tdx->state != TD_STATE_RUNNABLE)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		err = tdh_mng_rd(tdx_tdr_pa(kvm_tdx), TDCS_MR_TD(i), &word);
		if (err) {
			pr_err("kvm_tdx: TDH.MNG.RD(MRTD) failed: %s\n",
			       tdx_status_name(err));
			return -EIO;
		}
		memcpy(mrtd.mrtd + 8 * i, &word, 8);
	}
	return copy_to_user(argp, &mrtd, sizeof(mrtd)) ? -EFAULT : 0;
}

static long tdxsim_tdx_get_td_stats(struct kvm *kvm, void *argp)
{
	struct kvm_tdx *kvm_tdx = to_kvm_tdx(kvm);
	struct tdxsim_td_stats out = { { 0 } };
	struct tdx_td_stats *st;
	int i, j;

	if (!kvm_tdx->td_created || !kvm_tdx->tdr_page)
		return -EINVAL;
	st = xzalloc(sizeof(*st));
	if (tdx_module_get_td_stats(tdx_tdr_pa(kvm_tdx), st)) {
		free(st);
		return -EINVAL;
	}
	for (i = 0; i < TDXSIM_NR_LEAVES && i < TDX_NR_LEAVES; i++) {
		out.seamcalls[i] = st->calls[i];
		out.tdcalls[i] = st->tdcalls[i];
		for (j = 0; j < TDX_NR_BUSY_SLOTS; j++)
			out.busy[i] += st->busy[i][j];
	}
	for (i = 0; i < (int)ARRAY_SIZE(out.exits); i++)
		out.exits[i] = st->exits[i];
	for (i = 0; i < TDX_NR_ERROR_SLOTS; i++)
		if (!tdx_operand_busy(st->errors[i].status))
			out.errors += st->errors[i].count;
	out.errors += st->errors_dropped;
	out.cost_ns = st->cost_ns;
	out.pages_owned = tdx_module_pages_owned(tdx_tdr_pa(kvm_tdx));
	out.pamt_pairs = tdx_module_td_pamt_pairs(tdx_tdr_pa(kvm_tdx));
	free(st);
	return copy_to_user(argp, &out, sizeof(out)) ? -EFAULT : 0;
}

static long tdxsim_tdx_check_ioctl(struct kvm *kvm, void *argp)
{
	struct tdxsim_check check;
	struct strbuf sb = STRBUF_INIT;
	size_t n;

	if (copy_from_user(&check, argp, sizeof(check)))
		return -EFAULT;
	check.errors = tdxsim_check_invariants(kvm, &sb);
	if (check.buf && check.len) {
		n = min((size_t)check.len - 1, sb.len);
		if (copy_to_user((void *)(uintptr_t)check.buf, sb_str(&sb), n) ||
		    copy_to_user((char *)(uintptr_t)check.buf + n, "", 1)) {
			sb_free(&sb);
			return -EFAULT;
		}
	}
	sb_free(&sb);
	return copy_to_user(argp, &check, sizeof(check)) ? -EFAULT : 0;
}

/*
 * TDXSIM_INJECT_FAULT: the module's fault injection does the work (it
 * answers the chosen call in its dispatcher and counts it); here the
 * request is checked and the VM's TD named. No TD yet: -EINVAL (but for
 * a host-level request, TDXSIM_INJECT_HOST, which names no TD).
 */
static long tdxsim_tdx_inject_fault(struct kvm *kvm, void *argp)
{
	struct kvm_tdx *kvm_tdx = to_kvm_tdx(kvm);
	struct tdxsim_inject_fault f;
	int r;

	if (copy_from_user(&f, argp, sizeof(f)))
		return -EFAULT;
	if (f.leaf == TDXSIM_INJECT_SPLIT_ENOMEM && f.nth && f.status) {
		__atomic_store_n(&kvm->tdxsim.split_enomem_nth, (int)f.nth,
				 __ATOMIC_RELAXED);
		return 0;
	}
	if (f.leaf == TDXSIM_INJECT_PAMT_CACHE_EMPTY && f.nth && f.status) {
		__atomic_store_n(&kvm->tdxsim.pamt_cache_empty_nth, (int)f.nth,
				 __ATOMIC_RELAXED);
		return 0;
	}
	if (f.leaf & TDXSIM_INJECT_HOST)
		return tdx_module_inject_host_fault(f.leaf & ~TDXSIM_INJECT_HOST,
						    f.nth, f.status);
	if (f.leaf >= TDX_INJECT_NR_LEAVES || !f.nth || !f.status)
		return -EINVAL;
	if (!kvm_tdx->td_created || !kvm_tdx->tdr_page)
		return -EINVAL;
	r = tdx_module_inject_fault(tdx_tdr_pa(kvm_tdx), f.leaf, f.nth,
				    f.status);
	return r == -ENOENT ? -EINVAL : r;
}

bool tdxsim_inject_split_enomem(struct kvm *kvm)
{
	int *n = &kvm->tdxsim.split_enomem_nth;

	if (!__atomic_load_n(n, __ATOMIC_RELAXED))
		return false;
	return __atomic_sub_fetch(n, 1, __ATOMIC_RELAXED) == 0;
}

bool tdxsim_inject_pamt_cache_empty(struct kvm *kvm)
{
	int *n = &kvm->tdxsim.pamt_cache_empty_nth;

	if (!__atomic_load_n(n, __ATOMIC_RELAXED))
		return false;
	return __atomic_sub_fetch(n, 1, __ATOMIC_RELAXED) == 0;
}

_Static_assert(TDX_INJECT_NR_LEAVES == 128,
	       "struct tdxsim_inject_fault takes leaves 0..127");

long tdxsim_tdx_vm_ioctl(struct kvm *kvm, unsigned int ioctl, void *argp)
{
	long r;

	/*
	 * The TD's state (created, HKID, TDR, state, each vCPU's pages)
	 * changes under the VM-state guard of KVM_TDX_INIT_VM, INIT_VCPU,
	 * INIT_MEM_REGION and FINALIZE, whose outermost lock is kvm->lock:
	 * hold it, so that a control reads a TD before or after those, never
	 * in the middle.
	 */
	mutex_lock(&kvm->lock);
	switch (ioctl) {
	case TDXSIM_GET_MRTD:
		r = tdxsim_tdx_get_mrtd(kvm, argp);
		break;
	case TDXSIM_GET_TD_STATS:
		r = tdxsim_tdx_get_td_stats(kvm, argp);
		break;
	case TDXSIM_CHECK_INVARIANTS:
		/* The walk follows memslots and their guest_memfd files. */
		mutex_lock(&kvm->slots_lock);
		r = tdxsim_tdx_check_ioctl(kvm, argp);
		mutex_unlock(&kvm->slots_lock);
		break;
	case TDXSIM_INJECT_FAULT:
		r = tdxsim_tdx_inject_fault(kvm, argp);
		break;
	default:
		r = -ENOTTY;
		break;
	}
	mutex_unlock(&kvm->lock);
	return r;
}

int tdxsim_dpamt_select(struct kvm *kvm)
{
	bool want = READ_ONCE(kvm->design.dpamt) != TDXSIM_DPAMT_OFF;
	int r;

	/* v6's tdx_supports_dynamic_pamt(): the module's tree covers 48 bits. */
	if (want && READ_ONCE(kvm->design.dpamt_phys_check) &&
	    READ_ONCE(kvm->design.phys_bits) == 1)
		want = false;
	r = tdx_module_set_dynamic_pamt(want);
	if (r == -EBUSY)
		pr_err("kvm_tdx: the host runs %s PAMT for TDs of another kernel profile; a TD of this one (dpamt=%s) waits until they are gone\n",
		       want ? "static" : "dynamic", want ? "on" : "off");
	return r;
}
