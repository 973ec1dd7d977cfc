#!/usr/bin/env bash
# End-to-end test of `unrest sweep --slurm` on a real, single-node Slurm cluster.
#
# Installs slurm-wlm and munge from Debian (needs root and apt), starts munged,
# slurmctld and slurmd on 127.0.0.1 with a minimal slurm.conf of its own (in a
# temporary directory, via SLURM_CONF; nothing under /etc/slurm is changed),
# submits a 4-task job array of a small sweep, waits for it, merges the parts
# with `unrest merge`, and checks the merged file is byte for byte the file a
# single-machine `unrest sweep` writes. Then runs a small calibration as
# `unrest calibrate --plan --slurm` (a job array and a dependent merge job a
# generation, chained by calibrate-submit.sh) and checks its posterior is byte
# for byte the single-machine one. Stops the daemons it started on exit.
#
# Usage: scripts/slurm-e2e.sh [PATH/TO/unrest]   (default: builds target/debug/unrest)
# Takes about a minute once the packages are installed.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)

say() { printf '\n== %s\n' "$*"; }

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  say "installing slurm-wlm and munge"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq slurm-wlm munge >/dev/null
fi

BIN=${1:-}
if [ -z "$BIN" ]; then
  say "building unrest"
  cargo build -q -p unrest-cli
  BIN="${CARGO_TARGET_DIR:-$REPO/target}/debug/unrest"
fi
BIN=$(realpath "$BIN")

W=$(mktemp -d /tmp/unrest-slurm-e2e.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  sleep 1
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

say "starting munged"
mkdir -p "$W/munge"
if [ ! -s /etc/munge/munge.key ]; then
  dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
fi
chmod 600 /etc/munge/munge.key
MUNGE_SOCKET="$W/munge/munge.socket"
munged --force --socket="$MUNGE_SOCKET" --pid-file="$W/munge/munged.pid" \
  --log-file="$W/munge/munged.log" --seed-file="$W/munge/munged.seed" --key-file=/etc/munge/munge.key
for _ in $(seq 50); do [ -s "$W/munge/munged.pid" ] && break; sleep 0.1; done
PIDS+=("$(cat "$W/munge/munged.pid")")

say "starting slurmctld and slurmd on 127.0.0.1"
CPUS=$(nproc)
PORT_CTLD=${UNREST_SLURMCTLD_PORT:-16817}
PORT_D=${UNREST_SLURMD_PORT:-16818}
mkdir -p "$W/state" "$W/spool"
export SLURM_CONF="$W/slurm.conf"
cat >"$SLURM_CONF" <<EOF
ClusterName=unrest-e2e
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$PORT_CTLD
SlurmdPort=$PORT_D
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCKET
CredType=cred/munge
StateSaveLocation=$W/state
SlurmdSpoolDir=$W/spool
SlurmctldPidFile=$W/slurmctld.pid
SlurmdPidFile=$W/slurmd.pid
SlurmctldLogFile=$W/slurmctld.log
SlurmdLogFile=$W/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SwitchType=switch/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
SlurmdTimeout=30
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
slurmctld -c -i
slurmd -N localhost
for _ in $(seq 50); do [ -s "$W/slurmctld.pid" ] && [ -s "$W/slurmd.pid" ] && break; sleep 0.2; done
PIDS+=("$(cat "$W/slurmctld.pid")" "$(cat "$W/slurmd.pid")")
for i in $(seq 60); do
  state=$(sinfo -h -N -o '%T' 2>/dev/null | head -1 || true)
  [ "$state" = "idle" ] && break
  [ "$i" = 60 ] && { echo "node never became idle (state: '$state')"; tail -20 "$W/slurmctld.log" "$W/slurmd.log"; exit 1; }
  sleep 0.5
done
sinfo

say "a small sweep: 3 legitimacy values x 2 cop densities x 4 replicates"
cat >"$W/sweep.toml" <<'EOF'
scenario = "epstein-run2"
seed = 42
replicates = 4
keep_series = true
[set]
steps = 40
width = 20
height = 20
[vary]
legitimacy = [0.7, 0.8, 0.9]
cop_density = [0.03, 0.06]
EOF

"$BIN" sweep "$W/sweep.toml" --out "$W/cluster" --slurm --tasks 4
say "sbatch --wait"
timeout 300 sbatch --wait "$W/cluster/sweep.sbatch"
ls "$W/cluster"

say "merging the 4 parts"
"$BIN" merge "$W"/cluster/runs.shard-{0,1,2,3}-of-4.parquet --out "$W/cluster/runs.parquet"
"$BIN" merge "$W"/cluster/series.shard-{0,1,2,3}-of-4.parquet --out "$W/cluster/series.parquet"

say "the same sweep on this machine"
"$BIN" sweep "$W/sweep.toml" --out "$W/single"

cmp "$W/cluster/runs.parquet" "$W/single/runs.parquet"
cmp "$W/cluster/series.parquet" "$W/single/series.parquet"
say "OK: the merged Slurm array result equals the single-machine sweep byte for byte"

say "a sharded calibration: 6 particles x 3 generations, 2 array tasks and a merge job a generation"
cat >"$W/plan.toml" <<'PLAN'
particles = 6
generations = 2
seeds = 1
seed = 3
[[episodes]]
scenario = "kazakhstan-2022"
name = "kz"
set = ["scale=2000"]
[[params]]
key = "loyalty.crowd_per_officer"
min = 2.0
max = 60.0
log = true
[[params]]
key = "information.contagion"
min = 4.0
max = 30.0
PLAN
"$BIN" calibrate --plan "$W/plan.toml" --out "$W/cal-cluster" --slurm --tasks 2
say "calibrate-submit.sh --wait"
timeout 600 sh "$W/cal-cluster/calibrate-submit.sh" --wait
ls "$W/cal-cluster"

say "the same calibration on this machine"
"$BIN" calibrate --plan "$W/plan.toml" --out "$W/cal-single" >/dev/null
for f in posterior.csv posterior.parquet generations.csv; do
  cmp "$W/cal-cluster/$f" "$W/cal-single/$f"
done
say "OK: the Slurm-sharded calibration equals the single-machine one byte for byte ($W)"
