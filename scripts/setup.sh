#!/usr/bin/env bash
# Installs what strata needs from Debian 12's packages. Idempotent: installs only what is
# missing, and does nothing (not even apt-get update) when everything is there.
#   scripts/setup.sh            build, test and run dependencies
#   scripts/setup.sh --torch    also PyTorch (python3-torch), for the golden files and anchors
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libgdal-dev gdal-bin
  libhdf5-dev libhdf5-openmpi-dev hdf5-tools
  openmpi-bin libopenmpi-dev
  slurm-wlm munge libpmix2 iproute2   # slurm/local: the one-node test cluster (ctest -L slurm)
  libopenblas-dev
  libgtest-dev googletest libbenchmark-dev
  nlohmann-json3-dev libtomlplusplus-dev
  libsnappy-dev                       # strata import-model: TensorFlow's variables.index blocks
  libboost-dev                        # strata serve: Boost.Beast and Asio (header-only)
  chromium                            # strata serve's browser test (ctest -L web, puppeteer-core)
  libboost-context-dev                # the CUDA emulator (kernels/emulator/): a fiber per CUDA thread
  python3-numpy python3-h5py python3-gdal
)
if [[ "${1:-}" == "--torch" ]]; then packages+=(python3-torch); fi
# The viewer's npm packages (npm ci at build time): Debian's node and npm, unless a node with its
# own npm is installed already (NodeSource's nodejs carries npm and conflicts with Debian's).
if ! command -v npm >/dev/null || ! command -v node >/dev/null; then packages+=(nodejs npm); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
