"""Libraries loaded only when the configuration needs them (util/dynlib.c): `fieldgate run` on
a simulated field with a real mosquitto on an mqtt:// URL and neither console nor metrics maps
the plain Paho (libpaho-mqtt3a) and none of the libraries in FORBIDDEN (read off
/proc/PID/maps once the broker has acknowledged readings); with a console configured it also
maps libmicrohttpd. The binary itself (ldd) needs none of Paho, libmicrohttpd, libxlsxwriter.
A Paho that cannot be used (LD_LIBRARY_PATH finds a libpaho-mqtt3a.so.1 that is libm) makes
`check` exit 2 with a FILE:LINE:COL error naming the library and the package, and `run` refuse
to start the MQTT sink with the same reason.
libcurl and the TLS libraries it brings (VIA_CURL) are asserted absent only when the binary
does not link libcurl; otherwise they are reported as skipped.
How it fails: with gw_net linking ${GW_PAHO_LIB} again, ldd lists libpaho-mqtt3as; with
paho_get() in mqtt_client.c always taking the TLS variant (`v = 1`), libpaho-mqtt3as and
libssl/libcrypto are mapped; with gw_http_server_start() no longer loading libmicrohttpd,
the console does not start and its line never comes."""
import os
import re
import subprocess
import time

from gwservers import Mosquitto
from gwtest import FIELDGATE, Proc, check, free_port, main, start_sim, tmpdir, wait_for

# Never mapped by a journal + mqtt:// gateway without a web page.
FORBIDDEN = ["libpaho-mqtt3as", "libmicrohttpd", "libxlsxwriter", "libcurl", "libssl",
             "libcrypto", "libgnutls"]
# What libcurl brings while the binary still links it (InfluxDB's HTTP client).
VIA_CURL = {"libcurl", "libssl", "libcrypto", "libgnutls"}
# Loaded on first use, so never in the binary's own dependencies.
LAZY = ["libpaho-mqtt3a", "libpaho-mqtt3as", "libmicrohttpd", "libxlsxwriter"]
SENSORS = 4


def ldd_libs():
    out = subprocess.run(["ldd", FIELDGATE], capture_output=True, text=True, timeout=30).stdout
    return {l.split()[0] for l in out.splitlines() if ".so" in l}


def mapped(pid):
    """Base names of the shared objects mapped into pid."""
    names = set()
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and ".so" in parts[5]:
                names.add(os.path.basename(parts[5]))
    return names


def has(names, lib):
    return any(n.startswith(lib + ".so") for n in names)


def write_config(d, name, sim_port, mqtt_port, extra=""):
    sensors = "\n".join(
        f"  - {{id: s{i + 1}, bus: tcp1, unit: {i + 1}, profile: seeed-s-soil-mtec-02, "
        f"plot: P-{i + 1}, interval_s: 1}}" for i in range(SENSORS))
    cfg = os.path.join(d, name)
    with open(cfg, "w", encoding="utf-8") as f:
        f.write(f"""gateway: {{id: lazy-gw, township: 新民乡, data_dir: {d}/data-{name}}}
timeouts: {{response_ms: 300, retries: 0}}
buses:
  - {{name: tcp1, type: tcp, host: 127.0.0.1, port: {sim_port}}}
sensors:
{sensors}
mqtt: {{url: "mqtt://127.0.0.1:{mqtt_port}", qos: 1}}
{extra}""")
    return cfg


def run_and_map(d, cfg, ready):
    """Starts `run`, waits for the broker connection and for ready in its log, lets it
    deliver for 2 s, and returns what it maps."""
    run = Proc([FIELDGATE, "run", "-c", cfg], os.path.join(d, os.path.basename(cfg) + ".log"))
    try:
        for line in ("connected", ready):
            wait_for(lambda: line in run.log_text() or run.p.poll() is not None, 20, line)
            check(line in run.log_text(), f"no {line!r} from run:\n{run.log_text()}")
        time.sleep(2)
        check(run.p.poll() is None, "run exited:\n" + run.log_text())
        return mapped(run.p.pid)
    finally:
        code = run.stop(20)
        check(code == 0, f"run exit {code}:\n{run.log_text()}")


def broken_paho(d, cfg):
    """check and run with a libpaho-mqtt3a.so.1 that lacks Paho's symbols (libm)."""
    libm = next(l.split()[2] for l in subprocess.run(
        ["ldd", FIELDGATE], capture_output=True, text=True, timeout=30).stdout.splitlines()
        if l.split()[0] == "libm.so.6")
    fake = os.path.join(d, "fake-lib")
    os.makedirs(fake)
    os.symlink(libm, os.path.join(fake, "libpaho-mqtt3a.so.1"))
    env = dict(os.environ, LD_LIBRARY_PATH=fake)
    r = subprocess.run([FIELDGATE, "check", "-q", "-c", cfg], capture_output=True, text=True,
                       env=env, timeout=60)
    want = (r"libpaho-mqtt3a\.so\.1: no symbol MQTTAsync_\w+ \(install libpaho-mqtt1\.3\)")
    check(r.returncode == 2 and re.search(r"plain\.yaml:\d+:\d+: error: mqtt: cannot load the "
                                          r"MQTT library: " + want, r.stderr),
          f"check with a broken Paho: exit {r.returncode}:\n{r.stderr}")
    r = subprocess.run([FIELDGATE, "run", "-c", cfg], capture_output=True, text=True,
                       env=env, timeout=60)
    check(r.returncode != 0 and re.search(r"cannot load the MQTT library: " + want, r.stderr),
          f"run with a broken Paho: exit {r.returncode}:\n{r.stderr}")


def test():
    linked = ldd_libs()
    for lib in LAZY:
        check(not has(linked, lib), f"ldd {FIELDGATE} lists {lib}: {sorted(linked)}")
    curl_linked = has(linked, "libcurl")
    asserted = [lib for lib in FORBIDDEN if not (curl_linked and lib in VIA_CURL)]

    d = tmpdir("fg-lazy-")
    sim_port = free_port()
    broker = Mosquitto(d).start()
    plain = write_config(d, "plain.yaml", sim_port, broker.port)
    sim = start_sim(plain, d, "--tcp", f"127.0.0.1:{sim_port}")
    try:
        names = run_and_map(d, plain, "connected")
        check(has(names, "libpaho-mqtt3a"), f"libpaho-mqtt3a not mapped: {sorted(names)}")
        for lib in asserted:
            check(not has(names, lib), f"{lib} mapped without needing it: {sorted(names)}")

        console = write_config(d, "console.yaml", sim_port, broker.port,
                               f"console: {{port: {free_port()}}}\n")
        names = run_and_map(d, console, "technician's page on")
        check(has(names, "libmicrohttpd"), f"libmicrohttpd not mapped with a console: "
                                           f"{sorted(names)}")
        check(not has(names, "libpaho-mqtt3as"), "libpaho-mqtt3as mapped for mqtt://")
        broken_paho(d, plain)
    finally:
        sim.stop()
        broker.stop()
    skipped = sorted(set(FORBIDDEN) - set(asserted))
    print(f"not mapped: {', '.join(asserted)}" +
          (f"; not asserted while fieldgate links libcurl: {', '.join(skipped)}"
           if skipped else ""))


if __name__ == "__main__":
    main(test)
