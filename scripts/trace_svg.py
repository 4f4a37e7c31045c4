#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Draw a tdxsim trace (--trace FILE, the Chrome JSON Perfetto opens) as an
SVG picture: one row per track, slices as boxes nested by depth, instants
as red ticks, SEAMCALLs that failed in red. For the README's pictures; open
the same file in https://ui.perfetto.dev to explore it.

  trace_svg.py TRACE OUT.svg [--pid N] [--from US] [--to US]
               [--hide REGEX] [--title TEXT]
"""
import argparse
import html
import json
import re

COLOURS = {
    "terrible": "#d62728",      # failures, BUSY
    "bad": "#f0c419",           # lock waits
    "good": "#2ca02c",
}
SCHED = ["#9ecae1", "#fdae6b", "#a1d99b", "#bcbddc", "#fdd0a2", "#c7e9c0"]


def colour(track, e):
    if e.get("cname") in COLOURS:
        return COLOURS[e["cname"]]
    name = e.get("name", "")
    if track.get("sched"):
        return SCHED[e.get("args", {}).get("task", 0) % len(SCHED)]
    if name.startswith("TDH."):
        return "#74c476"
    if name.startswith(("KVM_", "TDXSIM_", "ioctl", "fallocate")):
        return "#6baed6"
    if ":" in track["name"]:            # a lock class the task held
        return "#9e9ac8" if e.get("args", {}).get("held") == "write" \
            else "#dadaeb"
    if track["name"].endswith("(guest)"):
        return "#fd8d3c"
    return "#bdbdbd"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("trace")
    ap.add_argument("out")
    ap.add_argument("--pid", type=int, default=2)
    ap.add_argument("--from", dest="t0", type=float, default=None)
    ap.add_argument("--to", dest="t1", type=float, default=None)
    ap.add_argument("--hide", default=None)
    ap.add_argument("--title", default="")
    a = ap.parse_args()

    events = json.load(open(a.trace))["traceEvents"]
    tracks = {}
    for e in events:
        if e["ph"] == "M" and e["name"] == "thread_name" and \
           e["pid"] == a.pid:
            tracks[e["tid"]] = {"name": e["args"]["name"], "slices": [],
                                "instants": [], "sched": e["tid"] == 1}
    # Slices per track: (start, end, depth, event).
    open_ = {}
    for e in events:
        if e.get("pid") != a.pid or e["ph"] == "M" or e.get("tid") not in \
           tracks:
            continue
        t = tracks[e["tid"]]
        stack = open_.setdefault(e["tid"], [])
        # "X" slices that ended are popped as time goes on.
        while stack and stack[-1][1] is not None and stack[-1][1] <= e["ts"]:
            stack.pop()
        if e["ph"] == "B":
            stack.append([e, None])
        elif e["ph"] == "E":
            while stack and stack[-1][1] is not None:
                stack.pop()
            b = stack.pop()[0]
            t["slices"].append((b["ts"], e["ts"], len(stack), b))
        elif e["ph"] == "X":
            t["slices"].append((e["ts"], e["ts"] + e["dur"], len(stack), e))
            stack.append([e, e["ts"] + e["dur"]])
        elif e["ph"] == "i":
            t["instants"].append(e)
    t0 = a.t0 if a.t0 is not None else min(
        s[0] for t in tracks.values() for s in t["slices"])
    t1 = a.t1 if a.t1 is not None else max(
        s[1] for t in tracks.values() for s in t["slices"])
    rows = []
    for tid in sorted(tracks):
        t = tracks[tid]
        if a.hide and re.search(a.hide, t["name"]):
            continue
        vis = [s for s in t["slices"] if s[1] >= t0 and s[0] <= t1]
        if not vis and not t["instants"]:
            continue
        t["vis"] = vis
        t["depth"] = 1 + max((s[2] for s in vis), default=0)
        rows.append(t)

    left, width, rowh, top = 230, 1100, 15, 46
    scale = width / (t1 - t0)
    height = top + sum(r["depth"] * rowh + 14 for r in rows) + 40
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 20}" '
           f'height="{height}" font-family="sans-serif" font-size="10">',
           '<rect width="100%" height="100%" fill="white"/>',
           f'<text x="10" y="18" font-size="13" font-weight="bold">'
           f'{html.escape(a.title)}</text>',
           f'<text x="10" y="34" fill="#555">time: schedule steps '
           f'{t0:.0f} to {t1:.0f} (the logical clock of a deterministic '
           'run); rows: the tracks Perfetto shows</text>']
    y = top + 6
    for r in rows:
        h = r["depth"] * rowh
        out.append(f'<rect x="0" y="{y - 2}" width="{left + width + 20}" '
                   f'height="{h + 4}" fill="#f7f7f7"/>')
        out.append(f'<text x="6" y="{y + 11}">{html.escape(r["name"])}'
                   '</text>')
        for s0, s1, d, e in r["vis"]:
            x0 = left + (max(s0, t0) - t0) * scale
            x1 = left + (min(s1, t1) - t0) * scale
            w = max(x1 - x0, 1.0)
            yy = y + d * rowh
            name = e.get("name", "")
            tip = name + " " + json.dumps(e.get("args", {}))
            out.append(f'<g><title>{html.escape(tip)}</title>'
                       f'<rect x="{x0:.1f}" y="{yy}" width="{w:.1f}" '
                       f'height="{rowh - 2}" fill="{colour(r, e)}" '
                       'stroke="#555" stroke-width="0.3"/>')
            label = name
            status = e.get("args", {}).get("status")
            if e.get("cname") == "terrible" and status and \
               status.split("|")[0] not in label:
                label += ": " + status
            if e.get("cname") == "terrible":
                # A failure is always named, beside its box if need be.
                out.append(f'<text x="{x1 + 3:.1f}" y="{yy + 10}" '
                           f'fill="#d62728" font-weight="bold">'
                           f'{html.escape(label)}</text>')
            elif w > 6.2 * len(label) * 0.9:
                out.append(f'<text x="{x0 + 2:.1f}" y="{yy + 10}">'
                           f'{html.escape(label)}</text>')
            elif w > 30:
                out.append(f'<text x="{x0 + 2:.1f}" y="{yy + 10}">'
                           f'{html.escape(label[:int(w / 6.2)])}</text>')
            out.append('</g>')
        for e in r["instants"]:
            if not t0 <= e["ts"] <= t1:
                continue
            x = left + (e["ts"] - t0) * scale
            tip = e["name"] + " " + json.dumps(e.get("args", {}))
            out.append(f'<g><title>{html.escape(tip)}</title>'
                       f'<path d="M{x:.1f},{y} l4,-6 l-8,0 z" '
                       'fill="#d62728"/>'
                       f'<text x="{x + 6:.1f}" y="{y - 2}" font-size="9" '
                       'fill="#d62728">'
                       f'{html.escape(e["name"])}</text></g>')
        y += h + 14
    # Axis.
    step = max(1, round((t1 - t0) / 10))
    out.append(f'<line x1="{left}" y1="{y}" x2="{left + width}" y2="{y}" '
               'stroke="#333"/>')
    tick = (int(t0) // step + 1) * step
    while tick <= t1:
        x = left + (tick - t0) * scale
        out.append(f'<line x1="{x:.1f}" y1="{y}" x2="{x:.1f}" y2="{y + 4}" '
                   'stroke="#333"/><text x="'
                   f'{x - 8:.1f}" y="{y + 15}">{tick}</text>')
        tick += step
    out.append("</svg>")
    with open(a.out, "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
