// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tdxsim's software TDX module: bring-up (what the kernel's TDX init does
 * with TDH.SYS.* and the PAMT), the system information the kernel reads,
 * the HKID allocator, and what the machine does to a vCPU besides
 * SEAMCALLs (an interrupt arriving, the guest code it runs). The
 * dispatcher is in dispatch.c, the leaves in td.c, vp.c, mem.c, mr.c,
 * phymem.c and guest.c.
 */
#include <errno.h>
#include <string.h>

#include "seam/seam_internal.h"

struct tdx_module_config seam_cfg;
static bool module_ready;
/* The kernel's keyid IDA (tdx_guest_keyid_alloc()). */
static u64 keyid_bitmap;

void tdx_module_config_init(struct tdx_module_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->vp_init_version = 1;
	cfg->max_hkids = TDX_MAX_HKIDS;
}

int tdx_module_init(const struct tdx_module_config *cfg)
{
	int ret;

	if (module_ready)
		return -EBUSY;
	if (cfg)
		seam_cfg = *cfg;
	else
		tdx_module_config_init(&seam_cfg);
	if (seam_cfg.vp_init_version > 1)
		seam_cfg.vp_init_version = 1;
	if (seam_cfg.vp_init_version < 0)
		seam_cfg.vp_init_version = 0;
	if (!seam_cfg.max_hkids || seam_cfg.max_hkids > TDX_MAX_HKIDS)
		seam_cfg.max_hkids = TDX_MAX_HKIDS;
	if (!seam_cfg.hp_lock_timeout_answers)
		seam_cfg.hp_lock_timeout_answers = HP_LOCK_TIMEOUT_ANSWERS;
	stats_init_costs(&seam_cfg);
	ret = pamt_init();
	if (ret)
		return ret;
	mktme_global_key = mktme_new_key(0x6b6579ULL);
	td_free_all();
	keyid_bitmap = 0;
	inject_reset();
	__atomic_store_n(&module_ready, true, __ATOMIC_RELEASE);
	return 0;
}

void tdx_module_exit(void)
{
	if (!module_ready)
		return;
	__atomic_store_n(&module_ready, false, __ATOMIC_RELEASE);
	td_free_all();
	inject_reset();
	pamt_exit();
}

bool tdx_module_ready(void)
{
	return __atomic_load_n(&module_ready, __ATOMIC_ACQUIRE);
}

const struct tdx_module_config *tdx_module_get_config(void)
{
	return &seam_cfg;
}

int tdx_get_sysinfo(struct tdx_sys_info *info)
{
	if (!tdx_module_ready())
		return -ENODEV;
	memset(info, 0, sizeof(*info));
	info->major_version = 1;
	info->minor_version = 5;
	info->update_version = seam_cfg.vp_init_version ? 5 : 1;
	info->vp_init_max_version = seam_cfg.vp_init_version;
	info->attributes_fixed0 = TDX_SUPPORTED_ATTRS;
	info->attributes_fixed1 = 0;
	info->xfam_fixed0 = TDX_XFAM_FIXED0;
	info->xfam_fixed1 = TDX_XFAM_FIXED1;
	info->tdr_base_size = PAGE_SIZE;
	info->tdcs_base_size = TDX_NR_TDCS_PAGES * PAGE_SIZE;
	info->tdvps_base_size = (1 + TDX_NR_TDCX_PAGES) * PAGE_SIZE;
	info->max_vcpus_per_td = TDX_MAX_VCPUS_PER_TD;
	info->num_cpuid_config = seam_cpuid_nr_configs();
	seam_cpuid_configs(info->cpuid_config_leaves, info->cpuid_config_values);
	info->sept_5_level = true;
	return 0;
}

unsigned int tdx_nr_tdcs_pages(void)
{
	return TDX_NR_TDCS_PAGES;
}

unsigned int tdx_nr_tdcx_pages(void)
{
	return TDX_NR_TDCX_PAGES;
}

int tdx_guest_keyid_alloc(void)
{
	u64 old = __atomic_load_n(&keyid_bitmap, __ATOMIC_RELAXED);
	unsigned int id;

	for (;;) {
		for (id = 1; id <= seam_cfg.max_hkids; id++)
			if (!(old & BIT_ULL(id)))
				break;
		if (id > seam_cfg.max_hkids)
			return -ENOSPC;
		if (__atomic_compare_exchange_n(&keyid_bitmap, &old,
						old | BIT_ULL(id), false,
						__ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED))
			return id;
	}
}

void tdx_guest_keyid_free(unsigned int keyid)
{
	if (keyid && keyid <= TDX_MAX_HKIDS)
		__atomic_fetch_and(&keyid_bitmap, ~BIT_ULL(keyid),
				   __ATOMIC_ACQ_REL);
}

int tdx_module_send_ipi(u64 tdvpr_pa)
{
	struct tdx_vcpu *v = vcpu_lookup(tdvpr_pa);

	if (!v)
		return -ENOENT;
	__atomic_store_n(&v->ipi_pending, 1, __ATOMIC_RELEASE);
	return 0;
}

int tdx_module_set_guest(u64 tdvpr_pa, const struct tdx_guest_ops *ops,
			 void *guest)
{
	struct tdx_vcpu *v = vcpu_lookup(tdvpr_pa);

	if (!v)
		return -ENOENT;
	__atomic_store_n(&v->guest, guest, __ATOMIC_RELEASE);
	__atomic_store_n(&v->ops, ops, __ATOMIC_RELEASE);
	return 0;
}
