"""Polling never waits on the page: with 50 clients holding the console's event stream open
for 12 s, every sensor keeps its 1 s schedule (no slot skipped, no poll more than 500 ms after
its slot, nor 200 ms later than in the 12 s before the clients came) and every client gets its
events (one a second, the health rendered once for all of them); and a daemon whose config has no console section has no console
thread and no listener; and on a simulated clock that passes midnight, the page's health
names the sealed day (its digest signed) and the readings waiting for the next seal; and on
an RTU line (a pty to the simulator) a scan and a read run between the bus's polls, a second
action meanwhile is refused, and no poll of the line fails for it.
Bounded: 50 sockets, 2 x 12 s."""
import json
import os
import re
import selectors
import subprocess
import socket
import time

from consoletest import Client, Field, write
from gwtest import (FIELDGATE, Proc, check, free_port, main, readings, start_sim, tmpdir,
                    wait_for)

CLIENTS = 50
HOLD_S = 12
SENSORS = """  - {id: s1, bus: tcp1, unit: 1, profile: seeed-s-soil-mtec-02, interval_s: 1}
  - {id: s2, bus: tcp1, unit: 2, profile: dfrobot-sen0601, interval_s: 1}
  - {id: s3, bus: tcp1, unit: 3, profile: seeed-s-soil-mtec-02, interval_s: 1}
  - {id: s4, bus: tcp1, unit: 4, profile: dfrobot-sen0601, interval_s: 1}"""


def open_streams(port, cookie):
    sel = selectors.DefaultSelector()
    socks = []
    for _ in range(CLIENTS):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(f"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: fg_session={cookie}"
                  "\r\n\r\n".encode())
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, {"buf": b"", "events": 0})
        socks.append(s)
    return sel, socks


def hold(sel, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for key, _ in sel.select(timeout=0.2):
            data = key.data
            chunk = key.fileobj.recv(65536)
            data["buf"] += chunk
            n = data["buf"].count(b"\n\ndata: ") + data["buf"].startswith(b"data: ")
            data["events"] = data["buf"].count(b"data: {")
            if len(data["buf"]) > 1 << 20:  # keep the count, not the text
                data["buf"] = data["buf"][-4096:]
                data["base"] = data.get("base", 0) + n


def schedule(rs, sid):
    """(polls, skipped slots, worst lateness in ms) of sensor sid: each poll's time against
    the 1 s grid of its first poll."""
    ts = [r["ts_ms"] for r in rs if r["sensor"] == sid]
    slots = [round((t - ts[0]) / 1000) for t in ts]
    late = max(t - (ts[0] + k * 1000) for t, k in zip(ts, slots))
    skipped = sum(b - a - 1 for a, b in zip(slots, slots[1:]))
    return len(ts), skipped, late


def threads(pid):
    return len(os.listdir(f"/proc/{pid}/task"))


def test():
    f = Field("fg-console-load-", sensors=SENSORS, output=True)
    f.start()
    try:
        c = Client(f.url)
        c.session()
        cookie = [k.value for k in c.jar if k.name == "fg_session"][0]
        wait_for(lambda: len(readings(f.run)) >= 8, 15, "first readings")
        idle = threads(f.run.p.pid)
        mark = len(f.run.snapshot())
        time.sleep(HOLD_S)  # the baseline: as long without clients
        before = [r for _, r in readings(f.run, mark)]
        sel, socks = open_streams(f.port, cookie)
        start = len(f.run.snapshot())
        t0 = time.monotonic()
        hold(sel, HOLD_S)
        took = time.monotonic() - t0
        rs = [r for _, r in readings(f.run, start)]
        events = sorted(k.data["events"] + k.data.get("base", 0) for k in sel.get_map().values())
        ok_status = sum(1 for k in sel.get_map().values() if b"200 OK" in k.data["buf"][:64]
                        or k.data.get("base"))
        for s in socks:
            s.close()
        print(f"{CLIENTS} streams for {took:.1f} s: events per client min {events[0]} "
              f"max {events[-1]}")
        check(events[0] >= HOLD_S - 4, f"a client got {events[0]} events in {took:.0f} s")
        check(ok_status == CLIENTS, f"{ok_status} of {CLIENTS} streams answered 200")
        for sid in ("s1", "s2", "s3", "s4"):
            n, skipped, late = schedule(rs, sid)
            n0, skipped0, late0 = schedule(before, sid)
            print(f"{sid}: {n} polls, {skipped} slots skipped, at most {late} ms late "
                  f"(without clients: {n0}, {skipped0}, {late0} ms)")
            check(n >= HOLD_S - 2 and skipped == 0, f"{sid}: {n} polls, {skipped} skipped")
            check(late <= 500 and late <= late0 + 200, f"{sid}: a poll {late} ms late "
                  f"({late0} ms without clients)")
            check(all(q == "good" for r in rs if r["sensor"] == sid
                      for q in r["quality"].values()), f"{sid}: a bad reading")
        wait_for(lambda: threads(f.run.p.pid) == idle, 10, "the stream threads ending")
    finally:
        rc = f.stop()
    check(rc == 0, f"daemon exit {rc}")

    # the same daemon without a console section: one thread fewer, nothing listening
    plain = os.path.join(f.d, "plain.yaml")
    with open(f.cfg, encoding="utf-8") as src, open(plain, "w", encoding="utf-8") as dst:
        dst.write("".join(l for l in src if not l.startswith("console:")).replace(
            f"{f.d}/data", f"{f.d}/data2"))
    os.makedirs(f"{f.d}/data2")
    run = Proc([FIELDGATE, "run", "-c", plain], os.path.join(f.d, "plain.log"))
    try:
        wait_for(lambda: "polling" in run.log_text() or "run: gateway=" in run.log_text(), 15,
                 "plain daemon")
        time.sleep(2)
        without = threads(run.p.pid)
        print(f"threads: {idle} with the console (idle), {without} without")
        check(without == idle - 1, f"{without} threads without, {idle} with")
        check("technician" not in run.log_text(), "a console without its section")
    finally:
        run.stop()


def sealed_head():
    d = tmpdir("fg-console-chain-")
    port, cport = free_port(), free_port()
    cfg = write(os.path.join(d, "gateway.yaml"), f"""gateway: {{id: chain-gw, township: 新民乡, data_dir: {d}/data,
           timezone: UTC}}
buses:
  - {{name: tcp1, type: tcp, host: 127.0.0.1, port: {port}}}
sensors:
  - {{id: s1, bus: tcp1, unit: 1, profile: seeed-s-soil-mtec-02, interval_s: 30}}
console: {{port: {cport}}}
sim: {{start: 2023-06-20T23:59:00, speed: 60}}
""")
    os.makedirs(f"{d}/data")
    env = dict(os.environ, TZ="UTC")
    clock = os.path.join(d, "sim.clock")
    sim = Proc([FIELDGATE, "sim", "-c", cfg, "--tcp", f"127.0.0.1:{port}", "--clock", clock],
               os.path.join(d, "sim.log"), env=env)
    run = None
    try:
        sim.wait_line("sim: ready", 15)
        run = Proc([FIELDGATE, "run", "-c", cfg, "--sim-clock", clock], os.path.join(d, "run.log"),
                   env=env)
        # verify only once the daemon has made its journal (two first opens race)
        wait_for(lambda: "technician's page on" in run.log_text() or run.p.poll() is not None,
                 15, "the daemon's start")

        def sealed():
            r = subprocess.run([FIELDGATE, "verify", "--data-dir", f"{d}/data"],
                               capture_output=True, text=True, timeout=30)
            return "2023-06-20" in r.stdout
        wait_for(sealed, 30, "2023-06-20 sealed")
        c = Client(f"http://127.0.0.1:{cport}")
        c.session()
        chain = c.health()["chain"]
        print(f"chain on the page: {chain}")
        check(chain["state"] == "sealed" and chain["day"] == "2023-06-20" and chain["signed"] and
              chain["readings"] >= 1 and len(chain["digest"]) == 64 and chain["open"] >= 1,
              f"chain: {chain}")
    finally:
        rc = run.stop() if run else 0
        sim.stop()
    check(rc == 0, f"daemon exit {rc}:\n{run.log_text()}")


def wait_action(c, bus):
    def done():
        j = json.loads(c.call("GET", f"/api/action?bus={bus}")[1])
        return j if j["state"] == "done" else None
    wait_for(done, 30, f"the action on {bus}")
    return done()


def rtu_actions():
    d = tmpdir("fg-console-rtu-")
    cport = free_port()
    cfg = write(os.path.join(d, "gateway.yaml"), f"""gateway: {{id: rtu-gw, township: 新民乡, data_dir: {d}/data}}
timeouts: {{response_ms: 300, byte_ms: 50, retries: 0, backoff_max_s: 4}}
buses:
  - {{name: line1, type: rtu, device: {d}/line1, baud: 9600}}
sensors:
  - {{id: r1, bus: line1, unit: 1, profile: dfrobot-sen0601, interval_s: 1}}
  - {{id: r2, bus: line1, unit: 2, profile: seeed-s-soil-mtec-02, interval_s: 1}}
console: {{port: {cport}}}
""")
    os.makedirs(f"{d}/data")
    sim = start_sim(cfg, d)
    run = Proc([FIELDGATE, "run", "-c", cfg, "--output", "stdout"], os.path.join(d, "run.log"))
    try:
        wait_for(lambda: len(readings(run)) >= 4 or run.p.poll() is not None, 20, "readings")
        c = Client(f"http://127.0.0.1:{cport}")
        c.session()
        mark = len(run.snapshot())
        st, _ = c.call("POST", "/api/scan?bus=line1&from=1&to=6")
        check(st == 202, f"scan: {st}")
        st, body = c.call("POST", "/api/read?sensor=r1")
        check(st == 409 and "busy" in body, f"a second action while the scan runs: {st} {body}")
        j = wait_action(c, "line1")
        check(j["found"] == [1, 2], f"scan on the RTU line: {j}")
        st, _ = c.call("POST", "/api/read?sensor=r1&kind=holding&addr=0&count=2")
        check(st == 202, f"read: {st}")
        j = wait_action(c, "line1")
        check(j["ok"] and re.search(r"request: 01 0[34] ", j["text"]) and "moisture_pct" in j["text"],
              f"read on the RTU line: {j}")
        n = len(readings(run))
        wait_for(lambda: len(readings(run)) >= n + 4, 10, "polls after the actions")
        rs = [r for _, r in readings(run, mark)]
        bad = [r for r in rs if any(q != "good" for q in r["quality"].values())]
        check(not bad and len(rs) >= 4, f"{len(bad)} of {len(rs)} polls not good: {bad[:2]}")
        bus = c.health()["buses"][0]
        check(bus["errors"] == 0 and bus["discarded"] == 0, f"line1 after the actions: {bus}")
        print(f"RTU: scan found 1, 2; read ok; {len(rs)} polls meanwhile, all good")
    finally:
        rc = run.stop()
        sim.stop()
    check(rc == 0, f"daemon exit {rc}")


def all_tests():
    test()
    sealed_head()
    rtu_actions()


if __name__ == "__main__":
    main(all_tests)
