"""`fieldgate run` as a systemd service, without systemd: the notification protocol on a
test NOTIFY_SOCKET (READY=1 once polling, WATCHDOG=1 at half the WATCHDOG_USEC interval,
RELOADING=1, STOPPING=1, all from the daemon's own PID); SIGHUP with a bad config (every
error logged, the old sensors keep being polled), with one that crashed libfyaml's error
printer (the daemon runs on) and with a good one (re-executed in place: same PID, the new
sensor list polled); with one only run's set-up refused (an unplannable sensor: refused by the
validation, named) and with one whose new image fails to start (it goes back to the previous
config: same PID, READY=1, the old sensors polled); SIGTERM exits 0 within seconds with every printed
reading in the journal; the "<N>" priority prefix only when stderr is the journal stream."""
import array
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.request

import gwjournal
from gwtest import FIELDGATE, Proc, check, free_port, main, readings, start_sim, tmpdir, wait_for

WATCHDOG_US = 1_000_000


class Notifications:
    """The service manager's side: a datagram socket collecting (time, pid, message)."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.sock.settimeout(0.2)
        self.msgs = []
        self.lock = threading.Lock()
        self.done = False
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        creds_len = socket.CMSG_SPACE(3 * 4)
        while not self.done:
            try:
                data, anc, _, _ = self.sock.recvmsg(4096, creds_len)
            except socket.timeout:
                continue
            pid = None
            for level, kind, payload in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                    pid = array.array("i", payload[:12])[0]
            with self.lock:
                self.msgs.append((time.monotonic(), pid, data.decode()))

    def snapshot(self):
        with self.lock:
            return list(self.msgs)

    def wait(self, key, after=0.0, timeout=15):
        def found():
            return [m for m in self.snapshot() if m[0] >= after and key in m[2].split("\n")]
        wait_for(lambda: found(), timeout, f"{key} notified")
        return found()[0]

    def close(self):
        self.done = True
        self.t.join(2)
        self.sock.close()


def write(path, text):
    with open(path + ".new", "w") as f:
        f.write(text)
    os.replace(path + ".new", path)  # as an editor saving it: never half a file


def config(d, port, sensors, extra="", http_port=None):
    lines = "\n".join(f"  - {{id: {s}, bus: tcp1, unit: {u}, profile: seeed-s-soil-mtec-02, "
                      f"interval_s: 1}}" for s, u in sensors)
    return (f"gateway: {{id: svc-gw, township: 新民乡, data_dir: {d}/data}}\n"
            f"timeouts: {{response_ms: 300, retries: 0, backoff_max_s: 2}}\n"
            f"buses:\n  - {{name: tcp1, type: tcp, host: 127.0.0.1, port: {port}}}\n"
            f"sensors:\n{lines}\n{extra}" +
            (f"metrics_http: {{listen: 127.0.0.1, port: {http_port}}}\n" if http_port else ""))


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        return r.read().decode()


def sensors_since(daemon, t0):
    return {r["sensor"] for t, r in readings(daemon) if t >= t0}


def test():
    d = tmpdir("fg-service-")
    port = free_port()
    allcfg = os.path.join(d, "sim.yaml")
    write(allcfg, config(d, port, [("a", 1), ("b", 2), ("c", 3)]))
    http_port = free_port()
    cfg = os.path.join(d, "gateway.yaml")
    write(cfg, config(d, port, [("a", 1), ("b", 2)], http_port=http_port))
    sim = start_sim(allcfg, d, "--tcp", f"127.0.0.1:{port}")
    note = Notifications(os.path.join(d, "notify"))
    env = dict(os.environ, NOTIFY_SOCKET=os.path.join(d, "notify"), WATCHDOG_USEC=str(WATCHDOG_US))
    env.pop("JOURNAL_STREAM", None)
    daemon = None
    passed = False
    try:
        t_start = time.monotonic()
        daemon = Proc([FIELDGATE, "run", "-c", cfg, "--output", "stdout"], os.path.join(d, "run.log"),
                      env=env)
        pid = daemon.p.pid

        # READY=1 once the journal is open and the pollers run; from the daemon itself.
        t_ready, sender, msg = note.wait("READY=1")
        check(sender == pid, f"READY=1 from pid {sender}, not the daemon's {pid}")
        check("STATUS=polling 2 sensors on 1 buses" in msg, f"status: {msg!r}")
        print(f"READY=1 {t_ready - t_start:.2f}s after start")
        daemon.wait_line('"sensor":"b"', 10)

        # WATCHDOG=1 every half interval while the delivery loop runs.
        time.sleep(3)
        pings = [t for t, p, m in note.snapshot() if m == "WATCHDOG=1" and p == pid]
        gaps = [b - a for a, b in zip(pings, pings[1:])]
        check(len(pings) >= 5, f"only {len(pings)} WATCHDOG=1 in ~3 s")
        check(max(gaps) < WATCHDOG_US / 1e6, f"a watchdog gap of {max(gaps):.2f}s")
        print(f"WATCHDOG=1: {len(pings)} pings, gaps {min(gaps):.2f}..{max(gaps):.2f}s")

        # A bad config: every error logged with its place, nothing restarts, a and b go on.
        write(cfg, config(d, port, [("a", 1), ("c", 3)], "bogus: 1\n").replace(
            "interval_s: 1}", "interval_s: 0}", 1))
        t_bad = time.monotonic()
        daemon.signal(signal.SIGHUP)
        wait_for(lambda: "the running config stays" in daemon.log_text(), 10, "bad config refused")
        log = daemon.log_text()
        check(f"err: reload: {cfg}:6:" in log and "interval_s: out of range" in log,
              f"the interval error not logged: {log}")
        check(f"err: reload: {cfg}:8:1: error: " in log and "bogus" in log,
              f"the unknown key not logged: {log}")
        check("2 error(s); the running config stays" in log, f"error count: {log}")
        time.sleep(2.5)
        check(sensors_since(daemon, t_bad + 0.5) == {"a", "b"},
              f"after a bad reload: {sensors_since(daemon, t_bad + 0.5)}")
        check(not [m for t, p, m in note.snapshot() if t >= t_bad and "RELOADING=1" in m],
              "RELOADING=1 for a bad config")
        check(daemon.p.poll() is None, "the daemon exited on a bad config")

        # A file that crashed libfyaml's own error printer (an unclosed quoted scalar after a
        # line wider than 80 columns): before the fix the daemon died here with SIGSEGV. Now
        # one FILE:LINE:COL error, the daemon runs on, a and b still polled.
        refused = daemon.log_text().count("the running config stays")
        write(cfg, "gateway:\n  id:" + " " * 400 + '"abc%s%n%x\n   ' + "y" * 1200 + "\n")
        t_wide = time.monotonic()
        daemon.signal(signal.SIGHUP)
        wait_for(lambda: daemon.p.poll() is not None or
                 daemon.log_text().count("the running config stays") > refused, 10,
                 "wide bad config refused")
        check(daemon.p.poll() is None, f"the daemon died on the wide config: {daemon.p.poll()}")
        log = daemon.log_text()
        check(f"err: reload: {cfg}:2:407: error: YAML syntax: double-quoted scalar without "
              "closing quote" in log, f"the wide config's error not logged: {log[-600:]}")
        check("1 error(s); the running config stays" in log, f"error count: {log[-600:]}")
        time.sleep(2.5)
        check(sensors_since(daemon, t_wide + 0.5) == {"a", "b"},
              f"after the wide bad reload: {sensors_since(daemon, t_wide + 0.5)}")

        # A good config: RELOADING=1, the same PID re-executed, READY=1, then a and c; the
        # metrics endpoint's port is free again for the new image.
        check('sensor="b"' in scrape(http_port), "no metrics for b before the reload")
        write(cfg, config(d, port, [("a", 1), ("c", 3)], http_port=http_port))
        t_hup = time.monotonic()
        daemon.signal(signal.SIGHUP)
        t_rel, sender, _ = note.wait("RELOADING=1", t_hup)
        check(sender == pid, f"RELOADING=1 from {sender}")
        t_ready2, sender, msg = note.wait("READY=1", t_hup)
        check(sender == pid and daemon.p.poll() is None, f"READY=1 from {sender}, not {pid}")
        check("STATUS=polling 2 sensors" in msg, msg)
        print(f"reload: RELOADING=1 -> READY=1 in {t_ready2 - t_rel:.2f}s")
        time.sleep(3)
        got = sensors_since(daemon, t_ready2 + 0.5)
        check(got == {"a", "c"}, f"after the good reload the sensors are {got}, want a and c")
        metrics = scrape(http_port)
        check('sensor="c"' in metrics and 'sensor="b"' not in metrics,
              f"metrics after the reload: {metrics[:300]}")

        # Issue 12: a config that loads but that run's set-up refuses (max_registers 1 on a
        # sensor whose profile has a 32-bit point). Before the fix the validation passed it
        # and the re-executed image exited 1 ("cannot set up the poller"): the daemon was
        # gone. Now it is refused as a bad config is, naming the sensor; a and c go on.
        lux = "  - {id: lux, bus: tcp1, unit: 9, profile: dfrobot-sen0644, max_registers: 1}\n"
        write(cfg, config(d, port, [("a", 1), ("c", 3)], lux, http_port=http_port))
        refused = daemon.log_text().count("the running config stays")
        t_unplan = time.monotonic()
        daemon.signal(signal.SIGHUP)
        wait_for(lambda: daemon.log_text().count("the running config stays") > refused, 10,
                 "unplannable config refused")
        log = daemon.log_text()
        check(f'err: reload: {cfg}:8:5: error: sensors[2] (lux): max_registers 1 cannot read '
              f'point "lux" (2 registers' in log, f"the unplannable sensor not named: {log}")
        check("1 error(s); the running config stays" in log, f"error count: {log}")
        time.sleep(2.5)
        got = sensors_since(daemon, t_unplan + 0.5)
        check(got == {"a", "c"}, f"after an unplannable reload: {got}")
        check(not [m for t, p, m in note.snapshot() if t >= t_unplan and "RELOADING=1" in m],
              "RELOADING=1 for an unplannable config")
        check(daemon.p.poll() is None, "the daemon exited on an unplannable config")

        # A config that validates but whose start-up fails in the new image (its data_dir's
        # parent does not exist: only opening the journal finds it): the new image goes back
        # to the config it was reloaded from, same PID, READY=1, a and c polled, b never.
        # Before the fix the daemon exited 1 here.
        write(cfg, config(f"{d}/gone", port, [("a", 1), ("b", 2)], http_port=http_port))
        t_fail = time.monotonic()
        daemon.signal(signal.SIGHUP)
        note.wait("RELOADING=1", t_fail)
        t_back, sender, msg = note.wait("READY=1", t_fail, 20)
        check(sender == pid and daemon.p.poll() is None, f"READY=1 from {sender}, not {pid}")
        check("STATUS=polling 2 sensors" in msg, msg)
        log = daemon.log_text()
        check(f"cannot open the journal in {d}/gone/data" in log, f"no journal error: {log}")
        check("failed at start-up (see above); restarting on the previous one" in log,
              f"the fallback not logged: {log}")
        check("running on the config" in log, f"the fallback image does not say so: {log}")
        time.sleep(2.5)
        got = sensors_since(daemon, t_back + 0.5)
        check(got == {"a", "c"}, f"after the failed reload the sensors are {got}, want a and c")
        check(not os.path.exists(f"{d}/gone"), "the failed image made its data_dir")
        print(f"failed reload: back on the previous config in {t_back - t_fail:.2f}s")
        write(cfg, config(d, port, [("a", 1), ("c", 3)], http_port=http_port))

        # SIGTERM: STOPPING=1, exit 0 within seconds, every printed reading journaled.
        t_term = time.monotonic()
        rc = daemon.stop(10)
        took = time.monotonic() - t_term
        note.wait("STOPPING=1", t_term, 2)
        check(rc == 0, f"SIGTERM: exit {rc}")
        check(took < 3, f"SIGTERM: exit took {took:.2f}s")
        print(f"SIGTERM -> exit 0 in {took:.2f}s")
        printed = len(readings(daemon))
        rows = len(gwjournal.rows(os.path.join(d, "data", "journal.db")))
        check(rows == printed, f"{printed} readings printed, {rows} in the journal")
        log = daemon.log_text()
        check("<" not in log.split("\n")[0][:3] and "notice: run: gateway=svc-gw" in log,
              f"a priority prefix without the journal: {log[:200]}")

        # A SIGHUP that comes while the signals are blocked (as across the re-exec) waits for
        # the handlers: started with one pending, the daemon reloads once it is up.
        def pending_hup():
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGHUP})
            os.kill(os.getpid(), signal.SIGHUP)
        t_pend = time.monotonic()
        daemon = Proc([FIELDGATE, "run", "-c", cfg], os.path.join(d, "run2.log"), env=env,
                      preexec_fn=pending_hup)
        note.wait("RELOADING=1", t_pend)
        t_r, sender, _ = note.wait("READY=1", note.wait("RELOADING=1", t_pend)[0])
        check(sender == daemon.p.pid and daemon.p.poll() is None, "not running after the reload")
        check(daemon.stop(10) == 0, "SIGTERM after the pending reload")
        daemon = None

        # The "<N>" prefix when stderr is the journal's stream ($JOURNAL_STREAM = its dev:ino).
        errpath = os.path.join(d, "journal-stream.log")
        with open(errpath, "wb") as err:
            st = os.fstat(err.fileno())
            env2 = dict(env, JOURNAL_STREAM=f"{st.st_dev}:{st.st_ino}")
            del env2["NOTIFY_SOCKET"]
            subprocess.run([FIELDGATE, "run", "-c", cfg, "--once"], env=env2, stderr=err,
                           stdout=subprocess.DEVNULL, timeout=60, check=True)
        with open(errpath) as f:
            lines = [l for l in f.read().split("\n") if l]
        check(lines and all(l[0] == "<" and l[2] == ">" for l in lines),
              f"not every line has a priority prefix: {lines}")
        check(any(l.startswith("<5>notice: run: gateway=svc-gw") for l in lines), lines)
        # a config that does not load: its errors too carry the err priority
        bad = os.path.join(d, "bad.yaml")
        write(bad, config(d, port, [("a", 1)], "bogus: 1\n"))
        with open(errpath, "wb") as err:
            st = os.fstat(err.fileno())
            env2["JOURNAL_STREAM"] = f"{st.st_dev}:{st.st_ino}"
            rc = subprocess.run([FIELDGATE, "run", "-c", bad], env=env2, stderr=err,
                                stdout=subprocess.DEVNULL, timeout=60).returncode
        with open(errpath) as f:
            errs = [l for l in f.read().split("\n") if ": error: " in l]
        check(rc == 2 and errs and all(l.startswith(f"<3>{bad}:") for l in errs),
              f"exit {rc}, error lines {errs}")
        passed = True
    finally:
        if daemon:
            daemon.stop()
        sim.stop()
        note.close()
        if passed:  # a failed run's logs stay for a look
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main(test)
