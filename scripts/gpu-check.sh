#!/usr/bin/env bash
# The first thing to run on a machine with a GPU (docs/cuda.md): builds the minimal
# configuration (CUDA, cuDNN, NCCL; no GDAL, HDF5, MPI, OpenBLAS) with all cores, runs every
# `gpu` test on the device with STRATA_REQUIRE_GPU=1 (a missing GPU fails instead of skipping),
# compute-sanitizer's memcheck, racecheck and initcheck over the op tests, bench_cuda_conv (ours
# against cuDNN per layer, px/s per model and precision) and PyTorch on the same GPU and models,
# and writes one summary, summary.json and summary.txt, into the directory given.
#   scripts/gpu-check.sh OUT_DIR          (about 6 minutes on a 16-core H100 machine)
# Needs: nvcc (CUDA 12 or 13), cuDNN, GoogleTest, CMake >= 3.25, Ninja, python3 with PyTorch.
# Each step has a time limit so the whole stays under 8 minutes; a step that runs out says so.
set -uo pipefail
if [[ $# -ne 1 ]]; then
  echo "usage: scripts/gpu-check.sh OUT_DIR" >&2
  exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "$1" && cd "$1" && pwd) || { echo "strata: error: $1: cannot create the directory" >&2; exit 1; }
build=${STRATA_BUILD_DIR:-$root/build-gpu}
jobs=$(nproc)
[[ -d /usr/local/cuda/bin ]] && PATH=$PATH:/usr/local/cuda/bin  # nvcc and compute-sanitizer, where the toolkit puts them
python=${PYTHON:-python3}
steps="$out/steps.tsv"  # name, status, seconds, log: one line per step, for the summary
: >"$steps"
# Every step ends by this time, whatever its own limit: the whole run stays under 8 minutes.
deadline=$(($(date +%s) + ${STRATA_GPU_CHECK_SECONDS:-450}))

# run NAME LIMIT_SECONDS COMMAND...: its output into NAME.log, its status and time into steps.tsv;
# the limit is cut to what is left before the deadline, and a step with no time left is skipped.
run() {
  local name=$1 limit=$2 start status left
  shift 2
  left=$((deadline - $(date +%s)))
  ((left < limit)) && limit=$left
  if ((limit < 5)); then
    printf '%s\tskipped (no time left)\t0\t-\n' "$name" >>"$steps"
    echo "gpu-check: $name: skipped, no time left" >&2
    return 1
  fi
  start=$(date +%s%N)
  echo "gpu-check: $name ..." >&2
  timeout --signal=TERM --kill-after=10 "$limit" "$@" >"$out/$name.log" 2>&1
  status=$?
  [[ $status -eq 124 || $status -eq 137 ]] && echo "gpu-check: $name ran out of its ${limit} s" >>"$out/$name.log"
  awk -v n="$name" -v s="$status" -v a="$start" -v b="$(date +%s%N)" 'BEGIN { printf "%s\t%s\t%.1f\t%s.log\n", n, s, (b - a) / 1e9, n }' >>"$steps"
  echo "gpu-check: $name: status $status" >&2
  return $status
}

{
  echo "date: $(date -u +%FT%TZ)"
  echo "commit: $(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | sed 's/^/gpu: /' ||
    echo "gpu: none (no nvidia-smi)"
  echo "nvcc: $(nvcc --version 2>/dev/null | tail -1 || echo missing)"
  echo "cores: $jobs"
} >"$out/machine.txt"

run configure 60 cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSTRATA_CUDA=ON \
  -DSTRATA_CUDA_EMULATOR=OFF -DSTRATA_WITH_GDAL=OFF -DSTRATA_WITH_HDF5=OFF -DSTRATA_WITH_MPI=OFF \
  -DSTRATA_WITH_OPENBLAS=OFF -DSTRATA_BUILD_TESTS=ON -DSTRATA_BUILD_BENCHMARKS=ON
built=$?
if [[ $built -eq 0 ]]; then
  run build 180 cmake --build "$build" -j"$jobs"
  built=$?
fi

if [[ $built -eq 0 ]]; then
  # Every gpu case on the device; none may skip for want of a GPU.
  run ctest_gpu 60 env STRATA_REQUIRE_GPU=1 ctest --test-dir "$build" -L gpu -LE emulated -j4 \
    --output-on-failure --output-junit "$out/ctest_gpu.xml"
  # The op tests' CUDA cases under each sanitizer tool; racecheck and initcheck on the fp32 cases
  # (the tensor-core kernel's shared memory is the same as under memcheck's run).
  ops=("$build/tests/test_backend_ops")
  for tool in memcheck racecheck initcheck; do
    filter='*cuda*'
    [[ $tool != memcheck ]] && filter='*cuda_*:-*tf32*:*bf16*'
    run "sanitizer_$tool" 45 compute-sanitizer --tool "$tool" --error-exitcode 99 --print-limit 20 \
      "${ops[@]}" "--gtest_filter=$filter"
  done
  if [[ -x "$build/benchmarks/bench_cuda_conv" ]]; then
    run bench_cuda_conv 60 "$build/benchmarks/bench_cuda_conv" --precision all --seconds 0.2
  else
    printf 'bench_cuda_conv\tnot built (no cuDNN found)\t0\t-\n' >>"$steps"
  fi
fi
run torch_cuda 45 "$python" "$root/benchmarks/torch_cuda_bench.py" --seconds 1

"$python" - "$out" <<'PY'
import json, os, re, sys
import xml.etree.ElementTree as ET
out = sys.argv[1]
def text(name):
    p = os.path.join(out, name)
    return open(p, errors="replace").read() if os.path.exists(p) else ""
summary = {"machine": dict(l.split(": ", 1) for l in text("machine.txt").splitlines() if ": " in l), "steps": []}
for line in text("steps.tsv").splitlines():
    name, status, seconds, log = line.split("\t")
    summary["steps"].append({"name": name, "status": status, "seconds": float(seconds), "log": log})
junit = os.path.join(out, "ctest_gpu.xml")
if os.path.exists(junit):
    cases = ET.parse(junit).getroot().iter("testcase")
    tests = {"passed": 0, "failed": [], "skipped": []}
    for c in cases:
        status = c.get("status", "run")
        if c.find("failure") is not None or status == "fail":
            tests["failed"].append(c.get("name"))
        elif c.find("skipped") is not None or status in ("notrun", "disabled"):
            tests["skipped"].append(c.get("name"))
        else:
            tests["passed"] += 1
    summary["ctest_gpu"] = tests
for tool in ("memcheck", "racecheck", "initcheck"):
    log = text(f"sanitizer_{tool}.log")
    m = re.search(r"ERROR SUMMARY: (\d+) error", log) or re.search(r"RACECHECK SUMMARY: (\d+) hazard", log)
    status = next((s["status"] for s in summary["steps"] if s["name"] == f"sanitizer_{tool}"), "not run")
    summary[f"sanitizer_{tool}"] = {"errors": int(m.group(1)) if m else None, "status": status,
                                    "first": [l for l in log.splitlines() if l.startswith("=========")][:12]}
summary["bench_cuda_conv"] = [l for l in text("bench_cuda_conv.log").splitlines() if l.strip()]
summary["torch_cuda"] = [json.loads(l) for l in text("torch_cuda.log").splitlines() if l.startswith("{")]
with open(os.path.join(out, "summary.json.tmp"), "w") as f:
    json.dump(summary, f, indent=1)
os.replace(os.path.join(out, "summary.json.tmp"), os.path.join(out, "summary.json"))
lines = ["strata gpu-check " + summary["machine"].get("date", ""), *(f"  {k}: {v}" for k, v in summary["machine"].items())]
lines.append("steps:")
lines += [f"  {s['name']:<20} status {s['status']:<4} {s['seconds']:7.1f} s  ({s['log']})" for s in summary["steps"]]
if "ctest_gpu" in summary:
    t = summary["ctest_gpu"]
    lines.append(f"ctest -L gpu on the device: {t['passed']} passed, {len(t['failed'])} failed, {len(t['skipped'])} skipped")
    lines += [f"  FAILED {n}" for n in t["failed"]] + [f"  skipped {n}" for n in t["skipped"]]
for tool in ("memcheck", "racecheck", "initcheck"):
    r = summary[f"sanitizer_{tool}"]
    lines.append(f"compute-sanitizer {tool}: " + (f"{r['errors']} errors" if r["errors"] is not None
                                                  else f"no summary (status {r['status']}, see sanitizer_{tool}.log)"))
lines.append("bench_cuda_conv:")
lines += ["  " + l for l in summary["bench_cuda_conv"]]
lines.append("PyTorch on the same GPU (px/s):")
lines += [f"  {r['model']:<11} {r['precision']:<5} {r['mode']:<9} {r['px_per_s']:10.3e}" for r in summary["torch_cuda"]]
with open(os.path.join(out, "summary.txt.tmp"), "w") as f:
    f.write("\n".join(lines) + "\n")
os.replace(os.path.join(out, "summary.txt.tmp"), os.path.join(out, "summary.txt"))
print("\n".join(lines))
PY
# The exit status: 0 only when the build, the device tests and every sanitizer passed.
awk -F'\t' '$1 ~ /^(configure|build|ctest_gpu|sanitizer_)/ && $2 != 0 { bad = 1 } END { exit bad }' "$steps"
