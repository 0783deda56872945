#!/usr/bin/env python3
"""Plot verdicts end to end in the report: the daemon polls the simulator once (so the
journal has its schema and each sensor's source), then the season 2023-04-20..07-20 is
written into that journal as hourly readings of the same sources: XM-0001 covered from
04-25 (pass, on time), XM-0002 never covered (fail), XM-0003 covered from 05-28 (pass,
late), the other plots without sensors (no_sensor). Checks the plot, household and
township reports' verdict columns and verified area, the days in json, and that the html
report's per-plot charts are in the DOM headless Chromium builds and print on A4; every
report prints the evidence chain head `verify` computes (the season sealed by the daemon).
The inspectors' sheets of that season: the field visit list names exactly the plots that
are not a pass on time (XM-0001 is the only one), in walking order, prints on A4 and reads
on a 390 px wide screen without sideways scrolling; the 验收表 gives each plot's verdict in
Chinese, why, its sensors and position; the plot cards link the position (geo:), name the
sensors and the days of data used. Fails without those: the visit list would hold
XM-0001 or miss a no-sensor plot, the page would be wider than the phone."""
import calendar
import csv
import datetime
from html import escape as html_escape
import io
import json
import os
import re
import shutil
import sqlite3
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gwjournal  # noqa: E402
from gwtest import FIELDGATE, check, free_port, main, start_sim, tmpdir  # noqa: E402
from test_report_html import chromium, pdf_pages  # noqa: E402

SRC = os.environ.get("GW_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
LAID = {"XM-0001": datetime.date(2023, 4, 25), "XM-0002": None, "XM-0003": datetime.date(2023, 5, 28)}
ENV = dict(os.environ, TZ="UTC")


def setup(d, zone="UTC"):
    for name in ("households.csv", "plots.csv"):
        shutil.copy(os.path.join(SRC, "config", "demo", name), d)
    port = free_port()
    cfg = os.path.join(d, "gateway.yaml")
    sensors = "".join(
        f"  - {{id: {p.lower()}-{k}, bus: t1, unit: {u}, profile: {prof}, plot: {p}, "
        f"placement: {place}, interval_s: 3600}}\n"
        for u, (p, k, prof, place) in enumerate(
            [(p, k, prof, place) for p in LAID for k, prof, place in
             (("under", "seeed-s-soil-mtec-02", "under_film"), ("bare", "dfrobot-sen0601", "bare"))], 1))
    with open(cfg, "w", encoding="utf-8") as f:
        f.write(f"""gateway: {{id: season, township: 新民乡, data_dir: {d}/data, timezone: {zone}}}
records: {{households: households.csv, plots: plots.csv}}
journal: {{max_age_days: 3650}}   # keep the 2023 season (retention would prune it)
buses:
  - {{name: t1, type: tcp, host: 127.0.0.1, port: {port}}}
sensors:
{sensors}""")
    return cfg


def value(name, plot, role, day, hour):
    """A plausible reading: soil warmer under film by ~3 degC at midday once the film is on."""
    base = 14 + 0.08 * (day - datetime.date(2023, 4, 20)).days + 4 * (10 <= hour < 17)
    if name == "temperature_c":
        laid = LAID[plot]
        return base + (3.0 if role == "under" and laid and day >= laid else 0.0)
    if name == "moisture_pct":
        return 22 + 6 * ((day.toordinal() % 9) / 9) + (4 if role == "under" and LAID[plot] else 0)
    return 1.0


def write_season(d):
    path = os.path.join(d, "data", "journal.db")
    db = sqlite3.connect(path)
    sources = {i: gwjournal.parse_source(t) for i, t in db.execute("SELECT id, desc FROM sources")}
    check(len(sources) == 6, f"journal sources: {len(sources)}")
    db.execute("DELETE FROM readings")
    rows = []
    day = datetime.date(2023, 4, 20)
    while day <= datetime.date(2023, 7, 20):
        for hour in range(24):
            ts = calendar.timegm((day.year, day.month, day.day, hour, 0, 0)) * 1000
            for sid, s in sources.items():
                role = s["sensor"].rsplit("-", 1)[1]
                data = bytes([0, len(s["points"])])
                for name, _dec, _unit in s["points"]:
                    data += bytes([0]) + struct.pack("<d", value(name, s["plot"], role, day, hour))
                rows.append((ts, int(day.strftime("%Y%m%d")), sid, data))
        day += datetime.timedelta(days=1)
    db.executemany("INSERT INTO readings(ts_ms, day, src, data) VALUES(?,?,?,?)", rows)
    db.commit()
    db.close()
    return len(rows)


def report(cfg, *args):
    p = subprocess.run([FIELDGATE, "report", "-c", cfg, *args], capture_output=True, timeout=60, env=ENV)
    check(p.returncode == 0, f"report {args}: exit {p.returncode}: {p.stderr.decode()}")
    return p.stdout.decode("utf-8-sig")  # csv: UTF-8 with a BOM


def check_plots(cfg):
    doc = json.loads(report(cfg, "--level", "plot", "--format", "json", "--year", "2023"))
    check(doc["year"] == 2023 and doc["verdicts"] is True, f"json head: year {doc['year']}")
    got = {r["plot_id"]: r for r in doc["rows"]}
    want = {"XM-0001": ("pass", "2023-04-25", "on_time"), "XM-0002": ("fail", None, ""),
            "XM-0003": ("pass", "2023-05-28", "late"), "XM-0004": ("no_sensor", None, "")}
    for plot, (verdict, first, late) in want.items():
        r = got[plot]
        check((r["verdict"], r["first_covered"], r["late"] or "") == (verdict, first, late),
              f"{plot}: verdict {r['verdict']}, first covered {r['first_covered']}, {r['late']} "
              f"(want {verdict}, {first}, {late})")
    r = got["XM-0001"]
    check(r["availability"] == 1 and r["covered_days"] == 26 and r["not_covered_days"] == 0,
          f"XM-0001 window: {r['availability']} {r['covered_days']} {r['not_covered_days']}")
    check(got["XM-0002"]["not_covered_days"] == 26, f"XM-0002: {got['XM-0002']['not_covered_days']}")
    check(len(r["days"]) >= 90 and r["days"][10]["state"] == "covered" and r["days"][2]["state"] == "not_covered",
          f"XM-0001 days: {len(r['days'])}")
    check(abs(r["days"][10]["delta_c"] - 3.0) < 0.01, f"XM-0001 delta {r['days'][10]['delta_c']}")
    verified = got["XM-0001"]["area_mu"] + got["XM-0003"]["area_mu"]
    check(doc["total"]["verified_area_mu"] == verified, f"verified {doc['total']['verified_area_mu']} != {verified}")
    return verified


def check_forms(cfg, verified):
    town = {r["township"]: r for r in csv.DictReader(io.StringIO(report(cfg, "--level", "township", "--year", "2023")))}
    check(float(town["新民乡"]["verified_area_mu"]) == verified and town["新民乡"]["plots_pass"] == "2"
          and town["新民乡"]["plots_fail"] == "1" and town["泾河源镇"]["plots_no_sensor"] == "2",
          f"township verdict columns: {town['新民乡']}")
    pa = {r["township"]: r for r in csv.DictReader(io.StringIO(
        report(cfg, "--level", "township", "--category", "poverty_alleviated", "--year", "2023")))}
    check(float(pa["total"]["verified_area_mu"]) == verified, "XM-0001 and XM-0003 are poverty-alleviated")
    # a window without readings: nothing expected, no verdict but insufficient_data
    doc = json.loads(report(cfg, "--format", "json", "--window", "08-01..08-31", "--year", "2023"))
    check({r["verdict"] for r in doc["rows"] if r["plot_id"] in LAID} == {"insufficient_data"},
          f"empty window: {[r['verdict'] for r in doc['rows']]}")


def check_html(d, cfg):
    html = os.path.join(d, "plots.html")
    pdf = os.path.join(d, "plots.pdf")
    report(cfg, "--level", "plot", "--format", "html", "--out", html, "--year", "2023")
    dom = chromium(d, "--dump-dom", "file://" + html)
    charts = re.findall(r"<svg class=\"chart\".*?</svg>", dom, re.S)
    check(len(charts) == 6, f"{len(charts)} charts in the DOM (want one per plot)")
    drawn = [c for c in charts if c.count("<path") == 2 and c.count("<rect") > 90]
    check(len(drawn) == 3, f"{len(drawn)} charts with both lines and a day strip (want 3)")
    chromium(d, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", "file://" + html)
    pages = pdf_pages(pdf)
    png = os.environ.get("GW_REPORT_SCREENSHOT")
    if png:  # for a person to look at
        chromium(d, f"--screenshot={png}", "--window-size=794,1123", "file://" + html)
    return pages


def sheet_rows(cfg, form, *args):
    text = report(cfg, "--form", form, "--year", "2023", *args)
    rows = list(csv.DictReader(io.StringIO(text)))
    return [r for r in rows if r["序号"]], [r for r in rows if not r["序号"]]


def check_visits(d, cfg):
    with open(os.path.join(d, "plots.csv"), encoding="utf-8") as f:
        plots = [r["plot_id"] for r in csv.DictReader(f)]
    # the season as written: only XM-0001 is covered in the window and laid by 05-10
    want = [p for p in plots if p != "XM-0001"]
    rows, totals = sheet_rows(cfg, "visits")
    got = [r["地块编号"] for r in rows]
    check(sorted(got) == sorted(want), f"visit list names {got}, want {want}")
    check(got == ["XM-0002", "XM-0003", "XM-0004", "JH-0001", "JH-0002"], f"visit order {got}")
    why = {r["地块编号"]: (r["验收结论"], r["核查原因"]) for r in rows}
    check(why["XM-0002"][0] == "不合格" and why["XM-0004"][0] == "无传感器" and why["XM-0003"][0] == "合格"
          and "晚于覆膜期限" in why["XM-0003"][1], f"visit reasons {why}")
    check(all(r["电话"][3:7] == "****" for r in rows) and rows[0]["纬度"] == "35.492", f"visit cells {rows[0]}")
    check(len(totals) == 2 and totals[0]["行政村"] == "合计", f"visit totals {totals}")
    html = os.path.join(d, "visits.html")
    report(cfg, "--form", "visits", "--year", "2023", "--format", "html", "--out", html)
    page = open(html, encoding="utf-8").read()
    check('href="geo:35.492,106.333"' in page and "<script" not in page, "visit html: no geo link")
    pdf = os.path.join(d, "visits.pdf")
    chromium(d, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", "file://" + html)
    pages = pdf_pages(pdf)
    # on a phone: headless Chromium's window is never narrower than 500 px, so the page goes
    # into a 390 px wide frame (srcdoc: same origin) with a probe that writes the layout's
    # width and the cells' font size into the outer page
    probe = page.replace("</body>", "<script>parent.document.body.setAttribute('data-width', "
                         "document.documentElement.scrollWidth + ' ' + innerWidth + ' ' + "
                         "getComputedStyle(document.querySelector('td')).fontSize);</script></body>")
    outer = os.path.join(d, "visits-phone.html")
    with open(outer, "w", encoding="utf-8") as f:
        f.write('<!DOCTYPE html><html><body style="margin:0"><iframe width="390" height="844" '
                'style="border:0" srcdoc="' + html_escape(probe, quote=True) + '"></iframe></body></html>')
    dom = chromium(d, "--dump-dom", "file://" + outer)
    m = re.search(r'data-width="(\d+) (\d+) ([\d.]+)px"', dom)
    check(m and m.group(2) == "390" and int(m.group(1)) <= 390 and float(m.group(3)) >= 14,
          f"visit list at 390 px: layout width, frame width, font {m.group(0) if m else dom[:300]}")
    png = os.environ.get("GW_VISITS_SCREENSHOT")
    if png:  # for a person to look at
        chromium(d, f"--screenshot={png}", "--window-size=500,844", "file://" + outer)
    return pages


def check_acceptance(cfg, verified):
    rows, totals = sheet_rows(cfg, "acceptance", "--township", "新民乡")
    got = {r["地块编号"]: r for r in rows}
    check(set(got) == {"XM-0001", "XM-0002", "XM-0003", "XM-0004"}, f"acceptance plots {list(got)}")
    r = got["XM-0003"]
    check(r["验收结论"] == "合格" and r["首次覆膜日期"] == "2023年5月28日" and "晚于覆膜期限" in r["依据"]
          and r["传感器"] == "xm-0003-under, xm-0003-bare" and r["纬度"] == "35.494" and r["经度"] == "106.336"
          and r["身份证号"][6:14] == "********" and r["类别"] == "脱贫户", f"acceptance XM-0003 {r}")
    check(got["XM-0002"]["验收结论"] == "不合格" and got["XM-0002"]["验收合格面积"] == "0", f"XM-0002 {got['XM-0002']}")
    total = [float(t["验收合格面积"]) for t in totals if t["姓名"] == "合计"]  # a sheet per village
    check(len(total) == 2 and abs(sum(total) - verified) < 1e-9, f"acceptance totals {totals}")
    check({t["姓名"] for t in totals} == {"脱贫户合计", "一般户合计", "合计"}, f"category totals {totals}")


def check_cards(d, cfg):
    page = report(cfg, "--level", "plot", "--format", "html", "--year", "2023")
    check('<a href="geo:35.490000,106.330000">' in page and "xm-0001-under, xm-0001-bare" in page
          and "所用数据日期：2023年4月20日 至 2023年7月20日" in page and "不合格" in page,
          "plot card lacks position, sensors, data days or the Chinese verdict")


def run_once(cfg):
    p = subprocess.run([FIELDGATE, "run", "-c", cfg, "--once"], capture_output=True, timeout=60, env=ENV)
    check(p.returncode == 0, f"run --once exit {p.returncode}: {p.stderr.decode()}")


def check_chain_head(cfg):
    """Every report prints the head verify computes (an inspector compares it with the one
    published over MQTT)."""
    p = subprocess.run([FIELDGATE, "verify", "-c", cfg], capture_output=True, timeout=60, env=ENV)
    m = re.search(r"^head (\S+ [0-9a-f]{64} \(\d+ readings\))$", p.stdout.decode(), re.M)
    check(p.returncode == 0 and m and m.group(1).startswith("2023-07-20 "),
          f"verify exit {p.returncode}: {p.stdout.decode()[-500:]}")
    head = m.group(1)
    doc = json.loads(report(cfg, "--format", "json", "--year", "2023"))
    check(doc["chain_head"] == head, f"json chain head {doc['chain_head']!r} != verify's {head!r}")
    check(head in report(cfg, "--format", "html", "--level", "township"), "html lacks the chain head")


def run():
    d = tmpdir("fg-season-")
    cfg = setup(d)
    sim = start_sim(cfg, d)
    try:
        run_once(cfg)
        n = write_season(d)
        run_once(cfg)  # today's readings seal the season's days into the evidence chain
    finally:
        sim.stop()
    check_chain_head(cfg)
    verified = check_plots(cfg)
    check_forms(cfg, verified)
    pages = check_html(d, cfg)
    check_acceptance(cfg, verified)
    check_cards(d, cfg)
    visit_pages = check_visits(d, cfg)
    print(f"{n} season readings; plot report {pages} A4 pages, visit list {visit_pages}")
    shutil.rmtree(d)


if __name__ == "__main__":
    main(run)
