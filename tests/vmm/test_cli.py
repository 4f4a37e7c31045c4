#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The tdxsim command from the outside: exit statuses (0 ok, 1 failure,
2 usage), error messages, --help, the JSON reports (they parse and say what
the run did), the deterministic mode's replay, --compare, and measure's MRTD.
Speaks TAP. Usage: test_cli.py PATH/TO/tdxsim"""

import json
import os
import pty
import re
import subprocess
import sys
import tempfile
import time

TDXSIM = sys.argv[1]
OVMF_FD = "/usr/share/ovmf/OVMF.fd"
OVMF_SINGLE = ("4c7206f0f483c524f12c366c711e9049030a8d47c471ee5aa9c4999a"
               "08de4057fb887fed0744d5631a212967fb231c47")
OVMF_TWO = ("acccbcc870a381adab0d3919d90a7f268ac3b0364771f202ed4bb4e892d0"
            "45b33db3b32e6924cba830a724eed443f7e1")

results = []


def tdxsim(*args, timeout=300, stdin=None):
    """Run tdxsim; a run past @timeout seconds (a hang) raises. @stdin: text
    fed through a pipe (default: /dev/null)."""
    p = subprocess.run([TDXSIM] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=timeout,
                       input=stdin,
                       stdin=subprocess.DEVNULL if stdin is None else None)
    return p.returncode, p.stdout, p.stderr


def case(name):
    def wrap(fn):
        t0 = time.monotonic()
        try:
            fn()
            results.append((True, name, ""))
        except Exception as e:  # an assertion or a crash of the check
            results.append((False, name, "%s: %s" % (type(e).__name__, e)))
        print("# %-70s %.1f s" % (name, time.monotonic() - t0))
        return fn
    return wrap


def expect(rc, out, err, status, pattern=None, where="stderr"):
    assert rc == status, "exit %d, wanted %d; stderr: %s" % (rc, status, err)
    if pattern:
        text = err if where == "stderr" else out
        assert re.search(pattern, text), \
            "%s lacks /%s/: %r" % (where, pattern, text[:2000])


@case("usage errors exit 2 and name the problem")
def _():
    usage = [
        ([], r"usage: tdxsim"),
        (["bogus"], r"unknown command 'bogus'"),
        (["--bogus"], r"unknown option '--bogus'"),
        (["run", "--bogus"], r"tdxsim run: unknown option '--bogus'"),
        (["run", "--vcpus", "0"], r"--vcpus 0: between 1 and 256"),
        (["run", "--vcpus", "2x"], r"--vcpus 2x"),
        (["run", "--memory", "3M"], r"--memory 3M: give a size that is a multiple of 2M"),
        (["run", "--memory"], r"option '--memory' needs a value"),
        (["run", "--design", "foo=bar"], r"unknown switch 'foo'"),
        (["run", "--design", "populate=maybe"], r"populate=maybe: the value must be decoupled\|gmem_cb\|map_pfn"),
        (["run", "--kernel", "v5.0"], r"unknown profile 'v5.0'"),
        (["run", "--kernel", "hugepage-rfc"], r"is an overlay: write it after a base"),
        (["run", "--kernel", "next+v6.16"], r"'v6.16' is not an overlay"),
        (["run", "--compare", "kernel=next,v9.9"], r"unknown profile 'v9.9'"),
        (["kernels", "--bogus"], r"unknown option"),
        (["kernels", "v1.0"], r"unknown profile 'v1.0'"),
        (["run", "--mode", "fast"], r"--mode fast: free or deterministic"),
        (["run", "--lockdep", "maybe"], r"--lockdep maybe: on or off"),
        (["run", "--strategy", "dfs"], r"--strategy dfs: random or pct"),
        (["run", "--seed", "x"], r"--seed x: a number"),
        (["run", "--ops", "0"], r"--ops 0"),
        (["run", "--accept", "1g"], r"--accept 1g"),
        (["run", "--compare", "gmem_hugepages=off"], r"give KEY=V1,V2"),
        (["run", "--compare", "gmem_hugepages=off,big"], r"the value must be off\|on"),
        (["run", "a.fd", "b.fd"], r"takes at most one IMAGE"),
        (["run", "--firmware", "a.fd", "b.fd"], r"either as IMAGE or with --firmware"),
        (["measure", "--mode", "free"], r"--mode is an option of .tdxsim run., not of measure"),
        (["measure", "--compare-hugepages"], r"--compare-hugepages is an option"),
        (["measure", "--measure-order", "three-pass"], r"single-pass or two-pass"),
        (["info", "--bogus"], r"unknown option"),
        (["help", "bogus"], r"unknown command 'bogus'"),
    ]
    for args, pattern in usage:
        rc, out, err = tdxsim(*args)
        assert rc == 2, "%s: exit %d, wanted 2 (%s)" % (args, rc, err)
        assert re.search(pattern, err), "%s: stderr %r lacks /%s/" % (
            args, err, pattern)


@case("--help for the command and each subcommand")
def _():
    rc, out, err = tdxsim("--help")
    expect(rc, out, err, 0, r"Commands:", "stdout")
    for cmd in ("info", "run", "measure", "help"):
        for form in ([cmd, "--help"], ["help", cmd]):
            rc, out, err = tdxsim(*form)
            expect(rc, out, err, 0, r"^usage: tdxsim %s" % cmd, "stdout")
    rc, out, err = tdxsim("run", "--help")
    for opt in ("--firmware", "--memory", "--vcpus", "--workload",
                "--guest", "--design", "--mode", "--seed", "--strategy",
                "--json", "--compare"):
        assert opt in out, "run --help lacks " + opt


@case("bad images and impossible launches exit 1 with the reason")
def _():
    with tempfile.TemporaryDirectory() as d:
        junk = os.path.join(d, "junk.fd")
        with open(junk, "wb") as f:
            f.write(b"\x5a" * 65536)
        empty = os.path.join(d, "empty.fd")
        open(empty, "wb").close()
        for cmd in ("run", "measure", "info"):
            rc, out, err = tdxsim(cmd, os.path.join(d, "missing.fd"))
            expect(rc, out, err, 1, r"missing\.fd: No such file")
            rc, out, err = tdxsim(cmd, junk)
            expect(rc, out, err, 1, r"TDVF: no OVMF GUID table")
            rc, out, err = tdxsim(cmd, empty)
            expect(rc, out, err, 1, r"empty")
            assert out == "", "no report for a refused image: %r" % out
    rc, out, err = tdxsim("run", "--memory", "4M")
    expect(rc, out, err, 1, r"TEMP_MEM\) at 0x810000\+0x10000 is not in guest RAM")
    assert out == ""


@case("run --json parses and describes a clean run")
def _():
    rc, out, err = tdxsim("run", "--memory", "32M", "--vcpus", "2", "--json")
    expect(rc, out, err, 0)
    assert err == "", "nothing on stderr off a terminal: %r" % err
    r = json.loads(out)
    assert r["ok"] is True and r["error"] == ""
    assert re.fullmatch(r"[0-9a-f]{96}", r["mrtd"])
    assert r["vcpus"] == 2 and r["memory"] == 32 << 20
    assert r["workload"] == "lazy-accept" and r["mode"] == "free"
    assert r["guest"]["finished"] is True
    assert r["guest"]["data_failures"] == 0
    assert r["invariant_errors"] == 0
    assert r["pages_owned_after"] == 0
    assert r["lockdep"]["reports"] == 0
    assert r["kvm_exits"] == {"KVM_EXIT_HLT": 2}
    sc = r["seamcalls"]
    accepted = r["guest"]["accepts_4k"] + 512 * r["guest"]["accepts_2m"]
    assert sc["TDH.MEM.PAGE.AUG"]["calls"] == accepted
    assert r["kvm"]["ept_violations"] == r["td_exits"]["EPT_VIOLATION"]
    assert r["seamcalls_total"] == sum(v["calls"] for v in sc.values())
    assert r["modelled_hw_ns"] > 0 and r["wall_ns"] > 0


@case("run --workload linux-boot: all RAM accepted once, the working set written and verified")
def _():
    rc, out, err = tdxsim("run", "--memory", "64M", "--vcpus", "2",
                          "--workload", "linux-boot", "--working-set", "6M",
                          "--kernel", "next+hugepage-rfc", "--json")
    expect(rc, out, err, 0)
    r = json.loads(out)
    g = r["guest"]
    assert g["finished"] is True and g["data_failures"] == 0
    assert g["already_accepted"] == 0
    # The TD HOB's unaccepted RAM, every page of it, and 2M where it can.
    assert g["accepts_2m"] > 0
    accepted = g["accepts_4k"] + 512 * g["accepts_2m"]
    assert r["seamcalls"]["TDH.MEM.PAGE.AUG"]["calls"] <= accepted
    assert accepted > (60 << 20) // 4096
    assert g["bytes_written"] == 6 << 20 and g["bytes_verified"] == 6 << 20
    assert r["pages_owned_after"] == 0
    # Host metadata per 4K page is counted; what stays after teardown is
    # the reserved first 2M block's and the 2M descriptors' (< 64 KiB).
    # struct page (16) and the module's PAMT entry (16).
    assert r["metadata_bytes_per_page"] == 32
    assert r["metadata_bytes_resident"] < 64 << 10
    assert r["run_ns"] > 0 and r["teardown_ns"] > 0


@case("run --working-set: bad sizes are usage errors")
def _():
    for bad in ("0", "5", "junk"):
        rc, out, err = tdxsim("run", "--workload", "linux-boot",
                              "--working-set", bad)
        expect(rc, out, err, 2, r"--working-set %s: a non-zero multiple of 4K" % bad)


@case("run --vcpus 200: every vcpu->mutex nests under kvm->lock, no hang")
def _():
    # The TDX VM-state guard takes kvm->lock, all vCPU mutexes and
    # slots_lock; without nest_lock the vCPU mutexes overflowed lockdep's
    # 48-slot held-lock stack and the run hung (issue 12, item 10).
    p = subprocess.run([TDXSIM, "run", "--vcpus", "200", "--memory", "64M",
                        "--json"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=120,
                       stdin=subprocess.DEVNULL)
    # 64M leaves most of 200 vCPUs no 2M range of RAM to accept: the guest
    # may report that it did not finish (exit 1); the VMM side must be clean.
    assert p.returncode in (0, 1), "exit %d: %s" % (p.returncode, p.stderr)
    r = json.loads(p.stdout)
    assert r["vcpus"] == 200 and r["kvm_run_calls"] >= 200
    assert r["ok"] or r["error"] == "the guest did not finish", r["error"]
    assert r["lockdep"]["reports"] == 0, p.stderr[:2000]
    assert r["invariant_errors"] == 0 and r["pages_owned_after"] == 0


@case("free mode: a task blocked on a lock it holds ends the run, no hang")
def _():
    # populate=gmem with gmem_locking=inflight takes the invalidate lock
    # for read while holding it for write (issue 12, item 10): lockdep
    # reports the recursion, the hung-task watchdog the wait (after its
    # default 10 s), and the run unwinds.
    p = subprocess.run([TDXSIM, "run", "--memory", "16M", "--design",
                        "populate=gmem,gmem_locking=inflight"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=120, stdin=subprocess.DEVNULL)
    expect(p.returncode, p.stdout, p.stderr, 1,
           r"tdxsim run: the run \(hung-task watchdog\) ended in a deadlock")
    assert "WARNING: possible recursive locking detected" in p.stderr
    assert re.search(r"INFO: task run/\d+ blocked for more than 10000 ms",
                     p.stderr), p.stderr[-2000:]


@case("run --lockdep off / TDXSIM_LOCKDEP=off: the report says so")
def _():
    rc, out, err = tdxsim("run", "--memory", "16M", "--json")
    expect(rc, out, err, 0)
    assert json.loads(out)["lockdep"]["state"] == "on"
    rc, out, err = tdxsim("run", "--memory", "16M", "--lockdep", "off",
                          "--json")
    expect(rc, out, err, 0)
    r = json.loads(out)
    assert r["lockdep"]["state"] == "off" and r["ok"] is True
    rc, out, err = tdxsim("run", "--memory", "16M", "--lockdep", "off")
    expect(rc, out, err, 0, r"Lock validator: off; 0 reports", "stdout")
    env = dict(os.environ, TDXSIM_LOCKDEP="off")
    p = subprocess.run([TDXSIM, "run", "--memory", "16M", "--json"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=120, env=env,
                       stdin=subprocess.DEVNULL)
    expect(p.returncode, p.stdout, p.stderr, 0)
    assert json.loads(p.stdout)["lockdep"]["state"] == "off"
    # --lockdep on overrides the environment.
    p = subprocess.run([TDXSIM, "run", "--memory", "16M", "--lockdep", "on",
                        "--json"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=120,
                       env=env, stdin=subprocess.DEVNULL)
    expect(p.returncode, p.stdout, p.stderr, 0)
    assert json.loads(p.stdout)["lockdep"]["state"] == "on"


@case("run text report names every part")
def _():
    rc, out, err = tdxsim("run", "--memory", "16M", "--workload",
                          "convert-churn", "--ops", "2", "--vcpus", "2")
    expect(rc, out, err, 0)
    for want in (r"Result: OK", r"MRTD: [0-9a-f]{96}", r"SEAMCALLs \(count, BUSY\)",
                 r"TDH.MEM.PAGE.AUG", r"exits to the VMM:.*KVM_EXIT_HLT 2",
                 r"conversions [1-9]", r"Invariant check: passed",
                 r"Teardown: the module owns 0 pages",
                 r"Lock validator: 0 reports", r"Modelled TDX hardware time",
                 r"Wall time: .* peak host pages"):
        assert re.search(want, out), "report lacks /%s/" % want


@case("deterministic mode: the same seed gives the same report")
def _():
    args = ["run", "--memory", "16M", "--vcpus", "2", "--workload", "random",
            "--ops", "30", "--mode", "deterministic", "--seed", "5", "--json"]
    runs = []
    for _ in range(2):
        rc, out, err = tdxsim(*args)
        expect(rc, out, err, 0)
        r = json.loads(out)
        for k in ("wall_ns", "build_ns", "run_ns", "teardown_ns",
                  "rss_bytes", "peak_rss_bytes", "metadata_bytes_resident"):
            del r[k]
        runs.append(r)
    assert runs[0] == runs[1]
    assert runs[0]["mode"] == "deterministic" and runs[0]["verdict"] == "ok"
    assert runs[0]["schedule_points"] > 0


@case("deterministic mode: the livelock bound grows with the TD")
def _():
    # More than the scheduler's default 2,000,000 schedule points.
    rc, out, err = tdxsim("run", "--memory", "160M", "--mode",
                          "deterministic", "--json")
    expect(rc, out, err, 0)
    r = json.loads(out)
    assert r["verdict"] == "ok" and r["schedule_points"] > 2000000
    # An explicit bound that is too small is a reported livelock.
    rc, out, err = tdxsim("run", "--memory", "16M", "--vcpus", "2", "--mode",
                          "deterministic", "--max-steps", "40000")
    expect(rc, out, err, 1, r"ended in a livelock \(seed 1\)")
    assert "Result: FAILED: the deterministic run ended in a livelock" in out


GUEST_OK = """# vCPU 0 converts a page back and forth, vCPU 1 only accepts.
vcpu 0
accept 0x200000 2M level=2m-fallback
write 0x200000 64K pattern=7
read 0x200000 64K
mapgpa shared 0x400000 2M
write shared 0x400000 4K pattern=3
read shared 0x400000 4K
mapgpa private 0x400000 2M
accept 0x400000 2M
read 0x400000 4K
vcpu 1
accept 0x600000 2M level=4k
halt
"""


@case("--guest FILE: a program runs; its errors name file, line, column")
def _():
    with tempfile.TemporaryDirectory() as d:
        ok = os.path.join(d, "ok.prog")
        with open(ok, "w") as f:
            f.write(GUEST_OK)
        rc, out, err = tdxsim("run", "--guest", ok, "--vcpus", "2",
                              "--memory", "16M", "--json")
        expect(rc, out, err, 0)
        r = json.loads(out)
        assert r["guest_program"] == ok and r["guest"]["finished"]
        assert r["guest"]["mapgpa"] == 2 and r["kvm"]["conversions"] >= 4
        assert r["guest"]["data_failures"] == 0
        bad = os.path.join(d, "bad.prog")
        with open(bad, "w") as f:
            f.write("accept 0x200000 2M level=1g\n")
        rc, out, err = tdxsim("run", "--guest", bad, "--memory", "16M")
        expect(rc, out, err, 1, re.escape(bad) + r":1:26: unknown accept level '1g'")
        # A 2M accept in a 4K-only TD with the strict policy stops the vCPU:
        # the report shows the guest's message.
        with open(bad, "w") as f:
            f.write("accept 0x200000 2M level=2m\n")
        rc, out, err = tdxsim("run", "--guest", bad, "--memory", "16M")
        expect(rc, out, err, 1, r"Result: FAILED: the guest did not finish", "stdout")
        assert re.search(r"messages:\nvcpu 0: TDG.MEM.PAGE.ACCEPT at GPA 0x200000 returned TDX_PAGE_SIZE_MISMATCH", out)
        rc, out, err = tdxsim("run", "--guest", os.path.join(d, "none"))
        expect(rc, out, err, 1, r"--guest .*none: No such file")


@case("--workload and --chunk values the guest cannot use are usage errors")
def _():
    for cmd in ("run", "measure"):
        rc, out, err = tdxsim(cmd, "--workload", "junk", timeout=30)
        expect(rc, out, err, 2, r"--workload junk: unknown workload \(known: lazy-accept, eager-accept, convert-churn, random, linux-boot\)")
    for chunk in ("3K", "2K", "3M", "0x1800"):
        rc, out, err = tdxsim("run", "--chunk", chunk, timeout=30)
        expect(rc, out, err, 2, r"--chunk %s: a power of two of at least 4K" % chunk)
    assert out == ""
    rc, out, err = tdxsim("run", "--chunk", "1M", "--memory", "16M",
                          timeout=60)
    expect(rc, out, err, 0, r"Result: OK", "stdout")


@case("firmware that is not a regular file is refused at once (a FIFO too)")
def _():
    with tempfile.TemporaryDirectory() as d:
        fifo = os.path.join(d, "fw.fifo")
        os.mkfifo(fifo)
        # Nobody writes the FIFO: opening it must not wait for a writer.
        for args in (["run", fifo], ["run", "--firmware", fifo],
                     ["measure", fifo], ["info", fifo]):
            rc, out, err = tdxsim(*args, timeout=30)
            expect(rc, out, err, 1, re.escape(fifo) + r": a FIFO, not a firmware image")
            assert out == ""
        rc, out, err = tdxsim("info", d, timeout=30)
        expect(rc, out, err, 1, re.escape(d) + r": a directory, not a firmware image")
    rc, out, err = tdxsim("run", "/dev/zero", timeout=30)
    expect(rc, out, err, 1, r"/dev/zero: a character device, not a firmware image")


@case("--guest: a directory, a device, a large or binary file is refused")
def _():
    with tempfile.TemporaryDirectory() as d:
        rc, out, err = tdxsim("run", "--guest", d, timeout=30)
        expect(rc, out, err, 1, r"--guest %s: a directory, not a program file" % re.escape(d))
        # /dev/zero never ends: refused before a byte is read.
        rc, out, err = tdxsim("run", "--guest", "/dev/zero", timeout=30)
        expect(rc, out, err, 1, r"--guest /dev/zero: a character device, not a program file")
        # At most 1 MiB of text: exactly 1 MiB runs, one byte more is refused.
        big = os.path.join(d, "big.prog")
        with open(big, "w") as f:
            f.write(("#" * 63 + "\n") * (1 << 14))
        rc, out, err = tdxsim("run", "--guest", big, "--memory", "16M",
                              timeout=60)
        expect(rc, out, err, 0, r"Result: OK", "stdout")
        with open(big, "a") as f:
            f.write("\n")
        rc, out, err = tdxsim("run", "--guest", big, timeout=30)
        expect(rc, out, err, 1, r"big\.prog: 1048577 bytes, more than the 1024 KiB a program may have")
        # A pipe is read up to the limit, not without end.
        rc, out, err = tdxsim("run", "--guest", "/dev/stdin", timeout=60,
                              stdin="#\n" * ((1 << 19) + 1))
        expect(rc, out, err, 1, r"/dev/stdin: more than the 1024 KiB a program may have")
        rc, out, err = tdxsim("run", "--guest", "/dev/stdin", "--memory",
                              "16M", "--json", timeout=60,
                              stdin="accept 0x200000 2M\nhalt\n")
        expect(rc, out, err, 0)
        r = json.loads(out)
        assert r["guest_program"] == "/dev/stdin" and r["guest"]["finished"]
        assert r["guest"]["accepts_4k"] + 512 * r["guest"]["accepts_2m"] == 512
        # Text only: a NUL byte would cut the program short unseen.
        nul = os.path.join(d, "nul.prog")
        with open(nul, "wb") as f:
            f.write(b"accept 0x200000 2M\n\0halt\n")
        rc, out, err = tdxsim("run", "--guest", nul, timeout=30)
        expect(rc, out, err, 1, r"nul\.prog: a NUL byte at offset 19: not program text")
        # A FIFO nobody writes reads as an empty program, without waiting.
        fifo = os.path.join(d, "prog.fifo")
        os.mkfifo(fifo)
        rc, out, err = tdxsim("run", "--guest", fifo, "--memory", "16M",
                              timeout=60)
        expect(rc, out, err, 0, r"Result: OK", "stdout")


@case("explore: seeds never wrap past 2^64-1; every replay command works")
def _():
    top = str(2**64 - 1)
    rc, out, err = tdxsim("explore", "populate-deadlock", "--first-seed",
                          top, timeout=30)
    expect(rc, out, err, 2, r"--first-seed %s with --schedules 1000 runs past the largest seed %s" % (top, top))
    assert out == ""
    rc, out, err = tdxsim("explore", "populate-deadlock", "--first-seed",
                          str(2**64 - 2), "--schedules", "3", timeout=30)
    expect(rc, out, err, 2, r"runs past the largest seed")
    rc, out, err = tdxsim("explore", "populate-deadlock", "--first-seed",
                          top, "--schedules", "1", "-q", timeout=120)
    expect(rc, out, err, 0, r"seeds %s\.\.%s" % (top, top), "stdout")
    # The before-design fails: the replay it prints is a valid command
    # that fails the same way with the same seed.
    rc, out, err = tdxsim("explore", "populate-deadlock", "--design",
                          "before", "--first-seed", str(2**64 - 2),
                          "--schedules", "2", "-x", "-q", timeout=120)
    expect(rc, out, err, 1)
    m = re.search(r"^replay: tdxsim (scenario .*)$", out, re.M)
    assert m, out[:2000]
    assert m.group(1).endswith("--seed %d" % (2**64 - 2)), m.group(1)
    rc, out, err = tdxsim(*m.group(1).split(), timeout=120)
    expect(rc, out, err, 1, r"strategy random, seed %d: deadlock" % (2**64 - 2), "stdout")
    rc, out, err = tdxsim("scenario", "populate-deadlock", "--seed", top,
                          timeout=120)
    expect(rc, out, err, 0, r"seed %s, strategy random: ok" % top, "stdout")
    rc, out, err = tdxsim("scenario", "populate-deadlock", "--seed",
                          str(2**64), timeout=30)
    expect(rc, out, err, 2, r"--seed needs a number >= 1")


def run_on_tty(*args):
    """Run tdxsim with stderr on a pseudo-terminal; return (rc, out, tty).
    The progress line is refreshed every 20 ms instead of 500."""
    master, slave = pty.openpty()
    env = dict(os.environ, TDXSIM_PROGRESS_MS="20")
    p = subprocess.Popen([TDXSIM] + list(args), stdout=subprocess.PIPE,
                         stderr=slave, stdin=subprocess.DEVNULL, text=True,
                         env=env)
    os.close(slave)
    tty = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:     # EIO: the last writer closed the terminal
            break
        if not chunk:
            break
        tty += chunk
    out = p.stdout.read()
    rc = p.wait(timeout=300)
    os.close(master)
    return rc, out, tty.decode(errors="replace")


@case("progress line: on a terminal in free mode only, erased at the end")
def _():
    rc, out, tty = run_on_tty("run", "--memory", "512M", "--vcpus", "2")
    assert rc == 0, tty
    assert re.search(r"\r\x1b\[K\[\d+\.\d s\] running: KVM_RUN \d+, vCPUs done \d/2; guest: \d+ accepts", tty), repr(tty[:500])
    assert tty.endswith("\r\x1b[K"), repr(tty[-100:])
    assert "Result: OK" in out and "\x1b" not in out
    # Deterministic mode never starts the reporter, even on a terminal.
    rc, out, tty = run_on_tty("run", "--memory", "64M", "--vcpus", "2",
                              "--mode", "deterministic")
    assert rc == 0 and tty == "", repr(tty[:300])
    rc, out, tty = run_on_tty("run", "--memory", "128M", "--no-progress")
    assert rc == 0 and tty == "", repr(tty[:300])


@case("a run that fails exits 1 with a report saying why")
def _():
    rc, out, err = tdxsim("run", "--memory", "16M", "--accept", "4k",
                          "--kernel", "next+hugepage-rfc",
                          "--design", "accept_level=ignore")
    expect(rc, out, err, 1, r"Result: FAILED: a vCPU stopped on the livelock detector", "stdout")
    assert re.search(r"Lock validator: 1 reports .* 1 livelock", out)


@case("--compare-hugepages: one table, the 2M-capable TD needs fewer AUGs")
def _():
    rc, out, err = tdxsim("run", "--compare-hugepages", "--memory", "64M",
                          "--json")
    expect(rc, out, err, 0)
    r = json.loads(out)
    assert r["compare"] == "kernel"
    assert r["values"] == ["next", "next+hugepage-rfc"]
    assert r["ok"] == [True, True] and r["invariant_errors"] == [0, 0]
    assert r["accepts_2m"][0] == 0 and r["accepts_2m"][1] > 0
    assert r["page_aug"][1] < r["page_aug"][0]
    assert r["ept_violations"][1] < r["ept_violations"][0]
    assert r["seamcalls"][1] < r["seamcalls"][0]
    assert r["modelled_hw_ms"][1] < r["modelled_hw_ms"][0]
    rc, out, err = tdxsim("run", "--compare", "kernel=next,next+hugepage-rfc",
                          "--memory", "16M")
    expect(rc, out, err, 0, r"TDH.MEM.PAGE.AUG .*\d", "stdout")
    for row in ("KVM_RUN exits to the VMM", "TD exits: EPT violations",
                "TDH.MEM.PAGE.DEMOTE", "SEAMCALLs", "guest accepts at 4K",
                "guest accepts at 2M", "modelled hardware time",
                "wall time"):
        assert row in out, "table lacks " + row


@case("kernels: the profiles, their switches and sources; run reports its kernel")
def _():
    rc, out, err = tdxsim("kernels")
    expect(rc, out, err, 0, r"next .*\(default\)", "stdout")
    for name in ("v6.16", "v6.17", "v6.18", "v6.19", "v7.0", "next",
                 "seed000-rfc", "hugepage-rfc"):
        assert re.search(r"^%s " % re.escape(name), out, re.M), name
    rc, out, err = tdxsim("kernels", "--verbose", "--json")
    expect(rc, out, err, 0)
    k = {p["name"]: p for p in json.loads(out)}
    v616 = {s["switch"]: s for s in k["v6.16"]["switches"]}
    assert v616["populate"]["value"] == "gmem_cb"
    assert v616["pin_pages"]["value"] == "on"
    assert "T616" in v616["pin_pages"]["source"]
    nxt = {s["switch"]: s for s in k["next"]["switches"]}
    assert nxt["populate"]["value"] == "map_pfn"
    assert nxt["populate"]["set_by"] == "v6.19"
    assert nxt["private_max_level"]["value"] == "4k"
    assert k["hugepage-rfc"]["overlay"] and k["next"]["default"]
    rc, out, err = tdxsim("kernels", "next+hugepage-rfc")
    expect(rc, out, err, 0, r"private_max_level +2m +\[hugepage-rfc\]",
           "stdout")
    # run names its kernel, and what --design changed on top of it.
    rc, out, err = tdxsim("run", "--memory", "16M", "--kernel", "v6.16",
                          "--design", "pin_pages=off", "--json")
    expect(rc, out, err, 0)
    r = json.loads(out)
    assert r["kernel"] == "v6.16" and r["kernel_changes"] == "pin_pages=off"
    assert "populate=gmem_cb" in r["design"]
    rc, out, err = tdxsim("run", "--memory", "16M", "--kernel", "v6.19")
    expect(rc, out, err, 0, r"  kernel: v6.19\n", "stdout")


@case("measure: built-in and OVMF.fd MRTDs, both orders, --json")
def _():
    rc, out, err = tdxsim("measure")
    expect(rc, out, err, 0)
    single = out.strip()
    assert re.fullmatch(r"[0-9a-f]{96}", single)
    rc, out, err = tdxsim("measure", "--measure-order", "two-pass")
    expect(rc, out, err, 0)
    assert out.strip() != single
    rc, out, err = tdxsim("measure", "--json")
    expect(rc, out, err, 0)
    r = json.loads(out)
    assert r["mrtd"] == single and r["measure_order"] == "single-pass"
    assert len(r["sections"]) == 6
    assert r["page_adds"] == 90 and r["mr_extends"] == 768
    # run reports the same MRTD as measure.
    rc, out, err = tdxsim("run", "--memory", "16M", "--json")
    assert json.loads(out)["mrtd"] == single
    if os.path.exists(OVMF_FD):
        rc, out, err = tdxsim("measure", OVMF_FD)
        expect(rc, out, err, 0)
        assert out.strip() == OVMF_SINGLE
        rc, out, err = tdxsim("measure", "--measure-order", "two-pass",
                              "--json", OVMF_FD)
        expect(rc, out, err, 0)
        r = json.loads(out)
        assert r["mrtd"] == OVMF_TWO
        assert [s["type"] for s in r["sections"]] == [
            "BFV", "CFV", "TEMP_MEM", "TEMP_MEM", "TD_HOB", "TEMP_MEM"]
        assert r["page_adds"] == 538 and r["mr_extends"] == 7680


n = len(results)
print("1..%d" % n)
for i, (ok, name, why) in enumerate(results, 1):
    print("%s %d - %s" % ("ok" if ok else "not ok", i, name))
    if why:
        for line in why.splitlines():
            print("# " + line)
sys.exit(0 if all(r[0] for r in results) else 1)
