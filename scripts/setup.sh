#!/usr/bin/env bash
# Sets pelt up on a fresh Debian/Ubuntu machine with Node 20: system packages for the native
# backend (OpenBLAS, OpenMP variant; a C++ toolchain), then npm ci, which builds the addon.
# --bench also installs Debian's PyTorch, the peer of the benchmarks and the fixture scripts.
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=(libopenblas-openmp-dev g++ make python3)
if [[ "${1:-}" == "--bench" ]]; then pkgs+=(python3-torch); fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  echo "pelt setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

npm ci --no-audit --no-fund
if [[ -f build/Release/pelt_native.node ]]; then
  echo "pelt setup: native backend built"
else
  echo "pelt setup: WARNING native backend not built; pelt will use the slow pure-TypeScript backend" >&2
fi
