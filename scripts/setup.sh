#!/usr/bin/env bash
# Installs what Canopy needs on Debian 12 (only what is missing) and builds the release
# programs into build/bin. Safe to run again: it does nothing that is already done.
#
#   scripts/setup.sh            # packages + release build
#   scripts/setup.sh --deps     # packages only
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake pkg-config
  libboost-graph-dev libeigen3-dev libtbb-dev libhdf5-dev catch2 librandom123-dev
  libtomlplusplus-dev libcli11-dev nlohmann-json3-dev libfmt-dev
  python3 python3-numpy python3-h5py python3-xarray python3-h5netcdf python3-dev pybind11-dev
  python3-networkx
  clang-format strace
  openmpi-bin libopenmpi-dev slurm-wlm munge
  chromium
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ "${1:-}" = "--deps" ]; then
  exit 0
fi

cmake --preset release >/dev/null
cmake --build --preset release
