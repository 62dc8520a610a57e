#!/usr/bin/env bash
# The README's first command: set up, build, and run the main job end to end on built-in data.
# What was built, a synthetic Sentinel-2 time series with quick-looks, a patch dataset prepared
# from it on 2 MPI ranks, a network trained on it on 2 ranks, and maps of every date predicted
# with that network on 2 ranks.
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
# Labels as a user has them: a WorldCover-coded map of the growing season (the third date).
labels=$(ls "$out"/synth/worldcover_*.tif | sed -n 3p)
# Two ranks share the compositing and the shards (as root, OpenMPI needs the ALLOW variables).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
mpirun -n 2 $strata prepare --scenes "$out/synth/S2_*.tif" --labels "$labels" \
  --out "$out/dataset" --patch 64 --patches 1000 --write-masks --overwrite
mpirun -n 2 $strata train --data "$out/dataset" --out "$out/run" --model sample-fcn --epochs 4 --batch 8 \
  --lr 0.01 --overwrite
mpirun -n 2 $strata predict --model "$out/run/best.h5" --scenes "$out/synth/S2_*.tif" --out "$out/maps" --tile 512
echo
echo "demo: synthetic scenes in $out/synth, quick-looks in $out/quicklook, patch dataset in $out/dataset,"
echo "      model and metrics in $out/run, maps (one VRT per date) in $out/maps:"
ls -1 "$out/quicklook" "$out/dataset" "$out/run" "$out/maps"
