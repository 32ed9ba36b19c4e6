#!/usr/bin/python3
"""`import canopy` at its edges: the notes `canopy run` prints, paths that are not UTF-8,
instances made with __new__, every diagnostic of an overrides dict, values shown as given, and
the calibration dict's fields that `canopy calibrate --json` has.

Usage: test_python_edges.py BUILD_PYTHON_DIR CANOPY SOURCE_DIR
Exit 0 on success, 1 on a failure, 77 (skipped) when numpy is missing.
"""

import copy
import os
import pickle
import subprocess
import sys
import tempfile
import warnings

SKIP = 77

failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
        print(f"FAILED: {what}")


def notes(canopy, canopy_exe, source, tmp):
    """The CLI's notes reach Python: a UserWarning each when the run starts, and Run.notes."""
    wuhan = os.path.join(source, "scenarios", "wuhan-2023.toml")
    cli = subprocess.run([canopy_exe, "run", wuhan, "-n", "2", "-t", "1", "--set",
                          "initial_incubating=40000"], capture_output=True, text=True, timeout=300)
    cli_notes = [line.split("note: ", 1)[1] for line in cli.stderr.splitlines()
                 if line.startswith("canopy run: note: ")]
    check(any("does not hold at the parameters' means" in n for n in cli_notes),
          f"the CLI prints the incubator advisory: {cli.stderr[-400:]}")
    w = canopy.load_scenario(wuhan)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = canopy.run(w, replicates=2, threads=1, overrides={"initial_incubating": 40000})
    said = [str(x.message) for x in caught if issubclass(x.category, UserWarning)]
    check(r.notes == cli_notes, f"Run.notes are the CLI's notes: {r.notes} vs {cli_notes}")
    check(said == ["canopy.run: note: " + n for n in cli_notes],
          f"each note is a UserWarning when the run starts: {said}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plain = canopy.run(w, replicates=2, threads=1)
    check(plain.notes == [] and not [x for x in caught if "note:" in str(x.message)],
          f"no note where the CLI prints none: {plain.notes}")

    # A target read before policy_start: the CLI lists it under its table.
    with open(os.path.join(source, "scenarios", "reference.toml"), encoding="utf-8") as f:
        text = f.read()
    text = text.replace('time_step = "month"\n', 'time_step = "month"\npolicy_start = "2023-07"\n', 1)
    text = text.replace('at = "2023-12"', 'at = "2023-03"', 1)
    hist = os.path.join(tmp, "hist.toml")
    with open(hist, "w", encoding="utf-8") as f:
        f.write(text)
    cli = subprocess.run([canopy_exe, "run", hist, "-n", "4", "-t", "1"], capture_output=True,
                         text=True, timeout=300)
    start = cli.stdout.find("read before policy_start")
    check(start >= 0, f"the CLI lists the target read before policy_start: {cli.stdout}")
    h = canopy.load_scenario(hist)
    check(h.policy_start == "2023-07", f"Scenario.policy_start: {h.policy_start!r}")
    check(canopy.load_scenario(os.path.join(source, "scenarios", "reference.toml")).policy_start
          == "2023-01", "policy_start defaults to the start")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = canopy.run(h, replicates=4, threads=1)
    expected = ("read before policy_start 2023-07: these targets measure the history, which no "
                "lever set from then moves:\n  leaders_2023: read at the end of 2023-03")
    check(r.notes == [expected], f"Run.notes lists the history note: {r.notes}")
    check(expected in cli.stdout, "as the CLI words it")
    check(["canopy.run: note: " + expected] == [str(x.message) for x in caught],
          f"and warns it: {[str(x.message) for x in caught]}")


def non_utf8_paths(canopy, tmp):
    """A path that is not UTF-8 gives InputError naming the file, not UnicodeDecodeError."""
    missing = os.fsencode(tmp) + b"/missing\xff.toml"
    calls = {
        "load_scenario": lambda: canopy.load_scenario(missing),
        "read_calibration": lambda: canopy.read_calibration(missing[:-5] + b".h5"),
        "read_sweep": lambda: canopy.read_sweep(missing[:-5] + b".h5"),
        "with_posterior": lambda: canopy.load_scenario("scenarios/reference.toml")
        .with_posterior(missing[:-5] + b".h5"),
        "calibrate(out=)": lambda: canopy.calibrate("scenarios/reference-calibration.toml",
                                                    out=os.fsencode(tmp) + b"/no\xff/out.h5"),
    }
    for name, call in calls.items():
        try:
            call()
            check(False, f"{name}: a missing non-UTF-8 path is refused")
        except canopy.InputError as e:
            message = str(e)
            check("\\xff" in message, f"{name}: the message shows the byte as \\xff: {message}")
            message.encode("utf-8")  # prints anywhere: no lone surrogates
            files = [d["file"] for d in e.diagnostics if d["file"]]
            if name != "calibrate(out=)":
                check(files and os.fsencode(files[0]).endswith(b"\xff.h5")
                      or files and os.fsencode(files[0]).endswith(b"\xff.toml"),
                      f"{name}: the diagnostic's file gives the bytes back: {files}")
        except Exception as e:  # UnicodeDecodeError before
            check(False, f"{name}: InputError, not {type(e).__name__}: {e}")


def new_refused(canopy):
    """Scenario.__new__(Scenario) and Run.__new__(Run) made instances whose use segfaulted."""
    for cls in (canopy.Scenario, canopy.Run):
        try:
            cls.__new__(cls)
            check(False, f"{cls.__name__}.__new__ is refused")
        except TypeError as e:
            check("cannot be made directly" in str(e), f"{cls.__name__}.__new__: {e}")
        try:
            cls()
            check(False, f"{cls.__name__}() is refused")
        except TypeError:
            pass
    s = canopy.load_scenario("scenarios/reference.toml")
    r = canopy.run(s, replicates=2, threads=1)
    for obj in (s, r):
        check(copy.copy(obj) is obj and copy.deepcopy(obj) is obj, "copies are the object")
        try:
            pickle.dumps(obj)
            check(False, "pickle refuses it")
        except TypeError as e:
            check("cannot be pickled" in str(e), f"pickle's refusal says why: {e}")
    check(s.name == "reference" and r.replicates == 2, "made instances work")


def every_diagnostic(canopy):
    """with_overrides lists every mistake of its dict, as `canopy run --set` does."""
    s = canopy.load_scenario("scenarios/reference.toml")
    try:
        s.with_overrides({"birth_per_month": 3, "firms": "x", 5: 1, "edges_per_firm": True})
        check(False, "bad overrides refused")
    except canopy.InputError as e:
        keys = [d["key"] for d in e.diagnostics]
        check(keys == ["overrides['birth_per_month']", "overrides['firms']", "overrides",
                       "overrides['edges_per_firm']"], f"every diagnostic, in order: {keys}")
        check("did you mean 'births_per_month'?" in e.diagnostics[0]["hint"],
              "the misspelt name keeps its hint")
    try:
        import numpy as np
        s.with_overrides({"births_per_month": np.uint64(2**64 - 1)})
        check(False, "a value past the range is refused")
    except canopy.InputError as e:
        message = e.diagnostics[0]["message"]
        check(message.startswith(repr(np.uint64(2**64 - 1)) + " is outside the allowed range"),
              f"the value shown as given: {message}")
    try:
        s.with_overrides({"births_per_month": 10**17})
    except canopy.InputError as e:
        check(e.diagnostics[0]["message"].startswith("100000000000000000 is outside"),
              f"an int shown as given: {e.diagnostics[0]['message']}")


def read_sweep_prefix(canopy, tmp):
    """read_sweep's message lines start with the file, as read_calibration's do."""
    missing = os.path.join(tmp, "missing.h5")
    lines = []
    for reader in (canopy.read_calibration, canopy.read_sweep):
        try:
            reader(missing)
        except canopy.InputError as e:
            lines.append(str(e).splitlines()[1])
    check(len(lines) == 2 and all(x.startswith(missing + ": error: path: ") for x in lines),
          f"both readers' lines name the file first: {lines}")


def calibration_fields(canopy, source, tmp):
    """The calibration dict has what `canopy calibrate --json` has."""
    quick = os.path.join(source, "tests", "data", "calibration", "reference-quick.toml")
    out = os.path.join(tmp, "quick.h5")
    post = canopy.calibrate(quick, threads=2, out=out)
    back = canopy.read_calibration(out)
    for name, d in (("calibrate", post), ("read_calibration", back)):
        held = [f for f in d["figures"] if not f["fitted"]]
        check(d["holdout"] == {"figures": len(held),
                               "inside50": sum(f["inside50"] for f in held),
                               "inside90": sum(f["inside90"] for f in held),
                               "edge90": sum(f["edge90"] for f in held)},
              f"{name}: holdout {d['holdout']}")
        check(all(isinstance(f["line"], int) and f["line"] > 0 for f in d["figures"]),
              f"{name}: each figure's line in the data file")
        check(d["parameter_units"] == [d["summary"][p]["unit"] for p in d["parameters"]]
              and "firms/month" in d["parameter_units"], f"{name}: each parameter's unit")
    check(isinstance(post["unused_series"], list), "calibrate: unused_series")
    check(back["unused_series"] is None, "read_calibration: unused_series is None")


def main():
    build_python, canopy_exe, source = sys.argv[1:4]
    try:
        import numpy  # noqa: F401
    except ImportError as missing:
        print(f"skipped: {missing}")
        return SKIP
    sys.path.insert(0, build_python)
    import canopy

    os.chdir(source)
    with tempfile.TemporaryDirectory() as tmp:
        notes(canopy, canopy_exe, source, tmp)
        non_utf8_paths(canopy, tmp)
        new_refused(canopy)
        every_diagnostic(canopy)
        read_sweep_prefix(canopy, tmp)
        calibration_fields(canopy, source, tmp)
    if failures:
        print(f"{len(failures)} failure(s)")
        return 1
    print("all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
