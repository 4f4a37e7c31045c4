// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A small TD VMM: what a VMM such as QEMU does to launch a TD from TDVF
 * firmware, written against its own copy of the kernel's uAPI header
 * (linux-kvm.h) with plain system calls, nothing of tdxsim. `tdxsim exec`
 * runs it unmodified (tests/exec/test_exec.py).
 *
 *   tdvmm [--vcpus N] [--memory MiB] [--fork] [--inplace] OVMF.fd
 *
 * In QEMU's order: /dev/kvm (opened twice: the capabilities probe and the
 * accelerator), KVM_CREATE_VM(KVM_X86_TDX_VM), capability checks, CPUID and
 * MSR lists, KVM_ENABLE_CAP (split irqchip, APIC bus cycle, hypercall exit,
 * user-space MSR exits), identity-map and TSS addresses, KVM_SET_TSC_KHZ,
 * KVM_TDX_CAPABILITIES and KVM_TDX_INIT_VM, guest_memfd-backed memslots for
 * RAM and the firmware (private), GSI routing, irqfd, ioeventfd, coalesced
 * MMIO, one thread per vCPU (KVM_CREATE_VCPU, the kvm_run mapping, signal
 * mask, MCE, KVM_SET_CPUID2, KVM_TDX_GET_CPUID), then at machine-init-done
 * KVM_TDX_INIT_VCPU for each (RCX = the TD HOB), KVM_TDX_INIT_MEM_REGION
 * per TDVF section in metadata order (MEASURE for MR.EXTEND ones; the TD
 * HOB written into its section) and KVM_TDX_FINALIZE_VM; then every vCPU
 * thread runs KVM_RUN, converting memory on KVM_EXIT_MEMORY_FAULT and
 * MapGPA (KVM_EXIT_HYPERCALL) and answering GetQuote (KVM_EXIT_TDX: the
 * MRTD of the TDREPORT in the guest's shared buffer is printed at the end),
 * counting port and MMIO exits (the ioeventfds' signals are printed too),
 * until the TD powers off (KVM_EXIT_SYSTEM_EVENT SHUTDOWN). With --fork a child forked after the
 * launch closes every descriptor it inherited while the TD runs. With
 * --inplace (guest_memfd in-place conversion) the shared memory is the
 * guest_memfd's own mapping, loaded from and stored to directly; the first
 * page of each range converted to shared is read there (nonzero bytes
 * counted: what the TD had private must not show).
 *
 * Every answer is checked against what KVM gives a TD; the first wrong one
 * ends the program with exit status 1 and one line naming it.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux-kvm.h"
#include "tdvmm.h"

#define MAX_VCPUS	16
#define FW_TOP		0x100000000ULL

void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "tdvmm: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

/* ioctl that must succeed; returns its value. */
static int xioctl(int fd, unsigned long req, unsigned long arg, const char *what)
{
	int r = ioctl(fd, req, arg);

	if (r < 0)
		die("%s: %s", what, strerror(errno));
	return r;
}

/* ioctl that must fail with @err. */
static void expect_errno(int fd, unsigned long req, unsigned long arg, int err,
			 const char *what)
{
	errno = 0;
	if (ioctl(fd, req, arg) != -1 || errno != err)
		die("%s: wanted %s, got %s", what, strerror(err),
		    errno ? strerror(errno) : "success");
}

/* ---- the VMM ---- */

static int kvm_fd, kvm_fd2, vm_fd;
static uint64_t ram_size = 128ULL << 20;
static unsigned int nr_vcpus = 2;
static int run_size;
static struct kvm_cpuid2 *supported_cpuid;
/* CPUID configs in KVM_TDX_CAPABILITIES: then KVM_TDX_GET_CPUID is there. */
static uint32_t tdx_cpuid_configs;

struct vcpu {
	pthread_t thread;
	unsigned int index;
	int fd;
	struct kvm_run *run;
	uint64_t runs, faults, map_gpa, quotes;
	/* --inplace: first pages of ranges converted to shared, read back. */
	uint64_t scanned, nonzero;
};

/*
 * The memslots' shared view (the VMM's anonymous memory, or with --inplace
 * the guest_memfd's own mapping), by GPA.
 */
static struct {
	uint64_t gpa, size;
	uint8_t *hva;
	int gmem;
} slots[2];

/*
 * --inplace: guest_memfd in-place conversion (v8), as QEMU and
 * cloud-hypervisor use it: the guest_memfd is created mmap()able and its
 * mapping is the slot's shared memory, read and written directly;
 * conversions are KVM_SET_MEMORY_ATTRIBUTES2 on the guest_memfd.
 */
struct kvm_memory_attributes2 {
	uint64_t offset, size, attributes, flags, error_offset;
	uint64_t reserved[11];
};
#define KVM_SET_MEMORY_ATTRIBUTES2 \
	_IOWR(KVMIO, 0xd2, struct kvm_memory_attributes2)
#define KVM_CAP_GUEST_MEMFD_MEMORY_ATTRIBUTES	250
#define GUEST_MEMFD_FLAG_MMAP			(1ull << 0)
static bool inplace;

/* The MRTD of the last TDREPORT a GetQuote brought. */
static uint8_t quote_mrtd[48];
static bool have_quote;

static struct vcpu vcpus[MAX_VCPUS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static unsigned int nr_created;
static bool go;

/* --inplace: convert on the guest_memfd; EAGAIN (a transient reference) again. */
static void gmem_set_private(uint64_t gpa, uint64_t size, bool private)
{
	struct kvm_memory_attributes2 a = {
		.size = size,
		.attributes = private ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0,
	};
	unsigned int i;

	for (i = 0; i < 2; i++)
		if (slots[i].size && gpa >= slots[i].gpa &&
		    gpa - slots[i].gpa < slots[i].size)
			break;
	if (i == 2)
		die("a conversion of GPA 0x%llx outside the memslots",
		    (unsigned long long)gpa);
	a.offset = gpa - slots[i].gpa;
	while (ioctl(slots[i].gmem, KVM_SET_MEMORY_ATTRIBUTES2, &a) < 0)
		if (errno != EAGAIN)
			die("KVM_SET_MEMORY_ATTRIBUTES2: %s", strerror(errno));
}

/* --inplace: a range converted to shared, its first page read directly. */
static uint8_t *gpa_to_hva(uint64_t gpa, uint64_t size);
static void scan_shared(struct vcpu *vc, uint64_t gpa)
{
	const uint8_t *p = gpa_to_hva(gpa, PAGE_SIZE);
	unsigned int i;

	for (i = 0; inplace && p && i < PAGE_SIZE; i++)
		vc->nonzero += p[i] != 0;
	vc->scanned += inplace && p;
}

static void set_private(uint64_t gpa, uint64_t size, bool private)
{
	struct kvm_memory_attributes a = {
		.address = gpa, .size = size,
		.attributes = private ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0,
	};

	if (inplace) {
		gmem_set_private(gpa, size, private);
		return;
	}
	xioctl(vm_fd, KVM_SET_MEMORY_ATTRIBUTES, (unsigned long)&a,
	       "KVM_SET_MEMORY_ATTRIBUTES");
}

static void add_slot(uint32_t slot, uint64_t gpa, uint64_t size)
{
	struct kvm_create_guest_memfd g = { .size = size };
	struct kvm_userspace_memory_region2 r = {
		.slot = slot, .flags = KVM_MEM_GUEST_MEMFD,
		.guest_phys_addr = gpa, .memory_size = size,
	};
	void *shared;
	int gmem;

	if (inplace)
		g.flags = GUEST_MEMFD_FLAG_MMAP;
	gmem = xioctl(vm_fd, KVM_CREATE_GUEST_MEMFD, (unsigned long)&g,
		      "KVM_CREATE_GUEST_MEMFD");
	slots[slot].gmem = gmem;
	/* The shared view: ordinary anonymous memory, as QEMU's. */
	if (inplace)
		shared = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
			      gmem, 0);
	else
		shared = mmap(NULL, size, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
			      0);
	if (shared == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	r.userspace_addr = (uint64_t)(uintptr_t)shared;
	slots[slot].gpa = gpa;
	slots[slot].size = size;
	slots[slot].hva = shared;
	r.guest_memfd = gmem;
	xioctl(vm_fd, KVM_SET_USER_MEMORY_REGION2, (unsigned long)&r,
	       "KVM_SET_USER_MEMORY_REGION2");
	set_private(gpa, size, true);
}

static void probe_system(void)
{
	struct kvm_msr_list probe = { 0 }, *list;
	int r, n;

	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0)
		die("/dev/kvm: %s", strerror(errno));
	if (xioctl(kvm_fd, KVM_GET_API_VERSION, 0, "KVM_GET_API_VERSION") !=
	    KVM_API_VERSION)
		die("KVM_GET_API_VERSION is not 12");
	r = xioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_VM_TYPES,
		   "KVM_CHECK_EXTENSION(VM_TYPES)");
	if (!(r & (1 << KVM_X86_TDX_VM)))
		die("no KVM_X86_TDX_VM");
	static const int must[] = { KVM_CAP_USER_MEMORY, KVM_CAP_USER_MEMORY2,
		KVM_CAP_IMMEDIATE_EXIT, KVM_CAP_GUEST_MEMFD, KVM_CAP_IRQFD,
		KVM_CAP_IOEVENTFD, KVM_CAP_IRQ_ROUTING, KVM_CAP_SET_TSS_ADDR,
		KVM_CAP_SET_IDENTITY_MAP_ADDR, KVM_CAP_EXT_CPUID, KVM_CAP_MCE,
		KVM_CAP_SPLIT_IRQCHIP, KVM_CAP_GET_MSR_FEATURES,
		KVM_CAP_COALESCED_MMIO, KVM_CAP_X86_USER_SPACE_MSR,
		KVM_CAP_EXIT_HYPERCALL, KVM_CAP_BINARY_STATS_FD,
		KVM_CAP_MEMORY_FAULT_INFO, KVM_CAP_X86_APIC_BUS_CYCLES_NS };
	for (unsigned int i = 0; i < sizeof(must) / sizeof(must[0]); i++)
		if (ioctl(kvm_fd, KVM_CHECK_EXTENSION, must[i]) <= 0)
			die("KVM_CHECK_EXTENSION(%d) is not reported", must[i]);

	/* The second open, as QEMU's accelerator does after its probe. */
	kvm_fd2 = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd2 < 0 || kvm_fd2 == kvm_fd)
		die("/dev/kvm twice: %d, %d", kvm_fd, kvm_fd2);
	run_size = xioctl(kvm_fd2, KVM_GET_VCPU_MMAP_SIZE, 0,
			  "KVM_GET_VCPU_MMAP_SIZE");
	if (run_size < (int)sizeof(struct kvm_run))
		die("KVM_GET_VCPU_MMAP_SIZE %d", run_size);

	/* KVM_GET_SUPPORTED_CPUID: grow until it fits, as QEMU does. */
	for (n = 1; ; n *= 2) {
		supported_cpuid = calloc(1, sizeof(*supported_cpuid) +
					 n * sizeof(struct kvm_cpuid_entry2));
		supported_cpuid->nent = n;
		if (ioctl(kvm_fd2, KVM_GET_SUPPORTED_CPUID,
			  (unsigned long)supported_cpuid) == 0)
			break;
		if (errno != E2BIG || n > 256)
			die("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
		free(supported_cpuid);
	}
	if (!supported_cpuid->nent || supported_cpuid->entries[0].function != 0)
		die("KVM_GET_SUPPORTED_CPUID: no leaf 0 first");

	/* MSR lists: E2BIG with the count, then the list. */
	for (r = 0; r < 2; r++) {
		unsigned long req = r ? KVM_GET_MSR_FEATURE_INDEX_LIST :
					KVM_GET_MSR_INDEX_LIST;

		probe.nmsrs = 0;
		expect_errno(kvm_fd2, req, (unsigned long)&probe, E2BIG,
			     "MSR index list with no room");
		if (!probe.nmsrs)
			die("MSR index list: no count");
		list = calloc(1, sizeof(*list) + probe.nmsrs * 4);
		list->nmsrs = probe.nmsrs;
		xioctl(kvm_fd2, req, (unsigned long)list, "MSR index list");
		free(list);
	}
}

static void create_vm(void)
{
	struct kvm_enable_cap cap = { 0 };
	struct kvm_tdx_capabilities *caps;
	struct kvm_tdx_init_vm *init;
	struct kvm_tdx_cmd cmd = { 0 };
	uint64_t ident = 0xfeffc000;
	size_t size;
	int r;

	vm_fd = xioctl(kvm_fd2, KVM_CREATE_VM, KVM_X86_TDX_VM, "KVM_CREATE_VM");
	if (ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) != 0)
		die("a TD reports KVM_CAP_READONLY_MEM");
	if (ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS) <= 0 ||
	    ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS) < (int)nr_vcpus)
		die("KVM_CHECK_EXTENSION on the VM");

	cap.cap = KVM_CAP_SPLIT_IRQCHIP;
	cap.args[0] = 24;
	xioctl(vm_fd, KVM_ENABLE_CAP, (unsigned long)&cap, "SPLIT_IRQCHIP");
	expect_errno(vm_fd, KVM_ENABLE_CAP, (unsigned long)&cap, EEXIST,
		     "SPLIT_IRQCHIP twice");
	cap = (struct kvm_enable_cap){ .cap = KVM_CAP_X86_APIC_BUS_CYCLES_NS,
				       .args = { 40 } };
	xioctl(vm_fd, KVM_ENABLE_CAP, (unsigned long)&cap, "APIC_BUS_CYCLES_NS");
	r = xioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_EXIT_HYPERCALL,
		   "CHECK_EXTENSION(EXIT_HYPERCALL)");
	if (!(r & (1 << KVM_HC_MAP_GPA_RANGE)))
		die("no MapGPA hypercall exit");
	cap = (struct kvm_enable_cap){ .cap = KVM_CAP_EXIT_HYPERCALL,
				       .args = { 1 << KVM_HC_MAP_GPA_RANGE } };
	xioctl(vm_fd, KVM_ENABLE_CAP, (unsigned long)&cap, "EXIT_HYPERCALL");
	cap = (struct kvm_enable_cap){ .cap = KVM_CAP_X86_USER_SPACE_MSR,
				       .args = { 0x3 } };
	xioctl(vm_fd, KVM_ENABLE_CAP, (unsigned long)&cap, "X86_USER_SPACE_MSR");
	cap = (struct kvm_enable_cap){ .cap = KVM_CAP_IRQCHIP };
	expect_errno(vm_fd, KVM_ENABLE_CAP, (unsigned long)&cap, EINVAL,
		     "an unknown capability");

	xioctl(vm_fd, KVM_SET_IDENTITY_MAP_ADDR, (unsigned long)&ident,
	       "KVM_SET_IDENTITY_MAP_ADDR");
	xioctl(vm_fd, KVM_SET_TSS_ADDR, 0xfeffd000, "KVM_SET_TSS_ADDR");
	xioctl(vm_fd, KVM_SET_NR_MMU_PAGES, 4096, "KVM_SET_NR_MMU_PAGES");
	/* The TD's TSC frequency, where KVM can scale it (as QEMU checks). */
	if (ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_CONTROL) > 0) {
		xioctl(vm_fd, KVM_SET_TSC_KHZ, 2400000, "KVM_SET_TSC_KHZ (VM)");
		if (ioctl(vm_fd, KVM_GET_TSC_KHZ, 0) != 2400000)
			die("KVM_GET_TSC_KHZ after KVM_SET_TSC_KHZ");
	}

	size = sizeof(*caps) + 256 * sizeof(struct kvm_cpuid_entry2);
	caps = calloc(1, size);
	caps->cpuid.nent = 256;
	cmd = (struct kvm_tdx_cmd){ .id = KVM_TDX_CAPABILITIES,
				    .data = (uintptr_t)caps };
	xioctl(vm_fd, KVM_MEMORY_ENCRYPT_OP, (unsigned long)&cmd,
	       "KVM_TDX_CAPABILITIES");
	if (!(caps->supported_attrs & TDX_TD_ATTR_SEPT_VE_DISABLE))
		die("KVM_TDX_CAPABILITIES: no SEPT_VE_DISABLE");
	tdx_cpuid_configs = caps->cpuid.nent;

	init = calloc(1, sizeof(*init) + sizeof(struct kvm_cpuid_entry2));
	init->attributes = TDX_TD_ATTR_SEPT_VE_DISABLE;
	init->xfam = 0x3 & caps->supported_xfam;
	init->cpuid.nent = 1;
	init->cpuid.entries[0].function = 0x80000008;
	init->cpuid.entries[0].eax = (48 << 16) | 52;
	cmd = (struct kvm_tdx_cmd){ .id = KVM_TDX_INIT_VM,
				    .data = (uintptr_t)init };
	for (;;) {
		if (ioctl(vm_fd, KVM_MEMORY_ENCRYPT_OP, &cmd) == 0)
			break;
		if (errno != EAGAIN)
			die("KVM_TDX_INIT_VM: %s", strerror(errno));
	}
	free(init);
	free(caps);
}

/* The ioeventfds: a port and an MMIO doorbell; their eventfds. */
#define IOEV_PORT	0xcfc
#define IOEV_MMIO	0xfeb00000ULL
#define IOEV_MMIO_DATA	7
static int pio_efd = -1, mmio_efd = -1, irq_efd = -1;
static uint64_t io_exits, mmio_exits;

/* An eventfd's count (0 if none): it is read, and so reset. */
static uint64_t eventfd_count(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t n = 0;

	if (fd < 0 || poll(&p, 1, 0) != 1 ||
	    read(fd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

static void setup_irq_and_io(void)
{
	struct kvm_irq_routing *rt;
	struct kvm_irqfd irqfd = { 0 };
	struct kvm_ioeventfd ioev = { 0 };
	struct kvm_coalesced_mmio_zone zone = { .addr = 0xfed00000,
						.size = 0x1000 };
	unsigned int i;
	int efd;

	rt = calloc(1, sizeof(*rt) + 4 * sizeof(rt->entries[0]));
	rt->nr = 4;
	for (i = 0; i < 4; i++) {
		rt->entries[i].gsi = 24 + i;
		rt->entries[i].type = KVM_IRQ_ROUTING_MSI;
		rt->entries[i].u.msi.address_lo = 0xfee00000;
		rt->entries[i].u.msi.data = 0x30 + i;
	}
	xioctl(vm_fd, KVM_SET_GSI_ROUTING, (unsigned long)rt,
	       "KVM_SET_GSI_ROUTING");
	free(rt);

	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	irqfd.fd = efd;
	irqfd.gsi = 24;
	xioctl(vm_fd, KVM_IRQFD, (unsigned long)&irqfd, "KVM_IRQFD");
	irqfd.flags = KVM_IRQFD_FLAG_DEASSIGN;
	xioctl(vm_fd, KVM_IRQFD, (unsigned long)&irqfd, "KVM_IRQFD deassign");
	/* An irqfd that stays: GSI 25, vector 0x31 to vCPU 0, signalled
	 * before the vCPUs run (KVM consumes the count when it injects). */
	memset(&irqfd, 0, sizeof(irqfd));
	irqfd.fd = irq_efd = eventfd(0, EFD_CLOEXEC);
	irqfd.gsi = 25;
	xioctl(vm_fd, KVM_IRQFD, (unsigned long)&irqfd, "KVM_IRQFD (kept)");
	if (eventfd_write(irq_efd, 1))
		die("eventfd_write: %s", strerror(errno));

	ioev.fd = pio_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ioev.addr = IOEV_PORT;
	ioev.len = 4;
	ioev.flags = KVM_IOEVENTFD_FLAG_PIO;
	xioctl(vm_fd, KVM_IOEVENTFD, (unsigned long)&ioev, "KVM_IOEVENTFD");
	ioev.len = 3;
	expect_errno(vm_fd, KVM_IOEVENTFD, (unsigned long)&ioev, EINVAL,
		     "KVM_IOEVENTFD of length 3");
	/* A virtio-style doorbell: 4-byte writes of IOEV_MMIO_DATA only. */
	memset(&ioev, 0, sizeof(ioev));
	ioev.fd = mmio_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ioev.addr = IOEV_MMIO;
	ioev.len = 4;
	ioev.datamatch = IOEV_MMIO_DATA;
	ioev.flags = KVM_IOEVENTFD_FLAG_DATAMATCH;
	xioctl(vm_fd, KVM_IOEVENTFD, (unsigned long)&ioev,
	       "KVM_IOEVENTFD (MMIO, datamatch)");

	xioctl(vm_fd, KVM_REGISTER_COALESCED_MMIO, (unsigned long)&zone,
	       "KVM_REGISTER_COALESCED_MMIO");
}

/* The VMM's memory behind [@gpa, @gpa + @size), or NULL. */
static uint8_t *gpa_to_hva(uint64_t gpa, uint64_t size)
{
	unsigned int i;

	for (i = 0; i < 2; i++)
		if (slots[i].hva && gpa >= slots[i].gpa && size <= slots[i].size &&
		    gpa - slots[i].gpa <= slots[i].size - size)
			return slots[i].hva + (gpa - slots[i].gpa);
	return NULL;
}

/*
 * KVM_EXIT_TDX GetQuote, as QEMU's tdx_handle_get_quote(): the shared
 * buffer holds a GHCI header (version 1, status, in_len, out_len) and the
 * guest's TDREPORT_STRUCT; there is no quote service here, so the "quote"
 * is the TDREPORT itself. The MRTD is TDINFO's (TDREPORT + 512 + 16).
 */
#define QUOTE_HDR		24
#define TDREPORT_LEN		1024
#define TDREPORT_MRTD		(512 + 16)
#define GET_QUOTE_ERROR		0x8000000000000000ULL

static void handle_get_quote(struct vcpu *vc, struct kvm_run *run)
{
	uint64_t gpa = run->tdx.get_quote.gpa, size = run->tdx.get_quote.size;
	uint8_t *buf = gpa_to_hva(gpa, size);
	uint64_t version, status = 0;
	uint32_t in_len, out_len = TDREPORT_LEN;

	if (!buf || size < QUOTE_HDR + TDREPORT_LEN) {
		/* Not memory of ours, or too small for a TDREPORT. */
		if (buf && size >= QUOTE_HDR) {
			status = GET_QUOTE_ERROR;
			memcpy(buf + 8, &status, 8);
		}
		run->tdx.get_quote.ret = TDVMCALL_STATUS_INVALID_OPERAND;
		return;
	}
	memcpy(&version, buf, 8);
	memcpy(&in_len, buf + 16, 4);
	if (version != 1 || in_len != TDREPORT_LEN) {
		status = GET_QUOTE_ERROR;
		memcpy(buf + 8, &status, 8);
		run->tdx.get_quote.ret = TDVMCALL_STATUS_SUCCESS;
		return;
	}
	pthread_mutex_lock(&lock);
	memcpy(quote_mrtd, buf + QUOTE_HDR + TDREPORT_MRTD, 48);
	have_quote = true;
	pthread_mutex_unlock(&lock);
	vc->quotes++;
	memcpy(buf + 8, &status, 8);
	memcpy(buf + 20, &out_len, 4);
	run->tdx.get_quote.ret = TDVMCALL_STATUS_SUCCESS;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *vc = arg;
	uint64_t mcg_cap = 10;	/* 10 banks */
	struct {
		struct kvm_signal_mask m;
		uint8_t set[8];
	} sigmask = { .m.len = 8 };
	struct kvm_run *run;

	vc->fd = xioctl(vm_fd, KVM_CREATE_VCPU, vc->index, "KVM_CREATE_VCPU");
	vc->run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       vc->fd, 0);
	if (vc->run == MAP_FAILED)
		die("mmap of kvm_run: %s", strerror(errno));
	xioctl(vc->fd, KVM_SET_SIGNAL_MASK, (unsigned long)&sigmask,
	       "KVM_SET_SIGNAL_MASK");
	xioctl(vc->fd, KVM_X86_SETUP_MCE, (unsigned long)&mcg_cap,
	       "KVM_X86_SETUP_MCE");
	xioctl(vc->fd, KVM_SET_CPUID2, (unsigned long)supported_cpuid,
	       "KVM_SET_CPUID2");

	pthread_mutex_lock(&lock);
	nr_created++;
	pthread_cond_broadcast(&cond);
	while (!go)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);


	run = vc->run;
	for (;;) {
		int r = ioctl(vc->fd, KVM_RUN, 0);

		vc->runs++;
		if (r < 0 && errno == EFAULT &&
		    run->exit_reason == KVM_EXIT_MEMORY_FAULT) {
			/* Convert, as QEMU's kvm_convert_memory(). */
			vc->faults++;
			set_private(run->memory_fault.gpa,
				    run->memory_fault.size,
				    run->memory_fault.flags &
				    KVM_MEMORY_EXIT_FLAG_PRIVATE);
			if (!(run->memory_fault.flags &
			      KVM_MEMORY_EXIT_FLAG_PRIVATE))
				scan_shared(vc, run->memory_fault.gpa);
			continue;
		}
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0)
			die("vCPU %u: KVM_RUN: %s", vc->index, strerror(errno));
		switch (run->exit_reason) {
		case KVM_EXIT_HYPERCALL:
			if (run->hypercall.nr != KVM_HC_MAP_GPA_RANGE)
				die("vCPU %u: hypercall %llu", vc->index,
				    (unsigned long long)run->hypercall.nr);
			vc->map_gpa++;
			set_private(run->hypercall.args[0],
				    run->hypercall.args[1] * PAGE_SIZE,
				    run->hypercall.args[2] &
				    KVM_MAP_GPA_RANGE_ENCRYPTED);
			if (!(run->hypercall.args[2] &
			      KVM_MAP_GPA_RANGE_ENCRYPTED))
				scan_shared(vc, run->hypercall.args[0]);
			run->hypercall.ret = 0;
			continue;
		case KVM_EXIT_IO:
			/* A port no ioeventfd took: no device here. */
			__atomic_fetch_add(&io_exits, 1, __ATOMIC_RELAXED);
			continue;
		case KVM_EXIT_MMIO:
			__atomic_fetch_add(&mmio_exits, 1, __ATOMIC_RELAXED);
			continue;
		case KVM_EXIT_TDX:
			if (run->tdx.nr != TDVMCALL_GET_QUOTE)
				die("vCPU %u: KVM_EXIT_TDX %llu", vc->index,
				    (unsigned long long)run->tdx.nr);
			handle_get_quote(vc, run);
			continue;
		case KVM_EXIT_SYSTEM_EVENT:
			if (run->system_event.type != KVM_SYSTEM_EVENT_SHUTDOWN)
				die("vCPU %u: system event %u", vc->index,
				    run->system_event.type);
			return NULL;
		default:
			die("vCPU %u: exit %u", vc->index, run->exit_reason);
		}
	}
}

/*
 * KVM_GET_STATS_FD: the header by read(2) (twice: the file position
 * moves on), the descriptors and the value of @name (which must be there)
 * by pread(2).
 */
static uint64_t read_stat(int fd, const char *name)
{
	struct kvm_stats_header h;
	struct kvm_stats_desc *d;
	int sfd = xioctl(fd, KVM_GET_STATS_FD, 0, "KVM_GET_STATS_FD");
	uint64_t v = 0;
	size_t dsize;
	uint32_t i;
	char id[8];

	if (read(sfd, &h, sizeof(h)) != sizeof(h) || !h.num_desc ||
	    h.name_size < 8 || h.id_offset != sizeof(h))
		die("stats: header");
	if (read(sfd, id, sizeof(id)) != sizeof(id) || memcmp(id, "kvm-", 4))
		die("stats: id");
	dsize = sizeof(*d) + h.name_size;
	d = malloc(dsize);
	for (i = 0; i < h.num_desc; i++) {
		if (pread(sfd, d, dsize, h.desc_offset + i * dsize) !=
		    (ssize_t)dsize)
			die("stats: descriptor %u", i);
		if (!strcmp(d->name, name))
			break;
	}
	if (i == h.num_desc)
		die("stats: no %s", name);
	if (pread(sfd, &v, sizeof(v), h.data_offset + d->offset) != sizeof(v))
		die("stats: value of %s", name);
	free(d);
	close(sfd);
	return v;
}

/* tdx_finalize_vm(): INIT_VCPU, INIT_MEM_REGION, FINALIZE. */
static void finalize(void)
{
	struct range ranges[8];
	unsigned int i, n = 0;
	uint64_t lo = ~0ULL, hi = 0, hob = 0;
	struct kvm_tdx_cmd cmd;

	for (i = 0; i < nr_sections; i++) {
		struct section *s = &sections[i];

		if (s->type == SEC_TD_HOB)
			hob = s->addr;
		if (s->type == SEC_TD_HOB || s->type == SEC_TEMP_MEM) {
			if (s->addr + s->size > ram_size)
				die("section %u is not in RAM", i);
			lo = s->addr < lo ? s->addr : lo;
			hi = s->addr + s->size > hi ? s->addr + s->size : hi;
		}
	}
	if (!hob)
		die("firmware: no TD HOB");
	/* RAM: unaccepted, but for the firmware's own (added) pages. */
	ranges[n++] = (struct range){ 0, lo, 7 };
	ranges[n++] = (struct range){ lo, hi - lo, 0 };
	ranges[n++] = (struct range){ hi, ram_size - hi, 7 };

	for (i = 0; i < nr_vcpus; i++) {
		cmd = (struct kvm_tdx_cmd){ .id = KVM_TDX_INIT_VCPU, .data = hob };
		xioctl(vcpus[i].fd, KVM_MEMORY_ENCRYPT_OP, (unsigned long)&cmd,
		       "KVM_TDX_INIT_VCPU");
	}
	/* The CPUID the TD's vCPUs see, as QEMU reads it before finalize. */
	for (i = 0; i < nr_vcpus && tdx_cpuid_configs; i++) {
		struct kvm_cpuid2 *cpuid = calloc(1, sizeof(*cpuid) +
				256 * sizeof(struct kvm_cpuid_entry2));

		cpuid->nent = 256;
		cmd = (struct kvm_tdx_cmd){ .id = KVM_TDX_GET_CPUID,
					    .data = (uintptr_t)cpuid };
		xioctl(vcpus[i].fd, KVM_MEMORY_ENCRYPT_OP, (unsigned long)&cmd,
		       "KVM_TDX_GET_CPUID");
		if (!cpuid->nent || cpuid->entries[0].function != 0)
			die("KVM_TDX_GET_CPUID: no leaf 0 first");
		free(cpuid);
	}
	for (i = 0; i < nr_sections; i++) {
		struct section *s = &sections[i];
		struct kvm_tdx_init_mem_region region;
		uint8_t *src;

		src = mmap(NULL, s->size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (src == MAP_FAILED)
			die("mmap: %s", strerror(errno));
		if (s->type == SEC_BFV || s->type == SEC_CFV)
			memcpy(src, fw + s->data_offset,
			       s->raw_size < s->size ? s->raw_size : s->size);
		else if (s->type == SEC_TD_HOB)
			build_hob(src, s->size, s->addr, ranges, n);
		region = (struct kvm_tdx_init_mem_region){
			.source_addr = (uintptr_t)src, .gpa = s->addr,
			.nr_pages = s->size / PAGE_SIZE };
		cmd = (struct kvm_tdx_cmd){
			.id = KVM_TDX_INIT_MEM_REGION,
			.flags = s->attrs & ATTR_MR_EXTEND ?
				 KVM_TDX_MEASURE_MEMORY_REGION : 0,
			.data = (uintptr_t)&region };
		while (region.nr_pages) {
			if (ioctl(vcpus[0].fd, KVM_MEMORY_ENCRYPT_OP, &cmd) == 0)
				continue;
			if (errno != EAGAIN)
				die("KVM_TDX_INIT_MEM_REGION section %u: %s", i,
				    strerror(errno));
		}
		munmap(src, s->size);
	}
	cmd = (struct kvm_tdx_cmd){ .id = KVM_TDX_FINALIZE_VM };
	xioctl(vm_fd, KVM_MEMORY_ENCRYPT_OP, (unsigned long)&cmd,
	       "KVM_TDX_FINALIZE_VM");
	/* A finalized TD takes no more TDX vCPU commands. */
	cmd = (struct kvm_tdx_cmd){ .id = KVM_TDX_GET_CPUID,
				    .data = (uintptr_t)supported_cpuid };
	expect_errno(vcpus[0].fd, KVM_MEMORY_ENCRYPT_OP, (unsigned long)&cmd,
		     EINVAL, "KVM_TDX_GET_CPUID after finalize");
}

int main(int argc, char **argv)
{
	uint64_t fw_lo = FW_TOP;
	bool do_fork = false;
	struct stat st;
	pid_t child = 0;
	unsigned int i;
	int a, fd, status;

	for (a = 1; a < argc - 1; a++) {
		if (!strcmp(argv[a], "--vcpus") && a + 1 < argc - 1)
			nr_vcpus = atoi(argv[++a]);
		else if (!strcmp(argv[a], "--memory") && a + 1 < argc - 1)
			ram_size = strtoull(argv[++a], NULL, 0) << 20;
		else if (!strcmp(argv[a], "--fork"))
			do_fork = true;
		else if (!strcmp(argv[a], "--inplace"))
			inplace = true;
		else
			break;
	}
	if (a != argc - 1 || !nr_vcpus || nr_vcpus > MAX_VCPUS)
		die("usage: tdvmm [--vcpus N] [--memory MiB] [--fork] [--inplace] OVMF.fd");
	fd = open(argv[a], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st))
		die("%s: %s", argv[a], strerror(errno));
	fw_size = st.st_size;
	fw = mmap(NULL, fw_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (fw == MAP_FAILED)
		die("%s: %s", argv[a], strerror(errno));
	parse_tdvf();
	for (i = 0; i < nr_sections; i++)
		if (sections[i].addr >= ram_size && sections[i].addr < fw_lo)
			fw_lo = sections[i].addr;

	probe_system();
	create_vm();
	if (inplace &&
	    ioctl(vm_fd, KVM_CHECK_EXTENSION,
		  KVM_CAP_GUEST_MEMFD_MEMORY_ATTRIBUTES) !=
		    KVM_MEMORY_ATTRIBUTE_PRIVATE)
		die("--inplace: no guest_memfd in-place conversion");
	add_slot(0, 0, ram_size);
	add_slot(1, fw_lo, FW_TOP - fw_lo);
	setup_irq_and_io();

	for (i = 0; i < nr_vcpus; i++) {
		vcpus[i].index = i;
		if (pthread_create(&vcpus[i].thread, NULL, vcpu_thread, &vcpus[i]))
			die("pthread_create");
	}
	pthread_mutex_lock(&lock);
	while (nr_created < nr_vcpus)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);

	finalize();

	if (do_fork) {
		fflush(NULL);
		child = fork();
		if (child == 0) {
			/* Close what was inherited; the parent's TD runs on. */
			for (i = 0; i < nr_vcpus; i++)
				if (close(vcpus[i].fd))
					_exit(3);
			if (close(vm_fd) || close(kvm_fd) || close(kvm_fd2))
				_exit(4);
			_exit(0);
		}
		if (child < 0)
			die("fork: %s", strerror(errno));
	}

	pthread_mutex_lock(&lock);
	go = true;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	for (i = 0; i < nr_vcpus; i++)
		pthread_join(vcpus[i].thread, NULL);
	if (child > 0 && (waitpid(child, &status, 0) != child ||
			  !WIFEXITED(status) || WEXITSTATUS(status)))
		die("the forked child failed");

	/* The guest's private memory is mapped at 4K (or 2M) in KVM's stats. */
	if (read_stat(vm_fd, "pages_4k") + read_stat(vm_fd, "pages_2m") == 0)
		die("stats: no pages mapped");
	read_stat(vcpus[0].fd, "guest_mode");

	for (i = 0; i < nr_vcpus; i++)
		printf("tdvmm: vCPU %u: shutdown after %llu KVM_RUN, %llu memory faults, %llu MapGPA\n",
		       i, (unsigned long long)vcpus[i].runs,
		       (unsigned long long)vcpus[i].faults,
		       (unsigned long long)vcpus[i].map_gpa);
	for (i = 1; inplace && i < nr_vcpus; i++) {
		vcpus[0].scanned += vcpus[i].scanned;
		vcpus[0].nonzero += vcpus[i].nonzero;
	}
	if (inplace)
		printf("tdvmm: pages converted to shared: %llu read, %llu nonzero bytes\n",
		       (unsigned long long)vcpus[0].scanned,
		       (unsigned long long)vcpus[0].nonzero);
	printf("tdvmm: irqfd GSI 25: %llu signal left (KVM consumes it when it injects)\n",
	       (unsigned long long)eventfd_count(irq_efd));
	printf("tdvmm: ioeventfd signals: port 0x%x %llu, MMIO 0x%llx %llu; exits: port %llu, MMIO %llu\n",
	       IOEV_PORT, (unsigned long long)eventfd_count(pio_efd),
	       (unsigned long long)IOEV_MMIO,
	       (unsigned long long)eventfd_count(mmio_efd),
	       (unsigned long long)io_exits, (unsigned long long)mmio_exits);
	if (have_quote) {
		printf("tdvmm: MRTD from the TD's report: ");
		for (i = 0; i < 48; i++)
			printf("%02x", quote_mrtd[i]);
		printf("\n");
	}
	for (i = 0; i < nr_vcpus; i++)
		close(vcpus[i].fd);
	close(vm_fd);
	close(kvm_fd2);
	close(kvm_fd);
	return 0;
}
