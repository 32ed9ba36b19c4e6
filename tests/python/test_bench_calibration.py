#!/usr/bin/python3
"""canopy-bench calibration --recovery/--sbc repeat tests/statistical/test_reference_recovery.cpp's
checks with more data sets (docs/calibration.md says so): the two simulate their data with the
same measurement error (RELATIVE_SD, a share of each figure at the prior's medians), the share
docs/calibration.md states for both. (The bench used 10 % while the test and the doc said
20 %.) Reads the sources beside this script; runs nothing (a recovery run takes seconds).

Usage: test_bench_calibration.py CANOPY-BENCH
Exit 0 on success, 1 on failure.
"""

import os
import re
import sys

SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def read(path):
    with open(os.path.join(SOURCE, path), encoding="utf-8") as f:
        return f.read()


def relative_sd(path):
    found = re.findall(r"constexpr double RELATIVE_SD = ([0-9.]+);", read(path))
    assert len(found) == 1, (path, found)
    return float(found[0])


def main():
    bench = relative_sd("bench/bench_calibration.cpp")
    test = relative_sd("tests/statistical/test_reference_recovery.cpp")
    assert bench == test, f"bench RELATIVE_SD {bench} != test's {test}"
    percent = f"{100 * test:.0f} %"
    doc = " ".join(read("docs/calibration.md").split())
    assert f"with a fixed sd of {percent} of each" in doc, "the doc's sd for the test"
    assert (f"`canopy-bench calibration --recovery N --sbc N` runs the same checks, with the same "
            f"error model (sd {percent} of each figure") in doc, "the doc's sd for the bench"
    print(f"ok: test, bench and doc use an sd of {percent} of each figure")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except AssertionError as e:
        print("FAILED:", e)
        sys.exit(1)
