"""Benchmark: `kokai validate` against `frictionless.validate` on the same file and schema.

Generates shelter-like CSVs in the current 03 指定緊急避難場所一覧 layout (39
columns, a few % bad cells) of 10k, 100k and 1M rows in a temporary folder and
times, in the same run:
  - kokai in-process: read + Table Schema checks only (`check_table_schema`)
  - kokai in-process: `validate_paths` (read, schema, Japanese rules)
  - kokai command: `kokai validate FILE --schema evacuation-sites --format json`
  - frictionless: `frictionless.validate` with the same schema (no error limit,
    so that it reads the whole file as kokai does)
kokai runs 3 times (median); frictionless runs once per size. Every timed run
is a fresh process so that peak memory (max RSS from getrusage) is its own.

    .venv/bin/python bench/validate_table.py [--sizes 10000,100000,1000000] [--runs 3]
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
check_table_schema(table, load_schema("evacuation-sites"), report)
done(time.perf_counter() - t, f"{sum(report.codes().values())} findings")
"""

KOKAI_VALIDATE = _PRELUDE + """
t = time.perf_counter()
from kokai.validators.table import validate_paths
report = validate_paths([sys.argv[1]], schema="evacuation-sites")
done(time.perf_counter() - t, f"{sum(report.codes().values())} findings")
"""

KOKAI_COMMAND = _PRELUDE + """
import subprocess, os
t = time.perf_counter()
proc = subprocess.run([sys.argv[2], "validate", sys.argv[1], "--schema", "evacuation-sites",
                       "--format", "json"], stdout=subprocess.DEVNULL)
seconds = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "max_rss_mib": round(rss), "note": f"exit {proc.returncode}"}))
"""

FRICTIONLESS = _PRELUDE + """
t = time.perf_counter()
import frictionless
from kokai.validators.schemas import load_schema
schema = load_schema("evacuation-sites")
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
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    kokai_bin = str(Path(PYTHON).with_name("kokai"))
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {args.runs} kokai runs (median), "
          f"frictionless 1 run, schema {SCHEMA}, {BAD_RATE:.0%} rows with a bad cell")
    with tempfile.TemporaryDirectory() as tmp:
        for rows in sizes:
            path = Path(tmp) / f"shelters_{rows}.csv"
            generate(path, rows)
            size_mib = path.stat().st_size / 2**20
            print(f"\n== {rows:,} rows ({size_mib:.1f} MiB) ==")
            results = {}
            for label, code, extra in (
                ("kokai read+schema", KOKAI_SCHEMA_ONLY, []),
                ("kokai validate_paths", KOKAI_VALIDATE, []),
                ("kokai command", KOKAI_COMMAND, [kokai_bin]),
            ):
                runs = [_run(code, str(path), *extra) for _ in range(args.runs)]
                seconds = statistics.median(r[0] for r in runs)
                rss = max(r[1] for r in runs)
                results[label] = seconds
                print(f"{label:<22} {seconds:8.2f} s  {rows / seconds:>12,.0f} rows/s  "
                      f"peak {rss:>5} MiB  ({runs[0][2]})")
            seconds, rss, note = _run(FRICTIONLESS, str(path))
            print(f"{'frictionless.validate':<22} {seconds:8.2f} s  {rows / seconds:>12,.0f} rows/s  "
                  f"peak {rss:>5} MiB  ({note})")
            for label, kokai_seconds in results.items():
                print(f"  ratio frictionless / {label}: {seconds / kokai_seconds:6.1f}x")


if __name__ == "__main__":
    main()
