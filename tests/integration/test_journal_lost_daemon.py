"""The journal lost under the running daemon (journal.h, "Losing the file"): the daemon polls
two simulated sensors every second and delivers to a real mosquitto while the test
  a. deletes data_dir/journal.db: within a commit interval or two the daemon logs it at error
     level, /metrics shows fieldgate_journal_lost_total and fieldgate_journal_reopened_total
     at 1, a fresh journal.db is at the path (the lost file's -wal moved aside as
     journal.db.lost-*), and every reading committed after that is in the fresh file and
     reaches the broker (the MQTT sink followed it);
  b. moves another file over journal.db: the same, counters at 2, the other file kept as
     journal.db.lost-*;
  c. chmods journal.db 0400: logged, counted (3), mode set back to 0600, nothing restarted;
  d. after a clean stop `fieldgate verify` passes and says the chain restarted.
Without the fix the daemon writes on into the deleted inode: no log line, no metric, no file
at the path (a fails at its first wait), and the readings of that time are lost at the next
restart. Not tested here: a file system gone read-only (needs a mount) and a directory over
the path that cannot be moved aside (as root nothing blocks it); the unit test
test_journal_lost covers a directory moved over the path."""
import glob
import os
import stat
import subprocess
import time
import urllib.request

import gwjournal
from gwservers import Collector, Mosquitto
from gwtest import FIELDGATE, Proc, check, free_port, main, readings, start_sim, tmpdir, wait_for

SENSORS = """  - {id: s1, bus: tcp1, unit: 1, profile: seeed-s-soil-mtec-02, plot: XM-0001, interval_s: 1}
  - {id: s2, bus: tcp1, unit: 2, profile: seeed-s-soil-mtec-02, plot: XM-0002, interval_s: 1}"""


def write_config(d, sim_port, mq_port, http_port):
    cfg = os.path.join(d, "gateway.yaml")
    with open(cfg, "w", encoding="utf-8") as f:
        f.write(f"""gateway: {{id: lost-gw, township: 新民乡, data_dir: {d}/data}}
timeouts: {{response_ms: 300, retries: 0}}
buses:
  - {{name: tcp1, type: tcp, host: 127.0.0.1, port: {sim_port}}}
sensors:
{SENSORS}
mqtt: {{url: "mqtt://127.0.0.1:{mq_port}", qos: 1, keepalive_s: 5}}
metrics_http: {{port: {http_port}}}
""")
    return cfg


def metric(port, name):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    raise AssertionError(f"no {name} in /metrics")


def printed_since(run, n0):
    """(sensor, ts_ms) of the readings the daemon printed (committed) after line n0."""
    return {(r["sensor"], r["ts_ms"]) for _, r in readings(run, n0)}


def lose(run, http, what, count, act, log_text):
    """Does act(), waits for the daemon to log log_text and count it; returns the stdout line
    index from which readings are in the fresh file."""
    start = len(run.snapshot())
    t0 = time.monotonic()
    act()
    wait_for(lambda: log_text in run.log_text()[-20000:], 10, f"the daemon noticing: {what}")
    took = time.monotonic() - t0
    print(f"{what}: noticed after {took:.1f} s")
    wait_for(lambda: metric(http, "fieldgate_journal_lost_total") == count, 5, f"{what}: metric")
    return start


def deliver_check(run, col, db, since, what):
    """Readings printed after since (a few commits' worth) are in the file at db and at the
    broker."""
    wait_for(lambda: len(printed_since(run, since)) >= 6, 20, f"{what}: readings after")
    want = printed_since(run, since)
    # the first commit after the act may still have gone into the old file: skip it
    later = sorted(want, key=lambda k: k[1])[2:]
    in_file = {(r["sensor"], r["ts_ms"]) for r in gwjournal.rows(db)}
    missing = [k for k in later if k not in in_file]
    check(not missing, f"{what}: committed but not in the fresh journal: {missing[:5]}")

    def delivered():
        got = {(m["sensor"], m["ts_ms"]) for m in col.readings()}
        return all(k in got for k in later)
    wait_for(delivered, 20, f"{what}: readings after reach the broker")


def test():
    d = tmpdir("fg-jlost-")
    sim_port, http = free_port(), free_port()
    mq = Mosquitto(d).start()
    col = Collector(d, mq.port).start()
    cfg = write_config(d, sim_port, mq.port, http)
    db = os.path.join(d, "data", "journal.db")
    sim = start_sim(cfg, d, "--tcp", f"127.0.0.1:{sim_port}")
    run = Proc([FIELDGATE, "run", "-c", cfg, "--output", "stdout"], os.path.join(d, "run.log"))
    try:
        wait_for(lambda: len(col.readings()) >= 4, 20, "first readings at the broker")
        ino = os.stat(db).st_ino

        # a. deleted
        since = lose(run, http, "deleted", 1, lambda: os.unlink(db), "journal file deleted")
        check("err: journal: journal file deleted while running" in run.log_text(),
              run.log_text()[-2000:])
        wait_for(lambda: metric(http, "fieldgate_journal_reopened_total") == 1, 5, "reopened")
        check(os.path.exists(db) and os.stat(db).st_ino != ino, "no fresh journal at the path")
        check(glob.glob(db + ".lost-*-wal"), "the lost file's WAL was not moved aside")
        deliver_check(run, col, db, since, "deleted")

        # b. replaced by another file
        other = os.path.join(d, "data", "other")
        with open(other, "w") as f:
            f.write("someone else's file\n")
        since = lose(run, http, "replaced", 2, lambda: os.replace(other, db),
                     "journal file replaced by another file")
        wait_for(lambda: metric(http, "fieldgate_journal_reopened_total") == 2, 5, "reopened")
        kept = [p for p in glob.glob(db + ".lost-*") if not p.endswith(("-wal", "-shm"))]
        check(any(open(p).read() == "someone else's file\n" for p in kept),
              f"the other file was not kept: {kept}")
        deliver_check(run, col, db, since, "replaced")

        # c. made read-only: root writes anyway, so the finding is the mode
        lose(run, http, "read-only", 3, lambda: os.chmod(db, 0o400),
             "journal file mode set back to 0600")
        check("err: journal: journal file made read-only while running" in run.log_text(),
              run.log_text()[-2000:])
        check(stat.S_IMODE(os.stat(db).st_mode) == 0o600, "mode not restored")
        check(metric(http, "fieldgate_journal_reopened_total") == 2, "read-only restarted")
    finally:
        rc = run.stop()
        sim.stop()
        col.stop()
        mq.stop()
    check(rc == 0, f"daemon exit {rc}:\n{run.log_text()[-3000:]}")

    # d. the chain
    v = subprocess.run([FIELDGATE, "verify", "-c", cfg], capture_output=True, text=True)
    check(v.returncode == 0, f"verify exit {v.returncode}:\n{v.stdout}{v.stderr}")
    check("restarted: the journal was lost and started afresh" in v.stdout, v.stdout)
    print(v.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main(test)
