#!/usr/bin/env bash
# Regenerates the golden outputs of tests/regression/test_golden.cpp from the current build.
# Run it only when a change of results is intended, and say why in the commit.
# README.md's quick-start output (the default `canopy run`) moves with them: paste the new
# output there too, or regression:readme_quickstart fails.
#   scripts/refresh-goldens.sh [BUILD_DIR]     (default build/)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-build}/bin"
out=tests/regression/golden
"$bin/canopy-bench" reference --n 40000 --steps 12 --seed 1 --threads 1 | grep -v -e '^#' -e '^summary' \
  > "$out/reference_n40000_seed1.csv"
"$bin/canopy" run scenarios/wuhan-2023.toml --replicates 4 --seed 7 --threads 1 --json - \
  > "$out/wuhan_2023_seed7_r4.json"
echo "refreshed: $(ls $out)"
