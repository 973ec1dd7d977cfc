#!/usr/bin/env bash
# Coverage-guided fuzzing of the input parsers on a stable toolchain (no
# cargo-fuzz needed): builds fuzz/ with libFuzzer's coverage instrumentation
# (the same stable rustc flags cargo-fuzz passes, without a sanitizer) and runs
# each target for SECONDS, starting from fuzz/corpus/TARGET and
# fuzz/regressions/TARGET. A crash leaves its input in fuzz/artifacts/TARGET/
# and fails the script; copy it into fuzz/regressions/TARGET/ to make it a
# regression test (the crates' tests replay that folder).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]    # default: 60 s, every target
# Targets: lattice country sweep_spec set (fuzz/Cargo.toml lists them).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(lattice country sweep_spec set)
host="$(rustc -vV | sed -n 's/^host: //p')"
# --target keeps these flags off build scripts and proc macros, which are not
# linked with libFuzzer.
export RUSTFLAGS="--cfg fuzzing -Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares -Cdebug-assertions -Coverflow-checks"
build_start=$(date +%s)
cargo build --release --target "$host" --bins
echo "fuzz: built in $(( $(date +%s) - build_start )) s" >&2
# Targets run side by side, UNREST_FUZZ_JOBS at a time (default: one per core), each
# for its full SECONDS: the same fuzzing per target in less wall time.
jobs="${UNREST_FUZZ_JOBS:-$(nproc)}"
fuzz_one() {
  local t=$1 work="target/corpus/$1" rc=0
  mkdir -p "$work" "artifacts/$t" "corpus/$t" "regressions/$t"
  # -timeout: an input that takes 10 s is a hang; -rss_limit_mb: one that
  # takes 2 GB is a memory bug. New inputs go to $work, never to corpus/.
  "target/$host/release/$t" "$work" "corpus/$t" "regressions/$t" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -artifact_prefix="artifacts/$t/" -print_final_stats=0 2>"target/$t.log" || rc=$?
  echo "$rc" >"target/$t.status"
}
echo "fuzz: ${targets[*]} for ${seconds}s each, $jobs at a time"
running=0
for t in "${targets[@]}"; do
  rm -f "target/$t.status"
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
  fuzz_one "$t" &
  running=$((running + 1))
done
wait
status=0
for t in "${targets[@]}"; do
  if [ "$(cat "target/$t.status" 2>/dev/null)" != 0 ]; then
    tail -n 40 "target/$t.log" >&2
    echo "fuzz: $t FAILED; the input is in fuzz/artifacts/$t/" >&2
    status=1
  else
    echo "fuzz: $t: $(grep -E '^#[0-9]+ +DONE|^Done' "target/$t.log" | tail -n 1 || true)"
  fi
done
exit "$status"
