#!/usr/bin/env python3
"""Golden test of the county's forms: records generated to add up to the 2023 plan
(gen_plan_records.py) must give a township report equal, number for number, to the plan's
appendix tables 1 and 2 (tests/fixtures/reference/township_plan_2023.csv and
funding_plan_2023.csv), with total funds 1594.2 (x 10,000 yuan), 760.5 t of film and 216 t
of seed. The comparison parses numbers on both sides; it is shown to catch a single changed
rate. Also: the json township report carries the same numbers, and --category keeps the
categories apart."""
import csv
import io
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_plan_records  # noqa: E402
from gwtest import FIELDGATE, check, main, tmpdir  # noqa: E402

REFERENCES = ("township_plan_2023.csv", "funding_plan_2023.csv")


def write_config(d, rates=""):
    path = os.path.join(d, "gateway%d.yaml" % len(os.listdir(d)))
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"""gateway: {{id: county, township: 新民乡, data_dir: {d}/data}}
records: {{households: households.csv, plots: plots.csv}}
buses:
  - {{name: t1, type: tcp, host: 127.0.0.1, port: 1502}}
sensors:
  - {{id: s1, bus: t1, unit: 1, profile: seeed-s-soil-mtec-02, plot: XM-00001}}
{rates}
""")
    return path


def report(cfg, *args):
    p = subprocess.run([FIELDGATE, "report", "-c", cfg, "--level", "township", *args],
                       capture_output=True, timeout=60)
    check(p.returncode == 0, f"report {args} exit {p.returncode}: {p.stderr.decode()}")
    return p.stdout.decode("utf-8-sig")  # csv: UTF-8 with a BOM


def rows_by_township(text):
    return {r["township"]: r for r in csv.DictReader(io.StringIO(text))}


def mismatches(ours):
    """Every (reference, township, column, want, got) that differs, numbers parsed."""
    out = []
    for name in REFERENCES:
        ref = gen_plan_records.read_reference(name)
        for township, want in ref.items():
            got = ours.get(township)
            if got is None:
                out.append((name, township, "*", "row", "missing"))
                continue
            for col, v in want.items():
                if col == "township":
                    continue
                if col not in got:
                    out.append((name, township, col, v, "no such column"))
                elif abs(float(got[col]) - float(v)) > 1e-9:
                    out.append((name, township, col, v, got[col]))
    return out


def test_golden(d, cfg):
    ours = rows_by_township(report(cfg))
    bad = mismatches(ours)
    check(not bad, "township report differs from the plan:\n" +
          "\n".join("%s %s %s: want %s, got %s" % m for m in bad))
    check(len(ours) == 8 and "total" in ours, f"want 7 townships and a total, got {list(ours)}")
    # and printed as the county prints them (180.3, not 180.30; 0, not 0.00)
    for name in REFERENCES:
        for township, want in gen_plan_records.read_reference(name).items():
            diff = {c: (v, ours[township][c]) for c, v in want.items() if ours[township][c] != v}
            check(not diff, f"{name} {township}: printed differently (want, got): {diff}")
    total = ours["total"]
    for col, want in (("funds_total_10k_yuan", 1594.2), ("area_total_mu", 100500),
                      ("full_film_mu", 28500), ("half_film_mu", 72000), ("film_t", 760.5),
                      ("seed_t", 201), ("soybean_t", 15), ("seed_total_t", 216),
                      ("corn_soy_intercrop_mu", 5000), ("funds_total_yuan", 15942000)):
        check(float(total[col]) == want, f"total {col}: want {want}, got {total[col]}")
    check(total["funds_total_10k_yuan"] == "1594.2", f"1594.2 printed as {total['funds_total_10k_yuan']}")
    # the 70/30 split adds up to the total
    check(abs(float(total["government_10k_yuan"]) + float(total["household_10k_yuan"]) - 1594.2) < 1e-9,
          f"70/30 split does not add up: {total['government_10k_yuan']} + {total['household_10k_yuan']}")
    # every reference column is also the sum of the townships (the total row is not made up)
    for col in ("area_total_mu", "pa_film_kg", "gen_seed_kg", "funds_total_10k_yuan"):
        s = sum(float(r[col]) for t, r in ours.items() if t != "total")
        check(abs(s - float(total[col])) < 1e-6, f"total {col} {total[col]} != sum {s}")
    return ours


def test_json_same(cfg, ours):
    doc = json.loads(report(cfg, "--format", "json"))
    check(doc["level"] == "township" and len(doc["rows"]) == 7, f"json rows: {len(doc['rows'])}")
    for row in doc["rows"]:
        for col, v in row.items():
            if isinstance(v, (int, float)):
                check(abs(v - float(ours[row["township"]][col])) < 1e-9,
                      f"json {row['township']} {col} {v} != csv {ours[row['township']][col]}")
    check(doc["total"]["funds_total_10k_yuan"] == 1594.2, f"json total {doc['total']}")
    check("point evidence" in doc["note"], "json has no point-evidence note")


def test_categories(cfg, ours):
    gen = rows_by_township(report(cfg, "--category", "general"))
    pa = rows_by_township(report(cfg, "--category", "脱贫户"))
    for t in ours:
        check(float(gen[t]["area_poverty_alleviated_mu"]) == 0, f"{t}: general report has pa area")
        check(gen[t]["gen_film_kg"] == ours[t]["gen_film_kg"], f"{t}: general film kg differs")
        check(pa[t]["pa_seed_kg"] == ours[t]["pa_seed_kg"], f"{t}: pa seed kg differs")
        s = float(gen[t]["funds_total_yuan"]) + float(pa[t]["funds_total_yuan"])
        check(abs(s - float(ours[t]["funds_total_yuan"])) < 1e-6, f"{t}: categories do not add up")


def test_perturbed_rate_caught(d):
    """One rate changed by a little: the comparison must name exactly what it moved."""
    cfg = write_config(d, "rates: {film_yuan_per_kg: 14.01}")
    bad = mismatches(rows_by_township(report(cfg)))
    cols = {m[2] for m in bad}
    check(cols == {"funds_total_10k_yuan"} and len(bad) == 7,
          f"film at 14.01 yuan/kg: want funds_total_10k_yuan of 7 townships differing, got {bad}")
    cfg = write_config(d, "rates: {half_film_kg_per_mu: 7.001}")
    bad = mismatches(rows_by_township(report(cfg)))
    check({m[2] for m in bad} == {"pa_film_kg", "gen_film_kg", "funds_total_10k_yuan"},
          f"half film 7.001 kg/mu: got {bad}")
    check(not any(m[1] in ("六盘山镇", "大湾乡") for m in bad), f"full-film townships moved: {bad}")


def run():
    d = tmpdir("fg-golden-")
    nh, np_ = gen_plan_records.generate(d)
    check(nh > 1000 and np_ > nh, f"generated {nh} households, {np_} plots")
    cfg = write_config(d)
    ours = test_golden(d, cfg)
    test_json_same(cfg, ours)
    test_categories(cfg, ours)
    test_perturbed_rate_caught(d)


if __name__ == "__main__":
    main(run)
