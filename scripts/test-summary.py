#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Count the test cases that `meson test` ran, from its testlog.json files:
# every TAP "ok"/"not ok" line of every test program is one case, and a
# program that died without reporting its cases counts as one failure.
# Prints "N passed, N failed" and exits non-zero if anything failed.
import json
import re
import sys

passed = failed = 0
reports = []
for path in sys.argv[1:]:
    try:
        lines = open(path).read().splitlines()
    except OSError as e:
        print(f"test-summary: cannot read {path}: {e}", file=sys.stderr)
        failed += 1
        continue
    for line in lines:
        if not line.strip():
            continue
        t = json.loads(line)
        out = t.get("stdout") or ""
        ok = len(re.findall(r"^ok \d+", out, re.M))
        bad = len(re.findall(r"^not ok \d+", out, re.M))
        res = t.get("result", "")
        if res not in ("OK", "EXPECTEDFAIL", "SKIP") and bad == 0:
            bad = 1
        if res not in ("OK", "EXPECTEDFAIL", "SKIP"):
            reports.append((t.get("name", "?"), t.get("stderr") or ""))
        if ok == 0 and bad == 0 and res == "OK":
            ok = 1
        passed += ok
        failed += bad
# A failed program's sanitizer report (its head) or last lines of stderr,
# so that a log showing only the tail of a run still names the cause.
SAN = re.compile(r"^(WARNING: ThreadSanitizer|==\d+==ERROR: |.*runtime error: )",
                 re.M)
for name, err in reports[:6]:
    m = SAN.search(err)
    lines = err[m.start():].splitlines()[:40] if m else err.splitlines()[-15:]
    print(f"--- {name}: " + ("sanitizer report" if m else "stderr tail"))
    for l in lines:
        print("  " + l[:200])
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
