#!/usr/bin/python3
"""canopy-bench contention runs every layout with every co-runner in each round, the co-runners
really run (they report the bytes they moved; the one named none moves nothing), and the
summary gives each combination's median against the same layout alone, and the layouts'
ratio paired by round.

Usage: test_bench_contention.py CANOPY-BENCH
Exit 0 on success, 1 on failure, 77 (skipped) on a machine with a single CPU.
"""

import os
import statistics
import subprocess
import sys

SKIP = 77
ROUNDS = 3


def fields(line):
    return dict(item.split("=", 1) for item in line.split()[1:])


def main():
    if len(os.sched_getaffinity(0)) < 2:
        print("skipped: the co-runner needs a second CPU")
        return SKIP
    bench = sys.argv[1]
    out = subprocess.run(
        [bench, "contention", "--n", "5000", "--steps", "3", "--rounds", str(ROUNDS),
         "--co-runner-mib", "8"],
        check=True, capture_output=True, text=True).stdout
    runs = [fields(l) for l in out.splitlines() if l.startswith("contention ")]
    medians = [fields(l) for l in out.splitlines() if l.startswith("contention_median ")]
    combos = {(o, c) for o in ("rcm", "natural") for c in ("none", "stream", "random")}
    assert len(runs) == ROUNDS * len(combos), out
    for r in range(1, ROUNDS + 1):
        got = {(f["order"], f["co_runner"]) for f in runs if f["round"] == str(r)}
        assert got == combos, f"round {r}: {sorted(got)}"
    for f in runs:
        assert float(f["agent_steps_per_s_steploop"]) > 0, f
        moved = float(f["co_runner_gb_s"])
        assert (moved == 0) if f["co_runner"] == "none" else (moved > 0), f
    assert {(f["order"], f["co_runner"]) for f in medians} == combos, out
    for f in medians:
        rates = [float(g["agent_steps_per_s_steploop"]) for g in runs
                 if (g["order"], g["co_runner"]) == (f["order"], f["co_runner"])]
        alone = [float(g["agent_steps_per_s_steploop"]) for g in runs
                 if (g["order"], g["co_runner"]) == (f["order"], "none")]
        median = float(f["agent_steps_per_s_steploop"])
        assert abs(median - statistics.median(rates)) <= 1, (f, rates)
        ratio = float(f["of_alone"])
        assert abs(ratio - median / statistics.median(alone)) < 1e-3, (f, alone)
    layouts = [fields(l) for l in out.splitlines() if l.startswith("contention_layout ")]
    assert {f["co_runner"] for f in layouts} == {"none", "stream", "random"}, out
    for f in layouts:
        rate = {(g["round"], g["order"]): float(g["agent_steps_per_s_steploop"]) for g in runs
                if g["co_runner"] == f["co_runner"]}
        ratios = [rate[(str(r), "rcm")] / rate[(str(r), "natural")] for r in range(1, ROUNDS + 1)]
        assert abs(float(f["rcm_over_natural"]) - statistics.median(ratios)) < 1e-3, (f, ratios)
        assert abs(float(f["min"]) - min(ratios)) < 1e-3 and abs(float(f["max"]) - max(ratios)) < 1e-3
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
