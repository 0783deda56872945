"""The daemon's delivery options against real servers:
  deadband: a sensor with a deadband is published once (its values do not move that
     much) while InfluxDB and the journal keep every reading, and the metrics count what
     was held back; a sensor without one is published every time;
  budget: with a 1 MB daily upload budget reached, both sinks defer (metrics say so), and
     nothing is dropped: a later run without the budget delivers every reading;
  TLS (5g): mqtts:// to a mosquitto that requires client certificates, with a CA, server
     and client certificates made by openssl here; every reading arrives."""
import json
import os
import sqlite3
import subprocess

import gwjournal
from gwservers import Collector, Influxd, Mosquitto
from gwtest import FIELDGATE, Proc, check, free_port, main, start_sim, tmpdir, wait_for


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def config(d, sim_port, sensors, extra, gw_extra=""):
    lines = "\n".join(sensors)
    return write(os.path.join(d, "gateway.yaml"), f"""gateway: {{id: opt-gw, township: 新民乡, data_dir: {d}/data{gw_extra}}}
timeouts: {{response_ms: 300, retries: 0}}
buses:
  - {{name: tcp1, type: tcp, host: 127.0.0.1, port: {sim_port}}}
sensors:
{lines}
{extra}""")


def journal_query(d, sql):
    db = sqlite3.connect(os.path.join(d, "data", "journal.db"))
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def cursors(d):
    return dict(journal_query(d, "SELECT sink, seq FROM cursors"))


def last_seq(d):
    return journal_query(d, "SELECT max(seq) FROM readings")[0][0]


def run_daemon(d, cfg, *args, timeout=60):
    run = Proc([FIELDGATE, "run", "-c", cfg, *args], os.path.join(d, f"run-{len(os.listdir(d))}.log"))
    run.p.wait(timeout=timeout)
    check(run.stop() == 0, "daemon failed:\n" + run.log_text())
    return run


def last_metrics(col):
    ms = [json.loads(p) for t, p, _ in col.lines() if t.endswith("/metrics")]
    check(ms, "no metrics published")
    return ms[-1]


def deadband():
    d = tmpdir("fg-db-")
    mq, ifx = Mosquitto(d).start(), Influxd(d).start()
    ifx.create_db()
    col = Collector(d, mq.port, "fieldgate/v1/#").start()
    sim_port = free_port()
    sensors = ["  - {id: calm, bus: tcp1, unit: 1, profile: seeed-s-soil-mtec-02, plot: P-1, "
               "interval_s: 1, deadband: 1000}",
               "  - {id: all, bus: tcp1, unit: 2, profile: seeed-s-soil-mtec-02, plot: P-2, interval_s: 1}"]
    cfg = config(d, sim_port, sensors,
                 f'mqtt: {{url: "mqtt://127.0.0.1:{mq.port}", heartbeat_min: 60}}\n'
                 f'influxdb: {{url: "{ifx.url}", database: fieldgate, flush_ms: 200}}\n',
                 ", metrics_interval_s: 1")
    sim = start_sim(cfg, d, "--tcp", f"127.0.0.1:{sim_port}")
    try:
        run_daemon(d, cfg, "--duration", "8")
        rows = gwjournal.rows(os.path.join(d, "data", "journal.db"))
        n = {s: sum(r["sensor"] == s for r in rows) for s in ("calm", "all")}
        check(n["calm"] >= 6 and n["all"] >= 6, f"too few readings: {n}")
        wait_for(lambda: len([m for m in col.readings() if m["sensor"] == "all"]) >= n["all"], 10,
                 "every reading of the sensor without a deadband")
        got = {s: sum(m["sensor"] == s for m in col.readings()) for s in ("calm", "all")}
        check(got == {"calm": 1, "all": n["all"]}, f"MQTT got {got} for journal {n}")
        keys, total = ifx.points()
        check(total == len(rows), f"InfluxDB holds {total} of {len(rows)} readings")
        skipped = last_metrics(col)["sinks"]["mqtt"]["skipped"]
        check(0 < skipped <= n["calm"] - 1, f"metrics skipped={skipped}, journal calm={n['calm']}")
        print(f"deadband: journal {n}, MQTT {got}, InfluxDB {total}, skipped {skipped}")
    finally:
        for p in (sim, col, mq, ifx):
            p.stop()


def budget():
    d = tmpdir("fg-budget-")
    mq, ifx = Mosquitto(d).start(), Influxd(d).start()
    ifx.create_db()
    col = Collector(d, mq.port, "fieldgate/v1/#").start()
    sim_port = free_port()
    sensors = [f"  - {{id: s{i}, bus: tcp1, unit: {i}, profile: dfrobot-sen0601, plot: P-{i}}}"
               for i in range(1, 11)]
    sinks = (f'mqtt: {{url: "mqtt://127.0.0.1:{mq.port}"}}\n'
             f'influxdb: {{url: "{ifx.url}", database: fieldgate}}\n')
    cfg = config(d, sim_port, sensors, sinks, ", metrics_interval_s: 1, daily_upload_mb: 1")
    sim = start_sim(cfg, d, "--tcp", f"127.0.0.1:{sim_port}")
    try:
        run_daemon(d, cfg, "--flat-out", "--duration", "4")
        rows = gwjournal.rows(os.path.join(d, "data", "journal.db"))
        sent = len(col.readings())
        m = last_metrics(col)
        check(m["upload_deferred"] is True, f"metrics do not say deferred: {m}")
        check(m["sinks"]["mqtt"]["deferred"] or m["sinks"]["influxdb"]["deferred"], f"no sink deferred: {m}")
        check(rows[-1]["seq"] == len(rows), "the journal dropped readings")
        check(sent < len(rows) / 2, f"budget did not hold MQTT back: {sent} of {len(rows)}")
        check(m["upload_bytes_today"] >= 1 << 20, f"deferred before the budget was used: {m}")
        # the next day, in effect: the same journal without a budget delivers everything
        # (a slow build needs longer than --once's drain: run until it is all out)
        want = {(r["sensor"], r["ts_ms"]) for r in rows}
        cfg = config(d, sim_port, [s.replace("}", ", interval_s: 3600}") for s in sensors], sinks)
        run = Proc([FIELDGATE, "run", "-c", cfg], os.path.join(d, "run-after.log"))
        wait_for(lambda: {(m["sensor"], m["ts_ms"]) for m in col.readings()} >= want or
                 run.p.poll() is not None, 240, "the deferred readings on MQTT")
        # caught up and idle, each sink writes its cursor within a few seconds, not only at stop
        wait_for(lambda: set(cursors(d).values()) == {last_seq(d)}, 20, "the cursors saved while idle")
        check(run.stop() == 0, "daemon failed:\n" + run.log_text())
        check({(m["sensor"], m["ts_ms"]) for m in col.readings()} >= want, "deferred readings missing")
        rows = gwjournal.rows(os.path.join(d, "data", "journal.db"))
        want = {(r["sensor"], r["ts_ms"]) for r in rows}
        wait_for(lambda: ifx.points()[0] == want, 30, "every reading in InfluxDB")
        keys, total = ifx.points()
        check(keys == want, f"InfluxDB misses {len(want - keys)} deferred readings")
        print(f"budget: {sent} of {len(rows)} published before the cap, all {len(rows)} after")
    finally:
        for p in (sim, col, mq, ifx):
            p.stop()


def openssl(*args):
    subprocess.run(["/usr/bin/openssl", *args], check=True, capture_output=True)


def certs(d):
    p = lambda n: os.path.join(d, n)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", p("ca.key"), "-out", p("ca.crt"), "-subj", "/CN=test-ca",
            "-days", "2")
    write(p("san.cnf"), "subjectAltName=IP:127.0.0.1\n")
    for name in ("server", "client"):
        openssl("req", *ec, "-keyout", p(f"{name}.key"), "-out", p(f"{name}.csr"), "-subj", f"/CN={name}")
        openssl("x509", "-req", "-in", p(f"{name}.csr"), "-CA", p("ca.crt"), "-CAkey", p("ca.key"),
                "-CAcreateserial", "-days", "2", "-extfile", p("san.cnf"), "-out", p(f"{name}.crt"))
    return p


def tls():
    d = tmpdir("fg-tls-")
    p = certs(d)
    mq = Mosquitto(d, extra=f"cafile {p('ca.crt')}\ncertfile {p('server.crt')}\n"
                            f"keyfile {p('server.key')}\nrequire_certificate true\n").start()
    col = Collector(d, mq.port, "fieldgate/v1/#",
                    extra=("--cafile", p("ca.crt"), "--cert", p("client.crt"), "--key", p("client.key"))).start()
    sim_port = free_port()
    sensors = [f"  - {{id: s{i}, bus: tcp1, unit: {i}, profile: dfrobot-sen0601, plot: P-{i}}}"
               for i in range(1, 4)]
    cfg = config(d, sim_port, sensors,
                 f'mqtt: {{url: "mqtts://127.0.0.1:{mq.port}", ca_file: ca.crt, '
                 f'cert_file: client.crt, key_file: client.key}}\n')
    sim = start_sim(cfg, d, "--tcp", f"127.0.0.1:{sim_port}")
    try:
        run_daemon(d, cfg, "--once")
        rows = gwjournal.rows(os.path.join(d, "data", "journal.db"))
        wait_for(lambda: len(col.readings()) >= len(rows), 10, "the readings over TLS")
        got = sorted((m["sensor"], m["ts_ms"]) for m in col.readings())
        check(got == sorted((r["sensor"], r["ts_ms"]) for r in rows), f"TLS: {got} vs {rows}")
        check(any(t.endswith("/status") and p_ == "offline" for t, p_, _ in col.lines()),
              "no offline status after the run")
        print(f"tls: {len(rows)} readings over mqtts with client certificates")
    finally:
        for s in (sim, col, mq):
            s.stop()


if __name__ == "__main__":
    main(lambda: (deadband(), budget(), tls()))
