#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""docs/PROFILES.md from the profile table itself.

  profiles_md.py TDXSIM > docs/PROFILES.md     write it
  profiles_md.py TDXSIM docs/PROFILES.md       check it is current (exit 1
                                               and a diff if it is not)

TDXSIM is the built `tdxsim` command; the table is read with
`tdxsim kernels --verbose --json`, so the document cannot drift from
src/kvm/tdxsim_profiles.c (the check runs in the test suite).
"""
import difflib
import json
import subprocess
import sys

INTRO = """\
# Kernel profiles

A *profile* is a kernel as it exists: a release (`v6.16` ... `v7.0`), kvm-x86
`next` (the default), or an *overlay* of a series that is not merged, applied
on a base with `+` (`next+hugepage-rfc`, `v6.16+seed000-rfc`). Each profile
is a set of values of tdxsim's design switches (`struct tdxsim_design`), each
value with the upstream commit, release or posting it comes from. The
reference the values were read from is `docs/upstream/releases.md` (its tags
T616, T617, T619, P619, M619, G619, KX, GKX name the file versions read, §0)
and, for the overlays, the postings named below and
`docs/upstream/series-hugepage.md`.

Choosing one:

- command line: `--kernel NAME` on `tdxsim run`, `measure`, `scenario` and
  `explore`; `--design KEY=VALUE,...` then changes single switches on top;
  `tdxsim kernels [--verbose] [--json] [NAME]` lists them;
- uAPI: `TDXSIM_SET_KERNEL` on the VM fd before `KVM_TDX_INIT_VM` (EINVAL for
  an unknown name with nothing changed, EBUSY after), `TDXSIM_GET_KERNEL`,
  `TDXSIM_SET_DESIGN` / `TDXSIM_GET_DESIGN` for the switches;
- library: `tdxsim_kernel_design()`, `tdxsim_kernel_profiles()` and
  `tdxsim_kernel_switch_source()` (`include/tdxsim/profiles.h`).

*World* switches are facts of the simulated world, not of KVM's code: the
TDH.VP.INIT version the module is called with, whether guest_memfd has huge
folios (a series not merged; the huge-page overlay turns it on), the VMM's
measuring order. No release sets them.

Not switches, and why:

- `populate_mapped_gfn` (releases.md §7): a populate of a GFN the mirror
  already maps issues PAGE.ADD again in 6.16-6.18 (`kvm_tdp_map_page()`
  answers 0 on `RET_PF_SPURIOUS`) and answers -EIO from 6.19
  (`kvm_tdp_mmu_map_private_pfn()`); it follows from `populate`.
- `gmem_mmap`: tdxsim accepts `GUEST_MEMFD_FLAG_MMAP` on TDX VMs in every
  profile (its VMM backs shared memory that way, and seed 000's scenario
  needs a host mapping); upstream has no mmap before 6.18 and does not offer
  it to TDX VMs. A departure, listed in `docs/FIDELITY.md`.
- Behaviour that is the same in every release read (the fault path never
  takes `mmu_lock` for write, MapGPA in 2 MiB exits, the OUTSIDE_GUEST_MODE
  barrier, `tdx_lock`'s scope, the S-EPT hook signatures kept in tdxsim's
  form): one behaviour, described in `docs/FIDELITY.md`.

The overlays' switches live in the reserved space of `struct tdxsim_design`
(zero there is "off"). `gmem-inplace` is guest_memfd in-place conversion
**v8** (Ackerley Tng, `[PATCH v8 00/46]`, 2026-06-18; notes in
`docs/upstream/series-gmem-inplace.md`): its `gmem_in_place=v8` plays the
series' kvm module parameter `gmem_in_place_conversion=Y` (read-only after
load upstream; per VM, fixed at `KVM_TDX_INIT_VM`, in tdxsim), which makes
the VM's `KVM_SET_MEMORY_ATTRIBUTES` and the guest_memfd's
`KVM_SET_MEMORY_ATTRIBUTES2` mutually exclusive. `gmem_conv_refcheck=none`
is the design without v8's reference check, for the race it prevents.

This file is generated: `python3 scripts/profiles_md.py build/tools/tdxsim >
docs/PROFILES.md`; the test `profiles_md` fails when it is not current.
"""


def md(text):
    return text.replace('|', '\\|')


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    out = subprocess.run([sys.argv[1], 'kernels', '--verbose', '--json'],
                         check=True, capture_output=True, text=True).stdout
    profiles = json.loads(out)
    kernels = [p for p in profiles if not p['overlay']]
    overlays = [p for p in profiles if p['overlay']]
    lines = [INTRO]

    lines.append('## The profiles\n')
    lines.append('| profile | kind | what it is | models |')
    lines.append('| --- | --- | --- | --- |')
    for p in profiles:
        kind = 'overlay' if p['overlay'] else (
            'kernel, the default' if p['default'] else 'kernel')
        if p['parent']:
            kind += ', from `%s`' % p['parent']
        lines.append('| `%s` | %s | %s | %s |' % (
            p['name'], kind, md(p['summary']), md(p['source'])))
    lines.append('')

    lines.append('## Every switch, per kernel\n')
    lines.append('Values per release; **bold** where the kernel changes it '
                 'from its parent.\n')
    lines.append('| switch | ' + ' | '.join('`%s`' % k['name']
                                              for k in kernels) + ' |')
    lines.append('| --- |' + ' --- |' * len(kernels))
    names = [s['switch'] for s in kernels[0]['switches']]
    for i, name in enumerate(names):
        row = []
        for k in kernels:
            s = k['switches'][i]
            v = '`%s`' % s['value']
            if s['set_by'] == k['name'] and k['parent']:
                v = '**%s**' % v
            row.append(v)
        world = ' (world)' if kernels[0]['switches'][i]['world'] else ''
        lines.append('| `%s`%s | %s |' % (name, world, ' | '.join(row)))
    lines.append('')

    lines.append('## Overlays\n')
    for p in overlays:
        lines.append('### `%s`\n' % p['name'])
        lines.append('%s. Models: %s.\n' % (md(p['summary']), md(p['source'])))
        lines.append('| switch | value | source |')
        lines.append('| --- | --- | --- |')
        for s in p['sets']:
            lines.append('| `%s` | `%s` | %s |' % (
                s['switch'], s['value'], md(s['source'])))
        lines.append('')

    lines.append('## Each kernel, switch by switch, with sources\n')
    for k in kernels:
        lines.append('### `%s`\n' % k['name'])
        lines.append('%s. Models: %s.%s\n' % (
            md(k['summary']), md(k['source']),
            ' Differs from `%s` in the switches set here.' % k['parent']
            if k['parent'] else ' The oldest kernel: sets every switch.'))
        lines.append('| switch | value | set by | source |')
        lines.append('| --- | --- | --- | --- |')
        for s in k['switches']:
            lines.append('| `%s` | `%s` | %s | %s |' % (
                s['switch'], s['value'],
                '`%s`' % s['set_by'] if s['set_by'] else 'world',
                md(s['source'])))
        lines.append('')

    text = '\n'.join(lines)
    if len(sys.argv) == 2:
        sys.stdout.write(text)
        return
    with open(sys.argv[2]) as f:
        have = f.read()
    if have != text:
        sys.stdout.writelines(difflib.unified_diff(
            have.splitlines(True), text.splitlines(True), sys.argv[2],
            'generated'))
        print('%s is not current: python3 scripts/profiles_md.py TDXSIM > %s'
              % (sys.argv[2], sys.argv[2]))
        sys.exit(1)
    print('ok: %s is current' % sys.argv[2])


if __name__ == '__main__':
    main()
