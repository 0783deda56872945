"""The journal's size cap reached while both sinks are down (5f): the daemon keeps
polling and committing, retention drops the oldest undelivered readings, and the count
it reports (log lines and the journal's counter) equals what is missing from the
journal."""
import os
import re
import sqlite3

from gwtest import FIELDGATE, Proc, check, free_port, main, start_sim, tmpdir


def test():
    d = tmpdir("fg-cap-")
    sim_port, dead_mqtt, dead_influx = free_port(), free_port(), free_port()
    cfg = os.path.join(d, "gateway.yaml")
    sensors = "\n".join(f"  - {{id: s{i}, bus: tcp1, unit: {i}, profile: seeed-s-soil-mtec-02, "
                        f"plot: P-{i}}}" for i in range(1, 9))
    with open(cfg, "w") as f:
        f.write(f"""gateway: {{id: cap-gw, township: 新民乡, data_dir: {d}/data}}
buses:
  - {{name: tcp1, type: tcp, host: 127.0.0.1, port: {sim_port}}}
sensors:
{sensors}
journal: {{max_mb: 1, prune_interval_s: 10}}
mqtt: {{url: "mqtt://127.0.0.1:{dead_mqtt}"}}
influxdb: {{url: "http://127.0.0.1:{dead_influx}", database: fieldgate}}
""")
    sim = start_sim(cfg, d, "--tcp", f"127.0.0.1:{sim_port}")
    try:
        run = Proc([FIELDGATE, "run", "-c", cfg, "--flat-out", "--duration", "22"],
                   os.path.join(d, "run.log"))
        run.p.wait(timeout=60)
        check(run.stop() == 0, "daemon failed:\n" + run.log_text())
    finally:
        sim.stop()
    log = run.log_text()
    reported = sum(int(n) for n in re.findall(r"dropped=(\d+) undelivered", log))
    db = sqlite3.connect(os.path.join(d, "data", "journal.db"))
    n, hi = db.execute("SELECT count(*), max(seq) FROM readings").fetchone()
    counter = db.execute("SELECT value FROM counters WHERE name='dropped_undelivered'").fetchone()
    cursors = dict(db.execute("SELECT sink, seq FROM cursors"))
    db.close()
    check(hi > 40000, f"too few readings to pass the 1 MB cap: {hi}")
    check(reported > 0, "no undelivered readings were dropped:\n" + log)
    check(counter and counter[0] == reported, f"counter {counter} != logged {reported}")
    missing = hi - n
    check(missing == reported, f"{missing} readings missing, {reported} reported dropped")
    check(all(v == 0 for v in cursors.values()), f"a sink delivered while down: {cursors}")
    print(f"polled {hi}, kept {n}, dropped {reported} (reported), missing {missing}")


if __name__ == "__main__":
    main(test)
