// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The TD's virtual CPUID (reference tdx-module.md §11): the module's table
 * of the leaves a TD sees, each with its native value and the bits TD_PARAMS
 * may configure (the CPUID configs the kernel reads with the system
 * information, in table order). TDH.MNG.INIT takes the TD's values from
 * TD_PARAMS' CPUID_VALUES, one per config in config order, and refuses a
 * value with a bit set outside its config (OPERAND_INVALID|CPUID_CONFIG);
 * TDH.MNG.RD reads the TD's values back, two 64-bit elements per leaf and
 * sub-leaf (TDCS_CPUID_VALUES).
 *
 * The table is tdxsim's CPU, a plausible one, not any real part's (the
 * machine's CPUID too: tdx_machine_cpuid(), what KVM reads of its host): the leaves
 * are few (KVM_TDX_GET_CPUID costs two TDH.MNG.RD per leaf it probes), and
 * like an old module it leaves CPUID 0x80000008.EAX[23:16] (the guest
 * physical-address width) 0, which KVM fills in from the GPAW.
 */
#include <string.h>

#include "seam/seam_internal.h"

#define NO_SUBLEAF	0xffffffffU

struct seam_cpuid_leaf {
	u32 leaf;
	u32 subleaf;		/* NO_SUBLEAF: a leaf without sub-leaves */
	u32 native[4];		/* eax, ebx, ecx, edx */
	u32 config[4];		/* the bits TD_PARAMS sets */
};

#define B(n)	(1U << (n))

static const struct seam_cpuid_leaf seam_cpuid_table[SEAM_NR_CPUID_LEAVES] = {
	/* Max basic leaf 0xd, "GenuineIntel". */
	{ 0x0, NO_SUBLEAF, { 0xd, 0x756e6547, 0x6c65746e, 0x49656e69 } },
	/*
	 * Family, model and stepping are the VMM's; SSE3, PCLMUL, SSSE3, FMA,
	 * CX16, PCID, SSE4.1/4.2, x2APIC, MOVBE, POPCNT, TSC deadline, AES,
	 * XSAVE, OSXSAVE, AVX, F16C, RDRAND, hypervisor; the usual EDX.
	 */
	{ 0x1, NO_SUBLEAF,
	  { 0, 0x00010800,
	    B(0) | B(1) | B(9) | B(12) | B(13) | B(17) | B(19) | B(20) |
	    B(21) | B(22) | B(23) | B(24) | B(25) | B(26) | B(27) | B(28) |
	    B(29) | B(30) | B(31),
	    0x1f8bfbff },
	  { 0x0fff3fff, 0, 0, 0 } },
	/*
	 * Sub-leaves 0-1; HLE, RTM and WAITPKG are configurable (the CPU has
	 * them: a module offers only what the CPU can do).
	 */
	{ 0x7, 0,
	  { 1,
	    B(0) | B(3) | B(4) | B(5) | B(7) | B(8) | B(9) | B(10) | B(11) |
	    B(16) | B(17) | B(18) | B(19) | B(20) | B(23) | B(24) | B(28) |
	    B(29) | B(30) | B(31),
	    B(1) | B(2) | B(5) | B(8) | B(9) | B(10) | B(11) | B(22), 0 },
	  { 0, B(4) | B(11), B(5), 0 } },
	/* AVX-VNNI and AVX512_BF16 (the CPU has them) are configurable. */
	{ 0x7, 1, { B(4) | B(5), 0, 0, 0 }, { B(4) | B(5), 0, 0, 0 } },
	/* XSAVE: the features of XFAM_FIXED0's low bits, the area sizes. */
	{ 0xd, 0, { 0x000602e7, 0x2b00, 0x2b00, 0 } },
	{ 0xd, 1, { 0xf, 0, 0, 0 } },
	{ 0x80000000, NO_SUBLEAF, { 0x80000008, 0, 0, 0 } },
	/* LAHF, LZCNT, PREFETCHW; SYSCALL, NX, 1G pages, RDTSCP, LM. */
	{ 0x80000001, NO_SUBLEAF,
	  { 0, 0, B(0) | B(5) | B(8),
	    B(11) | B(20) | B(26) | B(27) | B(29) } },
	/* 52 physical, 48 linear address bits; the physical width is set. */
	{ 0x80000008, NO_SUBLEAF, { 0x00003034, 0, 0, 0 },
	  { 0x000000ff, 0, 0, 0 } },
};

static bool seam_cpuid_is_config(const struct seam_cpuid_leaf *l)
{
	return l->config[0] | l->config[1] | l->config[2] | l->config[3];
}

unsigned int seam_cpuid_nr_configs(void)
{
	unsigned int i, n = 0;

	for (i = 0; i < SEAM_NR_CPUID_LEAVES; i++)
		n += seam_cpuid_is_config(&seam_cpuid_table[i]);
	return n;
}

void seam_cpuid_configs(u64 *leaves, u64 (*values)[2])
{
	unsigned int i, n = 0;

	for (i = 0; i < SEAM_NR_CPUID_LEAVES; i++) {
		const struct seam_cpuid_leaf *l = &seam_cpuid_table[i];

		if (!seam_cpuid_is_config(l))
			continue;
		leaves[n] = l->leaf | (u64)l->subleaf << 32;
		values[n][0] = l->config[0] | (u64)l->config[1] << 32;
		values[n][1] = l->config[2] | (u64)l->config[3] << 32;
		n++;
	}
}

void tdx_machine_cpuid(u32 leaf, u32 subleaf, u32 regs[4])
{
	unsigned int i;

	memset(regs, 0, 4 * sizeof(regs[0]));
	for (i = 0; i < SEAM_NR_CPUID_LEAVES; i++) {
		const struct seam_cpuid_leaf *l = &seam_cpuid_table[i];

		if (l->leaf == leaf &&
		    (l->subleaf == NO_SUBLEAF || l->subleaf == subleaf)) {
			memcpy(regs, l->native, sizeof(l->native));
			return;
		}
	}
}

u64 seam_cpuid_check_params(const struct td_params *p)
{
	unsigned int i, n = 0;

	for (i = 0; i < SEAM_NR_CPUID_LEAVES; i++) {
		const struct seam_cpuid_leaf *l = &seam_cpuid_table[i];
		const struct tdx_cpuid_value *v;

		if (!seam_cpuid_is_config(l))
			continue;
		v = &p->cpuid_values[n++];
		if ((v->eax & ~l->config[0]) || (v->ebx & ~l->config[1]) ||
		    (v->ecx & ~l->config[2]) || (v->edx & ~l->config[3]))
			return tdx_err(TDX_OPERAND_INVALID,
				       TDX_OPERAND_ID_CPUID_CONFIG);
	}
	return TDX_SUCCESS;
}

void seam_cpuid_init_td(struct tdx_td *td, const struct td_params *p)
{
	unsigned int i, r, n = 0;

	for (i = 0; i < SEAM_NR_CPUID_LEAVES; i++) {
		const struct seam_cpuid_leaf *l = &seam_cpuid_table[i];
		u32 set[4] = { 0 };

		if (seam_cpuid_is_config(l)) {
			const struct tdx_cpuid_value *v = &p->cpuid_values[n++];

			set[0] = v->eax;
			set[1] = v->ebx;
			set[2] = v->ecx;
			set[3] = v->edx;
		}
		for (r = 0; r < 4; r++)
			td->cpuid[i][r] = (l->native[r] & ~l->config[r]) |
					  (set[r] & l->config[r]);
	}
}

u64 seam_cpuid_read(const struct tdx_td *td, u64 field, u64 *val)
{
	u32 leaf, subleaf;
	unsigned int i;
	const u32 *v;

	if ((field & ~TDCS_CPUID_FIELD_MASK) != TDCS_CPUID_VALUES ||
	    (field & GENMASK_ULL(23, 17)))
		return TDX_METADATA_FIELD_ID_INCORRECT;
	leaf = (field >> TDCS_CPUID_LEAF_SHIFT) & 0x7f;
	if (field & TDCS_CPUID_LEAF_31)
		leaf |= 0x80000000U;
	subleaf = (field >> TDCS_CPUID_SUBLEAF_SHIFT) & 0x7f;
	if (field & TDCS_CPUID_SUBLEAF_NA) {
		if (subleaf != 0x7f)
			return TDX_METADATA_FIELD_ID_INCORRECT;
		subleaf = NO_SUBLEAF;
	}
	for (i = 0; i < SEAM_NR_CPUID_LEAVES; i++) {
		if (seam_cpuid_table[i].leaf != leaf ||
		    seam_cpuid_table[i].subleaf != subleaf)
			continue;
		v = td->cpuid[i];
		*val = (field & 1) ? v[2] | (u64)v[3] << 32 :
				     v[0] | (u64)v[1] << 32;
		return TDX_SUCCESS;
	}
	return TDX_METADATA_FIELD_ID_INCORRECT;
}
