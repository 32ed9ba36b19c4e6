#!/usr/bin/python3
"""The hindcast table of a `canopy calibrate --fit-until YEAR --json` result, as Markdown.

    hindcast_table.py RESULT.json > hindcast.md

One row per figure (held-back figures first): the published value, the posterior predictive
median and its 50 % and 90 % intervals (the model quantity, no measurement error added), and
whether the figure fell inside; then the held-back coverage against the bar (90 % intervals
containing at least 80 % of the held-back figures), and the fitted parameters. Exit 2 if the
file is not a calibration result.
"""
import json
import sys


def fmt(x):
    a = abs(x)
    if a >= 1000:
        return f"{x:,.0f}"
    if a >= 100:
        return f"{x:.0f}"
    if a >= 10:
        return f"{x:.1f}"
    if a >= 1:
        return f"{x:.2f}"
    return f"{x:.3g}"


def main(argv):
    if len(argv) != 2:
        print("usage: hindcast_table.py RESULT.json", file=sys.stderr)
        return 2
    try:
        with open(argv[1], encoding="utf-8") as f:
            r = json.load(f)
        figures = r["figures"]
    except (OSError, ValueError, KeyError) as e:
        print(f"hindcast_table.py: {argv[1]}: not a calibration result ({e})", file=sys.stderr)
        return 2
    fit_until = r.get("fit_until") or 0
    held = [f for f in figures if not f["fitted"]]
    fitted = [f for f in figures if f["fitted"]]
    out = []
    gens = r.get("generations", [])
    out.append(f"Calibration `{r['calibration']}` ({r['method']}), fitted to the figures up to "
               f"{fit_until if fit_until else 'the last year'}: {len(fitted)} fitted, "
               f"{len(held)} held back; {len(gens)} generations, {r['simulations']:,} runs, "
               f"final temperature {r['final_temperature']:.3g} "
               f"({'exact' if r['exact'] else 'approximate'}), effective sample size "
               f"{r['ess']:.1f}.")
    out.append("")
    out.append("| figure | year | kind | used as | published | median | 50 % interval | "
               "90 % interval | inside 50 / 90 |")
    out.append("|---|---|---|---|---|---|---|---|---|")
    for f in held + fitted:
        yes = lambda b: "yes" if b else "**no**"
        out.append(
            f"| {f['series']} | {f['year']} | {f['kind']} | "
            f"{'held back' if not f['fitted'] else 'fitted'} | {fmt(f['value'])} | "
            f"{fmt(f['median'])} | [{fmt(f['q25'])}, {fmt(f['q75'])}] | "
            f"[{fmt(f['q05'])}, {fmt(f['q95'])}] | {yes(f['inside50'])} / {yes(f['inside90'])} |")
    out.append("")
    if held:
        k90 = sum(1 for f in held if f["inside90"])
        k50 = sum(1 for f in held if f["inside50"])
        share = k90 / len(held)
        verdict = "met" if share >= 0.8 else "NOT met"
        out.append(f"Held back: {k90} of {len(held)} figures inside their 90 % interval "
                   f"({100 * share:.0f} %), {k50} of {len(held)} inside their 50 % interval. "
                   f"The bar (at least 80 % inside the 90 % intervals) is {verdict}.")
    else:
        out.append("No figure held back (no --fit-until, or none after it).")
    k90f = sum(1 for f in fitted if f["inside90"])
    out.append(f"Fitted: {k90f} of {len(fitted)} inside their 90 % interval.")
    out.append("")
    out.append("| parameter | prior | median | 50 % interval | 90 % interval |")
    out.append("|---|---|---|---|---|")
    for p in r["parameters"]:
        out.append(f"| {p['name']} | {p['prior']} | {fmt(p['median'])} | "
                   f"[{fmt(p['q25'])}, {fmt(p['q75'])}] | [{fmt(p['q05'])}, {fmt(p['q95'])}] |")
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
