#!/usr/bin/env bash
# Training throughput at 1 and 2 MPI ranks and where a step's time goes (data, forward+backward,
# waiting for the other rank, gradient all-reduce, optimizer), for both models, on a prepared
# synthetic dataset:
#   benchmarks/bench_train.sh [STRATA_BINARY] [WORK_DIR]
# Per-rank batch 8, one thread per rank (weak scaling: the global batch grows with the ranks).
# Each run trains 2 epochs; the second epoch's line of metrics.jsonl is reported. WORK_DIR
# (default /tmp/strata-bench-train) keeps the series and the dataset for reruns.
set -euo pipefail
strata=$(realpath "${1:-build/bin/strata}")
work=${2:-/tmp/strata-bench-train}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
mkdir -p "$work"
# Open MPI's session directory of its own: another user's mpirun ending can remove /tmp/ompi.*.
export OMPI_MCA_orte_tmpdir_base="$work"
if [[ ! -f "$work/dataset/manifest.json" ]]; then
  "$strata" synth --out "$work/synth" --size 512 --dates 6 --seed 42 --overwrite --quiet
  "$strata" prepare --scenes "$work/synth/S2_*.tif" --labels "$work/synth/worldcover_2021-05-16.tif" \
    --start 2021-05-01 --end 2021-07-31 --out "$work/dataset" --patch 64 --patches 200 --overwrite --quiet >/dev/null
fi
printf '%-11s %5s %6s %10s %8s %6s %9s %6s %11s %7s %10s\n' model ranks batch px/s ms/step data% compute% wait% allreduce% optim% grad_bytes
for model in sample-fcn unet-small; do
  for ranks in 1 2; do
    run="$work/run-$model-$ranks"
    mpirun -n "$ranks" "$strata" train --data "$work/dataset" --out "$run" --model "$model" --epochs 2 --batch 8 \
      --threads 1 --overwrite > "$run.log" 2>&1
    bytes=$(sed -n 's/.* \([0-9]*\) parameters.*/\1/p' "$run.log" | head -1)
    /usr/bin/python3 - "$run/metrics.jsonl" "$model" "$ranks" "$((bytes * 4))" <<'EOF'
import json, sys
line = [json.loads(l) for l in open(sys.argv[1])][-1]
t = line["step_time"]
total = sum(v for k, v in t.items() if k.endswith("_s"))
pct = lambda k: 100 * t[k] / total
print(f"{sys.argv[2]:<11} {sys.argv[3]:>5} {8 * int(sys.argv[3]):>6} {line['train_px_per_s']:>10.0f} "
      f"{1e3 * total / t['steps']:>8.1f} {pct('data_s'):>6.1f} {pct('compute_s'):>9.1f} {pct('wait_s'):>6.1f} "
      f"{pct('allreduce_s'):>11.2f} {pct('optimizer_s'):>7.2f} {sys.argv[4]:>10}")
EOF
  done
done
