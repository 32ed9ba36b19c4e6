#!/usr/bin/python3
"""A sweep under MPI: `mpirun -np K canopy sweep` with 1, 2 and 4 ranks (oversubscribed, one
thread each) writes the same result datasets as the sweep on this machine's threads.

Usage: test_sweep_mpi.py CANOPY MPIEXEC SWEEP.toml [BUILT_WITH_MPI]
Exit 0 on success, 1 on a difference, 77 (skipped, saying why) when h5py or mpirun is missing or
canopy was built without MPI (BUILT_WITH_MPI = 0).
"""

import sys

import mpi_ranks

SKIP = 77

try:
    import sweep_compare
except ImportError as missing:
    print(f"skipped: {missing}")
    sys.exit(SKIP)


def main():
    canopy, mpiexec, sweep = sys.argv[1:4]
    missing = mpi_ranks.missing_mpi(mpiexec, sys.argv[4] if len(sys.argv) > 4 else "")
    if missing:
        print("skipped: " + missing)
        return SKIP
    # Only rank 0 writes: one closing line, one file, no journal left behind.
    return mpi_ranks.compare_ranks(canopy, mpiexec, ["sweep", sweep], [], (1, 2, 4),
                                   "canopy sweep:", "closing line", sweep_compare.differences,
                                   "canopy-mpi-")


if __name__ == "__main__":
    sys.exit(main())
