#!/usr/bin/env bash
# End-to-end test of `unrest serve` in a real browser (issue 6).
#
# Installs what it needs, loudly failing if a registry cannot be reached:
#   - Debian's chromium (apt-get; needs root), unless /usr/bin/chromium exists;
#   - playwright-core from npm into web-tests/node_modules (never a browser download).
# Builds `unrest`, starts `unrest serve` on a free loopback port, runs
# web-tests/e2e.test.mjs with Node's test runner, and keeps the screenshot in
# target/e2e/web.png. Exits non-zero on any failure.
#
# Usage: scripts/e2e-web.sh            (UNREST_BIN=path skips the cargo build)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/target/e2e
mkdir -p "$OUT"
start=$(date +%s)

if [ ! -x /usr/bin/chromium ]; then
  echo "e2e-web: installing Debian's chromium" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || { echo "e2e-web: apt-get update failed: Debian's package registry unreachable?" >&2; exit 1; }
  apt-get install -y -qq chromium >"$OUT/apt.log" 2>&1 || { echo "e2e-web: apt-get install chromium failed (see $OUT/apt.log)" >&2; exit 1; }
fi
command -v node >/dev/null || { echo "e2e-web: node is not installed" >&2; exit 1; }

if [ ! -d web-tests/node_modules/playwright-core ]; then
  echo "e2e-web: installing playwright-core from npm" >&2
  (cd web-tests && npm install --no-audit --no-fund --loglevel=error) \
    || { echo "e2e-web: npm install failed: npm registry unreachable?" >&2; exit 1; }
fi

BIN=${UNREST_BIN:-}
if [ -z "$BIN" ]; then
  cargo build -q -p unrest-cli
  BIN=${CARGO_TARGET_DIR:-$ROOT/target}/debug/unrest
fi

LOG=$OUT/server.log
"$BIN" serve epstein-run2 --port 0 >"$LOG" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
URL=""
for _ in $(seq 1 100); do
  URL=$(grep -o 'http://127\.0\.0\.1:[0-9]*/' "$LOG" | head -1 || true)
  [ -n "$URL" ] && break
  kill -0 $SERVER 2>/dev/null || { echo "e2e-web: server exited:" >&2; cat "$LOG" >&2; exit 1; }
  sleep 0.1
done
[ -n "$URL" ] || { echo "e2e-web: server printed no URL" >&2; cat "$LOG" >&2; exit 1; }
echo "e2e-web: server at $URL" >&2

cd web-tests
# UNREST_BIN lets the tests start servers of their own (restarts, a full server).
if ! UNREST_URL=$URL UNREST_BIN=$BIN UNREST_SCREENSHOT=$OUT/web.png node --test --test-concurrency=1 e2e.test.mjs; then
  echo "e2e-web: FAILED; server log ($LOG):" >&2
  tail -n 30 "$LOG" >&2
  exit 1
fi
echo "e2e-web: ok in $(( $(date +%s) - start )) s; screenshot $OUT/web.png" >&2
