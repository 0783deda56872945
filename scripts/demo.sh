#!/usr/bin/env bash
# The demo: installs what is missing, builds, serves the demo field with the simulator (one
# RS-485 line on a pty, one Modbus TCP endpoint) and runs the daemon on it, printing live
# readings until Ctrl-C (or for DEMO_SECONDS), then a summary. The main job is shown end to
# end: mosquitto and influxd (installed by `scripts/setup.sh --demo` when run as root) are
# started on loopback and the daemon delivers to both; without them readings stay in the
# journal. Every port is a free one and everything the demo starts lives in its own run
# directory (DEMO_DIR, default a new ${TMPDIR:-/tmp}/fieldgate-demo.XXXXXX, kept afterwards), so
# two demos run side by side on one machine. Only processes this script started are stopped,
# by PID. DEMO_FIELDGATE=BINARY runs that binary instead of building one.
# `scripts/demo.sh --season` instead runs a compressed 2023 season (April to mid-July in about
# two minutes, on the simulator's clock; demo only) with plots whose film was never laid,
# laid late or torn off, and ends with the acceptance report.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
py=/usr/bin/python3
[ -x "$py" ] || py=python3
if [ -n "${DEMO_FIELDGATE:-}" ]; then # a binary built already (the demo's own test)
	fg=$DEMO_FIELDGATE
else
	"$top/scripts/setup.sh"
	"$top/scripts/setup.sh" --demo ||
		echo "demo: mosquitto/influxd could not be installed (run as root to install them)"
	mkdir -p "$top/build-demo" # two demos started at once build one after the other
	flock "$top/build-demo/.lock" "$top/scripts/build.sh" build-demo -DGW_TESTS=OFF
	fg="$top/build-demo/fieldgate"
fi
export FIELDGATE_PROFILES="$top/drivers/profiles"
# The demo field is in Ningxia: local time drives the simulated day and the film window.
export TZ=${TZ:-Asia/Shanghai}
run=${DEMO_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/fieldgate-demo.XXXXXX")}
mkdir -p "$run"
run=$(cd "$run" && pwd)

pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

freeport() { "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port_open() { "$py" -c 'import socket,sys; s=socket.socket(); s.settimeout(0.2); sys.exit(s.connect_ex(("127.0.0.1",int(sys.argv[1]))))' "$1"; }

# demo_config SRC DEST PORT: SRC with this run's paths (data, RTU line), the TCP bus at
# 127.0.0.1:PORT and the records' absolute paths.
demo_config() {
	sed -e "s|/tmp/fieldgate-demo/season|$run|g; s|/tmp/fieldgate-demo|$run|g" \
		-e "s|^\(    port: \)[0-9]*|\1$3|" \
		-e "s|households: households.csv|households: $top/config/demo/households.csv|" \
		-e "s|plots: plots.csv|plots: $top/config/demo/plots.csv|" "$1" >"$2"
}

# start_sim CONFIG [ARGS]: starts `fieldgate sim` in the background, waits for "sim: ready";
# the TCP bus is served on a port the kernel picks (printed, read back into $sim_port).
start_sim() {
	local cfg=$1 n=${#pids[@]}
	shift
	setsid "$fg" sim -c "$cfg" "$@" >"$run/sim$n.out" 2>"$run/sim$n.log" &
	pids+=($!)
	for _ in $(seq 150); do
		grep -q "sim: ready" "$run/sim$n.out" 2>/dev/null && break
		kill -0 "${pids[-1]}" 2>/dev/null || break
		sleep 0.1
	done
	grep -q "sim: ready" "$run/sim$n.out" || { cat "$run/sim$n.log" >&2; echo "demo: the simulator did not start" >&2; exit 1; }
	grep -v "sim: ready" "$run/sim$n.out"
	sim_port=$(sed -n 's/.* tcp at 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$run/sim$n.out" | head -1)
}

# The field: the RTU line and the TCP endpoint, each by its own simulator (the TCP one on a
# free port); then the config the daemon runs with, pointing at both.
serve_field() { # SRC_CONFIG [sim args...]
	local src=$1
	shift
	demo_config "$src" "$run/sim.yaml" 1
	local buses
	buses=$(sed -n 's/^  - name: \([a-z0-9]*\)$/\1/p' "$src")
	sim_port=
	for b in $buses; do
		if grep -A2 "^  - name: $b\$" "$src" | grep -q "type: tcp"; then
			start_sim "$run/sim.yaml" --bus "$b" --tcp 127.0.0.1:0 "$@"
			tcp_port=$sim_port
		else
			start_sim "$run/sim.yaml" --bus "$b" "$@"
		fi
	done
	demo_config "$src" "$run/gateway.yaml" "$tcp_port"
}

# --season: config/demo/season.yaml on the simulator's clock, journal only.
if [ "${1:-}" = "--season" ]; then
	speed=${DEMO_SEASON_SPEED:-86400} days=106 # 04-01 .. 07-16, past the 07-15 window end
	serve_field "$top/config/demo/season.yaml" --speed "$speed" --clock "$run/sim.clock"
	scfg="$run/gateway.yaml"
	echo "--- fieldgate run --sim-clock (simulated time, demo only): 2023-04-01 .. 07-16"
	"$fg" run -c "$scfg" --sim-clock "$run/sim.clock" --duration $((days * 86400 / speed + 1)) \
		2>"$run/run.log" &
	run_pid=$!
	pids+=("$run_pid")
	t0=$SECONDS
	while sleep 5 && kill -0 "$run_pid" 2>/dev/null; do
		echo "    simulated $(date -d "2023-04-01 +$(((SECONDS - t0) * speed / 86400)) days" +%F)"
	done
	wait "$run_pid" || { cat "$run/run.log" >&2; exit 1; }
	grep -v ' info: ' "$run/run.log" | cut -c1-200
	echo "--- fieldgate report --level plot (XM-0002 never laid, XM-0003 laid late, JH-0002 torn off)"
	"$fg" report -c "$scfg" --level plot --format csv || true
	echo "--- the season's journal: $run/data/journal.db"
	echo "    try: $fg report -c $scfg --level plot --format html --out $run/report.html"
	echo "         $fg verify -c $scfg"
	exit 0
fi

# The servers of the main job, when installed: mosquitto and influxd on free loopback ports.
servers=
if [ -x /usr/sbin/mosquitto ] && [ -x /usr/bin/influxd ] && command -v mosquitto_sub >/dev/null; then
	servers=yes
fi
start_servers() {
	local rpc_port
	for _ in 1 2 3; do # a free port may be taken before the server binds it: try another
		mq_port=$(freeport)
		printf 'user %s\nlistener %s 127.0.0.1\nallow_anonymous true\n' "$(id -un)" "$mq_port" >"$run/mosquitto.conf"
		setsid /usr/sbin/mosquitto -c "$run/mosquitto.conf" >>"$run/mosquitto.log" 2>&1 &
		pids+=($!)
		for _ in $(seq 50); do port_open "$mq_port" && break; sleep 0.1; done
		port_open "$mq_port" && break
	done
	for _ in 1 2 3; do
		ifx_port=$(freeport) rpc_port=$(freeport)
		printf '%s\n' 'reporting-disabled = true' "bind-address = \"127.0.0.1:$rpc_port\"" \
			'[meta]' "  dir = \"$run/influx/meta\"" '[data]' "  dir = \"$run/influx/data\"" \
			"  wal-dir = \"$run/influx/wal\"" '  query-log-enabled = false' '[monitor]' \
			'  store-enabled = false' '[http]' "  bind-address = \"127.0.0.1:$ifx_port\"" \
			'  log-enabled = false' >"$run/influxdb.conf"
		setsid /usr/bin/influxd -config "$run/influxdb.conf" >>"$run/influxd.log" 2>&1 &
		pids+=($!)
		for _ in $(seq 300); do
			query "CREATE DATABASE fieldgate" >/dev/null 2>&1 && return 0
			kill -0 "${pids[-1]}" 2>/dev/null || break
			sleep 0.1
		done
	done
	return 1
}
query() { # prints, per series of the answer, its tags and its largest number
	"$py" - "$ifx_port" "$1" <<'PY'
import json, sys, urllib.parse, urllib.request
data = urllib.parse.urlencode({"q": sys.argv[2], "db": "fieldgate"}).encode()
with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/query", data, timeout=5) as r:
    res = json.loads(r.read())["results"][0]
total = 0
for s in res.get("series", []):
    n = max((v for row in s.get("values", []) for v in row[1:] if isinstance(v, int)), default=0)
    total += n
    print(f"  {s.get('tags', {}).get('sensor', s['name'])}: {n}")
print(f"  total: {total}")
PY
}

serve_field "$top/config/demo/gateway.yaml"
cfg="$run/gateway.yaml"
if [ -n "$servers" ] && start_servers; then
	setsid mosquitto_sub -h 127.0.0.1 -p "$mq_port" -t 'fieldgate/v1/#' -v >"$run/mqtt.out" 2>&1 &
	pids+=($!)
	printf 'mqtt: {url: "mqtt://127.0.0.1:%s", qos: 1}\ninfluxdb: {url: "http://127.0.0.1:%s", database: fieldgate, flush_ms: 1000}\n' \
		"$mq_port" "$ifx_port" >>"$cfg"
	echo "--- mosquitto on 127.0.0.1:$mq_port, influxd on 127.0.0.1:$ifx_port"
else
	servers=
	echo "--- no mosquitto/influxd here (scripts/setup.sh --demo as root installs them): readings stay in the journal"
fi
echo "--- this run's directory: $run (config, journal, logs, server data)"

echo "--- fieldgate check"
"$fg" check -c "$cfg"
echo "--- fieldgate run (Ctrl-C to stop)"
# Ctrl-C reaches the daemon only (everything else runs in its own session via setsid): it
# stops, and the summary follows.
trap : INT
if [ -n "${DEMO_SECONDS:-}" ]; then
	timeout -s INT "$DEMO_SECONDS" "$fg" run -c "$cfg" --output text 2>"$run/run.log" || true
else
	"$fg" run -c "$cfg" --output text 2>"$run/run.log" || true
fi
trap 'exit 130' INT

# The summary: what the journal holds, what each sink had acknowledged when the daemon stopped.
echo "--- summary"
"$py" - "$run/data/journal.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
n, top = db.execute("SELECT count(*), coalesce(max(seq), 0) FROM readings").fetchone()
used = [r[0] for r in db.execute("SELECT desc FROM sources WHERE id IN (SELECT DISTINCT src FROM readings)")]
srcs = len({l.split("\t", 1)[1] for d in used for l in d.split("\n") if l.startswith("sensor\t")})
print(f"readings:  {n} from {srcs} sensors, in the journal {sys.argv[1]}")
cursors = dict(db.execute("SELECT sink, seq FROM cursors").fetchall())
for sink in ("mqtt", "influxdb"):
    if sink in cursors:
        done = db.execute("SELECT count(*) FROM readings WHERE seq <= ?", (cursors[sink],)).fetchone()[0]
        print(f"delivered: {sink}: {done} of {n} acknowledged")
if not cursors:
    print("delivered: no sink configured (the embedded default: the journal only)")
PY
grep -E ' (warning|error|err|crit): ' "$run/run.log" | tail -n 3 | cut -c1-200 | sed 's/^/daemon log: /' || true
if [ -n "$servers" ]; then
	# the broker acknowledged them; give the subscriber a moment to receive them (bounded)
	acked=$("$py" -c 'import sqlite3,sys; db=sqlite3.connect(sys.argv[1]); c=db.execute("SELECT seq FROM cursors WHERE sink=?", ("mqtt",)).fetchone(); print(db.execute("SELECT count(*) FROM readings WHERE seq <= ?", (c[0] if c else 0,)).fetchone()[0])' "$run/data/journal.db")
	for _ in $(seq 50); do
		[ "$(grep -c '^[^ ]*/plot/' "$run/mqtt.out" || true)" -ge "$acked" ] && break
		sleep 0.1
	done
	echo "arrived:   mosquitto_sub saw $(grep -c '^[^ ]*/plot/' "$run/mqtt.out" || true) reading messages ($run/mqtt.out); the last one:"
	grep '^[^ ]*/plot/' "$run/mqtt.out" | tail -n 1 | cut -c1-300 | sed 's/^/    /'
	echo "arrived:   $(grep -c '^[^ ]*/sensor/[^ ]*/meta ' "$run/mqtt.out" || true) sensor metadata messages (retained: units, interval, plot)"
	echo "arrived:   InfluxDB points per sensor (SELECT count(*) FROM reading GROUP BY sensor):"
	query 'SELECT count(*) FROM "reading" GROUP BY "sensor"' | sed 's/^/  /'
fi
cat <<EOF
try next:
  the evidence chain of this journal:   $fg verify -c $cfg
  the acceptance report (minutes of data here, so insufficient_data; a season gives verdicts):
                                        $fg report -c $cfg --level plot
  a whole compressed 2023 season:       scripts/demo.sh --season
  the check as JSON:                    $fg check -c $cfg --json
  this run's files, when done:          rm -rf $run
EOF
