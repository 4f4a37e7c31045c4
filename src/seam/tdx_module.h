/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tdxsim's software TDX module, the machine's side: bringing the module up
 * (what the kernel's TDX init does with TDH.SYS.* and the PAMT), the system
 * information and HKIDs the kernel gets from it, and what the machine does
 * to a vCPU that is not a SEAMCALL (an interrupt arriving at its CPU, the
 * guest code it runs). None of these is a SEAMCALL; KVM may use them.
 */
#ifndef TDXSIM_SEAM_TDX_MODULE_H
#define TDXSIM_SEAM_TDX_MODULE_H

#include "seam/seamcall.h"

/* ---------------------------------------------------------------------- */
/* Bring-up, system information, HKIDs.                                    */
/* ---------------------------------------------------------------------- */

/* Module configuration; start from tdx_module_config_init(). */
struct tdx_module_config {
	/*
	 * TDH.VP.INIT versions the module takes: 1 (the default set by
	 * tdx_module_config_init()) = a module >= 1.5.05, v1 takes the TDR
	 * exclusively; 0 = module 1.5.01, only v0, TDR shared.
	 * tdh_vp_init() uses the highest one.
	 */
	int vp_init_version;
	/* Zero-step mitigation of reference §6.5 (default on). */
	bool zero_step_mitigation_off;
	/* Private HKIDs: 1..max_hkids (0 or more than 63 = 63). */
	unsigned int max_hkids;
	/* Modelled cost in ns of each SEAMCALL leaf; 0 keeps the default. */
	u64 seamcall_cost_ns[TDX_NR_LEAVES];
	/* Modelled cost in ns of each TDCALL leaf (TDG_*); 0 = default. */
	u64 tdcall_cost_ns[TDX_NR_LEAVES];
	/*
	 * Cost of one TD exit (0 = default 325 ns); the TDH.VP.ENTER leaf
	 * cost (default 325 ns) is the entry, so a round trip is 650 ns.
	 */
	u64 td_transition_cost_ns;
	/*
	 * Dynamic PAMT enabled (TDH.SYS.CONFIG R8 bit 16; the module has
	 * TDX_FEATURES0_DYNAMIC_PAMT): 4K PAMT entries live in page pairs the
	 * host adds per 2M region (TDH.PHYMEM.PAMT.ADD/REMOVE). Default off.
	 */
	bool dynamic_pamt;
	/*
	 * Host-priority timeout (reference §6.4): a guest TDCALL answered
	 * BUSY because of a host's HP bit this many times in a row stands for
	 * hp_lock_timeout (1 s); the next such answer makes an asynchronous
	 * TD exit, TDX_HOST_PRIORITY_BUSY_TIMEOUT. In free mode a second of
	 * wall time since the first answer must have passed too. 0 = 1000.
	 */
	unsigned int hp_lock_timeout_answers;
};

/* Fill @cfg with the defaults (VP.INIT v1, zero-step on, 63 HKIDs). */
void tdx_module_config_init(struct tdx_module_config *cfg);

/*
 * Bring the module up (what the kernel's TDX init does: TDH.SYS.*, PAMT
 * allocation). @cfg NULL selects the defaults. Sets up base's PFN space with
 * its default size if nobody did. Returns 0, -EBUSY if already up, -ENOMEM.
 */
int tdx_module_init(const struct tdx_module_config *cfg);
/* Shut the module down and forget every TD (tests call it between cases). */
void tdx_module_exit(void);
/* True between tdx_module_init() and tdx_module_exit(). */
bool tdx_module_ready(void);
/* The configuration in force (defaults filled in). */
const struct tdx_module_config *tdx_module_get_config(void);

/*
 * Dynamic PAMT on or off from now on, as the kernel's TDX init would
 * configure it (tdxsim: one process models hosts of several kernels, so
 * the mode may change while no TD holds a page). Returns 0, -EBUSY if a
 * TD holds pages, -ENODEV before tdx_module_init().
 */
int tdx_module_set_dynamic_pamt(bool on);
/* Is Dynamic PAMT enabled (tdx_supports_dynamic_pamt()'s module side)? */
bool tdx_module_dynamic_pamt(void);

/* What the kernel reads from the module at boot (struct tdx_sys_info). */
struct tdx_sys_info {
	u16 major_version;
	u16 minor_version;
	u16 update_version;
	u16 vp_init_max_version;	/* highest TDH.VP.INIT version taken */
	u64 attributes_fixed0;		/* its 0 bits: 0 in ATTRIBUTES */
	u64 attributes_fixed1;		/* a 1 bit must be 1 */
	u64 xfam_fixed0;
	u64 xfam_fixed1;
	u32 tdr_base_size;		/* bytes: 1 page */
	u32 tdcs_base_size;		/* bytes: TDCS pages (MNG.ADDCX) */
	u32 tdvps_base_size;		/* bytes: TDVPR + TDCX pages */
	u16 max_vcpus_per_td;
	u16 num_cpuid_config;
	/* Per CPUID config: leaf | sub-leaf << 32 (~0U: none), and its
	 * configurable bits: [0] EBX:EAX, [1] EDX:ECX. */
	u64 cpuid_config_leaves[TDX_MAX_CPUID_CONFIG];
	u64 cpuid_config_values[TDX_MAX_CPUID_CONFIG][2];
	bool sept_5_level;		/* 5-level S-EPT supported */
};

/* Fill @info (tdx_get_sysinfo()). Returns -ENODEV before tdx_module_init(). */
int tdx_get_sysinfo(struct tdx_sys_info *info);
/* Number of TDCS pages a TD needs (TDH.MNG.ADDCX calls). */
unsigned int tdx_nr_tdcs_pages(void);
/* Number of TDCX pages a vCPU needs besides its TDVPR (TDH.VP.ADDCX calls). */
unsigned int tdx_nr_tdcx_pages(void);

/* Allocate a private HKID (tdx_guest_keyid_alloc()): > 0 or -ENOSPC. */
int tdx_guest_keyid_alloc(void);
/* Free a private HKID allocated with tdx_guest_keyid_alloc(). */
void tdx_guest_keyid_free(unsigned int keyid);

/*
 * The machine's CPUID (tdxsim's CPU, the one the module's TD CPUID table
 * describes): leaf @leaf, sub-leaf @subleaf into @regs (EAX, EBX, ECX,
 * EDX); zeros for a leaf the CPU does not have. What KVM reads of its host
 * instead of the CPU it runs on, so a run answers the same on any machine.
 */
void tdx_machine_cpuid(u32 leaf, u32 subleaf, u32 regs[4]);

/* ---------------------------------------------------------------------- */
/* Interrupts and what runs inside a vCPU.                                 */
/* ---------------------------------------------------------------------- */

struct tdx_guest_ops;	/* tdcall.h */

/*
 * An interrupt (IPI) arriving at the CPU that runs vCPU @tdvpr_pa. If the
 * vCPU is inside the guest it leaves with an external-interrupt TD exit
 * (reason 1) at its next guest instruction (tdg_ call or memory access). If
 * it is not, the interrupt stays pending and the next TDH.VP.ENTER exits at
 * once, as when a kick lands between KVM's mode change and VM entry.
 * Returns 0, or -ENOENT if @tdvpr_pa is not a vCPU.
 */
int tdx_module_send_ipi(u64 tdvpr_pa);
/*
 * Set the code vCPU @tdvpr_pa runs inside the TD (the simulator's stand-in
 * for guest code in TD memory): TDH.VP.ENTER calls @ops->run(@guest, ctx).
 * NULL @ops makes the vCPU halt at once. Returns 0 or -ENOENT.
 */
int tdx_module_set_guest(u64 tdvpr_pa, const struct tdx_guest_ops *ops,
			 void *guest);

/*
 * tdxsim: the bytes of a host page that stands for memory outside the PFN
 * space (the machine's "physical" page of a VMM's anonymous memory behind
 * a shared GPA, kvm/tdxsim_user_pages.c). The host sets @copy once; a
 * guest access through the shared EPT to a page of PFN @pfn calls it
 * first: it copies @n bytes at offset @off of the page to (@write) or from
 * @buf and returns 0, -EFAULT if that memory is gone, or -ENOENT if the
 * page is an ordinary one (its bytes are in the PFN space).
 */
typedef int (*tdx_foreign_copy_fn)(u64 pfn, u64 off, void *buf, size_t n,
				   bool write);
void tdx_module_set_foreign_copy(tdx_foreign_copy_fn copy);

#endif /* TDXSIM_SEAM_TDX_MODULE_H */
