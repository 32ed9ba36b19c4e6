#!/usr/bin/env bash
# A real one-node Slurm cluster, started here and stopped at the end: munged with a fresh key,
# slurmctld and slurmd with a slurm.conf naming this host (SlurmUser=root, proctrack/linuxproc,
# task/none), all on private paths and free ports. It submits the sweep as an array job with the
# batch script users copy (scripts/slurm/sweep-array.sbatch), waits, merges the shards and checks
# the merged result against the same sweep run in one process; then the MPI batch script
# (scripts/slurm/sweep-mpi.sbatch) on two tasks of the allocation, launched by mpirun and, where
# Slurm has PMIx, by srun --mpi=pmix (the launcher its header documents).
#
# Usage: test_slurm_array.sh CANOPY SOURCE_DIR [WITH_MPI]   (WITH_MPI 1: canopy was built with MPI)
# Exit 0 on success, 1 on failure, 77 (skipped, with the reason) when it cannot run here: not
# root, or the Slurm and MUNGE daemons are not installed. CI runs as root with them installed.
set -euo pipefail

CANOPY=$(readlink -f "$1")
SRC=$(readlink -f "$2")
WITH_MPI=${3:-0}
SWEEP="$SRC/tests/data/sweeps/tiny.toml"
PYTHON=/usr/bin/python3
SKIP=77

skip() {
  echo "skipped: $*"
  exit $SKIP
}

# The sanitizer suite runs the same canopy code through the shard and merge tests; the cluster's
# daemons and batch scripts are tested once, in the release suite.
[ -z "${CANOPY_SANITIZED:-}" ] || skip "the Slurm test runs in the release suite, not under sanitizers"
[ "$(id -u)" -eq 0 ] || skip "starting munged, slurmctld and slurmd needs root (CI runs as root)"
export PATH="$PATH:/usr/sbin:/sbin"
for program in munged slurmctld slurmd sbatch sinfo scontrol; do
  command -v "$program" >/dev/null || skip "$program is not installed (apt-get install slurm-wlm munge)"
done

work=$(mktemp -d /tmp/canopy-slurm.XXXXXX)
chmod 700 "$work"
export SLURM_CONF="$work/slurm.conf"

# Whether a process runs (a daemon whose parent never reaps it lingers as a zombie: not alive).
alive() {
  [ -e "/proc/$1/stat" ] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat" 2>/dev/null
}

# Waits for a daemon's pid file (daemons write it just after they detach) and records the pid.
record_pid() {
  for _ in $(seq 100); do
    [ -s "$1" ] && { pids+=("$(cat "$1")"); return 0; }
    sleep 0.1
  done
  echo "no pid file $1"
  return 1
}

# Waits until job $1 (every task of an array) has left the queue, then checks that every task
# completed with exit status 0. (sbatch --wait polls only every few seconds.)
wait_for_job() {
  local id=$1
  for _ in $(seq 1500); do
    [ -z "$(squeue -h -j "$id" -t PD,R,CG,CF,S 2>/dev/null)" ] && break
    sleep 0.2
  done
  local states
  states=$(scontrol -o show job "$id" | grep -o 'JobState=[A-Z_]*' | sort -u | tr '\n' ' ')
  if [ "$states" != "JobState=COMPLETED " ]; then
    echo "job $id ended with: $states"
    scontrol -o show job "$id"
    return 1
  fi
}

# The process ids of the daemons, recorded as each starts (their pid files vanish as they stop).
pids=()

stop() {
  local status=$?
  set +e
  # Only the daemons this script started, by their recorded process ids.
  if [ ${#pids[@]} -gt 1 ]; then
    scontrol shutdown >/dev/null 2>&1
  fi
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do
      alive "$pid" || break
      kill "$pid" 2>/dev/null
      sleep 0.1
    done
    alive "$pid" && kill -9 "$pid" 2>/dev/null
  done
  if [ $status -ne 0 ] && [ $status -ne $SKIP ]; then
    for log in "$work"/*.log "$work"/out/*.out; do
      [ -e "$log" ] && { echo "---- $log"; tail -n 30 "$log"; }
    done
  fi
  rm -rf "$work"
}
trap stop EXIT

free_port() {
  "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ---- MUNGE: a fresh key, a private socket.
dd if=/dev/urandom of="$work/munge.key" bs=1024 count=1 status=none
chmod 400 "$work/munge.key"
munged --force --key-file="$work/munge.key" --socket="$work/munge.socket" \
  --pid-file="$work/munged.pid" --log-file="$work/munged.log" --seed-file="$work/munged.seed" \
  || skip "munged would not start here: $(tail -n 3 "$work/munged.log" 2>/dev/null)"
record_pid "$work/munged.pid"

# ---- Slurm: one node, this host, as root.
host=$(hostname -s)
cpus=$(nproc)
mkdir -p "$work/state" "$work/spool" "$work/out"
cat >"$SLURM_CONF" <<CONF
ClusterName=canopytest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$work/munge.socket
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
ReturnToService=2
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=canopy Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF

slurmctld -f "$SLURM_CONF"
record_pid "$work/slurmctld.pid"
slurmd -f "$SLURM_CONF"
record_pid "$work/slurmd.pid"
for _ in $(seq 120); do
  state=$(sinfo -h -N -o %T 2>/dev/null | head -n 1 || true)
  [ "$state" = "idle" ] && break
  sleep 0.5
done
[ "$state" = "idle" ] || { echo "the node did not become idle (state '$state')"; exit 1; }
echo "slurm: node $host idle with $cpus CPUs after ${SECONDS} s"

# ---- The array job: 3 tasks, one shard each, with the script users copy.
cd "$work/out"
# The job sees this environment (sbatch's default --export=ALL; naming variables in --export
# makes slurmd spend seconds rebuilding the user's login environment).
export CANOPY
job=$(sbatch --parsable --array=1-3 --cpus-per-task=1 -o "$work/out/array-%A_%a.out" "$SRC/scripts/slurm/sweep-array.sbatch" "$SWEEP" "$work/out")
wait_for_job "${job%%;*}"
ls "$work"/out/shard-*-of-3.h5
echo "slurm: array job done (${SECONDS} s)"
"$CANOPY" merge "$work"/out/shard-*-of-3.h5 --out "$work/merged.h5"
"$CANOPY" sweep "$SWEEP" --quiet --out "$work/whole.h5"
"$PYTHON" "$SRC/tests/python/sweep_compare.py" "$work/whole.h5" "$work/merged.h5"
echo "slurm: the array job's 3 shards, merged, are the whole sweep (${SECONDS} s)"

# ---- A lost shard rerun the way docs/clusters.md says: merge names it, one task of the split is
# submitted again with SHARDS, and the merge is whole again. Without SHARDS, the lone task would be
# a split into one (the whole sweep): the script refuses it, seeing the other split's shards.
rm "$work/out/shard-2-of-3.h5"
if "$CANOPY" merge "$work"/out/shard-*-of-3.h5 --out "$work/partial.h5" 2>"$work/merge.err"; then
  echo "merge accepted two shards of three"; exit 1
fi
grep -q "(shard 2/3 of the split: rerun it)" "$work/merge.err" ||
  { echo "merge did not name the missing shard:"; cat "$work/merge.err"; exit 1; }
job=$(sbatch --parsable --array=2 --cpus-per-task=1 -o "$work/out/lone-%A_%a.out" "$SRC/scripts/slurm/sweep-array.sbatch" "$SWEEP" "$work/out")
wait_for_job "${job%%;*}" >/dev/null && { echo "a lone task without SHARDS ran"; exit 1; }
grep -q "submit them with SHARDS=3" "$work"/out/lone-*.out ||
  { echo "the lone task's refusal did not say SHARDS=3:"; cat "$work"/out/lone-*.out; exit 1; }
[ ! -e "$work/out/shard-1-of-1.h5" ] || { echo "the lone task ran the whole sweep"; exit 1; }
job=$(SHARDS=3 sbatch --parsable --array=2 --cpus-per-task=1 -o "$work/out/rerun-%A_%a.out" "$SRC/scripts/slurm/sweep-array.sbatch" "$SWEEP" "$work/out")
wait_for_job "${job%%;*}"
"$CANOPY" merge "$work"/out/shard-*-of-3.h5 --out "$work/merged-again.h5"
"$PYTHON" "$SRC/tests/python/sweep_compare.py" "$work/whole.h5" "$work/merged-again.h5"
echo "slurm: shard 2/3 rerun alone with SHARDS=3 completes the merge (${SECONDS} s)"

# ---- docs/clusters.md's example names an OUT_DIR (results/) that need not exist: every task
# failed to write into it, and a merge waiting on them waited forever. The script makes it. SHARDS
# with a leading zero is the number it spells, as --shard 03/3 is.
job=$(SHARDS=03 sbatch --parsable --array=1-3 --cpus-per-task=1 -o "$work/out/fresh-%A_%a.out" "$SRC/scripts/slurm/sweep-array.sbatch" "$SWEEP" "$work/fresh/results")
wait_for_job "${job%%;*}"
"$CANOPY" merge "$work"/fresh/results/shard-*-of-3.h5 --out "$work/merged-fresh.h5"
"$PYTHON" "$SRC/tests/python/sweep_compare.py" "$work/whole.h5" "$work/merged-fresh.h5"
echo "slurm: SHARDS=03 into a missing OUT_DIR makes it and completes the merge (${SECONDS} s)"

# ---- The MPI batch script on two tasks, where this build has MPI.
if [ "$WITH_MPI" = 1 ] && command -v mpirun >/dev/null; then
  job=$(OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
    MPIRUN="mpirun --allow-run-as-root --oversubscribe" \
    sbatch --parsable --ntasks=2 --cpus-per-task=1 -o "$work/out/mpi-%j.out" "$SRC/scripts/slurm/sweep-mpi.sbatch" "$SWEEP" "$work/mpi.h5")
  wait_for_job "${job%%;*}"
  "$PYTHON" "$SRC/tests/python/sweep_compare.py" "$work/whole.h5" "$work/mpi.h5"
  echo "slurm: the MPI job on 2 tasks gives the same result (${SECONDS} s)"
  # The launcher the script's header documents for a Slurm built with PMIx: srun read the
  # script's old `-np 2` as `-n p` and failed.
  if srun --mpi=list 2>&1 | grep -qw pmix; then
    job=$(MPIRUN="srun --mpi=pmix" \
      sbatch --parsable --ntasks=2 --cpus-per-task=1 -o "$work/out/srun-%j.out" "$SRC/scripts/slurm/sweep-mpi.sbatch" "$SWEEP" "$work/srun.h5")
    wait_for_job "$job"
    "$PYTHON" "$SRC/tests/python/sweep_compare.py" "$work/whole.h5" "$work/srun.h5"
    echo "slurm: the MPI job launched by srun --mpi=pmix on 2 tasks gives the same result (${SECONDS} s)"
  else
    echo "slurm: MPIRUN=\"srun --mpi=pmix\" not tested: srun --mpi=list does not list pmix here"
  fi
fi
echo "ok (${SECONDS} s)"
