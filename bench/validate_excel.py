"""Benchmark: validating a table as .xlsx against the same table as CSV (issue 12:
at most 2x).

Generates the bench's 100k-row shelter table (03 layout, 39 columns, 3% bad
rows: bench/validate_table.py's generator) as CSV, writes the same cells to an
.xlsx with xlsxwriter (numbers as number cells, the rest as text, shared
strings as Excel writes them), then times `validate_paths` on each in this
process, median of RUNS runs, and prints the ratio. Writing the .xlsx takes a
while (xlsxwriter); it is not timed.

    .venv/bin/python bench/validate_excel.py [--rows 100000] [--runs 3]
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import xlsxwriter  # noqa: E402
from validate_table import generate  # noqa: E402

from kokai.validators.table import validate_paths  # noqa: E402


def _cell(text: str):
    """A number cell where staff would have typed a number (no leading zero)."""
    if text and len(text) < 15 and not (text.startswith("0") and text[1:2] != ".") and (
        text.replace(".", "", 1).isdigit()
    ):
        return float(text)
    return text


def write_xlsx(csv_path: Path, xlsx_path: Path) -> None:
    book = xlsxwriter.Workbook(str(xlsx_path))
    sheet = book.add_worksheet("避難場所")
    with csv_path.open(encoding="utf-8", newline="") as handle:
        for r, row in enumerate(csv.reader(handle)):
            for c, text in enumerate(row):
                if not text:
                    continue
                value = _cell(text) if r else text
                if isinstance(value, float):
                    sheet.write_number(r, c, value)
                else:
                    sheet.write_string(r, c, value)
    book.close()


def timed(path: Path, runs: int) -> tuple[float, object]:
    times, report = [], None
    for _ in range(runs):
        start = time.perf_counter()
        report = validate_paths([str(path)])
        times.append(time.perf_counter() - start)
    return statistics.median(times), report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        csv_path, xlsx_path = Path(tmp) / "sites.csv", Path(tmp) / "sites.xlsx"
        generate(csv_path, args.rows)
        write_xlsx(csv_path, xlsx_path)
        validate_paths([str(csv_path)])  # warm-up: imports, schema loading
        csv_s, csv_report = timed(csv_path, args.runs)
        xlsx_s, xlsx_report = timed(xlsx_path, args.runs)
        mib = (csv_path.stat().st_size / 2**20, xlsx_path.stat().st_size / 2**20)
        print(f"rows: {args.rows:,}  csv {mib[0]:.1f} MiB  xlsx {mib[1]:.1f} MiB  runs: {args.runs}")
        print(f"csv : {csv_s:.3f} s  ({csv_report.total('error')} errors)")
        print(f"xlsx: {xlsx_s:.3f} s  ({xlsx_report.total('error')} errors)")
        print(f"ratio xlsx/csv: {xlsx_s / csv_s:.2f}x (target <= 2x)")


if __name__ == "__main__":
    main()
