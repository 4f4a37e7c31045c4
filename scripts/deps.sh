#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Install, with apt-get, only the Debian packages tdxsim needs that are
# missing (or, given package names, only those). Silent when everything is
# there.
set -euo pipefail

pkgs=(meson ninja-build pkg-config gcc clang python3 liburcu-dev libssl-dev
      libcmocka-dev ovmf binutils groff-base libclang-rt-14-dev
      python3-jsonschema)
# With arguments: only those packages, optional ones that a test installs
# when it runs (tests/trace: graphviz, for dot).
[ $# -gt 0 ] && pkgs=("$@")

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	     grep -q 'install ok installed'; then
		# libclang-rt-14-dev is only a nice-to-have (clang's sanitizers).
		if [ "$p" = libclang-rt-14-dev ] &&
		   ! apt-cache show "$p" >/dev/null 2>&1; then
			continue
		fi
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
SUDO=
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
