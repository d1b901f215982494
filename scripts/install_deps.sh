#!/usr/bin/env bash
# Installs the Debian packages seek builds and tests with (only those missing).
# Usage: scripts/install_deps.sh [extra packages...]
set -euo pipefail
pkgs=(cmake ninja-build g++ ccache pkg-config libeigen3-dev libspdlog-dev libgtest-dev libbenchmark-dev libopenblas-dev zlib1g-dev libstb-dev python3-dev pybind11-dev python3-numpy python3-pytest python3-pil clang-format clang libclang-rt-14-dev libboost-context-dev libopenmpi-dev openmpi-bin "$@")
missing=()
for p in "${pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
