#!/usr/bin/env python3
"""Local days come from gateway.timezone, never from the process TZ: the season of
test_report_season (hourly readings 2023-04-20..07-20) in a gateway whose zone is
Asia/Shanghai is reported under TZ=UTC, TZ=America/New_York, TZ=Asia/Shanghai and with TZ
unset; the json and csv plot reports are identical (but for the time they were generated),
name the zone and the rules used, and `run` recorded the rules in force (zone included) in
the journal. Fails when any local day follows the process TZ: under New York the days of
the 10:00-16:00 means move by 12-13 hours and the plots' day states and verdicts change."""
import json
import os
import shutil
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_report_season as season  # noqa: E402
from gwtest import FIELDGATE, check, main, start_sim, tmpdir  # noqa: E402

ZONES = ("UTC", "America/New_York", "Asia/Shanghai", None)


def report(cfg, tz, *args):
    env = dict(os.environ)
    env.pop("TZ", None)
    if tz:
        env["TZ"] = tz
    p = subprocess.run([FIELDGATE, "report", "-c", cfg, "--year", "2023", *args],
                       capture_output=True, timeout=60, env=env)
    check(p.returncode == 0, f"report TZ={tz} {args}: exit {p.returncode}: {p.stderr.decode()}")
    return p.stdout.decode("utf-8"), p.stderr.decode("utf-8")


def run():
    d = tmpdir("fg-reporttz-")
    cfg = season.setup(d, zone="Asia/Shanghai")
    sim = start_sim(cfg, d)
    try:
        season.run_once(cfg)
        season.write_season(d)
    finally:
        sim.stop()
    db = sqlite3.connect(os.path.join(d, "data", "journal.db"))
    sets = db.execute("SELECT day, text FROM rules").fetchall()
    db.close()
    check(len(sets) == 1 and b"\ntimezone Asia/Shanghai\n" in bytes(sets[0][1]),
          f"rules recorded by run: {sets}")
    docs, csvs = [], []
    for tz in ZONES:
        out, _ = report(cfg, tz, "--format", "json")
        doc = json.loads(out)
        doc.pop("generated")
        docs.append(doc)
        out, err = report(cfg, tz)
        csvs.append(out)
        check("time zone Asia/Shanghai; rules recorded: 1 set(s)" in err, f"csv stderr: {err}")
    check(docs[0]["timezone"] == "Asia/Shanghai" and docs[0]["rules"].startswith("recorded"),
          f"zone {docs[0]['timezone']}, rules {docs[0]['rules']}")
    plots = {r["plot_id"]: r for r in docs[0]["rows"]}
    check(plots["XM-0001"]["verdict"] == "pass" and plots["XM-0002"]["verdict"] == "fail",
          f"verdicts {[(p, r['verdict'], r['reason']) for p, r in plots.items()]}")
    for tz, doc, text in zip(ZONES, docs, csvs):
        check(doc == docs[0], f"json under TZ={tz} differs from TZ={ZONES[0]}")
        check(text == csvs[0], f"csv under TZ={tz} differs from TZ={ZONES[0]}")
    print(f"{len(ZONES)} reports identical; XM-0001: {plots['XM-0001']['reason']}")
    shutil.rmtree(d)


if __name__ == "__main__":
    main(run)
