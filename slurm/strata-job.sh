# shellcheck shell=bash
# strata-job.sh - sourced by slurm/*.sbatch (not run on its own): finds the strata binary,
# sets the MPI environment and runs `srun --mpi=pmix strata CMD ...` so that the job is
# requeued when Slurm warns it (USR1) before the time limit or a preemption.
#
# Why a helper: sbatch copies the job script into slurmd's spool directory, so the three job
# scripts cannot find their siblings from their own path; they source this file from the
# repository (see strata_job_repo in each script) and stay a few lines long.

strata_job_die() {
  echo "strata-job: error: $*" >&2
  exit 1
}
strata_job_log() { echo "strata-job: $*" >&2; }

# strata_job_find_binary REPO: $STRATA, else REPO/build/bin/strata (scripts/build.sh's output).
strata_job_find_binary() {
  STRATA=${STRATA:-$1/build/bin/strata}
  [[ -x $STRATA ]] || strata_job_die "no strata binary at '$STRATA': build it (scripts/build.sh) or set STRATA=/path/to/strata"
  export STRATA
}

# strata_job_require_command CMD: a clear error, before any rank starts, when this strata has no
# CMD (train and predict land with issue 5; until then their job scripts stop here).
strata_job_require_command() {
  "$STRATA" "$1" --help >/dev/null 2>&1 ||
    strata_job_die "'$STRATA' has no working '$1' command ('strata $1 --help' fails); build a strata that has it"
}

# strata_job_mpi_env: Open MPI settings that are right for srun direct launch anywhere.
strata_job_mpi_env() {
  # srun direct launch needs no ALLOW_RUN_AS_ROOT, but a user's own `mpirun` inside the
  # allocation does when jobs run as root (containers, our CI); harmless otherwise.
  if [[ $(id -u) -eq 0 ]]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  fi
  # More ranks than cores (sbatch -O/--overcommit): Open MPI does not know it is oversubscribed
  # under srun and busy-polls, about 10x slower (measured); yielding fixes it.
  if [[ ${SLURM_OVERCOMMIT:-0} == 1 ]]; then
    export OMPI_MCA_mpi_yield_when_idle=${OMPI_MCA_mpi_yield_when_idle:-1}
  fi
  # One thread per CPU Slurm gave the task (OpenBLAS and OpenMP would otherwise take the node).
  export OMP_NUM_THREADS=${OMP_NUM_THREADS:-${SLURM_CPUS_PER_TASK:-1}}
  export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-$OMP_NUM_THREADS}
}

# strata_job_requeue_on_usr1: with `#SBATCH --requeue --signal=B:USR1@SECONDS`, Slurm sends USR1
# to this batch shell SECONDS before the time limit. We pass USR1 on to the ranks (scancel
# signals the job's steps): strata train checkpoints at the next step boundary and exits 0;
# strata prepare, which has no handler, just ends. When the step is over, the job is requeued
# and runs again later (same log, --open-mode=append), finishing from what is on disk: prepare
# keeps complete shards, train gets --resume (strata_job_resume_args). Requeueing at once
# instead would leave train only KillWait seconds to write its checkpoint before SIGKILL.
# A preemption with PreemptMode=REQUEUE requeues a --requeue job without this handler (the
# ranks get SIGTERM, which train also answers with a checkpoint).
STRATA_JOB_REQUEUE=0
strata_job_requeue_on_usr1() {
  trap 'STRATA_JOB_REQUEUE=1
        strata_job_log "USR1: time limit or preemption near; stopping the ranks, then requeueing job ${SLURM_JOB_ID:-?}"
        scancel --signal=USR1 "${SLURM_JOB_ID:?}" || strata_job_log "scancel --signal=USR1 failed"' USR1
}

# strata_job_resume_args ARGS...: prints ARGS (one per line) plus --resume when this is a
# requeued run (SLURM_RESTART_COUNT > 0) and --resume is not there yet.
strata_job_resume_args() {
  local a
  (($#)) && printf '%s\n' "$@"
  ((${SLURM_RESTART_COUNT:-0} > 0)) || return 0
  for a in "$@"; do [[ $a == --resume ]] && return 0; done
  strata_job_log "requeued run ${SLURM_RESTART_COUNT}: adding --resume"
  echo --resume
}

# strata_job_srun CMD ARGS...: srun --mpi=pmix strata CMD ARGS..., in the background so that
# the USR1 trap runs while the step runs (bash defers traps until a foreground child exits).
strata_job_srun() {
  # pmix: Debian's (and most) Open MPI direct-launch through PMIx; pmi2/none fail in MPI_Init.
  # --kill-on-bad-exit: one failing rank ends the step instead of leaving the others in a
  # collective until the time limit. The price: srun then reports the highest exit code, often
  # 143 (a terminated rank) rather than strata's 1 or 2; the log keeps strata's error line.
  strata_job_log "job ${SLURM_JOB_ID:-none} on ${SLURM_JOB_NODELIST:-?}: ${SLURM_NTASKS:-1} task(s): srun --mpi=pmix $STRATA $*"
  srun --mpi=pmix --kill-on-bad-exit=1 "$STRATA" "$@" &
  local pid=$! rc=0
  while :; do
    wait "$pid" && rc=0 || rc=$?
    # wait returns >128 when a trapped signal interrupts it while the step still runs
    ((rc > 128)) && kill -0 "$pid" 2>/dev/null && continue
    break
  done
  if ((STRATA_JOB_REQUEUE)); then
    strata_job_log "step ended (exit $rc); requeueing job $SLURM_JOB_ID"
    scontrol requeue "$SLURM_JOB_ID" || strata_job_die "scontrol requeue $SLURM_JOB_ID failed"
    return 0
  fi
  return "$rc"
}
