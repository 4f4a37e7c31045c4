// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * x86 KVM (the kernel's arch/x86/kvm/x86.c): VM types, memslot metadata
 * (lpage_info), arch capabilities and ioctls, KVM_MEMORY_ENCRYPT_OP dispatch
 * to the vendor, and KVM_RUN.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "ulib/strbuf.h"
#include "kvm/kvm_host.h"
#include "host/mm.h"
#include "kvm/mmu.h"
#include "kvm/x86.h"
#include "seam/tdx_module.h"

struct kvm_x86_ops kvm_x86_ops;

#define KVM_MIN_ALLOC_MMU_PAGES		64UL
#define KVM_MAX_MCE_BANKS		32
#define MCG_CTL_P			BIT_ULL(8)
#define MCG_CMCI_P			BIT_ULL(10)
#define MCG_SER_P			BIT_ULL(24)
#define MCG_LMCE_P			BIT_ULL(27)
#define KVM_MCE_CAP_SUPPORTED		(MCG_CTL_P | MCG_SER_P | MCG_LMCE_P | \
					 MCG_CMCI_P)
#define MAX_NR_RESERVED_IOAPIC_PINS	48
#define APIC_BUS_CYCLE_NS_DEFAULT	1
#define KVM_EXIT_HYPERCALL_VALID_MASK	BIT(KVM_HC_MAP_GPA_RANGE)


/*
 * tdxsim's host: VMX TSC scaling (the largest frequency is the u32 limit, as
 * on hardware whose ratio has 48 fraction bits); XCR0 x87, SSE, AVX,
 * AVX-512, PKRU and AMX; no supervisor XSAVE state.
 */
const struct kvm_caps kvm_caps = {
	.has_tsc_control = true,
	.max_guest_tsc_khz = 0xffffffffU,
	.supported_xcr0 = 0x602e7,
	.supported_xss = 0,
};
const unsigned int tsc_khz = 2500000;

struct kvm_cpuid_entry2 *kvm_find_cpuid_entry2(struct kvm_cpuid_entry2 *entries,
					       int nent, u32 function,
					       u64 index)
{
	int i;

	for (i = 0; i < nent; i++) {
		struct kvm_cpuid_entry2 *e = &entries[i];

		if (e->function != function)
			continue;
		if (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) ||
		    e->index == index)
			return e;
	}
	return NULL;
}

/*
 * The vendor module's setup (src/kvm/tdx.c). A library that contains tdx.c
 * is built with CONFIG_KVM_INTEL_TDX, and then references it strongly (a
 * weak reference would not pull tdx.o out of the static archive). Without
 * it the reference is weak, so that the core links alone (tests link a
 * fake vendor), and KVM offers no TDX VM type if no vendor is linked.
 */
#ifdef CONFIG_KVM_INTEL_TDX
int tdx_hardware_setup(void);
#else
extern int tdx_hardware_setup(void) __attribute__((weak));
#endif

static pthread_once_t kvm_vendor_once = PTHREAD_ONCE_INIT;
static int kvm_vendor_init_result;

static void kvm_x86_vendor_init_once(void)
{
#ifdef CONFIG_KVM_INTEL_TDX
	kvm_vendor_init_result = tdx_hardware_setup();
#else
	if (tdx_hardware_setup)
		kvm_vendor_init_result = tdx_hardware_setup();
#endif
	if (kvm_vendor_init_result) {
		pr_err("kvm: vendor setup failed: %d\n", kvm_vendor_init_result);
		memset(&kvm_x86_ops, 0, sizeof(kvm_x86_ops));
	}
}

int kvm_x86_vendor_init(void)
{
	pthread_once(&kvm_vendor_once, kvm_x86_vendor_init_once);
	return kvm_vendor_init_result;
}

/*
 * The module init of kvm-intel (vmx/main.c's vt_init()): set up the vendor
 * (TDX) first, then register /dev/kvm.
 */
int vt_init(void)
{
	int r = kvm_x86_vendor_init();

	if (r)
		return r;
	return kvm_init();
}

/* ---- VM types ---- */

bool kvm_is_vm_type_supported(unsigned long type)
{
	switch (type) {
	case KVM_X86_DEFAULT_VM:
	case KVM_X86_SW_PROTECTED_VM:
		return true;
	case KVM_X86_TDX_VM:
		return kvm_has_vendor();
	default:
		return false;
	}
}

u32 kvm_supported_vm_types(void)
{
	u32 types = BIT(KVM_X86_DEFAULT_VM) | BIT(KVM_X86_SW_PROTECTED_VM);

	if (kvm_has_vendor())
		types |= BIT(KVM_X86_TDX_VM);
	return types;
}

int kvm_arch_init_vm(struct kvm *kvm, unsigned long type)
{
	int r;

	if (!kvm_is_vm_type_supported(type))
		return -EINVAL;

	kvm->arch.vm_type = type;
	kvm->arch.default_tsc_khz = tsc_khz;
	kvm->arch.apic_bus_cycle_ns = APIC_BUS_CYCLE_NS_DEFAULT;
	kvm->arch.has_private_mem = type == KVM_X86_SW_PROTECTED_VM ||
				    type == KVM_X86_TDX_VM;
	kvm->arch.has_protected_state = type == KVM_X86_TDX_VM;
	/* Decided by the vendor code for other VM types. */
	kvm->arch.pre_fault_allowed = type == KVM_X86_DEFAULT_VM ||
				      type == KVM_X86_SW_PROTECTED_VM;

	r = kvm_mmu_init_vm(kvm);
	if (r)
		return r;
	if (kvm_vm_uses_vendor(kvm) && kvm_x86_ops.vm_init) {
		r = kvm_x86_ops.vm_init(kvm);
		if (r) {
			kvm_mmu_uninit_vm(kvm);
			return r;
		}
	}
	return 0;
}

void kvm_arch_pre_destroy_vm(struct kvm *kvm)
{
	if (kvm_vm_uses_vendor(kvm) && kvm_x86_ops.vm_pre_destroy)
		kvm_x86_ops.vm_pre_destroy(kvm);
}

void kvm_arch_destroy_vm(struct kvm *kvm)
{
	int i, n = atomic_read(&kvm->online_vcpus);

	for (i = 0; i < n; i++)
		kvm_arch_vcpu_destroy(kvm->vcpus[i]);
	kvm_mmu_uninit_vm(kvm);
	if (kvm_vm_uses_vendor(kvm) && kvm_x86_ops.vm_destroy)
		kvm_x86_ops.vm_destroy(kvm);
}

/* ---- vCPUs ---- */

int kvm_arch_vcpu_precreate(struct kvm *kvm, unsigned int id)
{
	if (kvm_vm_uses_vendor(kvm) && kvm_x86_ops.vcpu_precreate)
		return kvm_x86_ops.vcpu_precreate(kvm);
	return 0;
}

int kvm_arch_vcpu_create(struct kvm_vcpu *vcpu)
{
	int r;

	vcpu->arch.root_hpa = INVALID_PAGE;
	vcpu->arch.mirror_root_hpa = INVALID_PAGE;
	r = kvm_mmu_create(vcpu);
	if (r)
		return r;
	if (kvm_vm_uses_vendor(vcpu->kvm) && kvm_x86_ops.vcpu_create) {
		r = kvm_x86_ops.vcpu_create(vcpu);
		if (r) {
			kvm_mmu_destroy(vcpu);
			return r;
		}
	}
	return 0;
}

void kvm_arch_vcpu_destroy(struct kvm_vcpu *vcpu)
{
	if (kvm_vm_uses_vendor(vcpu->kvm) && kvm_x86_ops.vcpu_free)
		kvm_x86_ops.vcpu_free(vcpu);
	kvm_mmu_destroy(vcpu);
	free(vcpu->arch.cpuid_entries);
	vcpu->arch.cpuid_entries = NULL;
}

/* ---- memslot metadata ---- */

static void memslot_free_lpage_info(struct kvm_memory_slot *slot)
{
	int i;

	for (i = 0; i < KVM_NR_PAGE_SIZES - 1; i++) {
		free(slot->arch.lpage_info[i]);
		slot->arch.lpage_info[i] = NULL;
	}
}

/*
 * lpage_info per huge level, with the kernel's disallow counts: the first
 * and last entries of a slot whose base or end is not aligned to the level
 * can never be mapped huge, and neither can any entry if the gfn and the
 * userspace address are misaligned with respect to each other.
 */
static int kvm_alloc_memslot_metadata(struct kvm *kvm,
				      struct kvm_memory_slot *slot)
{
	unsigned long npages = slot->npages;
	int i;

	memset(&slot->arch, 0, sizeof(slot->arch));

	for (i = 1; i < KVM_NR_PAGE_SIZES; ++i) {
		int level = i + 1;
		unsigned long lpages = kvm_mmu_slot_lpages(slot, level);
		struct kvm_lpage_info *linfo;
		unsigned long ugfn;

		linfo = calloc(lpages, sizeof(*linfo));
		if (!linfo)
			goto out_free;
		slot->arch.lpage_info[i - 1] = linfo;

		if (slot->base_gfn & (KVM_PAGES_PER_HPAGE(level) - 1))
			linfo[0].disallow_lpage = 1;
		if ((slot->base_gfn + npages) & (KVM_PAGES_PER_HPAGE(level) - 1))
			linfo[lpages - 1].disallow_lpage = 1;
		ugfn = slot->userspace_addr >> PAGE_SHIFT;
		/*
		 * If the gfn and userspace address are not aligned wrt each
		 * other, disable large page support for this slot.
		 */
		if ((slot->base_gfn ^ ugfn) & (KVM_PAGES_PER_HPAGE(level) - 1)) {
			unsigned long j;

			for (j = 0; j < lpages; ++j)
				linfo[j].disallow_lpage = 1;
		}
	}
	return 0;

out_free:
	memslot_free_lpage_info(slot);
	return -ENOMEM;
}

int kvm_arch_prepare_memory_region(struct kvm *kvm,
				   const struct kvm_memory_slot *old,
				   struct kvm_memory_slot *new,
				   enum kvm_mr_change change)
{
	int r;

	if (change == KVM_MR_CREATE || change == KVM_MR_MOVE) {
		gfn_t last = new->base_gfn + new->npages - 1;

		if (last > kvm_mmu_max_gfn())
			return -EINVAL;
		if (kvm_is_gfn_alias(kvm, last))
			return -EINVAL;
		/*
		 * The kernel's bound is host.MAXPHYADDR, which on a TDX host
		 * (less its KeyID bits) lies below a TD's shared bit; tdxsim's
		 * host has 52 bits. So bound a VM that has a shared bit by it:
		 * at or above it a gfn either aliases or lies beyond the GPA
		 * width, where a walk of the VM's roots would wrap onto low
		 * GPAs.
		 */
		if (kvm->arch.gfn_direct_bits &&
		    last >= kvm->arch.gfn_direct_bits)
			return -EINVAL;
		r = kvm_alloc_memslot_metadata(kvm, new);
		if (r)
			return r;
		r = kvm_arch_prepare_memory_region_mmu(kvm, new);
		if (r)
			memslot_free_lpage_info(new);
		return r;
	}
	if (change == KVM_MR_FLAGS_ONLY)
		new->arch = old->arch;
	else if (WARN_ON_ONCE(change != KVM_MR_DELETE))
		return -EIO;
	return 0;
}

void kvm_arch_free_memslot(struct kvm *kvm, struct kvm_memory_slot *slot)
{
	if (slot->arch.lpage_info[0])
		kvm_arch_free_memslot_mmu(kvm, slot);
	memslot_free_lpage_info(slot);
}

/* ---- the rest of a VMM's set-up: CPUID, MSRs, capabilities, addresses ---- */

/*
 * kvm_cpu_caps: the feature bits KVM supports in a guest, per CPUID
 * register, as kvm_set_cpu_caps() sets them up for a VMX host (the host's
 * bits ANDed with KVM's F() lists, plus the EMULATED_F() ones). Registers
 * not listed pass the host's value through (signatures, sizes, widths).
 */
#define F(n)	BIT(n)

struct kvm_cpu_cap {
	u32 function, index;
	int reg;		/* 0 EAX, 1 EBX, 2 ECX, 3 EDX */
	u32 mask;		/* F(): kept if the host has it */
	u32 emulated;		/* EMULATED_F(): reported whatever the host */
};

static const struct kvm_cpu_cap kvm_cpu_caps[] = {
	/* SSE3 PCLMULQDQ SSSE3 FMA CX16 PCID SSE4_1 SSE4_2 MOVBE POPCNT AES
	 * XSAVE AVX F16C RDRAND; X2APIC, TSC_DEADLINE_TIMER emulated;
	 * OSXSAVE is the guest's CR4, not a capability. */
	{ 1, 0, 2, F(0) | F(1) | F(9) | F(12) | F(13) | F(17) | F(19) |
		   F(20) | F(22) | F(23) | F(25) | F(26) | F(28) | F(29) |
		   F(30), F(21) | F(24) },
	/* FPU .. APIC, SEP .. PSE36, CLFLUSH, MMX FXSR XMM XMM2 SELFSNOOP;
	 * not PSN, DS, ACPI, HTT, TM, PBE. */
	{ 1, 0, 3, 0x3ff | F(11) | F(12) | F(13) | F(14) | F(15) | F(16) |
		   F(17) | F(19) | F(23) | F(24) | F(25) | F(26) | F(27), 0 },
	/* FSGSBASE BMI1 HLE AVX2 FDP_EXCPTN_ONLY SMEP BMI2 ERMS INVPCID RTM
	 * ZERO_FCS_FDS AVX512F/DQ RDSEED ADX SMAP AVX512IFMA CLFLUSHOPT
	 * CLWB AVX512PF/ER/CD SHA_NI AVX512BW/VL; TSC_ADJUST emulated. */
	{ 7, 0, 1, F(0) | F(3) | F(4) | F(5) | F(6) | F(7) | F(8) | F(9) |
		   F(10) | F(11) | F(13) | F(16) | F(17) | F(18) | F(19) |
		   F(20) | F(21) | F(23) | F(24) | F(26) | F(27) | F(28) |
		   F(29) | F(30) | F(31), F(1) },
	/* AVX512VBMI PKU WAITPKG AVX512_VBMI2 GFNI VAES VPCLMULQDQ
	 * AVX512_VNNI AVX512_BITALG AVX512_VPOPCNTDQ LA57 RDPID MOVDIRI
	 * MOVDIR64B; UMIP emulated; OSPKE is the guest's CR4. */
	{ 7, 0, 2, F(1) | F(3) | F(5) | F(6) | F(8) | F(9) | F(10) |
		   F(11) | F(12) | F(14) | F(16) | F(22) | F(27) | F(28),
	  F(2) },
	/* AVX512_4VNNIW/4FMAPS FSRM VP2INTERSECT MD_CLEAR SERIALIZE
	 * TSXLDTRK AMX_BF16 AVX512_FP16 AMX_TILE AMX_INT8 SPEC_CTRL STIBP
	 * FLUSH_L1D CORE_CAPABILITIES SSBD; ARCH_CAPABILITIES emulated. */
	{ 7, 0, 3, F(2) | F(3) | F(4) | F(8) | F(10) | F(14) | F(16) |
		   F(22) | F(23) | F(24) | F(25) | F(26) | F(27) | F(28) |
		   F(30) | F(31), F(29) },
	/* AVX_VNNI AVX512_BF16 CMPCCXADD FZRM FSRS FSRC AMX_FP16 AVX_IFMA. */
	{ 7, 1, 0, F(4) | F(5) | F(7) | F(10) | F(11) | F(12) | F(21) |
		   F(23), 0 },
	/* XSAVEOPT XSAVEC XGETBV1 XSAVES XFD. */
	{ 0xd, 1, 0, F(0) | F(1) | F(2) | F(3) | F(4), 0 },
	/* LAHF_LM ABM SSE4A MISALIGNSSE 3DNOWPREFETCH XOP FMA4 TBM. */
	{ 0x80000001, 0, 2, F(0) | F(5) | F(6) | F(7) | F(8) | F(11) |
			    F(16) | F(21), 0 },
	/* The leaf-1 copies, SYSCALL NX MMXEXT FXSR_OPT GBPAGES RDTSCP LM. */
	{ 0x80000001, 0, 3, 0x3ff | F(11) | F(12) | F(13) | F(14) | F(15) |
			    F(16) | F(17) | F(20) | F(22) | F(23) | F(24) |
			    F(25) | F(26) | F(27) | F(29), 0 },
};

#undef F

/* The host's leaf @fn.@idx, masked down to what KVM supports. */
static void kvm_cpuid_masked(u32 fn, u32 idx, u32 r[4])
{
	unsigned int i;

	tdx_machine_cpuid(fn, idx, r);
	for (i = 0; i < ARRAY_SIZE(kvm_cpu_caps); i++) {
		const struct kvm_cpu_cap *c = &kvm_cpu_caps[i];

		if (c->function == fn && c->index == idx)
			r[c->reg] = (r[c->reg] & c->mask) | c->emulated;
	}
}

static int cpuid_add(struct kvm_cpuid_entry2 *e, int *n, int max, u32 fn,
		     u32 idx, u32 flags)
{
	u32 r[4];

	if (*n >= max)
		return -E2BIG;
	kvm_cpuid_masked(fn, idx, r);
	e[*n] = (struct kvm_cpuid_entry2){ .function = fn, .index = idx,
		.flags = flags, .eax = r[0], .ebx = r[1], .ecx = r[2],
		.edx = r[3] };
	(*n)++;
	return 0;
}

/*
 * KVM_GET_SUPPORTED_CPUID (cpuid.c's get_cpuid_func()): the host's leaves
 * as KVM lists them, sub-leaves of the indexed ones, each masked with
 * kvm_cpu_caps, KVM's own signature leaves, and the hypervisor bit. The
 * host is tdxsim's machine (tdx_machine_cpuid()), not the CPU tdxsim runs
 * on, so the answer is the same everywhere and agrees with the TDX module
 * KVM_TDX_CAPABILITIES reports.
 */
static int kvm_dev_get_supported_cpuid(struct kvm_cpuid_entry2 *e, int max)
{
	u64 xfeatures = kvm_caps.supported_xcr0 | kvm_caps.supported_xss;
	const u32 sig = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
	u32 r[4], maxfn, maxext, fn, i;
	int n = 0, ret = 0;

	tdx_machine_cpuid(0, 0, r);
	maxfn = min(r[0], 0x1fU);
	for (fn = 0; fn <= maxfn && !ret; fn++) {
		switch (fn) {
		case 4:
		case 0xb:
		case 0x1f:
			for (i = 0; !ret; i++) {
				tdx_machine_cpuid(fn, i, r);
				if (fn == 4 ? !(r[0] & 0x1f) :
					      i && !(r[2] & 0xff00))
					break;
				ret = cpuid_add(e, &n, max, fn, i, sig);
			}
			break;
		case 7:
			tdx_machine_cpuid(7, 0, r);
			for (i = 0; i <= min(r[0], 2U) && !ret; i++)
				ret = cpuid_add(e, &n, max, fn, i, sig);
			break;
		case 0xd:
			for (i = 0; i < 64 && !ret; i++) {
				tdx_machine_cpuid(0xd, i, r);
				if (i > 1 && (!(xfeatures & BIT_ULL(i)) || !r[0]))
					continue;
				ret = cpuid_add(e, &n, max, fn, i, sig);
				if (!ret && i == 0) {
					/* The XCR0 bits KVM supports. */
					e[n - 1].eax &= (u32)kvm_caps.supported_xcr0;
					e[n - 1].edx &= kvm_caps.supported_xcr0 >> 32;
				} else if (!ret && i == 1) {
					e[n - 1].ecx &= (u32)kvm_caps.supported_xss;
					e[n - 1].edx &= kvm_caps.supported_xss >> 32;
				}
			}
			break;
		default:
			ret = cpuid_add(e, &n, max, fn, 0, 0);
			break;
		}
		if (!ret && fn == 0)
			e[n - 1].eax = maxfn;
		if (!ret && fn == 1)
			e[n - 1].ecx |= BIT(31);	/* X86_FEATURE_HYPERVISOR */
	}
	/* KVM's leaves: the "KVMKVMKVM" signature, no PV features here. */
	if (!ret && n < max) {
		e[n++] = (struct kvm_cpuid_entry2){ .function = 0x40000000,
			.eax = 0x40000001, .ebx = 0x4b4d564b,
			.ecx = 0x564b4d56, .edx = 0x4d };
	} else if (!ret) {
		ret = -E2BIG;
	}
	if (!ret && n < max)
		e[n++] = (struct kvm_cpuid_entry2){ .function = 0x40000001 };
	else if (!ret)
		ret = -E2BIG;
	tdx_machine_cpuid(0x80000000, 0, r);
	maxext = min(r[0], 0x80000008U);
	for (fn = 0x80000000; fn <= maxext && !ret; fn++) {
		ret = cpuid_add(e, &n, max, fn, 0, 0);
		if (!ret && fn == 0x80000000)
			e[n - 1].eax = maxext;
	}
	return ret ? ret : n;
}

static long kvm_dev_ioctl_get_supported_cpuid(void *argp)
{
	struct kvm_cpuid2 cpuid;
	struct kvm_cpuid_entry2 *e;
	int n;

	if (copy_from_user(&cpuid, argp, sizeof(cpuid)))
		return -EFAULT;
	if (cpuid.nent < 1)
		return -E2BIG;
	if (cpuid.nent > KVM_MAX_CPUID_ENTRIES)
		cpuid.nent = KVM_MAX_CPUID_ENTRIES;
	e = calloc(cpuid.nent, sizeof(*e));
	if (!e)
		return -ENOMEM;
	n = kvm_dev_get_supported_cpuid(e, cpuid.nent);
	if (n >= 0) {
		cpuid.nent = n;
		if (copy_to_user(argp, &cpuid, sizeof(cpuid)) ||
		    copy_to_user((u8 *)argp + sizeof(cpuid), e, n * sizeof(*e)))
			n = -EFAULT;
	}
	free(e);
	return n < 0 ? n : 0;
}

/* msrs_to_save plus emulated_msrs (a representative set), and the feature MSRs. */
static const u32 kvm_msrs_to_save[] = {
	0x00000010, 0x0000001b, 0x0000003a, 0x0000003b, 0x00000048,
	0x00000174, 0x00000175, 0x00000176, 0x00000277, 0x000006e0,
	0xc0000080, 0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084,
	0xc0000100, 0xc0000101, 0xc0000102, 0xc0000103,
	0x4b564d00, 0x4b564d01,		/* MSR_KVM_WALL_CLOCK_NEW, SYSTEM_TIME_NEW */
};
static const u32 kvm_feature_msrs[] = {
	0x0000010a,			/* MSR_IA32_ARCH_CAPABILITIES */
	0x00000345,			/* MSR_IA32_PERF_CAPABILITIES */
	0x00000480, 0x00000481, 0x00000482, 0x00000483, 0x00000484,
	0x00000485, 0x00000486, 0x00000487, 0x00000488, 0x00000489,
	0x0000048a, 0x0000048b, 0x0000048c, 0x0000048d, 0x0000048e,
	0x0000048f, 0x00000490, 0x00000491,	/* VMX capabilities */
	0x0000008b,			/* MSR_IA32_UCODE_REV */
};

/* KVM_GET_MSR_INDEX_LIST and the feature list: E2BIG with the count. */
static long kvm_get_msr_list(void *argp, const u32 *msrs, u32 nr)
{
	struct kvm_msr_list list;
	u32 n;

	if (copy_from_user(&list, argp, sizeof(list)))
		return -EFAULT;
	n = list.nmsrs;
	list.nmsrs = nr;
	if (copy_to_user(argp, &list, sizeof(list)))
		return -EFAULT;
	if (n < nr)
		return -E2BIG;
	if (copy_to_user((u8 *)argp + sizeof(list), msrs, nr * sizeof(u32)))
		return -EFAULT;
	return 0;
}

long kvm_arch_dev_ioctl(unsigned long ioctl, unsigned long arg)
{
	void *argp = (void *)arg;

	switch (ioctl) {
	case KVM_GET_MSR_INDEX_LIST:
		return kvm_get_msr_list(argp, kvm_msrs_to_save,
					ARRAY_SIZE(kvm_msrs_to_save));
	case KVM_GET_MSR_FEATURE_INDEX_LIST:
		return kvm_get_msr_list(argp, kvm_feature_msrs,
					ARRAY_SIZE(kvm_feature_msrs));
	case KVM_GET_SUPPORTED_CPUID:
		return kvm_dev_ioctl_get_supported_cpuid(argp);
	default:
		return -ENOIOCTLCMD;
	}
}

/* KVM_ENABLE_CAP on a VM (kvm_vm_ioctl_enable_cap()). */
static int kvm_vm_ioctl_enable_cap(struct kvm *kvm, struct kvm_enable_cap *cap)
{
	int r;

	if (cap->flags)
		return -EINVAL;

	switch (cap->cap) {
	case KVM_CAP_SPLIT_IRQCHIP:
		mutex_lock(&kvm->lock);
		r = -EINVAL;
		if (cap->args[0] > MAX_NR_RESERVED_IOAPIC_PINS)
			goto split_irqchip_unlock;
		r = -EEXIST;
		if (irqchip_in_kernel(kvm) || kvm->created_vcpus)
			goto split_irqchip_unlock;
		kvm->arch.irqchip_split = true;
		kvm->arch.nr_reserved_ioapic_pins = cap->args[0];
		r = 0;
split_irqchip_unlock:
		mutex_unlock(&kvm->lock);
		return r;
	case KVM_CAP_X86_USER_SPACE_MSR:
		if (cap->args[0] & ~KVM_MSR_EXIT_REASON_VALID_MASK)
			return -EINVAL;
		WRITE_ONCE(kvm->arch.user_space_msr_mask, cap->args[0]);
		return 0;
	case KVM_CAP_EXIT_HYPERCALL:
		if (cap->args[0] & ~KVM_EXIT_HYPERCALL_VALID_MASK)
			return -EINVAL;
		WRITE_ONCE(kvm->arch.hypercall_exit_enabled, cap->args[0]);
		return 0;
	case KVM_CAP_X86_APIC_BUS_CYCLES_NS: {
		u64 bus_cycle_ns = cap->args[0], unused;

		/* Guard against overflow in tmict_to_ns(). */
		if (!bus_cycle_ns ||
		    __builtin_mul_overflow((u64)UINT32_MAX * (1ULL << 7),
					   bus_cycle_ns, &unused))
			return -EINVAL;
		r = 0;
		mutex_lock(&kvm->lock);
		if (!irqchip_in_kernel(kvm))
			r = -ENXIO;
		else if (kvm->created_vcpus)
			r = -EINVAL;
		else
			kvm->arch.apic_bus_cycle_ns = bus_cycle_ns;
		mutex_unlock(&kvm->lock);
		return r;
	}
	default:
		return -EINVAL;
	}
}

/*
 * KVM_SET_TSS_ADDR and KVM_SET_IDENTITY_MAP_ADDR: real-mode emulation's
 * pages, which a TD never has: vt_set_tss_addr() and
 * vt_set_identity_map_addr() answer 0 for a TD without doing anything.
 * tdxsim has no VMX VMs, so every VM answers so after the generic checks.
 */
static int kvm_vm_ioctl_set_tss_addr(struct kvm *kvm, unsigned long addr)
{
	if (addr > (unsigned int)(-3 * PAGE_SIZE))
		return -EINVAL;
	return 0;
}

bool irqchip_in_kernel(struct kvm *kvm)
{
	return READ_ONCE(kvm->arch.irqchip_split);
}

bool kvm_arch_irqchip_split(struct kvm *kvm)
{
	return READ_ONCE(kvm->arch.irqchip_split);
}

bool kvm_arch_can_set_irq_routing(struct kvm *kvm)
{
	return irqchip_in_kernel(kvm);
}

/* A resampling irqfd needs the in-kernel IOAPIC (a full irqchip). */
bool kvm_arch_irqfd_allowed(struct kvm *kvm, struct kvm_irqfd *args)
{
	if (args->flags & KVM_IRQFD_FLAG_RESAMPLE)
		return false;
	return irqchip_in_kernel(kvm);
}

/* ---- capabilities and ioctls ---- */

long kvm_vm_ioctl_check_extension_x86(struct kvm *kvm, long ext)
{
	long cpus;

	switch (ext) {
	case KVM_CAP_VM_TYPES:
		return kvm_supported_vm_types();
	case KVM_CAP_PRE_FAULT_MEMORY:
		return 1;
	case KVM_CAP_NR_VCPUS:
		cpus = sysconf(_SC_NPROCESSORS_ONLN);
		if (cpus < 1)
			cpus = 1;
		return min_t(long, cpus, KVM_MAX_VCPUS);
	case KVM_CAP_MAX_VCPUS:
		return kvm ? kvm->max_vcpus : KVM_MAX_VCPUS;
	case KVM_CAP_MAX_VCPU_ID:
		return KVM_MAX_VCPU_IDS;
	case KVM_CAP_READONLY_MEM:
		return kvm ? kvm_arch_has_readonly_mem(kvm) : 1;
	case KVM_CAP_EXIT_HYPERCALL:
		return BIT(KVM_HC_MAP_GPA_RANGE);
	case KVM_CAP_TSC_CONTROL:
	case KVM_CAP_VM_TSC_CONTROL:
		return kvm_caps.has_tsc_control;
	case KVM_CAP_GET_TSC_KHZ:
		return 1;
	case KVM_CAP_SET_TSS_ADDR:
	case KVM_CAP_SET_IDENTITY_MAP_ADDR:
	case KVM_CAP_EXT_CPUID:
	case KVM_CAP_SPLIT_IRQCHIP:
	case KVM_CAP_GET_MSR_FEATURES:
	case KVM_CAP_X86_USER_SPACE_MSR:
		return 1;
	case KVM_CAP_MCE:
		return KVM_MAX_MCE_BANKS;
	case KVM_CAP_X86_APIC_BUS_CYCLES_NS:
		return APIC_BUS_CYCLE_NS_DEFAULT;
	default:
		return 0;
	}
}

long kvm_arch_vm_ioctl(struct kvm *kvm, unsigned long ioctl, unsigned long arg)
{
	void *argp = (void *)arg;
	long r;

	switch (ioctl) {
	case KVM_MEMORY_ENCRYPT_OP:
		if (!kvm_vm_uses_vendor(kvm) || !kvm_x86_ops.mem_enc_ioctl)
			return -ENOTTY;
		return kvm_x86_ops.mem_enc_ioctl(kvm, argp);
	case KVM_SET_TSC_KHZ: {
		/* The frequency of the vCPUs not yet created. */
		u32 user_tsc_khz = (u32)arg;

		r = -EINVAL;

		if (kvm_caps.has_tsc_control &&
		    user_tsc_khz >= kvm_caps.max_guest_tsc_khz)
			return -EINVAL;
		if (!user_tsc_khz)
			user_tsc_khz = tsc_khz;
		mutex_lock(&kvm->lock);
		if (!kvm->created_vcpus) {
			WRITE_ONCE(kvm->arch.default_tsc_khz, user_tsc_khz);
			r = 0;
		}
		mutex_unlock(&kvm->lock);
		return r;
	}
	case KVM_GET_TSC_KHZ:
		return READ_ONCE(kvm->arch.default_tsc_khz);
	case KVM_ENABLE_CAP: {
		struct kvm_enable_cap cap;

		if (copy_from_user(&cap, argp, sizeof(cap)))
			return -EFAULT;
		return kvm_vm_ioctl_enable_cap(kvm, &cap);
	}
	case KVM_SET_TSS_ADDR:
		return kvm_vm_ioctl_set_tss_addr(kvm, arg);
	case KVM_SET_IDENTITY_MAP_ADDR: {
		u64 ident_addr;

		mutex_lock(&kvm->lock);
		r = -EINVAL;
		if (kvm->created_vcpus)
			goto set_identity_unlock;
		r = -EFAULT;
		if (copy_from_user(&ident_addr, argp, sizeof(ident_addr)))
			goto set_identity_unlock;
		r = 0;		/* vt_set_identity_map_addr(): nothing for a TD */
set_identity_unlock:
		mutex_unlock(&kvm->lock);
		return r;
	}
	case KVM_SET_NR_MMU_PAGES:
		if (arg < KVM_MIN_ALLOC_MMU_PAGES)
			return -EINVAL;
		/* The TDP MMU has no shadow-page quota to apply it to. */
		mutex_lock(&kvm->slots_lock);
		kvm->arch.n_requested_mmu_pages = arg;
		mutex_unlock(&kvm->slots_lock);
		return 0;
	default:
		return -ENOTTY;
	}
}

/*
 * KVM_SET_CPUID2 (cpuid.c): the vCPU's CPUID as userspace gives it. After
 * the vCPU has run, only the same table is accepted (kvm_set_cpuid()).
 */
static int kvm_vcpu_ioctl_set_cpuid2(struct kvm_vcpu *vcpu,
				     struct kvm_cpuid2 *cpuid,
				     void *entries)
{
	struct kvm_cpuid_entry2 *e2 = NULL;
	size_t size = cpuid->nent * sizeof(*e2);

	if (cpuid->nent > KVM_MAX_CPUID_ENTRIES)
		return -E2BIG;
	if (cpuid->nent) {
		e2 = malloc(size);
		if (!e2)
			return -ENOMEM;
		if (copy_from_user(e2, entries, size)) {
			free(e2);
			return -EFAULT;
		}
	}
	if (vcpu->arch.has_run) {
		int r = (cpuid->nent == (u32)vcpu->arch.cpuid_nent &&
			 (!size || !memcmp(e2, vcpu->arch.cpuid_entries, size))) ?
				0 : -EINVAL;

		free(e2);
		return r;
	}
	free(vcpu->arch.cpuid_entries);
	vcpu->arch.cpuid_entries = e2;
	vcpu->arch.cpuid_nent = cpuid->nent;
	return 0;
}

long kvm_arch_vcpu_unlocked_ioctl(struct kvm_vcpu *vcpu, unsigned long ioctl,
				  unsigned long arg)
{
	if (ioctl == KVM_MEMORY_ENCRYPT_OP && kvm_vm_uses_vendor(vcpu->kvm) &&
	    kvm_x86_ops.vcpu_mem_enc_unlocked_ioctl)
		return kvm_x86_ops.vcpu_mem_enc_unlocked_ioctl(vcpu,
							       (void *)arg);
	return -ENOIOCTLCMD;
}

long kvm_arch_vcpu_ioctl(struct kvm_vcpu *vcpu, unsigned long ioctl,
			 unsigned long arg)
{
	long r;

	switch (ioctl) {
	case KVM_MEMORY_ENCRYPT_OP:
		if (!kvm_vm_uses_vendor(vcpu->kvm) ||
		    !kvm_x86_ops.vcpu_mem_enc_ioctl)
			return -ENOTTY;
		vcpu_load(vcpu);
		r = kvm_x86_ops.vcpu_mem_enc_ioctl(vcpu, (void *)arg);
		vcpu_put(vcpu);
		return r;
	case KVM_SET_CPUID2: {
		struct kvm_cpuid2 cpuid;

		if (copy_from_user(&cpuid, (void *)arg, sizeof(cpuid)))
			return -EFAULT;
		return kvm_vcpu_ioctl_set_cpuid2(vcpu, &cpuid,
				(u8 *)arg + sizeof(struct kvm_cpuid2));
	}
	case KVM_GET_CPUID2: {
		struct kvm_cpuid2 cpuid;

		if (copy_from_user(&cpuid, (void *)arg, sizeof(cpuid)))
			return -EFAULT;
		r = 0;
		if (cpuid.nent < vcpu->arch.cpuid_nent)
			r = -E2BIG;
		else if (copy_to_user((u8 *)arg + sizeof(cpuid),
				      vcpu->arch.cpuid_entries,
				      vcpu->arch.cpuid_nent *
				      sizeof(struct kvm_cpuid_entry2)))
			r = -EFAULT;
		cpuid.nent = vcpu->arch.cpuid_nent;
		if (copy_to_user((void *)arg, &cpuid, sizeof(cpuid)))
			r = -EFAULT;
		return r;
	}
	case KVM_X86_SETUP_MCE: {
		u64 mcg_cap;
		unsigned int bank_num;

		if (copy_from_user(&mcg_cap, (void *)arg, sizeof(mcg_cap)))
			return -EFAULT;
		bank_num = mcg_cap & 0xff;
		if (!bank_num || bank_num > KVM_MAX_MCE_BANKS)
			return -EINVAL;
		if (mcg_cap & ~(KVM_MCE_CAP_SUPPORTED | 0xff | 0xff0000))
			return -EINVAL;
		vcpu->arch.mcg_cap = mcg_cap;
		return 0;
	}
	default:
		return -EINVAL;
	}
}

/*
 * kvm_send_userspace_msi() (upstream: virt/kvm/irqchip.c) with x86's
 * kvm_set_msi() and kvm_irq_delivery_to_apic() folded in. A TD's local
 * APIC is virtualized by the CPU and KVM only posts the vector, so the
 * delivery is the vendor's. tdxsim decodes what a TD's VMM sends: a
 * fixed interrupt in physical destination mode to one x2APIC ID (the vCPU
 * id), or to all (0xffffffff); other modes reach no vCPU. Returns the
 * number of vCPUs the interrupt was delivered to.
 */
int kvm_send_userspace_msi(struct kvm *kvm, struct kvm_msi *msi)
{
	u32 dest = ((msi->address_lo >> 12) & 0xff) |
		   (msi->address_hi & 0xffffff00);
	int vector = msi->data & 0xff;
	bool logical = msi->address_lo & (1u << 2);
	u32 delivery_mode = (msi->data >> 8) & 0x7;
	int i, n, delivered = 0;

	if (msi->flags & ~KVM_MSI_VALID_DEVID)
		return -EINVAL;
	if (!kvm_vm_uses_vendor(kvm) || !kvm_x86_ops.deliver_interrupt)
		return -EINVAL;
	if (logical || delivery_mode != 0 || vector < 16)
		return 0;
	n = atomic_read(&kvm->online_vcpus);
	for (i = 0; i < n; i++) {
		struct kvm_vcpu *vcpu = kvm->vcpus[i];

		if (dest != 0xffffffff && (u32)vcpu->vcpu_id != dest)
			continue;
		kvm_x86_ops.deliver_interrupt(vcpu, vector);
		delivered++;
	}
	return delivered;
}

/*
 * Is an event pending that the guest should get before going on (an
 * interrupt, an NMI, an SMI, ...)? tdxsim models no local APIC and no other
 * event source: an interrupt posted by KVM_SIGNAL_MSI (or a test) and not
 * yet delivered on a guest entry (tdxsim_interrupt_pending) is the only
 * event.
 */
bool kvm_vcpu_has_events(struct kvm_vcpu *vcpu)
{
	return READ_ONCE(vcpu->arch.tdxsim_interrupt_pending);
}

/*
 * An exit the vendor code does not handle goes to userspace as an internal
 * error (upstream x86.c): the reason and the CPU of the last entry
 * (tdxsim has no CPU numbers: 0). The VM stays alive; a VMM such as QEMU
 * stops it.
 */
void kvm_prepare_unexpected_reason_exit(struct kvm_vcpu *vcpu, u64 exit_reason)
{
	pr_err_ratelimited("kvm: vcpu%d: unexpected exit reason 0x%llx\n",
			   vcpu->vcpu_id, (unsigned long long)exit_reason);
	vcpu->run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	vcpu->run->internal.suberror = KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON;
	vcpu->run->internal.ndata = 2;
	vcpu->run->internal.data[0] = exit_reason;
	vcpu->run->internal.data[1] = 0;
}

/*
 * KVM_RUN: under vcpu->mutex and the kvm->srcu read lock, call the vendor's
 * vcpu_run (one guest entry and its exit) until it asks to return to
 * userspace (0) or fails (< 0). The vendor brackets guest execution with
 * kvm_vcpu_enter_guest_mode()/kvm_vcpu_exit_guest_mode(), which drop and
 * re-take srcu and run the mode handshake kicks rely on.
 */
int kvm_arch_vcpu_ioctl_run(struct kvm_vcpu *vcpu)
{
	struct kvm *kvm = vcpu->kvm;
	struct kvm_run *kvm_run = vcpu->run;
	int r;

	kvm_run->flags = 0;
	vcpu_load(vcpu);

	if (!vcpu->wants_to_run) {
		kvm_run->exit_reason = KVM_EXIT_INTR;
		r = -EINTR;
		goto out;
	}
	/* tdxsim has no vendor for the other VM types: nothing can run. */
	if (!kvm_vm_uses_vendor(kvm) || !kvm_x86_ops.vcpu_run) {
		r = -ENOEXEC;
		goto out;
	}

	vcpu->srcu_idx = srcu_read_lock(&kvm->srcu);
	vcpu->srcu_held = true;
	/* Finish the exit userspace answered (e.g. the next MapGPA chunk). */
	if (vcpu->arch.complete_userspace_io) {
		int (*cui)(struct kvm_vcpu *) = vcpu->arch.complete_userspace_io;

		vcpu->arch.complete_userspace_io = NULL;
		r = cui(vcpu);
		if (r <= 0)
			goto out_srcu;
	}
	kvm_run->exit_reason = KVM_EXIT_UNKNOWN;
	for (;;) {
		if (kvm_check_request(KVM_REQ_VM_DEAD, vcpu)) {
			r = -EIO;
			break;
		}
		/* TLB flushes need no work here (no real TLB). */
		kvm_clear_request(KVM_REQ_TLB_FLUSH, vcpu);
		kvm_clear_request(KVM_REQ_UNBLOCK, vcpu);

		vcpu->arch.has_run = true;
		r = kvm_x86_ops.vcpu_run(vcpu);

		if (WARN_ON_ONCE(READ_ONCE(vcpu->mode) != OUTSIDE_GUEST_MODE))
			kvm_vcpu_exit_guest_mode(vcpu);
		if (WARN_ON_ONCE(!vcpu->srcu_held)) {
			vcpu->srcu_idx = srcu_read_lock(&kvm->srcu);
			vcpu->srcu_held = true;
		}
		if (r <= 0)
			break;
		cond_resched();
	}
out_srcu:
	vcpu->srcu_held = false;
	srcu_read_unlock(&kvm->srcu, vcpu->srcu_idx);
out:
	vcpu_put(vcpu);
	return r;
}
