#!/usr/bin/env bash
# Polling benchmark: 100 simulated sensors on one Modbus TCP endpoint (the
# simulator on 127.0.0.1), read (a) by a bare libmodbus loop, the floor, and
# (b) by `fieldgate run --flat-out` (every reading committed to the journal);
# then (c) fieldgate at 1 pass/s.
# Medians of RUNS runs (default 3) of SECONDS each (default 10).
# usage: bench/poll_bench.sh [BUILD_DIR]   (prints a markdown table)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
fg=$build/fieldgate
bare=$build/bench/bare_loop
runs=${RUNS:-3}
secs=${SECONDS_PER_RUN:-10}
export FIELDGATE_PROFILES=$top/drivers/profiles FIELDGATE_ASSUME_SYNCED=1
tmp=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

{
  echo "gateway: {id: bench, township: 新民乡, data_dir: $tmp/data, log_level: warn}"
  echo "timeouts: {response_ms: 1000, retries: 0}"
  echo "buses: [{name: tcp1, type: tcp, host: 127.0.0.1, port: $port}]"
  echo "sensors:"
  for u in $(seq 1 100); do
    echo "  - {id: s$u, bus: tcp1, unit: $u, profile: dfrobot-sen0601, interval_s: 1}"
  done
} >"$tmp/gateway.yaml"

sim_pid=
cleanup() {
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
# The simulator on core 0, the pollers on core 1: the same placement for both,
# since where threads land moves these rates by several times on a 2-core VM.
taskset -c 0 "$fg" sim -c "$tmp/gateway.yaml" >"$tmp/sim.out" 2>&1 &
sim_pid=$!
for _ in $(seq 100); do grep -q "sim: ready" "$tmp/sim.out" && break; sleep 0.1; done
grep -q "sim: ready" "$tmp/sim.out"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }

# One layout: $1 = the cores the pollers (bare loop and fieldgate) may use.
measure() {
  local cores=$1 bare_rps=() fg_rps=() fg_cpu=() fg_rss=() slow_cpu=() slow_rss=() out n b f
  for i in $(seq "$runs"); do
    bare_rps+=("$(taskset -c "$cores" "$bare" 127.0.0.1 "$port" 100 0 3 "$secs" | field requests_per_s)")
    rm -rf "$tmp/data"  # each run starts with an empty journal
    out=$(taskset -c "$cores" "$fg" run -c "$tmp/gateway.yaml" --flat-out --duration "$secs" --stats 2>&1 >/dev/null | grep '^stats:')
    n=$(echo "$out" | field readings)
    fg_rps+=("$(echo "$n $secs" | awk '{printf "%.1f", $1/$2}')")
    fg_cpu+=("$(echo "$out" | field cpu_us_per_reading)")
    fg_rss+=("$(echo "$out" | field max_rss_kb)")
    rm -rf "$tmp/data"
    out=$(taskset -c "$cores" "$fg" run -c "$tmp/gateway.yaml" --duration "$secs" --stats 2>&1 >/dev/null | grep '^stats:')
    slow_cpu+=("$(echo "$out" | field cpu_us_per_reading)")
    slow_rss+=("$(echo "$out" | field max_rss_kb)")
  done
  b=$(printf '%s\n' "${bare_rps[@]}" | median)
  f=$(printf '%s\n' "${fg_rps[@]}" | median)
  echo "| pollers on cores $cores | $b | $f | $(echo "$f $b" | awk '{printf "%.1f %%", 100*$1/$2}') |" \
    "$(printf '%s\n' "${fg_cpu[@]}" | median) | $(printf '%s\n' "${fg_rss[@]}" | median | awk '{printf "%.1f MB", $1/1024}') |" \
    "$(printf '%s\n' "${slow_cpu[@]}" | median) | $(printf '%s\n' "${slow_rss[@]}" | median | awk '{printf "%.1f MB", $1/1024}') |"
}

echo "100 sensors x 3 registers, Modbus TCP on loopback, simulator on core 0; median of $runs x ${secs}s"
echo
echo "| layout | bare loop req/s | fieldgate --flat-out readings/s | ratio | CPU us/reading flat out | peak RSS flat out | CPU us/reading at 1 pass/s | peak RSS at 1 pass/s |"
echo "|---|---|---|---|---|---|---|---|"
measure 1
measure 0-1
