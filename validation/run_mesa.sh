#!/usr/bin/env bash
# Run Mesa's Epstein civil-violence example (via validation/mesa/mesa_cv.py) for
# seeds 1..N, one CSV per seed, and report Mesa's throughput in agent-updates/s.
#
# Usage:
#   validation/run_mesa.sh -o OUTDIR [-n N] [--first S] [--steps STEPS] [--prefix P]
#                          [--full] [-- EXTRA mesa_cv.py ARGS...]
#
#   -o, --out DIR     output directory (created); files are DIR/<P>seed<S>.csv
#   -n, --seeds N     number of seeds (default 3); seeds are FIRST..FIRST+N-1
#       --first S     first seed (default 1)
#       --steps N     steps per run (default 500)
#       --prefix P    file-name prefix (default "mesa_")
#       --full        keep Mesa's DataCollector on (default passes --lean, as the
#                     reference CSVs in validation/mesa/reference were made)
#   after "--": passed to mesa_cv.py unchanged, e.g.
#       -- --cop-density 0.04 --legitimacy 0.82 --max-jail-term 30
#
# Environment:
#   MESA_VENV  Python venv with mesa==3.5.1 + networkx (default: ../.venv-mesa
#              beside the repo, i.e. /work/.venv-mesa)
#   MESA_CV    path to mesa_cv.py (default: validation/mesa/mesa_cv.py beside the repo)
#
# Exit codes: 0 ok, 1 a run failed, 2 missing venv / mesa_cv.py / bad usage.
# Runs are sequential on purpose: parallel runs would distort the timing.
# Throughput = sum over runs of (agents x steps) / sum over runs of step_seconds,
# where step_seconds is the wall time of model.step() only (from the CSV).
set -u

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
parent="$(cd "$repo/.." && pwd)"

out=""
n=3
first=1
steps=500
prefix="mesa_"
lean="--lean"
extra=()

usage() { sed -n '2,27p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    -o|--out) out="${2:-}"; shift 2 ;;
    -n|--seeds) n="${2:-}"; shift 2 ;;
    --first) first="${2:-}"; shift 2 ;;
    --steps) steps="${2:-}"; shift 2 ;;
    --prefix) prefix="${2:-}"; shift 2 ;;
    --full) lean=""; shift ;;
    -h|--help) usage; exit 0 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "run_mesa.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

if [ -z "$out" ]; then echo "run_mesa.sh: -o OUTDIR is required (see --help)" >&2; exit 2; fi
for v in "$n" "$first" "$steps"; do
  case "$v" in ''|*[!0-9]*) echo "run_mesa.sh: '$v' is not a non-negative integer" >&2; exit 2 ;; esac
done

venv="${MESA_VENV:-}"
if [ -z "$venv" ]; then
  for cand in "$parent/.venv-mesa" /work/.venv-mesa; do
    if [ -x "$cand/bin/python" ]; then venv="$cand"; break; fi
  done
fi
if [ -z "$venv" ] || [ ! -x "$venv/bin/python" ]; then
  cat >&2 <<EOF
run_mesa.sh: no Mesa venv found (looked at \$MESA_VENV, $parent/.venv-mesa, /work/.venv-mesa).
Create one (Mesa 3.5.1 needs Python >= 3.12), outside the repo:
  PY=\$(ls -d "\$(pyenv root 2>/dev/null || echo "\$HOME/.pyenv")"/versions/3.12*/bin/python3 | head -n 1)
  "\$PY" -m venv $parent/.venv-mesa
  $parent/.venv-mesa/bin/pip install mesa==3.5.1 networkx
or point MESA_VENV at an existing one.
EOF
  exit 2
fi

cv="${MESA_CV:-$repo/validation/mesa/mesa_cv.py}"
if [ ! -f "$cv" ]; then
  echo "run_mesa.sh: mesa_cv.py not found at '$cv' (set MESA_CV)" >&2
  exit 2
fi

mkdir -p "$out" || exit 2
py="$venv/bin/python"
echo "# mesa venv: $venv"
echo "# mesa_cv:   $cv"
echo "# seeds $first..$((first + n - 1)), steps $steps, extra args: ${extra[*]:-(none)}"

status=0
files=()
last=$((first + n - 1))
for ((s = first; s <= last; s++)); do
  f="$out/${prefix}seed${s}.csv"
  if ! "$py" "$cv" --steps "$steps" --seed "$s" $lean --quiet-log --out "$f" "${extra[@]}"; then
    echo "run_mesa.sh: seed $s failed" >&2
    status=1
    continue
  fi
  files+=("$f")
done

if [ ${#files[@]} -gt 0 ]; then
  # Columns: step,quiet,active,jailed,in_jail,citizens,cops,step_seconds ; row step 0 has 0 s.
  awk -F, '
    { sub(/\r$/, "") }   # mesa_cv.py writes CRLF line ends
    FNR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    $col["step"] > 0 {
      agents = $col["citizens"] + $col["cops"]
      upd += agents; secs += $col["step_seconds"]; nsteps++
    }
    END {
      if (secs > 0)
        printf "MESA_THROUGHPUT runs=%d steps_total=%d step_seconds_total=%.3f agent_updates=%d agent_updates_per_s=%.0f\n",
               ARGC - 1, nsteps, secs, upd, upd / secs
    }' "${files[@]}"
fi
exit $status
