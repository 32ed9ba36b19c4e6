#!/usr/bin/python3
"""Ranks that do not agree, under real `mpirun` (docs/clusters.md, "When the ranks disagree").

Usage: test_mpi_ranks_agree.py CANOPY MPIEXEC SOURCE_DIR CASE [BUILT_WITH_MPI]

CASE is one of
  sweep        `mpirun -np 1 -wdir A canopy sweep S : -np 2 -wdir B canopy sweep S`, where B's copy
               of the sweep file has another seed, or B's scenario another number of firms, or
               B's sweep file cannot be read: exit 2, one message (rank 0's) naming ranks 1 and 2
               and their host, no result and no journal. The same copies in A and B run (exit 0).
  calibrate    the same with two calibration files that differ in their seed: exit 2 before any
               run, no posterior, no journal.
  one-process  every command that does not spread its work over ranks (run, validate, models,
               merge, sensitivity, compare, solve, levers), under `mpirun -np 2`: exit 2, one
               message saying it runs on one process, nothing on stdout, no file written; under
               `mpirun -np 1` it runs.

Exit 0 on success, 1 on a failure, 77 (skipped, saying why) without mpirun or MPI in the build.
"""

import os
import re
import subprocess
import sys
import tempfile

from mpi_ranks import missing_mpi

SKIP = 77


def mpirun(mpiexec, *groups, cwd=None):
    """Runs `mpiexec` with one MPMD group per (ranks, workdir, args); returns the CompletedProcess."""
    command = [mpiexec, "--allow-run-as-root", "--oversubscribe"]
    for k, (ranks, wdir, args) in enumerate(groups):
        if k > 0:
            command.append(":")
        command += ["-np", str(ranks), "-wdir", wdir, *args]
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=cwd)
    except subprocess.TimeoutExpired as e:
        # Ranks that disagree may wait for each other for ever: a failure, not a hung test.
        text = [x.decode(errors="replace") if isinstance(x, bytes) else (x or "")
                for x in (e.stdout, e.stderr)]
        return subprocess.CompletedProcess(command, "timeout (120 s)", *text)


class Checks:
    def __init__(self):
        self.failed = False

    def expect(self, ok, what, run=None):
        print(("ok      " if ok else "FAILED  ") + what)
        if not ok:
            self.failed = True
            if run is not None:
                print(f"  exit {run.returncode}\n  stdout: {run.stdout!r}\n  stderr: {run.stderr!r}")


def error_lines(run, prefix):
    return [l for l in run.stderr.splitlines() if l.startswith(prefix)]


def expect_refused(checks, run, what, prefix, must_name, outputs):
    """Exit 2, exactly one line starting with PREFIX naming each of MUST_NAME, no other
    `canopy` error line, nothing on stdout, none of OUTPUTS written."""
    failed_before = checks.failed
    checks.failed = False
    lines = error_lines(run, prefix)
    checks.expect(run.returncode == 2, f"{what}: exit 2")
    checks.expect(len(lines) == 1, f"{what}: one message, from rank 0 ({len(lines)})")
    text = lines[0] if lines else ""
    for needle in must_name:
        checks.expect(re.search(needle, text) is not None, f"{what}: the message names {needle!r}")
    others = [l for l in run.stderr.splitlines() if l.startswith("canopy") and l not in lines]
    checks.expect(not others, f"{what}: no other canopy message ({others})")
    checks.expect(run.stdout.strip() == "", f"{what}: nothing on stdout")
    for path in outputs:
        checks.expect(not os.path.exists(path), f"{what}: {os.path.basename(path)} not written")
    if checks.failed:
        print(f"  exit {run.returncode}\n  stdout: {run.stdout!r}\n  stderr: {run.stderr!r}")
    checks.failed = checks.failed or failed_before


def two_nodes(d, files, change_b):
    """Directories d/nodeA and d/nodeB with copies of FILES (name -> text); CHANGE_B(name, text)
    gives node B's text of each."""
    a, b = os.path.join(d, "nodeA"), os.path.join(d, "nodeB")
    for node in (a, b):
        os.makedirs(node, exist_ok=True)
    for name, text in files.items():
        with open(os.path.join(a, name), "w") as f:
            f.write(text)
        with open(os.path.join(b, name), "w") as f:
            f.write(change_b(name, text))
    return a, b


def read(path):
    with open(path) as f:
        return f.read()


def case_sweep(canopy, mpiexec, source):
    checks = Checks()
    sweeps = os.path.join(source, "tests", "data", "sweeps")
    files = {n: read(os.path.join(sweeps, n)) for n in ("tiny.toml", "tiny-scenario.toml")}
    assert "seed = 11" in files["tiny.toml"]
    # The copies extend the shipped reference scenario by absolute path.
    files["tiny-scenario.toml"] = re.sub(
        r'^extends = ".*"$', f'extends = "{os.path.join(source, "scenarios", "reference.toml")}"',
        files["tiny-scenario.toml"], flags=re.M)
    firms = re.search(r"^\[baseline\.firms\]\nvalue = (\d+)$", files["tiny-scenario.toml"], re.M)
    variants = {
        # (what, change to node B's files, what the message must name)
        "another seed": (lambda n, t: t.replace("seed = 11", "seed = 12"),
                         [r"rank 1 \(host [^)]+\)", r"rank 2 \(host [^)]+\)", r"rank 0 \(host",
                          "sweep file", "same input files"]),
        "another number of firms": (lambda n, t: t if n != "tiny-scenario.toml" else
                                    t[:firms.start(1)] + "600" + t[firms.end(1):],
                             [r"rank 1 \(host", r"rank 2 \(host", "same input files"]),
        "an unreadable sweep file": (lambda n, t: t.replace('"tiny-scenario.toml"',
                                                            '"no-such-scenario.toml"'),
                                     [r"rank 1 \(host [^)]+\) could not read its inputs",
                                      "no-such-scenario"]),
    }
    assert firms is not None
    for what, (change, names) in variants.items():
        with tempfile.TemporaryDirectory(prefix="canopy-mpi-agree-") as d:
            a, b = two_nodes(d, files, change)
            out = os.path.join(d, "out.h5")
            args = [canopy, "sweep", "tiny.toml", "--threads", "1", "--out", out]
            run = mpirun(mpiexec, (1, a, args), (2, b, args))
            expect_refused(checks, run, f"sweep, node B with {what}", "canopy sweep: error:",
                           names, [out, out + ".journal"])
    # The same files on both nodes: the ranks agree and the sweep runs.
    with tempfile.TemporaryDirectory(prefix="canopy-mpi-agree-") as d:
        a, b = two_nodes(d, files, lambda n, t: t)
        out = os.path.join(d, "out.h5")
        args = [canopy, "sweep", "tiny.toml", "--threads", "1", "--quiet", "--out", out]
        run = mpirun(mpiexec, (1, a, args), (2, b, args))
        checks.expect(run.returncode == 0 and os.path.exists(out),
                      "sweep, the same files on both nodes: runs", run)
    return 1 if checks.failed else 0


def case_calibrate(canopy, mpiexec, source):
    checks = Checks()
    calibration = read(os.path.join(source, "tests", "data", "calibration",
                                    "reference-quick.toml"))
    scenarios = os.path.join(source, "scenarios")
    # The copies name the scenario and data by absolute path.
    calibration = re.sub(r'^scenario = ".*"$',
                         f'scenario = "{os.path.join(scenarios, "reference-history.toml")}"',
                         calibration, flags=re.M)
    calibration = re.sub(r'^data = ".*"$',
                         f'data = "{os.path.join(scenarios, "data", "reference-history.csv")}"',
                         calibration, flags=re.M)
    seed = re.search(r"^seed = (\d+)$", calibration, re.M)
    assert seed is not None
    with tempfile.TemporaryDirectory(prefix="canopy-mpi-agree-") as d:
        a, b = two_nodes(d, {"cal.toml": calibration},
                         lambda n, t: t.replace(seed.group(0), f"seed = {int(seed.group(1)) + 1}"))
        out = os.path.join(d, "cal.h5")
        args = [canopy, "calibrate", "cal.toml", "--threads", "1", "--quiet", "--out", out]
        run = mpirun(mpiexec, (1, a, args), (1, b, args))
        expect_refused(checks, run, "calibrate, node B with another seed",
                       "canopy calibrate: error:",
                       [r"rank 1 \(host [^)]+\)", r"rank 0 \(host", "calibration file",
                        "same input files"],
                       [out, out + ".journal", out + ".journal.2"])
    return 1 if checks.failed else 0


def case_one_process(canopy, mpiexec, source):
    checks = Checks()
    sweeps = os.path.join(source, "tests", "data", "sweeps")
    scenario = os.path.join(sweeps, "tiny-scenario.toml")
    with tempfile.TemporaryDirectory(prefix="canopy-mpi-agree-") as d:
        # A small Saltelli sweep's result, for merge and sensitivity.
        saltelli = os.path.join(d, "saltelli.toml")
        with open(saltelli, "w") as f:
            f.write(read(os.path.join(sweeps, "tiny.toml"))
                    .replace('design = "sobol"', 'design = "saltelli"')
                    .replace('"tiny-scenario.toml"', f'"{scenario}"'))
        result = os.path.join(d, "result.h5")
        subprocess.run([canopy, "sweep", saltelli, "--quiet", "--out", result], check=True,
                       timeout=600)
        commands = {
            "run": (["run", scenario, "--replicates", "2", "--json", os.path.join(d, "run.json")],
                    [os.path.join(d, "run.json")]),
            "validate": (["validate", scenario], []),
            "models": (["models"], []),
            "merge": (["merge", result, "--out", os.path.join(d, "merged.h5")],
                      [os.path.join(d, "merged.h5")]),
            "sensitivity": (["sensitivity", result, "--out", os.path.join(d, "s.h5")],
                            [os.path.join(d, "s.h5")]),
            "compare": (["compare", scenario, "--replicates", "2"], []),
            "solve": (["solve", scenario, "--target", "leaders_2023", "-P", "0.5", "--lever",
                       "lever_high_tech", "--replicates", "10"], []),
            "levers": (["levers", scenario, "--replicates", "4"], []),
        }
        for name, (args, outputs) in commands.items():
            run = mpirun(mpiexec, (2, d, [canopy, *args]))
            expect_refused(checks, run, f"{name} under 2 ranks", f"canopy {name}: error:",
                           [f"'canopy {name}' runs on one process", "without mpirun"], outputs)
        # One rank is one process: allowed.
        run = mpirun(mpiexec, (1, d, [canopy, "models"]))
        checks.expect(run.returncode == 0 and run.stdout.strip() != "", "models under 1 rank runs",
                      run)
        leftovers = sorted(set(os.listdir(d)) - {"saltelli.toml", "result.h5"})
        checks.expect(not leftovers, f"nothing else written ({leftovers})")
    return 1 if checks.failed else 0


def main():
    canopy, mpiexec, source, case = sys.argv[1:5]
    # The one-process case needs only the launcher: a canopy without MPI must refuse too.
    built = sys.argv[5] if len(sys.argv) > 5 and case != "one-process" else ""
    missing = missing_mpi(mpiexec, built)
    if missing:
        print("skipped: " + missing)
        return SKIP
    cases = {"sweep": case_sweep, "calibrate": case_calibrate, "one-process": case_one_process}
    return cases[case](canopy, mpiexec, source)


if __name__ == "__main__":
    sys.exit(main())
