#!/usr/bin/env bash
# Acceptance from InfluxDB against from the journal: an influxd (1.x) on 127.0.0.1 in a temp
# dir, accept_bench writes the season (default 60 probes x 5 min x 30 days) to a journal and
# to the database "bench", then times gw_acceptance_from_journal and gw_acceptance_from_influx
# (median of RUNS, default 3). usage: bench/accept_influx.sh [BUILD_DIR] (SENSORS, DAYS,
# INTERVAL, GATEWAYS, EVIDENCE=1 env: the InfluxDB rows are written as GATEWAYS gateways' with plots of
# their own; influxd's RSS growth while the fleet report reads is measured too)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
bench=$build/bench/accept_bench
influxd=${INFLUXD:-/usr/bin/influxd}
[ -x "$bench" ] || { echo "missing $bench (build the accept_bench target)" >&2; exit 1; }
[ -x "$influxd" ] || { echo "missing $influxd (scripts/setup.sh installs it)" >&2; exit 1; }
. "$top/bench/servers.sh"
tmp=$(mktemp -d)
trap 'bench_stop_servers; rm -rf "$tmp"' EXIT
http=$(bench_free_port)
bench_start_influxd "$tmp/influxd" "$http" bench
echo "| source | season | rows | median s | rows/s | peak RSS | influxd RSS growth |"
echo "|---|---|---|---|---|---|---|"
export INFLUXD_PID=${bench_pids[-1]}
FIELDGATE_PROFILES=${FIELDGATE_PROFILES:-$top/drivers/profiles} \
  "$bench" "${SENSORS:-60}" "${DAYS:-30}" "${INTERVAL:-300}" "${RUNS:-3}" "http://127.0.0.1:$http" 2>"$tmp/bench.err" ||
  { cat "$tmp/bench.err" >&2; exit 1; }
