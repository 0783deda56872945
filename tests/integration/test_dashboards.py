"""The Grafana dashboards against real data: the JSON is checked (unique dashboard uids and
panel ids, no hard-coded dashboard id, every panel and target on the ${DS} datasource
variable, every panel with a query, every query variable on the same datasource, a `tz`
variable defaulting to Asia/Shanghai and tz('$tz') on every GROUP BY time(1d) query); then
the daemon feeds a real influxd from the simulator over a compressed fortnight around the
laying deadline (05-03..05-17, sim clock; JH-0001's film laid on 05-13, late; a dead sensor
for the health and stale panels), and every variable's query and every panel's query, with
the variables substituted by values the variable queries returned (text variables by their
default), must return data. Then, per plot, the first `covered` day of the plot-detail
daily film-state panel (daily buckets), the first covered day of the county table and the
laying-date code of the county's per-plot table (through that panel's own value mapping)
must equal `fieldgate report --format json`'s first_covered and late. Without tz() the
daily buckets start at UTC midnight and each day shows under the day before (first covered
05-12 against the report's 05-13): the test fails.
"""
import datetime
import subprocess
import zoneinfo
import glob
import json
import os
import re
import urllib.parse

from gwservers import Influxd
from gwtest import FIELDGATE, Proc, check, free_port, main, start_sim, tmpdir, wait_for

SRC = os.environ.get("GW_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
DASHBOARDS = os.path.join(SRC, "dashboards")
SPEED = 86400  # a simulated day a real second
START = "2023-05-03"
TIME_FILTER = "time >= '2023-04-20T00:00:00Z' AND time <= '2023-08-01T00:00:00Z'"
TO_MS = 1690848000000  # $__to: 2023-08-01T00:00:00Z
ZONE = zoneinfo.ZoneInfo("Asia/Shanghai")

SENSORS = [  # (id, unit, profile, plot, placement)
    ("xm1-under", 1, "seeed-s-soil-mtec-02", "XM-0001", "under_film"),
    ("xm1-bare", 2, "dfrobot-sen0601", "XM-0001", "bare"),
    ("jh1-under", 3, "seeed-s-soil-mtec-02", "JH-0001", "under_film"),
    ("jh1-bare", 4, "dfrobot-sen0601", "JH-0001", "bare"),
]
DEAD = ("xm2-under", 9, "seeed-s-soil-mtec-02", "XM-0002", "under_film")


def write_config(d, name, port, influx_url, sensors):
    lines = "\n".join(f"  - {{id: {s}, bus: tcp1, unit: {u}, profile: {p}, plot: {pl}, "
                      f"placement: {pc}, interval_s: 3600}}" for s, u, p, pl, pc in sensors)
    path = os.path.join(d, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"""gateway: {{id: dash-01, township: 新民乡, data_dir: {d}/data, metrics_interval_s: 1}}
records: {{households: {SRC}/config/demo/households.csv, plots: {SRC}/config/demo/plots.csv}}
timeouts: {{response_ms: 200, retries: 0, backoff_max_s: 1}}
buses:
  - {{name: tcp1, type: tcp, host: 127.0.0.1, port: {port}}}
sensors:
{lines}
influxdb: {{url: "{influx_url}", database: fieldgate, flush_ms: 200}}
sim: {{start: {START}, speed: {SPEED}, film: {{JH-0001: {{laid: 05-13}}}}}}
""")
    return path


def load_dashboards():
    dash = {}
    for path in sorted(glob.glob(os.path.join(DASHBOARDS, "*.json"))):
        with open(path, encoding="utf-8") as f:
            dash[os.path.basename(path)] = json.load(f)
    check(len(dash) >= 4, f"want at least 4 dashboards, found {sorted(dash)}")
    return dash


def check_json(dash):
    uids = [d["uid"] for d in dash.values()]
    check(len(set(uids)) == len(uids), f"dashboard uids repeat: {uids}")
    for name, d in dash.items():
        check(d.get("id") is None, f"{name}: a hard-coded dashboard id")
        variables = {v["name"]: v for v in d["templating"]["list"]}
        ds = variables.get("DS")
        check(ds and ds["type"] == "datasource" and ds["query"] == "influxdb",
              f"{name}: no InfluxDB datasource variable DS")
        for v in variables.values():
            if v["type"] == "query":
                check(v["datasource"] == {"type": "influxdb", "uid": "${DS}"},
                      f"{name}: variable {v['name']} not on ${{DS}}")
        tz = variables.get("tz")
        check(tz and tz["type"] == "textbox" and tz["query"] == "Asia/Shanghai",
              f"{name}: no tz variable defaulting to Asia/Shanghai")
        for p in d["panels"]:
            for t in p["targets"]:
                q = t["query"]
                check("GROUP BY time(1d)" not in q or q.count("tz('$tz')") == 1,
                      f"{name}: panel {p['title']!r}: daily buckets without tz('$tz'): {q}")
        ids = [p["id"] for p in d["panels"]]
        check(len(set(ids)) == len(ids), f"{name}: panel ids repeat")
        for p in d["panels"]:
            where = f"{name}: panel {p['title']!r}"
            check(p.get("datasource") == {"type": "influxdb", "uid": "${DS}"}, f"{where}: datasource")
            check(p.get("targets"), f"{where}: no query")
            for t in p["targets"]:
                check(t.get("rawQuery") and t.get("query", "").strip(), f"{where}: empty query")
                check(t.get("datasource") == {"type": "influxdb", "uid": "${DS}"},
                      f"{where}: target datasource")


def regex_escape(v):
    return re.sub(r"([\\^$.|?*+()\[\]{}/])", r"\\\1", v)


def substitute(q, values):
    """q with Grafana's variables replaced: values {name: value} of query variables
    (regex-escaped, as Grafana does for multi-value variables) or (name, text) for text
    variables (as they are)."""
    q = q.replace("$timeFilter", TIME_FILTER).replace("$__interval", "6h")
    q = q.replace("${__to:date:YYYY}", "2023").replace("$__to", str(TO_MS))
    for name, v in sorted(values.items(), key=lambda kv: -len(kv[0])):
        q = q.replace("$" + name, v[1] if isinstance(v, tuple) else regex_escape(v))
    check("$" not in q.replace("$/", ""), f"unsubstituted variable in {q}")
    return q


def series(influx, q):
    res = influx.query(q)["results"][0]
    check("error" not in res, f"query failed: {q}\n{res.get('error')}")
    return [s for s in res.get("series", []) if s.get("values")]


def text_values(d):
    return {v["name"]: ("text", v["query"]) for v in d["templating"]["list"]
            if v["type"] in ("textbox", "custom", "constant")}


def panel_target(d, title):
    panels = [p for p in d["panels"] if p["title"].startswith(title)]
    check(len(panels) == 1, f"{d['uid']}: want one panel {title!r}")
    return panels[0]


def local_day(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, ZONE).strftime("%Y-%m-%d")


def mapped(p, field, value):
    """value through panel p's value mapping of field (an override's, else the defaults')."""
    maps = [pr["value"] for o in p["fieldConfig"]["overrides"] if o["matcher"]["options"] == field
            for pr in o["properties"] if pr["id"] == "mappings"]
    for m in (maps[0] if maps else p["fieldConfig"]["defaults"].get("mappings", [])):
        hit = m["options"].get(str(value))
        if hit:
            return hit["text"]
    return str(value)


def check_days(influx, dash, cfg):
    """Each plot's first covered day and laying flag on the dashboards equal the report's."""
    out = subprocess.run([FIELDGATE, "report", "-c", cfg, "--format", "json", "--year", "2023"],
                         capture_output=True, text=True, timeout=60)
    check(out.returncode == 0, f"report: {out.stderr}")
    report = {r["plot_id"]: r for r in json.loads(out.stdout)["rows"] if r["plot_id"] != "total"}
    plot_d, county = dash["plot-detail.json"], dash["county-overview.json"]
    county_vals = dict(text_values(county), township=("all", ".*"))
    first, laying = {}, {}
    tq = panel_target(plot_d, "Daily film state")["targets"][0]["query"]
    for plot in ("XM-0001", "JH-0001"):
        got = series(influx, substitute(tq, dict(text_values(plot_d), plot=plot, township=("all", ".*"),
                                                 village=("all", ".*"))))
        days = [local_day(t) for t, v in got[0]["values"] if v == "covered"] if got else []
        first[plot] = days[0] if days else None
    p = panel_target(county, "First covered day per plot")
    for s in series(influx, substitute(p["targets"][0]["query"], county_vals)):
        check(local_day(s["values"][0][0]) == first.get(s["tags"]["plot"], local_day(s["values"][0][0])),
              f"{s['tags']['plot']}: first covered {local_day(s['values'][0][0])} in the table, "
              f"{first.get(s['tags']['plot'])} in the daily panel")
        first.setdefault(s["tags"]["plot"], local_day(s["values"][0][0]))
    p = panel_target(county, "Plots:")
    for s in series(influx, substitute(p["targets"][1]["query"], county_vals)):
        laying[s["tags"]["plot"]] = mapped(p, "laying", int(s["values"][0][1]))
    check(laying.get("XM-0001") == "on_time" and laying.get("JH-0001") == "late",
          f"dashboard laying dates: {laying}")
    for plot, text in laying.items():
        r = report[plot]
        check(first.get(plot) == r["first_covered"],
              f"{plot}: first covered {first.get(plot)} on the dashboard, {r['first_covered']} in the report")
        check(text == (r["late"] or "not covered"),
              f"{plot}: laying {text} on the dashboard, {r['late']} in the report")
    print(f"first covered and laying per plot as the report's: {sorted(first.items())} {laying}")


def run_queries(influx, dash):
    checked = 0
    for name, d in dash.items():
        values = text_values(d)
        for v in d["templating"]["list"]:
            if v["type"] != "query":
                continue
            got = series(influx, substitute(v["query"], values))
            check(got, f"{name}: variable {v['name']} returned nothing: {v['query']}")
            values[v["name"]] = got[0]["values"][0][1]
        for p in d["panels"]:
            for t in p["targets"]:
                q = substitute(t["query"], values)
                check(series(influx, q), f"{name}: panel {p['title']!r} returned no data:\n{q}")
                checked += 1
    return checked


def feed(d, influx):
    port = free_port()
    clock = os.path.join(d, "clock")
    sim_cfg = write_config(d, "sim.yaml", port, influx.url, SENSORS)
    cfg = write_config(d, "gw.yaml", port, influx.url, SENSORS + [DEAD])
    sim = start_sim(sim_cfg, d, "--tcp", f"127.0.0.1:{port}", "--clock", clock)
    run = Proc([FIELDGATE, "run", "-c", cfg, "--sim-clock", clock], os.path.join(d, "run.log"))
    def days():
        """Daily film states written so far, per plot."""
        return [s["values"][0][1] for s in
                series(influx, 'SELECT count("covered") FROM "film_day" GROUP BY "plot"')]

    try:  # a fortnight of simulated days: several metrics points for the per-minute rates
        wait_for(lambda: (len(days()) >= 2 and min(days()) >= 14) or run.p.poll() is not None,
                 90, "a fortnight of daily film states of two plots")
        check(run.p.poll() is None, "daemon exited:\n" + run.log_text())
    finally:
        rc = run.stop()
        sim.stop()
    check(rc == 0, f"daemon exit {rc}:\n" + run.log_text())
    return cfg


def test():
    dash = load_dashboards()
    check_json(dash)
    for f in ("provisioning/datasources/fieldgate.yaml", "provisioning/dashboards/fieldgate.yaml"):
        check(os.path.exists(os.path.join(DASHBOARDS, f)), f"missing {f}")
    d = tmpdir("fg-dash-")
    influx = Influxd(d).start()
    try:
        influx.create_db()
        cfg = feed(d, influx)
        n = run_queries(influx, dash)
        check_days(influx, dash, cfg)
    finally:
        influx.stop()
    print(f"{len(dash)} dashboards, {n} panel queries returned data")


if __name__ == "__main__":
    main(test)
