"""The poller against the simulator over Modbus TCP and RTU on a pty, with every
fault kind injected: the failing sensors show their quality and are backed off,
the healthy ones keep their schedule, a sensor that recovers is polled again,
and the links come back after the TCP peer restarts and the serial device
disappears and returns."""
import os
import signal
import time

from gwtest import (FIELDGATE, Proc, by_sensor, check, free_port, main, readings, start_sim,
                    tmpdir, wait_for)

TIMEOUT_MS = 300
RETRIES = 1
INTERVAL = 1

HEALTHY_TCP = ["t-ok1", "t-ok2"]
HEALTHY_RTU = ["r-ok1", "r-ok2"]
FAULTS = {
    "t-silent": ("silent", "timeout"),
    "t-exc": ("exception", "exception"),
    "t-slow": ("slow", "timeout"),
    "t-crc": ("crc", "crc_error"),
    "t-drop": ("drop", "timeout"),
    "r-silent": ("silent", "timeout"),
    "r-crc": ("crc", "crc_error"),
}


def write_config(d, port):
    sensors = []
    unit = 1
    for sid in HEALTHY_TCP + [s for s in FAULTS if s.startswith("t-")] + ["t-oor"]:
        sensors.append(f"  - {{id: {sid}, bus: tcp1, unit: {unit}, profile: seeed-s-soil-mtec-02, "
                       f"plot: P-{unit}, interval_s: {INTERVAL}}}")
        unit += 1
    for sid in HEALTHY_RTU + [s for s in FAULTS if s.startswith("r-")]:
        sensors.append(f"  - {{id: {sid}, bus: line1, unit: {unit}, profile: dfrobot-sen0601, "
                       f"interval_s: {INTERVAL}}}")
        unit += 1
    cfg = os.path.join(d, "gateway.yaml")
    with open(cfg, "w") as f:
        f.write(f"""gateway: {{id: test-gw, township: 新民乡, data_dir: {d}/data}}
timeouts: {{response_ms: {TIMEOUT_MS}, byte_ms: 50, retries: {RETRIES}, backoff_max_s: 4}}
buses:
  - {{name: tcp1, type: tcp, host: 127.0.0.1, port: {port}}}
  - {{name: line1, type: rtu, device: {d}/line1, baud: 9600}}
sensors:
""" + "\n".join(sensors) + "\n")
    return cfg


def write_faults(d, names):
    path = os.path.join(d, "faults.yaml")
    lines = ["faults:"]
    for sid in names:
        kind = FAULTS[sid][0] if sid in FAULTS else "out_of_range"
        extra = ", delay_ms: 1500" if kind == "slow" else ", code: 4" if kind == "exception" else ""
        lines.append(f"  - {{sensor: {sid}, kind: {kind}{extra}}}")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def max_gap(rs):
    ts = [t for t, _ in rs]
    return max(b - a for a, b in zip(ts, ts[1:]))


def check_schedule_and_qualities(rs, seconds):
    # A healthy sensor waits at most its interval plus one failing neighbour's timeouts.
    bound = INTERVAL + (RETRIES + 1) * TIMEOUT_MS / 1000 + 0.6
    for sid in HEALTHY_TCP + HEALTHY_RTU:
        mine = by_sensor(rs, sid)
        check(len(mine) >= seconds / INTERVAL - 3, f"{sid}: only {len(mine)} readings in {seconds}s")
        check(all(set(r["quality"].values()) == {"good"} for _, r in mine), f"{sid}: not all good")
        check(max_gap(mine) <= bound, f"{sid}: gap {max_gap(mine):.2f}s > {bound:.2f}s")
        check(all(v is not None for _, r in mine for v in r["values"].values()), f"{sid}: null value")
    for sid, (_, quality) in FAULTS.items():
        mine = by_sensor(rs, sid)
        check(mine, f"{sid}: no readings at all")
        qs = {q for _, r in mine for q in r["quality"].values()}
        check(quality in qs, f"{sid}: qualities {qs}, want {quality}")
        check(all(v is None for _, r in mine for k, v in r["values"].items()
                  if r["quality"][k] != "good"), f"{sid}: value not null when quality is bad")
    oor = by_sensor(rs, "t-oor")
    check(any("out_of_range" in r["quality"].values() for _, r in oor), "t-oor: no out_of_range")
    # Backed off: a silent sensor is tried less and less often (up to backoff_max_s).
    for silent, healthy in (("t-silent", "t-ok1"), ("r-silent", "r-ok1")):
        mine = by_sensor(rs, silent)
        n_s, n_h = len(mine), len(by_sensor(rs, healthy))
        check(len(mine) >= 2 and max_gap(mine) >= 2.5 * INTERVAL,
              f"{silent}: attempts {[round(t - mine[0][0], 1) for t, _ in mine]}: not backed off")
        check(n_s < 0.7 * n_h, f"{silent}: {n_s} attempts vs {n_h} healthy polls: not backed off")


def test():
    d = tmpdir()
    port = free_port()
    cfg = write_config(d, port)
    faults = write_faults(d, list(FAULTS) + ["t-oor"])
    sim = start_sim(cfg, d, "--faults", faults)
    gw = Proc([FIELDGATE, "run", "-c", cfg, "--output", "stdout"], os.path.join(d, "run.log"))
    try:
        # Phase 1: every fault at once.
        seconds = 9
        t0 = time.monotonic()
        wait_for(lambda: time.monotonic() - t0 >= seconds or gw.p.poll() is not None, seconds + 1, "phase 1")
        check(gw.p.poll() is None, f"daemon exited: {gw.log_text()}")
        rs = [x for x in readings(gw) if x[0] - t0 >= 0]
        check_schedule_and_qualities(rs, seconds)
        check("backing off" in gw.log_text(), "no back-off logged")

        # Phase 2: the silent sensors recover (faults reloaded on SIGHUP).
        mark = len(gw.snapshot())
        write_faults(d, [s for s in FAULTS if "silent" not in s])
        smark = len(sim.snapshot())
        sim.signal(signal.SIGHUP)
        sim.wait_line("sim: faults loaded", 5, smark)
        for sid in ("t-silent", "r-silent"):
            wait_for(lambda: any(set(r["quality"].values()) == {"good"}
                                 for _, r in by_sensor(readings(gw, mark), sid)), 12, f"{sid} recovery")
        check("recovered after" in gw.log_text(), "recovery not logged")

        # Phase 3: the simulator goes away (TCP peer and pty both vanish) and comes back.
        sim.stop()
        check(not os.path.exists(os.path.join(d, "line1")), "sim left its pty link behind")
        mark = len(gw.snapshot())
        wait_for(lambda: all(any("timeout" in r["quality"].values() for _, r in by_sensor(readings(gw, mark), s))
                             for s in ("t-ok1", "r-ok1")), 10, "timeouts while the sim is down")
        sim = start_sim(cfg, d)
        mark = len(gw.snapshot())
        for sid in ("t-ok1", "t-ok2", "r-ok1", "r-ok2"):
            wait_for(lambda: any(set(r["quality"].values()) == {"good"}
                                 for _, r in by_sensor(readings(gw, mark), sid)), 40, f"{sid} after restart")
        check(gw.p.poll() is None, "daemon died")
    finally:
        rc = gw.stop()
        sim.stop()
    check(rc == 0, f"daemon exit code {rc} after SIGTERM; log:\n{gw.log_text()}")


if __name__ == "__main__":
    main(test)
