#!/usr/bin/python3
"""Compares two sweep result files the way the determinism tests need: every dataset bit for bit
and every attribute, except the three that time the run that wrote the file and the checksum,
which covers them.

Usage: sweep_compare.py A.h5 B.h5   (exit 0 when identical, 1 with the differences listed)
"""

import sys

import h5py
import numpy as np

TIMING = {"wall_seconds", "points_per_second", "overhead_per_point_seconds", "checksum"}


def normalised(value):
    """Bytes for numbers (bit for bit), text for strings and lists of strings."""
    if isinstance(value, (str, bytes)):
        return value if isinstance(value, str) else value.decode()
    array = np.asarray(value)
    if array.dtype.kind in "OSU":
        return tuple(x.decode() if isinstance(x, bytes) else str(x) for x in array.ravel())
    return (array.dtype.str, array.shape, array.tobytes())


def contents(path):
    """{name: (kind, value)} of every dataset and attribute in the file."""
    out = {}
    with h5py.File(path, "r") as f:
        def attributes(name, obj):
            for key, value in obj.attrs.items():
                if key in TIMING or key in ("DIMENSION_LIST", "REFERENCE_LIST"):
                    continue
                out[f"{name}@{key}"] = ("attribute", normalised(value))

        attributes("/", f)

        def visit(name, obj):
            attributes(name, obj)
            if isinstance(obj, h5py.Dataset):
                data = obj[()]
                out[name] = ("dataset", (data.dtype.str, data.shape,
                                         data.tobytes() if data.dtype.kind != "O"
                                         else b"\0".join(x if isinstance(x, bytes) else
                                                         x.encode() for x in data.ravel())))
        f.visititems(visit)
    return out


def differences(a, b):
    ca, cb = contents(a), contents(b)
    problems = []
    for name in sorted(set(ca) | set(cb)):
        if name not in ca:
            problems.append(f"only in {b}: {name}")
        elif name not in cb:
            problems.append(f"only in {a}: {name}")
        elif ca[name] != cb[name]:
            problems.append(f"differs: {name}")
    return problems


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    problems = differences(sys.argv[1], sys.argv[2])
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
