#!/usr/bin/python3
"""The calibrated Wuhan scenario, end to end, in seconds (issue 10, item 4).

    test_wuhan_calibration.py CANOPY PROJECT_DIR

1. scenarios/wuhan-2013.toml, wuhan-2023.toml and wuhan-calibration.toml validate with --strict.
2. The shipped posterior (scenarios/wuhan-posterior.h5) is a calibration of the ecosystem model
   on runs starting 2013-01, its weights sum to 1, and it has every column wuhan-2023.toml names.
3. The default scenario uses it: each replicate's drawn parameters are one whole row of the
   posterior (the columns jointly, not each on its own), the rows differ between replicates, the
   columns not chosen keep the scenario's own priors, and the output names the posterior as the
   parameters' source.
4. scripts/wuhan-hindcast.sh runs on a tiny budget: the fit up to 2018, the projection of the
   held-back figures (every figure after 2018) and the table with its coverage line.

Exits 77 (skipped) when h5py or numpy is missing.
"""
import os
import re
import subprocess
import sys
import tempfile

try:
    import h5py
    import numpy as np
except ImportError as e:  # pragma: no cover
    print(f"skipped: {e}")
    sys.exit(77)


def run(args, **kw):
    p = subprocess.run(args, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        print("command failed:", " ".join(args), "\n", p.stdout, p.stderr, file=sys.stderr)
        sys.exit(1)
    return p


def check(cond, what):
    if not cond:
        print("FAILED:", what, file=sys.stderr)
        sys.exit(1)
    print("ok:", what)


def posterior_columns(scenario_text):
    m = re.search(r"posterior_parameters = \[(.*?)\]", scenario_text, re.S)
    return re.findall(r'"([a-z_0-9]+)"', m.group(1)) if m else []


def main():
    canopy, root = sys.argv[1], sys.argv[2]
    sc = os.path.join(root, "scenarios")
    run([canopy, "validate", "--strict", os.path.join(sc, "wuhan-2013.toml"),
         os.path.join(sc, "wuhan-2023.toml"), os.path.join(sc, "wuhan-calibration.toml")])
    print("ok: the 2013 scenario, the 2023 scenario and the calibration validate with --strict")

    columns = posterior_columns(open(os.path.join(sc, "wuhan-2023.toml"), encoding="utf-8").read())
    check(len(columns) >= 6, f"wuhan-2023.toml draws {len(columns)} columns from the posterior")
    with h5py.File(os.path.join(sc, "wuhan-posterior.h5"), "r") as f:
        attr = lambda k: f.attrs[k].decode() if isinstance(f.attrs[k], bytes) else f.attrs[k]
        check(attr("kind") == "calibration" and attr("model") == "ecosystem",
              "the posterior is a calibration of the ecosystem model")
        check(attr("scenario_start") == "2013-01", "fitted on runs starting 2013-01")
        # The checksum canopy compares with the contents whenever it reads the file (a file
        # without one is read unchecked): the shipped posterior must carry it.
        check("checksum" in f.attrs and attr("checksum").startswith("hash64:"),
              "the posterior carries the checksum of its contents")
        w = f["weights"][()]
        check(abs(w.sum() - 1) < 1e-9 and len(w) >= 50, f"{len(w)} weighted particles, sum 1")
        for c in columns:
            check(c in f["parameters"], f"the posterior has column {c}")
        rows = np.column_stack([f["parameters"][c][()] for c in columns])

    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "run.h5")
        run([canopy, "run", os.path.join(sc, "wuhan-2023.toml"), "--replicates", "12",
             "--threads", "2", "--quiet", "--out", out])
        with h5py.File(out, "r") as f:
            drawn = np.column_stack([f["parameters"][c][()] for c in columns])
            src = f["parameters"][columns[0]].attrs["source"]
            src = src.decode() if isinstance(src, bytes) else src
            entry = f["parameters"]["sme_entry_rate"][()]
        # Every replicate's vector is one whole particle (joint draw).
        for r, v in enumerate(drawn):
            match = np.all(np.isclose(rows, v, rtol=1e-12, atol=0), axis=1)
            check(match.any(), f"replicate {r}'s {len(columns)} parameters are one posterior row")
        distinct = len({tuple(v) for v in drawn})
        check(distinct >= 3, f"the rows differ between replicates ({distinct} distinct of 12)")
        check("posterior" in src, f"the output names the source: '{src}'")
        check(np.all((entry >= 75) & (entry <= 300)) and len(set(entry)) > 1,
              "sme_entry_rate, not chosen, keeps wuhan-2023.toml's prior triangular(75, 150, 300)")

        # The hindcast script's pieces, on a tiny budget. Not under sanitizers: the script is
        # shell and Python around `canopy calibrate`, whose code the sanitized suite already runs
        # (tests/statistical/test_abc_smc.cpp, the calibrate CLI tests), and 60 sanitized runs of
        # 2013-2018 take minutes on two cores.
        if os.environ.get("CANOPY_SANITIZED"):
            print("hindcast script: runs in the release suite, not under sanitizers")
            return 0
        hind = os.path.join(tmp, "hindcast")
        build = os.path.dirname(os.path.dirname(os.path.abspath(canopy)))
        p = run(["bash", os.path.join(root, "scripts", "wuhan-hindcast.sh"), "--build", build,
                 "--out", hind, "--threads", "2", "--particles", "10", "--max-simulations", "60"])
        table = open(os.path.join(hind, "hindcast.md"), encoding="utf-8").read()
        check(table == p.stdout, "the script prints the table it writes")
        held = re.findall(r"^\| (\w+) \| (\d{4}) \|[^|]*\| held back \|", table, re.M)
        years = sorted({int(y) for _, y in held})
        check(len(held) >= 8 and years[0] > 2018,
              f"{len(held)} figures held back, all after 2018 ({years[0]}-{years[-1]})")
        check(not re.search(r"^\| \w+ \| 201[3-8] \|[^|]*\| held back", table, re.M),
              "no figure up to 2018 is held back")
        m = re.search(r"Held back: (\d+) of (\d+) figures inside their 90 % interval", table)
        check(m is not None and int(m.group(2)) == len(held),
              "the coverage line counts the held-back figures")
        check(os.path.exists(os.path.join(hind, "hindcast.h5")), "the result file is written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
