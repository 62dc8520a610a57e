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
# The composite is of the labels' season (May-July), so what the network sees is what was labelled.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
mpirun -n 2 $strata prepare --scenes "$out/synth/S2_*.tif" --labels "$labels" --start 2021-05-01 --end 2021-07-31 \
  --out "$out/dataset" --patch 64 --patches 1000 --write-masks --overwrite
# 6 epochs at the default learning rate (docs/training.md, "Learning to 90 % on synthetic data").
mpirun -n 2 $strata train --data "$out/dataset" --out "$out/run" --model sample-fcn --epochs 6 --batch 8 \
  --overwrite
mpirun -n 2 $strata predict --model "$out/run/best.h5" --scenes "$out/synth/S2_*.tif" --out "$out/maps" --tile 512

# What the maps say: accuracy of each date against its true labels, area per class per date, the
# change from the flood's last date to the next (the water recedes; the model knows the summer best,
# as its labels are of the summer), and pictures.
mkdir -p "$out/evaluate"
for map in "$out"/maps/S2_*.vrt; do
  date=$(basename "$map" .vrt); date=${date#S2_}
  $strata evaluate --pred "$map" --labels "$out/synth/labels_$date.tif" --label-scheme identity \
    --json "$out/evaluate/$date.json" --quiet | grep -E "^pixel accuracy" | sed "s/^/$date: /"
done
$strata stats --input "$out"/maps/S2_*.vrt --csv "$out/stats.csv" --quiet
read -r before during < <(python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
flood = next(e for e in s["events"] if e["kind"] == "flood")
dates = [d["date"] for d in s["dates"]]
i = min(flood["last_date_index"], len(dates) - 2)
print(dates[i], dates[i + 1])' "$out/synth/synth.json")
$strata change --from "$out/maps/S2_$before.vrt" --to "$out/maps/S2_$during.vrt" --out "$out/change" --min-area-ha 5
mkdir -p "$out/pictures"
$strata render --input "$out"/maps/S2_*.vrt --out "$out/pictures/timelapse.gif" --quiet
$strata render --input "$out/maps/S2_$during.vrt" --out "$out/pictures/map_$during.png" --quiet
$strata render --input "$out/maps/S2_$during.vrt" --confidence --out "$out/pictures/confidence_$during.png" --quiet
$strata render --input "$out/change/change.tif" --out "$out/pictures/change_${before}_$during.png" --quiet

echo
echo "demo: everything is in $out:"
echo "  synth/      synthetic scenes, labels, synth.json (events)    quicklook/  scene and label PNGs"
echo "  dataset/    HDF5 patch shards + manifest.json                run/        model (best.h5), metrics.jsonl"
echo "  maps/       a VRT per date (9 probabilities + label)         evaluate/   accuracy per date (JSON)"
echo "  stats.csv   km2 per class per date                           change/     $before -> $during: change.tif, transitions.csv"
echo "  pictures/   timelapse.gif, map, confidence and change PNGs"
echo
echo "demo: to explore the maps in the web viewer (tiles, a point's probabilities over time, areas in a box):"
echo "  $strata serve --maps $out/maps        # then open http://127.0.0.1:8080/"
