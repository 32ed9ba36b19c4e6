#!/usr/bin/python3
"""canopy-bench ecosystem's summary line: agent_steps, wall_s and setup_s are totals over the
replicates, and the replicate_0_* figures (firms at the start and end, bytes per firm at the end)
are replicate 0's in both modes, whatever the number of replicates (with --firms they came from
the last replicate, in ensemble mode from replicate 0). They are the figures the profile's memory
line prints for the same replicate. setup_s is printed only with --firms, where each replicate's
set-up is timed apart; with replicates in parallel it is not measured and not printed (it read
0.000000).

Usage: test_bench_ecosystem.py CANOPY-BENCH
Exit 0 on success, 1 on failure.
"""

import subprocess
import sys

PER_REPLICATE = ("replicate_0_firms_start", "replicate_0_firms_end", "replicate_0_bytes_per_agent")


def run(bench, *args):
    out = subprocess.run([bench, "ecosystem", "--threads", "2", *args], check=True,
                         capture_output=True, text=True, timeout=100).stdout
    lines = out.splitlines()
    (summary,) = [l for l in lines if l.startswith("summary ")]
    fields = dict(item.split("=", 1) for item in summary.split()[1:])
    memory = [dict(item.split("=", 1) for item in l.split() if "=" in item)
              for l in lines if l.startswith("memory model=ecosystem ")]
    return out, fields, memory


def main():
    bench = sys.argv[1]
    for mode in (["--firms", "3000"], []):
        one, fields_1, (memory,) = run(bench, *mode, "--replicates", "1", "--profile", "1")
        three, fields_3, _ = run(bench, *mode, "--replicates", "3", "--profile", "0")
        for key in PER_REPLICATE:
            assert fields_1[key] == fields_3[key], (mode, key, one, three)
        # The profile's memory line describes replicate 0 too.
        assert memory["firms_end"] == fields_1["replicate_0_firms_end"], (mode, one)
        assert memory["bytes_per_firm"] == fields_1["replicate_0_bytes_per_agent"], (mode, one)
        # Totals: three replicates take more agent-steps than the first alone.
        assert float(fields_3["agent_steps"]) > float(fields_1["agent_steps"]), (one, three)
        for out, fields in ((one, fields_1), (three, fields_3)):
            assert "totals over the replicates" in out, out
            if mode:
                assert 0 < float(fields["setup_s"]) <= float(fields["wall_s"]), out
            else:
                assert "setup_s" not in fields, out
                assert "no setup_s" in out, out
        print(f"ok: {' '.join(mode) or 'ensemble'}: replicate 0's figures "
              f"{[fields_1[k] for k in PER_REPLICATE]} at 1 and 3 replicates")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except AssertionError as e:
        print("FAILED:", e)
        sys.exit(1)
