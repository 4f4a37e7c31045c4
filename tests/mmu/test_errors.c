// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Bad inputs and failures (issue 5): each bad input from the reference's
 * error lists (KVM_TDX_* sub-ioctls §4.3, INIT_MEM_REGION §4.1,
 * KVM_PRE_FAULT_MEMORY) gets the kernel's errno and leaves the VM usable
 * (the guest still runs to its end afterwards). SEAMCALL failures: a BUSY
 * from an install hook becomes a fault retry; a BUSY in a zap is retried
 * once with the vCPUs out; any other failure bugs the VM (KVM_BUG_ON), and
 * every later ioctl answers EIO. pin_pages=on holds one page reference per
 * mapped page and drops it after removal (seed 003's old design).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "kvm/tdx.h"
#include "testlib/kvm_util_internal.h"

#define MB	(1ULL << 20)
#define TDX_ATTR_DEBUG		(1ULL << 0)
#define TDX_ATTR_SEPT_VE_DISABLE (1ULL << 28)

static const char *small_program =
	"accept 0x200000 64K level=4k\n"
	"write 0x200000 64K pattern=2\n"
	"read 0x200000 64K\n"
	"read 0x800000 8K\n"
	"halt\n";

static void run_ok(struct td *td)
{
	td_run_vcpu(td, 0);
	assert_int_equal(td->last_exit[0], KVM_EXIT_HLT);
	assert_true(tdxsim_guest_finished(td->guest));
	assert_int_equal(tdxsim_guest_data_failures(td->guest), 0);
	td_check(td);
}

static int init_vm(int vm, u32 flags, u64 attrs, int gpaw, u32 nent,
		   u64 reserved0, u64 hw_error)
{
	struct kvm_tdx_init_vm *init;
	struct kvm_tdx_cmd cmd = { .id = KVM_TDX_INIT_VM, .flags = flags,
				   .hw_error = hw_error };
	size_t size = sizeof(*init) + sizeof(struct kvm_cpuid_entry2);
	int r;

	init = calloc(1, size);
	init->attributes = attrs;
	init->xfam = 0x3;
	init->reserved[0] = reserved0;
	init->cpuid.nent = nent;
	init->cpuid.entries[0].function = 0x80000008;
	init->cpuid.entries[0].eax = ((u32)gpaw << 16) | 52;
	cmd.data = (u64)(uintptr_t)init;
	r = tdxsim_ioctl(vm, KVM_MEMORY_ENCRYPT_OP, &cmd);
	free(init);
	return r < 0 ? -errno : 0;
}

/* KVM_TDX_CAPABILITIES, KVM_TDX_INIT_VM, KVM_CREATE_VCPU before it. */
static void test_vm_errors(void **state)
{
	struct kvm_tdx_capabilities *caps = calloc(1, sizeof(*caps) + 4096);
	struct td_opts o;
	struct td td;

	td_opts_init(&o);
	o.vm_only = true;
	o.program = small_program;
	td_create(&td, &o);

	/* CAPABILITIES with flags (a short array: test_cpuid.c). */
	assert_int_equal(__tdx_cmd(td.vm, KVM_TDX_CAPABILITIES, 1,
				   (u64)(uintptr_t)caps, NULL), -EINVAL);
	caps->cpuid.nent = 64;
	tdx_cmd(td.vm, KVM_TDX_CAPABILITIES, 0,
		(u64)(uintptr_t)caps);
	free(caps);

	/* A vCPU needs an initialized TD. */
	assert_true(tdxsim_ioctl(td.vm, KVM_CREATE_VCPU, 0) < 0);
	assert_int_equal(errno, EIO);

	/* INIT_VM: flags, hw_error as input, nent, reserved, attrs, GPAW. */
	assert_int_equal(init_vm(td.vm, 1, TDX_ATTR_SEPT_VE_DISABLE, 48, 1, 0,
				 0), -EINVAL);
	assert_int_equal(init_vm(td.vm, 0, TDX_ATTR_SEPT_VE_DISABLE, 48, 1, 0,
				 1), -EINVAL);
	assert_int_equal(init_vm(td.vm, 0, TDX_ATTR_SEPT_VE_DISABLE, 48,
				 KVM_MAX_CPUID_ENTRIES + 1, 0, 0), -E2BIG);
	assert_int_equal(init_vm(td.vm, 0, TDX_ATTR_SEPT_VE_DISABLE, 48, 1, 1,
				 0), -EINVAL);
	assert_int_equal(init_vm(td.vm, 0, TDX_ATTR_DEBUG, 48, 1, 0, 0),
			 -EINVAL);
	assert_int_equal(init_vm(td.vm, 0, TDX_ATTR_SEPT_VE_DISABLE, 50, 1, 0,
				 0), -EINVAL);
	/* Unreadable user memory: the command or the INIT_VM struct. */
	assert_true(tdxsim_ioctl(td.vm, KVM_MEMORY_ENCRYPT_OP, (void *)16) < 0);
	assert_int_equal(errno, EFAULT);
	assert_int_equal(__tdx_cmd(td.vm, KVM_TDX_INIT_VM, 0, 16, NULL),
			 -EFAULT);
	/* FINALIZE before INIT_VM. */
	assert_int_equal(__td_finalize(&td), -EINVAL);

	/* The VM is still usable: the whole life goes through. */
	td_create_rest(&td, &o);
	assert_int_equal(init_vm(td.vm, 0, TDX_ATTR_SEPT_VE_DISABLE, 48, 1, 0,
				 0), -EINVAL);
	td_populate(&td, 0x800000, 2, true, 1);
	td_finalize(&td);
	run_ok(&td);
	td_destroy(&td);
}

static int mem_region(struct td *td, u32 flags, u64 src, u64 gpa, u64 nr,
		      struct kvm_tdx_init_mem_region *out)
{
	struct kvm_tdx_init_mem_region region = {
		.source_addr = src,
		.gpa = gpa,
		.nr_pages = nr,
	};
	int r = __td_init_mem_region(td, td->vcpu[0], flags, &region);

	if (out)
		*out = region;
	return r;
}

/* INIT_VCPU, INIT_MEM_REGION, FINALIZE before and after finalize. */
static void mem_region_errors(const char *kernel)
{
	u8 *src = aligned_alloc(4096, 8 * 4096);
	u64 s = (u64)(uintptr_t)src, hw = 0;
	struct kvm_tdx_init_mem_region region;
	struct kvm_tdx_cmd cmd;
	struct tdxsim_stats ks;
	struct td_opts o;
	struct td td;

	memset(src, 0x5a, 8 * 4096);
	td_opts_init(&o);
	td_opts_set_kernel(&o, kernel);
	o.program = small_program;
	td_create(&td, &o);

	/*
	 * Order: a vCPU that is not initialized cannot populate; once
	 * initialized it can. (Its guest is never run.)
	 */
	{
		int extra = tdxsim_ioctl(td.vm, KVM_CREATE_VCPU, 3);

		assert_true(extra >= 0);
		region = (struct kvm_tdx_init_mem_region){
			.source_addr = s, .gpa = 0x800000, .nr_pages = 1 };
		assert_int_equal(__td_init_mem_region(&td, extra, 0, &region),
				 -EINVAL);
		tdx_cmd(extra, KVM_TDX_INIT_VCPU, 0, 0);
		tdxsim_close(extra);
	}

	/* INIT_VCPU twice, or with flags. */
	assert_int_equal(__tdx_cmd(td.vcpu[0], KVM_TDX_INIT_VCPU, 0, 0, NULL),
			 -EINVAL);
	assert_int_equal(__tdx_cmd(td.vcpu[0], KVM_TDX_INIT_VCPU, 1, 0, NULL),
			 -EINVAL);

	/* INIT_MEM_REGION input checks. */
	assert_int_equal(mem_region(&td, 2, s, 0x800000, 1, NULL), -EINVAL);
	assert_int_equal(mem_region(&td, 0, s + 8, 0x800000, 1, NULL), -EINVAL);
	assert_int_equal(mem_region(&td, 0, s, 0x800008, 1, NULL), -EINVAL);
	assert_int_equal(mem_region(&td, 0, s, 0x800000, 0, NULL), -EINVAL);
	/* A NULL source: next refuses it, before GUP fails on it. */
	assert_int_equal(mem_region(&td, 0, 0, 0x800000, 1, NULL),
			 o.design.populate_src_null_check ? -EINVAL : -EFAULT);
	assert_int_equal(mem_region(&td, 0, s, (1ULL << 47) | 0x800000, 1,
				    NULL), -EINVAL);
	assert_int_equal(mem_region(&td, 0, s, 0x800000, ~0ULL >> 12, NULL),
			 -EINVAL);
	memset(&cmd, 0, sizeof(cmd));
	cmd.id = KVM_TDX_INIT_MEM_REGION;
	cmd.hw_error = 1;
	cmd.data = (u64)(uintptr_t)&region;
	assert_true(tdxsim_ioctl(td.vcpu[0], KVM_MEMORY_ENCRYPT_OP, &cmd) < 0);
	assert_int_equal(errno, EINVAL);

	/* Unreadable region struct. */
	assert_int_equal(__tdx_cmd(td.vcpu[0], KVM_TDX_INIT_MEM_REGION, 0, 16,
				   NULL), -EFAULT);

	/* A shared GFN cannot be populated. */
	td_set_private(&td, 0xc00000, 4096, false);
	assert_int_equal(mem_region(&td, 0, s, 0xc00000, 1, NULL), -EINVAL);
	td_set_private(&td, 0xc00000, 4096, true);

	/*
	 * Partial progress: the region runs past the slot's end; the two
	 * pages inside are added and the region comes back advanced.
	 */
	assert_int_equal(mem_region(&td, KVM_TDX_MEASURE_MEMORY_REGION, s,
				    td.memory - 2 * 4096, 4, &region), -EINVAL);
	assert_int_equal(region.nr_pages, 2);
	assert_int_equal(region.gpa, td.memory);
	assert_int_equal(region.source_addr, s + 2 * 4096);
	assert_int_equal(td_seamcalls(&td, TDH_MEM_PAGE_ADD), 2);
	assert_int_equal(td_seamcalls(&td, TDH_MR_EXTEND), 32);
	td_check(&td);

	/*
	 * Populating a page twice: guest_memfd's -EEXIST for the prepared
	 * folio (to 6.19), tdxsim's -EEXIST from PAGE.ADD (seed000-rfc), or
	 * (7.0 on) kvm_tdp_mmu_map_private_pfn() finds the leaf: -EIO, and
	 * no PAGE.ADD or MR.EXTEND is issued again.
	 */
	td_populate(&td, 0x800000, 2, true, 1);
	{
		u64 adds = td_seamcalls(&td, TDH_MEM_PAGE_ADD);
		u64 extends = td_seamcalls(&td, TDH_MR_EXTEND);

		assert_int_equal(mem_region(&td, KVM_TDX_MEASURE_MEMORY_REGION,
					    s, 0x800000, 1, NULL),
				 o.design.populate_eexist ||
				 o.design.populate == TDXSIM_POPULATE_DECOUPLED ?
				 -EEXIST : -EIO);
		assert_int_equal(td_seamcalls(&td, TDH_MR_EXTEND), extends);
		assert_int_equal(td_seamcalls(&td, TDH_MEM_PAGE_ADD),
				 adds + (o.design.populate ==
					 TDXSIM_POPULATE_DECOUPLED));
	}
	td_check(&td);

	/* Pre-fault before finalize. */
	{
		struct kvm_pre_fault_memory r = { .gpa = 0x200000,
						  .size = 4096 };

		assert_int_equal(__td_prefault_raw(&td, 0, &r), -EOPNOTSUPP);
	}

	/* FINALIZE with flags or hw_error. */
	assert_int_equal(__tdx_cmd(td.vm, KVM_TDX_FINALIZE_VM, 1, 0, NULL),
			 -EINVAL);
	memset(&cmd, 0, sizeof(cmd));
	cmd.id = KVM_TDX_FINALIZE_VM;
	cmd.hw_error = 1;
	assert_true(tdxsim_ioctl(td.vm, KVM_MEMORY_ENCRYPT_OP, &cmd) < 0);
	assert_int_equal(errno, EINVAL);

	td_finalize(&td);
	td_check(&td);

	/* After finalize: no more populate, INIT_VCPU or FINALIZE. */
	assert_int_equal(mem_region(&td, 0, s, 0x900000, 1, NULL), -EINVAL);
	assert_int_equal(__tdx_cmd(td.vcpu[0], KVM_TDX_INIT_VCPU, 0, 0, NULL),
			 -EINVAL);
	assert_int_equal(__tdx_cmd(td.vm, KVM_TDX_FINALIZE_VM, 0, 0, &hw),
			 -EINVAL);

	td_kvm_stats(&td, &ks);
	assert_int_equal(ks.vm_bugged, 0);
	run_ok(&td);
	td_destroy(&td);
	free(src);
}

static void test_mem_region_errors_decoupled(void **state)
{
	mem_region_errors("next+seed000-rfc");
}

static void test_mem_region_errors_gmem(void **state)
{
	mem_region_errors("v6.16");
}

static void test_mem_region_errors_map_pfn(void **state)
{
	mem_region_errors("v6.19");
	mem_region_errors("next");
}

/* KVM_PRE_FAULT_MEMORY after finalize. */
static void test_prefault_errors(void **state)
{
	struct kvm_pre_fault_memory r;
	struct td_opts o;
	struct td td;

	td_opts_init(&o);
	o.program = small_program;
	td_create(&td, &o);
	td_populate(&td, 0x800000, 2, true, 1);
	td_finalize(&td);

	r = (struct kvm_pre_fault_memory){ .gpa = 0x400000, .size = 4096,
					   .flags = 1 };
	assert_int_equal(__td_prefault_raw(&td, 0, &r), -EINVAL);
	r = (struct kvm_pre_fault_memory){ .gpa = 0x400800, .size = 4096 };
	assert_int_equal(__td_prefault_raw(&td, 0, &r), -EINVAL);
	r = (struct kvm_pre_fault_memory){ .gpa = 0x400000, .size = 100 };
	assert_int_equal(__td_prefault_raw(&td, 0, &r), -EINVAL);
	/* Past the slot. */
	r = (struct kvm_pre_fault_memory){ .gpa = td.memory, .size = 4096 };
	assert_int_equal(__td_prefault_raw(&td, 0, &r), -ENOENT);
	assert_int_equal(r.size, 4096);
	/* Partial progress: success for what is inside, the rest remains. */
	r = (struct kvm_pre_fault_memory){ .gpa = td.memory - 2 * 4096,
					   .size = 4 * 4096 };
	assert_int_equal(__td_prefault_raw(&td, 0, &r), 0);
	assert_int_equal(r.gpa, td.memory);
	assert_int_equal(r.size, 2 * 4096);
	assert_int_equal(__td_prefault_raw(&td, 0, &r), -ENOENT);
	assert_int_equal(td_seamcalls(&td, TDH_MEM_PAGE_AUG), 2);
	td_check(&td);
	run_ok(&td);
	td_destroy(&td);
}

static void inject(struct td *td, u32 leaf, u32 nth, u64 status)
{
	struct tdxsim_inject_fault f = { .leaf = leaf, .nth = nth,
					 .status = status };

	assert_int_equal(tdxsim_ioctl(td->vm, TDXSIM_INJECT_FAULT, &f), 0);
}

static int __inject(struct td *td, u32 leaf, u32 nth, u64 status)
{
	struct tdxsim_inject_fault f = { .leaf = leaf, .nth = nth,
					 .status = status };

	return tdxsim_ioctl(td->vm, TDXSIM_INJECT_FAULT, &f) < 0 ? -errno : 0;
}

/*
 * TDXSIM_INJECT_FAULT's own errors: a VM without its TD yet, leaf >= 128,
 * nth 0 or status 0 are EINVAL; the 17th pending request is ENOSPC.
 */
static void test_inject_fault_errors(void **state)
{
	struct td_opts o;
	struct td td;
	int i;

	td_opts_init(&o);
	o.vm_only = true;
	o.program = small_program;
	td_create(&td, &o);
	assert_int_equal(__inject(&td, TDH_MEM_PAGE_AUG, 1, TDX_OPERAND_BUSY),
			 -EINVAL);
	td_create_rest(&td, &o);
	assert_int_equal(__inject(&td, 128, 1, TDX_OPERAND_BUSY), -EINVAL);
	assert_int_equal(__inject(&td, TDH_MEM_PAGE_AUG, 0, TDX_OPERAND_BUSY),
			 -EINVAL);
	assert_int_equal(__inject(&td, TDH_MEM_PAGE_AUG, 1, 0), -EINVAL);
	for (i = 0; i < 16; i++)
		assert_int_equal(__inject(&td, 127, 1, TDX_OPERAND_BUSY), 0);
	assert_int_equal(__inject(&td, TDH_MEM_PAGE_AUG, 1, TDX_OPERAND_BUSY),
			 -ENOSPC);
	/* None of them names a leaf the TD calls: it lives on. */
	td_populate(&td, 0x800000, 2, true, 1);
	td_finalize(&td);
	run_ok(&td);
	td_destroy(&td);
}

/*
 * A BUSY from an install hook (SEPT.ADD, AUG, PAGE.ADD) becomes a fault
 * retry; a BUSY in a zap's BLOCK, TRACK or REMOVE is retried once with the
 * vCPUs out. Nothing is bugged and the guest finishes.
 */
static void busy_retries(const char *kernel)
{
	struct tdxsim_stats ks0, ks;
	struct tdxsim_td_stats ms;
	struct td_opts o;
	struct td td;

	td_opts_init(&o);
	td_opts_set_kernel(&o, kernel);
	o.program = small_program;
	td_create(&td, &o);
	inject(&td, TDH_MEM_PAGE_ADD, 2, TDX_OPERAND_BUSY);
	inject(&td, TDH_MEM_SEPT_ADD, 1, TDX_OPERAND_BUSY);
	td_populate(&td, 0x800000, 2, true, 1);
	/* The module answers and counts the injected BUSY, then the retry. */
	assert_int_equal(td_seamcalls(&td, TDH_MEM_PAGE_ADD), 3);
	td_module_stats(&td, &ms);
	assert_int_equal(ms.busy[TDH_MEM_PAGE_ADD], 1);
	assert_int_equal(ms.busy[TDH_MEM_SEPT_ADD], 1);
	td_finalize(&td);
	td_check(&td);

	td_kvm_stats(&td, &ks0);
	inject(&td, TDH_MEM_PAGE_AUG, 3, TDX_OPERAND_BUSY);
	inject(&td, TDH_MEM_SEPT_ADD, 1, TDX_OPERAND_BUSY);
	run_ok(&td);
	td_kvm_stats(&td, &ks);
	assert_true(ks.fault_retries >= ks0.fault_retries + 2);
	assert_int_equal(ks.vendor[TDXSIM_TDX_STAT_HOOK_BUSY] -
				 ks0.vendor[TDXSIM_TDX_STAT_HOOK_BUSY], 2);
	/* 16 AUGs mapped a page, one more answered the injected BUSY. */
	assert_int_equal(td_seamcalls(&td, TDH_MEM_PAGE_AUG), 17);
	td_module_stats(&td, &ms);
	assert_int_equal(ms.busy[TDH_MEM_PAGE_AUG], 1);

	/* Zaps: BUSY once each in BLOCK, TRACK, REMOVE; retried, no bug. */
	inject(&td, TDH_MEM_RANGE_BLOCK, 1, TDX_OPERAND_BUSY);
	inject(&td, TDH_MEM_TRACK, 2, TDX_OPERAND_BUSY);
	inject(&td, TDH_MEM_PAGE_REMOVE, 3, TDX_OPERAND_BUSY);
	td_punch(&td, 0x200000, 4 * 4096);
	td_kvm_stats(&td, &ks);
	assert_int_equal(ks.vm_bugged, 0);
	assert_int_equal(ks.vendor[TDXSIM_TDX_STAT_NO_VCPUS_RETRY] -
				 ks0.vendor[TDXSIM_TDX_STAT_NO_VCPUS_RETRY], 3);
	assert_int_equal(ks.vendor[TDXSIM_TDX_STAT_REMOVE] -
				 ks0.vendor[TDXSIM_TDX_STAT_REMOVE], 4);
	td_check(&td);
	td_destroy(&td);
}

static void test_busy_retries_decoupled(void **state)
{
	busy_retries("next+seed000-rfc");
}

static void test_busy_retries_map_pfn(void **state)
{
	busy_retries("next");
}

/* A zap whose REMOVE fails twice (or fails otherwise) bugs the VM. */
static void test_zap_failure_bugs_vm(void **state)
{
	struct tdxsim_stats ks;
	struct td_opts o;
	struct td td;
	int level = log_get_console_level();

	td_opts_init(&o);
	o.program = small_program;
	td_create(&td, &o);
	td_populate(&td, 0x800000, 2, true, 1);
	td_finalize(&td);
	run_ok(&td);

	log_set_console_level(0);
	inject(&td, TDH_MEM_PAGE_REMOVE, 1, TDX_OPERAND_BUSY);
	inject(&td, TDH_MEM_PAGE_REMOVE, 2, TDX_OPERAND_BUSY);
	td_punch(&td, 0x200000, 4096);
	log_set_console_level(level);
	td_kvm_stats(&td, &ks);
	assert_int_equal(ks.vm_bugged, 1);
	/* Every later VM and vCPU ioctl answers EIO. */
	assert_true(tdxsim_ioctl(td.vcpu[0], KVM_RUN, 0) < 0);
	assert_int_equal(errno, EIO);
	assert_int_equal(__td_set_private(&td, 0x200000, 4096, false), -EIO);
	assert_true(td_vm_dead(&td));
	/* The page the module still maps is leaked on purpose. */
	td.allow_leak = true;
	td_destroy(&td);
}

/* An AUG that fails with anything but BUSY bugs the VM: KVM_RUN is EIO. */
static void test_aug_failure_bugs_vm(void **state)
{
	struct tdxsim_stats ks;
	struct td_opts o;
	struct td td;
	int level = log_get_console_level();

	td_opts_init(&o);
	o.program = small_program;
	td_create(&td, &o);
	td_populate(&td, 0x800000, 2, true, 1);
	td_finalize(&td);
	inject(&td, TDH_MEM_PAGE_AUG, 2, TDX_OPERAND_INVALID);
	log_set_console_level(0);
	assert_int_equal(__td_run_vcpu(&td, 0), -EIO);
	log_set_console_level(level);
	td_kvm_stats(&td, &ks);
	assert_int_equal(ks.vm_bugged, 1);
	/* Teardown still reclaims everything. */
	td_destroy(&td);
}

/*
 * A PAGE.ADD that answers BUSY leaves the mirror leaf premapped (decoupled
 * and gmem designs): FINALIZE refuses (-EINVAL) while a page is premapped;
 * a punch before finalize meets the premap special case (BLOCK finds no
 * S-EPT leaf) and drops the count; then FINALIZE works. The map_pfn design
 * ADDs with the mirror SPTE frozen, so it never premaps: its retry loop
 * takes the BUSY and the region completes.
 */
static void premapped_zap(const char *kernel)
{
	u8 *src = aligned_alloc(4096, 4096);
	struct kvm_tdx_init_mem_region region;
	struct tdxsim_stats ks;
	struct td_opts o;
	struct td td;

	memset(src, 0x11, 4096);
	td_opts_init(&o);
	td_opts_set_kernel(&o, kernel);
	o.program = small_program;
	td_create(&td, &o);
	td_populate(&td, 0x800000, 2, true, 1);
	inject(&td, TDH_MEM_PAGE_ADD, 1, TDX_OPERAND_BUSY);
	if (o.design.populate == TDXSIM_POPULATE_MAP_PFN) {
		assert_int_equal(mem_region(&td, 0, (u64)(uintptr_t)src,
					    0x900000, 1, &region), 0);
		assert_int_equal(region.nr_pages, 0);
		td_check(&td);
		td_finalize(&td);
		run_ok(&td);
		td_destroy(&td);
		free(src);
		return;
	}
	assert_int_equal(mem_region(&td, 0, (u64)(uintptr_t)src, 0x900000, 1,
				    &region), -EBUSY);
	assert_int_equal(region.nr_pages, 1);
	td_kvm_stats(&td, &ks);
	/* One leaf sits in the mirror without its S-EPT leaf. */
	assert_int_equal(ks.vendor[TDXSIM_TDX_STAT_PREMAPPED], 3);
	td_check(&td);
	assert_int_equal(__td_finalize(&td), -EINVAL);
	td_punch(&td, 0x900000, 4096);
	assert_int_equal(td_seamcalls(&td, TDH_MEM_PAGE_REMOVE), 0);
	td_check(&td);
	td_finalize(&td);
	td_kvm_stats(&td, &ks);
	assert_int_equal(ks.vm_bugged, 0);
	run_ok(&td);
	td_destroy(&td);
	free(src);
}

static void test_premapped_zap_decoupled(void **state)
{
	premapped_zap("next+seed000-rfc");
}

static void test_premapped_zap_gmem(void **state)
{
	premapped_zap("v6.16");
}

static void test_premapped_zap_map_pfn(void **state)
{
	premapped_zap("next");
}

/*
 * pin_pages=on (before seed 003): one page reference per mapped page,
 * dropped after the page's removal; off: none.
 */
static void pin_pages(bool on)
{
	int before[4], mapped[4], after[4];
	struct td_opts o;
	struct td td;
	int i;

	td_opts_init(&o);
	o.design.pin_pages = on;
	o.program = small_program;
	td_create(&td, &o);
	td_populate(&td, 0x800000, 2, true, 1);
	td_finalize(&td);
	/* guest_memfd allocates on pre-fault; read the counts around it. */
	assert_int_equal(tdxsim_fallocate(td.gmem, FALLOC_FL_KEEP_SIZE,
					  0x400000, 4 * 4096), 0);
	for (i = 0; i < 4; i++)
		before[i] = page_ref_count(td_gmem_page(&td, 0x400000 + i * 4096));
	td_prefault(&td, 0, 0x400000, 4 * 4096);
	for (i = 0; i < 4; i++)
		mapped[i] = page_ref_count(td_gmem_page(&td, 0x400000 + i * 4096));
	td_set_private(&td, 0x400000, 4 * 4096, false);
	for (i = 0; i < 4; i++) {
		after[i] = page_ref_count(td_gmem_page(&td, 0x400000 + i * 4096));
		assert_int_equal(mapped[i], before[i] + (on ? 1 : 0));
		assert_int_equal(after[i], before[i]);
	}
	td_check(&td);
	run_ok(&td);
	td_destroy(&td);
}

static void test_pin_pages_on(void **state)
{
	pin_pages(true);
}

/*
 * A 2M leaf holds one reference per 4K page in the pin_pages design (512
 * on the folio, so a split leaf's 4K leaves can each drop their own), and
 * its removal drops all of them.
 */
static void test_pin_pages_on_2m(void **state)
{
	struct td_opts o;
	struct td td;
	int before, mapped, after_all;

	td_opts_init(&o);
	td_opts_set_kernel(&o, "next+hugepage-rfc");
	o.design.pin_pages = 1;
	o.program = small_program;
	td_create(&td, &o);
	td_populate(&td, 0x800000, 2, true, 1);
	td_finalize(&td);
	assert_int_equal(tdxsim_fallocate(td.gmem, FALLOC_FL_KEEP_SIZE,
					  0x400000, 2 * MB), 0);
	before = page_ref_count(td_gmem_page(&td, 0x400000));
	td_prefault(&td, 0, 0x400000, 2 * MB);
	assert_int_equal(td_seamcalls(&td, TDH_MEM_PAGE_AUG), 1);
	mapped = page_ref_count(td_gmem_page(&td, 0x400000));
	assert_int_equal(mapped, before + 512);
	/* Zap 2M of private mappings through a whole-2M conversion. */
	td_set_private(&td, 0x400000, 2 * MB, false);
	after_all = page_ref_count(td_gmem_page(&td, 0x400000));
	assert_int_equal(after_all, before);
	/* Mapped again, the teardown's zap drops the 512 references. */
	td_set_private(&td, 0x400000, 2 * MB, true);
	td_prefault(&td, 0, 0x400000, 2 * MB);
	assert_int_equal(page_ref_count(td_gmem_page(&td, 0x400000)),
			 before + 512);
	td_check(&td);
	run_ok(&td);
	td_destroy(&td);
}

static void test_pin_pages_off(void **state)
{
	pin_pages(false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vm_errors),
		cmocka_unit_test(test_inject_fault_errors),
		cmocka_unit_test(test_mem_region_errors_decoupled),
		cmocka_unit_test(test_mem_region_errors_gmem),
		cmocka_unit_test(test_mem_region_errors_map_pfn),
		cmocka_unit_test(test_prefault_errors),
		cmocka_unit_test(test_busy_retries_decoupled),
		cmocka_unit_test(test_busy_retries_map_pfn),
		cmocka_unit_test(test_premapped_zap_decoupled),
		cmocka_unit_test(test_premapped_zap_gmem),
		cmocka_unit_test(test_premapped_zap_map_pfn),
		cmocka_unit_test(test_aug_failure_bugs_vm),
		cmocka_unit_test(test_pin_pages_on),
		cmocka_unit_test(test_pin_pages_on_2m),
		cmocka_unit_test(test_pin_pages_off),
		/*
		 * Last: the page the failed zap leaves mapped is freed by
		 * guest_memfd anyway (no pin, seed 003), so its reuse by a
		 * later TD would meet the module's PAMT check.
		 */
		cmocka_unit_test(test_zap_failure_bugs_vm),
	};

	/* MMU_TEST_FILTER=pattern runs only the matching tests. */
	if (getenv("MMU_TEST_FILTER"))
		cmocka_set_test_filter(getenv("MMU_TEST_FILTER"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
