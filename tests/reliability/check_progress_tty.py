#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The progress lines need a terminal (issue 12).

`tdxsim fuzz` and `tdxsim run` draw a progress line on stderr when (and
only when) stderr is a terminal: each redraw is "\\r\\033[K" followed by the
line, and the line is cleared ("\\r\\033[K" with nothing after it) before the
result is printed. This test opens a pseudo-terminal for stderr and checks
both; with stderr a pipe, no "\\r" may appear. Where no pty can be opened it
skips, saying why (TAP SKIP).

Usage: check_progress_tty.py TDXSIM
"""
import os
import select
import subprocess
import sys

CLEAR = b"\r\033[K"


def run_on_pty(argv, env):
    """Run argv with stderr on a new pty; return (status, stdout, pty bytes)."""
    master, slave = os.openpty()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=slave, env=env)
    os.close(slave)
    out = bytearray()
    while True:
        r, _, _ = select.select([master], [], [], 0.5)
        if r:
            try:
                data = os.read(master, 65536)
            except OSError:		# EIO: the child closed its side
                break
            if not data:
                break
            out += data
        elif proc.poll() is not None:
            break
    stdout = proc.stdout.read()
    proc.wait()
    os.close(master)
    return proc.returncode, stdout, bytes(out)


def check_drawn_and_cleared(name, err, prefix):
    """Lines drawn after \\r\\033[K start with prefix; the last one is cleared."""
    parts = err.split(CLEAR)
    drawn = [p for p in parts[1:] if p.startswith(prefix)]
    problems = []
    if not drawn:
        problems.append("no progress line drawn")
    # The last redraw must be followed by a clear: the text after the last
    # CLEAR must not be a progress line.
    if parts and parts[-1].startswith(prefix):
        problems.append("the progress line was left on the terminal")
    # Whatever follows the last clear is a whole line, not a fragment.
    tail = parts[-1] if len(parts) > 1 else b""
    if tail and not tail.endswith(b"\n"):
        problems.append("output after the clear ends mid-line: %r" % tail[-40:])
    return drawn, problems


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    tdxsim = sys.argv[1]
    try:
        m, s = os.openpty()
        os.close(m)
        os.close(s)
    except OSError as e:
        print("1..0 # SKIP no pseudo-terminal can be opened here: %s" % e)
        return 0
    env = dict(os.environ)
    env["TDXSIM_PROGRESS_MS"] = "10"
    cases = [
        ("fuzz", [tdxsim, "fuzz", "--programs", "300", "--seed", "7"],
         b"fuzz: "),
        ("run", [tdxsim, "run", "--vcpus", "2", "--memory", "64M"], b"["),
    ]
    print("1..%d" % (2 * len(cases)))
    n = 0
    failed = False
    for name, argv, prefix in cases:
        n += 1
        status, stdout, err = run_on_pty(argv, env)
        drawn, problems = check_drawn_and_cleared(name, err, prefix)
        if status != 0:
            problems.append("exit status %d" % status)
        if problems:
            failed = True
            print("not ok %d - %s: progress on a terminal: %s" %
                  (n, name, "; ".join(problems)))
            sys.stdout.write("".join("# %s\n" % l for l in
                             err.decode(errors="replace").splitlines()[-5:]))
        else:
            print("ok %d - %s: %d progress redraws on a terminal, cleared"
                  " at the end" % (n, name, len(drawn)))
        n += 1
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env=env)
        if b"\r" in proc.stderr or proc.returncode != 0:
            failed = True
            print("not ok %d - %s: no progress line into a pipe (status %d)" %
                  (n, name, proc.returncode))
        else:
            print("ok %d - %s: no progress line into a pipe" % (n, name))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
