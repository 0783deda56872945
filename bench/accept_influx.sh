#!/usr/bin/env bash
# Acceptance from InfluxDB against from the journal: an influxd (1.x) on 127.0.0.1 in a temp
# dir, accept_bench writes the season (default 60 probes x 5 min x 30 days) to a journal and
# to the database "bench", then times gw_acceptance_from_journal and gw_acceptance_from_influx
# (median of RUNS, default 3). usage: bench/accept_influx.sh [BUILD_DIR] (SENSORS, DAYS env)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
bench=$build/bench/accept_bench
influxd=${INFLUXD:-/usr/bin/influxd}
[ -x "$bench" ] || { echo "missing $bench (build the accept_bench target)" >&2; exit 1; }
[ -x "$influxd" ] || { echo "missing $influxd (scripts/setup.sh installs it)" >&2; exit 1; }
tmp=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
http=$(free_port)
rpc=$(free_port)
cat >"$tmp/influxdb.conf" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:$rpc"
[meta]
  dir = "$tmp/meta"
[data]
  dir = "$tmp/data"
  wal-dir = "$tmp/wal"
  query-log-enabled = false
[monitor]
  store-enabled = false
[http]
  bind-address = "127.0.0.1:$http"
  log-enabled = false
CONF
influx_pid=
cleanup() {
  [ -n "$influx_pid" ] && kill "$influx_pid" 2>/dev/null && wait "$influx_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
"$influxd" -config "$tmp/influxdb.conf" >"$tmp/influxd.log" 2>&1 &
influx_pid=$!
for _ in $(seq 300); do
  curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http/ping" 2>/dev/null | grep -q 204 && break
  sleep 0.1
done
curl -s -XPOST "http://127.0.0.1:$http/query" --data-urlencode 'q=CREATE DATABASE bench' >/dev/null
echo "| source | season | rows | median s | rows/s | peak RSS |"
echo "|---|---|---|---|---|---|"
FIELDGATE_PROFILES=${FIELDGATE_PROFILES:-$top/drivers/profiles} \
  "$bench" "${SENSORS:-60}" "${DAYS:-30}" 300 "${RUNS:-3}" "http://127.0.0.1:$http" 2>"$tmp/bench.err" ||
  { cat "$tmp/bench.err" >&2; exit 1; }
