"""The Prometheus endpoint (metrics_http): the daemon polls two live sensors and one
dead one from the simulator; /metrics, scraped over real HTTP, parses as the text format,
carries per-sensor health (the dead sensor's timeouts and back-off, the live ones' good
reads and last-good time) and the gateway counters, grows between scrapes, listens on
127.0.0.1 only, answers 404/405 off its one page; and a port already taken costs the
endpoint, not the polling. The page passes `promtool check metrics` (Prometheus' own
linter; custom CPU/memory names or a counter without _total fail it) and carries the
standard process_* series, fieldgate_build_info, each sensor's fieldgate_sensor_info
(plot, bus, profile, placement) and fieldgate_sensor_interval_seconds."""
import shutil
import subprocess
import os
import re
import socket
import time
import urllib.error
import urllib.request

from gwtest import FIELDGATE, Proc, check, free_port, main, start_sim, tmpdir, wait_for

SAMPLE = re.compile(r'^([a-z_]+)(?:\{([^}]*)\})? (\S+)$')


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def config(d, name, sim_port, http, sensors):
    return write(os.path.join(d, name), f"""gateway: {{id: prom-gw, township: 新民乡, data_dir: {d}/data-{name}}}
timeouts: {{response_ms: 200, retries: 0, backoff_max_s: 2}}
buses:
  - {{name: tcp1, type: tcp, host: 127.0.0.1, port: {sim_port}}}
sensors:
{sensors}
{http}""")


LIVE = """  - {id: s1, bus: tcp1, unit: 1, profile: seeed-s-soil-mtec-02, plot: XM-0001, interval_s: 1}
  - {id: s2, bus: tcp1, unit: 2, profile: dfrobot-sen0601, plot: XM-0001, interval_s: 1}"""
DEAD = """
  - {id: s3, bus: tcp1, unit: 9, profile: seeed-s-soil-mtec-02, plot: XM-0002, interval_s: 1}"""


def parse(text):
    """{(name, labels): value}; asserts every line is a comment or a sample."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("# HELP ") or line.startswith("# TYPE "):
            continue
        m = SAMPLE.match(line)
        check(m is not None, f"not a Prometheus sample line: {line!r}")
        labels = tuple(sorted(re.findall(r'(\w+)="([^"]*)"', m.group(2) or "")))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def scrape(port, path="/metrics", method="GET"):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.headers.get("Content-Type"), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, None, ""


def sensor(m, name, sid):
    for (n, labels), v in m.items():
        if n == name and ("sensor", sid) in labels:
            return v
    raise AssertionError(f"no {name} for sensor {sid}")


def listen_addrs(port):
    """Local addresses LISTENing on port, from /proc/net/tcp and tcp6."""
    found = []
    for f in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(f):
            continue
        for line in open(f).read().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            addr, p = local.split(":")
            if int(p, 16) == port and state == "0A":
                found.append(addr)
    return found


def test():
    d = tmpdir("fg-prom-")
    sim_port, http_port = free_port(), free_port()
    sim_cfg = config(d, "sim.yaml", sim_port, "", LIVE)
    cfg = config(d, "gw.yaml", sim_port, f"metrics_http: {{port: {http_port}}}", LIVE + DEAD)
    sim = start_sim(sim_cfg, d, "--tcp", f"127.0.0.1:{sim_port}")
    run = Proc([FIELDGATE, "run", "-c", cfg], os.path.join(d, "run.log"))
    blocker = socket.socket()
    try:
        wait_for(lambda: "Prometheus metrics on http://127.0.0.1:" in run.log_text(), 15, "endpoint")
        check(listen_addrs(http_port) == ["0100007F"],
              f"want 127.0.0.1 only, listening on {listen_addrs(http_port)}")

        def good_both():
            m = parse(scrape(http_port)[2])
            return sensor(m, "fieldgate_sensor_good_total", "s2") >= 2 and \
                sensor(m, "fieldgate_sensor_timeouts_total", "s3") >= 1
        wait_for(good_both, 20, "good reads and a timeout")
        status, ctype, text = scrape(http_port)
        check(status == 200 and ctype.startswith("text/plain; version=0.0.4"), f"{status} {ctype}")
        m1 = parse(text)
        check(sensor(m1, "fieldgate_sensor_good_total", "s3") == 0, "dead sensor has good reads")
        check(sensor(m1, "fieldgate_sensor_last_good_timestamp_seconds", "s3") == 0, "dead last good")
        last = sensor(m1, "fieldgate_sensor_last_good_timestamp_seconds", "s1")
        check(abs(last - time.time()) < 30, f"s1 last good {last} is not recent")
        check(m1[("fieldgate_sensors", ())] == 3, "sensor count")
        check(("bus", "tcp1") in [l for (n, ls), _ in m1.items() if n == "fieldgate_sensor_polls_total"
                                  for l in ls], "bus label")
        check(m1[("fieldgate_timeouts_total", ())] >= 1, "gateway timeouts")
        wait_for(lambda: sensor(parse(scrape(http_port)[2]), "fieldgate_sensor_backing_off", "s3") == 1,
                 15, "dead sensor backing off")
        time.sleep(2.5)
        m2 = parse(scrape(http_port)[2])
        for sid in ("s1", "s2"):
            check(sensor(m2, "fieldgate_sensor_polls_total", sid) >
                  sensor(m1, "fieldgate_sensor_polls_total", sid), f"{sid} polls did not grow")
        check(m2[("process_cpu_seconds_total", ())] >= m1[("process_cpu_seconds_total", ())], "cpu")
        for name in ("process_resident_memory_bytes", "process_virtual_memory_bytes",
                     "process_open_fds", "process_max_fds"):
            check(m2[(name, ())] > 0, f"{name} {m2.get((name, ()))}")
        check(abs(m2[("process_start_time_seconds", ())] - time.time()) < 120, "start time")
        check([ls for (n, ls), v in m2.items() if n == "fieldgate_build_info" and v == 1
               and ls and ls[0][0] == "version"], "build info")
        info = [dict(ls) for (n, ls), v in m2.items() if n == "fieldgate_sensor_info" and v == 1]
        check({"sensor": "s1", "plot": "XM-0001", "bus": "tcp1", "profile": "seeed-s-soil-mtec-02",
               "placement": ""} in info and len(info) == 3, f"sensor info {info}")
        check(sensor(m2, "fieldgate_sensor_interval_seconds", "s1") == 1, "interval")
        if shutil.which("promtool"):
            lint = subprocess.run(["promtool", "check", "metrics"], input=scrape(http_port)[2],
                                  capture_output=True, text=True, timeout=30)
            check(lint.returncode == 0, f"promtool check metrics:\n{lint.stdout}{lint.stderr}")
        check(scrape(http_port, "/")[0] == 404, "/ should be 404")
        check(scrape(http_port, "/metrics", "POST")[0] == 405, "POST should be 405")

        # a second daemon whose port is taken: it logs why and polls on
        blocker.bind(("127.0.0.1", 0))
        blocker.listen(1)
        taken = blocker.getsockname()[1]
        cfg2 = config(d, "gw2.yaml", sim_port, f"metrics_http: {{port: {taken}}}", LIVE)
        run2 = Proc([FIELDGATE, "run", "-c", cfg2, "--output", "stdout"], os.path.join(d, "run2.log"))
        try:
            wait_for(lambda: len([l for _, l in run2.snapshot() if l.startswith("{")]) >= 4 or
                     run2.p.poll() is not None, 20, "second daemon's readings")
            check(run2.p.poll() is None, "second daemon exited:\n" + run2.log_text())
            check(f"cannot listen on 127.0.0.1 port {taken}" in run2.log_text(), run2.log_text())
        finally:
            check(run2.stop() == 0, "second daemon exit status")
    finally:
        blocker.close()
        rc = run.stop()
        sim.stop()
    check(rc == 0, "daemon exit status " + str(rc) + "\n" + run.log_text())


if __name__ == "__main__":
    main(test)
