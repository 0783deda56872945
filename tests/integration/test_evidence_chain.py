"""The evidence chain end to end: a version 1 journal with readings of an earlier day is
migrated in place by the daemon and that day sealed; a local midnight passes while the
daemon polls the simulator (gateway.timezone names a zone, written here as a TZif file
under TZDIR, whose midnight is a few seconds away) and the day before it is sealed while the broker is down; each sealed head arrives
retained at a real mosquitto (the second once the broker is back; also at a subscriber that
comes after the daemon has stopped); `verify` passes
and prints the head; the digests recomputed here from the rows, as README specifies them,
equal the published head; then one reading's data edited with sqlite3 makes `verify` fail
(exit 1) naming that day; bad usage exits 2."""
import hashlib
import json
import os
import sqlite3
import struct
import subprocess
import time

import gwjournal
from gwservers import Collector, Mosquitto
from gwtest import FIELDGATE, Proc, check, free_port, main, start_sim, tmpdir, wait_for

SENSORS = 3
DAY_MS = 86400 * 1000


def write_config(d, sim_port, mq_port):
    sensors = "\n".join(
        f"  - {{id: s{i + 1}, bus: tcp1, unit: {i + 1}, profile: seeed-s-soil-mtec-02, "
        f"interval_s: 1}}" for i in range(SENSORS))
    cfg = os.path.join(d, "gateway.yaml")
    with open(cfg, "w", encoding="utf-8") as f:
        f.write(f"""gateway: {{id: chain-gw, township: 新民乡, data_dir: {d}/data, metrics_interval_s: 0,
          timezone: {ZONE}}}
timeouts: {{response_ms: 300, retries: 0}}
buses:
  - {{name: tcp1, type: tcp, host: 127.0.0.1, port: {sim_port}}}
sensors:
{sensors}
mqtt: {{url: "mqtt://127.0.0.1:{mq_port}", qos: 1, keepalive_s: 5}}
""")
    return cfg


ZONE = "Test/Midnight"


def write_zone(d, off):
    """ZONE under d/zoneinfo (TZDIR) as a TZif v2 file of one fixed offset (s east of UTC)."""
    a = abs(off)
    posix = f"FGT{'-' if off >= 0 else '+'}{a // 3600:02d}:{a % 3600 // 60:02d}:{a % 60:02d}"
    block = struct.pack(">6l", 0, 0, 0, 0, 1, 4) + struct.pack(">lBB", off, 0, 0) + b"FGT\0"
    data = b"TZif2" + bytes(15) + block[:24] + block[24:]
    data += b"TZif2" + bytes(15) + block[:24] + block[24:] + f"\n{posix}\n".encode()
    path = os.path.join(d, "zoneinfo", ZONE)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    os.environ["TZDIR"] = os.path.join(d, "zoneinfo")  # the daemons started inherit it
    return posix


def tz_with_midnight_in(d, seconds):
    """Makes ZONE's local midnight come `seconds` from now: (its TZ string, offset s, midnight)."""
    mid = int(time.time()) + seconds
    off = (-mid) % 86400
    if off >= 43200:
        off -= 86400
    return write_zone(d, off), off, mid


def local_day(ts_ms, off):
    t = time.gmtime(ts_ms // 1000 + off)
    return t.tm_year * 10000 + t.tm_mon * 100 + t.tm_mday


def db_path(d):
    return os.path.join(d, "data", "journal.db")


def make_v1_journal(d, cfg, off, env):
    """A short run, then the journal taken back to schema 1 with its rows moved 2 days back."""
    run = Proc([FIELDGATE, "run", "-c", cfg, "--duration", "3"], os.path.join(d, "run-v1.log"))
    run.p.wait(timeout=30)
    check(run.stop() == 0, "the first run failed:\n" + run.log_text())
    db = sqlite3.connect(db_path(d))
    rows = db.execute("SELECT seq, ts_ms FROM readings").fetchall()
    check(len(rows) >= SENSORS, f"the first run journaled {len(rows)} readings")
    for seq, ts in rows:
        db.execute("UPDATE readings SET ts_ms = ?, day = ? WHERE seq = ?",
                   (ts - 2 * DAY_MS, local_day(ts - 2 * DAY_MS, off), seq))
    db.execute("DROP TABLE chain")
    db.execute("UPDATE meta SET value = 1 WHERE key = 'schema_version'")
    db.commit()
    db.close()
    return len(rows), local_day(rows[0][1] - 2 * DAY_MS, off)


def be(v, n):
    return v.to_bytes(n, "big", signed=True)


def recompute(d):
    """Each sealed day's digest from the rows, as README specifies it."""
    return [(r["day"], r["digest"]) for r in gwjournal.recompute_chain(db_path(d))]


def verify(cfg, env):
    p = subprocess.run([FIELDGATE, "verify", "-c", cfg], capture_output=True, text=True,
                       env=env, timeout=60)
    return p.returncode, p.stdout + p.stderr


def heads(coll):
    return [json.loads(p) for t, p, _ in coll.lines() if t == "fieldgate/v1/chain-gw/chain"]


def day_text(day):
    return f"{day // 10000:04d}-{day // 100 % 100:02d}-{day % 100:02d}"


def test():
    d = tmpdir("fg-chain-")
    write_zone(d, 0)  # for the simulator's config check; the offset is set below
    mq = Mosquitto(d).start()
    coll = Collector(d, mq.port, "fieldgate/v1/+/chain").start()
    sim_port = free_port()
    cfg = write_config(d, sim_port, mq.port)
    sim = start_sim(cfg, d)
    try:
        tz, off, mid = tz_with_midnight_in(d, 20)
        env = dict(os.environ)
        n_old, old_day = make_v1_journal(d, cfg, off, env)
        run = Proc([FIELDGATE, "run", "-c", cfg], os.path.join(d, "run.log"))
        before = local_day((mid - 1) * 1000, off)
        check(local_day(mid * 1000, off) != before, f"TZ {tz}: no midnight at {mid}")
        wait_for(lambda: heads(coll), 15, "the migrated day's head")
        wait_for(lambda: time.time() >= mid - 4, 30, "4 s before midnight")
        mq.stop()                                  # the broker is away when the day is sealed
        wait_for(lambda: time.time() >= mid + 4, 30, "4 s after midnight")
        check(not any(h["day"] == day_text(before) for h in heads(coll)), "head before the broker")
        mq.start()
        wait_for(lambda: any(h["day"] == day_text(before) for h in heads(coll)) or
                 run.p.poll() is not None, 40, f"the head of {before} over MQTT")
        check(run.stop() == 0, "the daemon did not stop cleanly:\n" + run.log_text())
        log = run.log_text()
        check("schema migrated to version=2" in log, "no migration logged:\n" + log)
        check(f"sealed days=1 head={day_text(before)}" in log, "no seal logged:\n" + log)
        got = heads(coll)
        days = [h["day"] for h in got]
        check(day_text(old_day) in days and day_text(before) in days, f"heads published: {got}")
        old = next(h for h in got if h["day"] == day_text(old_day))
        check(old["readings"] == n_old, f"the migrated day's head: {old}, {n_old} readings kept")

        rc, out = verify(cfg, env)
        check(rc == 0, f"verify of an intact journal exited {rc}:\n{out}")
        check("intact: 2 days (2 ok, 0 pruned)" in out, "verify output:\n" + out)
        mine = recompute(d)
        check([day for day, _ in mine] == [old_day, before], f"days sealed: {mine}")
        head = next(h for h in got if h["day"] == day_text(before))
        check(mine[-1][1] == head["digest"], f"recomputed {mine[-1]} but published {head}")
        check(head["prev"] == mine[0][1], f"head's prev {head['prev']} is not {mine[0]}")
        check(f"head {day_text(before)} {head['digest']}" in out, "verify head:\n" + out)

        late = Collector(d, mq.port, "fieldgate/v1/+/chain", name="late").start()
        wait_for(lambda: heads(late), 10, "the retained head for a later subscriber")
        late.stop()
        retained = [r for t, _, r in late.lines() if t.endswith("/chain")]
        check(heads(late)[-1]["digest"] == head["digest"] and retained[-1],
              f"retained head {late.lines()}")

        db = sqlite3.connect(db_path(d))
        seq = db.execute("SELECT min(seq) FROM readings WHERE day = ?", (before,)).fetchone()[0]
        db.execute("UPDATE readings SET data = data || x'00' WHERE seq = ?", (seq + 1,))
        db.commit()
        db.close()
        rc, out = verify(cfg, env)
        check(rc == 1, f"verify of an edited journal exited {rc}:\n{out}")
        check(f"first: {day_text(before)} edited" in out, "verify output:\n" + out)
        check(f"{day_text(old_day)}" in out and "NOT intact: 1 of 2 days" in out, out)
        p = subprocess.run([FIELDGATE, "verify", "-q", "--data-dir", os.path.join(d, "data")],
                           capture_output=True, text=True, env=env, timeout=60)
        check(p.returncode == 1 and f"first: {day_text(before)} edited" in p.stdout
              and day_text(old_day) not in p.stdout, f"verify -q --data-dir:\n{p.stdout}")
        for bad in ([], ["-c", cfg, "--data-dir", d], ["-c", cfg, "extra"], ["--bogus"]):
            p = subprocess.run([FIELDGATE, "verify", *bad], capture_output=True, env=env, timeout=60)
            check(p.returncode == 2, f"verify {bad} exited {p.returncode}")
        p = subprocess.run([FIELDGATE, "verify", "--data-dir", os.path.join(d, "none")],
                           capture_output=True, text=True, env=env, timeout=60)
        check(p.returncode == 1 and "no journal" in p.stderr, f"no journal: {p.stderr}")
        check(not os.path.exists(os.path.join(d, "none")), "verify created a data dir")
    finally:
        sim.stop()
        coll.stop()
        mq.stop()


if __name__ == "__main__":
    main(test)
