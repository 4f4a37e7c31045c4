#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The layer rules of DESIGN.md, checked two ways against the one table in
# scripts/layers.py:
#  1. every #include of the tree is one its file's layer may use;
#  2. the check and the build both refuse a planted violation: a copy of
#     the tree with a VMM file that includes a KVM header fails the check,
#     and that file does not compile with the VMM's include view.
# Usage: check_layers.sh SRCROOT BUILDDIR CC
set -eu
root=$1
build=$2
cc=$3
py=${PYTHON:-python3}

echo "1. the tree"
$py "$root/scripts/layers.py" check "$root"

echo "2. a planted violation"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/src/vmm" "$tmp/scripts"
cp "$root/scripts/layers.py" "$tmp/scripts/"
cp "$root/src/vmm/launch.c" "$tmp/src/vmm/launch.c"
sed -i '0,/^#include "/s//#include "kvm\/kvm_host.h"\n#include "/' \
	"$tmp/src/vmm/launch.c"
grep -q '"kvm/kvm_host.h"' "$tmp/src/vmm/launch.c" || {
	echo "could not plant the violation"; exit 1; }
if $py "$tmp/scripts/layers.py" check "$tmp" >"$tmp/out" 2>&1; then
	echo "FAIL: the check accepted src/vmm including kvm/kvm_host.h"
	exit 1
fi
grep -q 'layer "vmm" may not include "kvm/kvm_host.h"' "$tmp/out" || {
	cat "$tmp/out"; echo "FAIL: the check did not name the violation"; exit 1; }
echo "   the check refuses it"
if $cc -fsyntax-only -D_GNU_SOURCE -I"$build/layers/vmm" \
	"$tmp/src/vmm/launch.c" >"$tmp/cc.out" 2>&1; then
	echo "FAIL: src/vmm including kvm/kvm_host.h compiled with the vmm view"
	exit 1
fi
grep -q 'kvm/kvm_host.h' "$tmp/cc.out" || {
	cat "$tmp/cc.out"; echo "FAIL: the compiler failed for another reason"; exit 1; }
# and the unmodified file does compile with that view
$cc -fsyntax-only -D_GNU_SOURCE -I"$build/layers/vmm" "$root/src/vmm/launch.c"
echo "   the build refuses it (and compiles the real file)"
echo "ok"
