"""The fleet report against the gateways' own: two daemons, each polling its own simulated
field (different gateway ids and plots, the same sensor ids), write to one real influxd;
after they stopped (every reading delivered), `report --source influx` gives every plot of
both fields the same verdict, availability, day counts and day-by-day states and counts as
each gateway's `report` from its own journal; `check` lists each plot's film rules. The window is today and the hours the whole
day, so a run of seconds gives real film states."""
import datetime
import json
import os
import sqlite3
import subprocess

from gwservers import Influxd
from gwtest import FIELDGATE, Proc, check, free_port, main, start_sim, tmpdir

HOUSEHOLDS = """household_id,name,township,village,group,id_number,beneficiaries,category,phone
H001,马建国,新民乡,新民村,1,64042419680312121X,4,脱贫户,13909541201
H002,杨秀兰,新民乡,新民村,2,640424197509212422,5,一般户,13709542233
"""
PLOTS = """plot_id,household_id,area_mu,film,planting
A1,H001,6.5,full,single
A2,H001,3.0,half,single
B1,H002,8.0,full,intercrop
B2,H002,2.5,half,single
"""
FIELDS = {
    "fleet-a": ["{id: u1, unit: 1, profile: seeed-s-soil-mtec-02, plot: A1, placement: under_film}",
                "{id: b1, unit: 2, profile: dfrobot-sen0601, plot: A1, placement: bare}",
                "{id: sw1, unit: 3, profile: waveshare-modbus-rtu-io-8ch, plot: A2}"],
    "fleet-b": ["{id: u1, unit: 1, profile: seeed-s-soil-mtec-02, plot: B1, placement: under_film}",
                "{id: b1, unit: 2, profile: renke-rs-ecth-n01, plot: B1, placement: bare}",
                "{id: u2, unit: 3, profile: seeed-s-soil-mtec-02, plot: B2, placement: under_film}",
                "{id: b2, unit: 4, profile: dfrobot-sen0601, plot: B2, placement: bare}"],
}
RULES = {"fleet-a": "film_rules: [{plot: A2, rule: switch, sensor: sw1}]\n", "fleet-b": ""}


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def config(d, gw, port, influx_url):
    today = datetime.date.today().strftime("%m-%d")
    sensors = "\n".join("  - " + s.replace("{", "{bus: tcp1, interval_s: 1, ", 1) for s in FIELDS[gw])
    os.makedirs(os.path.join(d, gw), exist_ok=True)
    return write(os.path.join(d, gw, "gateway.yaml"), f"""gateway: {{id: {gw}, township: 新民乡, data_dir: {d}/{gw}/data, metrics_interval_s: 0}}
records: {{households: ../households.csv, plots: ../plots.csv}}
timeouts: {{response_ms: 300, retries: 0}}
buses: [{{name: tcp1, type: tcp, host: 127.0.0.1, port: {port}}}]
sensors:
{sensors}
{RULES[gw]}influxdb: {{url: "{influx_url}", database: fieldgate, flush_ms: 200}}
acceptance: {{window: {today}..{today}, hour_start: 0, hour_end: 24, min_availability: 0,
             min_day_fraction: 0, min_covered_days: 1}}
""")


def delivered(d, gw):
    db = sqlite3.connect(os.path.join(d, gw, "data", "journal.db"))
    try:
        cur = dict(db.execute("SELECT sink, seq FROM cursors").fetchall())
        last = db.execute("SELECT max(seq) FROM readings").fetchone()[0]
    finally:
        db.close()
    return last and cur.get("influxdb") == last, (cur, last)


def report(cfg, *args):
    p = subprocess.run([FIELDGATE, "report", "-c", cfg, "--level", "plot", "--format", "json", *args],
                       capture_output=True, timeout=60)
    check(p.returncode == 0, f"report {args} failed ({p.returncode}):\n{p.stderr.decode()}")
    doc = json.loads(p.stdout)
    return doc, {r["plot_id"]: r for r in doc["rows"]}


KEYS = ("verdict", "availability", "covered_days", "not_covered_days", "first_covered", "late")


def same(plot, local, fleet):
    for k in KEYS:
        check(local.get(k) == fleet.get(k), f"{plot}: {k} local {local.get(k)} fleet {fleet.get(k)}")
    ld = [(x["day"], x["state"], x["received"], x["expected"]) for x in local["days"]]
    fd = [(x["day"], x["state"], x["received"], x["expected"]) for x in fleet["days"]]
    check(ld == fd, f"{plot}: days local {ld} fleet {fd}")


def fleet():
    d = tmpdir("fg-fleet-")
    write(os.path.join(d, "households.csv"), HOUSEHOLDS)
    write(os.path.join(d, "plots.csv"), PLOTS)
    ifx = Influxd(d).start()
    procs = []
    try:
        ifx.create_db()
        cfgs = {}
        for gw in FIELDS:
            port = free_port()
            cfgs[gw] = config(d, gw, port, ifx.url)
            procs.append(start_sim(cfgs[gw], d, "--tcp", f"127.0.0.1:{port}"))
        out = subprocess.run([FIELDGATE, "check", "-c", cfgs["fleet-a"]], capture_output=True,
                             timeout=30).stdout.decode()
        check("film: A1 temperature_pair u1 - b1 temperature_c (implicit)" in out
              and "film: A2 switch sw1 input1=1" in out, f"check does not show the film rules:\n{out}")
        runs = [Proc([FIELDGATE, "run", "-c", cfgs[gw], "--duration", "8"],
                     os.path.join(d, f"run-{gw}.log")) for gw in FIELDS]
        for r in runs:
            r.p.wait(timeout=60)
            check(r.stop() == 0, "daemon failed:\n" + r.log_text())
        for gw in FIELDS:
            ok, state = delivered(d, gw)
            check(ok, f"{gw}: not everything reached InfluxDB: {state}")
        head, fl = report(cfgs["fleet-a"], "--source", "influx")
        check(head["source"] == "influx" and set(fl) == {"A1", "A2", "B1", "B2"}, f"fleet rows {sorted(fl)}")
        for gw in FIELDS:
            head, loc = report(cfgs[gw])
            check(head["source"] == "journal", f"source {head['source']}")
            mine = [p for p in loc if p[0] == gw[-1].upper()]
            check(len(mine) == 2, f"{gw}: plots {sorted(loc)}")
            for plot in mine:
                check(loc[plot]["verdict"] != "no_sensor" and loc[plot]["days"]
                      and loc[plot]["days"][-1]["received"] > 0, f"{plot}: no evidence: {loc[plot]}")
                same(plot, loc[plot], fl[plot])
        # a fleet report needs a server: exit 1 with a message, not a report
        p = subprocess.run([FIELDGATE, "report", "-c", cfgs["fleet-a"], "--source", "influx",
                            "--influx-url", f"http://127.0.0.1:{free_port()}"], capture_output=True, timeout=60)
        check(p.returncode == 1 and b"InfluxDB" in p.stderr, f"no server: {p.returncode} {p.stderr}")
        p = subprocess.run([FIELDGATE, "report", "-c", cfgs["fleet-a"], "--source", "fleet"],
                           capture_output=True, timeout=60)
        check(p.returncode == 2, f"bad source: {p.returncode}")
    finally:
        for p in procs:
            p.stop()
        ifx.stop()


main(fleet)
