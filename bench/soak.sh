#!/usr/bin/env bash
# Soak: the daemon for hours of simulated time with faults injected, watched from outside.
# SENSORS (default 20) Modbus TCP sensors every 60 simulated seconds on the simulator's clock
# at SPEED (default 60: a real minute is a simulated hour, one reading a second a sensor),
# delivering to a real mosquitto (QoS 1) and influxd on loopback, for MINUTES real minutes
# (default 12). One event a minute (STEP real seconds), in turn: three sensors die, they
# recover, the broker is stopped, started, InfluxDB stopped, started, the field's link dropped
# (simulator stopped), back, the data directory nearly full (when this runs as root and may
# mount a tmpfs of its own: a ballast file leaves DISK_FREE_KB, default 64, less than the
# journal grows in a step), freed, then quiet. Every SAMPLE seconds (default 15): RSS, open
# fds, threads, CPU per reading, readings journalled, each sink's depth. At the end (SIGTERM,
# the sinks' 5 s drain): readings journalled against polls due, rows past each cursor, and
# InfluxDB's points against the journal's rows.
# usage: bench/soak.sh [BUILD_DIR]   (prints a markdown report; STEP=20 SAMPLE=10 for a quick look)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
fg=$build/fieldgate
sensors=${SENSORS:-20} speed=${SPEED:-60} minutes=${MINUTES:-12} sample=${SAMPLE:-15}
step=${STEP:-60} # real seconds per "minute" (shorter for a quick look)
export FIELDGATE_PROFILES=$top/drivers/profiles FIELDGATE_ASSUME_SYNCED=1
[ -x "$fg" ] || { echo "missing $fg (build first)" >&2; exit 1; }
. "$top/bench/servers.sh"
tmp=$(mktemp -d)
sim_port=$(bench_free_port) mq_port=$(bench_free_port) ifx_port=$(bench_free_port)
sim_pid= run_pid= mounted=
mq_pid= ifx_pid=
cleanup() {
  for p in $run_pid $sim_pid; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  bench_stop_servers
  [ -n "$mounted" ] && umount "$tmp/data" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

mkdir -p "$tmp/data"
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=48m tmpfs "$tmp/data" 2>/dev/null; then
  mounted=1
fi
{
  echo "gateway: {id: soak, township: 新民乡, data_dir: $tmp/data, log_level: notice, metrics_interval_s: 3600}"
  echo "timeouts: {response_ms: 500, retries: 0, backoff_max_s: 120}"
  echo "buses: [{name: tcp1, type: tcp, host: 127.0.0.1, port: $sim_port}]"
  echo "journal: {max_mb: 32}"
  echo "mqtt: {url: \"mqtt://127.0.0.1:$mq_port\", qos: 1}"
  echo "influxdb: {url: \"http://127.0.0.1:$ifx_port\", database: soak}"
  echo "sim: {start: 2023-06-20T18:00, speed: $speed, seed: 7}"
  echo "sensors:"
  for u in $(seq 1 "$sensors"); do
    echo "  - {id: s$u, bus: tcp1, unit: $u, profile: dfrobot-sen0601, plot: P-$u, interval_s: 60}"
  done
} >"$tmp/gateway.yaml"
echo "faults: []" >"$tmp/faults.yaml"

start_sim() { # $@: extra arguments
  "$fg" sim -c "$tmp/gateway.yaml" --tcp "127.0.0.1:$sim_port" --faults "$tmp/faults.yaml" "$@" \
    >"$tmp/sim.out" 2>&1 &
  sim_pid=$!
  for _ in $(seq 100); do grep -q "sim: ready" "$tmp/sim.out" && return 0; sleep 0.1; done
  echo "the simulator did not start: $(tail -3 "$tmp/sim.out")" >&2
  return 1
}
stop() { kill "$1" 2>/dev/null && wait "$1" 2>/dev/null || true; }
start_mq() { bench_start_mosquitto "$tmp/mq" "$mq_port"; mq_pid=${bench_pids[-1]}; }
start_ifx() { bench_start_influxd "$tmp/ifx" "$ifx_port" soak; ifx_pid=${bench_pids[-1]}; }

# event N: what happens at the start of real minute N (1-based), in turn.
event() {
  case $(( ($1 - 1) % 11 )) in
  0) printf 'faults:\n' >"$tmp/faults.yaml"
     for s in s1 s2 s3; do printf '  - {sensor: %s, kind: silent}\n' "$s" >>"$tmp/faults.yaml"; done
     kill -HUP "$sim_pid"; echo "s1-s3 silent" ;;
  1) echo "faults: []" >"$tmp/faults.yaml"; kill -HUP "$sim_pid"; echo "s1-s3 back" ;;
  2) stop "$mq_pid"; echo "broker stopped" ;;
  3) start_mq; echo "broker started" ;;
  4) stop "$ifx_pid"; echo "InfluxDB stopped" ;;
  5) start_ifx; echo "InfluxDB started" ;;
  6) stop "$sim_pid"; echo "link dropped" ;;
  7) start_sim; echo "link back" ;;
  8) if [ -n "$mounted" ]; then
       local free_kb
       free_kb=$(df -k --output=avail "$tmp/data" | tail -1)
       fallocate -l $(( (free_kb - ${DISK_FREE_KB:-64}) * 1024 )) "$tmp/data/ballast" 2>/dev/null || true
       echo "disk nearly full ($(df -k --output=avail "$tmp/data" | tail -1) KB free)"
     else
       echo "disk nearly full: skipped (no tmpfs of our own)"
     fi ;;
  9) rm -f "$tmp/data/ballast"; echo "disk freed" ;;
  *) echo "quiet" ;;
  esac
}

py=/usr/bin/python3
[ -x "$py" ] || py=python3
# One read-only look at the journal: "readings last_seq mqtt_cursor influxdb_cursor".
journal() {
  "$py" - "$tmp/data/journal.db" <<'PY'
import sqlite3, sys
try:
    db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=5)
    n, last = db.execute("SELECT count(*), coalesce(max(seq), 0) FROM readings").fetchone()
    cur = dict(db.execute("SELECT sink, seq FROM cursors").fetchall())
    print(n, last, cur.get("mqtt", 0), cur.get("influxdb", 0))
except sqlite3.Error:
    print(0, 0, 0, 0)
PY
}
ticks() { awk '{print $14 + $15}' "/proc/$run_pid/stat"; }
status() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$run_pid/status"; }

start_mq
start_ifx
start_sim --clock "$tmp/clock"
"$fg" run -c "$tmp/gateway.yaml" --sim-clock "$tmp/clock" >/dev/null 2>"$tmp/run.log" &
run_pid=$!
hz=$(getconf CLK_TCK)
t0=$(date +%s)
echo "## soak: $sensors sensors every 60 simulated s, ${speed}x, $minutes real minutes"
echo
echo "| real min | event | sim time | readings | RSS MB | fds | threads | CPU ms/1k readings | mqtt depth | influx depth |"
echo "|---|---|---|---|---|---|---|---|---|---|"
prev_ticks=$(ticks) prev_n=0 first_rss= first_fds= last_rss= last_fds= what="start"
for minute in $(seq 1 "$minutes"); do
  if [ "$minute" -gt 1 ]; then
    event $((minute - 1)) >"$tmp/event" # not in a subshell: it restarts servers
    what=$(cat "$tmp/event")
  fi
  for _ in $(seq $((step / sample))); do
    sleep "$sample"
    kill -0 "$run_pid" 2>/dev/null || { echo "the daemon died: $(tail -5 "$tmp/run.log")" >&2; exit 1; }
  done
  read -r _ n mqc ifc <<<"$(journal)"
  t=$(ticks)
  rss=$(( $(status VmRSS) / 1024 )) fds=$(ls "/proc/$run_pid/fd" | wc -l) thr=$(status Threads)
  cpu=$(awk -v dt=$((t - prev_ticks)) -v dn=$((n - prev_n)) -v hz="$hz" \
    'BEGIN {printf "%.1f", (dn > 0 ? dt * 1000000 / hz / dn : 0)}')
  mq=$((n - mqc)) ifx=$((n - ifc))
  simt=$(TZ=Asia/Shanghai date -d "@$(( $(date -d 2023-06-20T10:00Z +%s) + ($(date +%s) - t0) * speed ))" +'%m-%d %H:%M')
  echo "| $minute | $what | $simt | $n | $rss | $fds | $thr | $cpu | $mq | $ifx |"
  [ -z "$first_rss" ] && first_rss=$rss first_fds=$fds
  last_rss=$rss last_fds=$fds prev_ticks=$t prev_n=$n
done

# The end: SIGTERM (the sinks drain for 5 s with both servers up), then what the journal holds
# against what was polled and what arrived.
elapsed=$(( $(date +%s) - t0 ))
stop "$run_pid"
run_pid=
read -r n last mqc ifc <<<"$(journal)"
points=$(curl -sf -G "http://127.0.0.1:$ifx_port/query" --data-urlencode db=soak \
  --data-urlencode 'q=SELECT * FROM reading' | "$py" -c '
import json, sys
r = json.load(sys.stdin)["results"][0]
print(sum(len(s["values"]) for s in r.get("series", [])))')
expected=$(( elapsed * speed / 60 * sensors ))
echo
echo "| measure | value |"
echo "|---|---|"
echo "| RSS first / last sample | $first_rss MB / $last_rss MB |"
echo "| open fds first / last sample | $first_fds / $last_fds |"
echo "| readings journalled / polls due (${elapsed} s x ${speed} / 60 s x $sensors sensors) | $n / $expected |"
echo "| rows past the MQTT / InfluxDB cursor after the stop | $((last - mqc)) / $((last - ifc)) |"
echo "| InfluxDB points / journal rows | $points / $n |"
echo "| error lines logged (every one an injected fault) | $(grep -c '^err' "$tmp/run.log" || true) |"
