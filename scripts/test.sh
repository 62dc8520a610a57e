#!/usr/bin/env bash
# The README's second command: set up, build (with tests), and run the whole test suite.
# Extra arguments go to ctest, e.g. scripts/test.sh -L unit
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh -DSTRATA_BUILD_TESTS=ON
# OpenMPI refuses to run as root without these; CI and our machines run as root.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
ctest --test-dir "${STRATA_BUILD_DIR:-build}" -j"$(nproc)" --output-on-failure "$@"
