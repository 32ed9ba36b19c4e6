#!/bin/bash
# scripts/slurm/sweep-array.sbatch's own logic, without Slurm: the script run by hand as slurmd
# would run one array task (SLURM_ARRAY_TASK_ID and the rest set), with CANOPY a stub that records
# its arguments. test_slurm_array.sh runs it under a real Slurm; this needs no daemons nor root.
#   test_array_script_by_hand.sh SOURCE_DIR
set -uo pipefail
SRC=${1:?usage: test_array_script_by_hand.sh SOURCE_DIR}
SCRIPT="$SRC/scripts/slurm/sweep-array.sbatch"
work=$(mktemp -d "${TMPDIR:-/tmp}/canopy-array-by-hand.XXXXXX")
trap 'rm -rf -- "$work"' EXIT
cat > "$work/canopy" <<'STUB'
#!/bin/bash
printf '%s\n' "$@" > "$STUB_LOG"
STUB
chmod +x "$work/canopy"
failures=0
check() { # check DESCRIPTION COMMAND...: the command must succeed
  if ! "${@:2}"; then
    echo "FAILED: $1"
    failures=$((failures + 1))
  fi
}

# task TASK_ID [VAR=VALUE...]: runs the script as that array task of $work/out; its exit status
# in $status, its stderr in $err, canopy's arguments (if it was run) in $work/args.
task() {
  local id=$1
  shift
  rm -f "$work/args"
  err=$(env -u SHARDS -u SLURM_ARRAY_TASK_MIN -u SLURM_ARRAY_TASK_MAX -u SLURM_ARRAY_TASK_COUNT \
    CANOPY="$work/canopy" STUB_LOG="$work/args" SLURM_ARRAY_TASK_ID="$id" "$@" \
    bash "$SCRIPT" sweep.toml "$work/out" 2>&1 >/dev/null)
  status=$?
}

mkdir -p "$work/out"
# A plain array 1-3: task 2 computes shard 2/3.
task 2 SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_MAX=3 SLURM_ARRAY_TASK_COUNT=3
check "task 2 of 1-3 runs (exit $status: $err)" [ "$status" -eq 0 ]
check "task 2 of 1-3 is shard 2/3" grep -qx "2/3" "$work/args"
check "task 2 of 1-3 writes shard-2-of-3.h5" grep -qx "$work/out/shard-2-of-3.h5" "$work/args"

# Shards of a split into 3 in OUT_DIR.
touch "$work/out/shard-1-of-3.h5" "$work/out/shard-2-of-3.h5.journal"
# Without SHARDS, a lone task is a split into one: refused (as before).
task 2 SLURM_ARRAY_TASK_MIN=2 SLURM_ARRAY_TASK_MAX=2 SLURM_ARRAY_TASK_COUNT=1
check "a lone task beside a split into 3 is refused with exit 2 (exit $status)" [ "$status" -eq 2 ]
check "and says SHARDS=3 ($err)" grep -q "submit them with SHARDS=3" <<<"$err"
check "and runs nothing" [ ! -e "$work/args" ]
# With SHARDS=8 the split check was skipped, and shard-8-of-8.h5 was written beside
# shard-1-of-3.h5 (an outside tester's finding): refused now too.
task 8 SHARDS=8
check "SHARDS=8 beside a split into 3 is refused with exit 2 (exit $status)" [ "$status" -eq 2 ]
check "and names the other split and SHARDS ($err)" \
  grep -q "is a shard of a split into 3, but SHARDS=8 makes a split into 8: to rerun tasks of that split, submit them with SHARDS=3" <<<"$err"
check "and runs nothing" [ ! -e "$work/args" ]
# SHARDS of the split OUT_DIR holds: the rerun it is for (a journal found: --resume).
task 2 SHARDS=03
check "SHARDS=03 rerunning task 2 of the split into 3 runs (exit $status: $err)" [ "$status" -eq 0 ]
check "as shard 2/3" grep -qx "2/3" "$work/args"
check "resuming its journal" grep -qx -- "--resume" "$work/args"
# A task outside SHARDS is refused as before.
task 4 SHARDS=3
check "task 4 with SHARDS=3 is refused (exit $status)" [ "$status" -eq 2 ]

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "sweep-array.sbatch by hand: every check passed"
