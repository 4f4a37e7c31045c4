#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Two builds of tdxsim on the same exploration, repetitions interleaved:
# the median schedules per second (wall clock) and CPU time per schedule
# of each, and B's CPU speed-up over A. For a change that both scheduler
# back ends share (bench_sched's fiber/thread ratio cannot show it): build
# the old commit in another directory and pass both tdxsim commands (a
# command may be a script, e.g. one that runs the old build with
# TDXSIM_SCHED_BACKEND=thread). CPU time comes from bash's `time` (the
# child's rusage, 1 ms); /usr/bin/time's 10 ms was a tenth of a 600-schedule
# run's CPU. -c CPU runs both on that CPU (taskset): on a virtual machine
# the CPUs need not be equally fast at a given moment (round f14-speed5, 2
# CPUs: the same exploration ran 1.75x slower on one of them for minutes,
# then on both while other work ran), and an unpinned run lands on either.
# A's threads then hand off on one CPU, which costs them less than across
# two: compare ratios of one setting only.
#
#   bench/explore_ab.sh [-n SCHEDULES] [-r REPS] [-s SCENARIO] [-c CPU] TDXSIM_A TDXSIM_B
set -eu
n=200 reps=5 scen=populate-deadlock pin=
while getopts n:r:s:c: o; do
	case $o in
	n) n=$OPTARG ;;
	r) reps=$OPTARG ;;
	s) scen=$OPTARG ;;
	c) pin="taskset -c $OPTARG" ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 2 ] || { echo "usage: $0 [-n N] [-r R] [-s SCENARIO] [-c CPU] TDXSIM_A TDXSIM_B" >&2; exit 2; }
# Wall clock and CPU time of one run, in milliseconds (bash's time: the
# waited child's rusage, where /usr/bin/time rounds to 10 ms).
timed() {
	b=$1
	shift
	{ bash -c 'TIMEFORMAT="%3R %3U %3S"; time "$@" >/dev/null 2>&1' _ "$@"; } \
		2>&1 | sed "s/^/$b /" >>"$out"
}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
i=0
while [ $i -lt "$reps" ]; do
	for b in A B; do
		[ $b = A ] && bin=$1 || bin=$2
		timed "$b" $pin "$bin" explore "$scen" --schedules "$n" -q || true
	done
	i=$((i + 1))
done
awk -v n="$n" -v scen="$scen" -v a="$1" -v b="$2" '
function median(arr, k,   i, j, t) {
	for (i = 1; i <= k; i++)
		for (j = i + 1; j <= k; j++)
			if (arr[j] < arr[i]) { t = arr[i]; arr[i] = arr[j]; arr[j] = t }
	return k % 2 ? arr[(k + 1) / 2] : (arr[k / 2] + arr[k / 2 + 1]) / 2
}
NF == 4 { k[$1]++; w[$1, k[$1]] = $2; c[$1, k[$1]] = $3 + $4 }
END {
	for (x = 0; x < 2; x++) {
		id = x ? "B" : "A"
		for (i = 1; i <= k[id]; i++) { ww[i] = w[id, i]; cc[i] = c[id, i] }
		mw[id] = median(ww, k[id]); mc[id] = median(cc, k[id])
		printf "%s %-40s %8.0f sch/s wall %8.0f us CPU/schedule\n", id,
		       x ? b : a, n / mw[id], 1e6 * mc[id] / n
	}
	printf "%s: B vs A, CPU per schedule: %.2fx\n", scen, mc["A"] / mc["B"]
}' "$out"
