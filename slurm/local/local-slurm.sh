#!/usr/bin/env bash
# local-slurm.sh - strata's throw-away one-node Slurm cluster (Slurm 22.05 + a private munged),
# for tests and for trying the job scripts in slurm/ on one machine. Runs as root in a
# container/VM WITHOUT systemd; Debian 12 packages: slurm-wlm munge libpmix2 openmpi-bin
# (scripts/setup.sh installs them). Based on the measured recipe in
# ../shared/notes/local-slurm.example.sh; see slurm/README.md.
#
#   local-slurm.sh start  [STATE_DIR]   # idempotent; prints `export SLURM_CONF=...` lines
#   local-slurm.sh stop   [STATE_DIR]   # idempotent; stops only the daemons it started (by PID file)
#   local-slurm.sh status [STATE_DIR]   # exit 0 only if munged, slurmctld and slurmd all run
#   local-slurm.sh env    [STATE_DIR]   # prints the env lines to eval
#   local-slurm.sh wait   STATE_DIR JOBID [TIMEOUT_S]
#        # fast (0.25 s) replacement for 'sbatch --wait': prints final state(s); exit 0 only if
#        # every element is COMPLETED with ExitCode 0:0 (sbatch --wait returns 0 for CANCELLED),
#        # 1 otherwise, 124 on timeout
#
# STATE_DIR defaults to $LOCAL_SLURM_DIR or /tmp/strata-slurm. Everything (config,
# munge key+socket, spool, logs, pid files) lives under it; nothing is written
# to /etc. Clients find the config through SLURM_CONF, so run
#     eval "$(local-slurm.sh start DIR)"      # or: eval "$(local-slurm.sh env DIR)"
# before sbatch/srun/squeue/scontrol.
#
# Tunables (env): LOCAL_SLURM_CTLD_PORT (6817), LOCAL_SLURM_D_PORT (6818),
#   LOCAL_SLURM_NODE (localhost), LOCAL_SLURM_PARTITION (ci),
#   LOCAL_SLURM_MPI_DEFAULT (pmix), LOCAL_SLURM_KEEP_STATE=1 (do not pass -c to slurmctld),
#   LOCAL_SLURM_TIMEOUT (60 s to wait for the node to become idle),
#   LOCAL_SLURM_CRED_EXPIRE (10 s; also the delay before a requeued job may restart),
#   LOCAL_SLURM_MIN_JOB_AGE (300 s that finished jobs stay queryable; >=2),
#   LOCAL_SLURM_CPUS (advertise N CPUs instead of the real count; uses config_overrides),
#   LOCAL_SLURM_TASK_PLUGIN (task/affinity, or task/none when LOCAL_SLURM_CPUS is set;
#     use task/none if CPU binding misbehaves in your container).
# start is idempotent: if all daemons already run it changes nothing (new settings need stop+start).
set -euo pipefail

CMD=${1:-}
D=${2:-${LOCAL_SLURM_DIR:-/tmp/strata-slurm}}
CTLD_PORT=${LOCAL_SLURM_CTLD_PORT:-6817}
SLURMD_PORT=${LOCAL_SLURM_D_PORT:-6818}
NODE=${LOCAL_SLURM_NODE:-localhost}
PART=${LOCAL_SLURM_PARTITION:-ci}
MPI_DEFAULT=${LOCAL_SLURM_MPI_DEFAULT:-pmix}
TIMEOUT=${LOCAL_SLURM_TIMEOUT:-60}
CRED_EXPIRE=${LOCAL_SLURM_CRED_EXPIRE:-10}
MIN_JOB_AGE=${LOCAL_SLURM_MIN_JOB_AGE:-300}
# task/affinity cannot bind to CPUs that do not exist ("Unable to layout tasks on given cpus"),
# so a faked CPU count (LOCAL_SLURM_CPUS) implies task/none
if [[ -n ${LOCAL_SLURM_CPUS:-} ]]; then TASK_PLUGIN=${LOCAL_SLURM_TASK_PLUGIN:-task/none}
else TASK_PLUGIN=${LOCAL_SLURM_TASK_PLUGIN:-task/affinity}; fi

die() {
  echo "local-slurm: error: $*" >&2
  local f; for f in "${D:-/nonexistent}"/log/*.log; do [[ -s $f ]] && { echo "--- tail $f" >&2; tail -n 5 "$f" >&2; }; done
  exit 1
}
log() { echo "local-slurm: $*" >&2; }

[[ $CMD =~ ^(start|stop|status|env|wait)$ ]] || { sed -n '2,/^set -euo/p' "$0" | grep '^#'; exit 2; }
[[ $(id -u) -eq 0 ]] || die "must run as root (SlurmUser=root, private munged)"
mkdir -p "$D"
D=$(cd "$D" && pwd -P)          # absolute path: it goes into slurm.conf
CONF=$D/etc/slurm.conf
SOCK=$D/munge/munge.socket.2

# pid_alive PIDFILE COMM -> 0 if the pid in PIDFILE is alive (not a zombie) AND is the expected
# program. (A killed daemon can linger as a zombie until PID 1 reaps it; /proc/PID/comm still reads.)
pid_alive() {
  local f=$1 comm=$2 p st
  [[ -s $f ]] || return 1
  p=$(<"$f"); [[ $p =~ ^[0-9]+$ ]] || return 1
  [[ -r /proc/$p/comm && $(</proc/$p/comm) == "$comm" ]] || return 1
  st=$(awk '/^State:/ {print $2; exit}' "/proc/$p/status" 2>/dev/null || true)
  [[ -n $st && $st != Z && $st != X ]]
}
pid_of() { cat "$1"; }

# wait_gone PIDFILE COMM SECONDS
wait_gone() {
  local i
  for ((i = 0; i < $3 * 10; i++)); do pid_alive "$1" "$2" || return 0; sleep 0.1; done
  return 1
}

print_env() {
  echo "export SLURM_CONF=$CONF"
  # mpirun as root + container-safe Open MPI defaults (harmless on bare metal)
  echo "export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1"
  # CMA (process_vm_readv) is blocked by Docker's default seccomp profile -> vader errors; 'none' is safe
  echo "export OMPI_MCA_btl_vader_single_copy_mechanism=none"
  # single node: never needs ssh; an empty agent avoids 'plm_rsh_agent: ssh : rsh ... could not be found'
  echo "export OMPI_MCA_plm_rsh_agent="
  # mpirun -np N > cores without --oversubscribe (e.g. ctest via MPIEXEC_EXECUTABLE)
  echo "export OMPI_MCA_rmaps_base_oversubscribe=1"
  # ranks > cores (srun -O / --oversubscribe): without this, busy-polling ranks are ~10x slower
  echo "export OMPI_MCA_mpi_yield_when_idle=1"
  # PMIx under srun: hash GDS instead of the shared-memory one (not needed here, harmless)
  echo "export PMIX_MCA_gds=hash"
}

port_busy() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }

write_config() {
  mkdir -p "$D/etc" "$D/spool/ctld" "$D/spool/d" "$D/log" "$D/run" "$D/munge"
  chmod 755 "$D" "$D/munge"   # munged: every dir on the socket path needs o+x, none may be o+w (unless sticky)
  # Real hardware as slurmd sees it ("NodeName=x CPUs=2 Boards=1 ... RealMemory=24105")
  local hw cpus boards sockets cores threads mem
  hw=$(slurmd -C | head -1)
  cpus=$(sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' <<<"$hw")
  boards=$(sed -n 's/.*Boards=\([0-9]*\).*/\1/p' <<<"$hw")
  sockets=$(sed -n 's/.*SocketsPerBoard=\([0-9]*\).*/\1/p' <<<"$hw")
  cores=$(sed -n 's/.*CoresPerSocket=\([0-9]*\).*/\1/p' <<<"$hw")
  threads=$(sed -n 's/.*ThreadsPerCore=\([0-9]*\).*/\1/p' <<<"$hw")
  mem=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$hw")
  mem=$((mem * 95 / 100))      # never claim more than slurmd will measure (else node -> INVAL/DRAIN)
  local overrides=""
  if [[ -n ${LOCAL_SLURM_CPUS:-} && ${LOCAL_SLURM_CPUS} != "$cpus" ]]; then
    # pretend to have N CPUs (e.g. 4 ranks on 2 cores without --overcommit); needs config_overrides,
    # otherwise slurmd registers with fewer CPUs than configured and the node is drained
    cpus=$LOCAL_SLURM_CPUS boards=1 sockets=1 cores=$LOCAL_SLURM_CPUS threads=1
    overrides="SlurmdParameters=config_overrides"
  fi
  cat >"$CONF" <<EOF
# generated by local-slurm.sh - single node, no systemd, no cgroups, no accounting
ClusterName=localci
SlurmctldHost=localhost
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# cred_expire also delays the restart of a requeued job (default 120 s)
AuthInfo=socket=$SOCK,cred_expire=$CRED_EXPIRE
StateSaveLocation=$D/spool/ctld
SlurmdSpoolDir=$D/spool/d
SlurmctldPidFile=$D/run/slurmctld.pid
SlurmdPidFile=$D/run/slurmd.pid
SlurmctldLogFile=$D/log/slurmctld.log
SlurmdLogFile=$D/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=$D/etc/plugstack.conf
# no cgroups: process tracking via /proc parentage; task/affinity binds tasks with
# sched_setaffinity only (no cgroup). task/none also works but leaves srun ranks unbound.
ProctrackType=proctrack/linuxproc
TaskPlugin=$TASK_PLUGIN
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
# jobs that become eligible by time (requeue, --begin) are only started by the backfill pass
# (default every 30 s) or the periodic main pass (60 s); 1 s costs nothing on one node
SchedulerParameters=bf_interval=1
MpiDefault=$MPI_DEFAULT
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
# No sacct: finished jobs stay visible to 'scontrol show job' / 'squeue -t all' for MinJobAge s
# (22.05 rejects 0 -> forced to 2). NB 'sbatch --wait' polls after 2 s, then 8 s, then every 32 s
# once MinJobAge >= 6 / >= 17; MinJobAge<=5 keeps it at 2 s but jobs vanish within seconds.
MinJobAge=$MIN_JOB_AGE
# permanent one-line-per-job record (JobId, JobState, ExitCode, times), no slurmdbd needed
JobCompType=jobcomp/filetxt
JobCompLoc=$D/log/jobcomp.txt
# an afterok dependency on a failed job cancels the dependent job instead of leaving it PENDING forever
DependencyParameters=kill_invalid_depend
MailProg=/bin/true
$overrides
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$cpus Boards=$boards SocketsPerBoard=$sockets CoresPerSocket=$cores ThreadsPerCore=$threads RealMemory=$mem State=UNKNOWN
PartitionName=$PART Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
  : >"$D/etc/plugstack.conf"   # keep /etc/slurm/plugstack.conf(.d) out of the picture
}

start_munged() {
  if pid_alive "$D/munge/munged.pid" munged; then return 0; fi
  if [[ ! -s $D/munge/munge.key ]]; then
    mungekey --create --keyfile="$D/munge/munge.key" 2>/dev/null ||
      { dd if=/dev/urandom of="$D/munge/munge.key" bs=1024 count=1 status=none; }
    chmod 600 "$D/munge/munge.key"
  fi
  # munged refuses a socket below a directory that is not o+x (e.g. a 700 mktemp -d dir) with a
  # message only in its log; say it here, and which directory, instead
  local dir=$D
  while [[ $dir != / ]]; do
    [[ $(stat -c %A "$dir") == ?????????[xt] ]] ||
      die "munged needs o+x on every directory above its socket: chmod o+x $dir (or pick another STATE_DIR)"
    dir=$(dirname "$dir")
  done
  rm -f "$SOCK" "$SOCK.lock"
  munged --socket="$SOCK" --key-file="$D/munge/munge.key" --pid-file="$D/munge/munged.pid" \
         --log-file="$D/log/munged.log" --seed-file="$D/munge/munged.seed" --num-threads=2 ||
    die "munged failed; see $D/log/munged.log"
  munge -n -S "$SOCK" | unmunge -S "$SOCK" >/dev/null || die "munge round-trip failed"
}

node_state() { sinfo -h -n "$NODE" -o %T 2>/dev/null | head -1; }

cmd_start() {
  local t0 t1 st i
  t0=$(date +%s.%N)
  if pid_alive "$D/run/slurmctld.pid" slurmctld && pid_alive "$D/run/slurmd.pid" slurmd &&
     pid_alive "$D/munge/munged.pid" munged; then
    log "already running (state dir $D)"; print_env; return 0
  fi
  command -v slurmctld >/dev/null || die "slurmctld not installed (apt-get install slurm-wlm munge)"
  if ! pid_alive "$D/run/slurmctld.pid" slurmctld; then
    port_busy "$CTLD_PORT" && die "port $CTLD_PORT busy (another slurmctld?) - set LOCAL_SLURM_CTLD_PORT"
  fi
  if ! pid_alive "$D/run/slurmd.pid" slurmd; then
    port_busy "$SLURMD_PORT" && die "port $SLURMD_PORT busy (another slurmd?) - set LOCAL_SLURM_D_PORT"
  fi
  write_config
  export SLURM_CONF=$CONF
  start_munged
  if ! pid_alive "$D/run/slurmctld.pid" slurmctld; then
    local clean=-c; [[ ${LOCAL_SLURM_KEEP_STATE:-0} == 1 ]] && clean=
    # daemonizes itself and writes SlurmctldPidFile
    slurmctld -f "$CONF" $clean || die "slurmctld failed; see $D/log/slurmctld.log"
  fi
  if ! pid_alive "$D/run/slurmd.pid" slurmd; then
    # -N: node name independent of the container's random hostname
    slurmd -f "$CONF" -N "$NODE" || die "slurmd failed; see $D/log/slurmd.log"
  fi
  for ((i = 0; i < TIMEOUT * 10; i++)); do
    st=$(node_state || true)      # 'idle*' (not responding), 'inval', 'drain' etc. are not ready
    [[ $st =~ ^(idle|mixed|allocated|completing)$ ]] && break
    sleep 0.1
  done
  [[ $st =~ ^(idle|mixed|allocated|completing)$ ]] ||
    die "node '$NODE' not ready after ${TIMEOUT}s (state '$st'); logs in $D/log"
  t1=$(date +%s.%N)
  log "up in $(awk "BEGIN{printf \"%.2f\", $t1-$t0}") s: node $NODE state=$st; config $CONF"
  print_env
}

cmd_stop() {
  export SLURM_CONF=$CONF
  local stopped=0 f grace=0 i
  if pid_alive "$D/run/slurmctld.pid" slurmctld; then
    # cancel what is left and let slurmd reap the job steps, so no slurmstepd/task outlives slurmd
    scancel --quiet --partition="$PART" 2>/dev/null || true
    for ((i = 0; i < 200; i++)); do
      [[ -z $(squeue -h -t running,completing,configuring,suspended -o %i 2>/dev/null) ]] && break
      sleep 0.1
    done
    # shuts down slurmctld and every registered slurmd
    timeout 10 scontrol shutdown >/dev/null 2>&1 && grace=15 || true
  fi
  for f in slurmd slurmctld; do
    pid_alive "$D/run/$f.pid" "$f" || continue
    stopped=1
    if ! wait_gone "$D/run/$f.pid" "$f" "$grace"; then
      log "$f still running; SIGTERM pid $(pid_of "$D/run/$f.pid")"
      kill -TERM "$(pid_of "$D/run/$f.pid")" 2>/dev/null || true
      wait_gone "$D/run/$f.pid" "$f" 10 || kill -KILL "$(pid_of "$D/run/$f.pid")" 2>/dev/null || true
    fi
  done
  ((grace)) && stopped=1
  if pid_alive "$D/munge/munged.pid" munged; then
    munged --stop --socket="$SOCK" >/dev/null 2>&1 || kill -TERM "$(pid_of "$D/munge/munged.pid")" 2>/dev/null || true
    wait_gone "$D/munge/munged.pid" munged 10 || kill -KILL "$(pid_of "$D/munge/munged.pid")" 2>/dev/null || true
    stopped=1
  fi
  rm -f "$D/run/slurmctld.pid" "$D/run/slurmd.pid" "$D/munge/munged.pid"
  if ((stopped)); then log "stopped (state dir $D)"; else log "nothing running (state dir $D)"; fi
}

cmd_status() {
  local f rc=0
  for f in "munge/munged.pid munged" "run/slurmctld.pid slurmctld" "run/slurmd.pid slurmd"; do
    set -- $f
    if pid_alive "$D/$1" "$2"; then echo "$2: running pid $(pid_of "$D/$1")"; else echo "$2: stopped"; rc=1; fi
  done
  if ((rc == 0)); then SLURM_CONF=$CONF sinfo -N -o '%N %T %C %m' || rc=1; fi
  return $rc
}

# wait JOBID [TIMEOUT]: poll squeue every 0.25 s; fall back to the jobcomp file once purged
cmd_wait() {
  local id=${1:?job id} to=${2:-86400} i out rc=0 line st ec
  export SLURM_CONF=$CONF
  for ((i = 0; i < to * 4; i++)); do
    out=$(squeue -h -t all -j "$id" -o '%i %T' 2>/dev/null || true)
    [[ -z $out ]] && break
    grep -q -E ' (PENDING|RUNNING|CONFIGURING|COMPLETING|REQUEUED|RESIZING|SIGNALING|STAGE_OUT|SUSPENDED|STOPPED)$' <<<"$out" || break
    sleep 0.25
  done
  ((i < to * 4)) || { echo "TIMEOUT: $out"; return 124; }
  out=$(scontrol show job -o "$id" 2>/dev/null || true)
  [[ -n $out ]] || out=$(grep -E "^JobId=$id |ArrayJobId=$id " "$D/log/jobcomp.txt" 2>/dev/null | tail -n 1 || true)
  [[ -n $out ]] || { echo "job $id unknown"; return 1; }
  while read -r line; do
    st=$(grep -o -E 'JobState=[A-Z_]+' <<<"$line" | head -1); ec=$(grep -o -E '(^| )ExitCode=[0-9:]+' <<<"$line" | head -1)
    echo "$(grep -o -E '^JobId=[0-9]+' <<<"$line") $(grep -o -E 'ArrayTaskId=[0-9]+' <<<"$line") $st ${ec# }"
    [[ $st == JobState=COMPLETED && ${ec# } == ExitCode=0:0 ]] || rc=1
  done <<<"$out"
  return $rc
}

case $CMD in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) print_env ;;
  wait) shift 2; cmd_wait "$@" ;;
esac
