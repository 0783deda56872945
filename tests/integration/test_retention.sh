#!/bin/bash
# Journal retention in the daemon: with a 1 MB cap and no sinks, `run` prunes
# the oldest readings on its interval, keeps the newest, and says so.
set -u
. "$(dirname "$0")/lib.sh"
{
	echo "gateway: {id: ret, township: t, data_dir: $tmp/data, log_level: info}"
	echo "buses: [{name: tcp1, type: tcp, host: 127.0.0.1, port: $port}]"
	echo "journal: {max_mb: 1, prune_interval_s: 10}"
	echo "sensors:"
	for u in $(seq 1 20); do echo "  - {id: s$u, bus: tcp1, unit: $u, profile: dfrobot-sen0601}"; done
} >"$tmp/gateway.yaml"
start_sim "$tmp/gateway.yaml"

# Flat out for 13 s: far more than 1 MB of readings, one prune at 10 s.
"$FIELDGATE" run -c "$tmp/gateway.yaml" --flat-out --duration 13 --stats >/dev/null 2>"$tmp/run.err" ||
	fail "run exit $?: $(cat "$tmp/run.err")"
taken=$(sed -n 's/^stats: readings=\([0-9]*\).*/\1/p' "$tmp/run.err")
grep -q "journal: retention: .*delivered=[1-9]" "$tmp/run.err" || fail "no retention logged: $(cat "$tmp/run.err")"
/usr/bin/python3 - "$tmp/data/journal.db" "$taken" <<'PY' || fail "retention did not keep the newest readings only"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
taken = int(sys.argv[2])
n, lo, hi = db.execute("SELECT count(*), min(seq), max(seq) FROM readings").fetchone()
assert taken > 8000, taken                      # ~300 bytes each: over 2 MB, past the 1 MB cap
assert 0 < n < taken, (n, taken)                # some were pruned, some kept
assert hi == taken, (hi, taken)                 # the newest reading is still there
assert hi - lo + 1 == n, (lo, hi, n)            # what is kept is one contiguous newest run
PY
echo ok
