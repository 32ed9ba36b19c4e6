#!/usr/bin/python3
"""canopy-bench refuses bad flags as canopy does: exit 2, one line beginning
"canopy-bench: error:" that names the flag (or the command) and what is allowed (bounds as
written, not DBL_MAX's 309 digits), and nothing run or printed on stdout. Every numeric flag of
every command refuses nan (the table covers each flag the commands' --help lists), every --seed
a negative number, and --lever anything but three finite numbers >= 0. An input file that does
not load, or is of the wrong kind, is refused the same way, naming its flag; so is a size past
the memory the process may use (here under a 1 GiB `ulimit -v`), before anything runs. --help
shows the path of each default file (baked in at build time).

Usage: test_bench_flags.py CANOPY-BENCH
Exit 0 on success, 1 on failure.
"""

import os
import re
import resource
import subprocess
import sys
import tempfile

CASES = [
    # (arguments, what the error line must say: a part of it, or a pattern it must match)
    (["reference", "--n", "abc"], "--n: 'abc' is not a number (allowed: 8 to 2000000000)"),
    (["reference", "--n", "20.5"],
     "--n: '20.5' is not a whole number in digits (allowed: 8 to 2000000000)"),
    (["reference", "--steps", "0"], "--steps: 0 is out of range (allowed: 1 to 100000)"),
    # A range of doubles: its bounds as written, not with six decimals.
    (["ecosystem", "--firms", "10"], "--firms: 10 is out of range (allowed: 100 to 2000000000)"),
    (["ecosystem", "--firms", "x"], "--firms: 'x' is not a number (allowed: 100 to 2000000000)"),
    (["bandwidth", "--order", "diagonal"], "--order: 'diagonal' is not one of the choices (allowed: rcm, natural)"),
    (["referenc"], "unknown command 'referenc' (commands: reference, scaling, ecosystem, "
                   "bandwidth, contention, sweep, calibration)"),
    ([], "no command given (commands: reference,"),
    # --help is answered first: these printed the main help and exited 0.
    (["referenc", "--help"], "unknown command 'referenc' (commands: reference,"),
    (["--help", "referenc"], "unknown command 'referenc' (commands: reference,"),
    (["--n", "5"], "no command given, and '--n' is not an option of canopy-bench"),
    (["reference", "--bogus"], "--bogus; the options of 'reference' are --help --n --steps"),
    # Doubles: nan is refused, not taken for "unset" or let through a range; bounds readable.
    (["reference", "--births", "nan"],
     "--births: 'nan' is not a number (allowed: 0 to 1000000000)"),
    (["reference", "--births", "-1"], "--births: -1 is out of range (allowed: 0 to 1000000000)"),
    (["reference", "--births", "inf"], "--births: inf is out of range (allowed: 0 to 1000000000)"),
    (["reference", "--births", "1e300"], "--births: 1e300 is out of range (allowed: 0 to 1000000000)"),
    (["reference", "--reorder-tail", "0"], "--reorder-tail: '0' is not a number > 0"),
    (["reference", "--reorder-tail", "nan"], "--reorder-tail: 'nan' is not a number > 0"),
    (["reference", "--reorder-tail", "inf"], "--reorder-tail: 'inf' is not a finite number > 0"),
    (["ecosystem", "--firms", "nan"],
     "--firms: 'nan' is not a number (allowed: 100 to 2000000000)"),
    (["ecosystem", "--firms", "inf"], "--firms: inf is out of range (allowed: 100 to 2000000000)"),
    # --lever: each of the three a finite number >= 0.
    (["reference", "--lever", "a,b,c"], "--lever: 'a' is not a number >= 0"),
    (["reference", "--lever", "1,,1"], "--lever: '' is not a number >= 0"),
    (["reference", "--lever", "1,1,1,"], "--lever: '' is not a number >= 0"),
    (["reference", "--lever", "inf,1,1"], "--lever: 'inf' is not a finite number >= 0"),
    (["reference", "--lever", "1,nan,1"], "--lever: 'nan' is not a number >= 0"),
    (["reference", "--lever=-1,1,1"], "--lever: '-1' is not a number >= 0"),
    (["reference", "--lever", "1,1"], "--lever: expected three numbers a,b,c, got 2"),
] + [
    # Seeds: whole numbers 0 to 2^64 - 1; "-1" is not 18446744073709551615. Said as canopy
    # says them, and as the other whole-number flags say theirs.
    ([command, "--seed", seed], message)
    for command in ("reference", "scaling", "ecosystem", "bandwidth", "contention")
    for seed, message in (
        ("-1", "--seed: -1 is out of range (allowed: 0 to 18446744073709551615, 2^64 - 1)"),
        ("nan", "--seed: 'nan' is not a number (allowed: 0 to 18446744073709551615)"),
        ("0x10", "--seed: '0x10' is not a whole number in digits "
                 "(allowed: 0 to 18446744073709551615)"),
        ("18446744073709551616",
         "--seed: 18446744073709551616 is out of range (allowed: 0 to 18446744073709551615, 2^64 - 1)"))
] + [
    # A whole number is read in decimal digits: CLI11 alone read 0x10 as sixteen, 010 as eight.
    ([command, flag, "0x10"],
     re.compile(flag + r": '0x10' is not a whole number in digits \(allowed: \d+ to \d+\)$"))
    for command, flag in (("reference", "--n"), ("reference", "--steps"),
                          ("ecosystem", "--replicates"), ("bandwidth", "--repeats"))
] + [
    # Every whole-number flag of every command refuses nan as not a number, naming its range.
    ([command, flag, "nan"],
     re.compile(flag + r": 'nan' is not a number \(allowed: \d+ to \d+\)$"))
    for command, flags in (
        ("reference", ("--n", "--steps", "--threads")),
        ("scaling", ("--n", "--max-threads", "--repeats")),
        ("ecosystem", ("--replicates", "--threads", "--profile")),
        ("bandwidth", ("--n", "--threads", "--array-mib", "--repeats")),
        ("contention", ("--n", "--steps", "--rounds", "--co-runner-mib")),
        ("sweep", ("--threads", "--repeats", "--mpi-ranks")),
        ("calibration", ("--threads", "--repeats", "--recovery", "--sbc")))
    for flag in flags
]

# Commands whose every numeric flag is in the table above with nan, so that a flag added
# without a check fails here: the numeric flags each command's --help lists.
NUMERIC = re.compile(r"^\s+(--[a-z-]+) (?:UINT|INT|FLOAT|NUMBER)", re.M)

# Sizes past the memory: refused before anything runs or prints, naming the flags that set the
# size, the estimate and the limit. Run under an address-space limit (ulimit -v) of 1 GiB, so
# that the outcome does not depend on the machine's memory.
ADDRESS_SPACE = 1 << 30
MEMORY_CASES = [
    (["reference", "--n", "20000000", "--quiet"],
     ["the reference model at --n 20000000, --steps 12 would need about 2.4 GB",
      "of address space left under ulimit -v", "use a smaller --n"]),
    (["reference", "--n", "1000", "--births", "100000000", "--quiet"],
     ["--n 1000, --births 100000000, --steps 12 would need about 130 GB"]),
    (["scaling", "--n", "20000000"], ["the reference model at --n 20000000 would need"]),
    (["bandwidth", "--array-mib", "1024", "--n", "1000"],
     ["3 arrays of --array-mib 1024", "use a smaller --n or --array-mib"]),
    (["contention", "--co-runner-mib", "2048", "--n", "1000"],
     ["beside a co-runner of --co-runner-mib 2048", "or --co-runner-mib"]),
    # It printed its header line before failing.
    (["ecosystem", "--firms", "20000000", "--replicates", "1", "--profile", "0"],
     ["one city scaled to 20,000,000 initial firms (--firms, scenario", "use a smaller --firms"]),
]



def file_cases(bad, source):
    """Input files that do not load, or are of the wrong kind: bad input as a flag is, exit 2
    (the calibration's exited 1), with the "canopy-bench: error:" line naming the flag."""
    reference = os.path.join(source, "scenarios", "reference.toml")
    return [
        (["calibration", "--calibration", bad], f"--calibration: cannot load '{bad}':"),
        (["calibration", "--recovery-file", reference, "--sbc", "1"],
         f"--recovery-file: cannot load '{reference}':"),
        (["calibration", "--recovery-file", bad, "--recovery", "1"],
         f"--recovery-file: cannot load '{bad}':"),
        (["ecosystem", "--scenario", bad], f"--scenario: cannot load '{bad}':"),
        (["ecosystem", "--scenario", reference],
         f"--scenario: {reference} is a 'reference' scenario, not 'ecosystem'"),
        (["sweep", "--sweep", bad], f"--sweep: cannot load '{bad}':"),
        (["sweep", "--shard", "3/2"], "--shard: shard 3/2 does not exist"),
    ]


def limit_address_space():
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def main():
    bench = sys.argv[1]
    failed = False
    scratch = tempfile.TemporaryDirectory()
    bad = os.path.join(scratch.name, "bad.toml")
    with open(bad, "w") as f:
        f.write("x = [1, 2,\n")  # malformed TOML: the array never closes
    source = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    for args, expected in CASES + file_cases(bad, source):
        run = subprocess.run([bench, *args], capture_output=True, text=True, timeout=60)
        lines = run.stderr.splitlines()
        errors = [l for l in lines if l.startswith("canopy-bench: error: ")]
        # A bound is printed as written, never as DBL_MAX's 309 digits.
        said = (len(errors) == 1 and (expected.search(errors[0]) if isinstance(expected, re.Pattern)
                                      else expected in errors[0]))
        ok = (run.returncode == 2 and said
              and run.stdout == "" and not re.search(r"\d{25}", errors[0]))
        print(("ok      " if ok else "FAILED  ") + " ".join(args or ["(nothing)"]))
        if not ok:
            failed = True
            print(f"  exit {run.returncode}, wanted 2 and an error line with {expected!r}\n"
                  f"  stdout: {run.stdout!r}\n  stderr: {run.stderr!r}")
    # AddressSanitizer reserves terabytes of address space for its shadow memory, so a
    # sanitized canopy-bench cannot start under a 1 GiB `ulimit -v`: the memory cases run in the
    # plain build only (CI runs both).
    memory_cases = [] if os.environ.get("CANOPY_SANITIZED") else MEMORY_CASES
    if not memory_cases:
        print("skipped  the memory cases: a sanitized build cannot run under ulimit -v")
    for args, expected in memory_cases:
        run = subprocess.run([bench, *args], capture_output=True, text=True, timeout=60,
                             preexec_fn=limit_address_space)
        errors = [l for l in run.stderr.splitlines() if l.startswith("canopy-bench: error: ")]
        ok = (run.returncode == 2 and len(errors) == 1 and run.stdout == ""
              and all(part in errors[0] for part in expected))
        print(("ok      " if ok else "FAILED  ") + " ".join(args) + " (ulimit -v 1 GiB)")
        if not ok:
            failed = True
            print(f"  exit {run.returncode}, wanted 2 and an error line with {expected!r}\n"
                  f"  stdout: {run.stdout!r}\n  stderr: {run.stderr!r}")
    tested = {(args[0], args[1]) for args, _ in CASES if len(args) > 2 and args[2] == "nan"}
    for command in ("reference", "scaling", "ecosystem", "bandwidth", "contention", "sweep",
                    "calibration"):
        usage = subprocess.run([bench, command, "--help"], capture_output=True, text=True,
                               timeout=60).stdout
        for flag in NUMERIC.findall(usage):
            if (command, flag) not in tested:
                failed = True
                print(f"FAILED  {command} {flag}: a numeric flag with no nan case here")
    # The default files are baked in at build time: --help shows each one's path, which exists.
    for command, flag in (("ecosystem", "--scenario"), ("sweep", "--sweep"),
                          ("calibration", "--calibration"), ("calibration", "--recovery-file")):
        usage = subprocess.run([bench, command, "--help"], capture_output=True, text=True,
                               timeout=60).stdout
        shown = re.search("^ +" + flag + r" TEXT:FILE=(\S+)$", usage, re.M)
        ok = shown is not None and os.path.isfile(shown.group(1))
        print(("ok      " if ok else "FAILED  ") + f"{command} --help shows {flag}'s default")
        if not ok:
            failed = True
            print(f"  {usage!r}")
    # A seed is read in decimal digits, as canopy reads it: "010" is ten, not CLI11's octal eight.
    def counts(seed):
        out = subprocess.run([bench, "reference", "--n", "1000", "--seed", seed],
                             capture_output=True, text=True, timeout=60, check=True).stdout
        return [l for l in out.splitlines() if l[:1].isdigit()]  # the CSV rows, not the timings
    ok = counts("010") == counts("10") != counts("8")
    print(("ok      " if ok else "FAILED  ") + "reference --seed 010 is seed ten")
    failed = failed or not ok
    # So is every whole-number flag: --steps 010 runs ten steps.
    out = subprocess.run([bench, "reference", "--n", "1000", "--steps", "010", "--quiet"],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    ok = re.search(r"\bsteps=10\b", out) is not None
    print(("ok      " if ok else "FAILED  ") + "reference --steps 010 is ten steps")
    failed = failed or not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
