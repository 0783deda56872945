# Shared by the bash integration tests: a temp dir removed on exit, a free
# loopback port, and the simulator started (and stopped by PID) on a config.
# Source it after `set -u`; it sets tmp and port.
: "${FIELDGATE:?FIELDGATE must point to the fieldgate binary}"
fail() { echo "FAIL: $*" >&2; exit 1; }

tmp=$(mktemp -d)
sim_pid=
cleanup() {
	[ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# start_sim CONFIG: runs `fieldgate sim` and waits (at most 10 s) for "sim: ready".
start_sim() {
	"$FIELDGATE" sim -c "$1" >"$tmp/sim.out" 2>"$tmp/sim.err" &
	sim_pid=$!
	for _ in $(seq 100); do grep -q "sim: ready" "$tmp/sim.out" && return 0; sleep 0.1; done
	fail "sim did not start: $(cat "$tmp/sim.err")"
}
