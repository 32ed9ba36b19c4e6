#!/usr/bin/python3
"""canopy-bench bandwidth prints the machine's bandwidth (the triad, and the rate of single
lines read at random places), the reference model's step loop and the fractions of those
ceilings it uses: the fractions are those of the figures printed beside them, the ceiling is the
lower of the two (the triad over every byte the step moves, the random-line rate over its
scattered lines), every paired round is there with a triad, a random-line rate and a step loop
of its own (not the best-of figures printed above: measured again, they do not all come out
equal to the last hundredth), and the summary is the median, min and max of the rounds'
fractions. Each ceiling has a name of its own: the roofline line's ceiling_streamed (decide's
stream alone), the scattered line's ceiling_moved, ceiling_scattered and ceiling_binding (the
lower, the one the step cannot pass), and the compute bound is set against the binding one. Its
first line says that transparent huge pages are asked for the kernels' arrays and the model's
network alike, and whether glibc was asked for them for all its large blocks (GLIBC_TUNABLES),
which the figures depend on.

Usage: test_bench_bandwidth.py CANOPY-BENCH
Exit 0 on success, 1 on failure.
"""

import os
import statistics
import subprocess
import sys

ROUNDS = 3


def fields(line):
    return {k: float(v) for k, v in (item.split("=", 1) for item in line.split()[1:])}


def lines(out, tag):
    return [fields(l) for l in out.splitlines() if l.split(" ", 1)[0] == tag]


def close(a, b, tol):
    return abs(a - b) <= tol


def main():
    bench = sys.argv[1]
    command = [bench, "bandwidth", "--n", "20000", "--array-mib", "16", "--repeats"]
    env = {k: v for k, v in os.environ.items() if k != "GLIBC_TUNABLES"}
    glibc = "transparent huge pages asked for these arrays and the model's network alike " \
            "(madvise), and for all of glibc's large blocks: "
    for tunables, says in (("glibc.malloc.mmap_threshold=33554432:glibc.malloc.hugetlb=1",
                            glibc + "requested"),
                           ("glibc.malloc.hugetlb=0", glibc + "not requested"),
                           (None, glibc + "not requested")):
        if tunables is not None:
            env["GLIBC_TUNABLES"] = tunables
        first = subprocess.run(command + ["1"], env=env, check=True, capture_output=True,
                               text=True).stdout.splitlines()[0]
        assert says + " (GLIBC_TUNABLES" in first, (tunables, first)
        env.pop("GLIBC_TUNABLES", None)
    out = subprocess.run(command + [str(ROUNDS)], env=env, check=True, capture_output=True,
                         text=True).stdout
    (bw,) = lines(out, "bandwidth")
    assert min(bw["read_gb_s"], bw["write_gb_s"], bw["triad_gb_s"]) > 0, bw
    assert bw["random_lines_per_s"] > 0, bw
    assert close(bw["random_line_gb_s"], bw["random_lines_per_s"] * 64e-9, 0.006), bw
    (roof,) = lines(out, "roofline")
    # The roofline line's ceiling is decide's stream alone: the triad over its bytes.
    streamed = bw["triad_gb_s"] * 1e9 / roof["bytes_per_agent_step"]
    assert close(roof["ceiling_streamed_agent_steps_per_s"], streamed,
                 streamed * (0.005 / bw["triad_gb_s"] + 0.005 / roof["bytes_per_agent_step"])), roof
    assert close(roof["fraction_of_ceiling_streamed"],
                 roof["agent_steps_per_s_steploop"] / roof["ceiling_streamed_agent_steps_per_s"],
                 0.0001 + 0.01 * roof["fraction_of_ceiling_streamed"]), roof
    (traffic,) = lines(out, "traffic")
    moved_bytes = traffic["bytes_moved_per_agent_step"]  # printed to 0.1 B
    assert moved_bytes > 0, traffic
    # moved = the best loop's rate x the bytes; fraction = moved / triad (each printed rounded).
    rate = roof["agent_steps_per_s_steploop"]
    assert close(traffic["moved_gb_s"], rate * moved_bytes * 1e-9, 0.005 + rate * 0.05e-9), out
    assert close(traffic["fraction_of_triad"], traffic["moved_gb_s"] / bw["triad_gb_s"],
                 0.0005 + traffic["fraction_of_triad"] *
                 (0.005 / traffic["moved_gb_s"] + 0.005 / bw["triad_gb_s"])), out

    # The scattered lines: a part of the bytes moved, at the best loop's rate, against the
    # random-line rate; the ceiling is the lower of the two (each figure printed rounded, so the
    # checks allow 1 %).
    (sc,) = lines(out, "scattered")
    scattered = sc["scattered_lines_per_agent_step"]
    assert 0 < 64 * scattered < moved_bytes, sc
    assert close(sc["streamed_bytes_per_agent_step"], moved_bytes - 64 * scattered,
                 0.1 + 64 * 0.00005), (sc, traffic)
    rate = roof["agent_steps_per_s_steploop"]
    assert close(sc["scattered_lines_per_s"], rate * scattered, 0.01 * rate * scattered), sc
    assert close(sc["fraction_of_random_lines"],
                 sc["scattered_lines_per_s"] / bw["random_lines_per_s"],
                 0.001 + 0.01 * sc["fraction_of_random_lines"]), (sc, bw)

    def ceiling(triad_gb_s, random_lines_per_s):
        return min(triad_gb_s * 1e9 / moved_bytes, random_lines_per_s / scattered)

    moved_ceiling = bw["triad_gb_s"] * 1e9 / moved_bytes
    scattered_ceiling = bw["random_lines_per_s"] / scattered
    best_ceiling = ceiling(bw["triad_gb_s"], bw["random_lines_per_s"])
    assert close(sc["ceiling_moved_agent_steps_per_s"], moved_ceiling, 0.01 * moved_ceiling), sc
    assert close(sc["ceiling_scattered_agent_steps_per_s"], scattered_ceiling,
                 0.01 * scattered_ceiling), sc
    assert sc["ceiling_binding_agent_steps_per_s"] == min(
        sc["ceiling_moved_agent_steps_per_s"], sc["ceiling_scattered_agent_steps_per_s"]), sc
    assert close(sc["ceiling_binding_agent_steps_per_s"], best_ceiling, 0.01 * best_ceiling), \
        (sc, bw)
    assert close(sc["fraction_of_ceiling_binding"], rate / best_ceiling,
                 0.001 + 0.01 * sc["fraction_of_ceiling_binding"]), sc
    # Each ceiling has a name of its own: two lines once printed different ones as
    # ceiling_agent_steps_per_s.
    keys = [k for line in out.splitlines() if not line.startswith("#")
            for k in fields(line) if k.startswith("ceiling")]
    assert len(keys) == len(set(keys)) and "ceiling_agent_steps_per_s" not in keys, keys

    rounds = lines(out, "paired")
    assert [int(r["round"]) for r in rounds] == list(range(1, ROUNDS + 1)), out
    for r in rounds:
        assert r["triad_gb_s"] > 0 and r["agent_steps_per_s_steploop"] > 0, r
        rate = r["agent_steps_per_s_steploop"]
        assert close(r["moved_gb_s"], rate * moved_bytes * 1e-9, 0.005 + rate * 0.05e-9), r
        f = r["fraction_of_triad"]
        assert close(f, r["moved_gb_s"] / r["triad_gb_s"],
                     0.00005 + f * (0.005 / r["moved_gb_s"] + 0.005 / r["triad_gb_s"])), r
        assert r["random_lines_per_s"] > 0, r
        fr = r["fraction_of_random_lines"]
        assert close(fr, rate * scattered / r["random_lines_per_s"], 0.0001 + 0.01 * fr), r
        fc = r["fraction_of_ceiling_binding"]
        assert close(fc, rate / ceiling(r["triad_gb_s"], r["random_lines_per_s"]),
                     0.0001 + 0.01 * fc), r
    # Each round measures its own triad and loop: three separate runs cannot all equal the
    # best-of figures to the printed hundredth (nor one another) unless they were reused.
    assert not all(r["triad_gb_s"] == bw["triad_gb_s"] for r in rounds), out
    assert not all(r["random_lines_per_s"] == bw["random_lines_per_s"] for r in rounds), out
    assert not all(r["agent_steps_per_s_steploop"] == roof["agent_steps_per_s_steploop"]
                   for r in rounds), out
    (summary,) = lines(out, "paired_summary")
    fractions = [r["fraction_of_triad"] for r in rounds]
    assert int(summary["rounds"]) == ROUNDS, summary
    assert close(summary["fraction_of_triad_median"], statistics.median(fractions), 1e-4), out
    assert close(summary["min"], min(fractions), 1e-4), out
    assert close(summary["max"], max(fractions), 1e-4), out
    for key, prefix in (("fraction_of_random_lines", "random"),
                        ("fraction_of_ceiling_binding", "binding")):
        values = [r[key] for r in rounds]
        assert close(summary[key + "_median"], statistics.median(values), 1e-4), (key, out)
        assert close(summary[prefix + "_min"], min(values), 1e-4), (key, out)
        assert close(summary[prefix + "_max"], max(values), 1e-4), (key, out)

    (bound,) = lines(out, "compute_bound")
    for key in ("agent_steps_per_s_steploop_1_thread", "ns_decide", "ns_apply", "ns_births",
                "ns_decide_at_n", "ns_apply_at_n", "ns_births_at_n"):
        assert bound[key] > 0, (key, bound)
    # The compute bound against the binding ceiling (the scattered line's), not decide's stream.
    binding = sc["ceiling_binding_agent_steps_per_s"]
    over = bound["compute_bound_over_ceiling_binding"]
    assert close(over, bound["compute_bound_agent_steps_per_s"] / binding, 0.001 + 0.01 * over), \
        (bound, sc)
    assert close(bound["ns_memory_budget_binding"], 1e9 / binding,
                 0.005 + 0.01 * 1e9 / binding), (bound, sc)
    print(f"ok: {ROUNDS} paired rounds, median fractions: triad "
          f"{summary['fraction_of_triad_median']}, binding ceiling "
          f"{summary['fraction_of_ceiling_binding_median']}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except AssertionError as e:
        print("FAILED:", e)
        sys.exit(1)
