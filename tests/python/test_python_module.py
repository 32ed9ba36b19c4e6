#!/usr/bin/python3
"""`import canopy` as a user would: load a scenario, override it, run it, read the arrays and
the summary, calibrate, load the posterior and run with it — checked against the command line.

Usage: test_python_module.py BUILD_PYTHON_DIR CANOPY SOURCE_DIR
Exit 0 on success, 1 on a failure, 77 (skipped) when numpy is missing.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

SKIP = 77

failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
        print(f"FAILED: {what}")


def p_attain_in_worker(path, overrides, seed):
    """docs/python.md's pattern for a run in another process: the scenario made there."""
    import canopy
    s = canopy.load_scenario(path).with_overrides(overrides)
    return canopy.run(s, replicates=8, seed=seed, threads=1).p_attain


def main():
    build_python, canopy_exe, source = sys.argv[1:4]
    try:
        import numpy as np
    except ImportError as missing:
        print(f"skipped: {missing}")
        return SKIP
    sys.path.insert(0, build_python)
    import canopy

    reference = os.path.join(source, "scenarios", "reference.toml")
    check("reference" in canopy.models(), "the reference model is registered")
    info = canopy.model_info("reference")
    check(any(p["name"] == "births_per_month" for p in info["parameters"]), "model_info lists parameters")

    # Load and run: arrays [replicate, time], finals, the summary dict, P(attain).
    s = canopy.load_scenario(reference)
    check(s.name == "reference" and s.model == "reference", "scenario name and model")
    run = canopy.run(s, replicates=8, seed=5, threads=2)
    steps = s.steps + 1
    check(run.replicates == 8 and len(run.time) == steps, "replicates and time labels")
    for ind in s.indicators:
        a = run.indicators[ind]
        check(isinstance(a, np.ndarray) and a.shape == (8, steps), f"indicator {ind} is [8, {steps}]")
    check(run.series["high_tech"].shape == (8, steps), "model series are [replicate, time]")
    check(set(run.finals) == set(s.indicators), "finals for every indicator")
    check(np.array_equal(run.finals["leaders_2023"], run.indicators["leaders_2023"][:, -1]),
          "a stock indicator's final is its last value")
    check(set(run.p_attain) == set(s.targets), "P(attain) for every target")

    # The same numbers as `canopy run --json`, and the same bits on 1 thread.
    cli = subprocess.run([canopy_exe, "run", reference, "--replicates", "8", "--seed", "5",
                          "--json", "-", "--threads", "1"], capture_output=True, text=True,
                         check=True)
    expected = json.loads(cli.stdout)
    for t_cli, t_py in zip(expected["targets"], run.summary["targets"]):
        check(t_cli["id"] == t_py["id"] and t_cli["p_attain"] == t_py["p_attain"] and
              t_cli["median"] == t_py["median"], f"target {t_cli['id']} as canopy run --json")
    # docs/python.md's "Stopping when settled, and memory": its figures, as printed there.
    quick = canopy.run(s, replicates=1000, seed=1, precision=0.05)
    check(quick.summary["precision"] == {"half_width": 0.05, "max_replicates": 1000,
                                         "replicates": 200, "settled": True,
                                         "verdict_confidence": 0.99},
          "python.md's precision example: settled after 200 of 1,000 replicates")
    # The verdicts on the looks' 99 % interval, as `canopy run --precision` takes them.
    check({t["id"]: t["verdict"] for t in quick.summary["targets"]} ==
          {"leaders_2023": "likely", "high_tech_growth": "likely", "exits_2023": "unlikely"},
          "python.md's precision example: its verdicts")
    check(quick.p_attain == {"leaders_2023": 0.975, "high_tech_growth": 0.595,
                             "exits_2023": 0.0},
          "python.md's precision example: its P(attain)")
    try:
        canopy.run(s, replicates=1000, max_memory="200K")
        check(False, "python.md's max_memory example is refused")
    except canopy.InputError as e:
        check(e.diagnostics[0]["key"] == "max_memory", "python.md's max_memory example names it")
    # Runs from several Python threads at once: they shared and tore down each other's thread
    # arena (a segfault or a hang in two of three attempts of an outside probe). Now one at a
    # time, each with its own numbers.
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(3) as pool:
        together = list(pool.map(
            lambda k: canopy.run(s, replicates=8, seed=5 + k % 2, threads=1 + k % 2).summary,
            range(6)))
    alone = [canopy.run(s, replicates=8, seed=5 + k, threads=1).summary for k in range(2)]
    check(all(together[k]["targets"] == alone[k % 2]["targets"] for k in range(6)),
          "runs from several threads give what each gives alone")
    # determined_by as `canopy run --json` names it, on the default scenario (wuhan-2023.toml,
    # its posterior attached as the command attaches it) with job_elasticity 0: the graduates
    # retained are then the drawn inflow times the retention programme's effect, decided by
    # those inputs in every run; null where the dynamics decide. It was None for every one.
    # (A leader quota of 5 was the example: filled in these 4 runs and the check's 20 by luck,
    # missed by 3 of 100 replicates, an outside reader found.)
    default = os.path.join(source, "scenarios", "wuhan-2023.toml")
    cli_default = subprocess.run([canopy_exe, "run", "-n", "4", "--seed", "3", "--threads", "1",
                                  "--set", "job_elasticity=0", "--json", "-", "-q"],
                                 capture_output=True, text=True, check=True, cwd=source)
    expected_default = json.loads(cli_default.stdout)["targets"]
    py_default = canopy.run(canopy.load_scenario(default).with_overrides({"job_elasticity": 0}),
                            replicates=4, seed=3, threads=1).summary["targets"]
    check([t["id"] for t in expected_default] == [t["id"] for t in py_default],
          "the default scenario's targets, as canopy run --json")
    for t_cli, t_py in zip(expected_default, py_default):
        check(t_cli["determined_by"] == t_py["determined_by"] and
              t_cli.get("not_probed") == t_py.get("not_probed"),
              f"target {t_cli['id']}: determined_by {t_py['determined_by']!r} is the CLI's "
              f"{t_cli['determined_by']!r}")
    check({t["id"]: t["determined_by"] for t in py_default}["graduates_retained"] ==
          ["graduate_inflow", "job_elasticity", "graduate_retention_support"],
          "the graduates retained are decided by their inputs (the check means something)")
    one = canopy.run(s, replicates=8, seed=5, threads=1)
    check(all(np.array_equal(one.indicators[i], run.indicators[i]) for i in s.indicators),
          "same bits on 1 and 2 threads")

    # Overrides as --set does: a parameter, and a lever's whole schedule scaled.
    more = canopy.run(s.with_overrides({"births_per_month": 30}), replicates=8, seed=5)
    check(np.all(more.parameters["births_per_month"] == 30.0), "the override is what ran")
    check(more.series["births"].sum() > run.series["births"].sum(), "more births with more births_per_month")
    cli_set = subprocess.run([canopy_exe, "run", reference, "--replicates", "8", "--seed", "5",
                              "--set", "lever_high_tech*=2", "--json", "-"], capture_output=True,
                             text=True, check=True)
    scaled = canopy.run(s, replicates=8, seed=5, overrides={"lever_high_tech*": 2})
    check(json.loads(cli_set.stdout)["targets"][0]["median"] == scaled.summary["targets"][0]["median"],
          "overrides= matches --set LEVER*=F")
    # A parameter scaled is told how to set it here, not with --set's 'NAME=VALUE'.
    try:
        canopy.run(s, replicates=2, seed=1, overrides={"births_per_month*": 2})
        check(False, "a parameter cannot be scaled")
    except canopy.InputError as e:
        diag = e.diagnostics[0]
        check("only a lever's schedule can be scaled" in diag["message"] and
              diag["allowed"] == "overrides['births_per_month'] (no '*') to set it", str(diag))
    # A name overridden twice is refused, as `--set` refuses it (an outside probe: in one dict
    # only one of "x" and "x*" acted while the summary listed both; across calls the summary
    # listed 'births_per_month=13', 'births_per_month=14', a list --set refuses; chained calls
    # set then scaled the lever, which no --set list repeats).
    for what, twice, already in [
            ("x and x* in one dict", lambda: canopy.run(
                s, replicates=2, seed=1, overrides={"lever_high_tech": 2, "lever_high_tech*": 1.5}),
             False),
            ("x* and x in one dict", lambda: s.with_overrides(
                {"lever_high_tech*": 1.5, "lever_high_tech": 2}), False),
            ("with_overrides, then overrides=", lambda: canopy.run(
                s.with_overrides({"births_per_month": 13}), replicates=2,
                overrides={"births_per_month": 14}), True),
            ("with_overrides, then with_overrides", lambda: s.with_overrides(
                {"lever_high_tech": 2}).with_overrides({"lever_high_tech*": 1.5}), True)]:
        try:
            twice()
            check(False, f"{what}: a name set twice is refused")
        except canopy.InputError as e:
            diag = e.diagnostics[0]
            check(diag["key"].startswith("overrides[") and "' is set twice (" in diag["message"] and
                  diag["allowed"] == "each name once" and
                  ("by an earlier with_overrides" in diag["message"]) == already,
                  f"{what}: refused as --set refuses a name given twice: {e}")
    # What the summary lists is what acted, each name once: pasted after --set, it repeats the run.
    two_calls = canopy.run(s.with_overrides({"births_per_month": 13}), replicates=4, seed=5,
                           threads=1, overrides={"lever_high_tech*": 1.5})
    check(two_calls.summary["overrides"] == ["births_per_month=13", "lever_high_tech*=1.5"],
          f"the summary lists both calls' overrides: {two_calls.summary['overrides']}")
    pasted = subprocess.run([canopy_exe, "run", reference, "--replicates", "4", "--seed", "5",
                             "--threads", "1", "--json", "-"] +
                            [a for o in two_calls.summary["overrides"] for a in ("--set", o)],
                            capture_output=True, text=True)
    check(pasted.returncode == 0 and
          json.loads(pasted.stdout)["targets"] == two_calls.summary["targets"],
          f"summary['overrides'] pasted after --set repeats the run: {pasted.stderr}")

    # Bad input raises InputError carrying the diagnostics; nothing crashes.
    try:
        s.with_overrides({"birth_per_month": 3})
        check(False, "an unknown override raises")
    except canopy.InputError as e:
        check(len(e.diagnostics) >= 1 and "birth_per_month" in str(e), "InputError names the key")
        check("births_per_month" in str(e), "InputError suggests the nearest name")
    try:
        s.with_overrides({"births_per_month": -5})
        check(False, "an out-of-range override raises")
    except canopy.InputError as e:
        check(e.diagnostics[0]["error"], "out-of-range override is an error")
    # A bad argument is InputError too, with the allowed values and the nearest one: an unknown
    # policy mix once raised canopy.Error from with_policy_mix and a bare ValueError from run.
    bad_arguments = [
        ("with_policy_mix", lambda: s.with_policy_mix("high_tech_pus"), "policy_mix",
         "high_tech_push"),
        ("run(policy_mix=)", lambda: canopy.run(s, replicates=2, policy_mix="high_tech_pus"),
         "policy_mix", "high_tech_push"),
        ("run(replicates=0)", lambda: canopy.run(s, replicates=0), "replicates", None),
        ("model_info", lambda: canopy.model_info("refrence"), "name", "reference"),
        ("calibrate(method=)", lambda: canopy.calibrate("x.toml", method="abc"), "method", None),
    ]
    bad_arguments += [
        ("with_overrides(str)", lambda: s.with_overrides({"births_per_month": "abc"}),
         "overrides['births_per_month']", None),
        ("run(threads=-5)", lambda: canopy.run(s, replicates=2, threads=-5), "threads", None),
        ("run(replicates=2e6)", lambda: canopy.run(s, replicates=2_000_000), "replicates", None),
    ]
    # Every integer argument is checked by its range, not refused by pybind's TypeError
    # "incompatible function arguments" naming neither the argument nor what is allowed (an
    # outside probe: seed=-1). calibrate's are checked before the file is read.
    quick_cal = os.path.join(source, "tests", "data", "calibration", "reference-quick.toml")
    bad_arguments += [
        ("run(seed=-1)", lambda: canopy.run(s, replicates=2, seed=-1), "seed", None),
        ("run(seed=2**64)", lambda: canopy.run(s, replicates=2, seed=2**64), "seed", None),
        ("run(seed=1.5)", lambda: canopy.run(s, replicates=2, seed=1.5), "seed", None),
        ("run(seed=True)", lambda: canopy.run(s, replicates=2, seed=True), "seed", None),
        ("run(replicates=2**40)", lambda: canopy.run(s, replicates=2**40), "replicates", None),
        ("run(replicates=-1)", lambda: canopy.run(s, replicates=-1), "replicates", None),
        ("run(threads=2**40)", lambda: canopy.run(s, replicates=2, threads=2**40), "threads",
         None),
        ("calibrate(seed=-1)", lambda: canopy.calibrate(quick_cal, seed=-1), "seed", None),
        ("calibrate(seed=2**64)", lambda: canopy.calibrate(quick_cal, seed=2**64), "seed", None),
        ("calibrate(fit_until=0)", lambda: canopy.calibrate(quick_cal, fit_until=0),
         "fit_until", None),
        ("calibrate(fit_until=2**40)", lambda: canopy.calibrate(quick_cal, fit_until=2**40),
         "fit_until", None),
        ("calibrate(threads=-1)", lambda: canopy.calibrate(quick_cal, threads=-1), "threads",
         None),
    ]
    try:
        canopy.run(s, replicates=2, seed=-1)
    except canopy.InputError as e:
        check("0 to 18446744073709551615" in e.diagnostics[0]["allowed"] and "-1" in str(e),
              f"a bad seed gives --seed's range and the value: {e}")
    # numpy's numbers are numbers in overrides (np.int64(3) was "expected a number, found 3");
    # numpy's booleans are not (replicates=np.bool_(True) ran one replicate); an int too large
    # for a double is InputError naming the key (it was pybind's "Unable to cast").
    plain = canopy.run(s.with_overrides({"births_per_month": 20}), replicates=4, seed=1).summary
    for value in (np.int64(20), np.int32(20), np.float32(20.0), np.float64(20.0)):
        check(canopy.run(s.with_overrides({"births_per_month": value}), replicates=4,
                         seed=1).summary["targets"] == plain["targets"],
              f"an override of {type(value).__name__} is the number")
    for bad, key in ((lambda: s.with_overrides({"births_per_month": 10**400}),
                      "overrides['births_per_month']"),
                     (lambda: s.with_overrides({"births_per_month": np.bool_(True)}),
                      "overrides['births_per_month']"),
                     # An array is not one number, even of one element (np.array([20.0]) ran
                     # as 20; two elements were "too large for a double").
                     (lambda: s.with_overrides({"births_per_month": np.array([20.0, 30.0])}),
                      "overrides['births_per_month']"),
                     (lambda: s.with_overrides({"births_per_month": np.array([20.0])}),
                      "overrides['births_per_month']"),
                     (lambda: canopy.run(s, replicates=np.bool_(True)), "replicates"),
                     # numpy's bare TypeError "only integer scalar arrays can be converted to a
                     # scalar index" named neither (an outside probe).
                     (lambda: canopy.run(s, replicates=np.array([3])), "replicates"),
                     (lambda: canopy.run(s, replicates=np.array(3.0)), "replicates"),
                     (lambda: canopy.run(s, replicates=2, seed=np.array([1, 2])), "seed"),
                     # It said "got inf".
                     (lambda: canopy.run(s, replicates=2, precision=10**400), "precision")):
        try:
            bad()
            check(False, f"{key} refuses the value")
        except canopy.InputError as e:
            check(e.diagnostics[0]["key"] == key and e.diagnostics[0]["allowed"] != "" and
                  "inf" not in e.diagnostics[0]["message"], f"{key} is named: {e}")
        except Exception as e:  # noqa: BLE001  (numpy's bare TypeError, before)
            check(False, f"{key} raises InputError, not {type(e).__name__}: {e}")
    try:
        canopy.run(s, replicates=2, precision=10**400)
    except canopy.InputError as e:
        check("too large" in str(e), f"precision=10**400 is said to be too large: {e}")
    check(canopy.run(s, replicates=np.array(3), seed=1).replicates == 3,
          "a 0-d integer array is a whole number")
    # Ctrl-C stops a run between replicates (it ran to the end, 65 s, then raised). Python's own
    # handler is set here: a shell that starts the tests in the background ignores SIGINT.
    import signal, threading, time
    wuhan_run = canopy.load_scenario(os.path.join(source, "scenarios", "wuhan-2023.toml"))
    # A prior's fields are named as the file writes them (an outside reader found a beta's alpha
    # and beta shown as "a" and "b"): lognormal median and sigma, triangular low, mode, high.
    inflow = wuhan_run.parameters["graduate_inflow"]
    check(inflow["distribution"] == "lognormal" and inflow["median"] == 345_200 and
          inflow["sigma"] == 0.1 and "a" not in inflow, f"lognormal's fields: {inflow}")
    talent = wuhan_run.parameters["initial_talent"]
    check(talent["distribution"] == "triangular" and
          [talent["low"], talent["mode"], talent["high"]] == [550, 800, 1100] and
          "b" not in talent, f"triangular's fields: {talent}")
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    started = time.monotonic()
    timer.start()
    try:
        canopy.run(s, replicates=200_000, threads=1)
        check(False, "Ctrl-C stops canopy.run")
    except KeyboardInterrupt:
        check(time.monotonic() - started < 20, "Ctrl-C stops canopy.run within seconds")
    timer.join()
    # Ctrl-C during the check of which targets the inputs decide, after the replicates: one
    # replicate of a large city is re-run in at least 20 probe runs, which took the whole time
    # before they looked for Ctrl-C. The signal comes a third of the way into a whole run's time,
    # well after its one replicate.
    big = s.with_overrides({"firms": 600_000})
    started = time.monotonic()
    canopy.run(big, replicates=1, threads=1, seed=3)
    whole = time.monotonic() - started
    timer = threading.Timer(whole / 3, lambda: os.kill(os.getpid(), signal.SIGINT))
    started = time.monotonic()
    timer.start()
    try:
        canopy.run(big, replicates=1, threads=1, seed=3)
        check(False, "Ctrl-C stops canopy.run's check of the targets")
    except KeyboardInterrupt:
        stopped = time.monotonic() - started
        check(stopped < whole * 2 / 3,
              f"Ctrl-C stops canopy.run's check of the targets: {stopped:.2f} s of {whole:.2f}")
    timer.join()
    # Ctrl-C stops a calibration between its runs, writes no `out` and releases its lock (it ran
    # all 45 s of the reference calibration, wrote `out`, then raised: an outside probe). The
    # signal comes a third of the way into an uninterrupted calibration's time.
    with tempfile.TemporaryDirectory(prefix="canopy-py-int-") as d:
        for method in ("abc-smc", "smm"):
            started = time.monotonic()
            whole_result = canopy.calibrate(quick_cal, method=method, threads=2)
            whole = time.monotonic() - started
            stopped_out = os.path.join(d, f"{method}.h5")
            timer = threading.Timer(whole / 3, lambda: os.kill(os.getpid(), signal.SIGINT))
            started = time.monotonic()
            timer.start()
            try:
                canopy.calibrate(quick_cal, method=method, threads=2, out=stopped_out)
                check(False, f"Ctrl-C stops canopy.calibrate ({method})")
            except KeyboardInterrupt:
                stopped = time.monotonic() - started
                check(stopped < whole * 2 / 3,
                      f"Ctrl-C stops canopy.calibrate ({method}) promptly: {stopped:.2f} s of "
                      f"{whole:.2f}")
            timer.join()
            check(os.listdir(d) == [],
                  f"an interrupted calibrate ({method}) writes no out and leaves no lock: "
                  f"{os.listdir(d)}")
        again = canopy.calibrate(quick_cal, method="smm", threads=2)
        check(np.array_equal(again["particles"], whole_result["particles"]),
              "a calibration after an interrupted one gives its numbers")
    signal.signal(signal.SIGINT, previous)
    check(canopy.run(s, replicates=8, seed=5, threads=2).summary["targets"] ==
          run.summary["targets"], "a run after an interrupted one gives its numbers")
    # A run past ten minutes is said before it starts (as a warning; made an error here, so
    # that it raises instead of running for hours).
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            canopy.run(wuhan_run, replicates=100_000, threads=1)
            check(False, "a run of hours is said before it starts")
        except UserWarning as e:
            check(str(e).startswith("canopy.run: this run needs about"),
                  f"a run of hours is said before it starts: {e}")
    # A city too large for memory even at one replicate: "fewer replicates" was the advice.
    try:
        canopy.run(s, replicates=1, threads=1, overrides={"firms": 4_000_000_000})
        check(False, "a run past memory at one replicate is refused")
    except canopy.InputError as e:
        diag = e.diagnostics[0]
        check(diag["key"] == "max_memory" and "even one replicate" in diag["message"] and
              "max_memory='SIZE'" in diag["message"],
              f"a run past memory at one replicate blames the city, not the replicates: {e}")
    try:
        canopy.run(s, replicates=4, max_memory="lots")
        check(False, "run refuses max_memory='lots'")
    except canopy.InputError as e:
        check(e.diagnostics[0]["key"] == "max_memory", f"run checks max_memory: {e}")
    # The largest seed runs, and a numpy integer is the same seed as the int (same bits).
    top = canopy.run(s, replicates=2, seed=2**64 - 1)
    check(top.seed == 2**64 - 1, "seed 2**64-1 is taken")
    check(canopy.run(s, replicates=2, seed=np.uint64(7)).p_attain ==
          canopy.run(s, replicates=2, seed=7).p_attain, "np.uint64(7) is seed 7")
    for what, call, key, nearest in bad_arguments:
        try:
            call()
            check(False, what + " raises")
        except canopy.InputError as e:
            check(e.diagnostics[0]["key"] == key and e.diagnostics[0]["allowed"] != "",
                  what + " names the argument and what is allowed")
            if nearest is not None:
                check(nearest in e.diagnostics[0]["hint"], what + " suggests " + nearest)
    with tempfile.TemporaryDirectory(prefix="canopy-py-") as d:
        bad = os.path.join(d, "bad.toml")
        with open(bad, "w") as f:
            f.write('[scenario]\nname = "bad"\nmodel = "reference"\nstart = "2023-01"\n'
                    'end = "2023-12"\nreplicatez = 3\n')
        try:
            canopy.load_scenario(bad)
            check(False, "a bad scenario raises")
        except canopy.InputError as e:
            check(any(x["file"].endswith("bad.toml") and x["line"] > 0 for x in e.diagnostics),
                  "the diagnostics name the file and line")
        check(issubclass(canopy.InputError, ValueError), "InputError is a ValueError")

        # A policy mix of the Wuhan scenario.
        wuhan = canopy.load_scenario(os.path.join(source, "scenarios", "wuhan-2023.toml"))
        if wuhan.policy_mixes:
            mix = wuhan.policy_mixes[0]
            r = canopy.run(wuhan, replicates=2, seed=3, policy_mix=mix)
            check(r.summary.get("policy_mix") == mix, "the summary names the policy mix")

        # A mix applied with with_policy_mix is named too, as `canopy run --policy-mix` names
        # it (it once said "base" over the mix's numbers); stacked mixes are joined by '+'.
        push = s.with_policy_mix("high_tech_push")
        r = canopy.run(push, replicates=4, seed=5, threads=1)
        check(r.summary.get("policy_mix") == "high_tech_push",
              f"with_policy_mix names the mix in the summary, got {r.summary.get('policy_mix')}")
        cli = subprocess.run([canopy_exe, "run", reference, "--replicates", "4", "--seed", "5",
                              "--threads", "1", "--policy-mix", "high_tech_push", "--json", "-"],
                             capture_output=True, text=True, check=True)
        check(json.loads(cli.stdout)["policy_mix"] == r.summary.get("policy_mix"),
              "with_policy_mix's label is the CLI's")
        check(r.p_attain == canopy.run(s, replicates=4, seed=5, threads=1,
                                       policy_mix="high_tech_push").p_attain,
              "with_policy_mix runs what policy_mix= runs")
        both = push.with_policy_mix("incubator_ramp")
        check(canopy.run(both, replicates=2, seed=5).summary.get("policy_mix") ==
              "high_tech_push+incubator_ramp", "stacked mixes are named in order, joined by '+'")
        # A mix applied again acted once while the label named it twice ("high_tech_push+
        # high_tech_push", an outside probe): refused, naming the mix.
        for what, again in [
                ("policy_mix= after with_policy_mix",
                 lambda: canopy.run(push, replicates=2, seed=1, policy_mix="high_tech_push")),
                ("with_policy_mix twice", lambda: push.with_policy_mix("high_tech_push")),
                ("a stacked mix again", lambda: both.with_policy_mix("incubator_ramp"))]:
            try:
                again()
                check(False, f"{what}: a mix applied again is refused")
            except canopy.InputError as e:
                diag = e.diagnostics[0]
                check(diag["key"] == "policy_mix" and "is already applied" in diag["message"] and
                      "base" in diag["allowed"], f"{what}: the repeated mix is named: {e}")
        check(canopy.run(push, replicates=2, seed=5, policy_mix="incubator_ramp").summary.get(
              "policy_mix") == "high_tech_push+incubator_ramp",
              "a policy_mix= after with_policy_mix is named after it")
        check(canopy.run(s, replicates=2, seed=5).summary.get("policy_mix") == "base",
              "no mix: base")
        over = canopy.run(s.with_overrides({"lever_high_tech": 2}), replicates=2, seed=5)
        check(over.summary.get("overrides") == ["lever_high_tech=2"],
              f"the summary lists the overrides as --set writes them, got "
              f"{over.summary.get('overrides')}")
        # The CLI's text for each value (its shortest round trip; 20 used to read "2e+01").
        texts = canopy.run(s.with_overrides({"births_per_month": 20, "lever_high_tech": 0.125}),
                           replicates=2, seed=5).summary.get("overrides")
        check(texts == ["births_per_month=20", "lever_high_tech=0.125"],
              f"overrides are written as --set echoes them, got {texts}")

        # The GIL is released while a run computes: another Python thread makes progress.
        ticks = []
        stop = threading.Event()

        def ticker():
            while not stop.is_set():
                ticks.append(time.monotonic())
                time.sleep(0.001)

        thread = threading.Thread(target=ticker)
        thread.start()
        start = time.monotonic()
        canopy.run(s, replicates=40, seed=1, threads=1)
        end = time.monotonic()
        stop.set()
        thread.join()
        during = [t for t in ticks if start < t < end]
        check(end - start < 0.05 or len(during) >= 2, "another thread runs during canopy.run")

        # Calibrate (the small reference calibration of the tests), read it back, run with it.
        quick = os.path.join(source, "tests", "data", "calibration", "reference-quick.toml")
        # fit_until holding every figure back names the argument (it named "--fit-until" as
        # the file, with no key).
        try:
            canopy.calibrate(quick, fit_until=1990)
            check(False, "fit_until=1990 holds every figure back and is refused")
        except canopy.InputError as e:
            check(e.diagnostics[0]["key"] == "fit_until" and e.diagnostics[0]["file"] == "",
                  f"fit_until=1990 names the argument: {e.diagnostics[0]}")
        # "base" is the scenario without a mix, as `canopy run --policy-mix base` takes it.
        check(canopy.run(s, replicates=4, seed=2, policy_mix="base").summary ==
              canopy.run(s, replicates=4, seed=2).summary, 'policy_mix="base" runs the base')
        post_path = os.path.join(d, "post.h5")
        result = canopy.calibrate(quick, fit_until=2022, threads=2, out=post_path)
        check(result["method"] == "abc-smc" and result["model"] == "reference", "calibrate result")
        check(result["fit_until"] == 2022, "fit_until is recorded")
        held = [f for f in result["figures"] if not f["fitted"]]
        check(len(held) == 4 and all(f["year"] == 2023 for f in held),
              "the 2023 figures are held back")
        check(all(f["q05"] <= f["median"] <= f["q95"] for f in held), "held-back intervals")
        check(result["particles"].shape[1] == 2 and abs(result["weights"].sum() - 1) < 1e-12,
              "particles [particle, parameter] and weights summing to 1")
        back = canopy.read_calibration(post_path)
        check(np.array_equal(back["particles"], result["particles"]), "the posterior file reads back")
        check(back["parameters"] == ["births_per_month", "lever_high_tech"], "parameter names")
        history = canopy.load_scenario(os.path.join(source, "scenarios", "reference-history.toml"))
        carried = canopy.run(history.with_posterior(post_path), replicates=16, seed=2)
        drawn = carried.parameters["births_per_month"]
        check(len(set(drawn.tolist())) > 1, "replicates draw births_per_month from the posterior")
        check(np.all(np.isin(drawn, back["particles"][:, 0])), "every draw is a particle")
        # Scenario.parameters says where the draws come from: the posterior, not the prior's
        # uniform 12 .. 18 it showed while replicates drew 11.3 .. 18.9 (an outside probe).
        shown = history.with_posterior(post_path).parameters["births_per_month"]
        column = back["particles"][:, back["parameters"].index("births_per_month")]
        weights = back["weights"]
        check(shown["distribution"] == "posterior" and shown["posterior"] == post_path and
              shown["particles"] == len(column) and "a" not in shown and "b" not in shown,
              f"a parameter drawn from a posterior is shown as such: {shown}")
        check(abs(shown["mean"] - np.average(column, weights=weights)) < 1e-9 and
              shown["min"] == column[weights > 0].min() and
              shown["max"] == column[weights > 0].max() and
              np.all((drawn >= shown["min"]) & (drawn <= shown["max"])),
              f"its mean and range are the posterior column's: {shown}")
        check(history.parameters["births_per_month"]["distribution"] == "uniform",
              "without a posterior the prior is shown")
        fixed = history.with_posterior(post_path).with_overrides(
            {"births_per_month": 14}).parameters["births_per_month"]
        check(fixed["distribution"] == "fixed" and fixed["value"] == 14,
              f"a parameter an override sets is shown fixed, not drawn from the posterior: {fixed}")
        # A budget that ends the first generation is a setting to change, as on the command line
        # (exit 2 there): InputError at the key, no posterior written.
        with open(quick) as f:
            text = f.read()
        tight = os.path.join(d, "tight.toml")
        data_dir = os.path.dirname(quick)
        with open(tight, "w") as f:
            f.write(text.replace('scenario = "', 'scenario = "' + data_dir + "/")
                        .replace('data = "', 'data = "' + data_dir + "/")
                        .replace("max_simulations = 2_500", "max_simulations = 80"))
        try:
            canopy.calibrate(tight, out=os.path.join(d, "tight.h5"))
            check(False, "a budget that ends the first generation raises")
        except canopy.InputError as e:
            check(e.diagnostics[0]["key"] == "abc_smc.max_simulations" and
                  e.diagnostics[0]["file"].endswith("tight.toml") and
                  "ran out before the first generation" in e.diagnostics[0]["message"],
                  "the budget's error names its key and file")
        check(not os.path.exists(os.path.join(d, "tight.h5")), "no posterior for a stopped run")
        check(not os.path.exists(os.path.join(d, "tight.h5.lock")),
              "the lock on `out` is released when calibrate raises")
        # A prior reaching past memory is refused before any run, with the check and message of
        # `canopy calibrate` (exit 2 there): it ended in MemoryError once a candidate was drawn
        # at its far end, after the runs before it.
        huge = os.path.join(d, "huge.toml")
        with open(huge, "w") as f:
            f.write(text.replace('scenario = "', 'scenario = "' + data_dir + "/")
                        .replace('data = "', 'data = "' + data_dir + "/")
                        .replace("high = 40", "high = 1e9"))
        huge_out = os.path.join(d, "huge.h5")
        cli_huge = subprocess.run([canopy_exe, "calibrate", huge, "--out", huge_out, "--threads",
                                   "2", "-q"], capture_output=True, text=True)
        check(cli_huge.returncode == 2 and "canopy calibrate: error: a candidate with" in
              cli_huge.stderr, f"canopy calibrate refuses the prior: {cli_huge.stderr}")
        # The estimate is the same; what follows names the memory available, which moves.
        cli_says = cli_huge.stderr.split("canopy calibrate: error: ")[-1].split(", more than ")[0]

        def refused(call, what, says, max_memory_says):
            started = time.monotonic()
            try:
                call()
                check(False, what + " raises")
            except canopy.InputError as e:
                diag = e.diagnostics[0]
                check(diag["message"].split(", more than ")[0] == says,
                      f"{what}: the CLI's message {says!r}, got {diag['message']!r}")
                check(diag["file"] == huge or diag["file"] == quick,
                      f"{what} names the calibration file: {diag['file']}")
                check(diag["key"] == "parameters" and diag["allowed"] != "" and
                      max_memory_says in diag["message"] and "--" not in diag["message"],
                      f"{what} names the key, what is allowed and max_memory=: {e}")
            except Exception as e:  # noqa: BLE001  (MemoryError, before)
                check(False, f"{what} raises InputError, not {type(e).__name__}: {e}")
            check(time.monotonic() - started < 5, what + " is refused before any run")

        refused(lambda: canopy.calibrate(huge, threads=2, out=huge_out), "a prior past memory",
                cli_says, "max_memory='SIZE' (or 'none')")
        check(not os.path.exists(huge_out), "no posterior for a prior past memory")
        refused(lambda: canopy.calibrate(huge, threads=2, method="smm"), "a prior past memory (smm)",
                subprocess.run([canopy_exe, "calibrate", huge, "--out", huge_out, "--threads", "2",
                                "--method", "smm", "-q"], capture_output=True, text=True)
                .stderr.split("canopy calibrate: error: ")[-1].split(", more than ")[0],
                "max_memory='SIZE'")
        # max_memory is --max-memory: a size, or "none"; a small one refuses a normal calibration.
        cli_small = subprocess.run([canopy_exe, "calibrate", quick, "--out", huge_out, "--threads",
                                    "2", "--max-memory", "1k", "-q"], capture_output=True,
                                   text=True)
        check(cli_small.returncode == 2 and "more than --max-memory 1k" in cli_small.stderr,
              f"--max-memory 1k refuses the quick calibration: {cli_small.stderr}")
        refused(lambda: canopy.calibrate(quick, threads=2, max_memory="1k", out=huge_out),
                "max_memory='1k'",
                cli_small.stderr.split("canopy calibrate: error: ")[-1].split(", more than ")[0],
                "more than max_memory='1k'")
        check(not os.path.exists(huge_out), "no posterior when max_memory refuses")
        for bad_size in ["lots", "", "16 Q", 5, True]:
            try:
                canopy.calibrate(quick, max_memory=bad_size)
                check(False, f"max_memory={bad_size!r} raises")
            except canopy.InputError as e:
                check(e.diagnostics[0]["key"] == "max_memory" and
                      "16G" in e.diagnostics[0]["allowed"],
                      f"max_memory={bad_size!r} names the argument and what is allowed: {e}")
        # The shipped Wuhan calibration is not refused (its priors' quantiles, not the model's
        # whole range, were once checked and refused): on a budget of one pilot it runs, then
        # stops at the budget, not at memory.
        wuhan_cal = os.path.join(source, "scenarios", "wuhan-calibration.toml")
        with open(wuhan_cal) as f:
            wuhan_text = f.read()
        scen_dir = os.path.join(source, "scenarios")
        small_wuhan = os.path.join(d, "wuhan-small.toml")
        small_text = (wuhan_text.replace('scenario = "', 'scenario = "' + scen_dir + "/")
                                .replace('data = "', 'data = "' + scen_dir + "/"))
        # The budget lines, whatever the shipped file's numbers are (a literal once went stale).
        small_text, n_particles = re.subn(r"(?m)^particles = .*$", "particles = 10", small_text)
        small_text, n_budget = re.subn(r"(?m)^max_simulations = .*$", "max_simulations = 10",
                                       small_text)
        check(n_particles == 1 and n_budget == 1,
              "the shipped Wuhan calibration has one particles and one max_simulations line")
        with open(small_wuhan, "w") as f:
            f.write(small_text)
        try:
            canopy.calibrate(small_wuhan, threads=2)
            check(False, "the Wuhan calibration on a budget of 10 runs stops at its budget")
        except canopy.InputError as e:
            check(e.diagnostics[0]["key"] == "abc_smc.max_simulations",
                  f"the Wuhan calibration is not refused for memory: {e}")
        try:
            canopy.calibrate(os.path.join(d, "missing.toml"))
            check(False, "a missing calibration file raises")
        except canopy.InputError as e:
            check("missing.toml" in str(e), "the error names the calibration file")

        # `out` is checked as `canopy calibrate --out` checks it, before anything runs: HDF5, a
        # path that can be written, and none of the files the calibration reads (an outside
        # probe: the calibration file, its data and its scenario were replaced by the result).
        mine = os.path.join(d, "mine.toml")
        data = os.path.join(d, "data.csv")
        hist = os.path.join(d, "hist.toml")
        with open(os.path.join(data_dir, text.split('data = "')[1].split('"')[0])) as f:
            data_text = f.read()
        with open(data, "w") as f:
            f.write(data_text)
        scenario_of_quick = os.path.join(data_dir, text.split('scenario = "')[1].split('"')[0])
        with open(hist, "w") as f:
            f.write('extends = "%s"\n' % os.path.realpath(scenario_of_quick))
        mine_text = (text.replace(text.split('scenario = "')[1].split('"')[0], "hist.toml", 1)
                         .replace(text.split('data = "')[1].split('"')[0], "data.csv", 1))
        with open(mine, "w") as f:
            f.write(mine_text)
        inputs = {mine: mine_text, data: data_text, hist: None}
        with open(hist) as f:
            inputs[hist] = f.read()
        for out, says in [(mine, "is the calibration file"),
                          (data, "is the calibration's data"),
                          (hist, "is a file of the calibration's scenario"),
                          (os.path.join(d, "x.txt"), "must end in .h5"),
                          ("/nonexistent/dir/x.h5", "does not exist"),
                          ("", "the path is empty"),
                          (d, "must end in .h5"),
                          (os.path.join(d, "dir.h5"), "is a directory")]:
            if out.endswith("dir.h5"):
                os.makedirs(out, exist_ok=True)
            for p, t in inputs.items():  # each case from intact inputs
                with open(p, "w") as f:
                    f.write(t)
            started = time.monotonic()
            try:
                canopy.calibrate(mine, out=out)
                check(False, f"calibrate(out={out!r}) raises")
            except canopy.InputError as e:
                check(says in str(e) and e.diagnostics[0]["key"] == "out",
                      f"calibrate(out={out!r}) names the problem: {e}")
            except canopy.Error as e:
                check(False, f"calibrate(out={out!r}) is bad input, not a runtime error: {e}")
            check(time.monotonic() - started < 5, f"calibrate(out={out!r}) refused before running")
            for p, t in inputs.items():
                with open(p, "rb") as f:
                    check(f.read() == t.encode(), f"calibrate(out={out!r}) leaves {p} as it was")
        check(not os.path.exists(os.path.join(d, "x.txt")), "no x.txt written")

        # One writer per `out`, as `canopy calibrate --out` takes it (OUT.h5.lock): while
        # another process holds the lock, calibrate(out=) is refused at once with the command
        # line's words, and writes nothing.
        shared = os.path.join(d, "shared.h5")
        holder = subprocess.Popen(
            ["/usr/bin/python3", "-c",
             "import fcntl, os, sys\n"
             "f = open(sys.argv[1], 'w')\n"
             "fcntl.flock(f, fcntl.LOCK_EX)\n"
             "f.write('pid %d on host elsewhere\\n' % os.getpid()); f.flush()\n"
             "print('held', flush=True)\n"
             "sys.stdin.read()\n", shared + ".lock"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        check(holder.stdout.readline().strip() == "held", "another process holds the lock")
        started = time.monotonic()
        try:
            canopy.calibrate(quick, threads=2, out=shared)
            check(False, "calibrate(out=) is refused while another process writes it")
        except canopy.InputError as e:
            says = (f"'{shared}' is being written by another process (pid {holder.pid} on host "
                    f"elsewhere), which holds '{shared}.lock'; wait for it to finish, or stop it "
                    "first")
            check(e.diagnostics[0]["key"] == "out" and e.diagnostics[0]["message"] == says,
                  f"the refusal names the holder as the command line does: {e.diagnostics}")
        check(time.monotonic() - started < 5, "calibrate(out=) refused before running")
        check(not os.path.exists(shared), "no posterior written under another's lock")
        holder.stdin.close()
        holder.wait()
        # While Python holds it (the GIL released meanwhile), the command line is refused, with
        # the Python process named; afterwards the lock is gone. A killed writer's temporary of
        # `out` is removed, as the command line removes it.
        dead = subprocess.Popen(["/usr/bin/true"])
        dead.wait()
        stale = f"{shared}.tmp.{dead.pid}.0"
        with open(stale, "w") as f:
            f.write("left by a writer killed while writing")
        ran = {}
        python_side = threading.Thread(
            target=lambda: ran.setdefault("result", canopy.calibrate(quick, threads=1,
                                                                     out=shared)))
        python_side.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not (
                os.path.exists(shared + ".lock") and os.path.getsize(shared + ".lock") > 0):
            time.sleep(0.005)
        # A second call in this process (another Python thread) was told "another process
        # (pid <this one>)": named as what it is, and refused at once.
        started = time.monotonic()
        try:
            canopy.calibrate(quick, threads=1, out=shared)
            check(False, "a second calibrate of the same out in this process is refused")
        except canopy.InputError as e:
            check(e.diagnostics[0]["key"] == "out" and
                  "is being written by another calibrate call in this process" in
                  e.diagnostics[0]["message"] and "another process" not in str(e),
                  f"a second calibrate of the same out names the call in this process: {e}")
        check(time.monotonic() - started < 5, "the second calibrate is refused before running")
        cli_side = subprocess.run([canopy_exe, "calibrate", quick, "--quiet", "--out", shared],
                                  capture_output=True, text=True, timeout=120)
        still = python_side.is_alive()
        python_side.join()
        check(still, "the Python calibration was still running when the command line tried")
        check(cli_side.returncode == 2 and
              f"canopy calibrate: error: --out: '{shared}' is being written by another process "
              f"(pid {os.getpid()} on host " in cli_side.stderr,
              f"canopy calibrate is refused while Python writes the same --out: "
              f"{cli_side.returncode} {cli_side.stderr}")
        check("result" in ran and os.path.exists(shared), "the Python calibration finished")
        check(not os.path.exists(shared + ".lock"), "the lock is released when calibrate returns")
        check(not os.path.exists(stale), "a killed writer's temporary of `out` is removed")

        # A column named twice is refused, as the scenario key posterior_parameters refuses it.
        try:
            history.with_posterior(post_path, columns=["births_per_month", "births_per_month"])
            check(False, "with_posterior refuses a column named twice")
        except canopy.InputError as e:
            check("'births_per_month' is listed twice" in str(e) and
                  e.diagnostics[0]["key"] == "columns", f"the repeated column is named: {e}")

        # Reading a file that is missing, not HDF5 or of another kind is bad input naming the
        # file and what is wrong (an outside probe: read_calibration raised canopy.Error with no
        # diagnostics, read_sweep h5py's FileNotFoundError).
        toml_file = os.path.join(source, "scenarios", "reference.toml")
        readers = [("read_calibration", canopy.read_calibration)]
        try:
            import h5py  # noqa: F401
            readers.append(("read_sweep", canopy.read_sweep))
        except ImportError:
            pass
        for name, reader in readers:
            for path, says in [(os.path.join(d, "nope.h5"), "no such file"),
                               (toml_file, "not an HDF5 file"),
                               (d, "not a regular file")]:
                try:
                    reader(path)
                    check(False, f"{name}({path!r}) raises")
                except canopy.InputError as e:
                    check(e.diagnostics[0]["file"] == path and says in str(e) and
                          e.diagnostics[0]["allowed"] != "",
                          f"{name}({path!r}) names the file and says {says!r}: {e}")
                except Exception as e:  # noqa: BLE001  (what the probe found)
                    check(False, f"{name}({path!r}) raises InputError, not {type(e).__name__}")
        sweep_out = os.path.join(d, "tiny-sweep.h5")
        made = subprocess.run([canopy_exe, "sweep", os.path.join(source, "tests", "data",
                               "sweeps", "tiny.toml"), "--out", sweep_out, "-q"],
                              capture_output=True, text=True)
        if made.returncode == 0:
            try:
                canopy.read_calibration(sweep_out)
                check(False, "read_calibration refuses a sweep result")
            except canopy.InputError as e:
                check("not a calibration result" in str(e), f"read_calibration names why: {e}")

        # read_sweep reads sweep results only: a posterior is refused, naming its kind.
        try:
            import h5py  # noqa: F401
            have_h5py = True
        except ImportError:
            have_h5py = False
        if have_h5py:
            try:
                canopy.read_sweep(post_path)
                check(False, "read_sweep refuses a calibration result")
            except canopy.InputError as e:
                check("is not a sweep result" in str(e) and "'calibration'" in str(e),
                      f"read_sweep names the file's kind: {e}")
        # ... and a sweep result damaged on disk is refused as canopy merge refuses it: one bit
        # of a target's p_attain flipped in the file (HDF5 keeps no checksum of a dataset's
        # data; the file's own checksum attribute covers it).
        if have_h5py and made.returncode == 0:
            import h5py
            intact = canopy.read_sweep(sweep_out)
            check("checksum" in intact["attrs"], "a new sweep result carries its checksum")
            check(canopy.read_sweep(os.fsencode(sweep_out))["attrs"]["kind"] == "sweep",
                  "read_sweep takes a bytes path")
            check(intact["attrs"].get("build_id") == canopy.__build_id__,
                  "a new sweep result records the build that computed it")
            # Without its checksum (deleted after an edit, or written before checksums) it was
            # returned as it was: refused as canopy merge refuses it (an outside tester's
            # impossible p_attain came back under no checksum at all).
            unsigned = os.path.join(d, "unsigned.h5")
            shutil.copyfile(sweep_out, unsigned)
            with h5py.File(unsigned, "r+") as f:
                del f.attrs["checksum"]
            try:
                canopy.read_sweep(unsigned)
                check(False, "read_sweep refuses a sweep result without a checksum")
            except canopy.InputError as e:
                check("it has no checksum" in str(e) and "edited after it was written" in str(e)
                      and "run the sweep or merge that wrote it again" in str(e) and
                      e.diagnostics[0]["file"] == unsigned,
                      f"read_sweep says the file has no checksum, naming it: {e}")
            # A root attribute damaged (one bit of its name in the attribute heap): h5py's
            # KeyError "incorrect metadata checksum" was swallowed, and the file said to have
            # "no root attribute kind" (an outside probe).
            with open(sweep_out, "rb") as f:
                damaged_bytes = bytearray(f.read())
            damaged_bytes[damaged_bytes.rfind(b"kind") + 1] ^= 1
            damaged = os.path.join(d, "damaged-attr.h5")
            with open(damaged, "wb") as f:
                f.write(damaged_bytes)
            for given in (damaged, os.fsencode(damaged)):
                try:
                    canopy.read_sweep(given)
                    check(False, f"read_sweep refuses a sweep result whose attribute is damaged")
                except canopy.InputError as e:
                    check("the file is damaged" in str(e) and "checksum" in str(e) and
                          "no root attribute" not in str(e) and "b'" not in str(e) and
                          e.diagnostics[0]["file"] == damaged,
                          f"read_sweep says the file is damaged, with HDF5's cause: {e}")
            with h5py.File(sweep_out, "r") as f:
                target = next(iter(f["targets"]))
                offset = f["targets"][target]["p_attain"].id.get_offset()
            with open(sweep_out, "r+b") as f:
                f.seek(offset)
                byte = f.read(1)[0]
                f.seek(offset)
                f.write(bytes([byte ^ 1]))
            try:
                canopy.read_sweep(sweep_out)
                check(False, "read_sweep refuses a damaged sweep result")
            except canopy.InputError as e:
                check("the file is damaged" in str(e) and e.diagnostics[0]["file"] == sweep_out,
                      f"read_sweep says the file is damaged, naming it: {e}")
            # Cut short: h5py's OSError named no file (an outside probe).
            cut = os.path.join(d, "cut.h5")
            with open(sweep_out, "rb") as f, open(cut, "wb") as g:
                g.write(f.read(30000))
            try:
                canopy.read_sweep(cut)
                check(False, "read_sweep refuses a sweep result cut short")
            except canopy.InputError as e:
                check("damaged or cut short" in str(e) and e.diagnostics[0]["file"] == cut,
                      f"read_sweep says the file is cut short, naming it: {e}")

        # with_posterior(FILE) keeps the scenario's posterior_parameters, as `canopy run
        # --posterior FILE` does (an outside probe: it took every column, and failed on Wuhan's
        # 2013 starting figure).
        wuhan_path = os.path.join(source, "scenarios", "wuhan-2023.toml")
        wuhan_post = os.path.join(source, "scenarios", "wuhan-posterior.h5")
        w = canopy.load_scenario(wuhan_path)
        try:
            again = w.with_posterior(wuhan_post)
            check(again.posterior_columns == w.posterior_columns,
                  "with_posterior keeps the scenario's posterior_parameters")
            py_run = canopy.run(again, replicates=3, seed=4, threads=1)
            cli_run = subprocess.run([canopy_exe, "run", wuhan_path, "--posterior", wuhan_post,
                                      "-n", "3", "--seed", "4", "--threads", "1", "--json", "-"],
                                     capture_output=True, text=True, check=True)
            numbers = ("p_attain", "mean", "median", "q05", "q95")
            check([[t[k] for k in numbers] for t in json.loads(cli_run.stdout)["targets"]] ==
                  [[t[k] for k in numbers] for t in py_run.summary["targets"]],
                  "with_posterior runs what canopy run --posterior runs")
        except canopy.InputError as e:
            check(False, f"with_posterior on wuhan-2023 uses its posterior_parameters: {e}")
        mine = os.path.join(d, "mine-2023.toml")
        with open(mine, "w") as f:
            f.write('extends = "%s"\nremove = ["scenario.posterior", '
                    '"scenario.posterior_parameters"]\n' % wuhan_path)
        bare = canopy.load_scenario(mine)
        check(bare.with_posterior(wuhan_post, columns=["capability_drift"]).posterior_columns ==
              ["capability_drift"], "columns= still chooses")
        try:
            bare.with_posterior(wuhan_post)
            check(False, "every column of a 2013 posterior does not fit a 2023 start")
        except canopy.InputError as e:
            hint = e.diagnostics[0]["hint"]
            check("columns=[" in hint and '"capability_drift"' in hint and
                  "initial_turnover_rate" not in hint, f"the hint lists the usable columns: {e}")
        # The command line's advice can be followed: posterior and posterior_parameters in the
        # file (posterior_parameters alone is refused without posterior).
        cli_bad = subprocess.run([canopy_exe, "run", mine, "--posterior", wuhan_post, "-n", "2"], capture_output=True, text=True)
        check(cli_bad.returncode == 2, "--posterior with a column that does not fit: exit 2")
        advice = cli_bad.stderr
        check("posterior = " in advice and "posterior_parameters = [" in advice and
              "initial_turnover_rate\"" not in advice.split("posterior_parameters = ")[-1],
              f"--posterior's advice names both keys and the usable columns: {advice}")
        if "posterior_parameters = " in advice:
            tail = advice.split("add under [scenario] of ")[-1].split(": ", 1)[-1].splitlines()[0]
            followed = os.path.join(d, "followed.toml")
            with open(followed, "w") as f:
                f.write('extends = "%s"\n[scenario]\n%s\n' %
                        (mine, tail.replace(" and posterior_parameters", "\nposterior_parameters")))
            ok = subprocess.run([canopy_exe, "run", followed, "-n", "2"],
                                capture_output=True, text=True)
            check(ok.returncode == 0, f"following the advice runs: {tail!r} {ok.stderr}")

        # The scenario's precision: Python ran every replicate where `canopy run` stopped once
        # every target was settled, and reported other numbers for the same file and seed.
        prec = os.path.join(d, "prec.toml")
        with open(prec, "w") as f:
            f.write('extends = "%s"\n[scenario]\nreplicates = 800\nprecision = 0.1\n' % reference)
        py_prec = canopy.run(canopy.load_scenario(prec), threads=1).summary
        cli_prec = json.loads(subprocess.run([canopy_exe, "run", prec, "--threads", "1", "--json",
                                              "-"], capture_output=True, text=True,
                                             check=True).stdout)
        check(py_prec["replicates"] == cli_prec["replicates"] < 800 and
              py_prec.get("precision") == cli_prec["precision"] and
              py_prec["targets"] == cli_prec["targets"],
              f"run honours the scenario's precision as canopy run does: "
              f"{py_prec['replicates']} against {cli_prec['replicates']}")
        every = canopy.run(canopy.load_scenario(prec), threads=1, precision=0, replicates=300)
        check(every.replicates == 300 and "precision" not in every.summary,
              "precision=0 runs every replicate")
        try:
            canopy.run(canopy.load_scenario(prec), precision=0.7)
            check(False, "precision=0.7 is refused")
        except canopy.InputError as e:
            check(e.diagnostics[0]["key"] == "precision", f"precision=0.7 names the argument: {e}")

        # A posterior attached after a mix or an override did not drop the column of the
        # parameter they set (an outside probe): the posterior's draws overwrote the mix's
        # value. with_posterior now attaches where `canopy run` does, before them.
        mixed = os.path.join(d, "mixed-2023.toml")
        with open(mixed, "w") as f:
            f.write('extends = "%s"\n[policy_mixes.still]\n'
                    '[policy_mixes.still.parameters.capability_drift]\nvalue = 0.0\n'
                    'assumption = "a test: no drift"\n' % wuhan_path)
        m = canopy.load_scenario(mixed)
        late = m.with_policy_mix("still").with_posterior(wuhan_post)
        early = m.with_policy_mix("still")
        check("capability_drift" not in late.posterior_columns and
              late.posterior_columns == early.posterior_columns,
              f"a mix's parameter is not drawn from a posterior attached after it: "
              f"{late.posterior_columns}")
        check(canopy.run(late, replicates=3, seed=5, threads=1).summary["targets"] ==
              canopy.run(early, replicates=3, seed=5, threads=1).summary["targets"],
              "with_policy_mix then with_posterior runs what the other order runs")
        late_set = w.with_overrides({"capability_drift": 0.05}).with_posterior(wuhan_post)
        check("capability_drift" not in late_set.posterior_columns,
              f"an override's parameter is not drawn from a posterior attached after it: "
              f"{late_set.posterior_columns}")
        py_set = canopy.run(late_set, replicates=3, seed=4, threads=1)
        cli_set = subprocess.run([canopy_exe, "run", wuhan_path, "--posterior", wuhan_post,
                                  "--set", "capability_drift=0.05", "-n", "3", "--seed", "4",
                                  "--threads", "1", "--json", "-"],
                                 capture_output=True, text=True, check=True)
        figures = ("p_attain", "mean", "median", "q05", "q95")
        check([[t[k] for k in figures] for t in json.loads(cli_set.stdout)["targets"]] ==
              [[t[k] for k in figures] for t in py_set.summary["targets"]],
              "with_overrides then with_posterior runs what canopy run --set --posterior runs")

    # A relative scenario path is looked up here, then in the source tree, as `canopy run` does.
    here = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="canopy-py-cwd-") as elsewhere:
        os.chdir(elsewhere)
        try:
            check(canopy.load_scenario("scenarios/reference.toml").name == "reference",
                  "load_scenario finds scenarios/reference.toml from another directory")
        except canopy.InputError as e:
            check(False, f"load_scenario looks in the source tree: {e}")
        # calibrate finds its file the same way: the refusal is of `out`, not a missing file.
        try:
            canopy.calibrate("scenarios/reference-calibration.toml", out="posterior.txt")
            check(False, "calibrate refuses an out that is not .h5")
        except canopy.InputError as e:
            check("no such file" not in str(e) and "posterior.txt" in str(e),
                  f"calibrate looks in the source tree: {e}")
        finally:
            os.chdir(here)

    # A Scenario and a Run cannot be pickled (pickle's TypeError said nothing more): the error says
    # what works, and what it says works. Copies are the same immutable objects.
    import copy
    import pickle
    for what, thing in (("Scenario", s), ("Run", run)):
        try:
            pickle.dumps(thing)
            check(False, f"pickling a {what} is refused")
        except TypeError as e:
            check("cannot be pickled" in str(e) and "docs/python.md" in str(e),
                  f"pickling a {what} says what to do instead: {e}")
    for what, thing in (("Scenario", s), ("Run", run)):
        check(copy.copy(thing) is thing and copy.deepcopy(thing) is thing,
              f"a copy of a {what} is the same immutable object (as docs/python.md says)")
    # Each access to a Run's arrays makes a new copy: a write to one was silently lost. They
    # are read-only, so numpy refuses it.
    for name in ("indicators", "series", "finals", "parameters"):
        arrays = getattr(run, name)
        first = next(iter(arrays))
        try:
            arrays[first][0] = -999.0
            check(False, f"run.{name}['{first}'] refuses a write (it would be lost)")
        except ValueError as e:
            check("read-only" in str(e), f"run.{name}'s arrays are read-only: {e}")
        check(arrays[first].copy().flags.writeable, f"a copy of run.{name}'s array is writable")
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        far = pool.submit(p_attain_in_worker, reference, {"births_per_month": 20}, 1).result()
    check(far == canopy.run(s.with_overrides({"births_per_month": 20}), replicates=8, seed=1,
                            threads=1).p_attain,
          "a run made in another process from the path and overrides gives this one's numbers")

    print(f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
