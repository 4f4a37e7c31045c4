#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The layer table of DESIGN.md, in one place, for the build and the check.

Every source file belongs to a *view*: the set of header directories (or
single headers) it may include. The build gives each library only its view's
include directory, made here as a farm of symlinks in the build tree
(`layers.py farm BUILDDIR/layers`), so a forbidden include does not compile.
`layers.py check SRCROOT` checks every #include of the tree against the
table without compiling (tests/check_layers.sh runs it, and shows that it
fails on a planted violation).

Includes are written "dir/header.h" (e.g. "base/lock.h", "tdxsim/kvm.h");
a bare "header.h" names a file next to the including one.
"""
import os
import re
import shutil
import sys

ALL = None

# What the host side of the module's ABI is: the SEAMCALL interface, module
# bring-up (the machine, not a SEAMCALL), and nothing of the module's state.
SEAM_HOST_ABI = ['seamcall.h', 'tdx_args.h', 'tdx_module.h']
# The kernel's SEAMCALL wrappers (src/kvm/virt/tdx.c): the module's tests
# drive the module through them too.
KVM_SEAMCALL_WRAPPERS = ['asm/tdx.h']
# The guest side: TDCALLs only.
SEAM_GUEST_ABI = ['tdcall.h', 'tdx_args.h']
# Read-only diagnostics of the module (PAMT queries, pages owned) and
# tdxsim's controls of it (fault injection): the invariant checker and
# tdxsim's controls in src/kvm (tdxsim_*.c), and tests.
SEAM_DIAG = ['diag.h', 'control.h']

# The tests' helper library: what runs on base alone (assertions, runs
# under the scheduler), and the helpers that use the public headers only.
# The assertions are the installed test library's (tdxsim/test_util.h,
# libc only), which the base and seam tests' view therefore includes.
TESTLIB_BASE = ['test_util.h', 'sched_util.h']
TESTLIB_PUBLIC = ['test_util.h', 'kvm_util.h']

# view -> [(directory, headers or ALL)]
VIEWS = {
    'ulib': [('ulib', ALL)],
    'base': [('base', ALL)],
    'seam': [('base', ALL), ('seam', ALL), ('tdxsim', ['tdx.h'])],
    'host': [('base', ALL), ('host', ALL), ('tdxsim', ALL)],
    'kvm': [('base', ALL), ('host', ALL), ('kvm', ALL),
            ('seam', SEAM_HOST_ABI), ('tdxsim', ALL)],
    # tdxsim's own additions inside the kernel side (tdxsim_*.c).
    'kvm-tdxsim': [('base', ALL), ('host', ALL), ('kvm', ALL),
                   ('seam', SEAM_HOST_ABI + SEAM_DIAG), ('tdxsim', ALL)],
    'guest': [('base', ALL), ('guest', ALL), ('seam', SEAM_GUEST_ABI),
              ('tdxsim', ['guest.h', 'tdx.h'])],
    'vmm': [('vmm', ALL), ('tdxsim', ALL)],
    'scenario': [('scenario', ALL), ('tdxsim', ALL)],
    'tools': [('tdxsim', ALL)],
    'public': [('tdxsim', ALL)],
    # libtdxsim-preload.so (tdxsim exec): the public API only.
    'preload': [('tdxsim', ALL)],
    # tests/exec: plain /dev/kvm programs with their own uAPI copy.
    'test-exec': [],
    # The library's assembly (initcalls): sees every driver it links.
    'lib': [('base', ALL), ('host', ALL), ('kvm', ALL),
            ('seam', SEAM_HOST_ABI), ('tdxsim', ALL)],
    # Tests see their layer's insides and what that layer may see.
    # The tests' helper library (tests/testlib): the kvm_util-style helpers
    # against the public headers; sched_util and the white-box looks of
    # kvm_util_internal have the views of their users (FILE_VIEW).
    'test-lib': [('testlib', ALL), ('tdxsim', ALL)],
    'test-base': [('base', ALL), ('testlib', TESTLIB_BASE),
                  ('tdxsim', ['test_util.h'])],
    'test-seam': [('base', ALL), ('seam', ALL),
                  ('tdxsim', ['tdx.h', 'test_util.h']),
                  ('kvm', KVM_SEAMCALL_WRAPPERS), ('testlib', TESTLIB_BASE)],
    'test-kvm': [('base', ALL), ('host', ALL), ('kvm', ALL), ('guest', ALL),
                 ('seam', SEAM_HOST_ABI + SEAM_GUEST_ABI + SEAM_DIAG),
                 ('tdxsim', ALL), ('testlib', ALL)],
    'test-guest': [('base', ALL), ('guest', ALL), ('seam', SEAM_GUEST_ABI),
                   ('tdxsim', ALL),
                   ('testlib', TESTLIB_BASE + TESTLIB_PUBLIC)],
    'test-vmm': [('vmm', ALL), ('tdxsim', ALL), ('testlib', TESTLIB_PUBLIC)],
    'test-fuzz': [('vmm', ALL), ('guest', ALL), ('base', ALL),
                  ('seam', SEAM_GUEST_ABI), ('tdxsim', ALL),
                  ('testlib', TESTLIB_BASE + TESTLIB_PUBLIC)],
}

for _v, _e in VIEWS.items():
    if _v not in ('ulib', 'public', 'preload', 'test-exec') and ('ulib', ALL) not in _e:
        _e.insert(0, ('ulib', ALL))

# Where each source directory's files belong (longest prefix wins).
DIR_VIEW = {
    'src/ulib': 'ulib',
    'src/base': 'base',
    'src/lib': 'lib',
    'src/seam': 'seam',
    'src/host': 'host',
    'src/kvm': 'kvm',
    'src/guest': 'guest',
    'src/vmm': 'vmm',
    'src/scenario': 'scenario',
    'tools': 'tools',
    'src/preload': 'preload',
    'include/tdxsim': 'public',
    'examples': 'public',
    'bench': 'tools',
    'tests/base': 'test-base',
    'tests/seam': 'test-seam',
    'tests/kvm': 'test-kvm',
    'tests/mmu': 'test-kvm',
    'tests/profiles': 'test-kvm',
    'tests/guest': 'test-guest',
    'tests/vmm': 'test-vmm',
    'tests/scenario': 'tools',
    'tests/fuzz': 'test-fuzz',
    'tests/reliability': 'public',
    'tests/testlib': 'test-lib',
    'tests/exec': 'test-exec',
}

# Single files with a view of their own (tdxsim's additions to a layer).
FILE_VIEW = {
    'tests/profiles/test_gmem_inplace.c': 'test-vmm',
    'bench/bench_page_alloc.c': 'test-base',
    'bench/bench_locks.c': 'test-base',
    'tests/testlib/sched_util.h': 'test-base',
    'tests/testlib/sched_util.c': 'test-base',
    'tests/testlib/kvm_util_internal.h': 'test-kvm',
    'tests/testlib/kvm_util_internal.c': 'test-kvm',
    'tests/testlib/td_util_internal.c': 'test-kvm',
    # The guest model on the whole stack, with the MMU's white-box looks.
    'tests/guest/guest_stack.h': 'test-kvm',
    'tests/guest/guest_stack.c': 'test-kvm',
    'tests/guest/test_guest_module.c': 'test-kvm',
    'tests/guest/test_guest_events.c': 'test-kvm',
    'tests/fuzz/uapi_seq.c': 'public',
}


def file_view(rel):
    if rel in FILE_VIEW:
        return FILE_VIEW[rel]
    base = os.path.basename(rel)
    if rel.startswith('src/kvm/') and base.startswith('tdxsim_'):
        return 'kvm-tdxsim'
    best = None
    for d, v in DIR_VIEW.items():
        if rel.startswith(d + '/') and (best is None or len(d) > len(best)):
            best = d
    return DIR_VIEW[best] if best else None


def source_dir(srcroot, d):
    if d == 'tdxsim':
        return os.path.join(srcroot, 'include', 'tdxsim')
    if d == 'testlib':
        return os.path.join(srcroot, 'tests', 'testlib')
    return os.path.join(srcroot, 'src', d)


def farm(srcroot, out):
    """Make OUT/<view>/<dir> for every view: a symlink to the whole
    directory, or a directory of symlinks to the allowed headers."""
    srcroot = os.path.abspath(srcroot)
    for view, entries in VIEWS.items():
        vdir = os.path.join(out, view)
        os.makedirs(vdir, exist_ok=True)
        for d, headers in entries:
            dst = os.path.join(vdir, d)
            src = source_dir(srcroot, d)
            if os.path.islink(dst) or os.path.isfile(dst):
                os.unlink(dst)
            elif os.path.isdir(dst):
                shutil.rmtree(dst)
            if headers is ALL:
                os.symlink(src, dst)
            else:
                os.makedirs(dst)
                for h in dict.fromkeys(headers):
                    link = os.path.join(dst, h)
                    os.makedirs(os.path.dirname(link), exist_ok=True)
                    os.symlink(os.path.join(src, h), link)


INCLUDE_RE = re.compile(r'^\s*#\s*include\s*([<"])([^">]+)[">]')
OUR_DIRS = {'ulib', 'lib', 'base', 'seam', 'host', 'kvm', 'guest', 'vmm', 'scenario',
            'tdxsim', 'testlib'}


def allowed(view, inc):
    d, _, h = inc.partition('/')
    for vd, headers in VIEWS[view]:
        if vd == d and (headers is ALL or h in headers):
            return True
    return False


def check_file(srcroot, rel, view=None):
    """Return a list of "file:line: message" for forbidden includes."""
    errors = []
    view = view or file_view(rel)
    if view is None:
        return errors
    path = os.path.join(srcroot, rel)
    with open(path, errors='replace') as f:
        for n, line in enumerate(f, 1):
            m = INCLUDE_RE.match(line)
            if not m:
                continue
            inc = m.group(2)
            first = inc.split('/')[0]
            if '/' not in inc or first not in OUR_DIRS:
                # A sibling file or a system header: a sibling must exist
                # next to the file, or it is a system header.
                if m.group(1) == '"' and '/' not in inc:
                    sib = os.path.join(os.path.dirname(path), inc)
                    if not os.path.exists(sib):
                        errors.append(f'{rel}:{n}: "{inc}" is not next to '
                                      f'the file (write "dir/{inc}")')
                elif m.group(1) == '"' and '..' in inc:
                    errors.append(f'{rel}:{n}: relative include "{inc}" '
                                  f'climbs out of its directory')
                continue
            if not allowed(view, inc):
                errors.append(f'{rel}:{n}: layer "{view}" may not include '
                              f'"{inc}"')
    return errors


def tree_files(srcroot):
    for top in ('src', 'include', 'tools', 'tests', 'bench', 'examples'):
        for dp, dns, fns in os.walk(os.path.join(srcroot, top)):
            dns[:] = [d for d in dns if not d.startswith(('build', '.'))]
            for fn in fns:
                if fn.endswith(('.c', '.h')):
                    yield os.path.relpath(os.path.join(dp, fn), srcroot)


def check(srcroot):
    errors = []
    nfiles = 0
    for rel in sorted(tree_files(srcroot)):
        if file_view(rel) is None:
            errors.append(f'{rel}: in no layer of scripts/layers.py')
            continue
        nfiles += 1
        errors += check_file(srcroot, rel)
    for e in errors:
        print(e)
    if not errors:
        print(f'ok: {nfiles} files include only what their layer may use')
    return 1 if errors else 0


def main(argv):
    if len(argv) == 3 and argv[1] == 'farm':
        farm(os.path.join(os.path.dirname(__file__), '..'), argv[2])
        return 0
    if len(argv) == 3 and argv[1] == 'check':
        return check(argv[2])
    if len(argv) == 4 and argv[1] == 'view':
        # layers.py view SRCROOT FILE: the view of one file
        print(file_view(os.path.relpath(argv[3], argv[2])))
        return 0
    print('usage: layers.py farm OUTDIR | check SRCROOT | view SRCROOT FILE',
          file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
