// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The kernel's SEAMCALL wrappers: the twin of arch/x86/virt/vmx/tdx/tdx.c
 * (its tdh_*() part, in upstream's order). Each wrapper puts its operands
 * in the registers the leaf defines, issues the SEAMCALL and copies the
 * outputs back; KVM's tdx.c calls nothing of the module but these and
 * seamcall().
 *
 * Departures (see kvm/asm/tdx.h): operands are physical addresses rather
 * than struct tdx_td / tdx_vp / page pointers; there is no cache to flush
 * before handing a page to the module (tdx_clflush_page()), and no
 * retry on TDX_RND_NO_ENTROPY, which the software module never returns;
 * TDH.VP.INIT asks for version 0 when the module takes nothing newer.
 */
#include "kvm/asm/tdx.h"

/* RCX of the S-EPT leaves: the GPA with the TDX level in bits 2:0. */
static u64 gpa_level(u64 gpa, int level)
{
	return gpa | (u64)(level & 7);
}

/* A physical address tagged with the key id @hkid (mk_keyed_paddr()). */
static u64 mk_keyed_paddr(u64 hkid, u64 pa)
{
	return pa | (hkid << TDX_KEYID_SHIFT);
}

u64 tdh_vp_enter(u64 tdvpr_pa, struct tdx_module_args *args)
{
	args->rcx = tdvpr_pa;
	return seamcall(TDH_VP_ENTER, args);
}

u64 tdh_mng_addcx(u64 tdr_pa, u64 tdcs_pa)
{
	struct tdx_module_args args = {
		.rcx = tdcs_pa,
		.rdx = tdr_pa,
	};

	return seamcall(TDH_MNG_ADDCX, &args);
}

u64 tdh_mem_page_add(u64 tdr_pa, u64 gpa, u64 page_pa, u64 source_pa,
		     u64 *ext_err1, u64 *ext_err2)
{
	struct tdx_module_args args = {
		.rcx = gpa,
		.rdx = tdr_pa,
		.r8 = page_pa,
		.r9 = source_pa,
	};
	u64 ret = seamcall(TDH_MEM_PAGE_ADD, &args);

	*ext_err1 = args.rcx;
	*ext_err2 = args.rdx;
	return ret;
}

u64 tdh_mem_sept_add(u64 tdr_pa, u64 gpa, int level, u64 sept_page_pa,
		     u64 *ext_err1, u64 *ext_err2)
{
	struct tdx_module_args args = {
		.rcx = gpa_level(gpa, level),
		.rdx = tdr_pa,
		.r8 = sept_page_pa,
	};
	u64 ret = seamcall(TDH_MEM_SEPT_ADD, &args);

	*ext_err1 = args.rcx;
	*ext_err2 = args.rdx;
	return ret;
}

u64 tdh_vp_addcx(u64 tdvpr_pa, u64 tdcx_pa)
{
	struct tdx_module_args args = {
		.rcx = tdcx_pa,
		.rdx = tdvpr_pa,
	};

	return seamcall(TDH_VP_ADDCX, &args);
}

u64 tdh_mem_page_aug(u64 tdr_pa, u64 gpa, int level, u64 page_pa,
		     u64 *ext_err1, u64 *ext_err2)
{
	struct tdx_module_args args = {
		.rcx = gpa_level(gpa, level),
		.rdx = tdr_pa,
		.r8 = page_pa,
	};
	u64 ret = seamcall(TDH_MEM_PAGE_AUG, &args);

	*ext_err1 = args.rcx;
	*ext_err2 = args.rdx;
	return ret;
}

u64 tdh_mem_range_block(u64 tdr_pa, u64 gpa, int level, u64 *ext_err1,
			u64 *ext_err2)
{
	struct tdx_module_args args = {
		.rcx = gpa_level(gpa, level),
		.rdx = tdr_pa,
	};
	u64 ret = seamcall(TDH_MEM_RANGE_BLOCK, &args);

	*ext_err1 = args.rcx;
	*ext_err2 = args.rdx;
	return ret;
}

u64 tdh_mng_key_config(u64 tdr_pa)
{
	struct tdx_module_args args = {
		.rcx = tdr_pa,
	};

	return seamcall(TDH_MNG_KEY_CONFIG, &args);
}

u64 tdh_mng_create(u64 tdr_pa, u16 hkid)
{
	struct tdx_module_args args = {
		.rcx = tdr_pa,
		.rdx = hkid,
	};

	return seamcall(TDH_MNG_CREATE, &args);
}

u64 tdh_vp_create(u64 tdr_pa, u64 tdvpr_pa)
{
	struct tdx_module_args args = {
		.rcx = tdvpr_pa,
		.rdx = tdr_pa,
	};

	return seamcall(TDH_VP_CREATE, &args);
}

u64 tdh_mng_rd(u64 tdr_pa, u64 field, u64 *data)
{
	struct tdx_module_args args = {
		.rcx = tdr_pa,
		.rdx = field,
	};
	u64 ret = seamcall(TDH_MNG_RD, &args);

	/* R8 holds the field's value (0 when the read failed). */
	*data = args.r8;
	return ret;
}

u64 tdh_mr_extend(u64 tdr_pa, u64 gpa, u64 *ext_err1, u64 *ext_err2)
{
	struct tdx_module_args args = {
		.rcx = gpa,
		.rdx = tdr_pa,
	};
	u64 ret = seamcall(TDH_MR_EXTEND, &args);

	*ext_err1 = args.rcx;
	*ext_err2 = args.rdx;
	return ret;
}

u64 tdh_mr_finalize(u64 tdr_pa)
{
	struct tdx_module_args args = {
		.rcx = tdr_pa,
	};

	return seamcall(TDH_MR_FINALIZE, &args);
}

u64 tdh_vp_flush(u64 tdvpr_pa)
{
	struct tdx_module_args args = {
		.rcx = tdvpr_pa,
	};

	return seamcall(TDH_VP_FLUSH, &args);
}

u64 tdh_mng_vpflushdone(u64 tdr_pa)
{
	struct tdx_module_args args = {
		.rcx = tdr_pa,
	};

	return seamcall(TDH_MNG_VPFLUSHDONE, &args);
}

u64 tdh_mng_key_freeid(u64 tdr_pa)
{
	struct tdx_module_args args = {
		.rcx = tdr_pa,
	};

	return seamcall(TDH_MNG_KEY_FREEID, &args);
}

u64 tdh_mng_init(u64 tdr_pa, u64 td_params, u64 *extended_err)
{
	struct tdx_module_args args = {
		.rcx = tdr_pa,
		.rdx = td_params,
	};
	u64 ret = seamcall(TDH_MNG_INIT, &args);

	*extended_err = args.rcx;
	return ret;
}

u64 tdh_vp_rd(u64 tdvpr_pa, u64 field, u64 *data)
{
	struct tdx_module_args args = {
		.rcx = tdvpr_pa,
		.rdx = field,
	};
	u64 ret = seamcall(TDH_VP_RD, &args);

	/* R8 holds the field's value (0 when the read failed). */
	*data = args.r8;
	return ret;
}

u64 tdh_vp_wr(u64 tdvpr_pa, u64 field, u64 data, u64 mask)
{
	struct tdx_module_args args = {
		.rcx = tdvpr_pa,
		.rdx = field,
		.r8 = data,
		.r9 = mask,
	};

	return seamcall(TDH_VP_WR, &args);
}

/* The TDH.VP.INIT version to ask for: 1 (x2APIC id in R8) if taken. */
static unsigned int tdh_vp_init_version(void)
{
	struct tdx_sys_info info;

	if (tdx_get_sysinfo(&info))
		return 1;
	return info.vp_init_max_version >= 1 ? 1 : 0;
}

u64 tdh_vp_init(u64 tdvpr_pa, u64 initial_rcx, u32 x2apicid)
{
	struct tdx_module_args args = {
		.rcx = tdvpr_pa,
		.rdx = initial_rcx,
		.r8 = x2apicid,
	};

	return seamcall(TDX_LEAF_VERSION(TDH_VP_INIT, tdh_vp_init_version()),
			&args);
}

u64 tdh_phymem_page_reclaim(u64 page_pa, u64 *tdx_pt, u64 *tdx_owner,
			    u64 *tdx_size)
{
	struct tdx_module_args args = {
		.rcx = page_pa,
	};
	u64 ret = seamcall(TDH_PHYMEM_PAGE_RECLAIM, &args);

	/* The module's own encodings, for error reports only. */
	*tdx_pt = args.rcx;
	*tdx_owner = args.rdx;
	*tdx_size = args.r8;
	return ret;
}

u64 tdh_mem_track(u64 tdr_pa)
{
	struct tdx_module_args args = {
		.rcx = tdr_pa,
	};

	return seamcall(TDH_MEM_TRACK, &args);
}

u64 tdh_mem_page_remove(u64 tdr_pa, u64 gpa, int level, u64 *ext_err1,
			u64 *ext_err2)
{
	struct tdx_module_args args = {
		.rcx = gpa_level(gpa, level),
		.rdx = tdr_pa,
	};
	u64 ret = seamcall(TDH_MEM_PAGE_REMOVE, &args);

	*ext_err1 = args.rcx;
	*ext_err2 = args.rdx;
	return ret;
}

u64 tdh_phymem_cache_wb(bool resume)
{
	struct tdx_module_args args = {
		.rcx = resume ? 1 : 0,
	};

	return seamcall(TDH_PHYMEM_CACHE_WB, &args);
}

u64 tdh_phymem_page_wbinvd_tdr(u64 tdr_pa)
{
	/* The TDR is written with the global key id, 0 in tdxsim. */
	struct tdx_module_args args = {
		.rcx = mk_keyed_paddr(0, tdr_pa),
	};

	return seamcall(TDH_PHYMEM_PAGE_WBINVD, &args);
}

u64 tdh_phymem_page_wbinvd_hkid(u64 hkid, u64 page_pa)
{
	struct tdx_module_args args = {
		.rcx = mk_keyed_paddr(hkid, page_pa),
	};

	return seamcall(TDH_PHYMEM_PAGE_WBINVD, &args);
}

/* ---- leaves upstream's tdx.c has no wrapper for (see kvm/asm/tdx.h) ---- */

u64 tdh_mem_page_demote(u64 tdr_pa, u64 gpa, int level, u64 new_sept_page_pa,
			u64 *ext_err1, u64 *ext_err2)
{
	struct tdx_module_args args = {
		.rcx = gpa_level(gpa, level),
		.rdx = tdr_pa,
		.r8 = new_sept_page_pa,
	};
	u64 ret = seamcall(TDH_MEM_PAGE_DEMOTE, &args);

	*ext_err1 = args.rcx;
	*ext_err2 = args.rdx;
	return ret;
}

/* PROMOTE, UNBLOCK and SEPT.REMOVE take only GPA|level and the TDR. */
static u64 tdh_mem_gpa_leaf(unsigned int leaf, u64 tdr_pa, u64 gpa,
			    int level, u64 *ext_err1, u64 *ext_err2)
{
	struct tdx_module_args args = {
		.rcx = gpa_level(gpa, level),
		.rdx = tdr_pa,
	};
	u64 ret = seamcall(leaf, &args);

	*ext_err1 = args.rcx;
	*ext_err2 = args.rdx;
	return ret;
}

u64 tdh_mem_page_promote(u64 tdr_pa, u64 gpa, int level, u64 *ext_err1,
			 u64 *ext_err2)
{
	return tdh_mem_gpa_leaf(TDH_MEM_PAGE_PROMOTE, tdr_pa, gpa, level,
				ext_err1, ext_err2);
}

u64 tdh_mem_range_unblock(u64 tdr_pa, u64 gpa, int level, u64 *ext_err1,
			  u64 *ext_err2)
{
	return tdh_mem_gpa_leaf(TDH_MEM_RANGE_UNBLOCK, tdr_pa, gpa, level,
				ext_err1, ext_err2);
}

u64 tdh_mem_sept_remove(u64 tdr_pa, u64 gpa, int level, u64 *ext_err1,
			u64 *ext_err2)
{
	return tdh_mem_gpa_leaf(TDH_MEM_SEPT_REMOVE, tdr_pa, gpa, level,
				ext_err1, ext_err2);
}
