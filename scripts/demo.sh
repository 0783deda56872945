#!/usr/bin/env bash
# The demo: installs what is missing, builds, serves the demo field with the
# simulator (one RS-485 line on a pty, one Modbus TCP endpoint) and runs the
# daemon on it, printing live readings until Ctrl-C (or for DEMO_SECONDS).
# When mosquitto and influxd are installed (scripts/setup.sh --test installs them),
# it also starts both on loopback, lets the daemon deliver to them, and shows what
# arrived: a subscriber's last messages and InfluxDB's point count.
# `scripts/demo.sh --season` instead runs a compressed 2023 season (April to mid-July
# in about two minutes, on the simulator's clock; demo only) with plots whose film was
# never laid, laid late or torn off, and ends with the acceptance report.
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

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  true
}
trap cleanup EXIT INT TERM

# --season: config/demo/season.yaml on the simulator's clock, journal only.
if [ "${1:-}" = "--season" ]; then
  srun="$run/season" scfg="$top/config/demo/season.yaml"
  speed=${DEMO_SEASON_SPEED:-86400} days=106   # 04-01 .. 07-16, past the 07-15 window end
  rm -rf "$srun" && mkdir -p "$srun"
  "$fg" sim -c "$scfg" --speed "$speed" --clock "$srun/sim.clock" >"$srun/sim.out" 2>"$srun/sim.log" &
  pids+=($!)
  for _ in $(seq 100); do grep -q "sim: ready" "$srun/sim.out" 2>/dev/null && break; sleep 0.1; done
  grep -q "sim: ready" "$srun/sim.out" || { cat "$srun/sim.log" >&2; exit 1; }
  cat "$srun/sim.out"
  echo "--- fieldgate run --sim-clock (simulated time, demo only): 2023-04-01 .. 07-16"
  "$fg" run -c "$scfg" --sim-clock "$srun/sim.clock" --duration $((days * 86400 / speed + 1)) \
    2>"$srun/run.log" &
  run_pid=$!
  pids+=("$run_pid")
  t0=$SECONDS
  while sleep 5 && kill -0 "$run_pid" 2>/dev/null; do
    echo "    simulated $(date -d "2023-04-01 +$(( (SECONDS - t0) * speed / 86400 )) days" +%F)"
  done
  wait "$run_pid" || { cat "$srun/run.log" >&2; exit 1; }
  grep -v ' info: ' "$srun/run.log" | cut -c1-200
  if "$fg" report --help >/dev/null 2>&1; then
    echo "--- fieldgate report --level plot (XM-0002 never laid, XM-0003 laid late, JH-0002 torn off)"
    "$fg" report -c "$scfg" --level plot --format csv
  else
    echo "--- (this build has no fieldgate report; the season is in $srun/data/journal.db)"
  fi
  exit 0
fi
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The servers, when present: the demo config plus mqtt and influxdb sections.
servers=
if command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ]; then
  if [ -x /usr/bin/influxd ] && command -v mosquitto_sub >/dev/null && command -v python3 >/dev/null; then
    servers=yes
  fi
fi
if [ -n "$servers" ]; then
  mq_port=$(freeport) ifx_port=$(freeport) rpc_port=$(freeport)
  rm -rf "$run/mosq" "$run/influx" && mkdir -p "$run/mosq"
  printf 'user %s\nlistener %s 127.0.0.1\nallow_anonymous true\n' "$(id -un)" "$mq_port" >"$run/mosquitto.conf"
  /usr/sbin/mosquitto -c "$run/mosquitto.conf" >"$run/mosquitto.log" 2>&1 &
  pids+=($!)
  printf '%s\n' 'reporting-disabled = true' "bind-address = \"127.0.0.1:$rpc_port\"" \
    '[meta]' "  dir = \"$run/influx/meta\"" '[data]' "  dir = \"$run/influx/data\"" \
    "  wal-dir = \"$run/influx/wal\"" '  query-log-enabled = false' '[monitor]' \
    '  store-enabled = false' '[http]' "  bind-address = \"127.0.0.1:$ifx_port\"" \
    '  log-enabled = false' >"$run/influxdb.conf"
  /usr/bin/influxd -config "$run/influxdb.conf" >"$run/influxd.log" 2>&1 &
  pids+=($!)
  query() {
    # prints, per series of the answer, its tags and its largest number
    python3 - "$ifx_port" "$1" <<'PY'
import json, sys, time, urllib.parse, urllib.request
data = urllib.parse.urlencode({"q": sys.argv[2], "db": "fieldgate"}).encode()
for _ in range(300):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/query", data, timeout=2) as r:
            res = json.loads(r.read())["results"][0]
            break
    except OSError:
        time.sleep(0.1)
for s in res.get("series", []):
    n = max((v for row in s["values"] for v in row[1:] if isinstance(v, int)), default=0)
    print(f"  {s.get('tags', {}).get('sensor', s['name'])}: {n}")
PY
  }
  query "CREATE DATABASE fieldgate" >/dev/null
  sleep 0.5
  mosquitto_sub -h 127.0.0.1 -p "$mq_port" -t 'fieldgate/v1/#' -v >"$run/mqtt.out" 2>&1 &
  pids+=($!)
  sed "s|households: households.csv|households: $top/config/demo/households.csv|;
       s|plots: plots.csv|plots: $top/config/demo/plots.csv|" "$cfg" >"$run/gateway.yaml"
  printf 'mqtt: {url: "mqtt://127.0.0.1:%s", qos: 1}\ninfluxdb: {url: "http://127.0.0.1:%s", database: fieldgate, flush_ms: 1000}\n' \
    "$mq_port" "$ifx_port" >>"$run/gateway.yaml"
  cfg="$run/gateway.yaml"
  echo "--- mosquitto on 127.0.0.1:$mq_port, influxd on 127.0.0.1:$ifx_port (data in $run)"
else
  echo "--- no mosquitto/influxd installed: readings stay in the journal ($run/data)"
fi

"$fg" sim -c "$cfg" >"$run/sim.out" 2>"$run/sim.log" &
sim_pid=$!
pids+=("$sim_pid")
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
if [ -n "$servers" ]; then
  sleep 2
  echo "--- what arrived: the last MQTT messages (mosquitto_sub)"
  grep '/plot/' "$run/mqtt.out" | tail -n 3 | cut -c1-300
  echo "... $(grep -c '/plot/' "$run/mqtt.out") reading messages in $run/mqtt.out"
  echo "--- what arrived: InfluxDB points per sensor (SELECT count(*) FROM reading GROUP BY sensor)"
  query 'SELECT count(*) FROM "reading" GROUP BY "sensor"'
fi
