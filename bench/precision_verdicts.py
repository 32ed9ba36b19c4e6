#!/usr/bin/python3
"""--precision against a full run, back to back (issue 8's check, too slow for the test suite).

    /usr/bin/python3 bench/precision_verdicts.py build-ci/bin/canopy [SCENARIO] [--precision H]
        [--replicates M] [--threads T]

Runs `canopy run SCENARIO --precision H --replicates M` and `canopy run SCENARIO --replicates M`
one after the other, prints the replicates each used and its wall time, and each target's
verdict (likely / unlikely / uncertain: the JSON's `verdict`, as the table reports it; under a
precision rule taken on the looks' stricter interval, not on `p_attain_ci`) in both. Exit
status 1 when a verdict the precision run decided differs from the full run's.
"""
import argparse
import json
import subprocess
import sys
import tempfile
import time


def verdict(t):
    return t["verdict"]


def run(canopy, args, out):
    t0 = time.monotonic()
    subprocess.run([canopy, "run", *args, "-q", "--json", out], check=True)
    seconds = time.monotonic() - t0
    with open(out) as f:
        return json.load(f), seconds


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("canopy")
    ap.add_argument("scenario", nargs="?", default="")
    ap.add_argument("--precision", default="0.02")
    ap.add_argument("--replicates", default="1000")
    ap.add_argument("--threads", default="2")
    a = ap.parse_args()
    common = ([a.scenario] if a.scenario else []) + ["-n", a.replicates, "-t", a.threads]
    with tempfile.TemporaryDirectory() as d:
        p, p_s = run(a.canopy, common + ["--precision", a.precision], d + "/p.json")
        f, f_s = run(a.canopy, common, d + "/f.json")
    print(f"precision {a.precision}: {p['replicates']} replicates in {p_s:.2f} s "
          f"(settled: {p['precision']['settled']}); full: {f['replicates']} replicates in "
          f"{f_s:.2f} s; ratio full/precision {f_s / p_s:.2f}")
    bad = 0
    for tp, tf in zip(p["targets"], f["targets"]):
        vp, vf = verdict(tp), verdict(tf)
        differs = vp != "uncertain" and vp != vf
        bad += differs
        print(f"  {tp['id']:<32} P {tp['p_attain']:.3f} {vp:<9} | full P {tf['p_attain']:.3f} "
              f"{vf:<9}{'  DIFFERS' if differs else ''}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
