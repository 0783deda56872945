#!/usr/bin/env python3
"""The html report renders in headless Chromium and prints on A4: every page of the
printed PDF is A4 (pdfinfo), nothing is cut off (pdftotext finds every column heading and
every number of the total row), and the page has no script and no external resource.
Runs on records generated to add up to the county's plan (66 village rows, several pages)."""
import csv
import io
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_plan_records  # noqa: E402
from gwtest import FIELDGATE, check, main, tmpdir  # noqa: E402

A4 = (595.0, 842.0)  # points, either way round


def chromium(d, *args):
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    check(exe, "chromium is not installed (scripts/setup.sh --test installs it)")
    profile = os.path.join(d, "chromium-profile")
    p = subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu",
                        "--disable-background-networking", "--disable-component-update",
                        "--disable-sync", "--no-first-run", f"--user-data-dir={profile}", *args],
                       capture_output=True, timeout=120)
    check(p.returncode == 0, f"chromium {args[0]} exit {p.returncode}: {p.stderr.decode()[-2000:]}")
    return p.stdout.decode("utf-8", "replace")


def report(cfg, *args):
    p = subprocess.run([FIELDGATE, "report", "-c", cfg, *args], capture_output=True, timeout=60)
    check(p.returncode == 0, f"report {args}: exit {p.returncode}: {p.stderr.decode()}")
    return p.stdout.decode("utf-8-sig")  # csv: UTF-8 with a BOM


def pdf_pages(pdf):
    out = subprocess.run(["pdfinfo", "-f", "1", "-l", "1000", pdf], capture_output=True,
                         text=True, timeout=60).stdout
    sizes = re.findall(r"Page +\d+ size: +([\d.]+) x ([\d.]+) pts", out)
    check(sizes, f"pdfinfo printed no page sizes: {out}")
    for w, h in sizes:
        dims = sorted((float(w), float(h)))
        check(abs(dims[0] - A4[0]) < 2 and abs(dims[1] - A4[1]) < 2, f"page {w} x {h} pts is not A4")
    return len(sizes)


def check_printed(d, cfg, level, min_pages):
    html = os.path.join(d, f"{level}.html")
    pdf = os.path.join(d, f"{level}.pdf")
    report(cfg, "--level", level, "--format", "html", "--out", html)
    page = open(html, encoding="utf-8").read()
    check("<script" not in page.lower(), "script in the page")
    check(not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page, re.I), "external resource")
    check("@page { size: A4" in page, "no A4 page rule")
    chromium(d, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", "file://" + html)
    pages = pdf_pages(pdf)
    check(pages >= min_pages, f"{level}: {pages} pages (want >= {min_pages})")
    text = subprocess.run(["pdftotext", "-raw", pdf, "-"], capture_output=True, text=True,
                          timeout=60).stdout
    rows = list(csv.reader(io.StringIO(report(cfg, "--level", level))))
    words = set(text.split())
    joined = "".join(text.split())  # a heading wrapped inside its cell is still in order
    missing = [k for k in rows[0] if k not in joined]
    check(not missing, f"{level}: column headings not in the printed PDF (cut off?): {missing}")
    missing = [v for v in rows[-1][1:] if v and v not in words]
    check(not missing, f"{level}: total row values not in the printed PDF (cut off?): {missing}")
    dom = chromium(d, "--dump-dom", "file://" + html)
    check("</table>" in dom and "point evidence" in dom, f"{level}: DOM lacks the tables or the note")
    return pages


def run():
    d = tmpdir("fg-html-")
    gen_plan_records.generate(d)
    cfg = os.path.join(d, "gateway.yaml")
    with open(cfg, "w", encoding="utf-8") as f:
        f.write(f"""gateway: {{id: county, township: 新民乡, data_dir: {d}/data}}
records: {{households: households.csv, plots: plots.csv}}
buses:
  - {{name: t1, type: tcp, host: 127.0.0.1, port: 1502}}
sensors:
  - {{id: s1, bus: t1, unit: 1, profile: seeed-s-soil-mtec-02, plot: XM-00001}}
""")
    village = check_printed(d, cfg, "village", 3)
    township = check_printed(d, cfg, "township", 1)
    print(f"village report: {village} A4 pages, township report: {township}")
    shutil.rmtree(d)


if __name__ == "__main__":
    main(run)
