#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Run a tdxsim command on the deterministic scheduler's two back ends
# (TDXSIM_SCHED_BACKEND=fiber and =thread) and check that they agree: the
# same exit status, the same output apart from timings, and byte-identical
# schedule traces (TDXSIM_SCHED_TRACE), which must not be empty.
#
#   check_backends.py -- COMMAND [ARGS...]
import os
import re
import subprocess
import sys
import tempfile

cmd = sys.argv[sys.argv.index("--") + 1:]
timing = re.compile(r"[0-9.]+ ?(ms|s)\b")
runs = {}
with tempfile.TemporaryDirectory() as tmp:
    for backend in ("fiber", "thread"):
        trace = os.path.join(tmp, backend + ".trace")
        env = dict(os.environ, TDXSIM_SCHED_BACKEND=backend,
                   TDXSIM_SCHED_TRACE=trace)
        p = subprocess.run(cmd, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True,
                           errors="replace", env=env)
        with open(trace, encoding="utf-8", errors="replace") as f:
            runs[backend] = (p.returncode, timing.sub("T", p.stdout),
                             f.read())

(fs, fo, ft), (ts, to, tt) = runs["fiber"], runs["thread"]
errors = []
if fs != ts:
    errors.append(f"exit status {fs} on fibers, {ts} on threads")
if fo != to:
    errors.append("the outputs differ")
if not ft.count("\n") > 10:
    errors.append("no schedule trace was written")
if ft != tt:
    fl, tl = ft.splitlines(), tt.splitlines()
    n = next((i for i in range(min(len(fl), len(tl))) if fl[i] != tl[i]),
             min(len(fl), len(tl)))
    errors.append(f"the traces differ from line {n + 1}: "
                  f"{fl[n] if n < len(fl) else 'EOF'!r} vs "
                  f"{tl[n] if n < len(tl) else 'EOF'!r}")
if errors:
    sys.stdout.write(fo[-2000:])
    print("check_backends: " + "; ".join(errors))
    sys.exit(1)
print(f"ok: exit status {fs}, {ft.count(chr(10))} trace lines identical")
