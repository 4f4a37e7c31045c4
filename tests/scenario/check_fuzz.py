#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Checks of `tdxsim fuzz` from its JSON lines (issue 14), never from its text:
#
#   check_fuzz.py replay TDXSIM PROGRAM
#       The shrunk program of a seed bug (tests/fuzz/seeds/) is small (at
#       most 3 tasks and 10 operations) and, replayed, fails with the
#       signature its "# failure:" line names (if its recorded schedule
#       went stale, some schedule with at most 2 preemptions must).
#   check_fuzz.py find KIND REGEX -- TDXSIM fuzz ARGS...
#       A fuzz campaign (fixed --seed, bounded --programs) finds a failure
#       of kind KIND whose signature matches REGEX. --json, --no-progress
#       and --out (a temporary directory) are added.
#   check_fuzz.py shards DEPS N TDXSIM ARGS...
#       N shards run with GNU parallel (`parallel`; DEPS, scripts/deps.sh,
#       installs Debian's package when it is missing) give, merged, the
#       programs, failures, schedules and digest of one unsharded run.
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile


def fail(msg, out=""):
    sys.stdout.write(out[-3000:])
    print(f"check_fuzz: {msg}")
    sys.exit(1)


def json_lines(text):
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            yield json.loads(line)


def program_size(text):
    tasks = ops = 0
    section = None
    for line in text.splitlines():
        words = line.split("#")[0].split()
        if not words:
            continue
        if words[0] == "setup":
            section = "setup"
        elif words[0] == "task":
            section = "task"
            tasks += 1
        elif section:
            ops += 1
    return tasks, ops


def replay(tdxsim, prog):
    text = open(prog).read()
    m = re.search(r"^# failure: (.+)$", text, re.M)
    if not m:
        fail(f"{prog} has no '# failure:' line")
    want = m.group(1).strip()
    tasks, ops = program_size(text)
    if tasks > 3 or ops > 10:
        fail(f"{prog}: {tasks} tasks and {ops} operations (at most 3 and 10)")
    p = subprocess.run([tdxsim, "fuzz", "--replay", prog, "--json"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, errors="replace")
    res = [j for j in json_lines(p.stdout) if j.get("type") == "replay"]
    if p.returncode not in (0, 1) or len(res) != 1:
        fail(f"exit status {p.returncode}, {len(res)} replay lines", p.stdout)
    if p.returncode != 1 or not res[0]["failed"] or \
       res[0]["signature"] != want:
        # A recorded choice list names schedule points: a change that adds
        # or moves one shifts it. The program must then still fail that
        # way within two preemptions (and its file wants the new list).
        b = subprocess.run([tdxsim, "fuzz", "--replay", prog, "--json",
                            "--no-progress", "--strategy", "bounded",
                            "--preemptions", "2"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, errors="replace")
        ex = [j for j in json_lines(b.stdout) if j.get("type") == "explore"]
        if len(ex) != 1 or not ex[0]["found"] or ex[0]["signature"] != want:
            fail(f"replay: failed={res[0]['failed']} signature "
                 f"'{res[0]['signature']}' (expected '{want}'), and no "
                 f"schedule with at most 2 preemptions shows it", p.stdout)
        print(f"# {os.path.basename(prog)}: its schedule no longer fails; "
              f"'schedule replay {ex[0]['choices']}' does (update the file)")
    print(f"ok: {os.path.basename(prog)}: {tasks} tasks, {ops} operations, "
          f"fails with '{want}'")


def find(kind, regex, cmd):
    out = tempfile.mkdtemp(prefix="tdxsim-fuzz-")
    try:
        p = subprocess.run(cmd + ["--json", "--no-progress", "--out", out],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, errors="replace")
    finally:
        shutil.rmtree(out, ignore_errors=True)
    found = [j for j in json_lines(p.stdout) if j.get("type") == "failure"
             and j["kind"] == kind and re.search(regex, j["signature"])]
    summary = [j for j in json_lines(p.stdout) if j.get("type") == "summary"]
    if p.returncode != 1 or not found or len(summary) != 1:
        fail(f"exit status {p.returncode} (expected 1); no {kind} failure "
             f"matching '{regex}'", p.stdout)
    print(f"ok: program {found[0]['program']}: {found[0]['signature']}")


def summary_of(text):
    s = [j for j in json_lines(text) if j.get("type") == "summary"]
    if len(s) != 1:
        fail(f"{len(s)} summary lines", text)
    return s[0]


def shards(deps, n, cmd):
    if not shutil.which("parallel"):
        subprocess.run([deps, "parallel"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    if not shutil.which("parallel"):
        print("ok # SKIP GNU parallel is not installed (scripts/deps.sh)")
        sys.exit(77)
    one = subprocess.run(cmd + ["--json", "--no-progress"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True, errors="replace")
    whole = summary_of(one.stdout)
    # GNU parallel runs the shards (here on one machine; with -S on many),
    # each printing its JSON lines; --line-buffer keeps lines whole.
    par = subprocess.run(["parallel", "--will-cite", "--line-buffer",
                          "-j", str(n)] + cmd +
                         ["--json", "--no-progress", "--shard", "{}/" + str(n),
                          ":::"] + [str(i) for i in range(n)],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True, errors="replace")
    parts = [j for j in json_lines(par.stdout) if j.get("type") == "summary"]
    if len(parts) != n or sorted(j["shard"] for j in parts) != list(range(n)):
        fail(f"{len(parts)} shard summaries for {n} shards", par.stdout)
    digest = 0
    for j in parts:
        digest ^= int(j["digest"], 16)
    merged = {k: sum(j[k] for j in parts)
              for k in ("programs", "failures", "schedules")}
    merged["digest"] = f"{digest:016x}"
    for k, v in merged.items():
        if whole[k] != v:
            fail(f"merged {k} {v} != one run's {whole[k]}", par.stdout)
    if par.returncode != (1 if whole["failures"] else 0) and \
       not (whole["failures"] and par.returncode > 0):
        fail(f"parallel exit status {par.returncode}", par.stdout)
    print(f"ok: {n} shards merged = one run: {merged}")


def main():
    a = sys.argv[1:]
    if a[0] == "replay":
        replay(a[1], a[2])
    elif a[0] == "find":
        find(a[1], a[2], a[a.index("--") + 1:])
    elif a[0] == "shards":
        shards(a[1], int(a[2]), a[3:])
    else:
        fail(f"unknown mode {a[0]}")


main()
