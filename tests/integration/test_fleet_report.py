"""The fleet report end to end (DESIGN.md "county scale"): two gateways, each a daemon over its
own simulated field (own simulator, own compressed season on the simulated clock, own film
scenario), write to one real influxd; `report --source influx` then gives every plot of both
fields (fleet-b in UTC: each gateway's days in the zone its seals record) the verdict, days and
availability that each gateway's own report (from its journal)
gives it."""
import datetime
import json
import os
import subprocess
import time

from gwservers import Influxd
from gwtest import (FIELDGATE, Proc, check, free_port, main, read_clock, sim_now, start_sim,
                    tmpdir, wait_for)

SRC = os.environ.get("GW_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
SPEED = float(os.environ.get("SEASON_SPEED", "259200"))  # 3 simulated days a second
START = datetime.datetime(2023, 5, 25)
END = datetime.datetime(2023, 7, 16, 6)  # past the window's end, 07-15
FIELDS = {  # gateway -> (plots, film scenario, zone)
    "fleet-a": (["XM-0001", "XM-0002", "XM-0003"], "    XM-0002: never\n", "Asia/Shanghai"),
    "fleet-b": (["JH-0001", "JH-0002"], "    JH-0002: {laid: 04-26, removed: 06-12}\n", "UTC"),
}


def write_config(d, gw, port, influx_url):
    plots, film, zone = FIELDS[gw]
    sensors, unit = [], 1
    for plot in plots:
        for place, profile in (("under_film", "seeed-s-soil-mtec-02"), ("bare", "dfrobot-sen0601")):
            sensors.append(f"  - {{id: {plot.lower()}-{place[:5]}, bus: tcp1, unit: {unit}, "
                           f"profile: {profile}, plot: {plot}, placement: {place}, interval_s: 3600}}")
            unit += 1
    path = os.path.join(d, f"{gw}.yaml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"""gateway: {{id: {gw}, township: 新民乡, data_dir: {d}/{gw}, metrics_interval_s: 0,
          timezone: {zone}}}
records: {{households: {SRC}/config/demo/households.csv, plots: {SRC}/config/demo/plots.csv}}
journal: {{max_age_days: 3650}}
buses:
  - {{name: tcp1, type: tcp, host: 127.0.0.1, port: {port}}}
sensors:
""" + "\n".join(sensors) + f"""
influxdb: {{url: "{influx_url}", database: fieldgate, flush_ms: 200}}
sim:
  start: {START:%Y-%m-%d}
  speed: {SPEED:g}
  film:
{film}""")
    return path




def report(cfg, *args):
    p = subprocess.run([FIELDGATE, "report", "-c", cfg, "--format", "json", *args],
                       capture_output=True, text=True, timeout=120)
    check(p.returncode == 0, f"report {args} exit {p.returncode}: {p.stderr}")
    return {r["plot_id"]: r for r in json.loads(p.stdout)["rows"]}


KEYS = ("verdict", "availability", "received", "expected", "covered_days", "not_covered_days",
        "indeterminate_days", "no_data_days", "first_covered", "late", "verified_area_mu")


def test():
    d = tmpdir("fg-fleet-")
    influx = Influxd(d).start()
    procs, cfgs = [], {}
    try:
        influx.create_db()
        for gw in FIELDS:
            port = free_port()
            cfgs[gw] = write_config(d, gw, port, influx.url)
            clock = os.path.join(d, f"{gw}.clock")
            procs.append(start_sim(cfgs[gw], d, "--clock", clock))
            procs.append(Proc([FIELDGATE, "run", "-c", cfgs[gw], "--sim-clock", clock],
                              os.path.join(d, f"{gw}.log")))
            procs[-1].clock = read_clock(clock)
        real = (END - START).total_seconds() / SPEED
        for run in procs[1::2]:
            wait_for(lambda: sim_now(run.clock) >= END or run.p.poll() is not None, real + 30,
                     f"simulated time to reach {END}")
            check(run.p.poll() is None, "daemon exited:\n" + run.log_text())
    finally:
        codes = [p.stop() for p in reversed(procs)]
    check(codes[0::2] == [0] * len(FIELDS), f"daemon exit codes {codes}")
    try:
        fleet = report(cfgs["fleet-a"], "--source", "influx", "--influx-url", influx.url,
                       "--influx-db", "fieldgate")
    finally:
        influx.stop()
    compared = 0
    for gw, (plots, _, _) in FIELDS.items():
        local = report(cfgs[gw])
        for plot in plots:
            check(plot in fleet, f"{plot} missing from the fleet report")
            for k in KEYS:
                check(local[plot].get(k) == fleet[plot].get(k),
                      f"{plot} {k}: local {local[plot].get(k)!r}, fleet {fleet[plot].get(k)!r}")
            compared += 1
        print(gw, {p: local[p]["verdict"] for p in plots})
    check(fleet["XM-0002"]["verdict"] == "fail" and fleet["XM-0001"]["verdict"] == "pass",
          f"scenario verdicts: {fleet['XM-0001']['verdict']}, {fleet['XM-0002']['verdict']}")
    print(f"{compared} plots of 2 gateways: fleet == local")


if __name__ == "__main__":
    main(test)
