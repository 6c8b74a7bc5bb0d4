"""Benchmark: `kokai publish` on 1,000 generated datasets, and the access-log import.

Generates, in a temporary folder, a city with 1,000 dataset folders (each a
datapackage.yaml and a 1,000-row facility CSV) plus one GTFS-JP feed (the
demo city's bus feed), with its own SQLite catalog and local storage, and
prints:
  - the cold publish of all of them (once: it validates every file);
  - the re-publish of all of them unchanged (median of --runs), and its
    ratio to the cold publish;
  - the publish of one changed dataset, catalog update included (median of
    --runs, a different change each time);
  - `kokai metrics import-log` lines per second on a generated 1M-line log
    (bench/import_log.py, median of its runs).
Publishing runs in-process through the same `Publisher` the CLI uses.

    .venv/bin/python bench/publish.py [--datasets 1000] [--rows 1000] [--runs 3] [--log-lines 1000000]
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kokai.catalog.client import LocalCatalog  # noqa: E402
from kokai.config import load_config  # noqa: E402
from kokai.publish.pipeline import Publisher  # noqa: E402

TODAY = date(2026, 11, 27)  # inside the demo feed's service period
HEADER = ["施設名", "種別", "住所", "緯度", "経度", "電話番号", "開館時間"]
KINDS = ["公民館", "図書館", "体育館", "児童館", "集会所"]


def write_table(path: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(HEADER)
        for i in range(rows):
            kind = rng.choice(KINDS)
            writer.writerow([
                f"潮見市立第{i + 1}{kind}", kind, f"潮見市本町{rng.randint(1, 9)}丁目{rng.randint(1, 30)}番地",
                f"{34.67 + rng.random() * 0.08:.6f}", f"{137.89 + rng.random() * 0.14:.6f}",
                f"053-43{rng.randint(0, 9)}-{rng.randint(0, 9999):04d}", "9:00-17:00",
            ])  # fmt: skip


def write_dataset(folder: Path, index: int, rows: int) -> None:
    folder.mkdir(parents=True)
    write_table(folder / "facilities.csv", rows, index)
    (folder / "datapackage.yaml").write_text(
        f"""name: facilities-{index:04d}
title: "施設一覧 {index}"
description: "潮見市の施設の一覧（ベンチマーク用に生成したデータ、{index} 番）。施設名・種別・住所・緯度経度・電話番号・開館時間を載せています。"
licenses:
  - name: CC-BY-4.0
keywords: ["施設", "ベンチマーク"]
kokai:organization: bench-{index % 10}
kokai:update_frequency: "毎月"
kokai:spatial: [137.88, 34.665, 138.04, 34.755]
resources:
  - name: facilities
    path: facilities.csv
    format: csv
    encoding: utf-8
""",
        encoding="utf-8",
    )


def make_city(root: Path, datasets: int, rows: int) -> Path:
    (root / "datasets").mkdir(parents=True)
    shutil.copy(ROOT / "kokai.toml", root / "kokai.toml")
    for i in range(datasets):
        write_dataset(root / "datasets" / f"facilities-{i:04d}", i, rows)
    shutil.copytree(ROOT / "datasets" / "community-bus", root / "datasets" / "community-bus")
    return root


def publish(root: Path, folders: list[Path]) -> tuple[float, dict[str, int]]:
    config = load_config(root / "kokai.toml")
    publisher = Publisher(LocalCatalog(config).as_site(), by="bench", today=TODAY)
    started = time.perf_counter()
    outcomes = publisher.publish(folders)
    elapsed = time.perf_counter() - started
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    return elapsed, counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--log-lines", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kokai-bench-publish-") as scratch:
        root = make_city(Path(scratch), args.datasets, args.rows)
        folders = sorted(p for p in (root / "datasets").iterdir() if p.is_dir())
        print(f"{len(folders)} datasets ({args.datasets} tables of {args.rows:,} rows + 1 GTFS feed)")

        cold, counts = publish(root, folders)
        assert counts == {"published": len(folders)}, counts
        print(f"cold publish of all:         {cold:8.2f} s  (1 run) {counts}")

        unchanged = []
        for _ in range(args.runs):
            elapsed, counts = publish(root, folders)
            assert counts == {"unchanged": len(folders)}, counts
            unchanged.append(elapsed)
        median = statistics.median(unchanged)
        print(f"unchanged re-publish of all: {median:8.2f} s  (median of {args.runs}; "
              f"{cold / median:.0f}x faster than cold)")  # fmt: skip

        one = []
        target = root / "datasets" / "facilities-0000"
        for run in range(args.runs):
            write_table(target / "facilities.csv", args.rows, 10_000 + run)
            elapsed, counts = publish(root, [target])
            assert counts == {"published": 1}, counts
            one.append(elapsed)
        print(f"one changed dataset:         {statistics.median(one):8.2f} s  (median of {args.runs})")

    if args.log_lines:
        sys.path.insert(0, str(ROOT / "bench"))
        from import_log import measure

        result = measure(args.log_lines, args.runs)
        print(f"metrics import-log:          {result['lines_per_second']:,} lines/s  (median of {args.runs} "
              f"imports of {args.log_lines:,} lines; reading alone {result['baseline_read_lines_per_second']:,} "
              f"lines/s)")  # fmt: skip


if __name__ == "__main__":
    main()
