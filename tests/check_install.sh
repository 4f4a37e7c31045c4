#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The installed library, checked as a user gets it: `meson install --destdir`
# into a staging directory, then
#   1. the files: the command, libtdxsim.so (with its soname links) and .a,
#      every public header under include/tdxsim/ (and only those), tdxsim.pc,
#      tdxsim(1), the test library (libtdxsim-testutil.so and .a,
#      tdxsim-testutil.pc) and the bash completion;
#   2. the exports: libtdxsim.so's dynamic symbols (nm -D) are exactly what
#      include/tdxsim/*.h declare, as the compiler lists the prototypes
#      (gcc -aux-info) plus the headers' extern objects, all tdxsim_*; the
#      test library's are exactly what its two headers (test_util.h,
#      kvm_util.h) declare;
#   3. a program written against the installed headers only
#      (tests/kvm/tiny_vmm.c, copied away from the source tree) builds with
#      `cc prog.c $(pkg-config --cflags --libs tdxsim)` and runs, and links
#      against the static library too; the test library's example
#      (examples/punch_race.c) builds with pkg-config tdxsim-testutil and
#      runs;
#   4. the installed command runs, and its man page covers every command and
#      every option that `tdxsim --help` and each command's --help print.
#
# usage: check_install.sh SRCROOT BUILDDIR CC
set -u
src=$1
build=$2
cc=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
bad() { n=$((n + 1)); fail=1; echo "not ok $n - $*"; }

if ! meson install -C "$build" --no-rebuild --quiet --destdir "$tmp/stage" \
	> "$tmp/install.log" 2>&1; then
	cat "$tmp/install.log"
	echo "Bail out! meson install --destdir failed"
	exit 1
fi
eval "$(meson introspect "$build" --buildoptions | python3 -c '
import json, sys
opts = {o["name"]: o["value"] for o in json.load(sys.stdin)}
for k in ("prefix", "libdir", "includedir", "bindir", "mandir", "datadir",
          "b_sanitize"):
    print(f"{k}={opts[k]!r}")
')"
# A library built with a sanitizer needs its runtime in the program too.
san=
[ "$b_sanitize" != none ] && san=-fsanitize=$b_sanitize
abs() { case $1 in /*) echo "$1" ;; *) echo "$prefix/$1" ;; esac; }
root=$tmp/stage$prefix
lib=$tmp/stage$(abs "$libdir")
inc=$tmp/stage$(abs "$includedir")
bin=$tmp/stage$(abs "$bindir")
man=$tmp/stage$(abs "$mandir")
completion=$tmp/stage$(abs "$datadir")/bash-completion/completions/tdxsim
# The test library's headers: not libtdxsim's API (libtdxsim-testutil's).
testutil_headers="kvm_util.h test_util.h"
version=$(sed -n "s/^ *version : '\(.*\)',$/\1/p" "$src/meson.build")

# 1. The files.
missing=
for f in "$bin/tdxsim" "$lib/libtdxsim.so" "$lib/libtdxsim.so.0" \
	 "$lib/libtdxsim.so.$version" "$lib/libtdxsim.a" \
	 "$lib/pkgconfig/tdxsim.pc" "$man/man1/tdxsim.1" \
	 "$lib/libtdxsim-testutil.so" "$lib/libtdxsim-testutil.so.0" \
	 "$lib/libtdxsim-testutil.a" "$lib/pkgconfig/tdxsim-testutil.pc" \
	 "$completion" "$lib/libtdxsim-preload.so"; do
	[ -e "$f" ] || missing="$missing ${f#"$tmp/stage"}"
done
[ -z "$missing" ] && ok "installed: the command, libtdxsim.so and .a, tdxsim.pc, tdxsim.1, libtdxsim-testutil, the bash completion, libtdxsim-preload.so" ||
	bad "not installed:$missing"
want=$(cd "$src/include/tdxsim" && ls -- *.h | sort)
got=$(cd "$inc/tdxsim" 2>/dev/null && ls -- *.h | sort)
[ "$want" = "$got" ] && ok "include/tdxsim: the $(echo "$want" | wc -l) public headers" ||
	bad "installed headers differ from include/tdxsim/: $(diff <(echo "$want") <(echo "$got") | tr '\n' ' ')"
others=$(cd "$tmp/stage" && find . -type f | grep -v -e '/include/tdxsim/[^/]*\.h$' \
	-e '/libtdxsim\.so\.' -e '/libtdxsim\.a$' -e '/tdxsim\.pc$' \
	-e '/libtdxsim-testutil\.so\.' -e '/libtdxsim-testutil\.a$' \
	-e '/tdxsim-testutil\.pc$' -e '/bash-completion/completions/tdxsim$' \
	-e '/man1/tdxsim\.1$' -e '/bin/tdxsim$' -e '/libtdxsim-preload\.so$')
[ -z "$others" ] && ok "nothing else installed" || bad "also installed: $others"

# 2. The exports.
nm -D --defined-only "$lib/libtdxsim.so" | awk '$2 != "A" { sub(/@.*/, "", $3); print $3 }' |
	sort -u > "$tmp/exported"
api=$(for h in $want; do case " $testutil_headers " in *" $h "*) ;; *) echo "$h" ;; esac; done)
# declared OUT HEADER...: the functions and extern objects HEADERs declare.
declared() {
	local out=$1 h
	shift
	printf '#include "tdxsim/%s"\n' "$@" > "$tmp/decl.c"
	"$cc" -I"$src/include" -aux-info "$tmp/aux" -fsyntax-only "$tmp/decl.c" 2>/dev/null || return 1
	{
		for h in "$@"; do
			grep "/include/tdxsim/$h:" "$tmp/aux" | grep -v '\*/ static ' |
				sed 's/ (.*//; s/.*[ *]//'
			sed -n 's/^extern [^(]*[ *]\(tdxsim_[A-Za-z0-9_]*\) *\[.*;$/\1/p' \
				"$src/include/tdxsim/$h"
		done
	} | sort -u > "$out"
}
nm -D --defined-only "$lib/libtdxsim-testutil.so" |
	awk '$2 != "A" { sub(/@.*/, "", $3); print $3 }' | sort -u > "$tmp/exported-testutil"
if "$cc" --version 2>/dev/null | grep -q 'Free Software Foundation' &&
   declared "$tmp/declared" $api; then
	if diff "$tmp/declared" "$tmp/exported" > "$tmp/diff"; then
		ok "libtdxsim.so exports exactly the $(wc -l < "$tmp/exported") functions and objects include/tdxsim/*.h declare"
	else
		bad "exports differ from the headers ('<' declared only, '>' exported only): $(tr '\n' ' ' < "$tmp/diff")"
	fi
	declared "$tmp/declared-testutil" $testutil_headers
	if diff "$tmp/declared-testutil" "$tmp/exported-testutil" > "$tmp/diff"; then
		ok "libtdxsim-testutil.so exports exactly the $(wc -l < "$tmp/exported-testutil") functions test_util.h and kvm_util.h declare"
	else
		bad "libtdxsim-testutil exports differ from its headers ('<' declared only, '>' exported only): $(tr '\n' ' ' < "$tmp/diff")"
	fi
else
	echo "# not gcc: the exports are compared by name prefix only"
fi
[ -s "$tmp/exported" ] && ! grep -v '^tdxsim_' "$tmp/exported" > "$tmp/foreign" &&
	ok "every export is tdxsim_*" || bad "exports outside tdxsim_*: $(tr '\n' ' ' < "$tmp/foreign")"

# 3. A program against the installed copy only, through pkg-config.
export PKG_CONFIG_PATH=$lib/pkgconfig
pc="pkg-config --define-variable=prefix=$root"
cp "$src/tests/kvm/tiny_vmm.c" "$tmp/prog.c"
if (cd "$tmp" && "$cc" $san -Wall -Werror prog.c $($pc --cflags --libs tdxsim) \
	-o prog > build.log 2>&1); then
	ok "cc prog.c \$(pkg-config --cflags --libs tdxsim)"
	if LD_LIBRARY_PATH=$lib "$tmp/prog" > "$tmp/run.log" 2>&1 &&
	   LD_LIBRARY_PATH=$lib ldd "$tmp/prog" | grep -q "$lib/libtdxsim.so.0"; then
		ok "it runs against the installed libtdxsim.so"
	else
		cat "$tmp/run.log"
		bad "the program against the installed library"
	fi
else
	cat "$tmp/build.log"
	bad "cc prog.c \$(pkg-config --cflags --libs tdxsim)"
fi
if (cd "$tmp" && "$cc" $san prog.c $($pc --cflags tdxsim) "$lib/libtdxsim.a" \
	$($pc --static --libs tdxsim | sed 's/-ltdxsim//') -o prog-static \
	> build-static.log 2>&1) && "$tmp/prog-static" > /dev/null 2>&1; then
	ok "it links against libtdxsim.a (pkg-config --static) and runs"
else
	cat "$tmp/build-static.log"
	bad "the program against the installed static library"
fi

# The test library's example against the installed copy (pkg-config
# tdxsim-testutil pulls tdxsim in).
cp "$src/examples/punch_race.c" "$tmp/example.c"
if (cd "$tmp" && "$cc" $san -Wall -Werror example.c \
	$($pc --cflags --libs tdxsim-testutil) -o example > build-example.log 2>&1); then
	if LD_LIBRARY_PATH=$lib "$tmp/example" 3 > "$tmp/example.log" 2>&1 &&
	   LD_LIBRARY_PATH=$lib ldd "$tmp/example" | grep -q "$lib/libtdxsim-testutil.so.0"; then
		ok "examples/punch_race.c builds with pkg-config tdxsim-testutil and runs"
	else
		cat "$tmp/example.log"
		bad "examples/punch_race.c against the installed test library"
	fi
else
	cat "$tmp/build-example.log"
	bad "cc example.c \$(pkg-config --cflags --libs tdxsim-testutil)"
fi

# 4. The command and its manual.
runpath=$(readelf -d "$bin/tdxsim" | sed -n 's/.*R\(UN\)\?PATH.*\[\(.*\)\]/\2/p')
[ "$runpath" = "$(abs "$libdir")" ] && ok "tdxsim finds libtdxsim in $runpath" ||
	bad "tdxsim's RUNPATH is '$runpath', not $(abs "$libdir")"
if LD_LIBRARY_PATH=$lib "$bin/tdxsim" --version | grep -qx "tdxsim $version" &&
   LD_LIBRARY_PATH=$lib "$bin/tdxsim" --version | grep -qx "default kernel profile: [a-z0-9.+-]*" &&
   LD_LIBRARY_PATH=$lib "$bin/tdxsim" measure | grep -qE '^[0-9a-f]{96}$'; then
	ok "the installed tdxsim runs (--version, measure)"
else
	bad "the installed tdxsim does not run"
fi
page=$man/man1/tdxsim.1
if ! command -v groff > /dev/null; then
	echo "ok $((n += 1)) # SKIP groff is not installed: the man page is not checked"
else
	warn=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
	[ -z "$warn" ] && ok "tdxsim.1 formats without a warning" || bad "groff: $warn"
	grep -q '@VERSION@' "$page" && bad "tdxsim.1: @VERSION@ not filled in"
	text=$(groff -man -Tascii -P-cbou "$page" 2>/dev/null)
	cmds=$(LD_LIBRARY_PATH=$lib "$bin/tdxsim" --help | sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p')
	lack=
	for c in $cmds; do
		grep -q "^ *tdxsim $c\b" <<< "$text" || lack="$lack $c"
		for o in $(LD_LIBRARY_PATH=$lib "$bin/tdxsim" $c --help |
			   grep -oE '(^|[ ,[])--?[a-zA-Z][a-zA-Z-]*' | sed 's/^[ ,[]//' | sort -u); do
			grep -qe "$o\b" <<< "$text" || lack="$lack $c:$o"
		done
	done
	for o in --help --version; do
		grep -qe "$o" <<< "$text" || lack="$lack $o"
	done
	for s in 'EXIT STATUS' ENVIRONMENT; do
		grep -q "^$s" <<< "$text" || lack="$lack [$s]"
	done
	[ -z "$lack" ] && ok "tdxsim.1 covers the commands ($(echo $cmds)), their options and the exit statuses" ||
		bad "tdxsim.1 lacks:$lack"
fi
echo "1..$n"
exit $fail
