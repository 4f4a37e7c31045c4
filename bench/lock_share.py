#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Share of tdxsim's private-fault path spent in locks, lockdep, RCU and
schedule points (issue 15, item 7), from a perf profile.

    bench/lock_share.py [--build build] [--perf-data FILE] [-- tdxsim run args]

Without --perf-data it records one itself:
    perf record -e cpu-clock -F 4000 --call-graph dwarf \
        build/tools/tdxsim run --memory 1G --vcpus 1 --workload eager-accept

A sample belongs to the fault path when its call chain contains
tdx_handle_ept_violation (the private EPT-violation exit, everything under
it: the TDP MMU, guest_memfd, the S-EPT SEAMCALLs). It counts as lock
overhead when the chain also contains a function of src/base/lock.c,
lockdep*.c, rcu.c or rcu_urcu.c, one of the scheduler's schedule-point
hooks, or liburcu: the wrapper and the primitive under it, inclusive.
Not a test: a measurement printed for bench/README.md.
"""
import argparse
import os
import subprocess
import sys
import tempfile

FAULT_ROOT = "tdx_handle_ept_violation"
BASE_FILES = ("lock.c.o", "lockdep.c.o", "lockdep_graph.c.o",
              "lockdep_report.c.o", "lockdep_stats.c.o", "rcu.c.o",
              "rcu_urcu.c.o")
SCHED_HOOKS = {
    "__sched_point", "cpu_relax", "sched_task_is_deterministic",
    "sched_wake_obj", "sched_block_on", "sched_rcu_reader_done",
    "sched_wait_rcu_readers", "sched_current_task_implicit", "sched_hang_timeout_ms",
    "sched_mode",
}


def lock_symbols(build):
    lib = os.path.join(build, "src", "base", "libtdxsim_base.a")
    out = subprocess.run(["nm", "--defined-only", lib], check=True,
                         capture_output=True, text=True).stdout
    syms, cur = set(SCHED_HOOKS), None
    for line in out.splitlines():
        if line.endswith(".o:"):
            cur = os.path.basename(line[:-1])
            continue
        f = line.split()
        if cur in BASE_FILES and len(f) == 3 and f[1] in "Tt":
            syms.add(f[2])
    return syms


def is_lock(sym, syms):
    return sym in syms or sym.startswith("urcu_memb_")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--perf-data")
    ap.add_argument("--freq", default="4000")
    ap.add_argument("args", nargs="*")
    a = ap.parse_args()
    syms = lock_symbols(a.build)
    tmp = None
    data = a.perf_data
    if not data:
        tmp = tempfile.mkdtemp(prefix="lock_share.")
        data = os.path.join(tmp, "perf.data")
        args = a.args or ["run", "--memory", "1G", "--vcpus", "1",
                          "--workload", "eager-accept", "--no-progress"]
        subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-F",
                        a.freq, "--call-graph", "dwarf,16384", "-o", data,
                        os.path.join(a.build, "tools", "tdxsim")] + args,
                       check=True, stdout=subprocess.DEVNULL)
    script = subprocess.run(["perf", "script", "-i", data, "-F", "ip,sym"],
                            check=True, capture_output=True, text=True,
                            errors="replace").stdout
    total = fault = locked = user = user_locked = 0
    by_entry = {}
    for block in script.split("\n\n"):
        lines = [l.split() for l in block.strip().splitlines()]
        lines = [l for l in lines if len(l) >= 2]
        frames = [l[1] for l in lines]
        if not frames:
            continue
        total += 1
        if FAULT_ROOT not in frames:
            continue
        fault += 1
        in_user = not lines[0][0].startswith("ffffffff")
        user += in_user
        # The outermost lock frame below the fault root names the entry.
        entry = None
        for f in frames[:frames.index(FAULT_ROOT)]:
            if is_lock(f, syms):
                entry = f
        if entry:
            locked += 1
            user_locked += in_user
            by_entry[entry] = by_entry.get(entry, 0) + 1
    if tmp:
        os.remove(data)
        os.rmdir(tmp)
    if not fault:
        print("no sample under %s" % FAULT_ROOT)
        return 1
    print("samples: %d in the process, %d on the private fault path (%s)"
          % (total, fault, FAULT_ROOT))
    print("locks, lockdep, RCU and schedule points: %d samples, %.1f%% of the fault path"
          % (locked, 100.0 * locked / fault))
    print("  user-space samples only (no kernel page clearing): %.1f%% of %d"
          % (100.0 * user_locked / max(user, 1), user))
    for k, v in sorted(by_entry.items(), key=lambda kv: -kv[1])[:12]:
        print("  %-32s %5.1f%%" % (k, 100.0 * v / fault))
    return 0


if __name__ == "__main__":
    sys.exit(main())
