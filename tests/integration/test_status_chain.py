"""STATUS= kept current and the evidence chain's metrics: the daemon runs under a test
NOTIFY_SOCKET (a datagram socket standing in for systemd, credentials checked) in a zone whose
local midnight is seconds away, with one of two sensors silent and its MQTT broker not there.
The STATUS= lines come from the daemon's PID, one line each, and follow what happens: the
silent sensor becomes stale, MQTT is down with readings waiting, the day before midnight is
sealed ("sealed through" that day), then the broker comes up on the configured port and the
line says "mqtt up, 0 waiting". /metrics meanwhile carries the chain's gauges: the oldest
unsealed reading is the journal's first row until midnight, then the first row of the new
day, and the last seal's time appears once the day is sealed (the alert "evidence chain not
sealed" in packaging/alerts.yml is built on them; test_alerts.sh checks the rule)."""
import array
import os
import re
import socket
import struct
import threading
import time
import urllib.request

import gwjournal
from gwservers import Mosquitto
from gwtest import FIELDGATE, Proc, check, free_port, main, start_sim, tmpdir, wait_for

ZONE = "Test/StatusMidnight"


class Notifications:
    """The service manager's side: a datagram socket collecting (time, pid, message)."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.sock.settimeout(0.2)
        self.msgs, self.lock, self.done = [], threading.Lock(), False
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        while not self.done:
            try:
                data, anc, _, _ = self.sock.recvmsg(4096, socket.CMSG_SPACE(12))
            except socket.timeout:
                continue
            pid = None
            for level, kind, payload in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                    pid = array.array("i", payload[:12])[0]
            with self.lock:
                self.msgs.append((time.monotonic(), pid, data.decode()))

    def statuses(self):
        with self.lock:
            return [(t, p, line[7:]) for t, p, m in self.msgs for line in m.split("\n")
                    if line.startswith("STATUS=")]

    def close(self):
        self.done = True
        self.t.join(2)
        self.sock.close()


def write_zone(d, off):
    """ZONE under d/zoneinfo (TZDIR) as a TZif v2 file of one fixed offset (s east of UTC)."""
    a = abs(off)
    posix = f"FGT{'-' if off >= 0 else '+'}{a // 3600:02d}:{a % 3600 // 60:02d}:{a % 60:02d}"
    block = struct.pack(">6l", 0, 0, 0, 0, 1, 4) + struct.pack(">lBB", off, 0, 0) + b"FGT\0"
    data = (b"TZif2" + bytes(15) + block) * 2 + f"\n{posix}\n".encode()
    path = os.path.join(d, "zoneinfo", ZONE)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    os.environ["TZDIR"] = os.path.join(d, "zoneinfo")


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        text = r.read().decode()
    return {m[1]: float(m[2]) for m in re.finditer(r"^(fieldgate_chain_\w+) (\S+)$", text, re.M)}


def run():
    d = tmpdir("fg-status-")
    sim_port, mq_port, http_port = free_port(), free_port(), free_port()
    mid = int(time.time()) + 8  # local midnight in 8 s
    off = (-mid) % 86400
    off = off - 86400 if off >= 43200 else off
    write_zone(d, off)
    day_before = time.strftime("%Y-%m-%d", time.gmtime(mid - 1 + off))
    cfg = os.path.join(d, "gateway.yaml")
    with open(cfg, "w", encoding="utf-8") as f:
        f.write(f"""gateway: {{id: status-gw, township: t, data_dir: {d}/data, timezone: {ZONE}}}
timeouts: {{response_ms: 200, retries: 0}}
buses:
  - {{name: tcp1, type: tcp, host: 127.0.0.1, port: {sim_port}}}
sensors:
  - {{id: live, bus: tcp1, unit: 1, profile: seeed-s-soil-mtec-02, interval_s: 1}}
  - {{id: dead, bus: tcp1, unit: 2, profile: dfrobot-sen0601, interval_s: 1}}
mqtt: {{url: "mqtt://127.0.0.1:{mq_port}", qos: 1, keepalive_s: 5}}
metrics_http: {{listen: 127.0.0.1, port: {http_port}}}
""")
    faults = os.path.join(d, "faults.yaml")
    with open(faults, "w") as f:
        f.write("faults:\n  - {sensor: dead, kind: silent}\n")
    sim = start_sim(cfg, d, "--faults", faults)
    note = Notifications(os.path.join(d, "notify"))
    env = dict(os.environ, NOTIFY_SOCKET=os.path.join(d, "notify"))
    env.pop("JOURNAL_STREAM", None)
    daemon = mq = None
    try:
        daemon = Proc([FIELDGATE, "run", "-c", cfg], os.path.join(d, "run.log"), env=env)
        pid = daemon.p.pid

        def has(pattern):
            return any(re.search(pattern, s) for _, _, s in note.statuses())

        wait_for(lambda: has(r"1 stale.*; mqtt down, [1-9]\d* waiting.*; nothing sealed yet"),
                 15, "STATUS= with the silent sensor stale and MQTT down")
        first = gwjournal.rows(os.path.join(d, "data", "journal.db"))[0]["ts_ms"]
        m = scrape(http_port)
        check(abs(m["fieldgate_chain_unsealed_oldest_timestamp_seconds"] - first / 1000) < 0.002,
              f"oldest unsealed {m} vs first row {first}")
        check(m["fieldgate_chain_last_seal_timestamp_seconds"] == 0, m)
        print("ok: STATUS= says 1 stale, mqtt down, nothing sealed; /metrics: oldest unsealed = "
              "the first reading")

        wait_for(lambda: has(f"sealed through {day_before}$"), 30, f"STATUS= sealed through {day_before}")
        wait_for(lambda: scrape(http_port)["fieldgate_chain_last_seal_timestamp_seconds"] > 0, 10,
                 "the last seal's time on /metrics")
        m = scrape(http_port)
        check(m["fieldgate_chain_last_seal_timestamp_seconds"] >= mid - 1, m)
        check(m["fieldgate_chain_unsealed_oldest_timestamp_seconds"] >= mid, f"{m} vs midnight {mid}")
        print(f"ok: after midnight: sealed through {day_before}; the oldest unsealed reading is "
              "of the new day")

        mq = Mosquitto(d, port=mq_port).start()
        wait_for(lambda: has(r"; mqtt up, 0 waiting"), 30, "STATUS= with MQTT up and caught up")
        sts = note.statuses()
        check(all(p == pid for _, p, _ in sts), f"a STATUS= not from the daemon: {sts}")
        check(all("\n" not in s and s for _, _, s in sts), "a STATUS= of more than one line")
        # sent when it changes, not on a timer
        check(all(a[2] != b[2] for a, b in zip(sts, sts[1:])), f"a STATUS= sent twice: {sts}")
        print(f"ok: {len(sts)} STATUS= lines, each one line from the daemon, e.g. {sts[-1][2]!r}")
    finally:
        if daemon:
            daemon.stop()
        if mq:
            mq.stop()
        sim.stop()
        note.close()


main(run)
