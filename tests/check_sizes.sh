#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The size rule of issue 11 (every file but the kernel twins at most 850
# lines), checked by scripts/check_sizes.py:
#  1. over the tree;
#  2. on a planted violation: a copy of the script in an empty tree fails
#     on a src/ file of 851 lines and names it, and passes on one of 850
#     lines and on a kernel twin of 2000.
# Usage: check_sizes.sh SRCROOT
set -eu
root=$1
py=${PYTHON:-python3}

echo "1. the tree"
$py "$root/scripts/check_sizes.py" "$root"

echo "2. a planted violation"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/scripts" "$tmp/src/base" "$tmp/src/kvm" "$tmp/tests/trace"
cp "$root/scripts/check_sizes.py" "$tmp/scripts/"
lines() { seq "$1" | sed 's|^|// line |'; }
lines 850 >"$tmp/src/base/at_limit.c"
lines 2000 >"$tmp/src/kvm/tdp_mmu.c"
$py "$tmp/scripts/check_sizes.py" "$tmp" >"$tmp/out" 2>&1 || {
	cat "$tmp/out"; echo "FAIL: the check refused a file of 850 lines or a twin"
	exit 1; }
for f in src/base/planted.c tests/trace/planted.py; do
	lines 851 >"$tmp/$f"
	if $py "$tmp/scripts/check_sizes.py" "$tmp" >"$tmp/out" 2>&1; then
		echo "FAIL: the check accepted $f of 851 lines"
		exit 1
	fi
	grep -q "^$f: 851 lines, over the limit of 850" "$tmp/out" || {
		cat "$tmp/out"; echo "FAIL: the check did not name $f"; exit 1; }
	rm "$tmp/$f"
	echo "   the check refuses $f of 851 lines"
done
echo "ok"
