#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""tdxsim exec from the outside: unmodified /dev/kvm programs (their own
uAPI header, plain system calls) under the preload library; exit statuses
for a missing or statically linked program. Speaks TAP.
Usage: test_exec.py TDXSIM FDPROBE TDVMM GMEMPROBE STATIC|-"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time

TDXSIM, FDPROBE, TDVMM, GMEMPROBE, STATIC = sys.argv[1:6]
OVMF = "/usr/share/ovmf/OVMF.fd"
NO_OVMF = None if os.path.exists(OVMF) else \
    "%s is not installed (Debian's ovmf package; scripts/deps.sh)" % OVMF
results = []


def run(*args, timeout=300, env=None):
    p = subprocess.run(list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL, env=env)
    return p.returncode, p.stdout, p.stderr


def case(name, skip=None):
    def wrap(fn):
        if skip:
            results.append((None, name, skip))
            return fn
        t0 = time.monotonic()
        try:
            fn()
            results.append((True, name, ""))
        except Exception as e:
            results.append((False, name, "%s: %s" % (type(e).__name__, e)))
        print("# %-70s %.1f s" % (name, time.monotonic() - t0))
        return fn
    return wrap


def one_line_error(rc, err, status):
    assert rc == status, "exit %d, wanted %d; stderr %r" % (rc, status, err)
    lines = [l for l in err.splitlines() if l.strip()]
    assert len(lines) == 1, "wanted one line on stderr: %r" % err


@case("a missing program: exit 2, one line")
def _():
    rc, out, err = run(TDXSIM, "exec", "--", "/nonexistent/vmm")
    one_line_error(rc, err, 2)
    rc, out, err = run(TDXSIM, "exec", "no-such-vmm-in-path")
    one_line_error(rc, err, 2)


@case("a statically linked program: exit 2, one line",
      skip=None if STATIC != "-" else "no static C library to link one")
def _():
    rc, out, err = run(TDXSIM, "exec", "--", STATIC)
    one_line_error(rc, err, 2)


@case("usage errors exit 2")
def _():
    for args in (["exec"], ["exec", "--kernel", "v1.0", "--", FDPROBE],
                 ["exec", "--workload", "nope", "--", FDPROBE],
                 ["exec", "--workload", "random", "--guest", "x", FDPROBE],
                 ["exec", "--bogus", FDPROBE]):
        rc, out, err = run(TDXSIM, *args)
        assert rc == 2, "%s: exit %d: %s" % (args, rc, err)


@case("descriptors: /dev/kvm twice, dup, fcntl, read, poll, fork")
def _():
    rc, out, err = run(TDXSIM, "exec", "--quiet", "--", FDPROBE)
    assert rc == 0, "exit %d: %s%s" % (rc, out, err)


@case("the program's exit status passes through")
def _():
    rc, out, err = run(TDXSIM, "exec", "--", "sh", "-c", "exit 7")
    assert rc == 7, "exit %d: %s" % (rc, err)


# In a sanitizer build too: tdxsim exec lets the preload's SIGSEGV handler
# and the program's in past the ASan runtime (allow_user_segv_handler=1).
@case("guest_memfd in-place: a shared page is mapped (loads, stores, two "
      "mappings, gone on conversion and punch), a private page touched "
      "through the mmap is SIGBUS (BUS_ADRERR, si_addr), the program's "
      "SIGSEGV kept, munmap() of part of a mapping splits it, a poisoned "
      "page is SIGBUS BUS_MCEERR_AR, and BUS_MCEERR_AO at the failure with "
      "prctl(PR_MCE_KILL_EARLY)")
def _():
    rc, out, err = run(TDXSIM, "exec", "--quiet", "--kernel",
                       "next+gmem-inplace", "--", GMEMPROBE)
    assert rc == 0, "exit %d: %s%s" % (rc, out, err)
    # vm.memory_failure_early_kill: a thread with no policy is early.
    rc, out, err = run(TDXSIM, "exec", "--quiet", "--kernel",
                       "next+gmem-inplace", "--memory-failure-early-kill",
                       "--", GMEMPROBE, "--sysctl")
    assert rc == 0, "--sysctl: exit %d: %s%s" % (rc, out, err)
    # The early-kill thread is not the one that ran the memory failure.
    rc, out, err = run(TDXSIM, "exec", "--quiet", "--kernel",
                       "next+gmem-inplace", "--", GMEMPROBE, "--thread")
    assert rc == 0, "--thread: exit %d: %s%s" % (rc, out, err)
    # SIGBUS at its default action, or blocked: the process dies of it.
    for arg in ("--die", "--blocked"):
        rc, out, err = run(TDXSIM, "exec", "--quiet", "--kernel",
                           "next+gmem-inplace", "--", GMEMPROBE, arg)
        assert rc == 128 + signal.SIGBUS or rc == -signal.SIGBUS, \
            "%s: exit %d: %s%s" % (arg, rc, out, err)


def exec_vmm(*vmm_args, exec_args=(), status=0, guest=None):
    """tdxsim exec the test VMM on OVMF.fd (with guest program text
    @guest); its report's one VM and its stdout."""
    with tempfile.TemporaryDirectory() as d:
        report = os.path.join(d, "report.json")
        if guest is not None:
            prog = os.path.join(d, "guest.prog")
            with open(prog, "w") as f:
                f.write(guest)
            exec_args = tuple(exec_args) + ("--guest", prog)
        rc, out, err = run(TDXSIM, "exec", "--report", report, *exec_args,
                           "--", TDVMM, *vmm_args, OVMF)
        assert rc == status, "exit %d: %s%s" % (rc, out, err)
        with open(report) as f:
            vms = [json.loads(l) for l in f if l.strip()]
    assert len(vms) == 1, "report: %r" % vms
    return vms[0], out


# vCPU 0 gets a TD report (TDG.MR.REPORT) and hands it to the VMM in a
# shared GetQuote buffer (KVM_EXIT_TDX); tdvmm prints the report's MRTD.
QUOTE = """vcpu 0
accept 0x4000000 2M
report 0x4000000
mapgpa shared 0x4200000 2M
quote %s0x4200000 8K
"""


@case("a TD VMM in QEMU's order: MRTD equals tdxsim measure's, guest runs",
      skip=NO_OVMF)
def _():
    rc, out, err = run(TDXSIM, "measure", OVMF)
    assert rc == 0, err
    want = out.strip()
    vm, out = exec_vmm("--vcpus", "2")
    assert vm["type"] == 5 and vm["finalized"], vm
    assert vm["mrtd"] == want, "MRTD %s, tdxsim measure %s" % (vm["mrtd"], want)
    # Every vCPU ended on the TD's power-off (KVM_EXIT_SYSTEM_EVENT, 24).
    assert vm["vcpus"] == 2 and vm["exits"].get("24") == 2, vm
    assert vm["guest"]["finished"] and not vm["guest"]["data_failures"], vm
    assert vm["guest"]["accepts_2m"] + vm["guest"]["accepts_4k"] > 0, vm


@case("attestation: the VMM reads MRTD from the TD's report (GetQuote), "
      "equal to tdxsim measure's", skip=NO_OVMF)
def _():
    rc, out, err = run(TDXSIM, "measure", OVMF)
    assert rc == 0, err
    want = out.strip()
    vm, out = exec_vmm("--vcpus", "2", guest=QUOTE % "")
    assert vm["guest"]["reports"] == 1 and vm["guest"]["quotes"] == 1, vm
    assert vm["guest"]["finished"] and not vm["guest"]["errors"], vm
    got = [l.split(": ")[-1] for l in out.splitlines()
           if l.startswith("tdvmm: MRTD from the TD's report: ")]
    assert got == [want], "tdvmm printed %r, tdxsim measure %s" % (got, want)


@case("attestation: a private GetQuote buffer is INVALID_OPERAND, the "
      "guest stops", skip=NO_OVMF)
def _():
    # The guest's crash ends tdvmm with status 1 (it wants a shutdown).
    vm, out = exec_vmm("--vcpus", "1", guest=QUOTE % "private ", status=1)
    assert vm["guest"]["reports"] == 1 and vm["guest"]["quotes"] == 0, vm
    assert vm["guest"]["errors"] == 1 and not vm["guest"]["finished"], vm


@case("shared memory is the VMM's anonymous memory: convert-churn and "
      "random under exec", skip=NO_OVMF)
def _():
    for w in ("convert-churn", "random"):
        vm, out = exec_vmm("--vcpus", "2", exec_args=("--workload", w))
        g = vm["guest"]
        assert g["finished"] and not g["data_failures"], (w, vm)
        assert vm["exits"].get("24") == 2, (w, vm)


PRIVATE_TO_SHARED = """vcpu 0
accept 0x4000000 4K
write 0x4000000 4K
mapgpa shared 0x4000000 4K
read shared 0x4000000 4K
"""
SHARED_ROUND_TRIP = """vcpu 0
mapgpa shared 0x4000000 4K
write shared 0x4000000 4K
mapgpa private 0x4000000 4K
mapgpa shared 0x4000000 4K
"""


def scanned(out):
    """tdvmm --inplace: (pages read after conversions to shared, nonzero
    bytes in them)."""
    for l in out.splitlines():
        if l.startswith("tdvmm: pages converted to shared: "):
            f = l.split(": ")[-1].split()
            return int(f[0]), int(f[2])
    return None


@case("guest_memfd in-place conversion: the VMM's shared memory is the "
      "guest_memfd's own mapping, read and written directly (GetQuote's "
      "TDREPORT, convert-churn; what the TD had private reads as zero)",
      skip=NO_OVMF)
def _():
    rc, out, err = run(TDXSIM, "measure", OVMF)
    assert rc == 0, err
    want = out.strip()
    inplace = ("--kernel", "next+gmem-inplace")
    # The guest writes its TDREPORT into a shared page; tdvmm loads it
    # through its guest_memfd mapping and stores the GetQuote status there.
    vm, out = exec_vmm("--vcpus", "2", "--inplace", exec_args=inplace,
                       guest=QUOTE % "")
    assert vm["kernel"] == "next+gmem-inplace", vm
    assert vm["guest"]["quotes"] == 1 and vm["guest"]["finished"], vm
    got = [l.split(": ")[-1] for l in out.splitlines()
           if l.startswith("tdvmm: MRTD from the TD's report: ")]
    assert got == [want], "tdvmm printed %r, tdxsim measure %s" % (got, want)
    vm, out = exec_vmm("--vcpus", "2", "--inplace",
                       exec_args=inplace + ("--workload", "convert-churn"))
    g = vm["guest"]
    assert g["finished"] and not g["data_failures"], vm
    assert vm["exits"].get("24") == 2, vm
    assert scanned(out)[0] > 0 and scanned(out)[1] == 0, out
    # A page the guest wrote private and converted to shared reads as zero
    # through the VMM's mapping; one it wrote shared, converted to private
    # without accepting and back keeps its bytes (in place).
    vm, out = exec_vmm("--vcpus", "1", "--inplace", exec_args=inplace,
                       guest=PRIVATE_TO_SHARED)
    assert vm["guest"]["finished"], vm
    assert scanned(out) == (1, 0), out
    vm, out = exec_vmm("--vcpus", "1", "--inplace", exec_args=inplace,
                       guest=SHARED_ROUND_TRIP)
    assert scanned(out)[0] == 2 and scanned(out)[1] > 0, out


# Port and MMIO writes (the guest's TDG.VP.VMCALL<Instruction.IO> and
# <#VE.RequestMMIO>): the ones an ioeventfd matches signal its eventfd
# without an exit; tdvmm counts the signals and the exits.
IO = """vcpu 0
pio 0xcfc 0x12345678
pio 0xcfc 1 size=2
pio 0x80 0x55 size=1
mmio 0xfeb00000 7
mmio 0xfeb00000 8
"""


@case("ioeventfd and irqfd: matching port and MMIO writes signal the VMM's "
      "eventfds instead of exiting; a signalled irqfd is injected", skip=NO_OVMF)
def _():
    vm, out = exec_vmm("--vcpus", "1", guest=IO)
    assert vm["guest"]["device_writes"] == 5 and vm["guest"]["finished"], vm
    want = ("tdvmm: ioeventfd signals: port 0xcfc 1, MMIO 0xfeb00000 1; "
            "exits: port 2, MMIO 1")
    assert want in out.splitlines(), "wanted %r in %r" % (want, out)
    # The irqfd tdvmm signalled before KVM_RUN was read by KVM (injected).
    want = "tdvmm: irqfd GSI 25: 0 signal left (KVM consumes it when it injects)"
    assert want in out.splitlines(), "wanted %r in %r" % (want, out)


@case("a VMM that forks (the child closes its descriptors) and uses four "
      "vCPU threads, on another kernel profile", skip=NO_OVMF)
def _():
    vm, out = exec_vmm("--vcpus", "4", "--fork",
                       exec_args=("--kernel", "v6.16", "--workload",
                                  "eager-accept"))
    assert vm["kernel"] == "v6.16" and vm["vcpus"] == 4, vm
    assert vm["exits"].get("24") == 4, vm
    assert vm["guest"]["finished"] and not vm["guest"]["data_failures"], vm


for i, (ok, name, why) in enumerate(results, 1):
    if ok is None:
        print("ok %d - %s # SKIP %s" % (i, name, why))
    elif ok:
        print("ok %d - %s" % (i, name))
    else:
        print("not ok %d - %s" % (i, name))
        for line in why.splitlines():
            print("# " + line)
print("1..%d" % len(results))
sys.exit(0 if all(ok is not False for ok, _, _ in results) else 1)
