#!/usr/bin/python3
"""A calibration under MPI: `mpirun -np K canopy calibrate` with 1, 2 and 3 ranks (oversubscribed,
one thread each) writes the same posterior, bit for bit, as the calibration on this machine's
threads: particles, weights, the generations' schedule and every figure's fit.

Usage: test_calibrate_mpi.py CANOPY MPIEXEC CALIBRATION.toml
Exit 0 on success, 1 on a difference, 77 (skipped) when h5py or numpy is missing.
"""

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

# Datasets that record time, not results.
TIMES = {"seconds"}
# Root attributes that record time or the machine.
TIME_ATTRS = {"wall_seconds", "simulate_seconds", "simulations_per_second"}


def datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, item):
            if isinstance(item, h5py.Dataset) and name.split("/")[-1] not in TIMES:
                out[name] = item[()]
        f.visititems(visit)
        attrs = {k: v for k, v in f.attrs.items() if k not in TIME_ATTRS}
    return out, attrs


def same(a, b):
    if isinstance(a, np.ndarray) and a.dtype.kind == "f":
        return a.shape == b.shape and a.tobytes() == b.tobytes()
    return np.array_equal(a, b) if isinstance(a, np.ndarray) else a == b


def differences(local, other):
    (a, a_attrs), (b, b_attrs) = datasets(local), datasets(other)
    problems = []
    if set(a) != set(b):
        problems.append(f"datasets differ: {sorted(set(a) ^ set(b))}")
    for name in sorted(set(a) & set(b)):
        if not same(a[name], b[name]):
            problems.append(f"{name} differs")
    for key in sorted(set(a_attrs) | set(b_attrs)):
        if key not in a_attrs or key not in b_attrs or not same(a_attrs[key], b_attrs[key]):
            problems.append(f"attribute {key} differs")
    return problems


def main():
    canopy, mpiexec, calibration = sys.argv[1:4]
    with tempfile.TemporaryDirectory(prefix="canopy-mpi-calibrate-") as d:
        local = os.path.join(d, "local.h5")
        subprocess.run([canopy, "calibrate", calibration, "--quiet", "--threads", "2",
                        "--out", local], check=True)
        failed = False
        for ranks in (1, 2, 3):
            out = os.path.join(d, f"mpi-{ranks}.h5")
            run = subprocess.run(
                [mpiexec, "--allow-run-as-root", "--oversubscribe", "-np", str(ranks),
                 canopy, "calibrate", calibration, "--threads", "1", "--out", out],
                capture_output=True, text=True, timeout=600)
            if run.returncode != 0:
                print(f"{ranks} ranks: exit {run.returncode}\n{run.stdout}\n{run.stderr}")
                failed = True
                continue
            # Only rank 0 reports: one table header.
            headers = [l for l in run.stdout.splitlines() if l.startswith("calibration ")]
            if len(headers) != 1:
                print(f"{ranks} ranks: expected one report, got {headers}")
                failed = True
            problems = differences(local, out)
            for p in problems:
                print(f"{ranks} ranks: {p}")
            failed = failed or bool(problems)
            print(f"{ranks} ranks: {'identical' if not problems else 'DIFFERENT'}")
        leftovers = [f for f in os.listdir(d) if not f.endswith(".h5")]
        if leftovers:
            print(f"left behind: {leftovers}")
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
