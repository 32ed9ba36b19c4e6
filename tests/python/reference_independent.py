#!/usr/bin/python3
"""An independent implementation of the reference model (shared/bench/REFERENCE.md), written
from the rules alone with numpy's own random numbers, compared with canopy-bench over seeds.

Usage: reference_independent.py CANOPY_BENCH [SEEDS]

The two implementations share no code and no random numbers, so they agree only in
distribution: for each stage the step-12 means over SEEDS seeds must differ by less than
4 standard errors of the difference, sqrt(s1^2/n + s2^2/n) (two-sided p ~ 6e-5 per stage).
Exit status 0 when they agree, 1 when not, 77 (CTest's skip) without numpy.
"""
import subprocess
import sys

try:
    import numpy as np
except ImportError:  # pragma: no cover
    print("numpy not available: skipping")
    sys.exit(77)

EXIT = np.array([0.02, 0.01, 0.004, 0.001])
BASE = np.array([0.03, 0.02, 0.01, 0.0])
EXITED = 4


def barabasi_albert(n, m, rng):
    """Complete graph on m+1 vertices, then each vertex links to m distinct earlier vertices
    chosen proportionally to degree (a list holding each vertex once per edge end)."""
    ends = []
    edges = []
    for a in range(m + 1):
        for b in range(a + 1, m + 1):
            edges.append((a, b))
            ends += [a, b]
    for v in range(m + 1, n):
        picks = set()
        while len(picks) < m:
            picks.add(ends[rng.integers(len(ends))])
        for u in picks:
            edges.append((v, u))
            ends += [v, u]
    return edges, ends


def run(n, seed, steps=12):
    rng = np.random.default_rng(seed)
    edges, ends = barabasi_albert(n, 3, rng)
    stage = np.full(n, 1)
    counts = [round(0.375 * n), round(0.300 * n), round(0.001 * n)]
    order = rng.permutation(n)
    stage[order[: counts[0]]] = 0
    stage[order[counts[0] : counts[0] + counts[1]]] = 2
    stage[order[counts[0] + counts[1] : sum(counts)]] = 3
    src = np.array([e[0] for e in edges] + [e[1] for e in edges])
    dst = np.array([e[1] for e in edges] + [e[0] for e in edges])
    rows = []
    for _ in range(steps):
        size = len(stage)
        active = stage != EXITED
        # Every firm decides from the stages at the start of the step.
        nb_active = np.bincount(src, weights=active[dst], minlength=size)
        higher = np.bincount(src, weights=(active[dst] & (stage[dst] > stage[src])), minlength=size)
        share = np.where(nb_active > 0, higher / np.maximum(nb_active, 1), 0.0)
        st = np.where(active, stage, 0)
        exits = active & (rng.random(size) < EXIT[st])
        up = active & ~exits & (st < 3) & (rng.random(size) < BASE[st] * (1 + 0.5 * share))
        new_stage = stage.copy()
        new_stage[exits] = EXITED
        new_stage[up] = stage[up] + 1
        stage = new_stage
        # Births: link to 3 distinct firms that existed before and are active, by total degree.
        k = rng.poisson(300 * n / 40000)
        snapshot = len(ends)
        new_src, new_dst = [], []
        for b in range(k):
            v = size + b
            picks = set()
            while len(picks) < 3:
                u = ends[rng.integers(snapshot)]
                if stage[u] != EXITED:
                    picks.add(u)
            for u in picks:
                ends += [v, u]
                new_src += [v, u]
                new_dst += [u, v]
        stage = np.concatenate([stage, np.zeros(k, dtype=stage.dtype)])
        src = np.concatenate([src, np.array(new_src, dtype=src.dtype)])
        dst = np.concatenate([dst, np.array(new_dst, dtype=dst.dtype)])
        rows.append([int(np.sum(stage == s)) for s in range(4)])
    return rows[-1]


def canopy(bench, seed, n):
    out = subprocess.run([bench, "reference", "--n", str(n), "--steps", "12", "--seed", str(seed),
                          "--threads", "1"], check=True, capture_output=True, text=True).stdout
    last = [line for line in out.splitlines() if line.startswith("12,")][0].split(",")
    return [int(x) for x in last[1:5]]


def main():
    bench = sys.argv[1]
    seeds = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    n = 40000
    ours = np.array([canopy(bench, s, n) for s in range(1, seeds + 1)], dtype=float)
    theirs = np.array([run(n, 1000 + s) for s in range(seeds)], dtype=float)
    ok = True
    for k, name in enumerate(["incubated", "sme", "hightech", "leader"]):
        m1, m2 = ours[:, k].mean(), theirs[:, k].mean()
        se = np.sqrt(ours[:, k].var(ddof=1) / seeds + theirs[:, k].var(ddof=1) / seeds)
        agree = abs(m1 - m2) < 4 * se
        ok &= agree
        print(f"{name:10s} canopy {m1:9.1f}  independent {m2:9.1f}  diff {m1 - m2:7.1f}  "
              f"4se {4 * se:6.1f}  {'ok' if agree else 'DISAGREE'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
