#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The module's state is reachable only through seamcall.h and tdcall.h:
# no file outside src/seam may include any other header of src/seam.
# Usage: check_headers.sh <source root>
set -eu
root=${1:-.}
cd "$root"

private=$(cd src/seam && ls *.h | grep -v -x -e seamcall.h -e tdcall.h || true)
status=0

# Every C source or header outside src/seam (build dirs and .git excluded).
files=$(find . -path ./src/seam -prune -o -path './build*' -prune \
	-o -path ./.git -prune -o \( -name '*.c' -o -name '*.h' \) -print)

for f in $files; do
	# Includes of the seam directory other than the two public headers.
	bad=$(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]([^">]*/)?seam/' "$f" |
	      grep -vE 'seam/(seamcall|tdcall)\.h[">]' || true)
	if [ -n "$bad" ]; then
		echo "$f: includes a private header of src/seam:"
		echo "$bad"
		status=1
	fi
	# Private headers included by bare name or through a relative path.
	for h in $private; do
		hit=$(grep -nE "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"]([^\">]*/)?$h[\">]" "$f" || true)
		if [ -n "$hit" ]; then
			echo "$f: includes $h"
			echo "$hit"
			status=1
		fi
	done
done

if [ "$status" -eq 0 ]; then
	echo "ok: nothing outside src/seam includes a seam header other than seamcall.h/tdcall.h"
fi
exit $status
