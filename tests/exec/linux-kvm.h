/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The test VMM's own copy of the KVM uAPI it uses, as a VMM carries one
 * (QEMU's linux-headers/): the values and layouts of Linux's
 * include/uapi/linux/kvm.h and arch/x86/include/uapi/asm/kvm.h (x86-64),
 * written out here. Nothing of tdxsim: the program that includes it must
 * work against the real /dev/kvm of a TDX host as well.
 */
#ifndef TESTS_EXEC_LINUX_KVM_H
#define TESTS_EXEC_LINUX_KVM_H

#include <stdint.h>
#include <sys/ioctl.h>

#define KVMIO 0xAE
#define KVM_API_VERSION 12

/* ---- system ioctls ---- */
#define KVM_GET_API_VERSION		_IO(KVMIO, 0x00)
#define KVM_CREATE_VM			_IO(KVMIO, 0x01)
#define KVM_GET_MSR_INDEX_LIST		_IOWR(KVMIO, 0x02, struct kvm_msr_list)
#define KVM_CHECK_EXTENSION		_IO(KVMIO, 0x03)
#define KVM_GET_VCPU_MMAP_SIZE		_IO(KVMIO, 0x04)
#define KVM_GET_SUPPORTED_CPUID		_IOWR(KVMIO, 0x05, struct kvm_cpuid2)
#define KVM_GET_MSR_FEATURE_INDEX_LIST	_IOWR(KVMIO, 0x0a, struct kvm_msr_list)

/* ---- VM ioctls ---- */
#define KVM_CREATE_VCPU			_IO(KVMIO, 0x41)
#define KVM_SET_NR_MMU_PAGES		_IO(KVMIO, 0x44)
#define KVM_SET_USER_MEMORY_REGION2	_IOW(KVMIO, 0x49, struct kvm_userspace_memory_region2)
#define KVM_SET_TSS_ADDR		_IO(KVMIO, 0x47)
#define KVM_SET_IDENTITY_MAP_ADDR	_IOW(KVMIO, 0x48, uint64_t)
#define KVM_SET_GSI_ROUTING		_IOW(KVMIO, 0x6a, struct kvm_irq_routing)
#define KVM_REGISTER_COALESCED_MMIO	_IOW(KVMIO, 0x67, struct kvm_coalesced_mmio_zone)
#define KVM_IRQFD			_IOW(KVMIO, 0x76, struct kvm_irqfd)
#define KVM_IOEVENTFD			_IOW(KVMIO, 0x79, struct kvm_ioeventfd)
#define KVM_SET_TSC_KHZ			_IO(KVMIO, 0xa2)
#define KVM_GET_TSC_KHZ			_IO(KVMIO, 0xa3)
#define KVM_ENABLE_CAP			_IOW(KVMIO, 0xa3, struct kvm_enable_cap)
#define KVM_MEMORY_ENCRYPT_OP		_IOWR(KVMIO, 0xba, unsigned long)
#define KVM_GET_STATS_FD		_IO(KVMIO, 0xce)
#define KVM_SET_MEMORY_ATTRIBUTES	_IOW(KVMIO, 0xd2, struct kvm_memory_attributes)
#define KVM_CREATE_GUEST_MEMFD		_IOWR(KVMIO, 0xd4, struct kvm_create_guest_memfd)

/* ---- vCPU ioctls ---- */
#define KVM_RUN				_IO(KVMIO, 0x80)
#define KVM_SET_SIGNAL_MASK		_IOW(KVMIO, 0x8b, struct kvm_signal_mask)
#define KVM_SET_CPUID2			_IOW(KVMIO, 0x90, struct kvm_cpuid2)
#define KVM_X86_SETUP_MCE		_IOW(KVMIO, 0x9c, uint64_t)

/* ---- capabilities ---- */
#define KVM_CAP_IRQCHIP			0
#define KVM_CAP_USER_MEMORY		3
#define KVM_CAP_SET_TSS_ADDR		4
#define KVM_CAP_EXT_CPUID		7
#define KVM_CAP_NR_VCPUS		9
#define KVM_CAP_NR_MEMSLOTS		10
#define KVM_CAP_MP_STATE		14
#define KVM_CAP_COALESCED_MMIO		15
#define KVM_CAP_SYNC_MMU		16
#define KVM_CAP_IOMMU			18
#define KVM_CAP_SET_IDENTITY_MAP_ADDR	37
#define KVM_CAP_IRQ_ROUTING		25
#define KVM_CAP_IRQFD			32
#define KVM_CAP_IOEVENTFD		36
#define KVM_CAP_ADJUST_CLOCK		39
#define KVM_CAP_MCE			31
#define KVM_CAP_TSC_CONTROL		60
#define KVM_CAP_GET_TSC_KHZ		61
#define KVM_CAP_MAX_VCPUS		66
#define KVM_CAP_READONLY_MEM		81
#define KVM_CAP_SPLIT_IRQCHIP		121
#define KVM_CAP_MAX_VCPU_ID		128
#define KVM_CAP_IMMEDIATE_EXIT		136
#define KVM_CAP_GET_MSR_FEATURES	153
#define KVM_CAP_EXIT_HYPERCALL		201
#define KVM_CAP_X86_USER_SPACE_MSR	188
#define KVM_CAP_BINARY_STATS_FD		203
#define KVM_CAP_USER_MEMORY2		231
#define KVM_CAP_MEMORY_FAULT_INFO	232
#define KVM_CAP_MEMORY_ATTRIBUTES	233
#define KVM_CAP_GUEST_MEMFD		234
#define KVM_CAP_VM_TYPES		235
#define KVM_CAP_PRE_FAULT_MEMORY	236
#define KVM_CAP_X86_APIC_BUS_CYCLES_NS	237

#define KVM_X86_TDX_VM			5

/* ---- structures ---- */
struct kvm_msr_list {
	uint32_t nmsrs;
	uint32_t indices[];
};

struct kvm_cpuid_entry2 {
	uint32_t function, index, flags, eax, ebx, ecx, edx;
	uint32_t padding[3];
};

struct kvm_cpuid2 {
	uint32_t nent;
	uint32_t padding;
	struct kvm_cpuid_entry2 entries[];
};

struct kvm_enable_cap {
	uint32_t cap;
	uint32_t flags;
	uint64_t args[4];
	uint8_t pad[64];
};

struct kvm_userspace_memory_region2 {
	uint32_t slot, flags;
	uint64_t guest_phys_addr, memory_size, userspace_addr;
	uint64_t guest_memfd_offset;
	uint32_t guest_memfd, pad1;
	uint64_t pad2[14];
};
#define KVM_MEM_GUEST_MEMFD		(1u << 2)

struct kvm_memory_attributes {
	uint64_t address, size, attributes, flags;
};
#define KVM_MEMORY_ATTRIBUTE_PRIVATE	(1ull << 3)

struct kvm_create_guest_memfd {
	uint64_t size, flags, reserved[6];
};

struct kvm_irq_routing_irqchip {
	uint32_t irqchip, pin;
};

struct kvm_irq_routing_msi {
	uint32_t address_lo, address_hi, data, devid;
};

struct kvm_irq_routing_entry {
	uint32_t gsi, type, flags, pad;
	union {
		struct kvm_irq_routing_irqchip irqchip;
		struct kvm_irq_routing_msi msi;
		uint32_t pad[8];
	} u;
};
#define KVM_IRQ_ROUTING_IRQCHIP		1
#define KVM_IRQ_ROUTING_MSI		2

struct kvm_irq_routing {
	uint32_t nr, flags;
	struct kvm_irq_routing_entry entries[];
};

struct kvm_irqfd {
	uint32_t fd, gsi, flags, resamplefd;
	uint8_t pad[16];
};
#define KVM_IRQFD_FLAG_DEASSIGN		(1 << 0)

struct kvm_ioeventfd {
	uint64_t datamatch, addr;
	uint32_t len;
	int32_t fd;
	uint32_t flags;
	uint8_t pad[36];
};
#define KVM_IOEVENTFD_FLAG_DATAMATCH	(1 << 0)
#define KVM_IOEVENTFD_FLAG_PIO		(1 << 1)
#define KVM_IOEVENTFD_FLAG_DEASSIGN	(1 << 2)

struct kvm_coalesced_mmio_zone {
	uint64_t addr;
	uint32_t size;
	uint32_t pio;
};

struct kvm_stats_header {
	uint32_t flags, name_size, num_desc, id_offset, desc_offset, data_offset;
};

struct kvm_stats_desc {
	uint32_t flags;
	int16_t exponent;
	uint16_t size;
	uint32_t offset;
	uint32_t bucket_size;
	char name[];
};

struct kvm_signal_mask {
	uint32_t len;
	uint8_t sigset[];
};

/* ---- TDX ---- */
enum kvm_tdx_cmd_id {
	KVM_TDX_CAPABILITIES = 0,
	KVM_TDX_INIT_VM,
	KVM_TDX_INIT_VCPU,
	KVM_TDX_INIT_MEM_REGION,
	KVM_TDX_FINALIZE_VM,
	KVM_TDX_GET_CPUID,
};

struct kvm_tdx_cmd {
	uint32_t id, flags;
	uint64_t data, hw_error;
};

struct kvm_tdx_capabilities {
	uint64_t supported_attrs, supported_xfam;
	uint64_t kernel_tdvmcallinfo_1_r11, user_tdvmcallinfo_1_r11;
	uint64_t kernel_tdvmcallinfo_1_r12, user_tdvmcallinfo_1_r12;
	uint64_t reserved[250];
	struct kvm_cpuid2 cpuid;
};

struct kvm_tdx_init_vm {
	uint64_t attributes, xfam;
	uint64_t mrconfigid[6], mrowner[6], mrownerconfig[6];
	uint64_t reserved[12];
	struct kvm_cpuid2 cpuid;
};

struct kvm_tdx_init_mem_region {
	uint64_t source_addr, gpa, nr_pages;
};
#define KVM_TDX_MEASURE_MEMORY_REGION	(1ull << 0)

#define TDX_TD_ATTR_SEPT_VE_DISABLE	(1ull << 28)

/* ---- KVM_RUN ---- */
#define KVM_EXIT_IO			2
#define KVM_EXIT_IO_OUT			1
#define KVM_EXIT_HYPERCALL		3
#define KVM_EXIT_HLT			5
#define KVM_EXIT_MMIO			6
#define KVM_EXIT_SHUTDOWN		8
#define KVM_EXIT_INTERNAL_ERROR		17
#define KVM_EXIT_SYSTEM_EVENT		24
#define KVM_EXIT_MEMORY_FAULT		39
#define KVM_EXIT_TDX			40

#define KVM_SYSTEM_EVENT_SHUTDOWN	1
#define KVM_SYSTEM_EVENT_CRASH		3
#define KVM_SYSTEM_EVENT_TDX_FATAL	7
#define KVM_MEMORY_EXIT_FLAG_PRIVATE	(1ull << 3)
#define KVM_HC_MAP_GPA_RANGE		12
#define KVM_MAP_GPA_RANGE_ENCRYPTED	(1 << 4)
#define TDVMCALL_GET_QUOTE		0x10002
#define TDVMCALL_STATUS_SUCCESS		0x0000000000000000ULL
#define TDVMCALL_STATUS_INVALID_OPERAND	0x8000000000000000ULL

struct kvm_run {
	uint8_t request_interrupt_window, immediate_exit, padding1[6];
	uint32_t exit_reason;
	uint8_t ready_for_interrupt_injection, if_flag;
	uint16_t flags;
	uint64_t cr8, apic_base;
	union {
		struct {
			uint8_t direction, size;
			uint16_t port;
			uint32_t count;
			uint64_t data_offset;
		} io;
		struct {
			uint64_t phys_addr;
			uint8_t data[8];
			uint32_t len;
			uint8_t is_write;
		} mmio;
		struct {
			uint64_t nr, args[6], ret;
			uint64_t flags;
		} hypercall;
		struct {
			uint32_t type, ndata;
			uint64_t data[16];
		} system_event;
		struct {
			uint64_t flags, gpa, size;
		} memory_fault;
		struct {
			uint32_t suberror, ndata;
			uint64_t data[16];
		} internal;
		struct {
			uint64_t flags, nr;
			union {
				struct {
					uint64_t ret, data[5];
				} unknown;
				struct {
					uint64_t ret, gpa, size;
				} get_quote;
			};
		} tdx;
		char padding[256];
	};
	uint64_t kvm_valid_regs, kvm_dirty_regs;
	union {
		char padding[2048];
	} s;
};

_Static_assert(sizeof(struct kvm_run) == 2352, "kvm_run");
_Static_assert(sizeof(struct kvm_userspace_memory_region2) == 160, "region2");
_Static_assert(sizeof(struct kvm_tdx_init_vm) == 264, "tdx_init_vm");
_Static_assert(sizeof(struct kvm_tdx_capabilities) == 2056, "tdx_caps");
_Static_assert(sizeof(struct kvm_enable_cap) == 104, "enable_cap");
_Static_assert(sizeof(struct kvm_irqfd) == 32, "irqfd");
_Static_assert(sizeof(struct kvm_ioeventfd) == 64, "ioeventfd");
_Static_assert(sizeof(struct kvm_irq_routing_entry) == 48, "routing entry");
_Static_assert(KVM_SET_USER_MEMORY_REGION2 == 0x40a0ae49UL, "ioctl encoding");
_Static_assert(KVM_ENABLE_CAP == 0x4068aea3UL, "KVM_ENABLE_CAP");
_Static_assert(KVM_MEMORY_ENCRYPT_OP == 0xc008aebaUL, "MEMORY_ENCRYPT_OP");

#endif /* TESTS_EXEC_LINUX_KVM_H */
