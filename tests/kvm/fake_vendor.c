// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Test-only vendor: fills kvm_x86_ops from tdx_hardware_setup() with a
 * minimal TD state machine (see fake_vendor.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ulib/strbuf.h"
#include "fake_vendor.h"
#include "host/misc.h"
#include "host/mm.h"
#include "kvm/kvm_host.h"

enum { FAKE_TD_UNINIT, FAKE_TD_INIT, FAKE_TD_RUNNABLE };

struct fake_td {
	int state;
};

unsigned long fake_vendor_kicks;

/* Both symbols of the real vendor's interface. */
int tdx_hardware_setup(void);

static struct fake_td *to_td(struct kvm *kvm)
{
	return kvm->arch.vendor;
}

static int fake_vm_init(struct kvm *kvm)
{
	kvm->arch.vendor = xzalloc(sizeof(struct fake_td));
	kvm->max_vcpus = 64;
	return 0;
}

static void fake_vm_destroy(struct kvm *kvm)
{
	free(kvm->arch.vendor);
	kvm->arch.vendor = NULL;
}

static int fake_vcpu_precreate(struct kvm *kvm)
{
	return to_td(kvm)->state == FAKE_TD_UNINIT ? -EIO : 0;
}

static int fake_vcpu_create(struct kvm_vcpu *vcpu)
{
	return 0;
}

static void fake_vcpu_free(struct kvm_vcpu *vcpu)
{
}

static int fake_vcpu_run(struct kvm_vcpu *vcpu)
{
	const struct fake_guest_ops *ops = vcpu->guest_ops;
	int r;

	if (!kvm_vcpu_enter_guest_mode(vcpu))
		return 1;
	for (;;) {
		/*
		 * Like hardware, a running guest leaves only when kicked (the
		 * IPI: the kicker moved the mode to EXITING_GUEST_MODE); a
		 * request alone is seen at the next entry.
		 */
		if (READ_ONCE(vcpu->mode) == EXITING_GUEST_MODE) {
			r = 1;
			break;
		}
		if (!ops || !ops->step) {
			vcpu->run->exit_reason = KVM_EXIT_SHUTDOWN;
			r = 0;
			break;
		}
		r = ops->step(vcpu->guest, vcpu->run);
		if (r <= 0)
			break;
		cpu_relax();
	}
	kvm_vcpu_exit_guest_mode(vcpu);
	return r;
}

static int fake_mem_enc_ioctl(struct kvm *kvm, void *argp)
{
	struct fake_td *td = to_td(kvm);
	struct kvm_tdx_cmd cmd;
	int r = 0;

	if (copy_from_user(&cmd, argp, sizeof(cmd)))
		return -EFAULT;
	if (cmd.hw_error)
		return -EINVAL;

	mutex_lock(&kvm->lock);
	switch (cmd.id) {
	case KVM_TDX_INIT_VM:
		if (td->state != FAKE_TD_UNINIT || cmd.flags) {
			r = -EINVAL;
			break;
		}
		/* GPAW 48: the shared bit is GPA bit 47. */
		WRITE_ONCE(kvm->arch.gfn_direct_bits, 1ULL << (47 - PAGE_SHIFT));
		td->state = FAKE_TD_INIT;
		break;
	case KVM_TDX_FINALIZE_VM:
		if (td->state != FAKE_TD_INIT) {
			r = -EINVAL;
			break;
		}
		td->state = FAKE_TD_RUNNABLE;
		smp_store_release(&kvm->arch.pre_fault_allowed, true);
		break;
	default:
		r = -EINVAL;
		break;
	}
	mutex_unlock(&kvm->lock);
	return r;
}

static int fake_vcpu_mem_enc_unlocked_ioctl(struct kvm_vcpu *vcpu, void *argp)
{
	struct kvm_tdx_cmd cmd;

	if (copy_from_user(&cmd, argp, sizeof(cmd)))
		return -EFAULT;
	if (cmd.id != KVM_TDX_INIT_VCPU)
		return -ENOIOCTLCMD;
	if (cmd.flags || cmd.hw_error)
		return -EINVAL;
	return 0;
}

static int fake_vcpu_mem_enc_ioctl(struct kvm_vcpu *vcpu, void *argp)
{
	return -EINVAL;
}

static long fake_tdxsim_vm_ioctl(struct kvm *kvm, unsigned int ioctl,
				 void *argp)
{
	struct tdxsim_mrtd mrtd;

	if (ioctl != TDXSIM_GET_MRTD)
		return -ENOTTY;
	if (to_td(kvm)->state != FAKE_TD_RUNNABLE)
		return -EINVAL;
	memset(mrtd.mrtd, 0x5d, sizeof(mrtd.mrtd));
	return copy_to_user(argp, &mrtd, sizeof(mrtd)) ? -EFAULT : 0;
}

static void fake_kick_all_vcpus(struct kvm *kvm)
{
	__atomic_fetch_add(&fake_vendor_kicks, 1, __ATOMIC_RELAXED);
}

int tdx_hardware_setup(void)
{
	kvm_x86_ops = (struct kvm_x86_ops) {
		.name = "fake-tdx",
		.vm_init = fake_vm_init,
		.vm_destroy = fake_vm_destroy,
		.vcpu_precreate = fake_vcpu_precreate,
		.vcpu_create = fake_vcpu_create,
		.vcpu_free = fake_vcpu_free,
		.vcpu_run = fake_vcpu_run,
		.mem_enc_ioctl = fake_mem_enc_ioctl,
		.vcpu_mem_enc_ioctl = fake_vcpu_mem_enc_ioctl,
		.vcpu_mem_enc_unlocked_ioctl = fake_vcpu_mem_enc_unlocked_ioctl,
		.kick_all_vcpus = fake_kick_all_vcpus,
		.tdxsim_vm_ioctl = fake_tdxsim_vm_ioctl,
	};
	return 0;
}

/* The test program's initcalls: the core KVM with this vendor. */
const struct initcall tdxsim_initcalls[] = {
	{ "vt_init", vt_init },
	{ NULL, NULL },
};
