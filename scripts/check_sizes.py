#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The size rule of issue 11 (point 7), checked over the tree.

Every .c, .h and .py file under src/, tools/, tests/, include/, examples/
and bench/ has at most LIMIT lines, except the kernel twins (they keep
upstream's file boundaries, however long upstream's file is) and the files
in EXCEPTIONS. tests/check_sizes.sh runs it in `make check` and shows that
it fails on a planted violation.

    check_sizes.py SRCROOT     check the tree; exit 1 if a file is over
    check_sizes.py --list SRCROOT
                               every file over LIMIT, twins included
"""
import os
import sys

# The rule: "every non-twin file stays under about 800 lines (hard limit
# 850)" (HELPERS.md, issue 11).
LIMIT = 850

# The kernel twins: files named after an upstream file that hold that
# file's functions under upstream's names (issue 11, point 3). The one list
# of them.
TWINS = [
    'src/kvm/tdp_mmu.c',
    'src/kvm/tdp_iter.c',
    'src/kvm/mmu.c',
    'src/kvm/spte.h',
    'src/kvm/tdx.c',
    'src/kvm/guest_memfd.c',
    'src/kvm/kvm_main.c',
    'src/kvm/x86.c',
    'src/kvm/virt/tdx.c',
]

# Files allowed over the limit for a while (a split in progress), each with
# who is splitting it. Empty: every file but the kernel twins is under the
# limit. An entry that is back under the limit is reported as stale.
EXCEPTIONS = {}

TOPS = ('src', 'tools', 'tests', 'include', 'examples', 'bench')
EXTS = ('.c', '.h', '.py')


def tree_files(srcroot):
    for top in TOPS:
        for dp, dns, fns in os.walk(os.path.join(srcroot, top)):
            dns[:] = sorted(d for d in dns
                            if not d.startswith(('build', '.')))
            for fn in sorted(fns):
                if fn.endswith(EXTS):
                    yield os.path.relpath(os.path.join(dp, fn), srcroot)


def nr_lines(path):
    with open(path, 'rb') as f:
        return sum(1 for _ in f)


def over(srcroot):
    """(file, lines) of every file over LIMIT."""
    for rel in tree_files(srcroot):
        n = nr_lines(os.path.join(srcroot, rel))
        if n > LIMIT:
            yield rel, n


def check(srcroot):
    errors, nfiles = [], 0
    for rel in tree_files(srcroot):
        nfiles += 1
        n = nr_lines(os.path.join(srcroot, rel))
        if n <= LIMIT:
            if rel in EXCEPTIONS:
                print(f'note: {rel} ({n} lines) is under the limit now: '
                      f'remove its exception ({EXCEPTIONS[rel]})')
            continue
        if rel in TWINS:
            continue
        if rel in EXCEPTIONS:
            print(f'exception: {rel}: {n} lines, being split by '
                  f'{EXCEPTIONS[rel]}')
            continue
        errors.append(f'{rel}: {n} lines, over the limit of {LIMIT} '
                      f'(split it along its seams; kernel twins are '
                      f'listed in scripts/check_sizes.py)')
    for rel in sorted(set(TWINS) | set(EXCEPTIONS)):
        if not os.path.exists(os.path.join(srcroot, rel)):
            print(f'note: {rel} is listed in scripts/check_sizes.py but '
                  f'does not exist')
    for e in errors:
        print(e)
    if not errors:
        print(f'ok: {nfiles} files, none over {LIMIT} lines but the '
              f'kernel twins and {len(EXCEPTIONS)} listed exceptions')
    return 1 if errors else 0


def main(argv):
    if len(argv) == 2:
        return check(argv[1])
    if len(argv) == 3 and argv[1] == '--list':
        for rel, n in sorted(over(argv[2]), key=lambda x: -x[1]):
            kind = ('twin' if rel in TWINS else
                    'exception' if rel in EXCEPTIONS else 'over')
            print(f'{n:6d} {kind:9s} {rel}')
        return 0
    print('usage: check_sizes.py [--list] SRCROOT', file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
