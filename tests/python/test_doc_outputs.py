#!/usr/bin/python3
"""The outputs the docs show are what the commands print: docs/*.md's console blocks are rerun.

A ```console block of a page in docs/ holds commands, each a line "$ canopy ...", and what it
printed below it. Every command that shows output is run again (its `canopy` this build's, from
a scratch directory: a relative scenario path is found in the source tree, as the CLI finds
it), and every line shown must be a line of what it prints, in the page's order (stdout's lines
first, then stderr's). A line "…" or "..." stands for lines left out; blank lines and trailing
spaces are not compared. Commands that show no output (one that writes a report, say) are not
run. The pages' figures drifted unseen when the model moved (an outside reader found the
compare example of what-if.md three model changes old); here such a change fails.

Usage: test_doc_outputs.py CANOPY SOURCE_DIR
Exit 0 on success, 1 on failure, 77 (skipped, saying why) under sanitizers, where the pages'
full runs take too long; the release suite runs it.
"""
import glob
import os
import shlex
import subprocess
import sys
import tempfile

SKIP = 77
ELISIONS = {"…", "..."}


def console_commands(path):
    """[(line number, command words, shown lines)] of the page's ```console blocks."""
    commands = []
    inside = False
    with open(path, encoding="utf-8") as page:
        for number, raw in enumerate(page, start=1):
            line = raw.rstrip()
            if line.startswith("```"):
                inside = not inside and line == "```console"
                continue
            if not inside:
                continue
            if line.startswith("$ "):
                commands.append((number, shlex.split(line[2:]), []))
            elif commands and line and line not in ELISIONS:
                commands[-1][2].append(line)
    return [c for c in commands if c[1] and c[1][0] == "canopy" and c[2]]


def missing(shown, out, err):
    """The shown lines not found in order among stdout's lines, then stderr's."""
    lines = {"out": out, "err": err}
    at = {"out": 0, "err": 0}
    left = []
    for line in shown:
        for stream in ("out", "err"):
            try:
                at[stream] = lines[stream].index(line, at[stream]) + 1
                break
            except ValueError:
                continue
        else:
            left.append(line)
    return left


def arguments(usage, under_sanitizers):
    """(CANOPY, SOURCE_DIR) from the command line; exits 77 saying `under_sanitizers` (why the
    release suite runs it instead) when the build is sanitised."""
    if len(sys.argv) != 3:
        sys.exit(usage)
    if os.environ.get("CANOPY_SANITIZED"):
        print("skipped: " + under_sanitizers)
        sys.exit(SKIP)
    return os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])


def main():
    canopy, source = arguments(__doc__, "the pages' full runs are checked in the release suite, "
                                        "not under sanitizers")
    failures = 0
    checked = 0
    env = dict(os.environ, NO_COLOR="1")
    for page in sorted(glob.glob(os.path.join(source, "docs", "*.md"))):
        name = os.path.relpath(page, source)
        for number, words, shown in console_commands(page):
            with tempfile.TemporaryDirectory() as scratch:
                p = subprocess.run([canopy] + words[1:], cwd=scratch, capture_output=True,
                                   text=True, timeout=900, env=env)
            out = [line.rstrip() for line in p.stdout.split("\n")]
            err = [line.rstrip() for line in p.stderr.split("\n")]
            left = missing(shown, out, err)
            checked += 1
            if left:
                failures += 1
                print(f"FAIL: {name}:{number}: `{' '.join(words)}` (exit {p.returncode}) no "
                      f"longer prints {len(left)} of the {len(shown)} lines shown, such as:")
                for line in left[:5]:
                    print(f"  {line}")
                print("It now prints:\n" + p.stdout + p.stderr)
                print("If the change of results is intended, paste this into the page (and "
                      "check the figures its prose quotes).\n")
            else:
                print(f"ok: {name}:{number}: all {len(shown)} lines shown by "
                      f"`{' '.join(words[:3])} ...` are in its output")
    if checked == 0:
        print("FAIL: no console block with a canopy command and its output was found in docs/")
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
