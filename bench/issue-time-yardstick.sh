#!/usr/bin/env bash
# Issue 8's goal 2 (the ecosystem's ns per firm-step against the reference step) measured against
# the yardstick as it stood when the issue was filed, beside the one that moves.
#
#   bench/issue-time-yardstick.sh [ROUNDS] [BIN]   (ROUNDS default 8; BIN a release build's bin/,
#                                                   default build/bin)
#
# The reference model has got about three times faster since the issue was filed, while the
# ratio's target stayed at 3, so the ratio `canopy-bench ecosystem --profile` prints mixes two
# changes. This script builds canopy-bench as it was then (commit 01d0a05, the issue's "today",
# in build-issue-time/, once) and runs the two programs alternately, round by round, on one
# thread:
#   eco     this tree's ecosystem, ns per firm-step (--profile 5: the median of 5 replicates);
#   ref     this tree's reference step in the same run, at the same n and 24 steps;
#   ref0    01d0a05's reference step at that n, 24 steps, one thread;
#   eco0    01d0a05's ecosystem on its own scenario, 40 replicates one after another;
#   eco40   this tree's ecosystem the same way (40 replicates, one thread);
# and prints eco/ref (the goal's ratio), eco/ref0 (against the issue-time step), eco0/ref0 (the
# issue's "today about 6x", reproduced) and eco0/eco40 (the ecosystem's own speed-up per
# firm-step), each round and their medians.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-8}
if ! [[ $rounds =~ ^[1-9][0-9]*$ ]]; then
    echo "issue-time-yardstick.sh: ROUNDS must be a positive integer, not '$rounds'" >&2
    exit 2
fi
now=${2:-build/bin}/canopy-bench
if [[ ! -x $now ]]; then
    echo "issue-time-yardstick.sh: $now not found: build first (cmake --preset release && cmake --build --preset release)" >&2
    exit 2
fi
issue_time=01d0a05
src=build-issue-time/src
then_bench=build-issue-time/build/bin/canopy-bench
if [[ ! -x $then_bench ]]; then
    if ! git cat-file -e "$issue_time^{commit}" 2>/dev/null; then
        echo "issue-time-yardstick.sh: commit $issue_time is not in this clone (a shallow clone? git fetch --unshallow)" >&2
        exit 2
    fi
    rm -rf build-issue-time
    mkdir -p "$src"
    git archive "$issue_time" | tar -x -C "$src"
    cmake -S "$src" -B build-issue-time/build -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build build-issue-time/build --target canopy-bench -j 2 >/dev/null
fi

value() { # value KEY TEXT: the number after KEY= in TEXT
    grep -oE "$1=[0-9.]+" <<<"$2" | head -1 | cut -d= -f2
}
median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

table=$(mktemp)
trap 'rm -f "$table"' EXIT
printf '%-6s %7s %6s %6s %7s %7s %8s %9s %10s %11s\n' round eco ref ref0 eco0 eco40 eco/ref \
    eco/ref0 eco0/ref0 eco0/eco40
for ((r = 1; r <= rounds; ++r)); do
    profile=$("$now" ecosystem --replicates 0 --profile 5)
    eco=$(value ns_per_firm_step "$(grep 'profile model=ecosystem' <<<"$profile")")
    ref=$(value ns_per_firm_step "$(grep 'profile model=reference' <<<"$profile")")
    n=$(grep -oE 'reference model at n=[0-9]+' <<<"$profile" | cut -d= -f2)
    ref0=$(value agent_steps_per_s_steploop \
        "$("$then_bench" reference --n "$n" --steps 24 --seed "$r" --threads 1 --quiet)")
    eco0=$(value agent_steps_per_s "$("$then_bench" ecosystem --scenario "$src/scenarios/wuhan-2023.toml" \
        --replicates 40 --threads 1 --seed "$r")")
    eco40=$(value agent_steps_per_s "$("$now" ecosystem --replicates 40 --threads 1 --seed "$r" --profile 0)")
    awk -v r="$r" -v e="$eco" -v f="$ref" -v f0="$ref0" -v e0="$eco0" -v e40="$eco40" 'BEGIN {
        f0 = 1e9 / f0; e0 = 1e9 / e0; e40 = 1e9 / e40
        printf "%-6d %7.2f %6.2f %6.2f %7.2f %7.2f %8.2f %9.2f %10.2f %11.2f\n",
               r, e, f, f0, e0, e40, e / f, e / f0, e0 / f0, e0 / e40 }' | tee -a "$table"
done
printf 'median'
for column in 2 3 4 5 6 7 8 9 10; do
    printf ' %s' "$(awk -v c=$column '{print $c}' "$table" | median)"
done
printf '\n# ns per firm-step on one thread; ref0 and eco0 are 01d0a05 (issue 8 as filed); goal 2 asks eco/ref <= 3\n'
