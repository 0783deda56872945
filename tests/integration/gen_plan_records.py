#!/usr/bin/env python3
"""Writes households.csv and plots.csv that add up to the county's 2023 corn plan
(appendix tables 1 and 2 of the plan: tests/fixtures/reference/*.csv): all 7 townships,
both household categories, full and half film, single, intercrop and grain plantings,
valid GB 11643 ID numbers. Deterministic: the same files on every run.

usage: gen_plan_records.py OUTDIR"""
import csv
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = os.path.join(HERE, "..", "fixtures", "reference")

# Township -> (id prefix, villages). Film: the plan's (Liupanshan and Dawan lay full film).
TOWNSHIPS = {
    "新民乡": ("XM", ["新民村", "杨堡村", "先进村", "张台村", "红星村"]),
    "泾河源镇": ("JH", ["冶家村", "涝池村", "龙潭村", "白面村", "底沟村", "西峡村"]),
    "兴盛乡": ("XS", ["兴盛村", "上金村", "红旗村", "新旗村"]),
    "黄花乡": ("HH", ["黄花村", "胜利村", "平凉庄村", "羊槽村"]),
    "香水镇": ("XZ", ["香水村", "沙南村", "太阳洼村", "米岗村", "惠台村"]),
    "六盘山镇": ("LP", ["和尚铺村", "杨家庄村", "东山坡村", "太阳洼村"]),
    "大湾乡": ("DW", ["大湾村", "杨岭村", "牛营村", "武家垣村", "苏堡村"]),
}
SURNAMES = "马杨禹兰海苏冶李王张刘田何金丁撒"
GIVEN = "建国秀兰志强风英文明玉梅德福春花永红学军慧芳海燕成贵"
VARIETIES = ["先玉335", "正德304", "大丰30", "宁单11"]
CHECK = "10X98765432"


def gb11643(first17):
    s = sum(int(d) * w for d, w in zip(first17, [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]))
    return first17 + CHECK[s % 11]


def read_reference(name):
    with open(os.path.join(REFERENCE, name), encoding="utf-8") as f:
        return {row["township"]: row for row in csv.DictReader(f)}


def split_area(rng, mu):
    """Splits an integer area into plots of 2..20 mu in half-mu steps that add up exactly."""
    units, plots = int(mu) * 2, []
    while units > 0:
        take = min(units, rng.randint(4, 40))
        if 0 < units - take < 4:
            take = units
        plots.append(take / 2)
        units -= take
    return plots


def cells(plan):
    """(category, planting) -> integer mu for one township: each planting shared between the
    categories in proportion to their areas, single crop taking the remainder."""
    pa, gen = int(plan["area_poverty_alleviated_mu"]), int(plan["area_general_mu"])
    total = pa + gen
    out = {}
    for planting, col in (("intercrop", "corn_soy_intercrop_mu"), ("grain", "grain_corn_mu")):
        amount = int(plan[col])
        share = round(amount * pa / total)
        out[("poverty_alleviated", planting)] = share
        out[("general", planting)] = amount - share
    out[("poverty_alleviated", "single")] = pa - out[("poverty_alleviated", "intercrop")] - out[
        ("poverty_alleviated", "grain")]
    out[("general", "single")] = gen - out[("general", "intercrop")] - out[("general", "grain")]
    return out


def generate(outdir):
    rng = random.Random(2023)
    plan = read_reference("township_plan_2023.csv")
    households, plots, ids = [], [], set()
    for township, (prefix, villages) in TOWNSHIPS.items():
        p = plan[township]
        film = "full" if float(p["full_film_mu"]) > 0 else "half"
        nh = 0
        for (category, planting), mu in sorted(cells(p).items()):
            areas = split_area(rng, mu)
            i = 0
            while i < len(areas):
                nh += 1
                hid = "%s-H%05d" % (prefix, nh)
                while True:
                    born = "%04d%02d%02d" % (rng.randint(1950, 2000), rng.randint(1, 12), rng.randint(1, 28))
                    idn = gb11643("640424" + born + "%03d" % rng.randint(0, 999))
                    if idn not in ids:
                        ids.add(idn)
                        break
                households.append({
                    "household_id": hid,
                    "name": rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                    "township": township,
                    "village": rng.choice(villages),
                    "group": str(rng.randint(1, 8)),
                    "id_number": idn,
                    "beneficiaries": str(rng.randint(1, 8)),
                    "category": category,
                    "phone": "1%d%09d" % (rng.choice([3, 5, 7, 8, 9]), rng.randint(0, 999999999)),
                })
                for _ in range(rng.randint(1, 3)):
                    if i == len(areas):
                        break
                    plots.append({
                        "plot_id": "%s-%05d" % (prefix, len(plots) + 1),
                        "household_id": hid,
                        "area_mu": ("%.1f" % areas[i]).rstrip("0").rstrip("."),
                        "film": film,
                        "planting": planting,
                        "seed_variety": rng.choice(VARIETIES),
                    })
                    i += 1
    os.makedirs(outdir, exist_ok=True)
    for name, rows in (("households.csv", households), ("plots.csv", plots)):
        with open(os.path.join(outdir, name), "w", encoding="utf-8", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
            w.writeheader()
            w.writerows(rows)
    return len(households), len(plots)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    nh, np_ = generate(sys.argv[1])
    print("wrote %d households, %d plots to %s" % (nh, np_, sys.argv[1]))
