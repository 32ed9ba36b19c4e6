#!/usr/bin/python3
"""docs/new-region.md lists every date of scenarios/wuhan-2023.toml a plan of another year moves.

A region's child scenario inherits Wuhan's indicators and levers with their months. `canopy
validate` finds the indicators left in 2023, but not a lever step dated before the child's start
(in force from its first month, history included), so the page's table must name every entry of
the Wuhan file that carries a month, and nothing else: an outside tester who wrote a region from
the page met about twenty errors with no list of what to change.

Usage: test_new_region_dates.py SOURCE_DIR
"""
import re
import sys
import tomllib

MONTH = re.compile(r"\d{4}-\d{2}")


def dated(node, path=()):
    """The paths of every string value "YYYY-MM" under node."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from dated(value, path + (key,))
    elif isinstance(node, list):
        for value in node:
            yield from dated(value, path)
    elif isinstance(node, str) and MONTH.fullmatch(node):
        yield path


def main():
    source = sys.argv[1]
    with open(f"{source}/scenarios/wuhan-2023.toml", "rb") as f:
        wuhan = tomllib.load(f)
    entries = set()
    for path in dated(wuhan):
        if path[0] == "scenario":
            continue  # the template sets these
        if path[0] == "policy_mixes":
            entries.add(("policy_mixes", path[1]))
        else:
            entries.add((path[0], path[1]))
    with open(f"{source}/docs/new-region.md", encoding="utf-8") as f:
        page = f.read()
    rows = [l for l in page.splitlines() if l.startswith("| indicator") or l.startswith("| lever")]
    if not rows:
        print("FAIL: docs/new-region.md has no table of the dates to move")
        return 1
    listed = set()
    for row in rows:
        first = row.split("|")[1]
        kind = "indicators" if first.strip().startswith("indicator") else "levers"
        for name in re.findall(r"`([a-z0-9_]+)`", first):
            listed.add((kind, name))
        if "policy mixes" in first:  # all of them, dated or not: the template removes them
            listed.update(e for e in entries if e[0] == "policy_mixes")
    missing = sorted(entries - listed)
    stale = sorted(listed - entries)
    for kind, name in missing:
        print(f"FAIL: {kind}.{name} carries a month in wuhan-2023.toml; new-region.md's table "
              "does not list it")
    for kind, name in stale:
        print(f"FAIL: new-region.md's table lists {kind}.{name}, which carries no month in "
              "wuhan-2023.toml")
    if missing or stale:
        return 1
    print(f"ok: {len(entries)} dated entries, each in new-region.md's table")
    return 0


if __name__ == "__main__":
    sys.exit(main())
