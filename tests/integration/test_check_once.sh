#!/bin/bash
# `fieldgate check` on a field: the plan per bus, the load of an RS-485 line,
# the warnings (over 70 % of a line, a serial path that is not by-id), exit 2
# and nothing started on a bad config (also one only run's set-up refused before: issue 12);
# `run --once` against the simulator:
# one JSON reading per sensor, each committed to the journal, then exit 0.
set -u
. "$(dirname "$0")/lib.sh"

# 1. A light field: plan printed, line load computed, by-id warning, exit 0.
cat >"$tmp/gateway.yaml" <<YAML
gateway: {id: chk, township: 新民乡, data_dir: $tmp/data}
buses:
  - {name: line1, type: rtu, device: $tmp/line1, baud: 9600}
  - {name: tcp1, type: tcp, host: 127.0.0.1, port: $port}
sensors:
  - {id: npk, bus: line1, unit: 1, profile: jxct-jxbs-3001, interval_s: 10}
  - {id: soil, bus: line1, unit: 2, profile: dfrobot-sen0601, interval_s: 10}
  - {id: lux, bus: tcp1, unit: 3, profile: dfrobot-sen0644, interval_s: 10}
YAML
out=$("$FIELDGATE" check -c "$tmp/gateway.yaml" 2>&1) || fail "check exit $?: $out"
echo "$out" | grep -q "bus line1: rtu .* 9600 8N1, 2 sensors" || fail "no line1 header: $out"
echo "$out" | grep -q "per cycle: 4 requests" || fail "jxct (3 blocks) + dfrobot (1) != 4 requests: $out"
echo "$out" | grep -q "load [0-9.]* % of the line at 9600 baud" || fail "no line load: $out"
echo "$out" | grep -q "holding 0x0012+4" || fail "jxct 0x12..0x15 not one block: $out"
echo "$out" | grep -q "gateway.yaml:3:5: warning: buses\[0\].device: .* is not a stable /dev/serial/by-id/ path" ||
	fail "no by-id warning: $out"
echo "$out" | grep -q "over 70\|needs .* of the line" && fail "a light line warned of load: $out"

# 2. An overloaded line: 40 sensors polled every second at 9600 baud.
{
	echo "gateway: {id: chk, township: t, data_dir: $tmp/data}"
	echo "buses: [{name: line1, type: rtu, device: /dev/serial/by-id/usb-x, baud: 9600}]"
	echo "sensors:"
	for u in $(seq 1 40); do echo "  - {id: s$u, bus: line1, unit: $u, profile: dfrobot-sen0601, interval_s: 1}"; done
} >"$tmp/busy.yaml"
out=$("$FIELDGATE" check -c "$tmp/busy.yaml" 2>&1) || fail "check busy exit $?: $out"
echo "$out" | grep -q "warning: buses\[0\]: schedule needs [0-9]* % of the line at 9600 baud" ||
	fail "no overload warning: $out"
echo "$out" | grep -q "not a stable" && fail "by-id path warned: $out"

# 3. A bad config: all errors, exit 2, nothing started or written.
printf 'gateway: {id: chk, township: t, data_dir: %s/never}\nbuses: []\nsensors: []\nbogus: 1\n' "$tmp" >"$tmp/bad.yaml"
"$FIELDGATE" check -c "$tmp/bad.yaml" >"$tmp/out" 2>&1
[ $? -eq 2 ] || fail "bad config: exit not 2"
[ "$(grep -c ': error: ' "$tmp/out")" -ge 2 ] || fail "not every error reported: $(cat "$tmp/out")"
"$FIELDGATE" run -c "$tmp/bad.yaml" --once >"$tmp/out" 2>&1
[ $? -eq 2 ] || fail "run on a bad config: exit not 2"
[ -e "$tmp/never" ] && fail "a bad config created its data_dir"

# 3b. A config that loads but that run's set-up refuses (issue 12): max_registers 1 on a
# sensor whose profile has a 32-bit point. check said ok (exit 0) and run died with "cannot
# set up the poller" (exit 1) naming nothing; both now exit 2 naming the sensor.
sed 's/profile: dfrobot-sen0644, interval_s: 10}/profile: dfrobot-sen0644, interval_s: 10, max_registers: 1}/; s#data_dir: [^}]*#data_dir: '"$tmp"'/never#' \
	"$tmp/gateway.yaml" >"$tmp/unplannable.yaml"
grep -q "max_registers: 1" "$tmp/unplannable.yaml" || fail "the fixture did not get max_registers"
want='unplannable.yaml:8:5: error: sensors\[2\] (lux): max_registers 1 cannot read point "lux" (2 registers'
"$FIELDGATE" check -c "$tmp/unplannable.yaml" >"$tmp/out" 2>&1
rc=$?
[ $rc -eq 2 ] || fail "check on an unplannable sensor: exit $rc, not 2: $(cat "$tmp/out")"
grep -q "$want" "$tmp/out" || fail "check does not name the sensor: $(cat "$tmp/out")"
"$FIELDGATE" run -c "$tmp/unplannable.yaml" --once >"$tmp/out" 2>&1
rc=$?
[ $rc -eq 2 ] || fail "run on an unplannable sensor: exit $rc, not 2: $(cat "$tmp/out")"
grep -q "$want" "$tmp/out" || fail "run does not name the sensor: $(cat "$tmp/out")"
[ -e "$tmp/never" ] && fail "an unplannable config created its data_dir"

# 3c. A file that crashed libfyaml's own error printer: an unclosed quoted scalar after a line
# wider than 80 columns (before the fix: SIGSEGV, exit 139). Exit 2, one FILE:LINE:COL error.
cp "$GW_SOURCE_DIR/tests/fixtures/config/bad_yaml_wide_error.yaml" "$tmp/wide.yaml"
"$FIELDGATE" check -c "$tmp/wide.yaml" >"$tmp/out" 2>&1
rc=$?
[ $rc -eq 2 ] || fail "wide bad config: exit $rc, not 2: $(head -c 300 "$tmp/out")"
grep -Fxq "$tmp/wide.yaml:4:407: error: YAML syntax: double-quoted scalar without closing quote" \
	"$tmp/out" || fail "wide bad config: not the FILE:LINE:COL error: $(head -c 300 "$tmp/out")"
[ "$(grep -c ': error: ' "$tmp/out")" -eq 1 ] || fail "wide bad config: want one error: $(cat "$tmp/out")"

# 4. run --once against the simulator: one reading per sensor, JSON, exit 0.
start_sim "$tmp/gateway.yaml"
timeout 30 "$FIELDGATE" run -c "$tmp/gateway.yaml" --once --output stdout >"$tmp/once" 2>"$tmp/once.err" ||
	fail "run --once exit $?: $(cat "$tmp/once.err")"
[ "$(wc -l <"$tmp/once")" -eq 3 ] || fail "want 3 readings: $(cat "$tmp/once")"
/usr/bin/python3 - "$tmp/once" <<'PY' || fail "bad JSON readings"
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
assert sorted(r["sensor"] for r in rs) == ["lux", "npk", "soil"], rs
for r in rs:
    assert r["gateway"] == "chk" and r["township"] == "新民乡", r
    assert set(r["quality"].values()) == {"good"}, r
    assert all(isinstance(v, (int, float)) for v in r["values"].values()), r
npk = next(r for r in rs if r["sensor"] == "npk")
assert 0 <= npk["values"]["moisture_pct"] <= 100, npk
PY
# Every printed reading was committed to the journal first, byte for byte.
PYTHONPATH="$(dirname "$0")" /usr/bin/python3 - "$tmp/once" "$tmp/data/journal.db" <<'PY' || fail "journal does not hold the printed readings"
import json, os, stat, sys
import gwjournal
printed = [json.loads(l) for l in open(sys.argv[1])]
stored = gwjournal.rows(sys.argv[2])
assert len(stored) == len(printed), (stored, printed)
for p in printed:
    assert sum(gwjournal.same_reading(r, p) for r in stored) == 1, (p, stored)
assert stat.S_IMODE(os.stat(sys.argv[2]).st_mode) == 0o600, oct(os.stat(sys.argv[2]).st_mode)
PY
echo ok
