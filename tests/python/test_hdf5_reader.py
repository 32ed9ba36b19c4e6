#!/usr/bin/python3
"""Reads the HDF5 output of `canopy run` the way a user would: with h5py, and with xarray
(engine="h5netcdf"), checking dimensions, coordinates, units, shapes, and that the values agree
with the JSON summary of the same run.

Usage: test_hdf5_reader.py CANOPY_BINARY SCENARIO.toml
Exit status 0 on success, 1 on failure, 77 (CTest: skipped) when h5py, xarray or h5netcdf
is missing.
"""

import json
import os
import subprocess
import sys
import tempfile

SKIP = 77

try:
    import h5py
    import numpy as np
    import xarray as xr
    import h5netcdf  # noqa: F401  (xarray's engine="h5netcdf" needs it)
except ImportError as missing:
    print(f"skipped: {missing}")
    sys.exit(SKIP)


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def run_canopy(canopy, scenario, directory):
    h5 = os.path.join(directory, "run.h5")
    js = os.path.join(directory, "run.json")
    subprocess.run(
        [canopy, "run", scenario, "--all-mixes", "--replicates", "24", "--quiet",
         "--out", h5, "--json", js],
        check=True,
    )
    with open(js, encoding="utf-8") as f:
        return h5, json.load(f)


def check_h5py(path, summary):
    with h5py.File(path, "r") as f:
        attrs = f.attrs
        check(attrs["scenario"] == summary["scenario"], "root attribute scenario")
        check(attrs["model"] == summary["model"], "root attribute model")
        check(int(attrs["seed"]) == summary["seed"], "root attribute seed")
        check(int(attrs["replicates"]) == summary["replicates"], "root attribute replicates")
        check(attrs["engine_version"] == summary["engine_version"], "engine_version")
        check(attrs["start"] == summary["horizon"]["start"], "start")
        check(attrs["end"] == summary["horizon"]["end"], "end")
        check(attrs["time_step"] == summary["horizon"]["time_step"], "time_step")
        check("[scenario]" in attrs["scenario_text"], "scenario_text holds the scenario")

        replicates = summary["replicates"]
        rows = summary["horizon"]["steps"] + 1
        check(f["time"].shape == (rows,), "time has steps + 1 rows")
        check(f["replicate"].shape == (replicates,), "one replicate number each")
        labels = [s.decode() if isinstance(s, bytes) else s for s in f["time_label"][()]]
        check(labels[-1] == summary["horizon"]["end"], "the last row ends the horizon")

        for indicator in summary["indicators"]:
            d = f["indicators"][indicator["id"]]
            check(d.shape == (replicates, rows), f"{indicator['id']} is [replicate, time]")
            check(d.dtype == np.float64, "indicators are float64")
            check(d.attrs["unit"] == indicator["unit"], f"{indicator['id']} unit")
            check(d.attrs["kind"] == indicator["kind"], f"{indicator['id']} kind")
            check([list(dim.keys()) for dim in d.dims] == [["replicate"], ["time"]],
                  f"{indicator['id']} has the replicate and time dimension scales")

        for target in summary["targets"]:
            g = f["targets"][target["id"]]
            final = g["final"][()]
            attained = g["attained"][()]
            check(final.shape == (replicates,), "one final per replicate")
            check(attained.dtype == np.uint8, "attained is uint8")
            # The JSON's numbers are the HDF5's numbers, summarised.
            check(np.isclose(attained.mean(), target["p_attain"], rtol=0, atol=1e-15),
                  f"{target['id']}: mean of attained is p_attain")
            check(attained.sum() == target["attained"], f"{target['id']}: attained count")
            # The JSON names `undefined` only when some final is; the file always has it.
            check(int(g.attrs["undefined"]) == target.get("undefined", 0),
                  f"{target['id']}: undefined count")
            check(int(g.attrs["undefined"]) == np.isnan(final).sum(),
                  f"{target['id']}: undefined is the number of NaN finals")
            finite = final[~np.isnan(final)]
            check(np.isclose(np.median(finite), target["median"], rtol=1e-12),
                  f"{target['id']}: median")
            check(np.isclose(np.quantile(finite, 0.05), target["q05"], rtol=1e-12),
                  f"{target['id']}: q05 (numpy's default is type 7 too)")
            check(np.isclose(np.quantile(finite, 0.95), target["q95"], rtol=1e-12),
                  f"{target['id']}: q95")
            check(np.isclose(g.attrs["p_attain"], target["p_attain"]), "p_attain attribute")
            check(np.allclose(g.attrs["p_attain_ci"], target["p_attain_ci"]), "p_attain_ci")
            check(g.attrs["comparison"] == target["comparison"], "comparison attribute")
            # Every indicator of reference.toml is read at the end of the horizon, so a
            # target's finals are its indicator's last row.
            indicator = f["indicators"][target["indicator"]][()]
            check(np.array_equal(final, indicator[:, -1], equal_nan=True),
                  f"{target['id']}: finals are the indicator's last row")

        for mix in summary["policy_mixes"]:
            group = f["policy_mixes"][mix["policy_mix"]]
            for target in mix["targets"]:
                attained = group["targets"][target["id"]]["attained"][()]
                check(np.isclose(attained.mean(), target["p_attain"], rtol=0, atol=1e-15),
                      f"{mix['policy_mix']}/{target['id']}: p_attain")


def check_xarray(path, summary):
    replicates = summary["replicates"]
    rows = summary["horizon"]["steps"] + 1
    with xr.open_dataset(path, engine="h5netcdf") as root:
        check(dict(root.sizes) == {"time": rows, "replicate": replicates}, "root dimensions")
        check("time" in root.coords and "replicate" in root.coords, "time and replicate coords")
        check("time_label" in root.coords, "time_label is a coordinate")
        check(root["time"].dtype == np.float64, "time is numeric (months), not decoded")
        check(root["time"].attrs["units"] == "months", "time units")
        check(float(root["time"][0]) == 0.0, "time starts at 0")
        check(root.attrs["scenario"] == summary["scenario"], "attributes reach xarray")

        # The idiom docs/output-format.md shows: a group's variables with the root's coordinates.
        with xr.open_dataset(path, engine="h5netcdf", group="indicators") as group:
            ds = group.assign_coords(root.coords)
            for indicator in summary["indicators"]:
                da = ds[indicator["id"]]
                check(da.dims == ("replicate", "time"), f"{indicator['id']} dims")
                check(da.shape == (replicates, rows), f"{indicator['id']} shape")
                check(da.attrs["units"] == indicator["unit"], f"{indicator['id']} units")
                check("time_label" in da.coords, "labels travel with the data")
            first = summary["targets"][0]
            last_row = ds[first["indicator"]].isel(time=-1)
            check(str(last_row["time_label"].values) == summary["horizon"]["end"],
                  "the last row is labelled with the horizon's end")

        with xr.open_dataset(path, engine="h5netcdf", group="targets/" + first["id"]) as t:
            check(t["final"].dims == ("replicate",), "target finals are per replicate")
            check(np.isclose(float(t["attained"].mean()), first["p_attain"]), "p_attain via xarray")
            check(t.attrs["comparison"] == first["comparison"], "target attributes via xarray")


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    canopy, scenario = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory(prefix="canopy-python-") as directory:
        path, summary = run_canopy(canopy, scenario, directory)
        check_h5py(path, summary)
        check_xarray(path, summary)
    print("ok: h5py and xarray read the HDF5 file as documented")
    return 0


if __name__ == "__main__":
    sys.exit(main())
