"""No reply that does not match its request is taken for an answer over Modbus TCP:
the daemon polls a misbehaving Modbus TCP server (badslave.py, written for this test)
whose units reply correctly; every other time after the response time; with a wrong
transaction id; a wrong protocol id; an MBAP length that does not match what follows;
and a wrong unit id. Every register holds a value of its own and each sensor reads
its registers in four same-shaped requests. From the journal: every value recorded
good is the value the server holds; the good unit reads good throughout; the late
unit reads good between its late requests, which read timeout, and its late replies
(skipped by transaction id) never cost the next request its answer; the units with a
wrong transaction or unit id read timeout, those with a wrong protocol id or MBAP
length crc_error, never good; and the bus counted what it threw away.

Without the fix this fails on its second check: libmodbus 3.1.6 checks only the
transaction id, so `tcp1-bad_proto`, `tcp1-bad_len` and `tcp1-bad_unit` read good
(the values are right, the frames are not the answer to anything): "tcp1-bad_proto:
want only crc_error, got {'good'}" (or {'crc_error', 'good'}). Later checks fail too: a wrong transaction id
reads crc_error, and the late unit's request after a late reply reads crc_error
instead of its own answer."""
import os
import re
import time
import urllib.request

from badslave import TcpSlave, scaled
from gwjournal import rows
from gwtest import FIELDGATE, Proc, check, free_port, main, tmpdir, wait_for

RUN_S = 15
RESPONSE_MS = 400
LATE_S = RESPONSE_MS / 1000 + 0.15
UNITS = {1: "good", 2: "late", 3: "bad_tid", 4: "bad_proto", 5: "bad_len", 6: "bad_unit"}
WANT = {"bad_proto": "crc_error", "bad_len": "crc_error", "bad_unit": "timeout",
        "bad_tid": "timeout"}


def write_config(d, port, p_http):
    sensors = [f"  - {{id: tcp1-{how}, bus: tcp1, unit: {unit}, profile: seeed-s-soil-mtec-02, "
               f"max_registers: 1, interval_s: 1}}" for unit, how in UNITS.items()]
    cfg = os.path.join(d, "gateway.yaml")
    with open(cfg, "w") as f:
        f.write(f"""gateway: {{id: stale-gw, township: 新民乡, data_dir: {d}/data}}
timeouts: {{response_ms: {RESPONSE_MS}, byte_ms: 50, retries: 0, backoff_max_s: 2}}
metrics_http: {{port: {p_http}}}
buses:
  - {{name: tcp1, type: tcp, host: 127.0.0.1, port: {port}}}
sensors:
""" + "\n".join(sensors) + "\n")
    return cfg


def discarded(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        text = r.read().decode()
    m = re.search(r'^fieldgate_bus_discarded_bytes_total\{bus="tcp1"\} (\S+)$', text, re.M)
    return float(m.group(1)) if m else None


def run():
    d = tmpdir("fg-stale-tcp-")
    port, p_http = free_port(), free_port()
    cfg = write_config(d, port, p_http)
    slave = TcpSlave(UNITS, LATE_S, port=port)
    slave.start()
    gw = Proc([FIELDGATE, "run", "-c", cfg], os.path.join(d, "run.log"))
    try:
        t0 = time.monotonic()
        wait_for(lambda: time.monotonic() - t0 >= RUN_S or gw.p.poll() is not None, RUN_S + 5, "run")
        check(gw.p.poll() is None, f"daemon exited:\n{gw.log_text()}")
        junk = slave.junk_bytes()
        try:
            counted = discarded(p_http)
        except OSError:
            counted = None
    finally:
        rc = gw.stop()
        slave.stop()
    check(rc == 0, f"daemon exit {rc}:\n{gw.log_text()}")
    check(slave.error is None, f"slave: {slave.error}")
    rs = rows(os.path.join(d, "data", "journal.db"))
    unit_of = {f"tcp1-{how}": unit for unit, how in UNITS.items()}
    wrong = [f"{r['sensor']} {k}={v:g}" for r in rs for k, v in r["values"].items()
             if r["quality"][k] == "good" and abs(v - scaled(unit_of[r["sensor"]])[k]) > 1e-6]
    check(not wrong, f"values recorded good that the server does not hold: {wrong[:8]}")
    qs = {how: [q for r in rs if r["sensor"] == f"tcp1-{how}" for q in r["quality"].values()]
          for how in UNITS.values()}
    for how, want in WANT.items():
        check(qs[how] and set(qs[how]) == {want}, f"tcp1-{how}: want only {want}, got {set(qs[how])}")
    good = [r for r in rs if r["sensor"] == "tcp1-good"]
    check(len(good) >= RUN_S // 4 and all(set(r["quality"].values()) == {"good"} for r in good),
          f"tcp1-good: {len(good)} readings, qualities {set(qs['good'])}")
    # Every other request of the late unit times out; the one after it gets its own answer.
    late = qs["late"]
    check(set(late) == {"good", "timeout"} and late.count("good") >= late.count("timeout") - 2,
          f"tcp1-late: {late.count('good')} good, {late.count('timeout')} timeout, all {set(late)}")
    check(counted is not None and counted >= junk / 2 > 0,
          f"tcp1: discarded bytes counted {counted}, the server sent {junk} to discard")
    print(f"readings {len(rs)}; discarded {counted}; junk sent {junk}")


if __name__ == "__main__":
    main(run)
