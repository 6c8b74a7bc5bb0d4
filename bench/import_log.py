"""Benchmark: `kokai metrics import-log` lines per second on a generated access log.

Generates a realistic combined-format log (default 1,000,000 lines over 28
days: 55 % page views, static files and API calls, 22 % crawlers, 16 %
resource downloads (HEAD, 206, 304 and 404 among them; people mostly fetch a
few datasets of their own), 6.7 % GTFS feed fetches and checks by Google,
NAVITIME, Jorudan, the GTFS data repository and others, 0.3 % malformed
lines) for a catalog of 200 datasets and one GTFS feed, in a temporary folder. Then, 3
times, imports it into a fresh SQLite catalog (a copy of one migrated and
filled template) exactly as the command does (`parse_log`, then the
`access_log_import` action) and prints the median lines per second.

Baseline, measured in the same run: reading the same file line by line
without doing anything (the floor any importer pays); the ratio says how much
slower than that the import is. Target: >= 200,000 lines/s.

    .venv/bin/python bench/import_log.py [--lines 1000000] [--runs 3]

`measure(lines)` returns the figures as a dict, for other bench scripts.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

TARGET_LINES_PER_SECOND = 200_000
DATASETS = 200
DAYS = 28
NAMESPACE = uuid.UUID("6b6f6b61-6900-4000-8000-000000000000")

BROWSERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; SH-M26) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
]
TOOLS = ["curl/8.5.0", "python-requests/2.32.3", "ckanapi/4.8", "Wget/1.21.4", "R (4.4.1)"]
BOTS = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; "
    "+https://openai.com/gptbot)",
]
FEED_CLIENTS = [
    ("66.249.66.{}", "Google-Transit/1.0 (+https://support.google.com/transitpartners)"),
    ("210.129.10.{}", "NAVITIME-GTFS-Fetcher/2.0"),
    ("153.127.20.{}", "Jorudan-Crawler/1.3"),
    ("160.16.30.{}", "gtfs-data.jp harvester/1.0 (+https://gtfs-data.jp/)"),
    ("203.0.113.{}", "transitland-fetch/0.9"),
]
PAGES = ["/", "/dataset", "/dataset?q=%E9%81%BF%E9%9B%A3%E6%89%80", "/organization", "/about",
         "/static/site.css", "/static/app.js", "/static/img/logo.png", "/favicon.ico",
         "/static/fonts/NotoSansJP-Regular.woff2", "/dataset/dataset-0001", "/catalog.ttl",
         "/api/3/action/package_search?q=%E4%BA%BA%E5%8F%A3", "/api/3/action/package_list",
         "/robots.txt"]  # fmt: skip
# page views, static files and API calls / crawlers / downloads / GTFS feed / malformed
MIX = (55, 22, 16, 6.7, 0.3)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def catalog_ids(datasets: int = DATASETS) -> list[tuple[str, str, str, str]]:
    """(dataset name, dataset id, resource id, file name), deterministic; the last is the GTFS feed."""
    out = []
    for i in range(datasets):
        name = f"dataset-{i:04d}"
        package_id = str(uuid.uuid5(NAMESPACE, name))
        for r in range(1 + i % 3):
            filename = "feed.zip" if i == datasets - 1 else f"{name}-{r}.csv"
            out.append((name, package_id, str(uuid.uuid5(NAMESPACE, f"{name}/{r}")), filename))
            if i == datasets - 1:
                break
    return out


def _stamp(when: datetime) -> str:
    return f"{when.day:02d}/{MONTHS[when.month - 1]}/{when.year}:{when:%H:%M:%S} +0900"


def generate_log(path: Path, lines: int, seed: int = 7) -> dict[str, int]:
    """Write a combined-format log of `lines` lines; returns the count per kind of line."""
    rng = random.Random(seed)
    ids = catalog_ids()
    downloads = ids[:-1]
    feed_name, feed_id = ids[-1][0], ids[-1][1]
    jst_now = datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=9)
    start = (jst_now - timedelta(days=DAYS)).replace(hour=0, minute=0, second=0, microsecond=0)
    step = DAYS * 86400 / lines
    people = [(f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}."
               f"{rng.randint(1, 254)}", rng.choice(BROWSERS + TOOLS)) for _ in range(6000)]  # fmt: skip
    bots = [(f"66.249.{rng.randint(64, 79)}.{rng.randint(1, 254)}", rng.choice(BOTS))
            for _ in range(40)]  # fmt: skip
    # Each person mostly downloads a few datasets of their own (scripts fetch the same files).
    favourites = [rng.sample(range(len(downloads)), rng.randint(1, 4)) for _ in people]
    counts = dict.fromkeys(("page", "bot", "download", "feed", "malformed"), 0)
    kinds = rng.choices(("page", "bot", "download", "feed", "malformed"), MIX, k=lines)
    out = []
    for n, kind in enumerate(kinds):
        when = start + timedelta(seconds=n * step)
        stamp = _stamp(when)
        counts[kind] += 1
        if kind == "malformed":
            choice = rng.random()
            if choice < 0.4:  # a line cut short by a crash or rotation
                out.append(
                    f'{people[0][0]} - - [{stamp}] "GET /dataset/{downloads[0][1]}/resource/\n'
                )
            elif choice < 0.7:  # common log format (no referer, no user agent)
                out.append(f'{people[1][0]} - - [{stamp}] "GET /dataset HTTP/1.1" 200 512\n')
            else:
                out.append("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 garbage\n")
            continue
        if kind == "page":
            ip, agent = people[rng.randrange(len(people))]
            page = rng.choice(PAGES)
            status, size = (200, rng.randint(800, 90000)) if rng.random() < 0.93 else (304, 0)
            out.append(f'{ip} - - [{stamp}] "GET {page} HTTP/1.1" {status} {size} '
                       f'"https://city.example.jp/" "{agent}"\n')  # fmt: skip
        elif kind == "bot":
            ip, agent = bots[rng.randrange(len(bots))]
            name = f"dataset-{rng.randrange(DATASETS):04d}"
            out.append(
                f'{ip} - - [{stamp}] "GET /dataset/{name} HTTP/1.1" 200 14231 "-" "{agent}"\n'
            )
        elif kind == "download":
            person = rng.randrange(len(people))
            ip, agent = people[person]
            pick = (rng.choice(favourites[person]) if rng.random() < 0.7
                    else rng.randrange(len(downloads)))  # fmt: skip
            name, package_id, resource_id, filename = downloads[pick]
            ref = package_id if rng.random() < 0.8 else name
            roll = rng.random()
            method, status = "GET", 200
            if roll < 0.03:
                method = "HEAD"
            elif roll < 0.06:
                status = 206
            elif roll < 0.08:
                status = 304
            elif roll < 0.10:
                status, resource_id = 404, str(uuid.uuid4())
            query = "?download=1" if rng.random() < 0.05 else ""
            out.append(f'{ip} - - [{stamp}] "{method} /dataset/{ref}/resource/{resource_id}/'
                       f'download/{filename}{query} HTTP/1.1" {status} {rng.randint(2000, 900000)} '
                       f'"https://city.example.jp/dataset/{name}" "{agent}"\n')  # fmt: skip
        else:
            pattern, agent = FEED_CLIENTS[rng.randrange(len(FEED_CLIENTS))]
            ip = pattern.format(rng.randint(1, 20))
            ref = feed_id if rng.random() < 0.5 else feed_name
            version = "feed" if rng.random() < 0.9 else str(rng.randint(1, 12))
            status = 200 if rng.random() < 0.3 else 304
            size = 183_220 if status == 200 else 0
            out.append(f'{ip} - - [{stamp}] "GET /gtfs/{ref}/{version}.zip HTTP/1.1" {status} '
                       f'{size} "-" "{agent}"\n')  # fmt: skip
        if len(out) >= 50_000:
            with path.open("a", encoding="utf-8", errors="surrogateescape") as handle:
                handle.writelines(out)
            out.clear()
    with path.open("a", encoding="utf-8", errors="surrogateescape") as handle:
        handle.writelines(out)
    return counts


def _template_catalog(folder: Path) -> Path:
    """A migrated SQLite catalog holding the datasets the log names."""
    from kokai.catalog.client import LocalCatalog
    from kokai.catalog.db import dispose_engine, get_engine
    from kokai.config import Config

    config = Config(root=folder, site_url="https://city.example.jp")
    site = LocalCatalog(config).as_site()
    site.action.organization_create(name="bench-city", title="ベンチ市")
    by_dataset: dict[str, list] = {}
    for name, package_id, resource_id, filename in catalog_ids():
        by_dataset.setdefault((name, package_id), []).append((resource_id, filename))
    with site.transaction() as ckan:
        for (name, package_id), resources in by_dataset.items():
            gtfs = resources[0][1] == "feed.zip"
            ckan.action.package_create(
                id=package_id, name=name, title=f"データセット {name}", owner_org="bench-city",
                resources=[{"id": rid, "url": f"https://city.example.jp/files/{filename}",
                            "format": "GTFS" if gtfs else "CSV", "name": filename}
                           for rid, filename in resources],
            )  # fmt: skip
    engine = get_engine(config)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    dispose_engine(config)
    return folder / "_data" / "catalog.sqlite3"


def _import_once(template: Path, folder: Path, log: Path) -> tuple[float, dict]:
    from kokai.catalog.access_log import parse_log
    from kokai.catalog.client import LocalCatalog
    from kokai.catalog.db import dispose_engine, get_engine
    from kokai.config import Config

    (folder / "_data").mkdir(parents=True)
    shutil.copyfile(template, folder / "_data" / "catalog.sqlite3")
    config = Config(root=folder, site_url="https://city.example.jp")
    get_engine(config)  # open (and check the migrations of) the copy before timing
    site = LocalCatalog(config).as_site()
    started = time.perf_counter()
    parsed = parse_log(log)
    result = site.action.access_log_import(log=parsed)
    elapsed = time.perf_counter() - started
    dispose_engine(config)
    return elapsed, result


def _read_only(log: Path) -> float:
    started = time.perf_counter()
    with log.open("rb") as handle:
        for _line in handle:
            pass
    return time.perf_counter() - started


def measure(lines: int = 1_000_000, runs: int = 3) -> dict:
    """Generate a `lines`-line log, import it `runs` times into fresh catalogs;
    the median import time and lines/s, and the line-reading baseline."""
    with tempfile.TemporaryDirectory(prefix="kokai-bench-log-") as tmp:
        root = Path(tmp)
        log = root / "access.log"
        kinds = generate_log(log, lines)
        template = _template_catalog(root / "template")
        baseline = statistics.median(_read_only(log) for _ in range(runs))
        times, result = [], {}
        for run in range(runs):
            elapsed, result = _import_once(template, root / f"run{run}", log)
            times.append(elapsed)
        median = statistics.median(times)
        return {
            "lines": lines,
            "bytes": log.stat().st_size,
            "kinds": kinds,
            "runs": runs,
            "seconds": [round(t, 3) for t in times],
            "median_seconds": round(median, 3),
            "lines_per_second": round(lines / median),
            "baseline_read_lines_per_second": round(lines / baseline),
            "ratio_to_baseline": round(median / baseline, 2),
            "target_lines_per_second": TARGET_LINES_PER_SECOND,
            "meets_target": lines / median >= TARGET_LINES_PER_SECOND,
            "downloads_added": result.get("downloads_added"),
            "feed_fetches_added": result.get("feed_fetches_added"),
            "feed_checks_added": result.get("feed_checks_added"),
            "unreadable": result.get("unreadable"),
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    figures = measure(args.lines, args.runs)
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"metrics import-log: {figures['lines']:,} lines, {figures['bytes'] / 1e6:.0f} MB, "
          f"{figures['kinds']}")  # fmt: skip
    print(f"  runs (s): {figures['seconds']}")
    print(f"  median: {figures['median_seconds']} s = {figures['lines_per_second']:,} lines/s "
          f"(target >= {TARGET_LINES_PER_SECOND:,}: {'ok' if figures['meets_target'] else 'MISSED'})")  # fmt: skip
    print(f"  baseline (read lines only): {figures['baseline_read_lines_per_second']:,} lines/s; "
          f"import / baseline = {figures['ratio_to_baseline']}x")  # fmt: skip
    print(f"  added: {figures['downloads_added']:,} downloads, {figures['feed_fetches_added']:,} "
          f"feed fetches, {figures['feed_checks_added']:,} checks; unreadable lines: "
          f"{figures['unreadable']:,}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
