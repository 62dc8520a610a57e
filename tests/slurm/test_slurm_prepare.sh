#!/usr/bin/env bash
# ctest -L slurm: slurm/prepare.sbatch on a real one-node Slurm cluster (slurm/local).
#   test_slurm_prepare.sh STRATA_BINARY SOURCE_DIR
# Starts a private cluster in a temporary state dir (always stopped on exit), makes a small
# synthetic time series, and submits:
#   1. a 2-rank prepare -> COMPLETED 0:0, manifest.json with 100 patches, log shows 2 ranks;
#   2. a prepare with a bad argument -> FAILED, non-zero exit, one-line `strata: error:` in the log
#      (the same line from each rank that got to print it);
#   3. train.sbatch on that dataset, 2 ranks, warned with USR1 while training -> checkpoint,
#      requeue, resume, COMPLETED 0:0 (or, with a strata that has no train command, FAILED
#      with the job script's message).
#   4. predict.sbatch with that model on 2 ranks -> a VRT per scene.
# Exit 77 (ctest: skipped) where Slurm/munge are not installed or we are not root, unless
# STRATA_REQUIRE_SLURM=1 (CI), where that is a failure. STRATA_KEEP_TEST_DIR=1 keeps the
# temporary directory (cluster logs, job logs, outputs) even when the test passes.
set -euo pipefail

strata=${1:?usage: test_slurm_prepare.sh STRATA_BINARY SOURCE_DIR}
src=$(cd "${2:?usage: test_slurm_prepare.sh STRATA_BINARY SOURCE_DIR}" && pwd)
cluster=$src/slurm/local/local-slurm.sh

# CI sets STRATA_REQUIRE_SLURM=1: there a missing Slurm is a broken setup, not a reason to skip
skip() {
  [[ ${STRATA_REQUIRE_SLURM:-0} == 1 ]] && { echo "FAIL (STRATA_REQUIRE_SLURM=1): $*" >&2; exit 1; }
  echo "SKIP: $*"; exit 77
}
fail() { echo "FAIL: $*" >&2; exit 1; }
for tool in munged slurmctld slurmd sbatch squeue scontrol; do
  command -v "$tool" >/dev/null || skip "$tool not installed (scripts/setup.sh installs slurm-wlm munge)"
done
[[ $(id -u) -eq 0 ]] || skip "the local Slurm cluster runs its daemons as root (SlurmUser=root)"
[[ -x $strata ]] || fail "no strata binary at $strata"
strata=$(realpath "$strata")   # jobs run in another directory

# Fixed default ports, unless something (another engineer's cluster) listens there: then the
# next free pair, so the test neither fails nor disturbs it.
port_free() { ! ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }
for base in 6817 16817 26817 36817; do
  if port_free "$base" && port_free $((base + 1)); then
    export LOCAL_SLURM_CTLD_PORT=$base LOCAL_SLURM_D_PORT=$((base + 1)); break
  fi
done
[[ -n ${LOCAL_SLURM_CTLD_PORT:-} ]] || fail "no free port pair for slurmctld/slurmd"

# the jobs ask for 2 tasks; on a 1-CPU machine they would pend forever, so advertise 2 CPUs there
(($(nproc) >= 2)) || export LOCAL_SLURM_CPUS=2

work=$(mktemp -d /tmp/strata-slurm-test-XXXXXX)
chmod 755 "$work"   # munged wants o+x on every directory above its socket (mktemp -d gives 700)
state=$work/cluster
cleanup() {
  local rc=$?
  "$cluster" stop "$state" || rc=1
  # the daemons are gone: their ports must be free again for the next run
  port_free "$LOCAL_SLURM_CTLD_PORT" && port_free "$LOCAL_SLURM_D_PORT" ||
    { echo "FAIL: ports $LOCAL_SLURM_CTLD_PORT/$LOCAL_SLURM_D_PORT still in use after stop" >&2; rc=1; }
  ((rc == 0)) && [[ -z ${STRATA_KEEP_TEST_DIR:-} ]] && rm -rf "$work" || echo "kept $work for inspection" >&2
  exit "$rc"
}
trap cleanup EXIT
# ctest kills on TIMEOUT; INT/TERM still go through cleanup so no daemon outlives the test
trap 'exit 130' INT TERM
# set -e stops at the first failing command: say which
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND" >&2' ERR

secs() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(secs)" 'BEGIN { printf "%.2f", b - a }'; }

t=$(secs)
env_lines=$("$cluster" start "$state")   # not inside eval "$(...)": set -e would miss a failure
eval "$env_lines"
echo "cluster up in $(elapsed "$t") s (ports $LOCAL_SLURM_CTLD_PORT/$LOCAL_SLURM_D_PORT)"

cd "$work"   # relative job arguments are relative to the submit directory
"$strata" synth --out D --size 256 --dates 3 --quiet
labels=$(ls D/worldcover_*.tif | sed -n 2p)
[[ -n $labels ]] || fail "synth made no second worldcover_*.tif"
export STRATA=$strata   # the build under test, not whatever build/bin/strata holds

# wait_job ID EXPECTED_STATE EXIT_PATTERN [TIMEOUT_S]: the final JobState and ExitCode (a glob) must match
wait_job() {
  local out
  # 60 s (120 s for the requeued train job): together well inside ctest's TIMEOUT, so cleanup runs
  out=$("$cluster" wait "$state" "$1" "${4:-60}") || true
  echo "job $1: $out"
  # shellcheck disable=SC2053  # $3 is a pattern on purpose
  [[ $out == *"JobState=$2 "* && ${out##*ExitCode=} == $3 ]] || { cat "job-$1.out" >&2; fail "job $1: want $2 $3, got '$out'"; }
}

# 1. a good job on 2 ranks
t=$(secs)
job=$(sbatch --parsable -n 2 -o 'job-%j.out' "$src/slurm/prepare.sbatch" \
  --scenes 'D/S2_*.tif' --labels "$labels" --out OUT --patch 32 --patches 100)
wait_job "$job" COMPLETED 0:0
echo "prepare job: submit -> done in $(elapsed "$t") s"
[[ -s OUT/manifest.json ]] || fail "no OUT/manifest.json"
python3 - OUT/manifest.json <<'EOF' || fail "manifest.json does not describe 100 patches in shards that exist"
import json, os, sys
m = json.load(open(sys.argv[1]))
shards = m["shards"]
total = sum(s["patches"] for s in shards)
assert total == 100, f"{total} patches in shards"
assert sum(v["patches"] for v in m["splits"].values()) == 100, m["splits"]
for s in shards:
    assert os.path.getsize(os.path.join(os.path.dirname(sys.argv[1]), s["file"])) > 0, s["file"]
print(f"manifest: {len(shards)} shard(s), {total} patches")
EOF
grep -q '2 rank(s)' "job-$job.out" || { cat "job-$job.out" >&2; fail "the log does not show 2 ranks"; }
echo "log: $(grep -m1 '2 rank(s)' "job-$job.out")"
grep -q 'srun --mpi=pmix' "job-$job.out" || fail "the log does not show the srun line"

# 2. a bad argument: the job fails and says why, in one line per rank
job=$(sbatch --parsable -n 2 -o 'job-%j.out' "$src/slurm/prepare.sbatch" \
  --scenes 'D/S2_*.tif' --labels "$labels" --out BAD --patch banana)
# Any non-zero code: strata exits 2 on each rank, but srun --kill-on-bad-exit may terminate the
# second rank first, and srun then reports 143 (measured: both happen)
wait_job "$job" FAILED '[1-9]*:0'
errors=$(grep '^strata: error: ' "job-$job.out" || true)
[[ -n $errors ]] || { cat "job-$job.out" >&2; fail "no 'strata: error:' line in the failed job's log"; }
[[ $(sort -u <<<"$errors" | wc -l) -eq 1 && $errors == *patch* ]] ||
  fail "want one error message about --patch, got: $errors"
echo "bad argument: $(head -1 <<<"$errors")"
[[ ! -e BAD/manifest.json ]] || fail "a failed job wrote a manifest"

# 3. train.sbatch: 2 ranks train on the dataset of job 1, and are warned (USR1 to the batch
#    shell, as --signal=B:USR1@300 does before the time limit) once training runs: they
#    checkpoint, the job is requeued and the second run resumes and finishes. Or, with a strata
#    built before `strata train` existed, the job stops with the job script's clear message.
if "$strata" train --help >/dev/null 2>&1; then
  t=$(secs)
  epochs=60   # ~0.2 s each here: long enough to be running when the warning comes
  job=$(sbatch --parsable -n 2 -o 'job-%j.out' "$src/slurm/train.sbatch" \
    --data OUT --out RUN --model sample-fcn --epochs $epochs --batch 4)
  for ((i = 0; i < 240; i++)); do grep -q ' step [0-9]*/' "job-$job.out" 2>/dev/null && break; sleep 0.25; done
  ((i < 240)) || { cat "job-$job.out" >&2; fail "train job $job never started a step"; }
  scancel --signal=USR1 --batch "$job"
  wait_job "$job" COMPLETED 0:0 120   # a requeued job restarts after cred_expire (10 s) + a backfill pass
  echo "train job with a requeue: submit -> done in $(elapsed "$t") s"
  out=$(cat "job-$job.out")
  [[ $(scontrol show job -o "$job") == *" Restarts=1 "* ]] || { echo "$out" >&2; fail "train job $job was not requeued once"; }
  for want in "USR1: time limit or preemption near" "signal received" "adding --resume" "resuming " "epoch $epochs/$epochs:" "2 rank(s)"; do
    [[ $out == *"$want"* ]] || { echo "$out" >&2; fail "the train log lacks '$want'"; }
  done
  [[ -s RUN/latest.h5 && $(grep -c '"epoch"' RUN/metrics.jsonl) -eq $epochs ]] ||
    fail "RUN/latest.h5 missing or metrics.jsonl does not hold $epochs epochs"

  # 4. predict.sbatch: the trained model maps every scene on 2 ranks sharing the tiles.
  t=$(secs)
  job=$(sbatch --parsable -n 2 -o 'job-%j.out' "$src/slurm/predict.sbatch" \
    --model RUN/latest.h5 --scenes 'D/S2_*.tif' --out MAPS --tile 64)
  wait_job "$job" COMPLETED 0:0
  echo "predict job: submit -> done in $(elapsed "$t") s"
  out=$(cat "job-$job.out")
  [[ $out == *"2 rank(s)"* && $out == *" 0 already current"* ]] || { echo "$out" >&2; fail "the predict log is not of a 2-rank first run"; }
  n_scenes=$(ls D/S2_*.tif | grep -vc _QA)
  [[ $(ls MAPS/*.vrt | wc -l) -eq $n_scenes && -s MAPS/predict.json ]] || fail "predict.sbatch did not write a VRT per scene"
else
  job=$(sbatch --parsable -n 1 -o 'job-%j.out' "$src/slurm/train.sbatch" --config none.toml)
  wait_job "$job" FAILED 1:0
  grep -q "^strata-job: error: .*has no working 'train' command" "job-$job.out" ||
    { cat "job-$job.out" >&2; fail "train.sbatch did not explain that strata train is missing"; }
  echo "train.sbatch: $(grep '^strata-job: error' "job-$job.out")"
fi
echo "PASS"
