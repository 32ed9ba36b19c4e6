#!/usr/bin/python3
"""A calibration that fails on its own results, under real `mpirun` (docs/clusters.md, "When a
point fails").

Usage: test_mpi_method_failure.py CANOPY MPIEXEC SOURCE_DIR [BUILT_WITH_MPI]

Every run of the calibration succeeds, but none gives a finite figure to fit (a city of 400 firms
has no leader at the start, and the leaders' figures are read as growth from 0), so ABC-SMC stops
after its pilot with "no run of the first 60 prior candidates gave finite simulated figures".
Every rank computes that from the same shared results. Run on one process, then under
`mpirun -np 3`: the same exit status, the failure and what became of the runs said once (by
rank 0), no posterior, and the journal kept for --resume.

Exit 0 on success, 1 on a failure, 77 (skipped, saying why) without mpirun or MPI in the build.
"""

import os
import subprocess
import sys
import tempfile

from mpi_ranks import script_arguments
from test_mpi_ranks_agree import Checks, mpirun

SKIP = 77
FAILURE = "no run of the first 60 prior candidates gave finite simulated figures"


def main():
    canopy, mpiexec, source, missing = script_arguments(sys.argv)
    if missing:
        print("skipped: " + missing)
        return SKIP
    checks = Checks()
    scenarios = os.path.join(source, "scenarios")
    with open(os.path.join(source, "tests", "data", "calibration", "reference-quick.toml")) as f:
        quick = f.read().replace("../../../scenarios/", scenarios + "/")
    history = os.path.join(scenarios, "reference-history.toml")
    if history not in quick or 'model_series = "leader"\n' not in quick:
        print("FAILED  tests/data/calibration/reference-quick.toml no longer has the lines "
              "this test changes")
        return 1
    calibration = quick.replace(history, "s.toml").replace(
        'model_series = "leader"\n',
        # scale = 0.01: the counts compared as shares of growth, which the loader accepts; only
        # the runs' failure (growth from 0) matters here.
        'model_series = "leader"\nmeasure = "growth"\nscale = 0.01\n')
    with tempfile.TemporaryDirectory(prefix="canopy-mpi-method-") as d:
        with open(os.path.join(d, "s.toml"), "w") as f:
            f.write(f'extends = "{history}"\n[baseline.firms]\nvalue = 400\n'
                    'assumption = "no leader at the start"\n')
        with open(os.path.join(d, "c.toml"), "w") as f:
            f.write(calibration)
        args = [canopy, "calibrate", "c.toml", "--threads", "1", "--out", "post.h5"]

        def outcome(run, who):
            lines = run.stderr.splitlines()
            said = [l for l in lines if FAILURE in l]
            checks.expect(len(said) == 1, f"{who}: the failure is said once ({len(said)} times)",
                          run)
            checks.expect(bool(said) and said[0] == "canopy: error: ABC-SMC: " + FAILURE,
                          f"{who}: as 'canopy: error: ABC-SMC: ...'", run)
            kept = [l for l in lines if l == "canopy calibrate: no posterior was written"]
            checks.expect(len(kept) == 1, f"{who}: 'no posterior was written' once "
                          f"({len(kept)} times)", run)
            errors = [l for l in lines if l.startswith("canopy: error:")]
            checks.expect(errors == said, f"{who}: no other error ({errors})")
            checks.expect(not os.path.exists(os.path.join(d, "post.h5")), f"{who}: no posterior")
            checks.expect(os.path.exists(os.path.join(d, "post.h5.journal")),
                          f"{who}: the journal is kept for --resume")

        one = subprocess.run(args, capture_output=True, text=True, timeout=300, cwd=d)
        print(f"one process: exit {one.returncode}\n{one.stderr}")
        checks.expect(one.returncode == 1, "one process: exit 1", one)
        outcome(one, "one process")
        os.remove(os.path.join(d, "post.h5.journal"))

        run = mpirun(mpiexec, (3, d, args))
        print(f"3 ranks: exit {run.returncode}\n{run.stderr}")
        checks.expect(run.returncode == one.returncode,
                      f"3 ranks: the exit status of one process ({one.returncode})", run)
        outcome(run, "3 ranks")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
