#!/usr/bin/python3
"""A sweep under MPI: `mpirun -np K canopy sweep` with 1, 2 and 4 ranks (oversubscribed, one
thread each) writes the same result datasets as the sweep on this machine's threads.

Usage: test_sweep_mpi.py CANOPY MPIEXEC SWEEP.toml [BUILT_WITH_MPI]
Exit 0 on success, 1 on a difference, 77 (skipped, saying why) when h5py or mpirun is missing or
canopy was built without MPI (BUILT_WITH_MPI = 0).
"""

import os
import shutil
import subprocess
import sys
import tempfile

SKIP = 77

try:
    import sweep_compare
except ImportError as missing:
    print(f"skipped: {missing}")
    sys.exit(SKIP)


def main():
    canopy, mpiexec, sweep = sys.argv[1:4]
    if len(sys.argv) > 4 and sys.argv[4] == "0":
        print("skipped: canopy was built without MPI (CMake found no MPI; install "
              "libopenmpi-dev and reconfigure)")
        return SKIP
    if shutil.which(mpiexec) is None:
        print(f"skipped: no MPI launcher '{mpiexec}' (install openmpi-bin)")
        return SKIP
    with tempfile.TemporaryDirectory(prefix="canopy-mpi-") as d:
        local = os.path.join(d, "local.h5")
        subprocess.run([canopy, "sweep", sweep, "--quiet", "--out", local], check=True)
        failed = False
        for ranks in (1, 2, 4):
            out = os.path.join(d, f"mpi-{ranks}.h5")
            run = subprocess.run(
                [mpiexec, "--allow-run-as-root", "--oversubscribe", "-np", str(ranks),
                 canopy, "sweep", sweep, "--threads", "1", "--out", out],
                capture_output=True, text=True, timeout=600)
            if run.returncode != 0:
                print(f"{ranks} ranks: exit {run.returncode}\n{run.stdout}\n{run.stderr}")
                failed = True
                continue
            # Only rank 0 writes: one closing line, one file, no journal left behind.
            lines = [l for l in run.stdout.splitlines() if l.startswith("canopy sweep:")]
            if len(lines) != 1:
                print(f"{ranks} ranks: expected one closing line, got {lines}")
                failed = True
            problems = sweep_compare.differences(local, out)
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
