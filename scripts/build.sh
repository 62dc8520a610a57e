#!/usr/bin/env bash
# Configures and builds strata (Release by default) into build/ (or $STRATA_BUILD_DIR).
# Extra arguments go to CMake, e.g. scripts/build.sh -DSTRATA_CUDA=OFF
set -euo pipefail
cd "$(dirname "$0")/.."
build=${STRATA_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-Release}" "$@" >"$build.configure.log" 2>&1 ||
  { cat "$build.configure.log" >&2; exit 1; }
cmake --build "$build" -j"$(nproc)"
