"""Runs one canopy command on this machine's threads and then under `mpirun -np K` for several K
(oversubscribed, one thread per rank), and compares each MPI result file with the local one.
Shared by test_sweep_mpi.py and test_calibrate_mpi.py; missing_mpi by every MPI test,
script_arguments by the failure tests.
"""

import os
import shutil
import subprocess
import tempfile


def missing_mpi(mpiexec, built_with_mpi):
    """Why the MPI tests cannot run here (canopy built without MPI: BUILT_WITH_MPI is "0", as
    CMake passes it; no launcher MPIEXEC), or None when they can."""
    if built_with_mpi == "0":
        return ("canopy was built without MPI (CMake found no MPI; install libopenmpi-dev and "
                "reconfigure)")
    if shutil.which(mpiexec) is None:
        return f"no MPI launcher '{mpiexec}' (install openmpi-bin)"
    return None


def script_arguments(argv):
    """A failure test's arguments, CANOPY MPIEXEC SOURCE_DIR [BUILT_WITH_MPI], and why it cannot
    run here (missing_mpi): (canopy, mpiexec, source, missing)."""
    canopy, mpiexec, source = argv[1:4]
    return canopy, mpiexec, source, missing_mpi(mpiexec, argv[4] if len(argv) > 4 else "")


def compare_ranks(canopy, mpiexec, command, local_args, ranks, report_prefix, report_name,
                  differences, prefix):
    """`canopy COMMAND --quiet LOCAL_ARGS --out local.h5`, then for each K in RANKS
    `MPIEXEC -np K canopy COMMAND --threads 1 --out mpi-K.h5`, whose standard output must hold
    exactly one line starting with REPORT_PREFIX (only rank 0 reports) and whose file must show
    no DIFFERENCES(local, other) from the local one; nothing but the .h5 files may be left in the
    working directory (a temporary one named PREFIX...). Prints what it finds; returns the exit
    status: 0 when every rank count matched, 1 otherwise."""
    with tempfile.TemporaryDirectory(prefix=prefix) as d:
        local = os.path.join(d, "local.h5")
        subprocess.run([canopy, *command, "--quiet", *local_args, "--out", local], check=True)
        failed = False
        for k in ranks:
            out = os.path.join(d, f"mpi-{k}.h5")
            run = subprocess.run(
                [mpiexec, "--allow-run-as-root", "--oversubscribe", "-np", str(k),
                 canopy, *command, "--threads", "1", "--out", out],
                capture_output=True, text=True, timeout=600)
            if run.returncode != 0:
                print(f"{k} ranks: exit {run.returncode}\n{run.stdout}\n{run.stderr}")
                failed = True
                continue
            reports = [l for l in run.stdout.splitlines() if l.startswith(report_prefix)]
            if len(reports) != 1:
                print(f"{k} ranks: expected one {report_name}, got {reports}")
                failed = True
            problems = differences(local, out)
            for p in problems:
                print(f"{k} ranks: {p}")
            failed = failed or bool(problems)
            print(f"{k} ranks: {'identical' if not problems else 'DIFFERENT'}")
        leftovers = [f for f in os.listdir(d) if not f.endswith(".h5")]
        if leftovers:
            print(f"left behind: {leftovers}")
            failed = True
    return 1 if failed else 0
