"""Benchmark: `kokai validate` against `frictionless.validate` on the same file and schema.

Generates two kinds of CSV of 10k, 100k and 1M rows in a temporary folder:
  - shelters: the current 03 指定緊急避難場所一覧 layout (39 columns, 3 % of the
    rows with a bad cell), checked with the bundled schema evacuation-sites;
  - facilities: a city's own 12-column facility list (公共施設一覧), mostly clean
    (0.2 % of the rows with a bad cell), checked with a schema file of those 12
    fields taken from the bundled public-facilities schema;
and times, in the same run:
  - kokai in-process: read + Table Schema checks only (`check_table_schema`)
  - kokai in-process: `validate_paths` (read, schema, Japanese rules)
  - kokai command: `kokai validate FILE --schema evacuation-sites --format json`
  - frictionless: `frictionless.validate` with the same schema (no error limit,
    so that it reads the whole file as kokai does)
kokai runs 3 times (median); frictionless runs once per size and file (about
50 s at 1M rows). Every timed run is a fresh process so that peak memory (max
RSS from getrusage) is its own. The ratios compare the kokai command with
frictionless: time (frictionless / kokai) and peak memory (kokai / frictionless).

    .venv/bin/python bench/validate_table.py [--sizes 10000,100000,1000000] [--runs 3] [--files shelters,facilities]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
SCHEMA = "evacuation-sites"
BAD_RATE = 0.03  # share of rows carrying one bad cell
FACILITY_BAD_RATE = 0.002
FACILITY_FIELDS = [
    "全国地方公共団体コード", "ID", "名称", "名称_カナ", "所在地_連結表記", "緯度", "経度",
    "電話番号", "郵便番号", "利用可能曜日", "開始時間", "URL",
]  # fmt: skip


def _lgcode(body: str) -> str:
    weights = (6, 5, 4, 3, 2)
    r = sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11
    return body + str((11 - r) % 10)


def generate(path: Path, rows: int, seed: int = 2) -> None:
    sys.path.insert(0, str(ROOT))
    from kokai.validators.schemas import load_schema

    header = [f["name"] for f in load_schema(SCHEMA)["fields"]]
    rng = random.Random(seed)
    city = _lgcode("22999")
    towns = ["本町", "栄町", "港町", "緑が丘", "東新町", "西浜", "北山", "南台"]
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        for i in range(1, rows + 1):
            town = rng.choice(towns)
            block = rng.randint(1, 40)
            lat = 34.70 + rng.random() * 0.05
            lon = 137.90 + rng.random() * 0.10
            flags = ["1" if rng.random() < 0.6 else "" for _ in range(9)]
            row = {
                "全国地方公共団体コード": city,
                "ID": f"CC{i:010d}",
                "名称": f"{town}第{block}避難場所{i}",
                "名称_カナ": "ヒナンバショ",
                "名称_英字": f"Hinan basho {i}",
                "所在地_全国地方公共団体コード": city,
                "町字ID": f"{rng.randint(1, 999):04d}000",
                "所在地_連結表記": f"静岡県潮見市{town}{block}-{rng.randint(1, 30)}",
                "所在地_都道府県": "静岡県",
                "所在地_市区町村": "潮見市",
                "所在地_町字": town,
                "所在地_番地以下": f"{block}-{rng.randint(1, 30)}",
                "建物名等(方書)": "",
                "緯度": f"{lat:.6f}",
                "経度": f"{lon:.6f}",
                "標高": f"{rng.random() * 30:.1f}",
                "電話番号": f"053-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
                "内線番号": "",
                "連絡先メールアドレス": "",
                "連絡先FormURL": "",
                "連絡先備考（その他、SNSなど）": "",
                "郵便番号": f"43{rng.randint(0, 99999):05d}",
                "市区町村コード": city,
                "地方公共団体名": "静岡県潮見市",
                "想定収容人数": str(rng.randint(50, 2000)),
                "対象となる町会・自治会": f"{town}1丁目;{town}2丁目",
                "URL": "",
                "画像": "",
                "画像_ライセンス": "",
                "備考": "",
            }
            for name, flag in zip([h for h in header if h.startswith("災害種別_")] + ["指定避難所との重複"], flags, strict=True):
                row[name] = flag
            if rng.random() < BAD_RATE:  # one typical mistake
                kind = rng.randrange(5)
                if kind == 0:
                    row["想定収容人数"] = f"{rng.randint(50, 2000)}人"
                elif kind == 1:
                    row["災害種別_地震"] = "○"
                elif kind == 2:
                    row["緯度"], row["経度"] = row["経度"], row["緯度"]
                elif kind == 3:
                    row["郵便番号"] = "430-0001"
                else:
                    row["名称"] = ""
            writer.writerow([row[h] for h in header])


def write_facility_schema(path: Path) -> None:
    """The 12 fields of FACILITY_FIELDS as the bundled public-facilities schema
    describes them, as a schema file (a city's own extract of the standard)."""
    sys.path.insert(0, str(ROOT))
    from kokai.validators.schemas import load_schema

    bundled = {f["name"]: f for f in load_schema("public-facilities")["fields"]}
    schema = {"name": "shiomi-facilities", "title": "潮見市 公共施設一覧",
              "fields": [bundled[name] for name in FACILITY_FIELDS]}
    path.write_text(json.dumps(schema, ensure_ascii=False, indent=1), encoding="utf-8")


def generate_facilities(path: Path, rows: int, seed: int = 3) -> None:
    rng = random.Random(seed)
    city = _lgcode("22999")
    towns = ["本町", "栄町", "港町", "緑が丘", "東新町", "西浜", "北山", "南台"]
    kinds = ["公民館", "図書館", "体育館", "児童館", "集会所", "市民センター"]
    kana = {"公民館": "コウミンカン", "図書館": "トショカン", "体育館": "タイイクカン",
            "児童館": "ジドウカン", "集会所": "シュウカイジョ", "市民センター": "シミンセンター"}
    days = ["月火水木金", "火水木金土日", "月火水木金土", "土日祝"]
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(FACILITY_FIELDS)
        for i in range(1, rows + 1):
            town, kind = rng.choice(towns), rng.choice(kinds)
            block = rng.randint(1, 40)
            row = [
                city, f"F{i:09d}", f"潮見市{town}{kind}{i}", f"シオミシ{kana[kind]}",
                f"静岡県潮見市{town}{block}-{rng.randint(1, 30)}",
                f"{34.70 + rng.random() * 0.05:.6f}", f"{137.90 + rng.random() * 0.10:.6f}",
                f"053-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
                f"43{rng.randint(0, 99999):05d}", rng.choice(days), f"{rng.randint(8, 10):02d}:00",
                f"https://www.city.shiomi.example.jp/shisetsu/{i}.html" if rng.random() < 0.5 else "",
            ]
            if rng.random() < FACILITY_BAD_RATE:  # one typical mistake
                kind_of_error = rng.randrange(3)
                if kind_of_error == 0:
                    row[8] = f"{row[8][:3]}-{row[8][3:]}"  # 郵便番号 with a hyphen
                elif kind_of_error == 1:
                    row[7] = row[7].replace("-", "")  # 電話番号 without hyphens
                else:
                    row[2] = ""  # 名称 (required) empty
            writer.writerow(row)


def _run(code: str, *args: str) -> tuple[float, int, str]:
    """Run python code in a fresh process: (seconds reported, max RSS MiB, stdout)."""
    proc = subprocess.Popen(
        [PYTHON, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT
    )
    out, err = proc.communicate()
    if proc.returncode not in (0, 1) or not out.strip():
        raise RuntimeError(err.decode(errors="replace")[-2000:])
    result = json.loads(out.decode().strip().splitlines()[-1])
    return result["seconds"], result["max_rss_mib"], result.get("note", "")


_PRELUDE = """
import json, resource, sys, time
def done(seconds, note=""):
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "max_rss_mib": round(rss), "note": note}))
"""

KOKAI_SCHEMA_ONLY = _PRELUDE + """
t = time.perf_counter()
from kokai.validators.reading import read_table
from kokai.validators.report import Report
from kokai.validators.schemas import load_schema
from kokai.validators.table_schema import check_table_schema
report = Report()
table = read_table(sys.argv[1])
check_table_schema(table, load_schema(sys.argv[2]), report)
done(time.perf_counter() - t, f"{sum(report.codes().values())} findings")
"""

KOKAI_VALIDATE = _PRELUDE + """
t = time.perf_counter()
from kokai.validators.table import validate_paths
report = validate_paths([sys.argv[1]], schema=sys.argv[2])
done(time.perf_counter() - t, f"{sum(report.codes().values())} findings")
"""

KOKAI_COMMAND = _PRELUDE + """
import subprocess, os
t = time.perf_counter()
proc = subprocess.run([sys.argv[3], "validate", sys.argv[1], "--schema", sys.argv[2],
                       "--format", "json"], stdout=subprocess.DEVNULL)
seconds = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "max_rss_mib": round(rss), "note": f"exit {proc.returncode}"}))
"""

FRICTIONLESS = _PRELUDE + """
t = time.perf_counter()
import frictionless
from kokai.validators.schemas import load_schema
schema = load_schema(sys.argv[2])
schema = {k: v for k, v in schema.items() if not k.startswith("kokai:") and k != "$schema"}
schema["fields"] = [{k: v for k, v in f.items() if not k.startswith("kokai:")} for f in schema["fields"]]
import os
table_resource = frictionless.Resource(
    path=os.path.basename(sys.argv[1]), basepath=os.path.dirname(sys.argv[1]),
    schema=frictionless.Schema.from_descriptor(schema),
)
report = frictionless.validate(table_resource, limit_errors=10**9)
done(time.perf_counter() - t, f"{report.stats['errors']} errors")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--files", default="shelters,facilities")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    files = args.files.split(",")
    kokai_bin = str(Path(PYTHON).with_name("kokai"))
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; kokai: median of {args.runs} runs, "
          "frictionless: 1 run per size and file; peak = max RSS of the process (kokai: worst run)")
    summary = []
    with tempfile.TemporaryDirectory() as tmp:
        facility_schema = Path(tmp) / "facilities.schema.json"
        write_facility_schema(facility_schema)
        kinds = {
            "shelters": (generate, SCHEMA, f"39 columns, {BAD_RATE:.0%} rows with a bad cell, schema {SCHEMA}"),
            "facilities": (generate_facilities, str(facility_schema),
                           f"12 columns, {FACILITY_BAD_RATE:.1%} rows with a bad cell, a 12-field schema file"),
        }
        for rows in sizes:
            for kind in files:
                make, schema, about = kinds[kind]
                path = Path(tmp) / f"{kind}_{rows}.csv"
                make(path, rows)
                size_mib = path.stat().st_size / 2**20
                print(f"\n== {kind}: {rows:,} rows ({size_mib:.1f} MiB; {about}) ==")
                results = {}
                for label, code, extra in (
                    ("kokai read+schema", KOKAI_SCHEMA_ONLY, []),
                    ("kokai validate_paths", KOKAI_VALIDATE, []),
                    ("kokai command", KOKAI_COMMAND, [kokai_bin]),
                ):
                    runs = [_run(code, str(path), schema, *extra) for _ in range(args.runs)]
                    seconds = statistics.median(r[0] for r in runs)
                    rss = max(r[1] for r in runs)
                    results[label] = (seconds, rss)
                    print(f"{label:<22} {seconds:8.2f} s  {rows / seconds:>12,.0f} rows/s  "
                          f"peak {rss:>5} MiB  ({runs[0][2]})")
                seconds, rss, note = _run(FRICTIONLESS, str(path), schema)
                print(f"{'frictionless.validate':<22} {seconds:8.2f} s  {rows / seconds:>12,.0f} rows/s  "
                      f"peak {rss:>5} MiB  ({note})")
                for label, (kokai_seconds, kokai_rss) in results.items():
                    print(f"  frictionless / {label}: time {seconds / kokai_seconds:6.1f}x faster, "
                          f"peak memory {kokai_rss / rss:4.1f}x frictionless'")
                command_seconds, command_rss = results["kokai command"]
                summary.append(f"{kind:<10} {rows:>9,} rows: command {seconds / command_seconds:5.1f}x faster "
                               f"than frictionless, peak memory {command_rss / rss:4.1f}x")
    print("\n== summary (kokai command vs frictionless) ==")
    print("\n".join(summary))


if __name__ == "__main__":
    main()
