"""Write a made-up web-server access log for the demo city (DEMO DATA).

`make demo` imports it with `kokai metrics import-log --demo`, so that the
metrics show something: downloads of the published datasets by residents
and developers, and GTFS feed pulls by routing services, over the six months
2026-06-01 to 2026-11-26. Everything in it is invented: the addresses come
from the documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24,
RFC 5737) and the file name says DEMO. The dates and the random seed are
fixed, so the file is the same every time and a second import counts nothing.

    python datasets/_demo_access_log.py OUT.log.gz   (after `kokai publish`)
"""

from __future__ import annotations

import gzip
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kokai.catalog.client import LocalCatalog  # noqa: E402
from kokai.config import load_config  # noqa: E402

START = datetime(2026, 6, 1, tzinfo=UTC)
DAYS = 179
BROWSERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (iPad; CPU OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/604.1",
    "python-requests/2.32.3",
    "ckanapi/4.8 (+https://github.com/ckan/ckanapi)",
    "curl/8.11.0",
]
FEED_CONSUMERS = [
    "Google-Transit (demo)",
    "NAVITIME GTFS fetcher (demo)",
    "Jorudan feed collector (demo)",
    "gtfs-data.jp harvester (demo)",
]


def address(rng: random.Random) -> str:
    return f"{rng.choice(['192.0.2', '198.51.100', '203.0.113'])}.{rng.randint(1, 254)}"


def line(when: datetime, ip: str, path: str, status: int, size: int, agent: str) -> str:
    stamp = when.strftime("%d/%b/%Y:%H:%M:%S +0000")
    return f'{ip} - - [{stamp}] "GET {path} HTTP/1.1" {status} {size} "-" "{agent}"\n'


def main(out: Path) -> None:
    config = load_config()  # the kokai.toml of the working directory (make demo: the repo's)
    catalog = LocalCatalog(config).as_site()
    downloads, feeds = [], []
    for name in catalog.action.package_list():
        package = catalog.action.package_show(id=name)
        for resource in package["resources"]:
            if resource.get("url_type") == "upload":
                downloads.append((urlsplit(resource["url"]).path, resource.get("size") or 1000))
            if resource.get("gtfs_feed_url"):
                feeds.append(urlsplit(resource["gtfs_feed_url"]).path)
    if not downloads:
        sys.exit("publish the demo datasets first (kokai publish)")
    rng = random.Random(229997)
    lines = []
    for day in range(DAYS):
        date = START + timedelta(days=day)
        for _ in range(rng.randint(2, 12)):
            path, size = rng.choice(downloads)
            when = date + timedelta(seconds=rng.randint(0, 86399))
            lines.append((when, line(when, address(rng), path, 200, size, rng.choice(BROWSERS))))
        for path in feeds:
            for agent in FEED_CONSUMERS:
                when = date + timedelta(hours=3, minutes=rng.randint(0, 59))
                status = 200 if day % 7 == 0 else 304
                lines.append((when, line(when, "198.51.100.77", path, status, 8600 if status == 200 else 0, agent)))
    lines.sort()
    with gzip.GzipFile(out, "wb", mtime=0) as handle:  # mtime=0: the same bytes every time
        handle.write("".join(text for _, text in lines).encode("utf-8"))
    print(f"{out}: デモ用に作ったアクセスログ {len(lines):,} 行 / made-up demo access log")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
