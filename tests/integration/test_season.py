"""A compressed season end to end. `fieldgate sim` serves 2023-04-01 .. 07-16 at three
simulated days a real second, with one plot whose film was never laid, one laid late
(05-28, after the 05-10 deadline), one torn off in June (06-12) and two normal ones;
`fieldgate run --sim-clock` journals it on the simulator's clock. From the journal:
the readings span the season in simulated time, every sensor has the readings its
interval (in simulated seconds) calls for (a host stall is caught up, not lost), the
film switch follows the scenario, and the daily 10:00-16:00 mean of under-film minus
bare temperature (the temperature_pair rule of DESIGN.md) separates the covered days
from the bare ones as the scenario says. Then `fieldgate report` on that journal gives the
verdicts of DESIGN.md: never laid and torn off fail, laid late passes with its first covered
date flagged late, the normal plots pass, the plot without a probe under film has no sensor.
`fieldgate verify` finds the evidence chain intact over the simulated days. SEASON_SPEED slows
the season down on a slow host.
"""
import datetime
import json
import os
import shutil
import subprocess
import time

import gwjournal
from gwtest import (FIELDGATE, Proc, check, free_port, main, read_clock, sim_now, start_sim,
                    tmpdir, wait_for)

SPEED = float(os.environ.get("SEASON_SPEED", "259200"))  # 3 simulated days a second
START = datetime.datetime(2023, 4, 1)
END = datetime.datetime(2023, 7, 16, 6)  # the acceptance window ends 07-15
YEAR = 2023

# plot -> (laid MMDD or None for never, removed MMDD or None); film on all season if absent
SCENARIO = {
    "XM-0002": (None, None),   # never laid
    "XM-0003": (528, None),    # laid late
    "JH-0002": (426, 612),     # torn off in June
}
PAIRS = {"XM-0001": "xm1", "XM-0002": "xm2", "XM-0003": "xm3", "JH-0001": "jh1",
         "JH-0002": "jh2"}
INTERVAL = 3600
SWITCH_INTERVAL = 7200


def covered(plot, day):
    """The scenario: is plot's film on during day (a date)?"""
    if plot not in SCENARIO:
        return True
    laid, removed = SCENARIO[plot]
    md = day.month * 100 + day.day
    return laid is not None and md >= laid and (removed is None or md < removed)


def write_config(d, port):
    src = os.environ.get("GW_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
    sensors, unit = [], 1
    for plot, short in PAIRS.items():
        for place, profile in (("under_film", "seeed-s-soil-mtec-02"), ("bare", "dfrobot-sen0601")):
            sensors.append(f"  - {{id: {short}-{place.split('_')[0]}, bus: tcp1, unit: {unit}, "
                           f"profile: {profile}, plot: {plot}, placement: {place}, "
                           f"interval_s: {INTERVAL}}}")
            unit += 1
    sensors.append(f"  - {{id: jh2-switch, bus: tcp1, unit: {unit}, "
                   f"profile: waveshare-modbus-rtu-io-8ch, plot: JH-0002, "
                   f"interval_s: {SWITCH_INTERVAL}}}")
    cfg = os.path.join(d, "gateway.yaml")
    with open(cfg, "w") as f:
        f.write(f"""gateway: {{id: season-01, township: 新民乡, data_dir: {d}/data,
           metrics_interval_s: 0}}
records: {{households: {src}/config/demo/households.csv, plots: {src}/config/demo/plots.csv}}
buses:
  - {{name: tcp1, type: tcp, host: 127.0.0.1, port: {port}}}
sensors:
""" + "\n".join(sensors) + f"""
sim:
  start: {START:%Y-%m-%d}
  speed: {SPEED:g}
  film:
    XM-0002: never
    XM-0003: {{laid: 05-28}}
    JH-0002: {{laid: 04-26, removed: 06-12}}
""")
    return cfg




def local(ts_ms):
    return datetime.datetime.fromtimestamp(ts_ms / 1000.0)


def run_season(d):
    port = free_port()
    cfg = write_config(d, port)
    clock = os.path.join(d, "sim.clock")
    sim = start_sim(cfg, d, "--clock", clock)
    run = None
    try:
        c = read_clock(clock)
        check(c["speed"] == SPEED, f"clock file speed {c['speed']}")
        run = Proc([FIELDGATE, "run", "-c", cfg, "--sim-clock", clock],
                   os.path.join(d, "run.log"))
        real = (END - START).total_seconds() / SPEED
        t0 = time.monotonic()
        wait_for(lambda: sim_now(c) >= END or run.p.poll() is not None, real + 30,
                 f"simulated time to reach {END}")
        check(run.p.poll() is None, f"daemon exited {run.p.poll()}:\n{run.log_text()}")
        print(f"season {START:%m-%d}..{END:%m-%d %H:%M} in {time.monotonic() - t0:.1f} s real")
        check(run.stop() == 0, f"daemon exit code {run.p.returncode}:\n{run.log_text()}")
        check("SIMULATED CLOCK" in run.log_text(), "the daemon does not say it runs on a sim clock")
    finally:
        if run:
            run.stop()
        sim.stop()
    return cfg, gwjournal.rows(os.path.join(d, "data", "journal.db"))


def check_span(rows):
    check(rows, "no readings journaled")
    first, last = local(rows[0]["ts_ms"]), local(rows[-1]["ts_ms"])
    print(f"{len(rows)} readings from {first} to {last}")
    # the daemon starts a moment after the simulator: a second is days of simulated time
    check(first < START + datetime.timedelta(days=5), f"first reading at {first}")
    check(last >= END - datetime.timedelta(hours=6), f"last reading at {last}")
    check(all(START <= local(r["ts_ms"]) <= END + datetime.timedelta(days=1) for r in rows),
          "a reading outside the simulated season")
    check(not any(r["unsynced"] for r in rows), "readings on the sim clock marked unsynced")


def check_counts(rows):
    """Each sensor: the readings its interval calls for on every whole day."""
    by = {}
    for r in rows:
        by.setdefault(r["sensor"], []).append(local(r["ts_ms"]))
    check(len(by) == 2 * len(PAIRS) + 1, f"sensors journaled: {sorted(by)}")
    first_day = (local(rows[0]["ts_ms"]) + datetime.timedelta(days=1)).date()
    last_day = (END - datetime.timedelta(days=1)).date()
    for sensor, ts in by.items():
        want = 86400 // (SWITCH_INTERVAL if sensor.endswith("switch") else INTERVAL)
        per_day = {}
        for t in ts:
            if first_day <= t.date() <= last_day:
                per_day[t.date()] = per_day.get(t.date(), 0) + 1
        days = (last_day - first_day).days + 1
        got = sum(per_day.values())
        # A host stall is hours of simulated time: the poller catches up, so a reading may
        # move past midnight, but none is lost or added.
        short = [(str(k), n) for k, n in sorted(per_day.items()) if n != want]
        check(0.97 * want * days <= got <= want * (days + 1),
              f"{sensor}: {got} readings on {days} whole days (want {want * days}): {short[:10]}")
        check(len(per_day) == days, f"{sensor}: whole days without a reading: {short[:10]}")
        gaps = sorted((b - a).total_seconds() for a, b in zip(ts, ts[1:]))
        median = gaps[len(gaps) // 2]
        check(abs(median - 86400 / want) < 60,
              f"{sensor}: median interval {median} s (want {86400 // want})")


def check_switch(rows):
    for r in rows:
        if r["sensor"] != "jh2-switch":
            continue
        t = local(r["ts_ms"])
        near_midnight = t.hour == 23 and t.minute >= 55 or t.hour == 0 and t.minute < 5
        if not near_midnight:
            want = 1.0 if covered("JH-0002", t.date()) else 0.0
            check(r["values"]["input1"] == want, f"switch at {t}: {r['values']['input1']}")


def daily_deltas(rows):
    """plot -> {date: 10:00-16:00 mean under-film minus mean bare}"""
    acc = {}
    for r in rows:
        t, v = local(r["ts_ms"]), r["values"].get("temperature_c")
        if v is None or not 10 <= t.hour < 16 or r["sensor"].endswith("switch"):
            continue
        acc.setdefault((r["plot"], t.date(), r["sensor"].split("-")[1]), []).append(v)
    out = {}
    for (plot, day, place), vs in acc.items():
        other = acc.get((plot, day, "bare" if place == "under" else "under"))
        if place == "under" and other and len(vs) >= 3 and len(other) >= 3:
            out.setdefault(plot, {})[day] = sum(vs) / len(vs) - sum(other) / len(other)
    return out


def check_deltas(rows):
    deltas = daily_deltas(rows)
    check(sorted(deltas) == sorted(PAIRS), f"plots with daily deltas: {sorted(deltas)}")
    for plot, days in sorted(deltas.items()):
        wrong, indet, line = [], 0, ""
        for day, delta in sorted(days.items()):
            state = "C" if delta >= 1.5 else "N" if delta <= 0.5 else "i"
            line += state
            indet += state == "i"
            if state != "i" and (state == "C") != covered(plot, day):
                wrong.append(f"{day}: {delta:.2f}")
        print(f"{plot} {line}")
        check(len(days) >= 95, f"{plot}: only {len(days)} days with a delta")
        check(not wrong, f"{plot}: days classified against the scenario: {wrong}")
        check(indet <= len(days) // 10, f"{plot}: {indet} indeterminate days of {len(days)}")
        on = [d for d in days if covered(plot, d)]
        off = [d for d in days if not covered(plot, d)]
        if plot in SCENARIO and SCENARIO[plot][0] is not None:
            check(on and off, f"{plot}: the scenario's change is not in the data")


# plot -> (verdict, first covered date or None, late or None)
VERDICTS = {
    "XM-0001": ("pass", "season start", "on_time"),
    "XM-0002": ("fail", None, None),
    "XM-0003": ("pass", "2023-05-28", "late"),
    "XM-0004": ("no_sensor", None, None),
    "JH-0001": ("pass", "season start", "on_time"),
    "JH-0002": ("fail", "2023-04-26", "on_time"),
}


def check_report(cfg, rows):
    p = subprocess.run([FIELDGATE, "report", "-c", cfg, "--level", "plot", "--format", "json"],
                       capture_output=True, text=True, timeout=60)
    check(p.returncode == 0, f"report exit {p.returncode}: {p.stderr}")
    rep = json.loads(p.stdout)
    check(rep["year"] == YEAR, f"report year {rep['year']}")
    got = {r["plot_id"]: r for r in rep["rows"]}
    check(sorted(got) == sorted(VERDICTS), f"report plots {sorted(got)}")
    # the first day with data, or the next when the daemon started late in the first day
    first_day = local(rows[0]["ts_ms"])
    starts = {(first_day + datetime.timedelta(days=k)).strftime("%Y-%m-%d") for k in (0, 1)}
    for plot, (verdict, first, late) in VERDICTS.items():
        r = got[plot]
        print(f"{plot}: {r['verdict']} availability {r['availability']} covered "
              f"{r['covered_days']} not {r['not_covered_days']} indeterminate "
              f"{r['indeterminate_days']} first covered {r['first_covered']} {r['late']}")
        ok_first = r["first_covered"] in starts if first == "season start" else \
            r["first_covered"] == first
        check(r["verdict"] == verdict and ok_first and r["late"] == late,
              f"{plot}: {r['verdict']}, first covered {r['first_covered']}, {r['late']} (want "
              f"{verdict}, {first}, {late})")
        if verdict != "no_sensor":
            check(r["availability"] >= 0.95, f"{plot}: availability {r['availability']}")
            # a long host stall can leave a window day short of readings (no_data)
            check(r["covered_days"] + r["not_covered_days"] >= 20,
                  f"{plot}: {r['covered_days']} + {r['not_covered_days']} classified days "
                  f"in the window")


def check_verify(cfg):
    """The evidence chain seals the simulated days as they end."""
    p = subprocess.run([FIELDGATE, "verify", "-c", cfg], capture_output=True, text=True,
                       timeout=60)
    last = (p.stdout.strip().splitlines() or [""])[-1]
    print(f"verify: {last}")
    check(p.returncode == 0 and last.startswith("intact:"), f"verify exit {p.returncode}: "
          f"{p.stdout[-500:]}{p.stderr[-500:]}")
    check(int(last.split()[1]) >= 100, f"verify: {last}")


def test():
    d = tmpdir("fg-season-")
    os.environ["TZ"] = "Asia/Shanghai"
    time.tzset()
    cfg, rows = run_season(d)
    check_span(rows)
    check_counts(rows)
    check_switch(rows)
    check_deltas(rows)
    check_report(cfg, rows)
    check_verify(cfg)
    shutil.rmtree(d)  # kept for a look when a check failed


if __name__ == "__main__":
    main(test)
