#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Run a tdxsim command and check its exact exit status and that its output
# (stdout and stderr together) contains each given text, so a crash or an
# unrelated failure cannot pass for the expected one.
#
#   check_cli.py STATUS TEXT[;TEXT...] -- COMMAND [ARGS...]
import subprocess
import sys

status = int(sys.argv[1])
texts = [t for t in sys.argv[2].split(";") if t]
cmd = sys.argv[sys.argv.index("--") + 1:]
p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                   text=True, errors="replace")
ok = p.returncode == status
missing = [t for t in texts if t not in p.stdout]
if not ok or missing:
    sys.stdout.write(p.stdout[-4000:])
    print(f"check_cli: exit status {p.returncode} (expected {status}); "
          f"missing text: {missing}")
    sys.exit(1)
print(f"ok: exit status {status}, found {texts}")
