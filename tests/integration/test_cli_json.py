"""`check --json` and `scan --json`: the output parses, carries every documented key, and says
what the text output says (counts, plans, loads, each error and warning with its position);
scan against `fieldgate sim` over TCP and an RTU pty finds exactly the simulated units, a
silent range exits 1 with an empty list, and --sweep names the one setting that answers."""
import json
import os
import re
import subprocess

from gwtest import FIELDGATE, check, free_port, main, start_sim, tmpdir

SRC = os.environ.get("GW_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
CHECK_KEYS = {"config", "ok", "errors", "warnings", "diagnostics", "counts", "records", "film",
              "buses"}
BUS_KEYS = {"name", "type", "sensors", "requests_per_cycle", "bytes_per_cycle",
            "requests_per_s", "bytes_per_s", "baud", "cycle_ms", "load", "plan"}
DIAG_KEYS = {"severity", "file", "line", "col", "message"}


def fg(*args, want):
    p = subprocess.run([FIELDGATE, *args], capture_output=True, text=True, timeout=120)
    check(p.returncode == want, f"fieldgate {' '.join(args)}: exit {p.returncode}, want {want}"
                                f"\n{p.stdout}\n{p.stderr}")
    return p


def one_json(p):
    lines = p.stdout.splitlines()
    check(len(lines) == 1, f"want one JSON line on stdout, got {lines!r}")
    return json.loads(lines[0])


def diag_lines(stderr):
    """(file, line, col, severity, message) of each FILE[:LINE[:COL]]: severity: line of
    stderr (None for a missing line or column)."""
    out = []
    for ln in stderr.splitlines():
        m = re.match(r"^(.*?)(?::(\d+))?(?::(\d+))?: (error|warning): (.*)$", ln)
        if m:
            out.append((m[1], m[2] and int(m[2]), m[3] and int(m[3]), m[4], m[5]))
    return out


def check_good():
    cfg = os.path.join(SRC, "config/demo/gateway.yaml")
    text = fg("check", "-c", cfg, want=0)
    j = one_json(fg("check", "--json", "-c", cfg, want=0))
    check(set(j) == CHECK_KEYS, f"check keys {sorted(j)}")
    check(j["ok"] is True and j["errors"] == 0, j)
    check(j["counts"] == {"buses": 2, "sensors": 14, "profiles": 7}, j["counts"])
    check(j["records"]["households"] == 6 and j["records"]["plots"] == 6, j["records"])
    # every warning of the text output, with its position
    want = [(f, l, c, s, m) for f, l, c, s, m in diag_lines(text.stderr)]
    got = [(d["file"], d["line"], d["col"], d["severity"], d["message"]) for d in j["diagnostics"]]
    check(want and got == want, f"diagnostics {got} != text {want}")
    check(j["warnings"] == len(want), j["warnings"])
    for d in j["diagnostics"]:
        check(set(d) == DIAG_KEYS, d)
    # each bus's numbers equal the text's "per cycle" line
    cycles = re.findall(r"per cycle: (\d+) requests, (\d+) bytes", text.stdout)
    check([(b["requests_per_cycle"], b["bytes_per_cycle"]) for b in j["buses"]] ==
          [(int(r), int(b)) for r, b in cycles], f"buses {j['buses']} vs {cycles}")
    for b in j["buses"]:
        check(set(b) == BUS_KEYS, sorted(b))
    rtu, tcp = j["buses"]
    check(rtu["type"] == "rtu" and rtu["baud"] == 9600 and 0 < rtu["load"] < 1, rtu)
    check(tcp["type"] == "tcp" and tcp["load"] is None and tcp["baud"] is None, tcp)
    loads = re.findall(r"load ([0-9.]+) %", text.stdout)
    check(abs(rtu["load"] * 100 - float(loads[0])) < 0.06, f"{rtu['load']} vs {loads}")
    sensors = [s["id"] for b in j["buses"] for s in b["plan"]]
    check(len(sensors) == 14 and "xm3-under" in [s["id"] for s in tcp["plan"]], sensors)
    for s in rtu["plan"]:
        check(s["blocks"] and all(set(k) == {"kind", "addr", "count"} for k in s["blocks"]), s)
    film = {f["plot"]: f["rules"] for f in j["film"]}
    check(film["XM-0001"][0]["sensors"] == ["xm1-under", "xm1-bare"], film)
    check(film["XM-0004"] == [], f"XM-0004 has one bare probe: no rule, got {film['XM-0004']}")
    print("ok: check --json on the demo equals its text output")


def check_bad():
    d = tmpdir("fg-json-")
    bad = os.path.join(d, "gateway.yaml")
    with open(bad, "w") as f:
        f.write("gateway: {id: j, township: t, data_dir: %s}\n"
                "buses:\n  - {name: b, type: tcp, host: 127.0.0.1, port: 1502}\n"
                "sensors:\n  - {id: s1, bus: b, unit: 1, profile: seeed-s-soil-mtec-02, "
                "interval_s: 0}\n  - {id: s2, bus: nope, unit: 2, profile: flaot}\n" % d)
    text = fg("check", "-c", bad, want=2)
    p = fg("check", "--json", "-c", bad, want=2)
    j = one_json(p)
    check(set(j) == CHECK_KEYS and j["ok"] is False, j)
    check(j["counts"] is None and j["buses"] is None, j)
    want = diag_lines(text.stderr)
    got = [(x["file"], x["line"], x["col"], x["severity"], x["message"]) for x in j["diagnostics"]]
    check(len(want) >= 2 and got == want, f"{got} != {want}")
    check(j["errors"] == len([w for w in want if w[3] == "error"]), j)
    check(any("interval_s" in x["message"] and x["line"] == 5 for x in j["diagnostics"]), got)
    # a file that does not exist: one error without a position
    j = one_json(fg("check", "--json", "-c", os.path.join(d, "missing.yaml"), want=2))
    check(j["errors"] == 1 and j["diagnostics"][0]["line"] is None, j)
    print("ok: check --json on a bad config lists every error at its position, exit 2")


def scan_tests():
    d = tmpdir("fg-json-")
    port = free_port()
    cfg = os.path.join(d, "gateway.yaml")
    with open(cfg, "w") as f:
        f.write(f"gateway: {{id: j, township: t, data_dir: {d}/data}}\nbuses:\n"
                f"  - {{name: tcp1, type: tcp, host: 127.0.0.1, port: {port}}}\n"
                f"  - {{name: slow, type: rtu, device: {d}/slow, baud: 4800, parity: N}}\n"
                "sensors:\n  - {id: t3, bus: tcp1, unit: 3, profile: seeed-s-soil-mtec-02}\n"
                "  - {id: t9, bus: tcp1, unit: 9, profile: dfrobot-sen0601}\n"
                "  - {id: s2, bus: slow, unit: 2, profile: renke-rs-ecth-n01}\n")
    sim = start_sim(cfg, d)
    try:
        tcp = ["--tcp", f"127.0.0.1:{port}", "--timeout-ms", "150"]
        j = one_json(fg("scan", *tcp, "--ids", "1-10", "--json", want=0))
        check(set(j) == {"mode", "link", "error", "probed", "answered", "units", "garbled"}, j)
        check(j["mode"] == "scan" and j["error"] is None and str(port) in j["link"], j)
        check(j["probed"] == 10 and j["answered"] == 2, j)
        check([u["unit"] for u in j["units"]] == [3, 9], j)
        # the same answers as the text output, exceptions included
        text = fg("scan", *tcp, "--ids", "1-10", want=0).stdout
        want = [(int(u), int(e) if e else None) for u, e in
                re.findall(r"^unit (\d+): answers(?: \(exception (\d+)\))?$", text, re.M)]
        check([(u["unit"], u["exception"]) for u in j["units"]] == want, f"{j} vs {text}")
        j = one_json(fg("scan", *tcp, "--ids", "20-22", "--json", want=1))
        check(j["answered"] == 0 and j["units"] == [] and j["probed"] == 3, j)
        print("ok: scan --json over TCP")
        j = one_json(fg("scan", "--port", f"{d}/slow", "--sweep", "--ids", "1-3",
                        "--timeout-ms", "60", "--json", want=0))
        check(j["mode"] == "sweep" and j["error"] is None and len(j["settings"]) == 24, j)
        hits = {(s["baud"], s["parity"]) for s in j["settings"] if s["answered"]}
        # a pty cannot tell even parity from none, so 4800 8E1 may answer as well
        check((4800, "N") in hits and all(b == 4800 for b, _ in hits), hits)
        s = [s for s in j["settings"] if (s["baud"], s["parity"]) == (4800, "N")][0]
        check([u["unit"] for u in s["units"]] == [2], s)
        check(j["answering"] == len(hits), j)
        print("ok: scan --sweep --json over an RTU pty")
        j = one_json(fg("scan", "--port", f"{d}/absent", "--json", want=1))
        check(j["error"] and j["units"] == [], j)
        print("ok: scan --json on a missing line says so, exit 1")
    finally:
        sim.stop()


def run():
    check_good()
    check_bad()
    scan_tests()


main(run)
