#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Every kernel profile a seed scenario names, run: `tdxsim scenario --list`
# gives each scenario's "before" profile and its "upstream" ones (the first
# and the others that have the patch); the scenario must fail (exit status 1)
# in the before profile and pass (0) in each upstream one. The list comes
# from the scenarios themselves, so a profile added to one is run here
# without editing the build.
#
#   check_named_profiles.py TDXSIM
import re
import subprocess
import sys

tdxsim = sys.argv[1]
listing = subprocess.run([tdxsim, "scenario", "--list"], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, check=True).stdout
runs = []
name = None
for line in listing.splitlines():
    if line and not line[0].isspace():
        name = line.split()[0]
        continue
    m = re.match(r"\s+before (\S+); upstream ([^;]+)", line)
    if not m or not name:
        continue
    runs.append((name, m.group(1), 1))
    for kernel in m.group(2).split(","):
        runs.append((name, kernel.strip(), 0))
    name = None

if len({r[0] for r in runs}) < 5:
    print(f"check_named_profiles: found only {runs} in:\n{listing}")
    sys.exit(1)
failed = 0
for name, kernel, want in runs:
    p = subprocess.run([tdxsim, "scenario", name, "--kernel", kernel],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, errors="replace")
    verdict = "ok" if p.returncode == want else "FAILED"
    print(f"{verdict}: {name} --kernel {kernel}: exit status {p.returncode}"
          f" (expected {want})")
    if p.returncode != want:
        failed += 1
        sys.stdout.write(p.stdout[-3000:])
print(f"{len(runs) - failed} of {len(runs)} profile runs as expected")
sys.exit(1 if failed else 0)
