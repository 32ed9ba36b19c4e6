#!/usr/bin/python3
"""README.md's quick start shows what `canopy run` prints; this checks it still does.

Runs `canopy run --threads 2` from the source directory, as the README does (the default
scenario, its 400 replicates and seed), and requires every line of the README's output block,
the table's header among them, to be a line of the output, in the README's order. A line "..."
in the block stands for lines left out. Trailing spaces are not compared (editors strip them).

Usage: test_readme_quickstart.py CANOPY SOURCE_DIR
Exit 0 on success, 1 on failure, 77 (skipped, saying why) under sanitizers, where 400 replicates
of the full model take too long; the release suite runs it.
"""
import os
import subprocess
import sys

from test_doc_outputs import arguments, missing


def readme_block(readme):
    """The lines of the fenced block after "and prints:" in README.md."""
    text = open(readme, encoding="utf-8").read()
    anchor = text.find("and prints:\n\n```\n")
    if anchor < 0:
        sys.exit("README.md: no output block after 'and prints:' (the test reads that block)")
    start = text.index("```\n", anchor) + 4
    end = text.index("\n```", start)
    return [line.rstrip() for line in text[start:end].split("\n")]


def main():
    canopy, source = arguments(__doc__, "400 replicates of the default scenario run in the "
                                        "release suite, not under sanitizers")
    block = readme_block(os.path.join(source, "README.md"))
    header = [line for line in block if line.startswith("target ")]
    if len(header) != 1:
        print("FAIL: README's block has no table header line ('target  goal ...')")
        return 1
    shown = [line for line in block if line and line != "..."]

    p = subprocess.run([canopy, "run", "--threads", "2"], cwd=source, capture_output=True,
                       text=True, timeout=240)
    if p.returncode != 0:
        print(f"FAIL: canopy run exited {p.returncode}\n{p.stderr[-2000:]}")
        return 1
    out = [line.rstrip() for line in p.stdout.split("\n")]

    left = missing(shown, out, [])  # the README's lines must come in the output's order
    for line in left:
        print(f"FAIL: README line not in the output (or out of order):\n  {line}")
    if left:
        print("\n`canopy run` from the source directory now prints:\n" + p.stdout)
        print("If the change of results is intended, paste this into README.md's quick start.")
        return 1
    print(f"ok: all {len(shown)} lines of README's quick-start output, header included, "
          "are in the output of `canopy run`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
