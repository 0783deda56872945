"""The InfluxDB sink when its byte buffer fills before batch_size: a journal backlog of
readings whose line-protocol lines are all longer than 512 bytes (the buffer is batch_size *
512 bytes, at least 64 KiB: gateway/sinks/influx_out.c) — 63-byte gateway, plot and sensor
ids, a 63-byte township and village, soil probes of 7 points and IO modules of 16 (a good value
carries no "_q": lineproto.c) — goes to a
real influxd with batch_size 128, so every batch of the backlog is full after about 90 rows,
with the rest of the 128 rows it read left over for the next batch.
  1. A first run without an influxdb section journals the backlog (20 sensors, 1 s).
  2. A second run adds the sink (a new sink starts at the journal's first row) and keeps
     polling; every 300 ms the test reads the sink's saved cursor (read-only) and then asks
     influxd: every row at or below the cursor must already be there.
  3. At the end every journalled reading is in InfluxDB exactly once, with its values and
     qualities (count per sensor equal to the journal's), and the cursor is the last row.
How it fails: acknowledging the rows left out of a full batch (in batch_fill, `b->last =
last;` also when the batch is full, so the cursor moves over the rows read after the one that
did not fit) makes the cursor check fail at the first full batch ("cursor ... covers seq ...
not in InfluxDB") and loses those rows."""
import os
import time

import gwjournal
from gwservers import Influxd
from gwtest import FIELDGATE, Proc, check, free_port, main, start_sim, tmpdir

BATCH = 128
BUF = max(BATCH * 512, 64 * 1024)  # influx_out.c: BYTES_PER_POINT, MIN_BUF
SOIL = 10
IO = 10
GW = "full-batch-gateway-" + "g" * 44   # 63 bytes: the longest id (GW_ID_LEN - 1)
TOWNSHIP = "新民乡" * 7                   # 63 bytes
VILLAGE = "张家村" * 7


def sensor_id(i):
    return f"s{i:02d}-" + "x" * 59


def plot_id(i):
    return f"P{i:02d}-" + "p" * 59


def write_files(d, sim_port, influx_url=None):
    with open(os.path.join(d, "households.csv"), "w", encoding="utf-8") as f:
        f.write("household_id,name,township,village,group,id_number,beneficiaries,category,phone\n")
        f.write(f"H1,户主,{TOWNSHIP},{VILLAGE},1,640522198703151237,4,脱贫户,13912345678\n")
    with open(os.path.join(d, "plots.csv"), "w", encoding="utf-8") as f:
        f.write("plot_id,household_id,area_mu,film,planting,seed_variety\n")
        for i in range(SOIL + IO):
            f.write(f"{plot_id(i)},H1,3.5,full,single,先玉335\n")
    sensors = "\n".join(
        f"  - {{id: {sensor_id(i)}, bus: tcp1, unit: {i + 1}, plot: {plot_id(i)}, interval_s: 1, "
        f"profile: {'jxct-jxbs-3001' if i < SOIL else 'waveshare-modbus-rtu-io-8ch'}}}"
        for i in range(SOIL + IO))
    sink = (f'influxdb: {{url: "{influx_url}", database: fieldgate, batch_size: {BATCH}, '
            f'flush_ms: 200}}\n' if influx_url else "")
    cfg = os.path.join(d, "gateway.yaml")
    with open(cfg, "w", encoding="utf-8") as f:
        f.write(f"""gateway: {{id: {GW}, township: {TOWNSHIP}, data_dir: {d}/data, metrics_interval_s: 0}}
records: {{households: households.csv, plots: plots.csv}}
timeouts: {{response_ms: 300, retries: 0}}
buses:
  - {{name: tcp1, type: tcp, host: 127.0.0.1, port: {sim_port}}}
sensors:
{sensors}
{sink}""")
    return cfg


def influx_rows(ifx):
    """{(sensor, ts_ms): [row dicts]} of every reading point."""
    res = ifx.query('SELECT * FROM "reading" GROUP BY "sensor"')
    out = {}
    for series in res["results"][0].get("series", []):
        cols = series["columns"]
        for v in series["values"]:
            row = dict(zip(cols, v))
            row.update(series["tags"])
            out.setdefault((series["tags"]["sensor"], row["time"]), []).append(row)
    return out


def line_len(r, p):
    """A lower bound of the line influx_out.c wrote for journal row r (p: its point)."""
    tags = {"film_type": "full", "gateway": GW, "household": p["household"], "plot": r["plot"],
            "sensor": r["sensor"], "township": TOWNSHIP, "village": VILLAGE}
    n = len("reading") + sum(len(f",{k}={v}".encode()) for k, v in tags.items())
    for name, q in r["quality"].items():
        v = r["values"][name]
        if v is not None and q == "good":
            n += len(f"{name}={v:.{r['decimals'][name]}f},")
        else:  # lineproto.c: "<name>_q" only where the quality is not good
            n += len(f'{name}_q="{q}",')
    return n + len(f" {r['ts_ms']}\n")


def same_values(r, p):
    for name, q in r["quality"].items():
        if (p.get(f"{name}_q") or "good") != q:  # no _q means good
            return False
        v, got, dec = r["values"][name], p.get(name), r["decimals"][name]
        if v is None:
            if got is not None:
                return False
        elif got is None or abs(round(v, dec) - got) > 10 ** -dec / 2:
            return False
    return True


def check_cursor(journal, ifx, stats):
    cur, rows = gwjournal.cursor_and_rows(journal, "influxdb")
    if not rows:
        return
    have = influx_rows(ifx)
    for r in rows:
        check((r["sensor"], r["ts_ms"]) in have,
              f"cursor {cur} covers seq {r['seq']} ({r['sensor'][:3]}, {r['ts_ms']}), not in InfluxDB")
    stats["checks"] += 1
    stats["cursors"].add(cur)


def backlog(d, cfg):
    run = Proc([FIELDGATE, "run", "-c", cfg, "--duration", "14"], os.path.join(d, "run-1.log"))
    run.p.wait(timeout=40)
    check(run.stop() == 0, "backlog run failed:\n" + run.log_text())
    return len(gwjournal.rows(os.path.join(d, "data", "journal.db")))


def deliver(d, cfg, journal, ifx):
    stats = {"checks": 0, "cursors": set()}
    run = Proc([FIELDGATE, "run", "-c", cfg], os.path.join(d, "run-2.log"))
    try:
        end = time.monotonic() + 8
        while time.monotonic() < end:
            check(run.p.poll() is None, "daemon exited:\n" + run.log_text())
            check_cursor(journal, ifx, stats)
            time.sleep(0.3)
    finally:
        code = run.stop(20)
    check(code == 0, f"daemon exit {code}:\n" + run.log_text())
    check_cursor(journal, ifx, stats)
    return stats


def check_delivered(journal, ifx, stats, queued):
    rows = gwjournal.rows(journal)
    have = influx_rows(ifx)
    shortest = min(line_len(r, have[(r["sensor"], r["ts_ms"])][0])
                   for r in rows if (r["sensor"], r["ts_ms"]) in have)
    check(shortest * BATCH > BUF,
          f"lines of {shortest} bytes: {BATCH} of them fit in {BUF}, no batch fills its buffer")
    missing = [r for r in rows if (r["sensor"], r["ts_ms"]) not in have]
    check(not missing, f"{len(missing)} of {len(rows)} readings not in InfluxDB, "
                       f"e.g. seq {[r['seq'] for r in missing[:5]]}")
    want = {(r["sensor"], r["ts_ms"]) for r in rows}
    check(set(have) == want, f"{len(set(have) - want)} points the journal does not have")
    per_sensor = {}
    for r in rows:
        per_sensor[r["sensor"]] = per_sensor.get(r["sensor"], 0) + 1
        got = have[(r["sensor"], r["ts_ms"])]
        check(len(got) == 1, f"seq {r['seq']} in InfluxDB {len(got)} times")
        check(same_values(r, got[0]), f"seq {r['seq']}: {got[0]} differs from {r}")
    counts = {}
    for field in ("temperature_c", "input1"):  # soil probes, IO modules
        # each point has the value or, when it is not good, its "_q"
        res = ifx.query(f'SELECT count("{field}"), count("{field}_q") FROM "reading" '
                        f'GROUP BY "sensor"')
        for s in res["results"][0].get("series", []):
            n = (s["values"][0][1] or 0) + (s["values"][0][2] or 0)
            counts[s["tags"]["sensor"]] = max(n, counts.get(s["tags"]["sensor"], 0))
    check(counts == per_sensor, f"count per sensor {counts} != journal {per_sensor}")
    cur, _ = gwjournal.cursor_and_rows(journal, "influxdb")
    check(cur == rows[-1]["seq"], f"cursor {cur} != last row {rows[-1]['seq']}")
    check(stats["checks"] >= 10 and len(stats["cursors"]) >= 3,
          f"the cursor was checked {stats['checks']} times at {sorted(stats['cursors'])}")
    print(f"influxdb: {len(rows)} readings ({queued} backlog), lines >= {shortest} bytes "
          f"({BUF // shortest} fit a {BUF}-byte buffer, batch_size {BATCH}); cursor checked "
          f"{stats['checks']} times at {len(stats['cursors'])} positions")


def test():
    d = tmpdir("fg-fullbatch-")
    ifx = Influxd(d).start()
    sim = None
    try:
        ifx.create_db()
        sim_port = free_port()
        journal = os.path.join(d, "data", "journal.db")
        cfg = write_files(d, sim_port)
        sim = start_sim(cfg, d, "--tcp", f"127.0.0.1:{sim_port}")
        queued = backlog(d, cfg)
        check(queued >= 2 * BATCH, f"backlog of {queued} rows, want at least {2 * BATCH}")
        cfg = write_files(d, sim_port, ifx.url)
        stats = deliver(d, cfg, journal, ifx)
        sim.stop()
        check_delivered(journal, ifx, stats, queued)
    finally:
        if sim:
            sim.stop()
        ifx.stop()


if __name__ == "__main__":
    main(test)
