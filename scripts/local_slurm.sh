#!/usr/bin/env bash
# A single-node SLURM cluster on this machine, for tests and benchmarks of the workflow's
# SLURM profile: munged, slurmctld and slurmd with every file (configuration, munge key
# and socket, state, spool, logs, pid files) under one directory, and free TCP ports, so
# it touches nothing of a system SLURM and two of them can run side by side.
#
#   scripts/local_slurm.sh start [--accounting] [DIR]   start it; prints the two lines to `eval`:
#                              export SLURM_CONF=DIR/slurm.conf PATH=DIR/bin:$PATH
#   scripts/local_slurm.sh status [DIR]   exit 0 and show the node if it is up
#   scripts/local_slurm.sh stop   [DIR]   cancel its jobs, stop its daemons, check they are gone
#
# DIR defaults to $CTCG_SLURM_DIR or /tmp/ctcg-local-slurm. Clients (sbatch, squeue,
# snakemake --executor slurm) find the cluster through SLURM_CONF. Inside a job, the
# Snakemake jobstep executor removes every SLURM_* variable, SLURM_CONF too, before it
# calls `srun`; a real cluster's srun then reads /etc/slurm/slurm.conf, this one's would
# find nothing. DIR/bin/srun (first on PATH) puts SLURM_CONF back and runs the real srun.
#
# With --accounting, also SLURM accounting: a MariaDB server (data directory, socket and
# a free loopback port under DIR, run as the current user, no system service), slurmdbd
# against it, AccountingStorageEnforce=associations,limits, and the cluster, the account
# ctcg_lab and its user (the current one) created with sacctmgr: an unknown account is
# then refused at submission, and sacct answers job states. Without it the Snakemake
# SLURM executor queries job states with `squeue`, which is reliable when finished jobs
# stay visible for a while (MinJobAge below, well above three status-check intervals);
# see docs/cluster.md.
# Needs root (slurmd starts jobs as their user) and Debian's slurmctld, slurmd, munge
# and slurm-client packages (with --accounting also slurmdbd and mariadb-server):
# scripts/ensure_tools.sh --slurm installs them.
set -euo pipefail

cmd=${1:-}
shift || true
accounting=0
if [ "${1:-}" = --accounting ]; then
  accounting=1
  shift
fi
dir=${1:-${CTCG_SLURM_DIR:-/tmp/ctcg-local-slurm}}
MIN_JOB_AGE=${CTCG_SLURM_MIN_JOB_AGE:-900}
# The account that --accounting creates for the current user (its default account).
ACCOUNT=ctcg_lab
CLUSTER=ctcglocal
# Daemons in the order stop ends them, a stage at a time: slurmd and slurmctld first
# (slurmctld reports to slurmdbd as it stops), slurmdbd, then its database and munge.
STOP_STAGES=("slurmd slurmctld" "slurmdbd" "mariadbd munged")

die() { echo "local_slurm: $*" >&2; exit 1; }

usage() {
  sed -n '7,10p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

wait_for() {
  # wait_for SECONDS COMMAND...: run COMMAND every 0.25 s until it succeeds (0) or
  # SECONDS have passed (1).
  local end=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$end" ] || return 1
    sleep 0.25
  done
}

pid_alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

free_ports() {
  # Four TCP ports nobody listens on: slurmctld, slurmd, slurmdbd and MariaDB.
  python3 - <<'PY'
import socket
socks = [socket.socket() for _ in range(4)]
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
  local progs=(munged slurmctld slurmd sbatch srun squeue scontrol sinfo)
  [ "$accounting" -eq 1 ] && progs+=(slurmdbd sacctmgr mariadbd mariadb-install-db mariadb)
  for prog in "${progs[@]}"; do
    command -v "$prog" >/dev/null 2>&1 || die "$prog is not installed; \
run 'bash scripts/ensure_tools.sh --slurm' as root (Debian packages munge slurmctld slurmd \
slurm-client slurmdbd mariadb-server)"
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

  read -r ctld_port slurmd_port dbd_port db_port < <(free_ports)
  local host node_line
  host=$(hostname -s)
  # The node as slurmd sees it (CPUs, sockets, cores, threads, memory).
  node_line=$(slurmd -C | head -n 1)
  case "$node_line" in NodeName=*) ;; *) die "slurmd -C printed no node line: $node_line" ;; esac

  cat >"$dir/slurm.conf" <<CONF
# Written by scripts/local_slurm.sh: a single-node test cluster; state under $dir.
ClusterName=$CLUSTER
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
$(accounting_conf "$dbd_port")
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
  export SLURM_CONF="$dir/slurm.conf"

  if [ "$accounting" -eq 1 ]; then
    start_mariadb "$db_port" || { tail_logs; stop_daemons; die "MariaDB did not start"; }
    start_slurmdbd "$dbd_port" "$db_port" || { tail_logs; stop_daemons; die "slurmdbd did not start"; }
  fi

  slurmctld -f "$dir/slurm.conf" -i 2>>"$dir/log/slurmctld.log" \
    || { tail_logs; stop_daemons; die "slurmctld did not start"; }
  slurmd -f "$dir/slurm.conf" -N "$host" 2>>"$dir/log/slurmd.log" \
    || { tail_logs; stop_daemons; die "slurmd did not start"; }
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

accounting_conf() {
  # slurm.conf's accounting lines: none, or slurmdbd with associations and limits enforced
  # (a job naming an account its user has no association with is refused by sbatch).
  # AccountingStoragePass names the munge socket that clients and slurmctld use to
  # authenticate to slurmdbd (AuthInfo is not read for that connection).
  if [ "$accounting" -eq 1 ]; then
    printf '%s\n' "AccountingStorageType=accounting_storage/slurmdbd" \
      "AccountingStorageHost=127.0.0.1" "AccountingStoragePort=$1" \
      "AccountingStoragePass=$dir/munge/munge.socket" \
      "AccountingStorageEnforce=associations,limits"
  else
    echo "AccountingStorageType=accounting_storage/none"
  fi
}

mariadb_sql() { mariadb --no-defaults --socket="$dir/run/mariadb.sock" --user=root -e "$1"; }

start_mariadb() {
  # A MariaDB server of its own: data directory and socket under DIR, loopback port $1,
  # running as the current user; --no-defaults keeps the system's /etc/mysql out.
  local port=$1 user
  user=$(id -un)
  local opts=(--no-defaults --user="$user" --datadir="$dir/mariadb"
    --innodb-buffer-pool-size=64M --innodb-log-file-size=16M
    --innodb-lock-wait-timeout=900)
  mkdir -p "$dir/mariadb"
  mariadb-install-db "${opts[@]}" --auth-root-authentication-method=socket --skip-test-db \
    >>"$dir/log/mariadb-install.log" 2>&1 || return 1
  # mariadbd does not detach itself: setsid puts it in a session of its own, as the SLURM
  # daemons are, so a signal to the caller's process group (Ctrl-C, timeout) spares it.
  setsid mariadbd "${opts[@]}" --socket="$dir/run/mariadb.sock" \
    --pid-file="$dir/run/mariadbd.pid" --bind-address=127.0.0.1 --port="$port" \
    --skip-name-resolve --log-error="$dir/log/mariadbd.log" </dev/null >/dev/null 2>&1 &
  echo $! >"$dir/run/mariadbd.pid"
  wait_for 60 mariadb-admin --no-defaults --socket="$dir/run/mariadb.sock" --user=root ping \
    || return 1
  # slurmdbd's database user, with a password of this cluster's own (slurmdbd.conf, 0600).
  db_password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  mariadb_sql "CREATE USER 'slurm'@'127.0.0.1' IDENTIFIED BY '$db_password';
    GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';" >>"$dir/log/mariadb-install.log" 2>&1
}

start_slurmdbd() {
  # slurmdbd on port $1 against the database on port $2, then the cluster, the account
  # and its user (the cluster must be known before slurmctld registers with slurmdbd).
  local dbd_port=$1 db_port=$2 user
  user=$(id -un)
  # slurmdbd reads slurmdbd.conf next to $SLURM_CONF and wants it private to SlurmUser.
  (umask 077 && cat >"$dir/slurmdbd.conf" <<CONF
# Written by scripts/local_slurm.sh: the test cluster's accounting daemon.
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=$dbd_port
SlurmUser=$user
PidFile=$dir/run/slurmdbd.pid
LogFile=$dir/log/slurmdbd.log
DebugLevel=info
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$db_port
StorageUser=slurm
StoragePass=$db_password
StorageLoc=slurm_acct_db
CONF
  )
  slurmdbd 2>>"$dir/log/slurmdbd.log" || return 1
  # Refused until slurmdbd has created its tables and listens.
  wait_for 60 timeout 10 sacctmgr -n list cluster || return 1
  {
    sacctmgr -i add cluster "$CLUSTER" \
      && sacctmgr -i add account "$ACCOUNT" Description="ctcgenomics tests" Organization=ctcg \
      && sacctmgr -i add user "$user" Account="$ACCOUNT" DefaultAccount="$ACCOUNT"
  } >>"$dir/log/sacctmgr.log" 2>&1
}

print_env() {
  echo "export SLURM_CONF=$dir/slurm.conf"
  echo "export PATH=$dir/bin:\$PATH"
}

any_alive() {
  local pid
  for pid in "$@"; do kill -0 "$pid" 2>/dev/null && return 0; done
  return 1
}

stop_daemons() {
  # The daemons of a stage get SIGTERM and 10 s to finish (MariaDB flushes its tables),
  # then SIGKILL; stop fails, naming them, if any is still alive afterwards.
  local stage name pids names left=() i
  for stage in "${STOP_STAGES[@]}"; do
    pids=() names=()
    for name in $stage; do
      [ -s "$dir/run/$name.pid" ] || continue
      pids+=("$(cat "$dir/run/$name.pid")") names+=("$name")
    done
    [ ${#pids[@]} -gt 0 ] || continue
    kill "${pids[@]}" 2>/dev/null || true
    wait_for 10 eval '! any_alive "${pids[@]}"' || kill -9 "${pids[@]}" 2>/dev/null || true
    wait_for 2 eval '! any_alive "${pids[@]}"' || true
    for i in "${!pids[@]}"; do
      if kill -0 "${pids[$i]}" 2>/dev/null; then
        left+=("${names[$i]} (${pids[$i]})")
      else
        rm -f "$dir/run/${names[$i]}.pid"
      fi
    done
  done
  [ ${#left[@]} -eq 0 ] || die "still running after SIGKILL: ${left[*]}"
}

stop() {
  [ -d "$dir/run" ] || return 0
  export SLURM_CONF="$dir/slurm.conf"
  if [ -f "$SLURM_CONF" ] && pid_alive "$dir/run/slurmctld.pid"; then
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
