#!/usr/bin/python3
"""Recalibrates the parameters of scenarios/wuhan-2023.toml marked [CAL] to the published 2022
figures, and reports how well the scenario's 2022 reproduces the history.

    python/calibrate_2022.py [--canopy build/bin/canopy] [--replicates 1000] [--check]

Each parameter is matched to one published 2022 figure by a secant search on the ensemble
mean of the scenario's history indicator, the run as it stands otherwise (the other [CAL]
values at theirs, the posterior's columns drawn per replicate):

    parameter              indicator                     published
    sme_registration_rate  tech_smes_registered_2022     8,680   (湖北日报 2023-02-01)
    turnover_trend         tech_contract_turnover_2022   1,357.41 亿元 (中新网 2023-02-02)
    hte_application_rate   hte_net_increase_2022         2,400 firms, between the 2,200 and
                                                         2,890 net increases reported for 2021

A parameter the scenario draws from its posterior (`posterior_parameters`) is not searched: the
run would not use the value. Only the first two are [CAL] in the shipped scenario; the 2,400 is
an assumption, not a published figure, so hte_application_rate keeps the posterior's draws and
its entry is the prior used without the posterior.

Trial values go into a temporary scenario that `extends` the real one, so the loader checks
them like any scenario. The script prints the calibrated values to copy into the scenario (it
does not edit it); --check only runs the scenario and compares. It needs only the standard
library and the canopy binary.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIO = os.path.normpath(os.path.join(HERE, "..", "scenarios", "wuhan-2023.toml"))

# (parameter, indicator, published value, how to write a trial value into TOML)
TARGETS = [
    ("sme_registration_rate", "tech_smes_registered_2022", 8680.0,
     lambda v: f"value = {v:.6f}"),
    ("turnover_trend", "tech_contract_turnover_2022", 1357.41,
     # the scenario's uniform keeps its +/- 0.14 (sd 0.08) around the calibrated centre
     lambda v: f'distribution = "uniform"\nlow = {v - 0.14:.6f}\nhigh = {v + 0.14:.6f}'),
    ("hte_application_rate", "hte_net_increase_2022", 2400.0,
     # the scenario's uniform keeps its +/- 0.1 around the calibrated centre
     lambda v: f'distribution = "uniform"\nlow = {max(v - 0.1, 0.0):.6f}\nhigh = {min(v + 0.1, 1.0):.6f}'),
]

EXTRA_INDICATORS = """
[indicators.high_tech_2021_12]
kind = "stock"
series = "high_tech_enterprises"
at = "2021-12"
unit = "firms"

[indicators.high_tech_2022_12]
kind = "stock"
series = "high_tech_enterprises"
at = "2022-12"
unit = "firms"
"""


def run(canopy, overrides, replicates):
    """Ensemble means of every indicator for the scenario with `overrides` (name -> TOML)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "trial.toml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(f'extends = "{SCENARIO}"\n')
            f.write(EXTRA_INDICATORS)
            for name, body in overrides.items():
                f.write(f"\n[parameters.{name}]\n{body}\n")
                f.write('source = "calibration trial (python/calibrate_2022.py)"\n')
        out = subprocess.run([canopy, "run", path, "--replicates", str(replicates), "--json", "-"],
                             check=True, capture_output=True, text=True).stdout
    means = {i["id"]: i["mean"] for i in json.loads(out)["indicators"]}
    means["hte_net_increase_2022"] = means["high_tech_2022_12"] - means["high_tech_2021_12"]
    return means


def secant(f, x0, x1, target, tolerance, steps=8):
    """Finds x with f(x) = target by the secant method."""
    y0, y1 = f(x0) - target, f(x1) - target
    for _ in range(steps):
        if abs(y1) <= tolerance or y1 == y0:
            break
        x0, x1 = x1, x1 - y1 * (x1 - x0) / (y1 - y0)
        y0, y1 = y1, f(x1) - target
    return x1, y1 + target


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--canopy", default=os.path.join(HERE, "..", "build", "bin", "canopy"))
    parser.add_argument("--replicates", type=int, default=1000)
    parser.add_argument("--check", action="store_true", help="only compare, do not search")
    args = parser.parse_args()

    base = run(args.canopy, {}, args.replicates)
    print("2022 in the scenario as it stands, against what was published (or assumed):")
    for name, indicator, published, _ in TARGETS:
        word = "assumed  " if indicator == "hte_net_increase_2022" else "published"
        print(f"  {indicator:30s} simulated {base[indicator]:10.1f}   {word} {published:10.1f}")
    print(f"  {'high_tech_2022_10':30s} simulated {base['high_tech_2022_10']:10.1f}   published "
          f"{9151.0:10.1f} (an October stock)")
    if args.check:
        return 0

    starts = {"sme_registration_rate": (0.025, 0.035), "turnover_trend": (-0.05, 0.05),
              "hte_application_rate": (0.6, 0.9)}
    with open(SCENARIO, "rb") as f:
        drawn = set(tomllib.load(f)["scenario"].get("posterior_parameters", []))
    print("\ncalibrating (each against its figure, the others as the scenario runs them):")
    for name, indicator, published, toml in TARGETS:
        if name in drawn:
            print(f"  {name:24s}   drawn from the posterior: not searched")
            continue
        value, reached = secant(
            lambda v: run(args.canopy, {name: toml(v)}, args.replicates)[indicator],
            *starts[name], published, tolerance=0.002 * published)
        print(f"  {name:24s} = {value:.4f}   ({indicator} {reached:.1f} vs {published:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
