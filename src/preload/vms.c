// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libtdxsim-preload.so: the environment's options and the VMs.
 *
 * What tdxsim adds on the way through ioctl, from the TDXSIM_* environment
 * `tdxsim exec` sets (TDXSIM_KERNEL, TDXSIM_WORKLOAD or TDXSIM_GUEST,
 * TDXSIM_SEED, TDXSIM_EXEC_REPORT): each VM gets the kernel profile when it
 * is made; at a TD's first KVM_TDX_INIT_VCPU the guest model is made for the
 * vCPUs created so far and attached to each; KVM_TDX_FINALIZE_VM records the
 * MRTD; a KVM_RUN whose guest has finished reports the TD powering off
 * (KVM_EXIT_SYSTEM_EVENT); at exit one line per VM goes to stderr and one
 * JSON line to the report file.
 */
#include "preload.h"

static struct vm *vms;
static unsigned int nr_vms;
pthread_mutex_t vm_lock = PTHREAD_MUTEX_INITIALIZER;

struct preload_opt opt = { .once = PTHREAD_ONCE_INIT };

static void opt_init(void)
{
	const char *s;

	opt.kernel = getenv("TDXSIM_KERNEL");
	opt.workload = getenv("TDXSIM_WORKLOAD");
	opt.guest_file = getenv("TDXSIM_GUEST");
	opt.report = getenv("TDXSIM_EXEC_REPORT");
	s = getenv("TDXSIM_SEED");
	opt.seed = s ? strtoull(s, NULL, 0) : 1;
	if (opt.guest_file && *opt.guest_file) {
		FILE *f = fopen(opt.guest_file, "re");
		size_t n = 0, cap = 0;
		char buf[4096];
		size_t got;

		if (!f) {
			fprintf(stderr, "tdxsim: guest program %s: %s\n",
				opt.guest_file, strerror(errno));
			return;
		}
		while ((got = fread(buf, 1, sizeof(buf), f)) > 0) {
			if (n + got + 1 > cap) {
				cap = (n + got + 1) * 2;
				opt.program = realloc(opt.program, cap);
				if (!opt.program)
					break;
			}
			memcpy(opt.program + n, buf, got);
			n += got;
			opt.program[n] = 0;
		}
		fclose(f);
	}
}

void options(void)
{
	pthread_once(&opt.once, opt_init);
}

/* ---- VMs and vCPUs ---- */

static struct vm *vm_of_fd(int canon)
{
	struct vm *vm;

	for (vm = vms; vm; vm = vm->next)
		if (vm->canon == canon && vm->owner == getpid())
			return vm;
	return NULL;
}

static struct vcpu *vcpu_of_fd(int canon, struct vm **vmp)
{
	struct vm *vm;
	unsigned int i;

	for (vm = vms; vm; vm = vm->next) {
		if (vm->owner != getpid())
			continue;
		for (i = 0; i < vm->nr_vcpus; i++)
			if (vm->vcpus[i] && vm->vcpus[i]->canon == canon) {
				if (vmp)
					*vmp = vm;
				return vm->vcpus[i];
			}
	}
	return NULL;
}

/* The descriptor @canon is gone: its VM or vCPU stays for the report. */
void vm_forget_fd(int canon)
{
	struct vcpu *vc;
	struct vm *vm;

	pthread_mutex_lock(&vm_lock);
	vm = vm_of_fd(canon);
	if (vm)
		vm->canon = -1;
	vc = vcpu_of_fd(canon, NULL);
	if (vc) {
		vc->canon = -1;
		vc->run = NULL;
	}
	pthread_mutex_unlock(&vm_lock);
}

void vm_created(int fd, unsigned long type)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	struct tdxsim_kernel k = { 0 };

	if (!vm)
		return;
	vm->canon = fd;
	vm->type = type;
	vm->owner = getpid();
	options();
	if (opt.kernel && *opt.kernel) {
		snprintf(k.name, sizeof(k.name), "%s", opt.kernel);
		if (TDXSIM_CALL(tdxsim_ioctl(fd, TDXSIM_SET_KERNEL, &k)) < 0)
			fprintf(stderr, "tdxsim: kernel profile '%s': %s\n",
				opt.kernel, strerror(errno));
	}
	memset(&k, 0, sizeof(k));
	if (TDXSIM_CALL(tdxsim_ioctl(fd, TDXSIM_GET_KERNEL, &k)) == 0)
		snprintf(vm->kernel, sizeof(vm->kernel), "%s", k.name);
	pthread_mutex_lock(&vm_lock);
	vm->id = nr_vms++;
	vm->next = vms;
	vms = vm;
	pthread_mutex_unlock(&vm_lock);
}

void vcpu_created(int vm_fd, int fd)
{
	struct vcpu *vc;
	struct vm *vm;
	void *run;

	pthread_mutex_lock(&vm_lock);
	vm = vm_of_fd(vm_fd);
	if (!vm || vm->nr_vcpus >= MAX_VCPUS) {
		pthread_mutex_unlock(&vm_lock);
		return;
	}
	vc = calloc(1, sizeof(*vc));
	if (!vc) {
		pthread_mutex_unlock(&vm_lock);
		return;
	}
	vc->canon = fd;
	vc->vm = vm;
	vc->index = vm->nr_vcpus;
	vm->vcpus[vm->nr_vcpus++] = vc;
	pthread_mutex_unlock(&vm_lock);

	/* kvm_run is the memory itself (a direct mapping of the vCPU fd). */
	run = TDXSIM_CALL(tdxsim_mmap(NULL, sizeof(struct kvm_run),
				      PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
	if (run != MAP_FAILED)
		vc->run = run;
}

/*
 * The first KVM_TDX_INIT_VCPU of a TD: make the guest model for the vCPUs
 * created so far and attach it to each, before their INIT_VCPU (tdxsim
 * takes a guest only before it). Returns 0 or -1 with errno set.
 */
static int attach_guest(struct vm *vm)
{
	struct tdxsim_guest_config cfg;
	unsigned int i;
	int r;

	if (vm->guest || vm->guest_error[0])
		return vm->guest ? 0 : (errno = EINVAL, -1);
	options();
	tdxsim_guest_config_init(&cfg);
	cfg.nr_vcpus = vm->nr_vcpus;
	cfg.seed = opt.seed;
	cfg.ram_from_hob = true;
	if (opt.program) {
		cfg.program = opt.program;
		cfg.program_name = opt.guest_file;
	} else {
		cfg.workload = opt.workload && *opt.workload ? opt.workload :
							       "lazy-accept";
	}
	r = TDXSIM_CALL(tdxsim_guest_create(&cfg, &vm->guest, vm->guest_error,
					    sizeof(vm->guest_error)));
	if (r) {
		if (!vm->guest_error[0])
			snprintf(vm->guest_error, sizeof(vm->guest_error),
				 "%s", strerror(-r));
		fprintf(stderr, "tdxsim: the guest of VM %u: %s\n", vm->id,
			vm->guest_error);
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < vm->nr_vcpus; i++) {
		struct tdxsim_guest g = {
			.ops = tdxsim_guest_ops(),
			.guest = tdxsim_guest_vcpu(vm->guest, i),
		};

		if (vm->vcpus[i]->canon < 0)
			continue;
		if (TDXSIM_CALL(tdxsim_ioctl(vm->vcpus[i]->canon,
					     TDXSIM_SET_GUEST, &g)) == 0)
			vm->vcpus[i]->guest_attached = true;
	}
	return 0;
}

/* Read the program's struct kvm_tdx_cmd at @arg without faulting. */
static bool read_tdx_cmd(unsigned long arg, struct kvm_tdx_cmd *cmd)
{
	struct iovec local = { cmd, sizeof(*cmd) };
	struct iovec remote = { (void *)arg, sizeof(*cmd) };

	return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) ==
	       (ssize_t)sizeof(*cmd);
}

/* Before a vCPU's KVM_MEMORY_ENCRYPT_OP. */
int vcpu_encrypt_op(int canon, unsigned long arg)
{
	struct kvm_tdx_cmd cmd;
	struct vm *vm = NULL;
	struct vcpu *vc;
	int r = 0;

	if (!read_tdx_cmd(arg, &cmd) || cmd.id != KVM_TDX_INIT_VCPU)
		return 0;
	pthread_mutex_lock(&vm_lock);
	vc = vcpu_of_fd(canon, &vm);
	if (vc && vm->type == KVM_X86_TDX_VM)
		r = attach_guest(vm);
	pthread_mutex_unlock(&vm_lock);
	return r;
}

/* After a VM's successful KVM_MEMORY_ENCRYPT_OP. */
void vm_encrypt_op_done(int canon, unsigned long arg)
{
	struct kvm_tdx_cmd cmd;
	struct tdxsim_mrtd m;
	struct vm *vm;

	if (!read_tdx_cmd(arg, &cmd) || cmd.id != KVM_TDX_FINALIZE_VM)
		return;
	if (TDXSIM_CALL(tdxsim_ioctl(canon, TDXSIM_GET_MRTD, &m)) < 0)
		return;
	pthread_mutex_lock(&vm_lock);
	vm = vm_of_fd(canon);
	if (vm) {
		vm->finalized = true;
		memcpy(vm->mrtd, m.mrtd, sizeof(vm->mrtd));
		vm->mrtd_valid = true;
	}
	pthread_mutex_unlock(&vm_lock);
}

/*
 * After KVM_RUN: count the exit; a guest that finished powers the TD off.
 */
void vcpu_run_done(int canon, int r, int err)
{
	struct tdxsim_guest_vcpu_status st;
	struct vm *vm = NULL;
	struct vcpu *vc;
	struct kvm_run *run;

	pthread_mutex_lock(&vm_lock);
	vc = vcpu_of_fd(canon, &vm);
	pthread_mutex_unlock(&vm_lock);
	if (!vc || !vc->run)
		return;
	run = vc->run;
	vc->runs++;
	/*
	 * A shared access that faults again and again although the program
	 * converted the page to shared: the memory behind the GPA (the
	 * memslot's userspace_addr) is not readable memory of the program.
	 * Say so once instead of spinning silently.
	 */
	if (r < 0 && err == EFAULT && run->exit_reason == KVM_EXIT_MEMORY_FAULT &&
	    !(run->memory_fault.flags & KVM_MEMORY_EXIT_FLAG_PRIVATE)) {
		if (run->memory_fault.gpa == vc->fault_gpa) {
			if (++vc->fault_repeats == 10000 && !vc->fault_noted) {
				vc->fault_noted = true;
				fprintf(stderr, "tdxsim: VM %u vCPU %u: the guest's shared access to GPA 0x%llx faults again and again: the memslot's memory there is not readable memory of the program\n",
					vm->id, vc->index,
					(unsigned long long)run->memory_fault.gpa);
			}
		} else {
			vc->fault_gpa = run->memory_fault.gpa;
			vc->fault_repeats = 0;
		}
	} else if (r == 0) {
		vc->fault_repeats = 0;
	}
	if (run->exit_reason == KVM_EXIT_HLT && vc->guest_attached && vm->guest &&
	    tdxsim_guest_vcpu_status(vm->guest, vc->index, &st) == 0 &&
	    st.halted) {
		run->exit_reason = KVM_EXIT_SYSTEM_EVENT;
		memset(&run->system_event, 0, sizeof(run->system_event));
		run->system_event.type = st.failed ? KVM_SYSTEM_EVENT_CRASH :
						     KVM_SYSTEM_EVENT_SHUTDOWN;
	}
	if (run->exit_reason < 64)
		vc->exits[run->exit_reason]++;
}

/* ---- the report ---- */

static void report_vm(FILE *f, struct vm *vm)
{
	struct tdxsim_guest_stats gs;
	uint64_t runs = 0, exits[64] = { 0 };
	unsigned int i, j;
	bool first = true;

	for (i = 0; i < vm->nr_vcpus; i++) {
		runs += vm->vcpus[i]->runs;
		for (j = 0; j < 64; j++)
			exits[j] += vm->vcpus[i]->exits[j];
	}
	fprintf(f, "{\"pid\": %d, \"vm\": %u, \"type\": %lu, \"kernel\": \"%s\", "
		"\"vcpus\": %u, \"finalized\": %s, \"mrtd\": ",
		(int)vm->owner, vm->id, vm->type, vm->kernel, vm->nr_vcpus,
		vm->finalized ? "true" : "false");
	if (vm->mrtd_valid) {
		fputc('"', f);
		for (i = 0; i < 48; i++)
			fprintf(f, "%02x", vm->mrtd[i]);
		fputc('"', f);
	} else {
		fputs("null", f);
	}
	fprintf(f, ", \"kvm_runs\": %" PRIu64 ", \"exits\": {", runs);
	for (j = 0; j < 64; j++) {
		if (!exits[j])
			continue;
		fprintf(f, "%s\"%u\": %" PRIu64, first ? "" : ", ", j, exits[j]);
		first = false;
	}
	fputs("}, \"guest\": ", f);
	if (vm->guest && tdxsim_guest_get_stats(vm->guest, TDXSIM_GUEST_ALL_VCPUS,
						&gs) == 0) {
		fprintf(f, "{\"finished\": %s, \"data_failures\": %" PRIu64
			", \"accepts_4k\": %" PRIu64 ", \"accepts_2m\": %" PRIu64
			", \"bytes_verified\": %" PRIu64 ", \"errors\": %" PRIu64
			", \"reports\": %" PRIu64 ", \"quotes\": %" PRIu64
			", \"device_writes\": %" PRIu64 "}",
			tdxsim_guest_finished(vm->guest) ? "true" : "false",
			tdxsim_guest_data_failures(vm->guest), gs.accepts_4k,
			gs.accepts_2m, gs.bytes_verified, gs.errors, gs.reports,
			gs.quotes, gs.device_writes);
	} else {
		fputs("null", f);
	}
	fputs("}\n", f);
}

/* One line per VM on stderr: what `tdxsim exec` shows. */
static void summary_vm(struct vm *vm)
{
	uint64_t runs = 0;
	char mrtd[97] = "-";
	unsigned int i;

	for (i = 0; i < vm->nr_vcpus; i++)
		runs += vm->vcpus[i]->runs;
	if (vm->mrtd_valid)
		for (i = 0; i < 48; i++)
			snprintf(mrtd + 2 * i, 3, "%02x", vm->mrtd[i]);
	fprintf(stderr, "tdxsim: VM %u (%s, kernel %s, %u vCPU%s): MRTD %s; %"
		PRIu64 " KVM_RUN; guest %s",
		vm->id, vm->type == KVM_X86_TDX_VM ? "TDX" : "not TDX",
		vm->kernel, vm->nr_vcpus, vm->nr_vcpus == 1 ? "" : "s", mrtd,
		runs, !vm->guest ? "not run" :
		      tdxsim_guest_finished(vm->guest) ? "finished" :
							 "did not finish");
	if (vm->guest)
		fprintf(stderr, ", %" PRIu64 " data failures",
			tdxsim_guest_data_failures(vm->guest));
	fputc('\n', stderr);
}

__attribute__((destructor)) static void preload_exit(void)
{
	const char *quiet = getenv("TDXSIM_QUIET");
	struct vm *vm;
	FILE *f = NULL;
	int fd;

	options();
	if (!vms)
		return;
	in_tdxsim++;
	pthread_mutex_lock(&vm_lock);
	if (opt.report && *opt.report) {
		fd = REAL(open)(opt.report,
				O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		f = fd >= 0 ? fdopen(fd, "a") : NULL;
		if (fd >= 0 && !f)
			REAL(close)(fd);
	}
	for (vm = vms; vm; vm = vm->next) {
		if (vm->owner != getpid())
			continue;
		if (f)
			report_vm(f, vm);
		if (!quiet || !*quiet)
			summary_vm(vm);
	}
	pthread_mutex_unlock(&vm_lock);
	if (f)
		fclose(f);
	in_tdxsim--;
}

