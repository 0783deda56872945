#!/bin/bash
# scripts/demo.sh twice at the same time on this machine (the binary under test, 12 s each):
# both run to their summary on their own free ports and run directories, deliver every
# journaled reading to their own mosquitto and influxd (the summary's counts checked against
# what the journal and the servers hold), leave no process behind, and `report` on the live
# demo config points at the season demo.
set -u
FIELDGATE=${FIELDGATE:-fieldgate}
top=${GW_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
dir=$(mktemp -d /tmp/fg-demo-test-XXXXXX)
failures=0
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	rm -rf "$dir"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

for i in 1 2; do
	DEMO_FIELDGATE=$FIELDGATE DEMO_SECONDS=12 DEMO_DIR=$dir/run$i \
		timeout 120 bash "$top/scripts/demo.sh" >"$dir/demo$i.out" 2>&1 &
	pids+=($!)
done
for i in 1 2; do
	wait "${pids[$((i - 1))]}" || fail "demo $i: exit $?: $(tail -n 20 "$dir/demo$i.out")"
done
pids=()

for i in 1 2; do
	out=$dir/demo$i.out
	n=$(sed -n 's/^readings: *\([0-9]*\) from 14 sensors.*/\1/p' "$out")
	if [ -z "$n" ] || [ "$n" -lt 14 ]; then
		fail "demo $i: no readings line with 14 sensors: $(cat "$out")"
		continue
	fi
	grep -q "in the journal $dir/run$i/data/journal.db" "$out" || fail "demo $i: journal path"
	want=$(/usr/bin/python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM readings").fetchone()[0])' "$dir/run$i/data/journal.db")
	[ "$want" = "$n" ] || fail "demo $i: summary says $n readings, the journal holds $want"
	grep -q "^delivered: mqtt: $n of $n acknowledged" "$out" || fail "demo $i: mqtt delivery: $(grep delivered "$out")"
	grep -q "^delivered: influxdb: $n of $n acknowledged" "$out" || fail "demo $i: influxdb delivery"
	grep -q "mosquitto_sub saw $n reading messages" "$out" || fail "demo $i: subscriber count: $(grep saw "$out")"
	grep -q "^    total: $n\$" "$out" || fail "demo $i: InfluxDB total: $(grep total: "$out")"
	grep -q "^arrived:   14 sensor metadata messages" "$out" || fail "demo $i: metadata: $(grep metadata "$out")"
	grep -q "scripts/demo.sh --season" "$out" || fail "demo $i: no 'try next'"
	echo "ok: demo $i: $n readings journaled and delivered to its own mosquitto and influxd"
done
p1=$(sed -n 's/.* tcp at 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/demo1.out")
p2=$(sed -n 's/.* tcp at 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/demo2.out")
[ -n "$p1" ] && [ "$p1" != "$p2" ] || fail "the two demos' TCP ports: '$p1' '$p2'"
grep -q "Address already in use" "$dir"/demo*.out "$dir"/run*/*.log && fail "a port collided"

# nothing the demos started is left (their run directories are in every command line)
left=
for f in /proc/[0-9]*/cmdline; do
	c=$( { tr '\0' ' ' <"$f"; } 2>/dev/null) || continue
	[[ $c == *"$dir/run"* ]] && left+="${f%/cmdline}: $c; "
done
[ -z "$left" ] || fail "processes left: $left"

# report on a live demo's config: no verdict, and where the season demo is
FIELDGATE_PROFILES=$top/drivers/profiles "$FIELDGATE" report -c "$dir/run1/gateway.yaml" \
	--level plot >/dev/null 2>"$dir/report.err" || fail "report exit $?: $(cat "$dir/report.err")"
grep -q "hint: .*scripts/demo.sh --season" "$dir/report.err" || fail "report hint: $(cat "$dir/report.err")"

# the same config served twice (what a second demo did before it picked free ports): the
# second simulator says why it cannot start
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf 'gateway: {id: t, township: t, data_dir: %s/x}\nbuses: [{name: tcp1, type: tcp, host: 127.0.0.1, port: %s}]\nsensors: [{id: s, bus: tcp1, unit: 1, profile: seeed-s-soil-mtec-02}]\n' \
	"$dir" "$port" >"$dir/twice.yaml"
FIELDGATE_PROFILES=$top/drivers/profiles "$FIELDGATE" sim -c "$dir/twice.yaml" >"$dir/sim1.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q "sim: ready" "$dir/sim1.out" && break; sleep 0.1; done
FIELDGATE_PROFILES=$top/drivers/profiles timeout 10 "$FIELDGATE" sim -c "$dir/twice.yaml" >"$dir/sim2.out" 2>&1 &&
	fail "a second simulator on a taken port started"
grep -q "Address already in use (another process serves this port" "$dir/sim2.out" ||
	fail "a taken port without its likely cause: $(cat "$dir/sim2.out")"

if [ "$failures" -ne 0 ]; then
	echo "$failures check(s) failed"
	exit 1
fi
echo "ok: two demos at once"
