#!/usr/bin/python3
"""The SALib-style round trip of docs/sensitivity.md, the way a user with their own model does it:
`canopy sweep --design-only` writes a Saltelli design, numpy evaluates the Ishigami function at
its points, h5py adds the results as /outputs/<name>, and `canopy sensitivity --json` must find
the analytic Sobol indices inside its bootstrap intervals.

Usage: test_sensitivity_roundtrip.py CANOPY_BINARY SCENARIO.toml
SCENARIO.toml must be scenarios/reference.toml (its three levers are the factors).
Exit status 0 on success, 1 on failure, 77 (CTest: skipped) when h5py or numpy is missing.
"""

import json
import math
import os
import subprocess
import sys
import tempfile

SKIP = 77

try:
    import h5py
    import numpy as np
except ImportError as missing:
    print(f"skipped: {missing}")
    sys.exit(SKIP)

FACTORS = ["lever_incubated", "lever_sme", "lever_high_tech"]
LOW, HIGH = 0.5, 1.5
BASE_SAMPLES = 1024
A, B = 7.0, 0.1


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def ishigami(x1, x2, x3):
    return np.sin(x1) + A * np.sin(x2) ** 2 + B * x3**4 * np.sin(x1)


def analytic_indices():
    """Sobol' & Levitan (1999): S1 = 0.3139, 0.4424, 0; ST = 0.5576, 0.4424, 0.2437."""
    pi4 = math.pi**4
    v1 = 0.5 * (1 + B * pi4 / 5) ** 2
    v2 = A * A / 8
    v13 = B * B * pi4 * pi4 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return [v1 / v, v2 / v, 0.0], [(v1 + v13) / v, v2 / v, v13 / v]


def sweep_file(directory, scenario):
    path = os.path.join(directory, "ishigami-sweep.toml")
    factors = "".join(
        f"\n[factors.{name}]\nmin = {LOW}\nmax = {HIGH}\n"
        f'assumption = "a stand-in input of the Ishigami test function"\n'
        for name in FACTORS
    )
    with open(path, "w", encoding="utf-8") as f:
        f.write(
            "[sweep]\n"
            'title = "Ishigami function evaluated outside Canopy"\n'
            f"scenario = {json.dumps(os.path.abspath(scenario))}\n"
            'design = "saltelli"\n'
            f"points = {BASE_SAMPLES}\n"
            "replicates = 1\n"
            "seed = 11\n" + factors
        )
    return path


def add_outputs(design_path):
    """What a user's own program does: read the design, evaluate, write /outputs/<name>."""
    with h5py.File(design_path, "r+") as f:
        check(f.attrs["design"] == "saltelli", f"design attribute is {f.attrs['design']!r}")
        check(int(f.attrs["complete"]) == 0, "a --design-only file says it is not complete")
        check(list(f.attrs["factors"]) == FACTORS, f"factors are {list(f.attrs['factors'])}")
        values = np.column_stack([f["design"][name][...] for name in FACTORS])
        d = len(FACTORS)
        check(values.shape == (BASE_SAMPLES * (d + 2), d), f"design shape {values.shape}")
        check(values.min() >= LOW and values.max() <= HIGH, "values inside [min, max]")
        # Saltelli's blocks, in SALib's order: A, A with column i from B (i = 1..d), B.
        blocks = values.reshape(BASE_SAMPLES, d + 2, d)
        a, b = blocks[:, 0, :], blocks[:, d + 1, :]
        for i in range(d):
            expected = a.copy()
            expected[:, i] = b[:, i]
            check(np.array_equal(blocks[:, 1 + i, :], expected), f"block AB^({i + 1})")
        x = -math.pi + 2 * math.pi * (values - LOW) / (HIGH - LOW)
        y = ishigami(x[:, 0], x[:, 1], x[:, 2])
        f["outputs/ishigami"] = y
        broken = y.copy()
        broken[5] = np.nan  # a point the user's model could not evaluate
        f["outputs/broken"] = broken


def check_xarray(path, result):
    """--out: the indices under /sensitivity open in xarray on the result's named factor axis."""
    try:
        import xarray as xr
        import h5netcdf  # noqa: F401
    except ImportError as missing:
        print(f"xarray check skipped: {missing}")
        return
    group = "sensitivity/outputs/ishigami"
    with xr.open_dataset(path, engine="h5netcdf") as root, \
            xr.open_dataset(path, engine="h5netcdf", group=group) as indices:
        check(indices["ST"].dims == ("factor",), f"ST dims {indices['ST'].dims}")
        # A group does not inherit its parent's coordinates: the labels come from the root.
        ds = indices.assign_coords(factor=root["factor"])
        check(list(ds["factor"].values.astype(str)) == FACTORS, f"factor {ds['factor'].values}")
        for name in FACTORS:
            got = float(ds["ST"].sel(factor=name))
            want = result["outputs"]["outputs/ishigami"][name]["ST"]
            check(got == want, f"{name}: HDF5 ST {got} != JSON ST {want}")
    with h5py.File(path, "r") as f:
        check(f["sensitivity"].attrs["method"] == "sobol", "method attribute")
        check(f["sensitivity/outputs/broken"].attrs["note"] == result["notes"]["outputs/broken"],
              "note attribute")
        check(np.isnan(f["sensitivity/outputs/broken/S1"][...]).all(), "undefined is NaN")


def main():
    canopy, scenario = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as directory:
        sweep = sweep_file(directory, scenario)
        design = os.path.join(directory, "design.h5")
        subprocess.run(
            [canopy, "sweep", sweep, "--design-only", "--out", design], check=True
        )
        add_outputs(design)
        indices = os.path.join(directory, "indices.json")
        with_indices = os.path.join(directory, "with-indices.h5")
        shown = subprocess.run(
            [canopy, "sensitivity", design, "--json", indices, "--out", with_indices],
            check=True, capture_output=True, text=True,
        ).stdout
        with open(indices, encoding="utf-8") as f:
            result = json.load(f)
        check_xarray(with_indices, result)

    check(result["method"] == "sobol", f"method {result['method']}")
    check(set(result["outputs"]) == {"outputs/ishigami", "outputs/broken"},
          f"outputs {sorted(result['outputs'])}")
    s1, st = analytic_indices()
    ish = result["outputs"]["outputs/ishigami"]
    for name, s1_true, st_true in zip(FACTORS, s1, st):
        got = ish[name]
        lo, hi = got["S1_ci"]
        check(lo <= s1_true <= hi, f"{name}: S1 {s1_true:.4f} outside [{lo:.4f}, {hi:.4f}]")
        lo, hi = got["ST_ci"]
        check(lo <= st_true <= hi, f"{name}: ST {st_true:.4f} outside [{lo:.4f}, {hi:.4f}]")
        # At 1024 base samples the widest interval (x1's ST) is about 0.17 wide; 0.2 keeps the
        # test able to tell ST from S1 for x1 (they differ by the interaction, 0.24).
        check(got["ST_ci"][1] - got["ST_ci"][0] < 0.2, f"{name}: interval too wide to test")
    # The output with a NaN is reported as undefined, not dropped and not averaged over.
    check(result["notes"]["outputs/broken"] == f"NaN at 1 of {BASE_SAMPLES * 5} points",
          f"notes {result.get('notes')}")
    check(all(v["S1"] is None for v in result["outputs"]["outputs/broken"].values()),
          "indices of an output with a NaN are null")
    # The table ranks lever_incubated (x1, ST 0.56) above lever_sme (x2) above lever_high_tech.
    table = shown[shown.index("outputs/ishigami\n"):]
    order = [table.index("  " + name + " ") for name in FACTORS]
    check(order == sorted(order), f"table order {order}\n{shown}")
    print("ok: the Ishigami indices computed outside Canopy are recovered by canopy sensitivity")


if __name__ == "__main__":
    main()
