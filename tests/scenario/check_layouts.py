#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A replay must not depend on the process's address layout (issue 14):
# run a tdxsim --json command under several layouts and check that they
# agree on data: the exit status, the JSON output without its timings,
# and the schedule trace (TDXSIM_SCHED_TRACE: its SHA-256, its runs'
# step counts), which must not be empty. The layouts:
#   plain   as started
#   shim    LD_PRELOAD=SHIM (layout_shim.c): every address-only mmap() of
#           2M or more one page past a 2M boundary (valgrind, kernels
#           before 6.7); the shim must report that it moved some
#   heap    every malloc() an mmap() (MALLOC_MMAP_THRESHOLD_=0), the heap
#           top padded, and 64K more environment (the stack moves)
#   norand  ASLR off (setarch -R), where the system allows it
#
#   check_layouts.py SHIM -- COMMAND [ARGS...]
import hashlib
import json
import os
import subprocess
import sys
import tempfile

TIMING_KEYS = {"seconds", "report"}


def strip(o):
    """The JSON data without timings (and the report, which prints them)."""
    if isinstance(o, dict):
        return {k: strip(v) for k, v in o.items() if k not in TIMING_KEYS}
    if isinstance(o, list):
        return [strip(v) for v in o]
    return o


def parse_json(text):
    try:
        return [strip(json.loads(text))]
    except ValueError:
        return [strip(json.loads(line)) for line in text.splitlines()
                if line.strip()]


def trace_data(path):
    """SHA-256 of the schedule trace and each run's step count."""
    with open(path, "rb") as f:
        raw = f.read()
    steps = [int(line.split(b", ")[1].split()[0])
             for line in raw.splitlines() if line.startswith(b"run ")]
    return hashlib.sha256(raw).hexdigest(), steps


def setarch_works():
    try:
        return subprocess.run(["setarch", "-R", "true"],
                              stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL).returncode == 0
    except OSError:
        return False


shim = os.path.abspath(sys.argv[1])
cmd = sys.argv[sys.argv.index("--") + 1:]
asan = os.environ.get("ASAN_OPTIONS", "")
layouts = {
    "plain": ({}, []),
    "shim": ({"LD_PRELOAD": shim,
              # an ASan build: the shim comes before the ASan runtime
              "ASAN_OPTIONS": (asan + ":" if asan else "") +
              "verify_asan_link_order=0"}, []),
    "heap": ({"MALLOC_MMAP_THRESHOLD_": "0",
              "MALLOC_TOP_PAD_": str(64 << 20),
              "LAYOUT_PAD": "x" * 65536}, []),
}
if setarch_works():
    layouts["norand"] = ({}, ["setarch", "-R"])

runs = {}
errors = []
with tempfile.TemporaryDirectory() as tmp:
    report = os.path.join(tmp, "shim.report")
    for name, (env_add, prefix) in layouts.items():
        trace = os.path.join(tmp, name + ".trace")
        env = dict(os.environ, TDXSIM_SCHED_TRACE=trace,
                   LAYOUT_SHIM_REPORT=report, **env_add)
        p = subprocess.run(prefix + cmd, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True,
                           errors="replace", env=env)
        if not os.path.exists(trace):
            errors.append(f"{name}: no schedule trace was written")
            continue
        try:
            out = parse_json(p.stdout)
        except ValueError:
            errors.append(f"{name}: the output is not JSON")
            continue
        runs[name] = (p.returncode, out) + trace_data(trace)
    try:
        with open(report) as f:
            moved = len(f.readlines())
    except OSError:
        moved = 0
    if not moved:
        errors.append("the layout shim moved no mapping (not preloaded?)")

ref_name = "plain"
ref = runs.get(ref_name)
if ref and not sum(ref[3]):
    errors.append("the schedule trace has no steps")
for name, run in runs.items():
    if not ref or name == ref_name:
        continue
    what = [w for w, a, b in (("exit status", ref[0], run[0]),
                              ("JSON output", ref[1], run[1]),
                              ("schedule trace", ref[2], run[2]))
            if a != b]
    if what:
        errors.append(f"{name} differs from {ref_name} in "
                      f"{', '.join(what)} (steps {run[3][:8]} vs "
                      f"{ref[3][:8]})")
if errors:
    print("check_layouts: " + "; ".join(errors))
    sys.exit(1)
print(f"ok: {len(runs)} layouts ({', '.join(runs)}), exit status {ref[0]}, "
      f"{len(ref[3])} runs, {sum(ref[3])} steps, trace {ref[2][:16]}, "
      f"shim moved {moved} mappings")
