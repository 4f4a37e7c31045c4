// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The TD's CPUID and TSC as upstream handles them (every release read:
 * init_kvm_tdx_caps, setup_tdparams*, tdx_vcpu_get_cpuid; releases.md §1):
 *  - KVM_TDX_CAPABILITIES reports one CPUID entry per module config, in
 *    the module's order (no sub-leaf → index 0, 0x80000008.EAX[23:16]
 *    0xff, TSX and WAITPKG cleared), supported_attrs and supported_xfam
 *    as KVM's support cut by the module's fixed bits, and the user
 *    TDVMCALL SetupEventNotifyInterrupt; a short array is -E2BIG;
 *  - KVM_GET_SUPPORTED_CPUID is tdxsim's machine masked as KVM masks it,
 *    and KVM_TDX_CAPABILITIES agrees with it (XFAM, configurable bits);
 *  - KVM_TDX_INIT_VM puts the user's CPUID values in TD_PARAMS, one per
 *    config: a leaf with no config, TSX or WAITPKG, or no 0x80000008 is
 *    -EINVAL; a fixed bit set is the module's OPERAND_INVALID|CPUID_CONFIG
 *    in hw_error;
 *  - KVM_TDX_GET_CPUID reads the TD's values back with TDH.MNG.RD (two per
 *    leaf, sub-leaves probed), 0x80000008.EAX[23:16] from the GPAW; too
 *    small an array is -E2BIG with the needed nent; after FINALIZE -EINVAL;
 *  - KVM_SET_TSC_KHZ on the VM before INIT_VM is the TD's TSC frequency
 *    (TD_PARAMS, read back from the module); refused once a vCPU exists;
 *    a frequency the module refuses fails INIT_VM with -EINVAL.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "kvm/asm/tdx.h"
#include "kvm/tdx.h"
#include "seam/tdx_module.h"
#include "testlib/kvm_util_internal.h"

#define TDX_ATTR_SEPT_VE_DISABLE	(1ULL << 28)
#define NENT_MAX			64

static struct kvm_tdx_capabilities *caps_alloc(u32 nent)
{
	struct kvm_tdx_capabilities *caps;

	caps = calloc(1, sizeof(*caps) +
			 NENT_MAX * sizeof(struct kvm_cpuid_entry2));
	assert_non_null(caps);
	caps->cpuid.nent = nent;
	return caps;
}

static struct kvm_cpuid_entry2 *find(struct kvm_cpuid2 *c, u32 fn, u32 idx)
{
	u32 i;

	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn && c->entries[i].index == idx)
			return &c->entries[i];
	return NULL;
}

static void vm_create_only(struct td *td)
{
	struct td_opts o;

	td_opts_init(&o);
	o.vm_only = true;
	td_create(td, &o);
	td->nr_vcpus = 0;
}

/* A TD made of the VM and one initialized vCPU, no memory. */
static void add_vcpu(struct td *td)
{
	td->vcpu[0] = vm_vcpu_add(td->vm, 0);
	td->nr_vcpus = 1;
	tdx_cmd(td->vcpu[0], KVM_TDX_INIT_VCPU, 0, 0);
}

static void vm_destroy(struct td *td)
{
	td->gmem = -1;
	td_destroy(td);
}

/* INIT_VM with @n CPUID entries (XFAM x87|SSE, SEPT_VE_DISABLE). */
static int init_vm(int vm, const struct kvm_cpuid_entry2 *e, u32 n,
		   u64 xfam, u64 *hw_error)
{
	struct kvm_tdx_init_vm *init;
	int r;

	init = calloc(1, sizeof(*init) + n * sizeof(*e));
	assert_non_null(init);
	init->attributes = TDX_ATTR_SEPT_VE_DISABLE;
	init->xfam = xfam;
	init->cpuid.nent = n;
	memcpy(init->cpuid.entries, e, n * sizeof(*e));
	r = __tdx_cmd(vm, KVM_TDX_INIT_VM, 0, (u64)(uintptr_t)init, hw_error);
	free(init);
	return r;
}

static const struct kvm_cpuid_entry2 gpaw48 = {
	.function = 0x80000008, .eax = (48u << 16) | 52,
};

static void test_capabilities(void **state)
{
	struct kvm_tdx_capabilities *caps = caps_alloc(0);
	struct tdx_sys_info info;
	struct kvm_cpuid_entry2 *e;
	struct td td;
	u32 i;

	vm_create_only(&td);
	assert_int_equal(tdx_get_sysinfo(&info), 0);
	assert_true(info.num_cpuid_config > 0);

	/* Fewer entries than the module's configs. */
	caps->cpuid.nent = info.num_cpuid_config - 1;
	assert_int_equal(__tdx_cmd(td.vm, KVM_TDX_CAPABILITIES, 0,
				   (u64)(uintptr_t)caps, NULL), -E2BIG);

	caps->cpuid.nent = NENT_MAX;
	tdx_cmd(td.vm, KVM_TDX_CAPABILITIES, 0, (u64)(uintptr_t)caps);
	assert_int_equal(caps->cpuid.nent, info.num_cpuid_config);
	assert_int_equal(caps->supported_attrs, TDX_ATTR_SEPT_VE_DISABLE);
	/* KVM's XCR0 (no AMX-less PT or CET) within the module's fixed0. */
	assert_int_equal(caps->supported_xfam, 0x602e7 & info.xfam_fixed0);
	assert_true(caps->supported_xfam != info.xfam_fixed0);
	assert_int_equal(caps->user_tdvmcallinfo_1_r11, 1ULL << 1);
	for (i = 0; i < caps->cpuid.nent; i++) {
		u64 leaf = info.cpuid_config_leaves[i];

		e = &caps->cpuid.entries[i];
		assert_int_equal(e->function, (u32)leaf);
		assert_int_equal(e->index,
				 (u32)(leaf >> 32) == ~0U ? 0 : leaf >> 32);
	}
	e = find(&caps->cpuid, 0x80000008, 0);
	assert_non_null(e);
	assert_int_equal((e->eax >> 16) & 0xff, 0xff);
	assert_int_equal(e->eax & 0xff, 0xff);
	e = find(&caps->cpuid, 7, 0);
	assert_non_null(e);
	assert_int_equal(e->ebx & ((1u << 4) | (1u << 11)), 0);
	assert_int_equal(e->ecx & (1u << 5), 0);
	e = find(&caps->cpuid, 1, 0);
	assert_non_null(e);
	assert_int_equal(e->eax, 0x0fff3fff);
	free(caps);
	vm_destroy(&td);
}

/*
 * KVM_GET_SUPPORTED_CPUID is tdxsim's machine (tdx_machine_cpuid()) masked
 * as KVM masks it: the guest's own bits (OSXSAVE) and those KVM does not
 * virtualize (HTT) gone, the emulated ones (X2APIC, TSC deadline, UMIP,
 * TSC_ADJUST, ARCH_CAPABILITIES) and the hypervisor bit added, nothing
 * else beyond the host; and KVM_TDX_CAPABILITIES agrees with it: its XFAM
 * is 0xD.0's XCR0 cut by the module, its configurable feature bits are
 * supported ones.
 */
static void test_supported_cpuid(void **state)
{
	static const struct { u32 fn, idx; int reg; u32 extra; } feat[] = {
		{ 1, 0, 2, (1u << 21) | (1u << 24) | (1u << 31) },
		{ 1, 0, 3, 0 },
		{ 7, 0, 1, 1u << 1 },
		{ 7, 0, 2, 1u << 2 },
		{ 7, 0, 3, 1u << 29 },
		{ 7, 1, 0, 0 },
		{ 0xd, 1, 0, 0 },
		{ 0x80000001, 0, 2, 0 },
		{ 0x80000001, 0, 3, 0 },
	};
	struct kvm_tdx_capabilities *caps = caps_alloc(NENT_MAX);
	struct kvm_cpuid2 *sup = calloc(1, sizeof(*sup) +
					NENT_MAX * sizeof(sup->entries[0]));
	struct kvm_cpuid_entry2 *e, *s;
	struct tdx_sys_info info;
	u32 host[4], i, r;
	struct td td;
	int kvm;

	assert_non_null(sup);
	kvm = tdxsim_open("/dev/kvm", O_RDWR);
	assert_true(kvm >= 0);
	sup->nent = NENT_MAX;
	assert_int_equal(tdxsim_ioctl(kvm, KVM_GET_SUPPORTED_CPUID, sup), 0);

	e = find(sup, 1, 0);
	assert_non_null(e);
	tdx_machine_cpuid(1, 0, host);
	assert_true(host[2] & (1u << 27));		/* the host has OSXSAVE */
	assert_int_equal(e->ecx & (1u << 27), 0);
	assert_true(host[3] & (1u << 28));		/* and HTT */
	assert_int_equal(e->edx & (1u << 28), 0);
	assert_true(e->ecx & (1u << 31));
	for (i = 0; i < ARRAY_SIZE(feat); i++) {
		u32 v;

		e = find(sup, feat[i].fn, feat[i].idx);
		assert_non_null(e);
		tdx_machine_cpuid(feat[i].fn, feat[i].idx, host);
		v = (&e->eax)[feat[i].reg];
		if (v & ~(host[feat[i].reg] | feat[i].extra))
			fail_msg("CPUID 0x%x.%u reg %d: 0x%x beyond the host's 0x%x",
				 feat[i].fn, feat[i].idx, feat[i].reg, v,
				 host[feat[i].reg]);
	}

	vm_create_only(&td);
	assert_int_equal(tdx_get_sysinfo(&info), 0);
	tdx_cmd(td.vm, KVM_TDX_CAPABILITIES, 0, (u64)(uintptr_t)caps);
	e = find(sup, 0xd, 0);
	assert_non_null(e);
	assert_int_equal(caps->supported_xfam,
			 (e->eax | (u64)e->edx << 32) & info.xfam_fixed0);
	for (i = 0; i < caps->cpuid.nent; i++) {
		e = &caps->cpuid.entries[i];
		if (e->function != 7)
			continue;
		s = find(sup, e->function, e->index);
		assert_non_null(s);
		for (r = 0; r < 4; r++)
			if ((&e->eax)[r] & ~(&s->eax)[r] &&
			    !(e->index == 0 && r == 0))	/* 7.0 EAX: max sub-leaf */
				fail_msg("TDX config 0x%x.%u reg %u: 0x%x not supported (0x%x)",
					 e->function, e->index, r,
					 (&e->eax)[r], (&s->eax)[r]);
	}
	vm_destroy(&td);
	assert_int_equal(tdxsim_close(kvm), 0);
	free(caps);
	free(sup);
}

static void test_init_vm_cpuid_errors(void **state)
{
	struct kvm_cpuid_entry2 e[3];
	struct td td;
	u64 hw = 0;

	vm_create_only(&td);
	/* No 0x80000008: no GPAW. */
	memset(e, 0, sizeof(e));
	e[0].function = 1;
	assert_int_equal(init_vm(td.vm, e, 1, 3, NULL), -EINVAL);
	/* A leaf the module has no config for (0xd). */
	e[0] = gpaw48;
	e[1].function = 0xd;
	e[1].flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
	assert_int_equal(init_vm(td.vm, e, 2, 3, NULL), -EINVAL);
	/* TSX (RTM) and WAITPKG are refused by KVM. */
	memset(&e[1], 0, sizeof(e[1]));
	e[1].function = 7;
	e[1].flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
	e[1].ebx = 1u << 11;
	assert_int_equal(init_vm(td.vm, e, 2, 3, NULL), -EINVAL);
	e[1].ebx = 0;
	e[1].ecx = 1u << 5;
	assert_int_equal(init_vm(td.vm, e, 2, 3, NULL), -EINVAL);
	/* XFAM PT: the module has it, KVM does not. */
	assert_int_equal(init_vm(td.vm, e, 1, 3 | (1u << 8), NULL), -EINVAL);
	/* A fixed bit of leaf 1 (ECX.SSE3): the module's verdict. */
	memset(&e[1], 0, sizeof(e[1]));
	e[1].function = 1;
	e[1].ecx = 1;
	assert_int_equal(init_vm(td.vm, e, 2, 3, &hw), -EINVAL);
	assert_int_equal(hw, TDX_OPERAND_INVALID | TDX_OPERAND_ID_CPUID_CONFIG);
	/* The VM is still usable. */
	e[1].ecx = 0;
	e[1].eax = 0x000806f8;
	assert_int_equal(init_vm(td.vm, e, 2, 3, NULL), 0);
	vm_destroy(&td);
}

static int get_cpuid(int vcpu, struct kvm_cpuid2 *c)
{
	return __tdx_cmd(vcpu, KVM_TDX_GET_CPUID, 0, (u64)(uintptr_t)c, NULL);
}

static void test_get_cpuid(void **state)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + NENT_MAX *
					  sizeof(struct kvm_cpuid_entry2));
	struct kvm_cpuid_entry2 e[3], *r;
	u64 rd_before;
	u32 need;
	struct td td;

	assert_non_null(c);
	vm_create_only(&td);
	memset(e, 0, sizeof(e));
	e[0] = gpaw48;
	e[1].function = 1;
	e[1].eax = 0x000806f8;
	e[2].function = 7;
	e[2].index = 1;
	e[2].flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
	e[2].eax = 1u << 4;
	assert_int_equal(init_vm(td.vm, e, 3, 3, NULL), 0);
	add_vcpu(&td);

	/* Too small: -E2BIG and the nent needed. */
	c->nent = 1;
	rd_before = td_seamcalls(&td, TDH_MNG_RD);
	assert_int_equal(get_cpuid(td.vcpu[0], c), -E2BIG);
	need = c->nent;
	assert_true(need > 1);
	assert_true(td_seamcalls(&td, TDH_MNG_RD) > rd_before);

	c->nent = NENT_MAX;
	assert_int_equal(get_cpuid(td.vcpu[0], c), 0);
	assert_int_equal(c->nent, need);
	r = find(c, 0, 0);
	assert_non_null(r);
	assert_int_equal(r->eax, 0xd);
	assert_int_equal(r->ebx, 0x756e6547);
	/* The values INIT_VM gave. */
	r = find(c, 1, 0);
	assert_non_null(r);
	assert_int_equal(r->eax, 0x000806f8);
	r = find(c, 7, 1);
	assert_non_null(r);
	assert_int_equal(r->eax, 1u << 4);
	assert_true(r->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
	/* Sub-leaves 0 and 1 of 7 and 0xd, no third. */
	assert_non_null(find(c, 7, 0));
	assert_non_null(find(c, 0xd, 0));
	assert_non_null(find(c, 0xd, 1));
	assert_null(find(c, 0xd, 2));
	/* The GPAW in EAX[23:16], the physical width the VMM set. */
	r = find(c, 0x80000008, 0);
	assert_non_null(r);
	assert_int_equal(r->eax & 0xffff00ff, (48u << 16) | 52);
	assert_int_equal(r->flags, 0);
	assert_non_null(find(c, 0x80000000, 0));

	/* Once finalized: -EINVAL. */
	tdx_cmd(td.vm, KVM_TDX_FINALIZE_VM, 0, 0);
	assert_int_equal(get_cpuid(td.vcpu[0], c), -EINVAL);
	free(c);
	vm_destroy(&td);
}

static u64 td_tsc_frequency(struct td *td)
{
	struct kvm *kvm = vm_kvm(td->vm);
	u64 v = 0;

	assert_int_equal(tdh_mng_rd(tdx_tdr_pa(to_kvm_tdx(kvm)),
				    TDCS_TSC_FREQUENCY, &v), TDX_SUCCESS);
	return v;
}

static void test_tsc_khz(void **state)
{
	struct td td;
	u64 hw = 0;

	/* The default: the host's 2.5 GHz. */
	vm_create_only(&td);
	assert_int_equal(tdxsim_ioctl(td.kvm, KVM_CHECK_EXTENSION,
				      KVM_CAP_VM_TSC_CONTROL), 1);
	assert_int_equal(tdxsim_ioctl(td.vm, KVM_GET_TSC_KHZ, 0), 2500000);
	assert_int_equal(init_vm(td.vm, &gpaw48, 1, 3, NULL), 0);
	assert_int_equal(td_tsc_frequency(&td), 100);
	vm_destroy(&td);

	/* 3 GHz set before INIT_VM; no change once a vCPU exists. */
	vm_create_only(&td);
	assert_int_equal(tdxsim_ioctl(td.vm, KVM_SET_TSC_KHZ, 3000000), 0);
	assert_int_equal(tdxsim_ioctl(td.vm, KVM_GET_TSC_KHZ, 0), 3000000);
	assert_int_equal(init_vm(td.vm, &gpaw48, 1, 3, NULL), 0);
	assert_int_equal(td_tsc_frequency(&td), 120);
	add_vcpu(&td);
	assert_true(tdxsim_ioctl(td.vm, KVM_SET_TSC_KHZ, 2000000) < 0);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(tdxsim_ioctl(td.vm, KVM_GET_TSC_KHZ, 0), 3000000);
	vm_destroy(&td);

	/* 20 GHz: KVM takes it, the module refuses TD_PARAMS. */
	vm_create_only(&td);
	assert_int_equal(tdxsim_ioctl(td.vm, KVM_SET_TSC_KHZ, 20000000), 0);
	assert_int_equal(init_vm(td.vm, &gpaw48, 1, 3, &hw), -EINVAL);
	assert_int_equal(hw,
			 TDX_OPERAND_INVALID | TDX_OPERAND_ID_TSC_FREQUENCY);
	/* 0 is the host's frequency again. */
	assert_int_equal(tdxsim_ioctl(td.vm, KVM_SET_TSC_KHZ, 0), 0);
	assert_int_equal(init_vm(td.vm, &gpaw48, 1, 3, NULL), 0);
	assert_int_equal(td_tsc_frequency(&td), 100);
	vm_destroy(&td);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capabilities),
		cmocka_unit_test(test_supported_cpuid),
		cmocka_unit_test(test_init_vm_cpuid_errors),
		cmocka_unit_test(test_get_cpuid),
		cmocka_unit_test(test_tsc_khz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
