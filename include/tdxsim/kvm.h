/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The KVM userspace API that tdxsim implements: request codes, structures and
 * constants with the values and layouts of Linux's include/uapi/linux/kvm.h
 * and arch/x86/include/uapi/asm/kvm.h (x86-64), defined here so that a VMM
 * builds against tdxsim on any distribution's kernel headers.
 *
 * Do not include <linux/kvm.h> together with this header.
 */
#ifndef TDXSIM_KVM_H
#define TDXSIM_KVM_H

#include <stdint.h>

typedef uint8_t __tdxsim_u8;
typedef uint16_t __tdxsim_u16;
typedef uint32_t __tdxsim_u32;
typedef uint64_t __tdxsim_u64;

/* asm-generic ioctl number encoding (x86). */
#define TDXSIM_IOC_NRBITS	8
#define TDXSIM_IOC_TYPEBITS	8
#define TDXSIM_IOC_SIZEBITS	14
#define TDXSIM_IOC_NRSHIFT	0
#define TDXSIM_IOC_TYPESHIFT	(TDXSIM_IOC_NRSHIFT + TDXSIM_IOC_NRBITS)
#define TDXSIM_IOC_SIZESHIFT	(TDXSIM_IOC_TYPESHIFT + TDXSIM_IOC_TYPEBITS)
#define TDXSIM_IOC_DIRSHIFT	(TDXSIM_IOC_SIZESHIFT + TDXSIM_IOC_SIZEBITS)
#define TDXSIM_IOC_NONE		0U
#define TDXSIM_IOC_WRITE	1U
#define TDXSIM_IOC_READ		2U

#define TDXSIM_IOC(dir, type, nr, size)					\
	(((unsigned long)(dir) << TDXSIM_IOC_DIRSHIFT) |		\
	 ((unsigned long)(type) << TDXSIM_IOC_TYPESHIFT) |		\
	 ((unsigned long)(nr) << TDXSIM_IOC_NRSHIFT) |			\
	 ((unsigned long)(size) << TDXSIM_IOC_SIZESHIFT))
#define TDXSIM_IO(type, nr)	TDXSIM_IOC(TDXSIM_IOC_NONE, type, nr, 0)
#define TDXSIM_IOR(type, nr, T)	TDXSIM_IOC(TDXSIM_IOC_READ, type, nr, sizeof(T))
#define TDXSIM_IOW(type, nr, T) \
	TDXSIM_IOC(TDXSIM_IOC_WRITE, type, nr, sizeof(T))
#define TDXSIM_IOWR(type, nr, T) \
	TDXSIM_IOC(TDXSIM_IOC_READ | TDXSIM_IOC_WRITE, type, nr, sizeof(T))
/* Decoding: the request's direction, type, number and argument size. */
#define TDXSIM_IOC_DIR(r)	(((r) >> TDXSIM_IOC_DIRSHIFT) & 3U)
#define TDXSIM_IOC_TYPE(r)	(((r) >> TDXSIM_IOC_TYPESHIFT) & 0xffU)
#define TDXSIM_IOC_NR(r)	(((r) >> TDXSIM_IOC_NRSHIFT) & 0xffU)
#define TDXSIM_IOC_SIZE(r)	(((r) >> TDXSIM_IOC_SIZESHIFT) & 0x3fffU)

/*
 * The usual names: the C library's when it has them (same values on x86,
 * checked below), so that including <sys/ioctl.h> later is harmless.
 */
#if defined(__has_include)
#if __has_include(<sys/ioctl.h>)
#include <sys/ioctl.h>
#endif
#endif
#ifndef _IOC
#define _IOC(dir, type, nr, size)	TDXSIM_IOC(dir, type, nr, size)
#endif
#ifndef _IO
#define _IO(type, nr)		TDXSIM_IO(type, nr)
#endif
#ifndef _IOR
#define _IOR(type, nr, T)	TDXSIM_IOR(type, nr, T)
#endif
#ifndef _IOW
#define _IOW(type, nr, T)	TDXSIM_IOW(type, nr, T)
#endif
#ifndef _IOWR
#define _IOWR(type, nr, T)	TDXSIM_IOWR(type, nr, T)
#endif

#define KVMIO			0xAE
#define KVM_API_VERSION		12

/* ---- x86 CPUID (arch/x86/include/uapi/asm/kvm.h) ---- */
#define KVM_CPUID_FLAG_SIGNIFCANT_INDEX	(1 << 0)
#define KVM_MAX_CPUID_ENTRIES		256

struct kvm_cpuid_entry2 {
	__tdxsim_u32 function;
	__tdxsim_u32 index;
	__tdxsim_u32 flags;
	__tdxsim_u32 eax;
	__tdxsim_u32 ebx;
	__tdxsim_u32 ecx;
	__tdxsim_u32 edx;
	__tdxsim_u32 padding[3];
};

struct kvm_cpuid2 {
	__tdxsim_u32 nent;
	__tdxsim_u32 padding;
	struct kvm_cpuid_entry2 entries[];
};

/* ---- memory slots ---- */
struct kvm_userspace_memory_region {
	__tdxsim_u32 slot;
	__tdxsim_u32 flags;
	__tdxsim_u64 guest_phys_addr;
	__tdxsim_u64 memory_size;	/* bytes */
	__tdxsim_u64 userspace_addr;	/* start of the userspace allocated memory */
};

struct kvm_userspace_memory_region2 {
	__tdxsim_u32 slot;
	__tdxsim_u32 flags;
	__tdxsim_u64 guest_phys_addr;
	__tdxsim_u64 memory_size;
	__tdxsim_u64 userspace_addr;
	__tdxsim_u64 guest_memfd_offset;
	__tdxsim_u32 guest_memfd;
	__tdxsim_u32 pad1;
	__tdxsim_u64 pad2[14];
};

#define KVM_MEM_LOG_DIRTY_PAGES	(1UL << 0)
#define KVM_MEM_READONLY	(1UL << 1)
#define KVM_MEM_GUEST_MEMFD	(1UL << 2)

/* ---- memory attributes, guest_memfd, pre-fault ---- */
struct kvm_memory_attributes {
	__tdxsim_u64 address;
	__tdxsim_u64 size;
	__tdxsim_u64 attributes;
	__tdxsim_u64 flags;
};

#define KVM_MEMORY_ATTRIBUTE_PRIVATE	(1ULL << 3)

/*
 * KVM_SET_MEMORY_ATTRIBUTES2, a guest_memfd ioctl (guest_memfd in-place
 * conversion series v8, Ackerley Tng, 2026-06-18; not merged): convert
 * [offset, offset + size) of the file to @attributes (PRIVATE or 0). The
 * first four words are struct kvm_memory_attributes'. On a non-zero return
 * of the conversion @error_offset is the offset that failed (-EAGAIN: the
 * first page still referenced besides guest_memfd's own).
 */
struct kvm_memory_attributes2 {
	union {
		__tdxsim_u64 address;
		__tdxsim_u64 offset;
	};
	__tdxsim_u64 size;
	__tdxsim_u64 attributes;
	__tdxsim_u64 flags;		/* must be zero */
	__tdxsim_u64 error_offset;	/* out */
	__tdxsim_u64 reserved[11];	/* must be zero */
};

struct kvm_create_guest_memfd {
	__tdxsim_u64 size;
	__tdxsim_u64 flags;
	__tdxsim_u64 reserved[6];
};

#define GUEST_MEMFD_FLAG_MMAP		(1ULL << 0)
#define GUEST_MEMFD_FLAG_INIT_SHARED	(1ULL << 1)

struct kvm_pre_fault_memory {
	__tdxsim_u64 gpa;
	__tdxsim_u64 size;
	__tdxsim_u64 flags;
	__tdxsim_u64 padding[5];
};

/*
 * KVM_SIGNAL_MSI: an MSI as a device would write it. For a TD the local
 * APIC is the CPU's (posted interrupts): the destination is the x2APIC ID
 * (address_lo bits 19:12, address_hi bits 31:8), the vector data bits 7:0.
 */
struct kvm_msi {
	__tdxsim_u32 address_lo;
	__tdxsim_u32 address_hi;
	__tdxsim_u32 data;
	__tdxsim_u32 flags;
	__tdxsim_u32 devid;
	__tdxsim_u8 pad[12];
};

#define KVM_MSI_VALID_DEVID	(1U << 0)

/* ---- KVM_RUN ---- */
#define KVM_EXIT_UNKNOWN		0
#define KVM_EXIT_EXCEPTION		1
#define KVM_EXIT_IO			2
#define KVM_EXIT_HYPERCALL		3
#define KVM_EXIT_DEBUG			4
#define KVM_EXIT_HLT			5
#define KVM_EXIT_MMIO			6
#define KVM_EXIT_IRQ_WINDOW_OPEN	7
#define KVM_EXIT_SHUTDOWN		8
#define KVM_EXIT_FAIL_ENTRY		9
#define KVM_EXIT_INTR			10
#define KVM_EXIT_INTERNAL_ERROR		17
#define KVM_EXIT_SYSTEM_EVENT		24
#define KVM_EXIT_MEMORY_FAULT		39
#define KVM_EXIT_TDX			40

/* kvm_run.internal.suberror */
#define KVM_INTERNAL_ERROR_EMULATION		1
#define KVM_INTERNAL_ERROR_SIMUL_EX		2
#define KVM_INTERNAL_ERROR_DELIVERY_EV		3
#define KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON 4

/* kvm_run.system_event.type */
#define KVM_SYSTEM_EVENT_SHUTDOWN	1
#define KVM_SYSTEM_EVENT_RESET		2
#define KVM_SYSTEM_EVENT_CRASH		3
#define KVM_SYSTEM_EVENT_WAKEUP		4
#define KVM_SYSTEM_EVENT_SUSPEND	5
#define KVM_SYSTEM_EVENT_SEV_TERM	6
#define KVM_SYSTEM_EVENT_TDX_FATAL	7

/* kvm_run.memory_fault.flags */
#define KVM_MEMORY_EXIT_FLAG_PRIVATE	(1ULL << 3)

/* kvm_run.io.direction */
#define KVM_EXIT_IO_IN	0
#define KVM_EXIT_IO_OUT	1

/* Hypercall numbers (include/uapi/linux/kvm_para.h). */
#define KVM_HC_MAP_GPA_RANGE		12
/* args[2] of a KVM_HC_MAP_GPA_RANGE exit. */
#define KVM_MAP_GPA_RANGE_PAGE_SZ_4K	0
#define KVM_MAP_GPA_RANGE_PAGE_SZ_2M	(1 << 0)
#define KVM_MAP_GPA_RANGE_PAGE_SZ_1G	(1 << 1)
#define KVM_MAP_GPA_RANGE_ENCRYPTED	(1 << 4)
#define KVM_MAP_GPA_RANGE_DECRYPTED	(0 << 4)
/* hypercall.flags of a KVM_EXIT_HYPERCALL. */
#define KVM_EXIT_HYPERCALL_LONG_MODE	(1ULL << 0)

struct kvm_run {
	/* in */
	__tdxsim_u8 request_interrupt_window;
	__tdxsim_u8 immediate_exit__unsafe;	/* KVM_RUN returns -EINTR at once */
	__tdxsim_u8 padding1[6];

	/* out */
	__tdxsim_u32 exit_reason;
	__tdxsim_u8 ready_for_interrupt_injection;
	__tdxsim_u8 if_flag;
	__tdxsim_u16 flags;

	/* in (pre_kvm_run), out (post_kvm_run) */
	__tdxsim_u64 cr8;
	__tdxsim_u64 apic_base;

	union {
		/* KVM_EXIT_UNKNOWN */
		struct {
			__tdxsim_u64 hardware_exit_reason;
		} hw;
		/* KVM_EXIT_FAIL_ENTRY */
		struct {
			__tdxsim_u64 hardware_entry_failure_reason;
			__tdxsim_u32 cpu;
		} fail_entry;
		/* KVM_EXIT_IO */
		struct {
			__tdxsim_u8 direction;
			__tdxsim_u8 size;	/* bytes */
			__tdxsim_u16 port;
			__tdxsim_u32 count;
			__tdxsim_u64 data_offset; /* relative to kvm_run start */
		} io;
		/* KVM_EXIT_MMIO */
		struct {
			__tdxsim_u64 phys_addr;
			__tdxsim_u8 data[8];
			__tdxsim_u32 len;
			__tdxsim_u8 is_write;
		} mmio;
		/* KVM_EXIT_HYPERCALL */
		struct {
			__tdxsim_u64 nr;
			__tdxsim_u64 args[6];
			__tdxsim_u64 ret;
			union {
				__tdxsim_u32 longmode;
				__tdxsim_u64 flags;
			};
		} hypercall;
		/* KVM_EXIT_INTERNAL_ERROR */
		struct {
			__tdxsim_u32 suberror;
			__tdxsim_u32 ndata;
			__tdxsim_u64 data[16];
		} internal;
		/* KVM_EXIT_SYSTEM_EVENT */
		struct {
			__tdxsim_u32 type;
			__tdxsim_u32 ndata;
			union {
				__tdxsim_u64 flags;
				__tdxsim_u64 data[16];
			};
		} system_event;
		/* KVM_EXIT_MEMORY_FAULT */
		struct {
			__tdxsim_u64 flags;
			__tdxsim_u64 gpa;
			__tdxsim_u64 size;
		} memory_fault;
		/* KVM_EXIT_TDX */
		struct {
			__tdxsim_u64 flags;
			__tdxsim_u64 nr;
			union {
				struct {
					__tdxsim_u64 ret;
					__tdxsim_u64 data[5];
				} unknown;
				struct {
					__tdxsim_u64 ret;
					__tdxsim_u64 gpa;
					__tdxsim_u64 size;
				} get_quote;
				struct {
					__tdxsim_u64 ret;
					__tdxsim_u64 leaf;
					__tdxsim_u64 r11, r12, r13, r14;
				} get_tdvmcall_info;
				struct {
					__tdxsim_u64 ret;
					__tdxsim_u64 vector;
				} setup_event_notify;
			};
		} tdx;
		/* Fix the size of the union. */
		char padding[256];
	};

	__tdxsim_u64 kvm_valid_regs;
	__tdxsim_u64 kvm_dirty_regs;
	union {
		char padding[2048];
	} s;
};

/* ---- capabilities (KVM_CHECK_EXTENSION) ---- */
#define KVM_CAP_IRQCHIP			0
#define KVM_CAP_USER_MEMORY		3
#define KVM_CAP_NR_VCPUS		9	/* recommended max vcpus */
#define KVM_CAP_NR_MEMSLOTS		10
#define KVM_CAP_SYNC_MMU		16
#define KVM_CAP_TSC_CONTROL		60
#define KVM_CAP_GET_TSC_KHZ		61
#define KVM_CAP_MAX_VCPUS		66	/* returns max vcpus per vm */
#define KVM_CAP_READONLY_MEM		81
#define KVM_CAP_MAX_VCPU_ID		128
#define KVM_CAP_IMMEDIATE_EXIT		136
#define KVM_CAP_EXIT_HYPERCALL		201
#define KVM_CAP_VM_TSC_CONTROL		214
#define KVM_CAP_USER_MEMORY2		231
#define KVM_CAP_MEMORY_FAULT_INFO	232
#define KVM_CAP_MEMORY_ATTRIBUTES	233
#define KVM_CAP_GUEST_MEMFD		234
#define KVM_CAP_VM_TYPES		235
#define KVM_CAP_PRE_FAULT_MEMORY	236
#define KVM_CAP_GUEST_MEMFD_FLAGS	244
/*
 * In-place conversion v8: KVM_MEMORY_ATTRIBUTE_PRIVATE when guest_memfd
 * keeps the attributes (KVM_SET_MEMORY_ATTRIBUTES2 works), else 0. The v8
 * number; a merged series may move it.
 */
#define KVM_CAP_GUEST_MEMFD_MEMORY_ATTRIBUTES	250

/* ---- x86 VM types (KVM_CREATE_VM argument) ---- */
#define KVM_X86_DEFAULT_VM	0
#define KVM_X86_SW_PROTECTED_VM	1
#define KVM_X86_SEV_VM		2
#define KVM_X86_SEV_ES_VM	3
#define KVM_X86_SNP_VM		4
#define KVM_X86_TDX_VM		5

/* ---- TDX (arch/x86/include/uapi/asm/kvm.h) ---- */
enum kvm_tdx_cmd_id {
	KVM_TDX_CAPABILITIES = 0,
	KVM_TDX_INIT_VM,
	KVM_TDX_INIT_VCPU,
	KVM_TDX_INIT_MEM_REGION,
	KVM_TDX_FINALIZE_VM,
	KVM_TDX_GET_CPUID,

	KVM_TDX_CMD_NR_MAX,
};

struct kvm_tdx_cmd {
	/* enum kvm_tdx_cmd_id */
	__tdxsim_u32 id;
	/* flags for sub-command. If sub-command doesn't use this, set zero. */
	__tdxsim_u32 flags;
	/*
	 * data for each sub-command. An immediate or a pointer to the actual
	 * data in process virtual address. If sub-command doesn't use it,
	 * set zero.
	 */
	__tdxsim_u64 data;
	/*
	 * Auxiliary error code. The sub-command may return TDX SEAMCALL
	 * status code in addition to -Exxx.
	 */
	__tdxsim_u64 hw_error;
};

struct kvm_tdx_capabilities {
	__tdxsim_u64 supported_attrs;
	__tdxsim_u64 supported_xfam;

	__tdxsim_u64 kernel_tdvmcallinfo_1_r11;
	__tdxsim_u64 user_tdvmcallinfo_1_r11;
	__tdxsim_u64 kernel_tdvmcallinfo_1_r12;
	__tdxsim_u64 user_tdvmcallinfo_1_r12;

	__tdxsim_u64 reserved[250];

	/* Configurable CPUID bits for userspace */
	struct kvm_cpuid2 cpuid;
};

struct kvm_tdx_init_vm {
	__tdxsim_u64 attributes;
	__tdxsim_u64 xfam;
	__tdxsim_u64 mrconfigid[6];	/* sha384 digest */
	__tdxsim_u64 mrowner[6];	/* sha384 digest */
	__tdxsim_u64 mrownerconfig[6];	/* sha384 digest */

	/* The total space for TD_PARAMS before the CPUIDs is 256 bytes */
	__tdxsim_u64 reserved[12];

	/*
	 * Call KVM_TDX_INIT_VM before vcpu creation, thus before
	 * KVM_SET_CPUID2. It takes the CPUID entries the TD will see.
	 */
	struct kvm_cpuid2 cpuid;
};

#define KVM_TDX_MEASURE_MEMORY_REGION	(1ULL << 0)

struct kvm_tdx_init_mem_region {
	__tdxsim_u64 source_addr;
	__tdxsim_u64 gpa;
	__tdxsim_u64 nr_pages;
};

/* ---- request codes ---- */
/* on the system fd (/dev/kvm) */
#define KVM_GET_API_VERSION	_IO(KVMIO, 0x00)
#define KVM_CREATE_VM		_IO(KVMIO, 0x01)	/* returns a VM fd */
#define KVM_CHECK_EXTENSION	_IO(KVMIO, 0x03)	/* also on a VM fd */
#define KVM_GET_VCPU_MMAP_SIZE	_IO(KVMIO, 0x04)	/* in bytes */

/* on a VM fd */
#define KVM_CREATE_VCPU		_IO(KVMIO, 0x41)
#define KVM_SET_USER_MEMORY_REGION \
	_IOW(KVMIO, 0x46, struct kvm_userspace_memory_region)
#define KVM_SET_USER_MEMORY_REGION2 \
	_IOW(KVMIO, 0x49, struct kvm_userspace_memory_region2)
#define KVM_SET_MEMORY_ATTRIBUTES \
	_IOW(KVMIO, 0xd2, struct kvm_memory_attributes)
#define KVM_CREATE_GUEST_MEMFD \
	_IOWR(KVMIO, 0xd4, struct kvm_create_guest_memfd)
/* on a guest_memfd fd (in-place conversion v8): ENOTTY unless enabled */
#define KVM_SET_MEMORY_ATTRIBUTES2 \
	_IOWR(KVMIO, 0xd2, struct kvm_memory_attributes2)
#define KVM_SIGNAL_MSI		_IOW(KVMIO, 0xa5, struct kvm_msi)
/*
 * The TSC frequency in kHz of vCPUs created later (the argument; 0: the
 * host's); before KVM_TDX_INIT_VM it is the TD's (TD_PARAMS). GET returns it.
 */
#define KVM_SET_TSC_KHZ		_IO(KVMIO, 0xa2)
#define KVM_GET_TSC_KHZ		_IO(KVMIO, 0xa3)
/* on a VM fd and on a vCPU fd (struct kvm_tdx_cmd for TDX) */
#define KVM_MEMORY_ENCRYPT_OP	_IOWR(KVMIO, 0xba, unsigned long)

/* on a vCPU fd */
#define KVM_RUN			_IO(KVMIO, 0x80)
#define KVM_PRE_FAULT_MEMORY \
	_IOWR(KVMIO, 0xd5, struct kvm_pre_fault_memory)

/* ---- the rest of what a VMM issues around a TD's launch (QEMU's list) ---- */
#define KVM_CAP_SET_TSS_ADDR		4
#define KVM_CAP_EXT_CPUID		7
#define KVM_CAP_COALESCED_MMIO		15
#define KVM_CAP_IRQ_ROUTING		25
#define KVM_CAP_MCE			31
#define KVM_CAP_IRQFD			32
#define KVM_CAP_IOEVENTFD		36
#define KVM_CAP_SET_IDENTITY_MAP_ADDR	37
#define KVM_CAP_SPLIT_IRQCHIP		121
#define KVM_CAP_GET_MSR_FEATURES	153
#define KVM_CAP_X86_USER_SPACE_MSR	188
#define KVM_CAP_BINARY_STATS_FD		203

/* KVM_GET_STATS_FD's file: header, id, descriptors, data. */
#define KVM_STATS_NAME_SIZE		48
#define KVM_STATS_TYPE_CUMULATIVE	(0x0 << 0)
#define KVM_STATS_TYPE_INSTANT		(0x1 << 0)
#define KVM_STATS_TYPE_PEAK		(0x2 << 0)
#define KVM_STATS_UNIT_NONE		(0x0 << 4)
#define KVM_STATS_BASE_POW10		(0x0 << 8)

struct kvm_stats_header {
	__tdxsim_u32 flags;
	__tdxsim_u32 name_size;
	__tdxsim_u32 num_desc;
	__tdxsim_u32 id_offset;
	__tdxsim_u32 desc_offset;
	__tdxsim_u32 data_offset;
};

struct kvm_stats_desc {
	__tdxsim_u32 flags;
	__tdxsim_u16 exponent;	/* __s16 */
	__tdxsim_u16 size;
	__tdxsim_u32 offset;
	__tdxsim_u32 bucket_size;
	char name[];
};
#define KVM_CAP_X86_APIC_BUS_CYCLES_NS	237

struct kvm_msr_list {
	__tdxsim_u32 nmsrs;		/* number of msrs in entries */
	__tdxsim_u32 indices[];
};

struct kvm_enable_cap {
	__tdxsim_u32 cap;
	__tdxsim_u32 flags;
	__tdxsim_u64 args[4];
	__tdxsim_u8 pad[64];
};

/* KVM_CAP_X86_USER_SPACE_MSR's args[0] */
#define KVM_MSR_EXIT_REASON_INVAL	(1 << 0)
#define KVM_MSR_EXIT_REASON_UNKNOWN	(1 << 1)
#define KVM_MSR_EXIT_REASON_FILTER	(1 << 2)
#define KVM_MSR_EXIT_REASON_VALID_MASK	0x7

struct kvm_irq_routing_entry {
	__tdxsim_u32 gsi;
	__tdxsim_u32 type;
	__tdxsim_u32 flags;
	__tdxsim_u32 pad;
	union {
		struct {
			__tdxsim_u32 irqchip, pin;
		} irqchip;
		struct {
			__tdxsim_u32 address_lo, address_hi, data;
			__tdxsim_u32 devid;
		} msi;
		__tdxsim_u32 pad[8];
	} u;
};
#define KVM_IRQ_ROUTING_IRQCHIP		1
#define KVM_IRQ_ROUTING_MSI		2

struct kvm_irq_routing {
	__tdxsim_u32 nr;
	__tdxsim_u32 flags;
	struct kvm_irq_routing_entry entries[];
};

struct kvm_irqfd {
	__tdxsim_u32 fd;
	__tdxsim_u32 gsi;
	__tdxsim_u32 flags;
	__tdxsim_u32 resamplefd;
	__tdxsim_u8 pad[16];
};
#define KVM_IRQFD_FLAG_DEASSIGN		(1 << 0)
#define KVM_IRQFD_FLAG_RESAMPLE		(1 << 1)

struct kvm_ioeventfd {
	__tdxsim_u64 datamatch;
	__tdxsim_u64 addr;		/* legal pio/mmio address */
	__tdxsim_u32 len;		/* 0, 1, 2, 4, or 8 bytes */
	__tdxsim_u32 fd;
	__tdxsim_u32 flags;
	__tdxsim_u8 pad[36];
};
#define KVM_IOEVENTFD_FLAG_DATAMATCH	(1 << 0)
#define KVM_IOEVENTFD_FLAG_PIO		(1 << 1)
#define KVM_IOEVENTFD_FLAG_DEASSIGN	(1 << 2)
#define KVM_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY (1 << 3)

struct kvm_coalesced_mmio_zone {
	__tdxsim_u64 addr;
	__tdxsim_u32 size;
	__tdxsim_u32 pio;
};

struct kvm_signal_mask {
	__tdxsim_u32 len;
	__tdxsim_u8 sigset[];
};

/* on the system fd */
#define KVM_GET_MSR_INDEX_LIST	_IOWR(KVMIO, 0x02, struct kvm_msr_list)
#define KVM_GET_SUPPORTED_CPUID	_IOWR(KVMIO, 0x05, struct kvm_cpuid2)
#define KVM_GET_MSR_FEATURE_INDEX_LIST _IOWR(KVMIO, 0x0a, struct kvm_msr_list)
/* on a VM fd */
#define KVM_SET_NR_MMU_PAGES	_IO(KVMIO, 0x44)
#define KVM_SET_TSS_ADDR	_IO(KVMIO, 0x47)
#define KVM_SET_IDENTITY_MAP_ADDR _IOW(KVMIO, 0x48, __tdxsim_u64)
#define KVM_REGISTER_COALESCED_MMIO \
	_IOW(KVMIO, 0x67, struct kvm_coalesced_mmio_zone)
#define KVM_UNREGISTER_COALESCED_MMIO \
	_IOW(KVMIO, 0x68, struct kvm_coalesced_mmio_zone)
#define KVM_SET_GSI_ROUTING	_IOW(KVMIO, 0x6a, struct kvm_irq_routing)
#define KVM_IRQFD		_IOW(KVMIO, 0x76, struct kvm_irqfd)
#define KVM_IOEVENTFD		_IOW(KVMIO, 0x79, struct kvm_ioeventfd)
#define KVM_ENABLE_CAP		_IOW(KVMIO, 0xa3, struct kvm_enable_cap)
/* on a vCPU fd */
#define KVM_SET_SIGNAL_MASK	_IOW(KVMIO, 0x8b, struct kvm_signal_mask)
#define KVM_SET_CPUID2		_IOW(KVMIO, 0x90, struct kvm_cpuid2)
#define KVM_GET_CPUID2		_IOWR(KVMIO, 0x91, struct kvm_cpuid2)
#define KVM_X86_SETUP_MCE	_IOW(KVMIO, 0x9c, __tdxsim_u64)
/* on a VM fd or a vCPU fd: a new descriptor of its binary statistics */
#define KVM_GET_STATS_FD	_IO(KVMIO, 0xce)

_Static_assert(sizeof(struct kvm_enable_cap) == 104, "kvm_enable_cap");
_Static_assert(sizeof(struct kvm_irq_routing_entry) == 48,
	       "kvm_irq_routing_entry");
_Static_assert(sizeof(struct kvm_irqfd) == 32, "kvm_irqfd");
_Static_assert(sizeof(struct kvm_ioeventfd) == 64, "kvm_ioeventfd");
_Static_assert(KVM_ENABLE_CAP == 0x4068aea3UL, "ioctl encoding");

/* Layouts are Linux's: check the sizes that the ABI depends on. */
_Static_assert(sizeof(struct kvm_userspace_memory_region) == 32,
	       "kvm_userspace_memory_region");
_Static_assert(sizeof(struct kvm_userspace_memory_region2) == 160,
	       "kvm_userspace_memory_region2");
_Static_assert(sizeof(struct kvm_memory_attributes) == 32,
	       "kvm_memory_attributes");
_Static_assert(sizeof(struct kvm_memory_attributes2) == 128,
	       "kvm_memory_attributes2");
_Static_assert(__builtin_offsetof(struct kvm_memory_attributes2, flags) ==
	       __builtin_offsetof(struct kvm_memory_attributes, flags),
	       "kvm_memory_attributes2 layout");
_Static_assert(KVM_SET_MEMORY_ATTRIBUTES2 == 0xc080aed2UL, "ioctl encoding");
_Static_assert(sizeof(struct kvm_msi) == 32, "kvm_msi");
_Static_assert(sizeof(struct kvm_create_guest_memfd) == 64,
	       "kvm_create_guest_memfd");
_Static_assert(sizeof(struct kvm_pre_fault_memory) == 64,
	       "kvm_pre_fault_memory");
_Static_assert(sizeof(struct kvm_cpuid_entry2) == 40, "kvm_cpuid_entry2");
_Static_assert(sizeof(struct kvm_cpuid2) == 8, "kvm_cpuid2");
_Static_assert(sizeof(struct kvm_tdx_cmd) == 24, "kvm_tdx_cmd");
_Static_assert(sizeof(struct kvm_tdx_init_vm) == 256 + 8, "kvm_tdx_init_vm");
_Static_assert(sizeof(struct kvm_tdx_capabilities) == 2048 + 8,
	       "kvm_tdx_capabilities");
_Static_assert(sizeof(struct kvm_tdx_init_mem_region) == 24,
	       "kvm_tdx_init_mem_region");
_Static_assert(sizeof(struct kvm_run) == 2352, "kvm_run");
_Static_assert(KVM_CREATE_GUEST_MEMFD ==
	       TDXSIM_IOWR(KVMIO, 0xd4, struct kvm_create_guest_memfd),
	       "ioctl encoding");
_Static_assert(KVM_SET_USER_MEMORY_REGION2 == 0x40a0ae49UL,
	       "ioctl encoding");
_Static_assert(__builtin_offsetof(struct kvm_run, hypercall) == 32,
	       "kvm_run exit union");
_Static_assert(__builtin_offsetof(struct kvm_run, kvm_valid_regs) == 288,
	       "kvm_run sync regs");

#endif /* TDXSIM_KVM_H */
