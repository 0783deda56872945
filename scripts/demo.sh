#!/usr/bin/env bash
# The demo: installs what is missing, builds, serves the demo field with the
# simulator (one RS-485 line on a pty, one Modbus TCP endpoint) and runs the
# daemon on it, printing live readings until Ctrl-C (or for DEMO_SECONDS).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/setup.sh"
"$top/scripts/build.sh" build-demo -DGW_TESTS=OFF
fg="$top/build-demo/fieldgate"
cfg="$top/config/demo/gateway.yaml"
export FIELDGATE_PROFILES="$top/drivers/profiles"
# The demo field is in Ningxia: local time drives the simulated day and the film window.
export TZ=${TZ:-Asia/Shanghai}
run=/tmp/fieldgate-demo
mkdir -p "$run"

sim_pid=
cleanup() {
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
  true
}
trap cleanup EXIT INT TERM

"$fg" sim -c "$cfg" >"$run/sim.out" 2>"$run/sim.log" &
sim_pid=$!
for _ in $(seq 100); do
  grep -q "sim: ready" "$run/sim.out" 2>/dev/null && break
  kill -0 "$sim_pid" 2>/dev/null || { cat "$run/sim.log" >&2; exit 1; }
  sleep 0.1
done
grep -q "sim: ready" "$run/sim.out" || { echo "demo: simulator did not start" >&2; exit 1; }
cat "$run/sim.out"

echo "--- fieldgate check"
"$fg" check -c "$cfg"
echo "--- fieldgate run (Ctrl-C to stop)"
if [ -n "${DEMO_SECONDS:-}" ]; then
  timeout -s INT "$DEMO_SECONDS" "$fg" run -c "$cfg" --output text || [ $? -eq 124 ]
else
  "$fg" run -c "$cfg" --output text || true
fi
