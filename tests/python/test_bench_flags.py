#!/usr/bin/python3
"""canopy-bench refuses bad flags as canopy does: exit 2, one line beginning
"canopy-bench: error:" that names the flag (or the command) and what is allowed, and nothing run.

Usage: test_bench_flags.py CANOPY-BENCH
Exit 0 on success, 1 on failure.
"""

import subprocess
import sys

CASES = [
    # (arguments, what the error line must say)
    (["reference", "--n", "abc"], "--n: 'abc' is not a number (allowed: 8 to 2000000000)"),
    (["reference", "--n", "20.5"],
     "--n: '20.5' is not a whole number in digits (allowed: 8 to 2000000000)"),
    (["reference", "--steps", "0"], "--steps: Value 0 not in range 1 to 100000"),
    # A range of doubles: its bounds as written, not with six decimals.
    (["ecosystem", "--firms", "10"], "--firms: Value 10 not in range 100 to 2000000000"),
    (["ecosystem", "--firms", "x"], "--firms: 'x' is not a number (allowed: 100 to 2000000000)"),
    (["bandwidth", "--order", "diagonal"], "--order: diagonal not in {rcm,natural}"),
    (["referenc"], "unknown command 'referenc' (commands: reference, scaling, ecosystem, "
                   "bandwidth, contention, sweep, calibration)"),
    ([], "no command given (commands: reference,"),
    (["--n", "5"], "no command given, and '--n' is not an option of canopy-bench"),
    (["reference", "--bogus"], "--bogus; the options of 'reference' are --help --n --steps"),
]


def main():
    bench = sys.argv[1]
    failed = False
    for args, expected in CASES:
        run = subprocess.run([bench, *args], capture_output=True, text=True, timeout=60)
        lines = run.stderr.splitlines()
        errors = [l for l in lines if l.startswith("canopy-bench: error: ")]
        ok = (run.returncode == 2 and len(errors) == 1 and expected in errors[0]
              and run.stdout == "")
        print(("ok      " if ok else "FAILED  ") + " ".join(args or ["(nothing)"]))
        if not ok:
            failed = True
            print(f"  exit {run.returncode}, wanted 2 and an error line with {expected!r}\n"
                  f"  stdout: {run.stdout!r}\n  stderr: {run.stderr!r}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
