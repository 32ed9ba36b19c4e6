#!/usr/bin/python3
"""Reads a sweep result the way an analyst would: xarray (engine="h5netcdf") with named
dimensions (point, factor, time, replicate), h5py for the attributes, and the values agreeing.

Usage: test_sweep_xarray.py CANOPY SWEEP.toml
Exit 0 on success, 1 on failure, 77 (skipped) when h5py, xarray or h5netcdf is missing.
"""

import os
import subprocess
import sys
import tempfile

SKIP = 77

try:
    import h5netcdf  # noqa: F401
    import h5py
    import numpy as np
    import xarray as xr
except ImportError as missing:
    print(f"skipped: {missing}")
    sys.exit(SKIP)


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def main():
    canopy, sweep = sys.argv[1:3]
    with tempfile.TemporaryDirectory(prefix="canopy-sweep-") as d:
        path = os.path.join(d, "sweep.h5")
        subprocess.run([canopy, "sweep", sweep, "--quiet", "--out", path], check=True)
        with h5py.File(path, "r") as f:
            attrs = f.attrs
            check(attrs["kind"] == "sweep", "kind attribute")
            factors = list(attrs["factors"])
            points = int(f["point"].shape[0])
            replicates = int(attrs["replicates"])
            check(attrs["complete"] == 1, "complete")
            check("[sweep]" in attrs["sweep_text"], "sweep_text holds the sweep file")
            check("[scenario]" in attrs["scenario_text"], "scenario_text holds the scenario")
            check(attrs["wall_seconds"] > 0, "wall time recorded")
            targets = list(f["targets"].keys())
            indicators = list(f["indicators"].keys())
            rows = int(f["time"].shape[0])
            p_h5 = f["targets"][targets[0]]["p_attain"][()]
            finals_h5 = f["indicators"][indicators[0]]["finals"][()]
            design_h5 = f["design"][factors[0]][()]

        with xr.open_dataset(path, engine="h5netcdf") as root:
            check(dict(root.sizes) == {"point": points, "factor": len(factors), "time": rows,
                                       "replicate": replicates},
                  f"root dimensions: {dict(root.sizes)}")
            check(root["design_unit"].dims == ("point", "factor"), "design_unit dims")
            check(list(root["factor"].values) == factors, "factor coordinate")
            check(list(root["point"].values) == list(range(points)), "point coordinate")
            check(str(root["time"].values[0]) == "2022-12", "time labels")
            check(root.attrs["design"] == "sobol", "attributes reach xarray")
            with xr.open_dataset(path, engine="h5netcdf", group="design") as design:
                for name in factors:
                    check(design[name].dims == ("point",), f"design/{name} is [point]")
                check(np.array_equal(design[factors[0]].values, design_h5), "design values")
                table = design.assign_coords(point=root["point"]).to_dataframe()
                check(len(table) == points, "one row per point")
            with xr.open_dataset(path, engine="h5netcdf",
                                 group="targets/" + targets[0]) as target:
                for name in ("p_attain", "p_attain_lo", "p_attain_hi", "median"):
                    check(target[name].dims == ("point",), f"{name} is [point]")
                check(np.array_equal(target["p_attain"].values, p_h5, equal_nan=True),
                      "p_attain values")
                check(bool((target["p_attain_lo"] <= target["p_attain"]).all()), "lo <= p")
                check(bool((target["p_attain"] <= target["p_attain_hi"]).all()), "p <= hi")
            with xr.open_dataset(path, engine="h5netcdf",
                                 group="indicators/" + indicators[0]) as ind:
                ds = ind.assign_coords(root.coords)
                check(ds["finals"].dims == ("point", "replicate"), "finals dims")
                check(ds["mean_path"].dims == ("point", "time"), "mean_path dims")
                for name in ("mean", "q05", "q50", "q95"):
                    check(ds[name].dims == ("point",), f"{name} is [point]")
                check(np.array_equal(ds["finals"].values, finals_h5, equal_nan=True),
                      "finals values")
                # The mean over replicates is the mean of the finals (no NaN here).
                check(np.allclose(ds["finals"].mean("replicate").values, ds["mean"].values,
                                  rtol=1e-12), "mean is the mean of the finals")
                check(str(ds["mean_path"].isel(time=-1)["time"].values) ==
                      str(root["time"].values[-1]), "paths carry their time labels")
        # docs/sweeps.md's example, line for line: one row per point, the factors and P(attain).
        root = xr.open_dataset(path, engine="h5netcdf")
        design = xr.open_dataset(path, engine="h5netcdf", group="design")
        p = xr.open_dataset(path, engine="h5netcdf", group="targets/" + targets[0])["p_attain"]
        table = p.assign_coords(design).to_dataframe()
        check(list(table.columns) == factors + ["p_attain"], f"documented table: {table.columns}")
        check(list(table.index) == list(range(points)) and table.index.name == "point",
              "documented table is indexed by point")
        check(np.array_equal(table["p_attain"].values, p_h5, equal_nan=True),
              "documented table's P(attain)")
        check(np.array_equal(table[factors[0]].values, design_h5), "documented table's design")
        for ds in (root, design, p):
            ds.close()
    print("ok: xarray reads the sweep result with named dimensions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
