#!/usr/bin/env bash
# The quick start: install what is missing, build, and run the default scenario
# (scenarios/wuhan-2023.toml). Extra arguments go to `canopy run`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec build/bin/canopy run "$@"
