"""Helpers of the console's tests: a daemon with a console polling the simulator, the
console's HTTP API over urllib (cookies and CSRF by hand), and headless Debian chromium
through chromedriver with every non-loopback host unresolvable."""
import http.cookiejar
import json
import os
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request

from gwtest import FIELDGATE, Proc, free_port, start_sim, tmpdir, wait_for

SIM_SENSORS = """  - {id: s1, bus: tcp1, unit: 1, profile: seeed-s-soil-mtec-02, plot: XM-0001, interval_s: 2}
  - {id: s2, bus: tcp1, unit: 2, profile: dfrobot-sen0601, plot: XM-0001, interval_s: 2}
  - {id: s3, bus: tcp1, unit: 3, profile: seeed-s-soil-mtec-02, plot: XM-0002, interval_s: 2}"""


def artefact_dir(name):
    d = os.path.join(os.environ.get("GW_TEST_ARTEFACTS", tempfile.gettempdir()), name)
    os.makedirs(d, exist_ok=True)
    return d


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def config(d, name, sim_port, console, sensors=SIM_SENSORS, extra=""):
    return write(os.path.join(d, name), f"""gateway: {{id: console-gw, township: 新民乡, data_dir: {d}/data}}
timeouts: {{response_ms: 200, retries: 0, backoff_max_s: 4}}
buses:
  - {{name: tcp1, type: tcp, host: 127.0.0.1, port: {sim_port}}}
sensors:
{sensors}
{console}
{extra}""")


class Field:
    """The simulator (with an empty faults file) and a daemon with a console."""

    def __init__(self, prefix, console_extra="", sensors=SIM_SENSORS, output=False, extra=""):
        self.d = tmpdir(prefix)
        os.makedirs(os.path.join(self.d, "data"))
        self.sim_port, self.port = free_port(), free_port()
        self.faults = write(os.path.join(self.d, "faults.yaml"), "faults: []\n")
        sim_cfg = config(self.d, "sim.yaml", self.sim_port, "", sensors)
        self.cfg = config(self.d, "gateway.yaml", self.sim_port,
                          f"console: {{port: {self.port}{console_extra}}}", sensors, extra)
        self.sim = start_sim(sim_cfg, self.d, "--tcp", f"127.0.0.1:{self.sim_port}",
                             "--faults", self.faults)
        self.run = None
        self.output = output

    def set_password(self, password):
        r = subprocess.run([FIELDGATE, "console", "passwd", "-c", self.cfg, "--stdin"],
                           input=password + "\n", capture_output=True, text=True, timeout=60)
        return r

    def start(self):
        args = [FIELDGATE, "run", "-c", self.cfg] + (["--output", "stdout"] if self.output else [])
        self.run = Proc(args, os.path.join(self.d, "run.log"))
        wait_for(lambda: "technician's page on" in self.run.log_text() or
                 self.run.p.poll() is not None, 20, "console")
        if self.run.p.poll() is not None:
            raise AssertionError("daemon exited:\n" + self.run.log_text())
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self):
        rc = self.run.stop() if self.run else 0
        self.sim.stop()
        return rc


class Client:
    """The console's API with a cookie jar; csrf from /api/session."""

    def __init__(self, url):
        self.url = url
        self.jar = http.cookiejar.CookieJar()
        self.op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.csrf = None

    def call(self, method, path, body=None, csrf=True, timeout=30):
        req = urllib.request.Request(self.url + path, data=body.encode() if body is not None
                                     else (b"" if method == "POST" else None), method=method)
        if csrf and self.csrf and method == "POST":
            req.add_header("X-CSRF-Token", self.csrf)
        try:
            with self.op.open(req, timeout=timeout) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def login(self, password):
        st, body = self.call("POST", "/api/login", password)
        if st == 200:
            self.csrf = json.loads(self.call("GET", "/api/session")[1]).get("csrf")
        return st, body

    def session(self):
        st, body = self.call("GET", "/api/session")
        j = json.loads(body)
        self.csrf = j.get("csrf")
        return j

    def health(self):
        st, body = self.call("GET", "/api/health")
        return json.loads(body) if st == 200 else None


def browser(width, height, profile_dir):
    """Headless chromium at width x height through chromedriver (None when not installed)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    chromium = shutil.which("chromium")
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        return None
    o = webdriver.ChromeOptions()
    o.binary_location = chromium
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              f"--window-size={width},{height}", f"--user-data-dir={profile_dir}",
              "--no-first-run", "--disable-background-networking", "--disable-component-update",
              "--disable-sync", "--disable-default-apps", "--disable-extensions",
              "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication",
              "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1", "--lang=zh-CN"):
        o.add_argument(a)
    return webdriver.Chrome(service=Service(driver), options=o)
