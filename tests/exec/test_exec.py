#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""tdxsim exec from the outside: unmodified /dev/kvm programs (their own
uAPI header, plain system calls) under the preload library; exit statuses
for a missing or statically linked program. Speaks TAP.
Usage: test_exec.py TDXSIM FDPROBE STATIC|-"""

import os
import subprocess
import sys
import tempfile
import time

TDXSIM, FDPROBE, STATIC = sys.argv[1:4]
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
