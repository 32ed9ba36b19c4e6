#!/usr/bin/python3
"""canopy-bench ecosystem --profile: the ratios it prints are those of the figures printed
beside them (the whole replicate, its steps only and its decisions only, each against the
reference step), and with one round the ecosystem's phases add up to its whole per firm-step and
the reference's phases to no more than its step.

Usage: test_bench_profile.py CANOPY-BENCH
Exit 0 on success, 1 on failure.
"""

import subprocess
import sys

ECOSYSTEM_PHASES = ("network", "attributes", "decide", "apply", "calendar", "newcomers",
                    "tallies", "rest")


def fields(line):
    return {k: float(v) for k, v in (item.split("=", 1) for item in line.split()[2:])}


def profile(bench, rounds):
    out = subprocess.run([bench, "ecosystem", "--replicates", "0", "--profile", str(rounds)],
                         check=True, capture_output=True, text=True).stdout
    lines = out.splitlines()

    def line(prefix):
        found = [l for l in lines if l.startswith(prefix + " ")]
        assert len(found) == 1, (prefix, out)
        return fields(found[0])

    return (out, line("profile model=ecosystem"), line("profile model=reference"),
            line("profile ratio"))


def close(a, b, rel=0.02, abs_=0.02):
    return abs(a - b) <= max(abs_, rel * abs(b))


def main():
    bench = sys.argv[1]
    for rounds in (1, 3):
        out, eco, ref, ratio = profile(bench, rounds)
        total = eco["ns_per_firm_step"]
        ref_total = ref["ns_per_firm_step"]
        assert total > 0 and ref_total > 0, out
        for name in ECOSYSTEM_PHASES:
            assert eco[name] >= 0, (name, out)
        # The ratios are the printed figures' (each rounded to 0.01 before printing).
        assert close(ratio["ecosystem/reference"], total / ref_total), out
        assert close(ratio["steps_only"], eco["steps_only"] / ref_total), out
        assert close(ratio["decide_only"], eco["decide"] / ref_total), out
        assert ratio["decide_only"] <= ratio["steps_only"] <= ratio["ecosystem/reference"], out
        if rounds == 1:
            # One round: the medians are the round's own figures, so the phases add up.
            assert close(sum(eco[name] for name in ECOSYSTEM_PHASES), total, abs_=0.06), out
            assert close(eco["steps_only"], total - eco["network"] - eco["attributes"],
                         abs_=0.03), out
            # The reference's phases are timed inside its step loop, so in one round they add
            # up to no more than it. (Medians over several rounds need not: each phase's median
            # can come from another round, and under a sanitiser or load the rounds differ by
            # more than any fixed margin.)
            assert ref["decide"] + ref["apply"] + ref["births"] <= ref_total * 1.02 + 0.03, out
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
