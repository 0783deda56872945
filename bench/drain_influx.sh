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
. "$top/bench/servers.sh"
tmp=$(mktemp -d)
trap 'bench_stop_servers; rm -rf "$tmp"' EXIT
http=$(bench_free_port)
bench_start_influxd "$tmp/influxd" "$http"

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
