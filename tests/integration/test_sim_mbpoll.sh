#!/bin/bash
# `fieldgate sim` against an independent Modbus master (Debian's mbpoll):
# a tcp bus on a free port (the printed port is used) and an rtu bus on a pty
# linked in a temp dir; plausible decoded values, a silent unit times out, an
# exception unit gives its exception, a wrong baud rate gets no answer, SIGHUP
# reloads the faults, and the link is gone after SIGTERM.
set -u

fail() {
	echo "FAIL: $*" >&2
	[ -n "${tmp:-}" ] && [ -f "$tmp/err" ] && sed 's/^/sim stderr: /' "$tmp/err" >&2
	exit 1
}

: "${FIELDGATE:?FIELDGATE must point to the fieldgate binary}"
command -v mbpoll >/dev/null || fail "mbpoll is not installed"

tmp=$(mktemp -d)
pid=
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill "$pid"
		wait "$pid" 2>/dev/null
	fi
	exec 3<&- 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

free_port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$tmp/gateway.yaml" <<YAML
gateway: {id: sim-test, township: test, data_dir: $tmp/data}
buses:
  - {name: tcp1, type: tcp, host: 127.0.0.1, port: $free_port}
  - {name: line1, type: rtu, device: $tmp/line1, baud: 9600, parity: N}
sensors:
  - {id: soil-01, bus: tcp1, unit: 1, profile: dfrobot-sen0601, plot: P1, placement: bare}
  - {id: soil-02, bus: tcp1, unit: 2, profile: dfrobot-sen0601, plot: P2}
  - {id: soil-05, bus: tcp1, unit: 5, profile: seeed-s-soil-mtec-02, plot: P1, placement: under_film}
  - {id: soil-03, bus: line1, unit: 3, profile: dfrobot-sen0601, plot: P3}
  - {id: soil-04, bus: line1, unit: 4, profile: dfrobot-sen0601, plot: P4}
YAML
cat >"$tmp/faults.yaml" <<YAML
faults:
  - {sensor: soil-02, kind: silent}
  - {sensor: soil-04, kind: exception, code: 4}
YAML

# Usage and config errors: exit 2, nothing served.
"$FIELDGATE" sim --help >"$tmp/help" || fail "sim --help did not exit 0"
grep -q -- "--faults" "$tmp/help" || fail "sim --help does not describe --faults"
"$FIELDGATE" sim -c "$tmp/gateway.yaml" --tcp 127.0.0.1:0 >/dev/null 2>"$tmp/err2"
[ $? -eq 2 ] || fail "--tcp with two buses: want exit 2"
printf 'faults:\n  - {sensor: nope, kind: silent}\n  - {sensor: soil-01, kind: sometimes}\n' \
	>"$tmp/bad.yaml"
"$FIELDGATE" sim -c "$tmp/gateway.yaml" --faults "$tmp/bad.yaml" >/dev/null 2>"$tmp/err2"
[ $? -eq 2 ] || fail "bad fault file: want exit 2"
grep -q "^$tmp/bad.yaml:3:29: error: faults: kind: unknown \"sometimes\"" "$tmp/err2" ||
	fail "bad fault file: no FILE:LINE:COL error: $(cat "$tmp/err2")"
grep -q "^$tmp/bad.yaml:2:5: error: faults: sensor \"nope\" is not served" "$tmp/err2" ||
	fail "bad fault file: unknown sensor not reported too: $(cat "$tmp/err2")"
[ -e "$tmp/line1" ] && fail "a failed start left $tmp/line1 behind"
echo "ok: usage and fault file errors exit 2"

# The sim's stdout comes through a fifo, read line by line: no sleeps.
mkfifo "$tmp/out"
"$FIELDGATE" sim -c "$tmp/gateway.yaml" --faults "$tmp/faults.yaml" \
	--start 2023-06-21T14:00 --seed 7 >"$tmp/out" 2>"$tmp/err" &
pid=$!
exec 3<"$tmp/out"
port=
ready=
while IFS= read -r -t 20 -u 3 line; do
	echo "$line"
	case "$line" in
	"sim: bus tcp1 tcp at 127.0.0.1:"*) port=${line#*127.0.0.1:} port=${port%% *} ;;
	"sim: ready") ready=1; break ;;
	esac
done
[ -n "$ready" ] || fail "sim did not print 'sim: ready'"
[[ "$port" =~ ^[0-9]+$ ]] && [ "$port" -gt 0 ] || fail "no tcp port printed (got '$port')"
[ -L "$tmp/line1" ] || fail "$tmp/line1 is not a symlink"

# Prints the values mbpoll read, one a line, signed 16-bit.
values() {
	awk -F'\t' '/^\[[0-9]+\]:/ { v = $2 + 0; if (v > 32767) v -= 65536; print v }'
}

# in_range NAME VALUE MIN MAX (integers: raw register values)
in_range() {
	[ "$2" -ge "$3" ] && [ "$2" -le "$4" ] || fail "$1 = $2, want $3..$4"
	echo "ok: $1 = $2"
}

# dfrobot-sen0601: moisture /10 %, temperature /10 degC, EC uS/cm
check_dfrobot() {
	local what=$1; shift
	local out v
	out=$(mbpoll "$@" -r 1 -c 3 -1 2>&1) || fail "$what: mbpoll failed: $out"
	mapfile -t v < <(values <<<"$out")
	[ "${#v[@]}" -eq 3 ] || fail "$what: want 3 values: $out"
	in_range "$what moisture x10" "${v[0]}" 150 450
	in_range "$what temperature x10" "${v[1]}" 50 450
	in_range "$what ec" "${v[2]}" 100 1500
}

check_dfrobot "tcp unit 1" -m tcp -p "$port" -a 1 127.0.0.1
check_dfrobot "rtu unit 3" -m rtu -b 9600 -P none -a 3 "$tmp/line1"

# seeed-s-soil-mtec-02 on input registers: temperature /100, moisture /100, EC
out=$(mbpoll -m tcp -p "$port" -a 5 -t 3 -r 1 -c 3 -1 127.0.0.1 2>&1) || fail "seeed: $out"
mapfile -t v < <(values <<<"$out")
in_range "seeed temperature x100" "${v[0]}" 500 4500
in_range "seeed moisture x100" "${v[1]}" 1500 4500

# silent: the master times out
out=$(mbpoll -m tcp -p "$port" -a 2 -r 1 -c 3 -1 -o 0.5 127.0.0.1 2>&1) &&
	fail "silent unit 2 answered: $out"
grep -qi "timed out" <<<"$out" || fail "silent unit 2: want a timeout: $out"
echo "ok: silent unit times out"

# exception 4 (slave device failure)
out=$(mbpoll -m rtu -b 9600 -P none -a 4 -r 1 -c 3 -1 "$tmp/line1" 2>&1) &&
	fail "exception unit 4 read fine: $out"
grep -qi "slave device or server failure" <<<"$out" || fail "unit 4: want exception 4: $out"
echo "ok: exception unit gives exception 4"

# a wrong baud rate gets nothing, as on a real line
out=$(mbpoll -m rtu -b 4800 -P none -a 3 -r 1 -c 3 -1 -o 0.5 "$tmp/line1" 2>&1) &&
	fail "unit 3 answered at 4800 baud: $out"
grep -qi "timed out" <<<"$out" || fail "wrong baud: want a timeout: $out"
echo "ok: wrong baud times out"

# SIGHUP re-reads the fault file: unit 2 answers again
cat >"$tmp/faults.yaml" <<YAML
faults:
  - {sensor: soil-04, kind: exception, code: 4}
YAML
kill -HUP "$pid"
IFS= read -r -t 20 -u 3 line || fail "no output after SIGHUP"
[ "$line" = "sim: faults loaded (1)" ] || fail "after SIGHUP: got '$line'"
check_dfrobot "tcp unit 2 after SIGHUP" -m tcp -p "$port" -a 2 127.0.0.1

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
[ "$rc" -eq 0 ] || fail "sim exited $rc after SIGTERM"
[ -e "$tmp/line1" ] || [ -L "$tmp/line1" ] && fail "$tmp/line1 still exists after exit"
echo "ok: sim stopped, link removed"
