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
        if ok == 0 and bad == 0 and res == "OK":
            ok = 1
        passed += ok
        failed += bad
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
