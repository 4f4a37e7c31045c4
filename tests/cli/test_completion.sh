#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The bash completion (data/tdxsim.bash-completion), sourced into bash and
# called as bash calls it (COMP_WORDS, COMP_CWORD): commands, options,
# option values, kernel profile names and scenario names.
#
# usage: test_completion.sh COMPLETION_FILE TDXSIM
set -u
file=$1
bindir=$(cd "$(dirname "$2")" && pwd)
PATH=$bindir:$PATH
# shellcheck source=/dev/null
source "$file"
n=0
fail=0

# complete "WORDS..." : COMPREPLY for the cursor at the last word.
complete_line()
{
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMPREPLY=()
	_tdxsim
	printf '%s\n' "${COMPREPLY[@]}" | sort
}

# expect DESCRIPTION WANT... -- WORDS...: every WANT is offered.
expect()
{
	local what=$1 want=() got w missing=
	shift
	while [ "$1" != -- ]; do want+=("$1"); shift; done
	shift
	got=$(complete_line "$@")
	for w in "${want[@]}"; do
		grep -qxF -- "$w" <<< "$got" || missing="$missing $w"
	done
	n=$((n + 1))
	if [ -z "$missing" ] && [ -n "$got" ]; then
		echo "ok $n - $what"
	else
		fail=1
		echo "not ok $n - $what: missing$missing; got: $(echo $got)"
	fi
}

# expect_only DESCRIPTION WANT -- WORDS...: exactly WANT is offered.
expect_only()
{
	local what=$1 want=$2 got
	shift 3
	got=$(complete_line "$@")
	n=$((n + 1))
	if [ "$got" = "$want" ]; then
		echo "ok $n - $what"
	else
		fail=1
		echo "not ok $n - $what: got '$(echo $got)', want '$want'"
	fi
}

commands=$(tdxsim --help | sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p')
expect "every command" $commands -- tdxsim ''
expect_only "a command by its prefix" scenario -- tdxsim sc
expect "global options" --help --version -- tdxsim --
expect "run's options" --kernel --vcpus --json --workload --mode -- tdxsim run --
expect "explore's options after other words" --schedules --json -- \
	tdxsim explore mirror-race --design before --
expect_only "only options the command has" "--first-seed" -- \
	tdxsim explore mirror-race --fi
expect "kernel profile names (tdxsim kernels)" v6.16 v7.0 next -- \
	tdxsim run --kernel ''
expect_only "a kernel profile by its prefix" next -- tdxsim measure --kernel ne
expect "an overlay after +" next+hugepage-rfc next+seed000-rfc -- \
	tdxsim run --kernel next+
expect_only "only overlays after +" "v6.16+hugepage-rfc" -- \
	tdxsim run --kernel v6.16+h
scenarios=$(tdxsim scenario --list | sed -n 's/^\([a-z0-9][a-z0-9-]*\) .*/\1/p')
expect "scenario names (tdxsim scenario --list)" $scenarios -- tdxsim scenario ''
expect_only "a scenario by its prefix" mirror-race -- tdxsim explore --json mi
expect "scenario designs" before upstream -- tdxsim scenario --design ''
expect_only "a workload" convert-churn -- tdxsim run --workload conv
expect "fuzz's strategies" random pct bounded -- tdxsim fuzz --strategy ''
expect "help's commands" run fuzz -- tdxsim help ''
expect_only "no words for a number" '' -- tdxsim run --vcpus ''
echo "1..$n"
exit $fail
