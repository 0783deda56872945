#!/usr/bin/env bash
# Cost benchmark (issue 15): what a reading costs with each sink on, next to a bare loop.
# One simulated field (`fieldgate sim`: SENSORS Modbus TCP units, default 50, x 5 holding
# registers, one request a poll), one mosquitto and one influxd on loopback, and in turn, interleaved
# within each of RUNS rounds (default 3):
#   fieldgate, journal only | + MQTT QoS 1 | + MQTT QoS 1 + InfluxDB | bare_mqtt_loop (QoS 0)
#   (BARE_QOS1=1 adds bare_mqtt_loop at QoS 1: the floor of QoS 1 through Paho's synchronous client)
# each polling every sensor once a second for WARMUP (default 5) + SECONDS_PER_RUN (default 60)
# seconds. Measured from /proc over the SECONDS_PER_RUN window after the warm-up: CPU
# (utime+stime of /proc/PID/stat), polls (journal rows; the bare loop: sensors x seconds),
# bytes written (wchar of /proc/PID/io), context switches (voluntary + nonvoluntary of every
# thread's /proc/PID/task/TID/status); at the end peak RSS (VmHWM) and private memory
# (Private_Clean + Private_Dirty of /proc/PID/smaps_rollup). Medians per configuration.
# Then the InfluxDB drain: DRAIN_READINGS (default 300,000) readings in a journal posted by
# the sink (bench/drain_influx) and the same line protocol posted by plain libcurl
# (bench/raw_post), bytes/s, medians of RUNS, interleaved.
# BASELINE=FIELDGATE_BINARY adds that binary with every sink on as a fifth configuration in
# the same rounds (an older build, for a before/after).
# usage: bench/cost_bench.sh [BUILD_DIR]   (prints Markdown; progress on stderr)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
fg=$build/fieldgate
bare=$build/bench/bare_mqtt_loop
runs=${RUNS:-3}
secs=${SECONDS_PER_RUN:-60}
warm=${WARMUP:-5}
nsens=${SENSORS:-50}
drain_n=${DRAIN_READINGS:-300000}
for b in "$fg" "$bare" "$build/bench/drain_influx" "$build/bench/raw_post"; do
  [ -x "$b" ] || { echo "missing $b (build it first)" >&2; exit 1; }
done
. "$top/bench/servers.sh"
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  bench_stop_servers
  rm -rf "$tmp"
}
trap cleanup EXIT
sim_port=$(bench_free_port) mq_port=$(bench_free_port) ifx_port=$(bench_free_port)
bench_start_mosquitto "$tmp/mosquitto" "$mq_port"
bench_start_influxd "$tmp/influxd" "$ifx_port" bench

# The bench's device: 5 holding registers read in one request.
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

# config FILE SINKS: SINKS is "", "m" (MQTT) or "mi" (MQTT and InfluxDB).
config() {
  {
    echo "gateway: {id: bench, township: 新民乡, data_dir: $tmp/data, log_level: warn}"
    echo "timeouts: {response_ms: 1000, retries: 0}"
    echo "buses: [{name: tcp1, type: tcp, host: 127.0.0.1, port: $sim_port}]"
    case $2 in *m*) echo "mqtt: {url: \"mqtt://127.0.0.1:$mq_port\", qos: 1, max_inflight: 100}" ;; esac
    case $2 in *i*) echo "influxdb: {url: \"http://127.0.0.1:$ifx_port\", database: bench}" ;; esac
    echo "sensors:"
    for u in $(seq 1 "$nsens"); do
      echo "  - {id: s$u, bus: tcp1, unit: $u, profile: bench-5reg, plot: P-$u, interval_s: 1}"
    done
  } >"$1"
}
config "$tmp/journal.yaml" ""
config "$tmp/mqtt.yaml" m
config "$tmp/all.yaml" mi

"$fg" sim -c "$tmp/journal.yaml" --tcp "127.0.0.1:$sim_port" >"$tmp/sim.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q "sim: ready" "$tmp/sim.out" && break; sleep 0.1; done
grep -q "sim: ready" "$tmp/sim.out" || { cat "$tmp/sim.out" >&2; exit 1; }

# sample PID: "ticks wchar ctxt" now.
sample() {
  local pid=$1 ticks wchar ctxt
  ticks=$(awk '{sub(/.*\) /, ""); print $12 + $13}' "/proc/$pid/stat")
  wchar=$(awk '/^wchar:/ {print $2}' "/proc/$pid/io")
  ctxt=$(cat /proc/"$pid"/task/*/status 2>/dev/null |
    awk '/^(non)?voluntary_ctxt_switches:/ {s += $2} END {print s}')
  echo "$ticks $wchar $ctxt"
}
# memory PID: "hwm_kb private_kb".
memory() {
  local hwm priv
  hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$1/status")
  priv=$(awk '/^Private_(Clean|Dirty):/ {s += $2} END {print s}' "/proc/$1/smaps_rollup")
  echo "$hwm $priv"
}
rows() {
  python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from readings').fetchone()[0])" \
    "$tmp/data/journal.db" 2>/dev/null || echo 0
}
hz=$(getconf CLK_TCK)

# measure NAME: one run of one configuration; appends "cpu_per_1k hwm priv wchar_per ctxt_per".
measure() {
  local name=$1 pid a b m r0=0 r1 polls
  rm -rf "$tmp/data"
  if [ "$name" = bare1 ]; then
    BARE_QOS=1 "$bare" 127.0.0.1 "$sim_port" "$nsens" 0 5 "tcp://127.0.0.1:$mq_port" >"$tmp/bare.out" 2>&1 &
  elif [ "$name" = bare ]; then
    "$bare" 127.0.0.1 "$sim_port" "$nsens" 0 5 "tcp://127.0.0.1:$mq_port" >"$tmp/bare.out" 2>&1 &
  elif [ "$name" = base ]; then
    "$BASELINE" run -c "$tmp/all.yaml" >"$tmp/run.out" 2>&1 &
  else
    "$fg" run -c "$tmp/$name.yaml" >"$tmp/run.out" 2>&1 &
  fi
  pid=$!
  sleep "$warm"
  a=$(sample "$pid")
  case $name in bare*) ;; *) r0=$(rows) ;; esac
  sleep "$secs"
  b=$(sample "$pid")
  m=$(memory "$pid")
  case $name in bare*) r1=$((nsens * secs)) ;; *) r1=$(rows) ;; esac
  kill "$pid"
  wait "$pid" || true
  polls=$((r1 - r0))
  echo "$a $b $m $polls" | awk -v hz="$hz" '{
    printf "%.4f %.1f %.1f %.1f %.2f\n", ($4 - $1) / hz / $9 * 1000, $7 / 1024, $8 / 1024,
      ($5 - $2) / $9, ($6 - $3) / $9 }' >>"$tmp/res.$name"
  echo "run: $name polls=$polls $(tail -1 "$tmp/res.$name")" >&2
}

names=(journal mqtt all bare)
[ -z "${BARE_QOS1:-}" ] || names+=(bare1)
[ -z "${BASELINE:-}" ] || names+=(base)
for i in $(seq "$runs"); do
  for n in "${names[@]}"; do measure "$n"; done
done

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
col() { awk -v c="$2" '{print $c}' "$tmp/res.$1" | median; }
spread() { awk -v c="$2" '{print $c}' "$tmp/res.$1" | sort -n | tr '\n' ' ' | sed 's/ $//'; }
label() {
  case $1 in
    journal) echo "fieldgate, journal only" ;;
    mqtt) echo "fieldgate, journal + MQTT QoS 1" ;;
    all) echo "fieldgate, journal + MQTT QoS 1 + InfluxDB" ;;
    bare) echo "bare libmodbus + Paho loop (QoS 0, no journal)" ;;
    bare1) echo "bare libmodbus + Paho loop (QoS 1, acknowledgements awaited once a cycle, no journal)" ;;
    base) echo "baseline build ($(basename "$(dirname "$BASELINE")")), journal + MQTT QoS 1 + InfluxDB" ;;
  esac
}
echo "$nsens Modbus TCP units x 5 registers (\`fieldgate sim\`), 1 poll/s each; mosquitto and influxd on loopback;"
echo "median of $runs interleaved runs of ${secs} s (after ${warm} s warm-up); $(date -u +%Y-%m-%d), $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| configuration | CPU s per 1k polls (runs) | peak RSS (VmHWM) | private memory | bytes written per reading | context switches per reading |"
echo "|---|---|---|---|---|---|"
for n in "${names[@]}"; do
  echo "| $(label "$n") | $(col "$n" 1) ($(spread "$n" 1)) | $(col "$n" 2) MB | $(col "$n" 3) MB | $(col "$n" 4) | $(col "$n" 5) |"
done

# The InfluxDB drain next to plain libcurl posting the same line protocol.
sink_drain() {
  rm -rf "$tmp/drain"
  "$build/bench/drain_influx" "http://127.0.0.1:$ifx_port" "drain$1" "$tmp/drain" "$drain_n" auto \
    "$tmp/lines.lp" >"$tmp/drain.out" 2>"$tmp/drain.err" || { cat "$tmp/drain.err" >&2; exit 1; }
  sed -n 's/.*bytes_per_s=\([0-9.]*\).*/\1/p' "$tmp/drain.out" >>"$tmp/res.sink"
}
raw_drain() {
  "$build/bench/raw_post" "http://127.0.0.1:$ifx_port" "raw$1" "$tmp/lines.lp" 5000 \
    >"$tmp/raw.out" 2>"$tmp/raw.err" || { cat "$tmp/raw.err" >&2; exit 1; }
  sed -n 's/.*bytes_per_s=\([0-9.]*\).*/\1/p' "$tmp/raw.out" >>"$tmp/res.raw"
}
# influxd settles after the polling rounds' writes; then sink and raw take turns going first
# (the sink's run writes the lines raw_post posts, so the first round starts with it).
sleep 5
for i in $(seq "$runs"); do
  if [ $((i % 2)) = 1 ]; then sink_drain "$i"; raw_drain "$i"; else raw_drain "$i"; sink_drain "$i"; fi
  echo "drain run $i: sink $(cat "$tmp/drain.out"); raw $(cat "$tmp/raw.out")" >&2
done
s=$(median <"$tmp/res.sink") r=$(median <"$tmp/res.raw")
echo
echo "InfluxDB drain of $drain_n readings (batches of 5,000 lines, loopback), median of $runs interleaved runs:"
echo
echo "| poster | MB/s (runs) | ratio to raw libcurl |"
echo "|---|---|---|"
echo "| the InfluxDB sink draining the journal | $(awk -v x="$s" 'BEGIN {printf "%.1f", x / 1e6}') ($(sort -n "$tmp/res.sink" | awk '{printf "%s%.1f", (NR > 1 ? " " : ""), $1 / 1e6}')) | $(awk -v s="$s" -v r="$r" 'BEGIN {printf "%.2f", s / r}') |"
echo "| plain libcurl, same lines | $(awk -v x="$r" 'BEGIN {printf "%.1f", x / 1e6}') ($(sort -n "$tmp/res.raw" | awk '{printf "%s%.1f", (NR > 1 ? " " : ""), $1 / 1e6}')) | 1.00 |"
