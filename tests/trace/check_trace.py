#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Checks of `--trace FILE` (the Chrome JSON trace-event file Perfetto opens):
#
#   check_trace.py run TDXSIM [ARGS...]
#       tdxsim run ARGS --json --trace F: F parses as JSON; on every track
#       the "B"/"E" events balance and the slices ("B"/"E" and "X") nest;
#       per-track timestamps never go back; every SEAMCALL the run's report
#       counts (per leaf, calls and BUSY answers: the TD's counts the VMM
#       read) is a slice of the trace, before that read.
#       With --mode deterministic, a second run writes the same bytes, and
#       an untraced run passes the same number of schedule points.
#   check_trace.py cmd STATUS TDXSIM ARGS...
#       any command with --trace F: exit status STATUS and a valid F;
#       cmd-busy: with a BUSY SEAMCALL (every BUSY call is in red, cname
#       "terrible", and named with its status, "LEAF: TDX_OPERAND_BUSY").
#   check_trace.py bad TDXSIM ARGS...
#       --trace into a missing directory: exit status 2, one error on
#       stderr (and the pointer to --help), nothing on stdout.
import collections
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict


def fail(msg):
    print(f"not ok - {msg}")
    sys.exit(1)


def validate(path):
    """Check the file's structure; return its parsed events."""
    try:
        with open(path) as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        fail(f"{path}: not a JSON trace: {e}")
    events = doc.get("traceEvents")
    if not isinstance(events, list) or not events:
        fail(f"{path}: no traceEvents")
    tracks = defaultdict(list)
    names = {}
    for e in events:
        ph = e.get("ph")
        if ph not in ("B", "E", "X", "i", "C", "M"):
            fail(f"unexpected phase {ph!r}: {e}")
        if ph == "M":
            if e["name"] == "thread_name":
                names[(e["pid"], e["tid"])] = e["args"]["name"]
            continue
        if not isinstance(e.get("ts"), (int, float)):
            fail(f"event without a timestamp: {e}")
        if ph == "C":
            continue
        tracks[(e["pid"], e["tid"])].append(e)
    nslices = 0
    for key, evs in tracks.items():
        label = f"track {key} ({names.get(key, '?')})"
        last = None
        stack = []      # end times of the open slices
        for e in evs:
            ts = e["ts"]
            if last is not None and ts < last:
                fail(f"{label}: time goes back: {last} then {e}")
            last = ts
            # Slices that ended by now are closed ("X" has its end).
            while stack and stack[-1] is not None and stack[-1] <= ts:
                stack.pop()
            ph = e["ph"]
            if ph == "B":
                stack.append(None)
                nslices += 1
            elif ph == "E":
                while stack and stack[-1] is not None:
                    if stack[-1] > ts:
                        fail(f"{label}: an X slice outlives its parent at {ts}")
                    stack.pop()
                if not stack:
                    fail(f"{label}: an E without its B at {ts}")
                stack.pop()
            elif ph == "X":
                end = ts + e["dur"]
                for s in stack:
                    if s is not None and end > s:
                        fail(f"{label}: X {e['name']} at {ts} overlaps "
                             "its parent's end")
                stack.append(end)
                nslices += 1
        if any(s is None for s in stack):
            fail(f"{label}: {sum(s is None for s in stack)} B without E")
    if not names:
        fail("no named tracks")
    for e in events:
        # BUSY: red where colour hints count, named so in Perfetto.
        if e["ph"] == "X" and e.get("args", {}).get("busy") and \
           (e.get("cname") != "terrible" or "BUSY" not in e["name"]):
            fail(f"a BUSY call not in red or not named BUSY: {e}")
    print(f"# {path}: {len(events)} events, {len(tracks)} tracks, "
          f"{nslices} slices")
    return events


def seamcalls(events):
    """
    SEAMCALL slices accounted to a TD before the VMM read the TD's counts
    (its last TDXSIM_GET_TD_STATS ioctl; teardown comes after): calls and
    BUSY answers by leaf.
    """
    calls, busy = Counter(), Counter()
    reads = [e["ts"] for e in events
             if e["ph"] == "B" and e["name"] == "TDXSIM_GET_TD_STATS"]
    if not reads:
        fail("no TDXSIM_GET_TD_STATS ioctl in the trace")
    for e in events:
        if e["ph"] == "X" and e["name"].startswith("TDH.") and \
           e["ts"] < reads[-1]:
            leaf = e["args"]["leaf"]
            if not e["name"].startswith(leaf):
                fail(f"slice {e['name']!r} of leaf {leaf}")
            if e["args"]["td"]:
                calls[leaf] += 1
                if e["args"]["busy"]:
                    busy[leaf] += 1
    return calls, busy


def run(tdxsim, args, trace):
    cmd = [tdxsim] + args + ["--trace", trace]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, errors="replace")
    return p


def check_run(tdxsim, args):
    tmp = tempfile.mkdtemp(prefix="tdxsim-trace-")
    trace = os.path.join(tmp, "run.json")
    p = run(tdxsim, ["run"] + args + ["--json"], trace)
    if p.returncode != 0:
        fail(f"tdxsim run exit {p.returncode}: {p.stderr[-2000:]}")
    rep = json.loads(p.stdout)
    events = validate(trace)
    calls, busy = seamcalls(events)
    want_calls = {k: v["calls"] for k, v in rep["seamcalls"].items()}
    want_busy = {k: v["busy"] for k, v in rep["seamcalls"].items()
                 if v["busy"]}
    if dict(calls) != want_calls:
        fail(f"SEAMCALL slices {dict(calls)} != report {want_calls}")
    if dict(busy) != want_busy:
        fail(f"BUSY slices {dict(busy)} != report {want_busy}")
    print(f"ok - {sum(calls.values())} SEAMCALLs of the report are slices")
    kinds = {e["name"] for e in events if e["ph"] in ("B", "X", "i")}
    for want in ("KVM_RUN", "TDH.VP.ENTER", "TD exit"):
        if want not in kinds:
            fail(f"no {want!r} event")
    counters = {e["name"] for e in events if e["ph"] == "C"}
    for want in ("private pages mapped", "module-owned pages"):
        if want not in counters:
            fail(f"no {want!r} counter")
    print("ok - ioctls, SEAMCALLs, TD exits and counters are there")
    # Pages mapped per level, private (S-EPT) and shared (direct root):
    # never below zero; a workload with shared accesses maps shared 4K pages.
    top = collections.Counter()
    for e in events:
        if e["ph"] != "C" or not e["name"].endswith("pages mapped"):
            continue
        for series, v in e["args"].items():
            if v < 0:
                fail(f"{e['name']!r} {series} went to {v}")
            top[(e["name"], series)] = max(top[(e["name"], series)], v)
    if "random" in args or "convert-churn" in args:
        if not top[("shared pages mapped", "4K")]:
            fail("no shared 4K page mapped in a workload with shared accesses")
        print(f"ok - up to {top[('shared pages mapped', '4K')]} shared 4K "
              "pages mapped, never below zero")
    if "deterministic" in args:
        trace2 = os.path.join(tmp, "again.json")
        p = run(tdxsim, ["run"] + args + ["--json"], trace2)
        with open(trace, "rb") as a, open(trace2, "rb") as b:
            if a.read() != b.read():
                fail("the same seed wrote a different trace")
        if not any(e["ph"] == "B" and e["pid"] > 1 and e["tid"] == 1
                   for e in events):
            fail("no schedule track")
        print("ok - the same seed writes the same trace")
        # Tracing takes no schedule point: the run is the untraced one.
        p = subprocess.run([tdxsim, "run"] + args + ["--json"],
                           stdout=subprocess.PIPE, text=True)
        plain = json.loads(p.stdout)
        if plain["schedule_points"] != rep["schedule_points"]:
            fail(f"traced: {rep['schedule_points']} schedule points, "
                 f"untraced {plain['schedule_points']}")
        print(f"ok - traced or not, the seed runs the same "
              f"{plain['schedule_points']} schedule points")


def check_cmd(status, tdxsim, args, busy=False):
    tmp = tempfile.mkdtemp(prefix="tdxsim-trace-")
    trace = os.path.join(tmp, "cmd.json")
    p = run(tdxsim, args, trace)
    if p.returncode != status:
        fail(f"exit status {p.returncode}, expected {status}: "
             f"{p.stderr[-2000:]}")
    events = validate(trace)
    if not any(e["ph"] == "X" and e["name"].startswith("TDH.")
               for e in events):
        fail("no SEAMCALL slice")
    if busy and not any(e["ph"] == "X" and e["args"].get("busy")
                        for e in events):
        fail("no BUSY SEAMCALL in the trace")
    print(f"ok - {' '.join(args)}: exit {status}, a valid trace"
          f"{' with BUSY in red' if busy else ''}")
    return events


def check_bad(tdxsim, args):
    trace = "/nonexistent-tdxsim-dir/sub/t.json"
    p = run(tdxsim, args, trace)
    # The error, and the usage errors' pointer to --help.
    lines = [l for l in p.stderr.splitlines()
             if l.strip() and not l.startswith("Try ")]
    if p.returncode != 2 or p.stdout or len(lines) != 1 or \
       "--trace" not in lines[0]:
        fail(f"exit {p.returncode}, stdout {p.stdout!r}, "
             f"stderr {p.stderr!r}")
    print(f"ok - {args[0]} --trace in a missing directory: exit 2, "
          f"one line: {lines[0]}")


def main():
    what = sys.argv[1]
    if what == "run":
        check_run(sys.argv[2], sys.argv[3:])
    elif what in ("cmd", "cmd-busy"):
        check_cmd(int(sys.argv[2]), sys.argv[3], sys.argv[4:],
                  what == "cmd-busy")
    elif what == "bad":
        check_bad(sys.argv[2], sys.argv[3:])
    else:
        fail(f"unknown check {what}")


if __name__ == "__main__":
    main()
