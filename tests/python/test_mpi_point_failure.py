#!/usr/bin/python3
"""A design point that fails while running, under real `mpirun` (docs/clusters.md, "When a point
fails").

Usage: test_mpi_point_failure.py CANOPY MPIEXEC SOURCE_DIR [BUILT_WITH_MPI]

A sweep of the tiny reference scenario in which one point of six asks for 10^8 firms, run with
its address space limited (ulimit -v, as a cluster's job limit does) below what that point
needs but above what the others need: the point fails with std::bad_alloc on whichever rank
runs it. Run on one process, then under `mpirun -np 3`: the same exit status; under MPI the
failure is said once (by rank 0), naming the point and the rank and host that ran it; no result
is written; every rank stops (no hang); the command printed to resume repeats mpirun's options.

Exit 0 on success, 1 on a failure, 77 (skipped, saying why) without mpirun or MPI in the build,
in a sanitizer build (whose shadow memory needs more address space than the limit) or when this
machine's memory is too small for the check before the runs to let the large point through.
"""

import os
import re
import resource
import subprocess
import sys
import tempfile

from mpi_ranks import script_arguments
from test_mpi_ranks_agree import Checks, mpirun

SKIP = 77
LIMIT_BYTES = 600 * 1024 * 1024  # the 500-firm points need far less, 10^8 firms far more


def main():
    canopy, mpiexec, source, missing = script_arguments(sys.argv)
    if missing:
        print("skipped: " + missing)
        return SKIP
    libraries = subprocess.run(["ldd", canopy], capture_output=True, text=True).stdout
    if "libasan" in libraries or "libtsan" in libraries:
        print("skipped: a sanitizer build cannot run under an address-space limit")
        return SKIP
    checks = Checks()
    scenario = os.path.join(source, "tests", "data", "sweeps", "tiny-scenario.toml")
    with tempfile.TemporaryDirectory(prefix="canopy-mpi-fail-") as d:
        with open(os.path.join(d, "big.toml"), "w") as f:
            f.write(f'[sweep]\nscenario = "{scenario}"\ndesign = "grid"\nreplicates = 2\n'
                    'seed = 11\noutputs = ["finals"]\n\n[factors.firms]\n'
                    "values = [500, 600, 100000000, 700, 800, 900]\n"
                    'assumption = "one point too large for the address space allowed"\n')
        args = [canopy, "sweep", "big.toml", "--threads", "1", "--quiet", "--out", "big.h5"]

        # The limit is this process's, and so every process it starts: mpirun and its ranks.
        resource.setrlimit(resource.RLIMIT_AS, (LIMIT_BYTES, LIMIT_BYTES))
        one = subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=d)
        if one.returncode == 2 and "would need" in one.stderr:
            print(f"skipped: this machine's memory is too small for the 10^8-firm point to "
                  f"pass the check before the runs:\n{one.stderr}")
            return SKIP
        checks.expect(one.returncode == 1, "one process: exit 1", one)
        checks.expect("std::bad_alloc" in one.stderr, "one process: the failure is named", one)
        checks.expect(not os.path.exists(os.path.join(d, "big.h5")), "one process: no result")
        for f in os.listdir(d):
            if f.startswith("big.h5"):
                os.remove(os.path.join(d, f))  # the journal it keeps for --resume

        run = mpirun(mpiexec, (3, d, args))
        print(f"3 ranks: exit {run.returncode}\n{run.stderr}")
        checks.expect(run.returncode == one.returncode,
                      f"3 ranks: the exit status of one process ({one.returncode})", run)
        said = [l for l in run.stderr.splitlines() if "design point 2:" in l]
        checks.expect(len(said) == 1, f"3 ranks: the failure is said once ({len(said)} times)",
                      run)
        checks.expect(bool(said) and re.match(
            r"^canopy: error: rank [0-2] \(host [^)]+\), design point 2: std::bad_alloc$",
            said[0]) is not None, "3 ranks: the message names the rank, its host and the point",
                      run)
        others = [l for l in run.stderr.splitlines()
                  if l.startswith("canopy: error:") and l not in said]
        checks.expect(not others, f"3 ranks: no other error message ({others})")
        checks.expect(not os.path.exists(os.path.join(d, "big.h5")), "3 ranks: no result")
        # The command to go on is the launch as given, options and all (an outside tester's
        # --hostfile, --oversubscribe and --bind-to were dropped, so the pasted command failed).
        # (It is said only when a point was done before the failure reached rank 0: a journal
        # with no point is removed, and there is nothing to resume. Which comes first varies.)
        resume = (f"  {mpiexec} --allow-run-as-root --oversubscribe -np 3 -wdir {d} {canopy} "
                  "sweep big.toml --resume --out big.h5 --threads 1")
        if "continue with" in run.stderr:
            checks.expect(resume in run.stderr.splitlines(),
                          f"3 ranks: the resume command repeats the launch ({resume!r})", run)
        else:
            checks.expect(not os.path.exists(os.path.join(d, "big.h5.journal")),
                          "3 ranks: no resume command only when no journal is kept", run)
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
