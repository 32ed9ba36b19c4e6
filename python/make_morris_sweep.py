#!/usr/bin/python3
"""Writes scenarios/wuhan-2023-morris.toml: a Morris screening of every behavioural parameter of
the ecosystem model around the values scenarios/wuhan-2023.toml gives them.

    python/make_morris_sweep.py [--out scenarios/wuhan-2023-morris.toml] [--check]

--check writes nothing and exits 1 when the file differs from what the script would write: rerun
the script when the model's parameters or the scenario's values change. (The test suite checks
that the file validates and names every behavioural parameter, and CTest's
python:morris_sweep_current runs --check.)

The screening ranges are a rule, stated in each factor's assumption, not estimates:
- a parameter the scenario draws from a distribution: the distribution's support (uniform,
  triangular), or median * exp(-/+ 2 sigma) for a lognormal (where 95 % of its draws lie);
- a fixed value v: v / 2 to 3 v / 2, inside the model's allowed range (whole numbers rounded
  outwards for whole-numbered parameters);
- a month of the year: the neighbouring months, so the calendar's order holds (applications
  before the batches, the registration window open before it closes);
- a value of 0: from 0 to the model's default, or to 1 for a rate.
Morris trajectories move one factor at a time, so the screening ranks every parameter by mu*
(the mean absolute elementary effect) with r = 10 trajectories of d + 1 points each. Only the
Python standard library is needed (tomllib, Python 3.11).
"""
import argparse
import math
import os
import re
import sys
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, ".."))
SCENARIO = os.path.join(ROOT, "scenarios", "wuhan-2023.toml")
PARAMETERS = os.path.join(ROOT, "models", "ecosystem", "ecosystem_parameters.hpp")

# X(name, unit, role, default, min, max, integer, description)
ROW = re.compile(r'X\((\w+),\s*"([^"]*)",\s*(baseline|parameter),\s*([^,]+),\s*([^,]+),\s*'
                 r'([^,]+),\s*([01]),')

# Months of the year, screened over their neighbours in an order-preserving way.
MONTHS = {
    "registration_first_month": (2, 4),
    "registration_last_month": (10, 12),
    "hte_application_month": (5, 8),
    "hte_batch1_month": (9, 10),
    "hte_batch2_month": (10, 11),
    "hte_batch3_month": (11, 12),
    "leader_selection_month": (11, 12),
}


def number(text):
    text = text.strip()
    return math.inf if text == "HUGE_VAL" else float(text)


def model_parameters():
    with open(PARAMETERS, encoding="utf-8") as f:
        text = f.read()
    start = text.index("#define CANOPY_ECOSYSTEM_PARAMETERS")
    end = text.index("#define", start + 10)
    rows = []
    for m in ROW.finditer(text[start:end]):
        name, unit, role, default, lo, hi, integer = m.groups()
        rows.append({"name": name, "unit": unit, "role": role, "default": number(default),
                     "min": number(lo), "max": number(hi), "integer": integer == "1"})
    return rows


def text(x):
    x = float(f"{x:.6g}")  # six significant digits: a screening range, not a measurement
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return repr(x)


def screening_range(p, setting):
    name = p["name"]
    if name in MONTHS:
        lo, hi = MONTHS[name]
        return lo, hi, "the neighbouring months, keeping the calendar's order"
    if setting is not None and "distribution" in setting:
        kind = setting["distribution"]
        if kind in ("uniform", "triangular"):
            return setting["low"], setting["high"], f"the support of the scenario's {kind} distribution"
        if kind == "lognormal":
            m, s = setting["median"], setting["sigma"]
            return (m * math.exp(-2 * s), m * math.exp(2 * s),
                    "median * exp(-/+ 2 sigma) of the scenario's lognormal (95 % of its draws)")
        raise SystemExit(f"{name}: no screening rule for a {kind} distribution")
    v = setting["value"] if setting is not None else p["default"]
    origin = "the scenario's" if setting is not None else "the model's default"
    if v == 0:
        hi = p["default"] if p["default"] > 0 else (1.0 if p["max"] >= 1 else p["max"])
        return 0.0, hi, f"{origin} value is 0: from 0 to {text(hi)}"
    lo, hi = sorted((v * 0.5, v * 1.5))
    return lo, hi, f"{origin} value {text(v)}, halved to one and a half times"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(ROOT, "scenarios", "wuhan-2023-morris.toml"))
    parser.add_argument("--check", action="store_true",
                        help="compare with the existing file instead of writing it")
    args = parser.parse_args()
    with open(SCENARIO, "rb") as f:
        scenario = tomllib.load(f)
    settings = scenario.get("parameters", {})

    factors = []
    for p in model_parameters():
        if p["role"] != "parameter":
            continue
        lo, hi, why = screening_range(p, settings.get(p["name"]))
        lo, hi = max(lo, p["min"]), min(hi, p["max"])
        if p["integer"]:
            lo, hi = math.floor(lo), math.ceil(hi)
        if not lo < hi:
            raise SystemExit(f"{p['name']}: empty screening range [{lo}, {hi}]")
        factors.append((p["name"], lo, hi, why))

    lines = [
        "# A Morris screening of every behavioural parameter of the ecosystem model, around the",
        "# values scenarios/wuhan-2023.toml gives them: which parameters move the Wuhan targets at",
        "# all? (Generated by python/make_morris_sweep.py; edit that script, not this file.)",
        "#",
        "#   build/bin/canopy sweep scenarios/wuhan-2023-morris.toml --out wuhan-morris.h5",
        "#   build/bin/canopy sensitivity wuhan-morris.h5      # mu*, mu and sigma per target",
        "#",
        f"# {len(factors)} factors, 10 trajectories on a 4-level grid: 10 x ({len(factors)} + 1) = "
        f"{10 * (len(factors) + 1)} design points",
        "# of 10 replicates each. Ranges are screening ranges (see each assumption), not estimates:",
        "# the question is which parameters matter, to estimate those better.",
        "",
        "[sweep]",
        'title = "Wuhan 2023: Morris screening of every model parameter"',
        'scenario = "wuhan-2023.toml"',
        'design = "morris"',
        "points = 10",
        "levels = 4",
        "replicates = 10",
        "seed = 20230101",
    ]
    for name, lo, hi, why in factors:
        lines += ["", f"[factors.{name}]", f"min = {text(lo)}", f"max = {text(hi)}",
                  f'assumption = "screening range: {why}"']
    content = "\n".join(lines) + "\n"
    if args.check:
        with open(args.out, encoding="utf-8") as f:
            if f.read() != content:
                print(f"{args.out} is not what {sys.argv[0]} writes: rerun it")
                return 1
        print(f"{args.out} is up to date")
        return 0
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(content)
    print(f"wrote {args.out}: {len(factors)} factors, {10 * (len(factors) + 1)} points")
    return 0


if __name__ == "__main__":
    sys.exit(main())
