"""The InfluxDB v2 write path against a real server that speaks /api/v2/write: Debian's
victoria-metrics on a free loopback port in a temp dir (stopped by PID). The daemon (api: v2,
org, bucket, token_file, gzip on and then off) writes a simulated field with one sensor out
of range; a recording relay in front of the server (it forwards every request unchanged and
keeps its line, headers and body) shows each request is POST /api/v2/write with org, bucket
and precision=ms, `Authorization: Token <the file's token>` and gzip as configured; the
server's export API then holds, for every good value of every journal row, one sample with
the reading's tags at the poll's millisecond, a `<name>_q` quality field only for each value
that was not good, and nothing else of `reading` (no duplicate)."""
import gzip
import http.server
import json
import os
import socketserver
import subprocess
import threading
import urllib.parse
import urllib.request

import gwjournal
from gwtest import FIELDGATE, Proc, check, free_port, main, start_sim, tmpdir, wait_for

VM = "/usr/bin/victoria-metrics"
TOKEN = "t0k3n-Only-In-The-File"


class VictoriaMetrics:
    def __init__(self, d):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(os.path.join(d, "vm.log"), "wb")
        self.p = subprocess.Popen([VM, f"-storageDataPath={d}/vm", f"-httpListenAddr=127.0.0.1:{self.port}",
                                   "-loggerLevel=ERROR", "-retentionPeriod=100y"],
                                  stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL)
        wait_for(self.healthy, 30, "victoria-metrics to answer /health")

    def healthy(self):
        check(self.p.poll() is None, "victoria-metrics exited")
        try:
            with urllib.request.urlopen(self.url + "/health", timeout=1) as r:
                return r.status == 200
        except OSError:
            return False

    def export(self, match):
        """Every series matching, as {"metric": labels, "values", "timestamps"}."""
        urllib.request.urlopen(self.url + "/internal/force_flush", timeout=10).read()
        data = urllib.parse.urlencode({"match[]": match}).encode()
        with urllib.request.urlopen(self.url + "/api/v1/export", data, timeout=30) as r:
            return [json.loads(line) for line in r.read().decode().splitlines() if line]

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(15)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(5)
        self.log.close()


class Relay(socketserver.ThreadingMixIn, http.server.HTTPServer):
    """Forwards each request to the server as it came and keeps (method, path, headers, body)."""
    daemon_threads = True

    def __init__(self, target):
        self.target, self.seen, self.lock = target, [], threading.Lock()
        super().__init__(("127.0.0.1", 0), RelayHandler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


class RelayHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with self.server.lock:
            self.server.seen.append(("POST", self.path, dict(self.headers), body))
        keep = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        req = urllib.request.Request(self.server.target + self.path, data=body, headers=keep,
                                     method="POST")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, out = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, out = e.code, e.read()
        self.send_response(status)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)


def config(d, sim_port, relay_port, gz):
    token = os.path.join(d, "token")
    with open(token, "w") as f:
        f.write(TOKEN + "\n")
    os.chmod(token, 0o600)
    path = os.path.join(d, "gateway.yaml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"""gateway: {{id: v2-gw, township: 新民乡, data_dir: {d}/data}}
timeouts: {{response_ms: 300, retries: 0}}
buses:
  - {{name: tcp1, type: tcp, host: 127.0.0.1, port: {sim_port}}}
sensors:
  - {{id: a1, bus: tcp1, unit: 1, profile: seeed-s-soil-mtec-02, interval_s: 1}}
  - {{id: a2, bus: tcp1, unit: 2, profile: dfrobot-sen0601, interval_s: 1}}
  - {{id: a3, bus: tcp1, unit: 3, profile: renke-rs-ecth-n01, interval_s: 1}}
influxdb: {{url: "http://127.0.0.1:{relay_port}", api: v2, org: county-center, bucket: fieldgate,
           token_file: {token}, gzip: {str(gz).lower()}, flush_ms: 300}}
""")
    return path


def check_requests(seen, gz):
    check(seen, "no request reached the relay")
    for method, path, headers, body in seen:
        u = urllib.parse.urlsplit(path)
        q = urllib.parse.parse_qs(u.query)
        check(method == "POST" and u.path == "/api/v2/write", f"request {method} {path}")
        check(q == {"org": ["county-center"], "bucket": ["fieldgate"], "precision": ["ms"]}, q)
        check(headers.get("Authorization") == f"Token {TOKEN}", f"auth {headers.get('Authorization')}")
        enc = headers.get("Content-Encoding")
        if gz:
            check(enc == "gzip", f"Content-Encoding {enc}")
            body = gzip.decompress(body)
        else:
            check(enc in (None, "identity"), f"Content-Encoding {enc}")
        check(body.decode().strip(), "empty body")
    return len(seen)


def expected_samples(d):
    """{(metric, sensor, ts_ms): value} of every good value in the journal, and the keys of
    the `<name>_q` quality fields of the values that are not good (a string the server keeps
    as a series of its own, value unspecified)."""
    want, quality = {}, set()
    for r in gwjournal.rows(os.path.join(d, "data", "journal.db")):
        for k, v in r["values"].items():
            if r["quality"][k] == "good":
                want[(f"reading_{k}", r["sensor"], r["ts_ms"])] = round(v, r["decimals"][k])
            else:
                quality.add((f"reading_{k}_q", r["sensor"], r["ts_ms"]))
    return want, quality


def exported(vm):
    got, dup = {}, 0
    for s in vm.export('{__name__=~"reading_.*"}'):
        m = s["metric"]
        check(m.get("gateway") == "v2-gw" and m.get("township") == "新民乡", m)
        for v, t in zip(s["values"], s["timestamps"]):
            key = (m["__name__"], m["sensor"], t)
            dup += key in got
            got[key] = v
    return got, dup


def check_arrived(vm, want, quality):
    # what was just written may take a moment to be searchable
    wait_for(lambda: not set(want) - set(exported(vm)[0]), 15, "every value at the server")
    got, dup = exported(vm)
    check(dup == 0, f"{dup} samples twice")
    missing = set(want) - set(got)
    check(quality and quality <= set(got), f"quality fields: {sorted(quality - set(got))[:3]}")
    extra = set(got) - set(want) - quality
    check(not missing, f"{len(missing)} of {len(want)} values missing, e.g. {sorted(missing)[:3]}; "
                       f"got {sorted(got)}")
    check(not extra, f"{len(extra)} samples not in the journal, e.g. {sorted(extra)[:3]}")
    for k, v in want.items():
        check(abs(got[k] - v) < 1e-9 + 10 ** -6, f"{k}: server has {got[k]}, journal {v}")
    return len(got)


def run():
    d = tmpdir("fg-v2-")
    vm = VictoriaMetrics(d)
    relay = Relay(vm.url)
    sim_port = free_port()
    faults = os.path.join(d, "faults.yaml")
    with open(faults, "w") as f:
        f.write("faults:\n  - {sensor: a3, kind: out_of_range}\n")
    sim = None
    try:
        total = 0
        for gz in (True, False):
            cfg = config(d, sim_port, relay.server_address[1], gz)
            if sim is None:
                sim = start_sim(cfg, d, "--faults", faults)
            with relay.lock:
                relay.seen.clear()
            daemon = Proc([FIELDGATE, "run", "-c", cfg, "--duration", "4"],
                          os.path.join(d, f"run-{gz}.log"))
            daemon.p.wait(60)
            check(daemon.stop() == 0, "daemon:\n" + daemon.log_text())
            with relay.lock:
                n = check_requests(list(relay.seen), gz)
            want, quality = expected_samples(d)
            bad = [r for r in gwjournal.rows(os.path.join(d, "data", "journal.db"))
                   if r["sensor"] == "a3" and any(q != "good" for q in r["quality"].values())]
            check(bad, "the faulted sensor has no bad value: the test proves nothing for it")
            got = check_arrived(vm, want, quality)
            print(f"ok: gzip {gz}: {n} v2 requests; the server holds each of the {got} values "
                  f"journaled so far once ({len(bad)} out-of-range readings of a3: _q only)")
            total = got
        check(total > 0, "nothing arrived")
    finally:
        if sim:
            sim.stop()
        relay.shutdown()
        vm.stop()


main(run)
