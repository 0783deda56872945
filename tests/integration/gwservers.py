"""Real servers for the delivery tests, on loopback with free ports and their own temp
dirs, stopped by PID: mosquitto (with persistence, so a persistent subscriber's queue
survives a broker restart), influxd 1.x, and the mqtt_collect subscriber. Every wait is
bounded."""
import json
import os
import pwd
import signal
import subprocess
import time
import urllib.parse
import urllib.request

from gwtest import free_port, wait_for

MOSQUITTO = "/usr/sbin/mosquitto"
INFLUXD = "/usr/bin/influxd"
MQTT_COLLECT = os.environ.get("MQTT_COLLECT", "mqtt_collect")


class Server:
    """A child process started by argv with its output in a log file; restartable."""

    def __init__(self, argv, log_path):
        self.argv, self.log_path, self.p = argv, log_path, None

    def start(self):
        log = open(self.log_path, "ab")
        self.p = subprocess.Popen(self.argv, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        log.close()
        return self

    def running(self):
        return self.p is not None and self.p.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.running():
            self.p.send_signal(sig)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(5)

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")


def _port_open(port):
    import socket
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


class Mosquitto(Server):
    def __init__(self, d, port=None, extra=""):
        self.port = port or free_port()
        os.makedirs(os.path.join(d, "mosq"), exist_ok=True)
        conf = os.path.join(d, "mosquitto.conf")
        # run as whoever runs the test, so that the broker can write its persistence here
        user = pwd.getpwuid(os.getuid()).pw_name
        with open(conf, "w") as f:
            f.write(f"user {user}\nlistener {self.port} 127.0.0.1\nallow_anonymous true\n"
                    f"persistence true\npersistence_location {d}/mosq/\n"
                    f"max_queued_messages 0\nmax_inflight_messages 0\n{extra}")
        super().__init__([MOSQUITTO, "-c", conf], os.path.join(d, "mosquitto.log"))

    def start(self):
        super().start()
        wait_for(lambda: _port_open(self.port) or not self.running(), 15, "mosquitto to listen")
        assert self.running(), "mosquitto exited:\n" + self.log_text()
        return self


class Influxd(Server):
    def __init__(self, d):
        self.port, rpc = free_port(), free_port()
        conf = os.path.join(d, "influxdb.conf")
        with open(conf, "w") as f:
            f.write(f'reporting-disabled = true\nbind-address = "127.0.0.1:{rpc}"\n'
                    f'[meta]\n  dir = "{d}/influx/meta"\n'
                    f'[data]\n  dir = "{d}/influx/data"\n  wal-dir = "{d}/influx/wal"\n'
                    f'  query-log-enabled = false\n[monitor]\n  store-enabled = false\n'
                    f'[http]\n  bind-address = "127.0.0.1:{self.port}"\n  log-enabled = false\n')
        super().__init__([INFLUXD, "-config", conf], os.path.join(d, "influxd.log"))
        self.url = f"http://127.0.0.1:{self.port}"

    def _ping(self):
        try:
            with urllib.request.urlopen(self.url + "/ping", timeout=1) as r:
                return r.status == 204
        except OSError:
            return False

    def start(self):
        super().start()
        wait_for(lambda: self._ping() or not self.running(), 30, "influxd to answer /ping")
        assert self.running(), "influxd exited:\n" + self.log_text()
        return self

    def query(self, q, db="fieldgate"):
        data = urllib.parse.urlencode({"q": q, "db": db, "epoch": "ms"}).encode()
        with urllib.request.urlopen(self.url + "/query", data=data, timeout=30) as r:
            return json.loads(r.read())

    def create_db(self, db="fieldgate"):
        self.query(f'CREATE DATABASE "{db}"', db=db)

    def points(self, db="fieldgate"):
        """{(sensor, ts_ms)} of every reading point, and the total number of rows seen."""
        res = self.query('SELECT * FROM "reading" GROUP BY "sensor"', db)
        keys, total = set(), 0
        for series in res["results"][0].get("series", []):
            sensor = series["tags"]["sensor"]
            for row in series["values"]:
                keys.add((sensor, row[0]))
                total += 1
        return keys, total


class Collector(Server):
    """mqtt_collect subscribed to a filter; lines() gives (topic, payload, retained)."""

    def __init__(self, d, port, filt="#", name="collector", extra=()):
        self.out = os.path.join(d, f"{name}.out")
        super().__init__([MQTT_COLLECT, "-p", str(port), "-t", filt, "-q", "1", "-i", name,
                          "-o", self.out, *extra], os.path.join(d, f"{name}.log"))

    def start(self):
        log = open(self.log_path, "ab")
        self.p = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=log,
                                  stdin=subprocess.DEVNULL)
        log.close()
        line = self.p.stdout.readline()
        assert b"ready" in line, "mqtt_collect did not subscribe:\n" + self.log_text()
        return self

    def lines(self):
        if not os.path.exists(self.out):
            return []
        out = []
        with open(self.out, encoding="utf-8") as f:
            for line in f:
                if line.endswith("\n"):
                    topic, payload, retained = line.rstrip("\n").split("\t")
                    out.append((topic, payload, retained == "1"))
        return out

    def readings(self):
        """Reading messages (not status/metrics) as parsed JSON objects, in arrival order."""
        return [json.loads(p) for t, p, _ in self.lines() if "/plot/" in t]
