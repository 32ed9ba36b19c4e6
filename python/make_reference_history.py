#!/usr/bin/python3
"""Writes scenarios/data/reference-history.csv: a history simulated from the reference model with
known parameters, so that a calibration of it (scenarios/reference-calibration.toml) can be
checked against the values that made it.

    python/make_reference_history.py [--canopy build/bin/canopy]

What it does, so the file can be reproduced and judged:
  1. runs scenarios/reference-history.toml once (one replicate, seed 20210101) with
     births_per_month = 15 (REFERENCE.md's 300 per 40,000 firms at 2,000 firms) and the
     high-tech promotion lever scaled by 1.5 — the "true" parameters;
  2. reads the run's series (year-end stocks of incubated, high-tech and leader firms, exits
     over each year) for 2021-2023;
  3. adds measurement error, normal with a standard deviation of 5 % of each figure
     (numpy, seed 7), and rounds to whole firms;
  4. marks a few rows the way published figures are marked: the 2022 exits as a lower bound
     ("over N", rounded down to tens), the 2021 leaders as an approximation ("about N",
     rounded to tens), and the high-tech count of 2023 as a mid-year stock (end of June).
Nothing in the file is data about the world: every row says it was simulated.

The shipped file was written on 2 December 2026 (commit 8185156). The reference model's draws
have moved since (each change recorded with its golden files' refresh), so this script now
writes other figures from the same true parameters and noise (high-tech 2023: 698, not 685;
exits 2022: over 220, not over 210). The file is kept as it was written, so that
docs/calibration.md's figures rest on one fixed history; `--out` writes a fresh one elsewhere to
compare (an outside tester found the difference).
"""
import argparse
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, ".."))
SCENARIO = os.path.join(ROOT, "scenarios", "reference-history.toml")
OUT = os.path.join(ROOT, "scenarios", "data", "reference-history.csv")
SEED = 20210101
TRUE = {"births_per_month": 15.0, "lever_high_tech": 1.5}
SOURCE = ("simulated: canopy run scenarios/reference-history.toml --replicates 1 --seed 20210101 "
          "--set births_per_month=15 --set lever_high_tech*=1.5, plus 5 % measurement error "
          "(python/make_reference_history.py)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--canopy", default=os.path.join(ROOT, "build", "bin", "canopy"))
    parser.add_argument("--out", default=OUT, help="where to write (default: the shipped file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        h5 = os.path.join(tmp, "run.h5")
        subprocess.run([args.canopy, "run", SCENARIO, "--replicates", "1", "--seed", str(SEED),
                        "--set", f"births_per_month={TRUE['births_per_month']}",
                        "--set", f"lever_high_tech*={TRUE['lever_high_tech']}",
                        "--quiet", "--out", h5], check=True)
        with h5py.File(h5, "r") as f:
            labels = [x.decode() if isinstance(x, bytes) else x for x in f["time_label"][:]]
            series = {name: f["series"][name][0, :] for name in f["series"]}
    row = {label: i for i, label in enumerate(labels)}
    rng = np.random.default_rng(7)

    def noisy(x):
        return float(np.round(x * (1.0 + 0.05 * rng.standard_normal())))

    rows = []
    for year in (2021, 2022, 2023):
        end = row[f"{year}-12"]
        first = row[f"{year - 1}-12"] + 1
        figures = {
            "reference_incubated": series["incubated"][end],
            "reference_high_tech": series["high_tech"][end],
            "reference_leaders": series["leader"][end],
            "reference_exits": series["exits"][first:end + 1].sum(),
        }
        for name, value in figures.items():
            unit = "firms (year-end stock)" if name != "reference_exits" else "firms (during the year)"
            value = noisy(value)
            if name == "reference_exits" and year == 2022:
                value = float(int(value) // 10 * 10)
                unit = f'firms (lower bound, "over {int(value)}")'
            if name == "reference_leaders" and year == 2021:
                value = float(round(value / 10.0) * 10)
                unit = f'firms (approx, "about {int(value)}")'
            if name == "reference_high_tech" and year == 2023:
                value = noisy(series["high_tech"][row["2023-06"]])
                unit = "firms (as of end-June 2023; not a year-end figure)"
            rows.append((name, year, value, unit))
    with open(args.out, "w", encoding="utf-8", newline="") as f:
        f.write("series,year,value,unit,source,quote\n")
        for name, year, value, unit in sorted(rows):
            quote = unit.replace('"', '""')
            f.write(f'{name},{year},{value:g},"{quote}","{SOURCE}",simulated\n')
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
