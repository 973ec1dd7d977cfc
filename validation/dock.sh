#!/usr/bin/env bash
# Docking: unrest's `mesa` preset against Mesa 3.5.1's epstein_civil_violence example.
#
# Usage:
#   validation/dock.sh [-n SEEDS] [--out DIR] [--mesa-defaults N] [--mesa-steps S]
#
#   -n, --seeds N        unrest runs per comparison, seeds 1..N (default 30)
#   -o, --out DIR        where runs and reports go (default validation/out/dock, git-ignored)
#       --mesa-defaults N  also run Mesa itself (via validation/run_mesa.sh and
#                        validation/mesa/mesa_cv.py) at Mesa's own defaults for seeds
#                        1..N and compare with unrest's `mesa-default` scenario
#                        (needs the Mesa venv, see run_mesa.sh; ~6 s per 200-step run)
#       --mesa-steps S   steps of those fresh runs, and of the matching unrest runs
#                        (default 300)
#       --burn-in B      steps dropped before comparing (default 100)
#
# Comparison 1 (always): the reference setting of validation/mesa/reference — 30 Mesa runs,
#   seeds 1..30, cop density 0.04, legitimacy 0.82, max jail term 30, 500 steps — against
#   `unrest run mesa-default --set cop_density=0.04 --set legitimacy=0.82
#   --set max_jail_term=30 --steps 500` for seeds 1..N.
# Comparison 2 (--mesa-defaults): fresh Mesa runs at its defaults (cop density 0.074,
#   legitimacy 0.8, max jail term 1000) against `unrest run mesa-default`.
#
# The two programs use different random-number generators, so runs with the same seed
# number are unrelated; what is compared are distributions over seeds (validation/dock.py:
# two-sample KS tests and 95% CIs). Reports: DIR/<comparison>.md and .json.
#
# Environment: UNREST_BIN (default: target/release/unrest, built here if missing or stale),
# MESA_VENV / MESA_CV as in run_mesa.sh.
# Exit codes: 0 done (whatever the statistics say), 1 a run failed, 2 bad usage / missing input.
set -u

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
parent="$(cd "$repo/.." && pwd)"

n=30
out="$repo/validation/out/dock"
mesa_n=0
mesa_steps=300
burn=100

usage() { sed -n '2,31p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    -n|--seeds) n="${2:-}"; shift 2 ;;
    -o|--out) out="${2:-}"; shift 2 ;;
    --mesa-defaults) mesa_n="${2:-}"; shift 2 ;;
    --mesa-steps) mesa_steps="${2:-}"; shift 2 ;;
    --burn-in) burn="${2:-}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "dock.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
for v in "$n" "$mesa_n" "$mesa_steps" "$burn"; do
  case "$v" in ''|*[!0-9]*) echo "dock.sh: '$v' is not a non-negative integer" >&2; exit 2 ;; esac
done
if [ "$n" -lt 2 ]; then echo "dock.sh: need at least 2 seeds" >&2; exit 2; fi

ref="$repo/validation/mesa/reference"
if [ ! -d "$ref" ]; then
  echo "dock.sh: reference runs not found at '$ref' (validation/mesa/reference in the repository)" >&2
  exit 2
fi

bin="${UNREST_BIN:-}"
if [ -z "$bin" ]; then
  (cd "$repo" && cargo build --release -q -p unrest-cli) || { echo "dock.sh: build failed" >&2; exit 1; }
  bin="$repo/target/release/unrest"
fi
[ -x "$bin" ] || { echo "dock.sh: no unrest binary at '$bin'" >&2; exit 2; }

mkdir -p "$out" || exit 2
status=0

# run_unrest DIR STEPS SET-ARGS... : seeds 1..n of mesa-default into DIR/seedS/
run_unrest() {
  local dir="$1" steps="$2"; shift 2
  rm -rf "$dir"; mkdir -p "$dir"
  local s
  for ((s = 1; s <= n; s++)); do
    if ! "$bin" run mesa-default --seed "$s" --steps "$steps" "$@" --out "$dir/seed$s" >/dev/null; then
      echo "dock.sh: unrest run seed $s failed" >&2
      status=1
    fi
  done
}

compare() {  # compare NAME A-DIR B-DIR
  local name="$1" a="$2" b="$3"
  python3 "$here/dock.py" --a "$a" --b "$b" --a-name mesa --b-name unrest \
    --burn-in "$burn" --json "$out/$name.json" | tee "$out/$name.md" || status=1
  echo
}

echo "== 1. reference setting (cop 0.04, L 0.82, J_max 30, 500 steps): $n unrest seeds vs 30 Mesa runs"
t0=$(date +%s%N)
run_unrest "$out/unrest_run2like" 500 --set cop_density=0.04 --set legitimacy=0.82 --set max_jail_term=30
t1=$(date +%s%N)
echo "# unrest: $n runs in $(( (t1 - t0) / 1000000 )) ms (wall, incl. process start and file output)"
compare run2like "$ref" "$out/unrest_run2like"

if [ "$mesa_n" -gt 0 ]; then
  echo "== 2. Mesa's defaults (cop 0.074, L 0.8, J_max 1000, $mesa_steps steps): $n unrest seeds vs $mesa_n fresh Mesa runs"
  "$here/run_mesa.sh" -o "$out/mesa_defaults" -n "$mesa_n" --steps "$mesa_steps" || status=1
  run_unrest "$out/unrest_defaults" "$mesa_steps"
  compare defaults "$out/mesa_defaults" "$out/unrest_defaults"
fi
exit $status
