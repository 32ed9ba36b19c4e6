#!/usr/bin/env bash
# Issue 8's five figures in one pass, each measured back to back on this machine:
#
#   bench/issue8-figures.sh [BIN] [ROUNDS]   (BIN: a release build's bin/, default build/bin;
#                                             ROUNDS: default 4)
#
#   goal 1  `canopy run --replicates 1000 --threads 2` of each code's default scenario, this
#           tree's against the code when the issue was filed (01d0a05), alternated round by
#           round; the ratio of wall times;
#   goal 2  bench/issue-time-yardstick.sh (the ecosystem's ns per firm-step over the reference
#           step's, in the same run and against the issue-time step);
#   goal 3  `canopy-bench ecosystem --profile 3`: bytes per firm and the per-phase profile;
#   goal 4  the reference model at 400,000 firms on 2 threads against the numpy peer
#           (../shared/bench/numpy_peer.py), alternated; the ratio of step-loop rates;
#   goal 5  `canopy-bench bandwidth --threads 2` (4 M firms against the binding ceiling).
#
# It builds 01d0a05's canopy and canopy-bench once, in build-issue-time/ (as the yardstick
# script does). A busy machine moves every absolute figure by up to 2x: run it when nothing else
# is, and read the ratios. It takes about 5 minutes once the old code is built.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/bin}
rounds=${2:-4}
if ! [[ $rounds =~ ^[1-9][0-9]*$ ]]; then
    echo "issue8-figures.sh: ROUNDS must be a positive integer, not '$rounds'" >&2
    exit 2
fi
for program in canopy canopy-bench; do
    if [[ ! -x $bin/$program ]]; then
        echo "issue8-figures.sh: $bin/$program not found: build first (cmake --preset release && cmake --build --preset release), or name a build's bin/" >&2
        exit 2
    fi
done
peer=../shared/bench/numpy_peer.py
if [[ ! -f $peer ]]; then
    echo "issue8-figures.sh: the numpy peer $peer is not there" >&2
    exit 2
fi
issue_time=01d0a05
src=build-issue-time/src
old=build-issue-time/build/bin
if [[ ! -x $old/canopy || ! -x $old/canopy-bench ]]; then
    if ! git cat-file -e "$issue_time^{commit}" 2>/dev/null; then
        echo "issue8-figures.sh: commit $issue_time is not in this clone (a shallow clone? git fetch --unshallow)" >&2
        exit 2
    fi
    rm -rf build-issue-time
    mkdir -p "$src"
    git archive "$issue_time" | tar -x -C "$src"
    cmake -S "$src" -B build-issue-time/build -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build build-issue-time/build --target canopy canopy-bench -j 2 >/dev/null
fi
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
seconds() { # seconds COMMAND...: wall time in seconds, output discarded
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >/dev/null
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}'
}
value() { grep -oE "$1=[0-9.e+]+" <<<"$2" | head -1 | cut -d= -f2; }

echo "# issue 8 figures, $(date -u '+%Y-%m-%d %H:%M UTC'), $(git rev-parse --short HEAD), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "## goal 1: 1,000 replicates, 2 threads (s); issue-time code first in each round"
for ((r = 1; r <= rounds; ++r)); do
    then_s=$(seconds "$old/canopy" run "$src/scenarios/wuhan-2023.toml" --replicates 1000 \
        --threads 2 --json "$scratch/old.json")
    now_s=$(seconds "$bin/canopy" run --replicates 1000 --threads 2 --json "$scratch/new.json")
    awk -v r="$r" -v a="$then_s" -v b="$now_s" \
        'BEGIN {printf "round %d  01d0a05 %6.2f  now %6.2f  speed-up %.2fx\n", r, a, b, a / b}'
done
echo "## goal 2: bench/issue-time-yardstick.sh 6"
bench/issue-time-yardstick.sh 6 "$bin"
echo "## goal 3: canopy-bench ecosystem --profile 3"
"$bin/canopy-bench" ecosystem --replicates 0 --profile 3 | grep -E '^(memory|profile|ratio)' || true
echo "## goal 4: reference model, 400,000 firms, 2 threads, against the numpy peer (agent-steps/s of the step loop)"
for ((r = 1; r <= rounds; ++r)); do
    numpy=$(value agent_steps_per_s_steploop \
        "$(/usr/bin/python3 "$peer" --n 400000 --seed "$r" --quiet)")
    ours=$(value agent_steps_per_s_steploop \
        "$("$bin/canopy-bench" reference --n 400000 --steps 12 --seed "$r" --threads 2 --quiet)")
    awk -v r="$r" -v a="$numpy" -v b="$ours" \
        'BEGIN {printf "round %d  numpy %.3g  canopy %.3g  ratio %.1fx\n", r, a, b, b / a}'
done
echo "## goal 5: canopy-bench bandwidth --threads 2"
"$bin/canopy-bench" bandwidth --threads 2
