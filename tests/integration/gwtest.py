"""Helpers for integration tests: temp dirs, free ports, the simulator and the
daemon as child processes (stopped by PID), and JSON readings collected with
their arrival times. Every wait is bounded."""
import datetime
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

FIELDGATE = os.environ.get("FIELDGATE", "fieldgate")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tmpdir(prefix="fg-"):
    return tempfile.mkdtemp(prefix=prefix)


def wait_for(cond, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Proc:
    """A child process whose stdout lines are collected with arrival times."""

    def __init__(self, args, log_path, env=None, preexec_fn=None):
        self.log_path = log_path
        self.log = open(log_path, "wb")
        self.p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log,
                                  stdin=subprocess.DEVNULL, env=env, preexec_fn=preexec_fn)
        self.lines = []
        self.lock = threading.Lock()
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        for raw in self.p.stdout:
            with self.lock:
                self.lines.append((time.monotonic(), raw.decode("utf-8", "replace").rstrip("\n")))

    def snapshot(self):
        with self.lock:
            return list(self.lines)

    def has_line(self, text, start=0):
        return any(text in l for _, l in self.snapshot()[start:])

    def wait_line(self, text, timeout=15, start=0):
        wait_for(lambda: self.has_line(text, start) or self.p.poll() is not None, timeout, text)
        if not self.has_line(text, start):
            raise AssertionError(f"{text!r} not printed; exit {self.p.poll()}; log:\n{self.log_text()}")

    def log_text(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def signal(self, sig):
        if self.p.poll() is None:
            self.p.send_signal(sig)

    def stop(self, timeout=10):
        """SIGTERM by PID, then SIGKILL if it does not exit in time. Returns the exit code."""
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(5)
        self.t.join(5)
        self.log.close()
        return self.p.returncode


def start_sim(cfg, workdir, *extra):
    sim = Proc([FIELDGATE, "sim", "-c", cfg, *extra], os.path.join(workdir, f"sim-{time.monotonic_ns()}.log"))
    sim.wait_line("sim: ready", 15)
    return sim


def read_clock(path):
    """The simulated clock's anchor as `fieldgate sim --clock FILE` wrote it: {key: number}."""
    c = {}
    with open(path) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                k, v = line.strip().split("=", 1)
                c[k] = float(v)
    return c


def sim_now(c):
    """The simulated time now, datetime (local), as the simulator and the daemon see it."""
    ms = c["start_ms"] + (time.monotonic_ns() // 1000 - c["mono_us"]) * c["speed"] / 1000.0
    return datetime.datetime.fromtimestamp(ms / 1000.0)


def readings(proc, start=0):
    """Parsed JSON readings from a daemon's stdout: list of (arrival, obj)."""
    out = []
    for t, line in proc.snapshot()[start:]:
        if line.startswith("{"):
            out.append((t, json.loads(line)))
    return out


def by_sensor(rs, sensor):
    return [(t, r) for t, r in rs if r["sensor"] == sensor]


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def main(fn):
    try:
        fn()
    except AssertionError as e:
        print(f"FAIL: {e}", file=sys.stderr)
        sys.exit(1)
    print("ok")
