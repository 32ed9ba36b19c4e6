#!/usr/bin/python3
"""A calibration under MPI: `mpirun -np K canopy calibrate` with 1, 2 and 3 ranks (oversubscribed,
one thread each) writes the same posterior, bit for bit, as the calibration on this machine's
threads: particles, weights, the generations' schedule and every figure's fit.

Usage: test_calibrate_mpi.py CANOPY MPIEXEC CALIBRATION.toml
Exit 0 on success, 1 on a difference, 77 (skipped) when h5py or numpy is missing.
"""

import sys

import mpi_ranks

SKIP = 77

try:
    import h5py
    import numpy as np
except ImportError as missing:
    print(f"skipped: {missing}")
    sys.exit(SKIP)

# Datasets that record time, not results.
TIMES = {"seconds"}
# Root attributes that record time or the machine, and the checksum, which covers them.
TIME_ATTRS = {"wall_seconds", "simulate_seconds", "simulations_per_second", "checksum"}


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
    # Only rank 0 reports: one table header.
    return mpi_ranks.compare_ranks(canopy, mpiexec, ["calibrate", calibration], ["--threads", "2"],
                                   (1, 2, 3), "calibration ", "report", differences,
                                   "canopy-mpi-calibrate-")


if __name__ == "__main__":
    sys.exit(main())
