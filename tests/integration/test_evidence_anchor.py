"""Anchored, signed seals end to end (DESIGN.md "Evidence chain"): a simulated season is
journaled, published to a real mosquitto (a subscriber saves every sealed day: the center's
export) and written to a real influxd (readings and measurement chain). Untouched, `verify
--against influx|FILE` and `report --source influx --registry` agree with the gateway and every
plot keeps its verdict. Then, each on a copy of the gateway's data: (a) a value edited in the
journal: the report names the day and its plots are unverified; (b) a row deleted: verify names
the day; (c) the whole journal rewritten with a recomputed and re-signed chain (as README's
recipe allows): verify alone says intact, verify --against influx and --against FILE name the
day; (d) a point changed in InfluxDB: the fleet report names the gateway's day and its plot is
unverified."""
import datetime
import json
import os
import re
import shutil
import sqlite3
import subprocess
import urllib.request

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import gwjournal
from gwservers import Collector, Influxd, Mosquitto
from gwtest import (FIELDGATE, Proc, check, free_port, main, read_clock, sim_now, start_sim,
                    tmpdir, wait_for)

SRC = os.environ.get("GW_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
SPEED = 172800  # 2 simulated days a second
START = datetime.datetime(2023, 6, 24)
END = datetime.datetime(2023, 7, 16, 6)
GW = "anchor-gw"
PLOTS = ["XM-0001", "XM-0002"]


def write_config(d, data, port, mq_port, influx_url, name="gateway.yaml"):
    sensors, unit = [], 1
    for plot in PLOTS:
        for place, profile in (("under_film", "seeed-s-soil-mtec-02"), ("bare", "dfrobot-sen0601")):
            sensors.append(f"  - {{id: {plot.lower()}-{place[:5]}, bus: tcp1, unit: {unit}, "
                           f"profile: {profile}, plot: {plot}, placement: {place}, interval_s: 3600}}")
            unit += 1
    path = os.path.join(d, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"""gateway: {{id: {GW}, township: 新民乡, data_dir: {data}, metrics_interval_s: 0}}
records: {{households: {SRC}/config/demo/households.csv, plots: {SRC}/config/demo/plots.csv}}
journal: {{max_age_days: 3650}}
buses:
  - {{name: tcp1, type: tcp, host: 127.0.0.1, port: {port}}}
sensors:
""" + "\n".join(sensors) + f"""
mqtt: {{url: "mqtt://127.0.0.1:{mq_port}", qos: 1}}
influxdb: {{url: "{influx_url}", database: fieldgate, flush_ms: 200}}
sim:
  start: {START:%Y-%m-%d}
  speed: {SPEED:g}
  film:
    XM-0002: never
""")
    return path


def fg(*args, timeout=120):
    p = subprocess.run([FIELDGATE, *args], capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout + p.stderr


def verdicts(out):
    return {r["plot_id"]: (r["verdict"], r.get("reason", "")) for r in json.loads(out)["rows"]}


def report(cfg, *args):
    p = subprocess.run([FIELDGATE, "report", "-c", cfg, "--format", "json", *args],
                       capture_output=True, text=True, timeout=120)
    return p.returncode, verdicts(p.stdout) if p.stdout.strip() else {}, p.stderr


def copy(d, data, cfg_args, tag):
    """A copy of the gateway's data dir and a config pointing at it."""
    dst = os.path.join(d, f"data-{tag}")
    shutil.copytree(data, dst)
    return dst, write_config(d, dst, *cfg_args, name=f"gateway-{tag}.yaml")


def day_rows(db, day):
    return [r[0] for r in db.execute("SELECT seq FROM readings WHERE day = ? ORDER BY seq", (day,))]


def edit_value(path, day):
    """Changes one good value of a reading dated day (its last byte of the double)."""
    db = sqlite3.connect(path)
    for seq in day_rows(db, day):
        data = bytearray(db.execute("SELECT data FROM readings WHERE seq = ?", (seq,)).fetchone()[0])
        if len(data) > 10 and data[2] == 0:  # first point good: 8 bytes of double follow
            data[10] ^= 0x01
            db.execute("UPDATE readings SET data = ? WHERE seq = ?", (bytes(data), seq))
            db.commit()
            db.close()
            return
    raise AssertionError(f"no good reading on {day}")


def reseal(path, gateway, key_path):
    """The rewrite an insider with the gateway's key could do: every day recomputed from the
    (edited) rows as README specifies it, and signed again."""
    with open(key_path, "rb") as f:
        sk = Ed25519PrivateKey.from_private_bytes(f.read()[:32])
    days = gwjournal.recompute_chain(path)
    db = sqlite3.connect(path)
    prev = "0" * 64
    for r in days:
        zone, readings = db.execute("SELECT zone, readings FROM chain WHERE day = ?",
                                    (r["day"],)).fetchone()
        text = (f"fieldgate-seal-2 {gateway} {r['day'] // 10000:04d}-{r['day'] // 100 % 100:02d}-"
                f"{r['day'] % 100:02d} {zone or '-'} {r['digest']} {readings} {prev} {r['rows']} "
                f"{r['content']} {r['content_n']} {r['rules']}\n")
        db.execute("UPDATE chain SET digest = ?, prev = ?, rows = ?, content = ?, content_n = ?,"
                   " rules = ?, signature = ? WHERE day = ?",
                   (bytes.fromhex(r["digest"]), bytes.fromhex(prev), bytes.fromhex(r["rows"]),
                    bytes.fromhex(r["content"]), r["content_n"], bytes.fromhex(r["rules"]),
                    sk.sign(text.encode()), r["day"]))
        prev = r["digest"]
    db.commit()
    db.close()


def season(d):
    influx = Influxd(d).start()
    mq = Mosquitto(d).start()
    coll = Collector(d, mq.port, f"fieldgate/v1/{GW}/chain").start()
    influx.create_db()
    port = free_port()
    data = os.path.join(d, "data")
    cfg_args = (port, mq.port, influx.url)
    cfg = write_config(d, data, *cfg_args)
    clock = os.path.join(d, "sim.clock")
    sim = start_sim(cfg, d, "--clock", clock)
    run = Proc([FIELDGATE, "run", "-c", cfg, "--sim-clock", clock], os.path.join(d, "run.log"))
    try:
        c = read_clock(clock)
        wait_for(lambda: sim_now(c) >= END or run.p.poll() is not None,
                 (END - START).total_seconds() / SPEED + 30, f"simulated time to reach {END}")
        last = "2023-07-15"
        wait_for(lambda: any(json.loads(p)["day"] == last for _, p, _ in coll.lines())
                 and influx.query(f"SELECT * FROM \"chain\" WHERE \"day\" = '{last}'")["results"][0]
                 .get("series"), 30, f"the seal of {last} at the center")
    finally:
        check(run.stop() == 0, "daemon exit:\n" + run.log_text())
        sim.stop()
        coll.stop()
        mq.stop()
    export = os.path.join(d, "heads.jsonl")
    with open(export, "w") as f:
        for _, p, _ in coll.lines():
            f.write(p + "\n")
    return influx, data, cfg, cfg_args, export


def test():
    d = tmpdir("fg-anchor-")
    influx, data, cfg, cfg_args, export = season(d)
    try:
        rc, out = fg("key", "--public", "-c", cfg)
        check(rc == 0 and out.startswith(f"{GW},"), f"key --public: {out}")
        reg = os.path.join(d, "registry.csv")
        with open(reg, "w") as f:
            f.write("gateway,public_key\n" + out.strip().splitlines()[-1] + "\n")
        untouched(d, influx, data, cfg, cfg_args, export, reg)
    finally:
        influx.stop()


def untouched(d, influx, data, cfg, cfg_args, export, reg):
    for src in ("influx", export):
        rc, out = fg("verify", "-c", cfg, "--registry", reg, "--against", src)
        same = re.search(r"(\d+) days the same, 0 differ, 0 missing at the center, 0 missing here",
                         out)
        check(rc == 0 and same and int(same.group(1)) >= 21,
              f"verify --against {src} of the untouched journal: {rc}\n{out}")
    p = subprocess.run([FIELDGATE, "verify", "-c", cfg, "--json", "--against", "influx",
                        "--registry", reg], capture_output=True, text=True, timeout=60)
    o = json.loads(p.stdout)
    check(p.returncode == 0 and o["intact"] and o["signatures_checked"] and
          o["against"]["first"] is None and o["against"]["same"] >= 21 and
          o["head"]["day"] == o["days"][-1]["day"], f"--json untouched: {p.stdout[:400]}")
    rc, base, err = report(cfg)
    check(rc == 0 and base and all(v != "unverified" for v, _ in base.values()), f"{rc} {base} {err}")
    rc, fleet, err = report(cfg, "--source", "influx", "--registry", reg)
    check(rc == 0 and f"{GW} " in err and "0 differing, 0 missing" in err,
          f"fleet report untouched: {rc}\n{err}")
    check({p: v for p, (v, _) in fleet.items() if p in PLOTS} ==
          {p: v for p, (v, _) in base.items() if p in PLOTS}, f"fleet {fleet} local {base}")
    # the county office's own config: records, influxdb, acceptance; no buses, no sensors
    office = os.path.join(d, "office.yaml")
    with open(office, "w", encoding="utf-8") as f:
        f.write(f"""gateway: {{id: county-office, township: 新民乡, data_dir: {d}/office}}
records: {{households: {SRC}/config/demo/households.csv, plots: {SRC}/config/demo/plots.csv}}
influxdb: {{url: "{influx.url}", database: fieldgate}}
acceptance: {{pass_min_covered_share: 0.5}}
""")
    rc, got, err = report(office, "--source", "influx", "--registry", reg)
    check(rc == 0 and {p: v for p, (v, _) in got.items() if p in PLOTS} ==
          {p: v for p, (v, _) in fleet.items() if p in PLOTS}, f"office report: {rc}\n{err}")
    rc, out = fg("check", "-c", office)
    check(rc == 2 and "sensors" in out, f"check of the office config (no field): {rc}\n{out}")

    # (a) a value edited in the journal
    data_a, cfg_a = copy(d, data, cfg_args, "a")
    edit_value(os.path.join(data_a, "journal.db"), 20230701)
    rc, got, err = report(cfg_a)
    check(rc == 1 and "evidence chain broken at 2023-07-01" in err, f"(a) report: {rc}\n{err}")
    check(any(v == "unverified" and "07-01" in why for v, why in got.values()), f"(a) {got}")
    rc, out = fg("verify", "-c", cfg_a, "-q")
    check(rc == 1 and "first: 2023-07-01 edited" in out, f"(a) verify: {out}")

    # (b) a row deleted
    data_b, cfg_b = copy(d, data, cfg_args, "b")
    db = sqlite3.connect(os.path.join(data_b, "journal.db"))
    db.execute("DELETE FROM readings WHERE seq = ?", (day_rows(db, 20230702)[3],))
    db.commit()
    db.close()
    rc, out = fg("verify", "-c", cfg_b, "-q")
    check(rc == 1 and "first: 2023-07-02 deleted" in out, f"(b) verify: {out}")

    # (c) the whole journal rewritten, its chain recomputed and re-signed
    data_c, cfg_c = copy(d, data, cfg_args, "c")
    edit_value(os.path.join(data_c, "journal.db"), 20230703)
    reseal(os.path.join(data_c, "journal.db"), GW, os.path.join(data_c, "gateway.key"))
    rc, out = fg("verify", "-c", cfg_c, "--registry", reg, "-q")
    check(rc == 0, f"(c) the rewrite passes verify alone (as it would): {rc}\n{out}")
    rc, out = fg("verify", "-c", cfg_c, "--against", "influx", "-q")
    check(rc == 1 and "first: 2023-07-03 differs" in out, f"(c) --against influx: {out}")
    rc, out = fg("verify", "-c", cfg_c, "--against", export, "-q")
    check(rc == 1 and "first: 2023-07-03 differs" in out, f"(c) --against FILE: {out}")
    p = subprocess.run([FIELDGATE, "verify", "-c", cfg_c, "--against", export, "--json"],
                       capture_output=True, text=True, timeout=60)
    o = json.loads(p.stdout)
    check(p.returncode == 1 and o["intact"] and o["first_failing"] is None
          and o["against"]["first"] == {"day": "2023-07-03", "status": "differs"}
          and o["days"][0]["status"] == "ok", f"(c) --json: {p.returncode} {p.stdout[:400]}")

    # (d) a point changed in InfluxDB
    change_point(influx, "xm-0001-under", datetime.datetime(2023, 7, 5, 12))
    rc, fleet, err = report(cfg, "--source", "influx", "--registry", reg)
    check(rc == 1 and "first 2023-07-05: content" in err, f"(d) fleet report: {rc}\n{err}")
    check(fleet.get("XM-0001", ("",))[0] == "unverified", f"(d) {fleet}")

    # bad input: exit 2, nothing changed
    bad = os.path.join(d, "bad.jsonl")
    with open(bad, "w") as f:
        f.write(open(export).readline() + "{not json\n")
    rc, out = fg("verify", "-c", cfg, "--against", bad)
    check(rc == 2 and f"{bad}:2: error:" in out, f"malformed heads file: {rc}\n{out}")
    with open(bad, "w") as f:
        f.write("gateway,public_key\nother-gw,00\n")
    rc, out = fg("verify", "-c", cfg, "--registry", bad)
    check(rc == 2 and f"{bad}:2: error:" in out, f"bad registry: {rc}\n{out}")
    rc, _, err = report(cfg, "--source", "influx", "--registry", bad)
    check(rc == 2 and f"{bad}:2: error:" in err, f"fleet, bad registry: {rc}\n{err}")


def change_point(influx, sensor, when):
    """Rewrites one reading point of sensor at or after when with another value."""
    ms = int(when.replace(tzinfo=datetime.timezone(datetime.timedelta(hours=8))).timestamp() * 1000)
    res = influx.query(f"SELECT * FROM reading WHERE sensor = '{sensor}' AND time >= {ms}ms LIMIT 1")
    s = res["results"][0]["series"][0]
    row = dict(zip(s["columns"], s["values"][0]))
    tags = influx.query("SHOW TAG KEYS FROM reading")["results"][0]["series"][0]["values"]
    tags = {t[0] for t in tags}
    key = ",".join(f"{k}={str(row[k]).replace(' ', chr(92) + ' ')}" for k in sorted(tags)
                   if row.get(k) not in (None, ""))
    fields = {k: v for k, v in row.items() if k not in tags and k != "time" and v is not None}
    name = next(k for k, v in fields.items() if isinstance(v, (int, float)))
    fields[name] = fields[name] + 0.01
    body = "reading," + key + " " + ",".join(
        f"{k}={float(v)!r}" if isinstance(v, (int, float)) else f'{k}="{v}"'
        for k, v in fields.items()) + f" {row['time']}\n"
    req = urllib.request.Request(f"{influx.url}/write?db=fieldgate&precision=ms", data=body.encode())
    with urllib.request.urlopen(req, timeout=10) as r:
        check(r.status == 204, f"write: {r.status}")


if __name__ == "__main__":
    main(test)
