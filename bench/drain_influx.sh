#!/usr/bin/env bash
# InfluxDB sink drain benchmark: READINGS (default 500000) readings pre-written to a fresh
# journal, an influxd (1.x) on 127.0.0.1 in a temp dir, the sink started with the default
# batch settings (5000 a batch, gzip on); time from sink start until its cursor reaches the
# journal's last seq. Median of RUNS runs (default 3), each into a new database.
# usage: bench/drain_influx.sh [BUILD_DIR]   (prints a markdown table)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
drain=$build/bench/drain_influx
readings=${READINGS:-500000}
runs=${RUNS:-3}
gzip=${GZIP:-1}
influxd=${INFLUXD:-/usr/bin/influxd}
[ -x "$drain" ] || { echo "missing $drain (build the drain_influx target)" >&2; exit 1; }
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
curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http/ping" | grep -q 204

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
rates=()
for i in $(seq "$runs"); do
  rm -rf "$tmp/journal"
  out=$("$drain" "http://127.0.0.1:$http" "bench$i" "$tmp/journal" \
        "$readings" "$gzip" 2>"$tmp/drain.err") || { cat "$tmp/drain.err" >&2; exit 1; }
  rates+=("$(echo "$out" | field readings_per_s)")
  echo "run $i: $out" >&2
done
echo "| readings | gzip | runs | median readings/s | all runs |"
echo "|---|---|---|---|---|"
echo "| $readings | $gzip | $runs | $(printf '%s\n' "${rates[@]}" | median) | ${rates[*]} |"
