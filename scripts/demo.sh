#!/usr/bin/env bash
# The README's first command: set up, build, and run the main job end to end on built-in data.
# Today: what was built, a synthetic Sentinel-2 time series, and quick-look PNGs of it.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-out/demo}

scripts/setup.sh
scripts/build.sh
strata=build/bin/strata

$strata info
$strata synth --out "$out/synth" --size 1024 --dates 6 --seed 42 --overwrite
mkdir -p "$out/quicklook"
for scene in "$out"/synth/S2_????-??-??.tif; do
  date=$(basename "$scene" .tif); date=${date#S2_}
  $strata render --input "$scene" --out "$out/quicklook/S2_$date.png" --quiet
  $strata render --input "$out/synth/labels_$date.tif" --out "$out/quicklook/labels_$date.png" --quiet
done
echo
echo "demo: synthetic scenes in $out/synth, quick-looks in $out/quicklook:"
ls -1 "$out/quicklook"
