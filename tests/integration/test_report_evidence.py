#!/usr/bin/env python3
"""`report` verifies the evidence it uses (issue 13 req 1, DESIGN.md "Evidence chain"): the
season of test_report_season.py journaled and sealed; today's readings stay unsealed. The
untouched journal reports every plot as before, exit 0, with the head it verified and today's
readings named as not yet sealed (not as broken). Then, each on a copy of that journal:
(a) one reading's value edited on 2023-06-20, (b) one row of 2023-07-01 deleted: the report
is still written, exits 1, its header names the day and what happened, every plot with
readings that day is `unverified` (未核验 on the county's sheets) with the reason, and the
plot without sensors stays `no_sensor`. Fails without the check: the edited journal reports
exit 0 with XM-0002 `fail` and no word of the edit."""
import json
import os
import shutil
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gwtest import FIELDGATE, check, main, start_sim, tmpdir  # noqa: E402
from test_report_season import ENV, run_once, setup, write_season  # noqa: E402

WANT = {"XM-0001": "pass", "XM-0002": "fail", "XM-0003": "pass", "XM-0004": "no_sensor"}


def report(cfg, *args):
    p = subprocess.run([FIELDGATE, "report", "-c", cfg, *args], capture_output=True, timeout=60, env=ENV)
    return p.returncode, p.stdout.decode("utf-8-sig"), p.stderr.decode()


def plots(cfg, want_rc):
    rc, out, err = report(cfg, "--format", "json", "--year", "2023")
    check(rc == want_rc, f"report exit {rc} (want {want_rc}): {err}")
    doc = json.loads(out)
    return doc, {r["plot_id"]: r for r in doc["rows"] if r["plot_id"] in WANT}, err


def check_clean(cfg):
    doc, got, err = plots(cfg, 0)
    check({p: r["verdict"] for p, r in got.items()} == WANT, f"clean verdicts {got}")
    ev = doc["evidence"]
    check(ev.startswith("verified: ") and "head 2023-07-20 " in ev and "not yet sealed" in ev
          and "broken" not in ev, f"clean evidence line: {ev!r}")
    check(doc["chain_head"] and doc["chain_head"].startswith("2023-07-20 "), f"head {doc['chain_head']}")
    check("report: evidence: verified" in err, f"stderr lacks the evidence line: {err}")


def check_broken(cfg, day, what):
    doc, got, err = plots(cfg, 1)
    ev = doc["evidence"]
    check(ev.startswith(f"evidence chain broken at {day}: {what}"), f"evidence line {ev!r}")
    reason = f"evidence chain broken on {day[5:]} ({what})"
    for p, r in got.items():
        want = "no_sensor" if p == "XM-0004" else "unverified"
        check(r["verdict"] == want and (want != "unverified" or r["reason"] == reason),
              f"{p}: {r['verdict']} / {r['reason']!r} (want {want})")
    check(f"evidence chain broken at {day}" in err, f"stderr: {err}")
    rc, out, _ = report(cfg, "--format", "html", "--year", "2023")
    check(rc == 1 and f"evidence chain broken at {day}: {what}" in out and "未核验" in out, "html header")
    rows, _ = sheet_rows_rc(cfg, "acceptance")
    got = {r["地块编号"]: r for r in rows}
    check(got["XM-0002"]["验收结论"] == "未核验" and reason in got["XM-0002"]["依据"],
          f"acceptance sheet XM-0002: {got['XM-0002']}")


def sheet_rows_rc(cfg, form):
    """sheet_rows of test_report_season, but a broken journal's sheets exit 1."""
    import csv
    import io
    rc, text, err = report(cfg, "--form", form, "--year", "2023", "--township", "新民乡")
    check(rc == 1, f"sheet exit {rc}: {err}")
    rows = list(csv.DictReader(io.StringIO(text)))
    return [r for r in rows if r["序号"]], [r for r in rows if not r["序号"]]


def fieldgate(*args):
    p = subprocess.run([FIELDGATE, *args], capture_output=True, timeout=60, env=ENV)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def check_signed(d, cfg):
    """Signed seals: `key --public` prints the registry line; verify --registry passes; a
    registry with another key fails every day as bad-signature; a malformed registry or one
    without this gateway exits 2 with FILE:LINE: error and changes nothing on disk."""
    rc, line, err = fieldgate("key", "--public", "-c", cfg)
    check(rc == 0 and line.startswith("season,") and len(line.strip()) == len("season,") + 64, f"key: {line} {err}")
    check(os.stat(os.path.join(d, "data", "gateway.key")).st_mode & 0o777 == 0o600, "gateway.key not 0600")
    reg = os.path.join(d, "gateways.csv")
    with open(reg, "w") as f:
        f.write("gateway,public_key\n" + line)
    rc, out, err = fieldgate("verify", "-c", cfg, "--registry", reg)
    check(rc == 0 and "signatures checked" in out and "intact" in out, f"verify --registry: {rc} {out[-300:]} {err}")
    other = line.strip()[:-1] + ("0" if line.strip()[-1] != "0" else "1")
    with open(reg, "w") as f:
        f.write(other + "\n")
    rc, out, err = fieldgate("verify", "-c", cfg, "--registry", reg, "-q")
    check(rc == 1 and "bad-signature" in out, f"verify with another key: {rc} {out[-300:]}")
    db = os.path.join(d, "data", "journal.db")
    before = open(db, "rb").read()
    for text, want in (("season,xyz\n", f"{reg}:1: error:"), ("other," + "0" * 64 + "\n", f"{reg}: error: gateway")):
        with open(reg, "w") as f:
            f.write(text)
        rc, out, err = fieldgate("verify", "-c", cfg, "--registry", reg)
        check(rc == 2 and want in err, f"bad registry {text!r}: {rc} {err}")
    check(open(db, "rb").read() == before, "a refused verify changed the journal")


def tamper(d, sql):
    db = sqlite3.connect(os.path.join(d, "data", "journal.db"))
    n = db.execute(sql).rowcount
    db.commit()
    db.close()
    check(n == 1, f"{sql}: {n} rows")


def run():
    d = tmpdir("fg-evidence-")
    cfg = setup(d)
    sim = start_sim(cfg, d)
    try:
        run_once(cfg)
        write_season(d)
        run_once(cfg)  # seals the season; today's readings stay open
    finally:
        sim.stop()
    check_clean(cfg)
    check_signed(d, cfg)
    good = os.path.join(d, "good.db")
    shutil.copy(os.path.join(d, "data", "journal.db"), good)
    # (a) one value of XM-0002 on 06-20 at noon: a byte of its temperature's double
    tamper(d, "UPDATE readings SET data = substr(data, 1, 9) || x'41' || substr(data, 11) WHERE seq ="
              " (SELECT min(seq) FROM readings WHERE day = 20230620 AND ts_ms % 86400000 = 43200000)")
    check_broken(cfg, "2023-06-20", "edited")
    shutil.copy(good, os.path.join(d, "data", "journal.db"))
    check_clean(cfg)
    # (b) a row of 07-01 deleted
    tamper(d, "DELETE FROM readings WHERE seq = (SELECT max(seq) FROM readings WHERE day = 20230701)")
    check_broken(cfg, "2023-07-01", "deleted")
    shutil.rmtree(d)


if __name__ == "__main__":
    main(run)
