"""Durable delivery against a real mosquitto and a real influxd: the daemon polls the
simulator while the test takes the servers away and kills the daemon, then counts what
actually arrived (a persistent MQTT subscriber, an InfluxQL query) against what the
journal says was polled.
  a. a normal run: every reading arrives exactly once in MQTT, in poll order per sensor,
     not marked historical;
  b. broker stopped for 32 s: nothing lost, what was polled meanwhile arrives historical;
  c. influxd stopped and restarted: nothing lost;
  d. both down at once, then both flapping every 3 s: nothing lost;
  e. kill -9 of the daemon and a restart: nothing lost (MQTT may repeat; InfluxDB holds
     exactly one point per reading);
  h. no ID number or phone number from the records appears in any MQTT message, any
     InfluxDB series or field, or the daemon's log.
At the end both sinks' cursors stand at the journal's last row."""
import os
import signal
import sqlite3
import time

import gwjournal
from gwservers import Collector, Influxd, Mosquitto
from gwtest import FIELDGATE, Proc, check, free_port, main, start_sim, tmpdir, wait_for

SENSORS = 6
IDS = ["640522198703151237", "640522199001010020"]  # valid GB 11643 check digits
PHONES = ["13912345678", "18809512345"]
VILLAGES = ["张家村", "李家村"]


def write_records(d):
    with open(os.path.join(d, "households.csv"), "w", encoding="utf-8") as f:
        f.write("household_id,name,township,village,group,id_number,beneficiaries,category,phone\n")
        for i, (idn, ph) in enumerate(zip(IDS, PHONES)):
            f.write(f"H{i + 1},户主{i + 1},新民乡,{VILLAGES[i]},1,{idn},4,脱贫户,{ph}\n")
    with open(os.path.join(d, "plots.csv"), "w", encoding="utf-8") as f:
        f.write("plot_id,household_id,area_mu,film,planting,seed_variety\n")
        for i in range(SENSORS):
            f.write(f"P-{i + 1},H{i % 2 + 1},3.5,{'full' if i % 2 else 'half'},single,先玉335\n")


def write_config(d, sim_port, mq, ifx):
    sensors = "\n".join(
        f"  - {{id: s{i + 1}, bus: tcp1, unit: {i + 1}, profile: seeed-s-soil-mtec-02, "
        f"plot: P-{i + 1}, interval_s: 1}}" for i in range(SENSORS))
    cfg = os.path.join(d, "gateway.yaml")
    with open(cfg, "w", encoding="utf-8") as f:
        f.write(f"""gateway: {{id: dlv-gw, township: 新民乡, data_dir: {d}/data, metrics_interval_s: 5}}
records: {{households: households.csv, plots: plots.csv}}
timeouts: {{response_ms: 300, retries: 0}}
buses:
  - {{name: tcp1, type: tcp, host: 127.0.0.1, port: {sim_port}}}
sensors:
{sensors}
mqtt: {{url: "mqtt://127.0.0.1:{mq.port}", qos: 1, keepalive_s: 5}}
influxdb: {{url: "{ifx.url}", database: fieldgate, flush_ms: 500}}
""")
    return cfg


def last_seq(d):
    db = sqlite3.connect(os.path.join(d, "data", "journal.db"))
    try:
        row = db.execute("SELECT max(seq) FROM readings").fetchone()
        return row[0] or 0
    finally:
        db.close()


def cursors(d):
    db = sqlite3.connect(os.path.join(d, "data", "journal.db"))
    try:
        return dict(db.execute("SELECT sink, seq FROM cursors"))
    finally:
        db.close()


def daemon(d, cfg, *extra):
    return Proc([FIELDGATE, "run", "-c", cfg, *extra], os.path.join(d, f"run-{time.monotonic_ns()}.log"))


def outages(d, mq, ifx, cfg):
    """Runs the daemon through the outages; returns (seq at the end of the calm start,
    wall-clock window in which the broker was surely down)."""
    run = daemon(d, cfg)
    time.sleep(6)
    calm_end = last_seq(d)
    mq.stop()                                   # b. broker away for 32 s
    down_from = time.time() * 1000 + 2000
    time.sleep(32)
    down_to = time.time() * 1000 - 2000
    mq.start()
    time.sleep(6)
    ifx.stop()                                  # c. influxd away
    time.sleep(8)
    ifx.start()
    time.sleep(5)
    mq.stop()                                   # d. both away, then both flapping
    ifx.stop()
    time.sleep(6)
    for _ in range(3):
        mq.start()
        ifx.start()
        time.sleep(3)
        mq.stop()
        ifx.stop()
        time.sleep(3)
    mq.start()
    ifx.start()
    time.sleep(4)
    run.signal(signal.SIGKILL)                  # e. kill -9 mid-run
    run.stop()
    time.sleep(2)
    run = daemon(d, cfg)
    time.sleep(6)
    check(run.stop() == 0, "daemon did not stop cleanly:\n" + run.log_text())
    # A last short run delivers whatever the SIGTERM drain left behind.
    run = daemon(d, cfg, "--once")
    run.p.wait(timeout=40)
    check(run.stop() == 0, "the --once run failed:\n" + run.log_text())
    logs = "".join(open(os.path.join(d, f)).read() for f in os.listdir(d) if f.startswith("run-"))
    return calm_end, (down_from, down_to), logs


def check_mqtt(rows, msgs, calm_end, down):
    journal = {(r["sensor"], r["ts_ms"]): r for r in rows}
    got = {}
    for m in msgs:
        got.setdefault((m["sensor"], m["ts_ms"]), []).append(m)
    missing = set(journal) - set(got)
    check(not missing, f"MQTT lost {len(missing)} readings, e.g. {sorted(missing)[:3]}")
    check(not set(got) - set(journal), "MQTT carried readings the journal does not have")
    calm = [r for r in rows if r["seq"] <= calm_end]
    check(len(calm) >= SENSORS * 3, f"too few readings in the calm start: {len(calm)}")
    for r in calm:                               # a. exactly once, live
        copies = got[(r["sensor"], r["ts_ms"])]
        check(len(copies) == 1, f"calm reading arrived {len(copies)} times: {copies}")
        check("historical" not in copies[0], f"calm reading marked historical: {copies[0]}")
        check(gwjournal.same_reading(r, copies[0]), f"payload differs from the journal: {copies[0]} vs {r}")
    for s in range(1, SENSORS + 1):              # a. poll order per sensor
        ts = [m["ts_ms"] for m in msgs if m["sensor"] == f"s{s}" and
              any(m["ts_ms"] == r["ts_ms"] for r in calm)]
        check(ts == sorted(ts), f"s{s}: calm readings out of order")
    replayed = [r for r in rows if down[0] <= r["ts_ms"] <= down[1]]
    check(len(replayed) >= SENSORS * 20, f"too few readings while the broker was down: {len(replayed)}")
    for r in replayed:                           # b. replays are historical
        copies = got[(r["sensor"], r["ts_ms"])]
        check(all(c.get("historical") is True for c in copies), f"replay not historical: {copies}")
    for m in msgs:                               # tagged from the records, opaquely
        owner = int(m["plot"].split("-")[1]) - 1
        check(m["household"].startswith("hh-") and len(m["household"]) == 19, f"household ref: {m}")
        check(m["village"] == VILLAGES[owner % 2], f"village: {m}")
    refs = {m["household"] for m in msgs}
    check(len(refs) == 2, f"want 2 stable household refs, got {refs}")
    dups = sum(len(v) - 1 for v in got.values())
    print(f"mqtt: {len(journal)} readings, {len(msgs)} messages ({dups} repeats), "
          f"{len(replayed)} replayed historical")


def check_privacy(d, col, ifx, logs):
    series = str(ifx.query("SHOW SERIES")) + str(ifx.query('SELECT * FROM /.*/ LIMIT 100000'))
    texts = {"MQTT": "\n".join(p for _, p, _ in col.lines()) + "\n".join(t for t, _, _ in col.lines()),
             "InfluxDB": series, "log": logs}
    for where, text in texts.items():
        for secret in IDS + PHONES:
            check(secret not in text, f"{secret} leaked into {where}")


def test():
    d = tmpdir("fg-dlv-")
    write_records(d)
    mq = Mosquitto(d).start()
    ifx = Influxd(d).start()
    ifx.create_db()
    col = Collector(d, mq.port, "fieldgate/v1/#").start()
    sim_port = free_port()
    cfg = write_config(d, sim_port, mq, ifx)
    sim = start_sim(cfg, d, "--tcp", f"127.0.0.1:{sim_port}")
    try:
        calm_end, down, logs = outages(d, mq, ifx, cfg)
        rows = gwjournal.rows(os.path.join(d, "data", "journal.db"))
        last = rows[-1]["seq"]
        wait_for(lambda: len({(m["sensor"], m["ts_ms"]) for m in col.readings()}) >= len(rows), 30,
                 "the subscriber to receive every reading")
        check(cursors(d) == {"mqtt": last, "influxdb": last}, f"cursors {cursors(d)} != {last}")
        check_mqtt(rows, col.readings(), calm_end, down)
        keys, total = ifx.points()
        want = {(r["sensor"], r["ts_ms"]) for r in rows}
        check(keys == want, f"InfluxDB: {len(want - keys)} missing, {len(keys - want)} unexpected")
        check(total == len(rows), f"InfluxDB holds {total} points for {len(rows)} readings")
        tags = str(ifx.query('SHOW TAG VALUES FROM "reading" WITH KEY IN ("film_type", "village")'))
        check(all(t in tags for t in ("full", "half", VILLAGES[0], VILLAGES[1])), f"tags: {tags}")
        print(f"influxdb: {total} points for {len(rows)} readings")
        check_privacy(d, col, ifx, logs)
        status = [p for t, p, r in col.lines() if t.endswith("/status")]
        check(status and status[-1] == "offline", f"status after the last stop: {status[-3:]}")
        check(any(t.endswith("/metrics") for t, _, _ in col.lines()), "no self-metrics published")
    finally:
        sim.stop()
        col.stop()
        mq.stop()
        ifx.stop()


if __name__ == "__main__":
    main(test)
