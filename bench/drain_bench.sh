#!/usr/bin/env bash
# Delivery benchmarks (issue "durable delivery", requirement 7):
#  (a) catch-up: N readings (default 500,000) wait in the journal, polled while both
#      servers were down; then a real mosquitto (QoS 1) or influxd comes up on loopback and
#      we time how long the daemon takes to move that sink's cursor to the last row;
#  (b) disk: bytes the daemon writes per reading during normal polling (60 sensors at
#      1 s), from /proc/PID/io, with a transaction per poll cycle and with commit_ms 5000.
# Medians of RUNS (default 3). Prints a markdown table.
# usage: bench/drain_bench.sh [BUILD_DIR]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
fg=$build/fieldgate
runs=${RUNS:-3}
want=${READINGS:-500000}
disk_secs=${DISK_SECONDS:-60}
export FIELDGATE_PROFILES=$top/drivers/profiles FIELDGATE_ASSUME_SYNCED=1
. "$top/bench/servers.sh"
tmp=$(mktemp -d)
sim_port=$(bench_free_port) mq_port=$(bench_free_port) ifx_port=$(bench_free_port)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  bench_stop_servers
  rm -rf "$tmp"
}
trap cleanup EXIT

# $1: file, $2: extra journal keys, $3: sensors, $4: interval
config() {
  {
    echo "gateway: {id: bench, township: 新民乡, data_dir: $tmp/data, log_level: warn, metrics_interval_s: 0}"
    echo "timeouts: {response_ms: 1000, retries: 0}"
    echo "buses: [{name: tcp1, type: tcp, host: 127.0.0.1, port: $sim_port}]"
    echo "journal: {max_mb: 4096$2}"
    echo "mqtt: {url: \"mqtt://127.0.0.1:$mq_port\", qos: 1, max_inflight: 100}"
    echo "influxdb: {url: \"http://127.0.0.1:$ifx_port\", database: bench, batch_size: 5000}"
    echo "sensors:"
    for u in $(seq 1 "$3"); do
      echo "  - {id: s$u, bus: tcp1, unit: $u, profile: dfrobot-sen0601, plot: P-$u, interval_s: $4}"
    done
  } >"$1"
}

start_sim() {
  "$fg" sim -c "$1" --tcp "127.0.0.1:$sim_port" >"$tmp/sim.out" 2>&1 &
  sim_pid=$!
  pids+=("$sim_pid")
  for _ in $(seq 100); do grep -q "sim: ready" "$tmp/sim.out" && break; sleep 0.1; done
}
stop_pid() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null || true; }
sql() {
  python3 -c "import sqlite3,sys; r=sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone(); print((r and r[0]) or 0)" \
    "$tmp/data/journal.db" "$1"
}

# Fills the journal with about $want readings while no server is up.
fill() {
  rm -rf "$tmp/data"
  config "$tmp/fill.yaml" "" 100 1
  start_sim "$tmp/fill.yaml"
  "$fg" run -c "$tmp/fill.yaml" --flat-out --duration 600 >/dev/null 2>"$tmp/fill.log" &
  local run=$!
  until [ -f "$tmp/data/journal.db" ] && [ "$(sql 'SELECT max(seq) FROM readings')" -ge "$want" ]; do
    sleep 0.5
  done
  stop_pid "$run"
  stop_pid "$sim_pid"
}

# $1: sink name; prints readings/s for draining what fill() left.
drain() {
  local sink=$1 last t0 t1 run
  last=$(sql 'SELECT max(seq) FROM readings')
  config "$tmp/drain.yaml" "" 100 86400  # no simulator: one failed poll per sensor
  if [ "$sink" = mqtt ]; then
    bench_start_mosquitto "$tmp/mosq" "$mq_port"
  else
    bench_start_influxd "$tmp/influx" "$ifx_port" bench
  fi
  t0=$(date +%s.%N)
  "$fg" run -c "$tmp/drain.yaml" >/dev/null 2>"$tmp/drain.log" &
  run=$!
  until [ "$(sql "SELECT seq FROM cursors WHERE sink='$sink'")" -ge "$last" ]; do sleep 0.05; done
  t1=$(date +%s.%N)
  stop_pid "$run"
  bench_stop_servers
  rm -rf "$tmp/influx" "$tmp/mosq"
  python3 -c "print(round($last / ($t1 - $t0)))"
}

# $1: extra journal keys; prints "wchar_per_reading write_bytes_per_reading" in the steady
# state: from 10 s after the start (the journal's creation is not normal polling) to
# DISK_SECONDS later.
disk() {
  local run n0 n1 io0 io1
  rm -rf "$tmp/data"
  config "$tmp/disk.yaml" "$1" 60 1
  start_sim "$tmp/disk.yaml"
  "$fg" run -c "$tmp/disk.yaml" >/dev/null 2>"$tmp/disk.log" &
  run=$!
  sleep 10
  io0=$(cat "/proc/$run/io") n0=$(sql 'SELECT max(seq) FROM readings')
  sleep "$disk_secs"
  io1=$(cat "/proc/$run/io") n1=$(sql 'SELECT max(seq) FROM readings')
  stop_pid "$run"
  stop_pid "$sim_pid"
  printf '%s\n%s\n' "$io0" "$io1" | awk -v n=$((n1 - n0)) '
    /^wchar/ {w[++i] = $2} /^write_bytes/ {b[++j] = $2}
    END {printf "%d %d\n", (w[2] - w[1]) / n, (b[2] - b[1]) / n}'
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

mq=() ifx=() d0=() d5=() b0=() b5=()
for i in $(seq "$runs"); do
  if [ -z "${DISK_ONLY:-}" ]; then
    fill
    mq+=("$(drain mqtt)")
    ifx+=("$(drain influxdb)")
  fi
  read -r w b <<<"$(disk "")"; d0+=("$w"); b0+=("$b")
  read -r w b <<<"$(disk ", commit_ms: 5000")"; d5+=("$w"); b5+=("$b")
done
echo "| measurement | median of $runs | runs |"
echo "|---|---|---|"
echo "| drain $want readings to mosquitto, QoS 1 (readings/s) | $(printf '%s\n' "${mq[@]}" | median) | ${mq[*]} |"
echo "| drain $want readings to influxd 1.x (readings/s) | $(printf '%s\n' "${ifx[@]}" | median) | ${ifx[*]} |"
echo "| bytes written per reading, commit per poll cycle (wchar / block writes) | $(printf '%s\n' "${d0[@]}" | median) / $(printf '%s\n' "${b0[@]}" | median) | ${d0[*]} / ${b0[*]} |"
echo "| bytes written per reading, commit_ms 5000 (wchar / block writes) | $(printf '%s\n' "${d5[@]}" | median) / $(printf '%s\n' "${b5[@]}" | median) | ${d5[*]} / ${b5[*]} |"
