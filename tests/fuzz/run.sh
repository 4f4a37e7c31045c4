#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Run each libFuzzer target of tests/fuzz for SECONDS seconds (what
# `make fuzz FUZZ_SECONDS=N` does):
#
#   tests/fuzz/run.sh BUILD_DIR SECONDS [PARSER...]
#
# Each fuzzer starts from the corpus in the tree (tests/fuzz/corpus/PARSER)
# plus its own working corpus in BUILD_DIR/fuzz-corpus/PARSER (where new
# inputs go; the tree's corpus is never written), with its dictionary. A
# crash, a failed check, a leak or a timeout leaves the input in
# BUILD_DIR/fuzz-artifacts/PARSER/ and fails the run: copy it to
# tests/fuzz/regress/PARSER/ (so `make check` replays it) and fix the parser.
# Prints, per fuzzer, the executions, exec/s and coverage (cov, ft) reached.
set -uo pipefail

build=${1:?usage: run.sh BUILD_DIR SECONDS [PARSER...]}
seconds=${2:?usage: run.sh BUILD_DIR SECONDS [PARSER...]}
shift 2
here=$(cd "$(dirname "$0")" && pwd)
parsers=("$@")
[ ${#parsers[@]} -eq 0 ] && parsers=(tdvf program)

rc=0
for p in "${parsers[@]}"; do
	bin=$build/tests/fuzz/fuzz_$p
	work=$build/fuzz-corpus/$p
	art=$build/fuzz-artifacts/$p
	log=$build/fuzz-$p.log
	mkdir -p "$work" "$art"
	echo "== fuzz_$p: ${seconds}s from $(ls "$here/corpus/$p" | wc -l) seeds + $(ls "$work" | wc -l) found before"
	# -max_len: no corpus file is over 64 KiB; -timeout: a parse is
	# microseconds, seconds mean a hang; -rss_limit_mb: growth is a bug;
	# -use_value_profile: the parsers compare fields with constants.
	"$bin" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=1024 \
		-max_len=65536 -use_value_profile=1 -dict="$here/$p.dict" \
		-print_final_stats=1 \
		-artifact_prefix="$art/" "$work" "$here/corpus/$p" \
		>"$log" 2>&1
	status=$?
	# The last status line ("#N DONE cov: C ft: F corp: ... exec/s: E")
	# and the final stats.
	last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	cov=$(sed -n 's/.* cov: \([0-9]*\) .*/\1/p' <<<"$last")
	ft=$(sed -n 's/.* ft: \([0-9]*\) .*/\1/p' <<<"$last")
	corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9]*[a-zA-Z]*\) .*/\1/p' <<<"$last")
	echo "fuzz_$p: ${execs:-?} runs, ${rate:-?} exec/s, cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?}"
	if [ $status -ne 0 ]; then
		rc=1
		echo "fuzz_$p: FAILED (exit $status); the log's end:"
		grep -v '^#[0-9]' "$log" | tail -n 40
		echo "fuzz_$p: the input is in $art/; copy it to tests/fuzz/regress/$p/"
	fi
done
exit $rc
