// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The TD launch sequence, in QEMU's order (hw/i386/tdvf.c and
 * target/i386/kvm/tdx.c as described in tdvf-mrtd.md):
 *
 *   KVM_CREATE_VM(KVM_X86_TDX_VM), TDXSIM_SET_KERNEL and TDXSIM_SET_DESIGN
 *   (tdxsim's: the kernel profile and its switches), KVM_TDX_INIT_VM,
 *   guest_memfd slots for RAM and for the firmware, KVM_CREATE_VCPU and
 *   KVM_TDX_INIT_VCPU (initial RCX = the TD HOB), KVM_SET_MEMORY_ATTRIBUTES
 *   private, KVM_TDX_INIT_MEM_REGION per section in metadata order (MEASURE
 *   for MR.EXTEND sections; BFV/CFV from the image, TD_HOB with a HOB that
 *   describes RAM, TEMP_MEM zero), KVM_TDX_FINALIZE_VM, then one task per
 *   vCPU running KVM_RUN and handling exits: memory-fault exits and MapGPA
 *   by converting attributes, HLT as the guest's end.
 *
 * One departure from QEMU, which ignores the attribute: a section with
 * PAGE.AUG (td-shim's EXTEND_MEM_PAGE_ADD clear) is not PAGE.ADDed, as the
 * TDVF metadata defines it; the TD HOB describes it as unaccepted RAM, which
 * the guest accepts (TDH.MEM.PAGE.AUG on its first touch). So the MRTD is the
 * one tdxsim_tdvf_measure_counts() and independent calculators describe.
 *
 * Memory layout: RAM at [0, min(memory, 2G)) and the rest at 4G; the
 * firmware sections above RAM get their own guest_memfd slot below 4G.
 * guest_memfd is created with GUEST_MEMFD_FLAG_MMAP, so shared accesses use
 * the same memory (in-place conversion).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "ulib/strbuf.h"
#include "tdxsim/profiles.h"
#include "vmm/vmm_internal.h"

int vmm_fail(struct vmm *v, int err, const char *fmt, ...)
{
	va_list ap;

	if (!v->res->error[0]) {
		va_start(ap, fmt);
		vsnprintf(v->res->error, sizeof(v->res->error), fmt, ap);
		va_end(ap);
	}
	return err > 0 ? -err : err;
}

int tdxsim_vmm_config_set_kernel(struct tdxsim_vmm_config *cfg,
				 const char *name, char *err, size_t errlen)
{
	struct tdxsim_design d;
	int r;

	r = tdxsim_kernel_design(name, &d, err, errlen);
	if (r)
		return r;
	snprintf(cfg->kernel, sizeof(cfg->kernel), "%s", name);
	cfg->design = d;
	return 0;
}

void tdxsim_vmm_config_init(struct tdxsim_vmm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->memory = 256ULL << 20;
	cfg->nr_vcpus = 1;
	tdxsim_vmm_config_set_kernel(cfg, TDXSIM_KERNEL_DEFAULT, NULL, 0);
	cfg->measure_order = TDXSIM_VMM_MEASURE_SINGLE_PASS;
	cfg->gpaw = 48;
	cfg->workload = "lazy-accept";
	cfg->seed = 1;
	cfg->accept = TDXSIM_ACCEPT_2M_FALLBACK;
}

static u64 vmm_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static u64 vmm_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

void vmm_set_phase(struct vmm *v, enum tdxsim_vmm_phase phase)
{
	u64 now = vmm_now_ns(), cpu = vmm_cpu_ns();

	if (v->phase >= 0 && v->phase < TDXSIM_VMM_PHASE_DONE) {
		v->res->phase_ns[v->phase] += now - v->phase_t0;
		v->res->phase_cpu_ns[v->phase] += cpu - v->phase_cpu_t0;
	}
	v->phase = phase;
	v->phase_t0 = now;
	v->phase_cpu_t0 = cpu;
	if (v->cfg->progress)
		__atomic_store_n(&v->cfg->progress->phase, phase, __ATOMIC_RELAXED);
}

/* --- VM set-up -------------------------------------------------------------------------------- */

static int vmm_init_vm(struct vmm *v)
{
	const struct tdxsim_vmm_config *cfg = v->cfg;
	struct tdxsim_design design = cfg->design;
	struct tdxsim_kernel kernel = { 0 };
	struct kvm_tdx_init_vm *init;
	struct kvm_tdx_cmd cmd = { 0 };
	size_t size = sizeof(*init) + sizeof(struct kvm_cpuid_entry2);
	unsigned int retries, i;
	int r;

	v->kvm_fd = tdxsim_open("/dev/kvm", 0);
	if (v->kvm_fd < 0)
		return vmm_fail(v, errno, "open /dev/kvm: %s", strerror(errno));
	v->vm_fd = tdxsim_ioctl(v->kvm_fd, KVM_CREATE_VM, KVM_X86_TDX_VM);
	if (v->vm_fd < 0)
		return vmm_fail(v, errno, "KVM_CREATE_VM(KVM_X86_TDX_VM): %s",
			    strerror(errno));
	if (cfg->measure_order == TDXSIM_VMM_MEASURE_TWO_PASS)
		design.measure_two_pass = 1;
	snprintf(kernel.name, sizeof(kernel.name), "%s",
		 cfg->kernel[0] ? cfg->kernel : TDXSIM_KERNEL_DEFAULT);
	if (tdxsim_ioctl(v->vm_fd, TDXSIM_SET_KERNEL, &kernel) < 0)
		return vmm_fail(v, errno, "TDXSIM_SET_KERNEL(%s): %s",
				kernel.name, strerror(errno));
	if (tdxsim_ioctl(v->vm_fd, TDXSIM_SET_DESIGN, &design) < 0)
		return vmm_fail(v, errno, "TDXSIM_SET_DESIGN: %s", strerror(errno));

	init = xzalloc(size);
	init->attributes = TDX_TD_ATTR_SEPT_VE_DISABLE;
	init->xfam = 0x3;	/* x87 and SSE state */
	init->cpuid.nent = 1;
	init->cpuid.entries[0].function = 0x80000008;
	init->cpuid.entries[0].eax = ((u32)cfg->gpaw << 16) | 52;
	cmd.id = KVM_TDX_INIT_VM;
	cmd.data = (u64)(uintptr_t)init;
	/* As QEMU: TDH.MNG.CREATE may lack entropy (-EAGAIN); retry a while. */
	for (retries = 0; retries < VMM_MAX_RETRIES; retries++) {
		r = tdxsim_ioctl(v->vm_fd, KVM_MEMORY_ENCRYPT_OP, &cmd);
		if (r == 0 || errno != EAGAIN)
			break;
	}
	free(init);
	if (r < 0)
		return vmm_fail(v, errno, "KVM_TDX_INIT_VM: %s (hw_error 0x%llx)",
			    strerror(errno), (unsigned long long)cmd.hw_error);
	/* As a VMM that knows the in-place conversion series would ask. */
	v->gmem_attrs = tdxsim_ioctl(v->vm_fd, KVM_CHECK_EXTENSION,
				     KVM_CAP_GUEST_MEMFD_MEMORY_ATTRIBUTES) > 0;
	for (i = 0; i < cfg->nr_inject; i++)
		if (tdxsim_ioctl(v->vm_fd, TDXSIM_INJECT_FAULT,
				 &cfg->inject[i]) < 0)
			return vmm_fail(v, errno, "TDXSIM_INJECT_FAULT: %s",
				    strerror(errno));
	return 0;
}

static int vmm_add_slot(struct vmm *v, u32 slot, int gmem_fd, u64 gpa,
			u64 size, u64 offset)
{
	struct kvm_userspace_memory_region2 region = {
		.slot = slot,
		.flags = KVM_MEM_GUEST_MEMFD,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.guest_memfd = gmem_fd,
		.guest_memfd_offset = offset,
	};
	void *addr;

	/* Shared accesses use the same guest_memfd (in-place conversion). */
	addr = tdxsim_mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
			   gmem_fd, offset);
	if (addr == MAP_FAILED)
		return vmm_fail(v, errno, "mmap of guest_memfd: %s",
			    strerror(errno));
	v->maps[v->nr_maps].addr = addr;
	v->maps[v->nr_maps].len = size;
	v->nr_maps++;
	region.userspace_addr = (u64)(uintptr_t)addr;
	if (tdxsim_ioctl(v->vm_fd, KVM_SET_USER_MEMORY_REGION2, &region) < 0)
		return vmm_fail(v, errno,
			    "KVM_SET_USER_MEMORY_REGION2 slot %u [0x%llx, +0x%llx): %s",
			    slot, (unsigned long long)gpa,
			    (unsigned long long)size, strerror(errno));
	return 0;
}

static int vmm_create_gmem(struct vmm *v, u64 size)
{
	struct kvm_create_guest_memfd args = {
		.size = size,
		.flags = GUEST_MEMFD_FLAG_MMAP,
	};
	int fd = tdxsim_ioctl(v->vm_fd, KVM_CREATE_GUEST_MEMFD, &args);

	if (fd < 0)
		return vmm_fail(v, errno, "KVM_CREATE_GUEST_MEMFD(%llu bytes): %s",
			    (unsigned long long)size, strerror(errno));
	return fd;
}

static bool section_in_ram(const struct vmm *v, const struct tdxsim_tdvf_section *s)
{
	u64 end = s->memory_address + s->memory_data_size;

	return (end <= v->low_ram) ||
	       (s->memory_address >= HIGH_RAM_BASE &&
		end <= HIGH_RAM_BASE + v->high_ram);
}

static int vmm_setup_memory(struct vmm *v)
{
	const struct tdxsim_tdvf_info *fw = &v->res->fw;
	u64 fw_lo = FW_TOP;
	unsigned int i;
	int r;

	v->low_ram = min(v->cfg->memory, LOW_RAM_MAX);
	v->high_ram = v->cfg->memory - v->low_ram;

	for (i = 0; i < fw->nr_sections; i++) {
		const struct tdxsim_tdvf_section *s = &fw->sections[i];

		if (s->type == TDXSIM_TDVF_SECTION_TD_HOB &&
		    (s->attributes & TDXSIM_TDVF_ATTR_PAGE_AUG))
			return vmm_fail(v, -EINVAL,
				    "firmware section %u (TD_HOB) has PAGE.AUG: the VMM writes the TD HOB into it, which a page that is not PAGE.ADDed cannot hold",
				    i);
		if (section_in_ram(v, s))
			continue;
		/* QEMU accepts these in RAM only (tdx_accept_ram_range). */
		if (s->type == TDXSIM_TDVF_SECTION_TD_HOB ||
		    s->type == TDXSIM_TDVF_SECTION_TEMP_MEM ||
		    s->type == TDXSIM_TDVF_SECTION_PERM_MEM)
			return vmm_fail(v, -EINVAL,
				    "firmware section %u (%s) at 0x%llx+0x%llx is not in guest RAM ([0, 0x%llx)%s): the TD HOB and temporary memory must lie in RAM; give more memory",
				    i, tdxsim_tdvf_section_type_name(s->type),
				    (unsigned long long)s->memory_address,
				    (unsigned long long)s->memory_data_size,
				    (unsigned long long)v->low_ram,
				    v->high_ram ? " and above 4G" : "");
		if (s->memory_address < v->low_ram ||
		    s->memory_address + s->memory_data_size > FW_TOP)
			return vmm_fail(v, -EINVAL,
				    "firmware section %u at 0x%llx+0x%llx is neither in RAM (0..0x%llx) nor in the firmware window below 4G",
				    i, (unsigned long long)s->memory_address,
				    (unsigned long long)s->memory_data_size,
				    (unsigned long long)v->low_ram);
		fw_lo = min(fw_lo, s->memory_address);
	}
	v->fw_base = ALIGN_DOWN(fw_lo, SZ_2M);
	if (v->fw_base < v->low_ram)
		return vmm_fail(v, -EINVAL,
			    "guest RAM of %llu MiB overlaps the firmware at 0x%llx",
			    (unsigned long long)(v->cfg->memory >> 20),
			    (unsigned long long)fw_lo);

	v->ram_fd = vmm_create_gmem(v, v->cfg->memory);
	if (v->ram_fd < 0)
		return v->ram_fd;
	r = vmm_add_slot(v, 0, v->ram_fd, 0, v->low_ram, 0);
	if (!r && v->high_ram)
		r = vmm_add_slot(v, 1, v->ram_fd, HIGH_RAM_BASE, v->high_ram,
				 v->low_ram);
	if (r)
		return r;
	if (v->fw_base < FW_TOP) {
		v->fw_fd = vmm_create_gmem(v, FW_TOP - v->fw_base);
		if (v->fw_fd < 0)
			return v->fw_fd;
		r = vmm_add_slot(v, 2, v->fw_fd, v->fw_base,
				 FW_TOP - v->fw_base, 0);
	}
	return r;
}

/*
 * In-place conversion: KVM_SET_MEMORY_ATTRIBUTES2 on the part of
 * [@gpa, @end) that lies in [@base, @base + @len), the guest_memfd @fd's
 * bytes from @off. A transient reference (EAGAIN) is retried.
 */
static int vmm_set_private_gmem(struct vmm *v, u64 gpa, u64 end, u64 base,
				u64 len, int fd, u64 off, bool private)
{
	u64 s = max(gpa, base), e = min(end, base + len);
	struct kvm_memory_attributes2 attrs = {
		.offset = off + s - base,
		.size = e - s,
		.attributes = private ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0,
	};
	int r, tries = 0;

	if (s >= e)
		return 0;
	do {
		r = tdxsim_ioctl(fd, KVM_SET_MEMORY_ATTRIBUTES2, &attrs);
	} while (r < 0 && errno == EAGAIN && ++tries < VMM_MAX_RETRIES);
	return r;
}

int vmm_set_private(struct vmm *v, u64 gpa, u64 size, bool private)
{
	struct kvm_memory_attributes attrs = {
		.address = gpa,
		.size = size,
		.attributes = private ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0,
	};
	u64 end = gpa + size;

	if (!v->gmem_attrs)
		return tdxsim_ioctl(v->vm_fd, KVM_SET_MEMORY_ATTRIBUTES, &attrs);
	if (vmm_set_private_gmem(v, gpa, end, 0, v->low_ram, v->ram_fd, 0,
				 private) < 0 ||
	    vmm_set_private_gmem(v, gpa, end, HIGH_RAM_BASE, v->high_ram,
				 v->ram_fd, v->low_ram, private) < 0)
		return -1;
	if (v->fw_base < FW_TOP &&
	    vmm_set_private_gmem(v, gpa, end, v->fw_base, FW_TOP - v->fw_base,
				 v->fw_fd, 0, private) < 0)
		return -1;
	return 0;
}

/* The RAM layout the TD HOB describes: firmware-loaded parts are accepted. */
unsigned int vmm_ram_ranges(struct vmm *v, struct tdxsim_ram_range *out,
				   unsigned int max)
{
	const struct tdxsim_tdvf_info *fw = &v->res->fw;
	u64 cursor = 0;
	unsigned int n = 0;

	while (cursor < v->low_ram && n + 2 < max) {
		u64 next = v->low_ram, next_end = v->low_ram;
		u32 type = TDXSIM_RAM_SYSTEM;
		unsigned int i;

		for (i = 0; i < fw->nr_sections; i++) {
			const struct tdxsim_tdvf_section *s = &fw->sections[i];

			if (!section_in_ram(v, s) || s->memory_address < cursor)
				continue;
			if (s->memory_address < next) {
				next = s->memory_address;
				next_end = s->memory_address +
					   s->memory_data_size;
				/* Not added: the guest accepts it. */
				type = (s->attributes & TDXSIM_TDVF_ATTR_PAGE_AUG) ?
					       TDXSIM_RAM_UNACCEPTED :
					       TDXSIM_RAM_SYSTEM;
			}
		}
		if (next > cursor)
			out[n++] = (struct tdxsim_ram_range){
				cursor, next - cursor, TDXSIM_RAM_UNACCEPTED };
		if (next_end > next)
			out[n++] = (struct tdxsim_ram_range){
				next, next_end - next, type };
		cursor = next_end;
	}
	if (v->high_ram && n < max)
		out[n++] = (struct tdxsim_ram_range){
			HIGH_RAM_BASE, v->high_ram, TDXSIM_RAM_UNACCEPTED };
	return n;
}

static int vmm_create_vcpus(struct vmm *v)
{
	unsigned int i;

	v->run_size = tdxsim_ioctl(v->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	for (i = 0; i < v->nr_vcpus; i++) {
		struct vmm_vcpu *vc = &v->vcpus[i];
		struct kvm_tdx_cmd cmd = { .id = KVM_TDX_INIT_VCPU };

		vc->vmm = v;
		vc->index = i;
		vc->res = &v->res->vcpu[i];
		vc->fd = tdxsim_ioctl(v->vm_fd, KVM_CREATE_VCPU, i);
		if (vc->fd < 0)
			return vmm_fail(v, errno, "KVM_CREATE_VCPU %u: %s", i,
				    strerror(errno));
		vc->run = tdxsim_mmap(NULL, v->run_size, PROT_READ | PROT_WRITE,
				      MAP_SHARED, vc->fd, 0);
		if (vc->run == MAP_FAILED) {
			vc->run = NULL;
			return vmm_fail(v, errno, "mmap of vCPU %u's kvm_run: %s",
				    i, strerror(errno));
		}
		if (v->guest) {
			struct tdxsim_guest g = {
				.ops = tdxsim_guest_ops(),
				.guest = tdxsim_guest_vcpu(v->guest, i),
			};

			if (tdxsim_ioctl(vc->fd, TDXSIM_SET_GUEST, &g) < 0)
				return vmm_fail(v, errno, "TDXSIM_SET_GUEST: %s",
					    strerror(errno));
		}
		cmd.data = v->hob_gpa;
		if (tdxsim_ioctl(vc->fd, KVM_MEMORY_ENCRYPT_OP, &cmd) < 0)
			return vmm_fail(v, errno, "KVM_TDX_INIT_VCPU %u: %s", i,
				    strerror(errno));
	}
	return 0;
}

/*
 * The source of section @i's pages for KVM_TDX_INIT_MEM_REGION. As QEMU
 * hands the kernel the firmware's own pages: the image itself where the
 * section's bytes lie in it page aligned and fill the section (an mmapped
 * image: nothing copied or touched before the kernel reads it); a read-only
 * mapping of zeros for a section with nothing to load (TEMP_MEM); else a
 * copy in *@buf, page aligned as the kernel requires (the TD HOB, an image
 * in unaligned memory). NULL when out of memory.
 */
static const u8 *vmm_section_source(struct vmm *v, unsigned int i,
				    const u8 *zeros, u8 **buf,
				    const struct tdxsim_ram_range *ranges,
				    unsigned int nr)
{
	const struct tdxsim_tdvf_info *fw = &v->res->fw;
	const struct tdxsim_tdvf_section *s = &fw->sections[i];
	bool image = s->type == TDXSIM_TDVF_SECTION_BFV ||
		     s->type == TDXSIM_TDVF_SECTION_CFV;
	u64 pages = s->memory_data_size >> PAGE_SHIFT, p;

	if (image && s->raw_data_size >= s->memory_data_size &&
	    IS_ALIGNED((uintptr_t)(v->fw + s->data_offset), PAGE_SIZE))
		return v->fw + s->data_offset;
	if (!image && s->type != TDXSIM_TDVF_SECTION_TD_HOB)
		return zeros;
	free(*buf);
	*buf = aligned_alloc(PAGE_SIZE, s->memory_data_size);
	if (!*buf)
		return NULL;
	memset(*buf, 0, s->memory_data_size);
	if (image) {
		for (p = 0; p < pages; p++)
			tdxsim_tdvf_section_page(fw, v->fw, i, p,
						 *buf + (p << PAGE_SHIFT));
	} else if (tdxsim_guest_hob_build(*buf, s->memory_data_size,
					  s->memory_address, ranges, nr) < 0) {
		vmm_fail(v, -EINVAL, "the TD HOB does not fit in 0x%llx bytes",
			 (unsigned long long)s->memory_data_size);
		return NULL;
	}
	return *buf;
}

static int vmm_init_mem_regions(struct vmm *v)
{
	const struct tdxsim_tdvf_info *fw = &v->res->fw;
	struct tdxsim_ram_range ranges[TDXSIM_GUEST_MAX_RANGES];
	unsigned int nr = vmm_ram_ranges(v, ranges, ARRAY_SIZE(ranges));
	unsigned int i, stuck;
	size_t zeros_len = PAGE_SIZE;
	u8 *buf = NULL, *zeros;
	int r = 0;

	for (i = 0; i < fw->nr_sections; i++)
		zeros_len = max_t(size_t, zeros_len,
				  fw->sections[i].memory_data_size);
	zeros = mmap(NULL, zeros_len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		     -1, 0);
	if (zeros == MAP_FAILED)
		return vmm_fail(v, -ENOMEM, "out of memory");
	for (i = 0; i < fw->nr_sections && !r; i++) {
		const struct tdxsim_tdvf_section *s = &fw->sections[i];
		struct kvm_tdx_init_mem_region region;
		struct kvm_tdx_cmd cmd = { .id = KVM_TDX_INIT_MEM_REGION };
		const u8 *src;

		if (!tdxsim_tdvf_section_is_mapped(s) ||
		    (s->attributes & TDXSIM_TDVF_ATTR_PAGE_AUG))
			continue;
		src = vmm_section_source(v, i, zeros, &buf, ranges, nr);
		if (!src) {
			r = vmm_fail(v, -ENOMEM, "out of memory");
			break;
		}
		region = (struct kvm_tdx_init_mem_region){
			.source_addr = (u64)(uintptr_t)src,
			.gpa = s->memory_address,
			.nr_pages = s->memory_data_size >> PAGE_SHIFT,
		};
		cmd.flags = (s->attributes & TDXSIM_TDVF_ATTR_MR_EXTEND) ?
				    KVM_TDX_MEASURE_MEMORY_REGION : 0;
		cmd.data = (u64)(uintptr_t)&region;
		/* Partial progress: retry with what is left (-EAGAIN/-EINTR). */
		stuck = 0;
		while (region.nr_pages) {
			u64 left = region.nr_pages;

			if (tdxsim_ioctl(v->vcpus[0].fd, KVM_MEMORY_ENCRYPT_OP,
					 &cmd) == 0)
				continue;
			stuck = region.nr_pages < left ? 0 : stuck + 1;
			if ((errno == EAGAIN || errno == EINTR ||
			     errno == EBUSY) && stuck < VMM_MAX_RETRIES)
				continue;
			r = vmm_fail(v, errno,
				     "KVM_TDX_INIT_MEM_REGION section %u (%s) at 0x%llx: %s",
				     i, tdxsim_tdvf_section_type_name(s->type),
				     (unsigned long long)region.gpa,
				     strerror(errno));
			break;
		}
	}
	free(buf);
	munmap(zeros, zeros_len);
	return r;
}

static int vmm_finalize(struct vmm *v)
{
	struct kvm_tdx_cmd cmd = { .id = KVM_TDX_FINALIZE_VM };
	struct tdxsim_mrtd mrtd = { 0 };

	if (tdxsim_ioctl(v->vm_fd, KVM_MEMORY_ENCRYPT_OP, &cmd) < 0)
		return vmm_fail(v, errno, "KVM_TDX_FINALIZE_VM: %s (hw_error 0x%llx)",
			    strerror(errno), (unsigned long long)cmd.hw_error);
	if (tdxsim_ioctl(v->vm_fd, TDXSIM_GET_MRTD, &mrtd) < 0)
		return vmm_fail(v, errno, "TDXSIM_GET_MRTD: %s", strerror(errno));
	memcpy(v->res->mrtd, mrtd.mrtd, sizeof(v->res->mrtd));
	v->res->mrtd_valid = true;
	return 0;
}

static int vmm_make_guest(struct vmm *v)
{
	const struct tdxsim_vmm_config *cfg = v->cfg;
	struct tdxsim_guest_config gc;
	char err[256];

	tdxsim_guest_config_init(&gc);
	gc.workload = cfg->workload;
	gc.program = cfg->program;
	gc.program_name = cfg->program_name;
	gc.nr_vcpus = v->nr_vcpus;
	gc.seed = cfg->seed;
	gc.accept = cfg->accept;
	gc.chunk_size = cfg->chunk_size;
	gc.nr_ops = cfg->nr_ops;
	gc.working_set = cfg->working_set;
	gc.nr_ranges = vmm_ram_ranges(v, gc.ranges, TDXSIM_GUEST_MAX_RANGES);
	gc.ram_from_hob = !cfg->program;
	if (tdxsim_guest_create(&gc, &v->guest, err, sizeof(err)))
		return vmm_fail(v, -EINVAL, "guest: %s", err);
	vmm_publish_guest(v, v->guest);
	return 0;
}

int tdxsim_vmm_launch(const struct tdxsim_vmm_config *cfg, bool run, struct tdxsim_vmm_result *res)
{
	struct vmm *v = xzalloc(sizeof(*v));
	char err[256];
	unsigned int i;
	int r;

	memset(res, 0, sizeof(*res));
	res->invariant_errors = -1;
	v->cfg = cfg;
	v->res = res;
	v->kvm_fd = v->vm_fd = v->ram_fd = v->fw_fd = -1;
	v->phase = -1;
	for (i = 0; i < ARRAY_SIZE(v->vcpus); i++) {
		v->vcpus[i].fd = -1;
		v->vcpus[i].res = &res->vcpu[i];
	}
	v->nr_vcpus = cfg->nr_vcpus ? cfg->nr_vcpus : 1;
	if (v->nr_vcpus > TDXSIM_GUEST_MAX_VCPUS) {
		v->nr_vcpus = 0;
		r = vmm_fail(v, -EINVAL, "at most %d vCPUs", TDXSIM_GUEST_MAX_VCPUS);
		goto out;
	}
	res->nr_vcpus = v->nr_vcpus;
	if (!cfg->memory || !IS_ALIGNED(cfg->memory, SZ_2M)) {
		r = vmm_fail(v, -EINVAL,
			 "guest memory of %llu bytes: give a non-zero multiple of 2 MiB",
			 (unsigned long long)cfg->memory);
		goto out;
	}
	if (cfg->gpaw != 48 && cfg->gpaw != 52) {
		r = vmm_fail(v, -EINVAL, "GPA width %d: 48 or 52", cfg->gpaw);
		goto out;
	}
	vmm_set_phase(v, TDXSIM_VMM_PHASE_BUILD);

	v->fw = cfg->firmware;
	v->fw_size = cfg->firmware_size;
	if (!v->fw) {
		if (tdxsim_tdvf_builtin_image(&v->fw_owned, &v->fw_size)) {
			r = vmm_fail(v, -ENOMEM, "cannot build the built-in firmware");
			goto out;
		}
		v->fw = v->fw_owned;
	}
	if (tdxsim_tdvf_parse(v->fw, v->fw_size, &res->fw, err, sizeof(err))) {
		r = vmm_fail(v, -EINVAL, "%s", err);
		goto out;
	}
	tdxsim_tdvf_measure_counts(&res->fw, &res->page_adds, &res->mr_extends);
	for (i = 0; i < res->fw.nr_sections; i++)
		if (res->fw.sections[i].type == TDXSIM_TDVF_SECTION_TD_HOB)
			v->hob_gpa = res->fw.sections[i].memory_address;

	r = vmm_init_vm(v);
	if (!r)
		r = vmm_setup_memory(v);
	if (!r && run)
		r = vmm_make_guest(v);
	if (!r)
		r = vmm_create_vcpus(v);
	if (!r && vmm_set_private(v, 0, v->low_ram, true) < 0)
		r = vmm_fail(v, errno, "KVM_SET_MEMORY_ATTRIBUTES private RAM: %s",
			 strerror(errno));
	if (!r && v->high_ram &&
	    vmm_set_private(v, HIGH_RAM_BASE, v->high_ram, true) < 0)
		r = vmm_fail(v, errno, "KVM_SET_MEMORY_ATTRIBUTES private high RAM: %s",
			 strerror(errno));
	if (!r && v->fw_base < FW_TOP &&
	    vmm_set_private(v, v->fw_base, FW_TOP - v->fw_base, true) < 0)
		r = vmm_fail(v, errno, "KVM_SET_MEMORY_ATTRIBUTES private firmware: %s",
			 strerror(errno));
	if (!r)
		r = vmm_init_mem_regions(v);
	if (!r)
		r = vmm_finalize(v);
	if (!r && run) {
		struct tdxsim_lock_class *locks;
		unsigned int nr_locks;

		vmm_set_phase(v, TDXSIM_VMM_PHASE_RUN);
		locks = vmm_lock_stats(v, &nr_locks);
		r = vmm_run_vcpus(v);
		vmm_lock_stats_delta(v, locks, nr_locks);
	}
	vmm_set_phase(v, TDXSIM_VMM_PHASE_TEARDOWN);
	if (v->vm_fd >= 0)
		vmm_collect(v);
	if (!r) {
		if (res->vm_dead)
			r = vmm_fail(v, 1, "the VM was marked bugged or dead");
		else if (res->livelock)
			r = vmm_fail(v, 1, "a vCPU stopped on the livelock detector");
		else if (res->invariant_errors > 0)
			r = vmm_fail(v, 1, "%d invariant violations",
				 res->invariant_errors);
		else if (run && res->guest_data_failures)
			r = vmm_fail(v, 1, "%llu guest data-check failures",
				 (unsigned long long)res->guest_data_failures);
		else if (run && !res->guest_finished)
			r = vmm_fail_unfinished(v);
		if (r < 0)
			r = 1;
	}
out:
	vmm_teardown(v);
	vmm_set_phase(v, TDXSIM_VMM_PHASE_DONE);
	free(v);
	vmm_check_teardown(res);
	return r;
}

