#!/usr/bin/env python3
"""The county's sheets (`report --form summary|roster`, 附表 3-6) from records generated to add
up to the 2023 plan (gen_plan_records.py): every cell of one township's 汇总表 and of one
village's 花名册, for each household category, equals what this test computes on its own
from households.csv and plots.csv and the gazette's rates (合计资金 = 地膜资金 + 种子资金, no
intercrop money), in the CSV and in the xlsx read back with openpyxl (every cell, every
merged heading, A4 landscape, fit to width, heading rows repeated, ID numbers as text, no
formula anywhere). Also: the CSV starts with a BOM and reads back the same as GB18030;
record strings starting with = + - @ are neutralised in the CSV and stay plain strings in
the xlsx; --township/--village select sheets, an unknown name exits 2 listing what exists.

How it fails without the fixes: with the intercrop money in 合计资金 the summary of 新民乡
differs by 54 yuan/mu of intercrop; without the BOM the first bytes differ; without
neutralisation a cell starts with "="; a merged range or page setting missing fails the
read-back; an ID number written as a number comes back as a float."""
import csv
import io
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_plan_records  # noqa: E402
from gwtest import FIELDGATE, check, main, tmpdir  # noqa: E402
from test_report_html import chromium, pdf_pages  # noqa: E402

import openpyxl  # noqa: E402  (Debian's python3-openpyxl: scripts/setup.sh --test)

RATES = {"full_kg": 9, "half_kg": 7, "rolls": 1, "film_yuan": 14, "seed_kg": 2, "seed_yuan": 25}
CATS = {"poverty_alleviated": "脱贫户", "general": "一般户"}
TOWNSHIP, VILLAGE = "新民乡", "新民村"


def report(cfg, *args, rc=0):
    p = subprocess.run([FIELDGATE, "report", "-c", cfg, *args], capture_output=True, timeout=120)
    check(p.returncode == rc, f"report {args}: exit {p.returncode} (want {rc}): {p.stderr.decode()}")
    return p.stdout, p.stderr.decode("utf-8")


def load_records(d):
    with open(os.path.join(d, "households.csv"), encoding="utf-8") as f:
        households = list(csv.DictReader(f))
    with open(os.path.join(d, "plots.csv"), encoding="utf-8") as f:
        plots = list(csv.DictReader(f))
    return households, plots


def amounts(plots):
    """The form's amounts of a list of plots, computed here from the gazette's rates."""
    a = dict.fromkeys(("area", "full_rolls", "full_kg", "half_rolls", "half_kg", "full_yuan",
                       "half_yuan", "seed_kg", "seed_yuan"), 0.0)
    for p in plots:
        mu = float(p["area_mu"])
        a["area"] += mu
        film = p["film"]
        if film in ("full", "half"):
            a[film + "_rolls"] += mu * RATES["rolls"]
            a[film + "_kg"] += mu * RATES[film + "_kg"]
            a[film + "_yuan"] += mu * RATES[film + "_kg"] * RATES["film_yuan"]
        a["seed_kg"] += mu * RATES["seed_kg"]
        a["seed_yuan"] += mu * RATES["seed_kg"] * RATES["seed_yuan"]
    a["funds"] = a["full_yuan"] + a["half_yuan"] + a["seed_yuan"]
    return a


def varieties(plots):
    out = []
    for p in plots:
        if p["seed_variety"] not in out:
            out.append(p["seed_variety"])
    return ";".join(out)


def mask(s, head, stars, tail):
    return s[:head] + "*" * stars + s[len(s) - tail:] if s else None


def film_cells(a):
    return [a["full_rolls"], a["full_kg"], a["half_rolls"], a["half_kg"]]


def want_summary(households, plots, cat):
    """附表 3/5 of TOWNSHIP: a row per village (in the order the records first name it), 合计."""
    by_hh = {}
    for p in plots:
        by_hh.setdefault(p["household_id"], []).append(p)
    villages = []
    for h in households:
        if h["township"] == TOWNSHIP and h["category"] == cat and h["village"] not in villages:
            villages.append(h["village"])
    rows, all_plots, all_hh = [], [], []
    for i, v in enumerate(villages, 1):
        hh = [h for h in households if h["township"] == TOWNSHIP and h["category"] == cat and h["village"] == v]
        ps = [p for h in hh for p in by_hh.get(h["household_id"], [])]
        ps.sort(key=lambda p: plots.index(p))
        a = amounts(ps)
        rows.append([i, v, len(hh), sum(int(h["beneficiaries"]) for h in hh), a["area"], *film_cells(a),
                     a["full_yuan"], a["half_yuan"], varieties(ps), a["seed_kg"], a["seed_yuan"], a["funds"], None])
        all_plots += ps
        all_hh += hh
    a = amounts(all_plots)
    rows.append([None, "合计", len(all_hh), sum(int(h["beneficiaries"]) for h in all_hh), a["area"],
                 *film_cells(a), a["full_yuan"], a["half_yuan"], None, a["seed_kg"], a["seed_yuan"], a["funds"], None])
    return rows


def want_roster(households, plots, cat, unmasked=False):
    """附表 4/6 of VILLAGE in TOWNSHIP: a row per household, then 合计."""
    rows, all_plots, people = [], [], 0
    hh = [h for h in households if h["township"] == TOWNSHIP and h["village"] == VILLAGE and h["category"] == cat]
    for i, h in enumerate(hh, 1):
        ps = [p for p in plots if p["household_id"] == h["household_id"]]
        a = amounts(ps)
        idn = h["id_number"] if unmasked else mask(h["id_number"], 6, 8, 4)
        phone = h["phone"] if unmasked else mask(h["phone"], 3, 4, 4)
        rows.append([i, h["name"], h["group"], idn, int(h["beneficiaries"]), a["area"], *film_cells(a),
                     varieties(ps), a["seed_kg"], a["full_yuan"], a["half_yuan"], a["seed_yuan"], a["funds"],
                     phone, None])
        all_plots += ps
        people += int(h["beneficiaries"])
    a = amounts(all_plots)
    rows.append([None, "合计", None, None, people, a["area"], *film_cells(a), None, a["seed_kg"],
                 a["full_yuan"], a["half_yuan"], a["seed_yuan"], a["funds"], None, None])
    return rows


def same(got, want):
    """A cell as read (text from the csv, a value from the xlsx) against the computed one."""
    if want is None:
        return got in (None, "")
    if isinstance(want, (int, float)):
        try:
            return abs(float(got) - want) < 0.005
        except (TypeError, ValueError):
            return False
    return str(got) == want


def compare(what, got_rows, want_rows):
    check(len(got_rows) == len(want_rows), f"{what}: {len(got_rows)} rows, want {len(want_rows)}")
    for r, (g, w) in enumerate(zip(got_rows, want_rows)):
        check(len(g) == len(w), f"{what} row {r}: {len(g)} cells, want {len(w)}")
        bad = [(c, g[c], w[c]) for c in range(len(w)) if not same(g[c], w[c])]
        check(not bad, f"{what} row {r + 1}: (column, got, want) {bad}")


def csv_rows(raw, lead):
    check(raw.startswith(b"\xef\xbb\xbf"), f"csv does not start with a BOM: {raw[:8]!r}")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    return rows[0], [r[lead:] for r in rows[1:]]


def test_golden_csv(cfg, households, plots):
    for cat, zh in CATS.items():
        raw, _ = report(cfg, "--form", "summary", "--township", TOWNSHIP, "--category", cat)
        head, rows = csv_rows(raw, 2)
        check(head[:4] == ["乡（镇）", "类别", "序号", "行政村"] and head[7] == "地膜/全膜/卷"
              and head[-3:] == ["种子资金", "合计资金", "备注"], f"summary csv heading {head}")
        compare(f"summary {cat} csv", rows, want_summary(households, plots, cat))
        raw, _ = report(cfg, "--form", "roster", "--township", TOWNSHIP, "--village", VILLAGE, "--category", cat)
        head, rows = csv_rows(raw, 3)
        check(head[3:7] == ["序号", "姓名", "组", "身份证号"] and head[-2:] == ["电话", "签名"]
              and head[13] == "种子/品种", f"roster csv heading {head}")
        compare(f"roster {cat} csv", rows, want_roster(households, plots, cat))
        lead = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))[1][:3]
        check(lead == [TOWNSHIP, VILLAGE, zh], f"roster csv place columns {lead}")


# The merged headings of the gazette's forms (rows 3-5 of the worksheet).
SUMMARY_MERGES = {"A3:A5", "B3:B5", "C3:C5", "D3:D5", "E3:E5", "F3:I3", "F4:G4", "H4:I4", "J3:K3",
                  "J4:J5", "K4:K5", "L3:M3", "L4:L5", "M4:M5", "N3:N5", "O3:O5", "P3:P5"}
ROSTER_MERGES = {"A3:A5", "B3:B5", "C3:C5", "D3:D5", "E3:E5", "F3:F5", "G3:J3", "G4:H4", "I4:J4",
                 "K3:L3", "K4:K5", "L4:L5", "M3:N3", "M4:M5", "N4:N5", "O3:O5", "P3:P5", "Q3:Q5", "R3:R5"}


def check_worksheet(ws, what, title, merges, want_rows):
    check(ws.cell(1, 1).value == title, f"{what}: title {ws.cell(1, 1).value!r}")
    check(ws.cell(2, 1).value.startswith("乡（镇）：" + TOWNSHIP), f"{what}: place {ws.cell(2, 1).value!r}")
    check(any(c.value == "单位：亩、卷、公斤、元" for c in ws[2]), f"{what}: no units line")
    got = {str(m) for m in ws.merged_cells.ranges}
    check(merges <= got, f"{what}: merged headings missing: {sorted(merges - got)}")
    check(ws.cell(3, 7 if "roster" in what else 6).value == "地膜" and ws.cell(5, 7 if "roster" in what else 6).value == "卷",
          f"{what}: film heading")
    ps = ws.page_setup
    check(ps.orientation == "landscape" and int(ps.paperSize) == 9, f"{what}: page {ps.orientation} {ps.paperSize}")
    check(ws.sheet_properties.pageSetUpPr.fitToPage and ps.fitToWidth in (None, 1) and ps.fitToHeight == 0,
          f"{what}: not fit to the page's width ({ps.fitToWidth} x {ps.fitToHeight})")
    check(ws.print_title_rows == "$3:$5", f"{what}: heading rows repeated: {ws.print_title_rows}")
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=6, max_row=5 + len(want_rows))]
    compare(what, rows, want_rows)
    for r in ws.iter_rows():
        for c in r:
            check(c.data_type != "f", f"{what}: formula in {c.coordinate}: {c.value}")
    tail = [c.value for r in ws.iter_rows(min_row=6 + len(want_rows)) for c in r if c.value]
    check(tail[0].startswith("注：全膜 9 公斤/亩（1 卷），14 元/公斤，半膜 7 公斤/亩") and
          tail[1:] == ["村级负责人签字：", "村监委会主任签字：", "乡（镇）农业发展服务中心负责人签字："],
          f"{what}: note and signature lines {tail}")


def test_xlsx(d, cfg, households, plots):
    path = os.path.join(d, "summary.xlsx")
    report(cfg, "--form", "summary", "--township", TOWNSHIP, "--format", "xlsx", "--out", path)
    wb = openpyxl.load_workbook(path)
    check(wb.sheetnames == [f"附表3 {TOWNSHIP}", f"附表5 {TOWNSHIP}"], f"summary worksheets {wb.sheetnames}")
    for name, (cat, zh) in zip(wb.sheetnames, CATS.items()):
        check_worksheet(wb[name], f"summary {cat} xlsx", f"2023 年优质高产高效玉米地膜、种子发放汇总表（{zh}）",
                        SUMMARY_MERGES, want_summary(households, plots, cat))
    path = os.path.join(d, "roster.xlsx")
    report(cfg, "--form", "roster", "--township", TOWNSHIP, "--village", VILLAGE, "--format", "xlsx",
           "--out", path, "--unmasked")
    check(os.stat(path).st_mode & 0o777 == 0o600, f"unmasked xlsx mode {oct(os.stat(path).st_mode)}")
    wb = openpyxl.load_workbook(path)
    check(wb.sheetnames == [f"附表4 {TOWNSHIP} {VILLAGE}", f"附表6 {TOWNSHIP} {VILLAGE}"], f"roster {wb.sheetnames}")
    for name, (cat, zh) in zip(wb.sheetnames, CATS.items()):
        ws = wb[name]
        check_worksheet(ws, f"roster {cat} xlsx", f"2023 年优质高产高效玉米地膜、种子发放花名册（{zh}）",
                        ROSTER_MERGES, want_roster(households, plots, cat, unmasked=True))
        ids = [ws.cell(r, 4) for r in range(6, ws.max_row) if isinstance(ws.cell(r, 1).value, (int, float))]
        check(ids and all(c.data_type == "s" and len(c.value) == 18 and c.number_format == "@" for c in ids),
              f"ID numbers not text: {[(c.value, c.data_type) for c in ids[:3]]}")


def test_encodings(cfg):
    args = ("--form", "roster", "--township", TOWNSHIP, "--village", VILLAGE)
    utf8, _ = report(cfg, *args)
    gb, _ = report(cfg, *args, "--encoding", "gb18030")
    plain, _ = report(cfg, *args, "--encoding", "utf-8")
    check(utf8[:3] == b"\xef\xbb\xbf" and plain == utf8[3:], "BOM: utf-8-bom is utf-8 after a BOM")
    check(not gb.startswith(b"\xef\xbb\xbf") and gb.decode("gb18030") == plain.decode("utf-8"),
          "GB18030 does not read back as the UTF-8 csv")
    check("花名册" not in plain.decode() and gb != plain, "the gb18030 bytes are the utf-8 ones")
    _, err = report(cfg, *args, "--encoding", "latin1", rc=2)
    check("gb18030" in err, f"bad --encoding: {err}")


HOSTILE = ["=HYPERLINK(\"http://x\",\"y\")", "+1+2", "-3+4", "@SUM(A1)"]


def test_hostile(d, cfg):
    """Names and a seed variety a spreadsheet would run as formulas."""
    hdir = os.path.join(d, "hostile")
    shutil.copytree(d, hdir, ignore=shutil.ignore_patterns("*.xlsx", "hostile", "data"))
    households, plots = load_records(hdir)
    targets = [h for h in households if h["township"] == TOWNSHIP and h["village"] == VILLAGE][:len(HOSTILE)]
    for h, s in zip(targets, HOSTILE):
        h["name"] = s
    for p in plots:
        if p["household_id"] == targets[0]["household_id"]:
            p["seed_variety"] = "=cmd|' /C calc'!A0"
    for name, rows in (("households.csv", households), ("plots.csv", plots)):
        with open(os.path.join(hdir, name), "w", encoding="utf-8", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
            w.writeheader()
            w.writerows(rows)
    hcfg = os.path.join(hdir, "gateway.yaml")
    with open(hcfg, "w", encoding="utf-8") as f:
        f.write(open(cfg, encoding="utf-8").read().replace(d, hdir))
    raw, _ = report(hcfg, "--form", "roster", "--township", TOWNSHIP, "--village", VILLAGE)
    cells = [c for r in csv.reader(io.StringIO(raw.decode("utf-8-sig"))) for c in r]
    live = [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    check(not live, f"formula-like cells left live in the csv: {live}")
    for s in HOSTILE + ["=cmd|' /C calc'!A0"]:
        check("'" + s in cells, f"{s!r} not neutralised as '{s!r} in the csv")
    path = os.path.join(hdir, "r.xlsx")
    report(hcfg, "--form", "roster", "--township", TOWNSHIP, "--village", VILLAGE, "--format", "xlsx", "--out", path)
    values = {}
    for ws in openpyxl.load_workbook(path):
        for r in ws.iter_rows():
            for c in r:
                check(c.data_type != "f", f"xlsx formula in {ws.title} {c.coordinate}: {c.value}")
                values[c.value] = c.data_type
    for s in HOSTILE:
        check(values.get(s) == "s", f"{s!r} not a plain string in the xlsx")


def test_selection(cfg):
    raw, _ = report(cfg, "--form", "roster", "--village", "太阳洼村")
    places = {tuple(r[:2]) for r in list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))[1:]}
    check(places == {("香水镇", "太阳洼村"), ("六盘山镇", "太阳洼村")}, f"太阳洼村 of both townships: {places}")
    raw, _ = report(cfg, "--form", "roster", "--township", "六盘山镇", "--village", "太阳洼村")
    places = {tuple(r[:2]) for r in list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))[1:]}
    check(places == {("六盘山镇", "太阳洼村")}, f"--township narrows: {places}")
    raw, _ = report(cfg, "--form", "summary", "--category", "general")
    towns = [r[0] for r in list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))[1:]]
    check(len(set(towns)) == 7 and all(r == "一般户" for r in
          [r[1] for r in list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))[1:]]), "all general summaries")
    for args, want in ((("--township", "新民"), "新民乡, 泾河源镇, 兴盛乡"),
                       (("--township", TOWNSHIP, "--village", "太阳洼村"), "新民村"),
                       (("--village", "无此村"), "太阳洼村 (六盘山镇)")):
        _, err = report(cfg, "--form", "roster", *args, rc=2)
        check(want in err, f"{args}: error does not list what exists: {err}")
    _, err = report(cfg, "--form", "summary", "--village", VILLAGE, rc=2)
    check("--township" in err, f"summary --village: {err}")
    _, err = report(cfg, "--form", "tally", rc=2)
    check("summary" in err and "roster" in err and "visits" in err, f"unknown form: {err}")
    for args in (("--form", "roster", "--level", "household"), ("--form", "roster", "--format", "json"),
                 ("--level", "plot", "--format", "xlsx", "--out", "x.xlsx"),
                 ("--form", "roster", "--format", "xlsx"), ("--township", TOWNSHIP)):
        report(cfg, *args, rc=2)


def test_html_print(d, cfg):
    """The sheets print on A4 in headless Chromium with every heading, total and signature."""
    for form, args, words in (
            ("summary", ("--township", TOWNSHIP), ["汇总表（脱贫户）", "汇总表（一般户）", "行政村", "备注"]),
            ("roster", ("--township", TOWNSHIP, "--village", VILLAGE), ["花名册（脱贫户）", "身份证号", "签名"])):
        html = os.path.join(d, form + ".html")
        pdf = os.path.join(d, form + ".pdf")
        report(cfg, "--form", form, *args, "--format", "html", "--out", html)
        page = open(html, encoding="utf-8").read()
        check("<script" not in page and "@page { size: A4 landscape" in page, f"{form} html page rule")
        chromium(d, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", "file://" + html)
        pages = pdf_pages(pdf)
        text = "".join(subprocess.run(["pdftotext", "-raw", pdf, "-"], capture_output=True, text=True,
                                      timeout=60).stdout.split())
        words += ["地膜资金", "种子资金", "合计资金", "村级负责人签字", "村监委会主任签字",
                  "乡（镇）农业发展服务中心负责人签字", "单位：亩、卷、公斤、元"]
        missing = [w for w in words if w not in text]
        check(not missing, f"{form}: not in the printed PDF: {missing}")
        check(pages >= 2, f"{form}: {pages} pages (a sheet per category starts a page)")


def test_english(cfg):
    raw, _ = report(cfg, "--form", "summary", "--township", TOWNSHIP, "--lang", "en")
    head = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    check(head[0][:4] == ["township", "category", "no", "village"] and head[1][1] == "poverty_alleviated"
          and head[-1][3] == "total", f"--lang en: {head[0][:4]} {head[1][:4]}")


def run():
    d = tmpdir("fg-sheets-")
    gen_plan_records.generate(d)
    households, plots = load_records(d)
    cfg = os.path.join(d, "gateway.yaml")
    with open(cfg, "w", encoding="utf-8") as f:
        f.write(f"""gateway: {{id: county, township: {TOWNSHIP}, data_dir: {d}/data}}
records: {{households: households.csv, plots: plots.csv}}
acceptance: {{year: 2023}}
buses:
  - {{name: t1, type: tcp, host: 127.0.0.1, port: 1502}}
sensors:
  - {{id: s1, bus: t1, unit: 1, profile: seeed-s-soil-mtec-02, plot: XM-00001}}
""")
    test_golden_csv(cfg, households, plots)
    test_xlsx(d, cfg, households, plots)
    test_encodings(cfg)
    test_hostile(d, cfg)
    test_selection(cfg)
    test_english(cfg)
    test_html_print(d, cfg)
    shutil.rmtree(d)


if __name__ == "__main__":
    main(run)
