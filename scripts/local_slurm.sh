#!/usr/bin/env bash
# A single-node SLURM cluster on this machine, for tests and benchmarks of the workflow's
# SLURM profile: munged, slurmctld and slurmd with every file (configuration, munge key
# and socket, state, spool, logs, pid files) under one directory, and free TCP ports, so
# it touches nothing of a system SLURM and two of them can run side by side.
#
#   scripts/local_slurm.sh start  [DIR]   start it; prints the two lines to `eval`:
#                                          export SLURM_CONF=DIR/slurm.conf PATH=DIR/bin:$PATH
#   scripts/local_slurm.sh status [DIR]   exit 0 and show the node if it is up
#   scripts/local_slurm.sh stop   [DIR]   cancel its jobs and stop its daemons
#
# DIR defaults to $CTCG_SLURM_DIR or /tmp/ctcg-local-slurm. Clients (sbatch, squeue,
# snakemake --executor slurm) find the cluster through SLURM_CONF. Inside a job, the
# Snakemake jobstep executor removes every SLURM_* variable, SLURM_CONF too, before it
# calls `srun`; a real cluster's srun then reads /etc/slurm/slurm.conf, this one's would
# find nothing. DIR/bin/srun (first on PATH) puts SLURM_CONF back and runs the real srun.
#
# No accounting daemon (slurmdbd) or database: the Snakemake SLURM executor queries job
# states with `squeue`, which is reliable when finished jobs stay visible for a while
# (MinJobAge below, well above three status-check intervals); see docs/cluster.md.
# Needs root (slurmd starts jobs as their user) and Debian's slurmctld, slurmd, munge
# and slurm-client packages: scripts/ensure_tools.sh --slurm installs them.
set -euo pipefail

cmd=${1:-}
dir=${2:-${CTCG_SLURM_DIR:-/tmp/ctcg-local-slurm}}
MIN_JOB_AGE=${CTCG_SLURM_MIN_JOB_AGE:-900}

die() { echo "local_slurm: $*" >&2; exit 1; }

usage() {
  sed -n '7,10p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

pid_alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

free_ports() {
  # Two TCP ports nobody listens on, for slurmctld and slurmd.
  python3 - <<'PY'
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

tail_logs() {
  for f in "$dir"/log/*.log; do
    [ -f "$f" ] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }
  done
}

start() {
  [ "$(id -u)" -eq 0 ] || die "must run as root (slurmd launches jobs as their user); \
run 'make test' as root, or use a real cluster"
  for prog in munged slurmctld slurmd sbatch srun squeue scontrol sinfo; do
    command -v "$prog" >/dev/null 2>&1 || die "$prog is not installed; \
run 'bash scripts/ensure_tools.sh --slurm' as root (Debian packages munge slurmctld slurmd slurm-client)"
  done
  if pid_alive "$dir/run/slurmctld.pid"; then
    print_env
    return 0
  fi
  rm -rf "$dir"
  mkdir -p "$dir"/{munge,run,log,ctld,spool,bin}
  local real_srun
  real_srun=$(PATH=/usr/local/bin:/usr/bin:/bin command -v srun) || die "srun is not installed (Debian package slurm-client)"
  cat >"$dir/bin/srun" <<SRUN
#!/bin/sh
# scripts/local_slurm.sh: this cluster's configuration for srun inside jobs (see there).
SLURM_CONF="\${SLURM_CONF:-$dir/slurm.conf}" exec $real_srun "\$@"
SRUN
  chmod +x "$dir/bin/srun"
  chmod 700 "$dir/munge"

  # munge: its own key and socket; slurm.conf points the slurm daemons and clients at it.
  mungekey --create --keyfile="$dir/munge/munge.key" >/dev/null 2>&1 \
    || dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
  chmod 600 "$dir/munge/munge.key"
  munged --force --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" \
    --pid-file="$dir/run/munged.pid" --log-file="$dir/log/munged.log" \
    --seed-file="$dir/munge/munged.seed" 2>>"$dir/log/munged.log" \
    || { tail_logs; die "munged did not start"; }

  read -r ctld_port slurmd_port < <(free_ports)
  local host node_line
  host=$(hostname -s)
  # The node as slurmd sees it (CPUs, sockets, cores, threads, memory).
  node_line=$(slurmd -C | head -n 1)
  case "$node_line" in NodeName=*) ;; *) die "slurmd -C printed no node line: $node_line" ;; esac

  cat >"$dir/slurm.conf" <<CONF
# Written by scripts/local_slurm.sh: a single-node test cluster; state under $dir.
ClusterName=ctcglocal
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/ctld
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# No cgroups (containers often lack them): processes are tracked through /proc, so
# scancel still ends a job's whole process tree.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
# Cores and memory are consumable: a job asking for more memory than the node has is
# refused at submission.
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1000
EnforcePartLimits=ALL
SchedulerType=sched/backfill
# Finished jobs stay visible to squeue (the executor's status query) for this long.
MinJobAge=$MIN_JOB_AGE
ReturnToService=2
SlurmdParameters=config_overrides
KillWait=5
InactiveLimit=0
$node_line NodeAddr=127.0.0.1 NodeHostname=$host State=UNKNOWN
PartitionName=main Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
  sed -i "s/^NodeName=[^ ]*/NodeName=$host/" "$dir/slurm.conf"

  slurmctld -f "$dir/slurm.conf" -i 2>>"$dir/log/slurmctld.log" \
    || { tail_logs; die "slurmctld did not start"; }
  slurmd -f "$dir/slurm.conf" -N "$host" 2>>"$dir/log/slurmd.log" \
    || { tail_logs; die "slurmd did not start"; }

  export SLURM_CONF="$dir/slurm.conf"
  local state=""
  for _ in $(seq 1 60); do
    state=$(sinfo -h -N -o '%t' 2>/dev/null | head -n 1 || true)
    case "$state" in idle | mix | alloc) break ;; esac
    sleep 0.5
  done
  case "$state" in
    idle | mix | alloc) ;;
    *) tail_logs; stop_daemons; die "the node did not come up (state '${state:-none}')" ;;
  esac
  print_env
}

print_env() {
  echo "export SLURM_CONF=$dir/slurm.conf"
  echo "export PATH=$dir/bin:\$PATH"
}

stop_daemons() {
  local name pid
  for name in slurmd slurmctld munged; do
    [ -s "$dir/run/$name.pid" ] || continue
    pid=$(cat "$dir/run/$name.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$dir/run/$name.pid"
  done
}

stop() {
  [ -f "$dir/slurm.conf" ] || return 0
  export SLURM_CONF="$dir/slurm.conf"
  if pid_alive "$dir/run/slurmctld.pid"; then
    # End the cluster's jobs first, so no job step outlives its slurmd.
    scancel --full --quiet --user="$(id -un)" 2>/dev/null || true
    for _ in $(seq 1 40); do
      [ -z "$(squeue -h -t running,completing,pending -o %i 2>/dev/null)" ] && break
      sleep 0.25
    done
  fi
  stop_daemons
}

status() {
  [ -f "$dir/slurm.conf" ] && pid_alive "$dir/run/slurmctld.pid" \
    || { echo "local_slurm: not running (state in $dir)"; return 1; }
  SLURM_CONF="$dir/slurm.conf" sinfo -N -l
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) usage ;;
esac
