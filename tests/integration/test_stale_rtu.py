"""No stale reply is taken for an answer, on every RTU transport: the daemon polls a
misbehaving slave (badslave.py, written for this test) over a pty (bus type rtu), over
TCP (rtu_tcp) and as a dial-in DTU (dtu_server). Each bus has five units: one good,
one answering every other request after the response time, one answering twice, one
with a well-formed frame of wrong values right behind each reply, one answering as
another unit. Each sensor reads its four registers in four same-shaped requests
(max_registers: 1), and every register holds a value of its own. From the journal:
every value recorded good is the value the slave holds in that register of that unit;
the good unit reads good throughout; the late unit's late requests read timeout; the
unit that answers as another never reads good; and each bus counted the bytes it
threw away (fieldgate_bus_discarded_bytes_total).

Without the fix (the link flushed only after a failed read) this fails on its first
check, with some 200 stale values recorded good in 20 s: the late reply to one
register, the second copy of a reply and the trailing frame are read as the answer to
the next request, so `line1-late` records its temperature register as moisture_pct,
`line1-trailing` records the trailing frame's 77.77, and even `line1-good` records
registers of other requests; far1 the same; on dtu1 (whose DTU filter drops bytes
behind a complete reply) the late replies and the later second copies do it.
"""
import os
import re
import time
import urllib.request

from badslave import BOGUS, PtySlave, SockSlave, raw_value, scaled
from gwjournal import rows
from gwtest import FIELDGATE, Proc, check, free_port, main, tmpdir, wait_for

RUN_S = 20
RESPONSE_MS = 400
LATE_S = RESPONSE_MS / 1000 + 0.15  # inside the guard the gateway keeps after a timeout
UNITS = {1: "good", 2: "late", 3: "twice", 4: "trailing", 5: "foreign"}
BUSES = ("line1", "far1", "dtu1")
REG_OF = {"temperature_c": 0, "moisture_pct": 1, "ec_us_cm": 2, "dielectric": 5}
SCALE = {"temperature_c": 0.01, "moisture_pct": 0.01, "ec_us_cm": 1, "dielectric": 0.01}


def write_config(d, p_far, p_dtu, p_http):
    sensors = []
    for bus in BUSES:
        for unit, how in UNITS.items():
            sensors.append(f"  - {{id: {bus}-{how}, bus: {bus}, unit: {unit}, "
                           f"profile: seeed-s-soil-mtec-02, max_registers: 1, interval_s: 1}}")
    cfg = os.path.join(d, "gateway.yaml")
    with open(cfg, "w") as f:
        f.write(f"""gateway: {{id: stale-gw, township: 新民乡, data_dir: {d}/data}}
timeouts: {{response_ms: {RESPONSE_MS}, byte_ms: 50, retries: 0, backoff_max_s: 2}}
metrics_http: {{port: {p_http}}}
buses:
  - {{name: line1, type: rtu, device: {d}/line1, baud: 9600, response_ms: {RESPONSE_MS}}}
  - {{name: far1, type: rtu_tcp, host: 127.0.0.1, port: {p_far}, response_ms: {RESPONSE_MS}}}
  - {{name: dtu1, type: dtu_server, listen: 127.0.0.1, port: {p_dtu}, registration: "DTU-STALE",
     response_ms: {RESPONSE_MS}}}
sensors:
""" + "\n".join(sensors) + "\n")
    return cfg


def discarded(port):
    """{bus: bytes} from the Prometheus endpoint."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        text = r.read().decode()
    return {m.group(1): float(m.group(2)) for m in
            re.finditer(r'^fieldgate_bus_discarded_bytes_total\{bus="([^"]+)"\} (\S+)$', text, re.M)}


def whose(name, value):
    """Which unit and register hold the raw value behind value (to explain a shifted one)."""
    raw = round(value / SCALE[name])
    if raw == BOGUS:
        return "the trailing frame"
    for unit in UNITS:
        for reg in REG_OF.values():
            if raw_value(unit, reg) == raw:
                return f"unit {unit} register {reg}"
    return "no register"


def check_values(rs):
    """Every value recorded good is the one its unit holds in that register."""
    wrong = []
    for r in rs:
        bus, how = r["sensor"].split("-", 1)
        unit = {v: k for k, v in UNITS.items()}[how]
        want = scaled(unit)
        for name, v in r["values"].items():
            if r["quality"][name] == "good" and abs(v - want[name]) > 1e-6:
                wrong.append(f"{r['sensor']} {name}={v:g} good, slave holds {want[name]:g} "
                             f"(read {whose(name, v)})")
    check(not wrong, f"{len(wrong)} stale values recorded good, e.g.:\n  " + "\n  ".join(wrong[:8]))


def check_qualities(rs):
    for bus in BUSES:
        mine = {how: [r for r in rs if r["sensor"] == f"{bus}-{how}"] for how in UNITS.values()}
        # the DTU dials in after the daemon starts: its first polls may find no link
        good = mine["good"]
        first = next((i for i, r in enumerate(good) if set(r["quality"].values()) == {"good"}), 0)
        check(first <= 2, f"{bus}-good: {first} readings before the first good one")
        good = good[first:]
        check(len(good) >= RUN_S // 4, f"{bus}-good: only {len(good)} readings in {RUN_S}s")
        bad = [r["quality"] for r in good if set(r["quality"].values()) != {"good"}]
        check(not bad, f"{bus}-good: not all good: {bad[:3]}")
        qs = [q for r in mine["late"] for q in r["quality"].values()]
        check("good" in qs and "timeout" in qs, f"{bus}-late: want good and timeout, got {set(qs)}")
        check(set(qs) <= {"good", "timeout"}, f"{bus}-late: qualities {set(qs)}")
        qs = [q for r in mine["twice"] for q in r["quality"].values()]
        check("good" in qs, f"{bus}-twice: never good: {set(qs)}")
        qs = {q for r in mine["foreign"] for q in r["quality"].values()}
        check(qs == {"timeout"}, f"{bus}-foreign: want only timeout, got {qs}")


def run():
    d = tmpdir("fg-stale-rtu-")
    p_far, p_dtu, p_http = free_port(), free_port(), free_port()
    cfg = write_config(d, p_far, p_dtu, p_http)
    slaves = {"line1": PtySlave(os.path.join(d, "line1"), UNITS, LATE_S),
              "far1": SockSlave(UNITS, LATE_S, port=p_far),
              "dtu1": SockSlave(UNITS, LATE_S, dial=p_dtu, registration=b"DTU-STALE")}
    for s in slaves.values():
        s.start()
    gw = Proc([FIELDGATE, "run", "-c", cfg], os.path.join(d, "run.log"))
    try:
        t0 = time.monotonic()
        wait_for(lambda: time.monotonic() - t0 >= RUN_S or gw.p.poll() is not None, RUN_S + 5, "run")
        check(gw.p.poll() is None, f"daemon exited:\n{gw.log_text()}")
        junk = {b: s.junk_bytes() for b, s in slaves.items()}
        try:
            counted = discarded(p_http)
        except OSError as e:
            counted = {"error": str(e)}
    finally:
        rc = gw.stop()
        for s in slaves.values():
            s.stop()
    check(rc == 0, f"daemon exit {rc}:\n{gw.log_text()}")
    for b, s in slaves.items():
        check(s.error is None, f"slave {b}: {s.error}")
    rs = rows(os.path.join(d, "data", "journal.db"))
    check_values(rs)
    check_qualities(rs)
    for bus in BUSES:
        check(bus in counted and counted[bus] >= junk[bus] / 2 > 0,
              f"{bus}: discarded bytes counted {counted.get(bus)}, the slave sent {junk[bus]} to discard")
    print(f"readings {len(rs)}; discarded {counted}; junk sent {junk}")


if __name__ == "__main__":
    main(run)
