#!/usr/bin/env python3
"""`fieldgate report` as a command: every level in csv (parsed with python's csv), json
(json.loads) and html; ID numbers and phones masked everywhere unless --unmasked with
--out (file mode 0600), --unmasked to stdout refused; a file is written whole or not at
all; every usage, config and records error exits 2, an unreadable journal or an unwritable output
exits 1."""
import csv
import io
import json
import os
import shutil
import stat
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gwtest import FIELDGATE, check, main, tmpdir  # noqa: E402

SRC = os.environ.get("GW_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
LEVELS = ("plot", "household", "village", "township")


def setup(d):
    for name in ("households.csv", "plots.csv"):
        shutil.copy(os.path.join(SRC, "config", "demo", name), d)
    cfg = os.path.join(d, "gateway.yaml")
    with open(cfg, "w", encoding="utf-8") as f:
        f.write(f"""gateway: {{id: rep, township: 新民乡, data_dir: {d}/data}}
records: {{households: households.csv, plots: plots.csv}}
buses:
  - {{name: t1, type: tcp, host: 127.0.0.1, port: 1502}}
sensors:
  - {{id: s1, bus: t1, unit: 1, profile: seeed-s-soil-mtec-02, plot: XM-0001}}
""")
    with open(os.path.join(d, "households.csv"), encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return cfg, [r["id_number"] for r in rows], [r["phone"] for r in rows if r["phone"]]


def report(cfg, *args):
    p = subprocess.run([FIELDGATE, "report", "-c", cfg, *args], capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode("utf-8-sig"), p.stderr.decode("utf-8")


def no_secrets(text, ids, phones, what):
    for s in ids + phones:
        check(s not in text and s.lower() not in text, f"{what}: {s[:3]}... in clear")


def test_formats(cfg, ids, phones):
    for level in LEVELS:
        rc, out, err = report(cfg, "--level", level)
        check(rc == 0, f"{level} csv exit {rc}: {err}")
        rows = list(csv.reader(io.StringIO(out)))
        check(len(rows) >= 3 and all(len(r) == len(rows[0]) for r in rows), f"{level} csv ragged")
        check(rows[-1][0] == "total", f"{level} csv: last row {rows[-1][:2]} is not the total")
        no_secrets(out + err, ids, phones, f"{level} csv")
        rc, out, err = report(cfg, "--level", level, "--format", "json", "--window", "06-01..07-31")
        check(rc == 0, f"{level} json exit {rc}: {err}")
        doc = json.loads(out)
        check(doc["level"] == level and doc["window"] == "06-01..07-31", f"{level} json head {doc}")
        check(doc["rows"] and "point evidence" in doc["note"] and doc["masked"] is True, "json head")
        no_secrets(out + err, ids, phones, f"{level} json")
        rc, out, err = report(cfg, "--level", level, "--format", "html")
        check(rc == 0 and out.startswith("<!DOCTYPE html>") and out.rstrip().endswith("</html>"),
              f"{level} html exit {rc}: {err}")
        check("point evidence" in out and "<script" not in out, f"{level} html")
        no_secrets(out + err, ids, phones, f"{level} html")
    rc, out, _ = report(cfg, "--level", "household")
    masked = [r["id_number"] for r in csv.DictReader(io.StringIO(out)) if r["id_number"]]
    check(masked and all(len(m) == 18 and m[6:14] == "********" for m in masked), f"masks {masked}")
    phone = [r["phone"] for r in csv.DictReader(io.StringIO(out)) if r["phone"]]
    check(phone and all(len(p) == 11 and p[3:7] == "****" for p in phone), f"phone masks {phone}")


def test_escaping(d, cfg):
    """A name with a comma, quotes and markup survives csv, json and html intact."""
    path = os.path.join(d, "households.csv")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    tricky = 'Ma, "Jian" <b>&amp;'
    with open(path, "w", encoding="utf-8") as f:
        f.write(text.replace("马建国", '"Ma, ""Jian"" <b>&amp;"'))
    try:
        rc, out, err = report(cfg, "--level", "household")
        names = [r["name"] for r in csv.DictReader(io.StringIO(out))]
        check(rc == 0 and tricky in names, f"csv name: {names[:2]} ({err})")
        rc, out, err = report(cfg, "--level", "household", "--format", "json")
        check(rc == 0 and json.loads(out)["rows"][0]["name"] == tricky, f"json name ({err})")
        rc, out, err = report(cfg, "--level", "household", "--format", "html")
        check(rc == 0 and "Ma, &quot;Jian&quot; &lt;b&gt;&amp;amp;" in out and "<b>&amp;" not in out,
              "html name not escaped")
    finally:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)


def test_unmasked(d, cfg, ids, phones):
    rc, out, err = report(cfg, "--level", "household", "--unmasked")
    check(rc == 2 and out == "" and "--out" in err, f"--unmasked to stdout: exit {rc}, {err}")
    path = os.path.join(d, "roster.csv")
    old = os.umask(0o022)
    try:
        rc, _, err = report(cfg, "--level", "household", "--unmasked", "--out", path)
        check(rc == 0, f"--unmasked --out exit {rc}: {err}")
        check(stat.S_IMODE(os.stat(path).st_mode) == 0o600, f"mode {oct(os.stat(path).st_mode)}")
        with open(path, encoding="utf-8") as f:
            text = f.read()
        check(all(i in text for i in ids), "an unmasked roster lacks an ID number")
        # replacing it with a masked one: whole file, the umask's mode, no temp left behind
        rc, _, err = report(cfg, "--level", "household", "--out", path)
        check(rc == 0, f"--out exit {rc}: {err}")
        check(stat.S_IMODE(os.stat(path).st_mode) == 0o644, f"mode {oct(os.stat(path).st_mode)}")
        with open(path, encoding="utf-8") as f:
            no_secrets(f.read(), ids, phones, "masked --out")
        check(not [n for n in os.listdir(d) if n.startswith("roster.csv.")], f"temp left: {os.listdir(d)}")
    finally:
        os.umask(old)


def test_exit_codes(d, cfg):
    bad = [
        ("--level", "county"), ("--format", "pdf"), ("--window", "07-15..06-20"),
        ("--window", "13-01..13-02"), ("--window", "06-31..07-01"), ("--category", "rich"),
        ("--year", "23"), ("extra",),
        ("--source", "influx", "--influx-url", "ftp://127.0.0.1:8086"),
        ("--source", "influx", "--influx-url", "http://user:pw@127.0.0.1:8086"),
    ]
    for args in bad:
        rc, out, err = report(cfg, *args)
        check(rc == 2 and out == "" and err, f"{args}: exit {rc} (want 2), stderr {err!r}")
    # without -c: $FIELDGATE_CONFIG (else /etc/fieldgate/gateway.yaml); a missing one is named
    missing = os.path.join(d, "no-such.yaml")
    p = subprocess.run([FIELDGATE, "report"], capture_output=True, timeout=30,
                       env=dict(os.environ, FIELDGATE_CONFIG=missing))
    check(p.returncode == 2 and missing.encode() in p.stderr,
          f"no -c: exit {p.returncode}, stderr {p.stderr[-300:]!r}")
    p = subprocess.run([FIELDGATE, "report", "--help"], capture_output=True, timeout=30)
    check(p.returncode == 0 and b"--unmasked" in p.stdout and b"point evidence" in p.stdout,
          f"--help exit {p.returncode}")
    rc, _, err = report(os.path.join(d, "missing.yaml"))
    check(rc == 2, f"missing config exit {rc}")
    with open(os.path.join(d, "plots.csv"), "a", encoding="utf-8") as f:
        f.write("XX-0001,H999,3,half,single,,,\n")
    rc, out, err = report(cfg)
    check(rc == 2 and out == "" and "plots.csv:8: error: household_id" in err, f"bad records exit {rc}: {err}")
    with open(os.path.join(d, "plots.csv"), encoding="utf-8") as f:
        lines = f.readlines()[:-1]
    with open(os.path.join(d, "plots.csv"), "w", encoding="utf-8") as f:
        f.writelines(lines)
    os.makedirs(os.path.join(d, "data"))
    with open(os.path.join(d, "data", "journal.db"), "w") as f:
        f.write("not a database\n")
    rc, out, err = report(cfg)
    check(rc == 1 and out == "" and "reading the journal" in err, f"bad journal: exit {rc} {err}")
    os.unlink(os.path.join(d, "data", "journal.db"))
    target = os.path.join(d, "no", "such", "dir", "r.csv")
    rc, _, err = report(cfg, "--out", target)
    check(rc == 1 and "cannot create" in err and not os.path.exists(target), f"unwritable: exit {rc} {err}")


def run():
    d = tmpdir("fg-report-")
    cfg, ids, phones = setup(d)
    test_formats(cfg, ids, phones)
    test_escaping(d, cfg)
    test_unmasked(d, cfg, ids, phones)
    test_exit_codes(d, cfg)
    shutil.rmtree(d)


if __name__ == "__main__":
    main(run)
