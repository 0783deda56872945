"""The MQTT sink's cursor against a broker that withholds acknowledgements: the daemon polls
the simulator (6 sensors, 1 s) and publishes at QoS 1 to a fake broker (fakebroker.py) that
  1. acknowledges the first 30 readings,
  2. then withholds the PUBACK of every third of the next 30,
  3. then acknowledges none, and 8 s later (longer than the sink's cursor save interval,
     GW_SINK_SAVE_MS) drops the connection with those messages still in flight,
  4. and acknowledges everything on every later connection.
All the while the test polls the journal read-only: every row at or below the sink's saved
cursor must have been acknowledged by the broker before the cursor was read (the broker notes
an acknowledgement before it sends the PUBACK). At the end every journalled reading has been
acknowledged at least once (repeats allowed: at-least-once), the withheld ones were sent again
on the new connection marked historical, and the cursor stands at the journal's last row.
How it fails: with gateway/sinks/mqtt_out.c's publish() marking a message done when it is
sent (`e->state = E_DONE` instead of E_SENT: the cursor moved over sent-but-unacknowledged
messages) the cursor check fails within a save interval of the first withheld message
("cursor ... covers seq ... never acknowledged"), and the withheld messages are never sent
again, so they are lost. With on_events() not returning sent messages to pending when the
connection is lost, the withheld readings are never acknowledged ("20 of 150 readings never
acknowledged") and the cursor stays below them."""
import json
import os
import threading
import time

import gwjournal
from fakebroker import ACK, WITHHOLD, FakeBroker
from gwtest import FIELDGATE, Proc, check, free_port, main, start_sim, tmpdir

SENSORS = 6
ACK_FIRST = 30  # phase 1: acknowledged
SOME = 30       # phase 2: every third withheld
HOLD_S = 8      # phase 3: nothing acknowledged for this long, then the connection drops
AFTER_S = 6     # phase 4: acknowledged, this long before the daemon is stopped


class Policy:
    """The broker's answers: reading messages by phase on the first connection, everything
    else (the birth, the chain head) always acknowledged."""

    def __init__(self):
        self.lock = threading.Lock()
        self.n = 0              # reading messages received on connection 1
        self.withheld = []      # (sensor, ts_ms) withheld on connection 1
        self.none_since = None  # monotonic time phase 3 began

    def __call__(self, msg):
        if "/plot/" not in msg["topic"] or msg["conn"] > 1:
            return ACK
        r = json.loads(msg["payload"])
        with self.lock:
            self.n += 1
            if self.n <= ACK_FIRST or (self.n <= ACK_FIRST + SOME and self.n % 3):
                return ACK
            if self.n > ACK_FIRST + SOME and self.none_since is None:
                self.none_since = time.monotonic()
            self.withheld.append((r["sensor"], r["ts_ms"]))
            return WITHHOLD


def key(m):
    r = json.loads(m["payload"])
    return r["sensor"], r["ts_ms"]


def readings(msgs):
    return [m for m in msgs if "/plot/" in m["topic"]]


def write_config(d, sim_port, mqtt_port):
    sensors = "\n".join(
        f"  - {{id: s{i + 1}, bus: tcp1, unit: {i + 1}, profile: seeed-s-soil-mtec-02, "
        f"plot: P-{i + 1}, interval_s: 1}}" for i in range(SENSORS))
    cfg = os.path.join(d, "gateway.yaml")
    with open(cfg, "w", encoding="utf-8") as f:
        f.write(f"""gateway: {{id: inflight-gw, township: 新民乡, data_dir: {d}/data}}
timeouts: {{response_ms: 300, retries: 0}}
buses:
  - {{name: tcp1, type: tcp, host: 127.0.0.1, port: {sim_port}}}
sensors:
{sensors}
mqtt: {{url: "mqtt://127.0.0.1:{mqtt_port}", qos: 1, keepalive_s: 5, max_inflight: 20}}
""")
    return cfg


def check_cursor(journal, broker, stats):
    """The saved cursor covers only acknowledged rows. Read the cursor (and its rows) first,
    the broker's acknowledgements after: those only grow."""
    if not os.path.exists(journal):
        return
    cur, rows = gwjournal.cursor_and_rows(journal, "mqtt")
    msgs = readings(broker.snapshot())
    acked = {key(m) for m in msgs if m["acked"]}
    for r in rows:
        k = (r["sensor"], r["ts_ms"])
        if k not in acked:
            sent = [m["conn"] for m in msgs if key(m) == k]
            raise AssertionError(f"cursor {cur} covers seq {r['seq']} {k}, never acknowledged "
                                 f"(sent on connections {sent})")
    outstanding = {key(m) for m in msgs if not m["acked"]} - acked
    if cur is not None and outstanding:
        stats["checks_in_flight"] += 1
        stats["max_cursor_in_flight"] = max(stats["max_cursor_in_flight"], cur)


def drive(d, journal, broker, policy, cfg):
    """Runs the daemon through the four phases, checking the cursor every 100 ms."""
    stats = {"checks_in_flight": 0, "max_cursor_in_flight": 0}
    run = Proc([FIELDGATE, "run", "-c", cfg], os.path.join(d, "run.log"))
    dropped_at = None
    try:
        end = time.monotonic() + 50
        while time.monotonic() < end:
            check(run.p.poll() is None, "daemon exited:\n" + run.log_text())
            check_cursor(journal, broker, stats)
            with policy.lock:
                none_since = policy.none_since
            if dropped_at is None and none_since and time.monotonic() - none_since >= HOLD_S:
                broker.drop_now()
                dropped_at = time.monotonic()
            if dropped_at and time.monotonic() - dropped_at >= AFTER_S:
                break
            time.sleep(0.1)
        check(dropped_at is not None, f"phase 3 never reached: {policy.n} readings received")
    finally:
        code = run.stop(20)
    check(code == 0, f"daemon exit {code}:\n" + run.log_text())
    check_cursor(journal, broker, stats)
    return stats, run.log_text()


def test():
    d = tmpdir("fg-inflight-")
    policy = Policy()
    broker = FakeBroker(policy).start()
    sim_port = free_port()
    cfg = write_config(d, sim_port, broker.port)
    journal = os.path.join(d, "data", "journal.db")
    sim = start_sim(cfg, d, "--tcp", f"127.0.0.1:{sim_port}")
    try:
        stats, log = drive(d, journal, broker, policy, cfg)
    finally:
        sim.stop()
        broker.stop()
    rows = gwjournal.rows(journal)
    msgs = readings(broker.snapshot())
    acked = {key(m) for m in msgs if m["acked"]}
    want = {(r["sensor"], r["ts_ms"]) for r in rows}
    lost = sorted(want - acked)
    check(not lost, f"{len(lost)} of {len(want)} readings never acknowledged, e.g. {lost[:3]}")
    check(not {key(m) for m in msgs} - want, "the broker got readings the journal does not have")
    check(len(policy.withheld) >= 15, f"only {len(policy.withheld)} messages withheld")
    check(broker.conns >= 2, f"the sink did not reconnect ({broker.conns} connections)")
    for k in policy.withheld:                   # sent again after the loss, historical
        again = [m for m in msgs if m["conn"] > 1 and key(m) == k]
        check(again, f"withheld {k} not sent again on a new connection")
        check(all(json.loads(m["payload"]).get("historical") is True for m in again),
              f"withheld {k} sent again without historical: true")
    check(stats["checks_in_flight"] >= 20,
          f"the cursor was looked at only {stats['checks_in_flight']} times with messages in flight")
    cur, _ = gwjournal.cursor_and_rows(journal, "mqtt")
    check(cur == rows[-1]["seq"], f"cursor {cur} != last row {rows[-1]['seq']}")
    check("broker lost" in log, "the daemon did not notice the dropped connection:\n" + log)
    repeats = sum(1 for m in msgs) - len(want)
    print(f"mqtt: {len(want)} readings, {len(msgs)} messages ({repeats} repeats), "
          f"{len(policy.withheld)} withheld, {broker.conns} connections, {broker.pings} pings; "
          f"cursor checked {stats['checks_in_flight']} times in flight "
          f"(highest {stats['max_cursor_in_flight']})")


if __name__ == "__main__":
    main(test)
