#!/usr/bin/env bash
# Installs what is missing, builds with warnings as errors (the `ci` preset, into build-ci/) and
# runs the whole test suite. Extra arguments go to ctest (e.g. -L unit).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --deps
cmake --preset ci >/dev/null
cmake --build --preset ci
ctest --preset ci "$@"
