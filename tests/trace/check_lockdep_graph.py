#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# --lockdep-graph FILE (issue 16): the lock-class dependency graph in DOT,
# rendered with Graphviz's dot (Debian's graphviz, which scripts/deps.sh
# installs here when it is missing; the test is skipped, status 77, when it
# cannot be had).
#
#   check_lockdep_graph.py DEPS_SH cycle TDXSIM ARGS...
#       ARGS --lockdep-graph F exits 1; dot renders F to SVG; in the SVG the
#       red edges between distinct classes form a cycle through
#       &mm->mmap_lock and mapping.invalidate_lock (the report's), and
#       mapping.invalidate_lock has its red recursion self-loop.
#   check_lockdep_graph.py DEPS_SH clean TDXSIM ARGS...
#       ARGS --lockdep-graph F exits 0; F renders; no edge is red; every
#       edge is labelled with a site (file.c:line).
#   check_lockdep_graph.py DEPS_SH bad TDXSIM ARGS...
#       --lockdep-graph in a missing directory: exit 2 before anything runs.
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"


def fail(msg):
    print(f"not ok - {msg}")
    sys.exit(1)


def need_dot(deps):
    if not shutil.which("dot"):
        subprocess.run([deps, "graphviz"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    if not shutil.which("dot"):
        print("# SKIP: Graphviz's dot is not installed and could not be")
        sys.exit(77)


def render(dotfile):
    svg = dotfile + ".svg"
    p = subprocess.run(["dot", "-Tsvg", dotfile, "-o", svg],
                       stderr=subprocess.PIPE, text=True)
    if p.returncode or p.stderr.strip():
        fail(f"dot -Tsvg: exit {p.returncode}: {p.stderr}")
    root = ET.parse(svg).getroot()
    nodes, edges = {}, []
    for g in root.iter(f"{SVG}g"):
        cls = g.get("class")
        title = g.findtext(f"{SVG}title")
        if cls == "node":
            nodes[title] = " ".join(t.text or "" for t in
                                    g.iter(f"{SVG}text")).strip()
        elif cls == "edge":
            a, b = title.split("->")
            path = g.find(f"{SVG}path")
            label = " ".join(t.text or "" for t in g.iter(f"{SVG}text"))
            edges.append((a, b, path.get("stroke"), label))
    print(f"# {svg}: {len(nodes)} classes, {len(edges)} edges")
    return nodes, edges


def run(tdxsim, args, status):
    tmp = tempfile.mkdtemp(prefix="tdxsim-graph-")
    dotfile = os.path.join(tmp, "lockdep.dot")
    p = subprocess.run([tdxsim] + args + ["--lockdep-graph", dotfile],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, errors="replace")
    if p.returncode != status:
        fail(f"exit {p.returncode}, expected {status}: {p.stderr[-2000:]}")
    return dotfile


def name_of(nodes, n):
    return nodes[n].rsplit(" (", 1)[0].strip()


def check_cycle(tdxsim, args):
    nodes, edges = render(run(tdxsim, args, 1))
    red = [(a, b) for a, b, stroke, _ in edges if stroke == "red"]
    loops = {name_of(nodes, a) for a, b in red if a == b}
    if "mapping.invalidate_lock" not in loops:
        fail(f"no red recursion on mapping.invalidate_lock: {loops}")
    # A directed cycle among the red edges between distinct classes.
    succ = {}
    for a, b in red:
        if a != b:
            succ.setdefault(a, set()).add(b)

    def reach(src, dst, seen=()):
        return any(n == dst or (n not in seen and
                                reach(n, dst, seen + (n,)))
                   for n in succ.get(src, ()))
    on_cycle = {name_of(nodes, a) for a in succ if reach(a, a)}
    want = {"&mm->mmap_lock", "mapping.invalidate_lock"}
    if not want <= on_cycle:
        fail(f"the red edges' cycle is {on_cycle}, expected {want}")
    black_cycle = [(a, b) for a, b, stroke, _ in edges
                   if stroke != "red" and a != b and
                   name_of(nodes, a) in want and name_of(nodes, b) in want]
    if black_cycle:
        fail(f"an edge of the cycle is not red: {black_cycle}")
    print(f"ok - the reported cycle {sorted(on_cycle)} is red, and the "
          "recursion on mapping.invalidate_lock")


def check_clean(tdxsim, args):
    nodes, edges = render(run(tdxsim, args, 0))
    if not edges:
        fail("no edge")
    for a, b, stroke, label in edges:
        if stroke == "red":
            fail(f"a red edge {name_of(nodes, a)} -> {name_of(nodes, b)}")
        if not re.search(r"\w+\.c:\d+", label):
            fail(f"edge {a}->{b} without a site: {label!r}")
    print(f"ok - {len(edges)} edges, each with its first site, none red")


def check_bad(tdxsim, args):
    path = "/nonexistent-tdxsim-dir/sub/g.dot"
    p = subprocess.run([tdxsim] + args + ["--lockdep-graph", path],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, errors="replace")
    lines = [l for l in p.stderr.splitlines()
             if l.strip() and not l.startswith("Try ")]
    if p.returncode != 2 or p.stdout or len(lines) != 1 or \
       "--lockdep-graph" not in lines[0]:
        fail(f"exit {p.returncode}, stdout {p.stdout!r}, "
             f"stderr {p.stderr!r}")
    print(f"ok - {args[0]}: {lines[0]}")


def main():
    deps, what, tdxsim, args = sys.argv[1], sys.argv[2], sys.argv[3], \
        sys.argv[4:]
    if what == "bad":
        check_bad(tdxsim, args)
        return
    need_dot(deps)
    if what == "cycle":
        check_cycle(tdxsim, args)
    elif what == "clean":
        check_clean(tdxsim, args)
    else:
        fail(f"unknown check {what}")


if __name__ == "__main__":
    main()
