#!/usr/bin/env bash
# Peak RSS of `fieldgate run` with the journal and MQTT QoS 1 (no InfluxDB, no web page) on the
# cost bench's field (SENSORS Modbus TCP units, default 50, x 5 holding registers, 1 poll/s, a
# mosquitto on loopback), for this build and optionally BASELINE (an older binary), interleaved
# in each of RUNS rounds (default 3), SECONDS_PER_RUN (default 20) each. Prints per binary the median
# VmHWM, private memory (smaps_rollup) and the number of shared objects mapped, then which
# libraries the newer one no longer maps. Issue 15 requirement 3: what loading Paho,
# libmicrohttpd and libxlsxwriter on first use saves.
# usage: [BASELINE=old/fieldgate] bench/load_rss.sh [BUILD_DIR]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
runs=${RUNS:-3} secs=${SECONDS_PER_RUN:-20} nsens=${SENSORS:-50}
bins=("$build/fieldgate")
[ -z "${BASELINE:-}" ] || bins+=("$BASELINE")
. "$top/bench/servers.sh"
tmp=$(mktemp -d)
sim=
cleanup() {
  [ -z "$sim" ] || { kill "$sim" 2>/dev/null && wait "$sim" 2>/dev/null; }
  bench_stop_servers
  rm -rf "$tmp"
}
trap cleanup EXIT
sim_port=$(bench_free_port) mq_port=$(bench_free_port)
bench_start_mosquitto "$tmp/mosquitto" "$mq_port"
mkdir -p "$tmp/profiles"
cp "$top"/drivers/profiles/*.yaml "$tmp/profiles/"
cat >"$tmp/profiles/bench-5reg.yaml" <<'YAML'
name: bench-5reg
description: five holding registers in one request (the cost benchmark's device)
serial: {baud: 9600, parity: N, data_bits: 8, stop_bits: 1}
registers:
  moisture_pct:  {function: holding, address: 0x0000, type: uint16, scale: 0.1, unit: "%", range: [0, 100]}
  temperature_c: {function: holding, address: 0x0001, type: int16, scale: 0.1, unit: degC, range: [-40, 80]}
  ec_us_cm:      {function: holding, address: 0x0002, type: uint16, scale: 1, unit: uS/cm, range: [0, 20000]}
  ph:            {function: holding, address: 0x0003, type: uint16, scale: 0.01, unit: pH, range: [3, 9]}
  salinity:      {function: holding, address: 0x0004, type: uint16, scale: 1, unit: mg/L, range: [0, 20000]}
addressing:
  unknown: "bench device"
YAML
export FIELDGATE_PROFILES=$tmp/profiles FIELDGATE_ASSUME_SYNCED=1
{
  echo "gateway: {id: bench, township: 新民乡, data_dir: $tmp/data, log_level: warn}"
  echo "timeouts: {response_ms: 1000, retries: 0}"
  echo "buses: [{name: tcp1, type: tcp, host: 127.0.0.1, port: $sim_port}]"
  echo "mqtt: {url: \"mqtt://127.0.0.1:$mq_port\", qos: 1, max_inflight: 100}"
  echo "sensors:"
  for u in $(seq 1 "$nsens"); do
    echo "  - {id: s$u, bus: tcp1, unit: $u, profile: bench-5reg, plot: P-$u, interval_s: 1}"
  done
} >"$tmp/mqtt.yaml"
"${bins[0]}" sim -c "$tmp/mqtt.yaml" --tcp "127.0.0.1:$sim_port" >"$tmp/sim.out" 2>&1 &
sim=$!
for _ in $(seq 100); do grep -q "sim: ready" "$tmp/sim.out" && break; sleep 0.1; done
grep -q "sim: ready" "$tmp/sim.out" || { cat "$tmp/sim.out" >&2; exit 1; }

# measure I: one run of bins[I]; appends "hwm_kb private_kb nlibs" to res.I, its libraries to libs.I
measure() {
  local i=$1 pid
  rm -rf "$tmp/data"
  "${bins[$i]}" run -c "$tmp/mqtt.yaml" >"$tmp/run.out" 2>&1 &
  pid=$!
  sleep "$secs"
  kill -0 "$pid" || { cat "$tmp/run.out" >&2; exit 1; }
  awk '$6 ~ /\.so/ {n = split($6, p, "/"); print p[n]}' "/proc/$pid/maps" | sort -u >"$tmp/libs.$i"
  echo "$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status")" \
    "$(awk '/^Private_(Clean|Dirty):/ {s += $2} END {print s}' "/proc/$pid/smaps_rollup")" \
    "$(wc -l <"$tmp/libs.$i")" >>"$tmp/res.$i"
  kill "$pid"
  wait "$pid" || true
  echo "run: ${bins[$i]} $(tail -1 "$tmp/res.$i")" >&2
}
for _ in $(seq "$runs"); do
  for i in "${!bins[@]}"; do measure "$i"; done
done

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "$nsens Modbus TCP units x 5 registers, 1 poll/s, journal + MQTT QoS 1 (mqtt://), no InfluxDB;"
echo "median of $runs interleaved runs of $secs s; $(date -u +%Y-%m-%d), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| binary | peak RSS (VmHWM) | private memory | shared objects mapped |"
echo "|---|---|---|---|"
for i in "${!bins[@]}"; do
  h=$(awk '{print $1}' "$tmp/res.$i" | median) p=$(awk '{print $2}' "$tmp/res.$i" | median)
  n=$(awk '{print $3}' "$tmp/res.$i" | median)
  echo "| $([ "$i" = 0 ] && echo "this build" || echo "baseline") | $(awk -v x="$h" 'BEGIN {printf "%.1f", x / 1024}') MB | $(awk -v x="$p" 'BEGIN {printf "%.1f", x / 1024}') MB | $n |"
done
if [ "${#bins[@]}" -gt 1 ]; then
  echo
  echo "Mapped by the baseline only: $(comm -13 "$tmp/libs.0" "$tmp/libs.1" | sed 's/\.so.*//' | tr '\n' ' ')"
  echo "Mapped by this build only: $(comm -23 "$tmp/libs.0" "$tmp/libs.1" | sed 's/\.so.*//' | tr '\n' ' ')"
fi
